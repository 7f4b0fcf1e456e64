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
# # 07 · DPRNN: a dual-path RNN on the spectrogram, and a baseline that shows why
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/seplib/seplib-workbook/blob/main/notebooks/07_dprnn.ipynb)
#
# **Goal.** A recurrent network can use the context of a whole song, but an LSTM over
# thousands of frames is slow and forgets; the dual-path RNN (Luo, Chen & Yoshioka, 2020) cuts
# the frames into chunks and alternates an LSTM *within* chunks with an LSTM *across* chunks.
# You will see which frames
# each one looks at, chunk and overlap-add a sequence by hand, train the model with
# SpecAugment, and compare it with a four-layer Conv1d baseline that shows what the context
# is for.

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

from seplib import STEMS, audio, config, data, listen, losses, metrics, models, plots, separate, train
from seplib.data.chunks import FixedChunks, spec_augment
from seplib.models.base import gate_masks
from seplib.models.dprnn import overlap_add, split_chunks
from seplib.run import current

valid_tracks, test = data.open_dataset("valid"), data.open_dataset("test")
dataset = metrics.dataset_of(test)
rate = test[0].rate
HPARAMS = models.hparams("dprnn", SIZE)            # the model of this run size
PLAN = train.plan("dprnn", SIZE)                   # steps, batch size, chunk seconds, ...
K, hop, n_fft = HPARAMS["chunk_frames"], HPARAMS["hop"], HPARAMS["n_fft"]
print("DPRNN:", HPARAMS)
print("training plan:", PLAN)
FROM = config.models_from()                        # "train": the models train here; "shipped": the ones in seplib

# %% [markdown]
# ## 1. The idea: two short paths instead of one long one
# Luo et al. run DPRNN on the frames of a learned filterbank; here it works on the
# spectrogram like the U-Net of notebook 05: each frame's stereo log-magnitude spectrum (the
# bins below `max_bin`) becomes a feature vector, giving a sequence of $T$ vectors. Cut the
# sequence into chunks of $K$ frames that overlap by half, $S \approx 2T/K$ of them, and stack
# them into a $K \times S$ grid. A **dual-path block** then runs
#
# * an **intra-chunk** BiLSTM along each chunk ($S$ sequences of length $K$): local structure,
#   an onset, a vowel's first few frames;
# * an **inter-chunk** BiLSTM along each position across chunks ($K$ sequences of length $S$):
#   the same place in every chunk, $K/2$ frames apart, spanning the whole input.
#
# Each with a residual connection and layer norm. After one block every frame has heard from
# every other (within two hops; section 6 measures it), and the longest sequence an LSTM must walk is
# $\max(K, S)$ instead of $T$; $K \approx \sqrt{2T}$ balances the two. Overlap-add turns the
# grid back into $T$ frames and a $1 \times 1$ convolution writes one soft mask per stem, as in
# notebook 05: $\hat S_j = M_j \odot X$.
#
# The picture: the mixture's spectrogram with the chunk boundaries, and for one frame, what
# each path sees. Which frame sits where comes from the model's own `split_chunks` run on the
# frame numbers.

# %%
track = test[0]
mixture, references = data.track_mixture(track), data.track_stems(track)
clip_s = 3.0
clip = mixture[:, : int(clip_s * rate)]
frames = 1 + clip.shape[1] // hop                                   # centred STFT frames
numbers = (torch.arange(frames) + 1.0)[None, :, None]               # (batch=1, frames, features=1): 1, 2, ...
grid = split_chunks(numbers, K)[0, :, :, 0].long() - 1              # (chunks, K): frame numbers, -1 = padding
S = grid.shape[0]
t0 = frames // 2
c0, p0 = [(c, p) for c in range(S) for p in range(K) if grid[c, p] == t0][0]
intra = grid[c0][grid[c0] >= 0]
inter = grid[:, p0][grid[:, p0] >= 0]
print(f"T = {frames} frames -> S = {S} chunks of K = {K} (overlap {K // 2}); "
      f"frame {t0} is at position {p0} of chunk {c0} (and in one more chunk)")
print(f"intra-chunk LSTM: frames {int(intra.min())}..{int(intra.max())} ({len(intra) * hop / rate:.2f} s); "
      f"inter-chunk LSTM: {len(inter)} frames, {K // 2 * hop / rate:.2f} s apart, from {int(inter.min())} to {int(inter.max())}")
assert (grid >= 0).sum() == 2 * frames                               # every frame lies in exactly two chunks

fig, (ax, ax2) = plt.subplots(2, 1, figsize=(13, 5.5), sharex=True, gridspec_kw=dict(height_ratios=[3, 1]))
to_s = lambda f: f * hop / rate                                      # frame number -> seconds
plots.spectrogram(clip, rate, ax=ax, n_fft=n_fft, hop=hop, max_hz=5000,
                  title=f"what frame {t0} hears: its chunk (intra-chunk LSTM, cyan) and the same position in every chunk (inter, white)")
ax.axvspan(to_s(int(intra.min())), to_s(int(intra.max()) + 1), color="cyan", alpha=0.35)
for f in inter:
    ax.axvspan(to_s(int(f)), to_s(int(f) + 1), color="white", alpha=0.8)
ax.set_xlabel("")
for c in range(S):                                                   # chunk c covers frames c*K/2 - K/2 ... + K
    start = c * K // 2 - K // 2
    ax2.barh(c % 2, to_s(K), left=to_s(start), height=0.7, color="cyan" if c == c0 else "0.85", edgecolor="k", lw=0.5)
    ax2.plot(to_s(start + p0 + 0.5), c % 2, "k|", ms=10)
ax2.set(yticks=[0, 1], yticklabels=["even chunks", "odd chunks"], xlabel="time (s)", ylim=(-0.6, 1.6),
        title=f"the {S} chunks (half-overlapping) and position {p0} in each")
top, bottom = ax.get_position(), ax2.get_position()                  # line up with the spectrogram (it has a colorbar)
ax2.set_position([top.x0, bottom.y0, top.width, bottom.height])
plt.show()

# %% [markdown]
# ## 2. Chunking and overlap-add, by hand
# Pad $K/2$ zero frames in front (so the first frame also lies in two chunks) and enough at the
# back for a whole number of half-chunks, then cut chunks every $K/2$ frames. Overlap-add puts
# each chunk back at its place and adds: every frame is the sum of its two copies.

# %%
def my_split(x, K):
    """(batch, frames, features) -> (batch, chunks, K, features), chunks K/2 apart."""
    half = K // 2
    batch, T, features = x.shape
    padded = torch.cat([x.new_zeros(batch, half, features), x,
                        x.new_zeros(batch, half + (-T % half), features)], dim=1)
    starts = range(0, padded.shape[1] - K + 1, half)
    return torch.stack([padded[:, s: s + K] for s in starts], dim=1)


def my_overlap_add(chunks, T):
    """(batch, chunks, K, features) -> (batch, T, features): add each chunk back at its place."""
    batch, n, K, features = chunks.shape
    half = K // 2
    out = chunks.new_zeros(batch, (n + 1) * half, features)
    for c in range(n):
        out[:, c * half: c * half + K] += chunks[:, c]
    return out[:, half: half + T]                                    # drop the padding


seq = torch.randn(2, 101, 3, generator=torch.Generator().manual_seed(0))   # (batch, frames, features)
mine, theirs = my_split(seq, K), split_chunks(seq, K)
print("split:", tuple(seq.shape), "->", tuple(mine.shape), "(batch, chunks, K, features)")
assert torch.equal(mine, theirs)
random_chunks = torch.randn(theirs.shape, generator=torch.Generator().manual_seed(1))
assert torch.allclose(my_overlap_add(random_chunks, 101), overlap_add(random_chunks, 101))
round_trip = overlap_add(split_chunks(seq, K), 101)
print("overlap_add(split_chunks(x)) == 2 x exactly:", torch.equal(round_trip, 2 * seq))
assert torch.equal(round_trip, 2 * seq)

# %% [markdown]
# The factor 2 is harmless: the layers after it are learned and absorb it.
#
# ## 3. The model, stage by stage
# `DPRNN.masks` in a few lines, run on two seconds of the test song; each stage's output shape
# is printed, and the result must equal the model's own. As the U-Net (notebook 05, section
# 3), the model sees only the STFT bins below `max_bin` (bin $k$ lies at $k f_s / n_{\text{fft}}$
# Hz: the stage table below says how many bins, and up to which frequency; the line printed
# above it says the same for every run size). Above `max_bin` every bin takes the mask of the
# top modelled bin, so the masks still sum to one there.

# %%
config.seed_everything(0)
demo = models.build("dprnn", **HPARAMS)                             # untrained, on the CPU
bins_seen = HPARAMS["max_bin"]
top_hz = bins_seen * rate / n_fft                                   # bin k lies at k * rate / n_fft Hz
x = torch.from_numpy(mixture[:, : 2 * rate])[None]                  # (batch=1, channels, samples)
rnn_inputs = {}
hooks = [demo.blocks[0].intra_rnn.register_forward_hook(lambda m, i, o: rnn_inputs.update(intra=tuple(i[0].shape))),
         demo.blocks[0].inter_rnn.register_forward_hook(lambda m, i, o: rnn_inputs.update(inter=tuple(i[0].shape)))]
stages = []
with torch.no_grad():
    X = demo.spectrogram(x)
    stages.append(("STFT", X.shape, "(batch, channels, freqs, frames), complex"))
    feats = demo.front.features(X)
    stages.append((f"log-magnitude, standardised, the {bins_seen} bins below max_bin ({top_hz:.0f} Hz)",
                   feats.shape, "(batch, channels, bins, frames)"))
    b, c, bins, T = feats.shape
    h = demo.encode(feats.reshape(b, c * bins, T).transpose(1, 2))
    stages.append(("linear: one feature vector per frame", h.shape, "(batch, frames, features)"))
    h = split_chunks(h, K)
    stages.append(("split into chunks", h.shape, "(batch, chunks, K, features)"))
    for block in demo.blocks:
        h = block(h)
    stages.append((f"{len(demo.blocks)} dual-path block(s)", h.shape, "(batch, chunks, K, features)"))
    h = overlap_add(h, T)
    stages.append(("overlap-add", h.shape, "(batch, frames, features)"))
    logits = demo.head(h.transpose(1, 2)).reshape(b, len(demo.stems), c, bins, T)
    stages.append(("1x1 conv head: mask logits", logits.shape, "(batch, stems, channels, bins, frames)"))
    masks = demo.front.extend(gate_masks(logits, demo.gate))
    stages.append((f"softmax over stems; above {top_hz:.0f} Hz the top bin's mask, held", masks.shape,
                   "(batch, stems, channels, freqs, frames)"))
    model_masks = demo.masks(x)
for hk in hooks:
    hk.remove()
print("bins the DPRNN sees:", "; ".join(f"{size} {hp['max_bin']} of {hp['n_fft'] // 2 + 1} (up to {hp['max_bin'] * rate / hp['n_fft']:.0f} Hz)"
                                         for size, hp in ((s, models.hparams("dprnn", s)) for s in config.SIZES)))
display(pd.DataFrame([(n, tuple(s), m) for n, s, m in stages], columns=["stage", "shape", "meaning"]))
print("intra-chunk LSTM input:", rnn_inputs["intra"], "= (batch * chunks, K, features)")
print("inter-chunk LSTM input:", rnn_inputs["inter"], "= (batch * K, chunks, features)")
assert torch.allclose(masks, model_masks)
assert feats.shape[2] == bins_seen < X.shape[2]                      # the model sees max_bin of the STFT's bins
assert torch.equal(masks[..., bins_seen:, :], masks[..., bins_seen - 1: bins_seen, :].expand_as(masks[..., bins_seen:, :]))
assert torch.allclose(masks.sum(dim=1), torch.ones_like(masks[:, 0]), atol=1e-5)   # the masks share the mixture

# %% [markdown]
# **The front end, checked against the libraries.** The first stage, `demo.spectrogram`
# (seplib's `spectral.stft`: a periodic Hann window of `n_fft` samples, frames centred on
# multiples of the hop, zero padding at both ends), must give what `librosa.stft` and
# `torch.stft` give with the same settings, value for value; and the features the network
# reads are $\log(1 + |X|)$ of the bins below `max_bin`, before the learned input statistics
# (0 and 1 in an untrained model):

# %%
import librosa

by_librosa = librosa.stft(x[0].numpy(), n_fft=n_fft, hop_length=hop, window="hann", center=True, pad_mode="constant")
by_torch = torch.stft(x[0], n_fft, hop, window=torch.hann_window(n_fft), center=True, pad_mode="constant",
                      return_complex=True).numpy()
ours = X[0].numpy()                                                  # (channels, freqs, frames)
scale = np.abs(by_librosa).max()
front_check = {"librosa.stft": float(np.abs(ours - by_librosa).max() / scale),
               "torch.stft": float(np.abs(ours - by_torch).max() / scale),
               "features vs log1p|librosa.stft|": float(np.abs(feats[0].numpy() - np.log1p(np.abs(by_librosa[:, :bins_seen]))).max())}
print(f"STFT {ours.shape} (channels, freqs, frames); largest differences:", {k: f"{v:.1e}" for k, v in front_check.items()})
assert ours.shape == by_librosa.shape == (2, n_fft // 2 + 1, 1 + x.shape[-1] // hop)
assert max(front_check.values()) < 1e-4

# %%
counts = {"front end (input statistics)": sum(p.numel() for p in demo.front.parameters()),
          "linear encoder": sum(p.numel() for p in demo.encode.parameters()),
          "dual-path blocks": sum(p.numel() for p in demo.blocks.parameters()),
          "mask head": sum(p.numel() for p in demo.head.parameters())}
print({k: f"{v:,}" for k, v in counts.items()}, f"total {models.parameter_count(demo):,}")
assert sum(counts.values()) == models.parameter_count(demo)

# %% [markdown]
# ## 4. SpecAugment
# A small data set is easy to memorise. SpecAugment (Park et al., 2019) hides random bands of
# frequencies and spans of frames of the model's **input** (never of the targets), so it has
# to fill in what it cannot see from the context, which is exactly what the inter-chunk path
# is for.

# %%
mag = X[0].abs()                                                     # (channels, freqs, frames)
hidden = spec_augment(mag, freq_masks=2, freq_width=0.15, time_masks=2, time_width=0.15,
                      generator=torch.Generator().manual_seed(3))
fig, axes = plt.subplots(1, 2, figsize=(14, 3.5), sharey=True)
for ax, (name, m) in zip(axes, [("input spectrogram", mag), ("after spec_augment", hidden)]):
    plots.image(plots.to_db(m.numpy()), rate, hop=hop, n_fft=n_fft, ax=ax, title=name, max_hz=5000, label="dB")
fig.tight_layout()
plt.show()
print(f"fraction of bins hidden: {float((hidden == 0).float().mean()):.2f}")

# %% [markdown]
# `seplib.losses.loss_for("dprnn", spec_augment=True)` switches it on inside the loss: while
# the model trains it computes its masks from the hidden spectrogram, and the masks are applied
# to the whole one; in evaluation mode nothing is hidden. Check both:

# %%
chunk_mix = torch.from_numpy(mixture[:, rate: 2 * rate])[None]
chunk_stems = torch.from_numpy(np.stack([references[s][:, rate: 2 * rate] for s in STEMS]))[None]
plain_loss, augmented_loss = losses.loss_for("dprnn"), losses.loss_for("dprnn", spec_augment=True)
torch.manual_seed(0)                                                 # the hidden bands are random
with torch.no_grad():
    demo.train()
    value_train = float(augmented_loss(demo, chunk_mix, chunk_stems))
    demo.eval()
    value_eval, value_plain = float(augmented_loss(demo, chunk_mix, chunk_stems)), float(plain_loss(demo, chunk_mix, chunk_stems))
print(f"with SpecAugment: training mode {value_train:.4f}, eval mode {value_eval:.4f}; plain loss {value_plain:.4f}")
assert value_eval == value_plain and value_train != value_plain

# %% [markdown]
# ## 5. Training
# The recipe of notebook 05 (`seplib.train.train_model`), with SpecAugment on: `spec_augment=True`
# goes on to `loss_for`. Checkpoints go to `current().models_dir / "dprnn"` (this run's models folder);
# **Colab disconnected?** run the cell again and `resume=True` continues where it stopped (and
# after a recycled runtime too, if `KEEP_ON_DRIVE = True` in the setup cell kept the
# checkpoints on Google Drive). With `MODELS = "shipped"` in the run cell nothing trains:
# `train.lesson_model` loads the DPRNN (and in section 6 the baseline) shipped with seplib,
# trained with the `lab` plan, and says so; the cells below use them.

# %%
out_dir = current().models_dir / "dprnn"
curve = plots.live_losses(title=f"DPRNN ({SIZE}): training and validation loss")
model, history, CKPT = train.lesson_model("dprnn", out=out_dir, spec_augment=True, callback=curve)
if history["step"]:
    curve(history)  # the final curve, in the same figure (and shown here when the run had already finished)
    print(f"{history['step'][-1]} steps; checkpoint {CKPT.name}")
else:
    print(f"checkpoint {CKPT.name}; the shipped model's record keeps no training curve")

# %%
display(pd.DataFrame(history).round(4))

# %% [markdown]
# Did it learn? Compare with its untrained self (same seed, same initial weights) on the
# validation chunks, with the plain loss and the plain SDR per stem.

# %%
valid_set = FixedChunks(valid_tracks, seconds=PLAN["seconds"], per_track=PLAN["per_track"])
dev = next(model.parameters()).device
config.seed_everything(0)
untrained = models.build("dprnn", **model.hparams).to(dev)           # the same architecture, untrained
compare = pd.DataFrame({name: {"valid loss": train.mean_loss(net, plain_loss, valid_set), **train.evaluate_sdr(net, valid_set)}
                        for name, net in [("untrained", untrained), ("trained", model)]}).T
display(compare.round(3))
assert compare.loc["trained", "valid loss"] < compare.loc["untrained", "valid loss"]

# %% [markdown]
# ## 6. The baseline: four convolutions
# Is all this machinery needed? `conv1d` is the simplest learned separator: a strided
# `Conv1d` (a learned filterbank), two convolutions at that rate, a transposed convolution
# back to samples. No skips, no recurrence, no spectrogram. The filterbank and its transposed
# decoder are those of Conv-TasNet (Luo & Mesgarani, 2019); what the baseline lacks is
# Conv-TasNet's deep stack of dilated convolutions between them, which gives that model its
# context. Train it with its own loss (L1 on the waveforms) and score both on the test split:
# DPRNN has the higher mean SDR.

# %%
baseline_curve = plots.live_losses(title=f"Conv1d baseline ({SIZE}): training and validation loss")
baseline, baseline_history, BASELINE_CKPT = train.lesson_model("conv1d", out=current().models_dir / "conv1d",
                                                              callback=baseline_curve)
if baseline_history["step"]:
    baseline_curve(baseline_history)  # drawn once, as above
print(f"conv1d: {models.parameter_count(baseline):,} parameters, DPRNN: {models.parameter_count(model):,}")

# %%
for method, ckpt in (("dprnn", CKPT), ("conv1d", BASELINE_CKPT)):
    metrics.evaluate(method, test, progress=False, checkpoint=ckpt)
stored = set(metrics.leaderboard(dataset).index)
for method in ("mixture", "oracle-irm", "oracle-wiener"):                # the others' if stored (notebook 01)
    if method not in stored:
        metrics.evaluate(method, test, progress=False)
board = metrics.leaderboard(dataset)
ORACLES = [m for m in board.index if m.startswith("oracle-")]           # every oracle stored
board["mean"] = board[list(STEMS)].mean(axis=1)
display(board.round(2))
plots.leaderboard(board[list(STEMS)])
plt.show()
best_oracle = board.loc[list(ORACLES), "mean"].idxmax()
print(f"mean SDR: DPRNN {board.loc['dprnn', 'mean']:.2f} dB, conv1d {board.loc['conv1d', 'mean']:.2f} dB, "
      f"mixture {board.loc['mixture', 'mean']:.2f} dB, the best oracle ({best_oracle}) {board.loc[best_oracle, 'mean']:.2f} dB")
assert board.loc["dprnn", "mean"] > board.loc["mixture", "mean"]     # masks that sum to the mixture: not silence
assert board.loc["dprnn", "mean"] > board.loc["conv1d", "mean"]      # context pays
assert board.loc[best_oracle, "mean"] > board.loc["dprnn", "mean"]   # the best oracle mask is above it

# %% [markdown]
# **Why the rest exist: context.** How much of the input does one output depend on? Measure it
# with autograd: back-propagate from the output at the middle of a two-second input and see
# which input samples get a gradient.

# %%
def context_seconds(net, output_fn, seconds=2.0):
    """Length (s) of the input span that one output at the middle depends on."""
    net = net.cpu().eval()
    probe = (0.1 * torch.randn(1, 2, int(seconds * rate), generator=torch.Generator().manual_seed(0))).requires_grad_()
    output_fn(net, probe).backward()
    touched = torch.nonzero(probe.grad.abs().sum(dim=(0, 1)) > 0)
    return float(touched.max() - touched.min() + 1) / rate


def middle(y):
    """Sum over everything at the middle of the last (time) axis."""
    return y[..., y.shape[-1] // 2].sum()


context = {"conv1d": context_seconds(baseline, lambda net, p: middle(net(p, std=1.0))),  # a fixed scale, see below
           "dprnn": context_seconds(model, lambda net, p: middle(net.masks(p)))}      # frames
model.to(dev)
baseline.to(dev)
for name, s in context.items():
    print(f"{name:7s}: one output depends on {1000 * s:7.1f} ms of the 2000 ms input")
low_e = 41.2                                                         # Hz: the lowest note of a bass guitar
print(f"one period of a low E ({low_e} Hz): {1000 / low_e:.1f} ms")
assert context["conv1d"] < 1 / low_e and context["dprnn"] > 1.9

# %% [markdown]
# (The baseline is given a fixed scale `std=1.0` here: normally it divides the input by the
# mixture's standard deviation, a single number that depends on every sample but carries no
# context.) The baseline decides every sample from a few milliseconds of audio, less than one
# period of a bass guitar's low E; DPRNN's masks depend on the whole input. The baseline cannot
# tell a sung vowel from a synthesizer playing the same pitch (which needs the phrase, the
# vibrato, the consonants around it), nor a bass note from the kick drum that starts with it.
# The U-Net gets its context from depth (notebook 05), Demucs from its BiLSTM (notebook 06),
# and DPRNN from its inter-chunk path.
#
# ## 7. Listen
# The listening room: the mixture, the baseline, DPRNN and the oracle ratio mask, on every
# test song and stem.

# %%
display(listen.listening_room(test, ["mixture", "conv1d", "dprnn", "oracle-irm"], dataset=dataset))

# %% [markdown]
# ## 8. Where it breaks
# DPRNN's masks keep the mixture's phase, like every mask: the oracle masks' rows above show
# how far such masks get on these songs (and notebook 06 a phase-sensitive mask that gets
# further still). And the inter-chunk path sees only what is in the input: `separate` runs it on pieces
# of 10 seconds (the model's `chunking`, declared in its file), so a chorus cannot borrow from the previous chorus. Where a part of
# the song is hard, you can hear the model hesitate; compare its vocals with the reference:

# %%
assert models.spec("dprnn").chunking[0] == 10.0                         # seconds per piece
estimates = separate("dprnn", mixture, rate, model=model)
excerpt = slice(0, min(mixture.shape[1], 8 * rate))
display(audio.play(mixture[:, excerpt], rate, title=f"mixture: {track.name}"))
display(audio.play(estimates["vocals"][:, excerpt], rate, title="DPRNN: vocals"))
display(audio.play(references["vocals"][:, excerpt], rate, title="reference vocals"))
residual = estimates["vocals"] - references["vocals"]
display(audio.play(residual[:, excerpt], rate, title="what DPRNN got wrong (estimate - reference)"))

# %% [markdown]
# ## 9. A real song
# Every song so far was synthetic. `data.real_song()` is a real one with its four true stems:
# a 6-second excerpt of "The Easton Ellises - Falcon 69" from the MUSDB18 test set, shipped with
# the `stempeg` package (license CC BY-NC-SA: for teaching and research). Separate it with
# DPRNN and the baseline and listen: the mixture, the two estimates and the true stem.

# %%
real = data.real_song()
real_mix, real_refs = data.track_mixture(real), data.track_stems(real)
real_est = {"dprnn": separate("dprnn", real_mix, real.rate, model=model),
            "conv1d": separate("conv1d", real_mix, real.rate, model=baseline)}
display(audio.play(real_mix, real.rate, title=f"the real song: {real.name}"))
for stem in ("vocals", "bass"):
    display(audio.play(real_est["dprnn"][stem], real.rate, title=f"DPRNN on the real song: {stem}"))
    display(audio.play(real_est["conv1d"][stem], real.rate, title=f"conv1d on the real song: {stem}"))
    display(audio.play(real_refs[stem], real.rate, title=f"the real song's true {stem}"))

# %% [markdown]
# What changes on real music: a sung voice with consonants and breath, guitars and a drum kit
# in a room, timbres the synthetic generator never made and neither model ever heard; reverb
# that smears each source over time, which is context of a kind DPRNN has never had to use;
# and a mastered, AAC-coded mix whose four true stems do not add up to the mixture, while
# DPRNN's softmax masks share out the whole mixture (both printed below), so the rest lands in
# some estimate and counts as error. The scores, beside the synthetic test split, the mixture
# and the oracles (whose rows, computed from the true stems, are the same at every run size;
# the models' rows depend on how they were trained, and trained here at the `quick` size
# nothing about them on this song is asserted):

# %%
rest_db = metrics.rest_db  # 10 log10 of ||sum of the parts - mixture||^2 / ||mixture||^2
print(f"true stems summed vs the mixture: {rest_db(real_refs, real_mix):.1f} dB; "
      f"DPRNN's estimates summed: {rest_db(real_est['dprnn'], real_mix):.1f} dB")
assert -25 < rest_db(real_refs, real_mix) < -8 and rest_db(real_est["dprnn"], real_mix) < -60
real_dataset = metrics.dataset_of([real])
metrics.score_missing(["dprnn", "conv1d", "mixture", "oracle-irm", "oracle-wiener"], [real],  # stored scores are reused
                      method_kwargs={"dprnn": {"checkpoint": CKPT}, "conv1d": {"checkpoint": BASELINE_CKPT}})
real_board = metrics.leaderboard(real_dataset)
real_oracles = [m for m in real_board.index if m.startswith("oracle-")]
real_best = real_board.loc[real_oracles, list(STEMS)].mean(axis=1).idxmax()
beside = pd.DataFrame({f"DPRNN: synthetic test split ({len(test)} songs)": board.loc["dprnn", list(STEMS)],
                       "DPRNN: the real song": real_board.loc["dprnn", list(STEMS)],
                       f"conv1d: synthetic test split ({len(test)} songs)": board.loc["conv1d", list(STEMS)],
                       "conv1d: the real song": real_board.loc["conv1d", list(STEMS)],
                       "mixture: the real song": real_board.loc["mixture", list(STEMS)],
                       f"{real_best} (the best oracle): the real song": real_board.loc[real_best, list(STEMS)]}).T
beside["mean"] = beside[list(STEMS)].mean(axis=1)
display(beside.round(2))
assert (real_board.loc[real_best, list(STEMS)] > real_board.loc["mixture", list(STEMS)] + 5).all()
assert beside.loc["DPRNN: the real song", "mean"] < beside.iloc[-1]["mean"]      # below the best oracle

# %% [markdown]
# Training on real songs (notebook 09) is the way to better rows on real music.

# %% [markdown]
# ## Exercises
# Each exercise has an answer cell (replace `None`, or the function's body) and a check cell
# below it; the check says whether your answer is missing, wrong or right, without giving it
# away. `ex.q1.hint()` gives a hint, `ex.q1.solution()` a solution.
#
# **1.** How many chunks $S$ does `split_chunks` make from $T$ frames with chunks of $K$
# (even) frames? Write `n_chunks(T, K)`. (Section 1 said $S \approx 2T/K$: exactly?)

# %%
from seplib.exercises import nb07 as ex

# %% tags=["answer-1"]
def n_chunks(T, K):
    return None  # your code


# %%
ex.q1.check(n_chunks)

# %% [markdown]
# **2.** The inter-chunk LSTM reads, for each position $p$ in a chunk, the sequence of that
# position across all chunks. Write `inter_view(x)` that turns `(batch, chunks, K, features)`
# into `(batch * K, chunks, features)` so that row `b * K + p` is `x[b, :, p]` (the check tries
# several shapes).

# %% tags=["answer-2"]
def inter_view(x):
    return None  # your code


# %%
ex.q2.check(inter_view)

# %% [markdown]
# **3.** One dual-path block walks $K$ steps (intra) and then $S$ steps (inter) in sequence.
# Write `best_K(T)`: an even chunk length $K$ that makes $K + S$ smallest for $T$ frames (where
# two tie, either). The check tries a 30-second input at this model's hop and other lengths.
# Then compare `best_K(1 + int(30 * rate) // hop)` with $\sqrt{2T}$ and with this run size's
# `chunk_frames`.

# %% tags=["answer-3"]
def best_K(T):
    return None  # your code: an even integer

# %%
ex.q3.check(best_K, rate=rate, hop=hop)

# %% [markdown]
# ## References
# - Y. Luo, Z. Chen, T. Yoshioka. *Dual-path RNN: efficient long sequence modeling for
#   time-domain single-channel speech separation*. ICASSP 2020.
# - D. S. Park, W. Chan, Y. Zhang, C.-C. Chiu, B. Zoph, E. D. Cubuk, Q. V. Le. *SpecAugment: a
#   simple data augmentation method for automatic speech recognition*. Interspeech 2019.
# - Y. Luo, N. Mesgarani. *Conv-TasNet: surpassing ideal time-frequency magnitude masking for
#   speech separation*. IEEE/ACM Transactions on Audio, Speech, and Language Processing 27(8),
#   2019.
