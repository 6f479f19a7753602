//! A configuration: particle positions and sizes λ_i in a cubic periodic box.

use thiserror::Error;

/// Particles in a cubic periodic box of edge `box_length`, positions wrapped into [0, L)³.
#[derive(Clone, Debug, PartialEq)]
pub struct Configuration {
    /// Edge length L of the cubic box [λ_min].
    pub box_length: f64,
    /// Particle positions, each coordinate in [0, L) [λ_min].
    pub positions: Vec<[f64; 3]>,
    /// Particle sizes λ_i [λ_min] (stored as the H5MD `diameter`).
    pub sizes: Vec<f64>,
}

/// Why a set of positions and sizes is not a usable configuration. Indices count from 0.
#[derive(Debug, Error, PartialEq)]
pub enum ConfigurationError {
    /// There are no particles.
    #[error("the configuration holds no particles")]
    Empty,
    /// The box edge is not a positive finite number.
    #[error("box length {0} is not a positive finite number")]
    BadBox(f64),
    /// The numbers of positions and sizes differ.
    #[error("{positions} positions but {sizes} sizes")]
    LengthMismatch {
        /// Number of positions.
        positions: usize,
        /// Number of sizes.
        sizes: usize,
    },
    /// A coordinate is NaN or infinite.
    #[error("particle {particle}: coordinate {axis} is {value}, not a finite number")]
    NonFinitePosition {
        /// Particle index.
        particle: usize,
        /// Axis name (x, y or z).
        axis: char,
        /// Offending value.
        value: f64,
    },
    /// A coordinate lies outside [0, L).
    #[error(
        "particle {particle}: coordinate {axis} = {value} lies outside the box [0, {box_length})"
    )]
    OutsideBox {
        /// Particle index.
        particle: usize,
        /// Axis name.
        axis: char,
        /// Offending value.
        value: f64,
        /// Box edge.
        box_length: f64,
    },
    /// A size is not a positive finite number.
    #[error("particle {particle}: size lambda = {value} is not a positive finite number")]
    BadSize {
        /// Particle index.
        particle: usize,
        /// Offending value.
        value: f64,
    },
    /// The box is too small for the minimum-image convention.
    #[error(
        "box length {box_length} is smaller than twice the largest interaction range {range} \
         (cutoff x largest size): the minimum-image convention would miss pairs; use more particles"
    )]
    BoxTooSmall {
        /// Box edge.
        box_length: f64,
        /// Largest interaction range x_c·max λ.
        range: f64,
    },
    /// Two particles (nearly) coincide: their pair energy or force is not a finite number.
    #[error(
        "particles {first} and {second} overlap: {distance:e} apart (pair size {pair_size}), so that their \
         pair energy or force overflows"
    )]
    Overlap {
        /// One particle.
        first: usize,
        /// The other.
        second: usize,
        /// Their distance.
        distance: f64,
        /// λ_ij.
        pair_size: f64,
    },
    /// The total energy is not a finite number, though every pair's is.
    #[error("the total energy overflows ({0}): too many particles far too close")]
    EnergyOverflow(f64),
}

const AXES: [char; 3] = ['x', 'y', 'z'];

impl Configuration {
    /// Checks the configuration and builds it. Positions must already lie in [0, L); see [`Self::wrap`].
    pub fn new(
        box_length: f64,
        positions: Vec<[f64; 3]>,
        sizes: Vec<f64>,
    ) -> Result<Self, ConfigurationError> {
        let configuration = Configuration {
            box_length,
            positions,
            sizes,
        };
        configuration.check()?;
        Ok(configuration)
    }

    /// Checks everything [`Self::new`] checks.
    pub fn check(&self) -> Result<(), ConfigurationError> {
        let l = self.box_length;
        if !(l.is_finite() && l > 0.0) {
            return Err(ConfigurationError::BadBox(l));
        }
        if self.positions.len() != self.sizes.len() {
            return Err(ConfigurationError::LengthMismatch {
                positions: self.positions.len(),
                sizes: self.sizes.len(),
            });
        }
        if self.positions.is_empty() {
            return Err(ConfigurationError::Empty);
        }
        for (particle, position) in self.positions.iter().enumerate() {
            for (axis, &value) in AXES.iter().zip(position) {
                if !value.is_finite() {
                    return Err(ConfigurationError::NonFinitePosition {
                        particle,
                        axis: *axis,
                        value,
                    });
                }
                if !(0.0..l).contains(&value) {
                    return Err(ConfigurationError::OutsideBox {
                        particle,
                        axis: *axis,
                        value,
                        box_length: l,
                    });
                }
            }
        }
        for (particle, &value) in self.sizes.iter().enumerate() {
            if !(value.is_finite() && value > 0.0) {
                return Err(ConfigurationError::BadSize { particle, value });
            }
        }
        Ok(())
    }

    /// Checks that the box holds at least twice the interaction range `range` (minimum image).
    pub fn check_box_holds(&self, range: f64) -> Result<(), ConfigurationError> {
        if self.box_length <= 2.0 * range {
            return Err(ConfigurationError::BoxTooSmall {
                box_length: self.box_length,
                range,
            });
        }
        Ok(())
    }

    /// Maps every coordinate into [0, L) by periodic images (finite coordinates only).
    pub fn wrap(box_length: f64, positions: &mut [[f64; 3]]) {
        for position in positions {
            for x in position.iter_mut() {
                if x.is_finite() {
                    *x = wrap_coordinate(*x, box_length);
                }
            }
        }
    }

    /// Number of particles N.
    pub fn len(&self) -> usize {
        self.positions.len()
    }

    /// Whether there are no particles (never true for a checked configuration).
    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    /// Box volume V = L³.
    pub fn volume(&self) -> f64 {
        self.box_length.powi(3)
    }

    /// Number density N/V.
    pub fn number_density(&self) -> f64 {
        self.len() as f64 / self.volume()
    }

    /// The largest particle size.
    pub fn largest_size(&self) -> f64 {
        self.sizes.iter().copied().fold(0.0, f64::max)
    }

    /// The smallest particle size.
    pub fn smallest_size(&self) -> f64 {
        self.sizes.iter().copied().fold(f64::INFINITY, f64::min)
    }

    /// The minimum-image pair vector r_ij = x_j − x_i.
    #[inline]
    pub fn pair_vector(&self, i: usize, j: usize) -> [f64; 3] {
        minimum_image(self.positions[i], self.positions[j], self.box_length)
    }
}

/// x mapped into [0, L).
#[inline]
pub fn wrap_coordinate(x: f64, box_length: f64) -> f64 {
    let wrapped = x.rem_euclid(box_length);
    // rem_euclid can round up to exactly L for tiny negative x.
    if wrapped >= box_length { 0.0 } else { wrapped }
}

/// The minimum-image vector from `a` to `b` in a cubic periodic box of edge `box_length`.
#[inline]
pub fn minimum_image(a: [f64; 3], b: [f64; 3], box_length: f64) -> [f64; 3] {
    let mut d = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    for component in &mut d {
        *component -= box_length * (*component / box_length).round();
    }
    d
}
