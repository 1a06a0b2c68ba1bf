#!/usr/bin/env bash
# Reproduction of the DML (Zhang et al. 2018) and FSP (Yim et al. 2017) CIFAR-100 results with
# the `cohort` CLI, in one command (docs/reproducing.md). Every arm uses the paper's config from
# examples/configs/ with the SAME overrides, so a shortened schedule is applied identically to
# independent and distilled runs.
#
# usage: scripts/reproduce.sh OUTDIR [--protocol papers|cpu-scale] [--part dml|fsp|all]
#                             [--seeds "0 1 2"] [--epochs 200] [--fsp-scale 1] [--device cuda]
#                             [--build build]
#   --protocol     papers (default): the papers' networks and schedules from examples/configs/;
#                  cpu-scale: the fixed small protocol of examples/configs/cpu-scale/ (ResNet-8
#                  students, a ResNet-14 teacher, 20 epochs, cosine; device cpu by default),
#                  seed by seed so that an interrupted experiment has complete seeds.
#   --epochs E     DML arms: E epochs with the lr divided by 10 at 30 %, 60 % and 90 % of E
#                  (the paper: 200 epochs, /10 every 60); default 200 = the paper's recipe.
#   --fsp-scale S  FSP arms: every iteration count (stage lengths, milestones) divided by S.
# Needs CIFAR-100 under $COHORT_DATA/cifar-100-binary. Writes OUTDIR/<arm>-s<seed>/ run dirs,
# OUTDIR/results.md (tables from scripts/summarise_runs.py) and OUTDIR/*.png curves.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: scripts/reproduce.sh OUTDIR [options]}
shift
protocol=papers part=all seeds="0 1 2" epochs=200 fsp_scale=1 device= build=$src/build
while [ $# -gt 0 ]; do
  case $1 in
    --protocol) protocol=$2; shift 2 ;;
    --part) part=$2; shift 2 ;;      --seeds) seeds=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;  --fsp-scale) fsp_scale=$2; shift 2 ;;
    --device) device=$2; shift 2 ;;  --build) build=$2; shift 2 ;;
    *) echo "reproduce.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
case $protocol in
  papers) device=${device:-cuda} ;;  cpu-scale) device=${device:-cpu} ;;
  *) echo "reproduce.sh: --protocol must be papers or cpu-scale, not '$protocol'" >&2; exit 2 ;;
esac
case $part in
  dml|fsp|all) ;;
  *) echo "reproduce.sh: --part must be dml, fsp or all, not '$part'" >&2; exit 2 ;;
esac
cohort=$build/bin/cohort
cfg=$src/examples/configs
mkdir -p "$out"
log() { echo "[$(date -u '+%F %T')] $*" | tee -a "$out/reproduce.log"; }
# The scripts' and configs' commit, the binary's own (they differ when the build is older) and
# the machine: wall times mean nothing without it.
machine="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1), $(nproc) cores"
schedule="epochs $epochs, fsp-scale $fsp_scale"
[ "$protocol" = cpu-scale ] && schedule="the presets' schedules"
log "commit $(git -C "$src" rev-parse HEAD) (scripts, configs); binary: $("$cohort" --version 2>&1); machine: $machine; protocol $protocol, device $device, seeds '$seeds', $schedule"

# train ARM CONFIG [--set ...]: one run per seed, skipped when its summary already exists.
train() {
  local arm=$1 config=$2; shift 2
  for seed in $seeds; do
    local dir=$out/$arm-s$seed
    if [ -f "$dir/metrics.jsonl" ] && grep -q '"type": *"summary"' "$dir/metrics.jsonl"; then continue; fi
    log "train $arm seed $seed"
    if [ -f "$dir/checkpoint.safetensors" ]; then
      "$cohort" train --resume "$dir" --device "$device" >> "$dir.log" 2>&1
    else
      "$cohort" train --config "$config" --device "$device" --out "$dir" --set seed="$seed" "$@" > "$dir.log" 2>&1
    fi
  done
}

# entropy RUN_DIR: the posterior entropy on the TRAINING set (the DML paper's analysis) of every
# final network of a finished run, once.
entropy() {
  local w
  for w in "$1"/*.safetensors; do
    case $w in *checkpoint.safetensors|*'*'*) continue ;; esac
    [ -f "$w.train-entropy.txt" ] && continue
    model=$(/usr/bin/python3 "$src/scripts/summarise_runs.py" --model-of "$w")
    "$cohort" eval --weights "$w" --model "$model" --data cifar100 --split train --device "$device" \
      > "$w.train-entropy.txt" 2>&1 || { log "eval of $w failed"; rm -f "$w.train-entropy.txt"; }
  done
}

if [ "$protocol" = cpu-scale ]; then
  cs=$src/examples/configs/cpu-scale
  one() { local seed=$1; shift; seeds=$seed train "$@"; entropy "$out/$1-s$seed"; }
  if [ "$part" = dml ] || [ "$part" = all ]; then
    for seed in $seeds; do   # seed by seed: both arms of a seed finish before the next seed
      one "$seed" independent-resnet8x2 "$cs/independent-resnet8x2.yaml"
      one "$seed" dml-resnet8x2 "$cs/dml-resnet8x2.yaml"
    done
    first=${seeds%% *}       # one seed of the variants
    one "$first" dml-resnet8x2-sequential "$cs/dml-resnet8x2.yaml" --set strategy.update=sequential
    one "$first" dml-resnet8x3 "$cs/dml-resnet8x3.yaml"
  fi
  if [ "$part" = fsp ] || [ "$part" = all ]; then
    # The teacher is trained once (seed 0) and feeds every seed's FitNet and FSP students.
    one 0 teacher-resnet14 "$cs/teacher-resnet14.yaml"
    teacher=$out/teacher-resnet14-s0/resnet14.safetensors
    for seed in $seeds; do
      # The 20-epoch independent student is the independent-resnet8x2 arm (same recipe).
      one "$seed" independent-resnet8-third "$cs/independent-resnet8.yaml" --set train.epochs=7
      one "$seed" fitnet-resnet8 "$cs/fitnet-resnet14-to-resnet8.yaml" --set strategy.teacher_weights="$teacher"
      one "$seed" fsp-resnet8 "$cs/fsp-resnet14-to-resnet8.yaml" --set strategy.teacher_weights="$teacher"
      one "$seed" fsp-resnet8-third "$cs/fsp-resnet14-to-resnet8.yaml" --set train.epochs=7 \
        --set strategy.teacher_weights="$teacher"
    done
  fi
  /usr/bin/python3 "$src/scripts/summarise_runs.py" "$out" > "$out/results.md"
  for group in "independent-resnet8x2 dml-resnet8x2 dml-resnet8x2-sequential dml-resnet8x3" \
               "teacher-resnet14 independent-resnet8-third fitnet-resnet8 fsp-resnet8 fsp-resnet8-third"; do
    dirs=()
    for arm in $group; do [ -d "$out/$arm-s0" ] && dirs+=("$out/$arm-s0"); done
    [ ${#dirs[@]} -gt 0 ] && "$cohort" plot "${dirs[@]}" --out "$out/${group%% *}-vs-${group##* }.png" || true
  done
  log "done: $out/results.md"
  exit 0
fi

if [ "$part" = dml ] || [ "$part" = all ]; then
  s1=$((epochs * 3 / 10)) s2=$((epochs * 6 / 10)) s3=$((epochs * 9 / 10))
  sched=(--set train.epochs="$epochs" --set schedule.name=multistep --set "schedule.milestones=[$s1,$s2,$s3]")
  [ "$epochs" = 200 ] && sched=()   # the paper's own schedule, as in the configs
  train independent-resnet32 "$cfg/independent-cifar100-resnet32.yaml" "${sched[@]}"
  train dml-resnet32 "$cfg/dml-cifar100-resnet32.yaml" "${sched[@]}"
  train independent-mobilenet-resnet32 "$cfg/independent-cifar100-mobilenet-resnet32.yaml" "${sched[@]}"
  train dml-mobilenet-resnet32 "$cfg/dml-cifar100-mobilenet-resnet32.yaml" "${sched[@]}"
fi

if [ "$part" = fsp ] || [ "$part" = all ]; then
  it() { echo $(($1 / fsp_scale)); }
  fsp_sched=(--set train.iterations="$(it 64000)" --set "schedule.milestones=[$(it 32000),$(it 48000)]")
  # The teacher: an independent ResNet-32 on the FSP recipe (the paper's teacher reaches ~64 %).
  train teacher-resnet32 "$cfg/fsp-cifar100-resnet32-to-resnet14.yaml" "${fsp_sched[@]}" \
    --set strategy.name=independent --set networks.0.model=resnet32 --set networks.0.name=resnet32
  for seed in $seeds; do
    teacher=$out/teacher-resnet32-s$seed/resnet32.safetensors
    one() { seeds=$seed train "$@"; }
    one independent-resnet14 "$cfg/fsp-cifar100-resnet32-to-resnet14.yaml" "${fsp_sched[@]}" --set strategy.name=independent
    one fitnet-resnet14 "$cfg/fitnet-cifar100-resnet32-to-resnet14.yaml" "${fsp_sched[@]}" \
      --set strategy.teacher_weights="$teacher" --set strategy.stage1_length="$(it 35000)"
    one fsp-resnet14 "$cfg/fsp-cifar100-resnet32-to-resnet14.yaml" "${fsp_sched[@]}" \
      --set strategy.teacher_weights="$teacher" --set strategy.stage1_length="$(it 35000)"
    # "Fast optimisation": the FSP-initialised student trained for one third of the iterations.
    one fsp-resnet14-third "$cfg/fsp-cifar100-resnet32-to-resnet14.yaml" \
      --set train.iterations="$(it 21000)" --set "schedule.milestones=[$(it 10500),$(it 16000)]" \
      --set strategy.teacher_weights="$teacher" --set strategy.stage1_length="$(it 35000)"
  done
fi

# Posterior entropy on the TRAINING set (the DML paper's analysis) of every final network.
for dir in "$out"/*-s*/; do entropy "$dir"; done
/usr/bin/python3 "$src/scripts/summarise_runs.py" "$out" > "$out/results.md"
for pair in "independent-resnet32 dml-resnet32" "independent-mobilenet-resnet32 dml-mobilenet-resnet32" \
            "independent-resnet14 fitnet-resnet14 fsp-resnet14 fsp-resnet14-third"; do
  dirs=()
  for arm in $pair; do [ -d "$out/$arm-s0" ] && dirs+=("$out/$arm-s0"); done
  [ ${#dirs[@]} -gt 0 ] && "$cohort" plot "${dirs[@]}" --out "$out/${pair%% *}-vs-${pair##* }.png" || true
done
log "done: $out/results.md"
