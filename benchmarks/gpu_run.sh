#!/usr/bin/env bash
# A GPU's share of the work, in one go, within about nine minutes: the `full` plan of
# notebooks 05, 06 and 07 side by side (each timed cell by cell), then notebook 08 (the
# leaderboard); BSSEval's speed on the GPU, and every network's separation speed on it.
#
#   bash benchmarks/gpu_run.sh OUT_DIR            # SIZE=full by default
#   SIZE=quick bash benchmarks/gpu_run.sh out    # the same steps in a few minutes, on a CPU too
#
# OUT_DIR gets log.txt and results.tar.gz, which holds: nbNN.json (the notebook's record: seconds,
# CPU seconds, peak memory, error), nbNN.jsonl (a line per finished cell, so a run cut short still
# says how far it got), nbNN.txt (what its cells printed: the scores), metrics.json,
# separation.json (two files in all, as a machine that hands back only a few files wants).
# PYTHON (default: python3) must import seplib and its requirements; SEPLIB_TIME_LIMIT (seconds,
# default 540) stops what is still running, so that what finished comes back.
set -u
DEST=${1:?usage: gpu_run.sh OUT_DIR}
OUT=$DEST/run
SIZE=${SIZE:-full}
PYTHON=${PYTHON:-python3}
LIMIT=${SEPLIB_TIME_LIMIT:-540}
mkdir -p "$OUT"
export SEPLIB_SIZE=$SIZE SEPLIB_OFFLINE=1 PYTHONUNBUFFERED=1
start=$(date +%s)
left() { local s=$(( LIMIT - ($(date +%s) - start) )); echo $(( s > 1 ? s : 1 )); }  # (timeout 0: no limit)
say() { echo "[$(( $(date +%s) - start )) s] $*" | tee -a "$DEST/log.txt"; }

say "size $SIZE; $($PYTHON -c 'import torch; print("GPU:", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none")')"
$PYTHON -m seplib data --size "$SIZE" >>"$DEST/log.txt" 2>&1 || { say "the data set could not be written"; exit 1; }
say "data set ready"

notebook() {  # notebook NN: run it, timed, in the time left
    timeout "$(left)" $PYTHON benchmarks/notebooks.py "$1" --size "$SIZE" --log "$OUT/nb$1.jsonl" \
        --text "$OUT/nb$1.txt" >"$OUT/nb$1.json" 2>>"$DEST/log.txt"
    say "notebook $1 ended with status $?"
}
notebook 05 & notebook 06 & notebook 07 &
# BSSEval on the GPU meanwhile (it needs no trained model)
timeout "$(left)" $PYTHON benchmarks/metrics_speed.py --skip-mir-eval >"$OUT/metrics.json" 2>>"$DEST/log.txt"
say "metrics speed ended with status $?"
wait
notebook 08
timeout "$(left)" $PYTHON benchmarks/separation_speed.py --size "$SIZE" --methods unet demucs-lite dprnn conv1d \
    --repeat 2 --json "$OUT/separation.json" >>"$DEST/log.txt" 2>&1
say "separation speed ended with status $?"
tar czf "$DEST/results.tar.gz" -C "$OUT" . && rm -r "$OUT"
say "results in $DEST/results.tar.gz"
