//! Backup targets: where a backup is copied after it is written and verified locally, and
//! where `list`, `verify`, `restore`, `drill`, `check` and `prune` can read from (`--from`).
//!
//! A target is a local directory, an SFTP folder (`sftp://user@host:port/path`, through the
//! system's `ssh`: key or agent, host key checked against known_hosts, never accepted
//! silently) or an S3-compatible bucket and prefix (`s3://bucket/prefix`; credentials from
//! AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN or their `_FILE` forms).
//! On the target a backup has the same shape as locally: `<root>/<id>/` with phi's marker,
//! one file per item and manifest.json last.
//!
//! upload.rs: copy one local backup out (temporary names, checked, renamed, manifest last);
//! remote_store.rs: a target read as a backup directory (listing, download, prune);
//! remote.rs: the storage operations per kind;
//! lock.rs: one run at a time per project copying to or pruning a target.

mod lock;
mod remote;
mod remote_store;
mod upload;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::{Action, Settings};
use crate::config::Project;
use crate::config::backup_targets::{TargetSpec, check_url};
use crate::exit::{Coded, Exit};
use crate::output::Printer;
use remote::Conn;

pub use remote_store::run_from;
pub use upload::{Opened, finish_create, push};

/// Flags that do not go together, and target names that do not resolve: usage errors
/// before anything is written.
pub fn precheck(project: &Project, opts: &Settings) -> anyhow::Result<()> {
    let copies = matches!(opts.action, Action::Create { .. } | Action::Push { .. });
    if copies && opts.from.is_some() {
        return Err(usage(
            "--from reads backups on a target (list, verify, restore, drill, check, prune); to copy a backup \
             to a target, use --to"
                .into(),
        ));
    }
    if !copies && !opts.to.is_empty() {
        return Err(usage(
            "--to copies a new backup (or `push`) to a target; to read the backups on a \
             target, use --from"
                .into(),
        ));
    }
    if !copies && opts.keep_local.is_some() {
        return Err(usage(
            "--keep-local goes with making a backup or `push`".into(),
        ));
    }
    if copies {
        let targets = chosen(project, &opts.to)?;
        if targets.is_empty() && opts.keep_local.is_some() {
            return Err(usage(
                "--keep-local needs a target: give --to TARGET or declare x-phi.backup.targets"
                    .into(),
            ));
        }
    }
    if let Some(from) = &opts.from {
        resolve(project, from)?;
    }
    Ok(())
}

/// A target resolved from its name or URL, ready to connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// How reports name it: the declared name, or the URL (never a secret: URLs with a
    /// password are refused).
    pub label: String,
    pub place: Place,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Local(PathBuf),
    Sftp {
        user: Option<String>,
        host: String,
        port: Option<u16>,
        path: String,
        key: Option<PathBuf>,
        known_hosts: Option<PathBuf>,
    },
    S3 {
        bucket: String,
        prefix: String,
        endpoint: Option<String>,
        region: Option<String>,
    },
}

fn usage(message: String) -> anyhow::Error {
    Coded::new(Exit::Usage, message).into()
}

/// `~/x` under $HOME; a relative path under `base`.
fn local_path(text: &str, base: &Path) -> PathBuf {
    if let Some(rest) = text.strip_prefix("~/")
        && let Some(home) = std::env::var_os("HOME")
    {
        return PathBuf::from(home).join(rest);
    }
    base.join(text)
}

/// The targets a run names: `names` (declared names or URLs), or every declared target.
pub fn chosen(project: &Project, names: &[String]) -> anyhow::Result<Vec<Target>> {
    let declared = &project.model.x_phi.backup.targets;
    if names.is_empty() {
        return declared
            .iter()
            .map(|spec| from_spec(spec, &project.directory, spec.name.clone()))
            .collect();
    }
    names.iter().map(|n| resolve(project, n)).collect()
}

/// A target named on the command line: a declared name, else a URL or a path.
pub fn resolve(project: &Project, name: &str) -> anyhow::Result<Target> {
    let declared = &project.model.x_phi.backup.targets;
    if let Some(spec) = declared.iter().find(|s| s.name == name) {
        return from_spec(spec, &project.directory, spec.name.clone());
    }
    let looks_like_place = name.contains("://") || name.starts_with(['/', '.', '~']);
    if !looks_like_place {
        let names: Vec<&str> = declared.iter().map(|s| s.name.as_str()).collect();
        return Err(usage(format!(
            "no target `{name}` in x-phi.backup.targets ({}); give a declared name, a \
             directory, sftp://user@host:port/path or s3://bucket/prefix",
            if names.is_empty() {
                "none declared".to_string()
            } else {
                format!("declared: {}", names.join(", "))
            }
        )));
    }
    let (url, query) = name.split_once('?').unwrap_or((name, ""));
    let mut spec = TargetSpec {
        name: String::new(),
        url: url.to_string(),
        ..TargetSpec::default()
    };
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = Some(v.to_string()).filter(|v| !v.is_empty());
        match k {
            "key" => spec.key = v,
            "known_hosts" => spec.known_hosts = v,
            "endpoint" => spec.endpoint = v,
            "region" => spec.region = v,
            _ => {
                return Err(usage(format!(
                    "target {url}: `{k}` is not a setting phi knows (key, known_hosts, endpoint, region)"
                )));
            }
        }
    }
    let cwd = std::env::current_dir()?;
    from_spec(&spec, &cwd, safe_label(name))
}

/// A URL as reports may show it: a password in it (refused anyway) masked.
fn safe_label(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!(
                "{scheme}://{user}:{}@{host}{}",
                crate::redact::MASK,
                &rest[authority_end..]
            )
        }
        _ => url.to_string(),
    }
}

/// A declared or given target, checked; relative paths start at `base`.
fn from_spec(spec: &TargetSpec, base: &Path, label: String) -> anyhow::Result<Target> {
    let url = spec.url.trim();
    let shown = if label.is_empty() { url } else { &label };
    check_url(url).map_err(|m| usage(format!("target {shown}: {m}")))?;
    let place = if let Some(rest) = url.strip_prefix("sftp://") {
        sftp_place(rest, spec, base).map_err(|m| usage(format!("target {shown}: {m}")))?
    } else if let Some(rest) = url.strip_prefix("s3://") {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(usage(format!("target {shown}: s3:// needs a bucket")));
        }
        // A bucket name has no `@`: this is `key:secret@bucket`, which must not reach a
        // request URL (and from there an error message).
        if bucket.contains('@') {
            return Err(usage(format!(
                "target {shown}: credentials in the URL are refused: S3 targets take \
                 AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or their _FILE forms)"
            )));
        }
        Place::S3 {
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
            endpoint: spec.endpoint.clone(),
            region: spec.region.clone(),
        }
    } else {
        let path = url.strip_prefix("file://").unwrap_or(url);
        Place::Local(local_path(path, base))
    };
    Ok(Target {
        label: shown.to_string(),
        place,
    })
}

/// `[user@]host[:port]/path` (IPv6 hosts in brackets).
fn sftp_place(rest: &str, spec: &TargetSpec, base: &Path) -> Result<Place, String> {
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (user, hostport) = match authority.rsplit_once('@') {
        Some((user, _)) if user.contains(':') => {
            return Err(
                "a password in the URL is refused: use a key file (`key`) or the ssh agent".into(),
            );
        }
        Some((user, hostport)) => (Some(user.to_string()), hostport),
        None => (None, authority),
    };
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (host, after) = v6.split_once(']').ok_or("an unclosed `[` in the host")?;
        (host, after.strip_prefix(':'))
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    if host.is_empty() || host.starts_with('-') {
        return Err("sftp:// needs a host".into());
    }
    let port = match port {
        Some(p) => Some(
            p.parse::<u16>()
                .map_err(|_| format!("`{p}` is not a port number"))?,
        ),
        None => None,
    };
    Ok(Place::Sftp {
        user: user.filter(|u| !u.is_empty()),
        host: host.to_string(),
        port,
        path: if path.is_empty() {
            ".".into()
        } else {
            path.into()
        },
        key: spec.key.as_deref().map(|k| local_path(k, base)),
        known_hosts: spec.known_hosts.as_deref().map(|k| local_path(k, base)),
    })
}

/// Connect to a target and list its root once, so that an unreachable target or refused
/// credentials show here, as exit 4, naming the target.
async fn open(
    project: &Project,
    printer: &Printer,
    target: &Target,
    limit: Duration,
) -> anyhow::Result<Conn> {
    let unavailable = |e: anyhow::Error| -> anyhow::Error {
        Coded::new(
            Exit::Unavailable,
            format!("target {}: {}", target.label, one_line(&e)),
        )
        .into()
    };
    printer.progress("Connecting", &format!("to target {}", target.label));
    let mut conn = connect(project, printer, target, limit)
        .await
        .map_err(|e| match crate::commands::classify(&e) {
            Exit::Usage => e,
            _ => unavailable(e),
        })?;
    match conn.folders().await {
        Ok(_) => Ok(conn),
        Err(e) => {
            conn.close().await;
            Err(unavailable(e))
        }
    }
}

/// An error and its causes on one line (ssh's own message included).
fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

async fn connect(
    project: &Project,
    printer: &Printer,
    target: &Target,
    limit: Duration,
) -> anyhow::Result<Conn> {
    match &target.place {
        Place::Local(path) => Ok(Conn::Local(path.clone())),
        Place::Sftp {
            user,
            host,
            port,
            path,
            key,
            known_hosts,
        } => {
            let mut builder = openssh::SessionBuilder::default();
            builder
                .known_hosts_check(openssh::KnownHosts::Strict)
                .connect_timeout(limit)
                .server_alive_interval(Duration::from_secs(15))
                .control_directory(std::env::temp_dir());
            if let Some(user) = user {
                builder.user(user.clone());
            }
            if let Some(port) = port {
                builder.port(*port);
            }
            if let Some(key) = key {
                if !key.is_file() {
                    return Err(usage(format!(
                        "target {}: the key file {} does not exist",
                        target.label,
                        key.display()
                    )));
                }
                builder.keyfile(key);
            }
            if let Some(file) = known_hosts {
                if !file.is_file() {
                    return Err(usage(format!(
                        "target {}: the known_hosts file {} does not exist",
                        target.label,
                        file.display()
                    )));
                }
                builder.user_known_hosts_file(file);
            }
            let session = builder.connect(host).await?;
            let sftp = openssh_sftp_client::Sftp::from_session(
                session,
                openssh_sftp_client::SftpOptions::new(),
            )
            .await?;
            Ok(Conn::Sftp(Box::new(remote::SftpConn {
                sftp,
                root: path.clone(),
            })))
        }
        Place::S3 {
            bucket,
            prefix,
            endpoint,
            region,
        } => s3(
            project, printer, target, bucket, prefix, endpoint, region, limit,
        ),
    }
}

#[allow(clippy::too_many_arguments)]
fn s3(
    project: &Project,
    printer: &Printer,
    target: &Target,
    bucket: &str,
    prefix: &str,
    endpoint: &Option<String>,
    region: &Option<String>,
    limit: Duration,
) -> anyhow::Result<Conn> {
    use object_store::aws::AmazonS3Builder;
    let env = |name: &str| -> anyhow::Result<Option<String>> {
        Ok(project
            .env
            .get(name)?
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty()))
    };
    let required = |name: &str| -> anyhow::Result<String> {
        env(name)?.ok_or_else(|| {
            usage(format!(
                "target {}: {name} (or {name}_FILE) is not set; S3 targets take the standard AWS variables",
                target.label
            ))
        })
    };
    let key_id = required("AWS_ACCESS_KEY_ID")?;
    let secret = required("AWS_SECRET_ACCESS_KEY")?;
    printer.redactor().add(&secret);
    let region = match region {
        Some(r) => r.clone(),
        None => env("AWS_REGION")?
            .or(env("AWS_DEFAULT_REGION")?)
            .unwrap_or_else(|| "us-east-1".into()),
    };
    let endpoint = match endpoint {
        Some(e) => Some(e.clone()),
        None => env("AWS_ENDPOINT_URL_S3")?.or(env("AWS_ENDPOINT_URL")?),
    };
    let retry = object_store::RetryConfig {
        max_retries: 2,
        retry_timeout: limit,
        ..Default::default()
    };
    let client = object_store::ClientOptions::new()
        .with_connect_timeout(limit.min(remote::CONNECT_TIMEOUT))
        .with_timeout(limit.max(Duration::from_secs(30)))
        .with_allow_http(
            endpoint
                .as_deref()
                .is_some_and(|e| e.starts_with("http://")),
        );
    let mut builder = AmazonS3Builder::new()
        .with_bucket_name(bucket)
        .with_region(region)
        .with_access_key_id(key_id)
        .with_secret_access_key(secret)
        // The target's lock is created with `If-None-Match: *` (lock.rs).
        .with_conditional_put(object_store::aws::S3ConditionalPut::ETagMatch)
        .with_retry(retry)
        .with_client_options(client);
    if let Some(token) = env("AWS_SESSION_TOKEN")? {
        printer.redactor().add(&token);
        builder = builder.with_token(token);
    }
    if let Some(endpoint) = endpoint {
        builder = builder
            .with_endpoint(endpoint)
            .with_virtual_hosted_style_request(false);
    }
    let store = builder
        .build()
        .map_err(|e| usage(format!("target {}: {e}", target.label)))?;
    Ok(Conn::S3(remote::S3Conn {
        store: Arc::new(store),
        prefix: prefix.to_string(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(url: &str) -> TargetSpec {
        TargetSpec {
            name: "t".into(),
            url: url.into(),
            key: Some("~/.ssh/k".into()),
            known_hosts: Some("kh".into()),
            ..TargetSpec::default()
        }
    }

    #[test]
    fn urls_become_places() {
        let base = Path::new("/project");
        let t = from_spec(
            &spec("sftp://bk@nas.example:2222/srv/phi"),
            base,
            "t".into(),
        )
        .unwrap();
        let Place::Sftp {
            user,
            host,
            port,
            path,
            known_hosts,
            ..
        } = t.place
        else {
            panic!("not sftp");
        };
        assert_eq!(
            (user.as_deref(), host.as_str(), port, path.as_str()),
            (Some("bk"), "nas.example", Some(2222), "/srv/phi")
        );
        assert_eq!(known_hosts, Some(PathBuf::from("/project/kh")));
        let t = from_spec(&spec("sftp://[::1]/x"), base, "t".into()).unwrap();
        assert!(matches!(t.place, Place::Sftp { host, port: None, .. } if host == "::1"));
        let t = from_spec(&spec("s3://bucket/a/b/"), base, "t".into()).unwrap();
        assert!(
            matches!(t.place, Place::S3 { bucket, prefix, .. } if bucket == "bucket" && prefix == "a/b")
        );
        let t = from_spec(&spec("backups"), base, "t".into()).unwrap();
        assert_eq!(t.place, Place::Local("/project/backups".into()));
        let t = from_spec(&spec("file:///srv/b"), base, "t".into()).unwrap();
        assert_eq!(t.place, Place::Local("/srv/b".into()));
    }

    #[test]
    fn bad_urls_are_usage_errors_that_never_echo_a_password() {
        for (url, why) in [
            ("sftp://bk:hunter2@h/x", "password in the URL is refused"),
            (
                "s3://AKIA:hunter2@bucket/x",
                "credentials in the URL are refused",
            ),
            ("sftp://h:port/x", "not a port number"),
            ("sftp:///x", "needs a host"),
            ("s3:///x", "needs a bucket"),
            ("ftp://h/x", "not a target phi knows"),
        ] {
            let err = from_spec(&spec(url), Path::new("/"), "t".into()).unwrap_err();
            let text = format!("{err:#}");
            assert!(
                text.contains(why) && text.starts_with("target t:"),
                "{url}: {text}"
            );
            assert!(!text.contains("hunter2"));
            assert_eq!(crate::commands::classify(&err), Exit::Usage);
        }
        assert_eq!(
            safe_label("sftp://bk:hunter2@h:22/x"),
            "sftp://bk:[redacted]@h:22/x"
        );
        assert_eq!(safe_label("s3://b/p"), "s3://b/p");
        assert_eq!(
            safe_label("s3://AKIA:hunter2@b/p"),
            "s3://AKIA:[redacted]@b/p"
        );
    }
}
