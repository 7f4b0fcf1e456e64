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
# oracle masks as the ceiling, the classical methods and the trained networks in between, all
# scored the same way on the same test songs. By the end you can read a MUSDB-style results
# table, tell a model that separates from one that is merely quiet, check any of its numbers
# against the reference implementation, and hear what a difference of a few dB sounds like.

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
from seplib import methods as registry  # seplib.methods: one record per method (family, stems, notebook)
from seplib.train import train_model

test = data.open_dataset("test")
dataset = metrics.dataset_of(test)  # the name the scores are stored under
print(f"{len(test)} test tracks of {dataset!r}, {sum(t.duration for t in test):.0f} s in all")

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
# A frame in which the stem is silent has no SDR (there is nothing to compare with) and is
# left out. Medians, not means, so that a few odd frames, or one odd song, cannot drag the
# whole table. The contestants, by family: every method in seplib's registry, each with the
# family its record gives (a method you register with `seplib.methods.register` joins in the
# same way; the pretrained references join in section 4):

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
# Each network was trained by its notebook and saved as `<models>/<name>/best.pt`. Here they
# are only loaded. A model that was never trained (this notebook run on its own) is trained
# now, at the current run size, with the same call its notebook uses.

# %%
steps = {}
for name in FAMILIES["learned"]:
    path = models.default_checkpoint(name)
    if not path.is_file():
        print(f"{name}: no trained model yet; training it now ({config.run_size()} size, as notebook "
              f"{registry.get(name).notebook} does)")
        train_model(name, resume=True, progress=False)
    saved = torch.load(path, map_location="cpu", weights_only=True)
    steps[name] = saved.get("step")
    print(f"{name:>12}: {path.parent.name}/{path.name}, step {steps[name]}, "
          f"validation loss {saved.get('valid_loss', float('nan')):.4g}")

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
# ## 4. Pretrained references (optional, needs the internet)
# How far are our small models from published ones? Two pretrained MUSDB18 separators can
# join the table: **Open-Unmix** (`umxhq`; Stöter et al., 2019), a BiLSTM that predicts
# spectrogram masks, the open reference system that grew out of SiSEC 2018, and torchaudio's
# **Hybrid Demucs** (`HDEMUCS_HIGH_MUSDB_PLUS`; Défossez, 2021), which joins a waveform and a
# spectrogram U-Net. (**Spleeter**, Hennequin et al., 2020, is the other widely used pretrained
# separator; it runs on TensorFlow and is left out here.) They are used only when the internet
# can be reached and the package is installed (`pip install openunmix` / `pip install
# torchaudio`, the `reference` extra of seplib), and they are scored like everything else.
# Both were trained on real music at 44.1 kHz in stereo, so the mixture is brought to that
# first (and the estimates back). On the synthetic songs they are out of their element: a
# pretrained model is only as good as the match between its training data and yours. On the
# real MUSDB18 test set, compare Open-Unmix with what its authors report (below); torchaudio's
# Hybrid Demucs weights were trained on MUSDB18-HQ's test songs too (torchaudio's
# documentation says so), so its score on those songs is not a fair test.
#
# Each usable reference is registered as a method of the family `reference`; from then on it
# is scored, stored and listened to exactly like the workbook's own methods.

# %%
references = pretrained.register_references()  # one line per reference; offline, none
if references:
    display(metrics.score_missing(references, test, rescore=RESCORE))
family.update({m: registry.get(m).family for m in references})
display(pd.DataFrame(pretrained.PUBLISHED).T)

# %% [markdown]
# ## 5. The leaderboard
# Median SDR per stem on the test split, best mean over the four stems first; then SIR (how
# little of the other stems leaks in) and SAR (how few artifacts the method adds).

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
display(board.round(2).assign(family=[family[m] for m in board.index])
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
# the highest of all, for one reason: nothing in it is an artifact, all of its error is the
# other stems. So its SIR is low, within 3 dB of its SDR on every stem: both are about the
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
assert (sar.loc["mixture"] > sar.loc[rest].max()).all() and (sir_minus_sdr.abs() < 3).all()

# %%
fig, ax = plt.subplots(figsize=(14, 4.5))
plots.leaderboard(board[[s for s in (*STEMS, "accompaniment") if s in board.columns]], ax=ax,
                  title=f"median SDR on the test split of {dataset} (dB)")
fig.tight_layout()

# %% [markdown]
# ## 6. What the table says
# Facts that hold at every run size are asserted; the rest is printed, because with few test
# songs and short training (at the `quick` size: two 8-second test songs, networks trained
# for a few dozen steps at most) rankings between close methods are noise.

# %%
if config.run_size() == "quick":
    print(f"quick size: {len(test)} test songs of {max(t.duration for t in test):.0f} s at most; "
          f"training steps {steps}")
    assert len(test) == 2 and max(t.duration for t in test) <= 8.5 and max(steps.values()) <= 60

# %% [markdown]
# Every oracle is above the mixture on every stem, and none of the workbook's own methods
# reaches the best oracle on any stem: the oracles are given the true stems.

# %%
sdr = board[list(STEMS)]
floor = sdr.loc["mixture"]
separators = [m for m in board.index if family[m] not in ("floor", "oracle")]
own = [m for m in separators if family[m] != "reference"]
for oracle in FAMILIES["oracle"]:  # the ceilings are above the floor, on every stem
    assert (sdr.loc[oracle] > floor).all(), f"{oracle} does not beat the mixture everywhere"
best_oracle = sdr.loc[FAMILIES["oracle"]].max()
best = pd.DataFrame({"best method": sdr.loc[separators].idxmax(), "its SDR": sdr.loc[separators].max(),
                     "best oracle": best_oracle, "gap to the oracle": best_oracle - sdr.loc[separators].max(),
                     "mixture": floor})
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
# The listening room below needs every method's estimate of a song; computing them also
# tells us what each method costs. The real-time factor is seconds of computing per second
# of audio (below 1: faster than real time).

# %%
listen_track = min(test, key=lambda t: t.duration)  # the shortest test song
rate = listen_track.rate
mixture, refs = data.track_mixture(listen_track), data.track_stems(listen_track)
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
    estimates[method] = {listen_track.name: {s: e[:, :keep] for s, e in est.items()}}
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
# At the `quick` size, `conv1d`, the baseline of notebook 07, is one of them: its estimates
# are more than 10 dB quieter than the references on every stem, and its SDR within a fraction
# of a dB of 0. Listen to it in the room below. It is above the mixture on the leaderboard, and
# it separates nothing.

# %%
if config.run_size() == "quick":
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
start = time.perf_counter()
metrics.track_scores(refs, checked_estimates, rate)
fast_seconds = time.perf_counter() - start
start = time.perf_counter()
slow = metrics.track_scores(refs, checked_estimates, rate, backend="museval")
museval_seconds = time.perf_counter() - start
slow = slow.groupby(["stem", "metric"])["value"].median()
kept = metrics.load_scores(dataset, CHECKED)
kept = kept[kept.track == listen_track.name].set_index(["stem", "metric"])["value"]
check = pd.DataFrame({"stored (fast backend)": kept, "museval": slow}).dropna(how="all")
check["difference"] = check["museval"] - check["stored (fast backend)"]
display(check.round(4))
print(f"one {listen_track.duration:.0f} s song: museval {museval_seconds:.1f} s, the fast backend "
      f"{fast_seconds:.1f} s; largest difference {check['difference'].abs().max():.4f} dB")
assert np.allclose(check["museval"], check["stored (fast backend)"], atol=0.01, equal_nan=True)
assert museval_seconds > fast_seconds

# %% [markdown]
# ## 10. The listening room
# Numbers summarise; ears judge. Pick a song, a method and a stem, and switch between the
# estimate, the reference and the mixture. Things to listen for: the oracles' "musical noise"
# (bins switched on and off), HPSS's drums that keep the consonants of the vocals, REPET's
# vocals that hold every non-repeating sound, the nearly silent estimates of section 8, and
# how the networks trade leakage (SIR) against artifacts (SAR).

# %%
room_tracks = [listen_track] + [t for t in test if t is not listen_track]
display(listen.listening_room(room_tracks, shown, estimates=estimates, dataset=dataset, method_kwargs=METHOD_KWARGS))

# %% [markdown]
# ## Exercises
# Each exercise has an answer cell (replace `None`) and a check cell below it. The check says
# whether your answer is missing, wrong or right, and never prints the answer;
# `ex.q1.hint()` gives a hint and `ex.q1.solution()` shows a solution, when you ask.
#
# **1.** Which method, not counting the oracles, has the highest median SDR on **bass**?
# Put its name in `best_bass`.

# %%
from seplib.exercises import nb08 as ex

# %% tags=["answer-1"]
best_bass = None  # your answer, e.g. "nmf"

# %%
ex.q1.check(best_bass, sdr=sdr, separators=separators)

# %% [markdown]
# **2.** By how many dB does the best learned model beat the floor (the mixture) on
# **vocals**? Store the margin in `vocals_margin`. Then compare it with the margin of silence
# over the floor (section 8).

# %% tags=["answer-2"]
vocals_margin = None  # your answer, in dB

# %%
ex.q2.check(vocals_margin, sdr=sdr, learned=FAMILIES["learned"])

# %% [markdown]
# **3.** A separator gives back the true vocals of `listen_track` at half their amplitude,
# $\hat s = s/2$, and nothing else. What are its plain SDR and its SI-SDR (notebook 01)?
# Work them out from the formulas first, then check with `metrics.sdr` and `metrics.si_sdr`
# (average the SI-SDR over the two channels). Store `(sdr_db, si_sdr_db)` in `half_loud`.
# Which of the two would let a model that gets the level wrong look perfect?

# %% tags=["answer-3"]
half_loud = None  # your answer: (plain SDR in dB, SI-SDR in dB)

# %%
ex.q3.check(half_loud, reference=refs["vocals"])

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
