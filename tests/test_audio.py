import numpy as np
import pytest
import soundfile as sf

from seplib import audio


def test_save_then_load_round_trip(tmp_path):
    x = (np.random.default_rng(0).uniform(-0.5, 0.5, (2, 1000))).astype(np.float32)
    path = audio.save(tmp_path / "a.wav", x, 44100)
    y, rate = audio.load(path)
    assert rate == 44100 and y.shape == (2, 1000)
    assert np.abs(y - x).max() <= 1 / 32768 + 1e-7


def test_save_refuses_to_overwrite(tmp_path):
    x = np.zeros((2, 10), dtype=np.float32)
    audio.save(tmp_path / "a.wav", x, 44100)
    with pytest.raises(FileExistsError, match="a.wav exists"):
        audio.save(tmp_path / "a.wav", x + 0.1, 44100)
    audio.save(tmp_path / "a.wav", x + 0.1, 44100, overwrite=True)
    assert audio.load(tmp_path / "a.wav")[0].max() > 0.09


def test_mono_becomes_dual_mono_with_a_warning(tmp_path):
    sf.write(tmp_path / "m.wav", np.linspace(-0.5, 0.5, 100), 22050)
    with pytest.warns(UserWarning, match="mono"):
        y, rate = audio.load(tmp_path / "m.wav")
    assert y.shape == (2, 100) and rate == 22050
    np.testing.assert_array_equal(y[0], y[1])


def test_load_names_the_bad_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.wav"):
        audio.load(tmp_path / "nothere.wav")
    (tmp_path / "junk.wav").write_bytes(b"not audio at all")
    with pytest.raises(ValueError, match="junk.wav"):
        audio.load(tmp_path / "junk.wav")
    with pytest.raises(ValueError, match="got 3"):
        audio.as_stereo(np.zeros((3, 10)), name="x")


def test_play_keeps_loudness():
    quiet = np.full((2, 100), 0.01, dtype=np.float32)
    html = audio.play(quiet, 8000)._repr_html_()
    assert "audio" in html
