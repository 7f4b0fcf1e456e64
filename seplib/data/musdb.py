"""One way in for data: the synthetic default, a local MUSDB18 / MUSDB18-HQ, or the previews.

Whatever the source, you get the same ``musdb`` track objects, so every notebook works on
real music by changing one path (``MUSDB_PATH``).

Taught in: 00_getting_started
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import soundfile as sf

from ..stems import RATE, STEMS, accompaniment

from .. import config
from ..audio import as_stereo
from ..config import online  # noqa: F401  (seplib.data.online: whether the internet can be reached)
from .example import EXAMPLE, ensure_example
from .layout import FILES, check_track_folder, layout_of  # noqa: F401
from .synth import write_dataset
from .previews import ensure_previews

SPLITS = ("train", "valid", "test")
PREVIEWS = "previews"
"""Pass ``root="previews"`` to use musdb's 7-second excerpts (downloaded: needs the internet)."""


def root_and_size(root=None, size=None, run=None):
    """A data set's ``root`` and run ``size``, with the run context's filling in those not given.

    Args:
        root (str or Path): a data set's folder (``None``: not given)
        size (str): a run size (``None``: not given)
        run (:class:`seplib.run.Run`): the run context, or ``None``

    Returns:
        (root, size): either may still be ``None`` (then the environment decides)
    """
    if run is not None:
        root = root if root is not None else run.root
        size = size or run.size
    return root, size


def default_root(size=None, run=None):
    """The folder of the synthetic default data set of a run size.

    Args:
        size (str): ``quick``, ``lab`` or ``full`` (default: ``run.size``, else
            :func:`seplib.config.run_size`)
        run (:class:`seplib.run.Run`): the run context (its size, when ``size`` is not given)

    Returns:
        root (Path): ``<data_dir>/synth-<size>``

    Taught in: 00_getting_started
    """
    return config.data_dir() / f"synth-{config.size_of(size, run)}"


def ensure_default(size=None, progress=True, run=None):
    """Write the synthetic default data set if it is not there yet (an existing one is reused).

    Up to four songs are made at a time, one per CPU core; the files are the same either way.

    Returns:
        root (Path)

    Taught in: 00_getting_started
    """

    size = config.size_of(size, run)
    root = default_root(size)
    with config.locked(root.with_name(f".{root.name}.lock")):  # one writer at a time
        return write_dataset(root, size=size, progress=progress, workers=min(4, os.cpu_count() or 1))


def resolve_root(root=None, size=None, run=None):
    """Where the data comes from: ``root`` if given, else ``$MUSDB_PATH``, else the synthetic set.

    Args:
        root (str or Path): a data set's folder, or :data:`PREVIEWS`
        size (str): the run size of the synthetic set
        run (:class:`seplib.run.Run`): the run context: its ``root`` and ``size`` stand in for
            those not given

    Returns:
        root (Path or str): a folder, or :data:`PREVIEWS`

    Taught in: 00_getting_started
    """
    root, size = root_and_size(root, size, run)
    if root is None and os.environ.get("MUSDB_PATH"):
        root = os.environ["MUSDB_PATH"]
    if root is None:
        return ensure_default(size)
    if str(root) == PREVIEWS:
        return PREVIEWS
    if str(root) == EXAMPLE:
        return ensure_example()
    return Path(root).expanduser()


def open_dataset(split="test", root=None, size=None, check=True, run=None):
    """Open a split of a MUSDB18-style data set as ``musdb`` tracks.

    Args:
        split (str): ``"train"``, ``"valid"`` (part of MUSDB's train folder) or ``"test"``
        root (str or Path): a MUSDB18-HQ or MUSDB18 folder, ``"previews"``, or ``"example"``
            (:data:`seplib.data.EXAMPLE`: the real song that ships with musdb, a test split of
            one); default ``$MUSDB_PATH``, else the synthetic set of this run size (written if missing)
        size (str): run size of the synthetic default (``quick``, ``lab``, ``full``)
        check (bool): check every track folder first (files present, same rate and length)
        run (:class:`seplib.run.Run`): the run context: its ``root`` and ``size`` stand in for
            those not given (``seplib evaluate --size quick`` opens the quick songs)

    Returns:
        tracks (list of musdb.audio_classes.MultiTrack): each with ``.name``, ``.rate``,
        ``.audio`` and ``.sources``; read them with :func:`track_mixture` / :func:`track_stems`

    Taught in: 00_getting_started
    """
    import musdb

    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if str(root) == EXAMPLE and split != "test":
        raise ValueError(f"root={EXAMPLE!r} holds one real song, in the 'test' split only (asked for {split!r})")
    root = resolve_root(root, size, run)
    subsets, musdb_split = ("test", None) if split == "test" else ("train", split)
    if root == PREVIEWS:  # downloaded once into the data folder, decoded once: then a WAV folder like any other

        root = ensure_previews()
    layout = layout_of(root)
    setup = "setup.yaml" if (root / "setup.yaml").is_file() else None
    if check and layout == "wav":
        folder = root / subsets
        for track_folder in sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []:
            check_track_folder(track_folder)
    db = musdb.DB(root=str(root), is_wav=layout == "wav", setup_file=setup,
                  subsets=subsets, split=musdb_split)
    if len(db.tracks) == 0:
        raise ValueError(f"{root}: no tracks in the {split!r} split (looked in {root / subsets}; "
                         "the validation tracks are those listed in setup.yaml)")
    return list(db.tracks)


def dataset_name(root=None, size=None):
    """A short name for a data set, from its root: e.g. ``synth-quick``, ``MUSDB18HQ``; the
    folder its models and dictionaries are kept in (:func:`seplib.config.models_dir`). :func:`dataset_of`
    names it from its tracks.

    Taught in: 01_stft_and_masks
    """
    if root is None and not os.environ.get("MUSDB_PATH"):
        return f"synth-{config.size_of(size)}"
    root = root or os.environ["MUSDB_PATH"]
    if str(root) in (PREVIEWS, EXAMPLE):
        return str(root)
    return Path(root).expanduser().resolve().name


def dataset_of(tracks):
    """The name the scores of these tracks are stored under: their data set's folder name.

    Args:
        tracks (list): musdb tracks, as from :func:`seplib.data.open_dataset`

    Returns:
        name (str): e.g. ``synth-lab`` or ``MUSDB18HQ`` (the folder above the ``test`` folder,
        as :func:`dataset_name` names it), with ``-train`` appended for training tracks

    Taught in: 01_stft_and_masks
    """
    track = tracks[0]
    path = Path(track.path).resolve()
    root = next((p.parent for p in path.parents if p.name == track.subset), path.parent)
    return root.name + ("" if track.subset == "test" else f"-{track.subset}")


def _read(track, source, name):
    path = str(getattr(source, "path", ""))
    if path.lower().endswith(".wav"):
        # A WAV file read directly: the same samples as musdb's reader (ffmpeg, 16 bit; see
        # tests/test_data.py), 60 times faster, and not rounded to 16 bit.
        try:
            audio = sf.read(path, dtype="float32", always_2d=True)[0]
        except (RuntimeError, sf.LibsndfileError) as err:
            raise ValueError(f"track {track.name!r}: cannot read {path} ({err})") from None
        return as_stereo(audio.T, name=f"{track.name}/{name}")
    audio = source.audio
    if audio is None or np.size(audio) == 0:
        raise ValueError(f"track {track.name!r}: {name} is empty or unreadable ({source.path})")
    return as_stereo(np.asarray(audio, dtype=np.float32).T, name=f"{track.name}/{name}")


def track_mixture(track):
    """The mixture of a musdb track.

    Returns:
        mixture (np.ndarray): ``(channels, samples)`` float32

    Taught in: 00_getting_started
    """
    return _read(track, track, "mixture")


def track_stems(track, stems=STEMS):
    """The true stems of a musdb track.

    Args:
        track (musdb Track)
        stems (tuple): which stems (default: drums, bass, other, vocals); ``"accompaniment"``
            is the sum of all but the vocals, as in musdb

    Returns:
        stems (dict): ``{stem: (channels, samples)}`` float32

    Taught in: 00_getting_started
    """
    besides_vocals = [s for s in STEMS if s != "vocals"] if "accompaniment" in stems else []
    wanted = list(dict.fromkeys([s for s in stems if s != "accompaniment"] + besides_vocals))
    missing = [s for s in wanted if s not in track.sources]
    if missing:
        raise ValueError(f"track {track.name!r}: missing stem file(s) {missing} next to {track.path}")
    parts = {s: _read(track, track.sources[s], s) for s in wanted}
    if besides_vocals:
        parts["accompaniment"] = accompaniment(parts)
    return {s: parts[s] for s in stems}


def real_song():
    """The real song as a ``musdb`` track (decoded on first use).

    Returns:
        track (musdb.audio_classes.MultiTrack): read it with :func:`seplib.data.track_mixture` and
        :func:`seplib.data.track_stems`; its stems are ``drums``, ``bass``, ``other``, ``vocals``

    Taught in: 00_getting_started
    """
    return open_dataset("test", root=EXAMPLE)[0]
