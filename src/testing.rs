//! Configurations for tests and benchmarks.

use crate::model::{Configuration, ModelParameters, evaluate, random_configuration};

/// A random (T = ∞) configuration pushed apart from its closest contacts by 100 small steepest-descent
/// steps, so that forces and pair stiffnesses are moderate (finite differences stay well conditioned).
pub fn spread_configuration(parameters: &ModelParameters, n: usize, seed: u64) -> Configuration {
    let potential = parameters.potential();
    let mut c = random_configuration(parameters, n, seed);
    for _ in 0..100 {
        let f = evaluate(&c, &potential).forces;
        let largest = f.iter().flatten().fold(1.0f64, |m, x| m.max(x.abs()));
        for (x, f) in c.positions.iter_mut().zip(&f) {
            for a in 0..3 {
                x[a] += 2e-3 * f[a] / largest;
            }
        }
        Configuration::wrap(c.box_length, &mut c.positions);
    }
    c
}
