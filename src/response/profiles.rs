//! Radial profiles of per-particle fields about a point: the spatial structure of dipole responses and
//! of quasilocalised modes, from which the lengths ξ_co and ξ_QLM are read.

use mpi::topology::SimpleCommunicator;

/// Sums of two per-particle quantities in shells of distance r from a centre, with the particle count
/// per shell, out to half the box length (minimum image). What the two quantities are is up to the
/// caller (e.g. u·r̂ and |u|² for a dipole response, |ψ| and |ψ|² for a mode).
#[derive(Clone, Debug, PartialEq)]
pub struct RadialProfile {
    /// Width of a shell.
    pub bin_width: f64,
    box_length: f64,
    /// Particles in each shell.
    pub counts: Vec<f64>,
    /// The two sums in each shell.
    pub sums: Vec<[f64; 2]>,
}

impl RadialProfile {
    /// An empty profile for a cubic periodic box of side `box_length`.
    pub fn new(box_length: f64, bin_width: f64) -> Self {
        let bins = ((0.5 * box_length / bin_width).ceil() as usize).max(1);
        RadialProfile {
            bin_width,
            box_length,
            counts: vec![0.0; bins],
            sums: vec![[0.0; 2]; bins],
        }
    }

    /// The minimum-image distance vector from `centre` to `x`.
    pub fn separation(&self, centre: [f64; 3], x: [f64; 3]) -> [f64; 3] {
        // Conditional shifts rather than rounding: positions and centres lie within a box length or so
        // of the box, and `round` is a library call in the innermost loop of the profiles.
        let half = 0.5 * self.box_length;
        std::array::from_fn(|a| {
            let mut d = x[a] - centre[a];
            while d > half {
                d -= self.box_length;
            }
            while d < -half {
                d += self.box_length;
            }
            d
        })
    }

    /// The minimum-image distance from `centre` to `x`.
    pub fn distance(&self, centre: [f64; 3], x: [f64; 3]) -> f64 {
        let d = self.separation(centre, x);
        (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt()
    }

    /// Adds one particle at distance `r` (ignored beyond half the box length).
    pub fn add(&mut self, r: f64, values: [f64; 2]) {
        let bin = (r / self.bin_width) as usize;
        if r < 0.5 * self.box_length && bin < self.counts.len() {
            self.counts[bin] += 1.0;
            self.sums[bin][0] += values[0];
            self.sums[bin][1] += values[1];
        }
    }

    /// Adds another profile with the same bins.
    pub fn merge(&mut self, other: &RadialProfile) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        for (a, b) in self.sums.iter_mut().zip(&other.sums) {
            a[0] += b[0];
            a[1] += b[1];
        }
    }

    /// Sums the profiles of all ranks. Collective.
    pub fn reduce(&mut self, comm: &SimpleCommunicator) {
        let mut words: Vec<f64> = self
            .counts
            .iter()
            .zip(&self.sums)
            .flat_map(|(&c, s)| [c, s[0], s[1]])
            .collect();
        crate::domain::communication::sum_in_place(comm, &mut words);
        for (k, w) in words.chunks_exact(3).enumerate() {
            self.counts[k] = w[0];
            self.sums[k] = [w[1], w[2]];
        }
    }

    /// The centre of each shell.
    pub fn radii(&self) -> Vec<f64> {
        (0..self.counts.len())
            .map(|k| (k as f64 + 0.5) * self.bin_width)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_use_the_nearest_image_and_shells_hold_what_was_added() {
        let mut profile = RadialProfile::new(10.0, 1.0);
        assert_eq!(profile.counts.len(), 5);
        let r = profile.distance([0.5, 0.5, 0.5], [9.5, 0.5, 0.5]);
        assert!((r - 1.0).abs() < 1e-12);
        profile.add(r, [2.0, 4.0]);
        profile.add(4.99, [1.0, 1.0]);
        profile.add(5.0, [1.0, 1.0]);
        assert_eq!(profile.counts, vec![0.0, 1.0, 0.0, 0.0, 1.0]);
        assert_eq!(profile.sums[1], [2.0, 4.0]);
        let mut twice = profile.clone();
        twice.merge(&profile);
        assert_eq!(twice.counts[1], 2.0);
    }
}
