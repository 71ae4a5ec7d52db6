//! A project's containers, found by the Compose labels and described as plain data.

use std::collections::HashMap;
use std::time::SystemTime;

use bollard::models::{
    ContainerInspectResponse, ContainerStateStatusEnum, HealthStatusEnum, PortMap,
};
use bollard::query_parameters::ListContainersOptions;
use futures_util::future::join_all;

use super::{Engine, EngineError};
use crate::spec::{LABEL_NUMBER, LABEL_ONEOFF, LABEL_PROJECT, LABEL_SERVICE};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    Created,
    Running,
    Paused,
    Restarting,
    Removing,
    Exited,
    Dead,
}

impl RunState {
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Created => "created",
            RunState::Running => "running",
            RunState::Paused => "paused",
            RunState::Restarting => "restarting",
            RunState::Removing => "removing",
            RunState::Exited => "exited",
            RunState::Dead => "dead",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthState {
    Starting,
    Healthy,
    Unhealthy,
}

impl HealthState {
    pub fn as_str(self) -> &'static str {
        match self {
            HealthState::Starting => "starting",
            HealthState::Healthy => "healthy",
            HealthState::Unhealthy => "unhealthy",
        }
    }
}

/// A published port: `host_ip:host_port -> container_port/protocol`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PortMapping {
    pub host_ip: String,
    pub host_port: u16,
    pub container_port: u16,
    pub protocol: String,
}

impl std::fmt::Display for PortMapping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ip = if self.host_ip.contains(':') {
            format!("[{}]", self.host_ip)
        } else {
            self.host_ip.clone()
        };
        write!(
            f,
            "{ip}:{}->{}/{}",
            self.host_port, self.container_port, self.protocol
        )
    }
}

/// What phi knows about one container of a project.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerInfo {
    pub id: String,
    pub name: String,
    /// The Compose service label; None for a container that carries only the project label.
    pub service: Option<String>,
    pub number: Option<u32>,
    /// Not one of the service's containers: made by `docker compose run`, or a pre_start
    /// hook's container.
    pub oneoff: bool,
    pub image: String,
    pub state: RunState,
    /// None when the container has no healthcheck.
    pub health: Option<HealthState>,
    /// Output of the latest failing healthcheck run, if the latest run failed.
    pub health_output: Option<String>,
    pub exit_code: Option<i64>,
    pub started_at: Option<SystemTime>,
    pub finished_at: Option<SystemTime>,
    pub restart_count: u64,
    pub ports: Vec<PortMapping>,
    /// The main process on the engine's host, while the container runs.
    pub pid: Option<u32>,
    /// phi's config-hash label, on containers phi created.
    pub config_hash: Option<String>,
    /// The healthcheck the container runs (its own or its image's), in the engine's form
    /// (`["CMD", ...]` or `["CMD-SHELL", line]`); None without one or with `NONE`.
    pub health_test: Option<Vec<String>>,
    /// Exit code and output of the healthcheck's most recent runs, oldest first.
    pub health_log: Vec<(i64, String)>,
}

impl Engine {
    /// Every container (running or not) labelled as part of `project`.
    pub async fn project_containers(
        &self,
        project: &str,
    ) -> Result<Vec<ContainerInfo>, EngineError> {
        let filters = HashMap::from([(
            "label".to_string(),
            vec![format!("{LABEL_PROJECT}={project}")],
        )]);
        let options = ListContainersOptions {
            all: true,
            filters: Some(filters),
            ..Default::default()
        };
        let summaries = self
            .call(
                "the container list",
                self.docker.list_containers(Some(options)),
            )
            .await?;
        let inspections = join_all(summaries.iter().filter_map(|s| s.id.as_deref()).map(
            |id| async move {
                let what = format!("inspect of container {}", short_id(id));
                self.call(&what, self.docker.inspect_container(id, None))
                    .await
            },
        ))
        .await;
        let mut out = Vec::with_capacity(inspections.len());
        for inspection in inspections {
            match inspection {
                Ok(response) => out.push(describe(response)),
                // Removed between the list and the inspect: it is simply gone.
                Err(EngineError::Api { message, .. }) if message.contains("No such container") => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// One container by ID or name; None when there is no such container.
    pub async fn inspect(&self, id: &str) -> Result<Option<ContainerInfo>, EngineError> {
        let what = format!("inspect of container {}", short_id(id));
        match self
            .call(&what, self.docker.inspect_container(id, None))
            .await
        {
            Ok(response) => Ok(Some(describe(response))),
            Err(EngineError::Api { message, .. }) if message.contains("No such container") => {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}

/// The engine's form of a healthcheck test (`["CMD", ...]`, `["CMD-SHELL", line]`) as a
/// command phi can run inside the container to see for itself whether it passes.
pub fn probe_command(test: &[String]) -> Option<Vec<String>> {
    match test.split_first() {
        Some((kind, rest)) if kind == "CMD" && !rest.is_empty() => Some(rest.to_vec()),
        Some((kind, [line])) if kind == "CMD-SHELL" => {
            Some(vec!["/bin/sh".into(), "-c".into(), line.clone()])
        }
        _ => None,
    }
}

pub fn short_id(id: &str) -> &str {
    &id[..id.len().min(12)]
}

fn describe(c: ContainerInspectResponse) -> ContainerInfo {
    let labels = c
        .config
        .as_ref()
        .and_then(|cfg| cfg.labels.clone())
        .unwrap_or_default();
    let state = c.state.clone().unwrap_or_default();
    let run_state = match state.status {
        Some(ContainerStateStatusEnum::CREATED) => RunState::Created,
        Some(ContainerStateStatusEnum::RUNNING) => RunState::Running,
        Some(ContainerStateStatusEnum::PAUSED) => RunState::Paused,
        Some(ContainerStateStatusEnum::RESTARTING) => RunState::Restarting,
        Some(ContainerStateStatusEnum::REMOVING) => RunState::Removing,
        Some(ContainerStateStatusEnum::EXITED) => RunState::Exited,
        Some(ContainerStateStatusEnum::DEAD) => RunState::Dead,
        // "stopping" and unknown states: the container is on its way out.
        _ => RunState::Exited,
    };
    let health = state.health.as_ref();
    let health_state = match health.and_then(|h| h.status) {
        Some(HealthStatusEnum::STARTING) => Some(HealthState::Starting),
        Some(HealthStatusEnum::HEALTHY) => Some(HealthState::Healthy),
        Some(HealthStatusEnum::UNHEALTHY) => Some(HealthState::Unhealthy),
        _ => None,
    };
    let health_output = health
        .and_then(|h| h.log.as_ref())
        .and_then(|log| log.last())
        .filter(|last| last.exit_code.unwrap_or(0) != 0)
        .and_then(|last| last.output.as_deref())
        .map(last_line);
    let health_log = health
        .and_then(|h| h.log.as_ref())
        .map(|log| {
            log.iter()
                .map(|r| {
                    (
                        r.exit_code.unwrap_or(-1),
                        r.output.clone().unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let health_test = c
        .config
        .as_ref()
        .and_then(|cfg| cfg.healthcheck.as_ref())
        .and_then(|h| h.test.clone())
        .filter(|t| matches!(t.first().map(String::as_str), Some("CMD" | "CMD-SHELL")));
    let exit_code = match run_state {
        RunState::Exited | RunState::Dead => state.exit_code,
        _ => None,
    };
    let ports = c
        .network_settings
        .as_ref()
        .and_then(|n| n.ports.as_ref())
        .map(published_ports)
        .unwrap_or_default();
    ContainerInfo {
        id: c.id.clone().unwrap_or_default(),
        name: c
            .name
            .as_deref()
            .unwrap_or_default()
            .trim_start_matches('/')
            .to_string(),
        service: labels.get(LABEL_SERVICE).cloned(),
        number: labels.get(LABEL_NUMBER).and_then(|n| n.parse().ok()),
        // A pre_start hook's container carries the service label but is none of its
        // containers: like `docker compose run`'s, it is left out of the service.
        oneoff: labels
            .get(LABEL_ONEOFF)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
            || labels.contains_key(crate::spec::LABEL_HOOK),
        image: c
            .config
            .as_ref()
            .and_then(|cfg| cfg.image.clone())
            .unwrap_or_default(),
        state: run_state,
        health: health_state,
        health_output,
        exit_code,
        started_at: state.started_at.as_deref().and_then(parse_time),
        finished_at: state.finished_at.as_deref().and_then(parse_time),
        restart_count: c.restart_count.unwrap_or(0).max(0) as u64,
        ports,
        pid: state
            .pid
            .filter(|p| *p > 0)
            .and_then(|p| u32::try_from(p).ok()),
        config_hash: labels.get(crate::spec::LABEL_CONFIG_HASH).cloned(),
        health_test,
        health_log,
    }
}

/// The last non-empty line of a healthcheck's output, trimmed.
fn last_line(output: &str) -> String {
    output
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or("")
        .to_string()
}

fn published_ports(map: &PortMap) -> Vec<PortMapping> {
    let mut out: Vec<PortMapping> = map
        .iter()
        .flat_map(|(key, bindings)| {
            let (port, protocol) = key.split_once('/').unwrap_or((key.as_str(), "tcp"));
            let container_port = port.parse().unwrap_or(0);
            bindings.iter().flatten().filter_map(move |b| {
                Some(PortMapping {
                    host_ip: b.host_ip.clone().unwrap_or_default(),
                    host_port: b.host_port.as_deref()?.parse().ok()?,
                    container_port,
                    protocol: protocol.to_string(),
                })
            })
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Docker's timestamps are RFC 3339 in UTC with nanoseconds; "0001-01-01T00:00:00Z" means never.
pub fn parse_time(text: &str) -> Option<SystemTime> {
    if text.starts_with("0001-") {
        return None;
    }
    humantime::parse_rfc3339_weak(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn healthcheck_tests_become_commands() {
        assert_eq!(
            probe_command(&words(&["CMD", "pg_isready", "-q"])),
            Some(words(&["pg_isready", "-q"]))
        );
        assert_eq!(
            probe_command(&words(&["CMD-SHELL", "curl -f localhost || exit 1"])),
            Some(words(&["/bin/sh", "-c", "curl -f localhost || exit 1"]))
        );
        assert_eq!(probe_command(&words(&["NONE"])), None);
        assert_eq!(probe_command(&words(&["CMD"])), None);
        assert_eq!(probe_command(&[]), None);
    }
    use bollard::models::{
        ContainerConfig, ContainerState, Health, HealthcheckResult, NetworkSettings, PortBinding,
    };
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn timestamps_with_nanoseconds_parse_and_zero_means_never() {
        let t = parse_time("2026-11-22T05:06:45.123456789Z").unwrap();
        let secs = t.duration_since(UNIX_EPOCH).unwrap();
        assert_eq!(secs.as_secs(), 1_795_324_005);
        assert_eq!(secs.subsec_nanos(), 123_456_789);
        assert_eq!(parse_time("0001-01-01T00:00:00Z"), None);
        assert_eq!(parse_time("garbage"), None);
    }

    #[test]
    fn ports_are_published_bindings_only_sorted_and_formatted() {
        let map: PortMap = HashMap::from([
            (
                "5432/tcp".to_string(),
                Some(vec![
                    PortBinding {
                        host_ip: Some("0.0.0.0".into()),
                        host_port: Some("15432".into()),
                    },
                    PortBinding {
                        host_ip: Some("::".into()),
                        host_port: Some("15432".into()),
                    },
                ]),
            ),
            ("6379/tcp".to_string(), None),
            (
                "53/udp".to_string(),
                Some(vec![PortBinding {
                    host_ip: Some("127.0.0.1".into()),
                    host_port: Some("5353".into()),
                }]),
            ),
        ]);
        let text: Vec<String> = published_ports(&map)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            text,
            [
                "0.0.0.0:15432->5432/tcp",
                "127.0.0.1:5353->53/udp",
                "[::]:15432->5432/tcp"
            ]
        );
    }

    #[test]
    fn an_unhealthy_container_is_described_with_its_last_output_line() {
        let labels = HashMap::from([
            (LABEL_SERVICE.to_string(), "web".to_string()),
            (LABEL_NUMBER.to_string(), "1".to_string()),
        ]);
        let response = ContainerInspectResponse {
            id: Some("0123456789abcdef".into()),
            name: Some("/demo-web-1".into()),
            restart_count: Some(2),
            config: Some(ContainerConfig {
                labels: Some(labels),
                image: Some("web:1".into()),
                ..Default::default()
            }),
            state: Some(ContainerState {
                status: Some(ContainerStateStatusEnum::RUNNING),
                started_at: Some("2026-11-22T05:00:00Z".into()),
                exit_code: Some(0),
                health: Some(Health {
                    status: Some(HealthStatusEnum::UNHEALTHY),
                    failing_streak: Some(3),
                    log: Some(vec![
                        HealthcheckResult {
                            exit_code: Some(0),
                            output: Some("fine".into()),
                            ..Default::default()
                        },
                        HealthcheckResult {
                            exit_code: Some(1),
                            output: Some("connecting...\ndatabase down\n\n".into()),
                            ..Default::default()
                        },
                    ]),
                }),
                ..Default::default()
            }),
            network_settings: Some(NetworkSettings::default()),
            ..Default::default()
        };
        let info = describe(response);
        assert_eq!(info.name, "demo-web-1");
        assert_eq!(info.service.as_deref(), Some("web"));
        assert_eq!(info.number, Some(1));
        assert_eq!(info.state, RunState::Running);
        assert_eq!(info.health, Some(HealthState::Unhealthy));
        assert_eq!(info.health_output.as_deref(), Some("database down"));
        assert_eq!(info.exit_code, None);
        assert_eq!(info.restart_count, 2);
        assert_eq!(
            info.started_at,
            Some(UNIX_EPOCH + Duration::from_secs(1_795_323_600))
        );
    }
}
