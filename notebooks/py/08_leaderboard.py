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
# # 08 · The leaderboard and the listening room
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/seplib/seplib-workbook/blob/main/notebooks/08_leaderboard.ipynb)
#
# **Goal.** Put every method of the workbook on one table: the mixture as the floor, the
# oracle masks (made from the true stems) at the top, the classical methods and the trained
# networks in between, all scored the same way on the same test songs, and on one real song.
# By the end you can read a MUSDB-style results table, tell a model that separates from one
# that is merely quiet, check any of its numbers against the reference implementation, and
# hear what a difference of a few dB sounds like.

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
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from IPython.display import display

from seplib import STEMS, config, data, listen, metrics, models, plots, pretrained, separate
from seplib import methods as registry  # seplib.methods: one record per method (family, stems, the lesson that teaches it)
from seplib.train import train_model

test = data.open_dataset("test")
dataset = metrics.dataset_of(test)  # the name the scores are stored under
print(f"{len(test)} test tracks of {dataset!r}, {sum(t.duration for t in test):.0f} s in all")
real = data.real_song()  # the real MUSDB18 song that ships with musdb; its scores are stored under "example"
print(f"and the real song {real.name!r}, {real.duration:.1f} s")
assert 6 <= real.duration < 6.5

# %% [markdown]
# Scores already in the results store (written by notebooks 01–07, or by an earlier run of
# this one) are reused. Set `RESCORE = True` to score every method again.

# %%
RESCORE = False

# %% [markdown]
# ## 1. The protocol
# Every number below is computed the way the MUSDB18 benchmark (Rafii et al., 2017) was scored
# in SiSEC 2018 (Stöter, Liutkus & Ito, 2018): the BSSEval criteria (Vincent, Gribonval &
# Févotte, 2006), in their version 4, score each stem $j$ of each track $k$ in one-second
# frames $t$; then the **median over frames** is taken per track, and the **median over
# tracks**:
#
# $$\mathrm{SDR}_j = \operatorname*{median}_{k}\; \operatorname*{median}_{t}\; \mathrm{SDR}_{j,k,t}.$$
#
# Some frames have no score. museval (the reference implementation, section 9) scores all
# the stems of a frame together, and leaves the frame out **for every stem at once** when any
# one reference or any one estimate is silent in it: all its samples zero (exactly: its
# channels sum to zero at every sample of the frame). A silent reference leaves nothing to
# compare with, and a silent estimate nothing to decompose. seplib's scores follow the same
# rule. Below, in three one-second frames of the real song with the mixture as every estimate,
# the bass reference is set to zero in frame 1 and the vocals estimate in frame 2: both frames
# lose the scores of all four stems.

# %%
n = 3 * real.rate
cut_refs = {s: x[:, :n].copy() for s, x in data.track_stems(real).items()}
cut_ests = {s: data.track_mixture(real)[:, :n].copy() for s in STEMS}
cut_refs["bass"][:, real.rate:2 * real.rate] = 0     # a silent reference in frame 1
cut_ests["vocals"][:, 2 * real.rate:] = 0            # a silent estimate in frame 2
framewise = metrics.track_scores(cut_refs, cut_ests, real.rate)
framewise = framewise[framewise.metric == "SDR"].pivot(index="stem", columns="frame", values="value")
display(framewise.round(2))
assert framewise[0].notna().all() and framewise[[1, 2]].isna().all().all()

# %% [markdown]
# Medians, not means, so that a few odd frames, or one odd song, cannot drag the whole table.
# The contestants, by family: every method in seplib's registry, each with the family its
# record gives (a method you register with `seplib.methods.register` joins in the same way;
# the pretrained references join in section 4):

# %%
FAMILIES = {f: registry.names(f) for f in registry.FAMILIES if f != "reference"}
methods = [m for ms in FAMILIES.values() for m in ms]
family = {m: registry.get(m).family for m in methods}
for f, ms in FAMILIES.items():
    print(f"{f:>9}: {', '.join(ms)}")

# %% [markdown]
# | family | methods | notebook |
# |---|---|---|
# | floor | `mixture`: the mixture as every stem's estimate | 01 |
# | oracle | `oracle-ibm`, `oracle-irm`, `oracle-wiener`: ideal masks from the true stems | 01 |
# | classical | `hpss` (02), `repet`, `repet-sim` (03), `nmf`, `nmf-supervised`, `classical-repet`, `classical-nmf` (04) | 02–04 |
# | learned | `unet` (05), `demucs-lite` (06), `dprnn`, `conv1d` (07) | 05–07 |
#
# `hpss` gives only `drums` (its percussive part) and `other` (everything else), `repet` and
# `repet-sim` only `vocals` and `accompaniment`: they are scored on the stems they give, so
# their rows have gaps, and their mean over the stems they give is not comparable with a
# four-stem mean.
#
# ## 2. The trained models
# Each network's notebook trains it and saves it as `<models>/<name>/best.pt`. Here each is
# only loaded: the one this run trained where there is one, else the one shipped inside
# seplib (`seplib.models.checkpoint_to_use`; with `MODELS = "shipped"` in the run cell, the
# shipped one whenever one ships). Only a network with neither is trained now, at the current
# run size, with the call its notebook uses. The table says which model each row is.

# %%
steps, used = {}, {}
for name in FAMILIES["learned"]:
    path, shipped = models.checkpoint_to_use(name)
    if not path.is_file():  # not trained in this run, and none ships
        print(f"{name}: not trained in this run and none ships with seplib; training it now "
              f"({config.run_size()} size, as notebook {models.spec(name).trained_in} does)")
        train_model(name, resume=True, progress=False)
    saved = torch.load(path, map_location="cpu", weights_only=True)
    steps[name] = saved.get("step")
    used[name] = {"model": "shipped with seplib" if shipped else "trained in this run",
                  "file": f"{path.parent.name}/{path.name}", "step": steps[name]}
used = pd.DataFrame(used).T
display(used)
trained_here = [m for m in FAMILIES["learned"] if used.loc[m, "model"] == "trained in this run"]

# %% [markdown]
# ## 3. Scores: reuse what is stored, score what is missing
# A stored score is reused when it covers exactly this test split and, for a network, was
# written after the model's checkpoint (`metrics.why_rescore` says why not). Everything else is
# scored now with `metrics.evaluate(method, test)`, which separates each song, scores it and
# stores the result; `metrics.score_missing` does both for a list of methods.

# %%
from seplib.classical import nmf

# The NMF methods run with the sizes of this run size (nmf.SETTINGS), as in notebook 04, so
# that what you hear and time below is what was scored; the supervised dictionaries are
# learned once, then cached.
METHOD_KWARGS = nmf.method_kwargs()

log = metrics.score_missing(methods, test, rescore=RESCORE, method_kwargs=METHOD_KWARGS)
display(log.assign(family=[family[m] for m in log.index]))

# %% [markdown]
# The real song is scored the same way, every method on it, and stored under its own data set
# name, `example` (notebooks 01–07 store their scores of it there too; those are reused).

# %%
real_log = metrics.score_missing(methods, [real], dataset=data.EXAMPLE, rescore=RESCORE, method_kwargs=METHOD_KWARGS)
display(real_log)

# %% [markdown]
# ## 4. Pretrained references (optional, needs the internet)
# How far are our small models from published ones? Two pretrained MUSDB18 separators can
# join the table: **Open-Unmix** (`umxhq`; Stöter et al., 2019), a BiLSTM that predicts
# spectrogram masks, the open reference system that grew out of SiSEC 2018, and torchaudio's
# **Hybrid Demucs** (`HDEMUCS_HIGH_MUSDB`; Défossez, 2021), which joins a waveform and a
# spectrogram U-Net. (**Spleeter**, Hennequin et al., 2020, is the other widely used pretrained
# separator; it runs on TensorFlow and is left out here.) They are used only when the internet
# can be reached and the package is installed (`pip install openunmix` / `pip install
# torchaudio`, the `reference` extra of seplib), and they are scored like everything else.
# Both were trained on real music at 44.1 kHz in stereo, so the mixture is brought to that
# first (and the estimates back). On the synthetic songs they are out of their element: a
# pretrained model is only as good as the match between its training data and yours. Both
# were trained on MUSDB18's training songs only, so the real song (a MUSDB18 test song) is new
# to them as it is to our networks; on the real MUSDB18 test set, compare Open-Unmix with what
# its authors report (below). torchaudio also offers `HDEMUCS_HIGH_MUSDB_PLUS`, whose training
# data include MUSDB18's test songs (torchaudio's documentation says so): its score on those
# songs would not be a fair test, so it is not used here.
#
# Each usable reference is registered as a method of the family `reference`; from then on it
# is scored, stored and listened to exactly like the workbook's own methods.

# %%
references = []
if data.online():
    references = pretrained.register_references()  # one line per reference skipped
    if references:
        display(metrics.score_missing(references, test, rescore=RESCORE))
        display(metrics.score_missing(references, [real], dataset=data.EXAMPLE, rescore=RESCORE))
    display(pd.DataFrame(pretrained.PUBLISHED).T)
else:
    print("pretrained references: skipped, offline (their weights are downloaded on first use)")
family.update({m: registry.get(m).family for m in references})

# %% [markdown]
# ## 5. The leaderboard
# Median SDR per stem on the test split, best mean over the four stems first, and in the last
# column the mean SDR over the four stems on the real song (empty for a method that gives
# fewer stems); then SIR (how little of the other stems leaks in) and SAR (how few artifacts
# the method adds).

# %%
stored_methods = list(metrics.leaderboard(dataset).index)
shown = methods + references
boards = {}
for metric in ("SDR", "SIR", "SAR"):
    table = metrics.leaderboard(dataset, metric=metric)
    boards[metric] = table.loc[[m for m in table.index if m in shown]]
board = boards["SDR"]
others = [m for m in stored_methods if m not in shown]
runs = metrics.leaderboard(dataset, runs=True)  # which checkpoint and data set each row is, and why a score is missing
real_board = metrics.leaderboard(data.EXAMPLE).reindex(board.index)  # the real song: one song, so its own scores
real_board = real_board[[s for s in (*STEMS, "accompaniment") if s in real_board.columns]]
display(board.round(2).assign(**{"real song": real_board[list(STEMS)].mean(axis=1, skipna=False).round(2),
                                 "family": [family[m] for m in board.index]})
        .join(runs[["checkpoint", "data", "missing"]]))
if others:
    print(f"also in the store for {dataset!r} (variants from the notebooks, not shown): {', '.join(others)}")
assert set(methods) <= set(board.index), f"missing from the leaderboard: {set(methods) - set(board.index)}"
gives = {m: sorted(board.loc[m].dropna().index) for m in ("hpss", "repet", "repet-sim")}
assert gives == {"hpss": ["drums", "other"], "repet": ["accompaniment", "vocals"],
                 "repet-sim": ["accompaniment", "vocals"]}, gives

# %%
display(pd.concat({m: boards[m] for m in ("SIR", "SAR")}, axis=1).round(2))

# %% [markdown]
# Read the two together: a method can buy a high SIR (little leakage) with a low SAR
# (audible artifacts). The binary mask does: averaged over the four stems, `oracle-ibm` has a
# higher SIR than the ratio mask `oracle-irm` and a lower SAR, because switching bins fully on
# or off removes more of the other stems and leaves holes in the target. The mixture's SAR is
# the highest of all, over 100 dB (BSSEval's way of printing "infinite": the artifact part of
# its error is zero up to rounding), for one reason: nothing in it is an artifact, all of its
# error is the other stems. So its SIR is low, within 3 dB of its SDR on every stem: both are about the
# stem's level against the rest of the mix.

# %%
sir, sar = boards["SIR"][list(STEMS)], boards["SAR"][list(STEMS)]
print(f"mean over the stems: oracle-ibm SIR {sir.loc['oracle-ibm'].mean():.2f} dB, SAR "
      f"{sar.loc['oracle-ibm'].mean():.2f} dB; oracle-irm SIR {sir.loc['oracle-irm'].mean():.2f} dB, "
      f"SAR {sar.loc['oracle-irm'].mean():.2f} dB")
assert sir.loc["oracle-ibm"].mean() > sir.loc["oracle-irm"].mean()
assert sar.loc["oracle-ibm"].mean() < sar.loc["oracle-irm"].mean()
rest = [m for m in sar.index if m != "mixture"]
sir_minus_sdr = sir.loc["mixture"] - boards["SDR"].loc["mixture", list(STEMS)]
print(f"mixture: SAR {sar.loc['mixture'].min():.1f} dB or more (the others: {sar.loc[rest].max().max():.2f} dB "
      f"at most); its SIR minus its SDR: {sir_minus_sdr.min():.2f} to {sir_minus_sdr.max():.2f} dB; SIR per stem:",
      {s: f"{v:.2f}" for s, v in sir.loc["mixture"].items()})
assert (sar.loc["mixture"] > sar.loc[rest].max()).all() and (sar.loc["mixture"] > 100).all()
assert (sir_minus_sdr.abs() < 3).all()

# %%
fig, ax = plt.subplots(figsize=(14, 4.5))
plots.leaderboard(board[[s for s in (*STEMS, "accompaniment") if s in board.columns]], ax=ax,
                  title=f"median SDR on the test split of {dataset} (dB)")
fig.tight_layout()

# %% [markdown]
# ### The real song, stem by stem
# One song of six seconds: each number is the median over its few one-second frames, so one
# odd frame moves it. The oracles give the same numbers on it every time, and so does each
# classical method at a given run size (the NMF ones take their sizes and dictionaries from
# the run); the networks' depend on how they were trained (section 2 says which model each
# is). Three facts hold on it: every oracle is above the mixture on every stem; the best
# of the three oracles, on every stem, is `oracle-wiener` (notebook 01's mask from the stems'
# power spectra, $|S_j|^2 / \sum_k |S_k|^2$), so that, not `oracle-irm`, is the oracle to
# measure against here; and no method of the workbook reaches it on any stem.

# %%
display(real_board.round(2).assign(family=[family[m] for m in real_board.index]))
real_sdr = real_board[list(STEMS)]
real_oracles = real_sdr.loc[FAMILIES["oracle"]]
print("best oracle on the real song, per stem:", dict(real_oracles.idxmax()))
own_methods = [m for m in methods if family[m] not in ("floor", "oracle")]
assert all((real_sdr.loc[o] > real_sdr.loc["mixture"]).all() for o in FAMILIES["oracle"])
assert (real_oracles.idxmax() == "oracle-wiener").all()
assert (real_sdr.loc[own_methods].max() < real_oracles.max()).all()

# %% [markdown]
# ## 6. What the table says
# Facts that hold at every run size are asserted; the rest is printed, because with few test
# songs and short training (at the `quick` size: two 8-second test songs, networks trained
# for a few dozen steps at most) rankings between close methods are noise.

# %%
if config.run_size() == "quick":
    print(f"quick size: {len(test)} test songs of {max(t.duration for t in test):.0f} s at most; "
          f"training steps {steps}")
    assert len(test) == 2 and max(t.duration for t in test) <= 8.5
    assert all(steps[m] <= 60 for m in trained_here)  # the shipped ones were trained longer, elsewhere

# %% [markdown]
# Every oracle is above the mixture on every stem, and none of the workbook's own methods
# reaches the best oracle on any stem: the oracles are given the true stems.

# %%
sdr = board[list(STEMS)]
floor = sdr.loc["mixture"]
separators = [m for m in board.index if family[m] not in ("floor", "oracle")]
own = [m for m in separators if family[m] != "reference"]
for oracle in FAMILIES["oracle"]:  # every oracle is above the floor, on every stem
    assert (sdr.loc[oracle] > floor).all(), f"{oracle} does not beat the mixture everywhere"
best_oracle = sdr.loc[FAMILIES["oracle"]].max()
best = pd.DataFrame({"best method": sdr.loc[separators].idxmax(), "its SDR": sdr.loc[separators].max(),
                     "best oracle": sdr.loc[FAMILIES["oracle"]].idxmax(), "its SDR ": best_oracle,
                     "gap to the best oracle": best_oracle - sdr.loc[separators].max(), "mixture": floor})
display(best.round(2))
assert (sdr.loc[own].max() < best_oracle).all()

# %% [markdown]
# Averaged over the four stems, every learned model scores above the mixture. That is a low
# bar, as the next sections show: how far above it a model gets depends a lot on the run
# size. At `quick` the networks have seen a few dozen batches at most, and some are still at
# about 0 dB (section 8); the README's tables for the `lab` and `full` sizes show what the
# same models reach with real training.

# %%
learned_mean = sdr.loc[FAMILIES["learned"]].mean(axis=1)
print(f"mean SDR over the four stems: mixture {floor.mean():.2f} dB; " +
      ", ".join(f"{m} {v:.2f} dB" for m, v in learned_mean.items()))
for m, v in learned_mean.items():
    assert v > floor.mean(), f"{m} does not beat the mixture on average"
beats_every_stem = {m: bool((sdr.loc[m] > floor).all()) for m in FAMILIES["learned"]}
print("learned models above the mixture on every stem:", beats_every_stem)

# %% [markdown]
# ## 7. Separating one song with every method, and how long it takes
# The listening room below needs every method's estimate of a song, and of the real song;
# computing them also tells us what each method costs. The real-time factor is seconds of
# computing per second of audio (below 1: faster than real time), on the synthetic song.

# %%
listen_track = min(test, key=lambda t: t.duration)  # the shortest test song
rate = listen_track.rate
mixture, refs = data.track_mixture(listen_track), data.track_stems(listen_track)
real_mixture, real_refs = data.track_mixture(real), data.track_stems(real)
CHECKED = "unet"  # the method re-scored with museval in section 9
keep = int(listen.EXCERPT_SECONDS * rate)  # the room plays excerpts: keep only those
estimates, timing = {}, []
for method in shown:
    start = time.perf_counter()
    kwargs = {"references": refs} if registry.get(method).needs_references else METHOD_KWARGS.get(method, {})
    est = separate(method, mixture, rate, **kwargs)
    seconds = time.perf_counter() - start
    timing.append({"method": method, "family": family[method], "seconds": seconds,
                   "real-time factor": seconds / listen_track.duration})
    if method == CHECKED:
        checked_estimates = est
    kwargs = {"references": real_refs} if registry.get(method).needs_references else METHOD_KWARGS.get(method, {})
    real_est = separate(method, real_mixture, real.rate, **kwargs)
    estimates[method] = {listen_track.name: {s: e[:, :keep] for s, e in est.items()},
                         real.name: {s: e[:, :keep] for s, e in real_est.items()}}
speed = pd.DataFrame(timing).set_index("method")
print(f"{listen_track.name!r}: {listen_track.duration:.1f} s of audio, device {config.device()}")
display(speed.round(3))

# %% [markdown]
# ## 8. Where the table misleads
# *Silence is not the floor.* The mixture scores below 0 dB on a stem that is quieter than the
# other three together (most stems of most songs), because it holds them. Now take an estimate
# that is almost silent, a whisper of anything. Its error $s - \hat s$ is almost the reference
# itself, so its SDR is almost exactly
# $10\log_{10}(\lVert s\rVert^2/\lVert s - 0\rVert^2) = 0$ dB: above the mixture wherever the
# mixture scores below 0 dB, for doing nothing. BSSEval's SDR is no different (it compares the
# estimate with the true stem itself; its filters only split the error into interference and
# artifacts). Here the whisper is the mixture 80 dB down, scored like every method:

# %%
whisper = {s: 1e-4 * mixture for s in STEMS}
whisper_sdr = metrics.aggregate(metrics.track_scores(refs, whisper, rate))["SDR"]
print("a whisper's SDR (dB):", {s: f"{v:.3f}" for s, v in whisper_sdr.items()},
      f"| plain SDR of silence as the vocals: {metrics.sdr(np.zeros_like(refs['vocals']), refs['vocals']):.2f} dB")
below = [s for s in STEMS if floor[s] < 0]
print("the mixture, median over the test songs (dB):", {s: f"{v:.2f}" for s, v in floor.items()},
      f"| the whisper beats it on {', '.join(below) or 'no stem'}")
assert metrics.sdr(np.zeros_like(refs["vocals"]), refs["vocals"]) == 0.0
assert (whisper_sdr.abs() < 0.1).all() and (whisper_sdr[below] > floor[below]).all()

# %% [markdown]
# So an SDR near 0 dB says "about as good as silence", and a quiet estimate cannot say more:
# if $\lVert\hat s\rVert \le r\lVert s\rVert$, the triangle inequality gives
# $(1-r)\lVert s\rVert \le \lVert s-\hat s\rVert \le (1+r)\lVert s\rVert$, so an estimate 10 dB
# quieter than its reference ($r = 10^{-1/2}$) scores between $-2.4$ and $+3.3$ dB whatever it
# holds. Before you believe a small positive SDR, look at the level of the estimate. For the
# learned models, on the song of section 7 (plain SDR, on the excerpt the room plays):

# %%
def level_db(estimate, reference):
    """How loud an estimate is relative to its reference, in dB (0: as loud)."""
    return float(10 * np.log10(np.sum(estimate.astype(np.float64) ** 2) / np.sum(reference.astype(np.float64) ** 2)))


rows = []
for m in FAMILIES["learned"]:
    for s in STEMS:
        est, ref = estimates[m][listen_track.name][s], refs[s][:, :keep]
        rows.append({"method": m, "stem": s, "level (dB)": level_db(est, ref), "SDR (dB)": float(metrics.sdr(est, ref))})
levels = pd.DataFrame(rows)
display(levels.pivot(index="method", columns="stem", values="level (dB)").round(1))
quiet = levels[levels["level (dB)"] < -10]
r = 10 ** (-10 / 20)
assert quiet["SDR (dB)"].between(20 * np.log10(1 / (1 + r)) - 1e-6, 20 * np.log10(1 / (1 - r)) + 1e-6).all()
nearly_silent = sorted(m for m, g in levels.groupby("method") if (g["level (dB)"] < -10).all())
print("learned models whose every stem is 10 dB or more below the reference:", nearly_silent or "none")

# %% [markdown]
# At the `quick` size, `conv1d`, the baseline of notebook 07, trained in this run, is one of
# them: its estimates are more than 10 dB quieter than the references on every stem, and its
# SDR within a fraction of a dB of 0. Listen to it in the room below. It is above the mixture
# on the leaderboard, and it separates nothing.

# %%
if config.run_size() == "quick" and "conv1d" in trained_here:
    assert "conv1d" in nearly_silent and abs(learned_mean["conv1d"]) < 0.5
    print(f"conv1d at quick: mean SDR {learned_mean['conv1d']:.2f} dB, levels "
          f"{levels[levels.method == 'conv1d']['level (dB)'].max():.1f} dB or lower")

# %% [markdown]
# *A median over a few songs is not a result.* Each song is a different mixing problem; the
# same method can score 2 dB or more apart on two of them. The vocals SDR of every method,
# song by song (from the store, nothing recomputed):

# %%
per_track = metrics.load_scores(dataset)
per_track = per_track[(per_track.metric == "SDR") & (per_track.stem == "vocals") & per_track.method.isin(shown)]
spread = per_track.pivot_table(index="method", columns="track", values="value").reindex(
    [m for m in board.index if m in set(per_track.method)])
spread["max - min"] = spread.max(axis=1) - spread.min(axis=1)
display(spread.round(2))
print(f"largest spread: {spread['max - min'].idxmax()}, {spread['max - min'].max():.2f} dB")
assert spread["max - min"].max() > 2

# %% [markdown]
# ## 9. Check a number against museval
# All scores above come from `seplib`'s torch implementation of BSSEval v4 (the `fast`
# backend). `museval`, the reference implementation of the MUSDB18 protocol, is slower but is
# the one papers cite. Re-score one method on one song with both and compare with the stored
# numbers:

# %%
start = time.process_time()  # this process's CPU time: what other jobs on the machine do not change
metrics.track_scores(refs, checked_estimates, rate)
fast_seconds = time.process_time() - start
start = time.process_time()
slow = metrics.track_scores(refs, checked_estimates, rate, backend="museval")
museval_seconds = time.process_time() - start
slow = slow.groupby(["stem", "metric"])["value"].median()
kept = metrics.load_scores(dataset, CHECKED)
kept = kept[kept.track == listen_track.name].set_index(["stem", "metric"])["value"]
check = pd.DataFrame({"stored (fast backend)": kept, "museval": slow}).dropna(how="all")
check["difference"] = check["museval"] - check["stored (fast backend)"]
display(check.round(4))
print(f"one {listen_track.duration:.0f} s song: museval {museval_seconds:.1f} CPU-s, the fast backend "
      f"{fast_seconds:.1f} CPU-s; largest difference {check['difference'].abs().max():.4f} dB")
assert np.allclose(check["museval"], check["stored (fast backend)"], atol=0.01, equal_nan=True)
assert museval_seconds > fast_seconds

# %% [markdown]
# ## 10. The listening room
# Numbers summarise; ears judge. Pick a song (the real song first, then the synthetic test
# songs), a method and a stem, and switch between the estimate, the reference and the mixture.
# Things to listen for: the oracles' "musical noise" (bins switched on and off), HPSS's drums
# that keep the consonants of the vocals, REPET's vocals that hold every non-repeating sound,
# the nearly silent estimates of section 8, how the networks trade leakage (SIR) against
# artifacts (SAR), and what the networks trained on synthetic songs make of a real voice.

# %%
room_tracks = [real, listen_track] + [t for t in test if t is not listen_track]
display(listen.listening_room(room_tracks, shown, estimates=estimates, dataset=[data.EXAMPLE, dataset],
                              method_kwargs=METHOD_KWARGS))

# %% [markdown]
# ## Exercises
# Each exercise has an answer cell (replace `None`) and a check cell below it. The check says
# whether your answer is missing, wrong or right, and never prints the answer;
# `ex.q1.hint()` gives a hint and `ex.q1.solution()` shows a solution, when you ask.
#
# **1.** Write `best_separator(sdr, stem, separators)`: the name of the method among
# `separators` (neither the floor nor an oracle) with the highest median SDR on `stem`, for a
# table like `sdr`. A method with no estimate of a stem has NaN there; where two tie, either is
# right. The check runs it on this leaderboard, every stem, and on test tables; then look at
# `best_separator(sdr, "bass", separators)`.

# %%
from seplib.exercises import nb08 as ex

# %% tags=["answer-1"]
def best_separator(sdr, stem, separators):
    return None  # your code: a method's name, e.g. "nmf"


# %%
ex.q1.check(best_separator, sdr=sdr, separators=separators)

# %% [markdown]
# **2.** Write `margin_over_floor(sdr, stem, methods)`: by how many dB the best of `methods`
# beats the floor (the `mixture` row) on `stem`. The check runs it on this leaderboard and on
# test tables. Then compare `margin_over_floor(sdr, "vocals", FAMILIES["learned"])` with the
# margin of silence over the floor (section 8).

# %% tags=["answer-2"]
def margin_over_floor(sdr, stem, methods):
    return None  # your code: dB


# %%
ex.q2.check(margin_over_floor, sdr=sdr, learned=FAMILIES["learned"])

# %% [markdown]
# **3.** Write `sdr_pair(est, ref)`: the plain SDR and the SI-SDR (notebook 01) of a stereo
# estimate, in dB, from their formulas in numpy (plain SDR over both channels together; SI-SDR
# channel by channel, then the mean of the two). The check compares it with `metrics.sdr` and
# `metrics.si_sdr` on the vocals of `listen_track` plus noise and on test pairs. Then work out
# on paper what a separator that gives back the true vocals at half their amplitude,
# $\hat s = s/2$, scores, and try `sdr_pair(0.5 * refs["vocals"], refs["vocals"])`. Which of the
# two would let a model that gets the level wrong look perfect?

# %% tags=["answer-3"]
def sdr_pair(est, ref):
    return None  # your code: (plain SDR in dB, SI-SDR in dB)


# %%
ex.q3.check(sdr_pair, reference=refs["vocals"])

# %% [markdown]
# ## References
# - E. Vincent, R. Gribonval, C. Févotte. *Performance measurement in blind audio source
#   separation*. IEEE Transactions on Audio, Speech, and Language Processing 14(4), 2006
#   (BSSEval: SDR, SIR, SAR).
# - F.-R. Stöter, A. Liutkus, N. Ito. *The 2018 Signal Separation Evaluation Campaign*.
#   LVA/ICA 2018 (SiSEC 2018: BSSEval v4 and the MUSDB protocol).
# - Z. Rafii, A. Liutkus, F.-R. Stöter, S. I. Mimilakis, R. Bittner. *The MUSDB18 corpus for
#   music separation*, 2017. doi:10.5281/zenodo.1117372.
# - F.-R. Stöter, S. Uhlich, A. Liutkus, Y. Mitsufuji. *Open-Unmix: a reference implementation
#   for music source separation*. Journal of Open Source Software 4(41), 2019.
# - A. Défossez. *Hybrid spectrogram and waveform source separation*. Proceedings of the ISMIR
#   2021 Workshop on Music Source Separation (Hybrid Demucs).
# - R. Hennequin, A. Khlif, F. Voituret, M. Moussallam. *Spleeter: a fast and efficient music
#   source separation tool with pre-trained models*. Journal of Open Source Software 5(50), 2020.
