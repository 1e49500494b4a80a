#!/usr/bin/env bash
# slurm-test.sh: pipe under a real Slurm. Starts a one-node cluster on this
# machine (Debian's slurmctld, slurmd and munge, installed when missing),
# submits job arrays of `pipe run --worker` and of `pipe run --shard`, and
# checks what README.md promises for them:
#   - every trial is trained exactly once, by all the workers together;
#   - every worker that was not cancelled prints the table one process prints;
#   - a worker cancelled with scancel in the middle of a trial (SIGTERM), and
#     one whose pipe process is SIGKILLed (as if its node died), have their
#     trials finished by other workers, which continue them from the last
#     epoch's checkpoint;
#   - the shards of a --shard array train 4 trials each of the 8, and a plain
#     run afterwards finds them all and prints the same table.
# Prints the jobs, the trials each worker trained and the wall times.
#
# Run as root (it starts the daemons), from anywhere: scripts/slurm-test.sh
# With --skip-if-no-slurm (what .ci/run passes unless SLURM_TEST=1) it
# exits 0 saying SKIPPED when it is not root or cannot install the packages.
# The daemons run from a temporary folder with their own munge key, ports
# and socket, and are stopped when the script ends, however it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

fail() { echo "slurm-test: FAIL: $*" >&2; exit 1; }
say() { printf 'slurm-test: %s\n' "$*"; }

skippable=false
[ "${1:-}" = --skip-if-no-slurm ] && skippable=true
cannot() {
  if $skippable; then say "SKIPPED: $*"; exit 0; fi
  fail "$*"
}

[ "$(id -u)" = 0 ] || cannot "not root: it starts munged, slurmctld and slurmd"

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null ||
   ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  say "installing slurmctld slurmd slurm-client munge from Debian"
  { apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 \
      slurmctld slurmd slurm-client munge >/dev/null; } ||
    cannot "could not install Debian's slurmctld slurmd slurm-client munge"
fi

work=$(mktemp -d /tmp/pipe-slurm.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  status=$?
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "$status" = 0 ]; then
    rm -rf "$work"
  else
    echo "slurm-test: logs kept in $work" >&2
  fi
}
trap cleanup EXIT

say "building pipe"
go build -o "$work/pipe" ./cmd/pipe

# munge, with a key of our own, on a socket of our own.
mkdir -m 700 "$work/munge"
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge/munge.key"
munged --force --foreground --key-file="$work/munge/munge.key" \
  --socket="$work/munge/munge.socket.2" --pid-file="$work/munge/munged.pid" \
  --log-file="$work/munge/munged.log" --seed-file="$work/munge/munged.seed" \
  >"$work/munge/munged.out" 2>&1 &
pids+=($!)

# A one-node cluster with this machine's real CPUs and memory.
host=$(hostname -s)
node=$(slurmd -C | head -1) # NodeName=... CPUs=... RealMemory=...
nodename=$(echo "$node" | sed 's/^NodeName=\([^ ]*\).*/\1/')
mkdir -p "$work/state" "$work/spool" "$work/logs"
export SLURM_CONF="$work/slurm.conf"
cat >"$SLURM_CONF" <<EOF
ClusterName=pipetest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge/munge.socket.2
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
ReturnToService=2
KillWait=10
MinJobAge=600
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=pipe Nodes=$nodename Default=YES MaxTime=INFINITE State=UP
EOF

slurmctld -D -i -f "$SLURM_CONF" >"$work/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >"$work/slurmd.out" 2>&1 &
pids+=($!)
for i in $(seq 60); do
  state=$(sinfo -h -o %t 2>/dev/null || true)
  [ "$state" = idle ] && break
  [ "$i" = 60 ] && { tail -20 "$work"/slurmctld.log "$work"/slurmd.log >&2 || true; fail "the node never became idle (state '$state')"; }
  sleep 1
done
say "cluster up: $(sinfo -h -o '%P %D node(s) %c CPUs %m MB %t')"

# The sweep: 8 trials of about 2 seconds each on 1 thread (Zen 5), long
# enough that a worker caught in epoch 3 is still in that trial when the
# kill reaches it (with conv(4, 3) a trial took 0.3 s once the pool got
# its vector kernel, and a worker could finish before scontrol found it).
cat >"$work/sweep.star" <<'EOF'
data = dataset("fashion-mnist", classes = ["T-shirt/top", "Shirt"], validation = 200)
model = sequential([conv(32, 5), relu(), max_pool(2), affine(2)])
cfg = train_config(optimizer = adam(lr = 1e-3), epochs = 10, batch_size = 25, train_images = 2000)
runs = sweep(model, data, cfg, grid = {"lr": [1e-3, 2e-3, 3e-3, 4e-3, 5e-3, 6e-3, 7e-3, 8e-3]})
table(runs, title = "slurm sweep", columns = ["lr", "train_acc", "val_acc", "test_acc"])
EOF
labels="lr=0.001 lr=0.002 lr=0.003 lr=0.004 lr=0.005 lr=0.006 lr=0.007 lr=0.008"
cpus=$(nproc)
cd "$work"

ms() { date +%s%3N; }
secs() { printf '%d.%ds' $(($1 / 1000)) $(($1 % 1000 / 100)); }
table() { grep -E '^[│┌└├]' "$1" || true; }
# trained FILE: the labels FILE's process trained itself.
# A trial this process trained: "HH:MM:SS done LABEL  train ... (1.2 core-s: 1.2s wall × 1 core)".
done_end='\([0-9.]+ core-s: [0-9.]+s wall [^)]* cores?\)$'
trained() { sed -nE "s/^[0-9:]{8} done ([^ ]+)  train .*$done_end/\1/p" "$1"; }

# wait_jobs ID...: until no task of the jobs is pending or running.
wait_jobs() {
  for i in $(seq 600); do
    [ -z "$(squeue -h -j "$(IFS=,; echo "$*")" 2>/dev/null)" ] && return 0
    sleep 1
  done
  fail "jobs $* still running after 10 minutes"
}

# in_epoch3 LOG: waits until LOG's process is in epoch 3 of a trial (the
# end of epoch 2 is checkpointed, so whoever takes the trial over continues
# it from there).
in_epoch3() {
  for i in $(seq 600); do
    if [ -f "$1" ]; then
      cur=$(current "$1")
      [ -n "$cur" ] && grep -qF " $cur  epoch 3/" "$1" && return 0
    fi
    sleep 0.1
  done
  fail "$1 never reached epoch 3 of a trial"
}
# current LOG: the trial LOG's process started and has not finished.
current() { awk '$2=="start"{t=$3} $2=="done"&&$3==t{t=""} END{print t}' "$1"; }

say "reference: one process, --jobs $cpus"
t0=$(ms)
./pipe run sweep.star --out solo --jobs "$cpus" >solo.out 2>&1 || { cat solo.out; fail "the single run failed"; }
solo_ms=$(($(ms) - t0))
table solo.out >solo.table
[ -s solo.table ] || fail "the single run printed no table"

# 1. Workers: 4 tasks of 1 CPU (2 run at once on 2 CPUs). One is cancelled
# with scancel (SIGTERM: it releases its claim), one's process is SIGKILLed
# (its claim stays; its process is gone), both in mid-trial.
say "submitting sbatch --array=0-3 of pipe run --worker"
t0=$(ms)
wjob=$(sbatch --parsable --job-name=pipe-worker --array=0-3 --cpus-per-task=1 \
  --output="$work/logs/worker-%a.out" \
  --wrap "exec $work/pipe run sweep.star --out shared --worker --jobs 1 --lease 30s")
in_epoch3 logs/worker-0.out
scancel "${wjob}_0"
say "scancel ${wjob}_0 (SIGTERM) in epoch 3 of a trial"
# A worker whose node dies gets no signal to react to: SIGKILL worker 1's
# pipe process (scancel --signal=KILL of a whole job is a cancel, SIGTERM
# first).
in_epoch3 logs/worker-1.out
jid=$(scontrol -o show job "${wjob}_1" | sed -n 's/^JobId=\([0-9]*\) .*/\1/p')
pid=$(scontrol listpids "$jid" | awk 'NR>1{print $1}' | while read -r p; do
  [ "$(ps -o comm= -p "$p" 2>/dev/null)" = pipe ] && echo "$p"; done | head -1)
[ -n "$pid" ] || fail "no pipe process in ${wjob}_1"
kill -KILL "$pid"
say "kill -KILL $pid (the pipe of ${wjob}_1) in epoch 3 of a trial"
wait_jobs "$wjob"
workers_ms=$(($(ms) - t0))
term_trial=$(current logs/worker-0.out)
kill_trial=$(current logs/worker-1.out)
[ -n "$term_trial" ] || fail "worker 0 was not in a trial when scancel reached it"
[ -n "$kill_trial" ] || fail "worker 1 was not in a trial when it was killed"

total=0
for l in $labels; do
  n=$(cat logs/worker-*.out | sed -nE "s/^[0-9:]{8} done ($l)  train .*$done_end/\1/p" | wc -l)
  [ "$n" = 1 ] || { tail -n 30 logs/worker-*.out; fail "$l trained $n times by the workers, want once"; }
  total=$((total + n))
done
# finished_by TRIAL: the logs of the workers that trained TRIAL to the end.
finished_by() { grep -l -E "^[0-9:]{8} done $1  train .*$done_end" logs/worker-*.out || true; }
by=$(finished_by "$term_trial")
[ -n "$by" ] && [ "$by" != logs/worker-0.out ] ||
  fail "worker 0's trial $term_trial, cancelled, was not finished by another worker (by: ${by:-nobody})"
by=$(finished_by "$kill_trial")
[ -n "$by" ] && [ "$by" != logs/worker-1.out ] ||
  fail "worker 1's trial $kill_trial, killed, was not finished by another worker (by: ${by:-nobody})"
for t in "$term_trial" "$kill_trial"; do
  grep -qF "start $t (from epoch" logs/worker-*.out ||
    fail "nobody continued $t from the cancelled worker's checkpoint"
done
grep -q 'interrupted' logs/worker-0.out || fail "worker 0 does not say it was interrupted"
grep -q "is gone" logs/worker-[023].out || fail "no worker says it took over the killed worker's claim"
for i in 2 3; do
  cmp -s <(table "logs/worker-$i.out") solo.table || { cat "logs/worker-$i.out"; fail "worker $i's table differs from the single run's"; }
  grep -qE '^sweep lr: worker [^ ]+: [0-9]+ trials? trained here' "logs/worker-$i.out" || fail "worker $i printed no account"
done
for i in 2 3; do
  state=$(scontrol -o show job "${wjob}_$i" | grep -o 'JobState=[A-Z]*' || true)
  code=$(scontrol -o show job "${wjob}_$i" | grep -o ' ExitCode=[0-9:]*' || true)
  [ "$code" = " ExitCode=0:0" ] || fail "worker $i ended $state$code, want exit 0"
done
[ -z "$(ls shared/claims)" ] || fail "claims left behind: $(ls shared/claims)"

# 2. Static shards: 2 tasks, 8 trials dealt 4 and 4; then a plain run.
say "submitting sbatch --array=0-1 of pipe run --shard i/2"
t0=$(ms)
sjob=$(sbatch --parsable --job-name=pipe-shard --array=0-1 --cpus-per-task=1 \
  --output="$work/logs/shard-%a.out" \
  --wrap "exec $work/pipe run sweep.star --out sharded --jobs 1 --shard \$((SLURM_ARRAY_TASK_ID+1))/2")
wait_jobs "$sjob"
for i in 0 1; do
  grep -qE "^sweep lr: shard $((i + 1))/2: 4 trials trained" "logs/shard-$i.out" ||
    { cat "logs/shard-$i.out"; fail "shard $((i + 1))/2 did not train 4 trials"; }
done
./pipe run sweep.star --out sharded -q >sharded.out 2>&1 || { cat sharded.out; fail "the plain run after the shards failed"; }
shards_ms=$(($(ms) - t0))
cmp -s <(table sharded.out) solo.table || { cat sharded.out; fail "the table after the shards differs from the single run's"; }
sort -u <(trained logs/shard-0.out) <(trained logs/shard-1.out) | wc -l | grep -qx 8 ||
  fail "the shards did not train the 8 trials between them"

echo
say "PASS"
say "worker job $wjob (array 0-3, 1 CPU each):"
for i in 0 1 2 3; do
  note=""
  [ "$i" = 0 ] && note=" (scancel in epoch 3+: $term_trial)"
  [ "$i" = 1 ] && note=" (SIGKILL in epoch 3+: $kill_trial)"
  echo "  task $i trained $(trained "logs/worker-$i.out" | wc -l): $(trained "logs/worker-$i.out" | tr '\n' ' ')$note"
done
say "shard job $sjob (array 0-1): shard 1/2 trained $(trained logs/shard-0.out | wc -l), shard 2/2 $(trained logs/shard-1.out | wc -l)"
say "wall time: one process --jobs $cpus $(secs $solo_ms); worker array $(secs $workers_ms) (two workers cancelled); shard array + render $(secs $shards_ms)"
say "every trial trained once ($total of 8); tables equal the single run's; take-overs:"
grep -h -e 'warning: taking over' -e ' (from epoch' logs/worker-*.out | sed 's/^/  /'
grep -h 'interrupted' logs/worker-0.out | sed 's/^/  worker 0: /'

