//! The storage behind a target: a local directory (std and tokio), SFTP (openssh-sftp-client
//! over the system's `ssh`, through the openssh crate) or S3-compatible object storage
//! (object_store). One small set of operations over `<root>/<folder>/<file>`, the only shape
//! phi writes: list folders, list a folder's files, upload a file under a name, stream a file
//! back (with its size and sha256), rename, delete.
//!
//! Errors never carry a secret: credentials are handed to the libraries and not formatted.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Chunk size for streaming between the local disk and the target.
const CHUNK: usize = 256 * 1024;
/// Bytes written between flushes: SFTP writes are pipelined, and a flush waits until the
/// server took them, which bounds what waits in memory on a slow link.
const FLUSH_EVERY: u64 = 8 << 20;
/// The size of an S3 multipart part (the smallest S3 allows).
const S3_PART: usize = 5 << 20;

/// An open connection to a target's storage.
pub enum Conn {
    Local(PathBuf),
    Sftp(Box<SftpConn>),
    S3(S3Conn),
}

pub struct SftpConn {
    pub sftp: openssh_sftp_client::Sftp,
    /// The folder on the server backups go into.
    pub root: String,
}

pub struct S3Conn {
    pub store: Arc<dyn object_store::ObjectStore>,
    /// The key prefix (no leading or trailing `/`; may be empty).
    pub prefix: String,
}

/// Size and sha256 (hex) of what went through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digested {
    pub size: u64,
    pub sha256: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl S3Conn {
    fn key(&self, parts: &[&str]) -> object_store::path::Path {
        let mut all: Vec<&str> = self.prefix.split('/').filter(|p| !p.is_empty()).collect();
        all.extend(parts.iter().copied());
        object_store::path::Path::from_iter(all)
    }

    /// One level under `parts`: the objects there and the prefixes below.
    async fn list(&self, parts: &[&str]) -> anyhow::Result<object_store::ListResult> {
        self.store
            .list_with_delimiter(Some(&self.key(parts)))
            .await
            .context("cannot list the bucket")
    }
}

impl SftpConn {
    fn path(&self, parts: &[&str]) -> PathBuf {
        let mut path = PathBuf::from(&self.root);
        for p in parts {
            path.push(p);
        }
        path
    }
}

/// Copy `reader` to `writer`, hashing on the way.
async fn pump(
    reader: &mut (impl AsyncRead + Unpin),
    writer: &mut (impl AsyncWrite + Unpin),
) -> std::io::Result<Digested> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    let mut size = 0u64;
    loop {
        let n = reader.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        writer.write_all(&buf[..n]).await?;
        size += n as u64;
        if size % FLUSH_EVERY < n as u64 {
            writer.flush().await?;
        }
    }
    writer.flush().await?;
    Ok(Digested {
        size,
        sha256: hex(&hasher.finalize()),
    })
}

impl Conn {
    /// Names of the folders directly under the target's root (none when the root is missing).
    pub async fn folders(&mut self) -> anyhow::Result<Vec<String>> {
        match self {
            Conn::Local(root) => {
                let mut out = Vec::new();
                let read = match std::fs::read_dir(&*root) {
                    Ok(read) => read,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
                    Err(e) => return Err(e).context(format!("cannot read {}", root.display())),
                };
                for entry in read {
                    let entry = entry?;
                    if entry.file_type()?.is_dir() {
                        out.push(entry.file_name().to_string_lossy().into_owned());
                    }
                }
                Ok(out)
            }
            Conn::Sftp(c) => {
                let root = c.path(&[]);
                let entries = match sftp_entries(&c.sftp, &root).await {
                    Ok(entries) => entries,
                    Err(e) if sftp_not_found(&e) => return Ok(Vec::new()),
                    Err(e) => return Err(e).context(format!("cannot list {}", root.display())),
                };
                Ok(entries
                    .into_iter()
                    .filter(|(_, dir, _)| *dir)
                    .map(|(name, _, _)| name)
                    .collect())
            }
            Conn::S3(c) => {
                let listed = c.list(&[]).await?;
                Ok(listed
                    .common_prefixes
                    .iter()
                    .filter_map(|p| p.filename().map(String::from))
                    .collect())
            }
        }
    }

    /// The regular files directly in `folder`, with their sizes (none when it is missing).
    pub async fn files(&mut self, folder: &str) -> anyhow::Result<Vec<(String, u64)>> {
        match self {
            Conn::Local(root) => {
                let dir = root.join(folder);
                let mut out = Vec::new();
                let read = match std::fs::read_dir(&dir) {
                    Ok(read) => read,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
                    Err(e) => return Err(e).context(format!("cannot read {}", dir.display())),
                };
                for entry in read {
                    let entry = entry?;
                    let meta = entry.metadata()?;
                    if entry.file_type()?.is_file() {
                        out.push((entry.file_name().to_string_lossy().into_owned(), meta.len()));
                    }
                }
                Ok(out)
            }
            Conn::Sftp(c) => {
                let dir = c.path(&[folder]);
                let entries = match sftp_entries(&c.sftp, &dir).await {
                    Ok(entries) => entries,
                    Err(e) if sftp_not_found(&e) => return Ok(Vec::new()),
                    Err(e) => return Err(e).context(format!("cannot list {}", dir.display())),
                };
                Ok(entries
                    .into_iter()
                    .filter(|(_, dir, _)| !*dir)
                    .map(|(name, _, size)| (name, size))
                    .collect())
            }
            Conn::S3(c) => {
                let listed = c.list(&[folder]).await?;
                Ok(listed
                    .objects
                    .iter()
                    .filter_map(|o| o.location.filename().map(|n| (n.to_string(), o.size)))
                    .collect())
            }
        }
    }

    /// Upload the open local file as `folder/name` (creating the folder), returning the size
    /// and sha256 of the bytes read from it.
    pub async fn put(
        &mut self,
        mut local: tokio::fs::File,
        folder: &str,
        name: &str,
    ) -> anyhow::Result<Digested> {
        match self {
            Conn::Local(root) => {
                let dir = root.join(folder);
                super::super::store::ensure_dir(&dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
                let path = dir.join(name);
                let mut out = tokio::fs::File::create(&path)
                    .await
                    .with_context(|| format!("cannot write {}", path.display()))?;
                let d = pump(&mut local, &mut out)
                    .await
                    .with_context(|| format!("cannot write {}", path.display()))?;
                out.sync_all().await?;
                Ok(d)
            }
            Conn::Sftp(c) => {
                let dir = c.path(&[folder]);
                let mut fs = c.sftp.fs();
                let root = c.path(&[]);
                if fs.metadata(&root).await.is_err() {
                    fs.create_dir(&root)
                        .await
                        .with_context(|| format!("cannot create {}", root.display()))?;
                }
                if fs.metadata(&dir).await.is_err() {
                    fs.create_dir(&dir)
                        .await
                        .with_context(|| format!("cannot create {}", dir.display()))?;
                }
                let path = c.path(&[folder, name]);
                let file = c
                    .sftp
                    .options()
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .open(&path)
                    .await
                    .with_context(|| format!("cannot write {}", path.display()))?;
                let mut out = Box::pin(openssh_sftp_client::file::TokioCompatFile::new(file));
                let d = pump(&mut local, &mut out)
                    .await
                    .with_context(|| format!("cannot write {}", path.display()))?;
                if c.sftp.support_fsync() {
                    out.as_mut()
                        .as_mut_file()
                        .sync_all()
                        .await
                        .with_context(|| format!("cannot write {}", path.display()))?;
                }
                // Dropping it closes the handle (in the background, after the writes).
                drop(out);
                Ok(d)
            }
            Conn::S3(c) => {
                let key = c.key(&[folder, name]);
                // Memory stays flat: one part being filled, at most two in flight.
                let mut out = object_store::buffered::BufWriter::with_capacity(
                    c.store.clone(),
                    key.clone(),
                    S3_PART,
                )
                .with_max_concurrency(2);
                match pump(&mut local, &mut out).await {
                    Ok(d) => match out.shutdown().await {
                        Ok(()) => Ok(d),
                        Err(e) => Err(anyhow!(e).context(format!("cannot upload {key}"))),
                    },
                    Err(e) => {
                        // Best effort: an unfinished multipart upload is not left behind.
                        let _ = out.abort().await;
                        Err(anyhow!(e).context(format!("cannot upload {key}")))
                    }
                }
            }
        }
    }

    /// Stream `folder/name` back: its size and sha256, and the bytes into `to` when given.
    pub async fn get(
        &mut self,
        folder: &str,
        name: &str,
        to: Option<&Path>,
    ) -> anyhow::Result<Digested> {
        let mut sink: Box<dyn AsyncWrite + Unpin + Send> = match to {
            Some(path) => Box::new(
                tokio::fs::File::create(path)
                    .await
                    .with_context(|| format!("cannot write {}", path.display()))?,
            ),
            None => Box::new(tokio::io::sink()),
        };
        let d = match self {
            Conn::Local(root) => {
                let path = root.join(folder).join(name);
                let mut file = tokio::fs::File::open(&path)
                    .await
                    .with_context(|| format!("cannot read {}", path.display()))?;
                pump(&mut file, &mut sink)
                    .await
                    .with_context(|| format!("cannot read {}", path.display()))?
            }
            Conn::Sftp(c) => {
                let path = c.path(&[folder, name]);
                let file = c
                    .sftp
                    .open(&path)
                    .await
                    .with_context(|| format!("cannot read {}", path.display()))?;
                let mut file = Box::pin(openssh_sftp_client::file::TokioCompatFile::new(file));
                pump(&mut file, &mut sink)
                    .await
                    .with_context(|| format!("cannot read {}", path.display()))?
            }
            Conn::S3(c) => {
                let key = c.key(&[folder, name]);
                let mut stream = c
                    .store
                    .get(&key)
                    .await
                    .with_context(|| format!("cannot read {key}"))?
                    .into_stream();
                let mut hasher = Sha256::new();
                let mut size = 0u64;
                while let Some(chunk) = stream.next().await {
                    let chunk = chunk.with_context(|| format!("cannot read {key}"))?;
                    hasher.update(&chunk);
                    sink.write_all(&chunk).await?;
                    size += chunk.len() as u64;
                }
                Digested {
                    size,
                    sha256: hex(&hasher.finalize()),
                }
            }
        };
        sink.flush().await?;
        if let Some(path) = to {
            tokio::fs::File::open(path).await?.sync_all().await?;
        }
        Ok(d)
    }

    /// Rename `folder/from` to `folder/to`, replacing `to` (S3: copy, then delete).
    pub async fn rename(&mut self, folder: &str, from: &str, to: &str) -> anyhow::Result<()> {
        match self {
            Conn::Local(root) => {
                let dir = root.join(folder);
                std::fs::rename(dir.join(from), dir.join(to))
                    .with_context(|| format!("cannot rename {from} in {}", dir.display()))?;
                super::super::codec::sync_dir(&dir)?;
                Ok(())
            }
            Conn::Sftp(c) => {
                let (a, b) = (c.path(&[folder, from]), c.path(&[folder, to]));
                let mut fs = c.sftp.fs();
                let posix = c.sftp.support_posix_rename();
                if !posix && fs.metadata(&b).await.is_ok() {
                    fs.remove_file(&b).await?;
                }
                fs.rename(&a, &b)
                    .await
                    .with_context(|| format!("cannot rename {}", a.display()))
            }
            Conn::S3(c) => {
                let (a, b) = (c.key(&[folder, from]), c.key(&[folder, to]));
                c.store
                    .rename(&a, &b)
                    .await
                    .with_context(|| format!("cannot rename {a}"))
            }
        }
    }

    /// Delete `folder/name`.
    pub async fn delete(&mut self, folder: &str, name: &str) -> anyhow::Result<()> {
        match self {
            Conn::Local(root) => {
                let path = root.join(folder).join(name);
                std::fs::remove_file(&path)
                    .with_context(|| format!("cannot delete {}", path.display()))
            }
            Conn::Sftp(c) => {
                let path = c.path(&[folder, name]);
                c.sftp
                    .fs()
                    .remove_file(&path)
                    .await
                    .with_context(|| format!("cannot delete {}", path.display()))
            }
            Conn::S3(c) => {
                let key = c.key(&[folder, name]);
                c.store
                    .delete(&key)
                    .await
                    .with_context(|| format!("cannot delete {key}"))
            }
        }
    }

    /// Create `name` at the target's root (and the root, if missing) holding `text`, only if
    /// no file of that name is there: false when one is. Local and SFTP: an exclusive create
    /// (O_EXCL); S3: a conditional PUT (`If-None-Match: *`).
    pub async fn create_new(&mut self, name: &str, text: &str) -> anyhow::Result<bool> {
        match self {
            Conn::Local(root) => {
                super::super::store::ensure_dir(root)
                    .with_context(|| format!("cannot create {}", root.display()))?;
                let path = root.join(name);
                let opened = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path);
                match opened {
                    Ok(mut file) => {
                        use std::io::Write;
                        file.write_all(text.as_bytes())
                            .and_then(|()| file.sync_all())
                            .with_context(|| format!("cannot write {}", path.display()))?;
                        Ok(true)
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
                    Err(e) => Err(e).context(format!("cannot create {}", path.display())),
                }
            }
            Conn::Sftp(c) => {
                let root = c.path(&[]);
                let mut fs = c.sftp.fs();
                if fs.metadata(&root).await.is_err() {
                    fs.create_dir(&root)
                        .await
                        .with_context(|| format!("cannot create {}", root.display()))?;
                }
                let path = c.path(&[name]);
                let opened = c
                    .sftp
                    .options()
                    .write(true)
                    .create_new(true)
                    .open(&path)
                    .await;
                match opened {
                    Ok(mut file) => {
                        file.write_all(text.as_bytes())
                            .await
                            .with_context(|| format!("cannot write {}", path.display()))?;
                        file.close()
                            .await
                            .with_context(|| format!("cannot write {}", path.display()))?;
                        Ok(true)
                    }
                    // SFTP v3 reports an existing file as a plain failure: look.
                    Err(_) if fs.metadata(&path).await.is_ok() => Ok(false),
                    Err(e) => Err(e).context(format!("cannot create {}", path.display())),
                }
            }
            Conn::S3(c) => {
                let key = c.key(&[name]);
                let put = c
                    .store
                    .put_opts(
                        &key,
                        text.as_bytes().to_vec().into(),
                        object_store::PutMode::Create.into(),
                    )
                    .await;
                match put {
                    Ok(_) => Ok(true),
                    Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
                    Err(e) => Err(anyhow!(e).context(format!("cannot create {key}"))),
                }
            }
        }
    }

    /// The text of a small file at the target's root; None when there is none.
    pub async fn read_root(&mut self, name: &str) -> anyhow::Result<Option<String>> {
        let bytes = match self {
            Conn::Local(root) => {
                let path = root.join(name);
                match std::fs::read(&path) {
                    Ok(bytes) => bytes,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(e).context(format!("cannot read {}", path.display())),
                }
            }
            Conn::Sftp(c) => {
                let path = c.path(&[name]);
                let mut fs = c.sftp.fs();
                match fs.read(&path).await {
                    Ok(bytes) => bytes.to_vec(),
                    Err(_) if fs.metadata(&path).await.is_err() => return Ok(None),
                    Err(e) => return Err(e).context(format!("cannot read {}", path.display())),
                }
            }
            Conn::S3(c) => {
                let key = c.key(&[name]);
                match c.store.get(&key).await {
                    Ok(got) => got
                        .bytes()
                        .await
                        .with_context(|| format!("cannot read {key}"))?
                        .to_vec(),
                    Err(object_store::Error::NotFound { .. }) => return Ok(None),
                    Err(e) => return Err(anyhow!(e).context(format!("cannot read {key}"))),
                }
            }
        };
        Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
    }

    /// Delete a file at the target's root (one already gone is fine).
    pub async fn delete_root(&mut self, name: &str) -> anyhow::Result<()> {
        match self {
            Conn::Local(root) => {
                let path = root.join(name);
                match std::fs::remove_file(&path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        Err(e).context(format!("cannot delete {}", path.display()))
                    }
                    _ => Ok(()),
                }
            }
            Conn::Sftp(c) => {
                let path = c.path(&[name]);
                let mut fs = c.sftp.fs();
                match fs.remove_file(&path).await {
                    Err(e) if fs.metadata(&path).await.is_ok() => {
                        Err(e).context(format!("cannot delete {}", path.display()))
                    }
                    _ => Ok(()),
                }
            }
            Conn::S3(c) => {
                let key = c.key(&[name]);
                c.store
                    .delete(&key)
                    .await
                    .with_context(|| format!("cannot delete {key}"))
            }
        }
    }

    /// Remove the (emptied) folder itself; object stores have no folders.
    pub async fn remove_folder(&mut self, folder: &str) -> anyhow::Result<()> {
        match self {
            Conn::Local(root) => {
                let path = root.join(folder);
                std::fs::remove_dir(&path)
                    .with_context(|| format!("cannot delete {}", path.display()))?;
                super::super::codec::sync_dir(root)?;
                Ok(())
            }
            Conn::Sftp(c) => {
                let path = c.path(&[folder]);
                c.sftp
                    .fs()
                    .remove_dir(&path)
                    .await
                    .with_context(|| format!("cannot delete {}", path.display()))
            }
            Conn::S3(_) => Ok(()),
        }
    }

    /// End the connection. SFTP: dropped rather than `Sftp::close`d, which panics while a
    /// file handle of a cut-short transfer is still being closed in the background; dropping
    /// the session ends the ssh master process all the same.
    pub async fn close(self) {
        drop(self);
    }
}

/// The entries of a directory on the server: (name, is a directory, size); `.` and `..` and
/// anything but directories and regular files (links too) are left out.
async fn sftp_entries(
    sftp: &openssh_sftp_client::Sftp,
    dir: &Path,
) -> Result<Vec<(String, bool, u64)>, openssh_sftp_client::Error> {
    let mut fs = sftp.fs();
    let mut read = Box::pin(fs.open_dir(dir).await?.read_dir());
    let mut out = Vec::new();
    while let Some(entry) = read.next().await {
        let entry = entry?;
        let name = entry.filename().to_string_lossy().into_owned();
        if name == "." || name == ".." {
            continue;
        }
        let meta = entry.metadata();
        match entry.file_type() {
            Some(t) if t.is_dir() => out.push((name, true, 0)),
            Some(t) if t.is_file() => out.push((name, false, meta.len().unwrap_or(0))),
            _ => {}
        }
    }
    Ok(out)
}

fn sftp_not_found(e: &openssh_sftp_client::Error) -> bool {
    matches!(
        e,
        openssh_sftp_client::Error::SftpError(
            openssh_sftp_client::error::SftpErrorKind::NoSuchFile,
            _
        )
    )
}

/// How long a connection attempt may take before the target counts as unreachable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Used by the upload: read back what landed and hash it (size and sha256).
pub async fn read_back(conn: &mut Conn, folder: &str, name: &str) -> anyhow::Result<Digested> {
    conn.get(folder, name, None).await
}

/// Hash an open local file to its end (size and sha256).
pub async fn digest(mut file: tokio::fs::File) -> std::io::Result<Digested> {
    pump(&mut file, &mut tokio::io::sink()).await
}
