//! Reading the user's files: compose files, env files, the env template, `*_FILE` secrets,
//! the docker CLI's config. Only regular files, opened without blocking (a FIFO or a device
//! given by mistake is refused at once instead of hanging phi), and never more than a bound:
//! a file that is larger is refused before it fills the memory.

use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The largest compose file phi reads.
pub const MAX_COMPOSE_BYTES: u64 = 32 << 20;
/// The largest env file (and env template) phi reads.
pub const MAX_ENV_BYTES: u64 = 32 << 20;
/// The largest secret phi reads through `VAR_FILE`.
pub const MAX_SECRET_BYTES: u64 = 1 << 20;
/// The largest docker CLI configuration (`config.json`, a context's `meta.json`) phi reads.
pub const MAX_DOCKER_CONFIG_BYTES: u64 = 8 << 20;

/// The text of the regular file at `path`, at most `limit` bytes. The error says what is
/// wrong (not a regular file, too large, not UTF-8) and never quotes the content.
pub fn read_text(path: &Path, limit: u64) -> io::Result<String> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file (a folder, a FIFO or a device); phi reads only plain files",
        ));
    }
    if meta.len() > limit {
        return Err(too_large(limit));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(limit));
    }
    String::from_utf8(bytes).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("not UTF-8 text (at byte {})", e.utf8_error().valid_up_to()),
        )
    })
}

fn too_large(limit: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "larger than {} MiB, the most phi reads from such a file",
            limit >> 20
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_files_are_read_and_others_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("a.env");
        std::fs::write(&plain, "A=1\n").unwrap();
        assert_eq!(read_text(&plain, 100).unwrap(), "A=1\n");
        let err = read_text(&plain, 2).unwrap_err().to_string();
        assert!(err.contains("larger than"), "{err}");
        let err = read_text(dir.path(), 100).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
        let fifo = dir.path().join("fifo");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
            0,
        )
        .unwrap();
        let started = std::time::Instant::now();
        assert!(read_text(&fifo, 100).is_err());
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        // /dev/zero is a device: refused before a byte is read.
        let err = read_text(Path::new("/dev/zero"), 100)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a regular file"), "{err}");
        std::fs::write(&plain, [0xff, 0xfe]).unwrap();
        assert!(
            read_text(&plain, 100)
                .unwrap_err()
                .to_string()
                .contains("UTF-8")
        );
    }
}
