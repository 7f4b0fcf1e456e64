"""The synthetic default data set: deterministic, exact sums, musical structure, musdb-readable, safe on disk."""
import json

import musdb
import numpy as np
import pytest
import soundfile as sf
from scipy import signal

from seplib import sizes
from seplib.data import synth

RATE = 44100
FILES = ["mixture.wav"] + [f"{s}.wav" for s in synth.STEMS]


@pytest.fixture
def tiny(monkeypatch):
    """A 4-song, 3-second run size, so the data-set tests take a second or two."""
    monkeypatch.setitem(sizes.TABLE, "tiny", {"data": dict(train=2, valid=1, test=1, seconds=3.0)})
    return "tiny"


def _wavs(root):
    return sorted(p for p in root.rglob("*.wav"))


def centroid(x):
    power = np.abs(np.fft.rfft(x.mean(axis=0))) ** 2
    return float((power * np.fft.rfftfreq(x.shape[1], 1 / RATE)).sum() / power.sum())


def flux(x):
    """Mean positive spectral flux, relative to the total magnitude: high for hits, low for held notes."""
    _, _, spec = signal.stft(x.mean(axis=0), RATE, nperseg=1024, noverlap=512)
    mag = np.abs(spec)
    return float(np.maximum(np.diff(mag, axis=1), 0).sum() / mag.sum())


def test_song_is_stereo_quantised_and_sums_exactly():
    stems, info = synth.make_song(3, seconds=4.0)
    assert list(stems) == list(synth.STEMS)
    mixture = sum(stems.values())
    for name, x in stems.items():
        assert x.shape == (2, 4 * RATE) and x.dtype == np.float32
        assert np.sqrt((x ** 2).mean()) > 0.01, f"{name} is (nearly) silent"
        assert np.array_equal(x * 32768, np.round(x * 32768)), f"{name} is not on the 16-bit grid"
        assert not np.array_equal(x[0], x[1]), f"{name} is not stereo"
    assert 0.85 < np.abs(mixture).max() < 0.9  # -1 dBFS
    json.dumps(info)  # info is JSON-ready
    assert info["rate"] == RATE and 80 <= info["tempo"] <= 140
    assert 150 <= info["vocal_range_hz"][0] < info["vocal_range_hz"][1] <= 700


def test_songs_are_deterministic_and_differ_by_seed():
    a, _ = synth.make_song(5, seconds=3.0)
    b, _ = synth.make_song(5, seconds=3.0)
    c, _ = synth.make_song(6, seconds=3.0)
    for s in synth.STEMS:
        assert np.array_equal(a[s], b[s])
        assert not np.array_equal(a[s], c[s])


def test_stems_have_their_own_character():
    songs = [synth.make_song(seed, seconds=4.0)[0] for seed in range(4)]
    for stems in songs:  # bass lives below the voice, the voice below the cymbals
        assert centroid(stems["bass"]) < 0.7 * centroid(stems["vocals"])
        assert centroid(stems["vocals"]) < centroid(stems["drums"])
    drums = np.mean([flux(s["drums"]) for s in songs])
    for other in ("bass", "other", "vocals"):  # drums are hits: more onsets than held notes
        assert drums > 1.3 * np.mean([flux(s[other]) for s in songs])


def test_vocals_sing_phrases_with_rests():
    for seed in range(3):
        vocals = synth.make_song(seed, seconds=8.0)[0]["vocals"].mean(axis=0)
        win, hop = RATE // 2, RATE // 10
        rms = np.array([np.sqrt((vocals[i:i + win] ** 2).mean()) for i in range(0, vocals.size - win, hop)])
        first = np.argmax(rms > 0.1 * rms.max())
        assert (rms[first:] < 0.03 * rms.max()).any(), "no rest after the singing starts"
        assert (rms > 0.3 * rms.max()).mean() > 0.3, "too little singing"


def test_dataset_is_deterministic_and_mixture_is_exact_sum(tmp_path, tiny):
    a = synth.write_dataset(tmp_path / "a", size=tiny, seed=1, progress=False)
    b = synth.write_dataset(tmp_path / "b", size=tiny, seed=1, progress=False, workers=2)  # same bytes
    c = synth.write_dataset(tmp_path / "c", size=tiny, seed=2, progress=False)
    files_a = _wavs(a)
    assert len(files_a) == 4 * 5
    for fa, fb in zip(files_a, _wavs(b)):
        assert fa.relative_to(a) == fb.relative_to(b) and fa.read_bytes() == fb.read_bytes()
    assert (a / "setup.yaml").read_bytes() == (b / "setup.yaml").read_bytes()
    assert (a / "seplib.json").read_bytes() == (b / "seplib.json").read_bytes()
    assert set(p.read_bytes() for p in files_a).isdisjoint(p.read_bytes() for p in _wavs(c))
    for track in (a / "train").iterdir():
        info = sf.info(str(track / "mixture.wav"))
        assert (info.samplerate, info.channels, info.subtype) == (RATE, 2, "PCM_16")
        stems = [sf.read(track / f"{s}.wav", dtype="int16")[0].astype(np.int32) for s in synth.STEMS]
        mixture = sf.read(track / "mixture.wav", dtype="int16")[0]
        assert np.array_equal(sum(stems), mixture)
        assert all(np.abs(s).max() > 1000 for s in stems)


def test_musdb_reads_the_tree(tmp_path, tiny):
    root = synth.write_dataset(tmp_path / "set", size=tiny, seed=0, progress=False)
    marker = json.loads((root / "seplib.json").read_text())
    expected = synth.track_list(tiny, 0)
    splits = dict(train=dict(subsets="train", split="train"), valid=dict(subsets="train", split="valid"),
                  test=dict(subsets="test"))
    for split, kwargs in splits.items():
        db = musdb.DB(root=str(root), is_wav=True, setup_file="setup.yaml", **kwargs)
        names = [name for name, _ in expected[split]]
        assert [t.name for t in db] == sorted(names) == sorted(marker["tracks"][split])
    track = db[0]
    mixture = sf.read(track.path)[0]
    assert track.rate == RATE and track.audio.shape == (3 * RATE, 2)
    assert np.abs(track.audio - mixture).max() <= 1 / 32768 and np.abs(mixture).max() > 0.5
    stems = sum(track.targets[s].audio for s in synth.STEMS)
    assert np.abs(stems - track.audio).max() <= 1e-9
    assert set(marker["song_info"]) == {n for songs in expected.values() for n, _ in songs}


def test_refuses_a_foreign_folder(tmp_path, tiny):
    (tmp_path / "my_music.wav").write_bytes(b"not ours")
    with pytest.raises(ValueError, match="not empty"):
        synth.write_dataset(tmp_path, size=tiny, progress=False)
    assert [p.name for p in tmp_path.iterdir()] == ["my_music.wav"]


def test_reuses_a_complete_set_and_completes_a_broken_one(tmp_path, tiny, monkeypatch):
    root = synth.write_dataset(tmp_path / "set", size=tiny, seed=0, progress=False)
    files = [p for p in root.rglob("*") if p.is_file()]
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in files}
    real = synth.make_song
    monkeypatch.setattr(synth, "make_song", lambda *a, **k: pytest.fail("regenerated a complete set"))
    assert synth.write_dataset(root, size=tiny, seed=0, progress=False) == root
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in files} == before

    lost = next(root.rglob("vocals.wav"))
    lost.unlink()  # as if a crash had stopped the writing
    calls = []
    monkeypatch.setattr(synth, "make_song", lambda *a, **k: calls.append(a) or real(*a, **k))
    with pytest.warns(UserWarning, match=r"rewriting 1 damaged song.*vocals.wav is missing"):
        synth.write_dataset(root, size=tiny, seed=0, progress=False)
    assert len(calls) == 1 and lost.read_bytes() == before[lost][1]
    assert not list(root.rglob("*.tmp"))


def test_other_size_or_seed_is_an_error(tmp_path, tiny):
    root = synth.write_dataset(tmp_path / "set", size=tiny, seed=0, progress=False)
    with pytest.raises(ValueError, match="another root"):
        synth.write_dataset(root, size="quick", seed=0, progress=False)
    with pytest.raises(ValueError, match="another root"):
        synth.write_dataset(root, size=tiny, seed=1, progress=False)
    with pytest.raises(ValueError, match="size must be one of"):
        synth.write_dataset(tmp_path / "new", size="huge")
