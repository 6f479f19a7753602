//! The model's parameters: one serde struct with the project's defaults, read from TOML and validated.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::potential::PairPotential;
use super::sizes::{SizeDistribution, SizeSet};

/// Parameters of the polydisperse soft-sphere glass former. Lengths in λ_min units when λ_min = 1.
///
/// In TOML every key is optional (missing keys take the defaults below) and unknown keys are errors:
///
/// ```toml
/// cutoff = 1.48            # x_c: pairs interact for r < x_c λ_ij
/// smoothing_order = 3      # q: φ and its first q derivatives vanish at the cutoff
/// non_additivity = 0.1     # n_A in λ_ij = ½(λ_i + λ_j)(1 − n_A |λ_i − λ_j|)
/// lambda_min = 1.0         # sizes follow p(λ) ∝ λ⁻³ on [lambda_min, lambda_max]
/// lambda_max = 2.22
/// number_density = 0.58    # N/V
/// size_set = "quantile"    # "quantile" (deterministic set, permuted) or "random" (i.i.d. draws)
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelParameters {
    /// x_c, the cutoff in units of the pair size λ_ij.
    pub cutoff: f64,
    /// q, the number of derivatives of φ that vanish at the cutoff (besides φ itself).
    pub smoothing_order: u32,
    /// n_A, the non-additivity of pair sizes.
    pub non_additivity: f64,
    /// λ_min, the smallest particle size (the unit of length).
    pub lambda_min: f64,
    /// λ_max, the largest particle size.
    pub lambda_max: f64,
    /// N/V in λ_min⁻³.
    pub number_density: f64,
    /// How the sizes of a sample are chosen.
    pub size_set: SizeSet,
}

impl Default for ModelParameters {
    fn default() -> Self {
        ModelParameters {
            cutoff: 1.48,
            smoothing_order: 3,
            non_additivity: 0.1,
            lambda_min: 1.0,
            lambda_max: 2.22,
            number_density: 0.58,
            size_set: SizeSet::Quantile,
        }
    }
}

/// A parameter value that cannot be used, with the field it belongs to.
#[derive(Debug, Error, Clone, PartialEq)]
#[error("`{field}` {reason}")]
pub struct ParameterError {
    /// The offending field.
    pub field: &'static str,
    /// Why it cannot be used.
    pub reason: String,
}

fn invalid(field: &'static str, reason: String) -> Result<(), ParameterError> {
    Err(ParameterError { field, reason })
}

/// The largest smoothing order accepted (beyond it the polynomial only adds round-off).
pub const MAX_SMOOTHING_ORDER: u32 = 8;

impl ModelParameters {
    /// Parses TOML text from `origin` (a file's name, for the messages; all keys optional, unknown
    /// keys rejected) and validates the result.
    pub fn from_toml(text: &str, origin: &str) -> crate::error::Result<Self> {
        let parameters: ModelParameters =
            toml::from_str(text).map_err(|e| crate::error::Error::Toml {
                path: origin.to_owned(),
                message: e.to_string(),
            })?;
        parameters
            .validate()
            .map_err(|error| crate::error::Error::Parameter {
                origin: origin.to_owned(),
                error,
            })?;
        Ok(parameters)
    }

    /// Checks every parameter on its own and against the others.
    pub fn validate(&self) -> Result<(), ParameterError> {
        let positive = |field, value: f64| {
            if value.is_finite() && value > 0.0 {
                Ok(())
            } else {
                invalid(field, format!("= {value} must be a positive finite number"))
            }
        };
        positive("cutoff", self.cutoff)?;
        positive("lambda_min", self.lambda_min)?;
        positive("lambda_max", self.lambda_max)?;
        positive("number_density", self.number_density)?;
        if self.smoothing_order > MAX_SMOOTHING_ORDER {
            invalid(
                "smoothing_order",
                format!(
                    "= {} must be between 0 and {MAX_SMOOTHING_ORDER}",
                    self.smoothing_order
                ),
            )?;
        }
        if self.lambda_max <= self.lambda_min {
            invalid(
                "lambda_max",
                format!(
                    "= {} must exceed lambda_min = {}",
                    self.lambda_max, self.lambda_min
                ),
            )?;
        }
        if !(self.non_additivity.is_finite() && self.non_additivity >= 0.0) {
            invalid(
                "non_additivity",
                format!("= {} must be a finite number >= 0", self.non_additivity),
            )?;
        }
        let spread = self.lambda_max - self.lambda_min;
        if self.non_additivity * spread >= 1.0 {
            invalid(
                "non_additivity",
                format!(
                    "= {} makes pair sizes of the smallest and largest particles non-positive (needs non_additivity x (lambda_max - lambda_min) < 1, here {})",
                    self.non_additivity,
                    self.non_additivity * spread
                ),
            )?;
        }
        Ok(())
    }

    /// Checks that `n_particles` at this density give a box longer than twice the largest range.
    pub fn validate_system(&self, n_particles: usize) -> Result<(), ParameterError> {
        if n_particles == 0 {
            return invalid("n_particles", "= 0: a system needs particles".into());
        }
        let largest = pinch_petsc::MAX_INDEX / 3;
        if n_particles > largest {
            return invalid(
                "n_particles",
                format!(
                    "= {n_particles} is more than PETSc can index: its Hessian has 3N rows, and this \
                     PETSc build's indices (PetscInt) allow at most {largest} particles"
                ),
            );
        }
        let box_length = self.box_length(n_particles);
        let range = self.largest_range();
        if box_length <= 2.0 * range {
            let minimum = (self.number_density * (2.0 * range).powi(3)).floor() as usize + 1;
            invalid(
                "n_particles",
                format!(
                    "= {n_particles} at number_density = {} gives box length {box_length:.4}, not more than twice the \
                     largest interaction range {range:.4} (cutoff x lambda_max); use at least {minimum} particles",
                    self.number_density
                ),
            )?;
        }
        Ok(())
    }

    /// The edge L = (N/ρ)^{1/3} of the cubic box holding `n_particles`.
    pub fn box_length(&self, n_particles: usize) -> f64 {
        (n_particles as f64 / self.number_density).cbrt()
    }

    /// The largest interaction range x_c λ_max.
    pub fn largest_range(&self) -> f64 {
        self.cutoff * self.lambda_max
    }

    /// The pair potential these parameters define.
    pub fn potential(&self) -> PairPotential {
        PairPotential::new(self.cutoff, self.smoothing_order, self.non_additivity)
    }

    /// The size distribution these parameters define.
    pub fn size_distribution(&self) -> SizeDistribution {
        SizeDistribution::new(self.lambda_min, self.lambda_max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(text: &str) -> String {
        let parameters: ModelParameters = toml::from_str(text).unwrap();
        parameters.validate().unwrap_err().field.to_owned()
    }

    #[test]
    fn defaults_are_the_project_defaults_and_valid() {
        let p = ModelParameters::from_toml("", "test").unwrap();
        assert_eq!(p, ModelParameters::default());
        assert_eq!(
            (p.cutoff, p.smoothing_order, p.non_additivity),
            (1.48, 3, 0.1)
        );
        assert_eq!(
            (p.lambda_min, p.lambda_max, p.number_density),
            (1.0, 2.22, 0.58)
        );
        // a0 = (V/N)^{1/3} = 1.1991 λ_min.
        assert!((p.box_length(1) - 1.1991).abs() < 1e-4);
    }

    #[test]
    fn every_validation_error_names_its_field() {
        assert_eq!(field_of("cutoff = 0.0"), "cutoff");
        assert_eq!(field_of("cutoff = -1.4"), "cutoff");
        assert_eq!(field_of("cutoff = nan"), "cutoff");
        assert_eq!(field_of("lambda_min = 0.0"), "lambda_min");
        assert_eq!(field_of("lambda_max = inf"), "lambda_max");
        assert_eq!(field_of("number_density = -0.58"), "number_density");
        assert_eq!(field_of("number_density = 0.0"), "number_density");
        assert_eq!(field_of("smoothing_order = 9"), "smoothing_order");
        assert_eq!(field_of("lambda_max = 1.0"), "lambda_max");
        assert_eq!(field_of("lambda_min = 2.5"), "lambda_max");
        assert_eq!(field_of("non_additivity = -0.1"), "non_additivity");
        assert_eq!(field_of("non_additivity = 0.9"), "non_additivity");
    }

    #[test]
    fn syntax_type_and_unknown_key_errors_are_reported() {
        let unknown = ModelParameters::from_toml("cut_off = 1.4", "test")
            .unwrap_err()
            .to_string();
        assert!(unknown.contains("unknown field `cut_off`"), "{unknown}");
        let wrong_type = ModelParameters::from_toml("cutoff = \"big\"", "test")
            .unwrap_err()
            .to_string();
        assert!(wrong_type.contains("cutoff"), "{wrong_type}");
        let syntax = ModelParameters::from_toml("cutoff = = 1", "test")
            .unwrap_err()
            .to_string();
        assert!(syntax.contains("line 1"), "{syntax}");
        let size_set = ModelParameters::from_toml("size_set = \"uniform\"", "test")
            .unwrap_err()
            .to_string();
        assert!(
            size_set.contains("quantile") && size_set.contains("random"),
            "{size_set}"
        );
        let negative_order = ModelParameters::from_toml("smoothing_order = -1", "test")
            .unwrap_err()
            .to_string();
        assert!(
            negative_order.contains("smoothing_order"),
            "{negative_order}"
        );
    }

    #[test]
    fn the_box_must_hold_twice_the_largest_range() {
        let p = ModelParameters::default();
        let error = p.validate_system(100).unwrap_err();
        assert_eq!(error.field, "n_particles");
        assert!(error.reason.contains("use at least"), "{error}");
        let minimum: usize = error
            .reason
            .rsplit("at least ")
            .next()
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(p.validate_system(minimum).is_ok());
        assert!(p.validate_system(minimum - 1).is_err());
        assert!(p.validate_system(0).is_err());
    }
}
