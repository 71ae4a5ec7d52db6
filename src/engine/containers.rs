//! A project's containers, found by the Compose labels and described as plain data.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use super::observe::{self, HealthPolicy};
use super::{Engine, EngineError, answers};
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
    /// The healthcheck's interval, start period and retries (Docker's defaults filled in).
    pub health_policy: HealthPolicy,
    /// Who decided `health`: [`observe::SIGNAL_ENGINE`] or [`observe::SIGNAL_PROBE`].
    pub health_signal: Option<&'static str>,
    /// The kernel killed its main process for want of memory (an exited container).
    pub oom_killed: bool,
    /// The signal a stop sends first, as configured (`SIGTERM` when None).
    pub stop_signal: Option<String>,
    /// Inspected. When false, this is what the container list says: no restart count, PID,
    /// healthcheck test or log, and a start time only as precise as the engine's status
    /// text (see [`describe_listed`]).
    pub inspected: bool,
    /// From the list: running, its healthcheck (if any) healthy, up for at least
    /// [`observe::RECENT_RESTART`]. Only such a container can do without an inspection.
    pub settled: bool,
}

/// Inspections in flight at once. An inspection waits for the container's lock, which the
/// engine holds while it records each healthcheck result: many at once keep that wait to
/// about one round, and the bound keeps a project of hundreds from opening hundreds of
/// connections.
pub const INSPECTS_AT_ONCE: usize = 32;

impl Engine {
    /// Every container (running or not) labelled as part of `project`, each inspected.
    pub async fn project_containers(
        &self,
        project: &str,
    ) -> Result<Vec<ContainerInfo>, EngineError> {
        self.project_containers_where(project, |_| true).await
    }

    /// The project's containers from one list call; those `inspect` picks (given what the
    /// list says) are inspected too, [`INSPECTS_AT_ONCE`] at a time. The others keep what
    /// the list tells ([`ContainerInfo::inspected`] is false): see [`describe_listed`].
    pub async fn project_containers_where(
        &self,
        project: &str,
        inspect: impl Fn(&ContainerInfo) -> bool,
    ) -> Result<Vec<ContainerInfo>, EngineError> {
        let filters = serde_json::json!({ "label": [format!("{LABEL_PROJECT}={project}")] });
        let path = format!(
            "/containers/json?all=1&filters={}",
            answers::query_escape(&filters.to_string())
        );
        let summaries: Vec<answers::Summary> = self.get_json("the container list", &path).await?;
        let now = SystemTime::now();
        let docker = self.product.starts_with("Docker");
        let listed: Vec<ContainerInfo> = summaries
            .into_iter()
            .filter(|s| !s.id.is_empty())
            .map(|s| describe_listed(s, docker, now))
            .collect();
        let looks = super::at_most(
            INSPECTS_AT_ONCE,
            listed.into_iter().map(|c| {
                let wanted = inspect(&c);
                async move {
                    if !wanted {
                        return Ok(Some(c));
                    }
                    match self.inspect_raw(&c.id).await {
                        Ok(response) => Ok(Some(describe(response))),
                        // Removed between the list and the inspect: it is simply gone.
                        Err(EngineError::Api { message, .. }) if no_such_container(&message) => {
                            Ok(None)
                        }
                        Err(e) => Err(e),
                    }
                }
            }),
        )
        .await;
        let mut out = Vec::with_capacity(looks.len());
        for look in looks {
            out.extend(look?);
        }
        Ok(out)
    }

    /// One container by ID or name; None when there is no such container.
    pub async fn inspect(&self, id: &str) -> Result<Option<ContainerInfo>, EngineError> {
        match self.inspect_raw(id).await {
            Ok(response) => Ok(Some(describe(response))),
            Err(EngineError::Api { message, .. }) if no_such_container(&message) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET /containers/{id}/json` read leniently.
    pub(super) async fn inspect_raw(&self, id: &str) -> Result<answers::Inspection, EngineError> {
        let what = format!("inspect of container {}", short_id(id));
        let path = format!("/containers/{}/json", answers::query_escape(id));
        self.get_json(&what, &path).await
    }
}

/// Docker says "No such container"; Podman "no such container".
fn no_such_container(message: &str) -> bool {
    message.to_ascii_lowercase().contains("no such container")
}

/// The engine's state word as phi's state. Docker's words map to themselves; Podman's
/// `stopped` (a container that exited, or one between two restarts) and any word phi does
/// not know count as exited: not running, so never ready. Podman's `configured` and
/// `initialized` (made but never started) count as created.
pub fn run_state(word: &str) -> RunState {
    match word.to_ascii_lowercase().as_str() {
        "created" | "configured" | "initialized" => RunState::Created,
        "running" => RunState::Running,
        "paused" => RunState::Paused,
        "restarting" => RunState::Restarting,
        "removing" => RunState::Removing,
        "dead" => RunState::Dead,
        // "exited", "stopped", "stopping" and unknown states: the container is not running.
        _ => RunState::Exited,
    }
}

/// The engine's health word as phi's; anything else (empty, `none`) means no healthcheck
/// verdict.
fn health_state(word: &str) -> Option<HealthState> {
    match word.to_ascii_lowercase().as_str() {
        "starting" => Some(HealthState::Starting),
        "healthy" => Some(HealthState::Healthy),
        "unhealthy" => Some(HealthState::Unhealthy),
        _ => None,
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

fn describe(c: answers::Inspection) -> ContainerInfo {
    let labels = &c.config.labels;
    let state = &c.state;
    let run_state = run_state(&state.status);
    let health = state.health.as_ref();
    let health_state = health.and_then(|h| health_state(&h.status));
    let health_output = health
        .and_then(|h| h.log.last())
        .filter(|last| last.exit_code.unwrap_or(0) != 0)
        .map(|last| last_line(&last.output));
    let health_log = health
        .map(|h| {
            h.log
                .iter()
                .map(|r| (r.exit_code.unwrap_or(-1), r.output.clone()))
                .collect()
        })
        .unwrap_or_default();
    let health_test = c
        .config
        .healthcheck
        .as_ref()
        .map(|h| h.test.clone())
        .filter(|t| matches!(t.first().map(String::as_str), Some("CMD" | "CMD-SHELL")));
    let exit_code = match run_state {
        RunState::Exited | RunState::Dead => state.exit_code,
        _ => None,
    };
    let health_policy = c
        .config
        .healthcheck
        .as_ref()
        .map(|h| HealthPolicy::from_engine(h.interval, h.start_period, h.retries))
        .unwrap_or_default();
    let health_signal = matches!(
        health_state,
        Some(HealthState::Healthy | HealthState::Unhealthy)
    )
    .then_some(observe::SIGNAL_ENGINE);
    ContainerInfo {
        id: c.id.clone(),
        name: c.name.trim_start_matches('/').to_string(),
        service: labels.get(LABEL_SERVICE).cloned(),
        number: labels.get(LABEL_NUMBER).and_then(|n| n.parse().ok()),
        // A pre_start hook's container carries the service label but is none of its
        // containers: like `docker compose run`'s, it is left out of the service.
        oneoff: labels
            .get(LABEL_ONEOFF)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
            || labels.contains_key(crate::spec::LABEL_HOOK),
        image: c.config.image.clone(),
        state: run_state,
        health: health_state,
        health_output,
        exit_code,
        started_at: state.started_at.as_deref().and_then(parse_time),
        finished_at: state.finished_at.as_deref().and_then(parse_time),
        restart_count: c.restart_count.max(0) as u64,
        ports: published_ports(&c.network_settings.ports),
        pid: state
            .pid
            .filter(|p| *p > 0)
            .and_then(|p| u32::try_from(p).ok()),
        config_hash: labels.get(crate::spec::LABEL_CONFIG_HASH).cloned(),
        health_test,
        health_log,
        health_policy,
        health_signal,
        oom_killed: state.oom_killed,
        stop_signal: c.config.stop_signal.clone().filter(|s| !s.is_empty()),
        inspected: true,
        settled: false,
    }
}

/// A container as the list describes it. `docker` says the status text is Docker's, whose
/// form phi reads (`Up 5 minutes (healthy)`); another engine's container is never settled,
/// so it is always inspected.
pub fn describe_listed(s: answers::Summary, docker: bool, now: SystemTime) -> ContainerInfo {
    let labels = &s.labels;
    let state = run_state(&s.state);
    let (up, health) = parse_status(&s.status).unwrap_or((None, None));
    let started_at = up.map(|up| {
        // The status text rounds down (`5 minutes` is 5 to 6); a container started when it
        // was created (the usual case) has the creation time, to the second.
        let created = s
            .created
            .and_then(|t| u64::try_from(t).ok())
            .map(|t| SystemTime::UNIX_EPOCH + Duration::from_secs(t));
        match created.and_then(|c| now.duration_since(c).ok().map(|age| (c, age))) {
            Some((c, age)) if age >= up && age < next_step(up) => c,
            _ => now.checked_sub(up).unwrap_or(now),
        }
    });
    let settled = docker
        && state == RunState::Running
        && matches!(health, None | Some(HealthState::Healthy))
        && up.is_some_and(|up| up >= observe::RECENT_RESTART);
    let mut ports: Vec<PortMapping> = s
        .ports
        .iter()
        .filter_map(|p| {
            Some(PortMapping {
                host_ip: p.ip.clone(),
                host_port: p.public_port?,
                container_port: p.private_port.unwrap_or(0),
                protocol: if p.protocol.is_empty() {
                    "tcp".into()
                } else {
                    p.protocol.clone()
                },
            })
        })
        .collect();
    ports.sort();
    ports.dedup();
    ContainerInfo {
        id: s.id.clone(),
        name: s
            .names
            .first()
            .map(|n| n.trim_start_matches('/').to_string())
            .unwrap_or_default(),
        service: labels.get(LABEL_SERVICE).cloned(),
        number: labels.get(LABEL_NUMBER).and_then(|n| n.parse().ok()),
        oneoff: labels
            .get(LABEL_ONEOFF)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
            || labels.contains_key(crate::spec::LABEL_HOOK),
        image: s.image.clone(),
        state,
        health: health.filter(|_| state == RunState::Running),
        health_output: None,
        exit_code: None,
        started_at: started_at.filter(|_| state == RunState::Running),
        finished_at: None,
        restart_count: 0,
        ports,
        pid: None,
        config_hash: labels.get(crate::spec::LABEL_CONFIG_HASH).cloned(),
        health_test: None,
        health_log: Vec::new(),
        health_policy: HealthPolicy::default(),
        health_signal: (health == Some(HealthState::Healthy)).then_some(observe::SIGNAL_ENGINE),
        // Known only from an inspection; a listed container is running (settled) or is
        // inspected before anything reads these.
        oom_killed: false,
        stop_signal: None,
        inspected: false,
        settled,
    }
}

/// Docker's status text of a running container: how long it has been up (rounded down as
/// the text rounds) and its health. None for any other text (exited, restarting, paused,
/// another engine's words).
fn parse_status(text: &str) -> Option<(Option<Duration>, Option<HealthState>)> {
    let rest = text.trim().strip_prefix("Up ")?;
    let (span, health) = match rest.split_once(" (") {
        Some((span, tail)) => {
            let health = match tail.strip_suffix(')')? {
                "healthy" => HealthState::Healthy,
                "unhealthy" => HealthState::Unhealthy,
                "health: starting" => HealthState::Starting,
                _ => return None,
            };
            (span, Some(health))
        }
        None => (rest, None),
    };
    Some((Some(parse_human_duration(span)?), health))
}

/// The Docker CLI's human durations (go-units `HumanDuration`), as the least they mean.
fn parse_human_duration(text: &str) -> Option<Duration> {
    const MINUTE: u64 = 60;
    const HOUR: u64 = 3600;
    const DAY: u64 = 24 * HOUR;
    let secs = match text {
        "Less than a second" => 0,
        "About a minute" => MINUTE,
        "About an hour" => HOUR,
        _ => {
            let (n, unit) = text.split_once(' ')?;
            let n: u64 = n.parse().ok()?;
            n * match unit.trim_end_matches('s') {
                "second" => 1,
                "minute" => MINUTE,
                "hour" => HOUR,
                "day" => DAY,
                "week" => 7 * DAY,
                "month" => 30 * DAY,
                "year" => 365 * DAY,
                _ => return None,
            }
        }
    };
    Some(Duration::from_secs(secs))
}

/// The next value the status text can take after `up`: where its rounding step ends.
fn next_step(up: Duration) -> Duration {
    let s = up.as_secs();
    let step = match s {
        0..60 => 1,
        60..3600 => 60,
        3600..172_800 => 3600,
        172_800..1_209_600 => 86_400,
        1_209_600..5_184_000 => 7 * 86_400,
        5_184_000..63_072_000 => 30 * 86_400,
        _ => 365 * 86_400,
    };
    up + Duration::from_secs(step)
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

fn published_ports(map: &HashMap<String, Option<Vec<answers::PortBinding>>>) -> Vec<PortMapping> {
    let mut out: Vec<PortMapping> = map
        .iter()
        .flat_map(|(key, bindings)| {
            let (port, protocol) = key.split_once('/').unwrap_or((key.as_str(), "tcp"));
            let container_port = port.parse().unwrap_or(0);
            bindings.iter().flatten().filter_map(move |b| {
                Some(PortMapping {
                    host_ip: b.host_ip.clone(),
                    host_port: b.host_port.parse().ok()?,
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
    use std::time::{Duration, UNIX_EPOCH};

    /// Answers captured from the engines scripts/engines.sh starts (see the files' names).
    fn answer(name: &str) -> answers::Inspection {
        answers::fixture(name)
    }

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
        let settings: answers::NetworkSettings = serde_json::from_str(
            r#"{"Ports": {
                "5432/tcp": [{"HostIp": "0.0.0.0", "HostPort": "15432"},
                             {"HostIp": "::", "HostPort": "15432"}],
                "6379/tcp": null,
                "53/udp": [{"HostIp": "127.0.0.1", "HostPort": "5353"}]}}"#,
        )
        .unwrap();
        let text: Vec<String> = published_ports(&settings.ports)
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
        let response: answers::Inspection = serde_json::from_str(
            r#"{"Id": "0123456789abcdef", "Name": "/demo-web-1", "RestartCount": 2,
                "Config": {"Labels": {"com.docker.compose.service": "web",
                                      "com.docker.compose.container-number": "1"},
                           "Image": "web:1"},
                "State": {"Status": "running", "StartedAt": "2026-11-22T05:00:00Z",
                          "ExitCode": 0,
                          "Health": {"Status": "unhealthy", "FailingStreak": 3, "Log": [
                              {"ExitCode": 0, "Output": "fine"},
                              {"ExitCode": 1, "Output": "connecting...\ndatabase down\n\n"}]}},
                "NetworkSettings": {}}"#,
        )
        .unwrap();
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

    #[test]
    fn podmans_stopped_state_reads_as_exited_with_its_exit_code() {
        let info = describe(answer("podman-4.3.1-stopped-inspect.json"));
        assert_eq!(info.state, RunState::Exited);
        assert_eq!(info.exit_code, Some(3));
        assert_eq!(info.restart_count, 19);
        // Podman's empty health status (no healthcheck) is no verdict.
        assert_eq!(info.health, None);
        assert_eq!(info.name, "phi-eng-crash");
    }

    #[test]
    fn podmans_list_with_a_stopped_container_reads() {
        let list: Vec<answers::Summary> = answers::fixture("podman-4.3.1-stopped-list.json");
        assert_eq!(list.len(), 2);
        assert!(list.iter().all(|s| s.id.len() == 64));
    }

    #[test]
    fn podmans_healthcheck_that_never_runs_reads_as_starting() {
        let info = describe(answer("podman-4.3.1-health-inspect.json"));
        assert_eq!(info.state, RunState::Running);
        assert_eq!(info.health, Some(HealthState::Starting));
        assert_eq!(info.health_log, []);
        assert_eq!(
            info.health_test,
            Some(vec!["CMD-SHELL".to_string(), "false".to_string()])
        );
        assert_eq!(info.ports[0].to_string(), "127.0.0.1:18080->80/tcp");
    }

    #[test]
    fn docker_28_answers_read_and_removed_fields_are_not_needed() {
        let mut value: serde_json::Value = answers::fixture("docker-28.5.2-health-inspect.json");
        let full: answers::Inspection = serde_json::from_value(value.clone()).unwrap();
        let full = describe(full);
        assert_eq!(full.health, Some(HealthState::Unhealthy));
        assert_eq!(full.state, RunState::Running);
        // Docker 29 (API 1.52) dropped these; the answer must read the same without them.
        let settings = value["NetworkSettings"].as_object_mut().unwrap();
        for field in [
            "IPAddress",
            "Gateway",
            "MacAddress",
            "IPPrefixLen",
            "Bridge",
        ] {
            settings.remove(field);
        }
        value["Config"]
            .as_object_mut()
            .unwrap()
            .remove("MacAddress");
        let trimmed = describe(serde_json::from_value(value).unwrap());
        assert_eq!(trimmed, full);
    }

    #[test]
    fn docker_28_restarting_container_reads_as_restarting() {
        let info = describe(answer("docker-28.5.2-crash-inspect.json"));
        assert_eq!(info.state, RunState::Restarting);
        assert_eq!(info.restart_count, 8);
    }

    #[test]
    fn unknown_states_count_as_exited_and_podmans_early_states_as_created() {
        assert_eq!(run_state("stopped"), RunState::Exited);
        assert_eq!(run_state("stopping"), RunState::Exited);
        assert_eq!(run_state("something-new"), RunState::Exited);
        assert_eq!(run_state("configured"), RunState::Created);
        assert_eq!(run_state("Running"), RunState::Running);
    }

    #[test]
    fn nulls_missing_fields_and_extra_fields_are_tolerated() {
        let info = describe(
            serde_json::from_str(
                r#"{"Id": null, "State": {"Status": null, "Health": null, "Extra": [1]},
                    "Config": null, "NetworkSettings": {"Ports": null}, "Mounts": null,
                    "SomethingNew": {"a": 1}}"#,
            )
            .unwrap(),
        );
        assert_eq!(info.state, RunState::Exited);
        assert_eq!(info.health, None);
        assert!(info.ports.is_empty());
        let empty = describe(serde_json::from_str("{}").unwrap());
        assert_eq!(empty.id, "");
    }

    fn listed(status: &str, created_ago: u64, now: SystemTime) -> answers::Summary {
        let created = now - Duration::from_secs(created_ago);
        let created = created.duration_since(UNIX_EPOCH).unwrap().as_secs();
        serde_json::from_value(serde_json::json!({
            "Id": "f".repeat(64), "Names": ["/demo-web-1"], "Image": "web:1",
            "State": "running", "Status": status, "Created": created,
            "Labels": {"com.docker.compose.service": "web",
                       "com.docker.compose.container-number": "1"},
            "Ports": [{"IP": "127.0.0.1", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
                      {"PrivatePort": 443, "Type": "tcp"}]
        }))
        .unwrap()
    }

    #[test]
    fn dockers_status_text_reads_as_uptime_and_health() {
        let s = |n| Some(Duration::from_secs(n));
        assert_eq!(parse_status("Up 5 minutes"), Some((s(300), None)));
        assert_eq!(
            parse_status("Up About a minute (healthy)"),
            Some((s(60), Some(HealthState::Healthy)))
        );
        assert_eq!(
            parse_status("Up Less than a second (health: starting)"),
            Some((s(0), Some(HealthState::Starting)))
        );
        assert_eq!(
            parse_status("Up 3 hours (unhealthy)"),
            Some((s(3 * 3600), Some(HealthState::Unhealthy)))
        );
        assert_eq!(parse_status("Up 2 weeks"), Some((s(14 * 86_400), None)));
        assert_eq!(parse_status("Up 1 second"), Some((s(1), None)));
        assert_eq!(parse_status("Up 5 minutes (Paused)"), None);
        assert_eq!(parse_status("Exited (1) 2 hours ago"), None);
        assert_eq!(parse_status("Restarting (1) 3 seconds ago"), None);
        assert_eq!(parse_status("Up soon"), None);
        assert_eq!(parse_status(""), None);
    }

    #[test]
    fn a_listed_container_is_settled_only_when_running_healthy_and_up_long_enough() {
        let now = SystemTime::now();
        let c = describe_listed(listed("Up 5 minutes (healthy)", 330, now), true, now);
        assert!(c.settled && !c.inspected);
        assert_eq!(c.name, "demo-web-1");
        assert_eq!(c.service.as_deref(), Some("web"));
        assert_eq!(c.number, Some(1));
        assert_eq!(c.health, Some(HealthState::Healthy));
        assert_eq!(c.health_signal, Some(observe::SIGNAL_ENGINE));
        // Created 5.5 minutes ago fits "5 minutes": the creation time is the start time.
        let up = now.duration_since(c.started_at.unwrap()).unwrap().as_secs();
        assert_eq!(up, 330);
        let ports: Vec<String> = c.ports.iter().map(ToString::to_string).collect();
        assert_eq!(ports, ["127.0.0.1:8080->80/tcp"]);
        // Created long before it started: the status text's least uptime.
        let c = describe_listed(listed("Up 5 minutes", 3600, now), true, now);
        assert_eq!(
            now.duration_since(c.started_at.unwrap()).unwrap().as_secs(),
            300
        );
        assert!(c.settled && c.health.is_none());
        for unsettled in [
            "Up 12 seconds (healthy)",
            "Up 5 minutes (health: starting)",
            "Up 5 minutes (unhealthy)",
        ] {
            let c = describe_listed(listed(unsettled, 400, now), true, now);
            assert!(!c.settled, "{unsettled}");
        }
        let mut exited = listed("Exited (0) 5 minutes ago", 400, now);
        exited.state = "exited".into();
        let c = describe_listed(exited, true, now);
        assert!(!c.settled && c.started_at.is_none() && c.state == RunState::Exited);
        // Another engine's words are never relied on.
        let c = describe_listed(listed("Up 5 minutes (healthy)", 330, now), false, now);
        assert!(!c.settled);
    }

    #[test]
    fn podmans_list_reads_and_nothing_in_it_is_settled() {
        let list: Vec<answers::Summary> = answers::fixture("podman-4.3.1-stopped-list.json");
        let now = SystemTime::now();
        for s in list {
            let c = describe_listed(s, false, now);
            assert!(!c.settled && !c.inspected);
            assert!(!c.name.is_empty());
        }
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            answers::query_escape(r#"{"label":["a=b c"]}"#),
            "%7B%22label%22%3A%5B%22a%3Db%20c%22%5D%7D"
        );
    }
}
