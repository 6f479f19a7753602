//! The Cartesian grid of ranks over the periodic box.

use thiserror::Error;

/// Why a run cannot be decomposed.
#[derive(Debug, Error, PartialEq)]
pub enum DecompositionError {
    /// A domain would be narrower than the halo, so ghosts would have to come from beyond the
    /// nearest neighbour.
    #[error(
        "{ranks} MPI ranks split the box (edge {box_length:.4}) into a {grid:?} grid whose domains ({width:.4} wide) are \
         narrower than the interaction range plus skin ({halo:.4}); use fewer ranks or more particles"
    )]
    TooManyRanks {
        /// Ranks.
        ranks: usize,
        /// Box edge.
        box_length: f64,
        /// The chosen grid.
        grid: [usize; 3],
        /// Narrowest domain width.
        width: f64,
        /// Required width.
        halo: f64,
    },
}

/// Ranks arranged as a `grid[0] × grid[1] × grid[2]` Cartesian grid over a cubic periodic box, rank
/// r at grid coordinates (r / (g1 g2), (r / g2) mod g1, r mod g2).
///
/// The box is cut along each axis into `slabs` slabs of equal width L/slabs, and domain c owns slabs
/// ⌊c·slabs/g⌋ … ⌊(c+1)·slabs/g⌋ − 1. The force engine takes one slab per rank (boundaries at c·L/g);
/// swap Monte Carlo takes its cells as slabs, so that no cell is split between ranks.
#[derive(Clone, Debug, PartialEq)]
pub struct Decomposition {
    /// Ranks per axis.
    pub grid: [usize; 3],
    /// This rank's grid coordinates.
    pub coordinates: [usize; 3],
    /// The box edge L.
    pub box_length: f64,
    /// Slabs per axis, if domain boundaries follow a slab grid (else they sit at c·L/g).
    pub slabs: Option<usize>,
}

impl Decomposition {
    /// The most cubic grid for `ranks` ranks (smallest g0 + g1 + g2, then g0 ≥ g1 ≥ g2): any count,
    /// primes included (a prime p gives p × 1 × 1).
    pub fn grid_for(ranks: usize) -> [usize; 3] {
        let mut best = [ranks, 1, 1];
        for a in 1..=ranks {
            if !ranks.is_multiple_of(a) {
                continue;
            }
            for b in 1..=ranks / a {
                if !(ranks / a).is_multiple_of(b) {
                    continue;
                }
                let mut g = [a, b, ranks / a / b];
                g.sort_unstable_by(|x, y| y.cmp(x));
                if g.iter().sum::<usize>() < best.iter().sum::<usize>()
                    || (g.iter().sum::<usize>() == best.iter().sum::<usize>() && g > best)
                {
                    best = g;
                }
            }
        }
        best
    }

    /// The decomposition of a box of edge `box_length` over `ranks` ranks, as seen by `rank`; every
    /// domain must be at least `halo` wide.
    pub fn new(
        ranks: usize,
        rank: usize,
        box_length: f64,
        halo: f64,
    ) -> Result<Self, DecompositionError> {
        Self::with_slabs(ranks, rank, box_length, halo, None)
    }

    /// As [`Self::new`], with domain boundaries on the boundaries of `slabs` equal slabs per axis (one
    /// slab per rank if `None`).
    pub fn with_slabs(
        ranks: usize,
        rank: usize,
        box_length: f64,
        halo: f64,
        slabs: Option<usize>,
    ) -> Result<Self, DecompositionError> {
        let grid = Self::grid_for(ranks);
        // The narrowest domain: L/g, or ⌊slabs/g⌋ slabs (g ≥ the other two entries of the grid).
        let width = match slabs {
            None => box_length / grid[0] as f64,
            Some(slabs) => (slabs / grid[0]) as f64 * box_length / slabs as f64,
        };
        if width < halo {
            return Err(DecompositionError::TooManyRanks {
                ranks,
                box_length,
                grid,
                width,
                halo,
            });
        }
        let coordinates = [
            rank / (grid[1] * grid[2]),
            (rank / grid[2]) % grid[1],
            rank % grid[2],
        ];
        Ok(Decomposition {
            grid,
            coordinates,
            box_length,
            slabs,
        })
    }

    /// The rank at grid `coordinates`.
    pub fn rank_at(&self, coordinates: [usize; 3]) -> usize {
        (coordinates[0] * self.grid[1] + coordinates[1]) * self.grid[2] + coordinates[2]
    }

    /// The rank of the neighbouring domain one step `up` (or down) along `axis`, periodically.
    pub fn neighbour(&self, axis: usize, up: bool) -> usize {
        let g = self.grid[axis];
        let mut c = self.coordinates;
        c[axis] = if up {
            (c[axis] + 1) % g
        } else {
            (c[axis] + g - 1) % g
        };
        self.rank_at(c)
    }

    /// The index of the slab holding coordinate `x` (taken modulo L) among `slabs` equal slabs.
    #[inline]
    pub fn slab_of(x: f64, box_length: f64, slabs: usize) -> usize {
        let wrapped = crate::model::wrap_coordinate(x, box_length);
        ((wrapped / box_length * slabs as f64) as usize).min(slabs - 1)
    }

    /// The grid coordinate along `axis` of the domain owning coordinate `x` (taken modulo L).
    #[inline]
    pub fn owner_coordinate(&self, axis: usize, x: f64) -> usize {
        let g = self.grid[axis];
        match self.slabs {
            None => Self::slab_of(x, self.box_length, g),
            Some(slabs) => {
                // Domain c owns slabs ⌊c·slabs/g⌋ …: the largest such c not beyond slab k.
                let k = Self::slab_of(x, self.box_length, slabs);
                (0..g).rev().find(|&c| c * slabs / g <= k).unwrap_or(0)
            }
        }
    }

    /// The rank owning position `x`.
    pub fn owner(&self, x: [f64; 3]) -> usize {
        self.rank_at([0, 1, 2].map(|axis| self.owner_coordinate(axis, x[axis])))
    }

    /// The lower and upper boundary of this rank's domain along `axis`.
    pub fn bounds(&self, axis: usize) -> (f64, f64) {
        let g = self.grid[axis];
        let c = self.coordinates[axis];
        match self.slabs {
            None => {
                let (g, c) = (g as f64, c as f64);
                (c * self.box_length / g, (c + 1.0) * self.box_length / g)
            }
            Some(slabs) => {
                let width = self.box_length / slabs as f64;
                (
                    (c * slabs / g) as f64 * width,
                    ((c + 1) * slabs / g) as f64 * width,
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_are_as_cubic_as_the_rank_count_allows() {
        assert_eq!(Decomposition::grid_for(1), [1, 1, 1]);
        assert_eq!(Decomposition::grid_for(2), [2, 1, 1]);
        assert_eq!(Decomposition::grid_for(3), [3, 1, 1]);
        assert_eq!(Decomposition::grid_for(4), [2, 2, 1]);
        assert_eq!(Decomposition::grid_for(8), [2, 2, 2]);
        assert_eq!(Decomposition::grid_for(12), [3, 2, 2]);
        assert_eq!(Decomposition::grid_for(13), [13, 1, 1]);
        assert_eq!(Decomposition::grid_for(1000), [10, 10, 10]);
    }

    #[test]
    fn every_position_has_exactly_one_owner_and_neighbours_wrap() {
        let ranks = 12;
        let decompositions: Vec<_> = (0..ranks)
            .map(|r| Decomposition::new(ranks, r, 30.0, 3.0).unwrap())
            .collect();
        for (r, d) in decompositions.iter().enumerate() {
            assert_eq!(d.rank_at(d.coordinates), r);
            for axis in 0..3 {
                let up = &decompositions[d.neighbour(axis, true)];
                assert_eq!(
                    decompositions[up.neighbour(axis, false)].coordinates,
                    d.coordinates
                );
            }
        }
        for x in [
            [0.0, 0.0, 0.0],
            [29.999999, 15.0, 7.5],
            [10.0, 14.999, 22.5],
            [-0.1, 30.1, 60.0],
        ] {
            let owner = decompositions[0].owner(x);
            assert!(decompositions.iter().all(|d| d.owner(x) == owner));
            let d = &decompositions[owner];
            for axis in 0..3 {
                let (lo, hi) = d.bounds(axis);
                let w = crate::model::wrap_coordinate(x[axis], 30.0);
                assert!(
                    lo <= w && w < hi || (w - hi).abs() < 1e-9,
                    "axis {axis}: {w} not in [{lo}, {hi})"
                );
            }
        }
    }

    #[test]
    fn too_many_ranks_is_an_error() {
        let error = Decomposition::new(5, 0, 15.0, 3.6).unwrap_err();
        assert!(error.to_string().contains("use fewer ranks"), "{error}");
        assert!(Decomposition::new(4, 0, 15.0, 3.6).is_ok());
    }
}
