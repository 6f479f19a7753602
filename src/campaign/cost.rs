//! What a campaign will cost before it is run: core-hours per (N, T_p) from τ_α(T_p), the cost of a
//! sweep and of a sample's quench and measurements, and the sweeps a chain spends before and between
//! its samples (`docs/sampling.md`, "The cost model").

use std::collections::BTreeMap;

use serde::Serialize;

use super::description::{Campaign, Chain, Point, SpacingRule, Start};
use super::store::Inventory;
use crate::model::ModelParameters;

/// τ_α [sweeps] of the default model at N = 2,000 with the default swap parameters, measured by
/// `scripts/bench-monte-carlo` (2.0 … 0.7) and the validation campaign's chains (0.6 … 0.45).
const MEASURED_TAU_ALPHA: [(f64, f64); 9] = [
    (2.0, 177.0),
    (1.2, 460.0),
    (1.0, 687.0),
    (0.9, 881.0),
    (0.8, 1288.0),
    (0.7, 1993.0),
    (0.6, 3719.0),
    (0.5, 10357.0),
    (0.45, 20817.0),
];

/// Attempted moves per core-second against N (`bench-results/monte-carlo.json`, one rank, the mean of
/// T_p = 1.0 and 0.4).
const ATTEMPTS_PER_CORE_SECOND: [(f64, f64); 4] = [
    (2000.0, 1.23e6),
    (16000.0, 1.17e6),
    (128000.0, 8.2e5),
    (1.0e6, 6.1e5),
];

/// Swaps restricted to sizes closer than 0.5 (the default at T_p ≤ 0.6) skip the energies of swaps
/// that are rejected anyway: 1.067–1.079 times the sweeps per core-second at T_p = 0.6, 0.5 and 0.45
/// (`bench-results/sweep-cost.json`).
const RESTRICTED_SWAP_SPEEDUP: f64 = 1.07;

/// A stationary chain's sweeps are cheaper: it measures energy and pressure 20 times per spacing and
/// follows no F_s (`docs/sampling.md`): 1.067–1.085 times the sweeps per core-second at T_p = 0.45
/// (`bench-results/sampling-measurements.json`).
const SAMPLING_SPEEDUP: f64 = 1.07;

/// Core-seconds to quench and measure one sample of N = 2,000 (the validation campaign), and the
/// power of N they grow with: 170 s at N = 32,000 (`docs/campaigns.md`) gives 1.5.
const MEASUREMENT_SECONDS_AT_2000: f64 = 2.5;
const MEASUREMENT_EXPONENT: f64 = 1.5;

/// The stationarity test passes a little after its floor: tests come every 1,000 sweeps and a few fail
/// first. The validation campaign's random starts passed at 1.00–1.16 times the floor of 32 τ_α
/// (mean 1.03).
const OVERSHOOT: f64 = 1.03;

/// A quench alone costs about this share of a sample's quench and measurements (0.2–0.3 s of 2.5 s at
/// N = 2,000 and T_p = 0.45 in the validation campaign).
const QUENCH_SHARE: f64 = 0.12;

/// Where a τ_α comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TauSource {
    /// Measured by this campaign's own chains (their mean).
    Campaign,
    /// Interpolated in the reference table.
    Table,
    /// Extrapolated below the table's lowest T_p, with the Arrhenius slope of its two lowest points:
    /// a lower bound, as τ_α grows faster than Arrhenius on cooling.
    Extrapolated,
}

/// The estimate for one point.
#[derive(Clone, Debug, Serialize)]
pub struct PointCost {
    /// N.
    pub n_particles: usize,
    /// T_p.
    pub parent_temperature: f64,
    /// Chains and samples.
    pub chains: usize,
    /// Samples.
    pub samples: usize,
    /// τ_α [sweeps].
    pub tau_alpha: f64,
    /// Where τ_α comes from.
    pub tau_alpha_source: TauSource,
    /// Sweeps before the chains' first samples, summed over chains.
    pub equilibration_sweeps: f64,
    /// Sweeps between samples, summed over chains.
    pub sampling_sweeps: f64,
    /// Core-hours of swap Monte Carlo.
    pub monte_carlo_core_hours: f64,
    /// Core-hours of quenches and measurements.
    pub measurement_core_hours: f64,
    /// A chain's sweeps before its first sample exceed `max_sweeps`: it will fail.
    pub beyond_max_sweeps: bool,
    /// `max_lag` is shorter than τ_α: τ_α cannot be measured, and the chains will fail.
    pub max_lag_below_tau_alpha: bool,
}

impl PointCost {
    /// Core-hours in all.
    pub fn core_hours(&self) -> f64 {
        self.monte_carlo_core_hours + self.measurement_core_hours
    }
}

/// τ_α [sweeps] at `parent_temperature` from the reference table: ln τ_α linear in 1/T_p between its
/// points, and beyond them with the slope of the two nearest.
pub fn reference_tau_alpha(parent_temperature: f64) -> (f64, TauSource) {
    let table = &MEASURED_TAU_ALPHA;
    let x = 1.0 / parent_temperature;
    let k = table
        .windows(2)
        .position(|w| parent_temperature >= w[1].0)
        .unwrap_or(table.len() - 2);
    let (t0, tau0) = table[k];
    let (t1, tau1) = table[k + 1];
    let slope = (tau1.ln() - tau0.ln()) / (1.0 / t1 - 1.0 / t0);
    let tau = (tau0.ln() + slope * (x - 1.0 / t0)).exp();
    let source = if parent_temperature < table[table.len() - 1].0 {
        TauSource::Extrapolated
    } else {
        TauSource::Table
    };
    (tau, source)
}

/// Attempted moves per core-second at `n_particles`, log-interpolated in the measured table.
pub fn attempts_per_core_second(n_particles: usize) -> f64 {
    let n = (n_particles as f64).clamp(2000.0, 1.0e6);
    let table = &ATTEMPTS_PER_CORE_SECOND;
    let k = table
        .windows(2)
        .position(|w| n <= w[1].0)
        .unwrap_or(table.len() - 2);
    let ((n0, a0), (n1, a1)) = (table[k], table[k + 1]);
    let f = (n.ln() - n0.ln()) / (n1.ln() - n0.ln());
    (a0.ln() + f * (a1.ln() - a0.ln())).exp()
}

/// Core-seconds of one sweep at `point` with the campaign's swap parameters there.
fn sweep_seconds(campaign: &Campaign, point: &Point) -> f64 {
    let n = point.n_particles;
    let restricted = campaign
        .swap_parameters(point.parent_temperature)
        .is_ok_and(|p| p.max_size_difference.is_some_and(|d| d <= 0.5));
    let speedup = if restricted {
        RESTRICTED_SWAP_SPEEDUP
    } else {
        1.0
    };
    n as f64 / (attempts_per_core_second(n) * speedup)
}

/// Core-seconds to quench and measure one sample of `n_particles`.
pub fn measurement_seconds(n_particles: usize) -> f64 {
    MEASUREMENT_SECONDS_AT_2000 * (n_particles as f64 / 2000.0).powf(MEASUREMENT_EXPONENT)
}

/// How a chain starts, for its cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StartKind {
    Random,
    Ladder,
    Branch,
}

impl StartKind {
    fn of(campaign: &Campaign, chain: &Chain) -> StartKind {
        match campaign.start_of(chain) {
            Start::Random => StartKind::Random,
            Start::Ladder(_) => StartKind::Ladder,
            Start::Branch(_) => StartKind::Branch,
        }
    }

    /// From a stored chain's `start` attribute (absent: random).
    fn stored(start: Option<&str>) -> StartKind {
        match start {
            Some(text) if text.starts_with("ladder from") => StartKind::Ladder,
            Some(text) if text.starts_with("branch of") => StartKind::Branch,
            _ => StartKind::Random,
        }
    }
}

/// Sweeps before a chain's first sample and between its samples, at τ_α = `tau` [sweeps].
fn chain_sweeps(campaign: &Campaign, start: StartKind, samples: usize, tau: f64) -> (f64, f64) {
    let sampling = &campaign.sampling;
    // The test's floor in units of τ_α: the window must span `equilibration_tau_alpha` and hold four
    // blocks of 2 τ_α in each half; from a random start it is the run's second half, from a ladder
    // start it begins after the burn-in unless that is later than the run's middle.
    let window = sampling.equilibration_tau_alpha.max(16.0);
    let spacing = sampling.spacing_tau_alpha * tau;
    let tested = |sweeps: f64| (sweeps * OVERSHOOT).max(sampling.min_sweeps as f64);
    let between = samples.saturating_sub(1) as f64 * spacing;
    match start {
        StartKind::Random => (tested(2.0 * window * tau), between),
        StartKind::Ladder => (
            tested((sampling.burn_in_tau_alpha + window).min(2.0 * window) * tau),
            between,
        ),
        StartKind::Branch => (spacing, between),
    }
}

/// The estimate for every point of `campaign` of a size in `sizes` (all if empty); τ_α from
/// `measured` (by point name) where this campaign's chains have measured it.
pub fn estimate(
    campaign: &Campaign,
    measured: &BTreeMap<String, f64>,
    sizes: &[usize],
) -> Vec<PointCost> {
    campaign
        .points()
        .into_iter()
        .filter(|point| sizes.is_empty() || sizes.contains(&point.n_particles))
        .map(|point| point_cost(campaign, point, measured.get(&point.id()).copied()))
        .collect()
}

/// One chain's sweeps before and between its samples, its core-seconds of Monte Carlo and in all.
struct ChainCost {
    before: f64,
    between: f64,
    monte_carlo_seconds: f64,
    core_seconds: f64,
}

fn chain_cost(campaign: &Campaign, chain: &Chain, tau: f64) -> ChainCost {
    let sampling = &campaign.sampling;
    let start = StartKind::of(campaign, chain);
    let (before, between) = chain_sweeps(campaign, start, chain.samples, tau);
    let n = chain.point.n_particles;
    let sweep_seconds = sweep_seconds(campaign, &chain.point);
    // Spacing by the inherent-state energy quenches a copy every interval until stationarity.
    let calibration_quenches = match sampling.spacing_from {
        SpacingRule::InherentEnergy if start != StartKind::Branch => {
            before / sampling.inherent_energy_interval() as f64
        }
        _ => 0.0,
    };
    // A branch continues its trunk's stationary run: all its sweeps sample.
    let (testing, sampling_sweeps) = match start {
        StartKind::Branch => (0.0, before + between),
        _ => (before, between),
    };
    let monte_carlo_seconds = (testing + sampling_sweeps / SAMPLING_SPEEDUP) * sweep_seconds;
    ChainCost {
        before,
        between,
        monte_carlo_seconds,
        core_seconds: monte_carlo_seconds
            + (chain.samples as f64 + calibration_quenches * QUENCH_SHARE) * measurement_seconds(n),
    }
}

fn point_cost(campaign: &Campaign, point: Point, measured: Option<f64>) -> PointCost {
    let (tau_alpha, tau_alpha_source) = match measured {
        Some(tau) => (tau, TauSource::Campaign),
        None => reference_tau_alpha(point.parent_temperature),
    };
    let sampling = &campaign.sampling;
    let (mut equilibration_sweeps, mut sampling_sweeps) = (0.0, 0.0);
    let (mut monte_carlo_seconds, mut core_seconds) = (0.0, 0.0);
    let (mut chains, mut samples, mut beyond_max_sweeps) = (0, 0, false);
    for chain in campaign.chains_at(point) {
        let cost = chain_cost(campaign, &chain, tau_alpha);
        beyond_max_sweeps |= cost.before > sampling.max_sweeps as f64
            && StartKind::of(campaign, &chain) != StartKind::Branch;
        equilibration_sweeps += cost.before;
        sampling_sweeps += cost.between;
        monte_carlo_seconds += cost.monte_carlo_seconds;
        core_seconds += cost.core_seconds;
        chains += 1;
        samples += chain.samples;
    }
    let n = point.n_particles;
    PointCost {
        n_particles: n,
        parent_temperature: point.parent_temperature,
        chains,
        samples,
        tau_alpha,
        tau_alpha_source,
        equilibration_sweeps,
        sampling_sweeps,
        monte_carlo_core_hours: monte_carlo_seconds / 3600.0,
        measurement_core_hours: (core_seconds - monte_carlo_seconds) / 3600.0,
        beyond_max_sweeps,
        max_lag_below_tau_alpha: (sampling.max_lag as f64) < tau_alpha,
    }
}

/// τ_α [sweeps] by point name: the mean over the stored chains of `inventory` that measured it
/// themselves (a branch keeps its trunk's).
pub fn measured_tau_alpha(inventory: &Inventory) -> BTreeMap<String, f64> {
    let mut sums: BTreeMap<String, (f64, usize)> = BTreeMap::new();
    for found in inventory.chains.values() {
        let (Some(n), Some(t), Some(tau)) = (
            found.number("n_particles"),
            found.number("parent_temperature"),
            found.number("tau_alpha"),
        ) else {
            continue;
        };
        if StartKind::stored(found.text("start")) == StartKind::Branch {
            continue;
        }
        let point = Point {
            n_particles: n as usize,
            parent_temperature: t,
        };
        let sum = sums.entry(point.id()).or_default();
        *sum = (sum.0 + tau, sum.1 + 1);
    }
    sums.into_iter()
        .map(|(id, (sum, count))| (id, sum / count as f64))
        .collect()
}

/// The estimate for a campaign with stored results, and the sweeps its stored chains ran against
/// what the model gives them with their own τ_α and starts.
#[derive(Clone, Debug, Serialize)]
pub struct Estimate {
    /// Every point's estimate.
    pub points: Vec<PointCost>,
    /// Core-hours in all.
    pub core_hours: f64,
    /// Sweeps the stored chains that equilibrated ran (a branch's own, from its branch point).
    pub stored_chain_sweeps: f64,
    /// What the model gives those chains.
    pub estimated_sweeps_of_stored_chains: f64,
    /// Core-hours of the costliest lineage: its chains run one after another on one worker, so the
    /// campaign takes at least this long (per core of a worker) however many workers it has.
    pub longest_lineage_core_hours: f64,
}

impl Estimate {
    /// The estimate for the points of sizes `sizes` (all if empty).
    pub fn of(campaign: &Campaign, inventory: &Inventory, sizes: &[usize]) -> Estimate {
        let points = estimate(campaign, &measured_tau_alpha(inventory), sizes);
        let (mut stored, mut estimated) = (0.0, 0.0);
        for chain in campaign.chains() {
            let Some(found) = inventory.chains.get(&chain.id()) else {
                continue;
            };
            let (Some(sweeps), Some(tau)) = (found.number("sweeps"), found.number("tau_alpha"))
            else {
                continue;
            };
            let start = StartKind::stored(found.text("start"));
            // A branch's sweep count goes on from its trunk's branch point.
            let inherited = match start {
                StartKind::Branch => {
                    found.number("equilibrated_at").unwrap_or(0.0)
                        - found.number("sample_spacing").unwrap_or(0.0)
                }
                _ => 0.0,
            };
            let (before, between) = chain_sweeps(campaign, start, chain.samples, tau);
            stored += sweeps - inherited;
            estimated += before + between;
        }
        let tau_of: BTreeMap<String, f64> = points
            .iter()
            .map(|p| {
                let point = Point {
                    n_particles: p.n_particles,
                    parent_temperature: p.parent_temperature,
                };
                (point.id(), p.tau_alpha)
            })
            .collect();
        let longest_lineage_core_hours = campaign
            .lineages(None)
            .iter()
            .filter(|lineage| sizes.is_empty() || sizes.contains(&lineage[0].point.n_particles))
            .map(|lineage| {
                lineage
                    .iter()
                    .map(|chain| {
                        chain_cost(campaign, chain, tau_of[&chain.point.id()]).core_seconds
                    })
                    .sum::<f64>()
                    / 3600.0
            })
            .fold(0.0, f64::max);
        Estimate {
            longest_lineage_core_hours,
            core_hours: points.iter().map(PointCost::core_hours).sum(),
            points,
            stored_chain_sweeps: stored,
            estimated_sweeps_of_stored_chains: estimated,
        }
    }

    /// The estimate as text: the table, and the stored chains against the model.
    pub fn text(&self, campaign: &Campaign) -> String {
        let mut text = table(&self.points);
        text.push_str(&format!(
            "the costliest lineage of chains that run one after another takes {:.2} core-hours: no \
             number of workers finishes sooner\n",
            self.longest_lineage_core_hours
        ));
        if campaign.model != ModelParameters::default() || !campaign.swap.is_empty() {
            text.push_str(
                "the tau_alpha table is of the default model and swap parameters; this campaign \
                 changes them, so where its own chains have not measured tau_alpha the estimate may \
                 be far off\n",
            );
        }
        let (stored, estimated) = (
            self.stored_chain_sweeps,
            self.estimated_sweeps_of_stored_chains,
        );
        if stored > 0.0 {
            text.push_str(&format!(
                "the stored chains ran {stored:.3e} sweeps; the model gives them {estimated:.3e} ({:+.1}%)\n",
                100.0 * (estimated / stored - 1.0)
            ));
        }
        text
    }
}

/// The estimate as a table, with a total line and what it rests on.
pub fn table(costs: &[PointCost]) -> String {
    use std::fmt::Write as _;
    let mut text = String::new();
    writeln!(
        text,
        "{:>9} {:>6} {:>7} {:>8} {:>10} {:>13} {:>11} {:>11}",
        "N", "T_p", "chains", "samples", "tau_alpha", "", "MC core-h", "core-h"
    )
    .unwrap();
    for c in costs {
        let source = match c.tau_alpha_source {
            TauSource::Campaign => "(this campaign)",
            TauSource::Table => "(table)",
            TauSource::Extrapolated => "(extrapolated)",
        };
        writeln!(
            text,
            "{:>9} {:>6} {:>7} {:>8} {:>10.3e} {:>13} {:>11.2} {:>11.2}",
            c.n_particles,
            c.parent_temperature,
            c.chains,
            c.samples,
            c.tau_alpha,
            source,
            c.monte_carlo_core_hours,
            c.core_hours()
        )
        .unwrap();
    }
    let total: f64 = costs.iter().map(PointCost::core_hours).sum();
    let samples: usize = costs.iter().map(|c| c.samples).sum();
    writeln!(
        text,
        "total: {total:.2} core-hours for {samples} samples ({:.0} core-seconds per sample)",
        3600.0 * total / samples.max(1) as f64
    )
    .unwrap();
    for c in costs {
        let point = format!("N = {}, T_p = {}", c.n_particles, c.parent_temperature);
        if c.beyond_max_sweeps {
            writeln!(
                text,
                "{point}: chains need more than max_sweeps to become stationary and will fail"
            )
            .unwrap();
        }
        if c.max_lag_below_tau_alpha {
            writeln!(text, "{point}: max_lag is below tau_alpha, which then cannot be measured; chains will fail").unwrap();
        }
    }
    if costs
        .iter()
        .any(|c| c.tau_alpha_source == TauSource::Extrapolated)
    {
        writeln!(
            text,
            "tau_alpha below the table's lowest T_p ({}) is extrapolated with an Arrhenius slope: those \
             points will cost more",
            MEASURED_TAU_ALPHA[MEASURED_TAU_ALPHA.len() - 1].0
        )
        .unwrap();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_tau_alpha_passes_through_its_points_and_grows_on_cooling() {
        for (t, tau) in MEASURED_TAU_ALPHA {
            let (found, source) = reference_tau_alpha(t);
            assert!((found / tau - 1.0).abs() < 1e-12, "{t}: {found}");
            assert_eq!(source, TauSource::Table);
        }
        let (low, source) = reference_tau_alpha(0.3);
        assert_eq!(source, TauSource::Extrapolated);
        assert!(low > 20817.0 * 10.0, "{low}");
        assert!(reference_tau_alpha(3.0).0 < 177.0);
        assert!((attempts_per_core_second(2000) - 1.23e6).abs() < 1.0);
        assert!(attempts_per_core_second(500_000) < attempts_per_core_second(100_000));
    }

    #[test]
    fn ladder_starts_and_branches_cost_less_than_random_starts() {
        let text = |extra: &str| {
            format!(
                "name = \"c\"\nsizes = [2000]\nparent_temperatures = [0.5, 0.45]\n[sampling]\nchains = 5\n\
                 samples_per_chain = 20\nequilibration_tau_alpha = 16\nspacing_tau_alpha = 2\n{extra}"
            )
        };
        let total = |extra: &str| {
            let campaign = Campaign::parse(&text(extra), "test").unwrap();
            let costs = estimate(&campaign, &BTreeMap::new(), &[]);
            costs.iter().map(PointCost::core_hours).sum::<f64>()
        };
        let random = total("");
        let ladder = total("start = \"ladder\"\n");
        let branches = total("branches = 5\n");
        let both = total("start = \"ladder\"\nbranches = 5\n");
        assert!(ladder < random && branches < random && both < ladder.min(branches));
        // 5 chains of 20 samples at 2 τ_α from random starts: 5 × (33 + 38) τ_α at each T_p; one
        // trunk and four branches: 33 + 38 + 4 × 40 (the samples' measurements dilute the ratio a
        // little).
        let ratio = random / branches;
        assert!((ratio - 5.0 * 71.0 / 231.0).abs() < 0.1, "{ratio}");
        // A ladder start whose burn-in exceeds the window falls back to the run's second half.
        let campaign =
            Campaign::parse(&text("start = \"ladder\"\nburn_in_tau_alpha = 40\n"), "t").unwrap();
        let late = estimate(&campaign, &BTreeMap::new(), &[]);
        assert!((late.iter().map(PointCost::core_hours).sum::<f64>() - random).abs() < 1e-9);
        // Chains of a lineage run one after another: a ladder chains the T_p, branches the chains.
        let longest = |extra: &str| {
            let campaign = Campaign::parse(&text(extra), "test").unwrap();
            Estimate::of(&campaign, &Inventory::default(), &[]).longest_lineage_core_hours
        };
        let alone = longest("");
        assert!(longest("branches = 5\n") > 3.0 * alone);
        assert!(longest("start = \"ladder\"\nbranches = 5\n") > longest("branches = 5\n"));
    }
}
