"""What a MUSDB18 tree looks like on disk, and checking a track folder: shared by every reader.

A MUSDB18-HQ tree holds ``train/`` and ``test/``, one folder per song with five WAV files;
a MUSDB18 tree holds ``*.stem.mp4`` files there instead.

Taught in: 00_getting_started
"""
from __future__ import annotations

import warnings
from pathlib import Path

import soundfile as sf

from ..audio import check_complete
from ..stems import RATE, STEMS

FILES = ("mixture.wav",) + tuple(f"{s}.wav" for s in STEMS)
"""The five files of a MUSDB18-HQ track folder."""


def layout_of(root):
    """'wav' for a MUSDB18-HQ tree, 'stems' for MUSDB18 (.stem.mp4), or raise naming what is wrong."""
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such data folder (expected a MUSDB18(-HQ) tree with "
                                "train/ and test/ inside)")
    subsets = [root / s for s in ("train", "test") if (root / s).is_dir()]
    if not subsets:
        raise ValueError(f"{root}: not a MUSDB18 tree: expected folders train/ and test/ inside")
    if any(p.suffix == ".mp4" for s in subsets for p in s.iterdir()):
        return "stems"
    if any(p.is_dir() for s in subsets for p in s.iterdir()):
        return "wav"
    raise ValueError(f"{root}: train/ and test/ are empty: expected one folder per track with "
                     f"{', '.join(FILES)} (MUSDB18-HQ) or *.stem.mp4 files (MUSDB18)")


def check_track_folder(folder):
    """Check a MUSDB18-HQ track folder: all five files there, readable, none cut short, same rate and length.

    Args:
        folder (Path): ``.../train/<track name>``

    Returns:
        frames (int): the common length in samples

    Taught in: 00_getting_started
    """
    folder = Path(folder)
    infos = {}
    for name in FILES:
        path = folder / name
        if not path.is_file():
            raise ValueError(f"track {folder.name!r}: missing {name} in {folder}")
        try:
            infos[name] = sf.info(str(path))
        except (RuntimeError, sf.LibsndfileError) as err:
            raise ValueError(f"track {folder.name!r}: cannot read {path} ({err})") from None
        try:
            check_complete(path)  # a copy cut short: soundfile would read it short, silently
        except ValueError as err:
            raise ValueError(f"track {folder.name!r}: {err}") from None
    rates = {n: i.samplerate for n, i in infos.items()}
    if set(rates.values()) != {RATE}:
        raise ValueError(f"track {folder.name!r}: every file must be {RATE} Hz, got {rates}")
    frames = {n: i.frames for n, i in infos.items()}
    if len(set(frames.values())) != 1:
        raise ValueError(f"track {folder.name!r}: files differ in length (samples): {frames}")
    for n, i in infos.items():
        if i.channels == 1:
            warnings.warn(f"track {folder.name!r}: {n} is mono; it will be used as dual-mono",
                          stacklevel=2)
        elif i.channels != 2:
            raise ValueError(f"track {folder.name!r}: {n} has {i.channels} channels (expected 1 or 2)")
    return frames["mixture.wav"]


def combine(roots, out):
    """One MUSDB18-HQ tree made of several: ``out/train`` and ``out/test`` hold links to every
    song folder of ``roots``, and ``out/setup.yaml`` lists all their validation songs.

    Nothing is copied, so it costs no disk; the songs must have different names (the synthetic
    and the rendered sets do: ``Synth 001 - ...`` and ``Render 001 - ...``). The shipped U-Net
    was trained on ``combine(["data/synth-lab", "data/render-lab"], "data/mix-lab")``.

    Args:
        roots (list of str or Path): MUSDB18-HQ trees, each with ``setup.yaml``
        out (str or Path): a new folder

    Returns:
        out (Path)

    Raises:
        ValueError: ``out`` exists, a root is not a WAV tree, or two songs share a name

    Taught in: 09_real_music
    """
    import yaml

    out = Path(out)
    if out.exists():
        raise ValueError(f"{out} exists: combine into a new folder")
    setup, validation, seen = None, [], {}
    for root in map(Path, roots):
        if layout_of(root) != "wav":
            raise ValueError(f"{root}: not a MUSDB18-HQ (WAV) tree")
        own = yaml.safe_load((root / "setup.yaml").read_text()) if (root / "setup.yaml").is_file() else {}
        setup = setup or own
        validation += own.get("validation_tracks", [])
        for subset in ("train", "test"):
            for song in sorted(p for p in (root / subset).iterdir() if p.is_dir()) if (root / subset).is_dir() else []:
                if song.name in seen:
                    raise ValueError(f"two songs named {song.name!r}: in {seen[song.name]} and {root}")
                seen[song.name] = root
    for root in map(Path, roots):
        for subset in ("train", "test"):
            (out / subset).mkdir(parents=True, exist_ok=True)
            for song in (root / subset).iterdir() if (root / subset).is_dir() else []:
                if song.is_dir():
                    (out / subset / song.name).symlink_to(song.resolve(), target_is_directory=True)
    (out / "setup.yaml").write_text(yaml.safe_dump({**(setup or {}), "validation_tracks": validation}))
    return out
