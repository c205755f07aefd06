//! Small text helpers shared by both checks: header normalisation, globs, French numbers.

/// Folds one character to lowercase ASCII where it is a Latin letter with an accent; `None` keeps it.
fn fold_accent(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "a",
        'ç' | 'Ç' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
        'ñ' | 'Ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
        'ý' | 'ÿ' | 'Ý' | 'Ÿ' => "y",
        'œ' | 'Œ' => "oe",
        'æ' | 'Æ' => "ae",
        _ => return None,
    })
}

/// Normalises a header for matching: lowercase, accents stripped, spaces (including no-break spaces),
/// `-`, `.`, `'` and `/` turned into `_`, runs of `_` collapsed, leading and trailing `_` removed.
/// Every other character (such as `%`) is kept.
pub(crate) fn normalize_header(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if let Some(f) = fold_accent(c) {
            out.push_str(f);
        } else if c.is_whitespace()
            || matches!(
                c,
                '-' | '.' | '\'' | '’' | '/' | '_' | '\u{a0}' | '\u{202f}'
            )
        {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
        } else {
            out.extend(c.to_lowercase());
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

/// Matches `text` against a glob where `*` stands for any run of characters (possibly empty); every
/// other character matches itself. The whole text must match.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let p = pattern.as_bytes();
    let t = text.as_bytes();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

/// Whether `text` matches any of the (already normalised) patterns.
pub(crate) fn matches_any(patterns: &[String], text: &str) -> bool {
    patterns.iter().any(|p| glob_match(p, text))
}

/// Whether a character is a space that may separate thousands in a French number.
fn is_number_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' | '\'')
}

/// Parses a number as people write them in French or English tables: `1 234,5` (normal, no-break or
/// narrow no-break spaces between thousands), `12,5 %`, `12.5`, `100`, `1.234,5`, `-3`. A trailing `%`
/// is dropped (the value stays in percent). When both `,` and `.` appear the last one is the decimal
/// mark; a single `,` or `.` is the decimal mark; repeated ones separate thousands. Exponents, `inf`
/// and `nan` are refused. Does not allocate.
pub(crate) fn parse_number(raw: &str) -> Option<f64> {
    let mut s = raw.trim_matches(|c: char| c.is_whitespace() || is_number_space(c));
    if let Some(rest) = s.strip_suffix('%') {
        s = rest.trim_end_matches(|c: char| c.is_whitespace() || is_number_space(c));
    }
    if s.is_empty() || s.len() > 60 {
        return None;
    }
    let (commas, dots) = s.bytes().fold((0usize, 0usize), |(c, d), b| match b {
        b',' => (c + 1, d),
        b'.' => (c, d + 1),
        _ => (c, d),
    });
    let decimal = match (commas, dots) {
        (0, 0) => None,
        (_, 0) if commas == 1 => Some(','),
        (0, _) if dots == 1 => Some('.'),
        (0, _) | (_, 0) => None,
        _ => {
            let last_comma = s.rfind(',');
            let last_dot = s.rfind('.');
            if last_comma > last_dot {
                Some(',')
            } else {
                Some('.')
            }
        }
    };
    if decimal.is_some_and(|d| s.matches(d).count() > 1) {
        return None;
    }
    let mut buf = [0u8; 64];
    let mut n = 0usize;
    let mut digits = 0usize;
    let mut seen_decimal = false;
    for (i, c) in s.char_indices() {
        let b = match c {
            '0'..='9' => {
                digits += 1;
                c as u8
            }
            '-' | '\u{2212}' if i == 0 => b'-',
            '+' if i == 0 => b'+',
            c if Some(c) == decimal => {
                seen_decimal = true;
                b'.'
            }
            ',' | '.' => continue,
            c if is_number_space(c) && !seen_decimal => continue,
            _ => return None,
        };
        if n >= buf.len() {
            return None;
        }
        buf[n] = b;
        n += 1;
    }
    if digits == 0 {
        return None;
    }
    std::str::from_utf8(&buf[..n]).ok()?.parse::<f64>().ok()
}

/// Whether a cell marks a value withheld by statistical secrecy: blank, `s`, `S`, `*`, `nd`, `ND`,
/// `n.d.`, `secret` (any case, surrounding spaces ignored).
pub(crate) fn is_suppressed(raw: &str) -> bool {
    let t = raw.trim();
    t.is_empty()
        || t == "*"
        || t.eq_ignore_ascii_case("s")
        || t.eq_ignore_ascii_case("nd")
        || t.eq_ignore_ascii_case("n.d.")
        || t.eq_ignore_ascii_case("n.d")
        || t.eq_ignore_ascii_case("secret")
}

/// Whether a label announces a total: its normalised form starts with the whole word `total`,
/// `totaux`, `sous_total`, `ensemble`, `tous` or `somme` (`Total`, `TOTAL général`, `Sous-total`,
/// `Ensemble des communes`, `Tous logements`, `Somme` match; `Toussaint` does not).
pub(crate) fn is_total_label(raw: &str) -> bool {
    let t = raw.trim();
    // Cheap test first: this runs once per row.
    if t.len() > 200 || !t.starts_with(['t', 'T', 'e', 'E', 's', 'S']) {
        return false;
    }
    let n = normalize_header(t);
    ["total", "totaux", "sous_total", "ensemble", "tous", "somme"]
        .iter()
        .any(|w| {
            n.strip_prefix(w)
                .is_some_and(|rest| !rest.starts_with(|c: char| c.is_alphanumeric()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_headers() {
        assert_eq!(normalize_header(" Taux de réponse "), "taux_de_reponse");
        assert_eq!(normalize_header("Nb-Logements"), "nb_logements");
        assert_eq!(normalize_header("Prénom"), "prenom");
        assert_eq!(normalize_header("E-mail"), "e_mail");
        assert_eq!(normalize_header("Part (%)"), "part_(%)");
        assert_eq!(
            normalize_header("Date  de\u{a0}naissance"),
            "date_de_naissance"
        );
    }

    #[test]
    fn globs() {
        assert!(glob_match("nb_*", "nb_logements"));
        assert!(!glob_match("nb_*", "nbre"));
        assert!(glob_match("n", "n"));
        assert!(!glob_match("n", "nom"));
        assert!(glob_match("*%*", "part_(%)"));
        assert!(glob_match("*_nom", "titulaire_nom"));
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*b*c", "axxbyy"));
    }

    #[test]
    fn french_numbers() {
        assert_eq!(parse_number("1 234,5"), Some(1234.5));
        assert_eq!(parse_number("1\u{a0}234,5"), Some(1234.5));
        assert_eq!(parse_number("1\u{202f}234,5"), Some(1234.5));
        assert_eq!(parse_number("12,5 %"), Some(12.5));
        assert_eq!(parse_number("12,5%"), Some(12.5));
        assert_eq!(parse_number("12.5"), Some(12.5));
        assert_eq!(parse_number("100"), Some(100.0));
        assert_eq!(parse_number("100,0"), Some(100.0));
        assert_eq!(parse_number("0,00"), Some(0.0));
        assert_eq!(parse_number("1.234,5"), Some(1234.5));
        assert_eq!(parse_number("1,234.5"), Some(1234.5));
        assert_eq!(parse_number("1 234 567"), Some(1_234_567.0));
        assert_eq!(parse_number("-3"), Some(-3.0));
        assert_eq!(parse_number("s"), None);
        assert_eq!(parse_number(""), None);
        assert_eq!(parse_number("nan"), None);
        assert_eq!(parse_number("1e5"), None);
        assert_eq!(parse_number("12 ans"), None);
        assert_eq!(parse_number("60-100%"), None);
        assert_eq!(parse_number(">100%"), None);
    }

    #[test]
    fn suppressed_and_totals() {
        for s in [
            "", " ", "s", "S", "*", "nd", "ND", "n.d.", "secret", "Secret",
        ] {
            assert!(is_suppressed(s), "{s}");
        }
        assert!(!is_suppressed("0"));
        for s in [
            "Total",
            "TOTAL général",
            "Ensemble",
            "ensemble des communes",
            "Tous",
            "Somme",
        ] {
            assert!(is_total_label(s), "{s}");
        }
        assert!(!is_total_label("Carvin"));
        assert!(is_total_label("Sous-total"));
        assert!(!is_total_label("Toussaint"));
    }
}
