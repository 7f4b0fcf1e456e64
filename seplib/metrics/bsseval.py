r"""BSSEval v4 (the MUSDB18 protocol's SDR, ISR, SIR, SAR per one-second frame), in torch.

:func:`bss_eval_v4` computes exactly what ``museval`` computes for MUSDB18
(``museval.evaluate(..., mode="v4")``), about ten times faster on a CPU and more on a GPU.
:func:`museval_v4` and :func:`mir_eval_images` call the reference packages with the same
inputs and outputs, so any number can be checked against them.

Shapes: a set of sources is ``(sources, channels, samples)``.

Taught in: 01_stft_and_masks
"""
from __future__ import annotations

import warnings

import numpy as np
import torch

from ..spectral import seconds_to_samples

FILTERS_LEN = 512
"""Length of BSSEval's distortion filters (samples): the reference may be filtered this much
before a difference counts as error."""


def _positive_samples(seconds, rate):
    """A frame length or hop in samples (``None`` for the whole signal); it must be positive."""
    if seconds is not None and seconds <= 0:
        raise ValueError(f"a window or hop must be positive, got {seconds} s")
    return seconds_to_samples(seconds, rate)


def _device(device):
    if device is None:
        try:
            from ..config import device as best_device
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
    size, length = _positive_samples(window, rate), _positive_samples(seconds, rate)
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
    """Solve A X = B for a symmetric positive (semi)definite A: Cholesky, or LU if that fails,
    or least squares if A is singular (``museval`` does the same). A is singular when the
    references are linearly dependent, e.g. mono audio stored as two equal channels; the
    projection onto their span (all BSSEval needs) is the same for any least-squares solution."""
    factor, info = torch.linalg.cholesky_ex(A)
    if bool((info == 0).all()):
        return torch.cholesky_solve(B, factor)
    solution, info = torch.linalg.solve_ex(A, B)
    if bool((info == 0).all()) and bool(torch.isfinite(solution).all()):
        return solution
    # rank-deficient: the minimum-norm least-squares solution (gelsd runs on the CPU only)
    return torch.linalg.lstsq(A.cpu(), B.cpu(), driver="gelsd").solution.to(A.device)


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
    size, hop_n, count = _frames(n, _positive_samples(window, rate), _positive_samples(hop, rate))
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
    win, hop_n = _positive_samples(window, rate), _positive_samples(hop, rate)
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
