"""Panning (azimuth) separation: the pan law turned around, the azimuth histogram's peaks, masks
that sum to one, a two-source mix with known pans split well above the mixture, mono refused."""
import librosa
import numpy as np
import pytest

from seplib import methods, metrics, separate, spectral
from seplib.classical import panning

RATE = 22050


def tones(seconds=2.0, rate=RATE):
    """Two sources far apart in frequency: a low and a high harmonic tone, noise-free."""
    t = np.arange(int(seconds * rate)) / rate
    low = sum(np.sin(2 * np.pi * 110 * k * t) / k for k in range(1, 4))
    high = sum(np.sin(2 * np.pi * 1760 * k * t) / k for k in range(1, 3)) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))
    return low.astype(np.float32), high.astype(np.float32)


def test_the_pan_law_and_its_inverse():
    g_l, g_r = panning.pan_gains(np.linspace(-1, 1, 9))
    assert np.allclose(g_l ** 2 + g_r ** 2, 1)  # constant power
    assert np.isclose(g_l[0], 1) and np.isclose(g_r[-1], 1) and np.isclose(g_l[4], g_r[4])
    pans = np.array([-1, -0.6, 0, 0.35, 1.0])
    g_l, g_r = panning.pan_gains(pans)
    assert np.allclose(panning.pan_index(3 * g_l, 3 * g_r), pans, atol=1e-6)  # any level, same position
    assert panning.pan_index(np.zeros(2), np.zeros(2)).tolist() == [0, 0]  # silent bins: the centre
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        panning.pan_gains(1.5)


def test_the_pan_index_from_librosas_stft_is_the_same():
    low, high = tones(1.0)
    mix = panning.pan_mono(low, -0.5) + panning.pan_mono(high, 0.4)
    ours, _ = panning.pan_features(mix, n_fft=1024, hop=256)
    L, R = (np.abs(librosa.stft(c, n_fft=1024, hop_length=256, center=True, pad_mode="constant")) for c in mix)
    loud = (L ** 2 + R ** 2) > 1e-6 * (L ** 2 + R ** 2).max()
    assert np.abs(ours - panning.pan_index(L, R))[loud].max() < 1e-3


def test_two_sources_with_known_pans_are_split_well_above_the_mixture():
    low, high = tones()
    images = {"low": panning.pan_mono(low, -0.6), "high": panning.pan_mono(high, 0.5)}
    mix = images["low"] + images["high"]
    pan, energy = panning.pan_features(mix)
    positions = panning.pan_positions(pan, energy)
    assert len(positions) == 2 and np.allclose(sorted(positions), [-0.6, 0.5], atol=0.025)
    sources, rest, used = panning.separate_by_pan(mix)
    assert np.allclose(sources[0] + sources[1] + rest, mix, atol=1e-4)
    for name, pan_k in (("low", -0.6), ("high", 0.5)):
        est = sources[int(np.argmin(np.abs(used - pan_k)))]
        assert metrics.sdr(est, images[name]) > metrics.sdr(mix, images[name]) + 15, name


def test_masks_sum_to_one_and_share_between_close_positions():
    pan = np.random.default_rng(0).uniform(-1, 1, (64, 50)).astype(np.float32)
    for positions in ([0.0], [-0.5, 0.5], [-0.1, 0.0, 0.1]):
        masks, rest = panning.azimuth_masks(pan, positions, width=0.2)
        assert masks.shape == (len(positions), 64, 50)
        assert np.allclose(masks.sum(0) + rest, 1, atol=1e-6) and masks.min() >= 0 and rest.min() >= 0
    masks, rest = panning.azimuth_masks(np.array([0.0, 1.0]), [0.0])
    assert np.isclose(masks[0, 0], 1) and rest[1] > 0.99  # at the position: all; far away: the rest
    with pytest.raises(ValueError, match="width"):
        panning.azimuth_masks(pan, [0.0], width=0)


def test_the_method_gives_other_as_what_is_off_centre():
    low, high = tones()
    centre, side = panning.pan_mono(low, 0.0), panning.pan_mono(high, 0.7)
    mix = centre + side
    record = methods.get("panning")
    assert record.family == "classical" and record.stems == ("other",) and record.taught_in == "10_panning"
    est = separate("panning", mix, RATE)
    assert set(est) == {"other"} and est["other"].shape == mix.shape
    assert metrics.sdr(est["other"], side) > metrics.sdr(mix, side) + 15
    mask, where = panning.centre_mask(mix)
    assert where == 0.0 and mask.shape == spectral.stft(mix[0]).shape


def test_mono_input_is_refused_in_one_line():
    mono = tones(0.5)[0][None]
    with pytest.raises(ValueError, match="stereo mixture.*1 channel") as err:
        separate("panning", mono, RATE)
    assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match="stereo"):
        panning.pan_features(np.zeros((3, 4096), np.float32))


def test_a_silent_mixture_gives_silence():
    silent = np.zeros((2, RATE), np.float32)
    assert not separate("panning", silent, RATE)["other"].any()
    pan, energy = panning.pan_features(silent)
    assert panning.pan_positions(pan, energy).size == 0


def test_a_long_song_in_blocks_gives_the_whole_song_result_in_bounded_memory(monkeypatch):
    """The masks are applied a block of frames at a time: the same result, and the numpy memory
    grows by a few song-sized arrays per song (the pan index, the energy, the mask, the estimate)."""
    import tracemalloc

    from seplib import blocks

    low, high = tones(4.0)
    mix = panning.pan_mono(low, 0.0) + panning.pan_mono(high, 0.6)
    whole = separate("panning", mix, RATE)["other"]
    monkeypatch.setattr(blocks, "BLOCK_FRAMES", 16)
    assert np.abs(separate("panning", mix, RATE)["other"] - whole).max() < 1e-4
    peaks, sizes = [], []
    for repeats in (1, 3):
        x = np.concatenate([mix] * repeats, axis=1)
        tracemalloc.start()
        separate("panning", x, RATE)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        sizes.append(x.nbytes)
    growth = (peaks[1] - peaks[0]) / (sizes[1] - sizes[0])
    assert growth < 4.5, f"panning holds {growth:.2f} song-sized arrays per song of input"
