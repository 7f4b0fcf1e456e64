"""Seconds to separate 60 s of stereo 44.1 kHz audio with every method, on one CPU thread, and the
real-time factor (RTF: seconds of work per second of audio; under 1 is faster than real time).

Each method runs in a fresh Python process (``OMP_NUM_THREADS=1``, ``torch.set_num_threads(1)``),
so no cache or warm-up of one method helps the next. Like the ``seplib`` command, the process keeps
the memory it frees (:func:`seplib.config.keep_freed_memory`); ``--give-back`` times glibc's default
instead, as a notebook's kernel runs. The audio is a synthetic song
(:func:`seplib.data.synth.make_song`, seed 0); the oracles get its true stems. What a method
needs beyond the mixture:

* ``unet``: the checkpoint shipped with the package (:func:`seplib.models.shipped_checkpoint`);
* the other networks: the run's trained checkpoint (``--size``) when there is one, else an
  untrained model of that size (the same cost: speed does not depend on the weights);
* ``nmf-supervised``: the run's cached dictionaries when they exist, else skipped with the reason.

Loading (a checkpoint, dictionaries) is timed apart from separating. Every method is timed
``--repeat`` times in its process; the table gives the fastest, in wall-clock and in CPU seconds
(CPU seconds are the steadier figure on a shared machine). Where a GPU is present the networks
are timed on it too. Prints one JSON row per (method, device), then a table; the U-Net's bar
(``RTF_BAR``) is checked and reported, never asserted.

    python benchmarks/separation_speed.py
    python benchmarks/separation_speed.py --methods unet hpss --seconds 60 --json speed.json
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RATE = 44100
RTF_BAR = {"unet": 0.05}
"""The most real-time factor a method may take on one CPU thread (README's bar for separating your own song)."""


def write_song(path, seconds, rate=RATE):
    """Write the test song and its stems to ``path`` (``.npz``): ``mixture`` and one array per stem."""
    import numpy as np

    from seplib.data.synth import make_song

    stems, _ = make_song(0, seconds, rate)
    np.savez(path, mixture=sum(stems.values()), **stems)
    return path


def needs(method, size, device):
    """What ``method`` needs beyond the mixture: ``(kwargs, what it used)``; ``(None, reason)`` to skip."""
    from seplib import methods, models
    from seplib.run import current

    record = methods.get(method)
    if method == "unet":
        return {"checkpoint": models.shipped_checkpoint(), "device": device}, "shipped checkpoint"
    if record.family == "learned":
        path = models.default_checkpoint(method, current(size=size))
        if path.is_file():
            return {"checkpoint": path, "device": device}, f"trained {size} checkpoint"
        return {"model": models.build(method, **models.hparams(method, size)).to(device).eval()}, \
            f"untrained {size} model (same cost)"
    if method == "nmf-supervised":
        path = dictionary_file(size)
        if not path.is_file():
            return None, f"no {size} dictionaries cached ({path.name}): learn them in notebook 04"
        import torch

        return {"dictionaries": torch.load(path, map_location="cpu")["dictionaries"]}, f"cached {size} dictionaries"
    return {}, ""


def dictionary_file(size):
    """Where :func:`seplib.classical.nmf.supervised_dictionaries` caches the run's default dictionaries."""
    from seplib.classical import nmf
    from seplib.data.musdb import dataset_name, root_and_size

    root, size = root_and_size(None, size, None)
    defaults = nmf.settings(size)
    params = {"n_components": defaults["dict_components"], "beta": "kl", "n_iter": defaults["dict_iter"],
              "seconds": defaults["dict_seconds"], "n_fft": nmf.N_FFT, "hop": nmf.HOP, "seed": 0}
    return nmf.dictionary_path(dataset_name(root, size), params)


def child(method, song, size, device, repeat, keep=True):
    """Time one method in this process; print one JSON row."""
    import numpy as np
    import torch

    from seplib import methods, separate
    from seplib.config import keep_freed_memory

    torch.set_num_threads(1)
    kept = keep_freed_memory() if keep else False
    data = np.load(song)
    mixture = data["mixture"]
    row = {"method": method, "device": device, "audio_seconds": round(mixture.shape[1] / RATE, 2),
           "freed_memory": "kept" if kept else "given back"}
    start = time.perf_counter()
    kwargs, row["uses"] = needs(method, size, device)
    if kwargs is None:
        print(json.dumps({**row, "skipped": row.pop("uses")}))
        return
    if methods.get(method).needs_references:
        kwargs["references"] = {stem: data[stem] for stem in methods.get(method).stems}
    if "checkpoint" in kwargs:  # load once, outside the timing, as a long-running program would
        from seplib.models import load

        kwargs["model"] = load(kwargs.pop("checkpoint"), device=kwargs.pop("device"), name=method)
    kwargs.pop("device", None)
    row["setup_seconds"] = round(time.perf_counter() - start, 3)
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        with torch.no_grad():
            estimates = separate(method, mixture, RATE, **kwargs)
        if device != "cpu":
            torch.cuda.synchronize()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    assert all(e.shape == mixture.shape for e in estimates.values())
    row.update(seconds=round(min(walls), 3), cpu_seconds=round(min(cpus), 3))
    row.update(rtf=round(row["seconds"] / row["audio_seconds"], 4),
               cpu_rtf=round(row["cpu_seconds"] / row["audio_seconds"], 4))
    print(json.dumps(row))


def measure(method, song, size, device="cpu", repeat=2, keep=True):
    """One fresh subprocess, one thread, for one method; its JSON row (or the error's last line)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, __file__, "--child", method, str(song), size, device, str(repeat),
                           "keep" if keep else "give-back"],
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        return {"method": method, "device": device, "error": (proc.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def table(rows):
    """A markdown table: seconds, CPU seconds and real-time factors per method and device."""
    lines = ["| method | device | seconds | CPU seconds | RTF | CPU RTF | uses |",
             "| --- | --- | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        if "seconds" in r:
            lines.append(f"| {r['method']} | {r['device']} | {r['seconds']:.2f} | {r['cpu_seconds']:.2f} | "
                         f"{r['rtf']:.3f} | {r['cpu_rtf']:.3f} | {r['uses']} |")
        else:
            lines.append(f"| {r['method']} | {r['device']} | - | - | - | - | "
                         f"{r.get('skipped') or 'error: ' + r.get('error', '?')[:60]} |")
    return "\n".join(lines)


def bars(rows):
    """One line per bar of :data:`RTF_BAR` on the CPU: met or not, by wall-clock and by CPU time."""
    said = []
    for r in rows:
        bar = RTF_BAR.get(r["method"])
        if bar is None or r["device"] != "cpu" or "rtf" not in r:
            continue
        verdict = "met" if r["cpu_rtf"] < bar else "NOT met"
        said.append(f"{r['method']}: real-time factor {r['rtf']:.3f} wall-clock, {r['cpu_rtf']:.3f} CPU time "
                    f"on one thread; bar {bar}: {verdict} (CPU time; wall-clock {'under' if r['rtf'] < bar else 'over'})")
    return said


def main(argv=None):
    import torch

    from seplib import methods

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the song (default 60)")
    parser.add_argument("--methods", nargs="+", default=None, help="default: every registered method")
    parser.add_argument("--size", default="lab", help="the run whose trained models and dictionaries to use")
    parser.add_argument("--repeat", type=int, default=2, help="timings per method (the fastest is kept)")
    parser.add_argument("--json", help="also write the rows here")
    parser.add_argument("--give-back", action="store_true",
                        help="glibc's default: freed memory goes back to the system (as in a notebook's kernel)")
    parser.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        method, song, size, device, repeat, keep = args.child
        return child(method, song, size, device, int(repeat), keep == "keep")
    names = args.methods or methods.names()
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    if len(devices) == 1:
        print("no GPU here: CPU only")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        song = write_song(Path(tmp) / "song.npz", args.seconds)
        for method in names:
            for device in devices:
                if device != "cpu" and methods.get(method).family != "learned":
                    continue
                rows.append(measure(method, song, args.size, device, args.repeat, keep=not args.give_back))
                print(json.dumps(rows[-1]), flush=True)
    print(table(rows))
    for line in bars(rows):
        print(line)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    return rows


if __name__ == "__main__":
    main()
