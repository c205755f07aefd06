//! The SHA-256 of a certificate's SubjectPublicKeyInfo, base64-encoded: what chromium's
//! `--ignore-certificate-errors-spki-list` expects to trust exactly one self-signed certificate.

use base64::Engine as _;
use sha2::{Digest as _, Sha256};

/// One DER element: its tag, and the whole element (header and content) and its content.
struct Element<'a> {
    tag: u8,
    whole: &'a [u8],
    content: &'a [u8],
}

/// Reads the DER element at the start of `input`; returns it and what follows.
fn element(input: &[u8]) -> (Element<'_>, &[u8]) {
    let tag = input[0];
    let first = input[1];
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        let len = input[2..2 + n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, 2 + n)
    };
    let (whole, rest) = input.split_at(header + len);
    (
        Element {
            tag,
            whole,
            content: &whole[header..],
        },
        rest,
    )
}

/// The DER SubjectPublicKeyInfo of an X.509 certificate (RFC 5280, section 4.1).
fn spki_der(cert_der: &[u8]) -> &[u8] {
    const SEQUENCE: u8 = 0x30;
    const VERSION: u8 = 0xa0;
    let (certificate, _) = element(cert_der);
    assert_eq!(certificate.tag, SEQUENCE, "not a certificate");
    let (tbs, _) = element(certificate.content);
    assert_eq!(tbs.tag, SEQUENCE, "not a TBSCertificate");
    let mut rest = tbs.content;
    let (first, after) = element(rest);
    if first.tag == VERSION {
        rest = after;
    }
    // serialNumber, signature, issuer, validity, subject, then subjectPublicKeyInfo.
    for _ in 0..5 {
        rest = element(rest).1;
    }
    let (spki, _) = element(rest);
    assert_eq!(spki.tag, SEQUENCE, "not a SubjectPublicKeyInfo");
    spki.whole
}

/// Base64 of the SHA-256 of the first certificate's public key in a PEM chain.
pub(super) fn spki_sha256_base64(cert_pem: &[u8]) -> String {
    let der = rustls_pemfile::certs(&mut &cert_pem[..])
        .next()
        .expect("a certificate in the PEM")
        .unwrap();
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(spki_der(&der)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spki_is_the_generated_keys_public_key() {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let expected =
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(key.public_key_der()));
        assert_eq!(spki_sha256_base64(cert.pem().as_bytes()), expected);
    }
}
