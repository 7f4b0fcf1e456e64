r"""One number per signal: SDR and SI-SDR, for validation while training and for quick checks.

Shapes: a signal is ``(channels, samples)``; both functions take any leading axes.

Taught in: 01_stft_and_masks
"""
from __future__ import annotations

import numpy as np
import torch

from ..spectral import seconds_to_samples  # noqa: F401  (one conversion for all of seplib)

EPS = 1e-8
"""Added to both energies of :func:`sdr` / :func:`si_sdr` so a perfect estimate scores high, not inf."""


def _energy_ratio_db(num, den, silent, eps):
    """10 log10((num + eps) / (den + eps)), NaN where the reference is silent."""
    out = 10 * torch.log10((num + eps) / (den + eps))
    return torch.where(silent, torch.full_like(out, float("nan")), out)


def _both_kinds(fn, estimate, reference, eps):
    """Run ``fn`` on torch tensors; give numpy back for numpy input."""
    if isinstance(estimate, torch.Tensor) or isinstance(reference, torch.Tensor):
        estimate, reference = torch.as_tensor(estimate), torch.as_tensor(reference)
        dtype = torch.promote_types(estimate.dtype, reference.dtype)
        if not dtype.is_floating_point:
            dtype = torch.float32
        return fn(estimate.to(dtype), reference.to(dtype), eps)
    est = torch.from_numpy(np.asarray(estimate, dtype=np.float64))
    ref = torch.from_numpy(np.asarray(reference, dtype=np.float64))
    out = fn(est, ref, eps).numpy()
    return out[()] if out.ndim == 0 else out


def _check_same_shape(estimate, reference):
    if estimate.shape != reference.shape:
        raise ValueError(f"estimate and reference must have the same shape, "
                         f"got {tuple(estimate.shape)} and {tuple(reference.shape)}")


def _si_sdr(est, ref, eps):
    _check_same_shape(est, ref)
    ref_energy = (ref ** 2).sum(-1)
    scale = (est * ref).sum(-1, keepdim=True) / (ref_energy.unsqueeze(-1) + eps)
    target = scale * ref
    return _energy_ratio_db((target ** 2).sum(-1), ((est - target) ** 2).sum(-1), ref_energy == 0, eps)


def si_sdr(estimate, reference, eps=EPS):
    r"""Scale-invariant SDR over the last axis, in dB.

    The reference is first scaled to best fit the estimate, so a louder or quieter but
    otherwise perfect estimate still scores high:

    .. math:: \alpha = \frac{\langle \hat s, s\rangle}{\|s\|^2}, \qquad
              \mathrm{SI\text{-}SDR} = 10\log_{10}\frac{\|\alpha s\|^2}{\|\hat s - \alpha s\|^2}

    Args:
        estimate (np.ndarray or torch.Tensor): ``(..., samples)``
        reference (np.ndarray or torch.Tensor): same shape
        eps (float): added to both energies (a perfect estimate gives a large finite value)

    Returns:
        score: ``(...)`` in dB, numpy for numpy input, torch (differentiable) for torch input;
        NaN where the reference is silent (all zeros), as ``museval`` does

    Taught in: 01_stft_and_masks
    """
    return _both_kinds(_si_sdr, estimate, reference, eps)


def _sdr(est, ref, eps):
    _check_same_shape(est, ref)
    axes = tuple(range(-min(est.ndim, 2), 0))
    ref_energy = (ref ** 2).sum(axes)
    return _energy_ratio_db(ref_energy, ((ref - est) ** 2).sum(axes), ref_energy == 0, eps)


def sdr(estimate, reference, eps=EPS):
    r"""Plain SDR (also called SNR, or the "new SDR" of the Music Demixing Challenge), in dB.

    .. math:: \mathrm{SDR} = 10\log_{10}\frac{\sum_{c,n} s_c(n)^2}{\sum_{c,n} (s_c(n) - \hat s_c(n))^2}

    The sums run over channels and samples together: one number per stereo signal. Unlike
    :func:`si_sdr` it punishes a wrong gain, and unlike :func:`bss_eval_v4` it allows no
    filtering of the reference: quick, and good enough to pick a checkpoint.

    Args:
        estimate (np.ndarray or torch.Tensor): ``(..., channels, samples)``, or ``(samples,)``
        reference (np.ndarray or torch.Tensor): same shape

    Returns:
        score: ``(...)`` in dB (numpy for numpy input, torch for torch input); NaN where the
        reference is silent

    Taught in: 01_stft_and_masks
    """
    return _both_kinds(_sdr, estimate, reference, eps)


snr = sdr
"""Another name for :func:`sdr`: with no filtering allowed, SDR is the signal-to-noise ratio."""


def rest_db(parts, mixture):
    """How far a set of stems is from adding up to the mixture: ``10 log10(||sum - x||^2 / ||x||^2)``.

    Exactly the sum for the synthetic songs (``-inf`` up to rounding) and for softmax masks; about
    -15 dB for the real song that ships with musdb, whose stems were coded and mastered apart.

    Args:
        parts (dict): ``{stem: (channels, samples)}`` (the four stems, or estimates of them)
        mixture (np.ndarray): ``(channels, samples)``

    Returns:
        db (float)

    Taught in: 00_getting_started
    """
    import numpy as np

    err = sum(np.asarray(p, dtype=np.float64) for p in parts.values()) - np.asarray(mixture, dtype=np.float64)
    return float(10 * np.log10(np.sum(err ** 2) / np.sum(np.asarray(mixture, dtype=np.float64) ** 2) + 1e-30))
