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

/// Every page `phi man` prints besides its own, as phi lists them.
const PAGES: [&str; 17] = [
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
    "backup-push",
    "backup-drill",
    "backup-check",
    "completions",
    "man",
];

#[test]
fn committed_man_pages_match_the_code() {
    check_committed(repo().join("man/phi.1"), &["man"]);
    for sub in PAGES {
        check_committed(repo().join(format!("man/phi-{sub}.1")), &["man", sub]);
    }
    // No page is left in man/ that phi no longer prints.
    for entry in std::fs::read_dir(repo().join("man")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let page = name.trim_start_matches("phi").trim_start_matches('-');
        let page = page.trim_end_matches(".1");
        assert!(page.is_empty() || PAGES.contains(&page), "stale man/{name}");
    }
}

#[test]
fn man_pages_have_no_dangling_references_nor_literal_backticks() {
    let mut pages = vec![Phi::new(&repo()).args(["man"]).run()];
    for sub in PAGES {
        pages.push(Phi::new(&repo()).args(["man", sub]).run());
    }
    for (page, out) in pages.iter().enumerate() {
        out.code(0);
        assert!(!out.stdout.contains('`'), "page {page} shows a backtick");
        // Every phi-<name>(1) a page names is a page phi prints.
        for (i, _) in out.stdout.match_indices("(1)") {
            let before = &out.stdout[..i];
            let start = before
                .rfind(|c: char| c.is_whitespace())
                .map_or(0, |s| s + 1);
            let name = before[start..]
                .replace("\\fB", "")
                .replace("\\fR", "")
                .replace("\\-", "-");
            let sub = name.strip_prefix("phi-");
            assert!(
                name == "phi" || sub.is_some_and(|s| PAGES.contains(&s)),
                "page {page} refers to {name}(1)"
            );
        }
        assert!(out.stdout.contains(".SH EXAMPLES"), "page {page}");
    }
    // `code` in the help text is bold on the page.
    let status = Phi::new(&repo()).args(["man", "status"]).run();
    status.stdout_has("\\fBdocker compose up\\fR");
    status.stdout_has(".SH \"GLOBAL OPTIONS\"");
}

#[test]
fn man_on_a_typo_or_help_lists_the_pages_and_exits_2() {
    for name in ["bogus", "help", "backup-help", "stauts"] {
        let out = Phi::new(&repo()).args(["man", name]).run();
        out.code(2)
            .stderr_has(&format!("no man page `{name}`"))
            .stderr_has("status, start-all, stop-all")
            .stderr_has("backup-restore");
        assert!(out.stdout.is_empty(), "{}", out.stdout);
    }
}

#[test]
fn every_subcommand_help_has_examples_and_global_options_after_its_own() {
    for page in PAGES {
        let mut args: Vec<&str> = match page.strip_prefix("backup-") {
            Some(action) => vec!["backup", action],
            None => vec![page],
        };
        for flag in ["-h", "--help"] {
            args.push(flag);
            let out = Phi::new(&repo()).args(&args).run();
            out.code(0)
                .stdout_has("\nExamples:\n  phi ")
                .stdout_has("\nGlobal options:\n");
            let own = out.stdout.find("\nOptions:\n").unwrap();
            let global = out.stdout.find("\nGlobal options:\n").unwrap();
            assert!(own < global, "{page} {flag}: {}", out.stdout);
            assert!(!out.stdout.contains("[default: per command"), "{page}");
            args.pop();
        }
    }
    for flag in ["-h", "--help"] {
        let out = Phi::new(&repo()).args([flag]).run();
        let words = out.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            words.starts_with(env!("CARGO_PKG_DESCRIPTION")),
            "{flag}: {words}"
        );
    }
    let page = Phi::new(&repo()).args(["man"]).run();
    page.code(0)
        .stdout_has(".SH NAME\nphi \\- One binary for operating");
}

/// A project with three services and two backups of it (one complete, one interrupted), as
/// phi names them: `<project>-<UTC time>` with its marker file.
fn completion_fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("shop");
    std::fs::create_dir_all(project.join("backups")).unwrap();
    std::fs::write(
        project.join("compose.yaml"),
        "services:\n  postgres:\n    image: phi-test/postgres:15\n  redis:\n    image: phi-test/redis:7\n  web:\n    image: phi-test/busybox:latest\n",
    )
    .unwrap();
    for id in ["shop-20250101T000000Z", "shop-20250301T120000Z"] {
        let folder = project.join("backups").join(id);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join(".phi-backup"), "phi backup\n").unwrap();
    }
    // Another project's backup and a folder phi did not write are not offered.
    std::fs::create_dir_all(project.join("backups/other-20250101T000000Z")).unwrap();
    dir
}

/// The candidates phi gives bash for `words` (the last one being typed).
fn complete(dir: &std::path::Path, words: &[&str]) -> Vec<String> {
    let out = Phi::new(dir)
        .env("COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", (words.len() - 1).to_string())
        .env("_CLAP_IFS", "\n")
        .args(["--"])
        .args(words)
        .run();
    out.code(0);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    out.stdout.lines().map(String::from).collect()
}

#[test]
fn completion_offers_the_compose_files_services() {
    let fixture = completion_fixture();
    let project = fixture.path().join("shop");
    let all = ["postgres", "redis", "web"];
    assert_eq!(
        complete(&project, &["phi", "status", "--services", ""]),
        all
    );
    assert_eq!(
        complete(&project, &["phi", "stop-all", "--services=r"]),
        ["--services=redis"]
    );
    assert_eq!(
        complete(&project, &["phi", "monitor", "--services", "web,p"]),
        ["web,postgres"]
    );
    assert_eq!(complete(&project, &["phi", "config", "w"]), ["web"]);
    // The project the words name, from elsewhere: --project-directory, -f, COMPOSE_FILE.
    let elsewhere = fixture.path();
    let with_dir = [
        "phi",
        "--project-directory",
        "shop",
        "start-all",
        "--services",
        "",
    ];
    assert_eq!(complete(elsewhere, &with_dir), all);
    let with_file = [
        "phi",
        "backup",
        "-f",
        "shop/compose.yaml",
        "--services",
        "po",
    ];
    assert_eq!(complete(elsewhere, &with_file), ["postgres"]);
    let out = Phi::new(elsewhere)
        .env("COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", "3")
        .env("_CLAP_IFS", "\n")
        .env("COMPOSE_FILE", "shop/compose.yaml")
        .args(["--", "phi", "status", "--services", "re"])
        .run();
    assert_eq!(out.stdout, "redis");
    // No project, or a broken one: no candidates, no noise, exit 0.
    assert!(complete(elsewhere, &["phi", "status", "--services", ""]).is_empty());
    std::fs::write(project.join("compose.override.yaml"), "services: [\n").unwrap();
    assert!(complete(&project, &["phi", "status", "--services", ""]).is_empty());
}

#[test]
fn completion_offers_backup_ids() {
    let fixture = completion_fixture();
    let project = fixture.path().join("shop");
    let ids = complete(&project, &["phi", "backup", "restore", "shop"]);
    assert_eq!(ids, ["shop-20250301T120000Z", "shop-20250101T000000Z"]);
    let ids = complete(&project, &["phi", "backup", "verify", "l"]);
    assert_eq!(ids, ["latest"]);
    let ids = complete(&project, &["phi", "backup", "verify", "shop-202503"]);
    assert_eq!(ids, ["shop-20250301T120000Z"]);
    // --dir moves the folder, and restore's --services completes services.
    std::fs::rename(project.join("backups"), fixture.path().join("elsewhere")).unwrap();
    assert!(complete(&project, &["phi", "backup", "verify", "shop"]).is_empty());
    let moved = [
        "phi",
        "backup",
        "--dir",
        "../elsewhere",
        "verify",
        "shop-2025",
    ];
    assert_eq!(complete(&project, &moved).len(), 2);
    let services = ["phi", "backup", "restore", "latest", "--services", "r"];
    assert_eq!(complete(&project, &services), ["redis"]);
    // With no compose file at hand, -p and --dir are enough.
    let bare = [
        "phi",
        "-p",
        "shop",
        "backup",
        "--dir",
        "elsewhere",
        "verify",
        "sh",
    ];
    assert_eq!(complete(fixture.path(), &bare).len(), 2);
    // Not a backup ID, but phi man's page names are completed too.
    let pages = complete(&project, &["phi", "man", "backup-"]);
    assert_eq!(pages.len(), 8, "{pages:?}");
}

/// The real thing: bash sources `phi completions bash` and completes as on a terminal.
#[test]
fn bash_completes_services_with_the_generated_script() {
    let fixture = completion_fixture();
    let project = fixture.path().join("shop");
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_phi"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let script = r#"
        source <(phi completions bash) || exit 9
        COMP_WORDS=(phi status --services ""); COMP_CWORD=3; COMP_TYPE=9
        _clap_complete_phi phi "" --services
        printf '%s\n' "${COMPREPLY[@]}"
        COMP_WORDS=(phi backup restore shop-20250101); COMP_CWORD=3
        _clap_complete_phi phi shop-20250101 restore
        printf '%s\n' "${COMPREPLY[@]}"
    "#;
    let out = std::process::Command::new("bash")
        .args(["--norc", "--noprofile", "-c", script])
        .current_dir(&project)
        .env("PATH", path)
        .env_remove("COMPLETE")
        .output()
        .expect("bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout, "postgres\nredis\nweb\nshop-20250101T000000Z\n");
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
