//! What a thing is: the typed states of the domain, parsed once at the database boundary.
//!
//! The database stores words (`active`, `quarantined`, `depositor`, `file.upload`, …) and
//! integers (`released` as 0 or 1); `db/` turns them into these types when it reads a row and
//! back into words when it writes one, and refuses a word it does not know with
//! [`UnknownWord`]. Above `db/`, code matches on the types, never on the words. One file per
//! concept: [`mission`], [`file`], [`role`], [`organisation`], [`report`], [`audit_action`];
//! how a report is said: [`wording`].

pub mod audit_action;
pub mod audit_entry;
pub mod file;
pub mod mission;
pub mod notification;
pub mod organisation;
pub mod report;
pub mod role;
pub mod user;
pub mod wording;

pub use audit_action::AuditAction;
pub use audit_entry::{AuditEntry, AuditOutcome};
pub use file::{CheckStatus, File, FileState, Folder};
pub use mission::{Mission, MissionStatus, Participant};
pub use notification::NotificationKind;
pub use organisation::OrganisationKind;
pub use report::{Bilingual, Checks, Decision, Finding, FindingKind, Rule, Thresholds, Violation};
pub use role::Role;
pub use user::{Organisation, User};

/// A word read from the database (or given by a caller) that names no known state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} in the database: {word:?}")]
pub struct UnknownWord {
    /// What the word should have named (`mission status`, `role`, …).
    pub what: &'static str,
    /// The word found.
    pub word: String,
}

/// Declares an enum of stored words: its variants with their word, `as_str`, `parse`,
/// `Display`, `FromStr` and serde under the same words.
macro_rules! stored_words {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident => $word:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $word)] $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stored word.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $word, )+
                }
            }

            /// The value for a stored word.
            pub fn parse(word: &str) -> Option<$name> {
                match word {
                    $( $word => Some($name::$variant), )+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::domain::UnknownWord;

            fn from_str(word: &str) -> Result<Self, Self::Err> {
                $name::parse(word).ok_or_else(|| $crate::domain::UnknownWord {
                    what: $what,
                    word: word.to_owned(),
                })
            }
        }
    };
}
pub(crate) use stored_words;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_reads_back_and_unknown_words_are_refused() {
        for s in MissionStatus::ALL {
            assert_eq!(s.as_str().parse::<MissionStatus>(), Ok(*s));
        }
        for s in CheckStatus::ALL {
            assert_eq!(s.as_str().parse::<CheckStatus>(), Ok(*s));
        }
        for a in AuditAction::ALL {
            assert_eq!(a.as_str().parse::<AuditAction>(), Ok(*a));
        }
        assert_eq!(AuditAction::ALL.len(), 58);
        // Every action has its words in the one table the journal and the register use.
        for a in AuditAction::ALL {
            for lang in [admin_ui::Lang::Fr, admin_ui::Lang::En] {
                assert_ne!(lang.admin().action_name(a.as_str()), a.as_str(), "{a:?}");
            }
        }
        let err = "Active".parse::<MissionStatus>().unwrap_err();
        assert_eq!(err.what, "mission status");
        assert!("".parse::<Role>().is_err());
        assert_eq!(
            serde_json::to_string(&CheckStatus::PendingScan).unwrap(),
            "\"pending_scan\""
        );
    }
}
