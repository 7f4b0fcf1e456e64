r"""What the learned models share, written once: each model file holds only what makes it different.

Two kinds of model, two small bases (after asteroid's encoder / masker / decoder split):

* :class:`MaskingModel` (``unet``, ``dprnn``): the mixture's STFT :math:`X`, its standardised
  log-magnitude below ``max_bin`` (:class:`SpectrogramFrontEnd`), **the model's own
  part** (:meth:`MaskingModel.mask_logits`: one logit map per stem and channel), a gate
  (:func:`gate_masks`), the top bin's mask held above ``max_bin``, and
  :math:`\hat S_j = M_j \odot X` back to waveforms with the mixture's phase
  (:mod:`seplib.masking`, the front end the classical methods and the oracles share).
* :class:`WaveformModel` (``demucs-lite``, ``conv1d``): the mixture divided by its scale
  (:func:`waveform_scale`), padded to a length the network divides, **the model's own
  part** (:meth:`WaveformModel.stem_waveforms`), cropped, split into stems, and multiplied by
  the scale again.

Every model maps ``mixture (batch, channels, samples)`` to ``estimates (batch, stems,
channels, samples)``, has ``stems``, ``audio_channels``, ``hparams`` (everything that
rebuilds it) and ``chunk_multiple`` (its time grid in samples).

Taught in: 05_unet
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..masking import stem_masks_to_waveforms
from ..spectral import stft

GATES = ("sigmoid", "softmax")
"""How logits become masks: independent sigmoids, or a softmax across the stems."""

EPS = 1e-5


# ------------------------------------------------------------------ spectrogram masking
def gate_masks(logits, gate):
    """Turn mask logits into masks: a sigmoid per stem, or a softmax across the stems.

    Args:
        logits (torch.Tensor): ``(batch, stems, channels, freqs, frames)``
        gate (str): ``"sigmoid"`` or ``"softmax"``

    Returns:
        masks (torch.Tensor): same shape, in [0, 1]; with ``"softmax"`` they sum to one over
        stems

    Taught in: 05_unet
    """
    if gate == "softmax":
        return torch.softmax(logits.float(), dim=1)
    if gate == "sigmoid":
        return torch.sigmoid(logits.float())
    raise ValueError(f"gate must be one of {GATES}, got {gate!r}")


class SpectrogramFrontEnd(nn.Module):
    """STFT in, masked STFT out: the parts every spectrogram-masking model shares.

    Holds the learnable input statistics ``input_mean`` and ``input_scale`` (one per modelled
    frequency bin, as in Open-Unmix), applied to the log-magnitude
    :math:`\\log(1 + |X|)` of the bins below ``max_bin``.

    Taught in: 05_unet
    """

    def __init__(self, n_fft, hop, max_bin):
        super().__init__()
        freqs = n_fft // 2 + 1
        if not 0 < max_bin <= freqs:
            raise ValueError(f"max_bin must be in 1..{freqs} for n_fft={n_fft}, got {max_bin}")
        self.n_fft, self.hop, self.freqs, self.bins = n_fft, hop, freqs, max_bin
        self.input_mean = nn.Parameter(torch.zeros(max_bin))
        self.input_scale = nn.Parameter(torch.ones(max_bin))

    def spectrogram(self, mixture):
        """``(batch, channels, samples)`` -> complex ``(batch, channels, freqs, frames)``."""
        return stft(mixture, self.n_fft, self.hop)

    def features(self, X):
        """Complex ``(batch, channels, freqs, frames)`` -> standardised log-magnitude
        ``(batch, channels, bins, frames)`` of the bins below ``max_bin``."""
        mag = X[..., :self.bins, :].abs()
        return (torch.log1p(mag) - self.input_mean[:, None]) * self.input_scale[:, None]

    def extend(self, masks):
        """Masks ``(..., bins, frames)`` -> ``(..., freqs, frames)``: bins above ``max_bin``
        take the mask of the highest modelled bin (so softmax masks still sum to one)."""
        missing = self.freqs - self.bins
        if missing == 0:
            return masks
        top = masks[..., -1:, :].expand(*masks.shape[:-2], missing, masks.shape[-1])
        return torch.cat([masks, top], dim=-2)

    def apply(self, X, masks, length, mixture=None):
        """Masks ``(batch, stems, channels, freqs, frames)`` times mixture ``X``
        ``(batch, channels, freqs, frames)`` -> waveforms ``(batch, stems, channels, samples)``.

        :func:`seplib.masking.stem_masks_to_waveforms` at this front end's ``n_fft`` and ``hop``
        (the front end every masking method shares). Masks that sum to one over the stems
        (softmax) may pass ``mixture`` ``(batch, channels, samples)``, the waveform of ``X``: the
        last stem is then the mixture minus the others, one inverse STFT fewer."""
        return stem_masks_to_waveforms(X, masks, length, mixture, self.n_fft, self.hop)


class MaskingModel(nn.Module):
    """Base of the spectrogram-masking models: everything but :meth:`mask_logits`.

    A subclass calls ``super().__init__(stems, audio_channels, n_fft, hop, max_bin, gate)``
    first (it makes ``self.front``), then builds its layers and writes :meth:`mask_logits`.

    Args:
        stems (tuple): stem names it outputs, e.g. ``seplib.STEMS`` or ``("vocals", "accompaniment")``
        audio_channels (int): 2 for stereo
        n_fft (int): STFT frame length (samples)
        hop (int): STFT hop (samples)
        max_bin (int): frequency bins modelled (the rest reuse the top bin's mask)
        gate (str): ``"softmax"`` (masks sum to one) or ``"sigmoid"``

    Taught in: 05_unet
    """

    def __init__(self, stems, audio_channels, n_fft, hop, max_bin, gate):
        super().__init__()
        if gate not in GATES:
            raise ValueError(f"gate must be one of {GATES}, got {gate!r}")
        self.stems = tuple(stems)
        self.audio_channels, self.gate = audio_channels, gate
        self.front = SpectrogramFrontEnd(n_fft, hop, max_bin)

    def mask_logits(self, x):
        """The model's own part: features ``(batch, channels, bins, frames)`` -> mask logits
        ``(batch, stems, channels, bins, frames)``."""
        raise NotImplementedError

    def spectrogram(self, mixture):
        """The mixture's STFT.

        Args:
            mixture (torch.Tensor): ``(batch, channels, samples)``

        Returns:
            X (torch.Tensor): complex ``(batch, channels, freqs, frames)``

        Taught in: 05_unet
        """
        return self.front.spectrogram(mixture)

    def masks(self, mixture, X=None):
        """One soft mask per stem.

        Args:
            mixture (torch.Tensor): ``(batch, channels, samples)``
            X (torch.Tensor): its spectrogram if already computed (or a changed one, e.g.
                SpecAugment's, for the model to see instead)

        Returns:
            masks (torch.Tensor): ``(batch, stems, channels, freqs, frames)`` in [0, 1]

        Taught in: 05_unet
        """
        X = self.spectrogram(mixture) if X is None else X
        return self.front.extend(self.band_masks(X))       # hold the top bin's mask above max_bin

    def band_masks(self, X):
        """The masks of the modelled bins only (below ``max_bin``), from the mixture's STFT ``X``:
        ``(batch, stems, channels, bins, frames)``; :meth:`masks` extends them to every bin."""
        x = self.front.features(X)                         # (batch, channels, bins, frames)
        logits = self.mask_logits(x)                       # (batch, stems, channels, bins, frames)
        return gate_masks(logits, self.gate)

    def forward(self, mixture):
        """Separate: masks times the mixture's STFT, back to waveforms with the mixture's phase
        (with softmax masks, the last stem is the mixture minus the others: one inverse STFT fewer).

        Args:
            mixture (torch.Tensor): ``(batch, channels, samples)``

        Returns:
            estimates (torch.Tensor): ``(batch, stems, channels, samples)``

        Taught in: 05_unet
        """
        X = self.spectrogram(mixture)                      # (batch, channels, freqs, frames)
        return self.waveforms(X, self.masks(mixture, X), mixture)

    def waveforms(self, X, masks, mixture):
        """Masks times the mixture's STFT, back to waveforms (what ``forward`` and the SDR loss use).

        Args:
            X (torch.Tensor): the mixture's STFT, complex ``(batch, channels, freqs, frames)``
            masks (torch.Tensor): ``(batch, stems, channels, freqs, frames)``
            mixture (torch.Tensor): its waveform ``(batch, channels, samples)``

        Returns:
            estimates (torch.Tensor): ``(batch, stems, channels, samples)``; with softmax masks,
            which sum to one, the last stem is the mixture minus the others (one inverse STFT fewer)

        Taught in: 05_unet
        """
        whole = mixture if self.gate == "softmax" else None
        return self.front.apply(X, masks, mixture.shape[-1], whole)


# ------------------------------------------------------------------ waveform models
def mixture_std(mixture):
    """The scale Demucs normalises by: the standard deviation of the mono mixture.

    Args:
        mixture (torch.Tensor): ``(batch, channels, samples)``

    Returns:
        std (torch.Tensor): ``(batch, 1, 1)``

    Taught in: 06_demucs_lite
    """
    return mixture.mean(dim=1, keepdim=True).std(dim=-1, keepdim=True, correction=0)


def waveform_scale(mixture, std=None):
    """The divisor for input normalisation: ``std`` (default: :func:`mixture_std`) plus epsilon.

    Args:
        mixture (torch.Tensor): ``(batch, channels, samples)``
        std (float or torch.Tensor): a given scale, e.g. the whole track's (default: the mixture's)

    Returns:
        scale (torch.Tensor): ``(batch, 1, 1)``, never zero

    Taught in: 06_demucs_lite
    """
    if std is None:
        return mixture_std(mixture) + EPS
    return torch.as_tensor(std, dtype=mixture.dtype, device=mixture.device).reshape(-1, 1, 1) + EPS


class WaveformModel(nn.Module):
    """Base of the waveform models: everything but :meth:`padded_length` and :meth:`stem_waveforms`.

    They normalise by the mixture's scale; a whole track separated in chunks passes its own
    scale (``std=``) to every chunk, so a quiet intro is not blown up to the chorus's loudness.

    Args:
        stems (tuple): stem names it outputs
        audio_channels (int): 2 for stereo

    Taught in: 06_demucs_lite
    """

    takes_track_scale = True
    """``forward`` takes ``std=``: :func:`seplib.models.separate_with_model` passes the track's."""

    def __init__(self, stems, audio_channels):
        super().__init__()
        self.stems = tuple(stems)
        self.audio_channels = audio_channels

    def padded_length(self, length):
        """The length (samples) the network needs, ``>= length``."""
        raise NotImplementedError

    def stem_waveforms(self, x):
        """The model's own part: normalised, padded mixture ``(batch, channels, padded samples)``
        -> ``(batch, stems * channels, padded samples)``."""
        raise NotImplementedError

    def forward(self, mixture, std=None):
        """Separate in the waveform domain.

        Args:
            mixture (torch.Tensor): ``(batch, channels, samples)``
            std (float or torch.Tensor): the scale to normalise by (default: this mixture's
                :func:`mixture_std`; pass the whole track's when separating it in chunks)

        Returns:
            estimates (torch.Tensor): ``(batch, stems, channels, samples)``

        Taught in: 06_demucs_lite
        """
        batch, channels, length = mixture.shape
        # normalise by the mixture's scale (undone at the end), pad to a length the network divides
        scale = waveform_scale(mixture, std)
        x = F.pad(mixture / scale, (0, self.padded_length(length) - length))
        # the model's own part
        x = self.stem_waveforms(x)                                # (batch, stems * channels, padded samples)
        # crop the padding, split the stems, undo the normalisation
        x = x[..., :length].reshape(batch, len(self.stems), channels, length)
        return x * scale[:, None]
