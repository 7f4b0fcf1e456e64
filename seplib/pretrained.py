"""Pretrained reference separators, scored beside the workbook's methods when the internet is there.

Two published MUSDB18 separators can join the leaderboard of notebook 08:

* ``ref-openunmix``: Open-Unmix ``umxhq`` (Stöter et al., 2019), a BiLSTM on magnitude
  spectrograms with a multichannel Wiener filter (``pip install openunmix``);
* ``ref-hdemucs``: torchaudio's Hybrid Demucs ``HDEMUCS_HIGH_MUSDB`` (Défossez, 2021),
  waveform and spectrogram branches in one U-Net (``pip install torchaudio``), trained on
  MUSDB18-HQ's training songs only. (torchaudio's ``HDEMUCS_HIGH_MUSDB_PLUS`` is not used: its
  training data include MUSDB18's test songs, so its scores on them are not a fair test.)

Both download their weights on first use, so :func:`register_references` skips them, saying so
in one line, when the machine is offline (``$SEPLIB_OFFLINE`` set, as in the tests and CI) or the
package is missing. Once registered (family ``reference``), each is scored, stored and listened
to like every other method. Both work on stereo audio at 44.1 kHz: :func:`apply_stereo_model` brings
any mixture to that and the estimates back to the mixture's rate, channels and length.

Shapes: a signal is ``(channels, samples)``; estimates are ``{stem: (channels, samples)}``.

Taught in: 08_leaderboard
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .audio import resample  # the one resampler of seplib
from .blocks import separate_chunked
from .data import online as is_online
from . import methods
from .config import device as best_device


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
    est = fn(resample(x, int(round(rate)), int(round(model_rate))))
    est = {s: fit_length(resample(np.asarray(e), int(round(model_rate)), int(round(rate))), n)
           for s, e in est.items()}
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
    """torchaudio's Hybrid Demucs ``HDEMUCS_HIGH_MUSDB``, trained on MUSDB18-HQ's training songs
    (weights downloaded on first use).

    The model expects a mixture normalised to zero mean and unit standard deviation, and is
    applied in 10 s chunks that overlap by 1 s.

    Returns:
        fn, rate: the separator ``(2, samples) -> {stem: (2, samples)}`` and its rate in Hz

    Taught in: 08_leaderboard
    """
    import torch
    import torchaudio


    bundle = getattr(torchaudio.pipelines, "HDEMUCS_HIGH_MUSDB", None)  # not ..._PLUS: it saw the test songs
    if bundle is None:
        raise ImportError(f"torchaudio {torchaudio.__version__} has no HDEMUCS_HIGH_MUSDB")
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
"""The pretrained separators :func:`register_references` tries, by the name they are registered under."""

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
        online = is_online()
    if not online:
        return "offline"
    if importlib.util.find_spec(reference.package) is None:
        return f"{reference.package} is not installed (pip install {reference.package})"
    return ""


def register_references(names=None, device=None, online=None, references=None):
    """Register each pretrained reference that can be used here as a method of family ``reference``.

    Each usable one is loaded now (its weights are downloaded on first use) and registered
    under its name (``ref-openunmix``, ...) with :func:`seplib.methods.register`, so it is
    then separated, evaluated, stored, ranked and listened to like every other method
    (``seplib.metrics.evaluate("ref-openunmix", tracks)``). One line is printed per reference
    skipped and why; offline, one line in all. A failed load (a download, an API change) is
    reported in one line, not raised. Registering again replaces the earlier registration.

    Args:
        names (list of str): which references (default: all of :data:`REFERENCES`)
        device: torch device (default :func:`seplib.config.device`)
        online (bool): whether the internet can be reached (default: :func:`seplib.data.online`)
        references (dict): default :data:`REFERENCES` (tests pass stand-ins)

    Returns:
        registered (list of str): the names registered (empty when none could be)

    Taught in: 08_leaderboard
    """

    references = references or REFERENCES
    names = list(names or references)
    if online is None:
        online = is_online()
    if not online:
        print(f"pretrained references ({', '.join(names)}): skipped, offline (their weights are downloaded)")
        return []
    if device is None:
        device = best_device()
    registered = []
    for name in names:
        reason = why_unavailable(name, online=True, references=references)
        if reason:
            print(f"{name}: skipped, {reason}")
            continue
        try:
            fn, model_rate = references[name].load(device)
        except Exception as err:  # a failed download or an API change: one line, and go on
            print(f"{name}: skipped, {type(err).__name__}: {err}")
            continue
        methods.register(name, _stereo_method(fn, model_rate), family="reference", taught_in="08_leaderboard",
                         description=references[name].about, replace=True)
        registered.append(name)
        print(f"{name}: loaded and registered")
    return registered


def _stereo_method(fn, model_rate):
    """A method function ``(mixture, rate) -> {stem: (channels, samples)}`` around a stereo model."""
    def separate_with_reference(mixture, rate):
        return apply_stereo_model(fn, model_rate, mixture, rate)

    return separate_with_reference
