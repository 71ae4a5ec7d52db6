//! `phi config` against Docker Compose itself: every fixture under tests/fixtures/config/
//! (derived from the canonical-form cases measured on Compose v2.40.3) is printed by both,
//! side by side in the same folder, and must be the same, field group by field group and byte
//! for byte; a project one refuses the other must refuse too. Also the listing flags, `-q`,
//! YAML, secret masking and that no engine is needed.
//!
//! A fixture folder holds a compose project, and optionally `args` (global flags, shell
//! words), `cargs` (arguments after `config`) and `envvars` (`KEY=VALUE` lines for the
//! environment). Both tools run with only HOME, PATH and those variables.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::{Phi, compose_v2, project_dir};

/// The field groups compared, as (name, path into the document).
const GROUPS: &[(&str, &[&str])] = &[
    ("name", &["name"]),
    ("networks (top level)", &["networks"]),
    ("volumes (top level)", &["volumes"]),
    ("secrets (top level)", &["secrets"]),
    ("configs (top level)", &["configs"]),
];

/// Service fields compared one group at a time (anything else is in the whole document).
const SERVICE_GROUPS: &[&str] = &[
    "image",
    "build",
    "command",
    "entrypoint",
    "environment",
    "ports",
    "expose",
    "volumes",
    "networks",
    "network_mode",
    "depends_on",
    "profiles",
    "healthcheck",
    "deploy",
    "labels",
    "logging",
    "secrets",
    "configs",
    "develop",
    "extra_hosts",
];

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config")
}

fn compose() -> PathBuf {
    compose_v2().expect(
        "Docker Compose v2 is missing: run scripts/setup-test-env.sh and export PHI_TEST_COMPOSE_V2",
    )
}

/// Shell words as the fixtures write them (single quotes only).
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in text.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    out.push(std::mem::take(&mut word));
                    any = false;
                }
            }
            c => {
                word.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(word);
    }
    out
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_default()
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// The environment both tools get: HOME, PATH and the fixture's variables.
fn environment(dir: &Path, home: &Path) -> Vec<(String, String)> {
    let mut env = vec![
        ("HOME".to_string(), home.display().to_string()),
        ("PATH".to_string(), "/usr/bin:/bin".to_string()),
    ];
    for line in read(dir, "envvars").lines() {
        if let Some((k, v)) = line.split_once('=') {
            env.push((k.to_string(), v.to_string()));
        }
    }
    env
}

fn run_compose(dir: &Path, home: &Path, format: &str) -> Run {
    let out = Command::new(compose())
        .current_dir(dir)
        .env_clear()
        .envs(environment(dir, home))
        .args(words(&read(dir, "args")))
        .args(["config", "--format", format])
        .args(words(&read(dir, "cargs")))
        .output()
        .expect("run docker compose");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// phi with the fixture's flags; Compose's global `--all-resources` is a `config` flag here.
fn run_phi(dir: &Path, home: &Path, extra: &[&str]) -> Run {
    let mut global = words(&read(dir, "args"));
    let mut after = words(&read(dir, "cargs"));
    if let Some(at) = global.iter().position(|a| a == "--all-resources") {
        after.push(global.remove(at));
    }
    let mut phi = Phi::new(dir);
    phi.command().env_clear().envs(environment(dir, home));
    let out = phi
        .args(&global)
        .arg_list("config", extra)
        .args(&after)
        .run();
    Run {
        code: out.code,
        stdout: out.stdout,
        stderr: out.stderr,
    }
}

fn at<'a>(doc: &'a Value, path: &[&str]) -> &'a Value {
    path.iter()
        .fold(doc, |v, k| v.get(k).unwrap_or(&Value::Null))
}

#[test]
fn config_matches_compose_on_every_fixture() {
    let home = tempfile::tempdir().unwrap();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 30, "only {} fixtures", dirs.len());
    let mut problems = Vec::new();
    let mut compared = 0;
    for dir in &dirs {
        let case = dir.file_name().unwrap().to_string_lossy().into_owned();
        let theirs = run_compose(dir, home.path(), "json");
        let mine = run_phi(dir, home.path(), &["--format", "json", "--show-secrets"]);
        if theirs.code != 0 {
            if mine.code != 2 {
                problems.push(format!(
                    "{case}: Compose refuses it ({}), phi exits {} instead of 2",
                    theirs.stderr.trim(),
                    mine.code
                ));
            }
            continue;
        }
        if mine.code != 0 {
            problems.push(format!(
                "{case}: Compose accepts it, phi exits {}: {}",
                mine.code,
                mine.stderr.trim()
            ));
            continue;
        }
        compared += 1;
        let a: Value = serde_json::from_str(&mine.stdout).unwrap();
        let b: Value = serde_json::from_str(&theirs.stdout).unwrap();
        for (group, path) in GROUPS {
            if at(&a, path) != at(&b, path) {
                problems.push(format!(
                    "{case}: {group}: phi {} / compose {}",
                    at(&a, path),
                    at(&b, path)
                ));
            }
        }
        let services = at(&b, &["services"])
            .as_object()
            .cloned()
            .unwrap_or_default();
        if at(&a, &["services"]).as_object().map(|m| m.len()) != Some(services.len()) {
            problems.push(format!(
                "{case}: services: phi {} / compose {}",
                a["services"], b["services"]
            ));
        }
        for (name, theirs) in &services {
            for field in SERVICE_GROUPS {
                let mine = at(&a, &["services", name, field]);
                let theirs = at(theirs, &[field]);
                if mine != theirs {
                    problems.push(format!(
                        "{case}: services.{name}.{field}: phi {mine} / compose {theirs}"
                    ));
                }
            }
        }
        if a != b {
            problems.push(format!(
                "{case}: the documents differ\n--- phi\n{a:#}\n--- compose\n{b:#}"
            ));
        } else if mine.stdout != theirs.stdout {
            problems.push(format!(
                "{case}: same content, different text (key order or escaping)"
            ));
        }
        // The YAML has the same content as the JSON (where Compose's JSON writes the empty
        // lists of top-level extensions as null, its YAML keeps `[]`).
        let yaml = run_phi(dir, home.path(), &["--show-secrets"]);
        let back: Value = serde_norway::from_str(&yaml.stdout)
            .unwrap_or_else(|e| panic!("{case}: phi config is not YAML: {e}\n{}", yaml.stdout));
        if extensions_as_json(back) != a {
            problems.push(format!(
                "{case}: the YAML differs from the JSON\n{}",
                yaml.stdout
            ));
        }
    }
    assert!(
        compared >= 30,
        "only {compared} fixtures were accepted by Compose"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Compose prints listings in random order (Go maps): compared as sets.
/// `doc` with every empty list inside a top-level `x-*` extension made null.
fn extensions_as_json(mut doc: Value) -> Value {
    fn nulls(v: &mut Value) {
        match v {
            Value::Array(items) if items.is_empty() => *v = Value::Null,
            Value::Array(items) => items.iter_mut().for_each(nulls),
            Value::Object(map) => map.values_mut().for_each(nulls),
            _ => {}
        }
    }
    if let Value::Object(map) = &mut doc {
        map.iter_mut()
            .filter(|(k, _)| k.starts_with("x-"))
            .for_each(|(_, v)| nulls(v));
    }
    doc
}

fn lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines.sort();
    lines
}

#[test]
fn listing_flags_print_what_compose_prints() {
    let dir = fixtures().join("listing");
    let home = tempfile::tempdir().unwrap();
    for (global, flag) in [
        ("", "--services"),
        ("", "--images"),
        ("", "--volumes"),
        ("", "--networks"),
        ("", "--profiles"),
        ("--profile debug", "--services"),
        ("--profile debug", "--images"),
        ("--profile debug", "--volumes"),
        ("--profile debug", "--networks"),
    ] {
        let theirs = Command::new(compose())
            .current_dir(&dir)
            .env_clear()
            .envs(environment(&dir, home.path()))
            .args(words(global))
            .args(["config", flag])
            .output()
            .unwrap();
        assert!(theirs.status.success(), "compose {global} config {flag}");
        let mut phi = Phi::new(&dir);
        phi.command()
            .env_clear()
            .envs(environment(&dir, home.path()));
        let mine = phi.args(words(global)).args(["config", flag]).run();
        mine.code(0);
        assert_eq!(
            lines(&mine.stdout),
            lines(&String::from_utf8_lossy(&theirs.stdout)),
            "{global} config {flag}"
        );
    }
    // Services come after what they depend on.
    let out = Phi::new(&dir).args(["config", "--services"]).run();
    let order: Vec<&str> = out.stdout.lines().collect();
    let pos = |s: &str| order.iter().position(|n| *n == s).unwrap();
    assert!(
        pos("db") < pos("api") && pos("api") < pos("web"),
        "{order:?}"
    );
    // Unused resources are listed with --all-resources.
    let out = Phi::new(&dir)
        .args(["config", "--volumes", "--all-resources"])
        .run();
    assert!(
        out.stdout.lines().any(|l| l == "unusedvol"),
        "{}",
        out.stdout
    );
}

#[test]
fn quiet_prints_nothing_and_the_exit_status_says_whether_the_project_is_valid() {
    let valid = Phi::new(&fixtures().join("minimal"))
        .args(["-q", "config"])
        .run();
    valid.code(0);
    assert_eq!(valid.stdout, "");
    for case in [
        "undefined_network",
        "unknown_key",
        "ports_err_range_mismatch",
    ] {
        let invalid = Phi::new(&fixtures().join(case))
            .args(["-q", "config"])
            .run();
        invalid.code(2);
        assert_eq!(invalid.stdout, "", "{case}");
    }
    let out = Phi::new(&fixtures().join("missing_dep"))
        .args(["config", "--format", "json"])
        .run();
    out.code(2).stderr_has("undefined service");
}

#[test]
fn yaml_is_the_default_and_parses_to_the_json() {
    let dir = fixtures().join("misc_service");
    let yaml = Phi::new(&dir).args(["config"]).run();
    yaml.code(0);
    assert!(
        yaml.stdout.starts_with("name: misc_service\nservices:\n"),
        "{}",
        yaml.stdout
    );
    let json = Phi::new(&dir).args(["config", "--format", "json"]).run();
    let from_yaml: Value = serde_norway::from_str(&yaml.stdout).unwrap();
    assert_eq!(from_yaml, json.json());
    // The global --json picks JSON too.
    let global = Phi::new(&dir).args(["--json", "config"]).run();
    assert_eq!(global.stdout, json.stdout);
}

#[test]
fn secrets_are_masked_as_values_unless_shown() {
    let dir = project_dir(
        "services:\n  db:\n    image: postgres\n    environment:\n      \
         POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}\n      POSTGRES_USER: app\n      \
         SESSION_KEY:\n    build:\n      context: .\n      args:\n        NPM_TOKEN: npm-tok-8c1f20\n",
    );
    std::fs::write(
        dir.path().join(".env"),
        "POSTGRES_PASSWORD=pg-Secret-41d9\nSESSION_KEY_FILE=session.key\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("session.key"), "key-from-file-7a3e\n").unwrap();
    let secrets = ["pg-Secret-41d9", "key-from-file-7a3e", "npm-tok-8c1f20"];

    let masked = Phi::new(dir.path())
        .args(["config", "--format", "json"])
        .run();
    masked.code(0);
    for secret in secrets {
        assert!(!masked.stdout.contains(secret), "{}", masked.stdout);
    }
    let doc = masked.json();
    let db = &doc["services"]["db"];
    assert_eq!(db["environment"]["POSTGRES_PASSWORD"], "[redacted]");
    assert_eq!(db["environment"]["SESSION_KEY"], "[redacted]");
    assert_eq!(db["environment"]["POSTGRES_USER"], "app");
    assert_eq!(db["build"]["args"]["NPM_TOKEN"], "[redacted]");
    let yaml = Phi::new(dir.path()).args(["config"]).run();
    for secret in secrets {
        assert!(!yaml.stdout.contains(secret), "{}", yaml.stdout);
    }

    let shown = Phi::new(dir.path())
        .args(["config", "--format", "json", "--show-secrets"])
        .run();
    shown.code(0);
    let doc = shown.json();
    let db = &doc["services"]["db"];
    assert_eq!(db["environment"]["POSTGRES_PASSWORD"], "pg-Secret-41d9");
    assert_eq!(db["environment"]["SESSION_KEY"], "key-from-file-7a3e");
    assert_eq!(db["build"]["args"]["NPM_TOKEN"], "npm-tok-8c1f20");
}

#[test]
fn config_needs_no_engine() {
    let out = Phi::new(&fixtures().join("networks"))
        .env("DOCKER_HOST", "unix:///nonexistent.sock")
        .args(["config", "--format", "json"])
        .run();
    out.code(0);
    assert_eq!(out.json()["name"], "networks");
    let out = Phi::new(&fixtures().join("listing"))
        .env("DOCKER_HOST", "unix:///nonexistent.sock")
        .args(["config", "--images"])
        .run();
    out.code(0).stdout_has("nginx:1.25");
}
