"""Peak memory and seconds of ``seplib.metrics.evaluate`` on a whole 4-minute song, per method.

What ``seplib evaluate --root MUSDB18`` does to one real-length song: read the track through
musdb, separate it, score it with the MUSDB protocol (BSSEval v4, 1 s frames) and keep its
scores. The song is the synthetic song of ``long_song.py`` tiled to the length, written once as a
MUSDB18-HQ tree (``data/synth-evaluate-<minutes>min/``, one test song). Each method runs in a
fresh Python process, so its peak resident memory (Linux ``VmHWM``; else ``getrusage``) is its
own: Python, torch, the track, its estimates and the scoring included. The methods get what
``long_song.py`` gives them (quick dictionaries; untrained quick models: their cost, not their
quality). Prints JSON, one row per method, then a table.

    python benchmarks/evaluate_long.py                      # every method, 4 minutes
    python benchmarks/evaluate_long.py --methods hpss unet --minutes 4
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from long_song import METHODS, RATE, long_song, method_kwargs, rss_gib  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def write_tree(minutes, folder=None):
    """A MUSDB18-HQ tree with one test song of ``minutes`` (written once, then reused)."""
    import soundfile as sf

    folder = Path(folder or ROOT / "data" / f"synth-evaluate-{minutes:g}min")
    song = folder / "test" / f"Long {minutes:g} min - Tiled"
    if (song / "vocals.wav").is_file():
        return folder
    (folder / "train").mkdir(parents=True, exist_ok=True)
    part = song.with_name(song.name + ".partial")
    part.mkdir(parents=True, exist_ok=True)
    mixture, stems = long_song(minutes, stems=True)
    for name, audio in {"mixture": mixture, **stems}.items():
        sf.write(part / f"{name}.wav", audio.T, RATE, subtype="FLOAT")
    part.rename(song)
    return folder


def child(method, root):
    """Evaluate one method on the tree's test split, in this process; print one JSON row."""
    import torch

    from seplib import data, metrics

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    kwargs = method_kwargs(method)
    tracks = data.open_dataset("test", root=root)
    before = rss_gib("VmRSS")
    start, cpu = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory() as results, torch.no_grad():
        per_track = metrics.evaluate(method, tracks, dataset="long", results_dir=results, progress=False, **kwargs)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = rss_gib("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20
    sdr = per_track[per_track.metric == "SDR"].groupby("stem").value.median().round(2).to_dict()
    print(json.dumps({"method": method, "seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1),
                      "peak_gib": round(peak, 3), "before_gib": round(before, 3), "sdr": sdr}))


def measure(method, root):
    proc = subprocess.run([sys.executable, __file__, "--child", method, str(root)], capture_output=True, text=True)
    if proc.returncode != 0:
        return {"method": method, "error": (proc.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=4.0)
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--root", help="a tree to use instead of writing one (its test split is scored)")
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "ROOT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(*args.child)
    root = Path(args.root) if args.root else write_tree(args.minutes)
    rows = []
    for method in args.methods:
        rows.append(measure(method, root))
        print(json.dumps(rows[-1]), flush=True)
    print(f"\n| method | peak GiB | seconds | CPU s |  ({args.minutes:g}-minute stereo song, {root.name})")
    print("| --- | ---: | ---: | ---: |")
    for r in rows:
        cells = (f"{r['peak_gib']:.2f} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f}" if "peak_gib" in r
                 else f"{r['error'][:60]} | | ")
        print(f"| {r['method']} | {cells} |")
    return rows


if __name__ == "__main__":
    main()
