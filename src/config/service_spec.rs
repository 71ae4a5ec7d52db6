//! The translation of one Compose service into the [`ContainerSpec`] of one of its containers,
//! following the Compose specification. Pure apart from reading the service's env files.
//!
//! Keys phi does not translate are reported as warnings, one per key; a value of the wrong
//! type or form is a [`ConfigError::Invalid`] that names the key path and never quotes the
//! value (it may come from a variable).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_norway::{Mapping, Value};

use super::env::parse_env_file;
use super::xphi;
use super::{ConfigError, scalar_text};
use crate::engine::images::BuildSpec;
use crate::engine::spec::{
    ContainerSpec, HealthSpec, LABEL_COMPOSE_CONFIG_HASH, LABEL_CONFIG_HASH, MountKind, MountSpec,
    NetworkAttachment, NetworkSpec, PortSpec, VolumeSpec, config_hash,
};
use crate::engine::{LABEL_NUMBER, LABEL_ONEOFF, LABEL_PROJECT, LABEL_SERVICE};
use crate::settings::Project;

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
    "labels",
];

/// Service keys phi reads elsewhere (ordering, selection, replicas) or warns about when loading.
const READ_ELSEWHERE: &[&str] = &["depends_on", "profiles", "scale", "extends", "build"];

/// Where secrets are mounted in the container.
const SECRETS_DIR: &str = "/run/secrets";

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
        if !(key.starts_with("x-") || TRANSLATED.contains(&key) || READ_ELSEWHERE.contains(&key)) {
            cx.unsupported(key);
        }
    }

    let image = match cx.string("image")? {
        Some(image) => image,
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

    let (memory_bytes, nano_cpus) = cx.resources()?;
    let (log_driver, log_options) = cx.logging()?;
    let mut mounts = cx.volumes()?;
    mounts.extend(cx.tmpfs()?);
    mounts.extend(cx.secrets()?);

    let mut spec = ContainerSpec {
        name,
        image,
        command: cx.command_line("command")?,
        entrypoint: cx.command_line("entrypoint")?,
        env: cx.environment()?,
        labels: cx.labels(number)?,
        ports: cx.ports()?,
        mounts,
        networks: cx.networks()?,
        healthcheck: cx.healthcheck()?,
        restart: cx.restart()?,
        user: cx.string("user")?,
        working_dir: cx.string("working_dir")?,
        hostname: cx.string("hostname")?,
        read_only: cx.bool("read_only")?.unwrap_or(false),
        init: cx.bool("init")?,
        security_opt: cx.string_list("security_opt")?,
        cap_add: cx.string_list("cap_add")?,
        cap_drop: cx.string_list("cap_drop")?,
        extra_hosts: cx.extra_hosts()?,
        memory_bytes,
        nano_cpus,
        log_driver,
        log_options,
        stop_signal: cx.string("stop_signal")?,
        stop_grace_seconds: service
            .stop_grace_period
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
    };
    let hash = config_hash(&spec);
    spec.labels
        .insert(LABEL_COMPOSE_CONFIG_HASH.to_string(), hash.clone());
    spec.labels.insert(LABEL_CONFIG_HASH.to_string(), hash);
    Ok((spec, cx.warnings))
}

fn origin_of(project: &Project) -> String {
    project
        .files
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The engine name of a top-level network or volume and whether it is external: its
/// `name:`, else for an external one the key itself, else `<project>_<key>`.
fn resource_name(
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
                "labels" => match v {
                    Value::Mapping(items) => {
                        for (lk, lv) in items {
                            let lk = scalar_text(lk)
                                .ok_or_else(|| invalid(path.clone(), "keys must be strings"))?;
                            labels.insert(lk, scalar_text(lv).unwrap_or_default());
                        }
                    }
                    Value::Sequence(items) => {
                        for item in items {
                            let entry = scalar_text(item)
                                .ok_or_else(|| invalid(path.clone(), "must be KEY=VALUE"))?;
                            let (lk, lv) = entry.split_once('=').unwrap_or((&entry, ""));
                            labels.insert(lk.to_string(), lv.to_string());
                        }
                    }
                    _ => return Err(invalid(path, "must be a list or a mapping")),
                },
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

/// What `build:` of `service_name` asks for, if it has one, and warnings about what phi
/// leaves out. The image is tagged as the service's image (`image:`, else
/// `<project>-<service>`, as Compose names it).
pub fn build_spec(
    project: &Project,
    service_name: &str,
    tag: &str,
) -> Result<Option<(BuildSpec, Vec<String>)>, ConfigError> {
    let Some(value) = project
        .model
        .services
        .get(service_name)
        .and_then(|s| s.raw.get("build"))
        .filter(|v| !v.is_null())
    else {
        return Ok(None);
    };
    let origin = origin_of(project);
    let prefix = format!("services.{service_name}.build");
    let invalid = |key: &str, message: &str| ConfigError::Invalid {
        path: origin.clone(),
        key: if key.is_empty() {
            prefix.clone()
        } else {
            format!("{prefix}.{key}")
        },
        message: message.into(),
    };
    let mut warnings = Vec::new();
    let mut spec = BuildSpec {
        context: project.directory.clone(),
        dockerfile: "Dockerfile".into(),
        tag: tag.to_string(),
        ..BuildSpec::default()
    };
    let context = match value {
        Value::Mapping(m) => {
            for (k, v) in m {
                let k = k.as_str().unwrap_or("?");
                match k {
                    "context" => {}
                    "dockerfile" => {
                        spec.dockerfile =
                            scalar_text(v).ok_or_else(|| invalid(k, "must be a string"))?;
                    }
                    "target" => {
                        spec.target =
                            Some(scalar_text(v).ok_or_else(|| invalid(k, "must be a string"))?);
                    }
                    "args" => match v {
                        Value::Mapping(args) => {
                            for (ak, av) in args {
                                let ak = scalar_text(ak)
                                    .ok_or_else(|| invalid(k, "keys must be strings"))?;
                                match av {
                                    // `ARG: ` without a value takes it from the environment.
                                    Value::Null => {
                                        if let Ok(Some(v)) = project.env.get(&ak) {
                                            spec.args.insert(ak, v);
                                        }
                                    }
                                    v => {
                                        let v = scalar_text(v).ok_or_else(|| {
                                            invalid(&format!("args.{ak}"), "must be a string")
                                        })?;
                                        spec.args.insert(ak, v);
                                    }
                                }
                            }
                        }
                        Value::Sequence(items) => {
                            for (i, item) in items.iter().enumerate() {
                                let entry = scalar_text(item).ok_or_else(|| {
                                    invalid(&format!("args[{i}]"), "must be NAME=VALUE")
                                })?;
                                match entry.split_once('=') {
                                    Some((ak, av)) => {
                                        spec.args.insert(ak.to_string(), av.to_string());
                                    }
                                    None => {
                                        if let Ok(Some(v)) = project.env.get(&entry) {
                                            spec.args.insert(entry, v);
                                        }
                                    }
                                }
                            }
                        }
                        _ => return Err(invalid(k, "must be a list or a mapping")),
                    },
                    _ => warnings.push(format!(
                        "{prefix}.{k} is not supported by phi start-all and is ignored"
                    )),
                }
            }
            match m.get("context").filter(|v| !v.is_null()) {
                None => ".".to_string(),
                Some(v) => scalar_text(v).ok_or_else(|| invalid("context", "must be a path"))?,
            }
        }
        v => scalar_text(v).ok_or_else(|| invalid("", "must be a path or a mapping"))?,
    };
    if context.contains("://") || context.starts_with("git@") {
        return Err(invalid(
            "context",
            "must be a local directory: phi does not build from URLs",
        ));
    }
    spec.context = normalize(&project.directory.join(context));
    Ok(Some((spec, warnings)))
}

/// The translation context: one service of one project.
struct Cx<'a> {
    project: &'a Project,
    origin: String,
    /// `services.<name>`
    prefix: String,
    service: &'a str,
    map: &'a Mapping,
    warnings: Vec<String>,
}

impl<'a> Cx<'a> {
    fn invalid(&self, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            path: self.origin.clone(),
            key: format!("{}.{key}", self.prefix),
            message: message.into(),
        }
    }

    fn unsupported(&mut self, key: &str) {
        self.warnings.push(format!(
            "{}.{key} is not supported by phi start-all and is ignored",
            self.prefix
        ));
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn string(&self, key: &str) -> Result<Option<String>, ConfigError> {
        self.get(key)
            .map(|v| scalar_text(v).ok_or_else(|| self.invalid(key, "must be a string")))
            .transpose()
    }

    fn bool(&self, key: &str) -> Result<Option<bool>, ConfigError> {
        self.get(key)
            .map(|v| boolean(v).ok_or_else(|| self.invalid(key, "must be true or false")))
            .transpose()
    }

    fn string_list(&self, key: &str) -> Result<Vec<String>, ConfigError> {
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
    fn top_level(&self, section: &str, name: &str) -> Option<&Value> {
        self.project.model.raw.get(section)?.get(name)
    }

    fn engine_name(&self, section: &str, key: &str) -> Result<String, ConfigError> {
        resource_name(self.project, &self.origin, section, key).map(|(name, _)| name)
    }

    fn command_line(&self, key: &str) -> Result<Option<Vec<String>>, ConfigError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Sequence(_)) => self.string_list(key).map(Some),
            Some(v) => {
                let line = scalar_text(v)
                    .ok_or_else(|| self.invalid(key, "must be a string or a list"))?;
                split_shell(&line)
                    .map(Some)
                    .map_err(|message| self.invalid(key, message))
            }
        }
    }

    /// `env_file` entries in order, then `environment` over them; sorted `KEY=VALUE`.
    fn environment(&self) -> Result<Vec<String>, ConfigError> {
        let mut vars: BTreeMap<String, String> = BTreeMap::new();
        for (key, path, required) in self.env_files()? {
            let full = self.project.directory.join(&path);
            if !required && !full.exists() {
                continue;
            }
            let entries = parse_env_file(&full).map_err(|e| match e {
                ConfigError::Read { path, source } => {
                    self.invalid(&key, format!("cannot read {}: {source}", path.display()))
                }
                other => other,
            })?;
            for (name, value, _) in entries {
                vars.insert(name, value);
            }
        }
        let from_project = |key: &str, vars: &mut BTreeMap<String, String>| {
            if let Some(value) = self.project.env.get(key)? {
                vars.insert(key.to_string(), value);
            } else {
                vars.remove(key);
            }
            Ok::<_, ConfigError>(())
        };
        match self.get("environment") {
            None => {}
            Some(Value::Sequence(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let entry = scalar_text(item).ok_or_else(|| {
                        self.invalid(&format!("environment[{i}]"), "must be KEY=VALUE or KEY")
                    })?;
                    match entry.split_once('=') {
                        _ if entry.is_empty() || entry.starts_with('=') => {
                            return Err(self.invalid(
                                &format!("environment[{i}]"),
                                "must be KEY=VALUE or KEY (the name is empty)",
                            ));
                        }
                        Some((key, value)) => {
                            vars.insert(key.to_string(), value.to_string());
                        }
                        None => from_project(&entry, &mut vars)?,
                    }
                }
            }
            Some(Value::Mapping(map)) => {
                for (key, value) in map {
                    let key = scalar_text(key)
                        .ok_or_else(|| self.invalid("environment", "keys must be strings"))?;
                    match value {
                        Value::Null => from_project(&key, &mut vars)?,
                        v => {
                            let value = scalar_text(v).ok_or_else(|| {
                                self.invalid(&format!("environment.{key}"), "must be a string")
                            })?;
                            vars.insert(key, value);
                        }
                    }
                }
            }
            Some(_) => return Err(self.invalid("environment", "must be a list or a mapping")),
        }
        Ok(vars.into_iter().map(|(k, v)| format!("{k}={v}")).collect())
    }

    /// `env_file`: a path, or a list of paths and `{path, required}` mappings.
    /// Each entry with its key path.
    fn env_files(&self) -> Result<Vec<(String, String, bool)>, ConfigError> {
        let items: Vec<(String, &Value)> = match self.get("env_file") {
            None => return Ok(Vec::new()),
            Some(Value::Sequence(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("env_file[{i}]"), v))
                .collect(),
            Some(v) => vec![("env_file".to_string(), v)],
        };
        items
            .into_iter()
            .map(|(key, v)| match v {
                Value::Mapping(m) => {
                    let path = m
                        .get("path")
                        .and_then(scalar_text)
                        .ok_or_else(|| self.invalid(&format!("{key}.path"), "must be a path"))?;
                    let required = match m.get("required") {
                        None | Some(Value::Null) => true,
                        Some(r) => boolean(r).ok_or_else(|| {
                            self.invalid(&format!("{key}.required"), "must be true or false")
                        })?,
                    };
                    Ok((key, path, required))
                }
                v => scalar_text(v)
                    .map(|p| (key.clone(), p, true))
                    .ok_or_else(|| self.invalid(&key, "must be a path or {path, required}")),
            })
            .collect()
    }

    /// The service's labels, then Compose's and phi's own (which win).
    fn labels(&self, number: u32) -> Result<BTreeMap<String, String>, ConfigError> {
        let mut labels = BTreeMap::new();
        match self.get("labels") {
            None => {}
            Some(Value::Sequence(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let entry = scalar_text(item).ok_or_else(|| {
                        self.invalid(&format!("labels[{i}]"), "must be KEY=VALUE")
                    })?;
                    let (k, v) = entry.split_once('=').unwrap_or((&entry, ""));
                    labels.insert(k.to_string(), v.to_string());
                }
            }
            Some(Value::Mapping(map)) => {
                for (k, v) in map {
                    let k = scalar_text(k)
                        .ok_or_else(|| self.invalid("labels", "keys must be strings"))?;
                    let v = match v {
                        Value::Null => String::new(),
                        v => scalar_text(v).ok_or_else(|| {
                            self.invalid(&format!("labels.{k}"), "must be a string")
                        })?,
                    };
                    labels.insert(k, v);
                }
            }
            Some(_) => return Err(self.invalid("labels", "must be a list or a mapping")),
        }
        let files = self
            .project
            .files
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(",");
        for (k, v) in [
            (LABEL_PROJECT, self.project.name.clone()),
            (LABEL_SERVICE, self.service.to_string()),
            (LABEL_NUMBER, number.to_string()),
            (LABEL_ONEOFF, "False".to_string()),
            (
                LABEL_WORKING_DIR,
                self.project.directory.display().to_string(),
            ),
            (LABEL_CONFIG_FILES, files),
        ] {
            labels.insert(k.to_string(), v);
        }
        Ok(labels)
    }

    fn ports(&mut self) -> Result<Vec<PortSpec>, ConfigError> {
        let items = match self.get("ports") {
            None => return Ok(Vec::new()),
            Some(Value::Sequence(items)) => items,
            Some(_) => return Err(self.invalid("ports", "must be a list")),
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let key = format!("ports[{i}]");
            match item {
                Value::Mapping(m) => out.extend(self.long_port(&key, m)?),
                v => {
                    let text = scalar_text(v).ok_or_else(|| self.invalid(&key, PORT_FORM))?;
                    let (ports, warning) =
                        short_port(&text).map_err(|message| self.invalid(&key, message))?;
                    if let Some(w) = warning {
                        self.warnings.push(format!("{}.{key}: {w}", self.prefix));
                    }
                    out.extend(ports);
                }
            }
        }
        Ok(out)
    }

    fn long_port(&mut self, key: &str, m: &Mapping) -> Result<Vec<PortSpec>, ConfigError> {
        for k in m.keys() {
            let k = k.as_str().unwrap_or("?");
            if ![
                "target",
                "published",
                "host_ip",
                "protocol",
                "mode",
                "name",
                "app_protocol",
            ]
            .contains(&k)
            {
                return Err(self.invalid(&format!("{key}.{k}"), "is not a port setting"));
            }
        }
        let field = |f: &str| m.get(f).filter(|v| !v.is_null());
        let target = field("target")
            .and_then(scalar_text)
            .ok_or_else(|| self.invalid(&format!("{key}.target"), "is required: a port number"))?;
        let target = parse_port(&target)
            .ok_or_else(|| self.invalid(&format!("{key}.target"), "must be a port number"))?;
        let protocol = match field("protocol") {
            None => "tcp".to_string(),
            Some(v) => scalar_text(v)
                .map(|p| p.to_ascii_lowercase())
                .filter(|p| PROTOCOLS.contains(&p.as_str()))
                .ok_or_else(|| {
                    self.invalid(&format!("{key}.protocol"), "must be tcp, udp or sctp")
                })?,
        };
        let host_ip = match field("host_ip") {
            None => None,
            Some(v) => Some(
                scalar_text(v)
                    .ok_or_else(|| self.invalid(&format!("{key}.host_ip"), "must be a string"))?,
            ),
        };
        let published = match field("published") {
            None => vec![None],
            Some(v) => {
                let text = scalar_text(v).filter(|t| !t.is_empty());
                match text {
                    None => vec![None],
                    Some(text) => {
                        let (first, last) = parse_range(&text).ok_or_else(|| {
                            self.invalid(
                                &format!("{key}.published"),
                                "must be a port number or a range such as 8000-8002",
                            )
                        })?;
                        if first != last {
                            self.warnings.push(format!(
                                "{}.{key}.published: a host port range for one container port; \
                                 phi publishes the first port of the range",
                                self.prefix
                            ));
                        }
                        vec![Some(first)]
                    }
                }
            }
        };
        Ok(published
            .into_iter()
            .map(|host_port| PortSpec {
                host_ip: host_ip.clone(),
                host_port,
                container_port: target,
                protocol: protocol.clone(),
            })
            .collect())
    }

    fn volumes(&mut self) -> Result<Vec<MountSpec>, ConfigError> {
        let items = match self.get("volumes") {
            None => return Ok(Vec::new()),
            Some(Value::Sequence(items)) => items,
            Some(_) => return Err(self.invalid("volumes", "must be a list")),
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let key = format!("volumes[{i}]");
            let mount = match item {
                Value::Mapping(m) => self.long_volume(&key, m)?,
                v => {
                    let text = scalar_text(v).ok_or_else(|| {
                        self.invalid(&key, "must be SOURCE:TARGET[:MODE] or a mapping")
                    })?;
                    self.short_volume(&key, &text)?
                }
            };
            out.push(mount);
        }
        Ok(out)
    }

    fn short_volume(&mut self, key: &str, text: &str) -> Result<MountSpec, ConfigError> {
        let parts: Vec<&str> = text.split(':').collect();
        let (source, target, mode) = match parts.as_slice() {
            [target] => (None, *target, None),
            [source, target] => (Some(*source), *target, None),
            [source, target, mode] => (Some(*source), *target, Some(*mode)),
            _ => {
                return Err(self.invalid(key, "must be [SOURCE:]TARGET[:MODE]"));
            }
        };
        if !target.starts_with('/') {
            return Err(self.invalid(key, "the container path must be absolute"));
        }
        let mut read_only = false;
        for option in mode.unwrap_or("").split(',').filter(|o| !o.is_empty()) {
            match option {
                "ro" => read_only = true,
                "rw" => read_only = false,
                other => self.warnings.push(format!(
                    "{}.{key}: volume option `{other}` is not supported by phi start-all and is ignored",
                    self.prefix
                )),
            }
        }
        let (kind, source) = match source {
            None => (MountKind::Volume, None),
            Some("") => return Err(self.invalid(key, "the source is empty")),
            Some(s) if is_path(s) => (MountKind::Bind, Some(self.host_path(key, s)?)),
            Some(s) => (MountKind::Volume, Some(self.volume_name(key, s)?)),
        };
        Ok(MountSpec {
            kind,
            source,
            target: target.to_string(),
            read_only,
        })
    }

    fn long_volume(&mut self, key: &str, m: &Mapping) -> Result<MountSpec, ConfigError> {
        let field = |f: &str| m.get(f).filter(|v| !v.is_null());
        for k in m.keys() {
            let k = k.as_str().unwrap_or("?");
            match k {
                "type" | "source" | "target" | "read_only" => {}
                "bind" | "volume" | "tmpfs" | "consistency" => self.warnings.push(format!(
                    "{}.{key}.{k} is not supported by phi start-all and is ignored",
                    self.prefix
                )),
                _ => return Err(self.invalid(&format!("{key}.{k}"), "is not a volume setting")),
            }
        }
        let kind = match field("type").and_then(scalar_text).as_deref() {
            Some("volume") => MountKind::Volume,
            Some("bind") => MountKind::Bind,
            Some("tmpfs") => MountKind::Tmpfs,
            _ => {
                return Err(self.invalid(&format!("{key}.type"), "must be volume, bind or tmpfs"));
            }
        };
        let target = field("target")
            .and_then(scalar_text)
            .filter(|t| t.starts_with('/'))
            .ok_or_else(|| {
                self.invalid(
                    &format!("{key}.target"),
                    "is required: an absolute container path",
                )
            })?;
        let read_only = match field("read_only") {
            None => false,
            Some(v) => boolean(v).ok_or_else(|| {
                self.invalid(&format!("{key}.read_only"), "must be true or false")
            })?,
        };
        let source = match field("source") {
            None => None,
            Some(v) => Some(
                scalar_text(v)
                    .ok_or_else(|| self.invalid(&format!("{key}.source"), "must be a string"))?,
            )
            .filter(|s| !s.is_empty()),
        };
        let source_key = format!("{key}.source");
        let source = match (kind, source) {
            (MountKind::Volume, None) => None,
            (MountKind::Volume, Some(s)) => Some(self.volume_name(&source_key, &s)?),
            (MountKind::Bind, None) => {
                return Err(self.invalid(&source_key, "is required for a bind mount"));
            }
            (MountKind::Bind, Some(s)) => Some(self.host_path(&source_key, &s)?),
            (MountKind::Tmpfs, _) => None,
        };
        Ok(MountSpec {
            kind,
            source,
            target,
            read_only,
        })
    }

    /// A bind source as an absolute host path: `~` is the user's home, relative paths are
    /// taken from the project directory.
    fn host_path(&self, key: &str, source: &str) -> Result<String, ConfigError> {
        let path = if source == "~" || source.starts_with("~/") {
            let home = self
                .project
                .env
                .raw("HOME")
                .map(|v| PathBuf::from(&v.value))
                .ok_or_else(|| self.invalid(key, "uses ~ but HOME is not set"))?;
            home.join(source.trim_start_matches('~').trim_start_matches('/'))
        } else {
            self.project.directory.join(source)
        };
        Ok(normalize(&path).display().to_string())
    }

    /// The engine name of named volume `name`, which must be declared at the top level.
    fn volume_name(&self, key: &str, name: &str) -> Result<String, ConfigError> {
        let declared = self
            .project
            .model
            .raw
            .get("volumes")
            .and_then(Value::as_mapping)
            .is_some_and(|m| m.contains_key(name));
        if !declared {
            return Err(self.invalid(
                key,
                "refers to a named volume that is not declared under the top-level `volumes`",
            ));
        }
        self.engine_name("volumes", name)
    }

    fn tmpfs(&self) -> Result<Vec<MountSpec>, ConfigError> {
        let paths = match self.get("tmpfs") {
            None => Vec::new(),
            Some(Value::Sequence(_)) => self.string_list("tmpfs")?,
            Some(v) => {
                vec![
                    scalar_text(v)
                        .ok_or_else(|| self.invalid("tmpfs", "must be a path or a list"))?,
                ]
            }
        };
        paths
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let target = p.split(':').next().unwrap_or("").to_string();
                if !target.starts_with('/') {
                    let key = if self.get("tmpfs").is_some_and(Value::is_sequence) {
                        format!("tmpfs[{i}]")
                    } else {
                        "tmpfs".to_string()
                    };
                    return Err(self.invalid(&key, "must be an absolute container path"));
                }
                Ok(MountSpec {
                    kind: MountKind::Tmpfs,
                    source: None,
                    target,
                    read_only: false,
                })
            })
            .collect()
    }

    fn secrets(&mut self) -> Result<Vec<MountSpec>, ConfigError> {
        let items = match self.get("secrets") {
            None => return Ok(Vec::new()),
            Some(Value::Sequence(items)) => items,
            Some(_) => return Err(self.invalid("secrets", "must be a list")),
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let key = format!("secrets[{i}]");
            let (source, target) = match item {
                Value::Mapping(m) => {
                    for k in m.keys() {
                        let k = k.as_str().unwrap_or("?");
                        if !["source", "target"].contains(&k) {
                            self.unsupported(&format!("{key}.{k}"));
                        }
                    }
                    let source = m.get("source").and_then(scalar_text).ok_or_else(|| {
                        self.invalid(&format!("{key}.source"), "is required: a secret name")
                    })?;
                    let target = match m.get("target").filter(|v| !v.is_null()) {
                        None => None,
                        Some(t) => Some(scalar_text(t).ok_or_else(|| {
                            self.invalid(&format!("{key}.target"), "must be a path")
                        })?),
                    };
                    (source, target)
                }
                v => (
                    scalar_text(v).ok_or_else(|| self.invalid(&key, "must be a secret name"))?,
                    None,
                ),
            };
            let target = match target {
                Some(t) if t.starts_with('/') => t,
                Some(t) => format!("{SECRETS_DIR}/{t}"),
                None => format!("{SECRETS_DIR}/{source}"),
            };
            let Some(definition) = self.top_level("secrets", &source) else {
                return Err(self.invalid(
                    &key,
                    "refers to a secret that is not declared under the top-level `secrets`",
                ));
            };
            let file = definition
                .get("file")
                .and_then(scalar_text)
                .ok_or_else(|| ConfigError::Invalid {
                    path: self.origin.clone(),
                    key: format!("secrets.{source}.file"),
                    message: format!(
                        "is required: phi start-all mounts secrets from files ({}.{key})",
                        self.prefix
                    ),
                })?;
            out.push(MountSpec {
                kind: MountKind::Bind,
                source: Some(self.host_path(&format!("secrets.{source}.file"), &file)?),
                target,
                read_only: true,
            });
        }
        Ok(out)
    }

    fn networks(&mut self) -> Result<Vec<NetworkAttachment>, ConfigError> {
        let declared: Vec<(String, Option<&Value>)> = match self.get("networks") {
            None => vec![("default".to_string(), None)],
            Some(Value::Sequence(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    scalar_text(v).map(|n| (n, None)).ok_or_else(|| {
                        self.invalid(&format!("networks[{i}]"), "must be a network name")
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(Value::Mapping(map)) => map
                .iter()
                .map(|(k, v)| {
                    scalar_text(k)
                        .map(|n| (n, Some(v)))
                        .ok_or_else(|| self.invalid("networks", "keys must be network names"))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(self.invalid("networks", "must be a list or a mapping")),
        };
        let top = self
            .project
            .model
            .raw
            .get("networks")
            .and_then(Value::as_mapping);
        let mut out = Vec::new();
        for (i, (network, settings)) in declared.into_iter().enumerate() {
            let key = if settings.is_some() {
                format!("networks.{network}")
            } else {
                format!("networks[{i}]")
            };
            if network != "default" && !top.is_some_and(|m| m.contains_key(network.as_str())) {
                return Err(self.invalid(
                    &key,
                    "refers to a network that is not declared under the top-level `networks`",
                ));
            }
            let mut aliases = vec![self.service.to_string()];
            match settings {
                None | Some(Value::Null) => {}
                Some(Value::Mapping(m)) => {
                    for (k, v) in m {
                        let k = k.as_str().unwrap_or("?");
                        if k == "aliases" {
                            let items = v.as_sequence().ok_or_else(|| {
                                self.invalid(&format!("{key}.aliases"), "must be a list")
                            })?;
                            for (j, alias) in items.iter().enumerate() {
                                let alias = scalar_text(alias).ok_or_else(|| {
                                    self.invalid(&format!("{key}.aliases[{j}]"), "must be a string")
                                })?;
                                if !aliases.contains(&alias) {
                                    aliases.push(alias);
                                }
                            }
                        } else {
                            self.unsupported(&format!("{key}.{k}"));
                        }
                    }
                }
                Some(_) => return Err(self.invalid(&key, "must be a mapping or empty")),
            }
            out.push(NetworkAttachment {
                name: self.engine_name("networks", &network)?,
                aliases,
            });
        }
        Ok(out)
    }

    fn healthcheck(&mut self) -> Result<Option<HealthSpec>, ConfigError> {
        let Some(value) = self.get("healthcheck") else {
            return Ok(None);
        };
        let m = value
            .as_mapping()
            .ok_or_else(|| self.invalid("healthcheck", "must be a mapping"))?;
        let mut spec = HealthSpec {
            test: Vec::new(),
            interval: None,
            timeout: None,
            start_period: None,
            start_interval: None,
            retries: None,
        };
        let mut disable = false;
        for (k, v) in m {
            let k = k.as_str().unwrap_or("?");
            let key = format!("healthcheck.{k}");
            if v.is_null() {
                continue;
            }
            let duration = || {
                xphi::duration(v)
                    .map(Some)
                    .map_err(|_| self.invalid(&key, "must be a duration such as 10s or 1m30s"))
            };
            match k {
                "test" => spec.test = self.health_test(&key, v)?,
                "interval" => spec.interval = duration()?,
                "timeout" => spec.timeout = duration()?,
                "start_period" => spec.start_period = duration()?,
                "start_interval" => spec.start_interval = duration()?,
                "retries" => {
                    spec.retries = Some(
                        scalar_text(v)
                            .and_then(|r| r.parse().ok())
                            .ok_or_else(|| self.invalid(&key, "must be a whole number"))?,
                    );
                }
                "disable" => {
                    disable =
                        boolean(v).ok_or_else(|| self.invalid(&key, "must be true or false"))?;
                }
                _ => return Err(self.invalid(&key, "is not a healthcheck setting")),
            }
        }
        if disable {
            spec.test = vec!["NONE".to_string()];
        }
        Ok(Some(spec))
    }

    fn health_test(&self, key: &str, v: &Value) -> Result<Vec<String>, ConfigError> {
        match v {
            Value::Sequence(items) => {
                let test = items
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        scalar_text(t)
                            .ok_or_else(|| self.invalid(&format!("{key}[{i}]"), "must be a string"))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                match test.first().map(String::as_str) {
                    Some("CMD" | "CMD-SHELL" | "NONE") => Ok(test),
                    _ => Err(self.invalid(key, "a list must start with CMD, CMD-SHELL or NONE")),
                }
            }
            v => scalar_text(v)
                .map(|line| vec!["CMD-SHELL".to_string(), line])
                .ok_or_else(|| self.invalid(key, "must be a command string or a list")),
        }
    }

    fn restart(&self) -> Result<Option<String>, ConfigError> {
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

    fn extra_hosts(&self) -> Result<Vec<String>, ConfigError> {
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

    /// `mem_limit` and `cpus`, else `deploy.resources.limits`; other `deploy` keys are warned.
    fn resources(&mut self) -> Result<(Option<i64>, Option<i64>), ConfigError> {
        let mut memory = self
            .get("mem_limit")
            .map(|v| bytes(v).ok_or_else(|| self.invalid("mem_limit", BYTES_FORM)))
            .transpose()?;
        let mut cpus = self
            .get("cpus")
            .map(|v| nano_cpus(v).ok_or_else(|| self.invalid("cpus", CPUS_FORM)))
            .transpose()?;
        let Some(deploy) = self.get("deploy") else {
            return Ok((memory, cpus));
        };
        let deploy = deploy
            .as_mapping()
            .ok_or_else(|| self.invalid("deploy", "must be a mapping"))?;
        for (k, v) in deploy {
            let k = k.as_str().unwrap_or("?");
            match k {
                // Read by the compose loader as the number of containers.
                "replicas" => {}
                "resources" => {
                    let resources = v
                        .as_mapping()
                        .ok_or_else(|| self.invalid("deploy.resources", "must be a mapping"))?;
                    for (rk, rv) in resources {
                        let rk = rk.as_str().unwrap_or("?");
                        if rk != "limits" {
                            self.unsupported(&format!("deploy.resources.{rk}"));
                            continue;
                        }
                        let limits = rv.as_mapping().ok_or_else(|| {
                            self.invalid("deploy.resources.limits", "must be a mapping")
                        })?;
                        for (lk, lv) in limits {
                            let lk = lk.as_str().unwrap_or("?");
                            let key = format!("deploy.resources.limits.{lk}");
                            match lk {
                                "memory" => {
                                    let value =
                                        bytes(lv).ok_or_else(|| self.invalid(&key, BYTES_FORM))?;
                                    memory.get_or_insert(value);
                                }
                                "cpus" => {
                                    let value = nano_cpus(lv)
                                        .ok_or_else(|| self.invalid(&key, CPUS_FORM))?;
                                    cpus.get_or_insert(value);
                                }
                                _ => self.unsupported(&key),
                            }
                        }
                    }
                }
                _ if k.starts_with("x-") => {}
                _ => self.unsupported(&format!("deploy.{k}")),
            }
        }
        Ok((memory, cpus))
    }

    fn logging(&self) -> Result<(Option<String>, BTreeMap<String, String>), ConfigError> {
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

const PORT_FORM: &str = "must be [[HOST_IP:][HOST_PORT]:]CONTAINER_PORT[/PROTOCOL] or a mapping";
const BYTES_FORM: &str = "must be a number of bytes or a size such as 512m or 1g";
const CPUS_FORM: &str = "must be a number of CPUs such as 0.5";
const PROTOCOLS: &[&str] = &["tcp", "udp", "sctp"];

fn boolean(v: &Value) -> Option<bool> {
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
fn unbracket(ip: &str) -> &str {
    ip.strip_prefix('[')
        .and_then(|ip| ip.strip_suffix(']'))
        .unwrap_or(ip)
}

/// A short volume source that is a host path rather than a volume name.
fn is_path(source: &str) -> bool {
    source.starts_with('.') || source.starts_with('/') || source.starts_with('~')
}

/// Remove `.` and resolve `..` lexically, as Compose does for bind sources.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn parse_port(text: &str) -> Option<u16> {
    text.trim().parse::<u16>().ok().filter(|p| *p != 0)
}

/// `8000` or `8000-8002`, as (first, last).
fn parse_range(text: &str) -> Option<(u16, u16)> {
    match text.split_once('-') {
        None => parse_port(text).map(|p| (p, p)),
        Some((a, b)) => {
            let (a, b) = (parse_port(a)?, parse_port(b)?);
            (a <= b).then_some((a, b))
        }
    }
}

/// One short-syntax port entry, ranges expanded, and a warning if it had to be narrowed.
fn short_port(text: &str) -> Result<(Vec<PortSpec>, Option<String>), String> {
    let (spec, protocol) = match text.rsplit_once('/') {
        Some((spec, protocol)) => (spec, protocol.to_ascii_lowercase()),
        None => (text, "tcp".to_string()),
    };
    if !PROTOCOLS.contains(&protocol.as_str()) {
        return Err("the protocol must be tcp, udp or sctp".into());
    }
    // An IPv6 host address is written in brackets: [::1]:8080:80.
    let (host_ip, rest) = match spec.strip_prefix('[') {
        Some(bracketed) => {
            let (ip, rest) = bracketed
                .split_once("]:")
                .ok_or_else(|| PORT_FORM.to_string())?;
            (Some(ip.to_string()), Some(rest))
        }
        None => (None, None),
    };
    let parts: Vec<&str> = match rest {
        Some(rest) => {
            let parts: Vec<&str> = rest.split(':').collect();
            if parts.len() != 2 {
                return Err(PORT_FORM.into());
            }
            parts
        }
        None => spec.split(':').collect(),
    };
    let (host_ip, host, container) = match (host_ip, parts.as_slice()) {
        (ip @ Some(_), [host, container]) => (ip, *host, *container),
        (None, [container]) => (None, "", *container),
        (None, [host, container]) => (None, *host, *container),
        (None, [ip, host, container]) => (Some(ip.to_string()), *host, *container),
        _ => return Err(PORT_FORM.into()),
    };
    let host_ip = host_ip.filter(|ip| !ip.is_empty());
    let (c_first, c_last) = parse_range(container).ok_or_else(|| PORT_FORM.to_string())?;
    let count = c_last - c_first;
    let mut warning = None;
    let host_ports: Vec<Option<u16>> = if host.is_empty() {
        vec![None; usize::from(count) + 1]
    } else {
        let (h_first, h_last) = parse_range(host).ok_or_else(|| PORT_FORM.to_string())?;
        if h_last - h_first == count {
            (h_first..=h_last).map(Some).collect()
        } else if count == 0 {
            if h_first != h_last {
                warning = Some(
                    "a host port range for one container port; phi publishes the first port of the range"
                        .to_string(),
                );
            }
            vec![Some(h_first)]
        } else {
            return Err("the host and container port ranges differ in length".into());
        }
    };
    let ports = (c_first..=c_last)
        .zip(host_ports)
        .map(|(container_port, host_port)| PortSpec {
            host_ip: host_ip.clone(),
            host_port,
            container_port,
            protocol: protocol.clone(),
        })
        .collect();
    Ok((ports, warning))
}

/// A size in bytes: a number, or text in [`crate::units::parse_size`]'s form (`512m`, `1.5GB`).
fn bytes(v: &Value) -> Option<i64> {
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

/// Split a command line into words as a POSIX shell would, without expansions: whitespace
/// separates words, single quotes keep everything, double quotes keep everything but
/// backslash escapes of `"`, `\`, `$` and `` ` ``, a backslash outside quotes keeps the next
/// character.
pub fn split_shell(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("has an unterminated single quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some('\n') => {}
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err("has an unterminated double quote".into()),
                        },
                        Some(c) => word.push(c),
                        None => return Err("has an unterminated double quote".into()),
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') => {}
                Some(c) => {
                    in_word = true;
                    word.push(c);
                }
                None => return Err("ends with a lone backslash".into()),
            },
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::env::Env;
    use crate::redact::Redactor;
    use std::time::Duration;

    /// A project named `demo` from `yaml`, loaded by the real loader in a temp dir.
    fn project(yaml: &str, vars: &[(&str, &str)]) -> (tempfile::TempDir, Project) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("compose.yaml");
        std::fs::write(&file, yaml).unwrap();
        let process = vars.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        let env = Env::load(process, &[], dir.path(), Redactor::new()).unwrap();
        let project = crate::testing::load_project("demo", dir.path(), file, env);
        (dir, project)
    }

    fn spec_of(yaml: &str, vars: &[(&str, &str)]) -> (ContainerSpec, Vec<String>) {
        let (_dir, project) = project(yaml, vars);
        container_spec(&project, "web", 1).unwrap()
    }

    fn build(yaml: &str) -> ContainerSpec {
        spec_of(yaml, &[]).0
    }

    fn error(yaml: &str, vars: &[(&str, &str)]) -> String {
        let (_dir, project) = project(yaml, vars);
        container_spec(&project, "web", 1).unwrap_err().to_string()
    }

    fn web(body: &str) -> String {
        format!("services:\n  web:\n    image: nginx:1\n{body}")
    }

    fn port(ip: Option<&str>, host: Option<u16>, container: u16, protocol: &str) -> PortSpec {
        PortSpec {
            host_ip: ip.map(str::to_string),
            host_port: host,
            container_port: container,
            protocol: protocol.into(),
        }
    }

    fn mount(kind: MountKind, source: Option<&str>, target: &str, read_only: bool) -> MountSpec {
        MountSpec {
            kind,
            source: source.map(str::to_string),
            target: target.into(),
            read_only,
        }
    }

    #[test]
    fn a_minimal_service_gets_name_labels_and_the_default_network() {
        let (_dir, project) = project(&web(""), &[]);
        let (spec, warnings) = container_spec(&project, "web", 2).unwrap();
        assert_eq!(spec.name, "demo-web-2");
        assert_eq!(spec.image, "nginx:1");
        assert_eq!(spec.command, None);
        assert_eq!(spec.entrypoint, None);
        assert_eq!(
            spec.networks,
            [NetworkAttachment {
                name: "demo_default".into(),
                aliases: vec!["web".into()],
            }]
        );
        let dir = project.directory.display().to_string();
        let file = project.files[0].display().to_string();
        let labels = &spec.labels;
        assert_eq!(labels[LABEL_PROJECT], "demo");
        assert_eq!(labels[LABEL_SERVICE], "web");
        assert_eq!(labels[LABEL_NUMBER], "2");
        assert_eq!(labels[LABEL_ONEOFF], "False");
        assert_eq!(labels[LABEL_WORKING_DIR], dir);
        assert_eq!(labels[LABEL_CONFIG_FILES], file);
        let mut unhashed = spec.clone();
        unhashed.labels.remove(LABEL_CONFIG_HASH);
        assert_eq!(labels[LABEL_CONFIG_HASH], config_hash(&unhashed));
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(spec.restart, None);
        assert!(!spec.read_only);
    }

    #[test]
    fn container_name_wins_and_unknown_services_are_errors() {
        let spec = build(&web("    container_name: the-web\n"));
        assert_eq!(spec.name, "the-web");
        let err = error(&web("    container_name: the-web\n    scale: 2\n"), &[]);
        assert!(err.contains("services.web.container_name"), "{err}");
        let (_dir, project) = project(&web(""), &[]);
        let err = container_spec(&project, "ghost", 1)
            .unwrap_err()
            .to_string();
        assert!(err.contains("ghost") && err.contains("web"), "{err}");
    }

    #[test]
    fn the_demo_stack_translates_without_warnings() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo");
        let file = dir.join("compose.yaml");
        let env = Env::load(Vec::new(), &[], &dir, Redactor::new()).unwrap();
        let project = crate::testing::load_project("phi-demo", &dir, file, env);
        for service in ["postgres", "redis", "dashboard"] {
            let (spec, warnings) = container_spec(&project, service, 1).unwrap();
            assert!(warnings.is_empty(), "{service}: {warnings:?}");
            assert_eq!(spec.name, format!("phi-demo-{service}-1"));
            assert_eq!(spec.restart.as_deref(), Some("unless-stopped"));
            assert_eq!(spec.networks[0].name, "phi-demo_default");
        }
        let postgres = container_spec(&project, "postgres", 1).unwrap().0;
        assert_eq!(
            postgres.mounts,
            [mount(
                MountKind::Volume,
                Some("phi-demo_pgdata"),
                "/var/lib/postgresql/data",
                false
            )]
        );
        assert_eq!(
            postgres.ports,
            [port(Some("127.0.0.1"), Some(15432), 5432, "tcp")]
        );
        assert!(postgres.env.contains(&"POSTGRES_USER=phi".to_string()));
        let health = postgres.healthcheck.unwrap();
        assert_eq!(health.test[..2], ["CMD", "pg_isready"]);
        assert_eq!(health.retries, Some(30));
        let dashboard = container_spec(&project, "dashboard", 1).unwrap().0;
        assert_eq!(dashboard.working_dir.as_deref(), Some("/app"));
        assert_eq!(dashboard.command.unwrap()[0], "gunicorn");
        let app = dir.join("dashboard").display().to_string();
        assert_eq!(
            dashboard.mounts,
            [mount(MountKind::Bind, Some(&app), "/app", true)]
        );
    }

    #[test]
    fn replicas_share_the_config_hash() {
        let (_dir, project) = project(&web("    environment: [A=1]\n"), &[]);
        let one = container_spec(&project, "web", 1).unwrap().0;
        let two = container_spec(&project, "web", 2).unwrap().0;
        assert_eq!(one.labels[LABEL_CONFIG_HASH], two.labels[LABEL_CONFIG_HASH]);
        let other = build(&web("    environment: [A=2]\n"));
        assert_ne!(
            one.labels[LABEL_CONFIG_HASH],
            other.labels[LABEL_CONFIG_HASH]
        );
        let ported = build(&web("    environment: [A=1]\n    ports: ['80']\n"));
        assert_ne!(
            one.labels[LABEL_CONFIG_HASH],
            ported.labels[LABEL_CONFIG_HASH]
        );
    }

    #[test]
    fn an_image_is_required_unless_the_service_builds() {
        let err = error("services:\n  web:\n    command: x\n", &[]);
        assert!(err.contains("services.web.image"), "{err}");
        let (spec, warnings) = spec_of("services:\n  web:\n    build: .\n", &[]);
        assert_eq!(spec.image, "demo-web");
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn build_settings_are_read() {
        let yaml = "services:\n  web:\n    build:\n      context: ./app\n      \
                    dockerfile: Dockerfile.expenditure\n      target: prod\n      \
                    args: {VERSION: '1.2', FROM_ENV: }\n      cache_from: [x]\n";
        let (_dir, p) = project(yaml, &[("FROM_ENV", "e")]);
        let (build, warnings) = build_spec(&p, "web", "demo-web").unwrap().unwrap();
        assert_eq!(build.context, p.directory.join("app"));
        assert_eq!(build.dockerfile, "Dockerfile.expenditure");
        assert_eq!(build.target.as_deref(), Some("prod"));
        assert_eq!(build.args["VERSION"], "1.2");
        assert_eq!(build.args["FROM_ENV"], "e");
        assert_eq!(build.tag, "demo-web");
        assert_eq!(
            warnings,
            ["services.web.build.cache_from is not supported by phi start-all and is ignored"]
        );
        let (_dir, p) = project("services:\n  web:\n    image: a\n", &[]);
        assert!(build_spec(&p, "web", "a").unwrap().is_none());
        let (_dir, p) = project(
            "services:\n  web:\n    build: https://github.com/x/y.git\n",
            &[],
        );
        let err = build_spec(&p, "web", "a").unwrap_err().to_string();
        assert!(err.contains("services.web.build.context"), "{err}");
    }

    #[test]
    fn project_resources_carry_compose_labels_and_external_names() {
        let yaml = "services:\n  web:\n    image: a\nnetworks:\n  back:\n    internal: true\n    \
                    ipam: {}\n  shared:\n    external: true\n    name: corp\nvolumes:\n  data:\n    \
                    labels: {team: ops}\n  old:\n    external: true\n";
        let (_dir, p) = project(yaml, &[]);
        let r = project_resources(&p).unwrap();
        let net = |n: &str| r.networks.iter().find(|x| x.name == n).unwrap();
        assert!(net("demo_back").internal);
        assert_eq!(net("demo_back").labels[LABEL_NETWORK], "back");
        assert_eq!(net("demo_default").labels[LABEL_PROJECT], "demo");
        assert!(net("corp").external);
        let vol = |n: &str| r.volumes.iter().find(|x| x.name == n).unwrap();
        assert_eq!(vol("demo_data").labels["team"], "ops");
        assert_eq!(vol("demo_data").labels[LABEL_VOLUME], "data");
        assert!(vol("old").external);
        assert_eq!(
            r.warnings,
            ["networks.back.ipam is not supported by phi start-all and is ignored"]
        );
    }

    #[test]
    fn command_and_entrypoint_split_strings_and_keep_lists() {
        let spec = build(&web(
            "    command: sh -c 'echo \"$$HOME\" done' \"a b\"\n    entrypoint: [\"/bin/tini\", \"--\", 5]\n",
        ));
        assert_eq!(
            spec.command.unwrap(),
            ["sh", "-c", "echo \"$HOME\" done", "a b"]
        );
        assert_eq!(spec.entrypoint.unwrap(), ["/bin/tini", "--", "5"]);
        let err = error(&web("    command: \"echo 'oops\"\n"), &[]);
        assert!(
            err.contains("services.web.command") && err.contains("quote"),
            "{err}"
        );
        let err = error(&web("    entrypoint: {a: b}\n"), &[]);
        assert!(err.contains("services.web.entrypoint"), "{err}");
    }

    #[test]
    fn the_shell_splitter_follows_posix_quoting() {
        assert_eq!(split_shell("  a   b\tc ").unwrap(), ["a", "b", "c"]);
        assert_eq!(split_shell("'a b'c \"d\\\"e\"").unwrap(), ["a bc", "d\"e"]);
        assert_eq!(split_shell("a\\ b \"\\n\"").unwrap(), ["a b", "\\n"]);
        assert_eq!(split_shell("'' x").unwrap(), ["", "x"]);
        assert!(split_shell("").unwrap().is_empty());
        assert!(split_shell("\"open").is_err());
        assert!(split_shell("'open").is_err());
        assert!(split_shell("end\\").is_err());
    }

    #[test]
    fn environment_lists_maps_and_env_files_merge() {
        let dir = tempfile::tempdir().unwrap();
        let yaml = web(
            "    env_file: [a.env, {path: missing.env, required: false}]\n    environment:\n      - B=from-environment\n      - FROM_HOST\n      - UNSET_HERE\n      - EMPTY=\n",
        );
        let file = dir.path().join("compose.yaml");
        std::fs::write(&file, &yaml).unwrap();
        std::fs::write(
            dir.path().join("a.env"),
            "A=from-file\nB=from-file\nUNSET_HERE=file\n",
        )
        .unwrap();
        let process = [("FROM_HOST".to_string(), "host".to_string())];
        let env = Env::load(process, &[], dir.path(), Redactor::new()).unwrap();
        let project = crate::testing::load_project("demo", dir.path(), file, env);
        let spec = container_spec(&project, "web", 1).unwrap().0;
        assert_eq!(
            spec.env,
            [
                "A=from-file",
                "B=from-environment",
                "EMPTY=",
                "FROM_HOST=host"
            ]
        );

        let map = spec_of(
            &web("    environment:\n      Z: 1\n      DEBUG: true\n      HOSTVAR:\n      GONE:\n"),
            &[("HOSTVAR", "h")],
        )
        .0;
        assert_eq!(map.env, ["DEBUG=true", "HOSTVAR=h", "Z=1"]);
    }

    #[test]
    fn a_required_env_file_must_exist() {
        let err = error(&web("    env_file: nope.env\n"), &[]);
        assert!(
            err.contains("services.web.env_file") && err.contains("nope.env"),
            "{err}"
        );
        let err = error(&web("    env_file: [a.env, {path: b.env}]\n"), &[]);
        assert!(err.contains("services.web.env_file[0]"), "{err}");
        let err = error(&web("    environment: [A=1, =x]\n"), &[]);
        assert!(err.contains("services.web.environment[1]"), "{err}");
    }

    #[test]
    fn short_ports_cover_every_form() {
        let spec = build(&web(
            "    ports:\n      - \"80\"\n      - 8080:80\n      - 127.0.0.1:8081:81\n      - 127.0.0.1::82\n      - 8000-8002:9000-9002\n      - 53:53/udp\n      - \"[::1]:8443:443\"\n      - 7000-7001\n      - 9090\n",
        ));
        assert_eq!(
            spec.ports,
            [
                port(None, None, 80, "tcp"),
                port(None, Some(8080), 80, "tcp"),
                port(Some("127.0.0.1"), Some(8081), 81, "tcp"),
                port(Some("127.0.0.1"), None, 82, "tcp"),
                port(None, Some(8000), 9000, "tcp"),
                port(None, Some(8001), 9001, "tcp"),
                port(None, Some(8002), 9002, "tcp"),
                port(None, Some(53), 53, "udp"),
                port(Some("::1"), Some(8443), 443, "tcp"),
                port(None, None, 7000, "tcp"),
                port(None, None, 7001, "tcp"),
                port(None, None, 9090, "tcp"),
            ]
        );
    }

    #[test]
    fn a_host_range_for_one_port_publishes_its_first_port_with_a_warning() {
        let (spec, warnings) = spec_of(&web("    ports: [\"8000-8010:80\"]\n"), &[]);
        assert_eq!(spec.ports, [port(None, Some(8000), 80, "tcp")]);
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].starts_with("services.web.ports[0]"),
            "{warnings:?}"
        );
    }

    #[test]
    fn long_ports_read_target_published_host_ip_and_protocol() {
        let spec = build(&web(
            "    ports:\n      - target: 80\n        published: \"8080\"\n        host_ip: 0.0.0.0\n        protocol: UDP\n        mode: host\n      - target: \"443\"\n",
        ));
        assert_eq!(
            spec.ports,
            [
                port(Some("0.0.0.0"), Some(8080), 80, "udp"),
                port(None, None, 443, "tcp"),
            ]
        );
        let err = error(&web("    ports:\n      - published: 80\n"), &[]);
        assert!(err.contains("services.web.ports[0].target"), "{err}");
        let err = error(
            &web("    ports:\n      - {target: 80, protocol: icmp}\n"),
            &[],
        );
        assert!(err.contains("services.web.ports[0].protocol"), "{err}");
    }

    #[test]
    fn bad_ports_name_the_key_and_not_the_value() {
        for bad in [
            "\"99999\"",
            "\"80/icmp\"",
            "\"1:2:3:4\"",
            "\"8000-8002:80-81\"",
            "{}",
        ] {
            let err = error(&web(&format!("    ports: [\"1\", {bad}]\n")), &[]);
            assert!(err.contains("services.web.ports[1]"), "{bad}: {err}");
        }
        let err = error(
            &web("    ports: [\"${SECRET_PORT}\"]\n"),
            &[("SECRET_PORT", "hunter2:80")],
        );
        assert!(err.contains("services.web.ports[0]"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn short_volumes_cover_named_bind_and_anonymous() {
        let (dir, project) = project(
            "services:\n  web:\n    image: nginx\n    volumes:\n      - data:/data\n      - logs:/logs:ro\n      - ext:/ext:rw\n      - ./site:/usr/share/nginx/html:ro\n      - ../up/./x:/x\n      - /etc/hosts:/etc/hosts\n      - /cache\n      - ~/cfg:/cfg\nvolumes:\n  data:\n  logs:\n    name: shared-logs\n  ext:\n    external: true\n",
            &[("HOME", "/home/me")],
        );
        let (spec, warnings) = container_spec(&project, "web", 1).unwrap();
        let root = dir.path().display().to_string();
        let parent = dir.path().parent().unwrap().display().to_string();
        assert_eq!(
            spec.mounts,
            [
                mount(MountKind::Volume, Some("demo_data"), "/data", false),
                mount(MountKind::Volume, Some("shared-logs"), "/logs", true),
                mount(MountKind::Volume, Some("ext"), "/ext", false),
                mount(
                    MountKind::Bind,
                    Some(&format!("{root}/site")),
                    "/usr/share/nginx/html",
                    true
                ),
                mount(
                    MountKind::Bind,
                    Some(&format!("{parent}/up/x")),
                    "/x",
                    false
                ),
                mount(MountKind::Bind, Some("/etc/hosts"), "/etc/hosts", false),
                mount(MountKind::Volume, None, "/cache", false),
                mount(MountKind::Bind, Some("/home/me/cfg"), "/cfg", false),
            ]
        );
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn volume_modes_phi_ignores_are_warned() {
        let (spec, warnings) = spec_of(&web("    volumes: [\"/a:/b:ro,z\"]\n"), &[]);
        assert!(spec.mounts[0].read_only);
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].contains("services.web.volumes[0]") && warnings[0].contains("`z`"),
            "{warnings:?}"
        );
    }

    #[test]
    fn long_volumes_and_tmpfs() {
        let (dir, project) = project(
            "services:\n  web:\n    image: nginx\n    volumes:\n      - type: volume\n        source: data\n        target: /data\n        read_only: true\n      - type: bind\n        source: ./conf\n        target: /conf\n        bind: {create_host_path: true}\n      - type: tmpfs\n        target: /scratch\n      - type: volume\n        target: /anon\n    tmpfs: [/run, \"/tmp:size=64m\"]\nvolumes:\n  data: {}\n",
            &[],
        );
        let (spec, warnings) = container_spec(&project, "web", 1).unwrap();
        let root = dir.path().display().to_string();
        assert_eq!(
            spec.mounts,
            [
                mount(MountKind::Volume, Some("demo_data"), "/data", true),
                mount(
                    MountKind::Bind,
                    Some(&format!("{root}/conf")),
                    "/conf",
                    false
                ),
                mount(MountKind::Tmpfs, None, "/scratch", false),
                mount(MountKind::Volume, None, "/anon", false),
                mount(MountKind::Tmpfs, None, "/run", false),
                mount(MountKind::Tmpfs, None, "/tmp", false),
            ]
        );
        assert_eq!(
            warnings,
            ["services.web.volumes[1].bind is not supported by phi start-all and is ignored"]
        );
        let one = spec_of(&web("    tmpfs: /run\n"), &[]).0;
        assert_eq!(one.mounts, [mount(MountKind::Tmpfs, None, "/run", false)]);
    }

    #[test]
    fn bad_volumes_name_the_key() {
        let err = error(&web("    volumes: [\"data:/data\"]\n"), &[]);
        assert!(
            err.contains("services.web.volumes[0]") && err.contains("top-level `volumes`"),
            "{err}"
        );
        let err = error(&web("    volumes: [\"./a:relative\"]\n"), &[]);
        assert!(err.contains("services.web.volumes[0]"), "{err}");
        let err = error(
            &web("    volumes:\n      - {type: npipe, target: /x}\n"),
            &[],
        );
        assert!(err.contains("services.web.volumes[0].type"), "{err}");
        let err = error(
            &web("    volumes:\n      - {type: bind, target: /x}\n"),
            &[],
        );
        assert!(err.contains("services.web.volumes[0].source"), "{err}");
        let err = error(&web("    tmpfs: [/ok, relative]\n"), &[]);
        assert!(err.contains("services.web.tmpfs[1]"), "{err}");
    }

    #[test]
    fn networks_in_list_and_map_form_use_engine_names_and_aliases() {
        let yaml = "services:\n  web:\n    image: nginx\n    networks:\n      front:\n        aliases: [www, web, site, www]\n      back:\n      outside:\n        ipv4_address: 10.0.0.5\nnetworks:\n  front:\n  back:\n    name: the-back\n  outside:\n    external: true\n";
        let (spec, warnings) = spec_of(yaml, &[]);
        assert_eq!(
            spec.networks,
            [
                NetworkAttachment {
                    name: "demo_front".into(),
                    aliases: vec!["web".into(), "www".into(), "site".into()],
                },
                NetworkAttachment {
                    name: "the-back".into(),
                    aliases: vec!["web".into()],
                },
                NetworkAttachment {
                    name: "outside".into(),
                    aliases: vec!["web".into()],
                },
            ]
        );
        assert_eq!(
            warnings,
            [
                "services.web.networks.outside.ipv4_address is not supported by phi start-all and is ignored"
            ]
        );
        let list = build(
            "services:\n  web:\n    image: nginx\n    networks: [default, front]\nnetworks:\n  default:\n    name: shared\n  front: {}\n",
        );
        let names: Vec<_> = list.networks.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["shared", "demo_front"]);
        let err = error(&web("    networks: [ghost]\n"), &[]);
        assert!(
            err.contains("services.web.networks[0]") && err.contains("top-level `networks`"),
            "{err}"
        );
    }

    #[test]
    fn healthchecks_take_the_engine_form() {
        let spec = build(&web(
            "    healthcheck:\n      test: curl -f http://localhost/health\n      interval: 10s\n      timeout: 1m30s\n      start_period: 5\n      start_interval: 500ms\n      retries: \"3\"\n",
        ));
        assert_eq!(
            spec.healthcheck,
            Some(HealthSpec {
                test: vec!["CMD-SHELL".into(), "curl -f http://localhost/health".into()],
                interval: Some(Duration::from_secs(10)),
                timeout: Some(Duration::from_secs(90)),
                start_period: Some(Duration::from_secs(5)),
                start_interval: Some(Duration::from_millis(500)),
                retries: Some(3),
            })
        );
        let list = build(&web(
            "    healthcheck:\n      test: [CMD, pg_isready, -U, app]\n",
        ));
        assert_eq!(
            list.healthcheck.unwrap().test,
            ["CMD", "pg_isready", "-U", "app"]
        );
        let off = build(&web(
            "    healthcheck:\n      test: [CMD, x]\n      disable: true\n",
        ));
        assert_eq!(off.healthcheck.unwrap().test, ["NONE"]);
        let err = error(&web("    healthcheck:\n      test: [pg_isready]\n"), &[]);
        assert!(err.contains("services.web.healthcheck.test"), "{err}");
        let err = error(&web("    healthcheck:\n      interval: soon\n"), &[]);
        assert!(err.contains("services.web.healthcheck.interval"), "{err}");
        let err = error(&web("    healthcheck:\n      retries: many\n"), &[]);
        assert!(err.contains("services.web.healthcheck.retries"), "{err}");
    }

    #[test]
    fn plain_settings_are_translated() {
        let (spec, warnings) = spec_of(
            &web(
                "    restart: on-failure:3\n    user: 1000\n    working_dir: /app\n    hostname: web1\n    read_only: \"true\"\n    init: true\n    security_opt: [no-new-privileges:true]\n    cap_add: [NET_ADMIN]\n    cap_drop: [ALL]\n    extra_hosts: [\"db=10.0.0.2\", \"cache:10.0.0.3\", \"v6=[::1]\"]\n    mem_limit: 512m\n    cpus: 1.5\n    logging:\n      driver: json-file\n      options: {max-size: 10m, max-file: 3}\n    stop_signal: SIGINT\n    stop_grace_period: 1m30s\n",
            ),
            &[],
        );
        assert_eq!(spec.restart.as_deref(), Some("on-failure:3"));
        assert_eq!(spec.user.as_deref(), Some("1000"));
        assert_eq!(spec.working_dir.as_deref(), Some("/app"));
        assert_eq!(spec.hostname.as_deref(), Some("web1"));
        assert!(spec.read_only);
        assert_eq!(spec.init, Some(true));
        assert_eq!(spec.security_opt, ["no-new-privileges:true"]);
        assert_eq!(spec.cap_add, ["NET_ADMIN"]);
        assert_eq!(spec.cap_drop, ["ALL"]);
        assert_eq!(
            spec.extra_hosts,
            ["db:10.0.0.2", "cache:10.0.0.3", "v6:::1"]
        );
        assert_eq!(spec.memory_bytes, Some(512 * 1024 * 1024));
        assert_eq!(spec.nano_cpus, Some(1_500_000_000));
        assert_eq!(spec.log_driver.as_deref(), Some("json-file"));
        assert_eq!(spec.log_options["max-size"], "10m");
        assert_eq!(spec.log_options["max-file"], "3");
        assert_eq!(spec.stop_signal.as_deref(), Some("SIGINT"));
        assert_eq!(spec.stop_grace_seconds, Some(90));
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn restart_policies_are_checked() {
        for (text, policy) in [
            ("no", "no"),
            ("\"no\"", "no"),
            ("always", "always"),
            ("unless-stopped", "unless-stopped"),
            ("on-failure", "on-failure"),
            ("on-failure:5", "on-failure:5"),
        ] {
            let spec = build(&web(&format!("    restart: {text}\n")));
            assert_eq!(spec.restart.as_deref(), Some(policy), "{text}");
        }
        for bad in ["sometimes", "on-failure:x", "always:3"] {
            let err = error(&web(&format!("    restart: {bad}\n")), &[]);
            assert!(err.contains("services.web.restart"), "{err}");
        }
    }

    #[test]
    fn extra_hosts_in_map_form() {
        let spec = build(&web(
            "    extra_hosts:\n      db: 10.0.0.2\n      multi: [\"::1\", 127.0.0.1]\n      v6: \"[fe80::1]\"\n",
        ));
        assert_eq!(
            spec.extra_hosts,
            ["db:10.0.0.2", "multi:::1", "multi:127.0.0.1", "v6:fe80::1"]
        );
        let err = error(&web("    extra_hosts: [justahost]\n"), &[]);
        assert!(err.contains("services.web.extra_hosts[0]"), "{err}");
    }

    #[test]
    fn deploy_limits_apply_only_without_the_plain_keys() {
        let (spec, warnings) = spec_of(
            &web(
                "    deploy:\n      replicas: 2\n      resources:\n        limits: {memory: 1g, cpus: \"0.5\", pids: 10}\n        reservations: {memory: 1m}\n      placement: {constraints: []}\n",
            ),
            &[],
        );
        assert_eq!(spec.memory_bytes, Some(1 << 30));
        assert_eq!(spec.nano_cpus, Some(500_000_000));
        assert_eq!(
            warnings,
            [
                "services.web.deploy.resources.limits.pids is not supported by phi start-all and is ignored",
                "services.web.deploy.resources.reservations is not supported by phi start-all and is ignored",
                "services.web.deploy.placement is not supported by phi start-all and is ignored",
            ]
        );
        let plain = build(&web(
            "    mem_limit: 1000\n    cpus: 2\n    deploy:\n      resources:\n        limits: {memory: 1g, cpus: 0.5}\n",
        ));
        assert_eq!(plain.memory_bytes, Some(1000));
        assert_eq!(plain.nano_cpus, Some(2_000_000_000));
    }

    #[test]
    fn sizes_read_docker_units() {
        let size = |s: &str| bytes(&Value::String(s.into()));
        assert_eq!(size("100"), Some(100));
        assert_eq!(size("1k"), Some(1024));
        assert_eq!(size("1KB"), Some(1024));
        assert_eq!(size("512m"), Some(512 << 20));
        assert_eq!(size("1.5g"), Some(3 << 29));
        assert_eq!(size("2GiB"), Some(2 << 30));
        assert_eq!(size("10b"), Some(10));
        assert_eq!(size("1 t"), Some(1 << 40));
        assert_eq!(size("lots"), None);
        assert_eq!(size("5x"), None);
        assert_eq!(size(""), None);
        assert_eq!(bytes(&Value::Number((-1).into())), None);
    }

    #[test]
    fn bad_settings_name_the_key_and_not_the_value() {
        let vars = [("MEM", "s3cr3t-value")];
        for (body, key) in [
            ("    mem_limit: ${MEM}\n", "services.web.mem_limit"),
            ("    cpus: ${MEM}\n", "services.web.cpus"),
            ("    restart: ${MEM}\n", "services.web.restart"),
            ("    read_only: ${MEM}\n", "services.web.read_only"),
            ("    user: [a]\n", "services.web.user"),
            ("    cap_add: NET_ADMIN\n", "services.web.cap_add"),
            ("    environment: [1, [x]]\n", "services.web.environment[1]"),
            (
                "    logging: {driver: x, level: y}\n",
                "services.web.logging.level",
            ),
            (
                "    deploy: {resources: {limits: {memory: \"${MEM}\"}}}\n",
                "services.web.deploy.resources.limits.memory",
            ),
        ] {
            let err = error(&web(body), &vars);
            assert!(err.contains(key), "{body}: {err}");
            assert!(err.contains("compose.yaml"), "{body}: {err}");
            assert!(!err.contains("s3cr3t"), "{body}: {err}");
        }
    }

    #[test]
    fn secrets_are_read_only_binds_of_their_files() {
        let (dir, project) = project(
            "services:\n  web:\n    image: nginx\n    secrets:\n      - db_pass\n      - source: api_key\n        target: key.txt\n        mode: 0400\n      - source: api_key\n        target: /etc/key\nsecrets:\n  db_pass:\n    file: ./secrets/db.txt\n  api_key:\n    file: /srv/key\n",
            &[],
        );
        let (spec, warnings) = container_spec(&project, "web", 1).unwrap();
        assert_eq!(
            warnings,
            ["services.web.secrets[1].mode is not supported by phi start-all and is ignored"]
        );
        let root = dir.path().display().to_string();
        assert_eq!(
            spec.mounts,
            [
                mount(
                    MountKind::Bind,
                    Some(&format!("{root}/secrets/db.txt")),
                    "/run/secrets/db_pass",
                    true
                ),
                mount(
                    MountKind::Bind,
                    Some("/srv/key"),
                    "/run/secrets/key.txt",
                    true
                ),
                mount(MountKind::Bind, Some("/srv/key"), "/etc/key", true),
            ]
        );
        let err = error(&web("    secrets: [ghost]\n"), &[]);
        assert!(
            err.contains("services.web.secrets[0]") && err.contains("top-level `secrets`"),
            "{err}"
        );
        let err = error(
            "services:\n  web:\n    image: nginx\n    secrets: [token]\nsecrets:\n  token:\n    environment: TOKEN\n",
            &[],
        );
        assert!(
            err.contains("secrets.token.file") && err.contains("services.web.secrets[0]"),
            "{err}"
        );
    }

    #[test]
    fn service_labels_come_in_both_forms_and_compose_labels_win() {
        let list = build(&web(
            "    labels: [\"team=ops\", \"flag\", \"com.docker.compose.project=evil\"]\n",
        ));
        assert_eq!(list.labels["team"], "ops");
        assert_eq!(list.labels["flag"], "");
        assert_eq!(list.labels[LABEL_PROJECT], "demo");
        let map = build(&web(
            "    labels:\n      team: ops\n      tier: 2\n      empty:\n",
        ));
        assert_eq!(map.labels["team"], "ops");
        assert_eq!(map.labels["tier"], "2");
        assert_eq!(map.labels["empty"], "");
    }

    #[test]
    fn untranslated_keys_are_warned_once_each_and_known_ones_are_not() {
        let yaml = "services:\n  db:\n    image: postgres\n  web:\n    image: nginx\n    devices: [/dev/fuse]\n    ulimits: {nofile: 1024}\n    privileged: true\n    network_mode: host\n    depends_on: [db]\n    profiles: [web]\n    scale: 1\n    x-phi: {health_url: \"http://localhost/\"}\n    x-team: ops\n    container_name: w\n";
        let (_, warnings) = spec_of(yaml, &[]);
        let mut expected: Vec<String> = ["devices", "ulimits", "privileged", "network_mode"]
            .iter()
            .map(|k| format!("services.web.{k} is not supported by phi start-all and is ignored"))
            .collect();
        expected.sort();
        let mut warnings = warnings;
        warnings.sort();
        assert_eq!(warnings, expected);
    }
}
