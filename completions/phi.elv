
use builtin;
use str;

set edit:completion:arg-completer[phi] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'phi'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'phi'= {
            cand -f 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]'
            cand --file 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]'
            cand -p 'Project name [default: the file''s `name:`, else COMPOSE_PROJECT_NAME, else the directory name]'
            cand --project-name 'Project name [default: the file''s `name:`, else COMPOSE_PROJECT_NAME, else the directory name]'
            cand --project-directory 'Project directory [default: the first compose file''s directory, else the current one]'
            cand --env-file 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]'
            cand --profile 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]'
            cand --color 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]'
            cand --timeout 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]'
            cand --json 'Print one JSON document (or JSON lines for streams) on stdout'
            cand -q 'Print less: no progress and no notes, only data, warnings and errors'
            cand --quiet 'Print less: no progress and no notes, only data, warnings and errors'
            cand -v 'Print more: -v explains decisions, -vv also shows engine calls'
            cand --verbose 'Print more: -v explains decisions, -vv also shows engine calls'
            cand -y 'Answer yes to confirmations (needed for destructive actions when not on a terminal)'
            cand --yes 'Answer yes to confirmations (needed for destructive actions when not on a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand status 'Show every service''s state, health, uptime, restarts, ports and probes'
            cand start-all 'Bring the stack up in dependency order and wait until it is really ready'
            cand stop-all 'Stop the stack in reverse dependency order; optionally remove it'
            cand monitor 'Watch CPU, memory, network and block IO of the project''s containers'
            cand check-auth 'Check credentials and secrets: variables, env files, Docker secrets, GCP, GitHub, Docker'
            cand completions 'Print a shell completion script to stdout'
            cand man 'Print the man page (roff) to stdout: phi''s own, or a subcommand''s'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'phi;status'= {
            cand --services 'Only these services (comma-separated or repeated)'
            cand -f 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]'
            cand --file 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]'
            cand -p 'Project name [default: the file''s `name:`, else COMPOSE_PROJECT_NAME, else the directory name]'
            cand --project-name 'Project name [default: the file''s `name:`, else COMPOSE_PROJECT_NAME, else the directory name]'
            cand --project-directory 'Project directory [default: the first compose file''s directory, else the current one]'
            cand --env-file 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]'
            cand --profile 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]'
            cand --color 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]'
            cand --timeout 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]'
            cand --json 'Print one JSON document (or JSON lines for streams) on stdout'
            cand -q 'Print less: no progress and no notes, only data, warnings and errors'
            cand --quiet 'Print less: no progress and no notes, only data, warnings and errors'
            cand -v 'Print more: -v explains decisions, -vv also shows engine calls'
            cand --verbose 'Print more: -v explains decisions, -vv also shows engine calls'
            cand -y 'Answer yes to confirmations (needed for destructive actions when not on a terminal)'
            cand --yes 'Answer yes to confirmations (needed for destructive actions when not on a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'phi;start-all'= {
            cand --services 'Only these services (comma-separated or repeated) and what they depend on'
            cand --pull 'When to pull images'
            cand -f 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]'
            cand --file 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]'
            cand -p 'Project name [default: the file''s `name:`, else COMPOSE_PROJECT_NAME, else the directory name]'
            cand --project-name 'Project name [default: the file''s `name:`, else COMPOSE_PROJECT_NAME, else the directory name]'
            cand --project-directory 'Project directory [default: the first compose file''s directory, else the current one]'
            cand --env-file 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]'
            cand --profile 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]'
            cand --color 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]'
            cand --timeout 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]'
            cand --force-recreate 'Recreate containers even when their configuration is unchanged'
            cand --no-wait 'Do not wait for readiness, except where a dependant''s condition needs it'
            cand --remove-orphans 'Stop and remove containers of the project that no compose file declares'
            cand --dry-run 'Print what would be created, recreated, started or left alone, in which order, and stop'
            cand --build 'Build images of services with `build:` even when they are present'
            cand --json 'Print one JSON document (or JSON lines for streams) on stdout'
            cand -q 'Print less: no progress and no notes, only data, warnings and errors'
            cand --quiet 'Print less: no progress and no notes, only data, warnings and errors'
            cand -v 'Print more: -v explains decisions, -vv also shows engine calls'
            cand --verbose 'Print more: -v explains decisions, -vv also shows engine calls'
            cand -y 'Answer yes to confirmations (needed for destructive actions when not on a terminal)'
            cand --yes 'Answer yes to confirmations (needed for destructive actions when not on a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'phi;stop-all'= {
            cand --services 'Only these services (comma-separated or repeated); their dependents are not stopped'
            cand -f 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]'
            cand --file 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]'
            cand -p 'Project name [default: the file''s `name:`, else COMPOSE_PROJECT_NAME, else the directory name]'
            cand --project-name 'Project name [default: the file''s `name:`, else COMPOSE_PROJECT_NAME, else the directory name]'
            cand --project-directory 'Project directory [default: the first compose file''s directory, else the current one]'
            cand --env-file 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]'
            cand --profile 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]'
            cand --color 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]'
            cand --timeout 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]'
            cand --remove 'Also remove the containers and the project''s networks'
            cand --volumes 'Also delete the project''s named volumes (implies --remove; asks, or needs --yes)'
            cand --remove-orphans 'Also stop and remove containers of the project that no compose file declares'
            cand --dry-run 'Print what would be stopped and removed, in which order, and change nothing'
            cand --json 'Print one JSON document (or JSON lines for streams) on stdout'
            cand -q 'Print less: no progress and no notes, only data, warnings and errors'
            cand --quiet 'Print less: no progress and no notes, only data, warnings and errors'
            cand -v 'Print more: -v explains decisions, -vv also shows engine calls'
            cand --verbose 'Print more: -v explains decisions, -vv also shows engine calls'
            cand -y 'Answer yes to confirmations (needed for destructive actions when not on a terminal)'
            cand --yes 'Answer yes to confirmations (needed for destructive actions when not on a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'phi;monitor'= {
            cand --services 'Only these services (comma-separated or repeated)'
            cand --interval 'Time between samples'
            cand --count 'Stop after N samples'
            cand --cpu 'CPU threshold in percent, 100 = one core [default: x-phi, CPU_THRESHOLD, 80]'
            cand --mem 'Memory threshold in percent of the limit [default: x-phi, MEM_THRESHOLD, 90]'
            cand --max-restarts 'Alert when a container''s restart count exceeds N [default: x-phi, off]'
            cand --for 'Alert only after N consecutive samples over a threshold'
            cand --webhook 'POST each alert as JSON (with a Slack-compatible `text`) to this URL'
            cand --webhook-timeout 'How long one webhook delivery may take (3 attempts at most)'
            cand --log 'Append samples and alerts to this file as JSON lines, rotated by size'
            cand --log-max-size 'Rotate the --log file when it would grow past this size, e.g. 10MB, 512KiB'
            cand --log-files 'How many --log files to keep, the current one included'
            cand --prometheus 'Write the latest sample to this file in the node_exporter textfile format'
            cand --sort 'Order of the rows in the table'
            cand -f 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]'
            cand --file 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]'
            cand -p 'Project name [default: the file''s `name:`, else COMPOSE_PROJECT_NAME, else the directory name]'
            cand --project-name 'Project name [default: the file''s `name:`, else COMPOSE_PROJECT_NAME, else the directory name]'
            cand --project-directory 'Project directory [default: the first compose file''s directory, else the current one]'
            cand --env-file 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]'
            cand --profile 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]'
            cand --color 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]'
            cand --timeout 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]'
            cand --once 'Take one sample (two quick readings for CPU) and exit'
            cand --engine-stats 'Always read through the Engine''s stats API, never from the cgroup files on this host'
            cand --json 'Print one JSON document (or JSON lines for streams) on stdout'
            cand -q 'Print less: no progress and no notes, only data, warnings and errors'
            cand --quiet 'Print less: no progress and no notes, only data, warnings and errors'
            cand -v 'Print more: -v explains decisions, -vv also shows engine calls'
            cand --verbose 'Print more: -v explains decisions, -vv also shows engine calls'
            cand -y 'Answer yes to confirmations (needed for destructive actions when not on a terminal)'
            cand --yes 'Answer yes to confirmations (needed for destructive actions when not on a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'phi;check-auth'= {
            cand -f 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]'
            cand --file 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]'
            cand -p 'Project name [default: the file''s `name:`, else COMPOSE_PROJECT_NAME, else the directory name]'
            cand --project-name 'Project name [default: the file''s `name:`, else COMPOSE_PROJECT_NAME, else the directory name]'
            cand --project-directory 'Project directory [default: the first compose file''s directory, else the current one]'
            cand --env-file 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]'
            cand --profile 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]'
            cand --color 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]'
            cand --timeout 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]'
            cand --online 'Also ask GitHub who GITHUB_TOKEN belongs to (GET $GITHUB_API_URL/user), within --timeout'
            cand --strict 'Fail (exit 3) on warnings too, not only on errors'
            cand --json 'Print one JSON document (or JSON lines for streams) on stdout'
            cand -q 'Print less: no progress and no notes, only data, warnings and errors'
            cand --quiet 'Print less: no progress and no notes, only data, warnings and errors'
            cand -v 'Print more: -v explains decisions, -vv also shows engine calls'
            cand --verbose 'Print more: -v explains decisions, -vv also shows engine calls'
            cand -y 'Answer yes to confirmations (needed for destructive actions when not on a terminal)'
            cand --yes 'Answer yes to confirmations (needed for destructive actions when not on a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'phi;completions'= {
            cand -f 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]'
            cand --file 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]'
            cand -p 'Project name [default: the file''s `name:`, else COMPOSE_PROJECT_NAME, else the directory name]'
            cand --project-name 'Project name [default: the file''s `name:`, else COMPOSE_PROJECT_NAME, else the directory name]'
            cand --project-directory 'Project directory [default: the first compose file''s directory, else the current one]'
            cand --env-file 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]'
            cand --profile 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]'
            cand --color 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]'
            cand --timeout 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]'
            cand --json 'Print one JSON document (or JSON lines for streams) on stdout'
            cand -q 'Print less: no progress and no notes, only data, warnings and errors'
            cand --quiet 'Print less: no progress and no notes, only data, warnings and errors'
            cand -v 'Print more: -v explains decisions, -vv also shows engine calls'
            cand --verbose 'Print more: -v explains decisions, -vv also shows engine calls'
            cand -y 'Answer yes to confirmations (needed for destructive actions when not on a terminal)'
            cand --yes 'Answer yes to confirmations (needed for destructive actions when not on a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'phi;man'= {
            cand -f 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]'
            cand --file 'Compose file; repeat to merge several, in order, like Compose [env: PHI_FILE, COMPOSE_FILE]'
            cand -p 'Project name [default: the file''s `name:`, else COMPOSE_PROJECT_NAME, else the directory name]'
            cand --project-name 'Project name [default: the file''s `name:`, else COMPOSE_PROJECT_NAME, else the directory name]'
            cand --project-directory 'Project directory [default: the first compose file''s directory, else the current one]'
            cand --env-file 'Env file to load; repeat for several, later ones win [default: <project dir>/.env]'
            cand --profile 'Activate a Compose profile; repeat for several [env: COMPOSE_PROFILES]'
            cand --color 'When to use colours [NO_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured with `auto`]'
            cand --timeout 'Longest time to wait for the engine, probes and readiness, e.g. 30s, 2m [default: per command]'
            cand --json 'Print one JSON document (or JSON lines for streams) on stdout'
            cand -q 'Print less: no progress and no notes, only data, warnings and errors'
            cand --quiet 'Print less: no progress and no notes, only data, warnings and errors'
            cand -v 'Print more: -v explains decisions, -vv also shows engine calls'
            cand --verbose 'Print more: -v explains decisions, -vv also shows engine calls'
            cand -y 'Answer yes to confirmations (needed for destructive actions when not on a terminal)'
            cand --yes 'Answer yes to confirmations (needed for destructive actions when not on a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'phi;help'= {
            cand status 'Show every service''s state, health, uptime, restarts, ports and probes'
            cand start-all 'Bring the stack up in dependency order and wait until it is really ready'
            cand stop-all 'Stop the stack in reverse dependency order; optionally remove it'
            cand monitor 'Watch CPU, memory, network and block IO of the project''s containers'
            cand check-auth 'Check credentials and secrets: variables, env files, Docker secrets, GCP, GitHub, Docker'
            cand completions 'Print a shell completion script to stdout'
            cand man 'Print the man page (roff) to stdout: phi''s own, or a subcommand''s'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'phi;help;status'= {
        }
        &'phi;help;start-all'= {
        }
        &'phi;help;stop-all'= {
        }
        &'phi;help;monitor'= {
        }
        &'phi;help;check-auth'= {
        }
        &'phi;help;completions'= {
        }
        &'phi;help;man'= {
        }
        &'phi;help;help'= {
        }
    ]
    $completions[$command]
}
