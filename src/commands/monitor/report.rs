//! Everything one run reports to, in one place: the terminal view or JSON lines, the log,
//! the webhook, the textfile and the `--serve` page; and what the engine's events mean,
//! turned into alerts there as they come.

use std::time::{Duration, SystemTime};

use tokio::sync::mpsc;

use super::alerts::{Detail, who};
use super::events::{EventDoc, Finding, Note, RESTART_LOOP, RESTART_LOOP_WINDOW, Watch};
use super::serve::Page;
use super::*;
use crate::engine::{EngineEvent, Resume};
use crate::units::format_bytes;

/// Last log lines an unexpected exit's alert carries.
const EXIT_LOG_LINES: usize = 10;

pub(super) struct Report<'a> {
    pub project: &'a Project,
    pub opts: &'a Settings,
    pub printer: &'a Printer,
    pub selected: Option<&'a BTreeSet<String>>,
    pub json_lines: bool,
    pub log: Option<RotatingLog>,
    pub webhook_client: Option<http::Client>,
    pub webhooks: Vec<JoinHandle<Result<u16, String>>>,
    pub view: LiveView,
    pub any_alert: bool,
    /// Where the events stream stands: events at or before it were handled.
    pub resume: Resume,
    pub watch: Watch,
    /// The latest sample, for redraws and the page.
    pub samples: Vec<ContainerSample>,
    pub page: Option<Page>,
    pub engine_up: bool,
    pub live: bool,
    pub index: u64,
}

/// (restarts, window) that make a restart loop for `service`: its x-phi, then the top-level
/// x-phi, then 3 within 5 minutes; None when turned off (`restart_loop: 0`).
pub(super) fn restart_loop_for(
    model: &ComposeModel,
    service: Option<&str>,
) -> Option<(u64, Duration)> {
    let own = service
        .and_then(|s| model.services.get(s))
        .map(|s| s.x_phi.limits)
        .unwrap_or_default();
    let top = model.x_phi.limits;
    let n = own
        .restart_loop
        .or(top.restart_loop)
        .unwrap_or(RESTART_LOOP);
    let window = own
        .restart_loop_window
        .or(top.restart_loop_window)
        .unwrap_or(RESTART_LOOP_WINDOW);
    (n > 0).then_some((n, window))
}

fn nanos(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Report<'_> {
    /// Wait for the next tick, handling the engine's events as they come meanwhile.
    pub async fn wait_tick(
        &mut self,
        ticker: &mut tokio::time::Interval,
        notes: &mut mpsc::UnboundedReceiver<Note>,
        engine: &Engine,
        tracker: &mut Tracker,
    ) -> anyhow::Result<()> {
        loop {
            tokio::select! {
                biased;
                note = notes.recv() => match note {
                    Some(note) => self.on_note(note, engine, tracker).await?,
                    None => {
                        ticker.tick().await;
                        return Ok(());
                    }
                },
                _ = ticker.tick() => return Ok(()),
            }
        }
    }

    pub async fn on_note(
        &mut self,
        note: Note,
        engine: &Engine,
        tracker: &mut Tracker,
    ) -> anyhow::Result<()> {
        match note {
            Note::Event(e) => self.on_event(e, engine, tracker).await,
            Note::Lost(cause) => {
                self.printer.warn(&format!(
                    "engine events: {cause}; resuming from the last event's time"
                ));
                Ok(())
            }
            Note::Resumed => {
                self.printer.warn("engine events: resumed");
                Ok(())
            }
        }
    }

    async fn on_event(
        &mut self,
        e: EngineEvent,
        engine: &Engine,
        tracker: &mut Tracker,
    ) -> anyhow::Result<()> {
        let wanted = !e.oneoff
            && self
                .selected
                .is_none_or(|s| e.service.as_ref().is_some_and(|name| s.contains(name)));
        if !wanted || !self.resume.admit(&e) {
            return Ok(());
        }
        let doc = EventDoc::new(&self.project.name, &e);
        self.write_log(&serde_json::to_string(&doc)?);
        if self.json_lines {
            self.printer
                .data(&format!("{}\n", serde_json::to_string(&doc)?))?;
        }
        let restart_loop = restart_loop_for(&self.project.model, e.service.as_deref());
        let findings = self.watch.take(&e, restart_loop);
        let mut alerts = Vec::new();
        for f in findings {
            if let Some(a) = self.alert_for(&e, f, engine, tracker, restart_loop).await {
                alerts.push(a);
            }
        }
        self.emit(&alerts)?;
        self.publish();
        if !self.json_lines && !alerts.is_empty() {
            self.redraw(tracker)?;
        }
        Ok(())
    }

    /// The alert (or recovery) a finding makes, if any.
    async fn alert_for(
        &mut self,
        e: &EngineEvent,
        f: Finding,
        engine: &Engine,
        tracker: &mut Tracker,
        restart_loop: Option<(u64, Duration)>,
    ) -> Option<AlertDoc> {
        let who = who(e.service.as_deref(), &e.name);
        let mut detail = Detail {
            event: Some(e.action.clone()),
            event_time: Some(EventDoc::new("", e).time),
            ..Detail::default()
        };
        let (kind, metric, value, threshold, message) = match f {
            Finding::Oom => {
                let reading = tracker.previous.get(&e.id).map(|(raw, _, _)| raw.clone());
                detail.memory_bytes = reading.as_ref().map(|r| r.memory_bytes);
                detail.memory_limit_bytes = match &reading {
                    Some(r) => Some(r.memory_limit),
                    None => engine.memory_limit(&e.id).await.ok().flatten(),
                };
                let limit = detail
                    .memory_limit_bytes
                    .map_or("unknown".into(), format_bytes);
                let last = detail.memory_bytes.map_or("none yet".into(), format_bytes);
                (
                    AlertKind::Alert,
                    Metric::Oom,
                    detail.memory_bytes.map(|b| b as f64),
                    detail.memory_limit_bytes.map(|b| b as f64),
                    format!(
                        "{who} was killed for memory (OOM): limit {limit}, last reading {last}"
                    ),
                )
            }
            Finding::Exit { code } => {
                detail.exit_code = Some(code);
                detail.logs = engine
                    .logs_tail(&e.id, EXIT_LOG_LINES)
                    .await
                    .unwrap_or_default();
                let last = detail
                    .logs
                    .iter()
                    .rev()
                    .map(|l| l.trim())
                    .find(|l| !l.is_empty())
                    .map(|l| format!("; last log line: {l}"))
                    .unwrap_or_default();
                (
                    AlertKind::Alert,
                    Metric::Exit,
                    Some(code as f64),
                    None,
                    format!("{who} exited with code {code} unasked{last}"),
                )
            }
            Finding::RestartLoop { restarts, window } => {
                detail.window_seconds = Some(window.as_secs_f64());
                (
                    AlertKind::Alert,
                    Metric::RestartLoop,
                    Some(restarts as f64),
                    restart_loop.map(|(n, _)| n as f64),
                    format!(
                        "{who} is in a restart loop: {restarts} restarts by the engine within {}",
                        humantime::format_duration(window)
                    ),
                )
            }
            Finding::RestartLoopOver { .. } => return None,
            Finding::Unhealthy => {
                if !tracker.episodes.open(&e.name, Metric::Unhealthy) {
                    return None;
                }
                detail.output = engine.inspect(&e.id).await.ok().flatten().and_then(|c| {
                    c.health_log
                        .iter()
                        .rev()
                        .find(|(code, _)| *code != 0)
                        .map(|(code, out)| {
                            let out = out.trim();
                            let out: String = out.chars().take(1000).collect();
                            if out.is_empty() {
                                format!("exit {code}")
                            } else {
                                out
                            }
                        })
                });
                let output = detail
                    .output
                    .as_deref()
                    .map(|o| format!(": {}", o.lines().last().unwrap_or(o)))
                    .unwrap_or_default();
                (
                    AlertKind::Alert,
                    Metric::Unhealthy,
                    Some(1.0),
                    Some(0.0),
                    format!("{who} is unhealthy{output}"),
                )
            }
            Finding::Healthy => {
                if !tracker.episodes.close(&e.name, Metric::Unhealthy) {
                    return None;
                }
                (
                    AlertKind::Recovery,
                    Metric::Unhealthy,
                    None,
                    None,
                    format!("{who} is healthy again"),
                )
            }
        };
        Some(self.doc(
            e.service.clone(),
            &e.name,
            kind,
            metric,
            value,
            threshold,
            message,
            detail,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn doc(
        &self,
        service: Option<String>,
        container: &str,
        kind: AlertKind,
        metric: Metric,
        value: Option<f64>,
        threshold: Option<f64>,
        message: String,
        detail: Detail,
    ) -> AlertDoc {
        AlertDoc {
            schema_version: crate::output::SCHEMA_VERSION,
            kind,
            time: humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
            project: self.project.name.clone(),
            service,
            container: container.to_string(),
            metric,
            value,
            threshold,
            consecutive: 1,
            message,
            detail,
        }
    }

    fn write_log(&mut self, line: &str) {
        if let Some(log) = self.log.as_mut()
            && let Err(e) = log.append(line)
        {
            self.printer.warn(&format!("--log: cannot write: {e}"));
        }
    }

    /// Send alerts everywhere: log, webhook, JSON lines or the view's alert lines.
    pub fn emit(&mut self, alerts: &[AlertDoc]) -> anyhow::Result<()> {
        self.any_alert |= alerts.iter().any(|a| a.kind == AlertKind::Alert);
        for a in alerts {
            self.write_log(&serde_json::to_string(a)?);
        }
        if let (Some(client), Some(url)) = (&self.webhook_client, &self.opts.webhook) {
            for alert in alerts.iter().filter(|a| a.kind == AlertKind::Alert) {
                let payload = webhook_payload(alert);
                let client = client.clone();
                let url = url.clone();
                let timeout = self.opts.webhook_timeout;
                self.webhooks.push(tokio::spawn(async move {
                    telemetry::deliver(&client, &url, payload, timeout).await
                }));
            }
        }
        if self.json_lines {
            for a in alerts {
                self.printer
                    .data(&format!("{}\n", serde_json::to_string(a)?))?;
            }
        } else {
            self.view
                .alerts
                .extend(alerts.iter().map(|a| (a.kind, a.message.clone())));
            let keep = self.view.alerts.len().saturating_sub(5);
            self.view.alerts.drain(..keep);
        }
        Ok(())
    }

    fn redraw(&mut self, tracker: &Tracker) -> std::io::Result<()> {
        let samples = std::mem::take(&mut self.samples);
        let r = self.view.draw(
            self.printer,
            &samples,
            self.opts,
            self.index,
            tracker,
            self.live,
        );
        self.samples = samples;
        r
    }

    /// Render the `--serve` page from the latest sample and the events' counters.
    pub fn publish(&self) {
        if let Some(page) = &self.page {
            page.publish(telemetry::scrape_page(
                &self.project.name,
                &self.samples,
                &self.watch.counters,
                SystemTime::now(),
                self.engine_up,
            ));
        }
    }

    /// One sample: its document, its threshold alerts and recoveries, restart loops that
    /// ended, and every output.
    pub async fn sample(
        &mut self,
        index: u64,
        now: SystemTime,
        samples: Vec<ContainerSample>,
        events: Vec<(ContainerSample, Event)>,
        tracker: &Tracker,
    ) -> anyhow::Result<()> {
        let (project, opts) = (self.project, self.opts);
        let time = humantime::format_rfc3339_millis(now).to_string();
        let mut alerts: Vec<AlertDoc> = events
            .iter()
            .map(|(c, e)| alert_doc(&project.name, &time, c, e, opts.consecutive))
            .collect();
        let model = &project.model;
        for (name, service, f) in self
            .watch
            .settle(nanos(now), |s| restart_loop_for(model, s))
        {
            if let Finding::RestartLoopOver { window } = f {
                let message = format!(
                    "{} is out of its restart loop: no exit for {}",
                    who(service.as_deref(), &name),
                    humantime::format_duration(window)
                );
                let detail = Detail {
                    window_seconds: Some(window.as_secs_f64()),
                    ..Detail::default()
                };
                alerts.push(self.doc(
                    service,
                    &name,
                    AlertKind::Recovery,
                    Metric::RestartLoop,
                    None,
                    None,
                    message,
                    detail,
                ));
            }
        }
        let doc = SampleDoc {
            schema_version: crate::output::SCHEMA_VERSION,
            kind: "sample",
            time: time.clone(),
            project: &project.name,
            sample: index,
            containers: &samples,
        };
        self.write_log(&serde_json::to_string(&doc)?);
        if let Some(path) = &opts.prometheus
            && let Err(e) = telemetry::write_atomic(path, &prometheus(&project.name, &samples, now))
        {
            self.printer
                .warn(&format!("--prometheus {}: {e}", path.display()));
        }
        if self.json_lines {
            self.printer
                .data(&format!("{}\n", serde_json::to_string(&doc)?))?;
        }
        self.emit(&alerts)?;
        report_webhooks(&mut self.webhooks, self.printer, false).await;
        self.index = index;
        self.samples = samples;
        self.engine_up = true;
        self.publish();
        if !self.json_lines {
            self.redraw(tracker)?;
        }
        Ok(())
    }

    /// At the end of a `--once` or `--count` run: the events of its window not handled yet,
    /// read up to now (the engine closes that stream by itself).
    pub async fn flush(
        &mut self,
        engine: &Engine,
        notes: &mut mpsc::UnboundedReceiver<Note>,
        tracker: &mut Tracker,
    ) -> anyhow::Result<()> {
        use futures_util::StreamExt;
        while let Ok(note) = notes.try_recv() {
            self.on_note(note, engine, tracker).await?;
        }
        let until = Resume::at(nanos(SystemTime::now())).since();
        let stream = engine.project_events(&self.project.name, &self.resume, Some(until));
        futures_util::pin_mut!(stream);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        while let Ok(Some(Ok(event))) = tokio::time::timeout_at(deadline, stream.next()).await {
            self.on_event(event, engine, tracker).await?;
        }
        Ok(())
    }
}
