"""The one front end from masks to waveforms (seplib.masking): its options agree with each other."""
import numpy as np
import pytest
import torch

from seplib import masking, spectral

N_FFT, HOP = 512, 128


@pytest.fixture
def mix_and_masks():
    rng = np.random.default_rng(0)
    mixture = rng.standard_normal((2, 6000)).astype(np.float32)
    X = spectral.stft(mixture, N_FFT, HOP)
    masks = {"a": rng.random(X.shape, dtype=np.float32), "b": rng.random(X.shape[1:], dtype=np.float32)}
    return mixture, X, masks


def test_apply_mask_is_the_complex_product(mix_and_masks):
    _, X, masks = mix_and_masks
    m = torch.from_numpy(masks["a"])
    assert torch.equal(torch.view_as_real(masking.apply_mask(X, m)), torch.view_as_real(X * m))


def test_per_channel_shared_masks_and_rest_agree(mix_and_masks):
    mixture, X, masks = mix_and_masks
    whole = masking.masks_to_waveforms(X, masks, mixture.shape[-1], n_fft=N_FFT, hop=HOP)
    per_channel = masking.masks_to_waveforms(X, masks, mixture=mixture, rest="c", per_channel=True,
                                             n_fft=N_FFT, hop=HOP)
    assert list(per_channel) == ["a", "b", "c"] and whole["a"].dtype == np.float32
    for stem in whole:
        np.testing.assert_array_equal(per_channel[stem], whole[stem])
    shared = masking.masks_to_waveforms(X, {"b": np.repeat(masks["b"][None], 2, axis=0)}, mixture.shape[-1],
                                        n_fft=N_FFT, hop=HOP)
    np.testing.assert_array_equal(shared["b"], whole["b"])  # a (freqs, frames) mask serves every channel
    np.testing.assert_array_equal(per_channel["c"], mixture - (whole["a"] + whole["b"]))
    ones = masking.masks_to_waveforms(X, {"all": np.ones(X.shape[1:], np.float32)}, mixture.shape[-1],
                                      n_fft=N_FFT, hop=HOP)
    np.testing.assert_allclose(ones["all"], mixture, atol=1e-5)  # the inverse STFT gives the mixture back


def test_batched_masks_give_the_waveforms_of_the_dict_form(mix_and_masks):
    mixture, X, masks = mix_and_masks
    stacked = torch.stack([torch.as_tensor(masks["a"]), torch.as_tensor(masks["b"]).expand(X.shape)])
    out = masking.stem_masks_to_waveforms(X[None], stacked[None], mixture.shape[-1], n_fft=N_FFT, hop=HOP)
    assert out.shape == (1, 2, 2, mixture.shape[-1])
    each = masking.masks_to_waveforms(X, masks, mixture.shape[-1], n_fft=N_FFT, hop=HOP)
    for j, stem in enumerate(each):
        np.testing.assert_array_equal(out[0, j].numpy(), each[stem])
    last_as_rest = masking.stem_masks_to_waveforms(X[None], stacked[None], mixture.shape[-1],
                                                   torch.from_numpy(mixture)[None], N_FFT, HOP)
    np.testing.assert_array_equal(last_as_rest[0, 0].numpy(), each["a"])
    np.testing.assert_array_equal(last_as_rest[0, 1].numpy(), mixture - each["a"])


def test_bad_rest_is_named(mix_and_masks):
    mixture, X, masks = mix_and_masks
    with pytest.raises(ValueError, match="pass mixture="):
        masking.masks_to_waveforms(X, masks, mixture.shape[-1], rest="c")
    with pytest.raises(ValueError, match="rest='a' is also a key"):
        masking.masks_to_waveforms(X, masks, mixture=mixture, rest="a", n_fft=N_FFT, hop=HOP)
