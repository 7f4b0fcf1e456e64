"""The learned models: shapes, checkpoints, chunked separation, and that they can learn."""
import inspect

import numpy as np
import pytest
import torch

import seplib
from seplib import STEMS, methods, models, plugins

plugins.load()  # models of $SEPLIB_PLUGINS are held to the same tests
NAMES = tuple(models.MODELS)
MASK_MODELS = tuple(n for n in NAMES if models.spec(n).loss == "masked-magnitude")
RATE = 44100


def quick(name, seed=0, **overrides):
    torch.manual_seed(seed)
    return models.build(name, **{**models.hparams(name, "quick"), **overrides})


def song(seconds=0.5, seed=0):
    """Four stems with distinct spectra, stereo: mixture (1, 2, samples), stems (1, 4, 2, samples)."""
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(int(seconds * RATE)) / RATE
    drums = torch.randn(t.numel(), generator=g) * torch.exp(-30 * (t % 0.25))
    bass = torch.sin(2 * np.pi * 82.4 * t) + 0.3 * torch.sin(2 * np.pi * 164.8 * t)
    other = 0.5 * torch.sign(torch.sin(2 * np.pi * 523.3 * t))
    vocals = torch.sin(2 * np.pi * (1200 * t + 3 * torch.sin(2 * np.pi * 5 * t)))
    stems = 0.1 * torch.stack([drums, bass, other, vocals])          # (stems, samples)
    stems = torch.stack([stems, 0.7 * stems], dim=1)                 # (stems, channels, samples)
    return stems.sum(0)[None], stems[None]


def snr_db(reference, estimate):
    return 10 * np.log10(np.sum(reference ** 2) / max(np.sum((reference - estimate) ** 2), 1e-30))


# --- shapes ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("length", [1, 1001, 22051])
def test_forward_keeps_length_and_gives_one_waveform_per_stem(name, length):
    model = quick(name).eval()
    mixture = torch.randn(2, 2, length)
    with torch.no_grad():
        estimates = model(mixture)
    assert model.stems == STEMS
    assert estimates.shape == (2, len(STEMS), 2, length)
    assert estimates.dtype == torch.float32 and torch.isfinite(estimates).all()


@pytest.mark.parametrize("name", MASK_MODELS)
@pytest.mark.parametrize("gate", ["softmax", "sigmoid"])
def test_mask_models_expose_spectrogram_and_masks(name, gate):
    model = quick(name, gate=gate).eval()
    mixture = torch.randn(2, 2, 5001)
    with torch.no_grad():
        X = model.spectrogram(mixture)
        masks = model.masks(mixture)
        estimates = model(mixture)
    n_fft, hop = model.hparams["n_fft"], model.hparams["hop"]
    assert X.is_complex() and X.shape == (2, 2, n_fft // 2 + 1, 1 + 5001 // hop)
    assert masks.shape == (2, len(STEMS), *X.shape[1:])
    assert masks.min() >= 0 and masks.max() <= 1
    # forward is the masked mixture spectrogram, back in the time domain
    expected = seplib.spectral.istft(masks * X[:, None], 5001, n_fft, hop)
    torch.testing.assert_close(estimates, expected, atol=1e-5, rtol=1e-4)
    if gate == "softmax":  # masks share every bin among the stems: estimates sum to the mixture
        torch.testing.assert_close(masks.sum(1), torch.ones_like(masks[:, 0]))
        torch.testing.assert_close(estimates.sum(1), mixture, atol=1e-5, rtol=1e-4)


def test_unet_can_separate_vocals_from_accompaniment():
    model = quick("unet", stems=("vocals", "accompaniment"))
    mixture = np.random.default_rng(0).standard_normal((2, 30001)).astype(np.float32) * 0.1
    estimates = models.separate_with_model("unet", mixture, RATE, model=model)
    assert list(estimates) == ["vocals", "accompaniment"]
    np.testing.assert_allclose(estimates["vocals"] + estimates["accompaniment"], mixture, atol=1e-5)


def test_unet_pads_any_frame_count():
    model = quick("unet", depth=4, max_bin=100).eval()  # bins and frames padded to multiples of 16
    hop = model.hparams["hop"]
    for length in (hop * 5 + 3, hop * 17, hop * 32 - 1):
        with torch.no_grad():
            masks = model.masks(torch.randn(1, 2, length))
        assert masks.shape[-2:] == (model.hparams["n_fft"] // 2 + 1, 1 + length // hop)


# --- hyper-parameters and build ---------------------------------------------------------------

def test_every_model_is_a_registered_method():
    assert set(NAMES) <= set(methods.names("learned"))
    for name in NAMES:
        record = methods.get(name)
        assert record.family == "learned" and record.takes_checkpoint and not record.needs_references
        assert callable(record.fn) and record.taught_in == models.spec(name).taught_in


def test_every_size_builds_and_quick_models_are_tiny():
    for name in NAMES:
        counts = {size: models.parameter_count(models.build(name, **models.hparams(name, size)))
                  for size in ("quick", "lab", "full")}
        assert counts["quick"] < 100_000, (name, counts)
        assert counts["quick"] < counts["lab"] < counts["full"], (name, counts)


def test_class_defaults_are_the_lab_size():
    for name, spec in models.MODELS.items():
        defaults = {k: p.default for k, p in inspect.signature(spec.cls).parameters.items()
                    if k not in ("stems", "audio_channels")}
        assert defaults == models.hparams(name, "lab"), name


def test_build_rejects_unknown_names_and_hparams():
    with pytest.raises(ValueError, match="unknown model"):
        models.build("transformer")
    with pytest.raises(ValueError, match="depht"):
        models.build("unet", depht=3)
    with pytest.raises(ValueError, match="gate"):
        models.build("unet", gate="relu")


@pytest.mark.parametrize("name", NAMES)
def test_hparams_rebuild_the_same_architecture(name):
    model = quick(name)
    assert model.name == name
    clone = models.build(name, **model.hparams)
    assert clone.hparams == model.hparams
    clone.load_state_dict(model.state_dict())  # same parameter names and shapes


# --- checkpoints -----------------------------------------------------------------------------

def save_checkpoint(model, path):
    torch.save({"model_name": model.name, "hparams": model.hparams, "model_state": model.state_dict(),
                "optimizer_state": {}, "epoch": 3}, path)
    return path


@pytest.mark.parametrize("name", NAMES)
def test_checkpoint_round_trip(name, tmp_path):
    model = quick(name)
    with torch.no_grad():  # move batch-norm statistics off their defaults: buffers must travel too
        model.train()(torch.randn(2, 2, 8000))
    model.eval()
    path = save_checkpoint(model, tmp_path / f"{name}.pt")
    loaded = models.load(path, device="cpu", name=name)
    assert not loaded.training and loaded.hparams == model.hparams
    mixture = torch.randn(1, 2, 9001)
    with torch.no_grad():
        torch.testing.assert_close(loaded(mixture), model(mixture))


def test_load_gives_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        models.load(tmp_path / "missing.pt")
    text = tmp_path / "notes.pt"
    text.write_text("not a checkpoint")
    with pytest.raises(ValueError, match="notes.pt is not a seplib checkpoint"):
        models.load(text)
    weights_only = tmp_path / "state.pt"
    torch.save(quick("conv1d").state_dict(), weights_only)
    with pytest.raises(ValueError, match="state.pt is not a seplib checkpoint.*model_name"):
        models.load(weights_only)
    dprnn = save_checkpoint(quick("dprnn"), tmp_path / "dprnn.pt")
    with pytest.raises(ValueError, match="holds a 'dprnn' model, not 'unet'"):
        models.load(dprnn, name="unet")
    with pytest.raises(ValueError, match="dprnn.pt holds a 'dprnn' model"):
        seplib.separate("unet", np.zeros((2, 4410), np.float32), RATE, checkpoint=dprnn)


def test_separate_loads_the_default_checkpoint_or_says_how_to_train(tmp_path, monkeypatch):
    monkeypatch.setenv("SEPLIB_MODELS", str(tmp_path))  # a base folder: one subfolder per data set
    monkeypatch.delenv("MUSDB_PATH", raising=False)
    monkeypatch.setenv("SEPLIB_SIZE", "quick")
    mixture = np.random.default_rng(0).standard_normal((2, 20000)).astype(np.float32) * 0.1
    with pytest.warns(UserWarning, match="using the shipped unet"):  # none trained: the package's own
        seplib.separate("unet", mixture, RATE)
    monkeypatch.delitem(models.shipped.SHIPPED, "dprnn", raising=False)
    with pytest.raises(FileNotFoundError, match=r"seplib train dprnn .*or run notebooks/07_dprnn\.ipynb"):  # none trained, none shipped: how to train
        seplib.separate("dprnn", mixture, RATE)
    model = quick("unet").eval()
    path = models.default_checkpoint("unet")
    assert path == tmp_path / "synth-quick" / "unet" / "best.pt"
    path.parent.mkdir(parents=True)
    save_checkpoint(model, path)
    from_file = seplib.separate("unet", mixture, RATE, device="cpu")
    in_memory = seplib.separate("unet", mixture, RATE, model=model)
    for stem in STEMS:
        np.testing.assert_allclose(from_file[stem], in_memory[stem], atol=1e-6)


def test_separate_checks_rate_and_channels():
    model = quick("conv1d")
    with pytest.warns(UserWarning, match="conv1d works at 44100 Hz: resampling the 16000 Hz"):
        est = seplib.separate("conv1d", np.zeros((2, 16000), np.float32), 16000, model=model)
    assert all(x.shape == (2, 16000) for x in est.values())
    mono = seplib.separate("conv1d", np.zeros((1, 16000), np.float32), RATE, model=model)  # channel by channel
    assert all(x.shape == (1, 16000) for x in mono.values())


# --- chunked separation ----------------------------------------------------------------------

# SNR (dB) between two chunkings, as each model declares it (``checks["chunk_agreement_db"]``):
# the U-Net and the convolutional models only see a few hundred ms of context, so enough overlap
# hides the chunk edges; an LSTM over the whole chunk depends (a little) on where chunks start.
@pytest.mark.parametrize("name", NAMES)
def test_separation_hardly_depends_on_chunk_size(name):
    model = quick(name)
    rng = np.random.default_rng(1)
    t = np.arange(4 * RATE) / RATE
    mixture = (0.1 * rng.standard_normal((2, t.size)) + 0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    short = models.separate_with_model(name, mixture, RATE, model=model, chunk_seconds=1.5, overlap_seconds=0.5)
    long = models.separate_with_model(name, mixture, RATE, model=model, chunk_seconds=2.5, overlap_seconds=0.5)
    assert model.training  # the caller's model is left as it was
    for stem in STEMS:
        assert short[stem].shape == mixture.shape
        assert snr_db(long[stem], short[stem]) > models.spec(name).checks["chunk_agreement_db"], stem


@pytest.mark.parametrize("name", MASK_MODELS)
def test_mask_model_stems_sum_to_the_mixture(name):
    mixture = np.random.default_rng(2).standard_normal((2, 3 * RATE)).astype(np.float32) * 0.1
    estimates = seplib.separate(name, mixture, RATE, model=quick(name), chunk_seconds=1.0, overlap_seconds=0.25)
    np.testing.assert_allclose(sum(estimates.values()), mixture, atol=1e-5)


# --- learning --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_every_parameter_gets_a_gradient(name):
    model = quick(name)
    mixture, stems = song(0.1)
    (model(mixture) - stems).abs().mean().backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), pname
        assert p.grad.abs().sum() > 0, pname


# Each model declares how it must overfit (``checks["overfit"]``: hparam overrides, Adam's
# learning rate, steps, and the factor the loss must fall by).
@pytest.mark.parametrize("name", NAMES)
def test_tiny_model_overfits_one_example(name):
    check = models.spec(name).checks["overfit"]
    lr, steps, factor = check["lr"], check["steps"], check["factor"]
    model = quick(name, **check["hparams"])
    mixture, stems = song(0.25)
    optimizer = torch.optim.Adam(model.parameters(), lr)
    losses = []
    for _ in range(steps):
        loss = (model(mixture) - stems).abs().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] / factor, (losses[0], losses[-1])


# --- one front end, one registry -------------------------------------------------------------

def test_models_share_one_front_end_and_one_forward():
    from seplib.models.base import MaskingModel, WaveformModel

    for name in NAMES:
        cls = models.spec(name).cls
        base = MaskingModel if models.spec(name).loss == "masked-magnitude" else WaveformModel
        assert issubclass(cls, base), name
        assert "forward" not in vars(cls) and "masks" not in vars(cls), name  # written once, in the base


def test_every_model_declares_its_sizes_chunking_and_loss():
    from seplib import config, losses, train

    for name in NAMES:
        spec = models.spec(name)
        assert set(spec.hparams) == set(config.SIZES)
        assert 0 <= 2 * spec.chunking[1] < spec.chunking[0]
        assert losses.loss_family(name) == spec.loss in losses.LOSS_FAMILIES
        for size in config.SIZES:
            assert {"steps", "batch_size", "seconds", "valid_every", "per_track", "loss"} <= set(train.plan(name, size))


TOY_MODULE = '''
"""A toy model added the documented way: one file, one register_model call."""
from torch import nn

from seplib import STEMS
from seplib.models import register_model
from seplib.models.base import WaveformModel


class Toy(WaveformModel):
    def __init__(self, stems=STEMS, audio_channels=2, channels=4):
        super().__init__(stems, audio_channels)
        self.hparams = dict(stems=self.stems, audio_channels=audio_channels, channels=channels)
        self.net = nn.Sequential(nn.Conv1d(audio_channels, channels, 5, padding=2), nn.Tanh(),
                                 nn.Conv1d(channels, len(self.stems) * audio_channels, 5, padding=2))

    def padded_length(self, length):
        return length

    def stem_waveforms(self, x):
        return self.net(x)


register_model("toy-net", Toy, hparams={size: dict(channels=4) for size in ("quick", "lab", "full")},
               chunking=(2.0, 0.5), loss="waveform", description="a toy for the tests",
               training={"quick": dict(steps=3, seconds=0.25, valid_every=3, per_track=1)})
'''


def test_a_model_added_in_its_own_file_trains_through_the_command_line(tmp_path, tiny_root, monkeypatch):
    import importlib
    import sys

    from seplib import cli

    (tmp_path / "my_toy_model.py").write_text(TOY_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("SEPLIB_MODELS", str(tmp_path / "models"))
    try:
        importlib.import_module("my_toy_model")
        record = methods.get("toy-net")
        assert record.family == "learned" and record.takes_checkpoint and "toy-net" in methods.names("learned")
        cli.main(["train", "toy-net", "--size", "quick", "--root", str(tiny_root)])
        best = tmp_path / "models" / "synth-quick" / "toy-net" / "best.pt"  # where default_checkpoint looks
        assert best.is_file() and (best.parent / "last.pt").is_file()
        assert models.load(best, device="cpu").hparams["channels"] == 4
        mixture = np.random.default_rng(0).standard_normal((2, 30000)).astype(np.float32) * 0.1
        estimates = seplib.separate("toy-net", mixture, RATE, checkpoint=best)
        assert list(estimates) == list(STEMS) and estimates["vocals"].shape == mixture.shape
    finally:
        models.MODELS.pop("toy-net", None)
        methods.unregister("toy-net")
        sys.modules.pop("my_toy_model", None)


def test_demucs_rescale_moves_each_convolution_halfway_to_the_reference_and_only_the_start():
    from torch import nn

    plain = quick("demucs-lite", rescale=0.0)
    rescaled = quick("demucs-lite", rescale=0.1)                     # same seed: same draws, then rescaled
    pairs = [(a, b) for a, b in zip(plain.modules(), rescaled.modules())
             if isinstance(a, (nn.Conv1d, nn.ConvTranspose1d)) and a is not plain.linear]  # the linear path starts at 0
    assert len(pairs) == 4 * models.hparams("demucs-lite", "quick")["depth"]
    for a, b in pairs:
        before, after = float(a.weight.detach().std()), float(b.weight.detach().std())
        assert after == pytest.approx((before * 0.1) ** 0.5, rel=1e-4)  # the geometric mean of the two
    # a checkpoint saved before the knob existed (no "rescale" in its hparams) loads as it was
    clone = models.build("demucs-lite", **{k: v for k, v in plain.hparams.items() if k != "rescale"})
    clone.load_state_dict(plain.state_dict())
    mixture = torch.randn(1, 2, 4096)
    with torch.no_grad():
        torch.testing.assert_close(clone.eval()(mixture), plain.eval()(mixture))


def test_demucs_linear_path_starts_at_zero_and_adds_a_filtered_mixture_to_each_stem():
    plain = quick("demucs-lite", linear_taps=0).eval()
    linear = quick("demucs-lite", linear_taps=33).eval()                 # the same draws, then the path
    assert plain.linear is None and linear.linear.weight.shape == (len(STEMS) * 2, 2, 33)
    linear.load_state_dict({**plain.state_dict(), "linear.weight": linear.linear.weight}, strict=True)
    mixture = torch.randn(1, 2, 8192)
    with torch.no_grad():
        torch.testing.assert_close(linear(mixture), plain(mixture))       # from zero: the network alone
        drums = STEMS.index("drums")
        for c in range(2):                                               # the drums' filter: a centred impulse
            linear.linear.weight[2 * drums + c, c, 33 // 2] = 1.0
        with_path, without = linear(mixture), plain(mixture)
    torch.testing.assert_close(with_path[0, drums], without[0, drums] + mixture[0], atol=1e-5, rtol=1e-5)
    others = [i for i in range(len(STEMS)) if i != drums]
    torch.testing.assert_close(with_path[0, others], without[0, others])
    with pytest.raises(ValueError, match="linear_taps must be 0 .* or odd"):
        quick("demucs-lite", linear_taps=32)



def test_a_demucs_checkpoint_saved_before_the_linear_path_loads_without_it(tmp_path):
    from seplib.models import checkpoint

    plain = quick("demucs-lite", linear_taps=0).eval()
    old_hparams = {k: v for k, v in plain.hparams.items() if k != "linear_taps"}  # as saved then
    path = tmp_path / "old.pt"
    checkpoint.save(path, {"model_name": "demucs-lite", "hparams": old_hparams, "model_state": plain.state_dict()})
    loaded = models.load(path, device="cpu")
    assert loaded.linear is None and loaded.hparams["linear_taps"] == 0
    mixture = torch.randn(1, 2, 4096)
    with torch.no_grad():
        torch.testing.assert_close(loaded(mixture), plain(mixture))
    assert quick("demucs-lite").linear is not None                      # a new one has the path


@pytest.mark.parametrize("name", MASK_MODELS)
def test_softmax_masks_give_the_last_stem_as_the_mixture_minus_the_others(name):
    model = quick(name).eval()
    assert model.gate == "softmax"
    mixture = 0.1 * torch.randn(1, 2, 8192)
    with torch.no_grad():
        X = model.spectrogram(mixture)
        masks = model.masks(mixture, X)
        four = model.front.apply(X, masks, mixture.shape[-1])              # one inverse STFT per stem
        three = model.front.apply(X, masks, mixture.shape[-1], mixture)    # the last: mixture minus the rest
        torch.testing.assert_close(three, four, atol=1e-6, rtol=1e-5)
        torch.testing.assert_close(model(mixture), three)                  # forward takes the short way
        torch.testing.assert_close(three.sum(dim=1), mixture, atol=1e-6, rtol=1e-5)


def test_registration_refuses_a_model_that_breaks_the_contract():
    from torch import nn

    from seplib.models.base import WaveformModel

    class Loose(WaveformModel):
        def __init__(self, stems=STEMS, audio_channels=2, channels=8):
            super().__init__(stems, audio_channels)
            self.hparams = dict(stems=self.stems, audio_channels=audio_channels)  # channels forgotten
            self.net = nn.Conv1d(audio_channels, len(self.stems) * audio_channels, 1)

        def padded_length(self, length):
            return length

        def stem_waveforms(self, x):
            return self.net(x)

    sizes = {size: dict(channels=8) for size in ("quick", "lab", "full")}
    kw = dict(chunking=(2.0, 0.5), loss="waveform")
    with pytest.raises(ValueError, match="class defaults must be the lab size's hparams: channels=8 .lab: 4"):
        models.register_model("loose", Loose, hparams={**sizes, "lab": dict(channels=4)}, **kw)
    with pytest.raises(ValueError, match=r"takes no \['width'\]"):
        models.register_model("loose", Loose, hparams={**sizes, "full": dict(width=3)}, **kw)
    with pytest.raises(ValueError, match="must subclass seplib.models.base.MaskingModel"):
        models.register_model("loose", Loose, hparams=sizes, chunking=(2.0, 0.5), loss="masked-magnitude")
    with pytest.raises(ValueError, match="unknown checks"):
        models.register_model("loose", Loose, hparams=sizes, checks={"tolerance": 3}, **kw)
    assert "loose" not in models.MODELS
    try:
        models.register_model("loose", Loose, hparams=sizes, **kw)
        with pytest.raises(ValueError, match=r"hparams must hold every argument .* missing \['channels'\]"):
            models.build("loose")
    finally:
        models.MODELS.pop("loose", None)
        methods.unregister("loose")
