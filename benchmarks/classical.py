"""Classical separation methods: quality on the test split, and speed on 30 s of stereo.

Prints JSON: for each method (with the oracle IRM as the reference oracle and the mixture
as the floor), the median SDR per stem over the test split (BSSEval v4, the MUSDB protocol: median
over 1 s frames per track, then median over tracks) and the seconds it takes to separate
30 s of stereo audio on this machine.

    python benchmarks/classical.py --size lab --backend fast
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

ORACLE = "oracle-irm"
"""The oracle shown for reference: the IRM, the mask the U-Net's share is measured against (not the best
oracle: notebook 01 shows the others); the floor and every classical method come from the registry."""


def default_methods():
    """The floor, the reference oracle and every registered classical method (yours too), in registry order."""
    from seplib import methods

    return methods.names("floor") + [ORACLE] + methods.names("classical")


def seconds_for_30s(method, mixture, rate, references, **kwargs):
    """Wall-clock seconds to separate the first 30 s of a stereo mixture (the best of two runs)."""
    from seplib import methods, separate

    n = min(mixture.shape[-1], 30 * rate)
    needs = methods.get(method).needs_references
    extra = {"references": {s: r[:, :n] for s, r in references.items()}} if needs else {}
    best = np.inf
    for _ in range(2):
        start = time.perf_counter()
        separate(method, mixture[:, :n], rate, **extra, **kwargs)
        best = min(best, time.perf_counter() - start)
    return round(best, 3), round(n / rate, 1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="lab", help="run size of the synthetic data (quick, lab, full)")
    parser.add_argument("--backend", default="fast", choices=("fast", "museval"))
    parser.add_argument("--methods", nargs="*", default=None,
                        help="registered method names (default: the floor, oracle-irm and every classical method)")
    parser.add_argument("--tracks", type=int, default=None, help="score only the first N test tracks")
    args = parser.parse_args(argv)
    args.methods = args.methods or default_methods()

    import torch

    from seplib import config
    from seplib.data import open_dataset, track_mixture, track_stems
    from seplib.metrics import evaluate, summary

    tracks = open_dataset("test", size=args.size)[: args.tracks]
    mixture, references = track_mixture(tracks[0]), track_stems(tracks[0])
    out = {"size": args.size, "backend": args.backend, "tracks": len(tracks),
           "device": str(config.device()), "torch_threads": torch.get_num_threads(), "methods": {}}
    nmf_kwargs = {}
    if any("nmf" in m for m in args.methods):  # the size's NMF settings; dictionaries learned before the clock starts
        from seplib.classical import nmf

        nmf_kwargs = nmf.method_kwargs(args.size)
    for method in args.methods:
        kwargs = nmf_kwargs.get(method, {})
        per_track = evaluate(method, tracks, backend=args.backend, store=False, progress=False, **kwargs)
        scores = summary(per_track, method)
        seconds, length = seconds_for_30s(method, mixture, tracks[0].rate, references, **kwargs)
        out["methods"][method] = {"SDR": {stem: m["SDR"] for stem, m in scores["stems"].items()},
                                  "seconds": seconds, "audio_seconds": length}
        print(json.dumps({method: out["methods"][method]}), file=sys.stderr, flush=True)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
