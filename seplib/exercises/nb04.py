"""Exercises of notebook 04_nmf: checks, hints and solutions."""
import numpy as np

from . import UNANSWERED, Exercise, close

NOTEBOOK = "04_nmf"


def _grade_compression(answer, V, n_components):
    F, T = np.shape(V)[-2:]
    return close(answer, F * T / (n_components * (F + T)), tol=0.01 * F * T / (n_components * (F + T)))


q1 = Exercise(
    NOTEBOOK, 1,
    missing="Store the ratio F T / (K (F + T)) in `compression`.",
    grade=_grade_compression,
    hint_text="`F, T = nmf.mono_magnitude(V).shape`: the mono spectrogram, one channel, not V itself.",
    solution_code='''F_m, T_m = nmf.mono_magnitude(V).shape
compression = F_m * T_m / (SETTINGS["n_components"] * (F_m + T_m))
''',
    wrong_code='''F_m, T_m = nmf.mono_magnitude(V).shape
compression = V.size / (SETTINGS["n_components"] * (F_m + T_m))  # counts both channels of V
''',
)


def _grade_update(kl_update_h, V, W, H):
    import torch

    from ..classical import nmf

    answer = kl_update_h(V, W, H)
    if answer is None:
        return UNANSWERED
    answer = np.asarray(answer)
    if answer.shape != H.shape:
        return f"wrong shape {answer.shape} (H is {H.shape})"
    expected = nmf.update_h(torch.tensor(V), torch.tensor(W), torch.tensor(H), "kl").numpy()
    if not np.allclose(answer, expected, rtol=1e-5):
        return "the values differ from one KL update of H (check the numerator and the denominator)"
    return None


q2 = Exercise(
    NOTEBOOK, 2,
    missing="Make `kl_update_h(V, W, H)` return the updated H.",
    grade=_grade_update,
    hint_text="Section 2: H times W^T (V / WH), divided by W^T 1, whose entries are the column "
              "sums of W (one per component, broadcast over the frames).",
    solution_code='''def kl_update_h(V, W, H):
    return H * (W.T @ (V / (W @ H))) / W.sum(axis=0)[:, None]
''',
    wrong_code='''def kl_update_h(V, W, H):
    return H * (W.T @ V) / (W.T @ W @ H)  # the Euclidean update, not the KL one
''',
)


def _grade_fit(answer, H_true):
    answer = np.asarray(answer, dtype=np.float64)
    if answer.shape != H_true.shape:
        return f"wrong shape {answer.shape} (the activations are (components, frames))"
    r = [np.corrcoef(answer[j], H_true[j])[0, 1] for j in range(len(H_true))]
    if not np.all(np.isfinite(r)) or min(r) < 0.95:
        return "the activations do not follow the true notes"
    return None


q3 = Exercise(
    NOTEBOOK, 3,
    missing="Store the fitted activations, a numpy array (2, frames), in `H_fit`.",
    grade=_grade_fit,
    hint_text="`nmf.nmf` returns W, H and the costs, in that order; H is a torch tensor (`.numpy()`).",
    solution_code='''_, H_fit, _ = nmf.nmf(V_toy, W=W_true, update_templates=False, beta="kl", n_iter=100, device="cpu")
H_fit = H_fit.numpy()
''',
    wrong_code='''H_fit, _, _ = nmf.nmf(V_toy, W=W_true, update_templates=False, beta="kl", n_iter=100, device="cpu")
H_fit = H_fit.numpy()  # the first value returned is W, not H
''',
)
