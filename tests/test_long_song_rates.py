"""benchmarks/long_song.py at other rates and channel counts: the song is made at the rate asked
for, each child reports the rate, the channels, its peak memory and the least it must hold."""
import importlib.util
from pathlib import Path

import numpy as np

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "long_song.py"


def load():
    spec = importlib.util.spec_from_file_location("benchmark_long_song_rates", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_song_is_made_at_the_rate_and_channels_asked_for():
    long_song = load()
    mono, stems = long_song.long_song(0.05, 22050, stems=True, channels=1)
    assert mono.shape == (1, 3 * 22050) and mono.dtype == np.float32
    assert all(s.shape == mono.shape for s in stems.values())
    np.testing.assert_allclose(sum(stems.values()), mono, atol=1e-5)       # still the stems' sum
    stereo = long_song.long_song(0.05, 96000)
    assert stereo.shape == (2, 3 * 96000)


def test_a_child_at_another_rate_reports_it_with_its_memory():
    long_song = load()
    row = long_song.measure("oracle-irm", 0.05, rate=48000, channels=1)  # 3 s, in a fresh process
    assert "error" not in row, row
    assert (row["rate"], row["channels"]) == (48000, 1)
    assert row["peak_gib"] > row["before_gib"] > 0
    assert row["references"] == "memory"                                # a MUSDB18-HQ track is 44.1 kHz
    assert np.isclose(row["floor_gib"], 9 * 3 * 48000 * 4 / 2 ** 30, atol=1e-3)  # mixture, 4 true, 4 estimated
    table = long_song.table([row, {**row, "rate": 96000}], [0.05], [48000, 96000])
    assert "48 kHz, 0.05 min" in table and "96 kHz, 0.05 min" in table
    assert table.count("| oracle-irm |") == 1


def test_a_child_through_a_file_runs_the_command_line():
    long_song = load()
    row = long_song.measure("hpss", 0.05, rate=48000, channels=1, through_file=True)  # file in, stem files out
    assert "error" not in row, row
    assert (row["rate"], row["channels"], row["through"]) == (48000, 1, "file")
    assert row["peak_gib"] > row["before_gib"] > 0 and row["floor_gib"] == 0
