//! The worker side: `passerelle check-worker --memory-mib N --cpu-secs S`, started by the gateway
//! with an empty environment, its stdin and stdout being the conversation of [`super::protocol`].
//!
//! Before it reads a single byte of the file, the worker puts itself under operating-system limits
//! it cannot lift again: address space (a reader that asks for terabytes gets an allocation failure,
//! which aborts this process and only this one), CPU seconds, no core dump, no file it could write,
//! no new file descriptors beyond a handful, no new privileges, and death with its parent.

use super::protocol::{
    read_frame, read_frame_len, write_frame, CheckKind, FindingReport, Job, Outcome, Report,
    ViolationReport, MAX_BLOCK_BYTES, MAX_JOB_BYTES, TAG_DONE, TAG_READ,
};
use crate::checks::{self, CheckError, Format};
use std::io::{self, Read, Seek, SeekFrom, Write};

/// Bytes asked of the gateway per range request.
pub(crate) const BLOCK: u64 = 1 << 20;

/// The worker's niceness (0 is the gateway's; higher runs only when the gateway leaves room).
const WORKER_NICE: i32 = 5;

/// Exit code when the limits cannot be applied (the worker then refuses to read anything).
pub const EXIT_NO_LIMITS: i32 = 3;
/// Exit code when the conversation with the gateway breaks.
pub const EXIT_PROTOCOL: i32 = 4;

/// The limits a worker applies to itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Address space, in MiB.
    pub memory_mib: u64,
    /// CPU time, in seconds.
    pub cpu_secs: u64,
}

impl Limits {
    /// Reads `--memory-mib N --cpu-secs S` (the arguments after `check-worker`).
    pub fn from_args(args: &[String]) -> Option<Self> {
        let mut memory_mib = None;
        let mut cpu_secs = None;
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let value = it.next()?.parse::<u64>().ok()?;
            match flag.as_str() {
                "--memory-mib" => memory_mib = Some(value),
                "--cpu-secs" => cpu_secs = Some(value),
                _ => return None,
            }
        }
        Some(Self {
            memory_mib: memory_mib?,
            cpu_secs: cpu_secs?,
        })
    }

    /// The arguments that [`Limits::from_args`] reads back.
    pub fn to_args(self) -> Vec<String> {
        vec![
            "--memory-mib".into(),
            self.memory_mib.to_string(),
            "--cpu-secs".into(),
            self.cpu_secs.to_string(),
        ]
    }
}

#[cfg(target_os = "linux")]
fn apply(limits: Limits) -> io::Result<()> {
    use rustix::process::{setrlimit, Resource, Rlimit};
    let set = |resource, soft: u64, hard: u64| {
        setrlimit(
            resource,
            Rlimit {
                current: Some(soft),
                maximum: Some(hard),
            },
        )
    };
    let memory = limits.memory_mib.saturating_mul(1 << 20);
    set(Resource::As, memory, memory)?;
    // SIGXCPU at the soft limit, SIGKILL one second later should it be caught.
    set(
        Resource::Cpu,
        limits.cpu_secs,
        limits.cpu_secs.saturating_add(1),
    )?;
    set(Resource::Core, 0, 0)?;
    set(Resource::Fsize, 0, 0)?;
    // stdin, stdout, stderr and /proc/self/status at the end.
    set(Resource::Nofile, 8, 8)?;
    // Below the gateway's own threads: when both want the processor, the transfers and the pages
    // people are waiting for go first, and the check takes the time they leave (a file still
    // arriving waits for its scan only once the scan falls a few MiB behind).
    rustix::process::setpriority_process(None, WORKER_NICE)?;
    rustix::thread::set_no_new_privs(true)?;
    rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)?;
    rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))?;
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn apply(_limits: Limits) -> io::Result<()> {
    Err(io::Error::other(
        "check workers need Linux's resource limits",
    ))
}

/// A blocking `Read + Seek` view of the file, pulled from the gateway one block at a time, or,
/// for a file still arriving, pushed by the gateway as it arrives (`pushed`).
///
/// A block is normally read whole into `buf`, which lets a reader seek back within it. A reader
/// going front to back with large reads (the CSV readers) takes a block's bytes straight from the
/// pipe into its own buffer instead (`direct`): one copy of the file fewer. Should it then read
/// elsewhere, or in small pieces, the rest of the block goes to `buf` as usual.
struct RemoteFile<I, O> {
    input: I,
    output: O,
    /// Known once the file has fully arrived.
    len: Option<u64>,
    pos: u64,
    /// The current block is `buf[..buf_len]` (the allocation is kept from block to block).
    buf: Vec<u8>,
    buf_len: usize,
    buf_start: u64,
    /// The block asked for ahead (offset, length), whose answer has not been read yet: while the
    /// reader works on one block, the gateway fetches the next, so that reading front to back
    /// overlaps the upload rather than alternating with it.
    ahead: Option<(u64, u64)>,
    /// Blocks may be read straight from the pipe (see above).
    direct: bool,
    /// The block being read straight from the pipe: its bytes from `from` to `end` are still there.
    streaming: Option<Streaming>,
    /// A file still arriving: the gateway pushes its blocks in order, unasked, as the store's
    /// own thread sees them, and an empty block ends it. Such a file is read front to back: a
    /// reader that needs any other part asks for it, which tells the gateway to check the stored
    /// file once it has arrived instead.
    pushed: bool,
    /// Where the next pushed block starts.
    pushed_next: u64,
}

/// The part of a block still in the pipe, read straight into the caller's buffer.
#[derive(Debug, Clone, Copy)]
struct Streaming {
    from: u64,
    end: u64,
}

/// The smallest read served straight from the pipe (one system call each).
const DIRECT_MIN: usize = 4096;

impl<I: Read, O: Write> RemoteFile<I, O> {
    /// A view of a file of `len` bytes (if known) pulled through `input` and `output`.
    fn new(input: I, output: O, len: Option<u64>, direct: bool) -> Self {
        Self {
            input,
            output,
            len,
            pos: 0,
            buf: Vec::new(),
            buf_len: 0,
            buf_start: 0,
            ahead: None,
            direct,
            streaming: None,
            pushed: len.is_none(),
            pushed_next: 0,
        }
    }

    /// A reader needs a part of a pushed file other than the next block: asks for it, so that
    /// the gateway knows this file must be checked once stored, and fails the read.
    fn out_of_order(&mut self, pos: u64) -> io::Error {
        if let Err(e) = self.request(pos, BLOCK) {
            return e;
        }
        io::Error::new(
            io::ErrorKind::Unsupported,
            "a file still arriving is read front to back only",
        )
    }

    /// [`Self::fetch`] for a pushed file: the next block, if `pos` is where it starts.
    fn fetch_pushed(&mut self, direct: bool) -> io::Result<bool> {
        self.finish_streaming()?;
        self.buf_len = 0;
        let pos = self.pos;
        if pos != self.pushed_next {
            return Err(self.out_of_order(pos));
        }
        let got = read_frame_len(&mut self.input, MAX_BLOCK_BYTES)?;
        if got == 0 {
            self.len = Some(pos);
            return Ok(false);
        }
        let next = pos + got as u64;
        self.pushed_next = next;
        if direct {
            self.streaming = Some(Streaming {
                from: pos,
                end: next,
            });
        } else {
            self.read_block(got)?;
            self.buf_len = got;
            self.buf_start = pos;
        }
        Ok(true)
    }

    /// How much to ask for at `pos`.
    fn want(&self, pos: u64) -> u64 {
        match self.len {
            Some(len) => len.saturating_sub(pos).min(BLOCK),
            None => BLOCK,
        }
    }

    fn request(&mut self, pos: u64, want: u64) -> io::Result<()> {
        let mut request = [0u8; 13];
        request[0] = TAG_READ;
        request[1..9].copy_from_slice(&pos.to_be_bytes());
        // `want` is at most BLOCK, which fits in a u32.
        request[9..13].copy_from_slice(&(want as u32).to_be_bytes());
        self.output.write_all(&request)?;
        self.output.flush()
    }

    /// Reads the length of the answer to a request for `want` bytes at `pos` and checks it; its
    /// bytes follow in the pipe. Returns the length.
    fn answer_len(&mut self, pos: u64, want: u64) -> io::Result<usize> {
        let got = read_frame_len(&mut self.input, MAX_BLOCK_BYTES)?;
        if got as u64 > want || (self.len.is_some() && (got as u64) < want) {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the gateway answered a block of the wrong size",
            ));
        }
        if (got as u64) < want {
            // A file still arriving: a short block is its end.
            self.len = Some(pos + got as u64);
        }
        Ok(got)
    }

    /// Reads the `n` bytes of a block still in the pipe into `buf`.
    fn read_block(&mut self, n: usize) -> io::Result<()> {
        // Nothing of the buffer is in use until it is read (`buf_len` is set by the caller).
        self.buf_len = 0;
        if self.buf.len() < n {
            self.buf.resize(n, 0);
        }
        self.input.read_exact(&mut self.buf[..n])
    }

    /// Reads what is left in the pipe of a block read straight from it into `buf`, where a reader
    /// may seek within it.
    fn finish_streaming(&mut self) -> io::Result<()> {
        if let Some(s) = self.streaming.take() {
            // At most one block: it fits in usize.
            let n = (s.end - s.from) as usize;
            self.read_block(n)?;
            self.buf_start = s.from;
            self.buf_len = n;
        }
        Ok(())
    }

    /// Reads (and drops) the answers to requests still pending, so that the gateway is never left
    /// writing to a worker that stopped listening.
    fn settle(&mut self) -> io::Result<()> {
        self.finish_streaming()?;
        if let Some((pos, want)) = self.ahead.take() {
            let n = self.answer_len(pos, want)?;
            self.read_block(n)?;
        }
        Ok(())
    }

    /// Gets the block at `pos` (asked ahead or now) and asks for the next one; `false` at the end.
    /// With `direct`, the block's bytes are left in the pipe (`streaming`).
    fn fetch(&mut self, direct: bool) -> io::Result<bool> {
        if self.pushed {
            return self.fetch_pushed(direct);
        }
        self.finish_streaming()?;
        // Nothing of the buffer is in use until the next block is checked.
        self.buf_len = 0;
        let pos = self.pos;
        let got = match self.ahead.take() {
            Some((at, want)) if at == pos => self.answer_len(at, want)?,
            pending => {
                if let Some((at, want)) = pending {
                    let n = self.answer_len(at, want)?;
                    self.read_block(n)?;
                }
                let want = self.want(pos);
                if want == 0 {
                    return Ok(false);
                }
                self.request(pos, want)?;
                self.answer_len(pos, want)?
            }
        };
        let next = pos + got as u64;
        let more = self.len.is_none_or(|len| next < len);
        // Asked before this block is read: the gateway serves it right after this one.
        if more && got > 0 {
            let want = self.want(next);
            self.request(next, want)?;
            self.ahead = Some((next, want));
        }
        if direct && got > 0 {
            self.buf_len = 0;
            self.streaming = Some(Streaming {
                from: pos,
                end: next,
            });
        } else {
            self.read_block(got)?;
            self.buf_len = got;
            self.buf_start = pos;
        }
        Ok(got > 0)
    }
}

impl<I: Read, O: Write> Read for RemoteFile<I, O> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.len.is_some_and(|len| self.pos >= len) || out.is_empty() {
            return Ok(0);
        }
        let direct = self.direct && out.len() >= DIRECT_MIN;
        if let Some(s) = self.streaming {
            if direct && self.pos == s.from {
                // Straight from the pipe into the caller's buffer.
                let room = out.len().min((s.end - s.from) as usize);
                let n = self.input.read(&mut out[..room])?;
                if n == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the gateway stopped in the middle of a block",
                    ));
                }
                let from = s.from + n as u64;
                self.streaming = (from < s.end).then_some(Streaming { from, end: s.end });
                self.pos += n as u64;
                return Ok(n);
            }
            self.finish_streaming()?;
        }
        let end = self.buf_start + self.buf_len as u64;
        if self.pos < self.buf_start || self.pos >= end {
            if !self.fetch(direct)? {
                return Ok(0);
            }
            if self.streaming.is_some() {
                return self.read(out);
            }
        }
        let offset = (self.pos - self.buf_start) as usize;
        let n = out.len().min(self.buf_len - offset);
        out[..n].copy_from_slice(&self.buf[offset..offset + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl<I: Read, O: Write> Seek for RemoteFile<I, O> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => match self.len {
                Some(len) => len.checked_add_signed(d),
                // The end of a file still arriving is not known yet.
                None => return Err(self.out_of_order(self.pos)),
            },
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = target
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        Ok(self.pos)
    }
}

fn finding(f: &checks::Finding) -> FindingReport {
    FindingReport {
        sheet: f.sheet.clone(),
        column: f.column.clone(),
        kind: f.kind,
        count: f.count,
        example: f.example.clone(),
    }
}

fn violation(v: &checks::Violation) -> ViolationReport {
    ViolationReport {
        sheet: v.sheet.clone(),
        row: v.row,
        column: v.column.clone(),
        value: v.value.clone(),
        rule: v.rule,
        labels: v.labels.clone(),
    }
}

fn unreadable(e: &CheckError) -> Outcome {
    Outcome::Unreadable {
        reason_fr: e.message_fr(),
        reason_en: e.message_en(),
    }
}

/// Runs one job against `input` (any `Read + Seek`): the heart of the worker, also used by tests.
pub fn run_job<R: Read + Seek>(job: &Job, input: R) -> Outcome {
    let Some(format) = Format::from_extension(&job.extension) else {
        return Outcome::Unreadable {
            reason_fr: format!(
                "Les fichiers .{} ne peuvent pas être vérifiés automatiquement.",
                job.extension
            ),
            reason_en: format!(
                "Files of type .{} cannot be checked automatically.",
                job.extension
            ),
        };
    };
    if format == Format::Pdf {
        // Nothing can tell what figures or names a PDF holds: it is never passed as clean.
        return Outcome::Unreadable {
            reason_fr: "Le contenu d'un PDF ne peut pas être vérifié automatiquement.".into(),
            reason_en: "The content of a PDF cannot be checked automatically.".into(),
        };
    }
    match job.check {
        CheckKind::Identifiers => {
            let rules = checks::IdentifierRules::default();
            match checks::scan_identifiers(input, format, &rules) {
                Ok(found) => Outcome::Findings {
                    findings: found.iter().map(finding).collect(),
                },
                Err(e) => unreadable(&e),
            }
        }
        CheckKind::Disclosure => {
            let s = &job.disclosure;
            let defaults = checks::DisclosureRules::default();
            let rules = checks::DisclosureRules {
                min_count: s.min_count,
                min_response_rate: s.min_response_rate,
                count_patterns: s
                    .count_patterns
                    .clone()
                    .unwrap_or(defaults.count_patterns.clone()),
                share_patterns: s
                    .share_patterns
                    .clone()
                    .unwrap_or(defaults.share_patterns.clone()),
                response_rate_patterns: s
                    .response_rate_patterns
                    .clone()
                    .unwrap_or(defaults.response_rate_patterns.clone()),
                ..defaults
            };
            match checks::check_disclosure(input, format, &rules) {
                Ok(found) => Outcome::Violations {
                    violations: found.iter().map(violation).collect(),
                },
                Err(e) => unreadable(&e),
            }
        }
    }
}

/// The worker's peak resident memory in KiB, from `/proc/self/status` (0 if unknown).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The worker process's `main`: returns its exit code.
pub fn main(args: &[String]) -> i32 {
    let Some(limits) = Limits::from_args(args) else {
        eprintln!("check-worker: usage: passerelle check-worker --memory-mib N --cpu-secs S");
        return 2;
    };
    if let Err(e) = apply(limits) {
        eprintln!("check-worker: cannot apply the resource limits ({e}): refusing to run");
        return EXIT_NO_LIMITS;
    }
    let stdin = io::stdin().lock();
    let mut stdout = io::stdout().lock();
    let mut input = stdin;
    let job: Job = match read_frame(&mut input, MAX_JOB_BYTES)
        .and_then(|b| serde_json::from_slice(&b).map_err(io::Error::other))
    {
        Ok(j) => j,
        Err(e) => {
            eprintln!("check-worker: bad job: {e}");
            return EXIT_PROTOCOL;
        }
    };
    let outcome = {
        // The CSV readers read front to back, 64 KiB at a time: straight from the pipe.
        let direct = Format::from_extension(&job.extension) == Some(Format::Csv);
        let mut file = RemoteFile::new(&mut input, &mut stdout, job.size, direct);
        // A reader that panics on hostile input must not pass the file as clean.
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_job(&job, &mut file)))
                .unwrap_or_else(|_| Outcome::Unreadable {
                    reason_fr: "Le fichier a fait échouer le lecteur : il est peut-être endommagé."
                        .into(),
                    reason_en: "The file made the reader fail: it may be damaged.".into(),
                });
        if let Err(e) = file.settle() {
            eprintln!("check-worker: the gateway stopped answering: {e}");
            return EXIT_PROTOCOL;
        }
        outcome
    };
    let report = Report {
        outcome,
        peak_rss_kib: peak_rss_kib(),
    };
    let sent = serde_json::to_vec(&report)
        .map_err(io::Error::other)
        .and_then(|body| write_frame(&mut stdout, Some(TAG_DONE), &body));
    match sent {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("check-worker: cannot send the report: {e}");
            EXIT_PROTOCOL
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_round_trip_through_arguments() {
        let l = Limits {
            memory_mib: 256,
            cpu_secs: 60,
        };
        assert_eq!(Limits::from_args(&l.to_args()), Some(l));
        assert_eq!(Limits::from_args(&["--memory-mib".into()]), None);
        assert_eq!(Limits::from_args(&["--other".into(), "1".into()]), None);
    }

    #[test]
    fn an_unknown_type_is_unreadable_and_a_csv_is_scanned() {
        let job = Job {
            check: CheckKind::Identifiers,
            extension: "docx".into(),
            size: Some(3),
            disclosure: Default::default(),
        };
        assert!(matches!(
            run_job(&job, io::Cursor::new(b"abc")),
            Outcome::Unreadable { .. }
        ));
        let csv = b"commune;email\nLens;jean.dupont@example.fr\n";
        let job = Job {
            extension: "csv".into(),
            size: Some(csv.len() as u64),
            ..job
        };
        match run_job(&job, io::Cursor::new(csv)) {
            Outcome::Findings { findings } => {
                assert!(
                    findings
                        .iter()
                        .any(|f| f.kind == crate::domain::FindingKind::Email),
                    "{findings:?}"
                )
            }
            other => panic!("{other:?}"),
        }
    }

    /// The gateway's side of the conversation over real pipes, serving `data` in blocks of the
    /// sizes asked for, until the worker's side closes.
    fn serve(data: Vec<u8>, requests: io::PipeReader, mut blocks: io::PipeWriter) {
        let mut requests = io::BufReader::new(requests);
        let mut request = [0u8; 13];
        while requests.read_exact(&mut request).is_ok() {
            assert_eq!(request[0], TAG_READ);
            let mut off = [0u8; 8];
            off.copy_from_slice(&request[1..9]);
            let mut len = [0u8; 4];
            len.copy_from_slice(&request[9..13]);
            let off = u64::from_be_bytes(off) as usize;
            let end = (off + u32::from_be_bytes(len) as usize).min(data.len());
            if write_frame(&mut blocks, None, &data[off..end]).is_err() {
                return;
            }
        }
    }

    /// Reads of every kind through a [`RemoteFile`] give the file's bytes, straight from the pipe
    /// or through the block buffer, whatever the order: large reads front to back, small ones,
    /// seeks back into a block and forward past several.
    #[test]
    fn remote_reads_straight_from_the_pipe_or_buffered_give_the_file() {
        let data: Vec<u8> = (0..(3 * BLOCK as usize + 12_345))
            .map(|i| (i * 7 + i / 251) as u8)
            .collect();
        // (A file of unknown length is pushed: see the tests below.)
        for direct in [true, false] {
            let (blocks_in, blocks_out) = io::pipe().unwrap();
            let (requests_in, requests_out) = io::pipe().unwrap();
            let served = data.clone();
            let gateway = std::thread::spawn(move || serve(served, requests_in, blocks_out));
            let len = Some(data.len() as u64);
            let mut file = RemoteFile::new(blocks_in, requests_out, len, direct);
            let mut got = Vec::new();
            let mut buf = vec![0u8; 64 * 1024];
            // Front to back, large reads, up to the middle of the second block.
            while got.len() < BLOCK as usize + 5000 {
                let n = file.read(&mut buf).unwrap();
                got.extend_from_slice(&buf[..n]);
            }
            assert_eq!(got, data[..got.len()]);
            // Small reads go on where they stopped.
            let mut small = [0u8; 100];
            let at = got.len();
            file.read_exact(&mut small).unwrap();
            assert_eq!(small[..], data[at..at + 100]);
            // Back within the block, then forward past a whole block.
            for to in [at - 3000, at + 10, 2 * BLOCK as usize + 77, 17] {
                file.seek(SeekFrom::Start(to as u64)).unwrap();
                file.read_exact(&mut buf[..5000]).unwrap();
                assert_eq!(buf[..5000], data[to..to + 5000], "at {to}");
            }
            // And large reads to the end.
            let at = 3 * BLOCK as usize - 10;
            file.seek(SeekFrom::Start(at as u64)).unwrap();
            let mut rest = Vec::new();
            file.read_to_end(&mut rest).unwrap();
            assert_eq!(rest, data[at..], "direct {direct}");
            file.settle().unwrap();
            drop(file);
            gateway.join().unwrap();
        }
    }

    /// The gateway's side for a file still arriving: pushes `data` in blocks of the given sizes
    /// (cycled), then the empty block that ends it; returns the requests the worker made.
    fn push(
        data: Vec<u8>,
        sizes: &[usize],
        requests: io::PipeReader,
        mut blocks: io::PipeWriter,
    ) -> Vec<u8> {
        let mut at = 0;
        for size in sizes.iter().cycle() {
            if at == data.len() {
                break;
            }
            let end = (at + size).min(data.len());
            if write_frame(&mut blocks, None, &data[at..end]).is_err() {
                break;
            }
            at = end;
        }
        let _ = write_frame(&mut blocks, None, &[]);
        drop(blocks);
        let mut asked = Vec::new();
        let _ = io::BufReader::new(requests).read_to_end(&mut asked);
        asked
    }

    /// A worker's view of `data` pushed in blocks of `sizes` by a gateway thread, which returns
    /// the requests the worker made.
    fn pushed(
        data: &[u8],
        sizes: &'static [usize],
        direct: bool,
    ) -> (
        RemoteFile<io::PipeReader, io::PipeWriter>,
        std::thread::JoinHandle<Vec<u8>>,
    ) {
        let (blocks_in, blocks_out) = io::pipe().unwrap();
        let (requests_in, requests_out) = io::pipe().unwrap();
        let data = data.to_vec();
        let gateway = std::thread::spawn(move || push(data, sizes, requests_in, blocks_out));
        (
            RemoteFile::new(blocks_in, requests_out, None, direct),
            gateway,
        )
    }

    /// A file pushed as it arrives reads whole, front to back, straight from the pipe or through
    /// the block buffer, whatever the sizes of the blocks; the worker asks for nothing.
    #[test]
    fn a_pushed_file_reads_front_to_back_without_a_request() {
        let data: Vec<u8> = (0..(2 * BLOCK as usize + 4321))
            .map(|i| (i * 13 + i / 97) as u8)
            .collect();
        for direct in [true, false] {
            let (mut file, gateway) = pushed(&data, &[1, 262_144, 70_000, 3, 65_536], direct);
            let mut got = Vec::new();
            let mut big = vec![0u8; 64 * 1024];
            let mut small = [0u8; 100];
            let mut turn = 0usize;
            loop {
                turn += 1;
                let buf: &mut [u8] = if turn.is_multiple_of(3) {
                    &mut small
                } else {
                    &mut big
                };
                let n = file.read(buf).unwrap();
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
                if turn == 10 {
                    // Back a little, within what was just read into the buffer, then on.
                    let pos = file.stream_position().unwrap();
                    if !direct {
                        file.seek(SeekFrom::Current(-1)).unwrap();
                        let mut one = [0u8; 1];
                        file.read_exact(&mut one).unwrap();
                        assert_eq!(one[0], data[pos as usize - 1]);
                    }
                }
            }
            assert!(got == data, "direct {direct}");
            assert_eq!(file.seek(SeekFrom::End(0)).unwrap(), data.len() as u64);
            file.settle().unwrap();
            drop(file);
            assert!(
                gateway.join().unwrap().is_empty(),
                "no request for a pushed file"
            );
        }
    }

    /// A reader that needs another part of a file still arriving (going back, or its end) gets an
    /// error, and the gateway a request that tells it so.
    #[test]
    fn going_back_in_a_pushed_file_fails_and_says_so() {
        let data = vec![7u8; 3 * BLOCK as usize];
        for how in [SeekFrom::Start(0), SeekFrom::End(-10)] {
            let (mut file, gateway) = pushed(&data, &[262_144], true);
            let mut buf = vec![0u8; 600_000];
            file.read_exact(&mut buf).unwrap();
            let err = file
                .seek(how)
                .and_then(|_| file.read(&mut buf))
                .unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::Unsupported, "{how:?}");
            // The gateway stops pushing once it has the request; here the worker just leaves.
            drop(file);
            let asked = gateway.join().unwrap();
            assert_eq!(asked.len(), 13, "{how:?}");
            assert_eq!(asked[0], TAG_READ);
        }
    }
}
