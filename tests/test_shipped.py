"""The U-Net shipped inside the package: it loads, it separates, and it is used only when a run
has no trained U-Net of its own (saying so in one line)."""
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import soundfile as sf
import pytest
import torch

import seplib
from seplib import RATE, STEMS, audio, models
from seplib.data.synth import make_song
from seplib.metrics import sdr
from seplib.models import checkpoint, shipped


@pytest.fixture
def no_trained_models(tmp_path, monkeypatch):
    """A models folder with nothing trained in it, at the quick size."""
    monkeypatch.setenv("SEPLIB_MODELS", str(tmp_path / "models"))
    monkeypatch.setenv("SEPLIB_SIZE", "quick")
    monkeypatch.delenv("MUSDB_PATH", raising=False)
    return tmp_path / "models"


@pytest.fixture(scope="module")
def song():
    """A 6 s synthetic song (a seed no data set uses) and its true stems."""
    stems, _ = make_song(9001, 6.0)
    return sum(stems.values()), stems


def test_the_shipped_checkpoint_is_small_loads_and_has_its_record():
    path = models.shipped_checkpoint()
    assert path.name == "unet-synth.pt" and path.parent == shipped.WEIGHTS
    assert path.stat().st_size < 20 * 2 ** 20
    model = models.load(path, device="cpu", name="unet")
    assert set(model.stems) == set(STEMS) and model.audio_channels == 2
    assert all(p.dtype == torch.float32 for p in model.parameters())  # stored as float16, loaded as float32
    record = models.shipped_record()
    saved = checkpoint.read(path)
    assert record["model_name"] == "unet" and record["hparams"] == json.loads(json.dumps(saved["hparams"]))
    assert "seplib train unet --size" in record["command"] and isinstance(record["seed"], int)
    assert "synth-lab" in record["data"]["name"] and record["train_seconds"] > 0
    for split in record["scores"].values():
        assert set(split["SDR"]) == set(STEMS)


def test_a_missing_shipped_checkpoint_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(shipped, "WEIGHTS", tmp_path / "weights")
    with pytest.raises(FileNotFoundError, match=r"weights[/\\]unet-synth.pt"):
        models.shipped_checkpoint()
    with pytest.raises(ValueError, match="no shipped checkpoint for 'toy'; one ships for: .*unet"):
        models.shipped_checkpoint("toy")


def test_slim_keeps_what_separating_needs_and_refuses_to_overwrite(tmp_path):
    model = models.build("unet", **models.hparams("unet", "quick")).eval()
    full = checkpoint.save(tmp_path / "best.pt", {**checkpoint.model_info(model), "model_state": model.state_dict(),
                                                   "optimizer": {"lr": 1e-3}, "step": 7})
    small = checkpoint.slim(full, tmp_path / "small.pt")
    saved = checkpoint.read(small)
    assert "optimizer" not in saved and saved["step"] == 7
    assert {str(v.dtype) for v in saved["model_state"].values()} <= {"torch.float16", "torch.int64"}
    x = np.random.default_rng(0).standard_normal((2, RATE)).astype(np.float32) * 0.1
    a = seplib.separate("unet", x, RATE, model=model)
    b = seplib.separate("unet", x, RATE, checkpoint=small, device="cpu")
    for stem in a:  # float16 weights: the same separation, to float16's precision
        assert np.abs(a[stem] - b[stem]).max() < 1e-2 * np.abs(x).max()
    with pytest.raises(FileExistsError, match="small.pt"):
        checkpoint.slim(full, small)


def test_the_shipped_unet_separates_a_song_better_than_the_mixture(song):
    mixture, stems = song
    estimates = seplib.separate("unet", mixture, RATE, checkpoint=models.shipped_checkpoint(), device="cpu")
    gain = {stem: float(sdr(stems[stem], estimates[stem]) - sdr(stems[stem], mixture)) for stem in STEMS}
    # measured: vocals +3.9 dB, drums +9.2 dB over the mixture itself
    assert gain["vocals"] > 1.5 and gain["drums"] > 4.0, gain


def test_without_a_trained_unet_the_shipped_one_is_used_and_named(no_trained_models, song, monkeypatch):
    mixture = song[0][:, : 2 * RATE]
    with pytest.warns(UserWarning, match=r"shipped unet, unet-synth.pt, trained on synthetic songs") as said:
        fallback = seplib.separate("unet", mixture, RATE, device="cpu")
    assert len([w for w in said if "shipped" in str(w.message)]) == 1
    assert str(no_trained_models) in str(said[0].message)  # where the run's own model would be
    direct = seplib.separate("unet", mixture, RATE, checkpoint=models.shipped_checkpoint(), device="cpu")
    for stem in STEMS:
        np.testing.assert_array_equal(fallback[stem], direct[stem])
    monkeypatch.delitem(shipped.SHIPPED, "dprnn", raising=False)
    with pytest.raises(FileNotFoundError, match="seplib train dprnn"):  # nothing ships: how to train it
        seplib.separate("dprnn", mixture, RATE)


def test_a_runs_own_trained_unet_still_wins(no_trained_models, song):
    mixture = song[0][:, : 2 * RATE]
    own = models.build("unet", **models.hparams("unet", "quick")).eval()
    path = models.default_checkpoint("unet")
    path.parent.mkdir(parents=True)
    checkpoint.save(path, {**checkpoint.model_info(own), "model_state": own.state_dict()})
    assert models.checkpoint_to_use("unet") == (path, False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no word of the shipped model
        used = seplib.separate("unet", mixture, RATE, device="cpu")
    in_memory = seplib.separate("unet", mixture, RATE, model=own)
    for stem in STEMS:
        np.testing.assert_allclose(used[stem], in_memory[stem], atol=1e-6)


@pytest.mark.parametrize("channels, rate", [(1, RATE), (2, 22050), (1, 48000)])
def test_any_rate_and_channel_count_in_stems_out_alike(song, channels, rate):
    mixture = audio.resample(song[0][:, : 2 * RATE], RATE, rate)
    mixture = mixture[:, : int(1.7 * rate)]  # not a whole number of hops
    mixture = mixture.mean(axis=0, keepdims=True) if channels == 1 else mixture
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the resampling notice
        estimates = seplib.separate("unet", mixture, rate, checkpoint=models.shipped_checkpoint(), device="cpu")
    assert set(estimates) == set(STEMS)
    for stem, estimate in estimates.items():
        assert estimate.shape == mixture.shape and estimate.dtype == np.float32
    # the masks share the mixture out: the stems add up to it (resampling costs a little)
    assert np.abs(sum(estimates.values()) - mixture).max() < 0.05 * np.abs(mixture).max()


def test_the_command_line_falls_back_to_the_shipped_unet_and_names_it(tmp_path, song):
    path = tmp_path / "song.wav"
    audio.save(path, song[0][:, : RATE], RATE)
    env = {**os.environ, "SEPLIB_MODELS": str(tmp_path / "models"), "SEPLIB_DEBUG": "", "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "seplib", "separate", str(path), "--method", "unet",
                           "--size", "quick", "--out", str(tmp_path / "stems")], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    said = [line for line in done.stderr.splitlines() if "shipped" in line]
    assert len(said) == 1 and said[0].startswith("seplib separate: warning: "), done.stderr
    assert "unet-synth.pt" in said[0] and "synthetic songs" in said[0]
    assert sorted(p.name for p in (tmp_path / "stems").iterdir()) == sorted(f"{s}.wav" for s in STEMS)


@pytest.mark.parametrize("name", sorted(shipped.SHIPPED))
def test_every_shipped_network_is_small_has_its_record_and_scores_as_it_says(name, tmp_path, monkeypatch):
    monkeypatch.setenv("SEPLIB_DATA", str(tmp_path))
    path = models.shipped_checkpoint(name)
    record = models.shipped_record(name)
    members = record.get("members", [record])  # a bag of networks (the U-Net's four) or one
    assert path.stat().st_size < 3 * 2 ** 20 * len(members) and path.name == f"{name}-synth.pt"
    if len(members) > 1:  # the file holds the networks its record names, one per seed
        assert checkpoint.read(path)["seeds"] == [m["seed"] for m in members] == sorted({m["seed"] for m in members})
        assert all(f"--seed {m['seed']} " in m["command"] for m in members)
    assert record["model_name"] == name and f"seplib train {name} --size lab" in record["command"]
    # a bag that listens to the mirror image too says so in its record
    assert getattr(models.load(path, device="cpu"), "mirror", False) == record.get("mirror", False)
    for key in ("plan", "seed", "data", "commit", "torch", "train_seconds", "scores"):
        assert key in record, key
    for split in record["scores"].values():
        assert set(split["SDR"]) == set(STEMS)
    # its record's scores on the real song are what it scores here, and above the mixture's on every stem
    from seplib.data import real_song
    from seplib.metrics import evaluate

    def medians(method, **kw):
        table = evaluate(method, [real_song()], store=False, progress=False, **kw)
        return table[table.metric == "SDR"].groupby("stem")["value"].median()

    got, floor = medians(name, checkpoint=path), medians("mixture")
    for stem in STEMS:
        assert abs(got[stem] - record["scores"]["real song"]["SDR"][stem]) < 0.05, (stem, got[stem])
        assert got[stem] > floor[stem] + 1.0, (stem, got[stem], floor[stem])


def test_all_shipped_weights_together_are_small():
    assert sum(models.shipped_checkpoint(n).stat().st_size for n in shipped.SHIPPED) < 25 * 2 ** 20


def test_the_command_line_separates_with_every_shipped_network_and_says_which(no_trained_models, tmp_path, song):
    from seplib import cli

    wav = tmp_path / "song.wav"
    sf.write(wav, song[0][:, : 2 * RATE].T, RATE)
    for name in shipped.SHIPPED:
        with pytest.warns(UserWarning, match=f"using the shipped {name}, {name}-synth.pt"):  # says which model
            cli.main(["separate", str(wav), "--method", name, "--out", str(tmp_path / name)])
        assert sorted(p.stem for p in (tmp_path / name).glob("*.wav")) == sorted(STEMS)
