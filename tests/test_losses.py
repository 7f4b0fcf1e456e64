import math

import pytest
import torch
from torch import nn

from seplib import losses
from seplib.spectral import stft


def pair(shape=(2, 4, 2, 1024), seed=0):
    g = torch.Generator().manual_seed(seed)
    target = torch.randn(shape, generator=g)
    return target + 0.3 * torch.randn(shape, generator=g), target


WAVEFORM = [losses.time_l1, losses.multi_resolution_stft_loss]
SPECTRAL = [losses.mask_loss, losses.magnitude_loss]


@pytest.mark.parametrize("fn", WAVEFORM + SPECTRAL)
def test_zero_for_a_perfect_estimate_positive_otherwise(fn):
    est, target = pair() if fn in WAVEFORM else (t.abs().reshape(2, 4, 2, 32, 32) for t in pair())
    assert float(fn(target, target)) == pytest.approx(0.0, abs=1e-6)
    assert float(fn(est, target)) > 0.01


def test_stem_weights():
    est, target = pair()
    est[:, 3] += 1.0  # a bad vocal estimate
    plain = float(losses.time_l1(est, target))
    assert float(losses.time_l1(est, target, {"vocals": 3.0})) > plain
    assert float(losses.time_l1(est, target, [1, 1, 1, 3])) == pytest.approx(
        float(losses.time_l1(est, target, {"vocals": 3.0})))
    assert float(losses.time_l1(est, target, {"vocals": 0.0})) < plain
    with pytest.raises(ValueError, match="unknown stem"):
        losses.time_l1(est, target, {"voice": 2.0})
    with pytest.raises(ValueError, match="one non-negative weight"):
        losses.time_l1(est, target, [1, 1])


class Gains(nn.Module):
    """Waveform stand-in: each stem is a learnable gain times the mixture."""
    stems = ("drums", "bass", "other", "vocals")

    def __init__(self):
        super().__init__()
        self.gain = nn.Parameter(torch.zeros(4))

    def forward(self, mixture):
        return self.gain[None, :, None, None] * mixture[:, None]


class Masks(Gains):
    """TF stand-in: constant masks (one per stem) on a small STFT."""

    def spectrogram(self, x):
        return stft(x, 256, 64)

    def masks(self, mixture, X=None):
        spec = self.spectrogram(mixture) if X is None else X
        return torch.sigmoid(self.gain)[None, :, None, None, None].expand(-1, -1, *spec.shape[1:])


def test_loss_for_each_family_runs_and_has_gradients():
    mixture = torch.randn(2, 2, 2048)
    stems = torch.stack([0.1 * mixture, 0.2 * mixture, 0.3 * mixture, 0.4 * mixture], 1)
    for name, model in [("unet", Masks()), ("dprnn", Masks()), ("demucs-lite", Gains()), ("conv1d", Gains())]:
        kind = {"kind": "l1"} if name in ("unet", "dprnn") else {}  # the stand-in has masks, no inverse STFT
        value = losses.loss_for(name, **kind, vocals=2.0)(model, mixture, stems)
        assert value.ndim == 0 and value.item() > 0
        value.backward()
        assert model.gain.grad.abs().sum() > 0
    perfect = Gains()
    perfect.gain.data = torch.tensor([0.1, 0.2, 0.3, 0.4])
    assert losses.loss_for("conv1d")(perfect, mixture, stems).item() < 1e-6
    assert losses.loss_for("demucs-lite")(perfect, mixture, stems).item() < 1e-3
    masks = Masks()
    masks.gain.data = torch.logit(torch.tensor([0.1, 0.2, 0.3, 0.4]))
    assert losses.loss_for("unet", kind="l1")(masks, mixture, stems).item() < 1e-5
    with pytest.raises(ValueError, match="no default loss"):
        losses.loss_for("transformer")


class SeeingMasks(Masks):
    """TF stand-in whose masks depend on what it sees: |X| / (|X| + 1)."""

    def masks(self, mixture, X=None):
        X = self.spectrogram(mixture) if X is None else X
        seen = (X.abs() / (X.abs() + 1)).unsqueeze(1)
        return seen * torch.sigmoid(self.gain)[None, :, None, None, None]


def test_spec_augment_option_hides_input_while_training_only():
    mixture = torch.randn(2, 2, 2048)
    stems = torch.stack([0.1 * mixture, 0.2 * mixture, 0.3 * mixture, 0.4 * mixture], 1)
    model, plain = SeeingMasks(), losses.loss_for("dprnn", kind="l1")
    augmented = losses.loss_for("dprnn", kind="l1", spec_augment={"freq_masks": 4, "freq_width": 0.3})
    model.train()
    torch.manual_seed(0)
    assert augmented(model, mixture, stems).item() != pytest.approx(plain(model, mixture, stems).item())
    model.eval()
    assert augmented(model, mixture, stems).item() == plain(model, mixture, stems).item()
    with pytest.raises(ValueError, match="spectrogram model"):
        losses.loss_for("conv1d", spec_augment=True)


def test_multi_resolution_stft_loss_survives_a_silent_stem():
    est, target = pair()
    target[:, 3] = 0.0  # no vocals in this batch
    est[:, 3] = 1e-3 * torch.randn_like(est[:, 3])  # a faint residue
    value = losses.multi_resolution_stft_loss(est, target)
    assert torch.isfinite(value) and value.item() < 5
    assert losses.multi_resolution_stft_loss(target, target).item() == pytest.approx(0, abs=1e-6)


def test_sdr_loss_counts_each_stem_alike_whatever_its_level():
    est, target = pair()
    assert float(losses.sdr_loss(torch.zeros_like(target), target)) == pytest.approx(0.0, abs=1e-4)
    assert float(losses.sdr_loss(target, target)) < -60
    # the error is 0.3 of a unit-variance signal in every stem: 10 log10(1 / 0.09) dB
    assert float(losses.sdr_loss(est, target)) == pytest.approx(-10 * math.log10(1 / 0.09), abs=0.2)
    # a stem 100 times quieter, with an error 100 times smaller, weighs the same
    scale = torch.tensor([1.0, 1.0, 1.0, 0.01])[None, :, None, None]
    assert float(losses.sdr_loss(scale * est, scale * target)) == pytest.approx(
        float(losses.sdr_loss(est, target)), abs=1e-3)
    # pooled over the batch: an item where a stem is silent does not make it infinite
    target[0, 3], est[0, 3] = 0.0, 1e-3
    assert math.isfinite(float(losses.sdr_loss(est, target)))


def test_sdr_kind_scores_the_masked_waveforms():
    from seplib import models

    torch.manual_seed(0)
    model = models.build("unet", **models.hparams("unet", "quick")).eval()
    mixture = torch.randn(2, 2, 8192)
    stems = torch.stack([0.1 * mixture, 0.2 * mixture, 0.3 * mixture, 0.4 * mixture], 1)
    value = losses.loss_for("unet")(model, mixture, stems)  # the default kind: "sdr"
    assert value.item() == pytest.approx(losses.sdr_loss(model(mixture), stems).item(), abs=1e-4)
    value.backward()
    assert model.head.weight.grad.abs().sum() > 0 and model.up[0].weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="kind must be one of"):
        losses.loss_for("unet", kind="l3")


def test_each_model_declares_its_loss_recipe():
    assert losses.loss_family("unet") == losses.loss_family("dprnn") == "masked-magnitude"
    assert losses.loss_family("demucs-lite") == "waveform+stft" and losses.loss_family("conv1d") == "waveform"
    with pytest.raises(ValueError, match="no default loss for model 'demucs_lite'"):  # one spelling only
        losses.loss_family("demucs_lite")


def test_waveform_models_take_the_sdr_kind_and_default_to_l1():
    mixture = torch.randn(2, 2, 2048)
    stems = torch.stack([0.1 * mixture, 0.2 * mixture, 0.3 * mixture, 0.4 * mixture], 1)
    model = Gains()
    estimates = model(mixture)
    assert losses.loss_for("conv1d")(model, mixture, stems).item() == pytest.approx(
        losses.time_l1(estimates, stems).item())                         # no kind: the family's L1
    for name in ("conv1d", "demucs-lite"):
        value = losses.loss_for(name, kind="sdr", stft_weight=0.0)(model, mixture, stems)
        assert value.item() == pytest.approx(losses.sdr_loss(estimates, stems).item(), abs=1e-5)
        value.backward()
        assert model.gain.grad.abs().sum() > 0
        model.gain.grad = None
    with pytest.raises(ValueError, match="writes waveforms"):
        losses.loss_for("demucs-lite", kind="l2")
