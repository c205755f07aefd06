#!/usr/bin/env bash
# The contract fuzzing: schemathesis against a real gateway, from the OpenAPI document it serves.
#
# Starts the gateway built by cargo (zero-config, on a temporary data directory and a free port),
# creates a platform admin with the CLI, lets world.py finish its first login and build a small
# world (organisations, a depositor, a mission, a deposit), then runs schemathesis over every
# operation except logout and the ones that would destroy that shared world. It passes when no
# answer is a 5xx and every answer conforms to the document (status code, content type, schema,
# headers). Bounded in time: a few examples per operation (PASSERELLE_CONTRACT_EXAMPLES, seed
# PASSERELLE_CONTRACT_SEED). CI fuzzes as the platform admin; PASSERELLE_CONTRACT_AS=depositor fuzzes
# as the mission's depositor (uploads, its own files).
#
# Needs: python3 with schemathesis (installed with pip when missing), curl. Uses $CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=tests/contract

# Called as a module of the python3 it was installed for, wherever pip puts its scripts.
if ! python3 -c 'import schemathesis' >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check 'schemathesis>=4,<5'
fi

# The binary the tests use: building it again is a no-op after `cargo test --workspace --locked`
# (PASSERELLE_BIN names another one).
bin="${PASSERELLE_BIN:-}"
if [ -z "$bin" ]; then
  cargo test --workspace --locked --no-run >/dev/null 2>&1 || cargo test --workspace --locked --no-run
  bin="${CARGO_TARGET_DIR:-target}/debug/passerelle"
fi
[ -x "$bin" ] || { echo "contract: $bin not built" >&2; exit 1; }

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export PASSERELLE_DATA_DIR="$work/data" PASSERELLE_LISTEN="127.0.0.1:$port"
base="https://127.0.0.1:$port"

created=$("$bin" admin create --username contrat.admin --display-name "Admin Contrat" \
  --email admin@contrat.fr --json)
initial=$(python3 -c 'import json, sys; print(json.loads(sys.stdin.read())["initial_password"])' <<<"$created")

"$bin" serve >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 60); do
  curl -skf "$base/healthz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.5
done
# Every client trusts exactly the development certificate the gateway generated.
ca=$(find "$PASSERELLE_DATA_DIR" -name cert.pem | head -n 1)
[ -n "$ca" ] || { echo "contract: no generated certificate under $PASSERELLE_DATA_DIR" >&2; exit 1; }
export PASSERELLE_CONTRACT_CA="$ca"

export PASSERELLE_CONTRACT_STATE="$work/state.json"
PYTHONPATH="$here" python3 "$here/world.py" "$base" contrat.admin "$initial" "$PASSERELLE_CONTRACT_STATE"

status=0
# From the temporary directory: schemathesis leaves its working files where it runs.
(cd "$work" && PYTHONPATH="$OLDPWD/$here" SCHEMATHESIS_HOOKS=hooks timeout 600 python3 -m schemathesis.cli run "$base/api/v1/openapi.json" \
  --url "$base" \
  --tls-verify "$ca" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
  --exclude-path /api/v1/auth/logout \
  --exclude-path /api/v1/users/{id}/disable \
  --exclude-path /api/v1/users/{id}/reset \
  --exclude-path /api/v1/missions/{id}/close \
  --exclude-path /api/v1/missions/{id}/suspend \
  --exclude-method DELETE \
  --phases examples,coverage,fuzzing \
  --max-examples "${PASSERELLE_CONTRACT_EXAMPLES:-20}" \
  --workers 2 \
  --generation-database none \
  --seed "${PASSERELLE_CONTRACT_SEED:-13}" \
  --no-color) || status=$?

if [ "$status" -ne 0 ]; then
  echo "contract: schemathesis found failures (server log below)" >&2
  grep -E 'ERROR|panicked' "$work/server.log" | tail -n 40 >&2 || true
fi
exit "$status"
