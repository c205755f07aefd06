//! QR codes drawn on the server as inline SVG: no image service, no script, nothing fetched.

use qrcode::{Color, EcLevel, QrCode};
use std::fmt::Write as _;

/// The blank margin around the code, in modules (the standard asks for four).
const QUIET_ZONE: usize = 4;

/// `text` as an SVG QR code (one `<path>`, dark modules on white), or `None` when the text is
/// too long for a QR code. The image carries no text of its own: the page labels it.
pub fn svg(text: &str, label_id: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let width = code.width();
    let size = width + 2 * QUIET_ZONE;
    let colors = code.to_colors();
    let mut path = String::new();
    for (y, row) in colors.chunks(width).enumerate() {
        let mut x = 0;
        while x < width {
            if row[x] == Color::Dark {
                // One horizontal run of dark modules becomes one rectangle.
                let start = x;
                while x < width && row[x] == Color::Dark {
                    x += 1;
                }
                let _ = write!(
                    path,
                    "M{} {}h{}v1h-{}z",
                    start + QUIET_ZONE,
                    y + QUIET_ZONE,
                    x - start,
                    x - start
                );
            } else {
                x += 1;
            }
        }
    }
    Some(format!(
        "<svg class=\"qr\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" \
         role=\"img\" aria-labelledby=\"{label_id}\" shape-rendering=\"crispEdges\">\
         <rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{path}\"/></svg>"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_scannable_square() {
        let svg = svg(
            "otpauth://totp/Passerelle:marie?secret=ABCD&issuer=Passerelle",
            "qr-legende",
        )
        .unwrap();
        assert!(svg.starts_with("<svg class=\"qr\""));
        assert!(svg.contains("aria-labelledby=\"qr-legende\""));
        // Version 4 at level M for this length: 33 modules plus the quiet zone.
        assert!(svg.contains("viewBox=\"0 0 41 41\""), "{svg}");
        // The three finder patterns start with a run of seven dark modules at the quiet zone.
        assert!(svg.contains("M4 4h7v1h-7z"), "{svg}");
        assert!(!svg.contains("style"));
        assert!(!svg.contains("otpauth"), "the secret is drawn, not written");
    }

    #[test]
    fn too_long_is_none() {
        assert!(svg(&"x".repeat(5000), "l").is_none());
    }
}
