"""Tests of seplib.pretrained (no network: stand-in separators registered as methods) and of the score cache in
seplib.metrics (which stored scores are reused, which are scored again)."""
import os
import types

import numpy as np
import pytest

from seplib import data, methods, metrics, pretrained, separate
from seplib.data import open_dataset


def test_fit_length_and_the_one_resampler():
    from seplib import audio

    assert pretrained.resample is audio.resample  # one resampler in seplib
    x = np.random.default_rng(0).standard_normal((2, 8000)).astype(np.float32)
    y = pretrained.resample(x, 8000, 16000)
    assert y.shape == (2, 16000) and y.dtype == np.float32
    assert pretrained.fit_length(y, 100).shape == (2, 100)
    padded = pretrained.fit_length(x, 9000)
    assert padded.shape == (2, 9000) and not padded[:, 8000:].any()


@pytest.mark.parametrize("channels", [1, 2])
def test_apply_stereo_model_gives_the_mixture_rate_channels_and_length(channels):
    rate, n = 8000, 4001
    t = np.arange(n) / rate
    mixture = np.tile(np.sin(2 * np.pi * 220 * t), (channels, 1)).astype(np.float32)
    seen = {}

    def fn(x):  # a stand-in working at 16 kHz in stereo: half of the mixture to each stem
        seen["shape"] = x.shape
        return {"vocals": 0.5 * x, "accompaniment": 0.5 * x}

    est = pretrained.apply_stereo_model(fn, 16000, mixture, rate)
    assert seen["shape"][0] == 2 and abs(seen["shape"][1] - 2 * n) <= 2
    assert set(est) == {"vocals", "accompaniment"}
    for e in est.values():
        assert e.shape == (channels, n)
    # resampling up and back loses nothing audible in a 220 Hz tone (away from the edges)
    inner = slice(200, n - 200)
    assert np.allclose(est["vocals"][:, inner] + est["accompaniment"][:, inner], mixture[:, inner], atol=1e-2)


def stand_in(load):
    return {"ref-standin": pretrained.Reference("numpy", load, "a stand-in for the tests")}


def perfect_loader(rate):
    """A 'pretrained model' that gives each stem as a fixed share of the mixture, at ``rate`` Hz."""
    def load(device):
        def fn(x):
            return {"drums": 0.25 * x, "bass": 0.25 * x, "other": 0.25 * x, "vocals": 0.25 * x}
        return fn, rate
    return load


@pytest.fixture
def no_standin():
    """Leave the registry as it was: the stand-in registered by a test is removed after it."""
    yield
    methods.unregister("ref-standin")


def test_offline_skips_in_one_line_and_registers_nothing(tiny_root, tmp_path, capsys, monkeypatch, no_standin):
    monkeypatch.setenv("SEPLIB_OFFLINE", "1")
    called = []
    refs = stand_in(lambda device: called.append(device))
    out = pretrained.register_references(references=refs)
    printed = capsys.readouterr().out.strip().splitlines()
    assert out == [] and not called and "ref-standin" not in methods.names()
    assert len(printed) == 1 and "offline" in printed[0] and "ref-standin" in printed[0]
    # the real references are skipped the same way, without importing anything
    assert pretrained.register_references() == []
    assert "offline" in capsys.readouterr().out
    assert pretrained.why_unavailable("ref-openunmix") == "offline"


def test_a_missing_package_is_named(capsys):
    refs = {"ref-x": pretrained.Reference("no_such_package_here", None, "")}
    assert "pip install no_such_package_here" in pretrained.why_unavailable("ref-x", online=True, references=refs)


def test_a_usable_reference_is_registered_then_scored_and_stored_like_any_method(tiny_root, tmp_path, capsys,
                                                                                 no_standin):
    test = open_dataset("test", root=tiny_root)
    out = pretrained.register_references(online=True, device="cpu", references=stand_in(perfect_loader(44100)))
    assert out == ["ref-standin"] and "ref-standin: loaded and registered" in capsys.readouterr().out
    record = methods.get("ref-standin")
    assert record.family == "reference" and record.taught_in == "08_leaderboard"
    mixture = data.track_mixture(test[0])
    estimate = separate("ref-standin", mixture, test[0].rate)
    assert estimate["vocals"].shape == mixture.shape
    metrics.evaluate("ref-standin", test, dataset="synth-t", results_dir=tmp_path, progress=False)
    board = metrics.leaderboard("synth-t", results_dir=tmp_path)
    assert list(board.index) == ["ref-standin"] and np.isfinite(board.loc["ref-standin"].values).all()
    # registering again (a notebook cell run twice) replaces it
    assert pretrained.register_references(online=True, device="cpu", references=stand_in(perfect_loader(44100))) \
        == ["ref-standin"]


def test_a_failing_reference_is_reported_not_raised(capsys, no_standin):
    def broken(device):
        raise RuntimeError("download failed")

    out = pretrained.register_references(online=True, device="cpu", references=stand_in(broken))
    assert out == [] and "ref-standin: skipped, RuntimeError: download failed" in capsys.readouterr().out
    assert "ref-standin" not in methods.names()


# --------------------------------------------------------------------------------------------
# metrics.why_rescore / score_missing: the score cache of notebook 08
# --------------------------------------------------------------------------------------------
def fake_tracks(*names):
    return [types.SimpleNamespace(name=n) for n in names]


def store(tmp_path, method, names, dataset="d"):
    import pandas as pd

    rows = pd.DataFrame([{"track": n, "stem": "vocals", "metric": "SDR", "value": 1.0} for n in names])
    return metrics.save_scores(method, dataset, rows, results_dir=tmp_path)


def test_why_rescore(tmp_path):
    tracks = fake_tracks("a", "b")
    assert metrics.why_rescore("nmf", tracks, "d", tmp_path) == "not scored yet"
    path = store(tmp_path, "nmf", ["a", "b"])
    assert path == metrics.scores_path("nmf", "d", tmp_path)
    assert metrics.why_rescore("nmf", tracks, "d", tmp_path) == ""
    assert metrics.why_rescore("nmf", fake_tracks("a", "c"), "d", tmp_path) == "stored scores are of other tracks"
    # a model trained after its scores were stored must be scored again
    checkpoint = tmp_path / "best.pt"
    checkpoint.write_bytes(b"")
    os.utime(path, (1_000_000, 1_000_000))
    assert metrics.why_rescore("nmf", tracks, "d", tmp_path, checkpoint=checkpoint) == \
        "the model was trained again since"
    os.utime(checkpoint, (500_000, 500_000))
    assert metrics.why_rescore("nmf", tracks, "d", tmp_path, checkpoint=checkpoint) == ""


def test_score_missing_scores_only_what_it_must(tiny_root, tmp_path):
    test = open_dataset("test", root=tiny_root)
    log = metrics.score_missing(["mixture"], test, dataset="t", results_dir=tmp_path)
    assert log.loc["mixture", "scores"] == "scored now: not scored yet"
    assert metrics.scores_path("mixture", "t", tmp_path).is_file()
    log = metrics.score_missing(["mixture"], test, dataset="t", results_dir=tmp_path)
    assert log.loc["mixture", "scores"] == "reused"
    log = metrics.score_missing(["mixture"], test, rescore=True, dataset="t", results_dir=tmp_path)
    assert log.loc["mixture", "scores"].startswith("scored now")
