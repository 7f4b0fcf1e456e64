"""A procedural multitrack generator: the workbook's default data set, written as MUSDB18-HQ.

Each song is built from a seed: a tempo, a key, chord loops, a verse/chorus layout, and four
stems played by small synthesizers (one function per instrument, so you can listen to each).
The accompaniment repeats bar after bar and loop after loop, while the sung melody changes
from phrase to phrase: the structure that REPET (03_repet_sim) exploits.  All stems share one
room (the same reverb), and the mixture is exactly the sum of the four stems, sample for sample.

Taught in: 00_getting_started
"""
from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import hashlib
import json
import os
import warnings
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import fft, signal

from .. import config, sizes
from ..stems import STEMS
from ..units import seconds_to_samples  # ("drums", "bass", "other", "vocals")
from ..audio import write_error
from ..audio import wav_frames

VERSION = 1

LEAD_PROBABILITY = 0.5
"""The chance that a song's ``other`` stem carries a lead synth in the vocal range."""

MAJOR, MINOR = (0, 2, 4, 5, 7, 9, 11), (0, 2, 3, 5, 7, 8, 10)
LOOPS = {  # chord loops as scale degrees (0 = tonic); one chord per bar
    "major": [(0, 4, 5, 3), (5, 3, 0, 4), (0, 5, 3, 4), (0, 3, 4, 3), (1, 4, 0, 5), (3, 0, 4, 5)],
    "minor": [(0, 5, 2, 6), (0, 3, 4, 0), (0, 6, 5, 6), (0, 5, 3, 4), (3, 4, 0, 0), (0, 2, 6, 3)],
}
NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
# Formants (Hz) and bandwidths (Hz) of five sung vowels: the "filter" of the source-filter voice.
VOWELS = {
    "a": ((800, 1150, 2900, 3900), (80, 90, 120, 130)),
    "e": ((400, 1700, 2600, 3300), (70, 80, 100, 120)),
    "i": ((300, 2000, 2900, 3600), (60, 90, 100, 120)),
    "o": ((450, 800, 2830, 3500), (70, 80, 100, 130)),
    "u": ((330, 700, 2700, 3500), (50, 60, 170, 180)),
}
# Consonants as noise bands (Hz, Hz), length (s) and level.
CONSONANTS = {"s": (5000, 11000, 0.09, 0.5), "sh": (2000, 6000, 0.09, 0.5), "t": (2500, 8000, 0.03, 0.9),
              "k": (1200, 3500, 0.035, 0.8), "f": (1000, 9000, 0.07, 0.25), "h": (600, 4000, 0.06, 0.2)}
VOICE_RANGES = {"low": (51, 67, 0.92), "high": (58, 76, 1.1)}  # lowest, highest MIDI note; formant scale
WORDS = ("Amber", "Harbor", "Neon", "River", "Paper", "Moon", "Glass", "Echo", "Velvet", "Signal", "Winter",
         "Garden", "Silver", "Static", "Copper", "Tide", "Hollow", "Lantern", "Orbit", "Meadow", "Ember", "Atlas")


def time_to_sample(seconds, rate):
    """A time or duration as a sample index, rounded to the nearest sample; a time may be a
    little negative (a note played ahead of the beat). Durations elsewhere in seplib go through
    :func:`seplib.units.seconds_to_samples`, which refuses a negative one.

    Args:
        seconds (float): time or duration (s)
        rate (int): sample rate (Hz)

    Returns:
        samples (int)

    Taught in: 00_getting_started
    """
    return int(round(seconds * rate))


def midi_to_hz(midi):
    """Frequency of a MIDI note number (69 = A4 = 440 Hz; fractional numbers are allowed).

    Args:
        midi (float or np.ndarray): note number(s)

    Returns:
        hz (float or np.ndarray)

    Taught in: 00_getting_started
    """
    return 440.0 * 2.0 ** ((np.asarray(midi, dtype=np.float64) - 69.0) / 12.0)


def envelope(samples, rate, attack=0.005, decay=None, release=0.01):
    """An amplitude envelope: linear attack, exponential decay (time constant), linear release.

    Args:
        samples (int): length
        rate (int): sample rate (Hz)
        attack, release (float): ramp times (s); decay (float or None): time constant (s)

    Returns:
        env (np.ndarray): `(samples,)` float32 in [0, 1]

    Taught in: 00_getting_started
    """
    t = np.arange(samples, dtype=np.float32) / rate
    env = np.minimum(t / max(attack, 1e-4), 1.0)
    if decay:
        env = env * np.exp(-t / decay)
    return (env * np.clip((samples - 1 - np.arange(samples)) / max(release * rate, 1.0), 0, 1)).astype(np.float32)


def oscillator(freq, seconds, rate, harmonics=(1.0,), phase=0.0):
    """Additive oscillator: a sum of harmonics, read from a one-period wavetable.

    Harmonics above the Nyquist frequency are left out, so the tone does not alias.

    Args:
        freq (float or np.ndarray): frequency (Hz), or one per sample `(samples,)` for glides/vibrato
        seconds (float): duration (s), used when ``freq`` is a number
        rate (int): sample rate (Hz)
        harmonics (sequence of float): amplitude of harmonic 1, 2, 3, ...
        phase (float): start phase, in periods

    Returns:
        tone (np.ndarray): `(samples,)` float32

    Taught in: 00_getting_started
    """
    freq = np.asarray(freq, dtype=np.float64)
    n = freq.size if freq.ndim else time_to_sample(seconds, rate)
    top = int(0.45 * rate / float(freq.max()))  # highest harmonic below Nyquist
    cycles = (np.cumsum(freq / rate) if freq.ndim else np.arange(n) * (float(freq) / rate)) + phase
    return _wavetable(tuple(harmonics[:top]))[(cycles * 2048).astype(np.int64) & 2047]


@functools.lru_cache(maxsize=256)
def _wavetable(harmonics):
    """One period (2048 samples) of a sum of harmonics."""
    grid = np.arange(2048) / 2048
    return sum(a * np.sin(2 * np.pi * k * grid) for k, a in enumerate(harmonics, 1)).astype(np.float32)


def _band(low, high, rate, order=2):
    """Butterworth band-pass (or high-pass when ``high`` is past Nyquist) as second-order sections."""
    if high >= 0.49 * rate:
        return signal.butter(order, low, "highpass", fs=rate, output="sos")
    return signal.butter(order, (low, high), "bandpass", fs=rate, output="sos")


# ---------------------------------------------------------------- drums
def kick(rate, rng, pitch=55.0, decay=0.3):
    """Kick drum: a sine whose pitch falls fast from ~4x to ``pitch``, plus a noise click.

    Args:
        rate (int): sample rate (Hz); rng (np.random.Generator)
        pitch (float): final pitch (Hz); decay (float): time constant (s)

    Returns:
        hit (np.ndarray): `(samples,)` float32

    Taught in: 00_getting_started
    """
    n = time_to_sample(decay * 4, rate)
    t = np.arange(n) / rate
    f = pitch * (1 + 3 * np.exp(-t / 0.025))
    body = np.sin(2 * np.pi * np.cumsum(f) / rate) * np.exp(-t / decay)
    click = signal.sosfilt(_band(1000, 6000, rate), rng.standard_normal(n)) * np.exp(-t / 0.004)
    return ((body + 0.5 * click) * envelope(n, rate, 0.001, None, 0.02)).astype(np.float32)


def snare(rate, rng, tone=190.0, decay=0.12):
    """Snare drum: a short drum tone (two modes) and a longer band of noise (the wires).

    Taught in: 00_getting_started
    """
    n = time_to_sample(decay * 4, rate)
    t = np.arange(n) / rate
    body = (np.sin(2 * np.pi * tone * t) + 0.5 * np.sin(2 * np.pi * 1.6 * tone * t)) * np.exp(-t / 0.04)
    wires = signal.sosfilt(_band(1500, 9000, rate), rng.standard_normal(n)) * np.exp(-t / decay)
    return ((0.6 * body + 1.2 * wires) * envelope(n, rate, 0.001, None, 0.02)).astype(np.float32)


def _metal(n, rate, rng, base):
    """Inharmonic square waves plus noise: the raw material of hats and cymbals."""
    t = np.arange(n) / rate
    ratios = (1.0, 1.48, 1.8, 2.55, 2.63, 3.9)
    squares = sum(np.sign(np.sin(2 * np.pi * base * r * t + rng.uniform(0, 6.3))) for r in ratios)
    return squares / 6 + 0.7 * rng.standard_normal(n)


def hihat(rate, rng, open_=False):
    """Hi-hat: high-passed metallic noise; closed (50 ms) or open (0.35 s).

    Taught in: 00_getting_started
    """
    decay = 0.35 if open_ else 0.045
    n = time_to_sample(decay * 4, rate)
    x = signal.sosfilt(_band(7000, rate, rate), _metal(n, rate, rng, 410.0))
    return (x * np.exp(-np.arange(n) / rate / decay) * envelope(n, rate, 0.0005)).astype(np.float32)


def cymbal(rate, rng, decay=1.0):
    """Crash/ride cymbal: like the open hat, lower and much longer.

    Taught in: 00_getting_started
    """
    n = time_to_sample(decay * 3, rate)
    x = signal.sosfilt(_band(4000, rate, rate), _metal(n, rate, rng, 330.0))
    return (x * np.exp(-np.arange(n) / rate / decay) * envelope(n, rate, 0.002, None, 0.1)).astype(np.float32)


def tom(rate, rng, pitch=120.0, decay=0.25):
    """Tom: a kick-like falling sine at a higher pitch, with a little noise.

    Taught in: 00_getting_started
    """
    n = time_to_sample(decay * 4, rate)
    t = np.arange(n) / rate
    f = pitch * (1 + 0.6 * np.exp(-t / 0.05))
    x = np.sin(2 * np.pi * np.cumsum(f) / rate) + 0.15 * rng.standard_normal(n) * np.exp(-t / 0.03)
    return (x * np.exp(-t / decay) * envelope(n, rate, 0.001, None, 0.02)).astype(np.float32)


# ---------------------------------------------------------------- tonal instruments
def karplus_strong(freq, seconds, rate, rng, decay=1.0, brightness=0.5):
    """Karplus-Strong plucked string: a noise burst circulating in a delay line with a lowpass.

    y[n] = g * (y[n-N] + y[n-N-1]) / 2, computed one period (N samples) at a time.

    Args:
        freq (float): pitch (Hz); seconds (float): length (s); rate (int): sample rate (Hz)
        rng (np.random.Generator): for the pluck noise
        decay (float): time (s) to fall by 60 dB (before the lowpass damping)
        brightness (float): 0..1, how much high-frequency energy the pluck starts with

    Returns:
        note (np.ndarray): `(samples,)` float32

    Taught in: 00_getting_started
    """
    n, period = time_to_sample(seconds, rate), max(2, int(round(rate / freq - 0.5)))
    gain = 10 ** (-3 * period / (rate * decay))
    burst = signal.lfilter([brightness], [1, brightness - 1], rng.uniform(-1, 1, period))  # one-pole lowpass
    y = np.zeros(n + period + 1)
    y[1:period + 1] = burst - burst.mean()
    for start in range(period + 1, n + 1, period):
        stop = min(start + period, n + 1)
        y[start:stop] = gain * 0.5 * (y[start - period:stop - period] + y[start - period - 1:stop - period - 1])
    return (y[1:n + 1] * envelope(n, rate, 0.001, None, 0.03)).astype(np.float32)


def piano(freq, seconds, rate, decay=0.8):
    """Piano-like tone: a bright attack that dulls as it decays (two wavetables, cross-faded).

    Taught in: 00_getting_started
    """
    bright = oscillator(freq, seconds, rate, [1 / k for k in range(1, 13)])
    dull = oscillator(freq, seconds, rate, (1.0, 0.4, 0.15, 0.05))
    n = bright.size
    fade = np.exp(-np.arange(n, dtype=np.float32) / (0.15 * rate))
    return ((fade * bright + (1 - fade) * dull) * envelope(n, rate, 0.003, decay, 0.08)).astype(np.float32)


def organ(freq, seconds, rate):
    """Organ-like tone: steady drawbar harmonics (1, 2, 3, 4, 6, 8), no decay.

    Taught in: 00_getting_started
    """
    tone = oscillator(freq, seconds, rate, (1.0, 0.8, 0.5, 0.4, 0, 0.25, 0, 0.2))
    return tone * envelope(tone.size, rate, 0.01, None, 0.05)


def pad(freqs, seconds, rate, detune_cents=7.0):
    """Pad: a held chord of band-limited sawtooths, detuned up on the left and down on the right.

    Args:
        freqs (sequence of float): chord notes (Hz); seconds (float); rate (int)
        detune_cents (float): detuning between the two channels

    Returns:
        chord (np.ndarray): `(2, samples)` float32

    Taught in: 00_getting_started
    """
    saw = [0.6 / k for k in range(1, 9)]
    out = np.stack([sum(oscillator(f * 2 ** (s * detune_cents / 1200), seconds, rate, saw, phase=0.3 * i)
                        for i, f in enumerate(freqs)) for s in (1, -1)])
    return (out * envelope(out.shape[1], rate, 0.25, None, 0.3) / len(freqs)).astype(np.float32)


def synth_bass(freq, seconds, rate, decay=0.5):
    """Synth bass: a sawtooth whose filter closes after the attack (bright -> dull), over a sine.

    Taught in: 00_getting_started
    """
    bright = oscillator(freq, seconds, rate, [1 / k for k in range(1, 16)])
    dull = oscillator(freq, seconds, rate, (1.0, 0.3, 0.1))
    n = bright.size
    fade = np.exp(-np.arange(n, dtype=np.float32) / (0.06 * rate))
    return ((fade * bright + (1 - fade) * dull) * envelope(n, rate, 0.004, decay, 0.03)).astype(np.float32)


def lead(notes, rate, harmonics=(1.0, 0.2, 0.33, 0.1, 0.2, 0.05, 0.14)):
    """Lead synth: a square-ish wave along a gliding, vibrato pitch curve; one envelope per note.

    Args:
        notes (list of (start_s, seconds, midi)): the line, relative to its start; rate (int)

    Returns:
        line (np.ndarray): `(samples,)` float32

    Taught in: 00_getting_started
    """
    tone = oscillator(midi_to_hz(glide_curve(notes, rate, 0.04, (5.0, 0.2))), None, rate, harmonics)
    env = np.zeros_like(tone)
    for start, dur, _ in notes:
        s, m = time_to_sample(start, rate), time_to_sample(dur, rate)
        env[s:s + m] = np.maximum(env[s:s + m], envelope(m, rate, 0.01, dur * 2, 0.03))
    return tone * env


def glide_curve(notes, rate, glide=0.06, vibrato=(5.5, 0.35)):
    """Pitch curve of a legato line: glides between notes, and vibrato that grows on held notes.

    Args:
        notes (list of (start_s, seconds, midi)): consecutive notes, times relative to the line
        rate (int): sample rate (Hz)
        glide (float): portamento time (s)
        vibrato (tuple): (rate in Hz, depth in semitones)

    Returns:
        midi (np.ndarray): `(samples,)` fractional MIDI note numbers, one per sample

    Taught in: 00_getting_started
    """
    end = notes[-1][0] + notes[-1][1] + 0.2
    t = np.arange(time_to_sample(end, rate)) / rate
    times, pitch, depth_t, depth = [], [], [], []
    prev = notes[0][2] - 1.0  # scoop up into the first note
    for start, dur, midi in notes:
        times += [start, start + min(glide, dur / 2)]
        pitch += [prev, midi]
        depth_t += [start, start + min(0.3, dur * 0.7), start + dur]
        depth += [0.0, vibrato[1] if dur > 0.3 else vibrato[1] * 0.3, vibrato[1] if dur > 0.3 else 0.1]
        prev = midi
    curve = np.interp(t, times, pitch)
    return curve + np.interp(t, depth_t, depth) * np.sin(2 * np.pi * vibrato[0] * t)


def glottal_pulses(midi_curve, rate, open_quotient=0.6):
    """Glottal source: the derivative of a Rosenberg pulse train (the "source" of source-filter).

    Args:
        midi_curve (np.ndarray): `(samples,)` pitch per sample (MIDI numbers)
        rate (int): sample rate (Hz)
        open_quotient (float): fraction of each period the vocal folds are open

    Returns:
        source (np.ndarray): `(samples,)` float32

    Taught in: 00_getting_started
    """
    f0 = midi_to_hz(midi_curve)
    p = (np.cumsum(f0) / rate) % 1.0
    rise, fall = 0.65 * open_quotient, 0.35 * open_quotient
    pulse = np.where(p < rise, 0.5 * (1 - np.cos(np.pi * p / rise)),
                     np.where(p < rise + fall, np.cos(0.5 * np.pi * (p - rise) / fall), 0.0))
    return (np.diff(pulse, prepend=0.0) * (rate / f0) * 0.05).astype(np.float32)


def formant_filter(x, vowel, rate, scale=1.0):
    """Shape a source with a vowel's formants: a cascade of two-pole resonators.

    Args:
        x (np.ndarray): `(samples,)` source
        vowel (str): one of :data:`VOWELS`; rate (int): sample rate (Hz)
        scale (float): formant scaling (about 0.9 for a low voice, 1.1 for a high one)

    Returns:
        y (np.ndarray): `(samples,)` float32

    Taught in: 00_getting_started
    """
    sos = []
    for f, bw in zip(*VOWELS[vowel]):
        r, theta = np.exp(-np.pi * bw / rate), 2 * np.pi * f * scale / rate
        a1, a2 = -2 * r * np.cos(theta), r * r
        sos.append([1 + a1 + a2, 0, 0, 1, a1, a2])  # unity gain at 0 Hz
    return signal.sosfilt(np.array(sos), x).astype(np.float32)


def consonant(kind, rate, rng, scale=0.3):
    """One consonant: a burst of noise in its band, with a quick attack and release.

    Args:
        kind (str): one of :data:`CONSONANTS`; rate (int): sample rate (Hz); rng (np.random.Generator)
        scale (float): the burst's peak is the consonant's level times this

    Returns:
        burst (np.ndarray): `(samples,)` float64, as long as the consonant

    Taught in: 00_getting_started
    """
    low, high, length, level = CONSONANTS[kind]
    m = time_to_sample(length, rate)
    burst = signal.sosfilt(_band(low, min(high, 0.45 * rate), rate), rng.standard_normal(m))
    burst *= envelope(m, rate, length * 0.3, None, length * 0.5) * level * scale
    return burst


def voice(notes, rate, rng, vowels, consonants, scale=1.0, vibrato=(5.5, 0.35), breath=0.03):
    """Sing one phrase: glottal pulses along a gliding pitch, one vowel and maybe a consonant per note.

    Args:
        notes (list of (start_s, seconds, midi)): the syllables, legato, relative to the phrase
        rate (int): sample rate (Hz); rng (np.random.Generator)
        vowels (list of str): one vowel per note; consonants (list of str or None): one per note
        scale (float): formant scaling; vibrato (tuple): (Hz, semitones); breath (float): noise level

    Returns:
        phrase (np.ndarray): `(samples,)` float32

    Taught in: 00_getting_started
    """
    curve = glide_curve(notes, rate, glide=rng.uniform(0.03, 0.09), vibrato=vibrato)
    drift = np.interp(np.arange(curve.size), np.linspace(0, curve.size, curve.size // 2000 + 2),
                      rng.normal(0, 0.08, curve.size // 2000 + 2))
    source = glottal_pulses(curve + drift, rate)
    source += breath * rng.standard_normal(source.size).astype(np.float32) * (0.3 + np.abs(source) * 5)
    out = np.zeros(source.size, dtype=np.float32)
    for i, (start, dur, _) in enumerate(notes):
        s, e = time_to_sample(start, rate), time_to_sample(start + dur, rate)
        gap = i + 1 < len(notes) and consonants[i + 1] is not None or i + 1 == len(notes)
        seg = source[s:e + 800] * envelope(e - s + 800, rate, 0.03, None, 0.07 if gap else 0.02)[:source.size - s]
        out[s:s + seg.size] += formant_filter(seg, vowels[i], rate, scale)
        if consonants[i] is not None:  # a burst of shaped noise just before the vowel
            burst = consonant(consonants[i], rate, rng)
            c = max(0, s - int(0.7 * burst.size))
            out[c:c + burst.size] += burst[:out.size - c].astype(np.float32)
    return out


def room_impulse(rate, rng, rt60=0.8):
    """A stereo room impulse response: early echoes, then noise decaying by 60 dB in ``rt60``.

    Args:
        rate (int): sample rate (Hz); rng (np.random.Generator); rt60 (float): reverb time (s)

    Returns:
        ir (np.ndarray): `(2, samples)` float32, unit energy per channel

    Taught in: 00_getting_started
    """
    n = time_to_sample(rt60, rate)
    t = np.arange(n) / rate
    noise = rng.standard_normal((2, n))
    dull = signal.sosfilt(signal.butter(1, 2500, fs=rate, output="sos"), noise, axis=-1)
    late = np.exp(-t / 0.25 / rt60)  # highs die first: bright early, dull late
    ir = (late * noise + (1 - late) * dull) * np.exp(-6.9 * t / rt60) * np.clip((t - 0.015) / 0.02, 0, 1)
    for _ in range(6):  # early reflections
        ir[:, time_to_sample(rng.uniform(0.005, 0.04), rate)] += rng.uniform(-3, 3, 2)
    ir /= np.sqrt((ir ** 2).sum(axis=1, keepdims=True))
    return ir.astype(np.float32)


# ---------------------------------------------------------------- a song
def _place(buf, sound, start, gain=1.0, pan=0.0):
    """Add a mono `(samples,)` or stereo `(2, samples)` sound into ``buf`` `(2, n)` at sample ``start``."""
    if start >= buf.shape[1] or gain == 0:
        return
    start = max(start, 0)
    m = min(sound.shape[-1], buf.shape[1] - start)
    if sound.ndim == 2:
        buf[:, start:start + m] += gain * sound[:, :m]
    else:  # constant-power pan: -1 = left, +1 = right
        angle = (pan + 1) * np.pi / 4
        buf[0, start:start + m] += gain * np.cos(angle) * sound[:m]
        buf[1, start:start + m] += gain * np.sin(angle) * sound[:m]


def _chord(plan, degree, seventh=False):
    """Semitones above the tonic of a triad (or seventh chord) built on a scale degree."""
    scale = MAJOR if plan["mode"] == "major" else MINOR
    return [scale[(degree + k) % 7] + 12 * ((degree + k) // 7) for k in ((0, 2, 4, 6) if seventh else (0, 2, 4))]


def _voicing(plan, chord, low):
    """MIDI notes of a chord, each moved to the octave at or above ``low``."""
    return sorted(low + (plan["key_root"] + c - low) % 12 for c in chord)


def _song_plan(rng, seconds):
    """Tempo, key, chord loops, sections and arrangement of one song (JSON-serialisable)."""
    mode = str(rng.choice(["major", "minor"]))
    i, j = rng.choice(len(LOOPS[mode]), 2, replace=False)
    plan = dict(tempo=round(float(rng.uniform(84, 140)), 1), key_root=int(rng.integers(12)), mode=mode,
                loops={"verse": list(LOOPS[mode][i]), "chorus": list(LOOPS[mode][j if rng.random() < 0.7 else i])})
    plan["key"] = f"{NOTE_NAMES[plan['key_root']]} {mode}"
    bar = 240.0 / plan["tempo"]
    total = int(np.ceil(seconds / bar))
    intro = int(min(rng.integers(0, 3), total * 0.15))
    names = ["intro"] * bool(intro) + ["verse", "chorus", "verse", "chorus", "solo", "chorus", "chorus"] * 9
    sections, b = [], 0
    for name in names:
        if b >= total:
            break
        bars = intro if name == "intro" else 4
        sections.append(dict(name=name, start_bar=b, bars=bars, start_s=round(b * bar, 3)))
        b += bars
    plan["sections"] = sections
    plan["chords"] = {k: [NOTE_NAMES[(plan["key_root"] + _chord(plan, d)[0]) % 12]
                          + {3: "m", 4: ""}.get(_chord(plan, d)[1] - _chord(plan, d)[0], "")
                          for d in v] for k, v in plan["loops"].items()}
    others = ["pad", "pluck", "piano", "organ"]
    plan["arrangement"] = {
        "verse": sorted(rng.choice(others, int(rng.integers(1, 3)), replace=False).tolist()),
        "chorus": sorted(rng.choice(others, int(rng.integers(2, 4)), replace=False).tolist()),
        "intro": sorted(rng.choice(others, 1).tolist())}
    plan["arrangement"]["solo"] = plan["arrangement"]["chorus"]
    plan["lead"] = bool(rng.random() < LEAD_PROBABILITY)  # a lead line in the vocal range, in "other"
    plan["bass_timbre"] = str(rng.choice(["pluck", "synth"]))
    plan["voice"] = str(rng.choice(["low", "high"]))
    return plan


def _bars(plan):
    """(section, bar index in section, bar start in s, chord degree) for every bar of the song."""
    bar = 240.0 / plan["tempo"]
    for sec in plan["sections"]:
        loop = plan["loops"]["verse" if sec["name"] in ("verse", "intro") else "chorus"]
        for k in range(sec["bars"]):
            yield sec, k, (sec["start_bar"] + k) * bar, loop[k % 4], loop[(k + 1) % 4]


def _drums(rng, plan, rate, n):
    kit = dict(kick=kick(rate, rng, rng.uniform(45, 65), rng.uniform(0.2, 0.4)),
               snare=snare(rate, rng, rng.uniform(160, 230), rng.uniform(0.08, 0.18)),
               **{f"hat{i}": hihat(rate, rng) for i in range(3)}, open=hihat(rate, rng, True),
               crash=cymbal(rate, rng, 1.2), ride=0.5 * cymbal(rate, rng, 0.5),
               **{f"tom{i}": tom(rate, rng, p * rng.uniform(0.9, 1.1)) for i, p in enumerate((180, 130, 95))})
    out = np.zeros((2, n), np.float32)
    for sound, start_s, gain, pan in _drum_hits(rng, plan):
        _place(out, kit[sound], time_to_sample(start_s, rate), gain, pan)
    return out


def _drum_hits(rng, plan):
    """The drum part: ``(sound, start_s, gain, pan)`` per hit, in time order within each bar.

    ``sound`` is one of kick, snare, hat0-hat2, open, crash, ride, tom0-tom2 (high to low).
    """
    kicks = [(0, 8), (0, 6, 8), (0, 3, 8, 10), (0, 7, 8, 14), (0, 10)]
    k_verse, k_chorus = rng.choice(len(kicks), 2)
    step = 15.0 / plan["tempo"]
    for sec, k, t0, _, _ in _bars(plan):
        name, events = sec["name"], []
        if name != "intro" or plan["tempo"] > 110:
            events += [("kick", s, 1.0, 0.0) for s in kicks[k_chorus if name in ("chorus", "solo") else k_verse]]
        if name != "intro":
            events += [("snare", s, 0.9, 0.05) for s in (4, 12)] + [("snare", 14, 0.25, 0.05)] * (k % 2)
        busy = name in ("chorus", "solo")
        for s in range(0, 16, 1 if busy else 2):
            events.append(("ride" if busy and k % 2 else f"hat{s % 3}", s,
                           (1.0 if s % 4 == 0 else 0.6 if s % 2 == 0 else 0.4), 0.35))
        if busy and k == 0:
            events.append(("crash", 0, 0.8, -0.4))
        if k % 4 == 3 and not busy:
            events.append(("open", 14, 0.6, 0.35))
        if k == sec["bars"] - 1 and name != "intro" and rng.random() < 0.6:  # a fill ends the section
            events = [e for e in events if e[1] < 8] + [
                (f"tom{min((s - 8) // 3, 2)}" if s % 3 else "snare", s, 0.5 + 0.05 * (s - 8),
                 (-0.5, 0.0, 0.5)[min((s - 8) // 3, 2)]) for s in range(8, 16)]
        for sound, s, vel, pan in events:
            yield sound, t0 + s * step + rng.normal(0, 0.002), vel * rng.uniform(0.85, 1.05), pan


def _bass(rng, plan, rate, n):
    out, cache = np.zeros((2, n), np.float32), {}
    for start_s, seconds, midi in _bass_notes(rng, plan):
        key = (midi, seconds)
        if key not in cache:
            seconds = seconds * 0.92
            if plan["bass_timbre"] == "pluck":  # a round, thumb-plucked string: little above 1 kHz
                note = karplus_strong(midi_to_hz(midi), seconds, rate, rng, 1.5, 0.04)
                cache[key] = signal.sosfilt(signal.butter(4, 700, fs=rate, output="sos"), note).astype(np.float32)
            else:
                cache[key] = 0.5 * synth_bass(midi_to_hz(midi), seconds, rate)
        _place(out, cache[key], time_to_sample(start_s, rate), rng.uniform(0.85, 1.0))
    return out


def _bass_notes(rng, plan):
    """The bass line: ``(start_s, seconds, midi)`` per note; records ``plan["bass_styles"]``."""
    styles = ["roots", "eighths", "octaves", "walking"]
    style = {"verse": str(rng.choice(styles[:3])), "chorus": str(rng.choice(styles[1:]))}
    style["solo"], style["intro"] = style["chorus"], "roots"
    plan["bass_styles"] = style
    beat = 60.0 / plan["tempo"]
    for sec, k, t0, degree, following in _bars(plan):
        root = _voicing(plan, _chord(plan, degree)[:1], 33)[0]
        chord = _voicing(plan, _chord(plan, degree), root)
        nxt = _voicing(plan, _chord(plan, following)[:1], 33)[0]
        notes = {"roots": [(0, 1.5, root), (1.5, 0.5, root), (2, 2, root + 7 * (k % 2))],
                 "eighths": [(b / 2, 0.5, root if b != 6 else chord[2]) for b in range(8)],
                 "octaves": [(b / 2, 0.5, root + 12 * (b % 2)) for b in range(8)],
                 "walking": [(0, 1, root), (1, 1, chord[1]), (2, 1, chord[2]),
                             (3, 1, nxt + (1 if nxt < root + 3 else -1))]}[style[sec["name"]]]
        for b, dur, midi in notes:
            yield t0 + b * beat, dur * beat, midi


def _melody(rng, plan, start_s, bars, low, high, degrees):
    """A sung phrase: (start_s, seconds, midi) notes on an eighth grid, then a rest of >= 2 beats."""
    scale = MAJOR if plan["mode"] == "major" else MINOR
    beat = 60.0 / plan["tempo"]
    pitches = [m for m in range(low, high + 1) if (m - plan["key_root"]) % 12 in scale]
    t, end = float(rng.choice([0.0, 0.5, 1.0])), 4 * bars - 2.0
    idx, notes = int(rng.integers(len(pitches) // 4, 3 * len(pitches) // 4)), []
    while t < end - 0.5:
        dur = min(float(rng.choice([0.5, 0.5, 1.0, 1.0, 1.5, 2.0])), end - t)
        idx = int(np.clip(idx + rng.choice([-2, -1, -1, 0, 1, 1, 2, 3, -3]), 0, len(pitches) - 1))
        if t % 1 == 0:  # on the beat: prefer a tone of the chord
            chord = {(plan["key_root"] + c) % 12 for c in _chord(plan, degrees[int(t // 4) % len(degrees)])}
            near = [i for i in range(len(pitches)) if pitches[i] % 12 in chord]
            idx = min(near, key=lambda i: abs(i - idx)) if near and rng.random() < 0.7 else idx
        notes.append((start_s + t * beat, dur * beat, pitches[idx]))
        t += dur
    last = notes[-1]
    notes[-1] = (last[0], max(last[1], min(1.5 * beat, (end * beat + start_s) - last[0])), last[2])
    return notes


def _sing(rng, rate, out, notes, scale, pan):
    """Render one phrase with random syllables and place it."""
    vowels = rng.choice(list(VOWELS), len(notes), p=[0.3, 0.2, 0.2, 0.2, 0.1]).tolist()
    consonants = [None if rng.random() < 0.45 else str(rng.choice(list(CONSONANTS))) for _ in notes]
    t0 = notes[0][0]
    rel = [(s - t0, d, m) for s, d, m in notes]
    sound = voice(rel, rate, rng, vowels, consonants, scale, (rng.uniform(4.8, 6.2), rng.uniform(0.2, 0.5)))
    _place(out, sound, time_to_sample(t0, rate), 1.0, pan)


def _vocals_and_lead(rng, plan, rate, n):
    low, high, scale = VOICE_RANGES[plan["voice"]]
    plan["vocal_range_hz"] = [round(float(midi_to_hz(low)), 1), round(float(midi_to_hz(high)), 1)]
    vocals, lead_out = np.zeros((2, n), np.float32), np.zeros((2, n), np.float32)
    pan = rng.uniform(-0.1, 0.1)
    for part, notes in _phrases(rng, plan, low, high):
        if part == "vocals":
            _sing(rng, rate, vocals, notes, scale, pan)
        else:
            _place(lead_out, lead([(s - notes[0][0], d, m) for s, d, m in notes], rate),
                   time_to_sample(notes[0][0], rate), 0.35, rng.uniform(-0.3, 0.3))
    return vocals, lead_out


def _phrases(rng, plan, low, high):
    """The sung phrases and the lead's lines, in song order: ``("vocals" | "lead", notes)``, with
    ``notes`` a list of ``(start_s, seconds, midi)`` (song time) as from :func:`_melody`."""
    bar, chorus_tunes = 240.0 / plan["tempo"], {}
    for sec in plan["sections"]:
        loop = plan["loops"]["verse" if sec["name"] in ("verse", "intro") else "chorus"]
        for k in range(0, sec["bars"], 2):
            start = (sec["start_bar"] + k) * bar
            degrees = loop[k % 4:k % 4 + 2]
            if sec["name"] in ("verse", "chorus"):
                if sec["name"] == "chorus":  # a chorus keeps its tune; the words change
                    tune = chorus_tunes.setdefault(k, _melody(rng, plan, 0.0, 2, low, high, degrees))
                    notes = [(s + start, d, m) for s, d, m in tune]
                else:
                    notes = _melody(rng, plan, start, 2, low, high, degrees)
                yield "vocals", notes
            if plan["lead"] and (sec["name"] in ("intro", "solo") or sec["name"] == "chorus" and k == 2):
                yield "lead", _melody(rng, plan, start + (bar / 2 if sec["name"] == "chorus" else 0), 2,
                                      low + 3, high + 3, degrees)


def _other(rng, plan, rate, n):
    out, cache = np.zeros((2, n), np.float32), {}
    for inst, start_s, seconds, notes, pan in _other_parts(rng, plan):
        if inst == "pad":
            key = ("pad", *notes)
            if key not in cache:
                cache[key] = pad(midi_to_hz(notes), seconds + 0.3, rate)
            _place(out, cache[key], time_to_sample(start_s, rate), 0.5)
        elif inst == "pluck":
            key = ("pluck", notes[0])
            if key not in cache:
                cache[key] = karplus_strong(midi_to_hz(notes[0] + 12), 0.9, rate, rng, 0.6, 0.35)
            _place(out, cache[key], time_to_sample(start_s + rng.normal(0, 0.003), rate),
                   0.5 * rng.uniform(0.8, 1.0), pan)
        else:
            for m in notes:
                key = (inst, m, seconds)
                sound = piano if inst == "piano" else organ
                if key not in cache:
                    cache[key] = sound(midi_to_hz(m), seconds, rate)
                _place(out, cache[key], time_to_sample(start_s, rate),
                       (0.3 if inst == "piano" else 0.15) * rng.uniform(0.9, 1.0), pan)
    return out


def _other_parts(rng, plan):
    """The accompaniment of ``other``: ``(instrument, start_s, seconds, midi notes, pan)`` per chord
    or note, with ``instrument`` one of pad, pluck (an arpeggio an octave up), piano, organ."""
    beat = 60.0 / plan["tempo"]
    pans = dict(pluck=rng.uniform(-0.6, 0.6), piano=rng.uniform(-0.3, 0.3), organ=rng.uniform(-0.3, 0.3))
    comp = [(0, 1.5), (1.5, 1.0), (2.5, 1.5)] if rng.random() < 0.5 else [(0, 1), (1, 1), (2, 1), (3, 1)]
    arp = [0, 1, 2, 3, 2, 1, 2, 3] if rng.random() < 0.5 else [0, 2, 1, 3, 0, 2, 1, 3]
    for sec, k, t0, degree, _ in _bars(plan):
        for inst in plan["arrangement"][sec["name"]]:
            chord = _voicing(plan, _chord(plan, degree, seventh=inst == "pad"), 55)
            if inst == "pad":
                yield inst, t0, 4 * beat, chord, 0.0
            elif inst == "pluck":
                tones = chord + [chord[0] + 12]
                for i, j in enumerate(arp):
                    yield inst, t0 + i * beat / 2, beat / 2, [tones[j]], pans[inst]
            else:
                for b, dur in (comp if inst == "piano" else [(0, 4)]):
                    yield inst, t0 + b * beat, dur * beat, chord, pans[inst]


def _active_rms(x, rate):
    """RMS over the 50 ms frames that are not (near-)silent: loudness of a stem while it plays."""
    hop = rate // 20
    frames = np.sqrt((x[:, :x.shape[1] // hop * hop].reshape(2, -1, hop) ** 2).mean(axis=(0, 2)) + 1e-20)
    return float(np.sqrt((frames[frames > 0.03 * frames.max()] ** 2).mean())) if frames.size else 1.0


def make_song(seed, seconds=30.0, rate=44100):
    """Make one song: four stems whose sum is the mixture, exactly.

    The stems come out already quantised to 16 bits (multiples of 1/32768), scaled together so
    that their sum peaks near -1 dBFS: ``sum(stems.values())`` is the mixture, and writing each
    stem as a 16-bit WAV loses nothing.

    Args:
        seed (int): the song (same seed, same song, bit for bit)
        seconds (float): length (s)
        rate (int): sample rate (Hz)

    Returns:
        stems (dict): ``{stem: (2, samples) float32}`` for ``STEMS``
        info (dict): tempo, key, chord loops, sections, arrangement, gains, pans, reverb (JSON-ready)

    Taught in: 00_getting_started
    """
    if seconds <= 0 or rate < 8000:
        raise ValueError(f"make_song needs seconds > 0 and rate >= 8000 Hz, got seconds={seconds}, rate={rate}")
    rng = np.random.default_rng([int(seed), 1])
    n = time_to_sample(seconds, rate)
    plan = _song_plan(rng, seconds)
    vocals, lead_line = _vocals_and_lead(np.random.default_rng([int(seed), 2]), plan, rate, n)
    stems = dict(drums=_drums(np.random.default_rng([int(seed), 3]), plan, rate, n),
                 bass=_bass(np.random.default_rng([int(seed), 4]), plan, rate, n),
                 other=_other(np.random.default_rng([int(seed), 5]), plan, rate, n) + lead_line, vocals=vocals)
    # level: equal loudness while playing, then +-4 dB per stem; then the shared room
    gains = {s: round(float(rng.uniform(-4, 4)), 2) for s in STEMS}
    rt60 = float(rng.uniform(0.4, 1.2))
    ir = room_impulse(rate, rng, rt60)
    sends = dict(drums=rng.uniform(0.1, 0.25), bass=rng.uniform(0.0, 0.08), other=rng.uniform(0.2, 0.45),
                 vocals=rng.uniform(0.15, 0.35))
    fade = np.minimum(1.0, (n - np.arange(n)) / (0.05 * rate)).astype(np.float32)
    size = fft.next_fast_len(n + ir.shape[1], real=True)
    room = fft.rfft(ir, size)  # `(2, freqs)`: the room, once for all stems
    for s in STEMS:
        x = stems[s] * np.float32(10 ** (gains[s] / 20) / max(_active_rms(stems[s], rate), 1e-9))
        wet = fft.irfft(fft.rfft(x.mean(axis=0), size) * room, size)[:, :n]  # mono send, stereo room
        stems[s] = (x + np.float32(sends[s]) * wet) * fade
    # one scale for all stems (mixture peak at -1 dBFS, no stem clips), then 16-bit quantisation
    peak = max([np.abs(sum(stems.values())).max()] + [np.abs(x).max() for x in stems.values()])
    scale = 10 ** (-1 / 20) * 32768 / max(peak, 1e-9)
    stems = {s: (np.round(x * scale).astype(np.int16) / np.float32(32768)).astype(np.float32)
             for s, x in stems.items()}
    info = dict(seed=int(seed), seconds=float(seconds), rate=int(rate), **plan, gains_db=gains,
                reverb=dict(rt60=round(rt60, 3), sends={s: round(float(v), 3) for s, v in sends.items()}))
    return stems, info


# ---------------------------------------------------------------- a data set on disk
def _song_seed(seed, split, index):
    """Seeds of the songs of each split, disjoint for up to 100000 songs per split."""
    return int(seed) * 1_000_000 + {"train": 0, "valid": 100_000, "test": 200_000}[split] + index


def track_list(size="quick", seed=0, artist="Synth"):
    """Names and seeds of the songs of a synthetic data set.

    Args:
        size (str): a run size (songs per split: ``sizes.of("data", size)``, :mod:`seplib.sizes`);
            seed (int): the data set's seed; artist (str): the first word of every name

    Returns:
        tracks (dict): ``{"train"|"valid"|"test": [(name, song_seed), ...]}``; names look like
        ``"Synth 003 - Amber Harbor"`` (musdb reads "artist - title")

    Taught in: 00_getting_started
    """
    counts = sizes.of("data", size)
    tracks, number = {}, 0
    for split in ("train", "valid", "test"):
        tracks[split] = []
        for i in range(counts[split]):
            number += 1
            song = _song_seed(seed, split, i)
            words = np.random.default_rng([song, 0]).choice(WORDS, 2, replace=False)
            tracks[split].append((f"{artist} {number:03d} - {words[0]} {words[1]}", song))
    return tracks


def _atomic(path, write):
    """Write ``path`` through a temporary file in the same folder, then rename: no half-written files."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except (OSError, RuntimeError) as err:  # a full disk: "the disk is full: NAME", no temporary file left

        failed = write_error(err, path)
        tmp.unlink(missing_ok=True)
        raise failed from err


def _write_json(path, obj):
    _atomic(path, lambda tmp: tmp.write_text(json.dumps(obj, indent=1)))


def write_dataset(root, size="quick", seed=0, progress=True, workers=1):
    """Write a synthetic MUSDB18-HQ tree (or reuse the one already there).

    Layout: ``root/train/<name>/{mixture,drums,bass,other,vocals}.wav`` (the valid songs are in
    train/ and listed in ``root/setup.yaml``, musdb's own setup file with our validation tracks),
    ``root/test/<name>/...``, and ``root/seplib.json`` (what was written, and every song's info).
    WAVs are 16-bit; each mixture is exactly the sum of its four stems.  An existing set is
    checked song by song (:func:`song_problem`: files there, lengths and formats as the manifest
    says, none cut short); a damaged song is written again, with a warning naming it.  Open it with
    ``musdb.DB(root=root, is_wav=True, setup_file="setup.yaml", subsets="train", split="valid")``.

    Args:
        root (str or Path): an empty or new folder, or one this function wrote before
        size (str): a run size (``quick``, ``lab``, ``full``; see :mod:`seplib.sizes`)
        seed (int): the data set's seed
        progress (bool): show a progress bar over the songs
        workers (int): processes that synthesise songs side by side (the files are the same
            whatever the number: each song has its own seed)

    Returns:
        root (Path)

    Raises:
        ValueError: ``root`` is not empty and not a seplib synthetic set, or holds another size/seed

    Taught in: 00_getting_started
    """
    return _write_set(root, size, seed, progress, workers, make_song,
                      dict(generator="seplib.data.synth", version=VERSION), artist="Synth", label="synth")


def _write_set(root, size, seed, progress, workers, make, identity, artist, label, song_args=()):
    """:func:`write_dataset` for any song maker: ``make(song_seed, seconds, *song_args)`` returns
    ``(stems, info)`` as :func:`make_song` does; ``identity`` (generator, version, ...) must match
    an existing set's manifest for it to be reused."""
    import yaml
    import musdb
    from tqdm.auto import tqdm

    tracks, root = track_list(size, seed, artist), Path(root)
    marker = root / "seplib.json"
    meta = dict(**identity, size=size, seed=int(seed),
                tracks={split: [name for name, _ in songs] for split, songs in tracks.items()}, song_info={})
    if marker.is_file():
        old = read_manifest(marker)
        keys = [*identity, "size", "seed"]
        differ = [k for k in keys if old.get(k) != meta[k]]
        if differ == ["version"]:  # the same set, written by another version of its generator
            raise ValueError(f"{root} holds version {old.get('version')} of this data set ({meta['generator']} "
                             f"size={size!r} seed={seed!r}) and this seplib writes version {meta['version']}: "
                             "delete that folder to write it again, or pick another root")
        if differ:
            raise ValueError(f"{root} already holds the data set {old.get('generator')} size={old.get('size')!r} "
                             f"seed={old.get('seed')!r} (version {old.get('version')}); pick another root "
                             f"for {meta['generator']} size={size!r} seed={seed!r}")
        meta["song_info"] = old.get("song_info", {})
    elif root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise ValueError(f"refusing to write the synthetic data set into {root}: it is not empty and has no "
                         "seplib.json, so it is not a set written by seplib. Pick an empty or new folder.")

    def folder(split, name):
        return root / ("test" if split == "test" else "train") / name

    verified = _read_verified(root)  # files whose content was checked, by their stat (a cheap re-check)
    damaged = {name: problem for split, songs in tracks.items() for name, _ in songs if name in meta["song_info"]
               for problem in [song_problem(folder(split, name), meta["song_info"][name], verified)] if problem}
    if damaged:
        warnings.warn(f"{root}: rewriting {len(damaged)} damaged song(s) instead of reusing them: "
                      + "; ".join(f"{name} ({problem})" for name, problem in damaged.items()), stacklevel=2)
    todo = [(split, name, song) for split, songs in tracks.items() for name, song in songs
            if name not in meta["song_info"] or name in damaged]
    _save_verified(root, verified)
    if any("sha256" in meta["song_info"].get(name, {}) for name in verified.get(_UPGRADED, ())):
        _write_json(marker, meta)  # checksums of a set written before the manifest held them
    if not todo and (root / "setup.yaml").is_file():
        return root  # complete: reuse, write nothing
    root.mkdir(parents=True, exist_ok=True)
    _write_json(marker, meta)  # claim the folder first, so a crash leaves a set we may complete
    with open(Path(musdb.__file__).parent / "configs" / "mus.yaml") as f:
        setup = yaml.safe_load(f)
    setup["validation_tracks"] = meta["tracks"]["valid"]
    _atomic(root / "setup.yaml", lambda tmp: tmp.write_text(yaml.safe_dump(setup, sort_keys=False)))
    seconds = [sizes.of("data", size)["seconds"]] * len(todo)
    with concurrent.futures.ProcessPoolExecutor(workers, initializer=config.die_with_parent) if workers > 1 \
            else contextlib.nullcontext() as pool:  # (workers end with this process, kill -9 included)
        extra = [[a] * len(todo) for a in song_args]
        songs = (pool.map if pool else map)(make, [song for _, _, song in todo], seconds, *extra)  # in order
        for (split, name, _), (stems, info) in tqdm(zip(todo, songs), total=len(todo), desc=f"{label}-{size}",
                                                    disable=not progress):
            _write_song(folder(split, name), name, stems, info)
            meta["song_info"][name] = dict(info, split=split)
            _write_json(marker, meta)
            song_problem(folder(split, name), meta["song_info"][name], verified)  # remember its files
    _save_verified(root, verified)
    return root


def song_problem(folder, info, verified=None):
    """What is wrong with a song of a synthetic set on disk: its files' headers, then their content.

    Each of the five WAVs must be there, hold as many samples as its header says (a copy cut
    short keeps its header: :func:`seplib.audio.wav_frames`), and be 16-bit stereo at the
    song's rate and length as the manifest (``seplib.json``) records them.  Then their content:
    each file's SHA-256 must be the one the manifest recorded when it was written (random bytes
    written into a file, two stems swapped, a stem of another song all change it).  A manifest
    written before it held checksums is checked by the mixture-sum identity instead (the mixture
    is exactly the sum of the four stems), and gets the checksums.

    Args:
        folder (Path): the song's folder
        info (dict): the song's entry in the manifest's ``song_info`` (``seconds``, ``rate``,
            ``sha256``: ``{file: hex digest}``); gets ``sha256`` if it had none and the song is sound
        verified (dict or None): the files already checked, ``{relative path: [size, mtime,
            ctime, inode, sha256]}``: a file whose ``stat`` is unchanged is not read again
            (updated in place).  ``None``: read every file.

    Returns:
        problem (str or None): e.g. ``"drums.wav: truncated (...)"``, or ``None`` when sound

    Taught in: 00_getting_started
    """

    rate = int(info.get("rate", 0))
    frames = time_to_sample(float(info.get("seconds", 0)), rate)
    for stem in ("mixture",) + STEMS:
        path = folder / f"{stem}.wav"
        if not path.is_file():
            return f"{path.name} is missing"
        try:
            header = sf.info(str(path))
            counts = wav_frames(path)
        except (RuntimeError, sf.LibsndfileError, OSError) as err:
            return f"{path.name} cannot be read ({str(err).splitlines()[0] if str(err) else type(err).__name__})"
        if counts is None or counts[1] < counts[0]:
            return (f"{path.name} is truncated: its header says {counts[0]} samples, it holds {counts[1]}"
                    if counts else f"{path.name} is not a plain WAV file")
        if (header.samplerate, header.channels, header.subtype, counts[0]) != (rate, 2, "PCM_16", frames):
            return (f"{path.name} is {header.channels} channel(s) {header.subtype} at {header.samplerate} Hz, "
                    f"{counts[0]} samples; the manifest says 2 channels PCM_16 at {rate} Hz, {frames} samples")
    return _content_problem(folder, info, verified)


VERIFIED = ".seplib-verified.json"
"""A set's record of the files whose content was checked (their ``stat`` and SHA-256): a file not
touched since is not read again.  Removing it makes the next check read every file."""
_UPGRADED = "<songs given checksums>"


def file_sha256(path):
    """The SHA-256 of a file's bytes, as 64 hex digits (read in blocks of 1 MiB)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(path):
    """Read a set's manifest (``seplib.json``); a damaged one is refused in one line naming it.

    Raises:
        ValueError: the file is not the JSON object seplib wrote
    """
    try:
        manifest = json.loads(Path(path).read_text())
    except (ValueError, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is damaged (not JSON: {' '.join(str(err).split())}): it is the data set's "
                         f"manifest; remove the folder {Path(path).parent} to write the set again") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("song_info", {}), dict):
        raise ValueError(f"{path} is damaged (not the manifest seplib writes): remove the folder "
                         f"{Path(path).parent} to write the set again")
    return manifest


def _read_verified(root):
    try:
        verified = json.loads((Path(root) / VERIFIED).read_text())
        return verified if isinstance(verified, dict) else {}
    except (OSError, ValueError, UnicodeDecodeError):  # none yet, or damaged: check every file again
        return {}


def _save_verified(root, verified):
    upgraded = verified.pop(_UPGRADED, None)
    if verified.pop("<changed>", False) and Path(root).is_dir():
        _write_json(Path(root) / VERIFIED, verified)
    if upgraded:
        verified[_UPGRADED] = upgraded


def _content_problem(folder, info, verified):
    names = ("mixture",) + STEMS
    sums = info.get("sha256")
    if not isinstance(sums, dict):  # an older manifest: the mixture must be the sum of the stems
        ints = {s: sf.read(str(folder / f"{s}.wav"), dtype="int16")[0].astype(np.int32) for s in names}
        if not np.array_equal(ints["mixture"], sum(ints[s] for s in STEMS)):
            return ("mixture.wav is not the exact sum of its stems: one of the five files was changed "
                    "(damaged, swapped, or another song's)")
        info["sha256"] = sums = {f"{s}.wav": file_sha256(folder / f"{s}.wav") for s in names}
        if verified is not None:
            verified.setdefault(_UPGRADED, []).append(folder.name)
    for name in names:
        path = folder / f"{name}.wav"
        stat = path.stat()
        key = f"{folder.parent.name}/{folder.name}/{name}.wav"
        seen = [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, sums.get(f"{name}.wav")]
        if verified is not None and verified.get(key) == seen:
            continue
        if file_sha256(path) != sums.get(f"{name}.wav"):
            return (f"{name}.wav: its content is not what was written (its SHA-256 differs from the "
                    "manifest's): damaged, swapped with another stem, or another song's file")
        if verified is not None:
            verified[key] = seen
            verified["<changed>"] = True
    return None


def _write_song(folder, name, stems, info):
    """Write one song's stems and their exact sum, the mixture, as 16-bit WAVs."""
    ints = {s: np.round(x * 32768).astype(np.int16) for s, x in stems.items()}
    ints["mixture"] = sum(x.astype(np.int32) for x in ints.values())
    if np.abs(ints["mixture"]).max() > 32767:
        raise RuntimeError(f"mixture of {name} does not fit in 16 bits")  # cannot happen: peak is -1 dBFS
    folder.mkdir(parents=True, exist_ok=True)
    for stem, x in ints.items():
        _atomic(folder / f"{stem}.wav", lambda tmp: sf.write(
            tmp, x.astype(np.int16).T, info["rate"], subtype="PCM_16", format="WAV"))
    # the manifest records each file's checksum: song_problem checks the content against it
    info["sha256"] = {f"{stem}.wav": file_sha256(folder / f"{stem}.wav") for stem in ("mixture",) + STEMS}
