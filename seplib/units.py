"""Units: a duration in seconds as a number of samples, in one place for all of seplib.

numpy only, so the data writers use it without loading torch.

Taught in: 01_stft_and_masks
"""
from __future__ import annotations

import numpy as np


def seconds_to_samples(seconds, rate):
    """A duration in seconds as a whole number of samples, rounded to the nearest sample.

    The one conversion seplib uses (training chunks, synthetic songs, BSSEval frames).
    ``museval`` truncates (``int(seconds * rate)``) instead; the two agree whenever
    ``seconds * rate`` is a whole number, as for its 1 s frames at a whole-number rate, and
    rounding keeps a float error (``0.29 * 100 = 28.999...``) from costing a sample.

    Args:
        seconds (float): duration (``>= 0``), or ``None`` / ``inf`` for "the whole signal"
        rate (int): sample rate in Hz

    Returns:
        samples (int or None): ``None`` for the whole signal

    Raises:
        ValueError: a negative duration

    Taught in: 01_stft_and_masks
    """
    if seconds is None or np.isinf(seconds):
        return None
    if seconds < 0:
        raise ValueError(f"a duration must not be negative, got {seconds} s")
    return int(round(seconds * rate))
