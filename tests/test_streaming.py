"""A song too long to hold whole is separated from its file to the stems' files a segment at a time.

:func:`seplib.blocks.separate_streaming` must give :func:`seplib.blocks.separate_chunked`'s result
(to float rounding) while holding one segment; ``seplib separate`` uses it above
``seplib.blocks.STREAM_VALUES`` samples (made small here, so a 20-second song is "long").
"""
import numpy as np
import pytest
import soundfile as sf

import seplib.blocks as blocks
from seplib.blocks import separate_chunked, separate_streaming
from seplib.cli import main
from seplib.data.synth import make_song

RATE = 22050


def toy(piece):
    """A separator whose result depends on where it sits in the chunk: a wrong cross-fade shows."""
    ramp = np.linspace(0.2, 1.0, piece.shape[1], dtype=np.float32)
    return {"low": np.tanh(piece) * ramp, "rest": piece - np.tanh(piece) * ramp}


@pytest.mark.parametrize("length, chunk, overlap", [(10007, 1000, 100), (10007, 3000, 0), (10007, 20000, 50),
                                                    (10007, 1000, 499), (10007, 10007, 10), (5, 4, 1)])
def test_streaming_gives_the_chunked_result_in_order(length, chunk, overlap):
    x = np.random.default_rng(0).standard_normal((2, length)).astype(np.float32)
    reads, pieces = [], {"low": [], "rest": []}

    def read(start, stop):
        reads.append((start, stop))
        return x[:, start:stop]

    separate_streaming(toy, read, length, chunk, overlap, lambda stem, p: pieces[stem].append(p.copy()))
    whole = separate_chunked(toy, x, chunk, overlap)
    for stem, got in pieces.items():
        np.testing.assert_allclose(np.concatenate(got, axis=1), whole[stem], atol=1e-6)
    assert max(stop - start for start, stop in reads) <= chunk        # never more than a chunk read at once


def test_streaming_refuses_an_overlap_of_half_a_chunk():
    with pytest.raises(ValueError, match="overlap"):
        separate_streaming(toy, None, 100, 10, 5, None)


@pytest.fixture(scope="module")
def long_song(tmp_path_factory):
    folder = tmp_path_factory.mktemp("long")
    stems, _ = make_song(2, seconds=20.0, rate=RATE)
    mixture = sum(stems.values()).astype(np.float32)
    sf.write(folder / "song.wav", mixture.T, RATE, subtype="FLOAT")
    sf.write(folder / "mono.wav", mixture.mean(axis=0), RATE, subtype="FLOAT")
    return folder, mixture


@pytest.fixture
def short_segments(monkeypatch):
    monkeypatch.setattr(blocks, "STREAM_VALUES", 8 * RATE * 2)          # a song over 8 s is streamed,
    monkeypatch.setattr(blocks, "SEGMENT_VALUES", 6 * RATE * 2)         # 6 s of stereo at a time
    monkeypatch.setattr(blocks, "STREAM_OVERLAP_SECONDS", 1.0)


def test_separate_streams_a_long_song_to_the_chunked_result(long_song, short_segments, tmp_path, capsys):
    from seplib import separate

    folder, mixture = long_song
    assert main(["separate", str(folder / "song.wav"), "--method", "hpss", "--out", str(tmp_path / "o")]) in (0, None)
    err = capsys.readouterr().err
    assert "separating it in segments of 0.1 minutes, cross-faded over 1 s" in err
    expected = separate_chunked(lambda p: separate("hpss", p, RATE), mixture, 6 * RATE, RATE)
    for stem, want in expected.items():
        got, rate = sf.read(tmp_path / "o" / f"{stem}.wav", dtype="float32", always_2d=True)
        assert rate == RATE and sf.info(tmp_path / "o" / f"{stem}.wav").subtype == "FLOAT"
        np.testing.assert_allclose(got.T, want, atol=1e-6)
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["drums.wav", "other.wav"]   # nothing else left


def test_a_short_song_is_still_separated_whole(long_song, tmp_path, capsys):
    folder, _ = long_song
    assert main(["separate", str(folder / "song.wav"), "--method", "hpss", "--out", str(tmp_path / "o")]) in (0, None)
    assert "segments" not in capsys.readouterr().err


def test_a_long_mono_song_gives_mono_stems(long_song, short_segments, tmp_path):
    folder, mixture = long_song
    assert main(["separate", str(folder / "mono.wav"), "--method", "hpss", "--out", str(tmp_path / "o")]) in (0, None)
    for stem in ("drums", "other"):
        info = sf.info(tmp_path / "o" / f"{stem}.wav")
        assert (info.channels, info.frames) == (1, mixture.shape[1])


def test_a_segment_with_nan_leaves_nothing_written(long_song, short_segments, tmp_path):
    from seplib import methods

    calls = []

    def breaks_later(mixture, rate):
        calls.append(1)
        bad = np.full_like(mixture, np.nan) if len(calls) == 3 else mixture
        return {"vocals": bad, "accompaniment": mixture * 0}

    methods.register("breaks-later", breaks_later, family="classical", stems=("vocals", "accompaniment"))
    try:
        folder, _ = long_song
        with pytest.raises(SystemExit, match="NaN or inf samples.*nothing was written") as exit_:
            main(["separate", str(folder / "song.wav"), "--method", "breaks-later", "--out", str(tmp_path / "o")])
    finally:
        methods.unregister("breaks-later")
    assert "breaks-later estimated vocals" in str(exit_.value) and len(calls) == 3
    assert not (tmp_path / "o").exists() and not list(tmp_path.iterdir())   # no stems, no hidden half set


def test_a_full_disk_mid_song_names_the_stem_and_leaves_nothing(long_song, short_segments, tmp_path, monkeypatch):
    import errno

    real, calls = sf.SoundFile.write, []

    def fills(self, data):  # the disk fills once the first segment's stems are written
        calls.append(self.name)
        if len(calls) > 2:
            raise OSError(errno.ENOSPC, "No space left on device", self.name)
        return real(self, data)

    monkeypatch.setattr(sf.SoundFile, "write", fills)
    folder, _ = long_song
    with pytest.raises(SystemExit) as exit_:
        main(["separate", str(folder / "song.wav"), "--method", "hpss", "--out", str(tmp_path / "o")])
    said = str(exit_.value)
    assert any(said.endswith(f"the disk is full: {tmp_path / 'o' / name}") for name in ("drums.wav", "other.wav"))
    assert not list(tmp_path.iterdir())


def test_a_network_streams_a_song_a_classical_method_takes_whole(long_song, monkeypatch, tmp_path, capsys):
    """Between one segment and the whole-song limit, only a network (chunked anyway) is streamed."""
    from seplib import separate

    monkeypatch.setattr(blocks, "STREAM_VALUES", 30 * RATE * 2)         # the 20 s song is not long ...
    monkeypatch.setattr(blocks, "SEGMENT_VALUES", 6 * RATE * 2)         # ... but over one segment
    monkeypatch.setattr(blocks, "STREAM_OVERLAP_SECONDS", 1.0)
    folder, mixture = long_song
    assert main(["separate", str(folder / "song.wav"), "--method", "hpss", "--out", str(tmp_path / "h")]) in (0, None)
    assert "segments" not in capsys.readouterr().err
    assert main(["separate", str(folder / "song.wav"), "--method", "conv1d", "--out", str(tmp_path / "c")]) in (0, None)
    assert "separating it in segments" in capsys.readouterr().err
    # a network works at 44.1 kHz: a 22.05 kHz song's segment holds half the samples, 3 s (overlap: a quarter)
    expected = separate_chunked(lambda p: separate("conv1d", p, RATE), mixture, 3 * RATE, 3 * RATE // 4)
    for stem, want in expected.items():
        got, _ = sf.read(tmp_path / "c" / f"{stem}.wav", dtype="float32", always_2d=True)
        np.testing.assert_allclose(got.T, want, atol=1e-5)
