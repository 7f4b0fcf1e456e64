"""Exercises of notebook 04_nmf: checks, hints and solutions.

Every answer is a function, run on the notebook's toy and on matrices it never shows:
spectrograms of one and two channels, templates that are not square and not the true ones,
a spectrogram with a wide dynamic range that no fixed templates explain exactly (so the true
activations are not at hand, and a fit of another cost or with free templates shows).
"""
import numpy as np

from . import UNANSWERED, Exercise, close, not_a_function, uses

NOTEBOOK = "04_nmf"

SHAPES = [((2, 5, 7), 3), ((1, 4, 9), 2), ((2, 10, 3), 1), ((2, 1025, 431), 32)]
"""``(spectrogram shape, K)`` pairs the compression is checked on."""


def _ratio(shape, K):
    F, T = shape[-2:]
    return F * T / (K * (F + T))


def _grade_compression(compression, V, n_components):
    wrong = not_a_function(compression, "compression")
    if wrong:
        return wrong
    if compression(V, n_components) is None:
        return UNANSWERED
    for shape, K in [(np.shape(V), n_components), *SHAPES]:
        given = V if shape == np.shape(V) else np.ones(shape, dtype=np.float32)
        truth = _ratio(shape, K)
        reason = close(compression(given, K), truth, tol=1e-6 * truth)
        if reason:
            return f"for a spectrogram of shape {shape} and K={K}: {reason}"
    return None


q1 = Exercise(
    NOTEBOOK, 1,
    missing="Make `compression(V, K)` return the ratio F T / (K (F + T)) for the mono spectrogram of `V`.",
    grade=_grade_compression,
    hint_text="`F, T = nmf.mono_magnitude(V).shape` (or the last two sizes of V): one channel's "
              "frequencies and frames, not V's size with both channels.",
    solution_code='''def compression(V, K):
    F, T = np.shape(V)[-2:]
    return F * T / (K * (F + T))
''',
    wrong_code='''def compression(V, K):
    F, T = np.shape(V)[-2:]
    return np.size(V) / (K * (F + T))  # counts every channel of V
''',
    more_wrong=(
        '''def compression(V, K):
    F, T = np.shape(V)[-2:]
    return K * (F + T) / (F * T)  # upside down
''',
        '''def compression(V, K):
    F, T = np.shape(V)[:2]  # (channels, freqs), not (freqs, frames)
    return F * T / (K * (F + T))
''',
        '''def compression(V, K):
    F, T = np.shape(V)[-2:]
    return F * T / (K * F + T)  # a bracket lost
''',
        '''def compression(V, K):
    return 10.5  # one number, for one spectrogram
''',
    ),
)


def _kl_update(V, W, H):
    return H * (W.T @ (V / (W @ H))) / W.sum(axis=0)[:, None]


def _update_cases():
    rng = np.random.default_rng(8)
    W = rng.random((7, 3)) + 0.05
    H = rng.random((3, 5)) + 0.05
    V = (W @ H) * rng.gamma(2.0, 0.5, (7, 5))
    W2 = rng.random((4, 6)) + 0.05          # more components than frequencies
    H2 = rng.random((6, 9)) + 0.05
    return [(V, W, H), (rng.random((4, 9)) + 1e-3, W2, H2)]


def _grade_update(kl_update_h, V, W, H):
    import torch

    from ..classical import nmf

    wrong = not_a_function(kl_update_h, "kl_update_h")
    if wrong:
        return wrong
    if kl_update_h(V.copy(), W.copy(), H.copy()) is None:
        return UNANSWERED
    if uses(kl_update_h, modules=("seplib.classical.nmf",), names=("update_h",)):
        return "it calls seplib's update: write it in numpy"
    for k, (v, w, h) in enumerate([(V, W, H), *_update_cases()]):
        answer = np.asarray(kl_update_h(v.copy(), w.copy(), h.copy()))
        if answer.shape != h.shape:
            return f"wrong shape {answer.shape} (H is {h.shape}, W {w.shape})"
        expected = nmf.update_h(torch.tensor(v), torch.tensor(w), torch.tensor(h), "kl").numpy()
        if not np.allclose(answer, expected, rtol=1e-5, atol=1e-12):
            where = "on the toy" if k == 0 else f"on a test matrix (W {w.shape})"
            return f"{where}: the values differ from one KL update of H (check the numerator and the denominator)"
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
    more_wrong=(
        '''def kl_update_h(V, W, H):
    return H * (W.T @ (V / (W @ H)))  # no denominator
''',
        '''def kl_update_h(V, W, H):
    return H * (W.T @ (V / (W @ H))) / W.sum(axis=1).sum()  # sums W over the wrong axis
''',
        '''def kl_update_h(V, W, H):
    return H * (W.T @ (V / (W @ H))) / W.sum()  # one number for every component
''',
        '''def kl_update_h(V, W, H):
    return nmf.update_h(torch.tensor(V), torch.tensor(W), torch.tensor(H), "kl").numpy()  # seplib's
''',
    ),
)

N_ITER = 100
"""Iterations of the fit of exercise 3."""


def _fit_case():
    """A spectrogram no fixed templates explain exactly, and templates that are not its own."""
    rng = np.random.default_rng(9)
    W_src = rng.random((20, 3)) ** 2 + 0.01
    H_src = rng.random((3, 30)) ** 4 * np.logspace(0, -3, 30)     # loud frames and very quiet ones
    V = (W_src @ H_src) * rng.gamma(4.0, 0.25, (20, 30)) + 1e-6
    W = W_src * rng.uniform(0.6, 1.5, W_src.shape)                  # templates near, not equal to, the truth
    return V.astype(np.float32), W.astype(np.float32)


def _kl(V, W, H):
    V, WH = np.asarray(V, np.float64), np.asarray(W, np.float64) @ np.asarray(H, np.float64)
    if np.any(WH <= 0):
        return np.inf
    safe = np.where(V > 0, V, 1.0)
    return float(np.sum(np.where(V > 0, V * np.log(safe / WH), 0.0) - V + WH))


def _reference_cost(V, W):
    from ..classical import nmf

    _, H, _ = nmf.nmf(V, W=W, update_templates=False, beta="kl", n_iter=N_ITER, device="cpu")
    return _kl(V, W, H.numpy())


def _grade_fit(fit_activations, V, W):
    wrong = not_a_function(fit_activations, "fit_activations")
    if wrong:
        return wrong
    if fit_activations(V, W) is None:
        return UNANSWERED
    for k, (v, w) in enumerate([(V, W), _fit_case()]):
        answer = fit_activations(v, w)
        answer = np.asarray(answer.detach().cpu() if hasattr(answer, "detach") else answer, dtype=np.float64)
        if answer.shape != (w.shape[1], v.shape[1]):
            return f"wrong shape {answer.shape}: the activations are (components, frames) = {(w.shape[1], v.shape[1])}"
        if np.any(answer < 0) or not np.all(np.isfinite(answer)):
            return "activations are finite and non-negative"
        where = "on the toy" if k == 0 else "on a test spectrogram with other templates"
        cost, best = _kl(v, w, answer), _reference_cost(v, w)
        if not cost <= best * (1 + 1e-3) + 1e-9:
            return (f"{where}: W H with these activations is further from V, in KL divergence, than "
                    f"{N_ITER} KL updates of H with W fixed reach (the KL cost? W kept fixed?)")
    return None


q3 = Exercise(
    NOTEBOOK, 3,
    missing="Make `fit_activations(V, W)` return the activations (a numpy array (components, frames)) "
            "fitted to V with the templates W fixed.",
    grade=_grade_fit,
    hint_text="`nmf.nmf(V, W=W, update_templates=False, beta=\"kl\", n_iter=100, device=\"cpu\")` returns W, "
              "H and the costs, in that order; H is a torch tensor (`.numpy()`).",
    solution_code='''def fit_activations(V, W):
    _, H, _ = nmf.nmf(V, W=W, update_templates=False, beta="kl", n_iter=100, device="cpu")
    return H.numpy()
''',
    wrong_code='''def fit_activations(V, W):
    H, _, _ = nmf.nmf(V, W=W, update_templates=False, beta="kl", n_iter=100, device="cpu")
    return H.numpy()  # the first value returned is W, not H
''',
    more_wrong=(
        '''def fit_activations(V, W):
    return H_true  # the true activations of the toy
''',
        '''def fit_activations(V, W):
    _, H, _ = nmf.nmf(V, W=W, beta="kl", n_iter=100, device="cpu")  # the templates move too
    return H.numpy()
''',
        '''def fit_activations(V, W):
    _, H, _ = nmf.nmf(V, W=W, update_templates=False, beta="euclidean", n_iter=100, device="cpu")
    return H.numpy()  # the Euclidean cost, not KL
''',
        '''def fit_activations(V, W):
    _, H, _ = nmf.nmf(V, W=W, update_templates=False, beta="kl", n_iter=5, device="cpu")
    return H.numpy()  # stops after 5 updates
''',
    ),
)
