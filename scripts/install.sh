#!/usr/bin/env bash
# Build phi and install it with its man pages and shell completions.
#
#   scripts/install.sh [--prefix DIR]      install (again: it is idempotent)
#   scripts/install.sh [--prefix DIR] --uninstall
#
# Checks the Rust toolchain first (scripts/check-toolchain.sh), then runs
# `cargo install --path . --locked` (a release build, with cargo's progress; it reuses this
# checkout's target/ directory). Where things go:
#
#                 without --prefix (default)                    with --prefix DIR (or PREFIX=DIR)
#   phi           ${CARGO_HOME:-~/.cargo}/bin/phi               DIR/bin/phi
#   man pages     ${CARGO_HOME:-~/.cargo}/share/man/man1/       DIR/share/man/man1/
#   bash          ~/.local/share/bash-completion/completions/phi  DIR/share/bash-completion/completions/phi
#   zsh           ~/.local/share/zsh/site-functions/_phi        DIR/share/zsh/site-functions/_phi
#   fish          ~/.config/fish/completions/phi.fish           DIR/share/fish/vendor_completions.d/phi.fish
#
# (~/.local/share and ~/.config follow XDG_DATA_HOME and XDG_CONFIG_HOME.) man finds pages
# under <dir>/../share/man for every <dir> on PATH, so `man phi` works once the bin directory
# is on PATH. The completions are written by the installed phi itself (`phi completions
# SHELL`), so they always match it. `--prefix /usr/local` (as root) puts everything where
# bash-completion, zsh and fish look without any set-up.
set -euo pipefail
cd "$(dirname "$0")/.."

PREFIX="${PREFIX:-}"
UNINSTALL=""
while (( $# )); do
    case "$1" in
        --prefix) [[ $# -ge 2 ]] || { echo "usage: --prefix needs a directory" >&2; exit 2; }
                  PREFIX="$2"; shift ;;
        --prefix=*) PREFIX="${1#--prefix=}" ;;
        --uninstall) UNINSTALL=1 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "usage: $0 [--prefix DIR] [--uninstall]" >&2; exit 2 ;;
    esac
    shift
done

say() { printf '==> %s\n' "$*" >&2; }
# A path as the user would type it: ~ for $HOME.
show() { local p="$1"; [[ "$p" == "$HOME"/* ]] && p="~${p#"$HOME"}"; printf '%s' "$p"; }

data_home="${XDG_DATA_HOME:-$HOME/.local/share}"
if [[ -n "$PREFIX" ]]; then
    [[ "$PREFIX" == /* ]] || PREFIX="$PWD/$PREFIX"
    root="$PREFIX"
    man_dir="$PREFIX/share/man/man1"
    bash_file="$PREFIX/share/bash-completion/completions/phi"
    zsh_file="$PREFIX/share/zsh/site-functions/_phi"
    fish_file="$PREFIX/share/fish/vendor_completions.d/phi.fish"
else
    root="${CARGO_HOME:-$HOME/.cargo}"
    man_dir="$root/share/man/man1"
    bash_file="$data_home/bash-completion/completions/phi"
    zsh_file="$data_home/zsh/site-functions/_phi"
    fish_file="${XDG_CONFIG_HOME:-$HOME/.config}/fish/completions/phi.fish"
fi
bin="$root/bin/phi"
pages=(man/*.1)

if [[ -n "$UNINSTALL" ]]; then
    removed=0
    if [[ -e "$bin" ]]; then
        if command -v cargo >/dev/null 2>&1 && cargo uninstall --root "$root" phi >/dev/null 2>&1; then
            :
        else
            rm -f "$bin"
        fi
        say "removed $(show "$bin")"; removed=1
    fi
    for page in "${pages[@]}"; do
        target="$man_dir/$(basename "$page")"
        if [[ -e "$target" ]]; then rm -f "$target"; say "removed $(show "$target")"; removed=1; fi
    done
    for target in "$bash_file" "$zsh_file" "$fish_file"; do
        if [[ -e "$target" ]]; then rm -f "$target"; say "removed $(show "$target")"; removed=1; fi
    done
    (( removed )) || say "nothing of phi's was installed under these places (see --help)"
    exit 0
fi

scripts/check-toolchain.sh

# Measured on 2 cores (scripts/demo.sh's note has the figures): a first release build takes
# 7.8 minutes of CPU time; later ones take seconds when nothing changed.
if [[ -x target/release/phi ]]; then
    say "building phi (release; target/ is warm, so seconds to a minute or two)"
else
    say "building phi (release, first build: 5 to 8 minutes on 2 idle cores, longer on a busy machine; cargo shows its progress below)"
fi
cargo install --path . --locked --root "$root"

version="$("$bin" --version)"
mkdir -p "$man_dir"
for page in "${pages[@]}"; do
    install -m 0644 "$page" "$man_dir/"
done
for shell in bash zsh fish; do
    case "$shell" in
        bash) target="$bash_file" ;;
        zsh)  target="$zsh_file" ;;
        fish) target="$fish_file" ;;
    esac
    mkdir -p "$(dirname "$target")"
    tmp="$(mktemp "$(dirname "$target")/.phi-completion.XXXXXX")"
    "$bin" completions "$shell" > "$tmp"
    chmod 0644 "$tmp"
    mv -f "$tmp" "$target"
done

say "installed $version:"
printf '  %-10s %s\n' \
    "phi" "$(show "$bin")" \
    "man pages" "$(show "$man_dir")/phi.1 and $(( ${#pages[@]} - 1 )) more (man phi, man phi-status, ...)" \
    "bash" "$(show "$bash_file") (loaded by bash-completion in new shells)" \
    "zsh" "$(show "$zsh_file")" \
    "fish" "$(show "$fish_file")" >&2

case ":$PATH:" in
    *":$root/bin:"*) ;;
    *) say "$(show "$root/bin") is not on PATH: add  export PATH=\"$root/bin:\$PATH\"  to your shell's profile" ;;
esac
if [[ -z "$PREFIX" ]]; then
    say "zsh: add  fpath+=($(show "$(dirname "$zsh_file")"))  before compinit in ~/.zshrc (once)"
    command -v bash >/dev/null 2>&1 && [[ ! -r /usr/share/bash-completion/bash_completion ]] &&
        say "bash: completions need the bash-completion package (apt-get install bash-completion)"
fi
say "remove it all with: scripts/install.sh${PREFIX:+ --prefix $PREFIX} --uninstall"
