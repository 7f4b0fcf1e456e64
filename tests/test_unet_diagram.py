"""plots.unet_diagram: every box gets its label, and no two labels run into each other."""
import itertools

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from seplib import plots  # noqa: E402


def _stages(depth, bins=512, frames=96, width=12):
    """The stage shapes of a U-Net of this depth, as notebook 05 records them with hooks."""
    stages = [("input features (padded)", (1, 2, bins, frames))]
    stages += [(f"encoder {i}", (1, width * 2 ** (i - 1), bins >> i, frames >> i)) for i in range(1, depth + 1)]
    stages += [(f"decoder {i}", (1, width * 2 ** (i - 1), bins >> i, frames >> i)) for i in range(depth - 1, 0, -1)]
    stages += [("decoder: up to full resolution", (1, width, bins, frames)), ("head (mask logits)", (1, 8, bins, frames))]
    return stages


@pytest.mark.parametrize("depth", [3, 5, 6])
def test_labels_do_not_overlap(depth):
    stages = _stages(depth)
    ax = plots.unet_diagram(stages)
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = [t for t in ax.texts if t.get_text()]
    assert len(texts) == 2 * len(stages)                       # a shape and a name per box
    names = {t.get_text().replace("\n", " ") for t in texts}
    assert {name for name, _ in stages} <= names               # every name shown (wrapped, not cut)
    boxes = [t.get_window_extent(renderer) for t in texts]
    for (i, a), (j, b) in itertools.combinations(enumerate(boxes), 2):
        assert not a.overlaps(b), (texts[i].get_text(), texts[j].get_text())
    plt.close(fig)


def test_the_old_layout_would_have_failed_this_check():
    # the check above catches the bug it guards against: two long names side by side at one level
    fig, ax = plt.subplots(figsize=(12, 3.5))
    a = ax.text(0, 0, "decoder: up to full resolution", ha="center", fontsize=8)
    b = ax.text(0.05, 0, "head (mask logits)", ha="center", fontsize=8)
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    assert a.get_window_extent(r).overlaps(b.get_window_extent(r))
    plt.close(fig)
