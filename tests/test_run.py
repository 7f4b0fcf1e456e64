"""The run context: decided once, passed down, so that one run's size, data, models and device agree."""
import numpy as np
import pytest
import torch

import seplib
from seplib import models, train
from seplib.classical import nmf
from seplib.config import models_dir
from seplib.data import dataset_name, open_dataset
from seplib.run import current

RATE = 44100


@pytest.fixture
def lab_environment(tmp_path, monkeypatch):
    """The environment says ``lab``; data and models live in a temporary folder."""
    monkeypatch.setenv("SEPLIB_DATA", str(tmp_path))
    monkeypatch.setenv("SEPLIB_SIZE", "lab")
    monkeypatch.setenv("SEPLIB_RESULTS", str(tmp_path / "results"))
    for name in ("SEPLIB_MODELS", "MUSDB_PATH"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def quick_unet():
    torch.manual_seed(0)
    return models.build("unet", **models.hparams("unet", "quick")).eval()


def save(model, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model_name": model.name, "hparams": model.hparams, "model_state": model.state_dict()}, path)
    return path


def test_current_decides_size_data_set_and_folders(lab_environment, tiny_root, monkeypatch):
    run = current()
    assert run.size == "lab" and run.dataset == "synth-lab"
    assert run.models_dir == lab_environment / "models" / "synth-lab"
    quick = current(size="quick")
    assert quick.dataset == "synth-quick" and quick.models_dir == lab_environment / "models" / "synth-quick"
    mine = current(root=tiny_root)
    assert mine.dataset == dataset_name(tiny_root) == tiny_root.name
    monkeypatch.setenv("SEPLIB_MODELS", str(lab_environment / "elsewhere"))  # a base: one folder per data set
    assert current(size="quick").models_dir == lab_environment / "elsewhere" / "synth-quick"
    assert models_dir("MUSDB18HQ") == lab_environment / "elsewhere" / "MUSDB18HQ"
    with pytest.raises(ValueError, match="huge"):
        current(size="huge")


def test_run_dependent_functions_follow_the_run_not_the_environment(lab_environment, tiny_root):
    quick = current(size="quick")
    assert models.default_checkpoint("unet", quick) == quick.models_dir / "unet" / "best.pt"
    assert models.default_checkpoint("unet") == lab_environment / "models" / "synth-lab" / "unet" / "best.pt"
    assert nmf.settings(run=quick) == nmf.settings("quick") != nmf.settings()
    assert models.hparams("unet", run=quick) == models.hparams("unet", "quick")
    assert train.plan("unet", run=quick) == train.plan("unet", "quick")
    assert nmf.dictionary_path("synth-quick", {"a": 1}).is_relative_to(models_dir("synth-quick") / "nmf")
    tracks = open_dataset("test", run=current(size="quick", root=tiny_root))
    assert len(tracks) == 2 and all(t.subset == "test" for t in tracks)


def test_separate_with_a_run_uses_that_runs_model(lab_environment):
    quick = current(size="quick")
    model = quick_unet()
    save(model, models.default_checkpoint("unet", quick))
    mixture = np.random.default_rng(0).standard_normal((2, 20000)).astype(np.float32) * 0.1
    with pytest.warns(UserWarning, match="synth-lab.*shipped unet"):  # the environment's size: none trained
        seplib.separate("unet", mixture, RATE)
    from_run = seplib.separate("unet", mixture, RATE, run=quick, device="cpu")
    in_memory = seplib.separate("unet", mixture, RATE, model=model)
    for stem in from_run:
        np.testing.assert_allclose(from_run[stem], in_memory[stem], atol=1e-6)


def test_evaluate_quick_scores_the_quick_songs_with_the_quick_model(lab_environment, tiny_root, capsys):
    from seplib.cli import main

    (lab_environment / "synth-quick").symlink_to(tiny_root, target_is_directory=True)  # the quick songs
    save(quick_unet(), models.default_checkpoint("unet", current(size="quick")))
    main(["evaluate", "--size", "quick", "--method", "unet"])
    out = capsys.readouterr().out
    assert "unet on 2 test tracks" in out and "vocals" in out
