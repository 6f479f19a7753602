//! The parameters of swap Monte Carlo, their defaults, and their checks.

use serde::{Deserialize, Serialize};

use crate::model::ParameterError;

/// Parameters of swap Monte Carlo (TOML keys of the `[swap_monte_carlo]` table).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwapParameters {
    /// The parent temperature T_p [ε/k_B].
    pub parent_temperature: f64,
    /// Probability that an attempt is a size swap rather than a translation.
    #[serde(default = "defaults::swap_probability")]
    pub swap_probability: f64,
    /// Swaps only between particles whose sizes differ by less than this [λ_min] (none: any two).
    /// By default [`default_max_size_difference`] of T_p.
    #[serde(default)]
    pub max_size_difference: Option<f64>,
    /// Initial edge δ of the cube of trial translations [λ_min].
    #[serde(default = "defaults::step_size")]
    pub step_size: f64,
    /// Acceptance rate of translations that the tuning aims at.
    #[serde(default = "defaults::target_acceptance")]
    pub target_acceptance: f64,
    /// Sweeps during which δ is tuned (every [`super::TUNING_BLOCK`] sweeps); δ is frozen afterwards.
    #[serde(default = "defaults::tuning_sweeps")]
    pub tuning_sweeps: u64,
    /// Verlet skin of the Monte Carlo lists [λ_min]; δ is kept below skin/(2√3). It sets the speed
    /// only: energy changes are exact with any skin. By default [`default_skin`] of T_p.
    pub skin: f64,
    /// The cell grid is moved (by a random translation of the system) every this many sweeps.
    #[serde(default = "defaults::grid_shift_interval")]
    pub grid_shift_interval: u64,
}

mod defaults {
    pub fn swap_probability() -> f64 {
        0.2
    }
    pub fn step_size() -> f64 {
        0.12
    }
    pub fn target_acceptance() -> f64 {
        0.4
    }
    pub fn tuning_sweeps() -> u64 {
        200
    }
    pub fn grid_shift_interval() -> u64 {
        20
    }
}

/// The default skin of the Monte Carlo lists at parent temperature T_p: max(0.9, min(T_p + 0.6,
/// 0.4 T_p + 1.2)) [λ_min].
///
/// The hotter the liquid, the larger the tuned step size and the faster particles leave their list
/// range, so lists are rebuilt ever more often unless the skin grows; a larger skin makes every energy
/// change scan more partners. Lists are rebuilt after every grid shift anyway, so the best skin is
/// about the smallest that lasts from one shift to the next. This rule follows the measured optimum
/// of the default model at N = 16,000 (`docs/swap-monte-carlo.md`): 1.0 at T_p = 0.4, 1.3–1.45 at
/// 0.7, 1.6 at 1.0, 2.0 at 2.0.
pub fn default_skin(parent_temperature: f64) -> f64 {
    let t = parent_temperature;
    (t + 0.6).min(0.4 * t + 1.2).max(0.9)
}

/// The default restriction of swaps at parent temperature T_p: sizes closer than 0.5 λ_min at
/// T_p ≤ 0.6, none above.
///
/// At T_p ≤ 0.6 no swap of sizes 0.5 or more apart was accepted in runs with and without the
/// restriction, which gave the same trajectories bit for bit (`docs/sampling.md`): there the
/// restriction only spares the energy changes of swaps that are rejected anyway (7–8% of the time). Above, it
/// would change the dynamics, so it is left off.
pub fn default_max_size_difference(parent_temperature: f64) -> Option<f64> {
    (parent_temperature <= RESTRICTED_SWAPS_UP_TO).then_some(RESTRICTED_SIZE_DIFFERENCE)
}

/// The highest T_p at which swaps are restricted by default.
pub const RESTRICTED_SWAPS_UP_TO: f64 = 0.6;

/// The default restriction of swaps at low T_p [λ_min].
pub const RESTRICTED_SIZE_DIFFERENCE: f64 = 0.5;

impl SwapParameters {
    /// The defaults at parent temperature `parent_temperature`.
    pub fn at(parent_temperature: f64) -> Self {
        SwapParameters {
            parent_temperature,
            swap_probability: defaults::swap_probability(),
            max_size_difference: default_max_size_difference(parent_temperature),
            step_size: defaults::step_size(),
            target_acceptance: defaults::target_acceptance(),
            tuning_sweeps: defaults::tuning_sweeps(),
            skin: default_skin(parent_temperature),
            grid_shift_interval: defaults::grid_shift_interval(),
        }
    }

    /// Checks every field, naming the one that is wrong.
    pub fn validate(&self) -> std::result::Result<(), ParameterError> {
        let bad = |field: &'static str, reason: String| Err(ParameterError { field, reason });
        if !(self.parent_temperature.is_finite() && self.parent_temperature > 0.0) {
            return bad(
                "parent_temperature",
                format!(
                    "must be positive and finite, not {}",
                    self.parent_temperature
                ),
            );
        }
        if !(0.0..=1.0).contains(&self.swap_probability) {
            return bad(
                "swap_probability",
                format!("must lie in [0, 1], not {}", self.swap_probability),
            );
        }
        if let Some(d) = self.max_size_difference
            && !(d > 0.0)
        {
            return bad("max_size_difference", format!("must be positive, not {d}"));
        }
        if !(self.skin.is_finite() && self.skin > 0.0) {
            return bad("skin", format!("must be positive, not {}", self.skin));
        }
        if !(self.step_size > 0.0 && self.step_size <= self.largest_step_size()) {
            return bad(
                "step_size",
                format!(
                    "must be positive and at most skin/(2√3) = {:.4}, not {}",
                    self.largest_step_size(),
                    self.step_size
                ),
            );
        }
        if self.grid_shift_interval == 0 {
            return bad("grid_shift_interval", "must be at least 1".into());
        }
        if !(self.target_acceptance > 0.0 && self.target_acceptance < 1.0) {
            return bad(
                "target_acceptance",
                format!("must lie in (0, 1), not {}", self.target_acceptance),
            );
        }
        Ok(())
    }

    /// The largest step size the skin allows: a particle moves at most δ√3/2 per sweep, and two of
    /// them together by no more than half the skin.
    pub fn largest_step_size(&self) -> f64 {
        self.skin / (2.0 * 3f64.sqrt())
    }
}
