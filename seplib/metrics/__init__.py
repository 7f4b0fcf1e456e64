r"""How good is a separation? SI-SDR and SDR, BSSEval v4 (the MUSDB protocol), a results store.

Three families of numbers, from quick to official, in four parts:

* :mod:`~seplib.metrics.measures`: :func:`sdr` and :func:`si_sdr`, one energy ratio per
  signal, for validation during training.
* :mod:`~seplib.metrics.bsseval`: :func:`bss_eval_v4`, SDR, ISR, SIR and SAR per one-second
  frame, exactly as ``museval`` computes them for MUSDB18, in torch; :class:`References` and
  :func:`shared_references` reuse what the true stems alone give across many estimates;
  :func:`museval_v4` and :func:`mir_eval_images` call the reference packages with the same
  inputs and outputs.
* :mod:`~seplib.metrics.protocol`: :func:`track_scores`, :func:`aggregate`, :func:`summary`,
  the MUSDB protocol (median over frames per track, then median over tracks).
* :mod:`~seplib.metrics.store`: :func:`save_scores`, :func:`load_scores`, :func:`leaderboard`,
  :func:`why_rescore`: one JSON file per run (method, checkpoint, data set).

:func:`evaluate` (in :mod:`~seplib.metrics.evaluation`) puts them together: it separates
every track with a registered method, scores it and stores the scores;
:func:`score_missing` does so only where the stored scores cannot be reused.
Everything public is importable from ``seplib.metrics`` directly.

Shapes: a signal is ``(channels, samples)``; a set of sources is ``(sources, channels, samples)``.

Taught in: 01_stft_and_masks
"""
from ..data.musdb import dataset_of  # noqa: F401  (notebooks call metrics.dataset_of)
from .bsseval import (FILTERS_LEN, References, bss_eval_v4, mir_eval_images, museval_v4, shared_references,
                      sounding_excerpt)
from .evaluation import evaluate, score_missing
from .measures import EPS, rest_db, sdr, seconds_to_samples, si_sdr, snr
from .protocol import METRICS, PROTOCOL, aggregate, missing_reasons, summary, track_scores
from .store import (checkpoint_id, data_id, leaderboard, load_scores, method_inputs, save_scores, scores_path,
                    why_rescore)

__all__ = [
    "EPS", "FILTERS_LEN", "METRICS", "PROTOCOL", "References", "aggregate", "bss_eval_v4", "checkpoint_id", "data_id",
    "dataset_of", "evaluate", "leaderboard", "load_scores", "method_inputs", "mir_eval_images", "missing_reasons", "museval_v4", "save_scores", "score_missing",
    "rest_db", "scores_path", "shared_references", "sdr", "seconds_to_samples", "si_sdr", "snr", "sounding_excerpt", "summary",
    "track_scores", "why_rescore",
]
