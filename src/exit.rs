//! The exit-code table, in one place. Every subcommand ends in one of these.

use std::fmt;

/// How a phi invocation ended. The numbers are part of phi's interface (README, man page).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Exit {
    /// 0: everything asked for was done and every check passed.
    Ok,
    /// 1: the operation failed.
    Failure,
    /// 2: usage or configuration error (bad flag, invalid compose or env file, missing variable).
    Usage,
    /// 3: a check is negative (unhealthy or missing service, threshold, credential problem).
    CheckFailed,
    /// 4: a prerequisite is unavailable (engine unreachable, permission denied, command missing).
    Unavailable,
    /// 5: a wait ran out of time.
    Timeout,
    /// 6: the user declined at a prompt; nothing was changed.
    Declined,
    /// 130: interrupted (Ctrl-C).
    Interrupted,
}

impl Exit {
    pub const ALL: [Exit; 8] = [
        Exit::Ok,
        Exit::Failure,
        Exit::Usage,
        Exit::CheckFailed,
        Exit::Unavailable,
        Exit::Timeout,
        Exit::Declined,
        Exit::Interrupted,
    ];

    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Failure => 1,
            Exit::Usage => 2,
            Exit::CheckFailed => 3,
            Exit::Unavailable => 4,
            Exit::Timeout => 5,
            Exit::Declined => 6,
            Exit::Interrupted => 130,
        }
    }

    pub fn meaning(self) -> &'static str {
        match self {
            Exit::Ok => "success; every check passed",
            Exit::Failure => "the operation failed",
            Exit::Usage => {
                "usage or configuration error (bad flag, invalid compose or env file, missing required variable)"
            }
            Exit::CheckFailed => {
                "a check is negative (a service unhealthy or missing, a threshold breached, a credential problem)"
            }
            Exit::Unavailable => {
                "a prerequisite is unavailable (engine unreachable, permission denied, required command missing)"
            }
            Exit::Timeout => "timed out",
            Exit::Declined => "declined at a prompt; nothing was changed",
            Exit::Interrupted => "interrupted",
        }
    }

    /// How much an outcome weighs when several are combined: the heavier one wins.
    /// An interruption outranks everything, then problems that stopped the work
    /// (prerequisite, usage, timeout, failure), then a negative check.
    fn severity(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::CheckFailed => 1,
            Exit::Failure => 2,
            Exit::Timeout => 3,
            Exit::Usage => 4,
            Exit::Unavailable => 5,
            Exit::Declined => 6,
            Exit::Interrupted => 7,
        }
    }

    /// Combine two outcomes, keeping the more severe one.
    pub fn merge(self, other: Exit) -> Exit {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit.code())
    }
}

/// An error that knows which exit code it stands for. Domain errors that are not this
/// type carry their own `exit()`; the top level reads the chain (`commands::classify`).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Coded {
    pub code: Exit,
    pub message: String,
}

impl Coded {
    pub fn new(code: Exit, message: impl Into<String>) -> Self {
        Coded {
            code,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_documented_numbers() {
        let codes: Vec<u8> = Exit::ALL.iter().map(|e| e.code()).collect();
        assert_eq!(codes, vec![0, 1, 2, 3, 4, 5, 6, 130]);
    }

    #[test]
    fn merge_keeps_the_more_severe_outcome() {
        assert_eq!(Exit::Ok.merge(Exit::CheckFailed), Exit::CheckFailed);
        assert_eq!(Exit::CheckFailed.merge(Exit::Ok), Exit::CheckFailed);
        assert_eq!(Exit::CheckFailed.merge(Exit::Timeout), Exit::Timeout);
        assert_eq!(Exit::Unavailable.merge(Exit::Failure), Exit::Unavailable);
        assert_eq!(Exit::Timeout.merge(Exit::Interrupted), Exit::Interrupted);
        assert_eq!(Exit::Ok.merge(Exit::Ok), Exit::Ok);
    }
}
