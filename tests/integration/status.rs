//! `phi status` against real containers, one state at a time.

use std::time::Duration;

use crate::support::{BUSYBOX, Phi, Stack, compose_v2, docker, http_server, project_dir};

fn compose(services: &[&str]) -> String {
    let mut text = String::from("services:\n");
    for s in services {
        text.push_str(&format!("  {s}:\n    image: {BUSYBOX}\n"));
    }
    text
}

fn status_json(stack: &Stack, dir: &std::path::Path) -> (i32, serde_json::Value) {
    let out = Phi::new(dir)
        .args(["-p", &stack.name, "status", "--json"])
        .run();
    (out.code, out.json())
}

fn row<'a>(doc: &'a serde_json::Value, service: &str) -> &'a serde_json::Value {
    doc["services"]
        .as_array()
        .expect("services array")
        .iter()
        .find(|r| r["service"] == service)
        .unwrap_or_else(|| panic!("no row for {service} in {doc:#}"))
}

#[test]
fn healthy_and_plain_running_services_pass() {
    let stack = Stack::new("healthy");
    let dir = project_dir(&compose(&["web", "worker"]));
    let web = stack.run(
        "web",
        &[
            "--health-cmd",
            "true",
            "--health-interval",
            "1s",
            "-p",
            "127.0.0.1::8080",
        ],
        &["sleep", "300"],
    );
    stack.run("worker", &[], &["sleep", "300"]);
    stack.wait_for(&web, "{{.State.Health.Status}}", |s| s == "healthy");

    let (code, doc) = status_json(&stack, dir.path());
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["project"], stack.name.as_str());
    assert_eq!(doc["ok"], true);
    let web = row(&doc, "web");
    assert_eq!(web["state"], "running");
    assert_eq!(web["health"], "healthy");
    assert_eq!(web["verdict"], "ok");
    assert_eq!(web["container"], format!("{}-web-1", stack.name).as_str());
    assert_eq!(web["image"], BUSYBOX);
    assert_eq!(web["restarts"], 0);
    assert!(web["uptime_seconds"].is_u64());
    let port = &web["ports"][0];
    assert_eq!(port["host_ip"], "127.0.0.1");
    assert_eq!(port["container_port"], 8080);
    assert!(port["host_port"].as_u64().unwrap() > 0);
    let worker = row(&doc, "worker");
    assert_eq!(worker["health"], serde_json::Value::Null);
    assert_eq!(worker["verdict"], "ok");

    // The human table, piped: no colour codes, one line per service, a summary.
    let out = Phi::new(dir.path())
        .args(["-p", &stack.name, "status"])
        .run();
    out.code(0);
    assert!(!out.stdout.contains('\u{1b}'), "{}", out.stdout);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[0].starts_with("SERVICE"), "{}", out.stdout);
    assert!(lines[1].starts_with("web ") && lines[1].contains("healthy"));
    assert!(lines[2].starts_with("worker ") && lines[2].contains("running"));
    out.stdout_has(&format!("{}: 2 ok, 0 failing, 0 warning", stack.name));
}

#[test]
fn an_unhealthy_service_fails_with_its_healthcheck_output() {
    let stack = Stack::new("unhealthy");
    let dir = project_dir(&compose(&["db"]));
    let db = stack.run(
        "db",
        &[
            "--health-cmd",
            "echo starting probe; echo db-down-marker; exit 1",
            "--health-interval",
            "1s",
            "--health-retries",
            "1",
        ],
        &["sleep", "300"],
    );
    stack.wait_for(&db, "{{.State.Health.Status}}", |s| s == "unhealthy");
    let (code, doc) = status_json(&stack, dir.path());
    assert_eq!(code, 3);
    let db = row(&doc, "db");
    assert_eq!(db["health"], "unhealthy");
    assert_eq!(db["verdict"], "failing");
    assert_eq!(db["health_output"], "db-down-marker");
    let out = Phi::new(dir.path())
        .args(["-p", &stack.name, "status"])
        .run();
    out.code(3).stdout_has("unhealthy: db-down-marker");
}

#[test]
fn exited_restarting_and_missing_services_fail() {
    let stack = Stack::new("down");
    let dir = project_dir(&compose(&["job", "flappy", "absent"]));
    let job = stack.run("job", &[], &["sh", "-c", "exit 7"]);
    let flappy = stack.run("flappy", &["--restart", "always"], &["sh", "-c", "exit 1"]);
    stack.wait_for(&job, "{{.State.Status}}", |s| s == "exited");
    // Docker doubles the restart delay each time; after a few restarts the container spends
    // most of its time waiting in the restarting state.
    stack.wait_for(&flappy, "{{.RestartCount}} {{.State.Restarting}}", |s| {
        let mut parts = s.split(' ');
        let count: u32 = parts.next().unwrap_or("0").parse().unwrap_or(0);
        count >= 4 && parts.next() == Some("true")
    });
    // Between two restarts the container runs for a few milliseconds; look again if phi
    // happened to catch that moment.
    let (mut code, mut doc) = status_json(&stack, dir.path());
    for _ in 0..5 {
        if row(&doc, "flappy")["state"] == "restarting" {
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
        (code, doc) = status_json(&stack, dir.path());
    }
    assert_eq!(code, 3);
    let job = row(&doc, "job");
    assert_eq!(job["state"], "exited");
    assert_eq!(job["exit_code"], 7);
    let problem = job["problem"].as_str().unwrap();
    assert!(
        problem.starts_with("exited with code 7, ") && problem.ends_with(" ago"),
        "{problem}"
    );
    assert!(job["finished_at"].is_string());
    let flappy = row(&doc, "flappy");
    assert_eq!(flappy["state"], "restarting");
    assert!(flappy["restarts"].as_u64().unwrap() >= 4);
    assert_eq!(flappy["verdict"], "failing");
    let absent = row(&doc, "absent");
    assert_eq!(absent["state"], "missing");
    assert_eq!(absent["container"], serde_json::Value::Null);
    assert_eq!(absent["verdict"], "failing");
}

#[test]
fn a_starting_service_is_ok_only_once_its_healthcheck_passes() {
    let stack = Stack::new("starting");
    let dir = project_dir(&compose(&["slow"]));
    let slow = stack.run(
        "slow",
        &[
            "--health-cmd",
            "test -f /tmp/ready",
            "--health-interval",
            "120s",
            "--health-start-period",
            "120s",
        ],
        &["sleep", "300"],
    );
    stack.wait_for(&slow, "{{.State.Health.Status}}", |s| s == "starting");
    let (code, doc) = status_json(&stack, dir.path());
    assert_eq!(code, 3);
    assert_eq!(row(&doc, "slow")["health"], "starting");
    // The engine's first check is two minutes away; phi runs the test itself and sees it pass.
    docker(&["exec", &slow, "touch", "/tmp/ready"]);
    let (code, doc) = status_json(&stack, dir.path());
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(row(&doc, "slow")["health"], "healthy");
    let engine = docker(&["inspect", "-f", "{{.State.Health.Status}}", &slow]);
    assert_eq!(engine.trim(), "starting", "the engine has not looked yet");
}

#[test]
fn undeclared_containers_are_orphans_but_do_not_fail() {
    let stack = Stack::new("orphan");
    let dir = project_dir(&compose(&["web"]));
    stack.run("web", &[], &["sleep", "300"]);
    stack.run("renamed", &[], &["sleep", "300"]);
    let (code, doc) = status_json(&stack, dir.path());
    assert_eq!(code, 0, "{doc:#}");
    let orphan = row(&doc, "renamed");
    assert_eq!(orphan["state"], "orphan");
    assert_eq!(orphan["verdict"], "warning");
    assert_eq!(
        orphan["container"],
        format!("{}-renamed-1", stack.name).as_str()
    );
}

#[test]
fn services_filter_and_unknown_names() {
    let stack = Stack::new("filter");
    let dir = project_dir(&compose(&["web", "db"]));
    stack.run("web", &[], &["sleep", "300"]);
    let out = Phi::new(dir.path())
        .args(["-p", &stack.name, "status", "--json", "--services", "web"])
        .run();
    out.code(0);
    let doc = out.json();
    assert_eq!(doc["services"].as_array().unwrap().len(), 1);
    let out = Phi::new(dir.path())
        .args(["-p", &stack.name, "status", "--services", "web,nope"])
        .run();
    out.code(2).stderr_has("no such service: nope");
    assert!(out.stdout.is_empty());
}

#[test]
fn http_probes_report_status_and_fail_the_service() {
    let stack = Stack::new("probe");
    let (good, _g) = http_server(200);
    let (bad, _b) = http_server(503);
    let yaml = format!(
        "services:\n  api:\n    image: {BUSYBOX}\n    x-phi:\n      health_url: {good}/health\n  \
         admin:\n    image: {BUSYBOX}\n    x-phi:\n      health_url: {bad}/health/ready\n      health_timeout: 2s\n"
    );
    let dir = project_dir(&yaml);
    stack.run("api", &[], &["sleep", "300"]);
    stack.run("admin", &[], &["sleep", "300"]);
    let (code, doc) = status_json(&stack, dir.path());
    assert_eq!(code, 3, "{doc:#}");
    let api = row(&doc, "api");
    assert_eq!(api["probe"]["status"], 200);
    assert_eq!(api["probe"]["ok"], true);
    assert!(api["probe"]["latency_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(api["verdict"], "ok");
    let admin = row(&doc, "admin");
    assert_eq!(admin["probe"]["status"], 503);
    assert_eq!(admin["verdict"], "failing");
    assert_eq!(
        admin["problem"],
        format!("probe {bad}/health/ready answered 503").as_str()
    );
}

#[test]
fn colour_follows_the_flag_and_the_environment() {
    let stack = Stack::new("colour");
    let dir = project_dir(&compose(&["web"]));
    stack.run("web", &[], &["sleep", "300"]);
    let args = ["-p", stack.name.as_str(), "status"];
    let forced = Phi::new(dir.path())
        .args(args)
        .args(["--color", "always"])
        .run();
    assert!(forced.stdout.contains("\u{1b}["), "{}", forced.stdout);
    let clicolor = Phi::new(dir.path())
        .args(args)
        .env("CLICOLOR_FORCE", "1")
        .run();
    assert!(clicolor.stdout.contains("\u{1b}["));
    let no_color = Phi::new(dir.path())
        .args(args)
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .run();
    assert!(!no_color.stdout.contains("\u{1b}["), "{}", no_color.stdout);
}

#[test]
fn a_stack_started_by_docker_compose_is_reported() {
    let Some(compose) = compose_v2() else {
        panic!("Docker Compose v2 is not installed; run scripts/setup-test-env.sh");
    };
    let stack = Stack::new("compose");
    let yaml = format!(
        "name: {}\nservices:\n  db:\n    image: {BUSYBOX}\n    command: [\"sleep\", \"300\"]\n    \
         healthcheck:\n      test: [\"CMD\", \"true\"]\n      interval: 1s\n  \
         web:\n    image: {BUSYBOX}\n    command: [\"sleep\", \"300\"]\n    depends_on:\n      db:\n        condition: service_healthy\n",
        stack.name
    );
    let dir = project_dir(&yaml);
    let up = std::process::Command::new(&compose)
        .current_dir(dir.path())
        .args(["up", "-d", "--wait"])
        .output()
        .expect("run compose");
    assert!(
        up.status.success(),
        "compose up: {}",
        String::from_utf8_lossy(&up.stderr)
    );
    // No -p: the name comes from the file, as it did for Compose.
    let out = Phi::new(dir.path()).args(["status", "--json"]).run();
    out.code(0);
    let doc = out.json();
    assert_eq!(row(&doc, "db")["health"], "healthy");
    assert_eq!(
        row(&doc, "web")["container"],
        format!("{}-web-1", stack.name).as_str()
    );
    docker(&["ps"]); // the engine still answers after phi's requests
}

#[test]
fn an_unreachable_engine_exits_4_within_two_seconds() {
    let dir = project_dir(&compose(&["web"]));
    let out = Phi::new(dir.path())
        .args(["status"])
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .run();
    out.code(4)
        .stderr_has("cannot connect to the Docker engine at unix:///nonexistent/docker.sock")
        .stderr_has("hint:");
    assert!(out.elapsed < Duration::from_secs(2), "{:?}", out.elapsed);

    // A listener that accepts and never answers: the connect timeout decides.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let out = Phi::new(dir.path())
        .args(["status"])
        .env("DOCKER_HOST", format!("tcp://127.0.0.1:{port}"))
        .run();
    out.code(4).stderr_has("no answer within 2 s");
    // 2 s of waiting, plus process start-up on a loaded machine.
    assert!(out.elapsed < Duration::from_secs(3), "{:?}", out.elapsed);
    drop(listener);
}

#[test]
fn permission_denied_on_the_socket_gives_the_docker_group_hint() {
    use std::os::unix::fs::PermissionsExt;
    let dir = project_dir(&compose(&["web"]));
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(
        dir.path().join("compose.yaml"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    // A socket nobody may open. Root ignores file modes, so as root phi runs as `nobody`
    // (setpriv, outside every group); as anyone else it runs as that user.
    let sock_dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(sock_dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let sock = sock_dir.path().join("docker.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    std::fs::set_permissions(&sock, std::fs::Permissions::from_mode(0o000)).unwrap();
    let host = format!("unix://{}", sock.display());
    let is_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let mut phi = Phi::new(dir.path())
        .args(["status"])
        .env("DOCKER_HOST", &host);
    if is_root {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(env!("CARGO_BIN_EXE_phi"))
            .arg("status")
            .current_dir(dir.path())
            .env("HOME", "/nonexistent")
            .env("DOCKER_HOST", &host);
        *phi.command() = c;
    }
    let out = phi.run();
    out.code(4)
        .stderr_has("permission denied on the Docker engine socket")
        .stderr_has("docker group");
}

#[test]
fn secrets_never_appear_in_output() {
    // Secrets used where phi prints them back (the probe URL): one secret-looking variable
    // from .env, one read through the VAR_FILE convention under an ordinary name.
    let stack = Stack::new("secrets");
    let secret = "Sup3r-Secret-Dashboard-Pass";
    let file_secret = "from-a-file-9f8e7d";
    let yaml = format!(
        "services:\n  web:\n    image: {BUSYBOX}\n    x-phi:\n      \
         health_url: http://admin:${{DASHBOARD_PASSWORD}}@127.0.0.1:1/h?k=${{PROBE_CRED}}\n"
    );
    let dir = project_dir(&yaml);
    std::fs::write(
        dir.path().join(".env"),
        format!("DASHBOARD_PASSWORD={secret}\nPROBE_CRED_FILE=cred.txt\n"),
    )
    .unwrap();
    std::fs::write(dir.path().join("cred.txt"), format!("{file_secret}\n")).unwrap();
    stack.run("web", &[], &["sleep", "300"]);
    for extra in [&["--json"][..], &["-vv"][..], &[][..]] {
        let out = Phi::new(dir.path())
            .args(["-p", &stack.name, "status"])
            .args(extra)
            .run();
        out.code(3);
        for s in [secret, file_secret] {
            assert!(
                !out.stdout.contains(s) && !out.stderr.contains(s),
                "secret leaked with {extra:?}:\n{}\n{}",
                out.stdout,
                out.stderr
            );
        }
        assert!(
            out.stdout.contains("[redacted]"),
            "the probe URL is shown, masked: {}",
            out.stdout
        );
    }
}

#[test]
fn a_stack_stopped_by_stop_all_is_stopped_not_unhealthy() {
    let stack = Stack::new("stopped");
    // web has a healthcheck and exits 0 on SIGTERM (the demo's services do); worker ignores
    // SIGTERM and is killed when its grace period ends (137); crashed exits 3 on its own.
    let yaml = format!(
        "services:\n  web:\n    image: {BUSYBOX}\n    command: [sh, -c, \"trap 'exit 0' TERM; while :; do sleep 0.1; done\"]\n    \
         healthcheck:\n      test: [CMD, \"true\"]\n      interval: 1s\n  \
         worker:\n    image: {BUSYBOX}\n    command: [sh, -c, \"trap '' TERM; while :; do sleep 0.1; done\"]\n    \
         stop_grace_period: 1s\n"
    );
    let dir = project_dir(&yaml);
    let phi = |args: &[&str]| {
        Phi::new(dir.path())
            .args(["-p", &stack.name])
            .args(args)
            .run()
    };
    phi(&["start-all"]).code(0);
    let (code, doc) = status_json(&stack, dir.path());
    assert_eq!(
        (code, row(&doc, "web")["health"].as_str()),
        (0, Some("healthy"))
    );
    phi(&["stop-all"]).code(0);

    // The documented exit status of a stack that is not running: 3, worded as stopped.
    let out = phi(&["status"]);
    out.code(3);
    assert!(!out.stdout.contains("unhealthy"), "{}", out.stdout);
    assert!(!out.stdout.contains('✗'), "{}", out.stdout);
    assert!(!out.stdout.contains("exited"), "{}", out.stdout);
    out.stdout_has("0 ok, 0 failing, 0 warning, 2 stopped");
    for line in out
        .stdout
        .lines()
        .filter(|l| l.starts_with("web ") || l.starts_with("worker "))
    {
        assert!(line.contains(" stopped "), "{line}");
    }

    let (code, doc) = status_json(&stack, dir.path());
    assert_eq!(code, 3);
    assert_eq!(doc["ok"], false);
    let web = row(&doc, "web");
    assert_eq!(web["state"], "stopped");
    assert_eq!(web["verdict"], "stopped");
    assert_eq!(web["health"], serde_json::Value::Null);
    assert_eq!(web["exit_code"], 0);
    assert!(web["finished_at"].is_string());
    let worker = row(&doc, "worker");
    assert_eq!(worker["state"], "stopped");
    assert_eq!(worker["exit_code"], 137);
    assert!(
        worker["problem"]
            .as_str()
            .is_some_and(|p| p.starts_with("stopped ") && p.ends_with("(exit code 137)")),
        "{worker}"
    );
}
