"""The results store: one JSON file of per-track scores per method and data set, and the leaderboard.

``<results_dir>/<dataset>/<method>.json`` holds a method's per-track medians;
:func:`leaderboard` reads every file of a data set into one table. :func:`why_rescore` says
whether stored scores can be reused (same tracks; for a trained model, newer than its
checkpoint). Read the store through these functions, never by building a path yourself.

Taught in: 08_leaderboard
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

from .. import STEMS, methods
from ..data.musdb import dataset_of
from .protocol import METRICS, PROTOCOL, _json_number, _sorted_stems, _track_medians, aggregate, summary


def _checked_name(name, what):
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._+-]*", name):
        raise ValueError(f"{what} must be a plain name (letters, digits, . _ + -), got {name!r}")
    return name


def _results_dir(results_dir):
    if results_dir is not None:
        return Path(results_dir)
    from ..config import results_dir as default
    return default()


def save_scores(method, dataset, per_track, results_dir=None, split="test"):
    """Store a method's per-track scores as ``<results_dir>/<dataset>/<method>.json``.

    Scoring the same method on the same data set again replaces its file (a refresh); a file
    at that path that belongs to another method or data set is never replaced.

    Args:
        method (str): method name, e.g. ``"oracle-irm"``
        dataset (str): data set name, e.g. ``"synth-lab"`` or ``"MUSDB18HQ"``
        per_track (pandas.DataFrame): columns ``track, stem, metric, value`` (per-frame rows,
            with a ``frame`` column, are reduced to per-track medians first)
        results_dir (str or Path): default :func:`seplib.config.results_dir`
        split (str): which split was scored

    Returns:
        path (Path): the file written

    Taught in: 08_leaderboard
    """
    folder = _results_dir(results_dir) / _checked_name(dataset, "dataset")
    path = folder / f"{_checked_name(method, 'method')}.json"
    if path.exists():
        try:
            old = json.loads(path.read_text())
        except (OSError, ValueError) as err:
            raise ValueError(f"{path} exists and is not a seplib scores file ({err}); "
                             "not overwriting") from err
        if (old.get("method"), old.get("dataset")) != (method, dataset):
            raise ValueError(f"{path} holds scores of {old.get('method')!r} on {old.get('dataset')!r}, "
                             f"not {method!r} on {dataset!r}; not overwriting")
    per_track = _track_medians(per_track)
    if "track" not in per_track.columns:
        raise ValueError("per_track needs a 'track' column (as evaluate() returns)")
    record = {
        "method": method, "dataset": dataset, "split": split, "protocol": PROTOCOL,
        "summary": summary(per_track, method, split)["stems"],
        "scores": [{"track": r.track, "stem": r.stem, "metric": r.metric, "value": _json_number(r.value)}
                   for r in per_track.itertuples()],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # unique: writers never collide
    tmp.write_text(json.dumps(record, indent=1))
    tmp.replace(path)
    return path


def load_scores(dataset, method=None, results_dir=None):
    """Read stored per-track scores.

    Args:
        dataset (str): data set name
        method (str): one method, or ``None`` for all methods stored for ``dataset``
        results_dir (str or Path): default :func:`seplib.config.results_dir`

    Returns:
        scores (pandas.DataFrame): columns ``method, track, stem, metric, value`` (NaN for silence)

    Taught in: 08_leaderboard
    """
    import pandas as pd

    folder = _results_dir(results_dir) / _checked_name(dataset, "dataset")
    if method is not None:
        paths = [folder / f"{_checked_name(method, 'method')}.json"]
        if not paths[0].is_file():
            raise FileNotFoundError(f"no scores for {method!r} on {dataset!r}: {paths[0]} is missing")
    else:
        paths = sorted(folder.glob("*.json")) if folder.is_dir() else []
    frames = []
    for path in paths:
        record = json.loads(path.read_text())
        df = pd.DataFrame(record["scores"], columns=["track", "stem", "metric", "value"])
        df["value"] = df["value"].astype(float)              # None -> NaN
        frames.append(df.assign(method=record["method"]))
    columns = ["method", "track", "stem", "metric", "value"]
    return pd.concat(frames)[columns].reset_index(drop=True) if frames else pd.DataFrame(columns=columns)


def leaderboard(dataset, metric="SDR", results_dir=None):
    """Every stored method on a data set: median ``metric`` per stem (the MUSDB protocol).

    Args:
        dataset (str): data set name
        metric (str): ``"SDR"``, ``"SIR"``, ``"SAR"`` or ``"ISR"``
        results_dir (str or Path): default :func:`seplib.config.results_dir`

    Returns:
        table (pandas.DataFrame): index ``method``, one column per stem (dB), best mean over
        the four stems first, then methods that give fewer stems; NaN where a method gives no
        estimate of that stem

    Taught in: 08_leaderboard
    """
    import pandas as pd

    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    scores = load_scores(dataset, results_dir=results_dir)
    if scores.empty:
        return pd.DataFrame().rename_axis("method")
    table = pd.DataFrame({m: aggregate(df)[metric] for m, df in scores.groupby("method")}).T
    table = table[_sorted_stems(table.columns)].rename_axis("method")
    # rank by the mean over the four stems; methods that give fewer stems (REPET, HPSS) after
    # those that give all four, ranked among themselves by the mean of what they give
    four = table.reindex(columns=list(STEMS)).mean(axis=1, skipna=False)
    order = pd.DataFrame({"four": four, "given": table.mean(axis=1)})
    return table.loc[order.sort_values(["four", "given"], ascending=False, na_position="last").index]



# --------------------------------------------------------------------------------------------
# Which stored scores are still valid
# --------------------------------------------------------------------------------------------
def scores_path(method, dataset, results_dir=None):
    """Where :func:`save_scores` keeps a method's scores: ``<results_dir>/<dataset>/<method>.json``.

    Args:
        method (str), dataset (str): names as in :func:`save_scores`
        results_dir (str or Path): default :func:`seplib.config.results_dir`

    Returns:
        path (Path): the file (it may not exist)

    Taught in: 08_leaderboard
    """
    return _results_dir(results_dir) / _checked_name(dataset, "dataset") / f"{_checked_name(method, 'method')}.json"


def _checkpoint_of(method, kwargs, run=None):
    """The checkpoint a method separates with: ``kwargs["checkpoint"]``, else a trained model's
    default one (the run's), else ``None`` (a method without one, or a name not registered)."""
    if kwargs.get("checkpoint") is not None:
        return Path(kwargs["checkpoint"])
    try:
        if not methods.get(method).takes_checkpoint:
            return None
    except ValueError:  # stored scores of a method not registered in this session
        return None
    from ..models import default_checkpoint

    return default_checkpoint(method) if run is None else default_checkpoint(method, run=run)


def why_rescore(method, tracks, dataset=None, results_dir=None, checkpoint=None, run=None):
    """Why a method's stored scores cannot be reused for these tracks; ``""`` when they can.

    Stored scores are reused only when they cover exactly the tracks given (same names) and,
    for a learned method, when they were written after its checkpoint (a model trained again
    must be scored again).

    Args:
        method (str): a method name, e.g. ``"unet"``
        tracks (list): musdb tracks, e.g. ``seplib.data.open_dataset("test")``
        dataset (str): the name scores are stored under (default: the tracks' data set)
        results_dir (str or Path): default :func:`seplib.config.results_dir`
        checkpoint (str or Path): the model file the scores must be newer than (default:
            the model's own checkpoint for a learned method, none for the others)
        run (seplib.run.Run): the run whose trained model is meant (default: the current one)

    Returns:
        reason (str): ``""``, or why the method must be scored now

    Taught in: 08_leaderboard
    """
    tracks = list(tracks)
    path = scores_path(method, dataset or dataset_of(tracks), results_dir)
    if not path.is_file():
        return "not scored yet"
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return "the stored file cannot be read"
    if sorted({row["track"] for row in record.get("scores", [])}) != sorted(t.name for t in tracks):
        return "stored scores are of other tracks"
    if checkpoint is None:
        checkpoint = _checkpoint_of(method, {}, run)
    if checkpoint is not None and Path(checkpoint).is_file() and Path(checkpoint).stat().st_mtime > path.stat().st_mtime:
        return "the model was trained again since"
    return ""

