r"""How good is a separation? SI-SDR and SDR, BSSEval v4 (the MUSDB protocol), a results store.

Three families of numbers, from quick to official:

* :func:`sdr` and :func:`si_sdr`: one energy ratio per signal, for validation during training.
* :func:`bss_eval_v4`: SDR, ISR, SIR and SAR per one-second frame, exactly as ``museval``
  computes them for MUSDB18 (``museval.evaluate(..., mode="v4")``), in torch: about ten times
  faster than ``museval`` on a CPU and more on a GPU. :func:`museval_v4` and
  :func:`mir_eval_images` call the reference packages with the same inputs and outputs.
* :func:`track_scores`, :func:`aggregate`, :func:`evaluate`: the MUSDB protocol (median over
  frames per track, then median over tracks); :func:`save_scores` and :func:`leaderboard`
  keep one JSON file per method and data set.

Shapes: a signal is ``(channels, samples)``; a set of sources is ``(sources, channels, samples)``.

Taught in: 01_stft_and_masks
"""
from __future__ import annotations

import json
import math
import os
import re
import warnings
from pathlib import Path

import numpy as np
import torch

from . import STEMS
from .data.musdb import dataset_of  # noqa: F401  (notebooks call metrics.dataset_of)

METRICS = ("SDR", "SIR", "SAR", "ISR")
"""The four BSSEval criteria, in the order tables show them."""
FILTERS_LEN = 512
"""Length of BSSEval's distortion filters (samples): the reference may be filtered this much
before a difference counts as error."""
EPS = 1e-8
"""Added to both energies of :func:`sdr` / :func:`si_sdr` so a perfect estimate scores high, not inf."""
PROTOCOL = "BSSEval v4 (museval), 1 s frames, median over frames per track, then median over tracks"


def seconds_to_samples(seconds, rate):
    """A duration in seconds as a whole number of samples, truncated as ``museval`` does.

    Args:
        seconds (float): duration, or ``None`` / ``inf`` for "the whole signal"
        rate (int): sample rate in Hz

    Returns:
        samples (int or None): ``None`` for the whole signal

    Taught in: 01_stft_and_masks
    """
    if seconds is None or math.isinf(seconds):
        return None
    if seconds <= 0:
        raise ValueError(f"a window or hop must be positive, got {seconds} s")
    return int(seconds * rate)


# --------------------------------------------------------------------------------------------
# SDR and SI-SDR: one number per signal
# --------------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------------
# BSSEval v4 in torch
# --------------------------------------------------------------------------------------------
def _device(device):
    if device is None:
        try:
            from .config import device as best_device
            device = best_device()
        except ImportError:
            device = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(device)
    return torch.device("cpu") if device.type == "mps" else device   # MPS has no float64


def _as_sources(x, name):
    """``(sources, channels, samples)`` float numpy from numpy, torch or a list of arrays."""
    x = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    if x.ndim == 2:                       # (sources, samples): mono
        x = x[:, None, :]
    if x.ndim != 3 or x.shape[1] > 8:
        raise ValueError(f"{name} must be (sources, channels, samples), got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} holds NaN or inf samples")
    if x.dtype not in (np.float32, np.float64) or not x.flags.writeable:   # torch wants writable
        x = x.astype(np.float64 if x.dtype not in (np.float32, np.float64) else x.dtype)
    return x


def _pad_or_truncate(estimates, length):
    """Make the estimates as long as the references (zeros at the end, or cut), like museval."""
    n = estimates.shape[-1]
    if n >= length:
        return estimates[..., :length]
    return np.pad(estimates, [(0, 0), (0, 0), (0, length - n)])


def _frames(length, window, hop):
    """museval's framing in samples: ``(size, hop, count)``; only whole windows fit, and a
    window of ``None`` or longer than the signal gives one frame of the whole signal."""
    if window is None or window >= length:
        return length, length, 1
    hop = hop or window
    return window, hop, (length - window + hop) // hop


def _framed(x, size, hop, count):
    """``(..., samples)`` -> ``(..., frames, size)``, a view."""
    return x[..., : (count - 1) * hop + size].unfold(-1, size, hop)


def _silent_frames(x, size, hop, count):
    """True for frames where any source is silent (channel sum all zero): museval's rule."""
    return (_framed(torch.from_numpy(x.sum(1)), size, hop, count) == 0).all(-1).any(0)


def sounding_excerpt(references, rate, seconds, window=1.0):
    """The first excerpt of ``seconds`` in which every reference sounds in every frame.

    BSSEval has no score where a reference is silent (all zeros): :func:`bss_eval_v4` gives
    NaN for such a frame, ``mir_eval`` for the whole excerpt. Songs often start with a stem
    still silent (the voice enters later), so an excerpt cut from the start may score nothing.

    Args:
        references (np.ndarray): ``(sources, channels, samples)``
        rate (int): sample rate in Hz
        seconds (float): excerpt length
        window (float): frame length in seconds (the frames tested for silence)

    Returns:
        excerpt (slice): samples ``start:start + seconds * rate``, ``start`` a whole number of frames

    Raises:
        ValueError: no such excerpt (a reference silent too often, or the signal too short)

    Taught in: 01_stft_and_masks
    """
    refs = _as_sources(references, "references")
    size, length = seconds_to_samples(window, rate), seconds_to_samples(seconds, rate)
    count = refs.shape[-1] // size
    sounding = ~_silent_frames(refs, size, size, count).numpy() if count else np.zeros(0, bool)
    need = -(-length // size)  # frames the excerpt touches
    for first in range(count - need + 1):
        if sounding[first:first + need].all():
            return slice(first * size, first * size + length)
    raise ValueError(f"no {seconds} s excerpt in which all {refs.shape[0]} references sound "
                     f"(in {refs.shape[-1] / rate:.1f} s of audio, {window} s frames)")


def _next_pow2(n):
    return 1 << (int(n) - 1).bit_length()


def _lagged_correlations(x, y, L, block=2 ** 15):
    r"""Cross-correlations :math:`r_{ab}(\tau) = \sum_n x_a(n)\, y_b(n + \tau)` for
    :math:`|\tau| < L`, in float64, summed block by block so memory stays small on long tracks.

    Args:
        x: ``(a, samples)`` tensor;  y: ``(b, samples)``

    Returns:
        r: ``(a, b, 2L - 1)`` float64, lag :math:`\tau` at index :math:`\tau + L - 1`
    """
    n = x.shape[-1]
    n_fft = block + 2 * L                       # room for a block and its halos: no wrap-around
    acc = 0
    for start in range(0, n, 64 * block):       # 64 blocks (about 50 s) at a time
        stop = min(n, start + 64 * block)
        nb = -(-(stop - start) // block)
        xb = torch.nn.functional.pad(x[:, start:stop].double(), (0, start + nb * block - stop))
        # y with L - 1 samples of context on both sides of each block (zeros beyond the ends)
        lo, hi = max(0, start - L + 1), min(n, start + nb * block + L - 1)
        yb = torch.nn.functional.pad(y[:, lo:hi].double(),
                                     (lo - (start - L + 1), start + nb * block + L - 1 - hi))
        X = torch.fft.rfft(xb.reshape(x.shape[0], nb, block), n_fft)
        Y = torch.fft.rfft(yb.unfold(-1, block + 2 * L - 2, block), n_fft)
        # sum over blocks of conj(X_a) Y_b, one small matrix product per frequency
        # (contiguous copies first: complex matmul on strided views is very slow on CPUs)
        acc = acc + torch.bmm(X.conj().permute(2, 0, 1).contiguous(), Y.permute(2, 1, 0).contiguous())
    return torch.fft.irfft(acc.permute(1, 2, 0), n_fft)[..., : 2 * L - 1]


def _solve_spd(A, B):
    """Solve A X = B for a symmetric positive (semi)definite A: Cholesky, or LU if that fails."""
    factor, info = torch.linalg.cholesky_ex(A)
    if bool((info == 0).all()):
        return torch.cholesky_solve(B, factor)
    return torch.linalg.solve(A, B)


def _distortion_filters(refs, ests, L):
    r"""Least-squares filters that best rebuild each estimate from the references.

    The estimate :math:`\hat s_j` is projected onto the span of the references delayed by
    :math:`0..L-1` samples; the coefficients solve the normal equations :math:`G C = D`
    with :math:`G` the Gram matrix of the delayed references and :math:`D` their
    correlations with the estimate. Two projections per estimate: onto all references
    (``C_all``), and onto its own reference only (``C_own``).

    Args:
        refs, ests: ``(sources, channels, samples)`` tensors

    Returns (float64):
        C_all: ``(sources, channels, L, sources_est, channels_out)``
        C_own: ``(sources, channels, L, channels_out)``
    """
    S, C, _ = refs.shape
    K = S * C
    x = refs.reshape(K, -1)
    lag = torch.arange(L, device=refs.device)
    # G[(k1, a), (k2, b)] = <x_k1(n - a), x_k2(n - b)> = r_k1k2(a - b)
    G = _lagged_correlations(x, x, L)[:, :, lag[:, None] - lag[None, :] + L - 1]   # (K, K, L, L)
    G = G.permute(0, 2, 1, 3).reshape(K * L, K * L)
    # D[(k, a), m] = <x_k(n - a), est_m(n)> = r_k,est_m(a)
    D = _lagged_correlations(x, ests.reshape(K, -1), L)[:, :, L - 1:].permute(0, 2, 1).reshape(K * L, K)
    eye = torch.eye(K * L, dtype=G.dtype, device=G.device) * np.finfo(np.float64).eps
    C_all = _solve_spd(G + eye, D).reshape(S, C, L, S, C)
    # own reference only: the diagonal blocks of G, each estimate with its own source
    G_own = torch.stack([G[j * C * L:(j + 1) * C * L, j * C * L:(j + 1) * C * L] for j in range(S)])
    D_own = torch.stack([D[j * C * L:(j + 1) * C * L, j * C:(j + 1) * C] for j in range(S)])
    C_own = _solve_spd(G_own + eye[: C * L, : C * L], D_own).reshape(S, C, L, C)
    return C_all, C_own


def bss_eval_v4(references, estimates, rate=44100, window=1.0, hop=1.0, device=None,
                frames_per_batch=16):
    r"""BSSEval v4 images (the MUSDB18 protocol), framewise, in torch.

    Each estimate is split into four parts with filters of :data:`FILTERS_LEN` taps that are
    fitted once on the whole track (v4; v3 refits them in every frame):

    .. math:: \hat s_j = s_j + e^{spat}_j + e^{interf}_j + e^{artif}_j, \quad
              s_j + e^{spat}_j = P_{s_j}\hat s_j, \quad
              s_j + e^{spat}_j + e^{interf}_j = P_{s_1..s_J}\hat s_j

    where :math:`P` applies the least-squares filters from the true image :math:`s_j` only, or
    from all references. Then, in each frame (the filters applied to the frame's samples,
    as ``museval`` does):

    .. math:: \mathrm{SDR} = 10\log_{10}\frac{\|s_j\|^2}{\|\hat s_j - s_j\|^2}, \quad
              \mathrm{ISR} = 10\log_{10}\frac{\|s_j\|^2}{\|e^{spat}_j\|^2}, \quad
              \mathrm{SIR} = 10\log_{10}\frac{\|s_j + e^{spat}_j\|^2}{\|e^{interf}_j\|^2}, \quad
              \mathrm{SAR} = 10\log_{10}\frac{\|\hat s_j - e^{artif}_j\|^2}{\|e^{artif}_j\|^2}

    Note that the v4 image SDR needs no filters at all: it is the frame's plain SNR.
    A frame where any reference or estimate is silent scores NaN for every source, as in
    ``museval`` (which raises instead when a whole source is silent; here it is all NaN).

    Args:
        references: ``(sources, channels, samples)`` numpy or torch (``(sources, samples)`` is mono)
        estimates: the same; zero-padded or cut to the references' length, like ``museval``
        rate (int): sample rate in Hz
        window (float): frame length in seconds (``None``: the whole signal in one frame)
        hop (float): frame hop in seconds
        device: torch device (default :func:`seplib.config.device`; MPS falls back to the CPU,
            since the solve needs float64)
        frames_per_batch (int): frames filtered at once (memory vs speed)

    Returns:
        scores (dict): ``{"SDR", "ISR", "SIR", "SAR"}`` -> np.ndarray ``(sources, frames)`` in dB

    Taught in: 01_stft_and_masks
    """
    refs = _as_sources(references, "references")
    ests = _pad_or_truncate(_as_sources(estimates, "estimates"), refs.shape[-1])
    if ests.shape[:2] != refs.shape[:2]:
        raise ValueError(f"estimates {ests.shape[:2]} and references {refs.shape[:2]} must have "
                         "the same (sources, channels)")
    S, C, n = refs.shape
    L = FILTERS_LEN
    size, hop_n, count = _frames(n, seconds_to_samples(window, rate), seconds_to_samples(hop, rate))
    silent = (_silent_frames(refs, size, hop_n, count) | _silent_frames(ests, size, hop_n, count)).numpy()
    if silent.all():
        return {m: np.full((S, count), np.nan) for m in ("SDR", "ISR", "SIR", "SAR")}

    dev = _device(device)
    r, e = torch.from_numpy(refs).to(dev), torch.from_numpy(ests).to(dev)
    C_all, C_own = _distortion_filters(r, e, L)
    # the filters as matrices per frequency: (F, S*C, S_est*C_out) and (F*S, C, C_out)
    n_fft = _next_pow2(size + L - 1)
    W_all = torch.fft.rfft(C_all, n_fft, dim=2).permute(2, 0, 1, 3, 4).reshape(-1, S * C, S * C).contiguous()
    W_own = torch.fft.rfft(C_own, n_fft, dim=2).permute(2, 0, 1, 3).reshape(-1, C, C).contiguous()
    r_frames, e_frames = _framed(r, size, hop_n, count), _framed(e, size, hop_n, count)  # (S, C, T, size)

    def energy(x):                               # over channels and time: (S, t)
        return (x ** 2).sum((1, 3))

    parts = []
    for t0 in range(0, count, frames_per_batch):
        s = torch.nn.functional.pad(r_frames[:, :, t0:t0 + frames_per_batch].double(), (0, L - 1))
        est = torch.nn.functional.pad(e_frames[:, :, t0:t0 + frames_per_batch].double(), (0, L - 1))
        t = s.shape[2]
        # filter the frame's references (full convolution: the frame and an L - 1 tail), as
        # complex matrix products per frequency (made contiguous: strided ones are slow on CPUs)
        R = torch.fft.rfft(s, n_fft).permute(3, 2, 0, 1).reshape(-1, t, S * C).contiguous()
        proj_all = torch.bmm(R, W_all).reshape(-1, t, S, C).permute(2, 3, 1, 0)    # (S_est, C, t, F)
        proj_all = torch.fft.irfft(proj_all, n_fft)[..., : size + L - 1]             # s + e_spat + e_interf
        R_own = R.reshape(-1, t, S, C).transpose(1, 2).reshape(-1, t, C)
        proj_own = torch.bmm(R_own, W_own).reshape(-1, S, t, C).permute(1, 3, 2, 0)  # (S, C, t, F)
        proj_own = torch.fft.irfft(proj_own, n_fft)[..., : size + L - 1]             # s + e_spat
        parts.append(torch.stack([
            energy(s), energy(est - s),                  # SDR
            energy(s), energy(proj_own - s),             # ISR
            energy(proj_own), energy(proj_all - proj_own),   # SIR
            energy(proj_all), energy(est - proj_all),    # SAR
        ]))
    num, den = torch.cat(parts, dim=2).cpu().numpy().reshape(4, 2, S, count).transpose(1, 0, 2, 3)
    with np.errstate(divide="ignore"):
        db = np.where(den == 0, np.inf, 10 * np.log10(num / np.where(den == 0, 1, den)))
    db[..., silent] = np.nan
    return dict(zip(("SDR", "ISR", "SIR", "SAR"), db))


# --------------------------------------------------------------------------------------------
# The reference implementations, same inputs and outputs
# --------------------------------------------------------------------------------------------
def _all_nan_if_silent(refs, ests, count):
    """The packages raise on a wholly silent source; we give NaN scores, as frames would."""
    silent = [(np.sum(x, axis=1) == 0).all(-1).any() for x in (refs, ests)]
    return {m: np.full((refs.shape[0], count), np.nan) for m in ("SDR", "ISR", "SIR", "SAR")} \
        if any(silent) else None


def museval_v4(references, estimates, rate=44100, window=1.0, hop=1.0):
    """BSSEval v4 by the ``museval`` package (the official MUSDB18 scores); slow but the reference.

    Args:
        references, estimates: ``(sources, channels, samples)``, as for :func:`bss_eval_v4`
        rate (int): sample rate in Hz
        window, hop (float): frame length and hop in seconds

    Returns:
        scores (dict): ``{"SDR", "ISR", "SIR", "SAR"}`` -> ``(sources, frames)`` in dB

    Taught in: 01_stft_and_masks
    """
    import museval

    refs = _as_sources(references, "references")
    ests = _pad_or_truncate(_as_sources(estimates, "estimates"), refs.shape[-1])
    win, hop_n = seconds_to_samples(window, rate), seconds_to_samples(hop, rate)
    nan = _all_nan_if_silent(refs, ests, _frames(refs.shape[-1], win, hop_n)[2])
    if nan is not None:
        return nan
    win = win or np.inf
    sdr_, isr, sir, sar = museval.evaluate(refs.transpose(0, 2, 1), ests.transpose(0, 2, 1),
                                           win=win, hop=hop_n or win, mode="v4")
    return {"SDR": sdr_, "ISR": isr, "SIR": sir, "SAR": sar}


def mir_eval_images(references, estimates):
    """BSSEval v3 ``bss_eval_images`` by ``mir_eval``: one score per source for the whole signal.

    ``mir_eval.separation`` is deprecated (removed in mir_eval 0.9); its warning is silenced
    here. Sources keep their order (no permutation search). Slow: use a few seconds of audio.

    Args:
        references, estimates: ``(sources, channels, samples)``

    Returns:
        scores (dict): ``{"SDR", "ISR", "SIR", "SAR"}`` -> ``(sources, 1)`` in dB

    Taught in: 01_stft_and_masks
    """
    refs = _as_sources(references, "references")
    ests = _pad_or_truncate(_as_sources(estimates, "estimates"), refs.shape[-1])
    nan = _all_nan_if_silent(refs, ests, 1)
    if nan is not None:
        return nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import mir_eval.separation
        sdr_, isr, sir, sar, _ = mir_eval.separation.bss_eval_images(
            refs.transpose(0, 2, 1), ests.transpose(0, 2, 1), compute_permutation=False)
    return {"SDR": sdr_[:, None], "ISR": isr[:, None], "SIR": sir[:, None], "SAR": sar[:, None]}


# --------------------------------------------------------------------------------------------
# One track, many tracks: the MUSDB protocol
# --------------------------------------------------------------------------------------------
def _sorted_stems(names):
    """Stems in seplib's order (drums, bass, other, vocals, accompaniment), others after."""
    order = tuple(STEMS) + ("accompaniment",)
    return sorted(names, key=lambda s: (order.index(s), "") if s in order else (len(order), s))


def _reference(stem, references):
    if stem in references:
        return np.asarray(references[stem])
    if stem == "accompaniment":
        others = [np.asarray(v) for k, v in references.items() if k != "vocals"]
        if others:
            return np.sum(others, axis=0)
    raise ValueError(f"no reference for estimate {stem!r}; references have {sorted(references)}"
                     " (an 'accompaniment' estimate is compared with the sum of all but vocals)")


def _groups(stems):
    """Which stems are evaluated together, as ``museval.eval_mus_track`` does it:
    vocals + accompaniment as their own pair, every other stem with the rest."""
    if "vocals" in stems and "accompaniment" in stems:
        rest = [s for s in stems if s != "accompaniment"]
        return [(["vocals", "accompaniment"], ["vocals", "accompaniment"]),
                (rest, [s for s in rest if s != "vocals"])]
    return [(list(stems), list(stems))]


def track_scores(references, estimates, rate, backend="fast", window=1.0, hop=1.0, device=None):
    """BSSEval v4 scores of one track, for the stems the method estimated.

    Stems are scored together (each estimate's interference is measured against the other
    references), with ``museval``'s grouping: if both ``vocals`` and ``accompaniment`` are
    estimated they form their own pair. ``accompaniment`` is compared with the sum of all
    stems but vocals. A stem estimated alone (``museval`` would give nothing) is scored
    against "the rest": the other references summed, and the mixture minus its estimate.

    Args:
        references (dict): ``{stem: (channels, samples)}``, the true stems
        estimates (dict): ``{stem: (channels, samples)}``, any subset of the stems
            (plus ``accompaniment``)
        rate (int): sample rate in Hz
        backend (str): ``"fast"`` (:func:`bss_eval_v4`) or ``"museval"`` (:func:`museval_v4`)
        window, hop (float): frame length and hop in seconds
        device: for the fast backend

    Returns:
        scores (pandas.DataFrame): long format, columns ``stem, metric, frame, value``

    Taught in: 01_stft_and_masks
    """
    import pandas as pd

    if backend not in ("fast", "museval"):
        raise ValueError(f"backend must be 'fast' or 'museval', got {backend!r}")
    if not estimates:
        raise ValueError("estimates is empty: nothing to score")
    stems = _sorted_stems(estimates)
    rows = []
    for group, keep in _groups(stems):
        if not keep:
            continue
        refs = [_reference(s, references) for s in group]
        ests = [_pad_or_truncate(np.asarray(estimates[s])[None], refs[0].shape[-1])[0] for s in group]
        if len(group) == 1:                  # a lone stem against the rest of the mix
            mix = np.sum([np.asarray(v) for k, v in references.items() if k != "accompaniment"], 0)
            refs.append(mix - refs[0])
            ests.append(mix - ests[0])
        ref_arr, est_arr = np.stack(refs), np.stack(ests)
        if backend == "fast":
            res = bss_eval_v4(ref_arr, est_arr, rate, window, hop, device=device)
        else:
            res = museval_v4(ref_arr, est_arr, rate, window, hop)
        for i, stem in enumerate(group):
            if stem not in keep:
                continue
            for m in METRICS:
                rows += [(stem, m, t, float(v)) for t, v in enumerate(res[m][i])]
    return pd.DataFrame(rows, columns=["stem", "metric", "frame", "value"])


def _track_medians(scores):
    """Median over frames (NaN ignored) of each track, stem and metric."""
    keys = [k for k in ("method", "track", "stem", "metric") if k in scores.columns]
    if "frame" not in scores.columns:
        return scores
    return scores.groupby(keys, sort=False)["value"].median().reset_index()


def aggregate(scores):
    """The MUSDB protocol: median over frames per track, then median over tracks.

    NaN frames (silence) are ignored at both steps, as in ``museval``.

    Args:
        scores (pandas.DataFrame): long format with columns ``stem, metric, value`` and
            optionally ``track`` (default: one track) and ``frame`` (absent: already per track)

    Returns:
        table (pandas.DataFrame): index ``stem``, columns ``SDR, SIR, SAR, ISR``, in dB

    Taught in: 01_stft_and_masks
    """
    per_track = _track_medians(scores)
    table = per_track.groupby(["stem", "metric"])["value"].median().unstack("metric")
    return table.reindex(index=_sorted_stems(table.index), columns=[m for m in METRICS if m in table.columns])


def summary(per_track, method, split="test"):
    """The JSON summary of an evaluation (what ``seplib evaluate`` prints).

    Args:
        per_track (pandas.DataFrame): as returned by :func:`evaluate`
        method (str), split (str): labels

    Returns:
        summary (dict): ``{"method", "split", "tracks": N, "stems": {stem: {"SDR": dB, ...}}}``,
        NaN (and inf) given as ``None`` so the dict is valid JSON

    Taught in: 08_leaderboard
    """
    table = aggregate(per_track)
    n = per_track["track"].nunique() if "track" in per_track.columns else 1
    stems = {stem: {m: _json_number(row[m]) for m in table.columns} for stem, row in table.iterrows()}
    return {"method": method, "split": split, "tracks": int(n), "stems": stems}


# --------------------------------------------------------------------------------------------
# Results store and leaderboard: <results_dir>/<dataset>/<method>.json
# --------------------------------------------------------------------------------------------
def _json_number(x):
    return None if x is None or not np.isfinite(x) else round(float(x), 4)


def _checked_name(name, what):
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._+-]*", name):
        raise ValueError(f"{what} must be a plain name (letters, digits, . _ + -), got {name!r}")
    return name


def _results_dir(results_dir):
    if results_dir is not None:
        return Path(results_dir)
    from .config import results_dir as default
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


def evaluate(method, tracks, backend="fast", store=True, dataset=None, results_dir=None,
             progress=True, **kwargs):
    """Separate and score every track with one method (and store the scores).

    For each track: ``separate(method, mixture, rate)`` (oracles also get the true stems),
    then :func:`track_scores`, then the median over frames.

    Args:
        method (str): a method name of :data:`seplib.separate.METHODS`
        tracks (list): musdb tracks, e.g. ``seplib.data.open_dataset("test")``
        backend (str): ``"fast"`` or ``"museval"``
        store (bool): write the scores with :func:`save_scores`
        dataset (str): name to store under (default: the tracks' data set folder name,
            e.g. ``synth-lab``, with ``-train`` appended for training tracks)
        results_dir (str or Path): default :func:`seplib.config.results_dir`
        progress (bool): show a progress bar
        **kwargs: passed to the method (e.g. ``checkpoint=PATH``)

    Returns:
        per_track (pandas.DataFrame): columns ``track, stem, metric, value`` (median over frames)

    Taught in: 08_leaderboard
    """
    import pandas as pd
    from tqdm.auto import tqdm

    from .data import track_mixture, track_stems
    from .separate import separate

    tracks = list(tracks)
    if not tracks:
        raise ValueError("tracks is empty: nothing to evaluate")
    results = []
    for track in tqdm(tracks, desc=f"evaluate {method}", disable=not progress):
        mixture, refs = track_mixture(track), track_stems(track)
        extra = {"references": refs} if method.startswith("oracle") else {}
        estimates = separate(method, mixture, track.rate, **extra, **kwargs)
        scores = track_scores(refs, estimates, track.rate, backend=backend)
        results.append(_track_medians(scores).assign(track=track.name))
    per_track = pd.concat(results)[["track", "stem", "metric", "value"]].reset_index(drop=True)
    if store:
        save_scores(method, dataset or dataset_of(tracks), per_track, results_dir,
                    split="test" if tracks[0].subset == "test" else tracks[0].subset)
    return per_track


# --------------------------------------------------------------------------------------------
# Which stored scores are still valid: score only what is missing or out of date
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


def _checkpoint_of(method, kwargs):
    """The checkpoint a learned method separates with (``None`` for a method without one)."""
    if kwargs.get("checkpoint") is not None:
        return Path(kwargs["checkpoint"])
    from .models import MODELS, default_checkpoint

    return default_checkpoint(method) if method in MODELS else None


def why_rescore(method, tracks, dataset=None, results_dir=None, checkpoint=None):
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
        checkpoint = _checkpoint_of(method, {})
    if checkpoint is not None and Path(checkpoint).is_file() and Path(checkpoint).stat().st_mtime > path.stat().st_mtime:
        return "the model was trained again since"
    return ""


def score_missing(methods, tracks, rescore=False, method_kwargs=None, dataset=None, results_dir=None,
                  progress=False):
    """Score (and store) every method whose stored scores cannot be reused; reuse the rest.

    Args:
        methods (list of str): method names of :data:`seplib.separate.METHODS`
        tracks (list): musdb tracks, e.g. ``seplib.data.open_dataset("test")``
        rescore (bool): score every method again, whatever is stored
        method_kwargs (dict): ``{method: {argument: value}}`` passed to :func:`evaluate`
            (a ``checkpoint`` given there is the one the scores must be newer than)
        dataset (str): the name scores are stored under (default: the tracks' data set)
        results_dir (str or Path): default :func:`seplib.config.results_dir`
        progress (bool): show a progress bar per method scored

    Returns:
        log (pandas.DataFrame): index ``method``; columns ``scores`` (``"reused"`` or
        ``"scored now: <why>"``) and ``seconds``

    Taught in: 08_leaderboard
    """
    import time

    import pandas as pd

    tracks, method_kwargs = list(tracks), method_kwargs or {}
    dataset = dataset or dataset_of(tracks)
    rows = []
    for method in methods:
        kwargs = method_kwargs.get(method, {})
        reason = "rescore was asked for" if rescore else why_rescore(
            method, tracks, dataset, results_dir, checkpoint=_checkpoint_of(method, kwargs))
        start = time.perf_counter()
        if reason:
            evaluate(method, tracks, dataset=dataset, results_dir=results_dir, progress=progress, **kwargs)
        rows.append({"method": method, "scores": f"scored now: {reason}" if reason else "reused",
                     "seconds": round(time.perf_counter() - start, 1)})
    return pd.DataFrame(rows, columns=["method", "scores", "seconds"]).set_index("method")
