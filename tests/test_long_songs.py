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


@pytest.mark.parametrize("method", ["nmf", "classical-nmf"])
def test_nmf_masks_in_frame_blocks_match_whole(song, method, monkeypatch):
    # NMF itself sees every frame (blocking the factorisation would change the result by far
    # more than 0.05 dB); only its masks are made a block of frames at a time
    from seplib import separate
    from seplib.classical import nmf

    mixture, stems = song
    whole = separate(method, mixture, RATE, n_iter=10)
    monkeypatch.setattr(nmf, "MASK_FRAMES", 7)
    blocked = separate(method, mixture, RATE, n_iter=10)
    close_to_whole(blocked, whole, stems, bound=1e-3)
    np.testing.assert_allclose(sum(blocked.values()), mixture, atol=1e-4)


def test_classical_repet_on_a_long_song_blocks_its_hpss(song, monkeypatch):
    from seplib import separate
    from seplib.classical import hpss

    mixture, stems = song
    whole = separate("classical-repet", mixture, RATE)
    monkeypatch.setattr(hpss.separate_hpss, "__defaults__",
                        hpss.separate_hpss.__defaults__[:-2] + (4.0, 1.0))
    blocked = separate("classical-repet", mixture, RATE)
    close_to_whole(blocked, whole, stems)
