#!/usr/bin/env bash
# A real single-node SLURM cluster on this machine, to run the pipeline through
# Snakemake's SLURM executor on a laptop or in CI (docs/cluster.md).
#
#   bash scripts/slurm-local.sh up      # start munged (unless one answers), slurmctld, slurmd
#   snakemake --workflow-profile workflows/profiles/slurm --configfile configs/smoke.yaml all
#   bash scripts/slurm-local.sh down    # stop exactly the daemons `up` started
#
# `up` writes slurm.conf into the state directory ($GANBENCH_SLURM_DIR, default
# /tmp/ganbench-slurm): the node line comes from `slurmd -C` (RealMemory lowered
# to 90 %), the host name from `hostname -s` (mapped to 127.0.0.1 in /etc/hosts
# when it does not resolve; `down` removes that line again). One partition,
# `debug`, holds the node. /etc/slurm/slurm.conf becomes a symbolic link to it
# (SLURM's default path: the executor plugin removes SLURM_CONF from the
# environment of the `srun` it runs inside each job, so only the default path
# works); `up` refuses to replace an existing /etc/slurm/slurm.conf unless it is
# a link left by a cluster of this script that no longer runs, and `down`
# removes the link when it still points here. Logs, pid files, state and the job completion log
# (jobcomp.txt: one line per finished job) stay in the state directory. `up`
# returns once `sinfo` reports the node idle; when it fails it stops what it
# started and shows the daemons' logs.
#
# `down` cancels the cluster's remaining jobs, then stops the pids that `up`
# recorded (slurmd, slurmctld, and munged only when `up` started it), after
# checking that each pid still runs that program; nothing else is touched.
# Jobs keep the environment of `sbatch` (--export=ALL), so a job finds the
# Python environment and PYTHONPATH of the shell that ran snakemake.
#
# Environment: GANBENCH_SLURM_DIR (state directory), GANBENCH_SLURM_PORT
# (slurmctld port, default 6817; slurmd uses the next one). Needs root and the
# Debian packages slurm-wlm and munge (scripts/install.sh --test installs them).
set -euo pipefail

STATE=${GANBENCH_SLURM_DIR:-/tmp/ganbench-slurm}
PORT=${GANBENCH_SLURM_PORT:-6817}
CONF="$STATE/slurm.conf"
ETC_CONF=/etc/slurm/slurm.conf
HOSTS_MARK="# added by ganbench scripts/slurm-local.sh"
MUNGE_SOCKET=/run/munge/munge.socket.2

usage() {
    echo "usage: bash scripts/slurm-local.sh up|down   (state directory: \$GANBENCH_SLURM_DIR, default /tmp/ganbench-slurm)" >&2
    exit 2
}

die() {
    echo "slurm-local: $*" >&2
    exit 1
}

# pid recorded in <dir>/<name>.pid (default dir $STATE) when that process still runs program <name>.
live_pid() {
    local name=$1 file="${2:-$STATE}/$1.pid" pid
    [ -f "$file" ] || return 1
    pid=$(tr -dc '0-9' <"$file")
    [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] || return 1
    echo "$pid"
}

wait_for() { # wait_for <seconds> <command...>: poll every 0.2 s
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}

node_idle() {
    [ "$(SLURM_CONF="$CONF" sinfo -h -o %t 2>/dev/null)" = "idle" ]
}

stop_pid() { # stop_pid <name>: TERM the recorded pid, KILL it after 15 s
    local name=$1 pid
    if pid=$(live_pid "$name"); then
        kill -TERM "$pid" 2>/dev/null || true
        if ! wait_for 15 bash -c "[ ! -e /proc/$pid ] || [ \"\$(cat /proc/$pid/comm 2>/dev/null)\" != $name ]"; then
            echo "slurm-local: $name ($pid) ignored SIGTERM; sending SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null || true
            wait_for 5 bash -c "[ ! -e /proc/$pid ]" || die "$name ($pid) did not exit"
        fi
        echo "stopped $name ($pid)"
    fi
    rm -f "$STATE/$name.pid"
}

down() {
    if live_pid slurmctld >/dev/null; then
        local jobs
        jobs=$(SLURM_CONF="$CONF" squeue -h -t pending,running,suspended -o %i 2>/dev/null || true)
        if [ -n "$jobs" ]; then
            # shellcheck disable=SC2086
            SLURM_CONF="$CONF" scancel $jobs 2>/dev/null || true
            wait_for 15 bash -c "[ -z \"\$(SLURM_CONF='$CONF' squeue -h -t running,completing -o %i 2>/dev/null)\" ]" || true
        fi
    fi
    local stopped=0 name
    for name in slurmd slurmctld munged; do
        live_pid "$name" >/dev/null && stopped=$((stopped + 1))
        stop_pid "$name"
    done
    [ "$stopped" -gt 0 ] || echo "nothing to stop (no live pids recorded in $STATE)"
    if [ -L "$ETC_CONF" ] && [ "$(readlink "$ETC_CONF")" = "$CONF" ]; then
        rm -f "$ETC_CONF"
        echo "removed the link $ETC_CONF -> $CONF"
    fi
    if [ -f "$STATE/hosts-line" ]; then
        local line
        line=$(cat "$STATE/hosts-line")
        # rewrite in place (no rename: /etc/hosts may be a bind mount)
        grep -vxF -- "$line" /etc/hosts >"$STATE/hosts.new" || true
        cat "$STATE/hosts.new" >/etc/hosts
        rm -f "$STATE/hosts.new" "$STATE/hosts-line"
        echo "removed '$line' from /etc/hosts"
    fi
}

# True when $ETC_CONF is a link left by a cluster of this script that no longer
# runs (a killed session never ran `down`): dangling, or to a slurm.conf written
# here whose recorded slurmctld and slurmd are gone.
stale_link() {
    [ -L "$ETC_CONF" ] || return 1
    local target
    target=$(readlink "$ETC_CONF")
    [ -e "$target" ] || return 0
    head -n 1 "$target" | grep -qF "Written by scripts/slurm-local.sh up" || return 1
    ! live_pid slurmctld "$(dirname "$target")" >/dev/null && ! live_pid slurmd "$(dirname "$target")" >/dev/null
}

show_logs() {
    local log
    for log in "$STATE"/log/slurmctld.log "$STATE"/log/slurmd.log; do
        [ -f "$log" ] && { echo "--- tail of $log" >&2; tail -n 20 "$log" >&2; }
    done
    return 0
}

write_conf() {
    local host=$1 node real mem
    node=$(slurmd -C | grep '^NodeName=') || die "slurmd -C printed no NodeName line"
    real=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$node")
    [ -n "$real" ] || die "no RealMemory in: $node"
    mem=$((real * 9 / 10))
    node=$(sed -e "s/RealMemory=[0-9]*/RealMemory=$mem/" -e "s/^NodeName=[^ ]*/NodeName=$host NodeAddr=127.0.0.1/" <<<"$node")
    cat >"$CONF" <<EOF
# Written by scripts/slurm-local.sh up: a single-node cluster for ganbench.
ClusterName=ganbench
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
StateSaveLocation=$STATE/state
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$STATE/jobcomp.txt
# completed jobs stay visible to squeue (the profile's status command) for 5 minutes
MinJobAge=300
# without it a job that gives no --mem takes the whole node
DefMemPerCPU=1000
MailProg=/bin/true
$node State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
}

up() {
    [ "$(id -u)" = 0 ] || die "needs root (the daemons run as root; munged as user munge)"
    local prog
    for prog in slurmctld slurmd munged munge unmunge sinfo squeue runuser getent; do
        command -v "$prog" >/dev/null || PATH="$PATH:/usr/sbin:/sbin" command -v "$prog" >/dev/null \
            || die "$prog not found: install the Debian packages slurm-wlm and munge (bash scripts/install.sh --test)"
    done
    export PATH="$PATH:/usr/sbin:/sbin"
    if live_pid slurmctld >/dev/null && live_pid slurmd >/dev/null; then
        echo "already up (state in $STATE): $(SLURM_CONF="$CONF" sinfo -h -o '%n %t' 2>&1)"
        return 0
    fi
    if live_pid slurmctld >/dev/null || live_pid slurmd >/dev/null; then
        die "a half-started cluster runs from $STATE: run 'bash scripts/slurm-local.sh down' first"
    fi

    local port
    for port in "$PORT" "$((PORT + 1))"; do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            die "port $port is in use (another slurmctld/slurmd?): stop it, or choose other ports with GANBENCH_SLURM_PORT"
        fi
    done

    trap 'rc=$?; if [ $rc -ne 0 ]; then echo "slurm-local: up failed; stopping what it started" >&2; show_logs; down >&2; fi' EXIT
    mkdir -p "$STATE/state" "$STATE/spool" "$STATE/log"
    local host
    host=$(hostname -s)
    if ! getent hosts "$host" >/dev/null; then
        local line="127.0.0.1 $host $HOSTS_MARK"
        echo "$line" >>/etc/hosts
        echo "$line" >"$STATE/hosts-line"
        echo "mapped $host to 127.0.0.1 in /etc/hosts"
    fi
    write_conf "$host"
    if [ -L "$ETC_CONF" ] && [ "$(readlink "$ETC_CONF")" = "$CONF" ]; then
        : # left by an earlier run from this state directory
    elif stale_link; then
        ln -sfn "$CONF" "$ETC_CONF"
        echo "replaced a stale $ETC_CONF link (its cluster no longer runs)"
    elif [ -e "$ETC_CONF" ] || [ -L "$ETC_CONF" ]; then
        die "$ETC_CONF exists (another SLURM configuration, or a local cluster from another state directory: $(readlink "$ETC_CONF" || echo 'a regular file')); stop or remove it first"
    else
        mkdir -p "$(dirname "$ETC_CONF")"
        ln -s "$CONF" "$ETC_CONF"
    fi

    if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
        echo "munged already runs; using it"
    else
        install -d -o munge -g munge -m 0755 /run/munge
        runuser -u munge -- munged
        wait_for 10 test -S "$MUNGE_SOCKET" || die "munged did not open $MUNGE_SOCKET"
        echo "$(tr -dc '0-9' </run/munge/munged.pid)" >"$STATE/munged.pid"
        live_pid munged >/dev/null || die "munged pid file does not name a running munged"
        echo "started munged ($(cat "$STATE/munged.pid"))"
    fi

    rm -f "$STATE/slurmctld.pid" "$STATE/slurmd.pid"
    slurmctld -c -f "$CONF"
    wait_for 10 live_pid slurmctld >/dev/null || die "slurmctld did not start"
    slurmd -f "$CONF"
    wait_for 10 live_pid slurmd >/dev/null || die "slurmd did not start"
    wait_for 30 node_idle || die "node not idle after 30 s: $(SLURM_CONF="$CONF" sinfo 2>&1)"
    trap - EXIT
    echo "started slurmctld ($(live_pid slurmctld)) and slurmd ($(live_pid slurmd)); node $host idle (state in $STATE, config linked from $ETC_CONF)"
}

[ $# -eq 1 ] || usage
case "$1" in
    up) up ;;
    down) down ;;
    *) usage ;;
esac
