
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
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name [default: the file''s `name:`, else COMPOSE_PROJECT_NAME, else the directory name]')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name [default: the file''s `name:`, else COMPOSE_PROJECT_NAME, else the directory name]')
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
            [CompletionResult]::new('check-auth', 'check-auth', [CompletionResultType]::ParameterValue, 'Check credentials and secrets: variables, env files, Docker secrets, GCP, GitHub, Docker')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff) to stdout: phi''s own, or a subcommand''s')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'phi;status' {
            [CompletionResult]::new('--services', '--services', [CompletionResultType]::ParameterName, 'Only these services (comma-separated or repeated)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name [default: the file''s `name:`, else COMPOSE_PROJECT_NAME, else the directory name]')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name [default: the file''s `name:`, else COMPOSE_PROJECT_NAME, else the directory name]')
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
        'phi;check-auth' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name [default: the file''s `name:`, else COMPOSE_PROJECT_NAME, else the directory name]')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name [default: the file''s `name:`, else COMPOSE_PROJECT_NAME, else the directory name]')
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
        'phi;completions' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name [default: the file''s `name:`, else COMPOSE_PROJECT_NAME, else the directory name]')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name [default: the file''s `name:`, else COMPOSE_PROJECT_NAME, else the directory name]')
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
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name [default: the file''s `name:`, else COMPOSE_PROJECT_NAME, else the directory name]')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name [default: the file''s `name:`, else COMPOSE_PROJECT_NAME, else the directory name]')
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
            [CompletionResult]::new('check-auth', 'check-auth', [CompletionResultType]::ParameterValue, 'Check credentials and secrets: variables, env files, Docker secrets, GCP, GitHub, Docker')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff) to stdout: phi''s own, or a subcommand''s')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'phi;help;status' {
            break
        }
        'phi;help;check-auth' {
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
