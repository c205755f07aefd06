//! Data residency: every storage location declares its country, and only the European Economic
//! Area is accepted.

use crate::error::{Result, StorageError};

/// The EEA: the 27 EU member states plus Iceland, Liechtenstein and Norway (ISO 3166-1 alpha-2;
/// Greece is `GR`).
pub const EEA_COUNTRIES: [&str; 30] = [
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO",
];

/// Accepts `country` (ISO 3166-1 alpha-2, any case) only if it is in the EEA; otherwise returns
/// [`StorageError::Residency`] with a sentence naming the country.
pub fn ensure_eea(country: &str) -> Result<()> {
    let code = country.trim().to_ascii_uppercase();
    if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(StorageError::Residency(format!(
            "storage location country {country:?} is not an ISO 3166 alpha-2 code; \
             only locations in the European Economic Area (the 27 EU states, Iceland, Liechtenstein \
             and Norway) are accepted"
        )));
    }
    if EEA_COUNTRIES.contains(&code.as_str()) {
        Ok(())
    } else {
        Err(StorageError::Residency(format!(
            "storage location is in country {code}, outside the European Economic Area; \
             only locations in the EEA (the 27 EU states, Iceland, Liechtenstein and Norway) are accepted"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eea_only() {
        for ok in ["FR", "fr", "NO", "IS", "LI", "DE", "GR", "SE"] {
            assert!(ensure_eea(ok).is_ok(), "{ok}");
        }
        for bad in ["US", "GB", "CH", "CN", "", "FRA", "EU", "EL"] {
            assert!(ensure_eea(bad).is_err(), "{bad}");
        }
        let msg = ensure_eea("US").unwrap_err().to_string();
        assert!(
            msg.contains("US") && msg.contains("European Economic Area"),
            "{msg}"
        );
        assert_eq!(EEA_COUNTRIES.len(), 30);
    }
}
