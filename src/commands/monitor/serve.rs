//! `phi monitor --serve ADDR`: `/metrics` in the Prometheus text format and `/healthz`.
//!
//! The page is rendered once per sample (and per engine event that changes a counter) and
//! kept as bytes; a scrape hands out that copy and never calls the engine, so it costs
//! microseconds and goes on answering while the engine is away.

use std::convert::Infallible;
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::exit::{Coded, Exit};

/// The latest page, shared with the server.
#[derive(Debug, Clone, Default)]
pub struct Page(Arc<RwLock<Bytes>>);

impl Page {
    pub fn publish(&self, text: String) {
        let bytes = Bytes::from(text);
        match self.0.write() {
            Ok(mut page) => *page = bytes,
            Err(poisoned) => *poisoned.into_inner() = bytes,
        }
    }

    pub fn current(&self) -> Bytes {
        match self.0.read() {
            Ok(page) => page.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

/// Listen on `addr` (`HOST:PORT`, or `:PORT` for every interface). A busy port, or one this
/// user may not take, is a prerequisite unavailable (exit 4); an address that is not one is
/// a usage error (exit 2).
pub async fn bind(addr: &str) -> Result<TcpListener, Coded> {
    let full = match addr.strip_prefix(':') {
        Some(port) => format!("0.0.0.0:{port}"),
        None => addr.to_string(),
    };
    TcpListener::bind(&full).await.map_err(|e| {
        use std::io::ErrorKind as K;
        match e.kind() {
            K::AddrInUse => Coded::new(
                Exit::Unavailable,
                format!(
                    "--serve {addr}: the address is already in use (another phi monitor or an \
                     exporter listens there); choose another port"
                ),
            ),
            K::PermissionDenied | K::AddrNotAvailable => Coded::new(
                Exit::Unavailable,
                format!("--serve {addr}: cannot listen there: {e}"),
            ),
            _ => Coded::new(
                Exit::Usage,
                format!("--serve {addr}: {e} (expected HOST:PORT, e.g. 127.0.0.1:9464, or :PORT)"),
            ),
        }
    })
}

/// Serve `page` on `listener` until the task is aborted.
pub fn spawn(listener: TcpListener, page: Page) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                // Out of file descriptors and the like: try again shortly.
                Err(_) => {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            };
            let page = page.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                    let answer = answer(request.method(), request.uri().path(), &page);
                    async move { Ok::<_, Infallible>(answer) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}

/// The answer to one request.
pub fn answer(method: &Method, path: &str, page: &Page) -> Response<Full<Bytes>> {
    let reply = |status: StatusCode, kind: &'static str, body: Bytes| {
        let mut r = Response::new(Full::new(body));
        *r.status_mut() = status;
        r.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static(kind),
        );
        r
    };
    const TEXT: &str = "text/plain; charset=utf-8";
    if method != Method::GET && method != Method::HEAD {
        return reply(
            StatusCode::METHOD_NOT_ALLOWED,
            TEXT,
            Bytes::from_static(b"only GET\n"),
        );
    }
    match path {
        "/metrics" => reply(
            StatusCode::OK,
            "text/plain; version=0.0.4; charset=utf-8",
            page.current(),
        ),
        "/healthz" => reply(StatusCode::OK, TEXT, Bytes::from_static(b"ok\n")),
        _ => reply(
            StatusCode::NOT_FOUND,
            TEXT,
            Bytes::from_static(b"not found: try /metrics or /healthz\n"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_answer_from_the_published_page() {
        let page = Page::default();
        page.publish("a 1\n".into());
        let r = answer(&Method::GET, "/metrics", &page);
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.headers()[hyper::header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/plain; version=0.0.4")
        );
        assert_eq!(
            answer(&Method::GET, "/healthz", &page).status(),
            StatusCode::OK
        );
        assert_eq!(
            answer(&Method::GET, "/", &page).status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            answer(&Method::POST, "/metrics", &page).status(),
            StatusCode::METHOD_NOT_ALLOWED
        );
        page.publish("a 2\n".into());
        assert_eq!(page.current(), Bytes::from_static(b"a 2\n"));
    }

    #[tokio::test]
    async fn a_busy_port_is_exit_4_and_a_bad_address_exit_2() {
        let first = bind("127.0.0.1:0").await.unwrap();
        let taken = first.local_addr().unwrap().to_string();
        let err = bind(&taken).await.unwrap_err();
        assert_eq!(err.code, Exit::Unavailable);
        assert!(err.to_string().contains("already in use"), "{err}");
        let err = bind("no-port-here").await.unwrap_err();
        assert_eq!(err.code, Exit::Usage);
    }
}
