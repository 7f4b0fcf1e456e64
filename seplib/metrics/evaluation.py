"""Evaluate a method: separate every track, score it with the MUSDB protocol, keep the scores.

:func:`evaluate` treats every registered method alike (built-in or yours): an oracle is given
the true stems because its record says it needs them. :func:`score_missing` evaluates only the
methods whose stored scores cannot be reused.

Taught in: 08_leaderboard
"""
from __future__ import annotations

from .. import methods
from ..data.musdb import dataset_of
from .bsseval import shared_references
from .protocol import _sorted_stems, _track_medians, missing_reasons, track_scores
from .store import (_checkpoint_of, _current_run, append_partial, checkpoint_id, method_inputs, partial_path,
                    read_partial, refuse_foreign, save_scores, scores_path, why_rescore)
from .. import data, separation  # as modules: data.track_stems and separation.separate are looked up when called


def evaluate(method, tracks, backend="fast", store=True, dataset=None, results_dir=None,
             progress=True, run=None, keep=None, **kwargs):
    """Separate and score every track with one method (and store the scores).

    For each track: ``separate(method, mixture, rate)`` (a method whose record says it needs
    the true stems, an oracle, is given them), then :func:`track_scores`, then the median over
    frames. A method you registered yourself is evaluated the same way.

    The scores are stored as one run: this method, its checkpoint (path and content hash),
    these tracks' data set (resolved root and size), the backend and what else the result
    depends on (the arguments given, by content; for ``nmf-supervised``, the run whose training
    songs its dictionaries come from: :func:`~seplib.metrics.store.method_inputs`). Another
    checkpoint, tree, backend or argument adds a run; the same run again replaces its own.

    Each track's scores are kept as soon as it is done (a hidden ``.<run>.partial.jsonl`` beside
    the scores file), so an evaluation stopped half-way (Ctrl-C, a lost Colab runtime) continues
    where it stopped when called again the same way; one song's audio is held at a time.

    Args:
        method (str): a registered method name (``seplib.methods.names()``)
        tracks (list): musdb tracks, e.g. ``seplib.data.open_dataset("test")``
        backend (str): ``"fast"`` or ``"museval"``
        store (bool): write the scores with :func:`save_scores`
        dataset (str): name to store under (default: the tracks' data set folder name,
            e.g. ``synth-lab``, with ``-train`` appended for training tracks)
        results_dir (str or Path): default: the run's (``run.results_dir``), else
            :func:`seplib.config.results_dir`
        progress (bool): show a progress bar
        run (seplib.run.Run): the run context, passed on to the method (a trained model's
            default checkpoint is the run's)
        keep (dict): if given, the estimates of each track separated here are put in it,
            ``{track name: {stem: (channels, samples)}}``, to listen to without separating
            again (a short song's; a track already scored by an interrupted evaluation is not
            separated, so not kept)
        **kwargs: passed to the method (e.g. ``checkpoint=PATH``)

    Returns:
        per_track (pandas.DataFrame): columns ``track, stem, metric, value`` (median over frames);
        ``per_track.attrs["missing"]``: ``{stem: why}`` for a stem with no score on any track
        (e.g. "the reference is silent in every frame"); :func:`summary` prints it

    Taught in: 08_leaderboard
    """
    import pandas as pd
    from tqdm.auto import tqdm


    record = methods.get(method)
    tracks = list(tracks)
    if not tracks:
        raise ValueError("tracks is empty: nothing to evaluate")
    if results_dir is None and run is not None:
        results_dir = run.results_dir
    dataset = dataset or dataset_of(tracks)
    checkpoint = _checkpoint_of(method, kwargs, run)
    inputs = method_inputs(method, kwargs, run)
    # each finished track is kept at once beside the scores file: an interrupted evaluation of
    # the same run (method, checkpoint, data set, backend, arguments) continues where it stopped
    path = scores_path(method, dataset, results_dir, checkpoint=checkpoint, tracks=tracks, backend=backend,
                       inputs=inputs) if store else None
    header = {"method": method, "dataset": dataset, "backend": backend,
              "checkpoint": checkpoint_id(checkpoint), "tracks": [t.name for t in tracks],
              "kwargs": {k: repr(v) for k, v in sorted(kwargs.items())}}
    if store:
        refuse_foreign(path, method, dataset)  # a file save_scores would refuse: before the work
    done = read_partial(path, header) if store else {}
    if done:
        print(f"evaluate {method}: continuing an interrupted evaluation, "
              f"{len(done)} of {len(tracks)} tracks already scored")
    results, reasons = [], {}
    bar = tqdm(tracks, desc=f"evaluate {method}", disable=not progress)
    for track in bar:
        bar.set_postfix_str(track.name, refresh=False)  # which song is being separated
        if track.name in done:
            rows, missing = done[track.name]["rows"], done[track.name]["missing"]
            medians = pd.DataFrame(rows, columns=["stem", "metric", "value"]).astype({"value": float})
        else:
            mixture, refs = data.track_mixture(track), as_rows(data.track_stems(track))
            extra = {"references": refs} if record.needs_references else {}
            estimates = separation.separate(method, mixture, track.rate, run=run, **extra, **kwargs)
            del mixture, extra
            estimates = as_rows(estimates)
            if keep is not None:
                keep[track.name] = estimates
            scores = track_scores(refs, estimates, track.rate, backend=backend)
            missing = missing_reasons(refs, estimates, scores)
            del refs, estimates  # a long song: hold one track's audio at a time
            medians = _track_medians(scores)
            if store:
                append_partial(path, header, track.name,
                               medians[["stem", "metric", "value"]].itertuples(index=False), missing)
        for stem, why in missing.items():
            reasons.setdefault(stem, {}).setdefault(why, []).append(track.name)
        results.append(medians.assign(track=track.name))
    per_track = pd.concat(results)[["track", "stem", "metric", "value"]].reset_index(drop=True)
    # a stem without a score on every track: say why (museval's reason), not just NaN
    per_track.attrs["missing"] = {
        stem: "; ".join(why if len(names) == len(tracks) else f"{why} ({', '.join(names)})"
                        for why, names in by_why.items())
        for stem, by_why in reasons.items()
        if sum(len(names) for names in by_why.values()) == len(tracks)}
    if store:
        save_scores(method, dataset, per_track, results_dir,
                    split="test" if tracks[0].subset == "test" else tracks[0].subset,
                    checkpoint=checkpoint, tracks=tracks, backend=backend, inputs=inputs,
                    run=run or _current_run())
        partial_path(path).unlink(missing_ok=True)
    return per_track


def as_rows(stems):
    """``{stem: audio}`` with the audio moved into the rows of one array (in seplib's stem order),
    so that scoring (:func:`~seplib.metrics.protocol.stacked`) needs no second copy of a long song.

    Args:
        stems (dict): ``{stem: (channels, samples)}`` arrays of one shape

    Returns:
        stems (dict): the same, each a row (a view) of one ``(stems, channels, samples)`` array
    """
    import numpy as np

    names = _sorted_stems(stems)
    shapes = {np.shape(stems[s]) for s in names}
    if len(shapes) != 1:  # stems of different lengths: scored as they are
        return stems
    rows = np.empty((len(names), *shapes.pop()), dtype=np.result_type(*[np.asarray(stems[s]).dtype for s in names]))
    for i, name in enumerate(names):
        rows[i] = stems.pop(name)   # the old array is freed as soon as nothing else holds it
    return {name: rows[i] for i, name in enumerate(names)}


@shared_references()  # every method meets the same true stems: their Gram matrices are factored once
def score_missing(names, tracks, rescore=False, method_kwargs=None, dataset=None, results_dir=None,
                  progress=False, run=None):
    """Score (and store) every method whose stored scores cannot be reused; reuse the rest.

    The methods are scored inside :func:`~seplib.metrics.shared_references`: what BSSEval
    computes from a song's true stems alone is computed once for all of them.

    Args:
        names (list of str): registered method names, e.g. ``seplib.methods.names()``
        tracks (list): musdb tracks, e.g. ``seplib.data.open_dataset("test")``
        rescore (bool): score every method again, whatever is stored
        method_kwargs (dict): ``{method: {argument: value}}`` passed to :func:`evaluate`
            (a ``checkpoint`` given there is the one the scores must be newer than)
        dataset (str): the name scores are stored under (default: the tracks' data set)
        results_dir (str or Path): default: the run's, else :func:`seplib.config.results_dir`
        progress (bool): show a progress bar per method scored
        run (seplib.run.Run): the run context (which trained models; where scores live)

    Returns:
        log (pandas.DataFrame): index ``method``; columns ``scores`` (``"reused"`` or
        ``"scored now: <why>"``) and ``seconds``

    Taught in: 08_leaderboard
    """
    import time

    import pandas as pd

    tracks, method_kwargs = list(tracks), method_kwargs or {}
    dataset = dataset or dataset_of(tracks)
    if results_dir is None and run is not None:
        results_dir = run.results_dir
    rows = []
    for method in names:
        kwargs = method_kwargs.get(method, {})
        reason = "rescore was asked for" if rescore else why_rescore(
            method, tracks, dataset, results_dir, checkpoint=_checkpoint_of(method, kwargs, run), run=run,
            kwargs=kwargs)
        start = time.perf_counter()
        if reason:
            evaluate(method, tracks, dataset=dataset, results_dir=results_dir, progress=progress, run=run,
                     **kwargs)
        rows.append({"method": method, "scores": f"scored now: {reason}" if reason else "reused",
                     "seconds": round(time.perf_counter() - start, 1)})
    return pd.DataFrame(rows, columns=["method", "scores", "seconds"]).set_index("method")
