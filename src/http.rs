//! phi's HTTP client (webhooks, `check-auth --online`, health probes), on reqwest over rustls
//! with ring and the system's root certificates. Redirects are not followed: a 3xx answer is
//! an answer. At most [`MAX_BODY`] of a body is read, and each exchange has one time limit.
//!
//! Which requests go through a proxy is decided here, once, by the constructor a caller picks:
//! - [`Client::new`]: requests that leave for the outside world (monitor's webhooks, GitHub's
//!   API for `check-auth --online`) use `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` (or their
//!   lower-case forms) and skip hosts `NO_PROXY` names, as curl reads them.
//! - [`Client::direct`]: health probes of the project's own services never do. Their URLs
//!   name the stack phi operates (a published port on the engine's host, a container's
//!   address on the engine's network), which a proxy elsewhere cannot reach or would report
//!   on instead of the service; Docker's own healthchecks do not go through one either.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper_util::client::proxy::matcher::Matcher;

/// The most of a response body that is read and kept.
const MAX_BODY: usize = 256 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// One request: method, URL, extra headers, optional body, and a limit for the whole exchange.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub timeout: Duration,
}

impl Request {
    pub fn get(url: impl Into<String>, timeout: Duration) -> Request {
        Request {
            method: Method::Get,
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
            timeout,
        }
    }

    /// A POST of a JSON document.
    pub fn post_json(url: impl Into<String>, body: Vec<u8>, timeout: Duration) -> Request {
        Request {
            method: Method::Post,
            url: url.into(),
            headers: vec![("content-type".into(), "application/json".into())],
            body,
            timeout,
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Request {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// Response headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// At most [`MAX_BODY`] bytes of the body.
    pub body: Vec<u8>,
    pub elapsed: Duration,
}

impl Answer {
    /// The first value of a header (name in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    #[error("invalid URL: {0}")]
    Url(String),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("{0}")]
    Request(String),
}

#[derive(Clone)]
pub struct Client {
    inner: reqwest::Client,
    /// The proxy rules read from the environment, the ones reqwest applies; `None` for a
    /// direct client. Kept to name the proxy when a request through it fails.
    proxies: Option<Arc<Matcher>>,
}

impl Client {
    /// A client for requests to the outside world, through the proxy the environment names
    /// (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`, as curl reads them). It takes
    /// http:// URLs, and https:// ones when `tls` is true (it then loads the system's root
    /// certificates, which is why it is only done when needed).
    pub fn new(tls: bool) -> Result<Client, HttpError> {
        // `NO_PROXY=*` means no proxy for any host, as curl and Go read it; reqwest's rules
        // apply a `*` to host names only, not to addresses such as 127.0.0.1.
        let no_proxy = ["NO_PROXY", "no_proxy"]
            .iter()
            .find_map(|name| std::env::var(name).ok())
            .unwrap_or_default();
        if no_proxy_is_everything(&no_proxy) {
            return Client::direct(tls);
        }
        let inner = builder(tls)?.build().map_err(describe)?;
        Ok(Client {
            inner,
            proxies: Some(Arc::new(Matcher::from_env())),
        })
    }

    /// A client that always connects directly, whatever the proxy variables say: for health
    /// probes of the project's own services (see the module's documentation).
    pub fn direct(tls: bool) -> Result<Client, HttpError> {
        let inner = builder(tls)?.no_proxy().build().map_err(describe)?;
        Ok(Client {
            inner,
            proxies: None,
        })
    }

    /// GET `url`, all within `timeout`.
    pub async fn get(&self, url: &str, timeout: Duration) -> Result<Answer, HttpError> {
        self.send(Request::get(url, timeout)).await
    }

    /// Send `request`, reading at most [`MAX_BODY`] of the answer, all within its timeout.
    pub async fn send(&self, request: Request) -> Result<Answer, HttpError> {
        let url = reqwest::Url::parse(&request.url).map_err(|e| HttpError::Url(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(HttpError::Url(
                "expected http://host[:port]/path or https://...".into(),
            ));
        }
        let proxy = self.proxy_for(&url);
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
        };
        let mut builder = self.inner.request(method, url);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let http_request = builder
            .body(request.body)
            .build()
            .map_err(|e| HttpError::Url(describe(e).to_string()))?;
        let start = Instant::now();
        let exchange = async {
            let mut response = self.inner.execute(http_request).await.map_err(describe)?;
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(n, v)| {
                    let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
                    (n.as_str().to_ascii_lowercase(), value)
                })
                .collect();
            let mut body = Vec::new();
            while body.len() < MAX_BODY {
                match response.chunk().await.map_err(describe)? {
                    Some(data) => {
                        let room = MAX_BODY - body.len();
                        body.extend_from_slice(&data[..data.len().min(room)]);
                    }
                    None => break,
                }
            }
            Ok((status, headers, body))
        };
        let (status, headers, body) = tokio::time::timeout(request.timeout, exchange)
            .await
            .map_err(|_| HttpError::Timeout(request.timeout))?
            .map_err(|e| match (e, proxy) {
                (HttpError::Request(message), Some(proxy)) => {
                    HttpError::Request(format!("{message} (through the proxy {proxy})"))
                }
                (e, _) => e,
            })?;
        Ok(Answer {
            status,
            headers,
            body,
            elapsed: start.elapsed(),
        })
    }

    /// The proxy a request to `url` goes through, as `scheme://host:port` (never its
    /// credentials), or `None` when it goes direct.
    fn proxy_for(&self, url: &reqwest::Url) -> Option<String> {
        let uri: hyper::Uri = url.as_str().parse().ok()?;
        let intercept = self.proxies.as_ref()?.intercept(&uri)?;
        let proxy = intercept.uri();
        let host = proxy.host()?;
        let scheme = proxy.scheme_str().unwrap_or("http");
        Some(match proxy.port_u16() {
            Some(port) => format!("{scheme}://{host}:{port}"),
            None => format!("{scheme}://{host}"),
        })
    }
}

/// Whether a `NO_PROXY` value turns the proxy off for every host (an entry `*`).
fn no_proxy_is_everything(value: &str) -> bool {
    value.split(',').any(|entry| entry.trim() == "*")
}

/// What both kinds of client share: rustls with ring and the system's roots (loaded only for
/// https), HTTP/1.1, no redirects, no connection kept for later, phi's user agent.
fn builder(tls: bool) -> Result<reqwest::ClientBuilder, HttpError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| HttpError::Request(e.to_string()))?;
    let mut roots = rustls::RootCertStore::empty();
    if tls {
        for cert in rustls_native_certs().map_err(HttpError::Request)? {
            // A malformed system certificate should not stop the request.
            let _ = roots.add(cert);
        }
    }
    let config = builder.with_root_certificates(roots).with_no_client_auth();
    Ok(reqwest::Client::builder()
        .use_preconfigured_tls(config)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .user_agent(concat!("phi/", env!("CARGO_PKG_VERSION"))))
}

fn rustls_native_certs() -> Result<Vec<rustls::pki_types::CertificateDer<'static>>, String> {
    let loaded = rustls_native_certs::load_native_certs();
    if loaded.certs.is_empty() {
        if let Some(e) = loaded.errors.first() {
            return Err(format!("cannot load the system's root certificates: {e}"));
        }
    }
    Ok(loaded.certs)
}

/// The innermost cause is what a person can act on ("Connection refused").
fn describe(err: reqwest::Error) -> HttpError {
    let mut message = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(e) = source {
        message = e.to_string();
        source = e.source();
    }
    HttpError::Request(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn serve_once(reply: &'static str, delay: Duration) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = sock.read(&mut buf).await;
            tokio::time::sleep(delay).await;
            let _ = sock.write_all(reply.as_bytes()).await;
        });
        format!("http://{addr}/health")
    }

    #[tokio::test]
    async fn status_and_latency_are_reported() {
        let url = serve_once(
            "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 4\r\nconnection: close\r\n\r\ndown",
            Duration::ZERO,
        )
        .await;
        let answer = Client::new(false)
            .unwrap()
            .get(&url, Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(answer.status, 503);
        assert_eq!(answer.body, b"down");
        assert_eq!(answer.header("Content-Length"), Some("4"));
    }

    #[tokio::test]
    async fn a_post_carries_headers_and_body() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut seen = Vec::new();
            let mut buf = [0u8; 1024];
            while !String::from_utf8_lossy(&seen).contains("{\"text\":\"hi\"}") {
                let n = sock.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                seen.extend_from_slice(&buf[..n]);
            }
            let _ = sock
                .write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
                .await;
            String::from_utf8_lossy(&seen).into_owned()
        });
        let request = Request::post_json(
            format!("http://{addr}/hook"),
            br#"{"text":"hi"}"#.to_vec(),
            Duration::from_secs(5),
        )
        .header("authorization", "Bearer t0ken");
        let answer = Client::new(false).unwrap().send(request).await.unwrap();
        assert_eq!(answer.status, 204);
        let seen = server.await.unwrap();
        assert!(seen.starts_with("POST /hook HTTP/1.1"), "{seen}");
        assert!(seen.contains("authorization: Bearer t0ken"), "{seen}");
        assert!(seen.contains("content-type: application/json"), "{seen}");
    }

    #[tokio::test]
    async fn a_slow_server_times_out() {
        let url = serve_once("HTTP/1.1 200 OK\r\n\r\n", Duration::from_secs(5)).await;
        let err = Client::new(false)
            .unwrap()
            .get(&url, Duration::from_millis(200))
            .await
            .unwrap_err();
        assert_eq!(err, HttpError::Timeout(Duration::from_millis(200)));
    }

    /// A proxied client whose rules are given here rather than read from the environment.
    fn proxied(rules: hyper_util::client::proxy::matcher::Builder) -> Client {
        Client {
            inner: builder(false).unwrap().no_proxy().build().unwrap(),
            proxies: Some(Arc::new(rules.build())),
        }
    }

    fn proxy_of(client: &Client, url: &str) -> Option<String> {
        client.proxy_for(&reqwest::Url::parse(url).unwrap())
    }

    #[test]
    fn no_proxy_takes_suffixes_addresses_networks_and_a_star() {
        let client = proxied(
            Matcher::builder()
                .http("http://user:secret@proxy.corp:3128")
                .https("proxy.corp:8443")
                .no("example.com, .internal, 10.0.0.0/8, 192.168.1.7, ::1"),
        );
        // The proxy is named without its credentials.
        assert_eq!(
            proxy_of(&client, "http://hooks.slack.com/x").as_deref(),
            Some("http://proxy.corp:3128")
        );
        assert_eq!(
            proxy_of(&client, "https://api.github.com/user").as_deref(),
            Some("http://proxy.corp:8443")
        );
        for direct in [
            "http://example.com/",
            "http://ci.example.com/",
            "http://db.internal:8080/",
            "http://10.1.2.3/",
            "http://192.168.1.7:9000/",
            "http://[::1]:8080/",
        ] {
            assert_eq!(proxy_of(&client, direct), None, "{direct}");
        }
        for proxied_url in [
            "http://notexample.com/",
            "http://192.168.1.8/",
            "http://127.0.0.1:8080/",
            "http://localhost/",
        ] {
            assert!(proxy_of(&client, proxied_url).is_some(), "{proxied_url}");
        }
        let star = proxied(Matcher::builder().all("http://proxy.corp:3128").no("*"));
        assert_eq!(proxy_of(&star, "https://api.github.com/user"), None);
        // The matcher's `*` covers names only; Client::new makes it cover addresses too.
        assert!(proxy_of(&star, "http://127.0.0.1/").is_some());
        assert!(no_proxy_is_everything("*"));
        assert!(no_proxy_is_everything("example.com, * "));
        assert!(!no_proxy_is_everything("*.example.com"));
        assert!(!no_proxy_is_everything(""));
        let all = proxied(Matcher::builder().all("socks5h://127.0.0.1:1080"));
        assert_eq!(
            proxy_of(&all, "https://api.github.com/user").as_deref(),
            Some("socks5h://127.0.0.1:1080")
        );
    }

    #[test]
    fn a_direct_client_names_no_proxy() {
        let client = Client::direct(false).unwrap();
        assert_eq!(proxy_of(&client, "http://example.com/"), None);
    }

    #[tokio::test]
    async fn a_failure_through_a_proxy_names_the_proxy() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        // reqwest here goes direct (no_proxy) to a closed port; the rules say a proxy, so the
        // message names it, as it would when reqwest went through it.
        let client = proxied(Matcher::builder().http(format!("http://127.0.0.1:{port}")));
        let err = client
            .get(&format!("http://127.0.0.1:{port}/"), Duration::from_secs(2))
            .await
            .unwrap_err();
        let HttpError::Request(message) = err else {
            panic!("{err:?}")
        };
        assert!(
            message.ends_with(&format!("(through the proxy http://127.0.0.1:{port})")),
            "{message}"
        );
    }

    #[tokio::test]
    async fn a_long_body_is_cut_at_the_cap_and_a_redirect_is_an_answer() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = sock.read(&mut buf).await;
            let body = vec![b'x'; 3 * MAX_BODY];
            let head = format!(
                "HTTP/1.1 302 Found\r\nlocation: http://{addr}/elsewhere\r\ncontent-length: {}\r\n\r\n",
                body.len()
            );
            let _ = sock.write_all(head.as_bytes()).await;
            let _ = sock.write_all(&body).await;
        });
        let answer = Client::direct(false)
            .unwrap()
            .get(&format!("http://{addr}/"), Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(answer.status, 302);
        assert_eq!(answer.body.len(), MAX_BODY);
    }

    #[tokio::test]
    async fn a_url_that_is_not_http_is_refused() {
        let client = Client::direct(false).unwrap();
        for url in ["ftp://example.com/", "not a url", "unix:/run/docker.sock"] {
            let err = client.get(url, Duration::from_secs(1)).await.unwrap_err();
            assert!(matches!(err, HttpError::Url(_)), "{url}: {err:?}");
        }
    }

    #[tokio::test]
    async fn a_closed_port_is_a_request_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let err = Client::new(false)
            .unwrap()
            .get(&format!("http://127.0.0.1:{port}/"), Duration::from_secs(2))
            .await
            .unwrap_err();
        assert!(matches!(err, HttpError::Request(_)), "{err:?}");
    }
}
