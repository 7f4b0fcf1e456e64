r"""Training losses: what "close to the true stems" means to a model.

Each loss is a plain function of tensors; :func:`loss_for` picks the default recipe of a
model family and returns ``loss(model, mixture, stems) -> scalar``, the one call
:func:`seplib.train.fit` makes.

Shapes: estimates and targets are ``(batch, stems, channels, samples)`` waveforms,
``(batch, stems, channels, freqs, frames)`` masks or magnitudes.  Per-stem ``weights`` (a
dict ``{stem: w}`` or a sequence in stem order) weight the stems' mean losses:

.. math:: \mathcal{L} = \frac{\sum_j w_j\, \mathcal{L}_j}{\sum_j w_j}

Taught in: 05_unet
"""
from __future__ import annotations

import torch

from .stems import STEMS
from .spectral import stft
from .data.chunks import spec_augment as hide

EPS = 1e-8


def weigh_stems(per_stem, weights=None, stems=STEMS):
    """Weighted mean over stems of per-stem losses.

    Args:
        per_stem (torch.Tensor): ``(stems,)`` one loss per stem
        weights (dict or sequence): ``{stem: w}`` (missing stems weigh 1) or one weight per stem;
            ``None``: all equal
        stems (tuple): stem names in the order of ``per_stem`` (to read a dict)

    Returns:
        loss (torch.Tensor): scalar

    Taught in: 05_unet
    """
    if weights is None:
        return per_stem.mean()
    w = _weight_vector(weights, stems, per_stem.shape[0], per_stem)
    return (w * per_stem).sum() / w.sum()


def _weight_vector(weights, stems, n, like):
    """Per-stem weights (dict, sequence or None) as a checked tensor ``(n,)`` like ``like``."""
    if weights is None:
        return torch.ones(n, dtype=like.dtype, device=like.device)
    if isinstance(weights, dict):
        unknown = set(weights) - set(stems)
        if unknown:
            raise ValueError(f"weights for unknown stem(s) {sorted(unknown)}; stems are {stems}")
        weights = [float(weights.get(s, 1.0)) for s in stems]
    w = torch.as_tensor(weights, dtype=like.dtype, device=like.device)
    if w.shape != (n,) or (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"need one non-negative weight per stem ({n}), got {weights}")
    return w


def _per_stem(error):
    """Mean of ``error (batch, stems, ...)`` over everything but the stem axis -> ``(stems,)``."""
    return error.transpose(0, 1).reshape(error.shape[1], -1).mean(dim=1)


def mask_loss(masks, targets, kind="l1", weights=None, stems=STEMS):
    """L1 or L2 distance between estimated and ideal masks.

    Args:
        masks (torch.Tensor): ``(batch, stems, channels, freqs, frames)`` estimated masks
        targets (torch.Tensor): same shape, ideal masks (e.g. ideal ratio masks)
        kind (str): ``"l1"`` (mean absolute) or ``"l2"`` (mean squared)
        weights: per-stem weights (see :func:`weigh_stems`)

    Returns:
        loss (torch.Tensor): scalar, 0 for a perfect estimate

    Taught in: 05_unet
    """
    if kind not in ("l1", "l2"):
        raise ValueError(f"kind must be 'l1' or 'l2', got {kind!r}")
    diff = masks.float() - targets.float()
    return weigh_stems(_per_stem(diff.abs() if kind == "l1" else diff ** 2), weights, stems)


def magnitude_loss(magnitudes, targets, kind="l1", weights=None, stems=STEMS):
    """L1 or L2 distance between masked mixture magnitudes and the stems' true magnitudes.

    Args:
        magnitudes (torch.Tensor): ``(batch, stems, channels, freqs, frames)``, e.g. mask * |X|
        targets (torch.Tensor): same shape, ``|STFT(stem)|``
        kind (str): ``"l1"`` or ``"l2"``
        weights: per-stem weights (see :func:`weigh_stems`)

    Returns:
        loss (torch.Tensor): scalar, 0 for a perfect estimate

    Taught in: 05_unet
    """
    return mask_loss(magnitudes, targets, kind, weights, stems)


def time_l1(estimates, targets, weights=None, stems=STEMS):
    """Mean absolute error of waveforms.

    Args:
        estimates (torch.Tensor): ``(batch, stems, channels, samples)``
        targets (torch.Tensor): same shape

    Returns:
        loss (torch.Tensor): scalar, 0 for a perfect estimate

    Taught in: 06_demucs_lite
    """
    return weigh_stems(_per_stem((estimates.float() - targets.float()).abs()), weights, stems)


def multi_resolution_stft_loss(estimates, targets, n_ffts=(512, 1024, 2048), weights=None,
                               stems=STEMS, floor=1e-3):
    r"""Multi-resolution STFT loss: spectral convergence + log-magnitude L1, at several frame lengths.

    .. math:: \mathcal{L} = \frac{1}{R}\sum_r \frac{\| |S| - |\hat S| \|_F}{\| |S| \|_F}
              + \operatorname{mean} \left| \log(|S| + \epsilon) - \log(|\hat S| + \epsilon) \right|

    Short frames judge timing, long frames judge pitch; together they catch what a plain
    waveform L1 misses.  Hop is a quarter of each frame.  The Frobenius norms run over the
    whole batch and all stems (a silent stem must not divide by zero), and the log floor
    :math:`\epsilon` sits 60 dB below the batch's loudest bin (``floor=1e-3``), so errors in
    near-silence do not outweigh the music.

    Args:
        estimates (torch.Tensor): ``(batch, stems, channels, samples)``
        targets (torch.Tensor): same shape
        n_ffts (tuple): frame lengths (samples)
        weights: per-stem weights
        floor (float): log floor relative to the loudest target bin

    Returns:
        loss (torch.Tensor): scalar, 0 for a perfect estimate

    Taught in: 06_demucs_lite
    """
    w = _weight_vector(weights, stems, estimates.shape[1], estimates.float())
    total = 0.0
    for n_fft in n_ffts:
        est = stft(estimates.float(), n_fft, n_fft // 4).abs()  # (batch, stems, channels, freqs, frames)
        ref = stft(targets.float(), n_fft, n_fft // 4).abs()
        error = (ref - est).pow(2).sum((0, 2, 3, 4))  # (stems,)
        energy = ref.pow(2).sum((0, 2, 3, 4))
        convergence = ((w * error).sum() / (w * energy).sum().clamp_min(EPS)).sqrt()
        eps = floor * ref.detach().amax().clamp_min(EPS)
        log_l1 = weigh_stems(_per_stem((torch.log(ref + eps) - torch.log(est + eps)).abs()), weights, stems)
        total = total + convergence + log_l1
    return total / len(n_ffts)


def si_sdr(estimates, targets, eps=EPS):
    r"""Scale-invariant SDR in dB, per item.

    .. math:: 10\log_{10}\frac{\|\alpha s\|^2}{\|\alpha s - \hat s\|^2},
              \quad \alpha = \langle \hat s, s\rangle / \|s\|^2

    Args:
        estimates (torch.Tensor): ``(..., samples)``
        targets (torch.Tensor): same shape

    Returns:
        sdr (torch.Tensor): ``(...)`` in dB

    Taught in: 06_demucs_lite
    """
    estimates, targets = estimates.float(), targets.float()
    alpha = (estimates * targets).sum(-1, keepdim=True) / (targets.pow(2).sum(-1, keepdim=True) + eps)
    target = alpha * targets
    noise = target - estimates
    return 10 * torch.log10((target.pow(2).sum(-1) + eps) / (noise.pow(2).sum(-1) + eps))


def sdr_loss(estimates, targets, weights=None, stems=STEMS, eps=EPS):
    r"""Negative SDR (dB) of each stem over the whole batch, averaged over stems.

    .. math:: \mathcal L_j = -10\log_{10}\frac{\sum \|s_j\|^2}{\sum \|s_j - \hat s_j\|^2}

    with both sums over the batch's items, channels and samples.  It is the evaluation's SDR
    (without BSSEval's allowed filter), so each stem counts alike however loud it is; pooling
    the batch keeps a chunk where a stem is silent (a vocal rest) from dominating.

    Args:
        estimates (torch.Tensor): ``(batch, stems, channels, samples)``
        targets (torch.Tensor): same shape
        weights: per-stem weights (see :func:`weigh_stems`)

    Returns:
        loss (torch.Tensor): scalar in dB (0 for silence as the estimate; lower is better)

    Taught in: 05_unet
    """
    estimates, targets = estimates.float(), targets.float()
    signal = targets.pow(2).transpose(0, 1).reshape(targets.shape[1], -1).sum(1)               # (stems,)
    error = (targets - estimates).pow(2).transpose(0, 1).reshape(targets.shape[1], -1).sum(1)  # (stems,)
    return weigh_stems(-10 * torch.log10((signal + eps) / (error + eps)), weights, stems)


LOSS_FAMILIES = ("masked-magnitude", "waveform", "waveform+stft")
"""The loss recipes :func:`loss_for` knows; each model declares its own (``loss=`` of
:func:`seplib.models.register_model`)."""

KINDS = ("l1", "l2", "sdr")
"""The losses :func:`loss_for` knows (``"l2"``: masked-magnitude models only)."""

DEFAULT_KIND = {"masked-magnitude": "sdr", "waveform": "l1", "waveform+stft": "l1"}
"""Each loss recipe's ``kind`` when none is given (a model's training plan may choose another:
Demucs-lite's does)."""


def _stem_spectrogram(model, stems):
    """The model's own STFT of each stem: ``(batch, stems, channels, samples)`` -> complex
    ``(batch, stems, channels, freqs, frames)``."""
    batch, n = stems.shape[:2]
    spec = model.spectrogram(stems.reshape(batch * n, *stems.shape[2:]))
    return spec.reshape(batch, n, *spec.shape[1:])


MODEL_LOSSES = {}
"""Model name -> the loss recipe it declares; :func:`seplib.models.register_model` fills it in
(so this module needs nothing from the models)."""


def loss_family(model_name):
    """The loss recipe a registered model declares (one of :data:`LOSS_FAMILIES`).

    Raises:
        ValueError: no such model

    Taught in: 05_unet
    """
    if model_name not in MODEL_LOSSES:
        raise ValueError(f"no default loss for model {model_name!r}; known: {', '.join(MODEL_LOSSES)}")
    return MODEL_LOSSES[model_name]


def loss_for(model_name, kind=None, stft_weight=1.0, spec_augment=None, **stem_weights):
    """The default training loss of a model, by the loss recipe it declares.

    * ``masked-magnitude`` (``unet``, ``dprnn``): :func:`sdr_loss` of the waveforms their masks
      give (``kind="sdr"``), or L1 / L2 between ``mask * |X|`` and the stems' magnitudes
      (``kind="l1"`` / ``"l2"``); at the ``lab`` size SDR beat L1 on every stem, for both models;
    * ``waveform+stft`` (``demucs-lite``): waveform L1 (``kind="l1"``) or :func:`sdr_loss`
      (``kind="sdr"``) + ``stft_weight`` * multi-resolution STFT loss;
    * ``waveform`` (``conv1d``): waveform L1 (``kind="l1"``) or :func:`sdr_loss` (``kind="sdr"``).

    Args:
        model_name (str): a registered model (:func:`loss_family` gives its recipe)
        kind (str): the masked-magnitude models' loss: ``"l1"``, ``"l2"`` (on magnitudes) or
            ``"sdr"`` (on the waveforms, through the inverse STFT with the mixture's phase); the
            waveform models': ``"l1"`` or ``"sdr"`` on their waveforms. ``None``: the family's
            default (:data:`DEFAULT_KIND`)
        stft_weight (float): weight of the multi-resolution STFT term (demucs-lite)
        spec_augment (bool or dict): TF models only: while training, the model sees its input
            spectrogram through :func:`seplib.data.chunks.spec_augment` (a dict: its arguments)
            and its masks are applied to the unmasked mixture
        **stem_weights: per-stem weights, e.g. ``vocals=2.0`` (others weigh 1)

    Returns:
        loss (callable): ``loss(model, mixture (batch, channels, samples),
        stems (batch, stems, channels, samples)) -> scalar tensor``

    Taught in: 05_unet
    """
    family = loss_family(model_name)
    kind = DEFAULT_KIND[family] if kind is None else kind
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if kind == "l2" and family != "masked-magnitude":
        raise ValueError(f"kind='l2' is a loss on magnitudes; {model_name!r} writes waveforms: use 'l1' or 'sdr'")
    weights = stem_weights or None
    if spec_augment and family != "masked-magnitude":
        raise ValueError(f"spec_augment needs a spectrogram model, not {model_name!r}")
    augment = {} if spec_augment is True else (spec_augment or None)

    def loss(model, mixture, stems):
        names = tuple(getattr(model, "stems", STEMS))
        if family == "masked-magnitude":
            X = model.spectrogram(mixture)  # (batch, channels, freqs, frames)
            if augment is not None and model.training:
                masks = model.masks(mixture, hide(X, **augment))
            else:
                masks = model.masks(mixture, X)  # (batch, stems, channels, freqs, frames)
            if kind == "sdr":  # masks -> waveforms (batch, stems, channels, samples)
                return sdr_loss(model.waveforms(X, masks, mixture), stems, weights, names)
            mix_mag = X.abs().unsqueeze(1)  # (batch, 1, channels, freqs, frames)
            target = _stem_spectrogram(model, stems).abs()
            return magnitude_loss(masks.float() * mix_mag, target, kind, weights, names)
        estimates = model(mixture)  # (batch, stems, channels, samples)
        value = (sdr_loss if kind == "sdr" else time_l1)(estimates, stems, weights, names)
        if family == "waveform+stft" and stft_weight:
            value = value + stft_weight * multi_resolution_stft_loss(estimates, stems, weights=weights,
                                                                     stems=names)
        return value

    loss.__name__ = f"{model_name}_loss"
    return loss
