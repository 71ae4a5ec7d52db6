//! What must hold on every engine of the test matrix (Docker 20.10, Docker 28, Podman 4.3),
//! written so that no step waits for one engine's way of saying it: Podman has no
//! `restarting` state, reports `stopped` between restarts, and never runs healthchecks
//! without systemd. The engine matrix (scripts/test.sh) runs this module on each engine.

use std::time::{Duration, Instant};

use crate::support::{BUSYBOX, Phi, Stack, docker, project_dir};

/// A long-running service that stops at once on SIGTERM.
const IDLE: &str = "[\"sh\", \"-c\", \"trap 'exit 0' TERM; while :; do sleep 0.1; done\"]";

fn phi(dir: &std::path::Path, stack: &Stack, args: &[&str]) -> crate::support::Output {
    Phi::new(dir).args(["-p", &stack.name]).args(args).run()
}

fn entry<'a>(doc: &'a serde_json::Value, list: &str, name: &str) -> &'a serde_json::Value {
    doc[list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list} in {doc}"))
        .iter()
        .find(|s| s["service"] == name)
        .unwrap_or_else(|| panic!("no {name} in {doc}"))
}

#[test]
fn a_crash_loop_fails_every_status_run_and_never_breaks_a_command() {
    let stack = Stack::new("mx-loop");
    let dir = project_dir(&format!(
        "services:\n  flappy:\n    image: {BUSYBOX}\n    restart: always\n  web:\n    image: {BUSYBOX}\n"
    ));
    stack.run(
        "web",
        &[],
        &[
            "sh",
            "-c",
            "trap 'exit 0' TERM; while :; do sleep 0.1; done",
        ],
    );
    let flappy = stack.run(
        "flappy",
        &["--restart", "always"],
        &["sh", "-c", "sleep 0.2; exit 1"],
    );
    // Restarted at least 3 times, whatever the engine calls the state meanwhile.
    stack.wait_for(&flappy, "{{.RestartCount}}", |s| {
        s.parse::<u32>().is_ok_and(|n| n >= 3)
    });
    for run in 0..6 {
        let out = phi(dir.path(), &stack, &["status", "--json"]);
        assert_eq!(
            out.code, 3,
            "status run {run}: {}\n{}",
            out.stdout, out.stderr
        );
        let doc = out.json();
        let row = entry(&doc, "services", "flappy");
        assert_eq!(row["verdict"], "failing", "run {run}: {row}");
        assert!(
            matches!(row["state"].as_str(), Some("restarting" | "exited")),
            "run {run}: {row}"
        );
        assert_eq!(entry(&doc, "services", "web")["verdict"], "ok", "run {run}");
    }
    for run in 0..3 {
        let out = phi(dir.path(), &stack, &["monitor", "--count", "1"]);
        assert!(
            matches!(out.code, 0 | 3),
            "monitor run {run} exited {}: {}",
            out.code,
            out.stderr
        );
        assert!(!out.stderr.contains("deserialize"), "{}", out.stderr);
    }
    let out = phi(dir.path(), &stack, &["stop-all"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn a_failing_healthcheck_fails_start_all_with_its_output_on_every_engine() {
    let stack = Stack::new("mx-unhealthy");
    let dir = project_dir(&format!(
        "services:\n  db:\n    image: {BUSYBOX}\n    stop_grace_period: 1s\n    command: {IDLE}\n    \
         healthcheck:\n      test: [\"CMD-SHELL\", \"echo db refuses connections; exit 1\"]\n      \
         interval: 1s\n      retries: 2\n  api:\n    image: {BUSYBOX}\n    command: {IDLE}\n    \
         depends_on:\n      db: {{ condition: service_healthy }}\n"
    ));
    let started = Instant::now();
    let out = phi(
        dir.path(),
        &stack,
        &["--json", "--timeout", "60s", "start-all"],
    );
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(started.elapsed() < Duration::from_secs(30), "not a timeout");
    let report = out.json();
    let db = entry(&report, "services", "db");
    assert_eq!(db["state"], "failed", "{db}");
    assert!(db["error"].as_str().unwrap().contains("unhealthy"), "{db}");
    assert!(
        db["health_output"]
            .to_string()
            .contains("db refuses connections"),
        "{db}"
    );
    assert_eq!(entry(&report, "services", "api")["state"], "skipped");

    // status and monitor say the same.
    let status = phi(dir.path(), &stack, &["status", "--json"]);
    assert_eq!(status.code, 3);
    let doc = status.json();
    let row = entry(&doc, "services", "db");
    assert_eq!(row["health"], "unhealthy", "{row}");
    assert!(
        row["problem"]
            .to_string()
            .contains("db refuses connections"),
        "{row}"
    );
    let monitor = phi(dir.path(), &stack, &["monitor", "--count", "1"]);
    assert!(matches!(monitor.code, 0 | 3), "{}", monitor.stderr);
    let sample: serde_json::Value =
        serde_json::from_str(monitor.stdout.lines().next().expect("a sample")).unwrap();
    assert_eq!(entry(&sample, "containers", "db")["health"], "unhealthy");
}

#[test]
fn start_all_status_monitor_and_stop_all_agree_on_a_healthy_stack() {
    let stack = Stack::new("mx-round");
    let p = &stack.name;
    let dir = project_dir(&format!(
        "services:\n  db:\n    image: {BUSYBOX}\n    stop_grace_period: 1s\n    command: {IDLE}\n    \
         healthcheck:\n      test: [\"CMD-SHELL\", \"test -d /\"]\n      interval: 30s\n  \
         web:\n    image: {BUSYBOX}\n    stop_grace_period: 1s\n    command: {IDLE}\n    \
         depends_on:\n      db: {{ condition: service_healthy }}\n"
    ));
    let out = phi(dir.path(), &stack, &["--json", "start-all"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let report = out.json();
    assert_eq!(entry(&report, "services", "db")["state"], "healthy");
    assert_eq!(entry(&report, "services", "web")["state"], "running");

    let status = phi(dir.path(), &stack, &["status", "--json"]);
    assert_eq!(status.code, 0, "{}", status.stdout);
    let doc = status.json();
    assert_eq!(entry(&doc, "services", "db")["health"], "healthy");
    let monitor = phi(dir.path(), &stack, &["monitor", "--count", "1"]);
    assert_eq!(monitor.code, 0, "{}", monitor.stderr);
    let sample: serde_json::Value =
        serde_json::from_str(monitor.stdout.lines().next().expect("a sample")).unwrap();
    assert_eq!(entry(&sample, "containers", "db")["health"], "healthy");
    assert_eq!(entry(&sample, "containers", "web")["state"], "running");

    let stop = phi(dir.path(), &stack, &["stop-all"]);
    assert_eq!(stop.code, 0, "{}", stop.stderr);
    for service in ["db", "web"] {
        let running = docker(&[
            "inspect",
            "-f",
            "{{.State.Running}}",
            &format!("{p}-{service}-1"),
        ]);
        assert_eq!(running, "false", "{service}");
    }
}
