#!/usr/bin/env bash
# Ours and PyVRP 0.14.1 side by side on the real-road set (bench/src/bin/realroad.rs): for each
# instance, `realroad solve` (one thread) and `run_ref.py pyvrp` (one thread) start together,
# with the same time limit, and the next instance starts when both are done. Our solutions are
# judged again by eval_explicit.py.
#   bench/peers/realroad_pair.sh DIR SECONDS OBJECTIVE(dist|hier) OUTPREFIX NAME...
# Instance NAME.vrp is given to us; PyVRP gets NAME-hier.vrp under hier (VEHICLES_FIXED_COST).
# BIN: our binary (default target/release/realroad; copy it elsewhere if you rebuild meanwhile).
# PY: python3 with pyvrp==0.14.1 (default python3); PEERS: the peer harness
# (default ../shared/tools/peers/explicit, i.e. run from /work/main).
set -euo pipefail
dir=$1; secs=$2; obj=$3; out=$4; shift 4
PY=${PY:-python3}
PEERS=${PEERS:-../shared/tools/peers/explicit}
BIN=${BIN:-./target/release/realroad}
for name in "$@"; do
  peer_inst=$dir/$name.vrp
  [ "$obj" = hier ] && peer_inst=$dir/$name-hier.vrp
  echo "# $name $obj ${secs}s $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  "$BIN" solve --dir "$dir" --instances "$name" --seconds "$secs" \
    --objective "$obj" --seed 1 | tail -n +2 >> "$out.milkrun.csv" &
  ours=$!
  "$PY" "$PEERS/run_ref.py" pyvrp "$peer_inst" "$dir/$name.pyvrp-$obj-${secs}s-s1.sol" \
    --seconds "$secs" --seed 1 >> "$out.pyvrp.jsonl" &
  peer=$!
  wait "$ours"; wait "$peer"
  "$PY" "$PEERS/eval_explicit.py" "$dir/$name.vrp" "$dir/$name.milkrun-$obj-${secs}s-s1.sol" \
    | sed "s/^/{\"instance\": \"$name\", \"judge\": /; s/\$/}/" >> "$out.milkrun-judge.jsonl"
done
