"""A rendered multitrack set: the synthetic songs played by sampled instruments, then mixed and mastered.

The synthetic generator (:mod:`seplib.data.synth`) plans each song from a seed: tempo, key,
chord loops, verse and chorus, a sung melody.  This module writes that same kind of plan as one
MIDI part per stem (``pretty_midi``) and plays each part with sampled instruments from a General
MIDI SoundFont (``tinysoundfont``): drum kits (MIDI channel 10), acoustic and electric basses,
guitars, pianos, organs, strings and pads for ``other``, and for ``vocals`` either sampled voices
("aah", "ooh", synth voice) or the synthetic generator's formant voice, whose consonants and
vowels make syllables (the lyrics).  The SoundFont is ``TimGM6mb.sf2``, the small one that ships
with ``pretty_midi``, so a seed gives the same songs on every machine; another may be passed,
and the manifest records which one (name and SHA-256) rendered each song.

As a studio records them (version 2 of the set): the lead voice through one microphone, with
breath and air under it (:func:`breath`), vibrato and consonants for the sampled voices
(:func:`vibrato`, :func:`consonants`) and an echo in some songs (:func:`echo`); most parts of
``other`` double-tracked across the stereo field (:func:`double_track`), so that ``other`` is
wide and the voice sits in the middle, as on real records.

Then a mixing engineer's chain, with numpy and scipy only:

* per stem: level, EQ (high-pass, low shelf, one bell, high shelf), compression, pan, and a
  send to one shared room (the same reverb for all stems);
* on the mix bus: a loudness target, a bus compressor and a look-ahead limiter (peak at -1 dBFS).

What are the stems once the mix is mastered?  The master's compressor and limiter are one gain
that changes over time, ``g(t)``, computed from the mix bus.  That same gain multiplies every
stem, so each stem is "its share of the mastered mix" and the mixture is still exactly the sum
of the four stems: ``sum(g * stem) == g * sum(stems)``.  The stems are then put on the 16-bit grid
and ``mixture.wav`` is written as their sum, sample for sample (MUSDB18's own stems sum to its
mixture only approximately; the workbook's lessons rely on the exact sum).

Taught in: 00_getting_started
"""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import numpy as np
from scipy import ndimage, signal

from ..stems import STEMS
from . import synth
from .synth import (VOICE_RANGES, _active_rms, _bass_notes, _drum_hits, _other_parts, _phrases, _place,
                    _song_plan, room_impulse, time_to_sample, song_problem)  # noqa: F401

VERSION = 2

# General MIDI numbers (programs 0-based; drum keys on channel 10)
DRUM_KEYS = dict(kick=36, snare=38, hat0=42, hat1=42, hat2=44, open=46, crash=49, ride=51,
                 tom0=50, tom1=47, tom2=43)
KITS = (0, 8, 16, 24, 25, 32, 40)  # standard, room, power, electronic, TR-808, jazz, brush
PROGRAMS = {
    "bass": {"pluck": (32, 33, 34, 35), "synth": (33, 34, 36, 38, 39)},  # by the plan's bass timbre
    "pad": (48, 49, 50, 89, 94, 95),          # strings and pads
    "pluck": (24, 25, 26, 27, 46),            # nylon, steel, jazz, clean guitar, harp
    "piano": (0, 1, 2, 4, 5, 7),              # pianos, electric pianos, clavinet
    "organ": (16, 17, 18, 19, 29, 30, 61),    # organs, overdriven and distorted guitar, brass
    "lead": (56, 65, 71, 73, 80, 81),         # trumpet, alto sax, clarinet, flute, square, saw
    "vocals": {"aah": 52, "ooh": 53, "synth voice": 54},
}
VOCAL_TIMBRES = ("formant", "aah", "ooh", "synth voice")
VOCAL_WEIGHTS = (0.4, 0.25, 0.25, 0.1)
BACKING_PROBABILITY = 0.5
"""The chance that a song's chorus has a held "aah"/"ooh" backing chord in the vocals stem."""
BREATH_DB = (-24.0, -10.0)
"""The range of a song's breath noise against its voice (dB): :func:`breath`."""
CONSONANT_LEVEL = 0.3
"""A sampled voice's consonant bursts, at the voice's RMS times this and the consonant's level."""
ECHO_PROBABILITY = 0.5
"""The chance that a song's voice has an echo (:func:`echo`)."""
WIDE_PROBABILITY = 0.7
"""The chance that an instrument of ``other`` is double-tracked across the stereo field (:func:`double_track`)."""
CEILING_DB = -1.0
"""The limiter's ceiling: the mastered mixture peaks at or below this (dBFS)."""


def default_soundfont():
    """The General MIDI SoundFont that renders the set unless another is given: ``TimGM6mb.sf2``,
    which ships inside ``pretty_midi`` (about 6 MB).

    Returns:
        path (Path)

    Taught in: 00_getting_started
    """
    import pretty_midi

    return Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"


@functools.lru_cache(maxsize=4)
def _soundfont(path):
    """The SoundFont's bytes, name and SHA-256 (read once per process)."""
    data = Path(path).read_bytes()
    return data, dict(name=Path(path).name, sha256=hashlib.sha256(data).hexdigest())


def soundfont_record(soundfont=None):
    """What the manifest records of a SoundFont: its file name and SHA-256.

    Args:
        soundfont (str or Path or None): a ``.sf2`` file (default: :func:`default_soundfont`)

    Returns:
        record (dict): ``{"name": "TimGM6mb.sf2", "sha256": "..."}``

    Raises:
        ValueError: the file is missing or is not a SoundFont (a RIFF ``sfbk`` file, ``.sf2`` or ``.sf3``)

    Taught in: 00_getting_started
    """
    path = Path(soundfont) if soundfont else default_soundfont()
    if not path.is_file():
        raise ValueError(f"SoundFont {path} does not exist")
    with open(path, "rb") as f:
        head = f.read(12)
    if head[:4] != b"RIFF" or head[8:12] != b"sfbk":
        raise ValueError(f"{path} is not a SoundFont (an .sf2 or .sf3 file begins with RIFF....sfbk)")
    return dict(_soundfont(str(path.resolve()))[1])


# ---------------------------------------------------------------- the arrangement as MIDI
def _velocity(gain, steps=8):
    """A MIDI velocity for a linear gain (1.0 -> 127), on a grid of ``steps`` (fewer sounds to render)."""
    v = int(np.clip(round(127 * gain), 1, 127))
    return int(min(127, max(steps, round(v / steps) * steps)))


def _arrange(seed, seconds):
    """The song's plan, its MIDI parts, and the syllables of its sung phrases."""
    import pretty_midi

    rng = np.random.default_rng([int(seed), 1])
    plan = _song_plan(rng, seconds)  # the same tempo, key, loops, sections as synth.make_song(seed)
    pick = np.random.default_rng([int(seed), 6])
    programs = dict(kit=int(pick.choice(KITS)), bass=int(pick.choice(PROGRAMS["bass"][plan["bass_timbre"]])),
                    **{inst: int(pick.choice(PROGRAMS[inst])) for inst in ("pad", "pluck", "piano", "organ", "lead")})
    timbre = str(pick.choice(VOCAL_TIMBRES, p=VOCAL_WEIGHTS))
    backing = bool(pick.random() < BACKING_PROBABILITY)
    programs["backing"] = int(pick.choice([52, 53]))
    plan.update(vocal_timbre=timbre, backing=backing)

    def part(name):
        pm = pretty_midi.PrettyMIDI(initial_tempo=plan["tempo"])
        pm.time_signature_changes.append(pretty_midi.TimeSignature(4, 4, 0.0))
        pm.key_signature_changes.append(pretty_midi.KeySignature(
            plan["key_root"] + (12 if plan["mode"] == "minor" else 0), 0.0))
        return pm

    parts = {s: part(s) for s in STEMS}

    def instrument(stem, program, name, is_drum=False, pan=0.0):
        inst = pretty_midi.Instrument(program, is_drum=is_drum, name=name)
        inst.control_changes.append(pretty_midi.ControlChange(10, int(round(64 + 63 * pan)), 0.0))
        parts[stem].instruments.append(inst)
        return inst

    def note(inst, vel, midi, start, end):
        if start < seconds:
            inst.notes.append(pretty_midi.Note(vel, int(midi), float(max(start, 0.0)), float(end)))

    # drums: the synthetic generator's grooves and fills
    drums = instrument("drums", programs["kit"], "drums", is_drum=True)
    for sound, start, gain, _ in _drum_hits(np.random.default_rng([int(seed), 3]), plan):
        note(drums, _velocity(gain), DRUM_KEYS[sound], start, start + 0.1)
    # bass
    bass_rng = np.random.default_rng([int(seed), 4])
    bass = instrument("bass", programs["bass"], "bass")
    for start, dur, midi in _bass_notes(bass_rng, plan):
        note(bass, _velocity(bass_rng.uniform(0.6, 0.85), 16), midi, start, start + 0.92 * dur)
    # other: pad, pluck (guitar arpeggio), piano, organ
    other_rng, insts = np.random.default_rng([int(seed), 5]), {}
    for name, start, dur, notes, pan in _other_parts(other_rng, plan):
        if name not in insts:
            insts[name] = instrument("other", programs[name], name, pan=pan)
        jitter = other_rng.normal(0, 0.003) if name == "pluck" else 0.0
        vel = _velocity(other_rng.uniform(0.55, 0.8), 16)
        length = {"pluck": 0.9, "pad": dur, "organ": 0.98 * dur}.get(name, 0.95 * dur)
        for m in notes:
            note(insts[name], vel, m + (12 if name == "pluck" else 0), start + jitter, start + jitter + length)
    # vocals (and the lead line, which lives in other)
    voc_rng = np.random.default_rng([int(seed), 2])
    low, high, _ = VOICE_RANGES[plan["voice"]]
    plan["vocal_range_hz"] = [round(float(synth.midi_to_hz(low)), 1), round(float(synth.midi_to_hz(high)), 1)]
    sung = instrument("vocals", PROGRAMS["vocals"].get(timbre, 52), f"voice ({timbre})",
                      pan=float(voc_rng.uniform(-0.1, 0.1)))
    lead = None
    phrases = []
    for kind, notes in _phrases(voc_rng, plan, low, high):
        if kind == "vocals":
            vowels = voc_rng.choice(list(synth.VOWELS), len(notes), p=[0.3, 0.2, 0.2, 0.2, 0.1]).tolist()
            consonants = [None if voc_rng.random() < 0.45 else str(voc_rng.choice(list(synth.CONSONANTS)))
                          for _ in notes]
            vel = _velocity(voc_rng.uniform(0.6, 0.85), 16)
            for (start, dur, midi), v, c in zip(notes, vowels, consonants):
                note(sung, vel, midi, start, start + dur)
                if start < seconds:
                    parts["vocals"].lyrics.append(pretty_midi.Lyric((c or "") + v, float(start)))
            phrases.append((notes, vowels, consonants))
        else:
            if lead is None:
                lead = instrument("other", programs["lead"], "lead", pan=float(voc_rng.uniform(-0.3, 0.3)))
            vel = _velocity(voc_rng.uniform(0.55, 0.75), 16)
            for start, dur, midi in notes:
                note(lead, vel, midi + 3, start, start + dur)
    if backing:  # a held chord, sung "aah" or "ooh", in every chorus bar
        choir = instrument("vocals", programs["backing"], "backing", pan=float(voc_rng.uniform(-0.4, 0.4)))
        for sec, k, t0, degree, _ in synth._bars(plan):
            if sec["name"] == "chorus":
                for m in synth._voicing(plan, synth._chord(plan, degree), low + 2)[:2]:
                    note(choir, 64, m, t0, t0 + 0.95 * 240.0 / plan["tempo"])
    plan["programs"] = {s: [dict(name=i.name, program=i.program, drums=i.is_drum) for i in pm.instruments]
                        for s, pm in parts.items()}
    return plan, parts, phrases


def song_midi(seed, seconds=30.0):
    """The arrangement of a rendered song: one MIDI part per stem.

    Write a part to a file with ``parts["bass"].write("bass.mid")``; the vocals part carries the
    sung syllables as MIDI lyrics.

    Args:
        seed (int): the song
        seconds (float): length (s)

    Returns:
        parts (dict): ``{stem: pretty_midi.PrettyMIDI}``, one or more instruments each (``other``:
        one per instrument of the arrangement, and the lead line when the song has one)

    Taught in: 00_getting_started
    """
    return _arrange(seed, seconds)[1]


# ---------------------------------------------------------------- playing the parts
class _Player:
    """Renders MIDI notes with tinysoundfont, one chord at a time, each chord rendered once.

    A song repeats its chords and drum hits many times; each distinct sound (program, notes,
    velocity, length) is rendered once, with its release, and added wherever it is played.
    """

    def __init__(self, soundfont, rate):
        self.data, self.rate, self.cache, self.synth = _soundfont(soundfont)[0], rate, {}, None

    def sound(self, program, is_drum, notes, samples):
        key = (program, is_drum, notes, samples)
        if key not in self.cache:
            if self.synth is None:  # loading the SoundFont takes longer than most sounds: once per song
                try:
                    import tinysoundfont
                except ImportError:
                    raise ImportError("the rendered data set plays its SoundFont with tinysoundfont: "
                                      "pip install --no-deps tinysoundfont") from None

                self.synth = tinysoundfont.Synth(samplerate=self.rate)
                self.sfid = self.synth.sfload(self.data)
            synth_ = self.synth
            synth_.sounds_off(0)  # silence: each sound starts from the same state
            synth_.program_select(0, self.sfid, 128 if is_drum else 0, program, is_drum)
            tail, block = time_to_sample(1.5, self.rate), 1024
            out = np.zeros((samples + tail, 2), np.float32)
            view = memoryview(out).cast("B")
            for midi, vel in notes:
                synth_.noteon(0, midi, vel)
            synth_.generate_simple(samples, view[:samples * 8])
            synth_.notes_off(0)
            pos, peak = samples, float(np.abs(out[:samples]).max(initial=0.0))
            while pos < out.shape[0]:  # the release, until it has died away (-60 dB)
                stop = min(pos + block, out.shape[0])
                synth_.generate_simple(stop - pos, view[pos * 8:stop * 8])
                level = float(np.abs(out[pos:stop]).max())
                peak, pos = max(peak, level), stop
                if level < 1e-3 * peak:
                    break
            self.cache[key] = np.ascontiguousarray(out[:pos].T)
        return self.cache[key]

    def play(self, instrument, n):
        """One pretty_midi instrument as `(2, n)` float32 (notes that start together are one chord)."""
        chords = {}
        for note in instrument.notes:
            chords.setdefault((note.start, note.end), []).append((note.pitch, note.velocity))
        out = np.zeros((2, n), np.float32)
        for (start, end), notes in sorted(chords.items()):
            begin = time_to_sample(start, self.rate)
            length = max(1, time_to_sample(end, self.rate) - begin)
            _place(out, self.sound(instrument.program, instrument.is_drum, tuple(sorted(notes)), length), begin)
        return out


# ---------------------------------------------------------------- the mixing engineer's tools
def _biquad(kind, freq, rate, gain_db=0.0, q=0.707):
    """One second-order section from the Audio EQ Cookbook (R. Bristow-Johnson): ``peak``,
    ``lowshelf``, ``highshelf``."""
    a, w = 10 ** (gain_db / 40), 2 * np.pi * freq / rate
    alpha, cos = np.sin(w) / (2 * q), np.cos(w)
    if kind == "peak":
        b = [1 + alpha * a, -2 * cos, 1 - alpha * a]
        den = [1 + alpha / a, -2 * cos, 1 - alpha / a]
    else:
        sq, sign = 2 * np.sqrt(a) * alpha, 1 if kind == "lowshelf" else -1
        b = [a * ((a + 1) - sign * (a - 1) * cos + sq), sign * 2 * a * ((a - 1) - sign * (a + 1) * cos),
             a * ((a + 1) - sign * (a - 1) * cos - sq)]
        den = [(a + 1) + sign * (a - 1) * cos + sq, -sign * 2 * ((a - 1) + sign * (a + 1) * cos),
               (a + 1) + sign * (a - 1) * cos - sq]
    return np.concatenate([np.array(b) / den[0], np.array(den) / den[0]])[None]


def equalize(x, rate, highpass, low_db, bell, high_db):
    """A channel EQ: a high-pass, a low shelf (200 Hz), one bell, a high shelf (8 kHz).

    Args:
        x (np.ndarray): `(2, samples)`; rate (int): sample rate (Hz)
        highpass (float): high-pass corner (Hz, 2nd-order Butterworth)
        low_db, high_db (float): shelf gains (dB)
        bell (tuple): (centre Hz, gain dB, Q)

    Returns:
        y (np.ndarray): `(2, samples)` float32

    Taught in: 00_getting_started
    """
    sos = np.concatenate([signal.butter(2, highpass, "highpass", fs=rate, output="sos"),
                          _biquad("lowshelf", 200.0, rate, low_db),
                          _biquad("peak", bell[0], rate, bell[1], bell[2]),
                          _biquad("highshelf", min(8000.0, 0.4 * rate), rate, high_db)])
    return signal.sosfilt(sos, x, axis=-1).astype(np.float32)


def _smooth_db(target, attack, release):
    """Follow a gain curve (dB, one value per block): falls with ``attack``, recovers with ``release``."""
    out, g = np.empty_like(target), 0.0
    for i, t in enumerate(target.tolist()):
        g = g + (t - g) * (attack if t < g else release)
        out[i] = g
    return out


def compressor_gain(x, rate, threshold_db, ratio, attack=0.01, release=0.15, block=256):
    """The gain curve of a feed-forward compressor (RMS detector over blocks, smoothed in dB).

    Above ``threshold_db`` the level rises ``1/ratio`` dB per dB; the gain falls within about
    ``attack`` seconds and recovers within about ``release``.

    Args:
        x (np.ndarray): `(channels, samples)` the signal that drives it
        rate (int): sample rate (Hz); threshold_db (float, dBFS); ratio (float, >= 1)
        attack, release (float): time constants (s); block (int): detector block (samples)

    Returns:
        gain (np.ndarray): `(samples,)` float32, linear, at most 1

    Taught in: 00_getting_started
    """
    n = x.shape[-1]
    blocks = -(-n // block)
    padded = np.zeros((x.shape[0], blocks * block), np.float32)
    padded[:, :n] = x
    level = 10 * np.log10((padded.reshape(x.shape[0], blocks, block) ** 2).mean(axis=(0, 2)) + 1e-12)
    target = np.minimum(0.0, (threshold_db - level) * (1 - 1 / ratio))
    coef = [1 - np.exp(-block / (rate * t)) for t in (attack, release)]
    return _upsample((10 ** (_smooth_db(target, *coef) / 20)).astype(np.float32), block, n)


def limiter_gain(x, ceiling, release=0.08, rate=44100, block=64):
    """The gain curve of a look-ahead brick-wall limiter: ``|gain * x|`` never exceeds ``ceiling``
    in any channel.

    The gain needed at each sample is taken block by block (minimum over a block and its two
    neighbours: the look-ahead), recovers towards 1 with ``release``, and is interpolated
    linearly between block centres; each sample's gain is then at most what it needs.

    Args:
        x (np.ndarray): `(channels, samples)`; ceiling (float): linear peak (e.g. 0.89 = -1 dBFS)
        release (float): recovery time constant (s); rate (int); block (int): samples

    Returns:
        gain (np.ndarray): `(samples,)` float32 in (0, 1]

    Taught in: 00_getting_started
    """
    n = x.shape[-1]
    need = np.minimum(1.0, ceiling / np.maximum(np.abs(x).max(axis=0), 1e-12))
    blocks = -(-n // block)
    padded = np.ones(blocks * block)
    padded[:n] = need
    per_block = ndimage.minimum_filter1d(padded.reshape(blocks, block).min(axis=1), 3, mode="nearest")
    coef = 1 - np.exp(-block / (rate * release))
    gain, g = np.empty(blocks), 1.0
    for i, t in enumerate(per_block.tolist()):
        g = min(t, g + (1.0 - g) * coef)
        gain[i] = g
    return _upsample(gain.astype(np.float32), block, n)


def _upsample(values, block, n):
    """One value per block -> one per sample: linear between block centres, constant at the ends
    (what ``np.interp`` gives, in float32 and faster). ``block`` is even."""
    ramp = np.arange(block, dtype=np.float32) / np.float32(block)
    inner = (values[:-1, None] + (values[1:] - values[:-1])[:, None] * ramp[None]).ravel()
    half = block // 2
    return np.concatenate([np.full(half, values[0]), inner, np.full(half, values[-1])])[:n]


def _balance(x, pan):
    """Constant-power balance of a stereo signal: -1 = left, 0 = as is, +1 = right."""
    angle = (pan + 1) * np.pi / 4
    return x * np.array([[np.cos(angle)], [np.sin(angle)]], np.float32) * np.float32(np.sqrt(2))


# ---------------------------------------------------------------- a recorded voice
def consonants(phrases, rate, n, rng):
    """The sung phrases' consonants alone: a burst of shaped noise before each syllable's vowel.

    The sampled voices hold a vowel; a singer starts syllables with consonants, which are
    noise, not harmonics. These are the formant voice's bursts (:func:`seplib.data.synth.consonant`),
    for the sampled timbres.

    Args:
        phrases (list): ``(notes, vowels, consonants)`` per phrase, as :func:`song_midi` plans them
        rate (int): sample rate (Hz); n (int): samples; rng (np.random.Generator)

    Returns:
        bursts (np.ndarray): `(n,)` float32, each burst at an RMS of :data:`CONSONANT_LEVEL` times its consonant's level

    Taught in: 00_getting_started
    """
    out = np.zeros(n, np.float32)
    for notes, _, kinds in phrases:
        for (start, _, _), kind in zip(notes, kinds):
            if kind is None:
                continue
            burst = synth.consonant(kind, rate, rng)
            burst *= CONSONANT_LEVEL * synth.CONSONANTS[kind][3] / max(float(np.sqrt(np.mean(burst ** 2))), 1e-9)
            c = max(0, time_to_sample(start, rate) - int(0.7 * burst.size))
            out[c:c + burst.size] += burst[:max(0, n - c)]
    return out


def vibrato(x, rate, hz, semitones, phase=0.0):
    """Vibrato by a swinging delay: reading ``x`` a little late, then a little early, bends its pitch.

    A delay :math:`d(t)` plays :math:`x(t - d(t))`, whose frequencies are scaled by
    :math:`1 - d'(t)`; a sine of amplitude :math:`D` at ``hz`` swings the pitch by
    :math:`\\pm 2\\pi\\,\\mathrm{hz}\\,D`.

    Args:
        x (np.ndarray): `(channels, samples)`; rate (int): sample rate (Hz)
        hz (float): vibrato rate; semitones (float): pitch swing each way; phase (float): radians

    Returns:
        y (np.ndarray): like ``x``, float32

    Taught in: 00_getting_started
    """
    swing = (2 ** (semitones / 12) - 1) / (2 * np.pi * hz)  # delay amplitude (s)
    n = x.shape[-1]
    t = np.arange(n)
    read = t - swing * rate * (1 + np.sin(2 * np.pi * hz * t / rate + phase))
    return np.stack([np.interp(read, t, c) for c in x]).astype(np.float32)


def breath(x, rate, rng, level_db, n_fft=1024):
    """Breath and air under a voice: noise with the voice's own spectral envelope.

    A recorded voice is not only its harmonics: air through the glottis, the room and the
    microphone fill the gaps between them, most at 2 to 5 kHz. The voice's power spectrum,
    smoothed over about 650 Hz (several harmonics) and tilted up towards the highs, is given
    random phases; the noise follows the voice's loudness and vowels, syllable by syllable.

    Args:
        x (np.ndarray): `(channels, samples)`, the voice; rate (int): sample rate (Hz)
        rng (np.random.Generator); level_db (float): the noise's level against the voice (dB)
        n_fft (int): STFT frame length

    Returns:
        noise (np.ndarray): `(samples,)` float32, the same in every channel (one microphone)

    Taught in: 00_getting_started
    """
    mid = x.mean(axis=0)
    hop = n_fft // 4
    f, _, Z = signal.stft(mid, rate, nperseg=n_fft, noverlap=n_fft - hop)
    width = max(3, int(round(650 * n_fft / rate)) | 1)
    env = np.sqrt(np.maximum(ndimage.uniform_filter1d(np.abs(Z) ** 2, width, axis=0), 0.0))
    env *= np.sqrt(np.clip(f / 1000.0, 0.25, 4.0))[:, None]
    _, y = signal.istft(env * np.exp(2j * np.pi * rng.random(Z.shape)), rate, nperseg=n_fft,
                        noverlap=n_fft - hop)
    y = np.pad(y, (0, max(0, mid.size - y.size)))[:mid.size]
    gain = 10 ** (level_db / 20) * np.sqrt(np.mean(mid ** 2)) / max(float(np.sqrt(np.mean(y ** 2))), 1e-12)
    return (y * gain).astype(np.float32)


def echo(x, rate, rng, beat):
    """A singer's echo: ping-pong repeats of the voice, each quieter and duller.

    Args:
        x (np.ndarray): `(2, samples)`; rate (int): sample rate (Hz); rng (np.random.Generator)
        beat (float): one beat (s); the repeats come every half or three quarters of one

    Returns:
        wet (np.ndarray): `(2, samples)` float32, the repeats alone; settings (dict)

    Taught in: 00_getting_started
    """
    delay = float(rng.choice([0.5, 0.75])) * beat
    feedback, wet_db = float(rng.uniform(0.2, 0.45)), float(rng.uniform(-16, -8))
    d, n = time_to_sample(delay, rate), x.shape[-1]
    dull = signal.butter(1, float(rng.uniform(2500, 5000)), fs=rate, output="sos")
    wet, tap = np.zeros_like(x), x.mean(axis=0)
    for k in range(1, 5):
        tap = signal.sosfilt(dull, tap).astype(np.float32)
        if k * d >= n:
            break
        wet[k % 2, k * d:] += 10 ** (wet_db / 20) * feedback ** (k - 1) * tap[:n - k * d]
    return wet, dict(delay=round(delay, 4), feedback=round(feedback, 3), wet_db=round(wet_db, 2))


def double_track(x, rate, rng):
    """An instrument played twice and spread left and right, as guitars and keys are recorded.

    The second take is the first a little late (8 to 25 ms) and slowly out of tune (a few cents),
    and both sides share the first take below 300 Hz: the sides agree in the bass and drift apart
    above, a wide part, unlike a panned one.

    Args:
        x (np.ndarray): `(2, samples)`, the part; rate (int): sample rate (Hz); rng (np.random.Generator)

    Returns:
        y (np.ndarray): `(2, samples)` float32, left the first take and right the second, blended by a width

    Taught in: 00_getting_started
    """
    first = x.mean(axis=0, keepdims=True)
    late = time_to_sample(float(rng.uniform(0.008, 0.025)), rate)
    second = vibrato(first, rate, float(rng.uniform(0.2, 0.8)), float(rng.uniform(0.03, 0.1)))
    second = np.pad(second, ((0, 0), (late, 0)))[:, :first.shape[1]]
    split = signal.butter(2, 300.0, fs=rate, output="sos")  # below 300 Hz both sides play the first take
    second = signal.sosfilt(split, first) + second - signal.sosfilt(split, second)
    width = float(rng.uniform(0.5, 1.0))
    a, b = (1 + width) / 2, (1 - width) / 2
    return np.concatenate([a * first + b * second, b * first + a * second]).astype(np.float32)


def sung(x, phrases, plan, rate, rng):
    """The vocals stem as a microphone hears a singer: vibrato and consonants for the sampled
    voices, breath under every voice, and (in some songs) an echo.

    Args:
        x (np.ndarray): `(2, samples)`, the vocals stem as played; phrases, plan: the song's
        rate (int): sample rate (Hz); rng (np.random.Generator)

    Returns:
        y (np.ndarray): `(2, samples)` float32; settings (dict): what was done, JSON-ready

    Taught in: 00_getting_started
    """
    n, voice = x.shape[-1], {}
    if plan["vocal_timbre"] != "formant":  # the formant voice has its own vibrato and consonants
        voice.update(vibrato_hz=float(rng.uniform(4.8, 6.2)), vibrato_semitones=float(rng.uniform(0.1, 0.4)))
        x = vibrato(x, rate, voice["vibrato_hz"], voice["vibrato_semitones"], float(rng.uniform(0, 2 * np.pi)))
        active = max(_active_rms(x, rate), 1e-9)
        x = x + consonants(phrases, rate, n, rng) * np.float32(active)
    voice["breath_db"] = float(rng.uniform(*BREATH_DB))
    x = x + breath(x, rate, rng, voice["breath_db"])
    if rng.random() < ECHO_PROBABILITY:
        wet, voice["echo"] = echo(x, rate, rng, 60.0 / plan["tempo"])
        x = x + wet
    return x.astype(np.float32), {k: (round(v, 3) if isinstance(v, float) else v) for k, v in voice.items()}


# ---------------------------------------------------------------- a song
def make_song(seed, seconds=30.0, rate=44100, soundfont=None):
    """Make one rendered song: four stems whose sum is the mastered mixture, exactly.

    The arrangement (:func:`song_midi`) is played with the SoundFont, each instrument brought to
    its level; each stem goes through EQ, compression, pan and the shared room; the mix is
    brought to a loudness, bus-compressed and limited, and that time-varying master gain
    multiplies every stem.  The stems come out on the 16-bit grid (multiples of 1/32768), so
    ``sum(stems.values())`` is the mixture and writing each as a 16-bit WAV loses nothing.

    Args:
        seed (int): the song (same seed and SoundFont, same song, bit for bit)
        seconds (float): length (s); rate (int): sample rate (Hz)
        soundfont (str or Path or None): a General MIDI ``.sf2`` (default: :func:`default_soundfont`)

    Returns:
        stems (dict): ``{stem: (2, samples) float32}`` for ``STEMS``
        info (dict): the plan (tempo, key, loops, sections, arrangement), the programs of each
            stem, the SoundFont (name, SHA-256), the mix settings (JSON-ready)

    Taught in: 00_getting_started
    """
    if seconds <= 0 or rate < 8000:
        raise ValueError(f"make_song needs seconds > 0 and rate >= 8000 Hz, got seconds={seconds}, rate={rate}")
    path = str((Path(soundfont) if soundfont else default_soundfont()).resolve())
    record = soundfont_record(path)
    n = time_to_sample(seconds, rate)
    plan, parts, phrases = _arrange(seed, seconds)
    player, mix_rng = _Player(path, rate), np.random.default_rng([int(seed), 7])
    wide_rng = np.random.default_rng([int(seed), 10])
    levels = dict(pad=-4.0, pluck=-3.0, piano=-2.0, organ=-5.0, lead=-1.0, backing=-9.0)
    stems = {}
    for stem, pm in parts.items():
        out = np.zeros((2, n), np.float32)
        for inst in pm.instruments:
            if stem == "vocals" and inst.name.startswith("voice") and plan["vocal_timbre"] == "formant":
                x = _formant(phrases, plan, rate, n, np.random.default_rng([int(seed), 8]))
            else:
                x = player.play(inst, n)
            if stem == "vocals" and inst.name.startswith("voice"):  # a lead singer: one microphone
                x = np.repeat(x.mean(axis=0, keepdims=True), 2, axis=0)
            elif stem == "other" and wide_rng.random() < WIDE_PROBABILITY:
                x = double_track(x, rate, wide_rng)
            pan = (inst.control_changes[0].value - 64) / 63 if inst.control_changes else 0.0
            gain = 10 ** ((levels.get(inst.name, 0.0) + mix_rng.uniform(-1.5, 1.5)) / 20)
            out += _balance(x, pan) * np.float32(gain / max(_active_rms(x, rate), 1e-9))
        stems[stem] = out
    stems["vocals"], voice = sung(stems["vocals"], phrases, plan, rate, np.random.default_rng([int(seed), 9]))
    # each stem: level, EQ, compression, pan; then the shared room
    mix = dict(gains_db={}, eq={}, compressor={}, pan={})
    ranges = dict(drums=((-2, 3), 30, (2000, 5000)), bass=((-3, 2), 35, (600, 1500)),
                  other=((-4, 2), 120, (400, 3000)), vocals=((-1, 4), 100, (1500, 4000)))
    rt60 = float(mix_rng.uniform(0.4, 1.4))
    room = room_impulse(rate, mix_rng, rt60)
    sends = dict(drums=mix_rng.uniform(0.05, 0.2), bass=mix_rng.uniform(0.0, 0.05),
                 other=mix_rng.uniform(0.15, 0.4), vocals=mix_rng.uniform(0.15, 0.35))
    for stem in STEMS:
        (lo, hi), highpass, bell_range = ranges[stem]
        gain_db = float(mix_rng.uniform(lo, hi))
        eq = dict(highpass=highpass * float(mix_rng.uniform(0.8, 1.4)), low_db=float(mix_rng.uniform(-3, 3)),
                  bell=(float(mix_rng.uniform(*bell_range)), float(mix_rng.uniform(-4, 4)), 1.0),
                  high_db=float(mix_rng.uniform(-2, 4)))
        x = equalize(stems[stem], rate, **eq)
        x *= np.float32(10 ** (gain_db / 20) / max(_active_rms(x, rate), 1e-9))  # now at gain_db while playing
        comp = dict(threshold_db=gain_db - float(mix_rng.uniform(0, 8)), ratio=float(mix_rng.uniform(2, 5)),
                    attack=float(mix_rng.uniform(0.003, 0.02)), release=float(mix_rng.uniform(0.08, 0.25)))
        g = compressor_gain(x, rate, **comp)
        x = x * (g / np.sqrt(np.mean(g ** 2)))  # make-up gain: the same loudness, less dynamic range
        pan = float(mix_rng.uniform(-0.25, 0.25)) if stem == "other" else float(mix_rng.uniform(-0.05, 0.05))
        x = _balance(x, pan)
        wet = signal.oaconvolve(x.mean(axis=0)[None], room, axes=-1)[:, :n]  # mono send, stereo room
        stems[stem] = (x + np.float32(sends[stem]) * wet).astype(np.float32)
        mix["gains_db"][stem], mix["eq"][stem], mix["pan"][stem] = round(gain_db, 2), eq, round(pan, 3)
        mix["compressor"][stem] = {k: round(v, 4) for k, v in comp.items()}
    # the master: loudness, bus compression, limiter; one gain curve for the mix and every stem
    bus = sum(stems.values())
    loudness = float(mix_rng.uniform(-16, -11))
    master = np.float32(10 ** (loudness / 20) / max(_active_rms(bus, rate), 1e-9))
    bus_comp = dict(threshold_db=loudness + float(mix_rng.uniform(-4, 0)), ratio=float(mix_rng.uniform(1.5, 3)),
                    attack=0.02, release=0.25)
    gain = master * compressor_gain(bus * master, rate, **bus_comp)
    # the limiter watches the mix and every stem: no file of the song may clip (stems can peak above the mix)
    gain = gain * limiter_gain(np.concatenate([bus, *stems.values()]) * gain, 10 ** (CEILING_DB / 20), rate=rate)
    gain *= np.minimum(1.0, (n - np.arange(n)) / (0.05 * rate)).astype(np.float32)  # fade out the last 50 ms
    stems = {s: (np.round(x * gain * 32768).astype(np.int16) / np.float32(32768)).astype(np.float32)
             for s, x in stems.items()}
    mix.update(voice=voice, reverb=dict(rt60=round(rt60, 3), sends={s: round(float(v), 3) for s, v in sends.items()}),
               master=dict(loudness_dbfs=round(loudness, 2), bus_compressor={k: round(v, 3) for k, v in
                                                                              bus_comp.items()},
                           ceiling_dbfs=CEILING_DB,
                           min_gain_db=round(float(20 * np.log10(max(gain[:n - rate // 20].min(), 1e-9)
                                                                 / master)), 2)))
    info = dict(seed=int(seed), seconds=float(seconds), rate=int(rate), **plan, soundfont=record, mix=mix)
    return stems, info


def _formant(phrases, plan, rate, n, rng):
    """The sung phrases in the synthetic generator's formant voice, with their consonants."""
    out = np.zeros((2, n), np.float32)
    scale = VOICE_RANGES[plan["voice"]][2]
    for notes, vowels, consonants in phrases:
        t0 = notes[0][0]
        sound = synth.voice([(s - t0, d, m) for s, d, m in notes], rate, rng, vowels, consonants, scale,
                            (rng.uniform(4.8, 6.2), rng.uniform(0.2, 0.5)))
        _place(out, sound, time_to_sample(t0, rate))
    return out


# ---------------------------------------------------------------- a data set on disk
def write_dataset(root, size="quick", seed=0, progress=True, workers=1, soundfont=None):
    """Write a rendered MUSDB18-HQ tree (or reuse the one already there): ``data/render-<size>``.

    The same contract as :func:`seplib.data.synth.write_dataset`: songs named
    ``"Render 003 - Amber Harbor"``, ``root/train``, ``root/test``, ``root/setup.yaml`` (the
    validation songs) and ``root/seplib.json``, the manifest, which records every song's plan,
    programs, mix and SoundFont (name and SHA-256).  An existing set is checked song by song
    and a damaged song written again; a set rendered with another SoundFont is refused.

    Args:
        root (str or Path): an empty or new folder, or one this function wrote before
        size (str): a run size (``quick``, ``lab``, ``full``; see :mod:`seplib.sizes`)
        seed (int): the data set's seed
        progress (bool): show a progress bar over the songs
        workers (int): processes that render songs side by side (the files are the same)
        soundfont (str or Path or None): a General MIDI ``.sf2`` (default: :func:`default_soundfont`)

    Returns:
        root (Path)

    Raises:
        ValueError: ``root`` is not empty and not a seplib set, or holds another size, seed,
            generator or SoundFont

    Taught in: 00_getting_started
    """
    path = str((Path(soundfont) if soundfont else default_soundfont()).resolve())
    identity = dict(generator="seplib.data.render", version=VERSION, soundfont=soundfont_record(path))
    return synth._write_set(root, size, seed, progress, workers, make_song, identity, artist="Render",
                            label="render", song_args=(44100, path))
