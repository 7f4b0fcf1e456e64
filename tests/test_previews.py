"""DATA="previews": musdb's download lands in the data folder, is decoded once, and opens like any folder.

No network: a small tree of .stem.mp4 files (made with ffmpeg through stempeg) stands in for the
download, placed where musdb's download puts its files, and musdb's download call is a no-op.
Everything else is the code path a notebook takes with DATA = "previews".
"""
import shutil

import numpy as np
import pytest
import soundfile as sf

from seplib import STEMS, config, data, metrics
from seplib.data import previews

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                                reason="ffmpeg is not installed: .stem.mp4 files cannot be written or read")
RATE = 44100
SONGS = {("train", "Actions - One Minute Smile"): 1,   # in musdb's validation list: the valid split
         ("train", "A Classic Education - NightOwl"): 2,
         ("test", "Al James - Schoolboy Facination"): 3}


def write_stand_in(root):
    """MUSDB18-7's layout: ``root/{train,test}/<name>.stem.mp4``, 2 s each, 5 stereo AAC streams."""
    import stempeg

    t = np.arange(2 * RATE) / RATE
    for (subset, name), seed in SONGS.items():
        rng = np.random.default_rng(seed)
        stems = [0.1 * np.stack([np.sin(2 * np.pi * f * t), np.sin(2 * np.pi * f * 1.01 * t)], -1)
                 + 0.01 * rng.standard_normal((len(t), 2)) for f in (110.0 * (k + 1) * seed for k in range(4))]
        streams = np.stack([sum(stems), *stems]).astype(np.float32)  # (5, samples, channels): mixture, d, b, o, v
        (root / subset).mkdir(parents=True, exist_ok=True)
        stempeg.write_stems(str(root / subset / f"{name}.stem.mp4"), streams, sample_rate=RATE,
                            writer=stempeg.StreamsWriter(codec="aac"))


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory):
    root = tmp_path_factory.mktemp("download")
    write_stand_in(root)
    return root


@pytest.fixture
def data_folder(tmp_path, monkeypatch):
    """A fresh data folder, and musdb's download call recorded instead of run."""
    import musdb

    monkeypatch.setenv("SEPLIB_DATA", str(tmp_path / "data"))
    monkeypatch.delenv("SEPLIB_MODELS", raising=False)   # models and scores inside that data folder
    monkeypatch.delenv("SEPLIB_RESULTS", raising=False)
    for name in ("SEPLIB_SIZE", "SEPLIB_MODELS_FROM", "MUSDB_PATH"):  # setup_run sets them: undone after the test
        monkeypatch.setenv(name, "")
    monkeypatch.setenv("SEPLIB_MODELS_FROM", "train")
    monkeypatch.setenv("SEPLIB_SIZE", "quick")
    monkeypatch.delenv("MUSDB_PATH")
    calls = []
    monkeypatch.setattr(musdb.DB, "download", lambda self, *a, **k: calls.append(self.root))
    return tmp_path / "data", calls


def test_previews_are_downloaded_into_the_data_folder_decoded_once_and_opened_like_a_folder(
        stand_in, data_folder, monkeypatch):
    import musdb

    folder, calls = data_folder
    shutil.copytree(stand_in, folder / previews.DOWNLOADED)  # where musdb's download puts the files
    monkeypatch.setenv("SEPLIB_OFFLINE", "1")                # once downloaded, no internet is needed
    config.setup_run("quick", data="previews")               # the run cell's DATA = "previews"
    splits = {split: data.open_dataset(split) for split in data.SPLITS}

    assert calls == [str(folder / "MUSDB18-7")]              # musdb was asked to download into the data folder
    assert previews.download_root() == config.data_dir() / "MUSDB18-7"
    assert {split: [t.name for t in tracks] for split, tracks in splits.items()} == {
        "train": ["A Classic Education - NightOwl"], "valid": ["Actions - One Minute Smile"],
        "test": ["Al James - Schoolboy Facination"]}       # musdb's own train / valid / test split
    out = folder / "previews"
    for tracks in splits.values():                           # read from the decoded WAVs
        assert all(str(t.path).startswith(str(out)) for t in tracks)
    # the WAVs hold exactly what musdb decodes from the .stem.mp4 files
    track = musdb.DB(root=str(stand_in), subsets="test").tracks[0]
    song = splits["test"][0]
    for stem in STEMS:
        wav, rate = sf.read(out / "test" / song.name / f"{stem}.wav", dtype="float64")
        np.testing.assert_array_equal(wav, track.sources[stem].audio)
    np.testing.assert_array_equal(data.track_mixture(song), track.audio.T.astype(np.float32))
    # one name for the data set, from its root and from its tracks: scores and models are kept under it
    assert metrics.dataset_of(splits["test"]) == data.dataset_name() == "previews"
    # what notebooks 05-08 do with it: train on the train split (validating on valid), score the test split
    from seplib import train
    from seplib.run import current

    _, history = train.train_model("conv1d", steps=2, progress=False)
    assert history["step"][-1] == 2 and (current().models_dir / "conv1d" / "best.pt").is_file()
    assert current().models_dir == folder / "models" / "previews"
    metrics.evaluate("mixture", splits["test"], progress=False)
    assert metrics.leaderboard("previews").index.tolist() == ["mixture"]

    # decoded once, the .stem.mp4 files are gone; the next opening reads the WAVs, offline, with
    # no download and no decoding
    assert not (folder / "MUSDB18-7").exists()
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.wav")}
    assert [t.name for t in data.open_dataset("valid")] == ["Actions - One Minute Smile"]
    assert calls == [str(folder / "MUSDB18-7")]
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.wav")} == before


def test_previews_offline_with_nothing_downloaded_is_one_line(data_folder, monkeypatch):
    folder, calls = data_folder
    monkeypatch.setenv("SEPLIB_OFFLINE", "1")
    with pytest.raises(ConnectionError) as err:
        data.open_dataset("test", root=data.PREVIEWS)
    assert "\n" not in str(err.value) and "internet" in str(err.value) and "MUSDB18-7" in str(err.value)
    assert calls == [] and not folder.exists()
