//! Files that hold secrets: env files (permissions, ignored by git), and secret-looking
//! values written literally into compose files instead of coming from the environment.

use crate::commands::checks::shown;
use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_norway::Value;

use super::process::{self, RunError};
use crate::commands::checks::{Area, Check};
use crate::config::interpolate;
use crate::redact::is_secret_name;

/// The permission bits of a file (`0o644`).
pub fn mode_of(meta: &std::fs::Metadata) -> u32 {
    meta.permissions().mode() & 0o777
}

/// Words for the group and other bits of a mode: `group can read, others can read and write`.
pub fn describe_mode(mode: u32) -> String {
    let words = |bits: u32| {
        [(4, "read"), (2, "write"), (1, "execute")]
            .iter()
            .filter(|(b, _)| bits & b != 0)
            .map(|(_, w)| *w)
            .collect::<Vec<_>>()
            .join(" and ")
    };
    let mut parts = Vec::new();
    if mode & 0o070 != 0 {
        parts.push(format!("group can {}", words((mode >> 3) & 7)));
    }
    if mode & 0o007 != 0 {
        parts.push(format!("others can {}", words(mode & 7)));
    }
    parts.join(", ")
}

/// An env file must not be readable by group or others.
pub fn permissions_check(path: &Path, shown: &str) -> Check {
    let area = Area::Files;
    let name = format!("{shown} permissions");
    match std::fs::metadata(path) {
        Ok(meta) => {
            let mode = mode_of(&meta);
            if mode & 0o044 == 0 {
                Check::ok(area, name, format!("mode {mode:03o}"))
            } else {
                Check::warning(
                    area,
                    name,
                    format!("mode {mode:03o}: {}", describe_mode(mode & 0o077)),
                )
                .fix(format!("chmod 600 {shown}"))
            }
        }
        Err(e) => Check::error(area, name, format!("cannot read {shown}: {e}")),
    }
}

/// Env files the stack uses: phi's (`--env-file` or `.env`) and the services' `env_file`s.
/// Service files that do not exist (or are not files) are returned apart; empty entries are
/// skipped.
pub fn env_files_in_use(
    phi_files: &[PathBuf],
    service_files: &[(String, String)],
    dir: &Path,
) -> (Vec<PathBuf>, Vec<(String, PathBuf)>) {
    let mut files: Vec<PathBuf> = Vec::new();
    let mut missing = Vec::new();
    for f in phi_files {
        if !files.contains(f) {
            files.push(f.clone());
        }
    }
    for (service, path) in service_files {
        if path.trim().is_empty() {
            continue;
        }
        let path = dir.join(path);
        if files.contains(&path) {
            continue;
        }
        if path.is_file() {
            files.push(path);
        } else if !missing.iter().any(|(_, p)| *p == path) {
            missing.push((service.clone(), path));
        }
    }
    (files, missing)
}

/// Whether each env file is kept out of git: ignored, not tracked. One check a file.
pub async fn git_checks(files: &[(PathBuf, String)], timeout: Duration) -> Vec<Check> {
    let area = Area::Files;
    if files.is_empty() {
        return Vec::new();
    }
    let Ok(git) = which::which("git") else {
        return vec![Check::info(
            area,
            "git",
            "git is not installed (not on PATH); whether env files are ignored is not checked",
        )];
    };
    let mut checks = Vec::new();
    for (path, shown) in files {
        let name = format!("{shown} in git");
        let (Some(dir), Some(file)) = (path.parent(), path.file_name()) else {
            continue;
        };
        let file = file.to_string_lossy();
        let inside = process::run(
            &git,
            &["rev-parse", "--is-inside-work-tree"],
            Some(dir),
            timeout,
        )
        .await;
        match inside {
            Ok(ran) if ran.code == Some(0) && ran.stdout.trim() == "true" => {}
            Ok(_) => {
                checks.push(Check::info(area, name, "not inside a git work tree"));
                continue;
            }
            Err(e) => {
                checks.push(git_failure(name, &e));
                continue;
            }
        }
        let tracked = process::run(
            &git,
            &["ls-files", "--error-unmatch", "--", &file],
            Some(dir),
            timeout,
        )
        .await;
        match tracked {
            Ok(ran) if ran.code == Some(0) => {
                checks.push(
                    Check::error(area, name, format!("{shown} is tracked by git")).fix(format!(
                        "git rm --cached {shown}, add it to {}, and change every secret it held",
                        crate::commands::checks::shown(&dir.join(".gitignore"), dir)
                    )),
                );
                continue;
            }
            Ok(_) => {}
            Err(e) => {
                checks.push(git_failure(name, &e));
                continue;
            }
        }
        let ignored = process::run(
            &git,
            &["check-ignore", "-q", "--", &file],
            Some(dir),
            timeout,
        )
        .await;
        checks.push(match ignored {
            Ok(ran) if ran.code == Some(0) => Check::ok(area, name, "ignored by git"),
            Ok(ran) if ran.code == Some(1) => Check::error(
                area,
                name,
                format!("{shown} is not ignored by git: one `git add .` commits its secrets"),
            )
            .fix(format!(
                "echo '{file}' >> {}",
                crate::commands::checks::shown(&dir.join(".gitignore"), dir)
            )),
            Ok(ran) => Check::warning(
                area,
                name,
                format!("git check-ignore failed: {}", ran.first_error_line()),
            ),
            Err(e) => git_failure(name, &e),
        });
    }
    checks
}

fn git_failure(name: String, e: &RunError) -> Check {
    Check::warning(Area::Files, name, e.to_string())
}

/// A secret-looking key whose value is written into a compose file, whole or as the
/// fallback of a `${NAME:-default}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Literal {
    pub file: PathBuf,
    pub service: String,
    pub key: String,
    /// What the key gets when no variable is set: the literal, or the fallback.
    pub value: String,
    /// The value is a fallback (`${NAME:-default}`), not the whole literal.
    pub fallback: bool,
}

/// What the compose files say before interpolation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawCompose {
    /// Every variable referenced anywhere (`${NAME}`, `$NAME`).
    pub references: BTreeSet<String>,
    pub literals: Vec<Literal>,
}

impl RawCompose {
    /// Read the files again, uninterpolated. They were parsed once already, so a file that
    /// cannot be read or parsed now is skipped.
    pub fn scan(files: &[PathBuf]) -> RawCompose {
        let mut out = RawCompose::default();
        for file in files {
            if let Ok(text) = crate::files::read_text(file, crate::files::MAX_COMPOSE_BYTES) {
                out.scan_document(file, &text);
            }
        }
        out
    }

    pub fn scan_document(&mut self, file: &Path, text: &str) {
        let Ok(doc) = crate::config::yaml::parse(text) else {
            return;
        };
        self.collect_references(&doc);
        let Some(services) = doc.get("services").and_then(Value::as_mapping) else {
            return;
        };
        for (service, def) in services {
            let Some(service) = service.as_str() else {
                continue;
            };
            let entries: Vec<(String, Option<String>)> = match def.get("environment") {
                Some(Value::Mapping(map)) => map
                    .iter()
                    .filter_map(|(k, v)| {
                        Some((k.as_str()?.to_string(), crate::config::scalar_text(v)))
                    })
                    .collect(),
                Some(Value::Sequence(items)) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|item| match item.split_once('=') {
                        Some((k, v)) => (k.to_string(), Some(v.to_string())),
                        None => (item.to_string(), None),
                    })
                    .collect(),
                _ => Vec::new(),
            };
            for (key, value) in entries {
                let Some(value) = value.filter(|v| !v.is_empty()) else {
                    continue;
                };
                if !is_secret_name(&key) {
                    continue;
                }
                let (value, fallback) = if is_literal(&value) {
                    (value, false)
                } else {
                    match fallback_of(&value) {
                        Some(fallback) => (fallback, true),
                        None => continue,
                    }
                };
                self.literals.push(Literal {
                    file: file.to_path_buf(),
                    service: service.to_string(),
                    key,
                    value,
                    fallback,
                });
            }
        }
    }

    fn collect_references(&mut self, value: &Value) {
        match value {
            Value::String(s) if s.contains('$') => {
                for r in interpolate::references(s).unwrap_or_default() {
                    self.references.insert(r.name);
                }
            }
            Value::Sequence(items) => items.iter().for_each(|v| self.collect_references(v)),
            Value::Mapping(map) => map.values().for_each(|v| self.collect_references(v)),
            Value::Tagged(t) => self.collect_references(&t.value),
            _ => {}
        }
    }
}

/// A value with no variable reference in it (and not empty).
pub fn is_literal(value: &str) -> bool {
    !value.is_empty() && interpolate::references(value).is_ok_and(|refs| refs.is_empty())
}

/// What a value with a `${NAME:-default}` (or `${NAME-default}`) becomes when no variable
/// is set, if that is not empty.
pub fn fallback_of(value: &str) -> Option<String> {
    let refs = interpolate::references(value).ok()?;
    if !refs.iter().any(|r| r.has_default) {
        return None;
    }
    interpolate::interpolate(value, &|_: &str| None)
        .ok()
        .filter(|v| !v.is_empty())
}

/// One warning per literal secret, or one ok.
pub fn literal_checks(raw: &RawCompose, files: &[PathBuf], dir: &Path) -> Vec<Check> {
    let area = Area::Files;
    if raw.literals.is_empty() {
        let names: Vec<String> = files.iter().map(|f| shown(f, dir)).collect();
        return vec![Check::ok(
            area,
            "compose secrets",
            format!(
                "no secret-looking value is written into {}",
                names.join(", ")
            ),
        )];
    }
    raw.literals
        .iter()
        .map(|l| {
            let at = format!(
                "{}: services.{}.environment.{}",
                shown(&l.file, dir),
                l.service,
                l.key
            );
            if l.fallback {
                Check::warning(
                    area,
                    "compose secrets",
                    format!("{at} falls back to a value written into the file"),
                )
                .fix(format!(
                    "write `${{{key}:?set {key}}}` so that a missing secret stops the stack",
                    key = l.key
                ))
            } else {
                Check::warning(
                    area,
                    "compose secrets",
                    format!("{at} is written into the file"),
                )
                .fix(format!(
                    "write `{key}: ${{{key}}}` and set {key} in .env",
                    key = l.key
                ))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::checks::Level;

    #[test]
    fn group_and_other_bits_are_described() {
        assert_eq!(describe_mode(0o044), "group can read, others can read");
        assert_eq!(describe_mode(0o060), "group can read and write");
        assert_eq!(
            describe_mode(0o007),
            "others can read and write and execute"
        );
        assert_eq!(describe_mode(0), "");
    }

    #[test]
    fn env_file_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join(".env");
        std::fs::write(&f, "A=1\n").unwrap();
        for (mode, level) in [
            (0o600, Level::Ok),
            (0o400, Level::Ok),
            (0o640, Level::Warning),
            (0o604, Level::Warning),
            (0o644, Level::Warning),
        ] {
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(mode)).unwrap();
            let check = permissions_check(&f, ".env");
            assert_eq!(check.level, level, "{mode:o}: {}", check.message);
            if level == Level::Warning {
                assert_eq!(check.fix.as_deref(), Some("chmod 600 .env"));
            }
        }
        let missing = permissions_check(&dir.path().join("nope"), "nope");
        assert_eq!(missing.level, Level::Error);
    }

    #[test]
    fn literals_and_references_in_raw_compose() {
        let mut raw = RawCompose::default();
        raw.scan_document(
            Path::new("/p/compose.yaml"),
            r#"
x-env: &env
  API_KEY: inline-key-1
services:
  db:
    image: postgres:${PG:-15}
    environment:
      POSTGRES_PASSWORD: hunter2-literal
      POSTGRES_USER: phi
      REDIS_PASSWORD: ${REDIS_PASSWORD}
      DEFAULTED_PASSWORD: ${DEFAULTED_PASSWORD:-demo-fallback}
      REQUIRED_PASSWORD: ${REQUIRED_PASSWORD:?set it}
      ALT_TOKEN: ${ALT_TOKEN:+x}
      SESSION_SECRET: "$SESSION_SECRET"
      EMPTY_TOKEN: ""
      PASSTHROUGH_TOKEN:
      NUMERIC_PASSWORD: 123456
  web:
    environment:
      - GITHUB_TOKEN=ghp_literal
      - FLASK_SECRET_KEY=${FLASK_SECRET_KEY:?set it}
      - PLAIN_SECRET
      - DEBUG=1
  other:
    environment:
      <<: *env
"#,
        );
        let found: Vec<(&str, &str, &str, bool)> = raw
            .literals
            .iter()
            .map(|l| {
                (
                    l.service.as_str(),
                    l.key.as_str(),
                    l.value.as_str(),
                    l.fallback,
                )
            })
            .collect();
        assert_eq!(
            found,
            vec![
                ("db", "POSTGRES_PASSWORD", "hunter2-literal", false),
                ("db", "DEFAULTED_PASSWORD", "demo-fallback", true),
                ("db", "NUMERIC_PASSWORD", "123456", false),
                ("web", "GITHUB_TOKEN", "ghp_literal", false),
                ("other", "API_KEY", "inline-key-1", false),
            ]
        );
        let refs: Vec<&str> = raw.references.iter().map(String::as_str).collect();
        assert_eq!(
            refs,
            [
                "ALT_TOKEN",
                "DEFAULTED_PASSWORD",
                "FLASK_SECRET_KEY",
                "PG",
                "REDIS_PASSWORD",
                "REQUIRED_PASSWORD",
                "SESSION_SECRET"
            ]
        );
        let checks = literal_checks(&raw, &[PathBuf::from("/p/compose.yaml")], Path::new("/p"));
        assert_eq!(checks.len(), 5);
        assert_eq!(
            checks[0].message,
            "compose.yaml: services.db.environment.POSTGRES_PASSWORD is written into the file"
        );
        assert_eq!(
            checks[1].message,
            "compose.yaml: services.db.environment.DEFAULTED_PASSWORD falls back to a value written into the file"
        );
        assert_eq!(
            checks[1].fix.as_deref(),
            Some(
                "write `${DEFAULTED_PASSWORD:?set DEFAULTED_PASSWORD}` so that a missing secret stops the stack"
            )
        );
        for c in &checks {
            assert!(!c.message.contains("hunter2") && !c.message.contains("demo-fallback"));
        }
        let clean = literal_checks(
            &RawCompose::default(),
            &[PathBuf::from("/p/compose.yaml")],
            Path::new("/p"),
        );
        assert_eq!(clean[0].level, Level::Ok);
    }

    #[test]
    fn literal_means_no_reference() {
        assert!(is_literal("abc"));
        assert!(is_literal("$$escaped"));
        assert!(!is_literal(""));
        assert!(!is_literal("${A}"));
        assert!(!is_literal("pre-$A"));
        assert!(!is_literal("${A:-default}"));
    }

    #[test]
    fn service_env_files_are_joined_and_missing_ones_set_apart() {
        let dir = tempfile::tempdir().unwrap();
        let phi_env = dir.path().join(".env");
        std::fs::write(&phi_env, "").unwrap();
        std::fs::write(dir.path().join("web.env"), "").unwrap();
        let (files, missing) = env_files_in_use(
            std::slice::from_ref(&phi_env),
            &[
                ("web".into(), "web.env".into()),
                ("db".into(), ".env".into()),
                ("job".into(), "absent.env".into()),
                ("odd".into(), "".into()),
                ("dir".into(), ".".into()),
            ],
            dir.path(),
        );
        assert_eq!(files, vec![phi_env, dir.path().join("web.env")]);
        assert_eq!(
            missing,
            vec![
                ("job".to_string(), dir.path().join("absent.env")),
                ("dir".to_string(), dir.path().join("."))
            ]
        );
        use crate::commands::checks::shown_from;
        assert_eq!(shown_from(dir.path(), dir.path()), ".");
        assert_eq!(
            shown_from(&dir.path().join("a/b.env"), dir.path()),
            "a/b.env"
        );
        assert_eq!(
            shown_from(&dir.path().join("demo/.env"), dir.path().parent().unwrap()),
            format!(
                "{}/demo/.env",
                dir.path().file_name().unwrap().to_string_lossy()
            )
        );
        assert_eq!(
            shown_from(Path::new("/etc/x.env"), dir.path()),
            "/etc/x.env"
        );
    }
}
