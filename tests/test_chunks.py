import numpy as np
import pytest
import torch

from seplib import STEMS
from seplib.data.chunks import FixedChunks, RandomChunks, load_stems, spec_augment

RATE = 8000  # small rate: short arrays, fast tests


def songs(n=3, seconds=1.0, seed=0):
    """Stereo songs (stems, channels, samples) whose stems differ in scale, so mixing is visible."""
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((4, 2, int(seconds * RATE))) * np.array([1, 2, 3, 4])[:, None, None])
            .astype(np.float32) for _ in range(n)]


def test_items_have_shapes_and_mixture_is_sum_of_stems():
    for remix in (0.0, 1.0):
        data = RandomChunks(songs(), seconds=0.25, samples_per_epoch=10, rate=RATE, remix=remix)
        assert len(data) == 10
        mixture, stems = data[3]
        assert mixture.shape == (2, 2000) and stems.shape == (4, 2, 2000)
        assert mixture.dtype == stems.dtype == torch.float32
        torch.testing.assert_close(mixture, stems.sum(0), atol=1e-5, rtol=0)


def test_no_augmentation_gives_a_true_cut_of_one_song():
    data = RandomChunks(songs(), seconds=0.25, rate=RATE, gain=None, swap=0.0, remix=0.0)
    _, stems = data[0]
    found = [s for s in data.songs for start in range(s.shape[-1] - 2000 + 1)
             if np.array_equal(s[0, 0, start:start + 2000], stems[0, 0].numpy())]
    assert len(found) == 1
    song = found[0]
    start = next(i for i in range(song.shape[-1])
                 if np.array_equal(song[0, 0, i:i + 2000], stems[0, 0].numpy()))
    np.testing.assert_array_equal(song[:, :, start:start + 2000], stems.numpy())


def test_remix_and_gain_change_the_stems():
    plain = RandomChunks(songs(), seconds=0.25, rate=RATE, gain=None, swap=0.0, remix=0.0)
    mixed = RandomChunks(songs(), seconds=0.25, rate=RATE, gain=(0.25, 1.25), swap=0.5, remix=1.0)
    assert not torch.equal(plain[0][1], mixed[0][1])
    # channel swap happens for some stems of some items
    swapped = RandomChunks(songs(), seconds=0.25, rate=RATE, gain=None, swap=1.0, remix=0.0)
    torch.testing.assert_close(swapped[0][1], plain[0][1].flip(1))


def test_chunks_are_repeatable_and_change_with_seed_and_epoch():
    a = RandomChunks(songs(), seconds=0.25, rate=RATE, seed=1)
    b = RandomChunks(songs(), seconds=0.25, rate=RATE, seed=1)
    for i in (0, 5, 7):
        assert all(torch.equal(x, y) for x, y in zip(a[i], b[i]))
    assert not torch.equal(a[0][0], a[1][0])
    c = RandomChunks(songs(), seconds=0.25, rate=RATE, seed=2)
    assert not torch.equal(a[0][0], c[0][0])
    first = a[0][0]
    a.set_epoch(1)
    assert not torch.equal(first, a[0][0])
    a.set_epoch(0)
    assert torch.equal(first, a[0][0])


def test_noise_is_added_to_the_mixture_only():
    data = RandomChunks(songs(), seconds=0.25, rate=RATE, noise=0.1)
    mixture, stems = data[0]
    residual = mixture - stems.sum(0)
    assert 0.05 < residual.std() < 0.15


def test_short_songs_are_zero_padded():
    data = RandomChunks(songs(seconds=0.1), seconds=0.25, rate=RATE, remix=0.0, gain=None)
    mixture, stems = data[0]
    assert stems.shape[-1] == 2000 and torch.all(stems[..., 800:] == 0)


def test_fixed_chunks_are_fixed_and_cover_every_track():
    data = FixedChunks(songs(n=2), seconds=0.25, per_track=3, rate=RATE)
    assert len(data) == 6
    mixture, stems = data[5]
    assert torch.equal(mixture, data[5][0])
    torch.testing.assert_close(mixture, stems.sum(0))
    np.testing.assert_array_equal(stems.numpy(), data.songs[1][..., -2000:])  # last chunk ends the track


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="stems"):
        load_stems([np.zeros((2, 100), np.float32)])
    with pytest.raises(ValueError, match="empty"):
        load_stems([])
    with pytest.raises(ValueError, match="no stem"):
        load_stems([{"drums": np.zeros((2, 10))}])
    with pytest.raises(IndexError):
        RandomChunks(songs(), seconds=0.25, samples_per_epoch=4, rate=RATE)[4]


def test_spec_augment_masks_bands_and_frames_repeatably():
    spec = torch.ones(2, 64, 40, dtype=torch.complex64)
    out = spec_augment(spec, freq_masks=2, freq_width=0.2, time_masks=2, time_width=0.2,
                       generator=torch.Generator().manual_seed(0))
    again = spec_augment(spec, freq_masks=2, freq_width=0.2, time_masks=2, time_width=0.2,
                         generator=torch.Generator().manual_seed(0))
    assert out.shape == spec.shape and out.dtype == spec.dtype and torch.equal(out, again)
    zero = out[0].abs() == 0
    assert zero.any() and not zero.all()
    assert torch.equal(out[0], out[1])  # the same mask on every channel
    # masked regions are whole rows (frequencies) or whole columns (frames)
    rows, cols = zero.all(1), zero.all(0)
    assert torch.equal(zero, rows[:, None] | cols[None, :])


def test_loads_musdb_tracks(tiny_root):
    from seplib.data import open_dataset

    tracks = open_dataset("train", root=tiny_root)
    data = RandomChunks(tracks, seconds=0.5, samples_per_epoch=4)
    assert len(data.songs) == len(tracks)
    mixture, stems = data[0]
    assert stems.shape == (len(STEMS), 2, 22050)
    torch.testing.assert_close(mixture, stems.sum(0))
    valid = FixedChunks(open_dataset("valid", root=tiny_root), seconds=0.5, per_track=2)
    assert len(valid) == 2 * len(valid.songs) and valid[0][1].shape == (4, 2, 22050)


# --- chunks read from disk: the same chunks as in memory, without holding the songs ---

def assert_same_items(a, b, indices):
    for i in indices:
        for x, y in zip(a[i], b[i]):
            assert torch.equal(x, y), f"item {i} differs"


def test_disk_chunks_equal_memory_chunks_bit_for_bit(tiny_root):
    from seplib.data import open_dataset
    from seplib.data.chunks import SongsInMemory, SongsOnDisk

    tracks = open_dataset("train", root=tiny_root)
    for kwargs in (dict(), dict(remix=1.0, swap=1.0, noise=0.01), dict(remix=0.0, gain=None, swap=0.0)):
        memory = RandomChunks(tracks, seconds=0.5, samples_per_epoch=16, seed=3, load="memory", **kwargs)
        disk = RandomChunks(tracks, seconds=0.5, samples_per_epoch=16, seed=3, load="disk", **kwargs)
        assert isinstance(memory.songs, SongsInMemory) and isinstance(disk.songs, SongsOnDisk)
        for epoch in (0, 5):
            memory.set_epoch(epoch)
            disk.set_epoch(epoch)
            assert_same_items(memory, disk, range(16))
    # a chunk longer than the songs (8 s) is zero-padded the same way
    assert_same_items(RandomChunks(tracks, seconds=9.0, samples_per_epoch=2, load="memory"),
                      RandomChunks(tracks, seconds=9.0, samples_per_epoch=2, load="disk"), range(2))
    valid = open_dataset("valid", root=tiny_root)
    fixed_memory = FixedChunks(valid, seconds=0.5, per_track=3, load="memory")
    fixed_disk = FixedChunks(valid, seconds=0.5, per_track=3, load="disk")
    assert len(fixed_disk) == len(fixed_memory) == 3 * len(valid)
    assert_same_items(fixed_memory, fixed_disk, range(len(fixed_disk)))


def test_disk_chunks_read_only_their_own_samples(tiny_root, monkeypatch):
    import pickle

    import soundfile as sf

    from seplib.data import open_dataset

    data = RandomChunks(open_dataset("train", root=tiny_root), seconds=0.5, samples_per_epoch=8, load="disk")
    assert len(pickle.dumps(data)) < 20_000  # file names and lengths: what a DataLoader worker receives
    asked = []
    real_read = sf.SoundFile.read
    monkeypatch.setattr(sf.SoundFile, "read", lambda self, frames=-1, *a, **k: asked.append(frames)
                        or real_read(self, frames, *a, **k))
    for i in range(8):
        data[i]
    assert len(asked) == 8 * len(STEMS) and set(asked) == {22050}  # one 0.5 s read per stem, no whole song


def test_auto_reads_small_sets_into_memory_and_large_ones_from_disk(tiny_root, monkeypatch):
    from seplib.data import chunks, open_dataset

    tracks = open_dataset("train", root=tiny_root)
    assert isinstance(RandomChunks(tracks, seconds=0.5).songs, chunks.SongsInMemory)
    size = sum(len(t) for t in tracks) * 2 * len(STEMS) * 4  # float32 stems of the set
    monkeypatch.setattr(chunks, "IN_MEMORY_BYTES", size - 1)
    assert isinstance(RandomChunks(tracks, seconds=0.5).songs, chunks.SongsOnDisk)
    assert isinstance(FixedChunks(tracks, seconds=0.5).songs, chunks.SongsOnDisk)
    assert isinstance(RandomChunks(tracks, seconds=0.5, load="memory").songs, chunks.SongsInMemory)
    monkeypatch.setattr(chunks, "IN_MEMORY_BYTES", size)
    assert isinstance(RandomChunks(tracks, seconds=0.5).songs, chunks.SongsInMemory)
    assert isinstance(RandomChunks(songs(), seconds=0.1, rate=RATE).songs, chunks.SongsInMemory)  # arrays


def test_disk_chunks_in_worker_processes_match(tiny_root):
    from seplib.data import open_dataset
    from seplib.train import batches

    tracks = open_dataset("train", root=tiny_root)
    memory = RandomChunks(tracks, seconds=0.25, samples_per_epoch=6, seed=1, load="memory")
    disk = RandomChunks(tracks, seconds=0.25, samples_per_epoch=6, seed=1, load="disk")
    # steps 2 to 4 of batches of 4 (they cross an epoch): as a resumed run would draw them
    expected = list(batches(memory, 2, 5, batch_size=4, seed=1))
    for workers in (0, 2):
        got = list(batches(disk, 2, 5, batch_size=4, seed=1, workers=workers))
        assert len(got) == len(expected) == 3
        for (m1, s1), (m2, s2) in zip(expected, got):
            assert torch.equal(m1, m2) and torch.equal(s1, s2)


def test_a_mono_stem_file_is_read_as_dual_mono_on_disk_too(tmp_path):
    import soundfile as sf

    from seplib.data.chunks import SongsInMemory, SongsOnDisk

    rng = np.random.default_rng(0)
    stems = [(rng.standard_normal((2, 3000)) * 0.1).astype(np.float32) for _ in STEMS]
    stems[2] = stems[2][:1]  # "other" is mono
    paths = []
    for stem, audio in zip(STEMS, stems):
        paths.append(tmp_path / f"{stem}.wav")
        sf.write(paths[-1], audio.T, RATE, subtype="PCM_16")
    read = [sf.read(p, dtype="float32", always_2d=True)[0].T for p in paths]
    memory = SongsInMemory([np.stack([np.repeat(x, 2, axis=0) if len(x) == 1 else x for x in read])])
    disk = SongsOnDisk([paths], [3000])
    for j in range(len(STEMS)):
        for start in (0, 1234, 2500):  # the last runs past the end: zero-padded
            np.testing.assert_array_equal(disk.cut(0, j, start, 1000), memory.cut(0, j, start, 1000))


def test_bad_load_is_refused():
    with pytest.raises(ValueError, match="load must be one of"):
        RandomChunks(songs(), seconds=0.1, rate=RATE, load="ram")
    with pytest.raises(ValueError, match="WAV files"):
        RandomChunks(songs(), seconds=0.1, rate=RATE, load="disk")


def test_a_run_broken_on_disk_chunks_resumes_exactly_from_memory_chunks(tiny_root, tmp_path):
    from torch import nn

    from seplib import train
    from seplib.data import open_dataset
    from seplib.losses import loss_for

    class Gains(nn.Module):  # stand-in model: stem j = gain_j * mixture
        name = "conv1d"

        def __init__(self):
            super().__init__()
            self.stems, self.hparams = STEMS, {}
            self.gain = nn.Parameter(torch.zeros(4))

        def forward(self, mixture):  # (batch, channels, samples) -> (batch, stems, channels, samples)
            return self.gain[None, :, None, None] * mixture[:, None]

    class Disconnect(Exception):
        pass

    tracks = open_dataset("train", root=tiny_root)

    def chunks(load):
        return RandomChunks(tracks, seconds=0.1, samples_per_epoch=5, seed=2, load=load)

    settings = dict(steps=8, batch_size=2, lr=0.05, checkpoint_every=2, device="cpu", progress=False, seed=2)
    unbroken = Gains()
    train.fit(unbroken, chunks("memory"), out_dir=tmp_path / "a", **settings)
    loss, calls = loss_for("conv1d"), []

    def breaking_loss(model, mixture, stems):  # the runtime disconnects during step 5
        calls.append(1)
        if len(calls) == 5:
            raise Disconnect
        return loss(model, mixture, stems)

    with pytest.raises(Disconnect):
        train.fit(Gains(), chunks("disk"), loss=breaking_loss, out_dir=tmp_path / "b", **settings)
    resumed = Gains()
    train.fit(resumed, chunks("memory"), out_dir=tmp_path / "b", resume=True, **settings)
    assert torch.equal(resumed.gain, unbroken.gain) and not torch.equal(unbroken.gain, torch.zeros(4))
