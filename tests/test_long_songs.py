"""Long songs in bounded memory: processing in blocks gives the whole-song result.

Each method that separates a long song in overlapping blocks is run here on a short song with
small blocks, and must stay within 0.05 dB SDR of its whole-song result (per stem and
channel). Peak memory and time per length are a benchmark (``benchmarks/long_song.py``), not
a test.
"""
import numpy as np
import pytest

from seplib.data.synth import make_song

RATE = 22050


def sdr(reference, estimate):
    return 10 * np.log10(np.sum(reference ** 2) / max(np.sum((reference - estimate) ** 2), 1e-20))


@pytest.fixture(scope="module")
def song():
    stems, _ = make_song(3, seconds=12.0, rate=RATE)
    return sum(stems.values()).astype(np.float32), stems


def close_to_whole(blocked, whole, stems, bound=0.05):
    for stem, estimate in whole.items():
        assert blocked[stem].shape == estimate.shape
        reference = stems.get(stem, estimate)
        if stem not in stems:  # no true stem (accompaniment): compare with the whole-song result
            assert sdr(estimate, blocked[stem]) > 30, stem
            continue
        for c in range(estimate.shape[0]):
            gap = abs(sdr(reference[c], blocked[stem][c]) - sdr(reference[c], estimate[c]))
            assert gap < bound, f"{stem}[{c}]: blocked differs from whole by {gap:.3f} dB SDR"


def test_hpss_in_blocks_matches_whole(song):
    from seplib.classical.hpss import separate_hpss

    mixture, stems = song
    whole = separate_hpss(mixture, RATE, block_seconds=None)
    blocked = separate_hpss(mixture, RATE, block_seconds=4.0, overlap_seconds=1.0)
    close_to_whole(blocked, whole, stems)
    np.testing.assert_allclose(sum(blocked.values()), mixture, atol=1e-4)  # still sums to the mixture


def test_short_song_is_separated_whole(song):
    from seplib.classical.hpss import separate_hpss

    mixture, _ = song
    a = separate_hpss(mixture, RATE)  # 12 s < one 30 s block
    b = separate_hpss(mixture, RATE, block_seconds=None)
    for stem in a:
        np.testing.assert_array_equal(a[stem], b[stem])


def test_frame_blocks_cover_the_song_once():
    from seplib.blocks import frame_blocks

    for length, hop, n_fft in [(10_000, 256, 1024), (10_240, 256, 1024), (5_000, 300, 1000)]:
        blocks = frame_blocks(length, n_fft, hop, block_frames=7)
        frames = [f for f, _, _ in blocks]
        samples = [s for _, s, _ in blocks]
        assert frames[0].start == 0 and frames[-1].stop == 1 + length // hop
        assert samples[0].start == 0 and samples[-1].stop == length
        assert all(a.stop == b.start for a, b in zip(frames, frames[1:]))
        assert all(a.stop == b.start for a, b in zip(samples, samples[1:]))
        for f, s, c in blocks:  # the chunk starts on a frame and reaches n_fft beyond the block
            assert c.start % hop == 0 and 0 <= c.start and c.stop <= length
            assert c.start <= max(0, s.start - n_fft) and c.stop >= min(length, s.stop + n_fft)


def test_magnitude_in_blocks_equals_whole(song, monkeypatch):
    from seplib import blocks
    from seplib.classical import magnitude, spectrogram

    mixture, _ = song
    monkeypatch.setattr(blocks, "BLOCK_FRAMES", 16)  # 260 frames: 17 blocks
    np.testing.assert_allclose(magnitude(mixture[1]), spectrogram(mixture)[1][1], rtol=1e-5, atol=1e-5)


def test_masks_in_blocks_equal_masks_on_the_whole_stft(song):
    from seplib.classical import masks_to_estimates, spectrogram
    from seplib.masking import masks_in_blocks

    mixture, _ = song
    X, V = spectrogram(mixture)
    masks = {"a": V / (V + V.mean()), "b": np.sqrt(V / V.max())}  # (channels, freqs, frames)
    whole = masks_to_estimates(X, masks, mixture, rest="c")
    blocked = masks_in_blocks(mixture, lambda c, frames, Vb: {k: m[c, :, frames] for k, m in masks.items()},
                              rest="c", block_frames=9)
    assert list(blocked) == list(whole) == ["a", "b", "c"]
    for stem in whole:
        np.testing.assert_allclose(blocked[stem], whole[stem], atol=2e-5)


@pytest.fixture
def small_blocks(monkeypatch):
    """Long-song code paths on a 12 s song: 16-frame STFT blocks, 32-frame NMF blocks."""
    from seplib import blocks
    from seplib.classical import nmf

    monkeypatch.setattr(blocks, "BLOCK_FRAMES", 16)
    monkeypatch.setattr(nmf, "NMF_FRAMES", 32)


@pytest.mark.parametrize("method", ["repet", "repet-sim", "nmf", "nmf-supervised", "classical-nmf",
                                    "oracle-ibm", "oracle-irm", "oracle-wiener"])
def test_methods_in_frame_blocks_match_whole(song, method, request):
    # these methods see the whole song (the period, the similar frames, the factorisation) and
    # work on its spectrogram a block of frames at a time: the same result as all at once
    from seplib import separate

    mixture, stems = song
    kwargs = {"references": stems} if method.startswith("oracle") else {}
    if method.startswith("nmf") or method == "classical-nmf":
        kwargs["n_iter"] = 10
    if method == "nmf-supervised":
        rng = np.random.default_rng(0)
        kwargs["dictionaries"] = {stem: rng.random((2049, 4)).astype(np.float32) for stem in stems}
    whole = separate(method, mixture, RATE, **kwargs)
    request.getfixturevalue("small_blocks")
    blocked = separate(method, mixture, RATE, **kwargs)
    close_to_whole(blocked, whole, stems, bound=1e-3)
    if not method.startswith("oracle"):
        np.testing.assert_allclose(sum(blocked.values()), mixture, atol=1e-4)


@pytest.mark.parametrize("beta", ["euclidean", "kl"])
def test_nmf_factorisation_in_frame_blocks_matches_whole(beta, monkeypatch):
    import torch

    from seplib.classical import nmf

    V = np.random.default_rng(0).random((50, 300)).astype(np.float32) ** 2
    W, H, costs = nmf.nmf(V, 5, beta, n_iter=30, device=torch.device("cpu"))
    monkeypatch.setattr(nmf, "NMF_FRAMES", 7)
    Wb, Hb, costs_b = nmf.nmf(V, 5, beta, n_iter=30, device=torch.device("cpu"))
    torch.testing.assert_close(Wb, W, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(Hb, H, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(costs_b, costs, rtol=1e-6)


def test_nmf_leaves_the_initial_activations_alone():
    import torch

    from seplib.classical import nmf

    V = np.random.default_rng(0).random((20, 30)).astype(np.float32)
    H0 = np.ones((3, 30), dtype=np.float32)
    nmf.nmf(V, W=np.ones((20, 3), dtype=np.float32), H=H0, n_iter=3, device=torch.device("cpu"))
    assert np.all(H0 == 1)


def test_classical_repet_on_a_long_song_blocks_its_hpss(song, monkeypatch):
    from seplib import separate
    from seplib.classical import hpss

    mixture, stems = song
    whole = separate("classical-repet", mixture, RATE)
    monkeypatch.setattr(hpss.separate_hpss, "__defaults__",
                        hpss.separate_hpss.__defaults__[:-2] + (4.0, 1.0))
    blocked = separate("classical-repet", mixture, RATE)
    close_to_whole(blocked, whole, stems)


def test_lowpass_in_blocks_matches_whole(monkeypatch):
    from seplib.classical import pipelines

    x = np.random.default_rng(0).standard_normal((2, 5 * RATE)).astype(np.float32)
    whole = pipelines.lowpass(x, RATE, 150.0)
    whole_40 = pipelines.lowpass(x, RATE, 40.0)  # a longer memory: wider margins
    monkeypatch.setattr(pipelines, "LOWPASS_BLOCK_SECONDS", 0.3)  # 17 blocks
    np.testing.assert_allclose(pipelines.lowpass(x, RATE, 150.0), whole, atol=1e-6)
    np.testing.assert_allclose(pipelines.lowpass(x, RATE, 40.0), whole_40, atol=1e-6)


@pytest.mark.parametrize("method, most", [("hpss", 3.0), ("repet", 3.0), ("repet-sim", 3.0), ("nmf", 4.5),
                                          ("classical-nmf", 4.5), ("classical-repet", 5.0)])
def test_memory_grows_by_a_few_songs_per_song(song, method, most, monkeypatch):
    """Peak numpy memory (tracemalloc) on a 12 s and a 36 s song, with small blocks so that a
    block's share is small: the growth, in song-sized arrays per song, is what a long song costs
    (the estimates themselves are one per stem). Whole-song processing held 5 to 17.
    (Only numpy's arrays are traced: the STFT blocks and NMF's work buffers, in torch, are
    bounded by the block and checked by ``benchmarks/long_song.py``.)"""
    import tracemalloc

    from seplib import blocks, separate
    from seplib.classical import hpss, nmf, pipelines, repet

    monkeypatch.setattr(blocks, "BLOCK_FRAMES", 16)
    monkeypatch.setattr(nmf, "NMF_FRAMES", 32)
    monkeypatch.setattr(repet, "MEDIAN_FRAMES", 16)
    monkeypatch.setattr(pipelines, "LOWPASS_BLOCK_SECONDS", 2.0)
    monkeypatch.setattr(hpss.separate_hpss, "__defaults__", hpss.separate_hpss.__defaults__[:-2] + (4.0, 1.0))
    kwargs = {"n_iter": 2} if "nmf" in method else {"block": 32} if method == "repet-sim" else {}
    peaks, sizes = [], []
    for repeats in (1, 3):
        mixture = np.concatenate([song[0]] * repeats, axis=1)
        tracemalloc.start()
        separate(method, mixture, RATE, **kwargs)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        sizes.append(mixture.nbytes)
    growth = (peaks[1] - peaks[0]) / (sizes[1] - sizes[0])
    print(f"{method}: {growth:.2f} song-sized arrays per song")
    assert growth < most, f"{method} holds {growth:.2f} song-sized arrays per song of input (at most {most})"


@pytest.mark.parametrize("kind", ["irm", "wiener"])
def test_an_oracle_reads_a_wav_tracks_stems_a_block_at_a_time(tiny_root, kind, small_blocks, monkeypatch):
    # given a MUSDB18-HQ track, an oracle reads each block's samples of the true stems from
    # their files (a 10-minute song's four stems are never all in memory), with the result of
    # the stems given in memory
    import seplib.data
    import seplib.data.musdb
    from seplib import separate
    from seplib.data import open_dataset, track_mixture, track_stems

    track = open_dataset("test", root=tiny_root)[0]
    mixture = track_mixture(track)
    in_memory = separate(f"oracle-{kind}", mixture, track.rate, references=track_stems(track))

    def read_whole(*args, **kwargs):
        raise AssertionError("the stems were read whole")

    monkeypatch.setattr(seplib.data, "track_stems", read_whole)
    monkeypatch.setattr(seplib.data.musdb, "track_stems", read_whole)
    from seplib.data import references_of

    from_disk = separate(f"oracle-{kind}", mixture, track.rate, references=references_of(track))
    for stem in in_memory:
        np.testing.assert_allclose(from_disk[stem], in_memory[stem], atol=1e-6)
    with pytest.raises(ValueError, match=rf"{track.name}.*stems hold {mixture.shape[1]} samples, the mixture"):
        separate(f"oracle-{kind}", mixture[:, :-100], track.rate, references=references_of(track))
