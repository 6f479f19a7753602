//! The force-dipole responses: `/dipoles` and its datasets.

use serde::{Deserialize, Serialize};

use crate::response::dipoles::Dipoles;

/// The pairs' ids (M, 2).
pub const PAIRS: &str = "dipoles/pairs";
/// dᵀH⁺d per pair (M,).
pub const D_HINV_D: &str = "dipoles/d_hinv_d";
/// dᵀH⁺²d per pair (M,).
pub const D_HINV2_D: &str = "dipoles/d_hinv2_d";
/// ω^(ij) per pair (M,).
pub const OMEGA: &str = "dipoles/omega";
/// Each particle's lowest ω^(ij) over the dipoles it belongs to, NaN if none (N,): a softness map.
pub const LOCAL_OMEGA_MIN: &str = "dipoles/local_omega_min";
/// Each particle's mean ω^(ij) over the dipoles it belongs to, NaN if none (N,).
pub const LOCAL_OMEGA_MEAN: &str = "dipoles/local_omega_mean";
/// The radial profile of the responses about the pairs' midpoints.
pub const PROFILE: &str = "dipoles/profile";
/// The sums of the dipole profile's shells, after `radius` and `count`.
pub const PROFILE_SUMS: [&str; 2] = ["sum_radial", "sum_magnitude2"];

/// The sample's estimates of ω_g and how they were found: the attributes of `/dipoles`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DipolesRecord {
    /// Number of dipoles M.
    pub count: u64,
    /// Interacting pairs of the state, of which the M were drawn.
    pub interacting_pairs: u64,
    /// Mean of ω^(ij).
    #[serde(default = "super::absent")]
    pub omega_g: f64,
    /// √⟨κ⟩, κ = dᵀH⁺d/dᵀH⁺²d.
    #[serde(default = "super::absent")]
    pub sqrt_mean_kappa: f64,
    /// Median of ω^(ij).
    #[serde(default = "super::absent")]
    pub median_omega: f64,
    /// Seed of the choice of pairs.
    pub seed: u64,
    /// The linear solver.
    pub method: String,
    /// Wall time [s].
    #[serde(default = "super::absent")]
    pub seconds: f64,
}

impl super::Group for DipolesRecord {
    const PATH: &'static str = "dipoles";
}

impl DipolesRecord {
    /// The record of `dipoles`, drawn with `seed` and solved with `method` in `seconds`.
    pub fn new(dipoles: &Dipoles, seed: u64, method: String, seconds: f64) -> Self {
        DipolesRecord {
            count: dipoles.pairs.len() as u64,
            interacting_pairs: dipoles.interacting_pairs,
            omega_g: dipoles.omega_g(),
            sqrt_mean_kappa: dipoles.sqrt_mean_kappa(),
            median_omega: dipoles.median_omega(),
            seed,
            method,
            seconds,
        }
    }
}
