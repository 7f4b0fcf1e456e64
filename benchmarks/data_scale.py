"""Training at MUSDB18 scale: peak memory of `seplib train unet` for 6, 12 and 24 songs of 4
minutes, chunks per second read from disk with 0, 1 and 2 DataLoader workers against what one
training step consumes, and the time `seplib data decode` takes per minute of audio.

The songs are synthetic (:func:`seplib.data.synth.make_song`, 30 s each, tiled to the length;
each mixture exactly the sum of its stems), written once as 16-bit WAVs in the MUSDB18-HQ
layout under ``data/synth-scale/`` (git-ignored; reused when present). The 6-, 12- and 24-song
trees hold hard links to the same files, plus two validation songs of the same length listed
in their ``setup.yaml`` (musdb's own split mechanism). Each training runs as a fresh
``seplib train`` process; its peak resident memory is read with ``os.wait4`` (the process and
any workers it waited for). The step time is the U-Net's at the plan's batch on this machine's
CPU (one torch thread unless ``OMP_NUM_THREADS`` says otherwise); a GPU's cannot be measured
here. Prints a table, then JSON.

    python benchmarks/data_scale.py
    python benchmarks/data_scale.py --songs 6 12 24 --minutes 4 --size full --steps 3 --json scale.json
"""
from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "data" / "synth-scale"
SONG_SECONDS = 30.0
VALID = 2
"""Validation songs in every tree (as long as the training songs)."""


def _make(args):
    """Write one pool song: a synthetic song (30 s) tiled to ``minutes``, five 16-bit WAVs."""
    import numpy as np

    from seplib.data.synth import _write_song, make_song

    folder, seed, minutes, song_seconds = args
    if (folder / "vocals.wav").is_file():
        return
    stems, info = make_song(seed, song_seconds)
    n = int(round(minutes * 60 * info["rate"]))
    stems = {s: np.tile(x, (1, -(-n // x.shape[1])))[:, :n] for s, x in stems.items()}  # (channels, n)
    tmp = folder.with_name(f".{folder.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    _write_song(tmp, folder.name, stems, info)
    os.replace(tmp, folder)


def pool_names(songs):
    """Names of the training songs and the validation songs of the pool."""
    return ([f"Scale {i + 1:03d} - Train" for i in range(songs)],
            [f"Scale {900 + i:03d} - Valid" for i in range(VALID)])


def write_pool(folder, songs, minutes, workers=2, progress=True, song_seconds=SONG_SECONDS):
    """Write (or reuse) ``songs`` training songs and the validation songs of ``minutes`` each,
    each a synthetic song of ``song_seconds`` tiled.

    Returns:
        pool (Path): ``folder/pool-<minutes>min``, one sub-folder per song
    """
    from tqdm.auto import tqdm

    pool = Path(folder) / f"pool-{minutes:g}min"
    train, valid = pool_names(songs)
    todo = [(pool / name, 1000 + i, minutes, song_seconds) for i, name in enumerate(train + valid)]
    pool.mkdir(parents=True, exist_ok=True)
    with concurrent.futures.ProcessPoolExecutor(workers) if workers > 1 else contextlib.nullcontext() as ex:
        list(tqdm((ex.map if ex else map)(_make, todo), total=len(todo), desc="writing songs", disable=not progress))
    return pool


def tree(pool, songs):
    """A MUSDB18-HQ tree of the first ``songs`` training songs and the validation songs: hard links.

    Returns:
        root (Path): ``<pool>-<songs>songs`` with ``train/``, an empty ``test/`` and ``setup.yaml``
    """
    import musdb
    import yaml

    root = pool.with_name(f"{pool.name}-{songs}songs")
    train, valid = pool_names(songs)
    for name in train + valid:
        target = root / "train" / name
        if not target.is_dir():
            tmp = target.with_name(f".{name}.tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            for wav in (pool / name).glob("*.wav"):
                try:
                    os.link(wav, tmp / wav.name)
                except OSError:  # a file system without hard links
                    shutil.copyfile(wav, tmp / wav.name)
            os.replace(tmp, target)
    (root / "test").mkdir(exist_ok=True)
    with open(Path(musdb.__file__).parent / "configs" / "mus.yaml") as f:
        setup = yaml.safe_load(f)
    setup["validation_tracks"] = valid
    (root / "setup.yaml").write_text(yaml.safe_dump(setup, sort_keys=False))
    return root


def peak_rss(command, env=None):
    """Run ``command`` as a fresh process; its peak resident memory (GiB), seconds and status.

    Returns:
        row (dict): ``peak_gib``, ``seconds``, ``status``, ``tail`` (the last line it printed)
    """
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        log.seek(0)
        lines = log.read().decode(errors="replace").replace("\r", "\n").strip().splitlines()
    return {"peak_gib": round(usage.ru_maxrss / 2**20, 3), "seconds": round(seconds, 1),  # KiB (Linux)
            "status": proc.returncode, "tail": lines[-1] if lines else ""}


def train_rss(root, size, steps, load="auto", model="unet"):
    """Peak RSS of ``seplib train MODEL --root ROOT --size SIZE --steps STEPS`` in a fresh process."""
    with tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "SEPLIB_MODELS": out}
        return peak_rss([sys.executable, "-m", "seplib", "train", model, "--size", size, "--steps", str(steps),
                         "--root", str(root), "--load", load, "--out", str(Path(out) / model)], env=env)


def chunk_rate(root, workers, batches=8, batch_size=8, seconds=6.0, load="disk"):
    """Chunks per second that :func:`seplib.train.batches` delivers from the training songs.

    The clock starts when the first batch is there (the workers have started: once per run),
    so the rate is the steady one a long training sees.

    Returns:
        (rate, cpu_rate): chunks per second of wall-clock time over batches 2 to ``batches``,
        and, with ``workers=0``, chunks per second of this process's CPU time (what one core
        makes when it does nothing else; ``None`` with workers)
    """
    from seplib.data import open_dataset
    from seplib.data.chunks import RandomChunks
    from seplib.train import batches as make_batches

    data = RandomChunks(open_dataset("train", root=root), seconds, samples_per_epoch=batch_size * batches,
                        seed=0, load=load)
    stream = make_batches(data, 0, batches, batch_size, workers=workers)
    next(stream)                                             # workers started, first batch made
    start, cpu = time.perf_counter(), time.process_time()
    count = sum(len(mixture) for mixture, _ in stream)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return count / wall, (count / cpu if workers == 0 else None)


def step_seconds(size="full", model="unet", repeats=2):
    """Seconds of one training step of ``model`` at the plan's batch and chunk length, on the CPU.

    Returns:
        (seconds, plan): the median of ``repeats`` steps after one warm-up step, and the plan
    """
    import numpy as np
    import torch

    from seplib import models
    from seplib.losses import loss_for
    from seplib.spectral import seconds_to_samples
    from seplib.train import plan, train_step

    todo = plan(model, size)
    torch.manual_seed(0)
    net = models.build(model, **models.hparams(model, size))
    optimizer = torch.optim.AdamW(net.parameters(), lr=1e-3)
    n = seconds_to_samples(todo["seconds"], 44100)
    stems = torch.randn(todo["batch_size"], 4, 2, n) * 0.1   # (batch, stems, channels, samples)
    loss, times = loss_for(model, **todo["loss"]), []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        train_step(net, loss, optimizer, stems.sum(1), stems)
        times.append(time.perf_counter() - start)
    return float(np.median(times[1:])), todo


def decode_speed(pool, songs, folder, workers=None):
    """Seconds ``seplib data decode`` takes per minute of audio, on a .stem.mp4 tree of pool songs.

    The songs are encoded once (AAC, as MUSDB18) into ``folder/stems-...`` and reused.

    Returns:
        row (dict): ``songs``, ``minutes`` (of audio), ``seconds``, ``seconds_per_minute``
    """
    import numpy as np
    import soundfile as sf
    import stempeg

    from seplib.data.decode import decode_tree

    stems_root = Path(folder) / f"stems-{pool.name}-{songs}songs"
    names = pool_names(songs)[0]
    frames = 0
    for name in names:
        path = stems_root / "train" / f"{name}.stem.mp4"
        audio = [sf.read(pool / name / f"{s}.wav", dtype="float32")[0]
                 for s in ("mixture", "drums", "bass", "other", "vocals")]   # each (samples, channels)
        frames += len(audio[0])
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".tmp-{path.name}")
            stempeg.write_stems(str(tmp), np.stack(audio), sample_rate=44100, writer=stempeg.StreamsWriter(codec="aac"))
            os.replace(tmp, path)
    (stems_root / "test").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as out:
        start = time.perf_counter()
        decode_tree(stems_root, Path(out) / "wav", workers=workers, progress=False)
        seconds = time.perf_counter() - start
    minutes = frames / 44100 / 60
    return {"songs": songs, "minutes": round(minutes, 2), "seconds": round(seconds, 1),
            "seconds_per_minute": round(seconds / minutes, 2)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--songs", type=int, nargs="+", default=[6, 12, 24])
    parser.add_argument("--minutes", type=float, default=4.0, help="length of every song")
    parser.add_argument("--size", default="full", help="run size of the training plan and the U-Net")
    parser.add_argument("--steps", type=int, default=2, help="training steps per measured run")
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2], help="DataLoader workers to time")
    parser.add_argument("--batches", type=int, default=9, help="batches per chunk-rate measurement (the first untimed)")
    parser.add_argument("--skip-train", action="store_true", help="time the chunks only (no peak-RSS runs)")
    parser.add_argument("--memory-contrast", action="store_true",
                        help="also train the smallest tree with --load memory (every song in RAM)")
    parser.add_argument("--decode-songs", type=int, default=2, help="songs to decode for the timing (0: skip)")
    parser.add_argument("--folder", default=str(FOLDER))
    parser.add_argument("--json", help="write the JSON here too")
    args = parser.parse_args(argv)

    from seplib.train import plan

    folder = Path(args.folder)
    pool = write_pool(folder, max(args.songs), args.minutes)
    todo = plan("unet", args.size)
    step, _ = step_seconds(args.size)
    consumed = todo["batch_size"] / step
    rows = []
    for songs in args.songs:
        root = tree(pool, songs)
        row = {"songs": songs, "minutes": args.minutes}
        if not args.skip_train:
            row.update(train_rss(root, args.size, args.steps))
        rates = {w: chunk_rate(root, w, args.batches, todo["batch_size"], todo["seconds"]) for w in args.workers}
        row["chunks_per_s"] = {str(w): round(r[0], 1) for w, r in rates.items()}
        row["chunks_per_cpu_s"] = next((round(r[1], 1) for r in rates.values() if r[1]), None)
        rows.append(row)
        print(json.dumps(row), flush=True)
    contrast = None
    if args.memory_contrast:
        contrast = {"songs": min(args.songs), **train_rss(tree(pool, min(args.songs)), args.size, args.steps,
                                                          load="memory")}
    decoded = decode_speed(pool, args.decode_songs, folder) if args.decode_songs else None
    first, last = rows[0].get("peak_gib"), rows[-1].get("peak_gib")
    result = {
        "size": args.size, "steps": args.steps, "batch_size": todo["batch_size"], "chunk_seconds": todo["seconds"],
        "threads": int(os.environ.get("OMP_NUM_THREADS", "0") or 0) or None,
        "rows": rows, "rss_growth": round(last / first - 1, 3) if first else None,
        "step_seconds_cpu": round(step, 2), "chunks_consumed_per_s_cpu": round(consumed, 2),
        "step_seconds_gpu": None, "memory_contrast": contrast, "decode": decoded,
    }
    header = ("songs  minutes  peak RSS (GiB)  train s  " + "  ".join(f"chunks/s w={w}" for w in args.workers)
              + "  chunks/CPU-s")
    print("\n" + header)
    for row in rows:
        print(f"{row['songs']:>5}  {row['minutes']:>7g}  {row.get('peak_gib', float('nan')):>14.2f}  "
              f"{row.get('seconds', float('nan')):>7.0f}  "
              + "  ".join(f"{row['chunks_per_s'][str(w)]:>12.1f}" for w in args.workers)
              + f"  {row['chunks_per_cpu_s'] or float('nan'):>12.1f}"
              + ("" if row.get("status", 0) == 0 else f"  (failed: {row['tail']})"))
    if result["rss_growth"] is not None:
        print(f"peak RSS grows {100 * result['rss_growth']:+.1f} % from {rows[0]['songs']} to {rows[-1]['songs']} songs")
    print(f"one U-Net training step ({args.size} plan: batch {todo['batch_size']} x {todo['seconds']:g} s) takes "
          f"{step:.2f} s on this CPU: it consumes {consumed:.2f} chunks/s; a GPU's step cannot be measured here")
    per_core = rows[-1]["chunks_per_cpu_s"]
    if per_core:
        print(f"one free core makes {per_core:.0f} chunks per second from disk: enough for a step of "
              f"{todo['batch_size'] / per_core:.2f} s or more; a faster GPU step needs workers "
              "(fit starts one per spare core on CUDA, up to 8)")
    if contrast:
        print(f"the {contrast['songs']} songs read into memory (--load memory): peak RSS {contrast['peak_gib']:.2f} GiB")
    if decoded:
        print(f"seplib data decode: {decoded['seconds_per_minute']:.2f} s per minute of audio "
              f"({decoded['songs']} songs, {decoded['minutes']:g} min, {decoded['seconds']:g} s)")
    print(json.dumps(result, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
