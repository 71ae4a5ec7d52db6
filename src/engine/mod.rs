//! The only module that talks to the Docker Engine (through bollard). It hands out plain
//! data; nothing outside names a bollard type. Every call has a timeout.

pub mod answers;
pub mod archive;
pub mod containers;
pub mod create;
pub mod events;
pub mod hooks;
pub mod host;
pub mod images;
pub mod lifecycle;
pub mod observe;
pub mod ssh;
pub mod stats;
pub mod throwaway;

use std::future::Future;
use std::time::Duration;

use bollard::{API_DEFAULT_VERSION, ClientVersion, Docker};

use crate::exit::Exit;
pub use containers::{ContainerInfo, HealthState, PortMapping, RunState, probe_command};
pub use events::{EngineEvent, Resume};
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
    /// What the engine says it is: `Docker 28.5.2`, `Podman 4.3.1`.
    product: String,
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
        if let host::Transport::Unix(path) = &target.transport
            && !path.exists()
        {
            return Err(unreachable(format!("no socket at {}", path.display())));
        }
        let docker =
            client(target, secs, API_DEFAULT_VERSION).map_err(|e| classify(&address, &e, true))?;
        let mut engine = Engine {
            docker,
            address: address.clone(),
            call_timeout,
            product: String::new(),
        };
        // On a local socket one ping can say it all: Docker names its version and API in the
        // answer's headers (as the docker CLI reads them), and an engine whose API phi also
        // speaks needs no more. `/version` makes Docker ask containerd and run runc and
        // docker-init for their versions: on a saturated engine the slowest of a command's
        // calls. `pinged` is Some when the engine answered that ping, with what it settles.
        let pinged = match &target.transport {
            host::Transport::Unix(path) => {
                match tokio::time::timeout(CONNECT_TIMEOUT, ping_headers(path)).await {
                    Err(_) => {
                        return Err(unreachable(format!(
                            "no answer within {} s",
                            CONNECT_TIMEOUT.as_secs()
                        )));
                    }
                    Ok(Ok(headers)) => Some(docker_from_ping(&headers)),
                    // bollard's ping below names the cause as every other call does.
                    Ok(Err(_)) => None,
                }
            }
            _ => None,
        };
        let version = match pinged {
            Some(Some(version)) => version,
            // It answered: only the version is left to ask (Podman runs its helpers, conmon
            // and runc, to give it, which takes a second or more on a busy machine).
            Some(None) => engine.version_answer(&address).await?,
            None => {
                // The ping proves within CONNECT_TIMEOUT that the engine answers; the version
                // answer comes next, under the call limit.
                match tokio::time::timeout(CONNECT_TIMEOUT, engine.docker.ping()).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => return Err(classify(&address, &e, true)),
                    Err(_) => {
                        return Err(unreachable(format!(
                            "no answer within {} s",
                            CONNECT_TIMEOUT.as_secs()
                        )));
                    }
                }
                engine.version_answer(&address).await?
            }
        };
        // Settle on the highest version both know: the engine's, when bollard's is newer.
        if let Some((major, minor)) = parse_api(&version.api_version)
            && (major, minor)
                < (
                    API_DEFAULT_VERSION.major_version,
                    API_DEFAULT_VERSION.minor_version,
                )
        {
            let agreed = ClientVersion {
                major_version: major,
                minor_version: minor,
            };
            engine.docker =
                client(target, secs, &agreed).map_err(|e| classify(&address, &e, true))?;
        }
        engine.product = version.product();
        // The agreed version is the lower of the engine's and bollard's; an engine whose
        // minimum is above what phi speaks (a future Docker) is refused here, clearly.
        if api_below(&engine.api_version(), &version.min_api_version) {
            return Err(EngineError::Api {
                what: "the connection".into(),
                message: format!(
                    "{} needs API {} or newer; phi speaks up to {}",
                    engine.product,
                    version.min_api_version,
                    engine.api_version()
                ),
            });
        }
        Ok(engine)
    }

    /// `GET /version`, once the engine has answered a ping: a refusal now means it cannot be
    /// used.
    async fn version_answer(&self, address: &str) -> Result<answers::Version, EngineError> {
        match self
            .get_json_at::<answers::Version>("the version", "/version")
            .await
        {
            Err(EngineError::Api { message, .. }) => Err(EngineError::Unreachable {
                address: address.to_string(),
                cause: message,
            }),
            answer => answer,
        }
    }

    /// What the engine says it is (`Docker 28.5.2`, `Podman 4.3.1`).
    pub fn product(&self) -> &str {
        &self.product
    }

    /// Whether the agreed API is at least `major.minor` (e.g. healthcheck `start_interval`
    /// needs 1.44).
    pub fn api_at_least(&self, major: usize, minor: usize) -> bool {
        let v = self.docker.client_version();
        (v.major_version, v.minor_version) >= (major, minor)
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

    /// GET an engine endpoint (`path_and_query` without the version prefix, e.g.
    /// `/containers/json?all=1`) and read the answer into phi's own lenient structs.
    ///
    /// bollard's typed models reject values engines really send (Podman's state `stopped`
    /// fails its strict enum), so the answers phi reads most (container lists and
    /// inspections) bypass them. bollard has no raw request call; its request modifier,
    /// though, can point a request whose body bollard hands back undecoded (a container
    /// export) at another path of the same engine, over the same transport (unix, TCP, TLS,
    /// SSH) and API version.
    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        what: &str,
        path_and_query: &str,
    ) -> Result<T, EngineError> {
        let v = self.docker.client_version();
        let versioned = format!("/v{}.{}{path_and_query}", v.major_version, v.minor_version);
        self.get_json_at(what, &versioned).await
    }

    /// [`Engine::get_json`] of a path as given (no version prefix).
    async fn get_json_at<T: serde::de::DeserializeOwned>(
        &self,
        what: &str,
        target: &str,
    ) -> Result<T, EngineError> {
        use futures_util::StreamExt;
        use hyper::http::uri::{PathAndQuery, Uri};
        /// Far above any list or inspection; a bound against an engine that never stops.
        const LIMIT: usize = 64 << 20;
        let target: PathAndQuery = target.parse().map_err(|e| EngineError::Api {
            what: what.to_string(),
            message: format!("invalid request path {target:?}: {e}"),
        })?;
        let docker = self
            .docker
            .clone()
            .with_request_modifier(move |mut request| {
                let mut parts = request.uri().clone().into_parts();
                parts.path_and_query = Some(target.clone());
                if let Ok(uri) = Uri::from_parts(parts) {
                    *request.uri_mut() = uri;
                }
                request
            });
        let body = self
            .call(what, async move {
                let mut stream = docker.export_container("phi-get");
                let mut body = Vec::new();
                while let Some(chunk) = stream.next().await {
                    body.extend_from_slice(&chunk?);
                    if body.len() > LIMIT {
                        break;
                    }
                }
                Ok(body)
            })
            .await?;
        serde_json::from_slice(&body).map_err(|e| EngineError::Api {
            what: what.to_string(),
            message: format!("unreadable answer: {e}"),
        })
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

/// Run `tasks` at most `n` at a time; the answers come in the tasks' order.
pub async fn at_most<F: Future>(n: usize, tasks: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    use futures_util::StreamExt;
    futures_util::stream::iter(tasks)
        .buffered(n.max(1))
        .collect()
        .await
}

/// A bollard client for `target` that speaks API `version`; no request is made.
fn client(
    target: &Target,
    secs: u64,
    version: &ClientVersion,
) -> Result<Docker, bollard::errors::Error> {
    match &target.transport {
        host::Transport::Unix(path) => {
            Docker::connect_with_unix(&path.to_string_lossy(), secs, version)
        }
        host::Transport::Tcp { address, tls: None } => {
            Docker::connect_with_http(&format!("tcp://{address}"), secs, version)
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
            version,
        ),
        host::Transport::Ssh(target) => ssh::connect(target, secs, version),
    }
}

/// `GET /_ping` on a unix socket, for the answer's headers (bollard's ping gives only the
/// body).
async fn ping_headers(path: &std::path::Path) -> Result<hyper::HeaderMap, String> {
    use http_body_util::{BodyExt, Empty};
    let stream = tokio::net::UnixStream::connect(path)
        .await
        .map_err(|e| e.to_string())?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
    let request = hyper::Request::get("/_ping")
        .header(hyper::header::HOST, "docker")
        .body(Empty::<hyper::body::Bytes>::new())
        .map_err(|e| e.to_string())?;
    let exchange = async {
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let headers = response.headers().clone();
        // Read the short body so the engine sees a finished exchange.
        let _ = response.into_body().collect().await;
        if status.is_success() {
            Ok(headers)
        } else {
            Err(format!("the engine answered {status}"))
        }
    };
    tokio::select! {
        answer = exchange => answer,
        ended = connection => Err(match ended {
            Ok(()) => "the engine closed the connection".to_string(),
            Err(e) => e.to_string(),
        }),
    }
}

/// What a Docker Engine's ping headers settle (`Server: Docker/28.5.2 (linux)`,
/// `Api-Version: 1.51`), when its API is one phi speaks: then the API agreed is the engine's
/// own, which its minimum cannot be above. Anything else (Podman, which names itself in
/// `/version`; an API newer than phi's, whose minimum must be read) asks `/version`.
fn docker_from_ping(headers: &hyper::HeaderMap) -> Option<answers::Version> {
    let header = |name: &str| headers.get(name)?.to_str().ok();
    if header("libpod-api-version").is_some() {
        return None;
    }
    let version = header("server")?.strip_prefix("Docker/")?;
    let version = version.split_whitespace().next()?.to_string();
    let api = header("api-version")?;
    let (major, minor) = parse_api(api)?;
    if version.is_empty()
        || (major, minor)
            > (
                API_DEFAULT_VERSION.major_version,
                API_DEFAULT_VERSION.minor_version,
            )
    {
        return None;
    }
    Some(answers::Version {
        version,
        api_version: api.trim().to_string(),
        ..answers::Version::default()
    })
}

/// "1.41" as (1, 41).
fn parse_api(v: &str) -> Option<(usize, usize)> {
    let (major, minor) = v.trim().split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// Whether API version `a` ("1.41") is below `b`; an unreadable `b` is no bound.
fn api_below(a: &str, b: &str) -> bool {
    match (parse_api(a), parse_api(b)) {
        (Some(a), Some(b)) => a < b,
        _ => false,
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

#[cfg(test)]
mod tests {
    use super::{api_below, at_most};

    #[test]
    fn a_docker_ping_settles_the_version_only_for_an_api_phi_speaks() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = hyper::HeaderMap::new();
            for (name, value) in pairs {
                map.insert(*name, hyper::header::HeaderValue::from_static(value));
            }
            map
        };
        let docker = headers(&[
            ("api-version", "1.41"),
            ("server", "Docker/20.10.24+dfsg1 (linux)"),
        ]);
        let version = super::docker_from_ping(&docker).unwrap();
        assert_eq!(version.product(), "Docker 20.10.24+dfsg1");
        assert_eq!(version.api_version, "1.41");
        // Newer than phi's API: its minimum must be read from /version.
        let future = headers(&[("api-version", "1.99"), ("server", "Docker/40.0.0 (linux)")]);
        assert!(super::docker_from_ping(&future).is_none());
        // Podman names itself in /version.
        let podman = headers(&[
            ("api-version", "1.41"),
            ("libpod-api-version", "4.3.1"),
            ("server", "Docker/4.3.1 (linux)"),
        ]);
        assert!(super::docker_from_ping(&podman).is_none());
        assert!(super::docker_from_ping(&headers(&[("api-version", "1.41")])).is_none());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn at_most_bounds_the_tasks_in_flight_and_keeps_their_order() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::time::Duration;
        let (now, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let tasks = (0..100u64).map(|i| {
            let (now, most) = (&now, &most);
            async move {
                let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(n, Ordering::SeqCst);
                // Later tasks finish first: the order must still be the tasks'.
                tokio::time::sleep(Duration::from_millis(40 - i / 10)).await;
                now.fetch_sub(1, Ordering::SeqCst);
                i
            }
        });
        let started = tokio::time::Instant::now();
        let answers = at_most(32, tasks).await;
        assert_eq!(answers, (0..100).collect::<Vec<_>>());
        assert_eq!(most.load(Ordering::SeqCst), 32);
        // Four rounds of at most 40 ms, not a hundred.
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(at_most(0, [async { 1 }]).await, [1]);
    }

    #[test]
    fn api_versions_compare_as_numbers() {
        assert!(api_below("1.41", "1.44"));
        assert!(api_below("1.9", "1.10"));
        assert!(!api_below("1.51", "1.24"));
        assert!(!api_below("1.44", "1.44"));
        assert!(!api_below("1.41", ""), "no minimum given: no bound");
    }
}
