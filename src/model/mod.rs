//! The glass former: a 3D polydisperse soft-sphere model with a smoothed r⁻¹⁰ pair potential,
//! non-additive sizes and a cubic periodic box.
//!
//! Units throughout: energy ε, length λ_min, mass m (k_B = 1, so temperatures are in ε).

mod configuration;
mod evaluate;
mod parameters;
mod potential;
mod sizes;

pub use configuration::{Configuration, ConfigurationError, minimum_image, wrap_coordinate};
pub use evaluate::{
    Observables, athermal_pressure, check_finite_energy, evaluate, for_each_interacting_pair,
    hessian_times,
};
pub use parameters::{MAX_SMOOTHING_ORDER, ModelParameters, ParameterError};
pub use potential::{EXPONENT, PairPotential};
pub use sizes::{SizeDistribution, SizeSet};

use rand::Rng;

use crate::rng::{Stream, stream};

/// An infinite-temperature configuration: `n_particles` uniformly random positions in the box of the
/// model's density, with sizes drawn as the parameters say. The same seed gives the same configuration.
pub fn random_configuration(
    parameters: &ModelParameters,
    n_particles: usize,
    seed: u64,
) -> Configuration {
    let box_length = parameters.box_length(n_particles);
    let mut rng = stream(seed, Stream::InitialPositions, &[]);
    let positions = (0..n_particles)
        .map(|_| {
            std::array::from_fn(|_| wrap_coordinate(rng.random::<f64>() * box_length, box_length))
        })
        .collect();
    let sizes = parameters.size_distribution().sample(
        n_particles,
        parameters.size_set,
        &mut stream(seed, Stream::Sizes, &[]),
    );
    Configuration {
        box_length,
        positions,
        sizes,
    }
}
