//! The contract: `docs/API.md` and the OpenAPI document the server serves name the same
//! endpoints, both ways, and real answers validate against the schemas the document gives them.

use passerelle_tests::prelude::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;

passerelle_tests::on_every_backend!(real_answers_follow_their_schemas);

/// Endpoints `docs/API.md` names that the server does not serve yet. Each is a known gap of the
/// implementation, not of the contract: when one is served, it leaves this list.
/// Endpoints the contract names that the server does not serve (yet): none.
const DOCUMENTED_NOT_SERVED: &[(&str, &str)] = &[];

const METHODS: [&str; 5] = ["GET", "POST", "PATCH", "DELETE", "PUT"];

/// Every `METHOD /path` that `docs/API.md` writes in backquotes, as served (`/api/v1` prefixed
/// where the text shortens it, no query string), plus the signing key's well-known address and
/// the `/resume` written as a sibling of `/suspend`.
fn documented_endpoints(markdown: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for line in markdown.lines() {
        let mut last: Option<(String, String)> = None;
        for (i, quoted) in line.split('`').enumerate() {
            if i % 2 == 0 {
                continue;
            }
            let quoted = quoted.trim();
            let found = match quoted.split_once(' ') {
                Some((method, path)) if METHODS.contains(&method) && path.starts_with('/') => {
                    Some((method.to_owned(), served_path(path)))
                }
                _ if quoted.starts_with("/.well-known/") => {
                    Some(("GET".to_owned(), quoted.to_owned()))
                }
                // `POST …/suspend` and `/resume`: a sibling of the endpoint just named.
                _ if quoted.starts_with('/')
                    && quoted[1..].chars().all(|c| c.is_ascii_lowercase()) =>
                {
                    last.as_ref().and_then(|(method, path)| {
                        let (parent, _) = path.rsplit_once('/')?;
                        Some((method.clone(), format!("{parent}{quoted}")))
                    })
                }
                _ => None,
            };
            if let Some(endpoint) = found {
                last = Some(endpoint.clone());
                out.insert(endpoint);
            }
        }
    }
    out
}

fn served_path(path: &str) -> String {
    let path = path
        .split('?')
        .next()
        .unwrap_or(path)
        .trim_end_matches(['.', ',']);
    if path.starts_with("/api/v1/") || path == "/healthz" || path.starts_with("/.well-known/") {
        path.to_owned()
    } else {
        format!("/api/v1{path}")
    }
}

fn served_endpoints(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let upper = method.to_ascii_uppercase();
            if METHODS.contains(&upper.as_str()) {
                out.insert((upper, path.clone()));
            }
        }
    }
    out
}

async fn served_document(app: &TestApp) -> Value {
    let r = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the document needs no authentication");
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    r.json().await.unwrap()
}

fn api_md() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/API.md")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_document_and_api_md_name_the_same_endpoints() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let doc = served_document(&app).await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let documented = documented_endpoints(&api_md());
    let served = served_endpoints(&doc);
    // The parser itself: the endpoints written in the odd ways are found.
    for (method, path) in [
        ("POST", "/api/v1/missions/{id}/resume"),
        ("GET", "/api/v1/audit"),
        ("GET", "/.well-known/passerelle-signing-key"),
        ("GET", "/healthz"),
        ("GET", "/api/v1/openapi.json"),
    ] {
        assert!(
            documented.contains(&(method.into(), path.into())),
            "{method} {path}"
        );
    }
    let gaps: BTreeSet<(String, String)> = DOCUMENTED_NOT_SERVED
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    let only_documented: BTreeSet<_> = documented.difference(&served).cloned().collect();
    assert_eq!(
        only_documented, gaps,
        "documented in API.md but not in the OpenAPI document"
    );
    let only_served: Vec<_> = served.difference(&documented).collect();
    assert!(
        only_served.is_empty(),
        "in the OpenAPI document but not in API.md: {only_served:?}"
    );
    // The known gaps really are not served (404 from the API's fallback, whatever the method).
    for (method, path) in DOCUMENTED_NOT_SERVED {
        let url = app.url(&path.replace("{id}", "0f0f0f0f"));
        let r = app
            .client
            .request(method.parse().unwrap(), url)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert!(
            matches!(r.status().as_u16(), 404 | 405),
            "{method} {path}: {}",
            r.status()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_code_of_the_document_is_one_of_api_md() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let doc = served_document(&app).await;
    let md = api_md();
    let listed = md
        .split("Codes used below:")
        .nth(1)
        .and_then(|rest| rest.split("\n- ").next())
        .unwrap();
    let codes: BTreeSet<&str> = listed.split('`').skip(1).step_by(2).collect();
    assert!(codes.contains("not_found") && codes.contains("disclosure_check_failed"));
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                if !status.starts_with('4') {
                    continue;
                }
                let text = response["description"].as_str().unwrap();
                let named: Vec<&str> = text.split('`').skip(1).step_by(2).collect();
                assert!(
                    named.iter().any(|c| codes.contains(c)),
                    "{method} {path} {status} names no code of API.md: {text}"
                );
                assert_eq!(
                    response["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/Error",
                    "{method} {path} {status}"
                );
            }
        }
    }
}

/// The schema of `method path`'s answer with `status`.
fn response_schema<'a>(doc: &'a Value, method: &str, path: &str, status: u16) -> &'a Value {
    let responses = &doc["paths"][path][method]["responses"];
    let response = &responses[status.to_string()];
    assert!(
        response.is_object(),
        "{method} {path} does not declare {status}: {responses}"
    );
    &response["content"]["application/json"]["schema"]
}

/// Checks `value` against `schema`, for the subset of JSON Schema the document uses; also refuses
/// object properties the schema does not declare (a field the contract does not know).
fn validate(doc: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    check(doc, schema, value, at, errors, true);
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

fn properties(doc: &Value, schema: &Value) -> BTreeSet<String> {
    let schema = resolve(doc, schema);
    let mut out: BTreeSet<String> = schema["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        out.extend(properties(doc, part));
    }
    out
}

/// `strict`: whether properties the schema does not declare are refused here (not for the parts
/// of an `allOf`, which each declare some of them).
fn check(
    doc: &Value,
    schema: &Value,
    value: &Value,
    at: &str,
    errors: &mut Vec<String>,
    strict: bool,
) {
    let schema = resolve(doc, schema);
    if let Some(all) = schema["allOf"].as_array() {
        for part in all {
            check(doc, part, value, at, errors, false);
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = schema[key].as_array() {
            let fits = options.iter().any(|o| {
                let mut e = Vec::new();
                check(doc, o, value, at, &mut e, strict);
                e.is_empty()
            });
            if !fits {
                errors.push(format!("{at}: {value} fits none of {key}"));
            }
            return;
        }
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let fits = |t: &str| match t {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "null" => value.is_null(),
        _ => false,
    };
    if !types.is_empty() && !types.iter().any(|t| fits(t)) {
        errors.push(format!("{at}: {value} is not {types:?}"));
        return;
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(value) {
            errors.push(format!("{at}: {value} not in {allowed:?}"));
        }
    }
    if let (Some(items), Some(list)) = (schema.get("items"), value.as_array()) {
        for (i, item) in list.iter().enumerate() {
            validate(doc, items, item, &format!("{at}[{i}]"), errors);
        }
    }
    let Some(object) = value.as_object() else {
        return;
    };
    for required in schema["required"].as_array().into_iter().flatten() {
        let key = required.as_str().unwrap();
        if !object.contains_key(key) {
            errors.push(format!("{at}.{key}: required, missing"));
        }
    }
    for (key, property) in schema["properties"].as_object().into_iter().flatten() {
        if let Some(v) = object.get(key) {
            validate(doc, property, v, &format!("{at}.{key}"), errors);
        }
    }
    let declared = properties(doc, schema);
    if strict && !declared.is_empty() {
        for key in object.keys() {
            if !declared.contains(key) {
                errors.push(format!("{at}.{key}: not in the schema"));
            }
        }
    }
}

/// Sends `request`, expects `status`, and validates the body against the document's schema.
async fn answers(
    doc: &Value,
    request: reqwest::RequestBuilder,
    (method, path): (&str, &str),
    status: u16,
) -> Value {
    let r = request.send().await.unwrap();
    assert_eq!(r.status().as_u16(), status, "{method} {path}");
    let body: Value = r.json().await.unwrap();
    let mut errors = Vec::new();
    validate(
        doc,
        response_schema(doc, method, path, status),
        &body,
        "$",
        &mut errors,
    );
    assert!(
        errors.is_empty(),
        "{method} {path} {status}: {errors:#?}\n{body:#}"
    );
    body
}

async fn real_answers_follow_their_schemas(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let doc = served_document(&app).await;
    let x = app.exchange().await;
    let get = |token: &str, path: &str| app.client.get(app.url(path)).bearer_auth(token);
    let m = &x.mission;

    let login = app.client.post(app.url("/api/v1/auth/login"));
    let body = json!({"username": x.depositor.username, "password": x.depositor.password});
    answers(&doc, login.json(&body), ("post", "/api/v1/auth/login"), 200).await;
    let wrong = json!({"username": "personne", "password": "pas le bon mot de passe"});
    let login = app.client.post(app.url("/api/v1/auth/login")).json(&wrong);
    answers(&doc, login, ("post", "/api/v1/auth/login"), 401).await;

    let admin = &x.admin.token;
    answers(&doc, get(admin, "/api/v1/me"), ("get", "/api/v1/me"), 200).await;
    answers(
        &doc,
        get(admin, "/api/v1/organisations"),
        ("get", "/api/v1/organisations"),
        200,
    )
    .await;
    answers(
        &doc,
        get(admin, "/api/v1/users"),
        ("get", "/api/v1/users"),
        200,
    )
    .await;
    // Invitations: an account created with one, the pending list, sent again.
    let create = app
        .client
        .post(app.url("/api/v1/users"))
        .bearer_auth(admin)
        .json(
            &json!({"username": "invitee", "display_name": "Invitée", "email": "invitee@example.fr",
            "organisation_id": x.epci, "send_invitation": true}),
        );
    let invited = answers(&doc, create, ("post", "/api/v1/users"), 201).await;
    assert_eq!(invited["invitation_sent"], true);
    let pending = get(admin, "/api/v1/invitations");
    answers(&doc, pending, ("get", "/api/v1/invitations"), 200).await;
    let again = app
        .client
        .post(app.url(&format!(
            "/api/v1/users/{}/invitation",
            invited["id"].as_str().unwrap()
        )))
        .bearer_auth(admin);
    answers(&doc, again, ("post", "/api/v1/users/{id}/invitation"), 200).await;
    let missions = answers(
        &doc,
        get(admin, "/api/v1/missions"),
        ("get", "/api/v1/missions"),
        200,
    )
    .await;
    assert!(!missions["missions"].as_array().unwrap().is_empty());
    let one = get(&x.manager.token, &format!("/api/v1/missions/{m}"));
    let mission = answers(&doc, one, ("get", "/api/v1/missions/{id}"), 200).await;
    assert_eq!(mission["participants"].as_array().unwrap().len(), 4);

    let deposit = app
        .upload_deposit(
            &x.depositor.token,
            m,
            "logements.csv",
            b"logement;occupants\n1;3\n2;4\n",
        )
        .await;
    let mut errors = Vec::new();
    let created = response_schema(&doc, "post", "/api/v1/missions/{id}/deposits", 201);
    validate(&doc, created, &deposit, "$", &mut errors);
    assert!(errors.is_empty(), "upload: {errors:#?}\n{deposit:#}");
    let file = deposit["id"].as_str().unwrap();
    let list = get(&x.processor.token, &format!("/api/v1/missions/{m}/files"));
    answers(&doc, list, ("get", "/api/v1/missions/{id}/files"), 200).await;
    let one = get(&x.processor.token, &format!("/api/v1/files/{file}"));
    answers(&doc, one, ("get", "/api/v1/files/{id}"), 200).await;
    app.download(&x.processor.token, file).await;
    let receipt = get(
        &x.depositor.token,
        &format!("/api/v1/files/{file}/downloads"),
    );
    let receipt = answers(&doc, receipt, ("get", "/api/v1/files/{id}/downloads"), 200).await;
    assert_eq!(
        receipt["downloads"].as_array().unwrap().len(),
        1,
        "{receipt}"
    );
    let not_theirs = get(
        &x.processor.token,
        &format!("/api/v1/files/{file}/downloads"),
    );
    answers(
        &doc,
        not_theirs,
        ("get", "/api/v1/files/{id}/downloads"),
        404,
    )
    .await;
    let audit = get(admin, &format!("/api/v1/audit?mission_id={m}"));
    let events = answers(&doc, audit, ("get", "/api/v1/audit"), 200).await;
    assert!(!events["events"].as_array().unwrap().is_empty());

    // Refusals: the error body, with and without a session.
    let hidden = get(&x.recipient.token, &format!("/api/v1/files/{file}"));
    answers(&doc, hidden, ("get", "/api/v1/files/{id}"), 404).await;
    let anonymous = app.client.get(app.url("/api/v1/me"));
    answers(&doc, anonymous, ("get", "/api/v1/me"), 401).await;
    let key = app
        .client
        .get(app.url("/.well-known/passerelle-signing-key"));
    answers(
        &doc,
        key,
        ("get", "/.well-known/passerelle-signing-key"),
        200,
    )
    .await;

    // The validator itself refuses what the contract does not say.
    let mut errors = Vec::new();
    let file_schema = response_schema(&doc, "get", "/api/v1/files/{id}", 200);
    let mut drifted = deposit.clone();
    drifted["size"] = json!("12");
    drifted["surprise"] = json!(true);
    validate(&doc, file_schema, &drifted, "$", &mut errors);
    assert_eq!(errors.len(), 2, "{errors:#?}");
}
