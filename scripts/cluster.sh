#!/usr/bin/env bash
# A shared-filesystem cluster on this machine, for `deno task test:cluster`.
#
#   cluster.sh check            exit 0 if this machine can run it, else print
#                               why not and exit 2
#   cluster.sh install          install the Debian packages it needs (root)
#   cluster.sh up STATE         start the servers and the hosts
#   cluster.sh down STATE       stop everything STATE started (idempotent)
#   cluster.sh run STATE HOST CMD...   run CMD on HOST (h1 or h2)
#   cluster.sh kill STATE HOST  kill every process of HOST (its mounts too)
#   cluster.sh host STATE HOST  start HOST again after a kill
#
# The servers run in a network namespace of their own (fsc-srv), reached at
# 10.77.0.1 only through veth pairs from the hosts' namespaces: no traffic
# leaves the namespaces this script makes. Each host (h1, h2) is a network,
# UTS, pid and mount namespace with its own host name, its own pid numbers
# and its own client mounts under STATE/mnt:
#
#   STATE/mnt/rep    GlusterFS, replicate 1x3, performance.stat-prefetch
#                    off, mounted with --entry-timeout=0
#                    --attribute-timeout=0 (the options this project proves)
#   STATE/mnt/cache  GlusterFS, distribute 3x1, every option at its default
#                    (the client's caches on: stale names look alive)
#   STATE/mnt/dist   GlusterFS, distributed-replicated 2x3, the options of
#                    rep (names chosen by the caller are not exclusive)
#   STATE/mnt/mfs    MooseFS 3, two chunk servers, goal 2, default options
set -euo pipefail
# The daemons are in sbin, which a PATH without it (env -i, a CI runner's
# shell) leaves out.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

PACKAGES=(glusterfs-server glusterfs-client moosefs-master moosefs-chunkserver
  moosefs-client libfaketime iproute2 util-linux attr)
SRV=10.77.0.1
HOSTS=(h1 h2)
# pid 1 of a namespace: bash reaps every orphan on SIGCHLD
REAPER='exec bash -c "while :; do sleep 1 & wait; done"'

why_not() {
  if [ "$(id -u)" != 0 ]; then echo "not root"; return; fi
  if [ ! -c /dev/fuse ]; then echo "no /dev/fuse"; return; fi
  if ! unshare --net --uts --pid --mount --fork true 2>/dev/null; then
    echo "unshare cannot make network, UTS, pid and mount namespaces here"
    return
  fi
  # (ip comes with the packages where it is missing)
  if command -v ip >/dev/null && ! ip netns add fsc-probe 2>/dev/null; then
    echo "ip netns add fails here"
    return
  fi
  ip netns del fsc-probe 2>/dev/null || true
}

missing() {
  local p
  for p in "${PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || echo "$p"
  done
}

install() {
  local need
  need=$(missing)
  [ -z "$need" ] && return 0
  echo "cluster: installing $(echo $need)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $need >&2
}

# pid 1 of a host's namespaces, as seen from here
host_pid() { cat "$STATE/$1.pid"; }

run() {
  local host=$1
  shift
  exec nsenter -t "$(host_pid "$host")" --net --uts --pid --mount --wd="$PWD" -- "$@"
}

wait_for() { # seconds, description, command...
  local until=$((SECONDS + $1)) what=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$until" ]; then
      echo "cluster: timed out waiting for $what" >&2
      return 1
    fi
    sleep 0.1
  done
}

gluster_() { ip netns exec fsc-srv gluster --mode=script "$@"; }

# MooseFS: a master and two chunk servers, configured under STATE.
mfs_config() {
  local i
  cp /var/lib/mfs/metadata.mfs.empty "$STATE/mfs/master/metadata.mfs"
  echo "* / rw,alldirs,maproot=0" >"$STATE/mfs/exports.cfg"
  cat >"$STATE/mfs/master.cfg" <<EOF
WORKING_USER = root
WORKING_GROUP = root
DATA_PATH = $STATE/mfs/master
EXPORTS_FILENAME = $STATE/mfs/exports.cfg
SYSLOG_IDENT = fsc-mfsmaster
EOF
  for i in 1 2; do
    echo "$STATE/mfs/hdd$i" >"$STATE/mfs/hdd$i.cfg"
    cat >"$STATE/mfs/cs$i.cfg" <<EOF
WORKING_USER = root
WORKING_GROUP = root
DATA_PATH = $STATE/mfs/cs$i
HDD_CONF_FILENAME = $STATE/mfs/hdd$i.cfg
MASTER_HOST = $SRV
CSSERV_LISTEN_PORT = 94${i}2
SYSLOG_IDENT = fsc-mfschunkserver$i
EOF
  done

}

# A host: pid 1 of its namespaces is a shell that reaps; the volumes are
# mounted into it from outside. Killing pid 1 ends every process of the host,
# its mounts with them.
start_host() {
  local h=$1 m
  ip netns exec "fsc-$h" unshare --uts --pid --mount --fork --mount-proc \
    --propagation private bash -c "hostname $h; $REAPER" \
    </dev/null >>"$STATE/logs/$h.out" 2>&1 &
  local outer=$!
  wait_for 10 "host $h to start" pgrep -P "$outer"
  pgrep -P "$outer" >"$STATE/$h.pid"
  # The mounts, from outside, each tried again until it is there: a client
  # can start before glusterd serves the volume it asks for.
  for m in rep cache dist mfs; do
    wait_for 60 "$m on $h" mount_one "$h" "$m"
  done
}

# true when volume $1 has $2 bricks online (a brick's node has a path)
bricks_online() {
  local n
  n=$(gluster_ volume status "$1" --xml | awk '
    /<path>\//                   { brick = 1 }
    brick && /<status>1<\/status>/ { n++ }
    /<\/node>/                    { brick = 0 }
    END { print n + 0 }')
  [ "$n" -ge "$2" ]
}

# Mounts volume $2 on host $1 unless it is mounted; true once it is.
mount_one() {
  local h=$1 m=$2 at="$STATE/mnt/$2"
  local -a in=(nsenter -t "$(host_pid "$h")" --net --uts --pid --mount --)
  "${in[@]}" mountpoint -q "$at" && return 0
  # A client that mounted but never reached its bricks leaves a mount
  # that fails every call: it goes before the next try.
  if "${in[@]}" grep -q " $at fuse" /proc/self/mounts; then
    "${in[@]}" umount -l "$at" 2>/dev/null || true
  fi
  # Every GlusterFS mount but `cache` gets the options this project proves.
  local -a exact=(--entry-timeout=0 --attribute-timeout=0 --negative-timeout=0)
  case $m in
  rep) "${in[@]}" glusterfs --volfile-server=$SRV --volfile-id=fsrep "${exact[@]}" \
    -l "$STATE/logs/$h-$m.log" "$at" ;;
  dist) "${in[@]}" glusterfs --volfile-server=$SRV --volfile-id=fsdist "${exact[@]}" \
    -l "$STATE/logs/$h-$m.log" "$at" ;;
  cache) "${in[@]}" glusterfs --volfile-server=$SRV --volfile-id=fsdef \
    -l "$STATE/logs/$h-$m.log" "$at" ;;
  mfs) "${in[@]}" mfsmount "$at" -H $SRV -o mfsioretries=5 >/dev/null 2>&1 ;;
  esac
  sleep 0.5
  "${in[@]}" mountpoint -q "$at"
}

up() {
  mkdir -p "$STATE"
  down_quiet
  mkdir -p "$STATE"
  mountpoint -q "$STATE" || mount -t tmpfs -o size=2g,mode=755 fsc-state "$STATE"
  mkdir -p /run/gluster /var/log/glusterfs
  mkdir -p "$STATE"/{glusterd,bricks,logs/gluster,mfs/master,mfs/cs1,mfs/cs2,mfs/hdd1,mfs/hdd2,run}
  # The network: fsc-srv holds 10.77.0.1; each host a veth to it.
  ip netns add fsc-srv
  ip -n fsc-srv link set lo up
  ip -n fsc-srv addr add "$SRV/32" dev lo
  local i=1 h
  for h in "${HOSTS[@]}"; do
    ip netns add "fsc-$h"
    ip -n "fsc-$h" link set lo up
    ip -n fsc-srv link add "v$h" type veth peer name eth0 netns "fsc-$h"
    ip -n fsc-srv addr add "10.77.$i.1/24" dev "v$h"
    ip -n fsc-srv link set "v$h" up
    ip -n "fsc-$h" addr add "10.77.$i.2/24" dev eth0
    ip -n "fsc-$h" link set eth0 up
    ip -n "fsc-$h" route add default via "10.77.$i.1"
    i=$((i + 1))
  done

  # The servers: pid 1 of their own pid namespace is a shell that reaps
  # what the daemons leave, so that ending it ends them all.
  sed -e "s|/var/lib/glusterd|$STATE/glusterd|" /etc/glusterfs/glusterd.vol \
    >"$STATE/glusterd.vol"
  mfs_config
  # glusterd keeps its bricks' pid files in /run/gluster and judges a brick
  # running when the pid in its file is alive. Numbered afresh in a new pid
  # namespace, the pids of the last run's bricks are often alive again, as
  # other daemons: glusterd then starts no brick and the mounts never come
  # up. So the servers get a /run/gluster of their own, and their logs go
  # to STATE/logs.
  local servers="mount -t tmpfs fsc-run /run/gluster
mount --bind $STATE/logs/gluster /var/log/glusterfs
glusterd -f $STATE/glusterd.vol -p $STATE/run/glusterd.pid -l $STATE/logs/glusterd.log
mfsmaster -c $STATE/mfs/master.cfg start
mfschunkserver -c $STATE/mfs/cs1.cfg start
mfschunkserver -c $STATE/mfs/cs2.cfg start
$REAPER"
  ip netns exec fsc-srv unshare --pid --fork --mount-proc bash -c "$servers" \
    </dev/null >"$STATE/logs/servers.out" 2>&1 &
  echo $! >"$STATE/srv.outer"
  wait_for 20 glusterd gluster_ volume list
  gluster_ volume create fsrep replica 3 \
    "$SRV:$STATE/bricks/r1" "$SRV:$STATE/bricks/r2" "$SRV:$STATE/bricks/r3" force >&2
  gluster_ volume set fsrep performance.stat-prefetch off >&2
  gluster_ volume start fsrep >&2
  gluster_ volume create fsdef \
    "$SRV:$STATE/bricks/c1" "$SRV:$STATE/bricks/c2" "$SRV:$STATE/bricks/c3" force >&2
  gluster_ volume start fsdef >&2
  gluster_ volume create fsdist replica 3 \
    "$SRV:$STATE/bricks/d1" "$SRV:$STATE/bricks/d2" "$SRV:$STATE/bricks/d3" \
    "$SRV:$STATE/bricks/d4" "$SRV:$STATE/bricks/d5" "$SRV:$STATE/bricks/d6" force >&2
  gluster_ volume set fsdist performance.stat-prefetch off >&2
  gluster_ volume start fsdist >&2
  wait_for 30 "the bricks of fsrep" bricks_online fsrep 3
  wait_for 30 "the bricks of fsdef" bricks_online fsdef 3
  wait_for 30 "the bricks of fsdist" bricks_online fsdist 6

  mkdir -p "$STATE/mnt/rep" "$STATE/mnt/cache" "$STATE/mnt/dist" "$STATE/mnt/mfs"
  for h in "${HOSTS[@]}"; do start_host "$h"; done
  # Replicas for MooseFS files: goal 2.
  nsenter -t "$(host_pid h1)" --net --mount mfssetgoal -r 2 "$STATE/mnt/mfs" >/dev/null
  echo "cluster: up in $STATE (hosts ${HOSTS[*]})" >&2
}

down_quiet() {
  local h p
  for h in "${HOSTS[@]}"; do
    if [ -f "$STATE/$h.pid" ]; then
      # Ending pid 1 of a pid namespace ends every process in it.
      kill -9 "$(cat "$STATE/$h.pid")" 2>/dev/null || true
      rm -f "$STATE/$h.pid"
    fi
  done
  if [ -f "$STATE/srv.outer" ]; then
    p=$(pgrep -P "$(cat "$STATE/srv.outer")" || true)
    [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true
    rm -f "$STATE/srv.outer"
  fi
  # Every process still in the servers' namespace (glusterd, bricks, ...).
  if ip netns pids fsc-srv >/dev/null 2>&1; then
    for p in $(ip netns pids fsc-srv); do kill -9 "$p" 2>/dev/null || true; done
  fi
  for h in "${HOSTS[@]}" srv; do
    if ip netns pids "fsc-$h" >/dev/null 2>&1; then
      for p in $(ip netns pids "fsc-$h"); do kill -9 "$p" 2>/dev/null || true; done
    fi
    ip netns del "fsc-$h" 2>/dev/null || true
  done
  sleep 0.2
  if mountpoint -q "$STATE" 2>/dev/null; then
    umount -l "$STATE" 2>/dev/null || true
  fi
  rm -rf "${STATE:?}"/* 2>/dev/null || true
}

case "${1:-}" in
check)
  reason=$(why_not)
  if [ -n "$reason" ]; then
    echo "$reason"
    exit 2
  fi
  ;;
install) install ;;
up)
  STATE=${2:?state directory}
  up
  ;;
down)
  STATE=${2:?state directory}
  down_quiet
  ;;
host)
  STATE=${2:?state directory}
  start_host "${3:?host}"
  ;;
kill)
  STATE=${2:?state directory}
  kill -9 "$(host_pid "${3:?host}")"
  ;;
run)
  STATE=${2:?state directory}
  shift 2
  run "$@"
  ;;
*)
  sed -n '2,26p' "$0" >&2
  exit 64
  ;;
esac
