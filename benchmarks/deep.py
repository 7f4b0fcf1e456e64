"""Learned separators: training time, quality on the test split and separation speed.

Prints JSON: for each model (unet, demucs-lite, dprnn, conv1d) the seconds it takes to train
at a run size, its median SDR per stem on the test split (BSSEval v4, the MUSDB protocol:
median over 1 s frames per track, then median over tracks) beside the mixture (the floor),
the oracle IRM (the reference oracle: one oracle, not the best; notebook 01 compares them) and the best classical method (by the mean over stems, and on
vocals alone), and the seconds it takes to separate 60 s of stereo audio (a test mixture
repeated). The ``checks`` at the end say, as booleans, whether each learned model earns its
place (see :func:`earning_their_place`), with the U-Net's share of the oracle IRM's vocals
SDR and each model's training seconds over the U-Net's, measured in the same run. Models are
trained into a folder of their own (``--out``, default a temporary
folder), so checkpoints in the models folder are never touched; only ``nmf-supervised``'s
dictionaries are read from (or, the first time, written to) their usual cache, learned with
the size's ``seplib.classical.nmf.settings()``.

    python benchmarks/deep.py --size lab --json deep-lab.json

Progress goes to stderr, the JSON to stdout (and to ``--json PATH``).
"""
from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ORACLE = "oracle-irm"
"""The oracle shown for reference: the IRM, the mask the U-Net's share is measured against (not the best
oracle: notebook 01 shows the others); the floor, the classical methods and the models come from the registry."""
SPEED_SECONDS = 60.0


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def median_sdr(per_track):
    """{stem: median SDR} of evaluate()'s per-track table (the MUSDB protocol)."""
    from seplib.metrics import summary

    return {stem: m["SDR"] for stem, m in summary(per_track, "")["stems"].items()}


def mean_over_stems(sdr, floor):
    """Mean SDR over the four stems; a stem the method does not estimate counts at the
    mixture's score (leaving it in the mixture is what not separating it means)."""
    from seplib import STEMS

    values = [sdr.get(s) if sdr.get(s) is not None else floor[s] for s in STEMS]
    return round(float(np.mean(values)), 4)


def scores_of(method, tracks, args, kwargs=None):
    """Median SDR per stem of a method: from the results store (--reuse-scores, when it holds
    exactly these tracks) or evaluated now without storing."""
    from seplib.metrics import dataset_of, evaluate, load_scores

    if args.reuse_scores:
        try:
            stored = load_scores(dataset_of(tracks), method)
        except FileNotFoundError:
            stored = None
        if stored is not None and sorted(stored.track.unique()) == sorted(t.name for t in tracks):
            return median_sdr(stored), "store"
    per_track = evaluate(method, tracks, backend=args.backend, store=False, progress=False, **(kwargs or {}))
    return median_sdr(per_track), "evaluated"


def stem_sdr(sdr, stem):
    """A stem's score, or -inf for a stem the method does not estimate."""
    return sdr.get(stem) if sdr.get(stem) is not None else -math.inf


def tiled(mixture, rate, seconds):
    """The mixture repeated until it lasts ``seconds``: ``(channels, seconds * rate)``."""
    n = int(round(seconds * rate))
    return np.tile(mixture, (1, math.ceil(n / mixture.shape[1])))[:, :n]


def seconds_to_separate(name, audio, rate, model, repeats=2):
    """Wall-clock seconds of ``separate(name, audio, rate, model=model)``, the best of ``repeats``."""
    import torch

    from seplib import separate

    best = math.inf
    for _ in range(repeats):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        start = time.perf_counter()
        separate(name, audio, rate, model=model)
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return best


def best_classical_per_stem(classical):
    """{stem: the best classical method's score on that stem} (each stem's own best)."""
    from seplib import STEMS

    return {s: max(stem_sdr(c["SDR"], s) for c in classical.values()) for s in STEMS}


def earning_their_place(out):
    """Does every learned model earn its place? Booleans (None when a model it needs was not
    run): Demucs-lite above the Conv1d baseline on every stem and above the best classical
    method on drums and bass (each stem's own best); DPRNN above Conv1d on every stem; the
    U-Net above the best classical method on every stem and at 60 % or more of the oracle
    IRM's vocals SDR (the share is given too); and each model's training seconds over the
    U-Net's, measured in this run."""
    from seplib import STEMS

    found, classical = out["models"], best_classical_per_stem(out["classical"])

    def above(name, other, stems=STEMS):
        if name not in found or (isinstance(other, str) and other not in found):
            return None
        floor = found[other]["SDR"] if isinstance(other, str) else other
        return all(stem_sdr(found[name]["SDR"], s) > stem_sdr(floor, s) for s in stems)

    oracle = out["baselines"][ORACLE]["SDR"]["vocals"]
    share = None if "unet" not in found else round(stem_sdr(found["unet"]["SDR"], "vocals") / oracle, 4)
    unet_seconds = found.get("unet", {}).get("train_seconds")
    return {
        "demucs_lite_beats_conv1d_every_stem": above("demucs-lite", "conv1d"),
        "demucs_lite_beats_best_classical_drums_and_bass": above("demucs-lite", classical, ("drums", "bass")),
        "dprnn_beats_conv1d_every_stem": above("dprnn", "conv1d"),
        "unet_beats_best_classical_every_stem": above("unet", classical),
        "unet_vocals_share_of_oracle_irm": share,
        "unet_vocals_at_least_60pct_of_oracle_irm": None if share is None else share >= 0.6,
        "train_seconds_over_unet": None if not unet_seconds else
            {name: round(m["train_seconds"] / unet_seconds, 3) for name, m in found.items()},
    }


def main(argv=None):
    from seplib import methods

    models, classical = methods.names("learned"), methods.names("classical")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="lab", help="run size: data, model and training plan (quick, lab, full)")
    parser.add_argument("--steps", type=int, default=None, help="override the run size's training steps")
    parser.add_argument("--models", nargs="*", default=models, choices=models)
    parser.add_argument("--classical", nargs="*", default=classical, choices=classical,
                        help="classical methods to find the best one among (default: all)")
    parser.add_argument("--out", default=None,
                        help="folder for the benchmark's checkpoints (a new sub-folder per run; default: "
                             "a temporary folder, deleted at the end)")
    parser.add_argument("--json", default=None, help="also write the JSON to this file (must not exist)")
    parser.add_argument("--backend", default="fast", choices=("fast", "museval"))
    parser.add_argument("--tracks", type=int, default=None, help="score only the first N test tracks")
    parser.add_argument("--reuse-scores", action="store_true",
                        help="take the baselines' and classical methods' scores from the results store "
                             "when it holds them for these tracks (evaluate the others)")
    args = parser.parse_args(argv)

    from seplib import STEMS, config

    if args.size not in config.SIZES:
        parser.error(f"--size must be one of {config.SIZES}, got {args.size!r}")
    if args.json and Path(args.json).exists():
        parser.error(f"--json {args.json}: the file exists; choose another name (nothing was overwritten)")

    import torch

    from seplib.classical.nmf import method_kwargs
    from seplib.data import open_dataset, track_mixture
    from seplib.metrics import evaluate
    from seplib.models import parameter_count
    from seplib.train import plan, train_model

    started = time.perf_counter()
    tracks = open_dataset("test", size=args.size)[: args.tracks]
    rate = tracks[0].rate
    speed_mixture = tiled(track_mixture(tracks[0]), rate, SPEED_SECONDS)
    temporary = args.out is None
    root = Path(tempfile.mkdtemp(prefix="seplib-deep-")) if temporary else Path(args.out)
    run_dir = root / f"deep-{args.size}-{args.steps or 'default'}-{time.strftime('%Y%m%d-%H%M%S')}"
    if run_dir.exists():
        parser.error(f"{run_dir} exists; choose another --out (nothing was overwritten)")
    steps = {name: args.steps or plan(name, args.size)["steps"] for name in args.models}
    out = {"size": args.size, "steps": steps, "backend": args.backend,
           "tracks": len(tracks), "device": str(config.device()), "torch_threads": torch.get_num_threads(),
           "speed_audio_seconds": SPEED_SECONDS, "models": {}, "baselines": {}, "classical": {}}
    try:
        # the floor, the reference oracle and the classical methods
        for method in methods.names("floor") + [ORACLE]:
            sdr, source = scores_of(method, tracks, args)
            out["baselines"][method] = {"SDR": sdr, "source": source}
            log(json.dumps({method: out["baselines"][method]}))
        floor = out["baselines"]["mixture"]["SDR"]
        # the NMF methods with the size's settings (dictionaries learned once, then cached)
        nmf_kwargs = method_kwargs(args.size) if any("nmf" in m for m in args.classical) else {}
        for method in args.classical:
            sdr, source = scores_of(method, tracks, args, nmf_kwargs.get(method))
            out["classical"][method] = {"SDR": sdr, "mean_SDR": mean_over_stems(sdr, floor), "source": source}
            log(json.dumps({method: out["classical"][method]}))
        best = max(out["classical"], key=lambda m: out["classical"][m]["mean_SDR"])
        out["baselines"]["best-classical"] = {"method": best, **out["classical"][best]}
        # the vocals bar is read against the classical method best *on vocals* (the stricter reading)
        vocal = max(out["classical"], key=lambda m: stem_sdr(out["classical"][m]["SDR"], "vocals"))
        out["baselines"]["best-classical-vocals"] = {"method": vocal, **out["classical"][vocal]}

        # the learned models: train, score, time
        for name in args.models:
            log(f"training {name} ({args.size} size) into {run_dir / name}")
            start = time.perf_counter()
            model, history = train_model(name, size=args.size, steps=args.steps, out=run_dir / name,
                                         progress=False)
            train_seconds = time.perf_counter() - start
            per_track = evaluate(name, tracks, backend=args.backend, store=False, progress=False, model=model)
            sdr = median_sdr(per_track)
            seconds = seconds_to_separate(name, speed_mixture, rate, model)
            valid = [v for v in history["valid_loss"] if v == v]
            out["models"][name] = {
                "train_seconds": round(train_seconds, 1), "steps": history["step"][-1] if history["step"] else 0,
                "parameters": parameter_count(model), "best_valid_loss": round(min(valid), 5) if valid else None,
                "SDR": sdr, "mean_SDR": mean_over_stems(sdr, floor),
                "seconds_per_60s": round(seconds, 3), "real_time_factor": round(seconds / SPEED_SECONDS, 4)}
            log(json.dumps({name: out["models"][name]}))
    finally:
        if temporary:
            shutil.rmtree(root, ignore_errors=True)

    # checks, as booleans (None when a model they need was not run)
    unet = out["models"].get("unet")
    best_sdr = out["baselines"]["best-classical-vocals"]["SDR"]
    out["checks"] = {
        "unet_beats_best_classical_vocals_by_3db":
            None if unet is None else stem_sdr(unet["SDR"], "vocals") >= stem_sdr(best_sdr, "vocals") + 3.0,
        "every_model_beats_mixture_every_stem":
            all(stem_sdr(m["SDR"], s) > floor[s] for m in out["models"].values() for s in STEMS),
        "unet_separates_60s_under_3s": None if unet is None else unet["seconds_per_60s"] < 3.0,
        **earning_their_place(out),
    }
    out["total_seconds"] = round(time.perf_counter() - started, 1)
    text = json.dumps(out, indent=2)
    if args.json:
        Path(args.json).write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
