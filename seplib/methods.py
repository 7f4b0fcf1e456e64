"""Every separation method as one record in one registry.

A method is a plain function ``fn(mixture (channels, samples), rate, **kwargs) -> {stem:
(channels, samples)}`` plus what the rest of seplib needs to know about it: its family, the
stems it gives, whether it needs the true stems (an oracle) or takes a checkpoint (a trained
model), and the notebook that teaches it. The command line, the leaderboard and the listening
room read these records; nothing else lists method names.

Add your own with one call, as a decorator or a plain call::

    from seplib import methods

    @methods.register("my-lowpass", family="classical", stems=("bass", "rest"),
                      description="everything under 200 Hz is bass")
    def my_lowpass(mixture, rate):
        ...
        return {"bass": low, "rest": mixture - low}

It is then separated, evaluated, stored and shown like a built-in method
(``seplib.separate("my-lowpass", mixture, rate)``, ``seplib.metrics.evaluate("my-lowpass", tracks)``).

Taught in: 08_leaderboard
"""
from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from typing import Callable

from .stems import STEMS

FAMILIES = ("floor", "oracle", "classical", "learned", "reference")
"""The families, in leaderboard order: ``floor`` (the unprocessed mixture), ``oracle`` (upper
bounds from the true stems), ``classical`` (notebooks 02-04), ``learned`` (trained here,
notebooks 05-07), ``reference`` (pretrained models from elsewhere, notebook 08)."""

BUILTINS = ("seplib.oracles", "seplib.classical.hpss", "seplib.classical.repet", "seplib.classical.nmf",
            "seplib.classical.pipelines", "seplib.classical.panning", "seplib.models")
"""Modules whose import registers the built-in methods (imported on first look-up): a new module
of methods is one more line here; a new method in one of them is one ``register`` call."""


@dataclass(frozen=True)
class Method:
    """One separation method.

    Args:
        name (str): its name everywhere (Python, command line, results store, leaderboard)
        fn (callable): ``fn(mixture, rate, **kwargs) -> {stem: (channels, samples)}``
        family (str): one of :data:`FAMILIES`
        stems (tuple): the stems it gives (scored on those only)
        needs_references (bool): it needs the true stems (``references=``): an oracle
        takes_checkpoint (bool): it accepts ``checkpoint=PATH`` (a trained model)
        takes_run (bool): its function has a ``run`` parameter: :func:`seplib.separate` passes
            it the run context (:class:`seplib.run.Run`) when it has one (a trained model finds
            its checkpoint by it); ``False``: ``run`` is never passed
        taught_in (str): the lesson (notebook) that teaches it, e.g. ``"02_hpss"`` (``None`` for yours)
        description (str): one line
    """

    name: str
    fn: Callable = field(repr=False)
    family: str
    stems: tuple = STEMS
    needs_references: bool = False
    takes_checkpoint: bool = False
    taught_in: str | None = None
    description: str = ""
    takes_run: bool = False


_REGISTRY: dict = {}
_loaded = False
_loading = False


def register(name, fn=None, *, family, stems=STEMS, needs_references=False, takes_checkpoint=False,
             taught_in=None, description="", replace=False, takes_run=False, notebook=None):
    """Add a method to the registry; use as ``register(name, fn, ...)`` or as a decorator.

    Args:
        name (str): the method's name (lower case, words joined by ``-``)
        fn (callable): ``fn(mixture, rate, **kwargs) -> {stem: (channels, samples)}``; omit it to
            use ``register(...)`` as a decorator
        family, stems, needs_references, takes_checkpoint, taught_in, description: see :class:`Method`
        notebook (str): the older name of ``taught_in``, still taken from your own modules
        takes_run (bool): declare that ``fn`` takes ``run=`` (the run context); only then does
            :func:`seplib.separate` pass it one (the trained models are registered so); a
            function without a ``run`` parameter keeps the default, ``False``
        replace (bool): allow replacing a method of the same name (e.g. re-running a notebook cell
            that registers yours); a built-in is never replaced silently

    Returns:
        fn (callable): the function, unchanged (so the decorator leaves it usable)

    Raises:
        ValueError: an unknown family, a name that cannot name a file, or a name already taken
            (without ``replace=True``), or ``notebook`` and ``taught_in`` that differ
    """
    if notebook is not None and taught_in is not None and notebook != taught_in:
        raise ValueError(f"method {name!r}: notebook={notebook!r} and taught_in={taught_in!r} differ; "
                         "give taught_in only (notebook is its older name)")
    taught_in = taught_in if taught_in is not None else notebook
    if fn is None:
        return lambda f: register(name, f, family=family, stems=stems, needs_references=needs_references,
                                  takes_checkpoint=takes_checkpoint, taught_in=taught_in,
                                  description=description, replace=replace, takes_run=takes_run)
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._+-]*", name):
        raise ValueError(f"method name must be a plain name (letters, digits, . _ + -; it names a "
                         f"results file), got {name!r}")
    if family not in FAMILIES:
        raise ValueError(f"method {name!r}: family must be one of {FAMILIES}, got {family!r}")
    if not callable(fn):
        raise ValueError(f"method {name!r}: fn must be callable, got {type(fn).__name__}")
    old = _REGISTRY.get(name)
    if old is not None and old.fn is not fn and not replace:
        raise ValueError(f"a method named {name!r} is already registered ({old.family}); "
                         "pick another name, or pass replace=True")
    _REGISTRY[name] = Method(name, fn, family, tuple(stems), bool(needs_references), bool(takes_checkpoint),
                             taught_in, description, bool(takes_run))
    return fn


def _load_builtins():
    """Import :data:`BUILTINS` once (a failed import is raised, and tried again next time)."""
    global _loaded, _loading
    if _loaded or _loading:  # _loading: a look-up while a built-in module is being imported
        return
    _loading = True
    try:
        for module in BUILTINS:
            importlib.import_module(module)
        _loaded = True
    finally:
        _loading = False


def get(name):
    """The record of a method.

    Args:
        name (str): a registered method's name

    Returns:
        method (:class:`Method`)

    Raises:
        ValueError: no method of that name (the message lists the known ones)
    """
    _load_builtins()
    if name not in _REGISTRY:
        raise ValueError(f"unknown method {name!r}; known: {', '.join(_REGISTRY)}")
    return _REGISTRY[name]


def records(family=None):
    """Every registered method (of one family, if given), built-ins first, in registration order.

    Args:
        family (str): one of :data:`FAMILIES`, or ``None`` for all

    Returns:
        list of :class:`Method`
    """
    _load_builtins()
    if family is not None and family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")
    return [m for m in _REGISTRY.values() if family is None or m.family == family]


def names(family=None):
    """The names of :func:`records`."""
    return [m.name for m in records(family)]


def unregister(name):
    """Remove a method (e.g. your own, to register it again differently)."""
    _REGISTRY.pop(name, None)
