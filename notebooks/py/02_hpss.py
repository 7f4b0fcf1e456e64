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
# # 02 · Harmonic-percussive separation with median filters
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/seplib/seplib-workbook/blob/main/notebooks/02_hpss.ipynb)
#
# **Goal.** Split a mixture into a *harmonic* part (sustained notes) and a *percussive* part
# (drum hits) with nothing but two median filters over its spectrogram, and call the
# percussive part our drum estimate. By the end you can build the HPSS masks in a few lines,
# say what each knob (filter lengths, mask power, margin) does by ear, and score the result on
# the test split and on a real song, against the mixture (the floor) and the best oracle (the
# ceiling).

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
import html

import librosa
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, display
from scipy.ndimage import median_filter

from seplib import STEMS, audio, classical, data, listen, metrics, plots, separate, spectral
from seplib.classical import hpss

test = data.open_dataset("test")
track = test[0]
rate = track.rate
mixture, stems = data.track_mixture(track), data.track_stems(track)
excerpt = slice(0, min(mixture.shape[1], 6 * rate))  # 6 s for the listening examples
print(f"{len(test)} test tracks; working on {track.name!r}")

# %% [markdown]
# ## 1. The idea: lines in a spectrogram
# Look at the drums and at the pitched instruments of the same song. A drum hit is short and
# spreads over many frequencies: a **vertical** line. A held note stays at a few fixed
# frequencies (its harmonics) for a while: **horizontal** lines.

# %%
four = slice(0, min(mixture.shape[1], 4 * rate))
fig, axes = plt.subplots(1, 3, figsize=(16, 3.5), sharey=True)
plots.spectrogram(stems["drums"][:, four], rate, ax=axes[0], title="drums: vertical lines", max_hz=5000)
plots.spectrogram(stems["other"][:, four] + stems["bass"][:, four], rate, ax=axes[1],
                  title="bass + other: horizontal lines", max_hz=5000)
plots.spectrogram(mixture[:, four], rate, ax=axes[2], title="mixture: both", max_hz=5000)
fig.tight_layout()

# %% [markdown]
# A **median filter** replaces each value by the median of its neighbours. Unlike an average,
# it ignores a few outliers: a short spike vanishes, a plateau survives.

# %%
row = np.array([1, 1, 1, 9, 1, 1, 5, 5, 5, 5, 5, 1, 1], dtype=float)
print("signal:          ", row)
print("median of 5:     ", median_filter(row, size=5, mode="reflect"))
print("mean of 5:       ", np.round(np.convolve(np.pad(row, 2, mode="symmetric"), np.ones(5) / 5, "valid"), 1))
med = median_filter(row, size=5, mode="reflect")
assert med[3] == 1 and (med[6:11] == 5).all()  # the spike is gone, the plateau stays

# %% [markdown]
# So, on the magnitude spectrogram $V(f, t)$ (Fitzgerald, 2010):
#
# * filter **along time** (each frequency row, $L_h$ frames): vertical lines are short spikes
#   in time and vanish, horizontal lines stay: $\tilde H = \operatorname{median}_t(V, L_h)$;
# * filter **along frequency** (each frame, $L_p$ bins): horizontal lines are spikes in
#   frequency and vanish, vertical lines stay: $\tilde P = \operatorname{median}_f(V, L_p)$.
#
# Then give each time-frequency bin to the part that is larger there, softly:
#
# $$M_H = \frac{\tilde H^p}{\tilde H^p + \tilde P^p}, \qquad M_P = \frac{\tilde P^p}{\tilde H^p + \tilde P^p},
# \qquad \hat s_{\text{perc}} = \mathrm{iSTFT}(M_P \odot X).$$
#
# The filter lengths are physical quantities: $L_h$ a duration (0.2 s) and $L_p$ a bandwidth
# (500 Hz), converted to frames and bins by two named helpers (odd, so the filter has a centre).

# %% [markdown]
# ## 2. Build it by hand
# The STFT of the excerpt, the two filters, the two masks: a few lines.

# %%
x = mixture[:, excerpt]
X, V = classical.spectrogram(x)                                  # (channels, freqs, frames)
L_h = classical.seconds_to_frames(hpss.HARMONIC_SECONDS, rate, odd=True)
L_p = classical.hz_to_bins(hpss.PERCUSSIVE_HZ, rate, odd=True)
print(f"L_h = {hpss.HARMONIC_SECONDS} s = {L_h} frames, L_p = {hpss.PERCUSSIVE_HZ:.0f} Hz = {L_p} bins; V {V.shape}")
assert hpss.HARMONIC_SECONDS == 0.2 and hpss.PERCUSSIVE_HZ == 500 and L_h % 2 == 1 and L_p % 2 == 1

H_tilde = median_filter(V, size=(1, 1, L_h), mode="reflect")    # along time: keeps horizontal lines
P_tilde = median_filter(V, size=(1, L_p, 1), mode="reflect")    # along frequency: keeps vertical lines
eps = 1e-10
M_H = H_tilde ** 2 / (H_tilde ** 2 + P_tilde ** 2 + eps)
M_P = P_tilde ** 2 / (H_tilde ** 2 + P_tilde ** 2 + eps)

# %%
fig, axes = plt.subplots(2, 2, figsize=(14, 6), sharex=True, sharey=True)
plots.image(plots.to_db(V.mean(0)), rate, ax=axes[0, 0], title="|X| (dB)", max_hz=5000, label="dB")
plots.image(plots.to_db(H_tilde.mean(0)), rate, ax=axes[0, 1], title="median along time: H̃ (dB)", max_hz=5000, label="dB")
plots.image(plots.to_db(P_tilde.mean(0)), rate, ax=axes[1, 0], title="median along frequency: P̃ (dB)", max_hz=5000, label="dB")
plots.mask(M_P, rate, ax=axes[1, 1], title="percussive mask M_P", max_hz=5000)
fig.tight_layout()

# %% [markdown]
# `seplib.classical.hpss.hpss_masks` does the same (with one fast 1-D median pass per
# direction); `librosa.decompose.hpss(..., mask=True)` (McFee et al., 2015) too. Same
# kernels, same power, same masks, to within $10^{-4}$:

# %%
masks = hpss.hpss_masks(V, L_h, L_p, power=2.0)
H_lib, P_lib = librosa.decompose.hpss(V, kernel_size=(L_h, L_p), power=2.0, mask=True)
diffs = {"by hand vs seplib": max(np.abs(M_H - masks["harmonic"]).max(), np.abs(M_P - masks["percussive"]).max()),
         "seplib vs librosa": max(np.abs(H_lib - masks["harmonic"]).max(), np.abs(P_lib - masks["percussive"]).max())}
print({k: f"{v:.1e}" for k, v in diffs.items()}, "| largest abs difference of the masks")
assert max(diffs.values()) < 1e-4

# %% [markdown]
# ## 3. Listen: percussive and harmonic parts
# `hpss.hpss` applies the masks to the mixture STFT and inverts it. A third part, the
# *residual*, is silent here (it gets the bins neither mask wants once we add a margin,
# section 5); the three parts always sum to the mixture.

# %%
parts = hpss.hpss(x, rate)
print(f"largest |residual| sample: {np.abs(parts['residual']).max():.1e}; largest |sum of parts - mixture|: "
      f"{np.abs(parts['harmonic'] + parts['percussive'] + parts['residual'] - x).max():.1e}")
assert np.abs(parts["residual"]).max() < 1e-5
assert np.abs(parts["harmonic"] + parts["percussive"] + parts["residual"] - x).max() < 1e-4
display(audio.play(x, rate, title="mixture"))
display(audio.play(parts["percussive"], rate, title="HPSS percussive part (our drums)"))
display(audio.play(stems["drums"][:, excerpt], rate, title="reference drums"))
display(audio.play(parts["harmonic"], rate, title="HPSS harmonic part"))
display(audio.play(x - stems["drums"][:, excerpt], rate, title="reference: everything but the drums"))

# %% [markdown]
# The percussive part is much closer to the drums than the mixture is: several dB better in
# plain SDR on this excerpt (notebook 01):

# %%
sdr_perc = metrics.sdr(parts["percussive"], stems["drums"][:, excerpt])
sdr_mix = metrics.sdr(x, stems["drums"][:, excerpt])
print(f"drums SDR: mixture {sdr_mix:.2f} dB, HPSS percussive part {sdr_perc:.2f} dB")
assert sdr_perc > sdr_mix + 3

# %% [markdown]
# ## 4. Soft or hard masks: the power $p$
# $p = 1$ shares a bin in proportion to $\tilde H$ and $\tilde P$; a larger $p$ pushes the mask
# towards 0 and 1; $p = \infty$ is a **hard** (binary) mask, $M_P = [\tilde P > \tilde H]$.
# Hard masks separate more (less of the other stems leaks in: a higher SIR) but leave holes
# in the spectrum, heard as "musical noise" (twittering artifacts: a lower SAR). The filtered
# spectrograms do not change with $p$, only the masks do. The BSSEval criteria of notebook 01
# (median over 1 s frames of the excerpt) measure both sides of the trade:

# %%
powers = {"p = 1": 1.0, "p = 2 (default)": 2.0, "p = ∞ (hard)": np.inf}
fig, axes = plt.subplots(1, 3, figsize=(16, 3.3), sharey=True)
by_power, power_rows = {}, {}
for ax, (name, p) in zip(axes, powers.items()):
    m_p = classical.softmask(P_tilde, H_tilde, p, split_zeros=True)          # percussive mask
    plots.mask(m_p.astype(np.float32), rate, ax=ax, title=f"M_P, {name}", max_hz=5000)
    by_power[name] = classical.masks_to_estimates(X, {"drums": m_p}, x, rest="other")
    scores = metrics.track_scores({s: stems[s][:, excerpt] for s in STEMS}, {"drums": by_power[name]["drums"]}, rate)
    power_rows[name] = scores.groupby("metric")["value"].median()[["SDR", "SIR", "SAR"]]
fig.tight_layout()
power_table = pd.DataFrame(power_rows).T.add_prefix("drums ").rename_axis(columns=None)
display(power_table.round(2))
sir, sar = power_table["drums SIR"], power_table["drums SAR"]
assert sir.is_monotonic_increasing and sar.is_monotonic_decreasing  # harder masks: less leakage, more artifacts
assert sir["p = ∞ (hard)"] > sir["p = 1"] + 3 and sar["p = ∞ (hard)"] < sar["p = 1"] - 1
four_ex = slice(0, min(x.shape[1], 4 * rate))
for name in ("p = 1", "p = ∞ (hard)"):
    display(audio.play(by_power[name]["drums"][:, four_ex], rate, title=f"percussive part, {name}"))

# %% [markdown]
# ## 5. The margin and the residual
# Driedger et al. (2014) ask for a clear win: a bin is harmonic only if $\tilde H > \beta \tilde P$,
# with a margin $\beta \ge 1$:
#
# $$M_H = \frac{\tilde H^p}{\tilde H^p + (\beta\tilde P)^p}, \quad
# M_P = \frac{\tilde P^p}{\tilde P^p + (\beta\tilde H)^p}, \quad M_R = 1 - M_H - M_P.$$
#
# With $\beta > 1$ the undecided bins (noisy, neither clearly horizontal nor vertical) go to
# a third part, the **residual**, which grows with $\beta$. The harmonic and percussive parts
# get *cleaner* than with no margin ($\beta = 1$): a larger share of what the percussive mask
# keeps is drums, and of what the harmonic mask keeps is not drums (measured with the true
# stems' power spectrograms $S_j$, cross terms between stems neglected). But they also get
# *smaller*: the residual takes drum energy too. $M_P$ falls in every bin as $\beta$ grows, so
# the share of the drums' energy that the percussive mask keeps falls with it. Whether the
# percussive part's drums SDR rises (less leakage) or falls (less drum) depends on the song:
# the margin is for clean parts, and a better drum estimate is not what it promises.

# %%
S = {s: spectral.stft(stems[s][:, excerpt]).abs().numpy() ** 2 for s in STEMS}   # (channels, freqs, frames)
not_drums = sum(S[s] for s in STEMS if s != "drums")
rows, previous = [], None
for beta in (1.0, 2.0, 4.0):
    mk = hpss.hpss_masks(V, L_h, L_p, power=2.0, margin=beta)
    total = mk["harmonic"] + mk["percussive"] + mk["residual"]
    assert np.allclose(total, 1.0, atol=1e-5)                     # the three masks share every bin
    assert previous is None or (mk["percussive"] <= previous + 1e-6).all()  # M_P falls in every bin
    previous = mk["percussive"]
    energy = {f"{k} energy": float((m * V ** 2).sum() / (V ** 2).sum()) for k, m in mk.items()}
    clean = {"drums energy kept by percussive": float((mk["percussive"] * S["drums"]).sum() / S["drums"].sum()),
             "drums share of percussive": float((mk["percussive"] * S["drums"]).sum()
                                                / (mk["percussive"] * (S["drums"] + not_drums)).sum()),
             "non-drums share of harmonic": float((mk["harmonic"] * not_drums).sum()
                                                  / (mk["harmonic"] * (S["drums"] + not_drums)).sum())}
    drums_sdr = metrics.sdr(hpss.hpss(x, rate, margin=beta)["percussive"], stems["drums"][:, excerpt])
    rows.append({"margin": beta, **energy, **clean, "percussive drums SDR (dB)": drums_sdr})
margins = pd.DataFrame(rows).set_index("margin")
display(margins.round(3))
assert margins["residual energy"].is_monotonic_increasing and margins["residual energy"].iloc[-1] > 0.1
for col in ("drums share of percussive", "non-drums share of harmonic"):  # cleaner...
    assert (margins[col].iloc[1:] > margins[col].iloc[0]).all(), col
assert margins["drums energy kept by percussive"].is_monotonic_decreasing  # ...but smaller

# %%
parts_m = hpss.hpss(x, rate, margin=4.0)
fig, axes = plt.subplots(1, 3, figsize=(16, 3.3), sharey=True)
for ax, name in zip(axes, ("harmonic", "percussive", "residual")):
    plots.spectrogram(parts_m[name][:, four_ex], rate, ax=ax, title=f"margin 4: {name}", max_hz=8000)
    display(audio.play(parts_m[name][:, four_ex], rate, title=f"margin 4: {name}"))
fig.tight_layout()

# %% [markdown]
# ## 6. What each knob does: a table of players
# One row per setting, 4 s each. A longer time filter ($L_h$) keeps only notes that are held
# longer in the harmonic part; a wider frequency filter ($L_p$) asks a sound to be broader to
# count as percussive; a margin cleans both parts at the cost of a residual.

# %%
settings = [dict(harmonic_seconds=0.1, percussive_hz=250.0, margin=1.0),
            dict(harmonic_seconds=0.2, percussive_hz=500.0, margin=1.0),   # the defaults
            dict(harmonic_seconds=0.5, percussive_hz=1500.0, margin=2.0)]
x4, drums4 = x[:, four_ex], stems["drums"][:, excerpt][:, four_ex]
cells, table_rows = [], []
for s in settings:
    p = hpss.hpss(x4, rate, **s)
    table_rows.append({**s, "drums SDR (dB)": round(metrics.sdr(p["percussive"], drums4), 2)})
    cells.append("".join(f"<td>{html.escape(str(v))}</td>" for v in table_rows[-1].values())
                 + "".join(f"<td>{audio.play(p[k], rate)._repr_html_()}</td>" for k in ("percussive", "harmonic")))
head = "".join(f"<th>{h}</th>" for h in [*table_rows[0], "percussive part", "harmonic part"])
display(HTML(f"<table><tr>{head}</tr>" + "".join(f"<tr>{c}</tr>" for c in cells) + "</table>"))

# %% [markdown]
# ## 7. Measure on the test split
# As a separator, HPSS calls its percussive part `drums` and everything else `other`
# (`seplib.separate("hpss", ...)`). Scored with the MUSDB protocol on every test track and
# stored; beside it the floor (the mixture) and the ceiling: the best of notebook 01's
# stored oracles (IBM, IRM, Wiener; computed here if notebook 01 has not stored them yet),
# picked stem by stem by its score. Notebook 01's phase-sensitive oracle is not stored, and
# it can only raise the ceiling.
#
# HPSS's `other` holds bass, vocals *and* other instruments, so its `other` score is far below
# the ceiling by construction: read only the `drums` column for HPSS. On drums it beats the
# floor and stays below the ceiling (asserted).

# %%
ORACLES = ["oracle-ibm", "oracle-irm", "oracle-wiener"]


def scored(tracks):
    """Evaluate (and store) HPSS, and the floor and the oracles where they are not stored yet.

    Returns the leaderboard of these tracks' data set and HPSS's per-track scores."""
    board = metrics.leaderboard(metrics.dataset_of(tracks))
    for method in ("mixture", *ORACLES):
        if method not in board.index:
            metrics.evaluate(method, tracks, progress=False)
    per_track = metrics.evaluate("hpss", tracks, progress=False)
    return metrics.leaderboard(metrics.dataset_of(tracks)), per_track


dataset = metrics.dataset_of(test)
board, hpss_scores = scored(test)
ceiling = board.loc[ORACLES, list(STEMS)].idxmax()  # the best oracle of each stem
print("the ceiling: " + ", ".join(f"{stem} {ceiling[stem]}" for stem in STEMS))
table = board.loc[["mixture", "hpss"], list(STEMS)].copy()
table.loc["ceiling (best oracle)"] = [board.loc[ceiling[s], s] for s in STEMS]
display(table.round(2))
assert board.loc["hpss", "drums"] > board.loc["mixture", "drums"]                  # HPSS beats the mixture on drums
assert board.loc[ceiling["drums"], "drums"] > board.loc["hpss", "drums"]           # and the best oracle bounds it
assert board.loc["hpss", "other"] < board.loc[ceiling["other"], "other"] - 5       # its "other" is everything else

# %% [markdown]
# The per-track numbers (median over 1 s frames) show how much it varies from song to song:

# %%
display(hpss_scores[hpss_scores.stem == "drums"].pivot(index="track", columns="metric", values="value").round(2))

# %% [markdown]
# ### On a real song
# The real song of notebook 00 (section 6) brings what the synthetic set lacks: drums
# recorded in a room, whose cymbals and toms ring on (horizontal lines, which HPSS takes as
# harmonic), a real voice and real instruments with noisy onsets (vertical lines, taken as
# percussive), and a mastered mixture whose stems do not even add up to it. The same
# measurement on it, as a row beside the synthetic test split (drums SDR in dB; its scores
# are stored under the data set `example`):

# %%
real = data.real_song()
real_mix, real_stems = data.track_mixture(real), data.track_stems(real)
real_board, _ = scored([real])
real_ceiling = real_board.loc[ORACLES, list(STEMS)].idxmax()
drums_rows = pd.DataFrame({name: {"mixture": round(b.loc["mixture", "drums"], 2), "hpss": round(b.loc["hpss", "drums"], 2),
                                  "ceiling (best oracle)": round(b.loc[c["drums"], "drums"], 2), "best oracle": c["drums"]}
                           for name, b, c in [("synthetic test split", board, ceiling),
                                              (f"real song: {real.name}", real_board, real_ceiling)]}).T
display(drums_rows)
real_drums = real_board["drums"]
print(f"real song: HPSS is {real_drums['hpss'] - real_drums['mixture']:.2f} dB above the mixture and "
      f"{real_drums[real_ceiling['drums']] - real_drums['hpss']:.2f} dB below the ceiling on drums")
assert real_drums["hpss"] > real_drums["mixture"] + 3                  # it still separates drums...
assert real_drums[real_ceiling["drums"]] > real_drums["hpss"] + 5      # ...far below the ceiling

# %% [markdown]
# On the real song HPSS is more than 3 dB above the mixture on drums and more than 5 dB below
# the ceiling (asserted above). Where do its masks send each real stem? As in section 8, the
# mixture's masks applied to the true stems' power spectrograms:

# %%
_, real_V = classical.spectrogram(real_mix)
real_masks = hpss.hpss_masks(real_V, L_h, L_p, power=2.0)
real_S = {s: spectral.stft(real_stems[s]).abs().numpy() ** 2 for s in STEMS}
real_share = pd.Series({s: float((real_masks["percussive"] * real_S[s]).sum() / real_S[s].sum()) for s in STEMS},
                       name="share of the energy called percussive (real song)")
display(real_share.round(3).to_frame())
assert real_share.idxmax() == "drums" and real_share["drums"] < 0.5   # the drums most of all, yet under half of them

# %% [markdown]
# The drums get the largest percussive share of any real stem, as on the synthetic songs, and
# yet less than half of their energy. Listen to the mixture, HPSS's drums and the true drums
# of the real song:

# %%
real_hpss = separate("hpss", real_mix, real.rate)
display(audio.play(real_mix, real.rate, title=f"mixture: {real.name}"))
display(audio.play(real_hpss["drums"], real.rate, title="HPSS percussive part (our drums), real song"))
display(audio.play(real_stems["drums"], real.rate, title="reference drums (real)"))

# %% [markdown]
# ### The listening room
# Pick a track, a method and a stem; switch between estimate, reference and mixture. The HPSS
# estimate of this notebook's track is passed in, so it is not separated again.

# %%
full_hpss = separate("hpss", mixture, rate)
display(listen.listening_room(test, ["mixture", "hpss", ceiling["drums"]], dataset=dataset,
                              estimates={"hpss": {track.name: full_hpss}}, seconds=6.0))

# %% [markdown]
# ## 8. Where it breaks
# HPSS knows shapes, not instruments. Apply the mixture's masks to the *true* stems to see what
# goes where:
#
# * a **kick drum** is a short pitched tone (here a sine falling to 55 Hz) that rings for a few
#   hundred milliseconds: in time it is a line, so the time median keeps much of it as
#   *harmonic*; a **cymbal** or an open hi-hat rings too, and part of it goes the same way;
# * a sung **consonant** ("s", "t", "k") is a noise burst, vertical: it goes to *percussive*,
#   and so do the onsets of sung notes.
#
# The drums get the largest percussive share of any stem, which is what makes HPSS a drum
# separator at all; yet more than half of their energy is called harmonic:

# %%
share = pd.DataFrame({s: {"to percussive": float((masks["percussive"] * S[s]).sum() / S[s].sum()),
                          "to harmonic": float((masks["harmonic"] * S[s]).sum() / S[s].sum())} for s in STEMS}).T
display(share.round(3))
print(f"{100 * share.loc['drums', 'to harmonic']:.0f}% of the drums' energy is called harmonic, and "
      f"{100 * share.loc['vocals', 'to percussive']:.0f}% of the vocals' energy percussive.")
assert share["to percussive"].idxmax() == "drums"      # mostly the right stem...
assert share.loc["drums", "to harmonic"] > 0.5         # ...but most of the drums are lost

# %% [markdown]
# Where in the spectrum do the drums go wrong? Split their energy into bands: the kick lives
# below 200 Hz, snare bodies and toms in the middle, hi-hats and cymbals above 5 kHz. The
# kick's band is called harmonic more than the cymbals' band:

# %%
hz = np.arange(V.shape[1]) * rate / 4096
bands = {"kick (< 200 Hz)": hz < 200, "middle (200 Hz - 5 kHz)": (hz >= 200) & (hz < 5000), "cymbals (> 5 kHz)": hz >= 5000}
drum_bands = pd.DataFrame({name: {"share of the drums' energy": float(S["drums"][:, b].sum() / S["drums"].sum()),
                                  "of which called harmonic": float((masks["harmonic"][:, b] * S["drums"][:, b]).sum()
                                                                    / S["drums"][:, b].sum())}
                           for name, b in bands.items()}).T
display(drum_bands.round(3))
assert drum_bands.iloc[0, 1] > drum_bands.iloc[2, 1]  # the kick's tone is more "harmonic" than the cymbals

# %% [markdown]
# Listen to the mistakes: the vocals through the percussive mask (consonants and note onsets,
# which would end up in our drum estimate), and the drums through the harmonic mask (ringing
# cymbals and the kick's tone, lost from it).

# %%
vocal_in_perc = classical.masks_to_estimates(spectral.stft(stems["vocals"][:, excerpt]), {"v": masks["percussive"]},
                                             stems["vocals"][:, excerpt])["v"]
drums_in_harm = classical.masks_to_estimates(spectral.stft(stems["drums"][:, excerpt]), {"d": masks["harmonic"]},
                                             stems["drums"][:, excerpt])["d"]
display(audio.play(vocal_in_perc, rate, title="vocals that HPSS calls percussive"))
display(audio.play(drums_in_harm, rate, title="drums that HPSS calls harmonic"))
fig, axes = plt.subplots(1, 2, figsize=(14, 3.3), sharey=True)
plots.spectrogram(vocal_in_perc, rate, ax=axes[0], title="vocals through M_P", max_hz=11000)
plots.spectrogram(drums_in_harm, rate, ax=axes[1], title="drums through M_H", max_hz=11000)
fig.tight_layout()

# %% [markdown]
# No setting of the knobs fixes this: the kick's tone *is* horizontal and the consonant *is*
# vertical. Knowing what a voice sounds like needs a model of the sources, which NMF
# (notebook 04) and the neural networks (05–07) bring.
#
# ## Exercises
# Each exercise has an answer cell (replace `None`) and a check cell below it. The check says
# whether your answer is missing, wrong or right, and never prints the answer;
# `ex.q1.hint()` gives a hint and `ex.q1.solution()` shows a solution, when you ask.
#
# **1.** Write `filter_frames(seconds, rate, hop)`: how many STFT frames long a harmonic
# filter of `seconds` is, rounded to the nearest frame (at least one) and then up to an odd
# count (section 1), without calling `classical.seconds_to_frames`. The check tries several
# durations, rates and hops, half-frame ties among them; then look at
# `filter_frames(0.5, rate, classical.HOP)`.

# %%
from seplib.exercises import nb02 as ex

# %% tags=["answer-1"]
def filter_frames(seconds, rate, hop):
    return None  # your code: an odd integer


# %%
ex.q1.check(filter_frames, rate=rate, hop=classical.HOP)

# %% [markdown]
# **2.** Write `hard_percussive_mask(V, L_h, L_p)` returning the **hard** percussive mask
# $[\tilde P > \tilde H]$ (a boolean array shaped like `V`) with `scipy.ndimage.median_filter`.
# A bin where the two medians are equal is not percussive. The check runs it on `V` and on
# small test spectrograms, flat ones among them.

# %% tags=["answer-2"]
def hard_percussive_mask(V, L_h, L_p):
    return None  # your code


# %%
ex.q2.check(hard_percussive_mask, V=V, L_h=L_h, L_p=L_p)

# %% [markdown]
# **3.** Write `share_below(harmonic_mask, power, hz, cutoff)`: the share (0 to 1) of the
# energy of a power spectrogram `power` (channels, freqs, frames) in the bins *strictly below*
# `cutoff` Hz that the mask takes, where `hz` holds each bin's frequency. The check runs it on
# the drums of section 8 (`masks["harmonic"]`, `S["drums"]`, `hz`) and on test spectrograms
# with other cut-offs. Then compare `share_below(masks["harmonic"], S["drums"], hz, 100)` with
# the kick band's row of section 8: does the kick's lowest band lose more?

# %% tags=["answer-3"]
def share_below(harmonic_mask, power, hz, cutoff):
    return None  # your code: a number between 0 and 1


# %%
ex.q3.check(share_below, harmonic_mask=masks["harmonic"], drum_power=S["drums"], hz=hz)

# %% [markdown]
# ## References
# - D. Fitzgerald. *Harmonic/percussive separation using median filtering*. Proc. DAFx, 2010.
# - J. Driedger, M. Müller, S. Disch. *Extending harmonic-percussive separation of audio
#   signals*. Proc. ISMIR, 2014 (the margin, and the residual).
# - B. McFee, C. Raffel, D. Liang, D. P. W. Ellis, M. McVicar, E. Battenberg, O. Nieto.
#   *librosa: Audio and music signal analysis in Python*. Proc. SciPy, 2015
#   (`librosa.decompose.hpss`).
