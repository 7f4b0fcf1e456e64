"""One call shape for every method: ``separate(method, mixture, rate) -> {stem: (channels, samples)}``.

:func:`separate` looks the method up in the registry (:mod:`seplib.methods`), checks what goes
in and what comes out, and calls the method's plain function. The leaderboard, the command
line and the listening room all separate through it, so they treat every method alike.
This module also says what an estimated stem is compared with (:func:`reference_of`,
:func:`accompaniment`). The floor and the oracles are in :mod:`seplib.oracles`, long songs in
pieces in :mod:`seplib.blocks`, masks to waveforms in :mod:`seplib.masking`.

(The module is ``seplib.separation``; ``from seplib import separate`` gives the function.)

Taught in: 01_stft_and_masks
"""
from __future__ import annotations

import numpy as np

from .stems import accompaniment  # noqa: F401  (accompaniment: defined with the stems)
from . import methods


def separate(method, mixture, rate, run=None, **kwargs):
    """Separate a mixture into stems with any registered method.

    Args:
        method (str): a registered name (``seplib methods`` lists them), e.g. ``"hpss"``,
            ``"oracle-irm"``, ``"unet"``, or one you registered with :func:`seplib.methods.register`
        mixture (np.ndarray): ``(channels, samples)``
        rate (int): sample rate in Hz
        run (seplib.run.Run): the run context, passed on to a method registered with
            ``takes_run=True`` (a trained model finds its checkpoint by it); others are not given it
        **kwargs: passed to the method (``references={stem: array}`` or a musdb track for the
            oracles: a MUSDB18-HQ track's stems are then read a block at a time,
            ``checkpoint=PATH`` for the trained models, a method's own parameters)

    Returns:
        estimates (dict): ``{stem: (channels, samples)}`` float32, each as long as the mixture;
        a method may give fewer than four stems (e.g. ``vocals`` and ``accompaniment``)

    Raises:
        ValueError: an unknown method, a bad mixture, an oracle without ``references``, or a
            ``checkpoint`` for a method that takes none

    Taught in: 01_stft_and_masks
    """
    record = methods.get(method)
    mixture = np.asarray(mixture, dtype=np.float32)
    if mixture.ndim != 2 or mixture.shape[0] > 8:
        raise ValueError(f"mixture must be (channels, samples), got shape {mixture.shape}")
    if not np.all(np.isfinite(mixture)):
        raise ValueError("mixture holds NaN or inf samples")
    if record.needs_references and kwargs.get("references") is None:
        raise ValueError(f"{method} needs the true stems: separate(..., references={{stem: array}})")
    if kwargs.get("checkpoint") is not None and not record.takes_checkpoint:
        raise ValueError(f"{method} takes no checkpoint (a {record.family} method); "
                         f"methods that do: {', '.join(m.name for m in methods.records() if m.takes_checkpoint)}")
    if run is not None and record.takes_run:
        kwargs["run"] = run
    estimates = record.fn(mixture, rate, **kwargs)
    out = {}
    for stem, est in estimates.items():
        est = np.asarray(est, dtype=np.float32)
        if est.shape != mixture.shape:
            raise RuntimeError(f"method {method!r} returned {stem} with shape {est.shape}, "
                               f"expected the mixture's {mixture.shape}")
        out[stem] = est
    return out


# --------------------------------------------------------------------------------------------
# What an estimate is compared with
# --------------------------------------------------------------------------------------------
def reference_of(stem, references):
    """The reference an estimated ``stem`` is scored against and listened beside.

    Args:
        stem (str): a stem a method gave, e.g. ``"drums"`` or ``"accompaniment"``
        references (dict): ``{stem: (channels, samples)}``, the true stems

    Returns:
        reference (np.ndarray): the true stem, or for ``accompaniment`` :func:`accompaniment`

    Raises:
        ValueError: no reference for that stem

    Taught in: 03_repet_sim
    """
    if stem in references:
        return np.asarray(references[stem])
    if stem == "accompaniment":
        return accompaniment(references)
    raise ValueError(f"no reference for estimate {stem!r}; references have {sorted(references)}"
                     " (an 'accompaniment' estimate is compared with the sum of all but vocals)")
