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
# # 10 · Separation by place: panning and the azimuth histogram
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/seplib/seplib-workbook/blob/main/notebooks/10_panning.ipynb)
#
# **Goal.** Every lesson so far listened to what a source *sounds* like. A stereo mix also
# says *where* each source sits between the loudspeakers. Here you turn the pan law around to
# read a pan position off every time-frequency bin, find the sources' positions as peaks of
# the mixture's **azimuth histogram**, and separate with soft masks around them. By the end you
# can say where this works (sources panned apart), where it cannot (two sources in one place,
# reverb, the crowded centre of a real mix), and how it scores on the test split and the real
# song.


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


# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from IPython.display import display
from scipy.signal import fftconvolve

from seplib import STEMS, audio, data, listen, metrics, separate, spectral
from seplib.classical import panning

test = data.open_dataset("test")
track = test[0]
rate = track.rate
mixture, stems = data.track_mixture(track), data.track_stems(track)
excerpt = slice(0, min(mixture.shape[1], 6 * rate))  # 6 s for the listening examples
print(f"{len(test)} test tracks; working on {track.name!r}")

# %% [markdown]
# ## 1. The idea: a pan law, and turning it around
# A mixing desk places a mono source $s$ between left and right with a **pan knob**
# $p \in [-1, 1]$ (-1 hard left, 0 centre, +1 hard right). The **constant-power pan law**,
# the one the synthetic songs use, sends
#
# $$x_L = \cos\theta\; s, \qquad x_R = \sin\theta\; s, \qquad \theta = \frac{(p + 1)\pi}{4},$$
#
# so a source is as loud at every position ($\cos^2\theta + \sin^2\theta = 1$). The STFT is
# linear, so in every time-frequency bin where that source is alone, the two channels keep
# the same **inter-channel level difference** (ILD), $|X_R| / |X_L| = \tan\theta$, whatever the
# note and its loudness. Turned around, every bin gets a pan position:
#
# $$\hat p(f, t) = \frac{4}{\pi}\arctan\frac{|X_R(f, t)|}{|X_L(f, t)|} - 1 .$$
#
# (A mixing desk may use another law, e.g. the linear one, $g_L = (1 - p)/2$, $g_R = (1 + p)/2$,
# 6 dB down at the centre; $\hat p$ then bends, but keeps the order of the positions, which is
# all the method below needs: asserted at the end of the next cell.)

# %%
p = np.linspace(-1, 1, 201)
g_left, g_right = panning.pan_gains(p)
fig, axes = plt.subplots(1, 2, figsize=(13, 3.2))
axes[0].plot(p, g_left, label="left gain $g_L$")
axes[0].plot(p, g_right, label="right gain $g_R$")
axes[0].plot(p, g_left ** 2 + g_right ** 2, "k:", label="$g_L^2 + g_R^2$")
axes[0].set(xlabel="pan position p", title="constant-power pan law")
axes[0].legend()
axes[1].plot(p[1:-1], 20 * np.log10(g_right[1:-1] / g_left[1:-1]))
axes[1].set(xlabel="pan position p", ylabel="dB", title="inter-channel level difference 20 log10(g_R / g_L)")
fig.tight_layout()

# the law turned around gives back every position, at any level
positions = np.array([-1.0, -0.6, 0.0, 0.35, 1.0])
g_l, g_r = panning.pan_gains(positions)
print("positions:", positions, "| read back:", panning.pan_index(0.3 * g_l, 0.3 * g_r).round(4))
assert np.allclose(panning.pan_index(0.3 * g_l, 0.3 * g_r), positions, atol=1e-6)
assert np.allclose(g_l ** 2 + g_r ** 2, 1)
ild_half_right = 20 * np.log10(panning.pan_gains(0.5)[1] / panning.pan_gains(0.5)[0])
print(f"a source at p = 0.5 is {ild_half_right:.2f} dB louder on the right")
assert 7.6 < ild_half_right < 7.7
linear_read = panning.pan_index((1 - p) / 2, (1 + p) / 2)            # a linear law, read with ours
assert np.all(np.diff(linear_read) > 0) and linear_read[0] == -1 and linear_read[-1] == 1
assert abs(20 * np.log10(0.5) + 6) < 0.05                             # the linear law: 6 dB down at the centre

# %% [markdown]
# ## 2. Build it from the idea: three instruments, three places
# A piano at $p = -0.6$, a synth bass in the centre and a plucked string at $+0.5$, each mono
# and panned with the law above (`panning.pan_mono`), are added into a stereo mixture. We know
# where each one sits; the method will have to find it.

# %%
from seplib.data import synth


def line(sound, notes, step, seconds=4.0):
    """A mono line: one note (MIDI number) every `step` seconds, played by `sound(midi)`."""
    out = np.zeros(int(seconds * rate), np.float32)
    for i, m in enumerate(notes):
        x = sound(m)
        start = int(i * step * rate)
        n = min(len(x), len(out) - start)
        out[start:start + n] += x[:n]
    return out / np.abs(out).max()


rng = np.random.default_rng(0)
toy = {"piano": line(lambda m: synth.piano(synth.midi_to_hz(m), 0.9, rate), [60, 64, 67, 72, 67, 64, 60, 55], 0.5),
       "bass": 0.5 * line(lambda m: synth.synth_bass(synth.midi_to_hz(m), 0.45, rate), [39, 39, 46, 39, 44, 44, 42, 46], 0.5),
       "pluck": line(lambda m: synth.karplus_strong(synth.midi_to_hz(m), 0.4, rate, rng, 0.6, 0.4),
                     [78, 81, 85, 86, 85, 81, 78, 76] * 2, 0.25)}
toy_pans = {"piano": -0.6, "bass": 0.0, "pluck": 0.5}
toy_images = {k: panning.pan_mono(toy[k], toy_pans[k]) for k in toy}   # (2, samples) each
toy_mix = sum(toy_images.values())

# %% [markdown]
# Every bin's position $\hat p$ from the mixture's STFT, and the **azimuth histogram**: the
# share of the mixture's energy $|X_L|^2 + |X_R|^2$ at each position. Music is *sparse* in
# time-frequency (most bins are dominated by one source), so each source's bins gather at its
# position and the histogram has a peak there. `panning.pan_positions` finds the peaks
# (`scipy.signal.find_peaks` on the lightly smoothed histogram):

# %%
X_toy = spectral.stft(toy_mix)                                      # (2, freqs, frames) complex
pan_hat = panning.pan_index(X_toy[0].abs().numpy(), X_toy[1].abs().numpy())
energy = (X_toy.abs() ** 2).sum(0).numpy()
centres, share = panning.pan_histogram(pan_hat, energy)
found = panning.pan_positions(pan_hat, energy)
print("positions found:", found.round(3), "| true:", sorted(toy_pans.values()))
assert len(found) == 3 and np.allclose(np.sort(found), sorted(toy_pans.values()), atol=2 / panning.BINS)

fig, axes = plt.subplots(1, 2, figsize=(14, 3.3))
im = axes[0].imshow(pan_hat[:400], origin="lower", aspect="auto", cmap="coolwarm", vmin=-1, vmax=1,
                    extent=[0, toy_mix.shape[1] / rate, 0, 400 * rate / spectral.N_FFT])
axes[0].set(xlabel="time (s)", ylabel="Hz", title="pan position of every bin (blue left, red right)")
fig.colorbar(im, ax=axes[0])
axes[1].bar(centres, share, width=2 / panning.BINS)
for k, v in toy_pans.items():
    axes[1].annotate(k, (v, share.max() * 0.9), ha="center")
axes[1].set(xlabel="pan position", ylabel="share of the energy", title="azimuth histogram")
fig.tight_layout()

# %% [markdown]
# Sparse indeed: of the energy in the bins that hold 99% of the mixture's, more than 90% lies in
# bins where one instrument has more than 90% of the bin's energy (asserted):

# %%
S_toy = np.stack([(spectral.stft(x).abs() ** 2).sum(0).numpy() for x in toy_images.values()])  # (3, freqs, frames)
order = np.argsort(energy.ravel())[::-1]
top = order[:np.searchsorted(np.cumsum(energy.ravel()[order]) / energy.sum(), 0.99) + 1]
dominance = (S_toy.max(0) / S_toy.sum(0).clip(1e-20)).ravel()[top]
weights = energy.ravel()[top]
dominated = float(weights[dominance > 0.9].sum() / weights.sum())
print(f"share of that energy in bins where one instrument holds more than 90%: {dominated:.3f}")
assert dominated > 0.9

# %% [markdown]
# The STFT behind $\hat p$ is seplib's (notebook 01); `librosa.stft` gives the same positions:

# %%
import librosa

L_lib, R_lib = (np.abs(librosa.stft(c, n_fft=spectral.N_FFT, hop_length=spectral.HOP, center=True,
                                    pad_mode="constant")) for c in toy_mix)
loud = energy > 1e-6 * energy.max()
diff = np.abs(panning.pan_index(L_lib, R_lib) - pan_hat)[loud].max()
print(f"largest difference of the pan positions (bins within 60 dB of the loudest): {diff:.1e}")
assert diff < 1e-3

# %% [markdown]
# **Masks around the positions.** A soft window of width $\sigma$ (0.2 by default) around each
# position $p_k$, shared where two windows overlap, with a **rest** for what is far from every
# position; in every bin the masks sum to one:
#
# $$W_k = e^{-(\hat p - p_k)^2 / 2\sigma^2}, \qquad M_k = \frac{W_k}{\max(1, \sum_j W_j)},
# \qquad M_{\text{rest}} = 1 - \sum_k M_k, \qquad \hat s_k = \mathrm{iSTFT}(M_k \odot X).$$
#
# The same masks serve both channels, so each estimate keeps its source's place. (DUET adds
# the time delay between the channels to the level difference, for sources recorded by two
# spaced microphones; ADRess scans gains $|X_L - g X_R|$ for the cancellation instead. For a
# mix panned by level, the level is enough.)

# %%
assert panning.WIDTH == 0.2
masks, rest = panning.azimuth_masks(pan_hat, found, width=panning.WIDTH)
assert np.allclose(masks.sum(0) + rest, 1, atol=1e-6)
n = toy_mix.shape[1]
by_hand = [np.stack([spectral.istft(X_toy[c] * torch.from_numpy(m), n).numpy() for c in range(2)]) for m in masks]
toy_est, toy_rest, used = panning.separate_by_pan(toy_mix)             # the same, with seplib
assert np.allclose(used, found) and max(np.abs(a - b).max() for a, b in zip(by_hand, toy_est)) < 1e-4
rows = {}
for k in toy:
    j = int(np.argmin(np.abs(used - toy_pans[k])))
    rows[k] = {"position": toy_pans[k], "mixture SDR": metrics.sdr(toy_mix, toy_images[k]),
               "estimate SDR": metrics.sdr(toy_est[j], toy_images[k])}
toy_table = pd.DataFrame(rows).T
display(toy_table.round(2))
assert (toy_table["estimate SDR"] > toy_table["mixture SDR"] + 10).all()   # each source, far above the mixture
assert (toy_table["estimate SDR"] > 12).all()
for j, v in enumerate(used):  # each estimate keeps its place: its own tallest peak is where it was found
    assert abs(panning.pan_positions(*panning.pan_features(toy_est[j]))[0] - v) <= 1 / panning.BINS

# %% [markdown]
# Each instrument comes out more than 10 dB above the mixture, and above 12 dB SDR (asserted).
# Listen: the mixture, each estimate and the true source, one click each.

# %%
display(audio.play(toy_mix, rate, title="mixture: piano left, bass centre, pluck right"))
for k in toy:
    j = int(np.argmin(np.abs(used - toy_pans[k])))
    display(audio.play(toy_est[j], rate, title=f"estimate at {used[j]:+.2f}"))
    display(audio.play(toy_images[k], rate, title=f"true {k} (at {toy_pans[k]:+.2f})"))

# %% [markdown]
# ## 3. The songs: a crowded centre
# Where do the stems of a synthetic song sit? The histogram of each true stem (its own bins'
# positions, weighted by its own energy) beside the mixture's. The generator puts the bass, the
# kick and the snare in the centre and the voice near it; the hi-hats and the instruments of
# `other` are placed off it, at positions each song draws, and the pad is spread over both
# sides.

# %%
def histogram_of(x):
    """The azimuth histogram (centres, share) of a stereo signal."""
    return panning.pan_histogram(*panning.pan_features(x))


fig, ax = plt.subplots(figsize=(12, 3.3))
for name, x in [("mixture", mixture), *stems.items()]:
    c, h = histogram_of(x)
    ax.plot(c, h, "k-" if name == "mixture" else "-", lw=2 if name == "mixture" else 1, label=name)
ax.set(xlabel="pan position", ylabel="share of the energy", title=f"azimuth histograms: {track.name}")
ax.legend()
fig.tight_layout()

# %% [markdown]
# The mixture's histogram has its tallest peak at the centre, and a spread of energy off it
# (on every test song, asserted below).
# So the method (`seplib.separate("panning", ...)`, `panning.separate_panning`) takes the
# window of width $\sigma$ around the peak nearest 0 as the **centre**, and calls everything
# else, the rest, **`other`**. How much of each stem's energy does the centre window take, on
# every test song? (The mixture's mask applied to each true stem's power spectrogram $S_j$:
# $\sum M S_j / \sum S_j$.)

# %%
def centre_shares(mix, parts):
    """The centre mask of a mixture, its position, and the share of each part's energy it keeps."""
    mask, where = panning.centre_mask(mix)
    shares = {}
    for s, x in parts.items():
        S = spectral.stft(x).abs().numpy() ** 2
        shares[s] = float((mask * S).sum() / S.sum())
    return mask, where, shares


share_rows, centre_at, tallest_at = {}, {}, {}
for t in test:
    mix_t = data.track_mixture(t)
    _, centre_at[t.name], share_rows[t.name] = centre_shares(mix_t, data.track_stems(t))
    tallest_at[t.name] = panning.pan_positions(*panning.pan_features(mix_t))[0]
kept = pd.DataFrame(share_rows).T[list(STEMS)]
kept["centre at"], kept["tallest peak at"] = pd.Series(centre_at), pd.Series(tallest_at)
display(kept.round(3))
med = kept[list(STEMS)].median()
print("median share kept by the centre:", med.round(2).to_dict())
assert (kept["centre at"].abs() <= 0.05).all() and (kept["tallest peak at"].abs() <= 0.05).all()
assert med["bass"] > med["other"] and med["vocals"] > med["other"]
assert med["bass"] > 0.6 and med["vocals"] > 0.5

# %% [markdown]
# On every test song the tallest peak sits within 0.05 of 0; the centre window keeps most of
# the bass and most of the voice, and less of the other stem (medians over the songs,
# asserted). So `other` is the one stem panning can give: what is not in the centre.
# Listen to the mixture, the `panning` estimate of `other` and the true `other`:

# %%
pan_est = separate("panning", mixture, rate)
display(audio.play(mixture[:, excerpt], rate, title="mixture"))
display(audio.play(pan_est["other"][:, excerpt], rate, title="panning: other (all but the centre)"))
display(audio.play(stems["other"][:, excerpt], rate, title="true other"))

# %% [markdown]
# ## 4. Measure on the test split and on the real song
# Scored with the MUSDB protocol (median SDR over 1 s frames, then over songs) like every
# method, beside the floor (the mixture) and the ceiling (the best of the oracle masks of
# notebook 01 for each stem); the scores are stored, and the real song's under the data set
# `example`. `panning` gives only `other`, so read only that column.

# %%
ORACLES = ["oracle-ibm", "oracle-irm", "oracle-wiener"]


def scored(tracks):
    """Evaluate (and store) panning, and the floor and the oracles where they are not stored yet."""
    board = metrics.leaderboard(metrics.dataset_of(tracks))
    for method in ("mixture", *ORACLES):
        if method not in board.index:
            metrics.evaluate(method, tracks, progress=False)
    per_track = metrics.evaluate("panning", tracks, progress=False)
    return metrics.leaderboard(metrics.dataset_of(tracks)), per_track


real = data.real_song()
real_mix, real_stems = data.track_mixture(real), data.track_stems(real)
board, pan_scores = scored(test)
real_board, _ = scored([real])
rows, best = {}, {}
for label, b in [("synthetic test split", board), (f"real song: {real.name}", real_board)]:
    best[label] = b.loc[ORACLES, "other"].idxmax()
    rows[label] = {"mixture": b.loc["mixture", "other"], "panning": b.loc["panning", "other"],
                   "ceiling (best oracle)": b.loc[best[label], "other"]}
other_table = pd.DataFrame(rows).T.astype(float)
display(other_table.round(2).assign(**{"best oracle": pd.Series(best)}).rename_axis("other SDR (dB)"))
for label, r in other_table.iterrows():
    assert r["panning"] > r["mixture"] + 1, label                 # panning beats the floor on other...
    assert r["ceiling (best oracle)"] > r["panning"] + 2, label   # ...and stays far below the ceiling

# %% [markdown]
# On `other`, panning is more than 1 dB above the mixture and more than 2 dB below the ceiling,
# on the synthetic test split and on the real song (asserted). Song by song on the test split
# (median over frames):

# %%
display(pan_scores[pan_scores.stem == "other"].pivot(index="track", columns="metric", values="value").round(2))

# %% [markdown]
# ### The listening room
# Pick a song; switch between the mixture, the estimates and the true `other`.

# %%
display(listen.listening_room(test, ["mixture", "panning", "oracle-irm"], dataset=metrics.dataset_of(test),
                              estimates={"panning": {track.name: pan_est}}, seconds=6.0))

# %% [markdown]
# ## 5. Where it fails
# ### Two sources in one place
# Move the bass of section 2 to $+0.5$, where the pluck is. Their bins now share one position:
# the histogram has one peak fewer, and no mask can tell them apart. The estimate at $+0.5$
# holds both, and as an estimate of the pluck it scores within 1 dB of the pluck and bass
# added together, that is, of not separating them at all:

# %%
same_pans = dict(toy_pans, bass=0.5)
same_images = {k: panning.pan_mono(toy[k], same_pans[k]) for k in toy}
same_mix = sum(same_images.values())
same_est, _, same_used = panning.separate_by_pan(same_mix)
j = int(np.argmin(np.abs(same_used - 0.5)))
pluck_same = metrics.sdr(same_est[j], same_images["pluck"])
pluck_both = metrics.sdr(same_images["pluck"] + same_images["bass"], same_images["pluck"])
print(f"positions found: {same_used.round(3)}; pluck SDR: apart {toy_table.loc['pluck', 'estimate SDR']:.2f} dB, "
      f"in one place {pluck_same:.2f} dB, pluck + bass {pluck_both:.2f} dB")
assert len(same_used) == 2
assert abs(pluck_same - pluck_both) < 1 and pluck_same < toy_table.loc["pluck", "estimate SDR"] - 10
display(audio.play(same_mix, rate, title="mixture: bass moved to the pluck's place"))
display(audio.play(same_est[j], rate, title="estimate at +0.5"))
display(audio.play(same_images["pluck"], rate, title="true pluck"))

# %% [markdown]
# ### The real mix's centre
# The same happens in a real mix, where the bass, the kick, the snare and the voice all sit
# in the centre. On the real song the centre window keeps more than 60% of the energy of the
# drums, of the bass and of the voice, and more of each than of the other stem:

# %%
real_mask, real_centre, real_kept = centre_shares(real_mix, real_stems)
print(f"centre at {real_centre:+.3f}; share kept by the centre:", {s: round(v, 2) for s, v in real_kept.items()})
assert all(real_kept[s] > 0.6 and real_kept[s] > real_kept["other"] for s in ("drums", "bass", "vocals"))
real_pan = separate("panning", real_mix, real.rate)
display(audio.play(real_mix, real.rate, title=f"mixture: {real.name}"))
display(audio.play(real_mix - real_pan["other"], real.rate, title="panning: the centre (mixture minus other)"))
display(audio.play(real_stems["vocals"], real.rate, title="true vocals"))
display(audio.play(real_pan["other"], real.rate, title="panning: other"))
display(audio.play(real_stems["other"], real.rate, title="true other"))

# %% [markdown]
# ### Reverb
# A room sends a source's sound back from every direction: its left and right echoes differ at
# random, so the reverberant part of a bin has no one position. Give the three instruments of
# section 2 a room (the generator's `synth.room_impulse`, 1 s of reverb, sent at 0.3 like a
# mix's reverb send). The histogram's peaks sink into a spread, and every estimate (scored
# against its source's reverberant image) falls by more than 2 dB; the tallest bin holds less
# than half the share it held dry:

# %%
ir = synth.room_impulse(rate, np.random.default_rng(1), rt60=1.0)      # (2, samples): a stereo room


def in_room(image, source, send=0.3):
    """A panned source plus the room's response to it (a mono send into a stereo room)."""
    wet = np.stack([fftconvolve(source, ir[c])[:len(source)] for c in range(2)])
    return (image + send * wet).astype(np.float32)


wet_images = {k: in_room(toy_images[k], toy[k]) for k in toy}
wet_mix = sum(wet_images.values())
wet_est, _, _ = panning.separate_by_pan(wet_mix, positions=used)         # the dry positions, known
wet_rows = {}
for k in toy:
    j = int(np.argmin(np.abs(used - toy_pans[k])))
    wet_rows[k] = {"dry estimate SDR": toy_table.loc[k, "estimate SDR"],
                   "with reverb": metrics.sdr(wet_est[j], wet_images[k])}
wet_table = pd.DataFrame(wet_rows).T
display(wet_table.round(2))
c_wet, share_wet = histogram_of(wet_mix)
print(f"tallest bin: {share.max():.3f} of the energy dry, {share_wet.max():.3f} with reverb")
assert (wet_table["with reverb"] < wet_table["dry estimate SDR"] - 2).all()
assert share_wet.max() < share.max() / 2

fig, ax = plt.subplots(figsize=(12, 3))
ax.plot(centres, share, label="dry")
ax.plot(c_wet, share_wet, label="with reverb")
ax.set(xlabel="pan position", ylabel="share of the energy", title="azimuth histogram, dry and in a room")
ax.legend()
fig.tight_layout()
k = "piano"
j = int(np.argmin(np.abs(used - toy_pans[k])))
display(audio.play(wet_mix, rate, title="mixture in a room"))
display(audio.play(wet_est[j], rate, title=f"estimate at {used[j]:+.2f}, in a room"))
display(audio.play(wet_images[k], rate, title=f"true {k} with its reverb"))

# %% [markdown]
# Panning knows places, not instruments: it separates what a mix engineer put apart, and
# nothing else. The centre, where the voice, the bass and the drums meet, needs what the
# sources sound like (HPSS, REPET and NMF, notebooks 02-04, and the networks of 05-07); a
# learned model can also be given both channels and use the place as one more cue.
#
# ## Exercises
# Each exercise has an answer cell (replace `None`) and a check cell below it. The check says
# whether your answer is missing, wrong or right, and never prints the answer;
# `ex.q1.hint()` gives a hint and `ex.q1.solution()` shows a solution, when you ask. The
# checks of 1 and 2 run your function on inputs of their own.
#
# **1.** Write `pan_from_levels(left, right)`: the pan position of every bin from the two
# channels' magnitudes (arrays of one shape), the constant-power law turned around (section
# 1). A bin silent in both channels is at the centre, 0.

# %%
from seplib.exercises import nb10 as ex

# %% tags=["answer-1"]
def pan_from_levels(left, right):
    return None  # your code


# %%
ex.q1.check(pan_from_levels)

# %% [markdown]
# **2.** Write `tallest_position(pan, energy, bins)`: the position (the bin's centre) of the
# tallest bin of the energy-weighted azimuth histogram with `bins` bins over $[-1, 1]$
# (section 2).

# %% tags=["answer-2"]
def tallest_position(pan, energy, bins):
    return None  # your code


# %%
ex.q2.check(tallest_position)

# %% [markdown]
# **3.** Write `share_kept(mask, x)`: the share (between 0 and 1) of the energy of a stereo
# signal `x` (channels, samples) that a (freqs, frames) mask keeps, with `spectral.stft`. Section 5
# used such shares for the centre mask; the check runs yours on the real song's bass with
# `real_mask`, and on signals of its own.

# %% tags=["answer-3"]
def share_kept(mask, x):
    return None  # your code


# %%
ex.q3.check(share_kept, mask=real_mask, x=real_stems["bass"])

# %% [markdown]
# ## References
# - A. Jourjine, S. Rickard, Ö. Yilmaz. *Blind separation of disjoint orthogonal signals:
#   demixing N sources from 2 mixtures*. Proc. ICASSP, 2000 (DUET).
# - S. Rickard. *The DUET blind source separation algorithm*. In *Blind Speech Separation*,
#   Springer, 2007.
# - D. Barry, B. Lawlor, E. Coyle. *Sound source separation: azimuth discrimination and
#   resynthesis*. Proc. DAFx, 2004 (ADRess).
# - C. Avendano. *Frequency-domain source identification and manipulation in stereo mixes
#   for enhancement, suppression and re-panning applications*. Proc. IEEE WASPAA, 2003.
