"""Pretrained reference separators, scored beside the workbook's methods when the internet is there.

Two published MUSDB18 separators can join the leaderboard of notebook 08:

* ``ref-openunmix``: Open-Unmix ``umxhq`` (Stöter et al., 2019), a BiLSTM on magnitude
  spectrograms with a multichannel Wiener filter (``pip install openunmix``);
* ``ref-hdemucs``: torchaudio's Hybrid Demucs ``HDEMUCS_HIGH_MUSDB_PLUS`` (Défossez, 2021),
  waveform and spectrogram branches in one U-Net (``pip install torchaudio``).

Both download their weights on first use, so :func:`score_references` skips them, saying so in
one line, when the machine is offline (``$SEPLIB_OFFLINE`` set, as in the tests and CI) or the
package is missing. Both work on stereo audio at 44.1 kHz: :func:`apply_stereo_model` brings
any mixture to that and the estimates back to the mixture's rate, channels and length.

Shapes: a signal is ``(channels, samples)``; estimates are ``{stem: (channels, samples)}``.

Taught in: 08_leaderboard
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from math import gcd
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Reference:
    """A pretrained separator.

    Args:
        package (str): the package that holds it (what ``pip install`` needs)
        load (callable): ``load(device) -> (fn, rate)``, with ``fn`` mapping a stereo mixture
            ``(2, samples)`` at ``rate`` Hz to ``{stem: (2, samples)}``
        about (str): one line on what it is
    """

    package: str
    load: Callable
    about: str


def resample(x, rate_in, rate_out):
    """Resample ``(channels, samples)`` from ``rate_in`` to ``rate_out`` Hz (polyphase filter).

    Args:
        x (np.ndarray): ``(channels, samples)``
        rate_in, rate_out (float): sample rates in Hz (rounded to whole numbers)

    Returns:
        y (np.ndarray): ``(channels, about samples * rate_out / rate_in)`` float32; ``x``
        itself when the rates are equal

    Taught in: 08_leaderboard
    """
    rate_in, rate_out = int(round(rate_in)), int(round(rate_out))
    if rate_in == rate_out:
        return x
    from scipy.signal import resample_poly

    g = gcd(rate_in, rate_out)
    return resample_poly(x, rate_out // g, rate_in // g, axis=-1).astype(np.float32)


def fit_length(x, n):
    """Cut or zero-pad the last axis of ``x`` to ``n`` samples.

    Taught in: 08_leaderboard
    """
    if x.shape[-1] >= n:
        return x[..., :n]
    return np.pad(x, [(0, 0)] * (x.ndim - 1) + [(0, n - x.shape[-1])])


def apply_stereo_model(fn, model_rate, mixture, rate):
    """Apply a stereo separator working at ``model_rate`` Hz to a mixture at ``rate`` Hz.

    A mono mixture is copied to both channels and its estimates averaged back to mono.

    Args:
        fn (callable): ``(2, samples at model_rate) -> {stem: (2, samples)}``
        model_rate (float): the rate ``fn`` works at, in Hz
        mixture (np.ndarray): ``(channels, samples)``, one or two channels
        rate (float): the mixture's rate in Hz

    Returns:
        estimates (dict): ``{stem: (channels, samples)}`` at the mixture's rate, channels and length

    Taught in: 08_leaderboard
    """
    channels, n = mixture.shape
    x = np.repeat(mixture, 2, axis=0) if channels == 1 else mixture           # mono -> stereo
    est = fn(resample(x, rate, model_rate))
    est = {s: fit_length(resample(np.asarray(e), model_rate, rate), n) for s, e in est.items()}
    return {s: e.mean(axis=0, keepdims=True) if channels == 1 else e for s, e in est.items()}


def load_openunmix(device="cpu"):
    """Open-Unmix ``umxhq`` (weights downloaded by torch.hub on first use).

    Returns:
        fn, rate: the separator ``(2, samples) -> {stem: (2, samples)}`` and its rate in Hz

    Taught in: 08_leaderboard
    """
    import openunmix
    import torch

    separator = openunmix.umxhq(device=device).eval()

    def fn(x):
        with torch.no_grad():
            y = separator(torch.from_numpy(np.ascontiguousarray(x))[None].to(device))  # (1, stems, 2, samples)
        return {s: e[0].cpu().numpy() for s, e in separator.to_dict(y).items()}

    return fn, float(separator.sample_rate)


def load_hdemucs(device="cpu"):
    """torchaudio's Hybrid Demucs ``HDEMUCS_HIGH_MUSDB_PLUS`` (weights downloaded on first use).

    The model expects a mixture normalised to zero mean and unit standard deviation, and is
    applied in 10 s chunks that overlap by 1 s.

    Returns:
        fn, rate: the separator ``(2, samples) -> {stem: (2, samples)}`` and its rate in Hz

    Taught in: 08_leaderboard
    """
    import torch
    import torchaudio

    from .separate import separate_chunked

    bundle = getattr(torchaudio.pipelines, "HDEMUCS_HIGH_MUSDB_PLUS", None)
    if bundle is None:
        raise ImportError(f"torchaudio {torchaudio.__version__} has no HDEMUCS_HIGH_MUSDB_PLUS")
    model = bundle.get_model().to(device).eval()
    rate = bundle.sample_rate

    def chunk_fn(piece):  # (2, samples) -> {stem: (2, samples)}
        with torch.no_grad():
            y = model(torch.from_numpy(np.ascontiguousarray(piece))[None].to(device))[0]
        return dict(zip(model.sources, y.cpu().numpy()))

    def fn(x):
        mono = x.mean(axis=0)
        mean, std = mono.mean(), mono.std() + 1e-8
        est = separate_chunked(chunk_fn, (x - mean) / std, chunk=int(10 * rate), overlap=int(rate))
        return {s: e * std + mean for s, e in est.items()}

    return fn, rate


REFERENCES = {
    "ref-openunmix": Reference("openunmix", load_openunmix,
                               "Open-Unmix umxhq: BiLSTM masks on spectrograms (Stöter et al., 2019)"),
    "ref-hdemucs": Reference("torchaudio", load_hdemucs,
                             "Hybrid Demucs: waveform + spectrogram U-Net (Défossez, 2021)"),
}
"""The pretrained separators :func:`score_references` tries, by the name they are stored under."""

PUBLISHED = {
    "ref-openunmix": {"vocals SDR (dB)": 6.32, "test set": "MUSDB18", "source": "Stöter et al., 2019"},
}
"""Scores the authors report on MUSDB18's test set (BSSEval v4, the MUSDB protocol), to set
beside what the same model scores on your data."""


def why_unavailable(name, online=None, references=None):
    """Why a reference cannot be used here; ``""`` when it can.

    Args:
        name (str): a key of :data:`REFERENCES`
        online (bool): whether the internet can be reached (default: :func:`seplib.data.online`)
        references (dict): default :data:`REFERENCES`

    Returns:
        reason (str)

    Taught in: 08_leaderboard
    """
    reference = (references or REFERENCES)[name]
    if online is None:
        from .data import online as is_online
        online = is_online()
    if not online:
        return "offline"
    if importlib.util.find_spec(reference.package) is None:
        return f"{reference.package} is not installed (pip install {reference.package})"
    return ""


def score_references(tracks, dataset=None, names=None, device=None, keep_seconds=None, online=None,
                     results_dir=None, references=None):
    """Separate and score the tracks with each pretrained reference that can be used here.

    Each usable reference is scored like every other method (BSSEval v4, the MUSDB protocol)
    and stored under its name (``ref-openunmix``, ...), so :func:`seplib.metrics.leaderboard`
    shows it. One line is printed per reference (scored, or skipped and why); offline, one
    line in all. A failure (a download, an API change) is reported in one line, not raised.

    Args:
        tracks (list): musdb tracks, e.g. ``seplib.data.open_dataset("test")``
        dataset (str): the name scores are stored under (default: the tracks' data set)
        names (list of str): which references (default: all of :data:`REFERENCES`)
        device: torch device (default :func:`seplib.config.device`)
        keep_seconds (float): length of the excerpts returned for listening (default
            :data:`seplib.listen.EXCERPT_SECONDS`)
        online (bool): whether the internet can be reached (default: :func:`seplib.data.online`)
        results_dir (str or Path): default :func:`seplib.config.results_dir`
        references (dict): default :data:`REFERENCES` (tests pass stand-ins)

    Returns:
        excerpts (dict): ``{name: {track name: {stem: (channels, samples)}}}``, the start of each
        estimate, for the references that were scored (empty when none could be)

    Taught in: 08_leaderboard
    """
    import pandas as pd

    from . import metrics
    from .data import online as is_online
    from .data import track_mixture, track_stems

    references = references or REFERENCES
    names = list(names or references)
    tracks = list(tracks)
    if online is None:
        online = is_online()
    if not online:
        print(f"pretrained references ({', '.join(names)}): skipped, offline (their weights are downloaded)")
        return {}
    if device is None:
        from .config import device as best_device
        device = best_device()
    if keep_seconds is None:
        from .listen import EXCERPT_SECONDS as keep_seconds
    dataset = dataset or metrics.dataset_of(tracks)
    excerpts = {}
    for name in names:
        reason = why_unavailable(name, online=True, references=references)
        if reason:
            print(f"{name}: skipped, {reason}")
            continue
        try:
            fn, model_rate = references[name].load(device)
            frames, excerpts[name] = [], {}
            for t in tracks:
                mixture, refs = track_mixture(t), track_stems(t)
                est = apply_stereo_model(fn, model_rate, mixture, t.rate)
                frames.append(metrics.track_scores(refs, est, t.rate).assign(track=t.name))
                keep = int(keep_seconds * t.rate)
                excerpts[name][t.name] = {s: e[:, :keep] for s, e in est.items()}
            metrics.save_scores(name, dataset, pd.concat(frames), results_dir)
            print(f"{name}: scored on {len(tracks)} tracks and stored")
        except Exception as err:  # a failed download or an API change: one line, and go on
            excerpts.pop(name, None)
            print(f"{name}: skipped, {type(err).__name__}: {err}")
    return excerpts
