//! Alerts and recoveries: the JSON document of each, the webhook payload, and the
//! deliveries in flight.

use serde::Serialize;
use tokio::task::JoinHandle;

use super::*;

/// An alert fires when a threshold is breached; a recovery when it is met again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    Alert,
    Recovery,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlertDoc {
    pub(super) schema_version: u32,
    #[serde(rename = "type")]
    pub(super) kind: AlertKind,
    pub(super) time: String,
    pub(super) project: String,
    pub(super) service: Option<String>,
    pub(super) container: String,
    pub(super) metric: Metric,
    pub(super) value: Option<f64>,
    pub(super) threshold: Option<f64>,
    #[serde(rename = "for")]
    pub(super) consecutive: u32,
    pub(super) message: String,
    /// What the engine's events add (absent for threshold alerts).
    #[serde(flatten)]
    pub(super) detail: Detail,
}

/// The facts an alert from the engine's events carries.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Detail {
    /// The engine's event behind the alert, and when the engine saw it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_limit_bytes: Option<u64>,
    /// The failing healthcheck's output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// The container's last log lines.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub logs: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_seconds: Option<f64>,
}

pub(super) fn alert_doc(
    project: &str,
    time: &str,
    c: &ContainerSample,
    e: &Event,
    n: u32,
) -> AlertDoc {
    let who = who(c.service.as_deref(), &c.container);
    let (kind, metric, value, threshold, message) = match e {
        Event::Alert(b) => {
            let message = match b.metric {
                Metric::Unhealthy => format!("{who} is unhealthy"),
                Metric::Restarts => format!(
                    "{who} has restarted {} times (limit {})",
                    b.value, b.threshold
                ),
                m => format!(
                    "{} of {who} at {:.1}% > {}% for {n} sample(s)",
                    m.label(),
                    b.value,
                    b.threshold
                ),
            };
            (
                AlertKind::Alert,
                b.metric,
                Some(b.value),
                Some(b.threshold),
                message,
            )
        }
        Event::Recovered(m) => (
            AlertKind::Recovery,
            *m,
            None,
            None,
            format!("{} of {who} is back within its limit", m.label()),
        ),
    };
    AlertDoc {
        schema_version: crate::output::SCHEMA_VERSION,
        kind,
        time: time.to_string(),
        project: project.to_string(),
        service: c.service.clone(),
        container: c.container.clone(),
        metric,
        value,
        threshold,
        consecutive: n,
        message,
        detail: Detail::default(),
    }
}

/// "web (p-web-1)", or the container alone.
pub(super) fn who(service: Option<&str>, container: &str) -> String {
    match service {
        Some(s) => format!("{s} ({container})"),
        None => container.to_string(),
    }
}

/// A Slack-compatible body (`text`), with the alert's fields beside it.
pub(super) fn webhook_payload(alert: &AlertDoc) -> Vec<u8> {
    let mut value = serde_json::to_value(alert).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.insert(
            "text".into(),
            serde_json::Value::String(format!("phi [{}]: {}", alert.project, alert.message)),
        );
    }
    serde_json::to_vec(&value).unwrap_or_default()
}

/// Report finished deliveries; at the end (`wait`), wait for the rest, each bounded by its
/// own timeout and retries.
pub(super) async fn report_webhooks(
    pending: &mut Vec<JoinHandle<Result<u16, String>>>,
    printer: &Printer,
    wait: bool,
) {
    let mut still = Vec::new();
    for handle in pending.drain(..) {
        if !wait && !handle.is_finished() {
            still.push(handle);
            continue;
        }
        match handle.await {
            Ok(Ok(status)) => printer.note(&format!("webhook delivered ({status})")),
            Ok(Err(e)) => printer.warn(&format!("webhook not delivered: {e}")),
            Err(e) => printer.warn(&format!("webhook task failed: {e}")),
        }
    }
    *pending = still;
}
