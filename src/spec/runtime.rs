//! `restart`, `extra_hosts`, resource limits (`mem_limit`, `cpus`, `deploy.resources`) and
//! `logging`.

use std::collections::BTreeMap;

use serde_norway::{Mapping, Value};

use crate::config::{ConfigError, scalar_text};

use super::DeviceRequestSpec;
use super::service::{Cx, unbracket};

/// What `mem_limit`, `cpus` and `deploy.resources` ask for.
#[derive(Default)]
pub(super) struct Deploy {
    pub memory: Option<i64>,
    pub nano_cpus: Option<i64>,
    pub pids: Option<i64>,
    pub memory_reservation: Option<i64>,
    pub devices: Vec<DeviceRequestSpec>,
}

const BYTES_FORM: &str = "must be a number of bytes or a size such as 512m or 1g";
const CPUS_FORM: &str = "must be a number of CPUs such as 0.5";

impl Cx<'_> {
    /// `restart`, or `deploy.restart_policy` (`condition`, `max_attempts`), which wins as in
    /// Compose; its `delay` and `window` are Swarm's and warned about.
    pub(super) fn restart(&mut self) -> Result<Option<String>, ConfigError> {
        let plain = self.plain_restart()?;
        let Some(policy) = self.get("deploy").and_then(|d| d.get("restart_policy")) else {
            return Ok(plain);
        };
        let key = "deploy.restart_policy";
        let m = policy
            .as_mapping()
            .ok_or_else(|| self.invalid(key, "must be a mapping"))?;
        let mut condition = "always".to_string();
        let mut attempts = None;
        for (k, v) in m {
            let k = k.as_str().unwrap_or("?");
            let at = format!("{key}.{k}");
            match k {
                "condition" => {
                    condition = match scalar_text(v).as_deref() {
                        Some("none" | "no") => "no",
                        Some("on-failure") => "on-failure",
                        Some("unless-stopped") => "unless-stopped",
                        Some("any" | "always") => "always",
                        _ => {
                            return Err(self.invalid(&at, "must be none, on-failure or any"));
                        }
                    }
                    .to_string();
                }
                "max_attempts" => {
                    attempts = Some(
                        super::host::integer(v)
                            .and_then(|n| u32::try_from(n).ok())
                            .ok_or_else(|| self.invalid(&at, "must be a whole number"))?,
                    );
                }
                "delay" | "window" => self.swarm_only(&at, "the engine restarts at once"),
                _ => return Err(self.invalid(&at, "is not a restart_policy setting")),
            }
        }
        Ok(Some(match (condition.as_str(), attempts) {
            ("on-failure", Some(n)) if n > 0 => format!("on-failure:{n}"),
            _ => condition,
        }))
    }

    fn plain_restart(&self) -> Result<Option<String>, ConfigError> {
        // YAML 1.1 readers take an unquoted `no` for false.
        if self.get("restart") == Some(&Value::Bool(false)) {
            return Ok(Some("no".to_string()));
        }
        let Some(policy) = self.string("restart")? else {
            return Ok(None);
        };
        let valid = match policy.split_once(':') {
            None => ["no", "always", "on-failure", "unless-stopped"].contains(&policy.as_str()),
            Some(("on-failure", n)) => n.parse::<u32>().is_ok(),
            Some(_) => false,
        };
        if !valid {
            return Err(self.invalid(
                "restart",
                "must be no, always, on-failure[:N] or unless-stopped",
            ));
        }
        Ok(Some(policy))
    }

    /// `security_opt` as Compose sends it: a seccomp profile named by path is read (relative
    /// to the project directory) and sent as compact JSON; `systempaths=unconfined` is not an
    /// option but unmasks /proc paths ([`super::Tuning::unconfined_paths`]).
    pub(super) fn security_opt(&self) -> Result<Vec<String>, ConfigError> {
        let mut out = Vec::new();
        for (i, opt) in self.string_list("security_opt")?.into_iter().enumerate() {
            if opt == "systempaths=unconfined" {
                continue;
            }
            let profile = opt
                .strip_prefix("seccomp=")
                .or_else(|| opt.strip_prefix("seccomp:"))
                .filter(|p| !["unconfined", "builtin"].contains(p));
            let Some(profile) = profile else {
                out.push(opt);
                continue;
            };
            let key = format!("security_opt[{i}]");
            let path = super::service::normalize(&self.project.directory.join(profile));
            let text = std::fs::read_to_string(&path).map_err(|e| {
                self.invalid(
                    &key,
                    format!("cannot read the seccomp profile {}: {e}", path.display()),
                )
            })?;
            let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                self.invalid(
                    &key,
                    format!("the seccomp profile {} is not JSON: {e}", path.display()),
                )
            })?;
            out.push(format!("seccomp={json}"));
        }
        Ok(out)
    }

    pub(super) fn extra_hosts(&self) -> Result<Vec<String>, ConfigError> {
        let mut out = Vec::new();
        match self.get("extra_hosts") {
            None => {}
            Some(Value::Sequence(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let entry = scalar_text(item).unwrap_or_default();
                    // `host=ip` (the newer form) or `host:ip` (which IPv6 addresses also use).
                    let pair = entry.split_once('=').or_else(|| entry.split_once(':'));
                    match pair {
                        Some((host, ip)) if !host.is_empty() && !ip.is_empty() => {
                            out.push(format!("{host}:{}", unbracket(ip)));
                        }
                        _ => {
                            return Err(self.invalid(
                                &format!("extra_hosts[{i}]"),
                                "must be HOST=IP or HOST:IP",
                            ));
                        }
                    }
                }
            }
            Some(Value::Mapping(map)) => {
                for (host, ips) in map {
                    let host = scalar_text(host)
                        .ok_or_else(|| self.invalid("extra_hosts", "keys must be host names"))?;
                    let key = format!("extra_hosts.{host}");
                    let ips = match ips {
                        Value::Sequence(items) => {
                            items.iter().map(scalar_text).collect::<Option<Vec<_>>>()
                        }
                        v => scalar_text(v).map(|ip| vec![ip]),
                    }
                    .filter(|ips| !ips.is_empty())
                    .ok_or_else(|| self.invalid(&key, "must be an IP address or a list of them"))?;
                    out.extend(ips.iter().map(|ip| format!("{host}:{}", unbracket(ip))));
                }
            }
            Some(_) => return Err(self.invalid("extra_hosts", "must be a list or a mapping")),
        }
        Ok(out)
    }

    /// `mem_limit` and `cpus`, else `deploy.resources.limits` (with `pids`); the memory and
    /// devices of `deploy.resources.reservations`; the other `deploy` keys are Swarm's and
    /// are warned about with the reason (`restart_policy` is read by [`Cx::restart`]).
    pub(super) fn resources(&mut self) -> Result<Deploy, ConfigError> {
        let mut out = Deploy {
            memory: self
                .get("mem_limit")
                .map(|v| bytes(v).ok_or_else(|| self.invalid("mem_limit", BYTES_FORM)))
                .transpose()?,
            nano_cpus: self
                .get("cpus")
                .map(|v| nano_cpus(v).ok_or_else(|| self.invalid("cpus", CPUS_FORM)))
                .transpose()?,
            ..Deploy::default()
        };
        let Some(deploy) = self.get("deploy") else {
            return Ok(out);
        };
        let deploy = deploy
            .as_mapping()
            .ok_or_else(|| self.invalid("deploy", "must be a mapping"))?;
        for (k, v) in deploy {
            let k = k.as_str().unwrap_or("?");
            match k {
                // Read by the compose loader as the number of containers; restart() reads
                // restart_policy.
                "replicas" | "restart_policy" => {}
                "resources" => {
                    let resources = v
                        .as_mapping()
                        .ok_or_else(|| self.invalid("deploy.resources", "must be a mapping"))?;
                    for (rk, rv) in resources {
                        let rk = rk.as_str().unwrap_or("?");
                        let key = format!("deploy.resources.{rk}");
                        let block = rv
                            .as_mapping()
                            .ok_or_else(|| self.invalid(&key, "must be a mapping"))?;
                        match rk {
                            "limits" => self.limits(block, &mut out)?,
                            "reservations" => self.reservations(block, &mut out)?,
                            _ => return Err(self.invalid(&key, "must be limits or reservations")),
                        }
                    }
                }
                "mode" => match v.as_str() {
                    Some("replicated") => {}
                    _ => self.swarm_only(
                        "deploy.mode",
                        "phi runs `replicas` containers on this engine (one-off jobs and \
                         one-per-node are Swarm modes)",
                    ),
                },
                "placement" | "update_config" | "rollback_config" | "endpoint_mode" | "labels" => {
                    self.swarm_only(&format!("deploy.{k}"), "Docker Compose ignores it too")
                }
                _ if k.starts_with("x-") => {}
                _ => return Err(self.invalid(&format!("deploy.{k}"), "is not a deploy setting")),
            }
        }
        Ok(out)
    }

    fn swarm_only(&mut self, key: &str, why: &str) {
        self.warnings.push(format!(
            "{}.{key} is a Swarm setting and is ignored: {why}",
            self.prefix
        ));
    }

    fn limits(&mut self, limits: &Mapping, out: &mut Deploy) -> Result<(), ConfigError> {
        for (lk, lv) in limits {
            let lk = lk.as_str().unwrap_or("?");
            let key = format!("deploy.resources.limits.{lk}");
            match lk {
                "memory" => {
                    let value = bytes(lv).ok_or_else(|| self.invalid(&key, BYTES_FORM))?;
                    out.memory.get_or_insert(value);
                }
                "cpus" => {
                    let value = nano_cpus(lv).ok_or_else(|| self.invalid(&key, CPUS_FORM))?;
                    out.nano_cpus.get_or_insert(value);
                }
                "pids" => {
                    out.pids = Some(
                        super::host::integer(lv)
                            .ok_or_else(|| self.invalid(&key, "must be a whole number"))?,
                    );
                }
                _ => return Err(self.invalid(&key, "is not a limit (cpus, memory, pids)")),
            }
        }
        Ok(())
    }

    fn reservations(&mut self, block: &Mapping, out: &mut Deploy) -> Result<(), ConfigError> {
        for (rk, rv) in block {
            let rk = rk.as_str().unwrap_or("?");
            let key = format!("deploy.resources.reservations.{rk}");
            match rk {
                "memory" => {
                    out.memory_reservation =
                        Some(bytes(rv).ok_or_else(|| self.invalid(&key, BYTES_FORM))?);
                }
                "devices" => {
                    let items = rv
                        .as_sequence()
                        .ok_or_else(|| self.invalid(&key, "must be a list"))?;
                    for (i, item) in items.iter().enumerate() {
                        let request = self.device_request(&format!("{key}[{i}]"), item)?;
                        if request.capabilities.is_empty() {
                            return Err(self.invalid(
                                &format!("{key}[{i}].capabilities"),
                                "is required (gpu, tpu, ...)",
                            ));
                        }
                        out.devices.push(request);
                    }
                }
                "cpus" | "generic_resources" => self.swarm_only(
                    &key,
                    "a scheduling reservation, which Docker Compose does not send either",
                ),
                _ => return Err(self.invalid(&key, "is not a reservation (cpus, memory, devices)")),
            }
        }
        Ok(())
    }

    pub(super) fn logging(
        &self,
    ) -> Result<(Option<String>, BTreeMap<String, String>), ConfigError> {
        let Some(value) = self.get("logging") else {
            return Ok((None, BTreeMap::new()));
        };
        let m = value
            .as_mapping()
            .ok_or_else(|| self.invalid("logging", "must be a mapping"))?;
        let mut driver = None;
        let mut options = BTreeMap::new();
        for (k, v) in m {
            let k = k.as_str().unwrap_or("?");
            match (k, v) {
                (_, Value::Null) => {}
                ("driver", v) => {
                    driver = Some(
                        scalar_text(v)
                            .ok_or_else(|| self.invalid("logging.driver", "must be a string"))?,
                    );
                }
                ("options", Value::Mapping(opts)) => {
                    for (ok, ov) in opts {
                        let ok = scalar_text(ok).ok_or_else(|| {
                            self.invalid("logging.options", "keys must be strings")
                        })?;
                        let ov = scalar_text(ov).ok_or_else(|| {
                            self.invalid(&format!("logging.options.{ok}"), "must be a string")
                        })?;
                        options.insert(ok, ov);
                    }
                }
                ("options", _) => return Err(self.invalid("logging.options", "must be a mapping")),
                _ => return Err(self.invalid(&format!("logging.{k}"), "is not a logging setting")),
            }
        }
        Ok((driver, options))
    }
}

/// A size in bytes: a number, or text in [`crate::units::parse_size`]'s form (`512m`, `1.5GB`).
pub(super) fn bytes(v: &Value) -> Option<i64> {
    if let Value::Number(n) = v {
        return n.as_i64().filter(|b| *b >= 0);
    }
    crate::units::parse_size(v.as_str()?)
        .ok()
        .and_then(|n| i64::try_from(n).ok())
}

fn nano_cpus(v: &Value) -> Option<i64> {
    let cpus: f64 = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    (0.0..1e9)
        .contains(&cpus)
        .then(|| (cpus * 1e9).round() as i64)
}
