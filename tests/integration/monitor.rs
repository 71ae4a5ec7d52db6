//! `phi monitor` against real containers: CPU and memory thresholds, --for, JSON lines,
//! containers vanishing mid-run, webhooks, log rotation, the Prometheus file, Ctrl-C.

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::proxy::TinyProxy;
use crate::support::{BUSYBOX, Phi, Stack, docker, project_dir, recording_server};

const BURN: &[&str] = &["sh", "-c", "while :; do :; done"];

/// Tests with CPU burners take turns: on a 2-core machine several burners at once would
/// share the cores and hover around the thresholds these tests check.
static BURNERS: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn burner_turn() -> std::sync::MutexGuard<'static, ()> {
    BURNERS.lock().unwrap_or_else(|e| e.into_inner())
}
const IDLE: &[&str] = &["sleep", "600"];

fn compose(services: &[&str]) -> String {
    let mut text = String::from("services:\n");
    for s in services {
        text.push_str(&format!("  {s}:\n    image: {BUSYBOX}\n"));
    }
    text
}

fn lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn container<'a>(sample: &'a Value, service: &str) -> &'a Value {
    sample["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["service"] == service)
        .unwrap_or_else(|| panic!("no {service} in {sample}"))
}

#[test]
fn a_cpu_burner_trips_only_after_for_n_samples() {
    let _turn = burner_turn();
    let stack = Stack::new("mon-cpu");
    let dir = project_dir(&compose(&["burn", "idle"]));
    stack.run("burn", &[], BURN);
    stack.run("idle", &[], IDLE);
    let out = Phi::new(dir.path())
        .args([
            "-p",
            &stack.name,
            "monitor",
            "--count",
            "3",
            "--interval",
            "300ms",
        ])
        .args(["--cpu", "20", "--for", "3"])
        .run();
    out.code(3);
    let docs = lines(&out.stdout);
    let kinds: Vec<&str> = docs.iter().map(|d| d["type"].as_str().unwrap()).collect();
    // The alert comes right after the third sample, not before.
    assert_eq!(
        kinds,
        ["sample", "sample", "sample", "alert"],
        "{}",
        out.stdout
    );
    for (i, doc) in docs[..3].iter().enumerate() {
        let burn = container(doc, "burn");
        assert!(burn["cpu_percent"].as_f64().unwrap() > 20.0, "{burn}");
        assert_eq!(burn["breaches"], serde_json::json!(["cpu"]));
        let alerting = if i == 2 {
            serde_json::json!(["cpu"])
        } else {
            serde_json::json!([])
        };
        assert_eq!(burn["alerting"], alerting);
        let idle = container(doc, "idle");
        assert!(idle["cpu_percent"].as_f64().unwrap() < 5.0, "{idle}");
        assert_eq!(idle["breaches"], serde_json::json!([]));
    }
    let alert = &docs[3];
    assert_eq!(alert["service"], "burn");
    assert_eq!(alert["metric"], "cpu");
    assert_eq!(alert["threshold"], 20.0);
    assert_eq!(alert["for"], 3);

    // A breach that cannot last --for samples never alerts: exit 0.
    let out = Phi::new(dir.path())
        .args(["-p", &stack.name, "monitor", "--once", "--services", "idle"])
        .args(["--cpu", "20"])
        .run();
    out.code(0);
    // --for longer than the run is refused up front.
    Phi::new(dir.path())
        .args(["-p", &stack.name, "monitor", "--count", "2", "--for", "3"])
        .run()
        .code(2)
        .stderr_has("--for 3 can never trip within 2 sample(s)");
}

#[test]
fn a_memory_hog_trips_memory_and_samples_carry_the_documented_fields() {
    let stack = Stack::new("mon-mem");
    let dir = project_dir(&compose(&["hog", "idle"]));
    // 70 MiB held by tail, in a 100 MiB container.
    let hog = stack.run(
        "hog",
        &["--memory", "100m"],
        &[
            "sh",
            "-c",
            "head -c 70m /dev/zero | tail -c 70m | sleep 600",
        ],
    );
    stack.run("idle", &[], IDLE);
    stack.wait_for(&hog, "{{.State.Running}}", |s| s == "true");
    std::thread::sleep(Duration::from_secs(2));
    let out = Phi::new(dir.path())
        .args([
            "-p",
            &stack.name,
            "monitor",
            "--once",
            "--json",
            "--mem",
            "50",
        ])
        .run();
    out.code(3);
    let docs = lines(&out.stdout);
    assert_eq!(docs[0]["type"], "sample");
    assert_eq!(docs[0]["schema_version"], 1);
    assert_eq!(docs[0]["sample"], 1);
    let hog = container(&docs[0], "hog");
    let pct = hog["memory_percent"].as_f64().unwrap();
    assert!((60.0..=80.0).contains(&pct), "{hog}");
    assert_eq!(hog["memory_limit_bytes"], 100 * 1024 * 1024);
    let idle = container(&docs[0], "idle");
    for field in [
        "cpu_percent",
        "cpu_host_percent",
        "online_cpus",
        "memory_bytes",
        "memory_limit_bytes",
        "memory_percent",
        "net_rx_bytes",
        "net_tx_bytes",
        "block_read_bytes",
        "block_write_bytes",
        "pids",
        "restarts",
    ] {
        assert!(idle[field].is_number(), "{field} is not a number: {idle}");
    }
    assert_eq!(idle["state"], "running");
    assert!(idle["memory_percent"].as_f64().unwrap() < 50.0);
    let alerts: Vec<&Value> = docs.iter().filter(|d| d["type"] == "alert").collect();
    assert_eq!(alerts.len(), 1, "{}", out.stdout);
    assert_eq!(alerts[0]["metric"], "memory");
    assert_eq!(alerts[0]["service"], "hog");

    // The engine's stats API gives the same picture.
    let out = Phi::new(dir.path())
        .args([
            "-p",
            &stack.name,
            "monitor",
            "--once",
            "--json",
            "--engine-stats",
        ])
        .args(["--services", "hog", "--mem", "50"])
        .run();
    out.code(3);
    let hog = container(&lines(&out.stdout)[0], "hog").clone();
    assert_eq!(hog["source"], "engine");
    assert!((60.0..=80.0).contains(&hog["memory_percent"].as_f64().unwrap()));
    assert!(hog["cpu_percent"].is_number());
}

#[test]
fn a_container_removed_mid_run_is_reported_gone_and_sampling_goes_on() {
    let stack = Stack::new("mon-gone");
    let dir = project_dir(&compose(&["keep", "doomed"]));
    stack.run("keep", &[], IDLE);
    let doomed = stack.run("doomed", &[], IDLE);
    let (mut child, _home) = Phi::new(dir.path())
        .args([
            "-p",
            &stack.name,
            "monitor",
            "--count",
            "8",
            "--interval",
            "400ms",
        ])
        .spawn();
    let stdout = child.stdout.take().unwrap();
    let mut reader = BufReader::new(stdout);
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    docker(&["rm", "-f", &doomed]);
    let rest: Vec<String> = reader.lines().map(Result::unwrap).collect();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    // The engine's kill, die and destroy events come as lines of their own.
    let docs: Vec<Value> = std::iter::once(first.trim().to_string())
        .chain(rest)
        .map(|l| serde_json::from_str::<Value>(&l).unwrap())
        .filter(|d| d["type"] == "sample")
        .collect();
    assert_eq!(docs.len(), 8, "eight samples, no crash");
    let gone: Vec<usize> = docs
        .iter()
        .enumerate()
        .filter(|(_, d)| {
            d["containers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["service"] == "doomed" && c["state"] == "gone")
        })
        .map(|(i, _)| i)
        .collect();
    assert_eq!(gone.len(), 1, "reported gone exactly once");
    let after = &docs[gone[0] + 1..];
    assert!(after.iter().all(|d| {
        d["containers"].as_array().unwrap().len() == 1 && container(d, "keep")["state"] == "running"
    }));
}

#[test]
fn webhooks_fire_once_per_episode_and_never_delay_sampling() {
    let _turn = burner_turn();
    let stack = Stack::new("mon-hook");
    let dir = project_dir(&compose(&["burn"]));
    stack.run("burn", &[], BURN);
    let (url, seen) = recording_server(Some(200));
    // Delivered through the proxy HTTP_PROXY names, as on a host that reaches out only
    // through one.
    let proxy = TinyProxy::start();
    let out = Phi::new(dir.path())
        .args([
            "-p",
            &stack.name,
            "monitor",
            "--count",
            "4",
            "--interval",
            "300ms",
        ])
        .args(["--cpu", "20", "--webhook", &url])
        .env("HTTP_PROXY", proxy.url())
        .run();
    out.code(3);
    let alerts = lines(&out.stdout)
        .into_iter()
        .filter(|d| d["type"] == "alert")
        .count();
    assert_eq!(alerts, 1);
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests.len(), 1, "one POST per episode: {requests:?}");
    let request = &requests[0];
    assert!(request.starts_with("POST /hook HTTP/1.1"), "{request}");
    assert!(
        request
            .to_ascii_lowercase()
            .contains("via: 1.1 phi-test-proxy"),
        "{request}"
    );
    assert!(
        proxy.log().contains("POST http://127.0.0.1:"),
        "{}",
        proxy.log()
    );
    let body = request.split("\r\n\r\n").nth(1).unwrap();
    let payload: Value = serde_json::from_str(body).unwrap();
    assert!(
        payload["text"].as_str().unwrap().contains("CPU of burn"),
        "{payload}"
    );
    assert_eq!(payload["metric"], "cpu");
    assert_eq!(payload["type"], "alert");

    // A webhook that never answers: samples keep their cadence, and phi gives up on the
    // delivery after its bounded attempts, saying so.
    let (silent, _seen) = recording_server(None);
    let start = Instant::now();
    let out = Phi::new(dir.path())
        .args([
            "-p",
            &stack.name,
            "monitor",
            "--count",
            "3",
            "--interval",
            "300ms",
        ])
        .args([
            "--cpu",
            "20",
            "--webhook",
            &silent,
            "--webhook-timeout",
            "400ms",
        ])
        .run();
    out.code(3).stderr_has("webhook not delivered");
    assert_eq!(
        lines(&out.stdout)
            .iter()
            .filter(|d| d["type"] == "sample")
            .count(),
        3
    );
    // 3 samples (~1.2 s) plus 3 attempts of 0.4 s with 0.5 s and 1 s pauses, well under 10 s.
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn the_log_rotates_and_the_prometheus_file_is_complete() {
    let stack = Stack::new("mon-files");
    let dir = project_dir(&compose(&["a", "b"]));
    stack.run("a", &[], IDLE);
    stack.run("b", &[], IDLE);
    let log = dir.path().join("monitor.jsonl");
    let prom = dir.path().join("phi.prom");
    Phi::new(dir.path())
        .args([
            "-p",
            &stack.name,
            "monitor",
            "--count",
            "5",
            "--interval",
            "200ms",
        ])
        .args([
            "--log",
            "monitor.jsonl",
            "--log-max-size",
            "1KB",
            "--log-files",
            "2",
        ])
        .args(["--prometheus", "phi.prom"])
        .run()
        .code(0);
    let rotated = dir.path().join("monitor.jsonl.1");
    assert!(log.exists() && rotated.exists());
    assert!(
        !dir.path().join("monitor.jsonl.2").exists(),
        "at most 2 files"
    );
    for file in [&log, &rotated] {
        let text = std::fs::read_to_string(file).unwrap();
        assert!(!text.is_empty());
        for line in text.lines() {
            let doc: Value = serde_json::from_str(line).unwrap();
            assert_eq!(doc["type"], "sample");
        }
    }
    let text = std::fs::read_to_string(&prom).unwrap();
    for service in ["a", "b"] {
        let line = text
            .lines()
            .find(|l| {
                l.starts_with("phi_container_memory_bytes{")
                    && l.contains(&format!("service=\"{service}\""))
            })
            .unwrap_or_else(|| panic!("no memory line for {service}:\n{text}"));
        assert!(line.rsplit(' ').next().unwrap().parse::<f64>().unwrap() > 0.0);
    }
    assert!(text.contains("# TYPE phi_container_cpu_percent gauge"));
    assert!(text.contains("phi_monitor_last_sample_timestamp_seconds{"));
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn ctrl_c_ends_live_monitoring_with_exit_0() {
    let stack = Stack::new("mon-int");
    let dir = project_dir(&compose(&["a"]));
    stack.run("a", &[], IDLE);
    let (mut child, _home) = Phi::new(dir.path())
        .args(["-p", &stack.name, "monitor", "--interval", "300ms"])
        .spawn();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    assert!(first.contains("\"type\":\"sample\""));
    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn thresholds_come_from_x_phi_and_the_environment() {
    let _turn = burner_turn();
    let stack = Stack::new("mon-cfg");
    let yaml = format!(
        "x-phi:\n  cpu_threshold: 1000\nservices:\n  burn:\n    image: {BUSYBOX}\n  \
         tuned:\n    image: {BUSYBOX}\n    x-phi:\n      cpu_threshold: 20\n"
    );
    let dir = project_dir(&yaml);
    stack.run("burn", &[], BURN);
    stack.run("tuned", &[], BURN);
    // Project x-phi says 1000 % for burn; the service's own x-phi says 20 % for tuned.
    let out = Phi::new(dir.path())
        .args(["-p", &stack.name, "monitor", "--once"])
        .run();
    out.code(3);
    let alerts: Vec<Value> = lines(&out.stdout)
        .into_iter()
        .filter(|d| d["type"] == "alert")
        .collect();
    assert_eq!(alerts.len(), 1, "{}", out.stdout);
    assert_eq!(alerts[0]["service"], "tuned");
    // CPU_THRESHOLD overrides the top-level x-phi (but not the service's own).
    let out = Phi::new(dir.path())
        .args(["-p", &stack.name, "monitor", "--once"])
        .env("CPU_THRESHOLD", "20")
        .run();
    out.code(3);
    let mut services: Vec<String> = lines(&out.stdout)
        .into_iter()
        .filter(|d| d["type"] == "alert")
        .map(|d| d["service"].as_str().unwrap().to_string())
        .collect();
    services.sort();
    assert_eq!(services, ["burn", "tuned"]);
    Phi::new(dir.path())
        .args(["-p", &stack.name, "monitor", "--once"])
        .env("CPU_THRESHOLD", "lots")
        .run()
        .code(2)
        .stderr_has("CPU_THRESHOLD");
}

#[test]
fn an_engine_restart_leads_to_a_reconnection_not_a_crash() {
    let stack = Stack::new("mon-restart");
    let dir = project_dir(&compose(&["a"]));
    stack.run("a", &[], IDLE);
    let sock_dir = tempfile::tempdir().unwrap();
    let sock = sock_dir.path().join("engine.sock");
    let proxy = crate::support::EngineProxy::start(&sock);
    let (mut child, _home) = Phi::new(dir.path())
        .args([
            "-p",
            &stack.name,
            "monitor",
            "--count",
            "5",
            "--interval",
            "300ms",
        ])
        .env("DOCKER_HOST", format!("unix://{}", sock.display()))
        .spawn();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    proxy.stop();
    std::thread::sleep(Duration::from_millis(1500));
    let _back = crate::support::EngineProxy::start(&sock);
    let rest: Vec<String> = reader.lines().map(Result::unwrap).collect();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("reconnecting"), "{stderr}");
    assert!(
        stderr.contains("reconnected to the Docker engine"),
        "{stderr}"
    );
    assert_eq!(1 + rest.len(), 5, "all samples arrive: {rest:?}");
}

const PYTHON: &str = "phi-test/python:3";

/// A `phi monitor` in the background, its JSON lines read on a thread so a test can wait for
/// one with a deadline.
struct Watching {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<Value>,
    seen: Vec<Value>,
    _home: tempfile::TempDir,
}

impl Watching {
    fn start(phi: Phi) -> Watching {
        let (mut child, home) = phi.spawn();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let doc = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
                if tx.send(doc).is_err() {
                    break;
                }
            }
        });
        Watching {
            child,
            lines: rx,
            seen: Vec::new(),
            _home: home,
        }
    }

    /// The first line from now on that `want` accepts, within `limit`.
    fn until(&mut self, limit: Duration, want: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(doc) => {
                    self.seen.push(doc.clone());
                    if want(&doc) {
                        return doc;
                    }
                }
                Err(_) => {
                    let _ = self.child.kill();
                    let events: Vec<&Value> =
                        self.seen.iter().filter(|d| d["type"] != "sample").collect();
                    panic!("no such line within {limit:?}; events and alerts seen: {events:#?}");
                }
            }
        }
    }

    /// Ctrl-C, then every line and stderr.
    fn stop(mut self) -> (Vec<Value>, String) {
        std::process::Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        let output = self.child.wait_with_output().unwrap();
        self.seen.extend(self.lines.try_iter());
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        (self.seen, stderr)
    }
}

fn of_type<'a>(docs: &'a [Value], kind: &str, metric: &str) -> Vec<&'a Value> {
    docs.iter()
        .filter(|d| d["type"] == kind && d["metric"] == metric)
        .collect()
}

fn live_monitor(dir: &std::path::Path, project: &str) -> Phi {
    Phi::new(dir).args(["-p", project, "monitor", "--interval", "300ms"])
}

#[test]
fn an_oom_kill_alerts_with_the_memory_limit_and_the_last_reading() {
    let stack = Stack::new("mon-oom");
    let dir = project_dir("services:\n  hog:\n    image: phi-test/python:3\n");
    let mut phi = Watching::start(live_monitor(dir.path(), &stack.name));
    phi.until(Duration::from_secs(20), |d| d["type"] == "sample");
    // 2 MiB more every 50 ms, in a 24 MiB container: killed within a second or two.
    let grow = "import time\nb = []\nwhile True:\n    b.append(bytearray(2 << 20))\n    time.sleep(0.05)\n";
    stack.run_image(
        "hog",
        PYTHON,
        &["--memory", "24m", "--memory-swap", "24m"],
        &["python3", "-c", grow],
    );
    let alert = phi.until(Duration::from_secs(20), |d| {
        d["type"] == "alert" && d["metric"] == "oom"
    });
    assert_eq!(alert["service"], "hog");
    assert_eq!(alert["memory_limit_bytes"], 24 << 20, "{alert}");
    assert_eq!(alert["event"], "oom");
    assert!(
        alert["message"]
            .as_str()
            .unwrap()
            .contains("killed for memory (OOM): limit 24.0MiB"),
        "{alert}"
    );
    let die = phi.until(Duration::from_secs(10), |d| {
        d["type"] == "event" && d["action"] == "die"
    });
    assert_eq!(die["exit_code"], 137);
    let (docs, _) = phi.stop();
    assert!(
        of_type(&docs, "alert", "exit").is_empty(),
        "an OOM kill is not also an unasked exit: {docs:?}"
    );
    assert_eq!(of_type(&docs, "alert", "oom").len(), 1);
}

#[test]
fn a_service_exiting_3_with_restart_always_makes_one_restart_loop_alert() {
    let stack = Stack::new("mon-loop");
    let yaml = format!(
        "services:\n  crash:\n    image: {BUSYBOX}\n    x-phi:\n      restart_loop: 2\n      \
         restart_loop_window: 1m\n"
    );
    let dir = project_dir(&yaml);
    let mut phi = Watching::start(live_monitor(dir.path(), &stack.name));
    phi.until(Duration::from_secs(20), |d| d["type"] == "sample");
    stack.run(
        "crash",
        &["--restart", "always"],
        &["sh", "-c", "echo boom on stderr >&2; exit 3"],
    );
    let alert = phi.until(Duration::from_secs(20), |d| {
        d["type"] == "alert" && d["metric"] == "restart_loop"
    });
    assert_eq!(alert["value"], 2.0);
    assert_eq!(alert["threshold"], 2.0);
    assert_eq!(alert["window_seconds"], 60.0);
    // Two more restarts after the alert: no second alert for the same loop.
    let restarts = |docs: &[Value]| {
        docs.iter()
            .filter(|d| d["type"] == "event" && d["action"] == "start")
            .count()
    };
    let at_alert = restarts(&phi.seen);
    while restarts(&phi.seen) < at_alert + 2 {
        phi.until(Duration::from_secs(20), |d| d["action"] == "start");
    }
    let (docs, _) = phi.stop();
    assert_eq!(of_type(&docs, "alert", "restart_loop").len(), 1, "{docs:?}");
    let exits = of_type(&docs, "alert", "exit");
    assert_eq!(
        exits.len(),
        1,
        "one unasked-exit alert per episode: {exits:?}"
    );
    assert_eq!(exits[0]["exit_code"], 3);
    assert!(
        exits[0]["logs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l == "boom on stderr"),
        "{}",
        exits[0]
    );
}

#[test]
fn a_failing_healthcheck_alerts_with_its_output_then_recovers() {
    let stack = Stack::new("mon-health");
    let dir = project_dir(&compose(&["web"]));
    let web = stack.run(
        "web",
        &[
            "--health-cmd",
            "test -f /tmp/ok || { echo no ok file here; exit 1; }",
            "--health-interval",
            "300ms",
            "--health-retries",
            "1",
        ],
        &["sh", "-c", "touch /tmp/ok; sleep 600"],
    );
    stack.wait_for(&web, "{{.State.Health.Status}}", |s| s == "healthy");
    let mut phi = Watching::start(live_monitor(dir.path(), &stack.name));
    phi.until(Duration::from_secs(20), |d| d["type"] == "sample");
    docker(&["exec", &web, "rm", "/tmp/ok"]);
    let alert = phi.until(Duration::from_secs(20), |d| {
        d["type"] == "alert" && d["metric"] == "unhealthy"
    });
    assert_eq!(alert["output"], "no ok file here", "{alert}");
    assert!(
        alert["message"]
            .as_str()
            .unwrap()
            .ends_with("is unhealthy: no ok file here")
    );
    docker(&["exec", &web, "touch", "/tmp/ok"]);
    let recovery = phi.until(Duration::from_secs(20), |d| {
        d["type"] == "recovery" && d["metric"] == "unhealthy"
    });
    assert_eq!(recovery["service"], "web");
    // A few samples more: the episode is over, and stays reported once.
    for _ in 0..3 {
        phi.until(Duration::from_secs(10), |d| d["type"] == "sample");
    }
    let (docs, _) = phi.stop();
    assert_eq!(of_type(&docs, "alert", "unhealthy").len(), 1, "{docs:?}");
    assert_eq!(of_type(&docs, "recovery", "unhealthy").len(), 1);
}

#[test]
fn the_events_stream_survives_a_connection_drop_without_missing_or_doubling() {
    let stack = Stack::new("mon-evdrop");
    let dir = project_dir(&compose(&["before", "during"]));
    let sock_dir = tempfile::tempdir().unwrap();
    let sock = sock_dir.path().join("engine.sock");
    let proxy = crate::support::EngineProxy::start(&sock);
    let addr = format!("127.0.0.1:{}", free_port());
    let mut phi = Watching::start(
        live_monitor(dir.path(), &stack.name)
            .args(["--serve", &addr])
            .env("DOCKER_HOST", format!("unix://{}", sock.display())),
    );
    phi.until(Duration::from_secs(20), |d| d["type"] == "sample");
    stack.run("before", &[], &["sh", "-c", "exit 4"]);
    phi.until(Duration::from_secs(20), |d| {
        d["type"] == "alert" && d["exit_code"] == 4
    });
    // The engine goes away mid-stream; a container dies while phi cannot hear it.
    proxy.cut();
    stack.run("during", &[], &["sh", "-c", "exit 5"]);
    std::thread::sleep(Duration::from_millis(1500));
    // The endpoint goes on answering, from the last sample, while the engine is away.
    let (status, page) = http_get(&addr, "/metrics").expect("/metrics answers during the outage");
    assert_eq!(status, 200);
    assert!(page.contains("phi_monitor_engine_up{"), "{page}");
    assert_eq!(http_get(&addr, "/healthz").map(|a| a.0), Some(200));
    let _back = crate::support::EngineProxy::start(&sock);
    phi.until(Duration::from_secs(30), |d| {
        d["type"] == "alert" && d["exit_code"] == 5
    });
    let (docs, stderr) = phi.stop();
    assert!(stderr.contains("engine events:"), "{stderr}");
    assert!(stderr.contains("engine events: resumed"), "{stderr}");
    let dies = |service: &str| {
        docs.iter()
            .filter(|d| d["type"] == "event" && d["action"] == "die" && d["service"] == service)
            .count()
    };
    assert_eq!(dies("before"), 1, "not doubled by the replay");
    assert_eq!(dies("during"), 1, "not missed in the outage");
    assert_eq!(of_type(&docs, "alert", "exit").len(), 2);
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// GET `path` from `addr`: the status and the body, or None while nothing listens.
fn http_get(addr: &str, path: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.split_whitespace().nth(1)?.parse().ok()?;
    let body = answer.split_once("\r\n\r\n")?.1.to_string();
    Some((status, body))
}

/// A child process killed when the test ends, pass or fail.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_real_prometheus_scrapes_serve_and_promtool_accepts_the_page() {
    let promtool = crate::support::locate("promtool")
        .expect("promtool is missing; run scripts/setup-test-env.sh (ensure_prometheus)");
    let prometheus = crate::support::locate("prometheus")
        .expect("prometheus is missing; run scripts/setup-test-env.sh (ensure_prometheus)");
    let stack = Stack::new("mon-serve");
    let dir = project_dir(&compose(&["web", "db"]));
    let web = stack.run(
        "web",
        &["--health-cmd", "true", "--health-interval", "500ms"],
        IDLE,
    );
    stack.run("db", &[], IDLE);
    stack.wait_for(&web, "{{.State.Health.Status}}", |s| s == "healthy");
    let addr = format!("127.0.0.1:{}", free_port());
    let mut phi = Watching::start(live_monitor(dir.path(), &stack.name).args(["--serve", &addr]));
    phi.until(Duration::from_secs(20), |d| d["type"] == "sample");

    let (status, page) = http_get(&addr, "/metrics").expect("--serve answers");
    assert_eq!(status, 200, "{page}");
    let labels = format!(
        "{{project=\"{0}\",service=\"web\",container=\"{0}-web-1\"",
        stack.name
    );
    for series in [
        "container_cpu_usage_seconds_total",
        "container_memory_working_set_bytes",
        "container_spec_memory_limit_bytes",
        "container_network_receive_bytes_total",
        "container_network_transmit_bytes_total",
        "container_fs_reads_bytes_total",
        "container_fs_writes_bytes_total",
        "container_oom_events_total",
        "phi_container_up",
        "phi_container_restarts_total",
        "phi_container_oom_kills_total",
    ] {
        assert!(
            page.contains(&format!("{series}{labels}")),
            "no {series} for web:\n{page}"
        );
    }
    assert!(
        page.contains(&format!("phi_container_up{labels}}} 1")),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "phi_container_health_state{labels},state=\"healthy\"}} 1"
        )),
        "{page}"
    );
    assert_eq!(http_get(&addr, "/healthz"), Some((200, "ok\n".to_string())));
    let mut check = std::process::Command::new(&promtool)
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut check.stdin.take().unwrap(), page.as_bytes()).unwrap();
    let checked = check.wait_with_output().unwrap();
    assert!(
        checked.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );

    // A second monitor on the same address: exit 4, saying why.
    Phi::new(dir.path())
        .args(["-p", &stack.name, "monitor", "--once", "--serve", &addr])
        .run()
        .code(4)
        .stderr_has("already in use");

    // A real Prometheus scrapes the endpoint.
    let data = tempfile::tempdir().unwrap();
    let config = data.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: phi\n    \
             static_configs:\n      - targets: ['{addr}']\n"
        ),
    )
    .unwrap();
    let web_addr = format!("127.0.0.1:{}", free_port());
    let _prometheus = KillOnDrop(
        std::process::Command::new(&prometheus)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                data.path().join("tsdb").display()
            ))
            .arg(format!("--web.listen-address={web_addr}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let query = format!(
        "/api/v1/query?query=container_memory_working_set_bytes%7Bproject%3D%22{}%22%7D",
        stack.name
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some((200, body)) = http_get(&web_addr, &query)
            && body.contains("\"service\":\"web\"")
            && body.contains("\"service\":\"db\"")
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "Prometheus never got the series: {:?}",
            http_get(&web_addr, &query)
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let (_, targets) = http_get(&web_addr, "/api/v1/targets").unwrap();
    assert!(targets.contains("\"health\":\"up\""), "{targets}");
    phi.stop();
}
