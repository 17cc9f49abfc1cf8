#!/usr/bin/env bash
# Two app replicas on one PostgreSQL behind nginx (deploy/nginx.conf): a browser
# writes through one replica and another browser reads the change through the other.
#
# Needs the project installed (`make test` or `pip install -e '.[test]'`), Debian's
# postgresql, nginx, openssl and chromium. Everything it starts lives in one temporary
# folder on loopback ports and is stopped on exit, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
python=${PYTHON:-$root/.venv/bin/python}
bin=$(dirname "$python")

work=$(mktemp -d /tmp/tracker-replicas.XXXXXX)
chmod 755 "$work"
app_pids=()
pg_bin=""
nginx_started=""

log() { printf '[replicas-smoke] %s\n' "$*"; }

as_postgres() {
    # initdb refuses to run as root; CI runs as root.
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_everything() {
    status=$?
    set +e
    for pid in "${app_pids[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${app_pids[@]}"; do wait "$pid" 2>/dev/null; done
    [ -n "$nginx_started" ] && "$nginx" -p "$work/nginx" -c "$work/nginx/nginx.conf" -s stop 2>/dev/null
    [ -n "$pg_bin" ] && as_postgres "$pg_bin/pg_ctl" -D "$work/pg" -m fast stop >/dev/null 2>&1
    if [ "$status" != 0 ]; then
        log "FAILED; logs follow"
        for file in "$work"/*.log "$work"/nginx/*.log; do
            [ -f "$file" ] && { echo "--- $file"; tail -n 40 "$file"; }
        done
    fi
    rm -rf "$work"
    exit "$status"
}
trap stop_everything EXIT

free_port() {
    "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for() {  # wait_for URL WHAT: poll until the URL answers 200, for up to 60 s
    for _ in $(seq 120); do
        curl -fsk -o /dev/null "$1" && return 0
        sleep 0.5
    done
    log "$2 did not answer at $1"
    return 1
}

nginx=$(command -v nginx || echo /usr/sbin/nginx)  # /usr/sbin is not on every PATH
[ -x "$nginx" ] || { log "nginx is not installed"; exit 1; }
for tool in openssl curl; do
    command -v "$tool" >/dev/null || { log "$tool is not installed"; exit 1; }
done
initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)
[ -n "$initdb" ] || { log "PostgreSQL's server binaries are not installed"; exit 1; }

# 1. A throwaway PostgreSQL cluster, and the schema migrated once, as a deployment does.
pg_port=$(free_port)
mkdir "$work/pg"
if [ "$(id -u)" = 0 ]; then chown postgres "$work/pg"; fi
as_postgres "$initdb" -D "$work/pg" -U postgres --auth=trust --no-sync -E UTF8 >/dev/null
pg_bin=$(dirname "$initdb")
as_postgres "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/pg/server.log" -w start \
    -o "-p $pg_port -k $work/pg -c listen_addresses=127.0.0.1 -c fsync=off" >/dev/null
"$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres tracker
export DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$pg_port/tracker"
"$bin/tracker" init --sample >"$work/init.log"
password=$("$python" -c 'import secrets; print(secrets.token_urlsafe(18))')
printf '%s\n' "$password" | "$bin/tracker" users reset-password demo-practitioner --password-stdin >/dev/null
log "PostgreSQL on port $pg_port, migrated and loaded with the sample cohort"

# 2. Two replicas sharing the database and the cookie secret, on loopback ports.
export STREAMLIT_SERVER_COOKIE_SECRET
STREAMLIT_SERVER_COOKIE_SECRET=$("$python" -c 'import secrets; print(secrets.token_hex(32))')
replica_ports=()
for name in a b; do
    port=$(free_port)
    replica_ports+=("$port")
    "$python" -m streamlit run app.py --server.headless true --server.address 127.0.0.1 \
        --server.port "$port" --browser.gatherUsageStats false >"$work/replica-$name.log" 2>&1 &
    app_pids+=("$!")
done
for port in "${replica_ports[@]}"; do wait_for "http://127.0.0.1:$port/_stcore/health" "replica"; done
log "replicas on ports ${replica_ports[*]}"

# 3. nginx with the shipped configuration: only ports, certificate and paths change.
https_port=$(free_port)
http_port=$(free_port)
mkdir -p "$work/nginx/tmp"
chmod -R 777 "$work/nginx/tmp"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -keyout "$work/nginx/tls.key" -out "$work/nginx/tls.pem" 2>/dev/null
sed -e "s#127.0.0.1:8501#127.0.0.1:${replica_ports[0]}#" \
    -e "s#127.0.0.1:8502#127.0.0.1:${replica_ports[1]}#" \
    -e "s#listen 443 ssl#listen 127.0.0.1:$https_port ssl#" \
    -e "s#listen 80;#listen 127.0.0.1:$http_port;#" \
    -e '/listen \[::\]/d' \
    -e "s#access_log /var/log/nginx/tracker.access.log#access_log $work/nginx/access.log replicas; access_log $work/nginx/tracker.access.log#" \
    -e "s#ssl_certificate .*#ssl_certificate $work/nginx/tls.pem;#" \
    -e "s#ssl_certificate_key .*#ssl_certificate_key $work/nginx/tls.key;#" \
    deploy/nginx.conf >"$work/nginx/tracker.conf"
for port in "${replica_ports[@]}"; do
    grep -q "127.0.0.1:$port" "$work/nginx/tracker.conf" || { log "upstream not rewritten"; exit 1; }
done
cat >"$work/nginx/nginx.conf" <<CONF
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 512; }
http {
    log_format replicas '\$cookie_tracker_affinity \$upstream_addr \$status \$request_uri';
    access_log $work/nginx/access.log replicas;
    client_body_temp_path $work/nginx/tmp/body;
    proxy_temp_path $work/nginx/tmp/proxy;
    fastcgi_temp_path $work/nginx/tmp/fastcgi;
    uwsgi_temp_path $work/nginx/tmp/uwsgi;
    scgi_temp_path $work/nginx/tmp/scgi;
    include $work/nginx/tracker.conf;
}
CONF
"$nginx" -p "$work/nginx" -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf" -t -q
"$nginx" -p "$work/nginx" -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf"
nginx_started=yes
wait_for "https://127.0.0.1:$https_port/_stcore/health" "nginx"
redirect=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/")
[ "$redirect" = 301 ] || { log "plain HTTP answered $redirect, not a redirect"; exit 1; }
curl -sk -D - -o /dev/null "https://127.0.0.1:$https_port/" | grep -qi '^set-cookie: tracker_affinity=' \
    || { log "a first visit got no affinity cookie"; exit 1; }
log "nginx on https://127.0.0.1:$https_port"
# The shipped access log must never hold a self-rating link's token.
secret="smoke-token-$RANDOM$RANDOM"
curl -sk -o /dev/null "https://127.0.0.1:$https_port/rate?invite=$secret"
sleep 0.5
grep -q '"GET /rate ' "$work/nginx/tracker.access.log" \
    || { log "the shipped access log has no line for /rate"; exit 1; }
if grep -q "$secret" "$work/nginx/tracker.access.log"; then
    log "the shipped access log holds a self-rating token"; exit 1
fi
log "the shipped access log keeps the path of /rate but not its token"

# 4. Write through one replica, read through the other.
"$python" scripts/replicas_smoke.py \
    --proxy "https://127.0.0.1:$https_port" \
    --access-log "$work/nginx/access.log" \
    --replicas "127.0.0.1:${replica_ports[0]}" "127.0.0.1:${replica_ports[1]}" \
    --username demo-practitioner --password-file <(printf '%s' "$password")
log "passed"
