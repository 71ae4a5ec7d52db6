//! `x-phi.backup.targets`: where `phi backup` copies its backups after writing them locally.
//!
//! ```yaml
//! x-phi:
//!   backup:
//!     keep_local: 2
//!     targets:
//!       nas: { url: /mnt/nas/backups }
//!       offsite: { url: "sftp://backup@host:22/srv/phi", key: ~/.ssh/id_ed25519, known_hosts: ./known_hosts }
//!       s3: { url: s3://bucket/prefix, endpoint: "https://s3.example", region: eu-central-1 }
//! ```
//!
//! Only the shape is checked here (which keys, which scheme); secrets never appear in the
//! compose file: SFTP authenticates with a key file or the ssh agent, S3 with the standard
//! AWS variables (or their `_FILE` forms), read when a run needs them.

use serde_norway::Value;

use super::ConfigError;

/// Keys understood under `x-phi.backup.targets.<name>`.
pub const TARGET_KEYS: &[&str] = &["url", "key", "known_hosts", "endpoint", "region"];

/// One declared target, as written (paths not yet resolved).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetSpec {
    pub name: String,
    /// `/path`, `file:///path`, `sftp://user@host:port/path` or `s3://bucket/prefix`.
    pub url: String,
    /// SFTP: the private key file (else the agent and ssh's defaults).
    pub key: Option<String>,
    /// SFTP: the known_hosts file to check the host key against (else ssh's own files).
    pub known_hosts: Option<String>,
    /// S3: the endpoint of an S3-compatible server (else AWS_ENDPOINT_URL, else AWS).
    pub endpoint: Option<String>,
    /// S3: the region (else AWS_REGION / AWS_DEFAULT_REGION, else us-east-1).
    pub region: Option<String>,
}

/// The schemes a target URL may have; a plain path is a local directory.
pub fn check_url(url: &str) -> Result<(), String> {
    let url = url.trim();
    if url.is_empty() {
        return Err("is empty".into());
    }
    match url.split_once("://") {
        None => Ok(()),
        Some(("file" | "sftp" | "s3", rest)) if !rest.is_empty() => Ok(()),
        Some((scheme, _)) => Err(format!(
            "`{scheme}://` is not a target phi knows (a directory, file://, sftp:// or s3://)"
        )),
    }
}

/// Target names are used on the command line (`--to NAME`) and in reports.
fn check_name(name: &str) -> Result<(), String> {
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        && !name.contains("://")
    {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a target name (letters, digits, `-`, `_` and `.`)"
        ))
    }
}

/// Parse `x-phi.backup.targets` (a mapping of name to settings, or to a URL string).
pub fn parse(value: &Value, origin: &str, prefix: &str) -> Result<Vec<TargetSpec>, ConfigError> {
    let invalid = |key: &str, message: String| ConfigError::Invalid {
        path: origin.to_string(),
        key: key.to_string(),
        message,
    };
    let map = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Mapping(map) => map,
        _ => {
            return Err(invalid(
                prefix,
                "must be a mapping of target names to settings".into(),
            ));
        }
    };
    let mut out = Vec::new();
    for (name, settings) in map {
        let name = super::scalar_text(name).unwrap_or_default();
        let key = format!("{prefix}.{name}");
        check_name(&name).map_err(|m| invalid(&key, m))?;
        let mut spec = TargetSpec {
            name: name.clone(),
            ..TargetSpec::default()
        };
        match settings {
            Value::String(url) => spec.url = url.clone(),
            Value::Mapping(fields) => {
                for (k, v) in fields {
                    let k = k.as_str().unwrap_or("?");
                    let field = format!("{key}.{k}");
                    let text = super::scalar_text(v)
                        .filter(|t| !t.trim().is_empty())
                        .ok_or_else(|| invalid(&field, "must be a non-empty string".into()))?;
                    match k {
                        "url" => spec.url = text,
                        "key" => spec.key = Some(text),
                        "known_hosts" => spec.known_hosts = Some(text),
                        "endpoint" => spec.endpoint = Some(text),
                        "region" => spec.region = Some(text),
                        _ => {
                            return Err(invalid(
                                &field,
                                format!("unknown key (known: {})", TARGET_KEYS.join(", ")),
                            ));
                        }
                    }
                }
            }
            _ => {
                return Err(invalid(
                    &key,
                    "must be a URL or a mapping with `url`".into(),
                ));
            }
        }
        if spec.url.is_empty() {
            return Err(invalid(&format!("{key}.url"), "is missing".into()));
        }
        check_url(&spec.url).map_err(|m| invalid(&format!("{key}.url"), m))?;
        out.push(spec);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_yaml(yaml: &str) -> Result<Vec<TargetSpec>, String> {
        let value: Value = serde_norway::from_str(yaml).unwrap();
        parse(&value, "compose.yaml", "x-phi.backup.targets").map_err(|e| e.to_string())
    }

    #[test]
    fn targets_are_read_by_name() {
        let targets = parse_yaml(
            "nas: /mnt/nas\noff: { url: 'sftp://u@h:2222/srv', key: k, known_hosts: kh }\n\
             s3: { url: s3://b/p, endpoint: 'http://127.0.0.1:9000', region: eu-west-1 }\n",
        )
        .unwrap();
        assert_eq!(targets.len(), 3);
        assert_eq!(targets[0].url, "/mnt/nas");
        assert_eq!(targets[1].key.as_deref(), Some("k"));
        assert_eq!(targets[2].region.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn the_top_level_backup_settings_take_targets_and_keep_local() {
        let value: Value = serde_norway::from_str(
            "backup: { keep_local: 0, targets: { nas: /mnt/nas, off: 'sftp://h/x' } }\n",
        )
        .unwrap();
        let mut diag = super::super::compose::Diagnostics::default();
        let x = super::super::xphi::parse_project(&value, "compose.yaml", &mut diag).unwrap();
        assert_eq!(x.backup.keep_local, Some(0));
        assert_eq!(x.backup.targets.len(), 2);
        assert!(diag.warnings.is_empty(), "{:?}", diag.warnings);
        let value: Value =
            serde_norway::from_str("backup: { targets: { nas: { url: /x, secret: s } } }\n")
                .unwrap();
        let err = super::super::xphi::parse_project(&value, "compose.yaml", &mut diag)
            .unwrap_err()
            .to_string();
        assert!(err.contains("x-phi.backup.targets.nas.secret"), "{err}");
    }

    #[test]
    fn bad_targets_name_the_key() {
        for (yaml, key) in [
            ("- a\n", "x-phi.backup.targets"),
            ("a: { url: 'ftp://h/x' }\n", "x-phi.backup.targets.a.url"),
            ("a: { key: k }\n", "x-phi.backup.targets.a.url"),
            (
                "a: { url: /x, password: p }\n",
                "x-phi.backup.targets.a.password",
            ),
            ("'a b': /x\n", "x-phi.backup.targets.a b"),
            ("a: 3\n", "x-phi.backup.targets.a"),
        ] {
            let err = parse_yaml(yaml).unwrap_err();
            assert!(err.contains(&format!("`{key}`")), "{yaml}: {err}");
        }
    }
}
