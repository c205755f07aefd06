//! The OpenAPI 3.1 document of the API. Its paths come from the handlers' `#[utoipa::path]`
//! annotations, collected by the router itself (`utoipa_axum::routes!`), so that a route cannot be
//! served without being described; its schemas come from the view structs. [`complete`] then adds
//! what the conventions of `docs/API.md` say of every operation.

use super::ErrorBody;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi as _};

/// The document's frame: title, version, tags and the bearer scheme.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Passerelle HTTP API",
        version = "1",
        description = "The contract of docs/API.md: scripts log in in three steps (password, \
            optional new password, TOTP) and then send `Authorization: Bearer <token>`. Every \
            error answers `{\"error\": code, \"message\": text}`."
    ),
    components(schemas(ErrorBody)),
    modifiers(&Bearer),
    tags(
        (name = "login", description = "The three-step login, logout, the caller and the password reset"),
        (name = "account", description = "The caller's own account: password, sessions, recovery codes, authenticator"),
        (name = "administration", description = "Organisations and accounts (platform admins)"),
        (name = "missions", description = "Missions and participants"),
        (name = "files", description = "Deposits, results, downloads, release"),
        (name = "accountability", description = "Audit, register, certificates"),
        (name = "operations", description = "Health and this document"),
    )
)]
pub(crate) struct ApiDoc;

/// Declares the `bearer` security scheme the operations name.
struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The frame of the document, before the router adds its paths.
pub(crate) fn frame() -> OpenApi {
    ApiDoc::openapi()
}

fn error(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                utoipa::openapi::ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Error")))
                    .build(),
            )
            .build(),
    )
}

/// Adds the answers every operation may give by the conventions, where its annotation did not
/// already name them: 401 `unauthenticated` when it needs a session, 404 `not_found` when its path
/// names something, 400 `invalid_request` when it reads a body or a query, 408 when an
/// unauthenticated request is too slow.
fn conventions(operation: &mut Operation, unauthenticated_limits: bool) {
    let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    let params = operation.parameters.as_deref().unwrap_or_default();
    let in_path = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Path));
    let in_query = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Query));
    let body = operation.request_body.is_some();
    let responses = &mut operation.responses.responses;
    let mut add = |code: &str, description: &str| {
        responses
            .entry(code.to_owned())
            .or_insert_with(|| error(description));
    };
    if secured {
        add(
            "401",
            "`unauthenticated`: no session, or an expired one (`WWW-Authenticate: Bearer`)",
        );
    }
    if in_path {
        add(
            "404",
            "`not_found`: no such thing, or one the caller may not see",
        );
    }
    if body || in_query {
        add(
            "400",
            "`invalid_request`: malformed JSON, a missing field, a field of the wrong type, an \
             unknown enum value or a wrong content type",
        );
    }
    if unauthenticated_limits {
        add("408", "`invalid_request`: the request took too long");
    }
}

/// Completes the document the router collected: the conventions' answers on every operation.
pub(crate) fn complete(mut doc: OpenApi) -> OpenApi {
    for (path, item) in doc.paths.paths.iter_mut() {
        let limited = crate::http::limits::is_unauthenticated(path);
        for operation in [
            item.get.as_mut(),
            item.put.as_mut(),
            item.post.as_mut(),
            item.delete.as_mut(),
            item.patch.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            conventions(operation, limited);
        }
    }
    doc
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    fn document() -> Value {
        serde_json::to_value(crate::http::openapi()).unwrap()
    }

    #[test]
    fn the_conventions_reach_every_operation() {
        let doc = document();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        let paths = doc["paths"].as_object().unwrap();
        assert!(paths.contains_key("/api/v1/missions/{id}/participants/{user_id}"));
        for (path, item) in paths {
            for (method, operation) in item.as_object().unwrap() {
                let responses = operation["responses"].as_object().unwrap();
                let what = format!("{method} {path}");
                assert!(
                    responses.keys().any(|s| s.starts_with('2')),
                    "{what}: no success"
                );
                let secured = operation["security"]
                    .as_array()
                    .is_some_and(|s| !s.is_empty());
                if secured {
                    assert!(responses.contains_key("401"), "{what}: 401");
                }
                if path.contains('{') {
                    assert!(responses.contains_key("404"), "{what}: 404");
                }
                if operation.get("requestBody").is_some() {
                    assert!(responses.contains_key("400"), "{what}: 400");
                }
            }
        }
        // The unauthenticated ones: login, health, the signing key and this document.
        for (path, method) in [
            ("/api/v1/auth/login", "post"),
            ("/healthz", "get"),
            ("/.well-known/passerelle-signing-key", "get"),
            ("/api/v1/openapi.json", "get"),
        ] {
            assert!(doc["paths"][path][method]["security"].is_null(), "{path}");
        }
        assert_eq!(
            doc["paths"]["/api/v1/auth/login"]["post"]["responses"]["408"]["content"]
                ["application/json"]["schema"]["$ref"],
            "#/components/schemas/Error"
        );
    }

    #[test]
    fn both_uploads_share_their_answers_and_name_their_role() {
        let doc = document();
        for (path, role) in [
            ("/api/v1/missions/{id}/deposits", "depositors only"),
            ("/api/v1/missions/{id}/results", "processors only"),
        ] {
            let r = &doc["paths"][path]["post"]["responses"];
            let schema =
                |status: &str| r[status]["content"]["application/json"]["schema"]["$ref"].clone();
            assert_eq!(schema("201"), "#/components/schemas/File", "{path}");
            for status in ["403", "413", "422", "423"] {
                assert_eq!(
                    schema(status),
                    "#/components/schemas/Error",
                    "{path} {status}"
                );
            }
            assert!(r["403"]["description"].as_str().unwrap().contains(role));
            assert_eq!(r["423"]["description"], "`mission_suspended`");
        }
        // The organisation kinds are the domain's words, under the schema name they always had.
        let kinds = &doc["components"]["schemas"]["OrgKind"]["enum"];
        assert_eq!(
            kinds,
            &serde_json::json!(["bailleur", "epci", "consultancy", "other"])
        );
        assert_eq!(
            doc["components"]["schemas"]["NewOrg"]["properties"]["kind"]["$ref"],
            "#/components/schemas/OrgKind"
        );
    }

    #[test]
    fn the_views_keep_the_bytes_of_the_contract() {
        use super::super::{ErrorBody, LoginStep};
        use crate::service::login::{Issued, Step};
        let step = |step| {
            serde_json::to_value(LoginStep::from(&Issued {
                step,
                challenge: "c".into(),
            }))
            .unwrap()
        };
        assert_eq!(
            step(Step::Totp {
                passkey_options: None
            }),
            serde_json::json!({"step": "totp", "challenge": "c"})
        );
        assert_eq!(
            step(Step::Totp {
                passkey_options: Some(r#"{"publicKey":{"challenge":"x"}}"#.into())
            })["webauthn"],
            serde_json::json!({"publicKey": {"challenge": "x"}})
        );
        let enroll = step(Step::EnrollTotp {
            otpauth_uri: "otpauth://totp/x?secret=AB".into(),
            secret_base32: "AB".into(),
        });
        assert_eq!(enroll["otpauth_uri"], "otpauth://totp/x?secret=AB");
        assert_eq!(enroll["totp_secret"], "AB");
        let error = ErrorBody {
            error: "not_found",
            message: "Introuvable.".into(),
            violations: None,
        };
        assert_eq!(
            serde_json::to_value(error).unwrap(),
            serde_json::json!({"error": "not_found", "message": "Introuvable."})
        );
    }
}
