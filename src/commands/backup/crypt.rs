//! age encryption of backup files (X25519 recipients), after compression, streamed.
//!
//! Recipients come from BACKUP_AGE_RECIPIENTS (or BACKUP_AGE_RECIPIENTS_FILE, one key a line,
//! `#` comments), else x-phi `backup.age_recipients`. With recipients set, every item file is
//! written encrypted (the local copy too: nothing in the clear lands in the backup folder),
//! and the manifest records `encryption: {scheme: age, recipients: [...]}`. The size and
//! sha256 it records are those of the encrypted bytes on disk, so a copy can be checked
//! without a key.
//!
//! Identities (secret keys) for verify, restore and drill come from `--identity FILE` or
//! BACKUP_AGE_IDENTITY_FILE. No message ever prints a line of an identity file, nor a value
//! that was refused as a recipient (it might be a secret key put in the wrong place).

use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use age::x25519;
use serde::{Deserialize, Serialize};

use crate::config::Project;
use crate::exit::{Coded, Exit};

pub const SCHEME: &str = "age";
const RECIPIENTS_VAR: &str = "BACKUP_AGE_RECIPIENTS";
const IDENTITY_VAR: &str = "BACKUP_AGE_IDENTITY_FILE";
/// The largest identity file read (age's own limit is 16 MiB; one key is 74 bytes).
const MAX_IDENTITY_BYTES: u64 = 1 << 20;

/// How an item file is encrypted, as the manifest records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Encryption {
    /// `age`.
    pub scheme: String,
    /// The recipients' public keys (`age1...`).
    pub recipients: Vec<String>,
}

/// The public keys files are encrypted to.
#[derive(Debug, Clone)]
pub struct Recipients {
    keys: Vec<x25519::Recipient>,
}

impl Recipients {
    pub fn public(&self) -> Vec<String> {
        self.keys.iter().map(ToString::to_string).collect()
    }

    pub fn encryption(&self) -> Encryption {
        Encryption {
            scheme: SCHEME.into(),
            recipients: self.public(),
        }
    }
}

/// Parse recipients from text: keys separated by white space or commas, `#` comments to the
/// end of a line. A bad entry is named by its position, never by its value.
pub fn parse_recipients(text: &str, origin: &str) -> Result<Recipients, String> {
    let mut keys = Vec::new();
    let words = text
        .lines()
        .map(|line| line.split('#').next().unwrap_or(""))
        .flat_map(|line| line.split([',', ' ', '\t']))
        .map(str::trim)
        .filter(|w| !w.is_empty());
    for (n, word) in words.enumerate() {
        if word.to_ascii_uppercase().starts_with("AGE-SECRET-KEY-") {
            return Err(format!(
                "{origin}: entry {} is an age identity (a secret key), not a recipient; give its \
                 public key instead (age-keygen -y FILE prints it), and keep the secret key off \
                 this host's configuration",
                n + 1
            ));
        }
        let key = x25519::Recipient::from_str(word).map_err(|_| {
            format!(
                "{origin}: entry {} is not an age X25519 recipient (a public key starting with age1)",
                n + 1
            )
        })?;
        keys.push(key);
    }
    if keys.is_empty() {
        return Err(format!("{origin}: no age recipient in it"));
    }
    Ok(Recipients { keys })
}

fn config_error(message: String) -> anyhow::Error {
    Coded::new(Exit::Usage, message).into()
}

/// The recipients configured for `project`, if any: BACKUP_AGE_RECIPIENTS (or its _FILE),
/// else x-phi `backup.age_recipients`.
pub fn recipients(project: &Project) -> anyhow::Result<Option<Arc<Recipients>>> {
    let from_env = project.env.get(RECIPIENTS_VAR)?;
    let (text, origin) = match from_env {
        Some(text) if !text.trim().is_empty() => {
            (text, format!("{RECIPIENTS_VAR} (or {RECIPIENTS_VAR}_FILE)"))
        }
        _ => {
            let listed = &project.model.x_phi.backup.age_recipients;
            if listed.is_empty() {
                return Ok(None);
            }
            (listed.join("\n"), "x-phi backup.age_recipients".to_string())
        }
    };
    parse_recipients(&text, &origin)
        .map(|r| Some(Arc::new(r)))
        .map_err(config_error)
}

/// Secret keys that open backup files, and the file they came from.
pub struct Identities {
    ids: Vec<Box<dyn age::Identity + Send + Sync>>,
    pub origin: String,
}

impl std::fmt::Debug for Identities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the keys themselves.
        write!(f, "Identities({} from {})", self.ids.len(), self.origin)
    }
}

/// Read an age identity file (`age-keygen` output). Errors name the file and a line number.
pub fn load_identities(path: &Path) -> anyhow::Result<Identities> {
    let origin = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| {
        Coded::new(
            Exit::Usage,
            format!("cannot read the age identity file {origin}: {e}"),
        )
    })?;
    let mut text = Vec::new();
    file.take(MAX_IDENTITY_BYTES + 1)
        .read_to_end(&mut text)
        .map_err(|e| config_error(format!("cannot read the age identity file {origin}: {e}")))?;
    if text.len() as u64 > MAX_IDENTITY_BYTES {
        return Err(config_error(format!(
            "{origin} is too large for an age identity file"
        )));
    }
    // age's messages name a line number, never its content.
    let parsed = age::IdentityFile::from_buffer(BufReader::new(text.as_slice()))
        .map_err(|e| config_error(format!("{origin}: not an age identity file: {e}")))?;
    let ids = parsed
        .into_identities()
        .map_err(|e| config_error(format!("{origin}: cannot use its identities: {e}")))?;
    // The plaintext copy of the keys is gone before anything else happens.
    text.fill(0);
    if ids.is_empty() {
        return Err(config_error(format!(
            "{origin} holds no age identity (AGE-SECRET-KEY-1... lines)"
        )));
    }
    Ok(Identities { ids, origin })
}

/// The identity file to use: the flag (relative to the current directory), else
/// BACKUP_AGE_IDENTITY_FILE (relative to the project directory); None when neither is set.
pub fn identity_path(project: &Project, flag: Option<&Path>) -> anyhow::Result<Option<PathBuf>> {
    if let Some(path) = flag {
        return Ok(Some(std::path::absolute(path)?));
    }
    // BACKUP_AGE_IDENTITY_FILE names a file: it is not read through the _FILE convention.
    match project.env.get(IDENTITY_VAR)? {
        Some(path) if !path.trim().is_empty() => Ok(Some(project.directory.join(path.trim()))),
        _ => Ok(None),
    }
}

/// The identities from `--identity` or BACKUP_AGE_IDENTITY_FILE, if either is given.
pub fn identities(
    project: &Project,
    flag: Option<&Path>,
) -> anyhow::Result<Option<Arc<Identities>>> {
    match identity_path(project, flag)? {
        Some(path) => Ok(Some(Arc::new(load_identities(&path)?))),
        None => Ok(None),
    }
}

/// Reading `items` needs a key when any of them is encrypted: without `--identity` or
/// BACKUP_AGE_IDENTITY_FILE, a usage error (exit 2) naming the first such file and saying how
/// to give one. Restore and drill call it before anything is downloaded or touched.
pub fn require_identity<'a>(
    project: &Project,
    flag: Option<&Path>,
    mut items: impl Iterator<Item = &'a super::store::Item>,
) -> anyhow::Result<()> {
    if identity_path(project, flag)?.is_some() {
        return Ok(());
    }
    match items.find(|i| i.encryption.is_some()) {
        Some(item) => Err(Coded::new(Exit::Usage, needs_identity(&item.file)).into()),
        None => Ok(()),
    }
}

/// How a file is read back: in the clear, or encrypted (with the identities to open it, or
/// none: then only its bytes on disk are hashed).
#[derive(Debug, Clone, Default)]
pub enum Opening {
    #[default]
    Plain,
    Sealed(Option<Arc<Identities>>),
}

impl Opening {
    /// How to read `encryption` (from the manifest) with `identities` at hand.
    pub fn of(encryption: Option<&Encryption>, identities: Option<&Arc<Identities>>) -> Self {
        match encryption {
            None => Opening::Plain,
            Some(_) => Opening::Sealed(identities.cloned()),
        }
    }
}

/// The error for an encrypted file that must be read without an identity.
pub fn needs_identity(file: &str) -> String {
    format!(
        "{file} is encrypted with age: give the identity file with --identity FILE or \
         BACKUP_AGE_IDENTITY_FILE"
    )
}

/// A writer that encrypts (or not) what goes through it; `finish` writes age's last chunk.
pub enum Sealed<W: Write> {
    Plain(W),
    Age(age::stream::StreamWriter<W>),
}

impl<W: Write> Sealed<W> {
    pub fn new(out: W, recipients: Option<&Recipients>) -> io::Result<Self> {
        let Some(recipients) = recipients else {
            return Ok(Sealed::Plain(out));
        };
        let encryptor = age::Encryptor::with_recipients(
            recipients.keys.iter().map(|k| k as &dyn age::Recipient),
        )
        .map_err(|e| io::Error::other(format!("age: {e}")))?;
        Ok(Sealed::Age(encryptor.wrap_output(out)?))
    }

    pub fn finish(self) -> io::Result<W> {
        match self {
            Sealed::Plain(w) => Ok(w),
            Sealed::Age(w) => w.finish(),
        }
    }
}

impl<W: Write> Write for Sealed<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sealed::Plain(w) => w.write(buf),
            Sealed::Age(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sealed::Plain(w) => w.flush(),
            Sealed::Age(w) => w.flush(),
        }
    }
}

/// None of the identities fits the file's recipients.
fn no_matching_key(identities: &Identities) -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!(
            "no identity in {} opens it (it was encrypted to other keys)",
            identities.origin
        ),
    )
}

/// Open an encrypted stream with `identities`. A key that does not fit is a clear error
/// naming the identity file (and never a key).
pub fn open<R: Read>(
    input: R,
    identities: &Identities,
) -> io::Result<age::stream::StreamReader<R>> {
    let decryptor = age::Decryptor::new(input).map_err(|e| match e {
        age::DecryptError::Io(e) => e,
        age::DecryptError::NoMatchingKeys => no_matching_key(identities),
        other => io::Error::new(
            io::ErrorKind::InvalidData,
            format!("not a readable age file: {other}"),
        ),
    })?;
    decryptor
        .decrypt(
            identities
                .ids
                .iter()
                .map(|i| i.as_ref() as &dyn age::Identity),
        )
        .map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => no_matching_key(identities),
            other => io::Error::new(
                io::ErrorKind::InvalidData,
                format!("cannot decrypt: {other}"),
            ),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use age::secrecy::ExposeSecret;

    fn keypair() -> (String, String) {
        let id = x25519::Identity::generate();
        (
            id.to_public().to_string(),
            id.to_string().expose_secret().to_string(),
        )
    }

    #[test]
    fn recipients_parse_from_lists_and_refuse_secret_keys_without_echoing_them() {
        let (a, _) = keypair();
        let (b, secret) = keypair();
        let r = parse_recipients(&format!("# ops\n{a}, {b}\n"), "X").unwrap();
        assert_eq!(r.public(), vec![a.clone(), b]);
        let err = parse_recipients(&format!("{a} {secret}"), "X").unwrap_err();
        assert!(err.contains("entry 2 is an age identity"), "{err}");
        assert!(!err.contains(&secret[15..]), "{err}");
        let err = parse_recipients("age1nope", "X").unwrap_err();
        assert!(
            err.contains("entry 1 is not an age X25519 recipient"),
            "{err}"
        );
        assert!(parse_recipients("# nothing", "X").is_err());
    }

    #[test]
    fn sealed_streams_open_with_the_right_identity_only() {
        let (public, secret) = keypair();
        let dir = tempfile::tempdir().unwrap();
        let key_file = dir.path().join("key.txt");
        std::fs::write(&key_file, format!("# created: now\n{secret}\n")).unwrap();
        let recipients = parse_recipients(&public, "X").unwrap();
        let mut sealed = Sealed::new(Vec::new(), Some(&recipients)).unwrap();
        sealed.write_all(&[7u8; 200_000]).unwrap();
        let bytes = sealed.finish().unwrap();
        assert!(bytes.starts_with(b"age-encryption.org/v1"));
        let ids = load_identities(&key_file).unwrap();
        let mut plain = Vec::new();
        open(bytes.as_slice(), &ids)
            .unwrap()
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(plain, vec![7u8; 200_000]);

        let (_, other) = keypair();
        let wrong = dir.path().join("wrong.txt");
        std::fs::write(&wrong, format!("{other}\n")).unwrap();
        let err = open(bytes.as_slice(), &load_identities(&wrong).unwrap())
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("no identity in") && err.contains("wrong.txt"),
            "{err}"
        );
        assert!(!err.contains("AGE-SECRET-KEY"), "{err}");

        let junk = dir.path().join("junk.txt");
        std::fs::write(&junk, format!("{public}\n")).unwrap();
        let err = format!("{:#}", load_identities(&junk).unwrap_err());
        assert!(err.contains("line 1") && !err.contains(&public), "{err}");
    }
}
