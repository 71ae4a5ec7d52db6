//! One module per subcommand. Each runs as `run(&Ctx, Settings) -> Result<Exit>`: its
//! settings (resolved by `settings` from the flags, env and project), the shared context
//! here, a plan (pure), the engine calls, and a report handed to `output`. A subcommand uses
//! this module and `checks`, never another subcommand.

pub mod backup;
pub mod check_auth;
pub mod checks;
pub mod config;
pub mod docs;
pub mod hooks;
pub mod lock;
pub mod monitor;
pub mod start_all;
pub mod status;
pub mod stop_all;

use std::time::Duration;

use tokio::sync::watch;

use crate::config::Project;
use crate::engine;
use crate::engine::{CALL_TIMEOUT, Engine, Target};
use crate::exit::{Coded, Exit};
use crate::output::Printer;

/// What every subcommand runs with: the project, the printer, the interrupt, and the way to
/// the engine (connected on demand: some actions never need it).
pub struct Ctx {
    pub project: Project,
    pub printer: Printer,
    pub interrupt: Interrupt,
}

impl Ctx {
    /// Find the engine (DOCKER_HOST, context, default socket) and connect to it; `limit`
    /// bounds every later call (at most [`CALL_TIMEOUT`]).
    pub async fn connect(&self, limit: Duration) -> anyhow::Result<(Engine, Target)> {
        let lookup = |name: &str| self.project.env.get(name).ok().flatten();
        let target = engine::host::resolve(&lookup)?;
        self.printer.debug(&format!(
            "engine {} (from {})",
            target.address, target.origin
        ));
        let engine = Engine::connect(&target, limit.min(CALL_TIMEOUT)).await?;
        self.printer.debug(&format!(
            "engine {}, API version {}",
            engine.product(),
            engine.api_version()
        ));
        Ok((engine, target))
    }
}

impl Ctx {
    /// Take the project's lock for `command` (start-all, stop-all), waiting up to `limit` for
    /// another phi run that holds it; says once who holds it.
    pub async fn lock_project(
        &self,
        engine: &Engine,
        command: &str,
        limit: Duration,
    ) -> anyhow::Result<lock::Lock> {
        self.lock_project_waiting(engine, command, limit, "--timeout")
            .await
    }

    /// [`Ctx::lock_project`], for a command whose wait is set by the option `flag`.
    pub async fn lock_project_waiting(
        &self,
        engine: &Engine,
        command: &str,
        limit: Duration,
        flag: &str,
    ) -> anyhow::Result<lock::Lock> {
        let path = lock::project_lock_path(engine.address(), &self.project.name)
            .map_err(|e| anyhow::Error::new(e).context("cannot make the folder for phi's locks"))?;
        let what = format!("project {}", self.project.name);
        lock::acquire(&path, &what, command, limit, flag, |holder| {
            self.printer.progress(
                "Waiting",
                &format!("for {what}, which {holder} is changing"),
            );
        })
        .await
    }
}

/// Run `work` within `limit`, or fail with exit 5 naming what did not finish.
pub async fn within<T>(
    limit: Duration,
    what: &str,
    work: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    tokio::time::timeout(limit, work).await.map_err(|_| {
        Coded::new(
            Exit::Timeout,
            format!(
                "{what} did not finish within {}",
                humantime::format_duration(limit)
            ),
        )
    })?
}

/// Ctrl-C and SIGTERM, seen by every part of a run from its start.
#[derive(Clone)]
pub struct Interrupt(watch::Receiver<bool>);

impl Interrupt {
    /// Start listening; call once, inside the runtime, before any work.
    pub fn listen() -> Interrupt {
        let (tx, rx) = watch::channel(false);
        tokio::spawn(async move {
            let term = async {
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(mut s) => {
                        s.recv().await;
                    }
                    Err(_) => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term => {}
            }
            let _ = tx.send(true);
        });
        Interrupt(rx)
    }

    /// Resolves when the run is interrupted (never, if it is not).
    pub async fn wait(&self) {
        let mut rx = self.0.clone();
        let _ = rx.wait_for(|v| *v).await;
    }

    pub fn happened(&self) -> bool {
        *self.0.borrow()
    }

    /// Run `work` unless interrupted first; an interruption drops it (its files are left
    /// incomplete) and gives exit 130.
    pub async fn run<T>(
        &self,
        work: impl std::future::Future<Output = anyhow::Result<T>>,
    ) -> anyhow::Result<T> {
        let mut rx = self.0.clone();
        tokio::select! {
            result = work => result,
            _ = rx.wait_for(|v| *v) => Err(interrupted()),
        }
    }
}

/// The error an interrupted run ends with (exit 130).
pub fn interrupted() -> anyhow::Error {
    Coded::new(Exit::Interrupted, "interrupted").into()
}

/// The one gate before destroying data: go on with `yes`; otherwise ask on a terminal, and
/// off one refuse (exit 2) naming `--yes`. A "no" is an ordinary outcome, not an error:
/// exit 6, and a plain line saying nothing was changed. `action` completes
/// "refusing to ... without confirmation".
pub fn confirm_destructive(
    printer: &Printer,
    yes: bool,
    action: &str,
    question: &str,
) -> anyhow::Result<()> {
    if yes {
        return Ok(());
    }
    if !printer.interactive() {
        return Err(Coded::new(
            Exit::Usage,
            format!(
                "refusing to {action} without confirmation: no terminal to ask on; pass --yes to confirm"
            ),
        )
        .into());
    }
    if !printer.confirm(question)? {
        return Err(Coded::new(Exit::Declined, "declined: nothing was changed").into());
    }
    Ok(())
}

/// The exit code an error stands for: the first classified error in its chain wins; an error
/// no room classified is a failure (1). Here, because
/// commands are the room that sees every room's errors.
pub fn classify(err: &anyhow::Error) -> Exit {
    for cause in err.chain() {
        if let Some(coded) = cause.downcast_ref::<Coded>() {
            return coded.code;
        }
        if let Some(config) = cause.downcast_ref::<crate::config::ConfigError>() {
            return config.exit();
        }
        if let Some(engine) = cause.downcast_ref::<engine::EngineError>() {
            return engine.exit();
        }
        if let Some(host) = cause.downcast_ref::<engine::host::HostError>() {
            return host.exit();
        }
    }
    Exit::Failure
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_finds_a_coded_error_anywhere_in_the_chain() {
        let err = anyhow::Error::new(Coded::new(Exit::Usage, "bad")).context("while loading");
        assert_eq!(classify(&err), Exit::Usage);
        assert_eq!(classify(&anyhow::anyhow!("plain")), Exit::Failure);
        let host = engine::host::HostError::DockerHost {
            value: "x".into(),
            reason: "y".into(),
        };
        assert_eq!(
            classify(&anyhow::Error::new(host).context("connecting")),
            Exit::Usage
        );
    }
}
