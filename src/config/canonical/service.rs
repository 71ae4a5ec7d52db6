//! One service: duplicates removed from its lists, each key turned into its canonical
//! shape, the defaults Compose adds (`command`/`entrypoint` null, the default network,
//! implicit `depends_on`), and the keys Compose consumes (`env_file`, `label_file`) folded.

use serde_json::{Map, Value as Json};
use serde_norway::Value;

use super::order::SERVICE;
use super::{ConfigError, Cx, entries, generic, scalar};
use crate::config::shell;

/// Fields of compose-go's struct that its schema refuses (legacy keys).
const NOT_IN_SCHEMA: &[&str] = &[
    "dockerfile",
    "log_driver",
    "log_opt",
    "net",
    "volume_driver",
];

/// The service keys the schema lets be null.
const NULL_ALLOWED: &[&str] = &["command", "deploy", "develop", "entrypoint", "pid"];

/// Service keys that hold plain strings.
const STRINGS: &[&str] = &[
    "cgroup_parent",
    "cgroup",
    "cpuset",
    "dockerfile",
    "domainname",
    "hostname",
    "image",
    "ipc",
    "isolation",
    "mac_address",
    "net",
    "network_mode",
    "pid",
    "platform",
    "restart",
    "runtime",
    "stop_signal",
    "user",
    "userns_mode",
    "uts",
    "volume_driver",
    "working_dir",
    "log_driver",
];

/// Keys that hold whole numbers (left out when 0).
const INTS: &[&str] = &[
    "cpu_count",
    "cpu_period",
    "cpu_quota",
    "cpu_rt_period",
    "cpu_rt_runtime",
    "cpu_shares",
    "oom_score_adj",
    "pids_limit",
];

/// Keys that hold booleans (printed only when true).
const FLAGS: &[&str] = &[
    "oom_kill_disable",
    "privileged",
    "read_only",
    "stdin_open",
    "tty",
    "use_api_socket",
];

/// Keys that hold byte sizes.
const SIZES: &[&str] = &[
    "mem_limit",
    "mem_reservation",
    "memswap_limit",
    "mem_swappiness",
    "shm_size",
];

/// Keys that hold lists of strings (after duplicates are removed where Compose removes them).
const LISTS: &[&str] = &[
    "cap_add",
    "cap_drop",
    "device_cgroup_rules",
    "dns_opt",
    "external_links",
    "group_add",
    "links",
    "security_opt",
    "volumes_from",
    "profiles",
    "dns",
    "dns_search",
    "tmpfs",
];

/// List keys whose entries are unique by the text before `=` (compose-go's `uncity.go`).
const UNIQUE_BY_KEY: &[&str] = &[
    "cap_add",
    "cap_drop",
    "dns",
    "dns_opt",
    "dns_search",
    "links",
    "profiles",
    "tmpfs",
];

impl Cx<'_> {
    /// The canonical form of service `name`.
    pub(super) fn service(&self, name: &str, raw: &Value) -> Result<Json, ConfigError> {
        let empty = serde_norway::Mapping::new();
        let map = match raw {
            Value::Mapping(m) => m,
            Value::Null => &empty,
            _ => return Err(self.invalid(&format!("services.{name}"), "must be a mapping")),
        };
        let mut out = Map::new();
        for (key, value) in map {
            let Some(key) = key.as_str() else {
                return Err(self.invalid(&format!("services.{name}"), "keys must be strings"));
            };
            if key.starts_with("x-") || matches!(key, "env_file" | "label_file") {
                continue;
            }
            if key == "extends" {
                // Left by the loader only when its base is empty, and printed then.
                out.insert(key.to_string(), extends(value));
                continue;
            }
            if key == "pull_refresh_after" {
                continue; // in the schema, not in what Compose prints
            }
            if !SERVICE.contains(&key) || NOT_IN_SCHEMA.contains(&key) {
                return Err(self.invalid(
                    &format!("services.{name}"),
                    format!("additional properties '{key}' not allowed"),
                ));
            }
            let at = format!("services.{name}.{key}");
            if value.is_null() && !NULL_ALLOWED.contains(&key) {
                return Err(self.invalid(&at, "must not be null"));
            }
            if let Some(json) = self.service_key(name, key, value, &at)? {
                out.insert(key.to_string(), json);
            }
        }
        self.environment_folded(name, map, &mut out)?;
        self.labels_folded(name, map, &mut out)?;
        for key in ["command", "entrypoint"] {
            out.entry(key).or_insert(Json::Null);
        }
        if !map.contains_key("network_mode") && !map.contains_key("provider") {
            let default = || Json::Object(Map::from_iter([("default".to_string(), Json::Null)]));
            match out.get("networks") {
                Some(Json::Object(n)) if !n.is_empty() => {}
                _ => {
                    out.insert("networks".into(), default());
                }
            }
        }
        if let Some(depends_on) = self.depends_on(name, map)? {
            out.insert("depends_on".into(), depends_on);
        }
        self.scale_and_replicas(name, &mut out)?;
        Ok(Json::Object(out))
    }

    /// One key of a service; `None` when Compose leaves it out (empty, false, zero).
    fn service_key(
        &self,
        name: &str,
        key: &str,
        value: &Value,
        at: &str,
    ) -> Result<Option<Json>, ConfigError> {
        if value.is_null() && !matches!(key, "command" | "entrypoint") {
            return Ok(None);
        }
        let bad = |message: &str| self.invalid(at, message);
        let json = match key {
            // The schema wants a string: a plain number (`user: 1000`) is refused, as
            // Compose refuses it; interpolation gives strings.
            k if STRINGS.contains(&k) => match value {
                Value::String(text) => nonempty_string(text.clone()),
                _ => return Err(bad("must be a string")),
            },
            "container_name" => {
                let name = scalar::text(value).ok_or_else(|| bad("must be a string"))?;
                let mut chars = name.chars();
                let valid = chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
                    && chars.clone().next().is_some()
                    && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
                if !valid {
                    return Err(bad(&format!(
                        "{name:?} does not match pattern '[a-zA-Z0-9][a-zA-Z0-9_.-]+'"
                    )));
                }
                Some(Json::String(name))
            }
            "pull_policy" => match scalar::text(value).ok_or_else(|| bad("must be a string"))? {
                p if p == "if_not_present" => Some(Json::String("missing".into())),
                p => nonempty_string(p),
            },
            k if INTS.contains(&k) => {
                let n = scalar::int(value).ok_or_else(|| bad("must be a whole number"))?;
                (n != 0).then(|| Json::from(n))
            }
            "cpus" | "cpu_percent" => {
                let f = scalar::float(value).ok_or_else(|| bad("must be a number"))?;
                (f != 0.0).then(|| scalar::json_float(f))
            }
            k if FLAGS.contains(&k) => {
                let b = scalar::boolean(value).ok_or_else(|| bad("must be a boolean"))?;
                b.then_some(Json::Bool(true))
            }
            "attach" | "init" => Some(Json::Bool(
                scalar::boolean(value).ok_or_else(|| bad("must be a boolean"))?,
            )),
            "scale" => Some(Json::from(
                scalar::int(value).ok_or_else(|| bad("must be a whole number"))?,
            )),
            k if SIZES.contains(&k) => {
                let text = scalar::bytes(value).map_err(|m| bad(&m))?;
                (text != "0").then_some(Json::String(text))
            }
            "stop_grace_period" => {
                Some(Json::String(scalar::duration(value).map_err(|m| bad(&m))?))
            }
            k if LISTS.contains(&k) => {
                let items = self.strings(value, at)?;
                let items = if UNIQUE_BY_KEY.contains(&k) {
                    unique_by(items, |s| s.split('=').next().unwrap_or(s).to_string())
                } else {
                    items
                };
                nonempty_list(items.into_iter().map(Json::String).collect())
            }
            "command" | "entrypoint" => Some(self.shell_command(value, at)?),
            "annotations" | "sysctls" => nonempty_map(self.mapping(value, at, "=")?),
            "labels" => None,      // with `label_file`, in `labels_folded`
            "environment" => None, // with `env_file`, in `environment_folded`
            "storage_opt" | "log_opt" => nonempty_map(self.options(value, at)?),
            "expose" => {
                let items = self.strings(value, at)?;
                nonempty_list(
                    unique_by(items, Clone::clone)
                        .into_iter()
                        .map(Json::String)
                        .collect(),
                )
            }
            "extra_hosts" => nonempty_list(self.extra_hosts(value, at)?),
            "ulimits" => self.ulimits(value, at)?,
            "build" => Some(self.build(name, value, at)?),
            "healthcheck" => Some(self.healthcheck(value, at)?),
            "deploy" => Some(self.deploy(value, at)?),
            "gpus" => nonempty_list(self.gpus(value, at)?),
            "logging" => Some(self.logging(value, at)?),
            "blkio_config" => Some(self.blkio(value, at)?),
            "credential_spec" => {
                Some(self.string_struct(value, at, &["config", "file", "registry"])?)
            }
            "develop" => Some(self.develop(value, at)?),
            "post_start" | "pre_stop" => nonempty_list(self.hooks(value, at)?),
            "pre_start" => {
                let image = self
                    .raw()
                    .get("services")
                    .and_then(|s| s.get(name))
                    .and_then(|s| s.get("image"))
                    .and_then(scalar::text);
                nonempty_list(self.pre_start_hooks(value, at, image.as_deref())?)
            }
            "provider" => Some(self.provider(value, at)?),
            "models" => nonempty_object(self.service_models(value, at)?),
            "networks" => nonempty_object(self.service_networks(value, at)?),
            "ports" => nonempty_list(self.ports(value, at)?),
            "volumes" => nonempty_list(self.volumes(value, at)?),
            "devices" => nonempty_list(self.devices(value, at)?),
            "secrets" => nonempty_list(self.file_refs(value, at, Some("/run/secrets"))?),
            "configs" => nonempty_list(self.file_refs(value, at, None)?),
            "depends_on" => None, // with the implicit ones, in `depends_on`
            _ => Some(generic(value)),
        };
        Ok(json)
    }

    /// A string or a list of strings (numbers and booleans as their text).
    pub(super) fn strings(&self, value: &Value, at: &str) -> Result<Vec<String>, ConfigError> {
        match value {
            Value::Null => Ok(Vec::new()),
            Value::Sequence(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    scalar::text(v)
                        .ok_or_else(|| self.invalid(&format!("{at}[{i}]"), "must be a string"))
                })
                .collect(),
            v => scalar::text(v)
                .map(|s| vec![s])
                .ok_or_else(|| self.invalid(at, "must be a string or a list of strings")),
        }
    }

    /// `command`, `entrypoint`, a hook's `command`: a list as written, a string split into
    /// words as go-shellwords splits it; `[]` when set empty.
    pub(super) fn shell_command(&self, value: &Value, at: &str) -> Result<Json, ConfigError> {
        match value {
            Value::Null => Ok(Json::Null),
            Value::Sequence(_) => Ok(Json::Array(
                self.strings(value, at)?
                    .into_iter()
                    .map(Json::String)
                    .collect(),
            )),
            v => {
                let text = scalar::text(v)
                    .ok_or_else(|| self.invalid(at, "must be a string or a list"))?;
                let words = shell::split(&text).map_err(|m| self.invalid(at, m))?;
                Ok(Json::Array(words.into_iter().map(Json::String).collect()))
            }
        }
    }

    /// A mapping of strings (`Mapping` in compose-go): a map (null is `""`) or a list of
    /// `KEY<sep>VALUE` (a bare key is `""`).
    pub(super) fn mapping(
        &self,
        value: &Value,
        at: &str,
        sep: &str,
    ) -> Result<Map<String, Json>, ConfigError> {
        let mut out = Map::new();
        match value {
            Value::Null => {}
            Value::Sequence(items) => {
                for item in self.strings(&Value::Sequence(items.clone()), at)? {
                    let (k, v) = item.split_once(sep).unwrap_or((&item, ""));
                    out.insert(k.to_string(), Json::String(v.to_string()));
                }
            }
            Value::Mapping(_) => {
                for (k, v) in entries(value).unwrap_or_default() {
                    let text = scalar::text_or_null(v).unwrap_or_default();
                    out.insert(k, Json::String(text));
                }
            }
            _ => return Err(self.invalid(at, "must be a mapping or a list of KEY=VALUE")),
        }
        Ok(out)
    }

    /// Options passed as they are (`map[string]string`): a mapping, null as `""`.
    pub(super) fn options(
        &self,
        value: &Value,
        at: &str,
    ) -> Result<Map<String, Json>, ConfigError> {
        match value {
            Value::Null => Ok(Map::new()),
            Value::Mapping(_) => Ok(entries(value)
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, Json::String(scalar::text_or_null(v).unwrap_or_default())))
                .collect()),
            _ => Err(self.invalid(at, "must be a mapping")),
        }
    }

    /// `extra_hosts`: `host=ip` or `host:ip` entries, or a map of host to IP(s); printed as a
    /// sorted list of `host=ip`, IPv6 brackets removed.
    pub(super) fn extra_hosts(&self, value: &Value, at: &str) -> Result<Vec<Json>, ConfigError> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        match value {
            Value::Mapping(_) => {
                for (host, ips) in entries(value).unwrap_or_default() {
                    match ips {
                        Value::Sequence(list) => {
                            for ip in list {
                                pairs.push((
                                    host.clone(),
                                    scalar::text_or_null(ip).unwrap_or_default(),
                                ));
                            }
                        }
                        ip => {
                            pairs.push((host.clone(), scalar::text_or_null(ip).unwrap_or_default()))
                        }
                    }
                }
            }
            _ => {
                for entry in self.strings(value, at)? {
                    let Some((host, ips)) = entry.split_once('=').or_else(|| entry.split_once(':'))
                    else {
                        return Err(self
                            .invalid(at, format!("invalid additional host, missing IP: {entry}")));
                    };
                    for ip in ips.split(',') {
                        pairs.push((host.to_string(), ip.to_string()));
                    }
                }
            }
        }
        let mut list = Vec::new();
        for (host, ip) in pairs {
            if host.is_empty() || host.contains([':', '=']) {
                return Err(self.invalid(at, format!("bad host name '{host}'")));
            }
            let ip = match ip.strip_prefix('[').and_then(|i| i.strip_suffix(']')) {
                Some(inner) if ip.len() > 2 => inner.to_string(),
                _ => ip,
            };
            list.push(format!("{host}={ip}"));
        }
        list.sort();
        Ok(list.into_iter().map(Json::String).collect())
    }

    /// A struct of optional strings (`credential_spec`).
    fn string_struct(&self, value: &Value, at: &str, fields: &[&str]) -> Result<Json, ConfigError> {
        let mut out = Map::new();
        for (k, v) in entries(value).ok_or_else(|| self.invalid(at, "must be a mapping"))? {
            if k.starts_with("x-") {
                continue;
            }
            if fields.contains(&k.as_str()) {
                if let Some(text) = scalar::text(v).filter(|t| !t.is_empty()) {
                    out.insert(k, Json::String(text));
                }
            } else {
                out.insert(k, generic(v));
            }
        }
        Ok(Json::Object(out))
    }

    /// `scale` and `deploy.replicas` must agree; with both, `deploy.replicas` is `scale`.
    fn scale_and_replicas(
        &self,
        name: &str,
        out: &mut Map<String, Json>,
    ) -> Result<(), ConfigError> {
        let Some(scale) = out.get("scale").cloned() else {
            return Ok(());
        };
        if let Some(Json::Object(deploy)) = out.get_mut("deploy") {
            if let Some(replicas) = deploy.get("replicas") {
                if *replicas != scale {
                    return Err(self.invalid(
                        &format!("services.{name}"),
                        "can't set distinct values on 'scale' and 'deploy.replicas'",
                    ));
                }
            }
            deploy.insert("replicas".into(), scale);
        }
        Ok(())
    }
}

/// `items` with later duplicates (by `key`) taking the place of earlier ones.
pub(super) fn unique_by<T>(items: Vec<T>, key: impl Fn(&T) -> String) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for item in items {
        let k = key(&item);
        match seen.get(&k) {
            Some(&at) => out[at] = item,
            None => {
                seen.insert(k, out.len());
                out.push(item);
            }
        }
    }
    out
}

pub(super) fn nonempty_string(text: String) -> Option<Json> {
    (!text.is_empty()).then_some(Json::String(text))
}

pub(super) fn nonempty_list(items: Vec<Json>) -> Option<Json> {
    (!items.is_empty()).then_some(Json::Array(items))
}

pub(super) fn nonempty_map(map: Map<String, Json>) -> Option<Json> {
    (!map.is_empty()).then_some(Json::Object(map))
}

pub(super) fn nonempty_object(value: Json) -> Option<Json> {
    match &value {
        Json::Object(m) if m.is_empty() => None,
        _ => Some(value),
    }
}

/// `extends` as Compose prints it: `{file, service}` (a bare name is the service).
fn extends(value: &Value) -> Json {
    let mut out = Map::new();
    match value {
        Value::String(service) => {
            out.insert("service".into(), Json::String(service.clone()));
        }
        Value::Mapping(m) => {
            for key in ["file", "service"] {
                if let Some(v) = m.get(key).and_then(Value::as_str) {
                    out.insert(key.into(), Json::String(v.to_string()));
                }
            }
        }
        _ => {}
    }
    Json::Object(out)
}
