//! Resource counters of one container at one moment, from one of two sources:
//!
//! - the Engine's stats API (`one-shot`), which works everywhere but answers on the engine's
//!   own collection cadence (about once a second on Docker 20.10: a second reading waits for
//!   the next tick);
//! - the container's cgroup and /proc files, read directly when the engine runs on this host.
//!   These are the files the engine reads itself, so the numbers are the same; only the
//!   timing is phi's, which lets two CPU readings be taken a fraction of a second apart.
//!
//! Both produce [`RawStats`]; the maths over two of them lives in `commands::monitor`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bollard::models::ContainerStatsResponse;
use bollard::query_parameters::StatsOptions;
use futures_util::StreamExt;

use super::{Engine, EngineError};

/// Counters read at one moment. CPU times are nanoseconds; sizes are bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawStats {
    /// CPU time the container has used.
    pub cpu_ns: u64,
    /// CPU time the whole host has spent (all CPUs), as in /proc/stat.
    pub system_ns: u64,
    pub online_cpus: u32,
    /// Memory in use, page cache that could be dropped not counted (as the docker CLI shows).
    pub memory_bytes: u64,
    pub memory_limit: u64,
    pub net_rx: u64,
    pub net_tx: u64,
    pub block_read: u64,
    pub block_write: u64,
    pub pids: u64,
}

/// Memory in use as the docker CLI computes it: usage minus inactive file cache
/// (`total_inactive_file` on cgroup v1, `inactive_file` on cgroup v2).
pub fn memory_in_use(usage: u64, stats: &HashMap<String, u64>) -> u64 {
    if let Some(&v1) = stats.get("total_inactive_file") {
        if v1 < usage {
            return usage - v1;
        }
    } else if let Some(&v2) = stats.get("inactive_file") {
        if v2 < usage {
            return usage - v2;
        }
    }
    usage
}

/// Convert the Engine's stats document.
pub fn from_engine(s: &ContainerStatsResponse) -> RawStats {
    let cpu = s.cpu_stats.as_ref();
    let online_cpus = cpu
        .and_then(|c| c.online_cpus)
        .filter(|n| *n > 0)
        .or_else(|| {
            cpu.and_then(|c| c.cpu_usage.as_ref())
                .and_then(|u| u.percpu_usage.as_ref())
                .map(|p| p.len() as u32)
        })
        .unwrap_or(1);
    let mem = s.memory_stats.as_ref();
    let usage = mem.and_then(|m| m.usage).unwrap_or(0);
    let memory_bytes = match mem.and_then(|m| m.stats.as_ref()) {
        Some(stats) => memory_in_use(usage, stats),
        None => usage,
    };
    let (net_rx, net_tx) = s
        .networks
        .as_ref()
        .map(|nets| {
            nets.values().fold((0, 0), |(rx, tx), n| {
                (rx + n.rx_bytes.unwrap_or(0), tx + n.tx_bytes.unwrap_or(0))
            })
        })
        .unwrap_or((0, 0));
    let (block_read, block_write) = s
        .blkio_stats
        .as_ref()
        .and_then(|b| b.io_service_bytes_recursive.as_ref())
        .map(|entries| {
            entries.iter().fold((0, 0), |(r, w), e| {
                match e.op.as_deref().map(str::to_ascii_lowercase).as_deref() {
                    Some("read") => (r + e.value.unwrap_or(0), w),
                    Some("write") => (r, w + e.value.unwrap_or(0)),
                    _ => (r, w),
                }
            })
        })
        .unwrap_or((0, 0));
    RawStats {
        cpu_ns: cpu
            .and_then(|c| c.cpu_usage.as_ref())
            .and_then(|u| u.total_usage)
            .unwrap_or(0),
        system_ns: cpu.and_then(|c| c.system_cpu_usage).unwrap_or(0),
        online_cpus,
        memory_bytes,
        memory_limit: mem.and_then(|m| m.limit).unwrap_or(0),
        net_rx,
        net_tx,
        block_read,
        block_write,
        pids: s.pids_stats.as_ref().and_then(|p| p.current).unwrap_or(0),
    }
}

impl Engine {
    /// One reading through the stats API. The body is a stream, which bollard's request
    /// timeout does not cover, so the read has its own.
    pub async fn container_stats(&self, id: &str) -> Result<RawStats, EngineError> {
        let options = StatsOptions {
            stream: false,
            one_shot: true,
        };
        let mut stream = self.docker.stats(id, Some(options));
        let what = format!("stats of container {}", super::containers::short_id(id));
        let first = self
            .call(&what, async { stream.next().await.transpose() })
            .await?;
        match first {
            Some(stats) => {
                let mut raw = from_engine(&stats);
                if swaps_network_directions(&self.product) {
                    std::mem::swap(&mut raw.net_rx, &mut raw.net_tx);
                }
                Ok(raw)
            }
            None => Err(EngineError::Api {
                what,
                message: "the engine sent no stats".into(),
            }),
        }
    }
}

/// Podman 4 reports a container's network counters the wrong way round (a container that
/// served 5 MB shows them as received; seen on 4.3.1). Podman 3 and 4 only.
pub fn swaps_network_directions(product: &str) -> bool {
    product
        .strip_prefix("Podman ")
        .and_then(|v| v.split('.').next())
        .is_some_and(|major| matches!(major, "3" | "4"))
}

/// Where a container's cgroup files are, when its engine runs on this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CgroupFiles {
    /// cgroup v1: one directory per controller.
    V1 {
        cpuacct: PathBuf,
        memory: PathBuf,
        blkio: PathBuf,
        pids: PathBuf,
    },
    /// cgroup v2: one directory.
    V2(PathBuf),
}

/// Reads a local container's counters from /sys/fs/cgroup and /proc.
#[derive(Debug, Clone)]
pub struct LocalReader {
    pid: u32,
    files: CgroupFiles,
    proc_root: PathBuf,
    host_memory: u64,
}

impl LocalReader {
    /// A reader for container `id` whose main process is `pid`, when this host can see it.
    /// The process's cgroup path must name the container ID: a PID from a remote engine, or
    /// one that was reused, is never read.
    pub fn find(id: &str, pid: u32) -> Option<LocalReader> {
        Self::find_under(Path::new("/proc"), Path::new("/sys/fs/cgroup"), id, pid)
    }

    /// The main process of local container `id` (the lowest PID in its cgroup), found
    /// without asking the engine: Docker's cgroupfs layout (`docker/<id>`) and systemd's
    /// (`system.slice/docker-<id>.scope`), cgroup v1 or v2. [`LocalReader::find`] then
    /// checks that the process's own cgroup names the container.
    pub fn main_pid(id: &str) -> Option<u32> {
        main_pid_under(Path::new("/sys/fs/cgroup"), Path::new("/proc"), id)
    }

    fn find_under(proc_root: &Path, cgroup_root: &Path, id: &str, pid: u32) -> Option<LocalReader> {
        if pid == 0 || id.len() < 12 {
            return None;
        }
        let text = std::fs::read_to_string(proc_root.join(pid.to_string()).join("cgroup")).ok()?;
        let files = cgroup_files(&text, cgroup_root, id)?;
        let meminfo = std::fs::read_to_string(proc_root.join("meminfo")).unwrap_or_default();
        let reader = LocalReader {
            pid,
            files,
            proc_root: proc_root.to_path_buf(),
            host_memory: parse_meminfo_total(&meminfo).unwrap_or(u64::MAX),
        };
        // Prove the files are readable now, rather than failing on every sample later.
        reader.read().ok()?;
        Some(reader)
    }

    pub fn read(&self) -> std::io::Result<RawStats> {
        let read = |p: &Path| std::fs::read_to_string(p);
        let (system_ns, online_cpus) = parse_proc_stat(&read(&self.proc_root.join("stat"))?)
            .ok_or_else(|| std::io::Error::other("unreadable /proc/stat"))?;
        let net = read(&self.proc_root.join(self.pid.to_string()).join("net/dev"))?;
        let (net_rx, net_tx) = parse_net_dev(&net);
        let number = |p: PathBuf| -> std::io::Result<u64> {
            let text = read(&p)?;
            let text = text.trim();
            if text == "max" {
                return Ok(u64::MAX);
            }
            text.parse()
                .map_err(|_| std::io::Error::other(format!("unreadable {}", p.display())))
        };
        let mut raw = match &self.files {
            CgroupFiles::V1 {
                cpuacct,
                memory,
                blkio,
                pids,
            } => {
                let usage = number(memory.join("memory.usage_in_bytes"))?;
                let stats = parse_flat_keyed(&read(&memory.join("memory.stat"))?);
                let (block_read, block_write) = parse_blkio_v1(
                    &read(&blkio.join("blkio.throttle.io_service_bytes_recursive"))
                        .unwrap_or_default(),
                );
                RawStats {
                    cpu_ns: number(cpuacct.join("cpuacct.usage"))?,
                    memory_bytes: memory_in_use(usage, &stats),
                    memory_limit: number(memory.join("memory.limit_in_bytes"))?,
                    block_read,
                    block_write,
                    pids: number(pids.join("pids.current")).unwrap_or(0),
                    ..RawStats::default()
                }
            }
            CgroupFiles::V2(dir) => {
                let cpu = parse_flat_keyed(&read(&dir.join("cpu.stat"))?);
                let usage = number(dir.join("memory.current"))?;
                let stats = parse_flat_keyed(&read(&dir.join("memory.stat"))?);
                let (block_read, block_write) =
                    parse_io_stat_v2(&read(&dir.join("io.stat")).unwrap_or_default());
                RawStats {
                    cpu_ns: cpu.get("usage_usec").copied().unwrap_or(0) * 1000,
                    memory_bytes: memory_in_use(usage, &stats),
                    memory_limit: number(dir.join("memory.max"))?,
                    block_read,
                    block_write,
                    pids: number(dir.join("pids.current")).unwrap_or(0),
                    ..RawStats::default()
                }
            }
        };
        // Like the engine: an unlimited container's limit is the host's memory.
        raw.memory_limit = raw.memory_limit.min(self.host_memory);
        raw.system_ns = system_ns;
        raw.online_cpus = online_cpus;
        raw.net_rx = net_rx;
        raw.net_tx = net_tx;
        Ok(raw)
    }
}

/// The container's main process: the one in its cgroup whose parent is outside it (the
/// engine's shim). PIDs wrap, so the lowest PID can be a short-lived healthcheck or exec
/// process that is gone by the time it is read; the lowest is only the fallback when no
/// parent can be read.
fn main_pid_under(cgroup_root: &Path, proc_root: &Path, id: &str) -> Option<u32> {
    if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let scope = format!("docker-{id}.scope");
    let places = ["pids", "memory", "cpuacct", ""]
        .into_iter()
        .flat_map(|controller| {
            let base = cgroup_root.join(controller);
            [
                base.join("docker").join(id),
                base.join("system.slice").join(&scope),
            ]
        });
    places
        .filter_map(|dir| std::fs::read_to_string(dir.join("cgroup.procs")).ok())
        .find_map(|procs| {
            let pids: Vec<u32> = procs
                .lines()
                .filter_map(|l| l.trim().parse::<u32>().ok())
                .filter(|pid| *pid > 0)
                .collect();
            // The main process's parent is outside the cgroup (the shim), but so is an exec'd
            // healthcheck's; of those, the main process started first. PIDs wrap, so the
            // lowest is only the last resort.
            pids.iter()
                .filter_map(|pid| {
                    let (ppid, started) = parent_and_start(proc_root, *pid)?;
                    (!pids.contains(&ppid)).then_some((started, *pid))
                })
                .min()
                .map(|(_, pid)| pid)
                .or_else(|| pids.iter().min().copied())
        })
}

/// The parent of `pid` and its start time (clock ticks after boot) from `/proc/<pid>/stat`:
/// the 2nd and 20th fields after the command, which may itself hold spaces and parentheses.
fn parent_and_start(proc_root: &Path, pid: u32) -> Option<(u32, u64)> {
    let stat = std::fs::read_to_string(proc_root.join(pid.to_string()).join("stat")).ok()?;
    let after_command = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_command.split_whitespace();
    let ppid = fields.nth(1)?.parse().ok()?;
    let started = fields.nth(17)?.parse().ok()?;
    Some((ppid, started))
}

/// Locate the cgroup directories from /proc/<pid>/cgroup. v1 controllers win when present
/// (hybrid hosts mount both); the path must contain the container ID.
pub fn cgroup_files(proc_cgroup: &str, root: &Path, id: &str) -> Option<CgroupFiles> {
    let mut v1: HashMap<&str, &str> = HashMap::new();
    let mut v2 = None;
    for line in proc_cgroup.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        if !path.contains(id) {
            continue;
        }
        if controllers.is_empty() {
            v2 = Some(path);
        } else {
            for c in controllers.split(',') {
                v1.insert(c, path);
            }
        }
    }
    let rel = |p: &str| p.trim_start_matches('/').to_string();
    let dir = |controller: &str| -> Option<PathBuf> {
        let path = v1.get(controller)?;
        // A controller may be mounted alone (cpuacct) or combined (cpu,cpuacct).
        ["", "cpu,cpuacct", "cpuacct,cpu"]
            .iter()
            .map(|combined| {
                let mount = if combined.is_empty() {
                    controller
                } else {
                    combined
                };
                root.join(mount).join(rel(path))
            })
            .find(|d| d.is_dir())
    };
    if v1.contains_key("cpuacct") && v1.contains_key("memory") {
        return Some(CgroupFiles::V1 {
            cpuacct: dir("cpuacct")?,
            memory: dir("memory")?,
            blkio: dir("blkio").unwrap_or_default(),
            pids: dir("pids").unwrap_or_default(),
        });
    }
    let path = root.join(rel(v2?));
    path.is_dir().then_some(CgroupFiles::V2(path))
}

/// Host CPU time in nanoseconds (as the engine computes it: the first eight fields of the
/// `cpu` line, in clock ticks of 1/100 s) and the number of CPUs.
pub fn parse_proc_stat(text: &str) -> Option<(u64, u32)> {
    const NANOS_PER_TICK: u64 = 10_000_000;
    let first = text.lines().next()?;
    let mut fields = first.split_whitespace();
    if fields.next()? != "cpu" {
        return None;
    }
    let ticks: u64 = fields.take(8).map(|f| f.parse::<u64>().unwrap_or(0)).sum();
    let cpus = text
        .lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .count() as u32;
    Some((ticks * NANOS_PER_TICK, cpus.max(1)))
}

/// Received and sent bytes over every interface but loopback.
pub fn parse_net_dev(text: &str) -> (u64, u64) {
    text.lines()
        .filter_map(|line| line.split_once(':'))
        .filter(|(name, _)| name.trim() != "lo")
        .filter_map(|(_, rest)| {
            let f: Vec<u64> = rest
                .split_whitespace()
                .map(|x| x.parse().unwrap_or(0))
                .collect();
            (f.len() >= 9).then(|| (f[0], f[8]))
        })
        .fold((0, 0), |(rx, tx), (r, t)| (rx + r, tx + t))
}

/// `key value` lines (memory.stat, cpu.stat).
pub fn parse_flat_keyed(text: &str) -> HashMap<String, u64> {
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(' ')?;
            Some((k.to_string(), v.trim().parse().ok()?))
        })
        .collect()
}

/// cgroup v1 `blkio.throttle.io_service_bytes_recursive`: `8:0 Read 4096` lines.
pub fn parse_blkio_v1(text: &str) -> (u64, u64) {
    text.lines().fold((0, 0), |(r, w), line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        match f.as_slice() {
            [_, op, v] if op.eq_ignore_ascii_case("read") => (r + v.parse::<u64>().unwrap_or(0), w),
            [_, op, v] if op.eq_ignore_ascii_case("write") => {
                (r, w + v.parse::<u64>().unwrap_or(0))
            }
            _ => (r, w),
        }
    })
}

/// cgroup v2 `io.stat`: `8:0 rbytes=1 wbytes=2 ...` lines.
pub fn parse_io_stat_v2(text: &str) -> (u64, u64) {
    text.lines()
        .flat_map(|l| l.split_whitespace().skip(1))
        .fold((0, 0), |(r, w), kv| match kv.split_once('=') {
            Some(("rbytes", v)) => (r + v.parse::<u64>().unwrap_or(0), w),
            Some(("wbytes", v)) => (r, w + v.parse::<u64>().unwrap_or(0)),
            _ => (r, w),
        })
}

fn parse_meminfo_total(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_containers_main_process_is_the_lowest_pid_in_its_cgroup() {
        let t = tempfile::tempdir().unwrap();
        let no_proc = t.path().join("no-proc");
        let main_pid_under = |root: &std::path::Path, id: &str| main_pid_under(root, &no_proc, id);
        let id = "a".repeat(64);
        let v1 = t.path().join("pids/docker").join(&id);
        std::fs::create_dir_all(&v1).unwrap();
        std::fs::write(v1.join("cgroup.procs"), "4242\n977\n3001\n").unwrap();
        assert_eq!(main_pid_under(t.path(), &id), Some(977));
        let other = "b".repeat(64);
        let systemd = t
            .path()
            .join("system.slice")
            .join(format!("docker-{other}.scope"));
        std::fs::create_dir_all(&systemd).unwrap();
        std::fs::write(systemd.join("cgroup.procs"), "15\n").unwrap();
        assert_eq!(main_pid_under(t.path(), &other), Some(15));
        assert_eq!(main_pid_under(t.path(), &"c".repeat(64)), None);
        // Only a real container ID names a directory.
        assert_eq!(main_pid_under(t.path(), "../../etc"), None);
    }

    #[test]
    fn the_main_process_is_the_one_whose_parent_is_outside_the_cgroup() {
        let t = tempfile::tempdir().unwrap();
        let id = "d".repeat(64);
        let cg = t.path().join("cg/pids/docker").join(&id);
        std::fs::create_dir_all(&cg).unwrap();
        // PIDs wrapped: 120 is a healthcheck (its parent, the shim 90, is outside too, but
        // 120 is gone); 5000 is the main process, 5003 its child.
        std::fs::write(cg.join("cgroup.procs"), "120\n5000\n5003\n").unwrap();
        let proc_root = t.path().join("proc");
        let stat = |pid: u32, ppid: u32, started: u64| {
            let dir = proc_root.join(pid.to_string());
            std::fs::create_dir_all(&dir).unwrap();
            // Fields 3 to 22 of proc(5): state, ppid, ..., starttime.
            let stat = format!(
                "{pid} (sh -c (x)) S {ppid} {pid} {pid} 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 \
                 {started} 4390912 250"
            );
            std::fs::write(dir.join("stat"), stat).unwrap();
        };
        stat(5000, 90, 7_000);
        stat(5003, 5000, 7_010);
        assert_eq!(
            main_pid_under(&t.path().join("cg"), &proc_root, &id),
            Some(5000)
        );
        // A healthcheck still running, with a lower PID after a wrap: its parent (the shim)
        // is outside the cgroup too, but it started after the main process.
        stat(120, 90, 9_500);
        assert_eq!(
            main_pid_under(&t.path().join("cg"), &proc_root, &id),
            Some(5000)
        );
    }

    #[test]
    fn podman_4_stats_read_and_their_network_directions_are_swapped_back() {
        let stats: bollard::models::ContainerStatsResponse =
            crate::engine::answers::fixture("podman-4.3.1-stats-after-serving-5mb.json");
        let mut raw = super::from_engine(&stats);
        // No memory_stats.stats: the usage as given.
        assert_eq!(raw.memory_bytes, stats.memory_stats.unwrap().usage.unwrap());
        assert!(super::swaps_network_directions("Podman 4.3.1"));
        std::mem::swap(&mut raw.net_rx, &mut raw.net_tx);
        assert!(raw.net_tx > 5 << 20, "the container sent the 5 MB: {raw:?}");
        assert!(raw.net_rx < 64 << 10, "{raw:?}");
        assert!(!super::swaps_network_directions("Podman 5.8.6"));
        assert!(!super::swaps_network_directions("Docker 28.5.2+dfsg4"));
    }

    use super::*;
    use bollard::models::{
        ContainerBlkioStatEntry, ContainerBlkioStats, ContainerCpuStats, ContainerCpuUsage,
        ContainerMemoryStats, ContainerNetworkStats, ContainerPidsStats,
    };

    fn engine_stats(memory_stats: HashMap<String, u64>) -> ContainerStatsResponse {
        ContainerStatsResponse {
            cpu_stats: Some(ContainerCpuStats {
                cpu_usage: Some(ContainerCpuUsage {
                    total_usage: Some(5_000_000_000),
                    percpu_usage: Some(vec![1, 2, 3, 4]),
                    ..Default::default()
                }),
                system_cpu_usage: Some(900_000_000_000),
                online_cpus: None,
                ..Default::default()
            }),
            memory_stats: Some(ContainerMemoryStats {
                usage: Some(100 << 20),
                limit: Some(1 << 30),
                stats: Some(memory_stats),
                ..Default::default()
            }),
            networks: Some(HashMap::from([
                (
                    "eth0".to_string(),
                    ContainerNetworkStats {
                        rx_bytes: Some(1000),
                        tx_bytes: Some(10),
                        ..Default::default()
                    },
                ),
                (
                    "eth1".to_string(),
                    ContainerNetworkStats {
                        rx_bytes: Some(500),
                        tx_bytes: Some(5),
                        ..Default::default()
                    },
                ),
            ])),
            blkio_stats: Some(ContainerBlkioStats {
                io_service_bytes_recursive: Some(vec![
                    ContainerBlkioStatEntry {
                        op: Some("Read".into()),
                        value: Some(4096),
                        ..Default::default()
                    },
                    ContainerBlkioStatEntry {
                        op: Some("write".into()),
                        value: Some(8192),
                        ..Default::default()
                    },
                    ContainerBlkioStatEntry {
                        op: Some("Total".into()),
                        value: Some(12288),
                        ..Default::default()
                    },
                ]),
                ..Default::default()
            }),
            pids_stats: Some(ContainerPidsStats {
                current: Some(7),
                limit: None,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn engine_stats_cgroup_v1_subtract_total_inactive_file() {
        let raw = from_engine(&engine_stats(HashMap::from([
            ("total_inactive_file".to_string(), 30 << 20),
            ("inactive_file".to_string(), 1 << 20),
        ])));
        assert_eq!(raw.memory_bytes, 70 << 20);
        assert_eq!(raw.memory_limit, 1 << 30);
        assert_eq!(raw.cpu_ns, 5_000_000_000);
        assert_eq!(raw.system_ns, 900_000_000_000);
        // No online_cpus: the number of per-CPU counters stands in, as in the docker CLI.
        assert_eq!(raw.online_cpus, 4);
        assert_eq!((raw.net_rx, raw.net_tx), (1500, 15));
        assert_eq!((raw.block_read, raw.block_write), (4096, 8192));
        assert_eq!(raw.pids, 7);
    }

    #[test]
    fn engine_stats_cgroup_v2_subtract_inactive_file() {
        let raw = from_engine(&engine_stats(HashMap::from([(
            "inactive_file".to_string(),
            40 << 20,
        )])));
        assert_eq!(raw.memory_bytes, 60 << 20);
        // A cache larger than the usage is not subtracted.
        let raw = from_engine(&engine_stats(HashMap::from([(
            "inactive_file".to_string(),
            200 << 20,
        )])));
        assert_eq!(raw.memory_bytes, 100 << 20);
    }

    #[test]
    fn proc_files_parse() {
        let stat = "cpu  100 0 50 800 10 0 5 0 0 0\ncpu0 50 0 25 400 5 0 2 0 0 0\ncpu1 50 0 25 400 5 0 3 0 0 0\nintr 1\n";
        assert_eq!(parse_proc_stat(stat), Some((965 * 10_000_000, 2)));
        let dev = "Inter-|   Receive\n face |bytes\n    lo: 999 1 0 0 0 0 0 0 999 1 0 0 0 0 0 0\n  eth0: 1016 12 0 0 0 0 0 0 2048 3 0 0 0 0 0 0\n";
        assert_eq!(parse_net_dev(dev), (1016, 2048));
        assert_eq!(
            parse_blkio_v1(
                "8:0 Read 4096\n8:0 Write 100\n8:0 Sync 1\n8:0 Total 4196\nTotal 4196\n"
            ),
            (4096, 100)
        );
        assert_eq!(
            parse_io_stat_v2("8:0 rbytes=10 wbytes=20 rios=1\n8:16 rbytes=1 wbytes=2\n"),
            (11, 22)
        );
        assert_eq!(
            parse_meminfo_total("MemTotal:  1024 kB\n"),
            Some(1024 * 1024)
        );
    }

    fn fake_host(v2: bool) -> (tempfile::TempDir, String) {
        let id = "88a13cb6cf2b154e635f3bb5bb11b4a899005c02b152bd9bf3377943ca7f9617".to_string();
        let t = tempfile::tempdir().unwrap();
        let proc_root = t.path().join("proc");
        let cg = t.path().join("cgroup");
        let pid_dir = proc_root.join("42");
        std::fs::create_dir_all(pid_dir.join("net")).unwrap();
        std::fs::write(
            proc_root.join("stat"),
            "cpu  100 0 0 900 0 0 0 0 0 0\ncpu0 1\ncpu1 1\n",
        )
        .unwrap();
        std::fs::write(proc_root.join("meminfo"), "MemTotal: 2048 kB\n").unwrap();
        std::fs::write(
            pid_dir.join("net/dev"),
            "h\nh\n  eth0: 5 0 0 0 0 0 0 0 6 0 0 0 0 0 0 0\n",
        )
        .unwrap();
        let w = |p: PathBuf, s: &str| {
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, s).unwrap();
        };
        if v2 {
            std::fs::write(
                pid_dir.join("cgroup"),
                format!("0::/system.slice/docker-{id}.scope\n"),
            )
            .unwrap();
            let d = cg.join(format!("system.slice/docker-{id}.scope"));
            w(d.join("cpu.stat"), "usage_usec 1500\nuser_usec 1000\n");
            w(d.join("memory.current"), "4096\n");
            w(d.join("memory.max"), "max\n");
            w(d.join("memory.stat"), "anon 1024\ninactive_file 1024\n");
            w(d.join("io.stat"), "8:0 rbytes=7 wbytes=8\n");
            w(d.join("pids.current"), "3\n");
        } else {
            let lines: String = ["cpuacct", "memory", "blkio", "pids"]
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{i}:{c}:/docker/{id}\n"))
                .collect();
            std::fs::write(pid_dir.join("cgroup"), format!("{lines}0::/docker/{id}\n")).unwrap();
            w(
                cg.join(format!("cpuacct/docker/{id}/cpuacct.usage")),
                "2000\n",
            );
            w(
                cg.join(format!("memory/docker/{id}/memory.usage_in_bytes")),
                "4096\n",
            );
            w(
                cg.join(format!("memory/docker/{id}/memory.limit_in_bytes")),
                "1024\n",
            );
            w(
                cg.join(format!("memory/docker/{id}/memory.stat")),
                "total_inactive_file 2048\n",
            );
            w(
                cg.join(format!(
                    "blkio/docker/{id}/blkio.throttle.io_service_bytes_recursive"
                )),
                "8:0 Read 1\n8:0 Write 2\n",
            );
            w(cg.join(format!("pids/docker/{id}/pids.current")), "2\n");
        }
        (t, id)
    }

    #[test]
    fn local_cgroup_v1_files_are_read() {
        let (t, id) = fake_host(false);
        let r = LocalReader::find_under(&t.path().join("proc"), &t.path().join("cgroup"), &id, 42)
            .unwrap();
        let raw = r.read().unwrap();
        assert_eq!(raw.cpu_ns, 2000);
        assert_eq!(raw.system_ns, 1000 * 10_000_000);
        assert_eq!(raw.online_cpus, 2);
        assert_eq!(raw.memory_bytes, 2048);
        assert_eq!(raw.memory_limit, 1024);
        assert_eq!((raw.net_rx, raw.net_tx), (5, 6));
        assert_eq!((raw.block_read, raw.block_write), (1, 2));
        assert_eq!(raw.pids, 2);
    }

    #[test]
    fn local_cgroup_v2_files_are_read_and_unlimited_means_host_memory() {
        let (t, id) = fake_host(true);
        let r = LocalReader::find_under(&t.path().join("proc"), &t.path().join("cgroup"), &id, 42)
            .unwrap();
        let raw = r.read().unwrap();
        assert_eq!(raw.cpu_ns, 1_500_000);
        assert_eq!(raw.memory_bytes, 3072);
        assert_eq!(raw.memory_limit, 2048 * 1024);
        assert_eq!((raw.block_read, raw.block_write), (7, 8));
        assert_eq!(raw.pids, 3);
    }

    #[test]
    fn a_pid_whose_cgroup_does_not_name_the_container_is_not_read() {
        let (t, _) = fake_host(false);
        let other = "ffffffffffff0000000000000000000000000000000000000000000000000000";
        assert!(
            LocalReader::find_under(&t.path().join("proc"), &t.path().join("cgroup"), other, 42)
                .is_none()
        );
        assert!(
            LocalReader::find_under(&t.path().join("proc"), &t.path().join("cgroup"), other, 0)
                .is_none()
        );
    }
}
