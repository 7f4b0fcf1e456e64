"""Exercises of notebook 07_dprnn: checks, hints and solutions."""
import torch

from ..models.dprnn import split_chunks
from . import UNANSWERED, Exercise

NOTEBOOK = "07_dprnn"

CASES = [(100, 16), (101, 16), (8, 8), (1, 2), (690, 48), (2584, 68)]
"""(frames T, chunk K) pairs the chunk count is checked on."""


def chunk_count(T, K):
    """How many chunks :func:`seplib.models.dprnn.split_chunks` makes of ``T`` frames."""
    return split_chunks(torch.zeros(1, T, 1), K).shape[1]


def _grade_n_chunks(n_chunks):
    answers = {case: n_chunks(*case) for case in CASES}
    if all(a is None for a in answers.values()):
        return UNANSWERED
    wrong = [f"T={t}, K={k}" for (t, k), a in answers.items() if a != chunk_count(t, k)]
    return None if not wrong else "a different count than split_chunks for " + "; ".join(wrong)


q1 = Exercise(
    NOTEBOOK, 1,
    missing="Write the body of `n_chunks(T, K)` so that it returns the number of chunks.",
    grade=_grade_n_chunks,
    hint_text="Count the padded length: K/2 zero frames in front, T frames, then zeros up to a multiple "
              "of K/2 and K/2 more; a chunk starts every K/2 frames and must fit whole.",
    solution_code='''def n_chunks(T, K):
    half = K // 2
    return -(-T // half) + 1  # ceil(T / (K/2)) half-chunks of frames, plus one
''',
    wrong_code='''def n_chunks(T, K):
    return 2 * T // K  # the approximation, not the count
''',
)


def _grade_inter_view(inter_view):
    x = torch.randn(2, 5, 4, 3, generator=torch.Generator().manual_seed(0))  # (batch, chunks, K, features)
    answer = inter_view(x)
    if answer is None:
        return UNANSWERED
    if tuple(answer.shape) != (2 * 4, 5, 3):
        return f"wrong shape {tuple(answer.shape)} for an input of shape {tuple(x.shape)}"
    if all(torch.equal(answer[b * 4 + p], x[b, :, p]) for b in range(2) for p in range(4)):
        return None
    return "the shape is right but row b * K + p is not x[b, :, p]: the values are mixed up"


q2 = Exercise(
    NOTEBOOK, 2,
    missing="Write the body of `inter_view(x)` so that it returns the rearranged tensor.",
    grade=_grade_inter_view,
    hint_text="A reshape alone keeps the memory order (chunks before positions); the positions must "
              "come first. DualPathBlock.forward does the same.",
    solution_code='''def inter_view(x):
    batch, chunks, K, features = x.shape
    return x.transpose(1, 2).reshape(batch * K, chunks, features)
''',
    wrong_code='''def inter_view(x):
    batch, chunks, K, features = x.shape
    return x.reshape(batch * K, chunks, features)  # no transpose: rows mix chunks and positions
''',
)


def steps_per_block(T, K):
    """Sequential LSTM steps of one dual-path block: K (intra) + S (inter)."""
    return K + chunk_count(T, K)


def _grade_best_K(answer, rate, hop):
    try:
        K = int(answer)
    except (TypeError, ValueError):
        return f"expected an even integer, got {type(answer).__name__}"
    if K != answer or K < 2 or K % 2:
        return "K must be an even integer of at least 2"
    T = 1 + int(30 * rate) // hop
    fewest = min(steps_per_block(T, k) for k in range(2, 2 * T + 2, 2))
    if steps_per_block(T, K) == fewest:
        return None
    return f"K + S is not the smallest possible for T = {T} frames: K is too {'large' if K * K > 2 * T else 'small'}"


q3 = Exercise(
    NOTEBOOK, 3,
    missing="Store the even chunk length K with the fewest steps K + S in `best_K`.",
    grade=_grade_best_K,
    hint_text="T = 1 + 30 * rate // hop frames. S is about 2T/K, so K + S is smallest near K = sqrt(2T); "
              "try the even K around it with split_chunks (or your n_chunks) and keep the best.",
    solution_code='''T30 = 1 + int(30 * rate) // hop
best_K = min(range(2, 402, 2), key=lambda k: k + split_chunks(torch.zeros(1, T30, 1), k).shape[1])
''',
    wrong_code='''T30 = 1 + int(30 * rate) // hop
best_K = 2 * int(np.sqrt(T30) / 2)  # sqrt(T) forgets the factor 2
''',
)
