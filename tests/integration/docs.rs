//! The command-line surface: help, version, generated completions and man pages (and that the
//! committed copies match the code), quiet exit on a closed pipe, secrets never printed.

use std::path::PathBuf;

use crate::support::Phi;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Compare a committed generated file with phi's output; PHI_BLESS=1 rewrites it.
fn check_committed(path: PathBuf, args: &[&str]) {
    let out = Phi::new(&repo()).args(args).run();
    out.code(0);
    if std::env::var_os("PHI_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &out.stdout).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == out.stdout,
        "{} is out of date with the code; regenerate with `PHI_BLESS=1 cargo test --test integration docs`",
        path.display()
    );
}

#[test]
fn committed_completions_match_the_code() {
    for (shell, file) in [
        ("bash", "phi.bash"),
        ("zsh", "_phi"),
        ("fish", "phi.fish"),
        ("elvish", "phi.elv"),
        ("powershell", "_phi.ps1"),
    ] {
        check_committed(
            repo().join("completions").join(file),
            &["completions", shell],
        );
    }
}

#[test]
fn committed_man_pages_match_the_code() {
    check_committed(repo().join("man/phi.1"), &["man"]);
    for sub in [
        "status",
        "start-all",
        "stop-all",
        "monitor",
        "check-auth",
        "config",
        "backup",
        "backup-create",
        "backup-list",
        "backup-verify",
        "backup-restore",
        "backup-prune",
        "backup-drill",
        "backup-check",
        "completions",
        "man",
    ] {
        check_committed(repo().join(format!("man/phi-{sub}.1")), &["man", sub]);
    }
}

#[test]
fn the_man_page_documents_exit_codes_and_environment() {
    let out = Phi::new(&repo()).args(["man"]).run();
    out.code(0)
        .stdout_has(".SH \"EXIT STATUS\"")
        .stdout_has("130")
        .stdout_has("DOCKER_HOST");
}

#[test]
fn help_has_examples_and_version_is_printed() {
    let out = Phi::new(&repo()).args(["--help"]).run();
    out.code(0)
        .stdout_has("Examples:")
        .stdout_has("phi status --json")
        .stdout_has("--project-directory")
        .stdout_has("Exit codes:");
    Phi::new(&repo())
        .args(["--version"])
        .run()
        .code(0)
        .stdout_has(env!("CARGO_PKG_VERSION"));
}

#[test]
fn a_closed_stdout_ends_phi_quietly() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Phi::new(&repo())
        .args(["completions", "bash"])
        .run_with_stdout(writer);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
}
