//! Two instances as one service: a login begun on one is finished on the other and its session
//! works on both; a TOTP code accepted by one is refused by the other; login failures count across
//! instances; the whole exchange through haproxy; a mission's end destroyed once while both
//! sweepers run.

use crate::api::*;
use crate::topology::Cluster;
use passerelle_tests::prelude::sha256_hex;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The people and the mission of the exchange.
pub(crate) struct World {
    /// Platform admin.
    pub admin: Person,
    /// Depositor of the bailleur.
    pub depositor: Person,
    /// The EPCI (controller organisation).
    pub epci: String,
    /// The mission of the exchange.
    pub mission: String,
}

/// haproxy sends requests to both instances, round-robin.
pub(crate) async fn haproxy_spreads_requests(c: &Cluster) {
    let mut seen = BTreeSet::new();
    for _ in 0..6 {
        let r = c.lb.get(None, "/healthz").await;
        assert_eq!(r.status(), 200);
        let by = r.headers()["x-passerelle-instance"].to_str().unwrap();
        seen.insert(by.to_owned());
    }
    assert_eq!(seen, BTreeSet::from(["gw1".into(), "gw2".into()]));
}

/// The first admin (created by `deploy/cluster.sh admin`) signs in step by step across instances;
/// its session works on both and ends on both; a TOTP code is accepted once across instances.
pub(crate) async fn sessions_and_totp_are_shared(c: &Cluster) -> Person {
    let out = c.script(&["admin", "operateur", "operateur@example.fr"]);
    let created: Value = serde_json::from_str(out.trim()).unwrap();
    let initial = created["initial_password"].as_str().unwrap();
    let mut admin = first_login([&c.gw1, &c.gw2, &c.gw1], "", "operateur", initial).await;
    // Signed in on gw1, known on gw2 and through haproxy.
    for node in [&c.gw2, &c.lb, &c.gw1] {
        let me = expect(
            node.get(Some(&admin.token), "/api/v1/me").await,
            200,
            node.name,
        )
        .await;
        assert_eq!(me["username"], "operateur");
        admin.id = me["id"].as_str().unwrap().to_owned();
    }
    // Logged out on gw2: over on gw1 too.
    let r = c
        .gw2
        .post(Some(&admin.token), "/api/v1/auth/logout", json!({}))
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(
        c.gw1.get(Some(&admin.token), "/api/v1/me").await.status(),
        401
    );

    // A code accepted by gw2 is refused by gw1.
    let used = code(&admin.secret, 1);
    let challenge = password_step(&c.gw2, &admin).await;
    let v = expect(
        totp_step(&c.gw2, &challenge, &used).await,
        200,
        "login on gw2",
    )
    .await;
    admin.token = v["token"].as_str().unwrap().to_owned();
    let challenge = password_step(&c.gw1, &admin).await;
    let r = totp_step(&c.gw1, &challenge, &used).await;
    let v = expect(r, 401, "the same code replayed on gw1").await;
    assert_eq!(v["error"], "invalid_code");
    assert_eq!(
        c.gw1.get(Some(&admin.token), "/api/v1/me").await.status(),
        200
    );
    admin
}

/// Five wrong passwords spread over both instances throttle the account on both.
pub(crate) async fn throttling_counts_across_instances(c: &Cluster, admin: &Person) {
    let org = organisation(&c.lb, &admin.token, "Habitat Carvin", "bailleur").await;
    let (_, initial) = user(&c.lb, &admin.token, "dactylo", &org).await;
    let wrong = json!({"username": "dactylo", "password": "pas le bon mot de passe"});
    for node in [&c.gw1, &c.gw2, &c.gw1, &c.gw2, &c.gw1] {
        let r = node.post(None, "/api/v1/auth/login", wrong.clone()).await;
        assert_eq!(r.status(), 401, "a wrong password on {}", node.name);
    }
    let right = json!({"username": "dactylo", "password": initial});
    for node in [&c.gw2, &c.gw1, &c.lb] {
        let r = node.post(None, "/api/v1/auth/login", right.clone()).await;
        assert_eq!(r.status(), 429, "the sixth attempt, on {}", node.name);
        assert!(r.headers().contains_key("retry-after"));
    }
}

/// A deposit, its processing, a released result and its download, each step on another node.
pub(crate) async fn the_whole_exchange(c: &Cluster, admin: Person) -> World {
    let t = &admin.token;
    let bailleur = organisation(&c.lb, t, "Habitat Hénin", "bailleur").await;
    let consultancy = organisation(&c.lb, t, "Cabinet Études Urbaines", "consultancy").await;
    let epci = organisation(&c.lb, t, "Communauté d'agglomération Hénin-Carvin", "epci").await;
    let (id, pw) = user(&c.gw1, t, "depot.henin", &bailleur).await;
    let depositor = first_login([&c.gw2, &c.gw1, &c.lb], &id, "depot.henin", &pw).await;
    let (id, pw) = user(&c.gw2, t, "analyste", &consultancy).await;
    let processor = first_login([&c.gw1, &c.lb, &c.gw2], &id, "analyste", &pw).await;
    let (id, pw) = user(&c.lb, t, "destinataire", &epci).await;
    let recipient = first_login([&c.lb, &c.gw2, &c.gw1], &id, "destinataire", &pw).await;
    let mission = mission(&c.lb, t, "OPS 2027", &epci).await;
    add(&c.gw1, t, &mission, &depositor.id, "depositor").await;
    add(&c.gw2, t, &mission, &processor.id, "processor").await;
    add(&c.lb, t, &mission, &recipient.id, "recipient").await;

    let raw = "commune;nb_logements;nb_vacants\nCarvin;1204;37\nHénin-Beaumont;3410;112\n";
    let r = upload(
        &c.gw1,
        &depositor.token,
        &mission,
        "deposits",
        "ops.csv",
        raw.as_bytes(),
    )
    .await;
    let deposit = expect(r, 201, "deposit on gw1").await;
    assert_eq!(deposit["sha256"], sha256_hex(raw.as_bytes()));
    let seen = files(&c.gw2, &processor.token, &mission).await;
    assert_eq!(seen.len(), 1);
    let id = deposit["id"].as_str().unwrap();
    assert_eq!(download(&c.lb, &processor.token, id).await, raw.as_bytes());

    let result = "commune;nb_logements\nCarvin;1204\nHénin-Beaumont;3410\n";
    let r = upload(
        &c.gw2,
        &processor.token,
        &mission,
        "results",
        "synthese.csv",
        result.as_bytes(),
    )
    .await;
    let result_id = expect(r, 201, "result on gw2").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r =
        c.lb.post(
            Some(&processor.token),
            &format!("/api/v1/files/{result_id}/release"),
            json!({}),
        )
        .await;
    assert_eq!(expect(r, 200, "release").await["released"], true);
    let listed = files(&c.gw1, &recipient.token, &mission).await;
    assert_eq!(
        listed.len(),
        1,
        "the recipient sees the released result only"
    );
    assert_eq!(
        download(&c.gw2, &recipient.token, &result_id).await,
        result.as_bytes()
    );
    World {
        admin,
        depositor,
        epci,
        mission,
    }
}

/// The mission's end comes while both instances sweep every second: one of them destroys it,
/// once, with one certificate.
pub(crate) async fn expiry_destroys_once_with_both_sweepers(c: &Cluster, w: &World) {
    let t = &w.admin.token;
    let soon = chrono::Utc::now() + chrono::Duration::seconds(3);
    let path = format!("/api/v1/missions/{}", w.mission);
    let r = patch(&c.lb, t, &path, json!({"ends_at": soon.to_rfc3339()})).await;
    expect(r, 200, "ends_at in 3 s").await;
    until_destroyed(&c.db, &w.mission, 30).await;
    let m = &w.mission;
    assert_eq!(audited(&c.db, m, "mission.end").await, 1);
    assert_eq!(audited(&c.db, m, "mission.destroy").await, 1);
    assert_eq!(audited(&c.db, m, "file.destroy").await, 2);
    let tombs = "SELECT COUNT(*) FROM file_tombstones WHERE mission_id = $1";
    assert_eq!(number(&c.db, tombs, m).await, 2);
    let certificate = certificate_of(c, t, m, 2).await;
    assert_eq!(certificate["payload"]["mission"]["closed_by"], Value::Null);
    assert_eq!(c.objects_under(m).await, Vec::<String>::new());
    assert_eq!(status(&c.gw2, t, m).await, "destroyed");
}

/// The certificate of a destroyed mission, through haproxy: it verifies and lists `files` files
/// kept on S3.
pub(crate) async fn certificate_of(c: &Cluster, token: &str, mission: &str, files: usize) -> Value {
    let r =
        c.lb.get(
            Some(token),
            &format!("/api/v1/missions/{mission}/certificate"),
        )
        .await;
    let certificate = expect(r, 200, "certificate").await;
    gateway::service::certificate::verify(&certificate, None).unwrap();
    let payload = &certificate["payload"];
    assert_eq!(payload["files"].as_array().unwrap().len(), files);
    assert_eq!(
        payload["storage"],
        json!({"backend": "s3", "country": "FR"})
    );
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM certificates WHERE mission_id = $1")
        .bind(mission)
        .fetch_one(&c.db)
        .await
        .unwrap();
    assert_eq!(n, 1);
    certificate
}
