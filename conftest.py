"""pytest setup shared by the unit tests and the notebook runs (``pytest --nbval-lax``)."""
import os

os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_configure(config):
    # Write the synthetic data set once, in the main process, before any worker needs it.
    if hasattr(config, "workerinput") or not config.getoption("nbval_lax", default=False):
        return
    from seplib.data import ensure_default

    ensure_default(progress=False)


def pytest_collection_modifyitems(items):
    # After a cell has run, nbval waits at most 5 s for each of its output messages (hard-coded:
    # nbval's issues 136 and 231). On a busy 2-core machine at the lab size that was once too
    # short (notebook 06's training cell, whose loss plot is redrawn after every validation),
    # and the cell failed though it had run. A minute is plenty and still ends a hung kernel.
    for item in items:
        if hasattr(item, "output_timeout"):
            item.output_timeout = 60
