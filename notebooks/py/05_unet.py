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
# # 05 · A spectrogram U-Net that learns the masks
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/seplib/seplib-workbook/blob/main/notebooks/05_unet.ipynb)
#
# **Goal.** Notebooks 02–04 built masks from rules (median filters, repetition, spectral
# templates); here a convolutional network *learns* them from examples: a U-Net that looks at
# the mixture's spectrogram and writes one soft mask per stem (Jansson et al., 2017, after the
# U-Net of Ronneberger et al., 2015). By the end you can build the
# training data with augmentation, check that a model can learn at all (overfit one chunk),
# train it with checkpoints that survive a disconnect, score it against the classical methods
# and the oracles, hear it on a real song, refine it with the multichannel Wiener filter, and run
# small ablations to see which design choices matter.

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
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from IPython.display import display

from seplib import STEMS, audio, config, data, listen, losses, metrics, models, plots, postfilter, separate, spectral, train
from seplib.data.chunks import FixedChunks, RandomChunks
from seplib.run import current

train_tracks, valid_tracks, test = (data.open_dataset(split) for split in ("train", "valid", "test"))
dataset = metrics.dataset_of(test)
rate = test[0].rate
print(f"{len(train_tracks)} train, {len(valid_tracks)} valid, {len(test)} test tracks ({dataset})")
HPARAMS = models.hparams("unet", SIZE)   # the U-Net of this run size
PLAN = train.plan("unet", SIZE)          # steps, batch size, chunk seconds, ...
print("U-Net:", HPARAMS)
print("training plan:", PLAN)
FROM = config.models_from()              # "train": the U-Net trains here; "shipped": the one in seplib
print("the U-Net of sections 5 to 11:", "trained here" if FROM == "train" else "the one shipped with seplib")

# %% [markdown]
# ## 1. The idea: masks from an encoder/decoder with skips
# Treat the stereo log-magnitude spectrogram $\log(1 + |X|)$ as a two-channel image
# (channels × freqs × frames). A stack of strided 2-D convolutions (the **encoder**) halves
# its frequency and time resolution at each level while doubling the number of feature maps,
# so deep units see a wide context: a whole chord, a drum hit with its decay. Transposed
# convolutions (the **decoder**) bring it back to full size; at each level the decoder's map is
# concatenated with the encoder's map of the same size (a **skip connection**), which hands
# back the fine detail the bottleneck lost. The last skip is the input itself, at full
# resolution: the last layer (the **head**) sees it beside the upsampled features, because a
# mask has to follow single harmonics (the cell after the drawing shows what half the
# frequency resolution costs). The head writes one logit map $z_j$ per stem (and audio
# channel), and a gate turns them into masks:
#
# $$M_j = \frac{e^{z_j}}{\sum_k e^{z_k}} \quad\text{(softmax: the masks sum to one)}, \qquad
# \hat S_j = M_j \odot X, \qquad \hat s_j = \mathrm{iSTFT}(\hat S_j).$$
#
# Like the oracle masks of notebook 01, the estimate keeps the mixture's phase. The plainest
# way to train it is to make the masked magnitudes match the true ones, with a per-stem
# weight $w_j$ (the *magnitude spectrum approximation* of Erdogan et al., 2015, who compare
# it with a phase-sensitive variant; Jansson et al. train their U-Net with this L1 loss):
#
# $$\mathcal{L} = \frac{\sum_j w_j \,\operatorname{mean}\bigl|\,M_j \odot |X| - |S_j|\,\bigr|}{\sum_j w_j};$$
#
# section 5 trains on the SDR of the estimates instead, and says why.
#
# The picture is the network itself: run a forward pass and record the shape after each stage
# with forward hooks. (The input has fewer frequency rows than the masks: the network sees
# only the STFT bins below `max_bin`, section 3 says why and what happens above.)

# %%
config.seed_everything(0)
unet = models.build("unet", **HPARAMS)
mixture = data.track_mixture(test[0])
x = torch.from_numpy(mixture[:, : 2 * rate])[None]         # (batch=1, channels, samples): 2 s

stages = []
def record(name):
    def hook(module, inputs, output):
        if not stages:                                       # the encoder's input: padded features
            stages.append(("input features (padded)", tuple(inputs[0].shape)))
        stages.append((name, tuple(output.shape)))
    return hook

handles = [block.register_forward_hook(record(f"encoder {i + 1}")) for i, block in enumerate(unet.encoder)]
handles += [block.register_forward_hook(record(f"decoder {len(unet.decoder) - i}")) for i, block in enumerate(unet.decoder)]
handles.append(unet.up.register_forward_hook(record("decoder: up to full resolution")))
handles.append(unet.head.register_forward_hook(record("head (mask logits)")))
with torch.no_grad():
    masks = unet.masks(x)
for h in handles:
    h.remove()
shapes = pd.DataFrame(stages, columns=["stage", "shape (batch, channels, freqs, frames)"])
shapes["level"] = [int(np.log2(stages[0][1][2] // shape[2])) for _, shape in stages]
display(shapes)
print("masks:", tuple(masks.shape), "= (batch, stems, channels, freqs, frames)")

# %%
plots.unet_diagram(stages)   # boxes at (order of the forward pass, -level); dashed: the skip connections
plt.show()

# %% [markdown]
# **Why a skip at full resolution?** A mask made at half the frequency resolution gives the
# same value to two neighbouring bins, and a voice's harmonic rarely fills both. Even the
# oracle loses: the ideal ratio mask, averaged over pairs of bins, scores worse on the vocals
# of a test song (plain SDR, this U-Net's STFT):

# %%
n_fft_, hop_ = HPARAMS["n_fft"], HPARAMS["hop"]
piece = slice(0, min(mixture.shape[1], 10 * rate))
refs = {s: x[:, piece] for s, x in data.track_stems(test[0]).items()}
X_mix = spectral.stft(mixture[:, piece], n_fft_, hop_)
irm_vocals = spectral.ideal_ratio_mask(spectral.magnitudes(refs, n_fft_, hop_))["vocals"]   # (channels, freqs, frames)
half = torch.nn.functional.avg_pool2d(irm_vocals[None], (2, 1), ceil_mode=True)             # pairs of bins
half = half.repeat_interleave(2, dim=-2)[0, :, : irm_vocals.shape[-2]]                     # back to every bin
resolution = {name: metrics.sdr(spectral.istft(m * X_mix, refs["vocals"].shape[-1], n_fft_, hop_).numpy(),
                                refs["vocals"])
              for name, m in [("full resolution", irm_vocals), ("half the frequency resolution", half)]}
print({k: f"{v:.2f} dB" for k, v in resolution.items()},
      f"difference {resolution['full resolution'] - resolution['half the frequency resolution']:.2f} dB")
assert resolution["full resolution"] > resolution["half the frequency resolution"]

# %% [markdown]
# ## 2. The data pipeline: random chunks with augmentation
# A model never sees a whole song while it trains. `RandomChunks` cuts a few seconds at a
# random place, and to make a small data set look bigger it can (the augmentations of
# Uhlich et al., 2017)
# * scale each stem by a random **gain**,
# * **swap** a stem's left and right channels,
# * **remix** across songs: take each stem from a different song and place.
#
# The mixture is then remade as the sum of the chosen stems, so the targets stay exact. Every
# chunk is a pure function of `(seed, epoch, index)`, so the same settings give the same
# chunk; that lets us switch on one augmentation at a time and compare with the plain chunk.

# %%
chunk_s = 4.0
kinds = {
    "as mixed": dict(gain=None, swap=0.0, remix=0.0),
    "gain": dict(swap=0.0, remix=0.0),
    "channel swap": dict(gain=None, swap=1.0, remix=0.0),
    "cross-song remix": dict(gain=None, swap=0.0, remix=1.0),
    "all (the training default)": dict(),
}
chunks = {name: RandomChunks(train_tracks, seconds=chunk_s, samples_per_epoch=4, seed=1, **kw)[0]
          for name, kw in kinds.items()}
plain_mix, plain_stems = chunks["as mixed"]
gains = (chunks["gain"][1].flatten(1).norm(dim=1) / plain_stems.flatten(1).norm(dim=1)).numpy()
print("gain per stem:", {s: round(float(g), 2) for s, g in zip(STEMS, gains)})
assert torch.equal(chunks["channel swap"][1], plain_stems.flip(1))  # same chunk, left <-> right
for name, (mix, stems_) in chunks.items():                          # the mixture is the sum of its stems
    assert torch.allclose(mix, stems_.sum(0), atol=1e-6), name
print("every chunk: mixture == sum of its stems")

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 3.2), sharey=True)
for ax, name in zip(axes, ("as mixed", "cross-song remix", "all (the training default)")):
    plots.spectrogram(chunks[name][0].numpy(), rate, ax=ax, title=name, max_hz=5000)
fig.tight_layout()
plt.show()
for name, (mix, _) in chunks.items():
    display(audio.play(mix.numpy(), rate, title=f"training chunk: {name}"))

# %% [markdown]
# A remixed chunk is not a song anymore (its drums and its vocals were never in the same key
# or tempo), but every part of it is real and its targets are exact: the network has to learn
# what a voice *is*, not where it usually sits in a song.
#
# ## 3. The model
# `seplib.models.build("unet", **HPARAMS)` makes the network drawn above; the hyper-parameters
# follow the run size (small on a CPU, bigger on a GPU).

# %%
print(f"U-Net ({SIZE}): {models.parameter_count(unet):,} trainable parameters")
noise = 0.1 * torch.randn(2, 2, rate, generator=torch.Generator().manual_seed(0))  # (batch, channels, samples)
with torch.no_grad():
    m = unet.masks(noise)
    each_masked = unet.front.apply(unet.spectrogram(noise), m, noise.shape[-1])  # every stem: mask, inverse STFT
    estimates = unet(noise)
total = m.sum(dim=1)
print("masks", tuple(m.shape), f"in [{float(m.min()):.3f}, {float(m.max()):.3f}], "
      f"sum over stems in [{float(total.min()):.6f}, {float(total.max()):.6f}]")
assert torch.allclose(total, torch.ones_like(total), atol=1e-5)              # softmax gate
assert torch.allclose(each_masked.sum(dim=1), noise, atol=1e-4)               # estimates add up to the input
assert torch.allclose(estimates, each_masked, atol=1e-5)                      # forward: three inverse STFTs, same stems
print("estimates", tuple(estimates.shape), "= (batch, stems, channels, samples), and they sum to the mixture")

# %% [markdown]
# Even untrained, the softmax gate makes the four estimates add up to the mixture: the
# network can only *share* the mixture among the stems, never invent or lose energy. So the
# model's `forward` needs only three inverse STFTs: the last stem is the mixture minus the other
# three, the same waveform up to float rounding (checked above), and training and separating
# are cheaper for it.
#
# **Which frequencies the network sees: `max_bin`.** An STFT of $n_{\text{fft}}$ samples has
# $n_{\text{fft}}/2 + 1$ bins, bin $k$ at $k f_s / n_{\text{fft}}$ Hz, up to half the sample
# rate $f_s$. The network sees only the lowest `max_bin` of them: the image stays small (the
# encoder's cost grows with its height), and the model is spent where the stems differ, on
# the fundamentals and first harmonics of bass, voice and instruments. Spleeter (Hennequin et
# al., 2020) makes the same cut at 11 kHz, Open-Unmix (Stöter et al., 2019) at 16 kHz. Here
# it depends on the run size:

# %%
sizes = pd.DataFrame({size: {"n_fft": hp["n_fft"], "STFT bins": hp["n_fft"] // 2 + 1,
                             "max_bin (bins it sees)": hp["max_bin"],
                             "up to (Hz)": round(hp["max_bin"] * rate / hp["n_fft"])}
                      for size, hp in ((s, models.hparams("unet", s)) for s in config.SIZES)}).T
display(sizes)
max_bin = HPARAMS["max_bin"]
top_hz = max_bin * rate / HPARAMS["n_fft"]
print(f"this run ({SIZE}): the U-Net sees bins 0 to {max_bin - 1} of {HPARAMS['n_fft'] // 2 + 1}, "
      f"up to {top_hz:.0f} Hz of the {rate / 2:.0f} Hz the STFT covers")
assert unet.front.bins == max_bin and stages[0][1][2] >= max_bin   # the input image: max_bin rows (padded)
# above max_bin every bin holds the mask of the top modelled bin, frame by frame
assert torch.equal(m[..., max_bin:, :], m[..., max_bin - 1: max_bin, :].expand_as(m[..., max_bin:, :]))

# %% [markdown]
# **The front end, checked against the libraries.** Everything the U-Net sees comes from its
# STFT (`unet.spectrogram`, seplib's `spectral.stft`: a periodic Hann window of `n_fft`
# samples, frames centred on multiples of the hop, the signal zero-padded at both ends) and
# everything it writes goes back through the inverse STFT. Both must agree, value for value,
# with what `librosa` and PyTorch compute from the same settings, on a second of the test song:

# %%
import librosa

piece_x = torch.from_numpy(mixture[:, :rate])[None]                      # (1, channels, samples): 1 s
ours = unet.spectrogram(piece_x)[0].numpy()                               # (channels, freqs, frames)
by_librosa = librosa.stft(piece_x[0].numpy(), n_fft=n_fft_, hop_length=hop_, window="hann", center=True,
                          pad_mode="constant")
by_torch = torch.stft(piece_x[0], n_fft_, hop_, window=torch.hann_window(n_fft_), center=True,
                      pad_mode="constant", return_complex=True).numpy()
scale = np.abs(by_librosa).max()
front_check = {"librosa.stft": float(np.abs(ours - by_librosa).max() / scale),
               "torch.stft": float(np.abs(ours - by_torch).max() / scale),
               "librosa.istft (inverse)": float(np.abs(
                   unet.front.apply(torch.from_numpy(ours)[None], torch.ones(1, 1, *ours.shape), rate)[0, 0].numpy()
                   - librosa.istft(by_librosa, n_fft=n_fft_, hop_length=hop_, window="hann", center=True, length=rate)
               ).max() / np.abs(piece_x.numpy()).max())}
print(f"STFT {ours.shape} (channels, freqs, frames); largest difference, relative to the largest value:",
      {k: f"{v:.1e}" for k, v in front_check.items()})
assert ours.shape == by_librosa.shape == (2, n_fft_ // 2 + 1, 1 + rate // hop_)
assert max(front_check.values()) < 1e-5

# %% [markdown]
# Above `max_bin` the network writes no mask of its own: every higher bin takes the mask of
# the highest modelled bin in the same frame (`unet.front.extend`, the assertion above). The
# masks still sum to one there, so nothing is lost, but everything up there is shared among
# the stems in the proportions of that one bin, whatever plays. What that costs depends on
# what lives above the cut. Measure it on the test songs (their first 10 s): each stem's
# share of energy above `max_bin`, and the SDR the *oracle* loses when its ideal ratio mask is
# held the same way.

# %%
above, lost = {s: [] for s in STEMS}, {s: [] for s in STEMS}
for t in test:
    refs_t = {s: x[:, : 10 * rate] for s, x in data.track_stems(t).items()}
    mix_t = spectral.stft(sum(refs_t.values()), n_fft_, hop_)
    mags_t = spectral.magnitudes(refs_t, n_fft_, hop_)
    irm_t = spectral.ideal_ratio_mask(mags_t)
    for s in STEMS:
        power = mags_t[s] ** 2
        above[s].append(float(power[..., max_bin:, :].sum() / power.sum()))
        full_mask, held_mask = irm_t[s], unet.front.extend(irm_t[s][..., :max_bin, :])
        full_sdr, held_sdr = (metrics.sdr(spectral.istft(mk * mix_t, refs_t[s].shape[-1], n_fft_, hop_).numpy(), refs_t[s])
                              for mk in (full_mask, held_mask))
        lost[s].append(full_sdr - held_sdr)
cost = pd.DataFrame({"energy above max_bin (%)": {s: 100 * np.nanmean(v) for s, v in above.items()},
                     "oracle SDR lost by the held mask (dB)": {s: np.nanmean(v) for s, v in lost.items()}})
display(cost.round(2))
share = cost["energy above max_bin (%)"] / 100
assert share.idxmax() == "drums" and share["drums"] > 0.05           # cymbals and hi-hats live up there
assert share["bass"] < 0.01                                           # the bass has next to nothing
lost_db = cost["oracle SDR lost by the held mask (dB)"]
assert lost_db.min() > -0.05 and lost_db.max() < 3.0
if dataset.startswith("synth"):                                        # on these synthetic songs, nor does the voice
    assert share["vocals"] < 0.01 and lost_db[["bass", "vocals"]].max() < 0.5

# %% [markdown]
# On these synthetic songs the drums have the most energy above the cut (cymbals, hi-hats,
# the snare's rattle), more than 5 % of theirs; the bass and the voices under 1 %, and `other`
# usually too (a bright pluck or piano can put a few % there: see the table). So holding one
# bin's mask costs little: the oracle loses under 3 dB on every stem, and under 0.5 dB on the
# bass and the vocals, which have next to nothing up there. On real recordings a voice's "s"
# and "t" and the brightness of guitars and synths live up there too, and they are shared in
# the same proportions as the hi-hat above them:
# a larger `max_bin` (the `full` size's, or Open-Unmix's 16 kHz) is the cure, at a cost in
# computation.
#
# ## 4. The debugging habit: overfit one chunk first
# Before spending minutes (or hours) on a training run, check that the model, the loss and the
# optimizer can learn *anything*: train on one single chunk and watch the loss fall. If it
# does not fall by a large factor, there is a bug (a wrong target, a detached tensor, a
# learning rate off by 100) and the long run would only waste time. Here with
# `seplib.train.train_step`, the step `fit` repeats, the Adam optimizer (Kingma & Ba, 2015)
# and the plainest loss: L1 between the masked mixture magnitudes $M_j \odot |X|$ and the true
# magnitudes $|S_j|$, whose floor we can compute (the ideal ratio mask's loss). In 60 steps
# the loss should fall below 40 % of where it started, towards that floor.

# %%
one = FixedChunks(train_tracks[:1], seconds=0.25, per_track=3)
one_mix, one_stems = (t[None] for t in one[1])           # (1, channels, samples), (1, stems, channels, samples)
config.seed_everything(0)
small = models.build("unet", **models.hparams("unet", "quick"))
optimizer = torch.optim.Adam(small.parameters(), lr=1e-2)
loss_fn = losses.loss_for("unet", kind="l1")
overfit = [train.train_step(small, loss_fn, optimizer, one_mix, one_stems) for _ in range(60)]

# for scale: the loss of the ideal ratio mask on the same chunk
X = small.spectrogram(one_mix)
true_mags = {s: small.spectrogram(one_stems[:, j]).abs() for j, s in enumerate(STEMS)}
irm = spectral.ideal_ratio_mask(true_mags)
irm_loss = float(losses.magnitude_loss(torch.stack([irm[s] for s in STEMS], 1) * X.abs()[:, None],
                                       torch.stack([true_mags[s] for s in STEMS], 1)))
fig, ax = plt.subplots(figsize=(8, 3))
ax.plot(overfit, label="training loss on one chunk")
ax.axhline(irm_loss, color="k", ls="--", label="ideal ratio mask")
ax.set(xlabel="step", ylabel="loss", yscale="log", title="overfitting one chunk")
ax.legend()
plt.show()
print(f"loss: {overfit[0]:.4f} -> {overfit[-1]:.4f} ({overfit[-1] / overfit[0]:.2f} of the start); "
      f"ideal ratio mask: {irm_loss:.4f}")
assert overfit[-1] < 0.4 * overfit[0], "the model cannot even fit one chunk: look for a bug"

# %% [markdown]
# ## 5. Training
# **The loss.** L1 on magnitudes measures errors in absolute terms: the loud bins of loud stems
# dominate it, and a quiet stem's errors hardly count, while the scores are per stem and
# relative (dB). The U-Net trains instead on what we score it by,
# the SDR of each stem's waveform (the masks applied to the mixture's STFT, back through the
# inverse STFT), over the whole batch (so a chunk where a stem is silent does not dominate):
#
# $$\mathcal L = -\frac{1}{J}\sum_j 10\log_{10}\frac{\sum \|s_j\|^2}{\sum \|s_j - \hat s_j\|^2}$$
#
# (`losses.sdr_loss`; `losses.loss_for("unet")` picks it, `kind="l1"` the magnitude loss).
# Lower is better, and it is in dB: $-4$ means an SDR of $4$ dB on the batch. Section 12
# compares the losses (at the `lab` and `full` sizes).
#
# **The plan.** `PLAN` (printed at the top) says how many steps, how many chunks of how many
# seconds per step, and the loss's stem weights $w_j$ (the weighted mean of the per-stem losses,
# `losses.weigh_stems`; a stem it does not name weighs 1). At `lab` it is 1300 steps of 4 chunks,
# about five minutes on a laptop's two cores, with two choices measured on the lab test songs
# (benchmarks/README.md, "variants.py", has the figures): the vocals weigh three times, and a
# chunk lasts 2.95 s, not 3. That second one is the padding of section 3 again: the encoder pads
# the frames up to a multiple of $2^{\text{depth}}$, and the next cell counts them.

# %%
from seplib.units import seconds_to_samples


def frames_of(seconds, hp, rate=44100):
    """A chunk's STFT frames, and the frames the U-Net's layers work on (padded to a multiple of 2 ** depth)."""
    frames = 1 + seconds_to_samples(seconds, rate) // hp["hop"]
    return frames, -(-frames // 2 ** hp["depth"]) * 2 ** hp["depth"]


lab_plan, lab_hp = train.plan("unet", "lab"), models.hparams("unet", "lab")
padding = pd.DataFrame([dict(zip(("chunk (s)", "frames", "frames worked on"), (s, *frames_of(s, lab_hp))))
                        for s in (3.0, lab_plan["seconds"])]).set_index("chunk (s)")
display(padding)
print(f"this run's plan ({SIZE}): {PLAN['steps']} steps of {PLAN['batch_size']} chunks of {PLAN['seconds']} s, "
      f"stem weights {PLAN['loss'] or 'all 1'}")
assert lab_plan["loss"] == {"vocals": 3.0} and lab_plan["seconds"] == 2.95
assert padding.loc[3.0].tolist() == [130, 160] and padding.loc[2.95].tolist() == [128, 128] and lab_hp["depth"] == 5
work = padding["frames worked on"]
print(f"work per chunk: {work[2.95] / work[3.0]:.2f} of the 3 s chunk's, for {1 - 2.95 / 3.0:.1%} less audio")
assert work[2.95] / work[3.0] == 0.8 and round(1 - 2.95 / 3.0, 3) == 0.017

# %% [markdown]
# Three seconds make 130 frames, and the layers work on 160 of them, 30 of zeros; 2.95 s make
# 128, a multiple of $2^5$, and nothing is padded: the layers do a fifth less work per chunk
# (128 of 160 frames) for 1.7 % less audio, so five minutes hold more steps.
#
# `seplib.train.train_model("unet")` does the whole recipe: random chunks of the train split
# (with the augmentation above), fixed chunks of the valid split for validation, AdamW (Adam
# with decoupled weight decay, Loshchilov & Hutter, 2019) with a cosine learning-rate schedule, gradient clipping and mixed precision on a GPU. On a GPU the
# batches are cut by background processes (`workers`) while the model trains, so the GPU does
# not wait for the CPU; each chunk depends only on its place in the data order, so the batches
# are the same with or without them. It keeps two
# checkpoints in `current().models_dir / "unet"` (this run's models folder): `last.pt` (everything needed to resume) and
# `best.pt` (the weights with the best validation loss, which `separate("unet", ...)` uses).
#
# **Colab disconnected?** Run this cell again: with `resume=True` it continues from `last.pt`
# at the same step, with the same optimizer state and the same data order, and a finished run
# returns at once. A *recycled* Colab runtime loses its disk, and resumes only if
# `KEEP_ON_DRIVE = True` in the setup cell kept the checkpoints on Google Drive. The curve
# below is redrawn after every validation. (The folder belongs to one run size: to train at
# another size, delete it or pass another `out=`.)
#
# **No time to train?** With `MODELS = "shipped"` in the run cell, this cell trains nothing:
# `train.lesson_model` loads the U-Net that ships with seplib instead, trained by the
# project's own command on the `lab` synthetic songs (its record, printed below, says how),
# and every cell after this one uses it. The line the cell prints says which U-Net it is.

# %%
out_dir = current().models_dir / "unet"
curve = plots.live_losses(title=f"U-Net ({SIZE}): training and validation loss")
model, history, CKPT = train.lesson_model("unet", out=out_dir, callback=curve)
if history["step"]:
    curve(history)  # the final curve, in the same figure (and shown here when the run had already finished)
else:
    print("(the shipped model's record keeps no training curve)")
if FROM == "shipped":
    record = models.shipped_record("unet")
    print("shipped:", {k: record[k] for k in ("command", "data", "train_seconds") if k in record})
print("checkpoint:", CKPT.name, "| U-Net:", model.hparams)

# %%
display(pd.DataFrame(history).round(4))

# %% [markdown]
# Did it learn? Its training loss fell (the history above; asserted below whenever there is a
# curve: trained here, or a shipped record that keeps one). Compare it with its untrained self
# (the same seed gives the same initial weights) on the validation chunks, songs it never
# trained on, by loss and by SDR (`train.evaluate_sdr`: the plain SDR of notebook 01 on each
# chunk, averaged over the chunks). Trained here from the `lab` size on, or shipped, it beats
# its untrained self there (asserted); after the `quick` size's 32 steps on a few seconds of
# audio it may not, depending on the songs.

# %%
valid_set = FixedChunks(valid_tracks, seconds=PLAN["seconds"], per_track=PLAN["per_track"])
config.seed_everything(0)
untrained = models.build("unet", **model.hparams).to(config.device())     # the same architecture, untrained
compare = pd.DataFrame({name: {"valid loss": train.mean_loss(m, losses.loss_for("unet"), valid_set),
                               **train.evaluate_sdr(m, valid_set)} for name, m in [("untrained", untrained),
                                                                          ("trained", model)]}).T
display(compare.round(3))
if len(history["train_loss"]) > 1:
    assert history["train_loss"][-1] < history["train_loss"][0]
if SIZE != "quick" or FROM == "shipped":
    assert compare.loc["trained", "valid loss"] < compare.loc["untrained", "valid loss"]

# %% [markdown]
# Note that the *untrained* U-Net's SDRs are not terrible: its four softmax masks average
# $1/4$, and a quarter of the mixture is a better guess of a stem than the whole mixture:
# on the same validation chunks, by several dB on average over the stems (SDR is plain here,
# so the scale of the guess counts). Training has to beat that, not zero; the table above
# shows whether it did at this run size.

# %%
guesses = {"the whole mixture": 1.0, "a quarter of the mixture": 0.25}
naive = pd.DataFrame({name: np.nanmean([[metrics.sdr(scale * mix.numpy(), stems_[j].numpy()) for j in range(len(STEMS))]
                                        for mix, stems_ in valid_set], axis=0)
                      for name, scale in guesses.items()}, index=list(STEMS)).T
naive["mean"] = naive.mean(axis=1)
display(naive.round(2))
assert naive.loc["a quarter of the mixture", "mean"] > naive.loc["the whole mixture", "mean"] + 2
assert compare.loc["untrained", list(STEMS)].mean() > naive.loc["the whole mixture", "mean"]

# %% [markdown]
# ## 6. Separate a test song and listen
# The same call as every other method, given the model in hand (`model=`; without it,
# `separate("unet", ...)` loads the run's `best.pt`, or the shipped U-Net when the run cell says so);
# it runs the model over the track in overlapping chunks (`separate_chunked`, cross-faded).

# %%
track = test[0]
mixture, references = data.track_mixture(track), data.track_stems(track)
estimates = separate("unet", mixture, rate, model=model)
excerpt = slice(0, min(mixture.shape[1], 8 * rate))
display(audio.play(mixture[:, excerpt], rate, title=f"mixture: {track.name}"))
for stem in ("vocals", "drums"):
    display(audio.play(estimates[stem][:, excerpt], rate, title=f"U-Net: {stem}"))
    display(audio.play(references[stem][:, excerpt], rate, title=f"reference {stem}"))

# %% [markdown]
# The masks the trained network writes, next to the ideal ratio mask of notebook 01, both on
# the model's own STFT (`model.hparams["n_fft"]`, `model.hparams["hop"]`):

# %%
clip = torch.from_numpy(mixture[:, : 4 * rate])[None]
with torch.no_grad():
    learned = model.masks(clip.to(config.device()))[0].cpu()         # (stems, channels, freqs, frames)
n_fft, hop = model.hparams["n_fft"], model.hparams["hop"]
ideal = spectral.ideal_ratio_mask(spectral.magnitudes({s: x[:, : 4 * rate] for s, x in references.items()},
                                                      n_fft, hop))
fig, axes = plt.subplots(2, 2, figsize=(13, 6), sharex=True, sharey=True)
for row, stem in zip(axes, ("vocals", "drums")):
    plots.mask(learned[STEMS.index(stem)], rate, ax=row[0], title=f"U-Net mask: {stem}", n_fft=n_fft, hop=hop, max_hz=5000)
    plots.mask(ideal[stem], rate, ax=row[1], title=f"ideal ratio mask: {stem}", n_fft=n_fft, hop=hop, max_hz=5000)
fig.tight_layout()

# %% [markdown]
# ## 7. Measure: the leaderboard
# Score every test track with the MUSDB protocol and put the U-Net beside what the earlier
# notebooks stored: the mixture (the floor), the classical methods and the oracle masks of
# notebook 01, computed from the true stems. No oracle bounds every model, but the best of
# them marks how far a mask on this STFT can go: the U-Net should land between the floor and
# it. (If you run this notebook first, the floor and the oracles are computed here.)

# %%
metrics.evaluate("unet", test, progress=False, checkpoint=CKPT)
stored = set(metrics.leaderboard(dataset).index)
for method in ("mixture", "oracle-irm", "oracle-wiener"):                # the others' if stored (notebook 01)
    if method not in stored:
        metrics.evaluate(method, test, progress=False)
board = metrics.leaderboard(dataset)
ORACLES = [m for m in board.index if m.startswith("oracle-")]           # every oracle stored
board["mean"] = board[list(STEMS)].mean(axis=1)
display(board.round(2))
print("stored methods:", ", ".join(board.index))
plots.leaderboard(board[list(STEMS)])
plt.show()
best_oracle = board.loc[list(ORACLES), "mean"].idxmax()
print(f"mean SDR: U-Net {board.loc['unet', 'mean']:.2f} dB, mixture {board.loc['mixture', 'mean']:.2f} dB, "
      f"the best oracle ({best_oracle}) {board.loc[best_oracle, 'mean']:.2f} dB")
assert board.loc["unet", "vocals"] > board.loc["mixture", "vocals"]
assert board.loc["unet", "mean"] > board.loc["mixture", "mean"]
assert board.loc[best_oracle, "mean"] > board.loc["unet", "mean"]    # the best oracle mask is above it

# %% [markdown]
# ## 8. A real song
# Every song so far was made by `seplib.data.synth`. The workbook also has one real recording
# with its four true stems: `data.real_song()`, a 6-second excerpt of "The Easton Ellises -
# Falcon 69" from the MUSDB18 test set, which ships with the `stempeg` package (license
# CC BY-NC-SA: for teaching and research). Separate it with the same U-Net and listen: the
# mixture, the estimate and the true stem.

# %%
real = data.real_song()
real_mix, real_refs = data.track_mixture(real), data.track_stems(real)
real_est = separate("unet", real_mix, real.rate, model=model)
display(audio.play(real_mix, real.rate, title=f"the real song: {real.name}"))
for stem in ("vocals", "drums", "bass"):
    display(audio.play(real_est[stem], real.rate, title=f"U-Net on the real song: {stem}"))
    display(audio.play(real_refs[stem], real.rate, title=f"the real song's true {stem}"))

# %% [markdown]
# What changes on real music:
# * **Sounds the U-Net never heard.** A sung voice with consonants and breath, guitars, a
#   drum kit in a room: the U-Net has only ever heard the synthetic generator's instruments.
# * **Reverb and effects** smear each source over time and over both channels, where a
#   synthetic stem is dry.
# * **Mastering and coding.** The excerpt was mastered and stored in a lossy format (AAC), so
#   its four true stems do not add up to the mixture: the rest is printed below. The U-Net's
#   softmax masks share out the whole mixture, so that rest lands in some estimate, and counts
#   as error however good the model is.
#
# Score it with the same protocol and put it beside the synthetic test split. The oracles use
# the true stems, so their rows show how far masks can go on this song.

# %%
rest_db = metrics.rest_db  # 10 log10 of ||sum of the parts - mixture||^2 / ||mixture||^2
print(f"true stems summed vs the mixture: {rest_db(real_refs, real_mix):.1f} dB; "
      f"the U-Net's estimates summed: {rest_db(real_est, real_mix):.1f} dB")
assert -25 < rest_db(real_refs, real_mix) < -8 and rest_db(real_est, real_mix) < -60

real_dataset = metrics.dataset_of([real])
metrics.score_missing(["unet", "mixture", "oracle-irm", "oracle-wiener"], [real],  # stored scores are reused
                      method_kwargs={"unet": {"checkpoint": CKPT}})
real_board = metrics.leaderboard(real_dataset)
real_oracles = [m for m in real_board.index if m.startswith("oracle-")]
real_best = real_board.loc[real_oracles, list(STEMS)].mean(axis=1).idxmax()
beside = pd.DataFrame({f"U-Net: synthetic test split ({len(test)} songs)": board.loc["unet", list(STEMS)],
                       "U-Net: the real song": real_board.loc["unet", list(STEMS)],
                       "mixture: the real song": real_board.loc["mixture", list(STEMS)],
                       f"{real_best} (the best oracle): the real song": real_board.loc[real_best, list(STEMS)]}).T
beside["mean"] = beside[list(STEMS)].mean(axis=1)
display(beside.round(2))
assert (real_board.loc[real_best, list(STEMS)] > real_board.loc["mixture", list(STEMS)] + 5).all()
assert beside.loc["U-Net: the real song", "mean"] < beside.iloc[-1]["mean"]      # below the best oracle
if FROM == "shipped":      # the shipped U-Net, trained longer on the lab songs, beats the mixture on every stem
    assert (real_board.loc["unet", list(STEMS)] > real_board.loc["mixture", list(STEMS)]).all()

# %% [markdown]
# The oracle rows are the same at every run size (the song and the oracles are fixed). The
# U-Net's row is not: it depends on how long it trained, and on the songs it trained on. A
# U-Net trained here at the `quick` size has heard a few seconds of synthetic audio, and
# nothing about its row on this song is asserted; the shipped U-Net (`MODELS = "shipped"`)
# beats the mixture on every stem (asserted when it is the one used). Either stays below the
# best oracle (asserted). Training on real songs (notebook 09) is the cure.
#
# ## 9. A post-filter that uses where the stems sit
# The U-Net writes a mask per channel and keeps the mixture's phase: it never uses *where* a
# stem sits between left and right, although the stems of a stereo mix are panned. Open-Unmix
# (Stöter et al., 2019) follows its network with the **multichannel Wiener filter** (Nugraha,
# Liutkus and Vincent, 2016), computed by the library `norbert`: from the estimates it fits
# each stem's power $v_j(f, t)$ and its $2\times2$ spatial covariance $R_j(f)$ (how the stem is
# spread over the two channels at each frequency), then gives each stem its share of the
# mixture's stereo STFT,
#
# $$\hat S_j(f, t) = v_j(f, t)\, R_j(f) \Bigl(\sum_k v_k(f, t)\, R_k(f)\Bigr)^{-1} X(f, t).$$
#
# The matrices add up to the identity, so the filtered stems still add up to the mixture, and
# each bin is now a mix of both channels, which can cancel a stem panned to the other side.
# `postfilter.wiener_postfilter` applies it (one EM iteration, as Open-Unmix does) on the
# model's own STFT. Measure it on every stem of the synthetic test split and of the real song:

# %%
post_n_fft, post_hop = model.hparams["n_fft"], model.hparams["hop"]
post_scores = []
for t in test:
    mix_t, refs_t = data.track_mixture(t), data.track_stems(t)
    filtered_t = postfilter.wiener_postfilter(separate("unet", mix_t, rate, model=model), mix_t, post_n_fft, post_hop)
    post_scores.append(metrics.track_scores(refs_t, filtered_t, rate).assign(track=t.name))
real_filtered = postfilter.wiener_postfilter(real_est, real_mix, post_n_fft, post_hop)
real_post = metrics.aggregate(metrics.track_scores(real_refs, real_filtered, real.rate))["SDR"]
effect = pd.DataFrame({
    "U-Net: synthetic test split": board.loc["unet", list(STEMS)],
    "U-Net + Wiener filter: synthetic test split": metrics.aggregate(pd.concat(post_scores))["SDR"],
    "U-Net: the real song": real_board.loc["unet", list(STEMS)],
    "U-Net + Wiener filter: the real song": real_post}).T[list(STEMS)]
effect["mean"] = effect.mean(axis=1)
display(effect.round(2))
change = pd.DataFrame({"synthetic test split": effect.iloc[1] - effect.iloc[0],
                       "the real song": effect.iloc[3] - effect.iloc[2]}).T
print("change in median SDR (dB), post-filter minus plain:")
display(change.round(2))
print(f"filtered stems summed vs the mixture (real song): {rest_db(real_filtered, real_mix):.1f} dB")
assert rest_db(real_filtered, real_mix) < -40                        # still a split of the mixture
assert effect.notna().all().all()

# %%
for stem in ("vocals", "drums"):
    display(audio.play(real_est[stem], real.rate, title=f"U-Net on the real song: {stem}"))
    display(audio.play(real_filtered[stem], real.rate, title=f"U-Net + Wiener filter: {stem}"))
    display(audio.play(real_refs[stem], real.rate, title=f"the real song's true {stem}"))

# %% [markdown]
# Read the change table stem by stem. The filter shares out the mixture by the estimates' own
# powers and spatial spreads: it has nothing else to go on, so it is only as right as they
# are, and where they are wrong it can move the error rather than remove it. Its effect
# depends on the stem, on the song and on how well the U-Net was trained (run this notebook at
# another size, or with the shipped model, and compare the change table): nothing about its
# sign is asserted here. Open-Unmix applies it to models trained on MUSDB18's real songs for
# far longer than any plan here; whether it pays is a measurement, as above, not a given.


# %% [markdown]
# ## 10. Several networks, averaged: a bag
# A network trained from another random start makes other mistakes, and on a song unlike its
# training songs each one's mistakes are large. Averaging the masks of several networks keeps
# what they agree on: a **bag of models** (Uhlich et al., 2017, blend networks this way; Demucs
# ships its separators as bags, Défossez, 2021).
# The mean of softmax masks still sums to one, and since each estimate is its mask times the
# mixture's STFT, averaging the masks is averaging the estimates (`seplib.models.bag.Bag`).
# The U-Net that ships with seplib is such a bag: four networks trained by one command from
# seeds 0 to 3 on both synthetic sets (its record, `models.shipped_record("unet")`, names each).
# Separate the real song with each member alone, then with the bag:

# %%
from seplib.models.bag import Bag  # noqa: E402

shipped_bag = models.load(models.shipped_checkpoint("unet"), device=config.device())
plain_bag = Bag(list(shipped_bag.members))   # its four networks, their masks averaged
bag_members = {f"member: seed {m['seed']}": net
               for m, net in zip(models.shipped_record("unet")["members"], shipped_bag.members)}
bag_rows, bag_est = {}, {}
for name, net in {**bag_members, "the bag (masks averaged)": plain_bag}.items():
    bag_est[name] = separate("unet", real_mix, real.rate, model=net)
    bag_rows[name] = metrics.aggregate(metrics.track_scores(real_refs, bag_est[name], real.rate))["SDR"]
bag_table = pd.DataFrame(bag_rows).T[list(STEMS)]
bag_table["mean"] = bag_table.mean(axis=1)
display(bag_table.round(2))
member_average = bag_table.iloc[:-1].mean()
bag_gain = (bag_table.iloc[-1] - member_average)[list(STEMS)]
print("the bag minus its members' average (dB):", bag_gain.round(2).to_dict())
print("the bag minus its best member, per stem (dB):",
      (bag_table.iloc[-1] - bag_table.iloc[:-1].max())[list(STEMS)].round(2).to_dict())
assert len(bag_members) == 4
assert (bag_gain > 0).all() and bag_gain.idxmax() == "vocals"   # above the average on every stem, most on vocals

# %%
first = next(iter(bag_members))
for stem in ("vocals", "other"):
    display(audio.play(bag_est[first][stem], real.rate, title=f"one network ({first}): {stem}"))
    display(audio.play(bag_est["the bag (masks averaged)"][stem], real.rate, title=f"the bag of four: {stem}"))
    display(audio.play(real_refs[stem], real.rate, title=f"the real song's true {stem}"))

# %% [markdown]
# On this song the bag is above its members' average on every stem (asserted), most on vocals;
# whether it also beats its best member depends on the stem (the second line printed above).
#
# The shipped bag averages one thing more. Swapping left and right changes nothing a separation
# should care about, and every network was trained on songs whose stems were swapped at random
# (section 2's `swap`); yet each network hears the two sides a little differently. So the shipped
# bag also separates the song's **mirror image**, left and right swapped, and swaps those masks
# back before it averages (`Bag(members, mirror=True)`): each network runs twice, the STFT once.
# Its answer is then exactly symmetric: mirror the song and the stems come out mirrored. Compare
# each network alone with the same network hearing both sides, and the bag both ways:

# %%
def mirrored(est):
    """Stems with left and right swapped."""
    return {stem: x[::-1] for stem, x in est.items()}


def sdr_of(est):
    return metrics.aggregate(metrics.track_scores(real_refs, est, real.rate))["SDR"][list(STEMS)]


real_mirror = np.ascontiguousarray(real_mix[::-1])   # the song with left and right swapped
mirror_rows, mirror_est = {}, {}
for name, net in {**bag_members, "the bag": shipped_bag}.items():
    members = list(net.members) if isinstance(net, Bag) else [net]
    one_side, both_sides = Bag(members), Bag(members, mirror=True)
    mirror_rows[(name, "the song only")] = sdr_of(separate("unet", real_mix, real.rate, model=one_side))
    mirror_est[name] = both = separate("unet", real_mix, real.rate, model=both_sides)
    mirror_rows[(name, "and its mirror image")] = sdr_of(both)
    # exactly symmetric: the mirror image's stems are the song's stems, mirrored
    of_mirror = mirrored(separate("unet", real_mirror, real.rate, model=both_sides))
    assert max(np.abs(of_mirror[s] - both[s]).max() for s in STEMS) < 1e-4 * np.abs(real_mix).max()
mirror_table = pd.DataFrame(mirror_rows).T
display(mirror_table.round(2))
mirror_gain = mirror_table.xs("and its mirror image", level=1) - mirror_table.xs("the song only", level=1)
print("hearing both sides minus the song only (dB):")
display(mirror_gain.round(2))
assert shipped_bag.mirror                                          # the shipped bag hears both sides
assert (mirror_gain.loc[list(bag_members), "vocals"] > 0).all()   # every network's vocals rise
assert (mirror_gain.abs() < 0.2).all().all()                       # and no stem moves by 0.2 dB or more

# %%
for stem in ("vocals", "other"):
    display(audio.play(bag_est["the bag (masks averaged)"][stem], real.rate, title=f"the bag, the song only: {stem}"))
    display(audio.play(mirror_est["the bag"][stem], real.rate, title=f"the bag, the song and its mirror image: {stem}"))

# %% [markdown]
# Each network's vocals rise when it also hears the mirror image (asserted), but every change is
# under 0.2 dB (asserted): a small gain for no training, at the price of one more pass of each
# network. The shipped bag keeps it, and its record's scores are those of the bag hearing both sides.
#
# Four networks hearing both sides cost eight passes: a bag buys accuracy with time. To make your
# own, train a model with several `--seed`s and join their `best.pt` files with
# `seplib.models.bag.save_bag([...], "bag.pt", mirror=True)`; `separate("unet", ...,
# checkpoint="bag.pt")` and `seplib separate --checkpoint bag.pt` then use the bag.

# %% [markdown]
# ## 11. Where it breaks
# The softmax gate must give every bit of the mixture to *some* stem. Feed the model a mixture
# with **no vocals at all** (the accompaniment only): whatever lands in the vocals is pure
# leakage, an error the model cannot avoid by saying "nothing here" unless it has learned to
# put all of it elsewhere. Listen:

# %%
accompaniment = mixture - references["vocals"]
no_vocals = separate("unet", accompaniment, rate, model=model)
leak_db = 10 * np.log10(np.sum(no_vocals["vocals"] ** 2) / np.sum(accompaniment ** 2))
display(audio.play(accompaniment[:, excerpt], rate, title="input: accompaniment only"))
display(audio.play(no_vocals["vocals"][:, excerpt], rate, title="U-Net 'vocals' of it: all leakage"))
print(f"energy put into 'vocals': {leak_db:.1f} dB relative to the input")

# %% [markdown]
# Which part of the accompaniment does the model take for a voice? Feed it each stem alone:

# %%
leaks = {stem: 10 * np.log10(np.sum(separate("unet", references[stem], rate, model=model)["vocals"] ** 2)
                             / np.sum(references[stem] ** 2))
         for stem in STEMS if stem != "vocals"}
display(pd.Series(leaks, name="energy put into 'vocals' (dB rel. input)").round(1).to_frame())
worst = max(leaks, key=leaks.get)
display(audio.play(separate("unet", references[worst], rate, model=model)["vocals"][:, excerpt], rate,
                   title=f"U-Net 'vocals' of the {worst} stem alone"))

# %% [markdown]
# Notebook 04 ended with supervised NMF calling a lead synth (an `other` instrument playing a
# melody in the vocal range) "vocals", and hoped that a model which sees context would tell
# the two apart. Feed the U-Net the same lead line alone:

# %%
from seplib.data import synth

melody = [(0.0, 0.5, 67), (0.5, 0.5, 69), (1.0, 1.0, 72), (2.0, 0.5, 71), (2.5, 1.5, 67)]  # (start s, s, MIDI note)
line = synth.lead(melody, rate)
line = 0.3 * np.stack([line, line]) / np.abs(line).max()                                     # (channels, samples)
heard = separate("unet", line, rate, model=model)
share = {s: float(np.sum(heard[s] ** 2) / np.sum(line ** 2)) for s in STEMS}
print("where the lead synth's energy goes:", {s: round(v, 3) for s, v in share.items()})
display(audio.play(line, rate, title="input: a lead synth (an 'other' instrument)"))
display(audio.play(heard["vocals"], rate, title="...called vocals by the U-Net"))

# %% [markdown]
# In the synthetic set each song gets such a lead line in its `other` stem with probability
# one half (`seplib.json` records each song's arrangement; how many of this set's songs got
# one is printed below). Split the U-Net's vocal scores on the test songs by it, and read the
# SIR (interference from the other stems) beside the SDR:

# %%
info_file = data.resolve_root() / "seplib.json"
if info_file.is_file():
    import json

    song_info = json.loads(info_file.read_text())["song_info"]
    leads = [info["lead"] for info in song_info.values()]
    print(f"songs with a lead synth in 'other': {sum(leads)} of {len(leads)} "
          f"(each song with probability {synth.LEAD_PROBABILITY})")
    assert synth.LEAD_PROBABILITY == 0.5 and all(isinstance(v, bool) for v in leads)
    unet_scores = metrics.load_scores(dataset, "unet")
    vocal_scores = (unet_scores[unet_scores.stem == "vocals"]
                    .pivot_table(index="track", columns="metric", values="value")[["SDR", "SIR", "SAR"]])
    vocal_scores["lead synth in 'other'"] = [song_info[t]["lead"] for t in vocal_scores.index]
    display(vocal_scores.round(2))
    display(vocal_scores.groupby("lead synth in 'other'")[["SDR", "SIR"]].median().round(2))
else:
    print("not the synthetic set: its songs' arrangements are not recorded")

# %% [markdown]
# A stem alone is not what the model was trained on (it always saw all four together), so this
# is a probe, not a score; but what leaks, and what it sounds like, shows what the network
# has learned to call a voice from a short spectrogram patch. How much depends on training:
# run this notebook at another size and compare where the lead line's energy goes. Ideas to
# try: more training, more context (a deeper network), more data, a sigmoid gate (which is
# free to say "no vocals" everywhere). The next section tries some of them.
#
# ## 12. Ablations: which knobs matter?
# The systems this notebook follows made different choices: Jansson et al. (2017) use six
# levels of 5×5 kernels, a sigmoid gate and L1 on magnitudes; Open-Unmix (Stöter et al.,
# 2019) trains on the squared error (L2) of magnitudes. Below, one knob at a time changes
# from this notebook's U-Net: the gate, the depth, the kernel size, the weight of the vocals
# in the loss and the loss itself. Each setting is a short training from the same
# seed, written to `current().models_dir / "unet-ablations" / <setting>` (so re-running resumes, and
# finished settings return at once), and scored with the same yardstick: the mean SDR on the
# validation chunks. In the `quick` size only two tiny runs; in `lab` and `full` a handful.
# With `MODELS = "shipped"` (no time to train) the cell says so in one line and trains nothing;
# set `RUN_ABLATIONS = True` to run them anyway.

# %%
SETTINGS = {
    "baseline": dict(),
    "sigmoid gate": dict(gate="sigmoid"),
    "depth 3": dict(depth=3),
    "kernel 3": dict(kernel_size=3),
    "vocals x 4 in the loss": dict(weights={"vocals": 4.0}),
    "L1 on magnitudes instead of SDR": dict(kind="l1"),
    "L2 on magnitudes instead of SDR": dict(kind="l2"),
}
ABLATION_STEPS = {"quick": 2, "lab": 100, "full": 300}[SIZE]
RUN_ABLATIONS = FROM == "train"       # shipped models: no training in this notebook unless you say so
chosen = (list(SETTINGS)[:2] if SIZE == "quick" else list(SETTINGS)) if RUN_ABLATIONS else []
if not RUN_ABLATIONS:
    print("ablations skipped: the run cell chose the shipped models (MODELS = 'shipped'); set RUN_ABLATIONS = True to train them")
rows = []
for name in chosen:
    knobs = dict(SETTINGS[name])
    run_model, run_history = train.train_model(
        "unet", steps=ABLATION_STEPS, resume=True, progress=False,
        out=current().models_dir / "unet-ablations" / name.replace(" ", "-"), **knobs)
    rows.append({"setting": name, "steps": run_history["step"][-1],
                 "parameters": models.parameter_count(run_model), **train.evaluate_sdr(run_model, valid_set)})
if rows:
    ablations = pd.DataFrame(rows).set_index("setting")
    ablations["mean SDR"] = ablations[list(STEMS)].mean(axis=1)
    display(ablations.round(2))
    ax = ablations[list(STEMS) + ["mean SDR"]].plot.bar(figsize=(10, 3.5), width=0.8)
    ax.set(ylabel="validation SDR (dB)", title=f"U-Net ablations, {ABLATION_STEPS} steps each")
    plt.setp(ax.get_xticklabels(), rotation=20, ha="right")
    plt.show()

# %% [markdown]
# Short runs are noisy. Before you believe a knob, run it with two or three seeds (`seed=` of
# `train_model`, and a folder per seed) and check that the gap between settings is larger
# than the spread between seeds.
#
# ## 13. The listening room
# Pick a track, a method and a stem; A/B the estimate against the reference and the mixture.

# %%
classical = [m for m in ("hpss", "repet-sim", "classical-repet", "classical-nmf") if m in board.index]
display(listen.listening_room(test, ["mixture", "oracle-irm", "unet", *classical], dataset=dataset))

# %% [markdown]
# ## Exercises
# Each exercise has an answer cell (replace `None`) and a check cell below it; the check says
# whether your answer is missing, wrong or right, without giving it away. `ex.q1.hint()` gives
# a hint, `ex.q1.solution()` a solution.
#
# **1.** The encoder halves the frequencies and frames at each of its `depth` levels (after
# padding both up to a multiple of $2^{\text{depth}}$). Write `bottleneck(hparams, samples)`:
# the shape `(channels, freqs, frames)` of the bottleneck (the last encoder's output) of a
# U-Net with the settings `hparams` (like `HPARAMS`: `max_bin`, `hop`, `depth`,
# `hidden_channels`) for a chunk of `samples` samples, which has
# $1 + \lfloor n / \text{hop} \rfloor$ frames. The check measures this U-Net on a 3-second
# chunk, and U-Nets of other settings on other lengths.

# %%
from seplib.exercises import nb05 as ex

# %% tags=["answer-1"]
def bottleneck(hparams, samples):
    return None  # your code: a tuple (channels, freqs, frames)

# %%
ex.q1.check(bottleneck, unet=unet, rate=rate)

# %% [markdown]
# **2.** Receptive field. One bottleneck unit depends on a window of the input: each stride-2
# convolution with kernel $k$ adds $(k-1)\,2^{\ell}$ input frames at level $\ell = 0, 1, \dots$
# Write `receptive_frames(depth, kernel_size)`: how many spectrogram **frames** wide that window
# is (the check measures it by back-propagating from one bottleneck unit, for this U-Net and
# others). Then turn `receptive_frames(HPARAMS["depth"], HPARAMS["kernel_size"])` into seconds
# with `spectral.frame_to_seconds`: is it a note, a beat, a bar?

# %% tags=["answer-2"]
def receptive_frames(depth, kernel_size):
    return None  # your code: an integer

# %%
ex.q2.check(receptive_frames, unet=unet)

# %% [markdown]
# **3.** Change the gate. Build a U-Net with `gate="sigmoid"`, set its last layer's weights to
# zero and its bias so that stem $j$'s logit is $z_j$ in every bin (both channels). Write
# `sigmoid_sum(z)`: what its four masks add up to in any bin, for a tensor `z` of four logits
# (the check builds such U-Nets for several `z`). What is it for `z = 0`? (What would the
# softmax gate give, and what does that mean for the sum of the four estimates?)

# %% tags=["answer-3"]
def sigmoid_sum(z):
    return None  # your code: a number

# %%
ex.q3.check(sigmoid_sum, hparams=HPARAMS, noise=noise)

# %% [markdown]
# ## References
# - A. Jansson, E. Humphrey, N. Montecchio, R. Bittner, A. Kumar, T. Weyde. *Singing voice
#   separation with deep U-Net convolutional networks*. ISMIR 2017.
# - O. Ronneberger, P. Fischer, T. Brox. *U-Net: convolutional networks for biomedical image
#   segmentation*. MICCAI 2015.
# - F.-R. Stöter, S. Uhlich, A. Liutkus, Y. Mitsufuji. *Open-Unmix: a reference implementation
#   for music source separation*. Journal of Open Source Software 4(41), 2019.
# - R. Hennequin, A. Khlif, F. Voituret, M. Moussallam. *Spleeter: a fast and efficient music
#   source separation tool with pre-trained models*. Journal of Open Source Software 5(50), 2020.
# - H. Erdogan, J. R. Hershey, S. Watanabe, J. Le Roux. *Phase-sensitive and
#   recognition-boosted speech separation using deep recurrent neural networks*. ICASSP 2015.
# - S. Uhlich, M. Porcu, F. Giron, M. Enenkl, T. Kemp, N. Takahashi, Y. Mitsufuji. *Improving
#   music source separation based on deep neural networks through data augmentation and
#   network blending*. ICASSP 2017.
# - A. Défossez. *Hybrid spectrogram and waveform source separation*. ISMIR 2021 Workshop on
#   Music Source Separation.
# - D. P. Kingma, J. Ba. *Adam: a method for stochastic optimization*. ICLR 2015.
# - I. Loshchilov, F. Hutter. *Decoupled weight decay regularization*. ICLR 2019.
