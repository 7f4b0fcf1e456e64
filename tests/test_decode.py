"""`seplib data decode`: a MUSDB18 .stem.mp4 tree decoded once into the MUSDB18-HQ layout."""
import shutil

import numpy as np
import pytest
import soundfile as sf

from seplib import STEMS
from seplib.data import decode
from seplib.data.musdb import check_track_folder

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                                reason="ffmpeg is not installed: .stem.mp4 files cannot be written or read")
SONGS = {"train": "Synth 001 - Amber Harbor", "test": "Synth 002 - Cobalt Field"}


@pytest.fixture(scope="module")
def stem_root(tmp_path_factory):
    """A MUSDB18 tree of two 2-second synthetic songs, one per subset, encoded as .stem.mp4 (AAC)."""
    import stempeg

    from seplib.data.synth import make_song

    root = tmp_path_factory.mktemp("stems") / "MUSDB18"
    for seed, (subset, name) in enumerate(SONGS.items()):
        stems, info = make_song(seed, seconds=2.0)
        streams = np.stack([sum(stems.values())] + [stems[s] for s in STEMS])  # (5, channels, samples)
        (root / subset).mkdir(parents=True)
        stempeg.write_stems(str(root / subset / f"{name}.stem.mp4"), streams.transpose(0, 2, 1),
                            sample_rate=info["rate"], writer=stempeg.StreamsWriter(codec="aac"))
    return root


@pytest.fixture(scope="module")
def expected(stem_root):
    """{(subset, name): {file: (samples, channels)}} as musdb itself decodes the .stem.mp4 files."""
    import musdb

    decoded = {}
    for subset in SONGS:
        for track in musdb.DB(root=str(stem_root), is_wav=False, subsets=subset).tracks:
            decoded[subset, track.name] = {"mixture": track.audio,
                                           **{s: track.sources[s].audio for s in STEMS}}
    return decoded


def assert_equals_musdb(out, expected):
    assert sorted(p.name for p in (out / "train").iterdir()) == [SONGS["train"]]
    assert sorted(p.name for p in (out / "test").iterdir()) == [SONGS["test"]]
    for (subset, name), files in expected.items():
        folder = out / subset / name
        assert check_track_folder(folder) == len(files["mixture"])
        for stem, audio in files.items():
            wav, rate = sf.read(folder / f"{stem}.wav", dtype="float64")
            assert rate == 44100 and sf.info(str(folder / f"{stem}.wav")).subtype == "PCM_16"
            np.testing.assert_array_equal(wav, audio)  # the very samples musdb decodes


def test_decode_gives_musdbs_samples_and_opens_as_a_wav_tree(stem_root, expected, tmp_path, capsys):
    from seplib.data import open_dataset

    out = decode.decode_tree(stem_root, tmp_path / "MUSDB18-wav", workers=2, progress=False)
    assert_equals_musdb(out, expected)
    assert not (out / decode.PARTIAL).exists()
    tracks = open_dataset("train", root=out)
    assert [t.name for t in tracks] == [SONGS["train"]]
    # run again: nothing to do, the songs are kept as they are
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.wav")}
    decode.decode_tree(stem_root, out, progress=False)
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.wav")} == before
    # a damaged song (a file cut short) is decoded again, and said so
    damaged = out / "test" / SONGS["test"] / "vocals.wav"
    damaged.write_bytes(damaged.read_bytes()[:5000])
    decode.decode_tree(stem_root, out, workers=1, progress=False)
    assert f"decoding {SONGS['test']} again" in capsys.readouterr().out
    assert_equals_musdb(out, expected)


def test_an_interrupted_decode_redoes_the_half_written_song(stem_root, expected, tmp_path, monkeypatch):
    out = tmp_path / "wav"
    real_write, calls = sf.write, []

    def write_then_stop(path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 8:  # the second song's third file: stop as Ctrl-C would
            raise KeyboardInterrupt
        return real_write(path, *args, **kwargs)

    monkeypatch.setattr(decode.sf, "write", write_then_stop)
    with pytest.raises(KeyboardInterrupt):
        decode.decode_tree(stem_root, out, workers=1, progress=False)
    monkeypatch.setattr(decode.sf, "write", real_write)
    # the first song is whole; the second is only in the hidden partial folder, never in test/
    assert [p.name for p in (out / "train").iterdir()] == [SONGS["train"]]
    assert list((out / "test").iterdir()) == []
    assert len(list((out / decode.PARTIAL / "test" / SONGS["test"]).glob("*.wav"))) == 2
    first = {p: p.stat().st_mtime_ns for p in (out / "train").rglob("*.wav")}

    decode.decode_tree(stem_root, out, workers=1, progress=False)
    assert_equals_musdb(out, expected)
    assert {p: p.stat().st_mtime_ns for p in (out / "train").rglob("*.wav")} == first  # kept, not redone
    assert not (out / decode.PARTIAL).exists()


def test_refuses_to_write_into_the_source_tree(stem_root, tmp_path):
    from seplib.cli import main

    before = sorted(p.relative_to(stem_root) for p in stem_root.rglob("*"))
    for inside in (stem_root, stem_root / "wav", stem_root / "train" / "wav"):
        with pytest.raises(ValueError, match="inside the source tree"):
            decode.decode_tree(stem_root, inside, progress=False)
    with pytest.raises(SystemExit) as stop:
        main(["data", "decode", "--root", str(stem_root), "--out", str(stem_root / "wav")])
    said = stop.value.code  # sys.exit(line): printed to stderr, exit status 1
    assert isinstance(said, str)
    assert said.startswith("seplib data: --out") and "inside the source tree" in said and "\n" not in said
    assert sorted(p.relative_to(stem_root) for p in stem_root.rglob("*")) == before  # nothing written
    # a folder holding other things, and the source's own parent, are refused too
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(ValueError, match="not empty and not a decoded tree"):
        decode.decode_tree(stem_root, tmp_path / "mine", progress=False)
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"]
    with pytest.raises(ValueError, match="holds the source tree"):
        decode.decode_tree(stem_root, stem_root.parent, progress=False)


def test_a_wav_tree_needs_no_decoding(tiny_root, tmp_path):
    with pytest.raises(ValueError, match="already holds WAV files"):
        decode.decode_tree(tiny_root, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_training_on_stem_files_says_how_to_decode(stem_root, monkeypatch):
    from seplib.data import chunks, open_dataset

    tracks = open_dataset("train", root=stem_root)
    with pytest.raises(ValueError, match="seplib data decode --root .*MUSDB18 --out .*MUSDB18-wav") as err:
        chunks.RandomChunks(tracks, seconds=0.5, samples_per_epoch=2, load="disk")
    assert "\n" not in str(err.value)
    monkeypatch.setattr(chunks, "IN_MEMORY_BYTES", 1000)  # a set too large for memory
    with pytest.raises(ValueError, match="seplib data decode"):
        chunks.RandomChunks(tracks, seconds=0.5, samples_per_epoch=2)
    monkeypatch.undo()  # a small set (musdb's previews) is decoded into memory, as before
    data = chunks.RandomChunks(tracks, seconds=0.5, samples_per_epoch=2)
    assert isinstance(data.songs, chunks.SongsInMemory) and data[0][1].shape == (4, 2, 22050)
