//! An incident report as files for a DPO: `rapport.json` (signed with the certificates' Ed25519
//! key, RFC 8785 canonical form), `rapport.html` (printable, French, no script) and CSVs
//! (UTF-8 with a byte-order mark, `;`). The signed payload names each CSV's SHA-256, so the
//! signature covers them too.

use super::incident_draft::{draft, ops_words, Table};
use super::{csv_row, push_csv_cells};
use crate::clock::rfc3339;
use crate::service::incident::{
    IncidentBundle, IncidentFacts, IncidentRequest, Outcomes, GATEWAY_LOGIN, REPORT_HTML,
    REPORT_JSON, REPORT_TYPE,
};
use crate::service::{Actor, Core, Error, Result};
use admin_ui::Template as _;
use sha2::Digest as _;
use std::collections::HashMap;
use std::fmt::Write as _;

fn counts(o: &Outcomes) -> [String; 3] {
    [
        o.success.to_string(),
        o.denied.to_string(),
        o.failed.to_string(),
    ]
}

fn join<'a>(items: impl IntoIterator<Item = &'a String>) -> String {
    items
        .into_iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

use super::paris_seconds_rfc as paris;

/// The report's tables, each written as one CSV and shown on the page (the events only as CSV).
fn tables(facts: &IncidentFacts) -> Vec<Table> {
    let words = admin_ui::Lang::Fr.admin();
    let controllers = Table::new(
        "organismes_responsables.csv",
        "Synthèse par organisme responsable de traitement",
        "organisme_responsable;missions;fichiers;octets;depots;personnes_estimees;categories_identifiants",
        facts.controllers.iter().map(|c| {
            vec![
                c.organisation.name.clone(),
                c.missions.to_string(),
                c.files.to_string(),
                c.bytes.to_string(),
                c.deposits.to_string(),
                c.persons_counted.to_string(),
                super::incident_draft::kinds_fr(&c.identifier_kinds),
            ]
        }),
    );
    let missions = Table::new(
        "missions.csv",
        "Missions concernées",
        "mission;organisme_responsable;fichiers_touches;evenements;succes;refus;echecs;operations;comptes;adresses_ip",
        facts.missions.iter().map(|m| {
            let mut row = vec![
                m.mission.name.clone(),
                m.controller.name.clone(),
                m.files.to_string(),
                m.touches.outcomes.total().to_string(),
            ];
            row.extend(counts(&m.touches.outcomes));
            row.push(ops_words(words, &m.touches.operations));
            row.push(join(&m.touches.accounts));
            row.push(join(&m.touches.addresses));
            row
        }),
    );
    let files = Table::new(
        "fichiers.csv",
        "Fichiers concernés",
        "fichier;dossier;mission;organisme_responsable;organisme_du_dossier;taille_octets;sha256;detruit_le;personnes_estimees;identifiants_detectes;operations;comptes;adresses_ip;succes;refus;echecs",
        facts.files.iter().map(|f| {
            let mut row = vec![
                f.name.clone(),
                match f.folder.as_str() {
                    "deposits" => "dépôts".to_owned(),
                    "results" => "résultats".to_owned(),
                    other => other.to_owned(),
                },
                f.mission.name.clone(),
                f.controller.name.clone(),
                f.folder_organisation.name.clone(),
                f.size.to_string(),
                f.sha256.clone(),
                f.destroyed_at.as_deref().map(paris).unwrap_or_default(),
                f.persons_counted.map(|n| n.to_string()).unwrap_or_default(),
                super::incident_draft::kinds_fr(&f.identifier_kinds),
                ops_words(words, &f.touches.operations),
                join(&f.touches.accounts),
                join(&f.touches.addresses),
            ];
            row.extend(counts(&f.touches.outcomes));
            row
        }),
    );
    let yes = |b: bool| if b { "oui" } else { "non" }.to_owned();
    let organisations = Table::new(
        "organismes.csv",
        "Organismes concernés",
        "organisme;responsable_de_mission_touchee;dossier_touche;comptes_ayant_agi;evenements_par_ses_comptes",
        facts.organisations.iter().map(|o| {
            vec![
                o.organisation.name.clone(),
                yes(o.controller),
                yes(o.folder_owner),
                yes(o.acted),
                o.events_by_members.to_string(),
            ]
        }),
    );
    let accounts = Table::new(
        "comptes.csv",
        "Comptes ayant agi",
        "compte;nom;organisme;evenements;succes;refus;echecs;operations;adresses_ip",
        facts.accounts.iter().map(|a| {
            let mut row = vec![
                a.key.clone(),
                a.name.clone(),
                a.organisation.clone(),
                a.touches.outcomes.total().to_string(),
            ];
            row.extend(counts(&a.touches.outcomes));
            row.push(ops_words(words, &a.touches.operations));
            row.push(join(&a.touches.addresses));
            row
        }),
    );
    let addresses = Table::new(
        "adresses.csv",
        "Adresses IP d'origine",
        "adresse_ip;evenements;succes;refus;echecs;operations;comptes",
        facts.addresses.iter().map(|a| {
            let mut row = vec![a.key.clone(), a.touches.outcomes.total().to_string()];
            row.extend(counts(&a.touches.outcomes));
            row.push(ops_words(words, &a.touches.operations));
            row.push(join(&a.touches.accounts));
            row
        }),
    );
    let logins = Table::new(
        "connexions.csv",
        "Connexions depuis les adresses en cause",
        "compte;nom;organisme;adresse_ip;connexions;premiere;derniere",
        facts.logins.iter().map(|l| {
            vec![
                l.account.clone(),
                l.name.clone(),
                l.organisation.clone(),
                l.address.clone(),
                l.count.to_string(),
                paris(&l.first_at),
                paris(&l.last_at),
            ]
        }),
    );
    vec![
        controllers,
        missions,
        files,
        organisations,
        accounts,
        addresses,
        logins,
    ]
}

/// The file name of the events' CSV (written straight from the events: there may be a million).
const EVENTS_CSV: &str = "evenements.csv";

/// The name of an account or a mission (its id when unknown).
fn named<'a>(names: &'a HashMap<String, String>, id: &'a str) -> &'a str {
    names.get(id).map_or(id, String::as_str)
}

/// Every selected event, oldest first, as CSV.
fn events_csv(facts: &IncidentFacts, names: &HashMap<String, String>) -> Vec<u8> {
    let words = admin_ui::Lang::Fr.admin();
    let mut out = String::with_capacity(128 * (facts.selected.len() + 1));
    out.push('\u{feff}');
    out.push_str(
        "numero;date;compte;adresse_ip;operation;code_operation;mission;fichier;resultat\r\n",
    );
    let mut action_words: HashMap<&str, String> = HashMap::new();
    let mut clock = super::ParisSeconds::new();
    // Written cell by cell into one buffer: a million lines, no allocation per line.
    for e in &facts.selected {
        let action = action_words
            .entry(e.action.as_str())
            .or_insert_with(|| words.action_name(&e.action));
        let _ = write!(out, "{}", e.seq);
        out.push(';');
        clock.push(&mut out, e.at);
        out.push(';');
        push_csv_cells(
            &mut out,
            &[
                e.actor
                    .as_deref()
                    .map_or(GATEWAY_LOGIN, |id| named(names, id)),
                e.ip.as_deref().unwrap_or_default(),
                action,
                &e.action,
                e.mission_id
                    .as_deref()
                    .map(|id| named(names, id))
                    .unwrap_or_default(),
                e.file_id.as_deref().unwrap_or_default(),
                words.outcome_name(&e.outcome),
            ],
        );
        out.push_str("\r\n");
    }
    out.into_bytes()
}

fn csv(table: &Table) -> Vec<u8> {
    let mut out = String::with_capacity(64 * (table.rows.len() + 1));
    out.push('\u{feff}');
    out.push_str(&table.header);
    out.push_str("\r\n");
    for row in &table.rows {
        out.push_str(&csv_row(row));
    }
    out.into_bytes()
}

impl Core {
    /// An incident report (see [`Core::incident_facts`]): signed JSON, printable page and CSVs.
    pub async fn incident_report(
        &self,
        actor: Option<&Actor>,
        req: &IncidentRequest,
    ) -> Result<IncidentBundle> {
        let facts = self.incident_facts(actor, req).await?;
        let mut names: HashMap<String, String> = HashMap::new();
        for u in crate::db::users::list(&self.db).await? {
            names.insert(u.id, u.username);
        }
        for m in crate::db::missions::list_all(&self.db).await? {
            names.insert(m.id, m.name);
        }
        let tables = tables(&facts);
        let mut csvs: Vec<(String, Vec<u8>)> =
            tables.iter().map(|t| (t.file.to_owned(), csv(t))).collect();
        csvs.push((EVENTS_CSV.to_owned(), events_csv(&facts, &names)));
        let hashes: serde_json::Map<String, serde_json::Value> = csvs
            .iter()
            .map(|(n, b)| (n.clone(), hex::encode(sha2::Sha256::digest(b)).into()))
            .collect();
        let draft = draft(&facts);
        let b64 = base64::engine::general_purpose::STANDARD;
        let payload = serde_json::json!({
            "type": REPORT_TYPE,
            "version": 1,
            "generated_at": rfc3339(self.clock.now()),
            "generated_by": actor.map_or_else(|| "ligne de commande (opérateur)".to_owned(), |a| a.username.clone()),
            "facts": facts,
            "cnil_draft": draft,
            "storage": {
                "backend": self.blobs.backend().kind(),
                "country": self.blobs.backend().country(),
            },
            "csv_sha256": hashes,
            "instance": {
                "name": self.config.instance_name,
                "key_id": self.signer.key_id(),
                "public_key": base64::Engine::encode(&b64, self.signer.public().as_bytes()),
            },
        });
        let document = self
            .signer
            .sign(payload)
            .map_err(|e| Error::Unexpected(e.into()))?;
        let page = super::incident_draft::page(&facts, &draft, &tables, &document);
        let html = page.render().map_err(|e| Error::Unexpected(e.into()))?;
        let json = serde_json::to_vec_pretty(&document).map_err(|e| Error::Unexpected(e.into()))?;
        let mut files = vec![
            (REPORT_JSON.to_owned(), json),
            (REPORT_HTML.to_owned(), html.into_bytes()),
        ];
        files.extend(csvs);
        Ok(IncidentBundle { files, facts })
    }
}
