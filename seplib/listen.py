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

from . import STEMS
from .audio import play
from .separation import reference_of

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
            from .data import track_mixture, track_stems

            t = self.tracks[track_name]
            self._audio[track_name] = (track_mixture(t), track_stems(t))
        return self._audio[track_name]

    def get(self, method, track_name):
        """``{stem: (channels, samples)}`` of ``method`` on a track."""
        per_track = self.cache.setdefault(method, {})
        if track_name not in per_track:
            from . import methods
            from .separation import separate

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
        dataset (str): data set name in the results store (for the scores line)
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

    from . import plots

    store = Estimates(tracks, estimates, method_kwargs, run)
    scores = None
    if dataset is not None:
        from .metrics import load_scores

        scores = load_scores(dataset, results_dir=results_dir if results_dir is not None or run is None
                             else run.results_dir)
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
