//! Campaigns: ensembles of samples over a grid of system sizes N and parent temperatures T_p, from a
//! TOML description to stored results.
//!
//! Work is organised in swap Monte Carlo *chains*: each starts from its own random configuration at
//! one (N, T_p) (or from another chain's stationary state: `docs/sampling.md`), runs until it is
//! stationary over many τ_α, and then yields `samples_per_chain`
//! configurations spaced by a multiple of τ_α. Each configuration is quenched and measured (a
//! *sample*). Every seed derives from the campaign seed and the chain's (N, T_p, index), so a sample's
//! result does not depend on which worker computed it or when.
//!
//! Layout of a campaign directory (see `docs/FORMAT.md`):
//!
//! ```text
//! campaign.toml                       the description the directory was started with
//! chains/<chain>.checkpoint.h5        the swap Monte Carlo state of each unfinished chain
//! results/worker-<W>-part-<P>.h5      finished samples (and chains), at most PART_CAPACITY per file
//! slurm/n<N>.sbatch, slurm/logs/      the job arrays of `pinch campaign submit`, and their output
//! ```

pub mod chain;
pub mod cost;
pub mod description;
pub mod progress;
pub mod run;
pub mod store;
pub mod submit;

pub use description::{Campaign, Chain, Point, Sampling, SeedPurpose};
