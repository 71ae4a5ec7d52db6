//! The project's top-level networks and named volumes as the engine should have them.

use std::collections::BTreeMap;

use serde_norway::{Mapping, Value};

use crate::config::{ConfigError, Project, scalar_text};

use super::service::{boolean, key_values, origin_of};
use super::{LABEL_PROJECT, NetworkSpec, VolumeSpec};

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

/// Driver, labels and `internal` of one top-level network or volume.
#[derive(Default)]
struct Settings {
    driver: Option<String>,
    labels: BTreeMap<String, String>,
    internal: bool,
}

/// The project's networks (the implicit `default` included) and named volumes.
pub fn project_resources(project: &Project) -> Result<Resources, ConfigError> {
    let origin = origin_of(project);
    let mut warnings = Vec::new();
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
    let invalid = |key: String, message: &str| ConfigError::Invalid {
        path: origin.clone(),
        key,
        message: message.into(),
    };
    let mut read = |section: &str,
                    key: &str,
                    m: &Option<Mapping>|
     -> Result<Settings, ConfigError> {
        let Some(m) = m else {
            return Ok(Settings::default());
        };
        let Settings {
            mut driver,
            mut labels,
            mut internal,
        } = Settings::default();
        for (k, v) in m {
            let k = k.as_str().unwrap_or("?");
            let path = format!("{section}.{key}.{k}");
            match k {
                "name" | "external" => {}
                "driver" => {
                    driver = Some(scalar_text(v).ok_or_else(|| invalid(path, "must be a string"))?);
                }
                "internal" if section == "networks" => {
                    internal = boolean(v).ok_or_else(|| invalid(path, "must be true or false"))?;
                }
                "labels" => {
                    for (key, value) in key_values(v, &path, |p, m| invalid(p.to_string(), m))? {
                        labels.insert(key, value.unwrap_or_default());
                    }
                }
                _ => warnings.push(format!(
                    "{path} is not supported by phi start-all and is ignored"
                )),
            }
        }
        Ok(Settings {
            driver,
            labels,
            internal,
        })
    };
    let mut networks = Vec::new();
    for (key, m) in &declared_networks {
        let Settings {
            driver,
            mut labels,
            internal,
        } = read("networks", key, m)?;
        let (name, external) = resource_name(project, &origin, "networks", key)?;
        labels.insert(LABEL_PROJECT.into(), project.name.clone());
        labels.insert(LABEL_NETWORK.into(), key.clone());
        networks.push(NetworkSpec {
            name,
            labels,
            driver,
            internal,
            external,
        });
    }
    let mut volumes = Vec::new();
    for (key, m) in section("volumes") {
        let Settings {
            driver, mut labels, ..
        } = read("volumes", &key, &m)?;
        let (name, external) = resource_name(project, &origin, "volumes", &key)?;
        labels.insert(LABEL_PROJECT.into(), project.name.clone());
        labels.insert(LABEL_VOLUME.into(), key.clone());
        volumes.push(VolumeSpec {
            name,
            labels,
            driver,
            external,
        });
    }
    Ok(Resources {
        networks,
        volumes,
        warnings,
    })
}
