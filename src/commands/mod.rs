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
