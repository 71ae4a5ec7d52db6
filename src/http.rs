//! A small HTTP client (health probes, API checks, webhooks) on the hyper stack bollard
//! already uses. Redirects are not followed: a 3xx answer is an answer.

use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

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
    inner: HyperClient<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl Client {
    /// A client for http:// URLs, and https:// ones when `tls` is true (it then loads the
    /// system's root certificates, which is why it is only done when needed).
    pub fn new(tls: bool) -> Result<Client, HttpError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| HttpError::Request(e.to_string()))?;
        let config = if tls {
            let mut roots = rustls::RootCertStore::empty();
            for cert in rustls_native_certs().map_err(HttpError::Request)? {
                // A malformed system certificate should not stop the probe.
                let _ = roots.add(cert);
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        } else {
            builder
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth()
        };
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(config)
            .https_or_http()
            .enable_http1()
            .build();
        let inner = HyperClient::builder(TokioExecutor::new())
            .pool_max_idle_per_host(0)
            .build(connector);
        Ok(Client { inner })
    }

    /// GET `url`, all within `timeout`.
    pub async fn get(&self, url: &str, timeout: Duration) -> Result<Answer, HttpError> {
        self.send(Request::get(url, timeout)).await
    }

    /// Send `request`, reading at most [`MAX_BODY`] of the answer, all within its timeout.
    pub async fn send(&self, request: Request) -> Result<Answer, HttpError> {
        let uri: hyper::Uri = request
            .url
            .parse()
            .map_err(|e| HttpError::Url(format!("{e}")))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
            return Err(HttpError::Url(
                "expected http://host[:port]/path or https://...".into(),
            ));
        }
        let method = match request.method {
            Method::Get => hyper::Method::GET,
            Method::Post => hyper::Method::POST,
        };
        let mut builder = hyper::Request::builder().method(method).uri(uri).header(
            hyper::header::USER_AGENT,
            concat!("phi/", env!("CARGO_PKG_VERSION")),
        );
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let http_request = builder
            .body(Full::new(Bytes::from(request.body)))
            .map_err(|e| HttpError::Url(e.to_string()))?;
        let start = Instant::now();
        let exchange = async {
            let response = self.inner.request(http_request).await.map_err(describe)?;
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(n, v)| {
                    let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
                    (n.as_str().to_ascii_lowercase(), value)
                })
                .collect();
            let mut body_stream = response.into_body();
            let mut body = Vec::new();
            while body.len() < MAX_BODY {
                match body_stream.frame().await {
                    Some(Ok(frame)) => {
                        if let Some(data) = frame.data_ref() {
                            let room = MAX_BODY - body.len();
                            body.extend_from_slice(&data[..data.len().min(room)]);
                        }
                    }
                    Some(Err(e)) => return Err(HttpError::Request(e.to_string())),
                    None => break,
                }
            }
            Ok((status, headers, body))
        };
        let (status, headers, body) = tokio::time::timeout(request.timeout, exchange)
            .await
            .map_err(|_| HttpError::Timeout(request.timeout))??;
        Ok(Answer {
            status,
            headers,
            body,
            elapsed: start.elapsed(),
        })
    }
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
fn describe(err: hyper_util::client::legacy::Error) -> HttpError {
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
