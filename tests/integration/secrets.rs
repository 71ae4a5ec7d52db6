//! No subcommand ever prints a secret: every subcommand phi has runs with `--json` and with
//! `-vv` on a project whose env holds known secrets, and none of them may appear on stdout or
//! stderr. The subcommands come from the clap definition, so a new one is covered as soon as
//! it exists, and the test fails until it has an entry in `EXTRA_ARGS`.

use std::time::Duration;

use crate::support::{Phi, github_token, http_stub, project_dir, require_engine};

/// The least each subcommand needs besides the global flags. Add every new subcommand here.
const EXTRA_ARGS: &[(&str, &[&str])] = &[
    ("status", &[]),
    ("start-all", &["--dry-run"]),
    ("stop-all", &["--dry-run"]),
    ("monitor", &["--once"]),
    ("check-auth", &["--online"]),
    ("config", &[]),
    ("backup", &["list"]),
    ("completions", &["bash"]),
    ("man", &[]),
];

const DB_PASSWORD: &str = "db-Pass-5e7a1c9b3d";
const SESSION_KEY: &str = "session-key-from-file-0123456789abcdef0123";
const LITERAL_TOKEN: &str = "literal-Api-Token-77c1";

#[test]
fn no_subcommand_prints_a_secret() {
    require_engine();
    let token = github_token("ghp_", "Zy9Xw8Vu7Ts6Rq5Po4Nm3Lk2Jh1Gf0");
    let dir = project_dir(&format!(
        "services:\n  db:\n    image: phi-test/busybox\n    environment:\n      \
         POSTGRES_PASSWORD: ${{POSTGRES_PASSWORD}}\n      FLASK_SECRET_KEY: ${{FLASK_SECRET_KEY}}\n      \
         GITHUB_TOKEN: ${{GITHUB_TOKEN}}\n      API_TOKEN: {LITERAL_TOKEN}\n"
    ));
    std::fs::write(dir.path().join("session.key"), format!("{SESSION_KEY}\n")).unwrap();
    std::fs::write(
        dir.path().join(".env"),
        format!(
            "POSTGRES_PASSWORD={DB_PASSWORD}\nFLASK_SECRET_KEY_FILE=session.key\nGITHUB_TOKEN={token}\n"
        ),
    )
    .unwrap();
    let secrets = [DB_PASSWORD, SESSION_KEY, LITERAL_TOKEN, token.as_str()];

    let body = r#"{"login":"phi-bot"}"#;
    let reply = format!(
        "HTTP/1.1 200 OK\r\nx-oauth-scopes: repo\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let (api, _server) = http_stub(reply, Duration::ZERO, 64);
    let project = format!("phit-secrets-{}", std::process::id());

    let subcommands: Vec<String> = phi::cli::command()
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .filter(|name| name != "help")
        .collect();
    assert!(subcommands.len() >= 4, "{subcommands:?}");
    for name in &subcommands {
        let Some((_, extra)) = EXTRA_ARGS.iter().find(|(n, _)| n == name) else {
            panic!(
                "subcommand `{name}` has no entry in EXTRA_ARGS (tests/integration/secrets.rs): \
                 add the least arguments it needs, so that it is checked for leaked secrets"
            );
        };
        for mode in [["--json"], ["-vv"]] {
            let out = Phi::new(dir.path())
                .env("GITHUB_API_URL", &api)
                .args(["-p", &project])
                .args(mode)
                .arg_list(name, extra)
                .run();
            assert!(
                out.code != 2,
                "phi {name} {mode:?} is a usage error, so it checked nothing\n{}",
                out.stderr
            );
            for secret in &secrets {
                assert!(
                    !out.stdout.contains(secret) && !out.stderr.contains(secret),
                    "phi {mode:?} {name} printed a secret\n--- stdout\n{}\n--- stderr\n{}",
                    out.stdout,
                    out.stderr
                );
            }
        }
    }
}

#[test]
fn names_are_not_secrets_even_when_a_password_equals_one() {
    // As in temporal's own compose files: the password is the project's name.
    let project = format!("temporal{}", std::process::id());
    let dir = project_dir(
        "services:\n  postgresql:\n    image: phi-test/busybox\n    environment:\n      \
         POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}\n      POSTGRES_USER: ${POSTGRES_USER}\n",
    );
    std::fs::write(
        dir.path().join(".env"),
        format!("POSTGRES_PASSWORD={project}\nPOSTGRES_USER=temporal-user\n"),
    )
    .unwrap();
    std::fs::write(dir.path().join(".gitignore"), ".env\n").unwrap();
    let out = Phi::new(dir.path())
        .args(["-p", &project, "--json", "status"])
        .run();
    assert!(!out.stdout.contains("[redacted]"), "{}", out.stdout);
    let report = out.json();
    assert_eq!(report["project"], project.as_str());
    assert_eq!(report["services"][0]["service"], "postgresql");

    let out = Phi::new(dir.path())
        .args(["-p", &project, "--json", "check-auth"])
        .run();
    out.code(3);
    let checks = out.json()["checks"].as_array().unwrap().clone();
    let weak = checks
        .iter()
        .find(|c| c["name"] == "POSTGRES_PASSWORD")
        .expect("POSTGRES_PASSWORD is checked");
    assert_eq!(weak["level"], "error", "{weak}");
    assert_eq!(
        weak["message"].as_str().unwrap(),
        "POSTGRES_PASSWORD equals the project's name (.env:1)"
    );
}
