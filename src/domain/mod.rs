//! The distributed particle engine: spatial domain decomposition over MPI ranks, halo exchange,
//! migration and Verlet lists, on which force evaluation, swap moves and Hessian assembly run.
//! See [`Engine`] for how results are kept independent of the number of ranks.

pub mod communication;
mod decomposition;
mod engine;
pub mod exact_sum;
mod forces;
mod neighbours;
pub mod packed;

pub use decomposition::{Decomposition, DecompositionError};
pub use engine::{DEFAULT_SKIN, Engine, Evaluation, GhostTraffic, Layout, ParticlesMut};
pub use exact_sum::ExactSum;
pub use neighbours::{NeighbourList, SHELLS};
pub use packed::{PackedParticles, candidates};
