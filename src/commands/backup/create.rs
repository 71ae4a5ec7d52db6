//! `phi backup [create]`: one run, one folder, one file per item, manifest.json last.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, anyhow};
use serde::Serialize;

use super::codec::{self, Compression, Pending, Shape, Written};
use super::crypt::Recipients;
use super::recipes::{self, Kind, Plan, Planned};
use super::store::{self, Item, Manifest};
use super::{Settings, Stopped, container_for, seconds, transfer};
use crate::commands::{Ctx, Interrupt};
use crate::config::Project;
use crate::engine::archive::StreamExec;
use crate::engine::{CALL_TIMEOUT, ContainerInfo, Engine, EngineError, RunState};
use crate::exit::{Coded, Exit};
use crate::output::Envelope;
use crate::output::Printer;
use crate::units::format_bytes;

/// How long a BGSAVE may take before the run gives up (unless --timeout says otherwise).
pub const BGSAVE_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    #[serde(flatten)]
    pub envelope: Envelope,
    pub ok: bool,
    /// The folder's name, also when the run failed (then it is incomplete).
    pub id: Option<String>,
    pub path: Option<String>,
    pub compression: Compression,
    /// The age recipients the files were encrypted to (empty: not encrypted).
    pub age_recipients: Vec<String>,
    pub items: Vec<Item>,
    pub duration_seconds: f64,
    /// Backups deleted by the retention after this run.
    pub pruned: Vec<String>,
    pub problems: Vec<String>,
    #[serde(skip)]
    pub exit: Exit,
}

pub fn render(report: &Report, color: bool) -> String {
    let mut text = String::new();
    if !report.items.is_empty() {
        let mut table =
            crate::output::table::new(&["SERVICE", "RECIPE", "SOURCE", "SIZE", "FILE"], color);
        for item in &report.items {
            table.add_row(vec![
                item.service.clone(),
                item.recipe.clone(),
                item.source.clone(),
                format_bytes(item.size),
                item.file.clone(),
            ]);
        }
        text.push_str(&crate::output::table::render(&mut table));
    }
    for p in &report.problems {
        text.push_str(&format!("problem: {p}\n"));
    }
    match (&report.id, report.ok) {
        (Some(id), true) => text.push_str(&format!(
            "{}: backup {id} complete, {} item(s), {} in {:.1}s{}\n",
            report.envelope.project,
            report.items.len(),
            format_bytes(report.items.iter().map(|i| i.size).sum()),
            report.duration_seconds,
            if report.pruned.is_empty() {
                String::new()
            } else {
                format!(", {} old backup(s) pruned", report.pruned.len())
            }
        )),
        (Some(id), false) => text.push_str(&format!(
            "{}: backup {id} FAILED and is left incomplete (no manifest.json)\n",
            report.envelope.project
        )),
        (None, _) => text.push_str(&format!(
            "{}: no backup was made\n",
            report.envelope.project
        )),
    }
    text
}

pub async fn run(
    ctx: &Ctx,
    engine: &Engine,
    dir: &Path,
    services: &[String],
    prune_after: bool,
    opts: &Settings,
) -> anyhow::Result<Report> {
    let (project, printer, interrupt) = (&ctx.project, &ctx.printer, &ctx.interrupt);
    let plan = plan(project, services)?;
    let compression = match (
        opts.compression,
        project.model.x_phi.backup.compression.as_deref(),
    ) {
        (Some(c), _) => c,
        (None, Some("gzip")) => Compression::Gzip,
        _ => Compression::Zstd,
    };
    let policy = super::policy(project, opts)?;
    let seal = super::crypt::recipients(project)?;
    // The lock first: while another run copies a container's files, the engine answers
    // questions about that container only when the copy is done.
    store::ensure_dir(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let _lock = interrupt
        .run(store::lock(dir, "backup", opts.lock_timeout, |holder| {
            super::waiting(printer, dir, holder)
        }))
        .await?;
    let containers = interrupt
        .run(async { Ok(engine.project_containers(&project.name).await?) })
        .await?;
    check_containers(&plan, &containers)?;
    let started = SystemTime::now();
    let clock = Instant::now();
    let (id, path) = store::create_run(dir, &project.name, started)
        .with_context(|| format!("cannot create a backup folder in {}", dir.display()))?;
    printer.progress(
        "Backing up",
        &format!("{} into {}", project.name, path.display()),
    );
    if let Some(r) = &seal {
        printer.progress(
            "Encrypting",
            &format!(
                "to {} age recipient(s): {}",
                r.public().len(),
                r.public().join(", ")
            ),
        );
    }

    let mut run = Run {
        engine,
        dir: &path,
        compression,
        seal: seal.clone(),
        stall: opts.stall(),
        bgsave_limit: opts.timeout.unwrap_or(BGSAVE_TIMEOUT),
        printer,
        items: Vec::new(),
    };
    let outcome = run.all(project, &plan, &containers, interrupt).await;
    let mut problems = outcome.problems;
    let mut items = run.items;
    let mut exit = outcome.exit;
    let mut pruned = Vec::new();

    if problems.is_empty() {
        let manifest = Manifest {
            manifest_version: store::MANIFEST_VERSION,
            phi_version: env!("CARGO_PKG_VERSION").into(),
            project: project.name.clone(),
            id: id.clone(),
            started_at: store::rfc3339(started),
            finished_at: store::rfc3339(SystemTime::now()),
            duration_seconds: seconds(clock),
            items: items.clone(),
        };
        let text = serde_json::to_vec_pretty(&manifest)?;
        match codec::write_small(&path, store::MANIFEST, &text) {
            Ok(()) => printer.progress(
                "Completed",
                &format!(
                    "backup {id}: {} item(s) in {:.1}s",
                    items.len(),
                    seconds(clock)
                ),
            ),
            Err(e) => {
                problems.push(format!("cannot write manifest.json: {e}"));
                exit = Exit::Failure;
            }
        }
    }
    if problems.is_empty() && prune_after && policy.is_set() {
        match super::prune(project, dir, policy, false, printer) {
            Ok(report) => {
                pruned = report.removed;
                problems.extend(report.problems);
            }
            Err(e) => problems.push(format!("pruning failed: {e:#}")),
        }
        if !problems.is_empty() {
            exit = Exit::Failure;
        }
    }
    if exit == Exit::Interrupted {
        printer.warn(&format!(
            "interrupted: backup {id} is left incomplete (no manifest.json); list, restore and prune never take it for a backup"
        ));
        return Err(super::interrupted());
    }
    if !problems.is_empty() && exit == Exit::Ok {
        exit = Exit::Failure;
    }
    if exit != Exit::Ok {
        items.clear();
    }
    Ok(Report {
        envelope: Envelope::new(&project.name),
        ok: problems.is_empty(),
        id: Some(id),
        path: Some(path.display().to_string()),
        compression,
        age_recipients: seal.map(|r| r.public()).unwrap_or_default(),
        items,
        duration_seconds: seconds(clock),
        pruned,
        problems,
        exit,
    })
}

/// What a run of the selected services backs up; nothing declared is a usage error that says
/// what could be declared, and how. Needs no engine.
pub fn plan(project: &Project, services: &[String]) -> anyhow::Result<Plan> {
    let selected = project.select(services)?;
    let plan = recipes::plan(&project.model, selected.as_ref());
    if plan.items.is_empty() {
        let origin = project
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        return Err(Coded::new(
            Exit::Usage,
            recipes::nothing_declared(&project.model, &origin),
        )
        .into());
    }
    Ok(plan)
}

/// Every item needs a container; databases need it running. Checked before anything is written.
fn check_containers(plan: &Plan, containers: &[ContainerInfo]) -> anyhow::Result<()> {
    let mut missing = Vec::new();
    for item in &plan.items {
        let needs_running = matches!(item.kind, Kind::Postgres(_) | Kind::Redis)
            || plan.pre.contains_key(&item.service)
            || plan.post.contains_key(&item.service);
        match container_for(containers, &item.service) {
            None => missing.push(format!("{} has no container", item.service)),
            Some(c) if needs_running && c.state != RunState::Running => missing.push(format!(
                "{} ({}) is {}, and its {} backup needs it running",
                item.service,
                c.name,
                c.state.as_str(),
                item.kind.recipe()
            )),
            Some(_) => {}
        }
    }
    missing.dedup();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Coded::new(
            Exit::Failure,
            format!(
                "cannot back up: {}; nothing was written",
                missing.join("; ")
            ),
        )
        .into())
    }
}

struct Outcome {
    problems: Vec<String>,
    exit: Exit,
}

struct Run<'a> {
    engine: &'a Engine,
    dir: &'a Path,
    compression: Compression,
    seal: Option<std::sync::Arc<Recipients>>,
    stall: Duration,
    bgsave_limit: Duration,
    printer: &'a Printer,
    items: Vec<Item>,
}

fn classify_failure(err: &anyhow::Error) -> Exit {
    match crate::commands::classify(err) {
        Exit::Interrupted => Exit::Interrupted,
        Exit::Timeout => Exit::Timeout,
        _ => Exit::Failure,
    }
}

impl Run<'_> {
    /// How this run writes a file: its compression, its encryption, and (for tars) a count
    /// of what is in it.
    fn shape(&self, tally: bool) -> Shape {
        Shape {
            compression: self.compression,
            seal: self.seal.clone(),
            tally,
        }
    }

    /// pre commands, the live items, the stopped services' copies, post commands. The first
    /// failure ends the items; post commands and restarts happen anyway.
    async fn all(
        &mut self,
        project: &Project,
        plan: &Plan,
        containers: &[ContainerInfo],
        interrupt: &Interrupt,
    ) -> Outcome {
        let mut problems = Vec::new();
        let mut exit = Exit::Ok;
        let fail = |err: anyhow::Error, problems: &mut Vec<String>, exit: &mut Exit| {
            *exit = exit.merge(classify_failure(&err));
            if crate::commands::classify(&err) != Exit::Interrupted {
                self.printer.warn(&format!("{err:#}"));
                problems.push(format!("{err:#}"));
            } else {
                problems.push("interrupted".into());
            }
        };
        let mut ran_pre = BTreeSet::new();
        for (service, command) in &plan.pre {
            let Some(c) = container_for(containers, service) else {
                continue;
            };
            match interrupt
                .run(self.command(service, c, "pre", command))
                .await
            {
                Ok(()) => {
                    ran_pre.insert(service.clone());
                }
                Err(e) => {
                    fail(e, &mut problems, &mut exit);
                    break;
                }
            }
        }
        if problems.is_empty() {
            for item in plan.items.iter().filter(|i| !plan.copied_stopped(i)) {
                let Some(c) = container_for(containers, &item.service) else {
                    continue;
                };
                if let Err(e) = interrupt.run(self.item(project, item, c)).await {
                    fail(e, &mut problems, &mut exit);
                    break;
                }
            }
        }
        let stopped_items: Vec<&Planned> = plan
            .items
            .iter()
            .filter(|i| plan.copied_stopped(i))
            .collect();
        if problems.is_empty() && !stopped_items.is_empty() {
            let services: BTreeSet<String> =
                stopped_items.iter().map(|i| i.service.clone()).collect();
            let mut stopped: Vec<Stopped> = Vec::new();
            let stopping = super::stop_services(
                project,
                self.engine,
                containers,
                &services,
                self.printer,
                &mut stopped,
            );
            // A stop is not dropped halfway: the engine would finish it after phi moved on.
            // It is bounded by the service's grace period, and the interrupt is looked at
            // as soon as it returns.
            match stopping.await {
                Ok(()) if interrupt.happened() => {
                    fail(super::interrupted(), &mut problems, &mut exit)
                }
                Ok(()) => {
                    for item in stopped_items {
                        let Some(c) = container_for(containers, &item.service) else {
                            continue;
                        };
                        if let Err(e) = interrupt.run(self.item(project, item, c)).await {
                            fail(e, &mut problems, &mut exit);
                            break;
                        }
                    }
                }
                Err(e) => fail(e, &mut problems, &mut exit),
            }
            // Always, also after a failure or Ctrl-C.
            let restart =
                super::restart_services(project, self.engine, &stopped, self.printer).await;
            if !restart.is_empty() {
                exit = exit.merge(Exit::Failure);
                problems.extend(restart);
            }
        }
        for (service, command) in &plan.post {
            if plan.pre.contains_key(service) && !ran_pre.contains(service) {
                continue;
            }
            let Some(c) = container_for(containers, service) else {
                continue;
            };
            if let Err(e) = self.command(service, c, "post", command).await {
                fail(e, &mut problems, &mut exit);
            }
        }
        // Interrupted after the last item still means the run did not finish: no manifest.
        if interrupt.happened() {
            exit = Exit::Interrupted;
            if problems.is_empty() {
                problems.push("interrupted".into());
            }
        }
        Outcome { problems, exit }
    }

    /// A pre or post command; a non-zero exit fails the run.
    async fn command(
        &self,
        service: &str,
        c: &ContainerInfo,
        which: &str,
        command: &[String],
    ) -> anyhow::Result<()> {
        self.printer
            .progress("Running", &format!("{which} command of {service}"));
        let limit = self.stall.max(CALL_TIMEOUT);
        let outcome = self.engine.exec(&c.id, command, limit).await?;
        if outcome.exit_code != 0 {
            return Err(anyhow!(
                "{which} command of {service} exited with {}: {}",
                outcome.exit_code,
                last_lines(&outcome.output)
            ));
        }
        Ok(())
    }

    async fn item(
        &mut self,
        project: &Project,
        item: &Planned,
        c: &ContainerInfo,
    ) -> anyhow::Result<()> {
        let start = Instant::now();
        let service = item.service.as_str();
        let mut keys = None;
        let (source, format, target, written) = match &item.kind {
            Kind::Postgres(pg) => {
                let (format, ext) = if pg.plain {
                    ("plain", "sql")
                } else {
                    ("custom", "dump")
                };
                let file = format!(
                    "{}.{ext}.{}",
                    recipes::file_stem(&[service, "postgres"]),
                    self.compression.extension()
                );
                let (bar, progress) = transfer(self.printer, &format!("{service}: pg_dump"));
                let (pending, tx) =
                    codec::write_file(self.dir, &file, self.shape(false), Some(progress))?;
                let command = recipes::pg_dump(pg.plain);
                let env = recipes::pg_env(pg);
                let exec = StreamExec {
                    container: &c.id,
                    command: &command,
                    env: &env,
                    stall: self.stall,
                };
                let result = self.engine.exec_piped(exec, None, Some(tx)).await;
                let who = result
                    .as_ref()
                    .ok()
                    .and_then(|o| recipes::parse_pg_marker(&o.stderr_first_line));
                let written = settle(pending, result, |o| {
                    (o.exit_code != 0).then(|| {
                        format!(
                            "pg_dump exited with {}: {}",
                            o.exit_code,
                            last_lines(&o.stderr)
                        )
                    })
                })
                .await
                .with_context(|| format!("{service}: pg_dump"))?;
                drop(bar);
                let database = who
                    .map(|(_, db)| db)
                    .unwrap_or_else(|| pg.database.clone().unwrap_or_else(|| "postgres".into()));
                (
                    format!("database {database}"),
                    format.to_string(),
                    database,
                    written,
                )
            }
            Kind::Redis => {
                // What a drill compares the loaded copy with (keys written meanwhile differ).
                keys = self
                    .redis(service, c, &["DBSIZE"])
                    .await?
                    .trim()
                    .parse()
                    .ok();
                let (rdb_dir, rdb_file) = self.bgsave(service, c).await?;
                let path = format!("{}/{rdb_file}", rdb_dir.trim_end_matches('/'));
                let file = format!(
                    "{}.rdb.tar.{}",
                    recipes::file_stem(&[service, "dump"]),
                    self.compression.extension()
                );
                let written = self.copy_out(service, c, &path, &file).await?;
                (format!("rdb {path}"), "tar".into(), rdb_dir, written)
            }
            Kind::Volume(key) => {
                let name = recipes::volume_name(&project.model, &project.name, key);
                let mounts = self.engine.container_mounts(&c.id).await?;
                let mount = mounts
                    .iter()
                    .find(|m| m.volume.as_deref() == Some(name.as_str()))
                    .ok_or_else(|| {
                        anyhow!(
                            "{service}: volume {key} ({name}) is not mounted in {}",
                            c.name
                        )
                    })?;
                let (parent, _) = recipes::split_path(&mount.destination);
                let file = format!(
                    "{}.tar.{}",
                    recipes::file_stem(&[service, "volume", key]),
                    self.compression.extension()
                );
                let destination = mount.destination.clone();
                let written = self.copy_out(service, c, &destination, &file).await?;
                (
                    format!("volume {name} at {destination}"),
                    "tar".into(),
                    parent,
                    written,
                )
            }
            Kind::Path(path) => {
                let (parent, _) = recipes::split_path(path);
                let file = format!(
                    "{}.tar.{}",
                    recipes::file_stem(&[service, "path", path]),
                    self.compression.extension()
                );
                let written = self.copy_out(service, c, path, &file).await?;
                (format!("path {path}"), "tar".into(), parent, written)
            }
        };
        let duration = seconds(start);
        self.printer.progress(
            "Saved",
            &format!(
                "{service} {source}: {} -> {} in {duration:.1}s ({}/s)",
                format_bytes(written.raw_size),
                format_bytes(written.size),
                format_bytes((written.raw_size as f64 / duration.max(0.001)) as u64)
            ),
        );
        self.items.push(Item {
            service: service.to_string(),
            recipe: item.kind.recipe().to_string(),
            source,
            format,
            target,
            file: written.file,
            size: written.size,
            raw_size: written.raw_size,
            sha256: written.sha256,
            compression: self.compression,
            duration_seconds: duration,
            image: c.image.clone(),
            container: c.name.clone(),
            encryption: self.seal.as_ref().map(|r| r.encryption()),
            contents: written.contents,
            keys,
        });
        Ok(())
    }

    /// A tar of `path` in the container into the file `file`.
    async fn copy_out(
        &self,
        service: &str,
        c: &ContainerInfo,
        path: &str,
        file: &str,
    ) -> anyhow::Result<Written> {
        let (bar, progress) = transfer(self.printer, &format!("{service}: {path}"));
        let (pending, tx) = codec::write_file(self.dir, file, self.shape(true), Some(progress))?;
        let result = self.engine.download_path(&c.id, path, tx, self.stall).await;
        let written = settle(pending, result, |_| None)
            .await
            .with_context(|| format!("{service}: copying {path}"))?;
        drop(bar);
        Ok(written)
    }

    /// One redis-cli command in the container; its output.
    async fn redis(
        &self,
        service: &str,
        c: &ContainerInfo,
        args: &[&str],
    ) -> anyhow::Result<String> {
        let command = recipes::redis_cli(args);
        let out = self.engine.exec(&c.id, &command, CALL_TIMEOUT).await?;
        if out.exit_code != 0 || out.output.starts_with("ERR") || out.output.contains("NOAUTH") {
            return Err(anyhow!(
                "{service}: redis-cli {} failed: {}",
                args.join(" "),
                last_lines(&out.output)
            ));
        }
        Ok(out.output)
    }

    /// BGSAVE and wait until it is done; returns the RDB file's directory and name.
    async fn bgsave(&self, service: &str, c: &ContainerInfo) -> anyhow::Result<(String, String)> {
        let dir_out = self.redis(service, c, &["CONFIG", "GET", "dir"]).await?;
        let file_out = self
            .redis(service, c, &["CONFIG", "GET", "dbfilename"])
            .await?;
        let rdb_dir = recipes::config_value(&dir_out, "dir")
            .ok_or_else(|| anyhow!("{service}: redis did not say its dir"))?;
        let rdb_file = recipes::config_value(&file_out, "dbfilename")
            .ok_or_else(|| anyhow!("{service}: redis did not say its dbfilename"))?;
        let read = || async {
            let info = self.redis(service, c, &["INFO", "persistence"]).await?;
            recipes::parse_persistence(&info)
                .ok_or_else(|| anyhow!("{service}: cannot read INFO persistence"))
        };
        self.printer
            .progress("Saving", &format!("{service}: BGSAVE"));
        let deadline = Instant::now() + self.bgsave_limit;
        // A save already running: wait for it, then start ours.
        let mut before = read().await?;
        while before.in_progress {
            if Instant::now() > deadline {
                return Err(Coded::new(
                    Exit::Timeout,
                    format!("{service}: a BGSAVE in progress did not finish in time"),
                )
                .into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            before = read().await?;
        }
        self.redis(service, c, &["BGSAVE"]).await?;
        loop {
            let now = read().await?;
            if recipes::save_finished(before, now) {
                if !now.last_ok {
                    return Err(anyhow!(
                        "{service}: BGSAVE failed (rdb_last_bgsave_status is not ok; see the redis log)"
                    ));
                }
                break;
            }
            if Instant::now() > deadline {
                return Err(Coded::new(
                    Exit::Timeout,
                    format!(
                        "{service}: BGSAVE did not finish within {}",
                        humantime::format_duration(self.bgsave_limit)
                    ),
                )
                .into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok((rdb_dir, rdb_file))
    }
}

/// Commit the file when the transfer succeeded (and `failed` finds nothing wrong with its
/// outcome); otherwise throw it away. A writer that failed by itself (a full disk) is the
/// cause to report.
async fn settle<T>(
    pending: Pending,
    result: Result<T, EngineError>,
    failed: impl FnOnce(&T) -> Option<String>,
) -> anyhow::Result<Written> {
    match result {
        Ok(outcome) => match failed(&outcome) {
            None => Ok(pending.commit().await.context("writing the backup file")?),
            Some(problem) => {
                pending.abort().await.context("writing the backup file")?;
                Err(anyhow!(problem))
            }
        },
        Err(e) => {
            pending.abort().await.context("writing the backup file")?;
            Err(e.into())
        }
    }
}

/// The last few lines of a command's output, for an error message.
pub fn last_lines(output: &str) -> String {
    let lines: Vec<&str> = output.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = &lines[lines.len().saturating_sub(3)..];
    if tail.is_empty() {
        "(no output)".into()
    } else {
        tail.join(" / ")
    }
}
