//! `phi backup` against real containers: postgres, redis and volume round trips, verify
//! catching a damaged file, Ctrl-C, a full disk, the lock, retention, and the --yes guard.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{Phi, Stack, docker, project_dir};

pub(crate) const POSTGRES: &str = "phi-test/postgres:15";
pub(crate) const REDIS: &str = "phi-test/redis:7";
const DB_PASSWORD: &str = "pg-Secret-4d1f9a";

pub(crate) fn phi(dir: &Path, stack: &Stack) -> Phi {
    Phi::new(dir).args(["-p", &stack.name])
}

/// `docker exec` that must succeed; its stdout, trimmed.
pub(crate) fn exec(container: &str, command: &[&str]) -> String {
    let mut args = vec!["exec", container];
    args.extend_from_slice(command);
    docker(&args)
}

pub(crate) fn psql(container: &str, sql: &str) -> String {
    exec(
        container,
        &[
            "psql",
            "-U",
            "shop",
            "-d",
            "shop",
            "-tA",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ],
    )
}

pub(crate) fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while !ready() {
        assert!(Instant::now() < deadline, "{what} not ready after 90 s");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Wait until `path` exists in the container.
fn wait_for_file(container: &str, path: &str) {
    wait_until(path, || {
        Command::new("docker")
            .args(["exec", container, "test", "-f", path])
            .status()
            .is_ok_and(|s| s.success())
    });
}

fn postgres_ready(container: &str) -> bool {
    Command::new("docker")
        .args([
            "exec",
            container,
            "pg_isready",
            "-q",
            "-h",
            "127.0.0.1",
            "-U",
            "shop",
            "-d",
            "shop",
        ])
        .status()
        .is_ok_and(|s| s.success())
}

/// A postgres container for `stack` (user and database `shop`), ready for connections.
fn start_postgres(stack: &Stack, extra: &[&str], command: &[&str]) -> String {
    let mut args = vec!["-e", "POSTGRES_USER=shop", "-e", "POSTGRES_DB=shop"];
    args.extend_from_slice(extra);
    let db = stack.run_image("db", POSTGRES, &args, command);
    wait_until("postgres", || postgres_ready(&db));
    db
}

fn backups_dir(dir: &Path) -> PathBuf {
    dir.join("backups")
}

/// The one backup folder with a manifest in `dir`.
fn complete_backups(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|r| r.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    found.retain(|p| p.join("manifest.json").is_file());
    found.sort();
    found
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

const TABLE_CHECKSUM: &str =
    "select count(*) || ' ' || md5(string_agg(id || ':' || v, ',' order by id)) from items";

#[test]
fn postgres_redis_and_a_volume_round_trip_and_verify_catches_damage() {
    let stack = Stack::new("backup-trip");
    let volume = format!("{}_media", stack.name);
    let label = format!("com.docker.compose.project={}", stack.name);
    docker(&["volume", "create", "--label", &label, &volume]);
    let compose = format!(
        "services:\n  db:\n    image: {POSTGRES}\n    x-phi:\n      backup:\n        postgres: true\n  \
         cache:\n    image: {REDIS}\n    x-phi: {{ backup: {{ redis: true }} }}\n  \
         files:\n    image: phi-test/busybox\n    volumes: ['media:/srv/media']\n    x-phi:\n      backup:\n        \
         volumes: [media]\n        stop: true\n        pre: \"touch /tmp/pre-ran\"\n\
         volumes:\n  media: {{}}\n"
    );
    let dir = project_dir(&compose);
    let password = format!("POSTGRES_PASSWORD={DB_PASSWORD}");
    let db = start_postgres(&stack, &["-e", &password], &[]);
    let cache = stack.run_image("cache", REDIS, &[], &[]);
    let files = stack.run_idle("files", &["-v", &format!("{volume}:/srv/media")]);
    wait_until("redis", || {
        Command::new("docker")
            .args(["exec", &cache, "redis-cli", "ping"])
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("PONG"))
    });

    // Known data: 5000 generated rows, a few Redis keys, files with binary content.
    psql(
        &db,
        "create table items as select g as id, md5(g::text) as v from generate_series(1, 5000) g",
    );
    let table_before = psql(&db, TABLE_CHECKSUM);
    assert!(table_before.starts_with("5000 "), "{table_before}");
    for (k, v) in [("alpha", "1"), ("beta", "two"), ("gamma", "three three")] {
        exec(&cache, &["redis-cli", "SET", k, v]);
    }
    exec(
        &files,
        &[
            "sh",
            "-c",
            "mkdir -p /srv/media/sub && head -c 300000 /dev/urandom > /srv/media/sub/blob.bin && echo hello > /srv/media/a.txt",
        ],
    );
    let files_before = exec(
        &files,
        &[
            "sh",
            "-c",
            "cd /srv/media && find . -type f | sort | xargs sha256sum",
        ],
    );

    let out = phi(dir.path(), &stack).args(["backup", "--json"]).run();
    out.code(0);
    let report = out.json();
    assert_eq!(report["ok"], true, "{report}");
    let items = report["items"].as_array().unwrap();
    let mut recipes: Vec<&str> = items
        .iter()
        .map(|i| i["recipe"].as_str().unwrap())
        .collect();
    recipes.sort();
    assert_eq!(recipes, ["postgres", "redis", "volume"], "{report}");
    assert!(!out.stdout.contains(DB_PASSWORD) && !out.stderr.contains(DB_PASSWORD));
    // The pre command ran; the stopped service runs again.
    exec(&files, &["test", "-f", "/tmp/pre-ran"]);
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Running}}", &files]),
        "true"
    );

    let root = backups_dir(dir.path());
    let backups = complete_backups(&root);
    assert_eq!(backups.len(), 1);
    let folder = &backups[0];
    assert_eq!(mode(folder), 0o700);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["project"], stack.name.as_str());
    for item in manifest["items"].as_array().unwrap() {
        let file = folder.join(item["file"].as_str().unwrap());
        assert_eq!(mode(&file), 0o600, "{}", file.display());
        assert_eq!(
            std::fs::metadata(&file).unwrap().len(),
            item["size"].as_u64().unwrap()
        );
        assert_eq!(item["compression"], "zstd");
        assert_eq!(item["sha256"].as_str().unwrap().len(), 64);
        // Podman names the images it loaded `localhost/NAME:TAG`.
        let image = item["image"].as_str().unwrap();
        assert!(
            image
                .trim_start_matches("localhost/")
                .starts_with("phi-test/"),
            "{image}"
        );
    }

    // Change and drop data everywhere.
    psql(
        &db,
        "delete from items where id % 2 = 0; update items set v = 'changed'",
    );
    psql(&db, "create table extra (x int)");
    exec(&cache, &["redis-cli", "FLUSHALL"]);
    exec(&cache, &["redis-cli", "SET", "alpha", "overwritten"]);
    exec(
        &files,
        &[
            "sh",
            "-c",
            "rm /srv/media/sub/blob.bin && echo changed > /srv/media/a.txt",
        ],
    );

    // Off a terminal, restore refuses without --yes, and changes nothing.
    let out = phi(dir.path(), &stack)
        .args(["backup", "restore", "latest"])
        .run();
    out.code(2).stderr_has("--yes");
    assert_eq!(psql(&db, "select count(*) from items"), "2500");

    let out = phi(dir.path(), &stack)
        .args(["backup", "restore", "latest", "--yes", "--json"])
        .run();
    out.code(0);
    assert_eq!(out.json()["ok"], true);
    assert_eq!(psql(&db, TABLE_CHECKSUM), table_before);
    wait_until("redis after restore", || {
        Command::new("docker")
            .args(["exec", &cache, "redis-cli", "ping"])
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("PONG"))
    });
    assert_eq!(exec(&cache, &["redis-cli", "GET", "alpha"]), "1");
    assert_eq!(exec(&cache, &["redis-cli", "GET", "gamma"]), "three three");
    assert_eq!(exec(&cache, &["redis-cli", "DBSIZE"]), "3");
    let files_after = exec(
        &files,
        &[
            "sh",
            "-c",
            "cd /srv/media && find . -type f | sort | xargs sha256sum",
        ],
    );
    assert_eq!(files_after, files_before);

    // A Redis with appendonly on would ignore the RDB file: refused, nothing touched.
    exec(&cache, &["redis-cli", "CONFIG", "SET", "appendonly", "yes"]);
    phi(dir.path(), &stack)
        .args([
            "backup",
            "restore",
            "latest",
            "--services",
            "cache",
            "--yes",
        ])
        .run()
        .code(1)
        .stderr_has("appendonly yes");
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Running}}", &cache]),
        "true"
    );

    // verify: all good, then one flipped byte is caught (exit 3).
    let out = phi(dir.path(), &stack)
        .args(["backup", "verify", "--json"])
        .run();
    out.code(0);
    let checks = out.json();
    let pg = checks["backups"][0]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["recipe"] == "postgres")
        .unwrap()
        .clone();
    assert_eq!(pg["pg_restore_list"], "ok", "{checks}");
    let dump = folder.join(pg["file"].as_str().unwrap());
    let mut bytes = std::fs::read(&dump).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&dump, &bytes).unwrap();
    let out = phi(dir.path(), &stack)
        .args(["backup", "verify", "latest"])
        .run();
    out.code(3).stdout_has("FAILED");
    // And restore refuses a backup that does not verify, before touching anything.
    let out = phi(dir.path(), &stack)
        .args(["backup", "restore", "latest", "--yes", "--services", "db"])
        .run();
    out.code(3).stderr_has("nothing was changed");

    let out = phi(dir.path(), &stack).args(["backup", "list"]).run();
    out.code(0)
        .stdout_has("complete")
        .stdout_has("cache,db,files");
}

/// A service with a 1 GiB sparse file to copy: long enough to interrupt or to hold the lock.
fn slow_stack(test: &str, stop: bool) -> (Stack, tempfile::TempDir, String) {
    let stack = Stack::new(test);
    let compose = format!(
        "services:\n  big:\n    image: phi-test/busybox\n    x-phi:\n      backup:\n        paths: [/data]\n        stop: {stop}\n"
    );
    let dir = project_dir(&compose);
    let big = stack.run(
        "big",
        &[],
        &["sh", "-c", "mkdir -p /data && truncate -s 1G /data/sparse && echo small > /data/small && trap 'exit 0' TERM; while :; do sleep 0.1; done"],
    );
    wait_for_file(&big, "/data/small");
    (stack, dir, big)
}

/// Wait until phi's stderr shows `marker`; returns the lines seen so far and the rest to come.
fn wait_for_line(
    child: &mut std::process::Child,
    marker: &str,
) -> (Vec<String>, std::sync::mpsc::Receiver<String>) {
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(100)) {
            let hit = line.contains(marker);
            seen.push(line);
            if hit {
                return (seen, rx);
            }
        }
    }
    panic!(
        "phi never printed {marker:?}; it printed:\n{}",
        seen.join("\n")
    );
}

/// Once phi has stopped a service for its copy, wait `after`, send SIGINT, and expect exit 130;
/// returns what phi printed on stderr from then on.
fn interrupt_during_copy(child: &mut std::process::Child, after: Duration) -> String {
    let (_, rest) = wait_for_line(child, "for the copy");
    std::thread::sleep(after);
    let pid = child.id().to_string();
    let sent = Command::new("kill").args(["-INT", &pid]).status();
    assert!(sent.is_ok_and(|s| s.success()), "kill -INT {pid}");
    assert_eq!(child.wait().unwrap().code(), Some(130));
    rest.iter().collect::<Vec<String>>().join("\n")
}

#[test]
fn ctrl_c_mid_backup_leaves_no_complete_backup_and_restarts_the_service() {
    let (stack, dir, big) = slow_stack("backup-int", true);
    let (mut child, _home) = phi(dir.path(), &stack).args(["backup"]).spawn();
    let rest = interrupt_during_copy(&mut child, Duration::from_millis(1500));
    assert!(
        !rest.contains("Saved"),
        "the copy was not cut short:\n{rest}"
    );
    assert!(
        rest.contains("Started big again") && rest.contains("left incomplete"),
        "{rest}"
    );
    // Started again, and nothing looks like a good backup.
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Running}}", &big]),
        "true"
    );
    let root = backups_dir(dir.path());
    assert!(complete_backups(&root).is_empty());
    let out = phi(dir.path(), &stack)
        .args(["backup", "list", "--json"])
        .run();
    out.code(0);
    let list = out.json();
    assert_eq!(list["backups"][0]["state"], "incomplete", "{list}");
    phi(dir.path(), &stack)
        .args(["backup", "restore", "latest", "--yes"])
        .run()
        .code(2)
        .stderr_has("no complete backup");
}

#[test]
fn ctrl_c_mid_restore_starts_the_stopped_service_again() {
    let (stack, dir, big) = slow_stack("backup-rint", true);
    phi(dir.path(), &stack).args(["backup", "-q"]).run().code(0);
    let (mut child, _home) = phi(dir.path(), &stack)
        .args(["backup", "restore", "latest", "--yes"])
        .spawn();
    let rest = interrupt_during_copy(&mut child, Duration::from_millis(1000));
    assert!(
        !rest.contains("Restored"),
        "the restore was not cut short:\n{rest}"
    );
    assert!(rest.contains("Started big again"), "{rest}");
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Running}}", &big]),
        "true"
    );
}

#[test]
fn two_runs_on_one_directory_meet_the_lock() {
    let (stack, dir, _big) = slow_stack("backup-lock", false);
    let (mut first, _home) = phi(dir.path(), &stack).args(["backup"]).spawn();
    let _ = wait_for_line(&mut first, "Backing up");
    std::thread::sleep(Duration::from_millis(200));
    let second = phi(dir.path(), &stack)
        .args(["backup", "--lock-timeout", "1s"])
        .run();
    second
        .code(5)
        .stderr_has("Waiting for the lock")
        .stderr_has("is locked by phi backup (pid");
    assert!(
        second.stderr.contains(&first.id().to_string()),
        "{}",
        second.stderr
    );
    let status = first.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(complete_backups(&backups_dir(dir.path())).len(), 1);
}

#[test]
fn the_engine_going_away_mid_copy_fails_the_run_and_leaves_no_backup() {
    let (stack, dir, _big) = slow_stack("backup-gone", false);
    let sock = dir.path().join("engine.sock");
    let proxy = crate::support::EngineProxy::start(&sock);
    let (mut child, _home) = phi(dir.path(), &stack)
        .env("DOCKER_HOST", format!("unix://{}", sock.display()))
        .args(["backup"])
        .spawn();
    let _ = wait_for_line(&mut child, "Backing up");
    std::thread::sleep(Duration::from_millis(1000));
    proxy.cut();
    let status = child.wait().unwrap();
    assert!(
        !status.success() && status.code().is_some(),
        "phi must fail, not succeed or crash: {status:?}"
    );
    assert!(complete_backups(&backups_dir(dir.path())).is_empty());
    let out = phi(dir.path(), &stack)
        .args(["backup", "list", "--json"])
        .run();
    assert_eq!(out.json()["backups"][0]["state"], "incomplete");
}

/// A small tmpfs, unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "mounting a tmpfs needs root (the test environment runs as root)"
        );
        Tmpfs { dir }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

#[test]
fn a_full_disk_fails_the_run_and_leaves_older_backups_intact() {
    let stack = Stack::new("backup-full");
    let compose = "services:\n  app:\n    image: phi-test/busybox\n    x-phi:\n      backup:\n        paths: [/data]\n";
    let dir = project_dir(compose);
    let app = stack.run(
        "app",
        &[],
        &["sh", "-c", "mkdir -p /data && echo first > /data/a.txt && trap 'exit 0' TERM; while :; do sleep 0.1; done"],
    );
    wait_for_file(&app, "/data/a.txt");
    let disk = Tmpfs::mount("2m");
    let target = disk.dir.path().to_str().unwrap();
    phi(dir.path(), &stack)
        .args(["backup", "--dir", target])
        .run()
        .code(0);
    // 8 MB of random bytes does not compress and does not fit.
    exec(
        &app,
        &["sh", "-c", "head -c 8000000 /dev/urandom > /data/big.bin"],
    );
    let out = phi(dir.path(), &stack)
        .args(["backup", "--dir", target])
        .run();
    out.code(1).stderr_has("No space left on device");
    let complete = complete_backups(disk.dir.path());
    assert_eq!(complete.len(), 1);
    phi(dir.path(), &stack)
        .args(["backup", "verify", "--dir", target])
        .run()
        .code(0);
    // The failed run left no file under a final name, only an incomplete folder.
    let out = phi(dir.path(), &stack)
        .args(["backup", "list", "--json", "--dir", target])
        .run();
    let states: Vec<String> = out.json()["backups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["state"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(states, ["incomplete", "complete"]);
}

/// A folder that looks like a complete backup made `days_ago` days ago.
fn fabricate(root: &Path, project: &str, days_ago: u64, complete: bool) -> String {
    let time = std::time::SystemTime::now() - Duration::from_secs(days_ago * 86_400 + 60);
    let stamp = humantime::format_rfc3339_seconds(time)
        .to_string()
        .replace(['-', ':'], "");
    let id = format!("{project}-{stamp}");
    let folder = root.join(&id);
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join(".phi-backup"), "phi backup\n").unwrap();
    if complete {
        let manifest = serde_json::json!({
            "manifest_version": 1, "phi_version": "0.1.0", "project": project, "id": id,
            "started_at": humantime::format_rfc3339_seconds(time).to_string(),
            "finished_at": humantime::format_rfc3339_seconds(time).to_string(),
            "duration_seconds": 1.0, "items": []
        });
        std::fs::write(folder.join("manifest.json"), manifest.to_string()).unwrap();
    }
    id
}

#[test]
fn retention_keeps_the_newest_and_never_touches_foreign_folders() {
    let dir = project_dir("name: keep\nservices:\n  app:\n    image: phi-test/busybox\n");
    let root = backups_dir(dir.path());
    let old = [40, 30, 20].map(|d| fabricate(&root, "keep", d, true));
    let recent = fabricate(&root, "keep", 2, true);
    let interrupted = fabricate(&root, "keep", 25, false);
    // Named like a backup, but phi did not write it; and another project's backup.
    let foreign = format!("keep-{}", "20200101T000000Z");
    std::fs::create_dir_all(root.join(&foreign)).unwrap();
    let other = fabricate(&root, "other", 90, true);

    let out = Phi::new(dir.path())
        .args(["backup", "prune", "--dry-run", "--json"])
        .env("BACKUP_RETENTION_DAYS", "14")
        .run();
    out.code(0);
    let report = out.json();
    let would: Vec<&str> = report["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["keep"] == false)
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(would.len(), 4, "{report}");
    assert!(!would.contains(&recent.as_str()));
    assert!(root.join(&old[0]).exists(), "a dry run deletes nothing");

    Phi::new(dir.path())
        .args(["backup", "prune"])
        .env("BACKUP_RETENTION_DAYS", "14")
        .run()
        .code(0)
        .stdout_has("not written by phi");
    for id in old.iter().chain([&interrupted]) {
        assert!(!root.join(id).exists(), "{id} should be gone");
    }
    for id in [&recent, &foreign, &other] {
        assert!(root.join(id).exists(), "{id} must stay");
    }

    // Only old backups left: the newest complete one stays whatever the rules say.
    std::fs::remove_dir_all(root.join(&recent)).unwrap();
    let last = fabricate(&root, "keep", 50, true);
    let older = fabricate(&root, "keep", 60, true);
    Phi::new(dir.path())
        .args(["backup", "prune", "--keep-days", "1", "--keep-last", "1"])
        .run()
        .code(0);
    assert!(root.join(&last).exists());
    assert!(!root.join(&older).exists());

    // No rule at all is a usage error, not a silent no-op.
    Phi::new(dir.path())
        .args(["backup", "prune"])
        .run()
        .code(2)
        .stderr_has("--keep-last");
}

#[test]
fn nothing_declared_says_what_could_be_backed_up_and_how() {
    let dir = project_dir(&format!(
        "services:\n  db:\n    image: {POSTGRES}\n  web:\n    image: phi-test/busybox\n"
    ));
    Phi::new(dir.path())
        .args(["-p", "phit-backup-none", "backup"])
        .run()
        .code(2)
        .stderr_has("nothing to back up")
        .stderr_has("services.db.x-phi: { backup: { postgres: true } }");
}

#[test]
fn plain_sql_with_gzip_restores_one_service_and_a_path_round_trips() {
    let stack = Stack::new("backup-plain");
    let compose = format!(
        "services:\n  db:\n    image: {POSTGRES}\n    x-phi:\n      backup:\n        postgres: {{ format: plain, database: shop }}\n  \
         conf:\n    image: phi-test/busybox\n    x-phi:\n      backup:\n        paths: [/etc/app]\n        post: [touch, /tmp/post-ran]\n\
         x-phi:\n  backup: {{ compression: gzip, dir: saved }}\n"
    );
    let dir = project_dir(&compose);
    let db = start_postgres(
        &stack,
        &["-e", "POSTGRES_PASSWORD_FILE=/run/pw", "--entrypoint", "sh"],
        &[
            "-c",
            "echo file-Secret-77 > /run/pw && exec docker-entrypoint.sh postgres",
        ],
    );
    let conf = stack.run(
        "conf",
        &[],
        &["sh", "-c", "mkdir -p /etc/app && printf 'a=1\\n' > /etc/app/app.conf && trap 'exit 0' TERM; while :; do sleep 0.1; done"],
    );
    wait_for_file(&conf, "/etc/app/app.conf");
    psql(
        &db,
        "create table items as select g as id, md5(g::text) as v from generate_series(1, 300) g",
    );
    let before = psql(&db, TABLE_CHECKSUM);

    let out = phi(dir.path(), &stack).args(["backup", "--json"]).run();
    out.code(0);
    let report = out.json();
    assert_eq!(report["compression"], "gzip");
    let files: Vec<&str> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["file"].as_str().unwrap())
        .collect();
    assert!(files.iter().all(|f| f.ends_with(".gz")), "{files:?}");
    assert!(files.contains(&"db-postgres.sql.gz"), "{files:?}");
    exec(&conf, &["test", "-f", "/tmp/post-ran"]);
    let folder = &complete_backups(&dir.path().join("saved"))[0];
    // A person can read the dump with the usual tools.
    let sql = Command::new("gzip")
        .arg("-dc")
        .arg(folder.join("db-postgres.sql.gz"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&sql.stdout).contains("CREATE TABLE public.items"));

    psql(&db, "drop table items");
    exec(&conf, &["sh", "-c", "echo broken > /etc/app/app.conf"]);
    // Only the database comes back; the path keeps its change.
    phi(dir.path(), &stack)
        .args(["backup", "restore", "latest", "--services", "db", "--yes"])
        .run()
        .code(0)
        .stdout_has("1 of 1 item(s)");
    assert_eq!(psql(&db, TABLE_CHECKSUM), before);
    assert_eq!(exec(&conf, &["cat", "/etc/app/app.conf"]), "broken");
    // `--service`, the flag's first name, is still understood (a hidden alias).
    phi(dir.path(), &stack)
        .args(["backup", "restore", "latest", "--service", "conf", "--yes"])
        .run()
        .code(0);
    assert_eq!(exec(&conf, &["cat", "/etc/app/app.conf"]), "a=1");
    phi(dir.path(), &stack)
        .args(["backup", "restore", "latest", "--services", "nope", "--yes"])
        .run()
        .code(2)
        .stderr_has("has nothing of nope");
}

#[test]
fn a_failed_copy_still_starts_the_stopped_service_and_leaves_no_backup() {
    let stack = Stack::new("backup-fail");
    let compose = "services:\n  app:\n    image: phi-test/busybox\n    x-phi:\n      backup:\n        paths: [/no/such/dir]\n        stop: true\n";
    let dir = project_dir(compose);
    let app = stack.run_idle("app", &[]);
    let out = phi(dir.path(), &stack).args(["backup"]).run();
    out.code(1)
        .stderr_has("/no/such/dir")
        .stderr_has("Started app again");
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Running}}", &app]),
        "true"
    );
    assert!(complete_backups(&backups_dir(dir.path())).is_empty());
    // A pre command that fails ends the run before anything is copied.
    let compose = "services:\n  app:\n    image: phi-test/busybox\n    x-phi:\n      backup:\n        paths: [/etc]\n        pre: \"echo cannot freeze >&2; exit 7\"\n";
    std::fs::write(dir.path().join("compose.yaml"), compose).unwrap();
    phi(dir.path(), &stack)
        .args(["backup"])
        .run()
        .code(1)
        .stderr_has("exited with 7")
        .stderr_has("cannot freeze");
    assert!(complete_backups(&backups_dir(dir.path())).is_empty());
}

/// Rewrite one field of the first item of a backup's manifest.
/// A project whose `app` keeps `original` in /data/file (declared for backup), with one
/// backup made: its directory and the app's container.
fn backed_up_data_app(stack: &Stack) -> (tempfile::TempDir, String) {
    let dir = project_dir(
        "services:\n  app:\n    image: phi-test/busybox\n    x-phi:\n      backup:\n        paths: [/data]\n",
    );
    let app = stack.run(
        "app",
        &[],
        &["sh", "-c", "mkdir -p /data && echo original > /data/file && trap 'exit 0' TERM; while :; do sleep 0.1; done"],
    );
    wait_for_file(&app, "/data/file");
    phi(dir.path(), stack).args(["backup"]).run().code(0);
    (dir, app)
}

fn tamper(folder: &Path, field: &str, value: &str) {
    let path = folder.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    manifest["items"][0][field] = serde_json::Value::String(value.into());
    std::fs::write(&path, serde_json::to_string_pretty(&manifest).unwrap()).unwrap();
}

#[test]
fn a_tampered_manifest_reads_and_restores_nothing_outside_its_folder() {
    let stack = Stack::new("backup-hostile");
    let (dir, app) = backed_up_data_app(&stack);
    let folder = complete_backups(&backups_dir(dir.path())).remove(0);
    let pristine = std::fs::read_to_string(folder.join("manifest.json")).unwrap();
    let id = folder.file_name().unwrap().to_string_lossy().into_owned();
    let restore = || {
        phi(dir.path(), &stack)
            .args(["--yes", "backup", "restore", &id])
            .run()
    };

    // A target the compose files do not give: refused before anything is touched.
    tamper(&folder, "target", "/etc");
    let out = restore();
    out.code(1).stderr_has("not trusted for where data goes");
    assert_eq!(
        exec(
            &app,
            &[
                "sh",
                "-c",
                "test -e /etc/data && echo landed || echo absent"
            ]
        )
        .trim(),
        "absent",
        "nothing landed in /etc"
    );

    // A file outside the folder: the backup is damaged and names the item.
    let outside = dir.path().join("outside.tar.zst");
    std::fs::copy(
        folder.join(
            std::fs::read_dir(&folder)
                .unwrap()
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .find(|n| n.ends_with(".tar.zst"))
                .unwrap(),
        ),
        &outside,
    )
    .unwrap();
    std::fs::write(folder.join("manifest.json"), &pristine).unwrap();
    tamper(&folder, "file", "../../outside.tar.zst");
    let out = restore();
    out.code(1)
        .stderr_has("is damaged")
        .stderr_has("not directly in the backup folder");
    let out = phi(dir.path(), &stack)
        .args(["--json", "backup", "list"])
        .run();
    assert!(out.stdout.contains("damaged"), "{}", out.stdout);

    // An item file that is a symlink to elsewhere: not followed.
    std::fs::write(folder.join("manifest.json"), &pristine).unwrap();
    let item: serde_json::Value = serde_json::from_str(&pristine).unwrap();
    let file = item["items"][0]["file"].as_str().unwrap().to_string();
    std::fs::remove_file(folder.join(&file)).unwrap();
    std::os::unix::fs::symlink(&outside, folder.join(&file)).unwrap();
    let out = restore();
    out.code(3).stderr_has("symbolic link");
    assert_eq!(exec(&app, &["cat", "/data/file"]).trim(), "original");

    // The lock file as a symlink: refused, and its target is left as it was.
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "keep").unwrap();
    let lock = backups_dir(dir.path()).join(".phi-backup.lock");
    std::fs::remove_file(&lock).unwrap();
    std::os::unix::fs::symlink(&victim, &lock).unwrap();
    let out = phi(dir.path(), &stack)
        .args(["backup", "prune", "--dry-run", "--keep-last", "1"])
        .run();
    out.code(1).stderr_has("symbolic link");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
}

/// `from`, also seen read-only at a new path (a read-only bind mount), unmounted on drop.
struct ReadOnlyView {
    path: PathBuf,
    _parent: tempfile::TempDir,
}

impl ReadOnlyView {
    fn new(from: &Path) -> ReadOnlyView {
        let parent = tempfile::tempdir().unwrap();
        let path = parent.path().join("ro-backups");
        std::fs::create_dir(&path).unwrap();
        let mount = |args: &[&str]| {
            let out = Command::new("mount").args(args).output().expect("mount");
            assert!(
                out.status.success(),
                "a read-only bind mount needs root (CAP_SYS_ADMIN): mount {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let (from, to) = (from.to_str().unwrap(), path.to_str().unwrap().to_string());
        mount(&["--bind", from, &to]);
        let view = ReadOnlyView {
            path,
            _parent: parent,
        };
        mount(&["-o", "remount,bind,ro", &to]);
        view
    }
}

impl Drop for ReadOnlyView {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
    }
}

/// Every file's path, size and modification time under `dir`: what a run may not change.
fn snapshot(dir: &Path) -> Vec<(PathBuf, u64, std::time::SystemTime)> {
    let mut all = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().filter_map(Result::ok) {
            let meta = e.metadata().unwrap();
            if meta.is_dir() {
                todo.push(e.path());
            }
            all.push((e.path(), meta.len(), meta.modified().unwrap()));
        }
    }
    all.sort();
    all
}

#[test]
fn a_read_only_backup_folder_lists_verifies_restores_and_dry_runs_a_prune() {
    let stack = Stack::new("backup-readonly");
    let (dir, app) = backed_up_data_app(&stack);
    std::thread::sleep(Duration::from_millis(1100));
    phi(dir.path(), &stack).args(["backup"]).run().code(0);
    let backups = backups_dir(dir.path());
    let newest = complete_backups(&backups).pop().unwrap();
    let id = newest.file_name().unwrap().to_string_lossy().into_owned();
    // No lock file, and none can be made: the readers go on without one and say so.
    std::fs::remove_file(backups.join(".phi-backup.lock")).unwrap();
    let view = ReadOnlyView::new(&backups);
    let before = snapshot(&backups);
    let ro = view.path.to_str().unwrap();
    let run = |args: &[&str]| phi(dir.path(), &stack).args(args).args(["--dir", ro]).run();

    let out = run(&["--json", "backup", "list"]);
    out.code(0);
    assert_eq!(
        out.stdout.matches("\"complete\"").count(),
        2,
        "{}",
        out.stdout
    );
    run(&["backup", "verify", &id]).code(0);
    run(&["backup", "prune", "--dry-run", "--keep-last", "1"])
        .code(0)
        .stderr_has("Would delete")
        .stderr_has("without a lock: it is not writable");
    exec(&app, &["sh", "-c", "echo changed > /data/file"]);
    run(&["--yes", "backup", "restore", &id])
        .code(0)
        .stderr_has("without a lock: it is not writable");
    assert_eq!(exec(&app, &["cat", "/data/file"]).trim(), "original");

    // With a lock file there (put in by whoever can write), readers share it read-only.
    std::fs::write(backups.join(".phi-backup.lock"), "").unwrap();
    let before_lock = snapshot(&backups);
    let out = run(&["backup", "prune", "--dry-run", "--keep-last", "1"]);
    out.code(0).stderr_has("Would delete");
    assert!(!out.stderr.contains("without a lock"), "{}", out.stderr);

    // Deleting needs the write lock, and says so.
    run(&["backup", "prune", "--keep-last", "1"])
        .code(4)
        .stderr_has("Read-only file system")
        .stderr_has("`phi backup prune` changes");
    assert_eq!(
        snapshot(&backups),
        before_lock,
        "nothing in the folder changed"
    );
    assert_eq!(
        before.len() + 1,
        before_lock.len(),
        "only the lock file was added, from outside"
    );
    drop(view);
}
