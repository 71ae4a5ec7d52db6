//! phi: operate a Docker Compose stack through the Docker Engine API.
//!
//! One invocation flows: argv -> `cli` -> `settings` (flags + env files + compose files ->
//! Project) -> `commands` (plan, then `engine` calls) -> report -> `output` -> exit status.

pub mod cli;
pub mod commands;
pub mod config;
pub mod engine;
pub mod exit;
pub mod http;
pub mod output;
pub mod redact;
pub mod settings;
pub mod spec;
#[cfg(test)]
mod testing;
pub mod units;

use std::time::Duration;

use anyhow::Context;
use clap::Parser;

use cli::{Cli, Command, GlobalArgs};
use config::Project;
use engine::{CALL_TIMEOUT, Engine};
use exit::{Coded, Exit};
use output::{Format, Printer};
use redact::Redactor;
use settings::ProcessEnv;

/// Default limit for `phi status` as a whole (engine calls and probes).
const STATUS_TIMEOUT: Duration = Duration::from_secs(30);

/// Run phi with the process's arguments and environment; returns the exit status.
pub fn run() -> Exit {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return match err.kind() {
                clap::error::ErrorKind::DisplayHelp
                | clap::error::ErrorKind::DisplayVersion
                | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => Exit::Ok,
                _ => Exit::Usage,
            };
        }
    };
    let process = settings::process_env();
    let redactor = Redactor::new();
    let g = &cli.global;
    let format = if g.json { Format::Json } else { Format::Human };
    let printer = Printer::new(
        format,
        g.quiet,
        g.verbose,
        g.color,
        |name| process.get(name).cloned(),
        redactor.clone(),
    );

    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            printer.error(&anyhow::Error::new(e).context("cannot start the async runtime"));
            return Exit::Failure;
        }
    };
    // `monitor` ends on Ctrl-C by design (exit 0) and handles it itself; everything else is
    // interrupted (exit 130).
    // `backup` handles it itself too: it must start stopped services again and say what was
    // left incomplete before it exits 130.
    let handles_interrupt = matches!(cli.command, Command::Monitor(_) | Command::Backup(_));
    let result = runtime.block_on(async {
        if handles_interrupt {
            return dispatch(&cli, &printer, &process, redactor).await;
        }
        tokio::select! {
            result = dispatch(&cli, &printer, &process, redactor) => result,
            _ = tokio::signal::ctrl_c() => Err(Coded::new(Exit::Interrupted, "interrupted").into()),
        }
    });
    // Do not wait for background tasks (e.g. idle connections) on the way out.
    runtime.shutdown_background();

    match result {
        Ok(exit) => exit,
        Err(err) if output::is_broken_pipe(&err) => Exit::Ok,
        Err(err) => {
            let code = commands::classify(&err);
            if code == Exit::Interrupted {
                return code;
            }
            printer.error(&err);
            if let Some(hint) = err
                .chain()
                .find_map(|c| c.downcast_ref::<engine::EngineError>())
                .and_then(engine::EngineError::hint)
            {
                printer.hint(&hint);
            }
            code
        }
    }
}

async fn dispatch(
    cli: &Cli,
    printer: &Printer,
    process: &ProcessEnv,
    redactor: Redactor,
) -> anyhow::Result<Exit> {
    match &cli.command {
        Command::Completions { shell } => {
            printer.data_bytes(&commands::docs::completions(*shell))?;
            Ok(Exit::Ok)
        }
        Command::Man { subcommand } => {
            let page = commands::docs::man_page(subcommand.as_deref())
                .map_err(|e| Coded::new(Exit::Usage, e.to_string()))?;
            printer.data_bytes(&page)?;
            Ok(Exit::Ok)
        }
        Command::Status(args) => {
            let project = load_project(&cli.global, process, printer, redactor)?;
            let limit = cli.global.timeout.unwrap_or(STATUS_TIMEOUT);
            let work = async {
                let (engine, _) = connect(&project, printer, limit).await?;
                commands::status::report(&project, &engine, &args.services, limit).await
            };
            let report = tokio::time::timeout(limit, work).await.map_err(|_| {
                Coded::new(
                    Exit::Timeout,
                    format!(
                        "status did not finish within {}",
                        humantime::format_duration(limit)
                    ),
                )
            })??;
            printer
                .report(&report, |color| {
                    commands::status::render_table(&report, color)
                })
                .context("writing the status")?;
            Ok(report.exit())
        }
        Command::StartAll(args) => {
            let project = load_project(&cli.global, process, printer, redactor)?;
            let limit = cli
                .global
                .timeout
                .unwrap_or(commands::start_all::DEFAULT_TIMEOUT);
            let (engine, target) = connect(&project, printer, limit).await?;
            let options = commands::start_all::Options {
                services: args.services.clone(),
                force_recreate: args.force_recreate,
                no_wait: args.no_wait,
                remove_orphans: args.remove_orphans,
                dry_run: args.dry_run,
                pull: match args.pull {
                    cli::PullChoice::Always => commands::start_all::PullPolicy::Always,
                    cli::PullChoice::Missing => commands::start_all::PullPolicy::Missing,
                    cli::PullChoice::Never => commands::start_all::PullPolicy::Never,
                },
                build: args.build,
                timeout: limit,
                local_engine: target.address.starts_with("unix://"),
            };
            let report = commands::start_all::run(&project, &engine, &options, printer).await?;
            printer
                .report(&report, |color| {
                    commands::start_all::render_text(&report, color)
                })
                .context("writing the report")?;
            Ok(report.exit())
        }
        Command::StopAll(args) => {
            let project = load_project(&cli.global, process, printer, redactor)?;
            let (engine, _) = connect(&project, printer, CALL_TIMEOUT).await?;
            let options = commands::stop_all::Options {
                services: args.services.clone(),
                remove: args.remove || args.volumes,
                volumes: args.volumes,
                remove_orphans: args.remove_orphans,
                dry_run: args.dry_run,
                timeout: cli.global.timeout,
                yes: cli.global.yes,
            };
            let report = commands::stop_all::run(&project, &engine, &options, printer).await?;
            printer
                .report(&report, |_| commands::stop_all::render_text(&report))
                .context("writing the report")?;
            Ok(if report.ok { Exit::Ok } else { Exit::Failure })
        }
        Command::Monitor(args) => {
            let project = load_project(&cli.global, process, printer, redactor)?;
            let limit = cli.global.timeout.unwrap_or(CALL_TIMEOUT);
            let (engine, target) = connect(&project, printer, limit).await?;
            let options = monitor_options(args, printer);
            commands::monitor::run(&project, engine, &target, &options, printer).await
        }
        Command::Backup(args) => {
            let project = load_project(&cli.global, process, printer, redactor)?;
            let options = backup_options(args, &cli.global);
            commands::backup::precheck(&project, &options)?;
            let limit = cli.global.timeout.unwrap_or(CALL_TIMEOUT);
            let engine = match &options.action {
                action if commands::backup::needs_engine(action) => {
                    Some(connect(&project, printer, limit).await?.0)
                }
                commands::backup::Action::Verify { .. } => {
                    match connect(&project, printer, limit).await {
                        Ok((engine, _)) => Some(engine),
                        Err(e) => {
                            printer.warn(&format!(
                                "{e:#}; postgres dumps are listed with a local pg_restore if there is one"
                            ));
                            None
                        }
                    }
                }
                _ => None,
            };
            commands::backup::run(&project, engine.as_ref(), &options, printer).await
        }
        Command::CheckAuth(args) => {
            let project = load_project(&cli.global, process, printer, redactor)?;
            let options = commands::check_auth::Options {
                online: args.online,
                strict: args.strict,
                timeout: cli
                    .global
                    .timeout
                    .unwrap_or(commands::check_auth::DEFAULT_TIMEOUT),
            };
            let report = commands::check_auth::report(&project, &options, printer).await;
            printer
                .report(&report, |color| {
                    commands::check_auth::render_table(&report, color)
                })
                .context("writing the checks")?;
            Ok(report.exit())
        }
    }
}

fn backup_options(args: &cli::BackupArgs, global: &GlobalArgs) -> commands::backup::Options {
    use cli::BackupAction as A;
    use commands::backup::Action;
    let compression = |c: Option<cli::CompressionChoice>| {
        c.map(|c| match c {
            cli::CompressionChoice::Zstd => commands::backup::Compression::Zstd,
            cli::CompressionChoice::Gzip => commands::backup::Compression::Gzip,
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
        Some(A::Prune { retention, dry_run }) => {
            (Action::Prune { dry_run: *dry_run }, None, retention)
        }
    };
    commands::backup::Options {
        action,
        dir: args.dir.clone(),
        compression: compression(create.and_then(|c| c.compression)),
        keep_last: retention.keep_last,
        keep_days: retention.keep_days,
        lock_timeout: args.lock_timeout,
        timeout: global.timeout,
        yes: global.yes,
    }
}

fn monitor_options(args: &cli::MonitorArgs, printer: &Printer) -> commands::monitor::Options {
    use std::io::IsTerminal;
    commands::monitor::Options {
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
        sort: match args.sort {
            cli::SortBy::Cpu => commands::monitor::SortKey::Cpu,
            cli::SortBy::Mem => commands::monitor::SortKey::Memory,
            cli::SortBy::Name => commands::monitor::SortKey::Name,
        },
        json_lines: printer.json() || !std::io::stdout().is_terminal(),
        engine_stats: args.engine_stats,
    }
}

/// Resolve the project and tell what was found: warnings always, notes with -v.
fn load_project(
    global: &GlobalArgs,
    process: &ProcessEnv,
    printer: &Printer,
    redactor: Redactor,
) -> anyhow::Result<Project> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let project = settings::load_project(global, process, &cwd, redactor)?;
    for warning in &project.diagnostics.warnings {
        printer.warn(warning);
    }
    for note in &project.diagnostics.notes {
        printer.note(note);
    }
    let files: Vec<String> = project
        .files
        .iter()
        .map(|f| f.display().to_string())
        .collect();
    printer.note(&format!(
        "project `{}` (from {}), files: {}",
        project.name,
        project.name_origin,
        files.join(", ")
    ));
    if !project.env_files.is_empty() {
        let env_files: Vec<String> = project
            .env_files
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        printer.note(&format!("env files: {}", env_files.join(", ")));
    }
    Ok(project)
}

async fn connect(
    project: &Project,
    printer: &Printer,
    limit: Duration,
) -> anyhow::Result<(Engine, engine::Target)> {
    let lookup = |name: &str| project.env.get(name).ok().flatten();
    let target = engine::host::resolve(&lookup)?;
    printer.debug(&format!(
        "engine {} (from {})",
        target.address, target.origin
    ));
    let engine = Engine::connect(&target, limit.min(CALL_TIMEOUT)).await?;
    printer.debug(&format!("engine API version {}", engine.api_version()));
    Ok((engine, target))
}
