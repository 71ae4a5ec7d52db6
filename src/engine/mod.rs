//! The only module that talks to the Docker Engine (through bollard). It hands out plain
//! data; nothing outside names a bollard type. Every call has a timeout.

pub mod archive;
pub mod containers;
pub mod create;
pub mod host;
pub mod images;
pub mod lifecycle;
pub mod ssh;
pub mod stats;

use std::future::Future;
use std::time::Duration;

use bollard::{API_DEFAULT_VERSION, Docker};

use crate::exit::Exit;
pub use containers::{ContainerInfo, HealthState, PortMapping, RunState, probe_command};
pub use host::Target;
pub use lifecycle::NetworkRef;
pub use stats::{LocalReader, RawStats};

/// How long connecting (and the first exchange) may take before the engine counts as unreachable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Default limit for a single engine call.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot connect to the Docker engine at {address}: {cause}")]
    Unreachable { address: String, cause: String },

    #[error("permission denied on the Docker engine socket {address}")]
    PermissionDenied { address: String },

    #[error("the Docker engine at {address} did not answer {what} within {after:?}")]
    TimedOut {
        address: String,
        what: String,
        after: Duration,
    },

    #[error("the Docker engine refused {what}: {message}")]
    Api { what: String, message: String },
}

impl EngineError {
    pub fn exit(&self) -> Exit {
        match self {
            EngineError::Unreachable { .. } | EngineError::PermissionDenied { .. } => {
                Exit::Unavailable
            }
            EngineError::TimedOut { .. } => Exit::Timeout,
            EngineError::Api { .. } => Exit::Failure,
        }
    }

    /// One line telling the user what to try.
    pub fn hint(&self) -> Option<String> {
        match self {
            EngineError::Unreachable { address, .. } if address.starts_with("unix://") => Some(
                "is the Docker daemon running? Start it (e.g. `sudo systemctl start docker`), \
                 or point DOCKER_HOST at a running engine"
                    .into(),
            ),
            EngineError::Unreachable { .. } => Some(
                "check that the engine listens at that address and that DOCKER_HOST, \
                 DOCKER_CONTEXT and DOCKER_TLS_VERIFY are right"
                    .into(),
            ),
            EngineError::PermissionDenied { .. } => Some(
                "add your user to the docker group (`sudo usermod -aG docker $USER`, then log in \
                 again) or run phi with sudo"
                    .into(),
            ),
            _ => None,
        }
    }
}

/// A connected engine.
#[derive(Debug, Clone)]
pub struct Engine {
    docker: Docker,
    address: String,
    call_timeout: Duration,
}

impl Engine {
    /// Connect to `target` and agree on an API version, all within [`CONNECT_TIMEOUT`].
    pub async fn connect(target: &Target, call_timeout: Duration) -> Result<Engine, EngineError> {
        let address = target.address.clone();
        let secs = call_timeout.as_secs().max(1);
        let unreachable = |cause: String| EngineError::Unreachable {
            address: address.clone(),
            cause,
        };
        let docker = match &target.transport {
            host::Transport::Unix(path) => {
                if !path.exists() {
                    return Err(unreachable(format!("no socket at {}", path.display())));
                }
                Docker::connect_with_unix(&path.to_string_lossy(), secs, API_DEFAULT_VERSION)
            }
            host::Transport::Tcp { address, tls: None } => {
                Docker::connect_with_http(&format!("tcp://{address}"), secs, API_DEFAULT_VERSION)
            }
            host::Transport::Tcp {
                address,
                tls: Some(tls),
            } => Docker::connect_with_ssl(
                &format!("tcp://{address}"),
                &tls.key,
                &tls.cert,
                &tls.ca,
                secs,
                API_DEFAULT_VERSION,
            ),
            host::Transport::Ssh(target) => ssh::connect(target, secs, API_DEFAULT_VERSION),
        }
        .map_err(|e| classify(&address, &e, true))?;

        // The engine may speak an older API than bollard; settle on the highest both know.
        // This is also the ping: one request that proves the engine answers.
        let docker = match tokio::time::timeout(CONNECT_TIMEOUT, docker.negotiate_version()).await {
            Ok(Ok(docker)) => docker,
            Ok(Err(e)) => return Err(classify(&address, &e, true)),
            Err(_) => {
                return Err(unreachable(format!(
                    "no answer within {} s",
                    CONNECT_TIMEOUT.as_secs()
                )));
            }
        };
        Ok(Engine {
            docker,
            address,
            call_timeout,
        })
    }

    /// The engine's address as the user would write it (`unix:///var/run/docker.sock`).
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Whether the engine runs on this machine (a unix socket): then host ports and cgroup
    /// files can be checked here.
    pub fn is_local(&self) -> bool {
        self.address.starts_with("unix://")
    }

    pub fn api_version(&self) -> String {
        let v = self.docker.client_version();
        format!("{}.{}", v.major_version, v.minor_version)
    }

    /// Run one engine call under the call timeout, naming it in errors.
    async fn call<T>(
        &self,
        what: &str,
        fut: impl Future<Output = Result<T, bollard::errors::Error>>,
    ) -> Result<T, EngineError> {
        self.call_within(what, self.call_timeout, fut).await
    }

    /// Run one engine call under `limit`, naming it in errors.
    async fn call_within<T>(
        &self,
        what: &str,
        limit: Duration,
        fut: impl Future<Output = Result<T, bollard::errors::Error>>,
    ) -> Result<T, EngineError> {
        match tokio::time::timeout(limit, fut).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(match classify(&self.address, &e, false) {
                EngineError::Api { message, .. } => EngineError::Api {
                    what: what.to_string(),
                    message,
                },
                other => other,
            }),
            Err(_) => Err(EngineError::TimedOut {
                address: self.address.clone(),
                what: what.to_string(),
                after: limit,
            }),
        }
    }
}

/// Turn a bollard error into what the user needs to know: unreachable, permission, or the
/// engine's own message. Unexplained errors while `connecting` mean the engine is unreachable.
fn classify(address: &str, err: &bollard::errors::Error, connecting: bool) -> EngineError {
    use bollard::errors::Error as B;
    match err {
        B::DockerResponseServerError {
            status_code,
            message,
        } => {
            if connecting {
                // Something answered, but not as a Docker engine would.
                let detail = if message.trim().is_empty() {
                    String::new()
                } else {
                    format!(": {}", message.trim())
                };
                return EngineError::Unreachable {
                    address: address.to_string(),
                    cause: format!("the server answered HTTP {status_code}{detail}"),
                };
            }
            return EngineError::Api {
                what: "the request".into(),
                message: message.clone(),
            };
        }
        B::RequestTimeoutError => {
            return EngineError::TimedOut {
                address: address.to_string(),
                what: "a request".into(),
                after: CONNECT_TIMEOUT,
            };
        }
        B::SocketNotFoundError(path) => {
            return EngineError::Unreachable {
                address: address.to_string(),
                cause: format!("no socket at {path}"),
            };
        }
        _ => {}
    }
    // Walk the source chain for the operating system's reason.
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                std::io::ErrorKind::PermissionDenied => EngineError::PermissionDenied {
                    address: address.to_string(),
                },
                _ => EngineError::Unreachable {
                    address: address.to_string(),
                    cause: io.to_string(),
                },
            };
        }
        source = e.source();
    }
    let deepest = std::iter::successors(Some(err as &(dyn std::error::Error + 'static)), |e| {
        e.source()
    })
    .last()
    .map(|e| e.to_string())
    .unwrap_or_else(|| err.to_string());
    if connecting {
        EngineError::Unreachable {
            address: address.to_string(),
            cause: deepest,
        }
    } else {
        EngineError::Api {
            what: "the request".into(),
            message: deepest,
        }
    }
}
