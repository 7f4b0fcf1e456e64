import librosa
import numpy as np
import pytest
import torch

from seplib import oracles, separate, spectral


@pytest.mark.parametrize("n_fft,hop", [(4096, 1024), (1024, 256), (512, 128)])
def test_stft_matches_librosa_and_torch(n_fft, hop):
    x = np.random.default_rng(1).standard_normal((2, 10000)).astype(np.float32)
    X = spectral.stft(x, n_fft, hop).numpy()
    ref = librosa.stft(x, n_fft=n_fft, hop_length=hop, center=True, pad_mode="constant")
    assert X.shape == ref.shape == (2, n_fft // 2 + 1, 1 + 10000 // hop)
    assert np.abs(X - ref).max() < 1e-4 * np.abs(ref).max()
    window = torch.hann_window(n_fft)
    plain = torch.stft(torch.from_numpy(x), n_fft, hop, window=window, return_complex=True,
                       pad_mode="constant").numpy()
    np.testing.assert_allclose(X, plain, atol=1e-4)


@pytest.mark.parametrize("length", [4096, 10001, 44100])
def test_perfect_reconstruction(length):
    x = np.random.default_rng(2).standard_normal((3, 2, length)).astype(np.float32)
    y = spectral.istft(spectral.stft(x), length).numpy()
    assert y.shape == x.shape
    assert np.abs(y - x).max() < 1e-5


@pytest.mark.parametrize("make", [spectral.ideal_binary_mask, spectral.ideal_ratio_mask, spectral.wiener_mask])
def test_masks_sum_to_one_and_lie_in_unit_interval(make, random_stems):
    mags = spectral.magnitudes(random_stems)
    mags["other"][..., :3] = 0  # silent bins everywhere for one stem
    masks = make(mags)
    total = sum(masks.values())
    assert torch.allclose(total, torch.ones_like(total), atol=1e-5)
    for m in masks.values():
        assert m.min() >= 0 and m.max() <= 1


def test_binary_mask_picks_the_loudest_stem():
    mags = {"a": torch.tensor([[[1.0, 3.0]]]), "b": torch.tensor([[[2.0, 1.0]]])}
    m = spectral.ideal_binary_mask(mags)
    assert m["a"].tolist() == [[[0.0, 1.0]]] and m["b"].tolist() == [[[1.0, 0.0]]]


def _sdr(est, ref):
    return 10 * np.log10(np.sum(ref ** 2) / np.sum((ref - est) ** 2))


@pytest.mark.parametrize("kind", ["ibm", "irm", "wiener"])
def test_oracles_beat_the_mixture_and_sum_to_it(kind, random_stems):
    mixture = sum(random_stems.values())
    est = separate(f"oracle-{kind}", mixture, 44100, references=random_stems)
    assert set(est) == set(random_stems)
    for s, ref in random_stems.items():
        assert _sdr(est[s], ref) > _sdr(mixture, ref) + 3, s
    assert np.abs(sum(est.values()) - mixture).max() < 1e-4


def test_wiener_beats_binary_on_overlapping_sources(random_stems):
    mixture = sum(random_stems.values())
    ibm = oracles.oracle(random_stems, "ibm")
    wiener = oracles.oracle(random_stems, "wiener")
    gain = np.mean([_sdr(wiener[s], r) - _sdr(ibm[s], r) for s, r in random_stems.items()])
    assert gain > 0
    assert mixture.shape == wiener["vocals"].shape


def test_oracle_rejects_stems_of_different_length(random_stems):
    random_stems["bass"] = random_stems["bass"][:, :-5]
    with pytest.raises(ValueError, match="differ in length"):
        oracles.oracle(random_stems, "irm")
    with pytest.raises(ValueError, match="unknown mask kind"):
        oracles.oracle(random_stems, "ideal")


def test_unit_helpers():
    assert spectral.seconds_to_samples(0.5, 44100) == 22050
    assert np.isclose(spectral.frame_to_seconds(43, 44100, 1024), 0.998, atol=1e-3)


def test_phase_sensitive_mask_is_the_best_real_mask_per_bin(random_stems):
    specs = {n: spectral.stft(s).to(torch.complex128) for n, s in random_stems.items()}
    X = sum(specs.values())
    free = spectral.phase_sensitive_mask(specs, X, bounds=None)
    bounded = spectral.phase_sensitive_mask(specs, X)
    total = sum(free.values())
    sounding = X.abs() ** 2 > spectral.EPS
    assert torch.allclose(total[sounding], torch.ones_like(total[sounding]), atol=1e-6)  # Re(sum S_j / X) = 1
    wiener = spectral.wiener_mask({n: S.abs() for n, S in specs.items()})
    for n, S in specs.items():
        assert bounded[n].min() >= 0 and bounded[n].max() <= 1

        def error(mask):
            return (mask * X - S).abs() ** 2

        def no_better_than(mask, best):
            return (error(best) <= error(mask) + 1e-9 * (S.abs() ** 2 + 1)).all()

        truemag = torch.where(X.abs() > 0, S.abs() / X.abs().clamp_min(1e-30), 0.0)  # |S| with X's phase
        # no other real mask does better in any bin, and no other mask in [0, 1] beats the bounded one
        assert no_better_than(0.9 * free[n], free[n]) and no_better_than(1.1 * free[n], free[n])
        assert no_better_than(truemag, free[n]) and no_better_than(bounded[n], free[n])
        assert no_better_than(wiener[n], bounded[n]) and no_better_than(bounded[n].clamp(0.1, 0.9), bounded[n])


def test_phase_sensitive_mask_of_a_silent_mixture_is_zero():
    S = torch.ones(1, 3, 2, dtype=torch.complex64)
    X = torch.zeros(1, 3, 2, dtype=torch.complex64)
    assert spectral.phase_sensitive_mask({"a": S}, X, bounds=None)["a"].abs().max() == 0
