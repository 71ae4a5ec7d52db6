//! Compose's lifecycle hooks on the real engine: `pre_start` (a one-shot container before
//! the service starts), `post_start` (exec'd right after the start, before dependants see the
//! service started) and `pre_stop` (exec'd before `phi stop-all` stops the container), with
//! their failures, their output and --dry-run.

use std::time::Duration;

use crate::start_all::{plain as up, service};
use crate::support::{BUSYBOX, Output, Phi, Stack, docker, project_dir};

fn phi(dir: &std::path::Path, stack: &Stack, args: &[&str]) -> Output {
    Phi::new(dir)
        .args(["-p", &stack.name, "--json"])
        .args(args)
        .run()
}

fn state(container: &str) -> String {
    docker(&["inspect", "-f", "{{.State.Status}}", container])
        .trim()
        .to_string()
}

/// The project's pre_start hook containers of `service`, running or not.
fn hook_containers(stack: &Stack, service: &str) -> Vec<String> {
    docker(&[
        "ps",
        "-aq",
        "--filter",
        &format!("label=com.docker.compose.project={}", stack.name),
        "--filter",
        &format!("label=com.docker.compose.service={service}"),
        "--filter",
        "label=com.docker.compose.hook=pre_start",
    ])
    .split_whitespace()
    .map(str::to_string)
    .collect()
}

#[test]
fn post_start_runs_in_the_container_as_told_and_a_failure_skips_dependants() {
    let stack = Stack::new("hook-post");
    let dir = project_dir(&format!(
        "services:\n  app:\n{app}  bad:\n{bad}  after:\n{after}",
        app = up(
            "    environment: {SVC: from-service, DB_PASSWORD: \"${DB_PASSWORD}\"}\n    \
             post_start:\n      - command: sh -c \
             'echo \"uid=$$(id -u) dir=$$(pwd) x=$$X svc=$$SVC pw=$$DB_PASSWORD\"'\n        \
             user: \"1000\"\n        working_dir: /tmp\n        environment: [X=from-hook]\n"
        ),
        bad = up(
            "    post_start:\n      - command: [echo, first hook ran]\n      - command: \
             [sh, -c, 'echo migration exploded >&2; exit 3']\n"
        ),
        after = up("    depends_on: [bad]\n"),
    ));

    let plan = Phi::new(dir.path())
        .args(["-p", &stack.name, "start-all", "--dry-run"])
        .run();
    plan.code(0);
    plan.stdout_has("run post_start[0] `sh -c echo \"uid=$(id -u)")
        .stdout_has("run post_start[1] `sh -c echo migration exploded >&2; exit 3` of bad");

    let out = Phi::new(dir.path())
        .env("DB_PASSWORD", "hook-Secret-4f2a9c")
        .args(["-p", &stack.name, "--json", "start-all"])
        .run();
    out.code(1);
    // Its output is streamed, with the secrets it prints redacted.
    out.stderr_has("app | uid=1000 dir=/tmp x=from-hook svc=from-service pw=[redacted]")
        .stderr_has("bad | first hook ran")
        .stderr_has("bad | migration exploded");
    let report = out.json();
    let app = service(&report, "app");
    assert_eq!(app["state"], "running", "{app}");
    assert_eq!(app["hooks"][0]["result"], "ok");
    assert_eq!(app["hooks"][0]["exit_code"], 0);
    assert!(!out.stderr.contains("hook-Secret") && !out.stdout.contains("hook-Secret"));
    let bad = service(&report, "bad");
    assert_eq!(bad["state"], "failed");
    let error = bad["error"].as_str().unwrap();
    assert!(
        error.contains("post_start[1] `sh -c echo migration exploded >&2; exit 3`")
            && error.contains("exited with code 3"),
        "{error}"
    );
    assert_eq!(bad["hooks"][1]["output"][0], "migration exploded");
    // As in Compose, the container stays up; what depends on it is not started.
    assert_eq!(state(&format!("{}-bad-1", stack.name)), "running");
    assert_eq!(service(&report, "after")["state"], "skipped");

    // The human report shows the hook's last output. (An up-to-date container is left
    // alone, its hooks with it: recreate it to run them again.)
    let text = Phi::new(dir.path())
        .args([
            "-p",
            &stack.name,
            "start-all",
            "--services",
            "bad",
            "--force-recreate",
        ])
        .run();
    text.code(1);
    text.stdout_has("last output of post_start[1]")
        .stdout_has("migration exploded");
}

#[test]
fn pre_start_runs_before_the_service_and_its_failure_blocks_it() {
    let stack = Stack::new("hook-pre");
    let dir = project_dir(&format!(
        "services:\n  web:\n{web}  broken:\n{broken}  after:\n{after}volumes:\n  data:\n",
        web = up(
            "    environment: {GREETING: hello}\n    volumes: [data:/data]\n    pre_start:\n      \
             - command: [sh, -c, 'echo \"$$GREETING $$EXTRA\" > /data/greeting; echo prepared']\n        \
             environment: [EXTRA=world]\n    post_start:\n      - command: [cat, /data/greeting]\n"
        ),
        broken = up("    pre_start:\n      - command: [sh, -c, 'echo no database >&2; exit 5']\n"),
        after = up("    depends_on:\n      broken: {condition: service_started}\n"),
    ));

    let plan = Phi::new(dir.path())
        .args(["-p", &stack.name, "start-all", "--dry-run"])
        .run();
    plan.code(0);
    plan.stdout_has("run pre_start[0] `sh -c echo \"$GREETING $EXTRA\"")
        .stdout_has(&format!("of web in a new container of {BUSYBOX}"));

    let out = phi(dir.path(), &stack, &["start-all"]);
    out.code(1);
    // The file it wrote in the shared volume was there when the service started.
    out.stderr_has("web | prepared")
        .stderr_has("web | hello world");
    let report = out.json();
    let web = service(&report, "web");
    assert_eq!(web["state"], "running");
    let kinds: Vec<&str> = web["hooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["hook"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["pre_start", "post_start"]);
    assert!(
        hook_containers(&stack, "web").is_empty(),
        "a pre_start container that succeeded is removed"
    );

    let broken = service(&report, "broken");
    assert_eq!(broken["state"], "failed");
    let error = broken["error"].as_str().unwrap();
    assert!(
        error.contains("pre_start[0]") && error.contains("exited with code 5"),
        "{error}"
    );
    assert_eq!(broken["hooks"][0]["output"][0], "no database");
    assert_eq!(state(&format!("{}-broken-1", stack.name)), "created");
    assert_eq!(service(&report, "after")["state"], "skipped");
    // A failed one is kept for inspection, and replaced by the next run's.
    let kept = hook_containers(&stack, "broken");
    assert_eq!(kept.len(), 1);

    let again = phi(dir.path(), &stack, &["start-all"]);
    again.code(1);
    let report = again.json();
    assert!(
        service(&report, "web")["hooks"]
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing runs for a service that is up to date"
    );
    let now = hook_containers(&stack, "broken");
    assert_eq!(now.len(), 1);
    assert_ne!(now, kept);
    // `stop-all --remove` takes it away too, and with it the network it is attached to.
    let down = phi(dir.path(), &stack, &["stop-all", "--remove"]);
    down.code(0);
    assert!(hook_containers(&stack, "broken").is_empty());
    assert_eq!(down.json()["networks_removed"].as_array().unwrap().len(), 1);
}

#[test]
fn pre_stop_runs_before_the_stop_and_its_failure_keeps_the_container_up() {
    let stack = Stack::new("hook-stop");
    let dir = project_dir(&format!(
        "services:\n  db:\n{db}  writer:\n{writer}volumes:\n  data:\n",
        db = up(""),
        writer = up(
            "    depends_on: [db]\n    volumes: [data:/data]\n    pre_stop:\n      - command: \
             [sh, -c, 'echo flushed by $$(hostname) > /data/bye; echo flushing']\n"
        ),
    ));
    phi(dir.path(), &stack, &["start-all"]).code(0);

    let plan = Phi::new(dir.path())
        .args(["-p", &stack.name, "stop-all", "--dry-run"])
        .run();
    plan.code(0);
    plan.stdout_has("first run pre_stop[0] `sh -c echo flushed by");

    let out = phi(dir.path(), &stack, &["stop-all"]);
    out.code(0);
    out.stderr_has("writer | flushing");
    let report = out.json();
    let writer = report["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["service"] == "writer")
        .unwrap();
    assert_eq!(writer["action"], "stopped");
    assert_eq!(writer["hooks"][0]["result"], "ok");
    // Its side effect outlives it: a later container reads what it wrote in the volume.
    let id = docker(&[
        "inspect",
        "-f",
        "{{.Config.Hostname}}",
        &format!("{}-writer-1", stack.name),
    ]);
    let volume = format!("{}_data", stack.name);
    let read = docker(&[
        "run",
        "--rm",
        "-v",
        &format!("{volume}:/data"),
        BUSYBOX,
        "cat",
        "/data/bye",
    ]);
    assert_eq!(read.trim(), format!("flushed by {}", id.trim()));

    // A failing pre_stop: the container is not stopped, nor what it depends on.
    std::fs::write(
        dir.path().join("compose.yaml"),
        format!(
            "services:\n  db:\n{db}  writer:\n{writer}volumes:\n  data:\n",
            db = up(""),
            writer = up(
                "    depends_on: [db]\n    volumes: [data:/data]\n    pre_stop:\n      - command: \
                 [sh, -c, 'echo cannot flush >&2; exit 2']\n"
            ),
        ),
    )
    .unwrap();
    phi(dir.path(), &stack, &["start-all"]).code(0);
    let out = phi(dir.path(), &stack, &["stop-all"]);
    out.code(1);
    let report = out.json();
    let problems = report["problems"].to_string();
    assert!(
        problems.contains("pre_stop[0] `sh -c echo cannot flush >&2; exit 2` exited with code 2"),
        "{problems}"
    );
    assert!(problems.contains("still running"), "{problems}");
    assert_eq!(state(&format!("{}-writer-1", stack.name)), "running");
    assert_eq!(state(&format!("{}-db-1", stack.name)), "running");
}

#[test]
fn a_hook_is_bounded_by_the_timeout_and_interrupted_by_ctrl_c() {
    let stack = Stack::new("hook-wait");
    let p = &stack.name;
    let dir = project_dir(&format!(
        "services:\n  slow:\n{}",
        up("    post_start:\n      - command: [sh, -c, 'touch /tmp/hooking; sleep 300']\n")
    ));
    let started = std::time::Instant::now();
    let out = phi(dir.path(), &stack, &["--timeout", "3s", "start-all"]);
    out.code(5);
    assert!(started.elapsed() < Duration::from_secs(20), "bounded");
    let report = out.json();
    let slow = service(&report, "slow");
    assert_eq!(slow["state"], "timed out");
    assert_eq!(slow["hooks"][0]["result"], "timed out");
    assert!(
        slow["error"]
            .as_str()
            .unwrap()
            .contains("post_start[0] `sh -c touch /tmp/hooking; sleep 300` did not finish"),
        "{slow}"
    );

    // Ctrl-C while the hook runs: exit 130 at once.
    let (mut child, _home) = Phi::new(dir.path())
        .args(["-p", p, "start-all", "--force-recreate"])
        .spawn();
    let container = format!("{p}-slow-1");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let probe = std::process::Command::new("docker")
            .args(["exec", &container, "test", "-f", "/tmp/hooking"])
            .output()
            .unwrap();
        if probe.status.success() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the hook never ran");
        std::thread::sleep(Duration::from_millis(100));
    }
    let interrupted = std::time::Instant::now();
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(interrupted.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_pre_start_image_is_checked_before_anything_starts() {
    let stack = Stack::new("hook-image");
    let dir = project_dir(&format!(
        "services:\n  web:\n{}",
        up("    pre_start:\n      - image: phi-test/no-such-image:0\n        command: [true]\n")
    ));
    let out = Phi::new(dir.path())
        .args(["-p", &stack.name, "start-all", "--pull", "never"])
        .run();
    out.code(4);
    out.stderr_has("image phi-test/no-such-image:0 (services web) is not on the engine");
    let created = docker(&[
        "ps",
        "-aq",
        "--filter",
        &format!("label=com.docker.compose.project={}", stack.name),
    ]);
    assert!(created.trim().is_empty(), "nothing was created");
}
