
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'phi' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'phi'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'phi' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name [default: COMPOSE_PROJECT_NAME, else the file''s `name:`, else the directory name]')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name [default: COMPOSE_PROJECT_NAME, else the file''s `name:`, else the directory name]')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Project directory [default: the first compose file''s directory, else the current one]')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document (or JSON lines for streams) on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: no progress and no notes, only data, warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: no progress and no notes, only data, warnings and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more: -v explains decisions, -vv also shows engine calls')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more: -v explains decisions, -vv also shows engine calls')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for destructive actions when not on a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for destructive actions when not on a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show every service''s state, health, uptime, restarts, ports and probes')
            [CompletionResult]::new('start-all', 'start-all', [CompletionResultType]::ParameterValue, 'Bring the stack up in dependency order and wait until it is really ready')
            [CompletionResult]::new('stop-all', 'stop-all', [CompletionResultType]::ParameterValue, 'Stop the stack in reverse dependency order; optionally remove it')
            [CompletionResult]::new('monitor', 'monitor', [CompletionResultType]::ParameterValue, 'Watch CPU, memory, network and block IO of the project''s containers')
            [CompletionResult]::new('check-auth', 'check-auth', [CompletionResultType]::ParameterValue, 'Check credentials and secrets: variables, env files, Docker secrets, GCP, GitHub, Docker')
            [CompletionResult]::new('backup', 'backup', [CompletionResultType]::ParameterValue, 'Back up the stack''s databases, Redis and volumes; list, verify, restore and prune backups')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Print the resolved project in Compose''s canonical form (YAML or JSON), or list parts of it')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff) to stdout: phi''s own, or a subcommand''s')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'phi;status' {
            [CompletionResult]::new('--services', '--services', [CompletionResultType]::ParameterName, 'Only these services (comma-separated or repeated)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name [default: COMPOSE_PROJECT_NAME, else the file''s `name:`, else the directory name]')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name [default: COMPOSE_PROJECT_NAME, else the file''s `name:`, else the directory name]')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Project directory [default: the first compose file''s directory, else the current one]')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document (or JSON lines for streams) on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: no progress and no notes, only data, warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: no progress and no notes, only data, warnings and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more: -v explains decisions, -vv also shows engine calls')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more: -v explains decisions, -vv also shows engine calls')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for destructive actions when not on a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for destructive actions when not on a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'phi;start-all' {
            [CompletionResult]::new('--services', '--services', [CompletionResultType]::ParameterName, 'Only these services (comma-separated or repeated) and what they depend on')
            [CompletionResult]::new('--pull', '--pull', [CompletionResultType]::ParameterName, 'When to pull images, for every service [default: each service''s pull_policy, else missing]')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name [default: COMPOSE_PROJECT_NAME, else the file''s `name:`, else the directory name]')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name [default: COMPOSE_PROJECT_NAME, else the file''s `name:`, else the directory name]')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Project directory [default: the first compose file''s directory, else the current one]')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]')
            [CompletionResult]::new('--force-recreate', '--force-recreate', [CompletionResultType]::ParameterName, 'Recreate containers even when their configuration is unchanged')
            [CompletionResult]::new('--no-wait', '--no-wait', [CompletionResultType]::ParameterName, 'Do not wait for readiness, except where a dependant''s condition needs it')
            [CompletionResult]::new('--remove-orphans', '--remove-orphans', [CompletionResultType]::ParameterName, 'Stop and remove containers of the project that no compose file declares')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what would be created, recreated, started or left alone, in which order, and stop')
            [CompletionResult]::new('--build', '--build', [CompletionResultType]::ParameterName, 'Build images of services with `build:` even when they are present')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document (or JSON lines for streams) on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: no progress and no notes, only data, warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: no progress and no notes, only data, warnings and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more: -v explains decisions, -vv also shows engine calls')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more: -v explains decisions, -vv also shows engine calls')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for destructive actions when not on a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for destructive actions when not on a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'phi;stop-all' {
            [CompletionResult]::new('--services', '--services', [CompletionResultType]::ParameterName, 'Only these services (comma-separated or repeated); their dependents are not stopped')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name [default: COMPOSE_PROJECT_NAME, else the file''s `name:`, else the directory name]')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name [default: COMPOSE_PROJECT_NAME, else the file''s `name:`, else the directory name]')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Project directory [default: the first compose file''s directory, else the current one]')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]')
            [CompletionResult]::new('--remove', '--remove', [CompletionResultType]::ParameterName, 'Also remove the containers and the project''s networks')
            [CompletionResult]::new('--volumes', '--volumes', [CompletionResultType]::ParameterName, 'Also delete the project''s named volumes (implies --remove; asks, or needs --yes)')
            [CompletionResult]::new('--remove-orphans', '--remove-orphans', [CompletionResultType]::ParameterName, 'Also stop and remove containers of the project that no compose file declares')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what would be stopped and removed, in which order, and change nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document (or JSON lines for streams) on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: no progress and no notes, only data, warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: no progress and no notes, only data, warnings and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more: -v explains decisions, -vv also shows engine calls')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more: -v explains decisions, -vv also shows engine calls')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for destructive actions when not on a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for destructive actions when not on a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'phi;monitor' {
            [CompletionResult]::new('--services', '--services', [CompletionResultType]::ParameterName, 'Only these services (comma-separated or repeated)')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Time between samples')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Stop after N samples')
            [CompletionResult]::new('--cpu', '--cpu', [CompletionResultType]::ParameterName, 'CPU threshold in percent, 100 = one core [default: x-phi, CPU_THRESHOLD, 80]')
            [CompletionResult]::new('--mem', '--mem', [CompletionResultType]::ParameterName, 'Memory threshold in percent of the limit [default: x-phi, MEM_THRESHOLD, 90]')
            [CompletionResult]::new('--max-restarts', '--max-restarts', [CompletionResultType]::ParameterName, 'Alert when a container''s restart count exceeds N [default: x-phi, off]')
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, 'Alert only after N consecutive samples over a threshold')
            [CompletionResult]::new('--webhook', '--webhook', [CompletionResultType]::ParameterName, 'POST each alert as JSON (with a Slack-compatible `text`) to this URL')
            [CompletionResult]::new('--webhook-timeout', '--webhook-timeout', [CompletionResultType]::ParameterName, 'How long one webhook delivery may take (3 attempts at most)')
            [CompletionResult]::new('--log', '--log', [CompletionResultType]::ParameterName, 'Append samples and alerts to this file as JSON lines, rotated by size')
            [CompletionResult]::new('--log-max-size', '--log-max-size', [CompletionResultType]::ParameterName, 'Rotate the --log file when it would grow past this size, e.g. 10MB, 512k (powers of 1024)')
            [CompletionResult]::new('--log-files', '--log-files', [CompletionResultType]::ParameterName, 'How many --log files to keep, the current one included')
            [CompletionResult]::new('--prometheus', '--prometheus', [CompletionResultType]::ParameterName, 'Write the latest sample to this file in the node_exporter textfile format')
            [CompletionResult]::new('--serve', '--serve', [CompletionResultType]::ParameterName, 'Serve /metrics (Prometheus text format, cAdvisor''s series names) and /healthz on HOST:PORT (or :PORT for every interface), from the latest sample')
            [CompletionResult]::new('--sort', '--sort', [CompletionResultType]::ParameterName, 'Order of the rows in the table')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name [default: COMPOSE_PROJECT_NAME, else the file''s `name:`, else the directory name]')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name [default: COMPOSE_PROJECT_NAME, else the file''s `name:`, else the directory name]')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Project directory [default: the first compose file''s directory, else the current one]')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]')
            [CompletionResult]::new('--once', '--once', [CompletionResultType]::ParameterName, 'Take one sample (two quick readings for CPU) and exit')
            [CompletionResult]::new('--engine-stats', '--engine-stats', [CompletionResultType]::ParameterName, 'Always read through the Engine''s stats API, never from the cgroup files on this host')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document (or JSON lines for streams) on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: no progress and no notes, only data, warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: no progress and no notes, only data, warnings and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more: -v explains decisions, -vv also shows engine calls')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more: -v explains decisions, -vv also shows engine calls')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for destructive actions when not on a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for destructive actions when not on a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'phi;check-auth' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name [default: COMPOSE_PROJECT_NAME, else the file''s `name:`, else the directory name]')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name [default: COMPOSE_PROJECT_NAME, else the file''s `name:`, else the directory name]')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Project directory [default: the first compose file''s directory, else the current one]')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]')
            [CompletionResult]::new('--online', '--online', [CompletionResultType]::ParameterName, 'Also ask GitHub who GITHUB_TOKEN belongs to (GET $GITHUB_API_URL/user), within --timeout')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Fail (exit 3) on warnings too, not only on errors')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document (or JSON lines for streams) on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: no progress and no notes, only data, warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: no progress and no notes, only data, warnings and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more: -v explains decisions, -vv also shows engine calls')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more: -v explains decisions, -vv also shows engine calls')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for destructive actions when not on a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for destructive actions when not on a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'phi;backup' {
            [CompletionResult]::new('--services', '--services', [CompletionResultType]::ParameterName, 'Only these services (comma-separated or repeated)')
            [CompletionResult]::new('--compression', '--compression', [CompletionResultType]::ParameterName, 'How to compress the files [default: x-phi backup.compression, else zstd]')
            [CompletionResult]::new('--keep-last', '--keep-last', [CompletionResultType]::ParameterName, 'Keep the newest N complete backups [default: x-phi backup.keep_last]')
            [CompletionResult]::new('--keep-days', '--keep-days', [CompletionResultType]::ParameterName, 'Keep backups younger than N days [default: BACKUP_RETENTION_DAYS, else x-phi backup.keep_days]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Where backups live [default: BACKUP_DIR, else x-phi backup.dir, else ./backups in the project directory]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another run holding the backup directory''s lock')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name [default: COMPOSE_PROJECT_NAME, else the file''s `name:`, else the directory name]')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name [default: COMPOSE_PROJECT_NAME, else the file''s `name:`, else the directory name]')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Project directory [default: the first compose file''s directory, else the current one]')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]')
            [CompletionResult]::new('--no-prune', '--no-prune', [CompletionResultType]::ParameterName, 'Do not prune after a successful backup')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document (or JSON lines for streams) on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: no progress and no notes, only data, warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: no progress and no notes, only data, warnings and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more: -v explains decisions, -vv also shows engine calls')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more: -v explains decisions, -vv also shows engine calls')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for destructive actions when not on a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for destructive actions when not on a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Make a backup (the default)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the project''s backups: ID, state, age, size, items')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Re-hash every file against its manifest, read every stream to the end, and check postgres custom dumps with pg_restore --list; exit 3 on any problem')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Put a backup back: verify it, show what will be overwritten, ask (or --yes), restore')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Delete backups beyond the retention; never the newest complete one')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'phi;backup;create' {
            [CompletionResult]::new('--services', '--services', [CompletionResultType]::ParameterName, 'Only these services (comma-separated or repeated)')
            [CompletionResult]::new('--compression', '--compression', [CompletionResultType]::ParameterName, 'How to compress the files [default: x-phi backup.compression, else zstd]')
            [CompletionResult]::new('--keep-last', '--keep-last', [CompletionResultType]::ParameterName, 'Keep the newest N complete backups [default: x-phi backup.keep_last]')
            [CompletionResult]::new('--keep-days', '--keep-days', [CompletionResultType]::ParameterName, 'Keep backups younger than N days [default: BACKUP_RETENTION_DAYS, else x-phi backup.keep_days]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Where backups live [default: BACKUP_DIR, else x-phi backup.dir, else ./backups in the project directory]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another run holding the backup directory''s lock')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name [default: COMPOSE_PROJECT_NAME, else the file''s `name:`, else the directory name]')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name [default: COMPOSE_PROJECT_NAME, else the file''s `name:`, else the directory name]')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Project directory [default: the first compose file''s directory, else the current one]')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]')
            [CompletionResult]::new('--no-prune', '--no-prune', [CompletionResultType]::ParameterName, 'Do not prune after a successful backup')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document (or JSON lines for streams) on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: no progress and no notes, only data, warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: no progress and no notes, only data, warnings and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more: -v explains decisions, -vv also shows engine calls')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more: -v explains decisions, -vv also shows engine calls')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for destructive actions when not on a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for destructive actions when not on a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'phi;backup;list' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Where backups live [default: BACKUP_DIR, else x-phi backup.dir, else ./backups in the project directory]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another run holding the backup directory''s lock')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name [default: COMPOSE_PROJECT_NAME, else the file''s `name:`, else the directory name]')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name [default: COMPOSE_PROJECT_NAME, else the file''s `name:`, else the directory name]')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Project directory [default: the first compose file''s directory, else the current one]')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document (or JSON lines for streams) on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: no progress and no notes, only data, warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: no progress and no notes, only data, warnings and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more: -v explains decisions, -vv also shows engine calls')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more: -v explains decisions, -vv also shows engine calls')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for destructive actions when not on a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for destructive actions when not on a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'phi;backup;verify' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Where backups live [default: BACKUP_DIR, else x-phi backup.dir, else ./backups in the project directory]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another run holding the backup directory''s lock')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name [default: COMPOSE_PROJECT_NAME, else the file''s `name:`, else the directory name]')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name [default: COMPOSE_PROJECT_NAME, else the file''s `name:`, else the directory name]')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Project directory [default: the first compose file''s directory, else the current one]')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document (or JSON lines for streams) on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: no progress and no notes, only data, warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: no progress and no notes, only data, warnings and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more: -v explains decisions, -vv also shows engine calls')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more: -v explains decisions, -vv also shows engine calls')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for destructive actions when not on a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for destructive actions when not on a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'phi;backup;restore' {
            [CompletionResult]::new('--service', '--service', [CompletionResultType]::ParameterName, 'Only these services'' items (comma-separated or repeated)')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Where backups live [default: BACKUP_DIR, else x-phi backup.dir, else ./backups in the project directory]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another run holding the backup directory''s lock')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name [default: COMPOSE_PROJECT_NAME, else the file''s `name:`, else the directory name]')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name [default: COMPOSE_PROJECT_NAME, else the file''s `name:`, else the directory name]')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Project directory [default: the first compose file''s directory, else the current one]')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document (or JSON lines for streams) on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: no progress and no notes, only data, warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: no progress and no notes, only data, warnings and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more: -v explains decisions, -vv also shows engine calls')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more: -v explains decisions, -vv also shows engine calls')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for destructive actions when not on a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for destructive actions when not on a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'phi;backup;prune' {
            [CompletionResult]::new('--keep-last', '--keep-last', [CompletionResultType]::ParameterName, 'Keep the newest N complete backups [default: x-phi backup.keep_last]')
            [CompletionResult]::new('--keep-days', '--keep-days', [CompletionResultType]::ParameterName, 'Keep backups younger than N days [default: BACKUP_RETENTION_DAYS, else x-phi backup.keep_days]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Where backups live [default: BACKUP_DIR, else x-phi backup.dir, else ./backups in the project directory]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another run holding the backup directory''s lock')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name [default: COMPOSE_PROJECT_NAME, else the file''s `name:`, else the directory name]')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name [default: COMPOSE_PROJECT_NAME, else the file''s `name:`, else the directory name]')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Project directory [default: the first compose file''s directory, else the current one]')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Only list what would be deleted')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document (or JSON lines for streams) on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: no progress and no notes, only data, warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: no progress and no notes, only data, warnings and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more: -v explains decisions, -vv also shows engine calls')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more: -v explains decisions, -vv also shows engine calls')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for destructive actions when not on a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for destructive actions when not on a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'phi;backup;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Make a backup (the default)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the project''s backups: ID, state, age, size, items')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Re-hash every file against its manifest, read every stream to the end, and check postgres custom dumps with pg_restore --list; exit 3 on any problem')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Put a backup back: verify it, show what will be overwritten, ask (or --yes), restore')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Delete backups beyond the retention; never the newest complete one')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'phi;backup;help;create' {
            break
        }
        'phi;backup;help;list' {
            break
        }
        'phi;backup;help;verify' {
            break
        }
        'phi;backup;help;restore' {
            break
        }
        'phi;backup;help;prune' {
            break
        }
        'phi;backup;help;help' {
            break
        }
        'phi;config' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: yaml, json with --json]')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name [default: COMPOSE_PROJECT_NAME, else the file''s `name:`, else the directory name]')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name [default: COMPOSE_PROJECT_NAME, else the file''s `name:`, else the directory name]')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Project directory [default: the first compose file''s directory, else the current one]')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]')
            [CompletionResult]::new('--services', '--services', [CompletionResultType]::ParameterName, 'List the enabled services, one a line, each after what it depends on')
            [CompletionResult]::new('--images', '--images', [CompletionResultType]::ParameterName, 'List the printed services'' images, one a line (`<project>-<service>` for built ones)')
            [CompletionResult]::new('--volumes', '--volumes', [CompletionResultType]::ParameterName, 'List the top-level volumes the printed services use, one a line')
            [CompletionResult]::new('--networks', '--networks', [CompletionResultType]::ParameterName, 'List the networks the printed services use, one a line')
            [CompletionResult]::new('--profiles', '--profiles', [CompletionResultType]::ParameterName, 'List every profile any service names, sorted, one a line')
            [CompletionResult]::new('--show-secrets', '--show-secrets', [CompletionResultType]::ParameterName, 'Print secret values as they are instead of [redacted]')
            [CompletionResult]::new('--all-resources', '--all-resources', [CompletionResultType]::ParameterName, 'Keep the top-level networks, volumes, secrets and configs no printed service uses')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document (or JSON lines for streams) on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: no progress and no notes, only data, warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: no progress and no notes, only data, warnings and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more: -v explains decisions, -vv also shows engine calls')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more: -v explains decisions, -vv also shows engine calls')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for destructive actions when not on a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for destructive actions when not on a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'phi;completions' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name [default: COMPOSE_PROJECT_NAME, else the file''s `name:`, else the directory name]')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name [default: COMPOSE_PROJECT_NAME, else the file''s `name:`, else the directory name]')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Project directory [default: the first compose file''s directory, else the current one]')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document (or JSON lines for streams) on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: no progress and no notes, only data, warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: no progress and no notes, only data, warnings and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more: -v explains decisions, -vv also shows engine calls')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more: -v explains decisions, -vv also shows engine calls')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for destructive actions when not on a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for destructive actions when not on a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'phi;man' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name [default: COMPOSE_PROJECT_NAME, else the file''s `name:`, else the directory name]')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name [default: COMPOSE_PROJECT_NAME, else the file''s `name:`, else the directory name]')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Project directory [default: the first compose file''s directory, else the current one]')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document (or JSON lines for streams) on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: no progress and no notes, only data, warnings and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: no progress and no notes, only data, warnings and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more: -v explains decisions, -vv also shows engine calls')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more: -v explains decisions, -vv also shows engine calls')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for destructive actions when not on a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for destructive actions when not on a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'phi;help' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show every service''s state, health, uptime, restarts, ports and probes')
            [CompletionResult]::new('start-all', 'start-all', [CompletionResultType]::ParameterValue, 'Bring the stack up in dependency order and wait until it is really ready')
            [CompletionResult]::new('stop-all', 'stop-all', [CompletionResultType]::ParameterValue, 'Stop the stack in reverse dependency order; optionally remove it')
            [CompletionResult]::new('monitor', 'monitor', [CompletionResultType]::ParameterValue, 'Watch CPU, memory, network and block IO of the project''s containers')
            [CompletionResult]::new('check-auth', 'check-auth', [CompletionResultType]::ParameterValue, 'Check credentials and secrets: variables, env files, Docker secrets, GCP, GitHub, Docker')
            [CompletionResult]::new('backup', 'backup', [CompletionResultType]::ParameterValue, 'Back up the stack''s databases, Redis and volumes; list, verify, restore and prune backups')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Print the resolved project in Compose''s canonical form (YAML or JSON), or list parts of it')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff) to stdout: phi''s own, or a subcommand''s')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'phi;help;status' {
            break
        }
        'phi;help;start-all' {
            break
        }
        'phi;help;stop-all' {
            break
        }
        'phi;help;monitor' {
            break
        }
        'phi;help;check-auth' {
            break
        }
        'phi;help;backup' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Make a backup (the default)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the project''s backups: ID, state, age, size, items')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Re-hash every file against its manifest, read every stream to the end, and check postgres custom dumps with pg_restore --list; exit 3 on any problem')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Put a backup back: verify it, show what will be overwritten, ask (or --yes), restore')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Delete backups beyond the retention; never the newest complete one')
            break
        }
        'phi;help;backup;create' {
            break
        }
        'phi;help;backup;list' {
            break
        }
        'phi;help;backup;verify' {
            break
        }
        'phi;help;backup;restore' {
            break
        }
        'phi;help;backup;prune' {
            break
        }
        'phi;help;config' {
            break
        }
        'phi;help;completions' {
            break
        }
        'phi;help;man' {
            break
        }
        'phi;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
