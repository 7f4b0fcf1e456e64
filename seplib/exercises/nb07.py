"""Exercises of notebook 07_dprnn: checks, hints and solutions.

Every answer is a function, checked on many sizes: lengths that are and are not a whole
number of half-chunks, tensors of other shapes, lengths where two chunk sizes tie.
"""
import torch

from ..models.dprnn import split_chunks
from . import UNANSWERED, Exercise, not_a_function, uses

NOTEBOOK = "07_dprnn"

CASES = [(100, 16), (101, 16), (8, 8), (1, 2), (690, 48), (2584, 68), (7, 2), (96, 16), (97, 16),
         (3, 10), (1000, 250), (64, 4)]
"""(frames T, chunk K) pairs the chunk count is checked on."""


def chunk_count(T, K):
    """How many chunks :func:`seplib.models.dprnn.split_chunks` makes of ``T`` frames."""
    return split_chunks(torch.zeros(1, T, 1), K).shape[1]


def _grade_n_chunks(n_chunks):
    wrong = not_a_function(n_chunks, "n_chunks")
    if wrong:
        return wrong
    if uses(n_chunks, modules=("seplib.models",), names=("split_chunks", "chunk_count")):
        return "it calls split_chunks: count the chunks from T and K yourself"
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
    more_wrong=(
        '''def n_chunks(T, K):
    return -(-T // (K // 2))  # the half-chunks of frames, without the one more the padding adds
''',
        '''def n_chunks(T, K):
    return T // (K // 2) + 1  # rounds down: a partial half-chunk at the end is lost
''',
        '''def n_chunks(T, K):
    return -(-T // K)  # chunks without overlap
''',
        '''def n_chunks(T, K):
    return split_chunks(torch.zeros(1, T, 1), K).shape[1]  # counts them by cutting
''',
    ),
)


def _grade_inter_view(inter_view):
    wrong = not_a_function(inter_view, "inter_view")
    if wrong:
        return wrong
    g = torch.Generator().manual_seed(0)
    if inter_view(torch.randn(2, 5, 4, 3, generator=g)) is None:
        return UNANSWERED
    for shape in [(2, 5, 4, 3), (3, 2, 6, 1), (1, 7, 2, 5), (2, 4, 4, 4)]:   # (batch, chunks, K, features)
        x = torch.randn(*shape, generator=g)
        batch, chunks, K, features = shape
        answer = inter_view(x.clone())
        if not torch.is_tensor(answer) or tuple(answer.shape) != (batch * K, chunks, features):
            got = tuple(answer.shape) if hasattr(answer, "shape") else type(answer).__name__
            return f"wrong shape {got} for an input of shape {shape}"
        if not all(torch.equal(answer[b * K + p], x[b, :, p]) for b in range(batch) for p in range(K)):
            return f"for an input of shape {shape} the shape is right but row b * K + p is not x[b, :, p]"
    return None


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
    more_wrong=(
        '''def inter_view(x):
    batch, chunks, K, features = x.shape
    return x.permute(2, 0, 1, 3).reshape(batch * K, chunks, features)  # row p * batch + b, not b * K + p
''',
        '''def inter_view(x):
    batch, chunks, K, features = x.shape
    return x.transpose(1, 3).reshape(batch * K, chunks, features)  # swaps chunks with the features
''',
        '''def inter_view(x):
    batch, chunks, K, features = x.shape
    return x.reshape(batch * chunks, K, features)  # the intra view: chunks as rows
''',
    ),
)


def steps_per_block(T, K):
    """Sequential LSTM steps of one dual-path block: K (intra) + S (inter)."""
    return K + chunk_count(T, K)


def best_chunks_of(T):
    """Every even K from 2 to 2T + 2 with the fewest steps K + S for ``T`` frames."""
    steps = {k: steps_per_block(T, k) for k in range(2, 2 * T + 4, 2)}
    fewest = min(steps.values())
    return {k for k, v in steps.items() if v == fewest}


LENGTHS = [7, 100, 431, 690, 2584, 1, 97, 337, 511]
"""Frame counts the chunk length is checked on (beside 30 s of the notebook's hop)."""


def _grade_best_K(best_K, rate, hop):
    wrong = not_a_function(best_K, "best_K")
    if wrong:
        return wrong
    T30 = 1 + int(30 * rate) // hop
    if best_K(T30) is None:
        return UNANSWERED
    for T in [T30, *LENGTHS]:
        K = best_K(T)
        try:
            ok = int(K) == K
        except (TypeError, ValueError):
            return f"expected an even integer, got {type(K).__name__}"
        if not ok or int(K) < 2 or int(K) % 2:
            return "K must be an even integer of at least 2"
        if int(K) not in best_chunks_of(T):
            return f"for T = {T} frames, K + S is not the smallest possible"
    return None


q3 = Exercise(
    NOTEBOOK, 3,
    missing="Make `best_K(T)` return an even chunk length K with the fewest steps K + S for T frames.",
    grade=_grade_best_K,
    hint_text="S is about 2T/K, so K + S is smallest near K = sqrt(2T); the exact S has its rounding, so "
              "try the even K (up to 2T + 2, say) with your n_chunks (or split_chunks) and keep the best. "
              "Where two tie, either is right.",
    solution_code='''def best_K(T):
    return min(range(2, 2 * T + 4, 2), key=lambda k: k + split_chunks(torch.zeros(1, T, 1), k).shape[1])
''',
    wrong_code='''def best_K(T):
    return 2 * int(np.sqrt(T) / 2)  # sqrt(T) forgets the factor 2
''',
    more_wrong=(
        '''def best_K(T):
    return max(2, 2 * int(np.sqrt(2 * T) / 2))  # the estimate rounded down to even, not searched
''',
        '''def best_K(T):
    return min(range(1, 2 * T + 4), key=lambda k: k + 2 * T / k)  # the approximation, odd K allowed
''',
        '''def best_K(T):
    return 78  # the answer for 30 s at one hop
''',
        '''def best_K(T):
    return min(k + split_chunks(torch.zeros(1, T, 1), k).shape[1] for k in range(2, 2 * T + 4, 2))  # K + S, not K
''',
    ),
)
