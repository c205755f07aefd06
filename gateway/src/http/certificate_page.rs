//! The printable French rendering of a signed destruction certificate, shared by the API's
//! `certificate.html` and the web page `/missions/{id}/certificat`: it only reads the signed
//! document, so what it shows is what the signature covers.

use serde_json::Value;

/// An RFC 3339 instant of the certificate, in Paris time and French words.
fn paris(value: &Value) -> String {
    value
        .as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| crate::clock::paris_fr(t.with_timezone(&chrono::Utc)))
        .unwrap_or_default()
}

/// Who ended the mission, as the certificate states it: the person who closed it, or its end
/// date. Certificates signed before `closed_by` existed name nobody for an early closure.
fn ended_by(mission: &Value) -> String {
    let closed = mission["closed_at"].is_string();
    match mission["closed_by"]["display_name"].as_str() {
        Some(name) => format!("Clôture par {name}"),
        None if closed => "Clôture anticipée (son auteur n'est pas consigné)".to_owned(),
        None => "Échéance : la date de fin de la mission est arrivée".to_owned(),
    }
}

/// The page's view of a certificate document (`{"payload", "signature", "key_id"}`).
pub(crate) fn view(cert: &Value) -> admin_ui::CertificatePage {
    let p = &cert["payload"];
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    admin_ui::CertificatePage {
        lang: admin_ui::Lang::Fr,
        mission_name: text(&p["mission"]["name"]),
        purpose: text(&p["mission"]["purpose"]),
        controller: text(&p["mission"]["controller_organisation"]["name"]),
        ends_at: paris(&p["mission"]["ends_at"]),
        closed_at: p["mission"]["closed_at"]
            .as_str()
            .map(|_| paris(&p["mission"]["closed_at"])),
        ended_by: ended_by(&p["mission"]),
        retained_until: p["mission"]["results_retained_until"]
            .as_str()
            .map(|_| paris(&p["mission"]["results_retained_until"])),
        key_destroyed_at: paris(&p["key_destroyed_at"]),
        exports_from: paris(&p["unreadable_from_key_exports_from"]),
        destroyed_at: paris(&p["destroyed_at"]),
        issued_at: paris(&p["issued_at"]),
        instance: text(&p["instance"]["name"]),
        key_id: text(&cert["key_id"]),
        signature: text(&cert["signature"]),
        files: p["files"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|f| admin_ui::CertificateFile {
                name: text(&f["name"]),
                folder: if f["folder"] == "deposits" {
                    "dépôts".into()
                } else {
                    "résultats".into()
                },
                size: f["size"].as_i64().unwrap_or_default(),
                uploaded_by: text(&f["uploaded_by"]["display_name"]),
                uploaded_at: paris(&f["uploaded_at"]),
                destroyed_at: paris(&f["destroyed_at"]),
                sha256: text(&f["sha256"]),
            })
            .collect(),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::ended_by;
    use serde_json::json;

    #[test]
    fn the_certificate_says_who_ended_the_mission() {
        let closed = json!({"closed_at": "2027-01-15T08:00:00Z", "closed_by": {"id": "u1", "display_name": "Marie Dupont"}});
        assert_eq!(ended_by(&closed), "Clôture par Marie Dupont");
        let expiry = json!({"closed_at": null, "closed_by": null});
        assert!(ended_by(&expiry).starts_with("Échéance"));
        // A certificate signed before `closed_by` existed.
        let older = json!({"closed_at": "2027-01-15T08:00:00Z"});
        assert!(ended_by(&older).contains("pas consigné"));
        assert!(ended_by(&json!({})).starts_with("Échéance"));
    }
}
