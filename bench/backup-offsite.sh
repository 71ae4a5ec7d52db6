#!/usr/bin/env bash
# Benchmark: `phi backup --to sftp://...` with age encryption against the pipeline a user would
# otherwise write, side by side in one hyperfine run:
#   docker exec <db> pg_dump -Fc | age -r KEY | ssh host 'cat > f'
#   phi backup --to offsite   (BACKUP_AGE_RECIPIENTS=KEY: custom format, zstd, age, sha256,
#                              fsync, manifest locally; then the SFTP upload, each file read
#                              back and checked, renamed, manifest last)
# on a pgbench database; then phi's peak memory (max RSS) at each scale, to show it does not
# grow with the database. The goal (issue #14): phi within 1.1x of the pipeline's time, and at
# most 32 MiB of memory, flat in the database's size.
#
# The SFTP server is OpenSSH's sshd, started here on 127.0.0.1 (a free port) from a temporary
# directory: a generated host key and client key, the client key authorized, and a
# known_hosts file holding the host key, checked strictly by both sides (no agent, no
# ~/.ssh). Both sides write to the same server, into the same directory.
#
#   bench/backup-offsite.sh                      (needs the test environment:
#                                                 scripts/setup-test-env.sh installs sshd, age)
#   RUNS=10 SCALES="5 20" bench/backup-offsite.sh
#   SCALES=1 RUNS=2 PHI=target/debug/phi bench/backup-offsite.sh   (a quick check of the script)
#   WORK=DIR bench/backup-offsite.sh             (keep the raw data in DIR)
#
# The timing run is at the largest scale (the last one in SCALES).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
SCALES=${SCALES:-"5 20"}
PROJECT=phi-bench-backup-offsite
CONTAINER=$PROJECT-db-1

eval "$(scripts/setup-test-env.sh --print-env)"
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
for tool in age age-keygen ssh ssh-keygen /usr/sbin/sshd; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (scripts/setup-test-env.sh installs it)" >&2; exit 4; }
done

if [ -z "${PHI:-}" ]; then
  cargo build --release --locked -q
  PHI=$PWD/target/release/phi
fi
PHI=$(realpath "$PHI")

if [ -n "${WORK:-}" ]; then
  mkdir -p "$WORK"; work=$(realpath "$WORK"); keep_work=1
else
  work=$(mktemp -d); keep_work=0
fi
sshd_pid=
cleanup() {
  [ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null || true
  docker rm -f -v "$CONTAINER" >/dev/null 2>&1 || true
  [ "$keep_work" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

# --- the SFTP server -------------------------------------------------------------------
ssh_dir=$work/ssh
remote=$work/remote
mkdir -p "$ssh_dir" "$remote"
chmod 700 "$ssh_dir"
ssh-keygen -q -t ed25519 -N '' -f "$ssh_dir/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$ssh_dir/client_key"
cp "$ssh_dir/client_key.pub" "$ssh_dir/authorized_keys"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
USER_NAME=$(id -un)
echo "[127.0.0.1]:$PORT $(cat "$ssh_dir/host_key.pub")" >"$ssh_dir/known_hosts"
cat >"$ssh_dir/sshd_config" <<EOF
Port $PORT
ListenAddress 127.0.0.1
HostKey $ssh_dir/host_key
AuthorizedKeysFile $ssh_dir/authorized_keys
PidFile none
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
Subsystem sftp internal-sftp
LogLevel ERROR
EOF
mkdir -p /run/sshd 2>/dev/null || true
/usr/sbin/sshd -D -e -f "$ssh_dir/sshd_config" 2>"$ssh_dir/sshd.log" &
sshd_pid=$!
for _ in $(seq 100); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 0.2)" 2>/dev/null && break
  kill -0 "$sshd_pid" 2>/dev/null || { echo "sshd exited: $(cat "$ssh_dir/sshd.log")" >&2; exit 4; }
  sleep 0.1
done
# The pipeline's ssh: the same key and known_hosts as phi, strict, no agent, no ~/.ssh.
SSH="ssh -F none -p $PORT -i $ssh_dir/client_key -o IdentitiesOnly=yes -o IdentityAgent=none \
-o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=$ssh_dir/known_hosts \
-o GlobalKnownHostsFile=/dev/null $USER_NAME@127.0.0.1"
$SSH true || { echo "cannot log in to the benchmark's sshd" >&2; exit 4; }

# --- the database and phi's project ------------------------------------------------------
age-keygen -o "$work/key.txt" 2>/dev/null
KEY=$(age-keygen -y "$work/key.txt")
cat >"$work/compose.yaml" <<EOF
name: $PROJECT
services:
  db:
    image: phi-test/postgres:15
    x-phi:
      backup:
        postgres: true
x-phi:
  backup:
    targets:
      offsite:
        url: "sftp://$USER_NAME@127.0.0.1:$PORT$remote"
        key: "$ssh_dir/client_key"
        known_hosts: "$ssh_dir/known_hosts"
EOF

# The same project without its target (every declared target is copied to by default).
sed '/^x-phi:/,$d' "$work/compose.yaml" >"$work/compose-local.yaml"

docker rm -f -v "$CONTAINER" >/dev/null 2>&1 || true
docker run -d --name "$CONTAINER" \
  --label com.docker.compose.project=$PROJECT --label com.docker.compose.service=db \
  --label com.docker.compose.container-number=1 --label com.docker.compose.oneoff=False \
  -e POSTGRES_USER=bench -e POSTGRES_PASSWORD=bench-password -e POSTGRES_DB=bench \
  phi-test/postgres:15 >/dev/null
for _ in $(seq 120); do
  docker exec "$CONTAINER" pg_isready -q -h 127.0.0.1 -U bench -d bench && break
  sleep 0.5
done

# Each run starts from an empty local folder and an empty remote directory.
reset() { rm -rf "$work/phi" "$remote"; mkdir -p "$remote"; }
phi_backup() {
  echo "env -u SSH_AUTH_SOCK BACKUP_AGE_RECIPIENTS=$KEY $PHI -f $work/compose.yaml backup -q --no-prune --dir $work/phi --to offsite"
}

phi_local() { # the same backup without the copy: what the target adds to memory
  phi_backup | sed -e 's/ --to offsite//' -e 's/compose.yaml/compose-local.yaml/'
}

peak() { # max RSS in KiB over 3 runs (GNU time: the largest of phi and its children)
  local best=0 kb
  for _ in 1 2 3; do
    reset
    kb=$(/usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1)
    [ "$kb" -gt "$best" ] && best=$kb
  done
  echo "$best"
}

declare -A MEM LOCAL SIZE
for scale in $SCALES; do
  echo "== pgbench -i -s $scale" >&2
  docker exec "$CONTAINER" pgbench -i -q -s "$scale" -U bench bench >/dev/null 2>&1
  SIZE[$scale]=$(docker exec "$CONTAINER" psql -U bench -d bench -tAc "select pg_size_pretty(pg_database_size('bench'))")
  # shellcheck disable=SC2046
  MEM[$scale]=$(peak $(phi_backup))
  # shellcheck disable=SC2046
  LOCAL[$scale]=$(peak $(phi_local))
  echo "database ${SIZE[$scale]}: phi backup --to offsite (age) peak RSS $((MEM[$scale] / 1024)) MiB, without --to $((LOCAL[$scale] / 1024)) MiB" >&2
done

# A check that what landed on the server is complete and opens with the age CLI.
reset
# shellcheck disable=SC2046
$(phi_backup) >/dev/null
dump=$(find "$remote" -name '*.dump.zst' | head -n 1)
[ -n "$dump" ] && [ -n "$(find "$remote" -name manifest.json)" ] || { echo "no complete backup on the server" >&2; exit 1; }
# Decrypted, it is a zstd frame (magic 28 b5 2f fd). Into a file: a pipe into `head` would
# cut age short, and pipefail would count that as a failure.
age -d -i "$work/key.txt" -o "$work/check.zst" "$dump" &&
  [ "$(od -An -tx1 -N4 "$work/check.zst" | tr -d ' \n')" = 28b52ffd ] ||
  { echo "phi's remote file does not decrypt with the age CLI" >&2; exit 1; }
rm -f "$work/check.zst"
$SSH "cat > $remote/probe" </dev/null
[ -f "$remote/probe" ] || { echo "the pipeline's ssh does not write to the server" >&2; exit 1; }

# The timing run, at the largest scale (the last one loaded). The third command, phi without
# the target, splits phi's time: the local backup, and the copy after it.
PIPELINE="docker exec pg_dump -Fc | age -r KEY | ssh host 'cat > f'"
hyperfine --warmup 1 --runs "$RUNS" -N --export-json "$work/h.json" \
  --prepare "sh -c 'rm -rf $work/phi $remote && mkdir -p $remote'" \
  -n "$PIPELINE" "sh -c 'docker exec $CONTAINER pg_dump -U bench -Fc bench | age -r $KEY | $SSH \"cat > $remote/f.dump.age\"'" \
  -n "phi backup --to offsite (age)" "$(phi_backup)" \
  -n "phi backup, no target (age)" "$(phi_local)" >&2

# Where phi's time goes: one more run at -v (one timestamped line per step on stderr).
reset
# shellcheck disable=SC2046
$(phi_backup | sed 's/ -q / -v /') >/dev/null 2>"$work/phi-steps.log"
echo "== phi backup --to offsite -v, one run at the largest scale" >&2
cat "$work/phi-steps.log" >&2

mem_args=()
for scale in $SCALES; do mem_args+=("$scale" "${SIZE[$scale]}" "${MEM[$scale]}" "${LOCAL[$scale]}"); done
python3 - "$work/h.json" "$PIPELINE" "${mem_args[@]}" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
base = res[sys.argv[2]]
print(f"{'command':55} {'mean s':>8} {'± s':>6} {'median s':>9} {'vs pipeline':>12}")
for name, r in res.items():
    print(f"{name:55} {r['mean']:8.3f} {r['stddev']:6.3f} {r['median']:9.3f} {r['mean']/base['mean']:11.2f}x")
rest = sys.argv[3:]
print()
print("phi backup (age) peak memory (max RSS of phi and its children; goal: at most 32 MiB, flat):")
print(f"  {'':26} {'--to offsite':>13} {'local only':>11}")
for i in range(0, len(rest), 4):
    scale, size, kb, local = rest[i], rest[i + 1], int(rest[i + 2]), int(rest[i + 3])
    print(f"  pgbench -s {scale:>3} ({size:>7}): {kb / 1024:9.1f} MiB {local / 1024:7.1f} MiB")
PY
