//! The permission matrix: every endpoint × role × other mission.
//!
//! The expected table below is written from the contract's role table and the "no existence leak"
//! rule, independently of the gateway's code: a mission the caller cannot see answers 404, a file
//! its role cannot read answers 404, a visible thing with a forbidden action answers 403.

use passerelle_tests::prelude::*;
use serde_json::json;
use std::fmt;

passerelle_tests::on_every_backend!(every_endpoint_for_every_actor);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Actor {
    /// Platform admin taking no part in the mission.
    Admin,
    /// Manager and nothing else.
    Manager,
    /// Depositor of bailleur A.
    DepA,
    /// Depositor of bailleur B.
    DepB,
    /// Processor (consultancy).
    Processor,
    /// Recipient (EPCI).
    Recipient,
    /// A depositor of bailleur A in another mission only.
    OtherMission,
    /// A user of bailleur A in no mission.
    NoMission,
}
use Actor::*;

const ACTORS: [Actor; 8] = [
    Admin,
    Manager,
    DepA,
    DepB,
    Processor,
    Recipient,
    OtherMission,
    NoMission,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum File {
    DepositA,
    DepositB,
    Unreleased,
    Released,
    /// An id that does not exist.
    Missing,
    /// A deposit of bailleur A in the other mission (where `OtherMission` is a depositor and
    /// `Manager` a processor).
    Elsewhere,
}
use File::*;

const FILES: [File; 6] = [DepositA, DepositB, Unreleased, Released, Missing, Elsewhere];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    GetMission,
    PatchMission,
    AddParticipant,
    RemoveParticipant,
    Suspend,
    Resume,
    ListFiles,
    UploadDeposit,
    UploadResult,
    GetFile(File),
    Content(File),
    Release(File),
    Delete(File),
    Audit,
    Register,
}
use Endpoint::*;

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            GetMission => "GET    /missions/{m}".to_owned(),
            PatchMission => "PATCH  /missions/{m}".to_owned(),
            AddParticipant => "POST   /missions/{m}/participants".to_owned(),
            RemoveParticipant => "DELETE /missions/{m}/participants/{u}".to_owned(),
            Suspend => "POST   /missions/{m}/suspend".to_owned(),
            Resume => "POST   /missions/{m}/resume".to_owned(),
            ListFiles => "GET    /missions/{m}/files".to_owned(),
            UploadDeposit => "POST   /missions/{m}/deposits".to_owned(),
            UploadResult => "POST   /missions/{m}/results".to_owned(),
            GetFile(x) => format!("GET    /files/{{{x:?}}}"),
            Content(x) => format!("GET    /files/{{{x:?}}}/content"),
            Release(x) => format!("POST   /files/{{{x:?}}}/release"),
            Delete(x) => format!("DELETE /files/{{{x:?}}}"),
            Audit => "GET    /audit?mission_id={m}".to_owned(),
            Register => "GET    /missions/{m}/register.csv".to_owned(),
        };
        f.pad(&s)
    }
}

fn endpoints() -> Vec<Endpoint> {
    let mut v = vec![
        GetMission,
        PatchMission,
        AddParticipant,
        RemoveParticipant,
        Suspend,
        Resume,
        ListFiles,
        UploadDeposit,
        UploadResult,
    ];
    for f in FILES {
        v.extend([GetFile(f), Content(f), Release(f), Delete(f)]);
    }
    v.extend([Audit, Register]);
    v
}

// ---- The expected table ----

/// Takes part in the mission under test.
fn participant(a: Actor) -> bool {
    matches!(a, Manager | DepA | DepB | Processor | Recipient)
}

/// May see the mission at all.
fn sees_mission(a: Actor) -> bool {
    a == Admin || participant(a)
}

/// Manager or platform admin.
fn manages(a: Actor) -> bool {
    matches!(a, Admin | Manager)
}

/// Whether the file is visible (listed, its metadata readable) to the actor.
fn visible(a: Actor, f: File) -> bool {
    match (a, f) {
        (_, Missing | Elsewhere) => false,
        // A platform admin may list every file's metadata.
        (Admin, _) => true,
        // Processor: every deposit, every result.
        (Processor, _) => true,
        // Depositor: its own organisation's deposits and released results.
        (DepA, DepositA) | (DepB, DepositB) => true,
        (DepA | DepB, Released) => true,
        // Recipient: released results only.
        (Recipient, Released) => true,
        // Manager only: nothing.
        _ => false,
    }
}

/// The file of the other mission: its own mission's rules apply there.
fn expected_elsewhere(a: Actor, e: Endpoint) -> u16 {
    // Who sees it: the admin (metadata), the depositor of bailleur A there, the processor there.
    let visible = matches!(a, Admin | OtherMission | Manager);
    if !visible {
        return 404;
    }
    match e {
        GetFile(_) => 200,
        Content(_) => {
            if a == Admin {
                403
            } else {
                200
            }
        }
        // A deposit is never released.
        Release(_) => 403,
        Delete(_) => {
            if a == OtherMission {
                204
            } else {
                403
            }
        }
        _ => unreachable!(),
    }
}

fn expected(a: Actor, e: Endpoint) -> u16 {
    if let GetFile(Elsewhere) | Content(Elsewhere) | Release(Elsewhere) | Delete(Elsewhere) = e {
        return expected_elsewhere(a, e);
    }
    if !sees_mission(a) {
        return 404;
    }
    match e {
        GetMission | ListFiles => 200,
        PatchMission => {
            if manages(a) {
                200
            } else {
                403
            }
        }
        AddParticipant => {
            if manages(a) {
                201
            } else {
                403
            }
        }
        RemoveParticipant | Suspend | Resume => {
            if manages(a) {
                204
            } else {
                403
            }
        }
        UploadDeposit => {
            if matches!(a, DepA | DepB) {
                201
            } else {
                403
            }
        }
        UploadResult => {
            if a == Processor {
                201
            } else {
                403
            }
        }
        GetFile(f) => {
            if visible(a, f) {
                200
            } else {
                404
            }
        }
        Content(f) => {
            if !visible(a, f) {
                404
            } else if a == Admin {
                403
            } else {
                200
            }
        }
        Release(f) => {
            if !visible(a, f) {
                404
            } else if a == Processor && matches!(f, Unreleased | Released) {
                200
            } else {
                403
            }
        }
        Delete(f) => {
            if !visible(a, f) {
                404
            } else if matches!((a, f), (DepA, DepositA) | (DepB, DepositB))
                || (a == Processor && matches!(f, Unreleased | Released))
            {
                204
            } else {
                403
            }
        }
        Audit | Register => {
            if manages(a) {
                200
            } else {
                403
            }
        }
    }
}

// ---- The walk ----

struct World {
    app: TestApp,
    admin: Account,
    accounts: Vec<(Actor, Account)>,
    mission: String,
    other_mission: String,
    spare: String,
    files: Vec<(File, String)>,
}

impl World {
    fn token(&self, a: Actor) -> &str {
        &self.accounts.iter().find(|(x, _)| *x == a).unwrap().1.token
    }

    fn file(&self, f: File) -> String {
        match f {
            Missing => "00000000-0000-0000-0000-000000000000".to_owned(),
            _ => self.files.iter().find(|(x, _)| *x == f).unwrap().1.clone(),
        }
    }

    /// A new file of the given kind (for the release and delete calls, which change things).
    async fn fresh(&self, f: File) -> String {
        let app = &self.app;
        let m = &self.mission;
        let csv = b"commune;logements\nHenin;120\n";
        match f {
            Missing => self.file(Missing),
            Elsewhere => {
                let v = app
                    .upload_deposit(
                        self.token(OtherMission),
                        &self.other_mission,
                        "ailleurs.csv",
                        csv,
                    )
                    .await;
                v["id"].as_str().unwrap().to_owned()
            }
            DepositA | DepositB => {
                let who = if f == DepositA { DepA } else { DepB };
                let v = app
                    .upload_deposit(self.token(who), m, "frais.csv", csv)
                    .await;
                v["id"].as_str().unwrap().to_owned()
            }
            Unreleased | Released => {
                let ok = fixture("results_ok.csv");
                let v = app
                    .upload_result(self.token(Processor), m, "frais.csv", &ok)
                    .await;
                let id = v["id"].as_str().unwrap().to_owned();
                if f == Released {
                    let r = app
                        .post_as(
                            self.token(Processor),
                            &format!("/api/v1/files/{id}/release"),
                            json!({}),
                        )
                        .await;
                    assert_eq!(r.status(), 200, "seeding a released result");
                }
                id
            }
        }
    }

    async fn mission_status(&self) -> String {
        let r = self
            .app
            .get_as(
                &self.admin.token,
                &format!("/api/v1/missions/{}", self.mission),
            )
            .await;
        body(r).await["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn admin_post(&self, path: &str) -> u16 {
        self.app
            .post_as(&self.admin.token, path, json!({}))
            .await
            .status()
            .as_u16()
    }

    /// Calls the endpoint as the actor; returns the status and the error code.
    async fn call(&self, a: Actor, e: Endpoint) -> (u16, String) {
        let app = &self.app;
        let t = self.token(a);
        let m = &self.mission;
        let mp = format!("/api/v1/missions/{m}");
        let csv = b"commune;logements\nHenin;120\n";
        let r = match e {
            GetMission => app.get_as(t, &mp).await,
            // Shortening (to the same day each time): extending is checked in missions.rs.
            PatchMission => app.patch_as(t, &mp, json!({"ends_at": in_days(29)})).await,
            AddParticipant => {
                app.post_as(
                    t,
                    &format!("{mp}/participants"),
                    json!({"user_id": self.spare, "role": "recipient"}),
                )
                .await
            }
            RemoveParticipant => {
                app.add_participant(&self.admin.token, m, &self.spare, "recipient")
                    .await;
                app.delete_as(t, &format!("{mp}/participants/{}", self.spare))
                    .await
            }
            Suspend => {
                let r = app.post_as(t, &format!("{mp}/suspend"), json!({})).await;
                let out = status_and_code(r).await;
                assert_eq!(self.admin_post(&format!("{mp}/resume")).await, 204);
                return out;
            }
            Resume => {
                assert_eq!(self.admin_post(&format!("{mp}/suspend")).await, 204);
                let r = app.post_as(t, &format!("{mp}/resume"), json!({})).await;
                let out = status_and_code(r).await;
                if self.mission_status().await != "active" {
                    assert_eq!(self.admin_post(&format!("{mp}/resume")).await, 204);
                }
                return out;
            }
            ListFiles => app.get_as(t, &format!("{mp}/files")).await,
            UploadDeposit => app.upload(t, m, Upload::deposit("depot.csv", csv)).await,
            UploadResult => {
                app.upload(
                    t,
                    m,
                    Upload::result("resultat.csv", fixture("results_ok.csv")),
                )
                .await
            }
            GetFile(f) => {
                app.get_as(t, &format!("/api/v1/files/{}", self.file(f)))
                    .await
            }
            Content(f) => {
                app.get_as(t, &format!("/api/v1/files/{}/content", self.file(f)))
                    .await
            }
            Release(f) => {
                let id = self.fresh(f).await;
                app.post_as(t, &format!("/api/v1/files/{id}/release"), json!({}))
                    .await
            }
            Delete(f) => {
                let id = self.fresh(f).await;
                app.delete_as(t, &format!("/api/v1/files/{id}")).await
            }
            Audit => {
                app.get_as(t, &format!("/api/v1/audit?mission_id={m}"))
                    .await
            }
            Register => app.get_as(t, &format!("{mp}/register.csv")).await,
        };
        status_and_code(r).await
    }
}

async fn build(b: Backend) -> World {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let org_a = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let org_b = app.organisation(&admin, "Logis Carvin", "bailleur").await;
    let consultancy = app
        .organisation(&admin, "Cabinet Études Urbaines", "consultancy")
        .await;
    // Kind `other`, not `epci`: its manager is a processor in the other mission, which
    // roles.raw_data_excluded_kinds forbids to EPCI members (see separation.rs).
    let epci = app.organisation(&admin, "CA Hénin-Carvin", "other").await;
    let mission = app.create_mission(&admin, "OPS 2027", &epci).await;
    let other_mission = app.create_mission(&admin, "Autre étude", &epci).await;

    let manager = app.user(&admin, "chef.projet", &epci).await;
    let dep_a = app.user(&admin, "depot.henin", &org_a).await;
    let dep_b = app.user(&admin, "depot.carvin", &org_b).await;
    let processor = app.user(&admin, "analyste", &consultancy).await;
    let recipient = app.user(&admin, "destinataire", &epci).await;
    let other = app.user(&admin, "depot.henin.autre", &org_a).await;
    let nobody = app.user(&admin, "sans.mission", &org_a).await;
    let spare = app.user(&admin, "renfort", &epci).await;

    for (who, role) in [
        (&manager, "manager"),
        (&dep_a, "depositor"),
        (&dep_b, "depositor"),
        (&processor, "processor"),
        (&recipient, "recipient"),
    ] {
        app.add_participant(&admin.token, &mission, &who.id, role)
            .await;
    }
    app.add_participant(&admin.token, &other_mission, &other.id, "depositor")
        .await;
    app.add_participant(&admin.token, &other_mission, &manager.id, "processor")
        .await;

    let csv = b"commune;logements\nHenin;120\n";
    let deposit_a = app
        .upload_deposit(&dep_a.token, &mission, "henin.csv", csv)
        .await;
    let deposit_b = app
        .upload_deposit(&dep_b.token, &mission, "carvin.csv", csv)
        .await;
    let unreleased = app
        .upload_result(
            &processor.token,
            &mission,
            "brouillon.csv",
            &fixture("results_ok.csv"),
        )
        .await;
    let released = app
        .upload_result(
            &processor.token,
            &mission,
            "final.csv",
            &fixture("results_ok.csv"),
        )
        .await;
    let released_id = released["id"].as_str().unwrap().to_owned();
    let r = app
        .post_as(
            &processor.token,
            &format!("/api/v1/files/{released_id}/release"),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    // A file in the other mission, to check it never leaks.
    let elsewhere = app
        .upload_deposit(&other.token, &other_mission, "ailleurs.csv", csv)
        .await;

    let files = vec![
        (DepositA, deposit_a["id"].as_str().unwrap().to_owned()),
        (DepositB, deposit_b["id"].as_str().unwrap().to_owned()),
        (Unreleased, unreleased["id"].as_str().unwrap().to_owned()),
        (Released, released_id),
        (Elsewhere, elsewhere["id"].as_str().unwrap().to_owned()),
    ];
    let accounts = vec![
        (Admin, admin.clone()),
        (Manager, manager),
        (DepA, dep_a),
        (DepB, dep_b),
        (Processor, processor),
        (Recipient, recipient),
        (OtherMission, other),
        (NoMission, nobody),
    ];
    World {
        app,
        admin,
        accounts,
        mission,
        other_mission,
        spare: spare.id,
        files,
    }
}

async fn every_endpoint_for_every_actor(b: Backend) {
    let w = build(b).await;
    let mut mismatches = Vec::new();
    let mut checked = 0;
    for e in endpoints() {
        for a in ACTORS {
            let want = expected(a, e);
            let (got, code) = w.call(a, e).await;
            checked += 1;
            let want_code = match want {
                403 => "forbidden",
                404 => "not_found",
                _ => "",
            };
            if got != want || (!want_code.is_empty() && code != want_code) {
                mismatches.push(format!(
                    "{:<13} {:<42} expected {want} {want_code:<9} got {got} {code}",
                    format!("{a:?}"),
                    e
                ));
            }
        }
    }

    // What each list holds, among the four seeded files.
    let seeded: Vec<(File, String)> = w.files.clone();
    for a in ACTORS.into_iter().filter(|a| sees_mission(*a)) {
        let listed = w.app.list_files(w.token(a), &w.mission).await;
        let listed = ids(&listed);
        for (f, id) in &seeded {
            let want = visible(a, *f);
            let got = listed.contains(id);
            checked += 1;
            if want != got {
                mismatches.push(format!(
                    "{:<13} {:<42} expected {} got {}",
                    format!("{a:?}"),
                    format!("list contains {f:?}"),
                    if want { "listed" } else { "absent" },
                    if got { "listed" } else { "absent" },
                ));
            }
        }
    }
    // The other mission's user never sees this mission in its list, nor the other way round.
    let v = body(
        w.app
            .get_as(w.token(OtherMission), "/api/v1/missions")
            .await,
    )
    .await;
    let listed: Vec<&str> = v["missions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    if listed.contains(&w.mission.as_str()) {
        mismatches.push("OtherMission  GET /missions lists the mission under test".to_owned());
    }

    if !mismatches.is_empty() {
        eprintln!(
            "\n{} of {checked} permission checks differ from the contract:\n{}\n",
            mismatches.len(),
            mismatches.join("\n")
        );
        panic!("{} permission mismatches (see above)", mismatches.len());
    }
}
