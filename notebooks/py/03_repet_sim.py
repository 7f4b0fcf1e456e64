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
# # 03 · REPET and REPET-SIM: the accompaniment repeats, the voice does not
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/seplib/seplib-workbook/blob/main/notebooks/03_repet_sim.ipynb)
#
# **Goal.** Separate the vocals from the accompaniment using only one fact about music: the
# accompaniment repeats (a drum pattern, a chord loop), while the singer keeps singing new
# things. By the end you can find a song's repeating period in its *beat spectrum*, build the
# REPET and REPET-SIM masks by hand, and say when repetition is the wrong assumption.

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
import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display

from seplib import audio, classical, config, data, listen, methods, metrics, plots, separate
from seplib.classical import repet
from seplib.separation import accompaniment as accompaniment_of

test = data.open_dataset("test")
track = test[0]
rate = track.rate
mixture, stems = data.track_mixture(track), data.track_stems(track)
accompaniment = mixture - stems["vocals"]
excerpt = slice(0, min(mixture.shape[1], 6 * rate))  # 6 s for the listening examples
view = slice(0, min(mixture.shape[1], 8 * rate))     # 8 s for the pictures
hop = 1024                                           # seplib's default STFT hop (samples)
print(f"{len(test)} test tracks; working on {track.name!r}")

# %% [markdown]
# ## 1. Repetition you can see: the self-similarity matrix
# Compare every frame of the spectrogram with every other by the cosine of their magnitude
# spectra:
#
# $$S(t, t') = \frac{\langle V_{:,t}, V_{:,t'}\rangle}{\lVert V_{:,t}\rVert\,\lVert V_{:,t'}\rVert}.$$
#
# A pattern that repeats every $p$ frames draws stripes parallel to the diagonal, $p$ frames
# off it. Here on 8 seconds (a small matrix, for the picture only), for the accompaniment, the
# vocals and the mixture:

# %%
def self_similarity(x):
    """Cosine similarity of every pair of STFT frames of x (channels summed): (frames, frames)."""
    _, V = classical.spectrogram(x)
    F = V.sum(0)                                           # (freqs, frames)
    F = F / np.maximum(np.linalg.norm(F, axis=0, keepdims=True), 1e-10)
    return F.T @ F


seconds = view.stop / rate
fig, axes = plt.subplots(1, 3, figsize=(15, 4.3))
for ax, (name, sig) in zip(axes, [("accompaniment", accompaniment), ("vocals", stems["vocals"]), ("mixture", mixture)]):
    ax.imshow(self_similarity(sig[:, view]), origin="lower", cmap="magma", extent=(0, seconds, 0, seconds))
    ax.set(title=f"self-similarity: {name}", xlabel="time (s)", ylabel="time (s)")
fig.tight_layout()

# %% [markdown]
# The accompaniment's matrix is striped parallel to the diagonal: its drum pattern and
# chord loop come back again and again. The vocals' matrix has no such regular grid. REPET
# (Rafii and Pardo, 2013) turns that observation into a mask.
#
# ## 2. The beat spectrum: finding the period
# Average the self-similarity along its diagonals, on the power spectrogram
# $P = V^2$: this is the autocorrelation of each frequency row over time, averaged over
# frequencies. Foote (2001) called such a curve the *beat spectrum*; REPET (Rafii and Pardo,
# 2013) computes it this way:
#
# $$b(\ell) = \frac{1}{F}\sum_{f}\frac{1}{T - \ell}\sum_{t=0}^{T-\ell-1} P(f, t)\, P(f, t + \ell),
# \qquad \text{normalised so that } b(0) = 1.$$
#
# Peaks of $b$ sit at the lags where the music repeats. By hand, one lag at a time (on the
# first 8 s), and checked against `seplib.classical.repet.beat_spectrum` (which uses the FFT):

# %%
X_ex, V_ex = classical.spectrogram(mixture[:, view])
P = (V_ex.astype(np.float64) ** 2).reshape(-1, V_ex.shape[-1])  # (channels * freqs, frames)
T = P.shape[1]
b_hand = np.array([np.mean(np.sum(P[:, : T - lag] * P[:, lag:], axis=1)) / (T - lag) for lag in range(T)])
b_hand /= b_hand[0]
b_seplib = repet.beat_spectrum(V_ex)
print(f"largest difference, by hand vs seplib: {np.abs(b_hand - b_seplib).max():.1e}")
assert np.allclose(b_hand, b_seplib, atol=1e-6)

# %% [markdown]
# Now on the whole track. The repeating period is the lag whose multiples best line up with the
# peaks (`repet.repeating_period`: it scores every candidate from 1 s up to 10 s or a third
# of the track, whichever is shorter, by how far $b$ rises at its multiples, and prefers the
# shortest period that does nearly as well as the best, so a one-bar loop is not reported as
# two bars).

# %%
X, V = classical.spectrogram(mixture)
b = repet.beat_spectrum(V)
min_frames = classical.seconds_to_frames(1.0, rate, hop)
max_frames = min(classical.seconds_to_frames(10.0, rate, hop), V.shape[-1] // 3)
period = repet.repeating_period(b, min_frames, max_frames)
lags = np.arange(len(b)) * hop / rate
print(f"period: {period} frames = {period * hop / rate:.2f} s; the highest peak in range is at "
      f"{(min_frames + np.argmax(b[min_frames:max_frames + 1])) * hop / rate:.2f} s")
root = data.resolve_root()
info = json.loads((root / "seplib.json").read_text())["song_info"].get(track.name) if (root / "seplib.json").is_file() else None
if info:  # the synthetic songs know their tempo: one bar of 4 beats is 240 / tempo seconds
    bar = 240 / info["tempo"]
    print(f"this song: {info['tempo']} beats per minute, one bar = {bar:.2f} s: "
          f"the period is {period * hop / rate / bar:.2f} bars")

fig, ax = plt.subplots(figsize=(12, 3))
ax.plot(lags[1:], b[1:], lw=1)
for k in range(1, int(lags[-1] / (period * hop / rate)) + 1):
    ax.axvline(k * period * hop / rate, color="C3", ls="--", lw=0.8, label="detected period and multiples" if k == 1 else None)
ax.set(xlabel="lag (s)", ylabel="b(lag)", title="beat spectrum of the mixture", xlim=(0, lags[-1]))
ax.legend()
fig.tight_layout()

# %% [markdown]
# The stripes of section 1, measured: at the detected period the accompaniment's beat spectrum
# is high (its loop comes back), the vocals' is lower (a sung phrase seldom comes back
# exactly one period later).

# %%
b_stems = {name: repet.beat_spectrum(classical.spectrogram(sig)[1])
           for name, sig in [("accompaniment", accompaniment), ("vocals", stems["vocals"])]}
print("beat spectrum at the period: " + ", ".join(f"{name} {bs[period]:.2f}" for name, bs in b_stems.items()))
assert b_stems["accompaniment"][period] > b_stems["vocals"][period]

# %% [markdown]
# The period need not be a whole bar: if the drums repeat every half bar, so does most of the
# spectrogram, and the chords that change every bar average out in the median below.
#
# ## 3. REPET by hand
# 1. Cut $V$ into segments of one period and stack them.
# 2. Their element-wise **median** is the *repeating segment*: the loop is in every segment,
#    while at a given time-frequency point of the period the voice sounds in some segments
#    and not in others. As long as it sounds there in fewer than half of them, the median
#    ignores it (an outlier); section 4 shows what that buys over a mean.
# 3. Tile it along the song and clip it to the mixture: $W = \min(\tilde V, V)$, a model of the
#    background (it cannot be louder than the mixture).
# 4. The soft mask of the background is $M = W / V$; the voice gets $1 - M$. Below 100 Hz
#    everything goes to the accompaniment (no voice sings there).

# %%
count = -(-V.shape[-1] // period)                                   # segments (the last one partial)
padded = np.full(V.shape[:-1] + (count * period,), np.nan, dtype=np.float32)
padded[..., : V.shape[-1]] = V
segments = padded.reshape(V.shape[:-1] + (count, period))          # (channels, freqs, segments, period)
repeating_segment = np.nanmedian(segments, axis=-2)                # the median ignores the NaN padding
W = np.minimum(np.tile(repeating_segment, count)[..., : V.shape[-1]], V)
M = np.where(V > 1e-10, W / np.maximum(V, 1e-10), 0.0)
M[..., : int(np.ceil(100 * 4096 / rate)), :] = 1.0                  # bins below 100 Hz: accompaniment
by_hand = classical.masks_to_estimates(X, {"accompaniment": M}, mixture, rest="vocals")

seplib_repet = separate("repet", mixture, rate)
diff = max(np.abs(by_hand[s] - seplib_repet[s]).max() for s in ("vocals", "accompaniment"))
print(f"{count} segments of {period} frames; largest difference to seplib's REPET: {diff:.1e}")
assert diff < 1e-4

# %%
fig, axes = plt.subplots(1, 3, figsize=(16, 3.3), sharey=True)
plots.image(plots.to_db(V[..., : view.stop // hop]), rate, ax=axes[0], title="mixture |X| (dB)", max_hz=5000, label="dB")
plots.image(plots.to_db(W[..., : view.stop // hop]), rate, ax=axes[1], title="repeating model W (dB)",
            max_hz=5000, label="dB")
plots.mask(1 - M[..., : view.stop // hop], rate, ax=axes[2], title="vocal mask 1 - W/V", max_hz=5000)
fig.tight_layout()

# %%
display(audio.play(mixture[:, excerpt], rate, title="mixture"))
display(audio.play(seplib_repet["vocals"][:, excerpt], rate, title="REPET vocals"))
display(audio.play(stems["vocals"][:, excerpt], rate, title="reference vocals"))
display(audio.play(seplib_repet["accompaniment"][:, excerpt], rate, title="REPET accompaniment"))
sdr_repet = metrics.sdr(seplib_repet["vocals"], stems["vocals"])
sdr_mixture = metrics.sdr(mixture, stems["vocals"])
print(f"vocals SDR on this track: the mixture as the estimate {sdr_mixture:.2f} dB, REPET {sdr_repet:.2f} dB")
assert sdr_repet > sdr_mixture  # better than doing nothing

# %% [markdown]
# ## 4. Why the median? A song built to show it
# A mean of the segments would take in a share of every segment's voice; the median takes in
# none of it, as long as the voice is *sparse*: present at a point of the period in fewer
# than half of the segments. Build a song where that is exactly true: the first period of the
# track's accompaniment repeated 8 times (a perfect loop), and the loudest one-period phrase
# of the track's vocals in 2 of the 8 segments. The period is known, so both models use it.

# %%
L = period * hop                                                      # the period in samples
n_periods = mixture.shape[1] // L
loudest = max(range(n_periods), key=lambda i: np.sum(stems["vocals"][:, i * L:(i + 1) * L] ** 2))
phrase = stems["vocals"][:, loudest * L:(loudest + 1) * L]            # the loudest sung period
loop = accompaniment[:, :L]                                           # one period of accompaniment
highpass = int(np.ceil(100 * 4096 / rate))                            # bins below 100 Hz


def constructed_song(voiced, n_segments=8):
    """The loop repeated n_segments times, with the phrase in the segments listed in voiced."""
    voice = np.zeros((loop.shape[0], n_segments * L), dtype=np.float32)
    for i in voiced:
        voice[:, i * L:(i + 1) * L] = phrase
    return np.tile(loop, (1, n_segments)) + voice, voice


def repet_vocals(song, model):
    """REPET's vocals of song with a given background model, model(V, period) -> W."""
    X_s, V_s = classical.spectrogram(song)
    mask = repet.background_mask(model(V_s, period), V_s, highpass)
    return classical.masks_to_estimates(X_s, {"accompaniment": mask}, song, rest="vocals")["vocals"]


def segment_mean_model(V, period):
    """Like repet.repeating_model, with the mean of the segments instead of their median."""
    count = -(-V.shape[-1] // period)
    padded = np.full(V.shape[:-1] + (count * period,), np.nan, dtype=np.float32)
    padded[..., : V.shape[-1]] = V
    segment = np.nanmean(padded.reshape(V.shape[:-1] + (count, period)), axis=-2)
    return np.minimum(np.tile(segment, count)[..., : V.shape[-1]], V)


song, voice = constructed_song(voiced=[1, 5])
why_median = {name: metrics.sdr(repet_vocals(song, model), voice)
              for name, model in [("median", repet.repeating_model), ("mean", segment_mean_model)]}
print(f"vocals SDR on the constructed song: median {why_median['median']:.2f} dB, "
      f"mean {why_median['mean']:.2f} dB")
assert why_median["median"] > why_median["mean"] + 1.0  # the median wins clearly
display(audio.play(song[:, : 4 * L], rate, title="constructed song (first 4 periods)"))

# %% [markdown]
# With the mean, about a quarter of the phrase's magnitude sits in the background model of
# every segment, so in the two sung segments part of the voice is called background. The
# median of 8 values, 6 of them the bare loop, is the loop itself: the voice goes to the
# vocals, except where it shares a bin with the loop (the mask splits those).
#
# On the test track the voice sings through most periods, and the two statistics are much
# closer (either may win, by a little): REPET's median pays off when the foreground is
# sparse. How much the voice may fill before the median gives way is exercise 2.

# %%
whole_track = {"median": sdr_repet, "mean": metrics.sdr(repet_vocals(mixture, segment_mean_model), stems["vocals"])}
print(f"vocals SDR on the test track: median {whole_track['median']:.2f} dB, mean {whole_track['mean']:.2f} dB")
assert abs(whole_track["median"] - whole_track["mean"]) < why_median["median"] - why_median["mean"]  # closer than above

# %% [markdown]
# ## 5. REPET-SIM: similar frames instead of one period
# Real songs change tempo, have verses and choruses, and repeat in other places than one fixed
# period. REPET-SIM (Rafii and Pardo, 2012) drops the period: for each frame $t$ it takes the
# $k$ frames most similar to it (cosine similarity as in section 1, at least 1 s away so the
# frame's own note does not count) and uses their median as the background for that frame:
#
# $$\tilde V(f, t) = \operatorname{median}_{t' \in \mathcal N_k(t)} V(f, t'), \qquad W = \min(\tilde V, V).$$
#
# By hand, with the full similarity matrix of the track (`seplib` computes it a block of rows
# at a time, so a long song never needs the whole $T \times T$ matrix):

# %%
k = 40
features = V.sum(0).T                                                 # (frames, freqs), channels summed
unit = features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-10)
similarity = unit @ unit.T                                            # (frames, frames)
t = np.arange(len(similarity))
similarity[np.abs(t[:, None] - t[None, :]) < min_frames] = -np.inf   # not the frame's own neighbourhood
neighbours = np.argsort(-similarity, axis=1)[:, :k]                   # (frames, k): the k most similar
model = np.empty_like(V)
for frame, nb in enumerate(neighbours):                               # median of the neighbours (for an even k
    model[..., frame] = np.sort(V[..., nb], axis=-1)[..., k // 2]     # the upper middle value, as seplib)
W_sim = np.minimum(model, V)

W_seplib = repet.similarity_model(V, repet.similar_frames(features, k, min_frames))
print(f"largest difference of the background models, by hand vs seplib: {np.abs(W_sim - W_seplib).max():.1e}")
assert np.allclose(W_sim, W_seplib, atol=1e-5)

# %% [markdown]
# **Checked against librosa.** `librosa.decompose.nn_filter` does this step too: it finds each
# frame's neighbours with `librosa.segment.recurrence_matrix` (cosine distance, at least
# `width` frames away) and replaces the frame by an aggregate of theirs. Give it the same
# similarity (the channel-summed magnitudes), the same $k$, `width` = 1 s and
# `aggregate=np.median`, here on the left channel's model over the first 4 s of the track. Two
# details decide whether the two agree value for value:
#
# * **An even $k$.** `np.median` of an even count averages the two middle values, while seplib
#   takes the upper one (as `scipy.ndimage.median_filter` does). So with an odd $k$ the two
#   models agree exactly. With $k = 40$, librosa's model is never above seplib's. Give librosa
#   seplib's median as its `aggregate` and it returns seplib's model exactly.
# * **The mode.** With `mode="affinity"`, `recurrence_matrix` keeps each frame's $k$ most
#   similar frames, the sets `repet.similar_frames` finds. (The two libraries round the
#   similarities differently, so where two candidates tie to within rounding at the $k$-th
#   place, each may keep another one. The cell checks that every frame whose set differs is
#   such a tie, and compares the models on the other frames.) Its default is
#   `mode="connectivity"`, where every link weighs 1. When it trims its candidates to $k$ it
#   then cannot tell the nearest from the others, so it keeps $k$ of them that are not always
#   the $k$ most similar. Section 6's recipe uses that default.

# %%
import librosa

V4 = V[..., : classical.seconds_to_frames(4.0, rate, hop)]          # the first 4 s: (channels, freqs, frames)
features4 = V4.sum(0)                                               # (freqs, frames), channels summed
V4 = V4[0]                                                          # the left channel's magnitude: its model
frames_first = np.ascontiguousarray(V4.T)                           # (frames, freqs): nn_filter(axis=0)


def upper_middle(x, axis):
    """seplib's median of k values: the (k // 2)-th smallest, the upper middle one for an even k."""
    return np.sort(x, axis=axis).take(x.shape[axis] // 2, axis=axis)


unit4 = features4 / np.maximum(np.linalg.norm(features4, axis=0, keepdims=True), 1e-10)
similarity4 = unit4.T @ unit4                                       # (frames, frames) cosine similarity
checks = {}
for k_check in (41, 40):
    rec = librosa.segment.recurrence_matrix(features4, k=k_check, width=min_frames, metric="cosine",
                                            mode="affinity", sparse=True)
    chosen = rec.toarray() != 0                                     # column t: the neighbours of frame t
    ours = repet.similar_frames(features4.T, k_check, min_frames)
    same = np.array([set(np.flatnonzero(chosen[:, i])) == set(ours[i]) for i in range(len(ours))])
    for i in np.flatnonzero(~same):                                 # another set: a tie at the k-th place
        kth = similarity4[i, ours[i]].min()
        swapped = set(np.flatnonzero(chosen[:, i])) ^ set(ours[i])
        assert all(abs(similarity4[i, j] - kth) < 1e-5 for j in swapped), i
    W_ours = repet.similarity_model(V4, ours)[:, same]
    aggregates = {"np.median": np.median, **({"seplib's median": upper_middle} if k_check % 2 == 0 else {})}
    for name, aggregate in aggregates.items():
        filtered = librosa.decompose.nn_filter(frames_first, rec=rec, aggregate=aggregate, axis=0)
        W_lib = np.minimum(filtered.T, V4)[:, same]                 # clipped to the mixture, as seplib's
        checks[f"k = {k_check}, aggregate={name}"] = {
            "same neighbours (share of frames)": same.mean(),
            "largest difference / largest |X|": float(np.abs(W_lib - W_ours).max() / V4.max()),
            "librosa never above seplib": bool((W_lib <= W_ours).all())}
display(pd.DataFrame(checks).T)
assert checks["k = 41, aggregate=np.median"]["largest difference / largest |X|"] < 1e-6     # odd k: the same values
assert checks["k = 40, aggregate=seplib's median"]["largest difference / largest |X|"] < 1e-6  # even k, seplib's median
assert checks["k = 40, aggregate=np.median"]["librosa never above seplib"]                    # np.median: the mean of
assert checks["k = 40, aggregate=np.median"]["largest difference / largest |X|"] > 1e-6     # the two middles, lower

connectivity = librosa.segment.recurrence_matrix(features4, k=40, width=min_frames, metric="cosine", sparse=False) != 0
ours = repet.similar_frames(features4.T, 40, min_frames)
mean_similarity = {"seplib's 40 most similar": [similarity4[i, ours[i]].mean() for i in range(len(ours))],
                   "librosa's connectivity mode": [similarity4[i, connectivity[:, i]].mean() for i in range(len(ours))]}
other_sets = np.mean([set(np.flatnonzero(connectivity[:, i])) != set(ours[i]) for i in range(len(ours))])
print(f"librosa's default mode: {connectivity.sum(0).min()}..{connectivity.sum(0).max()} neighbours per frame, "
      f"another set than the 40 most similar for {other_sets:.0%} of the frames; mean similarity of the "
      "chosen frames: " + ", ".join(f"{name} {np.mean(v):.3f}" for name, v in mean_similarity.items()))
assert (connectivity.sum(0) == 40).all() and other_sets > 0
assert np.all(np.array(mean_similarity["seplib's 40 most similar"])
              >= np.array(mean_similarity["librosa's connectivity mode"]) - 1e-6)

# %% [markdown]
# Which frames did each frame pick? Points at $(t, t')$ for every chosen neighbour: they line
# up at the song's repetitions, like the stripes of the self-similarity matrix.

# %%
fig, ax = plt.subplots(figsize=(5, 5))
ax.scatter(np.repeat(t, k) * hop / rate, neighbours.ravel() * hop / rate, s=0.3, alpha=0.4)
ax.set(xlabel="frame t (s)", ylabel="neighbour t' (s)", title=f"the {k} most similar frames of each frame")
fig.tight_layout()

# %%
M_sim = np.where(V > 1e-10, W_sim / np.maximum(V, 1e-10), 0.0)
M_sim[..., : int(np.ceil(100 * 4096 / rate)), :] = 1.0
sim_by_hand = classical.masks_to_estimates(X, {"accompaniment": M_sim}, mixture, rest="vocals")
seplib_sim = separate("repet-sim", mixture, rate, max_seconds=None)  # every frame against every other
diff = max(np.abs(sim_by_hand[s] - seplib_sim[s]).max() for s in ("vocals", "accompaniment"))
print(f"largest difference to seplib's REPET-SIM: {diff:.1e}")
assert diff < 1e-4
display(audio.play(seplib_sim["vocals"][:, excerpt], rate, title="REPET-SIM vocals"))
display(audio.play(seplib_sim["accompaniment"][:, excerpt], rate, title="REPET-SIM accompaniment"))

# %% [markdown]
# **A long song.** Comparing every frame with every other costs time in proportion to the
# *square* of the song's length: a 10-minute song has 25 times the frame pairs of a 2-minute
# one. So by default seplib looks for a frame's similar frames only within
# `repet.MAX_SECONDS` of it (two minutes on each side), as the online REPET-SIM of Rafii and
# Pardo (2013) looks back over a buffer of recent frames; then the time grows in proportion to
# the length. A song no longer than that reach is compared whole, and gets the very result
# above; on a longer one the two differ, by the amount this cell prints:

# %%
seconds = mixture.shape[1] / rate
within_reach = separate("repet-sim", mixture, rate)              # the default reach
gap = {s: metrics.sdr(within_reach[s], ref) - metrics.sdr(seplib_sim[s], ref)
       for s, ref in (("vocals", stems["vocals"]), ("accompaniment", accompaniment))}
print(f"the track: {seconds:.0f} s; reach: {repet.MAX_SECONDS:.0f} s on each side; "
      f"SDR with the reach minus SDR compared whole: "
      + ", ".join(f"{s} {g:+.3f} dB" for s, g in gap.items()))
if seconds <= repet.MAX_SECONDS:
    assert all(np.array_equal(within_reach[s], seplib_sim[s]) for s in within_reach)

# %% [markdown]
# ## 6. librosa's recipe
# librosa (McFee et al., 2015) separates vocals with the same idea in its documentation:
# `librosa.decompose.nn_filter`
# (the median of nearest neighbours by cosine similarity, $k$ chosen from the track's length,
# in its default connectivity mode, so not always the $k$ nearest: section 5) and then soft masks with *margins*, like HPSS's (notebook 02), so that only clearly
# foreground bins go to the voice. `repet.librosa_vocal_separation` runs it on the same STFT.
# Plain SDR on this track:

# %%
librosa_sep = repet.librosa_vocal_separation(mixture, rate)
display(audio.play(librosa_sep["vocals"][:, excerpt], rate, title="librosa nn_filter recipe: vocals"))
on_track = pd.DataFrame({name: {"vocals SDR": metrics.sdr(est["vocals"], stems["vocals"]),
                                "accompaniment SDR": metrics.sdr(est["accompaniment"], accompaniment)}
                         for name, est in [("REPET", seplib_repet), ("REPET-SIM", seplib_sim),
                                           ("librosa nn_filter", librosa_sep)]}).T
display(on_track.round(2))

# %% [markdown]
# Take one bin and the share $r = W/V$ of it that repeats. The plain soft mask gives the voice
# $1 - r$; librosa's, with the vocal margin $\beta_v = 10$ and power 2, gives
# $(1-r)^2 / \big((1-r)^2 + (\beta_v r)^2\big)$, which is smaller wherever
# $r > 1/(\beta_v^2 + 1) = 1/101$: everywhere but where almost nothing repeats. So with the same
# $W$, librosa's vocals would be quieter: fewer accompaniment bits, and more of the voice lost.
# But its $W$ is its own (cosine nearest neighbours at least 2 s apart, not REPET-SIM's
# similarity matrix), so which vocals come out louder depends on the song; this one's ratio is
# printed. Plain SDR punishes lost energy hard; listen before you decide.

# %%
r = np.linspace(0, 1, 1001)[1:-1]                                   # the repeating share of a bin
margin_mask = classical.softmask(1 - r, 10 * r, power=2.0)          # librosa's vocal mask, V = 1
smaller = margin_mask < 1 - r
print(f"librosa's vocal mask is below 1 - r from r = {r[smaller].min():.3f} on (1/101 = {1 / 101:.3f})")
assert smaller[r > 1 / 101].all() and not smaller[r < 1 / 101].any()
energy = {name: float(np.sum(est["vocals"].astype(np.float64) ** 2))
          for name, est in [("REPET-SIM", seplib_sim), ("librosa nn_filter", librosa_sep)]}
print(f"vocal energy on this song, librosa's recipe / REPET-SIM: {energy['librosa nn_filter'] / energy['REPET-SIM']:.2f}")

# %% [markdown]
# ## 7. Measure on the test split
# Both methods give `vocals` and `accompaniment`. They are scored with the MUSDB protocol and
# the scores are stored. Beside them are the mixture and, of notebook 01's oracles, the one
# that scores highest on vocals here (the best oracle, found from the scores):

# %%
ORACLES = methods.names("oracle")                                   # notebook 01's oracles


def measure(tracks, names, keep=None):
    """Score names on tracks (stored); the mixture and the oracles only where not stored yet.
    With keep={}, keep[method][track name] holds the estimates scored (to listen to)."""
    stored = set(metrics.leaderboard(metrics.dataset_of(tracks)).index)
    with metrics.shared_references():                               # each song's true stems factored once
        for method in ["mixture", *ORACLES]:
            if method not in stored:
                metrics.evaluate(method, tracks, progress=False)
        for method in names:
            metrics.evaluate(method, tracks, progress=False, keep=None if keep is None else keep.setdefault(method, {}))
    return metrics.leaderboard(metrics.dataset_of(tracks))


dataset = metrics.dataset_of(test)
board = measure(test, ["repet", "repet-sim"])
best_oracle = board.loc[ORACLES, "vocals"].idxmax()
display(board.loc[["mixture", "repet", "repet-sim", best_oracle], ["vocals", "accompaniment"]].round(2))
print(f"the best oracle on vocals: {best_oracle}")
for method in ("repet", "repet-sim"):
    assert board.loc[method, "vocals"] > board.loc["mixture", "vocals"]     # better than doing nothing
    assert board.loc[best_oracle, "vocals"] > board.loc[method, "vocals"]   # and below the best oracle

# %% [markdown]
# The mixture's `accompaniment` is not scored (it estimates the four stems), and the oracle
# is scored on the four stems: compare the `vocals` column. Listen for yourself (this
# track's estimates are passed in, not separated again):

# %%
display(listen.listening_room(test, ["mixture", "repet", "repet-sim", best_oracle], dataset=dataset,
                              estimates={"repet": {track.name: seplib_repet}, "repet-sim": {track.name: seplib_sim}}, seconds=6.0))

# %% [markdown]
# ## 8. A real song
# The songs so far are synthetic. `seplib.data.real_song()` is a real one: a 6-second excerpt
# of "The Easton Ellises - Falcon 69" from the MUSDB18 test set, with its four stems. It is
# installed with musdb, under the license CC BY-NC-SA (for teaching and research). A band
# played it, it was mixed and mastered, and it differs from the synthetic songs in ways that
# matter to REPET:
#
# * **Few repetitions.** In 6 seconds a loop of a second or two comes back only a few times, so
#   the median is taken over few segments (the count is printed below), and a voice that
#   sounds in half of them passes for background.
# * **Reverb, held notes, mastering.** A sung note rings on, and its reverb fills the gaps
#   between phrases. The mastering compresses the whole mix, so the level of each part moves
#   with the others. Neither part comes back exactly the same one period later.
# * **Timbres the synthetic set lacks.** REPET does not care what anything sounds like, only
#   whether it repeats, so it has nothing to unlearn (the learned models of later notebooks do).
#
# Its stems do not add up to its mixture exactly, because the mix was coded to AAC and
# mastered after the stems were taken. How far apart they are is printed below. So REPET's two
# estimates, which add up to the mixture, cannot both match their references exactly. The
# accompaniment reference is the sum of drums, bass and other (musdb's definition).

# %%
real = data.real_song()
real_mixture, real_stems = data.track_mixture(real), data.track_stems(real)
real_accompaniment = accompaniment_of(real_stems)                    # drums + bass + other
residual_db = 10 * np.log10(np.sum((real_mixture - sum(real_stems.values())) ** 2) / np.sum(real_mixture ** 2))
_, V_real = classical.spectrogram(real_mixture)
b_real = repet.beat_spectrum(V_real)
period_real = repet.repeating_period(b_real, min_frames, min(classical.seconds_to_frames(10.0, real.rate, hop),
                                                             V_real.shape[-1] // 3))
segments_real = -(-V_real.shape[-1] // period_real)
b_real_stems = {name: repet.beat_spectrum(classical.spectrogram(sig)[1])[period_real]
                for name, sig in [("accompaniment", real_accompaniment), ("vocals", real_stems["vocals"])]}
print(f"{real.name!r}: {real_mixture.shape[1] / real.rate:.1f} s; mixture minus the sum of its stems: "
      f"{residual_db:.1f} dB re the mixture")
print(f"period {period_real * hop / real.rate:.2f} s, so the median is over {segments_real} segments; "
      "beat spectrum at the period: " + ", ".join(f"{name} {v:.2f}" for name, v in b_real_stems.items()))
assert -25 < residual_db < -10                                       # close, not equal
assert period_real * hop / real.rate < 2.1 and segments_real <= 6     # few repetitions in 6 s
assert b_real_stems["accompaniment"] > b_real_stems["vocals"]         # the accompaniment still repeats more

# %% [markdown]
# REPET-SIM on it, scored (the estimates scored are kept, to listen to). Listen to the mixture,
# the estimate and the true vocals:

# %%
kept = {}
real_board = measure([real], ["repet-sim"], keep=kept)
real_sim = kept["repet-sim"][real.name]
display(audio.play(real_mixture, real.rate, title="real song: mixture"))
display(audio.play(real_sim["vocals"], real.rate, title="real song: REPET-SIM vocals"))
display(audio.play(real_stems["vocals"], real.rate, title="real song: true vocals"))
display(audio.play(real_sim["accompaniment"], real.rate, title="real song: REPET-SIM accompaniment"))
display(audio.play(real_accompaniment, real.rate, title="real song: true accompaniment"))

# %% [markdown]
# Its scores beside the synthetic test split's (each oracle row is the best oracle on vocals
# of its own songs; the stored scores of this song are kept under the data set name
# `example`). On the real song, REPET-SIM's vocals are still better than the mixture and below
# the best oracle's:

# %%
real_best = real_board.loc[ORACLES, "vocals"].idxmax()
rows = {"mixture": ("mixture", "mixture"), "repet-sim": ("repet-sim", "repet-sim"),
        "best oracle on vocals": (best_oracle, real_best)}
side_by_side = pd.DataFrame({
    (stem, songs): {row: source.loc[names[i], stem] for row, names in rows.items()}
    for stem in ("vocals", "accompaniment")
    for i, (songs, source) in enumerate([("synthetic test split", board), ("real song", real_board)])})
display(side_by_side.round(2))
print(f"best oracle on vocals: {best_oracle} on the synthetic split, {real_best} on the real song")
assert real_board.loc["mixture", "vocals"] < real_board.loc["repet-sim", "vocals"] < real_board.loc[real_best, "vocals"]

# %% [markdown]
# ## 9. Where it breaks: a voice that repeats
# REPET's only evidence is repetition. A voice that repeats exactly with the loop (a sampled
# vocal hook, a backing choir on every bar) is, to REPET, accompaniment. Build such a song:
# loop the loudest one-period phrase of section 4 over the whole track (now it is in *every*
# segment), add the track's accompaniment, and separate again. Beside the SDR, how much of the
# true voice $s$ each estimate $\hat s$ holds, $\langle \hat s, s\rangle / \|s\|^2$ (1: all of
# it, 0: none; REPET's two estimates add up to the mixture, so the two shares add up to about
# 1), and the energy of the vocal estimate over the voice's (above 1: accompaniment leaked in
# as well). With the looped voice, the vocal estimate holds less of it than it held of the
# original voice, and the accompaniment holds more of it than the vocals do.

# %%
looped_vocals = np.tile(phrase, (1, n_periods + 1))[:, : mixture.shape[1]]
looped_mix = accompaniment + looped_vocals
looped = separate("repet", looped_mix, rate)


def share(estimate, voice):
    """How much of the voice an estimate holds: <estimate, voice> / ||voice||^2."""
    return float(np.sum(estimate.astype(np.float64) * voice) / np.sum(voice.astype(np.float64) ** 2))


def voice_rows(est, voice):
    return {"vocals SDR": metrics.sdr(est["vocals"], voice),
            "voice in the vocal estimate": share(est["vocals"], voice),
            "voice in the accompaniment estimate": share(est["accompaniment"], voice),
            "estimate / voice energy": float(np.sum(est["vocals"] ** 2) / np.sum(voice ** 2))}


rows = {"original song": voice_rows(seplib_repet, stems["vocals"]), "looped vocal": voice_rows(looped, looped_vocals)}
display(pd.DataFrame(rows).T.round(2))
kept = {song: row["voice in the vocal estimate"] for song, row in rows.items()}
assert np.allclose(looped["vocals"] + looped["accompaniment"], looped_mix, atol=1e-4)  # they add up
assert all(abs(row["voice in the vocal estimate"] + row["voice in the accompaniment estimate"] - 1) < 0.2
           for row in rows.values())
assert kept["looped vocal"] < kept["original song"]  # the repeating voice is lost to the vocals ...
assert rows["looped vocal"]["voice in the accompaniment estimate"] > kept["looped vocal"]  # ... and found in the accompaniment
assert rows["looped vocal"]["estimate / voice energy"] < rows["original song"]["estimate / voice energy"]

# %%
display(audio.play(looped_mix[:, excerpt], rate, title="mixture with a looped vocal"))
display(audio.play(looped["vocals"][:, excerpt], rate, title="REPET vocals: the loop is gone"))
display(audio.play(looped["accompaniment"][:, excerpt], rate, title="REPET accompaniment: the voice is in here"))

# %% [markdown]
# The opposite failure is as easy to hear: an accompaniment that never repeats (a piano
# improvising, a through-composed arrangement) has no repeating model, so it leaks into the
# vocals. Both are why later notebooks *learn* what a voice sounds like instead of assuming it.
#
# ## Exercises
# Each exercise has an answer cell (replace `None`) and a check cell below it; `ex.q1.hint()`
# gives a hint and `ex.q1.solution()` shows a solution, when you ask.
#
# **1.** The detected period is `period` frames of `hop` samples. Write
# `period_seconds(frames, hop, rate)`: how long `frames` STFT frames are, in seconds (the check
# tries other periods, hops and rates).

# %%
from seplib.exercises import nb03 as ex

# %% tags=["answer-1"]
def period_seconds(frames, hop, rate):
    return None  # your code: seconds


# %%
ex.q1.check(period_seconds, period=period, hop=hop, rate=rate)

# %% [markdown]
# **2.** The median ignores the voice only where it sounds in fewer than half of the segments.
# Write `median_sdr(voiced)`: build the song of section 4 with the phrase in the segments
# listed in `voiced` (`constructed_song(voiced=...)`), separate it with REPET's median model
# (`repet_vocals(..., repet.repeating_model)`) and return the vocals SDR (`metrics.sdr`)
# against the song's voice. The check tries several lists. Then compare `median_sdr([1, 5])`
# with `median_sdr([0, 1, 2, 4, 5, 6])` (the phrase in **6** of the 8 segments) and explain
# the second number to yourself: what does the mask do where the voice sounds in most segments?

# %% tags=["answer-2"]
def median_sdr(voiced):
    return None  # your code: dB


# %%
ex.q2.check(median_sdr, constructed_song=constructed_song, repet_vocals=repet_vocals)

# %% [markdown]
# **3.** REPET-SIM's `k`: separate this track with `k=10` and with `k=80`
# (`separate("repet-sim", mixture, rate, k=...)`), score the vocals of each (`metrics.sdr`
# against `stems["vocals"]`) and store in `k_gain` how many dB higher k=80's is than k=10's
# (negative if it is lower). Which k would you keep?

# %% tags=["answer-3"]
k_gain = None  # your answer, in dB

# %%
ex.q3.check(k_gain, mixture=mixture, vocals=stems["vocals"], rate=rate)

# %% [markdown]
# ## References
# - Z. Rafii, B. Pardo. *REpeating Pattern Extraction Technique (REPET): a simple method for
#   music/voice separation*. IEEE Transactions on Audio, Speech, and Language Processing
#   21(1), 2013 (REPET, its beat spectrum and repeating period; sections 2–4).
# - Z. Rafii, B. Pardo. *Music/voice separation using the similarity matrix*. ISMIR 2012
#   (REPET-SIM; section 5).
# - J. Foote, S. Uchihashi. *The beat spectrum: a new approach to rhythm analysis*. IEEE
#   International Conference on Multimedia and Expo (ICME), 2001 (the beat spectrum; section 2).
# - B. McFee, C. Raffel, D. Liang, D. P. W. Ellis, M. McVicar, E. Battenberg, O. Nieto.
#   *librosa: audio and music signal analysis in Python*. Proceedings of the 14th Python in
#   Science Conference (SciPy), 2015 (`nn_filter` and its vocal separation example; sections 5 and 6).
