"""REPET-SIM compared whole, or within a reach: seconds and median SDR on long songs.

By default REPET-SIM looks for a frame's similar frames only within ``repet.MAX_SECONDS`` of
it, so its time grows with the song's length, not its square. This prints, for synthetic
songs of a few minutes (:func:`seplib.data.synth.make_song`, made at that length), the CPU
seconds and the median SDR of both stems (BSSEval v4, the MUSDB protocol) with the whole song
compared (``max_seconds=None``) and with each reach given. JSON, one row per song, then the
mean difference of each reach from the whole-song result.

    OMP_NUM_THREADS=1 python benchmarks/repet_reach.py --songs 3 --minutes 4 --reach 120 60 30
"""
from __future__ import annotations

import argparse
import json
import time

RATE = 44100


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--songs", type=int, default=3)
    parser.add_argument("--minutes", type=float, default=4.0)
    parser.add_argument("--reach", type=float, nargs="+", default=[120.0, 60.0, 30.0], help="seconds")
    args = parser.parse_args(argv)

    from seplib.classical.repet import separate_repet_sim
    from seplib.data.synth import make_song
    from seplib.metrics.protocol import track_scores

    reaches = [None] + args.reach
    rows = []
    for seed in range(1, args.songs + 1):
        stems, _ = make_song(seed, 60 * args.minutes, RATE)
        references = {"vocals": stems["vocals"], "accompaniment": stems["drums"] + stems["bass"] + stems["other"]}
        mixture = references["vocals"] + references["accompaniment"]
        row = {"song": seed, "minutes": args.minutes}
        for reach in reaches:
            cpu = time.process_time()
            estimates = separate_repet_sim(mixture, RATE, max_seconds=reach)
            cpu = time.process_time() - cpu
            scores = track_scores(references, estimates, RATE)
            sdr = scores[scores.metric == "SDR"].groupby("stem").value.median()
            row["whole" if reach is None else f"{reach:g} s"] = {"cpu_seconds": round(cpu, 1),
                                                                 **{s: round(float(v), 3) for s, v in sdr.items()}}
        rows.append(row)
        print(json.dumps(row), flush=True)
    mean = {}
    for reach in args.reach:
        key = f"{reach:g} s"
        mean[key] = {s: round(sum(r[key][s] - r["whole"][s] for r in rows) / len(rows), 3)
                     for s in ("vocals", "accompaniment")}
        mean[key]["largest"] = round(max(abs(r[key][s] - r["whole"][s]) for r in rows
                                         for s in ("vocals", "accompaniment")), 3)
    print(json.dumps({"mean SDR difference from the whole song (dB)": mean}))


if __name__ == "__main__":
    main()
