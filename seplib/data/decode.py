"""Decode MUSDB18 (``.stem.mp4``) once into the MUSDB18-HQ layout (one WAV per stem).

MUSDB18 keeps each song as one compressed file with five streams (mixture, drums, bass,
other, vocals).  Reading it means running ffmpeg, which is slow at every training step; and
reading a few seconds of it means decoding from the start.  Decoded once into WAV files, the
same songs open instantly and a training chunk reads only its own samples
(:class:`seplib.data.chunks.SongsOnDisk`).  ``seplib data decode --root MUSDB18 --out DIR``
calls :func:`decode_tree`.

The WAVs hold exactly what ``musdb`` decodes (it asks ffmpeg for 16-bit samples, and so do
we), so scores on the decoded tree are those on the ``.stem.mp4`` tree.

Taught in: 09_real_music
"""
from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
import soundfile as sf

from ..stems import STEMS
from .layout import layout_of
from ..stems import RATE
from .layout import check_track_folder
from .. import config

PARTIAL = ".partial"
"""Songs being written live in ``OUT/.partial/<subset>/<name>`` until they are whole, then move in."""
MARKER = "decoded.json"
"""The file that says a folder is a decoded tree, and of which source."""
FILES = ("mixture",) + STEMS


def stem_tracks(root):
    """The ``.stem.mp4`` songs of a MUSDB18 tree, per subset.

    Args:
        root (Path): a folder with ``train/`` and ``test/`` holding ``*.stem.mp4`` files

    Returns:
        songs (list of (subset, name, path, stem_ids)): ``stem_ids`` maps ``mixture`` and each
        stem to its stream in the file (musdb's setup)
    """
    import musdb


    root = Path(root)
    layout = layout_of(root)  # a missing or empty tree: one line naming it
    if layout != "stems":
        raise ValueError(f"{root} already holds WAV files (the MUSDB18-HQ layout): train on it as it is, "
                         "no decoding needed")
    songs = []
    for subset in ("train", "test"):
        if not (root / subset).is_dir():
            continue
        try:
            db = musdb.DB(root=str(root), is_wav=False, subsets=subset)
        except Exception as err:  # noqa: BLE001 - musdb probes every file and names none
            bad = next((problem for path in sorted((root / subset).rglob("*.stem.mp4"))
                        for problem in [_unreadable(path)] if problem), None)
            raise ValueError(bad or f"{root / subset}: musdb cannot read it ({' '.join(str(err).split())})") from None
        for track in db.tracks:
            ids = {"mixture": 0, **{s: track.sources[s].stem_id for s in STEMS}}
            songs.append((subset, track.name, str(track.path), ids))
    return songs


def _unreadable(path):
    """Why a ``.stem.mp4`` cannot be read (``None``: ffprobe reads it)."""
    import stempeg

    if Path(path).stat().st_size == 0:
        return f"{path} is empty (0 bytes): not a .stem.mp4"
    try:
        stempeg.Info(str(path))
    except Exception:  # noqa: BLE001 - ffprobe's error says only "ffprobe error"
        return f"{path}: not a readable .stem.mp4 (ffprobe cannot read it: damaged, cut short, or another kind of file)"
    return None


def _check_streams(path, info, stem_ids):
    """Refuse a ``.stem.mp4`` without the five streams of MUSDB18 at 44100 Hz, before writing."""

    need = max(stem_ids.values()) + 1
    if info.nb_audio_streams < need:
        raise ValueError(f"{path} holds {info.nb_audio_streams} audio stream(s); a MUSDB18 .stem.mp4 holds "
                         f"{need} ({', '.join(stem_ids)})")
    rates = sorted({int(info.sample_rate(stream)) for stream in stem_ids.values()})
    if rates != [RATE]:
        raise ValueError(f"{path} is at {' and '.join(map(str, rates))} Hz; MUSDB18 songs are {RATE} Hz: "
                         f"resample it to {RATE} Hz first (nothing was written for it)")


def decode_song(path, folder, stem_ids):
    """Decode one ``.stem.mp4`` into ``folder/{mixture,drums,bass,other,vocals}.wav`` (16-bit).

    The files are written into a sibling temporary folder first; ``folder`` appears, whole, by
    one rename, so an interrupted decode never leaves a half-written song where a whole one
    should be.

    Args:
        path (str): the ``.stem.mp4`` file
        folder (Path): where the song's WAVs go (must not exist yet)
        stem_ids (dict): ``{file name without .wav: stream index}``

    Returns:
        seconds (float): the song's length in seconds
    """
    import stempeg

    folder = Path(folder)
    tmp = folder.parent.parent / PARTIAL / folder.parent.name / folder.name  # OUT/.partial/subset/name
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    problem = _unreadable(path)
    if problem:
        raise ValueError(problem)
    info = stempeg.Info(path)
    _check_streams(path, info, stem_ids)
    frames = None
    for name, stream in stem_ids.items():
        # the very call musdb makes (16-bit samples from ffmpeg, from the start), kept as integers
        audio, rate = stempeg.read_stems(path, stem_id=stream, start=0, duration=None, info=info,
                                         ffmpeg_format="s16le", dtype=np.int16)
        audio = audio.reshape(audio.shape[0], -1)        # (samples, channels)
        if frames is not None and audio.shape[0] != frames:
            raise ValueError(f"{path}: stream {stream} ({name}) has {audio.shape[0]} samples, the mixture {frames}")
        frames = audio.shape[0]
        sf.write(tmp / f"{name}.wav", audio, int(rate), subtype="PCM_16", format="WAV")
    os.replace(tmp, folder)
    return frames / float(rate)


def _song_done(folder):
    """Whether a decoded song's folder is whole: its five WAVs there, complete, of one length."""

    if not folder.is_dir():
        return False
    try:
        check_track_folder(folder)
        return True
    except ValueError as err:
        print(f"decoding {folder.name} again: {err}")
        shutil.rmtree(folder)
        return False


def _check_out(root, out):
    """Refuse an ``out`` inside the source tree, or a folder holding something else."""
    root_r, out_r = root.resolve(), out.resolve()
    if out_r == root_r or root_r in out_r.parents:
        raise ValueError(f"--out {out} is inside the source tree {root}: decode into a folder outside it "
                         "(nothing was written)")
    if out_r in root_r.parents:
        raise ValueError(f"--out {out} holds the source tree {root}: decode into a folder outside it "
                         "(nothing was written)")
    marker = out / MARKER
    if marker.is_file():
        try:
            source = json.loads(marker.read_text()).get("source")
        except (ValueError, UnicodeDecodeError, AttributeError) as err:
            raise ValueError(f"{marker} is damaged (not the JSON object seplib writes: "
                             f"{' '.join(str(err).split())}): remove it, or the whole folder {out}, to decode "
                             "again (nothing was written)") from None
        if source != str(root_r):
            raise ValueError(f"{out} holds the decoded songs of {source}, not of {root_r}: give another --out "
                             "(nothing was written)")
    elif out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(f"--out {out} is not empty and not a decoded tree (no {MARKER}): give a new or "
                         "empty folder (nothing was written)")


def decode_tree(root, out, workers=None, progress=True):
    """Decode a MUSDB18 ``.stem.mp4`` tree into the MUSDB18-HQ layout, once.

    ``out/train/<name>/{mixture,drums,bass,other,vocals}.wav`` and the same under ``test/``
    (16-bit WAV, exactly the samples musdb decodes), plus ``setup.yaml`` if the source has one
    (otherwise musdb's own train/valid split applies to the decoded tree as to the source).
    Songs already decoded are kept; a song an interrupted run left half-written is decoded
    again, never kept. Run it again after a break: it carries on.

    Args:
        root (str or Path): the MUSDB18 folder (``train/`` and ``test/`` of ``*.stem.mp4``)
        out (str or Path): a new or empty folder, or one this function filled before from the
            same ``root``; never inside ``root``
        workers (int): songs decoded side by side, each in its own process (default: up to
            4, one per CPU core)
        progress (bool): a progress bar over the songs

    Returns:
        out (Path)

    Raises:
        ValueError: ``root`` is not a ``.stem.mp4`` tree; ``out`` is inside it or holds
            something else (nothing is written then)

    Taught in: 09_real_music
    """
    from tqdm.auto import tqdm


    root, out = Path(root).expanduser(), Path(out).expanduser()
    songs = stem_tracks(root)
    _check_out(root, out)
    workers = workers or min(4, os.cpu_count() or 1)
    out.mkdir(parents=True, exist_ok=True)
    with config.locked(out / ".decode.lock", f"the decoding into {out}"):  # one decoder at a time per folder
        (out / MARKER).write_text(json.dumps({"source": str(root.resolve()), "layout": "MUSDB18-HQ",
                                              "subtype": "PCM_16"}, indent=1))
        shutil.rmtree(out / PARTIAL, ignore_errors=True)  # half-written songs of a stopped run
        for subset in ("train", "test"):
            (out / subset).mkdir(exist_ok=True)
        if (root / "setup.yaml").is_file():
            shutil.copyfile(root / "setup.yaml", out / "setup.yaml")
        todo = [(path, out / subset / name, ids) for subset, name, path, ids in songs
                if not _song_done(out / subset / name)]
        bar = tqdm(total=len(songs), initial=len(songs) - len(todo), desc="decoding", unit="song",
                   disable=not progress)
        # the workers end with this process (kill -9 included), and do not keep its lock
        with concurrent.futures.ProcessPoolExecutor(workers, initializer=config.die_with_parent) \
                if workers > 1 and len(todo) > 1 \
                else contextlib.nullcontext() as pool:
            if pool is None:
                for path, folder, ids in todo:
                    bar.set_postfix_str(folder.name)
                    decode_song(path, folder, ids)
                    bar.update(1)
            else:
                running = {pool.submit(decode_song, path, folder, ids): folder for path, folder, ids in todo}
                try:
                    for done in concurrent.futures.as_completed(running):
                        done.result()
                        bar.set_postfix_str(running[done].name)
                        bar.update(1)
                except BaseException:  # a failed song or Ctrl-C: start no more
                    pool.shutdown(wait=True, cancel_futures=True)
                    raise
        bar.close()
        shutil.rmtree(out / PARTIAL, ignore_errors=True)
    return out
