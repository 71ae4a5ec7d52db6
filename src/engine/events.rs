//! The engine's events stream for one project's containers: `oom`, `die` (with the exit
//! code), `kill`, `restart`, `health_status`, `start`, `destroy`, as they happen.
//!
//! The stream is read raw (newline-separated JSON) and leniently, like the lists and
//! inspections in `answers`: Podman's events carry fields and words bollard's models refuse.
//! A stream that breaks is resumed with `since` set to the last event's time; the engine
//! replays from that instant (inclusive), and [`Resume`] drops what was already seen there,
//! so nothing is missed or doubled. Docker keeps its last 256 events for such replays.

use std::collections::{HashMap, HashSet};

use futures_util::{Stream, StreamExt};
use serde::Deserialize;

use super::{Engine, EngineError, answers};
use crate::spec::{LABEL_ONEOFF, LABEL_PROJECT, LABEL_SERVICE};

/// The container actions phi follows.
pub const ACTIONS: &[&str] = &[
    "oom",
    "die",
    "kill",
    "restart",
    "health_status",
    "start",
    "destroy",
];

/// One container event, as phi reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineEvent {
    /// `oom`, `die`, `kill`, `restart`, `health_status`, `start`, `destroy`.
    pub action: String,
    /// For `health_status`: `healthy`, `unhealthy` or `starting`.
    pub health: Option<String>,
    /// For `die`: the main process's exit code.
    pub exit_code: Option<i64>,
    /// For `kill`: the signal sent.
    pub signal: Option<String>,
    pub id: String,
    pub name: String,
    pub service: Option<String>,
    /// Not one of the service's containers (`docker compose run`, a hook's container).
    pub oneoff: bool,
    /// When the engine saw it, in nanoseconds since the epoch.
    pub time_nano: i64,
}

/// One line of the stream, every field optional.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawEvent {
    #[serde(rename = "Type")]
    typ: Option<String>,
    #[serde(rename = "Action")]
    action: Option<String>,
    /// Older engines and Podman also say it here.
    status: Option<String>,
    id: Option<String>,
    #[serde(rename = "Actor")]
    actor: Option<Actor>,
    time: Option<i64>,
    #[serde(rename = "timeNano")]
    time_nano: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Actor {
    #[serde(rename = "ID")]
    id: Option<String>,
    #[serde(rename = "Attributes")]
    attributes: Option<HashMap<String, String>>,
}

/// Read one line of the stream; None for anything that is not a container event phi follows.
pub fn parse_event(line: &[u8]) -> Option<EngineEvent> {
    let raw: RawEvent = serde_json::from_slice(line).ok()?;
    if raw.typ.as_deref().is_some_and(|t| t != "container") {
        return None;
    }
    let word = raw.action.or(raw.status)?;
    // Docker writes `health_status: unhealthy`; some engines add the exec's command the
    // same way (`exec_start: sh -c ...`).
    let (action, detail) = match word.split_once(':') {
        Some((a, d)) => (a.trim().to_string(), Some(d.trim().to_string())),
        None => (word.trim().to_string(), None),
    };
    // Podman's words for the same things.
    let action = match action.as_str() {
        "remove" => "destroy".to_string(),
        "died" => "die".to_string(),
        _ => action,
    };
    if !ACTIONS.contains(&action.as_str()) {
        return None;
    }
    let actor = raw.actor.unwrap_or_default();
    let attributes = actor.attributes.unwrap_or_default();
    let id = actor.id.or(raw.id).filter(|i| !i.is_empty())?;
    let time_nano = raw
        .time_nano
        .or(raw.time.map(|s| s.saturating_mul(1_000_000_000)))
        .unwrap_or(0);
    let health = match action.as_str() {
        "health_status" => detail
            .or_else(|| attributes.get("health_status").cloned())
            .filter(|h| !h.is_empty()),
        _ => None,
    };
    Some(EngineEvent {
        health,
        exit_code: attributes
            .get("exitCode")
            .and_then(|c| c.trim().parse().ok()),
        signal: attributes.get("signal").cloned(),
        name: attributes
            .get("name")
            .cloned()
            .unwrap_or_else(|| super::containers::short_id(&id).to_string()),
        service: attributes.get(LABEL_SERVICE).cloned(),
        oneoff: attributes
            .get(LABEL_ONEOFF)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
            || attributes.contains_key(crate::spec::LABEL_HOOK),
        id,
        action,
        time_nano,
    })
}

/// Where a broken stream picks up: the last event's time, and which events were already
/// seen at exactly that time (the engine's `since` includes it).
#[derive(Debug, Default, Clone)]
pub struct Resume {
    last_nano: i64,
    seen_at_last: HashSet<(String, String, Option<String>)>,
}

impl Resume {
    /// Start at `nano` (nanoseconds since the epoch): events before it are not wanted.
    pub fn at(nano: i64) -> Resume {
        Resume {
            last_nano: nano,
            seen_at_last: HashSet::new(),
        }
    }

    /// Whether `event` is new; remembers it.
    pub fn admit(&mut self, event: &EngineEvent) -> bool {
        let key = (
            event.id.clone(),
            event.action.clone(),
            event
                .health
                .clone()
                .or(event.exit_code.map(|c| c.to_string())),
        );
        if event.time_nano < self.last_nano {
            return false;
        }
        if event.time_nano > self.last_nano {
            self.last_nano = event.time_nano;
            self.seen_at_last.clear();
        }
        self.seen_at_last.insert(key)
    }

    /// The engine's `since`: seconds.nanoseconds.
    pub fn since(&self) -> String {
        let n = self.last_nano.max(0);
        format!("{}.{:09}", n / 1_000_000_000, n % 1_000_000_000)
    }
}

/// `HostConfig.Memory` of an inspection: the memory limit (0: none).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
struct Limits {
    host_config: Option<HostConfig>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
struct HostConfig {
    memory: Option<i64>,
}

impl Engine {
    /// A container's memory limit in bytes; None when it has none (or is gone).
    pub async fn memory_limit(&self, id: &str) -> Result<Option<u64>, EngineError> {
        let what = format!("inspect of container {}", super::containers::short_id(id));
        let path = format!("/containers/{}/json", answers::query_escape(id));
        let limits: Limits = self.get_json(&what, &path).await?;
        Ok(limits
            .host_config
            .and_then(|h| h.memory)
            .filter(|m| *m > 0)
            .map(|m| m as u64))
    }

    /// The events of `project`'s containers from `resume` on, until `until` (seconds since
    /// the epoch; None: for as long as the connection lasts). Events already seen at the
    /// resume instant are dropped. The stream ends with an error when the connection breaks.
    pub fn project_events(
        &self,
        project: &str,
        resume: &Resume,
        until: Option<String>,
    ) -> impl Stream<Item = Result<EngineEvent, EngineError>> + Send + 'static {
        use hyper::http::uri::{PathAndQuery, Uri};
        let mut filters = serde_json::json!({
            "type": ["container"],
            "label": [format!("{LABEL_PROJECT}={project}")],
        });
        // Docker filters the actions itself (sparing the healthchecks' exec events); Podman
        // matches its own words there (`died`) and would drop the `die` it then sends, so
        // its stream is filtered here only.
        if !self.product.starts_with("Podman") {
            filters["event"] = serde_json::json!(ACTIONS);
        }
        let v = self.docker.client_version();
        let mut path = format!(
            "/v{}.{}/events?since={}&filters={}",
            v.major_version,
            v.minor_version,
            resume.since(),
            answers::query_escape(&filters.to_string())
        );
        if let Some(until) = until {
            path.push_str(&format!("&until={until}"));
        }
        let address = self.address.clone();
        let target: Option<PathAndQuery> = path.parse().ok();
        let docker = self
            .docker
            .clone()
            .with_request_modifier(move |mut request| {
                if let Some(target) = target.clone() {
                    let mut parts = request.uri().clone().into_parts();
                    parts.path_and_query = Some(target);
                    if let Ok(uri) = Uri::from_parts(parts) {
                        *request.uri_mut() = uri;
                    }
                }
                request
            });
        let mut resume = resume.clone();
        // The same raw-body trick as `get_json`: bollard hands an export's body back as bytes.
        let chunks = docker.export_container("phi-events");
        let mut buffer: Vec<u8> = Vec::new();
        chunks
            .map(move |chunk| match chunk {
                Ok(bytes) => {
                    buffer.extend_from_slice(&bytes);
                    let mut out = Vec::new();
                    while let Some(end) = buffer.iter().position(|b| *b == b'\n') {
                        let line: Vec<u8> = buffer.drain(..=end).collect();
                        if let Some(event) = parse_event(&line)
                            && resume.admit(&event)
                        {
                            out.push(Ok(event));
                        }
                    }
                    futures_util::stream::iter(out)
                }
                Err(e) => futures_util::stream::iter(vec![Err(
                    match super::classify(&address, &e, false) {
                        EngineError::Api { message, .. } => EngineError::Api {
                            what: "the events stream".into(),
                            message,
                        },
                        other => other,
                    },
                )]),
            })
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIE: &str = r#"{"status":"die","id":"abc123abc123abc123","from":"busybox","Type":"container","Action":"die","Actor":{"ID":"abc123abc123abc123","Attributes":{"com.docker.compose.project":"p","com.docker.compose.service":"web","exitCode":"3","image":"busybox","name":"p-web-1"}},"scope":"local","time":1700000000,"timeNano":1700000000123456789}"#;

    #[test]
    fn docker_events_read_with_their_details() {
        let e = parse_event(DIE.as_bytes()).unwrap();
        assert_eq!(e.action, "die");
        assert_eq!(e.exit_code, Some(3));
        assert_eq!(e.name, "p-web-1");
        assert_eq!(e.service.as_deref(), Some("web"));
        assert_eq!(e.time_nano, 1_700_000_000_123_456_789);
        let health = r#"{"Type":"container","Action":"health_status: unhealthy","Actor":{"ID":"abc","Attributes":{"name":"x"}},"time":5}"#;
        let e = parse_event(health.as_bytes()).unwrap();
        assert_eq!(
            (e.action.as_str(), e.health.as_deref()),
            ("health_status", Some("unhealthy"))
        );
        assert_eq!(e.time_nano, 5_000_000_000, "seconds stand in for nanos");
        // Podman's words for a container, and events phi does not follow.
        let podman = r#"{"status":"kill","id":"def","Type":"container","Action":"kill","Actor":{"ID":"def","Attributes":{"name":"q","signal":"9","podId":""}},"time":7,"timeNano":7000000001}"#;
        assert_eq!(
            parse_event(podman.as_bytes()).unwrap().signal.as_deref(),
            Some("9")
        );
        assert!(
            parse_event(br#"{"Type":"network","Action":"connect","Actor":{"ID":"n"}}"#).is_none()
        );
        assert!(
            parse_event(br#"{"Type":"container","Action":"exec_start: sh","Actor":{"ID":"n"}}"#)
                .is_none()
        );
        assert!(parse_event(b"not json").is_none());
        let removed = r#"{"status":"remove","Type":"container","Action":"remove","Actor":{"ID":"def","Attributes":{"name":"q"}},"time":7}"#;
        assert_eq!(parse_event(removed.as_bytes()).unwrap().action, "destroy");
        let cleanup = r#"{"Type":"container","Action":"cleanup","Actor":{"ID":"def"}}"#;
        assert!(parse_event(cleanup.as_bytes()).is_none());
    }

    #[test]
    fn a_resumed_stream_drops_what_was_seen_at_the_resume_instant_and_before() {
        let mut r = Resume::at(100);
        let ev = |action: &str, t: i64| EngineEvent {
            action: action.into(),
            health: None,
            exit_code: None,
            signal: None,
            id: "c".into(),
            name: "c".into(),
            service: None,
            oneoff: false,
            time_nano: t,
        };
        assert!(!r.admit(&ev("start", 99)), "before the start");
        assert!(r.admit(&ev("start", 100)));
        assert!(r.admit(&ev("die", 150)));
        assert_eq!(r.since(), "0.000000150");
        // The replay after a reconnection: the instant again, then what is new.
        assert!(!r.admit(&ev("die", 150)), "no double");
        assert!(
            r.admit(&ev("kill", 150)),
            "another event at the same instant"
        );
        assert!(r.admit(&ev("start", 151)));
        assert_eq!(
            Resume::at(1_700_000_000_123_456_789).since(),
            "1700000000.123456789"
        );
    }
}
