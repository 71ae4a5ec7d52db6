//! phi's own settings, kept in the compose files under the `x-phi` extension key, which
//! Docker Compose ignores. The schema is documented in the README ("x-phi settings").
//!
//! Per service:
//!
//! ```yaml
//! services:
//!   dashboard:
//!     x-phi:
//!       health_url: http://127.0.0.1:8080/health/ready   # probed by `phi status`
//!       health_timeout: 3s                               # default 5s
//!       cpu_threshold: 150        # phi monitor: CPU % (100 = one core)
//!       mem_threshold: 80         # phi monitor: memory % of the limit
//!       max_restarts: 3           # phi monitor: restart count that alerts
//!       restart_loop: 3           # phi monitor: restarts by the engine within the window
//!       restart_loop_window: 5m   #   that make a restart loop (defaults 3 and 5m; 0 = off)
//!       post_start:               # phi start-all: run inside the container once it is ready
//!         - flask db upgrade      #   a string runs through /bin/sh -c
//!         - [python, seed.py]     #   a list is the command and its arguments
//! x-phi:                          # project-wide monitor defaults, same five keys
//!   cpu_threshold: 90
//! ```
//!
//! At the top level (read by `phi check-auth`):
//!
//! ```yaml
//! x-phi:
//!   required_env: [POSTGRES_PASSWORD, FLASK_SECRET_KEY]  # must be set and non-empty
//!   env_template: deploy/config.env.template             # default: config.env.template
//!   requires: [pg_dump, gcloud]   # phi start-all: commands that must be on PATH
//! ```
//!
//! Backups (read by `phi backup`), per service and at the top level:
//!
//! ```yaml
//! services:
//!   postgres:
//!     x-phi:
//!       backup:
//!         postgres: { format: custom }   # or `postgres: true`; also database, user
//!   redis:
//!     x-phi: { backup: { redis: true } }
//!   uploads:
//!     x-phi:
//!       backup:
//!         volumes: [media]               # compose volume names mounted in the service
//!         paths: [/srv/config]           # container paths
//!         stop: true                     # stopped while its volumes and paths are copied
//!         pre: "sync"                    # run through exec before; a string: /bin/sh -c
//!         post: [echo, done]             # ... and after (always, once pre has run)
//! x-phi:
//!   backup: { dir: /srv/backups, compression: zstd, keep_last: 7, keep_days: 14 }
//! ```
//!
//! Keys phi does not know are warned about (they are most likely typos), never silently dropped.

use std::time::Duration;

use serde_norway::Value;

use super::ConfigError;
use super::compose::Diagnostics;

/// Keys understood under a service's `x-phi`.
pub const SERVICE_KEYS: &[&str] = &[
    "health_url",
    "health_timeout",
    "cpu_threshold",
    "mem_threshold",
    "max_restarts",
    "restart_loop",
    "restart_loop_window",
    "post_start",
    "backup",
];
/// Keys understood under the top-level `x-phi`.
pub const PROJECT_KEYS: &[&str] = &[
    "required_env",
    "env_template",
    "requires",
    "cpu_threshold",
    "mem_threshold",
    "max_restarts",
    "restart_loop",
    "restart_loop_window",
    "backup",
];

/// Keys understood under a service's `x-phi.backup`.
pub const BACKUP_KEYS: &[&str] = &[
    "postgres", "redis", "volumes", "paths", "stop", "pre", "post", "drill",
];
/// Keys understood under a service's `x-phi.backup.postgres`.
pub const POSTGRES_KEYS: &[&str] = &["format", "database", "user"];
/// Keys understood under the top-level `x-phi.backup`.
pub const BACKUP_DEFAULT_KEYS: &[&str] = &[
    "dir",
    "compression",
    "keep_last",
    "keep_days",
    "age_recipients",
    "prometheus",
    "targets",
    "keep_local",
];
/// Keys of a service's `x-phi.backup.drill`.
pub const DRILL_KEYS: &[&str] = &["check"];

/// Default time an HTTP health probe may take.
pub const DEFAULT_HEALTH_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceXPhi {
    /// An http:// or https:// URL probed by `phi status`; 2xx and 3xx count as healthy.
    pub health_url: Option<String>,
    pub health_timeout: Option<Duration>,
    pub limits: Limits,
    /// Commands `phi start-all` runs inside the container once it is ready, in order.
    pub post_start: Vec<Vec<String>>,
    /// What `phi backup` takes from this service.
    pub backup: Option<BackupSpec>,
}

/// A service's `x-phi.backup`: what to back up and how.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BackupSpec {
    pub postgres: Option<PostgresBackup>,
    pub redis: bool,
    /// Compose volume names (the keys of the top-level `volumes:`) mounted in the service.
    pub volumes: Vec<String>,
    /// Absolute paths inside the container.
    pub paths: Vec<String>,
    /// Stop the service while its volumes and paths are copied.
    pub stop: bool,
    /// Commands run in the service's container before and after its items (argv).
    pub pre: Option<Vec<String>>,
    pub post: Option<Vec<String>>,
    /// SQL queries `phi backup drill` runs on the restored database (`drill.check`); each
    /// must succeed and answer a true value (not 0, f, false or nothing).
    pub drill_checks: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostgresBackup {
    /// `pg_dump -Fc` (custom, the default) or plain SQL.
    pub plain: bool,
    /// Default: the container's POSTGRES_DB (or POSTGRES_DB_FILE), else the user.
    pub database: Option<String>,
    /// Default: the container's POSTGRES_USER (or POSTGRES_USER_FILE), else `postgres`.
    pub user: Option<String>,
}

/// The top-level `x-phi.backup`: defaults for every run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BackupDefaults {
    pub dir: Option<String>,
    /// `zstd` or `gzip`.
    pub compression: Option<String>,
    pub keep_last: Option<u64>,
    pub keep_days: Option<u64>,
    /// age public keys every backup file is encrypted to.
    pub age_recipients: Vec<String>,
    /// The Prometheus textfile written after every run (relative to the project directory).
    pub prometheus: Option<String>,
    /// Where backups are copied after they are written (see [`super::backup_targets`]).
    pub targets: Vec<super::backup_targets::TargetSpec>,
    /// How many complete backups stay on the host once copied to every target.
    pub keep_local: Option<u64>,
}

/// `phi monitor` thresholds, per service or for the whole project.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Limits {
    /// CPU % as the docker CLI shows it (100 = one core).
    pub cpu_threshold: Option<f64>,
    /// Memory in use as a % of the container's limit.
    pub mem_threshold: Option<f64>,
    /// Restart count above which a container alerts.
    pub max_restarts: Option<u64>,
    /// Restarts by the engine (after an exit nobody asked for) within
    /// `restart_loop_window` that make a restart loop; 0 turns the alert off.
    pub restart_loop: Option<u64>,
    pub restart_loop_window: Option<Duration>,
}

/// The top-level `x-phi` settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectXPhi {
    /// Variables that must be set and non-empty (checked by `phi check-auth`).
    pub required_env: Vec<String>,
    /// The env template to read, relative to the project directory
    /// (default: `config.env.template` there).
    pub env_template: Option<String>,
    /// Project-wide `phi monitor` thresholds.
    pub limits: Limits,
    /// Commands `phi start-all` requires on PATH before it touches anything.
    pub requires: Vec<String>,
    /// Defaults for `phi backup`.
    pub backup: BackupDefaults,
}

pub fn parse_service(
    service: &str,
    value: &Value,
    origin: &str,
    diag: &mut Diagnostics,
) -> Result<ServiceXPhi, ConfigError> {
    let prefix = format!("services.{service}.x-phi");
    let map = match value {
        Value::Null => return Ok(ServiceXPhi::default()),
        Value::Mapping(map) => map,
        _ => return Err(invalid(origin, &prefix, "must be a mapping".into())),
    };
    warn_unknown(map, SERVICE_KEYS, origin, &prefix, diag);
    let mut out = ServiceXPhi::default();
    if let Some(v) = map.get("health_url") {
        let key = format!("{prefix}.health_url");
        let url = v
            .as_str()
            .ok_or_else(|| invalid(origin, &key, "must be a string".into()))?;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(invalid(
                origin,
                &key,
                format!("`{url}` is not an http:// or https:// URL"),
            ));
        }
        out.health_url = Some(url.to_string());
    }
    if let Some(v) = map.get("health_timeout") {
        let key = format!("{prefix}.health_timeout");
        out.health_timeout = Some(duration(v).map_err(|m| invalid(origin, &key, m))?);
    }
    out.limits = limits(map, origin, &prefix)?;
    if let Some(v) = map.get("post_start") {
        out.post_start = commands(v, origin, &format!("{prefix}.post_start"))?;
    }
    if let Some(v) = map.get("backup") {
        out.backup = parse_backup(v, origin, &format!("{prefix}.backup"), diag)?;
    }
    Ok(out)
}

/// A list of commands: each a shell line (run by `/bin/sh -c`) or a non-empty list of words.
fn commands(value: &Value, origin: &str, key: &str) -> Result<Vec<Vec<String>>, ConfigError> {
    let items = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Sequence(items) => items,
        _ => return Err(invalid(origin, key, "must be a list of commands".into())),
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| command(item, origin, &format!("{key}[{i}]")))
        .collect()
}

/// One command: a shell line (run by `/bin/sh -c`) or a non-empty list of words.
fn command(item: &Value, origin: &str, key: &str) -> Result<Vec<String>, ConfigError> {
    let bad = || {
        invalid(
            origin,
            key,
            "must be a shell command line or a non-empty list of words".into(),
        )
    };
    let command = match item {
        Value::Sequence(words) => words
            .iter()
            .map(|w| super::scalar_text(w).ok_or_else(bad))
            .collect::<Result<Vec<_>, _>>()?,
        v => {
            let line = super::scalar_text(v).ok_or_else(bad)?;
            vec!["/bin/sh".into(), "-c".into(), line]
        }
    };
    if command.is_empty() || command.iter().all(|w| w.trim().is_empty()) {
        return Err(bad());
    }
    Ok(command)
}

fn parse_backup(
    value: &Value,
    origin: &str,
    prefix: &str,
    diag: &mut Diagnostics,
) -> Result<Option<BackupSpec>, ConfigError> {
    let map = match value {
        Value::Null => return Ok(None),
        Value::Mapping(map) => map,
        _ => return Err(invalid(origin, prefix, "must be a mapping".into())),
    };
    warn_unknown(map, BACKUP_KEYS, origin, prefix, diag);
    let key = |k: &str| format!("{prefix}.{k}");
    let mut spec = BackupSpec::default();
    match map.get("postgres") {
        None | Some(Value::Null) | Some(Value::Bool(false)) => {}
        Some(Value::Bool(true)) => spec.postgres = Some(PostgresBackup::default()),
        Some(Value::Mapping(pg)) => {
            let k = key("postgres");
            warn_unknown(pg, POSTGRES_KEYS, origin, &k, diag);
            let text = |name: &str| -> Result<Option<String>, ConfigError> {
                match pg.get(name) {
                    None | Some(Value::Null) => Ok(None),
                    Some(v) => super::scalar_text(v)
                        .filter(|t| !t.trim().is_empty())
                        .map(Some)
                        .ok_or_else(|| {
                            invalid(origin, &format!("{k}.{name}"), "must be a name".into())
                        }),
                }
            };
            let plain = match text("format")?.as_deref() {
                None | Some("custom") => false,
                Some("plain") => true,
                Some(other) => {
                    return Err(invalid(
                        origin,
                        &format!("{k}.format"),
                        format!("`{other}` is not a dump format (custom or plain)"),
                    ));
                }
            };
            spec.postgres = Some(PostgresBackup {
                plain,
                database: text("database")?,
                user: text("user")?,
            });
        }
        Some(_) => {
            return Err(invalid(
                origin,
                &key("postgres"),
                "must be true or a mapping (format, database, user)".into(),
            ));
        }
    }
    let flag = |name: &str| match map.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(invalid(origin, &key(name), "must be true or false".into())),
    };
    spec.redis = flag("redis")?;
    spec.stop = flag("stop")?;
    spec.volumes = string_list(
        map.get("volumes"),
        origin,
        &key("volumes"),
        |v| !v.is_empty() && !v.contains('/'),
        "a volume name",
    )?;
    spec.paths = string_list(
        map.get("paths"),
        origin,
        &key("paths"),
        |p| p.starts_with('/') && p != "/",
        "an absolute path inside the container (not `/`)",
    )?;
    spec.pre = optional_command(map.get("pre"), origin, &key("pre"))?;
    spec.post = optional_command(map.get("post"), origin, &key("post"))?;
    match map.get("drill") {
        None | Some(Value::Null) => {}
        Some(Value::Mapping(drill)) => {
            let k = key("drill");
            warn_unknown(drill, DRILL_KEYS, origin, &k, diag);
            let check = format!("{k}.check");
            spec.drill_checks = match drill.get("check") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::String(one)) if !one.trim().is_empty() => vec![one.clone()],
                Some(v @ Value::Sequence(_)) => string_list(
                    Some(v),
                    origin,
                    &check,
                    |q| !q.trim().is_empty(),
                    "an SQL query",
                )?,
                Some(_) => {
                    return Err(invalid(
                        origin,
                        &check,
                        "must be an SQL query or a list of them".into(),
                    ));
                }
            };
            if !spec.drill_checks.is_empty() && spec.postgres.is_none() {
                return Err(invalid(
                    origin,
                    &check,
                    "applies to a postgres backup, and none is declared".into(),
                ));
            }
        }
        Some(_) => {
            return Err(invalid(
                origin,
                &key("drill"),
                "must be a mapping (check)".into(),
            ));
        }
    }
    if spec.postgres.is_none() && !spec.redis && spec.volumes.is_empty() && spec.paths.is_empty() {
        return Err(invalid(
            origin,
            prefix,
            "declares nothing to back up; give postgres, redis, volumes or paths".into(),
        ));
    }
    if spec.stop && spec.volumes.is_empty() && spec.paths.is_empty() {
        return Err(invalid(
            origin,
            &key("stop"),
            "only applies to volumes and paths, and none are declared".into(),
        ));
    }
    Ok(Some(spec))
}

fn string_list(
    value: Option<&Value>,
    origin: &str,
    key: &str,
    valid: impl Fn(&str) -> bool,
    what: &str,
) -> Result<Vec<String>, ConfigError> {
    let items = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Sequence(items)) => items,
        Some(_) => return Err(invalid(origin, key, format!("must be a list, each {what}"))),
    };
    let mut out: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let text = super::scalar_text(item)
            .filter(|t| valid(t))
            .ok_or_else(|| invalid(origin, &format!("{key}[{i}]"), format!("must be {what}")))?;
        if !out.contains(&text) {
            out.push(text);
        }
    }
    Ok(out)
}

/// A command that may be left out.
fn optional_command(
    value: Option<&Value>,
    origin: &str,
    key: &str,
) -> Result<Option<Vec<String>>, ConfigError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(v) => command(v, origin, key).map(Some),
    }
}

fn parse_backup_defaults(
    value: &Value,
    origin: &str,
    diag: &mut Diagnostics,
) -> Result<BackupDefaults, ConfigError> {
    let prefix = "x-phi.backup";
    let map = match value {
        Value::Null => return Ok(BackupDefaults::default()),
        Value::Mapping(map) => map,
        _ => return Err(invalid(origin, prefix, "must be a mapping".into())),
    };
    warn_unknown(map, BACKUP_DEFAULT_KEYS, origin, prefix, diag);
    let key = |k: &str| format!("{prefix}.{k}");
    let mut out = BackupDefaults::default();
    if let Some(v) = map.get("dir").filter(|v| !v.is_null()) {
        out.dir = Some(
            super::scalar_text(v)
                .filter(|t| !t.trim().is_empty())
                .ok_or_else(|| invalid(origin, &key("dir"), "must be a directory path".into()))?,
        );
    }
    if let Some(v) = map.get("compression").filter(|v| !v.is_null()) {
        let text = super::scalar_text(v).unwrap_or_default();
        if text != "zstd" && text != "gzip" {
            return Err(invalid(
                origin,
                &key("compression"),
                "must be zstd or gzip".into(),
            ));
        }
        out.compression = Some(text);
    }
    let whole = |k: &str, min: f64| -> Result<Option<u64>, ConfigError> {
        match map.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => number(v)
                .filter(|x| x.fract() == 0.0 && *x >= min)
                .map(|x| Some(x as u64))
                .ok_or_else(|| {
                    invalid(
                        origin,
                        &key(k),
                        format!("must be a whole number of {min} or more"),
                    )
                }),
        }
    };
    out.keep_last = whole("keep_last", 1.0)?;
    out.keep_days = whole("keep_days", 0.0)?;
    out.age_recipients = match map.get("age_recipients") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(one)) if !one.trim().is_empty() => vec![one.trim().to_string()],
        Some(v @ Value::Sequence(_)) => string_list(
            Some(v),
            origin,
            &key("age_recipients"),
            |r| !r.trim().is_empty(),
            "an age public key (age1...)",
        )?,
        Some(_) => {
            return Err(invalid(
                origin,
                &key("age_recipients"),
                "must be an age public key (age1...) or a list of them".into(),
            ));
        }
    };
    if let Some(v) = map.get("prometheus").filter(|v| !v.is_null()) {
        out.prometheus = Some(
            super::scalar_text(v)
                .filter(|t| !t.trim().is_empty())
                .ok_or_else(|| invalid(origin, &key("prometheus"), "must be a file path".into()))?,
        );
    }
    out.keep_local = whole("keep_local", 0.0)?;
    if let Some(v) = map.get("targets") {
        out.targets = super::backup_targets::parse(v, origin, &key("targets"))?;
    }
    Ok(out)
}

pub fn parse_project(
    value: &Value,
    origin: &str,
    diag: &mut Diagnostics,
) -> Result<ProjectXPhi, ConfigError> {
    let map = match value {
        Value::Null => return Ok(ProjectXPhi::default()),
        Value::Mapping(map) => map,
        _ => return Err(invalid(origin, "x-phi", "must be a mapping".into())),
    };
    warn_unknown(map, PROJECT_KEYS, origin, "x-phi", diag);
    let mut out = ProjectXPhi::default();
    for (i, name) in names(map, origin, "required_env", "variable name")? {
        if !is_variable_name(&name) {
            return Err(invalid(
                origin,
                &format!("x-phi.required_env[{i}]"),
                format!(
                    "`{name}` is not a variable name (letters, digits and `_`, not starting with a digit)"
                ),
            ));
        }
        if !out.required_env.contains(&name) {
            out.required_env.push(name);
        }
    }
    if let Some(v) = map.get("env_template") {
        let path = v
            .as_str()
            .filter(|p| !p.trim().is_empty())
            .ok_or_else(|| invalid(origin, "x-phi.env_template", "must be a file path".into()))?;
        out.env_template = Some(path.to_string());
    }
    out.limits = limits(map, origin, "x-phi")?;
    out.requires = names(map, origin, "requires", "command name")?
        .into_iter()
        .map(|(_, name)| name)
        .collect();
    if let Some(v) = map.get("backup") {
        out.backup = parse_backup_defaults(v, origin, diag)?;
    }
    Ok(out)
}

/// The top-level `x-phi.<key>` as a list of non-empty strings, each with its index.
fn names(
    map: &serde_norway::Mapping,
    origin: &str,
    key: &str,
    what: &str,
) -> Result<Vec<(usize, String)>, ConfigError> {
    let items = match map.get(key) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Sequence(items)) => items,
        Some(_) => {
            return Err(invalid(
                origin,
                &format!("x-phi.{key}"),
                format!("must be a list of {what}s"),
            ));
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            item.as_str()
                .filter(|n| !n.trim().is_empty())
                .map(|n| (i, n.to_string()))
                .ok_or_else(|| {
                    invalid(
                        origin,
                        &format!("x-phi.{key}[{i}]"),
                        format!("must be a {what}"),
                    )
                })
        })
        .collect()
}

/// `[A-Za-z_][A-Za-z0-9_]*`, as the shell and Compose accept.
pub fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn limits(map: &serde_norway::Mapping, origin: &str, prefix: &str) -> Result<Limits, ConfigError> {
    let bad = |key: &str, what: &str| invalid(origin, &format!("{prefix}.{key}"), what.into());
    let percent = |key: &str| -> Result<Option<f64>, ConfigError> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => number(v)
                .filter(|x| x.is_finite() && *x >= 0.0)
                .map(Some)
                .ok_or_else(|| bad(key, "must be a percentage (a number of 0 or more)")),
        }
    };
    let max_restarts = match map.get("max_restarts") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            number(v)
                .filter(|x| x.fract() == 0.0 && *x >= 0.0)
                .map(|x| x as u64)
                .ok_or_else(|| bad("max_restarts", "must be a whole number"))?,
        ),
    };
    let restart_loop = match map.get("restart_loop") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            number(v)
                .filter(|x| x.fract() == 0.0 && *x >= 0.0)
                .map(|x| x as u64)
                .ok_or_else(|| bad("restart_loop", "must be a whole number (0 turns it off)"))?,
        ),
    };
    let restart_loop_window = match map.get("restart_loop_window") {
        None | Some(Value::Null) => None,
        Some(v) => match duration(v) {
            Ok(d) if !d.is_zero() => Some(d),
            Ok(_) => return Err(bad("restart_loop_window", "must be longer than 0s")),
            Err(m) => return Err(bad("restart_loop_window", &m)),
        },
    };
    Ok(Limits {
        cpu_threshold: percent("cpu_threshold")?,
        mem_threshold: percent("mem_threshold")?,
        max_restarts,
        restart_loop,
        restart_loop_window,
    })
}

/// A number, also when interpolation turned it into a string.
fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().trim_end_matches('%').parse().ok(),
        _ => None,
    }
}

/// A Compose-style duration: `10s`, `1m30s`, `500ms`, or a number of seconds.
pub fn duration(value: &Value) -> Result<Duration, String> {
    match value {
        Value::Number(n) => n
            .as_f64()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(Duration::from_secs_f64)
            .ok_or_else(|| format!("`{n}` is not a duration")),
        Value::String(s) => crate::units::parse_duration(s),
        _ => Err("must be a duration such as 5s".into()),
    }
}

fn warn_unknown(
    map: &serde_norway::Mapping,
    known: &[&str],
    origin: &str,
    prefix: &str,
    diag: &mut Diagnostics,
) {
    for key in map.keys() {
        let key = key.as_str().unwrap_or("?");
        if !known.contains(&key) {
            let known = if known.is_empty() {
                "none yet".to_string()
            } else {
                known.join(", ")
            };
            diag.warnings.push(format!(
                "{origin}: `{prefix}.{key}` is not a phi setting and is ignored (known here: {known})"
            ));
        }
    }
}

fn invalid(origin: &str, key: &str, message: String) -> ConfigError {
    ConfigError::Invalid {
        path: origin.to_string(),
        key: key.to_string(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> (Result<ServiceXPhi, ConfigError>, Diagnostics) {
        let mut diag = Diagnostics::default();
        let value: Value = serde_norway::from_str(yaml).unwrap();
        (
            parse_service("web", &value, "compose.yaml", &mut diag),
            diag,
        )
    }

    #[test]
    fn health_settings_are_read() {
        let (x, diag) = parse("health_url: http://127.0.0.1:8080/health\nhealth_timeout: 2s\n");
        let x = x.unwrap();
        assert_eq!(
            x.health_url.as_deref(),
            Some("http://127.0.0.1:8080/health")
        );
        assert_eq!(x.health_timeout, Some(Duration::from_secs(2)));
        assert!(diag.warnings.is_empty());
    }

    #[test]
    fn unknown_keys_are_warned_not_dropped_silently() {
        let (x, diag) = parse("helth_url: http://x\n");
        assert_eq!(x.unwrap(), ServiceXPhi::default());
        assert_eq!(diag.warnings.len(), 1);
        assert!(diag.warnings[0].contains("services.web.x-phi.helth_url"));
        assert!(diag.warnings[0].contains("health_url"));
    }

    fn parse_top(yaml: &str) -> (Result<ProjectXPhi, ConfigError>, Diagnostics) {
        let mut diag = Diagnostics::default();
        let value: Value = serde_norway::from_str(yaml).unwrap();
        (parse_project(&value, "compose.yaml", &mut diag), diag)
    }

    #[test]
    fn project_settings_are_read() {
        let (x, diag) =
            parse_top("required_env: [A, B_2, A]\nenv_template: deploy/config.env.template\n");
        let x = x.unwrap();
        assert_eq!(x.required_env, ["A", "B_2"]);
        assert_eq!(
            x.env_template.as_deref(),
            Some("deploy/config.env.template")
        );
        assert!(diag.warnings.is_empty());
        let (x, diag) = parse_top("requierd_env: [A]\n");
        assert_eq!(x.unwrap(), ProjectXPhi::default());
        assert!(diag.warnings[0].contains("x-phi.requierd_env"), "{diag:?}");
    }

    #[test]
    fn start_all_settings_are_read() {
        let (x, _) = parse("post_start:\n  - flask db upgrade\n  - [python, seed.py, \"a b\"]\n");
        assert_eq!(
            x.unwrap().post_start,
            [
                vec!["/bin/sh", "-c", "flask db upgrade"],
                vec!["python", "seed.py", "a b"]
            ]
        );
        for bad in [
            "post_start: flask\n",
            "post_start: [[]]\n",
            "post_start: [{a: b}]\n",
        ] {
            let err = parse(bad).0.unwrap_err().to_string();
            assert!(
                err.contains("services.web.x-phi.post_start"),
                "{bad}: {err}"
            );
        }
        let (x, _) = parse_top("requires: [pg_dump, gcloud]\n");
        assert_eq!(x.unwrap().requires, ["pg_dump", "gcloud"]);
        let err = parse_top("requires: [1, '']\n").0.unwrap_err().to_string();
        assert!(err.contains("x-phi.requires[0]"), "{err}");
    }

    #[test]
    fn bad_project_settings_name_the_key() {
        for (yaml, key) in [
            ("required_env: A\n", "x-phi.required_env"),
            ("required_env: [A, 1x]\n", "x-phi.required_env[1]"),
            ("required_env: [{a: b}]\n", "x-phi.required_env[0]"),
            ("env_template: ''\n", "x-phi.env_template"),
            ("env_template: [a]\n", "x-phi.env_template"),
        ] {
            let err = parse_top(yaml).0.unwrap_err().to_string();
            assert!(err.contains(&format!("`{key}`")), "{yaml}: {err}");
        }
        assert!(is_variable_name("_A1") && !is_variable_name("") && !is_variable_name("A-B"));
    }

    #[test]
    fn monitor_limits_are_read_from_numbers_and_interpolated_strings() {
        let (x, diag) = parse("cpu_threshold: 150\nmem_threshold: \"75\"\nmax_restarts: 3\n");
        let x = x.unwrap();
        assert_eq!(
            x.limits,
            Limits {
                cpu_threshold: Some(150.0),
                mem_threshold: Some(75.0),
                max_restarts: Some(3),
                ..Limits::default()
            }
        );
        assert!(diag.warnings.is_empty());
        let (x, _) = parse("max_restarts: 1.5\n");
        assert!(
            x.unwrap_err()
                .to_string()
                .contains("services.web.x-phi.max_restarts")
        );
        let (x, _) = parse("cpu_threshold: lots\n");
        assert!(x.unwrap_err().to_string().contains("cpu_threshold"));
    }

    #[test]
    fn restart_loop_settings_are_read_and_checked() {
        let (x, diag) = parse("restart_loop: 5\nrestart_loop_window: 2m\n");
        let l = x.unwrap().limits;
        assert_eq!(l.restart_loop, Some(5));
        assert_eq!(l.restart_loop_window, Some(Duration::from_secs(120)));
        assert!(diag.warnings.is_empty());
        let (x, _) = parse("restart_loop: 0\n");
        assert_eq!(x.unwrap().limits.restart_loop, Some(0));
        for (yaml, key) in [
            ("restart_loop: -1\n", "services.web.x-phi.restart_loop"),
            (
                "restart_loop_window: 0s\n",
                "services.web.x-phi.restart_loop_window",
            ),
            (
                "restart_loop_window: soon\n",
                "services.web.x-phi.restart_loop_window",
            ),
        ] {
            let err = parse(yaml).0.unwrap_err().to_string();
            assert!(err.contains(key), "{yaml}: {err}");
        }
        let (x, _) = parse_top("restart_loop_window: 30s\n");
        assert_eq!(
            x.unwrap().limits.restart_loop_window,
            Some(Duration::from_secs(30))
        );
    }

    #[test]
    fn backup_settings_are_read() {
        let (x, diag) = parse(
            "backup:\n  postgres: { format: plain, database: shop }\n  volumes: [media, media]\n  \
             paths: [/srv/conf]\n  stop: true\n  pre: sync\n  post: [echo, done]\n",
        );
        let b = x.unwrap().backup.unwrap();
        assert_eq!(
            b.postgres,
            Some(PostgresBackup {
                plain: true,
                database: Some("shop".into()),
                user: None
            })
        );
        assert_eq!(b.volumes, ["media"]);
        assert_eq!(b.paths, ["/srv/conf"]);
        assert!(b.stop && !b.redis);
        assert_eq!(b.pre.unwrap(), ["/bin/sh", "-c", "sync"]);
        assert_eq!(b.post.unwrap(), ["echo", "done"]);
        assert!(diag.warnings.is_empty(), "{diag:?}");
        let (x, _) = parse("backup: { redis: true }\n");
        assert!(x.unwrap().backup.unwrap().redis);
        let (x, _) = parse("backup: { postgres: true, volume: [a] }\n");
        assert!(x.is_ok());
        let (top, _) =
            parse_top("backup: { dir: /srv/b, compression: gzip, keep_last: 3, keep_days: 14 }\n");
        let top = top.unwrap().backup;
        assert_eq!(top.dir.as_deref(), Some("/srv/b"));
        assert_eq!(top.compression.as_deref(), Some("gzip"));
        assert_eq!((top.keep_last, top.keep_days), (Some(3), Some(14)));
    }

    #[test]
    fn drill_checks_age_recipients_and_the_textfile_are_read() {
        let (x, diag) =
            parse("backup:\n  postgres: true\n  drill: { check: 'select count(*) > 0 from t' }\n");
        let b = x.unwrap().backup.unwrap();
        assert_eq!(b.drill_checks, ["select count(*) > 0 from t"]);
        assert!(diag.warnings.is_empty(), "{diag:?}");
        let (x, _) = parse("backup:\n  postgres: true\n  drill: { check: [a, b] }\n");
        assert_eq!(x.unwrap().backup.unwrap().drill_checks, ["a", "b"]);
        let (x, _) = parse("backup:\n  redis: true\n  drill: { check: a }\n");
        assert!(format!("{}", x.unwrap_err()).contains("backup.drill.check"));
        let (top, _) = parse_top("backup: { age_recipients: age1x, prometheus: m/phi.prom }\n");
        let top = top.unwrap().backup;
        assert_eq!(top.age_recipients, ["age1x"]);
        assert_eq!(top.prometheus.as_deref(), Some("m/phi.prom"));
        let (top, _) = parse_top("backup: { age_recipients: [age1a, age1b] }\n");
        assert_eq!(top.unwrap().backup.age_recipients, ["age1a", "age1b"]);
        let (top, _) = parse_top("backup: { age_recipients: 3 }\n");
        assert!(format!("{}", top.unwrap_err()).contains("x-phi.backup.age_recipients"));
    }

    #[test]
    fn bad_backup_settings_name_the_key() {
        for (yaml, key) in [
            ("backup: yes-please\n", "services.web.x-phi.backup"),
            ("backup: {}\n", "services.web.x-phi.backup"),
            (
                "backup: { postgres: { format: tar } }\n",
                "services.web.x-phi.backup.postgres.format",
            ),
            (
                "backup: { postgres: 3 }\n",
                "services.web.x-phi.backup.postgres",
            ),
            (
                "backup: { redis: maybe }\n",
                "services.web.x-phi.backup.redis",
            ),
            (
                "backup: { volumes: a }\n",
                "services.web.x-phi.backup.volumes",
            ),
            (
                "backup: { volumes: [a/b] }\n",
                "services.web.x-phi.backup.volumes[0]",
            ),
            (
                "backup: { paths: [relative] }\n",
                "services.web.x-phi.backup.paths[0]",
            ),
            (
                "backup: { redis: true, stop: true }\n",
                "services.web.x-phi.backup.stop",
            ),
            (
                "backup: { redis: true, pre: [] }\n",
                "services.web.x-phi.backup.pre",
            ),
            (
                "backup: { redis: true, post: { run: x } }\n",
                "services.web.x-phi.backup.post",
            ),
        ] {
            let err = parse(yaml).0.unwrap_err().to_string();
            assert!(err.contains(&format!("`{key}`")), "{yaml}: {err}");
        }
        for (yaml, key) in [
            ("backup: { compression: xz }\n", "x-phi.backup.compression"),
            ("backup: { keep_last: 0 }\n", "x-phi.backup.keep_last"),
            ("backup: { keep_days: 1.5 }\n", "x-phi.backup.keep_days"),
            ("backup: { dir: '' }\n", "x-phi.backup.dir"),
        ] {
            let err = parse_top(yaml).0.unwrap_err().to_string();
            assert!(err.contains(&format!("`{key}`")), "{yaml}: {err}");
        }
    }

    #[test]
    fn bad_values_name_the_key() {
        let (x, _) = parse("health_url: ftp://x\n");
        let err = x.unwrap_err().to_string();
        assert!(err.contains("services.web.x-phi.health_url"), "{err}");
        let (x, _) = parse("health_timeout: soon\n");
        assert!(x.unwrap_err().to_string().contains("health_timeout"));
    }
}
