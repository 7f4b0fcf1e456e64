"""Exercises of notebook 06_demucs_lite: checks, hints and solutions."""
import torch

from .. import STEMS
from . import UNANSWERED, Exercise, close

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
)


def fraction_outside(vocals, X):
    """Fraction of bins where the unclipped phase-sensitive mask of ``vocals`` lies outside [0, 1]."""
    from ..spectral import phase_sensitive_mask

    m = phase_sensitive_mask({"vocals": vocals}, X, bounds=None)["vocals"]
    return float(((m < 0) | (m > 1)).float().mean())


def _grade_outside(answer, vocals, X):
    return close(answer, fraction_outside(vocals, X), tol=0.002)


q2 = Exercise(
    NOTEBOOK, 2,
    missing="Store in `outside` the fraction (0 to 1) of the vocals' bins where the unclipped "
            "phase-sensitive mask is below 0 or above 1.",
    grade=_grade_outside,
    hint_text="spectral.phase_sensitive_mask({'vocals': specs['vocals']}, X, bounds=None) gives the mask; "
              "a bin is outside [0, 1] on either side.",
    solution_code='''m = spectral.phase_sensitive_mask({"vocals": specs["vocals"]}, X, bounds=None)["vocals"]
outside = float(((m < 0) | (m > 1)).float().mean())
''',
    wrong_code='''m = spectral.phase_sensitive_mask({"vocals": specs["vocals"]}, X, bounds=None)["vocals"]
outside = float((m > 1).float().mean())  # forgets the negative side
''',
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
)
