//! The rough edges a first user met (issue #14), each walked through in the browser: the
//! enrolment key kept after a wrong code, the language switch on every login step, the focus on
//! the first field, the quarantine warning, the refused cells, the page title after a release,
//! the manager's view of released results, the file table and its sorting, several uploads at
//! once with their cancel, the error pages of file links.

use crate::harness::Browser;
use crate::missions::{setup, MISSION};
use passerelle_tests::prelude::*;
use std::time::{Duration, Instant};

/// The ids of the deposits table's files, in the order shown.
async fn order(b: &Browser) -> serde_json::Value {
    b.eval(
        "return Array.from(document.querySelectorAll('#depots tbody.fichier')).map(t => t.id.slice(8));",
    )
    .await
}

/// Waits until the page's visible text contains `expected`.
async fn wait_text(b: &Browser, expected: &str) {
    let started = Instant::now();
    loop {
        let text = b.visible_text().await;
        if text.contains(expected) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "never saw {expected:?}; page:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrolment_keeps_the_key_and_every_step_speaks_both_languages() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("admin").await;
    let org = app.organisation(&admin, "Habitat Sud", "bailleur").await;
    let (_, initial) = app.create_user(&admin, "marie", &org).await;
    let b = Browser::launch(&app, "first_user_enrolment").await;

    b.goto("/connexion").await;
    assert_eq!(
        b.focused_id().await,
        "username",
        "the first field has the focus"
    );
    b.fill("username", "marie").await;
    b.fill("password", &initial).await;
    b.press("form[action='/connexion'] button[type=submit]")
        .await;
    b.expect_h1("Choisissez votre mot de passe").await;
    assert_eq!(b.focused_id().await, "new_password");

    // The password step in English, and back: the step stays pending.
    b.switch_language().await;
    b.expect_h1("Choose your password").await;
    b.expect_path("/connexion/etape").await;
    b.check_page("password-change-en").await;
    b.switch_language().await;
    b.expect_h1("Choisissez votre mot de passe").await;

    b.fill("new_password", "trois girafes traversent la rue 4812")
        .await;
    b.fill("confirmation", "trois girafes traversent la rue 4812")
        .await;
    b.press("form[action='/connexion/mot-de-passe'] button[type=submit]")
        .await;
    b.expect_h1("Activez la double authentification").await;
    assert_eq!(b.focused_id().await, "code");
    let key = b.text("code.cle").await;

    // The enrolment in English shows the same key.
    b.switch_language().await;
    b.expect_h1("Set up two-step verification").await;
    assert_eq!(b.text("code.cle").await, key);
    b.check_page("enrolment-en").await;
    b.switch_language().await;
    b.expect_h1("Activez la double authentification").await;

    // One mistyped code: the error, and the QR code and the key still there.
    b.fill("code", "000000").await;
    b.press("form:has(#code) button[type=submit]").await;
    b.wait_for("#code-erreur").await;
    assert_eq!(b.text("code.cle").await, key, "the same key, still shown");
    b.wait_for("figure.qr-cadre svg").await;
    assert!(b.text("#code-erreur").await.contains("Code incorrect"));
    assert_eq!(b.focused_id().await, "code");
    b.check_page("enrolment-wrong-code").await;

    // The right code from the key still on the page: enrolled.
    let compact: String = key.split_whitespace().collect();
    let secret = totp_rs::Secret::Encoded(compact).to_bytes().unwrap();
    b.fill("code", &b.totp_code(&secret)).await;
    b.press("form:has(#code) button[type=submit]").await;
    b.expect_h1("Vos codes de secours").await;
    b.close().await;

    // A later sign-in: the code step has the switch too.
    let b = Browser::launch(&app, "first_user_totp_step").await;
    b.goto("/connexion").await;
    b.fill("username", "marie").await;
    b.fill("password", "trois girafes traversent la rue 4812")
        .await;
    b.press("form[action='/connexion'] button[type=submit]")
        .await;
    b.expect_h1("Vérification en deux étapes").await;
    assert_eq!(b.focused_id().await, "code");
    b.switch_language().await;
    b.expect_h1("Two-step verification").await;
    b.check_page("totp-en").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quarantine_is_a_warning_that_says_what_to_do() {
    let s = setup().await;
    let held = id_of(
        &s.app
            .upload_deposit(
                &s.x.depositor.token,
                &s.x.mission,
                "ops_avec_identifiants.csv",
                fixture("ops_with_identifiers.csv"),
            )
            .await,
    );
    let b = Browser::launch(&s.app, "first_user_quarantine").await;
    b.login_as(&s.x.depositor).await;
    // As the page shows it right after the upload.
    b.goto(&format!("/missions/{}?depose={held}", s.x.mission))
        .await;
    b.expect_h1(MISSION).await;
    let notice = b.text("p[role=status].avis-attention").await;
    assert!(notice.contains("quarantaine"), "{notice}");
    assert!(
        b.texts("p.avis-succes").await.is_empty(),
        "a held deposit is no success"
    );
    let box_text = b.text(&format!("#fichier-{held} .constats")).await;
    assert!(
        box_text.contains("Données directement identifiantes relevées"),
        "{box_text}"
    );
    assert!(
        box_text.contains("déposez-le à nouveau") && box_text.contains("chargé d'études"),
        "{box_text}"
    );
    // Each finding once, and said once.
    let findings = b.texts(&format!("#fichier-{held} .constats li")).await;
    assert!(!findings.is_empty());
    for (i, f) in findings.iter().enumerate() {
        assert!(!findings[..i].contains(f), "repeated: {findings:?}");
        // The stored sentence already names the column, the count and an example: nothing
        // is appended to it again.
        assert!(!f.contains(" — colonne") && !f.contains("cellule"), "{f}");
    }
    b.check_page("quarantine").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_cells_read_well_export_and_leave_no_error_title() {
    let s = setup().await;
    let small = id_of(
        &s.app
            .upload_result(
                &s.x.processor.token,
                &s.x.mission,
                "indicateurs_quartiers.csv",
                fixture("results_small_cells.csv"),
            )
            .await,
    );
    let good = id_of(
        &s.app
            .upload_result(
                &s.x.processor.token,
                &s.x.mission,
                "indicateurs_communes.csv",
                fixture("results_ok.csv"),
            )
            .await,
    );
    let b = Browser::launch(&s.app, "first_user_refused_cells").await;
    b.login_as(&s.x.processor).await;
    b.goto(&format!("/missions/{}", s.x.mission)).await;
    b.press(&format!(
        "form[action='/fichiers/{small}/diffusion']:not([novalidate]) button[type=submit]"
    ))
    .await;
    b.wait_for(&format!("#erreur-{small}")).await;
    let table = format!("#fichier-{small} table.violations");
    let headings = b.texts(&format!("{table} thead th")).await;
    assert!(
        !headings.iter().any(|h| h == "Feuille"),
        "no sheet column for a CSV file: {headings:?}"
    );
    assert!(
        headings.iter().any(|h| h == "Libellés de la ligne"),
        "{headings:?}"
    );
    let rows = b.texts(&format!("{table} tbody tr")).await;
    assert!(
        rows.iter()
            .any(|r| r.contains("Carvin · Centre") && r.contains("50,0")),
        "{rows:?}"
    );
    assert!(!rows.iter().any(|r| r.contains("50.0")), "{rows:?}");
    // The header stays in view while the box scrolls; the box is neither a slit nor endless.
    let sticky = b
        .eval(&format!(
            "return getComputedStyle(document.querySelector('{table} thead th')).position;"
        ))
        .await;
    assert_eq!(sticky, "sticky");
    let height = b
        .eval(&format!(
            "return document.querySelector('#fichier-{small} .cadre-violations').clientHeight;"
        ))
        .await
        .as_f64()
        .unwrap();
    assert!((250.0..=700.0).contains(&height), "box height {height}");
    b.check_page("refused-cells").await;

    // The list as CSV, for the analyst who fixes the table.
    b.press(&format!("a[href='/fichiers/{small}/cases-refusees.csv']"))
        .await;
    let csv = String::from_utf8(
        b.downloaded("cases-refusees-indicateurs_quartiers.csv")
            .await,
    )
    .unwrap();
    assert!(
        csv.starts_with('\u{feff}'),
        "a BOM for spreadsheet software"
    );
    assert!(csv.contains("\"Carvin · Centre\""), "{csv}");
    assert!(csv.contains("secret statistique"), "{csv}");

    // Another result released: a success, and no « Erreur : » in the title although the older
    // refused result still shows its cells.
    b.goto(&format!("/missions/{}", s.x.mission)).await;
    b.press(&format!(
        "form[action='/fichiers/{good}/diffusion'] button[type=submit]"
    ))
    .await;
    b.wait_for("p.avis-succes[role=status]").await;
    let title = b.eval("return document.title;").await;
    assert!(!title.as_str().unwrap().starts_with("Erreur"), "{title}");
    b.wait_for(&format!("#fichier-{small} table.violations"))
        .await;
    b.check_page("released-after-refusal").await;
    b.close().await;

    // The recipient may not see the refused result: its links answer the French page.
    let b = Browser::launch(&s.app, "first_user_file_not_found").await;
    b.login_as(&s.x.recipient).await;
    b.goto(&format!("/fichiers/{small}/cases-refusees.csv"))
        .await;
    b.expect_h1("Page introuvable").await;
    b.check_page("refused-cells-not-found").await;
    b.goto(&format!("/fichiers/{small}/contenu")).await;
    b.expect_h1("Page introuvable").await;
    b.goto("/fichiers/inconnu/contenu").await;
    b.expect_h1("Page introuvable").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manager_reads_how_many_results_were_released() {
    let s = setup().await;
    let result = id_of(
        &s.app
            .upload_result(
                &s.x.processor.token,
                &s.x.mission,
                "indicateurs_communes.csv",
                fixture("results_ok.csv"),
            )
            .await,
    );
    s.app.release(&s.x.processor.token, &result).await;
    let b = Browser::launch(&s.app, "first_user_manager").await;
    b.login_as(&s.x.manager).await;
    b.goto(&format!("/missions/{}", s.x.mission)).await;
    b.expect_h1(MISSION).await;
    let section = b.text("#resultats").await;
    assert!(
        !section.contains("Aucun résultat pour l'instant"),
        "{section}"
    );
    assert!(
        section.contains("1 résultat a été mis à disposition des destinataires"),
        "{section}"
    );
    b.check_page("mission-manager-results").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_table_names_uploaders_and_sorts() {
    let s = setup().await;
    let mut ids = Vec::new();
    for (name, body) in [
        ("ops_habitat.csv", fixture("ops_habitat_henin.csv")),
        ("ops_habitat.csv", fixture("ops_logis_carvin_cp1252.csv")),
        (
            "annexe.csv",
            b"num_logement;nb_occupants\n00000001;3\n".to_vec(),
        ),
    ] {
        ids.push(id_of(
            &s.app
                .upload_deposit(&s.x.depositor.token, &s.x.mission, name, body)
                .await,
        ));
        s.app.clock.advance(chrono::Duration::minutes(5));
    }
    let b = Browser::launch(&s.app, "first_user_file_table").await;
    b.login_as(&s.x.depositor).await;
    b.goto(&format!("/missions/{}", s.x.mission)).await;
    b.expect_h1(MISSION).await;
    let headings = b.texts("#depots table.fichiers thead th").await;
    assert_eq!(
        headings,
        [
            "Fichier",
            "Organisme",
            "Déposé par",
            "Déposé le",
            "Taille",
            "État"
        ]
    );
    assert_eq!(
        b.attr("#depots th[data-cle='date']", "aria-sort")
            .await
            .as_deref(),
        Some("descending"),
        "newest first by default"
    );
    // Who deposited each file, and a reference telling apart the two of the same name.
    let first_line = b
        .text(&format!("#fichier-{} tr.fichier-ligne", ids[0]))
        .await;
    assert!(first_line.contains("depot.henin Test"), "{first_line}");
    assert!(first_line.contains("Habitat Hénin"), "{first_line}");
    let refs = b.texts("#depots .fichier-ref").await;
    assert_eq!(refs.len(), 3);
    assert!(refs[0] != refs[1] && refs[1] != refs[2], "{refs:?}");
    b.check_page("file-table").await;

    assert_eq!(order(&b).await, serde_json::json!([ids[2], ids[1], ids[0]]));
    // With the script: sorted in place by name, the address updated.
    b.press("#depots th[data-cle='nom'] a").await;
    assert_eq!(
        b.attr("#depots th[data-cle='nom']", "aria-sort")
            .await
            .as_deref(),
        Some("ascending")
    );
    let by_name = order(&b).await;
    assert_eq!(by_name[0], serde_json::json!(ids[2]), "annexe.csv first");
    assert!(b.path().await.contains("tri=nom&ordre=asc"));
    // Without the script, the same order from the server.
    b.goto(&format!("/missions/{}?tri=taille&ordre=desc", s.x.mission))
        .await;
    assert_eq!(
        b.attr("#depots th[data-cle='taille']", "aria-sort")
            .await
            .as_deref(),
        Some("descending")
    );
    let sizes = b
        .eval(
            "return Array.from(document.querySelectorAll('#depots tbody.fichier')).map(t => Number(t.dataset.taille));",
        )
        .await;
    let sizes: Vec<f64> = serde_json::from_value(sizes).unwrap();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
    b.check_page("file-table-by-size").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_files_at_once_each_with_progress_and_cancel() {
    let s = setup().await;
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, body).unwrap();
        path
    };
    let one = write("ops_lot_1.csv", &fixture("ops_habitat_henin.csv"));
    let two = write("ops_lot_2.csv", b"num_logement;nb_occupants\n00000001;3\n");
    let b = Browser::launch(&s.app, "first_user_many_uploads").await;
    b.login_as(&s.x.depositor).await;
    b.goto(&format!("/missions/{}", s.x.mission)).await;
    b.expect_h1(MISSION).await;
    assert_eq!(
        b.attr("#fichier-deposits", "multiple").await.as_deref(),
        Some("true"),
        "the script offers several files"
    );

    // Two files chosen together: both sent, the page then names how many arrived.
    b.choose_file(
        "#fichier-deposits",
        std::path::Path::new(&format!("{}\n{}", one.display(), two.display())),
    )
    .await;
    b.press("#depot-deposits button[type=submit]").await;
    wait_text(&b, "2 fichiers ont été déposés.").await;
    let path = b.path().await;
    assert!(path.contains("?depose="), "{path}");
    b.check_page("many-uploaded").await;

    // A slow line: the second file waits its turn and is cancelled; the first is cancelled
    // while it is sent. Nothing of either is stored.
    let big = write("ops_lent.csv", &vec![b'1'; 2 * 1024 * 1024]);
    let small = write("ops_annule.csv", b"num_logement;nb_occupants\n00000002;4\n");
    b.throttle_uploads(Some(64 * 1024)).await;
    b.choose_file(
        "#fichier-deposits",
        std::path::Path::new(&format!("{}\n{}", big.display(), small.display())),
    )
    .await;
    b.press("#depot-deposits button[type=submit]").await;
    b.wait_for("#envois-deposits li.envoi").await;
    let waiting = b.texts("#envois-deposits .envoi-etat").await;
    assert_eq!(waiting.len(), 2, "{waiting:?}");
    assert_eq!(waiting[1], "En attente…");
    b.check_page("uploads-in-progress").await;
    b.press("#envois-deposits li.envoi:nth-child(2) .envoi-annuler")
        .await;
    b.press("#envois-deposits li.envoi:nth-child(1) .envoi-annuler")
        .await;
    b.wait_for("#envois-deposits li.envoi-annule:nth-child(1)")
        .await;
    b.wait_for("#envois-deposits li.envoi-annule:nth-child(2)")
        .await;
    assert_eq!(
        b.texts("#envois-deposits .envoi-etat").await,
        ["Envoi annulé : rien n'a été enregistré."; 2]
    );
    b.throttle_uploads(None).await;
    b.check_page("uploads-cancelled").await;
    let listed: serde_json::Value = s
        .app
        .get_as(
            &s.x.depositor.token,
            &format!("/api/v1/missions/{}/files", s.x.mission),
        )
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = listed["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"ops_lot_1.csv") && names.contains(&"ops_lot_2.csv"));
    assert!(
        !names.contains(&"ops_lent.csv") && !names.contains(&"ops_annule.csv"),
        "{names:?}"
    );
    b.close().await;
}
