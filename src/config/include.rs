//! `include`: other compose projects pulled into this one, the way compose-go's
//! `loader/include.go` does it.
//!
//! - An entry is a path, or `{path: PATH | [PATH, ...], project_directory, env_file}`. Paths
//!   are relative to the including project's directory; several paths merge like `-f` files.
//! - The included project's directory is `project_directory` (relative to the including
//!   one), else the folder of its first file. Its relative paths (`build`, `env_file`, bind
//!   sources, secret and config files) are made absolute from there.
//! - Its variables: the including project's, then its `env_file`s (default: its own `.env`)
//!   for what those do not set.
//! - Its services, networks, volumes, secrets and configs join the including file's; where
//!   both define one, the including file's definition is merged over the imported one.
//! - A file that includes itself, directly or through others, is an error naming the chain.
//!
//! Loading the included files (their own `include`s and `extends` too) is the caller's: this
//! module reads the entries and imports the result.

use std::path::{Path, PathBuf};

use serde_norway::{Mapping, Value};

use super::ConfigError;
use super::{extends, merge};

/// One `include` entry, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The files, absolute, in merge order.
    pub files: Vec<PathBuf>,
    /// The included project's directory.
    pub directory: PathBuf,
    /// Env files to read for the included project, absolute.
    pub env_files: Vec<PathBuf>,
}

/// The `include` entries of `file`, whose project directory is `working_dir`.
pub fn entries(value: &Value, file: &Path, working_dir: &Path) -> Result<Vec<Entry>, ConfigError> {
    let invalid = |key: String, message: &str| ConfigError::Invalid {
        path: file.display().to_string(),
        key,
        message: message.into(),
    };
    let Value::Sequence(items) = value else {
        return Err(invalid("include".into(), "must be a list"));
    };
    let absolute = |base: &Path, p: &str| {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            base.join(p)
        }
    };
    let strings = |v: &Value, key: String| -> Result<Vec<String>, ConfigError> {
        match v {
            Value::String(s) => Ok(vec![s.clone()]),
            Value::Sequence(list) => list
                .iter()
                .map(|s| {
                    s.as_str()
                        .map(String::from)
                        .ok_or_else(|| invalid(key.clone(), "must be a path or a list of paths"))
                })
                .collect(),
            _ => Err(invalid(key, "must be a path or a list of paths")),
        }
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let key = format!("include[{i}]");
        let (paths, project_directory, env_files) = match item {
            Value::String(p) => (vec![p.clone()], None, None),
            Value::Mapping(m) => {
                for k in m.keys() {
                    let k = k.as_str().unwrap_or("?");
                    if !["path", "project_directory", "env_file"].contains(&k) {
                        return Err(invalid(format!("{key}.{k}"), "is not an include setting"));
                    }
                }
                let paths = match m.get("path") {
                    Some(v) => strings(v, format!("{key}.path"))?,
                    None => return Err(invalid(format!("{key}.path"), "is required")),
                };
                let dir = match m.get("project_directory") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(d)) => Some(d.clone()),
                    Some(_) => {
                        return Err(invalid(
                            format!("{key}.project_directory"),
                            "must be a path",
                        ));
                    }
                };
                let env = match m.get("env_file") {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(strings(v, format!("{key}.env_file"))?),
                };
                (paths, dir, env)
            }
            _ => {
                return Err(invalid(
                    key,
                    "must be a path or {path, project_directory, env_file}",
                ));
            }
        };
        if paths.is_empty() {
            return Err(invalid(format!("{key}.path"), "names no file"));
        }
        let files: Vec<PathBuf> = paths.iter().map(|p| absolute(working_dir, p)).collect();
        let directory = match project_directory {
            Some(d) => absolute(working_dir, &d),
            None => files[0]
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| working_dir.to_path_buf()),
        };
        let env_files = match env_files {
            None => {
                let default = directory.join(".env");
                if default.is_file() {
                    vec![default]
                } else {
                    Vec::new()
                }
            }
            Some(list) => list
                .iter()
                .filter(|f| f.as_str() != "/dev/null")
                .map(|f| absolute(working_dir, f))
                .collect(),
        };
        out.push(Entry {
            files,
            directory,
            env_files,
        });
    }
    Ok(out)
}

/// The error for an include cycle: `chain` is the files that led back to a file on it.
pub fn cycle(file: &Path, chain: &[PathBuf]) -> ConfigError {
    let shown: Vec<String> = chain.iter().map(|f| f.display().to_string()).collect();
    ConfigError::Invalid {
        path: file.display().to_string(),
        key: "include".into(),
        message: format!("include cycle: {}", shown.join(" -> ")),
    }
}

/// An included project's document with its relative paths made absolute from `dir`.
pub fn absolute_paths(mut doc: Value, dir: &Path) -> Value {
    if let Some(Value::Mapping(services)) = doc.get_mut("services") {
        for service in services.values_mut() {
            *service = extends::absolute_paths(std::mem::take(service), dir);
        }
    }
    for section in ["secrets", "configs"] {
        if let Some(Value::Mapping(entries)) = doc.get_mut(section) {
            for entry in entries.values_mut() {
                if let Some(Value::String(file)) = entry.get_mut("file") {
                    if !Path::new(file.as_str()).is_absolute() {
                        *file = dir.join(file.as_str()).display().to_string();
                    }
                }
            }
        }
    }
    doc
}

/// Import `imported`'s services, networks, volumes, secrets and configs into `doc` (the
/// including file): where both define one, `doc`'s is merged over the imported one.
pub fn import(doc: &mut Value, imported: Value, file: &Path) -> Result<(), ConfigError> {
    let Value::Mapping(target) = doc else {
        return Ok(());
    };
    for section in [
        "services", "volumes", "networks", "secrets", "configs", "models",
    ] {
        let Some(Value::Mapping(from)) = imported.get(section).cloned() else {
            continue;
        };
        let key = Value::String(section.into());
        let mut to = match target.remove(&key) {
            Some(Value::Mapping(m)) => m,
            _ => Mapping::new(),
        };
        for (name, definition) in from {
            let merged = match to.remove(&name) {
                None => definition,
                Some(local) => merge_entry(section, &name, definition, local).map_err(|e| {
                    ConfigError::Invalid {
                        path: file.display().to_string(),
                        key: format!("{section}.{}", name.as_str().unwrap_or("?")),
                        message: e.to_string(),
                    }
                })?,
            };
            to.insert(name, merged);
        }
        target.insert(key, Value::Mapping(to));
    }
    Ok(())
}

/// `local` merged over `imported`, as one entry of `section`, with the rules of a later file.
fn merge_entry(
    section: &str,
    name: &Value,
    imported: Value,
    local: Value,
) -> Result<Value, merge::MergeError> {
    let wrap = |v: Value| {
        let mut entries = Mapping::new();
        entries.insert(name.clone(), v);
        let mut doc = Mapping::new();
        doc.insert(Value::String(section.into()), Value::Mapping(entries));
        Value::Mapping(doc)
    };
    let merged = merge::merge_documents(wrap(imported), wrap(local))?;
    Ok(merged
        .get(section)
        .and_then(|s| s.get(name))
        .cloned()
        .unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Value {
        serde_norway::from_str(text).unwrap()
    }

    #[test]
    fn entries_take_both_forms_and_resolve_their_paths() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("db")).unwrap();
        std::fs::write(dir.path().join("db/.env"), "A=1\n").unwrap();
        let v = yaml(
            "- db/compose.yaml\n- path: [x/a.yaml, x/b.yaml]\n  project_directory: y\n  env_file: [e.env, /dev/null]\n",
        );
        let e = entries(&v, &dir.path().join("compose.yaml"), dir.path()).unwrap();
        assert_eq!(e[0].files, [dir.path().join("db/compose.yaml")]);
        assert_eq!(e[0].directory, dir.path().join("db"));
        assert_eq!(e[0].env_files, [dir.path().join("db/.env")]);
        assert_eq!(e[1].files.len(), 2);
        assert_eq!(e[1].directory, dir.path().join("y"));
        assert_eq!(e[1].env_files, [dir.path().join("e.env")]);
        let err = entries(
            &yaml("- {paths: a}\n"),
            Path::new("/c.yaml"),
            Path::new("/"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("include[0].paths"), "{err}");
    }

    #[test]
    fn imported_resources_join_and_local_definitions_win() {
        let mut doc =
            yaml("services:\n  web:\n    image: web\n  db:\n    environment: {B: local}\n");
        let imported = yaml(
            "services:\n  db:\n    image: pg\n    environment: {A: '1', B: imported}\nvolumes:\n  data: {}\n",
        );
        import(&mut doc, imported, Path::new("/c.yaml")).unwrap();
        assert_eq!(doc["services"]["web"]["image"], "web");
        assert_eq!(doc["services"]["db"]["image"], "pg");
        assert_eq!(doc["services"]["db"]["environment"]["A"], "1");
        assert_eq!(doc["services"]["db"]["environment"]["B"], "local");
        assert!(doc["volumes"].get("data").is_some());
    }

    #[test]
    fn included_paths_become_absolute() {
        let doc = yaml(
            "services:\n  db:\n    build: .\n    volumes: ['./data:/data']\nsecrets:\n  pw: {file: ./pw.txt}\n",
        );
        let doc = absolute_paths(doc, Path::new("/srv/db"));
        assert_eq!(doc["services"]["db"]["build"], "/srv/db/.");
        assert_eq!(doc["services"]["db"]["volumes"][0], "/srv/db/./data:/data");
        assert_eq!(doc["secrets"]["pw"]["file"], "/srv/db/./pw.txt");
    }
}
