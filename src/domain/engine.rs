//! The distributed particle engine.
//!
//! Each rank owns the particles inside its domain ([`Decomposition`]) and keeps copies ("ghosts") of
//! every particle within the halo width h = x_c·max λ + skin of its domain, taken from its neighbours in
//! three stages (x, then y, then z, forwarding what earlier stages brought, so edge and corner
//! neighbours are covered too). A ghost that crosses the periodic boundary is stored as a shifted image
//! x + s, s ∈ {−L, 0, L}³, so pair vectors are plain differences x_j − x_i.
//!
//! **Why results do not depend on the number of ranks.** Every pair vector is computed as
//! (x_j + s) − x_i from the same bits on any decomposition (the owner of j adds the shift, one axis at a
//! time, exactly once per axis); every particle sums its pair terms over a *full* neighbour list sorted
//! by global particle id, so in the same order everywhere; and global sums are exact ([`ExactSum`]),
//! maxima are order-independent. Forces, energies and everything computed from them element-wise
//! (FIRE steps, for example) are therefore bitwise identical on 1, 2, 3, … ranks.
//!
//! Lists are rebuilt (with migration of particles to their new owners and new ghosts) when the two
//! largest displacements since the last build add up to more than the skin (no pair can then have come
//! closer than its cutoff unseen), a decision taken on exact global maxima.

use mpi::topology::{Communicator, SimpleCommunicator};

use super::communication;
use super::decomposition::{Decomposition, DecompositionError};
use super::exact_sum::ExactSum;
use super::neighbours::NeighbourList;
use crate::model::{Configuration, PairPotential, wrap_coordinate};

mod halo;
mod reductions;

pub use halo::GhostTraffic;
use halo::Stage;

/// The default Verlet skin [λ_min].
pub const DEFAULT_SKIN: f64 = 0.3;

/// How an engine lays out its domains and lists.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Layout {
    /// Domain boundaries on a grid of this many equal slabs per axis (Monte Carlo cells), instead of
    /// at c·L/g.
    pub slabs: Option<usize>,
    /// Lists hold every pair within x_c·max λ + skin whatever the two sizes, so that they stay valid
    /// when particles exchange sizes (swap Monte Carlo); otherwise each pair's own range x_c λ_ij + skin.
    pub any_sizes: bool,
}

/// Mutable access to the particles of an engine (locals, then ghosts) with the neighbour list, for
/// moves that change locals in place; ghosts follow with [`Engine::forward_ghosts`].
pub struct ParticlesMut<'a> {
    /// Global ids.
    pub ids: &'a [u64],
    /// Positions.
    pub positions: &'a mut [[f64; 3]],
    /// Sizes.
    pub sizes: &'a mut [f64],
    /// The number of locals.
    pub n_local: usize,
    /// The neighbour list of the locals.
    pub list: &'a NeighbourList,
    /// The positions of the locals at the list build.
    pub positions_at_build: &'a [[f64; 3]],
}

/// The distributed particles of one configuration and the machinery to evaluate the model on them.
pub struct Engine<'c> {
    comm: &'c SimpleCommunicator,
    decomposition: Decomposition,
    potential: PairPotential,
    skin: f64,
    halo: f64,
    /// The largest particle size (sizes are only ever exchanged, never changed).
    largest_size: f64,
    smallest_size: f64,
    layout: Layout,
    /// The list's 1/λ_ij² are not current: sizes were exchanged since they were computed, or an any-size
    /// list was just built (without them).
    sizes_changed: bool,
    n_global: usize,
    /// Global ids, positions and sizes: the first `n_local` are owned, the rest are ghosts.
    ids: Vec<u64>,
    positions: Vec<[f64; 3]>,
    sizes: Vec<f64>,
    n_local: usize,
    stages: Vec<Stage>,
    list: NeighbourList,
    positions_at_build: Vec<[f64; 3]>,
    builds: usize,
}

impl Evaluation {
    /// The athermal pressure −tr W/(3V) for a box of volume `volume`.
    pub fn pressure(&self, volume: f64) -> f64 {
        crate::model::athermal_pressure(&self.virial, volume)
    }
}

/// Energy, forces and virial evaluated on the engine.
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// Total potential energy (exact global sum) [ε].
    pub energy: f64,
    /// Forces on the local particles, in local order [ε/λ_min].
    pub forces: Vec<[f64; 3]>,
    /// Virial tensor Σ_pairs (φ'/r) r_α r_β in the order xx, yy, zz, xy, xz, yz (exact global sums) [ε].
    pub virial: [f64; 6],
}

impl<'c> Engine<'c> {
    /// Distributes `configuration` (which every rank holds) over the ranks of `comm`.
    pub fn new(
        comm: &'c SimpleCommunicator,
        configuration: &Configuration,
        potential: PairPotential,
        skin: f64,
    ) -> Result<Self, DecompositionError> {
        Self::with_layout(comm, configuration, potential, skin, Layout::default())
    }

    /// As [`Self::new`], with the domains and lists laid out as `layout` says.
    pub fn with_layout(
        comm: &'c SimpleCommunicator,
        configuration: &Configuration,
        potential: PairPotential,
        skin: f64,
        layout: Layout,
    ) -> Result<Self, DecompositionError> {
        let range = potential.range(configuration.largest_size());
        let halo = range + skin;
        let decomposition = Decomposition::with_slabs(
            comm.size() as usize,
            comm.rank() as usize,
            configuration.box_length,
            halo,
            layout.slabs,
        )?;
        let rank = comm.rank() as usize;
        let mut engine = Engine {
            comm,
            decomposition,
            potential,
            skin,
            halo,
            largest_size: configuration.largest_size(),
            smallest_size: configuration.smallest_size(),
            layout,
            sizes_changed: false,
            n_global: configuration.len(),
            ids: Vec::new(),
            positions: Vec::new(),
            sizes: Vec::new(),
            n_local: 0,
            stages: Vec::new(),
            list: NeighbourList::default(),
            positions_at_build: Vec::new(),
            builds: 0,
        };
        for (id, (&x, &size)) in configuration
            .positions
            .iter()
            .zip(&configuration.sizes)
            .enumerate()
        {
            if engine.decomposition.owner(x) == rank {
                engine.ids.push(id as u64);
                engine.positions.push(x);
                engine.sizes.push(size);
            }
        }
        engine.n_local = engine.ids.len();
        engine.rebuild(&mut []);
        Ok(engine)
    }

    /// The communicator.
    pub fn comm(&self) -> &'c SimpleCommunicator {
        self.comm
    }

    /// The decomposition.
    pub fn decomposition(&self) -> &Decomposition {
        &self.decomposition
    }

    /// The pair potential.
    pub fn potential(&self) -> &PairPotential {
        &self.potential
    }

    /// Total number of particles.
    pub fn n_global(&self) -> usize {
        self.n_global
    }

    /// Number of particles this rank owns.
    pub fn n_local(&self) -> usize {
        self.n_local
    }

    /// Global ids of the local particles.
    pub fn local_ids(&self) -> &[u64] {
        &self.ids[..self.n_local]
    }

    /// Positions of the local particles.
    pub fn local_positions(&self) -> &[[f64; 3]] {
        &self.positions[..self.n_local]
    }

    /// Sizes of the local particles.
    pub fn local_sizes(&self) -> &[f64] {
        &self.sizes[..self.n_local]
    }

    /// Moves the local particles by `displacements` (local order). Ghosts follow at the next
    /// evaluation.
    pub fn displace(&mut self, displacements: &[[f64; 3]]) {
        for (x, d) in self.positions[..self.n_local].iter_mut().zip(displacements) {
            for a in 0..3 {
                x[a] += d[a];
            }
        }
    }

    /// How many times the lists have been built.
    pub fn builds(&self) -> usize {
        self.builds
    }

    /// The neighbour list (rows of local particles; entries index locals and ghosts).
    pub fn neighbour_list(&self) -> &NeighbourList {
        &self.list
    }

    /// Neighbour-list entries per particle, averaged over all ranks. Collective.
    pub fn mean_list_entries(&self) -> f64 {
        self.sum([self.list.len() as f64]) / self.n_global as f64
    }

    /// Positions of locals and ghosts.
    pub fn all_positions(&self) -> &[[f64; 3]] {
        &self.positions
    }

    /// Sizes of locals and ghosts.
    pub fn all_sizes(&self) -> &[f64] {
        &self.sizes
    }

    /// Global ids of locals and ghosts.
    pub fn all_ids(&self) -> &[u64] {
        &self.ids
    }

    /// Brings ghosts up to date: rebuilds lists (with migration) if some particle moved more than half
    /// the skin, otherwise sends the new ghost positions along the existing stages. Per-particle arrays
    /// in `carried` (e.g. velocities, in local order) travel with their particles when they migrate.
    pub fn update(&mut self, carried: &mut [&mut Vec<[f64; 3]>]) {
        // A pair's separation has changed by at most the sum of the two largest displacements since the
        // build: the lists stay valid while that sum is below the skin.
        let [first, second] = self.largest_displacements();
        if first + second > self.skin || (self.sizes_changed && !self.layout.any_sizes) {
            self.rebuild(carried);
        } else if self.sizes_changed {
            self.forward_ghosts();
        } else {
            self.forward_positions();
        }
        self.sizes_changed = false;
    }

    /// The two largest distances of any local particle from its position at the last list build, over
    /// all ranks (largest first). Collective.
    pub fn largest_displacements(&self) -> [f64; 2] {
        let mut top = [0.0f64; 2];
        for (x, x0) in self.positions[..self.n_local]
            .iter()
            .zip(&self.positions_at_build)
        {
            let d2 = (0..3).map(|a| (x[a] - x0[a]).powi(2)).sum::<f64>();
            if d2 > top[0] {
                top = [d2, top[0]];
            } else if d2 > top[1] {
                top[1] = d2;
            }
        }
        communication::largest_two(self.comm, top).map(f64::sqrt)
    }

    /// Positions of the local particles at the last list build (local order).
    pub fn positions_at_build(&self) -> &[[f64; 3]] {
        &self.positions_at_build
    }

    /// Sets the positions of the local particles (given by global id) without rebuilding the lists,
    /// and brings the ghosts up to date: to continue from a state whose lists were built at other
    /// positions (a checkpoint). The new positions must lie within half the skin of the build ones.
    /// Collective.
    pub fn set_local_positions(&mut self, position_of: impl Fn(u64) -> [f64; 3]) {
        for k in 0..self.n_local {
            self.positions[k] = position_of(self.ids[k]);
        }
        self.forward_ghosts();
    }

    /// The Verlet skin.
    pub fn skin(&self) -> f64 {
        self.skin
    }

    /// The layout of domains and lists.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Rebuilds the lists now (with migration; see [`Self::update`] for `carried`). Collective.
    pub fn rebuild_now(&mut self, carried: &mut [&mut Vec<[f64; 3]>]) {
        self.rebuild(carried);
    }

    /// Moves every local particle by `shift`. A uniform translation leaves every pair vector as it
    /// was, but particles change domains: lists are rebuilt at the next update.
    pub fn translate(&mut self, shift: [f64; 3]) {
        for x in &mut self.positions[..self.n_local] {
            for a in 0..3 {
                x[a] += shift[a];
            }
        }
    }

    /// Mutable access to positions and sizes with the neighbour list. Only locals may be changed;
    /// [`Self::forward_ghosts`] then brings the ghosts up to date. Sizes are taken as changed: with
    /// per-pair lists the next update rebuilds them.
    pub fn particles_mut(&mut self) -> ParticlesMut<'_> {
        self.sizes_changed = true;
        ParticlesMut {
            ids: &self.ids,
            positions: &mut self.positions,
            sizes: &mut self.sizes,
            n_local: self.n_local,
            list: &self.list,
            positions_at_build: &self.positions_at_build,
        }
    }

    /// Wraps positions into the box, migrates particles to their owners, sorts the locals spatially,
    /// finds ghosts and builds the neighbour lists.
    fn rebuild(&mut self, carried: &mut [&mut Vec<[f64; 3]>]) {
        self.ids.truncate(self.n_local);
        self.positions.truncate(self.n_local);
        self.sizes.truncate(self.n_local);
        let l = self.decomposition.box_length;
        for x in &mut self.positions {
            for c in x.iter_mut() {
                *c = wrap_coordinate(*c, l);
            }
        }
        self.migrate(carried);
        self.sort_locals(carried);
        self.find_ghosts();
        self.list.rebuild(
            &self.potential,
            self.skin,
            self.halo,
            [self.smallest_size, self.largest_size],
            self.layout.any_sizes,
            &self.decomposition,
            &self.ids,
            &self.positions,
            &self.sizes,
            self.n_local,
        );
        self.positions_at_build = self.positions[..self.n_local].to_vec();
        self.builds += 1;
        // The ghosts were just made with the current sizes.
        self.sizes_changed = false;
    }

    /// Moves every local particle that left the domain to the neighbour owning it, axis by axis.
    fn migrate(&mut self, carried: &mut [&mut Vec<[f64; 3]>]) {
        let width = 5 + 3 * carried.len();
        for axis in 0..3 {
            let g = self.decomposition.grid[axis];
            if g == 1 {
                continue;
            }
            let mine = self.decomposition.coordinates[axis];
            let (mut down, mut up) = (Vec::new(), Vec::new());
            let mut k = 0;
            while k < self.ids.len() {
                let owner = self
                    .decomposition
                    .owner_coordinate(axis, self.positions[k][axis]);
                if owner == mine {
                    k += 1;
                    continue;
                }
                // One hop suffices: between rebuilds no particle moves more than the skin, and domains
                // are wider than the interaction range plus skin.
                let record = if owner == (mine + 1) % g {
                    &mut up
                } else {
                    &mut down
                };
                let x = self.positions[k];
                record.extend_from_slice(&[self.ids[k] as f64, x[0], x[1], x[2], self.sizes[k]]);
                for array in carried.iter_mut() {
                    record.extend_from_slice(&array[k]);
                    array.swap_remove(k);
                }
                self.ids.swap_remove(k);
                self.positions.swap_remove(k);
                self.sizes.swap_remove(k);
            }
            let lower = self.decomposition.neighbour(axis, false);
            let upper = self.decomposition.neighbour(axis, true);
            let from_lower = communication::exchange(self.comm, upper, lower, &up);
            let from_upper = communication::exchange(self.comm, lower, upper, &down);
            for record in from_lower
                .chunks_exact(width)
                .chain(from_upper.chunks_exact(width))
            {
                self.ids.push(record[0] as u64);
                self.positions.push([record[1], record[2], record[3]]);
                self.sizes.push(record[4]);
                for (a, array) in carried.iter_mut().enumerate() {
                    array.push([record[5 + 3 * a], record[6 + 3 * a], record[7 + 3 * a]]);
                }
            }
        }
        self.n_local = self.ids.len();
    }

    /// Orders the local particles by cell (for memory locality), then by id (for determinism).
    fn sort_locals(&mut self, carried: &mut [&mut Vec<[f64; 3]>]) {
        let cell = |x: &[f64; 3]| -> u64 {
            let c = x.map(|v| (v / self.halo).max(0.0) as u64);
            (c[0] * 4096 + c[1]) * 4096 + c[2]
        };
        let keys: Vec<(u64, u64)> = (0..self.n_local)
            .map(|k| (cell(&self.positions[k]), self.ids[k]))
            .collect();
        let mut order: Vec<usize> = (0..self.n_local).collect();
        order.sort_unstable_by_key(|&k| keys[k]);
        self.ids = order.iter().map(|&k| self.ids[k]).collect();
        self.positions = order.iter().map(|&k| self.positions[k]).collect();
        self.sizes = order.iter().map(|&k| self.sizes[k]).collect();
        for array in carried.iter_mut() {
            **array = order.iter().map(|&k| array[k]).collect();
        }
    }

    /// Collects ghosts within the halo width of the domain faces, in six stages.
    fn find_ghosts(&mut self) {
        self.stages.clear();
        let l = self.decomposition.box_length;
        for axis in 0..3 {
            let (lo, hi) = self.decomposition.bounds(axis);
            let c = self.decomposition.coordinates[axis];
            let g = self.decomposition.grid[axis];
            let candidates = self.positions.len();
            for up in [false, true] {
                // Downward: particles near the lower face go to the lower neighbour (shifted by +L if
                // that neighbour is across the periodic boundary); upward likewise.
                let send: Vec<u32> = (0..candidates)
                    .filter(|&k| {
                        if up {
                            self.positions[k][axis] >= hi - self.halo
                        } else {
                            self.positions[k][axis] < lo + self.halo
                        }
                    })
                    .map(|k| k as u32)
                    .collect();
                let shift = match (up, c) {
                    (false, 0) => l,
                    (true, c) if c == g - 1 => -l,
                    _ => 0.0,
                };
                let to = self.decomposition.neighbour(axis, up);
                let from = self.decomposition.neighbour(axis, !up);
                let mut outgoing = Vec::with_capacity(5 * send.len());
                for &k in &send {
                    let k = k as usize;
                    let mut x = self.positions[k];
                    x[axis] += shift;
                    outgoing.extend_from_slice(&[
                        self.ids[k] as f64,
                        x[0],
                        x[1],
                        x[2],
                        self.sizes[k],
                    ]);
                }
                let incoming = communication::exchange(self.comm, to, from, &outgoing);
                let received_at = self.positions.len();
                for record in incoming.chunks_exact(5) {
                    self.ids.push(record[0] as u64);
                    self.positions.push([record[1], record[2], record[3]]);
                    self.sizes.push(record[4]);
                }
                self.stages.push(Stage {
                    to,
                    from,
                    send,
                    axis,
                    shift,
                    received_at,
                    received: incoming.len() / 5,
                });
            }
        }
    }

    /// Energy, forces (on the local particles) and virial. Updates ghosts first.
    pub fn evaluate(&mut self) -> Evaluation {
        self.update(&mut []);
        let (forces, energies, virials) = super::forces::evaluate(
            &self.potential,
            &self.list,
            &self.positions,
            &self.sizes,
            self.n_local,
        );
        let mut sums: [ExactSum; 7] = Default::default();
        for (e, w) in energies.iter().zip(&virials) {
            sums[0].add(*e);
            for a in 0..6 {
                sums[a + 1].add(w[a]);
            }
        }
        let totals = communication::exact_sums(self.comm, &sums);
        Evaluation {
            energy: totals[0],
            forces,
            virial: [
                totals[1], totals[2], totals[3], totals[4], totals[5], totals[6],
            ],
        }
    }

    /// Forces on the local particles only (no energy, no virial): what a minimiser needs each step.
    /// Updates ghosts first.
    pub fn forces(&mut self, forces: &mut Vec<[f64; 3]>) {
        self.forces_carrying(forces, &mut []);
    }

    /// As [`Self::forces`], with per-particle arrays that travel with their particles (see
    /// [`Self::update`]).
    pub fn forces_carrying(
        &mut self,
        forces: &mut Vec<[f64; 3]>,
        carried: &mut [&mut Vec<[f64; 3]>],
    ) {
        self.update(carried);
        super::forces::forces(
            &self.potential,
            &self.list,
            &self.positions,
            &self.sizes,
            self.n_local,
            forces,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ModelParameters, for_each_interacting_pair};
    use crate::testing::spread_configuration;

    #[test]
    fn one_rank_engine_equals_the_serial_model_and_conserves_particles() {
        let universe = mpi::initialize().unwrap();
        let world = universe.world();
        let parameters = ModelParameters::default();
        let potential = parameters.potential();
        let configuration = spread_configuration(&parameters, 3000, 4);
        let serial = crate::model::evaluate(&configuration, &potential);
        // Per-particle scale Σ_j |φ'_ij| bounds the round-off of any summation order.
        let mut scale = vec![0.0f64; configuration.len()];
        for_each_interacting_pair(&configuration, &potential, |i, j, d, r2, size| {
            let (_, slope) = potential.energy_and_slope(r2, size);
            let magnitude = slope.abs() * r2.sqrt();
            scale[i] += magnitude;
            scale[j] += magnitude;
            let _ = d;
        });
        let mut engine =
            Engine::new(&world, &configuration, potential.clone(), DEFAULT_SKIN).unwrap();
        let evaluation = engine.evaluate();
        let mut forces_only = Vec::new();
        engine.forces(&mut forces_only);
        let bits = |v: &[[f64; 3]]| v.iter().flatten().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(&forces_only),
            bits(&evaluation.forces),
            "the two kernels disagree"
        );
        assert!((evaluation.energy - serial.energy).abs() <= 1e-13 * serial.energy.abs());
        for a in 0..6 {
            assert!(
                (evaluation.virial[a] - serial.virial[a]).abs() <= 1e-13 * serial.virial[0].abs()
            );
        }
        for (id, f) in engine.local_ids().iter().zip(&evaluation.forces) {
            let id = *id as usize;
            for a in 0..3 {
                assert!(
                    (f[a] - serial.forces[id][a]).abs() <= 1e-13 * scale[id],
                    "particle {id}"
                );
            }
        }

        // Translate everything by more than a box length in small steps: the energy is unchanged,
        // particles wrap, lists are rebuilt, nobody is lost or duplicated.
        let (count, size_sum) = engine.census();
        let step = [0.07, -0.05, 0.031];
        for _ in 0..300 {
            let displacements = vec![step; engine.n_local()];
            engine.displace(&displacements);
            let e = engine.evaluate().energy;
            assert!(
                (e - evaluation.energy).abs() <= 1e-11 * evaluation.energy.abs(),
                "{e} vs {}",
                evaluation.energy
            );
        }
        assert!(engine.builds() > 20, "only {} builds", engine.builds());
        assert_eq!(engine.census(), (count, size_sum));
        let gathered = engine.gather_configuration().unwrap();
        assert_eq!(gathered.sizes, configuration.sizes);
        gathered.check().unwrap();
    }
}
