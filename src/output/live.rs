//! Live lines, one per item (start-all's services): a spinner on a terminal, plain
//! timestamped lines otherwise, nothing with -q. Streamed command output goes through here
//! too, and byte bars for image pulls. Every text is redacted on the way out.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Printer;
use super::style::Tone;

pub struct Lines<'a> {
    printer: &'a Printer,
    live: Option<Live>,
    since: Instant,
}

struct Live {
    multi: MultiProgress,
    bars: Mutex<BTreeMap<String, ProgressBar>>,
    width: usize,
}

impl<'a> Lines<'a> {
    /// `services` in the order their lines should appear.
    pub fn new(printer: &'a Printer, services: &[String]) -> Lines<'a> {
        let live = printer.live_progress().then(|| {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let width = services.iter().map(String::len).max().unwrap_or(0);
            Live {
                multi,
                bars: Mutex::new(BTreeMap::new()),
                width,
            }
        });
        let ui = Lines {
            printer,
            live,
            since: Instant::now(),
        };
        if let Some(live) = &ui.live {
            let mut bars = live.bars.lock().unwrap_or_else(|e| e.into_inner());
            for service in services {
                let bar = live.multi.add(ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template("{spinner:.cyan} {prefix} {msg} {elapsed:.dim}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.set_prefix(format!("{service:<w$}", w = live.width));
                bar.set_message("waiting for its dependencies");
                bar.enable_steady_tick(Duration::from_millis(100));
                bars.insert(service.clone(), bar);
            }
        }
        ui
    }

    fn bar(live: &Live, service: &str) -> Option<ProgressBar> {
        let bars = live.bars.lock().unwrap_or_else(|e| e.into_inner());
        bars.get(service).cloned()
    }

    /// The service is now doing `verb` (`Creating`, `Waiting`), with an optional `detail`:
    /// `creating` on its live line, `Creating web` as a plain line.
    pub fn step(&self, service: &str, verb: &str, detail: &str) {
        let join = |a: &str| format!("{a} {detail}").trim_end().to_string();
        match &self.live {
            Some(live) => {
                if let Some(bar) = Self::bar(live, service) {
                    let text = join(&verb.to_lowercase());
                    bar.set_message(self.printer.redactor().redact(&text).into_owned());
                }
            }
            None => self.printer.progress(verb, &join(service)),
        }
    }

    /// The service is done: `ok` or not, with a closing word.
    pub fn done(&self, service: &str, ok: bool, what: &str) {
        match &self.live {
            Some(live) => {
                if let Some(bar) = Self::bar(live, service) {
                    let (mark, style) = if ok {
                        ("✔", Tone::Good.style())
                    } else {
                        ("✘", Tone::Bad.style())
                    };
                    let text = self.printer.redactor().redact(what).into_owned();
                    bar.set_style(
                        ProgressStyle::with_template("{prefix} {wide_msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    bar.set_prefix(format!(
                        "{} {service:<w$}",
                        style.apply_to(mark).for_stderr(),
                        w = live.width
                    ));
                    bar.finish_with_message(format!("{text} {}", seconds(self.since.elapsed())));
                }
            }
            None => {
                let verb = if ok { "Ready" } else { "Failed" };
                self.printer.progress(
                    verb,
                    &format!("{service} {what} ({})", seconds(self.since.elapsed())),
                );
            }
        }
    }

    /// A line of output from something the service runs (a build, a post_start command).
    pub fn output(&self, service: &str, line: &str) {
        let text = format!("{service} | {line}");
        match &self.live {
            Some(live) => {
                let text = self.printer.redactor().redact(&text).into_owned();
                let _ = live.multi.println(text);
            }
            None => self.printer.progress("Output", &text),
        }
    }

    /// A line not tied to one service's line (images, networks, orphans).
    pub fn note(&self, verb: &str, text: &str) {
        match &self.live {
            Some(live) => {
                let verb = Tone::Verb.style().apply_to(format!("{verb:>12}"));
                let text = self.printer.redactor().redact(text).into_owned();
                let _ = live.multi.println(format!("{} {text}", verb.for_stderr()));
            }
            None => self.printer.progress(verb, text),
        }
    }

    /// A bar for bytes (image pulls): drawn only on a terminal, cleared when dropped.
    pub fn bytes_bar(&self, label: &str) -> ByteBar {
        let Some(live) = self.live.as_ref() else {
            return ByteBar { bar: None };
        };
        let bar = live.multi.insert(0, ProgressBar::new(0));
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix:>12.green.bold} {msg} {bytes}/{total_bytes} {wide_bar}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_prefix("Pulling");
        bar.set_message(self.printer.redactor().redact(label).into_owned());
        ByteBar { bar: Some(bar) }
    }

    /// Leave the terminal clean: finished lines stay, spinners stop.
    pub fn close(&self) {
        if let Some(live) = &self.live {
            for bar in live.bars.lock().unwrap_or_else(|e| e.into_inner()).values() {
                if !bar.is_finished() {
                    bar.abandon();
                }
            }
        }
    }
}

/// Bytes so far of a known or growing total; nothing off a terminal.
pub struct ByteBar {
    bar: Option<ProgressBar>,
}

impl ByteBar {
    pub fn update(&self, current: u64, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(total);
            bar.set_position(current);
        }
    }
}

impl Drop for ByteBar {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// A duration as start-all shows it: `1.5s`.
pub fn seconds(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}
