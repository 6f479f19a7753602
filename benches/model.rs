//! Throughput of the serial reference evaluation (energy, forces, virial) on infinite-temperature
//! configurations, in particle-force evaluations per second on one core. Results are printed and written
//! to `bench-results/model.json` (or the path in `PINCH_BENCH_OUT`).
//!
//! Run: `cargo bench --bench model` (or `scripts/bench`). Sizes: `PINCH_BENCH_SIZES=2000,16000`.

mod common;

use pinch::model::{ModelParameters, evaluate, random_configuration};

fn main() {
    let sizes = common::sizes("2000,16000,128000");
    let parameters = ModelParameters::default();
    let potential = parameters.potential();
    let mut rows = Vec::new();
    println!(
        "{:>9} {:>10} {:>8} {:>12} {:>16} {:>10}",
        "N", "pairs", "calls", "seconds", "particles/s", "ns/pair"
    );
    for n in sizes {
        let configuration = random_configuration(&parameters, n, 1);
        let pairs = evaluate(&configuration, &potential).interacting_pairs;
        let (calls, seconds) = common::time_repeatedly(|| {
            std::hint::black_box(evaluate(std::hint::black_box(&configuration), &potential));
        });
        let throughput = (n * calls) as f64 / seconds;
        let ns_per_pair = seconds * 1e9 / (pairs * calls) as f64;
        println!(
            "{n:>9} {pairs:>10} {calls:>8} {seconds:>12.3} {throughput:>16.4e} {ns_per_pair:>10.2}"
        );
        rows.push(serde_json::json!({
            "n_particles": n, "interacting_pairs": pairs, "calls": calls, "seconds": seconds,
            "particle_force_evaluations_per_second": throughput, "ns_per_pair": ns_per_pair,
        }));
    }
    common::write_results(
        "bench-results/model.json",
        "serial reference evaluation (cell list, full stencil), 1 core",
        rows,
    );
}
