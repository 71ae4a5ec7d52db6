//! Outbound HTTP and the proxy variables, through a real proxy: tinyproxy, started here on a
//! free 127.0.0.1 port (in the foreground, with its own config and log), so the tests run the
//! same inside the engine matrix's network namespaces. check-auth's GitHub check goes through
//! the proxy that HTTP_PROXY names, and directly when NO_PROXY covers its host; a health probe
//! of the project's own service always goes directly. monitor.rs sends a webhook through it.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Phi, github_token, http_stub, locate, project_dir, require_engine};

const RANDOM: &str = "Pr0xyTe5tRandomPart0123456789A";

/// A tinyproxy of the test's own, killed when dropped.
pub struct TinyProxy {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl TinyProxy {
    pub fn start() -> TinyProxy {
        let binary = locate("tinyproxy")
            .or_else(|| Some(PathBuf::from("/usr/bin/tinyproxy")).filter(|p| p.is_file()))
            .expect("tinyproxy is not installed: run scripts/setup-test-env.sh");
        // A port taken between the probe and tinyproxy's bind makes it exit: try again.
        for _ in 0..3 {
            let dir = tempfile::tempdir().expect("temp dir");
            let port = {
                let probe = TcpListener::bind("127.0.0.1:0").expect("bind");
                probe.local_addr().expect("addr").port()
            };
            let log = dir.path().join("tinyproxy.log");
            let config = dir.path().join("tinyproxy.conf");
            std::fs::write(
                &config,
                format!(
                    "Port {port}\nListen 127.0.0.1\nTimeout 10\nMaxClients 16\nAllow 127.0.0.1\n\
                     LogFile \"{}\"\nLogLevel Info\nViaProxyName \"phi-test-proxy\"\n",
                    log.display()
                ),
            )
            .expect("write tinyproxy.conf");
            let child = Command::new(&binary)
                .args(["-d", "-c"])
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start tinyproxy");
            let mut proxy = TinyProxy {
                child,
                addr: SocketAddr::from(([127, 0, 0, 1], port)),
                log,
                _dir: dir,
            };
            if proxy.ready() {
                return proxy;
            }
        }
        panic!("tinyproxy did not start on a free port (3 tries)");
    }

    /// Whether it accepts connections within 5 s (false when it exited).
    fn ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for TinyProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn github_reply() -> String {
    let body = r#"{"login":"phi-bot","id":1}"#;
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-oauth-scopes: repo\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// A project with a GitHub token in its private .env.
fn project(token: &str) -> tempfile::TempDir {
    let dir = project_dir("services:\n  app:\n    image: phi-test/busybox:latest\n");
    let env = dir.path().join(".env");
    std::fs::write(&env, format!("GITHUB_TOKEN={token}\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&env, std::fs::Permissions::from_mode(0o600)).unwrap();
    dir
}

/// `check-auth --json --online` against a GitHub stand-in with these extra variables: the
/// "token online" check and the head of the request the stand-in got.
fn online_check(dir: &Path, vars: &[(&str, &str)]) -> (Value, String) {
    let (api, server) = http_stub(github_reply(), Duration::ZERO, 1);
    let mut phi = Phi::new(dir).env("GITHUB_API_URL", &api);
    for (key, value) in vars {
        phi = phi.env(key, value);
    }
    let out = phi.args(["check-auth", "--json", "--online"]).run();
    let doc = out.json();
    let online = doc["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["area"] == "github" && c["name"] == "token online")
        .unwrap_or_else(|| panic!("no github/token online check in {doc:#}"))
        .clone();
    let heads = server.join().unwrap();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert!(
        !out.stdout.contains(RANDOM) && !out.stderr.contains(RANDOM),
        "the token was printed:\n{}\n{}",
        out.stdout,
        out.stderr
    );
    (online, heads[0].clone())
}

#[test]
fn check_auth_online_goes_through_the_proxy_and_no_proxy_skips_it() {
    require_engine();
    let proxy = TinyProxy::start();
    let token = github_token("ghp_", RANDOM);
    let dir = project(&token);
    let proxy_url = proxy.url();
    let through = [
        ("HTTP_PROXY", proxy_url.as_str()),
        ("HTTPS_PROXY", proxy_url.as_str()),
    ];

    let (online, head) = online_check(dir.path(), &through);
    assert_eq!(
        online["message"], "authenticated as phi-bot; scopes: repo; no expiry reported",
        "{online:#}"
    );
    let lower = head.to_ascii_lowercase();
    assert!(lower.contains("via: 1.1 phi-test-proxy"), "{head}");
    assert!(lower.contains("authorization: bearer ghp_"), "{head}");
    let log = proxy.log();
    assert!(log.contains("Request (file descriptor"), "{log}");
    assert!(log.contains("/user HTTP/1.1"), "{log}");
    // The proxy logs the request line, never the token (it travels in a header).
    assert!(!log.contains(RANDOM), "{log}");
    let requests = log.matches("Request (file descriptor").count();

    // The lower-case forms are read too (curl reads http_proxy only in lower case).
    let (online, head) = online_check(
        dir.path(),
        &[
            ("http_proxy", proxy_url.as_str()),
            ("NO_PROXY", "example.com"),
        ],
    );
    assert_eq!(online["level"], "ok", "{online:#}");
    assert!(head.to_ascii_lowercase().contains("via: "), "{head}");
    assert_eq!(
        proxy.log().matches("Request (file descriptor").count(),
        requests + 1
    );

    // NO_PROXY naming the host (an address, a network, or `*`): straight to the server.
    for no_proxy in ["127.0.0.1", "example.com, 127.0.0.0/8", "*"] {
        let mut vars = through.to_vec();
        vars.push(("NO_PROXY", no_proxy));
        let (online, head) = online_check(dir.path(), &vars);
        assert_eq!(online["level"], "ok", "NO_PROXY={no_proxy}: {online:#}");
        assert!(
            !head.to_ascii_lowercase().contains("via: "),
            "NO_PROXY={no_proxy}: {head}"
        );
    }
    assert_eq!(
        proxy.log().matches("Request (file descriptor").count(),
        requests + 1,
        "NO_PROXY requests reached the proxy"
    );
}

#[test]
fn a_dead_proxy_is_named_in_the_failure() {
    require_engine();
    let token = github_token("ghp_", RANDOM);
    let dir = project(&token);
    let port = {
        let probe = TcpListener::bind("127.0.0.1:0").expect("bind");
        probe.local_addr().expect("addr").port()
    };
    let proxy = format!("http://127.0.0.1:{port}");
    let (api, _server) = http_stub(github_reply(), Duration::ZERO, 1);
    let out = Phi::new(dir.path())
        .env("GITHUB_API_URL", &api)
        .env(
            "HTTP_PROXY",
            format!("http://user:pr0xy-pa55@127.0.0.1:{port}"),
        )
        .args(["check-auth", "--json", "--online"])
        .run();
    out.code(3);
    let doc = out.json();
    let online = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["area"] == "github" && c["name"] == "token online")
        .unwrap()
        .clone();
    assert_eq!(online["level"], "error", "{online:#}");
    let message = online["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!("cannot ask {api}/user: ")),
        "{message}"
    );
    assert!(
        message.ends_with(&format!("(through the proxy {proxy})")),
        "{message}"
    );
    // The proxy's credentials are never shown.
    assert!(
        !out.stdout.contains("pr0xy-pa55") && !out.stderr.contains("pr0xy-pa55"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
}

#[test]
fn health_probes_connect_directly_whatever_the_proxy_variables_say() {
    require_engine();
    let proxy = TinyProxy::start();
    let (health, server) = http_stub(
        "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok".into(),
        Duration::ZERO,
        1,
    );
    let dir = project_dir(&format!(
        "services:\n  app:\n    image: phi-test/busybox:latest\n    x-phi:\n      health_url: {health}/health\n"
    ));
    let proxy_url = proxy.url();
    let out = Phi::new(dir.path())
        .args(["-p", "phi-proxy-probe", "status", "--json"])
        .env("HTTP_PROXY", &proxy_url)
        .env("HTTPS_PROXY", &proxy_url)
        .env("ALL_PROXY", &proxy_url)
        .run();
    // The service has no container (missing, exit 3); its probe still runs.
    let doc = out.json();
    let probe = &doc["services"][0]["probe"];
    assert_eq!(probe["status"], 200, "{doc:#}");
    let heads = server.join().unwrap();
    assert!(heads[0].starts_with("GET /health HTTP/1.1"), "{heads:?}");
    assert!(
        !heads[0].to_ascii_lowercase().contains("via: "),
        "{heads:?}"
    );
    assert!(
        !proxy.log().contains("Request (file descriptor"),
        "{}",
        proxy.log()
    );
}
