//! The smoothed inverse-power-law pair potential of the glass former.
//!
//! φ(r; λ_ij) = ε [ (λ_ij/r)^10 + Σ_{ℓ=0..q} c_{2ℓ} (r/λ_ij)^{2ℓ} ]  for r < x_c λ_ij, and 0 beyond,
//!
//! with non-additive pair sizes λ_ij = ½(λ_i + λ_j)(1 − n_A |λ_i − λ_j|). The coefficients make φ and its
//! first q derivatives vanish at the cutoff r = x_c λ_ij; they follow from the general formula (Lerner,
//! J. Non-Cryst. Solids 522, 119570, as implemented in matscipy's `InversePowerLawPotential`)
//!
//! c_{2ℓ} = (−1)^{ℓ+1} (10+2q)!! / [ (2q−2ℓ)!! (2ℓ)!! 8!! (10+2ℓ) ] · x_c^{−(10+2ℓ)}.
//!
//! Units: ε = 1 (energy), λ_min (length), particle mass m = 1. Every term is a polynomial in
//! s = (r/λ_ij)², so energies, forces and Hessian blocks need no square root.

use wide::f64x4;

/// The exponent of the inverse power law.
pub const EXPONENT: u32 = 10;

/// The smoothed r⁻¹⁰ pair potential with non-additive sizes.
#[derive(Clone, Debug, PartialEq)]
pub struct PairPotential {
    cutoff: f64,
    cutoff_squared: f64,
    non_additivity: f64,
    /// c_{2ℓ} for ℓ = 0..=q.
    coefficients: Vec<f64>,
}

/// n!! for n ≥ 0 (with 0!! = 1), exact in f64 for the orders used here.
fn double_factorial(n: u32) -> f64 {
    (1..=n).rev().step_by(2).map(f64::from).product()
}

impl PairPotential {
    /// The potential with cutoff x_c (in units of λ_ij), smoothing order q and non-additivity n_A.
    pub fn new(cutoff: f64, smoothing_order: u32, non_additivity: f64) -> Self {
        let q = smoothing_order;
        let coefficients = (0..=q)
            .map(|l| {
                let sign = if l % 2 == 0 { -1.0 } else { 1.0 };
                sign * double_factorial(EXPONENT + 2 * q)
                    / (double_factorial(2 * q - 2 * l)
                        * double_factorial(2 * l)
                        * double_factorial(EXPONENT - 2)
                        * f64::from(EXPONENT + 2 * l))
                    * cutoff.powi(-((EXPONENT + 2 * l) as i32))
            })
            .collect();
        PairPotential {
            cutoff,
            cutoff_squared: cutoff * cutoff,
            non_additivity,
            coefficients,
        }
    }

    /// The smoothing coefficients c_0, c_2, …, c_{2q}.
    pub fn coefficients(&self) -> &[f64] {
        &self.coefficients
    }

    /// The cutoff x_c in units of λ_ij.
    #[inline]
    pub fn cutoff(&self) -> f64 {
        self.cutoff
    }

    /// The pair size λ_ij of particles with sizes `a` and `b`.
    #[inline]
    pub fn pair_size(&self, a: f64, b: f64) -> f64 {
        0.5 * (a + b) * (1.0 - self.non_additivity * (a - b).abs())
    }

    /// The non-additivity n_A of the size rule.
    #[inline]
    pub fn non_additivity(&self) -> f64 {
        self.non_additivity
    }

    /// The largest pair size λ_ij of a particle of size `size` with any particle no larger than
    /// `largest_size`.
    ///
    /// For a partner b ≥ a, λ_ab = (a + b)(1 − n_A (b − a))/2 grows with b up to b = 1/(2 n_A); for b ≤ a
    /// it grows with b; so the largest is at b = clamp(1/(2 n_A), a, largest_size).
    pub fn largest_pair_size(&self, size: f64, largest_size: f64) -> f64 {
        let turning = if self.non_additivity > 0.0 {
            0.5 / self.non_additivity
        } else {
            f64::INFINITY
        };
        let partner = turning.min(largest_size).max(size);
        self.pair_size(size, partner)
    }

    /// The largest interaction range among particles no larger than `largest_size`: x_c · max λ_ij.
    ///
    /// For n_A ≥ 0, λ_ij ≤ max(λ_i, λ_j), with equality for two particles of the largest size.
    pub fn range(&self, largest_size: f64) -> f64 {
        self.cutoff * largest_size
    }

    /// φ(r) for a pair at squared distance `r2` with pair size `pair_size`.
    #[inline]
    pub fn energy(&self, r2: f64, pair_size: f64) -> f64 {
        let s = r2 / (pair_size * pair_size);
        if s >= self.cutoff_squared {
            return 0.0;
        }
        let inverse = 1.0 / s;
        let inverse5 = inverse * inverse * inverse * inverse * inverse;
        inverse5 + self.polynomial(s)
    }

    /// [`Self::pair_size`] of four pairs at once, lane by lane with the same operations (so the same
    /// values, bit for bit).
    #[inline]
    pub fn pair_size_x4(&self, a: f64x4, b: f64x4) -> f64x4 {
        f64x4::splat(0.5)
            * (a + b)
            * (f64x4::ONE - f64x4::splat(self.non_additivity) * (a - b).abs())
    }

    /// [`Self::energy`] of four pairs at once, lane by lane with the same operations (so the same
    /// values, bit for bit): the energy changes of Monte Carlo moves add such terms in a fixed order,
    /// and must not depend on how many lanes computed them.
    #[inline]
    pub fn energy_x4(&self, r2: f64x4, pair_size: f64x4) -> f64x4 {
        let s = r2 / (pair_size * pair_size);
        let inverse = f64x4::ONE / s;
        let inverse5 = inverse * inverse * inverse * inverse * inverse;
        let polynomial = self
            .coefficients
            .iter()
            .rev()
            .fold(f64x4::ZERO, |acc, &c| acc * s + f64x4::splat(c));
        let within = s.simd_lt(f64x4::splat(self.cutoff_squared));
        within.bitselect(inverse5 + polynomial, f64x4::ZERO)
    }

    /// (φ(r), φ'(r)/r) for a pair at squared distance `r2`; both are zero beyond the cutoff.
    ///
    /// The force on j from i is −(φ'/r) r_ij with r_ij = x_j − x_i.
    #[inline]
    pub fn energy_and_slope(&self, r2: f64, pair_size: f64) -> (f64, f64) {
        let inverse_size2 = 1.0 / (pair_size * pair_size);
        let s = r2 * inverse_size2;
        if s >= self.cutoff_squared {
            return (0.0, 0.0);
        }
        let inverse = 1.0 / s;
        let inverse5 = inverse * inverse * inverse * inverse * inverse;
        let mut value = inverse5;
        // (1/x) dφ/dx as a polynomial in s: −10 s⁻⁶ + Σ 2ℓ c_ℓ s^{ℓ−1}.
        let mut slope = -10.0 * inverse5 * inverse;
        let mut power = 1.0; // s^ℓ
        for (l, c) in self.coefficients.iter().enumerate() {
            value += c * power;
            if l > 0 {
                slope += 2.0 * l as f64 * c * power * inverse;
            }
            power *= s;
        }
        (value, slope * inverse_size2)
    }

    /// (φ, φ'/r) for a pair at squared distance `r2` given 1/λ_ij², or `None` beyond the cutoff: the
    /// form the force kernel uses, with 1/λ_ij² stored in the neighbour list.
    #[inline(always)]
    pub fn energy_and_slope_scaled(&self, r2: f64, inverse_size2: f64) -> Option<(f64, f64)> {
        let s = r2 * inverse_size2;
        if s >= self.cutoff_squared {
            return None;
        }
        let inverse = 1.0 / s;
        let inverse2 = inverse * inverse;
        let inverse5 = inverse2 * inverse2 * inverse;
        let mut value = inverse5;
        let mut slope = -10.0 * inverse5 * inverse;
        // Horner forms of Σ c_ℓ s^ℓ and Σ 2ℓ c_ℓ s^{ℓ−1}.
        let c = &self.coefficients;
        let mut polynomial = 0.0;
        let mut derivative = 0.0;
        for l in (1..c.len()).rev() {
            polynomial = polynomial * s + c[l];
            derivative = derivative * s + 2.0 * l as f64 * c[l];
        }
        value += polynomial * s + c[0];
        slope += derivative;
        Some((value, slope * inverse_size2))
    }

    /// (φ'(r)/r, φ''(r)) for a pair at squared distance `r2`: what a Hessian block needs.
    #[inline]
    pub fn slope_and_curvature(&self, r2: f64, pair_size: f64) -> (f64, f64) {
        self.slope_and_curvature_scaled(r2, 1.0 / (pair_size * pair_size))
    }

    /// As [`Self::slope_and_curvature`], given 1/λ_ij² (zero beyond the cutoff).
    #[inline]
    pub fn slope_and_curvature_scaled(&self, r2: f64, inverse_size2: f64) -> (f64, f64) {
        let s = r2 * inverse_size2;
        if s >= self.cutoff_squared {
            return (0.0, 0.0);
        }
        let inverse = 1.0 / s;
        let inverse6 = inverse.powi(6);
        let mut slope = -10.0 * inverse6;
        let mut curvature = 110.0 * inverse6; // d²φ/dx² = 110 x⁻¹² + Σ 2ℓ(2ℓ−1) c_ℓ x^{2ℓ−2}
        let mut power = 1.0; // s^{ℓ−1}
        for (l, c) in self.coefficients.iter().enumerate().skip(1) {
            let two_l = 2.0 * l as f64;
            slope += two_l * c * power;
            curvature += two_l * (two_l - 1.0) * c * power;
            power *= s;
        }
        (slope * inverse_size2, curvature * inverse_size2)
    }

    /// [φ, φ', φ'', φ'''] as functions of the distance r (general form, for checks and analysis).
    pub fn radial_derivatives(&self, r: f64, pair_size: f64) -> [f64; 4] {
        let x = r / pair_size;
        if x >= self.cutoff {
            return [0.0; 4];
        }
        let n = f64::from(EXPONENT);
        let mut d = [
            x.powf(-n),
            -n * x.powf(-n - 1.0),
            n * (n + 1.0) * x.powf(-n - 2.0),
            -n * (n + 1.0) * (n + 2.0) * x.powf(-n - 3.0),
        ];
        for (l, c) in self.coefficients.iter().enumerate() {
            let k = 2.0 * l as f64;
            d[0] += c * x.powf(k);
            d[1] += c * k * x.powf(k - 1.0);
            d[2] += c * k * (k - 1.0) * x.powf(k - 2.0);
            d[3] += c * k * (k - 1.0) * (k - 2.0) * x.powf(k - 3.0);
        }
        [
            d[0],
            d[1] / pair_size,
            d[2] / pair_size.powi(2),
            d[3] / pair_size.powi(3),
        ]
    }

    /// The 3×3 pair stiffness K_ij = φ'' n nᵀ + (φ'/r)(I − n nᵀ) (row-major), with n = r_ij/r.
    ///
    /// The Hessian has H_ij = −K_ij off the diagonal and H_ii = Σ_j K_ij.
    #[inline]
    pub fn stiffness(&self, pair_vector: [f64; 3], pair_size: f64) -> [f64; 9] {
        self.stiffness_scaled(pair_vector, 1.0 / (pair_size * pair_size))
    }

    /// As [`Self::stiffness`], given 1/λ_ij² (zero beyond the cutoff).
    #[inline]
    pub fn stiffness_scaled(&self, pair_vector: [f64; 3], inverse_size2: f64) -> [f64; 9] {
        let r2 = pair_vector[0] * pair_vector[0]
            + pair_vector[1] * pair_vector[1]
            + pair_vector[2] * pair_vector[2];
        let (slope, curvature) = self.slope_and_curvature_scaled(r2, inverse_size2);
        let radial = (curvature - slope) / r2;
        let mut k = [0.0; 9];
        for a in 0..3 {
            for b in 0..3 {
                k[3 * a + b] =
                    radial * pair_vector[a] * pair_vector[b] + if a == b { slope } else { 0.0 };
            }
        }
        k
    }

    /// c_0 + c_2 s + … + c_{2q} s^q.
    #[inline]
    fn polynomial(&self, s: f64) -> f64 {
        self.coefficients
            .iter()
            .rev()
            .fold(0.0, |acc, c| acc * s + c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// The four-lane pair sizes and energies are the scalar ones bit for bit, also at and beyond the
    /// cutoff and for every smoothing order.
    #[test]
    fn four_lane_energies_equal_the_scalar_ones_bit_for_bit() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
        let mut within = 0;
        for smoothing_order in 0..=4 {
            let potential = PairPotential::new(1.48, smoothing_order, 0.1);
            for _ in 0..2000 {
                let a: [f64; 4] = std::array::from_fn(|_| rng.random_range(1.0..2.22));
                let b: [f64; 4] = std::array::from_fn(|_| rng.random_range(1.0..2.22));
                let pair_size = potential
                    .pair_size_x4(f64x4::new(a), f64x4::new(b))
                    .to_array();
                let mut r2: [f64; 4] =
                    std::array::from_fn(|l| (rng.random_range(0.6..1.6) * pair_size[l]).powi(2));
                // One lane exactly at the cutoff.
                r2[3] = (1.48 * pair_size[3]).powi(2);
                let energy = potential
                    .energy_x4(f64x4::new(r2), f64x4::new(pair_size))
                    .to_array();
                for l in 0..4 {
                    assert_eq!(
                        pair_size[l].to_bits(),
                        potential.pair_size(a[l], b[l]).to_bits()
                    );
                    let expected = potential.energy(r2[l], pair_size[l]);
                    assert_eq!(
                        energy[l].to_bits(),
                        expected.to_bits(),
                        "{r2:?} {pair_size:?}"
                    );
                    within += (expected != 0.0) as usize;
                }
            }
        }
        assert!(within > 10_000, "{within}");
    }

    #[test]
    fn largest_pair_size_is_the_maximum_over_partners() {
        for non_additivity in [0.0, 0.1, 0.3] {
            let potential = PairPotential::new(1.48, 3, non_additivity);
            for size in [1.0, 1.3, 1.7, 2.22] {
                let brute = (0..=10_000)
                    .map(|k| potential.pair_size(size, 1.0 + 1.22 * k as f64 / 10_000.0))
                    .fold(f64::NEG_INFINITY, f64::max);
                let largest = potential.largest_pair_size(size, 2.22);
                assert!(
                    largest >= brute - 1e-12,
                    "{non_additivity} {size}: {largest} < {brute}"
                );
                assert!(
                    largest <= brute + 1e-6,
                    "{non_additivity} {size}: {largest} > {brute}"
                );
            }
        }
    }

    #[test]
    fn coefficients_match_the_published_values_at_x_c_1_48() {
        let potential = PairPotential::new(1.48, 3, 0.1);
        let expected = [-1.11063, 1.26762, -0.496041, 0.0660512];
        for (c, e) in potential.coefficients().iter().zip(expected) {
            assert!((c - e).abs() < 5e-6 * e.abs(), "{c} vs {e}");
        }
        // The closed forms for q = 3 (physics.md (a)).
        let x: f64 = 1.48;
        let closed = [
            -56.0 / x.powi(10),
            140.0 / x.powi(12),
            -120.0 / x.powi(14),
            35.0 / x.powi(16),
        ];
        for (c, e) in potential.coefficients().iter().zip(closed) {
            assert!((c - e).abs() < 1e-14 * e.abs(), "{c} vs {e}");
        }
    }

    #[test]
    fn derivatives_up_to_the_smoothing_order_vanish_at_the_cutoff() {
        for cutoff in [1.4, 1.48, 2.0] {
            let potential = PairPotential::new(cutoff, 3, 0.1);
            for pair_size in [1.0, 1.7] {
                // Just inside the cutoff, so the analytic branch is evaluated.
                let r = cutoff * pair_size * (1.0 - 1e-15);
                let d = potential.radial_derivatives(r, pair_size);
                let scale = potential.radial_derivatives(pair_size, pair_size);
                for k in 0..4 {
                    assert!(
                        d[k].abs() < 1e-11 * scale[k].abs(),
                        "x_c={cutoff}: derivative {k} = {} at the cutoff",
                        d[k]
                    );
                }
            }
        }
    }

    #[test]
    fn other_smoothing_orders_vanish_to_their_order() {
        // q-th derivative and all below vanish; check with a polynomial identity at x = x_c.
        for q in 0..=5u32 {
            let potential = PairPotential::new(1.4, q, 0.0);
            let x: f64 = 1.4;
            for order in 0..=q {
                // d^order/dx^order of x^-10 + Σ c_ℓ x^{2ℓ} at x_c.
                let falling = |p: f64| (0..order).fold(1.0, |acc, k| acc * (p - f64::from(k)));
                let mut value = falling(-10.0) * x.powf(-10.0 - f64::from(order));
                for (l, c) in potential.coefficients().iter().enumerate() {
                    let p = 2.0 * l as f64;
                    value += c * falling(p) * x.powf(p - f64::from(order));
                }
                let scale = falling(-10.0).abs() * x.powf(-10.0 - f64::from(order));
                assert!(
                    value.abs() < 1e-11 * scale,
                    "q={q}: derivative {order} = {value}"
                );
            }
        }
    }

    #[test]
    fn fast_forms_agree_with_the_general_derivatives() {
        let potential = PairPotential::new(1.48, 3, 0.1);
        for &(r, pair_size) in &[(0.9, 1.0), (1.2, 1.0), (1.47, 1.0), (2.5, 1.9), (0.5, 1.3)] {
            let [phi, d1, d2, _] = potential.radial_derivatives(r, pair_size);
            let (e, slope) = potential.energy_and_slope(r * r, pair_size);
            let (slope2, curvature) = potential.slope_and_curvature(r * r, pair_size);
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1e-300) + 1e-14;
            assert!(
                close(e, phi) && close(potential.energy(r * r, pair_size), phi),
                "energy at r={r}"
            );
            assert!(
                close(slope, d1 / r) && close(slope2, d1 / r),
                "slope at r={r}"
            );
            assert!(close(curvature, d2), "curvature at r={r}");
        }
    }

    #[test]
    fn radial_derivatives_match_finite_differences() {
        let potential = PairPotential::new(1.48, 3, 0.1);
        let h = 1e-6;
        for &r in &[0.85, 1.1, 1.3, 1.45] {
            let d = potential.radial_derivatives(r, 1.0);
            for k in 0..3 {
                let fd = (potential.radial_derivatives(r + h, 1.0)[k]
                    - potential.radial_derivatives(r - h, 1.0)[k])
                    / (2.0 * h);
                assert!(
                    (fd - d[k + 1]).abs() < 1e-7 * d[k + 1].abs().max(1.0),
                    "derivative {} at r={r}: {fd} vs {}",
                    k + 1,
                    d[k + 1]
                );
            }
        }
    }

    #[test]
    fn non_additive_pair_sizes() {
        let potential = PairPotential::new(1.48, 3, 0.1);
        assert_eq!(potential.pair_size(1.5, 1.5), 1.5);
        let mixed = potential.pair_size(1.0, 2.0);
        assert!((mixed - 1.5 * 0.9).abs() < 1e-15);
        assert_eq!(potential.pair_size(1.0, 2.0), potential.pair_size(2.0, 1.0));
    }
}
