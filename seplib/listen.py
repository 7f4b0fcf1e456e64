"""The listening room: pick a track, a method and a stem; A/B the estimate against the reference.

Works with estimates you have in memory (``estimates={method: {track name: {stem: array}}}``)
and with any registered method (separated on demand, then kept); scores come from the results
store when the method has been evaluated. Where widgets cannot run (a static HTML copy of a
notebook) it shows a plain table of audio players instead.

Taught in: 02_hpss
"""
from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np

from .stems import STEMS
from .audio import play
from .separation import reference_of
from . import plots
from .metrics import load_scores
from .data import track_mixture, track_stems
from . import methods
from .separation import separate

EXCERPT_SECONDS = 10.0
"""Length of the excerpts the room plays (keeps notebooks small)."""


def _excerpt(x, rate, seconds):
    return np.asarray(x)[:, : int(seconds * rate)]


class Estimates:
    """Estimates per (method, track), computed on first use with :func:`seplib.separate`.

    Args:
        tracks (list): musdb tracks
        estimates (dict): optional ``{method: {track name: {stem: (channels, samples)}}}``
        method_kwargs (dict): optional ``{method: kwargs for separate()}``
        run (seplib.run.Run): the run context passed to ``separate`` (which trained models)
    """

    def __init__(self, tracks, estimates=None, method_kwargs=None, run=None):
        self.tracks = {t.name: t for t in tracks}
        self.cache = {m: dict(per_track) for m, per_track in (estimates or {}).items()}
        self.method_kwargs = method_kwargs or {}
        self.run = run
        self._audio = {}

    def audio(self, track_name):
        """``(mixture, {stem: reference})`` of a track, read once."""
        if track_name not in self._audio:

            t = self.tracks[track_name]
            self._audio[track_name] = (track_mixture(t), track_stems(t))
        return self._audio[track_name]

    def get(self, method, track_name):
        """``{stem: (channels, samples)}`` of ``method`` on a track."""
        per_track = self.cache.setdefault(method, {})
        if track_name not in per_track:

            mixture, refs = self.audio(track_name)
            kwargs = dict(self.method_kwargs.get(method, {}))
            if methods.get(method).needs_references:  # an oracle: give it the true stems
                kwargs["references"] = refs
            per_track[track_name] = separate(method, mixture, self.tracks[track_name].rate, run=self.run,
                                             **kwargs)
        return per_track[track_name]


def track_scores_html(scores, method, track_name, stem):
    """A one-line HTML summary of stored scores (median over frames) for one track and stem."""
    if scores is None or scores.empty:
        return "<i>no stored scores (run seplib.metrics.evaluate for this method)</i>"
    rows = scores[(scores.method == method) & (scores.track == track_name) & (scores.stem == stem)]
    if rows.empty:
        return f"<i>no stored scores for {html.escape(method)} / {html.escape(stem)} on this track</i>"
    cells = " &nbsp; ".join(f"<b>{r.metric}</b> {r.value:.2f} dB" for r in rows.itertuples())
    return f"{html.escape(method)}, {html.escape(stem)}: {cells}"


def static_table(store, methods, track_name, stem="vocals", seconds=5.0):
    """A plain HTML table of players: the mixture, one row per method (its estimate of ``stem``)
    and the reference. This is what a static copy of the notebook (``make book``) shows.
    The method ``mixture`` (the floor) is the first row already, so it gets no second one.

    Returns:
        html (str)
    """
    mixture, refs = store.audio(track_name)
    rate = store.tracks[track_name].rate
    rows = [("mixture", mixture)]
    for m in methods:
        if m == "mixture":
            continue
        est = store.get(m, track_name)
        if stem in est:
            rows.append((m, est[stem]))
    rows.append((f"reference {stem}", reference_of(stem, refs)))
    body = "".join(f"<tr><td>{html.escape(name)}</td><td>{play(_excerpt(x, rate, seconds), rate)._repr_html_()}</td></tr>"
                   for name, x in rows)
    return (f'<table class="seplib-listening-room"><tr><th colspan=2>{html.escape(track_name)}: '
            f"{html.escape(stem)}</th></tr>{body}</table>")


def listening_room(tracks, methods, estimates=None, dataset=None, results_dir=None,
                   method_kwargs=None, seconds=EXCERPT_SECONDS, run=None):
    """An ipywidgets panel to compare methods by ear, with spectrograms and scores.

    Args:
        tracks (list): musdb tracks (usually the test split)
        methods (list of str): method names (registered ones, built-in or yours:
            ``seplib.methods.names()``; or keys of ``estimates``)
        estimates (dict): optional in-memory ``{method: {track name: {stem: array}}}``
        dataset (str or list of str): data set name(s) in the results store (for the scores
            line); several when the tracks come from several data sets (e.g. ``"example"``,
            the real song, beside the synthetic test split)
        results_dir: default: the run's, else :func:`seplib.config.results_dir`
        method_kwargs (dict): ``{method: kwargs}`` passed to ``separate`` (e.g. a checkpoint)
        seconds (float): length of the excerpts played
        run (seplib.run.Run): the run context passed to ``separate`` (which trained models)

    Returns:
        room (ipywidgets.VBox): display it; a static copy shows :func:`static_table` instead

    Taught in: 02_hpss
    """
    import matplotlib.pyplot as plt
    from IPython.display import HTML, display


    store = Estimates(tracks, estimates, method_kwargs, run)
    scores = None
    if dataset is not None:

        import pandas as pd

        where = results_dir if results_dir is not None or run is None else run.results_dir
        scores = pd.concat([load_scores(d, results_dir=where)
                            for d in ([dataset] if isinstance(dataset, str) else dataset)])
    names = [t.name for t in tracks]
    track_w = widgets.Dropdown(options=names, description="track")
    method_w = widgets.Dropdown(options=list(methods), description="method")
    stem_w = widgets.ToggleButtons(options=list(STEMS), description="stem")
    ab_w = widgets.ToggleButtons(options=["estimate", "reference", "mixture"], description="play")
    player, picture, score_line = widgets.Output(), widgets.Output(), widgets.HTML()

    def current():
        est = store.get(method_w.value, track_w.value)
        mixture, refs = store.audio(track_w.value)
        stems_here = [s for s in (*STEMS, "accompaniment") if s in est]
        if list(stem_w.options) != stems_here:
            stem_w.options = stems_here  # e.g. vocals + accompaniment for REPET
        stem = stem_w.value if stem_w.value in est else stems_here[0]
        return est[stem], reference_of(stem, refs), mixture, stem

    def refresh(*_):
        est, ref, mixture, stem = current()
        rate = store.tracks[track_w.value].rate
        chosen = {"estimate": est, "reference": ref, "mixture": mixture}[ab_w.value]
        player.clear_output(wait=True)
        with player:
            display(play(_excerpt(chosen, rate, seconds), rate, title=f"{ab_w.value}: {stem}"))
        picture.clear_output(wait=True)
        with picture:
            fig, axes = plt.subplots(1, 2, figsize=(12, 3), sharey=True)
            plots.spectrogram(_excerpt(est, rate, seconds), rate, ax=axes[0], title=f"{method_w.value}: {stem}", max_hz=5000)
            plots.spectrogram(_excerpt(ref, rate, seconds), rate, ax=axes[1], title=f"reference {stem}", max_hz=5000)
            fig.tight_layout()
            plt.show()
        score_line.value = track_scores_html(scores, method_w.value, track_w.value, stem)

    for w in (track_w, method_w, stem_w, ab_w):
        w.observe(refresh, names="value")
    refresh()
    fallback = static_table(store, methods, names[0], "vocals" if "vocals" in STEMS else STEMS[0])
    return Room([widgets.HBox([track_w, method_w]), stem_w, ab_w, player, score_line, picture],
                 fallback=fallback)


class Room(widgets.VBox):
    """A VBox that carries a static HTML fallback for renderers without widgets."""

    def __init__(self, children, fallback):
        super().__init__(children)
        self.fallback = fallback

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        if isinstance(bundle, tuple):
            bundle = bundle[0]
        return {**bundle, "text/html": self.fallback}


# --------------------------------------------------------------------------------------------
# A small listening test, MUSHRA-style (ITU-R BS.1534): rate each sample from 0 to 100 against
# an open reference, with the reference itself and a low-passed anchor hidden among them.
# --------------------------------------------------------------------------------------------
HIDDEN_REFERENCE = "hidden reference"
"""The name of the trial that is the reference itself (a careful listener rates it 100)."""
ANCHOR_HZ = 3500.0
"""Cut-off of the low-pass anchor, as in MUSHRA (a clearly worse sample: rated low)."""
ANCHOR = "anchor (3.5 kHz low-pass)"
"""The name of the anchor trial."""


def lowpass(x, rate, cutoff_hz=ANCHOR_HZ, order=8):
    """A zero-phase Butterworth low-pass (``scipy.signal.sosfiltfilt``): MUSHRA's anchor.

    Args:
        x (np.ndarray): ``(channels, samples)`` or ``(samples,)``
        rate (int): sample rate in Hz
        cutoff_hz (float): the cut-off frequency in Hz
        order (int): the filter order (applied twice: forwards and backwards)

    Returns:
        y (np.ndarray): ``x`` low-passed, same shape, float32

    Taught in: 01_stft_and_masks
    """
    from scipy.signal import butter, sosfiltfilt

    if not 0 < cutoff_hz < rate / 2:
        raise ValueError(f"cutoff_hz must lie between 0 and half the rate ({rate / 2:g} Hz), got {cutoff_hz}")
    sos = butter(order, cutoff_hz, btype="low", fs=rate, output="sos")
    return sosfiltfilt(sos, np.asarray(x, dtype=np.float64), axis=-1).astype(np.float32)


def mushra_trials(reference, estimates, rate, seed=0, anchor_hz=ANCHOR_HZ):
    """The trial set of a MUSHRA-style test: the estimates, the hidden reference and the anchor,
    in an order drawn from ``seed`` and labelled A, B, C, ... in that order.

    Args:
        reference (np.ndarray): ``(channels, samples)`` the true stem (played openly as well)
        estimates (dict): ``{name: (channels, samples)}`` the estimates to rate
        rate (int): sample rate in Hz
        seed (int): the order's seed (the same seed gives the same order)
        anchor_hz (float): the anchor's cut-off in Hz

    Returns:
        trials (list of dict): ``{"label": "A", "name": ..., "audio": (channels, samples)}``,
        one per condition, in playing order; the names are hidden from the listener

    Taught in: 01_stft_and_masks
    """
    reserved = {HIDDEN_REFERENCE, ANCHOR}.intersection(estimates)
    if reserved:
        raise ValueError(f"estimates may not be named {sorted(reserved)}: those names are the test's own")
    reference = np.asarray(reference, dtype=np.float32)
    conditions = {HIDDEN_REFERENCE: reference, ANCHOR: lowpass(reference, rate, anchor_hz),
                  **{name: np.asarray(x, dtype=np.float32) for name, x in estimates.items()}}
    for name, x in conditions.items():
        if x.shape != reference.shape:
            raise ValueError(f"estimate {name!r} has shape {x.shape}, the reference {reference.shape}")
    names = list(conditions)
    order = np.random.default_rng(seed).permutation(len(names))
    return [{"label": chr(ord("A") + i), "name": names[k], "audio": conditions[names[k]]}
            for i, k in enumerate(order)]


def _checked_ratings(ratings, path, names=None):
    """``{name: float}`` or a ValueError that names the file and what is wrong."""
    import math
    import numbers

    if not isinstance(ratings, dict) or not ratings:
        raise ValueError(f"{path}: ratings must be a non-empty {{condition: 0 to 100}} dict, got {ratings!r}")
    if names is not None and set(ratings) != set(names):
        missing, unknown = sorted(set(names) - set(ratings)), sorted(set(ratings) - set(names))
        raise ValueError(f"{path}: the ratings must cover the trials exactly: missing {missing}, unknown {unknown}")
    checked = {}
    for name, value in ratings.items():
        if not isinstance(name, str):
            raise ValueError(f"{path}: a condition's name must be a string, got {name!r}")
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
                or not 0 <= value <= 100:
            raise ValueError(f"{path}: the rating of {name!r} is {value!r}; a rating is a number from 0 to 100")
        checked[name] = float(value)
    return checked


def load_ratings(path):
    """The listeners' ratings stored in a ratings file (none if it does not exist yet).

    Args:
        path (str or Path): a JSON file written by :func:`save_ratings`

    Returns:
        listeners (list of dict): ``{"listener": str, "ratings": {condition: 0 to 100}}``, in
        the order they were saved

    Raises:
        ValueError: the file is not a ratings file, or holds a rating outside 0 to 100

    Taught in: 01_stft_and_masks
    """
    import json
    from pathlib import Path

    path = Path(path)
    if not path.is_file():
        return []
    try:
        stored = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: not a ratings file (not JSON: {err})") from None
    if not isinstance(stored, dict) or not isinstance(stored.get("sessions"), list):
        raise ValueError(f"{path}: not a ratings file (expected {{\"sessions\": [...]}})")
    listeners = []
    for s in stored["sessions"]:
        if not isinstance(s, dict) or "ratings" not in s:
            raise ValueError(f"{path}: a session without ratings: {s!r}")
        listeners.append({"listener": str(s.get("listener", "")), "ratings": _checked_ratings(s["ratings"], path)})
    return listeners


def save_ratings(path, ratings, listener="", names=None):
    """Add one listener's ratings to a ratings file (made if missing); checked before writing.

    Args:
        path (str or Path): the JSON file (e.g. under :func:`seplib.config.results_dir`)
        ratings (dict): ``{condition name: rating}``, each a number from 0 to 100
        listener (str): who rated (optional)
        names (iterable of str): if given, the ratings must name exactly these conditions

    Returns:
        listeners (list of dict): every session in the file, this one last

    Raises:
        ValueError: a rating outside 0 to 100 (or not a number), or names that do not match;
            the file is then left as it was

    Taught in: 01_stft_and_masks
    """
    import json
    from pathlib import Path

    path = Path(path)
    checked = _checked_ratings(ratings, path, names=None if names is None else list(names))
    listeners = load_ratings(path) + [{"listener": str(listener), "ratings": checked}]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps({"sessions": listeners}, indent=1))
    tmp.replace(path)  # never half a file
    return listeners


def mean_ratings(listeners):
    """The mean rating of each condition over the listeners: ``{name: float}``."""
    names = {n for s in listeners for n in s["ratings"]}
    return {n: float(np.mean([s["ratings"][n] for s in listeners if n in s["ratings"]])) for n in sorted(names)}


def disagreements(ratings, scores):
    """The pairs of conditions that the listeners and a score order differently.

    Args:
        ratings (dict): ``{name: mean rating}`` (:func:`mean_ratings`)
        scores (dict): ``{name: score in dB}``, e.g. the SDR (conditions missing here are skipped)

    Returns:
        pairs (list of tuple): ``(a, b)`` where ``a`` has the higher score and ``b`` the higher rating

    Taught in: 01_stft_and_masks
    """
    names = [n for n in ratings if n in scores and np.isfinite(scores[n])]
    return [(a, b) for a in names for b in names
            if scores[a] > scores[b] and ratings[b] > ratings[a]]


def mushra_players(trials, rate, reference=None):
    """The test's players as one HTML table: the open reference, then sample A, B, C, ...
    (names hidden). Shown as plain HTML, so a static copy of the notebook plays them too.

    Args:
        trials (list of dict): from :func:`mushra_trials`
        rate (int): sample rate in Hz
        reference (np.ndarray): the open reference (default: the hidden reference's audio)

    Returns:
        table (IPython.display.HTML)

    Taught in: 01_stft_and_masks
    """
    from IPython.display import HTML

    if reference is None:
        reference = next(t["audio"] for t in trials if t["name"] == HIDDEN_REFERENCE)
    rows = [("reference (open)", reference)] + [(f"sample {t['label']}", t["audio"]) for t in trials]
    return HTML('<table class="seplib-mushra">' + "".join(
        f"<tr><td><b>{html.escape(label)}</b></td><td>{play(x, rate)._repr_html_()}</td></tr>" for label, x in rows)
        + "</table>")


def mushra_panel(trials, path, listener=""):
    """The test's rating panel (ipywidgets): one slider (0 to 100) per sample, labelled only
    A, B, C, ... as in :func:`mushra_players`; "save my ratings" adds them to ``path``.

    Args:
        trials (list of dict): from :func:`mushra_trials`
        path (str or Path): the ratings file (:func:`save_ratings`)
        listener (str): the listener's name written with the ratings

    Returns:
        panel (ipywidgets.VBox): display it; a static copy of the notebook says where to rate.
        ``panel.sliders`` (``{condition name: slider}``), ``panel.save_button`` and
        ``panel.status`` are there for scripts and tests

    Taught in: 01_stft_and_masks
    """
    sliders = {t["name"]: widgets.IntSlider(value=0, min=0, max=100, step=1, description=f"sample {t['label']}",
                                            continuous_update=False) for t in trials}
    name_w = widgets.Text(value=listener, description="listener")
    save_w, status = widgets.Button(description="save my ratings"), widgets.HTML()

    def on_save(_):
        try:
            listeners = save_ratings(path, {n: s.value for n, s in sliders.items()}, listener=name_w.value,
                                    names=list(sliders))
            status.value = f"saved: {len(listeners)} listener(s) in {html.escape(str(path))}"
        except ValueError as err:
            status.value = f"<b>not saved</b>: {html.escape(str(err))}"

    save_w.on_click(on_save)
    panel = Room([*sliders.values(), widgets.HBox([name_w, save_w]), status],
                 fallback="<p><i>Open the notebook in Jupyter to rate the samples with sliders.</i></p>")
    panel.sliders, panel.save_button, panel.status = sliders, save_w, status
    return panel


def plot_ratings(listeners, scores, metric="SDR", order=None):
    """The listeners' ratings beside a score, one row per condition.

    Args:
        listeners (list of dict): from :func:`load_ratings`
        scores (dict): ``{name: dB}``; conditions without a finite score show none
        metric (str): the score's name (axis label)
        order (list of str): the conditions top to bottom (default: as rated)

    Returns:
        fig (matplotlib.figure.Figure): two panels: ratings (each listener a dot, the mean a
        bar) and the score

    Taught in: 01_stft_and_masks
    """
    import matplotlib.pyplot as plt

    means = mean_ratings(listeners)
    names = list(order) if order is not None else list(means)
    y = np.arange(len(names))
    fig, (ax_r, ax_s) = plt.subplots(1, 2, figsize=(11, 0.5 * len(names) + 1.5), sharey=True)
    ax_r.barh(y, [means.get(n, np.nan) for n in names], color="lightsteelblue", label="mean")
    for s in listeners:
        ax_r.plot([s["ratings"].get(n, np.nan) for n in names], y, "k.", alpha=0.6)
    ax_r.set(xlim=(0, 100), xlabel=f"rating (0 to 100), {len(listeners)} listener(s)", yticks=y, yticklabels=names,
             title="what the listeners heard")
    values = [scores.get(n, np.nan) for n in names]
    shown = [v if np.isfinite(v) else np.nan for v in values]
    ax_s.barh(y, shown, color="tan")
    for i, v in enumerate(values):
        if not np.isfinite(v):
            ax_s.text(0, i, " no score", va="center")
    ax_s.axvline(0, color="k", lw=0.5)
    ax_s.set(xlabel=f"{metric} (dB)", title=f"what the {metric} says")
    ax_r.invert_yaxis()
    fig.tight_layout()
    return fig
