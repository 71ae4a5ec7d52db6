#!/bin/sh
# Entrypoint of phi-test/redis:7 (like the official redis image): when started
# as root with redis-server, make /data owned by redis and drop to that user;
# redis-server is exec'd so it is PID 1 and gets SIGTERM (clean shutdown).
# Anything else (redis-cli, sh, ...) is exec'd as is.
set -e
case "${1:-}" in
    -*|*.conf) set -- redis-server "$@" ;;
esac
if [ "${1:-}" = "redis-server" ] && [ "$(id -u)" = "0" ]; then
    mkdir -p /data
    find /data \! -user redis -exec chown redis:redis '{}' + 2>/dev/null || :
    exec setpriv --reuid=redis --regid=redis --init-groups -- "$@"
fi
exec "$@"
