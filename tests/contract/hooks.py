"""schemathesis hooks for Passerelle's contract run (loaded through SCHEMATHESIS_HOOKS).

Authentication is the contract's three-step login, done by the hook itself: the platform admin
that world.py prepared sends its password, then a TOTP code of a step it has not used yet, and
every generated request carries the bearer token that comes back. Path parameters of read-only
operations are sometimes replaced with the ids of the real mission, file, user and organisation,
so that the fuzzing reaches existing things and not only 404s.
"""

import json
import os
import random
import time

import requests
import schemathesis

import totp


with open(os.environ["PASSERELLE_CONTRACT_STATE"], encoding="utf-8") as _f:
    STATE = json.load(_f)


def three_step_login():
    """Password, then TOTP (each step is accepted once: wait for a fresh one), then the token."""
    # The platform admin by default; PASSERELLE_CONTRACT_AS=depositor fuzzes as the depositor.
    admin = STATE[os.environ.get("PASSERELLE_CONTRACT_AS", "admin")]
    http = requests.Session()
    http.verify = os.environ["PASSERELLE_CONTRACT_CA"]
    r = http.post(STATE["base"] + "/api/v1/auth/login", timeout=30, verify=http.verify,
                  json={"username": admin["username"], "password": admin["password"]})
    r.raise_for_status()
    step = r.json()
    if step["step"] != "totp":
        raise RuntimeError(f"login: expected the totp step, got {step}")
    while totp.current_step() <= admin["last_step"]:
        time.sleep(1)
    admin["last_step"] = totp.current_step()
    r = http.post(STATE["base"] + "/api/v1/auth/totp", timeout=30, verify=http.verify,
                  json={"challenge": step["challenge"], "code": totp.code(admin["totp_secret"], admin["last_step"])})
    r.raise_for_status()
    return r.json()["token"]


@schemathesis.auth(refresh_interval=24 * 3600)
class ThreeStepLogin:
    def get(self, case, ctx):
        return three_step_login()

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


def _real_id(path):
    ids = STATE["ids"]
    if path.startswith("/api/v1/files/"):
        return ids["file"]
    if path.startswith("/api/v1/missions/"):
        return ids["mission"]
    if path.startswith("/api/v1/users/"):
        return ids["user"]
    return None


@schemathesis.hook
def map_path_parameters(context, path_parameters):
    operation = context.operation
    if operation is None or operation.method.upper() != "GET" or not path_parameters:
        return path_parameters
    real = _real_id(operation.path)
    if real is not None and "id" in path_parameters and random.random() < 0.5:
        path_parameters["id"] = real
    return path_parameters
