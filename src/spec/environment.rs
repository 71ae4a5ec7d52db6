//! `environment`, `env_file` and `labels`.

use std::collections::BTreeMap;

use serde_norway::Value;

use crate::config::{ConfigError, scalar_text};

use super::service::{Cx, LABEL_CONFIG_FILES, LABEL_WORKING_DIR, boolean, key_values};
use super::{LABEL_NUMBER, LABEL_ONEOFF, LABEL_PROJECT, LABEL_SERVICE};
use crate::config::env::{parse_env_file, parse_raw_env_file};

/// One `env_file` entry: its key path (`env_file[1]`), the file, whether it must exist, and
/// whether it is read as `format: raw`.
pub(super) struct EnvFileRef {
    pub key: String,
    pub path: String,
    pub required: bool,
    pub raw: bool,
}

impl Cx<'_> {
    /// `env_file` entries in order, then `environment` over them; sorted `KEY=VALUE`.
    pub(super) fn environment(&self) -> Result<Vec<String>, ConfigError> {
        let mut vars: BTreeMap<String, String> = BTreeMap::new();
        // `${...}` inside a service's env files, as Compose resolves it: the project's
        // variables, then the service's `environment:`, then this file's own earlier keys,
        // then the files before it.
        let written: BTreeMap<String, Option<String>> = match self.get("environment") {
            Some(value) => key_values(value, "environment", |p, m| self.invalid(p, m))?
                .into_iter()
                .collect(),
            None => BTreeMap::new(),
        };
        for EnvFileRef {
            key,
            path,
            required,
            raw,
        } in self.env_files()?
        {
            let full = self.project.directory.join(&path);
            if !required && !full.exists() {
                continue;
            }
            let lookup = |name: &str| {
                self.project
                    .env
                    .get(name)
                    .ok()
                    .flatten()
                    .or_else(|| written.get(name).cloned().flatten())
            };
            // `format: raw` (docker/cli's kvfile): values exactly as written.
            let entries: Vec<(String, String)> = if raw {
                parse_raw_env_file(&full, &lookup).map_err(|e| self.invalid(&key, e))?
            } else {
                let fallback = |name: &str| vars.get(name).cloned();
                parse_env_file(&full, &lookup, &fallback)
                    .map_err(|e| match e {
                        ConfigError::Read { path, source } => {
                            self.invalid(&key, format!("cannot read {}: {source}", path.display()))
                        }
                        other => other,
                    })?
                    .into_iter()
                    .map(|(name, value, _)| (name, value))
                    .collect()
            };
            vars.extend(entries);
        }
        let from_project = |key: &str, vars: &mut BTreeMap<String, String>| {
            if let Some(value) = self.project.env.get(key)? {
                vars.insert(key.to_string(), value);
            } else {
                vars.remove(key);
            }
            Ok::<_, ConfigError>(())
        };
        if let Some(value) = self.get("environment") {
            let invalid = |path: &str, message: &str| self.invalid(path, message);
            for (key, value) in key_values(value, "environment", invalid)? {
                match value {
                    Some(value) => {
                        vars.insert(key, value);
                    }
                    None => from_project(&key, &mut vars)?,
                }
            }
        }
        Ok(vars.into_iter().map(|(k, v)| format!("{k}={v}")).collect())
    }

    /// `env_file`: a path, or a list of paths and `{path, required, format}` mappings.
    pub(super) fn env_files(&self) -> Result<Vec<EnvFileRef>, ConfigError> {
        let items: Vec<(String, &Value)> = match self.get("env_file") {
            None => return Ok(Vec::new()),
            Some(Value::Sequence(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("env_file[{i}]"), v))
                .collect(),
            Some(v) => vec![("env_file".to_string(), v)],
        };
        items
            .into_iter()
            .map(|(key, v)| match v {
                Value::Mapping(m) => {
                    let path = m
                        .get("path")
                        .and_then(scalar_text)
                        .ok_or_else(|| self.invalid(&format!("{key}.path"), "must be a path"))?;
                    let required = match m.get("required") {
                        None | Some(Value::Null) => true,
                        Some(r) => boolean(r).ok_or_else(|| {
                            self.invalid(&format!("{key}.required"), "must be true or false")
                        })?,
                    };
                    let raw = match m.get("format") {
                        None | Some(Value::Null) => false,
                        Some(f) => match scalar_text(f).as_deref() {
                            Some("raw") => true,
                            _ => {
                                return Err(self.invalid(
                                    &format!("{key}.format"),
                                    "must be `raw` (or left out)",
                                ));
                            }
                        },
                    };
                    Ok(EnvFileRef {
                        key,
                        path,
                        required,
                        raw,
                    })
                }
                v => scalar_text(v)
                    .map(|path| EnvFileRef {
                        key: key.clone(),
                        path,
                        required: true,
                        raw: false,
                    })
                    .ok_or_else(|| self.invalid(&key, "must be a path or {path, required}")),
            })
            .collect()
    }

    /// The service's labels, then Compose's and phi's own (which win).
    pub(super) fn labels(&self, number: u32) -> Result<BTreeMap<String, String>, ConfigError> {
        let mut labels = BTreeMap::new();
        // `label_file`s first, in order, then `labels`, which win (compose-go's order).
        let files =
            match self.get("label_file") {
                Some(Value::Sequence(_)) => self.string_list("label_file")?,
                Some(v) => vec![scalar_text(v).ok_or_else(|| {
                    self.invalid("label_file", "must be a path or a list of paths")
                })?],
                None => Vec::new(),
            };
        for file in files {
            let path = super::service::normalize(&self.project.directory.join(&file));
            let none = |_: &str| None;
            for (key, value, _) in parse_env_file(&path, &none, &none)? {
                labels.insert(key, value);
            }
        }
        if let Some(value) = self.get("labels") {
            let invalid = |path: &str, message: &str| self.invalid(path, message);
            for (key, value) in key_values(value, "labels", invalid)? {
                labels.insert(key, value.unwrap_or_default());
            }
        }
        let files = self
            .project
            .files
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(",");
        for (k, v) in [
            (LABEL_PROJECT, self.project.name.clone()),
            (LABEL_SERVICE, self.service.to_string()),
            (LABEL_NUMBER, number.to_string()),
            (LABEL_ONEOFF, "False".to_string()),
            (
                LABEL_WORKING_DIR,
                self.project.directory.display().to_string(),
            ),
            (LABEL_CONFIG_FILES, files),
        ] {
            labels.insert(k.to_string(), v);
        }
        Ok(labels)
    }
}
