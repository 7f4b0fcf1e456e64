"""pytest setup shared by the unit tests and the notebook runs (``pytest --nbval-lax``)."""
import os

os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_configure(config):
    # Write the synthetic data set once, in the main process, before any worker needs it.
    if hasattr(config, "workerinput") or not config.getoption("nbval_lax", default=False):
        return
    from seplib.data import ensure_default

    ensure_default(progress=False)

