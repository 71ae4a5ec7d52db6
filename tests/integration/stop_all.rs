//! `phi stop-all` against real containers: reverse dependency order, grace periods,
//! --remove with networks, --volumes behind a confirmation, --dry-run, cycles.

use std::time::{Duration, Instant};

use crate::support::{BUSYBOX, Phi, Stack, docker, project_dir, run_on_terminal};

/// Exits 0.3 s after SIGTERM, so that stop times are far enough apart to order.
const SLOW_STOP: &[&str] = &[
    "sh",
    "-c",
    "trap 'sleep 0.3; exit 0' TERM; while :; do sleep 0.1; done",
];

fn chain_compose() -> String {
    format!(
        "services:\n  db:\n    image: {BUSYBOX}\n  api:\n    image: {BUSYBOX}\n    depends_on: [db]\n  \
         web:\n    image: {BUSYBOX}\n    depends_on:\n      api: {{ condition: service_started }}\n  \
         cron:\n    image: {BUSYBOX}\n    depends_on: [db]\n"
    )
}

fn finished_at(container: &str) -> String {
    docker(&["inspect", "-f", "{{.State.FinishedAt}}", container])
}

#[test]
fn dependents_stop_before_what_they_depend_on() {
    let stack = Stack::new("stop-order");
    let dir = project_dir(&chain_compose());
    let db = stack.run("db", &[], SLOW_STOP);
    let api = stack.run("api", &[], SLOW_STOP);
    let web = stack.run("web", &[], SLOW_STOP);
    let cron = stack.run("cron", &[], SLOW_STOP);
    let out = Phi::new(dir.path())
        .args(["-p", &stack.name, "stop-all", "--json"])
        .run();
    out.code(0);
    let report = out.json();
    assert_eq!(report["ok"], true);
    assert_eq!(
        report["order"],
        serde_json::json!(["cron", "web", "api", "db"])
    );
    for c in report["containers"].as_array().unwrap() {
        assert_eq!(c["action"], "stopped", "{c}");
    }
    // Observed on the engine: web before api before db, cron before db.
    let (db, api, web, cron) = (
        finished_at(&db),
        finished_at(&api),
        finished_at(&web),
        finished_at(&cron),
    );
    assert!(web < api && api < db, "web {web} api {api} db {db}");
    assert!(cron < db, "cron {cron} db {db}");
    for c in [&db, &api, &web, &cron] {
        assert!(!c.starts_with("0001"), "all stopped");
    }
    // Running it again finds nothing to stop.
    let again = Phi::new(dir.path())
        .args(["-p", &stack.name, "stop-all", "--json"])
        .run();
    again.code(0);
    for c in again.json()["containers"].as_array().unwrap() {
        assert_eq!(c["action"], "already stopped");
    }
}

#[test]
fn the_grace_period_ends_in_a_kill() {
    let stack = Stack::new("stop-grace");
    let yaml = format!("services:\n  stubborn:\n    image: {BUSYBOX}\n    stop_grace_period: 1s\n");
    let dir = project_dir(&yaml);
    // Ignores SIGTERM.
    let c = stack.run(
        "stubborn",
        &[],
        &["sh", "-c", "trap '' TERM; while :; do sleep 0.1; done"],
    );
    let start = Instant::now();
    Phi::new(dir.path())
        .args(["-p", &stack.name, "stop-all"])
        .run()
        .code(0)
        .stdout_has("1 stopped");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(6),
        "{took:?}"
    );
    assert_eq!(docker(&["inspect", "-f", "{{.State.ExitCode}}", &c]), "137");
}

#[test]
fn remove_takes_containers_and_networks_and_volumes_need_a_yes() {
    let stack = Stack::new("stop-down");
    let dir = project_dir(&chain_compose());
    let label = format!("com.docker.compose.project={}", stack.name);
    let network = format!("{}_default", stack.name);
    let volume = format!("{}_data", stack.name);
    docker(&["network", "create", "--label", &label, &network]);
    docker(&["volume", "create", "--label", &label, &volume]);
    stack.run(
        "db",
        &["--network", &network, "-v", &format!("{volume}:/data")],
        SLOW_STOP,
    );
    stack.run("api", &["--network", &network], SLOW_STOP);

    // Off a terminal, deleting volumes without --yes is refused before anything changes.
    let out = Phi::new(dir.path())
        .args(["-p", &stack.name, "stop-all", "--volumes"])
        .run();
    out.code(2).stderr_has("--yes");
    assert_eq!(
        docker(&[
            "inspect",
            "-f",
            "{{.State.Running}}",
            &format!("{}-db-1", stack.name)
        ]),
        "true"
    );

    // The dry run says what would happen and changes nothing.
    let out = Phi::new(dir.path())
        .args(["-p", &stack.name, "stop-all", "--volumes", "--dry-run"])
        .run();
    out.code(0)
        .stdout_has("stop order api -> db")
        .stdout_has("would stop and remove")
        .stdout_has(&format!("volume {volume}: would remove"));

    let out = Phi::new(dir.path())
        .args([
            "-p",
            &stack.name,
            "stop-all",
            "--volumes",
            "--yes",
            "--json",
        ])
        .run();
    out.code(0);
    let report = out.json();
    assert_eq!(report["networks_removed"], serde_json::json!([network]));
    assert_eq!(report["volumes_removed"], serde_json::json!([volume]));
    let filter = format!("label={label}");
    assert_eq!(docker(&["ps", "-aq", "--filter", &filter]), "");
    assert_eq!(docker(&["network", "ls", "-q", "--filter", &filter]), "");
    assert_eq!(docker(&["volume", "ls", "-q", "--filter", &filter]), "");
}

#[test]
fn a_dependency_cycle_is_refused_naming_it() {
    let yaml = format!(
        "services:\n  a:\n    image: {BUSYBOX}\n    depends_on: [b]\n  b:\n    image: {BUSYBOX}\n    depends_on: [a]\n"
    );
    let dir = project_dir(&yaml);
    crate::support::require_engine();
    Phi::new(dir.path())
        .args(["-p", "phit-cycle", "stop-all"])
        .run()
        .code(2)
        .stderr_has("dependency cycle: a -> b -> a");
}

/// A small stack phi starts itself: a service on the default network with a named volume.
fn started_stack(test: &str) -> (Stack, tempfile::TempDir) {
    let stack = Stack::new(test);
    let yaml = format!(
        "services:\n  db:\n    image: {BUSYBOX}\n    command: [sh, -c, \"trap 'exit 0' TERM; while :; do sleep 0.1; done\"]\n    \
         volumes: [data:/data]\n  api:\n    image: {BUSYBOX}\n    command: [sh, -c, \"trap 'exit 0' TERM; while :; do sleep 0.1; done\"]\n    \
         depends_on: [db]\nvolumes:\n  data:\n"
    );
    let dir = project_dir(&yaml);
    Phi::new(dir.path())
        .args(["-p", &stack.name, "start-all"])
        .run()
        .code(0);
    (stack, dir)
}

#[test]
fn the_dry_run_lists_exactly_what_the_real_run_removes() {
    let (stack, dir) = started_stack("stop-dry");
    let network = format!("{}_default", stack.name);
    let volume = format!("{}_data", stack.name);
    let phi = |args: &[&str]| {
        Phi::new(dir.path())
            .args(["-p", &stack.name, "stop-all", "--remove", "--volumes"])
            .args(args)
            .run()
    };
    let text = phi(&["--dry-run"]);
    text.code(0)
        .stdout_has(&format!("network {network}: would remove"))
        .stdout_has(&format!("volume {volume}: would remove"))
        .stdout_has("would stop and remove");
    let planned = phi(&["--dry-run", "--json"]);
    planned.code(0);
    let planned = planned.json();
    assert_eq!(planned["dry_run"], true);
    assert_eq!(planned["networks_removed"], serde_json::json!([network]));
    assert_eq!(planned["volumes_removed"], serde_json::json!([volume]));
    // Nothing changed.
    let label = format!("label=com.docker.compose.project={}", stack.name);
    let running = docker(&["ps", "-q", "--filter", &label]);
    assert_eq!(running.lines().count(), 2, "{running}");

    let done = phi(&["--yes", "--json"]);
    done.code(0);
    let done = done.json();
    for key in [
        "networks_removed",
        "volumes_removed",
        "hook_containers_removed",
        "order",
    ] {
        assert_eq!(
            done[key], planned[key],
            "{key}: planned {planned:#}, done {done:#}"
        );
    }
    let containers = |report: &serde_json::Value| -> Vec<String> {
        report["containers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["container"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(containers(&done), containers(&planned));
    assert_eq!(docker(&["ps", "-aq", "--filter", &label]), "");
    assert_eq!(docker(&["network", "ls", "-q", "--filter", &label]), "");
    assert_eq!(docker(&["volume", "ls", "-q", "--filter", &label]), "");
}

#[test]
fn declining_the_volumes_prompt_exits_6_and_changes_nothing() {
    let (stack, dir) = started_stack("stop-decline");
    let mut phi = Phi::new(dir.path());
    phi.command()
        .args(["-p", &stack.name, "stop-all", "--remove", "--volumes"]);
    let out = run_on_terminal(phi, "Their data is deleted.", "n");
    assert_eq!(out.code, 6, "{}", out.stderr);
    assert!(
        !out.stderr.to_lowercase().contains("error"),
        "a declined prompt is no error: {}",
        out.stderr
    );
    assert!(out.stderr.contains("nothing was changed"), "{}", out.stderr);
    // Nothing was stopped or removed.
    let label = format!("label=com.docker.compose.project={}", stack.name);
    assert_eq!(docker(&["ps", "-q", "--filter", &label]).lines().count(), 2);
    assert_eq!(
        docker(&["volume", "ls", "-q", "--filter", &label]),
        format!("{}_data", stack.name)
    );
    assert_eq!(
        docker(&["network", "ls", "-q", "--filter", &label])
            .lines()
            .count(),
        1
    );
}
