//! The variable overlay: env files loaded into a map, under the process environment.
//!
//! Precedence, highest first: the process environment, then `--env-file` files (a later file
//! wins over an earlier one), else the project's `.env`. The process environment itself is
//! never modified, and no parent directory is searched: only the paths named are read.
//!
//! The `VAR_FILE` convention: when `VAR` is looked up and only `VAR_FILE` is set, the value is
//! the content of that file (one trailing newline removed). Both set is an error.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::ConfigError;
use crate::redact::{Redactor, is_secret_name};

/// Where a variable's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Process,
    File {
        path: PathBuf,
        line: usize,
    },
    /// Set by phi as Compose sets it (`COMPOSE_PROJECT_NAME`: the project's name).
    Provided,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Process => write!(f, "process environment"),
            Origin::File { path, line } => write!(f, "{}:{line}", path.display()),
            Origin::Provided => write!(f, "set by phi, as Compose sets it"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Var {
    pub value: String,
    pub origin: Origin,
}

/// The merged variables phi resolves names against.
#[derive(Debug, Clone)]
pub struct Env {
    vars: BTreeMap<String, Var>,
    /// Relative `*_FILE` paths are taken from here (the project directory).
    base_dir: PathBuf,
    redactor: Redactor,
}

impl Env {
    /// Build the overlay: `files` in order (later wins), then `process` over everything.
    /// Values of secret-looking names are registered with `redactor` at once.
    pub fn load(
        process: impl IntoIterator<Item = (String, String)>,
        files: &[PathBuf],
        base_dir: &Path,
        redactor: Redactor,
    ) -> Result<Env, ConfigError> {
        let process: BTreeMap<String, String> = process.into_iter().collect();
        let mut vars: BTreeMap<String, Var> = BTreeMap::new();
        for path in files {
            // Compose's order for `${...}` inside a file: the environment, then the file's own
            // earlier keys, then the files read before it.
            let lookup = |name: &str| process.get(name).cloned();
            let fallback = |name: &str| vars.get(name).map(|v| v.value.clone());
            let entries = parse_env_file(path, &lookup, &fallback)?;
            for (key, value, line) in entries {
                let origin = Origin::File {
                    path: path.clone(),
                    line,
                };
                vars.insert(key, Var { value, origin });
            }
        }
        for (key, value) in process {
            vars.insert(
                key,
                Var {
                    value,
                    origin: Origin::Process,
                },
            );
        }
        for (key, var) in &vars {
            if is_secret_name(key) {
                redactor.add(&var.value);
            }
        }
        Ok(Env {
            vars,
            base_dir: base_dir.to_path_buf(),
            redactor,
        })
    }

    /// The variable as set, without the `_FILE` convention.
    pub fn raw(&self, name: &str) -> Option<&Var> {
        self.vars.get(name)
    }

    /// A variable's value as set (no `VAR_FILE` convention, as Compose reads a secret's
    /// `environment:`), registered as a secret whatever its name, so no output shows it.
    pub fn secret(&self, name: &str) -> Option<String> {
        let value = self.vars.get(name)?.value.clone();
        self.redactor.add(&value);
        Some(value)
    }

    /// A variable's value, honouring the `VAR_FILE` convention.
    pub fn get(&self, name: &str) -> Result<Option<String>, ConfigError> {
        let file_var = format!("{name}_FILE");
        let direct = self.vars.get(name);
        let indirect = if name.ends_with("_FILE") {
            None
        } else {
            self.vars.get(&file_var)
        };
        match (direct, indirect) {
            (Some(var), Some(file)) => Err(ConfigError::BothSet {
                var: name.to_string(),
                var_origin: var.origin.to_string(),
                file_origin: file.origin.to_string(),
            }),
            (Some(var), None) => Ok(Some(var.value.clone())),
            (None, Some(file)) => {
                let path = self.base_dir.join(&file.value);
                let content = crate::files::read_text(&path, crate::files::MAX_SECRET_BYTES)
                    .map_err(|source| ConfigError::SecretFile {
                        var: name.to_string(),
                        origin: file.origin.to_string(),
                        path: path.clone(),
                        source,
                    })?;
                let value = strip_one_newline(&content).to_string();
                // Whatever came out of a secrets file is a secret, whatever its name.
                self.redactor.add(&value);
                Ok(Some(value))
            }
            (None, None) => Ok(None),
        }
    }

    /// This overlay with `name` set to `value` over whatever set it, as Compose sets
    /// `COMPOSE_PROJECT_NAME` to the project's name before it interpolates the files.
    pub fn with_provided(&self, name: &str, value: &str) -> Env {
        let mut env = self.clone();
        env.vars.insert(
            name.to_string(),
            Var {
                value: value.to_string(),
                origin: Origin::Provided,
            },
        );
        env
    }

    /// This overlay with relative `*_FILE` paths taken from `dir`.
    pub fn with_base_dir(mut self, dir: &Path) -> Env {
        self.base_dir = dir.to_path_buf();
        self
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.vars.keys().map(String::as_str)
    }

    /// This overlay with `files` under it: their variables are added where this one does not
    /// set them (what an `include`'s `env_file` does in Compose). `${...}` in the files is
    /// resolved against this overlay first.
    pub fn with_defaults_from(&self, files: &[PathBuf]) -> Result<Env, ConfigError> {
        let mut added: BTreeMap<String, Var> = BTreeMap::new();
        for path in files {
            let lookup = |name: &str| self.vars.get(name).map(|v| v.value.clone());
            let fallback = |name: &str| added.get(name).map(|v| v.value.clone());
            let entries = parse_env_file(path, &lookup, &fallback)?;
            for (key, value, line) in entries {
                let origin = Origin::File {
                    path: path.clone(),
                    line,
                };
                added.insert(key, Var { value, origin });
            }
        }
        let mut env = self.clone();
        for (key, var) in added {
            if !env.vars.contains_key(&key) {
                if is_secret_name(&key) {
                    env.redactor.add(&var.value);
                }
                env.vars.insert(key, var);
            }
        }
        Ok(env)
    }
}

/// An env file read with `format: raw`, as docker compose reads it (docker/cli's `kvfile`,
/// v28): each line with its leading whitespace removed; blank lines and `#` lines skipped;
/// `KEY=VALUE` taken as written (no quotes removed, no `${...}`, no comments, trailing
/// whitespace kept); a bare `KEY` takes `lookup`'s value, or is left out when it has none.
/// A key that is empty or holds a space or tab is an error naming the line (not its text,
/// which may hold a secret).
pub fn parse_raw_env_file(
    path: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(String, String)>, String> {
    let text = crate::files::read_text(path, crate::files::MAX_ENV_BYTES)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut out = Vec::new();
    for (n, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line).trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = match line.split_once('=') {
            Some((key, value)) => (key, Some(value)),
            None => (line, None),
        };
        let problem = if key.is_empty() {
            Some("no variable name")
        } else if key.contains([' ', '\t']) {
            Some("the variable name contains whitespace")
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(format!("{}:{}: {problem}", path.display(), n + 1));
        }
        match value {
            Some(value) => out.push((key.to_string(), value.to_string())),
            None => out.extend(lookup(key).map(|value| (key.to_string(), value))),
        }
    }
    Ok(out)
}

fn strip_one_newline(s: &str) -> &str {
    s.strip_suffix("\r\n")
        .or_else(|| s.strip_suffix('\n'))
        .unwrap_or(s)
}

/// Parse one env file as Compose reads it (see [`super::dotenv`]), keeping the line each key
/// was set on. Values are interpolated: `lookup` is asked first (the environment), then the
/// file's own earlier keys, then `fallback` (the keys of the files read before). A line
/// Compose would refuse is an error naming the file and line, never the line's content.
/// Entries with an empty key (`=value`, which Compose keeps) set nothing.
pub fn parse_env_file(
    path: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
    fallback: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(String, String, usize)>, ConfigError> {
    let content = crate::files::read_text(path, crate::files::MAX_ENV_BYTES).map_err(|source| {
        ConfigError::Read {
            path: path.to_path_buf(),
            source,
        }
    })?;
    let entries = super::dotenv::parse_with_fallback(&content, lookup, fallback).map_err(|e| {
        ConfigError::EnvLine {
            path: path.to_path_buf(),
            line: e.line,
            message: e.message,
        }
    })?;
    Ok(entries
        .into_iter()
        .filter(|e| !e.key.is_empty())
        .map(|e| (e.key, e.value, e.line))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_env_files_are_read_as_docker_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("raw.env");
        std::fs::write(
            &path,
            "\u{feff}RAW=\"quoted $HOME\" # kept\n  LEAD=x  \r\n'Q'='s'\nEQ==x\n# c\n\nBARE\nGONE\n",
        )
        .unwrap();
        let lookup = |k: &str| (k == "BARE").then(|| "looked-up".to_string());
        let read = parse_raw_env_file(&path, &lookup).unwrap();
        let expected = [
            ("RAW", "\"quoted $HOME\" # kept"),
            ("LEAD", "x  "),
            ("'Q'", "'s'"),
            ("EQ", "=x"),
            ("BARE", "looked-up"),
        ];
        assert_eq!(read, expected.map(|(k, v)| (k.to_string(), v.to_string())));
        for (text, line) in [("A=1\n=secret\n", ":2:"), ("export E=1\n", ":1:")] {
            std::fs::write(&path, text).unwrap();
            let err = parse_raw_env_file(&path, &lookup).unwrap_err();
            assert!(err.contains(line) && !err.contains("secret"), "{err}");
        }
    }
    use std::io::Write;

    fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::File::create(&path)
            .unwrap()
            .write_all(content.as_bytes())
            .unwrap();
        path
    }

    fn process(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn process_env_wins_over_files_and_later_files_over_earlier() {
        let dir = tempfile::tempdir().unwrap();
        let a = write(dir.path(), "a.env", "A=from-a\nB=from-a\nC=from-a\n");
        let b = write(dir.path(), "b.env", "B=from-b\nC=from-b\n");
        let env = Env::load(
            process(&[("C", "from-process")]),
            &[a.clone(), b.clone()],
            dir.path(),
            Redactor::new(),
        )
        .unwrap();
        assert_eq!(env.get("A").unwrap().as_deref(), Some("from-a"));
        assert_eq!(env.get("B").unwrap().as_deref(), Some("from-b"));
        assert_eq!(env.get("C").unwrap().as_deref(), Some("from-process"));
        assert_eq!(
            env.raw("B").unwrap().origin,
            Origin::File { path: b, line: 1 }
        );
        assert_eq!(env.raw("C").unwrap().origin, Origin::Process);
        assert_eq!(env.get("MISSING").unwrap(), None);
    }

    #[test]
    fn lines_are_recorded_with_export_comments_and_quotes() {
        let dir = tempfile::tempdir().unwrap();
        let f = write(
            dir.path(),
            ".env",
            "# comment\n\nexport USER_NAME=phi\nQUOTED=\"a b\"\nEMPTY=\n",
        );
        let parsed = parse_env_file(&f, &|_| None, &|_| None).unwrap();
        assert_eq!(
            parsed,
            vec![
                ("USER_NAME".into(), "phi".into(), 3),
                ("QUOTED".into(), "a b".into(), 4),
                ("EMPTY".into(), "".into(), 5),
            ]
        );
    }

    #[test]
    fn a_bad_line_names_file_and_line_but_never_the_value() {
        let dir = tempfile::tempdir().unwrap();
        let f = write(
            dir.path(),
            ".env",
            "GOOD=1\nPASSWORD=ok\nthis line has the-secret-value but no equals sign\n",
        );
        let err = parse_env_file(&f, &|_| None, &|_| None).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(".env:3:"), "{text}");
        assert!(!text.contains("the-secret-value"), "{text}");
    }

    #[test]
    fn lines_compose_reads_and_dotenvy_refused_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let a = write(
            dir.path(),
            "a.env",
            "SPACED=a b\nQUOTE=a'b\nFLAG=false  # comment\nBASE=x\n",
        );
        let b = write(
            dir.path(),
            "b.env",
            "DERIVED=${BASE}-${MISSING:-dflt}\nFROM_ENV=$HOME_DIR/data\n",
        );
        let env = Env::load(
            process(&[("HOME_DIR", "/home/me")]),
            &[a, b],
            dir.path(),
            Redactor::new(),
        )
        .unwrap();
        let get = |k: &str| env.get(k).unwrap();
        assert_eq!(get("SPACED").as_deref(), Some("a b"));
        assert_eq!(get("QUOTE").as_deref(), Some("a'b"));
        assert_eq!(get("FLAG").as_deref(), Some("false"));
        // Interpolated from the earlier file, with defaults, and from the environment.
        assert_eq!(get("DERIVED").as_deref(), Some("x-dflt"));
        assert_eq!(get("FROM_ENV").as_deref(), Some("/home/me/data"));
    }

    #[test]
    fn a_missing_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let err = parse_env_file(&dir.path().join("nope.env"), &|_| None, &|_| None).unwrap_err();
        assert!(err.to_string().contains("nope.env"));
    }

    #[test]
    fn var_file_supplies_the_value_and_registers_it_as_secret() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "pw.txt", "s3cr3t-from-file\n");
        let redactor = Redactor::new();
        let env = Env::load(
            process(&[("DB_PASS_FILE", "pw.txt")]),
            &[],
            dir.path(),
            redactor.clone(),
        )
        .unwrap();
        assert_eq!(
            env.get("DB_PASS").unwrap().as_deref(),
            Some("s3cr3t-from-file")
        );
        assert_eq!(redactor.redact("x s3cr3t-from-file"), "x [redacted]");
    }

    #[test]
    fn var_and_var_file_both_set_is_an_error_naming_both() {
        let dir = tempfile::tempdir().unwrap();
        let env_file = write(dir.path(), ".env", "TOKEN_FILE=t.txt\n");
        let env = Env::load(
            process(&[("TOKEN", "value-here")]),
            &[env_file],
            dir.path(),
            Redactor::new(),
        )
        .unwrap();
        let text = env.get("TOKEN").unwrap_err().to_string();
        assert!(
            text.contains("TOKEN") && text.contains("TOKEN_FILE"),
            "{text}"
        );
        assert!(text.contains(".env:1"), "{text}");
        assert!(!text.contains("value-here"), "{text}");
    }

    #[test]
    fn an_unreadable_var_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let env = Env::load(
            process(&[("X_FILE", "absent.txt")]),
            &[],
            dir.path(),
            Redactor::new(),
        )
        .unwrap();
        assert!(matches!(
            env.get("X").unwrap_err(),
            ConfigError::SecretFile { .. }
        ));
    }

    #[test]
    fn secret_looking_values_are_registered_on_load() {
        let dir = tempfile::tempdir().unwrap();
        let f = write(
            dir.path(),
            ".env",
            "POSTGRES_PASSWORD=pg-pass-123\nUSER=bob\n",
        );
        let redactor = Redactor::new();
        Env::load(Vec::new(), &[f], dir.path(), redactor.clone()).unwrap();
        assert_eq!(redactor.redact("pg-pass-123 bob"), "[redacted] bob");
    }
}
