"""The real song that ships with musdb (stempeg's example), opened like any MUSDB18 track."""
import numpy as np
import pytest

from seplib import STEMS, config, train
from seplib.data import EXAMPLE, dataset_of, open_dataset, real_song, track_mixture, track_stems
from seplib.data import example


@pytest.fixture()
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SEPLIB_DATA", str(tmp_path))
    return tmp_path


def test_the_real_song_opens_as_a_musdb_track_with_four_stems(data_dir, capsys):
    track = real_song()
    assert "license CC BY-NC-SA" in capsys.readouterr().out  # named, with its license, on first use
    assert track.name == example.SONG and track.rate == 44100
    mixture, stems = track_mixture(track), track_stems(track)
    assert mixture.shape[0] == 2 and 5.5 * 44100 < mixture.shape[1] < 6.5 * 44100
    assert set(stems) == set(STEMS) and all(s.shape == mixture.shape for s in stems.values())
    assert all(np.sqrt(np.mean(s ** 2)) > 0.01 for s in stems.values())  # every stem sounds
    # a real mix: the stems sum to the mixture only roughly (coding, mastering), unlike the synthetic set
    residual = mixture - sum(stems.values())
    ratio_db = 10 * np.log10(np.sum(mixture ** 2) / np.sum(residual ** 2))
    assert 5 < ratio_db < 40
    assert dataset_of([track]) == EXAMPLE
    # in the data folder, in the MUSDB18-HQ layout, decoded once
    folder = data_dir / "example" / "test" / example.SONG
    assert sorted(p.name for p in folder.iterdir()) == sorted(["mixture.wav"] + [f"{s}.wav" for s in STEMS])
    stamp = (folder / "mixture.wav").stat().st_mtime_ns
    assert open_dataset("test", root=EXAMPLE)[0].name == example.SONG
    assert (folder / "mixture.wav").stat().st_mtime_ns == stamp and capsys.readouterr().out == ""


def test_a_half_written_copy_is_decoded_again(data_dir):
    real_song()
    folder = data_dir / "example" / "test" / example.SONG
    (folder / "vocals.wav").write_bytes(b"RIFF")
    track = real_song()
    assert track_stems(track)["vocals"].shape[1] > 44100


def test_the_real_song_is_a_test_split_only(data_dir):
    with pytest.raises(ValueError, match="'test' split only"):
        open_dataset("train", root=EXAMPLE)


def test_setup_run_chooses_data_and_models(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("MUSDB_PATH", raising=False)
    monkeypatch.delenv("SEPLIB_MODELS_FROM", raising=False)
    config.setup_run("quick", data="previews", models="shipped")
    out = capsys.readouterr().out
    assert "songs: previews" in out and "shipped" in out and config.models_from() == "shipped"
    config.setup_run("quick", data="synthetic", models="train")
    assert "MUSDB_PATH" not in __import__("os").environ and config.models_from() == "train"
    with pytest.raises(ValueError, match="not 'synthetic'"):
        config.setup_run("quick", data=str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="models"):
        config.setup_run("quick", models="pretrained")


def test_lesson_model_uses_the_shipped_model_without_training(monkeypatch, capsys):
    monkeypatch.setenv("SEPLIB_MODELS_FROM", "shipped")
    monkeypatch.setattr(train, "train_model", lambda *a, **k: pytest.fail("trained although shipped was chosen"))
    model, history, path = train.lesson_model("unet")
    assert path.parent.name == "weights" and "shipped" in capsys.readouterr().out
    assert sum(p.numel() for p in model.parameters()) > 0
