#!/bin/sh
# A throwaway PostgreSQL server for the tests of the PostgreSQL backend.
#
#   tests/pg.sh start DIR   creates a cluster in DIR (an empty directory),
#                           starts it and prints the URL of a fresh database
#   tests/pg.sh stop DIR    stops it and removes DIR
#
# The server listens only on a Unix socket inside DIR (listen_addresses is
# empty, so the fixed port 5499 only names the socket file and cannot clash
# with anything), trusts local connections, and runs with fsync off: it
# holds nothing worth keeping. As root, the cluster is owned by and run as
# the postgres user, since the server refuses to run as root. PG_BINDIR
# overrides where initdb and pg_ctl are looked for.
set -eu
PORT=5499
DB=tamis_test
USER_NAME=tamis

usage() { echo "usage: tests/pg.sh start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1 dir=$2

bindir=${PG_BINDIR:-}
if [ -z "$bindir" ]; then
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$d/initdb" ] && { bindir=$d; break; }
    done
fi
if [ -z "$bindir" ] && command -v initdb >/dev/null 2>&1; then
    bindir=$(dirname "$(command -v initdb)")
fi
[ -n "$bindir" ] || { echo "pg.sh: no PostgreSQL server binaries (initdb) found" >&2; exit 1; }

# Runs a command as the cluster's owner.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

case $cmd in
start)
    [ -d "$dir" ] || { echo "pg.sh: $dir is not a directory" >&2; exit 1; }
    if [ "$(id -u)" = 0 ]; then
        id postgres >/dev/null 2>&1 || { echo "pg.sh: no postgres user to run the server as" >&2; exit 1; }
        chown postgres "$dir"
    fi
    chmod 700 "$dir"
    as_owner "$bindir/initdb" -D "$dir/data" -U "$USER_NAME" -A trust -E UTF8 \
        --locale=C -N >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses= -k $dir -p $PORT -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=40" \
        start >/dev/null 2>&1 ||
        { cat "$dir/server.log" >&2; exit 1; }
    "$bindir/createdb" -h "$dir" -p $PORT -U "$USER_NAME" "$DB" ||
        { as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1; exit 1; }
    echo "postgresql:///$DB?host=$dir&port=$PORT&user=$USER_NAME"
    ;;
stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
*) usage ;;
esac
