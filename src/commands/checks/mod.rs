//! Findings shared by the commands that check a project before they act on it:
//! `phi check-auth` reports them, `phi start-all`'s preflight refuses what fails here.
//! The check types, the env template's reader, and the required-variable checks.

pub mod template;
pub mod vars;

use std::path::Path;

use serde::Serialize;

use crate::config::Project;

/// Where a check belongs; the table is grouped in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    Variables,
    Files,
    Secrets,
    Production,
    Gcp,
    Github,
    Docker,
}

impl Area {
    pub fn as_str(self) -> &'static str {
        match self {
            Area::Variables => "variables",
            Area::Files => "files",
            Area::Secrets => "secrets",
            Area::Production => "production",
            Area::Gcp => "gcp",
            Area::Github => "github",
            Area::Docker => "docker",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Ok,
    Info,
    Warning,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

/// One finding: what was checked, how it went, and the one-line fix when it is not ok.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub area: Area,
    pub name: String,
    pub level: Level,
    pub message: String,
    pub fix: Option<String>,
    /// The check could not finish in time (exit 5).
    #[serde(skip)]
    pub timed_out: bool,
}

impl Check {
    pub fn new(
        area: Area,
        name: impl Into<String>,
        level: Level,
        message: impl Into<String>,
    ) -> Check {
        Check {
            area,
            name: name.into(),
            level,
            message: message.into(),
            fix: None,
            timed_out: false,
        }
    }

    pub fn ok(area: Area, name: impl Into<String>, message: impl Into<String>) -> Check {
        Check::new(area, name, Level::Ok, message)
    }

    pub fn info(area: Area, name: impl Into<String>, message: impl Into<String>) -> Check {
        Check::new(area, name, Level::Info, message)
    }

    pub fn warning(area: Area, name: impl Into<String>, message: impl Into<String>) -> Check {
        Check::new(area, name, Level::Warning, message)
    }

    pub fn error(area: Area, name: impl Into<String>, message: impl Into<String>) -> Check {
        Check::new(area, name, Level::Error, message)
    }

    pub fn fix(mut self, fix: impl Into<String>) -> Check {
        self.fix = Some(fix.into());
        self
    }
}

/// Where the user stands: the directory phi was started in, set once at start-up.
static USER_DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();

/// Remember the directory phi was started in, for [`shown`]. Called once by `lib::run`.
pub fn remember_user_dir(dir: std::path::PathBuf) {
    let _ = USER_DIR.set(dir);
}

/// A path as the user can paste it where they stand: relative to the directory phi was
/// started in when inside it, else absolute (`examples/demo/.env` when phi runs from the
/// repository root with `-f examples/demo/compose.yaml`). When that directory is unknown
/// (unit tests), relative to the project directory `dir`.
pub fn shown(path: &Path, dir: &Path) -> String {
    shown_from(path, USER_DIR.get().map_or(dir, |d| d.as_path()))
}

/// `path` relative to `base` when inside it (`.` for `base` itself), else as it is. A `base`
/// reached through a symbolic link counts as its real path too.
pub fn shown_from(path: &Path, base: &Path) -> String {
    let real = base.canonicalize().ok();
    let bases = std::iter::once(base).chain(real.as_deref());
    for base in bases {
        match path.strip_prefix(base) {
            Ok(rel) if rel.as_os_str().is_empty() => return ".".into(),
            Ok(rel) => return rel.display().to_string(),
            Err(_) => {}
        }
    }
    path.display().to_string()
}

/// The env template (when there is one) and one check per required variable (x-phi
/// `required_env` and the template's `NAME=` lines); the middle list says what became of the
/// template itself. Shared with `phi start-all`, whose preflight refuses what fails here.
pub fn required_variables(project: &Project) -> (Option<vars::Template>, Vec<Check>, Vec<Check>) {
    let dir = project.directory.as_path();
    let env = &project.env;
    let mut template_checks = Vec::new();
    // The template: x-phi.env_template, else config.env.template if it exists.
    let template_path = match &project.model.x_phi.env_template {
        Some(path) => Some(dir.join(path)),
        None => Some(dir.join(template::DEFAULT_TEMPLATE)).filter(|p| p.is_file()),
    };
    let template = match template_path {
        None => {
            template_checks.push(Check::info(
                Area::Variables,
                "template",
                format!(
                    "no {} in {}; only x-phi.required_env is checked",
                    template::DEFAULT_TEMPLATE,
                    dir.display()
                ),
            ));
            None
        }
        Some(path) => {
            let shown = shown(&path, dir);
            match crate::files::read_text(&path, crate::files::MAX_ENV_BYTES) {
                Ok(text) => Some(vars::Template {
                    shown,
                    entries: template::parse(&text),
                }),
                Err(e) => {
                    template_checks.push(
                        Check::error(
                            Area::Variables,
                            "template",
                            format!("cannot read the env template {shown}: {e}"),
                        )
                        .fix("correct x-phi.env_template"),
                    );
                    None
                }
            }
        }
    };
    let set_in = project
        .env_files
        .first()
        .map(|f| shown(f, dir))
        .unwrap_or_else(|| ".env".into());
    let required = &project.model.x_phi.required_env;
    let public = public_values(project);
    let required_checks =
        vars::required_checks(env, dir, required, template.as_ref(), &set_in, &public);
    (template, template_checks, required_checks)
}

/// The values a secret must not equal: the project's and services' names and user names.
pub fn public_values(project: &Project) -> Vec<vars::Public> {
    let services: Vec<&str> = project.model.services.keys().map(String::as_str).collect();
    vars::public_values(&project.name, &services, &project.env)
}
