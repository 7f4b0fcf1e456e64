"""Data: the synthetic default set (:mod:`seplib.data.synth`), the same kind of songs played by
SoundFont instruments, mixed and mastered (:mod:`seplib.data.render`), one way to open any MUSDB18-style
set (:mod:`seplib.data.musdb`), the real MUSDB18 song that ships with musdb (:mod:`seplib.data.example`), MUSDB18 decoded once into WAV files (:mod:`seplib.data.decode`),
and training chunks, from memory or from disk (:mod:`seplib.data.chunks`).

Taught in: 00_getting_started
"""
from .musdb import (PREVIEWS, SPLITS, check_track_folder, dataset_name, dataset_of, default_root,  # noqa: F401
                    ensure_default, online, open_dataset, resolve_root, root_and_size,
                    track_mixture, track_stems)
from .decode import decode_tree  # noqa: F401
from .chunks import references_of  # noqa: F401
from .example import EXAMPLE, ensure_example  # noqa: F401
from .musdb import real_song  # noqa: F401
