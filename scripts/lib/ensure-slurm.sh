# Sourced by ensure-tools.sh (needs its apt_install). Gives the Slurm glue suites a real
# one-node Slurm cluster on this host (DESIGN.md "Constraints"): slurm-wlm and munge installed
# when missing, a slurm.conf written when there is none, a munge key, then munged, slurmctld
# and slurmd started when not running, and a wait until `sinfo` shows the node idle. A cluster
# that is already configured and running is used as it is. Also installs kubectl (Debian
# kubernetes-client) when there is none, for the k8s glue's manifest checks.

slurm_conf=/etc/slurm/slurm.conf

write_one_node_slurm_conf() {
  local host node_line
  host=$(hostname -s)
  # slurmd -C prints this node as slurm.conf wants it (CPUs, sockets, cores, RealMemory), so
  # the node is never drained for claiming more than it has.
  node_line=$(slurmd -C | head -n 1)
  mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
  cat >"$slurm_conf" <<EOF
# One-node cluster for Tray Agent's Slurm glue tests (scripts/lib/ensure-slurm.sh).
ClusterName=trayagent
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
# Jobs share the node by CPU, so several 1-CPU jobs run at once.
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
MpiDefault=none
$node_line State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
}

ensure_munge_key() {
  [ -s /etc/munge/munge.key ] && return 0
  mkdir -p /etc/munge
  if command -v mungekey >/dev/null 2>&1; then mungekey --create --keyfile=/etc/munge/munge.key --force
  else dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
  fi
  chown munge:munge /etc/munge/munge.key
  chmod 0400 /etc/munge/munge.key
}

ensure_slurm_cluster() {
  if ! command -v sbatch >/dev/null 2>&1 || ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
    apt_install slurm-wlm munge || return 1
  fi
  [ -s "$slurm_conf" ] || write_one_node_slurm_conf
  ensure_munge_key
  if ! pgrep -x munged >/dev/null 2>&1; then
    mkdir -p /run/munge && chown munge:munge /run/munge
    runuser -u munge -- /usr/sbin/munged || { echo "test-all: munged did not start" >&2; return 1; }
  fi
  pgrep -x slurmctld >/dev/null 2>&1 || slurmctld || { echo "test-all: slurmctld did not start (see /var/log/slurm/slurmctld.log)" >&2; return 1; }
  pgrep -x slurmd >/dev/null 2>&1 || slurmd || { echo "test-all: slurmd did not start (see /var/log/slurm/slurmd.log)" >&2; return 1; }
  local waited=0 state
  while :; do
    state=$(sinfo --noheader --format=%T 2>/dev/null | head -n 1) || state=""
    case "$state" in idle|mixed|allocated) break ;; esac
    if [ "$waited" -ge 60 ]; then
      echo "test-all: the Slurm node is \"${state:-unknown}\" after 60 s, not idle (sinfo -R; /var/log/slurm/)" >&2
      return 1
    fi
    # A node left down by an earlier run comes back once slurmd is up.
    case "$state" in down*|drain*) scontrol update NodeName="$(hostname -s)" State=RESUME >/dev/null 2>&1 ;; esac
    sleep 1
    waited=$((waited + 1))
  done
  echo "test-all: slurm $(sinfo --version | cut -d' ' -f2), node $(hostname -s) $state"
}

ensure_kubectl() {
  command -v kubectl >/dev/null 2>&1 || apt_install kubernetes-client
}

ensure_glue_prerequisites() {
  ensure_slurm_cluster && ensure_kubectl
}
