//! The command line: clap types only. Nothing outside `settings` and `lib` sees these.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum, ValueHint};

use crate::units::{self, parse_duration};

/// The heading the flags every subcommand takes are listed under, after the command's own.
pub const GLOBAL_OPTIONS: &str = "Global options";

/// One example of a page: the command line and what it does.
pub type Example = (&'static str, &'static str);

/// The examples of every page, by page name (`""` for phi itself, `backup-list` for a nested
/// subcommand): shown under "Examples:" in `--help` and in the man page's EXAMPLES section.
/// Each one is a command line that works as written (a unit test parses every one).
pub const EXAMPLES: &[(&str, &[Example])] = &[
    (
        "",
        &[
            (
                "phi status",
                "every service's state, health, uptime and ports",
            ),
            (
                "phi status --json | jq .ok",
                "one JSON document for scripts",
            ),
            (
                "phi start-all",
                "bring the stack up and wait until it is ready",
            ),
            (
                "phi stop-all --remove --volumes --yes",
                "take it down completely, data volumes included",
            ),
            (
                "phi monitor",
                "live CPU, memory, network and IO of every container",
            ),
            (
                "phi -f compose.yaml -f compose.prod.yaml status",
                "merge two compose files, as Compose does",
            ),
            (
                "phi --project-directory /srv/stack --env-file /etc/stack.env status",
                "a stack elsewhere, with its env file",
            ),
            (
                "phi check-auth --online --strict",
                "secrets and credentials; warnings fail too (for CI)",
            ),
            (
                "phi backup",
                "dump postgres, save redis, tar volumes into ./backups",
            ),
            (
                "phi backup restore latest --services postgres --yes",
                "put the newest backup of postgres back",
            ),
            (
                "phi completions bash > ~/.local/share/bash-completion/completions/phi",
                "completion for bash",
            ),
        ],
    ),
    (
        "status",
        &[
            (
                "phi status",
                "one row per service: state, health, uptime, restarts, ports",
            ),
            (
                "phi status --services postgres,redis",
                "only these services",
            ),
            (
                "phi status --json | jq .ok",
                "true when every service is running and healthy",
            ),
        ],
    ),
    (
        "start-all",
        &[
            (
                "phi start-all",
                "create and start everything, in dependency order, and wait",
            ),
            (
                "phi start-all --dry-run",
                "show what would be created, recreated or started",
            ),
            (
                "phi start-all --services web --timeout 10m",
                "web and what it depends on, within 10 minutes",
            ),
        ],
    ),
    (
        "stop-all",
        &[
            ("phi stop-all", "stop the stack, dependents first"),
            (
                "phi stop-all --services web --timeout 30s",
                "stop web only, 30 s before SIGKILL",
            ),
            (
                "phi stop-all --remove --volumes --yes",
                "remove containers, networks and named volumes",
            ),
        ],
    ),
    (
        "monitor",
        &[
            (
                "phi monitor",
                "a live table, refreshed every 2 s, until Ctrl-C",
            ),
            (
                "phi monitor --once --json",
                "one sample as a JSON line; exit 3 if over a threshold",
            ),
            (
                "phi monitor --cpu 150 --for 3 --webhook https://hooks.example/T0/B0/x",
                "alert after 3 samples over 1.5 cores",
            ),
            (
                "phi monitor --serve 127.0.0.1:9464 --json > /var/log/phi-monitor.jsonl",
                "a Prometheus endpoint beside the JSON lines of samples, events and alerts",
            ),
        ],
    ),
    (
        "check-auth",
        &[
            (
                "phi check-auth",
                "variables, env files, secrets, GCP key, GitHub token, registries",
            ),
            (
                "phi check-auth --online --strict",
                "also ask GitHub about the token; warnings fail too",
            ),
            (
                "phi check-auth --json | jq -r '.checks[] | select(.level == \"error\") | .fix'",
                "the fixes of the errors",
            ),
        ],
    ),
    (
        "backup",
        &[
            (
                "phi backup",
                "back up what x-phi backup declares, then prune",
            ),
            (
                "phi backup --keep-last 7 --compression gzip",
                "gzip files, keep the newest 7 backups",
            ),
            (
                "phi backup --dir /mnt/backups --services postgres",
                "only postgres, into another folder",
            ),
            (
                "phi backup --to s3://bucket/phi --keep-local 2",
                "also copy it offsite; keep two on the host",
            ),
        ],
    ),
    (
        "backup-create",
        &[
            ("phi backup create", "the same as phi backup"),
            (
                "phi backup create --services postgres,redis --no-prune",
                "two services; keep every old backup",
            ),
            (
                "phi backup create --keep-days 14",
                "then delete backups older than 14 days",
            ),
        ],
    ),
    (
        "backup-list",
        &[
            (
                "phi backup list",
                "ID, state, age, size and items of every backup",
            ),
            (
                "phi backup list --json | jq -r '.backups[0].id'",
                "the newest backup's ID",
            ),
            (
                "phi backup list --from sftp://backup@nas:22/srv/phi",
                "the backups on a target",
            ),
        ],
    ),
    (
        "backup-verify",
        &[
            (
                "phi backup verify",
                "check every backup; exit 3 on any problem",
            ),
            (
                "phi backup verify latest",
                "only the newest complete backup",
            ),
            (
                "phi backup verify --json | jq .ok",
                "the verdict for scripts",
            ),
            (
                "phi backup verify latest --identity key.txt",
                "an encrypted backup, decrypted and read to the end",
            ),
        ],
    ),
    (
        "backup-restore",
        &[
            (
                "phi backup restore latest",
                "verify, show what is overwritten, ask, restore",
            ),
            (
                "phi backup restore latest --services postgres --yes",
                "only postgres, without asking",
            ),
            (
                "phi backup restore 20250101T000000Z --yes",
                "a backup by its timestamp (or ID or unique prefix)",
            ),
        ],
    ),
    (
        "backup-push",
        &[
            (
                "phi backup push",
                "copy the newest backup to every declared target, or finish a copy cut short",
            ),
            (
                "phi backup push 20250101T000000Z --to sftp://backup@nas:22/srv/phi",
                "one backup to one target",
            ),
        ],
    ),
    (
        "backup-drill",
        &[
            (
                "phi backup drill",
                "restore the newest backup into throwaway containers and check it",
            ),
            (
                "BACKUP_AGE_IDENTITY_FILE=key.txt phi backup drill latest",
                "the same for an encrypted backup",
            ),
            (
                "phi backup drill 20250101T000000Z --json",
                "one backup, the report as JSON",
            ),
        ],
    ),
    (
        "backup-check",
        &[
            (
                "phi backup check --max-age 26h",
                "exit 3 when the newest complete backup is older than 26 hours",
            ),
            (
                "phi backup check --max-age 2d --json",
                "the same, as JSON for a monitoring job",
            ),
        ],
    ),
    (
        "backup-prune",
        &[
            (
                "phi backup prune --keep-days 14 --dry-run",
                "what would be deleted",
            ),
            (
                "phi backup prune --keep-last 7",
                "keep the newest 7 complete backups",
            ),
            (
                "phi backup prune",
                "apply x-phi backup's retention and BACKUP_RETENTION_DAYS",
            ),
        ],
    ),
    (
        "config",
        &[
            ("phi config", "the resolved project as YAML"),
            (
                "phi config --format json | jq .services.web.ports",
                "one service's ports",
            ),
            (
                "phi config --services",
                "the enabled services, dependencies first",
            ),
            (
                "phi -q config && echo valid",
                "only check that the project is valid",
            ),
        ],
    ),
    (
        "completions",
        &[
            (
                "phi completions bash > ~/.local/share/bash-completion/completions/phi",
                "bash, loaded on demand",
            ),
            (
                "phi completions zsh > ~/.zfunc/_phi",
                "zsh (with ~/.zfunc in fpath)",
            ),
            (
                "phi completions fish > ~/.config/fish/completions/phi.fish",
                "fish",
            ),
        ],
    ),
    (
        "man",
        &[
            ("phi man | man -l -", "read phi's man page"),
            (
                "phi man backup-restore | man -l -",
                "the page of backup restore",
            ),
            (
                "phi man status > ~/.local/share/man/man1/phi-status.1",
                "install one page",
            ),
        ],
    ),
];

/// The examples of a page (see [`EXAMPLES`]); none for an unknown page.
pub fn examples(page: &str) -> &'static [Example] {
    EXAMPLES
        .iter()
        .find(|(name, _)| *name == page)
        .map_or(&[], |(_, examples)| examples)
}

/// The "Examples:" block of `--help`: each command, and what it does indented below it.
pub fn examples_help(page: &str) -> String {
    let mut text = String::from("Examples:");
    for (command, about) in examples(page) {
        text.push_str(&format!("\n  {command}\n      {about}"));
    }
    text
}

const EXIT_CODES: &str = "\
Exit codes: 0 ok, 1 operation failed, 2 usage or configuration error, 3 check negative,
4 prerequisite unavailable (engine, permission, command), 5 timed out, 130 interrupted.";

/// phi: one binary for operating a Docker Compose stack (the description is Cargo.toml's).
#[derive(Debug, Parser)]
#[command(
    name = "phi",
    version,
    about,
    long_about = concat!(
        env!("CARGO_PKG_DESCRIPTION"),
        ".\n\nphi operates the stack (PostgreSQL, Redis, a web dashboard and friends) through the \
Docker Engine API: status, start-all, stop-all, monitor, backup, config and check-auth. It reads \
the same compose files, .env files and labels as Docker Compose, so it sees stacks started by \
docker compose up, and needs no docker CLI."
    ),
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Flags every subcommand takes.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]
    #[arg(short = 'f', long = "file", value_name = "FILE", value_hint = ValueHint::FilePath, global = true, help_heading = GLOBAL_OPTIONS)]
    pub files: Vec<PathBuf>,

    /// Project name [default: COMPOSE_PROJECT_NAME, else the file's name: key, else the directory name]
    #[arg(short = 'p', long, value_name = "NAME", global = true, help_heading = GLOBAL_OPTIONS)]
    pub project_name: Option<String>,

    /// Project directory [default: the first compose file's directory, else the current one]
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath, global = true, help_heading = GLOBAL_OPTIONS)]
    pub project_directory: Option<PathBuf>,

    /// Env file to load; repeat for several, later ones win [default: <project dir>/.env]
    #[arg(long = "env-file", value_name = "FILE", value_hint = ValueHint::FilePath, global = true, help_heading = GLOBAL_OPTIONS)]
    pub env_files: Vec<PathBuf>,

    /// Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]
    #[arg(long = "profile", value_name = "NAME", global = true, help_heading = GLOBAL_OPTIONS)]
    pub profiles: Vec<String>,

    /// Print one JSON document (or JSON lines for streams) on stdout
    #[arg(long, global = true, help_heading = GLOBAL_OPTIONS)]
    pub json: bool,

    /// Print less: no progress and no notes, only data, warnings and errors
    #[arg(short, long, global = true, conflicts_with = "verbose", help_heading = GLOBAL_OPTIONS)]
    pub quiet: bool,

    /// Print more: -v explains decisions, -vv also shows engine calls
    #[arg(short, long, action = clap::ArgAction::Count, global = true, help_heading = GLOBAL_OPTIONS)]
    pub verbose: u8,

    /// When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with auto]
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto, global = true, help_heading = GLOBAL_OPTIONS)]
    pub color: ColorChoice,

    /// Answer yes to confirmations (needed for destructive actions when not on a terminal)
    #[arg(short = 'y', long, global = true, help_heading = GLOBAL_OPTIONS)]
    pub yes: bool,

    /// Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command, see its --help]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, global = true, help_heading = GLOBAL_OPTIONS)]
    pub timeout: Option<Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show every service's state, health, uptime, restarts, ports and probes
    #[command(
        long_about = "Show one row per service declared in the compose files, found through the Compose \
labels, so stacks started by `docker compose up` are reported too. Declared services without a \
container are `missing`; containers of the project that no file declares are `orphan`. Services \
with `x-phi: { health_url: ... }` are probed over HTTP.\n\n\
Exit status: 0 when every service is running and healthy (or running without a healthcheck), \
3 when any is missing, exited, restarting, unhealthy, still starting, or fails its probe."
    )]
    Status(StatusArgs),

    /// Bring the stack up in dependency order and wait until it is really ready
    #[command(
        long_about = "Create and start the project's containers through the Docker Engine API, each \
service as soon as its own dependencies meet their depends_on conditions (service_started, \
service_healthy, service_completed_successfully), independent services at the same time.\n\n\
Before anything is touched phi checks, and reports together: required variables (x-phi \
required_env and the env template's `NAME=` lines), commands in x-phi requires, bind-mount \
sources, free host ports, images (present, pullable or buildable) and external networks and \
volumes.\n\n\
Running containers whose configuration is unchanged are left alone; changed ones are \
recreated; stopped ones are started. Readiness is seen as it happens: besides the engine's \
healthcheck status, phi runs the service's own healthcheck test inside the container at a short, \
backing-off cadence, and reports which signal decided. Compose's lifecycle hooks run as Compose \
runs them: pre_start in a one-shot container before a service's containers start (when none is \
running), post_start inside each container right after it starts, before dependants see the \
service started; phi's own x-phi post_start commands run once a service is ready. A failed hook \
fails its service (exit 1) and its output is shown. Containers carry the Compose labels and names, so `docker compose ps/logs/down` \
see the stack.\n\n\
--timeout limits the whole start-up (its default is under Global options). Exit status: 0 when every service is \
ready, 1 when one failed (its healthcheck output and last log lines are shown; what depends on \
it is not started; healthy services keep running), 2 or 4 for preflight problems, 5 on timeout, \
130 on Ctrl-C (containers are left as they are)."
    )]
    StartAll(StartAllArgs),

    /// Stop the stack in reverse dependency order; optionally remove it
    #[command(
        long_about = "Stop the project's containers, every service only after the services that \
depend on it have stopped, independent services at the same time. Each container gets its \
stop_grace_period (--timeout overrides it) between its stop signal and SIGKILL. A running \
container's Compose pre_stop hooks run in it first (within --timeout); the defaults are under \
Global options. When one fails the container is not stopped, nor what it depends on.\n\n\
--remove also removes the containers and the project's networks (like `docker compose down`); \
--volumes also deletes the project's named volumes and their data: phi asks first, and off a \
terminal refuses unless --yes is given.\n\n\
Exit status: 0 when everything was done, 1 when a container, network or volume could not be \
stopped or removed, 2 for --volumes refused off a terminal without --yes, 6 when its prompt \
was declined (nothing was changed)."
    )]
    StopAll(StopAllArgs),

    /// Watch CPU, memory, network and block IO of the project's containers
    #[command(
        long_about = "Watch the project's containers: CPU (as the docker CLI computes it, 100 = one core, \
and as a share of the host), memory without the inactive page cache, network and block IO, \
processes, restarts and health. On a terminal a table refreshes in place; otherwise, or with \
--json, every sample is one JSON line.\n\n\
Thresholds come from the flags, then the service's x-phi (cpu_threshold, mem_threshold, \
max_restarts), then CPU_THRESHOLD / MEM_THRESHOLD, then the top-level x-phi, then 80 % CPU and \
90 % memory. A container that is unhealthy always breaches. An alert is raised after --for \
consecutive breaching samples, once per episode, with a recovery line when it clears.\n\n\
Beside the samples, the engine's events for the project's containers are followed (resumed from \
the last event's time after a lost connection): every OOM kill alerts (with the memory limit and \
the last reading), an exit nobody asked for alerts with its code and last log lines, a restart \
loop alerts once (x-phi restart_loop restarts within restart_loop_window; default 3 within 5m; \
0 turns it off), and a healthcheck turning unhealthy alerts with its output, then recovers. Each \
event is also a JSON line of its own (type `event`).\n\n\
--serve HOST:PORT answers /metrics in the Prometheus text format (cAdvisor's names such as \
container_cpu_usage_seconds_total, else phi_container_*) and /healthz, from the latest sample.\n\n\
Exit status: with --once or --count, 3 when an alert was raised, else 0. Live monitoring ends \
with Ctrl-C and exit status 0."
    )]
    Monitor(MonitorArgs),

    /// Check credentials and secrets: variables, env files, Docker secrets, GCP, GitHub, Docker
    #[command(
        name = "check-auth",
        long_about = "Check that the stack's secrets are set, strong, kept out of files and git, and \
that its credentials work: required variables (x-phi required_env and config.env.template), \
weak or template values, env file permissions and git status, secrets written into compose files, \
NAME_FILE secrets, the production guard (FLASK_DEBUG, FLASK_SECRET_KEY), the GCP key file and \
gcloud's active account, the GitHub token's format (and with --online, what GitHub says about it), \
the Docker engine and registry credentials. Each check is ok, info, warning or error, with a \
one-line fix. No secret value is ever printed.\n\n\
Exit status: 0 when no check is an error (warnings allowed unless --strict), 3 when any is \
(with --strict, also any warning), 5 when the online GitHub check timed out."
    )]
    CheckAuth(CheckAuthArgs),

    /// Back up the stack's databases, Redis and volumes; list, verify, restore and prune backups
    #[command(
        args_conflicts_with_subcommands = true,
        long_about = "Back up what the services declare under `x-phi: { backup: ... }`: PostgreSQL \
with pg_dump run inside the container (custom format by default, or plain SQL), Redis with \
BGSAVE and a copy of its RDB file, named volumes and container paths as tar archives through the \
Engine's archive API, with pre and post commands and services stopped during the copy when they \
ask for it. Every run writes one folder, <project>-<UTC time>/, into BACKUP_DIR (default \
./backups in the project directory): one compressed file per item (zstd, or gzip) and \
manifest.json last, with each file's size and sha256. A folder without manifest.json is an \
incomplete run that list, verify, restore and prune never take for a backup. A lock keeps two \
runs on one directory apart.\n\n\
`phi backup` alone is `phi backup create`. After a successful run, backups beyond the retention \
(--keep-last, --keep-days, BACKUP_RETENTION_DAYS) are pruned; the newest complete backup is \
never deleted, and folders phi did not write are never touched.\n\n\
With BACKUP_AGE_RECIPIENTS (or its _FILE, or x-phi backup.age_recipients), every file is \
encrypted with age after compression, the local copy too; verify checks the encrypted bytes \
without a key, and verify, restore and drill decrypt with --identity or \
BACKUP_AGE_IDENTITY_FILE. `drill` restores a backup into throwaway containers and checks it; \
`check --max-age` tells whether the newest backup is fresh; --prometheus writes metrics.\n\n\
Targets (x-phi backup.targets, or --to): after the backup is written locally, each file is \
copied to every target under a temporary name, read back and checked against the manifest \
(size and sha256), then renamed; manifest.json goes last, so a copy cut short never looks like \
a backup (`phi backup push` completes it). A target is a directory, \
sftp://user@host:port/path (the system's ssh: a key or the agent, the host key checked \
against known_hosts, never accepted unseen) or s3://bucket/prefix (AWS_ACCESS_KEY_ID, \
AWS_SECRET_ACCESS_KEY, or their _FILE forms). The retention applies there too; --keep-local N \
bounds what stays on the host once a backup is on every target. list, verify, restore, \
prune, drill and check take --from TARGET.\n\n\
Exit status: 0 done; 1 a backup, restore or prune failed, or a copy to a target failed (the \
local backup is kept); 2 nothing declared, bad flags or settings, or a restore refused off a \
terminal without --yes; 3 verify found a damaged or incomplete backup, a drill item failed, or \
check found no backup fresh enough; 4 the engine is unreachable, or the --from target is (or \
refused the credentials); 5 the lock was not free within --lock-timeout, or a transfer \
stalled; 6 the restore prompt was declined (nothing was changed); 130 interrupted (the run \
is left incomplete and stopped services are started again)."
    )]
    Backup(BackupArgs),

    /// Print the resolved project in Compose's canonical form (YAML or JSON), or list parts of it
    #[command(
        long_about = "Print the project as phi resolved it: env files, interpolation, -f merges, \
extends, include, profiles and implicit dependencies applied, in the canonical form of \
`docker compose config` (same field names and shapes, so `phi config --format json` and \
`docker compose config --format json` can be diffed): ports, volumes, depends_on, secrets and \
build in their long forms, env_file contents folded into environment, sizes in bytes, \
durations as Go writes them, relative paths absolute, and only the services the profiles \
enable, with the networks, volumes, secrets and configs they use. The engine is never \
contacted.\n\n\
Secrets are masked as values: environment entries and build args whose name looks secret \
(PASSWORD, SECRET, TOKEN, KEY...) and values read through NAME_FILE print as [redacted]; \
--show-secrets prints them as Compose does.\n\n\
With -q nothing is printed and only the exit status tells whether the project is valid.\n\n\
Exit status: 0 when the project is valid, 2 for any configuration error."
    )]
    Config(ConfigArgs),

    /// Print a shell completion script to stdout
    Completions {
        /// The shell to complete for
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },

    /// Print the man page (roff) to stdout: phi's own, or a subcommand's
    Man {
        /// The subcommand whose page to print, e.g. `status`
        #[arg(value_name = "SUBCOMMAND")]
        subcommand: Option<String>,
    },
}

#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    /// Only these services (comma-separated or repeated)
    #[arg(long, value_name = "SERVICES", value_delimiter = ',')]
    pub services: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PullChoice {
    /// Pull every image that is not built, even when present
    Always,
    /// Pull images that are not on the engine
    Missing,
    /// Never pull; a missing image is a preflight problem
    Never,
}

#[derive(Debug, Clone, Args)]
pub struct StartAllArgs {
    /// Only these services (comma-separated or repeated) and what they depend on
    #[arg(long, value_name = "SERVICES", value_delimiter = ',')]
    pub services: Vec<String>,

    /// Recreate containers even when their configuration is unchanged
    #[arg(long)]
    pub force_recreate: bool,

    /// Do not wait for readiness, except where a dependant's condition needs it
    #[arg(long)]
    pub no_wait: bool,

    /// Stop and remove containers of the project that no compose file declares
    #[arg(long)]
    pub remove_orphans: bool,

    /// Print what would be created, recreated, started or left alone, in which order, and stop
    #[arg(long)]
    pub dry_run: bool,

    /// When to pull images, for every service [default: each service's pull_policy, else
    /// missing]
    #[arg(long, value_enum, value_name = "WHEN")]
    pub pull: Option<PullChoice>,

    /// Build images of services with `build:` even when they are present
    #[arg(long)]
    pub build: bool,
}

#[derive(Debug, Clone, Args)]
pub struct StopAllArgs {
    /// Only these services (comma-separated or repeated); their dependents are not stopped
    #[arg(long, value_name = "SERVICES", value_delimiter = ',')]
    pub services: Vec<String>,

    /// Also remove the containers and the project's networks
    #[arg(long)]
    pub remove: bool,

    /// Also delete the project's named volumes (implies --remove; asks, or needs --yes)
    #[arg(long)]
    pub volumes: bool,

    /// Also stop and remove containers of the project that no compose file declares
    #[arg(long)]
    pub remove_orphans: bool,

    /// Print what would be stopped and removed, in which order, and change nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Args)]
pub struct MonitorArgs {
    /// Only these services (comma-separated or repeated)
    #[arg(long, value_name = "SERVICES", value_delimiter = ',')]
    pub services: Vec<String>,

    /// Take one sample (two quick readings for CPU) and exit
    #[arg(long)]
    pub once: bool,

    /// Time between samples
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_duration)]
    pub interval: Duration,

    /// Stop after N samples
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,

    /// CPU threshold in percent, 100 = one core [default: x-phi, CPU_THRESHOLD, 80]
    #[arg(long, value_name = "PERCENT")]
    pub cpu: Option<f64>,

    /// Memory threshold in percent of the limit [default: x-phi, MEM_THRESHOLD, 90]
    #[arg(long = "mem", value_name = "PERCENT")]
    pub mem: Option<f64>,

    /// Alert when a container's restart count exceeds N [default: x-phi, off]
    #[arg(long, value_name = "N")]
    pub max_restarts: Option<u64>,

    /// Alert only after N consecutive samples over a threshold
    #[arg(long = "for", value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub consecutive: u32,

    /// POST each alert as JSON (with a Slack-compatible `text`) to this URL
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,

    /// How long one webhook delivery may take (3 attempts at most)
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub webhook_timeout: Duration,

    /// Append samples and alerts to this file as JSON lines, rotated by size
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,

    /// Rotate the --log file when it would grow past this size, e.g. 10MB, 512k (powers of 1024)
    #[arg(long, value_name = "SIZE", default_value = "10MB", value_parser = parse_positive_size)]
    pub log_max_size: u64,

    /// How many --log files to keep, the current one included
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub log_files: u32,

    /// Write the latest sample to this file in the node_exporter textfile format
    #[arg(long, value_name = "FILE")]
    pub prometheus: Option<PathBuf>,

    /// Serve /metrics (Prometheus text format, cAdvisor's series names) and /healthz on
    /// HOST:PORT (or :PORT for every interface), from the latest sample
    #[arg(long, value_name = "ADDR")]
    pub serve: Option<String>,

    /// Order of the rows in the table
    #[arg(long, value_enum, default_value_t = SortBy::Cpu)]
    pub sort: SortBy,

    /// Always read through the Engine's stats API, never from the cgroup files on this host
    #[arg(long)]
    pub engine_stats: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SortBy {
    Cpu,
    Mem,
    Name,
}

#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    #[command(subcommand)]
    pub action: Option<BackupAction>,

    #[command(flatten)]
    pub create: BackupCreateArgs,

    /// Where backups live [default: BACKUP_DIR, else x-phi backup.dir, else ./backups in the project directory]
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath, global = true)]
    pub dir: Option<PathBuf>,

    /// How long to wait for another run holding the backup directory's lock, or a target's
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration, global = true)]
    pub lock_timeout: Duration,

    /// age identity file that opens encrypted backups (verify, restore, drill) [default: BACKUP_AGE_IDENTITY_FILE]
    #[arg(long, value_name = "FILE", global = true)]
    pub identity: Option<PathBuf>,

    /// Write a Prometheus textfile after the run, success or failure [default: x-phi backup.prometheus]
    #[arg(long, value_name = "FILE", global = true)]
    pub prometheus: Option<PathBuf>,
    /// Copy the new backup (or `push`'s) to this target: a name from x-phi backup.targets, a directory, sftp://user@host:port/path or s3://bucket/prefix (repeatable) [default: every declared target]
    #[arg(long = "to", value_name = "TARGET", global = true)]
    pub to: Vec<String>,

    /// Read the backups on this target instead of the local directory (list, verify, restore, drill, check, prune)
    #[arg(long, value_name = "TARGET", global = true)]
    pub from: Option<String>,

    /// Once a backup is on every target, keep only the newest N complete backups on the host [default: x-phi backup.keep_local]
    #[arg(long, value_name = "N", global = true)]
    pub keep_local: Option<u64>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum BackupAction {
    /// Make a backup (the default)
    Create(BackupCreateArgs),

    /// List the project's backups: ID, state, age, size, items
    List,

    /// Re-hash every file against its manifest, read every stream to the end, and check
    /// postgres custom dumps with pg_restore --list; exit 3 on any problem
    Verify {
        /// The backup to check (ID, timestamp, unique prefix or `latest`) [default: every backup]
        #[arg(value_name = "ID")]
        id: Option<String>,
    },

    /// Put a backup back: verify it, show what will be overwritten, ask (or --yes), restore
    Restore {
        /// The backup to restore: its ID, its timestamp, a unique prefix, or `latest`
        #[arg(value_name = "ID")]
        id: String,

        /// Only these services' items (comma-separated or repeated)
        #[arg(
            long = "services",
            alias = "service",
            value_name = "SERVICES",
            value_delimiter = ','
        )]
        services: Vec<String>,
    },

    /// Restore a backup into throwaway containers from the images it recorded and check it:
    /// row counts and x-phi drill checks (PostgreSQL), DBSIZE (Redis), file count and bytes
    /// (volumes, paths); everything it creates is removed; exit 3 when an item fails
    Drill {
        /// The backup: ID, timestamp, unique prefix, `latest`, or the path of a backup folder [default: latest]
        #[arg(value_name = "ID")]
        id: Option<String>,
    },

    /// Copy a local backup to the targets (--to, else every declared one); completes a
    /// copy that was cut short
    Push {
        /// The backup to copy: its ID, its timestamp, a unique prefix, or `latest` [default: latest]
        #[arg(value_name = "ID")]
        id: Option<String>,
    },

    /// Exit 3 when the newest complete backup is older than --max-age (or there is none), for cron
    Check {
        /// The most a backup may be old, e.g. 26h or 2d
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        max_age: Duration,
    },

    /// Delete backups beyond the retention; never the newest complete one
    Prune {
        #[command(flatten)]
        retention: RetentionArgs,

        /// Only list what would be deleted
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Clone, Default, Args)]
pub struct BackupCreateArgs {
    /// Only these services (comma-separated or repeated)
    #[arg(long, value_name = "SERVICES", value_delimiter = ',')]
    pub services: Vec<String>,

    /// How to compress the files [default: x-phi backup.compression, else zstd]
    #[arg(long, value_enum, value_name = "KIND")]
    pub compression: Option<CompressionChoice>,

    #[command(flatten)]
    pub retention: RetentionArgs,

    /// Do not prune after a successful backup
    #[arg(long)]
    pub no_prune: bool,
}

#[derive(Debug, Clone, Default, Args)]
pub struct RetentionArgs {
    /// Keep the newest N complete backups [default: x-phi backup.keep_last]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub keep_last: Option<u64>,

    /// Keep backups younger than N days [default: BACKUP_RETENTION_DAYS, else x-phi backup.keep_days]
    #[arg(long, value_name = "DAYS")]
    pub keep_days: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompressionChoice {
    Zstd,
    Gzip,
}

/// A size for a flag that must not be zero (see [`crate::units`] for the units).
fn parse_positive_size(text: &str) -> Result<u64, String> {
    match units::parse_size(text)? {
        0 => Err(format!("`{text}` is too small")),
        n => Ok(n),
    }
}

#[derive(Debug, Clone, Args)]
#[command(group = clap::ArgGroup::new("listing").multiple(false))]
pub struct ConfigArgs {
    /// Only these services and the services they depend on
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,

    /// Output format [default: yaml, json with --json]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<ConfigFormat>,

    /// List the enabled services, one a line, each after what it depends on
    #[arg(long = "services", group = "listing")]
    pub list_services: bool,

    /// List the printed services' images, one a line (`<project>-<service>` for built ones)
    #[arg(long, group = "listing")]
    pub images: bool,

    /// List the top-level volumes the printed services use, one a line
    #[arg(long, group = "listing")]
    pub volumes: bool,

    /// List the networks the printed services use, one a line
    #[arg(long, group = "listing")]
    pub networks: bool,

    /// List every profile any service names, sorted, one a line
    #[arg(long = "profiles", group = "listing")]
    pub list_profiles: bool,

    /// Print secret values as they are instead of [redacted]
    #[arg(long)]
    pub show_secrets: bool,

    /// Keep the top-level networks, volumes, secrets and configs no printed service uses
    #[arg(long)]
    pub all_resources: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConfigFormat {
    Yaml,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct CheckAuthArgs {
    /// Also ask GitHub who GITHUB_TOKEN belongs to (GET $GITHUB_API_URL/user), within --timeout
    #[arg(long)]
    pub online: bool,

    /// Fail (exit 3) on warnings too, not only on errors
    #[arg(long)]
    pub strict: bool,
}

/// The clap command, for completions, the man page and their drift tests: every page with
/// its examples after its help, phi's own with the exit codes too.
pub fn command() -> clap::Command {
    let root = with_examples(<Cli as clap::CommandFactory>::command(), "");
    root.after_help(format!("{}\n\n{EXIT_CODES}", examples_help("")))
}

/// Put each subcommand's examples (page `parent-name`) after its help, all the way down.
fn with_examples(cmd: clap::Command, page: &str) -> clap::Command {
    cmd.mut_subcommands(|sub| {
        let name = match page {
            "" => sub.get_name().to_string(),
            _ => format!("{page}-{}", sub.get_name()),
        };
        let sub = match examples(&name) {
            [] => sub,
            _ => sub.after_help(examples_help(&name)),
        };
        with_examples(sub, &name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_flags_refuse_zero() {
        assert_eq!(parse_positive_size("10MB"), Ok(10 << 20));
        assert!(parse_positive_size("0").is_err());
        assert!(parse_positive_size("ten").is_err());
    }

    /// Every page but clap's own `help`, by page name (`backup-list` for a nested one).
    fn pages(cmd: &clap::Command, prefix: &str, out: &mut Vec<String>) {
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let name = match prefix {
                "" => sub.get_name().to_string(),
                _ => format!("{prefix}-{}", sub.get_name()),
            };
            pages(sub, &name, out);
            out.push(name);
        }
    }

    #[test]
    fn every_page_has_two_to_four_examples_in_its_help() {
        let mut names = Vec::new();
        pages(&command(), "", &mut names);
        assert!(names.len() >= 14, "{names:?}");
        for name in &names {
            let count = examples(name).len();
            assert!((2..=4).contains(&count), "{name} has {count} examples");
            let mut argv = vec!["phi"];
            match name.strip_prefix("backup-") {
                Some(action) => argv.extend(["backup", action]),
                None => argv.push(name),
            }
            argv.push("--help");
            let help = command()
                .try_get_matches_from(&argv)
                .unwrap_err()
                .to_string();
            assert!(help.contains("Examples:\n"), "{name}: {help}");
            assert!(help.contains(examples(name)[0].0), "{name}: {help}");
            assert!(help.contains("Global options:"), "{name}: {help}");
        }
        for (page, _) in EXAMPLES {
            assert!(page.is_empty() || names.iter().any(|n| n == page), "{page}");
        }
    }

    #[test]
    fn every_example_parses() {
        for (page, list) in EXAMPLES {
            for (line, _) in *list {
                // The phi part: from `phi` up to a pipe, redirection or `&&`.
                let start = line.find("phi ").unwrap_or_else(|| panic!("{line}"));
                let words: Vec<&str> = line[start..]
                    .split_whitespace()
                    .take_while(|w| !matches!(*w, "|" | ">" | "&&"))
                    .collect();
                if let Err(e) = command().try_get_matches_from(&words) {
                    panic!("example of `{page}` does not parse: {line}\n{e}");
                }
            }
        }
    }

    #[test]
    fn own_options_come_before_the_global_ones() {
        let help = command()
            .try_get_matches_from(["phi", "stop-all", "--help"])
            .unwrap_err()
            .to_string();
        let own = help.find("--remove-orphans").unwrap();
        let heading = help.find("Global options:").unwrap();
        let global = help.find("--project-directory").unwrap();
        assert!(own < heading && heading < global, "{help}");
    }

    #[test]
    fn clap_definition_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn global_flags_work_after_the_subcommand() {
        let cli = Cli::try_parse_from([
            "phi", "status", "-f", "a.yaml", "-f", "b.yaml", "--json", "-vv", "-p", "x",
        ])
        .unwrap();
        assert_eq!(cli.global.files.len(), 2);
        assert!(cli.global.json);
        assert_eq!(cli.global.verbose, 2);
        assert_eq!(cli.global.project_name.as_deref(), Some("x"));
    }

    #[test]
    fn check_auth_takes_online_and_strict() {
        let cli = Cli::try_parse_from(["phi", "check-auth", "--online", "--strict"]).unwrap();
        let Command::CheckAuth(args) = cli.command else {
            panic!("expected check-auth")
        };
        assert!(args.online && args.strict);
        let cli = Cli::try_parse_from(["phi", "check-auth"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::CheckAuth(CheckAuthArgs {
                online: false,
                strict: false
            })
        ));
    }

    #[test]
    fn backup_alone_creates_and_takes_subcommands() {
        let cli = Cli::try_parse_from(["phi", "backup", "--keep-last", "3"]).unwrap();
        let Command::Backup(args) = cli.command else {
            panic!("expected backup")
        };
        assert!(args.action.is_none());
        assert_eq!(args.create.retention.keep_last, Some(3));
        let cli = Cli::try_parse_from([
            "phi",
            "backup",
            "restore",
            "latest",
            "--services",
            "a,b",
            "--dir",
            "/b",
        ])
        .unwrap();
        let Command::Backup(args) = cli.command else {
            panic!("expected backup")
        };
        assert_eq!(args.dir.as_deref(), Some(std::path::Path::new("/b")));
        let Some(BackupAction::Restore { id, services }) = args.action else {
            panic!("expected restore")
        };
        assert_eq!((id.as_str(), services.len()), ("latest", 2));
        // The first name of the flag still works, hidden.
        let old = Cli::try_parse_from(["phi", "backup", "restore", "x", "--service", "a"]).unwrap();
        let Command::Backup(args) = old.command else {
            panic!("expected backup")
        };
        let Some(BackupAction::Restore { services, .. }) = args.action else {
            panic!("expected restore")
        };
        assert_eq!(services, vec!["a"]);
        assert!(Cli::try_parse_from(["phi", "backup", "prune", "--keep-last", "0"]).is_err());
        // The old flag name still works, unlisted.
        let cli = Cli::try_parse_from(["phi", "backup", "restore", "x", "--service", "a"]).unwrap();
        let Command::Backup(args) = cli.command else {
            panic!("expected backup")
        };
        assert!(
            matches!(args.action, Some(BackupAction::Restore { services, .. }) if services == ["a"])
        );
    }

    #[test]
    fn config_takes_a_format_one_listing_and_services() {
        let cli = Cli::try_parse_from(["phi", "config", "--format", "json", "web"]).unwrap();
        let Command::Config(args) = cli.command else {
            panic!("expected config")
        };
        assert_eq!(args.format, Some(ConfigFormat::Json));
        assert_eq!(args.services, vec!["web"]);
        assert!(Cli::try_parse_from(["phi", "config", "--services", "--images"]).is_err());
        let cli = Cli::try_parse_from(["phi", "-q", "config", "--show-secrets"]).unwrap();
        assert!(cli.global.quiet);
    }

    #[test]
    fn services_take_commas_and_repeats() {
        let cli =
            Cli::try_parse_from(["phi", "status", "--services", "a,b", "--services", "c"]).unwrap();
        let Command::Status(args) = cli.command else {
            panic!("expected status")
        };
        assert_eq!(args.services, vec!["a", "b", "c"]);
    }
}
