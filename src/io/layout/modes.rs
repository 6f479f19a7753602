//! The lowest modes: `/modes` and its datasets.

use serde::{Deserialize, Serialize};

use crate::modes::Modes;

/// Eigenvalues of the Hessian, ascending (k,).
pub const EIGENVALUES: &str = "modes/eigenvalues";
/// ω_k = √λ_k (k,).
pub const FREQUENCIES: &str = "modes/frequencies";
/// Participation ratios (k,).
pub const PARTICIPATION_RATIOS: &str = "modes/participation_ratios";
/// Relative residuals of the eigenpairs (k,).
pub const RELATIVE_ERRORS: &str = "modes/relative_errors";
/// Id of each mode's largest component (k,).
pub const CENTRES: &str = "modes/centres";
/// The eigenvectors (k, N, 3), when asked for.
pub const VECTORS: &str = "modes/vectors";
/// Radial profiles about each centre.
pub const PROFILE: &str = "modes/profile";
/// The sums of a mode profile's shells, after `radius` and `count`.
pub const PROFILE_SUMS: [&str; 2] = ["sum_magnitude", "sum_magnitude2"];

/// How the modes were found: the attributes of `/modes`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ModesRecord {
    /// Number of modes k.
    pub count: u64,
    /// The eigensolver.
    pub method: String,
    /// Its spectral transformation.
    pub spectral_transform: String,
    /// The shift of the transformation [ε/(m λ_min²)].
    #[serde(default = "super::absent")]
    pub target: f64,
    /// Eigensolver iterations, over all runs.
    pub iterations: u64,
    /// Eigensolver runs (more than one when the count was doubled to reach `max_frequency`).
    pub solves: u64,
    /// No negative eigenvalue.
    pub stable: bool,
    /// Wall time [s].
    #[serde(default = "super::absent")]
    pub seconds: f64,
}

impl super::Group for ModesRecord {
    const PATH: &'static str = "modes";
}

impl ModesRecord {
    /// The record of `modes`, found in `seconds`.
    pub fn new(modes: &Modes, seconds: f64) -> Self {
        ModesRecord {
            count: modes.eigenvalues.len() as u64,
            method: modes.method.clone(),
            spectral_transform: modes.spectral_transform.clone(),
            target: modes.target,
            iterations: modes.iterations as u64,
            solves: modes.solves as u64,
            stable: !modes.unstable,
            seconds,
        }
    }
}
