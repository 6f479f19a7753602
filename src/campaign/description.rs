//! The campaign description: a TOML file naming the model, the grid of (N, T_p), the chains and
//! samples per point, the equilibration and sampling schedule, and the measurements per sample.
//!
//! ```toml
//! name = "demo"
//! seed = 1
//! sizes = [2000]
//! parent_temperatures = [2.0, 1.0, 0.8, 0.7]
//!
//! [model]            # ModelParameters; keys left out take the defaults
//! [sampling]         # chains, samples_per_chain, equilibration_tau_alpha, spacing_tau_alpha,
//!                    # start, burn_in_tau_alpha, branches, ...
//! [[allocation]]     # chains and samples_per_chain at chosen sizes and T_p (later tables win)
//! sizes = [2000]
//! parent_temperatures = [0.7]
//! chains = 4
//! [swap]             # swap Monte Carlo parameters except parent_temperature
//! [quench]           # QuenchParameters
//! [measurements]     # Measurements
//! ```

use std::path::Path;

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{ModelParameters, ParameterError};
use crate::monte_carlo::SwapParameters;
use crate::monte_carlo::equilibration::Schedule;
use crate::quench::QuenchParameters;
use crate::rng::{Stream, stream};
use crate::sample::Measurements;

/// A campaign: an ensemble of samples over a grid of system sizes and parent temperatures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Campaign {
    /// Name (letters, digits, `-`, `_` and `.`): the default name of the campaign's directory.
    pub name: String,
    /// Seed of the whole campaign: every chain's and sample's seed derives from it.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// System sizes N.
    pub sizes: Vec<usize>,
    /// Parent temperatures T_p [ε/k_B].
    pub parent_temperatures: Vec<f64>,
    /// The model.
    #[serde(default)]
    pub model: ModelParameters,
    /// Chains, samples and their schedule.
    #[serde(default)]
    pub sampling: Sampling,
    /// Chains and samples per chain at chosen points, in place of `[sampling]`'s counts.
    #[serde(default)]
    pub allocation: Vec<Allocation>,
    /// Swap Monte Carlo parameters (all but `parent_temperature`, which each point sets).
    #[serde(default)]
    pub swap: toml::Table,
    /// The quench of each sampled configuration.
    #[serde(default)]
    pub quench: QuenchParameters,
    /// What is measured on each inherent state.
    #[serde(default)]
    pub measurements: Measurements,
}

fn default_seed() -> u64 {
    1
}

/// The counts at some points of the grid (a `[[allocation]]` table): a campaign puts its samples where
/// its statistics need them, e.g. most of them at the lowest T_p, and `chains = 0` leaves points out
/// (the paper's small glasses at low T_p and large ones above).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allocation {
    /// The sizes it applies to (all of the campaign's if left out).
    #[serde(default)]
    pub sizes: Vec<usize>,
    /// The parent temperatures it applies to (all of the campaign's if left out).
    #[serde(default)]
    pub parent_temperatures: Vec<f64>,
    /// Chains per point (`[sampling]`'s if left out).
    pub chains: Option<usize>,
    /// Samples per chain (`[sampling]`'s if left out).
    pub samples_per_chain: Option<usize>,
}

impl Allocation {
    fn applies_to(&self, point: &Point) -> bool {
        (self.sizes.is_empty() || self.sizes.contains(&point.n_particles))
            && (self.parent_temperatures.is_empty()
                || self.parent_temperatures.contains(&point.parent_temperature))
    }
}

/// Chains and samples per point and their schedule (TOML keys of the `[sampling]` table).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Sampling {
    /// Independent swap Monte Carlo chains per (N, T_p), each from its own random configuration (0: none
    /// but where an `[[allocation]]` asks for them).
    pub chains: usize,
    /// Configurations sampled from each chain once it is stationary.
    pub samples_per_chain: usize,
    /// A chain is taken as equilibrated when the second half of its run spans this many τ_α and its
    /// energy and pressure agree over the two halves of that window.
    pub equilibration_tau_alpha: f64,
    /// Sweeps between the samples of a chain, in units of its τ_α.
    pub spacing_tau_alpha: f64,
    /// Sweeps before equilibration is first tested.
    pub min_sweeps: u64,
    /// A chain not equilibrated after this many sweeps fails.
    pub max_sweeps: u64,
    /// Energy, pressure, acceptance and F_s are measured every this many sweeps.
    pub measure_interval: u64,
    /// A new time origin of F_s every this many sweeps.
    pub origin_interval: u64,
    /// F_s is followed up to this lag [sweeps]; it must exceed τ_α.
    pub max_lag: u64,
    /// Where a chain starts: `random` (a T = ∞ configuration) or `ladder` (the stationary state of
    /// the chain of the same index at the next higher T_p of the campaign that has one).
    pub start: StartRule,
    /// A ladder start is near equilibrium: its stationarity window may begin this many τ_α into the
    /// run instead of at its middle (`docs/sampling.md`).
    pub burn_in_tau_alpha: f64,
    /// Chains that share one start: of every `branches` consecutive chains of a point, the first
    /// (the trunk) proves stationarity and the others continue from its stationary state, each with
    /// its own seed, taking their first sample one spacing later. 1: every chain starts on its own.
    pub branches: usize,
    /// How a chain's samples are spaced: `tau_alpha` (`spacing_tau_alpha` τ_α) or `inherent_energy`
    /// (`spacing_correlation_times` integrated autocorrelation times of the inherent-state energy,
    /// measured in the stationarity window, `docs/sampling.md`).
    pub spacing_from: SpacingRule,
    /// Samples are this many integrated autocorrelation times of the inherent-state energy apart
    /// (with `spacing_from = "inherent_energy"`).
    pub spacing_correlation_times: f64,
    /// A copy of the configuration is quenched every this many sweeps until the chain is stationary
    /// (with `spacing_from = "inherent_energy"`; 0: a quarter of `origin_interval`).
    pub inherent_energy_interval: u64,
}

/// How the samples of a chain are spaced (`[sampling] spacing_from`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpacingRule {
    /// A fixed multiple of τ_α.
    #[default]
    TauAlpha,
    /// A multiple of the measured integrated autocorrelation time of the inherent-state energy.
    InherentEnergy,
}

/// Where the chains of a campaign start (`[sampling] start`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StartRule {
    /// From a random (T = ∞) configuration.
    #[default]
    Random,
    /// From the stationary state of the same chain one step up the campaign's T_p.
    Ladder,
}

/// Where one chain starts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Start {
    /// From a random configuration, with the full stationarity test.
    Random,
    /// From the stationary state of this chain at a higher T_p, with a burn-in of
    /// `burn_in_tau_alpha` τ_α.
    Ladder(Chain),
    /// From the stationary state of its trunk at the same point: stationary from the start.
    Branch(Chain),
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling {
            chains: 1,
            samples_per_chain: 1,
            equilibration_tau_alpha: 10.0,
            spacing_tau_alpha: 2.0,
            min_sweeps: 1_000,
            max_sweeps: 10_000_000,
            measure_interval: 10,
            origin_interval: 1_000,
            max_lag: 20_000,
            start: StartRule::Random,
            burn_in_tau_alpha: 4.0,
            branches: 1,
            spacing_from: SpacingRule::TauAlpha,
            spacing_correlation_times: 2.0,
            inherent_energy_interval: 0,
        }
    }
}

impl Sampling {
    /// Sweeps between the quenches that measure the inherent-state energy's correlation: by default a
    /// quarter of `origin_interval` (a multiple of `measure_interval`), so that a window of 16 τ_α
    /// holds well over the 50 the estimate needs when origins are a tenth of τ_α apart.
    pub fn inherent_energy_interval(&self) -> u64 {
        match self.inherent_energy_interval {
            0 => (self.origin_interval / 4 / self.measure_interval).max(1) * self.measure_interval,
            interval => interval,
        }
    }

    /// The equilibration schedule of a chain (its `sweeps` is the equilibration limit).
    pub fn schedule(&self) -> Schedule {
        Schedule {
            sweeps: self.max_sweeps,
            measure_interval: self.measure_interval,
            origin_interval: self.origin_interval,
            max_lag: self.max_lag,
            tau_alpha_multiple: self.equilibration_tau_alpha,
            burn_in_tau_alpha: None,
            sampling: None,
        }
    }

    fn validate(&self) -> std::result::Result<(), ParameterError> {
        let bad = |field: &'static str, reason: String| Err(ParameterError { field, reason });
        if self.samples_per_chain == 0 {
            return bad("samples_per_chain", "must be at least 1".into());
        }
        if self.branches == 0 {
            return bad("branches", "must be at least 1".into());
        }
        if !(self.burn_in_tau_alpha.is_finite() && self.burn_in_tau_alpha >= 0.0) {
            return bad(
                "burn_in_tau_alpha",
                format!("must be at least 0, not {}", self.burn_in_tau_alpha),
            );
        }
        for (field, value) in [
            ("equilibration_tau_alpha", self.equilibration_tau_alpha),
            ("spacing_tau_alpha", self.spacing_tau_alpha),
            ("spacing_correlation_times", self.spacing_correlation_times),
        ] {
            if !(value.is_finite() && value > 0.0) {
                return bad(field, format!("must be positive, not {value}"));
            }
        }
        if self.max_sweeps < self.min_sweeps {
            return bad(
                "max_sweeps",
                format!(
                    "= {} is below min_sweeps = {}",
                    self.max_sweeps, self.min_sweeps
                ),
            );
        }
        self.schedule().validate()
    }
}

/// One point of the grid.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// N.
    pub n_particles: usize,
    /// T_p.
    pub parent_temperature: f64,
}

impl Point {
    /// The point's name, e.g. `N2000-T0.7` (T_p in its shortest exact decimal form).
    pub fn id(&self) -> String {
        format!("N{}-T{}", self.n_particles, self.parent_temperature)
    }
}

/// One swap Monte Carlo chain of a point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Chain {
    /// Its point.
    pub point: Point,
    /// Its index among the point's chains.
    pub index: usize,
    /// The number of samples it yields.
    pub samples: usize,
}

impl Chain {
    /// The chain's name, e.g. `N2000-T0.7-chain3`.
    pub fn id(&self) -> String {
        format!("{}-chain{}", self.point.id(), self.index)
    }

    /// The name of its sample `k`, e.g. `N2000-T0.7-chain3-sample0`.
    pub fn sample_id(&self, k: usize) -> String {
        format!("{}-sample{k}", self.id())
    }

    /// The chain with the sample count `campaign` gives its point.
    fn with_samples_of(self, campaign: &Campaign) -> Chain {
        Chain {
            samples: campaign.allocation_at(&self.point).1,
            ..self
        }
    }

    /// The name of its stationary state's file in the campaign's `chains/` directory, kept for the
    /// chains that start from it.
    pub fn stationary_state_name(&self) -> String {
        format!("{}.stationary.h5", self.id())
    }

    /// The names of all its samples, in order.
    pub fn sample_ids(&self) -> impl Iterator<Item = String> + '_ {
        (0..self.samples).map(|k| self.sample_id(k))
    }
}

/// What a seed is drawn for; keys of [`Stream::Campaign`].
#[derive(Clone, Copy, Debug)]
#[repr(u64)]
pub enum SeedPurpose {
    /// The chain's random start and trajectory.
    Chain = 1,
    /// The choice of dipole pairs of a sample (keyed further by the sample index).
    DipolePairs = 2,
}

impl Campaign {
    /// Reads and validates a campaign file.
    pub fn load(path: &Path) -> Result<Campaign> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| Error::Read {
            path: name.clone(),
            error,
        })?;
        Campaign::parse(&text, &name)
    }

    /// Parses and validates the text of a campaign file called `origin`.
    pub fn parse(text: &str, origin: &str) -> Result<Campaign> {
        let campaign: Campaign = toml::from_str(text).map_err(|e| Error::Toml {
            path: origin.into(),
            message: e.to_string(),
        })?;
        campaign.validate(origin)?;
        Ok(campaign)
    }

    /// Checks everything up front, naming the table and field that is wrong.
    pub fn validate(&self, origin: &str) -> Result<()> {
        let fail = |table: &str, error: ParameterError| Error::Parameter {
            origin: if table.is_empty() {
                origin.to_owned()
            } else {
                format!("{origin} [{table}]")
            },
            error,
        };
        let bad =
            |field: &'static str, reason: String| Err(fail("", ParameterError { field, reason }));
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return bad(
                "name",
                format!(
                    "= {:?} must be non-empty and hold only letters, digits, '-', '_' and '.'",
                    self.name
                ),
            );
        }
        self.model.validate().map_err(|e| fail("model", e))?;
        if self.sizes.is_empty() {
            return bad("sizes", "must name at least one system size".into());
        }
        for (k, &n) in self.sizes.iter().enumerate() {
            if self.sizes[..k].contains(&n) {
                return bad("sizes", format!("names N = {n} twice"));
            }
            self.model.validate_system(n).map_err(|e| {
                fail(
                    "",
                    ParameterError {
                        field: "sizes",
                        reason: format!("N = {n}: {e}"),
                    },
                )
            })?;
        }
        if self.parent_temperatures.is_empty() {
            return bad(
                "parent_temperatures",
                "must name at least one temperature".into(),
            );
        }
        for (k, &t) in self.parent_temperatures.iter().enumerate() {
            if !(t.is_finite() && t > 0.0) {
                return bad(
                    "parent_temperatures",
                    format!("must be positive and finite, not {t}"),
                );
            }
            if self.parent_temperatures[..k].contains(&t) {
                return bad("parent_temperatures", format!("names T_p = {t} twice"));
            }
        }
        self.sampling.validate().map_err(|e| fail("sampling", e))?;
        self.validate_allocation()
            .map_err(|e| fail("allocation", e))?;
        if self.points().is_empty() {
            let (table, reason) = if self.allocation.is_empty() {
                ("sampling", "must be at least 1")
            } else {
                (
                    "allocation",
                    "is 0 at every point ([sampling] and every [[allocation]])",
                )
            };
            return Err(fail(
                table,
                ParameterError {
                    field: "chains",
                    reason: reason.into(),
                },
            ));
        }
        if self.swap.contains_key("parent_temperature") {
            return Err(fail(
                "swap",
                ParameterError {
                    field: "parent_temperature",
                    reason: "is set per point by parent_temperatures, not here".into(),
                },
            ));
        }
        for &t in &self.parent_temperatures {
            self.swap_parameters(t).map_err(|e| match e {
                Error::Parameter { error, .. } => fail("swap", error),
                Error::Toml { message, .. } => Error::Toml {
                    path: format!("{origin} [swap]"),
                    message,
                },
                other => other,
            })?;
        }
        self.quench.validate().map_err(|e| fail("quench", e))?;
        self.measurements
            .validate()
            .map_err(|e| fail("measurements", e))?;
        Ok(())
    }

    fn validate_allocation(&self) -> std::result::Result<(), ParameterError> {
        let bad = |field: &'static str, reason: String| Err(ParameterError { field, reason });
        for (k, allocation) in self.allocation.iter().enumerate() {
            if let Some(n) = allocation.sizes.iter().find(|n| !self.sizes.contains(n)) {
                return bad(
                    "sizes",
                    format!(
                        "table {}: N = {n} is not one of the campaign's sizes",
                        k + 1
                    ),
                );
            }
            if let Some(t) = allocation
                .parent_temperatures
                .iter()
                .find(|t| !self.parent_temperatures.contains(t))
            {
                return bad(
                    "parent_temperatures",
                    format!(
                        "table {}: T_p = {t} is not one of the campaign's parent_temperatures",
                        k + 1
                    ),
                );
            }
            if allocation.chains.is_none() && allocation.samples_per_chain.is_none() {
                return bad(
                    "chains",
                    format!("table {}: sets neither chains nor samples_per_chain", k + 1),
                );
            }
            if allocation.samples_per_chain == Some(0) {
                return bad(
                    "samples_per_chain",
                    format!("table {}: must be at least 1", k + 1),
                );
            }
        }
        Ok(())
    }

    /// Chains and samples per chain at `point` (0 chains: not part of the campaign).
    pub fn allocation_at(&self, point: &Point) -> (usize, usize) {
        self.allocation.iter().filter(|a| a.applies_to(point)).fold(
            (self.sampling.chains, self.sampling.samples_per_chain),
            |(chains, samples), a| {
                (
                    a.chains.unwrap_or(chains),
                    a.samples_per_chain.unwrap_or(samples),
                )
            },
        )
    }

    /// The swap Monte Carlo parameters at `parent_temperature`.
    pub fn swap_parameters(&self, parent_temperature: f64) -> Result<SwapParameters> {
        let mut table = self.swap.clone();
        table.insert(
            "parent_temperature".into(),
            toml::Value::Float(parent_temperature),
        );
        table
            .entry("skin")
            .or_insert(toml::Value::Float(crate::monte_carlo::default_skin(
                parent_temperature,
            )));
        if let Some(restriction) =
            crate::monte_carlo::default_max_size_difference(parent_temperature)
        {
            table
                .entry("max_size_difference")
                .or_insert(toml::Value::Float(restriction));
        }
        let parameters: SwapParameters =
            toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| Error::Toml {
                    path: "[swap]".into(),
                    message: e.to_string(),
                })?;
        parameters.validate().map_err(|error| Error::Parameter {
            origin: "[swap]".into(),
            error,
        })?;
        Ok(parameters)
    }

    /// Every point with at least one chain, sizes outermost, in the file's order.
    pub fn points(&self) -> Vec<Point> {
        self.sizes
            .iter()
            .flat_map(|&n_particles| {
                self.parent_temperatures
                    .iter()
                    .map(move |&parent_temperature| Point {
                        n_particles,
                        parent_temperature,
                    })
            })
            .filter(|point| self.allocation_at(point).0 > 0)
            .collect()
    }

    /// The chains of `point`, by index.
    pub fn chains_at(&self, point: Point) -> impl Iterator<Item = Chain> {
        let (chains, samples) = self.allocation_at(&point);
        (0..chains).map(move |index| Chain {
            point,
            index,
            samples,
        })
    }

    /// Every chain, in the order work is dealt out: the costliest point first (largest N, then lowest
    /// T_p, whose relaxation is slowest), all chains of a point together, so that the long chains start
    /// early and the chains of the costliest point are spread over the workers.
    pub fn chains(&self) -> Vec<Chain> {
        let mut points = self.points();
        points.sort_by(|a, b| {
            b.n_particles
                .cmp(&a.n_particles)
                .then(a.parent_temperature.total_cmp(&b.parent_temperature))
        });
        points.into_iter().flat_map(|p| self.chains_at(p)).collect()
    }

    /// Where `chain` starts (`[sampling] start` and `branches`).
    pub fn start_of(&self, chain: &Chain) -> Start {
        let branches = self.sampling.branches;
        let point = chain.point;
        if !chain.index.is_multiple_of(branches) {
            let trunk = chain.index - chain.index % branches;
            return Start::Branch(
                Chain {
                    index: trunk,
                    ..*chain
                }
                .with_samples_of(self),
            );
        }
        if self.sampling.start == StartRule::Ladder {
            let mut higher: Vec<f64> = self
                .parent_temperatures
                .iter()
                .copied()
                .filter(|&t| t > point.parent_temperature)
                .collect();
            higher.sort_by(f64::total_cmp);
            let parent = higher.into_iter().map(|parent_temperature| Point {
                parent_temperature,
                ..point
            });
            if let Some(parent) = parent
                .map(|point| Chain { point, ..*chain }.with_samples_of(self))
                .find(|parent| self.allocation_at(&parent.point).0 > chain.index)
            {
                return Start::Ladder(parent);
            }
        }
        Start::Random
    }

    /// The chain whose random start `chain`'s own start goes back to.
    fn root_of(&self, chain: &Chain) -> Chain {
        match self.start_of(chain) {
            Start::Random => *chain,
            Start::Ladder(parent) | Start::Branch(parent) => self.root_of(&parent),
        }
    }

    /// Whether `chain` keeps its stationary state for others: every chain that is not a branch, in a
    /// campaign with ladder starts or branches (so that chains added later find their start too).
    pub fn keeps_stationary_state(&self, chain: &Chain) -> bool {
        (self.sampling.start == StartRule::Ladder || self.sampling.branches > 1)
            && !matches!(self.start_of(chain), Start::Branch(_))
    }

    /// The chains that go back to one random start (of system size `size` only, if given), each
    /// parents first: ladder parents are hotter, trunks have lower indices. Lineages come in the
    /// order of [`Self::chains`], that of their costliest chain.
    pub fn lineages(&self, size: Option<usize>) -> Vec<Vec<Chain>> {
        let mut lineages: Vec<(String, Vec<Chain>)> = Vec::new();
        for chain in self
            .chains()
            .into_iter()
            .filter(|chain| size.is_none_or(|n| chain.point.n_particles == n))
        {
            let root = self.root_of(&chain).id();
            match lineages.iter_mut().find(|(id, _)| *id == root) {
                Some((_, members)) => members.push(chain),
                None => lineages.push((root, vec![chain])),
            }
        }
        lineages
            .into_iter()
            .map(|(_, mut members)| {
                members.sort_by(|a, b| {
                    b.point
                        .parent_temperature
                        .total_cmp(&a.point.parent_temperature)
                        .then(a.index.cmp(&b.index))
                });
                members
            })
            .collect()
    }

    /// The chains of worker `worker` of `workers`: whole [`Self::lineages`], so that no worker waits
    /// for another, dealt in snake order (0, 1, …, W−1, W−1, …, 0, 0, 1, …), which balances costs
    /// sorted in decreasing order. Without ladder starts or branches every lineage is one chain.
    pub fn chains_of_worker(
        &self,
        worker: usize,
        workers: usize,
        size: Option<usize>,
    ) -> Vec<Chain> {
        self.lineages(size)
            .into_iter()
            .enumerate()
            .filter(|(k, _)| {
                let round = k / workers;
                let position = k % workers;
                let dealt_to = if round.is_multiple_of(2) {
                    position
                } else {
                    workers - 1 - position
                };
                dealt_to == worker
            })
            .flat_map(|(_, members)| members)
            .collect()
    }

    /// The seed of `purpose` for `chain` (and `keys`): a pure function of the campaign seed and the
    /// chain's N, T_p and index, so that adding points or chains never changes existing ones.
    pub fn seed(&self, chain: &Chain, purpose: SeedPurpose, keys: &[u64]) -> u64 {
        let mut all = vec![
            purpose as u64,
            chain.point.n_particles as u64,
            chain.point.parent_temperature.to_bits(),
            chain.index as u64,
        ];
        all.extend_from_slice(keys);
        stream(self.seed, Stream::Campaign, &all).random()
    }

    /// The description with the grid and the counts removed: what must not change between runs of
    /// one campaign directory (points, chains and samples may be added).
    pub fn fixed_part(&self) -> Campaign {
        Campaign {
            sizes: Vec::new(),
            parent_temperatures: Vec::new(),
            allocation: Vec::new(),
            sampling: Sampling {
                chains: 0,
                samples_per_chain: 0,
                max_sweeps: 0,
                ..self.sampling.clone()
            },
            ..self.clone()
        }
    }

    /// Total number of samples.
    pub fn sample_count(&self) -> usize {
        self.chains().iter().map(|c| c.samples).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEMO: &str = r#"
name = "t"
sizes = [2000, 500]
parent_temperatures = [1.0, 0.5, 2.0]
[sampling]
chains = 3
samples_per_chain = 2
"#;

    #[test]
    fn chains_are_dealt_costliest_first_and_each_exactly_once() {
        let campaign = Campaign::parse(DEMO, "demo.toml").unwrap();
        let chains = campaign.chains();
        assert_eq!(chains.len(), 18);
        assert_eq!(chains[0].point.n_particles, 2000);
        assert_eq!(chains[0].point.parent_temperature, 0.5);
        assert_eq!(chains[0].id(), "N2000-T0.5-chain0");
        for workers in 1..=5 {
            let mut ids: Vec<String> = (0..workers)
                .flat_map(|w| campaign.chains_of_worker(w, workers, None))
                .map(|c| c.id())
                .collect();
            ids.sort();
            let mut all: Vec<String> = chains.iter().map(|c| c.id()).collect();
            all.sort();
            assert_eq!(ids, all, "{workers} workers");
            // Restricted to one size, the workers share out exactly that size's chains.
            let mut ids: Vec<String> = (0..workers)
                .flat_map(|w| campaign.chains_of_worker(w, workers, Some(500)))
                .map(|c| c.id())
                .collect();
            ids.sort();
            let mut small: Vec<String> = chains
                .iter()
                .filter(|c| c.point.n_particles == 500)
                .map(|c| c.id())
                .collect();
            small.sort();
            assert_eq!(ids, small, "{workers} workers at N = 500");
        }
        assert_eq!(campaign.sample_count(), 36);
    }

    #[test]
    fn allocations_set_the_counts_of_their_points_and_later_tables_win() {
        let text = format!(
            "{DEMO}[[allocation]]\nparent_temperatures = [0.5]\nchains = 5\nsamples_per_chain = 7\n\
             [[allocation]]\nsizes = [500]\nparent_temperatures = [0.5, 2.0]\nchains = 0\n"
        );
        let campaign = Campaign::parse(&text, "a.toml").unwrap();
        let at = |n, t| {
            campaign.allocation_at(&Point {
                n_particles: n,
                parent_temperature: t,
            })
        };
        assert_eq!(at(2000, 0.5), (5, 7));
        assert_eq!(at(2000, 1.0), (3, 2));
        assert_eq!(at(500, 0.5), (0, 7));
        assert_eq!(at(500, 1.0), (3, 2));
        // N = 500 keeps T_p = 1.0 only.
        assert_eq!(campaign.points().len(), 4);
        assert_eq!(campaign.sample_count(), 5 * 7 + 3 * 2 * 3);
        let chains = campaign.chains();
        assert_eq!(chains.len(), 5 + 3 * 3);
        assert_eq!(chains[0].id(), "N2000-T0.5-chain0");
        assert_eq!(chains[0].samples, 7);
        assert!(
            chains
                .iter()
                .all(|c| c.point.n_particles == 2000 || c.point.parent_temperature == 1.0)
        );
        // The costliest point's chains are spread over the workers.
        for worker in 0..2 {
            let mine = campaign.chains_of_worker(worker, 2, None);
            let costliest = mine.iter().filter(|c| c.point == chains[0].point).count();
            assert!(costliest >= 2, "worker {worker}: {costliest} of 5");
        }
        // The fixed part ignores the counts, so that a campaign can grow.
        assert_eq!(
            campaign.fixed_part(),
            Campaign::parse(DEMO, "demo.toml").unwrap().fixed_part()
        );
    }

    #[test]
    fn seeds_depend_on_the_chain_only() {
        let campaign = Campaign::parse(DEMO, "demo.toml").unwrap();
        let chains = campaign.chains();
        let mut wider = campaign.clone();
        wider.parent_temperatures.push(0.3);
        let a = campaign.seed(&chains[4], SeedPurpose::Chain, &[]);
        assert_eq!(a, wider.seed(&chains[4], SeedPurpose::Chain, &[]));
        assert_ne!(a, campaign.seed(&chains[5], SeedPurpose::Chain, &[]));
        assert_ne!(a, campaign.seed(&chains[4], SeedPurpose::DipolePairs, &[0]));
    }

    #[test]
    fn every_example_campaign_is_valid() {
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        let mut checked = 0;
        for entry in std::fs::read_dir(&examples).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                let campaign =
                    Campaign::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert!(!campaign.chains().is_empty(), "{}", path.display());
                checked += 1;
            }
        }
        assert!(checked >= 5, "{checked} examples");
    }

    #[test]
    fn bad_descriptions_name_the_table_and_field() {
        let error = |text: &str| Campaign::parse(text, "c.toml").unwrap_err().to_string();
        let base = "name = \"x\"\nsizes = [2000]\nparent_temperatures = [1.0]\n";
        assert!(error("name = \"x\"\nsizes = [2000]\n").contains("parent_temperatures"));
        assert!(error(&format!("{base}colour = 1\n")).contains("colour"));
        assert!(
            error("name = \"a b\"\nsizes = [2000]\nparent_temperatures = [1.0]\n").contains("name")
        );
        let message = error(&format!("{base}[sampling]\nchains = 0\n"));
        assert!(
            message.contains("[sampling]") && message.contains("chains"),
            "{message}"
        );
        let message = error(&format!(
            "{base}[sampling]\nchains = 0\n[[allocation]]\nparent_temperatures = [1.0]\nsamples_per_chain = 3\n"
        ));
        assert!(message.contains("0 at every point"), "{message}");
        let message = error(&format!(
            "{base}[[allocation]]\nparent_temperatures = [0.5]\nchains = 2\n"
        ));
        assert!(
            message.contains("[allocation]") && message.contains("T_p = 0.5"),
            "{message}"
        );
        let message = error(&format!(
            "{base}[[allocation]]\nsizes = [500]\nchains = 1\n"
        ));
        assert!(message.contains("N = 500"), "{message}");
        let message = error(&format!("{base}[[allocation]]\nsamples_per_chain = 0\n"));
        assert!(message.contains("samples_per_chain"), "{message}");
        let message = error(&format!("{base}[[allocation]]\nsizes = [2000]\n"));
        assert!(message.contains("sets neither"), "{message}");
        let message = error(&format!("{base}[swap]\nswap_probability = 2.0\n"));
        assert!(message.contains("swap_probability"), "{message}");
        let message = error(&format!("{base}[swap]\nparent_temperature = 2.0\n"));
        assert!(message.contains("parent_temperature"), "{message}");
        let message = error("name = \"x\"\nsizes = [20]\nparent_temperatures = [1.0]\n");
        assert!(
            message.contains("sizes") && message.contains("N = 20"),
            "{message}"
        );
        let message = error("name = \"x\"\nsizes = [2000]\nparent_temperatures = [1.0, -1.0]\n");
        assert!(message.contains("parent_temperatures"), "{message}");
        let message = error(&format!("{base}[measurements]\nprofile_bin_width = 0\n"));
        assert!(message.contains("profile_bin_width"), "{message}");
        let message = error(&format!("{base}[quench]\nforce_tolerance = -1\n"));
        assert!(message.contains("force_tolerance"), "{message}");
        let message = error(&format!("{base}[sampling]\nmax_lag = 25\n"));
        assert!(message.contains("max_lag"), "{message}");
    }
}
