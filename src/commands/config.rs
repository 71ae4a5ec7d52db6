//! `phi config`: the resolved project in Compose's canonical form (see
//! [`crate::config::canonical`]), or one of its listings. Never contacts the engine.
//!
//! - JSON is byte for byte what `docker compose config --format json` prints (no trailing
//!   newline, except on a terminal); YAML has the same content.
//! - Secrets are masked as values in the document; with `--show-secrets` the document is
//!   printed unredacted (`Printer::data_bytes`), otherwise through the Printer's redactor,
//!   the second line.
//! - With `-q` nothing is printed: the exit status alone says whether the project is valid
//!   (0, or 2 for a configuration error, as for every command).

use crate::config::canonical::{self, Options};
use crate::exit::Exit;

use super::Ctx;

/// How the document is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

/// A listing printed instead of the document, one name a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    Services,
    Images,
    Volumes,
    Networks,
    Profiles,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub format: Format,
    pub listing: Option<Listing>,
    /// Only these services and their dependencies.
    pub services: Vec<String>,
    pub show_secrets: bool,
    pub all_resources: bool,
    /// `-q`: validate only, print nothing.
    pub quiet: bool,
}

pub async fn run(ctx: &Ctx, settings: Settings) -> anyhow::Result<Exit> {
    let options = Options {
        show_secrets: settings.show_secrets,
        all_resources: settings.all_resources,
        services: settings.services.clone(),
    };
    let project = &ctx.project;
    let text = match settings.listing {
        None => {
            let doc = canonical::project(project, &options)?;
            match settings.format {
                Format::Json => {
                    let mut text = canonical::to_json(&doc);
                    if ctx.printer.stdout_terminal() {
                        text.push('\n');
                    }
                    text
                }
                Format::Yaml => canonical::to_yaml(&doc),
            }
        }
        Some(listing) => {
            let names = match listing {
                Listing::Services => canonical::services(project, &options)?,
                Listing::Images => canonical::images(project, &options)?,
                Listing::Volumes => canonical::volumes(project, &options)?,
                Listing::Networks => canonical::networks(project, &options)?,
                Listing::Profiles => canonical::profiles(project, &options)?,
            };
            names.iter().map(|n| format!("{n}\n")).collect()
        }
    };
    if settings.quiet {
        return Ok(Exit::Ok);
    }
    if settings.show_secrets {
        ctx.printer.data_bytes(text.as_bytes())?;
    } else {
        ctx.printer.data(&text)?;
    }
    Ok(Exit::Ok)
}
