//! Corrupt files, zip bombs, PDFs and formats.

use std::io::Cursor;

use super::*;

// ---- errors and bounds -------------------------------------------------------------------------

#[test]
fn corrupt_xlsx_is_a_clear_error() {
    let mut bytes = b"PK\x03\x04".to_vec();
    let mut x: u32 = 12345;
    for _ in 0..5000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        bytes.push((x >> 16) as u8);
    }
    for format in [Format::Xlsx, Format::Ods, Format::Xls, Format::Zip] {
        let e = check_disclosure(
            Cursor::new(bytes.clone()),
            format,
            &DisclosureRules::default(),
        )
        .unwrap_err();
        assert!(
            matches!(e, CheckError::Unreadable { .. }),
            "{format:?}: {e:?}"
        );
        assert!(e.message_fr().contains("endommag"), "{}", e.message_fr());
        assert_eq!(e.code(), "unreadable");
    }
    let e = scan_identifiers(
        Cursor::new(bytes),
        Format::Xlsx,
        &IdentifierRules::default(),
    )
    .unwrap_err();
    assert_eq!(
        e.message_fr(),
        "Le fichier Excel est endommagé ou n'est pas un vrai fichier .xlsx."
    );
    // A real zip that is no workbook.
    let not_xlsx = zip_of(&[("hello.txt", b"hello")], zip::CompressionMethod::Deflated);
    let e = check_disclosure(
        Cursor::new(not_xlsx),
        Format::Xlsx,
        &DisclosureRules::default(),
    )
    .unwrap_err();
    assert!(matches!(e, CheckError::Unreadable { .. }), "{e:?}");
    // A truncated real workbook.
    let mut cut = std::fs::read(fixtures().join("ops_habitat_henin.xlsx")).unwrap();
    cut.truncate(cut.len() / 2);
    let e =
        scan_identifiers(Cursor::new(cut), Format::Xlsx, &IdentifierRules::default()).unwrap_err();
    assert!(matches!(e, CheckError::Unreadable { .. }), "{e:?}");
    // A binary file named .csv.
    let e = check_disclosure(
        Cursor::new(b"\0\x01\x02binary".to_vec()),
        Format::Csv,
        &DisclosureRules::default(),
    )
    .unwrap_err();
    assert!(matches!(e, CheckError::Unreadable { .. }), "{e:?}");
}

#[test]
fn zip_bombs_are_refused() {
    let zeros = vec![0u8; 4 << 20];
    let bomb = zip_of(&[("bomb.csv", &zeros)], zip::CompressionMethod::Deflated);
    for format in [Format::Zip, Format::Xlsx, Format::Ods] {
        let e = scan_identifiers(
            Cursor::new(bomb.clone()),
            format,
            &IdentifierRules::default(),
        )
        .unwrap_err();
        assert!(
            matches!(e, CheckError::TooLarge { .. }),
            "{format:?}: {e:?}"
        );
        assert_eq!(e.code(), "too_large");
        assert!(e.message_fr().contains("bombes zip"), "{}", e.message_fr());
    }
    let limits = ArchiveLimits {
        max_entries: 3,
        ..ArchiveLimits::default()
    };
    let many = zip_of(
        &[
            ("a.csv", b"x"),
            ("b.csv", b"x"),
            ("c.csv", b"x"),
            ("d.csv", b"x"),
        ],
        zip::CompressionMethod::Stored,
    );
    let rules = IdentifierRules {
        limits,
        ..IdentifierRules::default()
    };
    assert!(matches!(
        scan_identifiers(Cursor::new(many), Format::Zip, &rules),
        Err(CheckError::TooLarge { .. })
    ));
    let limits = ArchiveLimits {
        max_uncompressed_bytes: 1000,
        ..ArchiveLimits::default()
    };
    let big = zip_of(
        &[("a.csv", &[b'a'; 600]), ("b.csv", &[b'b'; 600])],
        zip::CompressionMethod::Stored,
    );
    let rules = DisclosureRules {
        limits,
        ..DisclosureRules::default()
    };
    assert!(matches!(
        check_disclosure(Cursor::new(big), Format::Zip, &rules),
        Err(CheckError::TooLarge { .. })
    ));
}

#[test]
fn pdf_is_reported_unreadable_never_clean() {
    let pdf = b"%PDF-1.4 jean.dupont@exemple.fr 06 12 34 56 78".to_vec();
    let f = scan_identifiers(
        Cursor::new(pdf.clone()),
        Format::Pdf,
        &IdentifierRules::default(),
    )
    .unwrap();
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(
        (f[0].kind, f[0].sheet.as_deref()),
        (FindingKind::Unreadable, None)
    );
    assert_eq!(f[0].kind.as_str(), "unreadable");
    assert!(f[0].example.contains("PDF"), "{}", f[0].example);
    let v = check_disclosure(Cursor::new(pdf), Format::Pdf, &DisclosureRules::default()).unwrap();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!((v[0].rule, v[0].sheet.as_deref()), (Rule::Unreadable, None));
    assert_eq!(v[0].rule.as_str(), "unreadable");
}

#[test]
fn formats_from_extensions() {
    assert_eq!(Format::from_extension("csv"), Some(Format::Csv));
    assert_eq!(Format::from_extension("XLSX"), Some(Format::Xlsx));
    assert_eq!(Format::from_extension("xls"), Some(Format::Xls));
    assert_eq!(Format::from_extension("ods"), Some(Format::Ods));
    assert_eq!(Format::from_extension("zip"), Some(Format::Zip));
    assert_eq!(Format::from_extension("pdf"), Some(Format::Pdf));
    assert_eq!(Format::from_extension("exe"), None);
    assert_eq!(
        Format::from_path("a/b/Résultats.CSV".as_ref()),
        Some(Format::Csv)
    );
    let e = check_disclosure_path("x.docx".as_ref(), &DisclosureRules::default()).unwrap_err();
    assert!(matches!(e, CheckError::Unreadable { .. }));
}

#[test]
fn absurdly_wide_rows_are_refused() {
    let mut csv = String::from("a;b\n");
    csv.push_str(&"x;".repeat(20_000));
    csv.push('\n');
    let e = scan_identifiers(
        Cursor::new(csv.into_bytes()),
        Format::Csv,
        &IdentifierRules::default(),
    )
    .unwrap_err();
    assert!(matches!(e, CheckError::Unreadable { .. }), "{e:?}");
    assert!(e.message_fr().contains("colonnes"));
}
