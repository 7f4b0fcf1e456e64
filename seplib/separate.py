"""One call shape for every method: ``separate(method, mixture, rate) -> {stem: (channels, samples)}``.

The registry :data:`METHODS` maps a method's name to a plain function
``fn(mixture, rate, **kwargs) -> {stem: (channels, samples)}``.  The leaderboard, the
command line and the listening room look methods up here, so they treat all methods alike.

Taught in: 01_stft_and_masks
"""
from __future__ import annotations

import importlib

import numpy as np

from . import STEMS
from .spectral import oracle

METHODS = {
    # floor and ceilings
    "mixture": "seplib.separate:mixture_as_estimate",
    "oracle-ibm": "seplib.separate:oracle_ibm",
    "oracle-irm": "seplib.separate:oracle_irm",
    "oracle-wiener": "seplib.separate:oracle_wiener",
    # classical (notebooks 02-04)
    "hpss": "seplib.classical.hpss:separate_hpss",
    "repet": "seplib.classical.repet:separate_repet",
    "repet-sim": "seplib.classical.repet:separate_repet_sim",
    "nmf": "seplib.classical.nmf:separate_nmf",
    "nmf-supervised": "seplib.classical.nmf:separate_nmf_supervised",
    "classical-repet": "seplib.classical.pipelines:separate_classical_repet",
    "classical-nmf": "seplib.classical.pipelines:separate_classical_nmf",
    # learned (notebooks 05-07): take checkpoint=PATH, default the model saved by its notebook
    "unet": "seplib.models:separate_unet",
    "demucs-lite": "seplib.models:separate_demucs_lite",
    "dprnn": "seplib.models:separate_dprnn",
    "conv1d": "seplib.models:separate_conv1d",
}
"""Method name -> ``"module:function"``; the function is imported when first used."""

ORACLES = ("oracle-ibm", "oracle-irm", "oracle-wiener")
"""Methods that need the true stems (``references=``) and so are bounds, not separators."""


def method_function(method):
    """The plain function behind a method name.

    Args:
        method (str): a key of :data:`METHODS`

    Returns:
        fn (callable): ``fn(mixture, rate, **kwargs) -> {stem: (channels, samples)}``

    Taught in: 01_stft_and_masks
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; known: {', '.join(METHODS)}")
    module, name = METHODS[method].split(":")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as err:
        raise NotImplementedError(f"method {method!r} ({METHODS[method]}) is not available: {err}") from err


def separate(method, mixture, rate, **kwargs):
    """Separate a mixture into stems with any registered method.

    Args:
        method (str): a name in :data:`METHODS`, e.g. ``"hpss"``, ``"oracle-irm"``, ``"unet"``
        mixture (np.ndarray): ``(channels, samples)``
        rate (int): sample rate in Hz
        **kwargs: passed to the method (``references={stem: array}`` for the oracles,
            ``checkpoint=PATH`` for the models, a method's own parameters)

    Returns:
        estimates (dict): ``{stem: (channels, samples)}`` float32, each as long as the mixture;
        a method may give fewer than four stems (e.g. ``vocals`` and ``accompaniment``)

    Taught in: 01_stft_and_masks
    """
    mixture = np.asarray(mixture, dtype=np.float32)
    if mixture.ndim != 2 or mixture.shape[0] > 8:
        raise ValueError(f"mixture must be (channels, samples), got shape {mixture.shape}")
    if not np.all(np.isfinite(mixture)):
        raise ValueError("mixture holds NaN or inf samples")
    estimates = method_function(method)(mixture, rate, **kwargs)
    out = {}
    for stem, est in estimates.items():
        est = np.asarray(est, dtype=np.float32)
        if est.shape != mixture.shape:
            raise RuntimeError(f"method {method!r} returned {stem} with shape {est.shape}, "
                               f"expected the mixture's {mixture.shape}")
        out[stem] = est
    return out


def mixture_as_estimate(mixture, rate, stems=STEMS):
    """The floor: the unprocessed mixture given as the estimate of every stem.

    Returns:
        estimates (dict): ``{stem: mixture}`` for each stem

    Taught in: 01_stft_and_masks
    """
    return {s: mixture.copy() for s in stems}


def _oracle(kind):
    def fn(mixture, rate, references=None, **kwargs):
        if references is None:
            raise ValueError(f"oracle-{kind} needs the true stems: separate(..., references={{stem: array}})")
        return oracle(references, kind, mixture=mixture, **kwargs)

    fn.__name__ = f"oracle_{kind}"
    fn.__doc__ = (f"Oracle {kind.upper()} separation: ideal {kind} masks from ``references`` applied to "
                  "``mixture`` (an upper bound; see :func:`seplib.spectral.oracle`).\n\n"
                  "    Taught in: 01_stft_and_masks\n")
    return fn


oracle_ibm = _oracle("ibm")
oracle_irm = _oracle("irm")
oracle_wiener = _oracle("wiener")


def crossfade_window(chunk, overlap):
    """Weights for overlap-add: ones, with linear ramps of ``overlap`` samples at both ends."""
    w = np.ones(chunk, dtype=np.float32)
    if overlap > 0:
        ramp = (np.arange(overlap, dtype=np.float32) + 0.5) / overlap
        w[:overlap], w[-overlap:] = ramp, ramp[::-1]
    return w


def separate_chunked(fn, mixture, chunk, overlap, progress=False):
    """Apply a separator to a long signal in overlapping chunks and cross-fade them together.

    Memory stays bounded whatever the track length; with enough ``overlap`` for the
    separator's context, the result does not depend on ``chunk``.

    Args:
        fn (callable): ``fn(chunk (channels, chunk)) -> {stem: (channels, chunk)}``
        mixture (np.ndarray): ``(channels, samples)``
        chunk (int): chunk length in samples
        overlap (int): samples shared by neighbouring chunks (``< chunk / 2``)
        progress (bool): show a tqdm bar

    Returns:
        estimates (dict): ``{stem: (channels, samples)}`` float32

    Taught in: 05_unet
    """
    from tqdm.auto import tqdm

    channels, length = mixture.shape
    if not 0 <= 2 * overlap < chunk:
        raise ValueError(f"need 0 <= 2 * overlap < chunk, got chunk={chunk}, overlap={overlap}")
    step = chunk - overlap
    starts = list(range(0, max(length - overlap, 1), step))
    window = crossfade_window(chunk, overlap)
    out, weight = {}, np.zeros(length, dtype=np.float32)
    for start in tqdm(starts, desc="chunks", disable=not progress, leave=False):
        piece = mixture[:, start:start + chunk]
        n = piece.shape[1]
        if n < chunk:  # zero-pad the last chunk, keep only its real part
            piece = np.pad(piece, ((0, 0), (0, chunk - n)))
        w = window[:n]  # always > 0, so dividing by the summed weights below is safe
        for stem, est in fn(piece).items():
            out.setdefault(stem, np.zeros((channels, length), dtype=np.float32))
            out[stem][:, start:start + n] += np.asarray(est)[:, :n] * w
        weight[start:start + n] += w
    return {s: e / np.maximum(weight, 1e-8) for s, e in out.items()}
