//! Which backups a prune keeps: pure, over plain data.
//!
//! A complete backup is kept when any rule keeps it: it is the newest complete one (always),
//! one of the newest `keep_last`, or younger than `keep_within`. An incomplete run is removed
//! only once a complete backup newer than it exists. Damaged folders are kept for a person to
//! look at; folders phi did not write are never in the candidates at all.

use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::store::State;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    pub keep_last: Option<usize>,
    pub keep_within: Option<Duration>,
}

impl Policy {
    pub fn is_set(&self) -> bool {
        self.keep_last.is_some() || self.keep_within.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub id: String,
    pub keep: bool,
    pub reason: String,
}

/// Decide for each backup (`id`, time, state), given newest first or not.
pub fn select(
    backups: &[(String, SystemTime, State)],
    policy: Policy,
    now: SystemTime,
) -> Vec<Verdict> {
    let mut sorted: Vec<&(String, SystemTime, State)> = backups.iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
    let newest_complete = sorted.iter().find(|b| b.2 == State::Complete).map(|b| b.1);
    let mut complete_rank = 0usize;
    let mut verdicts = Vec::new();
    for (id, time, state) in sorted {
        let (keep, reason) = match state {
            State::Damaged => (true, "damaged: kept for a person to look at".to_string()),
            State::Incomplete => match newest_complete {
                Some(newest) if newest > *time => (
                    false,
                    "incomplete (interrupted or failed run), and a newer complete backup exists"
                        .to_string(),
                ),
                _ => (
                    true,
                    "incomplete, but no complete backup is newer".to_string(),
                ),
            },
            State::Complete => {
                complete_rank += 1;
                let age = now.duration_since(*time).unwrap_or_default();
                if complete_rank == 1 {
                    (true, "the newest complete backup".to_string())
                } else if policy.keep_last.is_some_and(|n| complete_rank <= n) {
                    (
                        true,
                        format!("one of the newest {}", policy.keep_last.unwrap_or(0)),
                    )
                } else if policy.keep_within.is_some_and(|d| age <= d) {
                    (
                        true,
                        format!(
                            "younger than {} days",
                            policy.keep_within.unwrap_or_default().as_secs() / 86_400
                        ),
                    )
                } else {
                    (false, describe_expiry(policy, age))
                }
            }
        };
        verdicts.push(Verdict {
            id: id.clone(),
            keep,
            reason,
        });
    }
    verdicts
}

fn describe_expiry(policy: Policy, age: Duration) -> String {
    let days = age.as_secs() / 86_400;
    match (policy.keep_last, policy.keep_within) {
        (Some(n), Some(d)) => format!(
            "not among the newest {n} and {days} days old (older than {} days)",
            d.as_secs() / 86_400
        ),
        (Some(n), None) => format!("not among the newest {n}"),
        (None, Some(d)) => format!("{days} days old (older than {} days)", d.as_secs() / 86_400),
        (None, None) => "no rule keeps it".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400;

    fn backups(now: SystemTime, ages_days: &[(u64, State)]) -> Vec<(String, SystemTime, State)> {
        ages_days
            .iter()
            .enumerate()
            .map(|(i, (age, state))| {
                (
                    format!("b{i}"),
                    now - Duration::from_secs(age * DAY + i as u64),
                    *state,
                )
            })
            .collect()
    }

    fn kept(verdicts: &[Verdict]) -> Vec<&str> {
        verdicts
            .iter()
            .filter(|v| v.keep)
            .map(|v| v.id.as_str())
            .collect()
    }

    #[test]
    fn keep_within_days_keeps_young_backups_and_always_the_newest() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000 * DAY);
        let list = backups(
            now,
            &[
                (1, State::Complete),
                (10, State::Complete),
                (20, State::Complete),
            ],
        );
        let policy = Policy {
            keep_last: None,
            keep_within: Some(Duration::from_secs(14 * DAY)),
        };
        assert_eq!(kept(&select(&list, policy, now)), ["b0", "b1"]);
        // Everything is old: the newest complete one stays anyway.
        let old = backups(now, &[(30, State::Complete), (40, State::Complete)]);
        assert_eq!(kept(&select(&old, policy, now)), ["b0"]);
    }

    #[test]
    fn keep_last_counts_complete_backups_only() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000 * DAY);
        let list = backups(
            now,
            &[
                (0, State::Incomplete),
                (1, State::Complete),
                (2, State::Damaged),
                (3, State::Complete),
                (4, State::Incomplete),
                (5, State::Complete),
            ],
        );
        let policy = Policy {
            keep_last: Some(2),
            keep_within: None,
        };
        let verdicts = select(&list, policy, now);
        // b0: incomplete but newer than any complete one; b2: damaged; b4: superseded.
        assert_eq!(kept(&verdicts), ["b0", "b1", "b2", "b3"]);
        assert!(
            verdicts
                .iter()
                .any(|v| v.id == "b5" && v.reason.contains("newest 2"))
        );
    }

    #[test]
    fn either_rule_keeps_a_backup() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000 * DAY);
        let list = backups(
            now,
            &[
                (0, State::Complete),
                (1, State::Complete),
                (2, State::Complete),
                (30, State::Complete),
            ],
        );
        let policy = Policy {
            keep_last: Some(1),
            keep_within: Some(Duration::from_secs(7 * DAY)),
        };
        assert_eq!(kept(&select(&list, policy, now)), ["b0", "b1", "b2"]);
    }
}
