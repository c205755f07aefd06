//! The `passerelle` binary.

use clap::Parser as _;

/// glibc's allocator raises its mmap threshold after freeing a large block, and then keeps later
/// large blocks (argon2 uses 19 MiB per hash) in its heap for good. A fixed threshold makes every
/// block of 1 MiB or more go back to the system when freed, so memory stays flat. The variable is
/// read when the process starts, hence one re-execution of `serve` with it set (same PID).
#[cfg(target_os = "linux")]
fn flat_memory() {
    use std::os::unix::process::CommandExt as _;
    const VAR: &str = "MALLOC_MMAP_THRESHOLD_";
    if std::env::var_os(VAR).is_some() || std::env::args_os().nth(1).is_none_or(|a| a != "serve") {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let err = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env(VAR, "1048576")
        .exec();
    // exec only returns on failure: carry on with the default allocator settings.
    eprintln!(
        "passerelle: note: could not re-execute with {VAR} set ({err}); memory may grow under load"
    );
}

fn main() {
    // A content-check worker: no runtime, no logging, no configuration; limits first, then the file.
    if let Some(code) = gateway::worker::run_if_worker() {
        std::process::exit(code);
    }
    #[cfg(target_os = "linux")]
    flat_memory();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = gateway::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("passerelle: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(failure) = runtime.block_on(gateway::cli::run(cli)) {
        eprintln!("passerelle: {}", failure.message);
        std::process::exit(failure.code);
    }
}
