//! `phi start-all`: bring the stack up in dependency order through the Engine API and wait
//! until it is really ready (`docker compose up -d --wait`, without being bound by the
//! healthcheck interval).
//!
//! preflight: variables, commands, bind sources, ports, images, external resources (all
//!            problems together, exit 2 or 4, nothing touched)
//! plan:      create / recreate / start / up to date per container (pure, `plan`)
//! execute:   images, networks and volumes, then a task per service that starts as soon as
//!            its own dependencies meet their conditions (`ready` decides readiness)
//! report:    per service the action, the final state and the signal that decided it

mod hooks;
mod plan;
mod preflight;
mod ready;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::future::join_all;
use serde::Serialize;
use tokio::sync::watch;
use tokio::time::Instant as Deadline;

use crate::commands::hooks::HookReport;
use crate::commands::{Ctx, within};
use crate::config::Project;
use crate::config::compose::Condition;
use crate::config::graph::Graph;
use crate::engine::{Engine, EngineError, containers::short_id};
use crate::exit::{Coded, Exit};
use crate::output::Envelope;
use crate::output::Printer;
use crate::spec;
use crate::spec::{ContainerSpec, NetworkSpec, VolumeSpec};

use crate::output::live::{Lines as Ui, seconds};
pub use plan::Action;
use plan::{Plan, ServicePlan, Verb};
use preflight::{ImageStep, Kind, Problem};
use ready::{Readiness, Wanted};

/// Default limit for the whole start-up, waiting included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
/// Log lines shown for a service that failed.
const LOG_LINES: usize = 15;

pub use crate::spec::PullPolicy;

#[derive(Debug, Clone)]
pub struct Settings {
    pub services: Vec<String>,
    pub force_recreate: bool,
    pub no_wait: bool,
    pub remove_orphans: bool,
    pub dry_run: bool,
    /// `--pull`: for every service, over their `pull_policy`.
    pub pull: Option<PullPolicy>,
    pub build: bool,
    pub timeout: Duration,
}

/// What became of one service.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceReport {
    pub service: String,
    /// `create`, `recreate`, `start`, `up to date`, `none` (with --dry-run: what would be done).
    pub action: Verb,
    pub containers: Vec<String>,
    /// Replicas beyond its scale, stopped and removed (with --dry-run: that would be).
    pub surplus_removed: Vec<String>,
    pub state: State,
    /// What decided readiness: `exec probe`, `engine healthcheck`, `running`, `exit 0`.
    pub signal: Option<String>,
    /// Seconds from the start of the run until its containers were started / it was ready.
    pub started_after: Option<f64>,
    pub ready_after: Option<f64>,
    pub error: Option<String>,
    /// The healthcheck's last outputs and the container's last log lines, when it failed.
    pub health_output: Vec<String>,
    pub logs: Vec<String>,
    /// Compose's pre_start and post_start hooks and phi's x-phi.post_start commands, in the
    /// order they ran (with --dry-run: would run), each with its result.
    pub hooks: Vec<HookReport>,
}

/// Where a service ended up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Pending,
    /// --dry-run: nothing was done.
    Planned,
    /// Started and not waited for (--no-wait).
    Started,
    /// Running, without a healthcheck.
    Running,
    Healthy,
    /// A one-shot job that exited 0.
    Completed,
    Failed,
    #[serde(rename = "timed out")]
    TimedOut,
    /// Not started: a dependency failed.
    Skipped,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Planned => "planned",
            State::Started => "started",
            State::Running => "running",
            State::Healthy => "healthy",
            State::Completed => "completed",
            State::Failed => "failed",
            State::TimedOut => "timed out",
            State::Skipped => "skipped",
        }
    }

    /// Up as asked: ready, or started when not waited for.
    pub fn is_up(self) -> bool {
        matches!(
            self,
            State::Healthy | State::Running | State::Completed | State::Started
        )
    }

    /// What dependants see once the service's task has ended; None leaves `Started`.
    fn final_phase(self, service: &str) -> Option<Phase> {
        Some(match self {
            State::Started => return None,
            State::Healthy => Phase::Ready { healthy: true },
            State::Running => Phase::Ready { healthy: false },
            State::Completed => Phase::Completed,
            other => Phase::Failed(format!("{service} {}", other.as_str())),
        })
    }
}

impl ServiceReport {
    fn new(service: &str, action: Verb, state: State) -> ServiceReport {
        ServiceReport {
            service: service.to_string(),
            action,
            containers: Vec::new(),
            surplus_removed: Vec::new(),
            state,
            signal: None,
            started_after: None,
            ready_after: None,
            error: None,
            health_output: Vec::new(),
            logs: Vec::new(),
            hooks: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    #[serde(flatten)]
    pub envelope: Envelope,
    pub ok: bool,
    pub dry_run: bool,
    pub seconds: f64,
    /// Services in start order.
    pub order: Vec<String>,
    pub images: Vec<ImageStep>,
    pub networks_created: Vec<String>,
    pub volumes_created: Vec<String>,
    pub orphans: Vec<String>,
    pub orphans_removed: Vec<String>,
    pub services: Vec<ServiceReport>,
    pub problems: Vec<String>,
}

impl Report {
    /// 0 all ready, 5 something timed out, 1 something failed.
    pub fn exit(&self) -> Exit {
        if self.ok {
            Exit::Ok
        } else if self.services.iter().any(|s| s.state == State::TimedOut) {
            Exit::Timeout
        } else {
            Exit::Failure
        }
    }
}

/// A service's progress as its dependants see it.
#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Pending,
    Started,
    /// Ready; `healthy` when a healthcheck said so.
    Ready {
        healthy: bool,
    },
    Completed,
    Failed(String),
}

/// `phi start-all`: the report, printed; 0 when every service came up, 1 when one failed,
/// 5 when the wait ran out.
pub async fn run(ctx: &Ctx, settings: Settings) -> anyhow::Result<Exit> {
    // --timeout bounds the whole run: the waits inside report at the deadline, and this
    // catches an engine that stalls on a call (1 s later, so their report comes first).
    let limit = settings.timeout + Duration::from_secs(1);
    let report = within(limit, "start-all", async {
        let (engine, _) = ctx.connect(settings.timeout).await?;
        // Two runs at once would each create the project's networks.
        let _lock = if settings.dry_run {
            None
        } else {
            Some(
                ctx.lock_project(&engine, "start-all", settings.timeout)
                    .await?,
            )
        };
        start(&ctx.project, &engine, &settings, &ctx.printer).await
    })
    .await?;
    ctx.printer
        .report(&report, |color| render_text(&report, color))
        .context("writing the report")?;
    Ok(report.exit())
}

/// Plan, check, then bring the selected services up.
pub async fn start(
    project: &Project,
    engine: &Engine,
    opts: &Settings,
    printer: &Printer,
) -> anyhow::Result<Report> {
    let started = Instant::now();
    let deadline = Deadline::now() + opts.timeout;
    let graph = Graph::new(&project.model)?;
    let named = project.select(&opts.services)?;
    let selected = plan::select(&project.model, &project.profiles, named.as_ref())?;

    // Every container's spec; translation problems are configuration errors.
    let mut specs: BTreeMap<String, Vec<ContainerSpec>> = BTreeMap::new();
    let mut builds = BTreeMap::new();
    let mut pulls = BTreeMap::new();
    let mut problems: Vec<Problem> = Vec::new();
    for name in &selected {
        let scale = project.model.services[name].replicas;
        let mut list = Vec::new();
        for number in 1..=scale {
            match spec::container_spec(project, name, number) {
                Ok((spec, warnings)) => {
                    if number == 1 {
                        for w in warnings {
                            printer.warn(&w);
                        }
                    }
                    list.push(spec);
                }
                Err(e) => {
                    problems.push(Problem {
                        kind: Kind::Config,
                        message: e.to_string(),
                    });
                    break;
                }
            }
        }
        match spec::pull_policy(project, name) {
            Ok(Some(policy)) => {
                pulls.insert(name.clone(), policy);
            }
            Ok(None) => {}
            Err(e) => problems.push(Problem {
                kind: Kind::Config,
                message: e.to_string(),
            }),
        }
        if let Some(image) = list.first().map(|s| s.image.clone()) {
            match spec::build_spec(project, name, &image) {
                Ok(Some((build, warnings))) => {
                    for w in warnings {
                        printer.warn(&w);
                    }
                    builds.insert(name.clone(), build);
                }
                Ok(None) => {}
                Err(e) => problems.push(Problem {
                    kind: Kind::Config,
                    message: e.to_string(),
                }),
            }
        }
        specs.insert(name.clone(), list);
    }
    let resources = spec::project_resources(project)?;
    for w in &resources.warnings {
        printer.warn(w);
    }

    // The list says all the plan needs (states, config hashes, numbers): nothing is
    // inspected.
    let existing = engine
        .project_containers_where(&project.name, |_| false)
        .await?;
    let plan = plan::plan(
        &project.model,
        &graph,
        &specs,
        &existing,
        opts.force_recreate,
    );
    let used_networks: BTreeSet<&str> = specs
        .values()
        .flatten()
        .flat_map(|s| s.networks.iter().map(|n| n.name.as_str()))
        .collect();
    let used_volumes: BTreeSet<&str> = specs
        .values()
        .flatten()
        .flat_map(|s| s.mounts.iter().filter_map(|m| m.source.as_deref()))
        .collect();
    let networks: Vec<&NetworkSpec> = resources
        .networks
        .iter()
        .filter(|n| used_networks.contains(n.name.as_str()))
        .collect();
    let volumes: Vec<&VolumeSpec> = resources
        .volumes
        .iter()
        .filter(|v| used_volumes.contains(v.name.as_str()))
        .collect();

    problems.extend(preflight::local_checks(
        project,
        &plan,
        &existing,
        engine.is_local(),
    ));
    problems.extend(preflight::api_problems(&engine.api_version(), &plan));
    let (image_steps, image_problems) =
        preflight::image_checks(engine, &plan, &builds, &pulls, opts).await?;
    problems.extend(image_problems);
    problems.extend(preflight::external_checks(engine, &networks, &volumes).await?);
    if !problems.is_empty() {
        return Err(preflight_error(&problems).into());
    }

    if opts.dry_run {
        return Ok(dry_run_report(
            project,
            &plan,
            image_steps,
            &networks,
            &volumes,
            opts,
            started,
        ));
    }

    let ui = Ui::new(printer, &plan.order);
    let run = ServiceRun {
        engine,
        project: &project.name,
        opts,
        ui: &ui,
        deadline,
        started,
    };
    let work = Work {
        plan: &plan,
        images: image_steps,
        networks: &networks,
        volumes: &volumes,
    };
    let result = execute(project, run, work).await;
    ui.close();
    result
}

/// Preflight problems as one error: exit 2 when any is a configuration problem, else 4.
fn preflight_error(problems: &[Problem]) -> Coded {
    let exit = if problems.iter().any(|p| p.kind == Kind::Config) {
        Exit::Usage
    } else {
        Exit::Unavailable
    };
    let lines: Vec<String> = problems
        .iter()
        .map(|p| format!("  - {}", p.message))
        .collect();
    Coded::new(
        exit,
        format!(
            "nothing was started; {} problem(s) found before start-up:\n{}",
            problems.len(),
            lines.join("\n")
        ),
    )
}

fn dry_run_report(
    project: &Project,
    plan: &Plan,
    images: Vec<ImageStep>,
    networks: &[&NetworkSpec],
    volumes: &[&VolumeSpec],
    opts: &Settings,
    started: Instant,
) -> Report {
    let services = plan
        .order
        .iter()
        .map(|name| {
            let s = &plan.services[name];
            ServiceReport {
                containers: s.containers.iter().map(|c| c.spec.name.clone()).collect(),
                surplus_removed: s.surplus.iter().map(|(_, name)| name.clone()).collect(),
                hooks: hooks::planned(s),
                ..ServiceReport::new(name, s.action(), State::Planned)
            }
        })
        .collect();
    Report {
        envelope: Envelope::new(&project.name),
        ok: true,
        dry_run: true,
        seconds: started.elapsed().as_secs_f64(),
        order: plan.order.clone(),
        images,
        networks_created: networks
            .iter()
            .filter(|n| !n.external)
            .map(|n| n.name.clone())
            .collect(),
        volumes_created: volumes
            .iter()
            .filter(|v| !v.external)
            .map(|v| v.name.clone())
            .collect(),
        orphans: plan.orphans.iter().map(|o| o.name.clone()).collect(),
        orphans_removed: if opts.remove_orphans {
            plan.orphans.iter().map(|o| o.name.clone()).collect()
        } else {
            Vec::new()
        },
        services,
        problems: Vec::new(),
    }
}

/// What start-all will do, once preflight passed.
struct Work<'a> {
    plan: &'a Plan,
    images: Vec<ImageStep>,
    networks: &'a [&'a NetworkSpec],
    volumes: &'a [&'a VolumeSpec],
}

/// Images, orphans, networks and volumes, then every service as its dependencies allow.
async fn execute(project: &Project, run: ServiceRun<'_>, work: Work<'_>) -> anyhow::Result<Report> {
    let ServiceRun {
        engine,
        opts,
        ui,
        started,
        ..
    } = run;
    let Work {
        plan,
        images,
        networks,
        volumes,
    } = work;
    let mut report = Report {
        envelope: Envelope::new(&project.name),
        ok: false,
        dry_run: false,
        seconds: 0.0,
        order: plan.order.clone(),
        images: images.clone(),
        networks_created: Vec::new(),
        volumes_created: Vec::new(),
        orphans: plan.orphans.iter().map(|o| o.name.clone()).collect(),
        orphans_removed: Vec::new(),
        services: Vec::new(),
        problems: Vec::new(),
    };

    // Images first: a failed pull or build leaves every container as it was.
    let failures: Vec<String> = join_all(images.iter().map(|step| get_image(engine, step, ui)))
        .await
        .into_iter()
        .filter_map(Result::err)
        .collect();
    if !failures.is_empty() {
        report.problems = failures;
        report.seconds = started.elapsed().as_secs_f64();
        report.services = plan
            .order
            .iter()
            .map(|s| not_started(s, "not started: an image could not be had"))
            .collect();
        return Ok(report);
    }

    for orphan in &plan.orphans {
        if opts.remove_orphans {
            let grace = crate::spec::DEFAULT_STOP_GRACE;
            if orphan.running {
                engine.stop_container(&orphan.id, grace).await?;
            }
            engine.remove_container(&orphan.id).await?;
            ui.note("Removed", &format!("orphan container {}", orphan.name));
            report.orphans_removed.push(orphan.name.clone());
        } else {
            ui.note(
                "Orphan",
                &format!(
                    "container {} (service `{}` is not declared; --remove-orphans removes it)",
                    orphan.name, orphan.service
                ),
            );
        }
    }
    for network in networks.iter().filter(|n| !n.external) {
        if engine.ensure_network(network).await? {
            ui.note("Created", &format!("network {}", network.name));
            report.networks_created.push(network.name.clone());
        }
    }
    for volume in volumes.iter().filter(|v| !v.external) {
        if engine.ensure_volume(volume).await? {
            ui.note("Created", &format!("volume {}", volume.name));
            report.volumes_created.push(volume.name.clone());
        }
    }

    let channels: BTreeMap<&str, (watch::Sender<Phase>, watch::Receiver<Phase>)> = plan
        .services
        .keys()
        .map(|s| (s.as_str(), watch::channel(Phase::Pending)))
        .collect();
    let tasks = plan.order.iter().map(|name| {
        let service = &plan.services[name];
        let deps: Vec<(String, Condition, bool, watch::Receiver<Phase>)> = service
            .depends_on
            .iter()
            .filter_map(|(dep, d)| {
                let (_, rx) = channels.get(dep.as_str())?;
                Some((dep.clone(), d.condition, d.required, rx.clone()))
            })
            .collect();
        let me = &channels[name.as_str()].0;
        let cx = run;
        async move {
            let outcome = cx.run(service, deps, me).await;
            // The one place a service's end is published: dependants never wait for a phase
            // that will not come.
            if let Some(phase) = outcome.state.final_phase(&service.name) {
                me.send_replace(phase);
            }
            outcome
        }
    });
    report.services = join_all(tasks).await;
    report.ok = report.services.iter().all(|s| s.state.is_up());
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

fn not_started(service: &str, why: &str) -> ServiceReport {
    ServiceReport {
        error: Some(why.to_string()),
        ..ServiceReport::new(service, Verb::Nothing, State::Skipped)
    }
}

/// Pull or build one image; the error names the image and says why.
async fn get_image(engine: &Engine, step: &ImageStep, ui: &Ui<'_>) -> Result<(), String> {
    match step {
        ImageStep::Pull { image, services } => {
            ui.note("Pulling", &format!("{image} (for {})", services.join(", ")));
            let bar = ui.bytes_bar(image);
            let result = engine
                .pull_image(image, |p| {
                    bar.update(p.current, p.total);
                })
                .await;
            drop(bar);
            match result {
                Ok(()) => {
                    ui.note("Pulled", image);
                    Ok(())
                }
                Err(e) => Err(format!("cannot pull {image}: {e}")),
            }
        }
        ImageStep::Build {
            image,
            service,
            spec,
        } => {
            ui.note(
                "Building",
                &format!("{image} for {service} from {}", spec.context.display()),
            );
            let mut tail: Vec<String> = Vec::new();
            let result = engine
                .build_image(spec, |line| {
                    ui.output(service, line);
                    tail.push(line.to_string());
                    if tail.len() > 10 {
                        tail.remove(0);
                    }
                })
                .await;
            match result {
                Ok(()) => {
                    ui.note("Built", image);
                    Ok(())
                }
                Err(e) => Err(format!("cannot build {image} for service {service}: {e}")),
            }
        }
    }
}

/// Containers being created at once. Services with only new containers are all created at
/// the start (see [`plan::ServicePlan::created_early`]); in turns, in the plan's order.
const CREATES_AT_ONCE: usize = 8;
static CREATES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(CREATES_AT_ONCE);

/// What one service's task needs.
#[derive(Clone, Copy)]
struct ServiceRun<'a> {
    engine: &'a Engine,
    project: &'a str,
    opts: &'a Settings,
    ui: &'a Ui<'a>,
    deadline: Deadline,
    started: Instant,
}

/// A phase ended the service's run: its report is final (failed, skipped or timed out).
struct Ended;

impl ServiceRun<'_> {
    /// Wait for the dependencies, then create or start the containers, wait until they are
    /// ready, and run post_start; the report says how far it got.
    async fn run(
        &self,
        service: &ServicePlan,
        deps: Vec<(String, Condition, bool, watch::Receiver<Phase>)>,
        me: &watch::Sender<Phase>,
    ) -> ServiceReport {
        let name = service.name.as_str();
        let mut report = ServiceReport {
            containers: service
                .containers
                .iter()
                .map(|c| c.spec.name.clone())
                .collect(),
            ..ServiceReport::new(name, service.action(), State::Pending)
        };
        let early = if service.created_early() {
            let Ok(placed) = self.containers(service, &mut report).await else {
                return report;
            };
            Some(placed)
        } else {
            None
        };
        if self.dependencies(name, deps, &mut report).await.is_err() {
            // Made while its dependencies got ready, never started: it goes again.
            for placed in early.iter().flatten() {
                if let Err(e) = self.engine.remove_container(&placed.id).await {
                    self.ui
                        .note("Warning", &format!("{name}: {} stays: {e}", placed.name));
                }
            }
            return report;
        }
        let placed = match early {
            Some(placed) => placed,
            None => match self.containers(service, &mut report).await {
                Ok(placed) => placed,
                Err(Ended) => return report,
            },
        };
        if self.pre_start(service, &placed, &mut report).await.is_err()
            || self.start(service, &placed, &mut report).await.is_err()
        {
            return report;
        }
        let ids: Vec<String> = placed.into_iter().map(|p| p.id).collect();
        report.started_after = Some(self.started.elapsed().as_secs_f64());
        me.send_replace(Phase::Started);

        // Readiness, unless nobody needs to know.
        if self.opts.no_wait && !service.awaited && service.post_start.is_empty() {
            report.state = State::Started;
            self.ui.done(name, true, "started (not waited for)");
            return report;
        }
        let Ok((wanted, healthy)) = self.readiness(service, &ids, &mut report).await else {
            return report;
        };
        if let Some(first) = ids.first() {
            if self.post_start(service, first, &mut report).await.is_err() {
                return report;
            }
        }

        report.ready_after = Some(self.started.elapsed().as_secs_f64());
        report.state = match wanted {
            Wanted::Completion => State::Completed,
            Wanted::Ready if healthy => State::Healthy,
            Wanted::Ready => State::Running,
        };
        let signal = report.signal.as_deref().unwrap_or_default();
        let text = format!("{} ({signal})", report.state.as_str());
        self.ui.done(name, true, &text);
        report
    }

    /// Each dependency must meet its condition; a required one that never will skips the
    /// service.
    async fn dependencies(
        &self,
        name: &str,
        deps: Vec<(String, Condition, bool, watch::Receiver<Phase>)>,
        report: &mut ServiceReport,
    ) -> Result<(), Ended> {
        for (dep, condition, required, mut rx) in deps {
            let wait = rx.wait_for(|p| meets(p, condition).is_some());
            let verdict = match tokio::time::timeout_at(self.deadline, wait).await {
                Err(_) => {
                    report.state = State::TimedOut;
                    report.error = Some(format!("still waiting for {dep} at the timeout"));
                    self.ui
                        .done(name, false, "timed out waiting for its dependencies");
                    return Err(Ended);
                }
                Ok(Err(_)) => Some(Err(format!("{dep} ended without a result"))),
                Ok(Ok(phase)) => meets(&phase, condition),
            };
            if let Some(Err(why)) = verdict {
                if required {
                    report.action = Verb::Nothing;
                    report.state = State::Skipped;
                    report.error = Some(format!("not started: {why}"));
                    self.ui.done(name, false, &format!("not started: {why}"));
                    return Err(Ended);
                }
                self.ui.note(
                    "Continuing",
                    &format!("{name}: {why} (the dependency is not required)"),
                );
            }
        }

        Ok(())
    }

    /// Surplus replicas go, the rest are created or recreated (not started yet): each with
    /// whether it is to be started.
    async fn containers(
        &self,
        service: &ServicePlan,
        report: &mut ServiceReport,
    ) -> Result<Vec<hooks::Placed>, Ended> {
        let name = service.name.as_str();
        let grace = service.grace.unwrap_or(crate::spec::DEFAULT_STOP_GRACE);
        let mut ids = Vec::new();
        let result = async {
            for (id, container) in &service.surplus {
                self.ui.step(name, "Removing", container);
                self.engine.stop_container(id, grace).await?;
                self.engine.remove_container(id).await?;
                report.surplus_removed.push(container.clone());
            }
            let steps = service.containers.iter().map(|step| async move {
                let spec = &step.spec;
                let (id, start) = match &step.action {
                    Action::UpToDate { id } => (id.clone(), false),
                    Action::Start { id } => (id.clone(), true),
                    Action::Create => {
                        // Creations take turns: the first services' come first.
                        let _turn = CREATES.acquire().await;
                        self.ui.step(name, "Creating", "");
                        (self.engine.create_container(spec).await?, true)
                    }
                    Action::Recreate { id: old } => {
                        self.ui.step(name, "Recreating", "");
                        self.engine.stop_container(old, grace).await?;
                        self.engine.remove_container(old).await?;
                        (self.engine.create_container(spec).await?, true)
                    }
                };
                let name = spec.name.clone();
                Ok::<hooks::Placed, EngineError>(hooks::Placed { id, name, start })
            });
            for id in join_all(steps).await {
                ids.push(id?);
            }
            Ok::<(), EngineError>(())
        };
        if let Err(e) = tokio::time::timeout_at(self.deadline, result)
            .await
            .unwrap_or_else(|_| {
                Err(EngineError::Api {
                    what: format!("start-up of {name}"),
                    message: "the timeout came first".into(),
                })
            })
        {
            report.state = State::Failed;
            report.error = Some(e.to_string());
            self.ui.done(name, false, &e.to_string());
            return Err(Ended);
        }
        Ok(ids)
    }

    /// Wait until every container is ready (or, for a one-shot job, completed): what was
    /// waited for and whether all were healthy.
    async fn readiness(
        &self,
        service: &ServicePlan,
        ids: &[String],
        report: &mut ServiceReport,
    ) -> Result<(Wanted, bool), Ended> {
        let name = service.name.as_str();
        let wanted = if service.one_shot {
            Wanted::Completion
        } else {
            Wanted::Ready
        };
        self.ui.step(
            name,
            "Waiting",
            match wanted {
                Wanted::Completion => "(completion)",
                Wanted::Ready => "(ready)",
            },
        );
        let waits = ids
            .iter()
            .map(|id| ready::wait(self.engine, id, wanted, self.deadline));
        let outcomes = join_all(waits).await;
        let mut healthy = true;
        for (id, outcome) in ids.iter().zip(outcomes) {
            match outcome {
                Readiness::Ready { signal, healthy: h } => {
                    healthy &= h;
                    report.signal.get_or_insert(signal.to_string());
                }
                Readiness::Failed {
                    reason,
                    health_output,
                } => {
                    report.state = State::Failed;
                    report.error = Some(format!("{} {reason}", short_id(id)));
                    report.health_output = health_output;
                    self.ui.done(name, false, &reason);
                }
                Readiness::TimedOut { health_output } => {
                    report.state = State::TimedOut;
                    report.error = Some("not ready at the timeout".into());
                    report.health_output = health_output;
                    self.ui.done(name, false, "timed out waiting for readiness");
                }
            }
            if report.state != State::Pending {
                report.logs = self
                    .engine
                    .logs_tail(id, LOG_LINES)
                    .await
                    .unwrap_or_default();
                return Err(Ended);
            }
        }

        Ok((wanted, healthy))
    }

    /// x-phi post_start commands, in the first container, once it is ready.
    async fn post_start(
        &self,
        service: &ServicePlan,
        first: &str,
        report: &mut ServiceReport,
    ) -> Result<(), Ended> {
        let name = service.name.as_str();
        let container = service
            .containers
            .first()
            .map(|c| c.spec.name.as_str())
            .unwrap_or(first);
        for (i, command) in service.post_start.iter().enumerate() {
            let hook = hooks::x_phi_hook(command);
            let target = crate::commands::hooks::Target::Exec {
                id: first,
                name: container,
            };
            self.hook(name, "x-phi.post_start", i, &hook, target, report)
                .await?;
        }
        Ok(())
    }
}

/// Whether a dependency in `phase` meets `condition`: None not yet, Some(Err) never will.
fn meets(phase: &Phase, condition: Condition) -> Option<Result<(), String>> {
    match (phase, condition) {
        (Phase::Failed(why), _) => Some(Err(why.clone())),
        (Phase::Pending, _) => None,
        (Phase::Started, Condition::ServiceStarted) => Some(Ok(())),
        (Phase::Started, _) => None,
        (Phase::Ready { .. } | Phase::Completed, Condition::ServiceStarted) => Some(Ok(())),
        (Phase::Ready { healthy: true }, Condition::ServiceHealthy) => Some(Ok(())),
        (Phase::Ready { healthy: false }, Condition::ServiceHealthy) => Some(Err(
            "a dependency waited for as healthy has no healthcheck".into(),
        )),
        (Phase::Completed, Condition::ServiceCompletedSuccessfully) => Some(Ok(())),
        (Phase::Completed, Condition::ServiceHealthy) => {
            Some(Err("a dependency waited for as healthy exited".into()))
        }
        (Phase::Ready { .. }, Condition::ServiceCompletedSuccessfully) => None,
    }
}

/// The human report: one line per service, then what went wrong and why.
pub fn render_text(report: &Report, color: bool) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    if report.dry_run {
        let _ = writeln!(
            out,
            "Plan for project {} (nothing was changed):",
            report.envelope.project
        );
        for step in &report.images {
            let _ = match step {
                ImageStep::Pull { image, .. } => writeln!(out, "  pull image {image}"),
                ImageStep::Build { image, service, .. } => {
                    writeln!(out, "  build image {image} for {service}")
                }
            };
        }
        for n in &report.networks_created {
            let _ = writeln!(out, "  ensure network {n}");
        }
        for v in &report.volumes_created {
            let _ = writeln!(out, "  ensure volume {v}");
        }
        for o in &report.orphans_removed {
            let _ = writeln!(out, "  remove orphan container {o}");
        }
        for s in &report.services {
            for c in &s.surplus_removed {
                let _ = writeln!(
                    out,
                    "  remove container {c} of {} (beyond its scale)",
                    s.service
                );
            }
        }
        for s in &report.services {
            for h in &s.hooks {
                let place = match &h.image {
                    Some(image) => format!("a new container of {image}"),
                    None => h.container.clone(),
                };
                let _ = writeln!(out, "  run {} of {} in {place}", h.name(), s.service);
            }
        }
    }
    let mut table = crate::output::table::new(
        &["SERVICE", "ACTION", "STATE", "READY AFTER", "SIGNAL"],
        color,
    );
    for s in &report.services {
        table.add_row(vec![
            s.service.clone(),
            s.action.as_str().to_string(),
            s.state.as_str().to_string(),
            s.ready_after
                .map(|t| format!("{t:.1}s"))
                .unwrap_or_default(),
            s.signal.clone().unwrap_or_default(),
        ]);
    }
    out.push_str(&crate::output::table::render(&mut table));
    for s in report.services.iter().filter(|s| s.error.is_some()) {
        let _ = writeln!(
            out,
            "\n{}: {}",
            s.service,
            s.error.as_deref().unwrap_or_default()
        );
        if !s.health_output.is_empty() {
            let _ = writeln!(out, "  last healthcheck output:");
            for line in &s.health_output {
                let _ = writeln!(out, "    {line}");
            }
        }
        if !s.logs.is_empty() {
            let _ = writeln!(out, "  last log lines:");
            for line in &s.logs {
                let _ = writeln!(out, "    {line}");
            }
        }
        for h in s.hooks.iter().filter(|h| !h.ok() && !h.output.is_empty()) {
            let _ = writeln!(out, "  last output of {}:", h.name());
            for line in &h.output {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    for p in &report.problems {
        let _ = writeln!(out, "\nproblem: {p}");
    }
    if !report.dry_run {
        let ready = report.services.iter().filter(|s| s.state.is_up()).count();
        let _ = writeln!(
            out,
            "\n{ready} of {} service(s) up in {}",
            report.services.len(),
            seconds(Duration::from_secs_f64(report.seconds))
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_are_met_or_broken() {
        use Condition::*;
        assert_eq!(meets(&Phase::Pending, ServiceStarted), None);
        assert_eq!(meets(&Phase::Started, ServiceStarted), Some(Ok(())));
        assert_eq!(meets(&Phase::Started, ServiceHealthy), None);
        assert_eq!(
            meets(&Phase::Ready { healthy: true }, ServiceHealthy),
            Some(Ok(()))
        );
        assert!(matches!(
            meets(&Phase::Ready { healthy: false }, ServiceHealthy),
            Some(Err(_))
        ));
        assert_eq!(
            meets(&Phase::Completed, ServiceCompletedSuccessfully),
            Some(Ok(()))
        );
        assert_eq!(
            meets(
                &Phase::Ready { healthy: true },
                ServiceCompletedSuccessfully
            ),
            None
        );
        assert_eq!(
            meets(&Phase::Failed("db exited".into()), ServiceStarted),
            Some(Err("db exited".into()))
        );
    }

    #[test]
    fn preflight_problems_choose_the_exit_status() {
        let config = Problem {
            kind: Kind::Config,
            message: "A is not set".into(),
        };
        let prerequisite = Problem {
            kind: Kind::Prerequisite,
            message: "port 80 is in use".into(),
        };
        let both = preflight_error(&[prerequisite.clone(), config]);
        assert_eq!(both.code, Exit::Usage);
        assert!(both.message.contains("A is not set") && both.message.contains("port 80"));
        assert_eq!(preflight_error(&[prerequisite]).code, Exit::Unavailable);
    }
}
