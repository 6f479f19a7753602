//! Time origins of the self-intermediate scattering function F_s(k, t) = ⟨cos(k Δx_α)⟩.
//!
//! An origin keeps each particle's phases cos(k x_α) and sin(k x_α) of its travel x then, so that a
//! measurement needs one sine and cosine per particle and axis, whatever the number of origins:
//! cos(k (x − x₀)) = cos(k x) cos(k x₀) + sin(k x) sin(k x₀).

/// A time origin of F_s: its sweep and the phases of every particle's travel then (local particles
/// in the sampler, every particle in id order in a checkpoint).
#[derive(Clone, Debug, PartialEq)]
pub struct TimeOrigin {
    /// The sweep of the origin.
    pub sweep: u64,
    /// cos(k x_α) of each particle's travel x.
    pub cos: Vec<[f64; 3]>,
    /// sin(k x_α) of each particle's travel x.
    pub sin: Vec<[f64; 3]>,
}

impl TimeOrigin {
    /// The origin at `sweep` of particles with `travel`, at wavenumber `k`.
    pub fn new(sweep: u64, travel: &[[f64; 3]], k: f64) -> Self {
        let (cos, sin) = phases(travel, k);
        TimeOrigin { sweep, cos, sin }
    }

    /// Each particle's Σ_α cos(k (x_α − x₀_α)), from the phases of its travel now.
    pub fn overlaps<'a>(
        &'a self,
        cos: &'a [[f64; 3]],
        sin: &'a [[f64; 3]],
    ) -> impl Iterator<Item = f64> + 'a {
        cos.iter()
            .zip(sin)
            .zip(self.cos.iter().zip(&self.sin))
            .map(|((c, s), (c0, s0))| (0..3).map(|a| c[a] * c0[a] + s[a] * s0[a]).sum::<f64>())
    }
}

/// cos(k x_α) and sin(k x_α) of every x.
pub fn phases(travel: &[[f64; 3]], k: f64) -> (Vec<[f64; 3]>, Vec<[f64; 3]>) {
    travel
        .iter()
        .map(|x| {
            let [(s0, c0), (s1, c1), (s2, c2)] = x.map(|x| (k * x).sin_cos());
            ([c0, c1, c2], [s0, s1, s2])
        })
        .unzip()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlaps_are_the_cosines_of_the_displacements() {
        let k = 7.3;
        let before = [[0.1, -2.5, 13.0], [40.2, 0.0, -7.7]];
        let after = [[0.35, -2.9, 12.1], [41.0, 0.5, -7.7]];
        let origin = TimeOrigin::new(100, &before, k);
        let (cos, sin) = phases(&after, k);
        for ((value, x), x0) in origin.overlaps(&cos, &sin).zip(&after).zip(&before) {
            let direct: f64 = (0..3).map(|a| (k * (x[a] - x0[a])).cos()).sum();
            assert!((value - direct).abs() < 1e-13, "{value} against {direct}");
        }
    }
}
