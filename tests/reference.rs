//! The model checked against an independent implementation: matscipy's `InversePowerLawPotential`,
//! run by `tests/python/reference_energy.py` in the project's Python environment (`scripts/setup`).

mod common;

use common::*;

/// An m³ simple cubic lattice at density 0.58 with positions jittered by ±0.15 and sizes from p(λ).
fn jittered_lattice(m: usize) -> pinch::model::Configuration {
    use rand::{Rng, SeedableRng};
    let parameters = pinch::model::ModelParameters::default();
    let n = m * m * m;
    let box_length = parameters.box_length(n);
    let spacing = box_length / m as f64;
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(17);
    let mut positions = Vec::with_capacity(n);
    for i in 0..n {
        let cell = [i / (m * m), (i / m) % m, i % m];
        let x = cell.map(|c| {
            pinch::model::wrap_coordinate(
                (c as f64 + 0.5) * spacing + 0.3 * (rng.random::<f64>() - 0.5),
                box_length,
            )
        });
        positions.push(x);
    }
    let sizes = parameters
        .size_distribution()
        .sample(n, pinch::model::SizeSet::Quantile, &mut rng);
    pinch::model::Configuration::new(box_length, positions, sizes).unwrap()
}

#[test]
fn energy_pressure_and_forces_agree_with_matscipy() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Random (T = ∞) configurations, dominated by close overlaps, and a jittered cubic lattice at the
    // model's density, where most pairs sit in the smoothed tail of the potential.
    let cases = [
        ("1.48", Some(("1", "2000"))),
        ("1.4", Some(("2", "1200"))),
        ("1.48", None),
        ("1.4", None),
    ];
    for (cutoff, random) in cases {
        std::fs::write(d.join("model.toml"), format!("cutoff = {cutoff}\n")).unwrap();
        match random {
            Some((seed, n)) => {
                success(&pinch(
                    d,
                    &[
                        "generate",
                        "-n",
                        n,
                        "--seed",
                        seed,
                        "--model",
                        "model.toml",
                        "-o",
                        "c.xyz",
                    ],
                ));
            }
            None => pinch::io::write_xyz(&d.join("c.xyz"), &jittered_lattice(12)).unwrap(),
        }
        let ours = json(&pinch(
            d,
            &["inspect", "c.xyz", "--json", "--model", "model.toml"],
        ));
        let reference = python_json(
            d,
            "reference_energy.py",
            &["c.xyz", cutoff, "0.1", "3", "1.0", "2.22"],
        );
        for key in ["energy_per_particle", "pressure", "max_force"] {
            let (a, b) = (
                ours[key].as_f64().unwrap(),
                reference[key].as_f64().unwrap(),
            );
            eprintln!(
                "x_c = {cutoff}, {}: {key}",
                if random.is_some() {
                    "random"
                } else {
                    "lattice"
                }
            );
            eprintln!("  {key}: pinch {a:.15e}, matscipy {b:.15e}");
            assert!(
                (a - b).abs() <= 1e-10 * b.abs(),
                "x_c = {cutoff}: {key}: pinch {a} vs matscipy {b}"
            );
        }
    }
}
