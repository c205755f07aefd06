//! The worker side: `passerelle check-worker --memory-mib N --cpu-secs S`, started by the gateway
//! with an empty environment, its stdin and stdout being the conversation of [`super::protocol`].
//!
//! Before it reads a single byte of the file, the worker puts itself under operating-system limits
//! it cannot lift again: address space (a reader that asks for terabytes gets an allocation failure,
//! which aborts this process and only this one), CPU seconds, no core dump, no file it could write,
//! no new file descriptors beyond a handful, no new privileges, and death with its parent.

use super::protocol::{
    read_frame, read_frame_into, write_frame, CheckKind, FindingReport, Job, Outcome, Report,
    ViolationReport, MAX_BLOCK_BYTES, MAX_JOB_BYTES, TAG_DONE, TAG_READ,
};
use crate::checks::{self, CheckError, Format};
use std::io::{self, Read, Seek, SeekFrom, Write};

/// Bytes asked of the gateway per range request.
pub(crate) const BLOCK: u64 = 1 << 20;

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

/// A blocking `Read + Seek` view of the file, pulled from the gateway one block at a time.
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
}

impl<I: Read, O: Write> RemoteFile<I, O> {
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

    /// Reads the answer to a request for `want` bytes at `pos` into `buf`; returns its length.
    fn answer(&mut self, pos: u64, want: u64) -> io::Result<usize> {
        let got = read_frame_into(&mut self.input, MAX_BLOCK_BYTES, &mut self.buf)?;
        // Nothing of the block is in use until it is checked (`buf_len` is set by the caller).
        self.buf_len = 0;
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

    /// Reads (and drops) the answer to a request still pending, so that the gateway is never left
    /// writing to a worker that stopped listening.
    fn settle(&mut self) -> io::Result<()> {
        if let Some((pos, want)) = self.ahead.take() {
            self.answer(pos, want)?;
        }
        Ok(())
    }

    /// Gets the block at `pos` (asked ahead or now) and asks for the next one; `false` at the end.
    fn fetch(&mut self) -> io::Result<bool> {
        let pos = self.pos;
        let got = match self.ahead.take() {
            Some((at, want)) if at == pos => self.answer(at, want)?,
            pending => {
                if let Some((at, want)) = pending {
                    self.answer(at, want)?;
                }
                let want = self.want(pos);
                if want == 0 {
                    return Ok(false);
                }
                self.request(pos, want)?;
                self.answer(pos, want)?
            }
        };
        let next = pos + got as u64;
        let more = self.len.is_none_or(|len| next < len);
        self.buf_len = got;
        self.buf_start = pos;
        if more && got > 0 {
            let want = self.want(next);
            self.request(next, want)?;
            self.ahead = Some((next, want));
        }
        Ok(got > 0)
    }
}

impl<I: Read, O: Write> Read for RemoteFile<I, O> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.len.is_some_and(|len| self.pos >= len) || out.is_empty() {
            return Ok(0);
        }
        let end = self.buf_start + self.buf_len as u64;
        if (self.pos < self.buf_start || self.pos >= end) && !self.fetch()? {
            return Ok(0);
        }
        let offset = (self.pos - self.buf_start) as usize;
        let n = out.len().min(self.buf_len - offset);
        out[..n].copy_from_slice(&self.buf[offset..offset + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl<I, O> Seek for RemoteFile<I, O> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => match self.len {
                Some(len) => len.checked_add_signed(d),
                None => {
                    return Err(io::Error::new(
                        io::ErrorKind::Unsupported,
                        "the end of a file still arriving is not known yet",
                    ))
                }
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
        let mut file = RemoteFile {
            input: &mut input,
            output: &mut stdout,
            len: job.size,
            pos: 0,
            buf: Vec::new(),
            buf_len: 0,
            buf_start: 0,
            ahead: None,
        };
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
}
