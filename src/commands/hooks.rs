//! Compose's lifecycle hooks as start-all and stop-all run them: each hook's result for the
//! report, its output streamed line by line, and the last lines kept for a failure.

use std::time::Instant;

use serde::Serialize;
use tokio::time::Instant as Deadline;

use crate::engine::{Engine, EngineError};
use crate::spec::{ContainerSpec, HookSpec};

/// Lines of a failed hook's output kept for the report (Compose keeps 10).
pub const TAIL_LINES: usize = 10;

/// What became of one hook (or, with --dry-run, what would run).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HookReport {
    /// `pre_start`, `post_start`, `pre_stop`, or phi's own `x-phi.post_start`.
    pub hook: String,
    /// Its position in the service's list.
    pub index: usize,
    /// The command, its words joined by spaces.
    pub command: String,
    /// Where it ran: the service container's name, or the short ID of a pre_start hook's
    /// own container.
    pub container: String,
    /// pre_start: the image of its container.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    pub result: HookResult,
    pub exit_code: Option<i64>,
    pub seconds: f64,
    /// The last lines of its output, when it failed.
    pub output: Vec<String>,
    /// Why it failed, in a sentence that names the hook and its command.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HookResult {
    /// --dry-run: it would run.
    Planned,
    Ok,
    Failed,
    #[serde(rename = "timed out")]
    TimedOut,
}

impl HookReport {
    /// A hook that would run (--dry-run).
    pub fn planned(kind: &str, index: usize, hook: &HookSpec, container: &str) -> HookReport {
        HookReport {
            hook: kind.to_string(),
            index,
            command: hook.shown(),
            container: container.to_string(),
            image: hook.image.clone(),
            result: HookResult::Planned,
            exit_code: None,
            seconds: 0.0,
            output: Vec::new(),
            error: None,
        }
    }

    /// `post_start[0] `echo hi``: the hook as messages name it.
    pub fn name(&self) -> String {
        format!("{}[{}] `{}`", self.hook, self.index, self.command)
    }

    pub fn ok(&self) -> bool {
        matches!(self.result, HookResult::Ok | HookResult::Planned)
    }
}

/// Output split into lines as it arrives, each handed on; the last [`TAIL_LINES`] kept.
pub struct LineSplitter<'a> {
    pending: Vec<u8>,
    tail: Vec<String>,
    each: &'a dyn Fn(&str),
}

impl<'a> LineSplitter<'a> {
    pub fn new(each: &'a dyn Fn(&str)) -> LineSplitter<'a> {
        LineSplitter {
            pending: Vec::new(),
            tail: Vec::new(),
            each,
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
        while let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            self.line(&line[..end]);
        }
    }

    fn line(&mut self, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        // A progress bar's carriage returns: what is left visible is the last segment.
        let text = text.trim_end_matches('\r');
        let text = text.rsplit('\r').next().unwrap_or_default().to_string();
        (self.each)(&text);
        if !text.trim().is_empty() {
            self.tail.push(text);
            if self.tail.len() > TAIL_LINES {
                self.tail.remove(0);
            }
        }
    }

    /// The last lines, the unfinished one included.
    pub fn finish(mut self) -> Vec<String> {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.line(&rest);
        }
        self.tail
    }
}

/// Where a hook runs: exec'd in a container, or in a container of its own.
pub enum Target<'a> {
    /// The running container's ID and name.
    Exec { id: &'a str, name: &'a str },
    /// A pre_start container made from `spec`, with the volumes of container `volumes_from`.
    Container {
        spec: &'a ContainerSpec,
        volumes_from: &'a str,
    },
}

/// Run one hook before `deadline`, its output lines handed to `each`; the report says how
/// it went (a failure names the hook, its command and its exit code, and keeps its output).
pub async fn run(
    engine: &Engine,
    kind: &str,
    index: usize,
    hook: &HookSpec,
    target: Target<'_>,
    deadline: Deadline,
    each: &dyn Fn(&str),
) -> HookReport {
    let started = Instant::now();
    let limit = deadline.saturating_duration_since(Deadline::now());
    let mut lines = LineSplitter::new(each);
    let (container, result) = match target {
        Target::Exec { id, name } => {
            let result = engine
                .exec_hook(id, hook, limit, |bytes| lines.push(bytes))
                .await;
            (name.to_string(), result.map(|code| (code, None)))
        }
        Target::Container { spec, volumes_from } => {
            let result = engine
                .run_hook_container(spec, volumes_from, limit, |bytes| lines.push(bytes))
                .await;
            let shown = match &result {
                Ok(c) => crate::engine::containers::short_id(&c.id).to_string(),
                Err(_) => "a new container".to_string(),
            };
            (shown, result.map(|c| (c.exit_code, Some(c.id))))
        }
    };
    let tail = lines.finish();
    let mut report = HookReport {
        container,
        seconds: (started.elapsed().as_secs_f64() * 100.0).round() / 100.0,
        result: HookResult::Ok,
        ..HookReport::planned(kind, index, hook, "")
    };
    let name = report.name();
    match result {
        Ok((0, _)) => {}
        Ok((code, kept)) => {
            report.result = HookResult::Failed;
            report.exit_code = Some(code);
            report.output = tail;
            let kept = kept
                .map(|id| {
                    let id = crate::engine::containers::short_id(&id);
                    format!(" (its container {id} is kept for inspection: docker logs {id})")
                })
                .unwrap_or_default();
            report.error = Some(format!("{name} exited with code {code}{kept}"));
        }
        Err(EngineError::TimedOut { .. }) => {
            report.result = HookResult::TimedOut;
            report.output = tail;
            report.error = Some(format!("{name} did not finish before the timeout"));
        }
        Err(e) => {
            report.result = HookResult::Failed;
            report.output = tail;
            report.error = Some(format!("{name}: {e}"));
        }
    }
    if report.result == HookResult::Ok {
        report.exit_code = Some(0);
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn output_is_split_into_lines_across_chunks_and_the_tail_is_kept() {
        let seen = Mutex::new(Vec::new());
        let each = |l: &str| seen.lock().unwrap().push(l.to_string());
        let mut lines = LineSplitter::new(&each);
        lines.push(b"one\ntw");
        lines.push(b"o\r\nprogress 10%\rprogress 100%\n\n");
        for i in 0..12 {
            lines.push(format!("line {i}\n").as_bytes());
        }
        lines.push(b"no newline");
        let tail = lines.finish();
        let seen = seen.into_inner().unwrap();
        assert_eq!(seen[..4], ["one", "two", "progress 100%", ""]);
        assert_eq!(seen.last().unwrap(), "no newline");
        assert_eq!(tail.len(), TAIL_LINES);
        assert_eq!(tail[0], "line 3");
        assert_eq!(tail[TAIL_LINES - 1], "no newline");
    }

    #[test]
    fn a_hook_is_named_by_kind_index_and_command() {
        let hook = HookSpec {
            command: Some(vec!["sh".into(), "-c".into(), "exit 3".into()]),
            ..HookSpec::default()
        };
        let report = HookReport::planned("post_start", 1, &hook, "p-web-1");
        assert_eq!(report.name(), "post_start[1] `sh -c exit 3`");
        assert!(report.ok());
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["result"], "planned");
        assert_eq!(json["container"], "p-web-1");
    }
}
