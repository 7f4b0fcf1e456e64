"""Seconds and peak memory of every method on long stereo songs (1, 5 and 10 minutes).

The song is a synthetic 30 s song (:func:`seplib.data.synth.make_song`) tiled to the length.
Each (method, length) runs in a fresh Python process, so its peak resident memory
(``resource.getrusage`` of the child: Python, torch, the song and its estimates included)
is its own. ``nmf-supervised`` uses the quick dictionaries; the learned models are untrained
quick models (their cost, not their quality). Prints JSON, one row per (method, length).

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
           "classical-nmf", "unet", "demucs-lite", "dprnn", "conv1d")
RATE = 44100
SONG_SECONDS = 30.0


def long_song(minutes, rate=RATE):
    """A ``(2, minutes * 60 * rate)`` float32 mixture: one synthetic song tiled to the length."""
    import numpy as np

    from seplib.data.synth import make_song

    stems, _ = make_song(0, SONG_SECONDS, rate)
    song = sum(stems.values()).astype(np.float32)
    n = int(round(minutes * 60 * rate))
    return np.tile(song, (1, -(-n // song.shape[1])))[:, :n]


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


def child(method, minutes):
    """Run one method once on one length, in this process; print one JSON row."""
    import torch

    from seplib import separate

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    kwargs = method_kwargs(method)
    mixture = long_song(minutes)
    start = time.perf_counter()
    with torch.no_grad():
        estimates = separate(method, mixture, RATE, **kwargs)
    seconds = time.perf_counter() - start
    assert all(e.shape == mixture.shape for e in estimates.values())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20  # KiB -> GiB (Linux)
    print(json.dumps({"method": method, "minutes": minutes, "seconds": round(seconds, 1),
                      "peak_gib": round(peak, 3)}))


def measure(method, minutes):
    """One fresh subprocess for (method, minutes); its row, with the child's peak RSS."""
    proc = subprocess.run([sys.executable, __file__, "--child", method, str(minutes)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return {"method": method, "minutes": minutes, "error": (proc.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[1, 5, 10])
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "MINUTES"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child[0], float(args.child[1]))
    for method in args.methods:
        for minutes in args.minutes:
            print(json.dumps(measure(method, minutes)), flush=True)


if __name__ == "__main__":
    main()
