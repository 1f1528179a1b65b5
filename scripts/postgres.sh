# Sourced by scripts/test: installs PostgreSQL from Debian's packages if it is missing, starts a
# throwaway server on a free loopback port, exports MILKRUN_TEST_POSTGRES_URL for the tests
# (MILKRUN_PG_DURABLE=1: with PostgreSQL's durable defaults, for benchmarks)
# and stops the server by pid when the calling script exits.
#
# The cluster lives in a fresh temporary directory, listens on 127.0.0.1 only, trusts local
# connections (it holds nothing but test data) and is deleted afterwards.

pg_bin_dir() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

pg_install_if_missing() {
    if [ -n "$(pg_bin_dir)" ] && [ -x "$(pg_bin_dir)/initdb" ]; then
        return 0
    fi
    if [ "$(id -u)" != 0 ]; then
        echo "scripts/test: PostgreSQL is missing; install Debian's postgresql package (needs root)" >&2
        return 1
    fi
    echo "scripts/test: installing PostgreSQL from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
}

# Runs a command as the cluster's owner: initdb and postgres refuse to run as root.
pg_as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

pg_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

pg_start() {
    pg_install_if_missing || return 1
    local bin port dir
    bin="$(pg_bin_dir)"
    port="$(pg_free_port)"
    dir="$(mktemp -d /tmp/milkrun-pg.XXXXXX)"
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$dir"
    fi
    pg_as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        return 1
    }
    PG_DIR="$dir"
    trap pg_stop EXIT
    # Tests trade durability for speed; a benchmark (MILKRUN_PG_DURABLE=1) keeps the defaults.
    local opts="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    if [ "${MILKRUN_PG_DURABLE:-}" = 1 ]; then
        opts=""
    fi
    pg_as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
        -o "-h 127.0.0.1 -p $port -k $dir $opts" \
        start >/dev/null || {
        cat "$dir/server.log" >&2
        return 1
    }
    PG_PID="$(head -n 1 "$dir/data/postmaster.pid")"
    "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres milkrun_test
    export MILKRUN_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/milkrun_test"
    echo "scripts/test: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (pid $PG_PID)"
}

pg_stop() {
    if [ -n "${PG_PID:-}" ]; then
        # Fast shutdown of the postmaster, by its pid; wait until it is gone.
        kill -INT "$PG_PID" 2>/dev/null || true
        local i
        for i in $(seq 1 100); do
            kill -0 "$PG_PID" 2>/dev/null || break
            sleep 0.1
        done
        PG_PID=""
    fi
    if [ -n "${PG_DIR:-}" ]; then
        rm -rf "$PG_DIR"
        PG_DIR=""
    fi
}
