//! The mission page's actions in the browser: an upload with its progress bar, a refused upload's
//! message, drag and drop, releasing results (and a refused release naming the cells), the
//! warning before the session ends.

use crate::harness::Browser;
use crate::missions::MISSION;
use passerelle_tests::prelude::*;
use std::io::Write as _;
use std::path::PathBuf;

struct Setup {
    app: TestApp,
    x: Exchange,
    files: tempfile::TempDir,
}

/// The mission pages' set-up, with a directory for the files the browser picks.
async fn setup() -> Setup {
    let crate::missions::Setup { app, x } = crate::missions::setup().await;
    Setup {
        app,
        x,
        files: tempfile::tempdir().unwrap(),
    }
}

impl Setup {
    fn mission_path(&self) -> String {
        format!("/missions/{}", self.x.mission)
    }

    /// A file on the local disk, for the browser's file field.
    fn local_file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.files.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// An OPS-like CSV of about `mib` MiB, generated (no names, no identifiers).
    fn big_ops_csv(&self, name: &str, mib: usize) -> PathBuf {
        let path = self.files.path().join(name);
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        writeln!(
            out,
            "num_logement;commune;nb_occupants;age_referent;tranche_revenu;apl"
        )
        .unwrap();
        let mut written = 0;
        let mut row = 0u64;
        while written < mib * 1024 * 1024 {
            let line = format!(
                "{row:08};62{:03};{};{};{};{}\n",
                row % 97,
                1 + row % 6,
                20 + row % 70,
                1 + row % 5,
                ["oui", "non"][usize::from(row.is_multiple_of(3))]
            );
            out.write_all(line.as_bytes()).unwrap();
            written += line.len();
            row += 1;
        }
        out.flush().unwrap();
        path
    }
}

/// Records, in the tab's session storage (it survives the redirect that follows a successful
/// upload), whether the list of uploads showed and every value its progress bars took.
const WATCH_PROGRESS: &str = r#"
var list = document.getElementById("envois-deposits");
sessionStorage.setItem("valeurs", "[]");
new MutationObserver(function (records) {
  if (!list.hidden) { sessionStorage.setItem("cadre", "visible"); }
  var seen = JSON.parse(sessionStorage.getItem("valeurs"));
  records.forEach(function (r) {
    if (r.target.tagName === "PROGRESS") { seen.push(Number(r.target.value)); }
  });
  sessionStorage.setItem("valeurs", JSON.stringify(seen));
}).observe(list, { attributes: true, childList: true, subtree: true });
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn depositor_uploads_with_progress_and_sees_refusals() {
    let s = setup().await;
    let b = Browser::launch(&s.app, "upload").await;
    b.login_as(&s.x.depositor).await;
    b.goto(&s.mission_path()).await;
    b.expect_h1(MISSION).await;
    b.check_page("mission-depositor").await;

    // A type the folder refuses: the script says so before sending anything.
    let exe = s.local_file("rapport.exe", b"MZ\x90\x00");
    b.choose_file("#fichier-deposits", &exe).await;
    b.press("#depot-deposits button[type=submit]").await;
    b.wait_for("#fichier-deposits-erreur[role=alert]").await;
    let message = b.text("#fichier-deposits-erreur").await;
    assert!(message.contains("Type de fichier refusé"), "{message}");
    assert_eq!(
        b.attr("#fichier-deposits", "aria-invalid").await.as_deref(),
        Some("true")
    );
    assert!(b
        .attr("#fichier-deposits", "aria-describedby")
        .await
        .unwrap()
        .contains("fichier-deposits-erreur"));
    b.check_page("upload-refused-type").await;

    // A 24 MiB OPS file: the progress bar shows and runs to 100 %, then the page lists the file.
    let big = s.big_ops_csv("ops_grand_fichier.csv", 24);
    b.run_script(WATCH_PROGRESS).await;
    b.choose_file("#fichier-deposits", &big).await;
    b.press("#depot-deposits button[type=submit]").await;
    b.wait_for("p.avis-succes[role=status]").await;
    assert!(b.path().await.contains("?depose="), "{}", b.path().await);
    let shown = b.eval("return sessionStorage.getItem('cadre');").await;
    assert_eq!(shown, "visible", "the list of uploads never showed");
    let values = b
        .eval("return JSON.parse(sessionStorage.getItem('valeurs'));")
        .await;
    let values: Vec<f64> = serde_json::from_value(values).unwrap();
    assert!(values.contains(&100.0), "progress values seen: {values:?}");
    assert!(
        b.visible_text().await.contains("ops_grand_fichier.csv"),
        "the new file is listed"
    );
    b.check_page("upload-done").await;

    // Dropped onto the zone: the same upload, without the file picker.
    b.run_script(
        r##"
        var zone = document.querySelector("#depot-deposits .zone-depot");
        var data = new DataTransfer();
        data.items.add(new File(["num_logement;nb_occupants\n00000001;3\n"], "glisse_depose.csv",
                                { type: "text/csv" }));
        zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: data, bubbles: true, cancelable: true }));
        zone.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
        "##,
    )
    .await;
    b.expect_path_in(&[&s.mission_path()]).await;
    // Listed in the files table once stored (the list of uploads names it from the start).
    b.wait_for("tbody.fichier[data-nom='glisse_depose.csv']")
        .await;

    // Both arrived intact, as the consultancy downloads them.
    let r = s
        .app
        .get_as(
            &s.x.processor.token,
            &format!("/api/v1/missions/{}/files", s.x.mission),
        )
        .await;
    let listed: serde_json::Value = r.json().await.unwrap();
    let names: Vec<&str> = listed["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"ops_grand_fichier.csv"), "{names:?}");
    assert!(names.contains(&"glisse_depose.csv"), "{names:?}");
    let big_id = listed["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "ops_grand_fichier.csv")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = s
        .app
        .get_as(
            &s.x.processor.token,
            &format!("/api/v1/files/{big_id}/content"),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(
        r.bytes().await.unwrap().as_ref() == std::fs::read(&big).unwrap().as_slice(),
        "the uploaded file differs"
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_upload_without_script_keeps_the_message() {
    // With the size limit at 64 KiB, a larger file is refused by the server (the script's early
    // check is bypassed by posting the form itself).
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.max_upload_bytes = 64 * 1024).await;
    let x = app.exchange().await;
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("ops_trop_gros.csv");
    std::fs::write(&path, vec![b'1'; 200 * 1024]).unwrap();

    let b = Browser::launch(&app, "upload-too-large").await;
    b.login_as(&x.depositor).await;
    b.goto(&format!("/missions/{}", x.mission)).await;
    b.choose_file("#fichier-deposits", &path).await;
    // The script's early check first.
    b.press("#depot-deposits button[type=submit]").await;
    b.wait_for("#fichier-deposits-erreur[role=alert]").await;
    assert!(b.text("#fichier-deposits-erreur").await.contains("taille"));
    // Then the plain form, as without script: the server refuses, the page says why.
    b.run_script(
        "HTMLFormElement.prototype.submit.call(document.getElementById('depot-deposits'));",
    )
    .await;
    b.wait_for("#fichier-deposits[aria-invalid=true]").await;
    let message = b.text("#fichier-deposits-erreur").await;
    assert!(message.contains("64"), "{message}");
    assert!(message.contains("rien n'a été enregistré"), "{message}");
    b.check_page("upload-refused-size").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processor_releases_results_and_sees_refused_cells() {
    let s = setup().await;
    let small = s
        .app
        .upload_result(
            &s.x.processor.token,
            &s.x.mission,
            "indicateurs_quartiers.csv",
            fixture("results_small_cells.csv"),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let good = s
        .app
        .upload_result(
            &s.x.processor.token,
            &s.x.mission,
            "indicateurs_communes.csv",
            fixture("results_ok.csv"),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let b = Browser::launch(&s.app, "release").await;
    b.login_as(&s.x.processor).await;
    b.goto(&s.mission_path()).await;
    b.check_page("mission-processor-results").await;

    // Small cells: refused, each cell named with its rule.
    b.press(&format!(
        "form[action='/fichiers/{small}/diffusion']:not([novalidate]) button[type=submit]"
    ))
    .await;
    b.wait_for(&format!("#erreur-{small}")).await;
    let rows = b
        .texts(&format!("#fichier-{small} table.violations tbody tr"))
        .await;
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .any(|r| r.contains("nb_logements") && r.contains("seuil 11")),
        "{rows:?}"
    );
    b.check_page("release-refused").await;

    // Good results: released; the notice says so.
    b.goto(&s.mission_path()).await;
    b.press(&format!(
        "form[action='/fichiers/{good}/diffusion'] button[type=submit]"
    ))
    .await;
    b.wait_for("p.avis-succes[role=status]").await;
    assert!(b.path().await.contains(&format!("diffuse={good}")));
    b.check_page("release-done").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warning_before_the_session_ends() {
    let s = setup().await;
    let b = Browser::launch(&s.app, "session-warning").await;
    b.login_as(&s.x.depositor).await;
    b.goto(&s.mission_path()).await;
    b.expect_h1(MISSION).await;
    assert_eq!(
        b.attr("#avertissement-session", "hidden").await.as_deref(),
        Some("true")
    );

    // 27 idle minutes later (the timeout is 30), when the page comes back into view (the
    // computer woke up), it warns and offers to stay.
    s.app.clock.advance(chrono::Duration::minutes(27));
    b.run_script("window.dispatchEvent(new Event('focus'));")
        .await;
    b.wait_for("#avertissement-session:not([hidden])").await;
    let text = b.text("#avertissement-session").await;
    assert!(text.contains("3 min"), "{text}");
    b.check_page("session-warning").await;
    b.press("#avertissement-session button").await;
    b.wait_for("#avertissement-session[hidden]").await;

    // Staying signed in counted as activity: 27 more minutes are still within the session.
    s.app.clock.advance(chrono::Duration::minutes(27));
    b.goto("/accueil").await;
    b.expect_path("/accueil").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manager_adds_a_participant_and_a_depositor_confirms_a_held_file() {
    let s = setup().await;
    let newcomer = s
        .app
        .user(&s.x.admin, "nouvelle.analyste", &s.x.consultancy)
        .await;
    let b = Browser::launch(&s.app, "participants").await;
    b.login_as(&s.x.manager).await;
    b.goto(&s.mission_path()).await;
    b.check_page("mission-manager").await;

    // An unknown username: the message is tied to the field, what was ticked stays ticked.
    b.fill("participant-identifiant", "personne").await;
    b.press("#role-processor").await;
    b.press("form.ajout-participant button[type=submit]").await;
    b.wait_for("#participant-erreur").await;
    assert_eq!(
        b.attr("#participant-identifiant", "aria-invalid")
            .await
            .as_deref(),
        Some("true")
    );
    assert!(b.attr("#role-processor", "checked").await.is_some());
    b.check_page("participant-refused").await;

    b.fill("participant-identifiant", "nouvelle.analyste").await;
    b.press("form.ajout-participant button[type=submit]").await;
    b.wait_for("p.avis-succes[role=status]").await;
    assert!(b.visible_text().await.contains("nouvelle.analyste Test"));
    let r = s
        .app
        .get_as(
            &newcomer.token,
            &format!("/api/v1/missions/{}", s.x.mission),
        )
        .await;
    assert_eq!(
        r.status(),
        200,
        "the new participant reaches the mission at once"
    );

    // The same page in English.
    b.switch_language().await;
    b.expect_h1(MISSION).await;
    assert!(b.visible_text().await.contains("Participants"));
    b.check_page("mission-manager-en").await;
    b.close().await;

    // A deposit with names and social security numbers is held; its depositor lets it through
    // with a justification.
    let held = s
        .app
        .upload_deposit(
            &s.x.depositor.token,
            &s.x.mission,
            "ops_avec_identifiants.csv",
            fixture("ops_with_identifiers.csv"),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = Browser::launch(&s.app, "quarantine").await;
    b.login_as(&s.x.depositor).await;
    b.goto(&s.mission_path()).await;
    let page = b.visible_text().await;
    assert!(page.contains("en quarantaine"), "{page}");
    b.check_page("mission-quarantine").await;
    b.press(&format!("#fichier-{held} details.action-detaillee summary"))
        .await;
    b.fill(
        &format!("justification-{held}"),
        "Colonnes prévues par l'avenant à la convention",
    )
    .await;
    b.press(&format!(
        "form[action='/fichiers/{held}/confirmation'] button[type=submit]"
    ))
    .await;
    b.wait_for("p.avis-succes[role=status]").await;
    assert!(b.path().await.contains(&format!("transmis={held}")));
    b.close().await;
}
