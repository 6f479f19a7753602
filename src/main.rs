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

/// Restarts the program once with `OPENBLAS_CORETYPE` set if OpenBLAS chose generic kernels on a CPU
/// that has better ones (see `pinch::blas`). Runs first, before MPI or any other thread starts; if the
/// restart fails the run goes on with the kernels it has.
fn restart_with_cpu_kernels() {
    use std::os::unix::process::CommandExt;
    let Some(kernels) = pinch::blas::kernels_to_force() else {
        return;
    };
    let Ok(program) = std::env::current_exe() else {
        return;
    };
    let mut arguments = std::env::args_os();
    let name = arguments.next().unwrap_or_default();
    let error = std::process::Command::new(program)
        .arg0(name)
        .args(arguments)
        .env("OPENBLAS_CORETYPE", kernels)
        .exec();
    eprintln!("pinch: warning: could not restart with OPENBLAS_CORETYPE={kernels}: {error}");
}

/// Creates the file that `PINCH_LAUNCH_MARKER` names, on the first rank: job scripts check for it,
/// because an `srun` whose step never started can exit with status 0 (Slurm 22.05).
fn mark_launched() {
    let Some(path) = std::env::var_os("PINCH_LAUNCH_MARKER") else {
        return;
    };
    if launcher_rank() == 0
        && let Err(error) = std::fs::write(&path, format!("{}\n", std::process::id()))
    {
        eprintln!(
            "pinch: warning: cannot create the launch marker {}: {error}",
            std::path::Path::new(&path).display()
        );
    }
}

fn main() {
    restart_with_cpu_kernels();
    mark_launched();
    // Output piped into `head` and the like ends quietly when the reader goes away, as for any Unix
    // tool, instead of panicking on EPIPE.
    // SAFETY: restoring the default disposition of SIGPIPE before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = pinch::cli::Cli::parse();
    // Runs that checkpoint on signals hear them from here on, before MPI and PETSc start, so that a
    // job cancelled while it starts still stops with its checkpoint. Before this point the process has
    // written only its launch marker, so a signal's default action (the end of the process) loses
    // nothing.
    if cli.stops_on_signals()
        && let Err(error) = pinch::io::stop_on_signals()
    {
        eprintln!("pinch: error: {error}");
        std::process::exit(error.exit_status());
    }
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
    log::debug!("BLAS: {}", pinch::blas::description());
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
