"""Peak memory of REPET-SIM on a 6-minute stereo song (the target: under 2 GiB).

Prints JSON: {"seconds_of_audio": 360, "peak_gib": ..., "separate_seconds": ...}. The peak is
the whole process's (Python, torch, the song and its estimates included).

    python benchmarks/repet_memory.py
"""
import json
import resource
import time

import numpy as np

from seplib.classical.repet import separate_repet_sim

SECONDS, RATE = 360, 44100

mixture = np.random.default_rng(0).uniform(-0.3, 0.3, (2, SECONDS * RATE)).astype(np.float32)
start = time.perf_counter()
estimates = separate_repet_sim(mixture, RATE)
elapsed = time.perf_counter() - start
peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20  # KiB -> GiB (Linux)
print(json.dumps({"seconds_of_audio": SECONDS, "peak_gib": round(peak_gib, 3),
                  "separate_seconds": round(elapsed, 1), "under_2_gib": peak_gib < 2.0}))
