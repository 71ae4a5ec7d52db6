//! `ssh://[user@]host[:port]` engines, reached as the docker CLI reaches them: each
//! connection is `ssh [-l user] [-p port] -- host docker system dial-stdio`, the engine's API
//! spoken over the ssh process's stdin and stdout.
//!
//! bollard 0.21 has an ssh transport, but it hands `user@host:port` to its ssh library without
//! the `ssh://` that library needs to split off the port, so `ssh://root@host:2222` asked ssh
//! for a host named `host:2222`. phi gives bollard this connector instead (a custom
//! transport), with the user, host and port passed to ssh as options. When ssh fails before
//! the engine answers, its own message (`connect to host h port 2222: Connection refused`) is
//! the error's cause.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bollard::{BollardRequest, ClientVersion, Docker};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::process::{Child, ChildStdin, ChildStdout};
use tokio::sync::oneshot;

/// Where an ssh:// engine is: the parts of `ssh://[user@]host[:port]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshTarget {
    pub user: Option<String>,
    /// The host as ssh takes it (an IPv6 address without its brackets).
    pub host: String,
    pub port: Option<u16>,
}

impl SshTarget {
    /// The arguments for `ssh`: options first, then `--` so that no host is read as one.
    /// BatchMode: phi runs from cron and CI, where a password prompt would wait forever (a
    /// key or an agent is needed, as with bollard's own transport); -T: no terminal.
    pub fn ssh_args(&self) -> Vec<String> {
        let mut args: Vec<String> = ["-o", "BatchMode=yes", "-T"].map(String::from).into();
        if let Some(user) = &self.user {
            args.extend(["-l".to_string(), user.clone()]);
        }
        if let Some(port) = self.port {
            args.extend(["-p".to_string(), port.to_string()]);
        }
        args.extend(["--", &self.host, "docker", "system", "dial-stdio"].map(String::from));
        args
    }
}

/// A bollard client whose every connection is a new `ssh ... docker system dial-stdio`.
pub fn connect(
    target: &SshTarget,
    timeout_secs: u64,
    version: &ClientVersion,
) -> Result<Docker, bollard::errors::Error> {
    let client = Arc::new(
        hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build(Connector {
            target: target.clone(),
        }),
    );
    Docker::connect_with_custom_transport(
        move |request: BollardRequest| {
            let client = Arc::clone(&client);
            async move {
                client
                    .request(request)
                    .await
                    .map_err(bollard::errors::Error::from)
            }
        },
        // Only the Host header sees this name; the connector ignores the URL.
        Some("http://api.moby.localhost"),
        timeout_secs,
        version,
    )
}

#[derive(Clone)]
struct Connector {
    target: SshTarget,
}

impl tower_service::Service<hyper::Uri> for Connector {
    type Response = SshStream;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<SshStream>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: hyper::Uri) -> Self::Future {
        let args = self.target.ssh_args();
        Box::pin(async move {
            let mut child = tokio::process::Command::new("ssh")
                .args(&args)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .map_err(|e| io::Error::new(e.kind(), format!("cannot run ssh: {e}")))?;
            let (Some(stdin), Some(stdout), Some(mut stderr)) =
                (child.stdin.take(), child.stdout.take(), child.stderr.take())
            else {
                return Err(io::Error::other("ssh started without its pipes"));
            };
            // ssh's complaints, kept (bounded) for when it ends before the engine answers.
            let (tell, said) = oneshot::channel();
            tokio::spawn(async move {
                let mut text = Vec::new();
                let _ = (&mut stderr).take(16 << 10).read_to_end(&mut text).await;
                let _ = tell.send(String::from_utf8_lossy(&text).trim().to_string());
            });
            Ok(SshStream(TokioIo::new(Pipe {
                stdin,
                stdout,
                _child: child,
                stderr: Some(said),
                answered: false,
            })))
        })
    }
}

/// The ssh process's stdout and stdin as one duplex stream.
struct Pipe {
    stdin: ChildStdin,
    stdout: ChildStdout,
    _child: Child,
    /// ssh's stderr, once it has closed; taken when the stream ends with nothing read.
    stderr: Option<oneshot::Receiver<String>>,
    /// Whether any byte came back: after that an end is the engine's, not ssh's failure.
    answered: bool,
}

impl Pipe {
    /// ssh ended before the engine answered: its own last line of stderr says why (pending
    /// until ssh has closed its stderr).
    fn poll_why_ssh_ended(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let Some(said) = self.stderr.as_mut() else {
            return Poll::Ready(io::Error::new(
                io::ErrorKind::ConnectionRefused,
                "ssh ended before the engine answered",
            ));
        };
        let text = std::task::ready!(Pin::new(said).poll(cx)).unwrap_or_default();
        self.stderr = None;
        let why = match text.lines().last() {
            Some(line) if !line.is_empty() => line.to_string(),
            _ => "ssh ended before the engine answered".to_string(),
        };
        Poll::Ready(io::Error::new(io::ErrorKind::ConnectionRefused, why))
    }

    /// A write to ssh that failed because ssh is gone reports why ssh ended instead.
    fn explain<T>(
        &mut self,
        cx: &mut Context<'_>,
        result: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        match result {
            Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::BrokenPipe && !self.answered => {
                self.poll_why_ssh_ended(cx).map(Err)
            }
            other => other,
        }
    }
}

impl AsyncRead for Pipe {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        match Pin::new(&mut this.stdout).poll_read(cx, buf) {
            Poll::Ready(Ok(())) if buf.filled().len() == before && !this.answered => {
                if this.stderr.is_none() {
                    return Poll::Ready(Ok(()));
                }
                this.poll_why_ssh_ended(cx).map(Err)
            }
            Poll::Ready(Ok(())) => {
                this.answered |= buf.filled().len() > before;
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

impl AsyncWrite for Pipe {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let result = Pin::new(&mut this.stdin).poll_write(cx, buf);
        this.explain(cx, result)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let result = Pin::new(&mut this.stdin).poll_flush(cx);
        this.explain(cx, result)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stdin).poll_shutdown(cx)
    }
}

/// What hyper reads and writes: the pipe, plus the `Connection` hyper asks for.
struct SshStream(TokioIo<Pipe>);

impl hyper::rt::Read for SshStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for SshStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl hyper_util::client::legacy::connect::Connection for SshStream {
    fn connected(&self) -> hyper_util::client::legacy::connect::Connected {
        hyper_util::client::legacy::connect::Connected::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_and_port_are_options_and_the_host_comes_after_the_double_dash() {
        let target = SshTarget {
            user: Some("root".into()),
            host: "localhost".into(),
            port: Some(1),
        };
        assert_eq!(
            target.ssh_args(),
            [
                "-o",
                "BatchMode=yes",
                "-T",
                "-l",
                "root",
                "-p",
                "1",
                "--",
                "localhost",
                "docker",
                "system",
                "dial-stdio"
            ]
        );
        let bare = SshTarget {
            user: None,
            host: "::1".into(),
            port: None,
        };
        assert_eq!(bare.ssh_args()[3..5], ["--", "::1"]);
    }
}
