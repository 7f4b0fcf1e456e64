import numpy as np

from seplib import data, listen
from seplib.separation import reference_of


def test_room_builds_switches_and_has_a_static_fallback(tiny_root):
    tracks = data.open_dataset("test", root=tiny_root)
    mix = data.track_mixture(tracks[0])
    half = {s: 0.5 * mix for s in ("vocals", "accompaniment")}
    room = listen.listening_room(tracks, ["mixture", "halves"], estimates={"halves": {tracks[0].name: half}},
                                 seconds=1.0)
    track_w, method_w = room.children[0].children
    stem_w = room.children[1]
    assert list(stem_w.options) == ["drums", "bass", "other", "vocals"]
    method_w.value = "halves"  # in-memory estimates with an accompaniment stem
    assert list(stem_w.options) == ["vocals", "accompaniment"]
    bundle = room._repr_mimebundle_()
    # Jupyter shows the widget; a static page (make book) shows the table of players
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/html"].count("<audio") == 3  # mixture (once: it is also a method), halves, reference
    assert "halves" in bundle["text/html"]


def test_accompaniment_reference_is_all_but_vocals():
    # one definition for the metrics and the room: the sum of every stem but the vocals
    refs = {"vocals": np.ones((2, 4)), "drums": np.full((2, 4), 2.0)}
    np.testing.assert_array_equal(reference_of("accompaniment", refs), np.full((2, 4), 2.0))
    np.testing.assert_array_equal(reference_of("drums", refs), refs["drums"])
