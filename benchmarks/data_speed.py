"""How fast a synthetic data set is made: seconds of compute per second of song, on one core.

Prints one JSON object. Usage: ``python benchmarks/data_speed.py [--seeds 3] [--set render]
[--soundfont FILE]`` (``synth``: the small synthesizers; ``render``: the SoundFont-rendered, mixed and
mastered set, played by TimGM6mb unless ``--soundfont`` names another General MIDI SoundFont).
Wall and CPU seconds both: on a shared machine the CPU seconds are the one-core figure.
"""
import argparse
import json
import os
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, as the data set is made

from seplib import sizes  # noqa: E402
from seplib.data import render, synth  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=3, help="songs to time")
    parser.add_argument("--seconds", type=float, default=30.0, help="song length (s)")
    parser.add_argument("--set", choices=("synth", "render"), default="synth", help="which generator")
    parser.add_argument("--soundfont", help="with --set render: the SoundFont (default: TimGM6mb)")
    args = parser.parse_args()
    if args.soundfont and args.set != "render":
        parser.error("--soundfont is for --set render")
    maker = {"synth": synth, "render": render}[args.set]
    font = {"soundfont": args.soundfont} if args.soundfont else {}

    maker.make_song(0, seconds=2.0, **font)  # warm up (imports, caches, the SoundFont read once)
    times, cpu = [], []
    for seed in range(1, args.seeds + 1):
        start, start_cpu = time.perf_counter(), time.process_time()
        maker.make_song(seed, seconds=args.seconds, **font)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    with tempfile.TemporaryDirectory() as tmp:
        start, start_cpu = time.perf_counter(), time.process_time()
        maker.write_dataset(tmp + "/set", size="quick", seed=0, progress=False, **font)
        write, write_cpu = time.perf_counter() - start, time.process_time() - start_cpu
    quick = sizes.of("data", "quick")
    quick_audio = (quick["train"] + quick["valid"] + quick["test"]) * quick["seconds"]
    print(json.dumps({
        "set": args.set,
        **({"soundfont": render.soundfont_record(args.soundfont)["name"]} if args.soundfont else {}),
        "song_seconds": args.seconds,
        "seconds_per_song": [round(t, 3) for t in times],
        "seconds_per_second_of_song": round(sum(times) / (args.seconds * len(times)), 4),
        "cpu_seconds_per_second_of_song": round(sum(cpu) / (args.seconds * len(cpu)), 4),
        "write_quick_seconds": round(write, 3),
        "write_seconds_per_second_of_audio": round(write / quick_audio, 4),
        "write_cpu_seconds_per_second_of_audio": round(write_cpu / quick_audio, 4),
        "cpu_count": os.cpu_count(),
    }))


if __name__ == "__main__":
    main()
