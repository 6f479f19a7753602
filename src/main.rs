use clap::Parser;

/// This process's rank as the MPI launcher or Slurm announce it (before MPI is initialised).
fn launcher_rank() -> usize {
    [
        "OMPI_COMM_WORLD_RANK",
        "PMIX_RANK",
        "PMI_RANK",
        "SLURM_PROCID",
    ]
    .iter()
    .find_map(|name| std::env::var(name).ok()?.parse().ok())
    .unwrap_or(0)
}

fn main() {
    // Output piped into `head` and the like ends quietly when the reader goes away, as for any Unix
    // tool, instead of panicking on EPIPE.
    // SAFETY: restoring the default disposition of SIGPIPE before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = pinch::cli::Cli::parse();
    // Only rank 0 reports progress; the others log warnings and errors.
    let level = if launcher_rank() == 0 {
        cli.log_level.as_str()
    } else {
        "warn"
    };
    env_logger::Builder::new()
        .parse_filters(level)
        .parse_default_env()
        .format_timestamp_secs()
        .init();
    if let Err(error) =
        pinch::faults::configure_from_environment().and_then(|()| pinch::cli::run(cli))
    {
        // One write per message: with several ranks on one terminal or pipe, messages then never
        // interleave mid-line.
        use std::io::Write;
        let message = match &error {
            pinch::error::Error::Stopped { message, .. } if message.is_empty() => String::new(),
            pinch::error::Error::Stopped { message, .. } => format!("pinch: {message}\n"),
            _ => format!("pinch: error: {error}\n"),
        };
        let _ = std::io::stderr().lock().write_all(message.as_bytes());
        std::process::exit(error.exit_status());
    }
}
