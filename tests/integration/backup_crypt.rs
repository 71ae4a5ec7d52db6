//! `phi backup` with age encryption, restore drills, the metrics textfile and `check
//! --max-age`, against real PostgreSQL, Redis and volume containers.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use age::secrecy::ExposeSecret;

use crate::backup::{POSTGRES, REDIS, exec, phi, psql, wait_until};
use crate::support::{Stack, docker, project_dir};

pub(crate) const TABLE_CHECKSUM: &str =
    "select count(*) || ' ' || md5(string_agg(id || ':' || v, ',' order by id)) from items";
/// start_postgres's password: no output may show it.
pub(crate) const PG_PASSWORD: &str = "pg-Secret-77";
const DRILL_LABEL: &str = "org.phi.backup-drill";

/// PostgreSQL for `stack` (user and database `shop`) with a table `items` of 5000 rows.
pub(crate) fn start_postgres(stack: &Stack) -> String {
    let db = stack.run_image(
        "db",
        POSTGRES,
        &[
            "-e",
            "POSTGRES_USER=shop",
            "-e",
            "POSTGRES_DB=shop",
            "-e",
            &format!("POSTGRES_PASSWORD={PG_PASSWORD}"),
        ],
        &[],
    );
    wait_until("postgres", || {
        Command::new("docker")
            .args([
                "exec",
                &db,
                "pg_isready",
                "-q",
                "-h",
                "127.0.0.1",
                "-U",
                "shop",
            ])
            .status()
            .is_ok_and(|s| s.success())
    });
    psql(
        &db,
        "create table items as select g as id, md5(g::text) as v from generate_series(1, 5000) g",
    );
    db
}

pub(crate) fn redis_ready(cache: &str) {
    wait_until("redis", || {
        Command::new("docker")
            .args(["exec", cache, "redis-cli", "ping"])
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("PONG"))
    });
}

/// A new age key pair: (public key, identity file, the secret key as written in it).
pub(crate) fn keypair(dir: &Path, name: &str) -> (String, PathBuf, String) {
    let id = age::x25519::Identity::generate();
    let secret = id.to_string().expose_secret().to_string();
    let path = dir.join(name);
    std::fs::write(&path, format!("# test key\n{secret}\n")).unwrap();
    (id.to_public().to_string(), path, secret)
}

fn only_backup(dir: &Path) -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir.join("backups"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("manifest.json").is_file())
        .collect();
    found.sort();
    found.pop().expect("a complete backup")
}

fn drill_leftovers(stack: &Stack) -> String {
    docker(&[
        "ps",
        "-aq",
        "--filter",
        &format!("label={DRILL_LABEL}={}", stack.name),
    ])
}

pub(crate) fn volume_files(files: &str) -> String {
    exec(
        files,
        &[
            "sh",
            "-c",
            "cd /srv/media && find . -type f | sort | xargs sha256sum",
        ],
    )
}

#[test]
fn age_encrypted_backups_verify_blind_restore_drill_and_report_metrics() {
    let stack = Stack::new("backup-age");
    let volume = format!("{}_media", stack.name);
    let label = format!("com.docker.compose.project={}", stack.name);
    docker(&["volume", "create", "--label", &label, &volume]);
    let keys = tempfile::tempdir().unwrap();
    let (public, identity, secret) = keypair(keys.path(), "key.txt");
    let (_, wrong, wrong_secret) = keypair(keys.path(), "wrong.txt");
    let compose = format!(
        "services:\n  db:\n    image: {POSTGRES}\n    x-phi:\n      backup:\n        postgres: true\n        \
         drill:\n          check: ['select count(*) = 5000 from items']\n  \
         cache:\n    image: {REDIS}\n    x-phi: {{ backup: {{ redis: true }} }}\n  \
         files:\n    image: phi-test/busybox\n    volumes: ['media:/srv/media']\n    x-phi: {{ backup: {{ volumes: [media] }} }}\n\
         volumes:\n  media: {{}}\n\
         x-phi:\n  backup:\n    age_recipients: ['{public}']\n    prometheus: metrics/phi.prom\n"
    );
    let dir = project_dir(&compose);
    std::fs::create_dir(dir.path().join("metrics")).unwrap();
    let db = start_postgres(&stack);
    let cache = stack.run_image("cache", REDIS, &[], &[]);
    let files = stack.run_idle("files", &["-v", &format!("{volume}:/srv/media")]);
    redis_ready(&cache);
    let table_before = psql(&db, TABLE_CHECKSUM);
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
    let files_before = volume_files(&files);

    let out = phi(dir.path(), &stack).args(["backup", "--json"]).run();
    out.code(0);
    assert_eq!(out.json()["age_recipients"][0], public.as_str());
    let folder = only_backup(dir.path());
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("manifest.json")).unwrap())
            .unwrap();
    for item in manifest["items"].as_array().unwrap() {
        assert_eq!(item["encryption"]["scheme"], "age", "{item}");
        assert_eq!(item["encryption"]["recipients"][0], public.as_str());
        let bytes = std::fs::read(folder.join(item["file"].as_str().unwrap())).unwrap();
        assert!(bytes.starts_with(b"age-encryption.org/v1\n"), "{item}");
        // The manifest's size and sha256 are those of the encrypted bytes on disk.
        assert_eq!(bytes.len() as u64, item["size"].as_u64().unwrap());
        match item["recipe"].as_str().unwrap() {
            "redis" => assert_eq!(item["keys"], 3, "{item}"),
            "volume" => {
                assert_eq!(item["contents"]["files"], 2, "{item}");
                assert_eq!(item["contents"]["bytes"], 300_006, "{item}");
            }
            _ => {}
        }
    }
    // Nothing in the clear in the folder: only the marker, the manifest and age files.
    for entry in std::fs::read_dir(&folder).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        assert!(
            name == "manifest.json" || name == ".phi-backup" || name.ends_with(".zst"),
            "{name}"
        );
    }
    let metrics = std::fs::read_to_string(dir.path().join("metrics/phi.prom")).unwrap();
    let project = format!("project=\"{}\"", stack.name);
    assert!(
        metrics.contains(&format!("phi_backup_last_attempt_success{{{project}}} 1\n")),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!(
            "phi_backup_last_success_items{{{project},target=\"local\"}} 3\n"
        )),
        "{metrics}"
    );
    assert!(metrics.contains("# TYPE phi_backup_last_success_timestamp_seconds gauge"));

    // verify without a key: the ciphertext checksums only.
    let out = phi(dir.path(), &stack)
        .args(["backup", "verify", "--json"])
        .run();
    out.code(0);
    let items = out.json()["backups"][0]["items"].clone();
    assert!(
        items
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["opened"] == false && i["ok"] == true),
        "{items}"
    );
    // With the key: decrypted, decompressed to the end, the dump listed.
    let out = phi(dir.path(), &stack)
        .args(["backup", "verify", "--json", "--identity"])
        .args([identity.to_str().unwrap()])
        .run();
    out.code(0);
    let items = out.json()["backups"][0]["items"].clone();
    assert!(
        items
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["opened"] == true),
        "{items}"
    );
    assert!(
        items.to_string().contains("\"pg_restore_list\":\"ok\""),
        "{items}"
    );
    // A wrong key: exit 3, a clear error, and no key material at any verbosity.
    let out = phi(dir.path(), &stack)
        .args(["-vv", "backup", "verify", "--identity"])
        .args([wrong.to_str().unwrap()])
        .run();
    out.code(3).stdout_has("no identity in");
    for text in [&out.stdout, &out.stderr] {
        assert!(!text.contains("AGE-SECRET-KEY"), "{text}");
        assert!(!text.contains(&wrong_secret[20..]) && !text.contains(&secret[20..]));
    }
    // restore needs a key, and says how to give it.
    phi(dir.path(), &stack)
        .args(["backup", "restore", "latest", "--yes"])
        .run()
        .code(2)
        .stderr_has("--identity");

    // Change everything, restore with BACKUP_AGE_IDENTITY_FILE: row for row, keys, bytes.
    psql(
        &db,
        "delete from items where id % 2 = 0; update items set v = 'x'",
    );
    exec(&cache, &["redis-cli", "FLUSHALL"]);
    exec(
        &files,
        &[
            "sh",
            "-c",
            "rm -r /srv/media/sub && echo changed > /srv/media/a.txt",
        ],
    );
    phi(dir.path(), &stack)
        .args(["backup", "restore", "latest", "--yes"])
        .env("BACKUP_AGE_IDENTITY_FILE", &identity)
        .run()
        .code(0);
    assert_eq!(psql(&db, TABLE_CHECKSUM), table_before);
    redis_ready(&cache);
    assert_eq!(exec(&cache, &["redis-cli", "GET", "gamma"]), "three three");
    assert_eq!(exec(&cache, &["redis-cli", "DBSIZE"]), "3");
    assert_eq!(volume_files(&files), files_before);

    // The drill: every item restored into throwaway containers, then all of them gone.
    let out = phi(dir.path(), &stack)
        .args(["backup", "drill", "--json"])
        .env("BACKUP_AGE_IDENTITY_FILE", &identity)
        .run();
    out.code(0);
    let report = out.json();
    assert_eq!(report["ok"], true, "{report}");
    let text = report.to_string();
    assert!(text.contains("1 table(s), 5000 row(s)"), "{text}");
    assert!(
        text.contains("check `select count(*) = 5000 from items`: t"),
        "{text}"
    );
    assert!(
        text.contains("3 key(s)") && text.contains("2 file(s), 300006 byte(s)"),
        "{text}"
    );
    assert_eq!(drill_leftovers(&stack), "");

    // Freshness, for cron.
    phi(dir.path(), &stack)
        .args(["backup", "check", "--max-age", "26h"])
        .run()
        .code(0)
        .stdout_has("fresh");
    std::thread::sleep(Duration::from_millis(2100));
    phi(dir.path(), &stack)
        .args(["backup", "check", "--max-age", "1s"])
        .run()
        .code(3)
        .stdout_has("STALE");

    // A failed run still writes the textfile, keeping the last success.
    let failed = dir.path().join("metrics/failed.prom");
    phi(dir.path(), &stack)
        .args(["backup", "--services", "nosuch", "--prometheus"])
        .args([failed.to_str().unwrap()])
        .run()
        .code(2);
    let metrics = std::fs::read_to_string(&failed).unwrap();
    assert!(
        metrics.contains(&format!("phi_backup_last_attempt_success{{{project}}} 0\n"))
            && metrics.contains(&format!(
                "phi_backup_last_attempt_exit_code{{{project}}} 2\n"
            ))
            && metrics.contains(&format!(
                "phi_backup_complete_backups{{{project},target=\"local\"}} 1\n"
            )),
        "{metrics}"
    );
}

#[test]
fn a_drill_passes_on_a_fresh_backup_and_fails_on_one_flipped_byte() {
    let stack = Stack::new("backup-drill");
    let compose = format!(
        "services:\n  db:\n    image: {POSTGRES}\n    x-phi:\n      backup:\n        postgres: true\n"
    );
    let dir = project_dir(&compose);
    start_postgres(&stack);
    phi(dir.path(), &stack).args(["backup"]).run().code(0);
    let folder = only_backup(dir.path());
    // By the folder's path, as for a copy fetched from elsewhere.
    phi(dir.path(), &stack)
        .args(["backup", "drill"])
        .args([folder.to_str().unwrap()])
        .run()
        .code(0)
        .stdout_has("5000 row(s)");
    // Ctrl-C while the throwaway server starts: exit 130, and nothing is left behind.
    let (mut child, _home) = phi(dir.path(), &stack).args(["backup", "drill"]).spawn();
    wait_until("a drill container", || !drill_leftovers(&stack).is_empty());
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .is_ok_and(|s| s.success())
    );
    assert_eq!(child.wait().unwrap().code(), Some(130));
    assert_eq!(drill_leftovers(&stack), "");
    let dump = std::fs::read_dir(&folder)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(".dump.zst"))
        .unwrap();
    let mut bytes = std::fs::read(&dump).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&dump, &bytes).unwrap();
    let out = phi(dir.path(), &stack).args(["backup", "drill"]).run();
    out.code(3).stdout_has("FAILED db");
    assert!(
        out.stdout
            .contains(&*dump.file_name().unwrap().to_string_lossy())
    );
    assert_eq!(drill_leftovers(&stack), "");
}
