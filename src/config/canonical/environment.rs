//! `environment` with `env_file` folded in, `labels` with `label_file`, and the
//! `KEY[=VALUE]` lists both are written in (`MappingWithEquals` in compose-go).

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};
use serde_norway::{Mapping, Value};

use super::{ConfigError, Cx, entries, scalar};
use crate::config::env::{parse_env_file, parse_raw_env_file};

/// A `KEY=VALUE` list or a map: each key with its value, `None` for a bare `KEY` (or `KEY:`),
/// later entries winning.
pub(super) type WithEquals = BTreeMap<String, Option<String>>;

impl Cx<'_> {
    /// A `MappingWithEquals`: a list of `KEY[=VALUE]` or a map (null values are `None`).
    pub(super) fn with_equals(&self, value: &Value, at: &str) -> Result<WithEquals, ConfigError> {
        let mut out = WithEquals::new();
        match value {
            Value::Null => {}
            Value::Sequence(items) => {
                for (i, item) in items.iter().enumerate() {
                    let text = scalar::text(item)
                        .ok_or_else(|| self.invalid(&format!("{at}[{i}]"), "must be a string"))?;
                    let (key, value) = match text.split_once('=') {
                        Some((k, v)) => (k.to_string(), Some(v.to_string())),
                        None => (text.clone(), None),
                    };
                    if key.ends_with(char::is_whitespace) {
                        return Err(self.invalid(
                            at,
                            format!("environment variable {key} is declared with a trailing space"),
                        ));
                    }
                    out.insert(key, value);
                }
            }
            Value::Mapping(_) => {
                for (k, v) in entries(value).unwrap_or_default() {
                    out.insert(k, scalar::text(v));
                }
            }
            _ => return Err(self.invalid(at, "must be a mapping or a list of KEY=VALUE")),
        }
        Ok(out)
    }

    /// Bare keys looked up in the project's environment: found ones get the value (and
    /// whether it came from a file), missing ones stay `None`.
    pub(super) fn resolved(
        &self,
        vars: WithEquals,
    ) -> Result<BTreeMap<String, Option<(String, bool)>>, ConfigError> {
        vars.into_iter()
            .map(|(k, v)| {
                let value = match v {
                    Some(v) => Some((v, false)),
                    None => self.lookup(&k)?,
                };
                Ok((k, value))
            })
            .collect()
    }

    /// `environment`, over the contents of the `env_file`s (in order, a later file winning),
    /// as Compose folds them: `${...}` in a file looks in the project's environment, then
    /// the service's `environment`, then the keys read before; an entry of `environment`
    /// wins, even a bare one that nothing sets (`null`).
    pub(super) fn environment_folded(
        &self,
        name: &str,
        map: &Mapping,
        out: &mut Map<String, Json>,
    ) -> Result<(), ConfigError> {
        let at = format!("services.{name}.environment");
        let written = match map.get("environment") {
            Some(v) => self.resolved(self.with_equals(v, &at)?)?,
            None => BTreeMap::new(),
        };
        let mut from_files: BTreeMap<String, String> = BTreeMap::new();
        if let Some(files) = map.get("env_file") {
            for (path, required, raw) in
                self.env_files(files, &format!("services.{name}.env_file"))?
            {
                let full = std::path::Path::new(&path);
                if !full.exists() {
                    if required {
                        return Err(self.invalid(
                            &format!("services.{name}.env_file"),
                            format!("env file {path} not found"),
                        ));
                    }
                    continue;
                }
                // `${...}` and a bare key look in the project's environment, then the
                // service's `environment`.
                let lookup = |key: &str| {
                    self.lookup(key).ok().flatten().map(|(v, _)| v).or_else(|| {
                        written
                            .get(key)
                            .and_then(|v| v.as_ref().map(|(v, _)| v.clone()))
                    })
                };
                let entries = if raw {
                    parse_raw_env_file(full, &lookup)
                        .map_err(|e| self.invalid(&format!("services.{name}.env_file"), e))?
                } else {
                    let fallback = |key: &str| from_files.get(key).cloned();
                    parse_env_file(full, &lookup, &fallback)?
                        .into_iter()
                        .map(|(k, v, _)| (k, v))
                        .collect()
                };
                from_files.extend(entries);
            }
        }
        let mut env = Map::new();
        for (key, value) in from_files {
            env.insert(key.clone(), self.mask(&key, value, false));
        }
        for (key, value) in written {
            let json = match value {
                Some((value, from_file)) => self.mask(&key, value, from_file),
                None => Json::Null,
            };
            env.insert(key, json);
        }
        if !env.is_empty() {
            out.insert("environment".into(), Json::Object(env));
        }
        Ok(())
    }

    /// The `env_file` entries: absolute path, required, and whether `format: raw`.
    fn env_files(&self, value: &Value, at: &str) -> Result<Vec<(String, bool, bool)>, ConfigError> {
        let items: Vec<&Value> = match value {
            Value::Null => Vec::new(),
            Value::Sequence(items) => items.iter().collect(),
            v => vec![v],
        };
        let mut out: Vec<(String, bool, bool)> = Vec::new();
        for item in items {
            let (path, required, raw) = match item {
                Value::Mapping(m) => {
                    let path = m
                        .get("path")
                        .and_then(scalar::text)
                        .ok_or_else(|| self.invalid(at, "an entry needs a path"))?;
                    let required = match m.get("required") {
                        None | Some(Value::Null) => true,
                        Some(v) => scalar::boolean(v)
                            .ok_or_else(|| self.invalid(at, "required must be a boolean"))?,
                    };
                    let raw = m.get("format").and_then(scalar::text).as_deref() == Some("raw");
                    (path, required, raw)
                }
                v => (
                    scalar::text(v).ok_or_else(|| self.invalid(at, "must be a path"))?,
                    true,
                    false,
                ),
            };
            let path = self.absolute(&path);
            // A later entry for the same file takes the earlier one's place.
            match out.iter_mut().find(|(p, _, _)| *p == path) {
                Some(slot) => *slot = (path, required, raw),
                None => out.push((path, required, raw)),
            }
        }
        Ok(out)
    }

    /// `labels`, over the contents of the `label_file`s.
    pub(super) fn labels_folded(
        &self,
        name: &str,
        map: &Mapping,
        out: &mut Map<String, Json>,
    ) -> Result<(), ConfigError> {
        let at = format!("services.{name}.labels");
        let mut labels = Map::new();
        if let Some(files) = map.get("label_file") {
            for path in self.strings(files, &format!("services.{name}.label_file"))? {
                let path = self.absolute(&path);
                let fallback =
                    |key: &str| labels.get(key).and_then(Json::as_str).map(str::to_string);
                let read = parse_env_file(std::path::Path::new(&path), &|_| None, &fallback)?;
                for (k, v, _) in read {
                    labels.insert(k, Json::String(v));
                }
            }
        }
        if let Some(value) = map.get("labels") {
            labels.extend(self.mapping(value, &at, "=")?);
        }
        if !labels.is_empty() {
            out.insert("labels".into(), Json::Object(labels));
        }
        Ok(())
    }
}
