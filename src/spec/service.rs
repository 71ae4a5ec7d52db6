//! The translation of one Compose service into the [`ContainerSpec`] of one of its containers,
//! following the Compose specification. Pure apart from reading the service's env files.
//!
//! Keys phi does not translate are reported as warnings, one per key; a value of the wrong
//! type or form is a [`ConfigError::Invalid`] that names the key path and never quotes the
//! value (it may come from a variable).

use serde_norway::{Mapping, Value};

use super::resources::resource_name;
use super::{
    ContainerSpec, LABEL_COMPOSE_CONFIG_HASH, LABEL_CONFIG_HASH, MountKind, MountSpec, config_hash,
};
use crate::config::{ConfigError, Project, scalar_text};

pub const LABEL_WORKING_DIR: &str = "com.docker.compose.project.working_dir";
pub const LABEL_CONFIG_FILES: &str = "com.docker.compose.project.config_files";

/// Service keys translated here.
const TRANSLATED: &[&str] = &[
    "image",
    "container_name",
    "command",
    "entrypoint",
    "environment",
    "env_file",
    "ports",
    "volumes",
    "tmpfs",
    "networks",
    "healthcheck",
    "restart",
    "user",
    "working_dir",
    "hostname",
    "read_only",
    "init",
    "security_opt",
    "cap_add",
    "cap_drop",
    "extra_hosts",
    "mem_limit",
    "cpus",
    "deploy",
    "logging",
    "stop_signal",
    "stop_grace_period",
    "secrets",
    "configs",
    "labels",
    "label_file",
    "use_api_socket",
    "pre_start",
    "post_start",
    "pre_stop",
];

/// Service keys phi reads elsewhere (ordering, selection, replicas, images) or warns about
/// when loading. `attach` only chooses whose logs `docker compose up` follows: phi follows
/// none, so there is nothing to do.
const READ_ELSEWHERE: &[&str] = &[
    "depends_on",
    "profiles",
    "scale",
    "extends",
    "build",
    "pull_policy",
    "pull_refresh_after",
    "attach",
    "provider",
];

/// Service keys phi cannot honour, each with the reason it is ignored.
const NOT_RUN: &[(&str, &str)] = &[
    (
        "develop",
        "it configures `docker compose watch` (sync and rebuild on file changes), which phi does \
         not do",
    ),
    (
        "models",
        "models are served by Docker Model Runner, which phi does not drive",
    ),
    ("credential_spec", "it applies to Windows containers only"),
];

/// Where the engine's API socket is, on the engine's host and in a `use_api_socket` container.
const API_SOCKET: &str = "/var/run/docker.sock";

/// Where secrets are mounted in the container.
pub(super) const SECRETS_DIR: &str = "/run/secrets";

/// The spec of container `number` of `service_name`, and warnings about what is left out.
pub fn container_spec(
    project: &Project,
    service_name: &str,
    number: u32,
) -> Result<(ContainerSpec, Vec<String>), ConfigError> {
    let origin = origin_of(project);
    let prefix = format!("services.{service_name}");
    let Some(service) = project.model.services.get(service_name) else {
        let declared = project
            .model
            .services
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        return Err(ConfigError::UnknownService {
            names: service_name.to_string(),
            declared,
        });
    };
    let empty = Mapping::new();
    let map = service.raw.as_mapping().unwrap_or(&empty);
    let mut cx = Cx {
        project,
        origin,
        prefix,
        service: service_name,
        map,
        warnings: Vec::new(),
    };

    for key in map.keys() {
        let key = key.as_str().unwrap_or("?");
        if !(key.starts_with("x-")
            || TRANSLATED.contains(&key)
            || super::host::KEYS.contains(&key)
            || super::tuning::KEYS.contains(&key)
            || READ_ELSEWHERE.contains(&key))
        {
            match NOT_RUN.iter().find(|(k, _)| *k == key) {
                Some((_, why)) => cx
                    .warnings
                    .push(format!("services.{service_name}.{key} is ignored: {why}")),
                None => cx.unsupported(key),
            }
        }
    }

    let image = match cx.string("image")?.filter(|i| !i.is_empty()) {
        Some(image) => image,
        // Compose names the image it builds `<project>-<service>`; `image: ""` is the same.
        None if map.contains_key("build") => format!("{}-{service_name}", project.name),
        None => {
            return Err(cx.invalid("image", "is required unless the service has `build:`"));
        }
    };
    let name = match cx.string("container_name")? {
        Some(_) if service.replicas > 1 => {
            return Err(cx.invalid(
                "container_name",
                "cannot be set for a service with more than one container (scale or \
                 deploy.replicas): container names must be unique",
            ));
        }
        Some(name) => name,
        None => format!("{}-{service_name}-{number}", project.name),
    };

    let mut host = cx.host()?;
    if host.network_mode.is_some() && map.contains_key("networks") {
        return Err(cx.invalid(
            "network_mode",
            "cannot be combined with `networks` (they are mutually exclusive)",
        ));
    }
    let deploy = cx.resources()?;
    // The plain keys win over deploy.resources, as for mem_limit and cpus.
    host.pids_limit = host.pids_limit.or(deploy.pids);
    host.memory_reservation = host.memory_reservation.or(deploy.memory_reservation);
    let tuning = cx.tuning(deploy.devices)?;
    let security_opt = cx.security_opt()?;
    let (log_driver, log_options) = cx.logging()?;
    let mut mounts = cx.volumes()?;
    mounts.extend(cx.tmpfs()?);
    let (file_mounts, files) = cx.file_refs()?;
    mounts.extend(file_mounts);
    if cx.bool("use_api_socket")? == Some(true) {
        mounts.push(MountSpec {
            kind: MountKind::Bind,
            source: Some(API_SOCKET.into()),
            target: API_SOCKET.into(),
            ..MountSpec::default()
        });
        cx.warnings.push(format!(
            "services.{service_name}.use_api_socket: the engine's socket is mounted, but phi \
             does not copy your registry credentials into the container as Compose does \
             (/run/secrets/docker/config.json)"
        ));
    }

    let env = cx.environment()?;
    let hooks = cx.hooks(&image, &env)?;
    let mut spec = ContainerSpec {
        name,
        image,
        command: cx.command_line("command")?,
        entrypoint: cx.command_line("entrypoint")?,
        env,
        labels: cx.labels(number)?,
        ports: cx.ports()?,
        mounts,
        networks: if host.network_mode.is_some() {
            Vec::new()
        } else {
            cx.networks()?
        },
        healthcheck: cx.healthcheck()?,
        restart: cx.restart()?,
        user: cx.string("user")?,
        working_dir: cx.string("working_dir")?,
        hostname: cx.string("hostname")?,
        read_only: cx.bool("read_only")?.unwrap_or(false),
        init: cx.bool("init")?,
        security_opt,
        cap_add: cx.string_list("cap_add")?,
        cap_drop: cx.string_list("cap_drop")?,
        extra_hosts: cx.extra_hosts()?,
        memory_bytes: deploy.memory,
        nano_cpus: deploy.nano_cpus,
        log_driver,
        log_options,
        stop_signal: cx.string("stop_signal")?,
        stop_grace_seconds: service
            .stop_grace_period
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
        files,
        host,
        tuning,
        hooks,
    };
    let hash = config_hash(&spec);
    spec.labels
        .insert(LABEL_COMPOSE_CONFIG_HASH.to_string(), hash.clone());
    spec.labels.insert(LABEL_CONFIG_HASH.to_string(), hash);
    Ok((spec, cx.warnings))
}

pub(super) fn origin_of(project: &Project) -> String {
    project
        .files
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The translation context: one service of one project.
pub(super) struct Cx<'a> {
    pub(super) project: &'a Project,
    pub(super) origin: String,
    /// `services.<name>`
    pub(super) prefix: String,
    pub(super) service: &'a str,
    pub(super) map: &'a Mapping,
    pub(super) warnings: Vec<String>,
}

impl<'a> Cx<'a> {
    pub(super) fn invalid(&self, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            path: self.origin.clone(),
            key: format!("{}.{key}", self.prefix),
            message: message.into(),
        }
    }

    pub(super) fn unsupported(&mut self, key: &str) {
        self.warnings.push(format!(
            "{}.{key} is not supported by phi start-all and is ignored",
            self.prefix
        ));
    }

    pub(super) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub(super) fn string(&self, key: &str) -> Result<Option<String>, ConfigError> {
        self.get(key)
            .map(|v| scalar_text(v).ok_or_else(|| self.invalid(key, "must be a string")))
            .transpose()
    }

    pub(super) fn bool(&self, key: &str) -> Result<Option<bool>, ConfigError> {
        self.get(key)
            .map(|v| boolean(v).ok_or_else(|| self.invalid(key, "must be true or false")))
            .transpose()
    }

    pub(super) fn string_list(&self, key: &str) -> Result<Vec<String>, ConfigError> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Sequence(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    scalar_text(v)
                        .ok_or_else(|| self.invalid(&format!("{key}[{i}]"), "must be a string"))
                })
                .collect(),
            Some(_) => Err(self.invalid(key, "must be a list of strings")),
        }
    }

    /// A top-level section (`networks`, `volumes`, `secrets`) entry.
    pub(super) fn top_level(&self, section: &str, name: &str) -> Option<&Value> {
        self.project.model.raw.get(section)?.get(name)
    }

    pub(super) fn engine_name(&self, section: &str, key: &str) -> Result<String, ConfigError> {
        resource_name(self.project, &self.origin, section, key).map(|(name, _)| name)
    }

    pub(super) fn command_line(&self, key: &str) -> Result<Option<Vec<String>>, ConfigError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Sequence(_)) => self.string_list(key).map(Some),
            Some(v) => {
                let line = scalar_text(v)
                    .ok_or_else(|| self.invalid(key, "must be a string or a list"))?;
                crate::config::shell::split(&line)
                    .map(Some)
                    .map_err(|message| self.invalid(key, message))
            }
        }
    }
}

pub(super) fn boolean(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Some(true),
            "false" | "no" | "off" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// An IPv6 address as Compose also accepts it in `extra_hosts`: `[::1]`.
pub(super) fn unbracket(ip: &str) -> &str {
    ip.strip_prefix('[')
        .and_then(|ip| ip.strip_suffix(']'))
        .unwrap_or(ip)
}

pub(super) use crate::config::normalize_path as normalize;

/// The entries of a `KEY=VALUE` list or a `KEY: VALUE` mapping, as Compose writes
/// `environment`, `labels` and build `args`: `None` where only the key is given (`KEY` in a
/// list, `KEY:` with no value in a mapping). `key` is the path errors name (`environment`,
/// `build.args`); `invalid` builds an error for a path and a message.
pub(super) fn key_values(
    value: &Value,
    key: &str,
    invalid: impl Fn(&str, &str) -> ConfigError,
) -> Result<Vec<(String, Option<String>)>, ConfigError> {
    match value {
        Value::Sequence(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let path = format!("{key}[{i}]");
                let entry =
                    scalar_text(item).ok_or_else(|| invalid(&path, "must be KEY=VALUE or KEY"))?;
                if entry.is_empty() || entry.starts_with('=') {
                    return Err(invalid(
                        &path,
                        "must be KEY=VALUE or KEY (the name is empty)",
                    ));
                }
                Ok(match entry.split_once('=') {
                    Some((k, v)) => (k.to_string(), Some(v.to_string())),
                    None => (entry, None),
                })
            })
            .collect(),
        Value::Mapping(map) => map
            .iter()
            .map(|(k, v)| {
                let k = scalar_text(k).ok_or_else(|| invalid(key, "keys must be strings"))?;
                let v = match v {
                    Value::Null => None,
                    v => Some(
                        scalar_text(v)
                            .ok_or_else(|| invalid(&format!("{key}.{k}"), "must be a string"))?,
                    ),
                };
                Ok((k, v))
            })
            .collect(),
        _ => Err(invalid(key, "must be a list or a mapping")),
    }
}
