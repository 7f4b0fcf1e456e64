"""Opening data through musdb: the synthetic default and any MUSDB18-HQ-style folder."""
import shutil

import musdb
import numpy as np
import pytest
import soundfile as sf

from seplib import STEMS, data


def test_splits_open_through_musdb(tiny_root):
    from seplib.sizes import of

    sizes = of("data", "quick")
    for split, key in [("train", "train"), ("valid", "valid"), ("test", "test")]:
        tracks = data.open_dataset(split, root=tiny_root)
        assert len(tracks) == sizes[key]
        assert all(isinstance(t, musdb.audio_classes.MultiTrack) for t in tracks)
    train = {t.name for t in data.open_dataset("train", root=tiny_root)}
    valid = {t.name for t in data.open_dataset("valid", root=tiny_root)}
    assert not train & valid


def test_musdb_reads_the_real_samples(tiny_root):
    track = data.open_dataset("test", root=tiny_root)[0]
    stems = data.track_stems(track)
    mixture = data.track_mixture(track)
    folder = tiny_root / "test" / track.name
    for stem in STEMS:
        on_disk, rate = sf.read(folder / f"{stem}.wav", dtype="float32", always_2d=True)
        assert rate == track.rate == 44100
        np.testing.assert_array_equal(stems[stem], on_disk.T)
        assert np.abs(on_disk).max() > 0.01  # not silence
    np.testing.assert_array_equal(mixture, sum(stems.values()))
    # musdb's own reader (ffmpeg) gives the very same samples
    np.testing.assert_array_equal(track.sources["vocals"].audio.T.astype(np.float32), stems["vocals"])
    np.testing.assert_array_equal(track.audio.T.astype(np.float32), mixture)


def test_accompaniment_is_everything_but_the_vocals(tiny_root):
    track = data.open_dataset("test", root=tiny_root)[0]
    four = data.track_stems(track)
    two = data.track_stems(track, ("vocals", "accompaniment"))
    assert list(two) == ["vocals", "accompaniment"]
    np.testing.assert_array_equal(two["vocals"], four["vocals"])
    np.testing.assert_allclose(two["accompaniment"], four["drums"] + four["bass"] + four["other"], atol=1e-6)
    np.testing.assert_allclose(two["vocals"] + two["accompaniment"], data.track_mixture(track), atol=1e-6)
    # musdb's own accompaniment target is the same sum
    np.testing.assert_allclose(track.targets["accompaniment"].audio.T, two["accompaniment"], atol=1e-6)


def _copy_track(tiny_root, tmp_path):
    src = next((tiny_root / "test").iterdir())
    dst = tmp_path / "musdb" / "test" / src.name
    shutil.copytree(src, dst)
    (tmp_path / "musdb" / "train").mkdir()
    return tmp_path / "musdb", dst


def test_a_user_tree_without_setup_file_opens(tiny_root, tmp_path):
    root, _ = _copy_track(tiny_root, tmp_path)
    before = sorted(p.name for p in root.rglob("*"))
    tracks = data.open_dataset("test", root=root)
    assert len(tracks) == 1
    assert sorted(p.name for p in root.rglob("*")) == before  # nothing written into it


def test_missing_stem_is_named(tiny_root, tmp_path):
    root, track = _copy_track(tiny_root, tmp_path)
    (track / "bass.wav").unlink()
    with pytest.raises(ValueError, match=f"{track.name}.*missing bass.wav"):
        data.open_dataset("test", root=root)


def test_stems_of_different_length_are_named(tiny_root, tmp_path):
    root, track = _copy_track(tiny_root, tmp_path)
    x, rate = sf.read(track / "vocals.wav")
    sf.write(track / "vocals.wav", x[:-100], rate, subtype="PCM_16")
    with pytest.raises(ValueError, match="differ in length.*vocals.wav"):
        data.open_dataset("test", root=root)


def test_unreadable_file_and_wrong_rate_are_named(tiny_root, tmp_path):
    root, track = _copy_track(tiny_root, tmp_path)
    (track / "drums.wav").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="cannot read .*drums.wav"):
        data.open_dataset("test", root=root)
    x, _ = sf.read(track / "mixture.wav")
    sf.write(track / "drums.wav", x, 22050, subtype="PCM_16")
    with pytest.raises(ValueError, match="44100 Hz"):
        data.open_dataset("test", root=root)


def test_mono_stem_is_dual_mono_with_a_warning(tiny_root, tmp_path):
    root, track = _copy_track(tiny_root, tmp_path)
    x, rate = sf.read(track / "other.wav")
    sf.write(track / "other.wav", x[:, 0], rate, subtype="PCM_16")
    with pytest.warns(UserWarning, match="mono"):
        tracks = data.open_dataset("test", root=root)
    with pytest.warns(UserWarning, match="mono"):
        other = data.track_stems(tracks[0])["other"]
    assert other.shape[0] == 2
    np.testing.assert_array_equal(other[0], other[1])


def test_empty_or_missing_folders_get_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such data folder"):
        data.open_dataset("test", root=tmp_path / "nope")
    with pytest.raises(ValueError, match="expected folders train/ and test/"):
        data.open_dataset("test", root=tmp_path)
    (tmp_path / "train").mkdir()
    (tmp_path / "test").mkdir()
    with pytest.raises(ValueError, match="empty"):
        data.open_dataset("test", root=tmp_path)
    with pytest.raises(ValueError, match="split must be one of"):
        data.open_dataset("validation", root=tmp_path)


def test_musdb_path_env_is_used(tiny_root, monkeypatch):
    monkeypatch.setenv("MUSDB_PATH", str(tiny_root))
    assert data.resolve_root() == tiny_root
    assert data.dataset_name() == tiny_root.name
    # named from its root or from its tracks, a data set has one name
    assert data.dataset_of(data.open_dataset("test")) == data.dataset_name()
    assert data.dataset_of(data.open_dataset("train")) == data.dataset_name() + "-train"


def test_offline_flag(monkeypatch, tmp_path):
    monkeypatch.setenv("SEPLIB_OFFLINE", "1")
    monkeypatch.setenv("SEPLIB_DATA", str(tmp_path))  # no previews downloaded there
    assert data.online() is False
    with pytest.raises(ConnectionError, match="internet"):
        data.open_dataset("test", root="previews")
