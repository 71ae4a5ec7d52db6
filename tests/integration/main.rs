//! phi's integration tests: the built binary against a real Docker Engine and real files.
//! Run them with scripts/test.sh, which first makes sure an engine and the test images exist.

mod backup;
mod backup_crypt;
mod backup_targets;
mod check_auth;
mod config;
mod docs;
mod engine;
mod errors;
mod fuzz;
mod hooks;
mod matrix;
mod monitor;
mod proxy;
mod secrets;
mod start_all;
mod start_all_fidelity;
mod status;
mod stop_all;
mod structure;
mod support;
