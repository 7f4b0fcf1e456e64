r"""Separation by place: where a source sits between the two loudspeakers (azimuth / pan).

A mixing desk places a mono source :math:`s` between left and right with a **pan law**. The
constant-power law (the one the synthetic songs use) sends, for a pan position
:math:`p \in [-1, 1]` (-1 hard left, 0 centre, +1 hard right),

.. math:: x_L = \cos\theta\, s, \qquad x_R = \sin\theta\, s, \qquad \theta = \frac{(p + 1)\pi}{4},

so the source is equally loud at every pan position (:math:`\cos^2 + \sin^2 = 1`). In every
time-frequency bin where that source dominates, the two channels' magnitudes keep the same
ratio, the **inter-channel level difference** (ILD) :math:`|X_R| / |X_L| = \tan\theta`, and the
law can be turned around, bin by bin:

.. math:: \hat p(f, t) = \frac{4}{\pi} \arctan\frac{|X_R(f, t)|}{|X_L(f, t)|} - 1.

Music is *sparse* in time-frequency: most bins are dominated by one source, so the bins of a
source gather around its pan position. The **azimuth histogram** of the mixture (every bin's
:math:`\hat p`, weighted by its energy :math:`|X_L|^2 + |X_R|^2`) shows a peak per source
position (:func:`pan_positions`). A soft window around each position,

.. math:: W_k = \exp\left(-\frac{(\hat p - p_k)^2}{2\sigma^2}\right), \qquad
          M_k = \frac{W_k}{\max(1, \sum_j W_j)}, \qquad M_{\text{rest}} = 1 - \sum_k M_k,

makes masks that share a bin between nearby positions and leave what is far from every
position to a rest; the masks sum to one (:func:`azimuth_masks`). This is the level half of
DUET (Jourjine, Rickard and Yilmaz, 2000; Rickard, 2007, who also use the inter-channel time
delay) and the idea of ADRess (Barry, Lawlor and Coyle, 2004), which scans gains instead.

As a separation method (``panning``): the histogram's peak nearest 0 is the centre of the mix
(bass, kick, snare and voice in a pop mix); everything the window around it does not take
is the estimate of ``other``.

What it cannot do: split two sources panned to the same place (their bins share one
position), or place a bin where two sources of different positions overlap; and reverb, whose
left and right differ at random, scatters a source's bins over many positions.

Taught in: 10_panning
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.signal import find_peaks

from ..masking import masks_in_blocks
from ..spectral import HOP, N_FFT
from .. import methods
from . import magnitude

WIDTH = 0.2
"""Default width :math:`\\sigma` of the window around a pan position (in pan units, -1..1)."""
BINS = 81
"""Bins of the azimuth histogram over [-1, 1] (0.025 wide, one centred on 0)."""


def _stereo(mixture, what="mixture"):
    """The mixture as float32 ``(2, samples)``, or one line saying why it cannot be."""
    mixture = np.asarray(mixture, dtype=np.float32)
    if mixture.ndim != 2:
        raise ValueError(f"{what} must be (channels, samples), got shape {mixture.shape}")
    if mixture.shape[0] != 2:
        raise ValueError(f"panning needs a stereo {what} (2 channels, left and right), got "
                         f"{mixture.shape[0]} channel(s): a mono recording holds no pan to separate by")
    return mixture


def pan_gains(pan):
    r"""Left and right gains of the constant-power pan law.

    .. math:: g_L = \cos\theta, \quad g_R = \sin\theta, \quad \theta = (p + 1)\pi/4

    Args:
        pan (float or np.ndarray): :math:`p` in [-1, 1] (-1 left, 0 centre, +1 right)

    Returns:
        g_left, g_right (float or np.ndarray): :math:`g_L^2 + g_R^2 = 1`

    Taught in: 10_panning
    """
    pan = np.asarray(pan, dtype=np.float64)
    if np.any(np.abs(pan) > 1):
        raise ValueError(f"a pan position lies in [-1, 1], got {pan}")
    theta = (pan + 1) * np.pi / 4
    return np.cos(theta), np.sin(theta)


def pan_mono(signal, pan):
    """Place a mono signal in the stereo field with the constant-power law (:func:`pan_gains`).

    Args:
        signal (np.ndarray): ``(samples,)``
        pan (float): :math:`p` in [-1, 1]

    Returns:
        stereo (np.ndarray): ``(2, samples)`` float32

    Taught in: 10_panning
    """
    g_left, g_right = pan_gains(pan)
    signal = np.asarray(signal, dtype=np.float32)
    if signal.ndim != 1:
        raise ValueError(f"pan_mono places one mono signal (samples,), got shape {signal.shape}")
    return np.stack([g_left * signal, g_right * signal]).astype(np.float32)


def pan_index(left, right):
    r"""Every bin's pan position from the two channels' magnitudes (the pan law turned around).

    .. math:: \hat p = \frac{4}{\pi}\arctan\frac{|X_R|}{|X_L|} - 1

    Args:
        left, right (np.ndarray): magnitudes :math:`|X_L|, |X_R|`, same shape, e.g. ``(freqs, frames)``

    Returns:
        pan (np.ndarray): same shape, float32 in [-1, 1]; a silent bin (both zero) is put at the
        centre, 0 (its energy weight is zero anyway)

    Taught in: 10_panning
    """
    left, right = (np.asarray(x, dtype=np.float32) for x in (left, right))
    left, right = (np.abs(x) if (x < 0).any() else x for x in (left, right))  # (no copy of magnitudes)
    if left.shape != right.shape:
        raise ValueError(f"pan_index: left and right differ in shape: {left.shape} vs {right.shape}")
    pan = np.arctan2(right, left)  # in place from here on: a long song's bins are many
    pan *= np.float32(4 / np.pi)
    pan -= 1
    pan[(left == 0) & (right == 0)] = 0.0
    return pan


def pan_features(mixture, n_fft=N_FFT, hop=HOP):
    """A stereo mixture's pan index and energy per bin, made one channel at a time.

    Args:
        mixture (np.ndarray): ``(2, samples)``
        n_fft (int), hop (int): STFT frame length and hop

    Returns:
        pan (np.ndarray): ``(freqs, frames)`` float32 in [-1, 1] (:func:`pan_index`)
        energy (np.ndarray): ``(freqs, frames)`` float32, :math:`|X_L|^2 + |X_R|^2`

    Raises:
        ValueError: the mixture is not stereo (one line saying so)

    Taught in: 10_panning
    """
    mixture = _stereo(mixture)
    left, right = magnitude(mixture[0], n_fft, hop), magnitude(mixture[1], n_fft, hop)
    pan = pan_index(left, right)
    energy = np.square(left, out=left)  # in place: the magnitudes are not needed any more
    energy += np.square(right, out=right)
    return pan, energy


def pan_histogram(pan, energy, bins=BINS):
    """The azimuth histogram: how much of the energy lies at each pan position.

    Args:
        pan (np.ndarray): pan index per bin (:func:`pan_index`), any shape
        energy (np.ndarray): energy per bin, same shape (the weights)
        bins (int): histogram bins over [-1, 1]

    Returns:
        centres (np.ndarray): ``(bins,)`` the bins' centre positions
        share (np.ndarray): ``(bins,)`` the share of the energy in each bin (sums to one; all
        zero for a silent input)

    Taught in: 10_panning
    """
    pan, energy = np.asarray(pan), np.asarray(energy)
    if pan.shape != energy.shape:
        raise ValueError(f"pan_histogram: pan and energy differ in shape: {pan.shape} vs {energy.shape}")
    edges = np.linspace(-1, 1, int(bins) + 1)
    hist, _ = np.histogram(pan.ravel(), edges, weights=energy.ravel())  # (sums in float64, a block at a time)
    total = hist.sum()
    return (edges[1:] + edges[:-1]) / 2, hist / total if total > 0 else hist


def pan_positions(pan, energy, count=None, prominence=0.05, smooth=1.0, bins=BINS):
    """The sources' pan positions: the peaks of the (lightly smoothed) azimuth histogram.

    Args:
        pan, energy (np.ndarray): per bin, as for :func:`pan_histogram`
        count (int): keep at most this many peaks (the tallest); ``None`` for all
        prominence (float): a peak must stand this far above its surroundings, as a share of
            the tallest peak (``scipy.signal.find_peaks``' prominence)
        smooth (float): width of the Gaussian smoothing of the histogram, in histogram bins
        bins (int): histogram bins over [-1, 1]

    Returns:
        positions (np.ndarray): ``(peaks,)`` pan positions, tallest peak first (empty for a
        silent input)

    Taught in: 10_panning
    """
    centres, share = pan_histogram(pan, energy, bins)
    if not share.any():
        return np.zeros(0)
    curve = gaussian_filter1d(share, smooth, mode="constant") if smooth else share
    # pad with zeros so that a peak on the edge (a source hard left or right) counts as a peak
    peaks, _ = find_peaks(np.pad(curve, 1), prominence=prominence * curve.max())
    order = np.argsort(-curve[peaks - 1], kind="stable")
    positions = centres[peaks - 1][order]
    return positions if count is None else positions[:count]


def azimuth_masks(pan, positions, width=WIDTH):
    r"""Soft masks around pan positions, and the rest; they sum to one in every bin.

    .. math:: W_k = e^{-(\hat p - p_k)^2 / 2\sigma^2}, \quad
              M_k = \frac{W_k}{\max(1, \sum_j W_j)}, \quad M_{\text{rest}} = 1 - \sum_k M_k

    Args:
        pan (np.ndarray): pan index per bin (:func:`pan_index`), e.g. ``(freqs, frames)``
        positions (sequence of float): the sources' pan positions :math:`p_k`
        width (float): :math:`\sigma`, in pan units

    Returns:
        masks (np.ndarray): ``(len(positions), *pan.shape)`` float32, one per position
        rest (np.ndarray): ``pan.shape`` float32, what no position takes

    Taught in: 10_panning
    """
    if width <= 0:
        raise ValueError(f"the window width must be positive, got {width}")
    pan = np.asarray(pan, dtype=np.float32)
    positions = np.asarray(positions, dtype=np.float32).reshape(-1)
    masks = np.empty((len(positions),) + pan.shape, dtype=np.float32)
    for W, position in zip(masks, positions):  # W_k, computed in place (a long song's bins are many)
        np.subtract(pan, position, out=W)
        W /= np.float32(width)
        np.square(W, out=W)
        W *= np.float32(-0.5)
        np.exp(W, out=W)
    total = masks.sum(0) if len(positions) else np.zeros(pan.shape, np.float32)
    masks /= np.maximum(total, 1, out=total)
    rest = np.subtract(1, masks.sum(0, out=total), out=total)
    return masks, np.clip(rest, 0, 1, out=rest)


def separate_by_pan(mixture, positions=None, width=WIDTH, count=None, n_fft=N_FFT, hop=HOP):
    """One estimate per pan position, and the rest: :func:`azimuth_masks` applied to the mixture.

    Args:
        mixture (np.ndarray): ``(2, samples)``
        positions (sequence of float): the sources' pan positions; ``None``: the peaks of the
            mixture's azimuth histogram (:func:`pan_positions`, at most ``count``)
        width (float): window width :math:`\\sigma`
        count (int): with ``positions=None``, how many peaks to keep
        n_fft (int), hop (int): STFT frame length and hop

    Returns:
        sources (list of np.ndarray): ``(2, samples)`` float32 per position, in the order of
        ``positions``
        rest (np.ndarray): ``(2, samples)``: the mixture minus the sources (all sum to the mixture)
        positions (np.ndarray): the positions used

    Taught in: 10_panning
    """
    mixture = _stereo(mixture)
    pan, energy = pan_features(mixture, n_fft, hop)
    if positions is None:
        positions = pan_positions(pan, energy, count)
    positions = np.asarray(positions, dtype=np.float64).reshape(-1)
    masks, _ = azimuth_masks(pan, positions, width)
    del pan, energy
    names = [f"source{k}" for k in range(len(positions))]
    out = masks_in_blocks(mixture, lambda c, frames, V: {n: m[:, frames] for n, m in zip(names, masks)},
                          rest="rest", n_fft=n_fft, hop=hop)
    return [out[n] for n in names], out["rest"], positions


@methods.register("panning", family="classical", stems=("other",), taught_in="10_panning",
                  description="azimuth masks: all but the centre of the stereo field is other")
def separate_panning(mixture, rate, width=WIDTH, n_fft=N_FFT, hop=HOP):
    """Panning as a separation method: what is not at the centre of the mix is ``other``.

    The centre is the peak of the mixture's azimuth histogram nearest 0 (:func:`pan_positions`;
    a mix's centre may sit a little off 0); the window of width ``width`` around it (:func:`azimuth_masks`) takes the centre (bass,
    kick, snare, voice in a pop mix), and the rest of the mixture is the ``other`` estimate.

    Args:
        mixture (np.ndarray): ``(2, samples)``
        rate (int): sample rate in Hz (unused: the method works on bins, not on seconds)
        width (float): window width :math:`\\sigma` around the centre, in pan units
        n_fft (int), hop (int): STFT frame length and hop

    Returns:
        estimates (dict): ``{"other": (2, samples)}`` float32

    Raises:
        ValueError: the mixture is not stereo (one line saying so)

    Taught in: 10_panning
    """
    mixture = _stereo(mixture)
    mask, _ = centre_mask(mixture, width, n_fft, hop)
    other = np.subtract(1, mask, out=mask)  # the rest's mask, in place
    return masks_in_blocks(mixture, lambda c, frames, V: {"other": other[:, frames]}, n_fft=n_fft, hop=hop)


def centre_mask(mixture, width=WIDTH, n_fft=N_FFT, hop=HOP):
    """The mask :func:`separate_panning` gives the centre (its ``other`` is one minus it).

    Args:
        mixture (np.ndarray): ``(2, samples)``
        width (float), n_fft (int), hop (int): as for :func:`separate_panning`

    Returns:
        mask (np.ndarray): ``(freqs, frames)`` float32 in [0, 1], shared by both channels
        centre (float): the centre's pan position: the histogram's peak nearest 0

    Taught in: 10_panning
    """
    pan, energy = pan_features(mixture, n_fft, hop)
    positions = pan_positions(pan, energy)
    del energy
    if positions.size == 0:  # a silent mixture: no centre, nothing taken
        return np.zeros_like(pan), 0.0
    centre = float(positions[np.argmin(np.abs(positions))])
    return azimuth_masks(pan, [centre], width)[0][0], centre
