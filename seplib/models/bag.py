"""A bag of models: several trained networks of one model (trained alike from different seeds,
say), whose estimates are averaged (as Demucs ships its separators).

Networks trained from different random starts, or with different inputs, make different
mistakes, and on music unlike their training songs (a real recording, for networks that heard
only synthetic ones) each one's mistakes are large. Their average keeps what they agree on, so
a bag scores higher than its typical member, though it costs one pass per member.

For the spectrogram models the average is taken over the masks: the mean of soft masks that
sum to one still sums to one, and since the estimates are the masks times the mixture's STFT,
averaging the masks and averaging the estimates are the same. The members are networks of one
model on one STFT (the same stems, channels, ``n_fft`` and ``hop``); their other hyper-parameters
may differ. A bag is a model like any other: ``forward``, ``masks``, ``stems``, ``hparams`` (its
first member's), ``chunk_multiple``.

A stereo bag may also listen to the mirror image of the song (``mirror=True``): each member's
masks of the mixture with left and right swapped, swapped back, join the average. Swapping left
and right is a change no separation should care about, and the networks were trained with it
(``swap`` of :class:`seplib.data.chunks.RandomChunks`), yet each network hears the two sides a
little differently; the average of both hearings is exactly symmetric (swap the song's channels
and the stems' channels swap, nothing else changes). It costs each member a second pass of its
network, not of the STFT.

A bag is saved as one checkpoint (:func:`save_bag`): the first member's ``hparams`` and
``model_state``, as in any checkpoint, and every member's in ``bag``. :func:`seplib.models.load`
gives back the bag.

Taught in: 05_unet
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from . import checkpoint
from .base import MaskingModel
from .checkpoint import BAG_KEY, MIRROR_KEY

SHARED = ("stems", "audio_channels", "n_fft", "hop")
"""The hyper-parameters every member of a bag has in common (its stems and its STFT)."""


def _shared(hparams):
    return {k: hparams.get(k) for k in SHARED}


class Bag(MaskingModel):
    """Several trained networks of one spectrogram-masking model, their masks averaged.

    Args:
        members (list of MaskingModel): networks of one class on one STFT (see :data:`SHARED`)
        mirror (bool): also average each member's masks of the mirror image (left and right
            swapped, then swapped back); stereo members only

    Raises:
        ValueError: no members, members of different classes, members that differ in
            :data:`SHARED`, or a mirror asked of members that are not stereo

    Taught in: 05_unet
    """

    def __init__(self, members, mirror=False):
        members = list(members)
        if not members:
            raise ValueError("a bag needs at least one member")
        first = members[0]
        for i, m in enumerate(members[1:], 1):
            if type(m) is not type(first) or _shared(m.hparams) != _shared(first.hparams):
                raise ValueError(f"bag member {i} is a {type(m).__name__} with {_shared(m.hparams)}, not a "
                                 f"{type(first).__name__} with {_shared(first.hparams)}: a bag's members "
                                 "are one model on one STFT")
        if not isinstance(first, MaskingModel):
            raise ValueError(f"a bag averages masks: its members must be spectrogram-masking models, "
                             f"not {type(first).__name__}")
        if mirror and first.audio_channels != 2:
            raise ValueError(f"a mirrored bag swaps left and right: its members must be stereo, not "
                             f"{first.audio_channels}-channel")
        nn.Module.__init__(self)  # not MaskingModel's: a bag has no front end of its own, it uses its members'
        self.members = nn.ModuleList(members)
        self.stems, self.audio_channels, self.gate = first.stems, first.audio_channels, first.gate
        self.hparams = dict(first.hparams)
        self.name = getattr(first, "name", type(first).__name__)
        self.mirror = bool(mirror)

    @property
    def front(self):
        """The members' shared STFT settings (the first member's front end)."""
        return self.members[0].front

    @property
    def chunk_multiple(self):
        """The members' time grid in samples."""
        return getattr(self.members[0], "chunk_multiple", 1)

    def masks(self, mixture, X=None):
        """The members' masks, averaged: ``(batch, stems, channels, freqs, frames)``. A mirrored
        bag averages each member's masks of the mixture and of its mirror image (swapped back)."""
        X = self.spectrogram(mixture) if X is None else X
        batch = X.shape[0]
        if self.mirror:  # the mixture and its mirror image as one batch: one pass of each network
            X = torch.cat([X, X.flip(1)])
        if len({m.front.bins for m in self.members}) == 1:  # average the modelled bins, then extend once
            masks = self.front.extend(sum(m.band_masks(X) for m in self.members) / len(self.members))
        else:
            masks = sum(m.front.extend(m.band_masks(X)) for m in self.members) / len(self.members)
        if self.mirror:  # the mirror image's masks, left and right swapped back
            masks = (masks[:batch] + masks[batch:].flip(2)) / 2
        return masks


def save_bag(checkpoints, out_path, half=True, mirror=False, **extra):
    """Join trained checkpoints of one model into one bag checkpoint (an existing file is kept).

    Args:
        checkpoints (list of str or Path): ``best.pt`` files of one model on one STFT (:data:`SHARED`),
            e.g. trained from different seeds
        out_path (str or Path): the bag's ``.pt`` file
        half (bool): store float32 weights as float16 (loaded back as float32)
        mirror (bool): the bag also listens to the mirror image (see :class:`Bag`); stored in the
            checkpoint, so :func:`seplib.models.load` builds it so
        **extra: more entries to store (plain values), e.g. ``seeds=[0, 1, 2]``

    Returns:
        path (Path): ``out_path``

    Raises:
        FileExistsError: ``out_path`` exists
        ValueError: fewer than two checkpoints, checkpoints of different models or STFTs, or a
            mirror asked of networks that are not stereo

    Taught in: 05_unet
    """
    out_path = Path(out_path)
    if out_path.exists():
        raise FileExistsError(f"{out_path} exists: remove it first, or pick another name")
    if len(checkpoints) < 2:
        raise ValueError(f"a bag joins two or more checkpoints, got {len(checkpoints)}")
    read = [checkpoint.read(p) for p in checkpoints]
    first = read[0]
    for path, ckpt in zip(checkpoints[1:], read[1:]):
        if (ckpt["model_name"], _shared(ckpt["hparams"])) != (first["model_name"], _shared(first["hparams"])):
            raise ValueError(f"{path} holds a {ckpt['model_name']!r} with {_shared(ckpt['hparams'])}, not a "
                             f"{first['model_name']!r} with {_shared(first['hparams'])} as {checkpoints[0]}: "
                             "a bag's members are one model on one STFT")
    if mirror and first["hparams"].get("audio_channels") != 2:
        raise ValueError(f"{checkpoints[0]} holds a {first['hparams'].get('audio_channels')}-channel network: "
                         "a mirrored bag swaps left and right, so its members must be stereo")
    states = [checkpoint.half_state(c["model_state"]) if half else c["model_state"] for c in read]
    members = [{"hparams": c["hparams"], "model_state": state} for c, state in zip(read, states)]
    steps = [int(c.get("step", 0)) for c in read]
    own = {k: first[k] for k in (*checkpoint.KEYS, "stems") if k in first}  # the first member's, as one network
    return checkpoint.save(out_path, {**own, "model_state": states[0], "step": steps[0], BAG_KEY: members,
                                      MIRROR_KEY: bool(mirror), "steps": steps, **extra})
