//! The pure part of `phi monitor`: metrics from two readings, thresholds, and alert episodes.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::engine::RawStats;

/// What one container looks like in one sample. Percentages are 0-100 (CPU: 100 = one core,
/// as the docker CLI shows it; `cpu_host_percent`: share of the whole host).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Metrics {
    /// CPU time the container has used, cumulative (cAdvisor's container_cpu_usage_seconds_total).
    pub cpu_usage_seconds: f64,
    pub cpu_percent: Option<f64>,
    pub cpu_host_percent: Option<f64>,
    pub online_cpus: u32,
    pub memory_bytes: u64,
    pub memory_limit_bytes: u64,
    pub memory_percent: Option<f64>,
    pub net_rx_bytes: u64,
    pub net_tx_bytes: u64,
    pub net_rx_bytes_per_second: Option<f64>,
    pub net_tx_bytes_per_second: Option<f64>,
    pub block_read_bytes: u64,
    pub block_write_bytes: u64,
    pub block_read_bytes_per_second: Option<f64>,
    pub block_write_bytes_per_second: Option<f64>,
    pub pids: u64,
}

/// CPU % as the docker CLI computes it: container CPU delta over host CPU delta, times the
/// number of CPUs, times 100. None when there is no earlier reading or a counter went back
/// (the container restarted).
pub fn cpu_percent(prev: &RawStats, cur: &RawStats) -> Option<f64> {
    let cpu = cur.cpu_ns.checked_sub(prev.cpu_ns)?;
    let system = cur.system_ns.checked_sub(prev.system_ns)?;
    if system == 0 {
        return None;
    }
    Some(cpu as f64 / system as f64 * f64::from(cur.online_cpus.max(1)) * 100.0)
}

fn rate(prev: u64, cur: u64, elapsed: Duration) -> Option<f64> {
    let secs = elapsed.as_secs_f64();
    (secs > 0.0)
        .then(|| cur.checked_sub(prev).map(|d| d as f64 / secs))
        .flatten()
}

/// Metrics from the current reading and, when there is one, the previous reading taken
/// `elapsed` earlier.
pub fn compute(prev: Option<(&RawStats, Duration)>, cur: &RawStats) -> Metrics {
    let cpu = prev.and_then(|(p, _)| cpu_percent(p, cur));
    let rates = |f: fn(&RawStats) -> u64| prev.and_then(|(p, e)| rate(f(p), f(cur), e));
    Metrics {
        cpu_usage_seconds: cur.cpu_ns as f64 / 1e9,
        cpu_percent: cpu.map(round2),
        cpu_host_percent: cpu.map(|c| round2(c / f64::from(cur.online_cpus.max(1)))),
        online_cpus: cur.online_cpus,
        memory_bytes: cur.memory_bytes,
        memory_limit_bytes: cur.memory_limit,
        memory_percent: (cur.memory_limit > 0)
            .then(|| round2(cur.memory_bytes as f64 / cur.memory_limit as f64 * 100.0)),
        net_rx_bytes: cur.net_rx,
        net_tx_bytes: cur.net_tx,
        net_rx_bytes_per_second: rates(|r| r.net_rx).map(round2),
        net_tx_bytes_per_second: rates(|r| r.net_tx).map(round2),
        block_read_bytes: cur.block_read,
        block_write_bytes: cur.block_write,
        block_read_bytes_per_second: rates(|r| r.block_read).map(round2),
        block_write_bytes_per_second: rates(|r| r.block_write).map(round2),
        pids: cur.pids,
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Limits for one service. `None` disables that check.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    pub cpu_percent: Option<f64>,
    pub memory_percent: Option<f64>,
    pub max_restarts: Option<u64>,
    pub unhealthy: bool,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            cpu_percent: Some(80.0),
            memory_percent: Some(90.0),
            max_restarts: None,
            unhealthy: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Cpu,
    Memory,
    Restarts,
    Unhealthy,
    /// From the engine's events: a container killed for memory.
    Oom,
    /// From the engine's events: restarts by the engine, N within a window.
    RestartLoop,
    /// From the engine's events: a container that exited with a non-zero code unasked.
    Exit,
}

impl Metric {
    pub fn label(self) -> &'static str {
        match self {
            Metric::Cpu => "CPU",
            Metric::Memory => "memory",
            Metric::Restarts => "restarts",
            Metric::Unhealthy => "health",
            Metric::Oom => "memory (OOM kill)",
            Metric::RestartLoop => "restart loop",
            Metric::Exit => "exit",
        }
    }
}

/// One threshold exceeded in one sample: the value seen and the limit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Breach {
    pub metric: Metric,
    pub value: f64,
    pub threshold: f64,
}

/// Which thresholds a container exceeds in this sample.
pub fn breaches(
    metrics: Option<&Metrics>,
    restarts: u64,
    unhealthy: bool,
    limits: &Thresholds,
) -> Vec<Breach> {
    let mut out = Vec::new();
    if let Some(m) = metrics {
        if let (Some(v), Some(t)) = (m.cpu_percent, limits.cpu_percent) {
            if v > t {
                out.push(Breach {
                    metric: Metric::Cpu,
                    value: v,
                    threshold: t,
                });
            }
        }
        if let (Some(v), Some(t)) = (m.memory_percent, limits.memory_percent) {
            if v > t {
                out.push(Breach {
                    metric: Metric::Memory,
                    value: v,
                    threshold: t,
                });
            }
        }
    }
    if let Some(t) = limits.max_restarts {
        if restarts > t {
            out.push(Breach {
                metric: Metric::Restarts,
                value: restarts as f64,
                threshold: t as f64,
            });
        }
    }
    if limits.unhealthy && unhealthy {
        out.push(Breach {
            metric: Metric::Unhealthy,
            value: 1.0,
            threshold: 0.0,
        });
    }
    out
}

/// What the episode tracker decided for one metric of one container.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Event {
    /// The threshold has now been exceeded `for` samples in a row: alert once.
    Alert(Breach),
    /// A metric that was in alert is back under its threshold.
    Recovered(Metric),
}

/// Consecutive-breach counting per (container, metric): an alert after N breaches in a row,
/// once per episode, and a recovery when it clears.
#[derive(Debug, Default)]
pub struct Episodes {
    required: u32,
    state: BTreeMap<(String, Metric), (u32, bool)>,
}

impl Episodes {
    pub fn new(required: u32) -> Episodes {
        Episodes {
            required: required.max(1),
            state: BTreeMap::new(),
        }
    }

    /// Feed one sample's breaches for `container`; returns what to announce.
    pub fn observe(&mut self, container: &str, breaches: &[Breach]) -> Vec<Event> {
        let mut events = Vec::new();
        for metric in [
            Metric::Cpu,
            Metric::Memory,
            Metric::Restarts,
            Metric::Unhealthy,
        ] {
            let key = (container.to_string(), metric);
            let breach = breaches.iter().find(|b| b.metric == metric);
            let entry = self.state.entry(key).or_insert((0, false));
            match breach {
                Some(b) => {
                    entry.0 += 1;
                    if entry.0 >= self.required && !entry.1 {
                        entry.1 = true;
                        events.push(Event::Alert(*b));
                    }
                }
                None => {
                    if entry.1 {
                        events.push(Event::Recovered(metric));
                    }
                    *entry = (0, false);
                }
            }
        }
        events
    }

    /// Open an episode of `metric` at once (an engine event, not a sample): true when it
    /// was not open already, so the caller alerts once.
    pub fn open(&mut self, container: &str, metric: Metric) -> bool {
        let entry = self
            .state
            .entry((container.to_string(), metric))
            .or_insert((0, false));
        entry.0 = entry.0.max(self.required);
        !std::mem::replace(&mut entry.1, true)
    }

    /// Close an episode at once: true when one was open, so the caller reports a recovery.
    pub fn close(&mut self, container: &str, metric: Metric) -> bool {
        self.state
            .remove(&(container.to_string(), metric))
            .is_some_and(|(_, active)| active)
    }

    /// Forget a container that is gone.
    pub fn forget(&mut self, container: &str) {
        self.state.retain(|(c, _), _| c != container);
    }

    /// Whether `metric` of `container` is in an alert episode now.
    pub fn active(&self, container: &str, metric: Metric) -> bool {
        self.state
            .get(&(container.to_string(), metric))
            .is_some_and(|(_, active)| *active)
    }
}

/// A short text sparkline of recent values (0 to max(100, highest)).
pub fn sparkline(values: &[f64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let top = values.iter().copied().fold(100.0_f64, f64::max);
    values
        .iter()
        .map(|v| {
            let i = ((v / top) * 7.0).round().clamp(0.0, 7.0) as usize;
            BARS[i]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(cpu_ns: u64, system_ns: u64) -> RawStats {
        RawStats {
            cpu_ns,
            system_ns,
            online_cpus: 4,
            memory_bytes: 256 << 20,
            memory_limit: 1 << 30,
            net_rx: 1000,
            net_tx: 500,
            block_read: 0,
            block_write: 4096,
            pids: 3,
        }
    }

    #[test]
    fn cpu_is_computed_like_the_docker_cli_and_as_a_host_share() {
        // 1 s of container CPU over 2 s of host CPU time (4 CPUs): 0.5 * 4 * 100 = 200 %.
        let prev = raw(1_000_000_000, 10_000_000_000);
        let cur = raw(2_000_000_000, 12_000_000_000);
        let m = compute(Some((&prev, Duration::from_millis(500))), &cur);
        assert_eq!(m.cpu_percent, Some(200.0));
        assert_eq!(m.cpu_host_percent, Some(50.0));
        assert_eq!(m.memory_percent, Some(25.0));
    }

    #[test]
    fn no_previous_reading_or_a_reset_counter_gives_no_cpu() {
        let cur = raw(5, 10);
        assert_eq!(compute(None, &cur).cpu_percent, None);
        let later = raw(1, 20);
        assert_eq!(cpu_percent(&cur, &later), None);
        assert_eq!(cpu_percent(&cur, &raw(6, 10)), None);
    }

    #[test]
    fn rates_are_per_second() {
        let prev = raw(0, 0);
        let mut cur = raw(0, 0);
        cur.net_rx = 3000;
        cur.block_write = 4096 + 1024;
        let m = compute(Some((&prev, Duration::from_millis(500))), &cur);
        assert_eq!(m.net_rx_bytes_per_second, Some(4000.0));
        assert_eq!(m.net_tx_bytes_per_second, Some(0.0));
        assert_eq!(m.block_write_bytes_per_second, Some(2048.0));
        assert_eq!(compute(None, &cur).net_rx_bytes_per_second, None);
    }

    #[test]
    fn breaches_follow_the_thresholds() {
        let m = Metrics {
            cpu_percent: Some(95.0),
            memory_percent: Some(50.0),
            ..Metrics::default()
        };
        let limits = Thresholds {
            max_restarts: Some(2),
            ..Thresholds::default()
        };
        let b = breaches(Some(&m), 3, true, &limits);
        let metrics: Vec<Metric> = b.iter().map(|b| b.metric).collect();
        assert_eq!(metrics, [Metric::Cpu, Metric::Restarts, Metric::Unhealthy]);
        assert_eq!(b[0].value, 95.0);
        assert_eq!(b[0].threshold, 80.0);
        let off = Thresholds {
            cpu_percent: None,
            memory_percent: None,
            max_restarts: None,
            unhealthy: false,
        };
        assert!(breaches(Some(&m), 3, true, &off).is_empty());
    }

    #[test]
    fn an_alert_comes_after_n_breaches_once_per_episode_then_a_recovery() {
        let mut e = Episodes::new(3);
        let hot = [Breach {
            metric: Metric::Cpu,
            value: 99.0,
            threshold: 80.0,
        }];
        assert!(e.observe("c", &hot).is_empty());
        assert!(e.observe("c", &hot).is_empty());
        assert_eq!(e.observe("c", &hot), vec![Event::Alert(hot[0])]);
        assert!(e.active("c", Metric::Cpu));
        assert!(e.observe("c", &hot).is_empty(), "once per episode");
        assert_eq!(e.observe("c", &[]), vec![Event::Recovered(Metric::Cpu)]);
        assert!(e.observe("c", &[]).is_empty());
        // A broken run starts the count again.
        assert!(e.observe("c", &hot).is_empty());
        assert!(e.observe("c", &[]).is_empty());
        assert!(e.observe("c", &hot).is_empty());
        e.forget("c");
        assert!(!e.active("c", Metric::Cpu));
    }

    #[test]
    fn an_event_opens_an_episode_at_once_and_samples_do_not_alert_it_again() {
        let mut e = Episodes::new(3);
        assert!(e.open("c", Metric::Unhealthy));
        assert!(!e.open("c", Metric::Unhealthy), "once per episode");
        let sick = [Breach {
            metric: Metric::Unhealthy,
            value: 1.0,
            threshold: 0.0,
        }];
        assert!(e.observe("c", &sick).is_empty(), "already alerted");
        assert!(e.close("c", Metric::Unhealthy));
        assert!(!e.close("c", Metric::Unhealthy), "one recovery");
        assert!(e.observe("c", &[]).is_empty());
    }

    #[test]
    fn sparklines_scale_to_at_least_100() {
        assert_eq!(sparkline(&[0.0, 50.0, 100.0]), "▁▅█");
        assert_eq!(sparkline(&[100.0, 200.0]), "▅█");
    }
}
