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
# # 01 · The STFT, masks, oracle bounds, and how to measure separation
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/seplib/seplib-workbook/blob/main/notebooks/01_stft_and_masks.ipynb)
#
# **Goal.** Most separation methods in this workbook do not touch the waveform: they compute a
# *mask* over the short-time Fourier transform (STFT) of the mixture. Here you build the STFT,
# invert it, compute the *ideal* masks from the true stems (the best any mask can do), and
# learn the metrics every later notebook reports (SDR, SI-SDR, SIR, SAR, ISR), including the
# ways they mislead.

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
import librosa
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from IPython.display import display

from seplib import STEMS, audio, config, data, metrics, plots, separate, spectral

print(f"device: {config.device()}, run size: {config.run_size()}")
test = data.open_dataset("test")
track = test[0]
rate = track.rate
mixture, stems = data.track_mixture(track), data.track_stems(track)
excerpt = slice(0, min(mixture.shape[1], 8 * rate))  # 8 s for the listening examples
print(f"{len(test)} test tracks; working on {track.name!r}")

# %% [markdown]
# ## 1. The short-time Fourier transform
# Cut the signal into overlapping frames of $N$ samples, $H$ samples apart, weight each by a
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
print("shape:", X_mine.shape, "| rel. difference to seplib:", np.abs(X_mine - X_seplib).max() / scale,
      "| seplib vs librosa:", np.abs(X_seplib - X_librosa).max() / scale)
assert np.abs(X_mine - X_seplib).max() < 1e-4 * scale and np.abs(X_seplib - X_librosa).max() < 1e-4 * scale

# %% [markdown]
# `seplib.spectral.stft` is the torch version (it runs on a GPU, takes batches and keeps
# gradients, which the neural networks of notebooks 05–07 need), and agrees with librosa.
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

# %% [markdown]
# The mixture phase is a good stand-in where the vocals dominate a bin and a poor one where
# they do not; a random phase is heard as a rough, smeared sound. That is why masking works
# well, and why its ceiling is below perfect.
#
# ## 3. Ideal masks
# With the true stems $S_j$ we can compute the best masks of three kinds:
#
# | mask | definition | |
# |---|---|---|
# | ideal binary (IBM) | $M_j = 1$ if $j = \arg\max_k \lvert S_k\rvert$ else $0$ | each bin to one stem |
# | ideal ratio (IRM) | $M_j = \lvert S_j\rvert / \sum_k \lvert S_k\rvert$ | bins shared by magnitude |
# | Wiener | $M_j = \lvert S_j\rvert^2 / \sum_k \lvert S_k\rvert^2$ | bins shared by power |
#
# All three sum to one over the stems, so the estimates sum back to the mixture.

# %%
mags = spectral.magnitudes({s: x[:, excerpt] for s, x in stems.items()})
masks = {"IBM": spectral.ideal_binary_mask(mags), "IRM": spectral.ideal_ratio_mask(mags),
         "Wiener": spectral.wiener_mask(mags)}
fig, axes = plt.subplots(1, 3, figsize=(15, 3.5), sharey=True)
for ax, (name, m) in zip(axes, masks.items()):
    plots.mask(m["vocals"], rate, ax=ax, title=f"{name} mask of the vocals", max_hz=4000)
    total = sum(m.values())
    assert torch.allclose(total, torch.ones_like(total), atol=1e-5)  # sums to one
fig.tight_layout()

# %% [markdown]
# Listen to the vocals each oracle gives (the same call shape every method in the workbook
# has: `separate(method, mixture, rate)`):

# %%
oracles = {kind: separate(f"oracle-{kind}", mixture, rate, references=stems) for kind in ("ibm", "irm", "wiener")}
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
# The **scale-invariant** SDR first scales the reference to fit the estimate best, so a louder
# or quieter but otherwise perfect estimate is not punished:
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
print(f"SDR {my_sdr:.3f} dB (seplib {metrics.sdr(oracles['irm']['vocals'], stems['vocals']):.3f}), "
      f"SI-SDR {my_si_sdr:.3f} dB (seplib {metrics.si_sdr(oracles['irm']['vocals'].ravel(), stems['vocals'].ravel()):.3f})")
assert abs(my_sdr - metrics.sdr(oracles["irm"]["vocals"], stems["vocals"])) < 0.01

# %% [markdown]
# ## 5. BSSEval: SDR, SIR, SAR, ISR — the MUSDB protocol
# BSSEval splits an estimate into the true source, a spatial distortion, interference from the
# other sources and artifacts, using least-squares filters (512 taps) fitted on the track:
#
# $$\hat s_j = s_j + e^{\text{spat}}_j + e^{\text{interf}}_j + e^{\text{artif}}_j$$
#
# * **SDR** (distortion, everything), **ISR** (image: spatial distortion),
#   **SIR** (interference: how much of the *other* stems leaks in), **SAR** (artifacts: what
#   the method invented, e.g. musical noise).
#
# The MUSDB18 protocol (BSSEval v4, `museval`): scores in 1 s frames, the **median over frames**
# per track, then the **median over tracks**. `museval` is the reference implementation; it
# takes about 18 s for a 30 s track, so `seplib.metrics.bss_eval_v4` re-implements it in torch
# and is checked against it here, on a few seconds of this track. A silent reference has no
# score (a frame where a stem is all zeros is skipped), and songs often begin before every stem
# has come in, so `metrics.sounding_excerpt` picks the first stretch where all four sound:

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
print({k: f"{v:.2f} s" for k, v in timings.items()})
assert table["difference"].abs().max() < 0.01  # the fast path agrees with museval

# %% [markdown]
# `mir_eval` computes the older BSSEval v3 (`bss_eval_images`), which refits the filters in
# every frame. Scored as one frame over a whole two-second excerpt, v3 and v4 are the same
# computation, and the numbers agree; v4's 1 s frames and the median are what make the
# MUSDB numbers differ from a whole-signal score:

# %%
two = slice(0, 2 * rate)  # the first two seconds of that excerpt
mir = metrics.mir_eval_images(refs[..., two], ests[..., two])
v4_whole = metrics.bss_eval_v4(refs[..., two], ests[..., two], rate, window=None)
v4_frames = metrics.bss_eval_v4(refs[..., two], ests[..., two], rate)
display(pd.DataFrame({"mir_eval v3, whole excerpt": mir["SDR"][:, 0], "seplib v4, whole excerpt": v4_whole["SDR"][:, 0],
                      "seplib v4, median of 1 s frames": np.nanmedian(v4_frames["SDR"], axis=1)}, index=STEMS).round(3))
assert np.allclose(mir["SDR"][:, 0], v4_whole["SDR"][:, 0], atol=0.01)

# %% [markdown]
# ## 6. The oracle bounds on the test split
# The oracles, and the unprocessed mixture as the floor, scored with the MUSDB protocol on
# every test track and saved to the results store (`data/results/`). Every later notebook
# adds its methods to the same table.

# %%
for method in ("mixture", "oracle-ibm", "oracle-irm", "oracle-wiener"):
    metrics.evaluate(method, test, progress=False)
dataset = metrics.dataset_of(test)
board = metrics.leaderboard(dataset)
display(board.round(2))
for stem in STEMS:  # every oracle beats the mixture on every stem
    assert (board.loc[["oracle-ibm", "oracle-irm", "oracle-wiener"], stem] > board.loc["mixture", stem]).all()

# %% [markdown]
# The mixture's SDR is not $-\infty$: it contains the stem, plus everything else. For a stem
# that is a quarter of the mixture's energy it is around $-5$ dB; that is the floor. The
# oracles show how far masking can go with this STFT; the gap between them and a real method
# is what the rest of the workbook tries to close.

# %% [markdown]
# ## 7. Pitfalls: how students end up reporting 100+ dB
# Each cell below computes a number that looks like a result and is not.
#
# **Scale.** Halve the estimate: the plain SDR drops, SI-SDR does not, and BSSEval (its
# filters absorb a gain) barely moves. Compare only numbers of the same metric.

# %%
est, ref = oracles["irm"]["vocals"][:, short], stems["vocals"][:, short]
rows = {}
for gain in (1.0, 0.5, 2.0):
    rows[f"estimate x {gain}"] = {"SDR": metrics.sdr(gain * est, ref), "SI-SDR": metrics.si_sdr(gain * est.ravel(), ref.ravel()),
                                  "BSSEval v4 SDR": np.nanmedian(metrics.bss_eval_v4(
                                      np.stack([ref, stems["drums"][:, short] + stems["bass"][:, short] + stems["other"][:, short]]),
                                      np.stack([gain * est, mixture[:, short] - gain * est]), rate)["SDR"][0])}
display(pd.DataFrame(rows).T.round(2))

# %% [markdown]
# **A silent reference.** A stem that is silent in a frame has no SDR there: the ratio is
# $0/\text{something}$. `museval` marks such frames NaN and the median ignores them; a
# hand-written loop gives $-\infty$ or a division warning, and a *mean* over frames is then
# meaningless.

# %%
silent_ref = stems["vocals"][:, short].copy()
silent_ref[:, : rate] = 0.0                                  # first second silent
scores = metrics.bss_eval_v4(np.stack([silent_ref, mixture[:, short] - silent_ref]),
                             np.stack([est, mixture[:, short] - est]), rate)
print("framewise vocal SDR:", np.round(scores["SDR"][0], 2))
print(f"median ignoring NaN: {np.nanmedian(scores['SDR'][0]):.2f} dB, plain mean: {np.mean(scores['SDR'][0])}")
with np.errstate(divide="ignore"):
    print("hand-written SDR of the silent second:",
          10 * np.log10(np.sum(silent_ref[:, :rate] ** 2) / np.sum((silent_ref[:, :rate] - est[:, :rate]) ** 2)))
assert np.isnan(scores["SDR"][0][0])

# %% [markdown]
# **A wrong permutation.** Swap two estimates (a model whose outputs are in another order
# than you think). Scored in order, it is a disaster; `mir_eval` with
# `compute_permutation=True` would silently "fix" it, hiding the bug. MUSDB scores in order.

# %%
swapped = dict(oracles["irm"], vocals=oracles["irm"]["other"], other=oracles["irm"]["vocals"])
for name, e in [("right order", oracles["irm"]), ("vocals <-> other swapped", swapped)]:
    print(f"{name:26s} vocals SDR {metrics.sdr(e['vocals'], stems['vocals']):7.2f} dB, "
          f"other SDR {metrics.sdr(e['other'], stems['other']):7.2f} dB")

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


for name, t in [("training song", train_track), ("test song", track)]:
    m, refs_t = data.track_mixture(t), data.track_stems(t)
    print(f"memoriser on a {name}: vocals SDR {metrics.sdr(memoriser(m)['vocals'], refs_t['vocals']):7.1f} dB")

# %% [markdown]
# The "SDR" on the training song is limited only by the $\epsilon$ in the formula: a number
# like 150 dB means the estimate *is* the reference, which no real separator achieves.
#
# **SI-SDR on an unnormalised signal.** SI-SDR assumes zero-mean signals. Audio read with an
# offset (unsigned 8-bit PCM read as if signed, say) carries a large constant; an estimate
# that gets only the offset right then "explains" most of the energy:

# %%
rng = np.random.default_rng(0)
ref_1d = stems["vocals"][0, short].astype(np.float64)
garbage = rng.standard_normal(ref_1d.shape) * ref_1d.std()   # unrelated to the vocals
offset = 0.5
print(f"SI-SDR of garbage, zero-mean signals:  {metrics.si_sdr(garbage, ref_1d):6.1f} dB")
print(f"SI-SDR of garbage, both offset by {offset}: {metrics.si_sdr(garbage + offset, ref_1d + offset):6.1f} dB")
print(f"  ... after removing the means:        {metrics.si_sdr(garbage + offset - (garbage + offset).mean(), ref_1d + offset - (ref_1d + offset).mean()):6.1f} dB")
assert metrics.si_sdr(garbage + offset, ref_1d + offset) > metrics.si_sdr(garbage, ref_1d) + 20

# %% [markdown]
# ## Exercises
# **1.** What is the largest frequency resolution step (Hz between bins) of an STFT with
# `n_fft=2048` at 44.1 kHz? Store it in `bin_hz`.

# %%
bin_hz = None  # your answer

# %%
# check
truth = rate / 2048
if bin_hz is None:
    print(f"Not answered yet. Hint: bins are f_s / N apart. (Answer: {truth:.2f} Hz)")
elif abs(bin_hz - truth) < 0.01:
    print("Correct!")
else:
    print(f"Not quite: {bin_hz} Hz. Bin k is at k * f_s / N Hz.")

# %% [markdown]
# **2.** Write `my_irm(mags)` returning the ideal ratio masks (a dict like the input) from a
# dict of magnitudes `{stem: tensor}`, without calling `seplib.spectral`.

# %%
def my_irm(mags):
    return None  # your code


# %%
# check
answer = my_irm(mags)
if answer is None:
    print("Not answered yet. Hint: divide each magnitude by the sum of all of them (mind zeros).")
else:
    ref_masks = spectral.ideal_ratio_mask(mags)
    worst = max(float((answer[s] - ref_masks[s]).abs().max()) for s in STEMS)
    print("Correct!" if worst < 1e-4 else f"Not quite: differs from seplib's IRM by up to {worst:.3f}.")
