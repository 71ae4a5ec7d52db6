//! `phi backup restore ID [--services S]`: check the files first, say what will be overwritten,
//! ask (or --yes), then stream each item back into its container.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, anyhow};
use serde::Serialize;

use super::codec;
use super::crypt::{self, Identities, Opening};
use super::recipes::Kind;
use super::retar;
use super::store::{self, Item, State};
use super::verify::compare;
use super::{Settings, Stopped, container_for, recipes, seconds, transfer};
use crate::commands::Ctx;
use crate::config::Project;
use crate::engine::archive::{MountInfo, StreamExec};
use crate::engine::{ContainerInfo, Engine, RunState};
use crate::exit::{Coded, Exit};
use crate::output::Envelope;
use crate::output::Printer;

#[derive(Debug, Clone, Serialize)]
pub struct Restored {
    pub service: String,
    pub recipe: String,
    pub source: String,
    pub file: String,
    pub container: String,
    pub ok: bool,
    pub seconds: f64,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    #[serde(flatten)]
    pub envelope: Envelope,
    pub id: String,
    pub ok: bool,
    pub items: Vec<Restored>,
    pub problems: Vec<String>,
}

pub fn render(report: &Report) -> String {
    let mut text = String::new();
    for i in &report.items {
        text.push_str(&format!(
            "{:<8} {:<12} {:<8} {}{}\n",
            if i.ok { "restored" } else { "FAILED" },
            i.service,
            i.recipe,
            i.source,
            i.error
                .as_ref()
                .map(|e| format!("  ({e})"))
                .unwrap_or_default()
        ));
    }
    for p in &report.problems {
        text.push_str(&format!("problem: {p}\n"));
    }
    let done = report.items.iter().filter(|i| i.ok).count();
    text.push_str(&format!(
        "{}: {done} of {} item(s) of {} restored\n",
        report.envelope.project,
        report.items.len(),
        report.id
    ));
    text
}

/// Whether restoring an item needs its container stopped: always for Redis (it would write
/// its own RDB over ours on shutdown, and reads it only at start), and for the volumes and
/// paths of services that ask for it.
fn needs_stop(project: &Project, item: &Item) -> bool {
    let stop = project
        .model
        .services
        .get(&item.service)
        .and_then(|s| s.x_phi.backup.as_ref())
        .is_some_and(|b| b.stop);
    item.recipe == "redis" || (stop && (item.recipe == "volume" || item.recipe == "path"))
}

/// Restore backup `id` (only `services`, when given): check every file, find where each
/// item goes, say what will be overwritten and ask, then restore live items first and the
/// ones that need their service stopped after.
pub async fn run(
    ctx: &Ctx,
    engine: &Engine,
    dir: &Path,
    id: &str,
    services: &[String],
    opts: &Settings,
) -> anyhow::Result<Report> {
    let (project, printer, interrupt) = (&ctx.project, &ctx.printer, &ctx.interrupt);
    if !dir.is_dir() {
        return Err(Coded::new(
            Exit::Usage,
            format!("there are no backups: {} does not exist", dir.display()),
        )
        .into());
    }
    // Restore only reads the backup folder (which may be read-only): it waits for a run that
    // writes there, not for other readers. Two restores, or a restore and a start-all, are
    // kept apart by the project's lock.
    let _read = super::read_lock(interrupt, printer, dir, opts).await?;
    let _project = interrupt
        .run(ctx.lock_project_waiting(
            engine,
            "backup restore",
            opts.lock_timeout,
            "--lock-timeout",
        ))
        .await?;
    let listing = store::scan(dir, &project.name)
        .with_context(|| format!("cannot read {}", dir.display()))?;
    let entry = store::resolve(&listing, id).map_err(|m| Coded::new(Exit::Usage, m))?;
    let items = chosen_items(entry, services)?;
    crypt::require_identity(project, opts.identity.as_deref(), items.iter().copied())?;
    let identities = crypt::identities(project, opts.identity.as_deref())?;
    check_files(ctx, entry, &items, identities.as_ref()).await?;
    // Nothing is touched yet: an interrupt ends these lookups at once.
    let containers = interrupt
        .run(async { Ok(engine.project_containers(&project.name).await?) })
        .await?;
    let targets = interrupt
        .run(targets(ctx, engine, &containers, &items))
        .await?;
    announce(project, &targets, printer);
    let question = format!(
        "Restore backup {} into {}? The data listed above is overwritten.",
        entry.id, project.name
    );
    let action = format!("restore {}", entry.id);
    crate::commands::confirm_destructive(printer, opts.yes, &action, &question)?;

    let restore = Restore {
        ctx,
        engine,
        folder: &entry.path,
        identities: identities.as_ref(),
        stall: opts.stall(),
    };
    let (results, problems) = restore.all(&containers, &targets).await?;
    let ok = problems.is_empty() && results.iter().all(|r| r.ok);
    Ok(Report {
        envelope: Envelope::new(&project.name),
        id: entry.id.clone(),
        ok,
        items: results,
        problems,
    })
}

/// The items of a complete backup to restore: all of them, or those of `services` (each of
/// which the backup must have).
pub fn chosen_items<'a>(
    entry: &'a store::Entry,
    services: &[String],
) -> anyhow::Result<Vec<&'a Item>> {
    let manifest = match (&entry.manifest, entry.state) {
        (Some(m), State::Complete) => m,
        (_, state) => {
            return Err(Coded::new(
                Exit::Failure,
                format!(
                    "backup {} is {}: it cannot be restored{}",
                    entry.id,
                    state.as_str(),
                    entry
                        .problem
                        .as_ref()
                        .map(|p| format!(" ({p})"))
                        .unwrap_or_default()
                ),
            )
            .into());
        }
    };
    let in_backup: BTreeSet<&str> = manifest.items.iter().map(|i| i.service.as_str()).collect();
    let unknown: Vec<&str> = services
        .iter()
        .map(String::as_str)
        .filter(|s| !in_backup.contains(s))
        .collect();
    if !unknown.is_empty() {
        return Err(Coded::new(
            Exit::Usage,
            format!(
                "backup {} has nothing of {} (it has: {})",
                entry.id,
                unknown.join(", "),
                in_backup.iter().copied().collect::<Vec<_>>().join(", ")
            ),
        )
        .into());
    }
    Ok(manifest
        .items
        .iter()
        .filter(|i| services.is_empty() || services.contains(&i.service))
        .collect())
}

/// Every file read to its end and compared with the manifest, before anything is touched.
async fn check_files(
    ctx: &Ctx,
    entry: &store::Entry,
    items: &[&Item],
    identities: Option<&std::sync::Arc<Identities>>,
) -> anyhow::Result<()> {
    for item in items {
        let (bar, progress) = transfer(&ctx.printer, &format!("checking {}", item.file));
        let back = ctx
            .interrupt
            .run(async {
                codec::check_file(
                    entry.path.join(&item.file),
                    item.compression,
                    Opening::of(item.encryption.as_ref(), identities),
                    Some(progress),
                )
                .await
                .map_err(|e| anyhow!("{}: {e}", item.file))
            })
            .await;
        drop(bar);
        let problem = match back {
            Ok(back) => compare(item, &back),
            Err(e) if crate::commands::classify(&e) == Exit::Interrupted => return Err(e),
            Err(e) => Some(e.to_string()),
        };
        if let Some(problem) = problem {
            return Err(Coded::new(
                Exit::CheckFailed,
                format!(
                    "backup {} does not verify: {}: {problem}; nothing was changed",
                    entry.id, item.file
                ),
            )
            .into());
        }
    }
    Ok(())
}

/// The container each item goes into, checked for what its recipe needs.
async fn targets<'a>(
    ctx: &Ctx,
    engine: &Engine,
    containers: &'a [ContainerInfo],
    items: &[&'a Item],
) -> anyhow::Result<Vec<(&'a Item, &'a ContainerInfo)>> {
    let mut targets = Vec::new();
    for &item in items {
        let c = container_for(containers, &item.service).ok_or_else(|| {
            Coded::new(
                Exit::Failure,
                format!(
                    "{} has no container to restore into; create it first (e.g. phi start-all or docker compose up --no-start)",
                    item.service
                ),
            )
        })?;
        if item.recipe == "postgres" && c.state != RunState::Running {
            return Err(Coded::new(
                Exit::Failure,
                format!(
                    "{} ({}) is not running; the database restore needs it running",
                    item.service, c.name
                ),
            )
            .into());
        }
        if item.recipe == "redis" {
            check_no_aof(engine, &item.service, c, &ctx.printer).await?;
        }
        let expected = expected_target(&ctx.project, engine, item, c).await?;
        if expected != item.target {
            return Err(Coded::new(
                Exit::Failure,
                format!(
                    "{} ({}): the manifest would restore it into {}, but the compose files put it \
                     at {expected}; the manifest is not trusted for where data goes, nothing was changed",
                    item.service,
                    item.file,
                    item.target.escape_debug()
                ),
            )
            .into());
        }
        targets.push((item, c));
    }
    Ok(targets)
}

/// Where `item` goes back, from the compose model and the container, never from the
/// manifest: the folder a volume is mounted in, the folder of a declared path, the Redis
/// server's data directory, the database the service declares. An item the compose files no
/// longer back up is refused.
async fn expected_target(
    project: &Project,
    engine: &Engine,
    item: &Item,
    c: &ContainerInfo,
) -> anyhow::Result<String> {
    let selected: BTreeSet<&str> = [item.service.as_str()].into();
    let plan = recipes::plan(&project.model, Some(&selected));
    let not_declared = || {
        anyhow::Error::from(Coded::new(
            Exit::Failure,
            format!(
                "{}: the compose files no longer back up {} ({}); nothing was changed",
                item.service, item.source, item.recipe
            ),
        ))
    };
    let planned = plan.items.iter().map(|p| &p.kind);
    match item.recipe.as_str() {
        "volume" => {
            let name = item
                .source
                .strip_prefix("volume ")
                .and_then(|rest| rest.split(" at ").next())
                .ok_or_else(not_declared)?;
            let declared = planned.into_iter().any(|k| {
                matches!(k, Kind::Volume(key) if recipes::volume_name(&project.model, &project.name, key) == name)
            });
            if !declared {
                return Err(not_declared());
            }
            let mounts = engine.container_mounts(&c.id).await?;
            let mount = mounts
                .iter()
                .find(|m| m.volume.as_deref() == Some(name))
                .ok_or_else(|| {
                    anyhow!(
                        "{}: volume {name} is not mounted in {}",
                        item.service,
                        c.name
                    )
                })?;
            Ok(recipes::split_path(&mount.destination).0)
        }
        "path" => {
            let path = item.source.strip_prefix("path ").ok_or_else(not_declared)?;
            if !planned
                .into_iter()
                .any(|k| matches!(k, Kind::Path(p) if p == path))
            {
                return Err(not_declared());
            }
            Ok(recipes::split_path(path).0)
        }
        "redis" => {
            if !planned.into_iter().any(|k| matches!(k, Kind::Redis)) {
                return Err(not_declared());
            }
            if c.state != RunState::Running {
                return Err(anyhow!(
                    "{} ({}) is not running; phi asks the Redis server where its data directory is, so start it first (phi start-all --services {})",
                    item.service,
                    c.name,
                    item.service
                ));
            }
            let command = recipes::redis_cli(&["CONFIG", "GET", "dir"]);
            let out = engine
                .exec(&c.id, &command, crate::engine::CALL_TIMEOUT)
                .await?;
            recipes::config_value(&out.output, "dir").ok_or_else(|| {
                anyhow!(
                    "{}: Redis did not say where its data directory is",
                    item.service
                )
            })
        }
        "postgres" => {
            let Some(pg) = planned.into_iter().find_map(|k| match k {
                Kind::Postgres(pg) => Some(pg),
                _ => None,
            }) else {
                return Err(not_declared());
            };
            match &pg.database {
                Some(db) => Ok(db.clone()),
                // Without a declared database the dump's own is used, when it is a plain name.
                None if !item.target.is_empty()
                    && item
                        .target
                        .chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-') =>
                {
                    Ok(item.target.clone())
                }
                None => Err(not_declared()),
            }
        }
        _ => Err(not_declared()),
    }
}

/// Say what will be overwritten, one line per item.
fn announce(project: &Project, targets: &[(&Item, &ContainerInfo)], printer: &Printer) {
    for (item, c) in targets {
        let what = match item.recipe.as_str() {
            "postgres" => format!(
                "database {} in {} (its objects are dropped and recreated)",
                item.target, c.name
            ),
            "redis" => format!(
                "the Redis data of {} ({} is stopped, its RDB file replaced, and started)",
                c.name, item.service
            ),
            _ => format!(
                "{} in {} (files in the backup are overwritten; others are kept){}",
                item.source,
                c.name,
                if needs_stop(project, item) {
                    ", with the service stopped"
                } else {
                    ""
                }
            ),
        };
        printer.progress("Will replace", &what);
    }
}

/// One restore run: where the files are and how long a transfer may stall.
struct Restore<'a> {
    ctx: &'a Ctx,
    engine: &'a Engine,
    folder: &'a Path,
    identities: Option<&'a std::sync::Arc<Identities>>,
    stall: std::time::Duration,
}

impl Restore<'_> {
    /// Live items first, then the ones that need their service stopped; what phi stopped is
    /// started again, also after an interruption.
    async fn all(
        &self,
        containers: &[ContainerInfo],
        targets: &[(&Item, &ContainerInfo)],
    ) -> anyhow::Result<(Vec<Restored>, Vec<String>)> {
        let (project, printer, interrupt) =
            (&self.ctx.project, &self.ctx.printer, &self.ctx.interrupt);
        let mut results = Vec::new();
        let mut problems = Vec::new();
        let (stopped_items, live_items): (Vec<_>, Vec<_>) = targets
            .iter()
            .partition(|(item, _)| needs_stop(project, item));
        for (item, c) in live_items {
            results.push(self.one(item, c).await);
            if interrupt.happened() {
                return Err(super::interrupted());
            }
        }
        if stopped_items.is_empty() {
            return Ok((results, problems));
        }
        let services: BTreeSet<String> = stopped_items
            .iter()
            .map(|(i, _)| i.service.clone())
            .collect();
        let mut stopped: Vec<Stopped> = Vec::new();
        let stopping = super::stop_services(
            project,
            self.engine,
            containers,
            &services,
            printer,
            &mut stopped,
        );
        // A stop is not dropped halfway (the engine would finish it after phi moved on); it
        // is bounded by the grace period, and the interrupt is looked at once it returns.
        match stopping.await {
            Ok(()) if interrupt.happened() => {}
            Ok(()) => {
                for (item, c) in stopped_items {
                    results.push(self.one(item, c).await);
                    if interrupt.happened() {
                        break;
                    }
                }
            }
            Err(e) => problems.push(format!("{e:#}")),
        }
        problems.extend(super::restart_services(project, self.engine, &stopped, printer).await);
        if interrupt.happened() {
            return Err(super::interrupted());
        }
        Ok((results, problems))
    }

    async fn one(&self, item: &Item, c: &ContainerInfo) -> Restored {
        let result = self
            .ctx
            .interrupt
            .run(restore_item(
                &self.ctx.project,
                self.engine,
                (
                    self.folder,
                    Opening::of(item.encryption.as_ref(), self.identities),
                ),
                item,
                c,
                self.stall,
                &self.ctx.printer,
            ))
            .await;
        outcome(item, c, result)
    }
}

/// Redis with `appendonly yes` loads its AOF at start and ignores the RDB file: restoring
/// one would silently do nothing, so it is refused before anything is touched.
async fn check_no_aof(
    engine: &Engine,
    service: &str,
    c: &ContainerInfo,
    printer: &Printer,
) -> anyhow::Result<()> {
    if c.state != RunState::Running {
        printer.warn(&format!(
            "{service} is not running, so phi cannot check that it runs without appendonly; \
             with appendonly yes, Redis would ignore the restored RDB file"
        ));
        return Ok(());
    }
    let command = recipes::redis_cli(&["CONFIG", "GET", "appendonly"]);
    let out = engine
        .exec(&c.id, &command, crate::engine::CALL_TIMEOUT)
        .await?;
    if recipes::config_value(&out.output, "appendonly").as_deref() == Some("yes") {
        return Err(Coded::new(
            Exit::Failure,
            format!(
                "{service} runs with appendonly yes: it would load its AOF and ignore the restored \
                 RDB file; turn appendonly off for the restore (then BGREWRITEAOF and turn it on \
                 again); nothing was changed"
            ),
        )
        .into());
    }
    Ok(())
}

fn outcome(item: &Item, c: &ContainerInfo, result: anyhow::Result<f64>) -> Restored {
    let (ok, seconds, error) = match result {
        Ok(s) => (true, s, None),
        Err(e) => (false, 0.0, Some(format!("{e:#}"))),
    };
    Restored {
        service: item.service.clone(),
        recipe: item.recipe.clone(),
        source: item.source.clone(),
        file: item.file.clone(),
        container: c.name.clone(),
        ok,
        seconds,
        error,
    }
}

async fn restore_item(
    project: &Project,
    engine: &Engine,
    (folder, opening): (&Path, Opening),
    item: &Item,
    c: &ContainerInfo,
    stall: std::time::Duration,
    printer: &Printer,
) -> anyhow::Result<f64> {
    let start = Instant::now();
    let (bar, progress) = transfer(printer, &format!("{}: {}", item.service, item.source));
    let (rx, read) = codec::read_file(
        folder.join(&item.file),
        item.compression,
        opening,
        Some(progress),
    );
    // Plain SQL runs in phi's own transaction: BEGIN first, COMMIT only once the whole file was
    // read and matches its manifest. A stream cut short (Ctrl-C, a read error) ends without
    // COMMIT, and PostgreSQL rolls it back. (pg_restore --single-transaction does the same
    // for custom dumps by itself.)
    let guard = item.recipe == "postgres" && item.format == "plain";
    let (tx, input) = tokio::sync::mpsc::channel::<bytes::Bytes>(8);
    let feed = async move {
        let mut rx = rx;
        if guard {
            let _ = tx.send(bytes::Bytes::from_static(b"BEGIN;\n")).await;
        }
        while let Some(chunk) = rx.recv().await {
            if tx.send(chunk).await.is_err() {
                break;
            }
        }
        drop(rx);
        let back = read.await.unwrap_or_else(|_| {
            Err(std::io::Error::other(
                "the reader thread ended unexpectedly",
            ))
        });
        if guard && back.as_ref().is_ok_and(|b| compare(item, b).is_none()) {
            let _ = tx.send(bytes::Bytes::from_static(b"\nCOMMIT;\n")).await;
        }
        back
    };
    let transfer = async {
        if item.recipe == "postgres" {
            let pg = project
                .model
                .services
                .get(&item.service)
                .and_then(|s| s.x_phi.backup.as_ref())
                .and_then(|b| b.postgres.clone())
                .unwrap_or_default();
            let mut env = recipes::pg_env(&pg);
            env.retain(|v| !v.starts_with("PHI_PG_DB="));
            env.push(format!("PHI_PG_DB={}", item.target));
            let command = recipes::pg_restore(guard);
            let exec = StreamExec {
                container: &c.id,
                command: &command,
                env: &env,
                stall,
            };
            match engine.exec_piped(exec, Some(input), None).await {
                Ok(o) if o.exit_code == 0 => Ok(()),
                Ok(o) => Err(anyhow!(
                    "{} exited with {}: {}",
                    if guard { "psql" } else { "pg_restore" },
                    o.exit_code,
                    super::create::last_lines(&o.stderr)
                )),
                Err(e) => Err(anyhow::Error::from(e)),
            }
        } else {
            let (dir, top) = unpack_dir(engine, item, c).await?;
            let Some(top) = top else {
                return Ok(engine.upload_into(&c.id, &dir, input, stall).await?);
            };
            let (tx, rerooted) = tokio::sync::mpsc::channel::<bytes::Bytes>(8);
            let (uploaded, rewritten) = tokio::join!(
                engine.upload_into(&c.id, &dir, rerooted, stall),
                reroot(input, tx, &top)
            );
            rewritten?;
            Ok(uploaded?)
        }
    };
    let (result, back) = tokio::join!(transfer, feed);
    drop(bar);
    result.with_context(|| format!("{}: restoring {}", item.service, item.source))?;
    let back = back.with_context(|| format!("reading {}", item.file))?;
    if let Some(problem) = compare(item, &back) {
        return Err(anyhow!(
            "{}: {problem} (the file changed while it was restored)",
            item.file
        ));
    }
    let took = seconds(start);
    printer.progress(
        "Restored",
        &format!("{} {} in {took:.1}s", item.service, item.source),
    );
    Ok(took)
}

/// Where an item's tar is unpacked, and the folder name its entries start with when they are
/// re-rooted first (see [`retar`]). A volume's archive goes into its mount point itself, and
/// so does a declared path at or under a mount: unpacked into the parent, Podman would write
/// beside the volume when the container is stopped, into the container's own filesystem.
async fn unpack_dir(
    engine: &Engine,
    item: &Item,
    c: &ContainerInfo,
) -> anyhow::Result<(String, Option<String>)> {
    let mounted = match item.recipe.as_str() {
        "volume" => {
            let name = item
                .source
                .strip_prefix("volume ")
                .and_then(|rest| rest.split(" at ").next())
                .unwrap_or_default();
            let mounts = engine.container_mounts(&c.id).await?;
            let mount = mounts
                .into_iter()
                .find(|m| m.volume.as_deref() == Some(name))
                .ok_or_else(|| anyhow!("volume {name} is not mounted in {}", c.name))?;
            Some(mount.destination)
        }
        "path" => {
            let path = item.source.strip_prefix("path ").unwrap_or_default();
            let mounts = engine.container_mounts(&c.id).await?;
            let under = |m: &MountInfo| {
                let dest = m.destination.trim_end_matches('/');
                path.trim_end_matches('/') == dest
                    || path.starts_with(&format!("{dest}/"))
                    || dest.is_empty()
            };
            mounts.iter().any(under).then(|| path.to_string())
        }
        _ => None,
    };
    Ok(match mounted {
        Some(dir) => {
            let top = recipes::split_path(&dir).1;
            (dir, Some(top))
        }
        None => (item.target.clone(), None),
    })
}

/// Pass the tar stream `input` on to `output` with its entries re-rooted at folder `top`.
async fn reroot(
    mut input: tokio::sync::mpsc::Receiver<bytes::Bytes>,
    output: tokio::sync::mpsc::Sender<bytes::Bytes>,
    top: &str,
) -> anyhow::Result<()> {
    let mut strip = retar::StripTop::new(top);
    while let Some(chunk) = input.recv().await {
        let out = strip.push(&chunk).map_err(|e| anyhow!(e))?;
        if !out.is_empty() && output.send(bytes::Bytes::from(out)).await.is_err() {
            return Ok(());
        }
    }
    if !strip.finished() {
        return Err(anyhow!("the archive ends in the middle of an entry"));
    }
    Ok(())
}
