//! Compose files: read, parse (anchors, aliases, `<<` merge keys), interpolate, merge in order,
//! and turn into the typed model phi works with.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_norway::{Mapping, Value};

use super::ConfigError;
use super::env::Env;
use super::interpolate::{self, InterpolationError};
use super::xphi::{self, ProjectXPhi, ServiceXPhi};
use super::{extends, include, merge};

/// File names looked up in the project directory when no file is named, in Compose's order
/// (compose-go's DefaultFileNames).
pub const DEFAULT_FILES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];

/// What loading found worth telling: `warnings` always, `notes` with -v.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Diagnostics {
    pub warnings: Vec<String>,
    pub notes: Vec<String>,
}

/// The merged, interpolated and typed compose configuration.
#[derive(Debug, Clone, Default)]
pub struct ComposeModel {
    /// `name:` from the files, if any.
    pub name: Option<String>,
    pub services: BTreeMap<String, Service>,
    /// The top-level `x-phi` settings.
    pub x_phi: ProjectXPhi,
    /// The whole merged and interpolated document, for the parts read on demand
    /// (top-level `networks`, `volumes`, `secrets`).
    pub raw: Value,
}

impl ComposeModel {
    /// The services `wanted` names (`--services`): `None` when the list is empty (every
    /// service), an error naming the unknown ones (and the declared ones) otherwise.
    pub fn select<'a>(
        &'a self,
        wanted: &'a [String],
    ) -> Result<Option<BTreeSet<&'a str>>, ConfigError> {
        if wanted.is_empty() {
            return Ok(None);
        }
        let unknown: Vec<&str> = wanted
            .iter()
            .map(String::as_str)
            .filter(|name| !self.services.contains_key(*name))
            .collect();
        if !unknown.is_empty() {
            return Err(ConfigError::UnknownService {
                names: unknown.join(", "),
                declared: self.services.keys().cloned().collect::<Vec<_>>().join(", "),
            });
        }
        Ok(Some(wanted.iter().map(String::as_str).collect()))
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Service {
    /// The whole merged and interpolated definition, for the parts read on demand.
    pub raw: Value,
    pub image: Option<String>,
    pub container_name: Option<String>,
    pub profiles: Vec<String>,
    pub depends_on: BTreeMap<String, Dependency>,
    /// Containers Compose runs for the service: `scale`, else `deploy.replicas`, else 1.
    pub replicas: u32,
    /// How long the service gets to stop before it is killed (Compose's default: 10 s).
    pub stop_grace_period: Option<std::time::Duration>,
    /// `env_file` paths as written (after interpolation), in order.
    pub env_files: Vec<String>,
    /// `provider.type`: a service an external plugin runs (Compose 2.36+). phi does not run
    /// providers: such a service is never active, and what depends on it starts without it.
    pub provider: Option<String>,
    pub x_phi: ServiceXPhi,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    pub condition: Condition,
    pub required: bool,
    /// Restart this service when the dependency is restarted (`restart: true`).
    pub restart: bool,
    /// Not written in `depends_on`: implied by `links`, `volumes_from`, or `network_mode`,
    /// `ipc` or `pid` set to `service:NAME`, as Compose adds it.
    pub implicit: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    ServiceStarted,
    ServiceHealthy,
    ServiceCompletedSuccessfully,
}

impl Service {
    /// Whether the engine may restart its containers by itself (`restart` other than `no`,
    /// or a `deploy.restart_policy`): only then can a container's restart count grow.
    pub fn may_restart(&self) -> bool {
        let plain = match self.raw.get("restart") {
            None | Some(Value::Null) => false,
            Some(Value::String(word)) => word != "no",
            Some(_) => true,
        };
        plain
            || self
                .raw
                .get("deploy")
                .and_then(|d| d.get("restart_policy"))
                .is_some_and(|p| !p.is_null())
    }
}

impl ComposeModel {
    /// Whether a container of `service` (None: not declared) must be inspected for what
    /// `status` and `monitor` show: unless the list found it settled and its service cannot
    /// be restarted by the engine (its restart count is then 0).
    pub fn needs_inspection(&self, service: Option<&str>, settled: bool) -> bool {
        !settled
            || service
                .and_then(|s| self.services.get(s))
                .is_none_or(Service::may_restart)
    }

    /// Whether `service` is enabled by the active profiles (services without profiles always are).
    pub fn is_active(&self, service: &Service, profiles: &[String]) -> bool {
        if service.provider.is_some() {
            return false;
        }
        service.profiles.is_empty()
            || profiles.iter().any(|p| p == "*")
            || service.profiles.iter().any(|p| profiles.contains(p))
    }

    /// Services that something depends on with `service_completed_successfully`:
    /// one-shot jobs, for which "exited with code 0" is the good outcome.
    pub fn one_shot_services(&self) -> BTreeSet<&str> {
        self.services
            .values()
            .flat_map(|s| s.depends_on.iter())
            .filter(|(_, dep)| dep.condition == Condition::ServiceCompletedSuccessfully)
            .map(|(name, _)| name.as_str())
            .collect()
    }
}

/// Read, interpolate and merge `files` in order, then build the typed model. `include`
/// paths are taken from the first file's folder; see [`load_in`].
pub fn load(files: &[PathBuf], env: &Env) -> Result<(ComposeModel, Diagnostics), ConfigError> {
    let dir = files
        .first()
        .and_then(|f| f.parent())
        .map(Path::to_path_buf)
        .unwrap_or_default();
    load_in(files, env, &dir)
}

/// [`load`] for a project whose directory is `directory` (where `include` paths start).
pub fn load_in(
    files: &[PathBuf],
    env: &Env,
    directory: &Path,
) -> Result<(ComposeModel, Diagnostics), ConfigError> {
    let mut diagnostics = Diagnostics::default();
    let mut chain = Vec::new();
    let merged = load_merged(files, env, directory, &mut chain, &mut diagnostics)?;
    let Some(merged) = merged else {
        let path = files.first().cloned().unwrap_or_default();
        return Err(ConfigError::YamlNoLocation {
            path,
            message: "empty compose file".into(),
        });
    };
    let merged = merge::strip_tags(merged);
    let origin = files
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let model = build_model(&merged, &origin, &mut diagnostics)?;
    Ok((model, diagnostics))
}

/// Files read one by one (interpolated, their `include`s imported, their `extends`
/// resolved) and merged in order; `None` when every file is empty. `chain` holds the files
/// whose `include`s are being read, to refuse a cycle.
fn load_merged(
    files: &[PathBuf],
    env: &Env,
    directory: &Path,
    chain: &mut Vec<PathBuf>,
    diag: &mut Diagnostics,
) -> Result<Option<Value>, ConfigError> {
    let mut merged: Option<Value> = None;
    for path in files {
        let mut doc = load_file(path, env, diag)?;
        if doc.is_null() {
            // An empty file (or one with only comments) adds nothing, as in Compose.
            diag.notes
                .push(format!("{}: the file is empty", path.display()));
            continue;
        }
        check_sections(path, &doc)?;
        let includes = match &mut doc {
            Value::Mapping(m) => m.remove("include"),
            _ => None,
        };
        if let Some(includes) = includes.filter(|v| !v.is_null()) {
            chain.push(path.clone());
            for entry in include::entries(&includes, path, directory)? {
                if chain.contains(&entry.files[0]) {
                    let mut cycle = chain.clone();
                    cycle.push(entry.files[0].clone());
                    return Err(include::cycle(path, &cycle));
                }
                if chain.len() > MAX_INCLUDE_DEPTH {
                    return Err(include::cycle(path, chain));
                }
                let env = env.with_defaults_from(&entry.env_files)?;
                let imported = load_merged(&entry.files, &env, &entry.directory, chain, diag)?;
                if let Some(imported) = imported {
                    let imported =
                        include::absolute_paths(merge::strip_tags(imported), &entry.directory);
                    include::import(&mut doc, imported, path)?;
                }
            }
            chain.pop();
        }
        extends::apply(&mut doc, path, &mut |base| {
            let doc = load_file(base, env, diag)?;
            Ok(merge::strip_tags(doc))
        })?;
        merged = Some(match merged {
            None => doc,
            Some(base) => merge::merge_documents(base, doc)?,
        });
    }
    Ok(merged)
}

/// The `name:` the files declare, as Compose reads it to name the project before it loads
/// them: the last file (or document) whose `name:` is not empty wins, and it is interpolated
/// alone. `None` when no file declares one. A file that cannot be parsed is passed over here
/// (loading it reports the problem).
pub fn declared_name(files: &[PathBuf], env: &Env) -> Result<Option<String>, ConfigError> {
    let mut declared = None;
    for path in files {
        let Ok(text) = crate::files::read_text(path, crate::files::MAX_COMPOSE_BYTES) else {
            continue;
        };
        if !may_declare_name(&text) {
            continue;
        }
        let Ok(documents) = super::yaml::documents(&text) else {
            continue;
        };
        for document in documents {
            if let Some(name) = document
                .get("name")
                .and_then(super::scalar_text)
                .filter(|n| !n.is_empty())
            {
                declared = Some((path, name));
            }
        }
    }
    let Some((path, name)) = declared else {
        return Ok(None);
    };
    let lookup = |var: &str| env.get(var).ok().flatten();
    interpolate::interpolate(&name, &lookup)
        .map(Some)
        .map_err(|error| ConfigError::Interpolation {
            path: path.clone(),
            key: "name".into(),
            error,
        })
}

/// Whether `text` can hold a top-level `name:` (a line at column 0 starting with `name`,
/// quoted or not, or a flow or complex-key document), so that files without one are not
/// parsed twice.
fn may_declare_name(text: &str) -> bool {
    text.lines().any(|line| {
        let line = line.strip_prefix('\u{feff}').unwrap_or(line);
        ["name", "\"name\"", "'name'", "{", "?", "--- {"]
            .iter()
            .any(|start| line.starts_with(start))
    })
}

/// A top-level section that a file names must hold something: Compose refuses `services:`
/// (or `networks:`, `name:` ...) left empty, in any file, before anything is merged.
fn check_sections(path: &Path, doc: &Value) -> Result<(), ConfigError> {
    const SECTIONS: &[&str] = &[
        "name", "services", "networks", "volumes", "secrets", "configs", "models",
    ];
    match SECTIONS
        .iter()
        .find(|k| doc.get(**k).is_some_and(Value::is_null))
    {
        Some(&key) => Err(ConfigError::Invalid {
            path: path.display().to_string(),
            key: key.to_string(),
            message: if key == "name" {
                "must be a string".into()
            } else {
                "must be a mapping, not empty".into()
            },
        }),
        None => Ok(()),
    }
}

/// The most containers phi plans for one service (`scale`, `deploy.replicas`).
pub const MAX_REPLICAS: u32 = 10_000;
/// The most containers phi plans for a whole project.
pub const MAX_CONTAINERS: u64 = 10_000;

/// Deepest chain of `include`s followed.
const MAX_INCLUDE_DEPTH: usize = 32;

/// One file: parse with locations as Compose does (see [`super::yaml`]), interpolate every
/// string value.
fn load_file(path: &Path, env: &Env, diag: &mut Diagnostics) -> Result<Value, ConfigError> {
    let text =
        crate::files::read_text(path, crate::files::MAX_COMPOSE_BYTES).map_err(|source| {
            ConfigError::Read {
                path: path.to_path_buf(),
                source,
            }
        })?;
    check_depth(path, &text)?;
    // A file may hold several YAML documents (`---`); they merge in order, as in Compose.
    let mut doc = Value::Null;
    for part in super::yaml::documents(&text).map_err(|e| yaml_error(path, &e))? {
        if part.is_null() {
            continue;
        }
        if !part.is_mapping() {
            return Err(ConfigError::YamlNoLocation {
                path: path.to_path_buf(),
                message: "the top level must be a mapping (services:, volumes:, ...)".into(),
            });
        }
        doc = if doc.is_null() {
            part
        } else {
            merge::merge_documents(doc, part)?
        };
    }
    if doc.is_null() {
        return Ok(doc);
    }
    let mut interp = Interpolator {
        path,
        env,
        diag,
        warned: BTreeSet::new(),
        errors: Vec::new(),
    };
    interp.walk(&mut doc, &mut String::new());
    let mut errors = interp.errors;
    match errors.len() {
        0 => Ok(doc),
        1 => Err(errors.remove(0)),
        _ => Err(ConfigError::Several(errors)),
    }
}

/// Deepest nesting accepted in a compose file. The YAML parser refuses deeper documents too,
/// but only after work that grows with the square of the depth (50,000 levels of `[[...]]`
/// took seconds); this linear scan refuses them first.
const MAX_DEPTH: usize = 128;

/// Refuse a document nested deeper than [`MAX_DEPTH`]: flow collections (`[`, `{`) outside
/// quotes and comments, and block levels (rising indentation, `- ` items on one line).
fn check_depth(path: &Path, text: &str) -> Result<(), ConfigError> {
    let too_deep = |line: usize| ConfigError::Yaml {
        path: path.to_path_buf(),
        line,
        column: 1,
        message: format!("nested more than {MAX_DEPTH} levels deep"),
    };
    let mut flow = 0usize;
    let mut indents: Vec<usize> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let content = line.trim_start_matches(' ');
        let indent = line.len() - content.len();
        if flow == 0 && !content.is_empty() && !content.starts_with('#') {
            while indents.last().is_some_and(|&top| top > indent) {
                indents.pop();
            }
            if indents.last().is_none_or(|&top| top < indent) {
                indents.push(indent);
            }
            let items = content
                .as_bytes()
                .chunks(2)
                .take_while(|pair| *pair == b"- ")
                .count();
            if indents.len() + items > MAX_DEPTH {
                return Err(too_deep(n + 1));
            }
        }
        let (mut single, mut double) = (false, false);
        let mut previous = ' ';
        for c in line.chars() {
            match c {
                '\'' if !double => single = !single,
                '"' if !single => double = !double,
                '#' if !single && !double && previous.is_whitespace() => break,
                '[' | '{' if !single && !double => {
                    flow += 1;
                    if flow + indents.len() > MAX_DEPTH {
                        return Err(too_deep(n + 1));
                    }
                }
                ']' | '}' if !single && !double => flow = flow.saturating_sub(1),
                _ => {}
            }
            previous = c;
        }
    }
    Ok(())
}

fn yaml_error(path: &Path, err: &serde_norway::Error) -> ConfigError {
    // serde_norway appends " at line L column C" to its message; the location is reported
    // in front instead, as file:line:column.
    let message = err.to_string();
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_string();
    match err.location() {
        Some(loc) => ConfigError::Yaml {
            path: path.to_path_buf(),
            line: loc.line(),
            column: loc.column(),
            message,
        },
        None => ConfigError::YamlNoLocation {
            path: path.to_path_buf(),
            message,
        },
    }
}

struct Interpolator<'a> {
    path: &'a Path,
    env: &'a Env,
    diag: &'a mut Diagnostics,
    warned: BTreeSet<String>,
    /// Every value that could not be interpolated: all are reported, not only the first.
    errors: Vec<ConfigError>,
}

impl Interpolator<'_> {
    fn walk(&mut self, value: &mut Value, key: &mut String) {
        match value {
            Value::String(s) if s.contains('$') => match self.interpolate(s, key) {
                Ok(text) => *s = text,
                Err(e) => self.errors.push(e),
            },
            Value::Sequence(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    let len = key.len();
                    let _ = write!(key, "[{i}]");
                    self.walk(item, key);
                    key.truncate(len);
                }
            }
            Value::Mapping(map) => {
                for (k, v) in map.iter_mut() {
                    let len = key.len();
                    if !key.is_empty() {
                        key.push('.');
                    }
                    key.push_str(&key_text(k));
                    self.walk(v, key);
                    key.truncate(len);
                }
            }
            Value::Tagged(tagged) => self.walk(&mut tagged.value, key),
            _ => {}
        }
    }

    fn interpolate(&mut self, template: &str, key: &str) -> Result<String, ConfigError> {
        let wrap = |error: InterpolationError| ConfigError::Interpolation {
            path: self.path.to_path_buf(),
            key: key.to_string(),
            error,
        };
        // A lookup that fails (VAR and VAR_FILE both set, unreadable VAR_FILE) is remembered
        // and reported after the substitution, which cannot carry it.
        let failure = std::cell::RefCell::new(None);
        let lookup = |name: &str| match self.env.get(name) {
            Ok(value) => value,
            Err(e) => {
                failure.borrow_mut().get_or_insert(e);
                None
            }
        };
        let result = interpolate::interpolate(template, &lookup).map_err(wrap)?;
        if let Some(err) = failure.into_inner() {
            return Err(err);
        }
        // Warn, as Compose does, about plain references to unset variables. `references` is
        // stricter than `interpolate` about parts that were never evaluated; then skip warning.
        for r in interpolate::references(template).unwrap_or_default() {
            if !r.required
                && !r.has_default
                && self.env.raw(&r.name).is_none()
                && self.env.raw(&format!("{}_FILE", r.name)).is_none()
                && self.warned.insert(r.name.clone())
            {
                self.diag.warnings.push(format!(
                    "{}: `{key}`: variable {} is not set, using an empty string",
                    self.path.display(),
                    r.name
                ));
            }
        }
        Ok(result)
    }
}

fn key_text(key: &Value) -> String {
    super::scalar_text(key).unwrap_or_else(|| {
        serde_norway::to_string(key)
            .unwrap_or_default()
            .trim()
            .to_string()
    })
}

/// Top-level keys of the Compose specification.
const TOP_LEVEL_KEYS: &[&str] = &[
    "version", "name", "include", "services", "networks", "volumes", "configs", "secrets", "models",
];

/// Keys of a `post_start` / `pre_stop` hook (the schema's `service_hook`), in compose-go's
/// order.
pub const HOOK_KEYS: &[&str] = &[
    "command",
    "user",
    "privileged",
    "working_dir",
    "environment",
];
/// Keys of a `pre_start` hook (Compose 5.3; compose-go's `ServiceHook`), in its order.
pub const PRE_START_HOOK_KEYS: &[&str] = &[
    "command",
    "image",
    "user",
    "privileged",
    "working_dir",
    "environment",
    "per_replica",
];

/// Service keys of the Compose specification.
const SERVICE_KEYS: &[&str] = &[
    "annotations",
    "attach",
    "blkio_config",
    "build",
    "cap_add",
    "cap_drop",
    "cgroup",
    "cgroup_parent",
    "command",
    "configs",
    "container_name",
    "cpu_count",
    "cpu_percent",
    "cpu_period",
    "cpu_quota",
    "cpu_rt_period",
    "cpu_rt_runtime",
    "cpu_shares",
    "cpus",
    "cpuset",
    "credential_spec",
    "depends_on",
    "deploy",
    "develop",
    "device_cgroup_rules",
    "devices",
    "dns",
    "dns_opt",
    "dns_search",
    "domainname",
    "driver_opts",
    "entrypoint",
    "env_file",
    "environment",
    "expose",
    "extends",
    "external_links",
    "extra_hosts",
    "gpus",
    "group_add",
    "healthcheck",
    "hostname",
    "image",
    "init",
    "ipc",
    "isolation",
    "label_file",
    "labels",
    "links",
    "logging",
    "mac_address",
    "mem_limit",
    "mem_reservation",
    "mem_swappiness",
    "memswap_limit",
    "models",
    "network_mode",
    "networks",
    "oom_kill_disable",
    "oom_score_adj",
    "pid",
    "pids_limit",
    "platform",
    "ports",
    "post_start",
    "pre_start",
    "pre_stop",
    "privileged",
    "profiles",
    "provider",
    "pull_policy",
    "pull_refresh_after",
    "read_only",
    "restart",
    "runtime",
    "scale",
    "secrets",
    "security_opt",
    "shm_size",
    "stdin_open",
    "stop_grace_period",
    "stop_signal",
    "storage_opt",
    "sysctls",
    "tmpfs",
    "tty",
    "ulimits",
    "use_api_socket",
    "user",
    "userns_mode",
    "uts",
    "volumes",
    "volumes_from",
    "working_dir",
];

fn build_model(
    doc: &Value,
    origin: &str,
    diag: &mut Diagnostics,
) -> Result<ComposeModel, ConfigError> {
    let invalid = |key: &str, message: String| ConfigError::Invalid {
        path: origin.to_string(),
        key: key.to_string(),
        message,
    };
    let top = doc
        .as_mapping()
        .ok_or_else(|| invalid("(top level)", "must be a mapping".into()))?;

    for key in top.keys() {
        let key = key_text(key);
        match key.as_str() {
            "version" => diag
                .notes
                .push(format!("{origin}: `version` is obsolete and ignored")),
            k if k.starts_with("x-") || TOP_LEVEL_KEYS.contains(&k) => {}
            // Compose's schema refuses it; so does phi, rather than run something else.
            k => {
                return Err(invalid(
                    k,
                    format!(
                        "additional properties '{k}' not allowed (not part of the Compose \
                         specification; extensions start with `x-`)"
                    ),
                ));
            }
        }
    }

    let name = match top.get("name") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(invalid("name", "must be a string".into())),
    };

    let x_phi = match top.get("x-phi") {
        Some(x_phi) => xphi::parse_project(x_phi, origin, diag)?,
        None => ProjectXPhi::default(),
    };

    let mut services = BTreeMap::new();
    match top.get("services") {
        None | Some(Value::Null) => {}
        Some(Value::Mapping(map)) => {
            for (key, value) in map {
                let service_name = key_text(key);
                let service = build_service(&service_name, value, origin, diag)?;
                services.insert(service_name, service);
            }
        }
        Some(_) => {
            return Err(invalid(
                "services",
                "must be a mapping of service names".into(),
            ));
        }
    }

    let total: u64 = services.values().map(|s| u64::from(s.replicas)).sum();
    if total > MAX_CONTAINERS {
        return Err(invalid(
            "services",
            format!(
                "add up to {total} containers; phi runs at most {MAX_CONTAINERS} in one project"
            ),
        ));
    }
    // Only services that are always enabled are checked here: as in Compose, a service in a
    // profile is checked when a profile enables it (start-all's plan, `config`'s printer).
    for (name, service) in services.iter().filter(|(_, s)| s.profiles.is_empty()) {
        for dep in service.depends_on.keys() {
            if !services.contains_key(dep) {
                return Err(invalid(
                    &format!("services.{name}.depends_on"),
                    format!("depends on undefined service `{dep}`"),
                ));
            }
        }
    }

    Ok(ComposeModel {
        name,
        services,
        x_phi,
        raw: doc.clone(),
    })
}

/// The parts of a service definition phi reads, deserialized leniently where interpolation
/// may have turned numbers into strings.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawService {
    image: Option<String>,
    container_name: Option<String>,
    profiles: Vec<String>,
    depends_on: Option<RawDependsOn>,
    #[serde(deserialize_with = "lenient_u32")]
    scale: Option<u32>,
    deploy: Option<RawDeploy>,
    env_file: Option<RawEnvFiles>,
}

/// `env_file`: a path, or a list of paths and `{path, required}` mappings.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawEnvFiles {
    One(String),
    Many(Vec<RawEnvFile>),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawEnvFile {
    Path(String),
    Long { path: String },
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawDeploy {
    #[serde(deserialize_with = "lenient_u32")]
    replicas: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawDependsOn {
    List(Vec<String>),
    Map(BTreeMap<String, RawDependency>),
}

#[derive(Debug, Deserialize)]
struct RawDependency {
    #[serde(default = "default_condition")]
    condition: Condition,
    #[serde(default = "yes")]
    required: bool,
    #[serde(default)]
    restart: bool,
}

fn default_condition() -> Condition {
    Condition::ServiceStarted
}

fn yes() -> bool {
    true
}

fn lenient_u32<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumOrText {
        Num(u32),
        Text(String),
    }
    match Option::<NumOrText>::deserialize(d)? {
        None => Ok(None),
        Some(NumOrText::Num(n)) => Ok(Some(n)),
        Some(NumOrText::Text(t)) => t
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("`{t}` is not a whole number"))),
    }
}

/// The services a service depends on without saying so in `depends_on`, as Compose adds
/// them: `links` (`svc` or `svc:alias`), `network_mode`, `ipc` and `pid` set to
/// `service:NAME` (these with `restart: true`), and `volumes_from` (`svc[:ro|rw]`; a
/// `container:NAME` entry names no service).
fn implicit_dependencies(service: &Mapping) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    if let Some(Value::Sequence(links)) = service.get("links") {
        for link in links.iter().filter_map(Value::as_str) {
            let name = link.split(':').next().unwrap_or(link).trim();
            if !name.is_empty() {
                out.push((name.to_string(), true));
            }
        }
    }
    for key in ["network_mode", "ipc", "pid"] {
        if let Some(name) = service
            .get(key)
            .and_then(Value::as_str)
            .and_then(|v| v.strip_prefix("service:"))
            .filter(|n| !n.is_empty())
        {
            out.push((name.to_string(), true));
        }
    }
    if let Some(Value::Sequence(from)) = service.get("volumes_from") {
        for entry in from.iter().filter_map(Value::as_str) {
            if entry.starts_with("container:") {
                continue;
            }
            let name = entry.split(':').next().unwrap_or(entry).trim();
            if !name.is_empty() {
                out.push((name.to_string(), false));
            }
        }
    }
    out
}

/// Compose's schema refuses a service key it does not have; so does phi, rather than run
/// something other than what the file says.
fn check_service_keys(name: &str, map: &Mapping, origin: &str) -> Result<(), ConfigError> {
    match map
        .keys()
        .map(key_text)
        .find(|key| !key.starts_with("x-") && !SERVICE_KEYS.contains(&key.as_str()))
    {
        Some(key) => Err(ConfigError::Invalid {
            path: origin.to_string(),
            key: format!("services.{name}.{key}"),
            message: format!(
                "additional properties '{key}' not allowed (not part of the Compose \
                 specification; extensions start with `x-`)"
            ),
        }),
        None => Ok(()),
    }
}

fn build_service(
    name: &str,
    value: &Value,
    origin: &str,
    diag: &mut Diagnostics,
) -> Result<Service, ConfigError> {
    let empty = Value::Mapping(Mapping::new());
    let value = if value.is_null() { &empty } else { value };
    let Some(map) = value.as_mapping() else {
        return Err(ConfigError::Invalid {
            path: origin.to_string(),
            key: format!("services.{name}"),
            message: "a service must be a mapping".into(),
        });
    };
    check_service_keys(name, map, origin)?;

    let raw: RawService = serde_path_to_error::deserialize(value.clone()).map_err(|e| {
        let path = e.path().to_string();
        let key = if path == "." {
            format!("services.{name}")
        } else {
            format!("services.{name}.{path}")
        };
        ConfigError::Invalid {
            path: origin.to_string(),
            key,
            message: e.into_inner().to_string(),
        }
    })?;

    let depends_on = match raw.depends_on {
        None => BTreeMap::new(),
        Some(RawDependsOn::List(names)) => names
            .into_iter()
            .map(|n| {
                let dep = Dependency {
                    condition: Condition::ServiceStarted,
                    required: true,
                    restart: false,
                    implicit: false,
                };
                (n, dep)
            })
            .collect(),
        Some(RawDependsOn::Map(map)) => map
            .into_iter()
            .map(|(n, d)| {
                let dep = Dependency {
                    condition: d.condition,
                    required: d.required,
                    restart: d.restart,
                    implicit: false,
                };
                (n, dep)
            })
            .collect(),
    };

    let mut depends_on = depends_on;
    for (dep, restart) in implicit_dependencies(map) {
        depends_on.entry(dep).or_insert(Dependency {
            condition: Condition::ServiceStarted,
            required: true,
            restart,
            implicit: true,
        });
    }

    let replicas = raw
        .scale
        .or(raw.deploy.as_ref().and_then(|d| d.replicas))
        .unwrap_or(1);
    if replicas > MAX_REPLICAS {
        let key = if raw.scale.is_some() {
            "scale"
        } else {
            "deploy.replicas"
        };
        return Err(ConfigError::Invalid {
            path: origin.to_string(),
            key: format!("services.{name}.{key}"),
            message: format!(
                "is {replicas}; phi runs at most {MAX_REPLICAS} containers of one service"
            ),
        });
    }

    let provider = match map.get("provider") {
        None | Some(Value::Null) => None,
        Some(p) => {
            let kind = p
                .get("type")
                .and_then(super::scalar_text)
                .unwrap_or_else(|| "?".into());
            diag.warnings.push(format!(
                "{origin}: `services.{name}` is a `provider` service (type `{kind}`): Compose runs it \
                 through an external plugin, which phi does not do; it is skipped, and services \
                 that depend on it start without it"
            ));
            Some(kind)
        }
    };

    let x_phi = match map.get("x-phi") {
        Some(v) => xphi::parse_service(name, v, origin, diag)?,
        None => ServiceXPhi::default(),
    };
    let stop_grace_period = match map.get("stop_grace_period") {
        None | Some(Value::Null) => None,
        Some(v) => Some(xphi::duration(v).map_err(|message| ConfigError::Invalid {
            path: origin.to_string(),
            key: format!("services.{name}.stop_grace_period"),
            message,
        })?),
    };

    Ok(Service {
        raw: value.clone(),
        image: raw.image.filter(|i| !i.is_empty()),
        container_name: raw.container_name,
        profiles: raw.profiles,
        depends_on,
        replicas,
        stop_grace_period,
        env_files: match raw.env_file {
            None => Vec::new(),
            Some(RawEnvFiles::One(path)) => vec![path],
            Some(RawEnvFiles::Many(list)) => list
                .into_iter()
                .map(|f| match f {
                    RawEnvFile::Path(path) | RawEnvFile::Long { path } => path,
                })
                .collect(),
        },
        x_phi,
        provider,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::Redactor;

    fn env(pairs: &[(&str, &str)]) -> Env {
        let process = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        Env::load(process, &[], Path::new("/"), Redactor::new()).unwrap()
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn only_a_restart_policy_lets_the_restart_count_grow() {
        let service = |yaml: &str| Service {
            raw: serde_norway::from_str(yaml).unwrap(),
            ..Service::default()
        };
        assert!(!service("image: x").may_restart());
        assert!(!service("restart: \"no\"").may_restart());
        assert!(service("restart: always").may_restart());
        assert!(service("restart: on-failure:3").may_restart());
        assert!(service("deploy: {restart_policy: {condition: any}}").may_restart());
        assert!(!service("deploy: {resources: {}}").may_restart());
        let mut model = ComposeModel::default();
        model.services.insert("web".into(), service("image: x"));
        model
            .services
            .insert("db".into(), service("restart: always"));
        assert!(!model.needs_inspection(Some("web"), true));
        assert!(model.needs_inspection(Some("web"), false));
        assert!(model.needs_inspection(Some("db"), true));
        assert!(model.needs_inspection(Some("gone"), true));
        assert!(model.needs_inspection(None, true));
    }

    #[test]
    fn the_declared_name_is_the_last_files_interpolated() {
        let dir = tempfile::tempdir().unwrap();
        let a = write(dir.path(), "a.yaml", "name: first\nservices: {}\n");
        let b = write(
            dir.path(),
            "b.yaml",
            "{name: \"${N:-second}\", services: {}}\n",
        );
        let c = write(
            dir.path(),
            "c.yaml",
            "services:\n  x:\n    container_name: no\n",
        );
        let name = |files: &[PathBuf], vars: &[(&str, &str)]| declared_name(files, &env(vars));
        assert_eq!(
            name(std::slice::from_ref(&a), &[]).unwrap().as_deref(),
            Some("first")
        );
        assert_eq!(
            name(&[a.clone(), b.clone()], &[]).unwrap().as_deref(),
            Some("second")
        );
        assert_eq!(
            name(&[b.clone(), c.clone()], &[("N", "set")])
                .unwrap()
                .as_deref(),
            Some("set")
        );
        assert_eq!(name(&[c], &[]).unwrap(), None);
    }

    #[test]
    fn merge_keys_inside_merged_mappings_reach_the_model() {
        let dir = tempfile::tempdir().unwrap();
        let f = write(
            dir.path(),
            "compose.yaml",
            r#"
x-base: &base
  image: app:1
  stop_grace_period: 3s
x-mid: &mid
  <<: *base
  container_name: mid
x-ports: &ports
  image: other
  profiles: [debug]
services:
  web:
    <<: [*mid, *ports]
    container_name: web
"#,
        );
        let (model, _) = load(&[f], &env(&[])).unwrap();
        let web = &model.services["web"];
        assert_eq!(web.image.as_deref(), Some("app:1"));
        assert_eq!(web.container_name.as_deref(), Some("web"));
        assert_eq!(web.profiles, ["debug"]);
        assert_eq!(
            web.stop_grace_period,
            Some(std::time::Duration::from_secs(3))
        );
        assert!(web.raw.get("<<").is_none());
    }

    #[test]
    fn services_dependencies_and_replicas_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let f = write(
            dir.path(),
            "compose.yaml",
            r#"
name: demo
services:
  db:
    image: postgres:15
  migrate:
    image: app
    depends_on: [db]
    env_file: [a.env, { path: b.env, required: false }]
  web:
    env_file: web.env
    image: app
    scale: "2"
    depends_on:
      db: { condition: service_healthy }
      migrate: { condition: service_completed_successfully, required: false }
"#,
        );
        let (model, diag) = load(&[f], &env(&[])).unwrap();
        assert_eq!(model.name.as_deref(), Some("demo"));
        assert_eq!(
            model.services.keys().collect::<Vec<_>>(),
            ["db", "migrate", "web"]
        );
        let web = &model.services["web"];
        assert_eq!(web.replicas, 2);
        assert_eq!(web.depends_on["db"].condition, Condition::ServiceHealthy);
        assert!(!web.depends_on["migrate"].required);
        assert_eq!(
            model.services["migrate"].depends_on["db"].condition,
            Condition::ServiceStarted
        );
        assert_eq!(
            model.one_shot_services().into_iter().collect::<Vec<_>>(),
            ["migrate"]
        );
        assert_eq!(model.services["migrate"].env_files, ["a.env", "b.env"]);
        assert_eq!(web.env_files, ["web.env"]);
        assert_eq!(diag, Diagnostics::default());
    }

    #[test]
    fn values_are_interpolated_from_the_env_and_unset_ones_warned() {
        let dir = tempfile::tempdir().unwrap();
        let f = write(
            dir.path(),
            "compose.yaml",
            "services:\n  db:\n    image: \"postgres:${PG_VERSION:-15}\"\n    container_name: $NAME\n    labels: [\"a=$UNSET\"]\n",
        );
        let (model, diag) = load(&[f], &env(&[("NAME", "the-db")])).unwrap();
        assert_eq!(model.services["db"].image.as_deref(), Some("postgres:15"));
        assert_eq!(
            model.services["db"].container_name.as_deref(),
            Some("the-db")
        );
        assert_eq!(diag.warnings.len(), 1);
        assert!(
            diag.warnings[0].contains("services.db.labels[0]")
                && diag.warnings[0].contains("UNSET"),
            "{:?}",
            diag.warnings
        );
    }

    #[test]
    fn a_required_variable_names_file_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let f = write(
            dir.path(),
            "compose.yaml",
            "services:\n  db:\n    environment:\n      POSTGRES_PASSWORD: ${PGPASS:?set the database password}\n",
        );
        let err = load(&[f], &env(&[])).unwrap_err().to_string();
        assert!(err.contains("compose.yaml"), "{err}");
        assert!(
            err.contains("services.db.environment.POSTGRES_PASSWORD"),
            "{err}"
        );
        assert!(
            err.contains("PGPASS") && err.contains("set the database password"),
            "{err}"
        );
    }

    #[test]
    fn every_missing_required_variable_is_reported_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let f = write(
            dir.path(),
            "compose.yaml",
            "services:\n  db:\n    environment:\n      A: ${A:?}\n      B: ${B:?need B}\n      C: ${C:?}\n",
        );
        let err = load(&[f], &env(&[("B", "set")])).unwrap_err().to_string();
        assert!(err.starts_with("2 problems:"), "{err}");
        assert!(err.contains("services.db.environment.A"), "{err}");
        assert!(err.contains("services.db.environment.C"), "{err}");
        assert!(!err.contains("environment.B"), "{err}");
    }

    #[test]
    fn anchors_aliases_and_merge_keys_work() {
        let dir = tempfile::tempdir().unwrap();
        let f = write(
            dir.path(),
            "compose.yaml",
            r#"
x-common: &common
  image: base:1
  profiles: [extra]
services:
  a:
    <<: *common
  b:
    <<: *common
    image: other:2
"#,
        );
        let (model, _) = load(&[f], &env(&[])).unwrap();
        assert_eq!(model.services["a"].image.as_deref(), Some("base:1"));
        assert_eq!(model.services["a"].profiles, ["extra"]);
        assert_eq!(model.services["b"].image.as_deref(), Some("other:2"));
    }

    #[test]
    fn files_merge_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let a = write(
            dir.path(),
            "a.yaml",
            "services:\n  web:\n    image: web:1\n  db:\n    image: db:1\n",
        );
        let b = write(
            dir.path(),
            "b.yaml",
            "name: over\nservices:\n  web:\n    image: web:2\n  cache:\n    image: redis\n",
        );
        let (model, _) = load(&[a, b], &env(&[])).unwrap();
        assert_eq!(model.name.as_deref(), Some("over"));
        assert_eq!(model.services["web"].image.as_deref(), Some("web:2"));
        assert_eq!(model.services["db"].image.as_deref(), Some("db:1"));
        assert!(model.services.contains_key("cache"));
    }

    #[test]
    fn the_merged_top_level_document_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let a = write(
            dir.path(),
            "a.yaml",
            "services:\n  web:\n    image: web\nvolumes:\n  data: {}\n",
        );
        let b = write(
            dir.path(),
            "b.yaml",
            "networks:\n  front:\n    name: ${NET}\nvolumes:\n  data:\n    external: true\n",
        );
        let (model, _) = load(&[a, b], &env(&[("NET", "edge")])).unwrap();
        assert_eq!(
            model.raw["networks"]["front"]["name"].as_str(),
            Some("edge")
        );
        assert_eq!(
            model.raw["volumes"]["data"]["external"].as_bool(),
            Some(true)
        );
        assert_eq!(model.raw["services"]["web"]["image"].as_str(), Some("web"));
    }

    #[test]
    fn yaml_errors_point_to_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let f = write(
            dir.path(),
            "compose.yaml",
            "services:\n  web:\n    image: [unclosed\n",
        );
        let err = load(&[f], &env(&[])).unwrap_err();
        match err {
            ConfigError::Yaml { line, column, .. } => assert!(line >= 3 && column >= 1),
            other => panic!("expected a located YAML error, got {other}"),
        }
    }

    #[test]
    fn type_errors_name_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let f = write(
            dir.path(),
            "compose.yaml",
            "services:\n  web:\n    scale: lots\n",
        );
        let err = load(&[f], &env(&[])).unwrap_err().to_string();
        assert!(
            err.contains("services.web.scale") && err.contains("lots"),
            "{err}"
        );
    }

    #[test]
    fn unknown_keys_are_refused_as_compose_refuses_them() {
        let dir = tempfile::tempdir().unwrap();
        let f = write(
            dir.path(),
            "compose.yaml",
            "version: '3.8'\nservices:\n  base:\n    image: busybox\n  web:\n    x-team: ops\n    extends: { service: base }\n",
        );
        let (model, diag) = load(&[f], &env(&[])).unwrap();
        assert!(diag.notes.iter().any(|n| n.contains("version")));
        assert!(!diag.notes.iter().any(|n| n.contains("x-team")));
        assert!(diag.warnings.is_empty(), "{:?}", diag.warnings);
        assert_eq!(model.services["web"].image.as_deref(), Some("busybox"));

        for (yaml, key) in [
            (
                "services:\n  web:\n    image: x\n    imgae: typo\n",
                "services.web.imgae",
            ),
            (
                "services:\n  web:\n    image: x\nservice: {}\n",
                "`service`",
            ),
        ] {
            let f = write(dir.path(), "compose.yaml", yaml);
            let err = load(&[f], &env(&[])).unwrap_err();
            assert!(matches!(err, ConfigError::Invalid { .. }), "{err}");
            let err = err.to_string();
            assert!(
                err.contains(key) && err.contains("additional properties"),
                "{err}"
            );
        }
    }

    #[test]
    fn extends_reads_bases_from_other_files_interpolated() {
        let dir = tempfile::tempdir().unwrap();
        write(
            &dir.path().join("common"),
            "base.yaml",
            "services:\n  app:\n    image: ${IMAGE}\n    build: ./src\n    depends_on: [db]\n  db:\n    image: pg\n",
        );
        let f = write(
            dir.path(),
            "compose.yaml",
            "services:\n  web:\n    extends: {file: common/base.yaml, service: app}\n    depends_on: [cache]\n  cache:\n    image: redis\n  db:\n    image: pg\n",
        );
        let (model, _) = load(&[f], &env(&[("IMAGE", "app:1")])).unwrap();
        let web = &model.services["web"];
        assert_eq!(web.image.as_deref(), Some("app:1"));
        assert_eq!(web.depends_on.keys().collect::<Vec<_>>(), ["cache", "db"]);
        let context = web.raw["build"].as_str().unwrap();
        assert_eq!(Path::new(context), dir.path().join("common/./src"));
        assert!(!model.services.contains_key("app"));
    }

    #[test]
    fn links_volumes_from_and_service_namespaces_imply_dependencies() {
        let dir = tempfile::tempdir().unwrap();
        let f = write(
            dir.path(),
            "compose.yaml",
            "services:\n  web:\n    image: x\n    links: [db, 'cache:redis']\n    volumes_from: ['data:ro', 'container:other']\n    network_mode: service:vpn\n    ipc: service:shm\n    depends_on:\n      db: {condition: service_healthy}\n  db: {image: x}\n  cache: {image: x}\n  data: {image: x}\n  vpn: {image: x}\n  shm: {image: x}\n",
        );
        let (model, _) = load(&[f], &env(&[])).unwrap();
        let deps = &model.services["web"].depends_on;
        assert_eq!(
            deps.keys().collect::<Vec<_>>(),
            ["cache", "data", "db", "shm", "vpn"]
        );
        // What depends_on says wins; implied ones are service_started.
        assert_eq!(deps["db"].condition, Condition::ServiceHealthy);
        assert!(!deps["db"].implicit);
        assert!(deps["vpn"].implicit && deps["vpn"].restart && deps["vpn"].required);
        assert!(deps["data"].implicit && !deps["data"].restart);
        let g = write(
            dir.path(),
            "g.yaml",
            "services:\n  web:\n    image: x\n    network_mode: service:ghost\n",
        );
        let err = load(&[g], &env(&[])).unwrap_err().to_string();
        assert!(
            err.contains("services.web.depends_on") && err.contains("ghost"),
            "{err}"
        );
    }

    #[test]
    fn provider_services_are_read_with_a_warning_and_an_empty_image_means_none() {
        let dir = tempfile::tempdir().unwrap();
        let f = write(
            dir.path(),
            "compose.yaml",
            "services:\n  ai:\n    provider: {type: model, options: {model: x}}\n  app:\n    image: \"\"\n    build: .\n    depends_on: [ai]\n",
        );
        let (model, diag) = load(&[f], &env(&[])).unwrap();
        assert_eq!(model.services["ai"].provider.as_deref(), Some("model"));
        assert!(!model.is_active(&model.services["ai"], &[]));
        assert!(
            diag.warnings
                .iter()
                .any(|w| w.contains("services.ai") && w.contains("provider"))
        );
        assert_eq!(model.services["app"].image, None);
    }

    #[test]
    fn include_imports_another_project_with_its_own_env_and_paths() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db");
        write(&db, ".env", "DB_IMAGE=pg:16\nSHARED=from-include\n");
        write(
            &db,
            "compose.yaml",
            "services:\n  db:\n    image: ${DB_IMAGE}\n    environment: {S: $SHARED}\n    volumes: ['./data:/data']\nvolumes:\n  cache: {}\n",
        );
        let f = write(
            dir.path(),
            "compose.yaml",
            "include:\n  - db/compose.yaml\nservices:\n  web:\n    image: web\n    depends_on: [db]\n",
        );
        let (model, diag) = load_in(&[f], &env(&[("SHARED", "from-process")]), dir.path()).unwrap();
        assert!(diag.warnings.is_empty(), "{:?}", diag.warnings);
        let db_service = &model.services["db"];
        assert_eq!(db_service.image.as_deref(), Some("pg:16"));
        // The including project's variables win over the included .env.
        assert_eq!(db_service.raw["environment"]["S"], "from-process");
        let volume = db_service.raw["volumes"][0].as_str().unwrap();
        assert!(volume.starts_with(&db.display().to_string()), "{volume}");
        assert!(model.raw["volumes"].get("cache").is_some());
        assert!(model.services["web"].depends_on.contains_key("db"));
    }

    #[test]
    fn an_include_cycle_names_its_chain() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "b.yaml",
            "include: [a.yaml]\nservices:\n  b: {image: b}\n",
        );
        let a = write(
            dir.path(),
            "a.yaml",
            "include: [b.yaml]\nservices:\n  a: {image: a}\n",
        );
        let err = load_in(&[a], &env(&[]), dir.path())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("include cycle") && err.contains("a.yaml -> "),
            "{err}"
        );
    }

    #[test]
    fn deep_nesting_and_huge_replicas_are_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let deep = format!(
            "services:\n  a:\n    image: x\n    command: {}{}\n",
            "[".repeat(50_000),
            "]".repeat(50_000)
        );
        let f = write(dir.path(), "deep.yaml", &deep);
        let started = std::time::Instant::now();
        let err = load(&[f], &env(&[])).unwrap_err().to_string();
        assert!(
            err.contains("deep.yaml:4") && err.contains("nested more than"),
            "{err}"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        let f = write(
            dir.path(),
            "dash.yaml",
            &format!("x-list:\n  {}x\nservices: {{}}\n", "- ".repeat(500)),
        );
        assert!(
            load(&[f], &env(&[]))
                .unwrap_err()
                .to_string()
                .contains("nested more than")
        );
        // Quoted brackets and comments are not nesting.
        let f = write(
            dir.path(),
            "ok.yaml",
            &format!(
                "services:\n  a:\n    image: x\n    command: \"{}\" # {}\n",
                "[".repeat(500),
                "{".repeat(500)
            ),
        );
        assert!(load(&[f], &env(&[])).is_ok());
        let f = write(
            dir.path(),
            "many.yaml",
            "services:\n  a:\n    image: x\n    deploy: {replicas: 1000000}\n",
        );
        let err = load(&[f], &env(&[])).unwrap_err().to_string();
        assert!(
            err.contains("services.a.deploy.replicas") && err.contains("at most"),
            "{err}"
        );
    }

    #[test]
    fn empty_files_and_several_documents() {
        let dir = tempfile::tempdir().unwrap();
        let a = write(
            dir.path(),
            "a.yaml",
            "services:\n  a:\n    image: x\n---\nservices:\n  b:\n    image: y\n",
        );
        let empty = write(dir.path(), "empty.yaml", "# nothing here\n");
        let (model, _) = load(&[a, empty.clone()], &env(&[])).unwrap();
        assert_eq!(model.services.keys().collect::<Vec<_>>(), ["a", "b"]);
        let err = load(&[empty], &env(&[])).unwrap_err().to_string();
        assert!(err.contains("empty compose file"), "{err}");
    }

    #[test]
    fn undefined_dependencies_and_bad_shapes_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let f = write(
            dir.path(),
            "compose.yaml",
            "services:\n  web:\n    depends_on: [ghost]\n",
        );
        let err = load(&[f], &env(&[])).unwrap_err().to_string();
        assert!(
            err.contains("services.web.depends_on") && err.contains("ghost"),
            "{err}"
        );
        let g = write(dir.path(), "g.yaml", "- just\n- a list\n");
        assert!(matches!(
            load(&[g], &env(&[])).unwrap_err(),
            ConfigError::YamlNoLocation { .. }
        ));
        let e = write(dir.path(), "e.yaml", "");
        assert!(
            load(&[e], &env(&[]))
                .unwrap_err()
                .to_string()
                .contains("empty")
        );
    }

    #[test]
    fn an_empty_top_level_section_is_refused_in_any_file() {
        let dir = tempfile::tempdir().unwrap();
        let base = write(dir.path(), "compose.yaml", "services:\n  a: {image: x}\n");
        for key in [
            "services", "networks", "volumes", "secrets", "configs", "name",
        ] {
            let other = write(dir.path(), "other.yaml", &format!("{key}:\n"));
            let err = load(&[base.clone(), other], &env(&[]))
                .unwrap_err()
                .to_string();
            assert!(err.contains("other.yaml") && err.contains(key), "{err}");
        }
        assert!(load(&[base], &env(&[])).is_ok());
    }

    #[test]
    fn a_service_in_a_profile_may_depend_on_an_undefined_service_until_enabled() {
        let dir = tempfile::tempdir().unwrap();
        let f = write(
            dir.path(),
            "compose.yaml",
            "services:\n  proxy:\n    image: x\n    network_mode: service:vpn\n    profiles: [proxy]\n    depends_on: [ghost]\n",
        );
        let (model, _) = load(&[f], &env(&[])).unwrap();
        let deps = &model.services["proxy"].depends_on;
        assert_eq!(deps.keys().collect::<Vec<_>>(), ["ghost", "vpn"]);
    }

    #[test]
    fn profiles_decide_which_services_are_active() {
        let model = ComposeModel::default();
        let plain = Service::default();
        let debug = Service {
            profiles: vec!["debug".into()],
            ..Service::default()
        };
        assert!(model.is_active(&plain, &[]));
        assert!(!model.is_active(&debug, &[]));
        assert!(model.is_active(&debug, &["debug".into()]));
        assert!(model.is_active(&debug, &["*".into()]));
    }
}
