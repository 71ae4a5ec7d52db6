//! The project's top-level networks and named volumes as the engine should have them.

use std::collections::BTreeMap;

use serde_norway::{Mapping, Value};

use crate::config::{ConfigError, Project, scalar_text};

use super::service::{boolean, key_values, origin_of};
use super::{IpamPool, IpamSpec, LABEL_PROJECT, NetworkSpec, VolumeSpec};

/// The engine name of a top-level network or volume and whether it is external: its
/// `name:`, else for an external one the key itself, else `<project>_<key>`.
pub(super) fn resource_name(
    project: &Project,
    origin: &str,
    section: &str,
    key: &str,
) -> Result<(String, bool), ConfigError> {
    let definition = project.model.raw.get(section).and_then(|s| s.get(key));
    let field = |f: &str| definition.and_then(|d| d.get(f)).filter(|v| !v.is_null());
    let top_invalid = |f: &str, message: &str| ConfigError::Invalid {
        path: origin.to_string(),
        key: format!("{section}.{key}.{f}"),
        message: message.into(),
    };
    let external = match field("external") {
        None => false,
        Some(Value::Mapping(m)) => {
            // The obsolete `external: { name: ... }` form.
            if let Some(name) = m.get("name").and_then(scalar_text) {
                return Ok((name, true));
            }
            true
        }
        Some(v) => boolean(v).ok_or_else(|| top_invalid("external", "must be true or false"))?,
    };
    if let Some(name) = field("name") {
        let name = scalar_text(name).ok_or_else(|| top_invalid("name", "must be a string"))?;
        return Ok((name, external));
    }
    Ok((
        if external {
            key.to_string()
        } else {
            format!("{}_{key}", project.name)
        },
        external,
    ))
}

/// Compose's label naming a network's key in the compose file.
pub const LABEL_NETWORK: &str = "com.docker.compose.network";
/// Compose's label naming a volume's key in the compose file.
pub const LABEL_VOLUME: &str = "com.docker.compose.volume";

/// The project's networks and named volumes as the engine should have them.
#[derive(Debug, Clone, Default)]
pub struct Resources {
    pub networks: Vec<NetworkSpec>,
    pub volumes: Vec<VolumeSpec>,
    /// Settings phi leaves out.
    pub warnings: Vec<String>,
}

/// The settings of one top-level network or volume (`internal` and on for networks only).
#[derive(Default)]
struct Settings {
    driver: Option<String>,
    driver_opts: BTreeMap<String, String>,
    labels: BTreeMap<String, String>,
    internal: bool,
    attachable: bool,
    enable_ipv4: Option<bool>,
    enable_ipv6: Option<bool>,
    ipam: Option<IpamSpec>,
}

/// The project's networks (the implicit `default` included) and named volumes.
pub fn project_resources(project: &Project) -> Result<Resources, ConfigError> {
    let origin = origin_of(project);
    let section = |name: &str| -> Vec<(String, Option<Mapping>)> {
        match project.model.raw.get(name).and_then(Value::as_mapping) {
            None => Vec::new(),
            Some(m) => m
                .iter()
                .filter_map(|(k, v)| Some((scalar_text(k)?, v.as_mapping().cloned())))
                .collect(),
        }
    };
    let mut declared_networks = section("networks");
    if !declared_networks.iter().any(|(k, _)| k == "default") {
        declared_networks.push(("default".to_string(), None));
    }
    let read = |section: &str, key: &str, m: &Option<Mapping>| {
        read_settings(&origin, section, key, m.as_ref())
    };
    let mut networks = Vec::new();
    for (key, m) in &declared_networks {
        let settings = read("networks", key, m)?;
        let (name, external) = resource_name(project, &origin, "networks", key)?;
        let mut labels = settings.labels;
        labels.insert(LABEL_PROJECT.into(), project.name.clone());
        labels.insert(LABEL_NETWORK.into(), key.clone());
        networks.push(NetworkSpec {
            name,
            labels,
            driver: settings.driver,
            driver_opts: settings.driver_opts,
            internal: settings.internal,
            attachable: settings.attachable,
            enable_ipv4: settings.enable_ipv4,
            enable_ipv6: settings.enable_ipv6,
            ipam: settings.ipam,
            external,
        });
    }
    let mut volumes = Vec::new();
    for (key, m) in section("volumes") {
        let settings = read("volumes", &key, &m)?;
        let (name, external) = resource_name(project, &origin, "volumes", &key)?;
        let mut labels = settings.labels;
        labels.insert(LABEL_PROJECT.into(), project.name.clone());
        labels.insert(LABEL_VOLUME.into(), key.clone());
        volumes.push(VolumeSpec {
            name,
            labels,
            driver: settings.driver,
            driver_opts: settings.driver_opts,
            external,
        });
    }
    Ok(Resources {
        networks,
        volumes,
        warnings: Vec::new(),
    })
}

fn read_settings(
    origin: &str,
    section: &str,
    key: &str,
    m: Option<&Mapping>,
) -> Result<Settings, ConfigError> {
    let mut out = Settings::default();
    let Some(m) = m else {
        return Ok(out);
    };
    let invalid = |key: String, message: &str| ConfigError::Invalid {
        path: origin.to_string(),
        key,
        message: message.into(),
    };
    let networks = section == "networks";
    for (k, v) in m {
        let k = k.as_str().unwrap_or("?");
        let path = format!("{section}.{key}.{k}");
        let flag =
            |v: &Value| boolean(v).ok_or_else(|| invalid(path.clone(), "must be true or false"));
        match k {
            _ if v.is_null() => {}
            "name" | "external" => {}
            _ if k.starts_with("x-") => {}
            "driver" => {
                out.driver = Some(scalar_text(v).ok_or_else(|| invalid(path, "must be a string"))?);
            }
            "driver_opts" => out.driver_opts = string_map(v, &path, &invalid)?,
            "labels" => out.labels = string_map(v, &path, &invalid)?,
            "internal" if networks => out.internal = flag(v)?,
            "attachable" if networks => out.attachable = flag(v)?,
            "enable_ipv4" if networks => out.enable_ipv4 = Some(flag(v)?),
            "enable_ipv6" if networks => out.enable_ipv6 = Some(flag(v)?),
            "ipam" if networks => out.ipam = Some(ipam(v, &path, &invalid)?),
            _ => {
                return Err(invalid(
                    path,
                    &format!("is not a {} setting", &section[..section.len() - 1]),
                ));
            }
        }
    }
    Ok(out)
}

fn string_map(
    v: &Value,
    path: &str,
    invalid: &impl Fn(String, &str) -> ConfigError,
) -> Result<BTreeMap<String, String>, ConfigError> {
    Ok(key_values(v, path, |p, m| invalid(p.to_string(), m))?
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or_default()))
        .collect())
}

/// `ipam: {driver, config: [{subnet, ip_range, gateway, aux_addresses}], options}`.
fn ipam(
    v: &Value,
    path: &str,
    invalid: &impl Fn(String, &str) -> ConfigError,
) -> Result<IpamSpec, ConfigError> {
    let m = v
        .as_mapping()
        .ok_or_else(|| invalid(path.to_string(), "must be a mapping"))?;
    let mut out = IpamSpec::default();
    for (k, v) in m {
        let k = k.as_str().unwrap_or("?");
        let at = format!("{path}.{k}");
        match k {
            _ if v.is_null() || k.starts_with("x-") => {}
            "driver" => {
                out.driver = Some(scalar_text(v).ok_or_else(|| invalid(at, "must be a string"))?)
            }
            "options" => out.options = string_map(v, &at, invalid)?,
            "config" => {
                let items = v
                    .as_sequence()
                    .ok_or_else(|| invalid(at.clone(), "must be a list of pools"))?;
                for (i, item) in items.iter().enumerate() {
                    let pool_at = format!("{at}[{i}]");
                    let pool = item
                        .as_mapping()
                        .ok_or_else(|| invalid(pool_at.clone(), "must be a mapping"))?;
                    let mut out_pool = IpamPool::default();
                    for (pk, pv) in pool {
                        let pk = pk.as_str().unwrap_or("?");
                        let field_at = format!("{pool_at}.{pk}");
                        let text = || {
                            scalar_text(pv)
                                .ok_or_else(|| invalid(field_at.clone(), "must be a string"))
                        };
                        match pk {
                            "subnet" => out_pool.subnet = Some(text()?),
                            "ip_range" => out_pool.ip_range = Some(text()?),
                            "gateway" => out_pool.gateway = Some(text()?),
                            "aux_addresses" => {
                                out_pool.aux_addresses = string_map(pv, &field_at, invalid)?
                            }
                            _ => return Err(invalid(field_at, "is not an ipam pool setting")),
                        }
                    }
                    out.pools.push(out_pool);
                }
            }
            _ => {
                return Err(invalid(
                    at,
                    "is not an ipam setting (driver, config, options)",
                ));
            }
        }
    }
    Ok(out)
}
