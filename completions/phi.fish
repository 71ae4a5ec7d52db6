# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_phi_global_optspecs
    string join \n f/file= p/project-name= project-directory= env-file= profile= json q/quiet v/verbose color= y/yes timeout= h/help V/version
end

function __fish_phi_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_phi_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_phi_using_subcommand
    set -l cmd (__fish_phi_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c phi -n "__fish_phi_needs_command" -s f -l file -d 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]' -r -F
complete -c phi -n "__fish_phi_needs_command" -s p -l project-name -d 'Project name [default: COMPOSE_PROJECT_NAME, else the file\'s `name:`, else the directory name]' -r
complete -c phi -n "__fish_phi_needs_command" -l project-directory -d 'Project directory [default: the first compose file\'s directory, else the current one]' -r -F
complete -c phi -n "__fish_phi_needs_command" -l env-file -d 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]' -r -F
complete -c phi -n "__fish_phi_needs_command" -l profile -d 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]' -r
complete -c phi -n "__fish_phi_needs_command" -l color -d 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c phi -n "__fish_phi_needs_command" -l timeout -d 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]' -r
complete -c phi -n "__fish_phi_needs_command" -l json -d 'Print one JSON document (or JSON lines for streams) on stdout'
complete -c phi -n "__fish_phi_needs_command" -s q -l quiet -d 'Print less: no progress and no notes, only data, warnings and errors'
complete -c phi -n "__fish_phi_needs_command" -s v -l verbose -d 'Print more: -v explains decisions, -vv also shows engine calls'
complete -c phi -n "__fish_phi_needs_command" -s y -l yes -d 'Answer yes to confirmations (needed for destructive actions when not on a terminal)'
complete -c phi -n "__fish_phi_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c phi -n "__fish_phi_needs_command" -s V -l version -d 'Print version'
complete -c phi -n "__fish_phi_needs_command" -f -a "status" -d 'Show every service\'s state, health, uptime, restarts, ports and probes'
complete -c phi -n "__fish_phi_needs_command" -f -a "start-all" -d 'Bring the stack up in dependency order and wait until it is really ready'
complete -c phi -n "__fish_phi_needs_command" -f -a "stop-all" -d 'Stop the stack in reverse dependency order; optionally remove it'
complete -c phi -n "__fish_phi_needs_command" -f -a "monitor" -d 'Watch CPU, memory, network and block IO of the project\'s containers'
complete -c phi -n "__fish_phi_needs_command" -f -a "check-auth" -d 'Check credentials and secrets: variables, env files, Docker secrets, GCP, GitHub, Docker'
complete -c phi -n "__fish_phi_needs_command" -f -a "backup" -d 'Back up the stack\'s databases, Redis and volumes; list, verify, restore and prune backups'
complete -c phi -n "__fish_phi_needs_command" -f -a "config" -d 'Print the resolved project in Compose\'s canonical form (YAML or JSON), or list parts of it'
complete -c phi -n "__fish_phi_needs_command" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c phi -n "__fish_phi_needs_command" -f -a "man" -d 'Print the man page (roff) to stdout: phi\'s own, or a subcommand\'s'
complete -c phi -n "__fish_phi_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c phi -n "__fish_phi_using_subcommand status" -l services -d 'Only these services (comma-separated or repeated)' -r
complete -c phi -n "__fish_phi_using_subcommand status" -s f -l file -d 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]' -r -F
complete -c phi -n "__fish_phi_using_subcommand status" -s p -l project-name -d 'Project name [default: COMPOSE_PROJECT_NAME, else the file\'s `name:`, else the directory name]' -r
complete -c phi -n "__fish_phi_using_subcommand status" -l project-directory -d 'Project directory [default: the first compose file\'s directory, else the current one]' -r -F
complete -c phi -n "__fish_phi_using_subcommand status" -l env-file -d 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]' -r -F
complete -c phi -n "__fish_phi_using_subcommand status" -l profile -d 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]' -r
complete -c phi -n "__fish_phi_using_subcommand status" -l color -d 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c phi -n "__fish_phi_using_subcommand status" -l timeout -d 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]' -r
complete -c phi -n "__fish_phi_using_subcommand status" -l json -d 'Print one JSON document (or JSON lines for streams) on stdout'
complete -c phi -n "__fish_phi_using_subcommand status" -s q -l quiet -d 'Print less: no progress and no notes, only data, warnings and errors'
complete -c phi -n "__fish_phi_using_subcommand status" -s v -l verbose -d 'Print more: -v explains decisions, -vv also shows engine calls'
complete -c phi -n "__fish_phi_using_subcommand status" -s y -l yes -d 'Answer yes to confirmations (needed for destructive actions when not on a terminal)'
complete -c phi -n "__fish_phi_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c phi -n "__fish_phi_using_subcommand status" -s V -l version -d 'Print version'
complete -c phi -n "__fish_phi_using_subcommand start-all" -l services -d 'Only these services (comma-separated or repeated) and what they depend on' -r
complete -c phi -n "__fish_phi_using_subcommand start-all" -l pull -d 'When to pull images, for every service [default: each service\'s pull_policy, else missing]' -r -f -a "always\t'Pull every image that is not built, even when present'
missing\t'Pull images that are not on the engine'
never\t'Never pull; a missing image is a preflight problem'"
complete -c phi -n "__fish_phi_using_subcommand start-all" -s f -l file -d 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]' -r -F
complete -c phi -n "__fish_phi_using_subcommand start-all" -s p -l project-name -d 'Project name [default: COMPOSE_PROJECT_NAME, else the file\'s `name:`, else the directory name]' -r
complete -c phi -n "__fish_phi_using_subcommand start-all" -l project-directory -d 'Project directory [default: the first compose file\'s directory, else the current one]' -r -F
complete -c phi -n "__fish_phi_using_subcommand start-all" -l env-file -d 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]' -r -F
complete -c phi -n "__fish_phi_using_subcommand start-all" -l profile -d 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]' -r
complete -c phi -n "__fish_phi_using_subcommand start-all" -l color -d 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c phi -n "__fish_phi_using_subcommand start-all" -l timeout -d 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]' -r
complete -c phi -n "__fish_phi_using_subcommand start-all" -l force-recreate -d 'Recreate containers even when their configuration is unchanged'
complete -c phi -n "__fish_phi_using_subcommand start-all" -l no-wait -d 'Do not wait for readiness, except where a dependant\'s condition needs it'
complete -c phi -n "__fish_phi_using_subcommand start-all" -l remove-orphans -d 'Stop and remove containers of the project that no compose file declares'
complete -c phi -n "__fish_phi_using_subcommand start-all" -l dry-run -d 'Print what would be created, recreated, started or left alone, in which order, and stop'
complete -c phi -n "__fish_phi_using_subcommand start-all" -l build -d 'Build images of services with `build:` even when they are present'
complete -c phi -n "__fish_phi_using_subcommand start-all" -l json -d 'Print one JSON document (or JSON lines for streams) on stdout'
complete -c phi -n "__fish_phi_using_subcommand start-all" -s q -l quiet -d 'Print less: no progress and no notes, only data, warnings and errors'
complete -c phi -n "__fish_phi_using_subcommand start-all" -s v -l verbose -d 'Print more: -v explains decisions, -vv also shows engine calls'
complete -c phi -n "__fish_phi_using_subcommand start-all" -s y -l yes -d 'Answer yes to confirmations (needed for destructive actions when not on a terminal)'
complete -c phi -n "__fish_phi_using_subcommand start-all" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c phi -n "__fish_phi_using_subcommand start-all" -s V -l version -d 'Print version'
complete -c phi -n "__fish_phi_using_subcommand stop-all" -l services -d 'Only these services (comma-separated or repeated); their dependents are not stopped' -r
complete -c phi -n "__fish_phi_using_subcommand stop-all" -s f -l file -d 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]' -r -F
complete -c phi -n "__fish_phi_using_subcommand stop-all" -s p -l project-name -d 'Project name [default: COMPOSE_PROJECT_NAME, else the file\'s `name:`, else the directory name]' -r
complete -c phi -n "__fish_phi_using_subcommand stop-all" -l project-directory -d 'Project directory [default: the first compose file\'s directory, else the current one]' -r -F
complete -c phi -n "__fish_phi_using_subcommand stop-all" -l env-file -d 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]' -r -F
complete -c phi -n "__fish_phi_using_subcommand stop-all" -l profile -d 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]' -r
complete -c phi -n "__fish_phi_using_subcommand stop-all" -l color -d 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c phi -n "__fish_phi_using_subcommand stop-all" -l timeout -d 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]' -r
complete -c phi -n "__fish_phi_using_subcommand stop-all" -l remove -d 'Also remove the containers and the project\'s networks'
complete -c phi -n "__fish_phi_using_subcommand stop-all" -l volumes -d 'Also delete the project\'s named volumes (implies --remove; asks, or needs --yes)'
complete -c phi -n "__fish_phi_using_subcommand stop-all" -l remove-orphans -d 'Also stop and remove containers of the project that no compose file declares'
complete -c phi -n "__fish_phi_using_subcommand stop-all" -l dry-run -d 'Print what would be stopped and removed, in which order, and change nothing'
complete -c phi -n "__fish_phi_using_subcommand stop-all" -l json -d 'Print one JSON document (or JSON lines for streams) on stdout'
complete -c phi -n "__fish_phi_using_subcommand stop-all" -s q -l quiet -d 'Print less: no progress and no notes, only data, warnings and errors'
complete -c phi -n "__fish_phi_using_subcommand stop-all" -s v -l verbose -d 'Print more: -v explains decisions, -vv also shows engine calls'
complete -c phi -n "__fish_phi_using_subcommand stop-all" -s y -l yes -d 'Answer yes to confirmations (needed for destructive actions when not on a terminal)'
complete -c phi -n "__fish_phi_using_subcommand stop-all" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c phi -n "__fish_phi_using_subcommand stop-all" -s V -l version -d 'Print version'
complete -c phi -n "__fish_phi_using_subcommand monitor" -l services -d 'Only these services (comma-separated or repeated)' -r
complete -c phi -n "__fish_phi_using_subcommand monitor" -l interval -d 'Time between samples' -r
complete -c phi -n "__fish_phi_using_subcommand monitor" -l count -d 'Stop after N samples' -r
complete -c phi -n "__fish_phi_using_subcommand monitor" -l cpu -d 'CPU threshold in percent, 100 = one core [default: x-phi, CPU_THRESHOLD, 80]' -r
complete -c phi -n "__fish_phi_using_subcommand monitor" -l mem -d 'Memory threshold in percent of the limit [default: x-phi, MEM_THRESHOLD, 90]' -r
complete -c phi -n "__fish_phi_using_subcommand monitor" -l max-restarts -d 'Alert when a container\'s restart count exceeds N [default: x-phi, off]' -r
complete -c phi -n "__fish_phi_using_subcommand monitor" -l for -d 'Alert only after N consecutive samples over a threshold' -r
complete -c phi -n "__fish_phi_using_subcommand monitor" -l webhook -d 'POST each alert as JSON (with a Slack-compatible `text`) to this URL' -r
complete -c phi -n "__fish_phi_using_subcommand monitor" -l webhook-timeout -d 'How long one webhook delivery may take (3 attempts at most)' -r
complete -c phi -n "__fish_phi_using_subcommand monitor" -l log -d 'Append samples and alerts to this file as JSON lines, rotated by size' -r -F
complete -c phi -n "__fish_phi_using_subcommand monitor" -l log-max-size -d 'Rotate the --log file when it would grow past this size, e.g. 10MB, 512k (powers of 1024)' -r
complete -c phi -n "__fish_phi_using_subcommand monitor" -l log-files -d 'How many --log files to keep, the current one included' -r
complete -c phi -n "__fish_phi_using_subcommand monitor" -l prometheus -d 'Write the latest sample to this file in the node_exporter textfile format' -r -F
complete -c phi -n "__fish_phi_using_subcommand monitor" -l serve -d 'Serve /metrics (Prometheus text format, cAdvisor\'s series names) and /healthz on HOST:PORT (or :PORT for every interface), from the latest sample' -r
complete -c phi -n "__fish_phi_using_subcommand monitor" -l sort -d 'Order of the rows in the table' -r -f -a "cpu\t''
mem\t''
name\t''"
complete -c phi -n "__fish_phi_using_subcommand monitor" -s f -l file -d 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]' -r -F
complete -c phi -n "__fish_phi_using_subcommand monitor" -s p -l project-name -d 'Project name [default: COMPOSE_PROJECT_NAME, else the file\'s `name:`, else the directory name]' -r
complete -c phi -n "__fish_phi_using_subcommand monitor" -l project-directory -d 'Project directory [default: the first compose file\'s directory, else the current one]' -r -F
complete -c phi -n "__fish_phi_using_subcommand monitor" -l env-file -d 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]' -r -F
complete -c phi -n "__fish_phi_using_subcommand monitor" -l profile -d 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]' -r
complete -c phi -n "__fish_phi_using_subcommand monitor" -l color -d 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c phi -n "__fish_phi_using_subcommand monitor" -l timeout -d 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]' -r
complete -c phi -n "__fish_phi_using_subcommand monitor" -l once -d 'Take one sample (two quick readings for CPU) and exit'
complete -c phi -n "__fish_phi_using_subcommand monitor" -l engine-stats -d 'Always read through the Engine\'s stats API, never from the cgroup files on this host'
complete -c phi -n "__fish_phi_using_subcommand monitor" -l json -d 'Print one JSON document (or JSON lines for streams) on stdout'
complete -c phi -n "__fish_phi_using_subcommand monitor" -s q -l quiet -d 'Print less: no progress and no notes, only data, warnings and errors'
complete -c phi -n "__fish_phi_using_subcommand monitor" -s v -l verbose -d 'Print more: -v explains decisions, -vv also shows engine calls'
complete -c phi -n "__fish_phi_using_subcommand monitor" -s y -l yes -d 'Answer yes to confirmations (needed for destructive actions when not on a terminal)'
complete -c phi -n "__fish_phi_using_subcommand monitor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c phi -n "__fish_phi_using_subcommand monitor" -s V -l version -d 'Print version'
complete -c phi -n "__fish_phi_using_subcommand check-auth" -s f -l file -d 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]' -r -F
complete -c phi -n "__fish_phi_using_subcommand check-auth" -s p -l project-name -d 'Project name [default: COMPOSE_PROJECT_NAME, else the file\'s `name:`, else the directory name]' -r
complete -c phi -n "__fish_phi_using_subcommand check-auth" -l project-directory -d 'Project directory [default: the first compose file\'s directory, else the current one]' -r -F
complete -c phi -n "__fish_phi_using_subcommand check-auth" -l env-file -d 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]' -r -F
complete -c phi -n "__fish_phi_using_subcommand check-auth" -l profile -d 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]' -r
complete -c phi -n "__fish_phi_using_subcommand check-auth" -l color -d 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c phi -n "__fish_phi_using_subcommand check-auth" -l timeout -d 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]' -r
complete -c phi -n "__fish_phi_using_subcommand check-auth" -l online -d 'Also ask GitHub who GITHUB_TOKEN belongs to (GET $GITHUB_API_URL/user), within --timeout'
complete -c phi -n "__fish_phi_using_subcommand check-auth" -l strict -d 'Fail (exit 3) on warnings too, not only on errors'
complete -c phi -n "__fish_phi_using_subcommand check-auth" -l json -d 'Print one JSON document (or JSON lines for streams) on stdout'
complete -c phi -n "__fish_phi_using_subcommand check-auth" -s q -l quiet -d 'Print less: no progress and no notes, only data, warnings and errors'
complete -c phi -n "__fish_phi_using_subcommand check-auth" -s v -l verbose -d 'Print more: -v explains decisions, -vv also shows engine calls'
complete -c phi -n "__fish_phi_using_subcommand check-auth" -s y -l yes -d 'Answer yes to confirmations (needed for destructive actions when not on a terminal)'
complete -c phi -n "__fish_phi_using_subcommand check-auth" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c phi -n "__fish_phi_using_subcommand check-auth" -s V -l version -d 'Print version'
complete -c phi -n "__fish_phi_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -l services -d 'Only these services (comma-separated or repeated)' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -l compression -d 'How to compress the files [default: x-phi backup.compression, else zstd]' -r -f -a "zstd\t''
gzip\t''"
complete -c phi -n "__fish_phi_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -l keep-last -d 'Keep the newest N complete backups [default: x-phi backup.keep_last]' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -l keep-days -d 'Keep backups younger than N days [default: BACKUP_RETENTION_DAYS, else x-phi backup.keep_days]' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -l dir -d 'Where backups live [default: BACKUP_DIR, else x-phi backup.dir, else ./backups in the project directory]' -r -F
complete -c phi -n "__fish_phi_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -l lock-timeout -d 'How long to wait for another run holding the backup directory\'s lock' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -s f -l file -d 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]' -r -F
complete -c phi -n "__fish_phi_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -s p -l project-name -d 'Project name [default: COMPOSE_PROJECT_NAME, else the file\'s `name:`, else the directory name]' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -l project-directory -d 'Project directory [default: the first compose file\'s directory, else the current one]' -r -F
complete -c phi -n "__fish_phi_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -l env-file -d 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]' -r -F
complete -c phi -n "__fish_phi_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -l profile -d 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -l color -d 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c phi -n "__fish_phi_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -l timeout -d 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -l no-prune -d 'Do not prune after a successful backup'
complete -c phi -n "__fish_phi_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -l json -d 'Print one JSON document (or JSON lines for streams) on stdout'
complete -c phi -n "__fish_phi_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -s q -l quiet -d 'Print less: no progress and no notes, only data, warnings and errors'
complete -c phi -n "__fish_phi_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -s v -l verbose -d 'Print more: -v explains decisions, -vv also shows engine calls'
complete -c phi -n "__fish_phi_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -s y -l yes -d 'Answer yes to confirmations (needed for destructive actions when not on a terminal)'
complete -c phi -n "__fish_phi_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c phi -n "__fish_phi_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -s V -l version -d 'Print version'
complete -c phi -n "__fish_phi_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -f -a "create" -d 'Make a backup (the default)'
complete -c phi -n "__fish_phi_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -f -a "list" -d 'List the project\'s backups: ID, state, age, size, items'
complete -c phi -n "__fish_phi_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -f -a "verify" -d 'Re-hash every file against its manifest, read every stream to the end, and check postgres custom dumps with pg_restore --list; exit 3 on any problem'
complete -c phi -n "__fish_phi_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -f -a "restore" -d 'Put a backup back: verify it, show what will be overwritten, ask (or --yes), restore'
complete -c phi -n "__fish_phi_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -f -a "prune" -d 'Delete backups beyond the retention; never the newest complete one'
complete -c phi -n "__fish_phi_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from create" -l services -d 'Only these services (comma-separated or repeated)' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from create" -l compression -d 'How to compress the files [default: x-phi backup.compression, else zstd]' -r -f -a "zstd\t''
gzip\t''"
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from create" -l keep-last -d 'Keep the newest N complete backups [default: x-phi backup.keep_last]' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from create" -l keep-days -d 'Keep backups younger than N days [default: BACKUP_RETENTION_DAYS, else x-phi backup.keep_days]' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from create" -l dir -d 'Where backups live [default: BACKUP_DIR, else x-phi backup.dir, else ./backups in the project directory]' -r -F
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from create" -l lock-timeout -d 'How long to wait for another run holding the backup directory\'s lock' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from create" -s f -l file -d 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]' -r -F
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from create" -s p -l project-name -d 'Project name [default: COMPOSE_PROJECT_NAME, else the file\'s `name:`, else the directory name]' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from create" -l project-directory -d 'Project directory [default: the first compose file\'s directory, else the current one]' -r -F
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from create" -l env-file -d 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]' -r -F
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from create" -l profile -d 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from create" -l color -d 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from create" -l timeout -d 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from create" -l no-prune -d 'Do not prune after a successful backup'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from create" -l json -d 'Print one JSON document (or JSON lines for streams) on stdout'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Print less: no progress and no notes, only data, warnings and errors'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from create" -s v -l verbose -d 'Print more: -v explains decisions, -vv also shows engine calls'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from create" -s y -l yes -d 'Answer yes to confirmations (needed for destructive actions when not on a terminal)'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from list" -l dir -d 'Where backups live [default: BACKUP_DIR, else x-phi backup.dir, else ./backups in the project directory]' -r -F
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from list" -l lock-timeout -d 'How long to wait for another run holding the backup directory\'s lock' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from list" -s f -l file -d 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]' -r -F
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from list" -s p -l project-name -d 'Project name [default: COMPOSE_PROJECT_NAME, else the file\'s `name:`, else the directory name]' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from list" -l project-directory -d 'Project directory [default: the first compose file\'s directory, else the current one]' -r -F
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from list" -l env-file -d 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]' -r -F
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from list" -l profile -d 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from list" -l color -d 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from list" -l timeout -d 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from list" -l json -d 'Print one JSON document (or JSON lines for streams) on stdout'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print less: no progress and no notes, only data, warnings and errors'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Print more: -v explains decisions, -vv also shows engine calls'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from list" -s y -l yes -d 'Answer yes to confirmations (needed for destructive actions when not on a terminal)'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from verify" -l dir -d 'Where backups live [default: BACKUP_DIR, else x-phi backup.dir, else ./backups in the project directory]' -r -F
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from verify" -l lock-timeout -d 'How long to wait for another run holding the backup directory\'s lock' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from verify" -s f -l file -d 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]' -r -F
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from verify" -s p -l project-name -d 'Project name [default: COMPOSE_PROJECT_NAME, else the file\'s `name:`, else the directory name]' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from verify" -l project-directory -d 'Project directory [default: the first compose file\'s directory, else the current one]' -r -F
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from verify" -l env-file -d 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]' -r -F
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from verify" -l profile -d 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from verify" -l color -d 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from verify" -l timeout -d 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from verify" -l json -d 'Print one JSON document (or JSON lines for streams) on stdout'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from verify" -s q -l quiet -d 'Print less: no progress and no notes, only data, warnings and errors'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from verify" -s v -l verbose -d 'Print more: -v explains decisions, -vv also shows engine calls'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from verify" -s y -l yes -d 'Answer yes to confirmations (needed for destructive actions when not on a terminal)'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from verify" -s V -l version -d 'Print version'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from restore" -l service -d 'Only these services\' items (comma-separated or repeated)' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from restore" -l dir -d 'Where backups live [default: BACKUP_DIR, else x-phi backup.dir, else ./backups in the project directory]' -r -F
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from restore" -l lock-timeout -d 'How long to wait for another run holding the backup directory\'s lock' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from restore" -s f -l file -d 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]' -r -F
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from restore" -s p -l project-name -d 'Project name [default: COMPOSE_PROJECT_NAME, else the file\'s `name:`, else the directory name]' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from restore" -l project-directory -d 'Project directory [default: the first compose file\'s directory, else the current one]' -r -F
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from restore" -l env-file -d 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]' -r -F
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from restore" -l profile -d 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from restore" -l color -d 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from restore" -l timeout -d 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from restore" -l json -d 'Print one JSON document (or JSON lines for streams) on stdout'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from restore" -s q -l quiet -d 'Print less: no progress and no notes, only data, warnings and errors'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from restore" -s v -l verbose -d 'Print more: -v explains decisions, -vv also shows engine calls'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from restore" -s y -l yes -d 'Answer yes to confirmations (needed for destructive actions when not on a terminal)'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from restore" -s h -l help -d 'Print help'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from restore" -s V -l version -d 'Print version'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from prune" -l keep-last -d 'Keep the newest N complete backups [default: x-phi backup.keep_last]' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from prune" -l keep-days -d 'Keep backups younger than N days [default: BACKUP_RETENTION_DAYS, else x-phi backup.keep_days]' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from prune" -l dir -d 'Where backups live [default: BACKUP_DIR, else x-phi backup.dir, else ./backups in the project directory]' -r -F
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from prune" -l lock-timeout -d 'How long to wait for another run holding the backup directory\'s lock' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from prune" -s f -l file -d 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]' -r -F
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from prune" -s p -l project-name -d 'Project name [default: COMPOSE_PROJECT_NAME, else the file\'s `name:`, else the directory name]' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from prune" -l project-directory -d 'Project directory [default: the first compose file\'s directory, else the current one]' -r -F
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from prune" -l env-file -d 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]' -r -F
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from prune" -l profile -d 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from prune" -l color -d 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from prune" -l timeout -d 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]' -r
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from prune" -l dry-run -d 'Only list what would be deleted'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from prune" -l json -d 'Print one JSON document (or JSON lines for streams) on stdout'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from prune" -s q -l quiet -d 'Print less: no progress and no notes, only data, warnings and errors'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from prune" -s v -l verbose -d 'Print more: -v explains decisions, -vv also shows engine calls'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from prune" -s y -l yes -d 'Answer yes to confirmations (needed for destructive actions when not on a terminal)'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from prune" -s V -l version -d 'Print version'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from help" -f -a "create" -d 'Make a backup (the default)'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the project\'s backups: ID, state, age, size, items'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Re-hash every file against its manifest, read every stream to the end, and check postgres custom dumps with pg_restore --list; exit 3 on any problem'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from help" -f -a "restore" -d 'Put a backup back: verify it, show what will be overwritten, ask (or --yes), restore'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from help" -f -a "prune" -d 'Delete backups beyond the retention; never the newest complete one'
complete -c phi -n "__fish_phi_using_subcommand backup; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c phi -n "__fish_phi_using_subcommand config" -l format -d 'Output format [default: yaml, json with --json]' -r -f -a "yaml\t''
json\t''"
complete -c phi -n "__fish_phi_using_subcommand config" -s f -l file -d 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]' -r -F
complete -c phi -n "__fish_phi_using_subcommand config" -s p -l project-name -d 'Project name [default: COMPOSE_PROJECT_NAME, else the file\'s `name:`, else the directory name]' -r
complete -c phi -n "__fish_phi_using_subcommand config" -l project-directory -d 'Project directory [default: the first compose file\'s directory, else the current one]' -r -F
complete -c phi -n "__fish_phi_using_subcommand config" -l env-file -d 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]' -r -F
complete -c phi -n "__fish_phi_using_subcommand config" -l profile -d 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]' -r
complete -c phi -n "__fish_phi_using_subcommand config" -l color -d 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c phi -n "__fish_phi_using_subcommand config" -l timeout -d 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]' -r
complete -c phi -n "__fish_phi_using_subcommand config" -l services -d 'List the enabled services, one a line, each after what it depends on'
complete -c phi -n "__fish_phi_using_subcommand config" -l images -d 'List the printed services\' images, one a line (`<project>-<service>` for built ones)'
complete -c phi -n "__fish_phi_using_subcommand config" -l volumes -d 'List the top-level volumes the printed services use, one a line'
complete -c phi -n "__fish_phi_using_subcommand config" -l networks -d 'List the networks the printed services use, one a line'
complete -c phi -n "__fish_phi_using_subcommand config" -l profiles -d 'List every profile any service names, sorted, one a line'
complete -c phi -n "__fish_phi_using_subcommand config" -l show-secrets -d 'Print secret values as they are instead of [redacted]'
complete -c phi -n "__fish_phi_using_subcommand config" -l all-resources -d 'Keep the top-level networks, volumes, secrets and configs no printed service uses'
complete -c phi -n "__fish_phi_using_subcommand config" -l json -d 'Print one JSON document (or JSON lines for streams) on stdout'
complete -c phi -n "__fish_phi_using_subcommand config" -s q -l quiet -d 'Print less: no progress and no notes, only data, warnings and errors'
complete -c phi -n "__fish_phi_using_subcommand config" -s v -l verbose -d 'Print more: -v explains decisions, -vv also shows engine calls'
complete -c phi -n "__fish_phi_using_subcommand config" -s y -l yes -d 'Answer yes to confirmations (needed for destructive actions when not on a terminal)'
complete -c phi -n "__fish_phi_using_subcommand config" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c phi -n "__fish_phi_using_subcommand config" -s V -l version -d 'Print version'
complete -c phi -n "__fish_phi_using_subcommand completions" -s f -l file -d 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]' -r -F
complete -c phi -n "__fish_phi_using_subcommand completions" -s p -l project-name -d 'Project name [default: COMPOSE_PROJECT_NAME, else the file\'s `name:`, else the directory name]' -r
complete -c phi -n "__fish_phi_using_subcommand completions" -l project-directory -d 'Project directory [default: the first compose file\'s directory, else the current one]' -r -F
complete -c phi -n "__fish_phi_using_subcommand completions" -l env-file -d 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]' -r -F
complete -c phi -n "__fish_phi_using_subcommand completions" -l profile -d 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]' -r
complete -c phi -n "__fish_phi_using_subcommand completions" -l color -d 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c phi -n "__fish_phi_using_subcommand completions" -l timeout -d 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]' -r
complete -c phi -n "__fish_phi_using_subcommand completions" -l json -d 'Print one JSON document (or JSON lines for streams) on stdout'
complete -c phi -n "__fish_phi_using_subcommand completions" -s q -l quiet -d 'Print less: no progress and no notes, only data, warnings and errors'
complete -c phi -n "__fish_phi_using_subcommand completions" -s v -l verbose -d 'Print more: -v explains decisions, -vv also shows engine calls'
complete -c phi -n "__fish_phi_using_subcommand completions" -s y -l yes -d 'Answer yes to confirmations (needed for destructive actions when not on a terminal)'
complete -c phi -n "__fish_phi_using_subcommand completions" -s h -l help -d 'Print help'
complete -c phi -n "__fish_phi_using_subcommand completions" -s V -l version -d 'Print version'
complete -c phi -n "__fish_phi_using_subcommand man" -s f -l file -d 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]' -r -F
complete -c phi -n "__fish_phi_using_subcommand man" -s p -l project-name -d 'Project name [default: COMPOSE_PROJECT_NAME, else the file\'s `name:`, else the directory name]' -r
complete -c phi -n "__fish_phi_using_subcommand man" -l project-directory -d 'Project directory [default: the first compose file\'s directory, else the current one]' -r -F
complete -c phi -n "__fish_phi_using_subcommand man" -l env-file -d 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]' -r -F
complete -c phi -n "__fish_phi_using_subcommand man" -l profile -d 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]' -r
complete -c phi -n "__fish_phi_using_subcommand man" -l color -d 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c phi -n "__fish_phi_using_subcommand man" -l timeout -d 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]' -r
complete -c phi -n "__fish_phi_using_subcommand man" -l json -d 'Print one JSON document (or JSON lines for streams) on stdout'
complete -c phi -n "__fish_phi_using_subcommand man" -s q -l quiet -d 'Print less: no progress and no notes, only data, warnings and errors'
complete -c phi -n "__fish_phi_using_subcommand man" -s v -l verbose -d 'Print more: -v explains decisions, -vv also shows engine calls'
complete -c phi -n "__fish_phi_using_subcommand man" -s y -l yes -d 'Answer yes to confirmations (needed for destructive actions when not on a terminal)'
complete -c phi -n "__fish_phi_using_subcommand man" -s h -l help -d 'Print help'
complete -c phi -n "__fish_phi_using_subcommand man" -s V -l version -d 'Print version'
complete -c phi -n "__fish_phi_using_subcommand help; and not __fish_seen_subcommand_from status start-all stop-all monitor check-auth backup config completions man help" -f -a "status" -d 'Show every service\'s state, health, uptime, restarts, ports and probes'
complete -c phi -n "__fish_phi_using_subcommand help; and not __fish_seen_subcommand_from status start-all stop-all monitor check-auth backup config completions man help" -f -a "start-all" -d 'Bring the stack up in dependency order and wait until it is really ready'
complete -c phi -n "__fish_phi_using_subcommand help; and not __fish_seen_subcommand_from status start-all stop-all monitor check-auth backup config completions man help" -f -a "stop-all" -d 'Stop the stack in reverse dependency order; optionally remove it'
complete -c phi -n "__fish_phi_using_subcommand help; and not __fish_seen_subcommand_from status start-all stop-all monitor check-auth backup config completions man help" -f -a "monitor" -d 'Watch CPU, memory, network and block IO of the project\'s containers'
complete -c phi -n "__fish_phi_using_subcommand help; and not __fish_seen_subcommand_from status start-all stop-all monitor check-auth backup config completions man help" -f -a "check-auth" -d 'Check credentials and secrets: variables, env files, Docker secrets, GCP, GitHub, Docker'
complete -c phi -n "__fish_phi_using_subcommand help; and not __fish_seen_subcommand_from status start-all stop-all monitor check-auth backup config completions man help" -f -a "backup" -d 'Back up the stack\'s databases, Redis and volumes; list, verify, restore and prune backups'
complete -c phi -n "__fish_phi_using_subcommand help; and not __fish_seen_subcommand_from status start-all stop-all monitor check-auth backup config completions man help" -f -a "config" -d 'Print the resolved project in Compose\'s canonical form (YAML or JSON), or list parts of it'
complete -c phi -n "__fish_phi_using_subcommand help; and not __fish_seen_subcommand_from status start-all stop-all monitor check-auth backup config completions man help" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c phi -n "__fish_phi_using_subcommand help; and not __fish_seen_subcommand_from status start-all stop-all monitor check-auth backup config completions man help" -f -a "man" -d 'Print the man page (roff) to stdout: phi\'s own, or a subcommand\'s'
complete -c phi -n "__fish_phi_using_subcommand help; and not __fish_seen_subcommand_from status start-all stop-all monitor check-auth backup config completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c phi -n "__fish_phi_using_subcommand help; and __fish_seen_subcommand_from backup" -f -a "create" -d 'Make a backup (the default)'
complete -c phi -n "__fish_phi_using_subcommand help; and __fish_seen_subcommand_from backup" -f -a "list" -d 'List the project\'s backups: ID, state, age, size, items'
complete -c phi -n "__fish_phi_using_subcommand help; and __fish_seen_subcommand_from backup" -f -a "verify" -d 'Re-hash every file against its manifest, read every stream to the end, and check postgres custom dumps with pg_restore --list; exit 3 on any problem'
complete -c phi -n "__fish_phi_using_subcommand help; and __fish_seen_subcommand_from backup" -f -a "restore" -d 'Put a backup back: verify it, show what will be overwritten, ask (or --yes), restore'
complete -c phi -n "__fish_phi_using_subcommand help; and __fish_seen_subcommand_from backup" -f -a "prune" -d 'Delete backups beyond the retention; never the newest complete one'
