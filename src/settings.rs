//! Resolve the command line, env files and compose files into the [`Project`] a command runs
//! on, and each subcommand's flags into its `Settings`: clap's types end here. Pure apart from
//! reading the files it is pointed at; the process environment comes in as data.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use clap_complete::engine::{ArgValueCandidates, ArgValueCompleter, CompletionCandidate};

use crate::cli::{self, GlobalArgs};
use crate::commands::{backup, check_auth, config, monitor, start_all, status, stop_all};
use crate::config::compose::{self, DEFAULT_FILES};
use crate::config::env::Env;
use crate::config::{ConfigError, Project};
use crate::output::{ColorChoice, Format};
use crate::redact::Redactor;

/// Override files Compose merges automatically after the default file, in its lookup order
/// (compose-go's DefaultOverrideFileNames: `.yml` before `.yaml`).
const OVERRIDE_FILES: [&str; 4] = [
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];

/// The process environment, captured once, so resolution is a function of its inputs.
pub type ProcessEnv = HashMap<String, String>;

pub fn process_env() -> ProcessEnv {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}

/// Resolve flags + env files + compose files into a project.
pub fn load_project(
    args: &GlobalArgs,
    process: &ProcessEnv,
    cwd: &Path,
    redactor: Redactor,
) -> Result<Project, ConfigError> {
    // Compose's steps (docker/compose cmd/compose/compose.go, toProjectOptions): the `.env`
    // of the folder known so far (--project-directory, else the first -f file's, else the
    // working directory), then the compose files (-f, COMPOSE_FILE, else a search upward
    // from that folder), then the `.env` of the folder they settle on, under the first.
    let explicit_dir = args.project_directory.as_ref().map(|d| absolute(cwd, d));
    let first_dir = match (&explicit_dir, args.files.first()) {
        (Some(dir), _) => dir.clone(),
        (None, Some(first)) => parent_of(&absolute(cwd, first), cwd),
        (None, None) => cwd.to_path_buf(),
    };
    let default_env = args.env_files.is_empty() && !env_file_disabled(process)?;
    let mut env_files: Vec<PathBuf> = if default_env {
        default_env_file(&first_dir).into_iter().collect()
    } else {
        args.env_files.iter().map(|f| absolute(cwd, f)).collect()
    };
    let env = Env::load(
        with_pwd(process, cwd),
        &env_files,
        &first_dir,
        redactor.clone(),
    )?;

    let (files, mut discovery) = compose_files(args, &env, cwd, &first_dir)?;
    let directory = match &explicit_dir {
        Some(dir) => dir.clone(),
        None => files
            .first()
            .map_or_else(|| cwd.to_path_buf(), |f| parent_of(f, cwd)),
    };
    let env = match default_env_file(&directory) {
        Some(second) if default_env && directory != first_dir => {
            env_files.push(second.clone());
            env.with_defaults_from(&[second])?.with_base_dir(&directory)
        }
        _ => env.with_base_dir(&directory),
    };
    // As in Compose, the project is named first (from `-p`, COMPOSE_PROJECT_NAME, the files'
    // `name:` or the folder), and the files are interpolated with COMPOSE_PROJECT_NAME set
    // to that name.
    let env_name = env.get("COMPOSE_PROJECT_NAME")?;
    let (name, name_origin) = project_name(
        args.project_name.as_deref(),
        compose::declared_name(&files, &env)?.as_deref(),
        env_name.as_deref(),
        &directory,
    )?;
    let env = env.with_provided("COMPOSE_PROJECT_NAME", &name);
    let (model, mut diagnostics) = compose::load_in(&files, &env, &directory)?;
    discovery.append(&mut diagnostics.warnings);
    diagnostics.warnings = discovery;

    let mut profiles = args.profiles.clone();
    if let Some(list) = env.get("COMPOSE_PROFILES")? {
        profiles.extend(
            list.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(String::from),
        );
    }

    register_names(&redactor, &name, &model);
    Ok(Project {
        name,
        name_origin,
        directory,
        files,
        env_files,
        profiles,
        model,
        env,
        diagnostics,
    })
}

/// The project's names are public: a secret equal to one of them does not mask it (see
/// `redact`). The project, every service, its container name and image, and the top-level
/// networks, volumes, secrets and configs (keys and `name:`).
fn register_names(redactor: &Redactor, project: &str, model: &compose::ComposeModel) {
    redactor.add_name(project);
    for (name, service) in &model.services {
        redactor.add_name(name);
        for name in [&service.container_name, &service.image]
            .into_iter()
            .flatten()
        {
            redactor.add_name(name);
        }
    }
    for section in ["networks", "volumes", "secrets", "configs"] {
        let Some(entries) = model.raw.get(section).and_then(|v| v.as_mapping()) else {
            continue;
        };
        for (key, value) in entries {
            if let Some(key) = key.as_str() {
                redactor.add_name(key);
            }
            if let Some(name) = value.get("name").and_then(|n| n.as_str()) {
                redactor.add_name(name);
            }
        }
    }
}

/// The process environment as Compose sees it: with `PWD` set to the working directory when
/// the environment does not set it (a shell does; `env -i`, cron and CI runners may not).
fn with_pwd(process: &ProcessEnv, cwd: &Path) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = process
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !process.contains_key("PWD") {
        vars.push(("PWD".into(), cwd.display().to_string()));
    }
    vars
}

/// `path` from `cwd`, cleaned lexically as Go's `filepath.Abs` cleans it.
fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    crate::config::normalize_path(&cwd.join(path))
}

/// Whether COMPOSE_DISABLE_ENV_FILE (from the process environment only, as in Compose) turns
/// the default `.env` off; its value is read as Go's `strconv.ParseBool` reads it.
fn env_file_disabled(process: &ProcessEnv) -> Result<bool, ConfigError> {
    const VAR: &str = "COMPOSE_DISABLE_ENV_FILE";
    match process.get(VAR).map(String::as_str) {
        None => Ok(false),
        Some("1" | "t" | "T" | "TRUE" | "true" | "True") => Ok(true),
        Some("0" | "f" | "F" | "FALSE" | "false" | "False") => Ok(false),
        Some(_) => Err(ConfigError::Invalid {
            path: "the environment".into(),
            key: VAR.into(),
            message: "must be true or false (1, t, TRUE, 0, f, FALSE...)".into(),
        }),
    }
}

/// The folder holding `file`.
fn parent_of(file: &Path, cwd: &Path) -> PathBuf {
    file.parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| cwd.to_path_buf())
}

/// The `.env` of `dir`, when there is one; anything else by that name (a FIFO) is an error
/// when read, not silently passed over. A folder or a dangling symlink counts as no `.env`,
/// as in Compose.
fn default_env_file(dir: &Path) -> Option<PathBuf> {
    let path = dir.join(".env");
    std::fs::metadata(&path)
        .is_ok_and(|m| !m.is_dir())
        .then_some(path)
}

/// The compose files and the warnings finding them gave: `-f` flags, else PHI_FILE, else
/// COMPOSE_FILE (separated by COMPOSE_PATH_SEPARATOR, default `:`; relative paths from the
/// working directory, as in Compose), else the first default file name in `dir` or the
/// nearest parent folder holding one, plus an override file beside it.
fn compose_files(
    args: &GlobalArgs,
    env: &Env,
    cwd: &Path,
    dir: &Path,
) -> Result<(Vec<PathBuf>, Vec<String>), ConfigError> {
    if !args.files.is_empty() {
        let files = args.files.iter().map(|f| absolute(cwd, f)).collect();
        return Ok((files, Vec::new()));
    }
    let separator = env
        .get("COMPOSE_PATH_SEPARATOR")?
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| ":".into());
    if let Some(list) = env.get("PHI_FILE")?.filter(|s| !s.trim().is_empty()) {
        let files = list
            .split(separator.as_str())
            .filter(|s| !s.is_empty())
            .map(|f| absolute(cwd, Path::new(f)))
            .collect();
        return Ok((files, Vec::new()));
    }
    if let Some(list) = env.get("COMPOSE_FILE")? {
        // Compose reads an empty entry as the working directory, and fails reading it.
        if list.split(separator.as_str()).any(str::is_empty) {
            return Err(ConfigError::Invalid {
                path: env
                    .raw("COMPOSE_FILE")
                    .map_or_else(|| "the environment".into(), |v| v.origin.to_string()),
                key: "COMPOSE_FILE".into(),
                message: format!("an empty entry (between `{separator}`s) names no file"),
            });
        }
        let files = list
            .split(separator.as_str())
            .map(|f| absolute(cwd, Path::new(f)))
            .collect();
        return Ok((files, Vec::new()));
    }
    let mut warnings = Vec::new();
    for folder in dir.ancestors() {
        let found = existing(folder, &DEFAULT_FILES);
        let Some(first) = found.first() else {
            continue;
        };
        if found.len() > 1 {
            warnings.push(several("config", &found));
        }
        let mut files = vec![first.clone()];
        let overrides = existing(folder, &OVERRIDE_FILES);
        if overrides.len() > 1 {
            warnings.push(several("override", &overrides));
        }
        files.extend(overrides.into_iter().next());
        return Ok((files, warnings));
    }
    Err(ConfigError::NoComposeFile {
        dir: dir.to_path_buf(),
        candidates: DEFAULT_FILES.join(", "),
    })
}

/// The paths of `names` that exist in `folder` (any kind of file, as Compose's `os.Stat`).
fn existing(folder: &Path, names: &[&str]) -> Vec<PathBuf> {
    names
        .iter()
        .map(|name| folder.join(name))
        .filter(|path| std::fs::metadata(path).is_ok())
        .collect()
}

fn several(kind: &str, found: &[PathBuf]) -> String {
    let list: Vec<String> = found.iter().map(|p| p.display().to_string()).collect();
    format!(
        "found multiple {kind} files with supported names: {}; using {}",
        list.join(", "),
        list[0]
    )
}

/// The project name and where it came from, in Compose's order: `-p`, else
/// COMPOSE_PROJECT_NAME, else the files' `name:` (see [`compose::declared_name`]), else the
/// project directory's name. A name given by `-p` or the variable must be valid as it is;
/// one from `name:` or the folder is normalised (`name: MyApp` is `myapp`), and refused only
/// when nothing is left.
pub fn project_name(
    flag: Option<&str>,
    file: Option<&str>,
    env: Option<&str>,
    directory: &Path,
) -> Result<(String, String), ConfigError> {
    for (value, origin) in [(flag, "--project-name"), (env, "COMPOSE_PROJECT_NAME")] {
        if let Some(name) = value.filter(|v| !v.is_empty()) {
            validate_project_name(name, origin)?;
            return Ok((name.to_string(), origin.to_string()));
        }
    }
    let (base, origin) = match file {
        Some(name) => (name.to_string(), "the compose file's `name:`".to_string()),
        None => (
            directory
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            format!("the directory name {}", directory.display()),
        ),
    };
    let name = normalize_project_name(&base);
    if name.is_empty() {
        return Err(ConfigError::ProjectName {
            name: base,
            origin,
            reason: "nothing is left after normalisation (Compose: project name must not be \
                     empty); set one with -p"
                .into(),
        });
    }
    Ok((name, origin))
}

/// Compose's normalisation: lower case, keep `[a-z0-9_-]`, drop leading `_` and `-`.
pub fn normalize_project_name(name: &str) -> String {
    let kept: String = name
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    kept.trim_start_matches(['_', '-']).to_string()
}

fn validate_project_name(name: &str, origin: &str) -> Result<(), ConfigError> {
    let mut chars = name.chars();
    let valid_first = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let valid_rest =
        chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if valid_first && valid_rest {
        Ok(())
    } else {
        Err(ConfigError::ProjectName {
            name: name.to_string(),
            origin: origin.to_string(),
            reason: "it must be lower-case letters, digits, `-` and `_`, starting with a letter or digit".into(),
        })
    }
}

// ------------------------------------------------------------------ command settings --
//
// Each subcommand's settings from its flags and the global ones: clap's types stop here.

/// How output looks: `--json`, `-q`, `-v`, `--color`.
pub struct OutputSettings {
    pub format: Format,
    pub quiet: bool,
    pub verbose: u8,
    pub color: ColorChoice,
}

pub fn output(global: &GlobalArgs) -> OutputSettings {
    OutputSettings {
        format: if global.json {
            Format::Json
        } else {
            Format::Human
        },
        quiet: global.quiet,
        verbose: global.verbose,
        color: match global.color {
            cli::ColorChoice::Auto => ColorChoice::Auto,
            cli::ColorChoice::Always => ColorChoice::Always,
            cli::ColorChoice::Never => ColorChoice::Never,
        },
    }
}

/// `phi status`.
pub fn status(args: &cli::StatusArgs, global: &GlobalArgs) -> status::Settings {
    status::Settings {
        services: args.services.clone(),
        timeout: global.timeout.unwrap_or(status::DEFAULT_TIMEOUT),
    }
}

/// `phi start-all`.
pub fn start_all(args: &cli::StartAllArgs, global: &GlobalArgs) -> start_all::Settings {
    start_all::Settings {
        services: args.services.clone(),
        force_recreate: args.force_recreate,
        no_wait: args.no_wait,
        remove_orphans: args.remove_orphans,
        dry_run: args.dry_run,
        pull: args.pull.map(|choice| match choice {
            cli::PullChoice::Always => start_all::PullPolicy::Always,
            cli::PullChoice::Missing => start_all::PullPolicy::Missing,
            cli::PullChoice::Never => start_all::PullPolicy::Never,
        }),
        build: args.build,
        timeout: global.timeout.unwrap_or(start_all::DEFAULT_TIMEOUT),
    }
}

/// `phi stop-all`.
pub fn stop_all(args: &cli::StopAllArgs, global: &GlobalArgs) -> stop_all::Settings {
    stop_all::Settings {
        services: args.services.clone(),
        remove: args.remove || args.volumes,
        volumes: args.volumes,
        remove_orphans: args.remove_orphans,
        dry_run: args.dry_run,
        timeout: global.timeout,
        yes: global.yes,
    }
}

/// `phi check-auth`.
pub fn check_auth(args: &cli::CheckAuthArgs, global: &GlobalArgs) -> check_auth::Settings {
    check_auth::Settings {
        online: args.online,
        strict: args.strict,
        timeout: global.timeout.unwrap_or(check_auth::DEFAULT_TIMEOUT),
    }
}

/// `phi config`: `--format` (else JSON with `--json`, else YAML), one listing, `-q`.
pub fn config(args: &cli::ConfigArgs, global: &GlobalArgs) -> config::Settings {
    let format = match args.format {
        Some(cli::ConfigFormat::Json) => config::Format::Json,
        Some(cli::ConfigFormat::Yaml) => config::Format::Yaml,
        None if global.json => config::Format::Json,
        None => config::Format::Yaml,
    };
    let listing = [
        (args.list_services, config::Listing::Services),
        (args.images, config::Listing::Images),
        (args.volumes, config::Listing::Volumes),
        (args.networks, config::Listing::Networks),
        (args.list_profiles, config::Listing::Profiles),
    ]
    .into_iter()
    .find_map(|(set, listing)| set.then_some(listing));
    config::Settings {
        format,
        listing,
        services: args.services.clone(),
        show_secrets: args.show_secrets,
        all_resources: args.all_resources,
        quiet: global.quiet,
    }
}

/// `phi backup` and its actions.
pub fn backup(args: &cli::BackupArgs, global: &GlobalArgs) -> backup::Settings {
    use backup::Action;
    use cli::BackupAction as A;
    let compression = |c: Option<cli::CompressionChoice>| {
        c.map(|c| match c {
            cli::CompressionChoice::Zstd => backup::Compression::Zstd,
            cli::CompressionChoice::Gzip => backup::Compression::Gzip,
        })
    };
    let (action, create, retention) = match &args.action {
        None => (
            Action::Create {
                services: args.create.services.clone(),
                prune: !args.create.no_prune,
            },
            Some(&args.create),
            &args.create.retention,
        ),
        Some(A::Create(create)) => (
            Action::Create {
                services: create.services.clone(),
                prune: !create.no_prune,
            },
            Some(create),
            &create.retention,
        ),
        Some(A::List) => (Action::List, None, &args.create.retention),
        Some(A::Verify { id }) => (
            Action::Verify { id: id.clone() },
            None,
            &args.create.retention,
        ),
        Some(A::Restore { id, services }) => (
            Action::Restore {
                id: id.clone(),
                services: services.clone(),
            },
            None,
            &args.create.retention,
        ),
        Some(A::Drill { id }) => (
            Action::Drill { id: id.clone() },
            None,
            &args.create.retention,
        ),
        Some(A::Check { max_age }) => (
            Action::Check { max_age: *max_age },
            None,
            &args.create.retention,
        ),
        Some(A::Prune { retention, dry_run }) => {
            (Action::Prune { dry_run: *dry_run }, None, retention)
        }
        Some(A::Push { id }) => (
            Action::Push { id: id.clone() },
            None,
            &args.create.retention,
        ),
    };
    backup::Settings {
        action,
        dir: args.dir.clone(),
        compression: compression(create.and_then(|c| c.compression)),
        keep_last: retention.keep_last,
        keep_days: retention.keep_days,
        lock_timeout: args.lock_timeout,
        identity: args.identity.clone(),
        prometheus: args.prometheus.clone(),
        timeout: global.timeout,
        yes: global.yes,
        to: args.to.clone(),
        from: args.from.clone(),
        keep_local: args.keep_local,
    }
}

/// `phi monitor`.
pub fn monitor(args: &cli::MonitorArgs, global: &GlobalArgs) -> monitor::Settings {
    monitor::Settings {
        services: args.services.clone(),
        once: args.once,
        interval: args.interval,
        count: args.count,
        cpu: args.cpu,
        memory: args.mem,
        max_restarts: args.max_restarts,
        consecutive: args.consecutive,
        webhook: args.webhook.clone(),
        webhook_timeout: args.webhook_timeout,
        log: args.log.clone(),
        log_max_bytes: args.log_max_size,
        log_files: args.log_files,
        prometheus: args.prometheus.clone(),
        serve: args.serve.clone(),
        sort: match args.sort {
            cli::SortBy::Cpu => monitor::SortKey::Cpu,
            cli::SortBy::Mem => monitor::SortKey::Memory,
            cli::SortBy::Name => monitor::SortKey::Name,
        },
        timeout: global.timeout.unwrap_or(monitor::DEFAULT_TIMEOUT),
        engine_stats: args.engine_stats,
    }
}

/// The command line as phi parses it: cli's definition, with each subcommand's --timeout
/// help naming the default that subcommand really uses (the same constants as above).
pub fn command() -> clap::Command {
    let mut root = cli::command();
    let Some(timeout) = root
        .get_arguments()
        .find(|a| a.get_id() == "timeout")
        .cloned()
    else {
        return root;
    };
    for (name, help) in timeout_help() {
        // A subcommand's own copy of the global flag is not replaced by the root's when clap
        // propagates globals, and its value still reaches the root's matches.
        let arg = timeout.clone().help(help);
        root = root.mut_subcommand(name, |sub| sub.arg(arg));
    }
    root
}

/// Each subcommand's --timeout help, its default generated from the constants it uses.
pub fn timeout_help() -> Vec<(&'static str, String)> {
    let d = |d: std::time::Duration| humantime::format_duration(d).to_string();
    let unused = |name: &str| format!("Unused: {name} never waits for anything");
    vec![
        (
            "status",
            format!(
                "Longest time to wait for the engine and the health probes, e.g. 10s, 2m [default: {}]",
                d(status::DEFAULT_TIMEOUT)
            ),
        ),
        (
            "start-all",
            format!(
                "Longest time the whole start-up may take, e.g. 90s, 10m [default: {}]",
                d(start_all::DEFAULT_TIMEOUT)
            ),
        ),
        (
            "stop-all",
            format!(
                "Time each container gets between its stop signal and SIGKILL, and the longest wait \
                 for pre_stop hooks and the project lock, e.g. 30s [default: the service's \
                 stop_grace_period, else {}; {} for the hooks, {} for the lock]",
                d(stop_all::DEFAULT_GRACE),
                d(stop_all::DEFAULT_HOOK_LIMIT),
                d(stop_all::LOCK_WAIT)
            ),
        ),
        (
            "monitor",
            format!(
                "Longest time to wait for the engine, e.g. 10s [default: {}]",
                d(monitor::DEFAULT_TIMEOUT)
            ),
        ),
        (
            "check-auth",
            format!(
                "Longest time each wait (engine, registries, GitHub, git, gcloud) may take \
                 [default: {}]",
                d(check_auth::DEFAULT_TIMEOUT)
            ),
        ),
        (
            "backup",
            format!(
                "Longest a transfer may stall, and the limit of the other waits, e.g. 5m \
                 [default: {} for a stalled transfer, {} to reach the engine, {} for Redis's BGSAVE]",
                d(backup::DEFAULT_STALL),
                d(backup::DEFAULT_CONNECT),
                d(backup::BGSAVE_TIMEOUT)
            ),
        ),
        ("config", unused("config")),
        ("completions", unused("completions")),
        ("man", unused("man")),
    ]
}

/// What a completion needs from the words typed so far: the flags that choose the project
/// and the backup directory, the environment and the working directory.
struct CompletionContext {
    global: GlobalArgs,
    backup_dir: Option<PathBuf>,
    process: ProcessEnv,
    cwd: PathBuf,
}

impl CompletionContext {
    /// The project as a real run resolves it (no engine contact); None when it does not load.
    fn project(&self) -> Option<Project> {
        load_project(&self.global, &self.process, &self.cwd, Redactor::new()).ok()
    }

    fn services(&self, current: &std::ffi::OsStr) -> Vec<CompletionCandidate> {
        let current = current.to_string_lossy();
        let Some(project) = self.project() else {
            return Vec::new();
        };
        project
            .model
            .services
            .keys()
            .filter(|name| name.starts_with(current.as_ref()))
            .map(CompletionCandidate::new)
            .collect()
    }

    fn backup_ids(&self, current: &std::ffi::OsStr) -> Vec<CompletionCandidate> {
        let current = current.to_string_lossy();
        let ids = match (self.project(), &self.backup_dir, &self.global.project_name) {
            (Some(project), dir, _) => backup::completion_ids(&project, dir.as_deref()),
            // No compose file here, but --dir and -p say where and whose.
            (None, Some(dir), Some(name)) => {
                backup::completion_ids_in(&self.cwd.join(dir), &normalize_project_name(name))
            }
            (None, _, _) => return Vec::new(),
        };
        std::iter::once(("latest".to_string(), "the newest complete backup"))
            .chain(ids)
            .filter(|(id, _)| id.starts_with(current.as_ref()))
            .map(|(id, state)| CompletionCandidate::new(id).help(Some(state.into())))
            .collect()
    }
}

/// The flags of `words` (the command line being completed, the word under the cursor
/// included) that choose the project: -f, -p, --project-directory, --env-file, --profile,
/// and backup's --dir. Read leniently: anything else is skipped.
fn completion_flags(words: &[std::ffi::OsString]) -> (GlobalArgs, Option<PathBuf>) {
    let mut global = GlobalArgs {
        files: Vec::new(),
        project_name: None,
        project_directory: None,
        env_files: Vec::new(),
        profiles: Vec::new(),
        json: false,
        quiet: false,
        verbose: 0,
        color: cli::ColorChoice::Never,
        yes: false,
        timeout: None,
    };
    let mut backup_dir = None;
    // The last word is being typed: it names nothing yet.
    let typed = &words[..words.len().saturating_sub(1)];
    let mut words = typed.iter().skip(1).map(|w| w.to_string_lossy());
    while let Some(word) = words.next() {
        if word == "--" {
            break;
        }
        let (flag, inline) = match word.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_string(), Some(value.to_string()))
            }
            _ if word.starts_with('-') && !word.starts_with("--") => {
                match (word.get(..2), word.get(2..)) {
                    (Some(flag), Some(rest)) if !rest.is_empty() => {
                        (flag.to_string(), Some(rest.to_string()))
                    }
                    _ => (word.to_string(), None),
                }
            }
            _ => (word.to_string(), None),
        };
        if !matches!(
            flag.as_str(),
            "-f" | "--file"
                | "-p"
                | "--project-name"
                | "--project-directory"
                | "--env-file"
                | "--profile"
                | "--dir"
        ) {
            continue;
        }
        let Some(value) = inline.or_else(|| words.next().map(|w| w.to_string())) else {
            break;
        };
        match flag.as_str() {
            "-f" | "--file" => global.files.push(value.into()),
            "-p" | "--project-name" => global.project_name = Some(value),
            "--project-directory" => global.project_directory = Some(value.into()),
            "--env-file" => global.env_files.push(value.into()),
            "--profile" => global.profiles.push(value),
            _ => backup_dir = Some(value.into()),
        }
    }
    (global, backup_dir)
}

/// [`command`] for the shell's completion call: service names (from the compose files the
/// words name, resolved as a run resolves them) for every services argument, backup IDs
/// (from the backup directory) for backup verify and restore, and page names for man. Files
/// are read only when such a value is asked for; a project that does not load gives no
/// candidates.
pub fn completing_command(
    words: &[std::ffi::OsString],
    process: ProcessEnv,
    cwd: PathBuf,
) -> clap::Command {
    let (global, backup_dir) = completion_flags(words);
    let context = std::sync::Arc::new(CompletionContext {
        global,
        backup_dir,
        process,
        cwd,
    });
    let services = {
        let context = context.clone();
        ArgValueCompleter::new(move |current: &std::ffi::OsStr| context.services(current))
    };
    let ids = ArgValueCompleter::new(move |current: &std::ffi::OsStr| context.backup_ids(current));
    let with = |completer: &ArgValueCompleter| {
        let completer = completer.clone();
        move |arg: clap::Arg| arg.add(completer)
    };
    let mut root = command();
    for name in ["status", "start-all", "stop-all", "monitor", "config"] {
        root = root.mut_subcommand(name, |sub| sub.mut_arg("services", with(&services)));
    }
    let pages = ArgValueCandidates::new(|| {
        crate::commands::docs::man_pages()
            .into_iter()
            .map(CompletionCandidate::new)
            .collect()
    });
    root = root.mut_subcommand("man", |man| man.mut_arg("subcommand", |arg| arg.add(pages)));
    root.mut_subcommand("backup", |backup| {
        backup
            .mut_arg("services", with(&services))
            .mut_subcommand("create", |sub| sub.mut_arg("services", with(&services)))
            .mut_subcommand("verify", |sub| sub.mut_arg("id", with(&ids)))
            .mut_subcommand("drill", |sub| sub.mut_arg("id", with(&ids)))
            .mut_subcommand("push", |sub| sub.mut_arg("id", with(&ids)))
            .mut_subcommand("restore", |sub| {
                sub.mut_arg("id", with(&ids))
                    .mut_arg("services", with(&services))
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(extra: &[&str]) -> GlobalArgs {
        let mut argv = vec!["phi"];
        argv.extend_from_slice(extra);
        argv.push("status");
        crate::cli::Cli::parse_from(argv).global
    }

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// `phi <argv> --help` as phi prints it.
    fn help(argv: &[&str]) -> String {
        let mut full = vec!["phi"];
        full.extend_from_slice(argv);
        full.push("--help");
        command()
            .try_get_matches_from(full)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn timeout_help_shows_each_commands_real_default() {
        let d = |d: std::time::Duration| humantime::format_duration(d).to_string();
        let cases = [
            (vec!["status"], d(status::DEFAULT_TIMEOUT)),
            (vec!["start-all"], d(start_all::DEFAULT_TIMEOUT)),
            (vec!["monitor"], d(monitor::DEFAULT_TIMEOUT)),
            (vec!["check-auth"], d(check_auth::DEFAULT_TIMEOUT)),
        ];
        for (argv, default) in cases {
            let text = help(&argv);
            assert!(
                text.contains(&format!("[default: {default}]")),
                "{argv:?}: {text}"
            );
            assert!(!text.contains("per command"), "{argv:?}");
        }
        let stop = help(&["stop-all"])
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        for want in [
            format!("stop_grace_period, else {}", d(stop_all::DEFAULT_GRACE)),
            format!("{} for the hooks", d(stop_all::DEFAULT_HOOK_LIMIT)),
            format!("{} for the lock", d(stop_all::LOCK_WAIT)),
        ] {
            assert!(stop.contains(&want), "{want}: {stop}");
        }
        for argv in [&["backup"][..], &["backup", "restore"], &["backup", "list"]] {
            let text = help(argv).split_whitespace().collect::<Vec<_>>().join(" ");
            for want in [
                format!("{} for a stalled transfer", d(backup::DEFAULT_STALL)),
                format!("{} to reach the engine", d(backup::DEFAULT_CONNECT)),
                format!("{} for Redis's BGSAVE", d(backup::BGSAVE_TIMEOUT)),
            ] {
                assert!(text.contains(&want), "{argv:?} {want}: {text}");
            }
        }
        // The root names no single default.
        let root = help(&[]).split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            root.contains("[default: per command, see its --help]"),
            "{root}"
        );
        // Every subcommand has its own text.
        let named: Vec<&str> = timeout_help().iter().map(|(n, _)| *n).collect();
        for sub in cli::command().get_subcommands() {
            assert!(named.contains(&sub.get_name()), "{}", sub.get_name());
        }
    }

    #[test]
    fn a_subcommands_timeout_still_reaches_the_global_flag() {
        use clap::FromArgMatches;
        for argv in [
            &["phi", "status", "--timeout", "7s"][..],
            &["phi", "--timeout", "7s", "status"],
            &["phi", "backup", "verify", "--timeout", "7s"],
            &["phi", "stop-all", "--timeout=7s"],
        ] {
            let matches = command().try_get_matches_from(argv).unwrap();
            let cli = cli::Cli::from_arg_matches(&matches).unwrap();
            assert_eq!(
                cli.global.timeout,
                Some(std::time::Duration::from_secs(7)),
                "{argv:?}"
            );
        }
    }

    #[test]
    fn completion_reads_the_flags_that_choose_the_project() {
        let words: Vec<std::ffi::OsString> = [
            "phi",
            "-fa.yaml",
            "--file",
            "b.yaml",
            "-v",
            "-p",
            "x",
            "--project-directory=/d",
            "--env-file",
            "e",
            "--profile",
            "dev",
            "backup",
            "--dir",
            "/b",
            "-é",
            "restore",
            "-f",
        ]
        .iter()
        .map(Into::into)
        .collect();
        let (global, dir) = completion_flags(&words);
        assert_eq!(
            global.files,
            [PathBuf::from("a.yaml"), PathBuf::from("b.yaml")]
        );
        assert_eq!(global.project_name.as_deref(), Some("x"));
        assert_eq!(global.project_directory, Some(PathBuf::from("/d")));
        assert_eq!(global.env_files, [PathBuf::from("e")]);
        assert_eq!(global.profiles, ["dev"]);
        assert_eq!(dir, Some(PathBuf::from("/b")));
        // A flag left without its value, or no words at all, is no trouble.
        let (global, _) = completion_flags(&["phi".into(), "-f".into(), "x".into()]);
        assert!(global.files.is_empty());
        assert!(completion_flags(&[]).0.files.is_empty());
    }

    #[test]
    fn project_name_precedence_and_normalisation() {
        let dir = Path::new("/srv/My Stack.v2");
        assert_eq!(
            project_name(Some("flag"), Some("file"), Some("env"), dir)
                .unwrap()
                .0,
            "flag"
        );
        // As in Compose, the variable wins over the file's `name:`.
        assert_eq!(
            project_name(None, Some("file"), Some("env"), dir)
                .unwrap()
                .0,
            "env"
        );
        assert_eq!(
            project_name(None, Some("file"), None, dir).unwrap().0,
            "file"
        );
        assert_eq!(project_name(None, None, Some("env"), dir).unwrap().0, "env");
        assert_eq!(project_name(None, None, None, dir).unwrap().0, "mystackv2");
        assert_eq!(normalize_project_name("__Phi-Demo_1"), "phi-demo_1");
        assert!(project_name(Some("Bad Name"), None, None, dir).is_err());
        assert!(project_name(Some("-x"), None, None, dir).is_err());
        assert!(project_name(None, None, None, Path::new("/srv/___")).is_err());
        // Compose normalises a `name:` (and refuses it only when nothing is left), but takes
        // `-p` and COMPOSE_PROJECT_NAME as they are.
        assert_eq!(
            project_name(None, Some("My Proj!"), None, dir).unwrap().0,
            "myproj"
        );
        assert!(project_name(None, Some("___"), None, dir).is_err());
        assert!(project_name(None, None, Some("MyProj"), dir).is_err());
        assert!(project_name(None, Some(""), None, dir).is_err());
    }

    #[test]
    fn compose_project_name_and_pwd_are_provided_for_interpolation() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("Stack");
        write(
            &root.join("compose.yaml"),
            "name: ${APP:-My App}\nservices:\n  web:\n    image: x\n    environment:\n      \
             - P=${COMPOSE_PROJECT_NAME}\n      - W=${PWD}\n",
        );
        write(
            &root.join(".env"),
            "COMPOSE_PROJECT_NAME=\nPWD=/from-dotenv\n",
        );
        let env_of = |project: &Project| {
            project.model.services["web"].raw["environment"]
                .as_sequence()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        let project = load_project(&args(&[]), &ProcessEnv::new(), &root, Redactor::new()).unwrap();
        assert_eq!(project.name, "myapp");
        // PWD is the working directory when the environment does not set it, and wins over
        // the .env file as the environment does.
        assert_eq!(
            env_of(&project),
            ["P=myapp".to_string(), format!("W={}", root.display())]
        );
        let process: ProcessEnv = [("PWD".to_string(), "/elsewhere".to_string())].into();
        let project =
            load_project(&args(&["-p", "flag"]), &process, &root, Redactor::new()).unwrap();
        assert_eq!(env_of(&project), ["P=flag", "W=/elsewhere"]);
    }

    #[test]
    fn default_files_env_file_and_name_come_from_the_project_directory() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("Stack");
        write(
            &root.join("compose.yaml"),
            "services:\n  web:\n    image: ${WEB_IMAGE}\n",
        );
        write(
            &root.join("compose.override.yaml"),
            "services:\n  extra:\n    image: x\n",
        );
        write(
            &root.join(".env"),
            "WEB_IMAGE=nginx:1\nCOMPOSE_PROFILES=\"a, b\"\n",
        );
        let project = load_project(&args(&[]), &ProcessEnv::new(), &root, Redactor::new()).unwrap();
        assert_eq!(project.name, "stack");
        assert_eq!(project.files.len(), 2);
        assert_eq!(project.env_files, vec![root.join(".env")]);
        assert_eq!(
            project.model.services["web"].image.as_deref(),
            Some("nginx:1")
        );
        assert!(project.model.services.contains_key("extra"));
        assert_eq!(project.profiles, vec!["a", "b"]);
    }

    #[test]
    fn explicit_files_set_the_project_directory_and_flags_win() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("deploy");
        write(
            &sub.join("stack.yml"),
            "name: from-file\nservices:\n  a:\n    image: a\n",
        );
        write(&sub.join(".env"), "COMPOSE_PROJECT_NAME=from-env\n");
        let project = load_project(
            &args(&["-f", "deploy/stack.yml"]),
            &ProcessEnv::new(),
            dir.path(),
            Redactor::new(),
        )
        .unwrap();
        assert_eq!(project.directory, sub);
        assert_eq!(project.name, "from-env");
        let project = load_project(
            &args(&["-f", "deploy/stack.yml", "-p", "from-flag"]),
            &ProcessEnv::new(),
            dir.path(),
            Redactor::new(),
        )
        .unwrap();
        assert_eq!(project.name, "from-flag");
    }

    #[test]
    fn compose_file_variable_and_process_env_precedence() {
        let dir = tempfile::tempdir().unwrap();
        write(
            &dir.path().join("one.yaml"),
            "services:\n  a:\n    image: ${IMG}\n",
        );
        write(
            &dir.path().join("two.yaml"),
            "services:\n  b:\n    image: b\n",
        );
        write(
            &dir.path().join(".env"),
            "COMPOSE_FILE=one.yaml:two.yaml\nIMG=from-dotenv\n",
        );
        let mut process = ProcessEnv::new();
        process.insert("IMG".into(), "from-process".into());
        let project = load_project(&args(&[]), &process, dir.path(), Redactor::new()).unwrap();
        assert_eq!(project.files.len(), 2);
        assert_eq!(
            project.model.services["a"].image.as_deref(),
            Some("from-process")
        );
        process.insert("PHI_FILE".into(), "two.yaml".into());
        let project = load_project(&args(&[]), &process, dir.path(), Redactor::new()).unwrap();
        assert_eq!(project.files, vec![dir.path().join("two.yaml")]);
    }

    #[test]
    fn files_are_found_upward_and_each_folder_gives_its_env_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("proj");
        let sub = root.join("sub");
        write(
            &root.join("compose.yaml"),
            "services:\n  a:\n    image: ${IMG}-${ROOT_ONLY}\n",
        );
        // Compose takes the `.yml` override before the `.yaml` one, and warns.
        write(
            &root.join("compose.override.yml"),
            "services:\n  b:\n    image: b\n",
        );
        write(
            &root.join("compose.override.yaml"),
            "services:\n  c:\n    image: c\n",
        );
        write(&root.join(".env"), "IMG=root\nROOT_ONLY=r\n");
        write(&sub.join(".env"), "IMG=sub\n");
        let project = load_project(&args(&[]), &ProcessEnv::new(), &sub, Redactor::new()).unwrap();
        assert_eq!(
            project.files,
            [root.join("compose.yaml"), root.join("compose.override.yml")]
        );
        assert_eq!(project.directory, root);
        assert_eq!(project.name, "proj");
        // The working directory's `.env` is read first and wins; the project's fills in.
        assert_eq!(project.model.services["a"].image.as_deref(), Some("sub-r"));
        assert_eq!(project.env_files, [sub.join(".env"), root.join(".env")]);
        assert!(project.diagnostics.warnings[0].contains("multiple override files"));

        // --project-directory without -f: the files and the `.env` of that folder.
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir_all(&elsewhere).unwrap();
        let project = load_project(
            &args(&["--project-directory", "../proj"]),
            &ProcessEnv::new(),
            &elsewhere,
            Redactor::new(),
        )
        .unwrap();
        assert_eq!(project.directory, root);
        assert_eq!(project.model.services["a"].image.as_deref(), Some("root-r"));
    }

    #[test]
    fn compose_disable_env_file_turns_the_default_env_file_off() {
        let dir = tempfile::tempdir().unwrap();
        write(
            &dir.path().join("compose.yaml"),
            "services:\n  a:\n    image: ${IMG:-none}\n",
        );
        write(&dir.path().join(".env"), "IMG=dotenv\n");
        let image = |value: &str| {
            let process: ProcessEnv = [("COMPOSE_DISABLE_ENV_FILE".into(), value.into())].into();
            load_project(&args(&[]), &process, dir.path(), Redactor::new())
                .map(|p| p.model.services["a"].image.clone().unwrap())
        };
        assert_eq!(image("1").unwrap(), "none");
        assert_eq!(image("TRUE").unwrap(), "none");
        assert_eq!(image("false").unwrap(), "dotenv");
        assert!(image("yes").is_err());
    }

    #[test]
    fn compose_file_paths_start_at_the_working_directory() {
        let dir = tempfile::tempdir().unwrap();
        write(
            &dir.path().join("other/compose.yaml"),
            "services:\n  o:\n    image: o\n",
        );
        write(
            &dir.path().join("proj/compose.yaml"),
            "services:\n  p:\n    image: p\n",
        );
        let process: ProcessEnv = [("COMPOSE_FILE".into(), "other/compose.yaml".into())].into();
        let project = load_project(
            &args(&["--project-directory", "proj"]),
            &process,
            dir.path(),
            Redactor::new(),
        )
        .unwrap();
        assert_eq!(project.files, [dir.path().join("other/compose.yaml")]);
        assert_eq!(project.directory, dir.path().join("proj"));
        // An empty entry is refused, as Compose fails reading the folder it stands for.
        let process: ProcessEnv = [("COMPOSE_FILE".into(), "other/compose.yaml:".into())].into();
        let err = load_project(&args(&[]), &process, dir.path(), Redactor::new()).unwrap_err();
        assert!(err.to_string().contains("COMPOSE_FILE"), "{err}");
    }

    #[test]
    fn missing_files_are_errors_naming_them() {
        let dir = tempfile::tempdir().unwrap();
        let err =
            load_project(&args(&[]), &ProcessEnv::new(), dir.path(), Redactor::new()).unwrap_err();
        assert!(matches!(err, ConfigError::NoComposeFile { .. }));
        write(
            &dir.path().join("compose.yaml"),
            "services:\n  a:\n    image: a\n",
        );
        let err = load_project(
            &args(&["--env-file", "absent.env"]),
            &ProcessEnv::new(),
            dir.path(),
            Redactor::new(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("absent.env"), "{err}");
        let err = load_project(
            &args(&["-f", "nope.yaml"]),
            &ProcessEnv::new(),
            dir.path(),
            Redactor::new(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("nope.yaml"), "{err}");
    }
}
