"""Your own methods and models, usable from the ``seplib`` command as from Python.

A method (:func:`seplib.methods.register`) or a model (:func:`seplib.models.register_model`)
registers itself when its module is imported. In a notebook you import it; the command line
imports it for you when told where it is, in any of three ways:

* ``seplib --plugin mymodule train my-net ...`` (the option may be given more than once; the
  module is found on Python's path, e.g. a ``mymodule.py`` in the current folder);
* ``SEPLIB_PLUGINS=mymodule,other`` in the environment;
* an installed package that declares an entry point in the group ``seplib.plugins``
  (``[project.entry-points."seplib.plugins"] mine = "mypackage.models"`` in its pyproject.toml).

Taught in: 05_unet
"""
from __future__ import annotations

import importlib
import os
import sys
from importlib import metadata

GROUP = "seplib.plugins"
"""The entry-point group an installed package declares its seplib modules in."""


def load(names=()):
    """Import the plugin modules: ``names``, then ``$SEPLIB_PLUGINS``, then the installed entry points.

    Args:
        names (iterable of str): module names, e.g. ``["mymodule"]``

    Returns:
        modules (list of str): the names imported, in order

    Raises:
        ValueError: a module that cannot be found, or fails while importing (one line naming it)
    """
    wanted = list(names) + [n.strip() for n in os.environ.get("SEPLIB_PLUGINS", "").split(",") if n.strip()]
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # a mymodule.py beside you, as `python -m` would find it
    done = []
    for name in wanted:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as err:
            raise ValueError(f"plugin {name!r}: no such module ({err}); give a module on Python's path, "
                             "e.g. mymodule for ./mymodule.py") from None
        except Exception as err:  # noqa: BLE001 - any failure of the user's module, named in one line
            raise ValueError(f"plugin {name!r} failed while importing: {type(err).__name__}: {err}") from None
        done.append(name)
    for entry in metadata.entry_points(group=GROUP):
        try:
            entry.load()
        except Exception as err:  # noqa: BLE001
            raise ValueError(f"plugin {entry.name!r} ({entry.value}, entry point of an installed package) "
                             f"failed while importing: {type(err).__name__}: {err}") from None
        done.append(entry.value)
    return done


def split_argv(argv):
    """Take ``--plugin NAME`` / ``--plugin=NAME`` out of a command line given before the command.

    Returns:
        (names, rest): the plugin module names, and the command line without them
    """
    names, rest, i = [], [], 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--plugin" and i + 1 < len(argv):
            names.append(argv[i + 1])
            i += 2
            continue
        if arg.startswith("--plugin="):
            names.append(arg.split("=", 1)[1])
        else:
            rest.append(arg)
        i += 1
    return names, rest
