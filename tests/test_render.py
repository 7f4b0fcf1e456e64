"""The rendered data set: SoundFont instruments, a mixing chain, a master whose gain the stems share."""
import hashlib
import json
import shutil

import numpy as np
import pytest
import soundfile as sf
from scipy import signal

from seplib import STEMS, config, sizes
from seplib.data import open_dataset, render, synth, track_mixture, track_stems

RATE = 44100


@pytest.fixture
def tiny(monkeypatch):
    """A 4-song, 3-second run size, so the data-set tests take seconds."""
    monkeypatch.setitem(sizes.TABLE, "tiny", {"data": dict(train=2, valid=1, test=1, seconds=3.0)})
    monkeypatch.setattr(config, "SIZES", (*config.SIZES, "tiny"))
    return "tiny"


@pytest.fixture(scope="module")
def songs():
    """Three 4-second songs (seeds 0-2) and their infos."""
    return [render.make_song(seed, seconds=4.0) for seed in range(3)]


def _wavs(root):
    return sorted(p for p in root.rglob("*.wav"))


def centroid(x):
    power = np.abs(np.fft.rfft(x.mean(axis=0))) ** 2
    return float((power * np.fft.rfftfreq(x.shape[1], 1 / RATE)).sum() / power.sum())


def test_song_is_mastered_and_the_stems_sum_to_it_exactly(songs):
    for stems, info in songs:
        assert list(stems) == list(STEMS)
        mixture = sum(stems.values())
        for name, x in stems.items():
            assert x.shape == (2, 4 * RATE) and x.dtype == np.float32
            assert np.array_equal(x * 32768, np.round(x * 32768)), f"{name} is not on the 16-bit grid"
            assert 0.005 < np.sqrt((x ** 2).mean()) < 0.5, f"{name}: RMS out of range"
            assert np.abs(x).max() <= 10 ** (render.CEILING_DB / 20) + 1 / 32768, f"{name} passes the ceiling"
        assert np.abs(mixture).max() <= 10 ** (render.CEILING_DB / 20) + 4 / 32768  # the limiter's ceiling
        assert np.abs(mixture).max() > 0.25
        json.dumps(info)
        assert info["soundfont"]["name"] == "TimGM6mb.sf2"


def test_the_plan_is_the_synthetic_generators(songs):
    for seed, (_, info) in enumerate(songs):
        _, plain = synth.make_song(seed, seconds=4.0)
        for key in ("tempo", "key", "loops", "sections", "arrangement", "voice"):
            assert info[key] == plain[key], key


def test_midi_parts_one_per_stem():
    parts = render.song_midi(1, seconds=8.0)
    assert list(parts) == list(STEMS)
    drums = parts["drums"].instruments
    assert len(drums) == 1 and drums[0].is_drum and len(drums[0].notes) > 20
    assert all(not i.is_drum for s in STEMS[1:] for i in parts[s].instruments)
    assert all(32 <= i.program <= 39 for i in parts["bass"].instruments)  # GM basses
    sung = parts["vocals"].instruments[0]
    assert sung.notes and len(parts["vocals"].lyrics) == len(sung.notes)  # one syllable a note
    assert all(n.end <= 8.0 + 2.5 for i in parts["other"].instruments for n in i.notes)


def test_stems_differ_in_timbre(songs):
    for stems, info in songs:
        assert centroid(stems["bass"]) < 0.7 * centroid(stems["vocals"])
        v, o = stems["vocals"].mean(axis=0), stems["other"].mean(axis=0)
        assert abs(np.corrcoef(v, o)[0, 1]) < 0.5
        _, pv = signal.welch(v, RATE, nperseg=4096)
        _, po = signal.welch(o, RATE, nperseg=4096)
        assert np.abs(10 * np.log10((pv + 1e-20) / (po + 1e-20))).mean() > 3  # dB apart, on average
    timbres = {render.make_song(seed, seconds=0.5)[1]["vocal_timbre"] for seed in range(12)}
    assert "formant" in timbres and len(timbres) >= 3  # the formant voice is one of several


def test_same_seed_same_song_another_seed_another():
    a, b, c = (render.make_song(seed, seconds=2.0)[0] for seed in (4, 4, 5))
    for s in STEMS:
        assert np.array_equal(a[s], b[s]) and not np.array_equal(a[s], c[s])


def test_master_gain_tools():
    rng = np.random.default_rng(0)
    quiet = 0.3 * np.sin(2 * np.pi * 440 * np.arange(RATE // 2) / RATE)  # peaks below the ceiling
    loud = 2 * rng.standard_normal(RATE // 2)
    x = np.stack([np.concatenate([quiet, loud])] * 2).astype(np.float32)
    gain = render.limiter_gain(x, 0.5, rate=RATE)
    assert np.abs(x * gain).max() <= 0.5 + 1e-6  # never over the ceiling
    assert gain[:RATE // 2 - 256].min() == 1 and gain[RATE // 2:].max() < 0.5  # and only where needed
    comp = render.compressor_gain(x, RATE, threshold_db=-6, ratio=4)
    assert comp[:RATE // 2 - 256].min() > 0.99 and comp[-RATE // 10:].max() < 0.5  # above the threshold only
    # the EQ's bell, against scipy's frequency response: +6 dB at its centre, flat far away
    sos = render._biquad("peak", 1000.0, RATE, 6.0, 1.0)
    w, h = signal.sosfreqz(sos, [50.0, 1000.0, 15000.0], fs=RATE)
    assert np.allclose(20 * np.log10(np.abs(h)), [0, 6, 0], atol=0.2)
    for kind, at in (("lowshelf", 20.0), ("highshelf", 20000.0)):
        _, h = signal.sosfreqz(render._biquad(kind, 1000.0, RATE, -4.0), [at], fs=RATE)
        assert abs(20 * np.log10(np.abs(h[0])) + 4) < 0.3, kind


def test_dataset_is_deterministic_and_read_through_musdb(tmp_path, tiny):
    a = render.write_dataset(tmp_path / "a", size=tiny, seed=1, progress=False)
    b = render.write_dataset(tmp_path / "b", size=tiny, seed=1, progress=False, workers=2)  # same bytes
    files = _wavs(a)
    assert len(files) == 4 * 5
    for fa, fb in zip(files, _wavs(b)):
        assert fa.relative_to(a) == fb.relative_to(b) and fa.read_bytes() == fb.read_bytes()
    assert (a / "seplib.json").read_bytes() == (b / "seplib.json").read_bytes()
    for track_folder in (a / "train").iterdir():  # the mixture file is the sum of the stem files
        stems = [sf.read(track_folder / f"{s}.wav", dtype="int16")[0].astype(np.int32) for s in STEMS]
        assert np.array_equal(sum(stems), sf.read(track_folder / "mixture.wav", dtype="int16")[0])
    expected = render.synth.track_list(tiny, 1, artist="Render")
    for split in ("train", "valid", "test"):
        tracks = open_dataset(split, root=a)
        assert sorted(t.name for t in tracks) == sorted(name for name, _ in expected[split])
    track = open_dataset("test", root=a)[0]
    mixture, stems = track_mixture(track), track_stems(track)
    assert mixture.shape == (2, 3 * RATE) and np.abs(mixture).max() > 0.25
    assert np.array_equal(sum(stems.values()), mixture)


def test_manifest_records_the_soundfont_and_refuses_another(tmp_path, tiny):
    root = render.write_dataset(tmp_path / "set", size=tiny, seed=0, progress=False)
    meta = json.loads((root / "seplib.json").read_text())
    digest = hashlib.sha256(render.default_soundfont().read_bytes()).hexdigest()
    assert meta["generator"] == "seplib.data.render"
    assert meta["soundfont"] == {"name": "TimGM6mb.sf2", "sha256": digest}
    assert all(info["soundfont"] == meta["soundfont"] for info in meta["song_info"].values())
    assert all(name.startswith("Render ") for name in meta["song_info"])
    other = tmp_path / "copy.sf2"
    shutil.copy(render.default_soundfont(), other)
    with pytest.raises(ValueError, match="another root"):
        render.write_dataset(root, size=tiny, seed=0, progress=False, soundfont=other)
    with pytest.raises(ValueError, match="another root"):  # a synthetic set is not a rendered one
        synth.write_dataset(root, size=tiny, seed=0, progress=False)
    with pytest.raises(ValueError, match="missing.sf2 does not exist"):
        render.write_dataset(tmp_path / "new", size=tiny, soundfont=tmp_path / "missing.sf2")


def test_a_set_of_another_version_is_named_and_left_alone(tmp_path, tiny, monkeypatch):
    root = render.write_dataset(tmp_path / "set", size=tiny, seed=0, progress=False)
    before = {p: p.stat().st_mtime_ns for p in root.rglob("*")}
    monkeypatch.setattr(render, "VERSION", render.VERSION + 1)
    with pytest.raises(ValueError, match=rf"holds version {render.VERSION - 1} of this data set .* writes version "
                                         rf"{render.VERSION}: delete that folder .* another root"):
        render.write_dataset(root, size=tiny, seed=0, progress=False)
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*")} == before  # nothing rewritten


def test_a_damaged_song_is_rendered_again(tmp_path, tiny, monkeypatch):
    root = render.write_dataset(tmp_path / "set", size=tiny, seed=0, progress=False)
    victim = next(root.rglob("bass.wav"))
    good = victim.read_bytes()
    victim.write_bytes(good[:len(good) // 2])  # cut short
    calls = []
    real = render.make_song
    monkeypatch.setattr(render, "make_song", lambda *a, **k: calls.append(a) or real(*a, **k))
    with pytest.warns(UserWarning, match=r"rewriting 1 damaged song.*bass.wav"):
        render.write_dataset(root, size=tiny, seed=0, progress=False)
    assert len(calls) == 1 and victim.read_bytes() == good


def test_cli_writes_the_rendered_set(tmp_path, monkeypatch):
    from seplib import cli

    calls = []
    monkeypatch.setattr(render, "write_dataset", lambda root, **k: calls.append((root, k)) or root)
    monkeypatch.setenv("SEPLIB_DATA", str(tmp_path))
    cli.main(["data", "--set", "render", "--size", "quick"])
    assert calls[0][0].name == "render-quick" and calls[0][1]["size"] == "quick"


def test_the_command_line_renders_with_the_soundfont_given(tmp_path, monkeypatch):
    from seplib.cli import main

    monkeypatch.setitem(sizes.TABLE["quick"], "data", dict(train=2, valid=1, test=1, seconds=3.0))
    other = tmp_path / "My Font.sf2"
    shutil.copy(render.default_soundfont(), other)
    assert main(["data", "--set", "render", "--size", "quick", "--root", str(tmp_path / "set"),
                 "--soundfont", str(other)]) in (0, None)
    meta = json.loads((tmp_path / "set" / "seplib.json").read_text())
    assert meta["soundfont"]["name"] == "My Font.sf2"
    assert all(info["soundfont"]["name"] == "My Font.sf2" for info in meta["song_info"].values())


@pytest.mark.parametrize("args, message", [
    (["--set", "synth", "--soundfont", "SF"], "--soundfont is for --set render"),
    (["--set", "render", "--soundfont", "TEXT"], "is not a SoundFont"),
    (["--set", "render", "--soundfont", "MISSING"], "does not exist"),
])
def test_a_wrong_soundfont_is_refused_in_one_line_before_any_song(tmp_path, capsys, args, message):
    from seplib.cli import main

    (tmp_path / "notes.sf2").write_text("not a SoundFont\n")
    paths = {"SF": str(render.default_soundfont()), "TEXT": str(tmp_path / "notes.sf2"),
             "MISSING": str(tmp_path / "missing.sf2")}
    args = [paths.get(a, a) for a in args]
    with pytest.raises(SystemExit) as exit_:
        main(["data", "--size", "quick", "--root", str(tmp_path / "set"), *args])
    said = str(exit_.value) + capsys.readouterr().err
    assert message in said and "Traceback" not in said and len(said.strip().splitlines()) == 1
    assert not (tmp_path / "set").exists()


# ---------------------------------------------------------------- the voice as a microphone hears it
def test_vibrato_swings_the_pitch_by_the_semitones_asked():
    t = np.arange(2 * RATE) / RATE
    x = np.stack([np.sin(2 * np.pi * 440 * t)] * 2).astype(np.float32)
    y = render.vibrato(x, RATE, hz=5.0, semitones=0.5)
    phase = np.unwrap(np.angle(signal.hilbert(y[0].astype(np.float64))))
    f = np.diff(phase) * RATE / (2 * np.pi)
    f = f[RATE // 4:-RATE // 4]  # away from the ends
    swing = 440 * (2 ** (0.5 / 12) - 1)
    assert abs(f.max() - 440 - swing) < 0.1 * swing and abs(440 - f.min() - swing) < 0.1 * swing
    assert abs(np.mean(f) - 440) < 1.0
    spectrum = np.abs(np.fft.rfft(f - f.mean()))
    assert abs(np.argmax(spectrum) * RATE / f.size - 5.0) < 0.5  # five swings a second
    assert np.array_equal(render.vibrato(x, RATE, 5.0, 0.0), x)  # no swing, no change


def test_breath_is_noise_at_the_level_asked_under_the_voice():
    rng = np.random.default_rng(0)
    t = np.arange(2 * RATE) / RATE
    voice = sum(np.sin(2 * np.pi * 200 * k * t) / k for k in range(1, 30))
    voice[RATE:] = 0  # a rest: the breath stops with the voice
    x = np.stack([voice] * 2).astype(np.float32)
    noise = render.breath(x, RATE, rng, level_db=-12.0)
    assert noise.shape == (2 * RATE,) and noise.dtype == np.float32
    assert abs(10 * np.log10(np.mean(noise ** 2) / np.mean(voice ** 2)) + 12.0) < 0.1
    assert np.sqrt(np.mean(noise[RATE + RATE // 10:] ** 2)) < 1e-3 * np.sqrt(np.mean(noise[:RATE] ** 2))
    # the voice is lines at its harmonics, the breath fills the gaps between them
    f, pv = signal.welch(voice[:RATE], RATE, nperseg=8192)
    _, pn = signal.welch(noise[:RATE], RATE, nperseg=8192)
    at, gap = np.searchsorted(f, [2000.0, 2100.0])
    assert 10 * np.log10(pv[at] / pv[gap]) > 30 and abs(10 * np.log10(pn[at] / pn[gap])) < 10


def test_echo_repeats_alternate_sides_and_fade():
    x = np.zeros((2, RATE), np.float32)
    x[:, 100] = 1.0
    wet, settings = render.echo(x, RATE, np.random.default_rng(1), beat=0.2)
    d = synth.time_to_sample(settings["delay"], RATE)
    peaks = [np.abs(wet[k % 2, 100 + k * d - 5:100 + k * d + 200]).max() for k in (1, 2, 3)]
    assert np.abs(wet[:, :100 + d - 5]).max() == 0  # nothing before the first repeat
    assert np.abs(wet[0, 100 + d - 5:100 + d + 200]).max() < 1e-6  # the first repeat is on the right
    assert peaks[0] > peaks[1] > peaks[2] > 0


def test_sampled_voices_get_vibrato_and_consonants_and_every_voice_breath():
    for seed in range(8):
        stems, info = render.make_song(seed, seconds=1.0)
        voice = info["mix"]["voice"]
        assert render.BREATH_DB[0] <= voice["breath_db"] <= render.BREATH_DB[1]
        assert ("vibrato_hz" in voice) == (info["vocal_timbre"] != "formant")
    plan, _, phrases = render._arrange(0, 8.0)
    bursts = render.consonants(phrases, RATE, 8 * RATE, np.random.default_rng(0))
    starts = [synth.time_to_sample(s, RATE) for notes, _, kinds in phrases
              for (s, _, _), k in zip(notes, kinds) if k is not None and s < 8.0]
    assert starts and all(np.abs(bursts[max(0, s - 4000):s + 100]).max() > 0 for s in starts)
    silent = np.ones(bursts.size, bool)
    for s in starts:
        silent[max(0, s - 5000):s + 5000] = False
    assert np.abs(bursts[silent]).max() == 0  # nothing but the consonants


def test_a_double_tracked_part_is_wide_above_and_one_below():
    rng = np.random.default_rng(0)
    t = np.arange(3 * RATE) / RATE
    part = sum(np.sin(2 * np.pi * f * t) for f in (110, 220, 1500, 2500, 4000))
    part = part + 0.3 * signal.sosfilt(signal.butter(2, 1000, "highpass", fs=RATE, output="sos"),
                                       rng.standard_normal(t.size))
    x = np.stack([part] * 2).astype(np.float32)
    y = render.double_track(x, RATE, np.random.default_rng(3))
    f, coh = signal.coherence(y[0], y[1], RATE, nperseg=4096)
    assert coh[np.argmin(np.abs(f - 110))] > 0.85  # the bass: mostly one take on both sides
    assert coh[(f > 1000) & (f < 5000)].mean() < 0.5  # above: two takes, a wide part
    assert np.allclose(render.double_track(x, RATE, np.random.default_rng(3)), y)  # seeded
