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
# # 09 · Real music: from synthetic songs to MUSDB18
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/seplib/seplib-workbook/blob/main/notebooks/09_real_music.ipynb)
#
# **Goal.** Take the U-Net that learned on synthetic songs to real recordings (MUSDB18), measure
# how far it falls there beside the oracle, the mixture and a classical method, and fine-tune it
# on real training songs, with a run that survives a disconnect. By the end you can point the
# workbook at MUSDB18, say with numbers what changes between synthetic and real music, and
# hear what a little real data does to a model.
#
# Everything before this notebook ran on synthetic songs, where the mixture is exactly the sum
# of four clean stems. Real songs are recorded in rooms, mixed and mastered by people: the
# oracle masks still tell us the ceiling, and the distance from the model to that ceiling is
# what we measure twice, before and after fine-tuning.

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
# ## 1. Where the real music comes from
# MUSDB18 (Rafii et al., 2017) holds 150 real songs with their four stems: 100 to train on
# (`musdb` keeps 14 of them apart for validation) and 50 to test on, about ten hours in all. It
# comes as MUSDB18 (`.stem.mp4` files) or MUSDB18-HQ (WAV folders); both need a (free)
# request on Zenodo, so the workbook cannot download them for you. Three ways in, in this order:
#
# 1. `MUSDB_ROOT` below, or `MUSDB_PATH` in the environment: your MUSDB18 or MUSDB18-HQ folder;
# 2. with the internet (Colab), musdb's **previews**: a 7-second excerpt of every song,
#    downloaded once, on first use;
# 3. neither: the synthetic set stands in, so that every cell still runs (and says so).

# %%
import os
import zipfile
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import soundfile as sf
import torch
from IPython.display import display

from seplib import STEMS, audio, data, listen, losses, metrics, models, plots, separate, sizes, spectral, train
from seplib.data.chunks import FixedChunks, RandomChunks
from seplib.metrics.bsseval import shared_references
from seplib.run import current

MUSDB_ROOT = None  # your MUSDB18 or MUSDB18-HQ folder; None: $MUSDB_PATH, else the previews when online

root = MUSDB_ROOT or os.environ.get("MUSDB_PATH") or (data.PREVIEWS if data.online() else None)
why = "no MUSDB_PATH and no internet"
splits = None
if root is not None:
    try:
        splits = {split: data.open_dataset(split, root=root) for split in ("train", "valid", "test")}
    except (OSError, ValueError, zipfile.BadZipFile) as err:  # a failed download; a bad local folder says what is wrong
        if str(root) != data.PREVIEWS:
            raise
        why = f"the previews could not be downloaded ({type(err).__name__})"
REAL = splits is not None
if not REAL:
    root = data.default_root(SIZE)
    splits = {split: data.open_dataset(split, root=root) for split in ("train", "valid", "test")}
    print(f"no real music here: {why}, so this notebook runs on the synthetic set; "
          "set MUSDB_PATH or go online to use MUSDB18")
run = current(size=SIZE, root=root)
print(f"data: {run.dataset} ({'real music' if REAL else 'synthetic'}), songs per split: "
      + ", ".join(f"{split} {len(tracks)}" for split, tracks in splits.items()))

# %% [markdown]
# **Excerpts.** A MUSDB18 song lasts about four minutes; scoring and fine-tuning on fifty of
# them is a job for hours, not for a lesson. So we take as many songs as the synthetic set of
# this run size has, spread over each split, and from each song an excerpt from its middle
# (intros are often quiet), as long as the synthetic songs of this size. An excerpt is handed
# around like a track (a name, a rate, its mixture and stems, read once), so `seplib`'s
# readers (`data.track_mixture`, `data.track_stems`) and the listening room take it as they
# take a musdb track. Only the excerpt is read from the file:
# `soundfile` seeks into a WAV, and `musdb` decodes just that stretch of a `.stem.mp4`.

# %%
DATA = sizes.of("data", SIZE)  # songs per split and seconds per song of this run size
SECONDS = DATA["seconds"]


def spread(tracks, n):
    """``n`` tracks spread evenly over a list (all of them if it holds ``n`` or fewer)."""
    picks = np.unique(np.linspace(0, len(tracks) - 1, min(n, len(tracks))).round().astype(int))
    return [tracks[i] for i in picks]


def read_source(track, source, start, length):
    """``length`` samples of one of a track's files from sample ``start``: ``(channels, samples)``."""
    path = str(source.path)
    if path.lower().endswith(".wav"):
        x = sf.read(path, start=start, frames=length, dtype="float32", always_2d=True)[0]
    else:  # MUSDB18 .stem.mp4: musdb (ffmpeg) decodes only the excerpt
        track.chunk_start, track.chunk_duration = start / track.rate, length / track.rate
        try:
            x = np.asarray(source.audio, dtype=np.float32)
        finally:
            track.chunk_start, track.chunk_duration = 0, None
    return audio.as_stereo(x.T, name=f"{track.name}/{os.path.basename(path)}")


def excerpt(track, seconds):
    """``seconds`` from the middle of a musdb track, as a track held in memory.

    Returns:
        excerpt (SimpleNamespace): ``name``, ``rate``, ``duration``, ``mixture`` (channels, samples),
        ``song`` (stems, channels, samples) and ``stems`` (``{stem: (channels, samples)}``, views
        of ``song``), and ``audio`` / ``sources`` as a musdb track has them
    """
    length = int(round(min(seconds, track.duration) * track.rate))
    start = int(round((track.duration * track.rate - length) / 2))
    mixture = read_source(track, track, start, length)
    parts = [read_source(track, track.sources[s], start, length) for s in STEMS]
    n = min(x.shape[1] for x in [mixture, *parts])  # a decoder may give a few samples less
    song = np.stack([x[:, :n] for x in parts])      # (stems, channels, samples), held once
    stems = dict(zip(STEMS, song))
    return SimpleNamespace(name=track.name, rate=track.rate, duration=n / track.rate, path="",
                           mixture=mixture[:, :n], song=song, stems=stems, audio=mixture[:, :n].T,
                           sources={s: SimpleNamespace(audio=x.T, path="") for s, x in stems.items()})


excerpts = {split: [excerpt(t, SECONDS) for t in spread(splits[split], DATA[split])]
            for split in ("train", "valid", "test")}
test = excerpts["test"]
rate = test[0].rate
for split, songs in excerpts.items():
    print(f"{split:>5}: {len(songs)} × {SECONDS:.0f} s at most, e.g. {songs[0].name!r}")
assert all(np.array_equal(data.track_mixture(e), e.mixture) for e in test)  # seplib reads an excerpt as a track

# %% [markdown]
# ## 2. The synthetic-trained U-Net on these songs, beside the floor and the ceiling
# The package ships a U-Net trained by `seplib train unet` on the synthetic songs
# (`seplib.models.shipped_checkpoint("unet")`; `seplib separate song.wav` uses it). It has
# never heard a recorded instrument. Score it with the MUSDB protocol (notebook 08) on the test
# excerpts, beside:
# * `mixture`, the floor (the mixture as every stem's estimate);
# * `oracle-irm`, the ceiling of notebook 01 (the ideal ratio mask, made from the true stems:
#   about the best a mask on this STFT can do; the other oracles of notebook 01 would join
#   at the cost of one more scoring per song);
# * `classical-repet` (notebook 04), a classical pipeline that learned nothing, so it has
#   nothing to unlearn on real music.

# %%
SHIPPED = models.shipped_checkpoint("unet")
shipped = models.load(SHIPPED, device="cpu")
record = models.shipped_record("unet")  # how it was made, next to the weights
print(f"shipped U-Net: {SHIPPED.name}, {models.parameter_count(shipped):,} parameters, trained on "
      f"{record['data']['name']} by `{record['command']}`")


def separate_all(methods, songs):
    """``{method: {song name: {stem: (channels, samples)}}}``; ``methods`` maps a name to
    ``separate``'s method and keyword arguments."""
    out = {}
    for name, (method, kwargs) in methods.items():
        out[name] = {}
        for e in songs:
            given = {**kwargs, "references": e.stems} if method.startswith("oracle") else kwargs
            out[name][e.name] = separate(method, e.mixture, e.rate, **given)
    return out


def song_sdr(estimates, songs):
    """The first step of the MUSDB protocol: per method, song and stem, the median SDR over 1 s frames.

    Returns:
        scores (pandas.Series): indexed by ``(method, track, stem)``
    """
    rows = []
    for e in songs:
        with shared_references():  # the references' part of BSSEval computed once per song
            for name, per_song in estimates.items():
                scores = metrics.track_scores(e.stems, per_song[e.name], e.rate)
                rows.append(scores[scores.metric == "SDR"].assign(method=name, track=e.name))
    return pd.concat(rows).groupby(["method", "track", "stem"])["value"].median()


def median_sdr(scores, methods):
    """The second step: the median over songs, per method (rows, in the order given) and stem."""
    table = scores.groupby(["method", "stem"]).median().unstack("stem").reindex(index=list(methods), columns=list(STEMS))
    return table.assign(mean=table.mean(axis=1))


METHODS = {"mixture": ("mixture", {}), "oracle-irm": ("oracle-irm", {}), "classical-repet": ("classical-repet", {}),
           "unet (synthetic)": ("unet", {"checkpoint": SHIPPED})}
estimates = separate_all(METHODS, test)
scores = song_sdr(estimates, test)
board = median_sdr(scores, estimates)
display(board.round(2))

# %% [markdown]
# The oracle is above the mixture on every stem, on real music as on synthetic: it is given
# the true stems, and a ratio mask made from them removes much of the other stems. (A stem
# silent all through every excerpt has no score, NaN, and is left out of the comparison.)

# %%
sdr = board[list(STEMS)]
both = sdr.loc["oracle-irm"].notna() & sdr.loc["mixture"].notna()
assert (sdr.loc["oracle-irm"][both] > sdr.loc["mixture"][both]).all()
print("above the mixture on every stem:", ", ".join(m for m in sdr.index if (sdr.loc[m] > sdr.loc["mixture"]).all()))

# %% [markdown]
# How much of the way from the floor to the ceiling does each method go? The share of the
# oracle's margin over the mixture, $(\text{method} - \text{mixture}) / (\text{oracle-irm} -
# \text{mixture})$, per stem: 0 is no better than the mixture, 1 is as good as the oracle. It
# puts songs of different difficulty on one scale, which is what we need to compare synthetic
# and real songs.

# %%
def share_of_oracle(table, method, oracle="oracle-irm"):
    """Per stem: how far ``method`` goes from the mixture (0) to the oracle (1)."""
    return (table.loc[method, list(STEMS)] - table.loc["mixture", list(STEMS)]) / \
        (table.loc[oracle, list(STEMS)] - table.loc["mixture", list(STEMS)])


shares = pd.DataFrame({m: share_of_oracle(board, m) for m in ("classical-repet", "unet (synthetic)")}).T
shares["mean"] = shares.mean(axis=1)
display(shares.round(2))

# %% [markdown]
# On the synthetic songs the shipped U-Net is at home: it goes most of the way to the oracle
# and beats the classical pipeline on average. On real music it need not: if these are real
# songs, the table says how much of that survives.

# %%
if not REAL:  # at home: the model beats the mixture and the classical pipeline on average
    assert board.loc["unet (synthetic)", "mean"] > board.loc["classical-repet", "mean"] > board.loc["mixture", "mean"]
    assert shares.loc["unet (synthetic)", "mean"] > 0.5
print(f"shipped U-Net on {run.dataset}: {shares.loc['unet (synthetic)', 'mean']:.2f} of the oracle's margin "
      f"(classical-repet {shares.loc['classical-repet', 'mean']:.2f})")

# %% [markdown]
# ## 3. What differs between synthetic and real music
# Why should a model that does well on synthetic songs stumble on real ones? Because it learned
# what a voice, a drum, a bass *sound like in its training data*, and real recordings differ:
#
# * **Timbre.** The synthetic voice is a source-filter model singing vowels; a real singer has
#   breath, consonants, words, a character of their own. Real guitars, synths and pianos are
#   richer than the synthetic pads and plucks, and share more of the voice's range.
# * **Reverb and space.** Each synthetic stem gets one simple shared reverb; real stems carry
#   the rooms they were recorded in and the effects a producer put on them, which smear
#   every stem in time.
# * **Mixing and mastering.** Real songs are equalised, compressed and limited *as a whole*,
#   so the mixture is no longer exactly the sum of the stems as the stems are distributed.
# * **Bleed.** In a studio a microphone hears more than its instrument (the drums in the vocal
#   microphone), so a "stem" holds a little of the others: the reference itself is impure.
#
# Two of these we can measure on the excerpts in hand: how far the mixture is from the sum of
# its stems, and how much of each stem's energy lies above the highest frequency the U-Net
# models (its `max_bin`, notebook 05): the brightness it cannot see.

# %%
def differences(songs, n_fft, max_bin):
    """Per set of songs: the mixture's distance from the sum of its stems (dB below the
    mixture; -inf when exact), and each stem's share of energy above ``max_bin`` (%)."""
    residual = sum(float(np.sum((e.mixture - sum(e.stems.values())) ** 2)) for e in songs)
    level = sum(float(np.sum(e.mixture.astype(np.float64) ** 2)) for e in songs)
    row = {"mixture minus sum of stems (dB)": 10 * np.log10(residual / level) if residual else -np.inf}
    for s in STEMS:
        power = np.concatenate([np.abs(spectral.stft(e.stems[s], n_fft, n_fft // 4).numpy()) ** 2 for e in songs], -1)
        row[f"{s} above max_bin (%)"] = 100 * power[:, max_bin:].sum() / max(power.sum(), 1e-20)
    return row


N_FFT, MAX_BIN = shipped.hparams["n_fft"], shipped.hparams["max_bin"]
synthetic_test = test if not REAL else [excerpt(t, SECONDS) for t in data.open_dataset("test", root=data.default_root(SIZE))]
gap = pd.DataFrame({"synthetic": differences(synthetic_test, N_FFT, MAX_BIN)}
                   | ({"real": differences(test, N_FFT, MAX_BIN)} if REAL else {}))
print(f"the U-Net models frequencies up to {MAX_BIN * rate / N_FFT:.0f} Hz (bin {MAX_BIN} of a {N_FFT}-point STFT)")
display(gap.round(2))
synth = gap["synthetic"]
assert synth["mixture minus sum of stems (dB)"] == -np.inf                      # exactly the sum
assert synth["vocals above max_bin (%)"] < 1 and synth["bass above max_bin (%)"] < 1

fig, axes = plt.subplots(1, 2, figsize=(13, 3.2), sharey=True)
for ax, e, where in ((axes[0], synthetic_test[0], "synthetic"), (axes[1], test[0], run.dataset)):
    plots.spectrogram(e.stems["vocals"], rate, ax=ax, title=f"vocals, {where}: {e.name}", max_hz=11000)
    ax.axhline(MAX_BIN * rate / N_FFT, color="w", ls="--", lw=1)  # the U-Net sees below this line
fig.tight_layout()
plt.show()

# %% [markdown]
# The synthetic mixture is exactly the sum of its stems, and its voices and bass have less
# than 1 % of their energy above the U-Net's highest modelled frequency. Real music need not
# be like that: stems compressed one by one (MUSDB18's `.stem.mp4`) or a mixture mastered after
# the stems were summed break the sum, and the consonants and breath of a real voice, or a
# bright bass sound, can put much more energy up there, where the U-Net shares it among the
# stems in the proportions of the one bin below (notebook 05, section 3). When the column
# "real" is there, it says how much of this your songs do. Look, too, at a voice of each kind
# (above: the dashed line is the U-Net's highest modelled frequency; without real music, the
# two pictures are the same synthetic song): the synthetic voice is vowels made from glottal
# pulses, with vibrato and a little consonant noise; a real one has words, breath and the room
# it was sung in.
#
# The same U-Net, scored on the synthetic test songs of this size, against how it does here:
# both as the share of the oracle's margin. (Without real music, both columns are the same
# songs, and the gap is zero by construction.)

# %%
if REAL:
    some = {m: METHODS[m] for m in ("mixture", "oracle-irm", "unet (synthetic)")}
    synthetic_board = median_sdr(song_sdr(separate_all(some, synthetic_test), synthetic_test), some)
else:
    synthetic_board = board
domain = pd.DataFrame({"synthetic songs": share_of_oracle(synthetic_board, "unet (synthetic)"),
                       f"{run.dataset}": share_of_oracle(board, "unet (synthetic)")}).T
domain["mean"] = domain.mean(axis=1)
display(domain.round(2))
drop = domain.iloc[0]["mean"] - domain.iloc[1]["mean"]
print(f"share of the oracle's margin lost between synthetic and {run.dataset}: {drop:.2f}")
if not REAL:
    assert drop == 0.0

# %% [markdown]
# ## 4. Fine-tune on real training songs, with resume
# The remedy for data the model has not seen is to show it some. **Fine-tuning** starts from
# the trained weights instead of random ones and trains a little more, on the new data, at a
# smaller learning rate (here $10^{-4}$ instead of $10^{-3}$, held constant), so that it
# adapts what it knows instead of starting over. The recipe of notebook 05 otherwise: random
# chunks of the training excerpts with augmentation, validation on the valid excerpts,
# `seplib.train.fit`.
#
# It writes to a folder of its own, `unet-finetuned-<size>` in this data set's models folder;
# the shipped file and notebook 05's checkpoints are only read. It keeps `last.pt` (all a
# resume needs) and `best.pt` (the best validation weights). To show a resume, the first call
# stops halfway, as a disconnected Colab runtime would; the second call, with the full number
# of steps and `resume=True`, continues from `last.pt` (it says that the learning-rate schedule
# stretches to the new length: a constant rate has nothing to stretch). Run the cells again
# and both return at once.

# %%
PLAN = train.plan("unet", SIZE)  # batch size, chunk seconds, validation chunks per song
FINE_STEPS = {"quick": 4, "lab": 60, "full": 400}[SIZE]
HALF = FINE_STEPS // 2
LR = 1e-4
out_dir = run.models_dir / f"unet-finetuned-{SIZE}"
assert out_dir != models.default_checkpoint("unet", run).parent and not out_dir.is_relative_to(SHIPPED.parent)
train_songs = [e.song for e in excerpts["train"]]  # the arrays themselves: chunks are cut from them, not from copies
train_set = RandomChunks(train_songs, PLAN["seconds"], samples_per_epoch=max(PLAN["batch_size"] * HALF, 64), seed=0)
valid_set = FixedChunks([e.song for e in excerpts["valid"]], PLAN["seconds"], per_track=PLAN["per_track"])
train_check = FixedChunks(train_songs, PLAN["seconds"], per_track=1)  # one fixed chunk per training excerpt


def finetune(steps):
    """Fine-tune the shipped U-Net for ``steps`` steps in all, resuming from ``out_dir`` if a run is there.

    Returns:
        (model, history): the best validation weights, and the history since step 0
    """
    model = models.load(SHIPPED)  # the start; a resume replaces these weights with last.pt's
    history = train.fit(model, train_set, valid_set, steps=steps, batch_size=PLAN["batch_size"], lr=LR,
                        schedule="constant", valid_every=max(HALF // 2, 1), out_dir=out_dir, resume=True,
                        seed=0, progress=False)
    return model, history


def saved_step():
    return torch.load(out_dir / "last.pt", map_location="cpu", weights_only=True)["state"]["step"] \
        if (out_dir / "last.pt").is_file() else 0


print(f"fine-tuning {FINE_STEPS} steps of {PLAN['batch_size']} chunks of {PLAN['seconds']} s, "
      f"lr {LR}, into {out_dir.parent.name}/{out_dir.name}; already done: {saved_step()} steps")

# %%
first = None
if saved_step() < HALF:
    _, first = finetune(HALF)  # the first half, then "the runtime disconnects"
    halfway = torch.load(out_dir / "last.pt", map_location="cpu", weights_only=True)["model_state"]
    print(f"stopped at step {saved_step()}; last.pt holds it")
finetuned, history = finetune(FINE_STEPS)  # resume=True: continues from last.pt
display(pd.DataFrame(history).round(4))

# %% [markdown]
# Did it continue rather than start over? The history of the resumed run begins with the rows
# of the first half, unchanged, and goes on to the last step; `last.pt` is at the last step,
# and the second half changed the weights.

# %%
assert history["step"][-1] == FINE_STEPS == saved_step()
if first is not None:  # this run stopped halfway and resumed (a second run of the cell finds it done)
    assert {k: v[: len(first["step"])] for k, v in history.items()} == first
    assert first["step"][-1] == HALF
    final = torch.load(out_dir / "last.pt", map_location="cpu", weights_only=True)["model_state"]
    assert any(not torch.equal(halfway[k], final[k]) for k in final)
    print(f"resumed at step {HALF} and went on to step {FINE_STEPS}")
else:
    print(f"the run in {out_dir.name} was already finished at step {FINE_STEPS}: nothing to do")

# %% [markdown]
# Did it learn? First on the songs it trained on: the loss on one fixed chunk of each training
# excerpt (no augmentation), with the shipped weights and with the fine-tuned ones. On real
# music, at `lab` and `full`, it falls: the model fits the new songs better. At `quick` the four
# steps of two 1-second chunks are too few to say, and it may go either way. On the synthetic
# stand-in there is nothing new to learn (at `lab` these are the very songs the shipped U-Net
# was trained on), so it moves by noise, either way. Then on songs it did not train on, the
# real question: the validation excerpts (mean plain SDR over their chunks,
# `train.evaluate_sdr` of notebook 05). Steps this few, at this small a learning rate, cannot
# cost much there: the mean validation SDR of `best.pt` stays within 1 dB of the shipped
# model's, or rises. How much it rises on real music is for you to find out at `lab` or `full`.

# %%
last = models.load(out_dir / "last.pt", device=config.device())  # the weights after the last step
loss_fn = losses.loss_for("unet")
before_after = pd.DataFrame({
    name: {"loss on training chunks": train.mean_loss(m, loss_fn, train_check),
           "valid loss": train.mean_loss(m, loss_fn, valid_set), **train.evaluate_sdr(m, valid_set)}
    for name, m in [("shipped", models.load(SHIPPED, device=config.device())), ("fine-tuned, last step", last),
                    ("fine-tuned, best.pt", finetuned)]}).T
before_after["mean valid SDR"] = before_after[list(STEMS)].mean(axis=1)
display(before_after.round(3))
print(f"the shipped U-Net was trained on {record['data']['name']}; these excerpts are from {run.dataset}")
if REAL and SIZE != "quick":  # new songs, and enough steps to fit them better
    assert before_after.loc["fine-tuned, last step", "loss on training chunks"] < before_after.loc["shipped", "loss on training chunks"]
assert before_after.loc["fine-tuned, best.pt", "mean valid SDR"] > before_after.loc["shipped", "mean valid SDR"] - 1.0

# %% [markdown]
# ## 5. Listen: before and after
# The same test excerpt through the shipped U-Net and the fine-tuned one, the vocals of each,
# and the true vocals.

# %%
FINETUNED = out_dir / "best.pt"
estimates.update(separate_all({"unet (fine-tuned)": ("unet", {"checkpoint": FINETUNED})}, test))
song = test[0]
display(audio.play(song.mixture, rate, title=f"mixture: {song.name}"))
for name in ("unet (synthetic)", "unet (fine-tuned)"):
    display(audio.play(estimates[name][song.name]["vocals"], rate, title=f"{name}: vocals"))
display(audio.play(song.stems["vocals"], rate, title="reference vocals"))

# %% [markdown]
# The listening room (notebook 02) with every method on every test excerpt: A/B the
# estimates against the reference and the mixture.

# %%
display(listen.listening_room(test, list(estimates), estimates=estimates, seconds=SECONDS))

# %% [markdown]
# ## 6. The scores after fine-tuning
# The test excerpts again, with the fine-tuned U-Net beside the others. Fine-tuning for a few
# steps cannot cost much here either: its mean over the stems stays within 1 dB of the shipped
# model's, or rises.

# %%
scores = pd.concat([scores, song_sdr({"unet (fine-tuned)": estimates["unet (fine-tuned)"]}, test)])
board = median_sdr(scores, estimates)
display(board.round(2))
plots.leaderboard(board[list(STEMS)], title=f"median SDR on {len(test)} test excerpts of {run.dataset} (dB)")
plt.show()
shares = pd.DataFrame({m: share_of_oracle(board, m) for m in ("unet (synthetic)", "unet (fine-tuned)")}).T
shares["mean"] = shares.mean(axis=1)
display(shares.round(2))
change = board.loc["unet (fine-tuned)", "mean"] - board.loc["unet (synthetic)", "mean"]
print(f"fine-tuning {FINE_STEPS} steps on {len(excerpts['train'])} excerpts: mean SDR {change:+.2f} dB on the test excerpts")
assert change > -1.0

# %% [markdown]
# ## 7. What the numbers say, and where to go next
# * On the synthetic songs the U-Net gets most of the way from the mixture to the oracle
#   (section 2). The oracle is a ceiling for real music too, but the share of its margin a
#   synthetic-trained model reaches is the number to watch: how much of it is left on real songs
#   is the **domain gap**. Timbre, reverb, mastering and bleed (section 3) all widen it; none of
#   them is in the synthetic generator, so the model could not learn them.
# * Fine-tuning on real songs can close part of the gap with few steps, because much of what the
#   U-Net knows (a voice has harmonics and vibrato, a drum hit is broadband and short) carries
#   over. Whether it did here, the two tables above say: at `quick` it takes four steps, too few
#   to tell a change from noise; at `lab` and `full`, with real music, compare them stem by stem.
# * Excerpts are a shortcut: a model fine-tuned on 8 to 30 seconds of each song has seen a
#   sliver of MUSDB18. For the real thing, train on whole songs from disk:
#   `seplib data decode --root MUSDB18 --out MUSDB18-wav` once (if you have the `.stem.mp4`
#   version), then `seplib train unet --root MUSDB18-wav --size full`, and
#   `seplib evaluate --root MUSDB18-wav --method unet` for the full test set.
# * Notebook 08 (section 4) sets published systems trained on MUSDB18, with much larger
#   networks, beside these numbers.

# %% [markdown]
# ## Exercises
# Each exercise has an answer cell (replace `None`) and a check cell below it. The check says
# whether your answer is missing, wrong or right, and never prints the answer;
# `ex.q1.hint()` gives a hint and `ex.q1.solution()` shows a solution, when you ask.
#
# **1.** On the final table `board`, what share of the oracle-irm's margin over the mixture does
# the fine-tuned U-Net reach on **vocals**? (0: no better than the mixture; 1: as good as the
# oracle.) Store the number in `vocals_share`.

# %%
from seplib.exercises import nb09 as ex

# %% tags=["answer-1"]
vocals_share = None  # your answer, a number

# %%
ex.q1.check(vocals_share, board=board)

# %% [markdown]
# **2.** How much did the fine-tuning see? It ran `FINE_STEPS` steps of `PLAN["batch_size"]`
# chunks of `PLAN["seconds"]` seconds each. How many times over is that the total length of
# the training excerpts (`excerpts["train"]`, each `e.duration` seconds long)? Store it in
# `passes`. Is it a lot?

# %% tags=["answer-2"]
passes = None  # your answer, a number

# %%
ex.q2.check(passes, steps=FINE_STEPS, batch_size=PLAN["batch_size"], seconds=PLAN["seconds"],
            durations=[e.duration for e in excerpts["train"]])

# %% [markdown]
# ## References
# - Z. Rafii, A. Liutkus, F.-R. Stöter, S. I. Mimilakis, R. Bittner. *The MUSDB18 corpus for
#   music separation*, 2017. doi:10.5281/zenodo.1117372 (and MUSDB18-HQ, 2019,
#   doi:10.5281/zenodo.3338373).
# - E. Manilow, G. Wichern, P. Seetharaman, J. Le Roux. *Cutting music source separation some
#   Slakh: a dataset to study the impact of training data quality and quantity*. WASPAA 2019
#   (synthesised training data, and what it is worth on real music).
# - F.-R. Stöter, S. Uhlich, A. Liutkus, Y. Mitsufuji. *Open-Unmix: a reference implementation
#   for music source separation*. Journal of Open Source Software 4(41), 2019.
# - S. Uhlich, M. Porcu, F. Giron, M. Enenkl, T. Kemp, N. Takahashi, Y. Mitsufuji. *Improving
#   music source separation based on deep neural networks through data augmentation and
#   network blending*. ICASSP 2017.
