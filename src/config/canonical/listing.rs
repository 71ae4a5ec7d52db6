//! The listing flags of `config`: one name per line, as Compose prints them (Compose walks
//! Go maps, so its order changes from run to run; here services come in dependency order,
//! the rest sorted).

use std::collections::BTreeSet;

use serde_json::Value as Json;

use super::{ConfigError, Options, Project};

/// `--services`: the enabled services, each after the services it depends on.
pub fn services(project: &Project, options: &Options) -> Result<Vec<String>, ConfigError> {
    let options = Options {
        services: Vec::new(),
        ..options.clone()
    };
    let doc = super::project(project, &options)?;
    let Some(Json::Object(services)) = doc.get("services") else {
        return Ok(Vec::new());
    };
    let mut order = Vec::new();
    let mut placed: BTreeSet<&str> = BTreeSet::new();
    while order.len() < services.len() {
        let before = order.len();
        for (name, service) in services {
            if placed.contains(name.as_str()) {
                continue;
            }
            let ready = match service.get("depends_on") {
                Some(Json::Object(deps)) => deps
                    .keys()
                    .all(|d| placed.contains(d.as_str()) || !services.contains_key(d)),
                _ => true,
            };
            if ready {
                placed.insert(name);
                order.push(name.clone());
            }
        }
        if order.len() == before {
            // A cycle: the rest in name order.
            for name in services.keys() {
                if placed.insert(name) {
                    order.push(name.clone());
                }
            }
        }
    }
    Ok(order)
}

/// `--images`: each printed service's image, or `<project>-<service>` for one that is built.
pub fn images(project: &Project, options: &Options) -> Result<Vec<String>, ConfigError> {
    let doc = super::project(project, options)?;
    let Some(Json::Object(services)) = doc.get("services") else {
        return Ok(Vec::new());
    };
    Ok(services
        .iter()
        .map(|(name, s)| match s.get("image").and_then(Json::as_str) {
            Some(image) => image.to_string(),
            None => format!("{}-{name}", project.name),
        })
        .collect())
}

/// `--volumes`: the keys of the top-level volumes the printed services use.
pub fn volumes(project: &Project, options: &Options) -> Result<Vec<String>, ConfigError> {
    section_keys(project, options, "volumes")
}

/// `--networks`: the keys of the networks the printed services use (`default` included).
pub fn networks(project: &Project, options: &Options) -> Result<Vec<String>, ConfigError> {
    section_keys(project, options, "networks")
}

fn section_keys(
    project: &Project,
    options: &Options,
    section: &str,
) -> Result<Vec<String>, ConfigError> {
    let doc = super::project(project, options)?;
    Ok(match doc.get(section) {
        Some(Json::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    })
}

/// `--profiles`: every profile any service names, enabled or not, sorted, once each.
pub fn profiles(project: &Project, options: &Options) -> Result<Vec<String>, ConfigError> {
    // The project must be valid, as for Compose.
    super::project(project, options)?;
    let mut all = BTreeSet::new();
    for service in project.model.services.values() {
        all.extend(service.profiles.iter().cloned());
    }
    Ok(all.into_iter().collect())
}
