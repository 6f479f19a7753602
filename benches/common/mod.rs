//! What the benchmarks share: the sizes they run, how they time a piece of work and how they write
//! their results.

/// The particle counts of `PINCH_BENCH_SIZES` (comma-separated), or `default`.
pub fn sizes(default: &str) -> Vec<usize> {
    std::env::var("PINCH_BENCH_SIZES")
        .unwrap_or_else(|_| default.into())
        .split(',')
        .map(|s| {
            s.trim()
                .parse()
                .expect("PINCH_BENCH_SIZES holds particle counts")
        })
        .collect()
}

/// Runs `work` at least three times and for at least two seconds; gives the number of runs and the
/// seconds they took.
pub fn time_repeatedly(mut work: impl FnMut()) -> (usize, f64) {
    let (mut runs, start) = (0usize, std::time::Instant::now());
    while runs < 3 || start.elapsed() < std::time::Duration::from_secs(2) {
        work();
        runs += 1;
    }
    (runs, start.elapsed().as_secs_f64())
}

/// Writes `rows` with a description of the benchmark and the provenance of this run to the path in
/// `PINCH_BENCH_OUT`, or to `default_path`.
pub fn write_results(default_path: &str, benchmark: &str, rows: Vec<serde_json::Value>) {
    let out = std::env::var("PINCH_BENCH_OUT").unwrap_or_else(|_| default_path.into());
    let path = std::path::Path::new(&out);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("create the results directory");
    }
    let report = serde_json::json!({
        "benchmark": benchmark,
        "provenance": pinch::provenance::Provenance::of_this_run(Some(1), 1),
        "results": rows,
    });
    std::fs::write(path, serde_json::to_string_pretty(&report).unwrap())
        .expect("write the results");
    println!("results written to {}", path.display());
}
