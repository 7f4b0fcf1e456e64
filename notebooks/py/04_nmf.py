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
# # 04 · Non-negative matrix factorisation, and four stems from classical parts
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/seplib/seplib-workbook/blob/main/notebooks/04_nmf.ipynb)
#
# **Goal.** Explain a spectrogram as a sum of a few spectral *templates*, each switched on and
# off over time ($V \approx WH$), and use the templates to separate: first without knowing
# which template is whose, then with templates learned from each stem on the training songs.
# By the end you can derive and code the multiplicative updates, run the two four-stem
# classical pipelines, and read the first leaderboard of everything so far.

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

from seplib import STEMS, audio, classical, config, data, listen, methods, metrics, plots, separate
from seplib.classical import nmf

test = data.open_dataset("test")
track = test[0]
rate = track.rate
mixture, stems = data.track_mixture(track), data.track_stems(track)
excerpt = slice(0, min(mixture.shape[1], 6 * rate))  # 6 s for the listening examples
real = data.real_song()                              # a real song with its four stems (sections 2 and 6)
# NMF sizes of this run size (nmf.settings: its row of the size table, seplib.sizes): components, iterations, seconds of each training song
SETTINGS = nmf.settings(SIZE)
print(f"{len(test)} test tracks; working on {track.name!r}; the real song {real.name!r}; NMF sizes {SETTINGS}")

# %% [markdown]
# ## 1. The idea: $V \approx WH$
# A magnitude spectrogram $V$ ($F$ frequencies $\times$ $T$ frames) of a few notes is, roughly,
# each note's spectrum times its loudness over time, summed:
#
# $$V \approx WH, \qquad W \in \mathbb{R}_{\ge 0}^{F\times K}\ \text{(templates)}, \quad
# H \in \mathbb{R}_{\ge 0}^{K\times T}\ \text{(activations)}.$$
#
# Nothing is negative: sounds add up, they do not cancel (in magnitude, approximately). That
# constraint is what makes the parts look like notes and drums instead of arbitrary patterns
# (Lee and Seung, 1999); on a spectrogram of piano music the templates come out as the notes
# (Smaragdis and Brown, 2003).
#
# A toy with two notes whose templates we know: two harmonic combs (fundamentals 4 and 6 bins
# apart, so they share some harmonics) that sound at different times and sometimes together.

# %%
F, T_toy = 64, 60
f = np.arange(F)[:, None]


def comb(f0, n_harm=8, width=0.7):
    """A harmonic template: bumps at multiples of f0 (in bins), decaying 20% per harmonic."""
    return sum(0.8 ** h * np.exp(-0.5 * ((f[:, 0] - (h + 1) * f0) / width) ** 2) for h in range(n_harm))


W_true = np.stack([comb(4.0), comb(6.0)], axis=1)                     # (freqs, 2)
H_true = np.zeros((2, T_toy))
for k, spans in enumerate([[(5, 25), (40, 55)], [(15, 35), (45, 58)]]):
    for a, b in spans:
        H_true[k, a:b] = np.exp(-np.arange(b - a) / 12)                # an onset, then a decay
rng = np.random.default_rng(0)
V_toy = W_true @ H_true + 0.01 * rng.random((F, T_toy))                # a little non-negative noise

fig, axes = plt.subplots(1, 3, figsize=(15, 3.2), gridspec_kw={"width_ratios": [3, 1, 3]})
axes[0].imshow(V_toy, origin="lower", aspect="auto", cmap="magma")
axes[0].set(title="V (toy spectrogram)", xlabel="frame", ylabel="bin")
axes[1].plot(W_true, f[:, 0])
axes[1].set(title="true templates W", xlabel="value", ylabel="bin")
axes[2].plot(H_true.T)
axes[2].set(title="true activations H", xlabel="frame")
fig.tight_layout()

# %% [markdown]
# ## 2. The multiplicative updates
# Choose a cost $D(V \mid WH)$ and minimise it over $W, H \ge 0$. Two classics (the cases
# $\beta = 2$ and $\beta = 1$ of the $\beta$-divergence family; Févotte and Idier, 2011):
#
# $$D_{\mathrm{EUC}} = \tfrac12 \lVert V - WH \rVert^2, \qquad
# D_{\mathrm{KL}} = \sum_{f,t} V \log\frac{V}{WH} - V + WH.$$
#
# The gradient of either with respect to $H$ is a difference of two non-negative terms,
# $\nabla_H D = \nabla^+ - \nabla^-$:
#
# $$\nabla_H D_{\mathrm{EUC}} = W^\top W H - W^\top V, \qquad
# \nabla_H D_{\mathrm{KL}} = W^\top \mathbf 1 - W^\top \frac{V}{WH}.$$
#
# A gradient step $H \leftarrow H - \eta \odot \nabla_H D$ with the element-wise step size
# $\eta = H / \nabla^+$ (Lee and Seung, 2001) becomes a *multiplication*:
#
# $$H \leftarrow H \odot \frac{\nabla^-}{\nabla^+}: \qquad
# H \leftarrow H \odot \frac{W^\top V}{W^\top W H}\ \ (\mathrm{EUC}), \qquad
# H \leftarrow H \odot \frac{W^\top (V / WH)}{W^\top \mathbf 1}\ \ (\mathrm{KL}),$$
#
# and symmetrically for $W$ (transpose everything):
#
# $$W \leftarrow W \odot \frac{V H^\top}{W H H^\top}\ \ (\mathrm{EUC}), \qquad
# W \leftarrow W \odot \frac{(V / WH) H^\top}{\mathbf 1 H^\top}\ \ (\mathrm{KL}).$$
#
# A positive number times a ratio of positive numbers stays positive: no projection needed.
# Where the gradient is zero the ratio is one and nothing moves. Lee and Seung proved that
# neither update ever increases its cost. In numpy:

# %%
def cost(V, WH, beta):
    if beta == "euclidean":
        return 0.5 * np.sum((V - WH) ** 2)
    return np.sum(V * np.log(V / WH) - V + WH)


def my_nmf(V, W, H, n_iter, beta):
    """Multiplicative updates by hand (H, then W, each iteration). Returns W, H, costs."""
    W, H, costs = W.copy(), H.copy(), [cost(V, W @ H, beta)]
    for _ in range(n_iter):
        if beta == "euclidean":
            H *= (W.T @ V) / (W.T @ W @ H)
            W *= (V @ H.T) / (W @ H @ H.T)
        else:
            H *= (W.T @ (V / (W @ H))) / W.sum(axis=0)[:, None]
            W *= ((V / (W @ H)) @ H.T) / H.sum(axis=1)[None, :]
        costs.append(cost(V, W @ H, beta))
    return W, H, np.array(costs)


init = np.random.default_rng(1)
W0, H0 = init.random((F, 2)) + 0.1, init.random((2, T_toy)) + 0.1
toy = {beta: my_nmf(V_toy, W0, H0, 200, beta) for beta in ("euclidean", "kl")}

fig, ax = plt.subplots(figsize=(8, 3))
for beta, (_, _, c) in toy.items():
    ax.plot(c / c[0], label=beta)
ax.set(yscale="log", xlabel="iteration", ylabel="cost / initial cost", title="NMF on the toy: the cost never rises")
ax.legend()
fig.tight_layout()
for beta, (_, _, c) in toy.items():
    rises = np.diff(c)
    print(f"{beta:9s}: cost {c[0]:.3g} -> {c[-1]:.3g}; largest change from one iteration to the next "
          f"{rises.max():.1e} ({'negative: the cost fell every time' if rises.max() < 0 else 'up to float rounding'})")
    assert np.all(rises <= 1e-9 * c[0])  # never increases (up to float rounding)

# %% [markdown]
# Did it find the notes? NMF does not know their order (component 0 may be note 1 or 2) nor
# their scale ($W H = (W c)(H / c)$), so match components to the true notes by correlation and
# compare shapes:

# %%
W_e, H_e, _ = toy["kl"]
corr = np.corrcoef(W_e.T, W_true.T)[:2, 2:]                   # (learned, true)
order = [int(np.argmax(corr[:, j])) for j in range(2)]        # learned component of each true note
fig, axes = plt.subplots(1, 2, figsize=(13, 3))
for j, k in enumerate(order):
    axes[0].plot(W_true[:, j] / W_true[:, j].max(), f"C{j}", lw=2, alpha=0.4, label=f"true note {j + 1}")
    axes[0].plot(W_e[:, k] / W_e[:, k].max(), f"C{j}--", label=f"learned component {k}")
    axes[1].plot(H_true[j] / H_true[j].max(), f"C{j}", lw=2, alpha=0.4)
    axes[1].plot(H_e[k] / H_e[k].max(), f"C{j}--")
axes[0].set(title="templates (normalised)", xlabel="bin")
axes[0].legend(fontsize="small")
axes[1].set(title="activations (normalised)", xlabel="frame")
fig.tight_layout()
matched = [corr[order[j], j] for j in range(2)]
print("template correlation with the truth: " + ", ".join(f"{m:.3f}" for m in matched))
assert sorted(order) == [0, 1] and min(matched) > 0.9

# %% [markdown]
# `seplib.classical.nmf.nmf` runs the same updates in torch (so on a GPU too) and, after each
# iteration, rescales $W$'s columns to unit sum and $H$'s rows inversely, which changes neither
# $WH$ nor the cost but keeps templates comparable. From the same initialisation it reaches the
# same factorisation:

# %%
for beta in ("euclidean", "kl"):
    W_s, H_s, c_s = nmf.nmf(V_toy, beta=beta, n_iter=200, W=W0, H=H0, device="cpu")
    W_h, H_h, c_h = toy[beta]
    WH_err = np.abs(W_s.numpy() @ H_s.numpy() - W_h @ H_h).max() / (W_h @ H_h).max()
    W_err = np.abs(W_s.numpy() - W_h / W_h.sum(0)).max() / (W_h / W_h.sum(0)).max()
    cost_err = abs(c_s[-1] - c_h[-1]) / c_h[0]
    print(f"{beta:9s}: relative difference of WH {WH_err:.1e}, of the normalised W {W_err:.1e}, of the cost {cost_err:.1e}")
    assert WH_err < 1e-3 and W_err < 1e-3 and cost_err < 1e-4

# %% [markdown]
# **Checked against scikit-learn.** `sklearn.decomposition.NMF(solver="mu",
# beta_loss="kullback-leibler")` minimises the same generalised KL divergence with the same
# multiplicative updates. Give it the same matrix, the same start and the same number of
# iterations (`init="custom"`, and `tol=0` so that it does not stop early). Then compute the
# divergence of both results in more than one way: seplib's own cost, `scipy.special.kl_div`
# summed over the bins, and scikit-learn's `reconstruction_err_`, which for this loss is
# $\sqrt{2D}$. On the toy the two results are the same. On the real song's spectrogram
# (section 6 listens to it; 16 components, 30 iterations) they differ by a few percent, for one
# reason: in each iteration scikit-learn updates $W$ before $H$, and seplib $H$ before $W$.
# The same updates by hand in scikit-learn's order give scikit-learn's result.

# %%
import warnings

from scipy.special import kl_div
from sklearn.decomposition import NMF


def kl_w_first(V, W, H, n_iter):
    """KL multiplicative updates by hand in scikit-learn's order: W, then H, each iteration."""
    W, H = W.copy(), H.copy()
    for _ in range(n_iter):
        W *= ((V / (W @ H)) @ H.T) / H.sum(axis=1)[None, :]
        H *= (W.T @ (V / (W @ H))) / W.sum(axis=0)[:, None]
    return W, H


V_real = nmf.mono_magnitude(classical.spectrogram(data.track_mixture(real))[1]).astype(np.float64)
start = np.random.default_rng(2)
W0_real = start.random((V_real.shape[0], 16)) + 0.1
H0_real = (start.random((16, V_real.shape[1])) + 0.1) * V_real.mean()
against_sklearn = {}
for name, (V_m, W_i, H_i, n_iter) in {"toy": (V_toy, W0, H0, 200), "real song": (V_real, W0_real, H0_real, 30)}.items():
    W_s, H_s, c_s = nmf.nmf(V_m, beta="kl", n_iter=n_iter, W=W_i, H=H_i, device="cpu")
    model = NMF(n_components=W_i.shape[1], solver="mu", beta_loss="kullback-leibler", init="custom",
                max_iter=n_iter, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                     # "maximum number of iterations reached": as asked
        W_k = model.fit_transform(V_m, W=W_i.copy(), H=H_i.copy())
    WH_k = W_k @ model.components_
    W_h, H_h = kl_w_first(V_m, W_i, H_i, n_iter)
    against_sklearn[name] = {
        "seplib: its cost": c_s[-1], "seplib: kl_div": kl_div(V_m, W_s.double().numpy() @ H_s.double().numpy()).sum(),
        "sklearn: err**2 / 2": model.reconstruction_err_ ** 2 / 2, "sklearn: kl_div": kl_div(V_m, WH_k).sum(),
        "by hand, W first: kl_div": kl_div(V_m, W_h @ H_h).sum(),
        "by hand vs sklearn: largest |WH difference| / max WH": np.abs(W_h @ H_h - WH_k).max() / WH_k.max()}
against_sklearn = pd.DataFrame(against_sklearn).T
against_sklearn["seplib / sklearn - 1"] = against_sklearn["seplib: kl_div"] / against_sklearn["sklearn: kl_div"] - 1
display(against_sklearn.style.format("{:.4g}"))
for name, row in against_sklearn.iterrows():
    assert abs(row["seplib: its cost"] / row["seplib: kl_div"] - 1) < 1e-4      # one divergence, computed two ways
    assert abs(row["sklearn: err**2 / 2"] / row["sklearn: kl_div"] - 1) < 1e-6
    assert row["by hand vs sklearn: largest |WH difference| / max WH"] < 1e-5     # the update order explains it all
assert abs(against_sklearn.loc["toy", "seplib / sklearn - 1"]) < 1e-4               # the toy: the same result
assert abs(against_sklearn.loc["real song", "seplib / sklearn - 1"]) < 0.05         # a few percent apart

# %% [markdown]
# ## 3. Unsupervised NMF of a song
# Factorise the song's magnitude spectrogram (channels averaged) with a few dozen components.
# Each component is a note, a drum sound, a vowel... but *which stem* it belongs to, NMF does
# not say. Virtanen (2007) groups components by clustering them, or by training; `seplib`
# guesses with four rules on simple features (`nmf.group_components`):
# most energy below 200 Hz → bass; noise-like template (*flatness*) or impulsive activation
# (*attack*) → drums; spectral *centroid* in the vocal range → vocals; else other.

# %%
X, V = classical.spectrogram(mixture)
W, H, costs = nmf.nmf(nmf.mono_magnitude(V), SETTINGS["n_components"], "kl", SETTINGS["n_iter"])
features = nmf.component_features(W, H, rate)
groups = nmf.group_components(features)
print("components per stem:", {s: len(g) for s, g in groups.items()})
assert np.all(np.diff(costs) <= 1e-4 * abs(costs[0]))  # the float32 cost does not rise either

# %%
group_of = {i: s for s, idx in groups.items() for i in idx}
colours = {s: f"C{i}" for i, s in enumerate(STEMS)}
fig, axes = plt.subplots(1, 3, figsize=(16, 3.8))
for s in STEMS:
    idx = groups[s]
    axes[0].scatter(features["centroid"][idx], features["attack"][idx], c=colours[s], label=f"{s} ({len(idx)})")
    axes[1].scatter(features["low"][idx], features["flatness"][idx], c=colours[s])
axes[0].set(xscale="log", xlabel="spectral centroid (Hz)", ylabel="attack", title="component features")
axes[0].legend(fontsize="small")
axes[1].set(xlabel="share of energy below 200 Hz", ylabel="flatness")
by_group = [i for s in STEMS for i in groups[s]]
plots.image(plots.to_db(W[:, by_group].cpu().numpy()), rate, ax=axes[2], max_hz=5000, label="dB",
            title="templates, grouped " + " | ".join(s[0] for s in STEMS if groups[s]))
axes[2].set(xlabel="component", xticks=[])
fig.tight_layout()

# %% [markdown]
# Each stem gets a soft *ratio mask* from its components, $M_j = W_j H_j / \sum_i W_i H_i$
# (the same for both channels), and the `other` stem takes what is left. $W_j H_j$ models the
# stem's *magnitude*, so this is the IRM of notebook 01 with NMF's models in place of the
# true $|S_j|$ (`power=1`); squaring the models (`power=2`) would give the Wiener form, a
# ratio of powers. Built here from the pieces above, it is exactly `separate("nmf", ...)`:

# %%
masks = nmf.group_masks(W, H, groups, power=1.0)
WH_all = (W @ H).cpu()
for s in STEMS:  # the ratio of the stem's magnitude model to the whole model
    idx = list(groups[s])
    if idx:
        assert torch.allclose(masks[s], (W[:, idx] @ H[idx]).cpu() / (WH_all + nmf.EPS), atol=1e-5)
assert torch.allclose(sum(masks.values()), torch.ones_like(WH_all), atol=1e-4)  # they sum to one
del masks["other"]
unsup = classical.masks_to_estimates(X, masks, mixture, rest="other")
unsup_seplib = separate("nmf", mixture, rate, n_components=SETTINGS["n_components"], n_iter=SETTINGS["n_iter"])
diff = max(np.abs(unsup[s] - unsup_seplib[s]).max() for s in STEMS)
print(f"largest difference to seplib's unsupervised NMF: {diff:.1e}")
assert diff < 1e-3
display(audio.play(mixture[:, excerpt], rate, title="mixture"))
for s in ("drums", "vocals"):
    display(audio.play(unsup[s][:, excerpt], rate, title=f"unsupervised NMF: {s}"))

# %% [markdown]
# ## 4. Supervised NMF: a dictionary per stem
# The grouping rules are guesses. With training data there is no need to guess (Schmidt and
# Olsson, 2006; Smaragdis et al., 2007): factorise each *stem* of the training songs on its
# own, and keep its templates as that stem's dictionary $W_j$.
# On a new mixture, fix $W = [W_{\text{drums}}, W_{\text{bass}}, W_{\text{other}}, W_{\text{vocals}}]$
# and fit only $H$ (the $H$ update alone); each stem's part of $WH$ gives its ratio mask, as
# above. The dictionaries are learned once and cached under the models folder. Whether that
# beats the guessing is measured on the whole test split in section 6.

# %%
dictionaries = nmf.supervised_dictionaries(n_components=SETTINGS["dict_components"], n_iter=SETTINGS["dict_iter"],
                                           seconds=SETTINGS["dict_seconds"], progress=False)
fig, axes = plt.subplots(1, 4, figsize=(16, 3.2), sharey=True)
for ax, (s, d) in zip(axes, dictionaries.items()):
    plots.image(plots.to_db(d.numpy()), rate, ax=ax, max_hz=5000, label="dB", title=f"{s}: {d.shape[1]} templates")
    ax.set(xlabel="template", xticks=[])
fig.tight_layout()

# %%
sup_kwargs = dict(dictionaries=dictionaries, n_iter=SETTINGS["n_iter"])
sup = separate("nmf-supervised", mixture, rate, **sup_kwargs)
for s in ("drums", "vocals"):
    display(audio.play(sup[s][:, excerpt], rate, title=f"supervised NMF: {s}"))
display(pd.DataFrame({"unsupervised": {s: metrics.sdr(unsup[s], stems[s]) for s in STEMS},
                      "supervised": {s: metrics.sdr(sup[s], stems[s]) for s in STEMS}}).T.round(2)
        .rename_axis("plain SDR on this track (dB)"))

# %% [markdown]
# ## 5. Four stems from classical parts
# Each method so far knows one trick. Chained, they give all four stems
# (`seplib.classical.pipelines`):
#
# * **classical-repet**: HPSS → `drums` (notebook 02); REPET-SIM on the rest → `vocals`
#   (notebook 03); a low-pass filter of REPET-SIM's background → `bass`; what is left → `other`.
# * **classical-nmf**: HPSS → `drums`; NMF of the rest with templates confined to a band
#   per stem (bass below 200 Hz, vocals 150 Hz–8 kHz, other above 200 Hz; a zero entry of $W$
#   stays zero under multiplicative updates, so each template stays in its band), and
#   Wiener-form masks: the stems' models squared, $M_j = (W_j H_j)^2 / \sum_i (W_i H_i)^2$.
#
# The band trick, checked: start from band-limited templates, run the updates, and look
# outside each band.

# %%
from seplib.classical import pipelines

bands = {"bass": (0.0, 200.0), "vocals": (150.0, 8000.0), "other": (200.0, rate / 2)}
W_band0, band_groups = pipelines.band_templates(rate, 4096, bands, 4)
W_band, _, _ = nmf.nmf(nmf.mono_magnitude(V), W=W_band0, beta="kl", n_iter=20)
W_band = W_band.cpu()
print(f"template entries outside their band: {int((W_band0 == 0).sum())}; "
      f"still exactly zero after 20 iterations: {int((W_band[W_band0 == 0] == 0).sum())}")
assert (W_band[W_band0 == 0] == 0).all()

# %%
pipes = {"classical-repet": separate("classical-repet", mixture, rate),
         "classical-nmf": separate("classical-nmf", mixture, rate, n_iter=SETTINGS["n_iter"])}
for name, est in pipes.items():
    assert np.abs(sum(est.values()) - mixture).max() < 1e-3      # the four stems sum to the mixture
    for s in STEMS:
        display(audio.play(est[s][:, excerpt], rate, title=f"{name}: {s}"))

# %% [markdown]
# ## 6. The first leaderboard
# Score the NMF methods and the pipelines with the MUSDB protocol, with the same settings as
# above, on the test split and on the real song. Put them beside everything stored so far:
# the mixture and the oracles (notebook 01), HPSS (02), REPET and REPET-SIM (03). Anything
# missing is scored now.
#
# The real song (a 6-second MUSDB18 excerpt that comes with musdb) differs from the synthetic
# songs in ways that matter here. It has reverb, and it is mastered: the whole mix is
# compressed, so the parts' levels move together. Its voice and instruments were recorded,
# with timbres the synthetic set lacks. Supervised NMF learned its
# dictionaries from the synthetic training songs, so on the real song its templates meet
# sounds they never saw. The other methods learn nothing from the training songs.

# %%
ORACLES = methods.names("oracle")                            # notebook 01's oracles
ours = {"nmf": dict(n_components=SETTINGS["n_components"], n_iter=SETTINGS["n_iter"]), "nmf-supervised": sup_kwargs,
        "classical-repet": {}, "classical-nmf": dict(n_iter=SETTINGS["n_iter"])}
boards, real_estimates = {}, {}                              # the real song's estimates are kept, to listen to
with metrics.shared_references():                            # each song's true stems are factored once
    for songs, tracks in {"synthetic test split": test, "real song": [real]}.items():
        stored = set(metrics.leaderboard(metrics.dataset_of(tracks)).index)
        for method in ("mixture", *ORACLES, "hpss", "repet", "repet-sim"):
            if method not in stored:
                metrics.evaluate(method, tracks, progress=False)
        for method, kwargs in ours.items():
            keep = real_estimates.setdefault(method, {}) if songs == "real song" else None
            metrics.evaluate(method, tracks, progress=False, keep=keep, **kwargs)
        boards[songs] = metrics.leaderboard(metrics.dataset_of(tracks))
dataset = metrics.dataset_of(test)
order = ["mixture", *ORACLES, "hpss", "repet", "repet-sim", "nmf", "nmf-supervised", "classical-repet", "classical-nmf"]
board, real_board = (boards[songs].loc[order, list(STEMS)] for songs in boards)
display(pd.concat(boards, axis=1).loc[order, [(songs, s) for songs in boards for s in STEMS]].round(2))

# %%
plots.leaderboard(board[list(STEMS)])
plt.show()

# %% [markdown]
# What the table says, checked:

# %%
classical_methods = ["hpss", "repet", "repet-sim", "nmf", "nmf-supervised", "classical-repet", "classical-nmf"]
for songs, b in {"synthetic test split": board, "real song": real_board}.items():
    best_oracle = b.loc[ORACLES].idxmax()                              # per stem, from the scores
    gap = b.loc[ORACLES].max() - b.loc[classical_methods].max()
    print(f"{songs}: best classical method per stem {b.loc[classical_methods].idxmax().to_dict()}; "
          f"best oracle per stem {best_oracle.to_dict()}; gap between them (dB): "
          + ", ".join(f"{s} {g:.1f}" for s, g in gap.items()))
    assert (gap > 1.0).all()                                          # well below the best oracle, on every stem
    for m in ("classical-repet", "classical-nmf"):
        assert b.loc[m, "drums"] > b.loc["mixture", "drums"]          # HPSS's drums carry both pipelines
        assert abs(b.loc[m, "drums"] - b.loc["hpss", "drums"]) < 0.01  # they are HPSS's drums
mean_sdr = pd.DataFrame({songs: b.loc[["nmf", "nmf-supervised"]].mean(axis=1)
                         for songs, b in {"synthetic test split": board, "real song": real_board}.items()})
print("mean over the four stems (dB):")
display(mean_sdr.round(2))
assert (mean_sdr.loc["nmf-supervised"] > mean_sdr.loc["nmf"]).all()  # dictionaries beat guessed groups, on both

# %% [markdown]
# On both sets of songs, every classical method stays well below the best oracle of each stem,
# by more than a dB on every stem (the gaps and the oracles' names are printed above). The
# masks they compute come from simple assumptions (shape, repetition, a fixed dictionary),
# not from knowing the sources. Closing that gap is the job of the learned models of
# notebooks 05–07. Both pipelines take HPSS's drums, so the three share one drums score.
# On average over the four stems, the learned dictionaries beat the guessed groups, on the
# synthetic test split and on the real song too. By how much on the real song depends on the
# dictionaries. They are learned from this run's training songs, so supervised NMF's scores
# on the real song change with the run size and with the synthetic songs, although the song
# stays the same.
#
# ### The listening room
# This track's estimates from above are passed in; the other tracks are separated on demand.

# %%
room_estimates = {"nmf": {track.name: unsup}, "nmf-supervised": {track.name: sup},
                  **{name: {track.name: est} for name, est in pipes.items()}}
room_kwargs = {"nmf": dict(n_components=SETTINGS["n_components"], n_iter=SETTINGS["n_iter"]), "nmf-supervised": sup_kwargs,
               "classical-nmf": dict(n_iter=SETTINGS["n_iter"])}
best_overall = board.loc[ORACLES].mean(axis=1).idxmax()     # the best oracle over the four stems
display(listen.listening_room(test, ["mixture", "nmf", "nmf-supervised", "classical-repet", "classical-nmf", best_overall],
                              estimates=room_estimates, method_kwargs=room_kwargs, dataset=dataset, seconds=6.0))

# %% [markdown]
# ### The real song
# The same methods on the real song (the estimates scored above). Pick a method and a stem,
# then play the estimate, the true stem and the mixture. (A static copy of this page plays the
# vocals.)

# %%
real_best = real_board.loc[ORACLES].mean(axis=1).idxmax()
display(listen.listening_room([real], ["mixture", "nmf", "nmf-supervised", "classical-repet", "classical-nmf", real_best],
                              estimates=real_estimates, dataset=metrics.dataset_of([real]), seconds=6.0))

# %% [markdown]
# ## 7. Where it breaks
# A dictionary knows timbres, not roles. Supervised NMF learned what the training songs'
# voices, drums and instruments sound like; an `other` instrument that plays a *melody in the
# vocal range* with a voice-like spectrum (a lead synth) fits the vocal templates about as
# well as any. Feed it a lead line alone: ideally everything comes out as `other`; instead a
# good part of it is called `vocals` (how much depends on the dictionaries, so it differs from
# one run size to another).

# %%
from seplib.data import synth

melody = [(0.0, 0.5, 67), (0.5, 0.5, 69), (1.0, 1.0, 72), (2.0, 0.5, 71), (2.5, 1.5, 67)]  # (start s, s, MIDI note)
line = synth.lead(melody, rate)
line = 0.3 * np.stack([line, line]) / np.abs(line).max()                                     # (channels, samples)
heard = separate("nmf-supervised", line, rate, **sup_kwargs)
share = {s: float(np.sum(heard[s] ** 2) / np.sum(line ** 2)) for s in STEMS}
print("share of the lead synth's energy in each estimate: " + ", ".join(f"{s} {v:.2f}" for s, v in share.items()))
display(audio.play(line, rate, title="input: a lead synth (an 'other' instrument)"))
display(audio.play(heard["vocals"], rate, title="...called vocals by supervised NMF"))
display(audio.play(heard["other"], rate, title="...called other"))
if (data.resolve_root() / "seplib.json").is_file():  # the synthetic set (dictionaries of MUSDB18 differ)
    assert share["vocals"] > 0.1  # over a tenth of the lead's energy is called vocals

# %% [markdown]
# Unsupervised NMF fails earlier, at the grouping rules (look at the component features of
# section 3: a kick drum is low like the bass, a piano note has an attack like a drum). More
# iterations fit $V$ more closely, but they do not change what the rules or the dictionaries
# can tell apart; that takes a model that sees context (which notes form a melody, what comes
# before and after), which is what the networks of notebooks 05–07 learn.

# %% [markdown]
# ## Exercises
# Each exercise has an answer cell (replace `None`) and a check cell below it; `ex.q1.hint()`
# gives a hint and `ex.q1.solution()` shows a solution, when you ask.
#
# **1.** NMF compresses: $V$ has $F \times T$ numbers, $W$ and $H$ together $K(F + T)$. Write
# `compression(V, K)`: the ratio $FT / (K(F+T))$ for the mono spectrogram of a spectrogram `V`
# (channels, freqs, frames), as `nmf.mono_magnitude(V)` makes it. The check tries this track's
# `V` with `K = SETTINGS["n_components"]`, and other shapes and K.

# %%
from seplib.exercises import nb04 as ex

# %% tags=["answer-1"]
def compression(V, K):
    return None  # your code: a number


# %%
ex.q1.check(compression, V=V, n_components=SETTINGS["n_components"])

# %% [markdown]
# **2.** Write `kl_update_h(V, W, H)`: one KL multiplicative update of `H` in numpy (section 2).
# The check runs it on the toy and on matrices of other shapes.

# %% tags=["answer-2"]
def kl_update_h(V, W, H):
    return None  # your code: the updated H, shaped like H


# %%
ex.q2.check(kl_update_h, V=V_toy, W=W0, H=H0)

# %% [markdown]
# **3.** Supervised NMF in miniature. Write `fit_activations(V, W)`: keep the templates `W`
# fixed and fit only the activations to `V`, with `nmf.nmf(V, W=W, update_templates=False,
# beta="kl", n_iter=100, device="cpu")`, and return them as a numpy array
# `(components, frames)`. The check fits the toy with its *true* templates `W_true`, and a
# spectrogram you have not seen with templates that are not its own; it measures how close
# `W H` comes to `V` in KL divergence. Then plot `fit_activations(V_toy, W_true)` beside
# `H_true`.

# %% tags=["answer-3"]
def fit_activations(V, W):
    return None  # your code: a numpy array (components, frames)


# %%
ex.q3.check(fit_activations, V=V_toy, W=W_true)

# %% [markdown]
# ## References
# - D. D. Lee, H. S. Seung. *Learning the parts of objects by non-negative matrix
#   factorization*. Nature 401, 1999 (NMF; section 1).
# - D. D. Lee, H. S. Seung. *Algorithms for non-negative matrix factorization*. Advances in
#   Neural Information Processing Systems 13 (NIPS 2000), 2001 (the multiplicative updates and
#   their proof; section 2).
# - C. Févotte, J. Idier. *Algorithms for nonnegative matrix factorization with the
#   β-divergence*. Neural Computation 23(9), 2011 (the family holding both costs; section 2).
# - P. Smaragdis, J. C. Brown. *Non-negative matrix factorization for polyphonic music
#   transcription*. IEEE WASPAA, 2003 (templates as notes; section 1).
# - T. Virtanen. *Monaural sound source separation by nonnegative matrix factorization with
#   temporal continuity and sparseness criteria*. IEEE Transactions on Audio, Speech, and
#   Language Processing 15(3), 2007 (separating with NMF, and grouping its components; section 3).
# - M. N. Schmidt, R. K. Olsson. *Single-channel speech separation using sparse non-negative
#   matrix factorization*. Interspeech 2006 (a dictionary learned per source; section 4).
# - P. Smaragdis, B. Raj, M. Shashanka. *Supervised and semi-supervised separation of sounds
#   from single-channel mixtures*. ICA 2007 (supervised NMF separation; section 4).
