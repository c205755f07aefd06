//! Reading the few S3 XML answers the backend needs: the texts of elements by local name.

use quick_xml::events::Event;
use quick_xml::Reader;

/// Texts of every element whose local name is `tag`, in document order.
pub(crate) fn texts(xml: &[u8], tag: &str) -> Vec<String> {
    let mut reader = Reader::from_reader(xml);
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    let mut buf = Vec::new();
    loop {
        let event = match reader.read_event_into(&mut buf) {
            Ok(Event::Eof) | Err(_) => break,
            Ok(e) => e,
        };
        match &event {
            Event::Start(e) if e.local_name().into_inner() == tag => {
                current = Some(String::new());
            }
            Event::Empty(e) if e.local_name().into_inner() == tag => {
                out.push(String::new());
            }
            Event::End(e) if e.local_name().into_inner() == tag => {
                if let Some(t) = current.take() {
                    out.push(t);
                }
            }
            Event::Text(t) => {
                if let Some(c) = current.as_mut() {
                    c.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(c) = current.as_mut() {
                    if let Ok(Some(ch)) = r.resolve_char_ref() {
                        c.push(ch);
                    } else if let Some(s) =
                        quick_xml::escape::resolve_predefined_entity(&r.xml10_content())
                    {
                        c.push_str(s);
                    }
                }
            }
            _ => {}
        }
        buf.clear();
    }
    out
}

/// Text of the first element named `tag`.
pub(crate) fn first_text(xml: &[u8], tag: &str) -> Option<String> {
    texts(xml, tag).into_iter().next()
}

/// Escapes a text for an XML element.
pub(crate) fn escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_texts() {
        let xml = br#"<?xml version="1.0"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Contents><Key>m/a&amp;b</Key></Contents><Contents><Key>m/c</Key></Contents><IsTruncated>false</IsTruncated></ListBucketResult>"#;
        assert_eq!(texts(xml, "Key"), ["m/a&b", "m/c"]);
        assert_eq!(first_text(xml, "IsTruncated").as_deref(), Some("false"));
        assert_eq!(first_text(xml, "Nope"), None);
    }
}
