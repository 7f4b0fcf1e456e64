"""The ``seplib`` command line: ``data``, ``separate``, ``evaluate``, ``train``, ``methods``.

Examples::

    seplib data --size quick
    seplib separate song.wav --method hpss --out separated/
    seplib evaluate --method oracle-irm --json scores.json
    seplib train unet --size lab --out runs/unet --resume
    seplib methods

Taught in: 00_getting_started
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import config


def _cmd_data(args):
    from .data.synth import write_dataset
    from .data.musdb import default_root

    size = args.size or config.run_size()
    root = write_dataset(Path(args.root) if args.root else default_root(size), size=size, seed=args.seed,
                         workers=args.workers)
    print(root)


def _checked_method(command, args):
    """The method's record; refuse in one line what it cannot do (true stems, a checkpoint)."""
    from . import methods

    record = methods.get(args.method)  # an unknown name: ValueError, printed by main()
    if command == "separate" and record.needs_references:
        sys.exit(f"seplib separate: {args.method} needs the true stems; use `seplib evaluate` for oracles")
    if args.checkpoint and not record.takes_checkpoint:
        takes = ", ".join(methods.names("learned")) or "the learned methods"
        sys.exit(f"seplib {command}: {args.method} takes no checkpoint (a {record.family} method); "
                 f"--checkpoint is for {takes}")
    return record


def _cmd_separate(args):
    from .audio import load, save
    from .run import current
    from .separation import separate

    _checked_method("separate", args)
    mixture, rate = load(args.song)
    out = Path(args.out)
    kwargs = {"checkpoint": args.checkpoint} if args.checkpoint else {}
    estimates = separate(args.method, mixture, rate, run=current(size=args.size), **kwargs)
    targets = [out / f"{stem}.wav" for stem in estimates]
    existing = [str(t) for t in targets if t.exists()]
    if existing and not args.force:
        sys.exit(f"seplib separate: not overwriting {', '.join(existing)} (use --force)")
    for stem, path in zip(estimates, targets):
        save(path, estimates[stem], rate, overwrite=args.force)
        print(path)


def _cmd_evaluate(args):
    from .data import open_dataset
    from .metrics import evaluate, summary
    from .run import current

    _checked_method("evaluate", args)
    run = current(size=args.size, root=args.root)  # the quick songs go with the quick model
    tracks = open_dataset("test", root=args.root, size=run.size)
    kwargs = {"checkpoint": args.checkpoint} if args.checkpoint else {}
    if args.json and Path(args.json).exists() and not args.force:
        sys.exit(f"seplib evaluate: not overwriting {args.json} (use --force)")
    per_track = evaluate(args.method, tracks, backend=args.backend, run=run, **kwargs)
    result = summary(per_track, args.method, "test")
    print(f"{args.method} on {result['tracks']} test tracks (median over frames, then tracks; dB)")
    metrics = ("SDR", "SIR", "SAR", "ISR")
    print(f"{'stem':<14}" + "".join(f"{m:>8}" for m in metrics))
    for stem, scores in result["stems"].items():
        values = (scores.get(m) for m in metrics)  # None: no score (a silent stem)
        print(f"{stem:<14}" + "".join(f"{v:8.2f}" if v is not None else f"{'-':>8}" for v in values))
    if args.json:
        path = Path(args.json)
        if path.exists() and not args.force:
            sys.exit(f"seplib evaluate: not overwriting {path} (use --force)")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, indent=2))
        print(f"wrote {path}")


def _cmd_train(args):
    from .run import current
    from .train import train_model

    model, history = train_model(args.model, size=args.size, steps=args.steps, out=args.out,
                                 resume=args.resume, seed=args.seed, root=args.root)
    where = args.out or current(size=args.size, root=args.root).models_dir / args.model
    print(f"trained {args.model}; checkpoints in {where}")


def _cmd_methods(args):
    from . import methods

    print(f"{'name':<16}{'family':<11}{'stems':<36}notebook")
    for m in methods.records():
        print(f"{m.name:<16}{m.family:<11}{', '.join(m.stems):<36}{m.notebook or '-'}")


def main(argv=None):
    """Entry point of the ``seplib`` command."""
    from . import methods

    parser = argparse.ArgumentParser(prog="seplib", description="Music source separation workbook tools")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("data", help="write the synthetic default data set (reused if present)")
    p.add_argument("--size", choices=config.SIZES, help="run size (default: by device)")
    p.add_argument("--root", help="folder to write (default: data/synth-SIZE)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=1, help="processes writing songs side by side")
    p.set_defaults(fn=_cmd_data)

    p = sub.add_parser("separate", help="separate a song into stems (one WAV per stem)")
    p.add_argument("song", help="audio file to separate")
    p.add_argument("--method", required=True)
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--checkpoint", help="model checkpoint (learned methods)")
    p.add_argument("--size", choices=config.SIZES, help="run size (which trained model; default: by device)")
    p.add_argument("--force", action="store_true", help="overwrite existing stem files")
    p.set_defaults(fn=_cmd_separate)

    p = sub.add_parser("evaluate", help="score a method on the test split (MUSDB protocol)")
    p.add_argument("--method", required=True)
    p.add_argument("--root", help="a MUSDB18-HQ tree (default: $MUSDB_PATH or the synthetic set)")
    p.add_argument("--size", choices=config.SIZES,
                   help="run size: the synthetic set and the trained models of that size")
    p.add_argument("--backend", choices=("fast", "museval"), default="fast",
                   help="fast: seplib's torch BSSEval v4; museval: the reference implementation")
    p.add_argument("--checkpoint", help="model checkpoint (learned methods)")
    p.add_argument("--json", help="write the summary here")
    p.add_argument("--force", action="store_true", help="overwrite an existing --json file")
    p.set_defaults(fn=_cmd_evaluate)

    p = sub.add_parser("train", help="train a model on the train split")
    p.add_argument("model", choices=methods.names("learned"))
    p.add_argument("--size", choices=config.SIZES)
    p.add_argument("--steps", type=int)
    p.add_argument("--out", help="checkpoint folder (default: data/models/MODEL)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    p.add_argument("--root", help="data set root (default: the synthetic set)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(fn=_cmd_train)

    p = sub.add_parser("methods", help="list the separation methods: name, family, stems, notebook")
    p.set_defaults(fn=_cmd_methods)

    args = parser.parse_args(argv)
    try:
        args.fn(args)
    except (FileNotFoundError, FileExistsError, ValueError, NotImplementedError) as err:
        sys.exit(f"seplib {args.command}: {err}")


if __name__ == "__main__":
    main()
