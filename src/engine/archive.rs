//! Streams in and out of containers, for backups: the archive API (a tar of a path) and exec
//! with stdin, stdout and stderr as streams. Data moves in chunks through bounded channels,
//! so a slow reader slows the source down and memory does not grow with the data.
//!
//! A transfer has no overall time limit, because a large database takes as long as it takes.
//! It fails instead when no byte moves in either direction for `stall`.

use std::cell::Cell;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bollard::container::LogOutput;
use bollard::exec::{StartExecOptions, StartExecResults};
use bollard::models::ExecConfig;
use bollard::query_parameters::{DownloadFromContainerOptions, UploadToContainerOptions};
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use super::containers::short_id;
use super::{Engine, EngineError};

/// The most of a command's stderr that is kept (the end of it).
pub const MAX_STDERR: usize = 16 * 1024;

/// How a streamed command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamOutcome {
    pub exit_code: i64,
    /// The command's stderr (its last [`MAX_STDERR`] bytes), never mixed into stdout.
    pub stderr: String,
    /// The first line of stderr (at most 1 KiB), kept even when the tail is cut.
    pub stderr_first_line: String,
    /// Bytes the command wrote to stdout.
    pub stdout_bytes: u64,
}

/// One command to run inside a container with its streams attached.
#[derive(Debug, Clone)]
pub struct StreamExec<'a> {
    pub container: &'a str,
    pub command: &'a [String],
    /// Extra `NAME=value` variables for the command.
    pub env: &'a [String],
    /// Fail when neither input nor output moved for this long.
    pub stall: Duration,
}

fn stalled(engine: &Engine, what: &str, stall: Duration) -> EngineError {
    EngineError::TimedOut {
        address: engine.address.clone(),
        what: format!("{what} (no data moved)"),
        after: stall,
    }
}

fn receiver_gone(what: &str) -> EngineError {
    EngineError::Api {
        what: what.to_string(),
        message: "the file being written stopped taking data".into(),
    }
}

/// Keep the last `max` bytes of `buffer` after appending `bytes`.
fn keep_tail(buffer: &mut Vec<u8>, bytes: &[u8], max: usize) {
    buffer.extend_from_slice(bytes);
    if buffer.len() > max {
        let cut = buffer.len() - max;
        buffer.drain(..cut);
    }
}

impl Engine {
    /// Run a command inside a running container. Its stdout goes to `stdout` chunk by chunk
    /// (when given; otherwise it is discarded), its stderr is kept apart, and `stdin` (when
    /// given) is fed to it and then closed. The exit code comes from the engine's inspect.
    pub async fn exec_piped(
        &self,
        exec: StreamExec<'_>,
        stdin: Option<mpsc::Receiver<Bytes>>,
        stdout: Option<mpsc::Sender<Bytes>>,
    ) -> Result<StreamOutcome, EngineError> {
        let what = format!("command in container {}", short_id(exec.container));
        let config = ExecConfig {
            attach_stdin: Some(stdin.is_some()),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            cmd: Some(exec.command.to_vec()),
            env: Some(exec.env.to_vec()),
            ..Default::default()
        };
        let created = self
            .call(&what, self.docker.create_exec(exec.container, config))
            .await?;
        let options = StartExecOptions {
            detach: false,
            tty: false,
            output_capacity: None,
        };
        let started = self
            .call(&what, self.docker.start_exec(&created.id, Some(options)))
            .await?;
        let StartExecResults::Attached {
            mut output,
            mut input,
        } = started
        else {
            return Err(EngineError::Api {
                what,
                message: "the engine did not attach to the command".into(),
            });
        };

        let progress = Cell::new(Instant::now());
        let mut stderr = Vec::new();
        let mut first_line: Option<Vec<u8>> = None;
        let mut stdout_bytes = 0u64;
        let feed = async {
            if let Some(mut rx) = stdin {
                while let Some(chunk) = rx.recv().await {
                    // The command may exit early (e.g. on an error); its exit code tells.
                    if input.write_all(&chunk).await.is_err() {
                        return;
                    }
                    progress.set(Instant::now());
                }
            }
            let _ = input.shutdown().await;
        };
        let drain = async {
            while let Some(item) = output.next().await {
                progress.set(Instant::now());
                match item {
                    Ok(LogOutput::StdOut { message }) => {
                        stdout_bytes += message.len() as u64;
                        if let Some(tx) = &stdout {
                            if tx.send(message).await.is_err() {
                                return Err(receiver_gone(&what));
                            }
                            progress.set(Instant::now());
                        }
                    }
                    Ok(LogOutput::StdErr { message }) => {
                        if first_line.is_none() {
                            let mut head = stderr.clone();
                            head.extend_from_slice(&message);
                            if let Some(end) = head.iter().position(|b| *b == b'\n') {
                                head.truncate(end.min(1024));
                                first_line = Some(head);
                            } else if head.len() > 1024 {
                                head.truncate(1024);
                                first_line = Some(head);
                            }
                        }
                        keep_tail(&mut stderr, &message, MAX_STDERR);
                    }
                    Ok(_) => {}
                    Err(e) => return Err(super::classify(&self.address, &e, false)),
                }
            }
            Ok(())
        };
        let watchdog = async {
            loop {
                tokio::time::sleep(Duration::from_millis(250).min(exec.stall)).await;
                if progress.get().elapsed() >= exec.stall {
                    return;
                }
            }
        };
        tokio::select! {
            (_, drained) = async { tokio::join!(feed, drain) } => drained?,
            _ = watchdog => return Err(stalled(self, &what, exec.stall)),
        }
        drop(stdout);
        // The stream can end a moment before the engine records the exit code: ask again,
        // briefly, while it still says the command runs.
        let mut exit_code = None;
        for _ in 0..40 {
            let inspect = self
                .call(&what, self.docker.inspect_exec(&created.id))
                .await?;
            if inspect.running != Some(true) {
                exit_code = inspect.exit_code;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(StreamOutcome {
            exit_code: exit_code.unwrap_or(-1),
            stderr_first_line: String::from_utf8_lossy(
                first_line
                    .as_deref()
                    .unwrap_or(stderr.get(..1024).unwrap_or(&stderr)),
            )
            .trim_end()
            .to_string(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
            stdout_bytes,
        })
    }

    /// Stream a tar of `path` in the container (running or not) into `sink`; returns the
    /// number of bytes.
    pub async fn download_path(
        &self,
        container: &str,
        path: &str,
        sink: mpsc::Sender<Bytes>,
        stall: Duration,
    ) -> Result<u64, EngineError> {
        let what = format!("copy of {path} from container {}", short_id(container));
        let options = DownloadFromContainerOptions {
            path: path.to_string(),
        };
        let mut stream = self
            .docker
            .download_from_container(container, Some(options));
        let mut total = 0u64;
        loop {
            let next = match tokio::time::timeout(stall, stream.next()).await {
                Ok(next) => next,
                Err(_) => return Err(stalled(self, &what, stall)),
            };
            let Some(chunk) = next else { break };
            let chunk =
                chunk.map_err(|e| with_what(super::classify(&self.address, &e, false), &what))?;
            total += chunk.len() as u64;
            if sink.send(chunk).await.is_err() {
                return Err(receiver_gone(&what));
            }
        }
        Ok(total)
    }

    /// Unpack the tar stream `source` into directory `dir` of the container (running or not),
    /// keeping the owners recorded in the tar.
    pub async fn upload_into(
        &self,
        container: &str,
        dir: &str,
        source: mpsc::Receiver<Bytes>,
        stall: Duration,
    ) -> Result<(), EngineError> {
        let what = format!("copy into {dir} of container {}", short_id(container));
        let progress = Arc::new(Mutex::new(Instant::now()));
        let seen = progress.clone();
        let body = futures_util::stream::unfold(source, |mut rx| async move {
            rx.recv().await.map(|chunk| (chunk, rx))
        })
        .inspect(move |_| {
            if let Ok(mut at) = seen.lock() {
                *at = Instant::now();
            }
        });
        let options = UploadToContainerOptions {
            path: dir.to_string(),
            copy_uidgid: Some("1".into()),
            ..Default::default()
        };
        let upload =
            self.docker
                .upload_to_container(container, Some(options), bollard::body_stream(body));
        let watchdog = async {
            loop {
                tokio::time::sleep(Duration::from_millis(250).min(stall)).await;
                let idle = progress.lock().map(|at| at.elapsed()).unwrap_or_default();
                if idle >= stall {
                    return;
                }
            }
        };
        tokio::select! {
            done = upload => done.map_err(|e| with_what(super::classify(&self.address, &e, false), &what)),
            _ = watchdog => Err(stalled(self, &what, stall)),
        }
    }
}

/// A mount of a container, as plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountInfo {
    /// The volume's name for a volume mount; None for bind and tmpfs mounts.
    pub volume: Option<String>,
    pub destination: String,
}

impl Engine {
    /// The mounts of a container (volumes, binds, tmpfs), as the engine reports them.
    pub async fn container_mounts(&self, container: &str) -> Result<Vec<MountInfo>, EngineError> {
        let inspect = self.inspect_raw(container).await?;
        Ok(inspect
            .mounts
            .into_iter()
            .filter_map(|m| {
                Some(MountInfo {
                    volume: m.name.filter(|n| !n.is_empty()),
                    destination: m.destination?,
                })
            })
            .collect())
    }
}

fn with_what(err: EngineError, what: &str) -> EngineError {
    match err {
        EngineError::Api { message, .. } => EngineError::Api {
            what: what.to_string(),
            message,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_end_of_stderr_is_kept() {
        let mut buffer = Vec::new();
        keep_tail(&mut buffer, b"hello ", 8);
        keep_tail(&mut buffer, b"world", 8);
        assert_eq!(buffer, b"lo world");
    }
}
