"""benchmarks/peers.py's cheap parts: the CPU budget, the JSON it writes, and (when the optional
``openunmix`` package is installed) the Open-Unmix wrapper."""
import importlib.util
import json
import sys
from pathlib import Path

import pytest
import torch

PEERS = Path(__file__).resolve().parent.parent / "benchmarks" / "peers.py"


@pytest.fixture(scope="module")
def peers():
    spec = importlib.util.spec_from_file_location("benchmark_peers", PEERS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_budget_buys_steps_after_the_validations(peers):
    assert peers.steps_for_budget(100.0, 2.0, 5.0, 4) == (40, 10)  # (100 - 4 * 5) / 2 steps, 4 rows
    assert peers.steps_for_budget(1.0, 2.0, 5.0, 4) == (1, 1)      # never less than one step
    with pytest.raises(ValueError, match="CPU time"):
        peers.steps_for_budget(100.0, 0.0, 5.0, 4)


class _Scale(torch.nn.Module):
    """A one-parameter 'separator': every stem is the mixture times a weight."""

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(()))

    def forward(self, mixture):
        return mixture[:, None].repeat(1, 2, 1, 1) * self.weight


def _loss(model, mixture, stems):
    return (model(mixture) - stems).abs().mean()


def _fit_within(peers, deadline_step):
    """fit_within on a tiny data set with a clock that ticks once per training loss call."""
    items = [(torch.randn(1, 64), torch.randn(2, 1, 64)) for _ in range(4)]
    calls = {"train": 0}

    def clock():
        calls["train"] += 1
        return calls["train"]

    return peers.fit_within(_Scale(), items, items[:2], _loss, deadline_step, clock=clock, steps=6, batch_size=2,
                            valid_every=2, progress=False, device="cpu", seed=0)


def test_training_stops_when_the_budget_is_spent(peers):
    assert _fit_within(peers, deadline_step=4) == (3, True)     # steps 1-3 start before the deadline
    assert _fit_within(peers, deadline_step=100) == (6, False)  # the whole plan fits


def test_the_json_is_written_once_and_holds_no_nan(peers, tmp_path, capsys):
    out = {"size": "quick", "models": {"unet": {"sdr": {"vocals": 1.5}, "train_cpu_seconds": 3.0}}}
    path = tmp_path / "peers.json"
    peers.write_json(out, path)
    assert json.loads(path.read_text()) == out == json.loads(capsys.readouterr().out)
    with pytest.raises(FileExistsError, match="peers.json exists"):
        peers.write_json(out, path)
    with pytest.raises(ValueError):
        peers.write_json({"sdr": float("nan")}, tmp_path / "nan.json")


@pytest.mark.skipif(importlib.util.find_spec("openunmix") is None, reason="openunmix is not installed (optional)")
def test_open_unmix_masks_give_its_magnitudes_with_the_mixture_phase(peers):
    from seplib.spectral import istft, stft

    had_torchaudio = "torchaudio" in sys.modules
    torch.manual_seed(0)
    model = peers.OpenUnmixStems(("drums", "vocals"), 2, n_fft=256, hop=64, hidden_size=16, nb_layers=1,
                                 max_bin=100).eval()
    assert ("torchaudio" in sys.modules) == had_torchaudio  # the stand-in is gone after the import
    mixture = torch.randn(1, 2, 2048)
    with torch.no_grad():
        estimates = model(mixture)
        X = stft(mixture, 256, 64)
        magnitudes = model.targets[1](X.abs())             # Open-Unmix's own output for vocals
    assert estimates.shape == (1, 2, 2, 2048)
    with torch.no_grad():
        masks = model.masks(mixture, X)                   # (batch, stems, channels, freqs, frames)
    assert torch.allclose(masks[:, 1] * X.abs(), magnitudes, atol=1e-5 * float(magnitudes.max()))
    assert (masks >= 0).all()
    assert torch.allclose(estimates[:, 1], istft(masks[:, 1] * X, 2048, 256, 64), atol=1e-6)
