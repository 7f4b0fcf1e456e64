"""Plots the notebooks share: waveforms, spectrograms, masks, loss curves, leaderboards.

Every function draws on a matplotlib ``Axes`` (made if not given) and returns it.

Taught in: 00_getting_started
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .spectral import HOP, N_FFT, stft


def _axes(ax, figsize=(10, 3)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def to_db(mag, floor_db=-80.0):
    """Magnitude to decibels relative to its maximum, floored at ``floor_db``."""
    mag = np.asarray(mag)
    ref = max(float(mag.max()), 1e-10)
    return np.maximum(20 * np.log10(np.maximum(mag, 1e-10) / ref), floor_db)


def waveform(audio, rate, ax=None, title=None, label=None):
    """Plot a waveform (the first channel of ``(channels, samples)``) against time in seconds.

    Taught in: 00_getting_started
    """
    ax = _axes(ax)
    x = np.asarray(audio)
    x = x[0] if x.ndim == 2 else x
    ax.plot(np.arange(len(x)) / rate, x, lw=0.5, label=label)
    ax.set(xlabel="time (s)", ylabel="amplitude", title=title)
    ax.set_xlim(0, len(x) / rate)
    return ax


def spectrogram(audio, rate, ax=None, title=None, n_fft=N_FFT, hop=HOP, max_hz=8000, floor_db=-80):
    """Plot a log-magnitude spectrogram (dB) of ``(channels, samples)`` audio (channels averaged).

    Taught in: 00_getting_started
    """
    x = np.asarray(audio)
    mag = stft(x, n_fft, hop).abs().numpy()
    if mag.ndim == 3:
        mag = mag.mean(0)
    return image(to_db(mag, floor_db), rate, hop=hop, n_fft=n_fft, ax=ax, title=title,
                 max_hz=max_hz, label="dB")


def image(values, rate, hop=HOP, n_fft=N_FFT, ax=None, title=None, max_hz=8000, label=None,
          cmap="magma", vmin=None, vmax=None):
    """Show a ``(freqs, frames)`` array (a spectrogram in dB, a mask) on time/frequency axes.

    Taught in: 01_stft_and_masks
    """
    ax = _axes(ax)
    values = np.asarray(values)
    if values.ndim == 3:
        values = values.mean(0)
    freqs, frames = values.shape
    top = min(max_hz, rate / 2) if max_hz else rate / 2
    keep = int(np.ceil(top * n_fft / rate)) + 1
    im = ax.imshow(values[:keep], origin="lower", aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax,
                   extent=(0, frames * hop / rate, 0, keep * rate / n_fft))
    ax.set(xlabel="time (s)", ylabel="frequency (Hz)", title=title)
    plt.colorbar(im, ax=ax, label=label, pad=0.01)
    return ax


def mask(values, rate, ax=None, title=None, hop=HOP, n_fft=N_FFT, max_hz=8000):
    """Show a mask (values in [0, 1]) of shape ``(freqs, frames)`` or ``(channels, freqs, frames)``.

    Taught in: 01_stft_and_masks
    """
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    return image(values, rate, hop=hop, n_fft=n_fft, ax=ax, title=title, max_hz=max_hz,
                 label="mask", cmap="viridis", vmin=0, vmax=1)


def losses(history, ax=None, title="training"):
    """Plot training (and validation) loss against step from a :func:`seplib.train.fit` history.

    Taught in: 05_unet
    """
    import pandas as pd

    ax = _axes(ax, (8, 3))
    h = pd.DataFrame(history) if not isinstance(history, pd.DataFrame) else history
    positive = True
    for col in ("train_loss", "valid_loss"):
        if col in h and h[col].notna().any():
            d = h[["step", col]].dropna()
            positive = positive and bool((d[col] > 0).all())
            ax.plot(d["step"], d[col], marker="o" if col == "valid_loss" else None, ms=3, label=col)
    # a log axis where every loss is positive; a linear one for losses in dB (e.g. -SDR)
    ax.set(xlabel="step", ylabel="loss", title=title, yscale="log" if positive else "linear")
    ax.legend()
    return ax


def live_losses(title="training", figsize=(8, 3)):
    """A ``callback`` for :func:`seplib.train.fit` that redraws the loss curve in place.

    The figure is shown once, through an IPython display handle, and updated after every
    validation, so a notebook cell shows one growing curve instead of one plot per row. Call
    it once more with the history :func:`seplib.train.train_model` returns: that redraws the
    same figure, and shows it for a run that had already finished (which calls back nothing),
    so the loss curve is drawn exactly once either way; do not plot it again with
    :func:`losses`.

    Args:
        title (str): the plot's title
        figsize (tuple): figure size in inches

    Returns:
        callback (callable): ``callback(history)``, ``history`` as :func:`seplib.train.fit`
        returns it; ``callback.figure`` is the matplotlib figure

    Taught in: 05_unet
    """
    from IPython.display import display

    fig, ax = plt.subplots(figsize=figsize)
    plt.close(fig)  # shown through the handle only, not a second time at the end of the cell
    handle = None

    def callback(history):
        nonlocal handle
        ax.clear()
        losses(history, ax=ax, title=title)
        if handle is None:
            handle = display(fig, display_id=True)
        else:
            handle.update(fig)

    callback.figure = fig
    return callback


def leaderboard(table, ax=None, title="median SDR on the test split (dB)"):
    """Bar chart of a leaderboard table (methods x stems, from :func:`seplib.metrics.leaderboard`).

    Taught in: 08_leaderboard
    """
    ax = _axes(ax, (10, 4))
    table.plot.bar(ax=ax, width=0.8)
    ax.axhline(0, color="k", lw=0.5)
    ax.set(title=title, ylabel="dB", xlabel="")
    ax.legend(ncol=5, fontsize="small")
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
    return ax


def unet_diagram(stages, ax=None, title="the U-Net: channels×freqs×frames"):
    """Draw a U-Net from the shapes of its stages: a box per stage, deeper levels lower.

    Each box is placed in the order of the forward pass, one level down per halving of the
    frequency axis, and is taller the more frequency bins it holds; its shape is written inside
    and its name, wrapped, under it (so that neighbouring names never run into each other).
    Dashed lines are the skip connections: an encoder (or the input) to the decoder on its level.

    Args:
        stages (list): ``[(name, shape), ...]`` in the order of the forward pass, ``shape`` a
            ``(batch, channels, freqs, frames)`` tuple; the first is the encoder's input, and
            names start with ``"input"``, ``"encoder"``, ``"decoder"`` or ``"head"``
        ax (matplotlib.axes.Axes): where to draw (default: a new figure, wide enough for every box)
        title (str): the title

    Returns:
        ax (matplotlib.axes.Axes)

    Taught in: 05_unet
    """
    import textwrap

    top = stages[0][1][2]
    levels = [int(round(np.log2(top / shape[2]))) for _, shape in stages]
    depth, step = max(levels), 1.3                                  # vertical distance between levels
    if ax is None:
        _, ax = plt.subplots(figsize=(max(8.0, 1.0 * len(stages)), 1.0 + 0.8 * (depth + 1)))
    colors = {"e": "tab:blue", "d": "tab:orange", "h": "tab:orange"}
    heights = [0.55 + 0.35 * shape[2] / top for _, shape in stages]   # room for the two lines of its shape
    for i, ((name, shape), level, height) in enumerate(zip(stages, levels, heights)):
        y = -step * level
        ax.add_patch(plt.Rectangle((i - 0.42, y - height / 2), 0.84, height,
                                   color=colors.get(name[0], "tab:gray"), alpha=0.6))
        ax.text(i, y, f"{shape[1]}×{shape[2]}\n×{shape[3]}", ha="center", va="center", fontsize=7.5)
        ax.text(i, y - height / 2 - 0.06, textwrap.fill(name, 11), ha="center", va="top", fontsize=7.5,
                linespacing=1.0)
        if i:
            ax.annotate("", (i - 0.42, y), (i - 0.58, -step * levels[i - 1]), arrowprops=dict(arrowstyle="->"))
    for i, (name, _) in enumerate(stages):                          # encoder k skips to the decoder on its level
        if name.startswith(("encoder", "input")) and levels[i] < depth:
            j = next((j for j in range(i + 1, len(stages)) if stages[j][0].startswith("decoder")
                      and levels[j] == levels[i]), None)
            if j is not None:
                y = -step * levels[i] + max(heights[i], heights[j]) / 2 + 0.08
                ax.plot([i, j], [y, y], "k--", lw=0.8)
    ax.set(xlim=(-0.6, len(stages) - 0.4), ylim=(-step * depth - 1.05, 0.75), title=title)
    ax.axis("off")
    return ax
