"""seplib: the small library behind the music source separation workbook.

Every notebook in ``notebooks/`` calls into this package; each function's docstring names
the notebook that teaches it ("Taught in: ...").  The one call every method shares is::

    from seplib import separate
    estimates = separate("oracle-irm", mixture, rate, references=stems)
    # -> {"drums": (channels, samples), "bass": ..., "other": ..., "vocals": ...}

Map of the package (one place per concept):

* ``methods``: the registry, one record per method; ``separation``: ``separate()`` and what an
  estimate is compared with; ``oracles``: the floor and the oracles; ``blocks``: long songs in
  pieces (``separate_chunked``, blocks of STFT frames); ``run``: the run context (size, data,
  device, folders); ``sizes``: one table per run size (data, training plan, NMF); ``config``:
  device, paths, seeds.
* ``spectral``: STFT, ideal masks; ``masking``: masks to waveforms, the one front end of the
  classical methods, the oracles and the masking networks; ``classical``: HPSS, REPET, NMF,
  pipelines; ``models``: the networks; ``losses``, ``train``: training; ``data``: songs,
  splits, chunks; ``audio``.
* ``metrics``: ``measures`` (SDR, SI-SDR), ``bsseval`` (BSSEval v4), ``protocol`` (the MUSDB
  medians), ``store`` (saved scores, leaderboard), ``evaluation`` (``evaluate``, ``score_missing``).
* ``listen`` (the listening room), ``plots``, ``pretrained`` (published references), ``cli``;
  ``exercises`` (the notebooks' checks and solutions), ``colab`` (setup, Google Drive).
* Add a method: a function ``fn(mixture, rate, **kw) -> {stem: (channels, samples)}`` decorated
  with ``@seplib.methods.register(name, family=...)``, in your notebook or in ``classical/``
  (a new module there is one more line in ``methods.BUILTINS``).
* Add a model: one file with the class, its hyper-parameters per run size and a
  ``register_model(...)`` call (chunking, loss, plan, test tolerances), checked when it registers;
  in ``seplib/models/`` with one import line in ``models/__init__``, or anywhere and used from the
  command line with ``seplib --plugin MODULE`` (:mod:`seplib.plugins`). ``seplib/README.md``
  states the contract, with a worked toy model that the tests run.
* Add a notebook: ``notebooks/py/NN_name.py`` (``jupytext --sync`` writes the ``.ipynb``), its
  checks in ``seplib/exercises/nbNN.py``, and "Taught in: NN_name" where its code lives.
"""

from .stems import RATE, STEMS  # noqa: F401  (the four stems, 44100 Hz: seplib.stems)

__version__ = "0.1.0"




def __getattr__(name):
    """``seplib.separate`` (the function; the module is ``seplib.separation``), loaded on first use:
    ``import seplib`` stays light (the command line answers Ctrl-C while torch loads)."""
    if name == "separate":
        from .separation import separate

        globals()["separate"] = separate
        return separate
    raise AttributeError(f"module 'seplib' has no attribute {name!r}")
