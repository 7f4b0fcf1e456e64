"""The real song that ships with ``musdb``: one MUSDB18 test excerpt, with its four stems.

``musdb`` depends on ``stempeg``, and ``stempeg`` installs one excerpt of a MUSDB18 test song as a
``.stem.mp4`` with five streams (mixture, drums, bass, other, vocals): "The Easton Ellises -
Falcon 69", about 6 seconds. So wherever the workbook runs, offline or on Colab, there is one
real recording, mixed and mastered by people, with its true stems. Every lesson plays and
scores it beside the synthetic songs:

    from seplib.data import EXAMPLE, open_dataset
    real = open_dataset("test", root=EXAMPLE)[0]      # a musdb track, like any other

The song is decoded once (16-bit, exactly the samples ``musdb`` decodes) into the data folder,
``<data_dir>/example/test/<name>/{mixture,drums,bass,other,vocals}.wav``, the MUSDB18-HQ layout;
it is read from the installed package and never copied into the workbook's repository. Its
license is CC BY-NC-SA (Creative Commons Attribution-NonCommercial-ShareAlike): fine for a class
and for research, not for commercial use, and credit the band.

Taught in: 00_getting_started
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from ..stems import STEMS

from .. import config
from .layout import check_track_folder
from .decode import decode_song

EXAMPLE = "example"
"""Pass ``root=EXAMPLE`` to :func:`seplib.data.open_dataset` for the real song (a test split of one)."""
SONG = "The Easton Ellises - Falcon 69"
"""The real song's MUSDB18 name."""
LICENSE = "CC BY-NC-SA"
NOTICE = (f"the real song: {SONG!r}, a 6-second excerpt of a MUSDB18 test song with its four stems, "
          f"read from the installed stempeg package (license {LICENSE}: for teaching and research, "
          "not commercial use)")
STREAMS = {"mixture": 0, "drums": 1, "bass": 2, "other": 3, "vocals": 4}
"""The example's streams, in MUSDB18's order (musdb's own setup)."""
MARKER = "seplib.json"


def source_path():
    """The example's ``.stem.mp4`` inside the installed ``stempeg`` package.

    Raises:
        FileNotFoundError: stempeg is installed without its example (one line saying so)
    """
    try:
        import stempeg
    except ImportError:
        raise FileNotFoundError("the real song ships with the 'stempeg' package, which is not installed: "
                                "pip install musdb (it brings stempeg)") from None
    path = Path(stempeg.example_stem_path())
    if not path.is_file():
        raise FileNotFoundError(f"stempeg's example song is missing: {path} (reinstall stempeg)")
    return path


def example_root():
    """The folder the real song is decoded into: ``<data_dir>/example`` (a MUSDB18-HQ tree)."""
    return config.data_dir() / EXAMPLE


def _whole(folder):

    try:
        check_track_folder(folder)
        return True
    except ValueError:
        return False


def ensure_example(quiet=False):
    """Decode the real song once into :func:`example_root` (reused when it is already there).

    The first time, it prints where the song comes from and its license.

    Args:
        quiet (bool): print nothing

    Returns:
        root (Path): a MUSDB18-HQ tree with one song under ``test/``
    """

    root = example_root()
    folder = root / "test" / SONG
    if _whole(folder):
        return root
    with config.locked(root.with_name(f".{root.name}.lock")):  # one writer at a time
        if _whole(folder):
            return root
        source = source_path()
        if folder.exists():
            shutil.rmtree(folder)  # a half-written copy of a stopped run: written again
        folder.parent.mkdir(parents=True, exist_ok=True)
        decode_song(str(source), folder, STREAMS)
        shutil.rmtree(root / ".partial", ignore_errors=True)
        (root / MARKER).write_text(json.dumps({"song": SONG, "license": LICENSE, "source": "stempeg.example_stem_path()",
                                               "streams": STREAMS, "subtype": "PCM_16"}, indent=1))
        if not quiet:
            print(NOTICE)
    return root


assert tuple(STREAMS)[1:] == tuple(STEMS)
