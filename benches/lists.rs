//! Time of a neighbour-list build (with migration and ghosts) on one rank: the any-size lists of swap
//! Monte Carlo, at the skins of T_p = 0.4 and 1.0, and the per-pair lists of force evaluation, on
//! infinite-temperature configurations. Results are printed and written to `bench-results/lists.json`
//! (or the path in `PINCH_BENCH_OUT`).
//!
//! Run: `cargo bench --bench lists` (or `scripts/bench`). Sizes: `PINCH_BENCH_SIZES=16000`.

mod common;

use pinch::domain::{DEFAULT_SKIN, Engine, Layout};
use pinch::model::{ModelParameters, random_configuration};
use pinch::monte_carlo::default_skin;

fn main() {
    let universe = mpi::initialize().expect("MPI initialises");
    let world = universe.world();
    let sizes = common::sizes("2000,16000,128000");
    let parameters = ModelParameters::default();
    let potential = parameters.potential();
    let mut rows = Vec::new();
    println!(
        "{:>9} {:>10} {:>6} {:>8} {:>14} {:>12}",
        "N", "list", "skin", "builds", "ms per build", "entries/row"
    );
    for n in sizes {
        let configuration = random_configuration(&parameters, n, 1);
        let range = potential.range(configuration.largest_size());
        let cells = 2 * (configuration.box_length / (2.0 * range)).floor() as usize;
        let cases = [
            ("any-size", default_skin(0.4), true),
            ("any-size", default_skin(1.0), true),
            ("per-pair", DEFAULT_SKIN, false),
        ];
        for (name, skin, any_sizes) in cases {
            let layout = Layout {
                slabs: any_sizes.then_some(cells),
                any_sizes,
            };
            let mut engine =
                Engine::with_layout(&world, &configuration, potential.clone(), skin, layout)
                    .expect("the engine is set up");
            let (builds, seconds) = common::time_repeatedly(|| engine.rebuild_now(&mut []));
            let milliseconds = seconds * 1e3 / builds as f64;
            let entries = engine.mean_list_entries();
            println!(
                "{n:>9} {name:>10} {skin:>6.3} {builds:>8} {milliseconds:>14.2} {entries:>12.1}"
            );
            rows.push(serde_json::json!({
                "n_particles": n, "list": name, "skin": skin, "builds": builds,
                "milliseconds_per_build": milliseconds, "entries_per_row": entries,
            }));
        }
    }
    common::write_results(
        "bench-results/lists.json",
        "neighbour-list build with migration and ghosts, 1 rank, 1 thread",
        rows,
    );
}
