r"""A spectrogram U-Net that predicts one soft mask per stem.

After "Singing voice separation with deep U-Net convolutional networks" (Jansson et al.,
2017) and Spleeter: the stereo magnitude spectrogram is treated as a two-channel image,
encoded by strided convolutions, decoded by transposed convolutions with skip connections
(the last one from the input itself, so the head works at full frequency resolution),
and turned into masks :math:`M_j` so that :math:`\hat S_j = M_j \odot X` keeps the
mixture's phase.  With ``gate="softmax"`` the masks sum to one over the stems, so the
estimates sum back to the mixture exactly.

The spectrogram front end (STFT, log-magnitude, ``input_mean`` / ``input_scale``, masks
held above ``max_bin``), the gate and ``forward`` are those of every masking model
(:class:`seplib.models.base.MaskingModel`, shared with the DPRNN); this file holds the U-Net
itself (:meth:`UNet.mask_logits`), its sizes, and its registration.

Taught in: 05_unet
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..stems import STEMS
from .base import MaskingModel
from .registry import register_model

HPARAMS = {
    "quick": dict(n_fft=1024, hop=512, max_bin=128, depth=3, hidden_channels=8, kernel_size=5,
                  gate="softmax", dropout=0.0),
    # lab: 4096/1024/512 bins costs what 2048/512/256 did per step (as many TF points) and
    # scored higher on every stem of the lab test songs, vocals 4.18 -> 4.83 dB (benchmarks/README.md)
    "lab": dict(n_fft=4096, hop=1024, max_bin=512, depth=5, hidden_channels=12, kernel_size=5,
                gate="softmax", dropout=0.0),
    "full": dict(n_fft=4096, hop=1024, max_bin=1024, depth=6, hidden_channels=16, kernel_size=5,
                 gate="softmax", dropout=0.2),
}
"""Hyper-parameters of each run size: ``quick`` (CI: trains in seconds on a CPU), ``lab``
(minutes on a laptop CPU; also the class's defaults) and ``full`` (a GPU). ``stems`` and
``audio_channels`` are left to the class's defaults."""

TRAINING = {
    # lab: five minutes of training on two threads (a laptop's two cores): 289 and 286 s for
    # seeds 0 and 1, whose vocals reach 62 % and 63 % of the oracle IRM's on the lab test songs.
    # 2.95 s chunks make 128 frames, a multiple of 2 ** depth, so nothing is padded (3 s make
    # 130 frames, padded to 160): a step 12 % cheaper, so 1300 fit. The vocals weigh three
    # times in the loss: with equal weights one of two seeds fell to 5.18 dB on vocals
    # (benchmarks/README.md, "variants.py").
    "lab": dict(steps=1300, seconds=2.95, loss={"vocals": 3.0}),
}
"""What changes in a size's training plan (:data:`seplib.sizes.TABLE`) for the U-Net: at ``lab``,
its steps, chunk length and the vocals' weight in the loss."""


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


def _kernel_padding(kernel_size):
    """Padding and output padding so a stride-2 conv halves and its transpose doubles a size."""
    k = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
    pad = tuple((kk - 1) // 2 for kk in k)
    out_pad = tuple(kk % 2 for kk in k)  # odd kernels need one more output sample
    return k, pad, out_pad


class UNet(MaskingModel):
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
        super().__init__(stems, audio_channels, n_fft, hop, max_bin, gate)   # self.front: STFT and masking
        self.depth = depth
        self.hparams = dict(stems=self.stems, audio_channels=audio_channels, n_fft=n_fft, hop=hop,
                            max_bin=max_bin, depth=depth, hidden_channels=hidden_channels,
                            kernel_size=kernel_size, gate=gate, dropout=dropout)
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

    def mask_logits(self, x):
        """The U-Net: standardised log-magnitudes in, one logit map per stem and channel out.

        Args:
            x (torch.Tensor): ``(batch, channels, bins, frames)`` from ``self.front.features``

        Returns:
            logits (torch.Tensor): ``(batch, stems, channels, bins, frames)``

        Taught in: 05_unet
        """
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
        return logits.reshape(batch, len(self.stems), channels, bins, frames)


register_model("unet", UNet, hparams=HPARAMS, chunking=(10.0, 1.0), loss="masked-magnitude", training=TRAINING,
               taught_in="05_unet", description="2-D U-Net on the magnitude spectrogram, one soft mask per stem",
               checks={"chunk_agreement_db": 50.0, "overfit": {"hparams": {}, "lr": 1e-2, "steps": 60, "factor": 8.0}})
