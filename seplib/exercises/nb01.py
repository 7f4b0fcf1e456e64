"""Exercises of notebook 01_stft_and_masks: checks, hints and solutions.

Every answer is a function, run on the notebook's data and on inputs it never shows: other
rates and FFT sizes, magnitudes with silent bins and one loud channel, estimates louder than
the reference and of the opposite sign.
"""
import numpy as np
import torch

from ..stems import STEMS
from . import UNANSWERED, Exercise, close, not_a_function, uses

NOTEBOOK = "01_stft_and_masks"

SPACINGS = [(44100, 2048), (8000, 256), (22050, 1000), (16000, 4096), (48000, 1024)]
"""``(rate, n_fft)`` pairs the bin spacing is checked on."""


def _grade_bin_hz(bin_hz, rate):
    wrong = not_a_function(bin_hz, "bin_hz")
    if wrong:
        return wrong
    if bin_hz(rate, 2048) is None:
        return UNANSWERED
    if uses(bin_hz, modules=("seplib.spectral", "librosa")):
        return "it calls a library's conversion: write the step from bin k to bin k + 1 yourself"
    for r, n_fft in [(rate, 2048), *SPACINGS]:
        reason = close(bin_hz(r, n_fft), r / n_fft, tol=1e-9 * r)
        if reason:
            return f"for rate={r}, n_fft={n_fft}: {reason}"
    return None


q1 = Exercise(
    NOTEBOOK, 1,
    missing="Make `bin_hz(rate, n_fft)` return how many Hz apart the bins of an STFT are.",
    grade=_grade_bin_hz,
    hint_text="Section 1: bin k is the frequency k * f_s / N Hz. What is the step from k to k + 1?",
    solution_code='''def bin_hz(rate, n_fft):
    return rate / n_fft
''',
    wrong_code='''def bin_hz(rate, n_fft):
    return rate / 2 / n_fft  # the Nyquist frequency over N: half the step
''',
    more_wrong=(
        '''def bin_hz(rate, n_fft):
    return (rate / 2) / (n_fft // 2 + 1)  # Nyquist over the number of bins
''',
        '''def bin_hz(rate, n_fft):
    return n_fft / rate  # upside down
''',
        '''def bin_hz(rate, n_fft):
    return 21.533203125  # one number, for one rate and one FFT size
''',
    ),
)


def _silent_bin_mags():
    """Magnitudes ``{stem: (2, 6, 9)}`` with bins where every stem is silent, bins where one stem
    alone sounds, and channels that differ."""
    g = torch.Generator().manual_seed(5)
    mags = {s: torch.rand(2, 6, 9, generator=g) * (10.0 ** (i - 2)) for i, s in enumerate(STEMS)}
    for m in mags.values():
        m[:, 0] = 0.0                 # the lowest frequency: every stem silent
        m[:, :, 3] = 0.0              # a silent frame
        m[1, 2:4] = 0.0               # the right channel silent in two bins
    mags["vocals"][0, 4, 5] = 2.0     # the vocals alone in one bin
    for s in ("drums", "bass", "other"):
        mags[s][0, 4, 5] = 0.0
    return mags


def _grade_irm(my_irm, mags):
    wrong = not_a_function(my_irm, "my_irm")
    if wrong:
        return wrong
    if my_irm({s: m.clone() for s, m in mags.items()}) is None:
        return UNANSWERED
    if uses(my_irm, modules=("seplib.spectral",)):
        return "it calls seplib.spectral: write the masks yourself"
    for case, name in [(mags, "the excerpt's magnitudes"), (_silent_bin_mags(), "magnitudes with silent bins")]:
        given = {s: m.clone() for s, m in case.items()}
        answer = my_irm(given)
        if not isinstance(answer, dict) or set(answer) != set(case):
            return f"on {name}: expected a dict with the keys {sorted(case)}"
        if any(not torch.equal(given[s], case[s]) for s in case):
            return f"on {name}: it changes the magnitudes it was given"
        for stem, m in case.items():
            got = torch.as_tensor(answer[stem])
            if tuple(got.shape) != tuple(m.shape):
                return f"the {stem} mask has shape {tuple(got.shape)}, not that of its magnitude {tuple(m.shape)}"
        answer = {s: torch.as_tensor(answer[s]).double() for s in case}
        if any(not bool(torch.isfinite(m).all()) for m in answer.values()):
            return f"on {name}: some mask values are NaN or infinite (a bin where every stem is silent?)"
        if any(bool((m < -1e-6).any() or (m > 1 + 1e-6).any()) for m in answer.values()):
            return f"on {name}: some mask values are outside [0, 1]"
        total = sum(answer.values())
        if not torch.allclose(total, torch.ones_like(total), atol=1e-4):
            return f"on {name}: the masks do not sum to one over the stems in every bin (silent bins too)"
        mag_total = sum(m.double() for m in case.values())
        sounding = mag_total > 1e-6 * float(mag_total.max())   # where some stem sounds, the definition decides
        worst = max(float((answer[s] - case[s].double() / mag_total.clamp_min(1e-30))[sounding].abs().max())
                    for s in case)
        if worst > 1e-4:
            return f"on {name}: the masks sum to one but do not share the bins in proportion to the magnitudes"
    return None


q2 = Exercise(
    NOTEBOOK, 2,
    missing="Make `my_irm(mags)` return a dict `{stem: mask}` of ideal ratio masks.",
    grade=_grade_irm,
    hint_text="Divide each stem's magnitude by the sum of all the stems' magnitudes, bin by bin; where "
              "the sum is zero, any split that sums to one will do (e.g. equal shares).",
    solution_code='''def my_irm(mags):
    total = sum(mags.values())
    share = 1.0 / len(mags)
    return {s: torch.where(total > 0, m / total.clamp_min(1e-12), share) for s, m in mags.items()}
''',
    wrong_code='''def my_irm(mags):
    total = sum(m ** 2 for m in mags.values())  # shares power: that is the Wiener mask
    share = 1.0 / len(mags)
    return {s: torch.where(total > 0, m ** 2 / total.clamp_min(1e-12), share) for s, m in mags.items()}
''',
    more_wrong=(
        '''def my_irm(mags):
    total = sum(mags.values())
    return {s: m / total for s, m in mags.items()}  # NaN where every stem is silent
''',
        '''def my_irm(mags):
    total = sum(mags.values())
    return {s: m / (total + 1e-8) for s, m in mags.items()}  # 0 where every stem is silent: sums to 0
''',
        '''def my_irm(mags):
    total = sum(mags.values())
    return {s: torch.where(total > 0, m / total.clamp_min(1e-12), 1.0) for s, m in mags.items()}  # sums to 4
''',
        '''def my_irm(mags):
    return spectral.ideal_ratio_mask(mags)  # the library's, not yours
''',
    ),
)


def best_gain_of(estimate, reference):
    """The gain g that maximises the plain SDR of g * estimate: <estimate, reference> / ||estimate||^2."""
    e = np.asarray(estimate, dtype=np.float64).ravel()
    r = np.asarray(reference, dtype=np.float64).ravel()
    return float(np.dot(e, r) / np.dot(e, e))


def _gain_cases():
    """Stereo ``(estimate, reference)`` pairs: too quiet, too loud, of the opposite sign, and
    with channels of different levels."""
    rng = np.random.default_rng(11)
    ref = rng.standard_normal((2, 500))
    ref[1] *= 0.2
    noise = rng.standard_normal((2, 500))
    return [(0.5 * ref + 0.3 * noise, ref), (1.7 * ref + 0.5 * noise, ref), (-0.8 * ref + 0.1 * noise, ref),
            (np.stack([ref[0], 3 * ref[1]]) + 0.2 * noise, ref)]


def _grade_gain(best_gain, estimate, reference):
    wrong = not_a_function(best_gain, "best_gain")
    if wrong:
        return wrong
    if best_gain(estimate, reference) is None:
        return UNANSWERED
    for k, (e, r) in enumerate([(estimate, reference), *_gain_cases()]):
        truth = best_gain_of(e, r)
        reason = close(best_gain(e, r), truth, tol=1e-4 * max(1.0, abs(truth)))
        if reason:
            return f"{'on the IRM vocals' if k == 0 else 'on a test pair'}: {reason}"
    return None


q3 = Exercise(
    NOTEBOOK, 3,
    missing="Make `best_gain(est, ref)` return the gain g for which the plain SDR of `g * est` against `ref` is highest.",
    grade=_grade_gain,
    hint_text="The plain SDR is highest where the error energy ||ref - g * est||^2 is lowest: set its "
              "derivative with respect to g to zero. SI-SDR's alpha scales the reference, not the estimate.",
    solution_code='''def best_gain(est, ref):
    e, r = est.ravel().astype(np.float64), ref.ravel().astype(np.float64)
    return float(np.dot(e, r) / np.dot(e, e))
''',
    wrong_code='''def best_gain(est, ref):
    e, r = est.ravel().astype(np.float64), ref.ravel().astype(np.float64)
    return float(np.dot(e, r) / np.dot(r, r))  # SI-SDR's alpha: it scales the reference
''',
    more_wrong=(
        '''def best_gain(est, ref):
    return float(np.linalg.norm(ref) / np.linalg.norm(est))  # matches the levels, ignores the error
''',
        '''def best_gain(est, ref):
    e, r = est[0].astype(np.float64), ref[0].astype(np.float64)  # the left channel only
    return float(np.dot(e, r) / np.dot(e, e))
''',
        '''def best_gain(est, ref):
    return 1.0  # the estimate as it is
''',
        '''def best_gain(est, ref):
    return ex.best_gain_of(est, ref)  # the checker's own code
''',
        '''def best_gain(est, ref):
    e, r = est.ravel().astype(np.float64), ref.ravel().astype(np.float64)
    return float(abs(np.dot(e, r)) / np.dot(e, e))  # loses the sign
''',
    ),
)
