"""Seconds and peak memory of every method on long songs (1, 5 and 10 minutes), at any rate, mono or stereo.

The song is a synthetic 30 s song (:func:`seplib.data.synth.make_song`, made at the rate asked
for, ``--rate``, 44.1 kHz by default) tiled to the length; ``--channels 1`` takes the mean of
its two channels. A method that works at 44.1 kHz (the networks, ``nmf-supervised``) resamples
the song and its stems back itself.
Each (method, length) runs in a fresh Python process, so its peak resident memory is its
own: the peak while the method runs (Linux ``VmHWM``, reset after the song is made; else the
process's ``getrusage`` peak), Python, torch, the song and its estimates included;
``before_gib`` is what the process held before the method started; ``floor_gib`` is the least
any method must hold, the mixture and the stems it returns (float32; for an oracle given its
true stems in memory, those too). ``nmf-supervised`` uses the quick dictionaries; the learned models are untrained
quick models (their cost, not their quality); the oracles get the song's four true stems
(also tiled) as a MUSDB18-HQ track of float WAV files, from which they read one block at a
time, or, with ``--references memory`` and at any rate but 44.1 kHz (a MUSDB18-HQ track is at
44.1 kHz), as four more song-sized arrays in memory. Prints JSON, one row per (method,
length), then a table: peak GiB (floor), seconds and CPU seconds per length, and the CPU-time ratios
of successive lengths (linear time: the ratio of the lengths). On a shared machine the CPU
seconds (of the child process) are the steadier measure; the wall seconds grow with the load.

With ``--through-file`` the child instead writes the song to a float WAV file, lets go of it, and
separates it as a user would, with ``seplib separate SONG --method NAME --out DIR`` (the command
line, in the child process, which keeps the memory it frees as the command does, unless
``--give-back``; the networks are then the shipped ones): file in, stem files out. A
song longer than ``seplib.blocks.STREAM_VALUES`` (ten minutes of 44.1 kHz stereo) is then never
held whole: it is read, separated and written a segment at a time. The oracles, which need the
true stems, are not run this way; the floor is then 0.

    python benchmarks/long_song.py --minutes 1 5 10
    python benchmarks/long_song.py --minutes 10 --methods hpss repet-sim
    python benchmarks/long_song.py --minutes 10 --rate 22050 48000 96000 --channels 2
    python benchmarks/long_song.py --minutes 10 --rate 96000 --through-file
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


def long_song(minutes, rate=RATE, stems=False, channels=2):
    """A ``(channels, minutes * 60 * rate)`` float32 mixture: one synthetic song, made at ``rate``,
    tiled to the length (``channels=1``: the mean of its two channels).

    With ``stems=True``, also its true stems ``{stem: (channels, samples)}``, tiled alike.
    """
    import numpy as np

    from seplib.data.synth import make_song

    if channels not in (1, 2):
        raise ValueError(f"channels must be 1 or 2, got {channels}")
    parts, _ = make_song(0, SONG_SECONDS, rate)
    n = int(round(minutes * 60 * rate))

    def tiled(x):  # written in place: no second song-sized copy
        x = np.asarray(x, dtype=np.float32)
        if channels == 1:
            x = x.mean(axis=0, keepdims=True)
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


def wav_track(mixture, stems, folder, rate=RATE):
    """The song as a one-track MUSDB18-HQ tree under ``folder`` (float WAV files), opened with musdb."""
    import soundfile as sf

    from seplib.data import open_dataset

    song = os.path.join(folder, "test", "Long song")
    os.makedirs(song)
    for name, audio in {"mixture": mixture, **stems}.items():
        sf.write(os.path.join(song, f"{name}.wav"), audio.T, rate, subtype="FLOAT")
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


def child_file(method, minutes, warm_gib=0.0, rate=RATE, channels=2, keep=True):
    """``seplib separate`` on the song written to a float WAV file, in this process; print one JSON row."""
    import contextlib
    import io
    import tempfile

    import soundfile as sf
    import torch

    from seplib.cli import main as seplib_main
    from seplib.config import keep_freed_memory

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    with tempfile.TemporaryDirectory(prefix="seplib-long-song-") as folder:
        song = os.path.join(folder, "song.wav")
        mixture = long_song(minutes, rate, channels=channels)
        sf.write(song, mixture.T, rate, subtype="FLOAT")
        del mixture
        warm_up(warm_gib)
        kept = keep_freed_memory() if keep else False  # as the seplib command does (main() from Python does not)
        before = rss_gib("VmRSS")
        reset = reset_peak()
        start, cpu = time.perf_counter(), time.process_time()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
            code = seplib_main(["separate", song, "--method", method, "--out", os.path.join(folder, "stems")])
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        if code:
            raise SystemExit(f"seplib separate failed: {err.getvalue().strip().splitlines()[-1:]}")
        peak = rss_gib("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20
        lengths = {sf.info(os.path.join(folder, "stems", name)).frames
                   for name in os.listdir(os.path.join(folder, "stems"))}
        assert lengths == {int(round(minutes * 60 * rate))}, lengths
    print(json.dumps({"method": method, "minutes": minutes, "rate": rate, "channels": channels,
                      "seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1), "peak_gib": round(peak, 3),
                      "before_gib": round(before, 3), "floor_gib": 0.0, "through": "file",
                      "freed_memory": "kept" if kept else "given back"}))


def child(method, minutes, references="files", warm_gib=0.0, rate=RATE, channels=2):
    """Run one method once on one length, rate and channel count, in this process; print one JSON row."""
    import tempfile

    import torch

    from seplib import methods, separate

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    kwargs = method_kwargs(method)
    needs_references = methods.get(method).needs_references
    folder = None  # the oracles' WAV track, when they read one
    if needs_references:
        mixture, stems = long_song(minutes, rate, stems=True, channels=channels)
        if rate != RATE:  # a MUSDB18-HQ track is 44.1 kHz: at another rate the stems are given in memory
            references = "memory"
        if references == "files":  # a MUSDB18-HQ track: the oracle reads each block of the stems
            folder = tempfile.TemporaryDirectory(prefix="seplib-long-song-")
            from seplib.data import references_of

            kwargs["references"] = references_of(wav_track(mixture, stems, folder.name, rate))
            del stems
        else:
            kwargs["references"] = stems
    else:
        mixture = long_song(minutes, rate, channels=channels)
    warm_up(warm_gib)
    before = rss_gib("VmRSS")  # Python, torch, the inputs
    reset = reset_peak()  # the peak of making the song is not the method's
    start, cpu = time.perf_counter(), time.process_time()
    with torch.no_grad():
        estimates = separate(method, mixture, rate, **kwargs)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert all(e.shape == mixture.shape for e in estimates.values())
    peak = rss_gib("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20
    if folder is not None:
        folder.cleanup()
    held = [mixture, *estimates.values(), *(kwargs["references"].values() if references == "memory"
                                             and needs_references else ())]
    floor = sum(x.nbytes for x in held) / 2 ** 30
    row = {"method": method, "minutes": minutes, "rate": rate, "channels": channels, "seconds": round(seconds, 1),
           "cpu_seconds": round(cpu, 1), "peak_gib": round(peak, 3), "before_gib": round(before, 3),
           "floor_gib": round(floor, 3)}
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


def measure(method, minutes, references="files", warm_gib=0.0, rate=RATE, channels=2, through_file=False,
            give_back=False):
    """One fresh subprocess for (method, minutes, rate, channels); its row, with the child's peak RSS."""
    proc = subprocess.run([sys.executable, __file__, "--child", method, str(minutes), "--references", references,
                           "--warm-gib", str(warm_gib), "--rate", str(rate), "--channels", str(channels),
                           *(["--through-file"] if through_file else []), *(["--give-back"] if give_back else [])],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return {"method": method, "minutes": minutes, "rate": rate, "channels": channels,
                "error": (proc.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[1, 5, 10])
    parser.add_argument("--rate", type=int, nargs="+", default=[RATE], metavar="HZ",
                        help="the song's sample rate(s) in Hz (the song is made at each)")
    parser.add_argument("--channels", type=int, default=2, choices=(1, 2),
                        help="1: mono (the mean of the song's two channels), 2: stereo")
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--references", default="files", choices=("files", "memory"),
                        help="the oracles' true stems: a MUSDB18-HQ track's WAV files (read a block at a "
                             "time) or four arrays in memory")
    parser.add_argument("--warm-gib", type=float, default=2.0,
                        help="GiB of fresh memory each child touches and frees before the method runs "
                             "(see warm_up; 0: none)")
    parser.add_argument("--through-file", action="store_true",
                        help="separate with `seplib separate` from a WAV file of the song to stem files "
                             "(see child_file; the oracles are left out)")
    parser.add_argument("--give-back", action="store_true",
                        help="with --through-file: glibc's default, freed memory goes back to the system at once "
                             "(the command keeps it: seplib.config.keep_freed_memory)")
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "MINUTES"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        if args.through_file:
            return child_file(args.child[0], float(args.child[1]), args.warm_gib, args.rate[0], args.channels,
                              keep=not args.give_back)
        return child(args.child[0], float(args.child[1]), args.references, args.warm_gib, args.rate[0],
                     args.channels)
    methods = [m for m in args.methods if not (args.through_file and m.startswith("oracle-"))]
    rows = []
    for rate in args.rate:
        for method in methods:
            for minutes in args.minutes:
                rows.append(measure(method, minutes, args.references, args.warm_gib, rate, args.channels,
                                    args.through_file, args.give_back))
                print(json.dumps(rows[-1]), flush=True)
    print(table(rows, args.minutes, args.rate))


def table(rows, minutes, rates=(RATE,)):
    """A markdown table: per method, seconds and peak GiB at each rate and length, and time ratios
    of successive lengths (at each rate)."""
    cells = {(r["method"], r.get("rate", RATE), r["minutes"]): r for r in rows}
    names = list(dict.fromkeys(r["method"] for r in rows))
    pairs = list(zip(minutes, minutes[1:]))
    columns = [(rate, m) for rate in rates for m in minutes]

    def at(rate):
        return f"{rate / 1000:g} kHz, " if len(rates) > 1 or rate != RATE else ""

    head = ([f"{at(rate)}{m:g} min: GiB (floor) / s / CPU s" for rate, m in columns]
            + [f"{at(rate)}CPU {b:g}/{a:g} (length x{b / a:g})" for rate in rates for a, b in pairs])
    lines = ["| method | " + " | ".join(head) + " |", "| --- |" + " ---: |" * len(head)]
    for name in names:
        row = []
        for rate, m in columns:
            r = cells.get((name, rate, m), {})
            row.append(f"{r['peak_gib']:.2f} ({r.get('floor_gib', 0):.2f}) / {r['seconds']:.1f} / {r['cpu_seconds']:.1f}"
                       if "seconds" in r
                       else r.get("error", "-")[:40])
        for rate, (a, b) in ((rate, pair) for rate in rates for pair in pairs):
            ra, rb = cells.get((name, rate, a), {}), cells.get((name, rate, b), {})
            row.append(f"{rb['cpu_seconds'] / ra['cpu_seconds']:.1f}" if ra.get("cpu_seconds") and "cpu_seconds" in rb
                       else "-")
        lines.append(f"| {name} | " + " | ".join(row) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
