"""seplib: the small library behind the music source separation workbook.

Every notebook in ``notebooks/`` calls into this package; each function's docstring names
the notebook that teaches it ("Taught in: ...").  The one call every method shares is::

    from seplib import separate
    estimates = separate("oracle-irm", mixture, rate, references=stems)
    # -> {"drums": (channels, samples), "bass": ..., "other": ..., "vocals": ...}
"""

STEMS = ("drums", "bass", "other", "vocals")
"""The four MUSDB18 stems, in the order seplib uses everywhere."""

RATE = 44100
"""Sample rate of MUSDB18 and of the synthetic default data (Hz)."""

__version__ = "0.1.0"


from .separate import separate  # noqa: E402  (the function; the module is seplib.separate)
