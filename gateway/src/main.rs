//! The `passerelle` binary.

use clap::Parser as _;

fn main() {
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
