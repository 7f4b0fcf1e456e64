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
# **Goal.** Take the networks that learned on synthetic songs to real recordings from MUSDB18,
# measure them there beside the oracles, the mixture and a classical method, say with numbers
# what changes between synthetic and real music, and, where real training songs are at hand,
# fine-tune the U-Net on them with a run that survives a disconnect. By the end you can point
# the workbook at MUSDB18, read how far a model is from the oracles on real songs, and hear what
# a little real data does to a model.
#
# Everything before this notebook trained on synthetic songs, where the mixture is exactly the
# sum of four clean stems. Real songs are recorded in rooms, mixed and mastered by people.

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
# **The real song.** One real recording is always here, offline too: musdb's own dependency
# `stempeg` installs a 6-second excerpt of a MUSDB18 test song, "The Easton Ellises - Falcon
# 69", with its four stems (license CC BY-NC-SA: for teaching and research). Every section
# below scores and plays it.
#
# **Real training songs.** MUSDB18 (Rafii et al., 2017) holds 150 real songs with their four
# stems: 100 to train on (`musdb` keeps 14 of them apart for validation) and 50 to test on,
# about ten hours in all. It comes as MUSDB18 (`.stem.mp4` files) or MUSDB18-HQ (WAV folders);
# both need a (free) request on Zenodo. Fine-tuning (section 4) needs some of them, from one of:
#
# 1. `MUSDB_ROOT` below, or `DATA` in the run cell (or `MUSDB_PATH`): your MUSDB18 or
#    MUSDB18-HQ folder;
# 2. with the internet (Colab), musdb's **previews**: a 7-second excerpt of every song,
#    downloaded once into the data folder and decoded once into WAV files.
#
# With neither, fine-tuning is skipped (one line says so) and the rest runs on the real song.

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

MUSDB_ROOT = None  # your MUSDB18 or MUSDB18-HQ folder; None: the run cell's real songs, else the previews when online

synthetic_run = os.environ.get("MUSDB_PATH") in (None, "")
root = MUSDB_ROOT or (None if synthetic_run else os.environ["MUSDB_PATH"]) or (data.PREVIEWS if data.online() else None)
why = "no MUSDB18 folder, and the previews need the internet"
splits = None
if root is not None:
    try:
        splits = {split: data.open_dataset(split, root=root) for split in ("train", "valid", "test")}
    except (OSError, ValueError, zipfile.BadZipFile) as err:  # a failed download; a bad local folder says what is wrong
        if str(root) != data.PREVIEWS:
            raise
        why = f"the previews could not be downloaded ({type(err).__name__})"
FINETUNE = splits is not None  # real training songs are here
run = current(size=SIZE)       # the run cell's run: its trained networks
real = data.real_song()
if FINETUNE:
    musdb_name = metrics.dataset_of(splits["test"])
    print(f"real training songs: {musdb_name}, songs per split: "
          + ", ".join(f"{split} {len(tracks)}" for split, tracks in splits.items()))
else:
    print(f"no real training songs here ({why}): fine-tuning (section 4) is skipped; "
          f"everything else runs on the real song {real.name!r}")

# %% [markdown]
# **Excerpts.** A MUSDB18 song lasts about four minutes; scoring and fine-tuning on fifty of
# them is a job for hours, not for a lesson. So from MUSDB18 we take as many songs as the
# synthetic set of this run size has, spread over each split, and from each song an excerpt
# from its middle (intros are often quiet), as long as the synthetic songs of this size. An
# excerpt is handed around like a track (a name, a rate, its mixture and stems, read once), so
# `seplib`'s readers (`data.track_mixture`, `data.track_stems`) and the listening room take it
# as they take a musdb track. Only the excerpt is read from the file: `soundfile` seeks into a
# WAV, and `musdb` decodes just that stretch of a `.stem.mp4`. The test songs are the real
# song (whole: it is shorter than an excerpt) and, with MUSDB18, its test excerpts.

# %%
SONGS = sizes.of("data", SIZE)  # songs per split and seconds per song of this run size
SECONDS = SONGS["seconds"]


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


real_song = excerpt(real, SECONDS)
excerpts = {"train": [], "valid": [], "test": [real_song]}
if FINETUNE:
    for split in ("train", "valid", "test"):
        tracks = [t for t in splits[split] if t.name != real.name]  # the real song is a MUSDB18 test song
        excerpts[split] += [excerpt(t, SECONDS) for t in spread(tracks, SONGS[split])]
test = excerpts["test"]
rate = real_song.rate
for split, songs in excerpts.items():
    if songs:
        print(f"{split:>5}: {len(songs)} song(s), e.g. {songs[-1].name!r}, {songs[-1].duration:.1f} s")
assert abs(real_song.duration - real.duration) < 1e-3 and all(np.array_equal(data.track_mixture(e), e.mixture) for e in test)

# %% [markdown]
# ## 2. The networks on real music, beside the floor and the oracles
# Each network of notebooks 05–07 is used as section 2 of notebook 08 uses it: the one this run
# trained where there is one, else the one shipped inside seplib (`models.checkpoint_to_use`);
# a network with neither is left out (its notebook trains it). None of them has heard a
# recorded instrument unless the run cell chose real songs. They are scored with the MUSDB
# protocol (notebook 08) on the test songs, beside:
# * `mixture`, the floor (the mixture as every stem's estimate);
# * the three oracles of notebook 01, made from the true stems: `oracle-ibm` (each bin to the
#   loudest stem), `oracle-irm` (the magnitudes' ratio) and `oracle-wiener` (the power
#   spectra's ratio). Each is one particular mask on this STFT, computed from what no
#   separator is given, and together they show about what masking the mixture can reach; none
#   is a proven bound on what a separator can score, and a method is free to beat them;
# * `classical-repet` (notebook 04), a classical pipeline that learned nothing, so it has
#   nothing to unlearn on real music.

# %%
NETWORKS = {}
for name in ("unet", "demucs-lite", "dprnn", "conv1d"):
    path, shipped = models.checkpoint_to_use(name, run)
    if not path.is_file():
        print(f"{name}: not trained in this run and none ships with seplib: left out")
        continue
    NETWORKS[name] = {"model": "shipped with seplib" if shipped else f"trained in this run on {run.dataset}",
                      "file": f"{path.parent.name}/{path.name}", "path": path}
display(pd.DataFrame(NETWORKS).T.drop(columns="path"))
ORACLES = ["oracle-ibm", "oracle-irm", "oracle-wiener"]


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


METHODS = {"mixture": ("mixture", {}), **{o: (o, {}) for o in ORACLES}, "classical-repet": ("classical-repet", {}),
           **{name: (name, {"checkpoint": n["path"]}) for name, n in NETWORKS.items()}}
estimates = separate_all(METHODS, test)
scores = song_sdr(estimates, test)
board = median_sdr(scores, estimates)
real_board = median_sdr(scores.xs(real.name, level="track", drop_level=False), estimates)  # the real song alone
display(board.round(2))
if len(test) > 1:
    print("the real song alone:")
    display(real_board.round(2))

# %% [markdown]
# On the real song, every oracle is above the mixture on every stem, as on the synthetic
# songs: each is given the true stems. Which oracle is best depends on the stem and the song;
# on the real song it is `oracle-wiener`, on every stem, and the binary mask is not even second
# on every stem (the ratio mask beats it on `other`).

# %%
sdr = real_board[list(STEMS)]
best_oracle = sdr.loc[ORACLES].idxmax()
print("best oracle on the real song, per stem:", dict(best_oracle))
assert all((sdr.loc[o] > sdr.loc["mixture"]).all() for o in ORACLES)
assert (best_oracle == "oracle-wiener").all() and sdr.loc["oracle-irm", "other"] > sdr.loc["oracle-ibm", "other"]

# %% [markdown]
# How much of the way from the mixture to the oracles does each method go? Per stem, the
# **share of the best oracle's margin**:
#
# $$\text{share}_j = \frac{\text{SDR}_j(\text{method}) - \text{SDR}_j(\text{mixture})}
# {\max_{o \in \{\text{IBM, IRM, Wiener}\}} \text{SDR}_j(o) - \text{SDR}_j(\text{mixture})}.$$
#
# 0 is no better than the mixture, 1 is as good as the best of the three oracle masks on that
# stem. It is *not* a fraction of a ceiling: the oracles are three particular masks, not a
# bound on what a separator can score (a perfect estimate's SDR is unbounded), so a share above
# 1 is possible and would mean a method beat all three oracles on that stem. It puts songs of
# different difficulty on one scale, which is what we need to compare synthetic and real songs.

# %%
def share_of_oracle(table, method, oracle=None):
    """Per stem: how far ``method`` goes from the mixture (0) to an oracle (1).

    Args:
        table (pandas.DataFrame): median SDRs, one row per method, one column per stem
        method (str): a row of ``table``
        oracle (str): the oracle's row; ``None``: per stem, the best of the oracles in ``table``

    Returns:
        shares (pandas.Series): one per stem (can exceed 1: an oracle is not a bound)
    """
    stems = list(STEMS)
    top = table.loc[oracle, stems] if oracle else table.loc[[o for o in ORACLES if o in table.index], stems].max()
    return (table.loc[method, stems] - table.loc["mixture", stems]) / (top - table.loc["mixture", stems])


shares = pd.DataFrame({m: share_of_oracle(board, m) for m in ["classical-repet", *NETWORKS]}).T
shares["mean"] = shares.mean(axis=1)
display(shares.round(2))

# %% [markdown]
# ## 3. What differs between synthetic and real music
# Why should a model that does well on synthetic songs stumble on real ones? Because it learned
# what a voice, a drum, a bass *sound like in its training data*, and real recordings differ:
#
# * **Timbre.** A real singer has breath, consonants, words, a character of their own; real
#   guitars, synths and pianos are richer than the synthetic instruments, and share more of
#   the voice's range.
# * **Reverb and space.** Real stems carry the rooms they were recorded in and the effects a
#   producer put on them, which smear every stem in time.
# * **Mixing, mastering, coding.** Real songs are equalised, compressed and limited *as a
#   whole*, and MUSDB18's `.stem.mp4` codes each stem separately, so the mixture is no longer
#   exactly the sum of the stems as they are distributed.
# * **Bleed.** In a studio a microphone hears more than its instrument (the drums in the vocal
#   microphone), so a "stem" holds a little of the others: the reference itself is impure.
#
# Two of these we can measure: how far the mixture is from the sum of its stems, and how much
# of each stem's energy lies above the highest frequency the U-Net models (its `max_bin`,
# notebook 05): the brightness it cannot see.

# %%
def differences(songs, n_fft, max_bin):
    """Per set of songs: the mixture's distance from the sum of its stems (dB below the
    mixture; -inf when exact), and each stem's share of energy above ``max_bin`` (%)."""
    residual = sum(float(np.sum((e.mixture.astype(np.float64) - sum(e.stems.values())) ** 2)) for e in songs)
    level = sum(float(np.sum(e.mixture.astype(np.float64) ** 2)) for e in songs)
    row = {"mixture minus sum of stems (dB)": 10 * np.log10(residual / level) if residual else -np.inf}
    for s in STEMS:
        power = np.concatenate([np.abs(spectral.stft(e.stems[s], n_fft, n_fft // 4).numpy()) ** 2 for e in songs], -1)
        row[f"{s} above max_bin (%)"] = 100 * power[:, max_bin:].sum() / max(power.sum(), 1e-20)
    return row


unet_hparams = models.load(NETWORKS["unet"]["path"], device="cpu").hparams
N_FFT, MAX_BIN = unet_hparams["n_fft"], unet_hparams["max_bin"]
synthetic_root = data.ensure_default(SIZE, progress=False)
synthetic_test = [excerpt(t, SECONDS) for t in data.open_dataset("test", root=synthetic_root)]
gap = pd.DataFrame({"synthetic test songs": differences(synthetic_test, N_FFT, MAX_BIN),
                    "the real song": differences([real_song], N_FFT, MAX_BIN)}
                   | ({f"{musdb_name} test excerpts": differences(test[1:], N_FFT, MAX_BIN)} if len(test) > 1 else {}))
print(f"the U-Net models frequencies up to {MAX_BIN * rate / N_FFT:.0f} Hz (bin {MAX_BIN} of a {N_FFT}-point STFT)")
display(gap.round(2))
synth, real_gap = gap["synthetic test songs"], gap["the real song"]
assert synth["mixture minus sum of stems (dB)"] == -np.inf                      # exactly the sum
assert -20 < real_gap["mixture minus sum of stems (dB)"] < -10                   # about -15 dB

fig, axes = plt.subplots(1, 2, figsize=(13, 3.2), sharey=True)
for ax, e, where in ((axes[0], synthetic_test[0], "synthetic"), (axes[1], real_song, "real")):
    plots.spectrogram(e.stems["vocals"], rate, ax=ax, title=f"vocals, {where}: {e.name}", max_hz=11000)
    ax.axhline(MAX_BIN * rate / N_FFT, color="w", ls="--", lw=1)  # the U-Net sees below this line
fig.tight_layout()
plt.show()

# %% [markdown]
# The synthetic mixture is exactly the sum of its stems; the real song's is not: what is left
# when its four stems are taken away is about 15 dB below the mixture (between 10 and 20 dB
# below, asserted), a part of the mixture that belongs to no stem, so no separator (and no
# oracle mask, which shares the whole mixture among the stems) can put it in the right place.
# The table also says how much of each stem's energy lies where the U-Net does not look, on
# each kind of song; above that line it shares the energy among the stems in the proportions
# of the one bin below (notebook 05, section 3). Look, too, at a voice of each kind (above: the
# dashed line is the U-Net's highest modelled frequency): a real voice has words, breath and
# the room it was sung in.
#
# Listen to the real song: its mixture, each network's vocals and the true vocals (the
# listening room of section 5 has every method and stem).

# %%
display(audio.play(real_song.mixture, rate, title=f"mixture: {real_song.name}"))
for name in NETWORKS:
    display(audio.play(estimates[name][real_song.name]["vocals"], rate, title=f"{name}: vocals"))
display(audio.play(real_song.stems["vocals"], rate, title="reference vocals"))

# %% [markdown]
# The U-Net of section 2, scored on the synthetic test songs of this size, against how it does
# on the real song: both as the share of the best oracle's margin (with the same three
# oracles on both).

# %%
some = {m: METHODS[m] for m in ("mixture", *ORACLES, "unet")}
synthetic_board = median_sdr(song_sdr(separate_all(some, synthetic_test), synthetic_test), some)
domain = pd.DataFrame({"synthetic test songs": share_of_oracle(synthetic_board, "unet"),
                       "the real song": share_of_oracle(real_board, "unet")}).T
domain["mean"] = domain.mean(axis=1)
display(domain.round(2))
print(f"unet ({NETWORKS['unet']['model']}): mean share {domain.loc['synthetic test songs', 'mean']:.2f} on the "
      f"synthetic test songs, {domain.loc['the real song', 'mean']:.2f} on the real song")

# %% [markdown]
# ## 4. Fine-tune on real training songs, with resume
# The remedy for data the model has not seen is to show it some. **Fine-tuning** starts from
# the trained weights instead of random ones and trains a little more, on the new data, at a
# smaller learning rate (here $10^{-4}$ instead of $10^{-3}$, held constant), so that it
# adapts what it knows instead of starting over. The recipe of notebook 05 otherwise: random
# chunks of the training excerpts with augmentation, validation on the valid excerpts,
# `seplib.train.fit`. It needs real training songs (section 1); without them the cells of this
# section and the next two say so in one line and change nothing.
#
# It starts from the U-Net of section 2 and writes to a folder of its own,
# `unet-finetuned-<size>-<start>` (the start's first hash digits) in the real data set's models
# folder; the start itself is only read. It keeps `last.pt` (all a resume needs) and `best.pt`
# (the best validation weights). To show a resume, the first call stops halfway, as a
# disconnected Colab runtime would; the second call, with the full number of steps and
# `resume=True`, continues from `last.pt`. Run the cells again and both return at once.

# %%
PLAN = train.plan("unet", SIZE)  # batch size, chunk seconds, validation chunks per song
FINE_STEPS = {"quick": 4, "lab": 60, "full": 400}[SIZE]
HALF = FINE_STEPS // 2
LR = 1e-4
START = NETWORKS["unet"]["path"]
if FINETUNE:
    ft_run = current(size=SIZE, root=root)  # the real data set's models folder
    out_dir = ft_run.models_dir / f"unet-finetuned-{SIZE}-{metrics.checkpoint_id(START)['sha256'][:8]}"
    assert not out_dir.is_relative_to(START.parent)
    train_songs = [e.song for e in excerpts["train"]]  # the arrays themselves: chunks are cut from them, not from copies
    train_set = RandomChunks(train_songs, PLAN["seconds"], samples_per_epoch=max(PLAN["batch_size"] * HALF, 64), seed=0)
    valid_set = FixedChunks([e.song for e in excerpts["valid"]], PLAN["seconds"], per_track=PLAN["per_track"])
    train_check = FixedChunks(train_songs, PLAN["seconds"], per_track=1)  # one fixed chunk per training excerpt


def finetune(steps):
    """Fine-tune the U-Net of section 2 for ``steps`` steps in all, resuming from ``out_dir`` if a run is there.

    Returns:
        (model, history): the best validation weights, and the history since step 0
    """
    model = models.load(START)  # the start; a resume replaces these weights with last.pt's
    history = train.fit(model, train_set, valid_set, steps=steps, batch_size=PLAN["batch_size"], lr=LR,
                        schedule="constant", valid_every=max(HALF // 2, 1), out_dir=out_dir, resume=True,
                        seed=0, progress=False)
    return model, history


def saved_step():
    return torch.load(out_dir / "last.pt", map_location="cpu", weights_only=True)["state"]["step"] \
        if (out_dir / "last.pt").is_file() else 0


if FINETUNE:
    print(f"fine-tuning {FINE_STEPS} steps of {PLAN['batch_size']} chunks of {PLAN['seconds']} s, "
          f"lr {LR}, into {out_dir.parent.name}/{out_dir.name}; already done: {saved_step()} steps")
else:
    print(f"fine-tuning skipped: {why}")

# %%
first = None
if FINETUNE:
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
if FINETUNE:
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
# excerpt (no augmentation), before and after. At `lab` and `full` it falls: the model fits
# the new songs better. At `quick` the four steps of two 1-second chunks are too few to say,
# and it may go either way. Then on songs it did not train on, the real question: the
# validation excerpts (mean plain SDR over their chunks, `train.evaluate_sdr` of notebook 05).
# Steps this few, at this small a learning rate, cannot cost much there: the mean validation
# SDR of `best.pt` stays within 1 dB of the start's, or rises. How much it rises is for you to
# find out at `lab` or `full`.

# %%
if FINETUNE:
    last = models.load(out_dir / "last.pt", device=config.device())  # the weights after the last step
    loss_fn = losses.loss_for("unet")
    before_after = pd.DataFrame({
        name: {"loss on training chunks": train.mean_loss(m, loss_fn, train_check),
               "valid loss": train.mean_loss(m, loss_fn, valid_set), **train.evaluate_sdr(m, valid_set)}
        for name, m in [("start", models.load(START, device=config.device())), ("fine-tuned, last step", last),
                        ("fine-tuned, best.pt", finetuned)]}).T
    before_after["mean valid SDR"] = before_after[list(STEMS)].mean(axis=1)
    display(before_after.round(3))
    if SIZE != "quick":  # new songs, and enough steps to fit them better
        assert before_after.loc["fine-tuned, last step", "loss on training chunks"] < before_after.loc["start", "loss on training chunks"]
    assert before_after.loc["fine-tuned, best.pt", "mean valid SDR"] > before_after.loc["start", "mean valid SDR"] - 1.0

# %% [markdown]
# ## 5. Listen: before and after
# The real song through the U-Net before and after fine-tuning (without real training songs,
# only before), the vocals of each, and the true vocals; then the listening room (notebook 02)
# with every method on every test song: A/B the estimates against the reference and the mixture.

# %%
if FINETUNE:
    FINETUNED = out_dir / "best.pt"
    estimates.update(separate_all({"unet (fine-tuned)": ("unet", {"checkpoint": FINETUNED})}, test))
display(audio.play(real_song.mixture, rate, title=f"mixture: {real_song.name}"))
for name in [n for n in ("unet", "unet (fine-tuned)") if n in estimates]:
    display(audio.play(estimates[name][real_song.name]["vocals"], rate, title=f"{name}: vocals"))
display(audio.play(real_song.stems["vocals"], rate, title="reference vocals"))

# %%
display(listen.listening_room(test, list(estimates), estimates=estimates, seconds=SECONDS))

# %% [markdown]
# ## 6. The scores after fine-tuning
# The test songs again, with the fine-tuned U-Net beside the others. Fine-tuning for a few
# steps cannot cost much here either: its mean over the stems stays within 1 dB of the
# start's, or rises. `board` is the final table either way.

# %%
if FINETUNE:
    scores = pd.concat([scores, song_sdr({"unet (fine-tuned)": estimates["unet (fine-tuned)"]}, test)])
    board = median_sdr(scores, estimates)
    change = board.loc["unet (fine-tuned)", "mean"] - board.loc["unet", "mean"]
    print(f"fine-tuning {FINE_STEPS} steps on {len(excerpts['train'])} excerpts: mean SDR {change:+.2f} dB on the test songs")
    assert change > -1.0
else:
    print("fine-tuning skipped (no real training songs): the table is section 2's")
display(board.round(2))
plots.leaderboard(board[list(STEMS)], title=f"median SDR on {len(test)} real test song(s) (dB)")
plt.show()
shares = pd.DataFrame({m: share_of_oracle(board, m) for m in board.index if m.startswith("unet")}).T
shares["mean"] = shares.mean(axis=1)
display(shares.round(2))

# %% [markdown]
# ## 7. What the numbers say, and where to go next
# * The oracles are references, not ceilings: which is best depends on the stem and the song,
#   and a separator may beat them all. The share of the best oracle's margin puts synthetic and
#   real songs on one scale; the difference between the two rows of section 3 is the **domain
#   gap** of this run's U-Net. Timbre, reverb, mastering and bleed (section 3) all feed it;
#   none of them is in the synthetic generator, so the model could not learn them.
# * Fine-tuning on real songs can close part of the gap with few steps, because much of what the
#   U-Net knows (a voice has harmonics and vibrato, a drum hit is broadband and short) carries
#   over. Whether it did here, the tables of sections 4 and 6 say: at `quick` it takes four
#   steps, too few to tell a change from noise; at `lab` and `full`, compare them stem by stem.
# * Excerpts are a shortcut: a model fine-tuned on 8 to 30 seconds of each song has seen a
#   sliver of MUSDB18. For the real thing, train on whole songs from disk:
#   `seplib data decode --root MUSDB18 --out MUSDB18-wav` once (if you have the `.stem.mp4`
#   version), then `seplib train unet --root MUSDB18-wav --size full`, and
#   `seplib evaluate --root MUSDB18-wav --method unet` for the full test set. Or set `DATA` in
#   the run cell of notebooks 05–08 to that folder, or to `"previews"`.
# * Notebook 08 (section 4) sets published systems trained on MUSDB18, with much larger
#   networks, beside these numbers.

# %% [markdown]
# ## Exercises
# Each exercise has an answer cell (replace `None`) and a check cell below it. The check says
# whether your answer is missing, wrong or right, and never prints the answer;
# `ex.q1.hint()` gives a hint and `ex.q1.solution()` shows a solution, when you ask.
#
# **1.** Write `share_of_margin(board, method, bound, stem)`: on a table like `board`, the share
# of the margin of the row `bound` over the mixture that the row `method` reaches on `stem`
# (0: no better than the mixture; 1: as good as the bound), without the notebook's
# `share_of_oracle`. A stem with no score gives NaN. The check runs it on the final table, for
# every pair of rows and every stem, and on a test table.

# %%
from seplib.exercises import nb09 as ex

# %% tags=["answer-1"]
def share_of_margin(board, method, bound, stem):
    return None  # your code: a number


# %%
ex.q1.check(share_of_margin, board=board)

# %% [markdown]
# **2.** How much does the fine-tuning see? It runs `FINE_STEPS` steps of `PLAN["batch_size"]`
# chunks of `PLAN["seconds"]` seconds each. Write `passes(steps, batch_size, seconds,
# durations)`: how many times over such a training's chunks add up to the total length of
# excerpts of the given `durations` (seconds). The check tries other plans, and this run's
# fine-tuning where it ran (`excerpts["train"]`, each `e.duration` seconds long). Is it a lot?

# %% tags=["answer-2"]
def passes(steps, batch_size, seconds, durations):
    return None  # your code: a number


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
