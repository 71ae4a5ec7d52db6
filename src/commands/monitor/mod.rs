//! `phi monitor`: container CPU, memory, network and block IO, live or one-shot, with
//! thresholds, alert episodes, webhooks and telemetry files.
//!
//! plan:    options + thresholds per service (pure)
//! execute: list the project's containers, read their counters (cgroup files when the engine
//!          is on this host, the stats API otherwise), turn two readings into metrics
//! report:  a sample document per reading, alert/recovery documents, rendered as a live
//!          table on a terminal or as JSON lines

mod alerts;
pub mod events;
pub mod metrics;
mod report;
pub mod serve;
pub mod telemetry;
mod view;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use futures_util::future::join_all;
use serde::Serialize;
use tokio::task::JoinHandle;

use self::alerts::{AlertDoc, AlertKind, alert_doc, report_webhooks, webhook_payload};
use self::events::Watch;
use self::metrics::{Breach, Episodes, Event, Metric, Metrics, Thresholds};
use self::report::Report;
use self::telemetry::{RotatingLog, prometheus};
use self::view::{LiveView, sort};
use crate::commands::Ctx;
use crate::config::ConfigError;
use crate::config::Project;
use crate::config::compose::ComposeModel;
use crate::engine::{
    ContainerInfo, Engine, EngineError, HealthState, LocalReader, RawStats, Resume, RunState,
    Target,
};
use crate::exit::{Coded, Exit};
use crate::http;
use crate::output::style::Tone;
use crate::output::{Printer, table};
use crate::units::format_bytes;

/// Default limit of connecting and of each engine call.
pub const DEFAULT_TIMEOUT: Duration = crate::engine::CALL_TIMEOUT;
/// How far apart the two CPU readings of the first sample are when phi reads cgroup files.
const CPU_WINDOW: Duration = Duration::from_millis(500);
/// The same through the stats API: the engine's own cadence (Docker's collector ticks every
/// second; Podman answers at once, so closer readings would give CPU 0).
const ENGINE_CPU_WINDOW: Duration = Duration::from_secs(1);
/// The most phi's own run of a healthcheck the engine has not decided may take.
const PROBE_LIMIT: Duration = Duration::from_secs(5);
/// Recent CPU values kept per container for the trend column.
const TREND_LEN: usize = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Name,
    Cpu,
    Memory,
}

/// Everything `phi monitor` was asked to do, as plain data.
#[derive(Debug, Clone)]
pub struct Settings {
    pub services: Vec<String>,
    pub once: bool,
    pub interval: Duration,
    pub count: Option<u64>,
    pub cpu: Option<f64>,
    pub memory: Option<f64>,
    pub max_restarts: Option<u64>,
    pub consecutive: u32,
    pub webhook: Option<String>,
    pub webhook_timeout: Duration,
    pub log: Option<PathBuf>,
    pub log_max_bytes: u64,
    pub log_files: u32,
    pub prometheus: Option<PathBuf>,
    /// Serve /metrics and /healthz on this address.
    pub serve: Option<String>,
    pub sort: SortKey,
    /// The limit of connecting and of each engine call.
    pub timeout: Duration,
    /// Never read cgroup files, only the Engine's stats API.
    pub engine_stats: bool,
}

impl Settings {
    fn samples(&self) -> Option<u64> {
        if self.once { Some(1) } else { self.count }
    }

    /// Flags that contradict each other are a usage error (exit 2).
    pub fn validate(&self) -> Result<(), Coded> {
        let usage = |m: String| Err(Coded::new(Exit::Usage, m));
        if self.once && self.count.is_some() {
            return usage("--once and --count exclude each other".into());
        }
        if self.count == Some(0) {
            return usage("--count must be at least 1".into());
        }
        if self.interval < Duration::from_millis(100) {
            return usage("--interval must be at least 100ms".into());
        }
        if let Some(n) = self.samples() {
            if u64::from(self.consecutive) > n {
                return usage(format!(
                    "--for {} can never trip within {n} sample(s); raise --count or lower --for",
                    self.consecutive
                ));
            }
        }
        if let Some(url) = &self.webhook {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return usage(format!(
                    "--webhook `{url}` is not an http:// or https:// URL"
                ));
            }
        }
        for (flag, v) in [("--cpu", self.cpu), ("--mem", self.memory)] {
            if v.is_some_and(|v| !v.is_finite() || v < 0.0) {
                return usage(format!("{flag} takes a percentage of 0 or more"));
            }
        }
        Ok(())
    }
}

/// Thresholds for one service: flags, then the service's `x-phi`, then CPU_THRESHOLD /
/// MEM_THRESHOLD from the environment, then the top-level `x-phi`, then the defaults.
pub fn thresholds_for(
    service: Option<&str>,
    model: &ComposeModel,
    env: (Option<f64>, Option<f64>),
    opts: &Settings,
) -> Thresholds {
    let defaults = Thresholds::default();
    let service_limits = service
        .and_then(|s| model.services.get(s))
        .map(|s| s.x_phi.limits)
        .unwrap_or_default();
    let project = model.x_phi.limits;
    Thresholds {
        cpu_percent: opts
            .cpu
            .or(service_limits.cpu_threshold)
            .or(env.0)
            .or(project.cpu_threshold)
            .or(defaults.cpu_percent),
        memory_percent: opts
            .memory
            .or(service_limits.mem_threshold)
            .or(env.1)
            .or(project.mem_threshold)
            .or(defaults.memory_percent),
        max_restarts: opts
            .max_restarts
            .or(service_limits.max_restarts)
            .or(project.max_restarts),
        unhealthy: true,
    }
}

fn env_percent(project: &Project, name: &str) -> Result<Option<f64>, ConfigError> {
    match project.env.get(name)? {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => v
            .trim()
            .trim_end_matches('%')
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && *x >= 0.0)
            .map(Some)
            .ok_or_else(|| ConfigError::Invalid {
                path: "environment".into(),
                key: name.into(),
                message: format!("`{v}` is not a percentage"),
            }),
    }
}

/// One container in one sample. Metrics are absent for containers that are not running.
#[derive(Debug, Clone, Serialize)]
pub struct ContainerSample {
    pub service: Option<String>,
    pub container: String,
    pub id: String,
    /// A container state, or `gone` once for a container that disappeared.
    pub state: String,
    pub health: Option<&'static str>,
    pub restarts: u64,
    /// The exit code of a container that is not running.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
    /// Where the numbers came from: `cgroup` (files on this host) or `engine` (stats API).
    pub source: Option<&'static str>,
    #[serde(flatten)]
    pub metrics: Option<Metrics>,
    /// Thresholds exceeded in this sample.
    pub breaches: Vec<Metric>,
    /// Metrics in an alert episode after this sample.
    pub alerting: Vec<Metric>,
    #[serde(skip)]
    pub thresholds: Thresholds,
}

#[derive(Debug, Serialize)]
struct SampleDoc<'a> {
    schema_version: u32,
    #[serde(rename = "type")]
    kind: &'static str,
    time: String,
    project: &'a str,
    sample: u64,
    containers: &'a [ContainerSample],
}

/// A reading and when it was taken.
type Reading = (RawStats, Instant, &'static str);

/// Per-container memory between samples.
#[derive(Default)]
struct Tracker {
    readers: HashMap<(String, u32), Option<LocalReader>>,
    previous: HashMap<String, Reading>,
    trend: HashMap<String, VecDeque<f64>>,
    seen: BTreeMap<String, (String, Option<String>)>,
    episodes: Episodes,
}

/// `phi monitor`: sample until the count is reached or the run is interrupted (exit 0);
/// with `--once` or `--count`, exit 3 if any alert fired. The engine's events are followed
/// beside the samples and alert as they come.
pub async fn run(ctx: &Ctx, settings: Settings) -> anyhow::Result<Exit> {
    let (engine, target) = ctx.connect(settings.timeout).await?;
    let (project, opts, printer) = (&ctx.project, &settings, &ctx.printer);
    opts.validate()?;
    let selected: Option<BTreeSet<String>> = project
        .select(&opts.services)?
        .map(|s| s.into_iter().map(String::from).collect());
    let env_limits = (
        env_percent(project, "CPU_THRESHOLD")?,
        env_percent(project, "MEM_THRESHOLD")?,
    );
    let local_host = !opts.engine_stats && engine.is_local();
    // First, so that a busy port ends the run before anything else (exit 4).
    let server = match &opts.serve {
        Some(addr) => {
            let page = serve::Page::default();
            Some((serve::spawn(serve::bind(addr).await?, page.clone()), page))
        }
        None => None,
    };
    let log = match &opts.log {
        Some(path) => Some(
            RotatingLog::open(path, opts.log_max_bytes, opts.log_files)
                .map_err(|e| Coded::new(Exit::Usage, format!("--log {}: {e}", path.display())))?,
        ),
        None => None,
    };
    let webhook_client = match &opts.webhook {
        Some(url) => Some(http::Client::new(url.starts_with("https://"))?),
        None => None,
    };
    let total = opts.samples();
    let started = Resume::at(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
            .unwrap_or(0),
    );
    let mut report = Report {
        project,
        opts,
        printer,
        selected: selected.as_ref(),
        json_lines: printer.json() || !printer.stdout_terminal(),
        log,
        webhook_client,
        webhooks: Vec::new(),
        view: LiveView::default(),
        any_alert: false,
        resume: started.clone(),
        watch: Watch::default(),
        samples: Vec::new(),
        page: server.as_ref().map(|(_, page)| page.clone()),
        engine_up: true,
        live: total != Some(1),
        index: 0,
    };
    let (mut notes, follower) = events::follow(
        engine.clone(),
        target.clone(),
        project.name.clone(),
        started,
        opts.timeout,
    );

    let mut engine = engine;
    let mut tracker = Tracker {
        episodes: Episodes::new(opts.consecutive),
        ..Tracker::default()
    };
    // A --count run ends by this time, whatever the engine does: its samples, plus one
    // --timeout for the engine's answers.
    let bound = total.map(|n| {
        Instant::now()
            + opts
                .interval
                .saturating_mul(u32::try_from(n).unwrap_or(u32::MAX))
            + opts.timeout
    });
    let mut ticker = tokio::time::interval(opts.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

    let mut index = 0u64;
    let mut interrupted = false;
    while total.is_none_or(|t| index < t) {
        index += 1;
        let step = async {
            report
                .wait_tick(&mut ticker, &mut notes, &engine, &mut tracker)
                .await?;
            if index == 2 {
                // The first sample reads twice and may outlast an interval; count the next
                // one from its end, so no sample measures CPU over a sliver of time.
                ticker.reset();
                report
                    .wait_tick(&mut ticker, &mut notes, &engine, &mut tracker)
                    .await?;
            }
            let readings = loop {
                match collect(
                    &engine,
                    project,
                    selected.as_ref(),
                    &mut tracker,
                    local_host,
                    index == 1,
                )
                .await
                {
                    Ok(r) => break r,
                    Err(e) if opts.once || !recoverable(&e) => return Err(anyhow::Error::new(e)),
                    // A --count run waits for the engine to come back only within its bound.
                    Err(e) => {
                        report.engine_up = false;
                        report.publish();
                        engine =
                            reconnect(&target, printer, &mut report.view, e, bound, opts.timeout)
                                .await?;
                    }
                }
            };
            Ok(readings)
        };
        let readings = tokio::select! {
            _ = ctx.interrupt.wait() => {
                interrupted = true;
                break;
            }
            r = step => r?,
        };
        let now = SystemTime::now();
        let (samples, events) = assess(project, opts, env_limits, &mut tracker, readings);
        report.sample(index, now, samples, events, &tracker).await?;
    }
    if total.is_some() && !interrupted {
        report.flush(&engine, &mut notes, &mut tracker).await?;
    }
    follower.abort();
    if let Some((task, _)) = server {
        task.abort();
    }
    report_webhooks(&mut report.webhooks, printer, true).await;
    Ok(if total.is_some() && report.any_alert {
        Exit::CheckFailed
    } else {
        Exit::Ok
    })
}

fn recoverable(e: &EngineError) -> bool {
    matches!(
        e,
        EngineError::Unreachable { .. } | EngineError::TimedOut { .. }
    )
}

/// Connect again with backoff (1 s doubling to 30 s), telling the user, until it works.
async fn reconnect(
    target: &Target,
    printer: &Printer,
    view: &mut LiveView,
    cause: EngineError,
    bound: Option<Instant>,
    call_timeout: Duration,
) -> anyhow::Result<Engine> {
    let mut delay = Duration::from_secs(1);
    let mut message = format!("{cause}; reconnecting");
    loop {
        if bound.is_some_and(|b| Instant::now() + delay >= b) {
            return Err(Coded::new(
                Exit::Timeout,
                format!(
                    "{message} stopped: the engine did not come back within the run's --count bound"
                ),
            )
            .into());
        }
        printer.warn(&format!("{message} in {} s", delay.as_secs()));
        view.notice = Some(message.clone());
        tokio::time::sleep(delay).await;
        match Engine::connect(target, call_timeout.min(crate::engine::CALL_TIMEOUT)).await {
            Ok(engine) => {
                printer.warn(&format!(
                    "reconnected to the Docker engine at {}",
                    target.address
                ));
                view.notice = None;
                return Ok(engine);
            }
            Err(e) => message = format!("{e}; reconnecting"),
        }
        delay = (delay * 2).min(Duration::from_secs(30));
    }
}

/// List the project's containers and read every running one. The first sample reads twice,
/// so that CPU (a difference of two readings) is known from the start.
async fn collect(
    engine: &Engine,
    project: &Project,
    selected: Option<&BTreeSet<String>>,
    tracker: &mut Tracker,
    local_host: bool,
    first: bool,
) -> Result<Vec<(ContainerInfo, Option<Reading>)>, EngineError> {
    let mut containers: Vec<ContainerInfo> = engine
        .project_containers_where(&project.name, |c| {
            project
                .model
                .needs_inspection(c.service.as_deref(), c.settled)
        })
        .await?
        .into_iter()
        .filter(|c| !c.oneoff)
        .filter(|c| {
            selected.is_none_or(|s| c.service.as_ref().is_some_and(|name| s.contains(name)))
        })
        .collect();
    // Health as `status` judges it: phi's exec probe where the engine has not decided.
    engine.confirm_starting(&mut containers, PROBE_LIMIT).await;
    for c in containers.iter_mut() {
        if local_host && c.state == RunState::Running && c.pid.is_none() {
            // Listed, not inspected: its main process from its cgroup, found once.
            c.pid = tracker
                .readers
                .keys()
                .find(|(id, _)| *id == c.id)
                .map(|(_, pid)| *pid)
                .or_else(|| LocalReader::main_pid(&c.id));
        }
        if let (true, Some(pid), RunState::Running) = (local_host, c.pid, c.state) {
            // A restarted container has a new main process: its old reader goes.
            tracker
                .readers
                .retain(|(id, old), _| *id != c.id || *old == pid);
            tracker
                .readers
                .entry((c.id.clone(), pid))
                .or_insert_with(|| LocalReader::find(&c.id, pid));
        }
    }
    if first {
        let before = read_all(engine, &containers, tracker).await?;
        let all_local = before
            .iter()
            .all(|(_, r)| r.as_ref().is_none_or(|r| r.2 == "cgroup"));
        for (c, reading) in &before {
            if let Some(r) = reading {
                tracker.previous.insert(c.id.clone(), r.clone());
            }
        }
        let window = if all_local {
            CPU_WINDOW
        } else {
            ENGINE_CPU_WINDOW
        };
        let first_read = before
            .iter()
            .filter_map(|(_, r)| r.as_ref().map(|r| r.1))
            .min();
        if let Some(at) = first_read {
            tokio::time::sleep(window.saturating_sub(at.elapsed())).await;
        }
    }
    let readings = read_all(engine, &containers, tracker).await?;
    Ok(containers
        .iter()
        .cloned()
        .zip(readings.into_iter().map(|(_, r)| r))
        .collect())
}

async fn read_all<'a>(
    engine: &Engine,
    containers: &'a [ContainerInfo],
    tracker: &Tracker,
) -> Result<Vec<(&'a ContainerInfo, Option<Reading>)>, EngineError> {
    let reads = join_all(containers.iter().map(|c| async move {
        if c.state != RunState::Running {
            return Ok((c, None));
        }
        let local = c
            .pid
            .and_then(|pid| tracker.readers.get(&(c.id.clone(), pid)))
            .and_then(Option::as_ref);
        if let Some(reader) = local {
            if let Ok(raw) = reader.read() {
                return Ok((c, Some((raw, Instant::now(), "cgroup"))));
            }
        }
        match engine.container_stats(&c.id).await {
            Ok(raw) => Ok((c, Some((raw, Instant::now(), "engine")))),
            // Stopped or removed between the list and the read: no numbers this time.
            Err(EngineError::Api { .. }) => Ok((c, None)),
            Err(e) => Err(e),
        }
    }))
    .await;
    reads.into_iter().collect()
}

/// Turn readings into samples and alert events; remember what is needed next time.
fn assess(
    project: &Project,
    opts: &Settings,
    env_limits: (Option<f64>, Option<f64>),
    tracker: &mut Tracker,
    readings: Vec<(ContainerInfo, Option<Reading>)>,
) -> (Vec<ContainerSample>, Vec<(ContainerSample, Event)>) {
    let mut samples = Vec::new();
    let mut events = Vec::new();
    let mut present = BTreeSet::new();
    for (c, reading) in readings {
        present.insert(c.id.clone());
        tracker
            .seen
            .insert(c.id.clone(), (c.name.clone(), c.service.clone()));
        let metrics = reading.as_ref().map(|(raw, at, _)| {
            let prev = tracker
                .previous
                .get(&c.id)
                .map(|(p, t, _)| (p, at.saturating_duration_since(*t)));
            metrics::compute(prev, raw)
        });
        match &reading {
            Some(r) => {
                tracker.previous.insert(c.id.clone(), r.clone());
            }
            None => {
                tracker.previous.remove(&c.id);
            }
        }
        if let Some(cpu) = metrics.as_ref().and_then(|m| m.cpu_percent) {
            let trend = tracker.trend.entry(c.name.clone()).or_default();
            trend.push_back(cpu);
            while trend.len() > TREND_LEN {
                trend.pop_front();
            }
        }
        let limits = thresholds_for(c.service.as_deref(), &project.model, env_limits, opts);
        let unhealthy = c.health == Some(HealthState::Unhealthy);
        let found: Vec<Breach> =
            metrics::breaches(metrics.as_ref(), c.restart_count, unhealthy, &limits);
        let new_events = tracker.episodes.observe(&c.name, &found);
        let mut sample = ContainerSample {
            service: c.service.clone(),
            container: c.name.clone(),
            id: crate::engine::containers::short_id(&c.id).to_string(),
            state: c.state.as_str().to_string(),
            health: c.health.map(HealthState::as_str),
            restarts: c.restart_count,
            exit_code: c.exit_code,
            source: reading.as_ref().map(|r| r.2),
            metrics,
            breaches: found.iter().map(|b| b.metric).collect(),
            alerting: Vec::new(),
            thresholds: limits,
        };
        sample.alerting = [
            Metric::Cpu,
            Metric::Memory,
            Metric::Restarts,
            Metric::Unhealthy,
        ]
        .into_iter()
        .filter(|m| tracker.episodes.active(&c.name, *m))
        .collect();
        for e in new_events {
            events.push((sample.clone(), e));
        }
        samples.push(sample);
    }
    // Containers seen before and missing now are reported as gone, once.
    let gone: Vec<String> = tracker
        .seen
        .keys()
        .filter(|id| !present.contains(*id))
        .cloned()
        .collect();
    for id in gone {
        if let Some((name, service)) = tracker.seen.remove(&id) {
            tracker.previous.remove(&id);
            tracker.episodes.forget(&name);
            samples.push(ContainerSample {
                service,
                container: name,
                id: crate::engine::containers::short_id(&id).to_string(),
                state: "gone".into(),
                health: None,
                restarts: 0,
                exit_code: None,
                source: None,
                metrics: None,
                breaches: Vec::new(),
                alerting: Vec::new(),
                thresholds: Thresholds::default(),
            });
        }
    }
    sort(&mut samples, opts.sort);
    (samples, events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::compose::Service;
    use crate::config::xphi::{Limits, ProjectXPhi, ServiceXPhi};

    fn opts() -> Settings {
        Settings {
            services: vec![],
            once: false,
            interval: Duration::from_secs(2),
            count: None,
            cpu: None,
            memory: None,
            max_restarts: None,
            consecutive: 1,
            webhook: None,
            webhook_timeout: Duration::from_secs(5),
            log: None,
            log_max_bytes: 10 << 20,
            log_files: 3,
            prometheus: None,
            serve: None,
            sort: SortKey::Name,
            timeout: Duration::from_secs(30),
            engine_stats: false,
        }
    }

    #[test]
    fn threshold_precedence_flag_service_env_project_default() {
        let mut model = ComposeModel::default();
        let tuned = Service {
            x_phi: ServiceXPhi {
                limits: Limits {
                    cpu_threshold: Some(50.0),
                    mem_threshold: None,
                    max_restarts: Some(5),
                    ..Limits::default()
                },
                ..ServiceXPhi::default()
            },
            ..Service::default()
        };
        model.services.insert("tuned".into(), tuned);
        model.services.insert("plain".into(), Service::default());
        model.x_phi = ProjectXPhi {
            limits: Limits {
                cpu_threshold: Some(70.0),
                mem_threshold: Some(60.0),
                max_restarts: Some(9),
                ..Limits::default()
            },
            ..ProjectXPhi::default()
        };
        let o = opts();
        let t = thresholds_for(Some("tuned"), &model, (Some(90.0), None), &o);
        assert_eq!(
            (t.cpu_percent, t.memory_percent, t.max_restarts),
            (Some(50.0), Some(60.0), Some(5))
        );
        let t = thresholds_for(Some("plain"), &model, (Some(90.0), None), &o);
        assert_eq!(
            (t.cpu_percent, t.memory_percent, t.max_restarts),
            (Some(90.0), Some(60.0), Some(9))
        );
        let flags = Settings {
            cpu: Some(10.0),
            memory: Some(20.0),
            max_restarts: Some(1),
            ..opts()
        };
        let t = thresholds_for(Some("tuned"), &model, (Some(90.0), None), &flags);
        assert_eq!(
            (t.cpu_percent, t.memory_percent, t.max_restarts),
            (Some(10.0), Some(20.0), Some(1))
        );
        let t = thresholds_for(None, &ComposeModel::default(), (None, None), &o);
        assert_eq!(t, Thresholds::default());
    }

    #[test]
    fn contradictory_flags_are_usage_errors() {
        assert!(
            Settings {
                once: true,
                count: Some(2),
                ..opts()
            }
            .validate()
            .is_err()
        );
        assert!(
            Settings {
                count: Some(2),
                consecutive: 3,
                ..opts()
            }
            .validate()
            .is_err()
        );
        assert!(
            Settings {
                once: true,
                consecutive: 2,
                ..opts()
            }
            .validate()
            .is_err()
        );
        assert!(
            Settings {
                interval: Duration::from_millis(10),
                ..opts()
            }
            .validate()
            .is_err()
        );
        assert!(
            Settings {
                count: Some(3),
                consecutive: 3,
                ..opts()
            }
            .validate()
            .is_ok()
        );
        assert!(
            Settings {
                consecutive: 5,
                ..opts()
            }
            .validate()
            .is_ok()
        );
    }

    #[test]
    fn samples_sort_by_cpu_with_unknowns_last() {
        let s = |name: &str, cpu: Option<f64>| ContainerSample {
            service: Some(name.into()),
            container: name.into(),
            id: name.into(),
            state: "running".into(),
            health: None,
            restarts: 0,
            exit_code: None,
            source: None,
            metrics: cpu.map(|c| Metrics {
                cpu_percent: Some(c),
                ..Metrics::default()
            }),
            breaches: vec![],
            alerting: vec![],
            thresholds: Thresholds::default(),
        };
        let mut v = vec![s("a", Some(1.0)), s("b", None), s("c", Some(50.0))];
        sort(&mut v, SortKey::Cpu);
        let order: Vec<&str> = v.iter().map(|s| s.container.as_str()).collect();
        assert_eq!(order, ["c", "a", "b"]);
    }

    #[test]
    fn webhook_payloads_carry_slack_text_and_fields() {
        let doc = AlertDoc {
            schema_version: 1,
            kind: AlertKind::Alert,
            time: "t".into(),
            project: "p".into(),
            service: Some("web".into()),
            container: "p-web-1".into(),
            metric: Metric::Cpu,
            value: Some(93.5),
            threshold: Some(80.0),
            consecutive: 3,
            message: "CPU of web (p-web-1) at 93.5% > 80% for 3 sample(s)".into(),
            detail: alerts::Detail::default(),
        };
        let v: serde_json::Value = serde_json::from_slice(&webhook_payload(&doc)).unwrap();
        assert_eq!(
            v["text"],
            "phi [p]: CPU of web (p-web-1) at 93.5% > 80% for 3 sample(s)"
        );
        assert_eq!(v["metric"], "cpu");
        assert_eq!(v["value"], 93.5);
        assert_eq!(v["for"], 3);
    }
}
