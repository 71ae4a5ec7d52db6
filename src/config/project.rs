//! The resolved project: what every command runs on. Built by `settings`, read by everyone.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::ConfigError;
use super::compose::{ComposeModel, Diagnostics};
use super::env::Env;

/// Everything a project command needs to know about the stack.
#[derive(Debug, Clone)]
pub struct Project {
    pub name: String,
    /// Where the name came from, for -v and error messages.
    pub name_origin: String,
    pub directory: PathBuf,
    pub files: Vec<PathBuf>,
    pub env_files: Vec<PathBuf>,
    pub profiles: Vec<String>,
    pub model: ComposeModel,
    pub env: Env,
    pub diagnostics: Diagnostics,
}

impl Project {
    /// The services `wanted` names (`--services`), checked against the model: `None` when the
    /// list is empty (every service), an error naming the unknown ones otherwise.
    pub fn select<'a>(
        &'a self,
        wanted: &'a [String],
    ) -> Result<Option<BTreeSet<&'a str>>, ConfigError> {
        self.model.select(wanted)
    }
}
