//! Running a helper program (git, gcloud) with a time limit. The child is killed when the
//! limit passes. Its stdin is closed so it can never wait for an answer.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    /// None when the program was ended by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// The first non-empty line of stderr, for messages.
    pub fn first_error_line(&self) -> &str {
        self.stderr
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("no message")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    #[error("cannot run {program}: {cause}")]
    Spawn { program: String, cause: String },
    #[error("{program} did not finish within {}", humantime::format_duration(*.after))]
    TimedOut { program: String, after: Duration },
}

/// Run `program args` in `dir` (or the current directory) for at most `timeout`.
pub async fn run(
    program: &Path,
    args: &[&str],
    dir: Option<&Path>,
    timeout: Duration,
) -> Result<Ran, RunError> {
    let name = program
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| program.display().to_string());
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    let child = cmd.spawn().map_err(|e| RunError::Spawn {
        program: name.clone(),
        cause: e.to_string(),
    })?;
    match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(Ok(out)) => Ok(Ran {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }),
        Ok(Err(e)) => Err(RunError::Spawn {
            program: name,
            cause: e.to_string(),
        }),
        // Dropping the future drops the child, which kills it (kill_on_drop).
        Err(_) => Err(RunError::TimedOut {
            program: name,
            after: timeout,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn output_and_exit_code_are_captured() {
        let ran = run(
            Path::new("/bin/sh"),
            &["-c", "echo out; echo >&2; echo err >&2; exit 3"],
            None,
            Duration::from_secs(10),
        )
        .await
        .unwrap();
        assert_eq!(ran.code, Some(3));
        assert_eq!(ran.stdout, "out\n");
        assert_eq!(ran.first_error_line(), "err");
    }

    #[tokio::test]
    async fn a_slow_program_is_stopped_at_the_limit() {
        let start = std::time::Instant::now();
        let err = run(
            Path::new("/bin/sh"),
            &["-c", "sleep 30"],
            None,
            Duration::from_millis(200),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, RunError::TimedOut { .. }), "{err}");
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[tokio::test]
    async fn a_missing_program_is_a_spawn_error() {
        let err = run(
            Path::new("/nonexistent/tool"),
            &[],
            None,
            Duration::from_secs(1),
        )
        .await
        .unwrap_err();
        assert!(err.to_string().starts_with("cannot run tool:"), "{err}");
    }
}
