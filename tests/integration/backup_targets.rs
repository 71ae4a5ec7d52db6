//! `phi backup` with targets, against real servers the tests start themselves on 127.0.0.1:
//! OpenSSH's sshd (a generated host key, an authorized key, a known_hosts file) and moto's
//! S3-compatible server (from PyPI, in a venv under $PHI_TEST_CACHE; see
//! scripts/setup-test-env.sh). A missing server fails the test: it is never skipped.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::backup::{POSTGRES, REDIS, exec, psql};
use crate::backup_crypt::{
    PG_PASSWORD, TABLE_CHECKSUM, keypair, redis_ready, start_postgres, volume_files,
};
use crate::support::{Output, Phi, Stack, docker, project_dir};

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

/// The value of sample `name` for `project` and `target` (no target label: "") in a textfile.
fn prom(text: &str, name: &str, project: &str, target: &str) -> Option<f64> {
    let labels = if target.is_empty() {
        format!("{{project=\"{project}\"}} ")
    } else {
        format!("{{project=\"{project}\",target=\"{target}\"}} ")
    };
    let prefix = format!("{name}{labels}");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map(|v| v.parse().unwrap())
}

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

/// PostgreSQL (table `items`, 5000 rows), Redis (three keys) and a volume `media` (two
/// files) of one stack, each declared for backup; `backup_yaml` goes under `x-phi.backup`.
struct Trio {
    stack: Stack,
    dir: tempfile::TempDir,
    db: String,
    cache: String,
    files: String,
}

/// What a restore must bring back: the table's rows, the Redis keys, the volume's bytes.
#[derive(Debug, PartialEq)]
struct Snapshot {
    table: String,
    keys: String,
    files: String,
}

impl Trio {
    fn start(test: &str, backup_yaml: &str) -> Trio {
        let stack = Stack::new(test);
        let volume = format!("{}_media", stack.name);
        let label = format!("com.docker.compose.project={}", stack.name);
        docker(&["volume", "create", "--label", &label, &volume]);
        let compose = format!(
            "services:\n  db:\n    image: {POSTGRES}\n    x-phi: {{ backup: {{ postgres: true }} }}\n  \
             cache:\n    image: {REDIS}\n    x-phi: {{ backup: {{ redis: true }} }}\n  \
             files:\n    image: phi-test/busybox\n    volumes: ['media:/srv/media']\n    \
             x-phi: {{ backup: {{ volumes: [media] }} }}\nvolumes:\n  media: {{}}\n\
             x-phi:\n  backup:\n{backup_yaml}"
        );
        let dir = project_dir(&compose);
        let db = start_postgres(&stack);
        let cache = stack.run_image("cache", REDIS, &[], &[]);
        let files = stack.run_idle("files", &["-v", &format!("{volume}:/srv/media")]);
        redis_ready(&cache);
        for (k, v) in [("alpha", "1"), ("beta", "two words"), ("gamma", "3")] {
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
        Trio {
            stack,
            dir,
            db,
            cache,
            files,
        }
    }

    fn snapshot(&self) -> Snapshot {
        redis_ready(&self.cache);
        let mut keys = exec(&self.cache, &["redis-cli", "DBSIZE"]);
        for k in ["alpha", "beta", "gamma"] {
            keys.push_str(&format!(
                " {k}={}",
                exec(&self.cache, &["redis-cli", "GET", k])
            ));
        }
        Snapshot {
            table: psql(&self.db, TABLE_CHECKSUM),
            keys,
            files: volume_files(&self.files),
        }
    }

    /// Change all three, so that a restore has something to undo.
    fn damage(&self) {
        psql(
            &self.db,
            "delete from items where id % 2 = 0; update items set v = 'x'",
        );
        exec(&self.cache, &["redis-cli", "FLUSHALL"]);
        exec(&self.cache, &["redis-cli", "SET", "alpha", "changed"]);
        exec(
            &self.files,
            &[
                "sh",
                "-c",
                "rm -rf /srv/media/sub && echo changed > /srv/media/a.txt",
            ],
        );
    }

    fn phi(&self) -> Phi {
        phi(self.dir.path(), &self.stack)
    }

    fn backups(&self) -> PathBuf {
        self.dir.path().join("backups")
    }
}

#[test]
fn postgres_redis_and_a_volume_round_trip_through_sftp_and_s3() {
    let sshd = Sshd::start();
    let moto = Moto::start();
    let trio = Trio::start("target-trip", &targets_yaml(&sshd, Some(&moto)));
    let before = trio.snapshot();

    // One run, both targets (every declared one), at the highest verbosity.
    let out = trio.phi().args(["-vv", "backup", "--json"]).run();
    out.code(0);
    let report = out.json();
    let targets = report["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 2, "{report}");
    assert!(targets.iter().all(|t| t["ok"] == true), "{report}");
    for secret in [AWS_SECRET, PG_PASSWORD] {
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
    std::fs::remove_dir_all(trio.backups()).unwrap();
    for target in ["offsite", "s3"] {
        let list = trio
            .phi()
            .args(["backup", "list", "--from", target, "--json"])
            .run();
        list.code(0);
        let listed = list.json();
        assert_eq!(listed["backups"][0]["id"], id.as_str(), "{listed}");
        assert_eq!(listed["backups"][0]["state"], "complete", "{listed}");
        trio.phi()
            .args(["backup", "verify", "--from", target])
            .run()
            .code(0);

        trio.damage();
        assert_ne!(trio.snapshot(), before);
        trio.phi()
            .args(["backup", "restore", "latest", "--from", target, "--yes"])
            .run()
            .code(0);
        assert_eq!(trio.snapshot(), before, "{target}");
        assert!(leftovers(&trio.backups()).is_empty());
    }
}

/// The download folders (`.phi-from-*`) left in a backup directory.
fn leftovers(backups: &Path) -> Vec<String> {
    std::fs::read_dir(backups)
        .map(|r| {
            r.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(".phi-from"))
                .collect()
        })
        .unwrap_or_default()
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
    let files = stack.run_idle("files", &["-v", &format!("{volume}:/srv/media")]);
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

    // First a run that works, with the metrics textfile: one series per target.
    let textfile = dir.path().join("phi.prom");
    let out = phi(dir.path(), &stack)
        .args(["backup", "--to", "offsite", "--to", "s3", "--prometheus"])
        .args([&textfile])
        .run();
    out.code(0);
    let first = std::fs::read_to_string(&textfile).unwrap();
    let at = |text: &str, name: &str, target: &str| {
        prom(text, name, &stack.name, target)
            .unwrap_or_else(|| panic!("no {name} for target {target} in\n{text}"))
    };
    let run_started = prom(
        &first,
        "phi_backup_last_attempt_timestamp_seconds",
        &stack.name,
        "",
    )
    .expect("the run's attempt");
    let finished = at(&first, "phi_backup_last_success_timestamp_seconds", "local");
    for target in ["offsite", "s3"] {
        let started = at(
            &first,
            "phi_backup_target_last_attempt_timestamp_seconds",
            target,
        );
        assert!(
            started >= run_started && started <= finished + 60.0,
            "{first}"
        );
        assert_eq!(
            at(&first, "phi_backup_target_last_attempt_success", target),
            1.0
        );
        let took = at(
            &first,
            "phi_backup_target_last_attempt_duration_seconds",
            target,
        );
        assert!(took > 0.0 && took < 60.0, "{first}");
        // The same backup, read back from the target: the local one's figures.
        for name in [
            "phi_backup_last_success_timestamp_seconds",
            "phi_backup_last_success_duration_seconds",
            "phi_backup_last_success_size_bytes",
            "phi_backup_last_success_items",
            "phi_backup_complete_backups",
        ] {
            assert_eq!(
                at(&first, name, target),
                at(&first, name, "local"),
                "{name}"
            );
        }
    }
    assert_eq!(at(&first, "phi_backup_last_success_items", "s3"), 1.0);
    assert!(at(&first, "phi_backup_last_success_size_bytes", "s3") > 1000.0);
    // No credential in any label.
    assert!(!first.contains(AWS_SECRET) && !first.contains(AWS_KEY_ID));
    std::thread::sleep(Duration::from_millis(1100));

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
    // S3 with its server down: its attempt moves, its last success stays; offsite (not
    // copied to this time) keeps its series.
    moto.kill();
    let out = phi(dir.path(), &stack)
        .args(["-vv", "backup", "--to", "s3", "--prometheus"])
        .args([&textfile])
        .run();
    out.code(1);
    out.stderr_has("target s3");
    assert!(!out.stdout.contains(AWS_SECRET) && !out.stderr.contains(AWS_SECRET));
    let second = std::fs::read_to_string(&textfile).unwrap();
    assert_eq!(
        at(&second, "phi_backup_target_last_attempt_success", "s3"),
        0.0
    );
    assert!(
        at(
            &second,
            "phi_backup_target_last_attempt_timestamp_seconds",
            "s3"
        ) > at(
            &first,
            "phi_backup_target_last_attempt_timestamp_seconds",
            "s3"
        )
    );
    assert!(
        at(
            &second,
            "phi_backup_last_success_timestamp_seconds",
            "local"
        ) > at(&first, "phi_backup_last_success_timestamp_seconds", "local")
    );
    for (name, target) in [
        ("phi_backup_last_success_timestamp_seconds", "s3"),
        ("phi_backup_last_success_size_bytes", "s3"),
        ("phi_backup_complete_backups", "s3"),
        (
            "phi_backup_target_last_attempt_timestamp_seconds",
            "offsite",
        ),
        ("phi_backup_target_last_attempt_success", "offsite"),
        ("phi_backup_last_success_timestamp_seconds", "offsite"),
    ] {
        assert_eq!(
            at(&second, name, target),
            at(&first, name, target),
            "{name} {target}"
        );
    }
    // Every local backup is kept and complete; only the first run's landed on the SFTP server.
    let (local, incomplete) = states(&dir.path().join("backups"));
    assert_eq!((local.len(), incomplete.len()), (5, 0));
    let (remote, _) = states(&sshd.root());
    assert_eq!(remote, local[..1]);
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
    // The retention after a run applies on the targets too; the textfile counts what is
    // left there.
    let textfile = dir.path().join("phi.prom");
    phi(dir.path(), &stack)
        .args(["backup", "--to", "nas", "--keep-last", "2", "--prometheus"])
        .args([&textfile])
        .run()
        .code(0);
    let (complete, _) = states(nas.path());
    assert_eq!(complete.len(), 2);
    let metrics = std::fs::read_to_string(&textfile).unwrap();
    assert_eq!(
        prom(&metrics, "phi_backup_complete_backups", &stack.name, "nas"),
        Some(2.0),
        "{metrics}"
    );
}

/// One request to moto, without going through phi (moto checks no signature: it only needs
/// to know whose request it is); the answer's body, which must be a 2xx.
fn s3_http(moto: &Moto, method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(("127.0.0.1", moto.port)).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\
         Content-Length: {}\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential={AWS_KEY_ID}/20240101/eu-west-1/s3/aws4_request, \
         SignedHeaders=host, Signature=0\r\n\r\n",
        moto.port,
        body.len()
    )
    .unwrap();
    stream.write_all(body).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer");
    let head = String::from_utf8_lossy(&answer[..split]).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 2"), "{method} {path}: {head}");
    let mut body = answer[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        let (mut plain, mut rest) = (Vec::new(), body.as_slice());
        loop {
            let line_end = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let size = usize::from_str_radix(String::from_utf8_lossy(&rest[..line_end]).trim(), 16)
                .unwrap();
            if size == 0 {
                break;
            }
            plain.extend_from_slice(&rest[line_end + 2..line_end + 2 + size]);
            rest = &rest[line_end + 4 + size..];
        }
        body = plain;
    }
    body
}

/// The keys under `prefix` in moto's bucket.
fn s3_keys(moto: &Moto, prefix: &str) -> Vec<String> {
    let listing = s3_http(
        moto,
        "GET",
        &format!("/{BUCKET}?list-type=2&prefix={prefix}"),
        b"",
    );
    String::from_utf8(listing)
        .unwrap()
        .split("<Key>")
        .skip(1)
        .map(|part| part.split("</Key>").next().unwrap().to_string())
        .collect()
}

/// The objects under `prefix` in moto's bucket, each with its bytes.
fn s3_objects(moto: &Moto, prefix: &str) -> Vec<(String, Vec<u8>)> {
    s3_keys(moto, prefix)
        .into_iter()
        .map(|key| {
            let bytes = s3_http(moto, "GET", &format!("/{BUCKET}/{key}"), b"");
            (key, bytes)
        })
        .collect()
}

/// Every file of a backup on a target: only phi's marker and the manifest are in the clear;
/// every item is an age file, and the manifest says so.
#[track_caller]
fn all_encrypted(files: &[(String, Vec<u8>)], public: &str) {
    let manifest = files
        .iter()
        .find(|(name, _)| name.ends_with("/manifest.json"))
        .expect("a manifest on the target");
    let manifest: serde_json::Value = serde_json::from_slice(&manifest.1).unwrap();
    let items = manifest["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{manifest}");
    for item in items {
        assert_eq!(item["encryption"]["scheme"], "age", "{item}");
        assert_eq!(item["encryption"]["recipients"][0], public, "{item}");
    }
    assert_eq!(files.len(), items.len() + 2, "{:?}", names(files));
    for (name, bytes) in files {
        if name.ends_with("/manifest.json") || name.ends_with("/.phi-backup") {
            continue;
        }
        assert!(
            bytes.starts_with(b"age-encryption.org/v1\n"),
            "{name} on the target is not an age file"
        );
        let file = name.rsplit('/').next().unwrap();
        let item = items.iter().find(|i| i["file"] == file).expect(name);
        assert_eq!(item["size"].as_u64(), Some(bytes.len() as u64), "{name}");
    }
}

fn names(files: &[(String, Vec<u8>)]) -> Vec<&str> {
    files.iter().map(|(n, _)| n.as_str()).collect()
}

/// The files of one folder on the SFTP server, as `<id>/<name>` with their bytes.
fn sftp_files(sshd: &Sshd, id: &str) -> Vec<(String, Vec<u8>)> {
    std::fs::read_dir(sshd.root().join(id))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| {
            (
                format!("{id}/{}", e.file_name().to_string_lossy()),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// No output of phi shows any of `secrets`, nor any age secret key at all.
#[track_caller]
fn no_secret(out: &Output, what: &str, secrets: &[&str]) {
    for text in [&out.stdout, &out.stderr] {
        assert!(
            !text.contains("AGE-SECRET-KEY"),
            "{what} printed an age secret key\n{text}"
        );
        for secret in secrets {
            assert!(
                !text.contains(secret),
                "{what} printed a secret ({}...)\n--- stdout\n{}\n--- stderr\n{}",
                &secret[..4],
                out.stdout,
                out.stderr
            );
        }
    }
}

#[test]
fn age_encrypted_backups_round_trip_through_sftp_and_s3_without_showing_a_secret() {
    let sshd = Sshd::start();
    let moto = Moto::start();
    let trio = Trio::start("target-age", &targets_yaml(&sshd, Some(&moto)));
    let keys = tempfile::tempdir().unwrap();
    let (public, identity, secret) = keypair(keys.path(), "key.txt");
    let (_, wrong, wrong_secret) = keypair(keys.path(), "wrong.txt");
    let ssh_key = std::fs::read_to_string(sshd.key()).unwrap();
    // Every secret the runs below can reach: the AWS secret, both age keys (the part after
    // the prefix, which no_secret forbids anyway), each line of the SSH private key, the
    // database's password, and a password given in a URL.
    let mut secrets: Vec<&str> = vec![
        AWS_SECRET,
        PG_PASSWORD,
        &secret[15..],
        &wrong_secret[15..],
        "hunter2-in-url",
    ];
    secrets.extend(ssh_key.lines().filter(|l| !l.starts_with("-----")));
    let identity = identity.to_str().unwrap();
    let before = trio.snapshot();

    // Both targets given as URLs, at the highest verbosity phi has.
    let sftp = format!(
        "{}?key={}&known_hosts={}",
        sshd.url(),
        sshd.key().display(),
        sshd.known_hosts().display()
    );
    let s3 = format!(
        "s3://{BUCKET}/nightly?endpoint={}&region=eu-west-1",
        moto.endpoint()
    );
    let out = trio
        .phi()
        .env("BACKUP_AGE_RECIPIENTS", &public)
        .args(["-vv", "backup", "--json", "--to", &sftp, "--to", &s3])
        .run();
    out.code(0);
    no_secret(&out, "backup --to", &secrets);
    let report = out.json();
    assert_eq!(report["age_recipients"][0], public.as_str(), "{report}");
    let targets = report["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 2, "{report}");
    assert!(targets.iter().all(|t| t["ok"] == true), "{report}");
    let id = report["id"].as_str().unwrap().to_string();

    // Nothing in the clear landed on either target.
    all_encrypted(&sftp_files(&sshd, &id), &public);
    let on_s3 = s3_objects(&moto, "nightly/");
    assert!(
        on_s3
            .iter()
            .all(|(k, _)| k.starts_with(&format!("nightly/{id}/"))),
        "{:?}",
        names(&on_s3)
    );
    all_encrypted(&on_s3, &public);

    // The host loses its copy; each target alone brings the data back, with the key only.
    std::fs::remove_dir_all(trio.backups()).unwrap();
    for target in ["offsite", "s3"] {
        // Without a key: the encrypted files' size and sha256.
        let out = trio
            .phi()
            .args(["-vv", "backup", "verify", "--json", "--from", target])
            .run();
        out.code(0);
        no_secret(&out, "verify --from", &secrets);
        let items = out.json()["backups"][0]["items"].clone();
        assert_eq!(items.as_array().unwrap().len(), 3, "{items}");
        assert!(
            items
                .as_array()
                .unwrap()
                .iter()
                .all(|i| i["opened"] == false && i["ok"] == true),
            "{target}: {items}"
        );
        // With it: every stream decrypted and read to its end, the dump listed.
        let out = trio
            .phi()
            .args(["-vv", "backup", "verify", "--json", "--from", target])
            .args(["--identity", identity])
            .run();
        out.code(0);
        no_secret(&out, "verify --from --identity", &secrets);
        let items = out.json()["backups"][0]["items"].clone();
        assert!(
            items
                .as_array()
                .unwrap()
                .iter()
                .all(|i| i["opened"] == true && i["ok"] == true),
            "{target}: {items}"
        );
        assert!(
            items.to_string().contains("\"pg_restore_list\":\"ok\""),
            "{items}"
        );

        trio.damage();
        let damaged = trio.snapshot();
        assert_ne!(damaged, before);
        // Without a key, restore stops before touching anything: exit 2, saying how.
        let out = trio
            .phi()
            .args([
                "-vv", "backup", "restore", "latest", "--from", target, "--yes",
            ])
            .run();
        out.code(2).stderr_has("--identity");
        no_secret(&out, "restore --from without a key", &secrets);
        assert_eq!(trio.snapshot(), damaged, "{target}");
        // With it: row for row, key for key, byte for byte.
        let out = trio
            .phi()
            .args([
                "-vv", "backup", "restore", "latest", "--from", target, "--yes",
            ])
            .args(["--identity", identity])
            .run();
        out.code(0);
        no_secret(&out, "restore --from --identity", &secrets);
        assert_eq!(trio.snapshot(), before, "{target}");
        assert!(leftovers(&trio.backups()).is_empty());
    }

    // A key that does not fit: exit 3, naming the identity file, showing no key.
    let out = trio
        .phi()
        .args(["-vv", "backup", "verify", "--from", "s3", "--identity"])
        .args([wrong.to_str().unwrap()])
        .run();
    out.code(3).stdout_has("no identity in");
    no_secret(&out, "verify --from with a wrong key", &secrets);

    // The drill, from the SFTP target.
    let out = trio
        .phi()
        .args(["-vv", "backup", "drill", "--json", "--from", "offsite"])
        .args(["--identity", identity])
        .run();
    out.code(0);
    no_secret(&out, "drill --from --identity", &secrets);
    assert!(out.stdout.contains("5000 row(s)"), "{}", out.stdout);

    // A password in a target URL is refused (exit 2) before anything is written, unshown.
    let before_runs = std::fs::read_dir(trio.backups()).map_or(0, |r| r.count());
    for url in [
        format!("sftp://{}:hunter2-in-url@127.0.0.1:{}/x", user(), sshd.port),
        format!("s3://{AWS_KEY_ID}:hunter2-in-url@{BUCKET}/x"),
    ] {
        let out = trio.phi().args(["-vv", "backup", "--to", &url]).run();
        out.code(2);
        no_secret(&out, "backup --to a URL with a password", &secrets);
        let out = trio
            .phi()
            .args(["-vv", "backup", "list", "--from", &url])
            .run();
        out.code(2);
        no_secret(&out, "list --from a URL with a password", &secrets);
    }
    assert_eq!(
        std::fs::read_dir(trio.backups()).map_or(0, |r| r.count()),
        before_runs
    );
}

#[test]
fn a_locked_target_is_waited_for_and_named_and_a_dead_runs_lock_is_taken_over() {
    let sshd = Sshd::start();
    let moto = Moto::start();
    let nas = tempfile::tempdir().unwrap();
    let targets = format!(
        "{}      nas: \"{}\"\n",
        targets_yaml(&sshd, Some(&moto)),
        nas.path().display()
    );
    let (stack, dir) = volume_stack("target-lock", &targets, 1000);
    let lock = format!(".phi-lock-{}", stack.name);
    let s3_lock = format!("/{BUCKET}/nightly/{lock}");
    // Another host's run holds every target.
    let foreign = "phi backup (pid 1 on elsewhere.example, since 2024-01-01T00:00:00Z)\n";
    std::fs::write(sshd.root().join(&lock), foreign).unwrap();
    std::fs::write(nas.path().join(&lock), foreign).unwrap();
    s3_http(&moto, "PUT", &s3_lock, foreign.as_bytes());

    let out = phi(dir.path(), &stack)
        .args(["backup", "--lock-timeout", "1s"])
        .run();
    out.code(1);
    for target in ["offsite", "s3", "nas"] {
        out.stderr_has(&format!(
            "target {target} is locked by phi backup (pid 1 on elsewhere.example"
        ));
    }
    out.stderr_has(&lock);
    // Nothing was copied anywhere, and the other run's locks are as they were.
    let (on_sftp, _) = states(&sshd.root());
    let (on_nas, _) = states(nas.path());
    assert!(on_sftp.is_empty() && on_nas.is_empty());
    assert_eq!(s3_keys(&moto, "nightly/"), [format!("nightly/{lock}")]);
    assert_eq!(
        std::fs::read_to_string(sshd.root().join(&lock)).unwrap(),
        foreign
    );
    // A prune on a locked target waits, then gives up: exit 5, naming the holder.
    phi(dir.path(), &stack)
        .args(["backup", "prune", "--from", "offsite", "--keep-last", "1"])
        .args(["--lock-timeout", "1s"])
        .run()
        .code(5)
        .stderr_has("elsewhere.example");

    // The SFTP lock is gone; the others were left by a run of this host that no longer
    // runs: taken over.
    std::fs::remove_file(sshd.root().join(&lock)).unwrap();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let dead = format!(
        "phi backup (pid 4194303 on {}, since 2024-01-01T00:00:00Z)\n",
        host.trim()
    );
    std::fs::write(nas.path().join(&lock), &dead).unwrap();
    s3_http(&moto, "PUT", &s3_lock, dead.as_bytes());
    phi(dir.path(), &stack)
        .args(["backup", "push", "--lock-timeout", "1s"])
        .run()
        .code(0);
    // A new backup on the host (and the NAS) only; then two pushes of it at once to the
    // others: on each target one run copies it while the other waits, then finds it there.
    std::thread::sleep(Duration::from_millis(1100));
    phi(dir.path(), &stack)
        .args(["backup", "--to", "nas"])
        .run()
        .code(0);
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let p = phi(dir.path(), &stack)
                .args(["backup", "push", "--json", "--to", "offsite", "--to", "s3"]);
            std::thread::spawn(move || p.run())
        })
        .collect();
    let reports: Vec<serde_json::Value> = runs
        .into_iter()
        .map(|run| {
            let out = run.join().unwrap();
            out.code(0);
            out.json()
        })
        .collect();
    for i in 0..2 {
        let copied: Vec<bool> = reports
            .iter()
            .map(|r| {
                assert_eq!(r["targets"][i]["ok"], true, "{r}");
                r["targets"][i]["already_there"] == false
            })
            .collect();
        assert_eq!(copied.iter().filter(|c| **c).count(), 1, "{:?}", reports);
    }
    let (local, _) = states(&dir.path().join("backups"));
    for root in [sshd.root(), nas.path().to_path_buf()] {
        assert_eq!(states(&root).0, local, "{}", root.display());
        assert!(!root.join(&lock).exists(), "{}", root.display());
    }
    let keys = s3_keys(&moto, "nightly/");
    assert!(!keys.iter().any(|k| k.ends_with(&lock)), "{keys:?}");
    assert!(
        keys.iter().any(|k| k.ends_with("/manifest.json")),
        "{keys:?}"
    );
}
