//! The attributes of a campaign's entries: `/samples/<sample>` and `/chains/<chain>` of a part file.

use serde::{Deserialize, Serialize};

/// The attribute that says whether an entry is `complete` or `failed`.
pub const STATUS: &str = "status";
/// The attribute that says why an entry failed (empty if it did not).
pub const REASON: &str = "reason";

/// Where a sample comes from: the attributes of `/samples/<sample>`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SampleAttributes {
    /// `complete` or `failed`.
    pub status: String,
    /// Why it failed; empty if it did not.
    pub reason: String,
    /// The point's name.
    pub point: String,
    /// The chain's name.
    pub chain: String,
    /// N.
    pub n_particles: u64,
    /// T_p [ε/k_B].
    #[serde(default = "super::absent")]
    pub parent_temperature: f64,
    /// The chain's index within its point.
    pub chain_index: u64,
    /// The sample's index within its chain.
    pub sample_index: u64,
    /// The chain's sweep the sample was taken at (absent if the chain never equilibrated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<u64>,
    /// The chain's τ_α [sweeps] (absent if the chain never equilibrated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tau_alpha: Option<f64>,
    /// Seed of the chain.
    pub chain_seed: u64,
    /// Seed of the choice of dipole pairs.
    pub dipole_seed: u64,
}

/// How far a chain has come: in its checkpoint's `/observables` and its record's attributes. Sweeps
/// are stored as floating-point numbers, as the format has always had them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChainProgress {
    /// The sweep at which the chain passed its stationarity test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equilibrated_at: Option<f64>,
    /// Sweeps between samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_spacing: Option<f64>,
    /// τ_α at equilibration [sweeps].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tau_alpha: Option<f64>,
    /// Where the chain started: `random`, `ladder from <chain>` or `branch of <chain>` (absent:
    /// random).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
}

/// A chain's record: the attributes of `/chains/<chain>`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChainRecord {
    /// `complete`, or `failed` if it never equilibrated.
    pub status: String,
    /// Why it failed; empty if it did not.
    pub reason: String,
    /// Its progress.
    #[serde(flatten)]
    pub progress: ChainProgress,
    /// N.
    pub n_particles: u64,
    /// T_p [ε/k_B].
    #[serde(default = "super::absent")]
    pub parent_temperature: f64,
    /// The chain's index within its point.
    pub chain_index: u64,
    /// Seed of the chain.
    pub seed: u64,
    /// Sweeps run.
    pub sweeps: u64,
    /// The trial step at the end [λ_min].
    #[serde(default = "super::absent")]
    pub step_size: f64,
    /// The stationarity verdict, in words.
    pub stationarity: String,
}
