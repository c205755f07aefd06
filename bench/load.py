#!/usr/bin/env python3
"""Load test: many concurrent sessions doing a mixed workload against one gateway (issue 18 item 4).

Run from the repository root after `cargo build --release --bin passerelle`:

    python3 bench/load.py                      # 200 sessions for 60 s
    python3 bench/load.py --sessions 50 --duration 20

Starts its own gateway (loopback only, a temporary data directory), creates one account per
session (depositors and processors spread over missions of ten), signs every account in once
(password change and TOTP enrolment, not timed), then runs every session at once for --duration
seconds. Each session, on its own keep-alive HTTPS connection, loops: list the mission's files,
pause, download one of the listed files, pause, and every --upload-every rounds upload a small
CSV (a deposit, scanned for identifiers by a worker process, or a result); once during the run,
when the account's next TOTP step has come, it signs in again (password, then TOTP code) and
signs the old session out. Pauses are drawn between --think-ms bounds.

Reports, per kind of request: count, errors, latency p50/p95/p99/max (from sending the request
to the last byte of the answer, measured by the client); the gateway's peak memory (VmRSS polled
every 50 ms and the kernel's VmHWM over the run) and CPU (with its check workers). Targets: no
error, p99 of listing under 100 ms, gateway memory at most 128 MiB.

Exit status: 0 every target met, 1 a target missed, 2 the test could not run.
Python standard library only. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import ssl
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.dont_write_bytecode = True  # no bench/__pycache__ in the repository
sys.path.insert(0, str(Path(__file__).resolve().parent))
import transfer as tr  # noqa: E402  (the transfer benchmark's server and API helpers)

LIST_P99_LIMIT_MS = 100.0
MEMORY_LIMIT_MIB = 128
MAX_SESSIONS = 1000
MAX_DURATION = 600
SESSIONS_PER_MISSION = 10
# The login throttle counts an attempt as a failure until its password is checked, and every
# session here comes from 127.0.0.1: the documented per-address thresholds are raised for the
# run (as tests/tests/api/starvation.rs does), and so is the per-address connection cap (one
# keep-alive connection per session). Nothing else differs from the defaults.
CONFIG = """# written by bench/load.py
[throttle]
address_delay_after = 100000
address_lock_after = 200000

[http]
max_connections_per_address = {max_conn}
"""


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    k = min(len(s) - 1, max(0, int(round(q / 100 * len(s) + 0.5)) - 1))
    return s[k]


def small_csv(rows: int, seed: int) -> bytes:
    """An aggregate table (counts per year and commune code): nothing in it is a direct identifier,
    so a deposit of it comes out `clean`."""
    rnd = random.Random(seed)
    lines = ["annee;code_commune;nb_logements;loyer_moyen"]
    for i in range(rows):
        lines.append(f"{2015 + i % 10};{62000 + rnd.randrange(900)};{rnd.randrange(20, 900)};"
                     f"{rnd.randrange(300, 900)},{rnd.randrange(10):d}")
    return ("\r\n".join(lines) + "\r\n").encode()


def multipart(name: str, content: bytes, mime: str) -> tuple[bytes, str]:
    boundary = f"----passerelle-load-{random.getrandbits(64):016x}"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: {mime}\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


class HttpError(Exception):
    pass


class Conn:
    """One keep-alive HTTP/1.1 connection over TLS (asyncio streams)."""

    def __init__(self, port: int, ctx: ssl.SSLContext, stats: "Stats"):
        self.port, self.ctx, self.stats = port, ctx, stats
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(
            "127.0.0.1", self.port, ssl=self.ctx, server_hostname="localhost")
        self.stats.connections += 1

    async def close(self) -> None:
        w, self.reader, self.writer = self.writer, None, None
        if w is not None:
            w.close()
            try:
                await asyncio.wait_for(w.wait_closed(), 2)
            except (OSError, ssl.SSLError, asyncio.TimeoutError):
                pass

    async def _exchange(self, raw: bytes) -> tuple[int, dict[str, str], bytes]:
        assert self.reader is not None and self.writer is not None
        self.writer.write(raw)
        await self.writer.drain()
        line = await self.reader.readline()
        if not line:
            raise ConnectionResetError("the server closed the connection")
        parts = line.decode("latin-1").split(" ", 2)
        status = int(parts[1])
        headers: dict[str, str] = {}
        while True:
            h = await self.reader.readline()
            if h in (b"\r\n", b"\n", b""):
                break
            k, _, v = h.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self.reader.readline()).split(b";")[0].strip(), 16)
                if size == 0:
                    while (await self.reader.readline()) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            body = b"".join(chunks)
        elif "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        else:
            body = b""
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, headers, body

    async def request(self, method: str, path: str, token: str | None = None, body: bytes = b"",
                      content_type: str | None = None) -> tuple[int, dict[str, str], bytes]:
        head = [f"{method} {path} HTTP/1.1", "Host: localhost", "Accept: application/json"]
        if token:
            head.append(f"Authorization: Bearer {token}")
        if body or method in ("POST", "PUT", "PATCH"):
            head.append(f"Content-Length: {len(body)}")
            if content_type:
                head.append(f"Content-Type: {content_type}")
        raw = ("\r\n".join(head) + "\r\n\r\n").encode() + body
        for attempt in (0, 1):
            fresh = self.writer is None
            if fresh:
                await self.open()
            try:
                return await self._exchange(raw)
            except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError) as e:
                await self.close()
                if fresh or attempt:
                    raise HttpError(f"{method} {path}: {e!r}") from e
                # A kept-alive connection the server had closed (idle time-out) before it read the
                # request: like browsers, open a new one and send again.
                self.stats.stale += 1
        raise HttpError("unreachable")


class Stats:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = {}
        self.errors: dict[str, int] = {}
        self.samples: list[str] = []
        self.connections = 0
        self.stale = 0
        self.lag: list[float] = []

    def ok(self, kind: str, seconds: float) -> None:
        self.latency.setdefault(kind, []).append(seconds * 1000)

    def error(self, kind: str, what: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if len(self.samples) < 20:
            self.samples.append(f"{kind}: {what}")


async def timed(stats: Stats, kind: str, coro, expect: tuple[int, ...]):
    t0 = time.monotonic()
    try:
        status, headers, body = await coro
    except (HttpError, OSError, ValueError, asyncio.IncompleteReadError) as e:
        stats.error(kind, repr(e))
        return None
    dt = time.monotonic() - t0
    if status not in expect:
        stats.error(kind, f"HTTP {status}: {body[:200]!r}")
        return None
    stats.ok(kind, dt)
    return status, headers, body


async def sign_in(conn: Conn, stats: Stats, acct: tr.Account) -> str | None:
    """Password then TOTP code, timed as one `login`; None on failure (counted)."""
    t0 = time.monotonic()
    try:
        st, _, body = await conn.request("POST", "/api/v1/auth/login", body=json.dumps(
            {"username": acct.username, "password": acct.password}).encode(),
            content_type="application/json")
        if st != 200:
            stats.error("login", f"password step HTTP {st}: {body[:200]!r}")
            return None
        r = json.loads(body)
        if r.get("step") != "totp":
            stats.error("login", f"unexpected step {r}")
            return None
        step = int(time.time()) // 30
        acct.last_step = step
        st, _, body = await conn.request("POST", "/api/v1/auth/totp", body=json.dumps(
            {"challenge": r["challenge"], "code": tr.totp_code(acct.totp_secret or "", step)}).encode(),
            content_type="application/json")
        if st != 200:
            stats.error("login", f"TOTP step HTTP {st}: {body[:200]!r}")
            return None
        stats.ok("login", time.monotonic() - t0)
        return json.loads(body)["token"]
    except (HttpError, OSError, ValueError, KeyError, asyncio.IncompleteReadError) as e:
        stats.error("login", repr(e))
        return None


async def session(no: int, acct: tr.Account, role: str, mission: str, args, stats: Stats,
                  port: int, ctx: ssl.SSLContext, start: float, stop: float) -> None:
    rnd = random.Random(no)
    conn = Conn(port, ctx, stats)
    token = acct.token
    folder = "deposits" if role == "depositor" else "results"
    relogin_at = start + rnd.uniform(0, max(args.duration - 5, 1))
    relogged = False

    async def think() -> None:
        await asyncio.sleep(rnd.uniform(args.think_ms[0], args.think_ms[1]) / 1000)

    # Sessions start spread over the first second, not all in the same millisecond.
    await asyncio.sleep(rnd.uniform(0, 1))
    rounds = 0
    try:
        while time.monotonic() < stop:
            rounds += 1
            r = await timed(stats, "list", conn.request("GET", f"/api/v1/missions/{mission}/files", token), (200,))
            files = json.loads(r[2])["files"] if r else []
            await think()
            if files and time.monotonic() < stop:
                f = rnd.choice(files)
                r = await timed(stats, "download", conn.request("GET", f"/api/v1/files/{f['id']}/content", token),
                                (200,))
                if r and len(r[2]) != f["size"]:
                    stats.error("download", f"{len(r[2])} bytes for a file of {f['size']}")
                await think()
            if rounds % args.upload_every == 0 and time.monotonic() < stop:
                content = small_csv(args.upload_rows, no * 100_000 + rounds)
                body, ctype = multipart(f"tableau-{no}-{rounds}.csv", content, "text/csv")
                r = await timed(stats, "upload", conn.request("POST", f"/api/v1/missions/{mission}/{folder}",
                                                              token, body, ctype), (201,))
                if r:
                    info = json.loads(r[2])
                    if info.get("size") != len(content):
                        stats.error("upload", f"stored {info.get('size')} bytes of {len(content)}")
                    status = (info.get("checks") or {}).get("status")
                    if role == "depositor" and status != "clean":
                        stats.error("upload", f"deposit checks: {info.get('checks')}")
                await think()
            # Sign in again once during the run (a TOTP code is good once per account and step).
            if (not relogged and time.monotonic() >= relogin_at
                    and int(time.time()) // 30 > acct.last_step and time.monotonic() < stop):
                relogged = True
                new = await sign_in(conn, stats, acct)
                if new:
                    await timed(stats, "logout", conn.request("POST", "/api/v1/auth/logout", token), (204,))
                    token = new
    finally:
        await conn.close()


async def lag_probe(stats: Stats, stop: float) -> None:
    """How late the client's own event loop wakes up: what its latencies include of its own."""
    while time.monotonic() < stop:
        t0 = time.monotonic()
        await asyncio.sleep(0.05)
        stats.lag.append((time.monotonic() - t0 - 0.05) * 1000)


async def run_load(accounts, args, port: int, cafile: Path) -> Stats:
    ctx = ssl.create_default_context(cafile=str(cafile))
    ctx.set_alpn_protocols(["http/1.1"])
    stats = Stats()
    start = time.monotonic()
    stop = start + args.duration
    tasks = [session(i, acct, role, mission, args, stats, port, ctx, start, stop)
             for i, (acct, role, mission) in enumerate(accounts)]
    await asyncio.gather(lag_probe(stats, stop), *tasks)
    return stats


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="See bench/README.md.")
    ap.add_argument("--sessions", type=int, default=200, help=f"concurrent sessions (default 200, at most {MAX_SESSIONS})")
    ap.add_argument("--duration", type=int, default=60, help=f"seconds of load (default 60, at most {MAX_DURATION})")
    ap.add_argument("--think-ms", type=int, nargs=2, default=[500, 1500], metavar=("MIN", "MAX"),
                    help="pause between two requests of a session, drawn uniformly (default 500 1500)")
    ap.add_argument("--upload-every", type=int, default=5, help="a small upload every N rounds (default 5)")
    ap.add_argument("--upload-rows", type=int, default=400, help="rows of the uploaded CSV (default 400, ~10 KB)")
    ap.add_argument("--binary", default="target/release/passerelle", help="gateway binary (default target/release/passerelle)")
    ap.add_argument("--database-url", default=None, help="PASSERELLE_DATABASE_URL for the gateway (default: SQLite in the data directory)")
    ap.add_argument("--gateway-port", type=int, default=0, help="gateway port (default: a free one)")
    ap.add_argument("--workdir", default=None, help="parent of the temporary directory (default: system temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON to FILE")
    ap.add_argument("--startup-timeout", type=float, default=60, help="seconds to wait for the gateway (default 60)")
    args = ap.parse_args()
    if not 1 <= args.sessions <= MAX_SESSIONS or not 1 <= args.duration <= MAX_DURATION:
        ap.error(f"--sessions 1..{MAX_SESSIONS}, --duration 1..{MAX_DURATION}")
    if args.upload_every < 1 or args.think_ms[0] < 0 or args.think_ms[1] < args.think_ms[0]:
        ap.error("--upload-every >= 1 and 0 <= --think-ms MIN <= MAX")

    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)

    work: Path | None = None
    servers: tr.Servers | None = None
    try:
        binary = Path(args.binary)
        if not binary.is_absolute() and not binary.exists():
            binary = tr.REPO / args.binary
        if not binary.is_file() or not os.access(binary, os.X_OK):
            raise tr.BenchError(f"gateway binary {args.binary} not found: build it first with "
                                f"`cargo build --release --bin passerelle` (from {tr.REPO})")
        binary = binary.resolve()
        parent = Path(args.workdir).resolve() if args.workdir else Path(tempfile.gettempdir())
        work = Path(tempfile.mkdtemp(prefix="passerelle-load-", dir=parent))
        os.chmod(work, 0o700)
        tr.log(f"working directory {work}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
               f"on {os.cpu_count()} CPU(s)")
        config = work / "passerelle-load.toml"
        config.write_text(CONFIG.format(max_conn=max(128, 2 * args.sessions + 16)))
        # Servers reads args.startup_timeout; nginx is not used here.
        servers = tr.Servers(work, args)
        servers.extra_env = {"PASSERELLE_CONFIG": str(config)}
        if args.database_url:
            servers.extra_env["PASSERELLE_DATABASE_URL"] = args.database_url
        port = tr.check_port(args.gateway_port, "the gateway") if args.gateway_port else tr.free_port()
        cert, _ = servers.start_gateway(binary, port, 64 * tr.MIB)
        monitor = servers.monitor
        assert monitor is not None
        monitor.set_phase("setup")

        # -- accounts: one per session, depositors and processors alternately, ten per mission
        api = tr.Api(port, cert)
        admin = tr.Account("bench", servers.admin_initial_password, tr.ADMIN_PASSPHRASE)
        tr.log("admin login")
        admin_token = tr.login(api, admin)
        org_b = api.call("POST", "/api/v1/organisations",
                         {"name": "Bailleur de l'essai de charge", "kind": "bailleur"}, admin_token)["id"]
        org_c = api.call("POST", "/api/v1/organisations",
                         {"name": "Bureau d'études de l'essai de charge", "kind": "consultancy"}, admin_token)["id"]
        ends_at = (datetime.now(timezone.utc) + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")
        n_missions = (args.sessions + SESSIONS_PER_MISSION - 1) // SESSIONS_PER_MISSION
        missions = [api.call("POST", "/api/v1/missions", {
            "name": f"Essai de charge {m + 1}", "purpose": "Mesure de la tenue en charge",
            "controller_organisation_id": org_b, "ends_at": ends_at,
            "results_retained_until": None}, admin_token)["id"] for m in range(n_missions)]

        def create(i: int):
            role = "depositor" if i % 2 == 0 else "processor"
            username = f"charge-{i:04d}"
            u = api.call("POST", "/api/v1/users", {
                "username": username, "display_name": f"Session {i}", "email": f"{username}@example.fr",
                "organisation_id": org_b if role == "depositor" else org_c, "platform_admin": False},
                admin_token)
            mission = missions[i // SESSIONS_PER_MISSION]
            api.call("POST", f"/api/v1/missions/{mission}/participants", {"user_id": u["id"], "role": role},
                     admin_token)
            acct = tr.Account(username, u["initial_password"], f"banc de tenue numéro {i} en 2026 ok")
            tr.login(api, acct)
            return acct, role, mission

        t = time.monotonic()
        tr.log(f"creating and signing in {args.sessions} accounts in {n_missions} mission(s) (not timed)")
        with ThreadPoolExecutor(max_workers=8) as pool:
            accounts = list(pool.map(create, range(args.sessions)))
        tr.log(f"accounts ready in {time.monotonic() - t:.1f} s")

        # -- one deposit and one result per mission, so that every list has something to download
        async def seed() -> None:
            stats = Stats()
            ctx = ssl.create_default_context(cafile=str(cert))
            for m, mission in enumerate(missions):
                done: set[str] = set()
                for acct, role, mis in accounts:
                    if mis != mission or role in done:
                        continue
                    done.add(role)
                    conn = Conn(port, ctx, stats)
                    folder = "deposits" if role == "depositor" else "results"
                    body, ctype = multipart(f"amorce-{m}-{role}.csv", small_csv(args.upload_rows, m), "text/csv")
                    st, _, answer = await conn.request("POST", f"/api/v1/missions/{mission}/{folder}",
                                                       acct.token, body, ctype)
                    await conn.close()
                    if st != 201:
                        raise tr.BenchError(f"seeding {folder} of mission {m + 1}: HTTP {st} {answer[:200]!r}")
            if stats.errors:
                raise tr.BenchError(f"seeding failed: {stats.samples}")

        asyncio.run(seed())

        # -- the load
        tr.log(f"{args.sessions} sessions for {args.duration} s (think {args.think_ms[0]}-{args.think_ms[1]} ms, "
               f"an upload every {args.upload_every} rounds)")
        os.sync()
        monitor.set_phase("load")
        gw_pid = servers.gateway.pid if servers.gateway else 0
        with tr.TreeCpuProbe(lambda: gw_pid) as probe:
            stats = asyncio.run(run_load(accounts, args, port, cert))
        monitor.set_phase("end")
        if servers.gateway is None or servers.gateway.poll() is not None:
            raise tr.BenchError(f"the gateway stopped during the run; its log:\n{tr.tail(work / 'gateway.log')}")
        load_peak = monitor.peaks.get("load", 0) / 1024
        setup_peak = monitor.peaks.get("setup", 0) / 1024
        hwm_note = "VmHWM over the run" if "load" in monitor.hwm else "polled VmRSS only"

        # -- report
        kinds = ["list", "download", "upload", "login", "logout"]
        total_errors = sum(stats.errors.values())
        list_p99 = pct(stats.latency.get("list", []), 99)
        print()
        print(f"Passerelle load test — {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}")
        print(f"  gateway  {binary} ({'PostgreSQL' if args.database_url else 'SQLite'})")
        print(f"  {args.sessions} sessions, {args.duration} s, think {args.think_ms[0]}-{args.think_ms[1]} ms, "
              f"upload every {args.upload_every} rounds ({len(small_csv(args.upload_rows, 0))} bytes CSV); "
              f"{os.cpu_count()} CPU(s), load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")
        print()
        print(f"  {'request':<10}{'count':>8}{'errors':>8}{'per s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
        for k in kinds:
            lat = stats.latency.get(k, [])
            print(f"  {k:<10}{len(lat):>8}{stats.errors.get(k, 0):>8}{len(lat) / args.duration:>8.1f}"
                  f"{pct(lat, 50):>9.1f}{pct(lat, 95):>9.1f}{pct(lat, 99):>9.1f}{max(lat, default=0):>9.1f}")
        print(f"  connections opened {stats.connections} (of which {stats.stale} after an idle close); "
              f"client event-loop lag p99 {pct(stats.lag, 99):.1f} ms, max {max(stats.lag, default=0):.1f} ms")
        gw_cpu = probe.server_cpu
        print(f"  gateway CPU {gw_cpu:.1f} s over {probe.wall:.1f} s ({100 * gw_cpu / probe.wall:.0f} % of one core; "
              f"check workers {probe.children_cpu:.1f} s); client (this script) not counted")
        print(f"  gateway memory: load {load_peak:.1f} MiB ({hwm_note}), setup {setup_peak:.1f} MiB "
              f"(argon2id for {args.sessions} first logins)")
        for s in stats.samples[:10]:
            print(f"  error: {s}")
        checks = [("errors", total_errors == 0, f"{total_errors} (target 0)"),
                  ("list p99", list_p99 < LIST_P99_LIMIT_MS, f"{list_p99:.1f} ms (target < {LIST_P99_LIMIT_MS:.0f})"),
                  ("memory", load_peak <= MEMORY_LIMIT_MIB, f"{load_peak:.1f} MiB (target <= {MEMORY_LIMIT_MIB})")]
        print()
        for name, ok, what in checks:
            print(f"  {name:<10}{what:<40}{'PASS' if ok else 'FAIL'}")
        all_pass = all(ok for _, ok, _ in checks)
        print(f"\noverall: {'PASS' if all_pass else 'FAIL'}")
        if args.json:
            Path(args.json).write_text(json.dumps({
                "date": datetime.now(timezone.utc).isoformat(),
                "settings": {"sessions": args.sessions, "duration": args.duration, "think_ms": args.think_ms,
                             "upload_every": args.upload_every, "upload_rows": args.upload_rows,
                             "database": "postgres" if args.database_url else "sqlite"},
                "requests": {k: {"count": len(stats.latency.get(k, [])), "errors": stats.errors.get(k, 0),
                                 "p50_ms": pct(stats.latency.get(k, []), 50),
                                 "p95_ms": pct(stats.latency.get(k, []), 95),
                                 "p99_ms": pct(stats.latency.get(k, []), 99),
                                 "max_ms": max(stats.latency.get(k, []), default=0)} for k in kinds},
                "error_samples": stats.samples, "connections": stats.connections, "stale": stats.stale,
                "client_lag_p99_ms": pct(stats.lag, 99),
                "gateway": {"cpu_s": gw_cpu, "children_cpu_s": probe.children_cpu, "wall_s": probe.wall,
                            "memory_load_mib": load_peak, "memory_setup_mib": setup_peak},
                "pass": all_pass}, indent=2) + "\n")
        return 0 if all_pass else 1
    except tr.BenchError as e:
        print(f"load.py: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("load.py: interrupted", file=sys.stderr)
        return 130
    finally:
        if servers:
            servers.close()
        if work is not None:
            if args.keep:
                tr.log(f"kept {work} (gateway log: {work / 'gateway.log'})")
            else:
                shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
