"""What a song is made of, in seplib: the four stems, the sample rate, and the accompaniment.

The smallest module of the package: it imports nothing else from seplib, so every other module
can use these names without pulling in more.

Taught in: 00_getting_started
"""
from __future__ import annotations

import numpy as np

STEMS = ("drums", "bass", "other", "vocals")
"""The four MUSDB18 stems, in the order seplib uses everywhere."""

RATE = 44100
"""Sample rate of MUSDB18 and of the synthetic default data (Hz)."""


def accompaniment(stems):
    """The accompaniment: the sum of every stem but the vocals (musdb's definition).

    Args:
        stems (dict): ``{stem: (channels, samples)}``, the true stems

    Returns:
        accompaniment (np.ndarray): ``(channels, samples)``

    Raises:
        ValueError: no stem other than vocals

    Taught in: 03_repet_sim
    """
    others = [np.asarray(v) for k, v in stems.items() if k not in ("vocals", "accompaniment")]
    if not others:
        raise ValueError(f"no stems besides the vocals to sum into an accompaniment (got {sorted(stems)})")
    return np.sum(others, axis=0)
