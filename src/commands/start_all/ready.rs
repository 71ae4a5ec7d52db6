//! Is a container really ready? Two signals race: the engine's own healthcheck status, and
//! the same healthcheck test run by phi inside the container (exec) at a short cadence that
//! backs off, so readiness is seen when it happens, not at the engine's next interval.

use std::time::{Duration, SystemTime};

use tokio::time::Instant as Deadline;

use crate::engine::observe::{SIGNAL_ENGINE, SIGNAL_PROBE};
use crate::engine::{ContainerInfo, Engine, HealthState, RunState, probe_command};

/// What the service must reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    /// Healthy when it has a healthcheck, else running.
    Ready,
    /// Exited with code 0 (a one-shot job).
    Completion,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Readiness {
    Ready {
        /// `exec probe`, `engine healthcheck`, `running` or `exit 0`.
        signal: &'static str,
        /// A healthcheck decided (not merely running).
        healthy: bool,
    },
    Failed {
        reason: String,
        health_output: Vec<String>,
    },
    TimedOut {
        health_output: Vec<String>,
    },
}

/// The first pause between two looks; it grows by half each time up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(50);
const MAX_PAUSE: Duration = Duration::from_secs(1);
/// The most one exec probe may take.
const PROBE_LIMIT: Duration = Duration::from_secs(10);
/// Healthcheck outputs kept for the report.
const KEEP_OUTPUTS: usize = 5;

fn next_pause(pause: Duration) -> Duration {
    (pause * 3 / 2).min(MAX_PAUSE)
}

/// A service without a healthcheck is ready once it has stayed up this long (an engine may
/// report a container that exits at once as running for a moment).
const STAY_UP: Duration = Duration::from_millis(500);
const SIGNAL_RUNNING: &str = "running";

/// What one wait has seen so far.
#[derive(Default)]
struct Watch {
    /// The first look at the container running.
    first: Option<ContainerInfo>,
    /// When phi first saw it running.
    running_since: Option<Deadline>,
    /// phi's probe failures counted as the engine would (after the start period, one per
    /// interval), where the engine runs no healthchecks.
    counted_failures: u32,
    last_counted: Option<Deadline>,
    /// The newest failing probe's output, for the report.
    last_output: Option<String>,
}

/// The engine runs this container's healthcheck (its log has results) at least as often
/// as phi would look again: its verdict comes as soon as phi's probe would, so phi does not
/// run the test a second time.
fn engine_answers_first(info: &ContainerInfo, pause: Duration) -> bool {
    !info.health_log.is_empty() && info.health_policy.interval <= pause
}

/// A running container, for a service that must be ready: Some(Ok(signal)) when it is,
/// Some(Err((reason, output))) when it failed, None to look again.
async fn ready_or_failed(
    engine: &Engine,
    info: &ContainerInfo,
    watch: &mut Watch,
    deadline: Deadline,
    pause: Duration,
) -> Option<Result<&'static str, (String, Option<String>)>> {
    let since = *watch.running_since.get_or_insert_with(Deadline::now);
    let Some(test) = info.health_test.as_deref() else {
        return (since.elapsed() >= STAY_UP).then_some(Ok(SIGNAL_RUNNING));
    };
    match info.health {
        Some(HealthState::Healthy) => return Some(Ok(SIGNAL_ENGINE)),
        Some(HealthState::Unhealthy) => return Some(Err(("turned unhealthy".into(), None))),
        _ => {}
    }
    if engine_answers_first(info, pause) {
        return None;
    }
    let command = probe_command(test)?;
    let left = deadline.saturating_duration_since(Deadline::now());
    match engine
        .probe(&info.id, &command, PROBE_LIMIT.min(left))
        .await
    {
        Ok(outcome) if outcome.exit_code == 0 => Some(Ok(SIGNAL_PROBE)),
        Ok(outcome) => {
            // Where the engine never runs its healthchecks, phi judges as the engine would:
            // `retries` failures, one per interval, after the start period.
            if info.engine_runs_no_healthchecks(SystemTime::now()) {
                let policy = info.health_policy;
                let due = watch
                    .last_counted
                    .is_none_or(|t| t.elapsed() >= policy.interval);
                if due {
                    watch.counted_failures += 1;
                    watch.last_counted = Some(Deadline::now());
                }
                if watch.counted_failures >= policy.retries {
                    return Some(Err((
                        format!(
                            "turned unhealthy: failed its healthcheck {} times in a row (phi's \
                             exec probe; the engine runs no healthchecks)",
                            watch.counted_failures
                        ),
                        Some(outcome.output),
                    )));
                }
            }
            watch.last_output = Some(outcome.output);
            None
        }
        // The container may be on its way down; the next inspect tells.
        Err(_) => None,
    }
}

/// Wait until container `id` is what `wanted` asks, fails, or `deadline` passes.
pub async fn wait(engine: &Engine, id: &str, wanted: Wanted, deadline: Deadline) -> Readiness {
    let mut outputs: Vec<String> = Vec::new();
    let mut watch = Watch::default();
    let mut pause = FIRST_PAUSE;
    let remember = |outputs: &mut Vec<String>, text: &str| {
        let text = text.trim();
        if !text.is_empty() && outputs.last().map(String::as_str) != Some(text) {
            outputs.push(text.to_string());
            if outputs.len() > KEEP_OUTPUTS {
                outputs.remove(0);
            }
        }
    };
    loop {
        if Deadline::now() >= deadline {
            return Readiness::TimedOut {
                health_output: outputs,
            };
        }
        let info = match tokio::time::timeout_at(deadline, engine.inspect(id)).await {
            Err(_) => continue,
            Ok(Ok(Some(info))) => info,
            Ok(Ok(None)) => {
                return Readiness::Failed {
                    reason: "was removed while phi waited for it".into(),
                    health_output: outputs,
                };
            }
            Ok(Err(e)) => {
                return Readiness::Failed {
                    reason: format!("could not be inspected: {e}"),
                    health_output: outputs,
                };
            }
        };
        for (code, output) in &info.health_log {
            if *code != 0 {
                remember(&mut outputs, output);
            }
        }
        // A restart count that grows or a start time that moves is a crash loop, whatever
        // the state word says (Podman has no `restarting`).
        if let Some(first) = &watch.first
            && info.state == RunState::Running
            && first.restarted_since(&info)
            && wanted == Wanted::Ready
        {
            return Readiness::Failed {
                reason: format!(
                    "is restarting: it restarted {} times while phi waited",
                    info.restart_count
                        .saturating_sub(first.restart_count)
                        .max(1)
                ),
                health_output: outputs,
            };
        }
        if watch.first.is_none() && info.state == RunState::Running {
            watch.first = Some(info.clone());
        }
        match (info.state, wanted) {
            (RunState::Exited | RunState::Dead, Wanted::Completion) => {
                return match info.exit_code {
                    Some(0) => Readiness::Ready {
                        signal: "exit 0",
                        healthy: false,
                    },
                    code => Readiness::Failed {
                        reason: format!("exited with code {}", code.unwrap_or(-1)),
                        health_output: outputs,
                    },
                };
            }
            (RunState::Exited | RunState::Dead, Wanted::Ready) => {
                return Readiness::Failed {
                    reason: format!(
                        "exited with code {} instead of staying up",
                        info.exit_code.unwrap_or(-1)
                    ),
                    health_output: outputs,
                };
            }
            (RunState::Restarting, _) => {
                return Readiness::Failed {
                    reason: format!(
                        "is restarting: it exited with code {} (restart count {})",
                        info.exit_code.unwrap_or(-1),
                        info.restart_count
                    ),
                    health_output: outputs,
                };
            }
            (RunState::Running, Wanted::Ready) => {
                if let Some(done) =
                    ready_or_failed(engine, &info, &mut watch, deadline, pause).await
                {
                    return match done {
                        Ok(signal) => Readiness::Ready {
                            signal,
                            healthy: signal != SIGNAL_RUNNING,
                        },
                        Err((reason, output)) => {
                            if let Some(output) = output {
                                remember(&mut outputs, &output);
                            }
                            Readiness::Failed {
                                reason,
                                health_output: outputs,
                            }
                        }
                    };
                }
                if let Some(output) = watch.last_output.take() {
                    remember(&mut outputs, &output);
                }
            }
            _ => {}
        }
        tokio::time::sleep_until(deadline.min(Deadline::now() + pause)).await;
        pause = next_pause(pause);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phis_probe_waits_where_the_engine_checks_as_often() {
        use crate::engine::observe::HealthPolicy;
        let mut info = crate::testing::container("web", RunState::Running);
        info.health_policy = HealthPolicy::from_engine(Some(1_000_000_000), None, None);
        // No result from the engine yet (its first check is an interval away): probe.
        assert!(!engine_answers_first(&info, MAX_PAUSE));
        info.health_log = vec![(1, "not yet".into())];
        assert!(engine_answers_first(&info, MAX_PAUSE));
        assert!(!engine_answers_first(&info, FIRST_PAUSE));
        // A 30 s interval: phi's probe sees readiness long before the engine's next check.
        info.health_policy = HealthPolicy::default();
        assert!(!engine_answers_first(&info, MAX_PAUSE));
    }

    #[test]
    fn the_cadence_backs_off_to_a_ceiling() {
        let mut pause = FIRST_PAUSE;
        let mut total = Duration::ZERO;
        for _ in 0..8 {
            total += pause;
            pause = next_pause(pause);
        }
        assert!(total < Duration::from_secs(3), "{total:?}");
        for _ in 0..20 {
            pause = next_pause(pause);
        }
        assert_eq!(pause, MAX_PAUSE);
    }
}
