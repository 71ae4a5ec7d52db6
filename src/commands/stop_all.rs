//! `phi stop-all`: stop the stack in reverse dependency order, optionally removing its
//! containers, networks and volumes (`docker compose stop` / `down` through the Engine API).
//!
//! plan:    which containers, in which order, what happens to each (pure)
//! execute: a task per service that starts when every service depending on it has stopped
//! report:  what was done to each container, network and volume

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde::Serialize;
use tokio::sync::watch;

use anyhow::Context;

use crate::commands::Ctx;
use crate::commands::hooks::{self, HookReport, Target};
use crate::config::Project;
use crate::config::graph::Graph;
use crate::engine::{CALL_TIMEOUT, NetworkRef};
use crate::engine::{ContainerInfo, Engine, RunState};
use crate::exit::{Coded, Exit};
use crate::output::Envelope;
use crate::output::Printer;
use crate::spec::HookSpec;

/// Compose's default time between the stop signal and SIGKILL.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(10);
/// How long a container's pre_stop hooks may take together, unless --timeout says.
pub const DEFAULT_HOOK_LIMIT: Duration = Duration::from_secs(300);

#[derive(Debug, Clone)]
pub struct Settings {
    pub services: Vec<String>,
    pub remove: bool,
    pub volumes: bool,
    pub remove_orphans: bool,
    pub dry_run: bool,
    /// Overrides every service's stop_grace_period.
    pub timeout: Option<Duration>,
    pub yes: bool,
}

/// What happens to one container.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub service: String,
    pub container: String,
    #[serde(skip)]
    pub id: String,
    /// Stop it (it is running, restarting or paused).
    pub stop: bool,
    pub remove: bool,
    pub grace_seconds: f64,
    /// The service's pre_stop hooks, run in the container before it is stopped (only a
    /// running one: a hook cannot run in a paused or restarting container).
    #[serde(skip)]
    pub pre_stop: Vec<HookSpec>,
}

/// The plan: steps grouped by service, and the order constraints between services.
#[derive(Debug, Clone)]
pub struct Plan {
    pub steps: BTreeMap<String, Vec<Step>>,
    /// service -> services that must be stopped before it (its dependents).
    pub after: BTreeMap<String, BTreeSet<String>>,
}

/// Decide what to do. Pure: the containers and each service's pre_stop hooks come in as
/// data.
pub fn plan(
    project: &Project,
    graph: &Graph,
    containers: &[ContainerInfo],
    opts: &Settings,
    selected: Option<&BTreeSet<&str>>,
    pre_stop: &BTreeMap<String, Vec<HookSpec>>,
) -> Plan {
    let declared = &project.model.services;
    let mut steps: BTreeMap<String, Vec<Step>> = BTreeMap::new();
    for c in containers.iter().filter(|c| !c.oneoff) {
        let service = c.service.clone().unwrap_or_default();
        let is_declared = declared.contains_key(&service);
        let wanted = if is_declared {
            selected.is_none_or(|s| s.contains(service.as_str()))
        } else {
            opts.remove_orphans && selected.is_none()
        };
        if !wanted {
            continue;
        }
        let grace = opts
            .timeout
            .or_else(|| declared.get(&service).and_then(|s| s.stop_grace_period))
            .unwrap_or(DEFAULT_GRACE);
        let hooks = match c.state {
            RunState::Running => pre_stop.get(&service).cloned().unwrap_or_default(),
            _ => Vec::new(),
        };
        steps.entry(service.clone()).or_default().push(Step {
            service,
            container: c.name.clone(),
            id: c.id.clone(),
            stop: matches!(
                c.state,
                RunState::Running | RunState::Restarting | RunState::Paused
            ),
            remove: opts.remove || (!is_declared && opts.remove_orphans),
            grace_seconds: grace.as_secs_f64(),
            pre_stop: hooks,
        });
    }
    let after = steps
        .keys()
        .map(|service| {
            let dependents = graph
                .dependents(service)
                .into_iter()
                .filter(|d| steps.contains_key(*d))
                .map(String::from)
                .collect();
            (service.clone(), dependents)
        })
        .collect();
    Plan { steps, after }
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub service: String,
    pub container: String,
    /// `stopped`, `removed`, `stopped and removed`, `already stopped`, or `failed`.
    pub action: String,
    pub seconds: f64,
    pub error: Option<String>,
    /// Its pre_stop hooks (with --dry-run: that would run), each with its result.
    pub hooks: Vec<HookReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    #[serde(flatten)]
    pub envelope: Envelope,
    pub ok: bool,
    pub dry_run: bool,
    /// Services in the order they stop (a service after everything that depends on it).
    pub order: Vec<String>,
    pub containers: Vec<Outcome>,
    pub networks_removed: Vec<String>,
    pub volumes_removed: Vec<String>,
    /// Containers left by pre_start hooks, removed with `--remove` (short IDs).
    pub hook_containers_removed: Vec<String>,
    pub problems: Vec<String>,
}

/// A network's name, with its short ID when the project has two of that name.
fn shown_network(network: &NetworkRef, all: &[NetworkRef]) -> String {
    if all.iter().filter(|n| n.name == network.name).count() > 1 {
        format!(
            "{} ({})",
            network.name,
            &network.id[..network.id.len().min(12)]
        )
    } else {
        network.name.clone()
    }
}

/// How long stop-all waits for another run on the project without --timeout.
pub const LOCK_WAIT: Duration = Duration::from_secs(300);

/// `phi stop-all`: the report, printed; 0 when everything asked for was done, 1 otherwise.
pub async fn run(ctx: &Ctx, settings: Settings) -> anyhow::Result<Exit> {
    let (engine, _) = ctx.connect(CALL_TIMEOUT).await?;
    let _lock = if settings.dry_run {
        None
    } else {
        let limit = settings.timeout.unwrap_or(LOCK_WAIT);
        Some(ctx.lock_project(&engine, "stop-all", limit).await?)
    };
    let report = stop(&ctx.project, &engine, &settings, &ctx.printer).await?;
    ctx.printer
        .report(&report, |_| render_text(&report))
        .context("writing the report")?;
    Ok(if report.ok { Exit::Ok } else { Exit::Failure })
}

/// Plan, confirm, then stop (and remove) in reverse dependency order.
pub async fn stop(
    project: &Project,
    engine: &Engine,
    opts: &Settings,
    printer: &Printer,
) -> anyhow::Result<Report> {
    let graph = Graph::new(&project.model)?;
    let selected = project.select(&opts.services)?;
    if opts.volumes && selected.is_some() {
        return Err(Coded::new(
            Exit::Usage,
            "--volumes removes the whole project's volumes; it cannot be combined with --services",
        )
        .into());
    }
    // The list says all stopping needs (states, services, names): nothing is inspected.
    let containers = engine
        .project_containers_where(&project.name, |_| false)
        .await?;
    let pre_stop = pre_stop_hooks(project, selected.as_ref())?;
    let plan = plan(
        project,
        &graph,
        &containers,
        opts,
        selected.as_ref(),
        &pre_stop,
    );
    let volumes = if opts.volumes {
        engine.project_volumes(&project.name).await?
    } else {
        Vec::new()
    };

    if !volumes.is_empty() && !opts.dry_run {
        let question = format!(
            "Remove {} volume(s) of project {} ({})? Their data is deleted.",
            volumes.len(),
            project.name,
            volumes.join(", ")
        );
        let action = format!("delete {} volume(s)", volumes.len());
        crate::commands::confirm_destructive(printer, opts.yes, &action, &question)?;
    }

    if opts.dry_run {
        return dry_run(project, engine, &plan, opts, selected.as_ref(), &volumes).await;
    }

    // One sender per service, set when it is done (to whether all its containers stopped);
    // a service waits for its dependents, and is left running when one of them is (its
    // pre_stop hook or its stop failed), as Compose stops there too.
    type Done = Option<bool>;
    let channels: BTreeMap<&str, (watch::Sender<Done>, watch::Receiver<Done>)> = plan
        .steps
        .keys()
        .map(|s| (s.as_str(), watch::channel(None)))
        .collect();
    let hook_limit = opts.timeout.unwrap_or(DEFAULT_HOOK_LIMIT);
    let tasks = plan.steps.iter().map(|(service, steps)| {
        let waits: Vec<(&String, watch::Receiver<Done>)> = plan.after[service]
            .iter()
            .filter_map(|d| channels.get(d.as_str()).map(|(_, rx)| (d, rx.clone())))
            .collect();
        let done = &channels[service.as_str()].0;
        async move {
            let mut running = Vec::new();
            for (dependent, mut rx) in waits {
                if let Ok(v) = rx.wait_for(Option::is_some).await {
                    if *v == Some(false) {
                        running.push(dependent.as_str());
                    }
                }
            }
            let outcomes: Vec<Outcome> = if running.is_empty() {
                let run = steps
                    .iter()
                    .map(|s| execute(engine, s, printer, hook_limit));
                join_all(run).await
            } else {
                let why = format!(
                    "not stopped: {} (which depends on it) is still running",
                    running.join(", ")
                );
                steps
                    .iter()
                    .map(|s| left_running(s, &why, printer))
                    .collect()
            };
            let _ = done.send(Some(outcomes.iter().all(|o| o.error.is_none())));
            outcomes
        }
    });
    let mut outcomes: Vec<Outcome> = join_all(tasks).await.into_iter().flatten().collect();
    outcomes.sort_by(|a, b| (&a.service, &a.container).cmp(&(&b.service, &b.container)));

    let mut problems: Vec<String> = outcomes
        .iter()
        .filter_map(|o| o.error.as_ref().map(|e| format!("{}: {e}", o.container)))
        .collect();
    let mut hook_containers_removed = Vec::new();
    if opts.remove {
        let (removed, failed) =
            remove_hook_containers(project, engine, selected.as_ref(), printer).await?;
        hook_containers_removed = removed;
        problems.extend(failed);
    }
    let mut networks_removed = Vec::new();
    let mut volumes_removed = Vec::new();
    if opts.remove && problems.is_empty() && selected.is_none() {
        let networks = engine.project_networks(&project.name).await?;
        for network in &networks {
            let shown = shown_network(network, &networks);
            match engine.remove_network(network).await {
                Ok(()) => {
                    printer.progress("Removed", &format!("network {shown}"));
                    networks_removed.push(shown);
                }
                Err(e) => problems.push(format!("network {shown}: {e}")),
            }
        }
        for volume in &volumes {
            match engine.remove_volume(volume).await {
                Ok(()) => {
                    printer.progress("Removed", &format!("volume {volume}"));
                    volumes_removed.push(volume.clone());
                }
                Err(e) => problems.push(format!("volume {volume}: {e}")),
            }
        }
    } else if opts.remove && !problems.is_empty() {
        problems.push("networks and volumes were left in place because a container failed".into());
    }
    Ok(Report {
        envelope: Envelope::new(&project.name),
        ok: problems.is_empty(),
        dry_run: false,
        order: stop_order(&plan),
        containers: outcomes,
        networks_removed,
        volumes_removed,
        hook_containers_removed,
        problems,
    })
}

/// The pre_stop hooks of the selected services (all: None); a bad hook is a configuration
/// error.
fn pre_stop_hooks(
    project: &Project,
    selected: Option<&BTreeSet<&str>>,
) -> Result<BTreeMap<String, Vec<HookSpec>>, crate::config::ConfigError> {
    let mut hooks = BTreeMap::new();
    for name in project.model.services.keys() {
        if selected.is_none_or(|s| s.contains(name.as_str())) {
            let pre_stop = crate::spec::service_hooks(project, name)?.pre_stop;
            hooks.insert(name.clone(), pre_stop);
        }
    }
    Ok(hooks)
}

/// What the real run would do, with everything it would remove looked up the way the real
/// run looks it up.
async fn dry_run(
    project: &Project,
    engine: &Engine,
    plan: &Plan,
    opts: &Settings,
    selected: Option<&BTreeSet<&str>>,
    volumes: &[String],
) -> anyhow::Result<Report> {
    let networks = if opts.remove && selected.is_none() {
        let all = engine.project_networks(&project.name).await?;
        all.iter().map(|n| shown_network(n, &all)).collect()
    } else {
        Vec::new()
    };
    let hooks = if opts.remove {
        hook_container_ids(project, engine, selected)
            .await?
            .iter()
            .map(|id| crate::engine::containers::short_id(id).to_string())
            .collect()
    } else {
        Vec::new()
    };
    let mut report = dry_run_report(project, plan, opts, networks, volumes);
    report.hook_containers_removed = hooks;
    Ok(report)
}

/// The pre_start hook containers `--remove` removes: those of the selected services (all:
/// None).
async fn hook_container_ids(
    project: &Project,
    engine: &Engine,
    selected: Option<&BTreeSet<&str>>,
) -> anyhow::Result<Vec<String>> {
    let services: Vec<Option<&str>> = match selected {
        None => vec![None],
        Some(names) => names.iter().map(|s| Some(*s)).collect(),
    };
    let mut ids = Vec::new();
    for service in services {
        ids.extend(
            engine
                .hook_containers(&project.name, service, "pre_start")
                .await?,
        );
    }
    Ok(ids)
}

/// With --remove, the pre_start hook containers that failed runs kept for inspection go too
/// (as with `docker compose down`); returns the ones removed (short IDs) and, as problems,
/// what could not be removed.
async fn remove_hook_containers(
    project: &Project,
    engine: &Engine,
    selected: Option<&BTreeSet<&str>>,
    printer: &Printer,
) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let mut removed = Vec::new();
    let mut problems = Vec::new();
    for id in hook_container_ids(project, engine, selected).await? {
        let shown = crate::engine::containers::short_id(&id).to_string();
        match engine.remove_hook_container(&id).await {
            Ok(()) => {
                printer.progress("Removed", &format!("pre_start container {shown}"));
                removed.push(shown);
            }
            Err(e) => problems.push(format!("pre_start container {shown}: {e}")),
        }
    }
    Ok((removed, problems))
}

/// A container not stopped because a service that depends on it is still running.
fn left_running(step: &Step, why: &str, printer: &Printer) -> Outcome {
    printer.warn(&format!("{}: {why}", step.container));
    Outcome {
        service: step.service.clone(),
        container: step.container.clone(),
        action: "failed".into(),
        seconds: 0.0,
        error: Some(why.to_string()),
        hooks: Vec::new(),
    }
}

/// Run the container's pre_stop hooks within `limit`; the first failure says why (the
/// container is then not stopped, as in Compose), and its last output lines are shown.
async fn pre_stop(
    engine: &Engine,
    step: &Step,
    printer: &Printer,
    limit: Duration,
) -> (Vec<HookReport>, Option<String>) {
    let deadline = tokio::time::Instant::now() + limit;
    let mut reports = Vec::new();
    let each = |line: &str| printer.progress("Output", &format!("{} | {line}", step.service));
    for (i, hook) in step.pre_stop.iter().enumerate() {
        printer.progress(
            "Running",
            &format!("{} pre_stop[{i}] `{}`", step.service, hook.shown()),
        );
        let target = Target::Exec {
            id: &step.id,
            name: &step.container,
        };
        let report = hooks::run(engine, "pre_stop", i, hook, target, deadline, &each).await;
        let error = report.error.clone();
        reports.push(report);
        if let Some(error) = error {
            return (
                reports,
                Some(format!("{error}; the container was not stopped")),
            );
        }
    }
    (reports, None)
}

async fn execute(engine: &Engine, step: &Step, printer: &Printer, hook_limit: Duration) -> Outcome {
    let start = Instant::now();
    let mut done = Vec::new();
    let (hooks, mut error) = pre_stop(engine, step, printer, hook_limit).await;
    if step.stop && error.is_none() {
        printer.progress(
            "Stopping",
            &format!("{} ({})", step.service, step.container),
        );
        match engine
            .stop_container(&step.id, Duration::from_secs_f64(step.grace_seconds))
            .await
        {
            Ok(()) => done.push("stopped"),
            Err(e) => error = Some(e.to_string()),
        }
    }
    if step.remove && error.is_none() {
        match engine.remove_container(&step.id).await {
            Ok(()) => done.push("removed"),
            Err(e) => error = Some(e.to_string()),
        }
    }
    let seconds = (start.elapsed().as_secs_f64() * 100.0).round() / 100.0;
    let action = match (&error, done.as_slice()) {
        (Some(_), _) => "failed".to_string(),
        (None, []) => "already stopped".to_string(),
        (None, actions) => actions.join(" and "),
    };
    match (&error, done.as_slice()) {
        (Some(e), _) => printer.warn(&format!("{}: {e}", step.container)),
        (None, []) => {}
        (None, actions) => {
            // One right-aligned verb: the last thing done.
            let verb = if actions.contains(&"removed") {
                "Removed"
            } else {
                "Stopped"
            };
            let stopped_too = if actions.len() > 1 {
                ", stopped first,"
            } else {
                ""
            };
            printer.progress(
                verb,
                &format!(
                    "{} ({}){stopped_too} in {seconds:.1}s",
                    step.service, step.container
                ),
            );
        }
    }
    Outcome {
        service: step.service.clone(),
        container: step.container.clone(),
        action,
        seconds,
        error,
        hooks,
    }
}

/// What stop-all would do. `networks` are the ones `--remove` would remove.
fn dry_run_report(
    project: &Project,
    plan: &Plan,
    opts: &Settings,
    networks: Vec<String>,
    volumes: &[String],
) -> Report {
    let mut containers = Vec::new();
    for steps in plan.steps.values() {
        for step in steps {
            let action = match (step.stop, step.remove) {
                (true, true) => "would stop and remove",
                (true, false) => "would stop",
                (false, true) => "would remove",
                (false, false) => "already stopped",
            };
            let hooks = step
                .pre_stop
                .iter()
                .enumerate()
                .map(|(i, h)| HookReport::planned("pre_stop", i, h, &step.container))
                .collect();
            containers.push(Outcome {
                service: step.service.clone(),
                container: step.container.clone(),
                action: action.into(),
                seconds: 0.0,
                error: None,
                hooks,
            });
        }
    }
    Report {
        envelope: Envelope::new(&project.name),
        ok: true,
        dry_run: true,
        order: stop_order(plan),
        containers,
        networks_removed: networks,
        volumes_removed: if opts.remove {
            volumes.to_vec()
        } else {
            Vec::new()
        },
        hook_containers_removed: Vec::new(),
        problems: Vec::new(),
    }
}

/// The order in which services stop: dependents before what they depend on.
pub fn stop_order(plan: &Plan) -> Vec<String> {
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut order = Vec::new();
    while done.len() < plan.steps.len() {
        let ready: Vec<String> = plan
            .after
            .iter()
            .filter(|(s, deps)| !done.contains(*s) && deps.iter().all(|d| done.contains(d)))
            .map(|(s, _)| s.clone())
            .collect();
        if ready.is_empty() {
            break;
        }
        done.extend(ready.iter().cloned());
        order.extend(ready);
    }
    order
}

/// The human summary (the dry run's plan, or what was done).
pub fn render_text(report: &Report) -> String {
    let mut out = String::new();
    if report.dry_run {
        out.push_str(&format!(
            "{}: stop order {}\n",
            report.envelope.project,
            report.order.join(" -> ")
        ));
        for c in &report.containers {
            out.push_str(&format!(
                "  {} ({}): {}\n",
                c.service, c.container, c.action
            ));
            for h in &c.hooks {
                out.push_str(&format!("    first run {}\n", h.name()));
            }
        }
        for n in &report.networks_removed {
            out.push_str(&format!("  network {n}: would remove\n"));
        }
        for v in &report.volumes_removed {
            out.push_str(&format!("  volume {v}: would remove\n"));
        }
        for h in &report.hook_containers_removed {
            out.push_str(&format!("  pre_start container {h}: would remove\n"));
        }
        return out;
    }
    let stopped = report
        .containers
        .iter()
        .filter(|c| c.action.contains("stopped") && c.action != "already stopped")
        .count();
    let removed = report
        .containers
        .iter()
        .filter(|c| c.action.contains("removed"))
        .count();
    out.push_str(&format!(
        "{}: {stopped} stopped, {removed} removed, {} network(s) and {} volume(s) removed{}\n",
        report.envelope.project,
        report.networks_removed.len(),
        report.volumes_removed.len(),
        if report.ok { "" } else { "; problems below" }
    ));
    for p in &report.problems {
        out.push_str(&format!("✗ {p}\n"));
    }
    for c in &report.containers {
        for h in c.hooks.iter().filter(|h| !h.ok() && !h.output.is_empty()) {
            out.push_str(&format!(
                "last output of {} in {}:\n",
                h.name(),
                c.container
            ));
            for line in &h.output {
                out.push_str(&format!("    {line}\n"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::compose::Condition;
    use crate::testing::container;

    fn project(edges: &[(&str, &[&str])]) -> Project {
        let mut model = crate::testing::model(edges, Condition::ServiceHealthy);
        if let Some(db) = model.services.get_mut("db") {
            db.stop_grace_period = Some(Duration::from_secs(30));
        }
        crate::testing::project(
            "p",
            std::path::Path::new("/"),
            model,
            crate::testing::no_env(),
        )
    }

    fn opts() -> Settings {
        Settings {
            services: vec![],
            remove: false,
            volumes: false,
            remove_orphans: false,
            dry_run: false,
            timeout: None,
            yes: false,
        }
    }

    #[test]
    fn dependents_stop_first_and_grace_periods_apply() {
        let p = project(&[
            ("web", &["api"]),
            ("api", &["db"]),
            ("db", &[]),
            ("cron", &["db"]),
        ]);
        let g = Graph::new(&p.model).unwrap();
        let containers = vec![
            container("web", RunState::Running),
            container("api", RunState::Running),
            container("db", RunState::Running),
            container("cron", RunState::Exited),
        ];
        let plan = plan(&p, &g, &containers, &opts(), None, &BTreeMap::new());
        assert_eq!(stop_order(&plan), ["cron", "web", "api", "db"]);
        assert_eq!(
            plan.after["db"],
            BTreeSet::from(["api".into(), "cron".into()])
        );
        assert_eq!(plan.steps["db"][0].grace_seconds, 30.0);
        assert_eq!(plan.steps["api"][0].grace_seconds, 10.0);
        assert!(
            !plan.steps["cron"][0].stop,
            "an exited container is not stopped again"
        );
        let fast = Settings {
            timeout: Some(Duration::from_secs(2)),
            ..opts()
        };
        let plan = super::plan(&p, &g, &containers, &fast, None, &BTreeMap::new());
        assert_eq!(plan.steps["db"][0].grace_seconds, 2.0);
    }

    #[test]
    fn orphans_only_with_remove_orphans_and_selection_limits_services() {
        let p = project(&[("web", &[]), ("db", &[])]);
        let g = Graph::new(&p.model).unwrap();
        let containers = vec![
            container("web", RunState::Running),
            container("db", RunState::Running),
            container("old", RunState::Running),
        ];
        let plan1 = plan(&p, &g, &containers, &opts(), None, &BTreeMap::new());
        assert!(!plan1.steps.contains_key("old"));
        let with = Settings {
            remove_orphans: true,
            ..opts()
        };
        let plan2 = plan(&p, &g, &containers, &with, None, &BTreeMap::new());
        assert!(plan2.steps["old"][0].remove);
        let only: BTreeSet<&str> = BTreeSet::from(["web"]);
        let plan3 = plan(&p, &g, &containers, &opts(), Some(&only), &BTreeMap::new());
        assert_eq!(plan3.steps.keys().collect::<Vec<_>>(), ["web"]);
    }
}
