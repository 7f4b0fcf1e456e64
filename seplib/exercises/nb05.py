"""Exercises of notebook 05_unet: checks, hints and solutions."""
import torch

from .. import models
from . import Exercise, close

NOTEBOOK = "05_unet"


def bottleneck_shape(unet, rate, seconds=3):
    """The shape ``(channels, freqs, frames)`` of ``unet``'s last encoder output for a chunk of
    ``seconds``, measured with a forward hook."""
    probe = {}
    hook = unet.encoder[-1].register_forward_hook(lambda mod, inp, out: probe.update(shape=tuple(out.shape[1:])))
    try:
        with torch.no_grad():
            unet.masks(torch.zeros(1, 2, seconds * rate))
    finally:
        hook.remove()
    return probe["shape"]


def _grade_bottleneck(answer, unet, rate):
    try:
        answer = tuple(int(v) for v in answer)
    except (TypeError, ValueError):
        return "expected a tuple of three integers (channels, freqs, frames)"
    if len(answer) != 3:
        return f"expected three numbers (channels, freqs, frames), got {len(answer)}"
    truth = bottleneck_shape(unet, rate)
    reasons = []
    for name, value, right in zip(("channels", "freqs", "frames"), answer, truth):
        if value != right:
            reasons.append(f"{name} {'too large' if value > right else 'too small'}")
    return None if not reasons else ", ".join(reasons)


q1 = Exercise(
    NOTEBOOK, 1,
    missing="Store the bottleneck's shape as a tuple `(channels, freqs, frames)` in `bottleneck`.",
    grade=_grade_bottleneck,
    hint_text="The first level has hidden_channels channels and each level below doubles them; the "
              "input has max_bin rows and 1 + 3 * rate // hop frames, each padded up to a multiple of "
              "2**depth before being halved depth times.",
    solution_code='''multiple = 2 ** HPARAMS["depth"]
frames = 1 + 3 * rate // HPARAMS["hop"]
padded = lambda n: -(-n // multiple) * multiple  # round up to a multiple
bottleneck = (HPARAMS["hidden_channels"] * 2 ** (HPARAMS["depth"] - 1),
              padded(HPARAMS["max_bin"]) // multiple, padded(frames) // multiple)
''',
    wrong_code='''multiple = 2 ** HPARAMS["depth"]
frames = 1 + 3 * rate // HPARAMS["hop"]
bottleneck = (HPARAMS["hidden_channels"] * 2 ** (HPARAMS["depth"] - 1),
              HPARAMS["max_bin"] // multiple, frames // multiple)  # no padding: a frame short
''',
)


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


def _grade_receptive(answer, unet):
    return close(answer, receptive_field(unet), tol=0.5)


q2 = Exercise(
    NOTEBOOK, 2,
    missing="Store the receptive field of one bottleneck unit, in frames, in `receptive_frames`.",
    grade=_grade_receptive,
    hint_text="A single frame sees 1 frame; the convolution of level l (l = 0, 1, ...) widens the window "
              "by (kernel_size - 1) * 2**l frames. Sum over the depth levels.",
    solution_code='''receptive_frames = 1 + sum((HPARAMS["kernel_size"] - 1) * 2 ** level for level in range(HPARAMS["depth"]))
''',
    wrong_code='''receptive_frames = sum((HPARAMS["kernel_size"] - 1) * 2 ** level for level in range(HPARAMS["depth"]))
''',
)


def zero_logit_mask_sum(hparams, noise):
    """The mean over bins of the sum of the four masks of a sigmoid-gated U-Net whose head
    writes zero logits everywhere."""
    zeroed = models.build("unet", **{**hparams, "gate": "sigmoid"})
    torch.nn.init.zeros_(zeroed.head.weight)
    torch.nn.init.zeros_(zeroed.head.bias)
    with torch.no_grad():
        return float(zeroed.masks(noise).sum(dim=1).mean())


def _grade_sigmoid_sum(answer, hparams, noise):
    return close(answer, zero_logit_mask_sum(hparams, noise), tol=1e-3)


q3 = Exercise(
    NOTEBOOK, 3,
    missing="Store the sum of the four sigmoid masks (all logits 0) in `sigmoid_sum`.",
    grade=_grade_sigmoid_sum,
    hint_text="A sigmoid gate turns each stem's logit into a mask on its own, sigmoid(z) = 1 / (1 + e^-z); "
              "nothing makes the stems' masks share.",
    solution_code='''sigmoid_sum = len(STEMS) * torch.sigmoid(torch.tensor(0.0)).item()
''',
    wrong_code='''sigmoid_sum = 1.0  # as if the masks still had to sum to one
''',
)
