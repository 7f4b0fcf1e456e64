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
# # 06 · Demucs-lite: separating in the waveform domain
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/seplib/seplib-workbook/blob/main/notebooks/06_demucs_lite.ipynb)
#
# **Goal.** Every method so far multiplied the mixture's spectrogram by a mask and kept the
# mixture's phase; here a network reads the waveform and *writes* the four stems' waveforms,
# phase and all. You will build a small Demucs (strided 1-D convolutions with gated linear
# units, a BiLSTM, a decoder with skip connections), see what its loss rewards, train it
# with checkpoints that survive a disconnect, and measure what working in 1-D buys and costs
# against the 2-D masks of notebooks 01–05.

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
import torch.nn.functional as F
from IPython.display import display
from torch import nn

from seplib import STEMS, audio, config, data, losses, metrics, models, plots, separate, spectral, train
from seplib.data.chunks import FixedChunks
from seplib.run import current

valid_tracks, test = data.open_dataset("valid"), data.open_dataset("test")
dataset = metrics.dataset_of(test)
rate = test[0].rate
HPARAMS = models.hparams("demucs-lite", SIZE)      # the model of this run size
PLAN = train.plan("demucs-lite", SIZE)             # the slowest model: the size's plan, changed by its own file
print("Demucs-lite:", HPARAMS)
print("training plan:", PLAN)
FROM = config.models_from()                        # "train": it trains here; "shipped": the one in seplib

# %% [markdown]
# ## 1. The idea: a U-Net on the waveform
# Demucs (Défossez et al., 2019) is a U-Net like notebook 05's, but in one dimension, time,
# and on raw samples, as Wave-U-Net (Stoller et al., 2018) was before it. First it divides the stereo mixture $x$ by its scale
# $\sigma_x$, the standard deviation of its mono sum, so that loud and quiet songs look alike
# (and multiplies the output by $\sigma_x$ at the end). Then each **encoder** level $i$ is
#
# $$h_{i+1} = \mathrm{GLU}\bigl(W'_i * \mathrm{ReLU}(W_i *_4 h_i)\bigr), \qquad
# \mathrm{GLU}(a, b) = a \odot \sigma(b),$$
#
# a convolution with kernel 8 and **stride 4** (four times fewer time steps, more channels),
# then a $1\times1$ convolution that doubles the channels, and a **gated linear unit** (GLU;
# Dauphin et al., 2017): half of the channels $a$ pass through a gate $\sigma(b)$ computed
# from the other half. A BiLSTM runs
# over the bottleneck's time steps (the long-range context), and the **decoder** mirrors the
# encoder: add the encoder output of the same level (the skip), $1\times1$ conv + GLU, then a
# transposed convolution with stride 4 back up. The last level writes
# $\text{stems} \times \text{channels}$ waveforms. No masks, no STFT, no mixture phase.
# Beside the network runs a **linear path**, which the original Demucs does not have: one
# short learned filter (`linear_taps` = 33 samples) from the mixture to each stem channel,
# added to the decoder's output and starting at zero; section 3 says why.
#
# The picture: run one forward pass and record the shape after each stage with forward hooks.

# %%
config.seed_everything(0)
demo = models.build("demucs-lite", **HPARAMS)      # untrained, on the CPU, for looking inside
track = test[0]
mixture, references = data.track_mixture(track), data.track_stems(track)
x = torch.from_numpy(mixture[:, : 2 * rate])[None]  # (batch=1, channels, samples): 2 s

stages, activations = [], {}
def record(name):
    def hook(module, inputs, output):
        out = output[0] if isinstance(output, tuple) else output       # the LSTM returns (output, state)
        if not stages:                                                 # the first encoder's input
            stages.append(("input (normalised, padded)", tuple(inputs[0].shape)))
        stages.append((name, tuple(out.shape)))
        activations[name] = out.detach()
    return hook

parts = [(f"encoder {i + 1}", b) for i, b in enumerate(demo.encoder)] + [("BiLSTM", demo.lstm), ("LSTM projection", demo.lstm_proj)]
parts += [(f"decoder {len(demo.decoder) - i}", b) for i, b in enumerate(demo.decoder)]
handles = [module.register_forward_hook(record(name)) for name, module in parts]
with torch.no_grad():
    estimates = demo(x)
for h in handles:
    h.remove()
shapes = pd.DataFrame(stages, columns=["stage", "output shape"])
padded = stages[0][1][-1]
# the LSTM and its projection work on (batch, time, features); the convolutions on (batch, channels, time)
steps = [s[1] if name in ("BiLSTM", "LSTM projection") else s[-1] for name, s in stages]
shapes["time steps"] = steps
shapes["ms per step"] = [1000 * padded / n / rate for n in steps]
display(shapes.round(3))
print("input", tuple(x.shape), "(batch, channels, samples); padded to", padded,
      "samples = demo.valid_length(...)", demo.valid_length(x.shape[-1]))
print("estimates", tuple(estimates.shape), "= (batch, stems, channels, samples)")
assert estimates.shape == (1, len(STEMS), 2, x.shape[-1])
conv, _, pointwise, _ = demo.encoder[0]                            # Conv1d(k=8, s=4), ReLU, Conv1d(1x1), GLU
assert conv.kernel_size == (8,) and conv.stride == (4,) and pointwise.kernel_size == (1,)
assert pointwise.out_channels == 2 * conv.out_channels            # the 1x1 conv doubles, the GLU halves
for level in range(1, demo.depth + 1):                             # four times fewer steps per level
    assert abs(4 * steps[level] - steps[level - 1]) <= 8, (level, steps)

# %%
counts = {"encoder": sum(p.numel() for p in demo.encoder.parameters()),
          "BiLSTM + projection": sum(p.numel() for m in (demo.lstm, demo.lstm_proj) for p in m.parameters()),
          "decoder": sum(p.numel() for p in demo.decoder.parameters()),
          "linear path": demo.linear.weight.numel() if demo.linear is not None else 0}
print({k: f"{v:,}" for k, v in counts.items()}, f"total {models.parameter_count(demo):,} trainable parameters")
assert sum(counts.values()) == models.parameter_count(demo)
assert counts["linear path"] == len(STEMS) * 2 * 2 * HPARAMS["linear_taps"]  # a filter per (stem channel, mixture channel)

# %% [markdown]
# What the (untrained) encoder makes of the waveform: each level is an image of channels ×
# time steps (each channel standardised), with four times fewer and four times longer steps
# than the level above.

# %%
enc = [f"encoder {i + 1}" for i in range(demo.depth)]
fig, axes = plt.subplots(len(enc) + 1, 1, figsize=(11, 1.6 * (len(enc) + 1)), sharex=True)
seconds = padded / rate
axes[0].plot(np.arange(x.shape[-1]) / rate, x[0, 0].numpy(), lw=0.4)
axes[0].set(title="mixture (left channel)", ylabel="amplitude")
for ax, name in zip(axes[1:], enc):
    a = activations[name][0].numpy()                               # (channels, time)
    a = (a - a.mean(axis=1, keepdims=True)) / (a.std(axis=1, keepdims=True) + 1e-8)  # each channel standardised
    ax.imshow(a, aspect="auto", origin="lower", cmap="magma", extent=(0, seconds, 0, a.shape[0]))
    ax.set(title=f"{name}: {a.shape[0]} channels × {a.shape[1]} steps ({1000 * seconds / a.shape[1]:.2f} ms each)",
           ylabel="channel")
axes[-1].set_xlabel("time (s)")
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Normalising by the mixture's scale
# $\sigma_x$ is the standard deviation of the mono mixture, over the whole input. Dividing by
# it at the start and multiplying at the end makes the network's job the same for a quiet and
# a loud song: scale the input by 10 and the output scales by 10 too.

# %%
sigma = x.mean(dim=1, keepdim=True).std(dim=-1, keepdim=True, correction=0)   # (batch, 1, 1)
print(f"sigma_x by hand {float(sigma):.5f}, seplib {float(models.mixture_std(x)):.5f}")
assert torch.allclose(sigma, models.mixture_std(x))
with torch.no_grad():
    louder = demo(10 * x)
ratio = float((louder - 10 * estimates).abs().max() / (10 * estimates).abs().max())
print(f"|demo(10 x) - 10 demo(x)| / |10 demo(x)| = {ratio:.1e}")
assert ratio < 1e-3

# %% [markdown]
# When a long track is separated in chunks, every chunk is normalised by the **whole track's**
# $\sigma_x$ (`separate` passes `std=`), so a quiet intro is not blown up to the loudness of
# the chorus.
#
# ### The gated linear unit, by hand
# Split the channels in two halves $a$ and $b$ and return $a \odot \sigma(b)$: the network can
# open or close each channel at each time step. Compare with `torch.nn.functional.glu`, then
# rebuild the first encoder level from the model's own weights.

# %%
def my_glu(z):
    """GLU over the channel axis of (batch, 2 * channels, time) -> (batch, channels, time)."""
    a, b = z.chunk(2, dim=1)
    return a * torch.sigmoid(b)


z = torch.randn(2, 16, 100, generator=torch.Generator().manual_seed(0))
print("my_glu:", tuple(my_glu(z).shape), "max |difference| to F.glu:", float((my_glu(z) - F.glu(z, dim=1)).abs().max()))
assert torch.allclose(my_glu(z), F.glu(z, dim=1))

x_in = F.pad(x / models.waveform_scale(x), (0, padded - x.shape[-1]))
by_hand = my_glu(pointwise(F.relu(conv(x_in))))
print(f"encoder 1 by hand: {tuple(by_hand.shape)}; equals the model's: "
      f"{torch.allclose(by_hand, activations['encoder 1'], atol=1e-6)}")
assert torch.allclose(by_hand, activations["encoder 1"], atol=1e-6)

# %% [markdown]
# ## 2. The loss: waveform L1 plus a multi-resolution STFT loss
# A waveform model can be trained on the waveform directly, with the mean absolute error
#
# $$\mathcal{L}_{\text{L1}} = \operatorname{mean}_n |\hat s_j(n) - s_j(n)|.$$
#
# It punishes *any* difference in the samples, including a phase shift the ear barely notices,
# and it hardly notices errors in quiet parts (which the ear does hear). The
# **multi-resolution STFT loss** looks at magnitudes instead, at $R$ frame lengths
# (512, 1024, 2048 samples here):
#
# $$\mathcal{L}_{\text{STFT}} = \frac{1}{R}\sum_{r}\Bigl(
# \underbrace{\frac{\bigl\| |S| - |\hat S| \bigr\|_F}{\| S \|_F}}_{\text{spectral convergence}}
# + \underbrace{\operatorname{mean}\bigl|\log(|S|+\epsilon) - \log(|\hat S|+\epsilon)\bigr|}_{\text{log magnitude}}\Bigr).$$
#
# The default loss, `losses.loss_for("demucs-lite")`, is $\mathcal{L}_{\text{L1}} +
# \mathcal{L}_{\text{STFT}}$: the waveform L1 that Demucs trains with (Défossez et al., 2019)
# plus the multi-resolution STFT loss of Parallel WaveGAN (Yamamoto et al., 2020), the pair
# that Défossez et al. (2020) train their waveform speech enhancer with. Each term is a
# weighted mean over stems, $\sum_j w_j \mathcal{L}_j / \sum_j w_j$ (section 3 says which
# waveform loss the plans train on, and why without the STFT term). Compute both for estimates that are
# wrong in different ways, on one second of the test song:

# %%
def lowpass(signal, hz):
    """Zero every frequency above hz (an FFT brick wall), over the last axis."""
    spectrum = torch.fft.rfft(signal)
    spectrum[..., torch.fft.rfftfreq(signal.shape[-1], 1 / rate) > hz] = 0
    return torch.fft.irfft(spectrum, n=signal.shape[-1])


one_s = slice(2 * rate, 3 * rate)
S = torch.from_numpy(np.stack([references[s][:, one_s] for s in STEMS]))[None]   # (1, stems, channels, samples)
noise = torch.randn(S.shape, generator=torch.Generator().manual_seed(0))
wrong = {
    "perfect": S,
    "polarity flipped (-s)": -S,
    "delayed by 1 ms": torch.roll(S, int(0.001 * rate), dims=-1),
    "low-passed at 2 kHz": lowpass(S, 2000),
    "plus noise 30 dB down": S + S.std() * 10 ** (-30 / 20) * noise,
    "half as loud": 0.5 * S,
    "silence": torch.zeros_like(S),
}
table = pd.DataFrame({name: {"time L1": float(losses.time_l1(e, S)),
                             "multi-res. STFT": float(losses.multi_resolution_stft_loss(e, S)),
                             "SI-SDR (dB)": float(losses.si_sdr(e, S).mean())}
                      for name, e in wrong.items()}).T
display(table.round(4))

# %% [markdown]
# Read the table by rows:
# * **Polarity flipped:** every sample is wrong, the L1 doubles that of silence, yet the
#   magnitudes are identical and the STFT loss is zero (so is the SI-SDR's penalty: its
#   optimal scale is $-1$). A magnitude loss alone cannot see phase.
# * **Delayed / low-passed:** the two losses rank them in opposite orders. The L1 hates a
#   1 ms shift (the ear hardly notices) and barely sees the missing treble (the ear hears it
#   at once); the STFT loss does the reverse.
# * **Noise 30 dB down:** tiny in L1, large in the log-magnitude term, which sees the noise
#   in the quiet bins.
#
# Together they punish what either alone lets through.

# %%
import inspect

assert inspect.signature(losses.multi_resolution_stft_loss).parameters["n_ffts"].default == (512, 1024, 2048)
assert table.loc["perfect"].iloc[:2].abs().max() < 1e-6
assert abs(table.loc["polarity flipped (-s)", "SI-SDR (dB)"] - table.loc["perfect", "SI-SDR (dB)"]) < 1e-3
assert abs(table.loc["polarity flipped (-s)", "time L1"] - 2 * table.loc["silence", "time L1"]) < 1e-6
assert table.loc["polarity flipped (-s)", "multi-res. STFT"] < 1e-4
assert table.loc["delayed by 1 ms", "time L1"] > table.loc["low-passed at 2 kHz", "time L1"]
assert table.loc["delayed by 1 ms", "multi-res. STFT"] < table.loc["low-passed at 2 kHz", "multi-res. STFT"]
assert table.loc["plus noise 30 dB down", "multi-res. STFT"] > 50 * table.loc["plus noise 30 dB down", "time L1"]
assert table.loc["silence", "multi-res. STFT"] > 10 * table.loc["silence", "time L1"]  # section 3: "more than ten times"

# %% [markdown]
# **Per-stem weights.** A weight $w_j$ per stem makes the loss care more about one stem (the
# vocals, usually). By hand, for the "half as loud" estimate with only the vocals wrong:

# %%
est = S.clone()
est[:, STEMS.index("vocals")] *= 0.5                              # only the vocals are wrong
per_stem = torch.stack([(est[:, j] - S[:, j]).abs().mean() for j in range(len(STEMS))])
w = torch.tensor([2.0 if s == "vocals" else 1.0 for s in STEMS])
by_hand = float((w * per_stem).sum() / w.sum())
seplib_value = float(losses.time_l1(est, S, weights={"vocals": 2.0}))
print("per stem", {s: f"{float(v):.5f}" for s, v in zip(STEMS, per_stem)})
print(f"weighted mean by hand {by_hand:.6f}, seplib {seplib_value:.6f}, unweighted {float(losses.time_l1(est, S)):.6f}")
assert abs(by_hand - seplib_value) < 1e-7

# %% [markdown]
# **Loud stems weigh more in the L1.** Without weights the L1 still does not treat the stems
# alike: the L1 of an estimate of silence is the stem's mean level, so a stem twice as loud
# costs twice as much when it is missed, and the model learns the loud stems first. The
# **SDR loss** of notebook 05 (`losses.sdr_loss`, the negative plain SDR of each stem over the
# batch) is a ratio to the stem's own energy instead: silence costs 0 dB for every stem,
# however loud. On this second of the test song:

# %%
silence = torch.zeros_like(S)
level_share = pd.DataFrame({stem: {
    "time L1 of silence": float(losses.time_l1(silence[:, [j]], S[:, [j]], stems=(stem,))),
    "SDR loss of silence (dB)": float(losses.sdr_loss(silence[:, [j]], S[:, [j]], stems=(stem,)))}
    for j, stem in enumerate(STEMS)}).T
display(level_share.round(4))
l1 = level_share["time L1 of silence"]
print(f"the L1 weighs {l1.idxmax()} {l1.max() / l1.min():.1f}x as much as {l1.idxmin()}")
assert l1.max() > 1.2 * l1.min()                                   # the L1: by loudness
assert level_share["SDR loss of silence (dB)"].abs().max() < 1e-4  # the SDR loss: every stem alike

# %% [markdown]
# `seplib.losses.loss_for("demucs-lite")` is the loss the training loop calls,
# `loss(model, mixture, stems)`; check that it is exactly the sum of the two terms
# (`loss_for("demucs-lite", vocals=2.0)` would weight the vocals, `train_model` takes the same
# per-stem weights as `weights={"vocals": 2.0}`).

# %%
mix = S.sum(dim=1)                                                # (batch, channels, samples)
demo.eval()
with torch.no_grad():
    out = demo(mix)
    parts_sum = losses.time_l1(out, S) + losses.multi_resolution_stft_loss(out, S)
    recipe = losses.loss_for("demucs-lite")(demo, mix, S)
print(f"L1 + STFT by hand {float(parts_sum):.5f}, loss_for {float(recipe):.5f}")
assert torch.allclose(parts_sum, recipe)

# %% [markdown]
# ## 3. Training
# `seplib.train.train_model("demucs-lite")` is the recipe of notebook 05 with this model and
# this loss: random chunks of the train split with augmentation, AdamW with a cosine
# schedule, validation on fixed chunks of the valid split. Checkpoints go to
# `current().models_dir / "demucs-lite"` (this run's models folder): `last.pt` to resume, `best.pt` for `separate`.
#
# **Colab disconnected?** Run the cell again: `resume=True` continues from `last.pt` (same
# step, optimizer, data order) and a finished run returns at once. With `MODELS = "shipped"`
# in the run cell nothing trains: `train.lesson_model` loads the Demucs-lite shipped with
# seplib (trained with the `lab` plan), and the line it prints says which model the cells
# below use.
#
# **The plans' loss: a waveform loss alone.** The plan of a run size can set loss knobs
# (`PLAN["loss"]`, printed below), and every size sets `stft_weight=0`: Demucs-lite trains on a
# waveform loss alone, as the original Demucs did. Two reasons, both measured in this notebook.
# The STFT term, computed at three resolutions forward and backward, makes each step slower
# (timed below, at this run size's model), so in a fixed time the model trains fewer steps. And
# it would decide what the model learns: on these chunks it is more than ten times the L1
# (section 2's table, silence: compare its two columns), and it cannot see phase (the polarity
# row), so it would reward magnitudes that are about right in waveforms that need not line up
# with the truth. To try a balance, pass `stft_weight=0.01` to `train.train_model`, with an
# `out=` folder of its own, and compare the two on the leaderboard of section 5.
#
# **Which waveform loss: the SDR loss.** Every size also sets `kind="sdr"`: the waveform loss
# is the SDR loss of section 2, not the L1, so that a quiet stem counts as much as a loud one
# (section 2 measured how unevenly the L1 weighs them). `kind="l1"` gives the L1 back.
#
# **A rescaled start.** The model starts as Demucs did (`rescale=0.1`,
# `demucs_lite.rescale_convolutions`): each convolution's initial weights are scaled so that
# their standard deviation moves halfway, on a log scale, from PyTorch's default towards 0.1
# (checked below). `rescale=0.0` keeps PyTorch's start.
#
# **A linear path.** Section 4 scores the trained model's drums band by band. Above 6 kHz the
# hi-hats and cymbals put over a tenth of the drums' energy in these songs, and the bass and
# the voices next to nothing (section 4 measures both), so there the drums are close to the
# mixture itself. The network can pass such noise on only through its ReLUs and gates; a
# linear filter can be that high-pass directly. Section 4 shows what the path learned and what
# the drums lose without it. `linear_taps=0` builds the model without the path.

# %%
batch_mix = S.sum(dim=1)                                          # (batch, channels, samples)
loss_seconds = {}
for name, knobs in [("time L1", {"stft_weight": 0.0}), ("time L1 + STFT", {})]:
    loss_fn = losses.loss_for("demucs-lite", **knobs)
    demo.zero_grad()
    loss_fn(demo, batch_mix, S).backward()  # a first call to warm up
    runs = []
    for _ in range(3):  # this process's CPU time (what other jobs on the machine do not change), best of 3
        begin = time.process_time()
        loss_fn(demo, batch_mix, S).backward()
        runs.append(time.process_time() - begin)
    loss_seconds[name] = min(runs)
print({k: f"{v * 1000:.0f} ms" for k, v in loss_seconds.items()},
      f"ratio {loss_seconds['time L1 + STFT'] / loss_seconds['time L1']:.1f}x (CPU time of one batch, forward + backward)")
print("this size's loss knobs:", PLAN.get("loss", "the defaults"), "| steps per plan:",
      {size: train.plan("demucs-lite", size)["steps"] for size in config.SIZES})
assert loss_seconds["time L1 + STFT"] > loss_seconds["time L1"]
assert all(train.plan("demucs-lite", size)["loss"]["stft_weight"] == 0
           for size in config.SIZES)                               # every plan: no STFT term ...
assert all(train.plan("demucs-lite", size)["loss"]["kind"] == "sdr"
           for size in config.SIZES)                               # ... and the SDR loss
assert all(models.hparams("demucs-lite", size)["linear_taps"] == 33 for size in config.SIZES)

# %%
config.seed_everything(0)
pytorch_start = models.build("demucs-lite", **{**HPARAMS, "rescale": 0.0})
config.seed_everything(0)
demucs_start = models.build("demucs-lite", **HPARAMS)               # the same draws, then rescaled
convs = [(a, b) for a, b in zip(pytorch_start.modules(), demucs_start.modules())
         if isinstance(a, (nn.Conv1d, nn.ConvTranspose1d)) and b is not demucs_start.linear]  # the linear path: zeros
starts = pd.DataFrame([{"PyTorch's std": float(a.weight.std()), "rescaled std": float(b.weight.std())}
                       for a, b in convs])
starts["halfway to 0.1 (geometric mean)"] = np.sqrt(starts["PyTorch's std"] * HPARAMS["rescale"])
display(starts.round(4))
assert HPARAMS["rescale"] == 0.1 and not demucs_start.linear.weight.any()
assert np.allclose(starts["rescaled std"], starts["halfway to 0.1 (geometric mean)"], rtol=1e-3)

# %%
out_dir = current().models_dir / "demucs-lite"
if FROM == "train":
    print("resuming the run in" if (out_dir / "last.pt").exists() else "starting a new run in", out_dir)
start = time.perf_counter()
model, history, CKPT = train.lesson_model("demucs-lite", out=out_dir, steps=PLAN["steps"], seconds=PLAN["seconds"],
                                          callback=plots.live_losses(title=f"Demucs-lite ({SIZE}): loss while training"))
STEPS_DONE = history["step"][-1] if history["step"] else None         # None: a shipped record without its curve
print(f"{STEPS_DONE} steps, " if STEPS_DONE else "", f"{time.perf_counter() - start:.0f} s in this call; checkpoint {CKPT.name}")

# %%
if history["step"]:
    display(pd.DataFrame(history).round(4))
    plots.losses(history, title=f"Demucs-lite: training and validation loss")
    plt.show()
else:
    print("the shipped model's record keeps no training curve")

# %% [markdown]
# Did it learn? Compare with its untrained self (the same seed, 0, gives the same initial
# weights) on the validation chunks: the loss it was trained with (this plan's, the SDR loss), and
# the plain SDR of each stem averaged over the chunks. The loss must have gone down; the
# SDRs say how far that got it (trained here at the `quick` size, not far: see section 5).

# %%
valid_set = FixedChunks(valid_tracks, seconds=PLAN["seconds"], per_track=PLAN["per_track"])
dev = next(model.parameters()).device
config.seed_everything(0)
untrained = models.build("demucs-lite", **model.hparams).to(dev)     # the same architecture, untrained
plan_loss = losses.loss_for("demucs-lite", **PLAN.get("loss", {}))
compare = pd.DataFrame({name: {"valid loss": train.mean_loss(net, plan_loss, valid_set),
                               **train.evaluate_sdr(net, valid_set)}
                        for name, net in [("untrained", untrained), ("trained", model)]}).T
display(compare.round({"valid loss": 5, **{s: 3 for s in STEMS}}))
assert compare.loc["trained", "valid loss"] < compare.loc["untrained", "valid loss"]

# %% [markdown]
# ## 4. Separate a test song and listen
# The same call as for every method, given the model in hand (without `model=` it loads the
# run's `best.pt`); it runs the model over the track in overlapping chunks, each normalised by
# the whole track's $\sigma_x$.

# %%
estimates = separate("demucs-lite", mixture, rate, model=model)
excerpt = slice(0, min(mixture.shape[1], 8 * rate))
display(audio.play(mixture[:, excerpt], rate, title=f"mixture: {track.name}"))
for stem in ("vocals", "drums", "bass"):
    display(audio.play(estimates[stem][:, excerpt], rate, title=f"Demucs-lite: {stem}"))
    display(audio.play(references[stem][:, excerpt], rate, title=f"reference {stem}"))

# %%
fig, axes = plt.subplots(2, 2, figsize=(13, 5.5), sharex=True, sharey=True)
for row, stem in zip(axes, ("vocals", "drums")):
    plots.spectrogram(estimates[stem][:, excerpt], rate, ax=row[0], title=f"Demucs-lite: {stem}", max_hz=5000)
    plots.spectrogram(references[stem][:, excerpt], rate, ax=row[1], title=f"reference {stem}", max_hz=5000)
fig.tight_layout()
plt.show()

# %% [markdown]
# ### What the linear path learned
# The linear path is one filter per stem (and channel pair), so its frequency response
# $|H(f)|$ says which frequencies it sends to which stem as they are. Below: each stem's filter
# from the mixture's left channel to the stem's left channel.

# %%
taps = model.linear.weight.detach().cpu().double()                  # (stems * channels, channels, taps)
freqs = np.fft.rfftfreq(4096, 1 / rate)
gain_db = 20 * torch.log10(torch.fft.rfft(taps, n=4096).abs() + 1e-6).numpy()  # (stems * channels, channels, freqs)
fig, ax = plt.subplots(figsize=(10, 3.2))
for j, stem in enumerate(STEMS):
    ax.plot(freqs, gain_db[2 * j, 0], label=stem)
ax.set(xlabel="frequency (Hz)", ylabel="gain (dB)", ylim=(-40, 6),
       title=(f"the linear path after {STEPS_DONE} steps" if STEPS_DONE else "the shipped model's linear path")
       + ": left channel to each stem's left channel")
ax.legend(ncol=4)
plt.show()
HIGH_HZ = 6000
high = freqs >= HIGH_HZ
high_gain = pd.Series({stem: float(np.mean(gain_db[2 * j, 0, high])) for j, stem in enumerate(STEMS)},
                      name=f"mean gain above {HIGH_HZ} Hz (dB)")
display(high_gain.round(1).to_frame().T)

# %% [markdown]
# Why would a model need this? Score the drums of the test song band by band: the SNR of
# the estimate in each frequency band, $10\log_{10}$ of the reference's energy in the band over
# the error's, for the trained model and for the same model with its linear path set to zero.
# In these synthetic songs the drums (hi-hats, cymbals) have the largest share of their energy
# above 6 kHz, over a tenth (the first row); the bass and the voices under 1 %, and `other`
# usually too (a bright pluck or piano can reach a few %). After the `lab` or `full` plan the
# linear path has learned to send the mixture above 6 kHz to the drums (its gain there is the
# largest above), and with the path set to 0 the drums score at least 3 dB less in that band:
# the network has left that noise to the path (asserted below for those plans, and for the
# shipped model, trained with the `lab` plan; trained here at the `quick` size the path has had
# 16 steps). Listen to the drums with and without the path, and to the
# path's part alone (their difference).

# %%
no_path = models.build("demucs-lite", **model.hparams).to(dev).eval()
no_path.load_state_dict(model.state_dict())
with torch.no_grad():
    no_path.linear.weight.zero_()
without_path = separate("demucs-lite", mixture, rate, model=no_path)
edges = [0, 150, 500, 2000, HIGH_HZ, rate / 2 + 1]
names = [f"{lo:g}-{hi:g} Hz" for lo, hi in zip(edges[:-2], edges[1:-1])] + [f"above {HIGH_HZ} Hz"]


def band_energies(x):
    """Energy of a (channels, samples) signal in each band (STFT, 4096 samples, hop 1024)."""
    power = spectral.stft(x, 4096, 1024).abs().double().pow(2).sum(dim=(0, 2)).numpy()  # per frequency bin
    return np.array([power[(freqs >= lo) & (freqs < hi)].sum() for lo, hi in zip(edges[:-1], edges[1:])])


ref_bands = band_energies(references["drums"])
bands = pd.DataFrame({"share of the drums' energy": ref_bands / ref_bands.sum(),
                      "SNR (dB), Demucs-lite": 10 * np.log10(ref_bands / band_energies(estimates["drums"] - references["drums"])),
                      "SNR (dB), its linear path set to 0": 10 * np.log10(ref_bands / band_energies(without_path["drums"] - references["drums"]))},
                     index=names).T
display(bands.round(2))
stem_bands = {stem: ref_bands if stem == "drums" else band_energies(references[stem]) for stem in STEMS}
high_share = {stem: e[-1] / e.sum() for stem, e in stem_bands.items()}
print(f"share of each stem's energy above {HIGH_HZ} Hz:", {k: f"{v:.2%}" for k, v in high_share.items()})
assert high_share["drums"] > 0.1 and max(high_share, key=high_share.get) == "drums"
if dataset.startswith("synth"):
    assert high_share["bass"] < 0.01 and high_share["vocals"] < 0.01
display(audio.play(estimates["drums"][:, excerpt], rate, title="Demucs-lite: drums"))
display(audio.play(without_path["drums"][:, excerpt], rate, title="Demucs-lite, its linear path set to 0: drums"))
path_alone = estimates["drums"] - without_path["drums"]             # the output is the network's plus the path's
display(audio.play(path_alone[:, excerpt], rate, title="the linear path alone: what it sends to the drums"))
trained_long = SIZE in ("lab", "full") or FROM == "shipped"      # the shipped one: the lab plan
if trained_long:
    assert high_gain.idxmax() == "drums", high_gain
    assert (bands.loc["SNR (dB), Demucs-lite", names[-1]]
            > bands.loc["SNR (dB), its linear path set to 0", names[-1]] + 3)

# %% [markdown]
# ## 5. Measure: the leaderboard
# Every test track with the MUSDB protocol, beside what earlier notebooks stored (the
# mixture as the floor and the oracle ratio mask, a mark for masks but not their ceiling,
# section 6, are computed here if this notebook runs first). The oracle beats the floor:

# %%
metrics.evaluate("demucs-lite", test, progress=False, checkpoint=CKPT)
stored = set(metrics.leaderboard(dataset).index)
for method in ("mixture", "oracle-irm"):
    if method not in stored:
        metrics.evaluate(method, test, progress=False)
board = metrics.leaderboard(dataset)
board["mean"] = board[list(STEMS)].mean(axis=1)
display(board.round(2))
plots.leaderboard(board[list(STEMS)])
plt.show()
assert board.loc["oracle-irm", "mean"] > board.loc["mixture", "mean"]

# %% [markdown]
# Careful with a score near 0 dB: an estimate of pure **silence** has a plain SDR of exactly
# 0 dB, $10\log_{10}(\|s\|^2 / \|s - 0\|^2)$. The mixture's plain SDR is the stem's level
# against the rest of the mix, $10\log_{10}(\|s\|^2 / \|x - s\|^2)$: below 0 dB for every stem
# quieter than the other three together (the table below shows both for this song). On those
# stems silence already beats the mixture's floor: a model that has learned only to be quiet
# lands at 0 dB. How much audio each run size's plan shows Demucs-lite (steps × batch ×
# seconds per chunk):

# %%
plans = pd.DataFrame({size: train.plan("demucs-lite", size)
                      for size in config.SIZES}).T[["steps", "batch_size", "seconds"]]
plans["audio seen (s)"] = plans["steps"] * plans["batch_size"] * plans["seconds"]
display(plans)
seen = plans["audio seen (s)"]
assert seen["quick"] < 60 and seen["lab"] > 100 * seen["quick"] and seen["full"] > seen["lab"]

# %% [markdown]
# Trained here at the `quick` size it has heard seconds of audio. Its network has learned next to nothing:
# with the linear path set to 0 (section 4) its stems are more than 10 dB below the references'
# level and within 0.5 dB of silence's score. Its linear path, a plain filter, has moved further:
# with the path's filtered copy of the mixture added, the stems are louder, yet below the
# references' level, and within 3 dB of silence's score. The `lab` and `full` plans show it
# hundreds of times more (compare its row on the leaderboard after each). Its plain SDR on the
# test song beside silence's and the mixture's, and how loud its stems are against the
# references. The network and its linear path were trained
# together, so after the `lab` or `full` plan (or shipped) the network leans on the path: with the path set
# to 0 every stem comes out quieter, and every stem on which Demucs-lite beats silence scores
# lower. (A stem on which it does not, such as a quiet voice, can score higher without the path:
# the network alone is then close to silence, and silence's 0 dB is the better score.) That row
# is not what a network trained without a path would score: for that, train one with
# `linear_taps=0` (section 3). After 16 `quick` steps the path is a rough filter that can as
# well cost a stem a little.

# %%
def level_db(est, ref):
    """10 log10 of the estimate's energy over the reference's."""
    return 10 * np.log10(np.sum(est.astype(np.float64) ** 2) / np.sum(ref.astype(np.float64) ** 2) + 1e-30)


plain = pd.DataFrame({stem: {"Demucs-lite": float(metrics.sdr(estimates[stem], references[stem])),
                             "its linear path set to 0": float(metrics.sdr(without_path[stem], references[stem])),
                             "silence": float(metrics.sdr(np.zeros_like(references[stem]), references[stem])),
                             "mixture": float(metrics.sdr(mixture, references[stem])),
                             "stem vs the rest of the mix (dB)": level_db(references[stem], mixture - references[stem]),
                             "Demucs-lite level vs reference (dB)": level_db(estimates[stem], references[stem]),
                             "level, its linear path set to 0 (dB)": level_db(without_path[stem], references[stem])}
                      for stem in STEMS})
display(plain.round(2))
assert (plain.loc["silence"].abs() < 1e-6).all()
assert np.allclose(plain.loc["mixture"], plain.loc["stem vs the rest of the mix (dB)"], atol=1e-3)
if trained_long:
    assert (plain.loc["level, its linear path set to 0 (dB)"] < plain.loc["Demucs-lite level vs reference (dB)"]).all()
    beats_silence = plain.loc["Demucs-lite"] > plain.loc["silence"]
    assert beats_silence.any()
    assert (plain.loc["Demucs-lite", beats_silence] > plain.loc["its linear path set to 0", beats_silence]).all()
if SIZE == "quick" and FROM == "train":
    assert (plain.loc["level, its linear path set to 0 (dB)"] < -10).all()
    assert (plain.loc["its linear path set to 0"].abs() < 0.5).all()
    assert (plain.loc["Demucs-lite level vs reference (dB)"] < 0).all()
    assert (plain.loc["Demucs-lite level vs reference (dB)"] > plain.loc["level, its linear path set to 0 (dB)"]).all()
    assert (plain.loc["Demucs-lite"].abs() < 3).all()

# %% [markdown]
# ## 6. 1-D or 2-D: what the waveform buys, and what it costs
# **Phase.** A real-valued mask $M_j$ multiplies each bin of the mixture's STFT by a real
# number, so every estimate keeps the mixture's phase (or flips it, where $M_j < 0$). With a
# softmax gate, or the ideal ratio, Wiener and binary masks of notebook 01, the masks also
# sum to one, and the estimates add up to the mixture exactly. A waveform model writes each
# stem freely: it can give a stem a phase the mixture does not have in that bin, and its
# stems need not add up. Measure it: how far is $\sum_j \hat s_j$ from $x$, relative to $x$?

# %%
def sum_residual_db(est, mix_):
    """10 log10 of ||sum of the estimates - mixture||^2 / ||mixture||^2 (very negative: they add up)."""
    err = sum(est[s] for s in STEMS) - mix_
    return 10 * np.log10(np.sum(err.astype(np.float64) ** 2) / np.sum(mix_.astype(np.float64) ** 2) + 1e-30)


config.seed_everything(0)
mask_model = models.build("unet", **models.hparams("unet", SIZE))    # untrained, softmax-gated masks
residuals = {
    "oracle-irm (mask)": sum_residual_db(separate("oracle-irm", mixture, rate, references=references), mixture),
    "U-Net, untrained (softmax mask)": sum_residual_db(separate("unet", mixture, rate, model=mask_model), mixture),
    "Demucs-lite (waveform)": sum_residual_db(estimates, mixture),
}
for name, r in residuals.items():
    print(f"{name:34s} sum of estimates vs mixture: {r:7.1f} dB")
assert residuals["oracle-irm (mask)"] < -60 and residuals["U-Net, untrained (softmax mask)"] < -60
assert residuals["Demucs-lite (waveform)"] > -60

# %% [markdown]
# The masks' estimates add up to the mixture to float precision; Demucs-lite's do not (at the
# `quick` size they are so quiet that their sum misses nearly all of the mixture). Where the
# stems must add up, one can hand the residual $x - \sum_j \hat s_j$ back to them, a quarter
# to each:

# %%
share = (mixture - sum(estimates[s] for s in STEMS)) / len(STEMS)
topped_up = {s: estimates[s] + share for s in STEMS}
print(f"after handing back the residual: {sum_residual_db(topped_up, mixture):.1f} dB")
assert sum_residual_db(topped_up, mixture) < -60

# %% [markdown]
# **How high can a mask go?** It is tempting to call "the true magnitude with the mixture's
# phase", $|S_j|\,e^{i\angle X}$, the best any mask can do. It is not. In one bin a real mask
# $m$ gives $mX$, and the error $|mX - S_j|^2$ is a parabola in $m$, smallest at
#
# $$m^\star = \operatorname{Re}\frac{S_j}{X} = \frac{|S_j|}{|X|}\cos\bigl(\angle S_j - \angle X\bigr),$$
#
# the **phase-sensitive mask** (PSM; Erdogan et al., 2015): the projection of $S_j$ onto the
# direction of $X$. With the phase error $\Delta = \angle S_j - \angle X$ it leaves
# $|S_j|^2 \sin^2\Delta$, while the true magnitude with the mixture's phase leaves
# $\bigl|\,|S_j| e^{i\angle X} - S_j\bigr|^2 = 2|S_j|^2(1 - \cos\Delta)$, never less, since
# $\sin^2\Delta = (1 - \cos\Delta)(1 + \cos\Delta)$: **when the phase is wrong, shrinking the
# magnitude reduces the error.** The PSM can be negative or above 1; clipped to $[0, 1]$ it
# is still the best mask in $[0, 1]$, bin by bin (a parabola's minimum over an interval lies
# at its vertex clipped to the interval), so in the STFT domain it beats the ratio, Wiener
# and binary masks. Masks bounded to $[0, 1]$ (a sigmoid, a softmax) cannot reach the
# unclipped PSM where it leaves that interval. What no real mask can do is **rotate the
# phase**: only the complex ideal mask $S_j / X$ (the ideal complex ratio mask of Williamson,
# Wang and Wang, 2016) gives $S_j$ back exactly, so it, not any real mask, is the ceiling.
#
# `spectral.phase_sensitive_mask` computes the PSM. Measure all seven estimates on the test
# song, with the STFT of notebook 01 (4096 samples, hop 1024): the plain SDR after the
# inverse STFT, and the same ratio in the STFT domain, where the relations above are exact.

# %%
X = spectral.stft(mixture)                                          # (channels, freqs, frames)
specs = {s: spectral.stft(references[s]) for s in STEMS}
mags = {s: S_.abs() for s, S_ in specs.items()}
power = X.abs() ** 2
complex_ideal = {s: torch.where(power > spectral.EPS, S_ * X.conj() / power.clamp_min(spectral.EPS), 0)
                 for s, S_ in specs.items()}                         # S_j / X, where the mixture sounds
masks = {
    "true magnitude, mixture phase": {s: torch.where(X.abs() > 0, mags[s] / X.abs().clamp_min(1e-30), 0.0)
                                      for s in STEMS},                # |S_j| / |X|: gives |S_j| e^{i angle X}
    "IRM": spectral.ideal_ratio_mask(mags),
    "Wiener": spectral.wiener_mask(mags),
    "IBM": spectral.ideal_binary_mask(mags),
    "PSM in [0, 1]": spectral.phase_sensitive_mask(specs, X),
    "PSM (unclipped)": spectral.phase_sensitive_mask(specs, X, bounds=None),
    "complex ideal mask": complex_ideal,
}
length = mixture.shape[1]
time_sdr, stft_sdr = {}, {}
for name, mask in masks.items():
    est_specs = {s: mask[s] * X for s in STEMS}
    time_sdr[name] = {s: float(metrics.sdr(spectral.istft(est_specs[s], length).numpy(), references[s]))
                      for s in STEMS}
    stft_sdr[name] = {s: float(10 * torch.log10((mags[s] ** 2).sum() / (est_specs[s] - specs[s]).abs().pow(2).sum()))
                      for s in STEMS}
time_sdr, stft_sdr = pd.DataFrame(time_sdr).T, pd.DataFrame(stft_sdr).T
print("plain SDR after the inverse STFT (dB):")
display(time_sdr.round(2))
print("the same ratio in the STFT domain (dB):")
display(stft_sdr.round(2))

# %% [markdown]
# The first row is itself a real mask, $|S_j| / |X|$ (unbounded above). Read the tables by
# rows. In the STFT domain the order is exact, on every stem: the complex ideal
# mask gives the stems back to float precision; the unclipped PSM beats the true magnitude
# with the mixture's phase and the PSM in $[0, 1]$; that one beats the ratio, Wiener and
# binary masks. After the inverse STFT (which projects each estimate onto a signal, and
# removes some of its error) the same order holds on this song, and the PSM in $[0, 1]$ also
# beats the true magnitude with the mixture's phase on every stem, by less. Where the ratio,
# Wiener and binary masks land against that magnitude depends on the song and the stem. The
# unclipped PSMs also sum to one, $\sum_j \operatorname{Re}(S_j / X) = \operatorname{Re}(1)$,
# so their estimates add up to the mixture.

# %%
T, F_ = time_sdr, stft_sdr
tm, psm01, psm, cim = "true magnitude, mixture phase", "PSM in [0, 1]", "PSM (unclipped)", "complex ideal mask"
bounded = ["IRM", "Wiener", "IBM"]
# exact in the STFT domain (up to float error)
assert (F_.loc[cim] > 60).all()
assert (F_.loc[psm] >= F_.loc[tm] - 1e-3).all() and (F_.loc[psm] >= F_.loc[psm01] - 1e-3).all()
assert (F_.loc[psm01] >= F_.loc[bounded].max() - 1e-3).all()
# after the inverse STFT: measured, with margins that held on every test song of every run size
assert (T.loc[cim] > 60).all()
assert (T.loc[psm] > T.loc[tm] + 1).all() and (T.loc[psm] > T.loc[psm01]).all()
assert (T.loc[psm01] > T.loc[bounded].max()).all() and (T.loc[psm01] > T.loc[tm]).all()
psm_estimates = {s: masks[psm][s] * X for s in STEMS}
assert sum_residual_db({s: spectral.istft(psm_estimates[s], length).numpy() for s in STEMS}, mixture) < -60

# %% [markdown]
# **What the waveform buys.** A waveform model is not bound to the mixture's phase, so its
# ceiling is the complex one, the last row, not the unclipped PSM's: it may write each stem's
# own phase in every bin, where the best real mask still loses what the gap between those two
# rows says. **What it costs.** That freedom has to be learned: the network must get every
# sample's sign and timing right (in section 2 a flipped polarity costs twice the L1 of
# silence), where a mask model decides only how much of each bin to keep and gets a phase that
# is close where the stem dominates for free. Waveform models learn slowly: Demucs relies on
# data augmentation and reports its best scores with 150 extra training songs (Défossez et
# al., 2019); compare this notebook's Demucs-lite with the mask models on the leaderboard of
# section 5. The cost of one training step (forward, loss, backward) on a batch
# of two half-second chunks, at this run size, on the CPU (wall-clock times depend on your
# machine and on what else it is doing):

# %%
def step_seconds(name, repeats=2):
    """Wall time of forward + loss + backward on a batch of two 0.5 s chunks (the best of a few)."""
    config.seed_everything(0)
    net = models.build(name, **models.hparams(name, SIZE))
    loss_fn = losses.loss_for(name)
    mix_ = 0.1 * torch.randn(2, 2, rate // 2, generator=torch.Generator().manual_seed(0))
    stems_ = mix_[:, None].expand(-1, len(STEMS), -1, -1) / len(STEMS)
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        loss_fn(net, mix_, stems_).backward()
        best = min(best, time.perf_counter() - start)
    return {"parameters": models.parameter_count(net), "seconds per step (CPU)": best}


cost = pd.DataFrame({name: step_seconds(name) for name in ("unet", "dprnn", "demucs-lite")}).T
cost["relative to unet"] = cost["seconds per step (CPU)"] / cost.loc["unet", "seconds per step (CPU)"]
cost["parameters"] = cost["parameters"].astype(int)
display(cost.round(3))

# %% [markdown]
# ## 7. Where it breaks: a shift of one sample
# Strided convolutions look at the waveform on a grid of `stride ** depth` samples. Shift the
# input by a multiple of that and the encoder sees the same grid, shifted; shift it by one
# sample and every encoder level sees different numbers. A model that has not learned to be
# indifferent to this gives a different answer. Measure the change in the estimates (the
# energy of the difference over the estimate's), in the middle of two seconds of the test
# song:

# %%
grid = model.chunk_multiple
clip = torch.from_numpy(mixture[:, : 2 * rate])[None].to(dev)
margin = rate // 4
model.eval()
with torch.no_grad():
    reference_out = model(clip)
    change = {}
    for shift in (grid, 1, grid // 2):
        shifted = model(clip[..., shift:])                            # its sample n is the clip's n + shift
        a = reference_out[..., shift + margin: clip.shape[-1] - margin]
        b = shifted[..., margin: margin + a.shape[-1]]
        change[shift] = float(10 * torch.log10(((a - b) ** 2).sum() / (a ** 2).sum()))
for shift, db in change.items():
    print(f"shift by {shift:3d} samples{' (the grid)' if shift == grid else '':11s}: change {db:6.1f} dB relative to the estimate")
assert grid == model.hparams["stride"] ** model.hparams["depth"]
assert change[grid] < change[1]  # on the grid the model (almost) just shifts its answer

# %% [markdown]
# Demucs answers with the **shift trick** (Défossez et al., 2019): separate several randomly
# shifted copies of the mixture and average, at as many times the cost. Training with random
# shifts (which `RandomChunks` gives for free: every chunk starts at a random sample) teaches
# some of that indifference too.

# %% [markdown]
# ## 8. A real song
# Every song so far was synthetic. `data.real_song()` is a real one with its four true stems:
# a 6-second excerpt of "The Easton Ellises - Falcon 69" from the MUSDB18 test set, shipped with
# the `stempeg` package (license CC BY-NC-SA: for teaching and research). Separate it with the
# same Demucs-lite and listen: the mixture, the estimate and the true stem.

# %%
real = data.real_song()
real_mix, real_refs = data.track_mixture(real), data.track_stems(real)
real_est = separate("demucs-lite", real_mix, real.rate, model=model)
display(audio.play(real_mix, real.rate, title=f"the real song: {real.name}"))
for stem in ("vocals", "drums", "bass"):
    display(audio.play(real_est[stem], real.rate, title=f"Demucs-lite on the real song: {stem}"))
    display(audio.play(real_refs[stem], real.rate, title=f"the real song's true {stem}"))

# %% [markdown]
# What changes on real music: a sung voice with consonants and breath, guitars and a drum kit
# in a room, timbres the synthetic generator never made and Demucs-lite never heard; reverb
# that smears each source over time; and a mastered, AAC-coded mix whose four true stems do
# not add up to the mixture (the rest is printed below). For a waveform model the last point
# matters less than for a mask model, whose estimates must share out the mixture: Demucs-lite's
# estimates need not add up to anything (section 6). Its scores on the song, beside the
# synthetic test split, the mixture and the oracle ratio mask (the oracles use the true stems,
# so their rows are the same at every run size; the model's row depends on how it was trained:
# trained here at the `quick` size it has heard seconds of audio, and nothing about it is asserted):

# %%
print(f"true stems summed vs the mixture: {sum_residual_db(real_refs, real_mix):.1f} dB; "
      f"Demucs-lite's estimates summed: {sum_residual_db(real_est, real_mix):.1f} dB")
assert -25 < sum_residual_db(real_refs, real_mix) < -8
real_dataset = metrics.dataset_of([real])
metrics.score_missing(["demucs-lite", "mixture", "oracle-irm"], [real],  # stored scores are reused
                      method_kwargs={"demucs-lite": {"checkpoint": CKPT}})
real_board = metrics.leaderboard(real_dataset)
beside = pd.DataFrame({f"Demucs-lite: synthetic test split ({len(test)} songs)": board.loc["demucs-lite", list(STEMS)],
                       "Demucs-lite: the real song": real_board.loc["demucs-lite", list(STEMS)],
                       "mixture: the real song": real_board.loc["mixture", list(STEMS)],
                       "oracle-irm: the real song": real_board.loc["oracle-irm", list(STEMS)]}).T
beside["mean"] = beside[list(STEMS)].mean(axis=1)
display(beside.round(2))
assert (real_board.loc["oracle-irm", list(STEMS)] > real_board.loc["mixture", list(STEMS)] + 5).all()

# %% [markdown]
# Training on real songs (notebook 09) is the way to a better row on real music.

# %% [markdown]
# ## Exercises
# Each exercise has an answer cell (replace `None`, or fill in the function or class) and a
# check cell below it. The check says whether your answer is missing, wrong or right, and
# never prints the answer; `ex.q1.hint()` gives a hint and `ex.q1.solution()` shows a
# solution, when you ask.
#
# **1. Receptive field.** A convolution with kernel $k$ and stride $s$ at level $\ell$
# (counting from 0) widens the window of input samples that one output depends on by
# $(k-1)\,s^{\ell}$ (the $1\times1$ convolutions widen nothing). Write
# `receptive_field(depth, kernel_size, stride)`: how many input samples one bottleneck step
# of the encoder sees (before the BiLSTM, which then sees everything). The check measures it
# by back-propagating from one bottleneck step to the input, for a few encoders.

# %%
from seplib.exercises import nb06 as ex

# %% tags=["answer-1"]
def receptive_field(depth, kernel_size, stride):
    return None  # your code: an integer number of samples


# %%
ex.q1.check(receptive_field)

# %% [markdown]
# **2. Where a bounded mask falls short.** Write `fraction_outside(S, X)`: in what fraction
# of the STFT bins of a stem `S` (both channels, every frequency and frame) does its unclipped
# phase-sensitive mask against the mixture `X` fall outside $[0, 1]$? Those are the bins where
# no sigmoid or softmax mask can reach the least-squares best of section 6. The check runs it
# on the vocals (`specs["vocals"]`, `X`) and on test spectra whose two channels differ; then
# look at `fraction_outside(specs[s], X)` for every stem.

# %% tags=["answer-2"]
def fraction_outside(S, X):
    return None  # your code: a number between 0 and 1


# %%
ex.q2.check(fraction_outside, vocals=specs["vocals"], X=X)

# %% [markdown]
# **3. Stack a refinement network after the separator.** The separator's estimates are a
# good start; a second, small network that looks at all four of them at once could remove
# what leaked from one stem into another. Write `Refiner`, an `nn.Module` whose `forward`
# takes the estimates `(batch, stems, channels, samples)` and returns the same shape: for
# instance a tiny 1-D U-Net on `stems * channels` input channels (one strided `Conv1d` down,
# a `Conv1d`, a `ConvTranspose1d` back up, a skip) whose output is *added* to its input. It
# must start as the identity (zero the last layer's weights and bias: then it can only improve
# on the separator), have trainable parameters that the loss reaches, and work for any
# length, odd ones too. Once trained, each of its outputs must depend on all four stems and on
# neighbouring samples: one learned gain, or a layer that sees one stem or one sample at a
# time, refines nothing. The `Stacked` module below chains the two; the check runs a forward
# and a backward pass through the stack with the demucs-lite loss, then gives the refiner
# random weights and measures what each output depends on.

# %%
class Stacked(nn.Module):
    """A separator followed by a refiner: mixture -> first estimates -> refined estimates."""

    def __init__(self, separator, refiner):
        super().__init__()
        self.separator, self.refiner = separator, refiner
        self.stems, self.audio_channels = separator.stems, separator.audio_channels

    def forward(self, mixture):
        return self.refiner(self.separator(mixture))   # (batch, stems, channels, samples)


# %% tags=["answer-3"]
class Refiner(nn.Module):
    def __init__(self, stems=len(STEMS), channels=2, hidden=16):
        super().__init__()
        # your layers here

    def forward(self, estimates):
        return None  # your code: (batch, stems, channels, samples) -> same shape


# %%
ex.q3.check(Refiner, Stacked=Stacked)

# %% [markdown]
# ## References
# - A. Défossez, N. Usunier, L. Bottou, F. Bach. *Music source separation in the waveform
#   domain*. arXiv:1911.13254, 2019 (Demucs: the architecture of section 1, the L1 loss, the
#   shift trick).
# - D. Stoller, S. Ewert, S. Dixon. *Wave-U-Net: a multi-scale neural network for end-to-end
#   audio source separation*. ISMIR 2018 (the first waveform U-Net for music separation).
# - Y. N. Dauphin, A. Fan, M. Auli, D. Grangier. *Language modeling with gated convolutional
#   networks*. ICML 2017 (the gated linear unit).
# - R. Yamamoto, E. Song, J.-M. Kim. *Parallel WaveGAN: a fast waveform generation model
#   based on generative adversarial networks with multi-resolution spectrogram*. ICASSP 2020
#   (the multi-resolution STFT loss of section 2).
# - A. Défossez, G. Synnaeve, Y. Adi. *Real time speech enhancement in the waveform domain*.
#   Interspeech 2020 (waveform L1 plus the multi-resolution STFT loss).
# - H. Erdogan, J. R. Hershey, S. Watanabe, J. Le Roux. *Phase-sensitive and
#   recognition-boosted speech separation using deep recurrent neural networks*. ICASSP 2015
#   (the phase-sensitive mask of section 6).
# - D. S. Williamson, Y. Wang, D. Wang. *Complex ratio masking for monaural speech
#   separation*. IEEE/ACM Transactions on Audio, Speech, and Language Processing 24(3), 2016
#   (the complex ideal ratio mask of section 6).
