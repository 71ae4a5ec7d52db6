//! Which Docker Engine to talk to: DOCKER_HOST (with DOCKER_TLS_VERIFY / DOCKER_CERT_PATH),
//! else the docker context (DOCKER_CONTEXT or the CLI config's `currentContext`), else the
//! default socket. Pure: the environment and the docker config directory come in as inputs.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::exit::Exit;

/// The engine's address cannot be worked out: a configuration problem (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error("invalid DOCKER_HOST `{value}`: {reason}")]
    DockerHost { value: String, reason: String },

    #[error("{path}: invalid docker configuration: {message}")]
    DockerConfig { path: PathBuf, message: String },
}

impl HostError {
    pub fn exit(&self) -> Exit {
        Exit::Usage
    }
}

pub const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    Unix(PathBuf),
    /// Plain HTTP over TCP: `address` is `host:port`.
    Tcp {
        address: String,
        tls: Option<TlsFiles>,
    },
    /// `ssh://[user@]host[:port]`, run through the system's ssh client.
    Ssh(super::ssh::SshTarget),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub transport: Transport,
    /// How the user would write the address: `unix:///var/run/docker.sock`, `tcp://h:2376`.
    pub address: String,
    /// Where the choice came from: `DOCKER_HOST`, `docker context "x"`, `default`.
    pub origin: String,
}

/// The docker CLI's configuration directory: DOCKER_CONFIG, else ~/.docker.
pub fn docker_config_dir(var: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    match var("DOCKER_CONFIG").filter(|v| !v.is_empty()) {
        Some(dir) => Some(PathBuf::from(dir)),
        None => var("HOME")
            .filter(|h| !h.is_empty())
            .map(|h| Path::new(&h).join(".docker")),
    }
}

pub fn resolve(var: &dyn Fn(&str) -> Option<String>) -> Result<Target, HostError> {
    let config_dir = docker_config_dir(var);
    if let Some(host) = var("DOCKER_HOST").filter(|h| !h.trim().is_empty()) {
        let tls_verify = var("DOCKER_TLS_VERIFY").is_some_and(|v| !v.is_empty() && v != "0");
        let tls = if tls_verify {
            let dir = var("DOCKER_CERT_PATH")
                .filter(|p| !p.is_empty())
                .map(PathBuf::from)
                .or_else(|| config_dir.clone())
                .ok_or_else(|| HostError::DockerHost {
                    value: host.clone(),
                    reason: "DOCKER_TLS_VERIFY is set but neither DOCKER_CERT_PATH nor HOME is"
                        .into(),
                })?;
            Some(tls_files(&dir))
        } else {
            None
        };
        return parse_host(host.trim(), tls, "DOCKER_HOST");
    }

    let Some(config_dir) = config_dir else {
        return Ok(default_target());
    };
    let context = match var("DOCKER_CONTEXT").filter(|c| !c.is_empty()) {
        Some(name) => Some(name),
        None => current_context(&config_dir)?,
    };
    match context {
        None => Ok(default_target()),
        Some(name) if name == "default" => Ok(default_target()),
        Some(name) => context_target(&config_dir, &name),
    }
}

fn default_target() -> Target {
    Target {
        transport: Transport::Unix(PathBuf::from(DEFAULT_SOCKET)),
        address: format!("unix://{DEFAULT_SOCKET}"),
        origin: "default".into(),
    }
}

fn tls_files(dir: &Path) -> TlsFiles {
    TlsFiles {
        ca: dir.join("ca.pem"),
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    }
}

/// `host[:port]` (an IPv6 host in brackets: `[::1]:2375`) as `host:port`, with
/// `default_port` when none is given. A port is 1 to 65535; brackets must close.
fn tcp_authority(authority: &str, default_port: u16) -> Result<String, &'static str> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (v6, after) = rest
            .split_once(']')
            .ok_or("an IPv6 address must be closed with `]`: [::1]:2375")?;
        if v6.is_empty() {
            return Err("the IPv6 address is empty");
        }
        match after {
            "" => (format!("[{v6}]"), None),
            p if p.starts_with(':') => (format!("[{v6}]"), Some(&p[1..])),
            _ => return Err("expected [IPv6]:port"),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h.to_string(), Some(p)),
            Some(_) => return Err("an IPv6 address must be in brackets: [::1]:2375"),
            None => (authority.to_string(), None),
        }
    };
    if host.is_empty() {
        return Err("the host is empty");
    }
    let port = match port {
        None => default_port,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or("the port must be a number from 1 to 65535")?,
    };
    Ok(format!("{host}:{port}"))
}

/// The parts of an ssh authority `[user@]host[:port]` that [`tcp_authority`] accepted.
fn ssh_target(authority: &str) -> super::ssh::SshTarget {
    let (user, hostport) = match authority.rsplit_once('@') {
        Some((user, rest)) => (Some(user.to_string()), rest),
        None => (None, authority),
    };
    let (host, port) = match hostport.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((h, p)) => (h, p.strip_prefix(':')),
            None => (v6, None),
        },
        None => match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        },
    };
    super::ssh::SshTarget {
        user: user.filter(|u| !u.is_empty()),
        host: host.to_string(),
        port: port.and_then(|p| p.parse().ok()),
    }
}

/// Parse an engine address as the docker CLI accepts it.
pub fn parse_host(host: &str, tls: Option<TlsFiles>, origin: &str) -> Result<Target, HostError> {
    let bad = |reason: &str| HostError::DockerHost {
        value: host.to_string(),
        reason: reason.to_string(),
    };
    let (scheme, rest) = host
        .split_once("://")
        .ok_or_else(|| bad("expected unix:///path, tcp://host:port or ssh://user@host"))?;
    let transport = match scheme {
        "unix" => {
            if !rest.starts_with('/') {
                return Err(bad(
                    "a unix socket path must be absolute: unix:///path/to/docker.sock",
                ));
            }
            Transport::Unix(PathBuf::from(rest))
        }
        "tcp" | "http" => {
            let authority = rest.trim_end_matches('/');
            if authority.is_empty() || authority.contains('/') || authority.contains(' ') {
                return Err(bad("expected tcp://host:port"));
            }
            let default_port = if tls.is_some() { 2376 } else { 2375 };
            let address = tcp_authority(authority, default_port).map_err(&bad)?;
            Transport::Tcp { address, tls }
        }
        "https" => {
            return Err(bad(
                "use tcp:// with DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH for TLS",
            ));
        }
        "ssh" => {
            let authority = rest.trim_end_matches('/');
            let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            if hostport.is_empty() || authority.contains('/') || authority.contains(' ') {
                return Err(bad("expected ssh://[user@]host[:port]"));
            }
            // The port must be a port, and an IPv6 host is bracketed.
            tcp_authority(hostport, 22).map_err(&bad)?;
            Transport::Ssh(ssh_target(authority))
        }
        "npipe" => return Err(bad("named pipes exist only on Windows")),
        _ => {
            return Err(bad(
                "unsupported scheme; expected unix://, tcp:// or ssh://",
            ));
        }
    };
    let address = match &transport {
        Transport::Tcp { address, .. } => format!("tcp://{address}"),
        _ => host.to_string(),
    };
    Ok(Target {
        transport,
        address,
        origin: origin.to_string(),
    })
}

fn current_context(config_dir: &Path) -> Result<Option<String>, HostError> {
    let path = config_dir.join("config.json");
    let text = match crate::files::read_text(&path, crate::files::MAX_DOCKER_CONFIG_BYTES) {
        Ok(text) => text,
        Err(_) => return Ok(None),
    };
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| HostError::DockerConfig {
            path: path.clone(),
            message: e.to_string(),
        })?;
    Ok(json
        .get("currentContext")
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .map(String::from))
}

/// A named context's endpoint, from `contexts/meta/<sha256(name)>/meta.json`.
fn context_target(config_dir: &Path, name: &str) -> Result<Target, HostError> {
    let id = hex(&Sha256::digest(name.as_bytes()));
    let meta = config_dir
        .join("contexts")
        .join("meta")
        .join(&id)
        .join("meta.json");
    let text =
        crate::files::read_text(&meta, crate::files::MAX_DOCKER_CONFIG_BYTES).map_err(|_| {
            HostError::DockerConfig {
                path: meta.clone(),
                message: format!("docker context `{name}` does not exist"),
            }
        })?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| HostError::DockerConfig {
            path: meta.clone(),
            message: e.to_string(),
        })?;
    let endpoint = &json["Endpoints"]["docker"];
    let host = endpoint["Host"]
        .as_str()
        .ok_or_else(|| HostError::DockerConfig {
            path: meta.clone(),
            message: format!("docker context `{name}` has no docker endpoint"),
        })?;
    let tls_dir = config_dir
        .join("contexts")
        .join("tls")
        .join(&id)
        .join("docker");
    let tls = (tls_dir.join("ca.pem").is_file() && endpoint["SkipTLSVerify"] != true)
        .then(|| tls_files(&tls_dir));
    parse_host(host, tls, &format!("docker context \"{name}\""))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_hosts_take_ports_and_bracketed_ipv6_and_refuse_the_rest() {
        let addr = |h: &str| match parse_host(h, None, "DOCKER_HOST").map(|t| t.transport) {
            Ok(Transport::Tcp { address, .. }) => Ok(address),
            Ok(other) => panic!("{other:?}"),
            Err(e) => Err(e.to_string()),
        };
        assert_eq!(addr("tcp://example.org").unwrap(), "example.org:2375");
        assert_eq!(addr("tcp://10.0.0.1:2376").unwrap(), "10.0.0.1:2376");
        assert_eq!(addr("tcp://[::1]:2375").unwrap(), "[::1]:2375");
        assert_eq!(addr("tcp://[::1]").unwrap(), "[::1]:2375");
        for bad in [
            "http://[::1",
            "tcp://[::1]:99999",
            "tcp://host:0",
            "tcp://::1:2375",
            "tcp://:2375",
            "tcp://[]:1",
        ] {
            assert!(addr(bad).is_err(), "{bad} should be refused");
        }
        assert!(parse_host("ssh://root@localhost:99999", None, "x").is_err());
        assert!(parse_host("ssh://root@localhost:2222", None, "x").is_ok());
        assert!(parse_host("ssh://", None, "x").is_err());
    }
    use std::collections::HashMap;

    fn with(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn default_is_the_local_socket() {
        let t = resolve(&with(&[("HOME", "/nonexistent-home")])).unwrap();
        assert_eq!(t.transport, Transport::Unix(PathBuf::from(DEFAULT_SOCKET)));
        assert_eq!(t.origin, "default");
    }

    #[test]
    fn docker_host_forms() {
        let t = resolve(&with(&[(
            "DOCKER_HOST",
            "unix:///run/user/1000/docker.sock",
        )]))
        .unwrap();
        assert_eq!(
            t.transport,
            Transport::Unix(PathBuf::from("/run/user/1000/docker.sock"))
        );
        let t = resolve(&with(&[("DOCKER_HOST", "tcp://10.0.0.5")])).unwrap();
        assert_eq!(
            t.transport,
            Transport::Tcp {
                address: "10.0.0.5:2375".into(),
                tls: None
            }
        );
        assert_eq!(t.address, "tcp://10.0.0.5:2375");
        let t = resolve(&with(&[
            ("DOCKER_HOST", "tcp://engine:2376"),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", "/certs"),
        ]))
        .unwrap();
        assert_eq!(
            t.transport,
            Transport::Tcp {
                address: "engine:2376".into(),
                tls: Some(TlsFiles {
                    ca: "/certs/ca.pem".into(),
                    cert: "/certs/cert.pem".into(),
                    key: "/certs/key.pem".into()
                })
            }
        );
        let t = resolve(&with(&[("DOCKER_HOST", "ssh://ops@build-host")])).unwrap();
        assert_eq!(
            t.transport,
            Transport::Ssh(super::super::ssh::SshTarget {
                user: Some("ops".into()),
                host: "build-host".into(),
                port: None,
            })
        );
        // The port is ssh's -p, not part of the host's name.
        let t = resolve(&with(&[("DOCKER_HOST", "ssh://root@localhost:1")])).unwrap();
        assert_eq!(t.address, "ssh://root@localhost:1");
        assert_eq!(
            t.transport,
            Transport::Ssh(super::super::ssh::SshTarget {
                user: Some("root".into()),
                host: "localhost".into(),
                port: Some(1),
            })
        );
        let t = resolve(&with(&[("DOCKER_HOST", "ssh://[::1]:2222/")])).unwrap();
        assert_eq!(
            t.transport,
            Transport::Ssh(super::super::ssh::SshTarget {
                user: None,
                host: "::1".into(),
                port: Some(2222),
            })
        );
    }

    #[test]
    fn garbage_hosts_are_configuration_errors() {
        for host in [
            "nonsense",
            "ftp://x",
            "unix://relative.sock",
            "tcp://",
            "npipe:////./pipe/docker_engine",
            "https://x:1",
        ] {
            let err = resolve(&with(&[("DOCKER_HOST", host)])).unwrap_err();
            assert!(matches!(err, HostError::DockerHost { .. }), "{host}: {err}");
            assert!(err.to_string().contains(host), "{err}");
        }
    }

    #[test]
    fn the_current_context_is_followed() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path();
        std::fs::write(config.join("config.json"), r#"{"currentContext":"remote"}"#).unwrap();
        let id = hex(&Sha256::digest(b"remote"));
        let meta = config.join("contexts/meta").join(&id);
        std::fs::create_dir_all(&meta).unwrap();
        std::fs::write(
            meta.join("meta.json"),
            r#"{"Name":"remote","Endpoints":{"docker":{"Host":"tcp://remote:2375","SkipTLSVerify":false}}}"#,
        )
        .unwrap();
        let cfg = config.to_string_lossy().to_string();
        let t = resolve(&with(&[("DOCKER_CONFIG", &cfg)])).unwrap();
        assert_eq!(t.address, "tcp://remote:2375");
        assert_eq!(t.origin, "docker context \"remote\"");
        // DOCKER_CONTEXT overrides the config file, and "default" means the local socket.
        let t = resolve(&with(&[
            ("DOCKER_CONFIG", &cfg),
            ("DOCKER_CONTEXT", "default"),
        ]))
        .unwrap();
        assert_eq!(t.origin, "default");
        let err = resolve(&with(&[
            ("DOCKER_CONFIG", &cfg),
            ("DOCKER_CONTEXT", "ghost"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("ghost"));
    }
}
