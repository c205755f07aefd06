//! The error type of the content checks.

/// Why a file could not be checked.
///
/// Every variant carries (or can produce) a plain message in French and in English, fit to show to the
/// person who sent the file. A refusal is never a panic: a corrupt or hostile file ends here.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    /// The file cannot be read as the format its extension announces (corrupt, truncated, encrypted,
    /// not a spreadsheet at all…).
    #[error("unreadable file: {reason_en}")]
    Unreadable {
        /// The reason, in French.
        reason_fr: String,
        /// The reason, in English.
        reason_en: String,
    },
    /// The file (or an archive inside it) exceeds the bounds set against zip bombs: too many entries,
    /// too large once uncompressed, or compressed suspiciously well.
    #[error("file refused: {reason_en}")]
    TooLarge {
        /// The reason, in French.
        reason_fr: String,
        /// The reason, in English.
        reason_en: String,
    },
    /// Reading the input failed (disk, decryption stream…).
    #[error("I/O error while reading the file: {0}")]
    Io(#[from] std::io::Error),
}

impl CheckError {
    /// A stable machine code: `unreadable`, `too_large` or `io`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unreadable { .. } => "unreadable",
            Self::TooLarge { .. } => "too_large",
            Self::Io(_) => "io",
        }
    }

    /// A message for a person, in French.
    pub fn message_fr(&self) -> String {
        match self {
            Self::Unreadable { reason_fr, .. } | Self::TooLarge { reason_fr, .. } => {
                reason_fr.clone()
            }
            Self::Io(_) => "Le fichier n'a pas pu être lu (erreur d'entrée-sortie).".to_owned(),
        }
    }

    /// A message for a person, in English.
    pub fn message_en(&self) -> String {
        match self {
            Self::Unreadable { reason_en, .. } | Self::TooLarge { reason_en, .. } => {
                reason_en.clone()
            }
            Self::Io(e) => format!("The file could not be read (I/O error: {e})."),
        }
    }

    pub(crate) fn unreadable(fr: impl Into<String>, en: impl Into<String>) -> Self {
        Self::Unreadable {
            reason_fr: fr.into(),
            reason_en: en.into(),
        }
    }

    pub(crate) fn too_large(fr: impl Into<String>, en: impl Into<String>) -> Self {
        Self::TooLarge {
            reason_fr: fr.into(),
            reason_en: en.into(),
        }
    }
}
