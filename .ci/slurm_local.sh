#!/usr/bin/env bash
# A real one-node SLURM on this machine, for tests/test_slurm.py: slurmctld + slurmd + munge from Debian's packages
# (slurm-wlm 22.05 on bookworm), no accounting database, no cgroups (container-like machines have no writable
# cgroup tree), daemons started as root in the background. Idempotent: does nothing when `scontrol ping` already
# answers, and never overwrites a slurm.conf it did not write. Needs root. Exit status 0 when the node is idle.
#
#   .ci/slurm_local.sh          install if needed, configure, start, wait for the node
#   .ci/slurm_local.sh stop     stop the daemons this script started (by their pid files)
set -euo pipefail

CONF_DIR=/etc/slurm
CONF="$CONF_DIR/slurm.conf"
MARK="# written by srdi-pipeline .ci/slurm_local.sh"
STATE=/var/lib/srdi-slurm
LOGDIR=/var/log/srdi-slurm
RUNDIR=/run/srdi-slurm

stop() {
  for daemon in slurmd slurmctld; do
    if [ -f "$RUNDIR/$daemon.pid" ]; then
      kill "$(cat "$RUNDIR/$daemon.pid")" 2>/dev/null || true
      rm -f "$RUNDIR/$daemon.pid"
    fi
  done
}

if [ "${1:-}" = "stop" ]; then
  stop
  exit 0
fi

if command -v scontrol >/dev/null && timeout 10 scontrol ping 2>/dev/null | grep -q "is UP"; then
  echo "slurm_local: a slurmctld already answers; using it"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "slurm_local: not root, cannot install or start SLURM" >&2
  exit 1
fi

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null \
   || ! command -v sbatch >/dev/null; then
  echo "slurm_local: installing slurmctld, slurmd, slurm-client and munge from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    slurmctld slurmd slurm-client munge >/dev/null
fi

if [ -f "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
  echo "slurm_local: $CONF exists and was not written by this script; not touching it" >&2
  exit 1
fi

# The node offers what the machine has: all CPUs and its memory less 1 GB for the system.
CPUS=$(nproc)
MEM_MB=$(awk '/MemTotal/ {printf "%d", $2 / 1024 - 1024}' /proc/meminfo)
mkdir -p "$CONF_DIR" "$STATE/ctld" "$STATE/d" "$LOGDIR" "$RUNDIR"
cat >"$CONF" <<EOF
$MARK
ClusterName=srdi
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$RUNDIR/slurmctld.pid
SlurmdPidFile=$RUNDIR/slurmd.pid
SlurmctldLogFile=$LOGDIR/slurmctld.log
SlurmdLogFile=$LOGDIR/slurmd.log
# No cgroups: process tracking by /proc, no task confinement. Memory is still enforced: jobacct_gather/linux
# samples every job's RSS each second and OverMemoryKill ends a job above its --mem (so undersized mem_mb fails).
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=1
JobAcctGatherParams=OverMemoryKill
# No accounting database: sacct cannot answer, the executor polls squeue. Finished jobs stay visible to squeue
# for MinJobAge seconds (an hour: tests read the states of a whole run), far more than the executor needs (>= 3 x
# its first polling interval).
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MinJobAge=3600
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MpiDefault=none
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
# Read by slurmd even when no cgroup plugin is used; no cgroup mounts or systemd scopes are attempted.
cat >"$CONF_DIR/cgroup.conf" <<EOF
$MARK
CgroupAutomount=no
IgnoreSystemd=yes
EOF

# munge: Debian's package created /etc/munge/munge.key; munged runs as the munge user.
if ! pgrep -u munge -x munged >/dev/null; then
  install -d -o munge -g munge -m 0755 /run/munge
  runuser -u munge -- /usr/sbin/munged
fi
stop
/usr/sbin/slurmctld -i
/usr/sbin/slurmd -N localhost

for _ in $(seq 1 60); do
  state=$(sinfo -h -N -o %t 2>/dev/null | head -1 || true)
  if [ "$state" = "idle" ] || [ "$state" = "mix" ]; then
    echo "slurm_local: node localhost is $state ($CPUS CPUs, ${MEM_MB} MB)"
    exit 0
  fi
  sleep 1
done
echo "slurm_local: the node did not become idle; logs follow" >&2
tail -n 20 "$LOGDIR/slurmctld.log" "$LOGDIR/slurmd.log" >&2 || true
exit 1
