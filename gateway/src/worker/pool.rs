//! The gateway side: starts a worker per check, serves it the file's plaintext range by range, and
//! reads its report. At most `checks.max_parallel` workers run at once; the others wait their turn
//! in order (tokio's semaphore is fair). An abort, a limit hit or the deadline ends the worker,
//! never the gateway: the caller gets a [`Failure`] that says why in plain words.

use super::child::Limits;
use super::protocol::{
    write_frame, Job, Report, MAX_BLOCK_BYTES, MAX_REPORT_BYTES, TAG_DONE, TAG_READ,
};
use bytes::{Bytes, BytesMut};
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::StreamExt as _;
use std::io;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWriteExt as _};
use tokio::process::{ChildStdin, Command};
use tokio::sync::Semaphore;

/// Opens the file's plaintext from a byte offset to its end.
pub type OpenFrom = Box<
    dyn FnMut(u64) -> BoxFuture<'static, io::Result<BoxStream<'static, io::Result<Bytes>>>> + Send,
>;

/// The settings of the worker pool.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// The program to run as `PROGRAM check-worker …` (the gateway's own binary by default).
    pub program: PathBuf,
    /// Address space of a worker, in MiB.
    pub memory_mib: u64,
    /// Wall-clock deadline of a check (also its CPU-seconds limit).
    pub timeout: Duration,
    /// Most workers at once.
    pub max_parallel: usize,
}

/// Why a check did not produce a report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Failure {
    /// The worker exceeded its address space and aborted.
    #[error("the check needed more than {0} MiB of memory")]
    Memory(u64),
    /// The worker exceeded its CPU seconds.
    #[error("the check used more than {0} s of CPU")]
    Cpu(u64),
    /// The wall-clock deadline passed.
    #[error("the check did not finish within {0} s")]
    Timeout(u64),
    /// The worker died otherwise (a crash in a reader).
    #[error("the check worker stopped: {0}")]
    Crashed(String),
    /// The worker could not be started, or the store could not be read.
    #[error("the check could not run: {0}")]
    Unavailable(String),
}

impl Failure {
    /// Why, in French, for the person who sent the file.
    pub fn reason_fr(&self) -> String {
        match self {
            Self::Memory(mib) => format!("Le contrôle de ce fichier demandait plus de {mib} Mo de mémoire : il a été arrêté."),
            Self::Cpu(s) => format!("Le contrôle de ce fichier demandait plus de {s} secondes de calcul : il a été arrêté."),
            Self::Timeout(s) => format!("Le contrôle de ce fichier n'a pas abouti en {s} secondes : il a été arrêté."),
            Self::Crashed(_) => "Le lecteur de ce fichier s'est arrêté sur une erreur : le fichier est peut-être endommagé.".to_owned(),
            Self::Unavailable(_) => "Le contrôle de ce fichier n'a pas pu être lancé.".to_owned(),
        }
    }

    /// Why, in English.
    pub fn reason_en(&self) -> String {
        match self {
            Self::Memory(mib) => {
                format!("Checking this file needed more than {mib} MiB of memory: it was stopped.")
            }
            Self::Cpu(s) => {
                format!("Checking this file needed more than {s} seconds of CPU: it was stopped.")
            }
            Self::Timeout(s) => {
                format!("Checking this file did not finish within {s} seconds: it was stopped.")
            }
            Self::Crashed(_) => {
                "The reader of this file stopped on an error: the file may be damaged.".to_owned()
            }
            Self::Unavailable(_) => "The check of this file could not be started.".to_owned(),
        }
    }
}

/// Runs checks in isolated worker processes.
#[derive(Debug)]
pub struct Checker {
    settings: PoolSettings,
    slots: Semaphore,
    live_slots: Semaphore,
}

/// How a conversation ended.
enum Ended {
    Report(Report),
    /// The worker stopped talking (it died, or it broke the protocol): its exit status says why.
    Broken(String),
    /// The store could not be read: not the file's fault.
    Source(io::Error),
}

/// Reads exactly `buf.len()` bytes, `None` on a clean end of stream before the first byte.
async fn read_tag(out: &mut (impl AsyncRead + Unpin)) -> io::Result<Option<u8>> {
    let mut tag = [0u8; 1];
    match out.read(&mut tag).await? {
        0 => Ok(None),
        _ => Ok(Some(tag[0])),
    }
}

/// The open plaintext stream, kept between sequential requests.
struct Cursor {
    next: u64,
    stream: BoxStream<'static, io::Result<Bytes>>,
    leftover: Bytes,
}

/// Answers one range request: `len` bytes from `offset`, fewer only at the end of the file (which,
/// for a file still arriving, is where its stream ends).
async fn serve(
    stdin: &mut ChildStdin,
    open: &mut OpenFrom,
    cursor: &mut Option<Cursor>,
    size: Option<u64>,
    offset: u64,
    len: u32,
) -> Result<(), Ended> {
    if len == 0 || len > MAX_BLOCK_BYTES || size.is_some_and(|size| offset >= size) {
        return Err(Ended::Broken(format!(
            "range request out of bounds ({offset}+{len} of {size:?})"
        )));
    }
    let n = match size {
        Some(size) => u64::from(len).min(size - offset),
        None => u64::from(len),
    };
    if cursor.as_ref().is_none_or(|c| c.next != offset) {
        *cursor = Some(Cursor {
            next: offset,
            stream: open(offset).await.map_err(Ended::Source)?,
            leftover: Bytes::new(),
        });
    }
    let Some(c) = cursor.as_mut() else {
        return Err(Ended::Broken("no open stream".into()));
    };
    // At most one block (MAX_BLOCK_BYTES) is gathered before it is sent.
    let mut block = Block::default();
    let mut got = 0u64;
    while got < n {
        if c.leftover.is_empty() {
            c.leftover = match c.stream.next().await {
                Some(Ok(b)) => b,
                Some(Err(e)) => return Err(Ended::Source(e)),
                None if size.is_none() => break,
                None => {
                    return Err(Ended::Source(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the stored file is shorter than its recorded size",
                    )))
                }
            };
        }
        let take = (n - got).min(c.leftover.len() as u64) as usize;
        block.push(c.leftover.split_to(take));
        got += take as u64;
    }
    // `got` is at most MAX_BLOCK_BYTES.
    write_block(stdin, (got as u32).to_be_bytes(), &block.pieces())
        .await
        .map_err(|e| Ended::Broken(format!("writing to the worker: {e}")))?;
    c.next = offset + got;
    Ok(())
}

/// Pieces of a block smaller than this are copied together before they are sent.
const SMALL_PIECE: usize = 16 * 1024;

/// A block being gathered for the worker. Network chunks come in all sizes: small ones are copied
/// together, so that a block is a bounded number of pieces (at most two per [`SMALL_PIECE`] of
/// it, plus one) however the client cuts its upload; a client sending one byte at a time cannot
/// make it a million.
#[derive(Default)]
struct Block {
    pieces: Vec<Bytes>,
    small: BytesMut,
}

impl Block {
    fn push(&mut self, piece: Bytes) {
        if piece.len() < SMALL_PIECE {
            self.small.extend_from_slice(&piece);
            if self.small.len() >= SMALL_PIECE {
                self.pieces.push(self.small.split().freeze());
            }
        } else {
            if !self.small.is_empty() {
                self.pieces.push(self.small.split().freeze());
            }
            self.pieces.push(piece);
        }
    }

    /// The pieces, in order.
    fn pieces(mut self) -> Vec<Bytes> {
        if !self.small.is_empty() {
            self.pieces.push(self.small.freeze());
        }
        self.pieces
    }
}

/// Most pieces handed to one `writev` (Linux's `IOV_MAX` is 1,024).
const MAX_IOV: usize = 512;

/// Writes a block's length and its pieces to the worker, in as few system calls as the pipe's room
/// allows. One write per network chunk would wake the worker once per chunk, and the two
/// processes would then spend their time taking turns at the pipe's lock.
async fn write_block(stdin: &mut ChildStdin, header: [u8; 4], pieces: &[Bytes]) -> io::Result<()> {
    let mut slices: Vec<io::IoSlice<'_>> = std::iter::once(&header[..])
        .chain(pieces.iter().map(|p| &p[..]))
        .map(io::IoSlice::new)
        .collect();
    let mut rest = &mut slices[..];
    while !rest.is_empty() {
        let upto = rest.len().min(MAX_IOV);
        let n = stdin.write_vectored(&rest[..upto]).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        io::IoSlice::advance_slices(&mut rest, n);
    }
    stdin.flush().await
}

/// The plaintext of an upload, pushed to the worker checking it as it arrives, from the store's
/// own thread ([`storage::PlainTap`]): each block the store has just hashed is written to the
/// worker in one system call, while it is still in the processor's cache, without a copy or a
/// hop through the async side. The connection's room is the back-pressure: a worker slower than
/// the upload slows the upload down to its pace.
///
/// The connection is a Unix stream socket, not a pipe. A pipe has one lock for both of its ends,
/// held while a whole block is copied in or out: the worker, coming back for more while a block
/// was being written, spun on that lock for a fifth of its CPU time, and the store's thread
/// waited on the pipe for 250–500 ms per 500 MB deposit. A socket queues what is sent while the
/// receiver reads (`bench/README.md` has the figures).
///
/// A worker that has stopped reading (it concluded, or it died) closes its end: the feed then
/// stops and the upload goes on without it. The check's deadline starts when the feed ends.
pub struct Feed {
    socket: Option<UnixStream>,
    arrived: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Feed {
    fn stop(&mut self) {
        self.socket = None;
        if let Some(arrived) = self.arrived.take() {
            let _ = arrived.send(());
        }
    }
}

impl storage::PlainTap for Feed {
    fn block(&mut self, segments: &[&[u8]]) -> bool {
        let Some(socket) = self.socket.as_mut() else {
            return false;
        };
        let len: usize = segments.iter().map(|s| s.len()).sum();
        if len == 0 {
            // An empty block ends the file: never sent before the end.
            return true;
        }
        let Some(header) = u32::try_from(len)
            .ok()
            .filter(|&n| n <= MAX_BLOCK_BYTES)
            .map(u32::to_be_bytes)
        else {
            self.stop();
            return false;
        };
        let mut slices: Vec<io::IoSlice<'_>> = Vec::with_capacity(segments.len() + 1);
        slices.push(io::IoSlice::new(&header));
        slices.extend(segments.iter().map(|s| io::IoSlice::new(s)));
        if write_all_vectored(socket, &mut slices).is_err() {
            self.stop();
            return false;
        }
        true
    }

    fn end(&mut self) {
        if let Some(socket) = self.socket.as_mut() {
            use std::io::Write as _;
            let _ = socket.write_all(&0u32.to_be_bytes());
        }
        self.stop();
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Writes all of `slices` to a blocking socket.
fn write_all_vectored(
    socket: &mut UnixStream,
    mut slices: &mut [io::IoSlice<'_>],
) -> io::Result<()> {
    use std::io::Write as _;
    while !slices.is_empty() {
        match socket.write_vectored(slices) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => io::IoSlice::advance_slices(&mut slices, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The connection of a [`Feed`]: our end, to write to, and the worker's, its stdin. Each end
/// only goes one way (a worker cannot write back on its stdin), both are close-on-exec (only the
/// worker holds its end, so that the feed sees it close when the worker goes), and our end has
/// room for [`FEED_ROOM`] bytes in flight where the system allows it.
///
/// A write that makes no progress for `stall` fails: a worker that neither reads nor exits (one
/// a hostile file took over, say) then ends the feed, the upload goes on without it, and the
/// check's deadline, which starts when the feed ends, stops the worker.
fn feed_socket(stall: Duration) -> io::Result<(UnixStream, std::os::fd::OwnedFd)> {
    let (ours, theirs) = UnixStream::pair()?;
    ours.shutdown(std::net::Shutdown::Read)?;
    theirs.shutdown(std::net::Shutdown::Write)?;
    ours.set_write_timeout(Some(stall.max(Duration::from_millis(1))))?;
    // Best effort: the system caps it (`net.core.wmem_max`, 208 KiB by default, which Linux
    // doubles), and a smaller room only means the upload waits for the worker a little sooner.
    let _ = rustix::net::sockopt::set_socket_send_buffer_size(&ours, FEED_ROOM);
    Ok((ours, theirs.into()))
}

/// The room asked for a [`Feed`]'s connection: four of the store's blocks (Linux doubles the
/// figure, to count its own bookkeeping in it).
const FEED_ROOM: usize = 1 << 20;

/// A check of a file still arriving, started by [`Checker::start_live`].
pub struct LiveCheck<'a> {
    checker: &'a Checker,
    worker: Worker,
    arrived: tokio::sync::oneshot::Receiver<()>,
    _place: tokio::sync::SemaphorePermit<'a>,
}

impl LiveCheck<'_> {
    /// The worker's report, once it has read the whole feed (or stopped before).
    pub async fn report(self) -> Result<Report, Failure> {
        self.checker
            .converse(self.worker, Source::Pushed, Some(self.arrived))
            .await
    }
}

/// Where a worker's file comes from.
enum Source {
    /// The store, range by range, as the worker asks.
    Stored(OpenFrom),
    /// A [`Feed`], in order: the worker asks for nothing.
    Pushed,
}

/// A worker just started, its job sent.
struct Worker {
    child: tokio::process::Child,
    /// The gateway's end of the worker's stdin, when it answers range requests.
    stdin: Option<ChildStdin>,
    stdout: tokio::process::ChildStdout,
    errors: tokio::task::JoinHandle<String>,
    limits: Limits,
    size: Option<u64>,
    /// The job, for a worker whose stdin is a [`ChildStdin`] (a pushed one has it already).
    job_frame: Vec<u8>,
}

impl Checker {
    /// A pool with these settings.
    pub fn new(settings: PoolSettings) -> Self {
        let slots = Semaphore::new(settings.max_parallel.max(1));
        let live_slots = Semaphore::new(settings.max_parallel.max(1) * 4);
        Self {
            settings,
            slots,
            live_slots,
        }
    }

    /// Runs `job` in a fresh worker, which reads the file through `open`.
    pub async fn run(&self, job: Job, open: OpenFrom) -> Result<Report, Failure> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|e| Failure::Unavailable(e.to_string()))?;
        let (worker, _) = self.start(&job, false)?;
        self.converse(worker, Source::Stored(open), None).await
    }

    /// A place for a check that reads a file while it is being uploaded, if one is free now.
    /// Such checks have places of their own (four per ordinary place): a worker reading an upload
    /// mostly waits for the network, and a slow uploader must not hold up everyone else's checks.
    /// `None`: check the file once stored, with [`Checker::run`].
    pub fn live_place(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.live_slots.try_acquire().ok()
    }

    /// Starts `job` on a file still arriving (its `size` is `None`), in a place taken with
    /// [`Checker::live_place`]: returns the [`Feed`] to hand the store
    /// ([`storage::BlobStore::write_tapped`]) and the check, whose report comes once the worker
    /// has read the feed. The deadline starts when the feed ends (the upload has ended, or the
    /// worker read nothing for as long as the deadline), so that a slow uploader is not taken
    /// for a slow reader; the CPU limit holds throughout.
    pub fn start_live<'a>(
        &'a self,
        job: Job,
        place: tokio::sync::SemaphorePermit<'a>,
    ) -> Result<(Feed, LiveCheck<'a>), Failure> {
        let job = Job { size: None, ..job };
        let (worker, socket) = self.start(&job, true)?;
        let (arrived_tx, arrived) = tokio::sync::oneshot::channel();
        let feed = Feed {
            socket,
            arrived: Some(arrived_tx),
        };
        let check = LiveCheck {
            checker: self,
            worker,
            arrived,
            _place: place,
        };
        Ok((feed, check))
    }

    /// Starts a worker and sends it `job`. With `pushed`, its stdin is a socket of our own whose
    /// blocking end is returned, for a [`Feed`].
    fn start(&self, job: &Job, pushed: bool) -> Result<(Worker, Option<UnixStream>), Failure> {
        let unavailable = |what: &str, e: io::Error| Failure::Unavailable(format!("{what}: {e}"));
        let secs = self.settings.timeout.as_secs().max(1);
        let limits = Limits {
            memory_mib: self.settings.memory_mib,
            cpu_secs: secs,
        };
        let body = serde_json::to_vec(job).map_err(|e| Failure::Unavailable(e.to_string()))?;
        let mut frame = Vec::with_capacity(body.len() + 4);
        write_frame(&mut frame, None, &body).map_err(|e| unavailable("the job", e))?;
        let (stdin, mut socket) = if pushed {
            let (ours, theirs) =
                feed_socket(self.settings.timeout).map_err(|e| unavailable("a socket", e))?;
            (Stdio::from(theirs), Some(ours))
        } else {
            (Stdio::piped(), None)
        };
        let mut child = Command::new(&self.settings.program)
            .arg(super::SUBCOMMAND)
            .args(limits.to_args())
            .env_clear()
            // One malloc arena: a single-threaded worker needs no more, and each arena reserves
            // address space the limit would count.
            .env("MALLOC_ARENA_MAX", "1")
            .current_dir("/")
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                Failure::Unavailable(format!("starting {}: {e}", self.settings.program.display()))
            })?;
        let stdin = child.stdin.take();
        let (Some(stdout), Some(mut stderr)) = (child.stdout.take(), child.stderr.take()) else {
            return Err(Failure::Unavailable("worker pipes missing".into()));
        };
        if let Some(stdin) = &stdin {
            // Room in the pipe for a whole block (the default 64 KiB would make each block cost
            // sixteen hand-overs between the two processes). Best effort: the system may cap it.
            let _ = rustix::pipe::fcntl_setpipe_size(stdin, super::child::BLOCK as usize);
        }
        if let Some(socket) = socket.as_mut() {
            // A few hundred bytes into an empty socket: this never waits.
            use std::io::Write as _;
            socket
                .write_all(&frame)
                .map_err(|e| unavailable("sending the job", e))?;
            frame = Vec::new();
        }
        // The first 4 KiB of what the worker says on stderr (an abort's message), the rest drained.
        let errors = tokio::spawn(async move {
            let mut kept = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                let room = 4096usize.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
            String::from_utf8_lossy(&kept).into_owned()
        });
        let worker = Worker {
            child,
            stdin,
            stdout,
            errors,
            limits,
            size: job.size,
            job_frame: frame,
        };
        Ok((worker, socket))
    }

    async fn converse(
        &self,
        worker: Worker,
        source: Source,
        arrived: Option<tokio::sync::oneshot::Receiver<()>>,
    ) -> Result<Report, Failure> {
        let Worker {
            mut child,
            mut stdin,
            stdout,
            errors,
            limits,
            size,
            job_frame,
        } = worker;
        let secs = limits.cpu_secs;
        let mut open = match source {
            Source::Stored(open) => Some(open),
            Source::Pushed => None,
        };
        let conversation = async {
            let mut stdout = tokio::io::BufReader::with_capacity(64 * 1024, stdout);
            if let Some(stdin) = stdin.as_mut() {
                if let Err(e) = stdin.write_all(&job_frame).await {
                    return Ended::Broken(format!("sending the job: {e}"));
                }
            }
            let mut cursor = None;
            loop {
                match read_tag(&mut stdout).await {
                    Ok(Some(TAG_READ)) => {
                        let mut req = [0u8; 12];
                        if let Err(e) = stdout.read_exact(&mut req).await {
                            return Ended::Broken(e.to_string());
                        }
                        let mut off = [0u8; 8];
                        off.copy_from_slice(&req[..8]);
                        let mut len = [0u8; 4];
                        len.copy_from_slice(&req[8..]);
                        let (offset, len) = (u64::from_be_bytes(off), u32::from_be_bytes(len));
                        let (Some(stdin), Some(open)) = (stdin.as_mut(), open.as_mut()) else {
                            // A pushed file is read front to back: a reader that needs another
                            // part of it makes it a file to check once stored.
                            return Ended::Source(io::Error::new(
                                io::ErrorKind::Unsupported,
                                "a file still arriving is read front to back only",
                            ));
                        };
                        if let Err(ended) = serve(stdin, open, &mut cursor, size, offset, len).await
                        {
                            return ended;
                        }
                    }
                    Ok(Some(TAG_DONE)) => {
                        let mut len = [0u8; 4];
                        if let Err(e) = stdout.read_exact(&mut len).await {
                            return Ended::Broken(e.to_string());
                        }
                        let len = u32::from_be_bytes(len);
                        if len > MAX_REPORT_BYTES {
                            return Ended::Broken(format!("report of {len} bytes"));
                        }
                        let mut body = vec![0u8; len as usize];
                        if let Err(e) = stdout.read_exact(&mut body).await {
                            return Ended::Broken(e.to_string());
                        }
                        return match serde_json::from_slice(&body) {
                            Ok(r) => Ended::Report(r),
                            Err(e) => Ended::Broken(format!("unreadable report: {e}")),
                        };
                    }
                    Ok(Some(other)) => return Ended::Broken(format!("unknown tag {other}")),
                    Ok(None) => return Ended::Broken("the worker closed its output".into()),
                    Err(e) => return Ended::Broken(e.to_string()),
                }
            }
        };
        let deadline = async {
            if let Some(arrived) = arrived {
                // Fired or dropped: either way the file has stopped arriving.
                let _ = arrived.await;
            }
            tokio::time::sleep(self.settings.timeout).await;
        };
        let ended = tokio::select! {
            ended = conversation => ended,
            () = deadline => {
                let _ = child.kill().await;
                return Err(Failure::Timeout(secs));
            }
        };
        match ended {
            Ended::Report(report) => {
                // The worker exits right after its report; do not let it linger.
                if tokio::time::timeout(Duration::from_secs(5), child.wait())
                    .await
                    .is_err()
                {
                    let _ = child.kill().await;
                }
                Ok(report)
            }
            Ended::Source(e) => {
                let _ = child.kill().await;
                Err(Failure::Unavailable(format!(
                    "reading the stored file: {e}"
                )))
            }
            Ended::Broken(why) => {
                let status = match tokio::time::timeout(Duration::from_secs(5), child.wait()).await
                {
                    Ok(Ok(s)) => Some(s),
                    _ => {
                        let _ = child.kill().await;
                        None
                    }
                };
                let said = errors.await.unwrap_or_default();
                Err(classify(status, &said, &why, limits))
            }
        }
    }
}

/// Turns a dead worker's exit status and last words into a [`Failure`].
fn classify(
    status: Option<std::process::ExitStatus>,
    stderr: &str,
    why: &str,
    limits: Limits,
) -> Failure {
    use std::os::unix::process::ExitStatusExt as _;
    let Some(status) = status else {
        return Failure::Crashed(format!("the worker hung after: {why}"));
    };
    const SIGABRT: i32 = 6;
    const SIGKILL: i32 = 9;
    const SIGXCPU: i32 = 24;
    match status.signal() {
        Some(SIGABRT) if stderr.contains("memory allocation") => Failure::Memory(limits.memory_mib),
        Some(SIGXCPU) | Some(SIGKILL) => Failure::Cpu(limits.cpu_secs),
        Some(sig) => Failure::Crashed(format!(
            "signal {sig}: {}",
            stderr.lines().last().unwrap_or(why)
        )),
        None if status.code() == Some(super::child::EXIT_NO_LIMITS) => {
            Failure::Unavailable(stderr.trim().to_owned())
        }
        None => Failure::Crashed(format!(
            "exit {:?} after: {why}; {}",
            status.code(),
            stderr.trim()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::worker::protocol::{CheckKind, DisclosureSettings};

    /// A block gathered from chunks cut as a hostile client may cut them: the same bytes, in a
    /// bounded number of pieces.
    #[test]
    fn a_block_is_a_bounded_number_of_pieces_however_it_arrives() {
        let data: Vec<u8> = (0..(1u32 << 20)).map(|i| (i % 251) as u8).collect();
        let cuts: [&dyn Fn(usize) -> usize; 4] = [
            &|_| 1,
            &|i| if i % 2 == 0 { 1 } else { SMALL_PIECE },
            &|i| [7, 40_000, 3, 16_383, 16_384, 100][i % 6],
            &|_| 256 * 1024,
        ];
        for (k, cut) in cuts.iter().enumerate() {
            let mut block = Block::default();
            let (mut at, mut i) = (0usize, 0usize);
            while at < data.len() {
                let n = cut(i).min(data.len() - at);
                block.push(Bytes::copy_from_slice(&data[at..at + n]));
                at += n;
                i += 1;
            }
            let pieces = block.pieces();
            assert!(
                pieces.len() <= 2 * data.len() / SMALL_PIECE + 1,
                "cut {k}: {} pieces",
                pieces.len()
            );
            assert_eq!(pieces.concat(), data, "cut {k}");
            if k == 0 {
                assert_eq!(pieces.len(), data.len() / SMALL_PIECE);
            }
        }
    }
    use std::os::unix::fs::PermissionsExt as _;

    /// A stand-in worker program: a shell script that misbehaves in one chosen way.
    fn script(dir: &tempfile::TempDir, body: &str) -> PathBuf {
        let path = dir.path().join("worker.sh");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    fn checker(program: PathBuf, timeout: Duration) -> Checker {
        Checker::new(PoolSettings {
            program,
            memory_mib: 256,
            timeout,
            max_parallel: 2,
        })
    }

    fn job() -> Job {
        Job {
            check: CheckKind::Identifiers,
            extension: "csv".into(),
            size: Some(3),
            disclosure: DisclosureSettings::default(),
        }
    }

    fn source() -> OpenFrom {
        Box::new(|from: u64| {
            async move {
                let data = Bytes::from_static(b"a;b");
                let s: BoxStream<'static, io::Result<Bytes>> =
                    futures::stream::iter(vec![Ok(data.slice(from as usize..))]).boxed();
                Ok(s)
            }
            .boxed()
        })
    }

    use futures::FutureExt as _;

    #[tokio::test]
    async fn a_worker_that_hangs_is_killed_at_the_deadline() {
        let dir = tempfile::tempdir().unwrap();
        let c = checker(script(&dir, "exec sleep 30"), Duration::from_millis(500));
        let started = std::time::Instant::now();
        let err = c.run(job(), source()).await.unwrap_err();
        assert!(matches!(err, Failure::Timeout(_)), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(err.reason_fr().contains("secondes"));
    }

    #[tokio::test]
    async fn a_worker_that_aborts_on_an_allocation_is_a_memory_failure() {
        let dir = tempfile::tempdir().unwrap();
        let c = checker(
            script(
                &dir,
                "echo 'memory allocation of 8000000000000 bytes failed' >&2; kill -ABRT $$",
            ),
            Duration::from_secs(10),
        );
        let err = c.run(job(), source()).await.unwrap_err();
        assert!(matches!(err, Failure::Memory(256)), "{err:?}");
        assert!(err.reason_en().contains("256 MiB"));
    }

    #[tokio::test]
    async fn a_worker_that_talks_nonsense_is_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        let c = checker(
            script(&dir, "cat >/dev/null & printf 'Zgarbage'; exit 0"),
            Duration::from_secs(10),
        );
        let err = c.run(job(), source()).await.unwrap_err();
        assert!(matches!(err, Failure::Crashed(_)), "{err:?}");
    }

    #[tokio::test]
    async fn a_worker_asking_outside_the_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        // 'R', offset 1 GiB, length 16: past the 3-byte file.
        let c = checker(
            script(
                &dir,
                r"printf 'R\000\000\000\000\100\000\000\000\000\000\000\020'; sleep 1",
            ),
            Duration::from_secs(10),
        );
        let err = c.run(job(), source()).await.unwrap_err();
        assert!(matches!(err, Failure::Crashed(_)), "{err:?}");
    }

    #[tokio::test]
    async fn a_missing_program_is_unavailable() {
        let c = checker("/nonexistent/passerelle".into(), Duration::from_secs(1));
        let err = c.run(job(), source()).await.unwrap_err();
        assert!(matches!(err, Failure::Unavailable(_)), "{err:?}");
    }
}
