//! A target read as a backup directory: `list`, `verify`, `restore` and `prune` with
//! `--from TARGET`.
//!
//! The target's manifests (and phi's markers) are mirrored into a scratch folder under the
//! local backup directory, so that the local scanner decides what is complete, incomplete,
//! damaged or not phi's, by the same rules. `verify` and `restore` download the backups
//! they need into that folder and run as on the local directory; the scratch folder is
//! removed when the run ends. `prune` deletes on the target what the retention does not keep,
//! manifest first, so that a prune cut short leaves an incomplete backup, never one that
//! looks complete with files missing; folders without phi's marker are never touched.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::Context;

use super::super::store::{self, Listing, MANIFEST, MARKER};
use super::super::{Action, Settings, crypt, retention};
use super::remote::Conn;
use super::{Target, lock, open};
use crate::commands::Ctx;
use crate::engine::Engine;
use crate::exit::{Coded, Exit};
use crate::output::Envelope;

/// The largest manifest phi downloads (as store.rs reads at most).
const MAX_MANIFEST_BYTES: u64 = 64 << 20;

/// A scratch folder under the local backup directory, removed on drop.
pub struct Scratch(PathBuf);

impl Scratch {
    /// Under `dir` (created if needed); where that cannot be written, under the system's
    /// temporary directory.
    pub fn new(dir: &Path) -> anyhow::Result<Scratch> {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos();
        let name = format!(".phi-from-{}-{nanos}", std::process::id());
        let path = dir.join(&name);
        if store::ensure_dir(dir).is_ok() && store::ensure_dir(&path).is_ok() {
            return Ok(Scratch(path));
        }
        let path = std::env::temp_dir().join(name);
        store::ensure_dir(&path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Scratch(path))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What the target holds for the project: the listing (as the local scanner sees the mirrored
/// manifests, sizes as on the target) and each folder's files.
pub struct RemoteListing {
    pub listing: Listing,
    pub files: BTreeMap<String, Vec<(String, u64)>>,
}

/// Mirror the project's folders on the target (marker and manifest only) into `scratch`.
pub async fn scan(conn: &mut Conn, project: &str, scratch: &Path) -> anyhow::Result<RemoteListing> {
    let mut files = BTreeMap::new();
    for folder in conn.folders().await? {
        if store::parse_folder_name(project, &folder).is_none() {
            continue;
        }
        let listed = conn.files(&folder).await?;
        let mirror = scratch.join(&folder);
        store::ensure_dir(&mirror)?;
        if listed.iter().any(|(n, _)| n == MARKER) {
            std::fs::write(mirror.join(MARKER), "mirrored from a target\n")?;
        }
        if let Some((_, size)) = listed.iter().find(|(n, _)| n == MANIFEST) {
            if *size > MAX_MANIFEST_BYTES {
                std::fs::write(mirror.join(MANIFEST), "too large to be phi's")?;
            } else {
                conn.get(&folder, MANIFEST, Some(&mirror.join(MANIFEST)))
                    .await?;
            }
        }
        files.insert(folder, listed);
    }
    let mut listing = store::scan(scratch, project)
        .with_context(|| format!("cannot read {}", scratch.display()))?;
    for entry in &mut listing.entries {
        entry.size = files
            .get(&entry.id)
            .map(|f| f.iter().map(|(_, s)| s).sum())
            .unwrap_or(0);
    }
    Ok(RemoteListing { listing, files })
}

/// Download the item files of backup `id` next to its mirrored manifest.
pub async fn download(
    conn: &mut Conn,
    remote: &RemoteListing,
    id: &str,
    scratch: &Path,
    printer: &crate::output::Printer,
) -> anyhow::Result<()> {
    let Some(entry) = remote.listing.entries.iter().find(|e| e.id == id) else {
        return Ok(());
    };
    let Some(manifest) = &entry.manifest else {
        return Ok(());
    };
    let present = remote.files.get(id).cloned().unwrap_or_default();
    for item in &manifest.items {
        // A file missing on the target stays missing here: verify and restore say so.
        if !present.iter().any(|(n, _)| *n == item.file) {
            continue;
        }
        printer.progress("Downloading", &format!("{id}/{}", item.file));
        conn.get(id, &item.file, Some(&scratch.join(id).join(&item.file)))
            .await
            .with_context(|| format!("cannot download {id}/{}", item.file))?;
    }
    Ok(())
}

/// Delete backup `id` on the target: manifest first, then the items, the marker last.
/// Only a folder with phi's marker in it, and only the files phi names there.
pub async fn delete_backup(conn: &mut Conn, id: &str) -> Result<(), String> {
    let files = conn.files(id).await.map_err(|e| format!("{e:#}"))?;
    if !files.iter().any(|(n, _)| n == MARKER) {
        return Err("phi's marker is gone; left alone".into());
    }
    let mut order: Vec<&str> = Vec::new();
    if files.iter().any(|(n, _)| n == MANIFEST) {
        order.push(MANIFEST);
    }
    for (name, _) in &files {
        let phis = (store::check_file_name(name).is_ok() && name != MANIFEST)
            || (name.starts_with('.') && name.ends_with(super::upload::PART));
        if phis {
            order.push(name);
        }
    }
    order.push(MARKER);
    for name in order {
        conn.delete(id, name).await.map_err(|e| format!("{e:#}"))?;
    }
    // A folder where something else was left (not phi's) stays.
    if conn.files(id).await.map(|f| f.is_empty()).unwrap_or(false) {
        conn.remove_folder(id).await.map_err(|e| format!("{e:#}"))?;
    }
    Ok(())
}

/// Apply the retention on a target: the same rules as locally.
pub async fn prune(
    conn: &mut Conn,
    remote: &RemoteListing,
    policy: retention::Policy,
    dry_run: bool,
    printer: &crate::output::Printer,
) -> (Vec<retention::Verdict>, Vec<String>, Vec<String>) {
    let candidates: Vec<(String, SystemTime, store::State)> = remote
        .listing
        .entries
        .iter()
        .map(|e| (e.id.clone(), e.time, e.state))
        .collect();
    let verdicts = retention::select(&candidates, policy, SystemTime::now());
    let (mut removed, mut problems) = (Vec::new(), Vec::new());
    for v in verdicts.iter().filter(|v| !v.keep) {
        if dry_run {
            printer.progress("Would delete", &format!("{} ({})", v.id, v.reason));
            continue;
        }
        match delete_backup(conn, &v.id).await {
            Ok(()) => {
                printer.progress("Deleted", &format!("{} ({})", v.id, v.reason));
                removed.push(v.id.clone());
            }
            Err(e) => problems.push(format!("{}: {e}", v.id)),
        }
    }
    (verdicts, removed, problems)
}

/// `list`, `verify`, `restore` or `prune` with `--from TARGET`.
pub async fn run_from(
    ctx: &Ctx,
    engine: Option<&Engine>,
    dir: &Path,
    from: &str,
    opts: &Settings,
) -> anyhow::Result<Exit> {
    let (project, printer, interrupt) = (&ctx.project, &ctx.printer, &ctx.interrupt);
    let target = super::resolve(project, from)?;
    let limit = opts.timeout.unwrap_or(Duration::from_secs(30));
    let mut conn = interrupt
        .run(open(project, printer, &target, limit))
        .await?;
    // A prune takes the target's lock before it lists, so that a copy to the target does not
    // interleave with it (a dry run only reads); it is given back however the prune ends.
    let lock = match &opts.action {
        Action::Prune { dry_run: false } => {
            let taken = interrupt
                .run(lock::acquire(
                    &mut conn,
                    &project.name,
                    "backup prune",
                    &target.label,
                    opts.lock_timeout,
                    printer,
                ))
                .await;
            match taken {
                Ok(lock) => Some(lock),
                Err(e) => {
                    conn.close().await;
                    return Err(e);
                }
            }
        }
        _ => None,
    };
    let outcome = interrupt
        .run(from_target(ctx, engine, dir, &target, &mut conn, opts))
        .await;
    if let Some(lock) = lock
        && let Err(e) = lock.release(&mut conn).await
    {
        printer.warn(&format!(
            "target {}: cannot remove its lock: {}",
            target.label,
            super::one_line(&e)
        ));
    }
    conn.close().await;
    outcome
}

async fn from_target(
    ctx: &Ctx,
    engine: Option<&Engine>,
    dir: &Path,
    target: &Target,
    conn: &mut Conn,
    opts: &Settings,
) -> anyhow::Result<Exit> {
    let (project, printer) = (&ctx.project, &ctx.printer);
    let scratch = Scratch::new(dir)?;
    let remote = scan(conn, &project.name, scratch.path())
        .await
        .with_context(|| format!("target {}", target.label))?;
    match &opts.action {
        Action::List => {
            let mut report = super::super::list(project, scratch.path())?;
            report.dir = target.label.clone();
            for b in &mut report.backups {
                if let Some(e) = remote.listing.entries.iter().find(|e| e.id == b.id) {
                    b.size_bytes = e.size;
                }
            }
            printer
                .report(&report, |color| super::super::render_list(&report, color))
                .context("writing the list")?;
            Ok(Exit::Ok)
        }
        Action::Verify { id } => {
            let chosen: Vec<String> = match id {
                Some(id) => vec![
                    store::resolve(&remote.listing, id)
                        .map_err(|m| Coded::new(Exit::Usage, m))?
                        .id
                        .clone(),
                ],
                None => remote
                    .listing
                    .entries
                    .iter()
                    .map(|e| e.id.clone())
                    .collect(),
            };
            for id in &chosen {
                download(conn, &remote, id, scratch.path(), printer)
                    .await
                    .with_context(|| format!("target {}", target.label))?;
            }
            let report = super::super::verify::run(
                project,
                engine,
                scratch.path(),
                id.as_deref(),
                opts,
                printer,
            )
            .await?;
            printer
                .report(&report, |_| super::super::verify::render(&report))
                .context("writing the report")?;
            Ok(if report.ok {
                Exit::Ok
            } else {
                Exit::CheckFailed
            })
        }
        Action::Restore { id, services } => {
            let engine = engine.context("the engine is needed to restore")?;
            let entry =
                store::resolve(&remote.listing, id).map_err(|m| Coded::new(Exit::Usage, m))?;
            // Refused before a byte is downloaded: no key for an encrypted backup, a backup
            // that is not complete, a service it does not hold.
            let items = super::super::restore::chosen_items(entry, services)?;
            crypt::require_identity(project, opts.identity.as_deref(), items.into_iter())?;
            let chosen = entry.id.clone();
            download(conn, &remote, &chosen, scratch.path(), printer)
                .await
                .with_context(|| format!("target {}", target.label))?;
            let report =
                super::super::restore::run(ctx, engine, scratch.path(), &chosen, services, opts)
                    .await?;
            printer
                .report(&report, |_| super::super::restore::render(&report))
                .context("writing the report")?;
            Ok(if report.ok { Exit::Ok } else { Exit::Failure })
        }
        Action::Prune { dry_run } => {
            let policy = super::super::policy(project, opts)?;
            if !policy.is_set() {
                return Err(Coded::new(
                    Exit::Usage,
                    "no retention to prune by: give --keep-last or --keep-days, or set \
                     BACKUP_RETENTION_DAYS or x-phi backup.keep_last / keep_days",
                )
                .into());
            }
            let (verdicts, removed, problems) =
                prune(conn, &remote, policy, *dry_run, printer).await;
            let foreign = remote.listing.foreign.clone();
            let report = super::super::PruneReport {
                envelope: Envelope::new(&project.name),
                dir: target.label.clone(),
                dry_run: *dry_run,
                verdicts,
                removed,
                foreign,
                problems,
            };
            printer
                .report(&report, |_| super::super::render_prune(&report))
                .context("writing the report")?;
            Ok(if report.problems.is_empty() {
                Exit::Ok
            } else {
                Exit::Failure
            })
        }
        Action::Drill { id } => {
            let engine = engine.context("the engine is needed for a drill")?;
            let entry = store::resolve(&remote.listing, id.as_deref().unwrap_or("latest"))
                .map_err(|m| Coded::new(Exit::Usage, m))?;
            if let Some(manifest) = &entry.manifest {
                crypt::require_identity(project, opts.identity.as_deref(), manifest.items.iter())?;
            }
            let chosen = entry.id.clone();
            download(conn, &remote, &chosen, scratch.path(), printer)
                .await
                .with_context(|| format!("target {}", target.label))?;
            let report =
                super::super::drill::run(ctx, engine, scratch.path(), Some(&chosen), opts).await?;
            printer
                .report(&report, |_| super::super::drill::render(&report))
                .context("writing the report")?;
            Ok(if report.ok {
                Exit::Ok
            } else {
                Exit::CheckFailed
            })
        }
        Action::Check { max_age } => {
            let place = super::super::metrics::place(&target.label, &remote.listing);
            super::super::report_check(ctx, target.label.clone(), place, *max_age)
        }
        Action::Create { .. } | Action::Push { .. } => Err(Coded::new(
            Exit::Usage,
            "--from reads backups from a target (list, verify, restore, drill, check, prune); \
             to copy one to a target, use --to",
        )
        .into()),
    }
}
