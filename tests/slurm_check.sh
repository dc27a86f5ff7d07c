#!/usr/bin/env bash
# cv folds as Slurm array jobs (docs/cluster.md): a one-node Slurm is started here, a tiny cv is
# submitted with docs/cv_array.sbatch as a 2-task array (one fold per task, both writing into one
# run folder), and its out-of-fold predictions must equal the same cv run serially, byte for byte;
# then docs/ranks.sbatch runs the cv as two ranks of one training (srun), which must predict as
# two ranks started by hand.
#
#   bash tests/slurm_check.sh <path-to-murmur-binary>     (ctest runs it from the repo root)
#
# Exits 77 (ctest: skipped), saying why, where Slurm cannot start: slurm-wlm or munge not
# installed, not root (slurmd runs as root), munge or the daemons not starting.
set -euo pipefail
cd "$(dirname "$0")/.."
murmur_bin="$(realpath "${1:?usage: bash tests/slurm_check.sh <path-to-murmur-binary>}")"
repo=$PWD
skip() { echo "slurm_check: $1: skipping"; exit 77; }
PATH=$PATH:/usr/sbin
for b in slurmctld slurmd sbatch squeue sinfo munged munge unmunge; do
  command -v "$b" > /dev/null || skip "$b is not installed (Debian packages slurm-wlm and munge)"
done
[ "$(id -u)" -eq 0 ] || skip "slurmd needs root and this runs as $(id -un)"

work=$(mktemp -d)
started_munge=""
cleanup() {
  local pids=()
  for pid_file in "$work/slurmd.pid" "$work/slurmctld.pid"; do
    [ -f "$pid_file" ] && pids+=("$(cat "$pid_file")") && kill "${pids[-1]}" 2> /dev/null || true
  done
  [ -n "$started_munge" ] && [ -f /run/munge/munged.pid ] && kill "$(cat /run/munge/munged.pid)" 2> /dev/null || true
  # The daemons save their state as they stop: wait for them before removing their folders.
  for _ in $(seq 50); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2> /dev/null && alive=1; done
    [ "$alive" -eq 0 ] && break
    sleep 0.2
  done
  rm -rf "$work" 2> /dev/null || { sleep 1; rm -rf "$work" 2> /dev/null; } || true
}
trap cleanup EXIT
if ! munge -n 2> /dev/null | unmunge > /dev/null 2>&1; then
  mkdir -p /run/munge && chown munge:munge /run/munge 2> /dev/null || true
  munged --force > "$work/munged.log" 2>&1 || skip "munged would not start ($(tail -n 1 "$work/munged.log"))"
  started_munge=1
  sleep 1
  munge -n 2> /dev/null | unmunge > /dev/null 2>&1 || skip "munge credentials do not verify"
fi

host=$(hostname -s)
port=$((20000 + $$ % 20000))
mkdir -p "$work/state" "$work/spool"
cat > "$work/slurm.conf" << CONF
ClusterName=murmurcheck
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
NodeName=$host NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=check Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$work/slurm.conf
slurmctld -c > "$work/slurmctld.out" 2>&1 || skip "slurmctld would not start ($(tail -n 2 "$work/slurmctld.log" 2> /dev/null))"
slurmd -c > "$work/slurmd.out" 2>&1 || skip "slurmd would not start ($(tail -n 2 "$work/slurmd.log" 2> /dev/null))"
for _ in $(seq 30); do
  sinfo -h -o %t 2> /dev/null | grep -q idle && break
  sleep 1
done
sinfo -h -o %t 2> /dev/null | grep -q idle || skip "the node did not come up ($(tail -n 2 "$work/slurmd.log" 2> /dev/null))"

"$murmur_bin" -q synth -o "$work/data" --patients 12 --duration 8 --seed 5
cv_args="--preset native --folds 2 --epochs 1 --bootstrap 50 --no-shifts --no-explain"
# shellcheck disable=SC2086
"$murmur_bin" -q --threads 1 cv $cv_args --data "$work/data" -o "$work/serial" > /dev/null
job=$(MURMUR="$murmur_bin" DATA="$work/data" RUN="$work/array" CV_ARGS="$cv_args" \
  sbatch --parsable --array=0-1 --cpus-per-task=1 --chdir="$work" --output="$work/task-%a.out" \
  "$repo/docs/cv_array.sbatch")
wait_for() {
  for _ in $(seq 600); do
    [ -z "$(squeue -h -j "$1" 2> /dev/null)" ] && return 0
    sleep 1
  done
  echo "slurm_check: job $1 still queued after 600 s"; squeue; exit 1
}
wait_for "$job"
cat "$work"/task-*.out
status=$("$murmur_bin" status "$work/array")
echo "$status"
if grep -q missing <<< "$status"; then echo "slurm_check: folds missing after the array"; exit 1; fi
[ -f "$work/array/report.json" ] || { echo "slurm_check: the last task wrote no report"; exit 1; }
cmp "$work/serial/oof_predictions.csv" "$work/array/oof_predictions.csv" ||
  { echo "slurm_check: the array's predictions differ from the serial run's"; exit 1; }
echo "slurm_check: a 2-task array (job $job) answered as the serial cv, byte for byte"

# One training over two ranks: docs/ranks.sbatch has srun start them (SLURM_PROCID/SLURM_NTASKS);
# the same two ranks started by hand (RANK/WORLD_SIZE) must predict the same, byte for byte.
# shellcheck disable=SC2086
WORLD_SIZE=2 RANK=1 MASTER_ADDR=127.0.0.1 MASTER_PORT=$((port + 2)) \
  "$murmur_bin" -q --threads 1 cv $cv_args --data "$work/data" -o "$work/by-hand" > /dev/null &
# shellcheck disable=SC2086
WORLD_SIZE=2 RANK=0 MASTER_ADDR=127.0.0.1 MASTER_PORT=$((port + 2)) \
  "$murmur_bin" -q --threads 1 cv $cv_args --data "$work/data" -o "$work/by-hand" > /dev/null
wait
job=$(MURMUR="$murmur_bin" DATA="$work/data" RUN="$work/ranks" ARGS="cv $cv_args" MASTER_ADDR=127.0.0.1 \
  MASTER_PORT=$((port + 3)) sbatch --parsable --ntasks=2 --cpus-per-task=1 --chdir="$work" \
  --output="$work/ranks.out" "$repo/docs/ranks.sbatch")
wait_for "$job"
cat "$work/ranks.out"
[ -f "$work/ranks/report.json" ] || { echo "slurm_check: the 2-rank job wrote no report"; exit 1; }
cmp "$work/by-hand/oof_predictions.csv" "$work/ranks/oof_predictions.csv" ||
  { echo "slurm_check: srun's two ranks predict differently from two started by hand"; exit 1; }
echo "slurm_check: a 2-rank job (job $job) answered as two ranks started by hand, byte for byte"
