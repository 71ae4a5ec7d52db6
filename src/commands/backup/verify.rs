//! `phi backup verify [ID]`: every file against its manifest (size, sha256), every compressed
//! stream read to its end, and postgres custom dumps listed by `pg_restore --list`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Serialize;

use super::codec::{self, ReadBack};
use super::crypt::{self, Opening};
use super::store::{self, Entry, Item, State};
use super::{Settings, container_for, recipes, transfer};
use crate::config::Project;
use crate::engine::archive::StreamExec;
use crate::engine::{Engine, RunState};
use crate::exit::{Coded, Exit};
use crate::output::Envelope;
use crate::output::Printer;

#[derive(Debug, Clone, Serialize)]
pub struct ItemCheck {
    pub service: String,
    pub recipe: String,
    pub file: String,
    pub ok: bool,
    pub size: Option<u64>,
    pub sha256: Option<String>,
    /// `ok`, `failed: ...`, or `skipped: why` (postgres custom dumps only).
    pub pg_restore_list: Option<String>,
    /// Encrypted with age.
    pub encrypted: bool,
    /// Decrypted (when encrypted) and decompressed to its end; false when only the bytes on
    /// disk could be checked (encrypted, no identity given).
    pub opened: bool,
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BackupCheck {
    pub id: String,
    pub state: State,
    pub ok: bool,
    pub items: Vec<ItemCheck>,
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    #[serde(flatten)]
    pub envelope: Envelope,
    pub ok: bool,
    pub backups: Vec<BackupCheck>,
}

pub fn render(report: &Report) -> String {
    let mut text = String::new();
    for b in &report.backups {
        let verdict = match (b.ok, b.state) {
            (true, State::Incomplete) => "skipped",
            (true, _) => "ok",
            (false, _) => "FAILED",
        };
        text.push_str(&format!("{} {} ({})\n", b.id, verdict, b.state.as_str()));
        if let Some(p) = &b.problem {
            text.push_str(&format!("  problem: {p}\n"));
        }
        for i in &b.items {
            let mut line = format!(
                "  {:<7} {:<12} {:<8} {}",
                if i.ok { "ok" } else { "FAILED" },
                i.service,
                i.recipe,
                i.file
            );
            if let Some(pg) = &i.pg_restore_list {
                line.push_str(&format!("  pg_restore --list: {pg}"));
            }
            if i.encrypted && !i.opened && i.problem.is_none() {
                line.push_str(
                    "  (age: ciphertext checksum only; --identity decrypts and reads it)",
                );
            } else if i.encrypted && i.opened {
                line.push_str("  (age: decrypted)");
            }
            if let Some(p) = &i.problem {
                line.push_str(&format!("  ({p})"));
            }
            text.push_str(&line);
            text.push('\n');
        }
    }
    if report.backups.is_empty() {
        text.push_str(&format!(
            "{}: no backups to verify\n",
            report.envelope.project
        ));
    } else {
        let bad = report.backups.iter().filter(|b| !b.ok).count();
        text.push_str(&format!(
            "{}: {} backup(s) checked, {} ok, {bad} failed\n",
            report.envelope.project,
            report.backups.len(),
            report.backups.len() - bad
        ));
    }
    text
}

pub async fn run(
    project: &Project,
    engine: Option<&Engine>,
    dir: &Path,
    id: Option<&str>,
    opts: &Settings,
    printer: &Printer,
) -> anyhow::Result<Report> {
    let listing = store::scan(dir, &project.name)
        .with_context(|| format!("cannot read {}", dir.display()))?;
    let identities = crypt::identities(project, opts.identity.as_deref())?;
    let chosen: Vec<&Entry> = match id {
        Some(id) => vec![store::resolve(&listing, id).map_err(|m| Coded::new(Exit::Usage, m))?],
        None => listing.entries.iter().collect(),
    };
    let containers = match engine {
        Some(engine) => engine
            .project_containers(&project.name)
            .await
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let mut backups = Vec::new();
    for entry in chosen {
        let Some(manifest) = &entry.manifest else {
            let problem = match entry.state {
                State::Incomplete => {
                    "incomplete: no manifest.json (an interrupted or failed run)".to_string()
                }
                _ => entry.problem.clone().unwrap_or_else(|| "damaged".into()),
            };
            // Without an ID, an incomplete run is reported but does not fail the check.
            backups.push(BackupCheck {
                id: entry.id.clone(),
                state: entry.state,
                ok: id.is_none() && entry.state == State::Incomplete,
                items: Vec::new(),
                problem: Some(problem),
            });
            continue;
        };
        printer.progress("Verifying", &entry.id);
        let mut items = Vec::new();
        for item in &manifest.items {
            let target = engine.and_then(|engine| {
                container_for(&containers, &item.service)
                    .filter(|c| c.state == RunState::Running)
                    .map(|c| (engine, c.id.clone()))
            });
            let opening = Opening::of(item.encryption.as_ref(), identities.as_ref());
            items.push(check_item(&entry.path, item, opening, target, opts.stall(), printer).await);
        }
        backups.push(BackupCheck {
            id: entry.id.clone(),
            state: entry.state,
            ok: items.iter().all(|i| i.ok),
            items,
            problem: None,
        });
    }
    Ok(Report {
        envelope: Envelope::new(&project.name),
        ok: backups.iter().all(|b| b.ok),
        backups,
    })
}

/// Compare what was read back with the manifest.
pub fn compare(item: &Item, back: &ReadBack) -> Option<String> {
    if back.size != item.size {
        Some(format!(
            "size is {} bytes, the manifest says {}",
            back.size, item.size
        ))
    } else if back.sha256 != item.sha256 {
        Some(format!(
            "sha256 is {}, the manifest says {}",
            back.sha256, item.sha256
        ))
    } else if back.opened && back.raw_size != item.raw_size {
        Some(format!(
            "{} bytes decompressed, the manifest says {}",
            back.raw_size, item.raw_size
        ))
    } else {
        None
    }
}

async fn check_item(
    folder: &Path,
    item: &Item,
    opening: Opening,
    container: Option<(&Engine, String)>,
    stall: std::time::Duration,
    printer: &Printer,
) -> ItemCheck {
    let path = folder.join(&item.file);
    let mut check = ItemCheck {
        service: item.service.clone(),
        recipe: item.recipe.clone(),
        file: item.file.clone(),
        ok: false,
        size: None,
        sha256: None,
        pg_restore_list: None,
        encrypted: item.encryption.is_some(),
        opened: false,
        problem: None,
    };
    let (bar, progress) = transfer(printer, &format!("checking {}", item.file));
    let custom_dump = item.recipe == "postgres" && item.format == "custom";
    let blind = matches!(opening, Opening::Sealed(None));
    let result = if custom_dump && !blind {
        let (read, listed) = pg_list(&path, item, opening, container, stall, progress).await;
        check.pg_restore_list = Some(listed);
        read
    } else {
        if custom_dump {
            check.pg_restore_list = Some("skipped: encrypted, and no identity given".into());
        }
        codec::check_file(path, item.compression, opening, Some(progress)).await
    };
    drop(bar);
    match result {
        Ok(back) => {
            check.opened = back.opened;
            check.size = Some(back.size);
            check.sha256 = Some(back.sha256.clone());
            check.problem = compare(item, &back);
        }
        Err(e) => check.problem = Some(e.to_string()),
    }
    let listed_ok = check
        .pg_restore_list
        .as_deref()
        .is_none_or(|l| !l.starts_with("failed"));
    check.ok = check.problem.is_none() && listed_ok;
    check
}

/// Read a custom dump once: hash it, and feed it to `pg_restore --list` in the service's
/// running container, or a local pg_restore; without either the listing is skipped.
async fn pg_list(
    path: &Path,
    item: &Item,
    opening: Opening,
    container: Option<(&Engine, String)>,
    stall: std::time::Duration,
    progress: codec::Progress,
) -> (std::io::Result<ReadBack>, String) {
    let local = which::which("pg_restore").ok();
    if container.is_none() && local.is_none() {
        let read = codec::check_file(
            path.to_path_buf(),
            item.compression,
            opening,
            Some(progress),
        )
        .await;
        return (
            read,
            "skipped: the service has no running container and pg_restore is not on PATH".into(),
        );
    }
    let (rx, result) = codec::read_file(
        path.to_path_buf(),
        item.compression,
        opening,
        Some(progress),
    );
    let listed = match container {
        Some((engine, id)) => {
            let command = recipes::pg_restore_list();
            let exec = StreamExec {
                container: &id,
                command: &command,
                env: &[],
                stall,
            };
            match engine.exec_piped(exec, Some(rx), None).await {
                Ok(o) if o.exit_code == 0 => "ok".to_string(),
                Ok(o) => format!(
                    "failed: exit {}: {}",
                    o.exit_code,
                    super::create::last_lines(&o.stderr)
                ),
                Err(e) => format!("failed: {e}"),
            }
        }
        None => local_list(local.unwrap_or_default(), rx).await,
    };
    let read = result.await.unwrap_or_else(|_| {
        Err(std::io::Error::other(
            "the reader thread ended unexpectedly",
        ))
    });
    (read, listed)
}

/// `pg_restore --list` on this host, fed from `rx`.
async fn local_list(program: PathBuf, mut rx: tokio::sync::mpsc::Receiver<bytes::Bytes>) -> String {
    use tokio::io::AsyncWriteExt;
    let child = tokio::process::Command::new(program)
        .arg("--list")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => return format!("failed: cannot run pg_restore: {e}"),
    };
    if let Some(mut stdin) = child.stdin.take() {
        while let Some(chunk) = rx.recv().await {
            if stdin.write_all(&chunk).await.is_err() {
                break;
            }
        }
    }
    drop(rx);
    match child.wait_with_output().await {
        Ok(out) if out.status.success() => "ok (local pg_restore)".into(),
        Ok(out) => format!(
            "failed: {}",
            super::create::last_lines(&String::from_utf8_lossy(&out.stderr))
        ),
        Err(e) => format!("failed: {e}"),
    }
}
