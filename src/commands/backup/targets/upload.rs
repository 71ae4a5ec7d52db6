//! Copying a local backup to its targets, after `phi backup` wrote it (or `phi backup push`).
//!
//! On the target, every file lands under a temporary name (`.<name>.phi-part`), is read back
//! and checked (size and sha256: against the manifest for the items, against the local file
//! for the marker and the manifest), and only then renamed to its name (S3: copied, then the
//! temporary key deleted). The marker goes first and manifest.json last, so an upload cut
//! short leaves an incomplete backup on the target, which list, restore and prune never take
//! for a backup; running the upload again completes it. Bytes sent are hashed as they are
//! read, so a local file that no longer matches its manifest is never sent as if it did.
//!
//! A failed target never costs the local backup: it stays, the report names the target and
//! the run exits 1.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, anyhow};
use futures_util::future::join_all;
use serde::Serialize;

use super::super::store::{self, MANIFEST, MARKER, State};
use super::super::{Settings, create, metrics, retention, seconds};
use super::remote::{self, Conn, Digested};
use super::remote_store::{Scratch, prune, scan};
use super::{Target, chosen, lock, one_line, open};
use crate::commands::Ctx;
use crate::exit::{Coded, Exit};
use crate::output::{Envelope, Printer};
use crate::units::format_bytes;

/// The suffix of a file still being uploaded (after a leading `.`, so never an item's name).
pub const PART: &str = ".phi-part";

/// One target's part of a run.
#[derive(Debug, Clone, Serialize)]
pub struct TargetRun {
    pub target: String,
    pub ok: bool,
    pub id: String,
    /// The backup was already complete on the target: nothing was sent.
    pub already_there: bool,
    pub files: usize,
    pub bytes: u64,
    pub seconds: f64,
    /// Backups the retention deleted on the target after the upload.
    pub pruned: Vec<String>,
    pub problems: Vec<String>,
    /// The complete backups on the target after the run (for --keep-local).
    #[serde(skip)]
    complete: BTreeSet<String>,
    /// When the copy started (for the metrics textfile).
    #[serde(skip)]
    started: SystemTime,
    /// The target's newest complete backup, read back after the copy (for the metrics
    /// textfile); None when the target could not be read.
    #[serde(skip)]
    place: Option<metrics::Place>,
}

/// `phi backup` with targets: the local run's report and each target's.
#[derive(Debug, Clone, Serialize)]
pub struct CreateReport {
    #[serde(flatten)]
    pub create: create::Report,
    pub targets: Vec<TargetRun>,
    /// Local backups removed by --keep-local (each complete on every target).
    pub local_removed: Vec<String>,
}

/// `phi backup push`: one local backup copied to the targets.
#[derive(Debug, Clone, Serialize)]
pub struct PushReport {
    #[serde(flatten)]
    pub envelope: Envelope,
    pub ok: bool,
    pub id: String,
    pub targets: Vec<TargetRun>,
    pub local_removed: Vec<String>,
}

/// Upload backup `id` from `dir` to an open target; returns (already there, files, bytes).
async fn upload(
    conn: &mut Conn,
    dir: &Path,
    id: &str,
    label: &str,
    printer: &Printer,
) -> anyhow::Result<(bool, usize, u64)> {
    let folder = dir.join(id);
    let manifest = store::read_manifest(&folder.join(MANIFEST))
        .map_err(|e| anyhow!("backup {id} is not complete locally: {e}"))?;
    let local_manifest = digest_local(&folder, MANIFEST).await?;
    let present = conn.files(id).await?;
    if present.iter().any(|(n, _)| n == MANIFEST) {
        let there = conn.get(id, MANIFEST, None).await?;
        let items_there = manifest.items.iter().all(|i| {
            present
                .iter()
                .any(|(n, size)| *n == i.file && *size == i.size)
        });
        return match (there == local_manifest, items_there) {
            (true, true) => Ok((true, 0, 0)),
            (true, false) => Err(anyhow!(
                "backup {id} is on the target with files missing or of the wrong size; \
                 delete it there (phi backup prune --from) or look at it"
            )),
            (false, _) => Err(anyhow!(
                "the target already has a backup {id} that differs from the local one; it is left alone"
            )),
        };
    }
    let mut plan: Vec<(&str, Option<Digested>)> = vec![(MARKER, None)];
    for item in &manifest.items {
        plan.push((
            &item.file,
            Some(Digested {
                size: item.size,
                sha256: item.sha256.clone(),
            }),
        ));
    }
    plan.push((MANIFEST, Some(local_manifest)));
    let mut bytes = 0;
    for (name, expected) in &plan {
        let part = format!(".{name}{PART}");
        printer.progress("Uploading", &format!("{id}/{name} to {label}"));
        let local = store::open_in(&folder, name)
            .with_context(|| format!("cannot read {}", folder.join(name).display()))?;
        let sent = conn
            .put(tokio::fs::File::from_std(local), id, &part)
            .await?;
        if let Some(expected) = expected
            && *expected != sent
        {
            return Err(anyhow!(
                "the local file {id}/{name} does not match its manifest ({} bytes, sha256 {} \
                 expected; {} bytes, sha256 {} read): the local backup is damaged, nothing \
                 more is sent",
                expected.size,
                expected.sha256,
                sent.size,
                sent.sha256
            ));
        }
        let back = remote::read_back(conn, id, &part).await?;
        if back != sent {
            return Err(anyhow!(
                "{id}/{name} reads back from the target as {} bytes, sha256 {} ({} bytes, \
                 sha256 {} sent); it stays under its temporary name",
                back.size,
                back.sha256,
                sent.size,
                sent.sha256
            ));
        }
        conn.rename(id, &part, name).await?;
        bytes += sent.size;
    }
    // Temporary files of an earlier, cut-short upload.
    for (name, _) in conn.files(id).await? {
        if name.starts_with('.') && name.ends_with(PART) {
            conn.delete(id, &name).await?;
        }
    }
    Ok((false, plan.len(), bytes))
}

async fn digest_local(folder: &Path, name: &str) -> anyhow::Result<Digested> {
    let file = store::open_in(folder, name)
        .with_context(|| format!("cannot read {}", folder.join(name).display()))?;
    remote::digest(tokio::fs::File::from_std(file))
        .await
        .with_context(|| format!("cannot read {}", folder.join(name).display()))
}

/// Connections to the targets opened while the backup itself is being made: an SSH
/// handshake and the first listing take a few hundred milliseconds that need not come after
/// the dump. By target label; an attempt that failed keeps its error and when it ended.
#[derive(Default)]
pub struct Opened(BTreeMap<String, (anyhow::Result<Conn>, Instant)>);

impl Opened {
    /// Open a connection to every target `phi backup` will copy to (none when they cannot
    /// be named: the copy reports that).
    pub async fn open(ctx: &Ctx, opts: &Settings) -> Opened {
        let Ok(targets) = chosen(&ctx.project, &opts.to) else {
            return Opened::default();
        };
        let limit = opts.timeout.unwrap_or(Duration::from_secs(30));
        let opens = targets.iter().map(|target| async move {
            let conn = open(&ctx.project, &ctx.printer, target, limit).await;
            (target.label.clone(), (conn, Instant::now()))
        });
        Opened(join_all(opens).await.into_iter().collect())
    }

    /// The connection to `target` for its copy: the one opened early if it still answers,
    /// else a new one. An early attempt that failed is not repeated unless it is older than
    /// one connection `limit` (a long dump: the target may be back).
    async fn take(&mut self, ctx: &Ctx, target: &Target, limit: Duration) -> anyhow::Result<Conn> {
        match self.0.remove(&target.label) {
            Some((Ok(mut conn), _)) => {
                // A connection idle through a long dump may have been dropped on the way.
                if conn.folders().await.is_ok() {
                    return Ok(conn);
                }
                conn.close().await;
            }
            Some((Err(e), at)) if at.elapsed() < limit => return Err(e),
            _ => {}
        }
        open(&ctx.project, &ctx.printer, target, limit).await
    }

    pub async fn close(self) {
        for (conn, _) in self.0.into_values() {
            if let Ok(conn) = conn {
                conn.close().await;
            }
        }
    }
}

/// Copy backup `id` to one target, then apply `policy` there (when given). Never fails:
/// what went wrong is in the result.
#[allow(clippy::too_many_arguments)]
async fn copy_to(
    ctx: &Ctx,
    dir: &Path,
    id: &str,
    target: &Target,
    policy: Option<retention::Policy>,
    limit: Duration,
    lock_timeout: Duration,
    opened: &mut Opened,
) -> TargetRun {
    let (project, printer) = (&ctx.project, &ctx.printer);
    let clock = Instant::now();
    let mut run = TargetRun {
        target: target.label.clone(),
        ok: false,
        id: id.to_string(),
        already_there: false,
        files: 0,
        bytes: 0,
        seconds: 0.0,
        pruned: Vec::new(),
        problems: Vec::new(),
        complete: BTreeSet::new(),
        started: SystemTime::now(),
        place: None,
    };
    let outcome = async {
        let mut conn = opened.take(ctx, target, limit).await?;
        // Another run copying to or pruning this target waits for this one (lock.rs).
        let lock = match lock::acquire(
            &mut conn,
            &project.name,
            "backup",
            &target.label,
            lock_timeout,
            printer,
        )
        .await
        {
            Ok(lock) => lock,
            Err(e) => {
                conn.close().await;
                return Err(e);
            }
        };
        let result = async {
            let (already, files, bytes) =
                upload(&mut conn, dir, id, &target.label, printer).await?;
            (run.already_there, run.files, run.bytes) = (already, files, bytes);
            if let Some(policy) = policy {
                let scratch = Scratch::new(dir)?;
                let remote = scan(&mut conn, &project.name, scratch.path()).await?;
                let (_, removed, problems) =
                    prune(&mut conn, &remote, policy, false, printer).await;
                run.pruned = removed;
                run.problems.extend(problems);
            }
            // What is there now, mirrored afresh: a scratch folder that mirrored the backups
            // just pruned would still list them.
            let scratch = Scratch::new(dir)?;
            if let Ok(remaining) = scan(&mut conn, &project.name, scratch.path()).await {
                run.complete = remaining.listing.complete().map(|e| e.id.clone()).collect();
                run.place = Some(metrics::place(
                    &metrics::target_label(&target.label),
                    &remaining.listing,
                ));
            }
            anyhow::Ok(())
        }
        .await;
        let released = lock.release(&mut conn).await;
        conn.close().await;
        result.and(released.map_err(|e| e.context("cannot remove the target's lock")))
    }
    .await;
    if let Err(e) = outcome {
        let text = one_line(&e);
        let text = if text.starts_with("target ") {
            text
        } else {
            format!("target {}: {text}", target.label)
        };
        printer.warn(&format!("{text}; the local backup {id} is kept"));
        run.problems.push(text);
    }
    run.ok = run.problems.is_empty();
    run.seconds = seconds(clock);
    if run.ok {
        printer.progress(
            "Copied",
            &format!(
                "backup {id} to {} ({})",
                target.label,
                format_bytes(run.bytes)
            ),
        );
    }
    run
}

/// Copy backup `id` to every target in turn; an interrupt ends the run (exit 130).
async fn copy_all(
    ctx: &Ctx,
    dir: &Path,
    id: &str,
    targets: &[Target],
    policy: Option<retention::Policy>,
    opts: &Settings,
    opened: &mut Opened,
) -> anyhow::Result<Vec<TargetRun>> {
    let limit = opts.timeout.unwrap_or(Duration::from_secs(30));
    let mut runs = Vec::new();
    for target in targets {
        let run = ctx
            .interrupt
            .run(async {
                let lock_timeout = opts.lock_timeout;
                Ok(copy_to(ctx, dir, id, target, policy, limit, lock_timeout, opened).await)
            })
            .await;
        match run {
            Ok(run) => runs.push(run),
            Err(e) => {
                ctx.printer.warn(&format!(
                    "interrupted while copying {id} to {}: what landed there is incomplete (no manifest.json); the local backup is kept",
                    target.label
                ));
                return Err(e);
            }
        }
    }
    Ok(runs)
}

/// --keep-local N: once every target holds them complete, delete the local backups beyond
/// the newest N complete ones. Returns the deleted IDs and the problems.
async fn keep_local(
    ctx: &Ctx,
    dir: &Path,
    keep: Option<u64>,
    runs: &[TargetRun],
    opts: &Settings,
) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let Some(keep) = keep else {
        return Ok((Vec::new(), Vec::new()));
    };
    if runs.is_empty() || runs.iter().any(|r| !r.ok) {
        return Ok((Vec::new(), Vec::new()));
    }
    let (printer, interrupt) = (&ctx.printer, &ctx.interrupt);
    let _lock = interrupt
        .run(store::lock(dir, "backup", opts.lock_timeout, |holder| {
            super::super::waiting(printer, dir, holder)
        }))
        .await?;
    let listing = store::scan(dir, &ctx.project.name)
        .with_context(|| format!("cannot read {}", dir.display()))?;
    let (mut removed, mut problems) = (Vec::new(), Vec::new());
    let keep = usize::try_from(keep).unwrap_or(usize::MAX);
    for entry in listing.complete().skip(keep) {
        if !runs.iter().all(|r| r.complete.contains(&entry.id)) {
            continue;
        }
        if !entry.path.join(MARKER).is_file() {
            problems.push(format!("{}: phi's marker is gone; left alone", entry.id));
            continue;
        }
        match std::fs::remove_dir_all(&entry.path) {
            Ok(()) => {
                printer.progress(
                    "Deleted",
                    &format!("{} from the host (it is on every target)", entry.id),
                );
                removed.push(entry.id.clone());
            }
            Err(e) => problems.push(format!("{}: cannot delete: {e}", entry.id)),
        }
    }
    if !removed.is_empty() {
        super::super::codec::sync_dir(dir)?;
    }
    Ok((removed, problems))
}

fn keep_local_setting(ctx: &Ctx, opts: &Settings) -> Option<u64> {
    opts.keep_local
        .or(ctx.project.model.x_phi.backup.keep_local)
}

/// After `phi backup` wrote a backup: copy it to the targets, apply the retention there,
/// bound what stays on the host; print the whole report and return the exit status. Each
/// target's attempt (and what its copy left there) goes into `seen`, for the textfile.
pub async fn finish_create(
    ctx: &Ctx,
    dir: &Path,
    report: create::Report,
    prune_after: bool,
    opts: &Settings,
    seen: &mut metrics::Targets,
    mut opened: Opened,
) -> anyhow::Result<Exit> {
    let (project, printer) = (&ctx.project, &ctx.printer);
    let targets = chosen(project, &opts.to)?;
    let mut runs = Vec::new();
    let mut local_removed = Vec::new();
    let mut exit = report.exit;
    let mut report = report;
    if let (Some(id), Exit::Ok, false) = (&report.id, report.exit, targets.is_empty()) {
        let policy = super::super::policy(project, opts)?;
        let policy = (prune_after && policy.is_set()).then_some(policy);
        let copied = copy_all(ctx, dir, id, &targets, policy, opts, &mut opened).await;
        // Connections not used (a target named twice) end here, as on an interrupt.
        std::mem::take(&mut opened).close().await;
        runs = copied?;
        for r in &runs {
            seen.attempts.push(metrics::Attempt {
                target: metrics::target_label(&r.target),
                started: r.started,
                duration: Duration::from_secs_f64(r.seconds),
                success: r.ok,
            });
            seen.places.extend(r.place.clone());
        }
        let (removed, problems) =
            keep_local(ctx, dir, keep_local_setting(ctx, opts), &runs, opts).await?;
        local_removed = removed;
        report.problems.extend(problems);
        if runs.iter().any(|r| !r.ok) || !report.problems.is_empty() {
            exit = exit.merge(Exit::Failure);
            report.ok = false;
        }
    }
    let report = CreateReport {
        create: report,
        targets: runs,
        local_removed,
    };
    printer
        .report(&report, |color| {
            let mut text = create::render(&report.create, color);
            text.push_str(&render_targets(&report.targets, &report.local_removed));
            text
        })
        .context("writing the report")?;
    Ok(exit)
}

/// `phi backup push [ID]`: copy a local backup (default: the newest complete one) to the
/// targets (--to, else every declared one).
pub async fn push(
    ctx: &Ctx,
    dir: &Path,
    id: Option<&str>,
    opts: &Settings,
) -> anyhow::Result<Exit> {
    let (project, printer) = (&ctx.project, &ctx.printer);
    let targets = chosen(project, &opts.to)?;
    if targets.is_empty() {
        return Err(Coded::new(
            Exit::Usage,
            "no target to push to: give --to TARGET or declare x-phi.backup.targets",
        )
        .into());
    }
    let listing = store::scan(dir, &project.name)
        .with_context(|| format!("cannot read {}", dir.display()))?;
    let entry =
        store::resolve(&listing, id.unwrap_or("latest")).map_err(|m| Coded::new(Exit::Usage, m))?;
    if entry.state != State::Complete {
        return Err(Coded::new(
            Exit::Usage,
            format!(
                "backup {} is {}: only complete backups are copied",
                entry.id,
                entry.state.as_str()
            ),
        )
        .into());
    }
    let id = entry.id.clone();
    let runs = copy_all(ctx, dir, &id, &targets, None, opts, &mut Opened::default()).await?;
    let (local_removed, problems) =
        keep_local(ctx, dir, keep_local_setting(ctx, opts), &runs, opts).await?;
    let ok = runs.iter().all(|r| r.ok) && problems.is_empty();
    let report = PushReport {
        envelope: Envelope::new(&project.name),
        ok,
        id,
        targets: runs,
        local_removed,
    };
    printer
        .report(&report, |_| {
            let mut text = render_targets(&report.targets, &report.local_removed);
            for p in &problems {
                text.push_str(&format!("problem: {p}\n"));
            }
            text
        })
        .context("writing the report")?;
    Ok(if ok { Exit::Ok } else { Exit::Failure })
}

fn render_targets(runs: &[TargetRun], local_removed: &[String]) -> String {
    let mut text = String::new();
    for r in runs {
        if r.ok {
            let what = if r.already_there {
                format!("backup {} was already there", r.id)
            } else {
                format!(
                    "copied backup {} ({} files, {}) in {:.1}s",
                    r.id,
                    r.files,
                    format_bytes(r.bytes),
                    r.seconds
                )
            };
            text.push_str(&format!("target {}: {what}", r.target));
            if !r.pruned.is_empty() {
                text.push_str(&format!(", {} old backup(s) pruned there", r.pruned.len()));
            }
            text.push('\n');
        } else {
            text.push_str(&format!(
                "target {}: FAILED; the local backup {} is kept\n",
                r.target, r.id
            ));
            for p in &r.problems {
                text.push_str(&format!("  problem: {p}\n"));
            }
        }
    }
    if !local_removed.is_empty() {
        text.push_str(&format!(
            "removed from the host (complete on every target): {}\n",
            local_removed.join(", ")
        ));
    }
    text
}
