"""Builds the small world the contract fuzzing runs against, on a freshly started gateway.

The platform admin made by `passerelle admin create` completes its first login (new password,
TOTP enrolment); so does a depositor, who deposits one file, so that the fuzzing can reach real
missions, users and files. Everything the hook needs (passwords, TOTP secrets, ids) is written
as JSON to the state file named on the command line.

Usage: world.py BASE_URL ADMIN_USERNAME ADMIN_INITIAL_PASSWORD STATE_FILE
"""

import json
import os
import sys
import urllib.parse

import requests

import totp



class Api:
    def __init__(self, base):
        self.base = base
        self.http = requests.Session()
        # The generated development certificate, and no other.
        self.http.verify = os.environ["PASSERELLE_CONTRACT_CA"]

    def call(self, method, path, token=None, expect=(200, 201), **kwargs):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        r = self.http.request(method, self.base + path, headers=headers, timeout=30, **kwargs, verify=self.http.verify)
        if r.status_code not in expect:
            sys.exit(f"world: {method} {path} answered {r.status_code}: {r.text}")
        return r.json() if r.content else None


def first_login(api, username, initial_password):
    """Password, new password, TOTP enrolment: returns the account's secrets and token."""
    step = api.call("POST", "/api/v1/auth/login", json={"username": username, "password": initial_password})
    password = "Tournesol bleu, 7 lanternes et 3 ponts"
    if step["step"] == "change_password":
        step = api.call(
            "POST", "/api/v1/auth/password", json={"challenge": step["challenge"], "new_password": password}
        )
    if step["step"] != "enroll_totp":
        sys.exit(f"world: unexpected step for {username}: {step}")
    query = urllib.parse.parse_qs(urllib.parse.urlparse(step["otpauth_uri"]).query)
    secret = query["secret"][0]
    used = totp.current_step()
    done = api.call(
        "POST", "/api/v1/auth/totp", json={"challenge": step["challenge"], "code": totp.code(secret, used)}
    )
    return {"username": username, "password": password, "totp_secret": secret, "last_step": used,
            "token": done["token"]}


def main():
    base, admin_username, admin_password, state_file = sys.argv[1:5]
    api = Api(base)
    admin = first_login(api, admin_username, admin_password)
    token = admin["token"]
    bailleur = api.call("POST", "/api/v1/organisations", token, json={"name": "Habitat Fuzz", "kind": "bailleur"})
    epci = api.call("POST", "/api/v1/organisations", token, json={"name": "Agglo Fuzz", "kind": "epci"})
    user = api.call(
        "POST", "/api/v1/users", token,
        json={"username": "depot.fuzz", "display_name": "Dépôt Fuzz", "email": "depot@fuzz.fr",
              "organisation_id": bailleur["id"]},
    )
    mission = api.call(
        "POST", "/api/v1/missions", token,
        json={"name": "Mission contrat", "purpose": "Fuzzing du contrat", "controller_organisation_id": epci["id"],
              "ends_at": "2099-12-31T23:00:00Z"},
    )
    api.call("POST", f"/api/v1/missions/{mission['id']}/participants", token,
             json={"user_id": user["id"], "role": "depositor"})
    depositor = first_login(api, "depot.fuzz", user["initial_password"])
    files = {"file": ("logements.csv", b"logement;occupants\n1;3\n2;4\n", "text/csv")}
    deposit = api.call("POST", f"/api/v1/missions/{mission['id']}/deposits", depositor["token"], files=files)
    state = {
        "base": base,
        "admin": admin,
        "depositor": depositor,
        "ids": {
            "organisation": bailleur["id"],
            "user": user["id"],
            "mission": mission["id"],
            "file": deposit["id"],
        },
    }
    with open(state_file, "w", encoding="utf-8") as f:
        json.dump(state, f)
    print(f"world: mission {mission['id']}, file {deposit['id']}")


if __name__ == "__main__":
    main()
