"""The MUSDB protocol: score one track's stems together, then medians over frames and tracks.

:func:`track_scores` scores the stems a method gave (BSSEval v4, one-second frames),
:func:`aggregate` takes the median over frames per track, then over tracks, and
:func:`summary` gives the result as JSON. (:func:`seplib.metrics.evaluate` runs a method over a
list of tracks and keeps its scores in the store.)

Taught in: 01_stft_and_masks
"""
from __future__ import annotations

import numpy as np

from ..stems import STEMS
from ..separation import reference_of
from .bsseval import _pad_or_truncate, bss_eval_v4, museval_v4

METRICS = ("SDR", "SIR", "SAR", "ISR")
"""The four BSSEval criteria, in the order tables show them."""
PROTOCOL = "BSSEval v4 (museval), 1 s frames, median over frames per track, then median over tracks"


def _json_number(x):
    return None if x is None or not np.isfinite(x) else round(float(x), 4)


def stacked(arrays):
    """``np.stack(arrays)``, without a copy when they already are the rows of one array, in order.

    :func:`seplib.metrics.evaluate` keeps a song's stems as the rows of one array, so that
    scoring a long song does not hold every stem twice.

    Args:
        arrays (list of np.ndarray): of one shape

    Returns:
        array (np.ndarray): ``(len(arrays), *shape)``
    """
    base = getattr(arrays[0], "base", None) if arrays else None
    if (isinstance(base, np.ndarray) and base.shape == (len(arrays), *np.shape(arrays[0]))
            and base.dtype == arrays[0].dtype
            and all(isinstance(a, np.ndarray) and a.base is base
                    and a.__array_interface__["data"] == base[i].__array_interface__["data"]
                    and a.strides == base[i].strides for i, a in enumerate(arrays))):
        return base
    return np.stack(arrays)


def _sorted_stems(names):
    """Stems in seplib's order (drums, bass, other, vocals, accompaniment), others after."""
    order = tuple(STEMS) + ("accompaniment",)
    return sorted(names, key=lambda s: (order.index(s), "") if s in order else (len(order), s))


def _groups(stems):
    """Which stems are evaluated together, as ``museval.eval_mus_track`` does it:
    vocals + accompaniment as their own pair, every other stem with the rest."""
    if "vocals" in stems and "accompaniment" in stems:
        rest = [s for s in stems if s != "accompaniment"]
        return [(["vocals", "accompaniment"], ["vocals", "accompaniment"]),
                (rest, [s for s in rest if s != "vocals"])]
    return [(list(stems), list(stems))]


def track_scores(references, estimates, rate, backend="fast", window=1.0, hop=1.0, device=None):
    """BSSEval v4 scores of one track, for the stems the method estimated.

    Stems are scored together (each estimate's interference is measured against the other
    references), with ``museval``'s grouping: if both ``vocals`` and ``accompaniment`` are
    estimated they form their own pair. ``accompaniment`` is compared with the sum of all
    stems but vocals. A stem estimated alone (``museval`` would give nothing) is scored
    against "the rest": the other references summed, and the mixture minus its estimate.

    Args:
        references (dict): ``{stem: (channels, samples)}``, the true stems
        estimates (dict): ``{stem: (channels, samples)}``, any subset of the stems
            (plus ``accompaniment``)
        rate (int): sample rate in Hz
        backend (str): ``"fast"`` (:func:`bss_eval_v4`) or ``"museval"`` (:func:`museval_v4`)
        window, hop (float): frame length and hop in seconds
        device: for the fast backend

    Returns:
        scores (pandas.DataFrame): long format, columns ``stem, metric, frame, value``

    Taught in: 01_stft_and_masks
    """
    import pandas as pd

    if backend not in ("fast", "museval"):
        raise ValueError(f"backend must be 'fast' or 'museval', got {backend!r}")
    if not estimates:
        raise ValueError("estimates is empty: nothing to score")
    stems = _sorted_stems(estimates)
    rows = []
    for group, keep in _groups(stems):
        if not keep:
            continue
        refs = [reference_of(s, references) for s in group]
        ests = [_pad_or_truncate(np.asarray(estimates[s])[None], refs[0].shape[-1])[0] for s in group]
        if len(group) == 1:                  # a lone stem against the rest of the mix
            mix = np.sum([np.asarray(v) for k, v in references.items() if k != "accompaniment"], 0)
            refs.append(mix - refs[0])
            ests.append(mix - ests[0])
        ref_arr, est_arr = stacked(refs), stacked(ests)
        if backend == "fast":
            res = bss_eval_v4(ref_arr, est_arr, rate, window, hop, device=device)
        else:
            res = museval_v4(ref_arr, est_arr, rate, window, hop)
        for i, stem in enumerate(group):
            if stem not in keep:
                continue
            for m in METRICS:
                rows += [(stem, m, t, float(v)) for t, v in enumerate(res[m][i])]
    return pd.DataFrame(rows, columns=["stem", "metric", "frame", "value"])


def missing_reasons(references, estimates, scores):
    """Why a stem has no score on a track (every frame NaN), in ``museval``'s terms.

    Args:
        references, estimates (dict): as for :func:`track_scores`
        scores (pandas.DataFrame): what :func:`track_scores` gave for them

    Returns:
        reasons (dict): ``{stem: why}`` for each stem without a single scored frame

    Taught in: 08_leaderboard
    """
    def silent(x):
        return not np.any(np.asarray(x))

    reasons = {}
    for stem, values in scores.groupby("stem")["value"]:
        if values.notna().any():
            continue
        if silent(reference_of(stem, references)):
            reasons[stem] = "the reference is silent in every frame"
        elif silent(estimates[stem]):
            reasons[stem] = "the estimate is silent in every frame"
        else:
            group = next(g for g, keep in _groups(_sorted_stems(estimates)) if stem in g)
            quiet = [s for s in group if s != stem and silent(reference_of(s, references))]
            reasons[stem] = (f"the reference of {', '.join(quiet)} (scored with it) is silent in every frame"
                             if quiet else "a reference or estimate is silent in every frame")
    return reasons


def _track_medians(scores):
    """Median over frames (NaN ignored) of each track, stem and metric."""
    keys = [k for k in ("method", "track", "stem", "metric") if k in scores.columns]
    if "frame" not in scores.columns:
        return scores
    return scores.groupby(keys, sort=False)["value"].median().reset_index()


def aggregate(scores):
    """The MUSDB protocol: median over frames per track, then median over tracks.

    NaN frames (silence) are ignored at both steps, as in ``museval``.

    Args:
        scores (pandas.DataFrame): long format with columns ``stem, metric, value`` and
            optionally ``track`` (default: one track) and ``frame`` (absent: already per track)

    Returns:
        table (pandas.DataFrame): index ``stem``, columns ``SDR, SIR, SAR, ISR``, in dB

    Taught in: 01_stft_and_masks
    """
    per_track = _track_medians(scores)
    table = per_track.groupby(["stem", "metric"])["value"].median().unstack("metric")
    return table.reindex(index=_sorted_stems(table.index), columns=[m for m in METRICS if m in table.columns])


def summary(per_track, method, split="test"):
    """The JSON summary of an evaluation (what ``seplib evaluate`` prints).

    Args:
        per_track (pandas.DataFrame): as returned by :func:`evaluate`
        method (str), split (str): labels

    Returns:
        summary (dict): ``{"method", "split", "tracks": N, "stems": {stem: {"SDR": dB, ...}}}``,
        NaN (and inf) given as ``None`` so the dict is valid JSON; ``"missing": {stem: why}``
        for the stems without any score (e.g. "the reference is silent in every frame", from
        ``per_track.attrs["missing"]``, which :func:`seplib.metrics.evaluate` fills)

    Taught in: 08_leaderboard
    """
    table = aggregate(per_track)
    n = per_track["track"].nunique() if "track" in per_track.columns else 1
    stems = {stem: {m: _json_number(row[m]) for m in table.columns} for stem, row in table.iterrows()}
    out = {"method": method, "split": split, "tracks": int(n), "stems": stems}
    why = getattr(per_track, "attrs", {}).get("missing") or {}
    missing = {stem: why.get(stem, "no frame could be scored") for stem, row in table.iterrows()
               if row.isna().all()}
    if missing:
        out["missing"] = missing
    return out

