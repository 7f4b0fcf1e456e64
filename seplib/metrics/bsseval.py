r"""BSSEval v4 (the MUSDB18 protocol's SDR, ISR, SIR, SAR per one-second frame), in torch.

:func:`bss_eval_v4` computes what ``museval`` computes for MUSDB18
(``museval.evaluate(..., mode="v4")``, to within 0.01 dB) about ten times faster on one CPU
thread (``benchmarks/metrics_speed.py`` measures it). The work, in order:

1. the cross-correlations of the references (and of the estimate with them) over the lags
   :math:`|\tau| < L` (:func:`_lagged_correlations`, FFTs of blocks);
2. the Gram matrix :math:`G` of the references delayed by :math:`0 .. L-1` samples, built
   from those correlations and factored once (:class:`References`): the most expensive step,
   which a leaderboard scoring many methods on one song does once (:func:`shared_references`);
3. the distortion filters, the solutions of :math:`G c = d` (float64);
4. in each one-second frame, the references filtered and the energies of the error signals
   (:func:`_frame_energies`, in the frequency domain, float32 where that is exact enough).

:func:`museval_v4` and :func:`mir_eval_images` call the reference packages with the same
inputs and outputs, so any number can be checked against them.

Shapes: a set of sources is ``(sources, channels, samples)``.

Taught in: 01_stft_and_masks
"""
from __future__ import annotations

import contextlib
import hashlib
import warnings

import numpy as np
import torch

from ..spectral import seconds_to_samples
from ..config import device as best_device

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


def _fft_size(n):
    """The smallest FFT length >= ``n`` whose factors are 2, 3 and 5 only (fast to transform)."""
    import scipy.fft

    return scipy.fft.next_fast_len(int(n), real=True)


def _lagged_correlations(x, ys, L, n_fft=2 ** 15, group=4):
    r"""Cross-correlations :math:`r_{ab}(\tau) = \sum_n x_a(n)\, y_b(n + \tau)` for
    :math:`|\tau| < L`, in float64, summed block by block so memory stays small on long tracks.

    ``x`` is cut into blocks of ``n_fft - 2(L - 1)`` samples, ``y`` into the same blocks with
    ``L - 1`` samples of context on each side; then, per frequency, the sum over blocks of
    :math:`\overline{X_a} Y_b` is one small matrix product, and one inverse FFT gives every lag.

    Args:
        x: ``(a, samples)`` tensor
        ys: a ``(b, samples)`` tensor, or a tuple of them (their rows in turn: never joined
            into one song-sized copy)
        group (int): blocks transformed at once (``group`` x about 0.7 s of audio). More is not
            faster: 4 keeps every array of a group (the estimates' spectra the largest, 17 MB
            for four stereo stems) under the 32 MB up to which the C library's allocator reuses
            freed memory; a larger array is mapped afresh, and its new pages cost more to touch
            than the FFTs save

    Returns:
        r: ``(a, b, 2L - 1)`` float64, lag :math:`\tau` at index :math:`\tau + L - 1`
    """
    ys = ys if isinstance(ys, (tuple, list)) else (ys,)
    n = x.shape[-1]
    block = n_fft - 2 * (L - 1)                 # room for a block and its halos: no wrap-around
    for start in range(0, n, group * block):
        stop = min(n, start + group * block)
        nb = -(-(stop - start) // block)
        xb = x.new_zeros(x.shape[0], nb * block, dtype=torch.float64)
        xb[:, : stop - start] = x[:, start:stop]
        # y with L - 1 samples of context on both sides of each block (zeros beyond the ends)
        lo, hi = max(0, start - L + 1), min(n, start + nb * block + L - 1)
        yb = x.new_zeros(sum(y.shape[0] for y in ys), nb * block + 2 * (L - 1), dtype=torch.float64)
        row = 0
        for y in ys:
            yb[row:row + y.shape[0], lo - (start - L + 1): hi - (start - L + 1)] = y[:, lo:hi]
            row += y.shape[0]
        X = torch.fft.rfft(xb.reshape(x.shape[0], nb, block), n_fft)
        Y = torch.fft.rfft(yb.unfold(-1, n_fft, block), n_fft)
        # sum over blocks of conj(X_a) Y_b, one small matrix product per frequency
        # (contiguous copies first: complex matmul on strided views is very slow on CPUs)
        Xh, Yt = X.conj().permute(2, 0, 1).contiguous(), Y.permute(2, 1, 0).contiguous()
        if start == 0:
            acc = torch.bmm(Xh, Yt)
        else:
            acc.baddbmm_(Xh, Yt)                  # in place: no new (F, a, b) array per group
    return torch.fft.irfft(acc.permute(1, 2, 0), n_fft)[..., : 2 * L - 1]


def _factor_spd(make):
    """Factor a symmetric positive (semi)definite A once, to solve A X = B for many B.

    Cholesky, or LU if that fails, or least squares if A is singular (``museval`` does the
    same). A is singular when the references are linearly dependent, e.g. mono audio stored
    as two equal channels; the projection onto their span (all BSSEval needs) is the same for
    any least-squares solution.

    On the CPU the Cholesky factor is LAPACK's ``potrf`` written over A itself (through
    scipy): no second copy of a 4096 x 4096 matrix, and none of the zeroing of the other
    triangle that ``torch.linalg.cholesky`` does (0.49 s against 0.74 s on one CPU thread).
    Hence ``make``: A is made afresh if it has to be factored again.

    Args:
        make: a function returning A, a ``(..., n, n)`` float64 tensor (contiguous)

    Returns:
        factor (tuple): ``(kind, tensors)``, for :func:`_solve_factored`
    """
    A = make()
    if A.device.type == "cpu":
        from scipy.linalg import lapack

        n = A.shape[-1]
        factors = []
        for a in A.reshape(-1, n, n).numpy():     # views of A: potrf overwrites them in place
            # a.T is the same symmetric matrix, in the column-major order LAPACK works in
            chol, info = lapack.dpotrf(a.T, lower=True, clean=False, overwrite_a=True)
            if info != 0:
                break
            factors.append(chol)
        else:
            return "potrf", (factors, A.shape)
        A = make()
    else:
        chol, info = torch.linalg.cholesky_ex(A)
        if bool((info == 0).all()):
            return "cholesky", (chol,)
    LU, pivots, info = torch.linalg.lu_factor_ex(A)
    if bool((info == 0).all()):
        return "lu", (LU, pivots, A)
    return "lstsq", (A,)


def _solve_factored(factor, B):
    """Solve A X = B with the factor of A from :func:`_factor_spd`. ``B``: ``(..., n, k)``."""
    kind, tensors = factor
    if kind == "potrf":
        from scipy.linalg import lapack

        factors, shape = tensors
        rhs = B.reshape(len(factors), shape[-1], -1).numpy()
        solution = np.stack([lapack.dpotrs(chol, np.asfortranarray(b), lower=True)[0]
                             for chol, b in zip(factors, rhs)])
        return torch.from_numpy(solution).reshape(B.shape)
    if kind == "cholesky":
        return torch.cholesky_solve(B, tensors[0])
    if kind == "lu":
        solution = torch.linalg.lu_solve(tensors[0], tensors[1], B)
        if bool(torch.isfinite(solution).all()):
            return solution
    A = tensors[-1]   # rank-deficient: the minimum-norm least-squares solution (gelsd: CPU only)
    return torch.linalg.lstsq(A.cpu(), B.cpu(), driver="gelsd").solution.to(A.device)


class References:
    r"""What BSSEval needs from the true sources alone, computed once for any number of estimates.

    BSSEval projects an estimate onto the span of the references delayed by
    :math:`0 .. L-1` samples (:math:`L` = :data:`FILTERS_LEN`). With :math:`x_k` the
    :math:`K` = sources x channels reference signals, the coefficients :math:`c` of that
    projection solve the normal equations :math:`G c = d`, where

    .. math:: G_{(k, a), (k', b)} = \sum_n x_k(n - a)\, x_{k'}(n - b) = r_{kk'}(a - b)

    is the Gram matrix of the delayed references (:math:`KL \times KL`: 4096 x 4096 for four
    stereo stems), built from their cross-correlations :math:`r_{kk'}(\tau)` for
    :math:`|\tau| < L`. :math:`G` depends on the references only, so it is built and factored
    (Cholesky) here, once; every estimate then needs only its correlations with the
    references :math:`d` and two triangular solves. Scoring many methods on one track (a
    leaderboard) pays for the factorisation once instead of once per method.

    Args:
        references: ``(sources, channels, samples)`` numpy or torch (``(sources, samples)`` is mono)
        device: torch device (default :func:`seplib.config.device`; MPS falls back to the CPU,
            since the solve needs float64)

    Attributes:
        x: the references on the device, ``(sources, channels, samples)``
        factor_all: the factored :math:`G` (projection onto all references)
        factor_own: the factored diagonal blocks of :math:`G`, one per source (its own reference)

    Taught in: 01_stft_and_masks
    """

    def __init__(self, references, device=None):
        refs = _as_sources(references, "references")
        self.numpy = refs
        self.device = _device(device)
        self.x = torch.from_numpy(refs).to(self.device)   # on the CPU: the same memory as refs
        self.factor_all = self.factor_own = None      # made on the first estimate that needs them

    def _gram(self, r):
        """The Gram matrix :math:`G` of the delayed references, from their correlations ``r``
        (``(K, K, 2L - 1)``, from :func:`_lagged_correlations`)."""
        K, L = self.x.shape[0] * self.x.shape[1], FILTERS_LEN
        # G[(k1, a), (k2, b)] = r_k1k2(a - b): a Toeplitz block per pair of signals
        lag = torch.arange(L, device=r.device)
        toeplitz = lag[:, None] - lag[None, :] + L - 1                   # (L, L): a - b + L - 1
        G = r.new_empty(K * L, K * L)
        for k1 in range(K):      # block by block: no second K L x K L array while building it
            for k2 in range(K):
                G[k1 * L:(k1 + 1) * L, k2 * L:(k2 + 1) * L] = r[k1, k2][toeplitz]
        G.diagonal().add_(np.finfo(np.float64).eps)                        # as museval does
        return G

    def _factor(self, r):
        """Build the Gram matrix :math:`G` from the references' correlations ``r`` and factor it,
        and its diagonal blocks (each source's own reference)."""
        S, C, _ = self.x.shape
        CL = C * FILTERS_LEN
        G = self._gram(r)
        # own reference only: the diagonal blocks of G, one per source (a copy: factored first,
        # since the factor of G is written over G)
        self.factor_own = _factor_spd(lambda: torch.stack([G[j * CL:(j + 1) * CL, j * CL:(j + 1) * CL]
                                                           for j in range(S)]))
        fresh = [G]                                   # G the first time, then built again
        self.factor_all = _factor_spd(lambda: fresh.pop() if fresh else self._gram(r))

    def distortion_filters(self, estimates):
        r"""Least-squares filters that best rebuild each estimate from the references.

        The estimate :math:`\hat s_m` is projected onto the span of the delayed references:
        its coefficients solve :math:`G c = d_m`, with
        :math:`d_m[(k, a)] = \sum_n x_k(n - a)\, \hat s_m(n)` the correlations of the
        references with the estimate. Two projections per estimate: onto all references
        (``C_all``), and onto its own reference only (``C_own``).

        Args:
            estimates: ``(sources, channels, samples)`` tensor on the same device

        Returns (float64):
            C_all: ``(sources, channels, L, sources_est, channels_out)``
            C_own: ``(sources, channels, L, channels_out)``
        """
        S, C, _ = self.x.shape
        K, L = S * C, FILTERS_LEN
        x, e = self.x.reshape(K, -1), estimates.reshape(K, -1)
        if self.factor_all is None:
            # the first estimate: the references' own correlations in the same pass (the
            # references' spectra serve both), then G is built and factored
            r = _lagged_correlations(x, (x, e), L)
            self._factor(r[:, :K])
            r = r[:, K:]
        else:
            r = _lagged_correlations(x, e, L)
        # D[(k, a), m] = <x_k(n - a), est_m(n)> = r_k,est_m(a)
        D = r[:, :, L - 1:].permute(0, 2, 1).reshape(K * L, K)
        C_all = _solve_factored(self.factor_all, D).reshape(S, C, L, S, C)
        # own reference only: each estimate with its own source's block of D
        D_own = torch.stack([D[j * C * L:(j + 1) * C * L, j * C:(j + 1) * C] for j in range(S)])
        C_own = _solve_factored(self.factor_own, D_own).reshape(S, C, L, C)
        return C_all, C_own

    def nbytes(self):
        """Memory held once factored (bytes): the references, the Cholesky factors of
        :math:`G` and of its diagonal blocks (float64)."""
        S, C, _ = self.x.shape
        KL, CL = S * C * FILTERS_LEN, C * FILTERS_LEN
        signals = self.numpy.nbytes + (self.x.numel() * self.x.element_size() if self.device.type != "cpu" else 0)
        return signals + 8 * (KL ** 2 + S * CL ** 2)

    def score(self, estimates, rate=44100, window=1.0, hop=1.0, frames_per_batch=8):
        """BSSEval v4 of one set of estimates against these references: see :func:`bss_eval_v4`."""
        refs = self.numpy
        ests = _pad_or_truncate(_as_sources(estimates, "estimates"), refs.shape[-1])
        if ests.shape[:2] != refs.shape[:2]:
            raise ValueError(f"estimates {ests.shape[:2]} and references {refs.shape[:2]} must have "
                             "the same (sources, channels)")
        S, C, n = refs.shape
        size, hop_n, count = _frames(n, _positive_samples(window, rate), _positive_samples(hop, rate))
        silent = (_silent_frames(refs, size, hop_n, count) | _silent_frames(ests, size, hop_n, count)).numpy()
        if silent.all():
            return {m: np.full((S, count), np.nan) for m in ("SDR", "ISR", "SIR", "SAR")}
        e = torch.from_numpy(ests).to(self.device)
        C_all, C_own = self.distortion_filters(e)
        frames = torch.arange(count)
        energies = _frame_energies(self.x, e, C_all, C_own, size, hop_n, frames, frames_per_batch)
        # float32 spectra give each energy to about 1e-7 of the frame's: where a ratio is above
        # PRECISE_DB (a near-perfect part, e.g. the mixture's SAR), that frame again in float64
        num, den = energies[0::2], energies[1::2]
        redo = (den * 10 ** (PRECISE_DB / 10) < num).any(0).any(0).cpu() & ~torch.from_numpy(silent)
        if redo.any():
            energies[:, :, redo.to(energies.device)] = _frame_energies(self.x, e, C_all, C_own, size, hop_n, frames[redo],
                                                   frames_per_batch, dtype=torch.float64)
        num, den = energies.cpu().numpy().reshape(4, 2, S, count).transpose(1, 0, 2, 3)
        with np.errstate(divide="ignore"):
            db = np.where(den == 0, np.inf, 10 * np.log10(num / np.where(den == 0, 1, den)))
        db[..., silent] = np.nan
        return dict(zip(("SDR", "ISR", "SIR", "SAR"), db))


PRECISE_DB = 60.0
"""Frames are filtered in float32 (the filters themselves are solved in float64); a frame in
which any ratio is above this (dB) is filtered again in float64, so that every score stays
within 0.01 dB of ``museval``'s."""


def _complex(dtype):
    return torch.complex64 if dtype == torch.float32 else torch.complex128


def _frame_energies(r, e, C_all, C_own, size, hop, frames, frames_per_batch=8, dtype=torch.float32):
    r"""The energies of BSSEval's ratios in every frame, the filters applied to the frame alone.

    In each frame the references are filtered (a full convolution: the frame and an
    :math:`L - 1` tail) in the frequency domain, where filtering is a small matrix product per
    frequency :math:`f`: with :math:`R(f)` the frame's reference spectra (a row of sources x
    channels) and :math:`W(f)` the filters' spectra,
    :math:`s + e^{spat} + e^{interf} = R W_{all}` and :math:`s + e^{spat} = R W_{own}`
    (:math:`W_{own}` block diagonal: each estimate from its own reference only). One product
    gives the two error signals that need the filters,

    .. math:: [e^{spat},\; e^{interf}] = R\, [W_{own} - I,\; W_{all} - W_{own}],

    and the rest are sums: :math:`s + e^{spat}`, then :math:`+ e^{interf}`, and
    :math:`e^{artif} = \hat s - (s + e^{spat} + e^{interf})`. Nothing goes back to the time
    domain: the FFT is long enough that nothing wraps around, so by Parseval
    :math:`\sum_n p(n)^2 = \frac1N \sum_f w_f |P(f)|^2` (:math:`w_f = 2` for the bins that
    stand for two in a real signal's spectrum, else 1).

    Args:
        r, e: references and estimates, ``(sources, channels, samples)`` tensors
        C_all, C_own: the filters from :meth:`References.distortion_filters`
        size, hop: frame length and hop in samples (:func:`_frames`)
        frames: ``(n,)`` tensor, the indices of the frames to score
        frames_per_batch (int): frames transformed at once; 8 one-second frames of four
            stereo stems keep each array under 32 MB (see :func:`_lagged_correlations`)
        dtype: ``torch.float32`` or ``torch.float64``, the precision of the filtering (the
            SDR, which needs no filter, is summed in float64 from the signals as given)

    Returns:
        energies: ``(8, sources, n)`` float64, the numerator and denominator of SDR, ISR,
        SIR and SAR in turn
    """
    S, C, _ = r.shape
    K, L = S * C, C_all.shape[2]
    n_fft = _fft_size(size + L - 1)
    # the filters' spectra, one (K, K) matrix per frequency each
    W_all = torch.fft.rfft(C_all, n_fft, dim=2).permute(2, 0, 1, 3, 4).reshape(-1, K, K)
    W_own = torch.zeros_like(W_all)
    own = torch.fft.rfft(C_own, n_fft, dim=2).permute(2, 0, 1, 3)                   # (F, S, C, C_out)
    for j in range(S):
        W_own[:, j * C:(j + 1) * C, j * C:(j + 1) * C] = own[:, j]
    eye = torch.eye(K, dtype=W_all.dtype, device=W_all.device)
    M = torch.cat([W_own - eye, W_all - W_own], dim=2).to(_complex(dtype))            # (F, K, 2K)
    # Parseval's weights
    weight = torch.full((n_fft // 2 + 1,), 2.0 / n_fft, dtype=dtype, device=r.device)
    weight[0] = weight[-1 if n_fft % 2 == 0 else 0] = 1.0 / n_fft

    def spectra(x):              # frames (S, C, t, size) -> spectra (F, t, S*C), contiguous
        # contiguous: bmm on the strided view is four times slower
        return torch.fft.rfft(x, n_fft).permute(3, 2, 0, 1).reshape(-1, x.shape[2], K).contiguous()

    def energy(X):               # spectra (F, t, n * K) -> (n, S, t): over frequencies and channels
        v = torch.view_as_real(X).reshape(X.shape[0], -1)
        return (weight @ (v * v)).reshape(X.shape[1], -1, S, 2 * C).sum(-1).permute(1, 2, 0)

    def energy_t(x):             # samples (S, C, t, size) -> (S, t): over channels and samples,
        # summed in float64 without a float64 copy of the frames
        return torch.linalg.vector_norm(x, dim=(1, 3), dtype=torch.float64) ** 2

    count = int(frames.max()) + 1
    r_frames, e_frames = _framed(r, size, hop, count), _framed(e, size, hop, count)  # (S, C, T, size)
    parts = []
    for batch in frames.to(r.device).split(frames_per_batch):
        s, est = r_frames[:, :, batch], e_frames[:, :, batch]                        # (S, C, t, size)
        R, E = spectra(s.to(dtype)), spectra(est.to(dtype))                           # (F, t, K)
        errors = torch.bmm(R, M)                                                      # (F, t, 2K)
        spat, interf = energy(errors).unbind(0)
        R += errors[:, :, :K]                                  # s + e_spat
        image = energy(R)[0]
        R += errors[:, :, K:]                                  # s + e_spat + e_interf
        proj_all = energy(R)[0]
        E -= R                                                 # e_artif
        true = energy_t(s)      # est - s below: in the signals' own precision, correctly rounded
        parts.append(torch.stack([
            true, energy_t(est - s),                 # SDR (the frame's plain SNR)
            true, spat.double(),                     # ISR
            image.double(), interf.double(),         # SIR
            proj_all.double(), energy(E)[0].double(),  # SAR
        ]))
    return torch.cat(parts, dim=2)


def bss_eval_v4(references, estimates, rate=44100, window=1.0, hop=1.0, device=None,
                frames_per_batch=8):
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

    The filters solve normal equations with the Gram matrix of the delayed references
    (:class:`References`), which depends on the references only: to score several estimates
    against the same references, pass a :class:`References` (built once), or call this
    inside ``with shared_references():``, which keeps them for you.

    Args:
        references: ``(sources, channels, samples)`` numpy or torch (``(sources, samples)`` is
            mono), or a :class:`References` of them (then ``device`` is its own)
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
    if not isinstance(references, References):
        references = _references(references, device)
    return references.score(estimates, rate, window, hop, frames_per_batch)


class _SharedReferences:
    """The store behind :func:`shared_references`: References by the content of their signals."""

    def __init__(self, max_bytes):
        self.max_bytes, self.held = max_bytes, {}

    def get(self, references, device):
        refs = np.ascontiguousarray(_as_sources(references, "references"))
        dev = _device(device)
        key = (refs.shape, str(refs.dtype), str(dev), hashlib.blake2b(refs.data, digest_size=16).hexdigest())
        if key not in self.held:
            made = References(refs, dev)
            if sum(r.nbytes() for r in self.held.values()) + made.nbytes() > self.max_bytes:
                return made                   # over budget: used once, not kept
            self.held[key] = made
        return self.held[key]


_shared = None
"""The :class:`_SharedReferences` of the :func:`shared_references` block in force, else ``None``."""


def _references(references, device):
    """:class:`References` of these signals: the shared one inside :func:`shared_references`."""
    return _shared.get(references, device) if _shared is not None else References(references, device)


@contextlib.contextmanager
def shared_references(max_gib=2.0):
    """Within this block, :func:`bss_eval_v4` factors the Gram matrix of each set of references once.

    Scoring many methods on the same songs (notebook 08's leaderboard) then pays for each
    song's factorisation once instead of once per method; the scores are the same. A set of
    references is recognised by its samples (a hash of them), so nothing needs to be passed
    around. What is kept is released when the block ends. Four stereo stems hold about
    170 MB (the 4096 x 4096 Cholesky factor and its diagonal blocks) whatever the length of
    the song, plus the song itself; once ``max_gib`` is held, further references are not kept.

    Args:
        max_gib (float): memory the kept references may hold, in GiB

    Yields:
        nothing; use it as ``with shared_references(): ...``

    Taught in: 08_leaderboard
    """
    global _shared
    if _shared is not None:                   # already inside such a block: keep using it
        yield
        return
    _shared = _SharedReferences(max_gib * 2 ** 30)
    try:
        yield
    finally:
        _shared = None



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
