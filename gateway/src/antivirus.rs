//! A small client for ClamAV's `clamd`: `PING` and `INSTREAM`, over a Unix socket or TCP.
//!
//! `INSTREAM` sends `zINSTREAM\0`, then the content in chunks each prefixed by its length as a
//! 4-byte big-endian number, then a zero-length chunk; clamd answers one NUL-terminated line:
//! `stream: OK`, `stream: <signature> FOUND`, or `<reason> ERROR` (for instance
//! `INSTREAM size limit exceeded. ERROR` past its `StreamMaxLength`).
//!
//! Every step has a deadline (connecting, each write, the reply) and the reply is bounded, so a
//! silent or babbling clamd can only make a scan fail, never hang or grow the gateway. The content
//! is passed through as it comes (the decrypted chunks of the store): nothing is written to disk
//! here. clamd itself spools the stream to its `TemporaryDirectory`, which operators should put
//! on a memory file system.

use bytes::Bytes;
use futures::{Stream, StreamExt as _};
use std::io;
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};

/// Longest reply accepted from clamd, in bytes (a signature line is well under 300).
const MAX_REPLY: usize = 4096;

/// The longest chunk sent at once (clamd's chunk length is a 32-bit number; its own default
/// `StreamMaxLength` is 25 MiB, and store chunks are 64 KiB anyway).
const MAX_CHUNK: usize = 1024 * 1024;

/// Where clamd listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Its `LocalSocket`.
    Unix(PathBuf),
    /// Its `TCPAddr`:`TCPSocket`, as `host:port`.
    Tcp(String),
}

/// What clamd said of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing found.
    Clean,
    /// A signature matched: its name.
    Infected(String),
    /// clamd did not scan all of it: a limit (its name or clamd's words), e.g.
    /// `Heuristics.Limits.Exceeded.MaxFileSize` (with `AlertExceedsMax yes`) or
    /// `INSTREAM size limit exceeded.` (past `StreamMaxLength`).
    LimitExceeded(String),
}

/// Why no verdict could be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClamdError {
    /// Connecting failed (clamd down, wrong path or address).
    #[error("clamd cannot be reached at {target}: {reason}")]
    Unreachable {
        /// Where it was looked for.
        target: String,
        /// The system's words.
        reason: String,
    },
    /// clamd did not answer in time.
    #[error("clamd did not answer in time ({0})")]
    Timeout(&'static str),
    /// clamd answered `... ERROR` for another reason than a size limit, or closed the connection.
    #[error("clamd refused the scan: {0}")]
    Refused(String),
    /// An answer that is not clamd's protocol.
    #[error("unexpected answer from clamd: {0}")]
    Protocol(String),
    /// The content could not be read (from the store): not clamd's fault.
    #[error("reading the content to scan: {0}")]
    Input(io::Error),
}

trait Conn: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Conn for T {}

/// A clamd to ask.
#[derive(Debug, Clone)]
pub struct Clamd {
    target: Target,
    connect_timeout: Duration,
    io_timeout: Duration,
}

impl Clamd {
    /// A client for `target`; `io_timeout` bounds each write and the wait for the reply.
    pub fn new(target: Target, connect_timeout: Duration, io_timeout: Duration) -> Self {
        Self {
            target,
            connect_timeout,
            io_timeout,
        }
    }

    fn describe(&self) -> String {
        match &self.target {
            Target::Unix(p) => p.display().to_string(),
            Target::Tcp(a) => a.clone(),
        }
    }

    async fn connect(&self) -> Result<Box<dyn Conn>, ClamdError> {
        let unreachable = |e: io::Error| ClamdError::Unreachable {
            target: self.describe(),
            reason: e.to_string(),
        };
        let attempt = async {
            Ok::<Box<dyn Conn>, io::Error>(match &self.target {
                Target::Unix(path) => Box::new(tokio::net::UnixStream::connect(path).await?),
                Target::Tcp(addr) => Box::new(tokio::net::TcpStream::connect(addr.as_str()).await?),
            })
        };
        match tokio::time::timeout(self.connect_timeout, attempt).await {
            Ok(conn) => conn.map_err(unreachable),
            Err(_) => Err(ClamdError::Timeout("connecting")),
        }
    }

    /// Whether clamd answers `PONG` to `PING`.
    pub async fn ping(&self) -> Result<(), ClamdError> {
        let mut conn = self.connect().await?;
        self.write(&mut conn, b"zPING\0").await?;
        let reply = self.reply(&mut conn).await?;
        if reply == "PONG" {
            Ok(())
        } else {
            Err(ClamdError::Protocol(reply))
        }
    }

    /// Streams `content` to clamd with `INSTREAM` and returns its verdict.
    pub async fn scan<S>(&self, content: S) -> Result<Verdict, ClamdError>
    where
        S: Stream<Item = io::Result<Bytes>> + Unpin,
    {
        let mut conn = self.connect().await?;
        self.write(&mut conn, b"zINSTREAM\0").await?;
        match self.send_chunks(&mut conn, content).await {
            Ok(()) => {}
            // clamd stops reading and answers once the stream passes its `StreamMaxLength`: the
            // write fails (broken pipe, reset) but its answer is waiting.
            Err(ClamdError::Unreachable { .. }) => {}
            Err(e) => return Err(e),
        }
        parse_reply(&self.reply(&mut conn).await?)
    }

    async fn send_chunks<S>(
        &self,
        conn: &mut Box<dyn Conn>,
        mut content: S,
    ) -> Result<(), ClamdError>
    where
        S: Stream<Item = io::Result<Bytes>> + Unpin,
    {
        while let Some(chunk) = content.next().await {
            let chunk = chunk.map_err(ClamdError::Input)?;
            for piece in chunk.chunks(MAX_CHUNK) {
                let len = u32::try_from(piece.len()).unwrap_or(u32::MAX);
                self.write(conn, &len.to_be_bytes()).await?;
                self.write(conn, piece).await?;
            }
        }
        self.write(conn, &0u32.to_be_bytes()).await
    }

    async fn write(&self, conn: &mut Box<dyn Conn>, bytes: &[u8]) -> Result<(), ClamdError> {
        match tokio::time::timeout(self.io_timeout, conn.write_all(bytes)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(ClamdError::Unreachable {
                target: self.describe(),
                reason: e.to_string(),
            }),
            Err(_) => Err(ClamdError::Timeout("sending the content")),
        }
    }

    /// Reads one reply: up to its NUL (or the end of the connection), at most [`MAX_REPLY`] bytes.
    async fn reply(&self, conn: &mut Box<dyn Conn>) -> Result<String, ClamdError> {
        let read = async {
            let mut reply = Vec::with_capacity(128);
            let mut buf = [0u8; 512];
            loop {
                let n = conn.read(&mut buf).await?;
                if n == 0 {
                    return Ok::<_, io::Error>(Some(reply));
                }
                if let Some(end) = buf[..n].iter().position(|b| *b == 0) {
                    reply.extend_from_slice(&buf[..end]);
                    return Ok(Some(reply));
                }
                reply.extend_from_slice(&buf[..n]);
                if reply.len() > MAX_REPLY {
                    return Ok(None);
                }
            }
        };
        let reply = match tokio::time::timeout(self.io_timeout, read).await {
            Err(_) => return Err(ClamdError::Timeout("waiting for the verdict")),
            Ok(Err(e)) => {
                return Err(ClamdError::Unreachable {
                    target: self.describe(),
                    reason: e.to_string(),
                })
            }
            Ok(Ok(None)) => {
                return Err(ClamdError::Protocol(format!(
                    "a reply longer than {MAX_REPLY} bytes"
                )))
            }
            Ok(Ok(Some(r))) => r,
        };
        if reply.is_empty() {
            return Err(ClamdError::Refused(
                "it closed the connection without an answer".into(),
            ));
        }
        Ok(String::from_utf8_lossy(&reply).trim().to_owned())
    }
}

/// Keeps what is safe to show and record of a name clamd gave: printable ASCII, 200 characters.
fn clean_name(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(200)
        .collect()
}

/// Reads clamd's answer to `INSTREAM`.
pub(crate) fn parse_reply(reply: &str) -> Result<Verdict, ClamdError> {
    let reply = reply.trim_end_matches(['\0', '\n', '\r']).trim();
    let body = reply.strip_prefix("stream:").map(str::trim);
    if body == Some("OK") {
        return Ok(Verdict::Clean);
    }
    if let Some(name) = body.and_then(|b| b.strip_suffix(" FOUND")) {
        let name = clean_name(name.trim());
        if name.is_empty() {
            return Err(ClamdError::Protocol(clean_name(reply)));
        }
        // With `AlertExceedsMax yes`, clamd reports what it did not scan past a limit as a
        // heuristic "finding": that is a scan left unfinished, not a virus.
        return Ok(if name.starts_with("Heuristics.Limits.Exceeded") {
            Verdict::LimitExceeded(name)
        } else {
            Verdict::Infected(name)
        });
    }
    if let Some(reason) = reply.strip_suffix("ERROR") {
        let reason = clean_name(reason.trim_start_matches("stream:").trim());
        return if reason.to_ascii_lowercase().contains("size limit") {
            Ok(Verdict::LimitExceeded(reason))
        } else {
            Err(ClamdError::Refused(reason))
        };
    }
    Err(ClamdError::Protocol(clean_name(reply)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_read_as_clamd_words_them() {
        assert_eq!(parse_reply("stream: OK").unwrap(), Verdict::Clean);
        assert_eq!(
            parse_reply("stream: Eicar-Test-Signature.UNOFFICIAL FOUND\0").unwrap(),
            Verdict::Infected("Eicar-Test-Signature.UNOFFICIAL".into())
        );
        assert_eq!(
            parse_reply("stream: Heuristics.Limits.Exceeded.MaxFileSize FOUND").unwrap(),
            Verdict::LimitExceeded("Heuristics.Limits.Exceeded.MaxFileSize".into())
        );
        assert_eq!(
            parse_reply("INSTREAM size limit exceeded. ERROR").unwrap(),
            Verdict::LimitExceeded("INSTREAM size limit exceeded.".into())
        );
        assert!(matches!(
            parse_reply("stream: Can't allocate memory ERROR"),
            Err(ClamdError::Refused(_))
        ));
        assert!(matches!(parse_reply("PONG"), Err(ClamdError::Protocol(_))));
        assert!(matches!(
            parse_reply("stream:  FOUND"),
            Err(ClamdError::Protocol(_))
        ));
        assert_eq!(
            parse_reply("stream: Bad\u{7}Name\n FOUND").unwrap(),
            Verdict::Infected("BadName".into()),
            "control characters never reach a message or the trail"
        );
    }

    fn client(path: PathBuf, secs: u64) -> Clamd {
        Clamd::new(
            Target::Unix(path),
            Duration::from_secs(secs),
            Duration::from_secs(secs),
        )
    }

    #[tokio::test]
    async fn a_silent_peer_times_out_and_a_babbling_one_is_cut_short() {
        let dir = tempfile::tempdir().unwrap();
        let silent = dir.path().join("silent.sock");
        let listener = tokio::net::UnixListener::bind(&silent).unwrap();
        let held = tokio::spawn(async move {
            let (conn, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(30)).await;
            drop(conn);
        });
        let started = std::time::Instant::now();
        let content = futures::stream::iter([Ok(Bytes::from_static(b"a;b\n"))]);
        let err = client(silent, 1).scan(content).await.unwrap_err();
        assert!(matches!(err, ClamdError::Timeout(_)), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
        held.abort();

        let babbling = dir.path().join("babbling.sock");
        let listener = tokio::net::UnixListener::bind(&babbling).unwrap();
        tokio::spawn(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            let noise = vec![b'x'; 64 * 1024];
            while conn.write_all(&noise).await.is_ok() {}
        });
        let err = client(babbling, 5).ping().await.unwrap_err();
        assert!(matches!(err, ClamdError::Protocol(_)), "{err}");

        let nowhere = dir.path().join("nowhere.sock");
        let err = client(nowhere, 1).ping().await.unwrap_err();
        assert!(matches!(err, ClamdError::Unreachable { .. }), "{err}");
    }
}
