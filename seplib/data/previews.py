"""musdb's previews of MUSDB18 as a data set: downloaded once, decoded once, then a folder like any other.

``musdb`` can download a 7-second excerpt of each of MUSDB18's 150 songs (the "previews", as
``.stem.mp4`` files, with musdb's own train / valid / test split). Choose them with
``DATA = "previews"`` in a notebook's run cell (or ``root="previews"``): the first use downloads
them into the data folder, ``<data_dir>/MUSDB18-7`` (on Colab with ``KEEP_ON_DRIVE``, on Drive),
and decodes them once into the MUSDB18-HQ layout, ``<data_dir>/previews`` (one WAV per stem,
:func:`seplib.data.decode_tree`; about 0.9 GB), then removes the ``.stem.mp4`` files (the WAVs
hold the very samples musdb decodes from them). From then on they open from the WAV folder,
offline too.

Taught in: 09_real_music
"""
from __future__ import annotations

import json
import shutil

from .. import config
from .decode import decode_tree
from ..config import online

DOWNLOADED = "MUSDB18-7"
"""The folder, in the data folder, musdb's download of the previews goes to (``.stem.mp4`` files)."""
DECODED = "previews"
"""The folder, in the data folder, the previews are decoded into (MUSDB18-HQ layout)."""


def download_root():
    """Where the previews' ``.stem.mp4`` files are downloaded to: ``<data_dir>/MUSDB18-7``."""
    return config.data_dir() / DOWNLOADED


def previews_root():
    """Where the decoded previews live: ``<data_dir>/previews`` (a MUSDB18-HQ tree)."""
    return config.data_dir() / DECODED


def _decoded(out):
    """Whether ``out`` is a whole decoded tree: its marker written after the last song."""
    try:
        return json.loads((out / "previews.json").read_text()).get("songs", 0) > 0
    except (OSError, ValueError, AttributeError):  # not there yet, or a damaged marker: decode (again)
        return False


def ensure_previews(progress=True):
    """Download the previews once (if not there yet) and decode them once; return the WAV tree.

    Nothing is downloaded when the decoded tree is already whole, or when the ``.stem.mp4``
    files are already in :func:`download_root` (a stopped decode carries on from them); once
    every song is decoded, the ``.stem.mp4`` files are removed.

    Args:
        progress (bool): progress bars for the download and the decoding

    Returns:
        root (Path): :func:`previews_root`, a MUSDB18-HQ tree with ``train/`` and ``test/``

    Raises:
        ConnectionError: the previews are not here yet and the internet cannot be reached

    Taught in: 09_real_music
    """
    import musdb


    out, downloaded = previews_root(), download_root()
    if _decoded(out):
        return out
    if not (downloaded / "train").is_dir() and not online():
        raise ConnectionError(f"the MUSDB18 previews are not in {downloaded} yet, and downloading them "
                              "needs the internet, which cannot be reached")
    with config.locked(out.with_name(f".{out.name}.lock")):  # one download and decode at a time
        if _decoded(out):
            return out
        if not (downloaded / "train").is_dir():
            print(f"downloading musdb's previews of MUSDB18 (7 s of each song) into {downloaded}")
        # musdb's own download (a no-op when its train/ folder is there), into the data folder
        musdb.DB(root=str(downloaded), download=True, subsets="test")
        decode_tree(downloaded, out, progress=progress)
        songs = sum(1 for subset in ("train", "test") for p in (out / subset).iterdir() if p.is_dir())
        (out / "previews.json").write_text(json.dumps({"source": "musdb previews (MUSDB18-7)", "songs": songs,
                                                        "downloaded": DOWNLOADED}, indent=1))
        shutil.rmtree(downloaded, ignore_errors=True)  # decoded whole: the WAVs hold the same samples
    return out
