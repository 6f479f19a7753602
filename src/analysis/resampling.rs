//! Errors that respect correlations: a point's samples come from a few swap Monte Carlo chains, one
//! sample every few τ_α, so neighbours in a chain are not independent. The bootstrap resamples blocks
//! of consecutive samples of one chain (whole chains when a block spans a chain), never single samples.
//! The branches of one trunk count as one chain: a block holds the samples of every branch at the
//! same places, which are correlated through the state the branches share.

use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::samples::SampleData;

/// A point's samples grouped into the blocks the bootstrap draws.
#[derive(Clone, Debug)]
pub struct Blocks {
    blocks: Vec<Vec<usize>>,
    chains: usize,
}

impl Blocks {
    /// Blocks of `length` consecutive places in each chain (the last block of a chain may be
    /// shorter; samples missing from a chain leave their block shorter too). Indices refer to
    /// `samples`.
    pub fn new(samples: &[SampleData], length: usize) -> Blocks {
        let length = length.max(1);
        let mut keys: Vec<(usize, usize)> = samples
            .iter()
            .map(|s| (s.chain, s.position / length))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let mut blocks = vec![Vec::new(); keys.len()];
        for (k, s) in samples.iter().enumerate() {
            let key = (s.chain, s.position / length);
            let b = keys.binary_search(&key).expect("every key is listed");
            blocks[b].push(k);
        }
        Blocks {
            blocks,
            chains: chain_indices(samples).len(),
        }
    }

    /// Number of blocks.
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// Number of chains the samples come from.
    pub fn chains(&self) -> usize {
        self.chains
    }

    /// One bootstrap replica: as many blocks as there are, drawn with replacement, as sample indices.
    pub fn draw(&self, rng: &mut Xoshiro256PlusPlus) -> Vec<usize> {
        (0..self.blocks.len())
            .flat_map(|_| {
                self.blocks[rng.random_range(0..self.blocks.len())]
                    .iter()
                    .copied()
            })
            .collect()
    }
}

/// The chains the samples come from, ascending.
fn chain_indices(samples: &[SampleData]) -> Vec<usize> {
    let mut chains: Vec<usize> = samples.iter().map(|s| s.chain).collect();
    chains.sort_unstable();
    chains.dedup();
    chains
}

/// The random stream of a point's bootstrap: fixed by N and T_p alone, so that the summary of the same
/// samples is always the same and adding points changes no other point's errors.
pub fn point_rng(n_particles: usize, parent_temperature: f64) -> Xoshiro256PlusPlus {
    crate::rng::stream(
        0,
        crate::rng::Stream::Bootstrap,
        &[n_particles as u64, parent_temperature.to_bits()],
    )
}

/// The correlation of a per-sample quantity between neighbours in a chain (lag one), pooled over
/// chains (each branch of a family on its own) with each one's own mean removed; `None` with fewer
/// than three neighbour pairs. Near zero when samples spaced as they are are already independent.
pub fn neighbour_correlation(
    samples: &[SampleData],
    value: impl Fn(&SampleData) -> f64,
) -> Option<f64> {
    let mut chains: Vec<(usize, usize)> = samples.iter().map(|s| (s.chain, s.branch)).collect();
    chains.sort_unstable();
    chains.dedup();
    let (mut product, mut square, mut pairs) = (0.0, 0.0, 0);
    for chain in chains {
        let mut members: Vec<(usize, f64)> = samples
            .iter()
            .filter(|s| (s.chain, s.branch) == chain)
            .map(|s| (s.position, value(s)))
            .filter(|(_, v)| v.is_finite())
            .collect();
        members.sort_by_key(|m| m.0);
        if members.len() < 2 {
            continue;
        }
        let mean = members.iter().map(|m| m.1).sum::<f64>() / members.len() as f64;
        square += members.iter().map(|m| (m.1 - mean).powi(2)).sum::<f64>();
        for pair in members.windows(2) {
            if pair[1].0 == pair[0].0 + 1 {
                product += (pair[0].1 - mean) * (pair[1].1 - mean);
                pairs += 1;
            }
        }
    }
    (pairs >= 3 && square > 0.0).then(|| product / square)
}

/// The standard deviation of the finite draws (NaN with fewer than two).
pub fn spread(draws: impl IntoIterator<Item = f64>) -> f64 {
    let finite: Vec<f64> = draws.into_iter().filter(|x| x.is_finite()).collect();
    if finite.len() < 2 {
        return f64::NAN;
    }
    let mean = finite.iter().sum::<f64>() / finite.len() as f64;
    (finite.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (finite.len() - 1) as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn sample(chain: usize, position: usize, value: f64) -> SampleData {
        SampleData {
            chain,
            position,
            energy_per_particle: value,
            ..Default::default()
        }
    }

    #[test]
    fn blocks_never_mix_chains_and_cover_every_sample_once() {
        let samples: Vec<SampleData> = (0..2)
            .flat_map(|c| (0..7).map(move |p| sample(c, p, 0.0)))
            .collect();
        let blocks = Blocks::new(&samples, 3);
        // 7 samples per chain in blocks of 3: 3 blocks each (3, 3, 1).
        assert_eq!((blocks.len(), blocks.chains()), (6, 2));
        let mut all: Vec<usize> = blocks.blocks.iter().flatten().copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..14).collect::<Vec<_>>());
        for block in &blocks.blocks {
            assert!(
                block
                    .iter()
                    .all(|&k| samples[k].chain == samples[block[0]].chain)
            );
        }
    }

    #[test]
    fn a_block_of_a_family_holds_every_branch_at_the_same_places() {
        // One trunk with two branches (branch 0 is the trunk), four samples each, blocks of two:
        // two blocks, each with the samples of all three at those places.
        let samples: Vec<SampleData> = (0..3)
            .flat_map(|b| {
                (0..4).map(move |p| SampleData {
                    branch: b,
                    ..sample(0, p, (p + 10 * b) as f64)
                })
            })
            .collect();
        let blocks = Blocks::new(&samples, 2);
        assert_eq!((blocks.len(), blocks.chains()), (2, 1));
        for block in &blocks.blocks {
            let mut branches: Vec<usize> = block.iter().map(|&k| samples[k].branch).collect();
            branches.sort_unstable();
            assert_eq!(branches, [0, 0, 1, 1, 2, 2]);
        }
        // Neighbours are neighbours in one branch, each with its own mean removed: deviations
        // −1.5, −0.5, 0.5, 1.5 in every branch give (0.75 − 0.25 + 0.75)/5 = 0.25.
        let correlation = neighbour_correlation(&samples, |s| s.energy_per_particle).unwrap();
        assert!((correlation - 0.25).abs() < 1e-12, "{correlation}");
    }

    #[test]
    fn block_errors_see_correlations_that_single_samples_hide() {
        // Chains whose samples share a chain-wide offset: the spread of the mean over chains is
        // what the error must show; resampling single samples would understate it.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let samples: Vec<SampleData> = (0..8)
            .flat_map(|c| {
                let offset: f64 = rng.random::<f64>() - 0.5;
                (0..20)
                    .map(|p| sample(c, p, offset + 0.01 * (p as f64 % 3.0)))
                    .collect::<Vec<_>>()
            })
            .collect();
        let mean = |chosen: &[usize]| {
            chosen
                .iter()
                .map(|&k| samples[k].energy_per_particle)
                .sum::<f64>()
                / chosen.len() as f64
        };
        let error = |length: usize| {
            let blocks = Blocks::new(&samples, length);
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
            spread((0..400).map(|_| mean(&blocks.draw(&mut rng))))
        };
        let (single, whole) = (error(1), error(20));
        // Whole chains: about the standard error of 8 offsets uniform on ±0.5, 0.29/√8 ≈ 0.10.
        assert!((0.06..0.15).contains(&whole), "{whole}");
        assert!(whole > 3.0 * single, "{whole} against {single}");
    }

    #[test]
    fn the_neighbour_correlation_of_an_autoregressive_chain_is_its_coefficient() {
        // x_{k+1} = 0.6 x_k + noise, in 20 chains of 200.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
        let samples: Vec<SampleData> = (0..20)
            .flat_map(|c| {
                let mut x = 0.0;
                (0..200)
                    .map(|p| {
                        x = 0.6 * x + rng.random::<f64>() - 0.5;
                        sample(c, p, x)
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        let rho = neighbour_correlation(&samples, |s| s.energy_per_particle).unwrap();
        assert!((rho - 0.6).abs() < 0.05, "{rho}");
        assert!(neighbour_correlation(&samples[..2], |s| s.energy_per_particle).is_none());
    }
}
