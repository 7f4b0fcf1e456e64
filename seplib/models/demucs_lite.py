r"""A small Demucs (Défossez et al., 2019): a waveform U-Net with GLUs, a BiLSTM and a linear path.

Each encoder level is a strided convolution (kernel 8, stride 4) with ReLU, then a 1x1
convolution with a gated linear unit :math:`\mathrm{GLU}(a, b) = a \odot \sigma(b)`.  A
two-layer BiLSTM models the long range at the bottleneck; the decoder mirrors the encoder
with transposed convolutions, adding each encoder level's output as a skip connection.
No masks: the network writes the stems' waveforms directly, phase included.  Beside the
network, a **linear path** (``linear_taps``): one short learned filter from the mixture to each
stem, added to its output, so noise-like sound (hi-hats, cymbals) can go to a stem as it is,
which the ReLUs and gates of a narrow network learn to pass on only slowly.

Normalising by the mixture's scale, padding, cropping and splitting the stems are those of
every waveform model (:class:`seplib.models.base.WaveformModel`, shared with ``conv1d``); this
file holds the network itself (:meth:`DemucsLite.stem_waveforms`), its sizes, training plan
and registration.

Taught in: 06_demucs_lite
"""
from __future__ import annotations

import math

from torch import nn

from ..stems import STEMS
from .base import WaveformModel, mixture_std, waveform_scale  # noqa: F401  (taught here, in 06)
from .registry import register_model

HPARAMS = {
    # linear_taps: a learned linear filter from the mixture to each stem, beside the network: it
    # passes on the hi-hats and cymbals above 6 kHz, which the network alone learns slowly
    # (notebook 06, section 4; `benchmarks/variants.py --model demucs-lite` compares it with
    # `linear_taps=0`)
    "quick": dict(depth=3, channels=8, growth=2, kernel_size=8, stride=4, lstm_layers=2, rescale=0.1,
                  linear_taps=33),
    "lab": dict(depth=4, channels=16, growth=2, kernel_size=8, stride=4, lstm_layers=2, rescale=0.1,
                linear_taps=33),
    "full": dict(depth=5, channels=32, growth=2, kernel_size=8, stride=4, lstm_layers=2, rescale=0.1,
                 linear_taps=33),
}
"""Hyper-parameters of each run size (``lab``: also the class's defaults). ``rescale`` only
changes the initial weights, so a checkpoint saved before it existed loads exactly as it was;
one saved before the linear path existed loads without it (:attr:`DemucsLite.saved_before`)."""

TRAINING = {
    # The SDR loss on the waveforms (kind="sdr"), no STFT term: the multi-resolution STFT term
    # makes each CPU step slower, is blind to phase and outweighs the waveform loss (notebook 06,
    # sections 2 and 3); the time L1 weighs each stem by its loudness, the SDR loss weighs them
    # alike. lab: 2100 steps, about the time of 300 U-Net steps with the linear path (a
    # waveform model learns slowly; benchmarks/README.md has the measured scores).
    "quick": dict(steps=16, seconds=0.25, loss={"stft_weight": 0.0, "kind": "sdr"}),
    "lab": dict(steps=2100, batch_size=2, seconds=2.0, loss={"stft_weight": 0.0, "kind": "sdr"}),
    "full": dict(loss={"stft_weight": 0.0, "kind": "sdr"}),
}
"""What changes in each size's training plan (:data:`seplib.sizes.TABLE`) for Demucs-lite,
the slowest model: its own steps, batch and chunk length, and its loss (the SDR of its
waveforms, no STFT term)."""


def rescale_convolutions(module, reference=0.1):
    r"""Demucs's initialisation: divide each convolution's weights and bias by
    :math:`\sqrt{\sigma / \sigma_{ref}}`, where :math:`\sigma` is the standard deviation of its
    initial weights.

    PyTorch initialises a convolution with weights of standard deviation about
    :math:`1/\sqrt{3 \cdot \text{fan-in}}`; this pulls every layer halfway (in log scale) towards
    ``reference``, so the first steps of training neither explode nor vanish through the
    depth. Défossez et al. (2019) report that it raised Demucs's SDR.

    Args:
        module (nn.Module): its ``Conv1d`` and ``ConvTranspose1d`` layers are changed in place
        reference (float): the standard deviation aimed at

    Taught in: 06_demucs_lite
    """
    for layer in module.modules():
        if isinstance(layer, (nn.Conv1d, nn.ConvTranspose1d)):
            scale = (layer.weight.detach().std() / reference) ** 0.5
            layer.weight.data /= scale
            if layer.bias is not None:
                layer.bias.data /= scale


class DemucsLite(WaveformModel):
    """Waveform encoder/decoder with GLUs, a BiLSTM bottleneck and skip connections.

    Args:
        stems (tuple): stem names it outputs
        audio_channels (int): 2 for stereo
        depth (int): encoder (and decoder) levels; each divides the time resolution by ``stride``
        channels (int): channels of the first level, multiplied by ``growth`` at each level
        growth (int): channel growth per level
        kernel_size (int): conv kernel (samples)
        stride (int): conv stride (samples)
        lstm_layers (int): BiLSTM layers at the bottleneck
        rescale (float): scale each convolution's initial weights towards this standard
            deviation (:func:`rescale_convolutions`); 0: PyTorch's own initialisation (how
            the models saved before this knob existed began; only the start differs, so they
            load as they were)
        linear_taps (int): length (odd, in samples) of the linear path: a learned filter from
            the mixture to each stem's output, added to the network's, starting at zero;
            0: none (as in the original Demucs)

    Taught in: 06_demucs_lite
    """

    name = "demucs-lite"
    saved_before = {"linear_taps": 0}
    """Hyper-parameters added since checkpoints were first saved, with the value a checkpoint
    that does not name them was trained with (:func:`seplib.models.load` fills them in)."""

    def __init__(self, stems=STEMS, audio_channels=2, depth=4, channels=16, growth=2, kernel_size=8,
                 stride=4, lstm_layers=2, rescale=0.1, linear_taps=33):
        super().__init__(stems, audio_channels)
        if linear_taps < 0 or (linear_taps and linear_taps % 2 == 0):
            raise ValueError(f"linear_taps must be 0 (no linear path) or odd (centred on each sample), "
                             f"got {linear_taps}")
        self.depth, self.kernel_size, self.stride = depth, kernel_size, stride
        self.hparams = dict(stems=self.stems, audio_channels=audio_channels, depth=depth, channels=channels,
                            growth=growth, kernel_size=kernel_size, stride=stride, lstm_layers=lstm_layers,
                            rescale=rescale, linear_taps=linear_taps)
        widths = [audio_channels] + [channels * growth ** i for i in range(depth)]
        self.encoder = nn.ModuleList(
            nn.Sequential(nn.Conv1d(widths[i], widths[i + 1], kernel_size, stride), nn.ReLU(),
                          nn.Conv1d(widths[i + 1], 2 * widths[i + 1], 1), nn.GLU(dim=1))
            for i in range(depth))
        bottleneck = widths[-1]
        self.lstm = nn.LSTM(bottleneck, bottleneck, num_layers=lstm_layers, batch_first=True, bidirectional=True)
        self.lstm_proj = nn.Linear(2 * bottleneck, bottleneck)
        self.decoder = nn.ModuleList()
        for i in reversed(range(depth)):  # from the bottleneck up; the last level outputs every stem
            c_out = widths[i] if i > 0 else len(self.stems) * audio_channels
            layers = [nn.Conv1d(widths[i + 1], 2 * widths[i + 1], 1), nn.GLU(dim=1),
                      nn.ConvTranspose1d(widths[i + 1], c_out, kernel_size, stride)]
            self.decoder.append(nn.Sequential(*layers, nn.ReLU()) if i > 0 else nn.Sequential(*layers))
        if rescale:
            rescale_convolutions(self, rescale)
        # the linear path: one FIR filter per (stem channel, mixture channel) pair, from zero
        self.linear = None
        if linear_taps:
            self.linear = nn.Conv1d(audio_channels, len(self.stems) * audio_channels, linear_taps,
                                    padding=linear_taps // 2, bias=False)
            nn.init.zeros_(self.linear.weight)

    @property
    def chunk_multiple(self):
        """Shifting the input by a multiple of this many samples shifts the output alike."""
        return self.stride ** self.depth

    def valid_length(self, length):
        """The smallest length >= ``length`` that every conv level divides exactly.

        Args:
            length (int): samples

        Returns:
            length (int): samples after padding

        Taught in: 06_demucs_lite
        """
        for _ in range(self.depth):
            length = max(math.ceil((length - self.kernel_size) / self.stride) + 1, 1)
        for _ in range(self.depth):
            length = (length - 1) * self.stride + self.kernel_size
        return length

    def padded_length(self, length):
        """:meth:`valid_length`: every conv level divides it exactly."""
        return self.valid_length(length)

    def stem_waveforms(self, x):
        """The encoder, BiLSTM and decoder, plus the linear path.

        Args:
            x (torch.Tensor): normalised mixture ``(batch, channels, padded samples)``

        Returns:
            x (torch.Tensor): ``(batch, stems * channels, padded samples)``

        Taught in: 06_demucs_lite
        """
        # encode: each level divides the time resolution by `stride`; keep outputs for skips
        mixture = x
        skips = []
        for block in self.encoder:
            x = block(x)                                          # (batch, channels * growth**i, time / stride**(i+1))
            skips.append(x)
        # BiLSTM over the bottleneck's time steps
        y = self.lstm(x.transpose(1, 2))[0]                       # (batch, time, 2 * bottleneck)
        x = self.lstm_proj(y).transpose(1, 2)                     # (batch, bottleneck, time)
        # decode: add the skip of the same level, then upsample
        for block in self.decoder:
            x = block(x + skips.pop())
        if self.linear is not None:                               # the linear path, same shape
            x = x + self.linear(mixture)
        return x


register_model("demucs-lite", DemucsLite, hparams=HPARAMS, chunking=(10.0, 2.0), loss="waveform+stft",
               training=TRAINING, taught_in="06_demucs_lite",
               description="1-D waveform U-Net with GLUs, a BiLSTM and a linear path, after Demucs",
               # it must learn the exact waveform, phase included: a wider first layer to overfit one example
               checks={"chunk_agreement_db": 60.0,
                       "overfit": {"hparams": dict(depth=2, channels=24, lstm_layers=1), "lr": 1e-2, "steps": 100,
                                   "factor": 3.0}})
