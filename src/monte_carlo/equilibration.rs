//! Equilibration runs: time series, the self-intermediate scattering function and τ_α, and the
//! stationarity test.

use serde::{Deserialize, Serialize};

use super::SwapMonteCarlo;

/// When an equilibration run measures what (TOML keys of the `[equilibration]` table).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Schedule {
    /// Sweeps of the whole trajectory (a resumed run continues up to this count).
    pub sweeps: u64,
    /// Energy, pressure, acceptance rates and F_s are measured every this many sweeps.
    pub measure_interval: u64,
    /// A new time origin of F_s every this many sweeps (a multiple of `measure_interval`).
    pub origin_interval: u64,
    /// F_s is followed up to this lag [sweeps] (a multiple of `measure_interval`).
    pub max_lag: u64,
    /// The stationarity window (the second half of the run) must span this many τ_α.
    pub tau_alpha_multiple: f64,
    /// For a start already near equilibrium (a stationary configuration of a nearby T_p): the window
    /// may begin this many τ_α into the run instead of at its middle (`docs/sampling.md`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burn_in_tau_alpha: Option<f64>,
    /// Once the run only samples (a stationary chain): measure less from here on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampling: Option<SamplingMeasurements>,
}

/// What a run measures once it only samples (`docs/sampling.md`, "Measurements while sampling"):
/// after sweep `from`, F_s is no longer followed (τ_α and the sample spacing are fixed at the test
/// that passed) and energy, pressure and acceptance rates are measured every `measure_interval`
/// sweeps. The trajectory is the same as with every measurement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamplingMeasurements {
    /// The sweep from which the run samples.
    pub from: u64,
    /// Sweeps between measurements from then on.
    pub measure_interval: u64,
}

impl SamplingMeasurements {
    /// Measurements `per_spacing` times per sample spacing of `spacing` sweeps, at a multiple of the
    /// run's `measure_interval`.
    pub fn per_spacing(from: u64, spacing: u64, measure_interval: u64, per_spacing: u64) -> Self {
        let interval = (spacing / per_spacing / measure_interval).max(1) * measure_interval;
        SamplingMeasurements {
            from,
            measure_interval: interval,
        }
    }
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            sweeps: 10_000,
            measure_interval: 10,
            origin_interval: 100,
            max_lag: 5_000,
            tau_alpha_multiple: 10.0,
            burn_in_tau_alpha: None,
            sampling: None,
        }
    }
}

impl Schedule {
    /// Checks the intervals, naming the field that is wrong.
    pub fn validate(&self) -> Result<(), crate::model::ParameterError> {
        let bad = |field: &'static str, reason: String| {
            Err(crate::model::ParameterError { field, reason })
        };
        if self.measure_interval == 0 {
            return bad("measure_interval", "must be at least 1".into());
        }
        for (field, value) in [
            ("origin_interval", self.origin_interval),
            ("max_lag", self.max_lag),
        ] {
            if value == 0 || value % self.measure_interval != 0 {
                return bad(
                    field,
                    format!(
                        "= {value} must be a positive multiple of measure_interval = {}",
                        self.measure_interval
                    ),
                );
            }
        }
        if let Some(sampling) = self.sampling
            && sampling.measure_interval == 0
        {
            return bad("sampling_measure_interval", "must be at least 1".into());
        }
        if self.tau_alpha_multiple.is_nan() || self.tau_alpha_multiple <= 0.0 {
            return bad("tau_alpha_multiple", "must be positive".into());
        }
        if let Some(b) = self.burn_in_tau_alpha
            && !(b.is_finite() && b >= 0.0)
        {
            return bad("burn_in_tau_alpha", format!("must be at least 0, not {b}"));
        }
        Ok(())
    }

    /// Number of lags F_s is recorded at (0, measure_interval, …, max_lag).
    pub fn lags(&self) -> usize {
        (self.max_lag / self.measure_interval) as usize + 1
    }

    /// Time origins of F_s are summed by epoch of this many sweeps (a multiple of `origin_interval`,
    /// about `max_lag`/8). The stationarity window takes τ_α from whole epochs inside it, so the
    /// epoch must be short next to the window: with epochs of `max_lag`, a large `max_lag` (needed
    /// deep in the supercooled liquid) kept τ_α unknown, and chains unequilibrated, for 2 `max_lag`
    /// sweeps whatever the actual τ_α. Eight epochs per `max_lag` bound the accumulators' size.
    pub fn epoch_length(&self) -> u64 {
        let step = self.origin_interval.max(1);
        (self.max_lag / 8 / step).max(1) * step
    }
}

/// Sweeps between tests of stationarity.
pub const CHECK_INTERVAL: u64 = 1_000;

/// The first sweep at or after `sweep` at which stationarity is tested: the larger of
/// [`CHECK_INTERVAL`] and `min_sweeps`, then every multiple of [`CHECK_INTERVAL`], and `max_sweeps`
/// at the latest. A pure function of the sweep, so that a resumed run tests where an uninterrupted
/// one does.
pub fn next_test_sweep(sweep: u64, min_sweeps: u64, max_sweeps: u64) -> u64 {
    let first = CHECK_INTERVAL.max(min_sweeps);
    let next = if sweep <= first {
        first
    } else {
        sweep.div_ceil(CHECK_INTERVAL) * CHECK_INTERVAL
    };
    next.min(max_sweeps)
}

/// The wavenumber k* = 2π/a0 of F_s, a0 = (V/N)^{1/3} (physics.md (b)).
pub fn default_wavenumber(box_length: f64, n_particles: usize) -> f64 {
    2.0 * std::f64::consts::PI / (box_length / (n_particles as f64).cbrt())
}

/// What an equilibration run has measured so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Record {
    /// Sweep of each measurement.
    pub sweep: Vec<u64>,
    /// Potential energy per particle [ε].
    pub energy_per_particle: Vec<f64>,
    /// Pressure ρ k_B T_p − tr W/(3V) [ε/λ_min³].
    pub pressure: Vec<f64>,
    /// Accepted over attempted translations since the previous measurement.
    pub translation_acceptance: Vec<f64>,
    /// Accepted over attempted swaps since the previous measurement.
    pub swap_acceptance: Vec<f64>,
    /// The step size δ at the measurement.
    pub step_size: Vec<f64>,
    /// Σ over time origins of F_s(k*, lag), by epoch of the origins: entry `epoch × lags + k` for lag
    /// k × measure_interval and origins at sweeps epoch × E … (epoch + 1) × E − 1, with E
    /// [`Schedule::epoch_length`], so that τ_α can be taken from the origins of any later part of the run.
    pub fs_sum: Vec<f64>,
    /// Number of time origins summed in each entry of `fs_sum`.
    pub fs_count: Vec<u64>,
    /// Sweeps at which a copy of the configuration was quenched (campaigns that space samples by the
    /// inherent-state energy's correlation, `docs/sampling.md`).
    pub inherent_sweep: Vec<u64>,
    /// The inherent-state energy per particle of those quenches [ε].
    pub inherent_energy_per_particle: Vec<f64>,
}

/// Mean and standard error.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Estimate {
    /// The mean.
    pub mean: f64,
    /// Its standard error (from block averages).
    pub error: f64,
}

/// The verdict of the stationarity test.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stationarity {
    /// Whether the run is taken as stationary.
    pub stationary: bool,
    /// Why (or why not), in words.
    pub reason: String,
    /// τ_α [sweeps], where F_s(k*, t) first falls below 1/e.
    pub tau_alpha: Option<f64>,
    /// The window tested: sweeps after `window_start`.
    pub window_start: u64,
    /// Energy per particle over the first and second half of the window.
    pub energy_halves: Option<[Estimate; 2]>,
    /// Pressure over the first and second half of the window.
    pub pressure_halves: Option<[Estimate; 2]>,
}

impl Record {
    /// The record as it stood at sweep `last`: its measurements up to it, and all of F_s (a run that
    /// samples after `last` follows no time origin beyond it).
    pub fn until(&self, last: u64) -> Record {
        let keep = self.sweep.partition_point(|&s| s <= last);
        let inherent = self.inherent_sweep.partition_point(|&s| s <= last);
        Record {
            sweep: self.sweep[..keep].to_vec(),
            energy_per_particle: self.energy_per_particle[..keep].to_vec(),
            pressure: self.pressure[..keep].to_vec(),
            translation_acceptance: self.translation_acceptance[..keep].to_vec(),
            swap_acceptance: self.swap_acceptance[..keep].to_vec(),
            step_size: self.step_size[..keep].to_vec(),
            fs_sum: self.fs_sum.clone(),
            fs_count: self.fs_count.clone(),
            inherent_sweep: self.inherent_sweep[..inherent].to_vec(),
            inherent_energy_per_particle: self.inherent_energy_per_particle[..inherent].to_vec(),
        }
    }

    /// Measures the sampler's state after a sweep. Collective.
    pub fn measure(&mut self, sampler: &mut SwapMonteCarlo, schedule: &Schedule, wavenumber: f64) {
        let sweep = sampler.state().sweep;
        self.measure_thermodynamics(sampler);
        for (origin, value) in sampler.self_intermediate_scattering(wavenumber) {
            self.add_scattering(schedule, origin, sweep - origin, value);
        }
    }

    /// Records energy, pressure, acceptance rates and step size at the current sweep (no F_s).
    /// Collective.
    pub fn measure_thermodynamics(&mut self, sampler: &mut SwapMonteCarlo) {
        let sweep = sampler.state().sweep;
        let evaluation = sampler.evaluate();
        let engine = sampler.engine();
        let n = engine.n_global() as f64;
        let volume = engine.decomposition().box_length.powi(3);
        let temperature = sampler.parameters().parent_temperature;
        let counts = sampler.take_counts();
        self.sweep.push(sweep);
        self.energy_per_particle.push(evaluation.energy / n);
        self.pressure
            .push(n * temperature / volume + evaluation.pressure(volume));
        self.translation_acceptance
            .push(counts.translation_acceptance());
        self.swap_acceptance.push(counts.swap_acceptance());
        self.step_size.push(sampler.state().step_size);
    }

    /// Adds F_s(k*, `lag`) from the time origin at sweep `origin` to the accumulators (lags beyond
    /// `max_lag` or between measurements are not followed).
    pub fn add_scattering(&mut self, schedule: &Schedule, origin: u64, lag: u64, value: f64) {
        if lag > schedule.max_lag || !lag.is_multiple_of(schedule.measure_interval) {
            return;
        }
        let lags = schedule.lags();
        let epoch = (origin / schedule.epoch_length()) as usize;
        let k = epoch * lags + (lag / schedule.measure_interval) as usize;
        if self.fs_sum.len() <= k {
            self.fs_sum.resize((epoch + 1) * lags, 0.0);
            self.fs_count.resize((epoch + 1) * lags, 0);
        }
        self.fs_sum[k] += value;
        self.fs_count[k] += 1;
    }

    /// F_s(k*, lag) averaged over the time origins at sweep `from` or later (by whole epochs of
    /// [`Schedule::epoch_length`] sweeps): (lag [sweeps], value), for lags with data.
    pub fn self_intermediate_scattering(&self, schedule: &Schedule, from: u64) -> Vec<(u64, f64)> {
        let lags = schedule.lags();
        let first_epoch = from.div_ceil(schedule.epoch_length()) as usize;
        let mut sum = vec![0.0; lags];
        let mut count = vec![0u64; lags];
        for (sums, counts) in self
            .fs_sum
            .chunks_exact(lags)
            .zip(self.fs_count.chunks_exact(lags))
            .skip(first_epoch)
        {
            for k in 0..lags {
                sum[k] += sums[k];
                count[k] += counts[k];
            }
        }
        (0..lags)
            .filter(|&k| count[k] > 0)
            .map(|k| {
                (
                    k as u64 * schedule.measure_interval,
                    sum[k] / count[k] as f64,
                )
            })
            .collect()
    }

    /// τ_α [sweeps] from the time origins at sweep `from` or later: where F_s first falls below 1/e,
    /// interpolated linearly between lags.
    pub fn tau_alpha(&self, schedule: &Schedule, from: u64) -> Option<f64> {
        let curve = self.self_intermediate_scattering(schedule, from);
        let threshold = (-1.0f64).exp();
        curve.windows(2).find_map(|pair| {
            let [(t0, f0), (t1, f1)] = [pair[0], pair[1]];
            (f0 >= threshold && f1 < threshold)
                .then(|| t0 as f64 + (t1 - t0) as f64 * (f0 - threshold) / (f0 - f1))
        })
    }

    /// Tests stationarity on a window that ends at the last measurement: the run's second half, or
    /// from `burn_in_tau_alpha` τ_α on if that is sooner. The window must span `tau_alpha_multiple`
    /// τ_α, and energy and pressure over its two halves must agree within three standard errors
    /// (from averages over blocks of at least 2 τ_α, at least four in each half). τ_α is always
    /// taken from the time origins of the run's second half, the part furthest from the start, so
    /// that a burn-in never shortens the blocks.
    pub fn stationarity(&self, schedule: &Schedule) -> Stationarity {
        let last = self.sweep.last().copied().unwrap_or(0);
        let tau_alpha = self.tau_alpha(schedule, last / 2);
        let window_start = match (schedule.burn_in_tau_alpha, tau_alpha) {
            (Some(b), Some(tau)) => ((b * tau).ceil() as u64).min(last / 2),
            _ => last / 2,
        };
        let mut verdict = Stationarity {
            stationary: false,
            reason: String::new(),
            tau_alpha,
            window_start,
            energy_halves: None,
            pressure_halves: None,
        };
        let Some(tau) = verdict.tau_alpha else {
            verdict.reason = format!(
                "τ_α is not known: F_s(k*, t) from the time origins in the second half of the run has not fallen below 1/e within the lags followed (max_lag = {} sweeps)",
                schedule.max_lag
            );
            return verdict;
        };
        let span = (last - window_start) as f64;
        if span < schedule.tau_alpha_multiple * tau {
            verdict.reason = format!(
                "the window ({span} sweeps) spans {:.1} τ_α, fewer than {}",
                span / tau,
                schedule.tau_alpha_multiple
            );
            return verdict;
        }
        let inside: Vec<usize> = (0..self.sweep.len())
            .filter(|&k| self.sweep[k] > window_start)
            .collect();
        let half = inside.len() / 2;
        let block = ((2.0 * tau / schedule.measure_interval as f64).ceil() as usize).max(1);
        let halves = |series: &[f64]| -> Option<[Estimate; 2]> {
            let first: Vec<f64> = inside[..half].iter().map(|&k| series[k]).collect();
            let second: Vec<f64> = inside[half..2 * half].iter().map(|&k| series[k]).collect();
            Some([
                block_estimate(&first, block)?,
                block_estimate(&second, block)?,
            ])
        };
        verdict.energy_halves = halves(&self.energy_per_particle);
        verdict.pressure_halves = halves(&self.pressure);
        let (Some(energy), Some(pressure)) = (verdict.energy_halves, verdict.pressure_halves)
        else {
            verdict.reason = "too few blocks of 2 τ_α in each half of the window".into();
            return verdict;
        };
        let agree = |h: [Estimate; 2]| {
            (h[0].mean - h[1].mean).abs() <= 3.0 * (h[0].error.hypot(h[1].error))
        };
        verdict.stationary = agree(energy) && agree(pressure);
        verdict.reason = if verdict.stationary {
            format!(
                "energy and pressure agree over the two halves of the last {span} sweeps ({:.1} τ_α)",
                span / tau
            )
        } else {
            format!(
                "energy ({:.6} ± {:.6} vs {:.6} ± {:.6}) or pressure ({:.5} ± {:.5} vs {:.5} ± {:.5}) drift between the two halves of the window",
                energy[0].mean,
                energy[0].error,
                energy[1].mean,
                energy[1].error,
                pressure[0].mean,
                pressure[0].error,
                pressure[1].mean,
                pressure[1].error
            )
        };
        verdict
    }
}

/// The integrated autocorrelation time of `series` in units of its step, 1/2 + Σ_t ρ(t), summed up to
/// the first lag M ≥ 5 τ(M) (Sokal's window). `None` if the series is shorter than 50 values or the
/// window runs past a tenth of it (the time is not resolved).
pub fn integrated_autocorrelation_time(series: &[f64]) -> Option<f64> {
    let n = series.len();
    if n < 50 {
        return None;
    }
    let mean = series.iter().sum::<f64>() / n as f64;
    let deviations: Vec<f64> = series.iter().map(|x| x - mean).collect();
    let variance = deviations.iter().map(|d| d * d).sum::<f64>() / n as f64;
    if variance <= 0.0 {
        return None;
    }
    let mut tau = 0.5;
    for lag in 1..n / 10 {
        let covariance = deviations[..n - lag]
            .iter()
            .zip(&deviations[lag..])
            .map(|(a, b)| a * b)
            .sum::<f64>()
            / n as f64;
        tau += covariance / variance;
        if lag as f64 >= 5.0 * tau {
            return Some(tau.max(0.5));
        }
    }
    None
}

/// Mean and standard error of `values` from the means of consecutive blocks of `block` values; at
/// least four blocks are needed.
fn block_estimate(values: &[f64], block: usize) -> Option<Estimate> {
    let means: Vec<f64> = values
        .chunks_exact(block)
        .map(|b| b.iter().sum::<f64>() / block as f64)
        .collect();
    if means.len() < 4 {
        return None;
    }
    let n = means.len() as f64;
    let mean = means.iter().sum::<f64>() / n;
    let variance = means.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / (n - 1.0);
    Some(Estimate {
        mean,
        error: (variance / n).sqrt(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tau_alpha_and_stationarity_of_synthetic_series() {
        let schedule = Schedule {
            sweeps: 20_000,
            measure_interval: 10,
            origin_interval: 100,
            max_lag: 1000,
            tau_alpha_multiple: 10.0,
            burn_in_tau_alpha: None,
            sampling: None,
        };
        let mut record = Record::default();
        // Origins from sweep 10,000 on: F_s = exp(−t/200), τ_α = 200 sweeps; those at the start decay
        // ten times more slowly and must not count for the second half of the run.
        for origin in [0, 100, 200, 10_000, 10_100, 10_200] {
            let tau = if origin < 10_000 { 2000.0 } else { 200.0 };
            for lag in (0..=schedule.max_lag).step_by(10) {
                record.add_scattering(&schedule, origin, lag, (-(lag as f64) / tau).exp());
            }
        }
        let tau = record.tau_alpha(&schedule, 10_000).unwrap();
        assert!((tau - 200.0).abs() < 2.0, "{tau}");
        assert!(record.tau_alpha(&schedule, 0).unwrap() > 300.0);
        // A stationary series with noise passes; one with a drift does not.
        let noise = |k: usize| ((k as f64 * 12.9898).sin() * 43758.5453).fract() - 0.5;
        for (drift, expected) in [(0.0, true), (1e-3, false)] {
            let mut r = record.clone();
            for k in 0..2000 {
                r.sweep.push(10 * (k + 1) as u64);
                r.energy_per_particle
                    .push(5.0 + 0.01 * noise(k) + drift * k as f64);
                r.pressure.push(10.0 + 0.1 * noise(k + 7));
            }
            let verdict = r.stationarity(&schedule);
            assert_eq!(verdict.stationary, expected, "{verdict:?}");
        }
        // Too short a run is not judged stationary.
        let mut short = record.clone();
        for k in 0..100 {
            short.sweep.push(10 * (k + 1) as u64);
            short.energy_per_particle.push(5.0);
            short.pressure.push(10.0);
        }
        let verdict = short.stationarity(&schedule);
        assert!(
            !verdict.stationary && verdict.reason.contains("τ_α"),
            "{verdict:?}"
        );
    }

    #[test]
    fn tau_alpha_is_known_soon_after_the_window_starts_whatever_max_lag() {
        // A long max_lag, as deep in the supercooled liquid, with τ_α = 300 sweeps: 12,000 sweeps into
        // the run, the origins of the second half (from 6,000) must give τ_α. Epochs of max_lag
        // sweeps left it unknown until sweep 60,000.
        let schedule = Schedule {
            sweeps: 1_000_000,
            measure_interval: 10,
            origin_interval: 1000,
            max_lag: 30_000,
            tau_alpha_multiple: 4.0,
            burn_in_tau_alpha: None,
            sampling: None,
        };
        assert_eq!(schedule.epoch_length(), 3000);
        let mut record = Record::default();
        for origin in (0..12_000).step_by(1000) {
            let tau = if origin < 3000 { 30.0 } else { 300.0 };
            for lag in (0..=12_000 - origin).step_by(10) {
                record.add_scattering(&schedule, origin, lag, (-(lag as f64) / tau).exp());
            }
        }
        let tau = record
            .tau_alpha(&schedule, 6000)
            .expect("τ_α from origins 6,000 to 11,000");
        assert!((tau - 300.0).abs() < 3.0, "{tau}");
    }

    #[test]
    fn a_record_until_a_sweep_keeps_what_was_measured_by_then() {
        let mut record = Record::default();
        for k in 1..=100u64 {
            record.sweep.push(10 * k);
            record.energy_per_particle.push(k as f64);
            record.pressure.push(-(k as f64));
            record.translation_acceptance.push(0.4);
            record.swap_acceptance.push(0.1);
            record.step_size.push(0.1);
        }
        record.inherent_sweep = vec![200, 600];
        record.inherent_energy_per_particle = vec![1.0, 2.0];
        record.fs_sum = vec![1.0, 0.5];
        record.fs_count = vec![1, 1];
        let before = record.until(505);
        assert_eq!(before.sweep.len(), 50);
        assert_eq!(before.sweep.last(), Some(&500));
        assert_eq!(before.pressure.last(), Some(&-50.0));
        assert_eq!(before.inherent_sweep, vec![200]);
        assert_eq!(before.fs_sum, record.fs_sum);
        assert_eq!(record.until(1000), record);
    }

    #[test]
    fn a_burn_in_moves_the_window_but_keeps_the_test() {
        // τ_α = 200 sweeps throughout; the energy relaxes over the first few hundred sweeps. The
        // run is 6,000 sweeps long (30 τ_α): the second half (15 τ_α) is too short for four blocks
        // of 2 τ_α per half, a window from 4 τ_α on (26 τ_α) is not. A drift over the whole run
        // still fails the test with the burn-in.
        let schedule = Schedule {
            sweeps: 6_000,
            measure_interval: 10,
            origin_interval: 100,
            max_lag: 1000,
            tau_alpha_multiple: 10.0,
            burn_in_tau_alpha: Some(4.0),
            sampling: None,
        };
        let noise = |k: usize| ((k as f64 * 12.9898).sin() * 43758.5453).fract() - 0.5;
        let mut record = Record::default();
        for origin in (0..6_000).step_by(100) {
            for lag in (0..=schedule.max_lag.min(6_000 - origin)).step_by(10) {
                record.add_scattering(&schedule, origin, lag, (-(lag as f64) / 200.0).exp());
            }
        }
        let series = |drift: f64| {
            let mut r = record.clone();
            for k in 0..600 {
                let sweep = 10 * (k + 1) as u64;
                r.sweep.push(sweep);
                r.energy_per_particle.push(
                    5.0 + 0.5 * (-(sweep as f64) / 100.0).exp()
                        + 0.002 * noise(k)
                        + drift * sweep as f64,
                );
                r.pressure.push(10.0 + 0.02 * noise(k + 7));
            }
            r
        };
        let halves = series(0.0).stationarity(&Schedule {
            burn_in_tau_alpha: None,
            ..schedule.clone()
        });
        assert!(
            !halves.stationary && halves.window_start == 3000,
            "{halves:?}"
        );
        assert!(halves.reason.contains("blocks"), "{halves:?}");
        let burnt_in = series(0.0).stationarity(&schedule);
        assert!(burnt_in.stationary, "{burnt_in:?}");
        assert!(
            (burnt_in.window_start as f64 - 800.0).abs() < 10.0,
            "{burnt_in:?}"
        );
        let drifting = series(2e-6).stationarity(&schedule);
        assert!(
            !drifting.stationary && drifting.reason.contains("drift"),
            "{drifting:?}"
        );
    }

    #[test]
    fn stationarity_is_tested_at_fixed_sweeps() {
        assert_eq!(next_test_sweep(0, 2_000, 10_000), 2_000);
        assert_eq!(next_test_sweep(2_001, 2_000, 10_000), 3_000);
        assert_eq!(next_test_sweep(3_000, 2_000, 10_000), 3_000);
        assert_eq!(next_test_sweep(9_500, 2_000, 9_700), 9_700);
    }

    #[test]
    fn the_integrated_autocorrelation_time_of_an_autoregressive_series_is_recovered() {
        // x_{k+1} = a x_k + noise: τ_int = (1 + a) / (2 (1 − a)), 4.5 for a = 0.8.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut uniform = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        let mut x = 0.0;
        let series: Vec<f64> = (0..200_000)
            .map(|_| {
                x = 0.8 * x + uniform();
                x
            })
            .collect();
        let tau = integrated_autocorrelation_time(&series).unwrap();
        assert!((tau - 4.5).abs() < 0.3, "{tau}");
        let independent: Vec<f64> = (0..10_000).map(|_| uniform()).collect();
        let tau = integrated_autocorrelation_time(&independent).unwrap();
        assert!((tau - 0.5).abs() < 0.1, "{tau}");
        assert_eq!(integrated_autocorrelation_time(&series[..40]), None);
    }
}
