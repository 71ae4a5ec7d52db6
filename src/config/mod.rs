//! Configuration: env files, interpolation, compose files and phi's `x-phi` settings.
//! Everything here is pure apart from reading the files it is pointed at.
//!
//! Errors carry their cause either inline in the message or as `#[source]` (printed as a
//! `caused by:` line), never both.

pub mod backup_targets;
pub mod canonical;
pub mod compose;
pub mod dotenv;
pub mod env;
pub mod extends;
pub mod graph;
pub mod include;
pub mod interpolate;
pub mod merge;
pub mod project;
pub mod shell;
pub mod xphi;
pub mod yaml;

use std::path::PathBuf;

use serde_norway::Value;

use crate::exit::Exit;
pub use project::Project;

/// A configuration problem: always exit 2, and always names the file, line or key.
/// No variant ever carries a variable's value.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read file")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "{path}:{line}: invalid line in env file: {message} (the line is not shown, it may hold a secret)"
    )]
    EnvLine {
        path: PathBuf,
        line: usize,
        message: String,
    },

    #[error("{path}:{line}:{column}: invalid YAML: {message}")]
    Yaml {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },

    #[error("{path}: invalid YAML: {message}")]
    YamlNoLocation { path: PathBuf, message: String },

    #[error("{path}: `{key}`: {error}")]
    Interpolation {
        path: PathBuf,
        key: String,
        error: interpolate::InterpolationError,
    },

    #[error("{path}: `{key}`: {message}")]
    Invalid {
        path: String,
        key: String,
        message: String,
    },

    #[error(
        "no compose file found in {dir} or its parent folders (looked for {candidates}); name one with -f"
    )]
    NoComposeFile { dir: PathBuf, candidates: String },

    #[error("{0}")]
    Merge(#[from] merge::MergeError),

    #[error("invalid project name `{name}` (from {origin}): {reason}")]
    ProjectName {
        name: String,
        origin: String,
        reason: String,
    },

    /// Several problems in one file, reported together (each `${VAR:?}` that is not set).
    #[error("{} problems:\n{}", .0.len(), .0.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
    Several(Vec<ConfigError>),

    #[error("no such service: {names} (declared: {declared})")]
    UnknownService { names: String, declared: String },

    #[error("both {var} ({var_origin}) and {var}_FILE ({file_origin}) are set; keep one")]
    BothSet {
        var: String,
        var_origin: String,
        file_origin: String,
    },

    #[error("{var}_FILE ({origin}) points at {path}, which cannot be read")]
    SecretFile {
        var: String,
        origin: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// `path` with `.` removed and `..` resolved lexically, as Compose does for bind sources,
/// build contexts and `extends` files.
pub fn normalize_path(path: &std::path::Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// A YAML string, number or boolean as text, the way Go's `fmt.Sprint` writes what yaml.v3
/// decoded (what Compose prints and runs): `1.0` is `1`, `1e3` is `1000`, `1.5e-7` is
/// `1.5e-07`, `.inf` is `+Inf`. `None` for null, mappings and sequences. Interpolation can
/// turn a number into a string, so readers accept either.
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(if let Some(i) = n.as_i64() {
            i.to_string()
        } else if let Some(u) = n.as_u64() {
            u.to_string()
        } else {
            go_float(n.as_f64().unwrap_or(0.0))
        }),
        Value::Tagged(t) => scalar_text(&t.value),
        _ => None,
    }
}

/// Go's `%v` for a float64: the shortest digits, in exponent form when the exponent is
/// below -4 or at least 6 (with `shortest`, strconv's `%g` decides with precision 6).
pub fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // Rust's `{:e}` gives the shortest round-tripping digits: `1.5e-7`, `1e3`.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if f < 0.0 { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{frac}e{esign}{:02}", exp.abs());
    }
    let point = exp + 1; // digits before the decimal point
    let text = if point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else if (point as usize) >= digits.len() {
        format!("{digits}{}", "0".repeat(point as usize - digits.len()))
    } else {
        let (int, frac) = digits.split_at(point as usize);
        format!("{int}.{frac}")
    };
    format!("{sign}{text}")
}

impl ConfigError {
    pub fn exit(&self) -> Exit {
        Exit::Usage
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_text_writes_numbers_as_compose_prints_and_runs_them() {
        // What start-all puts in a container's environment and phi config prints, as
        // Compose does: `E: 1e3` is E=1000, not E=1000.0.
        for (yaml, want) in [
            ("1e3", "1000"),
            ("1.0", "1"),
            ("0.5", "0.5"),
            ("1.5e-7", "1.5e-07"),
            (".inf", "+Inf"),
            ("0755", "493"),
            ("true", "true"),
            ("x", "x"),
        ] {
            let value = yaml::parse(&format!("v: {yaml}\n")).unwrap()["v"].clone();
            assert_eq!(scalar_text(&value).as_deref(), Some(want), "{yaml}");
        }
        assert_eq!(scalar_text(&Value::Null), None);
    }
}
