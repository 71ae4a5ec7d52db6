//! Everything start-all checks before it touches anything, reported together.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::path::Path;

use serde::Serialize;

use super::plan::Plan;
use super::{PullPolicy, Settings};
use crate::commands::checks;
use crate::config::Project;
use crate::engine::{ContainerInfo, Engine, EngineError, RunState};
use crate::spec::BuildSpec;
use crate::spec::{MountKind, NetworkSpec, VolumeSpec};

/// Which exit status a problem leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The configuration is wrong (exit 2).
    Config,
    /// Something the stack needs is not there (exit 4).
    Prerequisite,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub kind: Kind,
    pub message: String,
}

impl Problem {
    fn config(message: impl Into<String>) -> Problem {
        Problem {
            kind: Kind::Config,
            message: message.into(),
        }
    }
    fn prerequisite(message: impl Into<String>) -> Problem {
        Problem {
            kind: Kind::Prerequisite,
            message: message.into(),
        }
    }
}

/// How an image gets onto the engine before the containers are created.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ImageStep {
    Pull {
        image: String,
        services: Vec<String>,
    },
    Build {
        image: String,
        service: String,
        #[serde(skip)]
        spec: BuildSpec,
    },
}

impl ImageStep {
    pub fn image(&self) -> &str {
        match self {
            ImageStep::Pull { image, .. } | ImageStep::Build { image, .. } => image,
        }
    }
}

/// The variables, commands, bind sources and ports the stack needs. Pure apart from reading
/// the file system and trying the ports.
pub fn local_checks(
    project: &Project,
    plan: &Plan,
    existing: &[ContainerInfo],
    check_ports: bool,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let (_, template_checks, required) = checks::required_variables(project);
    for check in template_checks.iter().chain(&required) {
        if check.level == checks::Level::Error {
            problems.push(Problem::config(match &check.fix {
                Some(fix) => format!("{} ({fix})", check.message),
                None => check.message.clone(),
            }));
        }
    }
    for command in &project.model.x_phi.requires {
        if which::which(command).is_err() {
            problems.push(Problem::prerequisite(format!(
                "command `{command}` (x-phi.requires) is not on PATH"
            )));
        }
    }
    let mut seen = BTreeSet::new();
    for service in plan.services.values() {
        for step in &service.containers {
            for m in step
                .spec
                .mounts
                .iter()
                .filter(|m| m.kind == MountKind::Bind && !m.create_host_path)
            {
                // Short-syntax binds are created by the engine when missing, as Compose
                // relies on; a long-syntax bind without `create_host_path: true` is not.
                let Some(source) = &m.source else { continue };
                if seen.insert(source.clone()) && !Path::new(source).exists() {
                    problems.push(Problem::config(format!(
                        "services.{}: the bind-mount source {source} does not exist (a long-syntax \
                         bind is created only with `bind: {{create_host_path: true}}`)",
                        service.name
                    )));
                }
            }
        }
    }
    if check_ports {
        problems.extend(port_problems(plan, existing));
    }
    problems
}

/// Host ports the plan publishes that something else already holds. Ports held by the
/// project's own running containers are theirs to keep or hand over on recreation.
fn port_problems(plan: &Plan, existing: &[ContainerInfo]) -> Vec<Problem> {
    let ours: BTreeSet<(u16, String)> = existing
        .iter()
        .filter(|c| c.state == RunState::Running)
        .flat_map(|c| c.ports.iter().map(|p| (p.host_port, p.protocol.clone())))
        .collect();
    let mut problems = Vec::new();
    let mut tried = BTreeSet::new();
    for service in plan.services.values() {
        for step in &service.containers {
            for port in &step.spec.ports {
                let Some(host_port) = port.host_port else {
                    continue;
                };
                if ours.contains(&(host_port, port.protocol.clone())) {
                    continue;
                }
                let ip: IpAddr = match port.host_ip.as_deref() {
                    None | Some("") => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                    Some(text) => match text.trim_matches(|c| c == '[' || c == ']').parse() {
                        Ok(ip) => ip,
                        Err(_) => continue,
                    },
                };
                let key = (ip, host_port, port.protocol.clone());
                if !tried.insert(key) {
                    problems.push(Problem::config(format!(
                        "services.{}: host port {host_port}/{} is published twice",
                        service.name, port.protocol
                    )));
                    continue;
                }
                if port_taken(SocketAddr::new(ip, host_port), &port.protocol) {
                    problems.push(Problem::prerequisite(format!(
                        "services.{}: host port {ip}:{host_port}/{} is already in use",
                        service.name, port.protocol
                    )));
                }
            }
        }
    }
    problems
}

/// Whether binding `addr` fails because something holds it. Other failures (an address this
/// host does not have, a privileged port) are left for the engine to report.
pub fn port_taken(addr: SocketAddr, protocol: &str) -> bool {
    let result = match protocol {
        "udp" => UdpSocket::bind(addr).map(drop),
        "tcp" => TcpListener::bind(addr).map(drop),
        _ => return false,
    };
    matches!(result, Err(e) if e.kind() == std::io::ErrorKind::AddrInUse)
}

/// Which images must be pulled or built, and which cannot be had. `builds` maps a service
/// with `build:` to what to build.
pub async fn image_checks(
    engine: &Engine,
    plan: &Plan,
    builds: &BTreeMap<String, BuildSpec>,
    opts: &Settings,
) -> Result<(Vec<ImageStep>, Vec<Problem>), EngineError> {
    // Each image with the services that use it; a service's build makes only its own image,
    // not the image of one of its pre_start hooks (which is pulled, as Compose does).
    let mut by_image: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut built_by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for service in plan.services.values() {
        let hook_images = service.containers.first().into_iter().flat_map(|c| {
            c.spec
                .hooks
                .pre_start
                .iter()
                .filter_map(|h| h.image.clone())
        });
        let own = service.containers.iter().map(|c| c.spec.image.clone());
        for (image, is_own) in own
            .map(|i| (i, true))
            .chain(hook_images.map(|i| (i, false)))
        {
            if is_own {
                built_by
                    .entry(image.clone())
                    .or_default()
                    .push(service.name.clone());
            }
            let users = by_image.entry(image).or_default();
            if !users.contains(&service.name) {
                users.push(service.name.clone());
            }
        }
    }
    let mut steps = Vec::new();
    let mut problems = Vec::new();
    for (image, services) in by_image {
        let build = built_by
            .get(&image)
            .into_iter()
            .flatten()
            .find_map(|s| builds.get(s).map(|b| (s.clone(), b.clone())));
        let present = engine.image_present(&image).await?;
        match build {
            Some((service, spec)) if opts.build || !present => steps.push(ImageStep::Build {
                image,
                service,
                spec,
            }),
            Some(_) => {}
            None => match opts.pull {
                PullPolicy::Always => steps.push(ImageStep::Pull { image, services }),
                PullPolicy::Missing if !present => steps.push(ImageStep::Pull { image, services }),
                PullPolicy::Never if !present => problems.push(Problem::prerequisite(format!(
                    "image {image} (services {}) is not on the engine and --pull never forbids pulling it",
                    services.join(", ")
                ))),
                _ => {}
            },
        }
    }
    Ok((steps, problems))
}

/// External networks and volumes must exist; phi does not create them.
pub async fn external_checks(
    engine: &Engine,
    networks: &[&NetworkSpec],
    volumes: &[&VolumeSpec],
) -> Result<Vec<Problem>, EngineError> {
    let mut problems = Vec::new();
    for n in networks.iter().filter(|n| n.external) {
        if !engine.network_exists(&n.name).await? {
            problems.push(Problem::prerequisite(format!(
                "external network {} does not exist (create it with `docker network create {}`)",
                n.name, n.name
            )));
        }
    }
    for v in volumes.iter().filter(|v| v.external) {
        if !engine.volume_exists(&v.name).await? {
            problems.push(Problem::prerequisite(format!(
                "external volume {} does not exist (create it with `docker volume create {}`)",
                v.name, v.name
            )));
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_port_is_taken_and_a_free_one_is_not() {
        let held = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = held.local_addr().unwrap();
        assert!(port_taken(addr, "tcp"));
        drop(held);
        assert!(!port_taken(addr, "tcp"));
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        assert!(port_taken(udp.local_addr().unwrap(), "udp"));
        assert!(!port_taken(addr, "sctp"), "not checked");
    }
}
