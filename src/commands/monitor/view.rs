//! The live table on a terminal: one row per container, the last alerts, the sample line.

use super::*;

pub(super) fn sort(samples: &mut [ContainerSample], key: SortKey) {
    let name = |s: &ContainerSample| (s.service.clone().unwrap_or_default(), s.container.clone());
    match key {
        SortKey::Name => samples.sort_by_key(name),
        SortKey::Cpu | SortKey::Memory => samples.sort_by(|a, b| {
            let v = |s: &ContainerSample| {
                s.metrics.as_ref().and_then(|m| match key {
                    SortKey::Cpu => m.cpu_percent,
                    _ => m.memory_percent,
                })
            };
            v(b).unwrap_or(-1.0)
                .total_cmp(&v(a).unwrap_or(-1.0))
                .then_with(|| name(a).cmp(&name(b)))
        }),
    }
}

/// The terminal view: a table redrawn in place, with the latest alerts below it.
#[derive(Default)]
pub(super) struct LiveView {
    pub(super) lines: usize,
    pub(super) alerts: Vec<(AlertKind, String)>,
    pub(super) notice: Option<String>,
}

impl LiveView {
    pub(super) fn draw(
        &mut self,
        printer: &Printer,
        samples: &[ContainerSample],
        opts: &Settings,
        index: u64,
        tracker: &Tracker,
        live: bool,
    ) -> std::io::Result<()> {
        let color = printer.stdout_color();
        let palette = printer.palette();
        let mut t = table::new(
            &[
                "SERVICE",
                "CONTAINER",
                "STATE",
                "CPU %",
                "HOST %",
                "MEM USAGE / LIMIT",
                "MEM %",
                "NET RX / TX",
                "BLOCK R / W",
                "PIDS",
                "RESTARTS",
                "HEALTH",
                "TREND",
            ],
            color,
        );
        for s in samples {
            let hot = |m: Metric| s.breaches.contains(&m);
            let paint = |text: String, m: Metric| {
                if hot(m) {
                    palette.paint(Tone::Bad, text)
                } else {
                    text
                }
            };
            let m = s.metrics.as_ref();
            let pct = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1}"));
            let state = match s.state.as_str() {
                "running" => palette.paint(Tone::Good, "running"),
                other => palette.paint(Tone::Warn, other),
            };
            t.add_row(vec![
                s.service.clone().unwrap_or_else(|| "-".into()),
                s.container.clone(),
                state,
                paint(pct(m.and_then(|m| m.cpu_percent)), Metric::Cpu),
                pct(m.and_then(|m| m.cpu_host_percent)),
                m.map_or("-".into(), |m| {
                    format!(
                        "{} / {}",
                        format_bytes(m.memory_bytes),
                        format_bytes(m.memory_limit_bytes)
                    )
                }),
                paint(pct(m.and_then(|m| m.memory_percent)), Metric::Memory),
                m.map_or("-".into(), |m| {
                    format!(
                        "{} / {}",
                        format_bytes(m.net_rx_bytes),
                        format_bytes(m.net_tx_bytes)
                    )
                }),
                m.map_or("-".into(), |m| {
                    format!(
                        "{} / {}",
                        format_bytes(m.block_read_bytes),
                        format_bytes(m.block_write_bytes)
                    )
                }),
                m.map_or("-".into(), |m| m.pids.to_string()),
                paint(s.restarts.to_string(), Metric::Restarts),
                paint(s.health.unwrap_or("-").to_string(), Metric::Unhealthy),
                tracker
                    .trend
                    .get(&s.container)
                    .map(|v| metrics::sparkline(&v.iter().copied().collect::<Vec<_>>()))
                    .unwrap_or_default(),
            ]);
        }
        let mut out = table::render(&mut t);
        for (kind, message) in &self.alerts {
            let (tone, label) = if *kind == AlertKind::Alert {
                (Tone::Bad, "ALERT")
            } else {
                (Tone::Good, "OK   ")
            };
            out.push_str(&format!("{} {message}\n", palette.paint(tone, label)));
        }
        if let Some(n) = &self.notice {
            out.push_str(&format!("{}\n", palette.paint(Tone::Warn, n)));
        }
        let previous = if live { self.lines } else { 0 };
        if live {
            out.push_str(&palette.paint(
                Tone::Dim,
                format!(
                    "sample {index}, every {}; Ctrl-C to stop\n",
                    humantime::format_duration(opts.interval)
                ),
            ));
        }
        self.lines = out.lines().count();
        printer.redraw(previous, &out)
    }
}
