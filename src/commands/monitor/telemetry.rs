//! Where `phi monitor` sends what it sees besides the terminal: a size-rotated JSON-lines
//! log, a node_exporter textfile (written atomically), and webhooks.

use std::time::SystemTime;

use super::ContainerSample;
use super::events::Counters;
use super::metrics::Metrics;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::http;

/// A JSON-lines file rotated by size: `FILE`, `FILE.1`, ... `FILE.<files-1>`, newest first,
/// like Docker's json-file logging with max-size and max-file.
#[derive(Debug)]
pub struct RotatingLog {
    path: PathBuf,
    max_bytes: u64,
    files: u32,
    file: Option<File>,
    size: u64,
}

impl RotatingLog {
    pub fn open(path: &Path, max_bytes: u64, files: u32) -> std::io::Result<RotatingLog> {
        let mut log = RotatingLog {
            path: path.to_path_buf(),
            max_bytes: max_bytes.max(1),
            files: files.max(1),
            file: None,
            size: 0,
        };
        log.reopen()?;
        Ok(log)
    }

    fn reopen(&mut self) -> std::io::Result<()> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        self.size = file.metadata()?.len();
        self.file = Some(file);
        Ok(())
    }

    /// Append one line; rotate first when it would not fit (a line is never split).
    pub fn append(&mut self, line: &str) -> std::io::Result<()> {
        let len = line.len() as u64 + 1;
        if self.size > 0 && self.size + len > self.max_bytes {
            self.rotate()?;
        }
        let file = match self.file.as_mut() {
            Some(f) => f,
            None => {
                self.reopen()?;
                self.file.as_mut().expect("reopened")
            }
        };
        file.write_all(line.as_bytes())?;
        file.write_all(b"\n")?;
        self.size += len;
        Ok(())
    }

    fn numbered(&self, n: u32) -> PathBuf {
        let mut name = self.path.as_os_str().to_os_string();
        name.push(format!(".{n}"));
        PathBuf::from(name)
    }

    fn rotate(&mut self) -> std::io::Result<()> {
        self.file = None;
        if self.files == 1 {
            fs::remove_file(&self.path)?;
        } else {
            let oldest = self.numbered(self.files - 1);
            if oldest.exists() {
                fs::remove_file(&oldest)?;
            }
            for n in (1..self.files - 1).rev() {
                let from = self.numbered(n);
                if from.exists() {
                    fs::rename(&from, self.numbered(n + 1))?;
                }
            }
            fs::rename(&self.path, self.numbered(1))?;
        }
        self.reopen()
    }
}

/// Write `content` to `path` so a reader sees the old file or the new one, never a part:
/// a temporary file in the same directory, synced, then renamed over the target.
pub fn write_atomic(path: &Path, content: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("the path names no file"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = dir.join(tmp_name);
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(content.as_bytes())?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// One metric family of the textfile: help, type and samples with their labels.
pub struct Family<'a> {
    pub name: &'a str,
    pub help: &'a str,
    pub kind: &'a str,
    pub samples: Vec<(Vec<(&'a str, String)>, f64)>,
}

/// Render families in the Prometheus text exposition format.
pub fn prometheus_text(families: &[Family<'_>]) -> String {
    let mut out = String::new();
    for f in families {
        out.push_str(&format!(
            "# HELP {} {}\n# TYPE {} {}\n",
            f.name, f.help, f.name, f.kind
        ));
        for (labels, value) in &f.samples {
            let labels: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
                .collect();
            let labels = if labels.is_empty() {
                String::new()
            } else {
                format!("{{{}}}", labels.join(","))
            };
            out.push_str(&format!("{}{} {}\n", f.name, labels, value));
        }
    }
    out
}

fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// How many times a webhook delivery is attempted.
pub const WEBHOOK_ATTEMPTS: u32 = 3;

/// POST `payload` to `url`, retrying a bounded number of times on failure or a 5xx/429
/// answer. Returns a description of the last failure, if it never succeeded.
pub async fn deliver(
    client: &http::Client,
    url: &str,
    payload: Vec<u8>,
    timeout: Duration,
) -> Result<u16, String> {
    let mut last = String::new();
    for attempt in 0..WEBHOOK_ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(500 * (1 << (attempt - 1)))).await;
        }
        match client
            .send(http::Request::post_json(url, payload.clone(), timeout))
            .await
        {
            Ok(answer) if answer.status < 300 => return Ok(answer.status),
            Ok(answer) if answer.status == 429 || answer.status >= 500 => {
                last = format!("answered {}", answer.status);
            }
            Ok(answer) => return Err(format!("answered {}", answer.status)),
            Err(e) => last = e.to_string(),
        }
    }
    Err(format!("{last} (after {WEBHOOK_ATTEMPTS} attempts)"))
}

/// The node_exporter textfile for one sample.
pub(super) fn prometheus(project: &str, samples: &[ContainerSample], now: SystemTime) -> String {
    let running: Vec<&ContainerSample> = samples.iter().filter(|s| s.state != "gone").collect();
    let labels = |s: &ContainerSample| {
        vec![
            ("project", project.to_string()),
            ("service", s.service.clone().unwrap_or_default()),
            ("container", s.container.clone()),
        ]
    };
    let metric = |name: &'static str,
                  help: &'static str,
                  kind: &'static str,
                  f: &dyn Fn(&Metrics) -> Option<f64>| Family {
        name,
        help,
        kind,
        samples: running
            .iter()
            .filter_map(|s| Some((labels(s), f(s.metrics.as_ref()?)?)))
            .collect(),
    };
    let families = vec![
        metric(
            "phi_container_cpu_percent",
            "CPU use as the docker CLI shows it (100 = one core).",
            "gauge",
            &|m| m.cpu_percent,
        ),
        metric(
            "phi_container_cpu_host_percent",
            "CPU use as a share of the whole host.",
            "gauge",
            &|m| m.cpu_host_percent,
        ),
        metric(
            "phi_container_memory_bytes",
            "Memory in use, inactive file cache excluded.",
            "gauge",
            &|m| Some(m.memory_bytes as f64),
        ),
        metric(
            "phi_container_memory_limit_bytes",
            "Memory limit (the host's memory when unlimited).",
            "gauge",
            &|m| Some(m.memory_limit_bytes as f64),
        ),
        metric(
            "phi_container_memory_percent",
            "Memory in use as a share of the limit.",
            "gauge",
            &|m| m.memory_percent,
        ),
        metric(
            "phi_container_network_receive_bytes_total",
            "Bytes received over all interfaces.",
            "counter",
            &|m| Some(m.net_rx_bytes as f64),
        ),
        metric(
            "phi_container_network_transmit_bytes_total",
            "Bytes sent over all interfaces.",
            "counter",
            &|m| Some(m.net_tx_bytes as f64),
        ),
        metric(
            "phi_container_block_read_bytes_total",
            "Bytes read from block devices.",
            "counter",
            &|m| Some(m.block_read_bytes as f64),
        ),
        metric(
            "phi_container_block_write_bytes_total",
            "Bytes written to block devices.",
            "counter",
            &|m| Some(m.block_write_bytes as f64),
        ),
        metric(
            "phi_container_pids",
            "Processes and threads in the container.",
            "gauge",
            &|m| Some(m.pids as f64),
        ),
        Family {
            name: "phi_container_running",
            help: "1 when the container is running.",
            kind: "gauge",
            samples: running
                .iter()
                .map(|s| (labels(s), f64::from(u8::from(s.state == "running"))))
                .collect(),
        },
        Family {
            name: "phi_container_healthy",
            help: "1 healthy, 0 unhealthy or starting; absent without a healthcheck.",
            kind: "gauge",
            samples: running
                .iter()
                .filter_map(|s| Some((labels(s), f64::from(u8::from(s.health? == "healthy")))))
                .collect(),
        },
        Family {
            name: "phi_container_restarts_total",
            help: "Times the engine restarted the container.",
            kind: "counter",
            samples: running
                .iter()
                .map(|s| (labels(s), s.restarts as f64))
                .collect(),
        },
        Family {
            name: "phi_monitor_last_sample_timestamp_seconds",
            help: "When phi monitor last sampled.",
            kind: "gauge",
            samples: vec![(
                vec![("project", project.to_string())],
                now.duration_since(SystemTime::UNIX_EPOCH)
                    .map(|d| d.as_secs_f64())
                    .unwrap_or(0.0),
            )],
        },
    ];
    prometheus_text(&families)
}

/// The `--serve` page: cAdvisor's names where cAdvisor has the series, `phi_` otherwise;
/// every per-container series labelled with project, service and container.
pub fn scrape_page(
    project: &str,
    samples: &[ContainerSample],
    counters: &std::collections::HashMap<String, Counters>,
    now: SystemTime,
    engine_up: bool,
) -> String {
    let present: Vec<&ContainerSample> = samples.iter().filter(|s| s.state != "gone").collect();
    let labels = |s: &ContainerSample| {
        vec![
            ("project", project.to_string()),
            ("service", s.service.clone().unwrap_or_default()),
            ("container", s.container.clone()),
        ]
    };
    let metric = |name: &'static str,
                  help: &'static str,
                  kind: &'static str,
                  f: &dyn Fn(&Metrics) -> f64| Family {
        name,
        help,
        kind,
        samples: present
            .iter()
            .filter_map(|s| Some((labels(s), f(s.metrics.as_ref()?))))
            .collect(),
    };
    let each = |name: &'static str,
                help: &'static str,
                kind: &'static str,
                f: &dyn Fn(&ContainerSample) -> Option<f64>| Family {
        name,
        help,
        kind,
        samples: present
            .iter()
            .filter_map(|s| Some((labels(s), f(s)?)))
            .collect(),
    };
    let counter = |s: &ContainerSample| counters.get(&s.container).copied().unwrap_or_default();
    let seconds = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let health = health_family(&present, &labels);
    let families = vec![
        metric(
            "container_cpu_usage_seconds_total",
            "Cumulative CPU time consumed in seconds.",
            "counter",
            &|m| m.cpu_usage_seconds,
        ),
        metric(
            "container_memory_working_set_bytes",
            "Current working set in bytes (usage without inactive file cache).",
            "gauge",
            &|m| m.memory_bytes as f64,
        ),
        metric(
            "container_spec_memory_limit_bytes",
            "Memory limit in bytes (the host's memory when the container has none).",
            "gauge",
            &|m| m.memory_limit_bytes as f64,
        ),
        metric(
            "container_network_receive_bytes_total",
            "Cumulative count of bytes received, all interfaces.",
            "counter",
            &|m| m.net_rx_bytes as f64,
        ),
        metric(
            "container_network_transmit_bytes_total",
            "Cumulative count of bytes transmitted, all interfaces.",
            "counter",
            &|m| m.net_tx_bytes as f64,
        ),
        metric(
            "container_fs_reads_bytes_total",
            "Cumulative count of bytes read from block devices.",
            "counter",
            &|m| m.block_read_bytes as f64,
        ),
        metric(
            "container_fs_writes_bytes_total",
            "Cumulative count of bytes written to block devices.",
            "counter",
            &|m| m.block_write_bytes as f64,
        ),
        each(
            "container_oom_events_total",
            "Count of out of memory kills seen on the engine's events since phi monitor started.",
            "counter",
            &|s| Some(counter(s).oom_kills as f64),
        ),
        each(
            "container_last_seen",
            "Last time phi monitor saw the container, in seconds since the epoch.",
            "gauge",
            &|_| Some(seconds),
        ),
        metric(
            "phi_container_pids",
            "Processes and threads in the container.",
            "gauge",
            &|m| m.pids as f64,
        ),
        each(
            "phi_container_up",
            "1 when the container is running, else 0.",
            "gauge",
            &|s| Some(f64::from(u8::from(s.state == "running"))),
        ),
        each(
            "phi_container_restarts_total",
            "Times the engine restarted the container (its restart count).",
            "counter",
            &|s| Some(s.restarts as f64),
        ),
        each(
            "phi_container_oom_kills_total",
            "Same as container_oom_events_total, under phi's own name.",
            "counter",
            &|s| Some(counter(s).oom_kills as f64),
        ),
        each(
            "phi_container_last_exit_code",
            "Exit code of the container's last exit; absent while none is known.",
            "gauge",
            &|s| counter(s).last_exit_code.or(s.exit_code).map(|c| c as f64),
        ),
        health,
        Family {
            name: "phi_monitor_engine_up",
            help: "1 when phi monitor's last sample reached the engine.",
            kind: "gauge",
            samples: vec![(
                vec![("project", project.to_string())],
                f64::from(u8::from(engine_up)),
            )],
        },
        Family {
            name: "phi_monitor_last_sample_timestamp_seconds",
            help: "When phi monitor last sampled.",
            kind: "gauge",
            samples: vec![(vec![("project", project.to_string())], seconds)],
        },
    ];
    prometheus_text(&families)
}

/// `phi_container_health_state{state=...}`: one series per state, 1 for the current one.
fn health_family<'a>(
    present: &[&ContainerSample],
    labels: &dyn Fn(&ContainerSample) -> Vec<(&'a str, String)>,
) -> Family<'a> {
    let mut health = Family {
        name: "phi_container_health_state",
        help: "1 for the container's healthcheck state, 0 for the others; absent without a healthcheck.",
        kind: "gauge",
        samples: Vec::new(),
    };
    for s in present {
        if let Some(h) = s.health {
            for state in ["healthy", "unhealthy", "starting"] {
                let mut l = labels(s);
                l.push(("state", state.to_string()));
                health.samples.push((l, f64::from(u8::from(h == state))));
            }
        }
    }
    health
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_rotates_by_size_and_keeps_at_most_n_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("monitor.jsonl");
        let mut log = RotatingLog::open(&path, 25, 3).unwrap();
        for i in 0..10 {
            log.append(&format!("{{\"n\":{i:03}}}")).unwrap(); // 11 bytes + newline
        }
        let read = |p: PathBuf| std::fs::read_to_string(p).unwrap();
        // Two lines per file; the newest in FILE, older ones in FILE.1 and FILE.2.
        assert_eq!(read(path.clone()), "{\"n\":008}\n{\"n\":009}\n");
        assert_eq!(
            read(dir.path().join("monitor.jsonl.1")),
            "{\"n\":006}\n{\"n\":007}\n"
        );
        assert_eq!(
            read(dir.path().join("monitor.jsonl.2")),
            "{\"n\":004}\n{\"n\":005}\n"
        );
        assert!(!dir.path().join("monitor.jsonl.3").exists());
        let files = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(files, 3);
    }

    #[test]
    fn the_log_appends_to_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.log");
        std::fs::write(&path, "old\n").unwrap();
        let mut log = RotatingLog::open(&path, 1 << 20, 3).unwrap();
        log.append("new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old\nnew\n");
    }

    #[test]
    fn atomic_writes_replace_whole_files_and_leave_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("phi.prom");
        write_atomic(&path, "a 1\n").unwrap();
        write_atomic(&path, "a 2\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a 2\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(write_atomic(&dir.path().join("no/such/dir/x.prom"), "x").is_err());
    }

    #[test]
    fn prometheus_text_format() {
        let text = prometheus_text(&[Family {
            name: "phi_container_cpu_percent",
            help: "CPU use, 100 = one core.",
            kind: "gauge",
            samples: vec![(
                vec![("service", "web".into()), ("container", "a\"b".into())],
                12.5,
            )],
        }]);
        assert_eq!(
            text,
            "# HELP phi_container_cpu_percent CPU use, 100 = one core.\n\
             # TYPE phi_container_cpu_percent gauge\n\
             phi_container_cpu_percent{service=\"web\",container=\"a\\\"b\"} 12.5\n"
        );
    }

    /// `n` running containers with numbers, half with a healthcheck.
    pub(crate) fn synthetic(n: usize) -> Vec<ContainerSample> {
        (0..n)
            .map(|i| ContainerSample {
                service: Some(format!("svc{i}")),
                container: format!("p-svc{i}-1"),
                id: format!("{i:012}"),
                state: "running".into(),
                health: (i % 2 == 0).then_some("healthy"),
                restarts: 1,
                exit_code: None,
                source: Some("cgroup"),
                metrics: Some(Metrics {
                    cpu_usage_seconds: 12.5,
                    memory_bytes: 1 << 20,
                    memory_limit_bytes: 1 << 30,
                    net_rx_bytes: 10,
                    ..Metrics::default()
                }),
                breaches: vec![],
                alerting: vec![],
                thresholds: super::super::metrics::Thresholds::default(),
            })
            .collect()
    }

    #[test]
    fn the_scrape_page_has_every_series_per_container_and_the_counters() {
        let samples = synthetic(100);
        let counters = std::collections::HashMap::from([(
            "p-svc3-1".to_string(),
            Counters {
                oom_kills: 2,
                last_exit_code: Some(137),
            },
        )]);
        let started = std::time::Instant::now();
        let page = scrape_page("p", &samples, &counters, SystemTime::UNIX_EPOCH, true);
        let took = started.elapsed();
        let count = |prefix: &str| page.lines().filter(|l| l.starts_with(prefix)).count();
        assert_eq!(count("container_cpu_usage_seconds_total{"), 100);
        assert_eq!(count("phi_container_health_state{"), 150, "3 states x 50");
        assert_eq!(count("phi_container_last_exit_code{"), 1);
        assert!(page.contains(
            "container_oom_events_total{project=\"p\",service=\"svc3\",container=\"p-svc3-1\"} 2\n"
        ));
        assert!(page.contains(
            "phi_container_health_state{project=\"p\",service=\"svc0\",container=\"p-svc0-1\",state=\"healthy\"} 1\n"
        ));
        assert!(page.contains("container_cpu_usage_seconds_total{project=\"p\",service=\"svc9\",container=\"p-svc9-1\"} 12.5\n"));
        assert!(page.contains("phi_monitor_engine_up{project=\"p\"} 1\n"));
        // Every family is announced once, before its samples.
        assert_eq!(count("# TYPE "), 17);
        // Rendered once per sample, not per scrape; a generous bound even for a debug build.
        assert!(took < std::time::Duration::from_millis(500), "{took:?}");
    }
}
