#!/usr/bin/env bash
# Smoke-test phi-test/busybox:latest.  Usage: verify.sh TAG
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=/dev/null
. "$here/../common.sh"
tag="$1"

out="$(docker run --rm "$tag" sh -c '
set -e
sleep 0.1
[ "$(yes | head -n 3 | wc -l)" -eq 3 ]
[ "$(dd if=/dev/zero bs=1024 count=4 2>/dev/null | wc -c)" -eq 4096 ]
mkdir -p /tmp/www && echo httpd-ok >/tmp/www/index.html
httpd -p 127.0.0.1:8080 -h /tmp/www
# NB: Debian busybox 1.35 "wget -T N" segfaults; use "timeout N wget".
timeout 5 wget -q -O - http://127.0.0.1:8080/index.html
echo nc-ok | nc -l -p 9000 &
sleep 0.3
nc 127.0.0.1 9000 </dev/null
id -un; id -u nobody
echo done' 2>&1)" || die "busybox image check failed: $out"
for want in httpd-ok nc-ok root 65534 'done'; do
    grep -qx "$want" <<<"$out" || die "busybox image check: missing '$want' in: $out"
done
