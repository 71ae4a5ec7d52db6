//! The backup directory: one folder per run, `<project>-<UTC timestamp>/`, holding one file per
//! item, a marker written first (`.phi-backup`) and `manifest.json` written last. A folder is a
//! complete backup only when its manifest is there and reads; a folder with the marker and no
//! manifest is an incomplete run; anything else in the directory is not phi's and is never
//! touched. A lock file keeps two runs on one directory apart.
//!
//! The folder is a boundary: every file phi reads in it (an item, the manifest) or writes (the
//! lock) is a plain file directly inside it, opened without following a symlink, and refused
//! when it is anything but a regular file. A manifest that names any other path is damaged.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::codec::{self, Compression};

pub const MANIFEST: &str = "manifest.json";
/// Written first into every folder phi creates: proof that phi wrote it.
pub const MARKER: &str = ".phi-backup";
pub const LOCK: &str = ".phi-backup.lock";
pub const MANIFEST_VERSION: u32 = 1;

/// One item of a backup, as the manifest records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub service: String,
    /// `postgres`, `redis`, `volume` or `path`.
    pub recipe: String,
    /// What was backed up: the database, the volume name, the container path.
    pub source: String,
    /// For postgres: `custom` or `plain`; for the others: `tar`.
    pub format: String,
    /// Where the data goes back on restore: the directory in the container a tar is unpacked
    /// into (volumes, paths, redis); the database for postgres.
    pub target: String,
    pub file: String,
    /// Bytes on disk (compressed).
    pub size: u64,
    /// Bytes before compression.
    pub raw_size: u64,
    pub sha256: String,
    pub compression: Compression,
    pub duration_seconds: f64,
    pub image: String,
    pub container: String,
    /// How the file is encrypted (absent: it is not). `size` and `sha256` are those of the
    /// encrypted bytes on disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<super::crypt::Encryption>,
    /// For tars: the regular files in it and their bytes (what a drill compares against).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contents: Option<super::tally::Contents>,
    /// For Redis: DBSIZE right before the BGSAVE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub manifest_version: u32,
    pub phi_version: String,
    pub project: String,
    pub id: String,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub finished_at: String,
    pub duration_seconds: f64,
    pub items: Vec<Item>,
}

/// `2024-05-01T03:00:00Z` -> `20240501T030000Z`.
pub fn compact_time(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(time)
        .to_string()
        .replace(['-', ':'], "")
}

pub fn rfc3339(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}

/// The time in a compact timestamp (`20240501T030000Z`), or None.
pub fn parse_compact_time(text: &str) -> Option<SystemTime> {
    let b = text.as_bytes();
    if b.len() != 16
        || b[8] != b'T'
        || b[15] != b'Z'
        || !b[..8].iter().chain(&b[9..15]).all(u8::is_ascii_digit)
    {
        return None;
    }
    let full = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &text[0..4],
        &text[4..6],
        &text[6..8],
        &text[9..11],
        &text[11..13],
        &text[13..15]
    );
    humantime::parse_rfc3339(&full).ok()
}

/// Folder name of a run: `<project>-<compact time>`, with `-N` when that second is taken.
pub fn folder_name(project: &str, time: SystemTime, attempt: u32) -> String {
    let base = format!("{project}-{}", compact_time(time));
    if attempt == 0 {
        base
    } else {
        format!("{base}-{}", attempt + 1)
    }
}

/// The time of a folder named as phi names `project`'s runs, or None when the name is not
/// one of them.
pub fn parse_folder_name(project: &str, name: &str) -> Option<SystemTime> {
    let rest = name.strip_prefix(project)?.strip_prefix('-')?;
    let (stamp, suffix) = match rest.split_at_checked(16) {
        Some((stamp, suffix)) => (stamp, suffix),
        None => return None,
    };
    if !suffix.is_empty() {
        let n = suffix.strip_prefix('-')?;
        if n.is_empty() || !n.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
    }
    parse_compact_time(stamp)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// manifest.json is there and reads.
    Complete,
    /// phi's marker without a manifest: an interrupted or failed run.
    Incomplete,
    /// A manifest that cannot be read, or belongs elsewhere.
    Damaged,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Complete => "complete",
            State::Incomplete => "incomplete",
            State::Damaged => "damaged",
        }
    }
}

/// One of the project's backup folders.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    pub path: PathBuf,
    pub time: SystemTime,
    pub state: State,
    pub manifest: Option<Manifest>,
    /// Why a folder is damaged.
    pub problem: Option<String>,
    /// Bytes of all files in the folder.
    pub size: u64,
}

/// What is in a backup directory for one project.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// Newest first.
    pub entries: Vec<Entry>,
    /// Folders named like this project's backups that phi did not write (no marker).
    pub foreign: Vec<String>,
}

impl Listing {
    pub fn complete(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.state == State::Complete)
    }
}

fn folder_size(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// The largest manifest phi reads: far more than 10,000 items take.
const MAX_MANIFEST_BYTES: u64 = 64 << 20;

/// Read a manifest; an error says what is wrong with it.
pub fn read_manifest(path: &Path) -> Result<Manifest, String> {
    let (folder, name) = split(path).map_err(|e| format!("cannot read: {e}"))?;
    let file = open_in(folder, name).map_err(|e| format!("cannot read: {e}"))?;
    let mut text = String::new();
    file.take(MAX_MANIFEST_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read: {e}"))?;
    if text.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(format!(
            "the manifest is larger than {} MiB",
            MAX_MANIFEST_BYTES >> 20
        ));
    }
    let manifest: Manifest =
        serde_json::from_str(&text).map_err(|e| format!("not a phi manifest: {e}"))?;
    if manifest.manifest_version > MANIFEST_VERSION {
        return Err(format!(
            "manifest version {} is newer than this phi understands ({MANIFEST_VERSION})",
            manifest.manifest_version
        ));
    }
    for (i, item) in manifest.items.iter().enumerate() {
        if let Err(why) = check_file_name(&item.file) {
            return Err(format!(
                "item {} ({} {}) names the file `{}`, which {why}",
                i + 1,
                item.service,
                item.recipe,
                item.file.escape_debug()
            ));
        }
    }
    Ok(manifest)
}

/// Whether `name` can be a file directly in a backup folder: not empty, no path separator,
/// not `.` or `..`, not a hidden name (phi's marker and lock are), no NUL.
pub fn check_file_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        Err("is empty")
    } else if name.contains('/') || name.contains('\\') {
        Err("is not directly in the backup folder")
    } else if name.starts_with('.') {
        Err("is a hidden or parent name")
    } else if name.contains('\0') || name.chars().any(char::is_control) {
        Err("holds a control character")
    } else if name == MANIFEST {
        Err("is the manifest itself")
    } else {
        Ok(())
    }
}

fn split(path: &Path) -> io::Result<(&Path, &str)> {
    let folder = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    Ok((folder, name))
}

/// Open `name`, a file directly inside `folder`, for reading, following no symlink (neither
/// the folder's last component nor the file) and refusing anything but a regular file (a
/// FIFO or a device does not block: it is opened non-blocking, then refused).
pub fn open_in(folder: &Path, name: &str) -> io::Result<File> {
    use rustix::fs::{Mode, OFlags};
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{name:?} is not a file directly in {}", folder.display()),
        ));
    }
    let dir = rustix::fs::open(
        folder,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| crate::commands::lock::refused(folder, io::Error::from(e)))?;
    let fd = rustix::fs::openat(
        &dir,
        name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
        Mode::empty(),
    )
    .map_err(|e| crate::commands::lock::refused(&folder.join(name), io::Error::from(e)))?;
    let file = File::from(fd);
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a regular file", folder.join(name).display()),
        ));
    }
    Ok(file)
}

/// The project's backups in `dir`, newest first. A missing directory has none.
pub fn scan(dir: &Path, project: &str) -> io::Result<Listing> {
    let mut listing = Listing::default();
    let read = match std::fs::read_dir(dir) {
        Ok(read) => read,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(listing),
        Err(e) => return Err(e),
    };
    for entry in read {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(time) = parse_folder_name(project, &name) else {
            continue;
        };
        if !entry.file_type()?.is_dir() {
            continue;
        }
        let path = entry.path();
        let manifest_path = path.join(MANIFEST);
        let marked = std::fs::symlink_metadata(path.join(MARKER)).is_ok_and(|m| m.is_file());
        if !marked {
            listing.foreign.push(name);
            continue;
        }
        let (state, manifest, problem) = if std::fs::symlink_metadata(&manifest_path).is_ok() {
            match read_manifest(&manifest_path) {
                Ok(m) if m.project == project && m.id == name => (State::Complete, Some(m), None),
                Ok(m) => (
                    State::Damaged,
                    None,
                    Some(format!(
                        "the manifest names backup {} of project {}",
                        m.id, m.project
                    )),
                ),
                Err(problem) => (State::Damaged, None, Some(problem)),
            }
        } else {
            (State::Incomplete, None, None)
        };
        listing.entries.push(Entry {
            id: name,
            size: folder_size(&path),
            path,
            time,
            state,
            manifest,
            problem,
        });
    }
    listing
        .entries
        .sort_by(|a, b| b.time.cmp(&a.time).then(b.id.cmp(&a.id)));
    listing.foreign.sort();
    Ok(listing)
}

/// Find a backup by its ID: the full folder name, `latest` (the newest complete one), its
/// timestamp, or a unique prefix of either.
pub fn resolve<'a>(listing: &'a Listing, id: &str) -> Result<&'a Entry, String> {
    if id == "latest" {
        return listing
            .complete()
            .next()
            .ok_or_else(|| "there is no complete backup yet".to_string());
    }
    if let Some(e) = listing.entries.iter().find(|e| e.id == id) {
        return Ok(e);
    }
    let matches: Vec<&Entry> = listing
        .entries
        .iter()
        .filter(|e| e.id.starts_with(id) || stamp_of(&e.id).is_some_and(|s| s.starts_with(id)))
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(format!(
            "no backup `{id}` (see `phi backup list`; `latest` is the newest complete one)"
        )),
        many => Err(format!(
            "`{id}` matches {} backups ({}); give more of the ID",
            many.len(),
            many.iter()
                .map(|e| e.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The timestamp part of a folder name (after the project name).
fn stamp_of(id: &str) -> Option<&str> {
    // The stamp is the first 16-character `YYYYMMDDTHHMMSSZ` run after a `-`.
    id.match_indices('-')
        .map(|(i, _)| &id[i + 1..])
        .find(|rest| {
            rest.get(..16)
                .is_some_and(|s| parse_compact_time(s).is_some())
        })
}

/// Create the backup directory (0700) when it does not exist.
pub fn ensure_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Create a new run folder (0700) with phi's marker in it; returns its ID and path.
pub fn create_run(dir: &Path, project: &str, time: SystemTime) -> io::Result<(String, PathBuf)> {
    for attempt in 0..100 {
        let id = folder_name(project, time, attempt);
        let path = dir.join(&id);
        match std::fs::DirBuilder::new().mode(0o700).create(&path) {
            Ok(()) => {
                let marker = format!(
                    "phi {} backup of project {project}, started {}\nThis folder is complete only when manifest.json is in it.\n",
                    env!("CARGO_PKG_VERSION"),
                    rfc3339(time)
                );
                codec::write_small(&path, MARKER, marker.as_bytes())?;
                codec::sync_dir(dir)?;
                return Ok((id, path));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("too many backups in the same second"))
}

/// Take the directory's lock, waiting up to `timeout` (`on_wait` hears who holds it, once).
/// The lock file says who holds it (pid, host, command, since when), so that a run that
/// gives up can say so. Never through a symlink, regular files only (see [`crate::commands::lock`]).
pub async fn lock(
    dir: &Path,
    command: &str,
    timeout: Duration,
    on_wait: impl FnOnce(&str),
) -> anyhow::Result<crate::commands::lock::Lock> {
    let what = dir.display().to_string();
    crate::commands::lock::acquire(
        &dir.join(LOCK),
        &what,
        command,
        timeout,
        "--lock-timeout",
        on_wait,
    )
    .await
}

/// Take the directory's lock with other readers (restore, `prune --dry-run`): it waits only
/// for a run that writes there. `None` when the folder is read-only and has no lock file:
/// the caller reads without one and says so.
pub async fn lock_shared(
    dir: &Path,
    timeout: Duration,
    on_wait: impl FnOnce(&str),
) -> anyhow::Result<Option<crate::commands::lock::Lock>> {
    let what = dir.display().to_string();
    crate::commands::lock::acquire_shared(
        &dir.join(LOCK),
        &what,
        timeout,
        "--lock-timeout",
        on_wait,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> SystemTime {
        humantime::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn folder_names_carry_the_utc_time_and_parse_back() {
        let t = at("2024-05-01T03:04:05Z");
        assert_eq!(folder_name("shop", t, 0), "shop-20240501T030405Z");
        assert_eq!(folder_name("shop", t, 1), "shop-20240501T030405Z-2");
        assert_eq!(parse_folder_name("shop", "shop-20240501T030405Z"), Some(t));
        assert_eq!(
            parse_folder_name("shop", "shop-20240501T030405Z-2"),
            Some(t)
        );
        // Another project, a prefix of the name, hand-made folders: not ours.
        assert_eq!(parse_folder_name("shop", "shop-db-20240501T030405Z"), None);
        assert_eq!(parse_folder_name("sho", "shop-20240501T030405Z"), None);
        assert_eq!(parse_folder_name("shop", "shop-old"), None);
        assert_eq!(parse_folder_name("shop", "shop-20240501T030405Z-"), None);
        assert_eq!(parse_folder_name("shop", "shop-20240501T030405Zx"), None);
        assert_eq!(parse_folder_name("shop", "shop-20241301T030405Z"), None);
    }

    fn entry(id: &str, state: State) -> Entry {
        Entry {
            id: id.into(),
            path: PathBuf::from(id),
            time: parse_folder_name("p", id).unwrap(),
            state,
            manifest: None,
            problem: None,
            size: 0,
        }
    }

    #[test]
    fn ids_resolve_by_name_stamp_prefix_or_latest() {
        let listing = Listing {
            entries: vec![
                entry("p-20240502T000000Z", State::Incomplete),
                entry("p-20240501T120000Z", State::Complete),
                entry("p-20240501T060000Z", State::Complete),
            ],
            foreign: vec![],
        };
        let id = |q: &str| resolve(&listing, q).map(|e| e.id.clone());
        assert_eq!(id("latest").unwrap(), "p-20240501T120000Z");
        assert_eq!(id("p-20240501T060000Z").unwrap(), "p-20240501T060000Z");
        assert_eq!(id("20240501T06").unwrap(), "p-20240501T060000Z");
        assert!(id("p-202405021").unwrap_err().contains("no backup"));
        let err = id("20240501").unwrap_err();
        assert!(err.contains("matches 2 backups"), "{err}");
        let empty = Listing::default();
        assert!(resolve(&empty, "latest").is_err());
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    }

    #[test]
    fn a_second_lock_waits_then_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        runtime().block_on(async {
            let first = lock(dir.path(), "backup", Duration::ZERO, |_| {})
                .await
                .unwrap();
            let mut told = String::new();
            let err = lock(
                dir.path(),
                "backup prune",
                Duration::from_millis(200),
                |h| told = h.to_string(),
            )
            .await
            .unwrap_err();
            let pid = format!("pid {}", std::process::id());
            assert!(told.contains("phi backup") && told.contains(&pid), "{told}");
            assert!(
                err.to_string().contains("is locked by phi backup (pid"),
                "{err}"
            );
            assert_eq!(crate::commands::classify(&err), crate::exit::Exit::Timeout);
            drop(first);
            lock(dir.path(), "backup prune", Duration::ZERO, |_| {})
                .await
                .unwrap();
        });
    }

    #[test]
    fn readers_share_the_lock_and_wait_only_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        runtime().block_on(async {
            let short = Duration::from_millis(150);
            let writer = lock(dir.path(), "backup", Duration::ZERO, |_| {})
                .await
                .unwrap();
            let mut told = String::new();
            let err = lock_shared(dir.path(), short, |h| told = h.to_string())
                .await
                .unwrap_err();
            assert!(told.contains("phi backup (pid"), "{told}");
            assert_eq!(crate::commands::classify(&err), crate::exit::Exit::Timeout);
            drop(writer);

            let one = lock_shared(dir.path(), Duration::ZERO, |_| {})
                .await
                .unwrap();
            let two = lock_shared(dir.path(), Duration::ZERO, |_| {})
                .await
                .unwrap();
            assert!(one.is_some() && two.is_some(), "two readers at once");
            // The finished writer's line is gone: a writer waiting now waits for readers.
            let mut told = String::new();
            let err = lock(dir.path(), "backup prune", short, |h| told = h.to_string())
                .await
                .unwrap_err();
            assert_eq!(told, "another process");
            assert!(err.to_string().contains("gave up"), "{err}");
            drop((one, two));
            lock(dir.path(), "backup prune", Duration::ZERO, |_| {})
                .await
                .unwrap();
        });
    }

    fn item_json(file: &str) -> String {
        format!(
            r#"{{"service": "db", "recipe": "volume", "source": "volume v at /data", "format": "tar",
            "target": "/", "file": {}, "size": 1, "raw_size": 1, "sha256": "00", "compression": "zstd",
            "duration_seconds": 0, "image": "i", "container": "c"}}"#,
            serde_json::to_string(file).unwrap()
        )
    }

    #[test]
    fn a_manifest_naming_a_file_outside_its_folder_is_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(MANIFEST);
        for (file, why) in [
            (
                "../../outside/evil.tar.zst",
                "not directly in the backup folder",
            ),
            ("/etc/shadow", "not directly in the backup folder"),
            ("..", "hidden or parent"),
            (".phi-backup.lock", "hidden or parent"),
            ("", "empty"),
            ("manifest.json", "the manifest itself"),
            ("a\nb", "control character"),
        ] {
            std::fs::write(
                &path,
                format!(
                    r#"{{"manifest_version": 1, "phi_version": "1", "project": "p", "id": "p-x",
                    "started_at": "", "finished_at": "", "duration_seconds": 0, "items": [{}]}}"#,
                    item_json(file)
                ),
            )
            .unwrap();
            let err = read_manifest(&path).unwrap_err();
            assert!(
                err.contains("item 1 (db volume)") && err.contains(why),
                "{file}: {err}"
            );
        }
    }

    #[test]
    fn nothing_is_read_through_a_symlink_or_from_a_fifo() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside.txt");
        std::fs::write(&outside, "secret").unwrap();
        let folder = dir.path().join("p-x");
        std::fs::create_dir(&folder).unwrap();
        std::os::unix::fs::symlink(&outside, folder.join("item.tar.zst")).unwrap();
        let err = open_in(&folder, "item.tar.zst").unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");
        std::os::unix::fs::symlink(&outside, folder.join(MANIFEST)).unwrap();
        assert!(
            read_manifest(&folder.join(MANIFEST))
                .unwrap_err()
                .contains("symbolic link")
        );
        // A folder that is a link is not followed either.
        let linked = dir.path().join("p-y");
        std::os::unix::fs::symlink(&folder, &linked).unwrap();
        std::fs::write(folder.join("plain"), "x").unwrap();
        assert!(open_in(&folder, "plain").is_ok());
        assert!(open_in(&linked, "plain").is_err());
        assert!(open_in(&folder, "../outside.txt").is_err());
        // A FIFO is refused at once, not waited on.
        let fifo = folder.join("fifo");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
            0,
        )
        .unwrap();
        assert!(
            open_in(&folder, "fifo")
                .unwrap_err()
                .to_string()
                .contains("not a regular file")
        );
    }

    #[tokio::test]
    async fn the_lock_file_is_never_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("victim");
        std::fs::write(&target, "keep me").unwrap();
        let backups = dir.path().join("backups");
        std::fs::create_dir(&backups).unwrap();
        std::os::unix::fs::symlink(&target, backups.join(LOCK)).unwrap();
        let err = lock(&backups, "backup", Duration::from_millis(10), |_| {})
            .await
            .unwrap_err();
        assert!(format!("{err:#}").contains("symbolic link"), "{err:#}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
        // A dangling link creates nothing where it points.
        std::fs::remove_file(backups.join(LOCK)).unwrap();
        let nowhere = dir.path().join("created-by-phi");
        std::os::unix::fs::symlink(&nowhere, backups.join(LOCK)).unwrap();
        assert!(
            lock(&backups, "backup", Duration::from_millis(10), |_| {})
                .await
                .is_err()
        );
        assert!(!nowhere.exists());
    }

    #[test]
    fn manifests_from_a_newer_phi_or_elsewhere_are_refused_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(MANIFEST);
        let manifest = |version: u32| {
            format!(
                r#"{{"manifest_version": {version}, "phi_version": "9", "project": "p", "id": "p-x",
                "started_at": "", "finished_at": "", "duration_seconds": 0, "items": []}}"#
            )
        };
        std::fs::write(&path, manifest(1)).unwrap();
        assert_eq!(read_manifest(&path).unwrap().project, "p");
        std::fs::write(&path, manifest(2)).unwrap();
        assert!(read_manifest(&path).unwrap_err().contains("newer"));
        std::fs::write(&path, r#"{"items": 3}"#).unwrap();
        assert!(
            read_manifest(&path)
                .unwrap_err()
                .contains("not a phi manifest")
        );
        assert!(
            read_manifest(&dir.path().join("none"))
                .unwrap_err()
                .contains("cannot read")
        );
    }

    #[test]
    fn scanning_tells_complete_incomplete_damaged_and_foreign_folders_apart() {
        let dir = tempfile::tempdir().unwrap();
        let t = at("2024-05-01T03:04:05Z");
        let (id, path) = create_run(dir.path(), "p", t).unwrap();
        let manifest = Manifest {
            manifest_version: 1,
            phi_version: "0".into(),
            project: "p".into(),
            id: id.clone(),
            started_at: rfc3339(t),
            finished_at: rfc3339(t),
            duration_seconds: 0.0,
            items: vec![],
        };
        codec::write_small(&path, MANIFEST, &serde_json::to_vec(&manifest).unwrap()).unwrap();
        let (incomplete, _) = create_run(dir.path(), "p", t).unwrap();
        let (damaged, damaged_path) = create_run(dir.path(), "p", t).unwrap();
        std::fs::write(damaged_path.join(MANIFEST), "{not json").unwrap();
        std::fs::create_dir(dir.path().join("p-20200101T000000Z")).unwrap();
        std::fs::create_dir(dir.path().join("notes")).unwrap();
        let listing = scan(dir.path(), "p").unwrap();
        let states: Vec<(&str, State)> = listing
            .entries
            .iter()
            .map(|e| (e.id.as_str(), e.state))
            .collect();
        assert!(states.contains(&(id.as_str(), State::Complete)));
        assert!(states.contains(&(incomplete.as_str(), State::Incomplete)));
        assert!(states.contains(&(damaged.as_str(), State::Damaged)));
        assert_eq!(listing.foreign, ["p-20200101T000000Z"]);
        assert_eq!(listing.entries.len(), 3);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }
}
