"""A bag of models: several networks of one model, their masks averaged, saved as one checkpoint."""
import numpy as np
import pytest
import torch

import seplib
from seplib import RATE, STEMS, models
from seplib.models import checkpoint
from seplib.models.bag import Bag, save_bag


def quick(name="unet", seed=0, **hparams):
    torch.manual_seed(seed)
    return models.build(name, **{**models.hparams(name, "quick"), **hparams}).eval()


def saved(model, path):
    return checkpoint.save(path, {**checkpoint.model_info(model), "model_state": model.state_dict(), "step": 3})


@pytest.fixture
def mixture():
    return torch.from_numpy(np.random.default_rng(0).standard_normal((1, 2, RATE // 2)).astype(np.float32) * 0.1)


def test_a_bags_masks_are_its_members_masks_averaged_and_still_sum_to_one(mixture):
    members = [quick(seed=s) for s in range(3)]
    bag = Bag(members).eval()
    with torch.no_grad():
        own = torch.stack([m.masks(mixture) for m in members])
        masks = bag.masks(mixture)
        estimates = bag(mixture)
        each = torch.stack([m(mixture) for m in members])
    assert torch.allclose(masks, own.mean(0), atol=1e-6)
    assert not torch.allclose(own[0], own[1], atol=1e-3)  # the members differ, so the average is not one of them
    assert torch.allclose(masks.sum(dim=1), torch.ones_like(masks[:, 0]), atol=1e-5)
    # averaging the masks is averaging the estimates (they are linear in the masks)
    assert torch.allclose(estimates, each.mean(0), atol=1e-5)
    assert bag.hparams == members[0].hparams and bag.stems == members[0].stems
    assert bag.chunk_multiple == members[0].chunk_multiple


def test_a_bag_refuses_unlike_members():
    with pytest.raises(ValueError, match="at least one member"):
        Bag([])
    with pytest.raises(ValueError, match="member 1 is a UNet with .*'n_fft': 2048.*one model on one STFT"):
        Bag([quick(), quick(n_fft=2048)])
    with pytest.raises(ValueError, match="spectrogram-masking models, not DemucsLite"):
        Bag([quick("demucs-lite"), quick("demucs-lite", 1)])


def test_a_saved_bag_loads_as_a_bag_and_separates_as_its_members_on_average(tmp_path):
    # members may differ in what is not their STFT: width, inputs
    members = [quick(seed=0), quick(seed=1, hidden_channels=6), quick(seed=2, kernel_size=3)]
    paths = [saved(m, tmp_path / f"m{i}.pt") for i, m in enumerate(members)]
    path = save_bag(paths, tmp_path / "bag.pt", seeds=[0, 1, 2])
    bag = models.load(path, device="cpu", name="unet")
    assert isinstance(bag, Bag) and [m.hparams for m in bag.members] == [m.hparams for m in members]
    assert all(p.dtype == torch.float32 for p in bag.parameters())  # stored as float16
    ckpt = checkpoint.read(path)
    assert ckpt["seeds"] == [0, 1, 2] and ckpt["steps"] == [3, 3, 3] and ckpt["step"] == 3
    # the first member is also the file's model_state: an older reader gets one working network
    first = ckpt[checkpoint.BAG_KEY][0]
    assert first["hparams"] == ckpt["hparams"] == members[0].hparams
    assert all(torch.equal(ckpt["model_state"][k], first["model_state"][k]) for k in ckpt["model_state"])
    assert models.load(path, device="cpu").hparams == members[0].hparams
    x = np.random.default_rng(1).standard_normal((2, RATE)).astype(np.float32) * 0.1
    together = seplib.separate("unet", x, RATE, checkpoint=path, device="cpu")
    alone = [seplib.separate("unet", x, RATE, model=m) for m in members]
    for stem in STEMS:  # float16 weights: the same separation, to float16's precision
        assert np.abs(together[stem] - np.mean([a[stem] for a in alone], 0)).max() < 1e-2 * np.abs(x).max()
    assert np.abs(sum(together.values()) - x).max() < 1e-4  # the stems still add up to the mixture


def test_save_bag_refuses_what_is_not_a_bag_and_keeps_an_existing_file(tmp_path):
    a = saved(quick(seed=0), tmp_path / "a.pt")
    with pytest.raises(ValueError, match="two or more checkpoints, got 1"):
        save_bag([a], tmp_path / "bag.pt")
    b = saved(quick(hop=256), tmp_path / "b.pt")
    with pytest.raises(ValueError, match=r"b.pt holds a 'unet' with .*'hop': 256.* not a 'unet' with .* as .*a.pt"):
        save_bag([a, b], tmp_path / "bag.pt")
    assert not (tmp_path / "bag.pt").exists()
    existing = tmp_path / "mine.pt"
    existing.write_bytes(b"my own file")
    with pytest.raises(FileExistsError, match="mine.pt exists"):
        save_bag([a, a], existing)
    assert existing.read_bytes() == b"my own file"


def test_a_bag_with_a_member_that_diverged_is_refused(tmp_path):
    members = [quick(seed=s) for s in range(2)]
    path = save_bag([saved(m, tmp_path / f"m{i}.pt") for i, m in enumerate(members)], tmp_path / "bag.pt")
    ckpt = checkpoint.read(path)
    broken = {k: v.clone() for k, v in ckpt[checkpoint.BAG_KEY][1]["model_state"].items()}
    name = next(k for k, v in broken.items() if v.is_floating_point())
    broken[name][0] = float("nan")
    ckpt[checkpoint.BAG_KEY] = [ckpt[checkpoint.BAG_KEY][0], {**ckpt[checkpoint.BAG_KEY][1], "model_state": broken}]
    checkpoint.save(tmp_path / "bad.pt", ckpt)
    with pytest.raises(ValueError, match=rf"bad.pt holds weights that are not finite .*{name}"):
        models.load(tmp_path / "bad.pt", device="cpu")


def test_a_mirrored_bag_hears_both_sides_and_is_exactly_symmetric(mixture):
    members = [quick(seed=s) for s in range(2)]
    plain, mirrored = Bag(members).eval(), Bag(members, mirror=True).eval()
    swapped = mixture.flip(1)  # left and right swapped
    with torch.no_grad():
        masks = mirrored.masks(mixture)
        # the plain bag's masks of the song, and of its mirror image swapped back, averaged
        both = (plain.masks(mixture) + plain.masks(swapped).flip(2)) / 2
        out, out_swapped = mirrored(mixture), mirrored(swapped)
        plain_out, plain_swapped = plain(mixture), plain(swapped)
    assert torch.allclose(masks, both, atol=1e-6)
    assert torch.allclose(masks.sum(dim=1), torch.ones_like(masks[:, 0]), atol=1e-5)
    # swap the song's channels and the stems' channels swap: exactly so for the mirrored bag,
    # not for its networks alone, which hear the two sides a little differently
    assert torch.allclose(out_swapped, out.flip(2), atol=1e-5)
    assert not torch.allclose(plain_swapped, plain_out.flip(2), atol=1e-3)


def test_a_mirror_is_saved_with_the_bag_and_asked_of_stereo_networks_only(tmp_path):
    members = [quick(seed=s) for s in range(2)]
    paths = [saved(m, tmp_path / f"m{i}.pt") for i, m in enumerate(members)]
    assert models.load(save_bag(paths, tmp_path / "plain.pt"), device="cpu").mirror is False
    assert models.load(save_bag(paths, tmp_path / "mirror.pt", mirror=True), device="cpu").mirror is True
    mono = [quick(seed=s, audio_channels=1) for s in range(2)]
    with pytest.raises(ValueError, match="mirrored bag swaps left and right: its members must be stereo, not 1-channel"):
        Bag(mono, mirror=True)
    mono_paths = [saved(m, tmp_path / f"mono{i}.pt") for i, m in enumerate(mono)]
    with pytest.raises(ValueError, match="mono0.pt holds a 1-channel network: a mirrored bag swaps left and right"):
        save_bag(mono_paths, tmp_path / "mono-bag.pt", mirror=True)
    assert not (tmp_path / "mono-bag.pt").exists()


@pytest.mark.parametrize("mirror", [False, True])
def test_members_that_model_different_bins_are_still_averaged_over_every_bin(mixture, mirror):
    members = [quick(seed=0), quick(seed=1, max_bin=64)]  # each extends its own top bin's mask
    assert members[0].front.bins != members[1].front.bins
    swapped = mixture.flip(1)
    with torch.no_grad():
        masks = Bag(members, mirror=mirror).masks(mixture)
        own = torch.stack([m.masks(mixture) for m in members]).mean(0)
        if mirror:
            own = (own + torch.stack([m.masks(swapped) for m in members]).mean(0).flip(2)) / 2
    assert torch.allclose(masks, own, atol=1e-6)
    assert torch.allclose(masks.sum(dim=1), torch.ones_like(masks[:, 0]), atol=1e-5)
