#!/usr/bin/env python3
"""Cluster benchmark: logins, small uploads and downloads per second, one instance against two.

Run from the repository root after `cargo build --release --bin passerelle`:

    python3 bench/cluster.py                        # 10 s per measurement, 8 clients
    python3 bench/cluster.py --seconds 5 --clients 4

Starts the topology of deploy/cluster.sh (PostgreSQL database created for the run and dropped after,
SeaweedFS, two instances, haproxy) in a temporary directory, with that very script, and measures
for a fixed time with N concurrent clients (each one keep-alive HTTPS connection, like a browser):
  * login: the password step of the login (`POST /api/v1/auth/login`, argon2id m=19 MiB t=2), the
    costly part; the TOTP step cannot be repeated (each code is accepted once per account);
  * upload: a 4 KiB CSV deposit (`POST /api/v1/missions/{id}/deposits`: scanned, encrypted, stored
    on S3), as a depositor;
  * download: `GET /api/v1/files/{id}/content` of such a file.
against three targets: instance 1 on its own port (one instance, no proxy), haproxy with both
instances, and haproxy once instance 2 is stopped (one instance behind the same proxy: the fair
comparison for "two against one"). Loopback only. Prints a table; exit 0, or 2 if it cannot run.

Python standard library only; needs what deploy/cluster.sh needs (weed, haproxy, openssl, psql,
curl) and a PostgreSQL allowed to create databases (--pg, default the local server).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import shutil
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "les hirondelles volent bas ce soir 2026"
BOUNDARY = "----passerelle-bench-cluster"


def totp_code(secret_b32: str, step: int) -> str:
    """RFC 6238 with SHA-1, 6 digits."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


class Node:
    """One HTTPS address (haproxy or an instance); a connection per thread."""

    def __init__(self, port: int, cafile: str):
        self.port = port
        self.ctx = ssl.create_default_context(cafile=cafile)
        self.local = threading.local()

    def conn(self) -> http.client.HTTPSConnection:
        c = getattr(self.local, "conn", None)
        if c is None:
            c = http.client.HTTPSConnection("localhost", self.port, context=self.ctx, timeout=60)
            self.local.conn = c
        return c

    def request(self, method: str, path: str, body=None, token=None, ctype="application/json"):
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
            headers["Content-Type"] = ctype
        for attempt in (0, 1):
            c = self.conn()
            try:
                c.request(method, path, body=body, headers=headers)
                r = c.getresponse()
                data = r.read()
                return r.status, data
            except (http.client.HTTPException, OSError):
                c.close()
                self.local.conn = None
                if attempt:
                    raise
        raise RuntimeError("unreachable")

    def json(self, method, path, body=None, token=None, expect=200):
        status, data = self.request(method, path, body, token)
        if status != expect:
            raise SystemExit(f"{method} {path}: {status} {data[:300]!r}")
        return json.loads(data) if data else None


def multipart(name: str, content: bytes) -> bytes:
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + content + f"\r\n--{BOUNDARY}--\r\n".encode()


def first_login(node: Node, username: str, initial: str) -> str:
    v = node.json("POST", "/api/v1/auth/login", {"username": username, "password": initial})
    v = node.json("POST", "/api/v1/auth/password", {"challenge": v["challenge"], "new_password": PASSWORD})
    uri = v["otpauth_uri"]
    secret = urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)["secret"][0]
    code = totp_code(secret, int(time.time()) // 30)
    return node.json("POST", "/api/v1/auth/totp", {"challenge": v["challenge"], "code": code})["token"]


def run_for(seconds: float, clients: int, op) -> tuple[float, int]:
    """Runs `op()` in `clients` threads for `seconds`; (operations per second, errors)."""
    stop = time.monotonic() + seconds
    counts = [0] * clients
    errors = [0] * clients

    def worker(i: int):
        while time.monotonic() < stop:
            try:
                if op(i):
                    counts[i] += 1
                else:
                    errors[i] += 1
            except Exception:  # noqa: BLE001 - counted, the run goes on
                errors[i] += 1

    start = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.monotonic() - start), sum(errors)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=10.0, help="length of each measurement")
    ap.add_argument("--clients", type=int, default=8, help="concurrent clients")
    ap.add_argument("--pg", default=os.environ.get("CLUSTER_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--bin", default=os.environ.get("PASSERELLE_BIN", str(REPO / "target/release/passerelle")))
    args = ap.parse_args()
    if not os.access(args.bin, os.X_OK):
        print(f"no binary at {args.bin}: cargo build --release --bin passerelle", file=sys.stderr)
        return 2
    state = tempfile.mkdtemp(prefix="passerelle-cluster-bench-")
    db = f"passerelle_bench_{uuid.uuid4().hex[:12]}"
    env = dict(os.environ, CLUSTER_DIR=state, CLUSTER_PORT="0", CLUSTER_GATEWAY_PORTS="0 0",
               CLUSTER_PG_URL=args.pg, CLUSTER_DB=db, PASSERELLE_BIN=args.bin,
               CLUSTER_ADMIN_JSON="1", RUST_LOG="warn")
    script = str(REPO / "deploy/cluster.sh")
    try:
        subprocess.run(["bash", script, "start"], env=env, check=True, stdout=subprocess.DEVNULL)
        return measure(args, state, env, script)
    except subprocess.CalledProcessError as e:
        print(f"deploy/cluster.sh failed: {e}", file=sys.stderr)
        return 2
    finally:
        subprocess.run(["bash", script, "stop"], env=env, check=False)
        subprocess.run(["psql", args.pg, "-qc", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"], check=False)
        shutil.rmtree(state, ignore_errors=True)


def measure(args, state: str, env: dict, script: str) -> int:
    settings = dict(line.split("=", 1) for line in Path(state, "cluster.env").read_text().splitlines()
                    if "=" in line and not line.startswith("#"))
    ca = settings["CA_FILE"]
    lb = Node(int(settings["PORT"]), ca)
    gw1 = Node(int(settings["GW1_PORT"]), ca)
    out = subprocess.run(["bash", script, "admin", "banc.admin", "banc@example.fr"], env=env, check=True,
                         capture_output=True, text=True).stdout
    admin = first_login(lb, "banc.admin", json.loads(out)["initial_password"])
    org = lb.json("POST", "/api/v1/organisations", {"name": "Habitat Banc", "kind": "bailleur"}, admin, 201)["id"]
    epci = lb.json("POST", "/api/v1/organisations", {"name": "EPCI Banc", "kind": "epci"}, admin, 201)["id"]
    u = lb.json("POST", "/api/v1/users", {"username": "banc.depot", "display_name": "Dépôt Banc",
                                          "email": "depot@example.fr", "organisation_id": org}, admin, 201)
    depositor = first_login(lb, "banc.depot", u["initial_password"])
    ends = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 30 * 86400))
    mission = lb.json("POST", "/api/v1/missions", {"name": "Banc", "purpose": "Mesure",
                                                   "controller_organisation_id": epci, "ends_at": ends,
                                                   "results_retained_until": None}, admin, 201)["id"]
    lb.json("POST", f"/api/v1/missions/{mission}/participants", {"user_id": u["id"], "role": "depositor"}, admin, 201)
    rows = "".join(f"Carvin;{100 + i}\n" for i in range(400))
    small = ("commune;nb_logements\n" + rows).encode()[:4096]
    status, data = lb.request("POST", f"/api/v1/missions/{mission}/deposits", multipart("ref.csv", small),
                              depositor, f"multipart/form-data; boundary={BOUNDARY}")
    if status != 201:
        raise SystemExit(f"reference upload: {status} {data[:300]!r}")
    ref = json.loads(data)["id"]
    # One account per client whose password step is measured (an account's concurrent attempts are
    # reserved as failures until checked: several at once on one account would trip its throttle).
    for i in range(args.clients):
        u2 = lb.json("POST", "/api/v1/users", {"username": f"banc.login{i}", "display_name": f"Connexion {i}",
                                               "email": f"login{i}@example.fr", "organisation_id": org}, admin, 201)
        first_login(lb, f"banc.login{i}", u2["initial_password"])

    def ops(node: Node):
        def login(i):
            s, _ = node.request("POST", "/api/v1/auth/login", {"username": f"banc.login{i}", "password": PASSWORD})
            return s == 200

        def upload(_):
            s, _ = node.request("POST", f"/api/v1/missions/{mission}/deposits", multipart("lot.csv", small),
                                depositor, f"multipart/form-data; boundary={BOUNDARY}")
            return s == 201

        def download(_):
            s, body = node.request("GET", f"/api/v1/files/{ref}/content", token=depositor)
            return s == 200 and len(body) == len(small)
        return [("login", login), ("upload 4 KiB", upload), ("download 4 KiB", download)]

    results = {}
    targets = [("one instance, direct", gw1), ("two behind haproxy", lb)]
    for label, node in targets:
        for name, op in ops(node):
            results[(label, name)] = run_for(args.seconds, args.clients, op)
            print(f"  {label:28} {name:16} {results[(label, name)][0]:8.1f}/s "
                  f"({results[(label, name)][1]} errors)", file=sys.stderr)
    # Instance 2 stops: haproxy's health check takes it out, everything goes to instance 1.
    pid = Path(state, "pids/gw2.pid").read_text().strip()
    subprocess.run(["kill", "-TERM", pid], check=True)
    time.sleep(4)
    label = "one behind haproxy"
    for name, op in ops(lb):
        results[(label, name)] = run_for(args.seconds, args.clients, op)
        print(f"  {label:28} {name:16} {results[(label, name)][0]:8.1f}/s "
              f"({results[(label, name)][1]} errors)", file=sys.stderr)

    cores = os.cpu_count()
    print(f"\nPasserelle cluster benchmark: {args.clients} clients, {args.seconds:.0f} s each, "
          f"{cores} cores, loopback, every process on this machine")
    print(f"{'operation':16} {'one, direct':>12} {'one, haproxy':>13} {'two, haproxy':>13} {'two/one (haproxy)':>18}")
    for name in ("login", "upload 4 KiB", "download 4 KiB"):
        d = results[("one instance, direct", name)][0]
        one = results[("one behind haproxy", name)][0]
        two = results[("two behind haproxy", name)][0]
        ratio = two / one if one else float("nan")
        print(f"{name:16} {d:10.1f}/s {one:11.1f}/s {two:11.1f}/s {ratio:17.2f}x")
    errors = sum(e for _, e in results.values())
    print(f"errors: {errors}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
