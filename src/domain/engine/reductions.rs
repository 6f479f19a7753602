//! Global reductions and gathers of the engine: exact sums, maxima, the census, and per-particle
//! arrays gathered in id order on rank 0.

use super::Engine;
use crate::domain::communication;
use crate::domain::exact_sum::ExactSum;
use crate::model::{Configuration, wrap_coordinate};

impl Engine<'_> {
    /// The exact global sum of one value per local particle.
    pub fn sum(&self, local: impl IntoIterator<Item = f64>) -> f64 {
        let mut sum = ExactSum::new();
        local.into_iter().for_each(|v| sum.add(v));
        communication::exact_sums(self.comm, &[sum])[0]
    }

    /// The exact global sums of several values per local particle.
    pub fn sums<const K: usize>(&self, local: impl IntoIterator<Item = [f64; K]>) -> [f64; K] {
        let mut sums: [ExactSum; K] = std::array::from_fn(|_| ExactSum::new());
        for values in local {
            for (s, v) in sums.iter_mut().zip(values) {
                s.add(v);
            }
        }
        communication::exact_sums(self.comm, &sums)
    }

    /// The global maximum of one value per local particle (−∞ for none).
    pub fn max(&self, local: impl IntoIterator<Item = f64>) -> f64 {
        communication::max(
            self.comm,
            local.into_iter().fold(f64::NEG_INFINITY, f64::max),
        )
    }

    /// The largest force component max_i,α |F_iα| over all ranks, of the local `forces`.
    pub fn max_force(&self, forces: &[[f64; 3]]) -> f64 {
        self.max(forces.iter().flatten().map(|f| f.abs()))
    }

    /// The number of particles on all ranks and the exact sum of their sizes: conserved quantities.
    pub fn census(&self) -> (u64, f64) {
        (
            communication::counts(self.comm, [self.n_local as u64])[0],
            self.sum(self.local_sizes().iter().copied()),
        )
    }

    /// Gathers per-particle vectors of the local particles to rank 0, in global id order (`None`
    /// elsewhere).
    pub fn gather(&self, local: &[[f64; 3]]) -> Option<Vec<[f64; 3]>> {
        let mut outgoing = Vec::with_capacity(4 * self.n_local);
        for (id, v) in self.local_ids().iter().zip(local) {
            outgoing.extend_from_slice(&[*id as f64, v[0], v[1], v[2]]);
        }
        let all = communication::gather_to_root(self.comm, &outgoing)?;
        let mut result = vec![[f64::NAN; 3]; self.n_global];
        let mut seen = vec![false; self.n_global];
        for record in all.chunks_exact(4) {
            let id = record[0] as usize;
            assert!(!seen[id], "particle {id} is held by two ranks");
            seen[id] = true;
            result[id] = [record[1], record[2], record[3]];
        }
        assert!(seen.iter().all(|&s| s), "a particle is held by no rank");
        Some(result)
    }

    /// The configuration gathered on rank 0 (positions wrapped into the box), `None` elsewhere. Collective.
    pub fn gather_configuration(&self) -> Option<Configuration> {
        let positions = self.gather(self.local_positions());
        let sizes = self.gather(
            &self
                .local_sizes()
                .iter()
                .map(|&s| [s, 0.0, 0.0])
                .collect::<Vec<_>>(),
        );
        let (positions, sizes) = (positions?, sizes?);
        let l = self.decomposition.box_length;
        Some(Configuration {
            box_length: l,
            positions: positions
                .into_iter()
                .map(|x| x.map(|c| wrap_coordinate(c, l)))
                .collect(),
            sizes: sizes.into_iter().map(|s| s[0]).collect(),
        })
    }
}
