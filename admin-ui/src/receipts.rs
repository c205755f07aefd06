//! A file's download receipt on the mission page: who downloaded it and when, in words.

use crate::i18n::Lang;

/// One download, as the page lists it.
#[derive(Debug, Clone, Default)]
pub struct ReceiptLine {
    /// Who downloaded.
    pub who: String,
    /// Their organisation's name.
    pub organisation: String,
    /// When, in words (Paris time).
    pub at: String,
    /// Only part of the file (a byte range).
    pub partial: bool,
}

/// The receipt of one file: its downloads (the newest ones, oldest first) and how many in all.
#[derive(Debug, Clone, Default)]
pub struct Receipt {
    /// The line under the file: « Jamais téléchargé », or who downloaded it last and when.
    pub summary: String,
    /// Each download listed, in words.
    pub lines: Vec<String>,
}

impl Receipt {
    /// The receipt in `lang`, from its downloads (oldest first) and their total count (more than
    /// the lines when only the newest are listed).
    pub fn new(lang: Lang, downloads: &[ReceiptLine], total: i64) -> Self {
        let Some(last) = downloads.last() else {
            return Receipt {
                summary: lang.receipt_never().to_owned(),
                lines: Vec::new(),
            };
        };
        let mut lines: Vec<String> = downloads.iter().map(|d| lang.receipt_line(d)).collect();
        let unlisted = total - i64::try_from(downloads.len()).unwrap_or(i64::MAX);
        if unlisted > 0 {
            lines.insert(0, lang.receipt_unlisted(unlisted));
        }
        Receipt {
            summary: lang.receipt_summary(total, &last.who, &last.at),
            lines,
        }
    }
}

impl Lang {
    /// A file nobody has downloaded yet.
    pub fn receipt_never(self) -> &'static str {
        match self {
            Lang::Fr => "Jamais téléchargé.",
            Lang::En => "Never downloaded.",
        }
    }

    /// The line under a downloaded file: how often, and the last download.
    pub fn receipt_summary(self, total: i64, who: &str, at: &str) -> String {
        match (self, total) {
            (Lang::Fr, 1) => format!("Téléchargé par {who} le {at}"),
            (Lang::Fr, n) => format!("Téléchargé {n} fois, en dernier par {who} le {at}"),
            (Lang::En, 1) => format!("Downloaded by {who} on {at}"),
            (Lang::En, n) => format!("Downloaded {n} times, last by {who} on {at}"),
        }
    }

    /// One download in the list.
    pub fn receipt_line(self, d: &ReceiptLine) -> String {
        let org = if d.organisation.is_empty() {
            String::new()
        } else {
            format!(" ({})", d.organisation)
        };
        let (who, at) = (&d.who, &d.at);
        match (self, d.partial) {
            (Lang::Fr, false) => format!("{who}{org}, le {at}"),
            (Lang::Fr, true) => format!("{who}{org}, le {at} (en partie)"),
            (Lang::En, false) => format!("{who}{org}, on {at}"),
            (Lang::En, true) => format!("{who}{org}, on {at} (in part)"),
        }
    }

    /// Older downloads not listed.
    pub fn receipt_unlisted(self, n: i64) -> String {
        match self {
            Lang::Fr => format!("… et {n} téléchargements plus anciens"),
            Lang::En => format!("… and {n} older downloads"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_says_never_once_or_how_often() {
        assert_eq!(Receipt::new(Lang::Fr, &[], 0).summary, "Jamais téléchargé.");
        let d = ReceiptLine {
            who: "Camille".into(),
            organisation: "BE".into(),
            at: "06/12/2026 à 10:00".into(),
            partial: true,
        };
        let r = Receipt::new(Lang::Fr, std::slice::from_ref(&d), 1);
        assert_eq!(r.summary, "Téléchargé par Camille le 06/12/2026 à 10:00");
        assert_eq!(r.lines, ["Camille (BE), le 06/12/2026 à 10:00 (en partie)"]);
        let r = Receipt::new(Lang::En, &[d], 3);
        assert!(r.summary.starts_with("Downloaded 3 times"), "{}", r.summary);
        assert_eq!(r.lines[0], "… and 2 older downloads");
    }
}
