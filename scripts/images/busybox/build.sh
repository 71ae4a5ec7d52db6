#!/usr/bin/env bash
# Build phi-test/busybox:latest from Debian's busybox-static package, without
# installing it on the host.  Usage: build.sh TAG RECIPE_HASH
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=/dev/null
. "$here/../common.sh"

tag="$1" hash="$2"
work="$(mktemp -d "${TMPDIR:-/tmp}/phi-busybox.XXXXXX")"
trap 'rm -rf "$work"' EXIT

apt_update_once
(cd "$work" && apt-get download -q busybox-static >/dev/null 2>&1) \
    || die "apt-get download busybox-static failed"
deb="$(ls "$work"/busybox-static_*.deb)"
mkdir -p "$work/pkg" "$work/root"
dpkg-deb -x "$deb" "$work/pkg"

root="$work/root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,var/tmp,var/www,proc,sys,dev,run}
chmod 1777 "$root/tmp" "$root/var/tmp"
chmod 700 "$root/root"
install -m 0755 "$work/pkg/bin/busybox" "$root/bin/busybox"

# One symlink per applet, at the path busybox itself reports (bin/, sbin/,
# usr/bin/, usr/sbin/).  The static binary runs fine on the host.
while IFS= read -r applet; do
    [[ -n "$applet" && "$applet" != "bin/busybox" ]] || continue
    [[ -e "$root/$applet" || -L "$root/$applet" ]] && continue
    mkdir -p "$root/$(dirname "$applet")"
    ln -s /bin/busybox "$root/$applet"
done < <("$root/bin/busybox" --list-full)
[[ -L "$root/bin/sh" ]] || ln -s /bin/busybox "$root/bin/sh"

cat >"$root/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat >"$root/etc/group" <<'G'
root:x:0:
nogroup:x:65534:
nobody:x:65534:
G
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"

tar --numeric-owner --owner=0 --group=0 -C "$root" -cf "$work/rootfs.tar" .
docker_load_image "$work/rootfs.tar" "$tag" "$hash" '{
  "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
  "Cmd": ["sh"]
}'
