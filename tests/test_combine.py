"""Several MUSDB18-HQ trees as one (what the shipped U-Net trained on): links, not copies."""
import pytest
import yaml

from seplib.data import open_dataset
from seplib.data.layout import combine
from seplib.data.synth import write_dataset


def test_two_sets_combine_into_one_tree_of_links(tmp_path, tiny_root):
    other = tmp_path / "other"
    write_dataset(other, size="quick", seed=5, progress=False)
    mixed = combine([tiny_root, other], tmp_path / "mixed")
    train = open_dataset("train", root=mixed)
    assert len(train) == 2 * len(open_dataset("train", root=tiny_root))
    assert all((mixed / "train" / t.name).is_symlink() for t in train)  # nothing copied
    valid = yaml.safe_load((mixed / "setup.yaml").read_text())["validation_tracks"]
    assert len(valid) == len(yaml.safe_load((tiny_root / "setup.yaml").read_text())["validation_tracks"]) * 2
    with pytest.raises(ValueError, match="exists"):
        combine([tiny_root], mixed)
    with pytest.raises(ValueError, match="two songs named"):
        combine([tiny_root, tiny_root], tmp_path / "twice")
