"""Bad or unusual input audio and data sets: never separated or scored silently wrong.

Each case says what it checks: the exit status (command line), that the message names the file
or value and what is wrong, that no traceback is printed, and that nothing the user had changed
(hashes before and after).  Classes: refused (a clear one-line refusal), handled (works, and
says what it did).
"""
import hashlib
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from seplib import RATE, STEMS, audio, cli, models, separate, sizes
from seplib.data import open_dataset, synth
from seplib.metrics.measures import sdr

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- helpers
def digest(*paths):
    """``{file: sha1}`` of every file under the paths (files or folders; not a data set's record of
    the files it has checked, which holds their times)."""
    files = [f for p in paths for f in ([p] if Path(p).is_file() else sorted(Path(p).rglob("*")))
             if f.is_file() and f.name != ".seplib-verified.json"]
    return {str(f): hashlib.sha1(f.read_bytes()).hexdigest() for f in files}


def run_cli(argv, capsys):
    """``seplib ARGV`` in this process: (exit status, stdout, stderr)."""
    try:
        cli.main([str(a) for a in argv])
        code = 0
    except SystemExit as err:
        code = err.code if isinstance(err.code, int) else 1
        if not isinstance(err.code, int) and err.code is not None:
            print(err.code, file=sys.stderr)
    out, err = capsys.readouterr()
    return code, out, err


def one_line_refusal(code, err, *words):
    assert code not in (0, None), err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    for word in words:
        assert word in lines[0], (word, lines[0])


def cut(path, fraction=0.5):
    """Cut a file short, keeping its header (a copy or download that stopped)."""
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[:int(len(data) * fraction)])


def tone(freq, seconds, rate, harmonics=(1.0, 0.5, 0.3, 0.2)):
    t = np.arange(int(round(seconds * rate))) / rate
    return sum(a / k * np.sin(2 * np.pi * freq * k * t) for k, a in enumerate(harmonics, 1))


def two_notes(rate, seconds=2.0):
    """Two notes, each on and off at different times, stereo: (mixture, references)."""
    t = np.arange(int(round(seconds * rate))) / rate
    a = tone(220, seconds, rate, (1.0, 0.6, 0.4, 0.3)) * (np.sin(2 * np.pi * 1.0 * t) > 0)
    b = tone(330, seconds, rate, (1.0, 0.1, 0.5, 0.05)) * (np.sin(2 * np.pi * 1.5 * t + 1.0) > 0)
    refs = {"a": np.stack([0.1 * a, 0.08 * a]).astype(np.float32),
            "b": np.stack([0.07 * b, 0.1 * b]).astype(np.float32)}
    return refs["a"] + refs["b"], refs


@pytest.fixture(scope="module")
def templates():
    """One 44.1 kHz template per note (its mean spectrum): tiny supervised-NMF dictionaries."""
    from seplib.classical import spectrogram
    from seplib.spectral import HOP, N_FFT

    _, refs = two_notes(RATE)
    out = {}
    for name, x in refs.items():
        V = spectrogram(x, N_FFT, HOP)[1].mean(0)
        out[name] = torch.as_tensor(V[:, V.sum(0) > 0].mean(1, keepdims=True), dtype=torch.float32)
    return out


def score(estimates, refs):
    return float(np.mean([np.nanmedian(np.atleast_1d(sdr(estimates[s], refs[s]))) for s in refs]))


@pytest.fixture
def song(tmp_path):
    """A 1.5 s stereo 16-bit WAV."""
    x = (np.random.default_rng(0).uniform(-0.3, 0.3, (int(1.5 * RATE), 2))).astype(np.float32)
    path = tmp_path / "song.wav"
    sf.write(path, x, RATE, subtype="PCM_16")
    return path


@pytest.fixture
def tiny(monkeypatch):
    """A run size with one-second songs: a whole data set in a fraction of a second."""
    monkeypatch.setitem(sizes.TABLE, "tiny", {"data": dict(train=2, valid=1, test=1, seconds=1.0)})
    return "tiny"


# ---------------------------------------------------------------- a truncated WAV
def test_truncated_wav_is_refused_by_load(song):
    """refused: soundfile would read the first half silently."""
    cut(song)
    before = digest(song)
    assert audio.wav_frames(song)[1] < audio.wav_frames(song)[0]
    with pytest.raises(ValueError, match=r"song\.wav: truncated WAV: its header says 66150 samples"):
        audio.load(song)
    assert digest(song) == before


def test_sound_wav_is_read_whole(song):
    """handled: a sound file is read in full, its header and size agree."""
    assert audio.wav_frames(song) == (66150, 66150)
    assert audio.load(song)[0].shape == (2, 66150)


def test_separate_refuses_a_truncated_wav_in_one_line(song, tmp_path, capsys):
    """refused: `seplib separate` on a truncated WAV: one line, status 1, no stems written."""
    cut(song, 0.7)
    before = digest(song)
    code, _, err = run_cli(["separate", song, "--method", "hpss", "--out", tmp_path / "out"], capsys)
    one_line_refusal(code, err, "song.wav", "truncated")
    assert digest(song) == before
    assert not list((tmp_path / "out").rglob("*.wav")) if (tmp_path / "out").exists() else True


def test_separate_truncated_wav_prints_no_traceback(song, tmp_path):
    """refused: the same through a real process: no Python traceback on stderr."""
    cut(song)
    proc = subprocess.run([sys.executable, "-m", "seplib", "separate", str(song), "--method", "hpss",
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, cwd=ROOT,
                          env={"SEPLIB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr and "song.wav" in proc.stderr and "truncated" in proc.stderr


def test_wav_cut_inside_its_header_is_named(song):
    """refused: a file cut before its samples start cannot be read: named, not a crash."""
    cut(song, 0.0003)  # about 30 bytes: not even a whole header
    with pytest.raises(ValueError, match=r"song\.wav"):
        audio.load(song)


def test_truncated_flac_is_named(tmp_path):
    """refused: a FLAC cut short (the decoder loses sync)."""
    path = tmp_path / "song.flac"
    sf.write(path, np.random.default_rng(1).uniform(-0.3, 0.3, (RATE, 2)), RATE)
    cut(path)
    with pytest.raises(ValueError, match=r"song\.flac"):
        audio.load(path)


def test_truncated_stem_in_a_data_set_is_named(tiny_root, tmp_path):
    """refused: open_dataset names the track and the file cut short (musdb would read it short)."""
    track = next((tiny_root / "test").iterdir())
    root = tmp_path / "copy"
    shutil.copytree(track, root / "test" / track.name)
    (root / "train").mkdir()
    cut(root / "test" / track.name / "bass.wav", 0.8)
    before = digest(root)
    with pytest.raises(ValueError, match=r"bass\.wav: truncated WAV"):
        open_dataset("test", root=root)
    assert digest(root) == before


def test_evaluate_on_a_tree_with_a_truncated_stem_refuses_in_one_line(tiny_root, tmp_path, capsys):
    """refused: `seplib evaluate --root` on a tree with a truncated stem: one line, status 1."""
    track = next((tiny_root / "test").iterdir())
    root = tmp_path / "copy"
    shutil.copytree(track, root / "test" / track.name)
    (root / "train").mkdir()
    cut(root / "test" / track.name / "vocals.wav", 0.6)
    before = digest(root)
    code, _, err = run_cli(["evaluate", "--method", "mixture", "--root", root, "--json", tmp_path / "s.json"],
                           capsys)
    one_line_refusal(code, err, "vocals.wav", "truncated")
    assert digest(root) == before and not (tmp_path / "s.json").exists()


# ---------------------------------------------------------------- any sample rate
def test_nmf_supervised_resamples_22050_with_a_warning(templates):
    """handled: 44.1 kHz dictionaries on a 22.05 kHz song: resampled in and out, said once,
    scored within 0.5 dB of the same song at 44.1 kHz (without resampling: several dB worse)."""
    mix44, refs44 = two_notes(RATE)
    mix22, refs22 = two_notes(22050)
    kw = dict(dictionaries=templates, dictionary_rate=RATE, n_iter=30)
    est44 = separate("nmf-supervised", mix44, RATE, **kw)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est22 = separate("nmf-supervised", mix22, 22050, **kw)
    said = [str(w.message) for w in caught if "resampling" in str(w.message)]
    assert len(said) == 1 and "nmf-supervised" in said[0] and "22050 Hz" in said[0] and "44100 Hz" in said[0]
    assert {s: x.shape for s, x in est22.items()} == {"a": mix22.shape, "b": mix22.shape}
    assert abs(score(est22, refs22) - score(est44, refs44)) < 0.5
    # what the resampling saves: the dictionaries read at the wrong rate
    from seplib.classical.nmf import separate_nmf_supervised

    wrong = separate_nmf_supervised(mix22, 22050, **{**kw, "dictionary_rate": None})
    assert score(est22, refs22) > score(wrong, refs22) + 1.0


def test_nmf_supervised_keeps_odd_lengths_at_48k(templates):
    """handled: 48 kHz, an odd number of samples: stems as long as the mixture, summing to it."""
    mix, _ = two_notes(48000, seconds=1.0)
    mix = mix[:, :48001 - 2]
    with pytest.warns(UserWarning, match="48000 Hz"):
        est = separate("nmf-supervised", mix, 48000, dictionaries=templates, dictionary_rate=RATE, n_iter=10)
    assert all(x.shape == mix.shape for x in est.values())
    np.testing.assert_allclose(sum(est.values()), mix, atol=2e-3)


def test_no_warning_at_44100(templates):
    """handled: at the dictionaries' own rate nothing is resampled and nothing is said."""
    mix, _ = two_notes(RATE, seconds=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        separate("nmf-supervised", mix, RATE, dictionaries=templates, dictionary_rate=RATE, n_iter=5)


def test_unet_resamples_22050_with_a_warning():
    """handled: a model trained at 44.1 kHz separates a 22.05 kHz song (it used to refuse it)."""
    torch.manual_seed(0)
    model = models.build("unet", **models.hparams("unet", "quick"))
    mix = (np.random.default_rng(0).standard_normal((2, 22050)) * 0.1).astype(np.float32)
    with pytest.warns(UserWarning, match=r"unet works at 44100 Hz: resampling the 22050 Hz"):
        est = separate("unet", mix, 22050, model=model)
    assert list(est) == list(model.stems)
    assert all(x.shape == mix.shape and np.isfinite(x).all() for x in est.values())
    # the same as separating the 44.1 kHz version and resampling the stems back
    est44 = models.separate_with_model("unet", audio.resample(mix, 22050, RATE), RATE, model=model)
    for s in est:
        np.testing.assert_allclose(est[s], audio.resample(est44[s], RATE, 22050, length=22050), atol=1e-5)


def test_separate_a_22050_file_from_the_command_line(tmp_path, capsys):
    """handled: `seplib separate` on a 22.05 kHz file writes 22.05 kHz stems of its length."""
    path = tmp_path / "low.wav"
    sf.write(path, np.random.default_rng(2).uniform(-0.3, 0.3, (33075, 2)), 22050, subtype="PCM_16")
    before = digest(path)
    code, _, err = run_cli(["separate", path, "--method", "hpss", "--out", tmp_path / "out"], capsys)
    assert code == 0, err
    stems = sorted((tmp_path / "out").rglob("*.wav"))
    assert stems and all(sf.info(p).samplerate == 22050 and sf.info(p).frames == 33075 for p in stems)
    assert digest(path) == before


def test_resample_round_trip_keeps_a_tone():
    """handled: the resampler itself: a 1 kHz tone survives 22.05 -> 44.1 -> 22.05 kHz."""
    x = np.sin(2 * np.pi * 1000 * np.arange(22050) / 22050).astype(np.float32)[None]
    y = audio.resample(audio.resample(x, 22050, RATE), RATE, 22050, length=22050)
    assert y.shape == x.shape and np.abs(y - x)[:, 500:-500].max() < 1e-2
    with pytest.raises(ValueError, match="rate=0"):
        audio.resample(x, 0, RATE)


# ---------------------------------------------------------------- `seplib data` checks an existing set
def _songs(root):
    return {p.parent.name: p.parent for p in root.rglob("mixture.wav")}


@pytest.mark.parametrize("damage", ["truncated", "shorter", "wrong rate", "garbage", "missing"])
def test_data_rewrites_a_damaged_song_and_names_it(tmp_path, tiny, monkeypatch, damage):
    """handled: a damaged song of a synthetic set is written again (the same bytes), named in a
    warning; the other songs are reused untouched."""
    root = synth.write_dataset(tmp_path / "set", size=tiny, progress=False)
    before = digest(root)
    name, folder = sorted(_songs(root).items())[1]
    stem = folder / "drums.wav"
    if damage == "truncated":
        cut(stem, 0.7)
    elif damage == "shorter":  # a sound WAV of another length
        x, rate = sf.read(stem, dtype="int16")
        sf.write(stem, x[:-100], rate, subtype="PCM_16")
    elif damage == "wrong rate":
        x, rate = sf.read(stem, dtype="int16")
        sf.write(stem, x, 22050, subtype="PCM_16")
    elif damage == "garbage":
        stem.write_bytes(b"not a wav")
    else:
        stem.unlink()
    calls = []
    real = synth.make_song
    monkeypatch.setattr(synth, "make_song", lambda *a, **k: calls.append(a) or real(*a, **k))
    with pytest.warns(UserWarning, match=rf"rewriting 1 damaged song.*{name} \(drums\.wav"):
        synth.write_dataset(root, size=tiny, progress=False)
    assert len(calls) == 1
    after = digest(root)
    manifest = str(root / "seplib.json")
    assert {k: v for k, v in after.items() if k != manifest} == {k: v for k, v in before.items() if k != manifest}


def test_data_command_repairs_a_truncated_stem(tmp_path, tiny, capsys, monkeypatch):
    """handled: `seplib data --root` on a set with a truncated stem: status 0, the song named,
    the set whole again (then `evaluate` reads it)."""
    from seplib import config

    monkeypatch.setattr(config, "SIZES", config.SIZES + (tiny,))
    root = synth.write_dataset(tmp_path / "set", size=tiny, progress=False)
    before = digest(root)
    name, folder = sorted(_songs(root).items())[0]
    cut(folder / "mixture.wav", 0.5)
    with pytest.warns(UserWarning, match=name):
        code, out, err = run_cli(["data", "--size", tiny, "--root", root], capsys)
    assert code == 0, err
    assert digest(root) == before
    assert open_dataset("test", root=root)


def test_sound_set_is_reused_without_rewriting(tmp_path, tiny, monkeypatch):
    """handled: a sound set is checked by its headers only and reused: nothing said, nothing written."""
    root = synth.write_dataset(tmp_path / "set", size=tiny, progress=False)
    stamps = {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}
    monkeypatch.setattr(synth, "make_song", lambda *a, **k: pytest.fail("rewrote a sound song"))
    monkeypatch.setattr(sf, "read", lambda *a, **k: pytest.fail("decoded samples to check the set"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        synth.write_dataset(root, size=tiny, progress=False)
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()} == stamps
    assert all(synth.song_problem(f, i) is None for f, i in
               ((_songs(root)[n], i) for n, i in __import__("json").loads(
                   (root / "seplib.json").read_text())["song_info"].items()))


def test_nmf_supervised_default_dictionaries_are_taken_as_44100(templates, monkeypatch):
    """handled: the dictionaries learned on the data set (what `seplib separate` uses) are
    44.1 kHz spectra: a 22.05 kHz song is resampled to them, with the warning."""
    from seplib.classical import nmf as nmf_module

    monkeypatch.setattr(nmf_module, "supervised_dictionaries", lambda *a, **k: templates)
    mix, _ = two_notes(22050, seconds=1.0)
    with pytest.warns(UserWarning, match="nmf-supervised works at 44100 Hz: resampling the 22050 Hz"):
        est = separate("nmf-supervised", mix, 22050, n_iter=5)
    assert all(x.shape == mix.shape for x in est.values())
