#!/usr/bin/env bash
# Compare `phi config --format json` with `docker compose config --format json` on every
# compose project found under the given directories.
#
#   scripts/conformance.sh [--phi PATH] [--compose PATH] [--args "ARGS"] [--examples N]
#                          [--json FILE] DIR...
#
# A project is a folder holding compose.yaml, compose.yml, docker-compose.yaml or
# docker-compose.yml; both tools run in that folder with its default files (and override
# file), under a clean environment (HOME and PATH only), each within 30 s; when both refuse
# a project that ships an example env file (.env.example, env.example, .env.sample, .env.dist,
# example.env, .env.template, env-example), both run again with --env-file it. Nothing is
# downloaded and no engine is contacted (neither `config` talks to one).
#
# It prints, per field group (services, image, command, entrypoint, environment, ports,
# volumes, networks/network_mode, depends_on, profiles, healthcheck, and the whole
# document), how many projects both tools accept and agree on, how many differ, how many
# Compose accepts and phi refuses and the other way round, then the first differences of
# each group (--examples, default 3). --args gives both tools the same global flags (e.g.
# --args "--profile '*'" to print every service). --json writes every result to FILE.
#
# phi: --phi, else target/release/phi, else target/debug/phi (build it first).
# Compose: --compose, else $PHI_TEST_COMPOSE_V2, else ~/.cache/phi-test/bin/docker-compose-v2,
# else `docker compose`.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
phi="" compose="" examples=3 json_out="" global_args=""
dirs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --phi) phi=$2; shift 2 ;;
    --compose) compose=$2; shift 2 ;;
    --examples) examples=$2; shift 2 ;;
    --json) json_out=$2; shift 2 ;;
    --args) global_args=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) dirs+=("$1"); shift ;;
  esac
done
[ ${#dirs[@]} -gt 0 ] || { echo "usage: $0 [--phi PATH] [--compose PATH] DIR..." >&2; exit 2; }

if [ -z "$phi" ]; then
  for p in "$root/target/release/phi" "$root/target/debug/phi"; do
    [ -x "$p" ] && { phi=$p; break; }
  done
fi
[ -n "$phi" ] && [ -x "$phi" ] || { echo "no phi binary; run cargo build --release" >&2; exit 2; }
if [ -z "$compose" ]; then
  if [ -n "${PHI_TEST_COMPOSE_V2:-}" ]; then compose=$PHI_TEST_COMPOSE_V2
  elif [ -x "$HOME/.cache/phi-test/bin/docker-compose-v2" ]; then compose=$HOME/.cache/phi-test/bin/docker-compose-v2
  else compose="docker compose"
  fi
fi

export CONFORMANCE_PHI=$phi CONFORMANCE_COMPOSE=$compose CONFORMANCE_EXAMPLES=$examples
export CONFORMANCE_JSON=$json_out CONFORMANCE_ARGS=$global_args
exec python3 - "${dirs[@]}" <<'PY'
import json, os, shlex, subprocess, sys

PHI = os.environ["CONFORMANCE_PHI"]
COMPOSE = shlex.split(os.environ["CONFORMANCE_COMPOSE"])
EXAMPLES = int(os.environ["CONFORMANCE_EXAMPLES"])
ARGS = shlex.split(os.environ.get("CONFORMANCE_ARGS", ""))
FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
GROUPS = ["services", "image", "command", "entrypoint", "environment", "ports", "volumes",
          "networks/network_mode", "depends_on", "profiles", "healthcheck", "document"]
EXAMPLE_ENV = (".env.example", "env.example", ".env.sample", ".env.dist", "example.env",
               ".env.template", "env-example")
ENV = {"HOME": os.environ.get("HOME", "/root"), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}

def projects(dirs):
    found = []
    for top in dirs:
        for here, subdirs, files in os.walk(top):
            subdirs[:] = sorted(d for d in subdirs if d not in (".git", "node_modules"))
            if any(f in files for f in FILES):
                found.append(here)
    return found

def run(cmd, cwd, extra=()):
    try:
        p = subprocess.run(cmd + ARGS + ["config", "--format", "json"] + list(extra), cwd=cwd, env=ENV,
                           capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return None, "timed out"
    if p.returncode != 0:
        return None, (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1][:300]
    try:
        return json.loads(p.stdout), None
    except ValueError as e:
        return None, "not JSON: %s" % e

def part(doc, group):
    services = doc.get("services", {})
    if group == "document":
        return doc
    if group == "services":
        return sorted(services)
    if group == "networks/network_mode":
        return {n: (s.get("networks"), s.get("network_mode")) for n, s in services.items()}
    return {n: s.get(group) for n, s in services.items()}

def first_difference(a, b, path=""):
    if type(a) != type(b) or not isinstance(a, (dict, list)):
        return None if a == b else "%s: phi=%s compose=%s" % (path or ".", short(a), short(b))
    if isinstance(a, list):
        if len(a) != len(b):
            return "%s: phi=%s compose=%s" % (path, short(a), short(b))
        items = zip(range(len(a)), a, b)
        for i, x, y in items:
            d = first_difference(x, y, "%s[%d]" % (path, i))
            if d:
                return d
        return None
    for k in sorted(set(a) | set(b)):
        if k not in a or k not in b:
            return "%s.%s: %s" % (path, k, "only in compose" if k not in a else "only in phi")
        d = first_difference(a[k], b[k], "%s.%s" % (path, k))
        if d:
            return d
    return None

def short(v):
    text = json.dumps(v, sort_keys=True)
    return text if len(text) <= 160 else text[:157] + "..."

dirs = sys.argv[1:]
found = projects(dirs)
counts = {g: {"agree": 0, "differ": 0} for g in GROUPS}
refused = {"phi": 0, "compose": 0, "both": 0}
examples = {g: [] for g in GROUPS}
refusals = {"phi": [], "compose": []}
results = []
for project in found:
    # Secrets are masked by default; compare what Compose prints.
    mine, my_err = run([PHI], project, ["--show-secrets"])
    theirs, their_err = run(COMPOSE, project)
    env_file = None
    if mine is None and theirs is None:
        # Many projects need variables from the example env file they ship: try again with it.
        env_file = next((f for f in EXAMPLE_ENV if os.path.isfile(os.path.join(project, f))), None)
        if env_file:
            flag = ["--env-file", env_file]
            mine, my_err = run([PHI] + flag, project, ["--show-secrets"])
            theirs, their_err = run(COMPOSE + flag, project)
    result = {"project": project, "env_file": env_file, "phi_error": my_err,
              "compose_error": their_err, "differ": []}
    results.append(result)
    if mine is None or theirs is None:
        key = "both" if mine is None and theirs is None else ("phi" if mine is None else "compose")
        refused[key] += 1
        if key != "both":
            refusals[key].append((project, my_err if key == "phi" else their_err))
        continue
    for g in GROUPS:
        a, b = part(mine, g), part(theirs, g)
        if a == b:
            counts[g]["agree"] += 1
        else:
            counts[g]["differ"] += 1
            result["differ"].append(g)
            if len(examples[g]) < EXAMPLES:
                examples[g].append((project, first_difference(a, b)))

both = len(found) - sum(refused.values())
print("projects: %d (both accept %d; compose accepts, phi refuses %d; phi accepts, compose refuses %d; both refuse %d)"
      % (len(found), both, refused["phi"], refused["compose"], refused["both"]))
print()
print("| field group | agree | differ | compose accepts, phi refuses | phi accepts, compose refuses |")
print("|---|---|---|---|---|")
for g in GROUPS:
    print("| %s | %d | %d | %d | %d |" % (g, counts[g]["agree"], counts[g]["differ"], refused["phi"], refused["compose"]))
for g in GROUPS:
    if examples[g]:
        print("\n%s: first differences" % g)
        for project, d in examples[g]:
            print("  %s\n    %s" % (project, d))
for who, items in refusals.items():
    if items:
        other = "compose" if who == "phi" else "phi"
        print("\n%s refuses what %s accepts (first %d of %d):" % (who, other, min(len(items), EXAMPLES * 3), len(items)))
        for project, err in items[:EXAMPLES * 3]:
            print("  %s\n    %s" % (project, err))
if os.environ.get("CONFORMANCE_JSON"):
    with open(os.environ["CONFORMANCE_JSON"], "w") as f:
        json.dump(results, f, indent=1)
PY
