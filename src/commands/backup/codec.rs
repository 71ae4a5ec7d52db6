//! Backup files on disk: chunks in, compressed, hashed and written safely; and back out again.
//!
//! Writing happens on a thread of its own, fed through a bounded channel, so compression never
//! stalls the engine's streams and memory stays the same whatever the size of the data. A file
//! is written under a temporary name in its folder, synced, renamed, and the folder synced: a
//! file with its final name is always whole. Anything that goes wrong (a full disk, a failed
//! dump, Ctrl-C) leaves no file under the final name.

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot};

use super::crypt::{self, Opening, Recipients, Sealed};
use super::tally::{Contents, Tally};

/// Chunks in flight between the engine and a file, each way. With the engine's chunks of at
/// most a few hundred KiB this bounds the memory of a transfer to a few MiB.
const CHANNEL_CHUNKS: usize = 8;
/// Size of the chunks read back from a file.
const READ_CHUNK: usize = 128 * 1024;
/// zstd level: the library's default, fast and a good ratio.
const ZSTD_LEVEL: i32 = 3;
/// zstd window: 1 MiB (level 3 would take 2 MiB, and its workers 8 MiB jobs each).
const ZSTD_WINDOW_LOG: u32 = 20;
/// gzip level, as `gzip -6`.
const GZIP_LEVEL: u32 = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    Zstd,
    Gzip,
}

impl Compression {
    pub fn extension(self) -> &'static str {
        match self {
            Compression::Zstd => "zst",
            Compression::Gzip => "gz",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Compression::Zstd => "zstd",
            Compression::Gzip => "gzip",
        }
    }
}

/// Told the number of (uncompressed) bytes as they move, for a progress display.
pub type Progress = std::sync::Arc<dyn Fn(u64) + Send + Sync>;

/// What was written: the file's final name, its size and sha256 on disk, and how many bytes
/// went in before compression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub file: String,
    pub size: u64,
    pub raw_size: u64,
    pub sha256: String,
    /// The regular files of a tar and their bytes, when asked to count them.
    pub contents: Option<Contents>,
}

/// How a file is written: compressed, then encrypted to `seal` when given; a tar's contents
/// counted when `tally`.
#[derive(Debug, Clone)]
pub struct Shape {
    pub compression: Compression,
    pub seal: Option<std::sync::Arc<Recipients>>,
    pub tally: bool,
}

/// What reading a file back found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadBack {
    pub size: u64,
    pub raw_size: u64,
    pub sha256: String,
    /// Whether the stream was opened (decrypted when sealed, decompressed); when not, only
    /// the bytes on disk were hashed, and `raw_size` is 0.
    pub opened: bool,
}

/// A writer that hashes and counts what passes through it.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that hashes and counts what passes through it.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Sync a directory, so that a rename or a new file in it survives a crash.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// A file being written. `commit` makes it whole under its final name; `abort` (or dropping
/// this) removes the temporary file.
pub struct Pending {
    decision: std::sync::mpsc::Sender<bool>,
    result: oneshot::Receiver<io::Result<Written>>,
}

impl Pending {
    pub async fn commit(self) -> io::Result<Written> {
        let _ = self.decision.send(true);
        self.result
            .await
            .unwrap_or_else(|_| Err(io::Error::other("the writer thread ended unexpectedly")))
    }

    /// Throw the file away. Returns the writer's own error, if it failed by itself (e.g. the
    /// disk is full): that is then the real cause of the failure.
    pub async fn abort(self) -> io::Result<()> {
        let _ = self.decision.send(false);
        match self.result.await {
            Ok(Err(e)) if e.kind() != io::ErrorKind::Interrupted => Err(e),
            _ => Ok(()),
        }
    }
}

/// Start writing `name` in `dir`: returns the pending file and the channel to send its
/// (uncompressed) bytes to. The file is created 0600 under a temporary name first.
pub fn write_file(
    dir: &Path,
    name: &str,
    shape: Shape,
    progress: Option<Progress>,
) -> io::Result<(Pending, mpsc::Sender<Bytes>)> {
    let temp = dir.join(format!(".{name}.partial"));
    let target = dir.join(name);
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temp)?;
    let (tx, rx) = mpsc::channel::<Bytes>(CHANNEL_CHUNKS);
    let (decision_tx, decision_rx) = std::sync::mpsc::channel::<bool>();
    let (result_tx, result_rx) = oneshot::channel();
    let dir = dir.to_path_buf();
    let name = name.to_string();
    std::thread::Builder::new()
        .name(format!("write {name}"))
        .spawn(move || {
            let result = write_thread(file, rx, shape, progress).and_then(
                |(size, raw_size, sha256, contents)| {
                    // Commit only on an explicit yes; a dropped decision means abort.
                    if decision_rx.recv().unwrap_or(false) {
                        finish(&dir, &temp, &target)?;
                        Ok(Written {
                            file: name,
                            size,
                            raw_size,
                            sha256,
                            contents,
                        })
                    } else {
                        Err(io::Error::new(io::ErrorKind::Interrupted, "aborted"))
                    }
                },
            );
            if result.is_err() {
                let _ = std::fs::remove_file(&temp);
            }
            let _ = result_tx.send(result);
        })?;
    Ok((
        Pending {
            decision: decision_tx,
            result: result_rx,
        },
        tx,
    ))
}

fn write_thread(
    file: File,
    mut rx: mpsc::Receiver<Bytes>,
    shape: Shape,
    progress: Option<Progress>,
) -> io::Result<(u64, u64, String, Option<Contents>)> {
    let mut tally = shape.tally.then(Tally::default);
    let mut tell = |chunk: &[u8]| {
        if let Some(p) = &progress {
            p(chunk.len() as u64);
        }
        if let Some(t) = tally.as_mut() {
            t.push(chunk);
        }
    };
    let mut out = Hashing {
        inner: BufWriter::with_capacity(256 * 1024, file),
        hasher: Sha256::new(),
        bytes: 0,
    };
    let mut raw = 0u64;
    // Compressed first, then encrypted: age's output is what is hashed and written.
    let sealed = Sealed::new(&mut out, shape.seal.as_deref())?;
    match shape.compression {
        Compression::Zstd => {
            let mut encoder = zstd::stream::write::Encoder::new(sealed, ZSTD_LEVEL)?;
            encoder.include_checksum(true)?;
            // Bounded memory whatever the data: a 1 MiB window and 1 MiB jobs per worker.
            encoder.window_log(ZSTD_WINDOW_LOG)?;
            encoder.set_parameter(zstd::zstd_safe::CParameter::JobSize(1 << ZSTD_WINDOW_LOG))?;
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as u32;
            if threads > 1 {
                encoder.multithread(threads)?;
            }
            while let Some(chunk) = rx.blocking_recv() {
                encoder.write_all(&chunk)?;
                raw += chunk.len() as u64;
                tell(&chunk);
            }
            encoder.finish()?.finish()?;
        }
        Compression::Gzip => {
            let mut encoder =
                flate2::write::GzEncoder::new(sealed, flate2::Compression::new(GZIP_LEVEL));
            while let Some(chunk) = rx.blocking_recv() {
                encoder.write_all(&chunk)?;
                raw += chunk.len() as u64;
                tell(&chunk);
            }
            encoder.finish()?.finish()?;
        }
    }
    let contents = tally.map(|t| t.contents);
    out.flush()?;
    let size = out.bytes;
    let sha256 = hex(&out.hasher.finalize_reset());
    let file = out
        .inner
        .into_inner()
        .map_err(|e| io::Error::other(e.to_string()))?;
    file.sync_all()?;
    Ok((size, raw, sha256, contents))
}

fn finish(dir: &Path, temp: &Path, target: &Path) -> io::Result<()> {
    std::fs::rename(temp, target)?;
    sync_dir(dir)
}

/// Write a small file whole, safely: temporary name, sync, rename, sync the folder.
pub fn write_small(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let temp = dir.join(format!(".{name}.partial"));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        finish(dir, &temp, &dir.join(name))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Read `path` back: hash and count the bytes on disk, decompress to the end, and send the
/// decompressed chunks to `sink` when given. A corrupt stream is an error.
fn read_thread(
    path: &Path,
    compression: Compression,
    opening: Opening,
    mut sink: Option<mpsc::Sender<Bytes>>,
    progress: Option<Progress>,
) -> io::Result<ReadBack> {
    // Only a plain file directly in its backup folder, never through a symlink.
    let folder = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let file = super::store::open_in(folder, name)?;
    let mut hashing = HashingReader {
        inner: BufReader::with_capacity(256 * 1024, file),
        hasher: Sha256::new(),
        bytes: 0,
    };
    let mut raw = 0u64;
    let opened = match &opening {
        // Without a key only the bytes on disk can be checked; nothing can be passed on.
        Opening::Sealed(None) if sink.is_some() => {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                crypt::needs_identity(name),
            ));
        }
        Opening::Sealed(None) => false,
        _ => true,
    };
    if opened {
        let mut source: Box<dyn Read + '_> = match &opening {
            Opening::Sealed(Some(ids)) => Box::new(crypt::open(&mut hashing, ids)?),
            _ => Box::new(&mut hashing),
        };
        let mut decoder: Box<dyn Read + '_> = match compression {
            Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(&mut source)?),
            Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(&mut source)),
        };
        let mut buffer = vec![0u8; READ_CHUNK];
        loop {
            let n = match decoder.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io::Error::new(e.kind(), format!("cannot decompress: {e}"))),
            };
            raw += n as u64;
            if let Some(p) = &progress {
                p(n as u64);
            }
            // A consumer that stops early (a command that failed) gets no more; the file is
            // still read to the end, so that its hash is known.
            if sink.as_ref().is_some_and(|tx| {
                tx.blocking_send(Bytes::copy_from_slice(&buffer[..n]))
                    .is_err()
            }) {
                sink = None;
            }
        }
        drop(decoder);
        // The rest of the decrypted stream: age checks its last chunk only at the end.
        io::copy(&mut source, &mut io::sink())
            .map_err(|e| io::Error::new(e.kind(), format!("cannot decrypt: {e}")))?;
    }
    // Anything after the compressed stream counts too (and is hashed).
    io::copy(&mut hashing, &mut io::sink())?;
    Ok(ReadBack {
        size: hashing.bytes,
        raw_size: raw,
        sha256: hex(&hashing.hasher.finalize_reset()),
        opened,
    })
}

/// Read a file back on a thread of its own. The decompressed chunks come out of the returned
/// channel; the outcome comes when the whole file was read.
pub fn read_file(
    path: PathBuf,
    compression: Compression,
    opening: Opening,
    progress: Option<Progress>,
) -> (
    mpsc::Receiver<Bytes>,
    oneshot::Receiver<io::Result<ReadBack>>,
) {
    let (tx, rx) = mpsc::channel::<Bytes>(CHANNEL_CHUNKS);
    let (result_tx, result_rx) = oneshot::channel();
    std::thread::spawn(move || {
        let _ = result_tx.send(read_thread(&path, compression, opening, Some(tx), progress));
    });
    (rx, result_rx)
}

/// Read a file to the end (hash, size, decompression), discarding the data.
pub async fn check_file(
    path: PathBuf,
    compression: Compression,
    opening: Opening,
    progress: Option<Progress>,
) -> io::Result<ReadBack> {
    tokio::task::spawn_blocking(move || read_thread(&path, compression, opening, None, progress))
        .await
        .map_err(io::Error::other)?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(compression: Compression) {
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let data: Vec<u8> = (0..300_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let written = runtime.block_on(async {
            let shape = Shape {
                compression,
                seal: None,
                tally: false,
            };
            let (pending, tx) = write_file(dir.path(), "item.bin.x", shape, None).unwrap();
            for chunk in data.chunks(10_000) {
                tx.send(Bytes::copy_from_slice(chunk)).await.unwrap();
            }
            drop(tx);
            pending.commit().await.unwrap()
        });
        assert_eq!(written.raw_size, data.len() as u64);
        let path = dir.path().join("item.bin.x");
        let on_disk = std::fs::read(&path).unwrap();
        assert_eq!(written.size, on_disk.len() as u64);
        assert_eq!(written.sha256, hex(&Sha256::digest(&on_disk)));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(!dir.path().join(".item.bin.x.partial").exists());

        let back = runtime.block_on(async {
            let (mut rx, result) = read_file(path.clone(), compression, Opening::Plain, None);
            let mut out = Vec::new();
            while let Some(chunk) = rx.recv().await {
                out.extend_from_slice(&chunk);
            }
            assert_eq!(out, data);
            result.await.unwrap().unwrap()
        });
        assert_eq!(back.sha256, written.sha256);
        assert_eq!(back.raw_size, data.len() as u64);

        // One flipped byte in the middle: the stream no longer decompresses (or the hash differs).
        let mut damaged = on_disk.clone();
        let middle = damaged.len() / 2;
        damaged[middle] ^= 0xff;
        std::fs::write(&path, &damaged).unwrap();
        let checked = runtime.block_on(check_file(path, compression, Opening::Plain, None));
        assert!(checked.is_err() || checked.unwrap().sha256 != written.sha256);
    }

    #[test]
    fn zstd_files_round_trip_and_are_hashed_as_written() {
        round_trip(Compression::Zstd);
    }

    #[test]
    fn gzip_files_round_trip_and_are_hashed_as_written() {
        round_trip(Compression::Gzip);
    }

    #[test]
    fn sealed_files_hash_their_ciphertext_and_open_only_with_the_key() {
        use age::secrecy::ExposeSecret;
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let id = age::x25519::Identity::generate();
        let recipients = crypt::parse_recipients(&id.to_public().to_string(), "test").unwrap();
        let key = dir.path().join("key.txt");
        std::fs::write(&key, id.to_string().expose_secret()).unwrap();
        let data: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let shape = Shape {
            compression: Compression::Zstd,
            seal: Some(std::sync::Arc::new(recipients)),
            tally: false,
        };
        let written = runtime.block_on(async {
            let (pending, tx) = write_file(dir.path(), "x.dump.zst", shape, None).unwrap();
            tx.send(Bytes::from(data.clone())).await.unwrap();
            drop(tx);
            pending.commit().await.unwrap()
        });
        let path = dir.path().join("x.dump.zst");
        let on_disk = std::fs::read(&path).unwrap();
        assert!(on_disk.starts_with(b"age-encryption.org/v1"));
        assert_eq!(written.sha256, hex(&Sha256::digest(&on_disk)));
        let blind = runtime
            .block_on(check_file(
                path.clone(),
                Compression::Zstd,
                Opening::Sealed(None),
                None,
            ))
            .unwrap();
        assert!(!blind.opened);
        assert_eq!(blind.sha256, written.sha256);
        let ids = std::sync::Arc::new(crypt::load_identities(&key).unwrap());
        let opened = runtime
            .block_on(check_file(
                path.clone(),
                Compression::Zstd,
                Opening::Sealed(Some(ids)),
                None,
            ))
            .unwrap();
        assert!(opened.opened);
        assert_eq!(opened.raw_size, data.len() as u64);
        let (_rx, result) = read_file(path, Compression::Zstd, Opening::Sealed(None), None);
        let err = runtime.block_on(result).unwrap().unwrap_err().to_string();
        assert!(err.contains("--identity"), "{err}");
    }

    #[test]
    fn an_aborted_file_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let shape = Shape {
                compression: Compression::Zstd,
                seal: None,
                tally: false,
            };
            let (pending, tx) = write_file(dir.path(), "x.zst", shape, None).unwrap();
            tx.send(Bytes::from_static(b"some data")).await.unwrap();
            drop(tx);
            pending.abort().await.unwrap();
        });
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
