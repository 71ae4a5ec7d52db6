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
        spec: Box<BuildSpec>,
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
/// project's own running containers are theirs to keep or hand over on recreation. A host
/// range (`8000-8010:80`) is shared by the containers that publish it: the engine gives each
/// a free port of it, so it needs as many free ports as containers.
fn port_problems(plan: &Plan, existing: &[ContainerInfo]) -> Vec<Problem> {
    let ours: BTreeSet<(u16, String)> = existing
        .iter()
        .filter(|c| c.state == RunState::Running)
        .flat_map(|c| c.ports.iter().map(|p| (p.host_port, p.protocol.clone())))
        .collect();
    let free = |ip: IpAddr, port: u16, protocol: &str| {
        ours.contains(&(port, protocol.to_string()))
            || !port_taken(SocketAddr::new(ip, port), protocol)
    };
    let mut problems = Vec::new();
    let mut tried = BTreeSet::new();
    // (service, ip, first, last, protocol) -> containers publishing the range.
    let mut ranges: BTreeMap<(String, IpAddr, u16, u16, String), usize> = BTreeMap::new();
    for service in plan.services.values() {
        for step in &service.containers {
            for port in &step.spec.ports {
                let Some(host_port) = port.host_port else {
                    continue;
                };
                let ip: IpAddr = match port.host_ip.as_deref() {
                    None | Some("") => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                    Some(text) => match text.trim_matches(|c| c == '[' || c == ']').parse() {
                        Ok(ip) => ip,
                        Err(_) => continue,
                    },
                };
                let protocol = port.protocol.clone();
                if let Some(last) = port.host_port_end {
                    let key = (service.name.clone(), ip, host_port, last, protocol);
                    *ranges.entry(key).or_default() += 1;
                    continue;
                }
                if !tried.insert((ip, host_port, protocol.clone())) {
                    problems.push(Problem::config(format!(
                        "services.{}: host port {host_port}/{protocol} is published twice",
                        service.name
                    )));
                    continue;
                }
                if !free(ip, host_port, &protocol) {
                    problems.push(Problem::prerequisite(format!(
                        "services.{}: host port {ip}:{host_port}/{protocol} is already in use",
                        service.name
                    )));
                }
            }
        }
    }
    for ((service, ip, first, last, protocol), containers) in ranges {
        let size = usize::from(last - first) + 1;
        if size < containers {
            problems.push(Problem::config(format!(
                "services.{service}: the host port range {first}-{last}/{protocol} has {size} \
                 port(s) for {containers} containers"
            )));
            continue;
        }
        let available = (first..=last)
            .filter(|p| !tried.contains(&(ip, *p, protocol.clone())) && free(ip, *p, &protocol))
            .count();
        if available < containers {
            problems.push(Problem::prerequisite(format!(
                "services.{service}: the host port range {ip}:{first}-{last}/{protocol} has \
                 {available} free port(s) for {containers} containers"
            )));
        }
    }
    problems
}

/// Settings the engine's API version is too old for, one problem per service and key: the
/// engine would reject them, or worse, ignore them. `api` is the negotiated version (`1.41`).
pub fn api_problems(api: &str, plan: &Plan) -> Vec<Problem> {
    let version = |text: &str| -> (u32, u32) {
        let (major, minor) = text.split_once('.').unwrap_or((text, "0"));
        (major.parse().unwrap_or(0), minor.parse().unwrap_or(0))
    };
    let have = version(api);
    let mut problems = Vec::new();
    for service in plan.services.values() {
        let Some(step) = service.containers.first() else {
            continue;
        };
        let mut needs: Vec<(String, &str, &str)> = Vec::new();
        for m in &step.spec.mounts {
            if m.kind == MountKind::Image {
                needs.push((
                    format!("volumes (type: image, target {})", m.target),
                    "1.48",
                    "Docker 28",
                ));
            } else if m.kind == MountKind::Volume && m.subpath.is_some() {
                needs.push((
                    format!("volumes (volume.subpath, target {})", m.target),
                    "1.45",
                    "Docker 26",
                ));
            }
        }
        let tuning = &step.spec.tuning;
        for n in &step.spec.networks {
            if n.mac_address.is_some() {
                needs.push((
                    format!("mac_address (network {})", n.name),
                    "1.44",
                    "Docker 25",
                ));
            }
            if n.gw_priority.is_some() {
                needs.push((
                    format!("networks ({}: gw_priority)", n.name),
                    "1.48",
                    "Docker 28",
                ));
            }
            if n.interface_name.is_some() {
                needs.push((
                    format!("networks ({}: interface_name)", n.name),
                    "1.49",
                    "Docker 28.1",
                ));
            }
        }
        if !tuning.annotations.is_empty() {
            needs.push(("annotations".into(), "1.43", "Docker 24"));
        }
        for (key, wanted, release) in needs {
            if have < version(wanted) {
                problems.push(Problem::prerequisite(format!(
                    "services.{}.{key} needs Docker Engine API {wanted} ({release}) or later; \
                     this engine speaks API {api}",
                    service.name
                )));
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
/// with `build:` to what to build, `pulls` a service to its `pull_policy`; `--pull` wins over
/// those, as `docker compose up --pull` does.
pub async fn image_checks(
    engine: &Engine,
    plan: &Plan,
    builds: &BTreeMap<String, BuildSpec>,
    pulls: &BTreeMap<String, PullPolicy>,
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
        let policy = opts.pull.unwrap_or_else(|| {
            services
                .iter()
                .map(|s| pulls.get(s).copied().unwrap_or(PullPolicy::Missing))
                .max_by_key(|p| p.eagerness())
                .unwrap_or(PullPolicy::Missing)
        });
        let tagged = engine.image_tagged_at(&image).await?;
        let present = tagged.is_some();
        match build {
            Some((service, spec)) if opts.build || !present || policy == PullPolicy::Build => {
                steps.push(ImageStep::Build {
                    image,
                    service,
                    spec: Box::new(spec),
                });
            }
            Some(_) => {}
            None if must_pull(policy, tagged, std::time::SystemTime::now()) => {
                steps.push(ImageStep::Pull { image, services });
            }
            None if !present => problems.push(Problem::prerequisite(format!(
                "image {image} (services {}) is not on the engine and {} forbids pulling it",
                services.join(", "),
                if opts.pull.is_some() {
                    "--pull never"
                } else {
                    "pull_policy: never"
                }
            ))),
            None => {}
        }
    }
    Ok((steps, problems))
}

/// Whether an image with `policy` is pulled, given when it was tagged (`None`: absent,
/// `Some(None)`: present, time unknown). Never and build never pull (a missing image is then
/// a problem); a refresh window pulls an absent image or one tagged longer ago than it.
pub fn must_pull(
    policy: PullPolicy,
    tagged: Option<Option<std::time::SystemTime>>,
    now: std::time::SystemTime,
) -> bool {
    match (policy, tagged) {
        (PullPolicy::Always, _) => true,
        (PullPolicy::Never | PullPolicy::Build, _) => false,
        (PullPolicy::Missing | PullPolicy::Refresh(_), None) => true,
        (PullPolicy::Missing, Some(_)) => false,
        (PullPolicy::Refresh(_), Some(None)) => false,
        (PullPolicy::Refresh(window), Some(Some(at))) => {
            now.duration_since(at).is_ok_and(|age| age > window)
        }
    }
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
    fn pull_policies_decide_from_presence_and_age() {
        use std::time::{Duration, SystemTime};
        let now = SystemTime::now();
        let hour = Duration::from_secs(3600);
        let day = PullPolicy::Refresh(24 * hour);
        assert!(must_pull(PullPolicy::Always, Some(Some(now)), now));
        assert!(must_pull(PullPolicy::Missing, None, now));
        assert!(!must_pull(PullPolicy::Missing, Some(None), now));
        assert!(!must_pull(PullPolicy::Never, None, now));
        assert!(!must_pull(PullPolicy::Build, None, now));
        assert!(must_pull(day, None, now));
        assert!(!must_pull(day, Some(Some(now - hour)), now));
        assert!(must_pull(day, Some(Some(now - 25 * hour)), now));
        assert!(!must_pull(day, Some(None), now), "no tag time: left alone");
        // The most eager policy wins for a shared image.
        let mut shared = [
            PullPolicy::Never,
            day,
            PullPolicy::Refresh(hour),
            PullPolicy::Missing,
        ];
        shared.sort_by_key(|p| std::cmp::Reverse(p.eagerness()));
        assert_eq!(shared[0], PullPolicy::Refresh(hour));
        assert!(PullPolicy::Always.eagerness() > shared[0].eagerness());
    }

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
