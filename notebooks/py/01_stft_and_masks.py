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
# # 01 · The STFT, masks, oracle bounds, and how to measure separation
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/seplib/seplib-workbook/blob/main/notebooks/01_stft_and_masks.ipynb)
#
# **Goal.** Most separation methods in this workbook do not touch the waveform: they compute a
# *mask* over the short-time Fourier transform (STFT) of the mixture. Here you build the STFT,
# invert it, compute *oracle* masks from the true stems (what a mask of each kind could do if
# it knew the answer, and which of them is the ceiling), and learn the metrics every later
# notebook reports (SDR, SI-SDR, SIR, SAR, ISR), the ways they mislead, and what they do not
# hear. Everything is measured on the synthetic test split and on a real song.

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
import librosa
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from IPython.display import display

from seplib import STEMS, audio, data, masking, metrics, plots, separate, spectral

test = data.open_dataset("test")
track = test[0]
rate = track.rate
mixture, stems = data.track_mixture(track), data.track_stems(track)
excerpt = slice(0, min(mixture.shape[1], 8 * rate))  # 8 s for the listening examples
real = data.real_song()  # the real MUSDB18 song of notebook 00, section 6
real_mix, real_stems = data.track_mixture(real), data.track_stems(real)
print(f"{len(test)} test tracks; working on {track.name!r}, and on the real song {real.name!r}")

# %% [markdown]
# ## 1. The short-time Fourier transform
# (Müller, 2015, chapter 2.) Cut the signal into overlapping frames of $N$ samples, $H$ samples apart, weight each by a
# window $w$, and take its discrete Fourier transform:
#
# $$X(k, t) = \sum_{n=0}^{N-1} x(n + tH - N/2)\, w(n)\, e^{-2\pi i k n / N},
# \qquad k = 0, \dots, N/2.$$
#
# Bin $k$ is the frequency $k\,f_s/N$ Hz and frame $t$ the time $tH/f_s$ s. Written out in
# numpy, for one channel:

# %%
def my_stft(x, N=4096, H=1024):
    """The STFT by hand: pad, frame, window, FFT. Returns (freqs, frames)."""
    x = np.pad(x, N // 2)                                  # centre frame t on sample t*H
    frames = 1 + (len(x) - N) // H
    w = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N) / N)   # periodic Hann window
    segments = np.stack([x[t * H: t * H + N] * w for t in range(frames)], axis=1)
    return np.fft.rfft(segments, axis=0)


x = mixture[0, excerpt]
X_mine = my_stft(x)
X_seplib = spectral.stft(x).numpy()
X_librosa = librosa.stft(x, n_fft=4096, hop_length=1024, center=True, pad_mode="constant")
scale = np.abs(X_librosa).max()
print(f"shape: {X_mine.shape} | largest difference, relative to the largest |X|: "
      f"by hand vs seplib {np.abs(X_mine - X_seplib).max() / scale:.1e}, "
      f"seplib vs librosa {np.abs(X_seplib - X_librosa).max() / scale:.1e}")
assert np.abs(X_mine - X_seplib).max() < 1e-4 * scale and np.abs(X_seplib - X_librosa).max() < 1e-4 * scale

# %% [markdown]
# `seplib.spectral.stft` is the torch version (it runs on a GPU, takes batches and keeps
# gradients, which the neural networks of notebooks 05–07 need), and agrees with librosa
# (McFee et al., 2015) to within $10^{-4}$ of the largest value, as asserted above.
#
# ### Time or frequency resolution: pick one
# A long frame resolves close frequencies (bins $f_s/N$ apart) but smears a drum hit over
# $N/f_s$ seconds; a short frame does the opposite.

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4))
for ax, n_fft in zip(axes, (512, 4096)):
    plots.spectrogram(mixture[:, : 4 * rate], rate, ax=ax, n_fft=n_fft, hop=n_fft // 4, max_hz=4000,
                      title=f"N = {n_fft}: {1000 * n_fft / rate:.0f} ms frames, {rate / n_fft:.1f} Hz bins")
fig.tight_layout()

# %% [markdown]
# ### Perfect reconstruction
# With a Hann window and $H = N/4$ the overlapping windows add up to a constant, so the
# inverse STFT (inverse FFT of each frame, overlap-add, divide by the summed squared window)
# gives back the signal to float precision:

# %%
for n_fft, hop in [(4096, 1024), (2048, 512), (1024, 256)]:
    X = spectral.stft(mixture, n_fft, hop)
    back = spectral.istft(X, mixture.shape[1], n_fft, hop).numpy()
    err = np.abs(back - mixture).max()
    print(f"N={n_fft:5d} H={hop:4d}: X {tuple(X.shape)}, largest reconstruction error {err:.1e}")
    assert err < 1e-5

# %% [markdown]
# ## 2. Magnitude and phase
# A mask changes magnitudes only; the estimate borrows the **mixture's phase**. How much does
# that cost? Rebuild the vocals from their true magnitude and (a) the mixture's phase,
# (b) a random phase.

# %%
V, X = spectral.stft(stems["vocals"]), spectral.stft(mixture)
n = mixture.shape[1]
with_mix_phase = spectral.istft(V.abs() * torch.exp(1j * X.angle()), n).numpy()
random_phase = torch.exp(2j * np.pi * torch.rand(V.shape, generator=torch.Generator().manual_seed(0)))
with_random_phase = spectral.istft(V.abs() * random_phase, n).numpy()
for name, est in [("true magnitude + mixture phase", with_mix_phase),
                  ("true magnitude + random phase", with_random_phase)]:
    print(f"{name:32s}: SDR {metrics.sdr(est, stems['vocals']):6.2f} dB")
    display(audio.play(est[:, excerpt], rate, title=name))
display(audio.play(stems["vocals"][:, excerpt], rate, title="reference vocals"))
assert metrics.sdr(with_mix_phase, stems["vocals"]) > metrics.sdr(with_random_phase, stems["vocals"]) + 5
assert metrics.sdr(with_mix_phase, stems["vocals"]) < 30  # the true magnitude alone is far from perfect

# %% [markdown]
# The mixture phase is a good stand-in where the vocals dominate a bin and a poor one where
# they do not; a random phase is heard as a rough, smeared sound. That is why masking works
# well (many dB above the random phase), and why its ceiling is below perfect: even the true
# magnitude, with the mixture's phase, scores far below the 100+ dB of a perfect estimate.
#
# ## 3. Oracle masks
# With the true stems' STFTs $S_j$ we can compute masks that no method could compute from the
# mixture $X$ alone: **oracles**. Four kinds, and what each one bounds:
#
# | mask | definition | what it bounds |
# |---|---|---|
# | ideal binary (IBM) | $M_j = 1$ if $j = \arg\max_k \lvert S_k\rvert$ else $0$ | hard masks: each bin to one stem |
# | ideal ratio (IRM) | $M_j = \lvert S_j\rvert / \sum_k \lvert S_k\rvert$ | no family: a bin shared by magnitude, a common training target |
# | Wiener | $M_j = \lvert S_j\rvert^2 / \sum_k \lvert S_k\rvert^2$ | masks made from the stems' power spectrograms alone (the best such mask if the stems are independent Gaussians of that power) |
# | phase-sensitive (PSM) | $M_j = \operatorname{clip}_{[0,1]} \operatorname{Re}(S_j / X)$ | every real mask in $[0, 1]$, bin by bin |
#
# The first three sum to one over the stems, so their estimates sum back to the mixture. The
# PSM (Erdogan et al., 2015; `spectral.phase_sensitive_mask`, notebook 06) also uses the
# stems' phases: of all masks in $[0, 1]$ it gives, in every bin, the smallest error
# $\lvert M_j X - S_j\rvert^2$, so it beats the other three bin by bin (the cell asserts it);
# clipped, its masks need not sum to one. The IRM is one of the three it beats: it is *not*
# the ceiling of masking.

# %%
mags = spectral.magnitudes({s: x[:, excerpt] for s, x in stems.items()})
masks = {"IBM": spectral.ideal_binary_mask(mags), "IRM": spectral.ideal_ratio_mask(mags),
         "Wiener": spectral.wiener_mask(mags)}
specs_ex = {s: spectral.stft(x[:, excerpt]) for s, x in stems.items()}
X_ex = spectral.stft(mixture[:, excerpt])
psm = spectral.phase_sensitive_mask(specs_ex, X_ex)
fig, axes = plt.subplots(1, 4, figsize=(18, 3.5), sharey=True)
for ax, (name, m) in zip(axes, {**masks, "PSM": psm}.items()):
    plots.mask(m["vocals"], rate, ax=ax, title=f"{name} mask of the vocals", max_hz=4000)
for name, m in masks.items():
    total = sum(m.values())
    assert torch.allclose(total, torch.ones_like(total), atol=1e-5), name  # sums to one
bin_error = {name: sum((m[s] * X_ex - specs_ex[s]).abs() ** 2 for s in STEMS) for name, m in {**masks, "PSM": psm}.items()}
for name in masks:  # the PSM's error is the smallest in every bin
    assert (bin_error["PSM"] <= bin_error[name] * (1 + 1e-4) + 1e-9).all(), name
print("error energy |M X - S|^2 over all bins and stems, relative to the PSM's:",
      ", ".join(f"{name} {float(e.sum() / bin_error['PSM'].sum()):.2f}" for name, e in bin_error.items()))
fig.tight_layout()

# %% [markdown]
# Does the smallest error in every bin mean the highest SDR? Nearly, but not by a theorem: the
# SDR is measured on the waveform, after the inverse STFT has overlapped and added the frames,
# and the MUSDB score is a median over 1 s frames (section 5). So the ceiling is whichever
# oracle *scores* best, stem by stem, and section 6 measures it.

# %% [markdown]
# Listen to the vocals each oracle gives (the same call shape every method in the workbook
# has: `separate(method, mixture, rate)`):

# %%
def oracle_psm(mix, refs):
    """The phase-sensitive oracle: clipped PSMs from the true stems, applied to the mixture."""
    X_mix = spectral.stft(mix)
    psms = spectral.phase_sensitive_mask({s: spectral.stft(x) for s, x in refs.items()}, X_mix)
    return masking.masks_to_waveforms(X_mix, psms, mix.shape[-1])  # iSTFT(M X), every stem


oracles = {kind: separate(f"oracle-{kind}", mixture, rate, references=stems) for kind in ("ibm", "irm", "wiener")}
oracles["psm"] = oracle_psm(mixture, stems)
display(audio.play(mixture[:, excerpt], rate, title="mixture"))
for kind, est in oracles.items():
    display(audio.play(est["vocals"][:, excerpt], rate, title=f"oracle {kind.upper()}: vocals"))
display(audio.play(stems["vocals"][:, excerpt], rate, title="reference vocals"))

# %% [markdown]
# ## 4. Measuring: SDR and SI-SDR
# The plain **signal-to-distortion ratio** compares an estimate $\hat s$ to the reference $s$:
#
# $$\mathrm{SDR} = 10 \log_{10} \frac{\lVert s\rVert^2}{\lVert s - \hat s\rVert^2}.$$
#
# The **scale-invariant** SDR (Le Roux et al., 2019) first scales the reference to fit the
# estimate best, so a louder or quieter but otherwise perfect estimate is not punished:
#
# $$\alpha = \frac{\langle \hat s, s\rangle}{\lVert s\rVert^2},\qquad
# \mathrm{SI\text{-}SDR} = 10\log_{10}\frac{\lVert \alpha s\rVert^2}{\lVert \alpha s - \hat s\rVert^2}.$$
#
# Written by hand for the IRM vocals, and checked against `seplib.metrics`:

# %%
s, s_hat = stems["vocals"].ravel().astype(np.float64), oracles["irm"]["vocals"].ravel().astype(np.float64)
my_sdr = 10 * np.log10(np.sum(s ** 2) / np.sum((s - s_hat) ** 2))
alpha = np.dot(s_hat, s) / np.dot(s, s)
my_si_sdr = 10 * np.log10(np.sum((alpha * s) ** 2) / np.sum((alpha * s - s_hat) ** 2))
seplib_sdr = metrics.sdr(oracles["irm"]["vocals"], stems["vocals"])
seplib_si_sdr = metrics.si_sdr(oracles["irm"]["vocals"].ravel(), stems["vocals"].ravel())
print(f"SDR {my_sdr:.3f} dB (seplib {seplib_sdr:.3f}), SI-SDR {my_si_sdr:.3f} dB (seplib {seplib_si_sdr:.3f})")
assert abs(my_sdr - seplib_sdr) < 0.01 and abs(my_si_sdr - seplib_si_sdr) < 0.01

# %% [markdown]
# ## 5. BSSEval: SDR, ISR, SIR, SAR — the MUSDB protocol
# BSSEval (Vincent et al., 2006), in its *image* form for stereo sources (Vincent et al.,
# 2007), splits each estimate $\hat s_j$ into four parts with least-squares filters of 512 taps:
#
# $$\hat s_j = s_j + e^{\text{spat}}_j + e^{\text{interf}}_j + e^{\text{artif}}_j .$$
#
# $s_j + e^{\text{spat}}_j$ is the part of $\hat s_j$ that a filtered copy of its own reference
# explains, $s_j + e^{\text{spat}}_j + e^{\text{interf}}_j$ the part that filtered copies of all
# the references explain together, and $e^{\text{artif}}_j$ the rest. Then
#
# $$\mathrm{SDR} = 10\log_{10}\frac{\lVert s_j\rVert^2}{\lVert e^{\text{spat}}_j + e^{\text{interf}}_j + e^{\text{artif}}_j\rVert^2},\quad
# \mathrm{ISR} = 10\log_{10}\frac{\lVert s_j\rVert^2}{\lVert e^{\text{spat}}_j\rVert^2},$$
# $$\mathrm{SIR} = 10\log_{10}\frac{\lVert s_j + e^{\text{spat}}_j\rVert^2}{\lVert e^{\text{interf}}_j\rVert^2},\quad
# \mathrm{SAR} = 10\log_{10}\frac{\lVert \hat s_j - e^{\text{artif}}_j\rVert^2}{\lVert e^{\text{artif}}_j\rVert^2}.$$
#
# * **SDR** (distortion): all of the error; **ISR** (image): the error a filter of the true
#   stem explains (a wrong gain, pan or colour); **SIR** (interference): how much of the *other*
#   stems leaks in; **SAR** (artifacts): what the method invented, e.g. musical noise.
# * The SDR's target is the true image $s_j$ itself, and its three error terms add up to
#   $\hat s_j - s_j$: the image SDR is the plain SDR of section 4, computed frame by frame. The
#   filters only decide how the error is split into ISR, SIR and SAR.
#
# The MUSDB18 protocol is BSSEval v4, the `museval` package (Stöter et al., 2018): the filters
# are fitted once on the whole track, the criteria are computed in 1 s frames, then the
# **median over frames** per track, then the **median over tracks**. `museval` is the reference
# implementation but slow, so `seplib.metrics.bss_eval_v4` re-implements it in torch and is
# checked against it here, on a few seconds of this track (the timings are printed). A silent
# reference has no score (a frame where a stem is all zeros is skipped), and songs often begin
# before every stem has come in, so `metrics.sounding_excerpt` picks the first stretch where
# all four sound:

# %%
import time

short = metrics.sounding_excerpt(np.stack([stems[s] for s in STEMS]), rate, 4.0)
print(f"excerpt: {short.start / rate:.0f} s to {short.stop / rate:.0f} s")
refs = np.stack([stems[s][:, short] for s in STEMS])          # (sources, channels, samples)
ests = np.stack([oracles["irm"][s][:, short] for s in STEMS])
timings, results = {}, {}
for name, fn in [("seplib (torch)", metrics.bss_eval_v4), ("museval", metrics.museval_v4)]:
    start = time.perf_counter()
    results[name] = fn(refs, ests, rate)
    timings[name] = time.perf_counter() - start
table = pd.DataFrame({name: {f"{m} {s}": np.nanmedian(r[m][i]) for m in ("SDR", "SIR", "SAR", "ISR")
                             for i, s in enumerate(STEMS)} for name, r in results.items()})
table["difference"] = table["seplib (torch)"] - table["museval"]
display(table.round(3))
print("time:", ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
assert table["difference"].abs().max() < 0.01  # the fast path agrees with museval
assert timings["seplib (torch)"] < timings["museval"]

# %% [markdown]
# The image SDR is the plain SDR of each 1 s frame, as the formula says:

# %%
frames = results["museval"]["SDR"].shape[1]
plain = np.array([[metrics.sdr(ests[i][:, t * rate:(t + 1) * rate], refs[i][:, t * rate:(t + 1) * rate])
                   for t in range(frames)] for i in range(len(STEMS))])
print("largest |museval SDR - plain SDR of the frame|:",
      f"{np.nanmax(np.abs(results['museval']['SDR'] - plain)):.1e} dB")
assert np.allclose(results["museval"]["SDR"], plain, atol=1e-3, equal_nan=True)

# %% [markdown]
# `mir_eval` (Raffel et al., 2014) computes the older BSSEval v3 (`bss_eval_images`), whose
# framewise version refits the filters in every frame. Scored as one frame over a whole
# two-second excerpt, v3 and v4 are the same computation, and the numbers agree (asserted);
# what makes a MUSDB number differ from a whole-signal score is v4's 1 s frames and the median
# (last column):

# %%
two = slice(0, 2 * rate)  # the first two seconds of that excerpt
mir = metrics.mir_eval_images(refs[..., two], ests[..., two])
v4_whole = metrics.bss_eval_v4(refs[..., two], ests[..., two], rate, window=None)
v4_frames = metrics.bss_eval_v4(refs[..., two], ests[..., two], rate)
display(pd.DataFrame({"mir_eval v3, whole excerpt": mir["SDR"][:, 0], "seplib v4, whole excerpt": v4_whole["SDR"][:, 0],
                      "seplib v4, median of 1 s frames": np.nanmedian(v4_frames["SDR"], axis=1)}, index=STEMS).round(3))
assert np.allclose(mir["SDR"][:, 0], v4_whole["SDR"][:, 0], atol=0.01)

# %% [markdown]
# ## 6. The oracle bounds on the test split, and on a real song
# The oracles, and the unprocessed mixture as the floor, scored with the MUSDB protocol on
# every test track and saved to the results store (`data/results/`). Every later notebook
# adds its methods to the same store (notebook 08 shows them all). The PSM oracle is scored
# here with the same protocol (`metrics.track_scores`, then `metrics.aggregate`) but not
# stored. The same is done for the real song (stored under the data set name `example`).
# The **ceiling** on a stem is the oracle that scores best on it, picked by the numbers:

# %%
ours = ["mixture", "oracle-ibm", "oracle-irm", "oracle-wiener"]
oracle_rows = [*ours[1:], "oracle-psm"]


def psm_sdr(tracks):
    """Median SDR per stem of the PSM oracle on these tracks (the MUSDB protocol, not stored)."""
    per_track = []
    for t in tracks:
        t_mix, t_stems = data.track_mixture(t), data.track_stems(t)
        per_track.append(metrics.track_scores(t_stems, oracle_psm(t_mix, t_stems), t.rate).assign(track=t.name))
    return metrics.aggregate(pd.concat(per_track))["SDR"]


def oracle_table(tracks):
    """Evaluate (and store) the floor and the registered oracles; add the PSM oracle's row."""
    for method in ours:
        metrics.evaluate(method, tracks, progress=False)
    table = metrics.leaderboard(metrics.dataset_of(tracks)).loc[ours, list(STEMS)]
    table.loc["oracle-psm"] = psm_sdr(tracks)[list(STEMS)]
    return table


dataset = metrics.dataset_of(test)
with metrics.shared_references():  # each song's references are factored once for all five methods
    synthetic_board = oracle_table(test)
    real_board = oracle_table([real])
both = pd.concat({"synthetic test split": synthetic_board, f"real song: {real.name}": real_board}, axis=1)
display(both.round(2))
ceilings = {}
for name, table in [("synthetic test split", synthetic_board), ("real song", real_board)]:
    ceilings[name] = table.loc[oracle_rows].idxmax()
    print(f"{name:>20}: the ceiling is " + ", ".join(
        f"{stem} {ceilings[name][stem]} ({table.loc[ceilings[name][stem], stem]:.2f} dB)" for stem in STEMS))
    for stem in STEMS:
        assert (table.loc[oracle_rows, stem] > table.loc["mixture", stem]).all()  # every oracle beats the floor
        assert ceilings[name][stem] != "oracle-irm"                              # the IRM is not the ceiling
        assert table.loc[ceilings[name][stem], stem] > table.loc["oracle-irm", stem]

# %% [markdown]
# No stem has the IRM as its best oracle, on the synthetic songs or on the real one (asserted):
# name the ceiling the best oracle, as printed above. On the real song no oracle can be
# perfect even in principle: as notebook 00 showed, its stems do not add up to its mixture
# (coding, mastering), so no mask of the mixture gives them back exactly. Listen to the real
# song's ceiling on the vocals (and to the others: `real_oracles` holds all four):

# %%
real_vocal_ceiling = ceilings["real song"]["vocals"]
real_oracles = {kind: separate(f"oracle-{kind}", real_mix, real.rate, references=real_stems)
                for kind in ("ibm", "irm", "wiener")}
real_oracles["psm"] = oracle_psm(real_mix, real_stems)
print(f"real song, vocals: the ceiling is {real_vocal_ceiling}")
display(audio.play(real_mix, real.rate, title=f"mixture: {real.name}"))
display(audio.play(real_oracles[real_vocal_ceiling.removeprefix("oracle-")]["vocals"], real.rate,
                   title=f"{real_vocal_ceiling}: vocals"))
display(audio.play(real_stems["vocals"], real.rate, title="reference vocals (real)"))

# %% [markdown]
# The mixture's SDR is not $-\infty$: the mixture holds the stem plus everything else, so its
# (image) SDR is, frame by frame, the stem's energy over the energy of the rest. A stem with a
# quarter of the energy, the rest uncorrelated with it, scores $10\log_{10}(1/3)$; a quieter
# stem scores lower. That is the floor. The cell computes the energy ratios of this track's
# stems and checks they are the mixture's scores:

# %%
print(f"a quarter of the energy: 10 log10(1/3) = {10 * np.log10(1 / 3):.2f} dB")
mix_scores = metrics.track_scores(stems, {s: mixture for s in STEMS}, rate)
mix_sdr = mix_scores[mix_scores.metric == "SDR"].pivot(index="frame", columns="stem", values="value")
n_frames = len(mix_sdr)


def frame_energy(x):
    return np.sum(x[:, : n_frames * rate].astype(np.float64).reshape(x.shape[0], n_frames, rate) ** 2, axis=(0, 2))


floor = pd.DataFrame({stem: {"stem energy / rest (dB), median over frames": np.nanmedian(np.where(
                                 mix_sdr[stem].isna(), np.nan,
                                 10 * np.log10(frame_energy(stems[stem]) / frame_energy(mixture - stems[stem])))),
                             "mixture's SDR (dB)": np.nanmedian(mix_sdr[stem])} for stem in STEMS}).T
display(floor.round(2))
assert np.allclose(floor.iloc[:, 0], floor.iloc[:, 1], atol=0.01)

# %% [markdown]
# **The mixture's SAR: over 100 dB.** The mixture's other criteria look odd too. Its SAR
# compares the estimate with its *artifacts*: the part that filtered copies of all four
# references cannot explain (section 5). The synthetic mixture *is* the sum of its references,
# so that part is zero but for rounding, and its SAR is a huge number set by floating-point
# precision: it is large by construction and says nothing about quality (the SIR is what
# tells you the mixture is all interference). The real song's mixture is not the sum of its
# stems (notebook 00): the residual of coding and mastering is explained by no reference, so
# there the mixture's SAR is an ordinary number:

# %%
real_mix_scores = metrics.track_scores(real_stems, {s: real_mix for s in STEMS}, real.rate)
mixture_criteria = pd.concat({"synthetic": metrics.aggregate(mix_scores), "real song": metrics.aggregate(real_mix_scores)})
display(mixture_criteria.round(1))
print(f"the mixture's SAR: synthetic {mixture_criteria.loc['synthetic', 'SAR'].min():.0f} dB or more, "
      f"real song {mixture_criteria.loc['real song', 'SAR'].max():.1f} dB or less")
assert (mixture_criteria.loc["synthetic", "SAR"] > 100).all()   # no artifacts relative to its own references
assert (mixture_criteria.loc["real song", "SAR"] < 30).all()    # the residual of coding and mastering
assert (mixture_criteria.loc["synthetic", "SIR"] < 5).all()     # what the mixture really lacks: separation

# %% [markdown]
# The best oracle shows how far a mask on this STFT can go; the gap between it and a real
# method is what the rest of the workbook tries to close.

# %% [markdown]
# ## 7. Pitfalls: how students end up reporting 100+ dB
# Each cell below computes a number that looks like a result and is not.
#
# **Scale.** Play the IRM vocals at half and at double gain and score them again. What is
# gain-invariant, and what is not?
#
# * The **plain SDR** compares $g\hat s$ with $s$ sample by sample: for a *perfect* estimate the
#   error is $(g-1)s$, so its SDR is $-20\log_{10}\lvert g-1\rvert$, however good the estimate.
# * **BSSEval v4's SDR** (the MUSDB protocol) is the same number frame by frame (section 5): a
#   gain error is *not* absorbed into the target, so the SDR moves with $g$. So does the
#   **ISR**: the filter of the true stem rebuilds $g$ times the stem's part of the estimate,
#   and ISR compares that with $s_j$.
# * **SIR** and **SAR** are ratios between parts of the estimate itself, all of which scale
#   with $g$: they do not move.
# * **SI-SDR** rescales the reference optimally ($\alpha$ above), so it is exactly
#   gain-invariant (Le Roux et al., 2019).
# * The older *source* criteria of BSSEval (`bss_eval_sources` in `mir_eval`; Vincent et al.,
#   2006) count a filtered copy of the reference as target, so their SDR absorbs a gain too.
#   "BSSEval forgives a wrong gain" is true of those, not of the MUSDB protocol.
#
# The table measures each of these (v4: median over 1 s frames of the excerpt; v3 sources:
# the left channel's first second), and the cell asserts what is invariant and what is not:

# %%
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # mir_eval.separation is deprecated; it still computes v3
    import mir_eval.separation

est, ref = oracles["irm"]["vocals"][:, short], stems["vocals"][:, short]
rest = mixture[:, short] - ref                     # the true accompaniment
one = slice(0, rate)
rows = {}
for gain in (0.5, 1.0, 2.0):
    v4 = metrics.bss_eval_v4(np.stack([ref, rest]), np.stack([gain * est, mixture[:, short] - gain * est]), rate)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        v3_sdr = mir_eval.separation.bss_eval_sources(
            np.stack([ref[0, one], rest[0, one]]), np.stack([gain * est[0, one], (mixture[0, short] - gain * est[0])[one]]),
            compute_permutation=False)[0][0]
    rows[f"estimate x {gain}"] = {"SDR": metrics.sdr(gain * est, ref), "SI-SDR": metrics.si_sdr(gain * est.ravel(), ref.ravel()),
                                  **{f"v4 {m}": np.nanmedian(v4[m][0]) for m in ("SDR", "ISR", "SIR", "SAR")},
                                  "v3 sources SDR": v3_sdr}
scale_table = pd.DataFrame(rows).T
display(scale_table.round(2))
for gain in (0.5, 2.0):
    perfect = metrics.sdr(gain * ref, ref)
    formula = 20 * np.log10(1 / abs(gain - 1))
    print(f"a perfect estimate x {gain}: SDR {perfect:.2f} dB; -20 log10|g - 1| = {formula:.2f} dB")
    assert abs(perfect - formula) < 0.01
for col in ("SI-SDR", "v4 SIR", "v4 SAR", "v3 sources SDR"):      # gain-invariant
    assert scale_table[col].max() - scale_table[col].min() < 1e-3, col
for col in ("SDR", "v4 SDR", "v4 ISR"):                            # not: they move by more than 1 dB
    assert scale_table[col].max() - scale_table[col].min() > 1, col
# the same on museval itself, at half gain
mus = metrics.museval_v4(np.stack([ref, rest]), np.stack([0.5 * est, mixture[:, short] - 0.5 * est]), rate)
assert all(abs(np.nanmedian(mus[m][0]) - scale_table.loc["estimate x 0.5", f"v4 {m}"]) < 0.01 for m in mus)

# %% [markdown]
# Read the table: the plain SDR, v4's SDR and v4's ISR move by more than 1 dB between the rows
# (a *perfect* estimate scores best at x1, by the formula above; an imperfect one scores best
# at the gain that matches how much of the stem it holds), while SI-SDR, v4's SIR and SAR and
# the v3 source SDR are the same in every row. `museval` gives the same v4 numbers at half
# gain (asserted). So a separator with the right shape but the wrong loudness loses MUSDB SDR
# that its SI-SDR would not show: compare only numbers of the same metric, and say which one a
# table reports.
#
# **A silent reference.** A stem that is silent in a frame has no SDR there: the ratio is
# $0/\text{something}$. `museval` marks such frames NaN and the median ignores them; a
# hand-written loop gives $-\infty$ or a division warning, and a *mean* over frames is then
# meaningless.

# %%
silent_ref = stems["vocals"][:, short].copy()
silent_ref[:, : rate] = 0.0                                  # first second silent
scores = metrics.bss_eval_v4(np.stack([silent_ref, mixture[:, short] - silent_ref]),
                             np.stack([est, mixture[:, short] - est]), rate)
print("framewise vocal SDR:", ", ".join(f"{v:.2f}" for v in scores["SDR"][0]))
print(f"median ignoring NaN: {np.nanmedian(scores['SDR'][0]):.2f} dB, plain mean: {np.mean(scores['SDR'][0]):.2f}")
with np.errstate(divide="ignore"):
    by_hand = 10 * np.log10(np.sum(silent_ref[:, :rate] ** 2) / np.sum((silent_ref[:, :rate] - est[:, :rate]) ** 2))
print(f"hand-written SDR of the silent second: {by_hand:.2f}")
assert np.isnan(scores["SDR"][0][0]) and np.isnan(np.mean(scores["SDR"][0])) and np.isfinite(np.nanmedian(scores["SDR"][0]))
assert np.isneginf(by_hand)

# %% [markdown]
# **A wrong permutation.** Swap two estimates (a model whose outputs are in another order
# than you think). Scored in order, both swapped stems collapse. A permutation search (what
# `mir_eval`'s `compute_permutation=True` does) would pick the pairing that scores best and
# silently "fix" it, hiding the bug; MUSDB scores in order.

# %%
from itertools import permutations

swapped = dict(oracles["irm"], vocals=oracles["irm"]["other"], other=oracles["irm"]["vocals"])
in_order = {}
for name, e in [("right order", oracles["irm"]), ("vocals <-> other swapped", swapped)]:
    in_order[name] = {s: metrics.sdr(e[s], stems[s]) for s in ("vocals", "other")}
    print(f"{name:26s} vocals SDR {in_order[name]['vocals']:7.2f} dB, other SDR {in_order[name]['other']:7.2f} dB")
pair_sdr = {(r, e): metrics.sdr(swapped[e], stems[r]) for r in STEMS for e in STEMS}
best = max(permutations(STEMS), key=lambda order: sum(pair_sdr[r, e] for r, e in zip(STEMS, order)))
print("a permutation search pairs", ", ".join(f"{r} with the '{e}' output" for r, e in zip(STEMS, best)))
for s in ("vocals", "other"):
    assert in_order["vocals <-> other swapped"][s] < in_order["right order"][s] - 5
assert best == ("drums", "bass", "vocals", "other")  # it undoes the swap

# %% [markdown]
# **Testing on the training song.** A "model" that memorises its training songs is perfect on
# them and useless elsewhere. This one is a lookup table; a big network can get close to the
# same thing. Only scores on songs the model never saw mean anything.

# %%
train_track = data.open_dataset("train")[0]
memory = {hash(data.track_mixture(train_track).tobytes()): data.track_stems(train_track)}


def memoriser(mix):
    """Return the stored stems if this exact mixture was seen in training, else the mixture."""
    return memory.get(hash(mix.tobytes()), {s: mix for s in STEMS})


memorised = {}
for name, t in [("training song", train_track), ("test song", track)]:
    m, refs_t = data.track_mixture(t), data.track_stems(t)
    memorised[name] = metrics.sdr(memoriser(m)["vocals"], refs_t["vocals"])
    print(f"memoriser on a {name}: vocals SDR {memorised[name]:7.1f} dB")
assert memorised["training song"] > 100 and memorised["test song"] < memorised["training song"] - 50
assert memorised["test song"] == metrics.sdr(mixture, stems["vocals"])  # unseen: it returns the mixture

# %% [markdown]
# The "SDR" on the training song is limited only by the $\epsilon$ that `seplib.metrics` adds to
# both energies ($10^{-8}$): a number above 100 dB means the estimate *is* the reference, which
# no real separator achieves. On the test song the memoriser returns the mixture: the floor of
# section 6 (here as one plain SDR over the whole song, not a median over frames).
#
# **SI-SDR on an unnormalised signal.** SI-SDR assumes zero-mean signals. Audio read with an
# offset (unsigned 8-bit PCM read as if signed, say) carries a large constant; an estimate
# that gets only the offset right then "explains" most of the energy:

# %%
rng = np.random.default_rng(0)
ref_1d = stems["vocals"][0, short].astype(np.float64)
garbage = rng.standard_normal(ref_1d.shape) * ref_1d.std()   # unrelated to the vocals
offset = 0.5
zero_mean = metrics.si_sdr(garbage, ref_1d)
with_offset = metrics.si_sdr(garbage + offset, ref_1d + offset)
demeaned = metrics.si_sdr(garbage + offset - (garbage + offset).mean(), ref_1d + offset - (ref_1d + offset).mean())
print(f"SI-SDR of garbage, zero-mean signals:  {zero_mean:6.1f} dB")
print(f"SI-SDR of garbage, both offset by {offset}: {with_offset:6.1f} dB")
print(f"  ... after removing the means:        {demeaned:6.1f} dB")
assert with_offset > zero_mean + 20 and abs(demeaned - zero_mean) < 1.0

# %% [markdown]
# ## 8. Listening beyond SDR
# One number cannot say what an error sounds like. Make two estimates of the real song's
# vocals with the same plain SDR and different errors:
#
# * **hard**: the IBM oracle. Each bin is all or nothing, and the bins that are kept change
#   from frame to frame: isolated spots of sound that come and go, heard as twittering
#   "musical noise" (artifacts: a low SAR), with little of the band left in (a high SIR);
# * **leaky**: the Wiener oracle plus a share $g$ of everything else,
#   $\hat s = \hat s_W + g\,(x - \hat s_W)$: smooth, but the band is heard behind the voice
#   (interference: a low SIR). The error $\hat s - s = e_0 + g\,d$ is linear in $g$, so the
#   $g$ at which the leaky estimate's plain SDR equals the hard one's is the root of a quadratic.
#
# The cell scores both with the MUSDB protocol, beside the **low-pass anchor** of the listening
# test below (the true vocals with everything above 3.5 kHz removed):

# %%
from seplib import listen

real_ref = real_stems["vocals"]
hard = real_oracles["ibm"]["vocals"]
e0 = (real_oracles["wiener"]["vocals"] - real_ref).astype(np.float64)
d = (real_mix - real_oracles["wiener"]["vocals"]).astype(np.float64)
target = np.sum(np.square(real_ref, dtype=np.float64)) / 10 ** (metrics.sdr(hard, real_ref) / 10)  # the hard SDR's error energy
qa, qb, qc = np.sum(d * d), 2 * np.sum(e0 * d), np.sum(e0 * e0) - target
g = (-qb + np.sqrt(qb ** 2 - 4 * qa * qc)) / (2 * qa)
leaky = (real_oracles["wiener"]["vocals"] + g * d).astype(np.float32)
anchor = listen.lowpass(real_ref, real.rate, listen.ANCHOR_HZ)
candidates = {"hard mask (IBM)": hard, "leaky mask (Wiener + a share g of the rest)": leaky, listen.ANCHOR: anchor}
print(f"g = {g:.3f}")
listening_scores = pd.DataFrame({name: {"plain SDR": metrics.sdr(x, real_ref),
                                        **metrics.aggregate(metrics.track_scores(real_stems, {"vocals": x}, real.rate)).loc["vocals"]}
                                 for name, x in candidates.items()}).T
display(listening_scores.round(2))
hard_row, leaky_row = listening_scores.iloc[0], listening_scores.iloc[1]
assert abs(hard_row["plain SDR"] - leaky_row["plain SDR"]) < 1e-3 and 0 < g < 1
assert abs(hard_row["SDR"] - leaky_row["SDR"]) < 1                      # about the same SDR (MUSDB protocol)
assert hard_row["SIR"] > leaky_row["SIR"] + 3                             # hard: less of the band left in...
assert hard_row["SAR"] < leaky_row["SAR"] - 1                             # ...and more artifacts
above = np.fft.rfftfreq(real_ref.shape[1], 1 / real.rate) >= listen.ANCHOR_HZ
vocal_power = np.abs(np.fft.rfft(real_ref, axis=-1)) ** 2
print(f"share of the vocals' energy above {listen.ANCHOR_HZ:.0f} Hz: {vocal_power[:, above].sum() / vocal_power.sum():.3f}")
assert vocal_power[:, above].sum() / vocal_power.sum() < 0.05
assert listening_scores.loc[listen.ANCHOR, "SDR"] > max(hard_row["SDR"], leaky_row["SDR"]) + 3

# %% [markdown]
# The two estimates score within 1 dB of each other (MUSDB SDR), and their SIR and SAR split
# the other way round: the hard one more than 3 dB higher in SIR, the leaky one more than 1 dB
# higher in SAR. And the anchor, which a listener hears at once as dull, has the *highest* SDR
# of the three, by more than 3 dB: the vocals keep less than 5% of their energy above
# 3.5 kHz, so removing it costs little energy, but it is the energy of consonants, breaths and
# brightness. Listen to them blind first, in the test below (the mixture is in section 6);
# the last cell of this section says which sample was which.
#
# ### A small listening test
# A MUSHRA test (ITU-R BS.1534) asks listeners to rate each sample from 0 (bad) to 100
# (excellent) against an open reference. Hidden among the samples are the reference itself
# (a careful listener gives it 100) and the 3.5 kHz low-pass anchor (it should be rated
# low); both check the listener. The samples come in a random order, labelled A to D only.
# Use headphones, play the reference and each sample as often as you like, move the sliders,
# then press "save my ratings" below the players: they are added to a file in this run's
# results folder, so a class can pool its ratings. `seplib.listen` builds the trials, saves
# and checks the ratings (a rating outside 0 to 100 is refused) and plots them.

# %%
from seplib import config

ratings_file = config.results_dir() / "listening" / "01_real_vocals_mushra.json"
trials = listen.mushra_trials(real_ref, {name: x for name, x in candidates.items() if name != listen.ANCHOR},
                              real.rate, seed=1)
assert {t["name"] for t in trials} == {listen.HIDDEN_REFERENCE, listen.ANCHOR, *list(candidates)}
display(listen.mushra_players(trials, real.rate))
display(listen.mushra_panel(trials, ratings_file))

# %% [markdown]
# Run the next cell after rating: it plots the ratings beside the SDRs (the hidden reference
# has none to show: its SDR is only limited by the metric's $\epsilon$) and lists the pairs
# that the listeners and the SDR order differently.

# %%
ratings = listen.load_ratings(ratings_file)
sdr_of = listening_scores["SDR"].to_dict()
if ratings:
    order = [listen.HIDDEN_REFERENCE, *candidates]
    listen.plot_ratings(ratings, sdr_of, order=order)
    plt.show()
    means = listen.mean_ratings(ratings)
    disagree = listen.disagreements(means, sdr_of)
    for better_sdr, preferred in disagree:
        print(f"they disagree: the SDR ranks {better_sdr!r} above {preferred!r} ({sdr_of[better_sdr]:.2f} against "
              f"{sdr_of[preferred]:.2f} dB); the listeners, below ({means[better_sdr]:.0f} against {means[preferred]:.0f})")
    if not disagree:
        print("the listeners and the SDR order every pair of samples the same way")
else:
    print("No ratings yet: rate samples A to D with the sliders above, press 'save my ratings', then run this cell again.")

# %% [markdown]
# Which sample was which (read it after rating):

# %%
for t in trials:
    print(f"sample {t['label']}: {t['name']} (SDR {sdr_of[t['name']]:.2f} dB)" if t["name"] in sdr_of
          else f"sample {t['label']}: {t['name']}")

# %% [markdown]
# Where ratings and SDR disagree, trust the ears about what the error sounds like and the SDR
# about how much energy is wrong: the SDR cannot tell musical noise from leakage (the two
# estimates above score the same), and it barely notices that everything above 3.5 kHz is
# gone. The anchor is the plainest case: MUSHRA uses it as a
# sample everyone rates low, yet its SDR is the highest here. Report SIR and SAR beside the
# SDR, and listen before you believe a small difference.

# %% [markdown]
# ## Exercises
# Each exercise has an answer cell (replace `None`) and a check cell below it. The check says
# whether your answer is missing, wrong or right, and never prints the answer;
# `ex.q1.hint()` gives a hint and `ex.q1.solution()` shows a solution, when you ask.
#
# **1.** Write `bin_hz(rate, n_fft)`: how many Hz apart the bins of an STFT of `n_fft`
# samples are at the sample rate `rate` (derive it from section 1; the check tries several
# rates and sizes).

# %%
from seplib.exercises import nb01 as ex

# %% tags=["answer-1"]
def bin_hz(rate, n_fft):
    return None  # your code: Hz


# %%
ex.q1.check(bin_hz, rate=rate)

# %% [markdown]
# **2.** Write `my_irm(mags)` returning the ideal ratio masks (a dict like the input) from a
# dict of magnitudes `{stem: tensor}` (section 3), without calling `seplib.spectral`. Mind
# the bins where every stem is silent: the masks must still sum to one there. (The check runs
# it on this excerpt and on magnitudes with silent bins.)

# %% tags=["answer-2"]
def my_irm(mags):
    return None  # your code: {stem: mask}


# %%
ex.q2.check(my_irm, mags=mags)

# %% [markdown]
# **3.** The scale table of section 7 shows the plain SDR falling on both sides of x1. Which
# gain $g$ gives the *highest* plain SDR of `g * est` against `ref`? Derive it (it is not
# SI-SDR's $\alpha$) and write `best_gain(est, ref)` for any stereo pair (the check tries
# several). Then look at `best_gain(est, ref)` for the IRM vocals of that section: is it above
# or below 1, and why would a mask make the estimate too quiet?

# %% tags=["answer-3"]
def best_gain(est, ref):
    return None  # your code: a number

# %%
ex.q3.check(best_gain, estimate=est, reference=ref)

# %% [markdown]
# ## References
# - M. Müller. *Fundamentals of Music Processing: Audio, Analysis, Algorithms, Applications*.
#   Springer, 2015 (2nd edition 2021); chapter 2, the Fourier transform and the STFT.
# - B. McFee, C. Raffel, D. Liang, D. P. W. Ellis, M. McVicar, E. Battenberg, O. Nieto.
#   *librosa: Audio and music signal analysis in Python*. Proc. SciPy, 2015.
# - E. Vincent, R. Gribonval, C. Févotte. *Performance measurement in blind audio source
#   separation*. IEEE Transactions on Audio, Speech, and Language Processing 14(4), 2006
#   (BSSEval: SDR, SIR, SAR).
# - E. Vincent, H. Sawada, P. Bofill, S. Makino, J. P. Rosca. *First stereo audio source
#   separation evaluation campaign: data, algorithms and results*. ICA 2007 (the image
#   criteria and ISR).
# - F.-R. Stöter, A. Liutkus, N. Ito. *The 2018 Signal Separation Evaluation Campaign*.
#   LVA/ICA 2018 (BSSEval v4, the `museval` package and the MUSDB18 protocol).
# - J. Le Roux, S. Wisdom, H. Erdogan, J. R. Hershey. *SDR – half-baked or well done?* ICASSP
#   2019 (SI-SDR).
# - H. Erdogan, J. R. Hershey, S. Watanabe, J. Le Roux. *Phase-sensitive and
#   recognition-boosted speech separation using deep recurrent neural networks*. ICASSP 2015
#   (the phase-sensitive mask).
# - ITU-R Recommendation BS.1534-3. *Method for the subjective assessment of intermediate
#   quality level of audio systems* (MUSHRA), 2015.
# - C. Raffel, B. McFee, E. J. Humphrey, J. Salamon, O. Nieto, D. Liang, D. P. W. Ellis.
#   *mir_eval: A transparent implementation of common MIR metrics*. ISMIR 2014.
