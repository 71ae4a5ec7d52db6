//! One module per subcommand. Each turns settings into a report through the engine, and
//! leaves printing to `output`.

pub mod backup;
pub mod check_auth;
pub mod docs;
pub mod monitor;
pub mod start_all;
pub mod status;
pub mod stop_all;

use crate::exit::{Coded, Exit};
use crate::output::Printer;
use crate::{config, engine};

/// The one gate before destroying data: go on with `yes`; otherwise ask on a terminal, and
/// off one refuse (exit 2) naming `--yes`. A "no" cancels (exit 1). `action` completes
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
        return Err(Coded::new(Exit::Failure, "cancelled; nothing was changed").into());
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
        if let Some(config) = cause.downcast_ref::<config::ConfigError>() {
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
