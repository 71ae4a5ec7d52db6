//! Bounded fuzzing of the readers that take hostile input: the compose loader (YAML,
//! interpolation, merge, `extends`, `include`, the project's `.env`, as `phi config` reads a
//! project), the env-file reader and the backup manifest reader. Inputs are real files
//! mutated (bytes flipped, lines doubled, tokens such as anchors, `${`, NULs, CRLF, huge numbers
//! and odd unicode spliced in), structured hostile shapes (deep nesting, alias bombs, huge
//! replica counts) and random bytes.
//!
//! Each input is read in-process: no panic, and bad input is a configuration error (exit 2)
//! with a message. One in [`BINARY_EVERY`] (and every structured one) is also run through
//! the phi binary, whose peak memory (its `VmHWM`, read while it runs) must stay under
//! [`MAX_RSS_KIB`] and whose exit must be 0 or 2 with an `error:` line.
//!
//! `PHI_FUZZ_CASES=N` sets the cases per reader (default [`DEFAULT_CASES`], about 30 s in a
//! debug build); the test prints a tally (inputs, exits by code, panics, largest RSS) either
//! way. A long run: `PHI_FUZZ_CASES=100000 cargo test --test integration fuzz -- --nocapture`.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

const DEFAULT_CASES: u32 = 500;
/// One in this many mutated inputs also goes through the binary.
const BINARY_EVERY: u64 = 8;
const MAX_RSS_KIB: i64 = 50 * 1024;

/// Pieces spliced into real files: YAML structure, anchors and merges, interpolation,
/// Compose keys that make phi read more files or plan more, numbers, control bytes, unicode.
const TOKENS: &[&str] = &[
    "&a ",
    "*a",
    "<<: *a\n",
    "<<: [*a, *a]\n",
    "${",
    "${X",
    "${X:?boom}",
    "${X:-${Y:-${Z:-deep}}}",
    "$$",
    "$",
    "\0",
    "\r\n",
    "\r",
    "\t",
    "extends:\n  file: base.yaml\n  service: b\n",
    "extends: b\n",
    "include:\n  - inc.yaml\n",
    "include: [inc.yaml, inc.yaml]\n",
    "!!binary ",
    "!reset ",
    "!override ",
    "!!map ",
    "99999999999999999999999",
    "1e999",
    "-9223372036854775809",
    "0x7fffffffffffffff",
    ".inf",
    "\u{202e}",
    "\u{feff}",
    "\u{10ffff}",
    "é",
    "'",
    "\"",
    "{",
    "}",
    "[",
    "]",
    ": ",
    "- ",
    "? ",
    "|\n",
    ">-\n",
    "---\n",
    "...\n",
    "%YAML 1.2\n",
    "replicas: 1000000\n",
    "deploy: {replicas: 4294967296}\n",
    "depends_on: [a, b]\n",
    "env_file: /dev/zero\n",
    "env_file: [.env, missing.env]\n",
    "x-phi:\n  backup: {paths: [/data]}\n",
    "ports: ['99999:80', '1-65535:1-65535']\n",
    "export ",
    "KEY=",
    "\\",
    "#",
    "=",
    "\"\\n\\t\\\\",
    "\"file\": \"../../etc/passwd\"",
    "\"file\": \"/etc/shadow\"",
    "\"size\": 18446744073709551616",
    "\"items\": [",
];

/// The compose project around every fuzzed compose file: an `extends` base and an include.
const BASE: &str =
    "services:\n  b:\n    image: busybox\n    environment: [A=1]\n    x-anchor: &a {k: v}\n";
const INC: &str = "services:\n  i:\n    image: busybox\n    depends_on: [b]\n";

/// Hand-written compose files that use what the fixtures do not: anchors, merges, extends,
/// include, interpolation with defaults and errors.
const COMPOSE_SEEDS: &[&str] = &[
    "x-common: &a\n  image: busybox\n  environment:\n    A: ${A:-1}\nservices:\n  a:\n    <<: *a\n    command: [\"sh\", \"-c\", \"echo $$A\"]\n  b:\n    <<: *a\n    depends_on:\n      a: {condition: service_started}\n",
    "include:\n  - inc.yaml\nservices:\n  web:\n    extends:\n      file: base.yaml\n      service: b\n    ports: ['8080:80']\n    env_file: [.env]\n",
    "name: ${PROJECT:-fuzz}\nservices:\n  db:\n    image: postgres:15\n    environment:\n      POSTGRES_PASSWORD: ${DB_PASSWORD:?set it}\n    volumes: [data:/var/lib/postgresql/data]\n    healthcheck: {test: [CMD, pg_isready], interval: 5s}\nvolumes:\n  data: {}\n",
];

const ENV_SEED: &str = "# comment\nexport A=1\nB='single $A'\nC=\"double ${A} \\n\"\nD=${A:-x}${B}\nE=\"multi\nline\"\nF= spaced # trailing\nDB_PASSWORD=s3cr3t-pass\nG\n";

fn manifest_seed() -> String {
    serde_json::json!({
        "manifest_version": 1, "phi_version": "0.1.0", "project": "fuzz",
        "id": "fuzz-20260101T000000Z",
        "started_at": "2026-01-01T00:00:00Z", "finished_at": "2026-01-01T00:00:01Z",
        "duration_seconds": 1.0,
        "items": [{
            "service": "db", "recipe": "volume", "source": "volume v at /data", "format": "tar",
            "target": "/data", "file": "db-volume-v.tar.zst", "size": 1, "raw_size": 1,
            "sha256": "00", "compression": "zstd", "duration_seconds": 0.0, "image": "i",
            "container": "c"
        }]
    })
    .to_string()
}

/// Real files to mutate: the fixtures' and the demo's compose and env files.
fn seeds(name: &str) -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    let mut todo = vec![root.join("tests/fixtures"), root.join("examples")];
    while let Some(dir) = todo.pop() {
        for e in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
            let path = e.path();
            if path.is_dir() {
                todo.push(path);
            } else if e.file_name().to_string_lossy().starts_with(name) {
                found.push(std::fs::read(&path).unwrap());
            }
        }
    }
    found.sort();
    found
}

/// One edit to an input.
#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Delete(usize, usize),
    Insert(usize, usize),
    DoubleLine(usize),
    Truncate(usize),
    Crlf,
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Edit::Flip(p, b)),
        (any::<usize>(), 0usize..64).prop_map(|(p, n)| Edit::Delete(p, n)),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(p, t)| Edit::Insert(p, t)),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(p, t)| Edit::Insert(p, t)),
        any::<usize>().prop_map(Edit::DoubleLine),
        any::<usize>().prop_map(Edit::Truncate),
        Just(Edit::Crlf),
    ]
}

fn apply(mut text: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let at = |p: usize, len: usize| if len == 0 { 0 } else { p % (len + 1) };
        match *e {
            Edit::Flip(p, b) if !text.is_empty() => {
                let i = p % text.len();
                text[i] = b;
            }
            Edit::Flip(..) => {}
            Edit::Delete(p, n) => {
                let i = at(p, text.len());
                let end = (i + n).min(text.len());
                text.drain(i..end);
            }
            Edit::Insert(p, t) => {
                let i = at(p, text.len());
                text.splice(i..i, TOKENS[t].bytes());
            }
            Edit::DoubleLine(p) => {
                let lines: Vec<&[u8]> = text.split_inclusive(|b| *b == b'\n').collect();
                if !lines.is_empty() {
                    let i = p % lines.len();
                    let mut out = Vec::with_capacity(text.len() * 2);
                    for (n, line) in lines.iter().enumerate() {
                        out.extend_from_slice(line);
                        if n == i {
                            out.extend_from_slice(line);
                        }
                    }
                    text = out;
                }
            }
            Edit::Truncate(p) => {
                let i = at(p, text.len());
                text.truncate(i);
            }
            Edit::Crlf => {
                text = String::from_utf8_lossy(&text)
                    .replace('\n', "\r\n")
                    .into_bytes();
            }
        }
    }
    text
}

/// Hostile shapes that mutation would rarely reach.
fn structured() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        // Deep nesting, in flow and block style.
        (1usize..400).prop_map(|d| format!(
            "services:\n  a:\n    image: x\n    labels: {}{}\n",
            "[".repeat(d),
            "]".repeat(d)
        )
        .into_bytes()),
        (1usize..300).prop_map(|d| {
            let mut s = String::from("services:\n  a:\n    image: x\n    x-deep:\n");
            for i in 0..d {
                s.push_str(&" ".repeat(6 + 2 * i));
                s.push_str("k:\n");
            }
            s.into_bytes()
        }),
        // An alias bomb: each level refers to the one before nine times.
        (1usize..12).prop_map(|levels| {
            let mut s = String::from("x-l0: &l0 [lol]\n");
            for i in 1..levels {
                let refs = vec![format!("*l{}", i - 1); 9].join(", ");
                s.push_str(&format!("x-l{i}: &l{i} [{refs}]\n"));
            }
            s.push_str(&format!(
                "services:\n  a:\n    image: x\n    labels: *l{}\n",
                levels - 1
            ));
            s.into_bytes()
        }),
        // Many replicas, as a number of any size.
        any::<u64>().prop_map(|n| format!(
            "services:\n  a:\n    image: x\n    deploy: {{replicas: {n}}}\n"
        )
        .into_bytes()),
        // Long interpolation chains and many variables.
        (1usize..2000).prop_map(|n| format!(
            "services:\n  a:\n    image: x\n    environment: [A={}]\n",
            "${V:-".repeat(n) + &"}".repeat(n)
        )
        .into_bytes()),
    ]
}

/// An input for a reader: a mutated seed (and whether the binary runs it too), a structured
/// one (always run by the binary), or random bytes.
fn input(seeds: Vec<Vec<u8>>, hostile: bool) -> impl Strategy<Value = (Vec<u8>, bool)> {
    let n = seeds.len();
    let mutated = (0..n, proptest::collection::vec(edit(), 0..8), any::<u64>()).prop_map(
        move |(i, edits, pick)| (apply(seeds[i].clone(), &edits), pick % BINARY_EVERY == 0),
    );
    let random = (
        proptest::collection::vec(any::<u8>(), 0..2048),
        any::<u64>(),
    )
        .prop_map(|(bytes, pick)| (bytes, pick % BINARY_EVERY == 0));
    if hostile {
        prop_oneof![6 => mutated, 2 => structured().prop_map(|b| (b, true)), 1 => random].boxed()
    } else {
        prop_oneof![8 => mutated, 1 => random].boxed()
    }
}

/// What the run saw.
#[derive(Debug, Default)]
struct Tally {
    inputs: u64,
    /// Outcome per reader: `ok` or `refused` in-process; `exit N` from the binary.
    outcomes: BTreeMap<String, u64>,
    binary_runs: u64,
    max_rss_kib: i64,
}

impl Tally {
    fn count(&mut self, what: String) {
        *self.outcomes.entry(what).or_default() += 1;
    }
}

/// The high-water mark of `pid`'s resident memory, in KiB, while it runs.
fn vm_hwm_kib(pid: libc::pid_t) -> Option<i64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// What the binary did with one input.
struct Run {
    code: i32,
    stderr: String,
    rss_kib: i64,
}

/// Run phi with `args` in `dir`; its exit code, stderr and peak memory from `wait4`
/// (which reaps the child: clippy cannot see that).
#[allow(clippy::zombie_processes)]
fn run_measured(dir: &Path, args: &[&str]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_phi"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run phi");
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let pid = child.id() as libc::pid_t;
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // The peak is phi's own high-water mark (`VmHWM`), read while it runs. Not wait4's
    // ru_maxrss: that keeps the high-water mark of the memory the child had before its exec,
    // which is this (large, multi-threaded) test process's, so it measured the test.
    let mut peak_kib = 0;
    loop {
        if let Some(kib) = vm_hwm_kib(pid) {
            peak_kib = peak_kib.max(kib);
        }
        // SAFETY: pid is our child, not yet reaped (std never waits for it here); status and
        // usage are valid for writes.
        let got = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if got == pid {
            break;
        }
        assert!(got == 0, "wait4: {}", std::io::Error::last_os_error());
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("phi {args:?} did not end within 20 s");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    };
    Run {
        code,
        stderr: reader.join().unwrap(),
        rss_kib: peak_kib,
    }
}

/// The binary's answer to a bad or good input: 0, or 2 with an error, never a crash, and
/// within the memory bound.
fn check_binary(tally: &Mutex<Tally>, reader: &str, run: Run) -> Result<(), TestCaseError> {
    let mut t = tally.lock().unwrap();
    t.binary_runs += 1;
    t.max_rss_kib = t.max_rss_kib.max(run.rss_kib);
    t.count(format!("{reader}: exit {}", run.code));
    drop(t);
    prop_assert!(!run.stderr.contains("panicked"), "panic: {}", run.stderr);
    prop_assert!(run.rss_kib < MAX_RSS_KIB, "{} KiB used", run.rss_kib);
    prop_assert!(
        run.code == 0 || (run.code == 2 && run.stderr.contains("error:")),
        "exit {}: {}",
        run.code,
        run.stderr
    );
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PHI_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: cases(),
        // Every input is a new file; shrinking a failure is what the run is for.
        max_shrink_iters: 2_000,
        // The failing input is printed; there is no source file to record it beside.
        failure_persistence: None,
        ..Config::default()
    })
}

/// The process environment every load sees.
fn process_env() -> phi::settings::ProcessEnv {
    [("X", "1"), ("PROJECT", "fuzz"), ("DB_PASSWORD", "pw-1234")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn load(dir: &Path, compose: &Path) -> Result<(), phi::config::ConfigError> {
    let cli = <phi::cli::Cli as clap::Parser>::try_parse_from([
        "phi".as_ref(),
        "-f".as_ref(),
        compose.as_os_str(),
        "config".as_ref(),
    ])
    .unwrap();
    phi::settings::load_project(
        &cli.global,
        &process_env(),
        dir,
        phi::redact::Redactor::new(),
    )
    .map(drop)
}

/// Count an in-process outcome; a refusal must be a configuration error with a message.
fn check_refusal(
    tally: &Mutex<Tally>,
    reader: &str,
    result: Result<(), phi::config::ConfigError>,
) -> Result<(), TestCaseError> {
    let mut t = tally.lock().unwrap();
    t.inputs += 1;
    match result {
        Ok(()) => t.count(format!("{reader}: ok")),
        Err(e) => {
            t.count(format!("{reader}: refused (exit 2)"));
            drop(t);
            prop_assert_eq!(e.exit(), phi::exit::Exit::Usage);
            prop_assert!(!e.to_string().trim().is_empty());
        }
    }
    Ok(())
}

fn fuzz_compose(tally: &Mutex<Tally>) {
    let mut seeds = seeds("compose");
    seeds.extend(COMPOSE_SEEDS.iter().map(|s| s.as_bytes().to_vec()));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("base.yaml"), BASE).unwrap();
    std::fs::write(dir.path().join("inc.yaml"), INC).unwrap();
    std::fs::write(dir.path().join(".env"), ENV_SEED).unwrap();
    let compose = dir.path().join("compose.yaml");
    runner()
        .run(&input(seeds, true), |(bytes, through_binary)| {
            std::fs::write(&compose, &bytes).unwrap();
            check_refusal(tally, "compose", load(dir.path(), &compose))?;
            if through_binary {
                let run = run_measured(dir.path(), &["-f", "compose.yaml", "config"]);
                check_binary(tally, "compose", run)?;
            }
            Ok(())
        })
        .unwrap();
}

fn fuzz_env(tally: &Mutex<Tally>) {
    let mut seeds = seeds(".env");
    seeds.push(ENV_SEED.as_bytes().to_vec());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  a:\n    image: busybox:${X:-1}\n    environment:\n      - A=${A:-}\n      - B=${DB_PASSWORD:-}\n",
    )
    .unwrap();
    let env = dir.path().join("fuzz.env");
    let lookup = |name: &str| process_env().get(name).cloned();
    runner()
        .run(&input(seeds, false), |(bytes, through_binary)| {
            std::fs::write(&env, &bytes).unwrap();
            let read = phi::config::env::parse_env_file(&env, &lookup, &|_| None).map(drop);
            check_refusal(tally, "env", read)?;
            if through_binary {
                let args = ["--env-file", "fuzz.env", "-f", "compose.yaml", "config"];
                check_binary(tally, "env", run_measured(dir.path(), &args))?;
            }
            Ok(())
        })
        .unwrap();
}

fn fuzz_manifest(tally: &Mutex<Tally>) {
    let seeds = vec![manifest_seed().into_bytes()];
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("compose.yaml"),
        "name: fuzz\nservices: {}\n",
    )
    .unwrap();
    // A backup folder as phi makes it: its marker, the manifest, the item's file.
    let folder = dir.path().join("backups/fuzz-20260101T000000Z");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join(".phi-backup"), "phi backup\n").unwrap();
    std::fs::write(folder.join("db-volume-v.tar.zst"), "x").unwrap();
    let manifest = folder.join("manifest.json");
    runner()
        .run(&input(seeds, false), |(bytes, through_binary)| {
            std::fs::write(&manifest, &bytes).unwrap();
            let read = phi::commands::backup::store::read_manifest(&manifest);
            {
                let mut t = tally.lock().unwrap();
                t.inputs += 1;
                t.count(format!(
                    "manifest: {}",
                    if read.is_ok() { "ok" } else { "damaged" }
                ));
            }
            if let Err(why) = read {
                prop_assert!(!why.trim().is_empty());
            }
            if through_binary {
                let run = run_measured(dir.path(), &["--json", "backup", "list"]);
                check_binary(tally, "manifest (backup list)", run)?;
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn hostile_compose_env_and_manifest_inputs_never_panic_and_stay_bounded() {
    let started = Instant::now();
    let tally = Mutex::new(Tally::default());
    fuzz_compose(&tally);
    fuzz_env(&tally);
    fuzz_manifest(&tally);
    let t = tally.into_inner().unwrap();
    let mut report = format!(
        "fuzz: {} inputs ({} cases per reader) in {:.1} s; {} through the binary, largest RSS {} KiB; panics 0\n",
        t.inputs,
        cases(),
        started.elapsed().as_secs_f64(),
        t.binary_runs,
        t.max_rss_kib
    );
    for (what, n) in &t.outcomes {
        report.push_str(&format!("  {what}: {n}\n"));
    }
    // The tally is the point of a long run; cargo shows it with --nocapture.
    #[allow(clippy::print_stderr)]
    {
        eprint!("{report}");
    }
    assert!(t.binary_runs > 0 && t.inputs >= 3 * u64::from(cases()));
}
