"""A model's variants at one run size: what each knob does to the test-split scores.

Trains the model (the U-Net unless ``--model`` says otherwise) once per variant (the run
size's hyper-parameters and training plan, with one change each) into a folder of its own, and prints JSON: training seconds and the median
SDR per stem on the test split (BSSEval v4, the MUSDB protocol). Runs are seeded, so a
variant gives the same numbers on the same machine and thread count.

    OMP_NUM_THREADS=2 python benchmarks/variants.py --size lab --variants default seed-1
    OMP_NUM_THREADS=1 python benchmarks/variants.py --size lab --variants plan-300 l1 n_fft-1024
    OMP_NUM_THREADS=1 python benchmarks/variants.py --model demucs-lite --size lab --variants default lr-3e-3

Progress goes to stderr, the JSON to stdout.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

PLAN_300 = {"steps": 300, "seconds": 3.0, "weights": {"vocals": 1.0}}
"""The U-Net's lab plan before 2026-12-08: 300 steps of 4 x 3 s, the stems weighing alike.
:data:`UNET_300`'s variants change it (benchmarks/README.md's rows dated before then)."""

UNET_300 = {
    "plan-300": {},
    "l1": {"kind": "l1"},                            # L1 on masked magnitudes instead of the SDR loss
    "l2": {"kind": "l2"},
    "vocals-x3": {"weights": {"vocals": 3.0}},       # the vocals weigh three times in the loss
    "n_fft-1024": {"n_fft": 1024},
    "hidden-24": {"hidden_channels": 24},
    "lr-3e-3": {"lr": 3e-3},
    "batch-8": {"batch_size": 8},
    # 3 s chunks make 130 frames, padded to 160 (a multiple of 2**depth); 2.95 s make 128,
    # so 5 chunks of 2.95 s cost what 4 of 3 s do in the network
    "batch-5-2.95s": {"batch_size": 5, "seconds": 2.95},
    # 64 frames each: 10 of 1.46 s cost what 4 of 3 s (160 padded frames) do, from more places
    "batch-10-1.46s": {"batch_size": 10, "seconds": 1.46},
    # 320 frames each: 2 of 7.4 s cost what 4 of 3 s do, with more context per chunk
    "batch-2-7.4s": {"batch_size": 2, "seconds": 7.4},
    "batch-1-14.8s": {"batch_size": 1, "seconds": 14.8},  # 638 frames, padded to 640
    "batch-2-7.4s-lr-2e-3": {"batch_size": 2, "seconds": 7.4, "lr": 2e-3},
    "lr-2e-3": {"lr": 2e-3},
    "plan-300-seed-1": {"seed": 1},                  # the spread between two seeds of one plan
    "b5-lr2-seed-1": {"batch_size": 5, "seconds": 2.95, "lr": 2e-3, "seed": 1},
    "b5-lr2-remix-0": {"batch_size": 5, "seconds": 2.95, "lr": 2e-3, "augment": {"remix": 0.0}},
    "b5-lr2-remix-1": {"batch_size": 5, "seconds": 2.95, "lr": 2e-3, "augment": {"remix": 1.0}},
    "batch-5-2.95s-lr-2e-3": {"batch_size": 5, "seconds": 2.95, "lr": 2e-3},
    # with freed memory kept (seplib.config.keep_freed_memory, as fit does), steps are a quarter to a
    # third cheaper: on two threads 800 such steps take about the time 520 take with glibc's default
    "b5-lr2-800": {"batch_size": 5, "seconds": 2.95, "lr": 2e-3, "steps": 800},
    "b5-lr2-800-seed-1": {"batch_size": 5, "seconds": 2.95, "lr": 2e-3, "steps": 800, "seed": 1},
    "steps-x3": {"steps_factor": 3},
    "steps-x3-seed-1": {"steps_factor": 3, "seed": 1},
    # the plan's batches, as many steps as five minutes on two threads hold with freed memory kept
    "steps-1050": {"steps": 1050},
    "steps-1050-seed-1": {"steps": 1050, "seed": 1},
    # as many of the plan's steps as five minutes on two threads hold (1050 took 241 s)
    "steps-1250": {"steps": 1250},
    "steps-1250-seed-1": {"steps": 1250, "seed": 1},
    "steps-1250-vocals-x2": {"steps": 1250, "weights": {"vocals": 2.0}},
    "steps-1250-vocals-x2-seed-1": {"steps": 1250, "weights": {"vocals": 2.0}, "seed": 1},
    # 2.95 s chunks make 128 frames, none padded (3 s make 130, padded to 160): a step 12 % cheaper
    "b4-2.95s-1300-vocals-x2": {"seconds": 2.95, "steps": 1300, "weights": {"vocals": 2.0}},
    "b4-2.95s-1300-vocals-x2-seed-1": {"seconds": 2.95, "steps": 1300, "weights": {"vocals": 2.0}, "seed": 1},
    "b4-2.95s-1300-vocals-x3": {"seconds": 2.95, "steps": 1300, "weights": {"vocals": 3.0}},
    "b4-2.95s-1300-vocals-x3-seed-1": {"seconds": 2.95, "steps": 1300, "weights": {"vocals": 3.0}, "seed": 1},
    "steps-x4": {"steps_factor": 4},
    "depth-6-hidden-16": {"depth": 6, "hidden_channels": 16},  # the full size's depth and width
    "sigmoid": {"gate": "sigmoid"},
    # hop 2048: half the frames, a step of 5 x 2.926 s (64 frames each) costs 0.48 CPU-s against
    # the plan's 0.78, so the plan's time buys 490 steps; 8 x 2.926 s cost 0.80, as the plan's
    "hop-2048-b5-lr2-490": {"hop": 2048, "batch_size": 5, "seconds": 2.926, "lr": 2e-3, "steps": 490},
    "b5-lr3-warmup-30": {"batch_size": 5, "seconds": 2.95, "lr": 3e-3, "warmup": 30},
    "b5-lr3-warmup-30-seed-1": {"batch_size": 5, "seconds": 2.95, "lr": 3e-3, "warmup": 30, "seed": 1},
    "b5-lr3": {"batch_size": 5, "seconds": 2.95, "lr": 3e-3},
    "hop-2048-b5-lr2-490-seed-1": {"hop": 2048, "batch_size": 5, "seconds": 2.926, "lr": 2e-3, "steps": 490, "seed": 1},
    "hop-2048-b8-lr2": {"hop": 2048, "batch_size": 8, "seconds": 2.926, "lr": 2e-3},
    # batch, depth, kernel and loss at about the plan's time
    "batch-2-2.95s-600": {"batch_size": 2, "seconds": 2.95, "steps": 600},  # more, smaller steps
    "depth-6": {"depth": 6},                         # twice the context of depth 5, at the lab width
    "kernel-3-400": {"kernel_size": 3, "steps": 400},  # cheaper layers, more steps
    "l1-650": {"kind": "l1", "steps": 650},
    "batch-5-2.95s-lr-2e-3-260": {"batch_size": 5, "seconds": 2.95, "lr": 2e-3, "steps": 260},  # the plan's CPU time
    "b5-lr2-260-seed-1": {"batch_size": 5, "seconds": 2.95, "lr": 2e-3, "steps": 260, "seed": 1},
}
"""Changes to :data:`PLAN_300` (``steps_factor`` multiplies its 300 steps)."""

UNET = {
    "default": {},                                   # the plan: 1300 steps of 4 x 2.95 s, the vocals weighing 3
    "seed-1": {"seed": 1},
    **{name: {**PLAN_300, **changes} for name, changes in UNET_300.items()},
}
"""The U-Net's variants: name -> keyword arguments of :func:`seplib.train.train_model`, over the
run size's plan (``steps_factor`` multiplies the plan's steps)."""

DEMUCS_LITE = {
    "default": {},                              # the plan: the linear path (33 taps), 2100 steps
    "seed-1": {"seed": 1},
    "steps-2400": {"steps": 2400},              # as many steps as the plan without the path
    "steps-2400-seed-1": {"steps": 2400, "seed": 1},
    "linear-17-2400": {"linear_taps": 17, "steps": 2400},
    "no-linear-path": {"linear_taps": 0},
    # no linear path, 2400 steps (the plan's training time without the path), and changes to it
    "no-path-2400": {"linear_taps": 0, "steps": 2400},
    "no-path-2400-seed-1": {"linear_taps": 0, "steps": 2400, "seed": 1},
    "no-path-2400-lr-3e-3": {"linear_taps": 0, "steps": 2400, "lr": 3e-3},
    "no-path-4800": {"linear_taps": 0, "steps": 4800},
    "no-path-channels-24-1500": {"linear_taps": 0, "channels": 24, "steps": 1500},  # a step costs 1.6x
    # no linear path, 1200 steps (half that time), and changes to it
    "no-path-1200": {"linear_taps": 0, "steps": 1200},
    "path-1200": {"steps": 1200},
    "no-path-1200-lr-3e-3": {"linear_taps": 0, "steps": 1200, "lr": 3e-3},
    "no-path-1200-batch-4-1s": {"linear_taps": 0, "steps": 1200, "batch_size": 4, "seconds": 1.0},
    "no-path-1200-drums-x2": {"linear_taps": 0, "steps": 1200, "weights": {"drums": 2.0}},
    "no-path-1200-channels-24": {"linear_taps": 0, "steps": 1200, "channels": 24},
}
"""Demucs-lite's variants, as :data:`UNET`'s; those without the linear path spell their steps out."""

DPRNN = {
    "default": {},
    "steps-720": {"steps": 720},                 # about the time of 300 U-Net steps
    "steps-720-seed-1": {"steps": 720, "seed": 1},
    "seed-1": {"seed": 1},
}
"""The DPRNN's variants, as :data:`UNET`'s."""

VARIANTS = {"unet": UNET, "demucs-lite": DEMUCS_LITE, "dprnn": DPRNN}
"""Model -> its variants."""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="lab", help="run size: data, model and training plan (quick, lab, full)")
    parser.add_argument("--model", default="unet", choices=list(VARIANTS))
    parser.add_argument("--variants", nargs="*", default=["default"],
                        help="names from this file's table of the model's variants")
    parser.add_argument("--backend", default="fast", choices=("fast", "museval"))
    parser.add_argument("--tracks", type=int, default=None, help="score only the first N test tracks")
    parser.add_argument("--keep", default=None, help="a folder to keep each variant's best checkpoint in "
                        "(NAME.pt; default: none kept)")
    args = parser.parse_args(argv)
    table = VARIANTS[args.model]
    unknown = [v for v in args.variants if v not in table]
    if unknown:
        parser.error(f"unknown {args.model} variant(s) {unknown}; choose from {', '.join(table)}")
    if args.keep:
        keep = Path(args.keep)
        if keep.exists() and not keep.is_dir():
            parser.error(f"--keep {keep}: not a folder")
        there = [v for v in args.variants if (keep / f"{v}.pt").exists()]
        if there:
            parser.error(f"--keep {keep}: {', '.join(v + '.pt' for v in there)} already there (not overwritten)")
        keep.mkdir(parents=True, exist_ok=True)

    from seplib.data import open_dataset
    from seplib.metrics import evaluate, summary
    from seplib.train import plan, train_model

    tracks = open_dataset("test", size=args.size)[: args.tracks]
    root = Path(tempfile.mkdtemp(prefix=f"seplib-{args.model}-variants-"))
    out = {"model": args.model, "size": args.size, "tracks": len(tracks), "backend": args.backend, "variants": {}}
    try:
        for name in args.variants:
            kwargs = dict(table[name])
            factor = kwargs.pop("steps_factor", 1)
            if factor != 1:
                kwargs["steps"] = int(factor * kwargs.get("steps", plan(args.model, args.size)["steps"]))
            start = time.perf_counter()
            model, _ = train_model(args.model, size=args.size, out=root / name, progress=False, **kwargs)
            seconds = time.perf_counter() - start
            per_track = evaluate(args.model, tracks, backend=args.backend, store=False, progress=False, model=model)
            sdr = {stem: m["SDR"] for stem, m in summary(per_track, "")["stems"].items()}
            out["variants"][name] = {"changes": table[name], "train_seconds": round(seconds, 1), "SDR": sdr}
            print(json.dumps({name: out["variants"][name]}), file=sys.stderr, flush=True)
            if args.keep:
                shutil.copy2(root / name / "best.pt", keep / f"{name}.pt")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
