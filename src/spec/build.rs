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
    pub args: BTreeMap<String, String>,
    pub target: Option<String>,
    pub tag: String,
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
