#!/usr/bin/env bash
# The engines of phi's test matrix besides the machine's own Docker Engine:
#
#   scripts/engines.sh [--print-env]   start them (idempotent), load the test images
#   scripts/engines.sh --stop          stop them, remove their network namespaces
#   scripts/engines.sh --purge         --stop, then delete their data (images, containers)
#
# - Docker 28.5.2: docker.io 28.5.2+dfsg4-5, containerd 2.1.9+ds1-5 and runc 1.3.6+ds1-1
#   from Debian sid, downloaded with a private apt list directory (the system's apt sources
#   are never touched) and unpacked under $PHI_TEST_CACHE/engines/docker28 (sid's libc6 and
#   libseccomp2 beside runc, which needs glibc 2.38: patchelf points runc at them).  dockerd
#   runs in its own network namespace (phi-docker28) with its own data-root, exec-root,
#   pidfile, bridge range and cgroup parent, and manages its own containerd; it answers on
#   unix:///run/phi-test/docker28.sock.
# - Podman 4.3.1 from bookworm (apt-get install podman), as "podman system service" in its
#   own network namespace (phi-podman), with its own root, runroot, tmpdir and network config
#   dir, runc as runtime (crun refuses hybrid cgroups), on unix:///run/phi-test/podman.sock.
#
# The machine's Docker (DOCKER_HOST or /var/run/docker.sock) is only read from: the phi-test/*
# images are copied from it ("docker save" | load) when an engine lacks them or has an older
# build.  Its configuration and its iptables rules are never touched: each new engine changes
# iptables only inside its own network namespace.  A test that publishes ports on one of these
# engines must run in the engine's namespace (nsenter --net=/run/netns/phi-docker28 ...).
#
# --print-env prints, on stdout, "export VAR=value" lines:
#   PHI_TEST_DOCKER28_HOST, PHI_TEST_DOCKER28_NETNS, PHI_TEST_PODMAN_HOST, PHI_TEST_PODMAN_NETNS
# Progress goes to stderr.  Every wait is bounded; any failure exits non-zero with the reason
# and the tail of the engine's log.
#
# Environment knobs:
#   PHI_TEST_CACHE       cache dir (default $HOME/.cache/phi-test); downloads go to ./engines
#   PHI_TEST_ENGINES     which engines to start (default "docker28 podman")
#   PHI_DEBIAN_MIRROR    Debian mirror for sid (default http://deb.debian.org/debian)
#   PHI_ENGINES_STATE    data roots (default /var/lib/phi-test)
#   PHI_ENGINES_RUN      sockets, exec-roots, logs (default /run/phi-test)
set -euo pipefail

ACTION=start
PRINT_ENV=""
case "${1:-}" in
    --print-env) PRINT_ENV=1 ;;
    --stop) ACTION=stop ;;
    --purge) ACTION=purge ;;
    "") ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [--print-env | --stop | --purge]" >&2; exit 2 ;;
esac

PHI_TEST_CACHE="${PHI_TEST_CACHE:-$HOME/.cache/phi-test}"
ENGINES="${PHI_TEST_ENGINES:-docker28 podman}"
MIRROR="${PHI_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
CACHE="$PHI_TEST_CACHE/engines"
STATE="${PHI_ENGINES_STATE:-/var/lib/phi-test}"
RUN="${PHI_ENGINES_RUN:-/run/phi-test}"
IMAGES=(phi-test/busybox:latest phi-test/postgres:15 phi-test/redis:7 phi-test/python:3)

# Docker 28 from sid: exact versions, so a run today and a run next month test the same engine.
D28_PACKAGES=(docker.io=28.5.2+dfsg4-5 containerd=2.1.9+ds1-5 runc=1.3.6+ds1-1 libc6 libseccomp2)
D28_VERSION=28.5.2
D28_DIR="$CACHE/docker28"
D28_NETNS=phi-docker28
D28_SOCK="$RUN/docker28.sock"
D28_EXEC="$RUN/docker28"
D28_DATA="$STATE/docker28"
D28_LOG="$RUN/docker28.log"

PODMAN_NETNS=phi-podman
PODMAN_SOCK="$RUN/podman.sock"
PODMAN_RUN="$RUN/podman"
PODMAN_DATA="$STATE/podman"
PODMAN_LOG="$RUN/podman.log"
PODMAN_PID="$RUN/podman.pid"

log() { printf 'engines: %s\n' "$*" >&2; }
die() { printf 'engines: error: %s\n' "$*" >&2; exit 1; }
is_root() { [[ "$(id -u)" == 0 ]]; }
pid_alive() { [[ -r "/proc/$1/status" ]] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status"; }
wants() { [[ " $ENGINES " == *" $1 "* ]]; }

print_env() {
    wants docker28 && printf 'export PHI_TEST_DOCKER28_HOST=unix://%s\nexport PHI_TEST_DOCKER28_NETNS=%s\n' \
        "$D28_SOCK" "$D28_NETNS"
    wants podman && printf 'export PHI_TEST_PODMAN_HOST=unix://%s\nexport PHI_TEST_PODMAN_NETNS=%s\n' \
        "$PODMAN_SOCK" "$PODMAN_NETNS"
    return 0
}

# ------------------------------------------------------------------ helpers --
answers() { # SOCKET: the engine behind it answers /_ping
    [[ -S "$1" ]] && timeout 5 curl -sf --unix-socket "$1" http://engine/_ping >/dev/null 2>&1
}

# Wait up to SECONDS for SOCKET to answer while PID lives; on failure show LOG's tail.
wait_answer() { # NAME SOCKET PID LOG SECONDS
    local deadline=$((SECONDS + $5))
    until answers "$2"; do
        if ! pid_alive "$3"; then
            tail -n 30 "$4" >&2 || :
            die "$1 exited before answering on $2 (log: $4)"
        fi
        if ((SECONDS >= deadline)); then
            tail -n 30 "$4" >&2 || :
            die "$1 did not answer on $2 within $5 s (log: $4)"
        fi
        sleep 0.2
    done
}

ensure_netns() { # NAME
    if [[ ! -e "/run/netns/$1" ]]; then
        ip netns add "$1"
    fi
    ip -n "$1" link set lo up
}

remove_netns() { # NAME
    if [[ -e "/run/netns/$1" ]]; then
        ip netns delete "$1" || log "could not delete network namespace $1"
    fi
}

# Stop the process in PIDFILE (TERM, then KILL after SECONDS).
stop_pidfile() { # NAME PIDFILE SECONDS
    local pid
    [[ -s "$2" ]] || return 0
    pid=$(cat "$2")
    if pid_alive "$pid"; then
        log "stopping $1 (pid $pid)"
        kill "$pid" 2>/dev/null || :
        local deadline=$((SECONDS + $3))
        while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
        if pid_alive "$pid"; then
            log "$1 did not stop within $3 s; killing it"
            kill -9 "$pid" 2>/dev/null || :
        fi
    fi
    rm -f "$2"
}

# Unmount everything mounted at or below DIR (deepest first): the engines' storage drivers
# leave mounts there (podman's overlay directory is one).
unmount_under() { # DIR
    local target
    [[ -d "$1" ]] || return 0
    awk -v dir="$1" '$5 == dir || index($5, dir "/") == 1 { print $5 }' /proc/self/mountinfo \
        | sort -r | while read -r target; do
            umount "$target" 2>/dev/null || umount -l "$target" || log "could not unmount $target"
        done
}

apt_alt() { # apt-get with the private sid list, at most 10 min; ARGS...
    timeout 600 apt-get -q -o Dir::Etc::sourcelist="$CACHE/apt/sources.list" -o Dir::Etc::sourceparts=/nonexistent \
        -o Dir::State::Lists="$CACHE/apt/lists" -o Dir::Cache="$CACHE/apt/cache" \
        -o APT::Sandbox::User=root "$@"
}

# Images present in the machine's Docker, as "name id" lines (the id is the image config
# digest, which save/load keeps).
source_ids() {
    local img
    for img in "${IMAGES[@]}"; do
        printf '%s %s\n' "$img" "$(docker image inspect -f '{{.Id}}' "$img" 2>/dev/null)"
    done
}

# Load into an engine the images whose id differs there from the machine's Docker.
copy_images() { # NAME INSPECT-FUNCTION LOAD-FUNCTION
    local name=$1 inspect=$2 load=$3 img id missing=()
    while read -r img id; do
        [[ -n "$id" ]] || die "image $img is missing from the machine's Docker: run scripts/setup-test-env.sh first"
        [[ "$($inspect "$img")" == "$id" ]] || missing+=("$img")
    done < <(source_ids)
    ((${#missing[@]})) || return 0
    log "loading ${missing[*]} into $name"
    docker save "${missing[@]}" | "$load" || die "loading images into $name failed"
    for img in "${missing[@]}"; do
        [[ -n "$($inspect "$img")" ]] || die "$img is still missing from $name after loading"
    done
}

# ---------------------------------------------------------------- docker 28 --
d28_unpacked() { [[ -x "$D28_DIR/root/usr/sbin/dockerd" && -f "$D28_DIR/.complete" ]]; }

d28_install() {
    d28_unpacked && return 0
    command -v patchelf >/dev/null 2>&1 || {
        log "installing patchelf (bookworm)"
        DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -q patchelf >&2 \
            || die "apt-get install patchelf failed"
    }
    log "downloading Docker $D28_VERSION, containerd and runc from Debian sid ($MIRROR)"
    mkdir -p "$CACHE/apt/lists/partial" "$CACHE/apt/cache/archives/partial" "$D28_DIR/debs"
    printf 'deb %s sid main\n' "$MIRROR" >"$CACHE/apt/sources.list"
    apt_alt update >&2 || die "apt-get update of the private sid list failed"
    (cd "$D28_DIR/debs" && rm -f ./*.deb && apt_alt download "${D28_PACKAGES[@]}" >&2) \
        || die "downloading ${D28_PACKAGES[*]} failed"
    rm -rf "$D28_DIR/root"
    mkdir -p "$D28_DIR/root"
    local deb
    for deb in "$D28_DIR"/debs/*.deb; do dpkg -x "$deb" "$D28_DIR/root"; done
    # runc 1.3.6 is built against glibc 2.38+: give it sid's loader and libraries (DT_RPATH,
    # so the libraries' own dependencies resolve from there too).
    local lib="$D28_DIR/root/usr/lib/x86_64-linux-gnu"
    patchelf --set-interpreter "$lib/ld-linux-x86-64.so.2" --force-rpath --set-rpath "$lib" \
        "$D28_DIR/root/usr/sbin/runc"
    "$D28_DIR/root/usr/sbin/runc" --version >/dev/null || die "the unpacked runc does not run"
    touch "$D28_DIR/.complete"
}

d28_config() {
    cat <<EOF
{
  "hosts": ["unix://$D28_SOCK"],
  "data-root": "$D28_DATA",
  "exec-root": "$D28_EXEC",
  "pidfile": "$D28_EXEC/dockerd.pid",
  "bip": "10.213.0.1/24",
  "default-address-pools": [{"base": "10.214.0.0/16", "size": 24}],
  "cgroup-parent": "/phi-docker28",
  "storage-driver": "overlay2"
}
EOF
}

d28_docker() { DOCKER_HOST="unix://$D28_SOCK" docker "$@"; }
d28_inspect() { d28_docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || :; }
d28_load() { DOCKER_HOST="unix://$D28_SOCK" timeout 600 docker load -q >/dev/null; }

d28_start() {
    d28_install
    ensure_netns "$D28_NETNS"
    if ! answers "$D28_SOCK"; then
        mkdir -p "$D28_EXEC" "$D28_DATA" "$RUN"
        stop_pidfile "a stale Docker $D28_VERSION" "$D28_EXEC/dockerd.pid" 20
        d28_config >"$RUN/docker28.json"
        log "starting Docker $D28_VERSION in network namespace $D28_NETNS (log: $D28_LOG)"
        local bin="$D28_DIR/root/usr/sbin:$D28_DIR/root/usr/bin"
        # Its own PATH: the managed containerd, its shim and docker-proxy come from sid.
        PATH="$bin:$PATH" setsid nohup nsenter --net="/run/netns/$D28_NETNS" \
            dockerd --config-file "$RUN/docker28.json" >>"$D28_LOG" 2>&1 </dev/null 9>&- &
        local pid=$!
        disown || :
        wait_answer "Docker $D28_VERSION" "$D28_SOCK" "$pid" "$D28_LOG" 90
    fi
    local version
    version=$(d28_docker version --format '{{.Server.Version}}')
    [[ "$version" == "$D28_VERSION" || "$version" == "$D28_VERSION+"* ]] \
        || die "$D28_SOCK answers as Docker $version, not $D28_VERSION"
    copy_images "Docker $D28_VERSION" d28_inspect d28_load
    log "Docker $D28_VERSION is up at unix://$D28_SOCK"
}

d28_stop() {
    if answers "$D28_SOCK"; then
        local ids
        ids=$(d28_docker ps -aq 2>/dev/null || :)
        # shellcheck disable=SC2086  # a list of ids
        [[ -z "$ids" ]] || DOCKER_HOST="unix://$D28_SOCK" timeout 120 docker rm -f $ids >/dev/null 2>&1 || :
    fi
    stop_pidfile "Docker $D28_VERSION" "$D28_EXEC/dockerd.pid" 30
    remove_netns "$D28_NETNS"
    rm -f "$D28_SOCK"
}

# ------------------------------------------------------------------- podman --
podman_conf() {
    local nofile nproc
    nofile=$(ulimit -Hn)
    [[ "$nofile" == unlimited ]] && nofile=1048576
    nproc=$(cat /proc/sys/kernel/pid_max)
    # Root lacks CAP_SYS_RESOURCE here: containers must not ask for more than the hard limits.
    cat <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
log_driver = "k8s-file"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$PODMAN_RUN/events.log"
EOF
}

podman_cmd() {
    CONTAINERS_CONF="$RUN/podman-containers.conf" podman --root "$PODMAN_DATA/storage" \
        --runroot "$PODMAN_RUN/run" --tmpdir "$PODMAN_RUN/tmp" \
        --network-config-dir "$PODMAN_DATA/networks" --storage-driver overlay "$@"
}
podman_inspect() {
    local id
    id=$(podman_cmd image inspect --format '{{.ID}}' "$1" 2>/dev/null) || return 0
    printf 'sha256:%s\n' "$id"
}
podman_load() {
    CONTAINERS_CONF="$RUN/podman-containers.conf" timeout 600 podman --root "$PODMAN_DATA/storage" \
        --runroot "$PODMAN_RUN/run" --tmpdir "$PODMAN_RUN/tmp" \
        --network-config-dir "$PODMAN_DATA/networks" --storage-driver overlay load -q >/dev/null
}

podman_start() {
    if ! command -v podman >/dev/null 2>&1; then
        is_root || die "podman is missing and installing it needs root"
        log "installing podman (bookworm)"
        DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -q podman >&2 \
            || die "apt-get install podman failed"
    fi
    ensure_netns "$PODMAN_NETNS"
    if ! answers "$PODMAN_SOCK"; then
        mkdir -p "$PODMAN_RUN/run" "$PODMAN_RUN/tmp" "$PODMAN_DATA/networks" "$RUN"
        stop_pidfile "a stale podman service" "$PODMAN_PID" 20
        rm -f "$PODMAN_SOCK"
        podman_conf >"$RUN/podman-containers.conf"
        log "starting Podman $(podman --version | awk '{print $3}') in network namespace $PODMAN_NETNS (log: $PODMAN_LOG)"
        setsid nohup nsenter --net="/run/netns/$PODMAN_NETNS" env \
            CONTAINERS_CONF="$RUN/podman-containers.conf" podman --root "$PODMAN_DATA/storage" \
            --runroot "$PODMAN_RUN/run" --tmpdir "$PODMAN_RUN/tmp" \
            --network-config-dir "$PODMAN_DATA/networks" --storage-driver overlay \
            system service --time=0 "unix://$PODMAN_SOCK" >>"$PODMAN_LOG" 2>&1 </dev/null 9>&- &
        local pid=$!
        disown || :
        echo "$pid" >"$PODMAN_PID"
        wait_answer "the podman service" "$PODMAN_SOCK" "$pid" "$PODMAN_LOG" 60
    fi
    copy_images "Podman" podman_inspect podman_load
    log "Podman is up at unix://$PODMAN_SOCK"
}

podman_stop() {
    if [[ -e "$RUN/podman-containers.conf" ]] && command -v podman >/dev/null 2>&1; then
        podman_cmd rm -af -t 2 >/dev/null 2>&1 || :
    fi
    stop_pidfile "the podman service" "$PODMAN_PID" 20
    remove_netns "$PODMAN_NETNS"
    rm -f "$PODMAN_SOCK"
}

# --------------------------------------------------------------------- main --
is_root || die "must run as root (it starts engines and creates network namespaces)"
mkdir -p "$CACHE" "$RUN"
exec 9>"$CACHE/engines.lock"
flock -w 1800 9 || die "timed out waiting for $CACHE/engines.lock"

case "$ACTION" in
    stop|purge)
        podman_stop
        d28_stop
        if [[ "$ACTION" == purge ]]; then
            log "deleting $D28_DATA and $PODMAN_DATA"
            unmount_under "$D28_DATA"
            unmount_under "$PODMAN_DATA"
            unmount_under "$D28_EXEC"
            unmount_under "$PODMAN_RUN"
            rm -rf "$D28_DATA" "$PODMAN_DATA" "$D28_EXEC" "$PODMAN_RUN" 2>/dev/null \
                || log "some files under $STATE are still in use (a mount held by another mount namespace); they go with a reboot"
        fi
        exit 0
        ;;
esac

wants docker28 && d28_start
wants podman && podman_start
[[ -z "$PRINT_ENV" ]] || print_env
