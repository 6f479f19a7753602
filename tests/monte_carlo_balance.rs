//! Statistical checks that swap Monte Carlo samples the Boltzmann distribution at T_p:
//!
//! 1. the parallel checkerboard sampler and a plain serial single-particle Metropolis sampler (random
//!    particle, translation or swap with any other particle, energy changes by brute force over all
//!    pairs) give the same mean energy and pressure within their errors;
//! 2. so does the parallel sampler with swaps restricted to sizes closer than Δλ (the proposal stays
//!    symmetric, so the distribution must not change; at this T_p the restriction refuses many swaps
//!    that would be accepted);
//! 3. the energy distributions at two nearby temperatures are related by the Boltzmann factor: the
//!    mean energy at T₂ measured directly equals the one reweighted from the run at T₁.
//!
//! Seeds are fixed, so each check gives the same verdict on every run; errors come from block averages
//! (blocks much longer than the correlation time), and agreement is required within four standard
//! errors.

use pinch::model::{Configuration, ModelParameters, PairPotential, minimum_image};
use pinch::monte_carlo::{SwapMonteCarlo, SwapParameters};
use rand::{Rng, SeedableRng};

const N: usize = 256;

/// Sweeps discarded at the start of every run.
const EQUILIBRATION: usize = 2000;

fn start() -> Configuration {
    // Relaxed a little, so that neither sampler starts from extreme overlaps.
    pinch::testing::spread_configuration(&ModelParameters::default(), N, 3)
}

/// Energy and virial pressure part of a configuration (serial model).
fn energy_and_pressure(
    c: &Configuration,
    potential: &PairPotential,
    temperature: f64,
) -> (f64, f64) {
    let o = pinch::model::evaluate(c, potential);
    let volume = c.volume();
    (
        o.energy,
        N as f64 * temperature / volume + pinch::model::athermal_pressure(&o.virial, volume),
    )
}

/// Mean and standard error from `blocks` block means.
fn estimate(values: &[f64], blocks: usize) -> (f64, f64) {
    let size = values.len() / blocks;
    let means: Vec<f64> = values
        .chunks_exact(size)
        .map(|b| b.iter().sum::<f64>() / size as f64)
        .collect();
    let n = means.len() as f64;
    let mean = means.iter().sum::<f64>() / n;
    let variance = means.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (variance / n).sqrt())
}

/// Energies and pressures every sweep of the parallel sampler after `EQUILIBRATION` sweeps.
fn parallel_run(
    world: &mpi::topology::SimpleCommunicator,
    temperature: f64,
    sweeps: usize,
    seed: u64,
    max_size_difference: Option<f64>,
) -> (Vec<f64>, Vec<f64>) {
    let parameters = ModelParameters::default();
    let potential = parameters.potential();
    let mut sampler = SwapMonteCarlo::new(
        world,
        &start(),
        potential.clone(),
        SwapParameters {
            tuning_sweeps: 200,
            grid_shift_interval: 1,
            max_size_difference,
            ..SwapParameters::at(temperature)
        },
        seed,
    )
    .unwrap();
    let (mut energies, mut pressures) = (Vec::new(), Vec::new());
    for sweep in 0..sweeps + EQUILIBRATION {
        sampler.sweep();
        if sweep >= EQUILIBRATION {
            let c = sampler.configuration().unwrap();
            let (e, p) = energy_and_pressure(&c, &potential, temperature);
            energies.push(e);
            pressures.push(p);
        }
    }
    (energies, pressures)
}

#[test]
fn parallel_and_serial_samplers_agree_and_nearby_temperatures_are_boltzmann_related() {
    let universe = mpi::initialize().unwrap();
    let world = universe.world();
    let parameters = ModelParameters::default();
    let potential = parameters.potential();
    let temperature = 1.5;
    let sweeps = 15_000;

    // The serial reference: single-particle Metropolis with brute-force energy changes.
    let mut c = start();
    let l = c.box_length;
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(17);
    let pair = |c: &Configuration, i: usize, j: usize, x: [f64; 3], size: f64| {
        let d = minimum_image(x, c.positions[j], l);
        let r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
        potential.energy(r2, potential.pair_size(size, c.sizes[j])) * (i != j) as u8 as f64
    };
    let particle_energy = |c: &Configuration, i: usize, x: [f64; 3], size: f64, skip: usize| {
        (0..N)
            .filter(|&j| j != skip)
            .map(|j| pair(c, i, j, x, size))
            .sum::<f64>()
    };
    let step = 0.12;
    let (mut serial_energies, mut serial_pressures) = (Vec::new(), Vec::new());
    for sweep in 0..sweeps + EQUILIBRATION {
        for _ in 0..N {
            let i = rng.random_range(0..N);
            if rng.random::<f64>() < 0.2 {
                let j = (i + 1 + rng.random_range(0..N - 1)) % N;
                let (a, b) = (c.sizes[i], c.sizes[j]);
                let before = particle_energy(&c, i, c.positions[i], a, j)
                    + particle_energy(&c, j, c.positions[j], b, i);
                let after = particle_energy(&c, i, c.positions[i], b, j)
                    + particle_energy(&c, j, c.positions[j], a, i);
                if rng.random::<f64>() < (-(after - before) / temperature).exp() {
                    c.sizes.swap(i, j);
                }
            } else {
                let x = c.positions[i];
                let to: [f64; 3] = std::array::from_fn(|a| {
                    pinch::model::wrap_coordinate(x[a] + step * (rng.random::<f64>() - 0.5), l)
                });
                let delta = particle_energy(&c, i, to, c.sizes[i], i)
                    - particle_energy(&c, i, x, c.sizes[i], i);
                if rng.random::<f64>() < (-delta / temperature).exp() {
                    c.positions[i] = to;
                }
            }
        }
        if sweep >= EQUILIBRATION {
            let (e, p) = energy_and_pressure(&c, &potential, temperature);
            serial_energies.push(e);
            serial_pressures.push(p);
        }
    }

    let (energies, pressures) = parallel_run(&world, temperature, sweeps, 23, None);
    let (restricted_energies, restricted_pressures) =
        parallel_run(&world, temperature, sweeps, 37, Some(0.3));
    let blocks = 20;
    for (name, a, b) in [
        ("energy", &energies, &serial_energies),
        ("pressure", &pressures, &serial_pressures),
        ("energy (Δλ < 0.3)", &restricted_energies, &serial_energies),
        (
            "pressure (Δλ < 0.3)",
            &restricted_pressures,
            &serial_pressures,
        ),
    ] {
        let (ma, ea) = estimate(a, blocks);
        let (mb, eb) = estimate(b, blocks);
        println!("{name}: parallel {ma:.4} ± {ea:.4}, serial {mb:.4} ± {eb:.4}");
        assert!(
            (ma - mb).abs() < 4.0 * ea.hypot(eb),
            "{name}: parallel {ma} ± {ea} vs serial {mb} ± {eb}"
        );
        assert!(
            ea < 0.01 * ma.abs(),
            "{name}: the errors are too large to test anything"
        );
    }

    // Reweight the run at T₁ to T₂ and compare with a run at T₂ (jackknife over blocks).
    let hotter = 1.6;
    let (hot_energies, _) = parallel_run(&world, hotter, sweeps, 29, None);
    let beta = 1.0 / hotter - 1.0 / temperature;
    let reference = energies.iter().sum::<f64>() / energies.len() as f64;
    let weights: Vec<f64> = energies
        .iter()
        .map(|e| (-beta * (e - reference)).exp())
        .collect();
    let size = energies.len() / blocks;
    let block_sums: Vec<(f64, f64)> = (0..blocks)
        .map(|b| {
            let range = b * size..(b + 1) * size;
            (
                energies[range.clone()]
                    .iter()
                    .zip(&weights[range.clone()])
                    .map(|(e, w)| e * w)
                    .sum(),
                weights[range].iter().sum(),
            )
        })
        .collect();
    let (total_ew, total_w) = block_sums
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    let reweighted = total_ew / total_w;
    let leave_one_out: Vec<f64> = block_sums
        .iter()
        .map(|(x, y)| (total_ew - x) / (total_w - y))
        .collect();
    let mean_out = leave_one_out.iter().sum::<f64>() / blocks as f64;
    let reweighted_error = ((blocks as f64 - 1.0) / blocks as f64
        * leave_one_out
            .iter()
            .map(|v| (v - mean_out).powi(2))
            .sum::<f64>())
    .sqrt();
    let (direct, direct_error) = estimate(&hot_energies, blocks);
    let (cold, _) = estimate(&energies, blocks);
    println!(
        "energy at T = {hotter}: direct {direct:.3} ± {direct_error:.3}, reweighted from T = {temperature} {reweighted:.3} ± {reweighted_error:.3} (at T = {temperature}: {cold:.3})"
    );
    assert!(
        (direct - reweighted).abs() < 4.0 * direct_error.hypot(reweighted_error),
        "direct {direct} ± {direct_error} vs reweighted {reweighted} ± {reweighted_error}"
    );
    // The test has power: the temperature step moves the mean energy by many standard errors.
    assert!(
        (direct - cold).abs() > 5.0 * direct_error.hypot(reweighted_error),
        "the two temperatures are too close to tell a wrong distribution: {direct} vs {cold}"
    );
}
