"""Make a shipped checkpoint and its record from a finished ``seplib train`` run.

    OMP_NUM_THREADS=1 seplib train dprnn --size lab --steps 900 --seed 0 --out OUT
    python benchmarks/ship.py dprnn OUT --command "OMP_NUM_THREADS=1 seplib train dprnn --size lab --steps 900 --seed 0 --out OUT" \
        --train-seconds 612 --train-cpu-seconds 598 --commit COMMIT

writes ``seplib/models/weights/dprnn-synth.pt`` (``best.pt`` without the optimizer, weights as
float16) and ``dprnn-synth.json``: the command, plan, seed, data set, commit, torch version, training
time, the training curve (``history``, from ``last.pt``) and the median scores (MUSDB protocol,
seplib's fast BSSEval v4) on the synthetic lab test split and on the real song. An existing
shipped file is not overwritten (remove it first).

Several run folders (trained with one command from different ``--seed``s; ``SEED`` in
``--command`` stands for each) make a bag of models (:mod:`seplib.models.bag`): one file holding
every run's best weights, whose masks are averaged. Its record keeps each member's seed, step and
curve; ``history`` is the first member's. ``--mirror`` makes the bag also listen to the song's
mirror image (left and right swapped; :class:`seplib.models.bag.Bag`).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from seplib import STEMS, train  # noqa: E402
from seplib.data import EXAMPLE, open_dataset  # noqa: E402
from seplib.metrics import evaluate  # noqa: E402
from seplib.models import checkpoint, shipped  # noqa: E402
from seplib.models.bag import save_bag  # noqa: E402
from seplib.run import current  # noqa: E402

METRICS = ("SDR", "SIR", "SAR", "ISR")


def scores(name, path, tracks, run):
    """Median over frames, then over tracks, per stem and metric (dB, two decimals)."""
    per_track = evaluate(name, tracks, store=False, progress=False, run=run, checkpoint=path)
    table = per_track.groupby(["metric", "stem"])["value"].median()
    return {m: {s: round(float(table[(m, s)]), 2) for s in STEMS if (m, s) in table} for m in METRICS}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("out", nargs="+", help="the training run's folder (best.pt, last.pt); several: a bag")
    parser.add_argument("--command", required=True, help="the exact training command")
    parser.add_argument("--train-seconds", type=float, required=True)
    parser.add_argument("--train-cpu-seconds", type=float, required=True)
    parser.add_argument("--commit", required=True)
    parser.add_argument("--note", default="")
    parser.add_argument("--data", default="synth-lab", help="what it was trained on, as the record names it")
    parser.add_argument("--data-made-with", default="seplib data --size lab (written on first use)")
    parser.add_argument("--mirror", action="store_true",
                        help="a bag that also averages each member's masks of the mirror image (left and right swapped)")
    parser.add_argument("--also-test", nargs="*", default=[], metavar="ROOT",
                        help="more test splits to score it on (MUSDB18-HQ-layout folders)")
    args = parser.parse_args(argv)
    if args.mirror and len(args.out) < 2:
        parser.error("--mirror is for a bag: give two or more run folders")

    outs = [Path(o) for o in args.out]
    target = shipped.WEIGHTS / f"{args.model}-synth.pt"
    lasts = [checkpoint.read(o / "last.pt") for o in outs]
    bests = [checkpoint.read(o / "best.pt") for o in outs]
    last, best = lasts[0], bests[0]
    seeds = [int(x["settings"]["seed"]) for x in lasts]
    if len(outs) > 1:
        save_bag([o / "best.pt" for o in outs], target, mirror=args.mirror, seeds=seeds)
    else:
        checkpoint.slim(outs[0] / "best.pt", target, half=True)
    run = current(size="lab")
    history = last["state"]["history"]
    bag = {"members": [{"seed": seed, "step": int(b.get("step", 0)),
                        "command": args.command.replace("SEED", str(seed)),
                        "history": {k: [float(x) for x in v] for k, v in la["state"]["history"].items()}}
                       for seed, b, la in zip(seeds, bests, lasts)]} if len(outs) > 1 else {}
    record = {
        "model_name": args.model,
        "file": target.name,
        "about": f"The {args.model} shipped with seplib: trained on synthetic songs only, with the project's own "
                 "command. Good on synthetic songs, rough on real music; train on MUSDB18 for better.",
        "command": args.command.replace("SEED", str(seeds[0])),
        "made_with": (f"python benchmarks/ship.py {args.model} OUT ...: the best validation weights as float16 "
                      "(loaded back as float32), without the optimizer"
                      + (f"; a bag of {len(outs)} networks (seplib.models.bag), one per seed, their masks averaged"
                         if bag else "")
                      + (" over the song and its mirror image (left and right swapped)" if args.mirror else "")),
        "mirror": bool(args.mirror),
        "plan": {**train.plan(args.model, run=run), "steps": int(last["state"]["step"])},
        "seed": seeds[0],
        "step": int(best.get("step", 0)),
        "hparams": best["hparams"],
        "parameters": int(sum(v.numel() for b in bests for v in b["model_state"].values() if v.dtype.is_floating_point)),
        **bag,
        "bytes": target.stat().st_size,
        "data": {"name": args.data, "seed": 0, "made_with": args.data_made_with},
        "commit": args.commit,
        "torch": torch.__version__,
        "train_seconds": args.train_seconds,
        "train_cpu_seconds": args.train_cpu_seconds,
        "train_note": args.note,
        "history": {k: [float(x) for x in v] for k, v in history.items()},
        "scores": {
            "synth-lab test": {"command": f"seplib evaluate --method {args.model} --size lab --checkpoint "
                                         f"seplib/models/weights/{target.name}",
                               **scores(args.model, target, open_dataset("test", run=run), run)},
            "real song": {"command": f"seplib evaluate --method {args.model} --root {EXAMPLE} --checkpoint "
                                     f"seplib/models/weights/{target.name}",
                          **scores(args.model, target, open_dataset("test", root=EXAMPLE), run)},
            **{f"{Path(root).name} test": {"command": f"seplib evaluate --method {args.model} --root {Path(root).name} "
                                                      f"--checkpoint seplib/models/weights/{target.name}",
                                           **scores(args.model, target, open_dataset("test", root=root), run)}
               for root in args.also_test},
        },
        "scores_note": "median SDR, SIR, SAR, ISR in dB per stem, MUSDB protocol (median over one-second frames, "
                       "then over tracks), seplib's BSSEval v4 (the default 'fast' backend); the real song is "
                       "stempeg's MUSDB18 excerpt (seplib.data.example)",
    }
    target.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")
    print(json.dumps({k: record[k] for k in ("file", "bytes", "step", "scores")}, indent=1))


if __name__ == "__main__":
    main()
