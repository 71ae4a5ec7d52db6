//! `build`: a context path or the long form; the context made absolute (remote contexts
//! kept), `dockerfile` defaulted, `args` resolved (bare ones not found are dropped) and
//! masked when secret, lists and maps in their canonical shapes.

use serde_json::{Map, Value as Json};
use serde_norway::Value;

use super::service::{nonempty_list, nonempty_map, unique_by};
use super::{ConfigError, Cx, entries, generic, scalar};

/// Build keys that hold strings.
const STRINGS: &[&str] = &[
    "dockerfile",
    "dockerfile_inline",
    "isolation",
    "network",
    "target",
];

impl Cx<'_> {
    pub(super) fn build(&self, name: &str, value: &Value, at: &str) -> Result<Json, ConfigError> {
        let mut out = Map::new();
        let long = match value {
            Value::Mapping(_) => entries(value).unwrap_or_default(),
            v => {
                let context = scalar::text(v)
                    .ok_or_else(|| self.invalid(at, "must be a path or a mapping"))?;
                out.insert("context".into(), Json::String(context));
                Default::default()
            }
        };
        for (key, v) in long {
            if key.starts_with("x-") || v.is_null() {
                continue;
            }
            let at = format!("{at}.{key}");
            if let Some(json) = self.build_key(&key, v, &at)? {
                out.insert(key, json);
            }
        }
        let context = out
            .get("context")
            .and_then(Json::as_str)
            .unwrap_or(".")
            .to_string();
        out.insert("context".into(), Json::String(self.context_path(&context)));
        // Only a `dockerfile` not written at all is defaulted (one set to "" stays unset).
        let written = |key: &str| value.get(key).is_some_and(|v| !v.is_null());
        if !written("dockerfile") && !written("dockerfile_inline") {
            out.insert("dockerfile".into(), Json::String("Dockerfile".into()));
        }
        if out.contains_key("dockerfile") && out.contains_key("dockerfile_inline") {
            return Err(self.invalid(
                &format!("services.{name}"),
                "declares mutualy exclusive dockerfile and dockerfile_inline",
            ));
        }
        Ok(Json::Object(out))
    }

    fn build_key(&self, key: &str, v: &Value, at: &str) -> Result<Option<Json>, ConfigError> {
        let bad = |m: &str| self.invalid(at, m);
        Ok(match key {
            "context" => Some(Json::String(
                scalar::text(v).ok_or_else(|| bad("must be a path"))?,
            )),
            k if STRINGS.contains(&k) => {
                let text = scalar::text(v).ok_or_else(|| bad("must be a string"))?;
                (!text.is_empty()).then_some(Json::String(text))
            }
            "provenance" | "sbom" => Some(match v {
                Value::Bool(b) => Json::String(b.to_string()),
                v => Json::String(scalar::text(v).unwrap_or_default()),
            }),
            "no_cache" | "pull" | "privileged" => {
                let b = scalar::boolean(v).ok_or_else(|| bad("must be a boolean"))?;
                b.then_some(Json::Bool(true))
            }
            "args" => {
                let mut args = Map::new();
                for (k, value) in self.resolved(self.with_equals(v, at)?)? {
                    // A bare argument nothing sets is dropped (unlike in `environment`).
                    if let Some((value, from_file)) = value {
                        args.insert(k.clone(), self.mask(&k, value, from_file));
                    }
                }
                nonempty_map(args)
            }
            "labels" => nonempty_map(self.mapping(v, at, "=")?),
            "additional_contexts" => {
                let mut contexts = self.mapping(v, at, "=")?;
                for value in contexts.values_mut() {
                    if let Json::String(path) = value {
                        *path = self.context_path(path);
                    }
                }
                nonempty_map(contexts)
            }
            "cache_from" | "cache_to" | "platforms" | "entitlements" => {
                nonempty_list(self.strings(v, at)?.into_iter().map(Json::String).collect())
            }
            "tags" => {
                let tags = unique_by(self.strings(v, at)?, Clone::clone);
                nonempty_list(tags.into_iter().map(Json::String).collect())
            }
            "extra_hosts" => nonempty_list(self.extra_hosts(v, at)?),
            "ssh" => nonempty_list(self.ssh(v, at)?),
            "secrets" => nonempty_list(self.file_refs(v, at, None)?),
            "shm_size" => {
                let text = scalar::bytes(v).map_err(|m| bad(&m))?;
                (text != "0").then_some(Json::String(text))
            }
            "ulimits" => self.ulimits(v, at)?,
            _ => Some(generic(v)),
        })
    }

    /// A build context: remote ones (`https://`, `git@`, `docker-image://`, `service:`...)
    /// as written, local paths absolute.
    fn context_path(&self, context: &str) -> String {
        let remote = [
            "https://",
            "http://",
            "git://",
            "ssh://",
            "github.com/",
            "git@",
            "service:",
        ];
        if context.contains("://") || remote.iter().any(|p| context.starts_with(p)) {
            return context.to_string();
        }
        self.absolute(context)
    }

    /// `ssh`: `default`, or `id=path` (a path made absolute); a list or a map.
    fn ssh(&self, v: &Value, at: &str) -> Result<Vec<Json>, ConfigError> {
        let pairs: Vec<(String, Option<String>)> = match v {
            Value::Mapping(_) => entries(v)
                .unwrap_or_default()
                .into_iter()
                .map(|(k, p)| (k, scalar::text(p)))
                .collect(),
            v => self
                .strings(v, at)?
                .into_iter()
                .map(|s| match s.split_once('=') {
                    Some((id, path)) => (id.to_string(), Some(path.to_string())),
                    None => (s, None),
                })
                .collect(),
        };
        Ok(pairs
            .into_iter()
            .map(|(id, path)| match path.filter(|p| !p.is_empty()) {
                None => Json::String(id),
                Some(path) => Json::String(format!("{id}={}", self.absolute(&path))),
            })
            .collect())
    }
}
