//! Variables: required ones set, no well-known or template values in secrets, `NAME_FILE`
//! secrets readable, and the production guard (no debug mode, a long session key).
//! Pure over the env overlay (which reads `NAME_FILE` files when asked for `NAME`).
//! Values are never put into messages; only names, lengths and origins are.

use std::collections::BTreeSet;
use std::path::Path;

use super::shown;
use super::template::{Entry, Kind};
use super::{Area, Check, Level};
use crate::config::ConfigError;
use crate::config::env::{Env, Origin};
use crate::redact::is_secret_name;

/// Values that are well known defaults, compared after lower-casing and dropping `-`, `_`,
/// `.` and spaces (so `Change_Me` is `changeme`).
pub const WEAK_VALUES: [&str; 10] = [
    "changeme", "changeit", "password", "passw0rd", "admin", "secret", "example", "123456",
    "qwerty", "letmein",
];

/// The shortest FLASK_SECRET_KEY accepted.
pub const MIN_FLASK_SECRET_KEY: usize = 32;

/// `*_FILE` variables that are not Docker-secrets style indirections.
const NOT_SECRET_FILES: [&str; 2] = ["PHI_FILE", "COMPOSE_FILE"];

/// The env template, when there is one: where it is (as shown) and what it says.
#[derive(Debug, Clone)]
pub struct Template {
    pub shown: String,
    pub entries: Vec<Entry>,
}

impl Template {
    fn entry(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.name == name)
    }
}

fn normalize(value: &str) -> String {
    value
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | '.' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// A value that only stands in for a real one: `<your-token>`, `your-password-here`,
/// `xxxx`, `change-me-please`, `replace_me`.
pub fn looks_like_placeholder(value: &str) -> bool {
    let v = value.trim();
    let n = normalize(v);
    (v.starts_with('<') && v.ends_with('>'))
        || n.starts_with("your")
        || n.contains("changeme")
        || n.contains("replaceme")
        || (n.len() >= 3 && n.chars().all(|c| c == 'x' || c == '*'))
}

/// A well-known default or a placeholder.
pub fn is_weak(value: &str) -> bool {
    WEAK_VALUES.contains(&normalize(value).as_str()) || looks_like_placeholder(value)
}

/// What is wrong with a set value, if anything: a weak value (error for secret-looking names,
/// warning otherwise), or the template's own value left in place (error for secret-looking
/// names; warning when the template's value is a placeholder; fine for a plain default).
pub fn weakness(
    name: &str,
    value: &str,
    template_value: Option<&str>,
    public: &[Public],
) -> Option<(Level, String)> {
    let secret = is_secret_name(name);
    let level = if secret { Level::Error } else { Level::Warning };
    if secret {
        if let Some(p) = public
            .iter()
            .find(|p| p.value.eq_ignore_ascii_case(value.trim()))
        {
            return Some((level, format!("{name} equals {}", p.what)));
        }
    }
    if is_weak(value) {
        return Some((
            level,
            format!("{name} holds a well-known default or placeholder value"),
        ));
    }
    if template_value == Some(value) && (secret || looks_like_placeholder(value)) {
        return Some((level, format!("{name} still holds the template's value")));
    }
    None
}

/// A value anyone can see (the project's name, a service's name, a user name), which a secret
/// must not equal; `what` says which, for the message.
#[derive(Debug, Clone)]
pub struct Public {
    pub value: String,
    pub what: String,
}

/// The public values of a project: its name, its services' names, and the values of the
/// variables that name users (`*_USER`, `*_USERNAME`, `*_LOGIN`).
pub fn public_values(project: &str, services: &[&str], env: &Env) -> Vec<Public> {
    let mut out = vec![Public {
        value: project.to_string(),
        what: "the project's name".into(),
    }];
    for service in services {
        out.push(Public {
            value: service.to_string(),
            what: format!("the name of service {service}"),
        });
    }
    for name in env.names() {
        let upper = name.to_ascii_uppercase();
        if ["USER", "_USERNAME", "_LOGIN"]
            .iter()
            .any(|s| upper.ends_with(s))
        {
            if let Some(var) = env.raw(name).filter(|v| !v.value.trim().is_empty()) {
                out.push(Public {
                    value: var.value.trim().to_string(),
                    what: format!("the user name in {name}"),
                });
            }
        }
    }
    out.retain(|p| p.value.len() >= 2);
    out
}

fn origin_text(origin: &Origin, dir: &Path) -> String {
    match origin {
        Origin::Process => "the environment".into(),
        Origin::File { path, line } => format!("{}:{line}", shown(path, dir)),
        Origin::Provided => "phi (the project name)".into(),
    }
}

/// Where a variable's value comes from: `.env:3`, `the environment`,
/// `POSTGRES_PASSWORD_FILE at .env:4`.
pub fn origin(env: &Env, name: &str, dir: &Path) -> String {
    match (env.raw(name), env.raw(&format!("{name}_FILE"))) {
        (Some(var), _) => origin_text(&var.origin, dir),
        (None, Some(file)) => format!("{name}_FILE at {}", origin_text(&file.origin, dir)),
        (None, None) => "nowhere".into(),
    }
}

fn lookup_error_fix(name: &str, e: &ConfigError) -> String {
    match e {
        ConfigError::BothSet { .. } => format!("keep only one of {name} and {name}_FILE"),
        _ => format!("make {name}_FILE point at a readable file"),
    }
}

/// One check per required variable: x-phi `required_env`, then the template's `NAME=` lines.
pub fn required_checks(
    env: &Env,
    dir: &Path,
    required_env: &[String],
    template: Option<&Template>,
    set_in: &str,
    public: &[Public],
) -> Vec<Check> {
    let area = Area::Variables;
    let mut names: Vec<(&str, String)> = required_env
        .iter()
        .map(|n| (n.as_str(), "x-phi.required_env".to_string()))
        .collect();
    if let Some(t) = template {
        for e in t.entries.iter().filter(|e| e.kind == Kind::Required) {
            if !names.iter().any(|(n, _)| *n == e.name) {
                names.push((e.name.as_str(), format!("{}:{}", t.shown, e.line)));
            }
        }
    }
    let mut checks = Vec::new();
    for (name, source) in names {
        let fix = format!("set {name} in {set_in} (required by {source})");
        checks.push(match env.get(name) {
            Err(e) => Check::error(area, name, e.to_string()).fix(lookup_error_fix(name, &e)),
            Ok(None) => Check::error(area, name, format!("{name} is not set")).fix(fix),
            Ok(Some(v)) if v.trim().is_empty() => Check::error(
                area,
                name,
                format!("{name} is empty ({})", origin(env, name, dir)),
            )
            .fix(fix),
            Ok(Some(v)) => {
                let template_value = template.and_then(|t| t.entry(name)).and_then(Entry::value);
                match weakness(name, &v, template_value, public) {
                    Some((level, message)) => Check::new(area, name, level, message).fix(format!(
                        "set {name} to a long random value (`openssl rand -hex 24`)"
                    )),
                    None => Check::ok(area, name, format!("set ({})", origin(env, name, dir))),
                }
            }
        });
    }
    checks
}

/// Weak or template values in the other variables: those the template names, and the
/// secret-looking ones set in env files. Only problems are reported.
pub fn weak_value_checks(
    env: &Env,
    dir: &Path,
    skip: &BTreeSet<&str>,
    template: Option<&Template>,
    public: &[Public],
) -> Vec<Check> {
    let mut names: Vec<&str> = template
        .map(|t| t.entries.iter().map(|e| e.name.as_str()).collect())
        .unwrap_or_default();
    for name in env.names() {
        let from_file = env
            .raw(name)
            .is_some_and(|v| matches!(v.origin, Origin::File { .. }));
        if from_file && is_secret_name(name) && !names.contains(&name) {
            names.push(name);
        }
    }
    names
        .into_iter()
        .filter(|n| !skip.contains(n))
        .filter_map(|name| {
            let value = env
                .get(name)
                .ok()
                .flatten()
                .filter(|v| !v.trim().is_empty())?;
            let template_value = template.and_then(|t| t.entry(name)).and_then(Entry::value);
            let (level, message) = weakness(name, &value, template_value, public)?;
            Some(
                Check::new(
                    Area::Variables,
                    name,
                    level,
                    format!("{message} ({})", origin(env, name, dir)),
                )
                .fix(format!("choose a real value for {name}")),
            )
        })
        .collect()
}

/// Docker-secrets style `NAME_FILE` variables: each points at a readable file, and `NAME` is
/// not set as well. Looked at: every `NAME_FILE` set in an env file, and those set in the
/// environment for a `NAME` in `known` (the template, `required_env`, the compose files).
pub fn secret_file_checks(env: &Env, dir: &Path, known: &BTreeSet<String>) -> Vec<Check> {
    let area = Area::Secrets;
    let mut checks = Vec::new();
    for name in env.names() {
        let Some(base) = name.strip_suffix("_FILE").filter(|b| !b.is_empty()) else {
            continue;
        };
        if NOT_SECRET_FILES.contains(&name) {
            continue;
        }
        let Some(var) = env.raw(name) else { continue };
        let from_file = matches!(var.origin, Origin::File { .. });
        if !from_file && !known.contains(base) {
            continue;
        }
        let here = origin_text(&var.origin, dir);
        if let Some(direct) = env.raw(base) {
            checks.push(
                Check::error(
                    area,
                    name,
                    format!(
                        "both {base} ({}) and {name} ({here}) are set",
                        origin_text(&direct.origin, dir)
                    ),
                )
                .fix(format!("remove {base} or {name}")),
            );
            continue;
        }
        if var.value.trim().is_empty() {
            checks.push(
                Check::error(
                    area,
                    name,
                    format!("{name} ({here}) is empty; it must name a file"),
                )
                .fix(format!(
                    "set {name} to the file holding {base}, or remove it"
                )),
            );
            continue;
        }
        let path = dir.join(&var.value);
        let target = shown(&path, dir);
        let readable = std::fs::metadata(&path).and_then(|meta| {
            if meta.is_dir() {
                return Err(std::io::Error::other("it is a directory"));
            }
            std::fs::File::open(&path)?;
            Ok(meta.len())
        });
        checks.push(match readable {
            Ok(0) => Check::warning(
                area,
                name,
                format!("{name} ({here}) points at {target}, which is empty"),
            )
            .fix(format!("write the secret for {base} into {target}")),
            Ok(len) => Check::ok(area, name, format!("{target} is readable ({len} bytes)")),
            Err(e) => Check::error(
                area,
                name,
                format!("{name} ({here}) points at {target}, which cannot be read: {e}"),
            )
            .fix(format!("create {target} or correct {name}")),
        });
    }
    if checks.is_empty() {
        checks.push(Check::info(area, "*_FILE", "no NAME_FILE variable is set"));
    }
    checks
}

fn truthy(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    )
}

/// The production guard: FLASK_DEBUG off when FORCE_HTTPS is on or ENVIRONMENT is
/// production, and a FLASK_SECRET_KEY of at least 32 characters.
pub fn production_checks(env: &Env) -> Vec<Check> {
    let area = Area::Production;
    let get = |name: &str| env.get(name).ok().flatten();
    let mut checks = Vec::new();
    let production_because = match (get("FORCE_HTTPS"), get("ENVIRONMENT")) {
        (Some(v), _) if truthy(&v) => Some("FORCE_HTTPS is true".to_string()),
        (_, Some(e))
            if matches!(
                e.trim().to_ascii_lowercase().as_str(),
                "production" | "prod"
            ) =>
        {
            Some(format!("ENVIRONMENT is {}", e.trim()))
        }
        _ => None,
    };
    if let Some(debug) = get("FLASK_DEBUG") {
        checks.push(match (truthy(&debug), &production_because) {
            (true, Some(why)) => Check::error(
                area,
                "FLASK_DEBUG",
                format!("debug mode is on in production ({why}): anyone can run code through the debugger"),
            )
            .fix("set FLASK_DEBUG=false"),
            (true, None) => Check::info(
                area,
                "FLASK_DEBUG",
                "debug mode is on; fine for development, never in production",
            ),
            (false, _) => Check::ok(area, "FLASK_DEBUG", "debug mode is off"),
        });
    }
    if let Some(key) = get("FLASK_SECRET_KEY").filter(|k| !k.is_empty()) {
        let chars = key.chars().count();
        checks.push(if chars >= MIN_FLASK_SECRET_KEY {
            Check::ok(area, "FLASK_SECRET_KEY", format!("{chars} characters"))
        } else {
            Check::error(
                area,
                "FLASK_SECRET_KEY",
                format!("only {chars} characters; at least {MIN_FLASK_SECRET_KEY} are needed"),
            )
            .fix("set FLASK_SECRET_KEY to `openssl rand -hex 32`")
        });
    }
    if checks.is_empty() {
        checks.push(Check::info(
            area,
            "flask",
            "neither FLASK_DEBUG nor FLASK_SECRET_KEY is set",
        ));
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::Redactor;

    fn env_with(dir: &Path, file: &str, process: &[(&str, &str)]) -> Env {
        let path = dir.join(".env");
        std::fs::write(&path, file).unwrap();
        Env::load(
            process.iter().map(|(k, v)| (k.to_string(), v.to_string())),
            &[path],
            dir,
            Redactor::new(),
        )
        .unwrap()
    }

    fn summary(checks: &[Check]) -> Vec<(String, Level)> {
        checks.iter().map(|c| (c.name.clone(), c.level)).collect()
    }

    fn template(text: &str) -> Template {
        Template {
            shown: "config.env.template".into(),
            entries: super::super::template::parse(text),
        }
    }

    #[test]
    fn weak_values_and_placeholders() {
        for v in [
            "changeme",
            "Change-Me",
            "CHANGE_ME",
            "password",
            "Passw0rd",
            "admin",
            "secret",
            "example",
            "123456",
            "<your-token>",
            "your-password-here",
            "xxxxxxxx",
            "please-changeme-now",
            "replace_me",
        ] {
            assert!(is_weak(v), "{v} should be weak");
        }
        for v in [
            "phi",
            "a8f3c9d2e1b7",
            "5432",
            "false",
            "example.com",
            "administrator-of-db",
        ] {
            assert!(!is_weak(v), "{v} should not be weak");
        }
    }

    #[test]
    fn weakness_depends_on_the_name_and_the_template() {
        assert_eq!(
            weakness("DB_PASSWORD", "changeme", None, &[]).unwrap().0,
            Level::Error
        );
        assert_eq!(
            weakness("DB_USER", "admin", None, &[]).unwrap().0,
            Level::Warning
        );
        assert_eq!(
            weakness("API_KEY", "dev-key-1", Some("dev-key-1"), &[])
                .unwrap()
                .0,
            Level::Error
        );
        // A plain default for a plain variable is fine; a placeholder left in place is not.
        assert_eq!(weakness("POSTGRES_USER", "phi", Some("phi"), &[]), None);
        assert_eq!(
            weakness("GCP_PROJECT_ID", "<project>", Some("<project>"), &[])
                .unwrap()
                .0,
            Level::Warning
        );
        assert_eq!(
            weakness("DB_PASSWORD", "k2j3h4g5f6", Some("other"), &[]),
            None
        );
        let (_, message) = weakness("DB_PASSWORD", "changeme", None, &[]).unwrap();
        assert!(!message.contains("changeme"), "{message}");
        // A password equal to a name anyone can see is weak; a plain variable may equal one.
        let public = [Public {
            value: "temporal".into(),
            what: "the project's name".into(),
        }];
        let (level, message) = weakness("POSTGRES_PASSWORD", "Temporal", None, &public).unwrap();
        assert_eq!(level, Level::Error);
        assert_eq!(message, "POSTGRES_PASSWORD equals the project's name");
        assert_eq!(weakness("POSTGRES_DB", "temporal", None, &public), None);
    }

    #[test]
    fn required_variables_missing_empty_weak_and_set() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token.txt"), "tok-from-file-123\n").unwrap();
        let env = env_with(
            dir.path(),
            "EMPTY=\nWEAK_PASSWORD=changeme\nGOOD_SECRET=k2j3h4g5f6d7s8a9\nVIA_FILE_TOKEN_FILE=token.txt\nBOTH=x\nBOTH_FILE=token.txt\n",
            &[],
        );
        let t = template("MISSING=\nEMPTY=\nGOOD_SECRET=\n");
        let required = vec![
            "WEAK_PASSWORD".to_string(),
            "VIA_FILE_TOKEN".to_string(),
            "BOTH".to_string(),
            "MISSING".to_string(),
        ];
        let checks = required_checks(&env, dir.path(), &required, Some(&t), ".env", &[]);
        assert_eq!(
            summary(&checks),
            vec![
                ("WEAK_PASSWORD".into(), Level::Error),
                ("VIA_FILE_TOKEN".into(), Level::Ok),
                ("BOTH".into(), Level::Error),
                ("MISSING".into(), Level::Error),
                ("EMPTY".into(), Level::Error),
                ("GOOD_SECRET".into(), Level::Ok),
            ]
        );
        assert_eq!(checks[1].message, "set (VIA_FILE_TOKEN_FILE at .env:4)");
        assert_eq!(checks[3].message, "MISSING is not set");
        assert_eq!(
            checks[3].fix.as_deref(),
            Some("set MISSING in .env (required by x-phi.required_env)")
        );
        assert_eq!(checks[4].message, "EMPTY is empty (.env:1)");
        assert_eq!(
            checks[4].fix.as_deref(),
            Some("set EMPTY in .env (required by config.env.template:2)")
        );
        assert_eq!(checks[5].message, "set (.env:3)");
        for c in &checks {
            assert!(
                !c.message.contains("tok-from-file") && !c.message.contains("k2j3h4"),
                "{}",
                c.message
            );
        }
    }

    #[test]
    fn weak_values_outside_the_required_list() {
        let dir = tempfile::tempdir().unwrap();
        let env = env_with(
            dir.path(),
            "POSTGRES_USER=admin\nAPI_TOKEN=secret\nSESSION_KEY=dev-session-key\nPLAIN=changeme\nOK_TOKEN=z8x7c6v5b4n3\n",
            &[("PROCESS_TOKEN", "changeme")],
        );
        let t = template("POSTGRES_USER=phi\nSESSION_KEY=dev-session-key\n");
        let skip = BTreeSet::new();
        let checks = weak_value_checks(&env, dir.path(), &skip, Some(&t), &[]);
        assert_eq!(
            summary(&checks),
            vec![
                ("POSTGRES_USER".into(), Level::Warning),
                ("SESSION_KEY".into(), Level::Error),
                ("API_TOKEN".into(), Level::Error),
            ]
        );
        assert!(checks[1].message.contains("template's value"));
        let skip = BTreeSet::from(["POSTGRES_USER"]);
        assert_eq!(
            weak_value_checks(&env, dir.path(), &skip, Some(&t), &[]).len(),
            2
        );
    }

    #[test]
    fn secret_files_readable_empty_missing_and_doubled() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pw.txt"), "pw-123456\n").unwrap();
        std::fs::write(dir.path().join("empty.txt"), "").unwrap();
        let env = env_with(
            dir.path(),
            "DB_PASSWORD_FILE=pw.txt\nEMPTY_FILE=empty.txt\nGONE_FILE=absent.txt\nTWICE=x\nTWICE_FILE=pw.txt\nPHI_FILE=compose.yaml\nUNSET_FILE=\n",
            &[
                ("UNRELATED_FILE", "/nonexistent"),
                ("KNOWN_FILE", "/nonexistent"),
            ],
        );
        let known = BTreeSet::from(["KNOWN".to_string()]);
        let checks = secret_file_checks(&env, dir.path(), &known);
        assert_eq!(
            summary(&checks),
            vec![
                ("DB_PASSWORD_FILE".into(), Level::Ok),
                ("EMPTY_FILE".into(), Level::Warning),
                ("GONE_FILE".into(), Level::Error),
                ("KNOWN_FILE".into(), Level::Error),
                ("TWICE_FILE".into(), Level::Error),
                ("UNSET_FILE".into(), Level::Error),
            ]
        );
        assert_eq!(
            checks[5].message,
            "UNSET_FILE (.env:7) is empty; it must name a file"
        );
        assert_eq!(checks[0].message, "pw.txt is readable (10 bytes)");
        assert_eq!(
            checks[4].message,
            "both TWICE (.env:4) and TWICE_FILE (.env:5) are set"
        );
        let none = env_with(dir.path(), "A=1\n", &[]);
        assert_eq!(
            secret_file_checks(&none, dir.path(), &known)[0].level,
            Level::Info
        );
    }

    #[test]
    fn the_production_guard() {
        let dir = tempfile::tempdir().unwrap();
        let case = |file: &str| summary(&production_checks(&env_with(dir.path(), file, &[])));
        assert_eq!(
            case("FLASK_DEBUG=true\nFORCE_HTTPS=true\n"),
            vec![("FLASK_DEBUG".into(), Level::Error)]
        );
        assert_eq!(
            case("FLASK_DEBUG=1\nENVIRONMENT=Production\n"),
            vec![("FLASK_DEBUG".into(), Level::Error)]
        );
        assert_eq!(
            case("FLASK_DEBUG=true\n"),
            vec![("FLASK_DEBUG".into(), Level::Info)]
        );
        assert_eq!(
            case("FLASK_DEBUG=false\nFORCE_HTTPS=true\n"),
            vec![("FLASK_DEBUG".into(), Level::Ok)]
        );
        assert_eq!(
            case(&format!("FLASK_SECRET_KEY={}\n", "k".repeat(31))),
            vec![("FLASK_SECRET_KEY".into(), Level::Error)]
        );
        assert_eq!(
            case(&format!("FLASK_SECRET_KEY={}\n", "k".repeat(32))),
            vec![("FLASK_SECRET_KEY".into(), Level::Ok)]
        );
        assert_eq!(case("A=1\n"), vec![("flask".into(), Level::Info)]);
    }
}
