r"""A spectrogram U-Net that predicts one soft mask per stem.

After "Singing voice separation with deep U-Net convolutional networks" (Jansson et al.,
2017) and Spleeter: the stereo magnitude spectrogram is treated as a two-channel image,
encoded by strided convolutions, decoded by transposed convolutions with skip connections
(the last one from the input itself, so the head works at full frequency resolution),
and turned into masks :math:`M_j` so that :math:`\hat S_j = M_j \odot X` keeps the
mixture's phase.  With ``gate="softmax"`` the masks sum to one over the stems, so the
estimates sum back to the mixture exactly.

The spectrogram front end (STFT, log-magnitude, ``input_mean`` / ``input_scale``, masks
held above ``max_bin``) lives in :class:`SpectrogramFrontEnd` and is shared with the DPRNN.

Taught in: 05_unet
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .. import STEMS
from ..spectral import istft, stft

GATES = ("sigmoid", "softmax")
"""How logits become masks: independent sigmoids, or a softmax across the stems."""


def pad_to_multiple(x, multiple, dims=(-2, -1)):
    """Zero-pad ``x`` at the end of each dimension in ``dims`` to a multiple of ``multiple``.

    Args:
        x (torch.Tensor): e.g. ``(batch, channels, freqs, frames)``
        multiple (int): the size each padded dimension is a multiple of

    Returns:
        x (torch.Tensor): padded copy (the original sizes are ``x.shape`` before the call)

    Taught in: 05_unet
    """
    pad = []
    for dim in sorted(dims, reverse=True):  # F.pad wants the last dimension first
        size = x.shape[dim]
        pad += [0, -size % multiple]
    return F.pad(x, pad)


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

    def apply(self, X, masks, length):
        """Masks ``(batch, stems, channels, freqs, frames)`` times mixture ``X``
        ``(batch, channels, freqs, frames)`` -> waveforms ``(batch, stems, channels, samples)``."""
        return istft(masks.float() * X[:, None], length, self.n_fft, self.hop)


def _kernel_padding(kernel_size):
    """Padding and output padding so a stride-2 conv halves and its transpose doubles a size."""
    k = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
    pad = tuple((kk - 1) // 2 for kk in k)
    out_pad = tuple(kk % 2 for kk in k)  # odd kernels need one more output sample
    return k, pad, out_pad


class UNet(nn.Module):
    """Spectrogram U-Net with one mask per stem (and per audio channel).

    Args:
        stems (tuple): stem names it outputs, e.g. ``seplib.STEMS`` or ``("vocals", "accompaniment")``
        audio_channels (int): 2 for stereo
        n_fft (int): STFT frame length (samples)
        hop (int): STFT hop (samples)
        max_bin (int): frequency bins modelled (the rest reuse the top bin's mask)
        depth (int): number of down/up sampling levels
        hidden_channels (int): channels of the first level, doubled at each level below
        kernel_size (int or tuple): conv kernel (freqs, frames)
        gate (str): ``"softmax"`` (masks sum to one) or ``"sigmoid"``
        dropout (float): dropout in the decoder's deepest three levels (Spleeter uses 0.5)

    Taught in: 05_unet
    """

    name = "unet"

    def __init__(self, stems=STEMS, audio_channels=2, n_fft=4096, hop=1024, max_bin=512, depth=5,
                 hidden_channels=12, kernel_size=5, gate="softmax", dropout=0.0):
        super().__init__()
        if gate not in GATES:
            raise ValueError(f"gate must be one of {GATES}, got {gate!r}")
        self.stems = tuple(stems)
        self.audio_channels, self.depth, self.gate = audio_channels, depth, gate
        self.hparams = dict(stems=self.stems, audio_channels=audio_channels, n_fft=n_fft, hop=hop,
                            max_bin=max_bin, depth=depth, hidden_channels=hidden_channels,
                            kernel_size=kernel_size, gate=gate, dropout=dropout)
        self.front = SpectrogramFrontEnd(n_fft, hop, max_bin)
        k, pad, out_pad = _kernel_padding(kernel_size)
        # channels at each level: input, then hidden_channels doubling down to the bottleneck
        widths = [audio_channels] + [hidden_channels * 2 ** i for i in range(depth)]
        self.encoder = nn.ModuleList(
            nn.Sequential(nn.Conv2d(widths[i], widths[i + 1], k, stride=2, padding=pad),
                          nn.BatchNorm2d(widths[i + 1]), nn.LeakyReLU(0.2))
            for i in range(depth))
        self.decoder = nn.ModuleList()
        for i in reversed(range(1, depth)):  # from the bottleneck up: upsample, then (in forward) add a skip
            c_in = widths[i + 1] * (1 if i == depth - 1 else 2)
            drop = dropout if i >= depth - 3 else 0.0
            self.decoder.append(nn.Sequential(
                nn.ConvTranspose2d(c_in, widths[i], k, stride=2, padding=pad, output_padding=out_pad),
                nn.BatchNorm2d(widths[i]), nn.ReLU(), nn.Dropout2d(drop)))
        # the last upsampling brings the features back to full resolution ...
        self.up = nn.Sequential(
            nn.ConvTranspose2d(widths[1] * (2 if depth > 1 else 1), widths[1], k, stride=2, padding=pad,
                               output_padding=out_pad),
            nn.BatchNorm2d(widths[1]), nn.ReLU())
        # ... where the head sees them beside the input itself (a skip at full resolution: a
        # mask has to follow single harmonics, which half the frequency resolution blurs) and
        # writes one logit map per stem and channel
        self.head = nn.Conv2d(widths[1] + audio_channels, len(self.stems) * audio_channels, 3, padding=1)

    @property
    def chunk_multiple(self):
        """Shifting the input by a multiple of this many samples shifts the output alike."""
        return self.front.hop * 2 ** self.depth

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
            X (torch.Tensor): its spectrogram if already computed

        Returns:
            masks (torch.Tensor): ``(batch, stems, channels, freqs, frames)`` in [0, 1]

        Taught in: 05_unet
        """
        X = self.spectrogram(mixture) if X is None else X
        x = self.front.features(X)                         # (batch, channels, bins, frames)
        batch, channels, bins, frames = x.shape
        # pad both axes to a multiple of 2**depth so every level halves exactly
        x = pad_to_multiple(x, 2 ** self.depth)
        # encode: each level halves freqs and frames
        skips = [x]                                        # the input is the last skip (full resolution)
        for block in self.encoder:
            x = block(x)                                   # (batch, hidden * 2**i, bins / 2**(i+1), frames / 2**(i+1))
            skips.append(x)
        skips.pop()                                        # the bottleneck is the decoder's input, not a skip
        # decode: upsample, then concatenate the encoder's map of the same size
        for block in self.decoder:
            x = torch.cat([block(x), skips.pop()], dim=1)
        # upsample to full resolution, add the input, then logits per stem and channel, cropped
        # back to the real bins and frames
        x = torch.cat([self.up(x), skips.pop()], dim=1)    # (batch, hidden + channels, bins, frames) padded
        logits = self.head(x)[..., :bins, :frames]         # (batch, stems * channels, bins, frames)
        logits = logits.reshape(batch, len(self.stems), channels, bins, frames)
        # gate, then hold the top bin's mask above max_bin
        return self.front.extend(gate_masks(logits, self.gate))

    def forward(self, mixture):
        """Separate: masks times the mixture's STFT, back to waveforms with the mixture's phase.

        Args:
            mixture (torch.Tensor): ``(batch, channels, samples)``

        Returns:
            estimates (torch.Tensor): ``(batch, stems, channels, samples)``

        Taught in: 05_unet
        """
        X = self.spectrogram(mixture)                      # (batch, channels, freqs, frames)
        return self.front.apply(X, self.masks(mixture, X), mixture.shape[-1])
