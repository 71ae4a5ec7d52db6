//! phi: operate a Docker Compose stack through the Docker Engine API.
//!
//! One invocation flows: argv -> `cli` -> `settings` (flags + env files + compose files ->
//! Project, and the subcommand's Settings) -> `commands` (plan, then `engine` calls) -> report
//! -> `output` -> exit status. The README's Design section has the room table.

pub mod cli;
pub mod commands;
pub mod config;
pub mod engine;
pub mod exit;
pub mod files;
pub mod http;
pub mod output;
pub mod redact;
pub mod settings;
pub mod spec;
#[cfg(test)]
mod testing;
pub mod units;

use anyhow::Context;

use cli::{Cli, Command, GlobalArgs};
use commands::{Ctx, Interrupt};
use config::Project;
use exit::Exit;
use output::Printer;
use redact::Redactor;
use settings::ProcessEnv;

/// Run phi with the process's arguments and environment; returns the exit status.
pub fn run() -> Exit {
    if let Some(exit) = complete() {
        return exit;
    }
    let parsed = settings::command()
        .try_get_matches()
        .and_then(|matches| <Cli as clap::FromArgMatches>::from_arg_matches(&matches));
    let cli = match parsed {
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
    if let Ok(cwd) = std::env::current_dir() {
        commands::checks::remember_user_dir(cwd);
    }
    let redactor = Redactor::new();
    let out = settings::output(&cli.global);
    let printer = Printer::new(
        out.format,
        out.quiet,
        out.verbose,
        out.color,
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
    let result = runtime.block_on(dispatch(&cli, printer.clone(), &process, redactor));
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
            if code == Exit::Declined {
                // The user's own answer at a prompt: an outcome to state, not an error.
                printer.plain(&err.to_string());
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

/// The shell's completion call, as the scripts of `phi completions <shell>` make it
/// (`COMPLETE=<shell> phi -- <words>`; with no words, the script itself): the candidates on
/// stdout, exit 0. None when COMPLETE names no shell, so phi runs as usual. It never fails
/// loudly: whatever goes wrong gives no candidates.
fn complete() -> Option<Exit> {
    let shell = std::env::var("COMPLETE").ok()?;
    let shells = clap_complete::env::Shells::builtins();
    let completer = shells.completer(&shell)?;
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let words: Vec<std::ffi::OsString> = match args.iter().position(|a| a == "--") {
        Some(i) => args[i + 1..].to_vec(),
        None => Vec::new(),
    };
    let printer = Printer::new(
        output::Format::Human,
        false,
        0,
        output::ColorChoice::Never,
        |_| None,
        Redactor::new(),
    );
    let out = if words.is_empty() {
        commands::docs::registration(completer)
    } else {
        let cwd = std::env::current_dir().ok();
        let mut cmd = settings::completing_command(
            &words,
            settings::process_env(),
            cwd.clone().unwrap_or_default(),
        );
        cmd.build();
        let mut out = Vec::new();
        if completer
            .write_complete(&mut cmd, words, cwd.as_deref(), &mut out)
            .is_err()
        {
            out.clear();
        }
        out
    };
    let _ = printer.data_bytes(&out);
    Some(Exit::Ok)
}

async fn dispatch(
    cli: &Cli,
    printer: Printer,
    process: &ProcessEnv,
    redactor: Redactor,
) -> anyhow::Result<Exit> {
    let g = &cli.global;
    match &cli.command {
        Command::Completions { shell } => {
            printer.data_bytes(&commands::docs::completions(*shell))?;
            return Ok(Exit::Ok);
        }
        Command::Man { subcommand } => {
            let page = commands::docs::man_page(settings::command(), subcommand.as_deref())
                .map_err(|e| exit::Coded::new(Exit::Usage, e.to_string()))?;
            printer.data_bytes(&page)?;
            return Ok(Exit::Ok);
        }
        _ => {}
    }
    let interrupt = Interrupt::listen();
    let project = load_project(g, process, &printer, redactor)?;
    let ctx = Ctx {
        project,
        printer,
        interrupt,
    };
    let work = async {
        match &cli.command {
            Command::Status(args) => commands::status::run(&ctx, settings::status(args, g)).await,
            Command::StartAll(args) => {
                commands::start_all::run(&ctx, settings::start_all(args, g)).await
            }
            Command::StopAll(args) => {
                commands::stop_all::run(&ctx, settings::stop_all(args, g)).await
            }
            Command::Monitor(args) => {
                commands::monitor::run(&ctx, settings::monitor(args, g)).await
            }
            Command::Backup(args) => commands::backup::run(&ctx, settings::backup(args, g)).await,
            Command::CheckAuth(args) => {
                commands::check_auth::run(&ctx, settings::check_auth(args, g)).await
            }
            Command::Config(args) => commands::config::run(&ctx, settings::config(args, g)).await,
            Command::Completions { .. } | Command::Man { .. } => Ok(Exit::Ok),
        }
    };
    // `monitor` ends on an interrupt by design (exit 0), and `backup` must start stopped
    // services again and say what was left incomplete before it exits 130: both handle it
    // themselves. Everything else is interrupted where it stands (exit 130).
    if matches!(cli.command, Command::Monitor(_) | Command::Backup(_)) {
        return work.await;
    }
    tokio::select! {
        result = work => result,
        _ = ctx.interrupt.wait() => Err(commands::interrupted()),
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
