# shellcheck shell=bash
# Shared helpers for the phi test image recipes (sourced, never executed).
#
# Everything under scripts/images/ but verify.sh is part of an image "recipe": the sha256 of
# common.sh plus the image's own directory is stored in the image label
# org.phi.test.recipe, and scripts/setup-test-env.sh rebuilds an image whenever
# that hash changes.

PHI_LOG_PREFIX="${PHI_LOG_PREFIX:-[phi-setup]}"

log()  { printf '%s %s\n' "$PHI_LOG_PREFIX" "$*" >&2; }
warn() { printf '%s WARNING: %s\n' "$PHI_LOG_PREFIX" "$*" >&2; }
die()  { printf '%s ERROR: %s\n' "$PHI_LOG_PREFIX" "$*" >&2; exit 1; }

# Debian suite and mirrors used for every mmdebstrap rootfs. Overridable for
# machines that use a local mirror.
PHI_DEBIAN_SUITE="${PHI_DEBIAN_SUITE:-bookworm}"
PHI_DEBIAN_MIRROR="${PHI_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
PHI_DEBIAN_SECURITY_MIRROR="${PHI_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"

PHI_APT_UPDATED_STAMP="${PHI_APT_UPDATED_STAMP:-}"

# apt-get update at most once per setup run (the stamp file is shared with the
# parent setup script through the environment).
apt_update_once() {
    if [[ -n "$PHI_APT_UPDATED_STAMP" && -e "$PHI_APT_UPDATED_STAMP" ]]; then
        return 0
    fi
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
        || die "apt-get update failed"
    if [[ -n "$PHI_APT_UPDATED_STAMP" ]]; then
        : >"$PHI_APT_UPDATED_STAMP"
    fi
}

apt_install() {
    apt_update_once
    log "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
        || die "apt-get install $* failed"
}

ensure_mmdebstrap() {
    command -v mmdebstrap >/dev/null 2>&1 || apt_install mmdebstrap
}

# mmdebstrap_tar OUT.tar [extra mmdebstrap options...]
# Builds a small Debian rootfs tarball: variant "apt", no recommends, no docs /
# man pages / translations, apt lists and caches removed.
mmdebstrap_tar() {
    local out="$1"
    shift
    ensure_mmdebstrap
    local -a opts=(
        --variant=apt
        # merged /usr via symlinks, without the usrmerge package (which would
        # pull in perl, ~45 MB)
        --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
        --format=tar
        --aptopt='APT::Install-Recommends "false"'
        --aptopt='APT::Install-Suggests "false"'
        --dpkgopt='path-exclude=/usr/share/doc/*'
        --dpkgopt='path-include=/usr/share/doc/*/copyright'
        --dpkgopt='path-exclude=/usr/share/man/*'
        --dpkgopt='path-exclude=/usr/share/info/*'
        --dpkgopt='path-exclude=/usr/share/locale/*'
        --dpkgopt='path-include=/usr/share/locale/locale.alias'
        --dpkgopt='path-exclude=/usr/share/lintian/*'
        --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/cache/apt/archives/*.deb "$1"/var/log/apt/* "$1"/var/log/dpkg.log "$1"/var/cache/debconf/*-old'
    )
    # mmdebstrap reads sources from stdin when stdin is not a terminal and no
    # mirror is given: always give mirrors and close stdin.
    local logf="$out.mmdebstrap.log"
    if ! mmdebstrap --quiet "${opts[@]}" "$@" "$PHI_DEBIAN_SUITE" "$out" \
        "deb $PHI_DEBIAN_MIRROR $PHI_DEBIAN_SUITE main" \
        "deb $PHI_DEBIAN_MIRROR $PHI_DEBIAN_SUITE-updates main" \
        "deb $PHI_DEBIAN_SECURITY_MIRROR $PHI_DEBIAN_SUITE-security main" \
        </dev/null >"$logf" 2>&1; then
        tail -n 40 "$logf" >&2
        die "mmdebstrap failed (last lines above)"
    fi
    rm -f "$logf"
}

# docker_load_image ROOTFS.tar TAG RECIPE_HASH CONFIG_JSON
# Turns a rootfs tarball into a one-layer image and loads it with "docker load"
# (a hand-written docker-save archive).  Unlike "docker import --change", this
# can set every image config field: Engine 20.10 rejects STOPSIGNAL in
# import/commit --change.  CONFIG_JSON is the image's "config" object
# (Env, Entrypoint, Cmd, WorkingDir, StopSignal, ExposedPorts, Volumes, ...);
# the org.phi.test.recipe label is added here.  ROOTFS.tar is moved away.
docker_load_image() {
    local rootfs="$1" tag="$2" hash="$3" config="$4"
    local stage
    stage="$(mktemp -d "$(dirname "$rootfs")/load.XXXXXX")"
    mkdir -p "$stage/layer"
    mv "$rootfs" "$stage/layer/layer.tar"
    PHI_STAGE="$stage" PHI_TAG="$tag" PHI_HASH="$hash" PHI_CONFIG="$config" PHI_ARCH="$(dpkg --print-architecture)" python3 - <<'PY' \
        || die "could not write the image archive for $tag"
import hashlib, json, os, datetime
stage, tag = os.environ["PHI_STAGE"], os.environ["PHI_TAG"]
cfg = json.loads(os.environ["PHI_CONFIG"])
cfg.setdefault("Labels", {})
cfg["Labels"]["org.phi.test.recipe"] = os.environ["PHI_HASH"]
cfg["Labels"]["org.phi.test.image"] = tag
h = hashlib.sha256()
with open(os.path.join(stage, "layer", "layer.tar"), "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
image = {
    "architecture": os.environ["PHI_ARCH"], "os": "linux", "created": now,
    "config": cfg,
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + h.hexdigest()]},
    "history": [{"created": now, "created_by": "phi scripts/images recipe " + os.environ["PHI_HASH"]}],
}
raw = json.dumps(image, sort_keys=True).encode()
cfg_name = hashlib.sha256(raw).hexdigest() + ".json"
with open(os.path.join(stage, cfg_name), "wb") as f:
    f.write(raw)
with open(os.path.join(stage, "manifest.json"), "w") as f:
    json.dump([{"Config": cfg_name, "RepoTags": [tag], "Layers": ["layer/layer.tar"]}], f)
PY
    tar -C "$stage" -cf - . | docker load -q >/dev/null || die "docker load of $tag failed"
    rm -rf "$stage"
}

# Unique, cleaned-up names for verification containers/networks.
verify_suffix() { printf 'phi-verify-%s-%s' "$$" "$RANDOM"; }
