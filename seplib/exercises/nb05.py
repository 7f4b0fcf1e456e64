"""Exercises of notebook 05_unet: checks, hints and solutions.

Every answer is a function of the settings, and each check measures the real network for
settings the notebook never uses (other depths, kernels, bin counts, chunk lengths, logits):
with a forward hook, by back-propagation, or by reading the masks.
"""
import torch

from ..stems import STEMS

from .. import models
from . import UNANSWERED, Exercise, close, not_a_function

NOTEBOOK = "05_unet"

SMALL = [dict(n_fft=512, hop=128, max_bin=100, depth=2, hidden_channels=4, kernel_size=3),
         dict(n_fft=512, hop=256, max_bin=75, depth=4, hidden_channels=3, kernel_size=5),
         dict(n_fft=256, hop=64, max_bin=129, depth=3, hidden_channels=5, kernel_size=5),
         dict(n_fft=1024, hop=512, max_bin=64, depth=1, hidden_channels=6, kernel_size=3)]
"""U-Nets the shape and the receptive field are checked on, beside the notebook's."""

SAMPLES = [5000, 7777, 4096, 22050]
"""Chunk lengths (samples) for :data:`SMALL`."""


def bottleneck_shape(unet, rate, seconds=3, samples=None):
    """The shape ``(channels, freqs, frames)`` of ``unet``'s last encoder output for a chunk of
    ``seconds`` (or of ``samples``), measured with a forward hook."""
    probe = {}
    samples = int(seconds * rate) if samples is None else samples
    hook = unet.encoder[-1].register_forward_hook(lambda mod, inp, out: probe.update(shape=tuple(out.shape[1:])))
    was_training = unet.training
    unet.eval()
    try:
        with torch.no_grad():
            unet.masks(torch.zeros(1, 2, samples))
    finally:
        hook.remove()
        unet.train(was_training)
    return probe["shape"]


def _grade_bottleneck(bottleneck, unet, rate):
    wrong = not_a_function(bottleneck, "bottleneck")
    if wrong:
        return wrong
    hparams = dict(unet.hparams)
    if bottleneck(hparams, 3 * rate) is None:
        return UNANSWERED
    cases = [(unet, hparams, 3 * rate)]
    cases += [(models.build("unet", **h), h, n) for h, n in zip(SMALL, SAMPLES)]
    for net, h, n in cases:
        try:
            answer = tuple(int(v) for v in bottleneck(dict(h), n))
        except (TypeError, ValueError):
            return "expected a tuple of three integers (channels, freqs, frames)"
        if len(answer) != 3:
            return f"expected three numbers (channels, freqs, frames), got {len(answer)}"
        truth = bottleneck_shape(net, rate, samples=n)
        if answer != truth:
            which = ", ".join(name for name, a, b in zip(("channels", "freqs", "frames"), answer, truth) if a != b)
            settings = {k: h[k] for k in ("max_bin", "hop", "depth", "hidden_channels")}
            return f"for {settings} and {n} samples: {which} not right"
    return None


q1 = Exercise(
    NOTEBOOK, 1,
    missing="Make `bottleneck(hparams, samples)` return the bottleneck's shape `(channels, freqs, frames)`.",
    grade=_grade_bottleneck,
    hint_text="The first level has hidden_channels channels and each level below doubles them; the "
              "input has max_bin rows and 1 + samples // hop frames, each padded up to a multiple of "
              "2**depth before being halved depth times.",
    solution_code='''def bottleneck(hparams, samples):
    multiple = 2 ** hparams["depth"]
    frames = 1 + samples // hparams["hop"]
    padded = lambda n: -(-n // multiple) * multiple  # round up to a multiple
    return (hparams["hidden_channels"] * 2 ** (hparams["depth"] - 1),
            padded(hparams["max_bin"]) // multiple, padded(frames) // multiple)
''',
    wrong_code='''def bottleneck(hparams, samples):
    multiple = 2 ** hparams["depth"]
    frames = 1 + samples // hparams["hop"]
    return (hparams["hidden_channels"] * 2 ** (hparams["depth"] - 1),
            hparams["max_bin"] // multiple, frames // multiple)  # no padding: a frame short
''',
    more_wrong=(
        '''def bottleneck(hparams, samples):
    multiple = 2 ** hparams["depth"]
    frames = 1 + samples // hparams["hop"]
    padded = lambda n: -(-n // multiple) * multiple
    return (hparams["hidden_channels"] * 2 ** hparams["depth"],  # one doubling too many
            padded(hparams["max_bin"]) // multiple, padded(frames) // multiple)
''',
        '''def bottleneck(hparams, samples):
    multiple = 2 ** hparams["depth"]
    frames = samples // hparams["hop"]  # forgets the first frame
    padded = lambda n: -(-n // multiple) * multiple
    return (hparams["hidden_channels"] * 2 ** (hparams["depth"] - 1),
            padded(hparams["max_bin"]) // multiple, padded(frames) // multiple)
''',
        '''def bottleneck(hparams, samples):
    return (32, 16, 33)  # one shape, for one U-Net and one chunk
''',
    ),
)

DEPTHS = [(3, 5), (2, 3), (4, 5), (1, 7), (3, 3)]
"""``(depth, kernel_size)`` of the U-Nets the receptive field is checked on."""


def receptive_field(unet, freqs=64, frames=512):
    """How many input frames one bottleneck unit of ``unet`` depends on, measured by
    back-propagating from the unit in the middle to a random input."""
    was_training = unet.training
    unet.eval()
    probe = torch.randn(1, 2, freqs, frames, requires_grad=True)  # (batch, channels, freqs, frames)
    h = probe
    for block in unet.encoder:
        h = block(h)
    h[0, :, h.shape[2] // 2, h.shape[3] // 2].sum().backward()
    unet.zero_grad(set_to_none=True)
    unet.train(was_training)
    return int((probe.grad.abs().sum(dim=(0, 1, 2)) > 0).sum())


_receptive = {}


def _measured(depth, kernel_size):
    if (depth, kernel_size) not in _receptive:
        torch.manual_seed(0)
        net = models.build("unet", n_fft=256, hop=64, max_bin=64, depth=depth, hidden_channels=2,
                           kernel_size=kernel_size)
        _receptive[depth, kernel_size] = receptive_field(net)
    return _receptive[depth, kernel_size]


def _grade_receptive(receptive_frames, unet):
    wrong = not_a_function(receptive_frames, "receptive_frames")
    if wrong:
        return wrong
    depth, kernel = unet.hparams["depth"], unet.hparams["kernel_size"]
    if receptive_frames(depth, kernel) is None:
        return UNANSWERED
    reason = close(receptive_frames(depth, kernel), receptive_field(unet), tol=0.5)
    if reason:
        return f"for this U-Net: {reason}"
    for d, k in DEPTHS:
        reason = close(receptive_frames(d, k), _measured(d, k), tol=0.5)
        if reason:
            return f"for depth {d}, kernel {k}: {reason}"
    return None


q2 = Exercise(
    NOTEBOOK, 2,
    missing="Make `receptive_frames(depth, kernel_size)` return the receptive field of one bottleneck "
            "unit, in frames.",
    grade=_grade_receptive,
    hint_text="A single frame sees 1 frame; the convolution of level l (l = 0, 1, ...) widens the window "
              "by (kernel_size - 1) * 2**l frames. Sum over the depth levels.",
    solution_code='''def receptive_frames(depth, kernel_size):
    return 1 + sum((kernel_size - 1) * 2 ** level for level in range(depth))
''',
    wrong_code='''def receptive_frames(depth, kernel_size):
    return sum((kernel_size - 1) * 2 ** level for level in range(depth))  # forgets the frame itself
''',
    more_wrong=(
        '''def receptive_frames(depth, kernel_size):
    return 1 + sum((kernel_size - 1) * 2 ** (level + 1) for level in range(depth))  # levels from 1
''',
        '''def receptive_frames(depth, kernel_size):
    return 1 + (kernel_size - 1) * depth  # as if no level were strided
''',
        '''def receptive_frames(depth, kernel_size):
    return kernel_size * 2 ** depth  # the last level's kernel times the strides
''',
        '''def receptive_frames(depth, kernel_size):
    return 29  # one number, for one U-Net
''',
    ),
)

LOGITS = [[0.0, 0.0, 0.0, 0.0], [2.0, -1.0, 0.5, -3.0], [-4.0, -4.0, -4.0, -4.0], [6.0, 6.0, -6.0, 0.0]]
"""Per-stem logits the mask sum is checked on."""


def zero_weight_mask_sum(hparams, noise, logits):
    """The mean over bins of the sum of the four masks of a sigmoid-gated U-Net whose head has
    zero weights and the bias ``logits`` (one per stem, both channels alike)."""
    zeroed = models.build("unet", **{**hparams, "gate": "sigmoid"})
    channels = zeroed.audio_channels
    torch.nn.init.zeros_(zeroed.head.weight)
    with torch.no_grad():
        zeroed.head.bias.copy_(torch.as_tensor(logits, dtype=torch.float32).repeat_interleave(channels))
        zeroed.eval()
        return float(zeroed.masks(noise).sum(dim=1).mean())


def zero_logit_mask_sum(hparams, noise):
    """The mean over bins of the sum of the four masks of a sigmoid-gated U-Net whose head
    writes zero logits everywhere."""
    return zero_weight_mask_sum(hparams, noise, [0.0] * len(STEMS))


def _grade_sigmoid_sum(sigmoid_sum, hparams, noise):
    wrong = not_a_function(sigmoid_sum, "sigmoid_sum")
    if wrong:
        return wrong
    if sigmoid_sum(torch.zeros(len(STEMS))) is None:
        return UNANSWERED
    for z in LOGITS:
        answer = sigmoid_sum(torch.tensor(z))
        answer = answer.item() if hasattr(answer, "item") else answer
        reason = close(answer, zero_weight_mask_sum(hparams, noise, z), tol=1e-4)
        if reason:
            return f"for the logits {z}: {reason}"
    return None


q3 = Exercise(
    NOTEBOOK, 3,
    missing="Make `sigmoid_sum(z)` return the sum of the four sigmoid masks when stem j's logit is z[j].",
    grade=_grade_sigmoid_sum,
    hint_text="A sigmoid gate turns each stem's logit into a mask on its own, sigmoid(z) = 1 / (1 + e^-z); "
              "nothing makes the stems' masks share.",
    solution_code='''def sigmoid_sum(z):
    return float(torch.sigmoid(torch.as_tensor(z, dtype=torch.float32)).sum())
''',
    wrong_code='''def sigmoid_sum(z):
    return 1.0  # as if the masks still had to sum to one
''',
    more_wrong=(
        '''def sigmoid_sum(z):
    return float(torch.softmax(torch.as_tensor(z), dim=0).sum())  # the softmax gate
''',
        '''def sigmoid_sum(z):
    return len(z) * float(torch.sigmoid(torch.as_tensor(z).mean()))  # the sigmoid of the mean logit
''',
        '''def sigmoid_sum(z):
    return 2.0  # four times sigmoid(0), for zero logits only
''',
        '''def sigmoid_sum(z):
    return float(torch.sigmoid(torch.as_tensor(z).sum()))  # one sigmoid of the summed logits
''',
    ),
)
