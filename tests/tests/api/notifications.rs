//! Notifications by e-mail (#15 point 1, and the first-download notice of point 2): each kind
//! reaches its recipients and nobody else, a kind switched off sends nothing, the digest gathers
//! a mission's messages into one, the first download is told once, and the choices page saves
//! what is ticked. The outbox (`<data_dir>/outbox/*.eml`) is read after the background sending
//! has settled.

use base64::Engine as _;
use chrono::Duration;
use passerelle_tests::pages::{csrf_of, get, post_form, web_sign_in};
use passerelle_tests::prelude::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;

passerelle_tests::on_every_backend!(
    each_notification_reaches_its_recipients_only,
    switched_off_kinds_send_nothing_and_digests_gather_a_mission,
    the_choices_page_saves_the_ticked_boxes,
);

const CONTENT: &[u8] = b"commune;logements\nCarvin;120\nHenin;340\n";

/// One message of the outbox, decoded.
#[derive(Debug, Clone)]
struct Mail {
    to: String,
    kind: String,
    subject: String,
    body: String,
}

fn decode_qp(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'=' if bytes.get(i + 1) == Some(&b'\r') && bytes.get(i + 2) == Some(&b'\n') => i += 3,
            b'=' if bytes.get(i + 1) == Some(&b'\n') => i += 2,
            b'=' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Decodes the RFC 2047 words of a header (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`).
fn decode_header(value: &str) -> String {
    let mut out = String::new();
    for word in value.split_whitespace() {
        let lower = word.to_ascii_lowercase();
        if lower.starts_with("=?utf-8?b?") && word.ends_with("?=") {
            let raw = &word[10..word.len() - 2];
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(raw)
                .unwrap();
            out.push_str(&String::from_utf8(bytes).unwrap());
        } else if lower.starts_with("=?utf-8?q?") && word.ends_with("?=") {
            let raw = word[10..word.len() - 2].replace('_', " ");
            out.push_str(&String::from_utf8(decode_qp(&raw)).unwrap());
        } else {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
    out
}

fn parse(raw: &str) -> Mail {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap();
    // Unfold the headers.
    let head = head.replace("\n ", " ").replace("\n\t", " ");
    let header = |name: &str| {
        head.lines()
            .find_map(|l| {
                let (n, v) = l.split_once(':')?;
                n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
            })
            .unwrap_or_default()
    };
    let body = match header("Content-Transfer-Encoding")
        .to_ascii_lowercase()
        .as_str()
    {
        "base64" => {
            let joined: String = body.split_whitespace().collect();
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(joined)
                    .unwrap(),
            )
            .unwrap()
        }
        "quoted-printable" => String::from_utf8(decode_qp(body)).unwrap(),
        _ => body.to_owned(),
    };
    let to = header("To");
    let to = match (to.find('<'), to.find('>')) {
        (Some(a), Some(b)) => to[a + 1..b].to_owned(),
        _ => to,
    };
    Mail {
        to,
        kind: header("X-Passerelle-Notification"),
        subject: decode_header(&header("Subject")),
        body,
    }
}

/// Every message sent since the last call (the background sending settled first); the outbox
/// is emptied.
async fn take_mail(app: &TestApp) -> Vec<Mail> {
    app.core.notifications_settled().await;
    let dir = app.data.path().join("outbox");
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        out.push(parse(&std::fs::read_to_string(&path).unwrap()));
        std::fs::remove_file(&path).unwrap();
    }
    out
}

/// Who received what: (address, kind).
fn sent(mails: &[Mail]) -> BTreeSet<(String, String)> {
    mails
        .iter()
        .map(|m| (m.to.clone(), m.kind.clone()))
        .collect()
}

fn to(accounts: &[&Account], kind: &str) -> BTreeSet<(String, String)> {
    accounts
        .iter()
        .map(|a| (format!("{}@example.fr", a.username), kind.to_owned()))
        .collect()
}

fn mail_to<'a>(mails: &'a [Mail], who: &Account) -> &'a Mail {
    mails
        .iter()
        .find(|m| m.to == format!("{}@example.fr", who.username))
        .unwrap_or_else(|| panic!("no mail to {}: {mails:?}", who.username))
}

async fn each_notification_reaches_its_recipients_only(b: Backend) {
    let app = TestApp::spawn(b).await;
    let x = app.exchange().await;
    let colleague = app.user(&x.admin, "collegue.henin", &x.bailleur).await;
    let bystander = app.user(&x.admin, "voisin.henin", &x.bailleur).await;
    let gone = app.user(&x.admin, "parti", &x.consultancy).await;
    for (who, role) in [(&colleague, "depositor"), (&gone, "processor")] {
        app.add_participant(&x.admin.token, &x.mission, &who.id, role)
            .await;
    }
    // A disabled account receives nothing, whatever its roles.
    let r = app
        .post_as(
            &x.admin.token,
            &format!("/api/v1/users/{}/disable", gone.id),
            json!({}),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    take_mail(&app).await;

    // A role added: to that person; a processor granted: to the controller's managers.
    let analyst2 = app.user(&x.admin, "analyste2", &x.consultancy).await;
    app.add_participant(&x.manager.token, &x.mission, &analyst2.id, "processor")
        .await;
    let mails = take_mail(&app).await;
    assert_eq!(
        sent(&mails),
        to(&[&analyst2], "role_changed"),
        "the manager granted it: it is not told of its own action"
    );
    let analyst3 = app.user(&x.admin, "analyste3", &x.consultancy).await;
    app.add_participant(&x.admin.token, &x.mission, &analyst3.id, "processor")
        .await;
    let mails = take_mail(&app).await;
    let mut expected = to(&[&analyst3], "role_changed");
    expected.extend(to(&[&x.manager], "processor_granted"));
    assert_eq!(sent(&mails), expected);
    assert!(mail_to(&mails, &x.manager).body.contains("analyste3 Test"));
    // A role taken: to that person (who then holds none, and hears nothing more).
    let r = app
        .delete_as(
            &x.admin.token,
            &format!(
                "/api/v1/missions/{}/participants/{}/roles/processor",
                x.mission, analyst3.id
            ),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    let mails = take_mail(&app).await;
    assert_eq!(sent(&mails), to(&[&analyst3], "role_changed"));
    let m = mail_to(&mails, &analyst3);
    assert!(
        m.body.contains("retiré") && m.body.contains("was removed"),
        "{m:?}"
    );
    assert!(m.subject.contains("OPS 2027"), "{m:?}");

    // A deposit arrived: to the processors (not the disabled one), nobody else.
    let clean = app
        .upload_deposit(&x.depositor.token, &x.mission, "parc.csv", CONTENT)
        .await;
    let clean = clean["id"].as_str().unwrap().to_owned();
    let mails = take_mail(&app).await;
    assert_eq!(
        sent(&mails),
        to(&[&x.processor, &analyst2], "deposit_arrived")
    );
    let m = mail_to(&mails, &x.processor);
    assert!(
        m.body.contains("parc.csv") && m.body.contains("OPS 2027"),
        "{m:?}"
    );
    assert!(
        !m.body.contains("Carvin;120"),
        "never a byte of content: {m:?}"
    );
    assert!(
        m.body.find("Bonjour") < m.body.find("Hello"),
        "French first: {m:?}"
    );

    // A deposit quarantined: to its organisation's depositors (the uploader included), saying
    // what to do; the processors learn nothing of it.
    let held = app
        .upload_deposit(
            &x.depositor.token,
            &x.mission,
            "ops_with_identifiers.csv",
            fixture("ops_with_identifiers.csv"),
        )
        .await;
    assert_eq!(held["checks"]["status"], "quarantined");
    let held = held["id"].as_str().unwrap().to_owned();
    let mails = take_mail(&app).await;
    assert_eq!(
        sent(&mails),
        to(&[&x.depositor, &colleague], "deposit_quarantined")
    );
    let m = mail_to(&mails, &colleague);
    assert!(
        m.body.contains("confirmez le dépôt") && m.body.contains("delete the deposit"),
        "{m:?}"
    );
    assert!(
        !m.body.contains("255016219061202"),
        "no identifier is quoted: {m:?}"
    );

    // Confirmed after quarantine: to the processors.
    let r = app
        .post_as(
            &colleague.token,
            &format!("/api/v1/files/{held}/confirm"),
            json!({"justification": "Prévu par la convention"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let mails = take_mail(&app).await;
    assert_eq!(
        sent(&mails),
        to(&[&x.processor, &analyst2], "deposit_confirmed")
    );

    // The first download of a deposit by a processor: to its depositor, once.
    app.download(&x.processor.token, &clean).await;
    let mails = take_mail(&app).await;
    assert_eq!(sent(&mails), to(&[&x.depositor], "first_download"));
    assert!(mail_to(&mails, &x.depositor).body.contains("parc.csv"));
    app.download(&x.processor.token, &clean).await;
    app.download(&analyst2.token, &clean).await;
    app.download(&x.depositor.token, &clean).await;
    assert!(take_mail(&app).await.is_empty(), "the first download only");

    // A result released: to the recipients.
    let ok = app
        .upload_result(
            &x.processor.token,
            &x.mission,
            "results_ok.csv",
            fixture("results_ok.csv"),
        )
        .await;
    assert!(
        take_mail(&app).await.is_empty(),
        "an upload of a result tells nobody"
    );
    app.release(&x.processor.token, ok["id"].as_str().unwrap())
        .await;
    let mails = take_mail(&app).await;
    assert_eq!(sent(&mails), to(&[&x.recipient], "result_released"));
    assert!(mail_to(&mails, &x.recipient)
        .body
        .contains("results_ok.csv"));

    // A result refused by the disclosure check: to the (other) processors, with the count.
    let small = app
        .upload_result(
            &x.processor.token,
            &x.mission,
            "results_small_cells.csv",
            fixture("results_small_cells.csv"),
        )
        .await;
    let r = app
        .post_as(
            &x.processor.token,
            &format!("/api/v1/files/{}/release", small["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 409);
    let cells = body(r).await["violations"].as_array().unwrap().len();
    let mails = take_mail(&app).await;
    assert_eq!(sent(&mails), to(&[&analyst2], "result_refused"));
    let m = mail_to(&mails, &analyst2);
    assert!(
        m.body.contains(&format!("{cells} case(s) en cause"))
            && m.body.contains(&format!("{cells} cell(s) at fault")),
        "{m:?}"
    );

    // Removed from the mission: told so, then told nothing more of it.
    let r = app
        .delete_as(
            &x.manager.token,
            &format!(
                "/api/v1/missions/{}/participants/{}",
                x.mission, colleague.id
            ),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    let mails = take_mail(&app).await;
    assert_eq!(sent(&mails), to(&[&colleague], "role_changed"));
    app.upload_deposit(
        &x.depositor.token,
        &x.mission,
        "ops_with_identifiers.csv",
        fixture("ops_with_identifiers.csv"),
    )
    .await;
    assert_eq!(
        sent(&take_mail(&app).await),
        to(&[&x.depositor], "deposit_quarantined")
    );

    // Closed: everyone still in the mission but who closed it.
    let r = app
        .post_as(
            &x.manager.token,
            &format!("/api/v1/missions/{}/close", x.mission),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 202);
    let mut mails = take_mail(&app).await;
    assert_eq!(
        sent(&mails),
        to(
            &[&x.depositor, &x.processor, &analyst2, &x.recipient],
            "mission_closed"
        )
    );
    // Destroyed once the released result's retention date passes: everyone; the certificate's
    // link to those who may read it (the manager, the controller organisation's participants).
    app.clock.advance(Duration::days(91));
    app.core.sweep().await.unwrap();
    let destroyed = take_mail(&app).await;
    assert_eq!(
        sent(&destroyed),
        to(
            &[
                &x.depositor,
                &x.processor,
                &analyst2,
                &x.recipient,
                &x.manager
            ],
            "mission_destroyed"
        )
    );
    let link = format!("/missions/{}/certificat", x.mission);
    for m in &destroyed {
        let reads = m.to == "chef.projet@example.fr" || m.to == "destinataire@example.fr";
        assert_eq!(m.body.contains(&link), reads, "{m:?}");
    }
    // Nobody else received anything: not the bystander, the admin, the disabled account, nor
    // those who left the mission.
    mails.extend(destroyed);
    for m in &mails {
        assert!(
            ![&bystander, &x.admin, &gone, &analyst3, &colleague]
                .iter()
                .any(|a| m.to.starts_with(&format!("{}@", a.username))),
            "{m:?}"
        );
    }

    // Each event told is in the trail, without its text (a new session: 91 days went by).
    let admin = app.login(&x.admin).await;
    let events = body(
        app.get_as(&admin, &format!("/api/v1/audit?mission_id={}", x.mission))
            .await,
    )
    .await;
    let sends: Vec<&Value> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "notification.send")
        .collect();
    assert!(sends.len() >= 12, "{events}");
    assert!(
        sends.iter().all(|e| !e.to_string().contains("Bonjour")),
        "{events}"
    );
}

async fn switched_off_kinds_send_nothing_and_digests_gather_a_mission(b: Backend) {
    let app = TestApp::spawn(b).await;
    let x = app.exchange().await;
    let analyst2 = app.user(&x.admin, "analyste2", &x.consultancy).await;
    app.add_participant(&x.admin.token, &x.mission, &analyst2.id, "processor")
        .await;
    take_mail(&app).await;

    // Every kind is on by default; the API names them all.
    let r = app
        .get_as(&x.processor.token, "/api/v1/me/notifications")
        .await;
    assert_eq!(r.status(), 200);
    let choices = body(r).await;
    assert_eq!(choices["digest"], false);
    let kinds = choices["kinds"].as_object().unwrap();
    assert_eq!(kinds.len(), 11, "{choices}");
    assert!(kinds.values().all(|v| v == true), "{choices}");

    // An unknown kind is refused, and changes nothing.
    let r = app
        .client
        .put(app.url("/api/v1/me/notifications"))
        .bearer_auth(&x.processor.token)
        .json(&json!({"kinds": {"deposit_arrived": false, "no_such_kind": false}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // The processor switches deposits off; the other processor asks for a digest.
    let r = app
        .client
        .put(app.url("/api/v1/me/notifications"))
        .bearer_auth(&x.processor.token)
        .json(&json!({"kinds": {"deposit_arrived": false}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let now = body(r).await;
    assert_eq!(now["kinds"]["deposit_arrived"], false, "{now}");
    assert_eq!(now["kinds"]["deposit_confirmed"], true, "{now}");
    let r = app
        .client
        .put(app.url("/api/v1/me/notifications"))
        .bearer_auth(&analyst2.token)
        .json(&json!({"digest": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(body(r).await["digest"], true);
    let again = body(
        app.get_as(&x.processor.token, "/api/v1/me/notifications")
            .await,
    )
    .await;
    assert_eq!(again["kinds"]["deposit_arrived"], false, "{again}");

    // Two deposits and a released result within the hour.
    for name in ["parc.csv", "loyers.csv"] {
        app.upload_deposit(&x.depositor.token, &x.mission, name, CONTENT)
            .await;
    }
    let mails = take_mail(&app).await;
    assert!(
        mails.is_empty(),
        "switched off for one, gathered for the other: {mails:?}"
    );
    app.clock.advance(Duration::minutes(30));
    app.core.sweep().await.unwrap();
    assert!(take_mail(&app).await.is_empty(), "not an hour yet");
    // Half an hour idle ended the session: a new one.
    let token = app.login(&analyst2).await;
    let ok = app
        .upload_result(
            &token,
            &x.mission,
            "results_ok.csv",
            fixture("results_ok.csv"),
        )
        .await;
    app.release(&token, ok["id"].as_str().unwrap()).await;
    assert_eq!(
        sent(&take_mail(&app).await),
        to(&[&x.recipient], "result_released"),
        "the recipient asked for no digest"
    );

    // An hour after the first deposit: one message for the mission, with both deposits.
    app.clock.advance(Duration::minutes(31));
    app.core.sweep().await.unwrap();
    let mails = take_mail(&app).await;
    assert_eq!(sent(&mails), to(&[&analyst2], "digest"), "{mails:?}");
    let m = &mails[0];
    assert!(
        m.body.contains("parc.csv") && m.body.contains("loyers.csv"),
        "{m:?}"
    );
    assert!(
        m.subject.contains("OPS 2027") && m.subject.contains("2 notifications"),
        "{m:?}"
    );
    app.core.sweep().await.unwrap();
    app.clock.advance(Duration::hours(2));
    app.core.sweep().await.unwrap();
    assert!(take_mail(&app).await.is_empty(), "sent once");
}

async fn the_choices_page_saves_the_ticked_boxes(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let person = app.user(&admin, "depot.henin", &org).await;
    web_sign_in(&app, &person).await;

    // The header links the page.
    let home = get(&app, "/accueil").await;
    assert_eq!(home.status, 200, "{}", home.html);
    home.assert_contains("href=\"/compte/notifications\"");

    let p = get(&app, "/compte/notifications").await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("Mes notifications par courriel");
    for kind in ["deposit_arrived", "first_download", "mission_destroyed"] {
        p.assert_contains(&format!(
            "id=\"kind-{kind}\" name=\"kind\" value=\"{kind}\" aria-describedby=\"kind-{kind}-aide\" checked"
        ));
    }
    assert!(!p.html.contains(
        "id=\"digest\" name=\"digest\" value=\"1\" aria-describedby=\"digest-aide\" checked"
    ));
    let csrf = csrf_of(&p);

    // Without the session's token, nothing is saved.
    let refused = post_form(
        &app,
        "/compte/notifications",
        &[("csrf_token", "forged"), ("kind", "deposit_arrived")],
    )
    .await;
    assert_ne!(refused.status, 200, "{}", refused.html);
    let api = body(app.get_as(&person.token, "/api/v1/me/notifications").await).await;
    assert_eq!(api["kinds"]["first_download"], true, "{api}");

    // Two boxes ticked and the digest: the others are off.
    let saved = post_form(
        &app,
        "/compte/notifications",
        &[
            ("csrf_token", csrf.as_str()),
            ("kind", "deposit_quarantined"),
            ("kind", "mission_ending"),
            ("digest", "1"),
        ],
    )
    .await;
    assert_eq!(saved.status, 200, "{}", saved.html);
    saved.assert_contains("Vos choix sont enregistrés.");
    let p = get(&app, "/compte/notifications").await;
    p.assert_contains("id=\"kind-mission_ending\" name=\"kind\" value=\"mission_ending\" aria-describedby=\"kind-mission_ending-aide\" checked");
    p.assert_contains(
        "id=\"digest\" name=\"digest\" value=\"1\" aria-describedby=\"digest-aide\" checked",
    );
    assert!(!p.html.contains(
        "id=\"kind-first_download\" name=\"kind\" value=\"first_download\" aria-describedby=\"kind-first_download-aide\" checked"
    ));
    let api = body(app.get_as(&person.token, "/api/v1/me/notifications").await).await;
    assert_eq!(api["digest"], true, "{api}");
    let on: Vec<&str> = api["kinds"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, v)| **v == true)
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(on, ["deposit_quarantined", "mission_ending"], "{api}");
}
