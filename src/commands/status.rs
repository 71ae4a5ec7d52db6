//! `phi status`: one row per declared service (and per orphan container), with a verdict.
//!
//! plan:    `assess` — declared services + containers -> rows (pure, unit-tested)
//! execute: list containers, probe health URLs concurrently
//! report:  `Report` -> table or JSON; exit 3 when any row is failing or stopped
//!
//! A container that was stopped (exit 0, or the code its stop signal or the stop's final
//! SIGKILL gives, without the kernel's OOM kill) is `stopped`: not a crash, and its health
//! from before the stop is not shown. A stopped stack is still not a running one (exit 3).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

use futures_util::future::join_all;
use serde::Serialize;

use anyhow::Context;

use crate::commands::{Ctx, within};
use crate::config::Project;
use crate::config::compose::ComposeModel;
use crate::config::xphi::DEFAULT_HEALTH_TIMEOUT;
use crate::engine::{ContainerInfo, Engine, HealthState, PortMapping, RunState, observe};
use crate::exit::Exit;
use crate::http;
use crate::output::Envelope;
use crate::output::style::{Palette, Tone};
use crate::output::table;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Ok,
    Warning,
    Failing,
    /// Stopped on purpose (`phi stop-all`, `docker stop`): not running, yet no crash.
    Stopped,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Probe {
    pub url: String,
    pub status: Option<u16>,
    pub latency_ms: Option<f64>,
    pub error: Option<String>,
    pub ok: bool,
}

/// What a row says of its service: a container's state, or `missing` (declared, no
/// container) or `orphan` (a container of a service no longer declared).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Created,
    Running,
    Paused,
    Restarting,
    Removing,
    Exited,
    /// Exited because it was stopped (see [`stopped_on_purpose`]), not by a crash.
    Stopped,
    Dead,
    Missing,
    Orphan,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Missing => "missing",
            State::Orphan => "orphan",
            State::Created => RunState::Created.as_str(),
            State::Running => RunState::Running.as_str(),
            State::Paused => RunState::Paused.as_str(),
            State::Restarting => RunState::Restarting.as_str(),
            State::Removing => RunState::Removing.as_str(),
            State::Exited => RunState::Exited.as_str(),
            State::Stopped => "stopped",
            State::Dead => RunState::Dead.as_str(),
        }
    }
}

impl From<RunState> for State {
    fn from(state: RunState) -> State {
        match state {
            RunState::Created => State::Created,
            RunState::Running => State::Running,
            RunState::Paused => State::Paused,
            RunState::Restarting => State::Restarting,
            RunState::Removing => State::Removing,
            RunState::Exited => State::Exited,
            RunState::Dead => State::Dead,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub service: String,
    pub container: Option<String>,
    pub state: State,
    pub health: Option<&'static str>,
    /// Last line of the latest failing healthcheck.
    pub health_output: Option<String>,
    pub exit_code: Option<i64>,
    #[serde(serialize_with = "rfc3339")]
    pub started_at: Option<SystemTime>,
    /// When an exited or dead container stopped.
    #[serde(serialize_with = "rfc3339")]
    pub finished_at: Option<SystemTime>,
    pub uptime_seconds: Option<u64>,
    pub restarts: u64,
    pub ports: Vec<PortMapping>,
    pub image: Option<String>,
    pub probe: Option<Probe>,
    pub verdict: Verdict,
    /// Why the verdict is not `ok`.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    #[serde(flatten)]
    pub envelope: Envelope,
    pub ok: bool,
    pub services: Vec<Row>,
}

impl Report {
    pub fn exit(&self) -> Exit {
        if self.ok { Exit::Ok } else { Exit::CheckFailed }
    }
}

/// Whether an exited container ended the way a stop ends it: exit 0, or killed by the
/// signal a stop sends (SIGTERM, SIGINT or its own `stop_signal`) or by the SIGKILL that
/// ends the grace period, and not by the kernel for want of memory. Any other code is a
/// crash.
pub fn stopped_on_purpose(c: &ContainerInfo) -> bool {
    if c.state != RunState::Exited || c.oom_killed {
        return false;
    }
    let Some(code) = c.exit_code else {
        return false;
    };
    let own = c.stop_signal.as_deref().and_then(signal_number);
    code == 0
        || [SIGINT, SIGKILL, SIGTERM]
            .into_iter()
            .chain(own)
            .any(|s| code == 128 + s)
}

const SIGINT: i64 = 2;
const SIGKILL: i64 = 9;
const SIGTERM: i64 = 15;

/// A stop signal as Docker takes it (`SIGQUIT`, `QUIT` or `3`) as its Linux number.
fn signal_number(name: &str) -> Option<i64> {
    if let Ok(n) = name.parse::<i64>() {
        return Some(n);
    }
    let upper = name.to_ascii_uppercase();
    let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
    Some(match bare {
        "HUP" => 1,
        "INT" => SIGINT,
        "QUIT" => 3,
        "KILL" => SIGKILL,
        "USR1" => 10,
        "USR2" => 12,
        "TERM" => SIGTERM,
        "WINCH" => 28,
        "PWR" => 30,
        _ => return None,
    })
}

impl serde::Serialize for PortMapping {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("PortMapping", 4)?;
        st.serialize_field("host_ip", &self.host_ip)?;
        st.serialize_field("host_port", &self.host_port)?;
        st.serialize_field("container_port", &self.container_port)?;
        st.serialize_field("protocol", &self.protocol)?;
        st.end()
    }
}

fn rfc3339<S: serde::Serializer>(t: &Option<SystemTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&humantime::format_rfc3339_seconds(*t).to_string()),
        None => s.serialize_none(),
    }
}

/// Turn declared services and the project's containers into rows. Pure.
pub fn assess(
    model: &ComposeModel,
    profiles: &[String],
    selected: Option<&BTreeSet<&str>>,
    containers: &[ContainerInfo],
    now: SystemTime,
) -> Vec<Row> {
    let one_shot = model.one_shot_services();
    let mut by_service: BTreeMap<&str, Vec<&ContainerInfo>> = BTreeMap::new();
    let mut orphans = Vec::new();
    for c in containers.iter().filter(|c| !c.oneoff) {
        match c.service.as_deref() {
            Some(s) if model.services.contains_key(s) => by_service.entry(s).or_default().push(c),
            _ => orphans.push(c),
        }
    }

    let mut rows = Vec::new();
    for (name, service) in &model.services {
        let chosen = selected.is_none_or(|set| set.contains(name.as_str()));
        if !chosen {
            continue;
        }
        let mut found = by_service.remove(name.as_str()).unwrap_or_default();
        found.sort_by_key(|c| (c.number.unwrap_or(u32::MAX), c.name.clone()));
        // A service outside the active profiles is only reported when it has containers
        // or was asked for by name.
        let active = model.is_active(service, profiles) || selected.is_some();
        if found.is_empty() && !active {
            continue;
        }
        for c in &found {
            rows.push(container_row(
                name,
                c,
                one_shot.contains(name.as_str()),
                now,
            ));
        }
        let expected = if active { service.replicas as usize } else { 0 };
        for _ in found.len()..expected {
            rows.push(missing_row(name, service.image.clone()));
        }
    }
    if selected.is_none() {
        for c in orphans {
            let name = c.service.clone().unwrap_or_else(|| "?".into());
            let mut row = container_row(&name, c, false, now);
            row.state = State::Orphan;
            row.verdict = Verdict::Warning;
            row.problem = Some(format!(
                "container {} ({}) is not declared in the compose files",
                c.name,
                c.state.as_str()
            ));
            rows.push(row);
        }
    }
    rows
}

fn missing_row(service: &str, image: Option<String>) -> Row {
    Row {
        service: service.to_string(),
        container: None,
        state: State::Missing,
        health: None,
        health_output: None,
        exit_code: None,
        started_at: None,
        finished_at: None,
        uptime_seconds: None,
        restarts: 0,
        ports: Vec::new(),
        image,
        probe: None,
        verdict: Verdict::Failing,
        problem: Some("declared but no container exists".into()),
    }
}

fn container_row(service: &str, c: &ContainerInfo, one_shot: bool, now: SystemTime) -> Row {
    let (verdict, problem) = verdict_for(c, one_shot, now);
    let running = matches!(c.state, RunState::Running | RunState::Paused);
    let state = if verdict == Verdict::Stopped {
        State::Stopped
    } else {
        c.state.into()
    };
    // The health of a container that is not running is its last run's: it says nothing now.
    let live = matches!(
        c.state,
        RunState::Running | RunState::Paused | RunState::Restarting
    );
    Row {
        service: service.to_string(),
        container: Some(c.name.clone()),
        state,
        health: c.health.filter(|_| live).map(HealthState::as_str),
        health_output: c.health_output.clone().filter(|_| live),
        exit_code: c.exit_code,
        started_at: c.started_at,
        finished_at: c.finished_at.filter(|_| c.exit_code.is_some()),
        uptime_seconds: c
            .started_at
            .filter(|_| running)
            .and_then(|t| now.duration_since(t).ok())
            .map(|d| d.as_secs()),
        restarts: c.restart_count,
        ports: c.ports.clone(),
        image: Some(c.image.clone()),
        probe: None,
        verdict,
        problem,
    }
}

fn verdict_for(c: &ContainerInfo, one_shot: bool, now: SystemTime) -> (Verdict, Option<String>) {
    use Verdict::*;
    let fail = |p: String| (Failing, Some(p));
    match c.state {
        RunState::Running => match c.health {
            None | Some(HealthState::Healthy) => (Ok, None),
            Some(HealthState::Starting) => {
                fail("health check has not passed yet (starting)".into())
            }
            Some(HealthState::Unhealthy) => {
                let by = match c.health_signal {
                    Some(signal) if signal == observe::SIGNAL_PROBE => {
                        " (phi's exec probe; the engine runs no healthchecks)"
                    }
                    _ => "",
                };
                fail(match &c.health_output {
                    Some(out) if !out.is_empty() => format!("unhealthy{by}: {out}"),
                    _ => format!("unhealthy{by}"),
                })
            }
        },
        RunState::Exited if one_shot && c.exit_code == Some(0) => (Ok, None),
        RunState::Exited => {
            let ago = c
                .finished_at
                .and_then(|t| now.duration_since(t).ok())
                .map(|d| format!("{} ago", format_uptime(d)));
            if stopped_on_purpose(c) {
                let code = match c.exit_code {
                    Some(code) if code != 0 => format!(" (exit code {code})"),
                    _ => String::new(),
                };
                let when = ago.map(|a| format!(" {a}")).unwrap_or_default();
                return (Stopped, Some(format!("stopped{when}{code}")));
            }
            let code = c.exit_code.map_or("?".into(), |c| c.to_string());
            let oom = if c.oom_killed { " (out of memory)" } else { "" };
            let ago = ago.map(|a| format!(", {a}")).unwrap_or_default();
            fail(format!("exited with code {code}{oom}{ago}"))
        }
        RunState::Restarting => fail(format!("restarting (restarted {} times)", c.restart_count)),
        RunState::Paused => fail("paused".into()),
        RunState::Created => fail("created but never started".into()),
        RunState::Removing => fail("being removed".into()),
        RunState::Dead => fail("dead".into()),
    }
}

/// Attach probe results to the rows of their services; a failed probe fails the row.
pub fn apply_probes(rows: &mut [Row], probes: &BTreeMap<String, Probe>) {
    for row in rows.iter_mut() {
        let Some(probe) = probes.get(&row.service) else {
            continue;
        };
        // An orphan is not the service; a stopped container is not expected to answer.
        if row.state == State::Orphan || row.verdict == Verdict::Stopped {
            continue;
        }
        if !probe.ok && matches!(row.verdict, Verdict::Ok | Verdict::Warning) {
            row.verdict = Verdict::Failing;
            row.problem = Some(match (&probe.status, &probe.error) {
                (Some(code), _) => format!("probe {} answered {code}", probe.url),
                (None, Some(e)) => format!("probe {} failed: {e}", probe.url),
                (None, None) => format!("probe {} failed", probe.url),
            });
        }
        row.probe = Some(probe.clone());
    }
}

async fn probe_all(
    model: &ComposeModel,
    rows: &[Row],
    deadline: Duration,
) -> BTreeMap<String, Probe> {
    let services: BTreeSet<&str> = rows
        .iter()
        .filter(|r| r.state != State::Orphan && r.verdict != Verdict::Stopped)
        .map(|r| r.service.as_str())
        .collect();
    let targets: Vec<(String, String, Duration)> = services
        .into_iter()
        .filter_map(|name| {
            let x = &model.services.get(name)?.x_phi;
            let url = x.health_url.clone()?;
            let timeout = x
                .health_timeout
                .unwrap_or(DEFAULT_HEALTH_TIMEOUT)
                .min(deadline);
            Some((name.to_string(), url, timeout))
        })
        .collect();
    if targets.is_empty() {
        return BTreeMap::new();
    }
    let tls = targets
        .iter()
        .any(|(_, url, _)| url.starts_with("https://"));
    // Probes reach the project's own services (published ports, container addresses), so
    // they connect directly: a proxy from HTTPS_PROXY/HTTP_PROXY would not reach them.
    let client = match http::Client::direct(tls) {
        Ok(client) => client,
        Err(e) => {
            return targets
                .into_iter()
                .map(|(name, url, _)| (name, failed_probe(url, e.to_string())))
                .collect();
        }
    };
    let results = join_all(targets.into_iter().map(|(name, url, timeout)| {
        let client = client.clone();
        async move {
            let probe = match client.get(&url, timeout).await {
                Ok(answer) => Probe {
                    ok: (200..400).contains(&answer.status),
                    status: Some(answer.status),
                    latency_ms: Some((answer.elapsed.as_secs_f64() * 1e4).round() / 10.0),
                    error: None,
                    url,
                },
                Err(e) => failed_probe(url, e.to_string()),
            };
            (name, probe)
        }
    }))
    .await;
    results.into_iter().collect()
}

fn failed_probe(url: String, error: String) -> Probe {
    Probe {
        url,
        status: None,
        latency_ms: None,
        error: Some(error),
        ok: false,
    }
}

/// How long after the first look a recently restarted container is looked at again.
const STABLE_LOOK: Duration = Duration::from_secs(1);

/// What `phi status` runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub services: Vec<String>,
    /// The limit of the whole command (engine calls and probes).
    pub timeout: Duration,
}

/// Default limit for `phi status` as a whole (engine calls and probes).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// `phi status`: the report, printed; 0 when every service passes, 3 otherwise.
pub async fn run(ctx: &Ctx, settings: Settings) -> anyhow::Result<Exit> {
    let limit = settings.timeout;
    let report = within(limit, "status", async {
        let (engine, _) = ctx.connect(limit).await?;
        report(&ctx.project, &engine, &settings.services, limit).await
    })
    .await?;
    ctx.printer
        .report(&report, |color| render_table(&report, color))
        .context("writing the status")?;
    Ok(report.exit())
}

/// Gather, assess, probe: the whole report.
pub async fn report(
    project: &Project,
    engine: &Engine,
    services: &[String],
    deadline: Duration,
) -> anyhow::Result<Report> {
    let selected = project.select(services)?;
    // One list call; only what the list cannot settle is inspected (an inspection waits
    // for the container's lock, which every healthcheck result takes).
    let mut containers = engine
        .project_containers_where(&project.name, |c| {
            project
                .model
                .needs_inspection(c.service.as_deref(), c.settled)
        })
        .await?;
    // A fresh container is `starting` until the engine's first healthcheck, which may be an
    // interval (often 30 s) away, or never come (Podman without systemd): phi runs the test
    // itself, as `start-all` does. And a recent restart gets a second look (crash loops).
    engine.confirm_starting(&mut containers, deadline).await;
    engine
        .confirm_stable(&mut containers, STABLE_LOOK.min(deadline / 4))
        .await;
    let mut rows = assess(
        &project.model,
        &project.profiles,
        selected.as_ref(),
        &containers,
        SystemTime::now(),
    );
    let probes = probe_all(&project.model, &rows, deadline).await;
    apply_probes(&mut rows, &probes);
    let ok = rows
        .iter()
        .all(|r| matches!(r.verdict, Verdict::Ok | Verdict::Warning));
    Ok(Report {
        envelope: Envelope::new(&project.name),
        ok,
        services: rows,
    })
}

pub fn render_table(report: &Report, color: bool) -> String {
    let palette = Palette::new(color);
    let any_probe = report.services.iter().any(|r| r.probe.is_some());
    let mut headers = vec![
        "SERVICE",
        "CONTAINER",
        "STATE",
        "HEALTH",
        "UPTIME",
        "RESTARTS",
        "PORTS",
        "IMAGE",
    ];
    if any_probe {
        headers.push("PROBE");
    }
    let mut t = table::new(&headers, color);
    for row in &report.services {
        let state_tone = match row.verdict {
            Verdict::Ok => Tone::Good,
            Verdict::Warning => Tone::Warn,
            Verdict::Failing => Tone::Bad,
            Verdict::Stopped => Tone::Warn,
        };
        let state = match (row.state, row.exit_code) {
            (State::Exited, Some(code)) => format!("exited ({code})"),
            (s, _) => s.as_str().to_string(),
        };
        let health = match row.health {
            Some(h @ "healthy") => palette.paint(Tone::Good, h),
            Some(h @ "unhealthy") => palette.paint(Tone::BadDetail, h),
            Some(h) => palette.paint(Tone::Warn, h),
            None => "-".into(),
        };
        let mut cells = vec![
            row.service.clone(),
            row.container.clone().unwrap_or_else(|| "-".into()),
            palette.paint(state_tone, state),
            health,
            row.uptime_seconds
                .map(|s| format_uptime(Duration::from_secs(s)))
                .unwrap_or_else(|| "-".into()),
            row.restarts.to_string(),
            if row.ports.is_empty() {
                "-".into()
            } else {
                row.ports
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            row.image.clone().unwrap_or_else(|| "-".into()),
        ];
        if any_probe {
            cells.push(match &row.probe {
                None => "-".into(),
                Some(p) => {
                    let text = match (p.status, p.latency_ms, &p.error) {
                        (Some(code), Some(ms), _) => format!("{code} {ms:.0}ms"),
                        (_, _, Some(_)) => "failed".into(),
                        _ => "?".into(),
                    };
                    let tone = if p.ok { Tone::Good } else { Tone::BadDetail };
                    palette.paint(tone, text)
                }
            });
        }
        t.add_row(cells);
    }
    let mut out = table::render(&mut t);
    // A stopped row's STATE says all there is: no line of its own under the table.
    let problems: Vec<&Row> = report
        .services
        .iter()
        .filter(|r| r.problem.is_some() && r.verdict != Verdict::Stopped)
        .collect();
    if !problems.is_empty() {
        out.push('\n');
        for row in &problems {
            let mark = match row.verdict {
                Verdict::Failing => palette.paint(Tone::Bad, "✗"),
                _ => palette.paint(Tone::Warn, "!"),
            };
            let who = match &row.container {
                Some(c) if row.state != State::Orphan => format!("{} ({c})", row.service),
                _ => row.service.clone(),
            };
            out.push_str(&format!(
                "{mark} {who}: {}\n",
                row.problem.as_deref().unwrap_or_default()
            ));
        }
    }
    let failing = report
        .services
        .iter()
        .filter(|r| r.verdict == Verdict::Failing)
        .count();
    let warning = report
        .services
        .iter()
        .filter(|r| r.verdict == Verdict::Warning)
        .count();
    let stopped = report
        .services
        .iter()
        .filter(|r| r.verdict == Verdict::Stopped)
        .count();
    let ok = report.services.len() - failing - warning - stopped;
    let mut summary = format!(
        "{}: {} ok, {} failing, {} warning",
        report.envelope.project, ok, failing, warning
    );
    if stopped > 0 {
        summary.push_str(&format!(", {stopped} stopped (phi start-all starts them)"));
    }
    let tone = if failing > 0 {
        Tone::Bad
    } else if stopped > 0 {
        Tone::Warn
    } else {
        Tone::Good
    };
    out.push_str(&format!("\n{}\n", palette.paint(tone, summary)));
    out
}

/// Compact uptime: `45s`, `12m 5s`, `3h 2m`, `4d 1h`.
pub fn format_uptime(d: Duration) -> String {
    let s = d.as_secs();
    let (days, hours, mins, secs) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    if days > 0 {
        format!("{days}d {hours}h")
    } else if hours > 0 {
        format!("{hours}h {mins}m")
    } else if mins > 0 {
        format!("{mins}m {secs}s")
    } else {
        format!("{secs}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::compose::{Condition, Dependency, Service};
    use std::time::UNIX_EPOCH;

    fn model(services: &[(&str, Service)]) -> ComposeModel {
        ComposeModel {
            services: services
                .iter()
                .map(|(n, s)| (n.to_string(), s.clone()))
                .collect(),
            ..ComposeModel::default()
        }
    }

    fn svc() -> Service {
        Service {
            replicas: 1,
            ..Service::default()
        }
    }

    fn container(service: &str, state: RunState, health: Option<HealthState>) -> ContainerInfo {
        ContainerInfo {
            health,
            started_at: Some(UNIX_EPOCH + Duration::from_secs(1000)),
            ..crate::testing::container(service, state)
        }
    }

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1000 + 3725)
    }

    #[test]
    fn each_state_gets_its_verdict() {
        let m = model(&[
            ("a", svc()),
            ("b", svc()),
            ("c", svc()),
            ("d", svc()),
            ("e", svc()),
            ("f", svc()),
            ("g", svc()),
        ]);
        let mut unhealthy = container("c", RunState::Running, Some(HealthState::Unhealthy));
        unhealthy.health_output = Some("connection refused".into());
        let containers = vec![
            container("a", RunState::Running, Some(HealthState::Healthy)),
            container("b", RunState::Running, None),
            unhealthy,
            container("d", RunState::Exited, None),
            container("e", RunState::Restarting, None),
            container("f", RunState::Running, Some(HealthState::Starting)),
        ];
        let rows = assess(&m, &[], None, &containers, now());
        let got: Vec<(&str, &str, Verdict)> = rows
            .iter()
            .map(|r| (r.service.as_str(), r.state.as_str(), r.verdict))
            .collect();
        assert_eq!(
            got,
            vec![
                ("a", "running", Verdict::Ok),
                ("b", "running", Verdict::Ok),
                ("c", "running", Verdict::Failing),
                ("d", "exited", Verdict::Failing),
                ("e", "restarting", Verdict::Failing),
                ("f", "running", Verdict::Failing),
                ("g", "missing", Verdict::Failing),
            ]
        );
        assert_eq!(
            rows[2].problem.as_deref(),
            Some("unhealthy: connection refused")
        );
        assert_eq!(rows[3].problem.as_deref(), Some("exited with code 1"));
        let mut died = container("d", RunState::Exited, None);
        died.finished_at = Some(now() - Duration::from_secs(190));
        let died_rows = assess(&model(&[("d", svc())]), &[], None, &[died], now());
        assert_eq!(
            died_rows[0].problem.as_deref(),
            Some("exited with code 1, 3m 10s ago")
        );
        assert!(died_rows[0].finished_at.is_some());
        assert_eq!(rows[0].uptime_seconds, Some(3725));
        assert_eq!(rows[3].uptime_seconds, None);
    }

    #[test]
    fn a_stopped_container_is_stopped_not_unhealthy() {
        let m = model(&[
            ("a", svc()),
            ("b", svc()),
            ("c", svc()),
            ("d", svc()),
            ("e", svc()),
        ]);
        let ended = |service: &str, code: i64| {
            let mut c = container(service, RunState::Exited, Some(HealthState::Unhealthy));
            c.exit_code = Some(code);
            c.health_output = Some("connection refused".into());
            c.finished_at = Some(now() - Duration::from_secs(65));
            c
        };
        let mut quit = ended("c", 131);
        quit.stop_signal = Some("SIGQUIT".into());
        let mut oom = ended("d", 137);
        oom.oom_killed = true;
        let containers = vec![ended("a", 0), ended("b", 137), quit, oom, ended("e", 1)];
        let rows = assess(&m, &[], None, &containers, now());
        let got: Vec<(&str, Verdict, Option<&str>, Option<&str>)> = rows
            .iter()
            .map(|r| (r.state.as_str(), r.verdict, r.health, r.problem.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("stopped", Verdict::Stopped, None, Some("stopped 1m 5s ago")),
                (
                    "stopped",
                    Verdict::Stopped,
                    None,
                    Some("stopped 1m 5s ago (exit code 137)")
                ),
                (
                    "stopped",
                    Verdict::Stopped,
                    None,
                    Some("stopped 1m 5s ago (exit code 131)")
                ),
                (
                    "exited",
                    Verdict::Failing,
                    None,
                    Some("exited with code 137 (out of memory), 1m 5s ago")
                ),
                (
                    "exited",
                    Verdict::Failing,
                    None,
                    Some("exited with code 1, 1m 5s ago")
                ),
            ]
        );
        assert!(rows.iter().all(|r| r.health_output.is_none()));
        // A whole stack stopped: no failure lines, no health, and still not ok (exit 3).
        let m3 = model(&[("a", svc()), ("b", svc()), ("c", svc())]);
        let stopped = assess(&m3, &[], None, &containers[..3], now());
        let report = Report {
            envelope: Envelope::new("p"),
            ok: false,
            services: stopped,
        };
        let text = render_table(&report, false);
        assert!(!text.contains("unhealthy") && !text.contains('✗'), "{text}");
        assert!(text.lines().nth(1).unwrap().contains(" stopped "), "{text}");
        assert!(
            text.ends_with(
                "p: 0 ok, 0 failing, 0 warning, 3 stopped (phi start-all starts them)\n"
            ),
            "{text}"
        );
        assert_eq!(report.exit(), Exit::CheckFailed);
        let json = serde_json::to_value(&report.services[0]).unwrap();
        assert_eq!(json["state"], "stopped");
        assert_eq!(json["verdict"], "stopped");
        assert_eq!(json["health"], serde_json::Value::Null);
        assert_eq!(json["exit_code"], 0);
    }

    #[test]
    fn orphans_are_warnings_and_oneoff_containers_are_ignored() {
        let m = model(&[("a", svc())]);
        let mut oneoff = container("a", RunState::Running, None);
        oneoff.oneoff = true;
        oneoff.name = "p-a-run-1234".into();
        let containers = vec![
            container("a", RunState::Running, None),
            container("old", RunState::Exited, None),
            oneoff,
        ];
        let rows = assess(&m, &[], None, &containers, now());
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].service, "old");
        assert_eq!(rows[1].state, State::Orphan);
        assert_eq!(rows[1].verdict, Verdict::Warning);
        // Orphans do not fail the check.
        assert!(rows.iter().all(|r| r.verdict != Verdict::Failing));
    }

    #[test]
    fn a_completed_one_shot_job_is_ok() {
        let mut web = svc();
        web.depends_on.insert(
            "migrate".into(),
            Dependency {
                condition: Condition::ServiceCompletedSuccessfully,
                required: true,
                restart: false,
                implicit: false,
            },
        );
        let m = model(&[("migrate", svc()), ("web", web)]);
        let mut done = container("migrate", RunState::Exited, None);
        done.exit_code = Some(0);
        let rows = assess(
            &m,
            &[],
            None,
            &[done, container("web", RunState::Running, None)],
            now(),
        );
        assert_eq!(rows[0].verdict, Verdict::Ok);
        let mut failed = container("migrate", RunState::Exited, None);
        failed.exit_code = Some(3);
        let rows = assess(&m, &[], None, &[failed], now());
        assert_eq!(rows[0].verdict, Verdict::Failing);
    }

    #[test]
    fn replicas_profiles_and_selection() {
        let mut scaled = svc();
        scaled.replicas = 3;
        let mut debug = svc();
        debug.profiles = vec!["debug".into()];
        let m = model(&[("web", scaled), ("debug", debug), ("db", svc())]);
        let containers = vec![container("web", RunState::Running, None)];
        let rows = assess(&m, &[], None, &containers, now());
        let states: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r.service.as_str(), r.state.as_str()))
            .collect();
        // db missing; web has 1 of 3; debug is inactive and absent, so not reported.
        assert_eq!(
            states,
            vec![
                ("db", "missing"),
                ("web", "running"),
                ("web", "missing"),
                ("web", "missing")
            ]
        );
        let rows = assess(&m, &["debug".into()], None, &[], now());
        assert!(rows.iter().any(|r| r.service == "debug"));
        let wanted = vec!["db".to_string()];
        let selected = m.select(&wanted).unwrap().unwrap();
        let rows = assess(&m, &[], Some(&selected), &containers, now());
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].service, "db");
        let err = m.select(&["nope".to_string()]).unwrap_err().to_string();
        assert!(
            err.contains("nope") && err.contains("db, debug, web"),
            "{err}"
        );
    }

    #[test]
    fn a_failed_probe_fails_a_running_service() {
        let m = model(&[("web", svc())]);
        let mut rows = assess(
            &m,
            &[],
            None,
            &[container("web", RunState::Running, None)],
            now(),
        );
        let probes = BTreeMap::from([(
            "web".to_string(),
            Probe {
                url: "http://127.0.0.1:1/health".into(),
                status: Some(503),
                latency_ms: Some(2.0),
                error: None,
                ok: false,
            },
        )]);
        apply_probes(&mut rows, &probes);
        assert_eq!(rows[0].verdict, Verdict::Failing);
        assert_eq!(
            rows[0].problem.as_deref(),
            Some("probe http://127.0.0.1:1/health answered 503")
        );
    }

    #[test]
    fn uptime_is_compact() {
        assert_eq!(format_uptime(Duration::from_secs(45)), "45s");
        assert_eq!(format_uptime(Duration::from_secs(725)), "12m 5s");
        assert_eq!(format_uptime(Duration::from_secs(3 * 3600 + 120)), "3h 2m");
        assert_eq!(
            format_uptime(Duration::from_secs(4 * 86400 + 3600)),
            "4d 1h"
        );
    }

    #[test]
    fn the_table_shows_rows_problems_and_a_summary() {
        let m = model(&[("a", svc()), ("b", svc())]);
        let rows = assess(
            &m,
            &[],
            None,
            &[container("a", RunState::Running, None)],
            now(),
        );
        let report = Report {
            envelope: Envelope::new("p"),
            ok: false,
            services: rows,
        };
        let text = render_table(&report, false);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("SERVICE"));
        assert!(lines[1].starts_with("a ") && lines[1].contains("running"));
        assert!(lines[2].starts_with("b ") && lines[2].contains("missing"));
        assert!(text.contains("✗ b: declared but no container exists"));
        assert!(text.ends_with("p: 1 ok, 1 failing, 0 warning\n"));
        assert!(
            !text.contains('\u{1b}'),
            "no colour codes when colour is off"
        );
    }
}
