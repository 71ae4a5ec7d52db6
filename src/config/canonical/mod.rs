//! The resolved project in Compose's canonical form: what `docker compose config --format
//! json` prints (Compose v2.40.3, compose-go v2.9.1), built from phi's loaded [`Project`]
//! (env files, interpolation, `-f` merges, `extends` and `include` already applied).
//!
//! - Every short syntax becomes the long form Compose prints (ports, volumes, depends_on,
//!   secrets, build, ...), lists of `KEY=VALUE` become sorted maps, sizes are byte counts,
//!   durations are Go durations, relative paths are absolute, `env_file` contents are folded
//!   into `environment`, and only the services the profiles enable are printed, with the
//!   top-level networks, volumes, secrets and configs they use.
//! - Secrets are masked as values: environment entries and build args whose name looks secret
//!   ([`crate::redact::is_secret_name`]), and values read through `NAME_FILE`, are printed
//!   as [`crate::redact::MASK`] unless [`Options::show_secrets`] is set.
//! - The document is a `serde_json::Value` (maps sorted); [`to_json`] and [`to_yaml`] write
//!   it with Go's struct key order. Pure apart from reading the env files services name.
//!
//! One file per key group: `service` (dispatch and scalar keys), `environment`, `ports`,
//! `volumes`, `build`, `deploy` (deploy, healthcheck, logging, ulimits, blkio...),
//! `resources` (networks, depends_on, secrets, configs, top-level sections), `listing`.

mod build;
mod deploy;
mod encode;
mod environment;
mod listing;
mod order;
mod ports;
mod resources;
mod scalar;
mod schema;
mod service;
mod volumes;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as Json};
use serde_norway::Value;

use super::{ConfigError, Project};
pub use encode::{json as to_json, yaml as to_yaml};
pub use listing::{images, networks, profiles, services, volumes};

/// What `phi config` was asked to print.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Print secret values as Compose does instead of masking them.
    pub show_secrets: bool,
    /// Keep top-level networks, volumes, secrets and configs no printed service uses.
    pub all_resources: bool,
    /// Only these services and what they depend on (empty: every enabled service).
    pub services: Vec<String>,
}

/// The canonical document of `project`.
pub fn project(project: &Project, options: &Options) -> Result<Json, ConfigError> {
    let cx = Cx::new(project, options);
    cx.check_closed_objects()?;
    let enabled = cx.enabled()?;
    let mut services = Map::new();
    // Compose reads every service before profiles and the selection apply: one that is not
    // printed but does not parse (a volume `:/data`, a bad port) makes the project invalid.
    // Env and label files are read later, for the enabled services only.
    for name in project.model.services.keys() {
        if enabled.contains(name) {
            services.insert(name.clone(), cx.service(name, cx.service_raw(name))?);
        } else {
            let mut raw = cx.service_raw(name).clone();
            if let Value::Mapping(m) = &mut raw {
                m.remove("env_file");
                m.remove("label_file");
            }
            cx.service(name, &raw)?;
        }
    }
    let selected: BTreeSet<String> = services.keys().cloned().collect();
    resources::check_dependencies(&cx, &services, &selected)?;
    check_services(&cx, &services)?;
    check_cycles(&cx, &services)?;
    let mut doc = Map::new();
    check_top_level(&cx)?;
    doc.insert("name".into(), Json::String(project.name.clone()));
    for (section, value) in resources::top_level(&cx, &services)? {
        doc.insert(section.into(), value);
    }
    if let Some(top) = cx.raw().as_mapping() {
        for (key, value) in top {
            let Some(key) = key.as_str().filter(|k| k.starts_with("x-")) else {
                continue;
            };
            doc.insert(key.to_string(), generic(value));
        }
    }
    doc.insert("services".into(), Json::Object(services));
    Ok(Json::Object(doc))
}

/// Top-level keys of the Compose specification (and `x-*` extensions); anything else is
/// refused, as Compose's schema refuses it.
fn check_top_level(cx: &Cx<'_>) -> Result<(), ConfigError> {
    const KEYS: &[&str] = &[
        "version", "name", "include", "services", "networks", "volumes", "configs", "secrets",
        "models",
    ];
    let Some(top) = cx.raw().as_mapping() else {
        return Ok(());
    };
    let unknown: Vec<String> = top
        .keys()
        .filter_map(scalar::text_or_null)
        .filter(|k| !k.starts_with("x-") && !KEYS.contains(&k.as_str()))
        .map(|k| format!("'{k}'"))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(cx.invalid(
        "(top level)",
        format!("additional properties {} not allowed", unknown.join(", ")),
    ))
}

/// Compose's consistency checks on the printed services: an image, a build or a provider
/// each; container names unique, and not with several replicas.
fn check_services(cx: &Cx<'_>, services: &Map<String, Json>) -> Result<(), ConfigError> {
    let mut names: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, service) in services {
        let has = |key: &str| service.get(key).is_some_and(|v| !v.is_null());
        if !has("image") && !has("build") && !has("provider") {
            return Err(cx.invalid(
                &format!("services.{name}"),
                format!("service {name:?} has neither an image nor a build context specified: invalid compose project"),
            ));
        }
        let platforms = service.get("build").and_then(|b| b.get("platforms"));
        if let (Some(Json::Array(platforms)), Some(platform)) = (platforms, service.get("platform"))
        {
            if !platforms.contains(platform) {
                return Err(cx.invalid(
                    &format!("services.{name}"),
                    format!("service.build.platforms MUST include service.platform {platform}: invalid compose project"),
                ));
            }
        }
        let Some(container) = service.get("container_name").and_then(Json::as_str) else {
            continue;
        };

        if let Some(other) = names.insert(container, name) {
            return Err(cx.invalid(
                &format!("services.{name}"),
                format!("container name {container:?} is already in use by service {other:?}"),
            ));
        }
        let replicas = service
            .get("scale")
            .or_else(|| service.get("deploy").and_then(|d| d.get("replicas")))
            .and_then(Json::as_i64)
            .unwrap_or(1);
        if replicas > 1 {
            return Err(cx.invalid(
                &format!("services.{name}"),
                "can't set container_name and scale (or deploy.replicas) as container name must be unique",
            ));
        }
    }
    Ok(())
}

/// No printed service may depend on itself, directly or through others.
fn check_cycles(cx: &Cx<'_>, services: &Map<String, Json>) -> Result<(), ConfigError> {
    fn visit<'s>(
        name: &'s str,
        services: &'s Map<String, Json>,
        path: &mut Vec<&'s str>,
        done: &mut BTreeSet<&'s str>,
    ) -> Option<Vec<&'s str>> {
        if let Some(at) = path.iter().position(|n| *n == name) {
            let mut cycle = path[at..].to_vec();
            cycle.push(name);
            return Some(cycle);
        }
        if done.contains(name) {
            return None;
        }
        path.push(name);
        if let Some(Json::Object(deps)) = services.get(name).and_then(|s| s.get("depends_on")) {
            for dep in deps.keys() {
                if services.contains_key(dep) {
                    if let Some(cycle) = visit(dep, services, path, done) {
                        return Some(cycle);
                    }
                }
            }
        }
        path.pop();
        done.insert(name);
        None
    }
    let mut done = BTreeSet::new();
    for name in services.keys() {
        if let Some(cycle) = visit(name, services, &mut Vec::new(), &mut done) {
            return Err(cx.invalid(
                "services",
                format!("dependency cycle detected: {}", cycle.join(" -> ")),
            ));
        }
    }
    Ok(())
}

/// What every converter needs: the project, the options, and how to name problems.
pub(crate) struct Cx<'a> {
    project: &'a Project,
    options: &'a Options,
    origin: String,
    home: Option<String>,
}

impl<'a> Cx<'a> {
    fn new(project: &'a Project, options: &'a Options) -> Cx<'a> {
        let origin = project
            .files
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let home = project.env.get("HOME").ok().flatten();
        Cx {
            project,
            options,
            origin,
            home,
        }
    }

    fn raw(&self) -> &Value {
        &self.project.model.raw
    }

    /// The merged definition of service `name`.
    fn service_raw(&self, name: &str) -> &Value {
        self.raw()
            .get("services")
            .and_then(|s| s.get(name))
            .unwrap_or(&Value::Null)
    }

    /// A configuration error at `key` (a dotted path such as `services.web.ports[0]`).
    fn invalid(&self, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            path: self.origin.clone(),
            key: key.to_string(),
            message: message.into(),
        }
    }

    /// `path` made absolute against the project directory, `~` expanded.
    fn absolute(&self, path: &str) -> String {
        scalar::absolute(&self.project.directory, path, self.home.as_deref())
    }

    /// A variable of the project's environment (the process, then the env files, then
    /// COMPOSE_PROJECT_NAME and PWD, which Compose always sets), and whether its value was
    /// read through `NAME_FILE` (a secret, whatever its name).
    fn lookup(&self, name: &str) -> Result<Option<(String, bool)>, ConfigError> {
        let env = &self.project.env;
        if let Some(value) = env.get(name)? {
            return Ok(Some((value, env.raw(name).is_none())));
        }
        Ok(match name {
            "COMPOSE_PROJECT_NAME" => Some((self.project.name.clone(), false)),
            "PWD" => Some((self.project.directory.display().to_string(), false)),
            _ => None,
        })
    }

    /// `value` as printed for variable `name`: masked when the name looks secret or the
    /// value came from a file, unless secrets are shown.
    fn mask(&self, name: &str, value: String, from_file: bool) -> Json {
        if !self.options.show_secrets
            && !value.is_empty()
            && (from_file || crate::redact::is_secret_name(name))
        {
            return Json::String(crate::redact::MASK.into());
        }
        Json::String(value)
    }

    /// The services to print: those the profiles enable (or `--profile '*'`), or the ones
    /// asked for with their dependencies (which turns their profiles on).
    fn enabled(&self) -> Result<Vec<String>, ConfigError> {
        let model = &self.project.model;
        let mut profiles = self.project.profiles.clone();
        let wanted = &self.options.services;
        if let Some(unknown) = wanted.iter().find(|w| !model.services.contains_key(*w)) {
            return Err(ConfigError::UnknownService {
                names: unknown.clone(),
                declared: model
                    .services
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        for name in wanted {
            profiles.extend(model.services[name].profiles.iter().cloned());
        }
        let active = |name: &str| {
            let service = &model.services[name];
            service.profiles.is_empty()
                || profiles.iter().any(|p| p == "*")
                || service.profiles.iter().any(|p| profiles.contains(p))
        };
        let mut enabled: Vec<String> = model
            .services
            .keys()
            .filter(|n| active(n))
            .cloned()
            .collect();
        if !wanted.is_empty() {
            let mut keep: BTreeSet<String> = BTreeSet::new();
            let mut todo: Vec<String> = wanted.clone();
            while let Some(name) = todo.pop() {
                if !keep.insert(name.clone()) {
                    continue;
                }
                if model.services.contains_key(&name) {
                    for dep in resources::dependency_names(self.service_raw(&name)) {
                        if enabled.contains(&dep) {
                            todo.push(dep);
                        }
                    }
                }
            }
            enabled.retain(|n| keep.contains(n));
        }
        Ok(enabled)
    }
}

/// Any YAML value as JSON, unchanged (maps keyed by their text; tags dropped).
pub(crate) fn generic(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Json::from(i)
            } else if let Some(u) = n.as_u64() {
                Json::from(u)
            } else {
                let f = n.as_f64().unwrap_or(0.0);
                serde_json::Number::from_f64(f)
                    .map_or_else(|| Json::String(scalar::go_float(f)), Json::Number)
            }
        }
        Value::String(s) => Json::String(s.clone()),
        Value::Sequence(items) => Json::Array(items.iter().map(generic).collect()),
        Value::Mapping(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (scalar::text_or_null(k).unwrap_or_default(), generic(v)))
                .collect(),
        ),
        Value::Tagged(t) => generic(&t.value),
    }
}

/// A sorted map of text keys to YAML values, from a mapping (`None` otherwise).
pub(crate) fn entries(value: &Value) -> Option<BTreeMap<String, &Value>> {
    value.as_mapping().map(|m| {
        m.iter()
            .map(|(k, v)| (scalar::text_or_null(k).unwrap_or_default(), v))
            .collect()
    })
}

#[cfg(test)]
mod tests;
