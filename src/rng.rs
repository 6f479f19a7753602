//! Random-number streams.
//!
//! Every random number in pinch comes from a stream keyed by (seed, stream id, keys…), never from a
//! generator that is passed along and advanced in an order that could depend on the run's layout. The
//! stream ids are listed once, here.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The purposes random numbers are drawn for. The values are part of the file format's reproducibility
/// contract: never renumber them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Stream {
    /// Uniform positions of an infinite-temperature configuration.
    InitialPositions = 1,
    /// The permutation (or the draws) of the particle sizes.
    Sizes = 2,
    /// The random translation of the system that shifts the Monte Carlo cell grid, keyed by sweep.
    CellGridShift = 3,
    /// The moves inside one Monte Carlo cell, keyed by (sweep, cell).
    CellMoves = 4,
    /// Seeds of a campaign's chains and samples, keyed by (purpose, N, T_p, chain, …).
    Campaign = 5,
    /// The bootstrap of the analysis, keyed by (N, T_p) or by a purpose.
    Bootstrap = 6,
}

/// SplitMix64's finaliser: a bijective mixing of 64 bits.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The generator for (`seed`, `stream`, `keys`): the same arguments always give the same numbers.
pub fn stream(seed: u64, stream: Stream, keys: &[u64]) -> Xoshiro256PlusPlus {
    let mut state = mix(mix(seed) ^ stream as u64);
    for &key in keys {
        state = mix(state ^ key);
    }
    Xoshiro256PlusPlus::seed_from_u64(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let draw = |seed, s, keys: &[u64]| stream(seed, s, keys).random::<u64>();
        assert_eq!(draw(1, Stream::Sizes, &[3]), draw(1, Stream::Sizes, &[3]));
        assert_ne!(draw(1, Stream::Sizes, &[3]), draw(1, Stream::Sizes, &[4]));
        assert_ne!(
            draw(1, Stream::Sizes, &[]),
            draw(1, Stream::InitialPositions, &[])
        );
        assert_ne!(draw(1, Stream::Sizes, &[]), draw(2, Stream::Sizes, &[]));
    }
}
