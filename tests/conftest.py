import numpy as np
import pytest

from seplib import RATE, STEMS


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory):
    """A quick-size synthetic MUSDB18-HQ tree, written once per test session."""
    from seplib.data.synth import write_dataset

    return write_dataset(tmp_path_factory.mktemp("synth") / "synth-quick", size="quick", progress=False)


@pytest.fixture
def random_stems():
    """Four short stereo stems with different spectra (noise shaped per stem)."""
    rng = np.random.default_rng(0)
    n = RATE // 2
    t = np.arange(n) / RATE
    stems = {
        "drums": (rng.standard_normal((2, n)) * (np.sin(2 * np.pi * 4 * t) > 0.7)) * 0.3,
        "bass": np.stack([np.sin(2 * np.pi * 55 * t), np.sin(2 * np.pi * 55 * t + 0.3)]) * 0.4,
        "other": np.stack([np.sin(2 * np.pi * 660 * t)] * 2) * 0.2,
        "vocals": np.stack([np.sin(2 * np.pi * 220 * t * (1 + 0.01 * np.sin(2 * np.pi * 5 * t)))] * 2) * 0.3,
    }
    return {s: stems[s].astype(np.float32) for s in STEMS}
