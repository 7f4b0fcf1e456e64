r"""Four stems from classical parts: chain HPSS, REPET-SIM, filters and NMF.

(a) :func:`separate_classical_repet`

1. HPSS: the percussive part is ``drums``; the rest (harmonic + residual) goes on;
2. REPET-SIM on that rest: the non-repeating foreground is ``vocals``;
3. a zero-phase low-pass Butterworth filter of the repeating background is ``bass``;
4. what is left is ``other``.

(b) :func:`separate_classical_nmf`

1. HPSS: the percussive part is ``drums``;
2. NMF of the rest's magnitude, with templates confined to a band per stem (``bass`` below
   ``bass_hz``, ``vocals`` in ``vocal_band``, ``other`` above ``bass_hz``): multiplicative
   updates keep a zero template entry at zero, so each component stays in its band;
3. Wiener-form masks (ratios of the stems' modelled powers) of each stem's components on the rest.

Each step hands the next the mixture minus what it took, so the four estimates sum to the
mixture exactly.

Taught in: 04_nmf
"""
from __future__ import annotations

import numpy as np
import torch
from scipy.signal import butter, sosfiltfilt

from ..spectral import HOP, N_FFT
from .. import methods
from .hpss import HARMONIC_SECONDS, PERCUSSIVE_HZ, separate_hpss
from .nmf import _masked_in_blocks, _mono_magnitude_of, group_masks, mono_magnitude, nmf  # noqa: F401
from .repet import separate_repet_sim


def lowpass(x, rate, cutoff_hz, order=4):
    r"""Zero-phase low-pass Butterworth filter (forward and backward: no delay, order doubled).

    .. math:: |G(f)|^2 = \frac{1}{\left(1 + (f / f_c)^{2n}\right)^2}

    Args:
        x (np.ndarray): ``(channels, samples)``
        rate (int): sample rate in Hz
        cutoff_hz (float): cutoff :math:`f_c`
        order (int): Butterworth order :math:`n` of each pass

    Returns:
        y (np.ndarray): ``(channels, samples)`` float32

    Taught in: 04_nmf
    """
    if not 0 < cutoff_hz < rate / 2:
        raise ValueError(f"cutoff_hz must lie in (0, {rate / 2}), got {cutoff_hz}")
    sos = butter(order, cutoff_hz, btype="low", fs=rate, output="sos")
    x = np.asarray(x)
    y = np.empty(x.shape, dtype=np.float32)
    # A long song goes in blocks, each filtered with a margin on both sides long enough for the
    # filter's memory to fade by e^-40 (its slowest poles decay at 2 pi f_c sin(pi / 2n) per
    # second: 0.11 s at 150 Hz): the blocks give the whole-song result to float rounding.
    block = int(LOWPASS_BLOCK_SECONDS * rate)
    margin = int(np.ceil(40 / (2 * np.pi * cutoff_hz * np.sin(np.pi / (2 * order))) * rate))
    for c in np.ndindex(x.shape[:-1]):  # one channel, one block at a time: small float64 copies
        for start in range(0, x.shape[-1], block):
            a, b = max(0, start - margin), min(x.shape[-1], start + block + margin)
            y[c + (slice(start, start + block),)] = sosfiltfilt(sos, x[c + (slice(a, b),)].astype(np.float64))[
                start - a:start - a + block]
    return y


LOWPASS_BLOCK_SECONDS = 30.0
"""A long song is low-pass filtered in blocks of this length (with margins): the float64 copies
the filter makes stay block-sized."""


@methods.register("classical-repet", family="classical", taught_in="04_nmf",
                  description="HPSS -> drums, REPET-SIM -> vocals, low-pass -> bass, the rest other")
def separate_classical_repet(mixture, rate, harmonic_seconds=HARMONIC_SECONDS,
                             percussive_hz=PERCUSSIVE_HZ, k=40, min_seconds=1.0, bass_hz=150.0,
                             n_fft=N_FFT, hop=HOP):
    """Pipeline (a): HPSS -> drums; REPET-SIM -> vocals; low-pass -> bass; the rest -> other.

    Args:
        mixture (np.ndarray): ``(channels, samples)``
        rate (int): sample rate in Hz
        harmonic_seconds (float), percussive_hz (float): HPSS filter lengths
        k (int), min_seconds (float): REPET-SIM neighbours and their minimum distance
        bass_hz (float): cutoff of the bass low-pass filter
        n_fft (int), hop (int): STFT frame length and hop

    Returns:
        estimates (dict): ``{"drums", "bass", "other", "vocals"}`` each ``(channels, samples)``,
        summing to the mixture

    Taught in: 04_nmf
    """
    mixture = np.asarray(mixture, dtype=np.float32)
    hp = separate_hpss(mixture, rate, harmonic_seconds, percussive_hz, n_fft=n_fft, hop=hop)
    drums = hp["drums"]
    other = separate_repet_sim(hp.pop("other"), rate, k=k, min_seconds=min_seconds, n_fft=n_fft,
                               hop=hop)["accompaniment"]  # (the rest is dropped: long songs)
    bass = lowpass(other, rate, bass_hz)
    other -= bass  # in place: one song-sized array less
    vocals = mixture - drums  # = REPET-SIM's foreground, closing the sum
    vocals -= bass
    vocals -= other
    return {"drums": drums, "bass": bass, "other": other, "vocals": vocals}


def band_templates(rate, n_fft, bands, n_components, seed=0):
    """Random non-negative templates, each zero outside its stem's band.

    Args:
        rate (int), n_fft (int): to convert Hz to bins
        bands (dict): ``{stem: (low_hz, high_hz)}``
        n_components (dict or int): templates per stem
        seed (int): seed

    Returns:
        W (torch.Tensor): ``(freqs, components)``
        groups (dict): ``{stem: range of component indices}``

    Taught in: 04_nmf
    """
    generator = torch.Generator().manual_seed(seed)
    hz = torch.arange(n_fft // 2 + 1) * rate / n_fft
    columns, groups, start = [], {}, 0
    for stem, (low, high) in bands.items():
        count = n_components[stem] if isinstance(n_components, dict) else n_components
        inside = ((hz >= low) & (hz <= high)).float()[:, None]
        columns.append((torch.rand(len(hz), count, generator=generator) + 0.1) * inside)
        groups[stem] = range(start, start + count)
        start += count
    return torch.cat(columns, dim=1), groups


@methods.register("classical-nmf", family="classical", taught_in="04_nmf",
                  description="HPSS -> drums, band-limited NMF of the rest -> bass, vocals, other")
def separate_classical_nmf(mixture, rate, harmonic_seconds=HARMONIC_SECONDS,
                           percussive_hz=PERCUSSIVE_HZ, bass_hz=200.0, vocal_band=(150.0, 8000.0),
                           n_components=12, beta="kl", n_iter=100, power=2.0, seed=0,
                           n_fft=N_FFT, hop=HOP, device=None):
    """Pipeline (b): HPSS -> drums; band-limited NMF of the rest -> bass, vocals, other.

    Args:
        mixture (np.ndarray): ``(channels, samples)``
        rate (int): sample rate in Hz
        harmonic_seconds (float), percussive_hz (float): HPSS filter lengths
        bass_hz (float): bass templates live below, ``other`` templates above this frequency
        vocal_band (tuple): ``(low, high)`` Hz band of the vocal templates
        n_components (int or dict): templates per stem
        beta (str), n_iter (int), seed (int), device: as in :func:`seplib.classical.nmf.nmf`
        power (float): exponent of the masks (2: Wiener form, ratios of modelled powers)
        n_fft (int), hop (int): STFT frame length and hop

    Returns:
        estimates (dict): ``{"drums", "bass", "other", "vocals"}`` each ``(channels, samples)``,
        summing to the mixture

    Taught in: 04_nmf
    """
    mixture = np.asarray(mixture, dtype=np.float32)
    hp = separate_hpss(mixture, rate, harmonic_seconds, percussive_hz, n_fft=n_fft, hop=hop)
    V = _mono_magnitude_of(hp["other"], n_fft, hop)  # one channel's STFT at a time (long songs)
    bands = {"bass": (0.0, bass_hz), "vocals": tuple(vocal_band), "other": (bass_hz, rate / 2)}
    W0, groups = band_templates(rate, n_fft, bands, n_components, seed)
    W, H, _ = nmf(V, W=W0, beta=beta, n_iter=n_iter, seed=seed, device=device)
    del V
    rest = _masked_in_blocks(hp["other"], W, H, groups, power, "other", n_fft, hop)
    return {"drums": hp["drums"], "bass": rest["bass"], "other": rest["other"], "vocals": rest["vocals"]}
