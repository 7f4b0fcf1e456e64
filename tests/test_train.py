import math

import numpy as np
import pytest
import torch
from torch import nn

from seplib import train
from seplib.data.chunks import FixedChunks, RandomChunks

RATE = 8000


def songs(n=3, seconds=1.0, seed=0, ratios=(0.1, 0.2, 0.3, 0.4)):
    """Songs whose stems are fixed fractions of one noise: the ideal model is four gains."""
    rng = np.random.default_rng(seed)
    return [(np.array(ratios)[:, None, None] * rng.standard_normal((1, 2, int(seconds * RATE))))
            .astype(np.float32) for _ in range(n)]


class Gains(nn.Module):
    """Stand-in waveform model: stem j = gain_j * mixture."""
    name = "conv1d"

    def __init__(self):
        super().__init__()
        self.stems, self.hparams = ("drums", "bass", "other", "vocals"), {"init": 0.0}
        self.gain = nn.Parameter(torch.zeros(4))

    def forward(self, mixture):  # (batch, channels, samples) -> (batch, stems, channels, samples)
        return self.gain[None, :, None, None] * mixture[:, None]


class TinyConv(nn.Module):
    """Stand-in with dropout, so that resuming must restore the random state too."""
    name = "conv1d"

    def __init__(self, hidden=6):
        super().__init__()
        self.stems, self.hparams = ("drums", "bass", "other", "vocals"), {"hidden": hidden}
        self.net = nn.Sequential(nn.Conv1d(2, hidden, 9, padding=4), nn.Tanh(), nn.Dropout(0.2),
                                 nn.Conv1d(hidden, 8, 9, padding=4))

    def forward(self, mixture):
        batch, channels, samples = mixture.shape
        return self.net(mixture).reshape(batch, 4, channels, samples)


def data(**kwargs):
    train_set = RandomChunks(songs(), seconds=0.1, samples_per_epoch=10, rate=RATE, seed=0, **kwargs)
    return train_set, FixedChunks(songs(n=1, seed=9), seconds=0.1, per_track=2, rate=RATE)


def test_learning_rate_schedules():
    assert train.learning_rate(0, 100, 1.0, "constant") == 1.0
    assert train.learning_rate(0, 100, 1.0, "cosine") == pytest.approx(1.0)
    assert train.learning_rate(50, 100, 1.0, "cosine") == pytest.approx(0.505)
    assert train.learning_rate(99, 100, 1.0, "cosine") < 0.02
    assert [train.learning_rate(s, 100, 1.0, "step") for s in (0, 60, 80)] == pytest.approx([1, 0.1, 0.01])
    assert train.learning_rate(1, 100, 1.0, "constant", warmup=4) == 0.5
    with pytest.raises(ValueError, match="schedule"):
        train.learning_rate(0, 10, 1.0, "linear")


def test_batches_walk_through_a_permutation_per_epoch():
    firsts = [i for step in range(5) for _, i in train.batch_indices(step, 2, 10, seed=3)]
    assert sorted(firsts) == list(range(10))
    assert train.batch_indices(5, 2, 10, 3)[0][0] == 1  # epoch 1 starts at step 5
    assert train.batch_indices(7, 2, 10, 3) == train.batch_indices(7, 2, 10, 3)


def test_fit_learns_a_toy_problem():
    torch.manual_seed(0)
    model = Gains()
    train_set, valid_set = data(gain=None, swap=0.0, remix=0.0)
    history = train.fit(model, train_set, valid_set, steps=60, batch_size=4, lr=0.05,
                        valid_every=10, device="cpu", progress=False)
    assert history["step"] == [10, 20, 30, 40, 50, 60]
    assert set(history) == {"step", "train_loss", "valid_loss", "lr"}
    assert history["valid_loss"][-1] < 0.2 * history["valid_loss"][0]
    assert history["train_loss"][-1] < 0.2 * history["train_loss"][0]
    assert history["lr"][0] > history["lr"][-1]  # cosine schedule
    torch.testing.assert_close(model.gain.detach(), torch.tensor([0.1, 0.2, 0.3, 0.4]), atol=0.05, rtol=0)


class Disconnect(Exception):
    pass


def test_resumed_run_equals_an_unbroken_run(tmp_path):
    from seplib.losses import loss_for

    settings = dict(steps=12, batch_size=3, lr=0.01, valid_every=4, checkpoint_every=3,
                    weight_decay=1e-3, device="cpu", progress=False, seed=5)
    torch.manual_seed(0)
    unbroken = TinyConv()
    history = train.fit(unbroken, *data(noise=0.01), out_dir=tmp_path / "a", **settings)

    loss, calls = loss_for("conv1d"), []

    def breaking_loss(model, mixture, stems):  # the runtime disconnects during step 8
        if model.training:
            calls.append(1)
            if len(calls) == 8:
                raise Disconnect
        return loss(model, mixture, stems)

    torch.manual_seed(0)
    with pytest.raises(Disconnect):
        train.fit(TinyConv(), *data(noise=0.01), loss=breaking_loss, out_dir=tmp_path / "b", **settings)
    saved = torch.load(tmp_path / "b" / "last.pt", weights_only=True)
    assert saved["state"]["step"] == 6
    torch.manual_seed(123)  # a fresh runtime: other initial weights, other random state
    resumed = TinyConv()
    history_b = train.fit(resumed, *data(noise=0.01), out_dir=tmp_path / "b", resume=True, **settings)
    for (name, a), (_, b) in zip(unbroken.state_dict().items(), resumed.state_dict().items()):
        assert torch.equal(a, b), name
    np.testing.assert_equal(history, history_b)
    last = torch.load(tmp_path / "b" / "last.pt", weights_only=True)
    assert last["model_name"] == "conv1d" and last["hparams"] == {"hidden": 6}
    for key in ("model_state", "optimizer_state", "scaler_state", "rng", "state", "settings"):
        assert key in last
    best = torch.load(tmp_path / "b" / "best.pt", weights_only=True)
    assert best["model_name"] == "conv1d" and best["hparams"] == {"hidden": 6}
    assert best["valid_loss"] == min(history["valid_loss"])
    # a resumed run with another seed would see other data: refused
    with pytest.raises(ValueError, match="seed"):
        train.fit(TinyConv(), *data(), out_dir=tmp_path / "b", resume=True, **{**settings, "seed": 6})


def test_background_workers_make_the_same_batches():
    train_set, _ = data(noise=0.01)
    inline = list(train.batches(train_set, 3, 9, batch_size=3, seed=5))
    loaded = list(train.batches(train_set, 3, 9, batch_size=3, seed=5, workers=2))
    assert len(inline) == len(loaded) == 6
    for (m0, s0), (m1, s1) in zip(inline, loaded):
        assert torch.equal(m0, m1) and torch.equal(s0, s1)
    assert not torch.equal(inline[0][0], inline[1][0])  # and the steps differ
    settings = dict(steps=6, batch_size=3, lr=0.01, device="cpu", progress=False, seed=5)
    torch.manual_seed(0)
    a = TinyConv()
    train.fit(a, train_set, **settings)
    torch.manual_seed(0)
    b = TinyConv()
    train.fit(b, train_set, workers=2, **settings)
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(x, y), name


def test_resume_refuses_other_training_data(tmp_path):
    train_set, _ = data()
    train.fit(Gains(), train_set, steps=2, batch_size=2, out_dir=tmp_path, device="cpu", progress=False)
    longer = RandomChunks(train_set.songs, seconds=0.5, samples_per_epoch=len(train_set), seed=0)
    assert longer.length != train_set.length
    with pytest.raises(ValueError, match=r"chunk_samples .*\(now "):
        train.fit(Gains(), longer, steps=4, batch_size=2, out_dir=tmp_path, resume=True, device="cpu",
                  progress=False)
    more = RandomChunks(train_set.songs, seconds=0.1, samples_per_epoch=len(train_set) + 1, seed=0)
    with pytest.raises(ValueError, match="items_per_epoch"):
        train.fit(Gains(), more, steps=4, batch_size=2, out_dir=tmp_path, resume=True, device="cpu",
                  progress=False)


def test_a_fresh_run_never_overwrites_a_checkpoint(tmp_path):
    train_set, valid_set = data()
    train.fit(Gains(), train_set, steps=2, batch_size=2, out_dir=tmp_path, device="cpu", progress=False)
    before = (tmp_path / "last.pt").read_bytes()
    with pytest.raises(FileExistsError, match="resume=True"):
        train.fit(Gains(), train_set, steps=2, batch_size=2, out_dir=tmp_path, device="cpu", progress=False)
    assert (tmp_path / "last.pt").read_bytes() == before
    assert not list(tmp_path.glob("*.tmp"))


def test_resume_without_a_checkpoint_starts_fresh_and_says_so(tmp_path, capsys):
    history = train.fit(Gains(), data()[0], steps=4, batch_size=2, valid_every=2, out_dir=tmp_path / "new",
                        resume=True, device="cpu", progress=False)
    assert history["step"] == [2, 4] and math.isnan(history["valid_loss"][0])
    assert f"nothing to resume in {tmp_path / 'new'}" in capsys.readouterr().out


def test_early_stopping_stops(tmp_path):
    train_set, valid_set = data()
    # lr = 0: the validation loss never improves after the first validation
    history = train.fit(Gains(), train_set, valid_set, steps=100, batch_size=2, lr=0.0, valid_every=2,
                        patience=2, out_dir=tmp_path, device="cpu", progress=False)
    assert history["step"] == [2, 4, 6]
    again = train.fit(Gains(), train_set, valid_set, steps=100, batch_size=2, lr=0.0, valid_every=2,
                      patience=2, out_dir=tmp_path, resume=True, device="cpu", progress=False)
    assert again["step"] == [2, 4, 6]  # a stopped run stays stopped


def test_fit_ends_on_the_best_weights():
    train_set, valid_set = data(gain=None, swap=0.0, remix=0.0)
    model = Gains()
    # a huge lr makes later validations worse than an early one
    history = train.fit(model, train_set, valid_set, steps=20, batch_size=2, lr=5.0, schedule="constant",
                        valid_every=2, clip_grad=None, device="cpu", progress=False)
    best = min(history["valid_loss"])
    assert best < history["valid_loss"][-1]
    assert train.mean_loss(model, __import__("seplib.losses").losses.loss_for("conv1d"), valid_set) == \
        pytest.approx(best, rel=1e-5)


@pytest.fixture
def gains_as_conv1d(monkeypatch):
    """seplib.models whose "conv1d" builds the tiny Gains model."""
    from seplib import models

    monkeypatch.setattr(models, "build", lambda name, **hparams: Gains())


def test_train_model_end_to_end(tmp_path, tiny_root, gains_as_conv1d):
    model, history = train.train_model("conv1d", size="quick", steps=8, out=tmp_path / "run", root=tiny_root,
                                       progress=False, seconds=0.25)
    assert history["step"] == [8] and np.isfinite(history["valid_loss"]).all()
    assert (tmp_path / "run" / "last.pt").exists() and (tmp_path / "run" / "best.pt").exists()
    with pytest.raises(FileExistsError):
        train.train_model("conv1d", size="quick", steps=8, out=tmp_path / "run", root=tiny_root,
                          progress=False)
    model, more = train.train_model("conv1d", size="quick", steps=16, out=tmp_path / "run", root=tiny_root,
                                    progress=False, seconds=0.25, resume=True)
    assert more["step"] == [8, 16]


def test_train_model_warms_the_learning_rate_up(tmp_path, tiny_root, gains_as_conv1d):
    runs = {warmup: train.train_model("conv1d", size="quick", steps=16, out=tmp_path / str(warmup), root=tiny_root,
                                      progress=False, seconds=0.25, lr=1e-2, warmup=warmup)[1]
            for warmup in (0, 16)}
    # the eighth of 16 steps (index 7): warming up, half the peak; without, the cosine is still near it
    assert runs[16]["lr"][0] == pytest.approx(train.learning_rate(7, 16, 1e-2, warmup=16)) == pytest.approx(0.5e-2)
    assert runs[16]["lr"][0] < 0.6e-2 < runs[0]["lr"][0]


@pytest.mark.parametrize("name", ["unet", "demucs-lite", "dprnn", "conv1d"])
def test_every_model_trains_and_its_checkpoints_load(name, tmp_path):
    models = pytest.importorskip("seplib.models")
    from seplib.losses import loss_for

    torch.manual_seed(0)
    model = models.build(name, **models.hparams(name, "quick"))
    rng = np.random.default_rng(0)
    tracks = [(0.1 * rng.standard_normal((4, 2, 44100))).astype(np.float32) for _ in range(2)]
    train_set = RandomChunks(tracks, seconds=0.25, samples_per_epoch=8)
    valid_set = FixedChunks(tracks[:1], seconds=0.25, per_track=1)
    history = train.fit(model, train_set, valid_set, loss=loss_for(name), steps=2, batch_size=2,
                        valid_every=1, out_dir=tmp_path, device="cpu", progress=False)
    assert np.isfinite(history["train_loss"]).all() and np.isfinite(history["valid_loss"]).all()
    for file in ("best.pt", "last.pt"):
        loaded = models.load(tmp_path / file, device="cpu", name=name)
        assert loaded.hparams == model.hparams
    best = models.load(tmp_path / "best.pt", device="cpu")
    for key, value in best.state_dict().items():
        assert torch.equal(value, model.state_dict()[key]), key  # fit ends on the best weights


def test_fit_calls_back_after_each_validation(capsys):
    from seplib import plots

    seen = []
    live = plots.live_losses()
    history = train.fit(Gains(), *data(), steps=6, batch_size=2, valid_every=2, device="cpu", progress=False,
                        callback=lambda h: (seen.append(h), live(h)))
    assert [h["step"] for h in seen] == [[2], [2, 4], [2, 4, 6]]
    assert seen[-1] == history
    assert live.figure.axes[0].get_lines()  # the curve was drawn


def test_training_bar_is_redrawn_at_most_about_once_a_second(capfd):
    # In a notebook every redraw of the bar is a message to the browser; nbval reads a cell's
    # messages only after the cell ends and lost the cell's end among thousands (a lab run).
    import time

    start = time.perf_counter()
    history = train.fit(Gains(), *data(), steps=400, batch_size=2, valid_every=100, device="cpu", progress=True)
    seconds = time.perf_counter() - start
    assert history["step"][-1] == 400
    redraws = capfd.readouterr().err.count("\r")
    assert 1 <= redraws <= seconds + 4, (redraws, seconds)  # at most one a second, plus the first and last


def test_loss_plot_axis_suits_the_loss():
    from seplib import plots

    history = {"step": [1, 2, 3], "train_loss": [0.5, 0.2, 0.1], "valid_loss": [0.6, 0.3, 0.2], "lr": [1e-3] * 3}
    assert plots.losses(history).get_yscale() == "log"
    in_db = {**history, "train_loss": [-1.0, -3.0, -4.0], "valid_loss": [-0.5, -2.0, -3.5]}  # -SDR
    ax = plots.losses(in_db)
    assert ax.get_yscale() == "linear" and len(ax.get_lines()) == 2


def test_evaluate_sdr_scores_each_stem():
    _, valid_set = data()
    model = Gains()
    silent = train.evaluate_sdr(model, valid_set)  # gains 0: silence scores 0 dB on every stem
    assert list(silent) == ["drums", "bass", "other", "vocals"]
    assert all(v == pytest.approx(0.0, abs=1e-6) for v in silent.values())
    model.gain.data = torch.tensor([0.1, 0.2, 0.3, 0.4])  # the true shares of the mixture
    perfect = train.evaluate_sdr(model, valid_set)
    assert all(v > 60 for v in perfect.values())
    model.gain.data = torch.tensor([0.1, 0.2, 0.3, 0.8])  # twice the vocals: an error as loud as them
    assert train.evaluate_sdr(model, valid_set)["vocals"] == pytest.approx(0.0, abs=1e-4)
    assert model.training  # left as it was


def test_train_model_passes_the_plans_loss_knobs(tmp_path, tiny_root, gains_as_conv1d, monkeypatch):
    from seplib import losses, models

    seen = []
    real = losses.loss_for
    monkeypatch.setattr(train, "loss_for", lambda name, **kw: seen.append(kw) or real(name, **kw))
    monkeypatch.setitem(models.spec("conv1d").training, "quick", {"steps": 2, "loss": {"stft_weight": 0.0}})
    train.train_model("conv1d", size="quick", out=tmp_path / "a", root=tiny_root, progress=False, seconds=0.25)
    train.train_model("conv1d", size="quick", out=tmp_path / "b", root=tiny_root, progress=False, seconds=0.25,
                      stft_weight=0.5, weights={"vocals": 2.0})
    assert seen == [{"stft_weight": 0.0}, {"stft_weight": 0.5, "vocals": 2.0}]  # the caller's knobs win
    assert train.plan("demucs-lite", "lab")["loss"] == {"stft_weight": 0.0, "kind": "sdr"}
    with pytest.raises(ValueError, match="kind=, stft_weight=, spec_augment="):  # knobs by name, not in weights
        train.train_model("conv1d", size="quick", out=tmp_path / "c", root=tiny_root, weights={"kind": "l1"})


def test_train_model_passes_the_augmentation(tmp_path, tiny_root, gains_as_conv1d, monkeypatch):
    from seplib import models
    from seplib.data import chunks

    seen = []

    class Recorded(chunks.RandomChunks):
        def __init__(self, *args, **kwargs):
            seen.append({k: kwargs[k] for k in ("gain", "swap", "remix", "noise") if k in kwargs})
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(train, "RandomChunks", Recorded)
    monkeypatch.setitem(models.spec("conv1d").training, "quick", {"steps": 2, "augment": {"swap": 0.0}})
    _, history = train.train_model("conv1d", size="quick", out=tmp_path / "a", root=tiny_root, progress=False,
                                   seconds=0.25, augment={"remix": 0.0, "noise": 0.01})
    assert seen == [{"swap": 0.0, "remix": 0.0, "noise": 0.01}]  # the plan's, then the caller's
    assert history["step"] == [2]
    with pytest.raises(TypeError, match="mix"):  # a knob RandomChunks does not have
        train.train_model("conv1d", size="quick", out=tmp_path / "b", root=tiny_root, progress=False,
                          seconds=0.25, augment={"mix": 0.5})


def test_plan_is_the_sizes_plan_changed_by_the_models_file():
    from seplib import sizes

    unet = train.plan("unet", "lab")
    assert unet == {**sizes.of("training", "lab"), "steps": 1300, "seconds": 2.95, "loss": {"vocals": 3.0}}
    assert train.plan("unet", "quick") == {**sizes.of("training", "quick"), "loss": {}}
    assert train.plan("dprnn", "lab") == {**sizes.of("training", "lab"), "loss": {}}
    demucs = train.plan("demucs-lite", "lab")
    assert demucs["steps"] == 2100 and demucs["batch_size"] == 2 and demucs["seconds"] == 2.0
    assert demucs["valid_every"] == sizes.of("training", "lab")["valid_every"]  # the rest: the size's
    assert train.plan("demucs-lite", "full")["steps"] == sizes.of("training", "full")["steps"]


def test_the_unets_lab_chunks_fill_its_padded_frames():
    # the lab plan's chunk length is chosen so that the U-Net pads no frame (a multiple of 2 ** depth)
    from seplib import models
    from seplib.models.unet import pad_to_multiple
    from seplib.units import seconds_to_samples

    hp, todo = models.hparams("unet", "lab"), train.plan("unet", "lab")
    for seconds, padded in ((todo["seconds"], 128), (3.0, 160)):  # 3 s make 130 frames, padded to 160
        frames = 1 + seconds_to_samples(seconds, 44100) // hp["hop"]
        x = torch.zeros(1, 2, hp["max_bin"], frames)
        assert pad_to_multiple(x, 2 ** hp["depth"]).shape[-1] == padded
    assert frames == 130 and todo["seconds"] == 2.95


def test_a_vocals_and_accompaniment_unet_trains_and_separates(tmp_path, tiny_root):
    from seplib.data import open_dataset, track_mixture
    from seplib.separation import separate

    stems = ("vocals", "accompaniment")
    model, history = train.train_model("unet", size="quick", steps=2, out=tmp_path / "two", root=tiny_root,
                                       progress=False, seconds=0.25, stems=stems)
    assert model.stems == stems and np.isfinite(history["valid_loss"]).all()
    mixture = track_mixture(open_dataset("test", root=tiny_root)[0])[:, :44100]
    estimates = separate("unet", mixture, 44100, checkpoint=tmp_path / "two" / "best.pt")
    assert list(estimates) == list(stems)
    np.testing.assert_allclose(sum(estimates.values()), mixture, atol=1e-3)  # two masks that sum to one


def test_resuming_a_run_of_other_hyper_parameters_says_what_to_do_and_keeps_it(tmp_path, tiny_root):
    # e.g. a Demucs-lite run saved before the linear path was part of the plan
    out = tmp_path / "demucs-lite"
    train.train_model("demucs-lite", size="quick", steps=2, out=out, root=tiny_root, progress=False,
                      seconds=0.25, linear_taps=0)
    before = (out / "last.pt").read_bytes()
    with pytest.raises(ValueError, match=r"do not fit .*linear\.weight.*left as it is.*another folder.*aside"):
        train.train_model("demucs-lite", size="quick", steps=4, out=out, root=tiny_root, progress=False,
                          seconds=0.25, resume=True)
    assert (out / "last.pt").read_bytes() == before


def test_training_keeps_the_memory_it_frees(monkeypatch):
    from seplib import config

    calls = []
    monkeypatch.setattr(config, "keep_freed_memory", lambda: calls.append("keep") or True)
    monkeypatch.setattr(config, "give_back_freed_memory", lambda: calls.append("give back") or True)
    train.fit(Gains(), data()[0], steps=2, batch_size=2, device="cpu", progress=False)
    assert calls == ["keep", "give back"]  # before the first step, and when training ends
    calls.clear()
    with pytest.raises(FloatingPointError):  # a run that fails hands the memory back too
        train.fit(Gains(), data()[0], loss=lambda model, mixture, stems: model(mixture).sum() * float("nan"),
                  steps=2, batch_size=2, device="cpu", progress=False)
    assert calls == ["keep", "give back"]
