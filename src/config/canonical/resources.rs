//! What connects a service to the rest of the project: its `networks`, `depends_on` (with
//! the implicit dependencies Compose adds), `secrets` and `configs`; and the top-level
//! `networks`, `volumes`, `secrets` and `configs`, kept only when a printed service uses
//! them, each with its `name`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as Json};
use serde_norway::{Mapping, Value};

use super::service::{nonempty_map, unique_by};
use super::{ConfigError, Cx, entries, generic, scalar};

/// Service keys whose `service:NAME` value makes NAME a dependency.
const NAMESPACES: &[&str] = &["network_mode", "ipc", "pid", "uts", "cgroup"];

impl Cx<'_> {
    /// The service's `networks`: a list of names, or a map of names to their settings (or null).
    pub(super) fn service_networks(&self, value: &Value, at: &str) -> Result<Json, ConfigError> {
        let mut out = Map::new();
        if let Value::Sequence(_) = value {
            for name in self.strings(value, at)? {
                out.insert(name, Json::Null);
            }
            return Ok(Json::Object(out));
        }
        for (name, v) in
            entries(value).ok_or_else(|| self.invalid(at, "must be a list or a mapping"))?
        {
            let at = format!("{at}.{name}");
            let json = match v {
                Value::Null => Json::Null,
                Value::Mapping(m) => Json::Object(self.service_network(m, &at)?),
                _ => return Err(self.invalid(&at, "must be a mapping")),
            };
            out.insert(name, json);
        }
        Ok(Json::Object(out))
    }

    fn service_network(&self, map: &Mapping, at: &str) -> Result<Map<String, Json>, ConfigError> {
        let mut out = Map::new();
        for (k, v) in map {
            let Some(k) = k.as_str() else { continue };
            if k.starts_with("x-") || v.is_null() {
                continue;
            }
            let json = match k {
                "aliases" | "link_local_ips" => {
                    let items = unique_by(self.strings(v, at)?, |s| {
                        s.split('=').next().unwrap_or(s).to_string()
                    });
                    if items.is_empty() {
                        continue;
                    }
                    Json::Array(items.into_iter().map(Json::String).collect())
                }
                "driver_opts" => match nonempty_map(self.options(v, at)?) {
                    Some(j) => j,
                    None => continue,
                },
                "gw_priority" | "priority" => match scalar::int(v) {
                    Some(0) => continue,
                    Some(n) => Json::from(n),
                    None => return Err(self.invalid(at, format!("{k} must be a number"))),
                },
                "interface_name" | "ipv4_address" | "ipv6_address" | "mac_address" => {
                    match scalar::text(v) {
                        Some(t) if t.is_empty() => continue,
                        Some(t) => Json::String(t),
                        None => return Err(self.invalid(at, format!("{k} must be a string"))),
                    }
                }
                _ => generic(v),
            };
            out.insert(k.to_string(), json);
        }
        Ok(out)
    }

    /// `depends_on` in the long form, with the dependencies `links`, `volumes_from` and
    /// `service:NAME` namespaces imply (those added only where none is written).
    pub(super) fn depends_on(
        &self,
        name: &str,
        map: &Mapping,
    ) -> Result<Option<Json>, ConfigError> {
        let at = format!("services.{name}.depends_on");
        let mut out: BTreeMap<String, Json> = BTreeMap::new();
        match map.get("depends_on") {
            None | Some(Value::Null) => {}
            Some(v @ Value::Sequence(_)) => {
                for dep in self.strings(v, &at)? {
                    out.insert(dep, dependency("service_started", false, true));
                }
            }
            Some(v) => {
                for (dep, d) in
                    entries(v).ok_or_else(|| self.invalid(&at, "must be a list or a mapping"))?
                {
                    let at = format!("{at}.{dep}");
                    let field = |key: &str| d.get(key).filter(|v| !v.is_null());
                    let condition = field("condition")
                        .and_then(scalar::text)
                        .ok_or_else(|| self.invalid(&at, "missing property 'condition'"))?;
                    let flag = |key: &str, default: bool| match field(key) {
                        None => Ok(default),
                        Some(v) => scalar::boolean(v)
                            .ok_or_else(|| self.invalid(&at, format!("{key} must be a boolean"))),
                    };
                    out.insert(
                        dep,
                        dependency(&condition, flag("restart", false)?, flag("required", true)?),
                    );
                }
            }
        }
        for (dep, restart) in implicit(map) {
            out.entry(dep)
                .or_insert_with(|| dependency("service_started", restart, true));
        }
        Ok((!out.is_empty()).then(|| Json::Object(out.into_iter().collect())))
    }

    /// `secrets` or `configs` of a service (or a build): a name, or `{source, target, uid,
    /// gid, mode}`; secrets get `/run/secrets/<name>` as their default target.
    pub(super) fn file_refs(
        &self,
        value: &Value,
        at: &str,
        default_dir: Option<&str>,
    ) -> Result<Vec<Json>, ConfigError> {
        let Value::Sequence(items) = value else {
            return Err(self.invalid(at, "must be a list"));
        };
        let mut out: Vec<Map<String, Json>> = Vec::new();
        for item in items {
            let mut entry = Map::new();
            match item {
                Value::Mapping(m) => {
                    for (k, v) in m {
                        let Some(k) = k.as_str() else { continue };
                        if k.starts_with("x-") || v.is_null() {
                            continue;
                        }
                        let json = match k {
                            "mode" => Json::String(
                                file_mode(v)
                                    .ok_or_else(|| self.invalid(at, "mode must be a number"))?,
                            ),
                            _ => match scalar::text(v) {
                                Some(t) if t.is_empty() => continue,
                                Some(t) => Json::String(t),
                                None => generic(v),
                            },
                        };
                        entry.insert(k.to_string(), json);
                    }
                }
                v => {
                    let source =
                        scalar::text(v).ok_or_else(|| self.invalid(at, "must be a name"))?;
                    entry.insert("source".into(), Json::String(source));
                }
            }
            if let (Some(dir), false) = (default_dir, entry.contains_key("target")) {
                let source = entry
                    .get("source")
                    .and_then(Json::as_str)
                    .unwrap_or_default();
                entry.insert("target".into(), Json::String(format!("{dir}/{source}")));
            }
            out.push(entry);
        }
        let dir = default_dir.unwrap_or("");
        let out = unique_by(out, |e| match e.get("target").and_then(Json::as_str) {
            Some(t) => t.to_string(),
            None => format!(
                "{dir}/{}",
                e.get("source").and_then(Json::as_str).unwrap_or_default()
            ),
        });
        Ok(out.into_iter().map(Json::Object).collect())
    }
}

fn dependency(condition: &str, restart: bool, required: bool) -> Json {
    let mut d = Map::new();
    d.insert("condition".into(), Json::String(condition.into()));
    if restart {
        d.insert("restart".into(), Json::Bool(true));
    }
    d.insert("required".into(), Json::Bool(required));
    Json::Object(d)
}

/// A file mode as compose-go's `FileMode` reads and prints it: a string is octal, a
/// number is taken as it is; printed `0%o`.
fn file_mode(value: &Value) -> Option<String> {
    let mode = match value {
        Value::String(s) => i64::from_str_radix(s.trim(), 8).ok()?,
        v => scalar::int(v)?,
    };
    Some(format!("0{mode:o}"))
}

/// The implicit dependencies of a service, as compose-go's `Normalize` adds them: `links`
/// and `service:` namespaces with `restart: true`, `volumes_from` without.
fn implicit(map: &Mapping) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    if let Some(Value::Sequence(links)) = map.get("links") {
        for link in links.iter().filter_map(Value::as_str) {
            let parts: Vec<&str> = link.split(':').collect();
            let name = if parts.len() == 2 { parts[0] } else { link };
            out.push((name.to_string(), true));
        }
    }
    for key in NAMESPACES {
        if let Some(shared) = map
            .get(*key)
            .and_then(Value::as_str)
            .and_then(|v| v.strip_prefix("service:"))
        {
            out.push((shared.to_string(), true));
        }
    }
    if let Some(Value::Sequence(from)) = map.get("volumes_from") {
        for entry in from.iter().filter_map(Value::as_str) {
            if !entry.starts_with("container:") {
                out.push((entry.split(':').next().unwrap_or(entry).to_string(), false));
            }
        }
    }
    out
}

/// Every service `raw` depends on, written or implicit.
pub(super) fn dependency_names(raw: &Value) -> Vec<String> {
    let Some(map) = raw.as_mapping() else {
        return Vec::new();
    };
    let mut names: Vec<String> = match map.get("depends_on") {
        Some(Value::Sequence(list)) => list.iter().filter_map(scalar::text).collect(),
        Some(v @ Value::Mapping(_)) => entries(v).unwrap_or_default().into_keys().collect(),
        _ => Vec::new(),
    };
    names.extend(implicit(map).into_iter().map(|(n, _)| n));
    names
}

/// Every dependency of a printed service must be printed too, unless it is not required
/// and only turned off by its profiles (Compose's consistency check).
pub(super) fn check_dependencies(
    cx: &Cx<'_>,
    services: &Map<String, Json>,
    printed: &BTreeSet<String>,
) -> Result<(), ConfigError> {
    for (name, service) in services {
        let Some(Json::Object(deps)) = service.get("depends_on") else {
            continue;
        };
        for (dep, d) in deps {
            if printed.contains(dep) {
                continue;
            }
            let declared = cx.project.model.services.contains_key(dep);
            let required = d.get("required") != Some(&Json::Bool(false));
            if declared && !required {
                continue;
            }
            return Err(cx.invalid(
                &format!("services.{name}.depends_on"),
                format!(
                    "service {name:?} depends on undefined service {dep:?}: invalid compose project"
                ),
            ));
        }
    }
    Ok(())
}

/// The top-level `networks`, `volumes`, `secrets` and `configs` the printed services use
/// (all of them with `all_resources`), each named; a service naming one that is not
/// declared is an error.
pub(super) fn top_level(
    cx: &Cx<'_>,
    services: &Map<String, Json>,
) -> Result<Vec<(&'static str, Json)>, ConfigError> {
    let mut used: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (name, service) in services {
        let mut refer = |section: &'static str, key: String| -> Result<(), ConfigError> {
            let declared = cx
                .raw()
                .get(section)
                .and_then(|s| s.get(key.as_str()))
                .is_some();
            let implicit = section == "networks" && key == "default";
            if !(declared || implicit) {
                let what = &section[..section.len() - 1];
                return Err(cx.invalid(
                    &format!("services.{name}"),
                    format!(
                        "service {name:?} refers to undefined {what} {key}: invalid compose project"
                    ),
                ));
            }
            used.entry(section).or_default().insert(key);
            Ok(())
        };
        if let Some(Json::Object(networks)) = service.get("networks") {
            for key in networks.keys() {
                refer("networks", key.clone())?;
            }
        }
        for v in array(service.get("volumes")) {
            if v.get("type").and_then(Json::as_str) == Some("volume") {
                if let Some(source) = v.get("source").and_then(Json::as_str) {
                    refer("volumes", source.to_string())?;
                }
            }
        }
        let build_secrets = service.get("build").and_then(|b| b.get("secrets"));
        for (section, list) in [
            ("secrets", service.get("secrets")),
            ("secrets", build_secrets),
            ("configs", service.get("configs")),
        ] {
            for r in array(list) {
                if let Some(source) = r.get("source").and_then(Json::as_str) {
                    refer(section, source.to_string())?;
                }
            }
        }
    }
    let mut out = Vec::new();
    for section in ["networks", "volumes", "secrets", "configs"] {
        let declared = cx.raw().get(section).and_then(entries).unwrap_or_default();
        let mut keys: BTreeSet<String> = used.remove(section).unwrap_or_default();
        if cx.options.all_resources {
            keys.extend(declared.keys().cloned());
        }
        let mut map = Map::new();
        for key in keys {
            let value = declared.get(&key).copied().unwrap_or(&Value::Null);
            map.insert(key.clone(), cx.resource(section, &key, value)?);
        }
        if !map.is_empty() {
            out.push((section, Json::Object(map)));
        }
    }
    Ok(out)
}

fn array(value: Option<&Json>) -> &[Json] {
    match value {
        Some(Json::Array(items)) => items,
        _ => &[],
    }
}

impl Cx<'_> {
    /// One top-level network, volume, secret or config, with its `name`.
    fn resource(&self, section: &str, key: &str, value: &Value) -> Result<Json, ConfigError> {
        let at = format!("{section}.{key}");
        let mut out = Map::new();
        let mut external = false;
        let mut name: Option<String> = None;
        for (k, v) in entries(value).unwrap_or_default() {
            if k.starts_with("x-") || v.is_null() {
                continue;
            }
            let json = match k.as_str() {
                "name" => {
                    name = scalar::text(v);
                    continue;
                }
                "external" => {
                    external = match v {
                        Value::Mapping(_) => {
                            if let Some(n) = v.get("name").and_then(scalar::text) {
                                name.get_or_insert(n);
                            }
                            true
                        }
                        v => scalar::boolean(v)
                            .ok_or_else(|| self.invalid(&at, "external must be a boolean"))?,
                    };
                    continue;
                }
                "labels" => match nonempty_map(self.mapping(v, &at, "=")?) {
                    Some(j) => j,
                    None => continue,
                },
                "driver_opts" => match nonempty_map(self.driver_opts(section, value, v, &at)?) {
                    Some(j) => j,
                    None => continue,
                },
                "ipam" if section == "networks" => self.ipam(v, &at)?,
                "internal" | "attachable" => match scalar::boolean(v) {
                    Some(true) => Json::Bool(true),
                    Some(false) => continue,
                    None => return Err(self.invalid(&at, format!("{k} must be a boolean"))),
                },
                "enable_ipv4" | "enable_ipv6" => Json::Bool(
                    scalar::boolean(v)
                        .ok_or_else(|| self.invalid(&at, format!("{k} must be a boolean")))?,
                ),
                "file" => Json::String(self.absolute_unix(&scalar::text(v).unwrap_or_default())),
                // A secret's content is never printed; a config's is, unless it comes from
                // the environment.
                "content" if section == "secrets" => continue,
                "content" if value.get("environment").is_some() => continue,
                "content" => {
                    Json::String(self.config_content(&scalar::text(v).unwrap_or_default()))
                }
                _ => match scalar::text(v) {
                    Some(t) if t.is_empty() => continue,
                    Some(t) => Json::String(t),
                    None => generic(v),
                },
            };
            out.insert(k, json);
        }
        let name = name.unwrap_or_else(|| {
            if external {
                key.to_string()
            } else {
                format!("{}_{key}", self.project.name)
            }
        });
        // An explicit empty name (a variable that is not set) is left out, as in Compose.
        if !name.is_empty() {
            out.insert("name".into(), Json::String(name));
        }
        if external {
            out.insert("external".into(), Json::Bool(true));
        }
        if section == "networks" {
            out.entry("ipam")
                .or_insert_with(|| Json::Object(Map::new()));
        }
        Ok(Json::Object(out))
    }

    /// `driver_opts`; for a `local` volume mounted with `o: bind`, `device` is a path.
    fn driver_opts(
        &self,
        section: &str,
        resource: &Value,
        v: &Value,
        at: &str,
    ) -> Result<Map<String, Json>, ConfigError> {
        let mut opts = self.options(v, at)?;
        let local = resource.get("driver").and_then(scalar::text).as_deref() == Some("local");
        let bind = opts.get("o").and_then(Json::as_str) == Some("bind");
        if section == "volumes" && local && bind {
            if let Some(Json::String(device)) = opts.get_mut("device") {
                *device = self.absolute_unix(device);
            }
        }
        Ok(opts)
    }

    fn ipam(&self, v: &Value, at: &str) -> Result<Json, ConfigError> {
        let mut out = Map::new();
        for (k, value) in entries(v).unwrap_or_default() {
            if k.starts_with("x-") || value.is_null() {
                continue;
            }
            let json = match k.as_str() {
                "driver" => Json::String(scalar::text(value).unwrap_or_default()),
                "config" => {
                    let Value::Sequence(pools) = value else {
                        return Err(self.invalid(at, "ipam.config must be a list"));
                    };
                    let mut list = Vec::new();
                    for pool in pools {
                        let mut p = Map::new();
                        for (pk, pv) in entries(pool).unwrap_or_default() {
                            let json = match pk.as_str() {
                                "aux_addresses" => Json::Object(self.mapping(pv, at, "=")?),
                                _ => match scalar::text(pv) {
                                    Some(t) if t.is_empty() => continue,
                                    Some(t) => Json::String(t),
                                    None => generic(pv),
                                },
                            };
                            p.insert(pk, json);
                        }
                        list.push(Json::Object(p));
                    }
                    Json::Array(list)
                }
                "options" => Json::Object(self.mapping(value, at, "=")?),
                _ => generic(value),
            };
            out.insert(k, json);
        }
        Ok(Json::Object(out))
    }

    /// A config's inline content: printed, but masked when it holds a secret value the
    /// project's environment defines (unless secrets are shown).
    fn config_content(&self, content: &str) -> String {
        if self.options.show_secrets {
            return content.to_string();
        }
        let env = &self.project.env;
        let secret = env.names().any(|name| {
            crate::redact::is_secret_name(name)
                && env.raw(name).is_some_and(|v| {
                    v.value.chars().count() >= 4 && content.contains(v.value.as_str())
                })
        });
        if secret {
            crate::redact::MASK.to_string()
        } else {
            content.to_string()
        }
    }
}
