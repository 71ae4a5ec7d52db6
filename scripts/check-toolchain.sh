#!/usr/bin/env bash
# Check the Rust toolchain phi builds with, and say plainly what to do when it falls short.
#
#   scripts/check-toolchain.sh [--dev]
#
# Needs cargo and a rustc at least as new as Cargo.toml's rust-version (edition 2024;
# Debian 12's own rustc 1.63 is too old). rustfmt and clippy are needed by scripts/test.sh:
# with --dev their absence is an error, without it a note.
# Exit status: 0 ready, 4 a prerequisite is missing or too old (as phi's own exit 4).
set -euo pipefail
cd "$(dirname "$0")/.."

DEV=""
case "${1:-}" in
    --dev) DEV=1 ;;
    "") ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [--dev]" >&2; exit 2 ;;
esac

say()  { printf '==> %s\n' "$*" >&2; }
fail() { printf 'error: %s\n' "$*" >&2; exit 4; }

need=$(sed -n 's/^rust-version *= *"\([0-9.]*\)".*/\1/p' Cargo.toml | head -n 1)
[[ -n "$need" ]] || fail "Cargo.toml has no rust-version line"

rustup_hint="install Rust with rustup (https://rustup.rs):
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component rustfmt,clippy
    . \"\$HOME/.cargo/env\"     # or open a new shell: ~/.cargo/bin must come before /usr/bin in PATH"

if ! command -v cargo >/dev/null 2>&1 || ! command -v rustc >/dev/null 2>&1; then
    fail "phi needs Rust $need or newer (edition 2024) with cargo, and none was found on PATH;
$rustup_hint"
fi

have=$(rustc --version | awk '{print $2}')
if [[ "$(printf '%s\n%s\n' "$need" "${have%%-*}" | sort -V | head -n 1)" != "$need" ]]; then
    if [[ "$(command -v rustc)" != */.cargo/bin/* ]] && command -v rustup >/dev/null 2>&1; then
        hint="rustup is installed but $(dirname "$(command -v rustc)") comes first in PATH: put $(dirname "$(command -v rustup)") before it"
    elif command -v rustup >/dev/null 2>&1; then
        hint="update it:  rustup update stable && rustup default stable"
    else
        hint="$rustup_hint"
    fi
    fail "$(command -v rustc) is rustc $have, older than the $need phi needs (edition 2024; Debian 12's own rustc is 1.63);
$hint"
fi

missing=()
cargo fmt --version >/dev/null 2>&1 || missing+=(rustfmt)
cargo clippy --version >/dev/null 2>&1 || missing+=(clippy)
if (( ${#missing[@]} )); then
    if command -v rustup >/dev/null 2>&1; then
        fix="rustup component add ${missing[*]}"
    else
        fix="they come with rustup's toolchains; $rustup_hint"
    fi
    if [[ -n "$DEV" ]]; then
        fail "scripts/test.sh runs cargo fmt and cargo clippy; missing: ${missing[*]}. $fix"
    fi
    say "note: ${missing[*]} missing (only scripts/test.sh needs them): $fix"
fi
say "Rust toolchain: rustc $have (phi needs $need or newer)"
