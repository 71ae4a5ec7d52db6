//! One module per subcommand. Each turns settings into a report through the engine, and
//! leaves printing to `output`.

pub mod backup;
pub mod check_auth;
pub mod docs;
pub mod monitor;
pub mod start_all;
pub mod status;
pub mod stop_all;
