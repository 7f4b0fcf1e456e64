"""pytest setup shared by the unit tests and the notebook runs (``pytest --nbval-lax``)."""
import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_configure(config):
    # Write the synthetic data set once, in the main process, before any worker needs it.
    if hasattr(config, "workerinput") or not config.getoption("nbval_lax", default=False):
        return
    from seplib.data import ensure_default

    ensure_default(progress=False)


def pytest_collection_modifyitems(config, items):
    # Notebooks build on each other's saved models and scores: run them all on one worker, in
    # order (00, 01, ... 08), while the unit tests share out over the other workers.
    for item in items:
        if item.nodeid.startswith("notebooks/"):
            item.add_marker(pytest.mark.xdist_group("notebooks"))
