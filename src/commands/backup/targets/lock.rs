//! A lock on a target, so that two runs copying to (or pruning) the same target at once do not
//! interleave their uploads and deletions: the file `.phi-lock-<project>` at the target's root,
//! created only when absent (O_EXCL on a directory and over SFTP, `If-None-Match: *` on S3),
//! saying who holds it, and deleted when the run is done with the target.
//!
//! A run that finds the lock waits up to --lock-timeout, then gives up on that target (exit 5
//! for `prune --from`; a failed copy, exit 1, for `phi backup`), naming the holder and the
//! file. A lock left by a run on this host whose process is gone (killed, or interrupted in the
//! middle of a copy) is taken over; a lock from another host never is, since phi cannot tell
//! whether that run is alive: the message says which file to delete.
//!
//! Limits: an S3-compatible server that ignores `If-None-Match` gives no exclusion; two runs
//! taking over the same dead run's lock in the same instant can both proceed.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use super::remote::Conn;
use crate::exit::{Coded, Exit};
use crate::output::Printer;

/// The lock file's name for `project` (a leading `.`: never a backup folder or a file phi lists).
pub fn name(project: &str) -> String {
    format!(".phi-lock-{project}")
}

/// Held while a run copies to or prunes a target; give it back with [`TargetLock::release`].
#[derive(Debug)]
pub struct TargetLock {
    name: String,
    text: String,
}

fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "this host".into())
}

fn holder(command: &str, host: &str) -> String {
    format!(
        "phi {command} (pid {} on {host}, since {})\n",
        std::process::id(),
        super::super::store::rfc3339(SystemTime::now())
    )
}

/// A lock written by a process of `host` that no longer runs.
fn stale(text: &str, host: &str, alive: impl Fn(u32) -> bool) -> bool {
    let Some((_, rest)) = text.split_once("(pid ") else {
        return false;
    };
    let Some((pid, rest)) = rest.split_once(" on ") else {
        return false;
    };
    let Some((written_on, _)) = rest.split_once(", since ") else {
        return false;
    };
    match pid.parse::<u32>() {
        Ok(pid) => written_on == host && !alive(pid),
        Err(_) => false,
    }
}

fn alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

/// Take the lock on an open target for `command`, waiting up to `timeout` for another run.
pub async fn acquire(
    conn: &mut Conn,
    project: &str,
    command: &str,
    label: &str,
    timeout: Duration,
    printer: &Printer,
) -> anyhow::Result<TargetLock> {
    let name = name(project);
    let host = host();
    let text = holder(command, &host);
    let deadline = Instant::now() + timeout;
    let mut told = false;
    loop {
        if conn.create_new(&name, &text).await? {
            return Ok(TargetLock { name, text });
        }
        // Released meanwhile: try again at once.
        let Some(held) = conn.read_root(&name).await? else {
            continue;
        };
        let who = held.trim().to_string();
        if stale(&held, &host, alive) {
            printer.progress(
                "Removing",
                &format!("the lock on target {label} left by {who}: that process is gone"),
            );
            conn.delete_root(&name).await?;
            continue;
        }
        if Instant::now() >= deadline {
            return Err(Coded::new(
                Exit::Timeout,
                format!(
                    "target {label} is locked by {who} (the file {name} at its root): another \
                     run is copying to it or pruning it; wait for it (--lock-timeout), or, if no \
                     run is, delete that file"
                ),
            )
            .into());
        }
        if !told {
            printer.progress("Waiting", &format!("for target {label}, locked by {who}"));
            told = true;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

impl TargetLock {
    /// Delete the lock file, if it is still this run's (a run that took it over as stale
    /// keeps its own).
    pub async fn release(self, conn: &mut Conn) -> anyhow::Result<()> {
        match conn.read_root(&self.name).await? {
            Some(text) if text == self.text => conn.delete_root(&self.name).await,
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_dead_process_of_this_host_leaves_a_stale_lock() {
        let text = holder("backup", "nas-1");
        let pid = std::process::id();
        assert!(text.starts_with(&format!("phi backup (pid {pid} on nas-1, since ")));
        assert!(stale(&text, "nas-1", |_| false));
        assert!(!stale(&text, "nas-1", |p| p == pid));
        assert!(!stale(&text, "other", |_| false));
        assert!(!stale("something else\n", "nas-1", |_| false));
        assert!(!stale(
            "phi backup (pid x on nas-1, since t)",
            "nas-1",
            |_| false
        ));
        assert!(alive(pid));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_lock_is_taken_once_waited_for_and_released() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("target");
        let printer = Printer::new(
            crate::output::Format::Human,
            true,
            0,
            crate::output::ColorChoice::Never,
            |_| None,
            crate::redact::Redactor::new(),
        );
        let mut conn = Conn::Local(root.clone());
        let first = acquire(&mut conn, "shop", "backup", "t", Duration::ZERO, &printer)
            .await
            .unwrap();
        let held = std::fs::read_to_string(root.join(".phi-lock-shop")).unwrap();
        assert!(held.starts_with("phi backup (pid"), "{held}");
        // Another project's lock is another file.
        let other = acquire(&mut conn, "blog", "backup", "t", Duration::ZERO, &printer)
            .await
            .unwrap();
        let err = acquire(
            &mut conn,
            "shop",
            "backup prune",
            "t",
            Duration::from_millis(600),
            &printer,
        )
        .await
        .unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("target t is locked by phi backup (pid")
                && text.contains(".phi-lock-shop"),
            "{text}"
        );
        assert_eq!(crate::commands::classify(&err), Exit::Timeout);
        first.release(&mut conn).await.unwrap();
        other.release(&mut conn).await.unwrap();
        assert!(std::fs::read_dir(&root).unwrap().next().is_none());
        // A dead process's lock from this host is taken over.
        std::fs::write(
            root.join(".phi-lock-shop"),
            format!("phi backup (pid 4194303 on {}, since x)\n", host()),
        )
        .unwrap();
        let taken = acquire(&mut conn, "shop", "backup", "t", Duration::ZERO, &printer)
            .await
            .unwrap();
        taken.release(&mut conn).await.unwrap();
        assert!(!root.join(".phi-lock-shop").exists());
    }
}
