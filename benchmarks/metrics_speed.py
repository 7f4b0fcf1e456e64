"""Speed and agreement of the BSSEval implementations on one 30 s, four-stem stereo track.

Times seplib's torch BSSEval v4 (:func:`seplib.metrics.bss_eval_v4`), ``museval`` v4 (the
MUSDB18 reference) and ``mir_eval.separation.bss_eval_sources`` (BSSEval v3, whole track,
best permutation: another protocol, shown for scale), and prints JSON with the seconds each
took (wall clock and CPU seconds of this process) and how far seplib's scores are from
museval's; also the seconds to score a second method on the same track when its references'
Gram matrix is already factored (:class:`seplib.metrics.References`, as a leaderboard does).

A second, shorter check uses the same signals kept in float precision (no 16-bit rounding):
their band-limited spectra leave the least-squares filters of BSSEval badly conditioned,
and then museval disagrees with itself (inputs changed by 1e-12) about as much as with us.

``--leaderboard`` times instead what notebook 08 spends on scoring: every method it scores,
on every song of the test split of the run size (``SEPLIB_SIZE``, e.g. ``lab``), with the fast
backend. Each song is separated by every method first (not timed), then the estimates are
scored as :func:`seplib.metrics.evaluate` scores them (:func:`seplib.metrics.track_scores`,
the reasons for missing scores, the medians over frames), and only that is timed.

Usage: python benchmarks/metrics_speed.py [--seconds 30] [--skip-mir-eval]
       SEPLIB_SIZE=lab python benchmarks/metrics_speed.py --leaderboard [--methods mixture unet ...]
           [--estimates FOLDER] [--songs N] [--one-at-a-time]
"""
import argparse
import contextlib
import json
import time
import warnings

import numpy as np
import scipy.signal
import torch

from seplib import config, metrics

RATE = 44100


def sources(seconds, n_sources=4, rate=RATE, seed=0, pcm16=True):
    """Music-like stereo references (band-limited noise and tones with an envelope) and
    estimates with leakage from another source, noise and colouring. ``pcm16``: rounded to
    16 bits, as audio read from a WAV or MP4 file is."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    refs = []
    for j in range(n_sources):
        b, a = scipy.signal.butter(2, [80 * (j + 1), min(700 * (j + 1) ** 1.5, 0.4 * rate)], "band", fs=rate)
        x = scipy.signal.lfilter(b, a, rng.standard_normal((2, n)), axis=-1)
        x += 0.3 * np.sin(2 * np.pi * 110 * (j + 1) * t) * [[1.0], [0.6]]
        refs.append(x * (0.6 + 0.4 * np.sin(2 * np.pi * t * (j + 1) / 3)))
    refs = np.array(refs)
    ests = 0.8 * refs + 0.15 * np.roll(refs, 1, axis=0) + 0.02 * rng.standard_normal(refs.shape)
    ests = scipy.signal.lfilter([1, 0.3], [1], ests, axis=-1)
    peak = 1.1 * max(np.abs(refs).max(), np.abs(ests).max())
    if pcm16:
        return [(np.round(x / peak * 32767) / 32767).astype(np.float32) for x in (refs, ests)]
    return [(x / peak).astype(np.float32) for x in (refs, ests)]


def timed(fn, *args, **kwargs):
    """``fn``'s result, its wall-clock seconds and the CPU seconds of this process meanwhile
    (the CPU seconds are disturbed less by other jobs on a shared machine)."""
    start, start_cpu = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return out, round(time.perf_counter() - start, 2), round(time.process_time() - start_cpu, 2)


def differences(a, b):
    """Largest framewise and largest per-source-median difference, per metric (dB)."""
    return {m: {"max_abs_frame": float(np.nanmax(np.abs(a[m] - b[m]))),
                "max_abs_median": float(np.max(np.abs(np.nanmedian(a[m], 1) - np.nanmedian(b[m], 1))))}
            for m in ("SDR", "ISR", "SIR", "SAR")}


def leaderboard(names=None, estimates_dir=None, share=True, songs=None):
    """Seconds spent scoring notebook 08's methods on the test split (separation not timed).

    The estimates are scored inside :func:`seplib.metrics.shared_references`, as
    :func:`seplib.metrics.score_missing` scores them (``share=False``: one at a time).

    Args:
        names (list of str): methods (default: every registered method but the pretrained
            references, as notebook 08 scores them)
        estimates_dir (str or Path): keep each song's estimates there (``.npz``, float32) and
            read them back on the next run, so that two versions of the scoring code can be
            timed on the same estimates without separating again
        share (bool): reuse each song's reference statistics across the methods
        songs (int): the first ``songs`` test songs only (default: all)

    Returns:
        result (dict): seconds per method and in all (wall clock, and the CPU time of this
        process, which other jobs on a shared machine disturb less), with the size and the songs
    """
    from seplib import data, methods

    if names is None:
        names = [m for f in methods.FAMILIES if f != "reference" for m in methods.names(f)]
    test = data.open_dataset("test")[:songs]
    wall, cpu = dict.fromkeys(names, 0.0), dict.fromkeys(names, 0.0)
    sharing = getattr(metrics, "shared_references", None) if share else None   # None: a seplib without it
    context = sharing() if sharing else contextlib.nullcontext()
    with context:
        _score_songs(test, names, estimates_dir, wall, cpu)
    return {"size": config.run_size(), "songs": len(test), "shared_references": sharing is not None,
            "song_seconds": round(sum(t.duration for t in test), 1),
            "scoring_seconds": {m: round(s, 2) for m, s in wall.items()},
            "scoring_seconds_total": round(sum(wall.values()), 1),
            "scoring_cpu_seconds_total": round(sum(cpu.values()), 1)}


def _score_songs(test, names, estimates_dir, wall, cpu):
    """Separate (or read back) and score every song with every method; add the seconds."""
    from pathlib import Path

    from tqdm.auto import tqdm

    from seplib import data, methods, separate
    from seplib.classical import nmf
    from seplib.metrics.evaluation import _track_medians
    from seplib.metrics.protocol import missing_reasons

    kwargs = None
    for track in tqdm(test, desc="songs"):
        mixture, refs = data.track_mixture(track), data.track_stems(track)
        for name in names:
            kept = Path(estimates_dir) / f"{track.name} - {name}.npz" if estimates_dir else None
            if kept is not None and kept.is_file():
                with np.load(kept) as saved:
                    estimates = dict(saved)
            else:
                kwargs = nmf.method_kwargs() if kwargs is None else kwargs
                extra = {"references": refs} if methods.get(name).needs_references else {}
                estimates = separate(name, mixture, track.rate, **extra, **kwargs.get(name, {}))
                if kept is not None:
                    kept.parent.mkdir(parents=True, exist_ok=True)
                    np.savez(kept, **estimates)
            start, start_cpu = time.perf_counter(), time.process_time()
            scores = metrics.track_scores(refs, estimates, track.rate, backend="fast")
            missing_reasons(refs, estimates, scores)
            _track_medians(scores)
            wall[name] += time.perf_counter() - start
            cpu[name] += time.process_time() - start_cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--skip-mir-eval", action="store_true", help="skip the slow mir_eval run")
    parser.add_argument("--leaderboard", action="store_true",
                        help="time the scoring of notebook 08's methods on the test split instead")
    parser.add_argument("--methods", nargs="+", help="with --leaderboard: these methods only")
    parser.add_argument("--estimates", help="with --leaderboard: keep the estimates in this folder "
                        "and reuse them on the next run")
    parser.add_argument("--songs", type=int, help="with --leaderboard: the first SONGS test songs only")
    parser.add_argument("--one-at-a-time", action="store_true",
                        help="with --leaderboard: no reference statistics shared across methods")
    args = parser.parse_args()
    if args.leaderboard:
        print(json.dumps(leaderboard(args.methods, args.estimates, not args.one_at_a_time, args.songs),
                         indent=1))
        return

    refs, ests = sources(args.seconds)
    metrics.bss_eval_v4(refs[:, :, :RATE], ests[:, :, :RATE], RATE)        # warm up (and a GPU)
    fast, fast_s, fast_cpu = timed(metrics.bss_eval_v4, refs, ests, RATE)
    ref, museval_s, museval_cpu = timed(metrics.museval_v4, refs, ests, RATE)
    # a second method on the same track, its references' Gram matrix already factored
    shared = metrics.References(refs)
    shared.score(ests, RATE)
    other = (0.9 * ests + 0.05 * refs[[1, 2, 3, 0]]).astype(np.float32)
    again, again_s, again_cpu = timed(shared.score, other, RATE)
    result = {
        "track": {"seconds": args.seconds, "sources": 4, "channels": 2, "rate": RATE, "pcm16": True},
        "device": str(config.device()),
        "threads": torch.get_num_threads(),
        "gpu": ("not measured here: no GPU" if config.device().type == "cpu"
                else "the seconds below are on this GPU"),
        "seconds": {"seplib_fast_v4": fast_s, "museval_v4": museval_s,
                    "seplib_fast_v4_another_method_same_references": again_s},
        "cpu_seconds": {"seplib_fast_v4": fast_cpu, "museval_v4": museval_cpu,
                        "seplib_fast_v4_another_method_same_references": again_cpu},
        "speedup_vs_museval": round(museval_s / fast_s, 1),
        "speedup_vs_museval_cpu_seconds": round(museval_cpu / fast_cpu, 1),
        "speedup_vs_museval_same_references": round(museval_s / again_s, 1),
        "fast_vs_museval_dB": differences(fast, ref),
        "another_method_shared_vs_alone_dB": differences(again, metrics.bss_eval_v4(refs, other, RATE)),
        "median_SDR_museval": np.round(np.nanmedian(ref["SDR"], 1), 3).tolist(),
    }
    if not args.skip_mir_eval:
        import mir_eval.separation

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # bss_eval_sources takes mono (sources, samples): the two channels one after the other
            (sdr, _, _, _), mir_s, _ = timed(mir_eval.separation.bss_eval_sources,
                                          refs.reshape(4, -1), ests.reshape(4, -1))
        result["seconds"]["mir_eval_bss_eval_sources"] = mir_s
        result["mir_eval_sources_SDR_minus_museval_median_SDR_dB"] = {
            "note": "another protocol: v3 sources, whole track, channels concatenated, best permutation",
            "values": np.round(sdr - np.nanmedian(ref["SDR"], 1), 3).tolist(),
        }

    # badly conditioned case: float signals, museval against itself and against us
    refs, ests = sources(6.0, pcm16=False, seed=1)
    a = metrics.museval_v4(refs, ests, RATE)
    nudged = refs.astype(np.float64) * (1 + 1e-12 * np.random.default_rng(0).standard_normal(refs.shape))
    result["float_signals_6s_dB"] = {
        "museval_vs_museval_inputs_nudged_1e-12": differences(a, metrics.museval_v4(nudged, ests, RATE)),
        "fast_vs_museval": differences(metrics.bss_eval_v4(refs, ests, RATE), a),
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
