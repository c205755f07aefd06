//! A front for the test S3 server that fails the calls a test chooses, as a real object store
//! does now and then (`503 SlowDown`, a connection dropped before the answer). It reads each
//! call's request line, asks the test's rule what to do, and passes the others through to the
//! server one call per connection (`Connection: close` is added), so that it sees every call.

#![allow(unreachable_pub, dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the front does with one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// Passed through to the server.
    Pass,
    /// Answered `503 SlowDown`, the connection then closed.
    SlowDown,
    /// The connection closed without an answer.
    Drop,
}

/// The rule: given the call's number (from 0) and its request line, what to do.
pub type Rule = dyn Fn(usize, &str) -> Act + Send + Sync;

pub struct Front {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The request lines seen, in order, with what was done.
    pub seen: Arc<std::sync::Mutex<Vec<(String, Act)>>>,
}

impl Front {
    /// Starts a front for the server at `upstream` (`host:port`).
    pub async fn start(upstream: String, rule: Arc<Rule>) -> Front {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let count = Arc::new(AtomicUsize::new(0));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (rule, log, count, upstream) =
                    (rule.clone(), log.clone(), count.clone(), upstream.clone());
                tokio::spawn(async move {
                    let _ = serve(client, &upstream, &*rule, &log, &count).await;
                });
            }
        });
        Front { endpoint, seen }
    }

    /// How many calls were answered `act`.
    pub fn count(&self, act: Act) -> usize {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, a)| *a == act)
            .count()
    }
}

async fn serve(
    mut client: TcpStream,
    upstream: &str,
    rule: &Rule,
    log: &std::sync::Mutex<Vec<(String, Act)>>,
    count: &AtomicUsize,
) -> std::io::Result<()> {
    // The request head (the body, if any, follows it).
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte).await? == 0 || head.len() > 64 * 1024 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let line = text.lines().next().unwrap_or_default().to_owned();
    let act = rule(count.fetch_add(1, Ordering::SeqCst), &line);
    log.lock().unwrap().push((line, act));
    match act {
        Act::Drop => Ok(()),
        Act::SlowDown => {
            let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>\
                <Message>Please reduce your request rate.</Message></Error>";
            let answer = format!(
                "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            client.write_all(answer.as_bytes()).await?;
            client.shutdown().await
        }
        Act::Pass => {
            let mut server = TcpStream::connect(upstream).await?;
            let head = text.trim_end_matches("\r\n").to_owned() + "\r\nConnection: close\r\n\r\n";
            server.write_all(head.as_bytes()).await?;
            tokio::io::copy_bidirectional(&mut client, &mut server).await?;
            Ok(())
        }
    }
}
