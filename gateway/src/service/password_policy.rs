//! Password policy (NIST SP 800-63B, ANSSI, CNIL): length, context words, blocklist.
//!
//! No composition rules: a long passphrase of ordinary words is the best password a person can
//! remember. What is refused is what an attacker tries first: short passwords, the account's own
//! identifiers, common and breached passwords (with the usual digits and punctuation around
//! them), and trivial repetitions or sequences. The blocklist is `gateway/data/common-passwords.txt`
//! (provenance in `gateway/data/README.md`), embedded in the binary at compile time.

use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;

/// Minimum length in characters (not bytes).
pub const MIN_LEN: usize = 12;

/// Maximum length accepted (long passphrases are welcome; this only bounds hashing cost).
pub const MAX_LEN: usize = 256;

/// A username or e-mail local part shorter than this (in characters) is not looked for.
const MIN_CONTEXT_LEN: usize = 3;

/// A piece of a username or local part (split on `.`, `_`, `-`, `+`…) at least this long is looked
/// for too, so that `dupont2024!!!` is refused for `jean.dupont`. Shorter pieces (`jean`, `marc`)
/// would refuse ordinary words (`jeans`, `marché`); the blocklist holds common first names anyway.
const MIN_CONTEXT_PART_LEN: usize = 5;

/// What remains once leading and trailing digits and punctuation are removed is compared with the
/// blocklist only from this length on: shorter cores (`ab`, `x`) say nothing.
const MIN_CORE_LEN: usize = 4;

/// A password made of a unit of at most this many characters repeated is refused whatever the unit.
const MAX_TRIVIAL_UNIT: usize = 4;

/// The embedded blocklist: one lowercase entry per line, sorted, no comments.
const BLOCKLIST_TEXT: &str = include_str!("../../data/common-passwords.txt");

/// The blocklist, parsed once on first use.
static BLOCKLIST: OnceLock<HashSet<&'static str>> = OnceLock::new();

/// Why a password was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WeakPassword {
    /// Fewer than [`MIN_LEN`] characters.
    TooShort,
    /// More than [`MAX_LEN`] characters.
    TooLong,
    /// Contains the username, or a long enough piece of it.
    ContainsUsername,
    /// Contains the e-mail address, its local part, or a long enough piece of the local part.
    ContainsEmail,
    /// Is a common or breached password, possibly with digits or punctuation around it.
    Common,
    /// Is one character or a short pattern repeated (`aaaaaaaaaaaa`, `abcabcabcabc`).
    Repetitive,
    /// Is a simple ascending or descending sequence (`123456789012`, `abcdefghijkl`).
    Sequential,
}

impl WeakPassword {
    /// The reason in French, for a person.
    #[must_use]
    pub fn message_fr(&self) -> &'static str {
        match self {
            Self::TooShort => "Le mot de passe doit compter au moins 12 caractères.",
            Self::TooLong => "Le mot de passe ne doit pas dépasser 256 caractères.",
            Self::ContainsUsername => {
                "Le mot de passe ne doit pas contenir votre identifiant, ni une partie de celui-ci."
            }
            Self::ContainsEmail => {
                "Le mot de passe ne doit pas contenir votre adresse e-mail, ni une partie de celle-ci."
            }
            Self::Common => {
                "Ce mot de passe figure dans la liste des mots de passe courants ou ayant fuité : \
                 choisissez-en un autre, par exemple une phrase de plusieurs mots."
            }
            Self::Repetitive => {
                "Le mot de passe ne doit pas être une simple répétition (comme « aaaa » ou « abcabc ») : \
                 choisissez par exemple une phrase de plusieurs mots."
            }
            Self::Sequential => {
                "Le mot de passe ne doit pas être une simple suite (comme « 123456 » ou « abcdef ») : \
                 choisissez par exemple une phrase de plusieurs mots."
            }
        }
    }

    /// The reason in English, for a person.
    #[must_use]
    pub fn message_en(&self) -> &'static str {
        match self {
            Self::TooShort => "The password must be at least 12 characters long.",
            Self::TooLong => "The password must not be longer than 256 characters.",
            Self::ContainsUsername => "The password must not contain your username or part of it.",
            Self::ContainsEmail => {
                "The password must not contain your e-mail address or part of it."
            }
            Self::Common => {
                "This password is on the list of common or leaked passwords: choose another one, \
                 for example a sentence of several words."
            }
            Self::Repetitive => {
                "The password must not be a simple repetition (like \"aaaa\" or \"abcabc\"): \
                 choose, for example, a sentence of several words."
            }
            Self::Sequential => {
                "The password must not be a simple sequence (like \"123456\" or \"abcdef\"): \
                 choose, for example, a sentence of several words."
            }
        }
    }
}

impl fmt::Display for WeakPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message_en())
    }
}

impl std::error::Error for WeakPassword {}

/// Checks a candidate password against the policy.
///
/// `username` and `email` are the account's own; either may be empty. The first rule broken is
/// returned, in this order: length, context words, repetition, sequence, blocklist.
///
/// # Errors
///
/// The [`WeakPassword`] reason when the password is refused; its `message_fr` or `message_en` is
/// meant to be shown to the person as is.
pub fn check(password: &str, username: &str, email: &str) -> Result<(), WeakPassword> {
    // Counting stops just past the maximum, so a huge input costs no more than a long one.
    let len = password.chars().take(MAX_LEN + 1).count();
    if len < MIN_LEN {
        return Err(WeakPassword::TooShort);
    }
    if len > MAX_LEN {
        return Err(WeakPassword::TooLong);
    }

    let lower = password.to_lowercase();
    check_context(&lower, username, email)?;

    let core = core_of(&lower);
    for candidate in [lower.as_str(), core] {
        if candidate.chars().count() < MIN_CORE_LEN {
            continue;
        }
        if is_repetitive(candidate) {
            return Err(WeakPassword::Repetitive);
        }
        if is_sequential(candidate) {
            return Err(WeakPassword::Sequential);
        }
    }

    if is_blocklisted(&lower) {
        return Err(WeakPassword::Common);
    }
    Ok(())
}

/// Number of entries in the embedded blocklist (for tests and docs).
#[must_use]
pub fn blocklist_len() -> usize {
    blocklist().len()
}

fn blocklist() -> &'static HashSet<&'static str> {
    BLOCKLIST.get_or_init(|| {
        BLOCKLIST_TEXT
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .collect()
    })
}

/// Refuses a password holding the username or the e-mail address (or telling pieces of them).
fn check_context(lower: &str, username: &str, email: &str) -> Result<(), WeakPassword> {
    let username = username.trim().to_lowercase();
    if contains_context(lower, &username) {
        return Err(WeakPassword::ContainsUsername);
    }

    let email = email.trim().to_lowercase();
    if email.is_empty() {
        return Ok(());
    }
    if lower.contains(email.as_str()) {
        return Err(WeakPassword::ContainsEmail);
    }
    // The local part is what precedes the last `@` (a quoted local part may itself hold one).
    let local = email
        .rsplit_once('@')
        .map_or(email.as_str(), |(local, _)| local);
    if contains_context(lower, local) {
        return Err(WeakPassword::ContainsEmail);
    }
    Ok(())
}

/// Whether `lower` holds `context` (if long enough) or one of its long enough pieces.
fn contains_context(lower: &str, context: &str) -> bool {
    if context.chars().count() >= MIN_CONTEXT_LEN && lower.contains(context) {
        return true;
    }
    context
        .split(|c: char| !c.is_alphanumeric())
        .any(|part| part.chars().count() >= MIN_CONTEXT_PART_LEN && lower.contains(part))
}

/// The password without its leading and trailing non-letters: `2024motdepasse!` → `motdepasse`.
fn core_of(lower: &str) -> &str {
    lower.trim_matches(|c: char| !c.is_alphabetic())
}

/// Whether the password, or its core with the usual decorations undone, is in the blocklist.
fn is_blocklisted(lower: &str) -> bool {
    let list = blocklist();
    if list.contains(lower) {
        return true;
    }
    let core = core_of(lower);
    if core.chars().count() < MIN_CORE_LEN {
        return false;
    }
    // Word separators people put inside a blocklisted phrase: `mot de passe`, `mot-de-passe`.
    let joined: String = core
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_' | '.'))
        .collect();
    // Common "leet" substitutions inside the core: `p@ssw0rd`, `m0tdep4sse`. A `1` stands for
    // an `i` or an `l`, so both readings are tried.
    let leet_i: String = joined.chars().map(|c| unleet(c, 'i')).collect();
    let leet_l: String = joined.chars().map(|c| unleet(c, 'l')).collect();
    [core, joined.as_str(), leet_i.as_str(), leet_l.as_str()]
        .iter()
        .any(|candidate| list.contains(candidate))
}

/// The letter a "leet" character usually stands for; `one` is the reading chosen for `1`.
fn unleet(c: char, one: char) -> char {
    match c {
        '0' => 'o',
        '1' => one,
        '!' | '|' => 'i',
        '3' | '€' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' => 't',
        other => other,
    }
}

/// Whether `s` is a unit repeated (the last repetition may be cut short) where the unit is short
/// (`aaaa…`, `abcabc…`) or is itself blocklisted (`soleilsoleil`).
fn is_repetitive(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    (1..=n / 2).any(|period| {
        let periodic = (period..n).all(|i| chars.get(i) == chars.get(i - period));
        if !periodic {
            return false;
        }
        if period <= MAX_TRIVIAL_UNIT {
            return true;
        }
        let unit: String = chars.iter().take(period).collect();
        blocklist().contains(unit.as_str()) || blocklist().contains(core_of(&unit))
    })
}

/// Whether `s` climbs or descends one step at a time through digits or letters, wrapping around
/// (`7890123`, `xyzabc`, `fedcba`).
fn is_sequential(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    let mut steps = chars.windows(2).map(|pair| match pair {
        [a, b] => step(*a, *b),
        _ => None,
    });
    match steps.next() {
        Some(Some(first)) => steps.all(|next| next == Some(first)),
        _ => false,
    }
}

/// `Some(1)` when `b` follows `a`, `Some(-1)` when it precedes it, among digits (0–9, cyclic) or
/// lowercase ASCII letters (a–z, cyclic); `None` otherwise.
fn step(a: char, b: char) -> Option<i8> {
    let (x, y, modulus) = if a.is_ascii_digit() && b.is_ascii_digit() {
        (
            u32::from(a) - u32::from('0'),
            u32::from(b) - u32::from('0'),
            10,
        )
    } else if a.is_ascii_lowercase() && b.is_ascii_lowercase() {
        (
            u32::from(a) - u32::from('a'),
            u32::from(b) - u32::from('a'),
            26,
        )
    } else {
        return None;
    };
    if (x + 1) % modulus == y {
        Some(1)
    } else if (y + 1) % modulus == x {
        Some(-1)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: &str = "jdupont";
    const EMAIL: &str = "jean.dupont@habitat-exemple.fr";

    fn verdict(password: &str) -> Result<(), WeakPassword> {
        check(password, USER, EMAIL)
    }

    #[test]
    fn blocklist_is_large_sorted_deduplicated_and_plain() {
        let lines: Vec<&str> = BLOCKLIST_TEXT.lines().collect();
        assert!(lines.len() >= 10_000, "only {} entries", lines.len());
        for pair in lines.windows(2) {
            assert!(pair[0] < pair[1], "not sorted or duplicated: {pair:?}");
        }
        for line in &lines {
            assert!(!line.is_empty(), "blank line");
            assert_eq!(*line, line.trim(), "stray whitespace: {line:?}");
            assert_eq!(*line, line.to_lowercase(), "not lowercase: {line:?}");
            assert!(!line.starts_with('#'), "comment line: {line:?}");
        }
        assert!(BLOCKLIST_TEXT.ends_with('\n'));
        assert_eq!(blocklist_len(), lines.len());
    }

    #[test]
    fn blocklist_holds_the_french_and_service_entries() {
        for entry in [
            "azerty",
            "azertyuiop",
            "qsdfghjklm",
            "wxcvbn",
            "motdepasse",
            "soleil2024",
            "azerty2025",
            "motdepasse2026",
            "bonjour123",
            "olympiquedemarseille",
            "allezlom",
            "passerelle",
            "passerelle123",
            "enqueteops",
            "bailleursocial",
            "hlm",
            "logement",
        ] {
            assert!(blocklist().contains(entry), "{entry} missing");
        }
    }

    #[test]
    fn french_examples_are_refused() {
        for short in [
            "azerty",
            "azerty123",
            "soleil123",
            "motdepasse1",
            "jetaime1",
        ] {
            assert_eq!(verdict(short), Err(WeakPassword::TooShort), "{short}");
        }
        for common in [
            "azertyuiop12",
            "azerty123456",
            "azerty123456!",
            "AZERTY123456!",
            "Azerty2025!!",
            "soleil123456",
            "Soleil2024!!",
            "motdepasse123",
            "Motdepasse2026!",
            "2024motdepasse",
            "mot de passe 2024",
            "mot-de-passe-2024",
            "m0tdepasse2024",
            "P@ssw0rd2024!",
            "bonjour12345",
            "jetaime123456",
            "marseille13!!",
            "olympiquedemarseille",
            "Passerelle2025!",
            "enqueteops2026",
            "bailleursocial",
            "qsdfghjklm!!",
        ] {
            assert_eq!(verdict(common), Err(WeakPassword::Common), "{common}");
        }
    }

    #[test]
    fn passphrases_are_accepted() {
        for good in [
            "cheval correct agrafe batterie",
            "Le hérisson mange trois pommes vertes",
            "orange-vélo-nuage-piano",
            "Xq7#mBv2pLk9",
        ] {
            assert_eq!(verdict(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn length_is_counted_in_characters() {
        assert_eq!(verdict("Xq7#mBv2pLk"), Err(WeakPassword::TooShort));
        assert_eq!(verdict("Xq7#mBv2pLk9"), Ok(()));
        // 11 and 12 characters, but more bytes than that.
        assert_eq!(verdict("fête à l'îl"), Err(WeakPassword::TooShort));
        assert_eq!(verdict("fête à l'île"), Ok(()));
        assert_eq!(verdict(""), Err(WeakPassword::TooShort));
    }

    #[test]
    fn length_is_bounded() {
        let phrase = "cheval correct agrafe batterie ";
        let long: String = phrase.chars().cycle().take(MAX_LEN).collect();
        assert_eq!(verdict(&long), Ok(()));
        let too_long: String = phrase.chars().cycle().take(MAX_LEN + 1).collect();
        assert_eq!(verdict(&too_long), Err(WeakPassword::TooLong));
        let huge = "é".repeat(1_000_000);
        assert_eq!(verdict(&huge), Err(WeakPassword::TooLong));
    }

    #[test]
    fn username_is_refused() {
        assert_eq!(
            verdict("monJDupont2024xyz"),
            Err(WeakPassword::ContainsUsername)
        );
        assert_eq!(
            check("la-grande-cle-de-marie.curie", "marie.curie", ""),
            Err(WeakPassword::ContainsUsername)
        );
        // A long enough piece of the username counts too.
        assert_eq!(
            check("curie et les rayons du soleil", "marie.curie", ""),
            Err(WeakPassword::ContainsUsername)
        );
        // A username under three characters is not looked for.
        assert_eq!(check("ab-grand-voyage-au-nord", "ab", ""), Ok(()));
        assert_eq!(check("ab-grand-voyage-au-nord", "", ""), Ok(()));
    }

    #[test]
    fn email_is_refused() {
        assert_eq!(
            verdict("jean.dupont@habitat-exemple.fr"),
            Err(WeakPassword::ContainsEmail)
        );
        assert_eq!(
            verdict("ma clé jean.dupont ici"),
            Err(WeakPassword::ContainsEmail)
        );
        assert_eq!(
            verdict("dupont du nord et du sud"),
            Err(WeakPassword::ContainsEmail)
        );
        // A short local part is only refused as the whole address.
        assert_eq!(
            check("jo-et-la-grande-riviere", "", "jo@exemple.fr"),
            Ok(())
        );
        assert_eq!(
            check("JO@exemple.fr-et-la-suite", "", "jo@exemple.fr"),
            Err(WeakPassword::ContainsEmail)
        );
    }

    #[test]
    fn repetitions_are_refused() {
        for repetitive in [
            "aaaaaaaaaaaa",
            "AAAAAAAAAAAAAAAA",
            "            ",
            "111111111111",
            "abcabcabcabc",
            "azerazerazer",
            "soleilsoleil",
            "aaaaaaaaaaaa1!",
        ] {
            assert_eq!(
                verdict(repetitive),
                Err(WeakPassword::Repetitive),
                "{repetitive}"
            );
        }
    }

    #[test]
    fn sequences_are_refused() {
        for sequential in [
            "123456789012",
            "987654321098",
            "abcdefghijkl",
            "ABCDEFGHIJKL",
            "lkjihgfedcba",
            "xyzabcdefghi",
            "abcdefghijkl2024",
        ] {
            assert_eq!(
                verdict(sequential),
                Err(WeakPassword::Sequential),
                "{sequential}"
            );
        }
    }

    #[test]
    fn messages_are_plain_and_consistent() {
        let all = [
            WeakPassword::TooShort,
            WeakPassword::TooLong,
            WeakPassword::ContainsUsername,
            WeakPassword::ContainsEmail,
            WeakPassword::Common,
            WeakPassword::Repetitive,
            WeakPassword::Sequential,
        ];
        for reason in &all {
            assert!(reason.message_fr().ends_with('.'));
            assert!(reason.message_en().ends_with('.'));
            assert_ne!(reason.message_fr(), reason.message_en());
            assert_eq!(reason.to_string(), reason.message_en());
        }
        assert!(WeakPassword::TooShort
            .message_fr()
            .contains(&MIN_LEN.to_string()));
        assert!(WeakPassword::TooShort
            .message_en()
            .contains(&MIN_LEN.to_string()));
        assert!(WeakPassword::TooLong
            .message_fr()
            .contains(&MAX_LEN.to_string()));
        assert!(WeakPassword::TooLong
            .message_en()
            .contains(&MAX_LEN.to_string()));
        assert_eq!(
            WeakPassword::Common.message_fr(),
            "Ce mot de passe figure dans la liste des mots de passe courants ou ayant fuité : \
             choisissez-en un autre, par exemple une phrase de plusieurs mots."
        );
    }

    #[test]
    fn odd_input_does_not_panic() {
        for odd in [
            "\u{0}".repeat(12),
            "🔒🔑🗝️🔐🔒🔑🗝️🔐🔒🔑🗝️🔐".to_string(),
            "İİİİİİİİİİİİ".to_string(),
            "@@@@@@@@@@@@@".to_string(),
        ] {
            let _ = check(&odd, "@", "@");
            let _ = check(&odd, &odd, &odd);
        }
    }
}
