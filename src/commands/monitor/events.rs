//! What the engine announces as it happens, beside the sampling: OOM kills, exits nobody
//! asked for, restart loops and health changes, each turned into an alert once per episode.
//!
//! A task follows the engine's events stream (reconnecting and resuming from the last
//! event's time on its own) and hands the events to the monitor loop over a channel; the
//! loop decides what they mean here, in [`Watch`], which is pure.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use futures_util::StreamExt;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::engine::{Engine, EngineEvent, Resume, Target};

/// Default restart loop: this many restarts by the engine ...
pub const RESTART_LOOP: u64 = 3;
/// ... within this long.
pub const RESTART_LOOP_WINDOW: Duration = Duration::from_secs(300);

/// What the follower task hands over.
#[derive(Debug)]
pub(super) enum Note {
    Event(EngineEvent),
    /// The stream broke; it is being resumed.
    Lost(String),
    /// The stream is back, from the last event's time.
    Resumed,
}

/// Follow `project`'s events from `resume` on, for as long as the receiver lives. A broken
/// stream is resumed after a pause (0.5 s doubling to 5 s), on a fresh connection.
pub(super) fn follow(
    engine: Engine,
    target: Target,
    project: String,
    resume: Resume,
    call_timeout: Duration,
) -> (mpsc::UnboundedReceiver<Note>, JoinHandle<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        let mut engine = engine;
        let mut resume = resume;
        loop {
            let stream = engine.project_events(&project, &resume, None);
            futures_util::pin_mut!(stream);
            let mut cause = "the engine closed the events stream".to_string();
            while let Some(item) = stream.next().await {
                match item {
                    Ok(event) => {
                        resume.admit(&event);
                        if tx.send(Note::Event(event)).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        cause = e.to_string();
                        break;
                    }
                }
            }
            if tx.send(Note::Lost(cause)).is_err() {
                return;
            }
            let mut delay = Duration::from_millis(500);
            loop {
                tokio::time::sleep(delay).await;
                if tx.is_closed() {
                    return;
                }
                match Engine::connect(&target, call_timeout.min(crate::engine::CALL_TIMEOUT)).await
                {
                    Ok(fresh) => {
                        engine = fresh;
                        break;
                    }
                    Err(_) => delay = (delay * 2).min(Duration::from_secs(5)),
                }
            }
            if tx.send(Note::Resumed).is_err() {
                return;
            }
        }
    });
    (rx, task)
}

/// One engine event as a JSON line of its own.
#[derive(Debug, Clone, Serialize)]
pub struct EventDoc {
    pub schema_version: u32,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub time: String,
    pub project: String,
    pub service: Option<String>,
    pub container: String,
    pub action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
}

impl EventDoc {
    pub fn new(project: &str, e: &EngineEvent) -> EventDoc {
        let secs = e.time_nano.max(0) as u64;
        let at = std::time::UNIX_EPOCH + Duration::from_nanos(secs);
        EventDoc {
            schema_version: crate::output::SCHEMA_VERSION,
            kind: "event",
            time: humantime::format_rfc3339_millis(at).to_string(),
            project: project.to_string(),
            service: e.service.clone(),
            container: e.name.clone(),
            action: e.action.clone(),
            exit_code: e.exit_code,
            health: e.health.clone(),
            signal: e.signal.clone(),
        }
    }
}

/// What an event means for the alerts.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Finding {
    /// Killed for memory (every kill alerts).
    Oom,
    /// The engine restarted it `restarts` times within `window`: a loop (once per episode).
    RestartLoop {
        restarts: u64,
        window: Duration,
    },
    /// No restart within the window any more: the loop is over.
    RestartLoopOver {
        window: Duration,
    },
    /// It exited with `code` and nobody asked (once per episode).
    Exit {
        code: i64,
    },
    /// Its healthcheck turned it unhealthy, or healthy again.
    Unhealthy,
    Healthy,
}

/// Two `oom` events of one container closer than this are one kill (nanoseconds: 1 s).
const SAME_OOM_KILL: i64 = 1_000_000_000;

/// Per container: what its recent events were.
#[derive(Debug, Default, Clone)]
struct Track {
    name: String,
    service: Option<String>,
    /// A kill was sent since the last start: the next die was asked for.
    stopping: bool,
    /// An OOM since the last start: the next die is the OOM kill.
    oom: bool,
    /// When the last `oom` event came (nanoseconds).
    last_oom: i64,
    /// It died on its own since the last start: the next start is the engine's restart.
    died_unasked: bool,
    /// When the engine restarted it, newest last, within the window (nanoseconds).
    restarts: VecDeque<i64>,
    last_die: i64,
    loop_open: bool,
    exit_open: bool,
}

/// Counters per container for the scrape page.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Counters {
    pub oom_kills: u64,
    pub last_exit_code: Option<i64>,
}

/// The alerts' memory of events, per container ID.
#[derive(Debug, Default)]
pub(super) struct Watch {
    tracks: HashMap<String, Track>,
    /// By container name, what the scrape page shows.
    pub counters: HashMap<String, Counters>,
}

impl Watch {
    /// Take in one event; `restart_loop` is (restarts, window) for its service, None: off.
    pub fn take(&mut self, e: &EngineEvent, restart_loop: Option<(u64, Duration)>) -> Vec<Finding> {
        let t = self.tracks.entry(e.id.clone()).or_default();
        t.name = e.name.clone();
        t.service = e.service.clone();
        let counters = self.counters.entry(e.name.clone()).or_default();
        let mut out = Vec::new();
        match e.action.as_str() {
            "kill" => t.stopping = true,
            "oom" => {
                // The engine may announce one kill twice, milliseconds apart (seen on Docker
                // 20.10: two `oom` events 6 ms apart, then one `die`): one kill, one alert.
                let same_kill = t.oom && e.time_nano - t.last_oom < SAME_OOM_KILL;
                t.oom = true;
                t.last_oom = e.time_nano;
                if !same_kill {
                    counters.oom_kills += 1;
                    out.push(Finding::Oom);
                }
            }
            "die" => {
                counters.last_exit_code = e.exit_code.or(counters.last_exit_code);
                let code = e.exit_code.unwrap_or(0);
                // An OOM kill is alerted as such; a kill someone sent was asked for.
                let unasked = !t.stopping || t.oom;
                if !t.stopping && !t.oom && code != 0 && !t.exit_open {
                    t.exit_open = true;
                    out.push(Finding::Exit { code });
                }
                t.died_unasked = unasked;
                t.last_die = e.time_nano;
            }
            "start" => {
                if std::mem::take(&mut t.died_unasked) {
                    t.restarts.push_back(e.time_nano);
                    if let Some((n, window)) = restart_loop.filter(|(n, _)| *n > 0) {
                        let from = e.time_nano - window.as_nanos().min(i64::MAX as u128) as i64;
                        while t.restarts.front().is_some_and(|at| *at < from) {
                            t.restarts.pop_front();
                        }
                        if t.restarts.len() as u64 >= n && !t.loop_open {
                            t.loop_open = true;
                            out.push(Finding::RestartLoop {
                                restarts: t.restarts.len() as u64,
                                window,
                            });
                        }
                    }
                }
                t.stopping = false;
                t.oom = false;
            }
            "health_status" => match e.health.as_deref() {
                Some("unhealthy") => out.push(Finding::Unhealthy),
                Some("healthy") => out.push(Finding::Healthy),
                _ => {}
            },
            "destroy" => {
                self.tracks.remove(&e.id);
            }
            _ => {}
        }
        out
    }

    /// At `now_nano` (after a sample): loops and exit episodes whose window passed without
    /// another die are over. Returns the loops that ended, to report as recoveries.
    pub fn settle(
        &mut self,
        now_nano: i64,
        restart_loop: impl Fn(Option<&str>) -> Option<(u64, Duration)>,
    ) -> Vec<(String, Option<String>, Finding)> {
        let mut out = Vec::new();
        for t in self.tracks.values_mut() {
            let window = restart_loop(t.service.as_deref())
                .map(|(_, w)| w)
                .unwrap_or(RESTART_LOOP_WINDOW);
            let quiet = now_nano - t.last_die > window.as_nanos().min(i64::MAX as u128) as i64;
            if !quiet || t.stopping {
                continue;
            }
            t.exit_open = false;
            if std::mem::take(&mut t.loop_open) {
                t.restarts.clear();
                out.push((
                    t.name.clone(),
                    t.service.clone(),
                    Finding::RestartLoopOver { window },
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(action: &str, t: i64) -> EngineEvent {
        EngineEvent {
            action: action.into(),
            health: None,
            exit_code: None,
            signal: None,
            id: "id1".into(),
            name: "p-web-1".into(),
            service: Some("web".into()),
            oneoff: false,
            time_nano: t,
        }
    }

    fn die(code: i64, t: i64) -> EngineEvent {
        EngineEvent {
            exit_code: Some(code),
            ..ev("die", t)
        }
    }

    const SEC: i64 = 1_000_000_000;
    const LOOP: Option<(u64, Duration)> = Some((3, Duration::from_secs(60)));

    #[test]
    fn every_oom_kill_alerts_and_its_die_is_no_second_alert() {
        let mut w = Watch::default();
        for round in 0..2 {
            let t = round * 10 * SEC;
            assert_eq!(w.take(&ev("oom", t), LOOP), [Finding::Oom]);
            assert!(w.take(&die(137, t + 1), LOOP).is_empty());
            assert!(w.take(&ev("start", t + SEC), LOOP).is_empty());
        }
        assert_eq!(w.counters["p-web-1"].oom_kills, 2);
        assert_eq!(w.counters["p-web-1"].last_exit_code, Some(137));
    }

    #[test]
    fn one_kill_announced_twice_is_one_alert_a_later_kill_another() {
        let mut w = Watch::default();
        assert_eq!(w.take(&ev("oom", 0), LOOP), [Finding::Oom]);
        assert!(w.take(&ev("oom", 6_000_000), LOOP).is_empty(), "6 ms later");
        // A child killed later while the container runs on is another kill.
        assert_eq!(w.take(&ev("oom", 5 * SEC), LOOP), [Finding::Oom]);
        assert!(w.take(&die(137, 5 * SEC + 1), LOOP).is_empty());
        assert_eq!(w.counters["p-web-1"].oom_kills, 2);
    }

    #[test]
    fn an_unasked_exit_alerts_once_per_episode_a_stop_never() {
        let mut w = Watch::default();
        assert_eq!(w.take(&die(3, 0), LOOP), [Finding::Exit { code: 3 }]);
        w.take(&ev("start", SEC), LOOP);
        assert!(w.take(&die(3, 2 * SEC), LOOP).is_empty(), "same episode");
        // Quiet for the window: the episode is over, the next exit alerts again.
        w.take(&ev("start", 3 * SEC), LOOP);
        assert!(w.settle(70 * SEC, |_| LOOP).is_empty());
        assert_eq!(w.take(&die(1, 80 * SEC), LOOP), [Finding::Exit { code: 1 }]);
        // A stop: kill, then die with 137 or 0.
        let mut w = Watch::default();
        assert!(w.take(&ev("kill", 0), LOOP).is_empty());
        assert!(w.take(&die(137, 1), LOOP).is_empty());
        assert!(w.take(&ev("start", SEC), LOOP).is_empty(), "not a restart");
        assert!(
            w.take(&die(0, 2 * SEC), LOOP).is_empty(),
            "exit 0 is no alert"
        );
    }

    #[test]
    fn n_restarts_within_the_window_make_one_loop_alert_then_a_recovery() {
        let mut w = Watch::default();
        let mut found = Vec::new();
        for i in 0..6 {
            found.extend(w.take(&die(3, i * 2 * SEC), LOOP));
            found.extend(w.take(&ev("start", i * 2 * SEC + SEC), LOOP));
        }
        let loops: Vec<&Finding> = found
            .iter()
            .filter(|f| matches!(f, Finding::RestartLoop { .. }))
            .collect();
        assert_eq!(
            loops,
            [&Finding::RestartLoop {
                restarts: 3,
                window: Duration::from_secs(60)
            }]
        );
        assert!(
            w.settle(30 * SEC, |_| LOOP).is_empty(),
            "still within the window"
        );
        let over = w.settle(80 * SEC, |_| LOOP);
        assert_eq!(over.len(), 1);
        assert_eq!(
            over[0].2,
            Finding::RestartLoopOver {
                window: Duration::from_secs(60)
            }
        );
        // Slow restarts never make a loop; an explicit restart (kill first) never counts.
        let mut w = Watch::default();
        for i in 0..5 {
            w.take(&die(3, i * 100 * SEC), LOOP);
            let f = w.take(&ev("start", i * 100 * SEC + SEC), LOOP);
            assert!(f.is_empty(), "{f:?}");
        }
        let mut w = Watch::default();
        for i in 0..5 {
            w.take(&ev("kill", i * SEC), LOOP);
            w.take(&die(0, i * SEC + 1), LOOP);
            assert!(w.take(&ev("start", i * SEC + 2), LOOP).is_empty());
        }
        // Off: no loop alert at all.
        let mut w = Watch::default();
        for i in 0..5 {
            w.take(&die(3, i * SEC), Some((0, Duration::from_secs(60))));
            let f = w.take(
                &ev("start", i * SEC + 1),
                Some((0, Duration::from_secs(60))),
            );
            assert!(!f.iter().any(|f| matches!(f, Finding::RestartLoop { .. })));
        }
    }

    #[test]
    fn health_changes_are_findings() {
        let mut w = Watch::default();
        let h = |s: &str| EngineEvent {
            health: Some(s.into()),
            ..ev("health_status", 0)
        };
        assert_eq!(w.take(&h("unhealthy"), LOOP), [Finding::Unhealthy]);
        assert_eq!(w.take(&h("healthy"), LOOP), [Finding::Healthy]);
        assert!(w.take(&h("starting"), LOOP).is_empty());
    }
}
