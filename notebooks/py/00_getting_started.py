# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py//py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 00 · Getting started: the data, and listening to stems
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/seplib/seplib-workbook/blob/main/notebooks/00_getting_started.ipynb)
#
# **Goal.** Set up the workbook, open a multitrack data set in the MUSDB18 layout, and listen
# to a song and to its four *stems* (drums, bass, other, vocals). By the end you can load any
# track as arrays, check that the mixture is the sum of its stems, and look at a spectrogram.
#
# Every later notebook asks the same question: given only the **mixture** $x$, recover the
# stems $s_j$ with
#
# $$x(n) = \sum_{j \in \{\text{drums, bass, other, vocals}\}} s_j(n).$$

# %% [markdown]
# ## Setup
# On Colab the first cell fetches the workbook and installs `seplib` (Colab's own torch is
# kept); on your own machine (`make lab`) it does nothing. The second chooses the **run size**
# (notebook 00, section 1) and, on Colab, whether your work is kept on Google Drive: without Drive, a
# recycled Colab runtime starts over; with it, training resumes from its last checkpoint.

# %%
import sys

if "google.colab" in sys.modules:  # Colab: fetch the workbook, install seplib (Colab's torch is kept)
    import os
    import subprocess

    REPO_URL = "https://github.com/seplib/seplib-workbook"
    if not os.path.isdir("/content/seplib-workbook"):
        subprocess.run(["git", "clone", "-q", "--depth", "1", REPO_URL, "/content/seplib-workbook"])
    if subprocess.run([sys.executable, "/content/seplib-workbook/seplib/colab.py", "/content/seplib-workbook"]).returncode:
        raise SystemExit("Setup failed: the line above says why.")
    sys.path.insert(0, "/content/seplib-workbook")

# %%
from seplib import config

RUN_SIZE = None        # "quick", "lab" or "full"; None: $SEPLIB_SIZE, else lab (a CPU, Colab) or full (another GPU)
DATA = None            # "synthetic", "previews" (MUSDB18's 7-second excerpts, online) or a MUSDB18 folder; None: $MUSDB_PATH, else synthetic
MODELS = None          # "train" (the networks train here) or "shipped" (the trained ones in seplib); None: $SEPLIB_MODELS_FROM, else train
KEEP_ON_DRIVE = False  # on Colab, True keeps data, models and scores on Google Drive
SIZE = config.setup_run(RUN_SIZE, data=DATA, models=MODELS, keep_on_drive=KEEP_ON_DRIVE)

# %% [markdown]
# ## 1. The environment
# `seplib.config` picks the device (a CUDA GPU, Apple's MPS, else the CPU) and the **run size**:
# `quick` (tests, a minute a notebook), `lab` (a CPU in a class lab, and Colab) or `full` (a
# GPU). Choose it with `RUN_SIZE` in the setup cell above (or `SEPLIB_SIZE` in the environment);
# by default it follows the machine.

# %%
import numpy as np
import matplotlib.pyplot as plt
import torch
from IPython.display import display

import seplib
from seplib import STEMS, audio, config, data, plots

print(f"seplib {seplib.__version__}, torch {torch.__version__}")
print(f"device: {config.device()}, run size: {config.run_size()}")
print(f"data folder: {config.data_dir()}")

# %% [markdown]
# ## 2. The data set
# MUSDB18 (150 songs, 10 hours) is the standard benchmark for music separation. It cannot be
# downloaded everywhere, so the workbook ships a **synthetic** stand-in that `seplib` writes on
# your machine in the MUSDB18-HQ layout: one folder per song holding `mixture.wav`,
# `drums.wav`, `bass.wav`, `other.wav`, `vocals.wav`. The songs are made from a seed (so they
# are the same everywhere), with sung vowels, drum kits, bass lines, pads, plucked strings and
# a repeating song structure. They are read through the `musdb` package, exactly like the real
# data set, so the same code runs on real music once you point `MUSDB_PATH` at it
# (section 7).

# %%
root = data.resolve_root()  # $MUSDB_PATH if set, else the synthetic set (written once, then reused)
synthetic = (root / "seplib.json").is_file()
train, valid, test = (data.open_dataset(split) for split in ("train", "valid", "test"))
print(root)
for name, tracks in [("train", train), ("valid", valid), ("test", test)]:
    print(f"{name:>5}: {len(tracks)} tracks, {sum(t.duration for t in tracks):.0f} s in all")

# %% [markdown]
# Each track is a `musdb` object; `seplib.data.track_mixture` and `track_stems` read it as
# float32 arrays of shape `(channels, samples)`, the shape used everywhere in `seplib`.

# %%
track = test[0]
mixture = data.track_mixture(track)
stems = data.track_stems(track)
rate = track.rate
print(track.name, "| rate", rate, "Hz | mixture", mixture.shape,
      "|", {s: x.shape for s, x in stems.items()})

# %% [markdown]
# ## 3. Listen
# The players below play at the signals' true loudness (no normalisation), so a quiet stem
# sounds quiet. Listen to the mixture, then to each stem.

# %%
display(audio.play(mixture, rate, title=f"mixture: {track.name}"))
for stem in STEMS:
    display(audio.play(stems[stem], rate, title=stem))

# %% [markdown]
# ## 4. The mixture is the sum of the stems
# The separation model $x = \sum_j s_j$ holds *exactly* for the synthetic set (the stems are
# written as 16-bit integers and the mixture as their integer sum). Check it:

# %%
residual = mixture - sum(stems.values())
print(f"largest |mixture - sum of stems| = {np.abs(residual).max():.3g}")
if synthetic:  # exactly zero; real MUSDB18 stems are mastered, so only close
    assert np.abs(residual).max() == 0.0

# %% [markdown]
# How loud is each stem? The root-mean-square level in dB relative to full scale (dBFS):

# %%
def rms_db(x):
    return 20 * np.log10(np.sqrt(np.mean(np.square(x))) + 1e-12)


levels = {s: rms_db(x) for s, x in {"mixture": mixture, **stems}.items()}
for name, level in levels.items():
    print(f"{name:>8}: {level:6.1f} dBFS")
assert levels["mixture"] > max(levels[s] for s in STEMS)  # the sum is louder than any part

# %% [markdown]
# ## 5. Look: waveforms and spectrograms
# A waveform shows loudness over time; a **spectrogram** (magnitude of the short-time Fourier
# transform, notebook 01) shows which frequencies sound when. Drums are vertical lines (short,
# broadband), bass lives at the bottom, sung vowels are stacks of harmonics with vibrato.

# %%
fig, axes = plt.subplots(5, 1, figsize=(10, 9), sharex=True)
for ax, (name, x) in zip(axes, {"mixture": mixture, **stems}.items()):
    plots.waveform(x, rate, ax=ax, title=name)
    ax.set_xlabel("")
fig.tight_layout()

# %%
fig, axes = plt.subplots(2, 2, figsize=(12, 6), sharex=True, sharey=True)
for ax, stem in zip(axes.flat, STEMS):
    plots.spectrogram(stems[stem], rate, ax=ax, title=stem, max_hz=5000)
fig.tight_layout()

# %% [markdown]
# ## 6. A real song
# One real recording is always at hand: `musdb` depends on `stempeg`, and `stempeg` installs a
# 6-second excerpt of a MUSDB18 test song, "The Easton Ellises - Falcon 69", with its four
# stems. `data.real_song()` decodes it once into the data folder and opens it as a `musdb`
# track like any other. Its license is CC BY-NC-SA: fine for a class and for research, not for
# commercial use. Every lesson plays and scores it beside the synthetic songs; it is the same
# 6 seconds at every run size.

# %%
real = data.real_song()
real_mix, real_stems = data.track_mixture(real), data.track_stems(real)
print(f"{real.name!r}: {real.duration:.1f} s at {real.rate} Hz | mixture {real_mix.shape} | stems {list(real_stems)}")
assert real.rate == rate and list(real_stems) == list(STEMS) and 5 < real.duration < 7

# %%
display(audio.play(real_mix, real.rate, title=f"mixture: {real.name}"))
for stem in STEMS:
    display(audio.play(real_stems[stem], real.rate, title=f"{stem} (real)"))

# %% [markdown]
# What the synthetic set cannot give you: timbres that were recorded rather than made from a
# few synthesis recipes (a real voice, real instruments and amplifiers), a performance by
# people, reverbs and effects chosen per instrument by a mix engineer (the synthetic songs put
# every stem in one simulated room), and mastering, which processes all the stems at once.
# Compare the two spectrograms, then listen to both songs again.

# %%
six = slice(0, min(mixture.shape[1], real_mix.shape[1]))
fig, axes = plt.subplots(2, 2, figsize=(13, 6), sharex=True, sharey=True)
for col, (name, mix_, stems_) in enumerate([(f"synthetic: {track.name}", mixture, stems),
                                            (f"real: {real.name}", real_mix, real_stems)]):
    plots.spectrogram(mix_[:, six], rate, ax=axes[0, col], title=f"mixture, {name}", max_hz=11000)
    plots.spectrogram(stems_["vocals"][:, six], rate, ax=axes[1, col], title=f"vocals, {name}", max_hz=11000)
fig.tight_layout()

# %% [markdown]
# **Its stems do not add up to its mixture.** For the synthetic songs $x = \sum_j s_j$ holds
# to the last bit (section 4). For a real release it holds only approximately, for two
# reasons of real production:
#
# * **lossy coding**: each of the five streams of the `.stem.mp4` file is AAC-coded on its
#   own, and the coder drops different detail from each, most of all at high frequencies, so
#   the coding errors do not cancel in the sum;
# * **mastering**: the released mixture went through the mix bus (compression, limiting: its
#   peak sits at full scale), which the stems did not, a gain that changes with the music.
#
# The cell measures the residual $x - \sum_j s_j$ in dB relative to the mixture, over the
# whole song and in two bands, and the best single gain $g$ for $x \approx g \sum_j s_j$:

# %%
def level_re(x, y):
    """Energy of x relative to the energy of y, in dB."""
    return 10 * np.log10(np.sum(np.square(x, dtype=np.float64)) / np.sum(np.square(y, dtype=np.float64)))


real_sum = sum(real_stems.values())
real_residual = real_mix - real_sum
gain = float(np.sum(real_mix * real_sum, dtype=np.float64) / np.sum(real_sum * real_sum, dtype=np.float64))
hz = np.fft.rfftfreq(real_mix.shape[1], 1 / real.rate)
R, M = (np.abs(np.fft.rfft(v, axis=-1)) ** 2 for v in (real_residual, real_mix))
residual_db = {"whole song": level_re(real_residual, real_mix),
               "below 2 kHz": 10 * np.log10(R[:, hz < 2000].sum() / M[:, hz < 2000].sum()),
               "above 8 kHz": 10 * np.log10(R[:, hz >= 8000].sum() / M[:, hz >= 8000].sum()),
               f"after the best gain g = {gain:.3f}": level_re(real_mix - gain * real_sum, real_mix)}
for name, value in residual_db.items():
    print(f"residual, {name:>28}: {value:6.1f} dB re the mixture")
print(f"peak of the mixture {np.abs(real_mix).max():.4f} (full scale is 1)")
assert -17 < residual_db["whole song"] < -13          # about -15 dB: close, not exact
assert residual_db["below 2 kHz"] < residual_db["whole song"]        # quieter at low frequencies
assert abs(residual_db["above 8 kHz"]) < 5                            # coding: as loud as the mixture up there
assert abs(list(residual_db.values())[-1] - residual_db["whole song"]) < 1   # no single gain explains it
assert np.abs(real_mix).max() > 0.99                  # the master peaks at full scale

# %% [markdown]
# So the residual is about 15 dB below the mixture: small, but far from the synthetic set's
# exact zero. Below 2 kHz it is quieter still; above 8 kHz it is about as loud as the mixture
# there (within 5 dB), where the coder kept different detail in each stream; and no single
# gain removes it (the best one changes its level by less than 1 dB).
# Every score of the real song in this workbook compares an estimate with these stems as
# given, so even a perfect separator of the mixture could not match them exactly.

# %% [markdown]
# ## 7. How the synthetic songs are made
# `seplib.data.synth.make_song(seed)` builds a song from a seed: a tempo, a key, a chord loop,
# sections that repeat, and one small function per instrument. You can hear the instruments
# on their own:

# %%
from seplib.data import synth

rng = np.random.default_rng(0)
sounds = {
    "kick": synth.kick(rate, rng),
    "snare": synth.snare(rate, rng),
    "hi-hat": synth.hihat(rate, rng),
    "plucked string (Karplus-Strong)": synth.karplus_strong(220.0, 1.5, rate, rng),
    "piano-like": synth.piano(261.6, 1.5, rate),
    "organ-like": synth.organ(196.0, 1.5, rate),
}
for name, x in sounds.items():
    display(audio.play(0.5 * x / np.abs(x).max(), rate, title=name))

# %%
song_stems, info = synth.make_song(seed=7, seconds=10.0)
print({k: v for k, v in info.items() if isinstance(v, (int, float, str))})
display(audio.play(sum(song_stems.values()), rate, title="a new 10 s song, seed 7"))

# %% [markdown]
# **Real music.** Everything above works on MUSDB18-HQ (WAV folders) or MUSDB18 (`.stem.mp4`):
# set `MUSDB_PATH=/path/to/musdb18hq` before starting Jupyter, or call
# `data.open_dataset("test", root="/path/to/musdb18hq")`. With internet access (Colab),
# `root="previews"` downloads musdb's 7-second excerpts. A malformed folder is refused with a
# message that names the track and the file:

# %%
import tempfile
from pathlib import Path

with tempfile.TemporaryDirectory() as tmp:
    broken = Path(tmp) / "test" / "A Song"
    broken.mkdir(parents=True)
    audio.save(broken / "mixture.wav", mixture[:, :1000], rate)
    try:
        data.open_dataset("test", root=tmp)
    except ValueError as err:
        print("refused:", err)

# %%
if data.online():
    previews = data.open_dataset("test", root="previews")
    print(f"MUSDB18 previews: {len(previews)} test tracks, e.g. {previews[0].name}")
else:
    print("MUSDB18 previews skipped: no internet here.")

# %% [markdown]
# ## Exercises
# Each exercise has an answer cell (replace `None`) and a check cell below it. The check says
# whether your answer is missing, wrong or right, and never prints the answer;
# `ex.q1.hint()` gives a hint and `ex.q1.solution()` shows a solution, when you ask.
#
# **1.** Write `loudest(stems)`: the name of the loudest stem (highest RMS level, over both
# channels) of a dict like `stems`. The check runs it on this track's stems and on others,
# where the loudest by RMS is not the loudest by peak or in one channel.

# %%
from seplib.exercises import nb00 as ex

# %% tags=["answer-1"]
def loudest(stems):
    return None  # your code: a stem's name, e.g. "drums"


# %%
ex.q1.check(loudest, stems=stems)

# %% [markdown]
# **2.** The vocals pause between phrases. Write `silent_fraction(x, rate)`: the fraction of
# the 100 ms windows of a signal `x` (channels, samples) that are more than 40 dB below its
# loudest window (drop the samples after the last whole window). The check runs it on the
# vocals and on test signals; then look at `silent_fraction(stems["vocals"], rate)` yourself.

# %% tags=["answer-2"]
def silent_fraction(x, rate):
    return None  # your code: a number between 0 and 1


# %%
ex.q2.check(silent_fraction, vocals=stems["vocals"], rate=rate)

# %% [markdown]
# The synthetic vocals have rests between phrases, so some windows are silent, but not all:

# %%
assert ex.has_rests(stems["vocals"], rate)  # some windows more than 40 dB down, not all

# %% [markdown]
# ## References
# - Z. Rafii, A. Liutkus, F.-R. Stöter, S. I. Mimilakis, R. Bittner. *The MUSDB18 corpus for
#   music separation*, 2017. doi:10.5281/zenodo.1117372 (and MUSDB18-HQ, 2019,
#   doi:10.5281/zenodo.3338373).
# - F.-R. Stöter, A. Liutkus, N. Ito. *The 2018 Signal Separation Evaluation Campaign*.
#   LVA/ICA 2018 (SiSEC 2018, where MUSDB18 was introduced as the benchmark).
# - K. Karplus, A. Strong. *Digital synthesis of plucked-string and drum timbres*. Computer
#   Music Journal 7(2), 1983 (the plucked strings of section 7).
