use clap::Parser;

fn main() {
    let cli = pinch::cli::Cli::parse();
    env_logger::Builder::new()
        .parse_filters(&cli.log_level)
        .parse_default_env()
        .format_timestamp_secs()
        .init();
    if let Err(error) = pinch::cli::run(cli) {
        eprintln!("pinch: error: {error}");
        std::process::exit(1);
    }
}
