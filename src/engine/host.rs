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
    /// `ssh://user@host[:port]`, run through the system's ssh client.
    Ssh(String),
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
            let has_port = authority.rsplit_once(':').is_some_and(|(_, port)| {
                !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())
            });
            let address = if has_port {
                authority.to_string()
            } else {
                let port = if tls.is_some() { 2376 } else { 2375 };
                format!("{authority}:{port}")
            };
            Transport::Tcp { address, tls }
        }
        "https" => {
            return Err(bad(
                "use tcp:// with DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH for TLS",
            ));
        }
        "ssh" => {
            if rest.is_empty() {
                return Err(bad("expected ssh://user@host"));
            }
            Transport::Ssh(host.to_string())
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
        assert_eq!(t.transport, Transport::Ssh("ssh://ops@build-host".into()));
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
