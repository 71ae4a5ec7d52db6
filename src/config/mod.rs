//! Configuration: env files, interpolation, compose files and phi's `x-phi` settings.
//! Everything here is pure apart from reading the files it is pointed at.
//!
//! Errors carry their cause either inline in the message or as `#[source]` (printed as a
//! `caused by:` line), never both.

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

/// A YAML string, number or boolean as text; `None` for anything else. Interpolation can turn
/// a number into a string, so readers accept either.
pub fn scalar_text(value: &serde_norway::Value) -> Option<String> {
    use serde_norway::Value;
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl ConfigError {
    pub fn exit(&self) -> Exit {
        Exit::Usage
    }
}
