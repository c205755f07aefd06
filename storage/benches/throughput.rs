//! Throughput of encrypted writes and reads against a plain copy of the same bytes on the same
//! disk, with peak memory. Run: `cargo bench -p storage` (size: `PASSERELLE_BENCH_BYTES`,
//! default 1 GiB; directory: `PASSERELLE_BENCH_DIR`, default a temporary directory under the
//! current one). For a strict one-core figure: `taskset -c 0 cargo bench -p storage`.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use storage::{BlobStore, KeyStore, LocalBackend, MasterKey};

const BLOCK: usize = 1 << 20;

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> BenchResult<()> {
    let total: u64 = std::env::var("PASSERELLE_BENCH_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1 << 30);
    let blocks = total.div_ceil(BLOCK as u64);
    let total = blocks * BLOCK as u64;
    let base = std::env::var("PASSERELLE_BENCH_DIR").unwrap_or_else(|_| ".".into());
    let dir = tempfile::Builder::new()
        .prefix("passerelle-bench-")
        .tempdir_in(&base)?;
    println!(
        "passerelle storage throughput: {} MiB in {} (1 MiB blocks, current-thread tokio runtime, best of rounds)",
        total >> 20,
        dir.path().display()
    );

    // Random-ish bytes (xorshift), one 1 MiB block reused for every write.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let block: Vec<u8> = (0..BLOCK)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    let block = Bytes::from(block);

    let hwm_start = vm_hwm_kib();
    let rounds: usize = std::env::var("PASSERELLE_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);

    let plain_path = dir.path().join("plain.bin");
    let blob_path = dir.path().join("blobs/bench/blob");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let backend = LocalBackend::open(dir.path().join("blobs"), "FR")?;
    let keys = KeyStore::open(dir.path().join("keys"), MasterKey::generate())?;
    rt.block_on(keys.create_mission_key("bench"))?;
    let store = BlobStore::new(Arc::new(backend), keys)?;

    // Plain and encrypted runs alternate, so both see the same machine load; each figure is
    // the best of `rounds`.
    // Each figure keeps the wall time of its best run and the CPU time of that run.
    let best = |a: &mut Option<Run>, r: Run| {
        if a.is_none_or(|b| r.wall < b.wall) {
            *a = Some(r);
        }
    };
    let (mut plain_write, mut enc_write) = (None, None);
    let (mut plain_read_warm, mut enc_read_warm) = (None, None);
    let (mut plain_read_cold, mut enc_read_cold) = (None, None);
    let (mut hwm_plain, mut hwm_enc_write, mut hwm_enc_read, mut rss_before_enc) = (0, 0, 0, 0);
    for round in 0..rounds {
        // Memory is measured in the first round, before allocator caches from earlier rounds.
        let first = round == 0;
        let t = Run::start();
        {
            let mut f = File::create(&plain_path)?;
            for _ in 0..blocks {
                f.write_all(&block)?;
            }
            f.sync_all()?;
        }
        best(&mut plain_write, t.stop());
        best(&mut plain_read_warm, plain_read(&plain_path, total)?);
        drop_cache(&plain_path)?;
        best(&mut plain_read_cold, plain_read(&plain_path, total)?);
        if first {
            hwm_plain = vm_hwm_kib();
            reset_hwm();
            rss_before_enc = vm_hwm_kib();
        }
        // Like File::create for the plain copy (which truncates the previous file first), the
        // previous blob goes before the new one is written, so both writes find the previous
        // round's page-cache pages freed.
        rt.block_on(store.delete("bench", "blob"))?;
        let t = Run::start();
        let input = futures::stream::iter((0..blocks).map(|_| Ok(block.clone())));
        let receipt = rt.block_on(store.write("bench", "blob", input))?;
        best(&mut enc_write, t.stop());
        assert_eq!(receipt.plaintext_len, total);
        if first {
            hwm_enc_write = vm_hwm_kib();
            reset_hwm();
        }
        best(&mut enc_read_warm, enc_read(&rt, &store, total)?);
        drop_cache(&blob_path)?;
        best(&mut enc_read_cold, enc_read(&rt, &store, total)?);
        if first {
            hwm_enc_read = vm_hwm_kib();
        }
    }
    std::fs::remove_file(&plain_path)?;
    let get = |d: Option<Run>| {
        d.unwrap_or(Run {
            wall: Duration::MAX,
            cpu: 0.0,
        })
    };
    let (plain_write, enc_write) = (get(plain_write), get(enc_write));
    let (plain_read_warm, enc_read_warm) = (get(plain_read_warm), get(enc_read_warm));
    let (plain_read_cold, enc_read_cold) = (get(plain_read_cold), get(enc_read_cold));
    let mut results = Vec::new();

    let mbps = |d: Duration| total as f64 / d.as_secs_f64() / 1e6;
    let gb = total as f64 / 1e9;
    results.push(("plain write+fsync", plain_write, None));
    results.push(("encrypted write (+fsync)", enc_write, Some(plain_write)));
    results.push(("plain read (page cache)", plain_read_warm, None));
    results.push((
        "encrypted read (page cache)",
        enc_read_warm,
        Some(plain_read_warm),
    ));
    results.push(("plain read (cold, from disk)", plain_read_cold, None));
    results.push((
        "encrypted read (cold, from disk)",
        enc_read_cold,
        Some(plain_read_cold),
    ));
    println!();
    println!("{:34} {:>9}       {:>16}  {:>8}", "", "", "", "CPU s/GB");
    for (name, r, base) in &results {
        let cpu = r.cpu / gb;
        match base {
            Some(b) => println!(
                "{name:34} {:9.1} MB/s  ({:5.1} % of plain)  {cpu:8.2}",
                mbps(r.wall),
                100.0 * b.wall.as_secs_f64() / r.wall.as_secs_f64()
            ),
            None => println!("{name:34} {:9.1} MB/s  {:16}  {cpu:8.2}", mbps(r.wall), ""),
        }
    }
    println!("(CPU s/GB: user + system time of all the process's threads, per GB moved)");
    println!();
    cpu_costs(&block, blocks)?;
    println!();
    println!(
        "peak RSS (VmHWM) at start:                 {:7} KiB",
        hwm_start
    );
    println!(
        "peak RSS during plain copy:                {:7} KiB",
        hwm_plain
    );
    println!(
        "RSS before encrypted write:                {:7} KiB",
        rss_before_enc
    );
    println!(
        "peak RSS during encrypted write:           {:7} KiB (+{} KiB)",
        hwm_enc_write,
        hwm_enc_write.saturating_sub(rss_before_enc)
    );
    println!(
        "peak RSS during encrypted reads:           {:7} KiB (+{} KiB)",
        hwm_enc_read,
        hwm_enc_read.saturating_sub(rss_before_enc)
    );
    Ok(())
}

/// Wall and CPU time of one timed run.
#[derive(Clone, Copy)]
struct Run {
    wall: Duration,
    /// User + system CPU seconds of the whole process (all threads).
    cpu: f64,
}

struct Started {
    at: Instant,
    cpu: f64,
}

impl Run {
    fn start() -> Started {
        Started {
            at: Instant::now(),
            cpu: process_cpu_secs(),
        }
    }
}

impl Started {
    fn stop(self) -> Run {
        Run {
            wall: self.at.elapsed(),
            cpu: process_cpu_secs() - self.cpu,
        }
    }
}

/// User + system CPU time of this process so far (all threads, also those that ended), from
/// `/proc/self/stat` (clock ticks of 10 ms).
fn process_cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may contain spaces) start at field 3.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0))
        .collect();
    // utime and stime are fields 14 and 15 (1-based), i.e. 11 and 12 after the name.
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    ticks as f64 / 100.0
}

fn plain_read(path: &Path, total: u64) -> BenchResult<Run> {
    let t = Run::start();
    let mut f = File::open(path)?;
    let mut buf = vec![0u8; BLOCK];
    let (mut n, mut check) = (0u64, 0u8);
    loop {
        let r = f.read(&mut buf)?;
        if r == 0 {
            break;
        }
        check ^= buf[r - 1];
        n += r as u64;
    }
    std::hint::black_box(check);
    assert_eq!(n, total);
    Ok(t.stop())
}

fn enc_read(rt: &tokio::runtime::Runtime, store: &BlobStore, total: u64) -> BenchResult<Run> {
    let t = Run::start();
    let n = rt.block_on(async {
        let mut r = store.read("bench", "blob").await?;
        let (mut n, mut check) = (0u64, 0u8);
        while let Some(b) = r.next().await {
            let b = b?;
            check ^= b[b.len() - 1];
            n += b.len() as u64;
        }
        std::hint::black_box(check);
        Ok::<u64, storage::StorageError>(n)
    })?;
    assert_eq!(n, total);
    Ok(t.stop())
}

/// Evicts a (synced) file from the page cache so the next read comes from the disk.
fn drop_cache(path: &Path) -> BenchResult<()> {
    let f = File::open(path)?;
    let _ = rustix::fs::fadvise(&f, 0, None, rustix::fs::Advice::DontNeed);
    Ok(())
}

/// Peak resident set size of this process, in KiB.
fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Resets the peak RSS to the current RSS (Linux `clear_refs` 5).
fn reset_hwm() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// In-memory cost of each ingredient on the calling thread, for reading the figures above.
fn cpu_costs(block: &[u8], blocks: u64) -> BenchResult<()> {
    use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
    use sha2::Digest;
    let total = blocks as f64 * BLOCK as f64;
    let mut buf = block.to_vec();
    let t = Instant::now();
    let mut h = sha2::Sha256::new();
    for _ in 0..blocks {
        h.update(&buf);
    }
    std::hint::black_box(h.finalize());
    let sha = t.elapsed();
    let t = Instant::now();
    let mut h = ring::digest::Context::new(&ring::digest::SHA256);
    for _ in 0..blocks {
        h.update(&buf);
    }
    std::hint::black_box(h.finish());
    let ring_sha = t.elapsed();
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[7u8; 32]).map_err(|_| "AES key")?);
    let t = Instant::now();
    for i in 0..blocks {
        for seg in buf.chunks_mut(64 * 1024) {
            let mut n = [0u8; 12];
            n[..8].copy_from_slice(&i.to_be_bytes());
            let tag = key
                .seal_in_place_separate_tag(Nonce::assume_unique_for_key(n), Aad::from(b"h"), seg)
                .map_err(|_| "AES-GCM seal")?;
            let _ = std::hint::black_box(tag);
        }
    }
    let seal = t.elapsed();
    let t = Instant::now();
    for _ in 0..blocks {
        buf.copy_from_slice(block);
    }
    let copy = t.elapsed();
    let rate = |d: Duration| total / d.as_secs_f64() / 1e6;
    println!(
        "in-memory, one thread: SHA-256 {:.0} MB/s (ring: {:.0}), AES-256-GCM seal {:.0} MB/s, memcpy {:.0} MB/s",
        rate(sha),
        rate(ring_sha),
        rate(seal),
        rate(copy)
    );
    Ok(())
}
