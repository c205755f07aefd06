//! The disclosure check: fixtures and built cases.

use std::io::Cursor;

use super::*;

// ---- disclosure: fixtures ----------------------------------------------------------------------

#[test]
fn results_ok_passes() {
    let v = check_disclosure_path(
        &fixtures().join("results_ok.csv"),
        &DisclosureRules::default(),
    )
    .unwrap();
    assert!(v.is_empty(), "{:?}", triples(&v));
}

#[test]
fn results_small_cells_fail_at_the_right_cells() {
    let path = fixtures().join("results_small_cells.csv");
    let v = check_disclosure_path(&path, &DisclosureRules::default()).unwrap();
    assert!(v.iter().all(|x| x.sheet.is_none()));
    // Carvin;Centre;3;1;50.0;0;0.0;0.0 (row 2)
    assert!(has(&v, 2, "nb_logements", Rule::MinCount, "3"));
    assert!(has(&v, 2, "nb_menages_repondants", Rule::MinCount, "1"));
    assert!(has(&v, 2, "taux_reponse", Rule::LowResponseRate, "50.0"));
    assert!(has(
        &v,
        2,
        "part_familles_monoparentales",
        Rule::ExtremeShare,
        "0.0"
    ));
    assert!(has(
        &v,
        2,
        "part_beneficiaires_apl",
        Rule::ExtremeShare,
        "0.0"
    ));
    // A zero count is not a small count.
    assert!(!v
        .iter()
        .any(|x| x.row == 2 && x.column == "nb_familles_monoparentales"));
    // Carvin;Cité du 8 mai;7;2;33.3;0;0.0;100.0 (row 3)
    assert!(has(
        &v,
        3,
        "part_beneficiaires_apl",
        Rule::ExtremeShare,
        "100.0"
    ));
    assert!(has(&v, 3, "taux_reponse", Rule::LowResponseRate, "33.3"));
    // Carvin;Le Marais;2;2;100.0;... (row 5): a 100 % response rate is fine.
    assert!(!v.iter().any(|x| x.row == 5 && x.column == "taux_reponse"));
    // Courrières;Centre;4;4;100.0;2;50.0;50.0 (row 8)
    assert!(has(
        &v,
        8,
        "nb_familles_monoparentales",
        Rule::MinCount,
        "2"
    ));
    assert!(!v
        .iter()
        .any(|x| x.row == 8 && x.column.starts_with("part_")));
    // Libercourt;Centre;6;3;60.0;... (row 19): exactly 60 is allowed.
    assert!(!v.iter().any(|x| x.row == 19 && x.column == "taux_reponse"));
    // Montigny-en-Gohelle;Le Marais;1;0;0.0;... (row 28)
    assert!(has(&v, 28, "taux_reponse", Rule::LowResponseRate, "0.0"));
    assert!(!v
        .iter()
        .any(|x| x.row == 28 && x.column == "nb_menages_repondants"));
    assert!(!v
        .iter()
        .any(|x| x.column == "commune" || x.column == "quartier"));
    assert!(!v.iter().any(|x| x.rule == Rule::RecomputableCell));

    // Every violation, recomputed independently of the engine.
    let text = std::fs::read_to_string(&path).unwrap();
    let mut expected = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.split(';').collect();
        let row = i as u64 + 1;
        let num = |k: usize| f[k].parse::<f64>().unwrap();
        for (k, col) in [
            (2, "nb_logements"),
            (3, "nb_menages_repondants"),
            (5, "nb_familles_monoparentales"),
        ] {
            if (1.0..11.0).contains(&num(k)) {
                expected.push((row, col.to_owned(), "min_count", f[k].to_owned()));
            }
        }
        if num(4) < 60.0 {
            expected.push((
                row,
                "taux_reponse".to_owned(),
                "low_response_rate",
                f[4].to_owned(),
            ));
        }
        for (k, col) in [
            (6, "part_familles_monoparentales"),
            (7, "part_beneficiaires_apl"),
        ] {
            if num(k) == 0.0 || num(k) == 100.0 {
                expected.push((row, col.to_owned(), "extreme_share", f[k].to_owned()));
            }
        }
    }
    let mut got = triples(&v);
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
}

// ---- disclosure: built cases -------------------------------------------------------------------

#[test]
fn leaking_total_row_is_flagged() {
    let v = disclosure_csv(
        "commune;nb_logements;nb_menages\nCarvin;25;s\nOignies;30;14\nLibercourt;40;15\nTotal;95;52\n",
    );
    assert_eq!(
        triples(&v),
        vec![(2, "nb_menages".into(), "recomputable_cell", "s".into())]
    );
    // Two suppressed cells in the column: nothing to recompute.
    let v = disclosure_csv("commune;nb_logements;nb_menages\nCarvin;25;s\nOignies;30;*\nLibercourt;40;15\nEnsemble;95;52\n");
    assert!(v.is_empty(), "{:?}", triples(&v));
    // A suppressed total protects the column.
    let v = disclosure_csv(
        "commune;nb_logements;nb_menages\nCarvin;25;nd\nOignies;30;14\nTotal;55;s\n",
    );
    assert!(v.is_empty(), "{:?}", triples(&v));
    // No total row: a lone suppressed cell is fine.
    let v = disclosure_csv("commune;nb_logements;nb_menages\nCarvin;25;s\nOignies;30;14\n");
    assert!(v.is_empty(), "{:?}", triples(&v));
}

#[test]
fn blocks_restart_after_each_total_row() {
    let v = disclosure_csv(
        "commune;quartier;nb_logements\n\
         Carvin;Centre;s\nCarvin;Gare;*\n;Sous-total Carvin;40\n\
         Oignies;Centre;30\nOignies;Gare;\n;Sous-total Oignies;50\n\
         Total;;90\n",
    );
    // Carvin's block has two suppressed cells; Oignies' one (blank), given back by its sub-total.
    assert_eq!(
        triples(&v),
        vec![(6, "nb_logements".into(), "recomputable_cell", "".into())]
    );
}

#[test]
fn leaking_total_column_is_flagged() {
    let v = disclosure_csv(
        "quartier;nb_t1_t2;nb_t3;nb_t4_plus;Total\nCentre;12;*;15;40\nGare;s;secret;20;45\nHauts;14;13;;s\n",
    );
    // Row 2: one suppressed cell, the total gives it back. Row 3: two suppressed. Row 4: the total
    // itself is suppressed.
    assert_eq!(
        triples(&v),
        vec![(2, "nb_t3".into(), "recomputable_cell", "*".into())]
    );
}

#[test]
fn a_cell_given_back_both_ways_is_flagged_once() {
    let v =
        disclosure_csv("quartier;nb_a;nb_b;total\nCentre;12;s;40\nGare;20;30;50\nTotal;32;58;90\n");
    assert_eq!(
        triples(&v),
        vec![(2, "nb_b".into(), "recomputable_cell", "s".into())]
    );
}

#[test]
fn french_numbers_are_read() {
    let v = disclosure_csv(
        "commune;nb_logements;part_apl;Taux de réponse;Part (%)\n\
         A;1 234,5;12,5 %;59,9 %;100,0\n\
         B;1\u{a0}234;0,00;60,0;12\u{202f}%\n\
         C;7;100 %;75;0\n",
    );
    let mut got = triples(&v);
    got.sort();
    assert_eq!(
        got,
        vec![
            (2, "Part (%)".into(), "extreme_share", "100,0".into()),
            (
                2,
                "Taux de réponse".into(),
                "low_response_rate",
                "59,9 %".into()
            ),
            (3, "part_apl".into(), "extreme_share", "0,00".into()),
            (4, "Part (%)".into(), "extreme_share", "0".into()),
            (4, "nb_logements".into(), "min_count", "7".into()),
            (4, "part_apl".into(), "extreme_share", "100 %".into()),
        ]
    );
}

#[test]
fn blank_lines_keep_row_numbers() {
    let v = disclosure_csv(
        "commune;nb_logements\n\nCarvin;12\n\n\nOignies;3\n\"Hénin\nBeaumont\";12\nLibercourt;4\n",
    );
    assert_eq!(
        triples(&v),
        vec![
            (6, "nb_logements".into(), "min_count", "3".into()),
            (8, "nb_logements".into(), "min_count", "4".into())
        ]
    );
}

#[test]
fn comma_and_tab_separated_files_with_quotes() {
    let v = disclosure_csv("commune,nb_logements,part_apl\n\"Carvin, centre\",\"1 234,5\",\"12,5\"\nOignies,5,\"100,0\"\n");
    assert_eq!(
        triples(&v),
        vec![
            (3, "nb_logements".into(), "min_count", "5".into()),
            (3, "part_apl".into(), "extreme_share", "100,0".into())
        ]
    );
    let v = disclosure_csv("commune\tn\tcount_x\nCarvin\t3\t12\n");
    assert_eq!(triples(&v), vec![(2, "n".into(), "min_count", "3".into())]);
}

#[test]
fn configurable_rules() {
    let rules = DisclosureRules {
        min_count: 5,
        count_patterns: vec!["menages*".into()],
        min_response_rate: 50.0,
        ..DisclosureRules::default()
    };
    let csv = "commune;Ménages enquêtés;nb_logements;taux_reponse\nA;4;3;55\nB;5;3;45\n";
    let v = check_disclosure(Cursor::new(csv.as_bytes().to_vec()), Format::Csv, &rules).unwrap();
    assert_eq!(
        triples(&v),
        vec![
            (2, "Ménages enquêtés".into(), "min_count", "4".into()),
            (3, "taux_reponse".into(), "low_response_rate", "45".into())
        ]
    );
    let capped = DisclosureRules {
        max_violations: 2,
        ..DisclosureRules::default()
    };
    let path = fixtures().join("results_small_cells.csv");
    assert_eq!(check_disclosure_path(&path, &capped).unwrap().len(), 2);
}

#[test]
fn spreadsheet_sheets_and_empty_sheet() {
    let data: &[&[&str]] = &[
        &["commune", "nb_logements", "part_apl"],
        &["Carvin", "7", "0.5"],
        &["Oignies", "12", "100"],
    ];
    let bytes = xlsx(&[("Vide", &[]), ("Résultats", data)]);
    let v = check_disclosure(
        Cursor::new(bytes),
        Format::Xlsx,
        &DisclosureRules::default(),
    )
    .unwrap();
    assert_eq!(v.len(), 2, "{:?}", triples(&v));
    assert!(v.iter().all(|x| x.sheet.as_deref() == Some("Résultats")));
    // Numeric cells read as their number in text.
    assert!(has(&v, 2, "nb_logements", Rule::MinCount, "7"));
    assert!(has(&v, 3, "part_apl", Rule::ExtremeShare, "100"));
    // A workbook of empty sheets passes.
    let bytes = xlsx(&[("Vide", &[]), ("Vide 2", &[])]);
    assert!(check_disclosure(
        Cursor::new(bytes),
        Format::Xlsx,
        &DisclosureRules::default()
    )
    .unwrap()
    .is_empty());
    let bytes = xlsx(&[("Vide", &[])]);
    assert!(scan_identifiers(
        Cursor::new(bytes),
        Format::Xlsx,
        &IdentifierRules::default()
    )
    .unwrap()
    .is_empty());
}

#[test]
fn percent_formatted_cells_are_read_in_percent() {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let pct = rust_xlsxwriter::Format::new().set_num_format("0.0%");
    let ws = wb.add_worksheet();
    for (c, h) in ["commune", "taux_reponse", "part_apl"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, (name, rate, share)) in [
        ("Carvin", 0.75, 1.0),
        ("Oignies", 0.5, 0.333),
        ("Libercourt", 0.9, 0.0),
    ]
    .iter()
    .enumerate()
    {
        let r = r as u32 + 1;
        ws.write_string(r, 0, *name).unwrap();
        ws.write_number_with_format(r, 1, *rate, &pct).unwrap();
        ws.write_number_with_format(r, 2, *share, &pct).unwrap();
    }
    let v = check_disclosure(
        Cursor::new(wb.save_to_buffer().unwrap()),
        Format::Xlsx,
        &DisclosureRules::default(),
    )
    .unwrap();
    assert_eq!(
        triples(&v),
        vec![
            (2, "part_apl".into(), "extreme_share", "100 %".into()),
            (3, "taux_reponse".into(), "low_response_rate", "50 %".into()),
            (4, "part_apl".into(), "extreme_share", "0 %".into()),
        ]
    );
}

#[test]
fn spreadsheet_rows_are_numbered_as_shown() {
    // A title on row 1, a blank row 2 would make the title the header: start the table at row 3.
    let data: &[&[&str]] = &[&[], &[], &["commune", "nb_logements"], &["Carvin", "3"]];
    let v = check_disclosure(
        Cursor::new(xlsx(&[("T", data)])),
        Format::Xlsx,
        &DisclosureRules::default(),
    )
    .unwrap();
    assert_eq!(
        triples(&v),
        vec![(4, "nb_logements".into(), "min_count", "3".into())]
    );
}

#[test]
fn empty_csv_passes() {
    assert!(disclosure_csv("").is_empty());
    assert!(disclosure_csv("\n\n").is_empty());
    assert!(disclosure_csv("commune;nb_logements\n").is_empty());
    assert!(identifiers_csv(b"").is_empty());
}

#[test]
fn violations_name_their_row_by_its_label_cells() {
    let long = "x".repeat(200);
    let v = disclosure_csv(&format!(
        "commune;quartier;type;detail;nb_logements;part_apl\n\
         Carvin;Centre;T3;a;3;50\n\
         ;{long};T4;b;20;100\n"
    ));
    let first = v.iter().find(|x| x.row == 2).unwrap();
    // The first three label columns only, never the count or share columns.
    assert_eq!(first.labels, ["Carvin", "Centre", "T3"]);
    let second = v.iter().find(|x| x.row == 3).unwrap();
    // A blank label is left out; a long one is cut.
    assert_eq!(second.labels.len(), 2);
    assert_eq!(
        second.labels[0].chars().count(),
        crate::checks::disclosure::MAX_LABEL_CHARS + 1
    );
    assert!(second.labels[0].ends_with('…'));
    assert_eq!(second.labels[1], "T4");
}
