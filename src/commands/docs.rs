//! `phi completions` and `phi man`: generated from the clap definitions, so they cannot
//! drift from the code. The copies committed in completions/ and man/ are checked by a test.

use std::io::Write;

use clap_complete::Shell;
use clap_complete::env::{EnvCompleter, Shells};

use crate::cli;
use crate::exit::Exit;

/// The completion script for `shell`: it asks phi itself at each TAB
/// (`COMPLETE=<shell> phi -- <words>`), so service names and backup IDs come from the project.
pub fn completions(shell: Shell) -> Vec<u8> {
    match Shells::builtins().completer(&shell.to_string()) {
        Some(completer) => registration(completer),
        None => Vec::new(),
    }
}

/// The script that registers phi's completer with a shell (what `phi completions` prints).
pub fn registration(completer: &dyn EnvCompleter) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = completer.write_registration("COMPLETE", "phi", "phi", "phi", &mut out);
    if completer.name() == "zsh" {
        // Autoloaded from fpath as `_phi`, the script only registers the completer at the
        // first TAB: complete that TAB too.
        out.extend_from_slice(
            b"if [ \"${funcstack[1]}\" = \"_phi\" ]; then\n    _clap_dynamic_completer_phi \"$@\"\nfi\n",
        );
    }
    out
}

/// A page `phi man` cannot print.
#[derive(Debug, thiserror::Error)]
#[error("no man page `{name}`; the pages are: {}", man_pages().join(", "))]
pub struct UnknownPage {
    pub name: String,
}

/// The man page (roff) of phi, or of one of its subcommands (`status`, `backup-restore`).
/// `root` is the command line as phi parses it.
pub fn man_page(root: clap::Command, page: Option<&str>) -> Result<Vec<u8>, UnknownPage> {
    // No `help` subcommand on the pages: it has no page of its own to refer to.
    let mut root = without_help_subcommand(root);
    // Building propagates global flags (-f, -p, --json, --dir of `backup`, ...) into the
    // subcommands, so each subcommand's page lists every flag it accepts.
    root.build();
    let mut out = Vec::new();
    let rendered = match page {
        None => render_root(&root, &mut out),
        Some(name) => {
            let sub = find_page(&root, name)
                .filter(|_| man_pages().iter().any(|p| p == name))
                .ok_or_else(|| UnknownPage {
                    name: name.to_string(),
                })?
                .clone()
                .name(format!("phi-{name}"));
            render_sub(sub, name, &mut out)
        }
    };
    // Writing into a Vec cannot fail.
    debug_assert!(rendered.is_ok());
    Ok(code_as_bold(&String::from_utf8_lossy(&out)).into_bytes())
}

fn without_help_subcommand(cmd: clap::Command) -> clap::Command {
    cmd.disable_help_subcommand(true)
        .mut_subcommands(without_help_subcommand)
}

fn render_root(root: &clap::Command, out: &mut Vec<u8>) -> std::io::Result<()> {
    let man = clap_mangen::Man::new(root.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    man.render_subcommands_section(out)?;
    render_examples(out, "")?;
    render_exit_status(out)?;
    render_environment(out)?;
    render_files(out)?;
    man.render_version_section(out)
}

fn render_sub(sub: clap::Command, page: &str, out: &mut Vec<u8>) -> std::io::Result<()> {
    let has_subcommands = sub.get_subcommands().next().is_some();
    let man = clap_mangen::Man::new(sub);
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    if has_subcommands {
        man.render_subcommands_section(out)?;
    }
    render_examples(out, page)?;
    // A nested page (backup-list) also refers to its parent's (backup).
    let parent = page
        .rsplit_once('-')
        .map(|(parent, _)| parent)
        .filter(|parent| man_pages().iter().any(|p| p == parent));
    writeln!(out, ".SH \"SEE ALSO\"\n\\fBphi\\fR(1)")?;
    if let Some(parent) = parent {
        writeln!(out, ".br\n\\fBphi\\-{}\\fR(1)", roff_text(parent))?;
    }
    man.render_version_section(out)
}

/// The page's examples (the same as in its `--help`) as an EXAMPLES section.
fn render_examples(out: &mut Vec<u8>, page: &str) -> std::io::Result<()> {
    let examples = cli::examples(page);
    if examples.is_empty() {
        return Ok(());
    }
    writeln!(out, ".SH EXAMPLES")?;
    for (command, about) in examples {
        writeln!(
            out,
            ".TP\n\\fB{}\\fR\n{}",
            roff_text(command),
            roff_text(about)
        )?;
    }
    Ok(())
}

/// Text for a roff line: backslashes and hyphens escaped, no leading control character.
fn roff_text(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    match escaped.chars().next() {
        Some('.' | '\'') => format!("\\&{escaped}"),
        _ => escaped,
    }
}

/// `code` in the help text as bold on the page, as man pages show commands and names; a
/// lone backtick stays as it is.
fn code_as_bold(roff: &str) -> String {
    let mut out = String::with_capacity(roff.len());
    for line in roff.split_inclusive('\n') {
        let parts: Vec<&str> = line.split('`').collect();
        if line.starts_with('.') || parts.len() < 3 {
            out.push_str(line);
            continue;
        }
        // Pairs become \fB...\fR; an odd one left over keeps its backtick.
        let pairs = (parts.len() - 1) / 2;
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                out.push_str(match i {
                    i if i > pairs * 2 => "`",
                    i if i % 2 == 1 => "\\fB",
                    _ => "\\fR",
                });
            }
            out.push_str(part);
        }
    }
    out
}

/// A subcommand by its page name: `status`, or `backup-restore` for a nested one.
fn find_page<'a>(root: &'a clap::Command, name: &str) -> Option<&'a clap::Command> {
    if let Some(sub) = root.find_subcommand(name) {
        return Some(sub);
    }
    name.match_indices('-').find_map(|(i, _)| {
        root.find_subcommand(&name[..i])
            .and_then(|parent| parent.find_subcommand(&name[i + 1..]))
    })
}

/// Every page phi man prints besides its own (`phi-<name>.1`): each subcommand, and each
/// subcommand of those as `<parent>-<name>`; never clap's `help`.
pub fn man_pages() -> Vec<String> {
    fn walk(cmd: &clap::Command, prefix: &str, out: &mut Vec<String>) {
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let name = match prefix {
                "" => sub.get_name().to_string(),
                _ => format!("{prefix}-{}", sub.get_name()),
            };
            out.push(name.clone());
            walk(sub, &name, out);
        }
    }
    let mut pages = Vec::new();
    walk(&cli::command(), "", &mut pages);
    pages
}

fn render_exit_status(out: &mut Vec<u8>) -> std::io::Result<()> {
    writeln!(out, ".SH \"EXIT STATUS\"")?;
    for exit in Exit::ALL {
        writeln!(out, ".TP\n\\fB{}\\fR\n{}", exit.code(), exit.meaning())?;
    }
    writeln!(
        out,
        ".PP\nA closed output pipe (e.g. \\fBphi status | head -1\\fR) ends phi quietly."
    )
}

fn render_environment(out: &mut Vec<u8>) -> std::io::Result<()> {
    let vars = [
        (
            "PHI_FILE, COMPOSE_FILE",
            "Compose files when no -f is given, separated by COMPOSE_PATH_SEPARATOR (default `:`).",
        ),
        (
            "COMPOSE_PROJECT_NAME",
            "Project name when -p is not given (it wins over the file's name:). The compose files see it set to the project's name, as in Compose; PWD is set to the current directory when the environment lacks it.",
        ),
        (
            "COMPOSE_DISABLE_ENV_FILE",
            "When true (1, t, TRUE...; process environment only), the project's .env is not read.",
        ),
        (
            "COMPOSE_PROFILES",
            "Comma-separated profiles to activate, added to --profile.",
        ),
        (
            "DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH",
            "The engine to talk to: unix://, tcp:// (TLS when DOCKER_TLS_VERIFY is set), ssh://.",
        ),
        (
            "DOCKER_CONTEXT, DOCKER_CONFIG",
            "The docker context to use, and where its configuration lives.",
        ),
        (
            "NO_COLOR, CLICOLOR_FORCE, TERM",
            "Colour with --color auto: NO_COLOR disables, CLICOLOR_FORCE forces, TERM=dumb disables.",
        ),
        (
            "VAR_FILE",
            "For any variable VAR used by the compose files: read its value from this file. Setting both is an error.",
        ),
        (
            "GITHUB_TOKEN, GITHUB_API_URL",
            "The token phi check-auth checks, and the API it asks with --online (default https://api.github.com).",
        ),
        (
            "BACKUP_DIR, BACKUP_RETENTION_DAYS",
            "Where phi backup keeps its backups (default ./backups in the project directory), and how many days a backup is kept before phi backup prunes it.",
        ),
        (
            "BACKUP_AGE_RECIPIENTS, BACKUP_AGE_RECIPIENTS_FILE, BACKUP_AGE_IDENTITY_FILE",
            "age public keys (age1...) phi backup encrypts every file to (a list, or a file of them), and the identity file that decrypts for verify, restore and drill (or --identity).",
        ),
        (
            "GOOGLE_APPLICATION_CREDENTIALS, GCP_PROJECT_ID",
            "The GCP key file phi check-auth checks, and the project it must belong to.",
        ),
    ];
    writeln!(out, ".SH ENVIRONMENT")?;
    writeln!(
        out,
        ".PP\nVariables come from the process environment, then --env-file files (later files win), \
         else the project's .env; the process environment wins over files."
    )?;
    for (name, text) in vars {
        writeln!(out, ".TP\n\\fB{name}\\fR\n{text}")?;
    }
    Ok(())
}

fn render_files(out: &mut Vec<u8>) -> std::io::Result<()> {
    writeln!(out, ".SH FILES")?;
    writeln!(
        out,
        ".TP\n\\fBcompose.yaml\\fR, \\fBcompose.yml\\fR, \\fBdocker-compose.yml\\fR, \\fBdocker-compose.yaml\\fR\n\
         Looked up in the project directory, then in its parent folders, when no file is named; a \\fBcompose.override.yml\\fR (or \\fB.yaml\\fR) beside it is merged after it."
    )?;
    writeln!(
        out,
        ".TP\n\\fB.env\\fR\nLoaded from the project directory unless --env-file is given (when the compose file was found in a parent folder, the current folder's \\fB.env\\fR is read first and wins)."
    )?;
    writeln!(
        out,
        ".TP\n\\fBconfig.env.template\\fR\nThe stack's variables; phi check-auth requires those written \\fBNAME=\\fR with no value."
    )
}
