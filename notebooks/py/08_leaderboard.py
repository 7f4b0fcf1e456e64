# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py//py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
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
# table, check any of its numbers against the reference implementation, and hear what a
# difference of a few dB sounds like.

# %% [markdown]
# ## Setup
# On Colab this cell fetches the workbook and installs `seplib` (Colab's own torch is kept).

# %%
import sys

if "google.colab" in sys.modules:
    import os
    import subprocess

    REPO_URL = "https://github.com/seplib/seplib-workbook"
    if not os.path.isdir("/content/seplib-workbook"):
        subprocess.run(["git", "clone", "-q", REPO_URL, "/content/seplib-workbook"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", "/content/seplib-workbook"], check=True)
    sys.path.insert(0, "/content/seplib-workbook")

# %%
import importlib
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from IPython.display import display

from seplib import STEMS, config, data, listen, metrics, models, plots, separate
from seplib.separate import METHODS, ORACLES, separate_chunked
from seplib.train import train_model

print(f"device: {config.device()}, run size: {config.run_size()}")
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
# Every number below is computed the way the MUSDB18 benchmark (SiSEC 2018) computes it:
# BSSEval v4 scores each stem $j$ of each track $k$ in one-second frames $t$, then takes the
# **median over frames** per track and the **median over tracks**:
#
# $$\mathrm{SDR}_j = \operatorname*{median}_{k}\; \operatorname*{median}_{t}\; \mathrm{SDR}_{j,k,t}.$$
#
# Medians, not means: a silent frame (no vocals) has no SDR and is skipped, and one broken
# song does not drag the whole table. The contestants, by family:

# %%
FAMILIES = {
    "floor": ["mixture"],
    "oracle": list(ORACLES),
    "classical": ["hpss", "repet", "repet-sim", "nmf", "nmf-supervised", "classical-repet", "classical-nmf"],
    "learned": ["unet", "demucs-lite", "dprnn", "conv1d"],
}
listed = [m for ms in FAMILIES.values() for m in ms]
if any(m not in listed for m in METHODS):  # a method registered later joins the table too
    FAMILIES["other"] = [m for m in METHODS if m not in listed]
methods = [m for ms in FAMILIES.values() for m in ms]
family = {m: f for f, ms in FAMILIES.items() for m in ms}
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
# `hpss` estimates only `drums` (its other part is everything else), `repet` and `repet-sim`
# only `vocals` and `accompaniment`: they are scored on the stems they give, so their row
# has gaps, and their mean over the stems they give is not comparable with a four-stem mean.
#
# ## 2. The trained models
# Each network was trained by its notebook and saved as `<models>/<name>/best.pt`. Here they
# are only loaded. A model that was never trained (this notebook run on its own) is trained
# now, at the current run size, with the same call its notebook uses.

# %%
for name in FAMILIES["learned"]:
    path = models.default_checkpoint(name)
    if not path.is_file():
        print(f"{name}: no trained model yet; training it now ({config.run_size()} size, as notebook "
              f"{models.NOTEBOOKS[name]} does)")
        train_model(name, resume=True, progress=False)
    saved = torch.load(path, map_location="cpu", weights_only=True)
    print(f"{name:>12}: {path.parent.name}/{path.name}, step {saved.get('step')}, "
          f"validation loss {saved.get('valid_loss', float('nan')):.4g}")

# %% [markdown]
# ## 3. Scores: reuse what is stored, score what is missing
# A stored score is reused when it covers exactly this test split and, for a network, is
# newer than the model's checkpoint. Everything else is scored now with
# `metrics.evaluate(method, test)`, which separates each song, scores it and stores the result.

# %%
from seplib.classical import nmf

# The NMF methods run with the sizes of this run size (nmf.SETTINGS), as in notebook 04, so
# that what you hear and time below is what was scored; the supervised dictionaries are
# learned once, then cached.
METHOD_KWARGS = nmf.method_kwargs()

stored = metrics.load_scores(dataset)
test_names = sorted(t.name for t in test)


def why_score(method):
    """Why a method must be scored now; '' when its stored scores can be reused."""
    rows = stored[stored.method == method]
    if RESCORE:
        return "RESCORE is set"
    if rows.empty:
        return "not scored yet"
    if sorted(rows.track.unique()) != test_names:
        return "stored scores are of other tracks"
    scores_file = config.results_dir() / dataset / f"{method}.json"
    if method in models.MODELS and models.default_checkpoint(method).stat().st_mtime > scores_file.stat().st_mtime:
        return "the model was trained again since"
    return ""


log = []
for method in methods:
    reason = why_score(method)
    start = time.perf_counter()
    if reason:
        metrics.evaluate(method, test, progress=False, **METHOD_KWARGS.get(method, {}))
    log.append({"method": method, "family": family[method], "scores": f"scored now: {reason}" if reason else "reused",
                "seconds": round(time.perf_counter() - start, 1)})
display(pd.DataFrame(log).set_index("method"))

# %% [markdown]
# ## 4. Pretrained references (optional, needs the internet)
# How far are our small models from published ones? Two pretrained MUSDB18 separators can
# join the table: **Open-Unmix** (`umxhq`, a BiLSTM on spectrograms, the SiSEC 2018
# baseline: about 6.3 dB vocals SDR on MUSDB18) and torchaudio's **Hybrid Demucs**
# (`HDEMUCS_HIGH_MUSDB_PLUS`: about 7.7 dB mean, trained with extra data). They are used only
# when the internet can be reached and the package is installed
# (`pip install openunmix` / `pip install torchaudio`, the `reference` extra of seplib), and
# they are scored like everything else. Both were trained on real music at 44.1 kHz in
# stereo, so the mixture is brought to that first (and the estimates back). On the synthetic
# songs they are out of their element: a pretrained model is only as good as the match
# between its training data and yours.

# %%
def resample(x, rate_in, rate_out):
    """(channels, samples) at rate_in Hz -> rate_out Hz (polyphase filter; nothing to do if equal)."""
    rate_in, rate_out = int(round(rate_in)), int(round(rate_out))
    if rate_in == rate_out:
        return x
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(rate_in, rate_out)
    return resample_poly(x, rate_out // g, rate_in // g, axis=-1).astype(np.float32)


def fit_length(x, n):
    """Cut or zero-pad the last axis to n samples."""
    return x[..., :n] if x.shape[-1] >= n else np.pad(x, [(0, 0)] * (x.ndim - 1) + [(0, n - x.shape[-1])])


def run_pretrained(fn, model_rate, mixture, rate):
    """Apply a stereo model working at model_rate Hz to a (channels, samples) mixture at rate Hz.

    fn: (2, samples at model_rate) -> {stem: (2, samples)}. Returns {stem: (channels, samples)} at
    the mixture's rate, channels and length."""
    channels, n = mixture.shape
    x = np.repeat(mixture, 2, axis=0) if channels == 1 else mixture           # mono -> stereo
    est = fn(resample(x, rate, model_rate))
    est = {s: fit_length(resample(e, model_rate, rate), n) for s, e in est.items()}
    return {s: e.mean(axis=0, keepdims=True) if channels == 1 else e for s, e in est.items()}


def openunmix_reference(device):
    """Open-Unmix umxhq (weights from torch.hub): returns (fn, rate)."""
    import openunmix

    separator = openunmix.umxhq(device=device).eval()

    def fn(x):
        with torch.no_grad():
            y = separator(torch.from_numpy(np.ascontiguousarray(x))[None].to(device))  # (1, targets, 2, samples)
        return {s: e[0].cpu().numpy() for s, e in separator.to_dict(y).items()}

    return fn, float(separator.sample_rate)


def hdemucs_reference(device):
    """torchaudio's Hybrid Demucs (HDEMUCS_HIGH_MUSDB_PLUS): returns (fn, rate)."""
    import torchaudio

    bundle = getattr(torchaudio.pipelines, "HDEMUCS_HIGH_MUSDB_PLUS", None)
    if bundle is None:
        raise ImportError(f"torchaudio {torchaudio.__version__} has no HDEMUCS_HIGH_MUSDB_PLUS")
    model = bundle.get_model().to(device).eval()
    rate = bundle.sample_rate

    def chunk_fn(piece):  # (2, samples) -> {stem: (2, samples)}
        with torch.no_grad():
            y = model(torch.from_numpy(np.ascontiguousarray(piece))[None].to(device))[0]
        return dict(zip(model.sources, y.cpu().numpy()))

    def fn(x):
        mono = x.mean(axis=0)
        mean, std = mono.mean(), mono.std() + 1e-8      # the model expects a normalised mixture
        est = separate_chunked(chunk_fn, (x - mean) / std, chunk=int(10 * rate), overlap=int(rate))
        return {s: e * std + mean for s, e in est.items()}

    return fn, rate


REFERENCES = {"ref-openunmix": ("openunmix", openunmix_reference), "ref-hdemucs": ("torchaudio", hdemucs_reference)}
reference_estimates = {}  # {name: {track name: {stem: excerpt}}} for the listening room
is_online = data.online()
for name, (package, make) in REFERENCES.items():
    if not is_online:
        print(f"{name}: skipped: offline")
        continue
    try:
        importlib.import_module(package)
    except ImportError:
        print(f"{name}: skipped: {package} not installed (pip install {package})")
        continue
    try:
        fn, model_rate = make(config.device())
        frames, reference_estimates[name] = [], {}
        for t in test:
            mixture, refs = data.track_mixture(t), data.track_stems(t)
            est = run_pretrained(fn, model_rate, mixture, t.rate)
            frames.append(metrics.track_scores(refs, est, t.rate).assign(track=t.name))
            keep = int(listen.EXCERPT_SECONDS * t.rate)  # the room plays excerpts: keep only those
            reference_estimates[name][t.name] = {s: e[:, :keep] for s, e in est.items()}
        metrics.save_scores(name, dataset, pd.concat(frames))
        print(f"{name}: scored on {len(test)} tracks and stored")
    except Exception as err:  # a failed download or an API change: report it in one line, go on
        reference_estimates.pop(name, None)
        print(f"{name}: skipped: {type(err).__name__}: {err}")

# %% [markdown]
# ## 5. The leaderboard
# Median SDR per stem on the test split, best mean first; then SIR (how little of the other
# stems leaks in) and SAR (how few artifacts the method adds).

# %%
shown = methods + [m for m in metrics.leaderboard(dataset).index if m.startswith("ref-")]
family.update({m: "reference" for m in shown if m.startswith("ref-")})
boards = {}
for metric in ("SDR", "SIR", "SAR"):
    table = metrics.leaderboard(dataset, metric=metric)
    boards[metric] = table.loc[[m for m in table.index if m in shown]]
board = boards["SDR"]
others = [m for m in metrics.leaderboard(dataset).index if m not in shown]
display(board.round(2).assign(family=[family[m] for m in board.index]))
if others:
    print(f"also in the store for {dataset!r} (variants from the notebooks, not shown): {', '.join(others)}")
assert set(methods) <= set(board.index), f"missing from the leaderboard: {set(methods) - set(board.index)}"

# %%
display(pd.concat({m: boards[m] for m in ("SIR", "SAR")}, axis=1).round(2))

# %% [markdown]
# Read the two together: a method can buy a high SIR (little leakage) with a low SAR
# (audible artifacts), as the binary mask does. The mixture's SAR is absurdly high for the
# same reason its SIR is low: nothing in it is an artifact, all of its error is the other
# stems.

# %%
fig, ax = plt.subplots(figsize=(14, 4.5))
plots.leaderboard(board[[s for s in (*STEMS, "accompaniment") if s in board.columns]], ax=ax,
                  title=f"median SDR on the test split of {dataset} (dB)")
fig.tight_layout()

# %% [markdown]
# ## 6. What the table says
# Facts that hold at every run size are asserted; the rest is printed, because at the
# `quick` size (two 8-second test songs, networks trained for a few dozen steps) rankings
# between close methods are noise.

# %%
sdr = board[list(STEMS)]
floor = sdr.loc["mixture"]
separators = [m for m in board.index if family[m] not in ("floor", "oracle")]
for oracle in ORACLES:  # the ceilings are above the floor, on every stem
    assert (sdr.loc[oracle] > floor).all(), f"{oracle} does not beat the mixture everywhere"
best_oracle = sdr.loc[list(ORACLES)].max()
best = pd.DataFrame({"best method": sdr.loc[separators].idxmax(), "its SDR": sdr.loc[separators].max(),
                     "best oracle": best_oracle, "gap to the oracle": best_oracle - sdr.loc[separators].max(),
                     "mixture": floor})
display(best.round(2))

learned_mean = sdr.loc[FAMILIES["learned"]].mean(axis=1)
print(f"mean SDR over the four stems: mixture {floor.mean():.2f} dB; " +
      ", ".join(f"{m} {v:.2f} dB" for m, v in learned_mean.items()))
for m, v in learned_mean.items():  # even a barely trained network is far above the floor
    assert v > floor.mean(), f"{m} does not beat the mixture on average"
beats_every_stem = {m: bool((sdr.loc[m] > floor).all()) for m in FAMILIES["learned"]}
print("learned models above the mixture on every stem:", beats_every_stem)

# %% [markdown]
# **Where the table misleads.** Two things to keep in mind before reading too much into it.
#
# *Silence is not the floor.* The mixture scores below 0 dB because it holds the other three
# stems. An estimate of pure silence has no interference at all: its plain SDR is exactly
# $10\log_{10}(\lVert s\rVert^2/\lVert s - 0\rVert^2) = 0$ dB. A network that has learned
# little more than "be quiet" therefore already beats the mixture by several dB: only a score
# well above 0 dB means it separates.

# %%
ref_vocals = data.track_stems(test[0])["vocals"]
print(f"plain SDR of silence as the vocals: {metrics.sdr(np.zeros_like(ref_vocals), ref_vocals):.2f} dB")
above_silence = {m: round(float(v), 2) for m, v in learned_mean.items()}
print("learned models' mean SDR (dB), to compare with 0 dB:", above_silence)

# %% [markdown]
# *A median over a few songs is not a result.* Each song is a different mixing problem; the
# same method can be several dB apart on two of them. The vocals SDR of every method, song by
# song (from the store, nothing recomputed):

# %%
per_track = metrics.load_scores(dataset)
per_track = per_track[(per_track.metric == "SDR") & (per_track.stem == "vocals") & per_track.method.isin(shown)]
spread = per_track.pivot_table(index="method", columns="track", values="value").reindex(
    [m for m in board.index if m in set(per_track.method)])
display(spread.round(2).assign(**{"max - min": spread.max(axis=1) - spread.min(axis=1)}))

# %% [markdown]
# ## 7. Separating one song with every method, and how long it takes
# The listening room below needs every method's estimate of a song; computing them also
# tells us what each method costs. The real-time factor is seconds of computing per second
# of audio (below 1: faster than real time).

# %%
listen_track = min(test, key=lambda t: t.duration)  # the shortest test song
rate = listen_track.rate
mixture, refs = data.track_mixture(listen_track), data.track_stems(listen_track)
CHECKED = "unet"  # the method re-scored with museval in section 8
keep = int(listen.EXCERPT_SECONDS * rate)  # the room plays excerpts: keep only those
estimates, timing = {}, []
for method in methods:
    start = time.perf_counter()
    kwargs = {"references": refs} if method in ORACLES else METHOD_KWARGS.get(method, {})
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
# ## 8. Check a number against museval
# All scores above come from `seplib`'s torch implementation of BSSEval v4 (the `fast`
# backend). `museval`, the reference implementation of the MUSDB18 protocol, is slower but is
# the one papers cite. Re-score one method on one song with it and compare with the stored
# numbers:

# %%
start = time.perf_counter()
slow = metrics.track_scores(refs, checked_estimates, rate, backend="museval")
museval_seconds = time.perf_counter() - start
slow = slow.groupby(["stem", "metric"])["value"].median()
kept = metrics.load_scores(dataset, CHECKED)
kept = kept[kept.track == listen_track.name].set_index(["stem", "metric"])["value"]
check = pd.DataFrame({"stored (fast backend)": kept, "museval": slow}).dropna(how="all")
check["difference"] = check["museval"] - check["stored (fast backend)"]
display(check.round(4))
print(f"museval took {museval_seconds:.1f} s for one {listen_track.duration:.0f} s song; "
      f"largest difference {check['difference'].abs().max():.4f} dB")
assert np.allclose(check["museval"], check["stored (fast backend)"], atol=0.01, equal_nan=True)

# %% [markdown]
# ## 9. The listening room
# Numbers summarise; ears judge. Pick a song, a method and a stem, and switch between the
# estimate, the reference and the mixture. Things to listen for: the oracles' "musical noise"
# (bins switched on and off), HPSS's drums that keep the consonants of the vocals, REPET's
# vocals that hold every non-repeating sound, and how the networks trade leakage (SIR)
# against artifacts (SAR).

# %%
room_tracks = [listen_track] + [t for t in test if t is not listen_track]
display(listen.listening_room(room_tracks, shown, estimates={**estimates, **reference_estimates}, dataset=dataset,
                             method_kwargs=METHOD_KWARGS))

# %% [markdown]
# ## Exercises
# **1.** Which method, not counting the oracles, has the highest median SDR on **bass**?
# Put its name in `best_bass`.

# %%
best_bass = None  # your answer, e.g. "nmf"

# %%
# check
truth = sdr.loc[separators, "bass"].idxmax()
if best_bass is None:
    print(f"Not answered yet. Hint: board.loc[separators, 'bass']. The answer is {truth!r}.")
elif best_bass == truth:
    print("Correct!")
elif best_bass in ORACLES:
    print("The oracles do not count: they are given the true stems.")
else:
    print(f"Not quite: {best_bass!r} has {sdr.loc[best_bass, 'bass']:.2f} dB, {truth!r} {sdr.loc[truth, 'bass']:.2f} dB.")

# %% [markdown]
# **2.** How many dB separate the best oracle from the best real method on **vocals**? Store
# it in `vocals_gap`.

# %%
vocals_gap = None  # your answer, in dB

# %%
# check
truth = sdr.loc[list(ORACLES), "vocals"].max() - sdr.loc[separators, "vocals"].max()
if vocals_gap is None:
    print(f"Not answered yet. Hint: the best oracle's vocals minus the best separator's. (Answer: {truth:.2f} dB)")
elif abs(vocals_gap - truth) < 0.01:
    print("Correct!")
else:
    print(f"Not quite: {vocals_gap:.2f} dB, expected {truth:.2f} dB. Take the maximum over ORACLES and over "
          "separators separately.")

# %% [markdown]
# **3.** Which learned model separated the song of section 7 fastest? Put its name in
# `fastest_learned`. Then listen to it in the room: is the fastest also the one you prefer?

# %%
fastest_learned = None  # your answer

# %%
# check
truth = speed.loc[FAMILIES["learned"], "seconds"].idxmin()
if fastest_learned is None:
    print(f"Not answered yet. Hint: the `speed` table, learned models only. The answer is {truth!r}.")
elif fastest_learned == truth:
    print("Correct!")
else:
    print(f"Not quite: {fastest_learned!r} took {speed.loc[fastest_learned, 'seconds']:.2f} s, "
          f"{truth!r} {speed.loc[truth, 'seconds']:.2f} s.")
