#!/usr/bin/env bash
# Entrypoint of phi-test/postgres:15, modelled on the official postgres image.
#
# Environment:
#   POSTGRES_USER            superuser name (default: postgres)
#   POSTGRES_PASSWORD        its password; or POSTGRES_PASSWORD_FILE (not both)
#   POSTGRES_DB              database created at first start (default: $POSTGRES_USER)
#   POSTGRES_INITDB_ARGS     extra initdb arguments
#   POSTGRES_HOST_AUTH_METHOD auth for host connections (default: scram-sha-256
#                            when a password is set, else trust)
#   PGDATA                   data directory (default: /var/lib/postgresql/data)
#
# On an empty PGDATA: initdb as the postgres OS user, listen_addresses='*',
# create the database, run /docker-entrypoint-initdb.d/*.sh|*.sql|*.sql.gz.
# Then exec postgres (as the postgres user, PID 1, so it receives signals;
# the image's STOPSIGNAL is SIGINT = fast shutdown).
# Any command other than "postgres" (e.g. psql, pg_dump) is exec'd as is.
set -Eeo pipefail

PHI_PG_BIN="${PHI_PG_BIN:-/usr/lib/postgresql/15/bin}"
case ":$PATH:" in *":$PHI_PG_BIN:"*) ;; *) export PATH="$PHI_PG_BIN:$PATH" ;; esac

pg_log() { printf 'docker-entrypoint: %s\n' "$*" >&2; }
pg_die() { printf 'docker-entrypoint: error: %s\n' "$*" >&2; exit 1; }

# file_env VAR [DEFAULT]: VAR or VAR_FILE (contents), never both.
file_env() {
    local var="$1" def="${2:-}"
    local fvar="${var}_FILE"
    if [[ -n "${!var:-}" && -n "${!fvar:-}" ]]; then
        pg_die "both $var and $fvar are set (but are exclusive)"
    fi
    local val="$def"
    if [[ -n "${!var:-}" ]]; then
        val="${!var}"
    elif [[ -n "${!fvar:-}" ]]; then
        [[ -r "${!fvar}" ]] || pg_die "$fvar=${!fvar} is not readable"
        val="$(<"${!fvar}")"
    fi
    export "$var"="$val"
    unset "$fvar"
}

# Run a command as the postgres OS user, whichever tool the rootfs has.
as_postgres() {
    if command -v setpriv >/dev/null 2>&1; then
        exec setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
    elif command -v runuser >/dev/null 2>&1; then
        exec runuser -u postgres -- "$@"
    else
        exec su -s /bin/sh -c 'exec "$0" "$@"' postgres "$@"
    fi
}

if [[ "${1:-}" == -* ]]; then
    set -- postgres "$@"
fi

if [[ "${1:-}" != "postgres" ]]; then
    exec "$@"
fi

export PGDATA="${PGDATA:-/var/lib/postgresql/data}"

# As root: prepare directories, then re-run this script as postgres.
if [[ "$(id -u)" == "0" ]]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chmod 00700 "$PGDATA" || :
    chmod 03775 /var/run/postgresql || :
    find "$PGDATA" /var/run/postgresql \! -user postgres -exec chown postgres:postgres '{}' + 2>/dev/null || :
    as_postgres "${BASH_SOURCE[0]}" "$@"
fi

file_env POSTGRES_PASSWORD
file_env POSTGRES_USER postgres
file_env POSTGRES_DB "$POSTGRES_USER"
file_env POSTGRES_INITDB_ARGS
if [[ -z "${POSTGRES_HOST_AUTH_METHOD:-}" ]]; then
    if [[ -n "$POSTGRES_PASSWORD" ]]; then
        POSTGRES_HOST_AUTH_METHOD=scram-sha-256
    else
        POSTGRES_HOST_AUTH_METHOD=trust
    fi
fi

mkdir -p "$PGDATA" 2>/dev/null || :
[[ -w "$PGDATA" ]] || pg_die "PGDATA=$PGDATA is not writable by $(id -un)"
chmod 00700 "$PGDATA" 2>/dev/null || :

if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
    if [[ -n "$(find "$PGDATA" -mindepth 1 -maxdepth 1 ! -name lost+found -print -quit 2>/dev/null)" ]]; then
        pg_die "PGDATA=$PGDATA is not empty but has no PG_VERSION"
    fi
    pg_log "initializing database in $PGDATA (user=$POSTGRES_USER db=$POSTGRES_DB host auth=$POSTGRES_HOST_AUTH_METHOD)"
    pwfile=""
    if [[ -n "$POSTGRES_PASSWORD" ]]; then
        pwfile="$(mktemp)"
        printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
    fi
    # shellcheck disable=SC2086
    initdb --username="$POSTGRES_USER" ${pwfile:+--pwfile="$pwfile"} \
        --encoding=UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host="$POSTGRES_HOST_AUTH_METHOD" \
        -D "$PGDATA" $POSTGRES_INITDB_ARGS >/dev/null
    [[ -z "$pwfile" ]] || rm -f "$pwfile"

    {
        printf '\n# added by docker-entrypoint.sh\n'
        printf 'host all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD"
    } >>"$PGDATA/pg_hba.conf"
    {
        printf '\n# added by docker-entrypoint.sh\n'
        printf "listen_addresses = '*'\n"
        printf "unix_socket_directories = '/var/run/postgresql'\n"
    } >>"$PGDATA/postgresql.conf"

    # Temporary server on the unix socket only, so clients waiting on TCP
    # (pg_isready -h ...) only see the final server.
    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p ${PGPORT:-5432}" -w -s start

    export PGHOST=/var/run/postgresql PGUSER="$POSTGRES_USER" PGPASSWORD="$POSTGRES_PASSWORD"
    psql_base=(psql -v ON_ERROR_STOP=1 --no-password --no-psqlrc -q)
    if [[ "$POSTGRES_DB" != "postgres" ]]; then
        exists="$("${psql_base[@]}" --dbname postgres -tA --set db="$POSTGRES_DB" \
            <<<"SELECT 1 FROM pg_database WHERE datname = :'db';")"
        if [[ -z "$exists" ]]; then
            "${psql_base[@]}" --dbname postgres --set db="$POSTGRES_DB" \
                <<<'CREATE DATABASE :"db";'
        fi
    fi

    shopt -s nullglob
    for f in /docker-entrypoint-initdb.d/*; do
        case "$f" in
            *.sh)
                # shellcheck disable=SC1090
                if [[ -x "$f" ]]; then pg_log "running $f"; "$f"
                else pg_log "sourcing $f"; . "$f"; fi ;;
            *.sql)    pg_log "running $f"; "${psql_base[@]}" --dbname "$POSTGRES_DB" -f "$f" ;;
            *.sql.gz) pg_log "running $f"; gunzip -c "$f" | "${psql_base[@]}" --dbname "$POSTGRES_DB" ;;
            *)        pg_log "ignoring $f" ;;
        esac
    done
    shopt -u nullglob
    unset PGHOST PGUSER PGPASSWORD

    pg_ctl -D "$PGDATA" -m fast -w -s stop
    pg_log "init complete; starting postgres"
fi

unset POSTGRES_PASSWORD
exec "$@"
