#!/usr/bin/env bash
# `cohort train` under mpirun on loopback (docs/distributed.md): cohort placement gives the same
# bits as one process, bad configurations fail on every rank with one message, a stopped or
# killed rank ends the job instead of hanging it, and --resume under mpirun continues bit-exactly.
# usage: test_mpi_train.sh PATH/TO/cohort SOURCE_DIR MPIEXEC [MPIEXEC FLAGS...]
set -u
cohort=$1
src=$2
shift 2
mpi=("$@")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tests/cli/expect.sh
source "$src/tests/cli/expect.sh"
# Every rank and the single-process references on one thread: the CPU kernels' results must not
# depend on how many threads each process has.
export OMP_NUM_THREADS=1

cat > "$tmp/c.yaml" <<'YAML'
name: mpi-test
device: cpu
seed: 3
data: {dataset: synthetic, synthetic_classes: 10, synthetic_train: 128, synthetic_test: 64, batch_size: 32, workers: 0}
networks: [cnn-small, cnn-small]
strategy: {name: dml}
train: {epochs: 2, log_every: 1}
YAML

# metrics.jsonl without its timing fields: every other value must be bit-identical.
strip_metrics() {
  /usr/bin/python3 - "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    for k in ("images_per_s", "wall_time_s"):
        r.pop(k, None)
    if r.get("type") in ("train", "eval", "summary"):
        print(json.dumps(r, sort_keys=True))
PY
}
same_run() {  # DIR_A DIR_B: identical checkpoint, final weights and metrics
  local a=$1 b=$2 f
  cmp -s "$a/checkpoint.safetensors" "$b/checkpoint.safetensors" || { echo "checkpoints differ: $a $b"; return 1; }
  for f in "$a"/*_[0-9].safetensors; do
    cmp -s "$f" "$b/$(basename "$f")" || { echo "weights differ: $f"; return 1; }
  done
  diff <(strip_metrics "$a/metrics.jsonl") <(strip_metrics "$b/metrics.jsonl") > /dev/null || {
    echo "metrics differ: $a $b"; return 1; }
}
# compare NAME RANKS --set...: one process vs mpirun -np RANKS with the same config.
compare() {
  local name=$1 np=$2
  shift 2
  expect 0 "best top-1" -- "$cohort" train --config "$tmp/c.yaml" --out "$tmp/$name.single" "$@"
  expect 0 "rank 0 of $np, mpi" -- "${mpi[@]}" -np "$np" "$cohort" train --config "$tmp/c.yaml" --out "$tmp/$name.mpi" "$@"
  check "$name: mpirun -np $np gives the single-process bits" -- same_run "$tmp/$name.single" "$tmp/$name.mpi"
}
three=(--set networks.2.model=cnn-small)
four=(--set networks.2.model=cnn-small --set networks.3.model=cnn-small)

# 1. Bit-identical to one process: DML sync and sequential, 2 students on 2 ranks, 3 on 3, 4 on 2.
compare pair.sync 2
compare pair.sequential 2 --set strategy.update=sequential
compare three.sync 3 "${three[@]}"
compare three.sequential 3 "${three[@]}" --set strategy.update=sequential
compare four.sync 2 "${four[@]}"
compare four.sequential.rr 2 "${four[@]}" --set strategy.update=sequential --set distributed.placement=round_robin
compare four.independent 2 "${four[@]}" --set strategy.name=independent
# A run that is distributed must not be one process in disguise: the sequential pair differs from sync.
check "sync and sequential runs differ (the comparisons can fail)" -- \
  bash -c "! cmp -s '$tmp/pair.sync.mpi/checkpoint.safetensors' '$tmp/pair.sequential.mpi/checkpoint.safetensors'"

# 2. Bad configurations: every rank reports the same error, nothing is trained.
lines() { grep -c -- "$1" "$2"; }
"${mpi[@]}" -np 3 "$cohort" train --config "$tmp/c.yaml" --out "$tmp/bad.ranks" > "$tmp/bad.ranks.log" 2>&1
rc=$?
check "more ranks than networks fails" -- test $rc -ne 0
check "every one of 3 ranks says: 3 ranks but 2 networks" -- \
  test "$(lines "error: distributed: 3 ranks but the cohort has 2 network(s)" "$tmp/bad.ranks.log")" -eq 3
check "and points to data_parallel: per_network" -- grep -q "set distributed.data_parallel: per_network" "$tmp/bad.ranks.log"
check "no run directory for a refused placement" -- test ! -e "$tmp/bad.ranks/metrics.jsonl"
"${mpi[@]}" -np 1 "$cohort" train --config "$tmp/c.yaml" --out "$tmp/bad.cfg" --set optimizer.lr=0.05 : \
  -np 1 "$cohort" train --config "$tmp/c.yaml" --out "$tmp/bad.cfg" > "$tmp/bad.cfg.log" 2>&1
check "both ranks name the differing config line" -- \
  test "$(lines "error: distributed: rank 1's resolved config differs from rank 0's (line [0-9]*: '  lr: 0.05' vs '  lr: 0.1')" "$tmp/bad.cfg.log")" -eq 2
expect nonzero "strategy 'kd' has no cohort placement over 2 ranks" -- "${mpi[@]}" -np 2 "$cohort" train --config "$tmp/c.yaml" \
  --out "$tmp/bad.kd" --set strategy.name=kd --set strategy.teacher_model=cnn-small

# 2b. Data parallelism of one network and of a DML pair: runs to the end, rank 0 writes, and is
# deterministic (two runs give the same bits). Its agreement with one process is checked where it
# is exact, on the gradients of a network without BatchNorm (tests/mpi/mpi_data_parallel.cpp):
# with BatchNorm each rank normalises its own rows, as PyTorch's DDP does.
dp=(--set distributed.data_parallel=true)
for run in dp.one.a dp.one.b; do
  expect 0 "best top-1" -- "${mpi[@]}" -np 2 "$cohort" train --config "$tmp/c.yaml" --out "$tmp/$run" "${dp[@]}" \
    --set strategy.name=independent
done
check "data-parallel runs are deterministic" -- same_run "$tmp/dp.one.a" "$tmp/dp.one.b"
expect 0 "ensemble of 2 networks" -- "${mpi[@]}" -np 3 "$cohort" train --config "$tmp/c.yaml" --out "$tmp/dp.dml" "${dp[@]}" \
  --set strategy.update=sequential
expect nonzero "data parallelism needs data.labelled_fraction = 1" -- "${mpi[@]}" -np 2 "$cohort" train \
  --config "$tmp/c.yaml" --out "$tmp/dp.bad" "${dp[@]}" --set data.labelled_fraction=0.5

# 2c. Groups of ranks per network (data_parallel: per_network). With as many ranks as networks it
# is cohort placement, the bits of one process; with more, each network's ranks split its batch
# (checked against one process on networks without BatchNorm in tests/mpi/mpi_cohort_groups.cpp):
# here, the runs end, are deterministic, and the ensemble is evaluated over the groups.
pn=(--set distributed.data_parallel=per_network)
compare pair.per_network 2 "${pn[@]}"
for run in groups.a groups.b; do
  expect 0 "ensemble of 2 networks" -- "${mpi[@]}" -np 4 "$cohort" train --config "$tmp/c.yaml" --out "$tmp/$run" "${pn[@]}"
done
check "runs with groups of ranks are deterministic" -- same_run "$tmp/groups.a" "$tmp/groups.b"
check "and differ from one process (the batch is split)" -- \
  bash -c "! cmp -s '$tmp/groups.a/checkpoint.safetensors' '$tmp/pair.per_network.single/checkpoint.safetensors'"
expect 0 "ensemble of 2 networks" -- "${mpi[@]}" -np 3 "$cohort" train --config "$tmp/c.yaml" --out "$tmp/groups.seq" \
  "${pn[@]}" --set strategy.update=sequential
expect 0 "ensemble of 2 networks" -- "${mpi[@]}" -np 3 "$cohort" train --config "$tmp/c.yaml" --out "$tmp/groups.ind" \
  "${pn[@]}" --set strategy.name=independent --set distributed.placement=round_robin
expect nonzero "data parallelism needs data.labelled_fraction = 1" -- "${mpi[@]}" -np 3 "$cohort" train \
  --config "$tmp/c.yaml" --out "$tmp/groups.bad" "${pn[@]}" --set data.labelled_fraction=0.5
expect nonzero "strategy 'kd' has no cohort placement over 3 ranks" -- "${mpi[@]}" -np 3 "$cohort" train \
  --config "$tmp/c.yaml" --out "$tmp/groups.kd" "${pn[@]}" --set strategy.name=kd --set strategy.teacher_model=cnn-small

# 3. A stopped rank: the other fails with the collective timeout, the job ends; --resume under
# mpirun then continues from the last checkpoint to the same bits as an uninterrupted run.
long=(--set data.synthetic_train=512 --set train.epochs=4 --set distributed.timeout_s=3)
rank_pid() {  # DIR RANK: the pid of that rank's cohort process
  local p
  for p in $(pgrep -f -- "--out $1"); do
    if tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2"; then echo "$p"; return; fi
  done
}
# stop_and_resume NAME RANKS REFERENCE_DIR --set...: stops the last rank after the first
# checkpoint, checks that the job fails within a minute, resumes it and compares with REFERENCE_DIR.
stop_and_resume() {
  local name=$1 np=$2 ref=$3 victim_rank=$(($2 - 1))
  shift 3
  local dir="$tmp/$name" start rc elapsed victim
  start=$(date +%s)
  "${mpi[@]}" -np "$np" "$cohort" train --config "$tmp/c.yaml" --out "$dir" "$@" > "$dir.log" 2>&1 &
  local job=$!
  for _ in $(seq 600); do [ -e "$dir/checkpoint.safetensors" ] && break; sleep 0.05; done
  victim=$(rank_pid "$dir" "$victim_rank")
  check "$name: found rank $victim_rank" -- test -n "$victim"
  [ -n "$victim" ] && kill -STOP "$victim"
  wait $job
  rc=$?
  elapsed=$(( $(date +%s) - start ))
  [ -n "$victim" ] && { kill -CONT "$victim" 2>/dev/null; kill -KILL "$victim" 2>/dev/null; }
  check "$name: the job with a stopped rank fails" -- test $rc -ne 0
  check "$name: and ends within a minute (took ${elapsed}s)" -- test "$elapsed" -lt 60
  expect 0 "no answer from the other ranks within 3 s" -- cat "$dir.log"
  check "$name: the stopped run was cut short" -- bash -c "! grep -q 'best top-1' '$dir.log'"
  expect 0 "resumed from" -- "${mpi[@]}" -np "$np" "$cohort" train --resume "$dir"
  check "$name: resume under mpirun ends with the uninterrupted run's checkpoint" -- \
    cmp -s "$ref/checkpoint.safetensors" "$dir/checkpoint.safetensors"
  check "$name: and its final weights" -- cmp -s "$ref/cnn-small_1.safetensors" "$dir/cnn-small_1.safetensors"
}
expect 0 "best top-1" -- "$cohort" train --config "$tmp/c.yaml" --out "$tmp/long.single" "${long[@]}"
stop_and_resume long.stopped 2 "$tmp/long.single" "${long[@]}"
# Groups of ranks: the reference is the uninterrupted run on as many ranks.
expect 0 "best top-1" -- "${mpi[@]}" -np 4 "$cohort" train --config "$tmp/c.yaml" --out "$tmp/long.groups" \
  "${long[@]}" "${pn[@]}"
stop_and_resume long.groups.stopped 4 "$tmp/long.groups" "${long[@]}" "${pn[@]}"

# 4. A killed rank: the job ends (mpirun or the timeout), no hang.
start=$(date +%s)
"${mpi[@]}" -np 2 "$cohort" train --config "$tmp/c.yaml" --out "$tmp/long.killed" "${long[@]}" > "$tmp/killed.log" 2>&1 &
job=$!
for _ in $(seq 600); do [ -e "$tmp/long.killed/checkpoint.safetensors" ] && break; sleep 0.05; done
victim=$(rank_pid "$tmp/long.killed" 1)
[ -n "$victim" ] && kill -KILL "$victim"
wait $job
rc=$?
check "the job with a killed rank fails" -- test $rc -ne 0
check "and ends within a minute" -- test $(( $(date +%s) - start )) -lt 60

echo "mpi train: $passed passed, $failures failed"
[ "$failures" -eq 0 ]
