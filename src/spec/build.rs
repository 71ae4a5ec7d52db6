//! `build:`: what to build and how the image is tagged.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_norway::Value;

use crate::config::{ConfigError, Project, scalar_text};

use super::service::{key_values, normalize, origin_of};

/// What to build: the context directory and the options of Compose's `build:`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BuildSpec {
    pub context: PathBuf,
    /// Relative to the context.
    pub dockerfile: String,
    /// `dockerfile_inline`: sent in the context as `dockerfile` (a name of phi's own).
    pub dockerfile_inline: Option<String>,
    pub args: BTreeMap<String, String>,
    pub target: Option<String>,
    pub tag: String,
    /// `tags`: more names for the built image.
    pub extra_tags: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub no_cache: bool,
    /// `pull`: always try to pull a newer base image.
    pub pull: bool,
    pub cache_from: Vec<String>,
    /// `host:ip`
    pub extra_hosts: Vec<String>,
    /// `network`: the network mode of RUN steps.
    pub network: Option<String>,
    pub shm_size: Option<i64>,
    /// The one platform the engine's builder builds for.
    pub platform: Option<String>,
}

/// The name an inline Dockerfile gets in the build context.
pub const INLINE_DOCKERFILE: &str = ".phi.inline.Dockerfile";

/// `build` keys only BuildKit (buildx) honours: the engine's API builder, which phi drives,
/// has no way to take them.
const BUILDKIT_ONLY: &[&str] = &[
    "additional_contexts",
    "secrets",
    "ssh",
    "cache_to",
    "entitlements",
    "provenance",
    "sbom",
    "privileged",
    "ulimits",
    "isolation",
];

/// When start-all gets a service's image (`pull_policy`), as compose-go reads it: `always`,
/// `never`, `missing` (also `if_not_present`, a bare `refresh` and no policy), `build`, and
/// refresh windows (`daily`, `weekly`, `every_<duration>`, `refresh` with
/// `pull_refresh_after`): pull when the image was tagged longer ago than the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullPolicy {
    Always,
    Missing,
    Never,
    /// Always build (the service needs `build:`).
    Build,
    Refresh(std::time::Duration),
}

impl PullPolicy {
    /// How eager a policy is to pull, to pick one for an image that services share: always,
    /// then the shortest refresh window, then missing, then never.
    pub fn eagerness(self) -> (u8, std::cmp::Reverse<std::time::Duration>) {
        use std::cmp::Reverse;
        use std::time::Duration;
        match self {
            PullPolicy::Always => (4, Reverse(Duration::ZERO)),
            PullPolicy::Refresh(d) => (3, Reverse(d)),
            PullPolicy::Missing => (2, Reverse(Duration::ZERO)),
            PullPolicy::Never | PullPolicy::Build => (1, Reverse(Duration::ZERO)),
        }
    }
}

/// The `pull_policy` of `service_name`; `None` when it sets none.
pub fn pull_policy(
    project: &Project,
    service_name: &str,
) -> Result<Option<PullPolicy>, ConfigError> {
    let Some(raw) = project.model.services.get(service_name).map(|s| &s.raw) else {
        return Ok(None);
    };
    let invalid = |key: &str, message: &str| ConfigError::Invalid {
        path: origin_of(project),
        key: format!("services.{service_name}.{key}"),
        message: message.into(),
    };
    let text = |key: &str| -> Result<Option<String>, ConfigError> {
        raw.get(key)
            .filter(|v| !v.is_null())
            .map(|v| scalar_text(v).ok_or_else(|| invalid(key, "must be a string")))
            .transpose()
    };
    let Some(policy) = text("pull_policy")? else {
        return Ok(None);
    };
    let window = |key: &str, text: &str| {
        crate::units::parse_duration(text)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| invalid(key, "must be a duration such as 12h or 1w2d"))
    };
    const DAY: u64 = 24 * 60 * 60;
    Ok(Some(match policy.as_str() {
        "always" => PullPolicy::Always,
        "never" => PullPolicy::Never,
        "missing" | "if_not_present" => PullPolicy::Missing,
        "build" => {
            if raw.get("build").is_none_or(Value::is_null) {
                return Err(invalid(
                    "pull_policy",
                    "is `build`, but the service has no `build:`",
                ));
            }
            PullPolicy::Build
        }
        "daily" => PullPolicy::Refresh(std::time::Duration::from_secs(DAY)),
        "weekly" => PullPolicy::Refresh(std::time::Duration::from_secs(7 * DAY)),
        "refresh" => match text("pull_refresh_after")? {
            Some(after) => PullPolicy::Refresh(window("pull_refresh_after", &after)?),
            None => PullPolicy::Missing,
        },
        other => match other.strip_prefix("every_") {
            Some(every) => PullPolicy::Refresh(window("pull_policy", every)?),
            None => {
                return Err(invalid(
                    "pull_policy",
                    "must be always, never, missing, if_not_present, build, daily, weekly, \
                     every_<duration> or refresh",
                ));
            }
        },
    }))
}

/// The service's own `platform`, which picks the one of `build.platforms` to build.
fn service_platform(project: &Project, service_name: &str) -> Option<String> {
    project
        .model
        .services
        .get(service_name)?
        .raw
        .get("platform")
        .and_then(scalar_text)
}

/// One `build` option other than context, dockerfile, target and args.
fn read_option(
    spec: &mut BuildSpec,
    k: &str,
    v: &Value,
    invalid: &dyn Fn(&str, &str) -> ConfigError,
    warnings: &mut Vec<String>,
    prefix: &str,
) -> Result<(), ConfigError> {
    let text = || scalar_text(v).ok_or_else(|| invalid(k, "must be a string"));
    let list = || -> Result<Vec<String>, ConfigError> {
        match v {
            Value::Sequence(items) => items
                .iter()
                .map(|i| scalar_text(i).ok_or_else(|| invalid(k, "must be a list of strings")))
                .collect(),
            _ => Err(invalid(k, "must be a list of strings")),
        }
    };
    let flag = || super::service::boolean(v).ok_or_else(|| invalid(k, "must be true or false"));
    match k {
        _ if v.is_null() || k.starts_with("x-") => {}
        "dockerfile_inline" => spec.dockerfile_inline = Some(text()?),
        "tags" => spec.extra_tags = list()?,
        "labels" => {
            for (key, value) in key_values(v, "labels", |p, m| invalid(p, m))? {
                spec.labels.insert(key, value.unwrap_or_default());
            }
        }
        "no_cache" => spec.no_cache = flag()?,
        "pull" => spec.pull = flag()?,
        "cache_from" => spec.cache_from = list()?,
        "network" => spec.network = Some(text()?),
        "shm_size" => {
            spec.shm_size = Some(
                super::runtime::bytes(v).ok_or_else(|| invalid(k, "must be a size such as 64m"))?,
            );
        }
        "extra_hosts" => {
            for (host, ip) in key_values(v, "extra_hosts", |p, m| invalid(p, m))? {
                // `host=ip` or `host:ip` in list form; a mapping gives `host: ip`.
                let (host, ip) = match ip {
                    Some(ip) => (host, ip),
                    None => match host.split_once(':') {
                        Some((h, ip)) => (h.to_string(), ip.to_string()),
                        None => return Err(invalid(k, "entries must be HOST=IP or HOST:IP")),
                    },
                };
                spec.extra_hosts
                    .push(format!("{host}:{}", super::service::unbracket(&ip)));
            }
        }
        "platforms" => {
            let platforms = list()?;
            if platforms.len() > 1 {
                warnings.push(format!(
                    "{prefix}.platforms: the engine's builder builds one platform; phi builds \
                     for the service's `platform`, else {} (multi-platform images need buildx)",
                    platforms[0]
                ));
            }
            spec.platform = platforms.into_iter().next();
        }
        _ if BUILDKIT_ONLY.contains(&k) => warnings.push(format!(
            "{prefix}.{k} is ignored: it needs BuildKit (docker buildx), and phi builds through \
             the engine's API builder"
        )),
        _ => return Err(invalid(k, "is not a build setting")),
    }
    Ok(())
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
                    "args" => {
                        for (arg, value) in key_values(v, "args", |p, m| invalid(p, m))? {
                            // `ARG` without a value takes it from the environment, if set.
                            let value = match value {
                                Some(value) => Some(value),
                                None => project.env.get(&arg).ok().flatten(),
                            };
                            if let Some(value) = value {
                                spec.args.insert(arg, value);
                            }
                        }
                    }
                    _ => read_option(&mut spec, k, v, &invalid, &mut warnings, &prefix)?,
                }
            }
            if m.contains_key("dockerfile") && m.contains_key("dockerfile_inline") {
                return Err(invalid(
                    "dockerfile_inline",
                    "cannot be combined with `dockerfile` (they are mutually exclusive)",
                ));
            }
            if let Some(platform) = service_platform(project, service_name) {
                spec.platform = Some(platform);
            }
            if spec.dockerfile_inline.is_some() {
                spec.dockerfile = INLINE_DOCKERFILE.to_string();
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
