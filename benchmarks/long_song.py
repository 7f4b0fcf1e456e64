"""Seconds and peak memory of every method on long stereo songs (1, 5 and 10 minutes).

The song is a synthetic 30 s song (:func:`seplib.data.synth.make_song`) tiled to the length.
Each (method, length) runs in a fresh Python process, so its peak resident memory is its
own: the peak while the method runs (Linux ``VmHWM``, reset after the song is made; else the
process's ``getrusage`` peak), Python, torch, the song and its estimates included;
``before_gib`` is what the process held before the method started. ``nmf-supervised`` uses the quick dictionaries; the learned models are untrained
quick models (their cost, not their quality); the oracles get the song's four true stems
(also tiled) as a MUSDB18-HQ track of float WAV files, from which they read one block at a
time, or, with ``--references memory``, as four more song-sized arrays in memory. Prints JSON, one row per (method,
length), then a table: peak GiB, seconds and CPU seconds per length, and the CPU-time ratios
of successive lengths (linear time: the ratio of the lengths). On a shared machine the CPU
seconds (of the child process) are the steadier measure; the wall seconds grow with the load.

    python benchmarks/long_song.py --minutes 1 5 10
    python benchmarks/long_song.py --minutes 10 --methods hpss repet-sim
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

METHODS = ("mixture", "hpss", "repet", "repet-sim", "nmf", "nmf-supervised", "classical-repet",
           "classical-nmf", "oracle-ibm", "oracle-irm", "oracle-wiener", "unet", "demucs-lite", "dprnn",
           "conv1d")
RATE = 44100
SONG_SECONDS = 30.0


def long_song(minutes, rate=RATE, stems=False):
    """A ``(2, minutes * 60 * rate)`` float32 mixture: one synthetic song tiled to the length.

    With ``stems=True``, also its true stems ``{stem: (2, samples)}``, tiled alike.
    """
    import numpy as np

    from seplib.data.synth import make_song

    parts, _ = make_song(0, SONG_SECONDS, rate)
    n = int(round(minutes * 60 * rate))

    def tiled(x):  # written in place: no second song-sized copy
        x = np.asarray(x, dtype=np.float32)
        out = np.empty((x.shape[0], n), dtype=np.float32)
        for start in range(0, n, x.shape[1]):
            out[:, start:start + x.shape[1]] = x[:, :n - start]
        return out

    song = tiled(sum(parts.values()))
    if not stems:
        return song
    return song, {stem: tiled(x) for stem, x in parts.items()}


def method_kwargs(method):
    """What a method needs beyond the mixture here: quick dictionaries, an untrained quick model."""
    from seplib import methods

    record = methods.get(method)
    if method == "nmf-supervised":
        from seplib.classical.nmf import supervised_dictionaries

        return {"dictionaries": supervised_dictionaries(size="quick")}
    if record.family == "learned":
        from seplib.models.registry import build, hparams

        return {"model": build(method, **hparams(method, "quick")).eval()}
    return {}


def wav_track(mixture, stems, folder):
    """The song as a one-track MUSDB18-HQ tree under ``folder`` (float WAV files), opened with musdb."""
    import soundfile as sf

    from seplib.data import open_dataset

    song = os.path.join(folder, "test", "Long song")
    os.makedirs(song)
    for name, audio in {"mixture": mixture, **stems}.items():
        sf.write(os.path.join(song, f"{name}.wav"), audio.T, RATE, subtype="FLOAT")
    return open_dataset("test", root=folder)[0]


def warm_up(gib):
    """Touch ``gib`` GiB of fresh memory, then free it.

    On a virtual machine whose memory the host hands over page by page, the first touch of a
    fresh page can cost far more than the work done on it (12 CPU-seconds per GiB on the machine
    of benchmarks/README.md, 0.2 s the second time): the song-sized arrays a method allocates
    then make its time grow with the memory it touches for the first time, not with its work.
    Touched once here, the pages come back cheaply. The peak memory is reset afterwards.
    """
    import numpy as np

    if gib > 0:
        block = np.ones(int(gib * 2 ** 28), dtype=np.float32)
        del block


def child(method, minutes, references="files", warm_gib=0.0):
    """Run one method once on one length, in this process; print one JSON row."""
    import tempfile

    import torch

    from seplib import methods, separate

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    kwargs = method_kwargs(method)
    needs_references = methods.get(method).needs_references
    folder = None  # the oracles' WAV track, when they read one
    if needs_references:
        mixture, stems = long_song(minutes, stems=True)
        if references == "files":  # a MUSDB18-HQ track: the oracle reads each block of the stems
            folder = tempfile.TemporaryDirectory(prefix="seplib-long-song-")
            from seplib.data import references_of

            kwargs["references"] = references_of(wav_track(mixture, stems, folder.name))
            del stems
        else:
            kwargs["references"] = stems
    else:
        mixture = long_song(minutes)
    warm_up(warm_gib)
    before = rss_gib("VmRSS")  # Python, torch, the inputs
    reset = reset_peak()  # the peak of making the song is not the method's
    start, cpu = time.perf_counter(), time.process_time()
    with torch.no_grad():
        estimates = separate(method, mixture, RATE, **kwargs)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert all(e.shape == mixture.shape for e in estimates.values())
    peak = rss_gib("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20
    if folder is not None:
        folder.cleanup()
    row = {"method": method, "minutes": minutes, "seconds": round(seconds, 1),
           "cpu_seconds": round(cpu, 1), "peak_gib": round(peak, 3), "before_gib": round(before, 3)}
    if needs_references:
        row["references"] = references
    print(json.dumps(row))


def rss_gib(field):
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process in GiB, from /proc (Linux); else 0."""
    try:
        with open("/proc/self/status") as f:
            line = next(line for line in f if line.startswith(field + ":"))
    except (OSError, StopIteration):
        return 0.0
    return int(line.split()[1]) / 2 ** 20  # kB -> GiB


def reset_peak():
    """Reset this process's peak resident memory (Linux: ``VmHWM``); False where that cannot be done."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return rss_gib("VmHWM") > 0
    except OSError:
        return False


def measure(method, minutes, references="files", warm_gib=0.0):
    """One fresh subprocess for (method, minutes); its row, with the child's peak RSS."""
    proc = subprocess.run([sys.executable, __file__, "--child", method, str(minutes), "--references", references,
                           "--warm-gib", str(warm_gib)], capture_output=True, text=True)
    if proc.returncode != 0:
        return {"method": method, "minutes": minutes, "error": (proc.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[1, 5, 10])
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--references", default="files", choices=("files", "memory"),
                        help="the oracles' true stems: a MUSDB18-HQ track's WAV files (read a block at a "
                             "time) or four arrays in memory")
    parser.add_argument("--warm-gib", type=float, default=2.0,
                        help="GiB of fresh memory each child touches and frees before the method runs "
                             "(see warm_up; 0: none)")
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "MINUTES"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child[0], float(args.child[1]), args.references, args.warm_gib)
    rows = []
    for method in args.methods:
        for minutes in args.minutes:
            rows.append(measure(method, minutes, args.references, args.warm_gib))
            print(json.dumps(rows[-1]), flush=True)
    print(table(rows, args.minutes))


def table(rows, minutes):
    """A markdown table: per method, seconds and peak GiB at each length, and time ratios."""
    cells = {(r["method"], r["minutes"]): r for r in rows}
    names = list(dict.fromkeys(r["method"] for r in rows))
    pairs = list(zip(minutes, minutes[1:]))
    head = ([f"{m:g} min: GiB / s / CPU s" for m in minutes]
            + [f"CPU {b:g}/{a:g} (length x{b / a:g})" for a, b in pairs])
    lines = ["| method | " + " | ".join(head) + " |", "| --- |" + " ---: |" * len(head)]
    for name in names:
        row = []
        for m in minutes:
            r = cells.get((name, m), {})
            row.append(f"{r['peak_gib']:.2f} / {r['seconds']:.1f} / {r['cpu_seconds']:.1f}" if "seconds" in r
                       else r.get("error", "-")[:40])
        for a, b in pairs:
            ra, rb = cells.get((name, a), {}), cells.get((name, b), {})
            row.append(f"{rb['cpu_seconds'] / ra['cpu_seconds']:.1f}" if ra.get("cpu_seconds") and "cpu_seconds" in rb
                       else "-")
        lines.append(f"| {name} | " + " | ".join(row) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
