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

/// Take the lock at `path` (guarding `what`, for messages), waiting up to `timeout`
/// (`on_wait` hears who holds it, once; `flag` is the option that sets the wait). The file
/// then says who holds it (command, pid, host, since when), so that a run that gives up can
/// say so.
pub async fn acquire(
    path: &Path,
    what: &str,
    command: &str,
    timeout: Duration,
    flag: &str,
    on_wait: impl FnOnce(&str),
) -> anyhow::Result<Lock> {
    let path = path.to_path_buf();
    // Never through a symlink (a link there would have phi write wherever it points), and
    // only a regular file: a FIFO or a device is refused, not waited on.
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags((rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK).bits() as i32)
        .open(&path)
        .map_err(|e| {
            anyhow::Error::new(refused(&path, e)).context(format!("cannot open {}", path.display()))
        })?;
    if !file.metadata()?.is_file() {
        return Err(Coded::new(
            Exit::Failure,
            format!("{} is not a regular file; remove it", path.display()),
        )
        .into());
    }
    let deadline = Instant::now() + timeout;
    let mut on_wait = Some(on_wait);
    loop {
        match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => break,
            Err(e) if e == rustix::io::Errno::WOULDBLOCK || e == rustix::io::Errno::INTR => {
                if let Some(tell) = on_wait.take() {
                    tell(&holder(&mut file));
                }
                if Instant::now() >= deadline {
                    let holder = holder(&mut file);
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
