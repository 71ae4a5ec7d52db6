//! How a container sits on its host: `network_mode`, `ipc`, `pid`, `privileged`, `devices`,
//! `sysctls`, `ulimits`, `dns`, `dns_search`, `dns_opt`, `group_add`, `runtime`, `shm_size`,
//! `tty`, `stdin_open`, `expose`, `platform`, `domainname`, `userns_mode`, `cgroup_parent`,
//! `pids_limit`, `oom_score_adj`, `cpu_shares`, `mem_reservation`, `memswap_limit`.

use std::collections::BTreeMap;

use serde_norway::Value;

use crate::config::{ConfigError, scalar_text};

use super::runtime::bytes;
use super::service::{Cx, key_values};
use super::{DeviceSpec, HostSettings, UlimitSpec};

/// Service keys translated here.
pub(super) const KEYS: &[&str] = &[
    "network_mode",
    "ipc",
    "pid",
    "privileged",
    "devices",
    "sysctls",
    "ulimits",
    "dns",
    "dns_search",
    "dns_opt",
    "group_add",
    "runtime",
    "shm_size",
    "tty",
    "stdin_open",
    "expose",
    "platform",
    "domainname",
    "userns_mode",
    "cgroup_parent",
    "pids_limit",
    "oom_score_adj",
    "cpu_shares",
    "mem_reservation",
    "memswap_limit",
];

impl Cx<'_> {
    pub(super) fn host(&mut self) -> Result<HostSettings, ConfigError> {
        Ok(HostSettings {
            network_mode: self.namespace("network_mode", &["host", "none", "bridge", "default"])?,
            ipc_mode: self.namespace("ipc", &["host", "private", "shareable", "none"])?,
            pid_mode: self.namespace("pid", &["host"])?,
            privileged: self.bool("privileged")?.unwrap_or(false),
            devices: self.devices()?,
            sysctls: self.sysctls()?,
            ulimits: self.ulimits()?,
            dns: self.one_or_many("dns")?,
            dns_search: self.one_or_many("dns_search")?,
            dns_options: self.string_list("dns_opt")?,
            group_add: self.one_or_many("group_add")?,
            runtime: self.string("runtime")?,
            shm_size: self.size("shm_size")?,
            tty: self.bool("tty")?.unwrap_or(false),
            stdin_open: self.bool("stdin_open")?.unwrap_or(false),
            expose: self.expose()?,
            platform: self.string("platform")?,
            domainname: self.string("domainname")?,
            userns_mode: self.string("userns_mode")?,
            cgroup_parent: self.string("cgroup_parent")?,
            pids_limit: self.integer("pids_limit")?,
            oom_score_adj: self.integer("oom_score_adj")?,
            cpu_shares: self.integer("cpu_shares")?,
            memory_reservation: self.size("mem_reservation")?,
            memory_swap: self.size("memswap_limit")?,
        })
    }

    /// A namespace setting: one of `plain`, `container:NAME`, or `service:NAME` (turned into
    /// `container:` and the name of that service's first container, as the engine takes it).
    fn namespace(&self, key: &str, plain: &[&str]) -> Result<Option<String>, ConfigError> {
        let Some(value) = self.string(key)? else {
            return Ok(None);
        };
        if let Some(service) = value.strip_prefix("service:") {
            return self
                .first_container(key, service)
                .map(|name| Some(format!("container:{name}")));
        }
        if value
            .strip_prefix("container:")
            .is_some_and(|c| !c.is_empty())
            || plain.contains(&value.as_str())
        {
            return Ok(Some(value));
        }
        // A network's name is a valid network_mode for the engine (`network_mode: mynet`).
        if key == "network_mode" && !value.is_empty() {
            return Ok(Some(value));
        }
        Err(self.invalid(
            key,
            format!(
                "must be {}, service:NAME or container:NAME",
                plain.join(", ")
            ),
        ))
    }

    /// The engine name of `service`'s first container.
    pub(super) fn first_container(&self, key: &str, service: &str) -> Result<String, ConfigError> {
        let Some(target) = self.project.model.services.get(service) else {
            return Err(self.invalid(
                key,
                format!("names service `{service}`, which is not declared"),
            ));
        };
        Ok(target
            .container_name
            .clone()
            .unwrap_or_else(|| format!("{}-{service}-1", self.project.name)))
    }

    /// A string or a list of strings.
    fn one_or_many(&self, key: &str) -> Result<Vec<String>, ConfigError> {
        match self.get(key) {
            Some(Value::Sequence(_)) | None => self.string_list(key),
            Some(v) => {
                Ok(vec![scalar_text(v).ok_or_else(|| {
                    self.invalid(key, "must be a string or a list")
                })?])
            }
        }
    }

    pub(super) fn size(&self, key: &str) -> Result<Option<i64>, ConfigError> {
        self.get(key)
            .map(|v| {
                bytes(v).ok_or_else(|| {
                    self.invalid(key, "must be a number of bytes or a size such as 64m")
                })
            })
            .transpose()
    }

    pub(super) fn integer(&self, key: &str) -> Result<Option<i64>, ConfigError> {
        self.get(key)
            .map(|v| integer(v).ok_or_else(|| self.invalid(key, "must be a whole number")))
            .transpose()
    }

    /// `HOST[:CONTAINER[:PERMISSIONS]]` or `{source, target, permissions}`.
    fn devices(&self) -> Result<Vec<DeviceSpec>, ConfigError> {
        let Some(value) = self.get("devices") else {
            return Ok(Vec::new());
        };
        let Value::Sequence(items) = value else {
            return Err(self.invalid("devices", "must be a list"));
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let key = format!("devices[{i}]");
                let (host, container, permissions) = match item {
                    Value::Mapping(m) => {
                        let field = |f: &str| m.get(f).and_then(scalar_text);
                        let host = field("source")
                            .ok_or_else(|| self.invalid(&format!("{key}.source"), "is required"))?;
                        let container = field("target").unwrap_or_else(|| host.clone());
                        (host, container, field("permissions"))
                    }
                    // A CDI name goes to the CDI driver as a device request (tuning.rs).
                    Value::String(s) if super::tuning::is_cdi(s) => return Ok(None),
                    v => {
                        let text = scalar_text(v).ok_or_else(|| {
                            self.invalid(&key, "must be HOST[:CONTAINER[:PERMISSIONS]]")
                        })?;
                        let parts: Vec<&str> = text.split(':').collect();
                        match parts.as_slice() {
                            [h] => (h.to_string(), h.to_string(), None),
                            [h, c] => (h.to_string(), c.to_string(), None),
                            [h, c, p] => (h.to_string(), c.to_string(), Some(p.to_string())),
                            _ => {
                                return Err(
                                    self.invalid(&key, "must be HOST[:CONTAINER[:PERMISSIONS]]")
                                );
                            }
                        }
                    }
                };
                if host.is_empty() {
                    return Err(self.invalid(&key, "the host device is empty"));
                }
                Ok(Some(DeviceSpec {
                    host,
                    container,
                    permissions: permissions.unwrap_or_else(|| "rwm".into()),
                }))
            })
            .filter_map(Result::transpose)
            .collect()
    }

    fn sysctls(&self) -> Result<BTreeMap<String, String>, ConfigError> {
        let Some(value) = self.get("sysctls") else {
            return Ok(BTreeMap::new());
        };
        let invalid = |path: &str, message: &str| self.invalid(path, message);
        key_values(value, "sysctls", invalid)?
            .into_iter()
            .map(|(k, v)| match v {
                Some(v) => Ok((k, v)),
                None => Err(self.invalid(&format!("sysctls.{k}"), "needs a value")),
            })
            .collect()
    }

    /// `name: N` (soft and hard) or `name: {soft, hard}`.
    fn ulimits(&self) -> Result<Vec<UlimitSpec>, ConfigError> {
        let Some(value) = self.get("ulimits") else {
            return Ok(Vec::new());
        };
        let Value::Mapping(map) = value else {
            return Err(self.invalid("ulimits", "must be a mapping of limits"));
        };
        let mut out = Vec::new();
        for (name, limit) in map {
            let name = scalar_text(name)
                .ok_or_else(|| self.invalid("ulimits", "keys must be limit names"))?;
            let key = format!("ulimits.{name}");
            let (soft, hard) = match limit {
                Value::Mapping(m) => {
                    let get = |f: &str| {
                        m.get(f).and_then(integer).ok_or_else(|| {
                            self.invalid(&format!("{key}.{f}"), "must be a whole number")
                        })
                    };
                    (get("soft")?, get("hard")?)
                }
                v => {
                    let n = integer(v).ok_or_else(|| {
                        self.invalid(&key, "must be a whole number or {soft, hard}")
                    })?;
                    (n, n)
                }
            };
            out.push(UlimitSpec { name, soft, hard });
        }
        Ok(out)
    }

    /// `expose: [80, "8000-8001/udp"]` as `PORT/PROTOCOL`, ranges expanded.
    fn expose(&self) -> Result<Vec<String>, ConfigError> {
        let Some(value) = self.get("expose") else {
            return Ok(Vec::new());
        };
        let Value::Sequence(items) = value else {
            return Err(self.invalid("expose", "must be a list of ports"));
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let key = format!("expose[{i}]");
            let text = scalar_text(item).ok_or_else(|| self.invalid(&key, "must be a port"))?;
            let (ports, protocol) = text.split_once('/').unwrap_or((&text, "tcp"));
            let range = |p: &str| p.trim().parse::<u16>().ok().filter(|p| *p != 0);
            let (first, last) = match ports.split_once('-') {
                None => (range(ports), range(ports)),
                Some((a, b)) => (range(a), range(b)),
            };
            let (Some(first), Some(last)) = (first, last) else {
                return Err(self.invalid(&key, "must be PORT[-PORT][/PROTOCOL]"));
            };
            if first > last || !["tcp", "udp", "sctp"].contains(&protocol) {
                return Err(self.invalid(&key, "must be PORT[-PORT][/PROTOCOL]"));
            }
            out.extend((first..=last).map(|p| format!("{p}/{protocol}")));
        }
        Ok(out)
    }
}

pub(super) fn integer(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
