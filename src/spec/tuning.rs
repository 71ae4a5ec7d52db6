//! The service keys of [`Tuning`]: cgroup limits, block I/O, device requests, namespaces
//! (`uts`, `cgroup`), `links`, `external_links` and `volumes_from`, read as
//! Compose reads them (compose-go's types, docker/compose's `getCreateConfigs`).

use std::collections::BTreeMap;

use serde_norway::{Mapping, Value};

use crate::config::{ConfigError, scalar_text};

use super::host::integer;
use super::runtime::bytes;
use super::service::{Cx, key_values};
use super::{Blkio, DeviceRequestSpec, Tuning};

/// Service keys translated here.
pub(super) const KEYS: &[&str] = &[
    "cpu_count",
    "cpu_percent",
    "cpu_period",
    "cpu_quota",
    "cpu_rt_period",
    "cpu_rt_runtime",
    "cpuset",
    "oom_kill_disable",
    "mem_swappiness",
    "storage_opt",
    "device_cgroup_rules",
    "annotations",
    "uts",
    "cgroup",
    "isolation",
    "blkio_config",
    "gpus",
    "links",
    "external_links",
    "volumes_from",
    "mac_address",
];

impl Cx<'_> {
    /// `reserved`: the device requests of `deploy.resources.reservations.devices`.
    pub(super) fn tuning(&self, reserved: Vec<DeviceRequestSpec>) -> Result<Tuning, ConfigError> {
        let mut device_requests = self.gpus()?;
        device_requests.extend(reserved);
        device_requests.extend(self.cdi_devices()?);
        Ok(Tuning {
            cpu_count: self.integer("cpu_count")?,
            cpu_percent: self.integer("cpu_percent")?,
            cpu_period: self.micros("cpu_period")?,
            cpu_quota: self.micros("cpu_quota")?,
            cpu_rt_period: self.micros("cpu_rt_period")?,
            cpu_rt_runtime: self.micros("cpu_rt_runtime")?,
            cpuset_cpus: self.string("cpuset")?,
            oom_kill_disable: self.bool("oom_kill_disable")?,
            memory_swappiness: match self.integer("mem_swappiness")? {
                Some(n) if !(0..=100).contains(&n) => {
                    return Err(self.invalid("mem_swappiness", "must be from 0 to 100"));
                }
                n => n,
            },
            storage_opt: self.string_map("storage_opt")?,
            device_cgroup_rules: self.string_list("device_cgroup_rules")?,
            annotations: self.string_map("annotations")?,
            uts_mode: self.one_of("uts", &["host"])?,
            cgroupns_mode: self.one_of("cgroup", &["host", "private"])?,
            isolation: self.one_of("isolation", &["default", "process", "hyperv"])?,
            blkio: self.blkio()?,
            device_requests,
            links: self.links()?,
            volumes_from: self.volumes_from()?,
            unconfined_paths: self
                .string_list("security_opt")?
                .iter()
                .any(|o| o == "systempaths=unconfined"),
        })
    }

    fn one_of(&self, key: &str, allowed: &[&str]) -> Result<Option<String>, ConfigError> {
        match self.string(key)? {
            Some(v) if !allowed.contains(&v.as_str()) => {
                Err(self.invalid(key, format!("must be {}", allowed.join(" or "))))
            }
            v => Ok(v),
        }
    }

    /// A `KEY: VALUE` mapping or a `KEY=VALUE` list.
    fn string_map(&self, key: &str) -> Result<BTreeMap<String, String>, ConfigError> {
        let Some(value) = self.get(key) else {
            return Ok(BTreeMap::new());
        };
        let invalid = |path: &str, message: &str| self.invalid(path, message);
        Ok(key_values(value, key, invalid)?
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect())
    }

    /// Microseconds: a number as it is, or a duration such as `400ms`.
    fn micros(&self, key: &str) -> Result<Option<i64>, ConfigError> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        if let Some(n) = integer(value) {
            return Ok(Some(n));
        }
        value
            .as_str()
            .and_then(|t| crate::units::parse_duration(t).ok())
            .and_then(|d| i64::try_from(d.as_micros()).ok())
            .map(Some)
            .ok_or_else(|| self.invalid(key, "must be microseconds or a duration such as 400ms"))
    }

    /// `blkio_config`: `weight`, `weight_device`, `device_read_bps`, `device_write_bps`
    /// (rates in bytes or sizes such as 12mb), `device_read_iops`, `device_write_iops`.
    fn blkio(&self) -> Result<Blkio, ConfigError> {
        let Some(value) = self.get("blkio_config") else {
            return Ok(Blkio::default());
        };
        let m = value
            .as_mapping()
            .ok_or_else(|| self.invalid("blkio_config", "must be a mapping"))?;
        let weight = |v: &Value, key: &str| {
            integer(v)
                .and_then(|w| u16::try_from(w).ok())
                .filter(|w| (10..=1000).contains(w))
                .ok_or_else(|| self.invalid(key, "must be a weight from 10 to 1000"))
        };
        let mut out = Blkio::default();
        for (k, v) in m {
            let k = k.as_str().unwrap_or("?");
            let key = format!("blkio_config.{k}");
            match k {
                "weight" => out.weight = Some(weight(v, &key)?),
                "weight_device" => {
                    for (i, (path, w)) in self
                        .devices_with(v, &key, "weight")?
                        .into_iter()
                        .enumerate()
                    {
                        let w = weight(w, &format!("{key}[{i}].weight"))?;
                        out.weight_device.push((path, w));
                    }
                }
                "device_read_bps" | "device_write_bps" | "device_read_iops"
                | "device_write_iops" => {
                    let per_byte = k.ends_with("bps");
                    let mut list = Vec::new();
                    for (i, (path, rate)) in
                        self.devices_with(v, &key, "rate")?.into_iter().enumerate()
                    {
                        let rate = if per_byte { bytes(rate) } else { integer(rate) }
                            .filter(|r| *r >= 0)
                            .ok_or_else(|| {
                                self.invalid(
                                    &format!("{key}[{i}].rate"),
                                    "must be a rate such as 12mb or 1000",
                                )
                            })?;
                        list.push((path, rate));
                    }
                    match k {
                        "device_read_bps" => out.read_bps = list,
                        "device_write_bps" => out.write_bps = list,
                        "device_read_iops" => out.read_iops = list,
                        _ => out.write_iops = list,
                    }
                }
                _ => return Err(self.invalid(&key, "is not a blkio_config setting")),
            }
        }
        Ok(out)
    }

    /// A list of `{path, <field>}`.
    fn devices_with<'v>(
        &self,
        value: &'v Value,
        key: &str,
        field: &str,
    ) -> Result<Vec<(String, &'v Value)>, ConfigError> {
        let items = value
            .as_sequence()
            .ok_or_else(|| self.invalid(key, format!("must be a list of {{path, {field}}}")))?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let at = format!("{key}[{i}]");
                let path = item
                    .get("path")
                    .and_then(scalar_text)
                    .ok_or_else(|| self.invalid(&format!("{at}.path"), "is required"))?;
                let v = item
                    .get(field)
                    .ok_or_else(|| self.invalid(&format!("{at}.{field}"), "is required"))?;
                Ok((path, v))
            })
            .collect()
    }

    /// `gpus: all` or a list of `{driver, count, device_ids, capabilities, options}`; the
    /// `gpu` capability is added, as Compose adds it.
    fn gpus(&self) -> Result<Vec<DeviceRequestSpec>, ConfigError> {
        match self.get("gpus") {
            None => Ok(Vec::new()),
            Some(Value::String(s)) if s == "all" => Ok(vec![DeviceRequestSpec {
                count: Some(-1),
                capabilities: vec!["gpu".into()],
                ..DeviceRequestSpec::default()
            }]),
            Some(Value::Sequence(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let mut request = self.device_request(&format!("gpus[{i}]"), item)?;
                    request.capabilities.push("gpu".into());
                    Ok(request)
                })
                .collect(),
            Some(_) => Err(self.invalid("gpus", "must be `all` or a list of device requests")),
        }
    }

    /// One `{driver, count, device_ids, capabilities, options}` (`count: all` is -1).
    pub(super) fn device_request(
        &self,
        key: &str,
        item: &Value,
    ) -> Result<DeviceRequestSpec, ConfigError> {
        let empty = Mapping::new();
        let m = item.as_mapping().unwrap_or(&empty);
        if item.as_mapping().is_none() {
            return Err(self.invalid(key, "must be a mapping"));
        }
        let list = |f: &str| -> Result<Vec<String>, ConfigError> {
            match m.get(f) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Sequence(items)) => items
                    .iter()
                    .map(|v| {
                        scalar_text(v).ok_or_else(|| {
                            self.invalid(&format!("{key}.{f}"), "must be a list of strings")
                        })
                    })
                    .collect(),
                Some(_) => Err(self.invalid(&format!("{key}.{f}"), "must be a list of strings")),
            }
        };
        let mut request = DeviceRequestSpec {
            driver: m.get("driver").and_then(scalar_text),
            device_ids: list("device_ids")?,
            capabilities: list("capabilities")?,
            ..DeviceRequestSpec::default()
        };
        request.count = match m.get("count") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s == "all" => Some(-1),
            Some(v) => Some(integer(v).ok_or_else(|| {
                self.invalid(&format!("{key}.count"), "must be a number or `all`")
            })?),
        };
        if let Some(options) = m.get("options").filter(|v| !v.is_null()) {
            let invalid = |path: &str, message: &str| self.invalid(path, message);
            for (k, v) in key_values(options, &format!("{key}.options"), invalid)? {
                request.options.insert(k, v.unwrap_or_default());
            }
        }
        for k in m.keys().filter_map(Value::as_str) {
            if !["driver", "count", "device_ids", "capabilities", "options"].contains(&k) {
                return Err(self.invalid(&format!("{key}.{k}"), "is not a device request setting"));
            }
        }
        Ok(request)
    }

    /// `devices` entries that name a CDI device (`vendor.com/class=name`) go to the CDI
    /// driver as a device request, as Compose sends them.
    fn cdi_devices(&self) -> Result<Vec<DeviceRequestSpec>, ConfigError> {
        let names: Vec<String> = match self.get("devices") {
            Some(Value::Sequence(items)) => items
                .iter()
                .filter_map(|v| v.as_str())
                .filter(|d| is_cdi(d))
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        };
        Ok(if names.is_empty() {
            Vec::new()
        } else {
            vec![DeviceRequestSpec {
                driver: Some("cdi".into()),
                device_ids: names,
                ..DeviceRequestSpec::default()
            }]
        })
    }

    /// `links` (`service[:alias]`) to every container of the service, under the alias, the
    /// service name with its number and the container name, as Compose links them; then
    /// `external_links` (`container[:alias]`) as they are.
    fn links(&self) -> Result<Vec<String>, ConfigError> {
        let mut out = Vec::new();
        for (i, link) in self.string_list("links")?.into_iter().enumerate() {
            let (service, alias) = link.split_once(':').unwrap_or((&link, &link));
            let Some(target) = self.project.model.services.get(service) else {
                return Err(self.invalid(
                    &format!("links[{i}]"),
                    format!("names service `{service}`, which is not declared"),
                ));
            };
            for number in 1..=target.replicas {
                let container = target
                    .container_name
                    .clone()
                    .unwrap_or_else(|| format!("{}-{service}-{number}", self.project.name));
                out.push(format!("{container}:{alias}"));
                out.push(format!("{container}:{service}-{number}"));
                out.push(format!(
                    "{container}:{}-{service}-{number}",
                    self.project.name
                ));
            }
        }
        for link in self.string_list("external_links")? {
            let (container, alias) = link.split_once(':').unwrap_or((&link, &link));
            out.push(format!("{container}:{alias}"));
        }
        out.dedup();
        Ok(out)
    }

    /// `service[:ro|rw]` (its first container) or `container:NAME[:ro|rw]`.
    fn volumes_from(&self) -> Result<Vec<String>, ConfigError> {
        let mut out = Vec::new();
        for (i, entry) in self.string_list("volumes_from")?.into_iter().enumerate() {
            let key = format!("volumes_from[{i}]");
            let (source, mode) = match entry.rsplit_once(':') {
                Some((source, mode @ ("ro" | "rw"))) => (source.to_string(), Some(mode)),
                _ => (entry.clone(), None),
            };
            let container = match source.strip_prefix("container:") {
                Some(name) if !name.is_empty() => name.to_string(),
                Some(_) => return Err(self.invalid(&key, "must name a container")),
                None => self.first_container(&key, &source)?,
            };
            out.push(match mode {
                Some(mode) => format!("{container}:{mode}"),
                None => container,
            });
        }
        Ok(out)
    }

    /// A MAC address at `key` (`mac_address`, `networks.<n>.mac_address`).
    pub(super) fn mac_address(
        &self,
        key: &str,
        mac: Option<String>,
    ) -> Result<Option<String>, ConfigError> {
        let Some(mac) = mac else {
            return Ok(None);
        };
        let valid = mac.split(':').count() == 6
            && mac
                .split(':')
                .all(|b| b.len() == 2 && b.chars().all(|c| c.is_ascii_hexdigit()));
        if !valid {
            return Err(self.invalid(key, "must be a MAC address such as 02:42:ac:11:00:02"));
        }
        Ok(Some(mac))
    }
}

/// A fully qualified CDI device name: `vendor.com/class=name`.
pub(super) fn is_cdi(device: &str) -> bool {
    match device.split_once('=') {
        Some((kind, name)) => {
            !name.is_empty()
                && !kind.starts_with('/')
                && kind
                    .split_once('/')
                    .is_some_and(|(vendor, class)| vendor.contains('.') && !class.is_empty())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::is_cdi;

    #[test]
    fn cdi_names_are_told_from_paths() {
        assert!(is_cdi("nvidia.com/gpu=all"));
        assert!(!is_cdi("/dev/fuse"));
        assert!(!is_cdi("/dev/sda:/dev/xvda:rwm"));
        assert!(!is_cdi("nvidia/gpu=all"));
    }
}
