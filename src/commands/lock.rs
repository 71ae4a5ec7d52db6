//! Locks that keep two phi runs apart: an flock on a small file that says who holds it. The
//! backup directory has one; a project has one for the commands that change it (start-all,
//! stop-all), so `phi start-all & phi start-all` cannot create a project's network twice.
//! The file is never opened through a symlink, and only a regular file is used.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use crate::exit::{Coded, Exit};

/// Held while a run works on what the lock guards; released when dropped (or when the
/// process ends, however it ends: an flock goes with its file descriptor).
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

/// Who holds a lock, as its file says.
fn holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.rewind();
    let _ = file.read_to_string(&mut text);
    match text.trim() {
        "" => "another process".to_string(),
        who => who.to_string(),
    }
}

/// How a lock is held: alone, by a run that changes what it guards, or with other readers,
/// by a run that only reads it (it waits only for a writer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Exclusive,
    Shared,
}

/// Take the lock at `path` alone (guarding `what`, for messages), waiting up to `timeout`
/// (`on_wait` hears who holds it, once; `flag` is the option that sets the wait). The file
/// then says who holds it (command, pid, host, since when), so that a run that gives up can
/// say so. A folder phi cannot write in is refused: `command` changes it.
pub async fn acquire(
    path: &Path,
    what: &str,
    command: &str,
    timeout: Duration,
    flag: &str,
    on_wait: impl FnOnce(&str),
) -> anyhow::Result<Lock> {
    let mut file = match open(path, true) {
        Ok(file) => file,
        Err(e) if read_only(&e) => {
            return Err(Coded::new(
                Exit::Unavailable,
                format!(
                    "cannot lock {}: {e}; `phi {command}` changes {what} and needs to write its \
                     lock file there",
                    path.display()
                ),
            )
            .into());
        }
        Err(e) => return Err(opening(path, e)),
    };
    let op = rustix::fs::FlockOperation::NonBlockingLockExclusive;
    wait(&mut file, path, what, op, timeout, flag, on_wait).await?;
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "this host".into());
    let holder = format!(
        "phi {command} (pid {} on {host}, since {})\n",
        std::process::id(),
        rfc3339(SystemTime::now())
    );
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(holder.as_bytes())?;
    file.sync_all()?;
    Ok(Lock { _file: file })
}

/// Take the lock at `path` with other readers, for a run that only reads what it guards: it
/// waits (as [`acquire`] does) only while a writer holds it. Nothing is written where phi
/// cannot write: in a read-only folder the lock file is opened read-only (an flock needs no
/// write access), and when there is none and none can be made, `Ok(None)`: the caller reads
/// without a lock and says so.
pub async fn acquire_shared(
    path: &Path,
    what: &str,
    timeout: Duration,
    flag: &str,
    on_wait: impl FnOnce(&str),
) -> anyhow::Result<Option<Lock>> {
    let (mut file, writable) = match open(path, true) {
        Ok(file) => (file, true),
        Err(e) if read_only(&e) => match open(path, false) {
            Ok(file) => (file, false),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(opening(path, e)),
        },
        Err(e) => return Err(opening(path, e)),
    };
    let op = rustix::fs::FlockOperation::NonBlockingLockShared;
    wait(&mut file, path, what, op, timeout, flag, on_wait).await?;
    if writable {
        // No writer holds it now: a holder line left there is a finished run's; readers are
        // many and leave none, so a writer that waits for them says "another process".
        file.set_len(0)?;
    }
    Ok(Some(Lock { _file: file }))
}

/// Whether opening failed because phi may not write there (a read-only mount, no permission).
fn read_only(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error().map(rustix::io::Errno::from_raw_os_error),
        Some(rustix::io::Errno::ROFS | rustix::io::Errno::ACCESS | rustix::io::Errno::PERM)
    )
}

/// Open the lock file: never through a symlink (a link there would have phi write wherever
/// it points), and only a regular file (a FIFO or a device is refused, not waited on).
/// `write`: read-write and created when missing; else read-only, as it is.
fn open(path: &Path, write: bool) -> io::Result<File> {
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
    let file = OpenOptions::new()
        .read(true)
        .write(write)
        .create(write)
        .truncate(false)
        .mode(0o600)
        .custom_flags(flags.bits() as i32)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a regular file; remove it", path.display()),
        ));
    }
    Ok(file)
}

fn opening(path: &Path, e: io::Error) -> anyhow::Error {
    anyhow::Error::new(refused(path, e)).context(format!("cannot open {}", path.display()))
}

/// Wait up to `timeout` for `op` on `file`; the holder's name when it runs out (exit 5).
async fn wait(
    file: &mut File,
    path: &Path,
    what: &str,
    op: rustix::fs::FlockOperation,
    timeout: Duration,
    flag: &str,
    on_wait: impl FnOnce(&str),
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    let mut on_wait = Some(on_wait);
    loop {
        match rustix::fs::flock(&*file, op) {
            Ok(()) => return Ok(()),
            Err(e) if e == rustix::io::Errno::WOULDBLOCK || e == rustix::io::Errno::INTR => {
                if let Some(tell) = on_wait.take() {
                    tell(&holder(file));
                }
                if Instant::now() >= deadline {
                    let holder = holder(file);
                    return Err(Coded::new(
                        Exit::Timeout,
                        format!(
                            "{what} is locked by {holder}; gave up after {} ({flag})",
                            humantime::format_duration(timeout)
                        ),
                    )
                    .into());
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => {
                return Err(anyhow::Error::new(std::io::Error::from(e))
                    .context(format!("cannot lock {}", path.display())));
            }
        }
    }
}

/// The lock of project `project` on the engine at `engine`: a file in a folder of the
/// user's (`$XDG_RUNTIME_DIR/phi`, else `/tmp/phi-<uid>`, made 0700), named after both.
pub fn project_lock_path(engine: &str, project: &str) -> std::io::Result<PathBuf> {
    use sha2::{Digest, Sha256};
    let base = match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir).join("phi"),
        None => std::env::temp_dir().join(format!("phi-{}", rustix::process::getuid().as_raw())),
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&base)?;
    let meta = std::fs::symlink_metadata(&base)?;
    if !meta.is_dir() {
        return Err(std::io::Error::other(format!(
            "{} is not a folder",
            base.display()
        )));
    }
    let digest = Sha256::digest(engine.as_bytes());
    let tag: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    Ok(base.join(format!("{project}-{tag}.lock")))
}

/// A symlink where a plain file or folder must be (ELOOP from O_NOFOLLOW) said plainly.
pub fn refused(path: &Path, e: io::Error) -> io::Error {
    if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} is a symbolic link; phi does not follow links in a backup folder",
                path.display()
            ),
        )
    } else {
        e
    }
}

fn rfc3339(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}
