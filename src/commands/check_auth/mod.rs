//! `phi check-auth`: credentials and secrets hygiene, one check at a time, grouped by area.
//!
//! plan:    pure checks over plain facts (`template`, `vars`, `github::classify`,
//!          `docker::registry_of`, `gcp::key_checks`, ...), unit-tested beside them
//! execute: read the files again, run git and gcloud, ask GitHub (`--online`) and the engine;
//!          every wait has the command's timeout, and they run concurrently
//! report:  `Report` -> table or JSON; exit 3 on any error (with `--strict`, any warning),
//!          5 when the online GitHub check timed out
//!
//! No check ever formats a secret value into its message: tokens are shown by prefix and
//! length, other secrets by name and origin only. The Printer's Redactor is a second line.

mod docker;
mod files;
mod gcp;
mod github;
mod process;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use super::checks::{Area, Check, Level, required_variables, shown, vars};
use anyhow::Context;

use crate::commands::Ctx;
use crate::config::Project;
use crate::exit::Exit;
use crate::output::Envelope;
use crate::output::style::{Palette, Tone};
use crate::output::{Printer, table};

/// How long each wait (engine, GitHub, git, gcloud) may take unless `--timeout` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub ok: usize,
    pub info: usize,
    pub warning: usize,
    pub error: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    #[serde(flatten)]
    pub envelope: Envelope,
    /// No error (and with `--strict`, no warning either).
    pub ok: bool,
    pub strict: bool,
    pub summary: Summary,
    pub checks: Vec<Check>,
}

impl Report {
    /// Group the checks by area (keeping their order within an area) and add them up.
    pub fn new(project: &str, strict: bool, mut checks: Vec<Check>) -> Report {
        checks.sort_by_key(|c| c.area);
        let mut summary = Summary::default();
        for c in &checks {
            match c.level {
                Level::Ok => summary.ok += 1,
                Level::Info => summary.info += 1,
                Level::Warning => summary.warning += 1,
                Level::Error => summary.error += 1,
            }
        }
        let ok = summary.error == 0 && !(strict && summary.warning > 0);
        Report {
            envelope: Envelope::new(project),
            ok,
            strict,
            summary,
            checks,
        }
    }

    /// 0 when ok; 3 when a check failed; 5 when a check timed out.
    pub fn exit(&self) -> Exit {
        let base = if self.ok { Exit::Ok } else { Exit::CheckFailed };
        if self.checks.iter().any(|c| c.timed_out) {
            base.merge(Exit::Timeout)
        } else {
            base
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub online: bool,
    pub strict: bool,
    /// The limit of each wait.
    pub timeout: Duration,
}

/// `phi check-auth`: the checks, printed; 0 when none failed, 3 when one did, 5 when one
/// timed out.
pub async fn run(ctx: &Ctx, settings: Settings) -> anyhow::Result<Exit> {
    let report = report(&ctx.project, &settings, &ctx.printer).await;
    ctx.printer
        .report(&report, |color| render_table(&report, color))
        .context("writing the checks")?;
    Ok(report.exit())
}

/// Run every check on `project`.
pub async fn report(project: &Project, options: &Settings, printer: &Printer) -> Report {
    let dir = project.directory.as_path();
    let env = &project.env;
    let redactor = printer.redactor();
    let get = |name: &str| env.get(name).ok().flatten().filter(|v| !v.is_empty());
    let mut checks = Vec::new();

    // What the compose files say before interpolation.
    let raw = files::RawCompose::scan(&project.files);
    for literal in &raw.literals {
        redactor.add(&literal.value);
    }

    checks.extend(variable_checks(project, &raw));
    let env_files = env_file_checks(project, &mut checks);
    let compose_checks = files::literal_checks(&raw, &project.files, dir);

    // GCP: the key file now (it is local); gcloud concurrently with the other waits.
    let credentials = get("GOOGLE_APPLICATION_CREDENTIALS");
    let gcp_configured = credentials.is_some() || get("GCP_PROJECT_ID").is_some();
    match &credentials {
        Some(value) => {
            let path = dir.join(value);
            let shown = shown(&path, dir);
            checks.extend(gcp::file_checks(
                &path,
                &shown,
                get("GCP_PROJECT_ID").as_deref(),
                redactor,
            ));
        }
        None => checks.push(Check::info(
            Area::Gcp,
            "credentials file",
            "GOOGLE_APPLICATION_CREDENTIALS is not set; the key file is not checked",
        )),
    }

    // GitHub: the format now, the API concurrently.
    let token = get("GITHUB_TOKEN");
    match &token {
        Some(token) => checks.push(github::format_check(token)),
        None => checks.push(Check::info(
            Area::Github,
            "token format",
            "GITHUB_TOKEN is not set",
        )),
    }
    let api_url = get("GITHUB_API_URL").unwrap_or_else(|| github::DEFAULT_API_URL.to_string());

    // Docker: the engine concurrently with the other waits; then which images exist only
    // locally (no login needed), and registry credentials for the rest.
    let (images, built) = images_in_use(project);
    let lookup = |name: &str| env.get(name).ok().flatten();
    let config_dir = crate::engine::host::docker_config_dir(&lookup);

    let timeout = options.timeout;
    printer.debug(&format!(
        "waiting at most {} each for the engine{}{}{}",
        humantime::format_duration(timeout),
        if env_files.is_empty() { "" } else { ", git" },
        if gcp_configured { ", gcloud" } else { "" },
        if options.online && token.is_some() {
            ", GitHub"
        } else {
            ""
        },
    ));
    let gcloud = async {
        if gcp_configured {
            Some(gcp::gcloud_check(timeout).await)
        } else {
            None
        }
    };
    let online = async {
        match (&token, options.online) {
            (Some(token), true) => {
                printer.debug(&format!("GET {}/user", api_url.trim_end_matches('/')));
                Some(github::online_check(token, &api_url, timeout).await)
            }
            _ => None,
        }
    };
    let ((engine, connected), git, gcloud, online) = tokio::join!(
        docker::engine_check(&lookup, timeout),
        files::git_checks(&env_files, timeout),
        gcloud,
        online,
    );
    // Within an area, checks keep the order they are added in.
    checks.extend(git);
    checks.extend(compose_checks);
    checks.extend(gcloud);
    checks.extend(online);
    checks.push(engine);
    let local = within_limit(
        timeout,
        docker::local_images(connected.as_ref(), &images, &built),
    )
    .await;
    checks.extend(docker::local_images_check(&images, &local));
    let pulled: BTreeMap<String, BTreeSet<String>> = images
        .iter()
        .filter(|(image, _)| !local.contains_key(*image))
        .map(|(i, s)| (i.clone(), s.clone()))
        .collect();
    if pulled.is_empty() && !images.is_empty() {
        checks.push(Check::info(
            Area::Docker,
            "registries",
            "every image exists only locally; no registry is used",
        ));
    } else {
        checks.extend(docker::credentials_checks(config_dir.as_deref(), &pulled));
    }

    Report::new(&project.name, options.strict, checks)
}

/// Required variables, weak values, `*_FILE` secrets and production settings.
fn variable_checks(project: &Project, raw: &files::RawCompose) -> Vec<Check> {
    let dir = project.directory.as_path();
    let env = &project.env;
    let mut checks = Vec::new();
    let (template, template_checks, required_checks) = required_variables(project);
    checks.extend(template_checks);
    let checked: BTreeSet<&str> = required_checks.iter().map(|c| c.name.as_str()).collect();
    let public = super::checks::public_values(project);
    let weak = vars::weak_value_checks(env, dir, &checked, template.as_ref(), &public);
    checks.extend(required_checks);
    checks.extend(weak);

    let mut known: BTreeSet<String> = raw.references.clone();
    known.extend(project.model.x_phi.required_env.iter().cloned());
    if let Some(t) = &template {
        known.extend(t.entries.iter().map(|e| e.name.clone()));
    }
    checks.extend(vars::secret_file_checks(env, dir, &known));
    checks.extend(vars::production_checks(env));
    checks
}

/// The env files in use (the project's and the services'), each with its permissions
/// checked; returned with the path the user knows them by.
fn env_file_checks(project: &Project, checks: &mut Vec<Check>) -> Vec<(PathBuf, String)> {
    let dir = project.directory.as_path();
    let service_files: Vec<(String, String)> = project
        .model
        .services
        .iter()
        .flat_map(|(name, s)| s.env_files.iter().map(move |f| (name.clone(), f.clone())))
        .collect();
    let (env_files, missing) = files::env_files_in_use(&project.env_files, &service_files, dir);
    if env_files.is_empty() {
        checks.push(Check::info(
            Area::Files,
            "env files",
            "no env file is in use",
        ));
    }
    let env_files: Vec<(PathBuf, String)> = env_files
        .into_iter()
        .map(|f| {
            let shown = shown(&f, dir);
            (f, shown)
        })
        .collect();
    for (path, shown) in &env_files {
        checks.push(files::permissions_check(path, shown));
    }
    for (service, path) in missing {
        checks.push(Check::info(
            Area::Files,
            format!("{} permissions", shown(&path, dir)),
            format!("env_file of service {service} does not exist or is not a file"),
        ));
    }
    env_files
}

/// Image lookups on the engine within `limit`; past it, the images count as not local (the
/// registry checks then cover them).
async fn within_limit(
    limit: Duration,
    work: impl std::future::Future<Output = BTreeMap<String, docker::Local>>,
) -> BTreeMap<String, docker::Local> {
    tokio::time::timeout(limit, work).await.unwrap_or_default()
}

/// The images of the active services, each with the services that use it; and the ones a
/// service builds (`build:`), which need no registry.
fn images_in_use(project: &Project) -> (BTreeMap<String, BTreeSet<String>>, BTreeSet<String>) {
    let mut images: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut built = BTreeSet::new();
    for (name, service) in &project.model.services {
        if !project.model.is_active(service, &project.profiles) {
            continue;
        }
        if let Some(image) = service.image.as_deref().filter(|i| !i.is_empty()) {
            images
                .entry(image.to_string())
                .or_default()
                .insert(name.clone());
            if service.raw.get("build").is_some_and(|b| !b.is_null()) {
                built.insert(image.to_string());
            }
        }
    }
    (images, built)
}

pub fn render_table(report: &Report, color: bool) -> String {
    let palette = Palette::new(color);
    let mut t = table::new(&["AREA", "CHECK", "RESULT", "DETAIL", "FIX"], color);
    for c in &report.checks {
        let tone = match c.level {
            Level::Ok => Tone::Good,
            Level::Info => Tone::Info,
            Level::Warning => Tone::Warn,
            Level::Error => Tone::Bad,
        };
        t.add_row(vec![
            c.area.as_str().to_string(),
            c.name.clone(),
            palette.paint(tone, c.level.as_str()),
            c.message.clone(),
            c.fix.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    let mut out = table::render(&mut t);
    let s = &report.summary;
    let mut summary = format!(
        "{}: {} ok, {} info, {} warning, {} error",
        report.envelope.project, s.ok, s.info, s.warning, s.error
    );
    if report.strict && s.warning > 0 {
        summary.push_str(" (--strict: warnings fail)");
    }
    let tone = if report.ok { Tone::Good } else { Tone::Bad };
    out.push_str(&format!("\n{}\n", palette.paint(tone, summary)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checks() -> Vec<Check> {
        vec![
            Check::ok(Area::Docker, "engine", "reachable"),
            Check::warning(Area::Variables, "POSTGRES_USER", "weak").fix("choose"),
            Check::info(Area::Gcp, "credentials file", "not set"),
            Check::ok(Area::Variables, "POSTGRES_PASSWORD", "set (.env:2)"),
        ]
    }

    #[test]
    fn checks_are_grouped_by_area_and_counted() {
        let report = Report::new("p", false, checks());
        let order: Vec<(&str, &str)> = report
            .checks
            .iter()
            .map(|c| (c.area.as_str(), c.name.as_str()))
            .collect();
        assert_eq!(
            order,
            vec![
                ("variables", "POSTGRES_USER"),
                ("variables", "POSTGRES_PASSWORD"),
                ("gcp", "credentials file"),
                ("docker", "engine"),
            ]
        );
        assert_eq!(
            report.summary,
            Summary {
                ok: 2,
                info: 1,
                warning: 1,
                error: 0
            }
        );
        assert!(report.ok);
        assert_eq!(report.exit(), Exit::Ok);
    }

    #[test]
    fn errors_fail_warnings_fail_only_when_strict_and_timeouts_exit_5() {
        assert_eq!(Report::new("p", true, checks()).exit(), Exit::CheckFailed);
        let mut with_error = checks();
        with_error.push(Check::error(Area::Files, ".env in git", "not ignored"));
        assert_eq!(
            Report::new("p", false, with_error.clone()).exit(),
            Exit::CheckFailed
        );
        let mut timed_out = Check::error(Area::Github, "token online", "no answer");
        timed_out.timed_out = true;
        with_error.push(timed_out);
        assert_eq!(Report::new("p", false, with_error).exit(), Exit::Timeout);
    }

    #[test]
    fn the_table_has_one_row_per_check_and_a_summary() {
        let text = render_table(&Report::new("p", true, checks()), false);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with("AREA") && lines[0].contains("FIX"),
            "{text}"
        );
        assert!(
            lines[1].starts_with("variables")
                && lines[1].contains("warning")
                && lines[1].ends_with("choose")
        );
        assert!(lines[4].starts_with("docker") && lines[4].ends_with("-"));
        assert!(
            text.ends_with("p: 2 ok, 1 info, 1 warning, 0 error (--strict: warnings fail)\n"),
            "{text}"
        );
        assert!(!text.contains('\u{1b}'));
    }

    #[test]
    fn json_has_the_documented_fields() {
        let mut c = Check::error(Area::Github, "token online", "no answer").fix("retry");
        c.timed_out = true;
        let report = Report::new("p", false, vec![c, Check::ok(Area::Files, "x", "y")]);
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["schema_version"], 1);
        assert_eq!(json["ok"], false);
        assert_eq!(json["summary"]["error"], 1);
        assert_eq!(
            json["checks"][1],
            serde_json::json!({"area": "github", "name": "token online", "level": "error", "message": "no answer", "fix": "retry"})
        );
        assert_eq!(json["checks"][0]["fix"], serde_json::Value::Null);
    }
}
