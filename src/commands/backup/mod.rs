//! `phi backup`: create, list, verify, restore and prune backups of the stack's data.
//!
//! plan:    what each service declares under `x-phi.backup` (recipes.rs, pure)
//! execute: one folder per run, one streamed, compressed, hashed file per item (codec.rs),
//!          manifest.json last (store.rs); retention is pure (retention.rs)
//! report:  what was written, checked, restored or deleted

mod codec;
mod create;
mod crypt;
mod drill;
mod metrics;
mod recipes;
mod restore;
mod retar;
mod retention;
/// Public for the fuzz test (tests/integration/fuzz.rs), which reads manifests directly.
pub mod store;
mod tally;
mod targets;
mod verify;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use serde::Serialize;

use crate::commands::{Ctx, interrupted};
use crate::config::Project;
use crate::config::graph::Graph;
use crate::engine::CALL_TIMEOUT;
use crate::engine::{ContainerInfo, Engine, RunState};
use crate::exit::{Coded, Exit};
use crate::output::Envelope;
use crate::output::Printer;
use crate::output::style::{Palette, Tone};
pub use codec::Compression;
pub use create::BGSAVE_TIMEOUT;

/// How long reaching the engine may take unless --timeout says otherwise.
pub const DEFAULT_CONNECT: Duration = CALL_TIMEOUT;

/// A transfer fails when no byte moves for this long (unless --timeout says otherwise).
pub const DEFAULT_STALL: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub enum Action {
    Create {
        services: Vec<String>,
        prune: bool,
    },
    List,
    Verify {
        id: Option<String>,
    },
    Restore {
        id: String,
        services: Vec<String>,
    },
    /// Restore into throwaway containers and check; `id` may be a backup folder's path.
    Drill {
        id: Option<String>,
    },
    /// Is the newest complete backup younger than `max_age`?
    Check {
        max_age: Duration,
    },
    Prune {
        dry_run: bool,
    },
    /// Copy a local backup (default: the newest complete one) to the targets.
    Push {
        id: Option<String>,
    },
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub action: Action,
    pub dir: Option<PathBuf>,
    pub compression: Option<Compression>,
    pub keep_last: Option<u64>,
    pub keep_days: Option<u64>,
    pub lock_timeout: Duration,
    /// The age identity file for encrypted backups (--identity).
    pub identity: Option<PathBuf>,
    /// Where to write the Prometheus textfile after a run (--prometheus).
    pub prometheus: Option<PathBuf>,
    /// The global --timeout: the stall limit of transfers and the limit of other waits.
    pub timeout: Option<Duration>,
    pub yes: bool,
    /// --to: the targets to copy to (declared names or URLs) [default: every declared one].
    pub to: Vec<String>,
    /// --from: read the backups on this target instead of the local directory.
    pub from: Option<String>,
    /// --keep-local: complete backups to keep on the host once they are on every target.
    pub keep_local: Option<u64>,
}

impl Settings {
    fn stall(&self) -> Duration {
        self.timeout.unwrap_or(DEFAULT_STALL)
    }
}

/// Whether the action needs the engine (list and prune never do; verify can do without).
fn needs_engine(action: &Action) -> bool {
    matches!(
        action,
        Action::Create { .. } | Action::Restore { .. } | Action::Drill { .. }
    )
}

/// Checks that need no engine, run before connecting: a run with nothing to back up is a
/// configuration error (exit 2) even when the engine is down.
fn precheck(project: &Project, opts: &Settings) -> anyhow::Result<()> {
    if let Action::Create { services, .. } = &opts.action {
        create::plan(project, services)?;
    }
    targets::precheck(project, opts)
}

/// `phi backup` and its actions; returns the exit status after printing the report.
/// Handles interruption itself: stopped services are started again, and what was left
/// incomplete is said, before it exits 130. After a backup run, success or failure, the
/// Prometheus textfile is written when one is configured.
pub async fn run(ctx: &Ctx, settings: Settings) -> anyhow::Result<Exit> {
    if !matches!(settings.action, Action::Create { .. }) {
        return run_action(ctx, &settings, &mut metrics::Targets::default()).await;
    }
    let textfile = prometheus_path(&ctx.project, &settings);
    let started = SystemTime::now();
    let clock = Instant::now();
    let mut seen = metrics::Targets::default();
    let result = run_action(ctx, &settings, &mut seen).await;
    if let Some(path) = textfile {
        let exit = match &result {
            Ok(exit) => *exit,
            Err(e) => crate::commands::classify(e),
        };
        let local = backup_dir(&ctx.project, &settings)
            .and_then(|dir| metrics::local(&dir, &ctx.project.name));
        let mut places: Vec<metrics::Place> = local.into_iter().collect();
        places.extend(seen.places);
        let mut run = metrics::Run {
            project: ctx.project.name.clone(),
            started,
            duration: clock.elapsed(),
            success: exit == Exit::Ok,
            exit_code: i32::from(exit.code()),
            places,
            attempts: seen.attempts,
        };
        // Targets this run did not refresh keep what the last textfile said of them.
        if let Ok(previous) = std::fs::read_to_string(&path) {
            let declared = &ctx.project.model.x_phi.backup.targets;
            let ours: Vec<String> = run.attempts.iter().map(|a| a.target.clone()).collect();
            metrics::carry_over(&previous, &mut run, |target| {
                declared.iter().any(|t| t.name == target) || ours.iter().any(|t| t == target)
            });
        }
        match metrics::write(&path, &metrics::render(&run)) {
            Ok(()) => ctx
                .printer
                .progress("Wrote", &format!("metrics to {}", path.display())),
            Err(e) => ctx.printer.warn(&format!(
                "cannot write the metrics file {}: {e}",
                path.display()
            )),
        }
    }
    result
}

/// --prometheus (relative to the current directory), else x-phi backup.prometheus (relative to
/// the project directory).
fn prometheus_path(project: &Project, opts: &Settings) -> Option<PathBuf> {
    match &opts.prometheus {
        Some(path) => std::path::absolute(path).ok(),
        None => project
            .model
            .x_phi
            .backup
            .prometheus
            .as_ref()
            .map(|p| project.directory.join(p)),
    }
}

/// One action; a backup run records its targets' outcomes in `seen`.
async fn run_action(
    ctx: &Ctx,
    settings: &Settings,
    seen: &mut metrics::Targets,
) -> anyhow::Result<Exit> {
    let (project, opts, printer, interrupt) =
        (&ctx.project, settings, &ctx.printer, &ctx.interrupt);
    precheck(project, opts)?;
    let limit = opts.timeout.unwrap_or(DEFAULT_CONNECT);
    let engine = match &opts.action {
        action if needs_engine(action) => Some(ctx.connect(limit).await?.0),
        Action::Verify { .. } => match ctx.connect(limit).await {
            Ok((engine, _)) => Some(engine),
            Err(e) => {
                printer.warn(&format!(
                    "{e:#}; postgres dumps are listed with a local pg_restore if there is one"
                ));
                None
            }
        },
        _ => None,
    };
    let engine = engine.as_ref();
    let dir = backup_dir(project, opts)?;
    if let Some(from) = &opts.from {
        return targets::run_from(ctx, engine, &dir, from, opts).await;
    }
    match &opts.action {
        Action::Create { services, prune } => {
            let engine = engine.context("the engine is needed to make a backup")?;
            // The targets are connected to while the backup is made.
            let (report, opened) = tokio::join!(
                create::run(ctx, engine, &dir, services, *prune, opts),
                targets::Opened::open(ctx, opts)
            );
            targets::finish_create(ctx, &dir, report?, *prune, opts, seen, opened).await
        }
        Action::Push { id } => targets::push(ctx, &dir, id.as_deref(), opts).await,
        Action::List => {
            let report = list(project, &dir)?;
            printer
                .report(&report, |color| render_list(&report, color))
                .context("writing the list")?;
            Ok(Exit::Ok)
        }
        Action::Verify { id } => {
            let report = interrupt
                .run(verify::run(
                    project,
                    engine,
                    &dir,
                    id.as_deref(),
                    opts,
                    printer,
                ))
                .await?;
            printer
                .report(&report, |_| verify::render(&report))
                .context("writing the report")?;
            Ok(if report.ok {
                Exit::Ok
            } else {
                Exit::CheckFailed
            })
        }
        Action::Restore { id, services } => {
            let engine = engine.context("the engine is needed to restore")?;
            let report = restore::run(ctx, engine, &dir, id, services, opts).await?;
            printer
                .report(&report, |_| restore::render(&report))
                .context("writing the report")?;
            Ok(if report.ok { Exit::Ok } else { Exit::Failure })
        }
        Action::Drill { id } => {
            let engine = engine.context("the engine is needed for a drill")?;
            let report = drill::run(ctx, engine, &dir, id.as_deref(), opts).await?;
            printer
                .report(&report, |_| drill::render(&report))
                .context("writing the report")?;
            Ok(if report.ok {
                Exit::Ok
            } else {
                Exit::CheckFailed
            })
        }
        Action::Check { max_age } => {
            let place = metrics::local(&dir, &project.name)?;
            report_check(ctx, dir.display().to_string(), place, *max_age)
        }
        Action::Prune { dry_run } => {
            let policy = policy(project, opts)?;
            if !policy.is_set() {
                return Err(Coded::new(
                    Exit::Usage,
                    "no retention to prune by: give --keep-last or --keep-days, or set \
                     BACKUP_RETENTION_DAYS or x-phi backup.keep_last / keep_days",
                )
                .into());
            }
            // Nothing to prune where nothing was ever written (and no lock file to make). A
            // dry run only reads, so a read-only folder will do.
            let _lock = if !dir.is_dir() {
                None
            } else if *dry_run {
                read_lock(interrupt, printer, &dir, opts).await?
            } else {
                Some(
                    interrupt
                        .run(store::lock(
                            &dir,
                            "backup prune",
                            opts.lock_timeout,
                            |holder| waiting(printer, &dir, holder),
                        ))
                        .await?,
                )
            };
            let report = prune(project, &dir, policy, *dry_run, printer)?;
            printer
                .report(&report, |_| render_prune(&report))
                .context("writing the report")?;
            Ok(if report.problems.is_empty() {
                Exit::Ok
            } else {
                Exit::Failure
            })
        }
    }
}

/// BACKUP_DIR, then x-phi backup.dir, then ./backups; relative paths start at the project
/// directory. The flag wins over all (relative to the current directory, like any flag).
fn backup_dir(project: &Project, opts: &Settings) -> anyhow::Result<PathBuf> {
    resolve_dir(project, opts.dir.as_deref())
}

fn resolve_dir(project: &Project, flag: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = flag {
        return Ok(std::path::absolute(dir)?);
    }
    let configured = match project.env.get("BACKUP_DIR")? {
        Some(dir) if !dir.trim().is_empty() => dir,
        _ => project
            .model
            .x_phi
            .backup
            .dir
            .clone()
            .unwrap_or_else(|| "backups".into()),
    };
    Ok(project.directory.join(configured))
}

/// The project's backups for shell completion, newest first, each with its state: what
/// `phi backup verify/restore <TAB>` offers. Reads the backup directory only; any problem
/// (no directory, unreadable entries) gives none.
pub fn completion_ids(project: &Project, dir: Option<&Path>) -> Vec<(String, &'static str)> {
    match resolve_dir(project, dir) {
        Ok(dir) => completion_ids_in(&dir, &project.name),
        Err(_) => Vec::new(),
    }
}

/// [`completion_ids`] of `project`'s backups in `dir`.
pub fn completion_ids_in(dir: &Path, project: &str) -> Vec<(String, &'static str)> {
    store::scan(dir, project)
        .map(|listing| {
            listing
                .entries
                .into_iter()
                .map(|e| (e.id, e.state.as_str()))
                .collect()
        })
        .unwrap_or_default()
}

/// The retention: flags, then BACKUP_RETENTION_DAYS (days only), then x-phi.
fn policy(project: &Project, opts: &Settings) -> anyhow::Result<retention::Policy> {
    let defaults = &project.model.x_phi.backup;
    let env_days = match project.env.get("BACKUP_RETENTION_DAYS")? {
        Some(text) if !text.trim().is_empty() => {
            Some(text.trim().parse::<u64>().map_err(|_| {
                Coded::new(
                    Exit::Usage,
                    format!("BACKUP_RETENTION_DAYS: `{text}` is not a whole number of days"),
                )
            })?)
        }
        _ => None,
    };
    let days = opts.keep_days.or(env_days).or(defaults.keep_days);
    Ok(retention::Policy {
        keep_last: opts
            .keep_last
            .or(defaults.keep_last)
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        keep_within: days.map(|d| Duration::from_secs(d.saturating_mul(86_400))),
    })
}

/// The container a service's data is in: its first non-one-off container, running ones first.
fn container_for<'a>(containers: &'a [ContainerInfo], service: &str) -> Option<&'a ContainerInfo> {
    containers
        .iter()
        .filter(|c| !c.oneoff && c.service.as_deref() == Some(service))
        .min_by_key(|c| (c.state != RunState::Running, c.number.unwrap_or(u32::MAX)))
}

/// Services in the order to start them (dependencies first); stop in reverse.
fn start_order(project: &Project, services: &BTreeSet<String>) -> anyhow::Result<Vec<String>> {
    let graph = Graph::new(&project.model)?;
    let mut order: Vec<String> = graph
        .start_order()
        .into_iter()
        .filter(|s| services.contains(*s))
        .map(String::from)
        .collect();
    for s in services {
        if !order.contains(s) {
            order.push(s.clone());
        }
    }
    Ok(order)
}

/// A service stopped for a copy, to be started again.
struct Stopped {
    service: String,
    id: String,
}

/// Stop the running containers of `services`, dependents first.
async fn stop_services(
    project: &Project,
    engine: &Engine,
    containers: &[ContainerInfo],
    services: &BTreeSet<String>,
    printer: &Printer,
    stopped: &mut Vec<Stopped>,
) -> anyhow::Result<()> {
    let mut order = start_order(project, services)?;
    order.reverse();
    for service in order {
        let Some(c) = container_for(containers, &service).filter(|c| c.state == RunState::Running)
        else {
            continue;
        };
        let grace = project
            .model
            .services
            .get(&service)
            .and_then(|s| s.stop_grace_period)
            .unwrap_or(crate::spec::DEFAULT_STOP_GRACE);
        printer.progress("Stopping", &format!("{service} ({}) for the copy", c.name));
        // On the restart list before the call: an interrupt that drops the call does not stop
        // the engine from finishing the stop, and the service must be started again then too.
        stopped.push(Stopped {
            service: service.clone(),
            id: c.id.clone(),
        });
        engine.stop_container(&c.id, grace).await?;
    }
    Ok(())
}

/// Start again what `stop_services` stopped, dependencies first; returns the problems.
async fn restart_services(
    project: &Project,
    engine: &Engine,
    stopped: &[Stopped],
    printer: &Printer,
) -> Vec<String> {
    let names: BTreeSet<String> = stopped.iter().map(|s| s.service.clone()).collect();
    let order = start_order(project, &names).unwrap_or_else(|_| names.into_iter().collect());
    let mut problems = Vec::new();
    for service in order {
        for s in stopped.iter().filter(|s| s.service == service) {
            match engine.start_container(&s.id).await {
                Ok(()) => printer.progress("Started", &format!("{service} again")),
                Err(e) => {
                    printer.warn(&format!("{service} could not be started again: {e}"));
                    problems.push(format!("{service} could not be started again: {e}"));
                }
            }
        }
    }
    problems
}

/// The backup folder's lock for a run that only reads it; in a read-only folder without a
/// lock file, none, with a note.
async fn read_lock(
    interrupt: &crate::commands::Interrupt,
    printer: &Printer,
    dir: &Path,
    opts: &Settings,
) -> anyhow::Result<Option<crate::commands::lock::Lock>> {
    let lock = interrupt
        .run(store::lock_shared(dir, opts.lock_timeout, |holder| {
            waiting(printer, dir, holder)
        }))
        .await?;
    if lock.is_none() {
        printer.progress(
            "Reading",
            &format!(
                "{} without a lock: it is not writable and has no lock file",
                dir.display()
            ),
        );
    }
    Ok(lock)
}

/// Say that a run waits for another one's lock.
fn waiting(printer: &Printer, dir: &Path, holder: &str) {
    printer.progress(
        "Waiting",
        &format!("for the lock on {}, held by {holder}", dir.display()),
    );
}

/// A byte counter that shows on the terminal while a file moves.
fn transfer(printer: &Printer, label: &str) -> (crate::output::Transfer, codec::Progress) {
    let bar = printer.transfer(label);
    let counter = bar.counter();
    (bar, Arc::new(counter))
}

fn seconds(since: Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 1000.0).round() / 1000.0
}

fn age(time: SystemTime, now: SystemTime) -> String {
    let secs = now.duration_since(time).unwrap_or_default().as_secs();
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 7_200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3_600),
        s => format!("{}d", s / 86_400),
    }
}

/// `check`'s verdict on one place (the local folder or a `--from` target), printed; exit 3
/// when its newest complete backup is older than `max_age`.
fn report_check(
    ctx: &Ctx,
    dir: String,
    place: metrics::Place,
    max_age: Duration,
) -> anyhow::Result<Exit> {
    let fresh = metrics::freshness(vec![place], max_age, SystemTime::now());
    let report = CheckReport {
        envelope: Envelope::new(&ctx.project.name),
        dir,
        freshness: fresh,
    };
    ctx.printer
        .report(&report, |_| {
            format!(
                "{}: {}\n",
                report.envelope.project, report.freshness.message
            )
        })
        .context("writing the report")?;
    Ok(if report.freshness.ok {
        Exit::Ok
    } else {
        Exit::CheckFailed
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    #[serde(flatten)]
    pub envelope: Envelope,
    pub dir: String,
    #[serde(flatten)]
    pub freshness: metrics::Freshness,
}

// ---------------------------------------------------------------------------------- list --

#[derive(Debug, Clone, Serialize)]
pub struct ListedBackup {
    pub id: String,
    pub state: store::State,
    pub time: String,
    pub age_seconds: u64,
    pub size_bytes: u64,
    pub items: usize,
    pub services: Vec<String>,
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ListReport {
    #[serde(flatten)]
    pub envelope: Envelope,
    pub dir: String,
    pub backups: Vec<ListedBackup>,
    /// Folders named like this project's backups that phi did not write; never touched.
    pub foreign: Vec<String>,
}

fn list(project: &Project, dir: &Path) -> anyhow::Result<ListReport> {
    let listing = store::scan(dir, &project.name)
        .with_context(|| format!("cannot read {}", dir.display()))?;
    let now = SystemTime::now();
    let backups = listing
        .entries
        .iter()
        .map(|e| {
            let items = e
                .manifest
                .as_ref()
                .map(|m| m.items.as_slice())
                .unwrap_or(&[]);
            let mut services: Vec<String> = items.iter().map(|i| i.service.clone()).collect();
            services.dedup();
            ListedBackup {
                id: e.id.clone(),
                state: e.state,
                time: store::rfc3339(e.time),
                age_seconds: now.duration_since(e.time).unwrap_or_default().as_secs(),
                size_bytes: e.size,
                items: items.len(),
                services,
                problem: e.problem.clone(),
            }
        })
        .collect();
    Ok(ListReport {
        envelope: Envelope::new(&project.name),
        dir: dir.display().to_string(),
        backups,
        foreign: listing.foreign,
    })
}

fn render_list(report: &ListReport, color: bool) -> String {
    let now = SystemTime::now();
    if report.backups.is_empty() {
        return format!(
            "no backups of {} in {}\n",
            report.envelope.project, report.dir
        );
    }
    let mut table =
        crate::output::table::new(&["ID", "STATE", "AGE", "SIZE", "ITEMS", "SERVICES"], color);
    for b in &report.backups {
        let time = humantime::parse_rfc3339(&b.time).unwrap_or(now);
        let state = match b.state {
            store::State::Complete => b.state.as_str().to_string(),
            _ => Palette::new(color).paint(Tone::Warn, b.state.as_str()),
        };
        table.add_row(vec![
            b.id.clone(),
            state,
            age(time, now),
            crate::units::format_bytes(b.size_bytes),
            b.items.to_string(),
            if b.services.is_empty() {
                "-".into()
            } else {
                b.services.join(",")
            },
        ]);
    }
    let mut text = crate::output::table::render(&mut table);
    for name in &report.foreign {
        text.push_str(&format!(
            "note: {name} is named like a backup but was not written by phi; it is left alone\n"
        ));
    }
    text
}

// --------------------------------------------------------------------------------- prune --

#[derive(Debug, Clone, Serialize)]
pub struct PruneReport {
    #[serde(flatten)]
    pub envelope: Envelope,
    pub dir: String,
    pub dry_run: bool,
    pub verdicts: Vec<retention::Verdict>,
    pub removed: Vec<String>,
    pub foreign: Vec<String>,
    pub problems: Vec<String>,
}

/// Delete what the policy does not keep. The caller holds the directory's lock.
fn prune(
    project: &Project,
    dir: &Path,
    policy: retention::Policy,
    dry_run: bool,
    printer: &Printer,
) -> anyhow::Result<PruneReport> {
    let listing = store::scan(dir, &project.name)
        .with_context(|| format!("cannot read {}", dir.display()))?;
    let candidates: Vec<(String, SystemTime, store::State)> = listing
        .entries
        .iter()
        .map(|e| (e.id.clone(), e.time, e.state))
        .collect();
    let verdicts = retention::select(&candidates, policy, SystemTime::now());
    let mut removed = Vec::new();
    let mut problems = Vec::new();
    for v in verdicts.iter().filter(|v| !v.keep) {
        let Some(entry) = listing.entries.iter().find(|e| e.id == v.id) else {
            continue;
        };
        if dry_run {
            printer.progress("Would delete", &format!("{} ({})", v.id, v.reason));
            continue;
        }
        // Only what phi wrote: the marker is checked again right before deleting.
        if !entry.path.join(store::MARKER).is_file() {
            problems.push(format!("{}: phi's marker is gone; left alone", v.id));
            continue;
        }
        match std::fs::remove_dir_all(&entry.path) {
            Ok(()) => {
                printer.progress("Deleted", &format!("{} ({})", v.id, v.reason));
                removed.push(v.id.clone());
            }
            Err(e) => problems.push(format!("{}: cannot delete: {e}", v.id)),
        }
    }
    if !removed.is_empty() {
        codec::sync_dir(dir)?;
    }
    for name in &listing.foreign {
        printer.note(&format!(
            "{name} is named like a backup but phi did not write it; left alone"
        ));
    }
    Ok(PruneReport {
        envelope: Envelope::new(&project.name),
        dir: dir.display().to_string(),
        dry_run,
        verdicts,
        removed,
        foreign: listing.foreign,
        problems,
    })
}

fn render_prune(report: &PruneReport) -> String {
    let mut text = String::new();
    for v in &report.verdicts {
        let what = match (v.keep, report.dry_run) {
            (true, _) => "keep",
            (false, true) => "would delete",
            (false, false) if report.removed.contains(&v.id) => "deleted",
            (false, false) => "not deleted",
        };
        text.push_str(&format!("{:<12} {}  ({})\n", what, v.id, v.reason));
    }
    for name in &report.foreign {
        text.push_str(&format!(
            "{:<12} {name}  (not written by phi)\n",
            "left alone"
        ));
    }
    for p in &report.problems {
        text.push_str(&format!("problem: {p}\n"));
    }
    let kept = report.verdicts.iter().filter(|v| v.keep).count();
    text.push_str(&format!(
        "{}: {} kept, {} {}\n",
        report.envelope.project,
        kept,
        if report.dry_run {
            report.verdicts.len() - kept
        } else {
            report.removed.len()
        },
        if report.dry_run {
            "would be deleted"
        } else {
            "deleted"
        }
    ));
    text
}
