//! Everything phi writes to the terminal goes through the [`Printer`]: data on stdout,
//! narration on stderr, colours decided once, secrets redacted on the way out.
//!
//! The one room allowed terminal handles and printing (see `[lints.clippy]` in Cargo.toml).
#![allow(clippy::disallowed_methods, clippy::print_stdout, clippy::print_stderr)]

pub mod live;
pub mod style;
pub mod table;

use std::io::{self, IsTerminal, Write};

use console::Style;

use self::style::Tone;

use crate::redact::Redactor;

/// The version of every JSON document phi prints; it changes when a field changes meaning or
/// goes away (new fields do not change it).
pub const SCHEMA_VERSION: u32 = 1;

/// The head every command's JSON report starts with (flattened into it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Envelope {
    pub schema_version: u32,
    pub project: String,
}

impl Envelope {
    pub fn new(project: &str) -> Envelope {
        Envelope {
            schema_version: SCHEMA_VERSION,
            project: project.to_string(),
        }
    }
}

/// How data is rendered on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A table for people; coloured when stdout is a terminal and colour is on.
    Human,
    /// One JSON document (or JSON lines for streams).
    Json,
}

/// `--color`: when to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// Colour terminals, unless NO_COLOR or TERM=dumb say otherwise (CLICOLOR_FORCE forces it).
    #[default]
    Auto,
    Always,
    Never,
}

/// Decide whether a stream gets colour. `--color` wins; with `auto`: NO_COLOR (non-empty)
/// turns colour off, CLICOLOR_FORCE (not "0") turns it on, TERM=dumb off, else only terminals.
pub fn use_color(
    choice: ColorChoice,
    is_terminal: bool,
    var: impl Fn(&str) -> Option<String>,
) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if var("NO_COLOR").is_some_and(|v| !v.is_empty()) {
                false
            } else if var("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0") {
                true
            } else if var("TERM").is_some_and(|v| v == "dumb") {
                false
            } else {
                is_terminal
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct Printer {
    pub format: Format,
    pub quiet: bool,
    pub verbose: u8,
    stdout_color: bool,
    stdout_terminal: bool,
    stderr_terminal: bool,
    stdin_terminal: bool,
    redactor: Redactor,
}

impl Printer {
    pub fn new(
        format: Format,
        quiet: bool,
        verbose: u8,
        color: ColorChoice,
        var: impl Fn(&str) -> Option<String>,
        redactor: Redactor,
    ) -> Printer {
        let stdout_color = use_color(color, io::stdout().is_terminal(), &var);
        let stderr_color = use_color(color, io::stderr().is_terminal(), &var);
        // One decision, applied to every crate that draws: console (and through it
        // dialoguer and indicatif) reads these switches.
        console::set_colors_enabled(stdout_color);
        console::set_colors_enabled_stderr(stderr_color);
        Printer {
            format,
            quiet,
            verbose,
            stdout_color,
            stdout_terminal: io::stdout().is_terminal(),
            stderr_terminal: io::stderr().is_terminal(),
            stdin_terminal: io::stdin().is_terminal(),
            redactor,
        }
    }

    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    pub fn json(&self) -> bool {
        self.format == Format::Json
    }

    /// Whether stdout is a terminal (a person reads it) rather than a pipe or a file.
    pub fn stdout_terminal(&self) -> bool {
        self.stdout_terminal
    }

    pub fn stdout_color(&self) -> bool {
        self.stdout_color
    }

    /// Prompts are allowed only when a person can answer them.
    pub fn interactive(&self) -> bool {
        self.stdin_terminal && self.stderr_terminal
    }

    /// Spinners and bars only on a terminal, never with --json or -q.
    pub fn live_progress(&self) -> bool {
        self.stderr_terminal && !self.quiet && self.format == Format::Human
    }

    /// Data for stdout, written whole (redacted).
    pub fn data(&self, text: &str) -> io::Result<()> {
        let mut out = io::stdout().lock();
        out.write_all(self.redactor.redact(text).as_bytes())?;
        out.flush()
    }

    /// Data for stdout that replaces the `previous` lines written last (a live table):
    /// those lines are cleared first, on a terminal only.
    pub fn redraw(&self, previous: usize, text: &str) -> io::Result<()> {
        if previous > 0 && self.stdout_terminal {
            console::Term::stdout().clear_last_lines(previous)?;
        }
        self.data(text)
    }

    /// The palette for stdout: coloured when stdout gets colour.
    pub fn palette(&self) -> style::Palette {
        style::Palette::new(self.stdout_color)
    }

    /// Raw bytes for stdout (generated scripts and pages), not redacted.
    pub fn data_bytes(&self, bytes: &[u8]) -> io::Result<()> {
        let mut out = io::stdout().lock();
        out.write_all(bytes)?;
        out.flush()
    }

    /// A command's final report: one JSON document with --json, else the text `human`
    /// renders (given whether stdout gets colour).
    pub fn report(
        &self,
        report: &impl serde::Serialize,
        human: impl FnOnce(bool) -> String,
    ) -> io::Result<()> {
        if self.json() {
            return self.json_document(report);
        }
        self.data(&human(self.stdout_color))
    }

    /// One JSON document on stdout, followed by a newline.
    pub fn json_document(&self, value: &impl serde::Serialize) -> io::Result<()> {
        let text = serde_json::to_string_pretty(value).map_err(io::Error::other)?;
        self.data(&format!("{text}\n"))
    }

    fn stderr_line(&self, label: &str, style: Style, text: &str) {
        let label = style.apply_to(label).for_stderr();
        let line = format!("{label} {}\n", self.redactor.redact(text));
        // A closed stderr leaves nowhere to report to; ignore it.
        let _ = io::stderr().lock().write_all(line.as_bytes());
    }

    /// One step of progress on stderr: a right-aligned coloured verb on a terminal
    /// (`    Stopping postgres`), a timestamped plain line otherwise; nothing with -q.
    pub fn progress(&self, verb: &str, text: &str) {
        if self.quiet {
            return;
        }
        let text = self.redactor.redact(text);
        let line = if self.live_progress() {
            let verb = Tone::Verb.style().apply_to(format!("{verb:>12}"));
            format!("{} {text}\n", verb.for_stderr())
        } else {
            let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now());
            format!("{now} {verb} {text}\n")
        };
        let _ = io::stderr().lock().write_all(line.as_bytes());
    }

    /// A live byte counter for one transfer (only with live progress).
    pub fn transfer(&self, label: &str) -> Transfer {
        if !self.live_progress() {
            return Transfer { bar: None };
        }
        let bar =
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner:.green} {msg} {binary_bytes} ({binary_bytes_per_sec}, {elapsed})",
        ) {
            bar.set_style(style);
        }
        bar.set_message(self.redactor.redact(label).into_owned());
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Transfer { bar: Some(bar) }
    }

    /// Ask a yes/no question on the terminal (default no). Only call when `interactive()`.
    pub fn confirm(&self, question: &str) -> io::Result<bool> {
        dialoguer::Confirm::new()
            .with_prompt(self.redactor.redact(question).into_owned())
            .default(false)
            .interact()
            .map_err(|e| match e {
                dialoguer::Error::IO(io) => io,
            })
    }

    /// A plain outcome line on stderr, with no label or colour (a declined prompt); shown
    /// even with -q, since it answers what the user just typed.
    pub fn plain(&self, text: &str) {
        let line = format!("{}\n", self.redactor.redact(text));
        // A closed stderr leaves nowhere to report to; ignore it.
        let _ = io::stderr().lock().write_all(line.as_bytes());
    }

    /// Something the user should know; shown even with -q.
    pub fn warn(&self, text: &str) {
        self.stderr_line("warning:", Tone::WarnLabel.style(), text);
    }

    /// An explanation shown with -v.
    pub fn note(&self, text: &str) {
        if self.verbose >= 1 {
            self.stderr_line("note:", Tone::Info.style(), text);
        }
    }

    /// Engine-level detail shown with -vv.
    pub fn debug(&self, text: &str) {
        if self.verbose >= 2 {
            self.stderr_line("debug:", Tone::Dim.style(), text);
        }
    }

    /// An error with its chain of causes: `error: ...` then one `caused by:` line each.
    pub fn error(&self, err: &anyhow::Error) {
        let mut chain = err.chain();
        if let Some(top) = chain.next() {
            self.stderr_line("error:", Tone::Bad.style(), &top.to_string());
        }
        for cause in chain {
            self.stderr_line("  caused by:", Tone::BadDetail.style(), &cause.to_string());
        }
    }

    /// A hint after an error.
    pub fn hint(&self, text: &str) {
        self.stderr_line("  hint:", Tone::Good.style(), text);
    }
}

/// Bytes moving for one item: on a terminal, a line with the bytes so far and the throughput
/// (indicatif); otherwise nothing, and the caller prints one plain line when it is done.
pub struct Transfer {
    bar: Option<indicatif::ProgressBar>,
}

impl Transfer {
    /// A counter to hand to the thread that moves the bytes.
    pub fn counter(&self) -> impl Fn(u64) + Send + Sync + 'static {
        let bar = self.bar.clone();
        move |n| {
            if let Some(bar) = &bar {
                bar.inc(n);
            }
        }
    }
}

impl Drop for Transfer {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Whether an error is stdout (or stderr) being closed under us: then phi exits quietly.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn colour_decision() {
        use ColorChoice::*;
        assert!(use_color(Always, false, vars(&[("NO_COLOR", "1")])));
        assert!(!use_color(Never, true, vars(&[("CLICOLOR_FORCE", "1")])));
        assert!(use_color(Auto, true, vars(&[])));
        assert!(!use_color(Auto, false, vars(&[])));
        assert!(!use_color(Auto, true, vars(&[("NO_COLOR", "1")])));
        assert!(use_color(Auto, true, vars(&[("NO_COLOR", "")])));
        assert!(use_color(Auto, false, vars(&[("CLICOLOR_FORCE", "1")])));
        assert!(!use_color(Auto, false, vars(&[("CLICOLOR_FORCE", "0")])));
        assert!(!use_color(Auto, true, vars(&[("TERM", "dumb")])));
        assert!(!use_color(
            Auto,
            true,
            vars(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")])
        ));
    }

    #[test]
    fn broken_pipe_is_recognised_through_context() {
        let err = anyhow::Error::new(io::Error::from(io::ErrorKind::BrokenPipe))
            .context("writing the table");
        assert!(is_broken_pipe(&err));
        assert!(!is_broken_pipe(&anyhow::anyhow!("other")));
    }
}
