//! Destruction certificates: RFC 8785 canonical JSON signed with the instance's Ed25519 key.
//!
//! A certificate is `{"payload": {...}, "signature": base64(Ed25519(JCS(payload))), "key_id"}`.
//! Anyone can check it with standard tools: canonicalise the payload (RFC 8785), verify the
//! signature with the public key served at `/.well-known/passerelle-signing-key`.

use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde_json::Value;
use sha2::Digest as _;

/// Why a certificate does not verify.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateError {
    /// Not a certificate document.
    #[error("this is not a destruction certificate: {0}")]
    Malformed(String),
    /// The payload holds a value RFC 8785 cannot represent here (a non-integer number).
    #[error("the payload cannot be canonicalised: {0}")]
    NotCanonical(String),
    /// The signature does not match the payload and key.
    #[error("the signature does not match: the certificate was altered or signed by another key")]
    BadSignature,
    /// The key id does not match the public key.
    #[error("the key id {0} does not match the public key")]
    KeyMismatch(String),
}

fn escape_into(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn canonical_into(out: &mut String, v: &Value) -> Result<(), CertificateError> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            // Integers within 2^53 print the same in ECMAScript and here; anything else is refused.
            match (n.as_i64(), n.as_u64()) {
                (Some(i), _) if i.unsigned_abs() <= (1 << 53) => out.push_str(&i.to_string()),
                (_, Some(u)) if u <= (1 << 53) => out.push_str(&u.to_string()),
                _ => return Err(CertificateError::NotCanonical(n.to_string())),
            }
        }
        Value::String(s) => escape_into(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_into(out, item)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            // RFC 8785 orders members by their names' UTF-16 code units.
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                escape_into(out, k);
                out.push(':');
                if let Some(value) = map.get(*k) {
                    canonical_into(out, value)?;
                }
            }
            out.push('}');
        }
    }
    Ok(())
}

/// The RFC 8785 (JCS) canonical form of a JSON value whose numbers are integers.
pub fn canonical(v: &Value) -> Result<String, CertificateError> {
    let mut out = String::new();
    canonical_into(&mut out, v)?;
    Ok(out)
}

/// The key id of a public key: the first 16 bytes of its SHA-256, hex.
pub fn key_id(public: &VerifyingKey) -> String {
    hex::encode(&sha2::Sha256::digest(public.as_bytes())[..16])
}

/// The instance's signing key.
#[derive(Clone)]
pub struct Signer {
    key: SigningKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("key_id", &self.key_id())
            .finish()
    }
}

impl Signer {
    /// A signer from a 32-byte seed (kept in the key store as a service key).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self {
            key: SigningKey::from_bytes(seed),
        }
    }

    /// The public key.
    pub fn public(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// The key id.
    pub fn key_id(&self) -> String {
        key_id(&self.public())
    }

    /// The public key as served at `/.well-known/passerelle-signing-key`.
    pub fn public_document(&self) -> Value {
        serde_json::json!({
            "key_id": self.key_id(),
            "algorithm": "Ed25519",
            "public_key": base64::engine::general_purpose::STANDARD.encode(self.public().as_bytes()),
        })
    }

    /// Signs a payload into a certificate document.
    pub fn sign(&self, payload: Value) -> Result<Value, CertificateError> {
        let signature = self.key.sign(canonical(&payload)?.as_bytes());
        Ok(serde_json::json!({
            "payload": payload,
            "signature": base64::engine::general_purpose::STANDARD.encode(signature.to_bytes()),
            "key_id": self.key_id(),
        }))
    }
}

/// Verifies a certificate document against `public` (or the public key the payload names).
/// Returns the key id that signed it.
pub fn verify(document: &Value, public: Option<&VerifyingKey>) -> Result<String, CertificateError> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let payload = document
        .get("payload")
        .ok_or_else(|| CertificateError::Malformed("no payload".into()))?;
    let signature = document
        .get("signature")
        .and_then(Value::as_str)
        .and_then(|s| b64.decode(s).ok())
        .and_then(|b| <[u8; 64]>::try_from(b.as_slice()).ok())
        .map(|b| Signature::from_bytes(&b))
        .ok_or_else(|| CertificateError::Malformed("no valid signature".into()))?;
    let claimed = document
        .get("key_id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let embedded = payload
        .pointer("/instance/public_key")
        .and_then(Value::as_str)
        .and_then(|s| b64.decode(s).ok())
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        .and_then(|b| VerifyingKey::from_bytes(&b).ok());
    let key = match (public, embedded) {
        (Some(k), _) => *k,
        (None, Some(k)) => k,
        (None, None) => return Err(CertificateError::Malformed("no public key".into())),
    };
    if key_id(&key) != claimed {
        return Err(CertificateError::KeyMismatch(claimed.to_owned()));
    }
    key.verify(canonical(payload)?.as_bytes(), &signature)
        .map_err(|_| CertificateError::BadSignature)?;
    Ok(claimed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_form_follows_rfc_8785() {
        // Member order by UTF-16 code units, no whitespace, minimal escapes.
        let v = json!({"b": [1, "x\ny"], "a": {"\u{20ac}": true, "\r": null}, "é": -5});
        assert_eq!(
            canonical(&v).unwrap(),
            "{\"a\":{\"\\r\":null,\"€\":true},\"b\":[1,\"x\\ny\"],\"é\":-5}"
        );
        assert!(canonical(&json!({"x": 1.5})).is_err());
    }

    #[test]
    fn signatures_verify_and_break_on_any_change() {
        let signer = Signer::from_seed(&[7u8; 32]);
        let payload = json!({"mission": {"name": "Étude OPS"}, "instance": {"public_key": base64::engine::general_purpose::STANDARD.encode(signer.public().as_bytes())}});
        let doc = signer.sign(payload).unwrap();
        assert_eq!(verify(&doc, None).unwrap(), signer.key_id());
        assert_eq!(
            verify(&doc, Some(&signer.public())).unwrap(),
            signer.key_id()
        );
        let mut altered = doc.clone();
        altered["payload"]["mission"]["name"] = json!("Étude OPT");
        assert_eq!(verify(&altered, None), Err(CertificateError::BadSignature));
        let other = Signer::from_seed(&[8u8; 32]);
        assert!(verify(&doc, Some(&other.public())).is_err());
    }
}
