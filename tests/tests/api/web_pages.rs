//! The signed-in pages: the API with the session cookie and the CSRF header, the language switch,
//! cross-site posts, static assets, the home page and the mission page's file list.

// The test bodies run inside `on_every_backend!`, outside a `#[test]` function as clippy sees it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::web::*;
use passerelle_tests::pages::*;
use passerelle_tests::prelude::*;

passerelle_tests::on_every_backend!(
    api_accepts_the_cookie_with_the_csrf_header,
    language_switch,
    cross_site_posts_are_refused,
    static_assets_and_unknown_files,
    home_lists_missions_with_the_time_left,
    mission_page_lists_files_with_download_links,
);

async fn api_accepts_the_cookie_with_the_csrf_header(b: Backend) {
    let app = TestApp::spawn(b).await;
    let marie = enrolled_user(&app).await;
    web_sign_in(&app, &marie).await;
    let home = get(&app, "/accueil").await;
    let csrf = csrf_of(&home);

    let r = app.client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(r.status(), 200, "a GET needs no CSRF token");
    let me: serde_json::Value = r.json().await.unwrap();
    assert_eq!(me["username"], "marie");

    let r = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(error_code(r).await, "forbidden");
    let r = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header("x-csrf-token", "faux")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        get(&app, "/accueil").await.status,
        200,
        "the session still works"
    );

    let r = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header("x-csrf-token", csrf.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let p = get(&app, "/accueil").await;
    assert_eq!(p.status, 303);
    assert!(p.location().starts_with("/connexion"), "{}", p.location());
}

async fn language_switch(b: Backend) {
    let app = TestApp::spawn(b).await;
    let p = get(&app, "/connexion").await;
    p.assert_contains("<html lang=\"fr\"");
    p.assert_contains("action=\"/langue\"");
    p.assert_contains("name=\"retour\" value=\"/connexion\"");
    p.assert_contains("lang=\"en\">English</button>");

    let p = post_form(&app, "/langue", &[("lang", "en"), ("retour", "/connexion")]).await;
    assert_eq!(p.status, 303);
    assert_eq!(p.location(), "/connexion");
    let cookie = p.cookie("lang").expect("lang cookie");
    assert!(cookie.starts_with("lang=en;"), "{cookie}");
    for attr in [
        "; Secure",
        "; SameSite=Strict",
        "; Path=/",
        "; Max-Age=31536000",
    ] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    let p = get(&app, "/connexion").await;
    p.assert_contains("<html lang=\"en\"");
    p.assert_contains("<h1>Sign in</h1>");
    p.assert_contains("<label for=\"username\">Username</label>");
    p.assert_contains("Secure exchange of OPS survey files");
    p.assert_contains("lang=\"fr\">Français</button>");
    let p = post_form(&app, "/connexion", &[("username", "x"), ("password", "y")]).await;
    p.assert_contains("Error: </span>Wrong username or password.");

    // Only local return paths.
    for evil in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let p = post_form(&app, "/langue", &[("lang", "fr"), ("retour", evil)]).await;
        assert_eq!(p.status, 303);
        assert_eq!(p.location(), "/", "{evil}");
    }
    let p = post_form(&app, "/langue", &[("lang", "de"), ("retour", "/")]).await;
    assert_eq!(p.status, 400);
    let p = get(&app, "/connexion").await;
    p.assert_contains("<html lang=\"fr\"");

    // Accept-Language alone, without the cookie.
    let fresh = client_for(&app.cert_pem, app.addr);
    let p = read(
        fresh
            .get(app.url("/connexion"))
            .header("accept-language", "en")
            .send()
            .await
            .unwrap(),
    )
    .await;
    p.assert_contains("<html lang=\"en\"");
    p.assert_contains("Sign in");
    let p = read(fresh.get(app.url("/connexion")).send().await.unwrap()).await;
    p.assert_contains("<html lang=\"fr\"");
}

async fn cross_site_posts_are_refused(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("admin").await;
    let org = app.organisation(&admin, "Habitat Sud", "bailleur").await;
    let (_, initial) = app.create_user(&admin, "marie", &org).await;
    for path in [
        "/connexion",
        "/connexion/mot-de-passe",
        "/connexion/code",
        "/langue",
        "/deconnexion",
    ] {
        let p = read(
            app.client
                .post(app.url(path))
                .header("origin", "https://evil.example")
                .form(&[
                    ("username", "marie"),
                    ("password", initial.as_str()),
                    ("lang", "en"),
                ])
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(p.status, 403, "{path}");
        assert!(p.set_cookies().is_empty(), "{path}");
    }
    // The same login from our own origin goes through.
    let p = read(
        app.client
            .post(app.url("/connexion"))
            .header("origin", app.base.as_str())
            .form(&[("username", "marie"), ("password", initial.as_str())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(p.status, 200, "{}", p.html);
    // Without the login cookie, a step restarts the login.
    let fresh = client_for(&app.cert_pem, app.addr);
    let p = read(
        fresh
            .post(app.url("/connexion/mot-de-passe"))
            .form(&[
                ("new_password", "une phrase assez longue"),
                ("confirmation", "une phrase assez longue"),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(p.status, 422);
    p.assert_contains(
        "Cette étape de connexion a expiré ou a déjà servi : recommencez la connexion.",
    );
}

async fn static_assets_and_unknown_files(b: Backend) {
    let app = TestApp::spawn(b).await;
    let r = app
        .client
        .get(app.url("/static/passerelle.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/css; charset=utf-8");
    assert_eq!(r.headers()["cache-control"], "public, max-age=3600");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(r.text().await.unwrap().contains(":focus-visible"));
    let p = get(&app, "/static/inconnu.css").await;
    assert_eq!(p.status, 404);
    p.assert_contains("Page introuvable");
}

async fn home_lists_missions_with_the_time_left(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("admin").await;
    let org = app.organisation(&admin, "Habitat Sud", "bailleur").await;
    let marie = app.user(&admin, "marie", &org).await;
    let mission = app
        .create_mission_ending_in(&admin, "Étude OPS 2027", &org, 10)
        .await;
    app.add_participant(&admin.token, &mission, &marie.id, "depositor")
        .await;
    app.add_participant(&admin.token, &mission, &marie.id, "manager")
        .await;
    web_sign_in(&app, &marie).await;

    let p = get(&app, "/accueil").await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains(&format!(
        "<a href=\"/missions/{mission}\">Étude OPS 2027</a>"
    ));
    p.assert_contains("se termine dans 10 jours");
    p.assert_contains("en cours");
    p.assert_contains("responsable");
    p.assert_contains("dépositaire");
    // 08:00 UTC in January is 09:00 in Paris.
    p.assert_contains("25/01/2027 à 09:0");
    assert!(!p.html.contains("Bientôt"), "{}", p.html);
    assert!(!p.html.contains("Vos missions apparaîtront ici."));

    // Four days later, the session long expired: a new sign-in, and the warning shows.
    app.clock.advance(chrono::Duration::days(4));
    web_sign_in(&app, &marie).await;
    let p = get(&app, "/accueil").await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("<strong class=\"bientot\">Bientôt :</strong> se termine dans 6 jours");

    // In English.
    let p = post_form(&app, "/langue", &[("lang", "en"), ("retour", "/accueil")]).await;
    assert_eq!(p.status, 303);
    let p = get(&app, "/accueil").await;
    p.assert_contains("Soon:</strong> ends in 6 days");
    p.assert_contains("in progress");

    // Signed out, the mission page sends to the login page.
    let fresh = client_for(&app.cert_pem, app.addr);
    let r = fresh
        .get(app.url(&format!("/missions/{mission}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/connexion");
}

async fn mission_page_lists_files_with_download_links(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("admin").await;
    let org = app.organisation(&admin, "Habitat Sud", "bailleur").await;
    let other_org = app.organisation(&admin, "Logis Nord", "bailleur").await;
    let marie = app.user(&admin, "marie", &org).await;
    let paul = app.user(&admin, "paul", &other_org).await;
    let mission = app
        .create_mission_ending_in(&admin, "Étude OPS 2027", &org, 30)
        .await;
    app.add_participant(&admin.token, &mission, &marie.id, "depositor")
        .await;
    let elsewhere = app
        .create_mission_ending_in(&admin, "Autre étude", &other_org, 30)
        .await;
    app.add_participant(&admin.token, &elsewhere, &paul.id, "depositor")
        .await;

    let part = reqwest::multipart::Part::bytes(b"logement;occupants\n1;3\n".to_vec())
        .file_name("ops_2027.csv");
    let r = app
        .client
        .post(app.url(&format!("/api/v1/missions/{mission}/deposits")))
        .bearer_auth(&marie.token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let file = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    web_sign_in(&app, &marie).await;
    let p = get(&app, &format!("/missions/{mission}")).await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("<h1>Étude OPS 2027</h1>");
    p.assert_contains("Diagnostic de l&#39;occupation du parc");
    p.assert_contains("se termine dans 30 jours");
    p.assert_contains(&format!("<tbody class=\"fichier\" id=\"fichier-{file}\""));
    p.assert_contains("ops_2027.csv");
    p.assert_contains(&format!("href=\"/fichiers/{file}/contenu\""));
    p.assert_contains(&format!("name=\"retour\" value=\"/missions/{mission}\""));
    // A depositor: the deposit form, no results form, no participant management.
    p.assert_contains(&format!("action=\"/missions/{mission}/depots\""));
    assert!(!p.html.contains("/resultats\""), "{}", p.html);
    assert!(!p.html.contains("ajout-participant"), "{}", p.html);

    // The link works with the session cookie, as the API's content does.
    for path in [
        format!("/fichiers/{file}/contenu"),
        format!("/api/v1/files/{file}/content"),
    ] {
        let r = app.client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(
            r.bytes().await.unwrap().as_ref(),
            b"logement;occupants\n1;3\n"
        );
    }
    // A file that does not exist: the French page, not the API's JSON.
    for path in [
        "/fichiers/inconnu/contenu",
        "/fichiers/inconnu/cases-refusees.csv",
    ] {
        let p = get(&app, path).await;
        assert_eq!(p.status, 404, "{path}");
        p.assert_contains("Page introuvable");
    }
    // A deposit has no refused cells to export.
    let p = get(&app, &format!("/fichiers/{file}/cases-refusees.csv")).await;
    assert_eq!(p.status, 404);

    // Another organisation's mission, and a mission that does not exist: 404.
    for path in [
        format!("/missions/{elsewhere}"),
        "/missions/inconnue".to_owned(),
    ] {
        let p = get(&app, &path).await;
        assert_eq!(p.status, 404, "{path}");
        p.assert_contains("Page introuvable");
    }

    // A suspended mission: its files are out of reach, the page says why (and stays, so that its
    // managers can resume it from there).
    let r = app
        .post_as(
            &admin.token,
            &format!("/api/v1/missions/{mission}/suspend"),
            serde_json::json!({"reason": "Vérification"}),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let p = get(&app, &format!("/missions/{mission}")).await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("Mission suspendue");
    assert!(!p.html.contains("/content"), "{}", p.html);
}
