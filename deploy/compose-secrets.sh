#!/usr/bin/env bash
# The secrets of deploy/compose.yaml, made once under deploy/secrets/ (never committed): a CA of the
# deployment, the gateways' certificate (names localhost, gw1, gw2), SeaweedFS's (name s3), haproxy's
# bundle, the master key, the S3 credentials, the database password. Every file is 0600; run as root,
# the gateways' files are given to uid 10001 (the image's user), as their mode check requires.
set -euo pipefail
cd "$(dirname "$0")"
S=secrets
[ -e "$S/master.key" ] && { echo "deploy/secrets already made: remove it to start again" >&2; exit 1; }
umask 077
mkdir -p "$S"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$S/ca.key" 2>/dev/null
openssl req -x509 -new -key "$S/ca.key" -days 825 -subj "/CN=Passerelle deployment CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$S/ca.pem"
leaf() { # NAME SAN
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$S/$1-key.pem" 2>/dev/null
  openssl req -new -key "$S/$1-key.pem" -subj "/CN=$1" -out "$S/$1.csr"
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=serverAuth" "subjectAltName=$2" >"$S/$1.ext"
  openssl x509 -req -in "$S/$1.csr" -CA "$S/ca.pem" -CAkey "$S/ca.key" -CAcreateserial -days 825 \
    -extfile "$S/$1.ext" -out "$S/$1-cert.pem" 2>/dev/null
  rm -f "$S/$1.csr" "$S/$1.ext"
}
leaf tls "DNS:localhost,DNS:gw1,DNS:gw2"
leaf s3 "DNS:s3"
cat "$S/tls-cert.pem" "$S/tls-key.pem" >"$S/haproxy.pem"
openssl rand -hex 32 >"$S/master.key"
openssl rand -hex 24 | tr -d '\n' >"$S/s3-secret"
printf '{"identities":[{"name":"passerelle","credentials":[{"accessKey":"PASSERELLECLUSTER","secretKey":"%s"}],"actions":["Admin","Read","Write","List","Tagging"]}]}\n' \
  "$(cat "$S/s3-secret")" >"$S/s3-identities.json"
pw=$(openssl rand -hex 16)
printf '%s' "$pw" >"$S/pg-password"
echo "PASSERELLE_DATABASE_URL=postgres://passerelle:$pw@postgres:5432/passerelle" >"$S/database.env"
# The folder itself is 0700. PostgreSQL's entrypoint reads its password file after leaving root.
chmod 0644 "$S/ca.pem" "$S/pg-password"
if [ "$(id -u)" = 0 ]; then
  chown 10001:10001 "$S/master.key" "$S/s3-secret" "$S/tls-cert.pem" "$S/tls-key.pem"
  chown 99:99 "$S/haproxy.pem" # the haproxy image's user
else
  echo "Then, as root: chown 10001:10001 $PWD/$S/{master.key,s3-secret,tls-cert.pem,tls-key.pem}" >&2
  echo "               chown 99:99 $PWD/$S/haproxy.pem" >&2
fi
echo "deploy/secrets made."
