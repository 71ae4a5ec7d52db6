//! `phi start-all` against the real engine: dependency order and concurrency seen in container
//! start times, health gating that does not wait for the healthcheck interval, failures with
//! their healthcheck output and logs, the timeout, idempotence and recreation, one-shot jobs,
//! post_start, build, preflight, and interoperation with Docker Compose v2.

use std::time::{Duration, SystemTime};

use crate::support::{BUSYBOX, Output, Phi, Stack, compose_v2, docker, project_dir};

/// A service body that becomes ready (creates /tmp/ready) after `secs` and then stays up.
fn ready_after(secs: f64) -> String {
    format!(
        "    image: {BUSYBOX}\n    stop_grace_period: 1s\n    command: [\"sh\", \"-c\", \
         \"sleep {secs}; touch /tmp/ready; trap 'exit 0' TERM; while :; do sleep 0.1; done\"]\n    \
         healthcheck:\n      test: [\"CMD\", \"test\", \"-f\", \"/tmp/ready\"]\n      \
         interval: 30s\n      timeout: 5s\n      retries: 3\n"
    )
}

/// A service that stays up without a healthcheck.
pub(crate) fn plain(extra: &str) -> String {
    format!(
        "    image: {BUSYBOX}\n    stop_grace_period: 1s\n    command: [\"sh\", \"-c\", \
         \"trap 'exit 0' TERM; while :; do sleep 0.1; done\"]\n{extra}"
    )
}

pub(crate) fn start_all(dir: &std::path::Path, stack: &Stack, args: &[&str]) -> Output {
    Phi::new(dir)
        .args(["-p", &stack.name, "--json", "start-all"])
        .args(args)
        .run()
}

fn time_of(container: &str, field: &str) -> SystemTime {
    let text = docker(&[
        "inspect",
        "-f",
        &format!("{{{{.State.{field}}}}}"),
        container,
    ]);
    humantime::parse_rfc3339(text.trim()).unwrap_or_else(|e| panic!("{field} {text:?}: {e}"))
}

fn after(later: SystemTime, earlier: SystemTime) -> f64 {
    match later.duration_since(earlier) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

pub fn service<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == name)
        .unwrap_or_else(|| panic!("no service {name} in {report}"))
}

fn id_of(container: &str) -> String {
    docker(&["inspect", "-f", "{{.Id}}", container])
        .trim()
        .to_string()
}

fn exists(container: &str) -> bool {
    !docker(&["ps", "-aq", "--filter", &format!("name=^{container}$")])
        .trim()
        .is_empty()
}

#[test]
fn services_start_in_dependency_order_as_soon_as_dependencies_are_healthy() {
    let stack = Stack::new("start-order");
    let p = &stack.name;
    let dir = project_dir(&format!(
        "services:\n  db:\n{db}  cache:\n{db}  queue:\n{db}  api:\n{api}    depends_on:\n      \
         db: {{ condition: service_healthy }}\n      cache: {{ condition: service_healthy }}\n  \
         web:\n{api}    depends_on:\n      api: {{ condition: service_healthy }}\n",
        db = ready_after(1.5),
        api = ready_after(0.2),
    ));
    let out = start_all(dir.path(), &stack, &[]);
    out.code(0);
    let report = out.json();
    assert_eq!(report["ok"], true);
    for name in ["db", "cache", "queue", "api", "web"] {
        let s = service(&report, name);
        assert_eq!(s["state"], "healthy", "{s}");
        assert_eq!(s["action"], "create", "{s}");
        // The engine's first check is 30 s away: only the exec probe can have decided.
        assert_eq!(s["signal"], "exec probe", "{s}");
    }
    assert!(
        report["seconds"].as_f64().unwrap() < 15.0,
        "not bound by the 30 s interval: {report}"
    );
    let started = |s: &str| time_of(&format!("{p}-{s}-1"), "StartedAt");
    let (db, cache, queue, api, web) = (
        started("db"),
        started("cache"),
        started("queue"),
        started("api"),
        started("web"),
    );
    // Independent services start together, not one after another.
    for (a, b) in [(db, cache), (db, queue), (cache, queue)] {
        assert!(after(a, b).abs() < 1.0, "level 1 started apart");
    }
    // api waits for db and cache to be healthy (1.5 s), web for api.
    assert!(after(api, db) >= 1.4, "api {:.2}s after db", after(api, db));
    assert!(after(api, cache) >= 1.4);
    assert!(
        after(web, api) >= 0.15,
        "web {:.2}s after api",
        after(web, api)
    );
}

#[test]
fn a_failing_healthcheck_is_reported_and_its_dependants_are_not_started() {
    let stack = Stack::new("start-unhealthy");
    let p = &stack.name;
    let dir = project_dir(&format!(
        "services:\n  db:\n    image: {BUSYBOX}\n    stop_grace_period: 1s\n    command: \
         [\"sh\", \"-c\", \"echo db booting; trap 'exit 0' TERM; while :; do sleep 0.1; done\"]\n    \
         healthcheck:\n      test: [\"CMD-SHELL\", \"echo db is not accepting connections; exit 1\"]\n      \
         interval: 1s\n      retries: 2\n  api:\n{api}    depends_on:\n      \
         db: {{ condition: service_healthy }}\n  cache:\n{cache}",
        api = plain(""),
        cache = ready_after(0.1),
    ));
    let out = start_all(dir.path(), &stack, &[]);
    out.code(1);
    let report = out.json();
    let db = service(&report, "db");
    assert_eq!(db["state"], "failed", "{db}");
    assert!(db["error"].as_str().unwrap().contains("unhealthy"), "{db}");
    let outputs = db["health_output"].to_string();
    assert!(outputs.contains("db is not accepting connections"), "{db}");
    assert!(db["logs"].to_string().contains("db booting"), "{db}");
    let api = service(&report, "api");
    assert_eq!(api["state"], "skipped", "{api}");
    assert!(!exists(&format!("{p}-api-1")), "api must not be created");
    // The healthy, independent service keeps running.
    assert_eq!(service(&report, "cache")["state"], "healthy");
    let running = docker(&[
        "inspect",
        "-f",
        "{{.State.Running}}",
        &format!("{p}-cache-1"),
    ]);
    assert_eq!(running.trim(), "true");

    // The human report shows the output and the log lines too.
    let text = Phi::new(dir.path()).args(["-p", p, "start-all"]).run();
    text.code(1);
    text.stdout_has("db is not accepting connections")
        .stdout_has("last log lines")
        .stdout_has("db booting");
}

#[test]
fn an_exiting_dependency_stops_its_dependants() {
    let stack = Stack::new("start-exit");
    let p = &stack.name;
    let dir = project_dir(&format!(
        "services:\n  db:\n    image: {BUSYBOX}\n    command: [\"sh\", \"-c\", \
         \"echo 'fatal: bad config'; exit 3\"]\n    healthcheck:\n      \
         test: [\"CMD\", \"true\"]\n      interval: 30s\n  api:\n{api}    depends_on:\n      \
         db: {{ condition: service_healthy }}\n",
        api = plain(""),
    ));
    let out = start_all(dir.path(), &stack, &[]);
    out.code(1);
    let report = out.json();
    let db = service(&report, "db");
    assert_eq!(db["state"], "failed");
    assert!(
        db["error"].as_str().unwrap().contains("exited with code 3"),
        "{db}"
    );
    assert!(db["logs"].to_string().contains("fatal: bad config"), "{db}");
    assert_eq!(service(&report, "api")["state"], "skipped");
    assert!(!exists(&format!("{p}-api-1")));
}

#[test]
fn a_service_that_never_gets_healthy_times_out_with_exit_5() {
    let stack = Stack::new("start-timeout");
    let dir = project_dir(&format!(
        "services:\n  db:\n    image: {BUSYBOX}\n    stop_grace_period: 1s\n    command: \
         [\"sh\", \"-c\", \"trap 'exit 0' TERM; while :; do sleep 0.1; done\"]\n    healthcheck:\n      \
         test: [\"CMD-SHELL\", \"echo still warming up; exit 1\"]\n      interval: 30s\n"
    ));
    let out = Phi::new(dir.path())
        .args(["-p", &stack.name, "--json", "--timeout", "3s", "start-all"])
        .run();
    out.code(5);
    assert!(out.elapsed < Duration::from_secs(15), "{:?}", out.elapsed);
    let db = service(&out.json(), "db").clone();
    assert_eq!(db["state"], "timed out", "{db}");
    assert!(
        db["health_output"].to_string().contains("still warming up"),
        "{db}"
    );
}

#[test]
fn a_rerun_leaves_containers_alone_and_a_change_recreates_only_that_service() {
    let stack = Stack::new("start-idem");
    let p = &stack.name;
    let compose = |x: &str| {
        format!(
            "services:\n  a:\n{}  b:\n{}",
            plain(""),
            plain(&format!(
                "    environment:\n      X: \"{x}\"\n    depends_on: [a]\n"
            ))
        )
    };
    let dir = project_dir(&compose("1"));
    start_all(dir.path(), &stack, &[]).code(0);
    let (a1, b1) = (id_of(&format!("{p}-a-1")), id_of(&format!("{p}-b-1")));

    let again = start_all(dir.path(), &stack, &[]);
    again.code(0);
    let report = again.json();
    for name in ["a", "b"] {
        assert_eq!(service(&report, name)["action"], "up to date");
    }
    assert_eq!(id_of(&format!("{p}-a-1")), a1);
    assert_eq!(id_of(&format!("{p}-b-1")), b1);

    std::fs::write(dir.path().join("compose.yaml"), compose("2")).unwrap();
    let changed = start_all(dir.path(), &stack, &[]);
    changed.code(0);
    let report = changed.json();
    assert_eq!(service(&report, "a")["action"], "up to date");
    assert_eq!(service(&report, "b")["action"], "recreate");
    assert_eq!(id_of(&format!("{p}-a-1")), a1, "a is untouched");
    assert_ne!(id_of(&format!("{p}-b-1")), b1, "b is new");
    let env = docker(&["inspect", "-f", "{{.Config.Env}}", &format!("{p}-b-1")]);
    assert!(env.contains("X=2"), "{env}");

    // A stopped container with an unchanged configuration is started, not recreated.
    docker(&["stop", "-t", "1", &format!("{p}-a-1")]);
    let restarted = start_all(dir.path(), &stack, &[]);
    restarted.code(0);
    assert_eq!(service(&restarted.json(), "a")["action"], "start");
    assert_eq!(id_of(&format!("{p}-a-1")), a1);
}

#[test]
fn a_one_shot_job_completes_before_what_waits_for_it() {
    let stack = Stack::new("start-init");
    let p = &stack.name;
    let dir = project_dir(&format!(
        "services:\n  migrate:\n    image: {BUSYBOX}\n    command: [\"sh\", \"-c\", \
         \"sleep 0.5; echo migrated\"]\n  app:\n{app}    depends_on:\n      \
         migrate: {{ condition: service_completed_successfully }}\n",
        app = plain(""),
    ));
    let out = start_all(dir.path(), &stack, &[]);
    out.code(0);
    let report = out.json();
    let migrate = service(&report, "migrate");
    assert_eq!(migrate["state"], "completed", "{migrate}");
    assert_eq!(migrate["signal"], "exit 0");
    assert_eq!(service(&report, "app")["state"], "running");
    let finished = time_of(&format!("{p}-migrate-1"), "FinishedAt");
    let app = time_of(&format!("{p}-app-1"), "StartedAt");
    assert!(
        after(app, finished) >= 0.0,
        "app started before migrate finished"
    );

    // A failing job keeps its dependant from starting.
    let failing = project_dir(&format!(
        "services:\n  migrate:\n    image: {BUSYBOX}\n    command: [\"sh\", \"-c\", \"exit 2\"]\n  \
         app:\n{app}    depends_on:\n      migrate: {{ condition: service_completed_successfully }}\n",
        app = plain(""),
    ));
    let other = Stack::new("start-init-fail");
    let out = start_all(failing.path(), &other, &[]);
    out.code(1);
    assert_eq!(service(&out.json(), "app")["state"], "skipped");
}

#[test]
fn post_start_commands_run_once_ready_and_a_failure_fails_the_run() {
    let stack = Stack::new("start-post");
    let dir = project_dir(&format!(
        "services:\n  db:\n{db}    x-phi:\n      post_start:\n        \
         - echo applying migration 0001; echo schema ready\n  api:\n{api}    x-phi:\n      \
         post_start: [[\"sh\", \"-c\", \"echo seeding; exit 4\"]]\n    depends_on:\n      \
         db: {{ condition: service_healthy }}\n  web:\n{api}    depends_on:\n      \
         api: {{ condition: service_started }}\n",
        db = ready_after(0.1),
        api = plain(""),
    ));
    let out = start_all(dir.path(), &stack, &[]);
    out.code(1);
    out.stderr_has("applying migration 0001")
        .stderr_has("schema ready")
        .stderr_has("seeding");
    let report = out.json();
    assert_eq!(service(&report, "db")["state"], "healthy");
    let api = service(&report, "api");
    assert_eq!(api["state"], "failed");
    assert!(
        api["error"]
            .as_str()
            .unwrap()
            .contains("exited with code 4"),
        "{api}"
    );
}

#[test]
fn preflight_reports_every_problem_and_touches_nothing() {
    let stack = Stack::new("start-preflight");
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = held.local_addr().unwrap().port();
    let dir = project_dir(&format!(
        "x-phi:\n  required_env: [DB_PASSWORD]\n  requires: [phi-no-such-command]\n\
         services:\n  web:\n{web}    ports: [\"127.0.0.1:{port}:80\"]\n    \
         volumes: [{{type: bind, source: ./missing-dir, target: /data}}]\n",
        web = plain(""),
    ));
    let out = Phi::new(dir.path())
        .args(["-p", &stack.name, "start-all"])
        .run();
    out.code(2);
    out.stderr_has("DB_PASSWORD is not set")
        .stderr_has("phi-no-such-command")
        .stderr_has("missing-dir does not exist")
        .stderr_has(&format!("{port}/tcp is already in use"));
    assert!(!exists(&format!("{}-web-1", stack.name)));
    let networks = docker(&[
        "network",
        "ls",
        "-q",
        "--filter",
        &format!("label=com.docker.compose.project={}", stack.name),
    ]);
    assert!(networks.trim().is_empty(), "no network was created");

    // Only prerequisites missing: exit 4.
    std::fs::create_dir(dir.path().join("missing-dir")).unwrap();
    let out = Phi::new(dir.path())
        .env("DB_PASSWORD", "s3cret-value-1")
        .args(["-p", &stack.name, "start-all"])
        .run();
    out.code(4);
    drop(held);
}

#[test]
fn a_missing_short_syntax_bind_source_is_created_as_compose_does() {
    let stack = Stack::new("start-bind");
    let dir = project_dir(&format!(
        "services:\n  web:\n{web}    volumes: [\"./data/nested:/data\", \"./conf:/conf:ro,z\"]\n",
        web = plain(""),
    ));
    let out = start_all(dir.path(), &stack, &[]);
    out.code(0);
    assert!(
        dir.path().join("data/nested").is_dir(),
        "the engine created the bind source"
    );
    assert!(dir.path().join("conf").is_dir());
    // The container sees the host folder, read-only where asked.
    let container = format!("{}-web-1", stack.name);
    std::fs::write(dir.path().join("data/nested/hello"), "hi").unwrap();
    let seen = docker(&["exec", &container, "cat", "/data/hello"]);
    assert_eq!(seen.trim(), "hi");
    let mounts = docker(&[
        "inspect",
        "-f",
        "{{range .Mounts}}{{.Destination}}={{.RW}} {{end}}",
        &container,
    ]);
    assert!(
        mounts.contains("/conf=false") && mounts.contains("/data=true"),
        "{mounts}"
    );
}

#[test]
fn network_mode_and_host_settings_reach_the_engine() {
    let stack = Stack::new("start-host");
    let dir = project_dir(&format!(
        "services:\n  app:\n{app}    expose: [\"8080\"]\n    ulimits: {{nofile: {{soft: 1024, hard: 2048}}}}\n    \
         tty: true\n    sysctls: {{net.ipv4.ip_unprivileged_port_start: \"1024\"}}\n  \
         sidecar:\n{sidecar}    network_mode: service:app\n    ipc: shareable\n",
        app = plain(""),
        sidecar = plain(""),
    ));
    let out = start_all(dir.path(), &stack, &[]);
    out.code(0);
    let report = out.json();
    // The sidecar joins the app's network namespace, so it comes up after it.
    let order: Vec<&str> = report["order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(order, ["app", "sidecar"]);
    let app = format!("{}-app-1", stack.name);
    let sidecar = format!("{}-sidecar-1", stack.name);
    let inspect = |c: &str, f: &str| docker(&["inspect", "-f", f, c]).trim().to_string();
    // The engine records the namespace owner by ID.
    assert_eq!(
        inspect(&sidecar, "{{.HostConfig.NetworkMode}}"),
        format!("container:{}", inspect(&app, "{{.Id}}"))
    );
    assert_eq!(inspect(&sidecar, "{{.HostConfig.IpcMode}}"), "shareable");
    assert_eq!(inspect(&app, "{{.Config.Tty}}"), "true");
    assert!(inspect(&app, "{{json .Config.ExposedPorts}}").contains("8080/tcp"));
    assert_eq!(
        inspect(
            &app,
            "{{range .HostConfig.Ulimits}}{{.Name}}={{.Soft}}/{{.Hard}}{{end}}"
        ),
        "nofile=1024/2048"
    );
    assert_eq!(
        inspect(
            &app,
            "{{index .HostConfig.Sysctls \"net.ipv4.ip_unprivileged_port_start\"}}"
        ),
        "1024"
    );
    // Same hostname: one network namespace.
    let hostname = |c: &str| docker(&["exec", c, "hostname"]).trim().to_string();
    assert_eq!(hostname(&sidecar), hostname(&app));
}

#[test]
fn dry_run_prints_the_plan_and_changes_nothing() {
    let stack = Stack::new("start-dry");
    let dir = project_dir(&format!(
        "services:\n  a:\n{a}  b:\n{a}    depends_on: [a]\nvolumes:\n  data: {{}}\n",
        a = plain("")
    ));
    let out = start_all(dir.path(), &stack, &["--dry-run"]);
    out.code(0);
    let report = out.json();
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["order"], serde_json::json!(["a", "b"]));
    assert_eq!(service(&report, "b")["action"], "create");
    assert!(!exists(&format!("{}-a-1", stack.name)));
    let text = Phi::new(dir.path())
        .args(["-p", &stack.name, "start-all", "--dry-run"])
        .run();
    text.code(0);
    text.stdout_has("nothing was changed")
        .stdout_has(&format!("ensure network {}_default", stack.name));
}

#[test]
fn a_service_with_build_is_built_through_the_engine() {
    let stack = Stack::new("start-build");
    let p = &stack.name;
    let dir = project_dir(
        "services:\n  app:\n    build:\n      context: ./app\n      dockerfile: Dockerfile.expenditure\n      \
         args: { GREETING: hello-from-build }\n    stop_grace_period: 1s\n",
    );
    std::fs::create_dir(dir.path().join("app")).unwrap();
    std::fs::write(
        dir.path().join("app/Dockerfile.expenditure"),
        format!(
            "FROM {BUSYBOX}\nARG GREETING\nRUN echo $GREETING > /greeting\n\
             CMD [\"sh\", \"-c\", \"cat /greeting; trap 'exit 0' TERM; while :; do sleep 0.1; done\"]\n"
        ),
    )
    .unwrap();
    let image = format!("{p}-app");
    struct Image(String);
    impl Drop for Image {
        fn drop(&mut self) {
            let _ = std::process::Command::new("docker")
                .args(["rmi", "-f", &self.0])
                .output();
        }
    }
    let _image = Image(image.clone());
    let out = start_all(dir.path(), &stack, &[]);
    out.code(0);
    out.stderr_has("Step 1/");
    assert_eq!(service(&out.json(), "app")["state"], "running");
    let logs = docker(&["logs", &format!("{p}-app-1")]);
    assert!(logs.contains("hello-from-build"), "{logs}");
}

#[test]
fn a_pull_failure_names_the_image() {
    let stack = Stack::new("start-pull");
    let dir = project_dir("services:\n  app:\n    image: phi-test/not-here:1\n");
    let out = Phi::new(dir.path())
        .args(["-p", &stack.name, "start-all"])
        .run();
    out.code(1);
    out.stdout_has("cannot pull phi-test/not-here:1");
    let never = Phi::new(dir.path())
        .args(["-p", &stack.name, "start-all", "--pull", "never"])
        .run();
    never.code(4);
    never.stderr_has("phi-test/not-here:1");
}

#[test]
fn docker_compose_sees_the_stack_and_stop_all_takes_it_down() {
    let stack = Stack::new("start-compose");
    let p = &stack.name;
    let dir = project_dir(&format!(
        "services:\n  db:\n{db}  api:\n{api}    depends_on: [db]\nvolumes:\n  data: {{}}\n",
        db = plain(""),
        api = plain("    volumes: [\"data:/data\"]\n"),
    ));
    start_all(dir.path(), &stack, &[]).code(0);

    let compose = compose_v2().expect("Compose v2 (scripts/setup-test-env.sh installs it)");
    let ps = std::process::Command::new(&compose)
        .args(["-p", p, "ps", "--format", "{{.Service}} {{.State}}"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&ps.stdout);
    assert!(listed.contains("db running"), "{listed}");
    assert!(listed.contains("api running"), "{listed}");
    Phi::new(dir.path()).args(["-p", p, "status"]).run().code(0);

    let down = Phi::new(dir.path())
        .args(["-p", p, "--json", "stop-all", "--remove"])
        .run();
    down.code(0);
    let report = down.json();
    assert_eq!(report["order"], serde_json::json!(["api", "db"]));
    assert!(!exists(&format!("{p}-db-1")) && !exists(&format!("{p}-api-1")));
    assert_eq!(
        report["networks_removed"],
        serde_json::json!([format!("{p}_default")])
    );
    let api_stopped = report["containers"].as_array().unwrap();
    assert_eq!(api_stopped.len(), 2);
}

#[test]
fn ctrl_c_stops_waiting_and_leaves_the_containers_with_exit_130() {
    interrupted_by("-INT");
}

#[test]
fn sigterm_is_handled_as_ctrl_c_is() {
    interrupted_by("-TERM");
}

/// start-all, interrupted by `signal` while it waits: exit 130, containers left as they are.
fn interrupted_by(signal: &str) {
    let stack = Stack::new("start-int");
    let p = &stack.name;
    let dir = project_dir(&format!("services:\n  slow:\n{}", ready_after(300.0)));
    let (mut child, _home) = Phi::new(dir.path()).args(["-p", p, "start-all"]).spawn();
    // Interrupt once the container runs and phi is waiting for it.
    let container = format!("{p}-slow-1");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while docker(&["ps", "-q", "--filter", &format!("name=^{container}$")])
        .trim()
        .is_empty()
    {
        assert!(std::time::Instant::now() < deadline, "never started");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(300));
    std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{signal}");
    let running = docker(&["inspect", "-f", "{{.State.Running}}", &container]);
    assert_eq!(running.trim(), "true", "the container is left as it was");
}

#[test]
fn services_scale_and_orphans_follow_the_flags() {
    let stack = Stack::new("start-scope");
    let p = &stack.name;
    let compose = |scale: u32| {
        format!(
            "services:\n  db:\n{db}  api:\n{db}    scale: {scale}\n    depends_on: [db]\n  \
             tool:\n{db}",
            db = plain(""),
        )
    };
    let dir = project_dir(&compose(2));
    // --services brings up the named service and what it depends on, nothing else.
    let out = start_all(dir.path(), &stack, &["--services", "api"]);
    out.code(0);
    let report = out.json();
    assert_eq!(report["order"], serde_json::json!(["db", "api"]));
    assert!(exists(&format!("{p}-api-1")) && exists(&format!("{p}-api-2")));
    assert!(!exists(&format!("{p}-tool-1")));

    // Scaling down removes the surplus container; the first one stays as it was.
    let api1 = id_of(&format!("{p}-api-1"));
    std::fs::write(dir.path().join("compose.yaml"), compose(1)).unwrap();
    start_all(dir.path(), &stack, &[]).code(0);
    assert!(!exists(&format!("{p}-api-2")), "surplus replica removed");
    assert_eq!(id_of(&format!("{p}-api-1")), api1);

    // A container of an undeclared service is listed, and removed only when asked.
    stack.run(
        "legacy",
        &[],
        &[
            "sh",
            "-c",
            "trap 'exit 0' TERM; while :; do sleep 0.1; done",
        ],
    );
    let listed = start_all(dir.path(), &stack, &[]);
    listed.code(0);
    assert_eq!(
        listed.json()["orphans"],
        serde_json::json!([format!("{p}-legacy-1")])
    );
    assert!(exists(&format!("{p}-legacy-1")));
    let removed = start_all(dir.path(), &stack, &["--remove-orphans"]);
    removed.code(0);
    assert_eq!(
        removed.json()["orphans_removed"],
        serde_json::json!([format!("{p}-legacy-1")])
    );
    assert!(!exists(&format!("{p}-legacy-1")));
}

#[test]
fn two_start_alls_at_once_make_one_network_and_stop_all_removes_it() {
    let stack = Stack::new("start-race");
    let dir = project_dir(&format!(
        "services:\n  a:\n{a}  b:\n{b}",
        a = plain(""),
        b = plain("")
    ));
    let spawn = || {
        Phi::new(dir.path())
            .args(["-p", &stack.name, "start-all"])
            .spawn()
    };
    let (mut first, _h1) = spawn();
    let (mut second, _h2) = spawn();
    let one = first.wait().unwrap();
    let two = second.wait().unwrap();
    assert_eq!((one.code(), two.code()), (Some(0), Some(0)));
    let networks = docker(&[
        "network",
        "ls",
        "-q",
        "--filter",
        &format!("label=com.docker.compose.project={}", stack.name),
    ]);
    assert_eq!(networks.lines().count(), 1, "{networks}");
    // The dry run names the network it would remove; the real run removes it.
    let out = Phi::new(dir.path())
        .args(["-p", &stack.name, "stop-all", "--remove", "--dry-run"])
        .run();
    out.code(0)
        .stdout_has(&format!("network {}_default: would remove", stack.name));
    Phi::new(dir.path())
        .args(["-p", &stack.name, "stop-all", "--remove"])
        .run()
        .code(0);
    let left = docker(&[
        "network",
        "ls",
        "-q",
        "--filter",
        &format!("label=com.docker.compose.project={}", stack.name),
    ]);
    assert!(left.trim().is_empty(), "{left}");
}
