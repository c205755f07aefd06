//! Value detectors for direct identifiers in any cell, free text included: French social security
//! numbers (NIR, key checked), e-mail addresses, French phone numbers, IBANs (mod-97 checked). And the
//! masking of examples.
//!
//! Numbers are looked for in *chains*: runs of ASCII letters and digits ("groups") joined by exactly one
//! separator among space, no-break space, `.` and `-`. Inside a chain, windows of whole consecutive
//! groups are tried from the left, the longest identifier first (IBAN, then NIR, then phone); a match
//! consumes its groups. So `1 85 05 78 006 084 36`, `0612345678`, `06.12.34.56.78`,
//! `+33 6 12 34 56 78` and `FR76 3000 6000 0112 3456 7890 189` are found, while a digit run that is
//! longer than the identifier without separators (an 11-digit RPLS id, a 20-digit reference) is not.

/// One value found in a cell: its kind and its byte span in the cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    /// What was found.
    pub(crate) kind: ValueKind,
    /// Byte offsets in the cell.
    pub(crate) start: usize,
    /// Byte offsets in the cell (exclusive).
    pub(crate) end: usize,
}

/// The kinds of values the detectors know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueKind {
    Nir,
    Email,
    Phone,
    Iban,
}

impl ValueKind {
    /// Index in per-column counter arrays.
    pub(crate) fn index(self) -> usize {
        match self {
            Self::Nir => 0,
            Self::Email => 1,
            Self::Phone => 2,
            Self::Iban => 3,
        }
    }
}

fn is_sep(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '.' | '-')
}

/// The shortest number the detectors find, in letters and digits: a phone number's 10.
const SHORTEST_NUMBER: usize = 10;

/// Whether [`scan_cell`] could find a number (NIR, phone, IBAN) in `cell`: every one is a chain of
/// at least [`SHORTEST_NUMBER`] letters and digits whose groups are joined by one separator
/// each, so its bytes are a run at least that long of ASCII letters, digits, ASCII separators
/// ([`is_sep`]) and bytes of non-ASCII characters (the no-break spaces). `false` means none can be there (ages
/// written `82|29|5|14`, say); `true` only that one might. A cheap test for a scanner that sees
/// many cells with 9 digits or more, before it hands them over.
pub(crate) fn may_hold_number(cell: &[u8]) -> bool {
    let mut run = 0usize;
    for &b in cell {
        if b.is_ascii_alphanumeric() || !b.is_ascii() || is_sep(char::from(b)) {
            run += 1;
            if run >= SHORTEST_NUMBER {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

/// Scans one cell and reports, for each kind, the first value found (`found[kind.index()]`).
/// Cheap tests come first: no work at all for cells with fewer than 9 digits and no `@`.
pub(crate) fn scan_cell(cell: &str, found: &mut [Option<Hit>; 4]) {
    *found = [None; 4];
    let bytes = cell.as_bytes();
    let mut digits = 0usize;
    let mut at = false;
    for &b in bytes {
        digits += usize::from(b.is_ascii_digit());
        at |= b == b'@';
    }
    if at {
        find_email(cell, found);
    }
    if digits >= 9 {
        find_numbers(cell, found);
    }
}

/// A group: a run of ASCII alphanumerics, as a byte span.
#[derive(Clone, Copy)]
struct Group {
    start: usize,
    end: usize,
}

fn find_numbers(cell: &str, found: &mut [Option<Hit>; 4]) {
    let b = cell.as_bytes();
    let mut groups: [Group; 40] = [Group { start: 0, end: 0 }; 40];
    let mut i = 0usize;
    while i < b.len() {
        if !b[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        // A chain starts here: collect its groups.
        let plus = i > 0 && b[i - 1] == b'+';
        let mut n = 0usize;
        loop {
            let start = i;
            while i < b.len() && b[i].is_ascii_alphanumeric() {
                i += 1;
            }
            if n < groups.len() {
                groups[n] = Group { start, end: i };
                n += 1;
            }
            // One separator, then another group, continues the chain.
            let Some(c) = cell[i..].chars().next() else {
                break;
            };
            if !is_sep(c) {
                break;
            }
            let next = i + c.len_utf8();
            if next < b.len() && b[next].is_ascii_alphanumeric() {
                i = next;
            } else {
                break;
            }
        }
        scan_chain(cell, &groups[..n], plus, found);
    }
}

fn scan_chain(cell: &str, groups: &[Group], plus: bool, found: &mut [Option<Hit>; 4]) {
    let b = cell.as_bytes();
    let mut g = 0usize;
    while g < groups.len() {
        // Concatenate whole groups from g, keeping the ends where the length fits an identifier.
        let mut buf = [0u8; 34];
        let mut len = 0usize;
        let mut best: Option<(ValueKind, usize)> = None;
        for (k, grp) in groups[g..].iter().enumerate() {
            let piece = &b[grp.start..grp.end];
            if len + piece.len() > buf.len() {
                break;
            }
            buf[len..len + piece.len()].copy_from_slice(piece);
            len += piece.len();
            let s = &buf[..len];
            let kind = if is_iban(s) {
                Some(ValueKind::Iban)
            } else if is_nir(s) {
                Some(ValueKind::Nir)
            } else if is_phone(s, plus && g == 0) {
                Some(ValueKind::Phone)
            } else {
                None
            };
            if let Some(kind) = kind {
                best = Some((kind, g + k));
            }
        }
        match best {
            Some((kind, last)) => {
                let idx = kind.index();
                if found[idx].is_none() {
                    let start = if kind == ValueKind::Phone && plus && g == 0 {
                        groups[g].start - 1
                    } else {
                        groups[g].start
                    };
                    found[idx] = Some(Hit {
                        kind,
                        start,
                        end: groups[last].end,
                    });
                }
                g = last + 1;
            }
            None => g += 1,
        }
    }
}

/// A French social security number: 15 characters, sex 1/2 (3, 4, 7, 8 for temporary numbers),
/// birth year, month 01–12, 20–42 or 50–99 (INSEE's conventions for unknown months), department
/// (digits, or 2A/2B for Corsica), commune, order number, and a key equal to 97 − (number mod 97),
/// Corsica's 2A and 2B counted as 19 and 18.
pub(crate) fn is_nir(s: &[u8]) -> bool {
    if s.len() != 15 || !matches!(s[0], b'1' | b'2' | b'3' | b'4' | b'7' | b'8') {
        return false;
    }
    let corsica = match (s[5], s[6].to_ascii_uppercase()) {
        (b'2', b'A') => Some(b"19"),
        (b'2', b'B') => Some(b"18"),
        _ => None,
    };
    let mut number: u64 = 0;
    for (i, &c) in s[..13].iter().enumerate() {
        let c = match (corsica, i) {
            (Some(r), 5) => r[0],
            (Some(r), 6) => r[1],
            _ => c,
        };
        if !c.is_ascii_digit() {
            return false;
        }
        number = number * 10 + u64::from(c - b'0');
    }
    if !s[13].is_ascii_digit() || !s[14].is_ascii_digit() {
        return false;
    }
    let month = u32::from(s[3] - b'0') * 10 + u32::from(s[4] - b'0');
    if !(matches!(month, 1..=12 | 20..=42) || month >= 50) {
        return false;
    }
    let key = u64::from(s[13] - b'0') * 10 + u64::from(s[14] - b'0');
    key == 97 - number % 97
}

/// A French phone number in digits only: `0` + 1–9 + 8 digits; after a `+`, `33` + 1–9 + 8 digits;
/// or `0033` + 1–9 + 8 digits.
fn is_phone(s: &[u8], plus: bool) -> bool {
    if !s.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let rest = match s.len() {
        10 if s[0] == b'0' => &s[1..],
        11 if plus && s.starts_with(b"33") => &s[2..],
        13 if s.starts_with(b"0033") => &s[4..],
        _ => return false,
    };
    rest[0] != b'0'
}

/// IBAN lengths by country (SEPA countries and French overseas territories, plus common others).
const IBAN_LENGTHS: &[(&[u8; 2], usize)] = &[
    (b"AD", 24),
    (b"AE", 23),
    (b"AL", 28),
    (b"AT", 20),
    (b"AZ", 28),
    (b"BA", 20),
    (b"BE", 16),
    (b"BG", 22),
    (b"BH", 22),
    (b"BL", 27),
    (b"BR", 29),
    (b"CH", 21),
    (b"CR", 22),
    (b"CY", 28),
    (b"CZ", 24),
    (b"DE", 22),
    (b"DK", 18),
    (b"DO", 28),
    (b"EE", 20),
    (b"ES", 24),
    (b"FI", 18),
    (b"FO", 18),
    (b"FR", 27),
    (b"GB", 22),
    (b"GE", 22),
    (b"GF", 27),
    (b"GI", 23),
    (b"GL", 18),
    (b"GP", 27),
    (b"GR", 27),
    (b"HR", 21),
    (b"HU", 28),
    (b"IE", 22),
    (b"IL", 23),
    (b"IS", 26),
    (b"IT", 27),
    (b"KW", 30),
    (b"KZ", 20),
    (b"LB", 28),
    (b"LI", 21),
    (b"LT", 20),
    (b"LU", 20),
    (b"LV", 21),
    (b"MA", 28),
    (b"MC", 27),
    (b"MD", 24),
    (b"ME", 22),
    (b"MF", 27),
    (b"MK", 19),
    (b"MQ", 27),
    (b"MR", 27),
    (b"MT", 31),
    (b"MU", 30),
    (b"NC", 27),
    (b"NL", 18),
    (b"NO", 15),
    (b"PF", 27),
    (b"PK", 24),
    (b"PL", 28),
    (b"PM", 27),
    (b"PT", 25),
    (b"QA", 29),
    (b"RE", 27),
    (b"RO", 24),
    (b"RS", 22),
    (b"SA", 24),
    (b"SE", 24),
    (b"SI", 19),
    (b"SK", 24),
    (b"SM", 27),
    (b"TF", 27),
    (b"TN", 24),
    (b"TR", 26),
    (b"UA", 29),
    (b"VA", 22),
    (b"VG", 24),
    (b"WF", 27),
    (b"XK", 20),
    (b"YT", 27),
];

/// An IBAN: known country (upper case), the country's length, two check digits, alphanumerics, and
/// the ISO 7064 mod-97 check equal to 1.
pub(crate) fn is_iban(s: &[u8]) -> bool {
    if s.len() < 15 || !s[0].is_ascii_uppercase() || !s[1].is_ascii_uppercase() {
        return false;
    }
    if !s[2].is_ascii_digit() || !s[3].is_ascii_digit() {
        return false;
    }
    let Some(&(_, len)) = IBAN_LENGTHS.iter().find(|(c, _)| c[..] == s[..2]) else {
        return false;
    };
    if s.len() != len {
        return false;
    }
    let mut rem: u32 = 0;
    for &c in s[4..].iter().chain(&s[..4]) {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            b'a'..=b'z' => u32::from(c - b'a') + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

fn is_local_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn is_domain_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-')
}

/// E-mail addresses: a local part of letters, digits and `._%+-` (not starting or ending with `.`), an
/// `@`, and a domain of at least two labels whose last one has two letters or more.
fn find_email(cell: &str, found: &mut [Option<Hit>; 4]) {
    let b = cell.as_bytes();
    for (at, _) in cell.match_indices('@') {
        let mut start = at;
        while start > 0 && is_local_char(b[start - 1]) {
            start -= 1;
        }
        while start < at && b[start] == b'.' {
            start += 1;
        }
        let mut end = at + 1;
        while end < b.len() && is_domain_char(b[end]) {
            end += 1;
        }
        while end > at + 1 && matches!(b[end - 1], b'.' | b'-') {
            end -= 1;
        }
        if start == at || b[at - 1] == b'.' || end <= at + 1 {
            continue;
        }
        let domain = &cell[at + 1..end];
        let Some((_, tld)) = domain.rsplit_once('.') else {
            continue;
        };
        if tld.len() < 2
            || !tld.bytes().all(|c| c.is_ascii_alphabetic())
            || domain
                .split('.')
                .any(|l| l.is_empty() || l.starts_with('-'))
        {
            continue;
        }
        found[ValueKind::Email.index()] = Some(Hit {
            kind: ValueKind::Email,
            start,
            end,
        });
        return;
    }
}

/// Masks a value, keeping its shape: the first `keep_start` and last `keep_end` letters or digits stay,
/// every other letter or digit becomes `*`, separators stay.
pub(crate) fn mask_keep(s: &str, keep_start: usize, keep_end: usize) -> String {
    let total = s.chars().filter(|c| c.is_alphanumeric()).count();
    let mut seen = 0usize;
    s.chars()
        .map(|c| {
            if !c.is_alphanumeric() {
                return c;
            }
            seen += 1;
            if seen <= keep_start || seen > total.saturating_sub(keep_end) {
                c
            } else {
                '*'
            }
        })
        .collect()
}

/// Masks a free value (a name, a date…): short values keep only their first character.
pub(crate) fn mask_generic(s: &str) -> String {
    let s = s.trim();
    let n = s.chars().filter(|c| c.is_alphanumeric()).count();
    match n {
        0..=3 => mask_keep(s, 1, 0),
        4..=7 => mask_keep(s, 1, 1),
        _ => mask_keep(s, 2, 2),
    }
}

/// Masks a found value according to its kind: `1 85 ** ** *** *** 42`, `j***@e***.fr`,
/// `06 ** ** ** 78`, `FR** **** … **89`.
pub(crate) fn mask_value(kind: ValueKind, s: &str) -> String {
    match kind {
        ValueKind::Nir => mask_keep(s, 3, 2),
        ValueKind::Phone | ValueKind::Iban => mask_keep(s, 2, 2),
        ValueKind::Email => {
            let (local, domain) = s.split_once('@').unwrap_or((s, ""));
            let (host, tld) = domain.rsplit_once('.').unwrap_or((domain, ""));
            let first = |x: &str| x.chars().next().map(String::from).unwrap_or_default();
            format!("{}***@{}***.{}", first(local), first(host), tld)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(s: &str) -> [Option<Hit>; 4] {
        let mut f = [None; 4];
        scan_cell(s, &mut f);
        f
    }

    fn found(s: &str, kind: ValueKind) -> Option<&str> {
        scan(s)[kind.index()].map(|h| &s[h.start..h.end])
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
    fn nir_numbers() {
        assert!(is_nir(b"255016219061202"));
        assert!(is_nir(b"178066273707312"));
        assert!(!is_nir(b"178066273707313"));
        let corsica = nir("185052A006084");
        assert!(is_nir(corsica.as_bytes()), "{corsica}");
        let corsica_b = nir("285052B006084");
        assert!(is_nir(corsica_b.as_bytes()));
        // The same digits with a plain 20 department do not check with the Corsican key.
        assert!(!is_nir(corsica.replace("2A", "20").as_bytes()));
        assert!(
            !is_nir(nir("5850578006084").as_bytes()),
            "sex 5 does not exist"
        );
        assert!(
            !is_nir(nir("1851378006084").as_bytes()),
            "month 13 does not exist"
        );
        assert!(
            is_nir(nir("1853078006084").as_bytes()),
            "month 30 is allowed"
        );
        assert_eq!(
            found("1 78 06 62 737 073 12", ValueKind::Nir),
            Some("1 78 06 62 737 073 12")
        );
        assert_eq!(
            found("NIR: 178066273707312.", ValueKind::Nir),
            Some("178066273707312")
        );
        let spaced = format!("n° {} ", corsica);
        assert!(found(&spaced, ValueKind::Nir).is_some());
        // No phone found inside a NIR.
        assert_eq!(found("2 55 01 62 190 612 02", ValueKind::Phone), None);
    }

    #[test]
    fn phones() {
        for p in [
            "0612345678",
            "06 12 34 56 78",
            "06.12.34.56.78",
            "06-12-34-56-78",
            "+33 6 12 34 56 78",
            "+33612345678",
            "0033 6 12 34 56 78",
            "tél 01 23 45 67 89 le soir",
        ] {
            assert!(found(p, ValueKind::Phone).is_some(), "{p}");
        }
        assert_eq!(
            found("+33 6 12 34 56 78", ValueKind::Phone),
            Some("+33 6 12 34 56 78")
        );
        for p in [
            "97595099918",
            "0012345678",
            "33612345678",
            "061234567",
            "06123456789",
            "1 234 567 890",
            "HAB-100000",
        ] {
            assert!(found(p, ValueKind::Phone).is_none(), "{p}");
        }
    }

    #[test]
    fn ibans() {
        assert!(is_iban(b"FR7630006000011234567890189"));
        assert!(!is_iban(b"FR7630006000011234567890188"));
        assert!(is_iban(b"DE89370400440532013000"));
        assert!(is_iban(b"GB82WEST12345698765432"));
        assert_eq!(
            found(
                "IBAN FR76 3000 6000 0112 3456 7890 189 merci",
                ValueKind::Iban
            ),
            Some("FR76 3000 6000 0112 3456 7890 189")
        );
        assert!(found("FR76 3000 6000 0112 3456 7890 188", ValueKind::Iban).is_none());
        assert!(found("XX76 3000 6000 0112 3456 7890 189", ValueKind::Iban).is_none());
    }

    #[test]
    fn emails() {
        assert_eq!(
            found("écrire à jean.dupont@exemple.fr.", ValueKind::Email),
            Some("jean.dupont@exemple.fr")
        );
        assert_eq!(found("a@b.co", ValueKind::Email), Some("a@b.co"));
        for s in [
            "@exemple.fr",
            "jean@",
            "jean@exemple",
            "jean@exemple.f",
            "x @ y.fr",
            "jean@.fr",
        ] {
            assert!(found(s, ValueKind::Email).is_none(), "{s}");
        }
    }

    #[test]
    fn masks() {
        assert_eq!(
            mask_value(ValueKind::Nir, "1 85 05 78 006 084 42"),
            "1 85 ** ** *** *** 42"
        );
        assert_eq!(
            mask_value(ValueKind::Email, "jean.dupont@exemple.fr"),
            "j***@e***.fr"
        );
        assert_eq!(
            mask_value(ValueKind::Phone, "06 12 34 56 78"),
            "06 ** ** ** 78"
        );
        assert_eq!(mask_generic("LEROY"), "L***Y");
        assert_eq!(mask_generic("Li"), "L*");
        assert_eq!(mask_generic("12/05/1985"), "12/**/**85");
    }

    #[test]
    fn may_hold_number_keeps_every_written_form_and_drops_short_groups() {
        for cell in [
            "0612345678",
            "06 12 34 56 78",
            "06\u{a0}12\u{a0}34\u{a0}56\u{a0}78",
            "06\u{202f}12\u{202f}34\u{202f}56\u{202f}78",
            "+33 6 12 34 56 78",
            "1 85 05 78 006 084 36",
            "FR76 3000 6000 0112 3456 7890 189",
            "tel:06.12.34.56.78",
        ] {
            assert!(may_hold_number(cell.as_bytes()), "{cell}");
        }
        for cell in [
            "82|29|5|14|12|17",
            "12/05/1985 | 3",
            "123456789",
            "a|b|c|d|e|f",
        ] {
            assert!(!may_hold_number(cell.as_bytes()), "{cell}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5000))]
        /// Where `may_hold_number` says no, the detectors find no number: on cells made of the
        /// pieces numbers are written with, and of the characters that break them.
        #[test]
        fn may_hold_number_never_hides_a_number(
            pieces in proptest::collection::vec(
                proptest::prop_oneof![
                    "[0-9]{1,4}", "[A-Z]{1,2}", "[a-z]{1,2}", "[ .+\\-\u{a0}\u{202f}|/é]",
                    "0612345678|FR76|185057800608436",
                ],
                0..16,
            )
        ) {
            let cell = pieces.concat();
            if !may_hold_number(cell.as_bytes()) {
                let hits = scan(&cell);
                for kind in [ValueKind::Nir, ValueKind::Phone, ValueKind::Iban] {
                    proptest::prop_assert!(hits[kind.index()].is_none(), "{:?} in {:?}", kind, cell);
                }
            }
        }
    }
}
