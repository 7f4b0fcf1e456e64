"""The results store: one JSON file of per-track scores per method and data set, and the leaderboard.

``<results_dir>/<dataset>/<method>.json`` holds a method's per-track medians;
:func:`leaderboard` reads every file of a data set into one table. :func:`why_rescore` says
whether stored scores can be reused (same tracks; for a trained model, newer than its
checkpoint). Read the store through these functions, never by building a path yourself.

Taught in: 08_leaderboard
"""
from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

from ..stems import STEMS

from .. import methods
from ..data.musdb import dataset_of
from .protocol import METRICS, PROTOCOL, _json_number, _sorted_stems, _track_medians, aggregate, summary
from ..config import results_dir as default_results_dir
from ..run import current
from ..models import checkpoint_to_use
from ..models.checkpoint import content_hash


def _checked_name(name, what):
    """A data set's or method's name as one folder or file name of the store: any letters (a
    space, accents, a leading ``_``: a data set is named after its folder), but no path (``/``,
    ``\\``), no hidden or special name (a leading ``.``), no ``@`` (it starts a run's key)."""
    if (not isinstance(name, str) or not name.strip() or name != name.strip() or name.startswith(".")
            or any(c in name for c in "/\\@\0") or len(name.encode()) > 200):
        raise ValueError(f"{what} must be a plain name (one folder or file name: no /, \\, @ or leading ., "
                         f"no spaces around it), got {name!r}")
    return name


def _results_dir(results_dir):
    if results_dir is not None:
        return Path(results_dir)
    return default_results_dir()


def _sha256(path, _cache={}):
    """The SHA-256 of a file's bytes (cached by path, size and modification time)."""
    import hashlib

    path = Path(path).resolve()
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _cache:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _cache[key] = digest.hexdigest()
    return _cache[key]


def checkpoint_id(checkpoint):
    """Which model file scores were made with: ``{"path", "sha256"}`` (``None`` for none).

    Taught in: 08_leaderboard
    """
    if checkpoint is None:
        return None
    path = Path(checkpoint).expanduser().resolve()
    return {"path": str(path), "sha256": _sha256(path) if path.is_file() else None}


def data_id(tracks):
    """Which data set scores were made on: its resolved root, split and size (tracks, seconds).

    Taught in: 08_leaderboard
    """
    tracks = list(tracks)
    track = tracks[0]
    path = Path(str(getattr(track, "path", "."))).resolve()
    subset = getattr(track, "subset", "test")
    root = next((p.parent for p in path.parents if p.name == subset), path.parent)
    seconds = sum(float(getattr(t, "duration", 0) or 0) for t in tracks)
    return {"root": str(root), "split": subset, "tracks": len(tracks), "seconds": round(seconds, 1)}


def method_inputs(method, kwargs=None, run=None):
    """What a method's scores depend on besides its checkpoint and the data: the arguments it
    separates with (by content: a hash of them, arrays included) and, for a method that reads
    the run without a checkpoint (``nmf-supervised`` learns its dictionaries from the run's
    training songs), the run's data set and size.

    The same song scored with other arguments (notebook 04's NMF at another run size), or by a
    method whose dictionaries came from another training set, is then another run in the store.

    Args:
        method (str): a method name
        kwargs (dict): the arguments given to the method (``checkpoint`` is counted apart)
        run (seplib.run.Run): the run context (default: the current one)

    Returns:
        inputs (dict): ``{"args": hash, "run": {"dataset", "size"}}``, each only where it
        applies (``{}``: the scores depend on nothing more)

    Taught in: 08_leaderboard
    """
    inputs = {}
    args = {k: v for k, v in (kwargs or {}).items() if k not in ("checkpoint", "progress")}
    if args:  # by content, as a checkpoint's checksum is made: arrays and tensors by their bytes
        inputs["args"] = content_hash(args)[:16]
    try:
        record = methods.get(method)
    except ValueError:  # stored scores of a method not registered in this session
        record = None
    if record is not None and not record.takes_checkpoint and record.takes_run:
        run = run or _current_run()
        if run is not None:
            inputs["run"] = {"dataset": run.dataset, "size": run.size}
    return inputs


def _current_run():
    """The environment's run (``None`` if it cannot be made, e.g. an unknown run size)."""

    try:
        return current()
    except Exception:  # noqa: BLE001  (no current run: nothing to prefer by)
        return None


def _run_key(checkpoint, data, backend="fast", inputs=None):
    """The file name's suffix for one run: a short hash of its checkpoint, data set, scoring
    backend and inputs (:func:`method_inputs`). The fast backend and no inputs add nothing to
    the hash: files written before the backend and the inputs were kept keep their names."""
    import hashlib

    if checkpoint is None and data is None and backend == "fast" and not inputs:
        return None  # no identity given: the plain ``<method>.json`` (the older layout)
    identity = {"checkpoint": checkpoint, "data": data}
    if backend != "fast":
        identity["backend"] = backend
    if inputs:
        identity["inputs"] = inputs
    text = json.dumps(identity, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def save_scores(method, dataset, per_track, results_dir=None, split="test", checkpoint=None, tracks=None,
                backend="fast", inputs=None, run=None):
    """Store one run's per-track scores: ``<results_dir>/<dataset>/<method>@<run>.json``.

    A run is the method, the checkpoint it separated with (path and content hash), the
    data set it was scored on (resolved root and size), the scoring backend and what else
    the result depends on (``inputs``); ``<run>`` is a short hash of those.
    Scoring another checkpoint, or another tree whose folder has the same name, adds a file;
    scoring the same run again replaces its own file (a refresh). Without a checkpoint and
    tracks the file is ``<method>.json`` (the older layout, still read). A file at the path
    that belongs to another method or data set is never replaced.

    Args:
        method (str): method name, e.g. ``"oracle-irm"``
        dataset (str): data set name, e.g. ``"synth-lab"`` or ``"MUSDB18HQ"``
        per_track (pandas.DataFrame): columns ``track, stem, metric, value`` (per-frame rows,
            with a ``frame`` column, are reduced to per-track medians first); a
            ``per_track.attrs["missing"]`` of ``{stem: why}`` is kept with the scores
        results_dir (str or Path): default :func:`seplib.config.results_dir`
        split (str): which split was scored
        checkpoint (str or Path): the model file the method separated with, if any
        tracks (list): the tracks scored (for the data set's root and size)
        backend (str): the scoring backend, ``"fast"`` or ``"museval"`` (kept apart)
        inputs (dict): what else the scores depend on, from :func:`method_inputs`
        run (seplib.run.Run): the run that scored them (its size is kept: :func:`leaderboard`
            prefers the current run's scores)

    Returns:
        path (Path): the file written

    Taught in: 08_leaderboard
    """
    import time

    ckpt = checkpoint_id(checkpoint)
    data = data_id(tracks) if tracks else None
    key = _run_key(ckpt, data, backend, inputs)
    path = (_results_dir(results_dir) / _checked_name(dataset, "dataset")
            / f"{_checked_name(method, 'method')}{f'@{key}' if key else ''}.json")
    if path.exists():
        try:
            old = json.loads(path.read_text())
        except (OSError, ValueError) as err:
            raise ValueError(f"{path} exists and is not a seplib scores file ({err}); "
                             "not overwriting") from err
        if (old.get("method"), old.get("dataset")) != (method, dataset):
            raise ValueError(f"{path} holds scores of {old.get('method')!r} on {old.get('dataset')!r}, "
                             f"not {method!r} on {dataset!r}; not overwriting")
    missing = dict(getattr(per_track, "attrs", {}).get("missing", {}))
    per_track = _track_medians(per_track)
    if "track" not in per_track.columns:
        raise ValueError("per_track needs a 'track' column (as evaluate() returns)")
    record = {
        "method": method, "dataset": dataset, "split": split, "protocol": PROTOCOL,
        "checkpoint": ckpt, "data": data, "backend": backend, "inputs": inputs or {},
        "run": {"dataset": run.dataset, "size": run.size} if run is not None else None,
        "written": time.time(), "missing": missing,
        "summary": summary(per_track, method, split)["stems"],
        "scores": [{"track": r.track, "stem": r.stem, "metric": r.metric, "value": _json_number(r.value)}
                   for r in per_track.itertuples()],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # unique: writers never collide
    try:
        tmp.write_text(json.dumps(record, indent=1))
        tmp.replace(path)
    except OSError as err:  # a full disk: name the file asked for, leave no temporary one
        tmp.unlink(missing_ok=True)
        raise OSError(err.errno, err.strerror, str(path)) from err
    return path


# --------------------------------------------------------------------------------------------
# An evaluation in progress: one line per finished track, so an interrupted one continues
# --------------------------------------------------------------------------------------------
def refuse_foreign(path, method, dataset):
    """Refuse, before any work, a scores file that :func:`save_scores` would not overwrite: one that
    is not a seplib scores file (damaged JSON), or holds another method's or data set's scores.

    Raises:
        ValueError: naming the file and what it holds
    """
    path = Path(path)
    if not path.exists():
        return
    try:
        old = json.loads(path.read_text())
        held = (old.get("method"), old.get("dataset"))
    except (OSError, ValueError, AttributeError) as err:
        raise ValueError(f"{path} exists and is not a seplib scores file ({' '.join(str(err).split())}); "
                         "not overwriting: move it aside to score again (nothing was scored)") from None
    if held != (method, dataset):
        raise ValueError(f"{path} holds scores of {held[0]!r} on {held[1]!r}, not {method!r} on {dataset!r}; "
                         "not overwriting (nothing was scored)")


def partial_path(path):
    """Where an evaluation in progress keeps its finished tracks: a hidden ``.<name>.partial.jsonl``
    beside the scores file ``path`` it will become (see :func:`scores_path`)."""
    path = Path(path)
    return path.with_name(f".{path.stem}.partial.jsonl")


def read_partial(path, header):
    """The finished tracks of an interrupted evaluation of the same run (``{}`` if none).

    Args:
        path (Path): the scores file the evaluation will write (see :func:`scores_path`)
        header (dict): what the evaluation is (method, data set, backend, ...): a partial
            file with another header is of another evaluation and is not reused

    Returns:
        done (dict): ``{track name: {"rows": [[stem, metric, value], ...], "missing": {stem: why}}}``;
        a line cut short by the interruption is dropped (that track is scored again)
    """
    part = partial_path(path)
    if not part.is_file():
        return {}
    if _header_of(part) != json.loads(json.dumps(header)):
        return {}
    lines = part.read_text().splitlines()
    done = {}
    for line in lines[1:]:
        try:
            entry = json.loads(line)
            done[entry["track"]] = {"rows": entry["rows"], "missing": entry.get("missing", {})}
        except (ValueError, KeyError, TypeError):
            break  # the last line, half written when the run stopped
    return done


def append_partial(path, header, track, rows, missing):
    """Add one finished track to the evaluation in progress (a new partial file starts with ``header``).

    Args:
        path (Path): the scores file the evaluation will write
        header (dict): as in :func:`read_partial`
        track (str): the track's name
        rows (list): ``[stem, metric, value]`` medians of that track
        missing (dict): ``{stem: why}`` for the stems without a score on that track
    """
    part = partial_path(path)
    part.parent.mkdir(parents=True, exist_ok=True)
    fresh = _header_of(part) != json.loads(json.dumps(header))  # none yet, or another evaluation's
    with open(part, "w" if fresh else "a") as handle:
        if fresh:
            handle.write(json.dumps(header) + "\n")
        # full precision (not the 4 decimals of the scores file): a resumed evaluation's medians
        # are those of an unbroken one
        handle.write(json.dumps({"track": track, "rows": [[s, m, _exact_number(v)] for s, m, v in rows],
                                 "missing": missing}) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _exact_number(x):
    """A score as JSON keeps it exactly (``None``: NaN or inf, no score)."""
    return None if x is None or not math.isfinite(float(x)) else float(x)


def _header_of(part):
    """The first line of a partial file (``None`` if there is none or it cannot be read)."""
    try:
        with open(part) as handle:
            return json.loads(handle.readline())
    except (OSError, ValueError):
        return None


def _short_checkpoint(ckpt):
    if not ckpt:
        return ""
    return f"{Path(ckpt['path']).name}@{(ckpt.get('sha256') or 'missing')[:8]}"


def _records(dataset, results_dir=None):
    """Every run stored for a data set: ``[(path, record)]``, each record with its row label
    (``"label"``: the method's name for its preferred run, the run spelled out for others)."""
    folder = _results_dir(results_dir) / _checked_name(dataset, "dataset")
    found = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            record = json.loads(path.read_text())
            record["method"], record["scores"]  # noqa: B018  (a seplib scores file has both)
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise ValueError(f"{path} is not a seplib scores file ({err}); move it out of {folder}") from None
        record.setdefault("written", path.stat().st_mtime)
        record["key"] = path.stem.partition("@")[2]
        record.setdefault("backend", "fast")   # written before the backend was kept: the fast one
        record["older_layout"] = "data" not in record
        ckpt = record.get("checkpoint")
        record["checkpoint_short"] = _short_checkpoint(ckpt) if ckpt else (
            "(not recorded)" if record["older_layout"] else "")
        record["data_short"] = dataset if not record["older_layout"] else f"{dataset} (older layout)"
        found.append((path, record))
    by_method = {}
    for path, record in found:
        by_method.setdefault(record["method"], []).append(record)
    run = _current_run() if found else None
    for method, records in by_method.items():
        preferred = _preferred(method, records, run)
        for record in records:
            record["label"] = method if record is preferred else None
        others = [r for r in records if r is not preferred]
        roots = {(r.get("data") or {}).get("root") for r in others if r.get("data")}
        for record in others:
            data = record["data_short"]
            if len(roots) > 1 and record.get("data"):   # same folder name, other trees
                data = record["data"]["root"]
            scored_in = (record.get("run") or {}).get("size")
            parts = (record["checkpoint_short"], data,
                     f"{scored_in} run" if record.get("inputs") and scored_in else "",
                     record["backend"] if record["backend"] != "fast" else "")
            record["label"] = f"{method} [{', '.join(x for x in parts if x)}]"
        labels = [r["label"] for r in records]
        for record in records:                            # still the same: tell apart by file
            if labels.count(record["label"]) > 1 and record is not preferred:
                record["label"] += f" #{record.get('key', '')}"
    return found


def _preferred(method, records, run=None):
    """The run a plain method name means, among those scored with the fast backend (``None``
    if there is none: every row then names its backend): the one of the method's current
    checkpoint when it has one (newest such), else the newest scored in the current run
    (``run``: its data set and size), else the newest scored."""
    records = [r for r in records if r.get("backend", "fast") == "fast"]
    if len(records) <= 1:
        return records[0] if records else None
    current = None
    try:
        current = checkpoint_id(_checkpoint_of(method, {}))
    except Exception:  # noqa: BLE001  (no current run: any stored run may be meant)
        current = None
    matching = [r for r in records if current and r.get("checkpoint") == current]
    if not matching and run is not None:
        here = {"dataset": run.dataset, "size": run.size}
        matching = [r for r in records if r.get("run") == here]
    return max(matching or records, key=lambda r: r["written"])


def load_scores(dataset, method=None, results_dir=None, runs=False):
    """Read stored per-track scores.

    Args:
        dataset (str): data set name
        method (str): one row of the leaderboard (a method's name is its preferred run: the
            one of its current checkpoint, else the newest), or ``None`` for every stored run
        results_dir (str or Path): default :func:`seplib.config.results_dir`
        runs (bool): add the columns ``checkpoint`` and ``data`` (which run each row is)

    Returns:
        scores (pandas.DataFrame): columns ``method, track, stem, metric, value`` (NaN for
        silence); ``method`` is the leaderboard's row label

    Taught in: 08_leaderboard
    """
    import pandas as pd

    if method is not None:
        _checked_name(method.split(" [")[0], "method")
    records = [r for _, r in _records(dataset, results_dir) if method is None or r["label"] == method]
    if method is not None and not records:
        raise FileNotFoundError(f"no scores for {method!r} on {dataset!r}: "
                                f"{scores_path(method.split(' [')[0], dataset, results_dir)} is missing")
    frames = []
    for record in records:
        df = pd.DataFrame(record["scores"], columns=["track", "stem", "metric", "value"])
        df["value"] = df["value"].astype(float)              # None -> NaN
        df = df.assign(method=record["label"])
        if runs:
            df = df.assign(checkpoint=record["checkpoint_short"], data=record["data_short"])
        frames.append(df)
    columns = ["method", "track", "stem", "metric", "value"] + (["checkpoint", "data"] if runs else [])
    return pd.concat(frames)[columns].reset_index(drop=True) if frames else pd.DataFrame(columns=columns)


def leaderboard(dataset, metric="SDR", results_dir=None, runs=False):
    """Every stored run on a data set: median ``metric`` per stem (the MUSDB protocol).

    One row per run (method, checkpoint, data set, backend, inputs). A method's preferred run
    among those scored with the fast backend (the one of its current checkpoint, else the
    newest scored in the current run, else the newest) is labelled by the method's name; its
    other runs by the name and the run, e.g. ``unet [other.pt@1a2b3c4d, synth-lab]``,
    ``nmf [example, lab run]`` (other arguments, from a run of another size) or
    ``hpss [example, museval]`` (scored with the museval backend).

    Args:
        dataset (str): data set name
        metric (str): ``"SDR"``, ``"SIR"``, ``"SAR"`` or ``"ISR"``
        results_dir (str or Path): default :func:`seplib.config.results_dir`
        runs (bool): add the columns ``checkpoint`` (file name and the first 8 hex digits of
            its SHA-256), ``data`` (the data set) and ``missing`` (why a stem has no score)

    Returns:
        table (pandas.DataFrame): index ``method``, one column per stem (dB), best mean over
        the four stems first, then methods that give fewer stems; NaN where a method gives no
        estimate of that stem (or no score: ``missing`` says why)

    Taught in: 08_leaderboard
    """
    import pandas as pd

    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    records = [r for _, r in _records(dataset, results_dir)]
    scores = load_scores(dataset, results_dir=results_dir)
    if scores.empty:
        return pd.DataFrame().rename_axis("method")
    table = pd.DataFrame({m: aggregate(df)[metric] for m, df in scores.groupby("method")}).T
    table = table[_sorted_stems(table.columns)].rename_axis("method")
    # rank by the mean over the four stems; methods that give fewer stems (REPET, HPSS) after
    # those that give all four, ranked among themselves by the mean of what they give
    four = table.reindex(columns=list(STEMS)).mean(axis=1, skipna=False)
    order = pd.DataFrame({"four": four, "given": table.mean(axis=1)})
    table = table.loc[order.sort_values(["four", "given"], ascending=False, na_position="last").index]
    if runs:
        by_label = {r["label"]: r for r in records}
        table["checkpoint"] = [by_label[m]["checkpoint_short"] for m in table.index]
        table["data"] = [by_label[m]["data_short"] for m in table.index]
        table["missing"] = [missing_note(by_label[m], table.loc[m]) for m in table.index]
    return table


def missing_note(record, row):
    """Why stems of a stored run have no score (``""`` when all that it gives have one)."""
    why = record.get("missing") or {}
    return "; ".join(f"{stem}: {why[stem]}" for stem in _sorted_stems(why)
                     if stem in row.index and not _is_number(row[stem]))


def _is_number(x):
    try:
        return bool(x == x) and x is not None
    except (TypeError, ValueError):
        return False



# --------------------------------------------------------------------------------------------
# Which stored scores are still valid
# --------------------------------------------------------------------------------------------
def scores_path(method, dataset, results_dir=None, checkpoint=None, tracks=None, backend="fast", inputs=None):
    """Where :func:`save_scores` keeps one run's scores: ``<results_dir>/<dataset>/<method>@<run>.json``;
    with no run given, the file of the method's preferred run (as :func:`leaderboard` labels it).

    Args:
        method (str), dataset (str): names as in :func:`save_scores`
        results_dir (str or Path): default :func:`seplib.config.results_dir`
        checkpoint (str or Path), tracks (list): the run, as in :func:`save_scores` (neither:
            ``<method>.json``, the older layout)
        backend (str), inputs (dict): the run's scoring backend and inputs, as in :func:`save_scores`

    Returns:
        path (Path): the file (it may not exist)

    Taught in: 08_leaderboard
    """
    key = _run_key(checkpoint_id(checkpoint), data_id(tracks) if tracks else None, backend, inputs)
    folder = _results_dir(results_dir) / _checked_name(dataset, "dataset")
    if key is None:   # no run given: the method's preferred stored run, if there is one
        stored = [(p, r) for p, r in _records(dataset, results_dir) if r["method"] == method and r["label"] == method]
        if stored:
            return stored[0][0]
    name = _checked_name(method, "method") + (f"@{key}" if key else "")
    return folder / f"{name}.json"


def _checkpoint_of(method, kwargs, run=None):
    """The checkpoint a method separates with: ``kwargs["checkpoint"]``, else the one a trained
    model loads by default (the run's own, else the shipped one), else ``None`` (a method
    without one, or a name not registered)."""
    if kwargs.get("checkpoint") is not None:
        return Path(kwargs["checkpoint"])
    try:
        if not methods.get(method).takes_checkpoint:
            return None
    except ValueError:  # stored scores of a method not registered in this session
        return None

    return checkpoint_to_use(method, run)[0]  # the run's own model, else the shipped one


def why_rescore(method, tracks, dataset=None, results_dir=None, checkpoint=None, run=None, backend="fast",
                kwargs=None):
    """Why a method's stored scores cannot be reused for these tracks; ``""`` when they can.

    Stored scores are reused only when they are of the same run (checkpoint, data set,
    backend, arguments and, for a method that reads the run, the run's data set and size:
    :func:`method_inputs`), cover exactly the tracks given (same names) and, for a learned
    method, were written after its checkpoint (a model trained again must be scored again).

    Args:
        method (str): a method name, e.g. ``"unet"``
        tracks (list): musdb tracks, e.g. ``seplib.data.open_dataset("test")``
        dataset (str): the name scores are stored under (default: the tracks' data set)
        results_dir (str or Path): default :func:`seplib.config.results_dir`
        checkpoint (str or Path): the model file the scores must be newer than (default:
            the model's own checkpoint for a learned method, none for the others)
        run (seplib.run.Run): the run whose trained model is meant (default: the current one)
        backend (str): the scoring backend, as in :func:`seplib.metrics.evaluate`
        kwargs (dict): the arguments the method would be evaluated with

    Returns:
        reason (str): ``""``, or why the method must be scored now

    Taught in: 08_leaderboard
    """
    tracks = list(tracks)
    dataset = dataset or dataset_of(tracks)
    if checkpoint is None:
        checkpoint = _checkpoint_of(method, {}, run)
    inputs = method_inputs(method, kwargs, run)
    path = scores_path(method, dataset, results_dir, checkpoint=checkpoint, tracks=tracks, backend=backend,
                       inputs=inputs)
    if not path.is_file():
        # scores stored without their run (the older layout, or no tracks' paths): reused under
        # the same rules as before, their checkpoint judged by modification time
        older = path.parent / f"{method}.json"
        if backend != "fast" or inputs or not older.is_file():
            return _why_not_found(method, path, checkpoint)
        path = older
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return "the stored file cannot be read"
    if sorted({row["track"] for row in record.get("scores", [])}) != sorted(t.name for t in tracks):
        return "stored scores are of other tracks"
    if checkpoint is not None and Path(checkpoint).is_file() and Path(checkpoint).stat().st_mtime > path.stat().st_mtime:
        return "the model was trained again since"
    return ""


def _why_not_found(method, path, checkpoint):
    """No scores of this run: was the same checkpoint file scored before it was trained again?"""
    ckpt = checkpoint_id(checkpoint)
    if ckpt is not None:
        for other in path.parent.glob(f"{method}@*.json"):
            try:
                stored = json.loads(other.read_text()).get("checkpoint") or {}
            except (OSError, ValueError):
                continue
            if stored.get("path") == ckpt["path"] and stored.get("sha256") != ckpt["sha256"]:
                return "the model was trained again since"
    return "not scored yet"
