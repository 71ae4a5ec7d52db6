//! What a container really does, from more than one state word: crash loops seen from a
//! growing restart count or a moving start time (Podman has no `restarting` state), and
//! healthchecks judged by phi's own exec probe where the engine never runs them (Podman
//! without systemd says `starting` forever). `status`, `monitor` and `start-all` share these
//! rules, so they agree.

use std::future::Future;
use std::time::{Duration, SystemTime};

use futures_util::future::join_all;

use super::{ContainerInfo, Engine, HealthState, RunState, probe_command};

/// The healthcheck's timing, with Docker's defaults for what the container leaves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthPolicy {
    pub interval: Duration,
    pub start_period: Duration,
    pub retries: u32,
}

impl Default for HealthPolicy {
    fn default() -> Self {
        HealthPolicy {
            interval: Duration::from_secs(30),
            start_period: Duration::ZERO,
            retries: 3,
        }
    }
}

impl HealthPolicy {
    /// From the engine's nanoseconds (0 or absent: the default).
    pub fn from_engine(
        interval: Option<i64>,
        start_period: Option<i64>,
        retries: Option<i64>,
    ) -> Self {
        let d = HealthPolicy::default();
        let nanos = |n: Option<i64>, default: Duration| match n {
            Some(n) if n > 0 => Duration::from_nanos(n as u64),
            _ => default,
        };
        HealthPolicy {
            interval: nanos(interval, d.interval),
            start_period: nanos(start_period, d.start_period),
            retries: match retries {
                Some(r) if r > 0 => u32::try_from(r).unwrap_or(u32::MAX),
                _ => d.retries,
            },
        }
    }
}

/// Slack on top of the first interval before an engine counts as never running checks.
const SILENCE_GRACE: Duration = Duration::from_secs(2);
/// A running container restarted less than this long ago gets a second look.
pub const RECENT_RESTART: Duration = Duration::from_secs(30);

/// phi's own healthcheck runs (exec probes) in flight at once, across a whole command.
/// Each is a process the engine starts in a container, as costly as the engine's own
/// check; a stack of a hundred services waiting at once must not start a hundred.
pub const PROBES_AT_ONCE: usize = 8;
static PROBES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(PROBES_AT_ONCE);

/// Run `probe` (given the time left of `limit`) once one of the [`PROBES_AT_ONCE`] turns is
/// free; None when no turn came within `limit`.
async fn with_probe_turn<F: Future>(
    limit: Duration,
    probe: impl FnOnce(Duration) -> F,
) -> Option<F::Output> {
    let started = tokio::time::Instant::now();
    let _turn = tokio::time::timeout(limit, PROBES.acquire())
        .await
        .ok()?
        .ok()?;
    Some(probe(limit.saturating_sub(started.elapsed())).await)
}

/// Which signal decided a container's health.
pub const SIGNAL_ENGINE: &str = "engine healthcheck";
pub const SIGNAL_PROBE: &str = "exec probe";

impl ContainerInfo {
    /// The engine had time for its first healthcheck (start period plus one interval, and
    /// a little slack) and has run none: it never will (Podman without systemd).
    pub fn engine_runs_no_healthchecks(&self, now: SystemTime) -> bool {
        let Some(started) = self.started_at else {
            return false;
        };
        let policy = self.health_policy;
        self.state == RunState::Running
            && self.health == Some(HealthState::Starting)
            && self.health_log.is_empty()
            && now
                .duration_since(started)
                .is_ok_and(|up| up >= policy.start_period + policy.interval + SILENCE_GRACE)
    }

    /// Whether `later` (a fresh look at the same container) shows that it restarted since.
    pub fn restarted_since(&self, later: &ContainerInfo) -> bool {
        later.restart_count > self.restart_count
            || (later.started_at.is_some() && later.started_at != self.started_at)
            || later.state != RunState::Running
    }
}

impl Engine {
    /// Run healthcheck `command` in container `id` as phi's probe: at most
    /// [`PROBES_AT_ONCE`] at a time (waiting for a turn counts against `limit`).
    pub async fn probe(
        &self,
        id: &str,
        command: &[String],
        limit: Duration,
    ) -> Result<super::create::ExecOutcome, super::EngineError> {
        let waited = with_probe_turn(limit, |left| self.exec(id, command, left)).await;
        waited.unwrap_or_else(|| {
            Err(super::EngineError::TimedOut {
                address: self.address().to_string(),
                what: format!(
                    "a turn to probe container {}",
                    super::containers::short_id(id)
                ),
                after: limit,
            })
        })
    }

    /// Running containers that restarted recently get a second look after `pause`; one whose
    /// restart count grew, whose start time moved or that stopped meanwhile is crash-looping:
    /// its state becomes `Restarting` (with the fresh restart count), on any engine.
    pub async fn confirm_stable(&self, containers: &mut [ContainerInfo], pause: Duration) {
        let now = SystemTime::now();
        let recent = |c: &ContainerInfo| {
            c.state == RunState::Running
                && c.restart_count > 0
                && c.started_at
                    .is_some_and(|t| now.duration_since(t).is_ok_and(|up| up < RECENT_RESTART))
        };
        if !containers.iter().any(&recent) {
            return;
        }
        tokio::time::sleep(pause).await;
        let looks = containers
            .iter_mut()
            .filter(|c| recent(c))
            .map(|c| async move {
                if let Ok(Some(later)) = self.inspect(&c.id).await
                    && c.restarted_since(&later)
                {
                    c.state = RunState::Restarting;
                    c.restart_count = later.restart_count.max(c.restart_count);
                    c.exit_code = later.exit_code;
                }
            });
        join_all(looks).await;
    }

    /// Healthchecks the engine has not decided yet (`starting`): phi runs the test itself.
    /// A pass makes the container healthy. A failure makes it unhealthy, with the probe's
    /// output, only where the engine runs no healthchecks at all; elsewhere the engine's
    /// verdict is awaited. Either way `health_signal` says who decided.
    pub async fn confirm_starting(&self, containers: &mut [ContainerInfo], limit: Duration) {
        const PROBE_LIMIT: Duration = Duration::from_secs(5);
        let now = SystemTime::now();
        let checks = containers.iter_mut().filter_map(|c| {
            if c.state != RunState::Running || c.health != Some(HealthState::Starting) {
                return None;
            }
            let command = c.health_test.as_deref().and_then(probe_command)?;
            Some(async move {
                let Ok(outcome) = self.probe(&c.id, &command, PROBE_LIMIT.min(limit)).await else {
                    return;
                };
                if outcome.exit_code == 0 {
                    c.health = Some(HealthState::Healthy);
                    c.health_output = None;
                    c.health_signal = Some(SIGNAL_PROBE);
                } else if c.engine_runs_no_healthchecks(now) {
                    c.health = Some(HealthState::Unhealthy);
                    let last = outcome
                        .output
                        .lines()
                        .map(str::trim)
                        .rfind(|l| !l.is_empty());
                    c.health_output = Some(match last {
                        Some(line) => format!("{line} (exit {})", outcome.exit_code),
                        None => format!("exit {}", outcome.exit_code),
                    });
                    c.health_signal = Some(SIGNAL_PROBE);
                }
            })
        });
        join_all(checks).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::container;

    #[test]
    fn defaults_fill_what_the_container_leaves_out() {
        let p = HealthPolicy::from_engine(Some(1_000_000_000), None, Some(0));
        assert_eq!(p.interval, Duration::from_secs(1));
        assert_eq!(p.start_period, Duration::ZERO);
        assert_eq!(p.retries, 3);
    }

    #[test]
    fn an_engine_is_silent_only_after_its_first_interval_passed_without_a_check() {
        let now = SystemTime::now();
        let mut c = container("web", RunState::Running);
        c.health = Some(HealthState::Starting);
        c.health_policy = HealthPolicy::from_engine(Some(1_000_000_000), None, None);
        c.started_at = Some(now - Duration::from_secs(2));
        assert!(!c.engine_runs_no_healthchecks(now), "too early to tell");
        c.started_at = Some(now - Duration::from_secs(4));
        assert!(c.engine_runs_no_healthchecks(now));
        c.health_log = vec![(1, "nope".into())];
        assert!(!c.engine_runs_no_healthchecks(now), "the engine ran one");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn probes_take_turns_at_most_eight_at_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let (now, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let runs = (0..30).map(|_| {
            with_probe_turn(Duration::from_secs(60), |_| async {
                let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(n, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
                now.fetch_sub(1, Ordering::SeqCst);
            })
        });
        let done = futures_util::future::join_all(runs).await;
        assert!(done.iter().all(Option::is_some));
        assert_eq!(most.load(Ordering::SeqCst), PROBES_AT_ONCE);
        // No turn within the limit: no probe.
        let held: Vec<_> = (0..PROBES_AT_ONCE)
            .map(|_| PROBES.try_acquire().unwrap())
            .collect();
        let late = with_probe_turn(Duration::from_millis(50), |_| async { 1 }).await;
        assert_eq!(late, None);
        drop(held);
        assert_eq!(
            with_probe_turn(Duration::from_millis(50), |_| async { 1 }).await,
            Some(1)
        );
    }

    #[test]
    fn a_restart_shows_in_the_count_the_start_time_or_the_state() {
        let t = SystemTime::now();
        let mut first = container("web", RunState::Running);
        first.started_at = Some(t);
        first.restart_count = 4;
        let mut same = first.clone();
        assert!(!first.restarted_since(&same));
        same.restart_count = 5;
        assert!(first.restarted_since(&same));
        let mut moved = first.clone();
        moved.started_at = Some(t + Duration::from_millis(300));
        assert!(first.restarted_since(&moved));
        let stopped = container("web", RunState::Exited);
        assert!(first.restarted_since(&stopped));
    }
}
