//! Bounded XML reading over quick-xml, for the streaming xlsx and ods readers.
//!
//! quick-xml copies each event (a tag, a run of text) whole into a buffer and remembers the names of
//! the open elements: a hostile file could make either grow without end. [`BoundedInput`] refuses an
//! event longer than [`MAX_EVENT`] bytes while it is being read, and [`Xml::next`] refuses nesting
//! deeper than [`MAX_DEPTH`]; so an XML part costs at most a few MiB whatever its size.

use std::borrow::Cow;
use std::io::{self, BufRead, BufReader, Read};

use quick_xml::events::{BytesStart, Event};

use super::CheckError;

/// Longest XML event (tag or run of text) accepted: a cell of Excel holds at most 32,767 characters.
pub(crate) const MAX_EVENT: usize = 512 * 1024;
/// Deepest element nesting accepted (spreadsheets nest about ten levels deep).
pub(crate) const MAX_DEPTH: usize = 64;

/// The marker of the I/O error raised by [`BoundedInput`].
#[derive(Debug)]
struct EventTooLong;

impl std::fmt::Display for EventTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "XML event longer than {MAX_EVENT} bytes")
    }
}

impl std::error::Error for EventTooLong {}

/// A buffered input that fails once more than [`MAX_EVENT`] bytes have been consumed since the last
/// [`BoundedInput::mark`], i.e. within one XML event.
pub(crate) struct BoundedInput<R> {
    inner: BufReader<R>,
    since_mark: usize,
}

impl<R: Read> BoundedInput<R> {
    fn mark(&mut self) {
        self.since_mark = 0;
    }
}

impl<R: Read> Read for BoundedInput<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let buf = self.fill_buf()?;
            let n = buf.len().min(out.len());
            out[..n].copy_from_slice(&buf[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for BoundedInput<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.since_mark > MAX_EVENT {
            return Err(io::Error::other(EventTooLong));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.since_mark = self.since_mark.saturating_add(amt);
        self.inner.consume(amt);
    }
}

/// A streaming XML reader with bounded memory.
pub(crate) struct Xml<R> {
    reader: quick_xml::Reader<BoundedInput<R>>,
    buf: Vec<u8>,
    depth: usize,
    corrupt: fn() -> CheckError,
}

impl<R: Read> Xml<R> {
    /// Reads `input`; `corrupt` makes the error for malformed XML.
    pub(crate) fn new(input: R, corrupt: fn() -> CheckError) -> Self {
        let mut reader = quick_xml::Reader::from_reader(BoundedInput {
            inner: BufReader::with_capacity(64 * 1024, input),
            since_mark: 0,
        });
        let config = reader.config_mut();
        config.check_end_names = false;
        config.expand_empty_elements = false;
        Self {
            reader,
            buf: Vec::with_capacity(4096),
            depth: 0,
            corrupt,
        }
    }

    /// The next event (`Event::Eof` at the end).
    pub(crate) fn next(&mut self) -> Result<Event<'_>, CheckError> {
        self.buf.clear();
        if self.buf.capacity() > 4 * MAX_EVENT {
            self.buf = Vec::with_capacity(4096);
        }
        self.reader.get_mut().mark();
        let event = match self.reader.read_event_into(&mut self.buf) {
            Ok(e) => e,
            Err(quick_xml::Error::Io(e)) => {
                if e.get_ref().is_some_and(|i| i.is::<EventTooLong>()) {
                    return Err(CheckError::too_large(
                        format!(
                            "Fichier refusé : un élément XML dépasse {} Kio.",
                            MAX_EVENT >> 10
                        ),
                        format!(
                            "File refused: an XML item is longer than {} KiB.",
                            MAX_EVENT >> 10
                        ),
                    ));
                }
                return Err(match std::sync::Arc::try_unwrap(e) {
                    Ok(io) if io.kind() == io::ErrorKind::InvalidData => (self.corrupt)(),
                    Ok(io) => CheckError::Io(io),
                    Err(_) => (self.corrupt)(),
                });
            }
            Err(_) => return Err((self.corrupt)()),
        };
        match &event {
            Event::Start(_) => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(CheckError::too_large(
                        "Fichier refusé : éléments XML imbriqués trop profondément.",
                        "File refused: XML elements nested too deeply.",
                    ));
                }
            }
            Event::End(_) => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
        Ok(event)
    }

    /// Skips to the end of the element just started (its children included).
    pub(crate) fn skip_element(&mut self) -> Result<(), CheckError> {
        let target = self.depth.saturating_sub(1);
        loop {
            let (eof, end) = match self.next()? {
                Event::Eof => (true, false),
                Event::End(_) => (false, true),
                _ => (false, false),
            };
            if eof {
                return Err((self.corrupt)());
            }
            if end && self.depth == target {
                return Ok(());
            }
        }
    }
}

/// Appends the text an event carries (text, CDATA, character or predefined entity reference) to
/// `out`; returns `false` for any other event.
pub(crate) fn append_text(event: &Event<'_>, out: &mut String) -> bool {
    match event {
        Event::Text(t) => out.push_str(&t.xml10_content()),
        Event::CData(t) => out.push_str(&t.xml10_content()),
        Event::GeneralRef(r) => {
            if let Ok(Some(c)) = r.resolve_char_ref() {
                out.push(c);
            } else if let Some(s) = quick_xml::escape::resolve_predefined_entity(&r.xml10_content())
            {
                out.push_str(s);
            }
        }
        _ => return false,
    }
    true
}

/// The raw value of the attribute whose local name is `name` (any prefix).
pub(crate) fn attr<'a>(e: &'a BytesStart<'_>, name: &str) -> Option<Cow<'a, str>> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .map(|a| a.value)
}

/// The unescaped text value of the attribute whose local name is `name`.
pub(crate) fn attr_text(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .map(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(Cow::into_owned)
                .unwrap_or_else(|_| a.value.clone().into_owned())
        })
}

/// An attribute read as a non-negative integer.
pub(crate) fn attr_u64(e: &BytesStart<'_>, name: &str) -> Option<u64> {
    attr(e, name).and_then(|v| v.trim().parse().ok())
}
