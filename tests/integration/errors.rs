//! Bad input: each case exits 2 (or 4) with a message naming the file, line or key, and never
//! shows a secret. None of these reach the engine.

use crate::support::{Phi, project_dir};

#[test]
fn a_nonexistent_compose_file() {
    let dir = project_dir("services: {}\n");
    Phi::new(dir.path())
        .args(["-f", "missing.yaml", "status"])
        .run()
        .code(2)
        .stderr_has("missing.yaml: cannot read file")
        .stderr_has("caused by: No such file or directory");
}

#[test]
fn no_compose_file_in_the_project_directory() {
    let dir = tempfile::tempdir().unwrap();
    Phi::new(dir.path())
        .args(["status"])
        .run()
        .code(2)
        .stderr_has("no compose file found")
        .stderr_has("compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml");
}

#[test]
fn invalid_yaml_points_to_file_line_and_column() {
    let dir = project_dir("services:\n  web:\n    image: busybox\n   bad-indent: [\n");
    let out = Phi::new(dir.path()).args(["status"]).run();
    out.code(2).stderr_has("compose.yaml:4:");
    assert!(out.stderr.contains("invalid YAML"), "{}", out.stderr);
}

#[test]
fn an_unset_required_variable() {
    let dir = project_dir(
        "services:\n  db:\n    image: busybox\n    environment:\n      PASSWORD: ${DB_PASSWORD:?set DB_PASSWORD in .env}\n",
    );
    Phi::new(dir.path())
        .args(["status"])
        .run()
        .code(2)
        .stderr_has("`services.db.environment.PASSWORD`")
        .stderr_has("required variable DB_PASSWORD is missing a value: set DB_PASSWORD in .env");
}

#[test]
fn an_env_file_with_a_bad_line_never_shows_the_value() {
    let dir = project_dir("services:\n  db:\n    image: busybox\n");
    std::fs::write(
        dir.path().join(".env"),
        "OK=1\nPOSTGRES_PASSWORD=fine\nsuper-secret-s3cr3t without equals\n",
    )
    .unwrap();
    let out = Phi::new(dir.path()).args(["status"]).run();
    out.code(2).stderr_has(".env:3: invalid line in env file");
    assert!(
        !out.stderr.contains("super-secret-s3cr3t"),
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains("super-secret-s3cr3t"));
}

#[test]
fn a_missing_explicit_env_file_is_an_error_but_a_missing_default_is_not() {
    let dir = project_dir("services:\n  db:\n    image: busybox\n");
    Phi::new(dir.path())
        .args(["--env-file", "prod.env", "status"])
        .env("DOCKER_HOST", "unix:///nonexistent.sock")
        .run()
        .code(2)
        .stderr_has("prod.env: cannot read file");
    // No .env at all: configuration is fine, and phi gets as far as the engine.
    Phi::new(dir.path())
        .args(["status"])
        .env("DOCKER_HOST", "unix:///nonexistent.sock")
        .run()
        .code(4);
}

#[test]
fn var_and_var_file_both_set() {
    let dir = project_dir(
        "services:\n  db:\n    image: busybox\n    environment:\n      P: ${DB_PASS}\n",
    );
    std::fs::write(
        dir.path().join(".env"),
        "DB_PASS=abc-secret-value\nDB_PASS_FILE=pw.txt\n",
    )
    .unwrap();
    let out = Phi::new(dir.path()).args(["status"]).run();
    out.code(2)
        .stderr_has("both DB_PASS")
        .stderr_has("DB_PASS_FILE");
    assert!(!out.stderr.contains("abc-secret-value"));
}

#[test]
fn garbage_docker_host() {
    let dir = project_dir("services:\n  db:\n    image: busybox\n");
    Phi::new(dir.path())
        .args(["status"])
        .env("DOCKER_HOST", "not a host")
        .run()
        .code(2)
        .stderr_has("invalid DOCKER_HOST `not a host`");
}

#[test]
fn bad_flags_and_values_are_usage_errors() {
    let dir = project_dir("services: {}\n");
    Phi::new(dir.path())
        .args(["status", "--bogus"])
        .run()
        .code(2);
    Phi::new(dir.path())
        .args(["--timeout", "soon", "status"])
        .run()
        .code(2)
        .stderr_has("not a duration");
    Phi::new(dir.path()).args(["frobnicate"]).run().code(2);
    Phi::new(dir.path())
        .args(["-p", "Bad Name", "status"])
        .run()
        .code(2)
        .stderr_has("invalid project name `Bad Name`");
}

#[test]
fn a_service_that_is_not_a_mapping_names_the_key() {
    let dir = project_dir("services:\n  web: just-a-string\n");
    Phi::new(dir.path())
        .args(["status"])
        .run()
        .code(2)
        .stderr_has("`services.web`");
}

#[test]
fn unknown_compose_keys_are_refused_and_unknown_phi_settings_warned() {
    // A typo in phi's own settings is a warning.
    let dir =
        project_dir("services:\n  web:\n    image: busybox\n    x-phi:\n      helth_url: x\n");
    Phi::new(dir.path())
        .args(["status"])
        .env("DOCKER_HOST", "unix:///nonexistent.sock")
        .run()
        .stderr_has("`services.web.x-phi.helth_url` is not a phi setting");
    // A key the Compose specification does not have is refused, as Compose refuses it,
    // before the engine is asked anything.
    let dir = project_dir("services:\n  web:\n    image: busybox\n    imgae: typo\n");
    for command in ["status", "start-all", "config"] {
        Phi::new(dir.path())
            .args([command])
            .env("DOCKER_HOST", "unix:///nonexistent.sock")
            .run()
            .code(2)
            .stderr_has("`services.web.imgae`")
            .stderr_has("additional properties 'imgae' not allowed");
    }
}

#[test]
fn every_wait_ends_within_its_bound_on_an_engine_that_hangs() {
    let engine = crate::support::stalled_engine();
    let dir = crate::support::project_dir("services:\n  web:\n    image: phi-test/busybox\n");
    let started = std::time::Instant::now();
    let out = Phi::new(dir.path())
        .env("DOCKER_HOST", &engine)
        .args(["start-all", "--timeout", "3s"])
        .run();
    out.code(5);
    let took = started.elapsed();
    assert!(
        took < std::time::Duration::from_secs(5),
        "start-all took {took:?}"
    );

    let started = std::time::Instant::now();
    let out = Phi::new(dir.path())
        .env("DOCKER_HOST", &engine)
        .args([
            "--timeout",
            "2s",
            "monitor",
            "--count",
            "2",
            "--interval",
            "1s",
        ])
        .run();
    assert!(out.code == 5 || out.code == 4, "{}", out.stderr);
    let took = started.elapsed();
    assert!(
        took < std::time::Duration::from_secs(6),
        "monitor took {took:?}"
    );
}

#[test]
fn an_ssh_engine_s_port_is_handed_to_ssh() {
    let dir = project_dir("services:\n  db:\n    image: busybox\n");
    // A stand-in ssh that says what it was asked and fails as ssh does on a closed port.
    let bin = tempfile::tempdir().unwrap();
    let args = bin.path().join("args");
    let fake = bin.path().join("ssh");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\necho \"$@\" > {}\necho \"ssh: connect to host localhost port 1: Connection refused\" >&2\nexit 255\n",
            args.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap()
    );
    Phi::new(dir.path())
        .args(["status"])
        .env("DOCKER_HOST", "ssh://root@localhost:1")
        .env("PATH", &path)
        .run()
        .code(4)
        .stderr_has("ssh://root@localhost:1: ssh: connect to host localhost port 1");
    assert_eq!(
        std::fs::read_to_string(&args).unwrap().trim(),
        "-o BatchMode=yes -T -l root -p 1 -- localhost docker system dial-stdio"
    );

    // The system's ssh, where there is one: the port reaches it (nothing listens on port 1).
    if std::path::Path::new("/usr/bin/ssh").is_file() {
        Phi::new(dir.path())
            .args(["status"])
            .env("DOCKER_HOST", "ssh://root@localhost:1")
            .run()
            .code(4)
            .stderr_has("port 1");
    }
}
