
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
            cand check-auth 'Check credentials and secrets: variables, env files, Docker secrets, GCP, GitHub, Docker'
            cand completions 'Print a shell completion script to stdout'
            cand man 'Print the man page (roff) to stdout: phi''s own, or a subcommand''s'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'phi;help;status'= {
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
