//! `phi completions` and `phi man`: generated from the clap definitions, so they cannot
//! drift from the code. The copies committed in completions/ and man/ are checked by a test.

use std::io::Write;

use clap_complete::Shell;

use crate::exit::Exit;

/// The completion script for `shell`.
pub fn completions(shell: Shell) -> Vec<u8> {
    let mut cmd = crate::cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "phi", &mut out);
    out
}

/// The man page (roff) of phi, or of one of its subcommands.
pub fn man_page(subcommand: Option<&str>) -> std::io::Result<Vec<u8>> {
    let mut root = crate::cli::command();
    // Building propagates global flags (-f, -p, --json, --dir of `backup`, ...) into the
    // subcommands, so each subcommand's page lists every flag it accepts.
    root.build();
    let mut out = Vec::new();
    match subcommand {
        None => {
            let man = clap_mangen::Man::new(root.clone());
            man.render_title(&mut out)?;
            man.render_name_section(&mut out)?;
            man.render_synopsis_section(&mut out)?;
            man.render_description_section(&mut out)?;
            man.render_options_section(&mut out)?;
            man.render_subcommands_section(&mut out)?;
            render_exit_status(&mut out)?;
            render_environment(&mut out)?;
            render_files(&mut out)?;
            man.render_version_section(&mut out)?;
        }
        Some(name) => {
            let sub = find_page(&root, name)
                .ok_or_else(|| std::io::Error::other(format!("no subcommand `{name}`")))?
                .clone()
                .name(format!("phi-{name}"));
            clap_mangen::Man::new(sub).render(&mut out)?;
        }
    }
    Ok(out)
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

/// Subcommands that get a man page of their own (`phi-<name>.1`).
pub fn man_subcommands() -> Vec<String> {
    crate::cli::command()
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .filter(|n| n != "help")
        .collect()
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
