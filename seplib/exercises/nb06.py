"""Exercises of notebook 06_demucs_lite: checks, hints and solutions.

Exercises 1 and 2 are functions, run on encoders and spectra the notebook never shows (one
channel inside [0, 1] and the other outside, masks below 0, magnitudes above the mixture's
with a phase that brings the projection back inside). Exercise 3's check gives the refiner
random weights and looks at what each of its outputs depends on: other stems and other
samples, not one gain.
"""
import torch

from ..stems import STEMS
from . import UNANSWERED, Exercise, close, not_a_function

NOTEBOOK = "06_demucs_lite"

ENCODERS = [(1, 8, 4), (3, 8, 4), (4, 8, 4), (5, 8, 4), (2, 6, 2)]
"""``(depth, kernel_size, stride)`` of the encoders exercise 1 is checked on."""


def measured_receptive_field(depth, kernel_size, stride):
    """Input samples one bottleneck step of a Demucs-lite encoder depends on, measured by
    back-propagating from that step to the input (not from the formula)."""
    from .. import models

    torch.manual_seed(0)
    net = models.build("demucs-lite", depth=depth, channels=8, kernel_size=kernel_size, stride=stride).double()
    probe = torch.randn(1, 2, 40 * stride ** depth, dtype=torch.float64, requires_grad=True)
    h = probe
    for block in net.encoder:
        h = block(h)
    h[0, :, h.shape[-1] // 2].sum().backward()
    touched = torch.nonzero(probe.grad.abs().sum(dim=(0, 1)) > 0)
    return int(touched.max() - touched.min() + 1)


def _grade_receptive_field(answer):
    wrong = not_a_function(answer, "receptive_field")
    if wrong:
        return wrong
    for depth, k, s in ENCODERS:
        value = answer(depth, k, s)
        if value is None:
            return UNANSWERED
        reason = close(value, measured_receptive_field(depth, k, s), tol=0.5)
        if reason is not None:
            return f"for depth={depth}, kernel {k}, stride {s}: {reason}"
    return None


q1 = Exercise(
    NOTEBOOK, 1,
    missing="Make `receptive_field(depth, kernel_size, stride)` return a number of samples.",
    grade=_grade_receptive_field,
    hint_text="One output sample of a single convolution sees kernel_size inputs; each further level "
              "adds (kernel_size - 1) steps of the level below, and one step at level l spans "
              "stride**l input samples.",
    solution_code='''def receptive_field(depth, kernel_size, stride):
    return 1 + sum((kernel_size - 1) * stride ** level for level in range(depth))
''',
    wrong_code='''def receptive_field(depth, kernel_size, stride):
    return 1 + sum((kernel_size - 1) * stride ** (level + 1) for level in range(depth))  # levels from 1
''',
    more_wrong=(
        '''def receptive_field(depth, kernel_size, stride):
    return sum((kernel_size - 1) * stride ** level for level in range(depth))  # forgets the sample itself
''',
        '''def receptive_field(depth, kernel_size, stride):
    return kernel_size * stride ** (depth - 1)  # the last level's kernel, in input samples
''',
        '''def receptive_field(depth, kernel_size, stride):
    return 1 + (kernel_size - 1) * depth  # as if no level were strided
''',
        '''def receptive_field(depth, kernel_size, stride):
    return 1 + sum((kernel_size - 1) * stride ** level for level in range(depth)) + 2  # the 1x1 convolutions widen nothing
''',
    ),
)


def fraction_outside_of(vocals, X):
    """Fraction of bins where the unclipped phase-sensitive mask of ``vocals`` lies outside [0, 1]."""
    from ..spectral import phase_sensitive_mask

    m = phase_sensitive_mask({"vocals": torch.as_tensor(vocals)}, torch.as_tensor(X), bounds=None)["vocals"]
    return float(((m < 0) | (m > 1)).float().mean())


def _outside_cases():
    """``(S, X)``: the left channel's masks all inside [0, 1]; on the right, masks above 1, masks
    below 0, and bins where |S| > |X| but the phase brings the projection back inside."""
    g = torch.Generator().manual_seed(6)
    X = torch.complex(torch.randn(2, 6, 8, generator=g), torch.randn(2, 6, 8, generator=g))
    r = 0.1 + 0.8 * torch.rand(2, 6, 8, generator=g)              # |S| / |X|
    theta = 0.3 * torch.rand(2, 6, 8, generator=g)                # the angle between S and X
    r[1, :2], theta[1, :2] = 1.5, 0.0                             # above 1
    r[1, 2:4], theta[1, 2:4] = 0.8, 2.5                           # below 0
    r[1, 4:], theta[1, 4:] = 1.2, 1.2                             # |S| > |X|, projection 0.43
    S = X * r * torch.exp(1j * theta)
    return [(S, X), (S.flip(0), X.flip(0)), (S[:, :, :5], X[:, :, :5])]


def _grade_outside(fraction_outside, vocals, X):
    wrong = not_a_function(fraction_outside, "fraction_outside")
    if wrong:
        return wrong
    if fraction_outside(vocals, X) is None:
        return UNANSWERED
    for k, (S, X_) in enumerate([(vocals, X), *_outside_cases()]):
        answer = fraction_outside(S, X_)
        answer = answer.item() if hasattr(answer, "item") else answer
        reason = close(answer, fraction_outside_of(S, X_), tol=1e-6)
        if reason:
            where = "on the vocals" if k == 0 else "on a test spectrum whose two channels differ"
            return f"{where}: {reason} (both channels, both sides of [0, 1], the projection on X, not |S| / |X|)"
    return None


q2 = Exercise(
    NOTEBOOK, 2,
    missing="Make `fraction_outside(S, X)` return the fraction (0 to 1) of the bins where the unclipped "
            "phase-sensitive mask of S is below 0 or above 1.",
    grade=_grade_outside,
    hint_text="spectral.phase_sensitive_mask({'vocals': S}, X, bounds=None) gives the mask, of the shape "
              "of S (both channels); a bin is outside [0, 1] on either side.",
    solution_code='''def fraction_outside(S, X):
    m = spectral.phase_sensitive_mask({"vocals": S}, X, bounds=None)["vocals"]
    return float(((m < 0) | (m > 1)).float().mean())
''',
    wrong_code='''def fraction_outside(S, X):
    m = spectral.phase_sensitive_mask({"vocals": S}, X, bounds=None)["vocals"]
    return float((m > 1).float().mean())  # forgets the negative side
''',
    more_wrong=(
        '''def fraction_outside(S, X):
    m = spectral.phase_sensitive_mask({"vocals": S[:1]}, X[:1], bounds=None)["vocals"]  # the left channel only
    return float(((m < 0) | (m > 1)).float().mean())
''',
        '''def fraction_outside(S, X):
    m = S.abs() / X.abs()  # the magnitude ratio: never below 0, and blind to the phase
    return float(((m < 0) | (m > 1)).float().mean())
''',
        '''def fraction_outside(S, X):
    m = spectral.phase_sensitive_mask({"vocals": S}, X)["vocals"]  # clipped to [0, 1]: never outside
    return float(((m < 0) | (m > 1)).float().mean())
''',
        '''def fraction_outside(S, X):
    return 0.3  # one number, for the vocals of one song
''',
    ),
)


def _grade_refiner(Refiner, Stacked):
    from .. import losses, models

    torch.manual_seed(0)
    separator = models.build("demucs-lite", **models.hparams("demucs-lite", "quick"))
    refiner = Refiner()
    stacked = Stacked(separator, refiner)
    length = 4411                                                            # an odd length
    mix = 0.1 * torch.randn(2, 2, length, generator=torch.Generator().manual_seed(1))
    out = stacked(mix)
    if out is None:
        return UNANSWERED
    if not any(p.requires_grad for p in refiner.parameters()):
        return "the Refiner has no trainable parameters"
    if tuple(out.shape) != (2, len(STEMS), 2, length):
        return f"the stack returns shape {tuple(out.shape)} for 2 mixtures of {length} samples"
    stems = mix[:, None].expand(-1, len(STEMS), -1, -1) / len(STEMS)
    losses.loss_for("demucs-lite")(stacked, mix, stems).backward()
    if all(p.grad is None or not p.grad.abs().any() for p in refiner.parameters()):
        return "no gradient reaches the Refiner's parameters; is its output computed from them?"
    with torch.no_grad():
        if not torch.allclose(stacked(mix), separator(mix), atol=1e-6):
            return "a fresh Refiner changes the separator's estimates: it must start as the identity"
    return _looks_around(Refiner)


def _looks_around(Refiner, samples=64, at=32):
    """``None`` if, with random weights, one output sample of one stem depends on the other stems
    and on neighbouring samples; else why not."""
    torch.manual_seed(2)
    refiner = Refiner()
    with torch.no_grad():
        for p in refiner.parameters():
            p.copy_(0.3 * torch.randn_like(p))
    refiner.eval()
    estimates = torch.randn(1, len(STEMS), 2, samples, requires_grad=True)
    out = refiner(estimates)
    grads = []
    for stem, channel in [(0, 0), (len(STEMS) - 1, 1)]:
        estimates.grad = None
        refiner(estimates)[0, stem, channel, at].backward()
        g = estimates.grad[0].abs()
        others = torch.ones(len(STEMS), dtype=torch.bool)
        others[stem] = False
        grads.append((bool(g[others].sum() > 0), bool(g[..., torch.arange(samples) != at].sum() > 0)))
    if tuple(out.shape) != tuple(estimates.shape):
        return "with trained (non-zero) weights the Refiner changes the shape of the estimates"
    if not all(stems for stems, _ in grads):
        return ("with trained weights each stem's output still depends on that stem alone: the refiner must "
                "look at all four estimates at once (mix the stems' channels)")
    if not all(time for _, time in grads):
        return ("with trained weights each output sample depends on the same input sample alone (a gain): "
                "the refiner must look at neighbouring samples too (a convolution with a kernel)")
    return None


q3 = Exercise(
    NOTEBOOK, 3,
    missing="Fill in `Refiner`: layers in `__init__`, and a `forward` that returns the refined "
            "estimates (batch, stems, channels, samples).",
    grade=_grade_refiner,
    hint_text="Reshape to (batch, stems * channels, samples), pad to a multiple of the stride, go down, "
              "convolve, go back up, crop to the original length, add the input, reshape back; zero the "
              "last layer's weight and bias.",
    solution_code='''class Refiner(nn.Module):
    def __init__(self, stems=len(STEMS), channels=2, hidden=16, stride=4):
        super().__init__()
        width = stems * channels
        self.stride = stride
        self.down = nn.Conv1d(width, hidden, kernel_size=2 * stride, stride=stride, padding=stride // 2)
        self.mid = nn.Conv1d(hidden, hidden, kernel_size=3, padding=1)
        self.up = nn.ConvTranspose1d(hidden, width, kernel_size=stride, stride=stride)
        nn.init.zeros_(self.up.weight)                  # starts as the identity
        nn.init.zeros_(self.up.bias)

    def forward(self, estimates):
        batch, stems, channels, samples = estimates.shape
        x = estimates.reshape(batch, stems * channels, samples)
        h = self.down(F.pad(x, (0, -samples % self.stride)))
        h = h + F.relu(self.mid(h))                     # the skip around the middle
        return (x + self.up(h)[..., :samples]).reshape(batch, stems, channels, samples)
''',
    wrong_code='''class Refiner(nn.Module):
    def __init__(self, stems=len(STEMS), channels=2, hidden=16, stride=4):
        super().__init__()
        width = stems * channels
        self.down = nn.Conv1d(width, hidden, kernel_size=2 * stride, stride=stride, padding=stride // 2)
        self.mid = nn.Conv1d(hidden, hidden, kernel_size=3, padding=1)
        self.up = nn.ConvTranspose1d(hidden, width, kernel_size=stride, stride=stride)
        nn.init.zeros_(self.up.weight)
        nn.init.zeros_(self.up.bias)

    def forward(self, estimates):
        batch, stems, channels, samples = estimates.shape
        x = estimates.reshape(batch, stems * channels, samples)
        h = self.down(x)                                # no padding: odd lengths come back short
        h = h + F.relu(self.mid(h))
        return (x + self.up(h)[..., :samples]).reshape(batch, stems, channels, samples)
''',
    more_wrong=(
        '''class Refiner(nn.Module):
    def __init__(self, stems=len(STEMS), channels=2, hidden=16):
        super().__init__()
        self.gain = nn.Parameter(torch.zeros(1))       # one learned gain: it refines nothing

    def forward(self, estimates):
        return estimates * (1 + self.gain)
''',
        '''class Refiner(nn.Module):
    def __init__(self, stems=len(STEMS), channels=2, hidden=16):
        super().__init__()
        width = stems * channels
        self.mix = nn.Conv1d(width, width, kernel_size=1)  # mixes the stems, one sample at a time
        nn.init.zeros_(self.mix.weight)
        nn.init.zeros_(self.mix.bias)

    def forward(self, estimates):
        batch, stems, channels, samples = estimates.shape
        x = estimates.reshape(batch, stems * channels, samples)
        return (x + self.mix(x)).reshape(batch, stems, channels, samples)
''',
        '''class Refiner(nn.Module):
    def __init__(self, stems=len(STEMS), channels=2, hidden=16):
        super().__init__()
        width = stems * channels
        self.conv = nn.Conv1d(width, width, kernel_size=9, padding=4, groups=width)  # each stem alone
        nn.init.zeros_(self.conv.weight)
        nn.init.zeros_(self.conv.bias)

    def forward(self, estimates):
        batch, stems, channels, samples = estimates.shape
        x = estimates.reshape(batch, stems * channels, samples)
        return (x + self.conv(x)).reshape(batch, stems, channels, samples)
''',
        '''class Refiner(nn.Module):
    def __init__(self, stems=len(STEMS), channels=2, hidden=16, stride=4):
        super().__init__()
        width = stems * channels
        self.stride = stride
        self.down = nn.Conv1d(width, hidden, kernel_size=2 * stride, stride=stride, padding=stride // 2)
        self.up = nn.ConvTranspose1d(hidden, width, kernel_size=stride, stride=stride)  # not zeroed

    def forward(self, estimates):
        batch, stems, channels, samples = estimates.shape
        x = estimates.reshape(batch, stems * channels, samples)
        h = F.relu(self.down(F.pad(x, (0, -samples % self.stride))))
        return (x + self.up(h)[..., :samples]).reshape(batch, stems, channels, samples)
''',
    ),
)
