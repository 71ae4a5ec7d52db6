//! `phi check-auth` end to end: fixtures in temporary directories, the real engine, git,
//! a fake gcloud on a controlled PATH, and a local stand-in for the GitHub API (127.0.0.1 only).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::support::{Output, Phi, github_token, http_stub, require_engine, tool_dir};

const POSTGRES_PASSWORD: &str = "pg-Secret-7f3a9c1e5b";
const FLASK_SECRET_KEY: &str = "flask-key-0123456789abcdef0123456789abcdef";
const REDIS_PASSWORD: &str = "redis-Secret-2b8d4e6f";
const RANDOM: &str = "Ab3dEf6hIj9lMn2pQr5tUv8xYz1bCd";

const COMPOSE: &str = "\
x-phi:
  required_env: [REDIS_PASSWORD]
services:
  db:
    image: phi-test/postgres:15
    environment:
      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}
  web:
    image: phi-test/python:3
    environment:
      FLASK_SECRET_KEY: ${FLASK_SECRET_KEY}
      REDIS_PASSWORD: ${REDIS_PASSWORD}
";

const TEMPLATE: &str = "\
# The stack's variables.
POSTGRES_USER=phi
# Required.
POSTGRES_PASSWORD=
FLASK_SECRET_KEY=
FLASK_DEBUG=false
# GITHUB_TOKEN=
";

/// A project where every check passes: compose file, template, and a private .env.
struct Fixture {
    dir: tempfile::TempDir,
    /// PATH for phi: git only (so no gcloud, whatever the machine has).
    path: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture::with_env(&format!(
            "POSTGRES_PASSWORD={POSTGRES_PASSWORD}\nFLASK_SECRET_KEY={FLASK_SECRET_KEY}\n\
             REDIS_PASSWORD={REDIS_PASSWORD}\nFLASK_DEBUG=false\n"
        ))
    }

    fn with_env(env: &str) -> Fixture {
        require_engine();
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "compose.yaml", COMPOSE);
        write(dir.path(), "config.env.template", TEMPLATE);
        write(dir.path(), ".env", env);
        chmod(&dir.path().join(".env"), 0o600);
        Fixture {
            dir,
            path: tool_dir(&["git"], &[]),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn phi(&self) -> Phi {
        Phi::new(self.path()).env("PATH", self.path.path())
    }

    fn json(&self, extra: &[&str]) -> (Output, Value) {
        let mut args = vec!["check-auth", "--json"];
        args.extend_from_slice(extra);
        let out = self.phi().args(&args).run();
        let doc = out.json();
        (out, doc)
    }
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The one check with this area and name.
#[track_caller]
fn check<'a>(doc: &'a Value, area: &str, name: &str) -> &'a Value {
    let found: Vec<&Value> = doc["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["area"] == area && c["name"] == name)
        .collect();
    assert_eq!(found.len(), 1, "{area}/{name} in {doc:#}");
    found[0]
}

#[track_caller]
fn level(doc: &Value, area: &str, name: &str) -> String {
    check(doc, area, name)["level"]
        .as_str()
        .unwrap()
        .to_string()
}

#[track_caller]
fn assert_absent(out: &Output, secrets: &[&str]) {
    for secret in secrets {
        assert!(
            !out.stdout.contains(secret) && !out.stderr.contains(secret),
            "{secret:?} was printed\n--- stdout\n{}\n--- stderr\n{}",
            out.stdout,
            out.stderr
        );
    }
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .output()
        .expect("git");
    assert!(status.status.success(), "git {args:?}: {status:?}");
}

/// A fresh RSA key in PEM PKCS#8, from the openssl CLI (installed by scripts/setup-test-env.sh).
fn openssl_rsa_key() -> String {
    let out = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
        ])
        .output()
        .expect("openssl is needed; scripts/setup-test-env.sh installs it");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn service_account(key: &str, project: &str) -> String {
    serde_json::json!({
        "type": "service_account",
        "project_id": project,
        "private_key_id": "5c1d2e3f4a5b6c7d8e9f00112233445566778899",
        "private_key": key,
        "client_email": format!("phi-ops@{project}.iam.gserviceaccount.com"),
        "client_id": "10987654321",
        "token_uri": "https://oauth2.googleapis.com/token",
    })
    .to_string()
}

#[test]
fn a_clean_project_passes_and_the_json_has_every_field() {
    let f = Fixture::new();
    let (out, doc) = f.json(&[]);
    out.code(0);
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["strict"], false);
    assert_eq!(doc["summary"]["error"], 0);
    for c in doc["checks"].as_array().unwrap() {
        let mut keys: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, ["area", "fix", "level", "message", "name"], "{c}");
    }
    for name in ["REDIS_PASSWORD", "POSTGRES_PASSWORD", "FLASK_SECRET_KEY"] {
        assert_eq!(level(&doc, "variables", name), "ok", "{doc:#}");
    }
    assert_eq!(
        check(&doc, "variables", "POSTGRES_PASSWORD")["message"],
        "set (.env:1)"
    );
    assert_eq!(level(&doc, "files", ".env permissions"), "ok");
    assert_eq!(
        check(&doc, "files", ".env in git")["message"],
        "not inside a git work tree"
    );
    assert_eq!(level(&doc, "files", "compose secrets"), "ok");
    assert_eq!(level(&doc, "production", "FLASK_DEBUG"), "ok");
    assert_eq!(level(&doc, "production", "FLASK_SECRET_KEY"), "ok");
    assert_eq!(level(&doc, "docker", "engine"), "ok");
    // The phi-test images were loaded, never pulled: no registry login is needed for them.
    assert_eq!(level(&doc, "docker", "local images"), "ok");
    assert_eq!(level(&doc, "docker", "registries"), "info");
    assert_eq!(level(&doc, "gcp", "credentials file"), "info");
    assert_eq!(level(&doc, "github", "token format"), "info");
    assert_absent(&out, &[POSTGRES_PASSWORD, FLASK_SECRET_KEY, REDIS_PASSWORD]);
}

#[test]
fn the_human_table_groups_checks_by_area() {
    let f = Fixture::new();
    let out = f.phi().args(["check-auth"]).run();
    out.code(0);
    let lines: Vec<&str> = out.stdout.lines().collect();
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(header, ["AREA", "CHECK", "RESULT", "DETAIL", "FIX"]);
    let areas: Vec<&str> = lines[1..]
        .iter()
        .take_while(|l| !l.is_empty())
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    let mut grouped = areas.clone();
    grouped.dedup();
    assert_eq!(
        grouped,
        [
            "variables",
            "files",
            "secrets",
            "production",
            "gcp",
            "github",
            "docker"
        ]
    );
    let summary = lines.last().unwrap();
    assert!(
        summary.contains(" ok, ") && summary.ends_with(" 0 warning, 0 error"),
        "{summary}"
    );
    assert_absent(&out, &[POSTGRES_PASSWORD, FLASK_SECRET_KEY, REDIS_PASSWORD]);
}

#[test]
fn missing_empty_and_weak_required_variables_are_errors() {
    let f =
        Fixture::with_env("POSTGRES_PASSWORD=changeme\nFLASK_SECRET_KEY=\nPOSTGRES_USER=admin\n");
    let (out, doc) = f.json(&[]);
    out.code(3);
    assert_eq!(doc["ok"], false);
    let redis = check(&doc, "variables", "REDIS_PASSWORD");
    assert_eq!(redis["level"], "error");
    assert_eq!(redis["message"], "REDIS_PASSWORD is not set");
    assert_eq!(
        redis["fix"],
        "set REDIS_PASSWORD in .env (required by x-phi.required_env)"
    );
    let key = check(&doc, "variables", "FLASK_SECRET_KEY");
    assert_eq!(key["level"], "error");
    assert_eq!(key["message"], "FLASK_SECRET_KEY is empty (.env:2)");
    assert_eq!(
        key["fix"],
        "set FLASK_SECRET_KEY in .env (required by config.env.template:5)"
    );
    let pw = check(&doc, "variables", "POSTGRES_PASSWORD");
    assert_eq!(pw["level"], "error");
    assert_eq!(
        pw["message"],
        "POSTGRES_PASSWORD holds a well-known default or placeholder value"
    );
    // Not a secret: a well-known value is a warning.
    assert_eq!(level(&doc, "variables", "POSTGRES_USER"), "warning");
}

#[test]
fn x_phi_env_template_points_at_another_template() {
    let f = Fixture::new();
    std::fs::create_dir(f.path().join("deploy")).unwrap();
    write(&f.path().join("deploy"), "stack.template", "EXTRA_TOKEN=\n");
    std::fs::remove_file(f.path().join("config.env.template")).unwrap();
    write(
        f.path(),
        "compose.yaml",
        &COMPOSE.replace(
            "  required_env: [REDIS_PASSWORD]\n",
            "  required_env: [REDIS_PASSWORD]\n  env_template: deploy/stack.template\n",
        ),
    );
    let (out, doc) = f.json(&[]);
    out.code(3);
    let extra = check(&doc, "variables", "EXTRA_TOKEN");
    assert_eq!(
        extra["fix"],
        "set EXTRA_TOKEN in .env (required by deploy/stack.template:1)"
    );
    write(
        f.path(),
        "compose.yaml",
        &COMPOSE.replace(
            "  required_env: [REDIS_PASSWORD]\n",
            "  required_env: [REDIS_PASSWORD]\n  env_template: nowhere.template\n",
        ),
    );
    let (out, doc) = f.json(&[]);
    out.code(3);
    let t = check(&doc, "variables", "template");
    assert_eq!(t["level"], "error");
    assert!(
        t["message"].as_str().unwrap().contains("nowhere.template"),
        "{t}"
    );
}

#[test]
fn no_template_means_only_required_env_is_checked() {
    let f = Fixture::new();
    std::fs::remove_file(f.path().join("config.env.template")).unwrap();
    let (out, doc) = f.json(&[]);
    out.code(0);
    assert_eq!(level(&doc, "variables", "template"), "info");
    assert_eq!(level(&doc, "variables", "REDIS_PASSWORD"), "ok");
}

#[test]
fn group_readable_env_files_are_warnings_and_strict_fails_on_them() {
    let f = Fixture::new();
    chmod(&f.path().join(".env"), 0o644);
    let (out, doc) = f.json(&[]);
    out.code(0);
    let perms = check(&doc, "files", ".env permissions");
    assert_eq!(perms["level"], "warning");
    assert_eq!(
        perms["message"],
        "mode 644: group can read, others can read"
    );
    assert_eq!(perms["fix"], "chmod 600 .env");
    let (out, doc) = f.json(&["--strict"]);
    out.code(3);
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["strict"], true);
}

#[test]
fn service_env_files_are_checked_too() {
    let f = Fixture::new();
    write(f.path(), "web.env", "SMTP_PASSWORD=smtp-Secret-91a\n");
    chmod(&f.path().join("web.env"), 0o640);
    write(
        f.path(),
        "compose.yaml",
        &COMPOSE.replace(
            "    image: phi-test/python:3\n",
            "    image: phi-test/python:3\n    env_file: [web.env, absent.env]\n",
        ),
    );
    let (out, doc) = f.json(&[]);
    out.code(0);
    assert_eq!(level(&doc, "files", "web.env permissions"), "warning");
    assert_eq!(
        check(&doc, "files", "absent.env permissions")["message"],
        "env_file of service web does not exist or is not a file"
    );
}

#[test]
fn env_files_must_be_ignored_by_git_and_never_committed() {
    let f = Fixture::new();
    git(f.path(), &["init", "-q"]);
    let (out, doc) = f.json(&[]);
    out.code(3);
    let in_git = check(&doc, "files", ".env in git");
    assert_eq!(in_git["level"], "error");
    assert_eq!(
        in_git["message"],
        ".env is not ignored by git: one `git add .` commits its secrets"
    );
    assert_eq!(in_git["fix"], "echo '.env' >> .gitignore");

    write(f.path(), ".gitignore", ".env\n");
    let (out, doc) = f.json(&[]);
    out.code(0);
    assert_eq!(
        check(&doc, "files", ".env in git")["message"],
        "ignored by git"
    );

    git(f.path(), &["add", "-f", ".env"]);
    let (out, doc) = f.json(&[]);
    out.code(3);
    assert_eq!(
        check(&doc, "files", ".env in git")["message"],
        ".env is tracked by git"
    );

    // Without git on PATH, that is information.
    let out = Phi::new(f.path())
        .env("PATH", tool_dir(&[], &[]).path())
        .args(["check-auth", "--json"])
        .run();
    let doc = out.json();
    assert_eq!(level(&doc, "files", "git"), "info");
}

#[test]
fn secrets_written_into_compose_files_are_warnings_without_their_value() {
    let f = Fixture::new();
    write(
        f.path(),
        "compose.yaml",
        &format!(
            "{COMPOSE}  worker:\n    image: phi-test/busybox\n    environment:\n      - API_TOKEN=literal-Token-55aa\n      - LOG_LEVEL=debug\n"
        ),
    );
    let (out, doc) = f.json(&[]);
    out.code(0);
    let c = check(&doc, "files", "compose secrets");
    assert_eq!(c["level"], "warning");
    assert_eq!(
        c["message"],
        "compose.yaml: services.worker.environment.API_TOKEN is written into the file"
    );
    assert_absent(&out, &["literal-Token-55aa"]);
    let out = f.phi().args(["-vv", "check-auth"]).run();
    assert_absent(&out, &["literal-Token-55aa"]);
}

#[test]
fn file_secrets_must_be_readable_and_not_doubled() {
    let f = Fixture::new();
    write(f.path(), "smtp.txt", "smtp-from-file-1234\n");
    let env = std::fs::read_to_string(f.path().join(".env")).unwrap();
    write(
        f.path(),
        ".env",
        &format!(
            "{env}SMTP_PASSWORD_FILE=smtp.txt\nAPI_TOKEN_FILE=secrets/absent.txt\nMAIL_KEY=x1y2z3\nMAIL_KEY_FILE=smtp.txt\n"
        ),
    );
    let (out, doc) = f.json(&[]);
    out.code(3);
    assert_eq!(
        check(&doc, "secrets", "SMTP_PASSWORD_FILE")["message"],
        "smtp.txt is readable (20 bytes)"
    );
    let absent = check(&doc, "secrets", "API_TOKEN_FILE");
    assert_eq!(absent["level"], "error");
    assert!(
        absent["message"].as_str().unwrap().starts_with(
            "API_TOKEN_FILE (.env:6) points at secrets/absent.txt, which cannot be read"
        ),
        "{absent}"
    );
    let both = check(&doc, "secrets", "MAIL_KEY_FILE");
    assert_eq!(
        both["message"],
        "both MAIL_KEY (.env:7) and MAIL_KEY_FILE (.env:8) are set"
    );
    assert_absent(&out, &["smtp-from-file-1234", "x1y2z3"]);
}

#[test]
fn the_production_guard() {
    let f = Fixture::with_env(&format!(
        "POSTGRES_PASSWORD={POSTGRES_PASSWORD}\nFLASK_SECRET_KEY=short-key-123\nREDIS_PASSWORD={REDIS_PASSWORD}\nFLASK_DEBUG=true\nFORCE_HTTPS=true\n"
    ));
    let (out, doc) = f.json(&[]);
    out.code(3);
    let debug = check(&doc, "production", "FLASK_DEBUG");
    assert_eq!(debug["level"], "error");
    assert!(
        debug["message"]
            .as_str()
            .unwrap()
            .contains("FORCE_HTTPS is true")
    );
    assert_eq!(debug["fix"], "set FLASK_DEBUG=false");
    let key = check(&doc, "production", "FLASK_SECRET_KEY");
    assert_eq!(key["level"], "error");
    assert_eq!(key["message"], "only 13 characters; at least 32 are needed");
    assert_absent(&out, &["short-key-123"]);
    // Debug mode without production settings is information.
    let f = Fixture::with_env(&format!(
        "POSTGRES_PASSWORD={POSTGRES_PASSWORD}\nFLASK_SECRET_KEY={FLASK_SECRET_KEY}\nREDIS_PASSWORD={REDIS_PASSWORD}\nFLASK_DEBUG=true\n"
    ));
    let (out, doc) = f.json(&[]);
    out.code(0);
    assert_eq!(level(&doc, "production", "FLASK_DEBUG"), "info");
}

/// A fixture with a service-account key and a fake gcloud that reports an active account.
fn gcp_fixture(key_json: &str, mode: u32, project: &str) -> (Fixture, tempfile::TempDir) {
    let f = Fixture::new();
    let keys = tempfile::tempdir().unwrap();
    let key_path = keys.path().join("sa.json");
    std::fs::write(&key_path, key_json).unwrap();
    chmod(&key_path, mode);
    let env = std::fs::read_to_string(f.path().join(".env")).unwrap();
    write(
        f.path(),
        ".env",
        &format!(
            "{env}GOOGLE_APPLICATION_CREDENTIALS={}\nGCP_PROJECT_ID={project}\n",
            key_path.display()
        ),
    );
    (f, keys)
}

#[test]
fn a_good_gcp_service_account_key_passes() {
    let key = openssl_rsa_key();
    let (f, _keys) = gcp_fixture(&service_account(&key, "phi-prod"), 0o600, "phi-prod");
    let gcloud = tool_dir(
        &["git"],
        &[(
            "gcloud",
            "echo '[{\"account\": \"phi-ops@phi-prod.iam.gserviceaccount.com\", \"status\": \"ACTIVE\"}]'",
        )],
    );
    let out = Phi::new(f.path())
        .env("PATH", gcloud.path())
        .args(["check-auth", "--json"])
        .run();
    out.code(0);
    let doc = out.json();
    for name in [
        "key permissions",
        "key format",
        "key fields",
        "private key",
        "project",
        "gcloud",
    ] {
        assert_eq!(level(&doc, "gcp", name), "ok", "{name}: {doc:#}");
    }
    assert_eq!(
        check(&doc, "gcp", "key format")["message"],
        "service_account key for phi-ops@phi-prod.iam.gserviceaccount.com"
    );
    assert_eq!(
        check(&doc, "gcp", "private key")["message"],
        "RSA 2048-bit, PEM PKCS#8"
    );
    assert_eq!(
        check(&doc, "gcp", "gcloud")["message"],
        "gcloud's active account is phi-ops@phi-prod.iam.gserviceaccount.com"
    );
    let body_line = key.lines().nth(3).unwrap();
    assert_absent(
        &out,
        &[body_line, "5c1d2e3f4a5b6c7d8e9f00112233445566778899"],
    );
}

#[test]
fn gcp_key_problems_are_reported() {
    let key = openssl_rsa_key();
    // Loose permissions and the wrong project.
    let (f, _keys) = gcp_fixture(&service_account(&key, "phi-dev"), 0o644, "phi-prod");
    let (out, doc) = f.json(&[]);
    out.code(3);
    let perms = check(&doc, "gcp", "key permissions");
    assert_eq!(perms["level"], "warning");
    assert!(
        perms["fix"].as_str().unwrap().starts_with("chmod 600 "),
        "{perms}"
    );
    let project = check(&doc, "gcp", "project");
    assert_eq!(project["level"], "error");
    assert_eq!(
        project["message"],
        "the key belongs to project `phi-dev`, but GCP_PROJECT_ID is `phi-prod`"
    );
    assert_eq!(level(&doc, "gcp", "gcloud"), "info");
    assert_absent(&out, &[key.lines().nth(3).unwrap()]);

    // Missing fields and a broken key.
    let mut json: Value = serde_json::from_str(&service_account(
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        "p",
    ))
    .unwrap();
    json.as_object_mut().unwrap().remove("client_email");
    let (f, _keys) = gcp_fixture(&json.to_string(), 0o600, "p");
    let (out, doc) = f.json(&[]);
    out.code(3);
    assert!(
        check(&doc, "gcp", "key fields")["message"]
            .as_str()
            .unwrap()
            .ends_with("lacks client_email")
    );
    assert_eq!(level(&doc, "gcp", "private key"), "error");

    // Not JSON, an unknown type, a missing file.
    for (text, expected) in [
        (
            "{\"type\": \"service_account\", \"private_key\": \"abc",
            "is not valid JSON (line 1",
        ),
        ("{\"type\": \"api_key\"}", "has type `api_key`"),
    ] {
        let (f, _keys) = gcp_fixture(text, 0o600, "p");
        let (out, doc) = f.json(&[]);
        out.code(3);
        let c = check(&doc, "gcp", "key format");
        assert!(c["message"].as_str().unwrap().contains(expected), "{c}");
    }
    let f = Fixture::new();
    let env = std::fs::read_to_string(f.path().join(".env")).unwrap();
    write(
        f.path(),
        ".env",
        &format!("{env}GOOGLE_APPLICATION_CREDENTIALS=keys/none.json\n"),
    );
    let (out, doc) = f.json(&[]);
    out.code(3);
    let file = check(&doc, "gcp", "credentials file");
    assert_eq!(file["level"], "error");
    assert!(
        file["message"].as_str().unwrap().contains("keys/none.json"),
        "{file}"
    );
}

#[test]
fn a_hanging_gcloud_is_stopped_at_the_timeout() {
    let key = openssl_rsa_key();
    let (f, _keys) = gcp_fixture(&service_account(&key, "p"), 0o600, "p");
    let sleep = crate::support::locate("sleep").expect("sleep");
    let tools = tool_dir(
        &["git"],
        &[("gcloud", &format!("exec {} 30", sleep.display()))],
    );
    let out = Phi::new(f.path())
        .env("PATH", tools.path())
        .args(["--timeout", "1s", "check-auth", "--json"])
        .run();
    out.code(0);
    assert!(out.elapsed < Duration::from_secs(15), "{:?}", out.elapsed);
    let doc = out.json();
    let gcloud = check(&doc, "gcp", "gcloud");
    assert_eq!(gcloud["level"], "warning");
    assert!(
        gcloud["message"]
            .as_str()
            .unwrap()
            .contains("did not finish within 1s"),
        "{gcloud}"
    );
}

fn with_token(token: &str) -> Fixture {
    let f = Fixture::new();
    let env = std::fs::read_to_string(f.path().join(".env")).unwrap();
    write(f.path(), ".env", &format!("{env}GITHUB_TOKEN={token}\n"));
    f
}

#[test]
fn github_token_checksums_are_checked_offline() {
    let token = github_token("ghp_", RANDOM);
    let f = with_token(&token);
    let (out, doc) = f.json(&[]);
    out.code(0);
    let format = check(&doc, "github", "token format");
    assert_eq!(format["level"], "ok");
    assert_eq!(
        format["message"],
        "GITHUB_TOKEN is ghp_… (40 chars), a personal access token (classic); checksum valid"
    );
    assert_absent(&out, &[&token, RANDOM]);

    let mut broken = token.clone();
    broken.replace_range(39..40, if token.ends_with('a') { "b" } else { "a" });
    let f = with_token(&broken);
    let (out, doc) = f.json(&[]);
    out.code(3);
    let format = check(&doc, "github", "token format");
    assert_eq!(format["level"], "error");
    assert!(
        format["message"]
            .as_str()
            .unwrap()
            .contains("checksum does not match")
    );
    assert_absent(&out, &[&broken, RANDOM]);

    for other in [
        github_token("ghs_", RANDOM),
        format!("github_pat_{}_{}", "A1".repeat(11), "b2c".repeat(19) + "d2"),
    ] {
        let f = with_token(&other);
        let (out, doc) = f.json(&[]);
        out.code(0);
        assert_eq!(
            level(&doc, "github", "token format"),
            "ok",
            "{other}: {doc:#}"
        );
        assert_absent(&out, &[&other[11..]]);
    }
}

#[test]
fn github_online_reports_login_scopes_and_expiry() {
    let token = github_token("ghp_", RANDOM);
    let f = with_token(&token);
    let body = r#"{"login":"phi-bot","id":1}"#;
    let reply = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-oauth-scopes: repo, read:org\r\n\
         github-authentication-token-expiration: 2031-01-01 00:00:00 UTC\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    );
    let (url, server) = http_stub(reply, Duration::ZERO, 1);
    let out = f
        .phi()
        .env("GITHUB_API_URL", &url)
        .args(["check-auth", "--json", "--online"])
        .run();
    out.code(0);
    let doc = out.json();
    assert_eq!(
        check(&doc, "github", "token online")["message"],
        "authenticated as phi-bot; scopes: repo, read:org; expires 2031-01-01 00:00:00 UTC"
    );
    let requests = server.join().unwrap();
    assert!(
        requests[0].starts_with("GET /user HTTP/1.1"),
        "{requests:?}"
    );
    assert!(
        requests[0].to_ascii_lowercase().contains(&format!(
            "authorization: bearer {}",
            token.to_ascii_lowercase()
        )),
        "{requests:?}"
    );
    assert_absent(&out, &[&token]);
}

#[test]
fn github_online_401_is_an_error() {
    let token = github_token("gho_", RANDOM);
    let f = with_token(&token);
    let body = r#"{"message":"Bad credentials"}"#;
    let reply = format!(
        "HTTP/1.1 401 Unauthorized\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let (url, _server) = http_stub(reply, Duration::ZERO, 1);
    let out = f
        .phi()
        .env("GITHUB_API_URL", format!("{url}/"))
        .args(["check-auth", "--json", "--online"])
        .run();
    out.code(3);
    let doc = out.json();
    let online = check(&doc, "github", "token online");
    assert_eq!(online["level"], "error");
    assert_eq!(
        online["message"],
        format!(
            "{url}/user rejected the token (401: Bad credentials): it is revoked, expired or wrong"
        )
    );
    assert_absent(&out, &[&token]);
}

#[test]
fn github_online_timeout_exits_5() {
    let token = github_token("ghp_", RANDOM);
    let f = with_token(&token);
    let (url, _server) = http_stub(String::new(), Duration::from_secs(20), 1);
    let out = f
        .phi()
        .env("GITHUB_API_URL", &url)
        .args(["--timeout", "1s", "check-auth", "--json", "--online"])
        .run();
    out.code(5);
    assert!(out.elapsed < Duration::from_secs(15), "{:?}", out.elapsed);
    let doc = out.json();
    let online = check(&doc, "github", "token online");
    assert_eq!(online["level"], "error");
    assert_eq!(
        online["message"],
        format!("no answer from {url}/user within 1s")
    );
    assert_absent(&out, &[&token]);
}

#[test]
fn an_unreachable_engine_is_one_failing_check() {
    let f = Fixture::new();
    let out = f
        .phi()
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .args(["check-auth", "--json"])
        .run();
    out.code(3);
    let doc = out.json();
    let engine = check(&doc, "docker", "engine");
    assert_eq!(engine["level"], "error");
    assert_eq!(
        engine["message"],
        "cannot connect to the Docker engine at unix:///nonexistent/docker.sock: no socket at /nonexistent/docker.sock"
    );
    assert!(engine["fix"].as_str().unwrap().contains("Docker daemon"));
    // Every other check still ran.
    assert_eq!(level(&doc, "variables", "POSTGRES_PASSWORD"), "ok");
    assert_eq!(doc["summary"]["error"], 1);
}

#[test]
fn registry_credentials_for_the_stacks_images() {
    let f = Fixture::new();
    write(
        f.path(),
        "compose.yaml",
        &format!(
            "{COMPOSE}  app:\n    image: ghcr.io/acme/app:1\n  cache:\n    image: quay.io/acme/cache@sha256:0123\n  gar:\n    image: europe-docker.pkg.dev/acme/repo/img\n"
        ),
    );
    let config = tempfile::tempdir().unwrap();
    write(
        config.path(),
        "config.json",
        r#"{"auths": {"ghcr.io": {"auth": "dXNlcjpnaGNyLXNlY3JldA=="}}, "credHelpers": {"europe-docker.pkg.dev": "gcloud"}}"#,
    );
    let out = f
        .phi()
        .env("DOCKER_CONFIG", config.path())
        .args(["check-auth", "--json"])
        .run();
    out.code(0);
    let doc = out.json();
    assert_eq!(level(&doc, "docker", "registry ghcr.io"), "ok");
    assert_eq!(
        level(&doc, "docker", "registry europe-docker.pkg.dev"),
        "ok"
    );
    // The stack's phi-test images exist only locally: no docker.io check for them.
    assert!(!out.stdout.contains("registry docker.io"), "{doc:#}");
    let quay = check(&doc, "docker", "registry quay.io");
    assert_eq!(quay["level"], "warning");
    assert_eq!(quay["fix"], "docker login quay.io");
    assert_absent(&out, &["dXNlcjpnaGNyLXNlY3JldA=="]);
    // The missing quay.io login is a warning: --strict fails on it.
    f.phi()
        .env("DOCKER_CONFIG", config.path())
        .args(["check-auth", "--json", "--strict"])
        .run()
        .code(3);
}

#[test]
fn images_that_exist_only_locally_need_no_login() {
    let f = Fixture::new();
    // phi-test/* were loaded (no registry digest); acme/app:dev is built by the project and
    // not on the engine yet; nginx:1.25 is neither, and does come from Docker Hub.
    write(
        f.path(),
        "compose.yaml",
        &format!("{COMPOSE}  app:\n    image: acme/app:dev\n    build: .\n"),
    );
    let (out, doc) = f.json(&[]);
    out.code(0);
    let local = check(&doc, "docker", "local images");
    assert_eq!(local["level"], "ok");
    let message = local["message"].as_str().unwrap();
    assert!(
        message.contains("built by the project: acme/app:dev (used by app)")
            && message.contains("never pulled from a registry: phi-test/postgres:15 (used by db)")
            && message.contains("phi-test/python:3 (used by web)"),
        "{message}"
    );
    assert!(!out.stdout.contains("docker login"), "{}", out.stdout);
    assert_eq!(level(&doc, "docker", "registries"), "info");

    write(
        f.path(),
        "compose.yaml",
        &format!("{COMPOSE}  proxy:\n    image: nginx:1.25\n"),
    );
    let (out, doc) = f.json(&[]);
    out.code(0);
    let hub = check(&doc, "docker", "registry docker.io");
    assert_eq!(hub["level"], "info");
    assert_eq!(
        hub["fix"],
        "`docker login docker.io` if the images are private"
    );
    assert!(
        hub["message"].as_str().unwrap().ends_with("used by proxy"),
        "{hub}"
    );
}

#[test]
fn fixes_name_paths_from_where_phi_was_started() {
    // The project in <root>/demo, phi run from <root> with -f demo/compose.yaml.
    let root = tempfile::tempdir().unwrap();
    let demo = root.path().join("demo");
    std::fs::create_dir(&demo).unwrap();
    write(&demo, "compose.yaml", COMPOSE);
    write(&demo, "config.env.template", TEMPLATE);
    write(
        &demo,
        ".env",
        &format!(
            "POSTGRES_PASSWORD={POSTGRES_PASSWORD}\nFLASK_SECRET_KEY={FLASK_SECRET_KEY}\n\
             REDIS_PASSWORD={REDIS_PASSWORD}\nFLASK_DEBUG=false\n"
        ),
    );
    chmod(&demo.join(".env"), 0o644);
    git(root.path(), &["init", "-q"]);
    let tools = tool_dir(&["git"], &[]);
    let run = |from: &Path, file: &Path| {
        let out = Phi::new(from)
            .env("PATH", tools.path())
            .arg_list("-f", &[file.to_str().unwrap()])
            .args(["check-auth", "--json"])
            .run();
        let doc = out.json();
        (out, doc)
    };
    let (out, doc) = run(root.path(), Path::new("demo/compose.yaml"));
    out.code(3);
    assert_eq!(
        check(&doc, "files", "demo/.env permissions")["fix"],
        "chmod 600 demo/.env"
    );
    let in_git = check(&doc, "files", "demo/.env in git");
    assert_eq!(in_git["fix"], "echo '.env' >> demo/.gitignore");
    // The fixes work as printed, from there.
    let sh = |line: &str| {
        let status = Command::new("sh")
            .args(["-c", line])
            .current_dir(root.path())
            .status()
            .unwrap();
        assert!(status.success(), "{line}");
    };
    sh(in_git["fix"].as_str().unwrap());
    sh(check(&doc, "files", "demo/.env permissions")["fix"]
        .as_str()
        .unwrap());
    let (out, doc) = run(root.path(), Path::new("demo/compose.yaml"));
    out.code(0);
    assert_eq!(level(&doc, "files", "demo/.env permissions"), "ok");
    assert_eq!(level(&doc, "files", "demo/.env in git"), "ok");

    // From outside the project's tree, the paths are absolute.
    chmod(&demo.join(".env"), 0o640);
    let elsewhere = tempfile::tempdir().unwrap();
    let (out, doc) = run(elsewhere.path(), &demo.join("compose.yaml"));
    out.code(0);
    let shown = demo.join(".env").display().to_string();
    assert_eq!(
        check(&doc, "files", &format!("{shown} permissions"))["fix"],
        format!("chmod 600 {shown}").as_str()
    );
}
