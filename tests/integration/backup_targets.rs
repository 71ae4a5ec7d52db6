//! `phi backup` with targets, against real servers the tests start themselves on 127.0.0.1:
//! OpenSSH's sshd (a generated host key, an authorized key, a known_hosts file) and moto's
//! S3-compatible server (from PyPI, in a venv under $PHI_TEST_CACHE; see
//! scripts/setup-test-env.sh). A missing server fails the test: it is never skipped.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::backup::{POSTGRES, REDIS, exec, psql, wait_until};
use crate::support::{Phi, Stack, docker, project_dir};

const AWS_KEY_ID: &str = "AKIAPHITESTKEY";
const AWS_SECRET: &str = "phi-S3-secret-9c1e77d2b4";
const BUCKET: &str = "phi-offsite";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, child: &mut Child, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            if let Some(mut stderr) = child.stderr.take() {
                let _ = stderr.read_to_string(&mut err);
            }
            panic!("{what} exited ({status}) before it listened on {port}: {err}");
        }
        assert!(Instant::now() < deadline, "{what} not listening after 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Kill `pid` and every process under it (sshd forks a process per connection).
fn kill_tree(pid: u32) {
    let mut all = vec![pid];
    let mut i = 0;
    while i < all.len() {
        let parent = all[i];
        for entry in std::fs::read_dir("/proc").unwrap().filter_map(Result::ok) {
            let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            // pid (comm) state ppid ...: comm may hold spaces, so split after the last `)`.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            if ppid == Some(parent) && !all.contains(&child) {
                all.push(child);
            }
        }
        i += 1;
    }
    for pid in all {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
}

fn keygen(path: &Path) {
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .status()
        .expect("ssh-keygen (openssh-client; scripts/setup-test-env.sh installs it)")
        .success();
    assert!(ok, "ssh-keygen failed");
}

/// An sshd on 127.0.0.1 serving SFTP to the current user with one authorized key.
struct Sshd {
    dir: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
}

impl Sshd {
    fn start() -> Sshd {
        let dir = tempfile::tempdir().unwrap();
        keygen(&dir.path().join("host_key"));
        keygen(&dir.path().join("client_key"));
        keygen(&dir.path().join("stranger_key"));
        std::fs::copy(
            dir.path().join("client_key.pub"),
            dir.path().join("authorized_keys"),
        )
        .unwrap();
        std::fs::create_dir(dir.path().join("root")).unwrap();
        let mut sshd = Sshd {
            dir,
            port: free_port(),
            child: None,
        };
        let host_pub = std::fs::read_to_string(sshd.dir.path().join("host_key.pub")).unwrap();
        std::fs::write(
            sshd.known_hosts(),
            format!("[127.0.0.1]:{} {host_pub}", sshd.port),
        )
        .unwrap();
        std::fs::write(sshd.dir.path().join("empty_known_hosts"), "").unwrap();
        sshd.run();
        sshd
    }

    fn run(&mut self) {
        let d = self.dir.path();
        let config = format!(
            "Port {}\nListenAddress 127.0.0.1\nHostKey {}\nAuthorizedKeysFile {}\nPidFile none\n\
             StrictModes no\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             PermitRootLogin prohibit-password\nSubsystem sftp internal-sftp\nLogLevel ERROR\n",
            self.port,
            d.join("host_key").display(),
            d.join("authorized_keys").display()
        );
        std::fs::write(d.join("sshd_config"), config).unwrap();
        // Privilege separation needs its directory when sshd runs as root.
        let _ = std::fs::create_dir_all("/run/sshd");
        let mut child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(d.join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("/usr/sbin/sshd (openssh-server; scripts/setup-test-env.sh installs it)");
        wait_for_port(self.port, &mut child, "sshd");
        self.child = Some(child);
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill_tree(child.id());
            let _ = child.wait();
        }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    fn known_hosts(&self) -> PathBuf {
        self.dir.path().join("known_hosts")
    }

    fn key(&self) -> PathBuf {
        self.dir.path().join("client_key")
    }

    fn url(&self) -> String {
        format!(
            "sftp://{}@127.0.0.1:{}{}",
            user(),
            self.port,
            self.root().display()
        )
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.kill();
    }
}

fn user() -> String {
    let out = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// moto's S3 server on 127.0.0.1 with one bucket.
struct Moto {
    port: u16,
    child: Option<Child>,
}

impl Moto {
    fn start() -> Moto {
        Moto::start_with(false)
    }

    /// With `auth`, every request after the bucket's creation must be signed with a key
    /// moto knows (it knows none): any credentials are wrong.
    fn start_with(auth: bool) -> Moto {
        let cache = std::env::var_os("PHI_TEST_CACHE")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/phi-test")
            });
        let bin = cache.join("moto/bin/moto_server");
        assert!(
            bin.is_file(),
            "{} is missing: run scripts/setup-test-env.sh (ensure_moto)",
            bin.display()
        );
        let port = free_port();
        let mut command = Command::new(&bin);
        if auth {
            command.env("INITIAL_NO_AUTH_ACTION_COUNT", "1");
        }
        let mut child = command
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_for_port(port, &mut child, "moto_server");
        // Create the bucket (moto takes unsigned requests).
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(
            stream,
            "PUT /{BUCKET} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        Moto {
            port,
            child: Some(child),
        }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill_tree(child.id());
            let _ = child.wait();
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.kill();
    }
}

/// phi for `stack` in `dir`, with S3 credentials in the environment and no ssh agent.
fn phi(dir: &Path, stack: &Stack) -> Phi {
    let mut phi = Phi::new(dir)
        .args(["-p", &stack.name])
        .env("AWS_ACCESS_KEY_ID", AWS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", AWS_SECRET);
    phi.command().env_remove("SSH_AUTH_SOCK");
    phi
}

fn targets_yaml(sshd: &Sshd, moto: Option<&Moto>) -> String {
    let mut text = format!(
        "    targets:\n      offsite:\n        url: \"{}\"\n        key: \"{}\"\n        known_hosts: \"{}\"\n",
        sshd.url(),
        sshd.key().display(),
        sshd.known_hosts().display()
    );
    if let Some(moto) = moto {
        text.push_str(&format!(
            "      s3:\n        url: s3://{BUCKET}/nightly\n        endpoint: \"{}\"\n        region: eu-west-1\n",
            moto.endpoint()
        ));
    }
    text
}

const TABLE_CHECKSUM: &str =
    "select count(*) || ' ' || md5(string_agg(id || ':' || v, ',' order by id)) from items";
const FILES_CHECKSUM: &str = "cd /srv/media && find . -type f | sort | xargs sha256sum";

/// The folders in a directory that hold a manifest / that hold phi's marker only.
fn states(root: &Path) -> (Vec<String>, Vec<String>) {
    let mut complete = Vec::new();
    let mut incomplete = Vec::new();
    for entry in std::fs::read_dir(root).unwrap().filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().join("manifest.json").is_file() {
            complete.push(name);
        } else if entry.path().join(".phi-backup").is_file() {
            incomplete.push(name);
        }
    }
    complete.sort();
    incomplete.sort();
    (complete, incomplete)
}

#[test]
fn postgres_redis_and_a_volume_round_trip_through_sftp_and_s3() {
    let stack = Stack::new("target-trip");
    let sshd = Sshd::start();
    let moto = Moto::start();
    let volume = format!("{}_media", stack.name);
    let label = format!("com.docker.compose.project={}", stack.name);
    docker(&["volume", "create", "--label", &label, &volume]);
    let compose = format!(
        "services:\n  db:\n    image: {POSTGRES}\n    x-phi: {{ backup: {{ postgres: true }} }}\n  \
         cache:\n    image: {REDIS}\n    x-phi: {{ backup: {{ redis: true }} }}\n  \
         files:\n    image: phi-test/busybox\n    volumes: ['media:/srv/media']\n    \
         x-phi: {{ backup: {{ volumes: [media] }} }}\nvolumes:\n  media: {{}}\n\
         x-phi:\n  backup:\n{}",
        targets_yaml(&sshd, Some(&moto))
    );
    let dir = project_dir(&compose);
    let db = stack.run_image(
        "db",
        POSTGRES,
        &[
            "-e",
            "POSTGRES_USER=shop",
            "-e",
            "POSTGRES_DB=shop",
            "-e",
            "POSTGRES_PASSWORD=pw-for-tests",
        ],
        &[],
    );
    let cache = stack.run_image("cache", REDIS, &[], &[]);
    let files = stack.run(
        "files",
        &["-v", &format!("{volume}:/srv/media")],
        &[
            "sh",
            "-c",
            "trap 'exit 0' TERM; while :; do sleep 0.1; done",
        ],
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
    wait_until("redis", || {
        Command::new("docker")
            .args(["exec", &cache, "redis-cli", "ping"])
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("PONG"))
    });
    psql(
        &db,
        "create table items as select g as id, md5(g::text) as v from generate_series(1, 3000) g",
    );
    let table_before = psql(&db, TABLE_CHECKSUM);
    for (k, v) in [("alpha", "1"), ("beta", "two words")] {
        exec(&cache, &["redis-cli", "SET", k, v]);
    }
    exec(
        &files,
        &[
            "sh",
            "-c",
            "mkdir -p /srv/media/sub && head -c 200000 /dev/urandom > /srv/media/sub/blob.bin && echo hi > /srv/media/a.txt",
        ],
    );
    let files_before = exec(&files, &["sh", "-c", FILES_CHECKSUM]);

    // One run, both targets (every declared one), at the highest verbosity.
    let out = phi(dir.path(), &stack)
        .args(["-vv", "backup", "--json"])
        .run();
    out.code(0);
    let report = out.json();
    let targets = report["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 2, "{report}");
    assert!(targets.iter().all(|t| t["ok"] == true), "{report}");
    for secret in [AWS_SECRET, "pw-for-tests"] {
        assert!(
            !out.stdout.contains(secret) && !out.stderr.contains(secret),
            "a secret in the output"
        );
    }
    let key_text = std::fs::read_to_string(sshd.key()).unwrap();
    let key_body = key_text.lines().nth(1).unwrap();
    assert!(!out.stdout.contains(key_body) && !out.stderr.contains(key_body));
    let id = report["id"].as_str().unwrap().to_string();
    // On the SFTP server: the backup, complete, and nothing temporary.
    let (complete, incomplete) = states(&sshd.root());
    assert_eq!((complete, incomplete), (vec![id.clone()], vec![]));
    assert!(std::fs::read_dir(sshd.root().join(&id)).unwrap().all(|e| {
        !e.unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".phi-part")
    }));

    // The host loses its copy; each target alone brings the data back.
    std::fs::remove_dir_all(dir.path().join("backups")).unwrap();
    for target in ["offsite", "s3"] {
        let list = phi(dir.path(), &stack)
            .args(["backup", "list", "--from", target, "--json"])
            .run();
        list.code(0);
        let listed = list.json();
        assert_eq!(listed["backups"][0]["id"], id.as_str(), "{listed}");
        assert_eq!(listed["backups"][0]["state"], "complete", "{listed}");
        phi(dir.path(), &stack)
            .args(["backup", "verify", "--from", target])
            .run()
            .code(0);

        psql(&db, "delete from items where id % 2 = 0");
        exec(&cache, &["redis-cli", "FLUSHALL"]);
        exec(
            &files,
            &[
                "sh",
                "-c",
                "rm -rf /srv/media/sub && echo changed > /srv/media/a.txt",
            ],
        );
        let out = phi(dir.path(), &stack)
            .args(["backup", "restore", "latest", "--from", target, "--yes"])
            .run();
        out.code(0);
        assert_eq!(psql(&db, TABLE_CHECKSUM), table_before, "{target}");
        assert_eq!(exec(&cache, &["redis-cli", "GET", "beta"]), "two words");
        assert_eq!(exec(&cache, &["redis-cli", "DBSIZE"]), "2");
        assert_eq!(exec(&files, &["sh", "-c", FILES_CHECKSUM]), files_before);
        // The download folder is gone; nothing else was left on the host.
        let leftovers: Vec<String> = std::fs::read_dir(dir.path().join("backups"))
            .map(|r| {
                r.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.starts_with(".phi-from"))
                    .collect()
            })
            .unwrap_or_default();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}

/// A stack with one small volume to back up (no database: fast).
fn volume_stack(test: &str, targets: &str, bytes: usize) -> (Stack, tempfile::TempDir) {
    let stack = Stack::new(test);
    let volume = format!("{}_media", stack.name);
    let label = format!("com.docker.compose.project={}", stack.name);
    docker(&["volume", "create", "--label", &label, &volume]);
    let compose = format!(
        "services:\n  files:\n    image: phi-test/busybox\n    volumes: ['media:/srv/media']\n    \
         x-phi: {{ backup: {{ volumes: [media] }} }}\nvolumes:\n  media: {{}}\n\
         x-phi:\n  backup:\n{targets}"
    );
    let dir = project_dir(&compose);
    let files = stack.run(
        "files",
        &["-v", &format!("{volume}:/srv/media")],
        &[
            "sh",
            "-c",
            "trap 'exit 0' TERM; while :; do sleep 0.1; done",
        ],
    );
    exec(
        &files,
        &[
            "sh",
            "-c",
            &format!("head -c {bytes} /dev/urandom > /srv/media/blob.bin"),
        ],
    );
    (stack, dir)
}

#[test]
fn an_upload_cut_short_never_looks_like_a_backup_and_push_completes_it() {
    let mut sshd = Sshd::start();
    // Random bytes do not compress: the upload takes long enough to be cut.
    let (stack, dir) = volume_stack("target-cut", &targets_yaml(&sshd, None), 8 << 20);
    let root = sshd.root();
    let pid = sshd.child.as_ref().unwrap().id();
    // Kill the server (and its sessions) as soon as the big file starts to land.
    let watcher = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            let landing = std::fs::read_dir(&root).ok().and_then(|folders| {
                folders.filter_map(Result::ok).find_map(|f| {
                    std::fs::read_dir(f.path())
                        .ok()?
                        .filter_map(Result::ok)
                        .find(|e| {
                            let name = e.file_name().to_string_lossy().into_owned();
                            name.ends_with(".phi-part")
                                && !name.contains("phi-backup")
                                && e.metadata().is_ok_and(|m| m.len() > 0)
                        })
                })
            });
            if landing.is_some() {
                kill_tree(pid);
                return true;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        false
    });
    let out = phi(dir.path(), &stack).args(["backup"]).run();
    assert!(watcher.join().unwrap(), "the upload never started");
    out.code(1);
    out.stderr_has("target offsite");
    out.stdout_has("the local backup");
    // The local backup is complete and kept; the target has an incomplete one only.
    let (local, _) = states(&dir.path().join("backups"));
    assert_eq!(local.len(), 1);
    let (complete, incomplete) = states(&sshd.root());
    assert!(complete.is_empty(), "{complete:?}");
    assert_eq!(incomplete, local);

    sshd.child.take().map(|mut c| c.wait());
    sshd.run();
    let list = phi(dir.path(), &stack)
        .args(["backup", "list", "--from", "offsite", "--json"])
        .run();
    list.code(0);
    assert_eq!(list.json()["backups"][0]["state"], "incomplete");
    // Nothing incomplete is restored from.
    phi(dir.path(), &stack)
        .args(["backup", "restore", "latest", "--from", "offsite", "--yes"])
        .run()
        .code(2)
        .stderr_has("no complete backup");

    phi(dir.path(), &stack)
        .args(["backup", "push", "--to", "offsite"])
        .run()
        .code(0);
    let (complete, incomplete) = states(&sshd.root());
    assert_eq!((complete, incomplete), (local.clone(), vec![]));
    let leftover = std::fs::read_dir(sshd.root().join(&local[0]))
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().ends_with(".phi-part"));
    assert!(!leftover, "temporary files left on the target");
    // A second push finds it there and sends nothing.
    phi(dir.path(), &stack)
        .args(["backup", "push", "--to", "offsite", "--json"])
        .run()
        .code(0)
        .stdout_has("\"already_there\": true");
}

#[test]
fn wrong_credentials_and_unreachable_targets_name_the_target_and_keep_the_local_backup() {
    let sshd = Sshd::start();
    let mut moto = Moto::start();
    let stranger = format!(
        "      stranger:\n        url: \"{}\"\n        key: \"{}\"\n        known_hosts: \"{}\"\n      \
         unknown-host:\n        url: \"{}\"\n        key: \"{}\"\n        known_hosts: \"{}\"\n",
        sshd.url(),
        sshd.dir.path().join("stranger_key").display(),
        sshd.known_hosts().display(),
        sshd.url(),
        sshd.key().display(),
        sshd.dir.path().join("empty_known_hosts").display(),
    );
    let locked = Moto::start_with(true);
    let targets = format!(
        "{}{stranger}      locked: {{ url: 's3://{BUCKET}/x', endpoint: '{}' }}\n",
        targets_yaml(&sshd, Some(&moto)),
        locked.endpoint()
    );
    let (stack, dir) = volume_stack("target-errors", &targets, 1000);

    // A key the server does not know.
    let out = phi(dir.path(), &stack)
        .args(["backup", "--to", "stranger"])
        .run();
    out.code(1);
    out.stderr_has("target stranger")
        .stderr_has("Permission denied");
    // A host key that is not in known_hosts: refused, not learned.
    let out = phi(dir.path(), &stack)
        .args(["backup", "--to", "unknown-host"])
        .run();
    out.code(1);
    out.stderr_has("target unknown-host")
        .stderr_has("Host key verification failed");
    assert_eq!(
        std::fs::read_to_string(sshd.dir.path().join("empty_known_hosts")).unwrap(),
        ""
    );
    // S3 credentials the server refuses.
    let out = phi(dir.path(), &stack)
        .args(["-vv", "backup", "--to", "locked"])
        .run();
    out.code(1);
    out.stderr_has("target locked")
        .stderr_has("InvalidAccessKeyId");
    assert!(!out.stdout.contains(AWS_SECRET) && !out.stderr.contains(AWS_SECRET));
    // S3 with its server down.
    moto.kill();
    let out = phi(dir.path(), &stack)
        .args(["-vv", "backup", "--to", "s3"])
        .run();
    out.code(1);
    out.stderr_has("target s3");
    assert!(!out.stdout.contains(AWS_SECRET) && !out.stderr.contains(AWS_SECRET));
    // Every local backup is kept and complete; nothing landed on the SFTP server.
    let (local, incomplete) = states(&dir.path().join("backups"));
    assert_eq!((local.len(), incomplete.len()), (4, 0));
    assert!(std::fs::read_dir(sshd.root()).unwrap().next().is_none());
    // Reading from an unreachable target is exit 4, naming it.
    phi(dir.path(), &stack)
        .args(["backup", "list", "--from", "s3"])
        .run()
        .code(4)
        .stderr_has("target s3");
    // Missing credentials are a configuration error, exit 2.
    let mut bare = Phi::new(dir.path()).args(["-p", &stack.name, "backup", "list", "--from", "s3"]);
    bare.command()
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY");
    bare.run().code(2).stderr_has("AWS_ACCESS_KEY_ID");
    // An unknown target name is a usage error before anything is written.
    phi(dir.path(), &stack)
        .args(["backup", "--to", "nowhere"])
        .run()
        .code(2)
        .stderr_has("no target `nowhere`");
}

#[test]
fn retention_on_a_target_keeps_the_newest_and_leaves_what_phi_did_not_write() {
    let sshd = Sshd::start();
    let nas = tempfile::tempdir().unwrap();
    let targets = format!(
        "{}      nas: \"{}\"\n",
        targets_yaml(&sshd, None),
        nas.path().display()
    );
    let (stack, dir) = volume_stack("target-retention", &targets, 1000);
    for _ in 0..3 {
        phi(dir.path(), &stack)
            .args(["backup", "--keep-local", "1"])
            .run()
            .code(0);
        // Backup IDs are per second.
        std::thread::sleep(Duration::from_millis(1100));
    }
    // --keep-local 1: the host keeps the newest only; both targets have all three.
    let (local, _) = states(&dir.path().join("backups"));
    assert_eq!(local.len(), 1);
    for root in [sshd.root(), nas.path().to_path_buf()] {
        let (complete, _) = states(&root);
        assert_eq!(complete.len(), 3, "{}", root.display());
        assert_eq!(complete.last(), local.last());
    }
    // A target given as a URL or a path lists the same backups.
    let url = format!(
        "{}?key={}&known_hosts={}",
        sshd.url(),
        sshd.key().display(),
        sshd.known_hosts().display()
    );
    for from in [url.as_str(), nas.path().to_str().unwrap()] {
        let list = phi(dir.path(), &stack)
            .args(["backup", "list", "--json", "--from", from])
            .run();
        list.code(0);
        assert_eq!(
            list.json()["backups"].as_array().unwrap().len(),
            3,
            "{from}"
        );
    }
    // Something named like a backup that phi did not write.
    let foreign = format!("{}-20200101T000000Z", stack.name);
    std::fs::create_dir(sshd.root().join(&foreign)).unwrap();
    std::fs::write(sshd.root().join(&foreign).join("keep.txt"), "mine").unwrap();

    let out = phi(dir.path(), &stack)
        .args([
            "backup",
            "prune",
            "--from",
            "offsite",
            "--keep-last",
            "1",
            "--json",
        ])
        .run();
    out.code(0);
    let report = out.json();
    assert_eq!(report["removed"].as_array().unwrap().len(), 2, "{report}");
    assert_eq!(report["foreign"][0], foreign.as_str(), "{report}");
    let (complete, _) = states(&sshd.root());
    assert_eq!(complete, local);
    assert!(sshd.root().join(&foreign).join("keep.txt").is_file());
    // The retention after a run applies on the targets too.
    phi(dir.path(), &stack)
        .args(["backup", "--to", "nas", "--keep-last", "2"])
        .run()
        .code(0);
    let (complete, _) = states(nas.path());
    assert_eq!(complete.len(), 2);
}
