//! Is a container really ready? Two signals race: the engine's own healthcheck status, and
//! the same healthcheck test run by phi inside the container (exec) at a short cadence that
//! backs off, so readiness is seen when it happens, not at the engine's next interval.

use std::time::Duration;

use tokio::time::Instant as Deadline;

use crate::engine::{Engine, HealthState, RunState, probe_command};

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

/// Wait until container `id` is what `wanted` asks, fails, or `deadline` passes.
pub async fn wait(engine: &Engine, id: &str, wanted: Wanted, deadline: Deadline) -> Readiness {
    let mut outputs: Vec<String> = Vec::new();
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
                let Some(test) = info.health_test.as_deref() else {
                    return Readiness::Ready {
                        signal: "running",
                        healthy: false,
                    };
                };
                match info.health {
                    Some(HealthState::Healthy) => {
                        return Readiness::Ready {
                            signal: "engine healthcheck",
                            healthy: true,
                        };
                    }
                    Some(HealthState::Unhealthy) => {
                        return Readiness::Failed {
                            reason: "turned unhealthy".into(),
                            health_output: outputs,
                        };
                    }
                    _ => {}
                }
                if let Some(command) = probe_command(test) {
                    let left = deadline.saturating_duration_since(Deadline::now());
                    match engine.exec(id, &command, PROBE_LIMIT.min(left)).await {
                        Ok(outcome) if outcome.exit_code == 0 => {
                            return Readiness::Ready {
                                signal: "exec probe",
                                healthy: true,
                            };
                        }
                        Ok(outcome) => remember(&mut outputs, &outcome.output),
                        // The container may be on its way down; the next inspect tells.
                        Err(_) => {}
                    }
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
