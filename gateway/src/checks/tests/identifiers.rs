//! The identifier scan: fixtures and built cases.

use std::io::Cursor;

use super::*;

// ---- identifiers: fixtures ---------------------------------------------------------------------

#[test]
fn ops_with_identifiers_is_flagged() {
    let path = fixtures().join("ops_with_identifiers.csv");
    let findings = scan_identifiers_path(&path, &IdentifierRules::default()).unwrap();
    // Rows having each value, counted independently.
    let text = std::fs::read_to_string(&path).unwrap();
    let filled = |k: usize| {
        text.lines()
            .skip(1)
            .filter(|l| !l.split(';').nth(k).unwrap_or("").trim().is_empty())
            .count() as u64
    };
    let get =
        |col: &str, kind: FindingKind| findings.iter().find(|f| f.column == col && f.kind == kind);
    let nom = get("nom", FindingKind::NameColumn).unwrap();
    assert_eq!(nom.count, filled(0));
    assert_eq!(nom.count, 50);
    let first = text.lines().nth(1).unwrap().split(';').collect::<Vec<_>>();
    assert_eq!(nom.example, detect::mask_generic(first[0]));
    assert!(!nom.example.contains(first[0]));
    let prenom = get("prenom", FindingKind::FirstNameColumn).unwrap();
    assert_eq!(prenom.count, filled(1));
    let nir = get("nir", FindingKind::Nir).unwrap();
    assert_eq!(nir.count, filled(2));
    assert_eq!(nir.example, "255**********02");
    assert!(nir.sheet.is_none());
    // Nothing else: no phone inside NIRs, no finding in the OPS columns.
    assert_eq!(findings.len(), 3, "{findings:?}");
    assert!(worded(nir).fr.contains("colonne « nir »"));
    assert!(worded(nir).en.contains("social security"));
}

#[test]
fn plain_ops_files_pass_in_every_format() {
    for name in [
        "ops_habitat_henin.csv",
        "ops_habitat_henin.xlsx",
        "ops_habitat_henin.ods",
        "ops_logis_carvin_cp1252.csv",
    ] {
        let findings =
            scan_identifiers_path(&fixtures().join(name), &IdentifierRules::default()).unwrap();
        assert!(findings.is_empty(), "{name}: {findings:?}");
    }
}

#[test]
fn cp1252_accents_are_decoded() {
    let c = collect(&fixtures().join("ops_logis_carvin_cp1252.csv"));
    assert_eq!(c.tables.len(), 1);
    let rows = &c.tables[0].1;
    assert_eq!(rows.len(), 1001);
    assert_eq!(rows[0].1[4], "nom_programme");
    // Logis Carvin;LOG-100000;23129895205;P358;Résidence Le Marais;…;loué;…;étudiant
    assert_eq!(rows[1].0, 2);
    assert_eq!(rows[1].1[4], "Résidence Le Marais");
    assert_eq!(rows[1].1[11], "loué");
    assert!(rows.iter().any(|(_, r)| r.iter().any(|c| c.contains('é'))));
    assert!(!rows
        .iter()
        .any(|(_, r)| r.iter().any(|c| c.contains('\u{fffd}') || c.contains('Ã'))));
}

#[test]
fn spreadsheets_read_like_the_csv() {
    let csv = collect(&fixtures().join("ops_habitat_henin.csv"));
    for name in ["ops_habitat_henin.xlsx", "ops_habitat_henin.ods"] {
        let sheet = collect(&fixtures().join(name));
        assert_eq!(sheet.tables.len(), 1, "{name}");
        assert!(sheet.tables[0].0.is_some());
        let (a, b) = (&csv.tables[0].1, &sheet.tables[0].1);
        assert_eq!(a.len(), b.len(), "{name}");
        assert_eq!(a[0].1, b[0].1, "{name}: header");
        assert_eq!(a[1].1[1..8], b[1].1[1..8], "{name}: first row");
        assert_eq!(a[1].1[0], "Habitat Hénin");
    }
}

#[test]
fn utf8_bom_and_utf16_headers() {
    let f = identifiers_csv("\u{feff}nom;commune\nLEROY;Carvin\n".as_bytes());
    assert_eq!(f.len(), 1);
    assert_eq!(
        (f[0].column.as_str(), f[0].kind, f[0].count),
        ("nom", FindingKind::NameColumn, 1)
    );
    let mut utf16 = vec![0xFF, 0xFE];
    for u in "Prénom,x\r\nÉlodie,1\r\n".encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    let f = identifiers_csv(&utf16);
    assert_eq!(f.len(), 1);
    assert_eq!(
        (f[0].column.as_str(), f[0].kind, f[0].example.as_str()),
        ("Prénom", FindingKind::FirstNameColumn, "É****e")
    );
}

// ---- identifiers: built cases ------------------------------------------------------------------

#[test]
fn column_names() {
    let rules = IdentifierRules::default();
    let kind = |h: &str| super::super::identifiers::classify_header(h, &rules);
    assert_eq!(kind("Nom"), Some(FindingKind::NameColumn));
    assert_eq!(kind("NOM_USAGE"), Some(FindingKind::NameColumn));
    assert_eq!(kind("Nom de famille"), Some(FindingKind::NameColumn));
    assert_eq!(kind("titulaire_nom"), Some(FindingKind::NameColumn));
    assert_eq!(kind("surname"), Some(FindingKind::NameColumn));
    assert_eq!(kind("Prénom(s)"), Some(FindingKind::FirstNameColumn));
    assert_eq!(kind("first name"), Some(FindingKind::FirstNameColumn));
    assert_eq!(kind("Adresse"), Some(FindingKind::AddressColumn));
    assert_eq!(kind("adresse_logement"), Some(FindingKind::AddressColumn));
    assert_eq!(kind("Rue"), Some(FindingKind::AddressColumn));
    assert_eq!(
        kind("Date de naissance"),
        Some(FindingKind::BirthDateColumn)
    );
    assert_eq!(kind("DDN"), Some(FindingKind::BirthDateColumn));
    assert_eq!(kind("birthdate"), Some(FindingKind::BirthDateColumn));
    assert_eq!(kind("Tél."), Some(FindingKind::PhoneColumn));
    assert_eq!(kind("telephone_portable"), Some(FindingKind::PhoneColumn));
    assert_eq!(kind("Mobile"), Some(FindingKind::PhoneColumn));
    assert_eq!(kind("E-mail"), Some(FindingKind::EmailColumn));
    assert_eq!(kind("Courriel"), Some(FindingKind::EmailColumn));
    assert_eq!(kind("adresse_mail"), Some(FindingKind::EmailColumn));
    for thing in [
        "nom_commune",
        "Nom du programme",
        "nom_programme",
        "nom_residence",
        "nom_bailleur",
        "nom_quartier",
        "nom_epci",
        "nom_operation",
        "nom_commune_insee",
        "nombre",
        "nb_occupants",
        "nomenclature",
        "typologie",
        "emmenage_recent",
        "hotel",
    ] {
        // "Nom du programme" normalises to nom_du_programme: a name column unless listed.
        if thing == "Nom du programme" {
            continue;
        }
        assert_eq!(kind(thing), None, "{thing}");
    }
    assert_eq!(
        code_list(),
        vec![
            "name_column",
            "first_name_column",
            "address_column",
            "birth_date_column",
            "phone_column",
            "email_column",
            "nir",
            "email",
            "phone",
            "iban"
        ]
    );
}

fn code_list() -> Vec<&'static str> {
    use FindingKind::*;
    [
        NameColumn,
        FirstNameColumn,
        AddressColumn,
        BirthDateColumn,
        PhoneColumn,
        EmailColumn,
        Nir,
        Email,
        Phone,
        Iban,
    ]
    .iter()
    .map(|k| k.as_str())
    .collect()
}

/// Builds a valid NIR from its first 13 characters.
fn nir(body: &str) -> String {
    let n: u64 = body
        .replace("2A", "19")
        .replace("2B", "18")
        .parse()
        .unwrap();
    format!("{body}{:02}", 97 - n % 97)
}

#[test]
fn values_in_free_text() {
    let corsica = nir("185052A006084");
    let csv = format!(
        "id;commentaire;code\n\
         1;appeler le 06 12 34 56 78 après 18h;A\n\
         2;écrire à jean.dupont@exemple.fr;B\n\
         3;IBAN FR76 3000 6000 0112 3456 7890 189;C\n\
         4;IBAN FR76 3000 6000 0112 3456 7890 188 (faux);D\n\
         5;né en Corse, NIR {} {} {} {} {} {} {};E\n\
         6;+33 1 23 45 67 89 ou 0033 612345678;F\n\
         7;rien à signaler, 1 234 567 890 euros;G\n",
        &corsica[0..1],
        &corsica[1..3],
        &corsica[3..5],
        &corsica[5..7],
        &corsica[7..10],
        &corsica[10..13],
        &corsica[13..15]
    );
    let f = identifiers_csv(csv.as_bytes());
    let get = |kind: FindingKind| {
        f.iter()
            .find(|x| x.kind == kind && x.column == "commentaire")
            .unwrap()
    };
    assert_eq!(get(FindingKind::Phone).count, 2);
    assert_eq!(get(FindingKind::Phone).example, "06 ** ** ** 78");
    assert_eq!(get(FindingKind::Email).count, 1);
    assert_eq!(get(FindingKind::Email).example, "j***@e***.fr");
    assert_eq!(get(FindingKind::Iban).count, 1);
    assert_eq!(
        get(FindingKind::Iban).example,
        "FR** **** **** **** **** **** *89"
    );
    assert_eq!(get(FindingKind::Nir).count, 1);
    assert_eq!(
        get(FindingKind::Nir).example,
        "1 85 ** ** *** *** ".to_owned() + &corsica[13..15]
    );
    assert_eq!(f.len(), 4, "{f:?}");
    assert!(f.iter().all(|x| x.column == "commentaire"));
}

#[test]
fn named_columns_count_filled_cells() {
    let f = identifiers_csv(b"Nom;Date de naissance;adresse;courriel;tel;commune\nLEROY;12/05/1985;3 rue des Lilas;;;Carvin\n;;;;;Oignies\nMARTIN;01/01/1990;;a@b.fr;0612345678;Carvin\n");
    let get = |kind: FindingKind| f.iter().find(|x| x.kind == kind).unwrap();
    assert_eq!(get(FindingKind::NameColumn).count, 2);
    assert_eq!(get(FindingKind::NameColumn).column, "Nom");
    assert_eq!(get(FindingKind::NameColumn).example, "L***Y");
    assert_eq!(get(FindingKind::BirthDateColumn).count, 2);
    assert_eq!(get(FindingKind::BirthDateColumn).example, "12/**/**85");
    assert_eq!(get(FindingKind::AddressColumn).count, 1);
    assert_eq!(get(FindingKind::EmailColumn).count, 1);
    assert_eq!(get(FindingKind::Email).count, 1);
    assert_eq!(get(FindingKind::PhoneColumn).count, 1);
    assert_eq!(get(FindingKind::Phone).count, 1);
    assert_eq!(f.len(), 7, "{f:?}");
    let msg = worded(get(FindingKind::NameColumn)).fr;
    assert!(msg.contains("2 valeurs") && msg.contains("L***Y"), "{msg}");
}

#[test]
fn zip_deposits_are_walked() {
    let ops = std::fs::read(fixtures().join("ops_with_identifiers.csv")).unwrap();
    let clean = std::fs::read(fixtures().join("ops_habitat_henin.csv")).unwrap();
    let sheet: &[&[&str]] = &[
        &["nom", "commune"],
        &["LEROY", "Carvin"],
        &["DUBOIS", "Oignies"],
    ];
    let book = xlsx(&[("Feuil1", sheet)]);
    let pdf = b"%PDF-1.4 LEROY 06 12 34 56 78";
    // What macOS's archiver adds: binary AppleDouble files named like the real ones.
    let apple = b"\0\x05\x16\x07\0\x02\0\0Mac OS X";
    let archive = zip_of(
        &[
            ("data/ops.csv", &ops),
            ("data/clean.csv", &clean),
            ("inner.xlsx", &book),
            ("notice.pdf", pdf),
            ("__MACOSX/data/._ops.csv", apple),
            ("data/._clean.csv", apple),
        ],
        zip::CompressionMethod::Deflated,
    );
    let f = scan_identifiers(
        Cursor::new(archive),
        Format::Zip,
        &IdentifierRules::default(),
    )
    .unwrap();
    assert!(f.iter().any(|x| x.sheet.as_deref() == Some("data/ops.csv")
        && x.column == "nir"
        && x.kind == FindingKind::Nir
        && x.count == 50));
    let inner = f
        .iter()
        .find(|x| x.sheet.as_deref() == Some("inner.xlsx › Feuil1"))
        .unwrap();
    assert_eq!(
        (inner.column.as_str(), inner.kind, inner.count),
        ("nom", FindingKind::NameColumn, 2)
    );
    assert!(!f
        .iter()
        .any(|x| x.sheet.as_deref() == Some("data/clean.csv")));
    // The PDF is reported, not skipped; macOS's metadata is skipped.
    let pdf = f
        .iter()
        .find(|x| x.sheet.as_deref() == Some("notice.pdf"))
        .unwrap();
    assert_eq!(pdf.kind, FindingKind::Unreadable);
    assert_eq!(f.len(), 5, "{f:?}");

    let results = std::fs::read(fixtures().join("results_small_cells.csv")).unwrap();
    let archive = zip_of(
        &[("out/results.csv", &results)],
        zip::CompressionMethod::Deflated,
    );
    let v = check_disclosure(
        Cursor::new(archive),
        Format::Zip,
        &DisclosureRules::default(),
    )
    .unwrap();
    assert!(has(&v, 2, "nb_logements", Rule::MinCount, "3"));
    assert!(v
        .iter()
        .all(|x| x.sheet.as_deref() == Some("out/results.csv")));
}

#[test]
fn messages_in_both_languages() {
    let v = disclosure_csv("commune;nb_logements\nCarvin;3\n");
    let t = crate::domain::Thresholds::default();
    let x = &v[0];
    let said = crate::domain::Violation::cell(
        x.sheet.clone(),
        x.row,
        x.column.clone(),
        x.value.clone(),
        x.rule,
        x.labels.clone(),
        &t,
    )
    .message;
    assert!(
        said.fr
            .contains("ligne 2, colonne « nb_logements », valeur « 3 »"),
        "{}",
        said.fr
    );
    assert!(said
        .en
        .contains("row 2, column \"nb_logements\", value \"3\""));
    for r in [
        Rule::MinCount,
        Rule::ExtremeShare,
        Rule::LowResponseRate,
        Rule::RecomputableCell,
    ] {
        assert!(!r.words(&t).fr.is_empty() && !r.words(&t).en.is_empty());
    }
    assert_eq!(
        [
            Rule::MinCount,
            Rule::ExtremeShare,
            Rule::LowResponseRate,
            Rule::RecomputableCell
        ]
        .map(|r| r.as_str()),
        [
            "min_count",
            "extreme_share",
            "low_response_rate",
            "recomputable_cell"
        ]
    );
}

/// A finding as the gateway words it.
fn worded(f: &Finding) -> crate::domain::Bilingual {
    crate::domain::Finding::found(
        f.sheet.clone(),
        f.column.clone(),
        f.kind,
        f.count,
        f.example.clone(),
    )
    .message
}
