//! One chain of a campaign: swap Monte Carlo from a random start until it is stationary, then its
//! samples, each quenched and measured as it comes.
//!
//! The chain's state is checkpointed (atomically) after every sample, every few minutes, and when a
//! stop is requested; a resumed chain continues bitwise as if never interrupted, and skips the samples
//! already stored. Equilibration is tested at fixed sweeps ([`next_test_sweep`]), so the sweep at which
//! a chain counts as equilibrated does not depend on interruptions either.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use pinch_petsc::Session;
use serde_json::{Map, Value};

use super::description::{Campaign, Chain, Sampling, SeedPurpose, SpacingRule, Start};
use super::store::{COMPLETE, Entry, FAILED, Kind, Writer};
use crate::domain::communication;
use crate::domain::{DEFAULT_SKIN, Engine};
use crate::error::{Error, Result};
use crate::io::h5md::Extras;
use crate::io::layout::{self, ChainProgress, ChainRecord, SampleAttributes};
use crate::model::{Configuration, ModelParameters, random_configuration};
use crate::monte_carlo::SwapMonteCarlo;
use crate::monte_carlo::checkpoint;
use crate::monte_carlo::equilibration::{
    SamplingMeasurements, integrated_autocorrelation_time, next_test_sweep,
};
use crate::monte_carlo::run::{Advance, Run};
use crate::provenance::Provenance;
use crate::sample::{SampleRecord, measure};
use crate::supervision::CheckpointClock;

/// Energy and pressure measurements per sample spacing once a chain is stationary: enough to see a
/// drift between samples (`docs/sampling.md`).
pub const MEASUREMENTS_PER_SPACING: u64 = 20;

/// How a chain's run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every sample and the chain's record are stored.
    Finished,
    /// A stop was requested; the checkpoint is written.
    Interrupted,
}

/// What the chain tells its worker as it goes.
pub trait Reporter {
    /// Where the chain is (called about once per second at most).
    fn status(&mut self, chain: &Chain, message: &str);
    /// A sample was stored (`ok`: complete rather than failed).
    fn sample_stored(&mut self, id: &str, ok: bool, message: &str);
}

/// Where the chain stands beyond the sampler's own state (kept in the checkpoint's observables).
#[derive(Clone, Debug, Default, PartialEq)]
struct Progress {
    /// The sweep at which the chain was found stationary (its first sample).
    equilibrated_at: Option<u64>,
    /// Sweeps between samples.
    spacing: u64,
    /// τ_α at equilibration [sweeps].
    tau_alpha: f64,
    /// Where the chain started, in words (none: random).
    start: Option<String>,
}

impl Progress {
    fn record(&self) -> ChainProgress {
        let start = self.start.clone();
        match self.equilibrated_at {
            Some(sweep) => ChainProgress {
                equilibrated_at: Some(sweep as f64),
                sample_spacing: Some(self.spacing as f64),
                tau_alpha: Some(self.tau_alpha),
                start,
            },
            None => ChainProgress {
                start,
                ..ChainProgress::default()
            },
        }
    }

    fn from_record(record: &ChainProgress) -> Progress {
        let start = record.start.clone();
        match (record.equilibrated_at, record.sample_spacing) {
            (Some(sweep), Some(spacing)) => Progress {
                equilibrated_at: Some(sweep as u64),
                spacing: spacing as u64,
                tau_alpha: record.tau_alpha.unwrap_or(f64::NAN),
                start,
            },
            _ => Progress {
                start,
                ..Progress::default()
            },
        }
    }

    fn sample_sweep(&self, k: usize) -> Option<u64> {
        self.equilibrated_at.map(|s| s + k as u64 * self.spacing)
    }
}

/// Everything a chain needs from its worker.
pub struct ChainContext<'a> {
    /// The PETSc session (its world is the worker's communicator).
    pub session: &'a Session,
    /// The campaign.
    pub campaign: &'a Campaign,
    /// The campaign directory.
    pub directory: &'a Path,
    /// Set by signals: checkpoint and stop.
    pub stop: &'a AtomicBool,
    /// Minutes between checkpoints during long stretches of sweeps.
    pub checkpoint_minutes: f64,
}

/// A chain's saved state and the progress kept in its `/observables`.
fn read_with_progress(file: &Path) -> Result<(checkpoint::Checkpoint, Progress)> {
    let saved = checkpoint::read(file)?;
    let record: ChainProgress =
        layout::from_attributes(saved.observables.clone()).map_err(|e| Error::Damaged {
            path: file.display().to_string(),
            message: format!("/observables: {e}"),
        })?;
    Ok((saved, Progress::from_record(&record)))
}

/// The stationary state `chain` keeps for the chains that start from it.
pub fn stationary_state_path(directory: &Path, chain: &Chain) -> PathBuf {
    directory.join("chains").join(chain.stationary_state_name())
}

/// The checkpoint file of `chain` in the campaign directory.
pub fn checkpoint_path(directory: &Path, chain: &Chain) -> PathBuf {
    directory
        .join("chains")
        .join(format!("{}.checkpoint.h5", chain.id()))
}

/// Runs `chain` until its samples not in `finished` and its record are stored (by `writer`, which only
/// the worker's rank 0 holds), or until a stop is requested. Collective over the worker.
pub fn run_chain(
    context: &ChainContext,
    chain: &Chain,
    finished: &BTreeSet<String>,
    mut writer: Option<&mut Writer>,
    reporter: &mut dyn Reporter,
) -> Result<Outcome> {
    let this = ChainRun::new(context, chain);
    let mut finished = finished.clone();
    this.remove_unfinished_checkpoints();
    let saved = this.saved_state(&finished)?;
    let (mut run, mut progress) = this.resume_or_start(saved)?;
    // The first sweep whose test is still to do. A checkpoint of an unequilibrated chain is never
    // written between a test and the next sweep (signals and the clock are heard during sweeps, and
    // samples only follow equilibration), so the test at the sweep a chain resumes at is still due.
    let mut untested_from = run.sweep_count();
    let mut clock = CheckpointClock::new(context.stop, context.checkpoint_minutes);
    loop {
        let next_sample = (0..chain.samples).find(|&k| !finished.contains(&chain.sample_id(k)));
        let target = match (progress.equilibrated_at, next_sample) {
            (Some(_), None) => break,
            (Some(_), Some(k)) => progress.sample_sweep(k).expect("equilibrated"),
            (None, _) if untested_from > this.sampling().max_sweeps => {
                this.store_unequilibrated(
                    writer.as_deref_mut(),
                    reporter,
                    &run,
                    &progress,
                    &finished,
                )?;
                break;
            }
            (None, _) => next_test_sweep(
                untested_from,
                this.sampling().min_sweeps,
                this.sampling().max_sweeps,
            ),
        };
        if this.advance(&mut run, &progress, target, &mut clock, reporter)? == Advance::Stopped {
            return Ok(Outcome::Interrupted);
        }
        if progress.equilibrated_at.is_none() {
            untested_from = run.sweep_count() + 1;
            this.test_stationarity(&mut run, &mut progress)?;
            continue;
        }
        let k = next_sample.expect("the target was the next pending sample's sweep");
        this.store_sample(writer.as_deref_mut(), reporter, &mut run, &progress, k)?;
        finished.insert(chain.sample_id(k));
        this.save(&mut run, &progress)?;
        clock.saved();
    }
    if let Some(writer) = writer {
        this.store_record(writer, &run, &progress)?;
    }
    Ok(Outcome::Finished)
}

/// One chain as it runs: what every step of [`run_chain`] shares.
struct ChainRun<'a> {
    context: &'a ChainContext<'a>,
    chain: &'a Chain,
    chain_id: String,
    seed: u64,
    checkpoint_file: PathBuf,
    provenance: Provenance,
    is_root: bool,
}

impl<'a> ChainRun<'a> {
    fn new(context: &'a ChainContext<'a>, chain: &'a Chain) -> Self {
        let seed = context.campaign.seed(chain, SeedPurpose::Chain, &[]);
        ChainRun {
            context,
            chain,
            chain_id: chain.id(),
            seed,
            checkpoint_file: checkpoint_path(context.directory, chain),
            provenance: Provenance::of_this_run(Some(seed), context.session.size()),
            is_root: context.session.rank() == 0,
        }
    }

    fn sampling(&self) -> &'a Sampling {
        &self.context.campaign.sampling
    }

    fn model(&self) -> &'a ModelParameters {
        &self.context.campaign.model
    }

    /// Temporary files of checkpoints that a kill interrupted are of no use.
    fn remove_unfinished_checkpoints(&self) {
        if !self.is_root {
            return;
        }
        let Some(Ok(entries)) = self.checkpoint_file.parent().map(std::fs::read_dir) else {
            return;
        };
        // Checkpoints and stationary states: `<chain>.<what>.h5.tmp-<pid>`.
        let prefix = format!("{}.", self.chain_id);
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(&prefix) && name.contains(".h5.tmp-") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    /// The checkpoint to resume from, if there is one and no pending sample lies before it (a stored
    /// sample found corrupted: the chain then runs again from its start, which reproduces it
    /// exactly). Collective: every rank takes the same way.
    fn saved_state(
        &self,
        finished: &BTreeSet<String>,
    ) -> Result<Option<(checkpoint::Checkpoint, Progress)>> {
        let file = &self.checkpoint_file;
        let stored = file.exists().then(|| read_with_progress(file));
        // Writes are atomic, so an unreadable checkpoint was damaged afterwards (by the disk, or by
        // hand). It is set aside, and the chain runs again from its start.
        let unreadable = matches!(stored, Some(Err(_)));
        let comm = self.context.session.world();
        if communication::counts(comm, [unreadable as u64])[0] > 0 {
            if self.is_root {
                let reason = stored
                    .as_ref()
                    .and_then(|s| s.as_ref().err())
                    .map_or_else(|| "on another rank".to_owned(), ToString::to_string);
                self.set_aside(&reason);
            }
            return Ok(None);
        }
        let Some((saved, progress)) = stored.transpose()? else {
            return Ok(None);
        };
        let sweep = saved.run.sampler.sweep;
        let behind = (0..self.chain.samples).any(|k| {
            !finished.contains(&self.chain.sample_id(k))
                && progress.sample_sweep(k).is_some_and(|s| s < sweep)
        });
        Ok((!behind).then_some((saved, progress)))
    }

    /// Moves an unreadable checkpoint aside; not fatal (the other ranks go on): the chain's next
    /// checkpoint replaces the file.
    fn set_aside(&self, reason: &str) {
        let file = &self.checkpoint_file;
        let aside = file.with_extension("h5.unreadable");
        log::warn!(
            "{}: the checkpoint is unreadable ({reason}); it is moved to {} and the chain starts over",
            file.display(),
            aside.display()
        );
        if let Err(error) = std::fs::rename(file, &aside) {
            log::warn!("{}: cannot move it aside: {error}", file.display());
        }
    }

    /// The trajectory resumed from `saved`, or started where the campaign says (`docs/sampling.md`).
    fn resume_or_start(
        &self,
        saved: Option<(checkpoint::Checkpoint, Progress)>,
    ) -> Result<(Run<'a>, Progress)> {
        let comm = self.context.session.world();
        if let Some((saved, progress)) = saved {
            return Ok((Run::resume(comm, saved)?, progress));
        }
        let start = self.context.campaign.start_of(self.chain);
        let stationary = match start {
            Start::Random => None,
            Start::Ladder(parent) | Start::Branch(parent) => self.stationary_state_of(&parent)?,
        };
        let (configuration, schedule, start) = match (start, stationary) {
            (Start::Branch(trunk), Some((saved, trunk_progress))) => {
                return self.branch_from(saved, trunk_progress, &trunk);
            }
            (Start::Ladder(parent), Some((saved, _))) => {
                let mut schedule = self.sampling().schedule();
                schedule.burn_in_tau_alpha = Some(self.sampling().burn_in_tau_alpha);
                let start = format!("ladder from {}", parent.id());
                (saved.configuration, schedule, Some(start))
            }
            (Start::Random, _) => (self.random_start(), self.sampling().schedule(), None),
            (Start::Ladder(parent) | Start::Branch(parent), None) => {
                let start = format!("random (no stationary state of {})", parent.id());
                (self.random_start(), self.sampling().schedule(), Some(start))
            }
        };
        let parameters = self
            .context
            .campaign
            .swap_parameters(self.chain.point.parent_temperature)?;
        let run = Run::start(
            comm,
            &configuration,
            self.model(),
            parameters,
            schedule,
            self.seed,
        )?;
        Ok((
            run,
            Progress {
                start,
                ..Progress::default()
            },
        ))
    }

    fn random_start(&self) -> Configuration {
        random_configuration(self.model(), self.chain.point.n_particles, self.seed)
    }

    /// The stationary state `chain` left in the campaign's `chains/`, with its progress, if it is
    /// there, readable and stationary (otherwise this chain starts at random, with the full test, and
    /// says why). Collective: every rank reads the file, and all take the same way.
    fn stationary_state_of(
        &self,
        chain: &Chain,
    ) -> Result<Option<(checkpoint::Checkpoint, Progress)>> {
        let file = stationary_state_path(self.context.directory, chain);
        let read = read_with_progress(&file).and_then(|(saved, progress)| {
            match progress.equilibrated_at {
                Some(_) => Ok((saved, progress)),
                None => Err(Error::Damaged {
                    path: file.display().to_string(),
                    message: "/observables: no equilibrated_at in a stationary state".into(),
                }),
            }
        });
        let comm = self.context.session.world();
        if communication::counts(comm, [read.is_err() as u64])[0] > 0 {
            if self.is_root {
                let reason = read.as_ref().err().map_or_else(
                    || "unreadable on another rank".to_owned(),
                    ToString::to_string,
                );
                log::warn!(
                    "{}: the stationary state of {} is not at hand ({reason}); the chain starts at random instead",
                    self.chain_id,
                    chain.id()
                );
            }
            return Ok(None);
        }
        read.map(Some)
    }

    /// A branch: the trunk's stationary trajectory continued with this chain's own seed, stationary
    /// from its start, its first sample one spacing on.
    fn branch_from(
        &self,
        mut saved: checkpoint::Checkpoint,
        trunk_progress: Progress,
        trunk: &Chain,
    ) -> Result<(Run<'a>, Progress)> {
        let branched_at = trunk_progress
            .equilibrated_at
            .expect("a stationary state knows where it became stationary");
        saved.run.seed = self.seed;
        let progress = Progress {
            equilibrated_at: Some(branched_at + trunk_progress.spacing),
            start: Some(format!("branch of {}", trunk.id())),
            ..trunk_progress
        };
        Ok((Run::resume(self.context.session.world(), saved)?, progress))
    }

    /// Sweeps to `target` under the checkpoint clock, reporting where the chain is. Collective.
    fn advance(
        &self,
        run: &mut Run,
        progress: &Progress,
        target: u64,
        clock: &mut CheckpointClock,
        reporter: &mut dyn Reporter,
    ) -> Result<Advance> {
        let phase = if progress.equilibrated_at.is_some() {
            "sampling"
        } else {
            "equilibrating"
        };
        let mut last_status = Instant::now();
        run.advance_to(
            target,
            clock,
            |run| {
                let sweep = run.sweep_count();
                crate::faults::chain_signal(&self.chain_id, sweep);
                if progress.equilibrated_at.is_none() {
                    self.measure_inherent_energy_if_due(run)?;
                }
                if self.is_root && last_status.elapsed().as_secs_f64() > 1.0 {
                    last_status = Instant::now();
                    reporter.status(self.chain, &format!("{phase}, sweep {sweep}/{target}"));
                }
                Ok(())
            },
            |run| self.save(run, progress),
        )
    }

    /// With `spacing_from = "inherent_energy"`, quenches a copy of the configuration every
    /// `inherent_energy_interval` sweeps and records its energy; the trajectory goes on untouched.
    /// A quench that does not converge leaves no point. Collective.
    fn measure_inherent_energy_if_due(&self, run: &mut Run) -> Result<()> {
        let sampling = self.sampling();
        let sweep = run.sweep_count();
        if sampling.spacing_from != SpacingRule::InherentEnergy
            || !sweep.is_multiple_of(sampling.inherent_energy_interval())
        {
            return Ok(());
        }
        let comm = self.context.session.world();
        let configuration = configuration_on_every_rank(comm, &mut run.sampler);
        let quenched = Engine::new(comm, &configuration, self.model().potential(), DEFAULT_SKIN)
            .map_err(Error::from)
            .and_then(|mut engine| {
                crate::quench::quench(
                    self.context.session,
                    &mut engine,
                    &self.context.campaign.quench,
                )
            });
        match quenched {
            Ok(info) if info.converged => {
                run.record.inherent_sweep.push(sweep);
                run.record
                    .inherent_energy_per_particle
                    .push(info.energy_per_particle);
            }
            Ok(info) => log::warn!(
                "{}: the quench of sweep {sweep} for the inherent-state energy did not converge: {}",
                self.chain_id,
                info.failure.unwrap_or_default()
            ),
            Err(error) => log::warn!(
                "{}: the quench of sweep {sweep} for the inherent-state energy failed: {error}",
                self.chain_id
            ),
        }
        Ok(())
    }

    /// Sweeps between samples: `spacing_tau_alpha` τ_α, or `spacing_correlation_times` integrated
    /// autocorrelation times of the inherent-state energy over the stationarity window where that is
    /// resolved (else the former, with a warning). A multiple of the measure interval.
    fn spacing(&self, run: &Run, tau: f64, window_start: u64) -> u64 {
        let sampling = self.sampling();
        let interval = run.state.schedule.measure_interval;
        let in_units = |sweeps: f64| ((sweeps / interval as f64).ceil() as u64).max(1) * interval;
        let by_tau_alpha = in_units(sampling.spacing_tau_alpha * tau);
        if sampling.spacing_from != SpacingRule::InherentEnergy {
            return by_tau_alpha;
        }
        let record = &run.record;
        let window: Vec<f64> = record
            .inherent_sweep
            .iter()
            .zip(&record.inherent_energy_per_particle)
            .filter(|(sweep, _)| **sweep > window_start)
            .map(|(_, energy)| *energy)
            .collect();
        match integrated_autocorrelation_time(&window) {
            Some(steps) => {
                let correlation = steps * sampling.inherent_energy_interval() as f64;
                in_units(sampling.spacing_correlation_times * correlation)
            }
            None => {
                log::warn!(
                    "{}: the inherent-state energy's correlation is not resolved by the {} quenches of the stationarity window; samples are spaced by {} τ_α",
                    self.chain_id,
                    window.len(),
                    sampling.spacing_tau_alpha
                );
                by_tau_alpha
            }
        }
    }

    /// Writes the chain's checkpoint. Collective.
    fn save(&self, run: &mut Run, progress: &Progress) -> Result<()> {
        self.save_to(run, progress, &self.checkpoint_file)
    }

    /// Writes the chain's state with its progress to `file`. Collective.
    fn save_to(&self, run: &mut Run, progress: &Progress, file: &Path) -> Result<()> {
        // `campaign::run` has made `chains/`.
        run.write_checkpoint(
            file,
            self.model(),
            layout::attributes(&progress.record()),
            &self.provenance,
        )
    }

    /// The stationarity test at the current sweep; a stationary chain takes its first sample here,
    /// then one every `spacing_tau_alpha` τ_α.
    /// A chain that others start from leaves its stationary state in `chains/`. Collective.
    fn test_stationarity(&self, run: &mut Run, progress: &mut Progress) -> Result<()> {
        let verdict = run.record.stationarity(&run.state.schedule);
        if !verdict.stationary {
            return Ok(());
        }
        let sweep = run.sweep_count();
        let tau = verdict.tau_alpha.expect("a stationary verdict knows τ_α");
        let spacing = self.spacing(run, tau, verdict.window_start);
        *progress = Progress {
            equilibrated_at: Some(sweep),
            spacing,
            tau_alpha: tau,
            start: progress.start.take(),
        };
        log::info!(
            "{}: equilibrated at sweep {sweep} (τ_α = {tau:.0} sweeps); samples every {spacing} sweeps",
            self.chain_id
        );
        // Before the stationary state is kept, so that branches continue to measure the same way.
        run.start_sampling(SamplingMeasurements::per_spacing(
            sweep,
            spacing,
            run.state.schedule.measure_interval,
            MEASUREMENTS_PER_SPACING,
        ));
        if self.context.campaign.keeps_stationary_state(self.chain) {
            let file = stationary_state_path(self.context.directory, self.chain);
            self.save_to(run, progress, &file)?;
        }
        Ok(())
    }

    /// Stores every pending sample as failed: the chain reached `max_sweeps` unequilibrated.
    fn store_unequilibrated(
        &self,
        writer: Option<&mut Writer>,
        reporter: &mut dyn Reporter,
        run: &Run,
        progress: &Progress,
        finished: &BTreeSet<String>,
    ) -> Result<()> {
        let verdict = run.record.stationarity(&run.state.schedule);
        let reason = format!(
            "not equilibrated after {} sweeps (max_sweeps): {}",
            run.sweep_count(),
            verdict.reason
        );
        let Some(writer) = writer else {
            return Ok(());
        };
        let chain = self.chain;
        for k in (0..chain.samples).filter(|&k| !finished.contains(&chain.sample_id(k))) {
            let id = chain.sample_id(k);
            let attributes = self.sample_attributes(k, None, progress, FAILED, &reason);
            writer.add(&Entry {
                kind: Kind::Sample,
                id: id.clone(),
                attributes,
                configuration: None,
                model: self.model(),
                provenance: &self.provenance,
                extras: Extras::default(),
            })?;
            reporter.sample_stored(&id, false, &reason);
        }
        Ok(())
    }

    /// Quenches and measures sample `k` at the current sweep, and stores it. Collective.
    fn store_sample(
        &self,
        writer: Option<&mut Writer>,
        reporter: &mut dyn Reporter,
        run: &mut Run,
        progress: &Progress,
        k: usize,
    ) -> Result<()> {
        let (campaign, chain) = (self.context.campaign, self.chain);
        let id = chain.sample_id(k);
        reporter.status(chain, &format!("sample {k}: quench and measurements"));
        let (configuration, sample, failure) =
            measure_sample(self.context.session, campaign, chain, k, &mut run.sampler)?;
        let Some(writer) = writer else {
            return Ok(());
        };
        let status = if failure.is_some() { FAILED } else { COMPLETE };
        let reason = failure.clone().unwrap_or_default();
        let sweep = Some(run.sweep_count());
        let attributes = self.sample_attributes(k, sweep, progress, status, &reason);
        let mut extras = sample.extras();
        // Everything that made the sample, beside the model the layout always records.
        extras.group(layout::SWAP_MONTE_CARLO, &run.state.parameters);
        extras.group(layout::QUENCH, &campaign.quench);
        extras.group(layout::MEASUREMENTS, &campaign.measurements);
        writer.add(&Entry {
            kind: Kind::Sample,
            id: id.clone(),
            attributes,
            configuration: configuration.as_ref(),
            model: self.model(),
            provenance: &self.provenance,
            extras,
        })?;
        reporter.sample_stored(&id, failure.is_none(), &reason);
        Ok(())
    }

    /// The attributes that place sample `k` in the campaign.
    fn sample_attributes(
        &self,
        k: usize,
        sweep: Option<u64>,
        progress: &Progress,
        status: &str,
        reason: &str,
    ) -> Map<String, Value> {
        let chain = self.chain;
        layout::attributes(&SampleAttributes {
            status: status.into(),
            reason: reason.into(),
            point: chain.point.id(),
            chain: self.chain_id.clone(),
            n_particles: chain.point.n_particles as u64,
            parent_temperature: chain.point.parent_temperature,
            chain_index: chain.index as u64,
            sample_index: k as u64,
            sweep,
            tau_alpha: progress.equilibrated_at.map(|_| progress.tau_alpha),
            chain_seed: self.seed,
            dipole_seed: self
                .context
                .campaign
                .seed(chain, SeedPurpose::DipolePairs, &[k as u64]),
        })
    }

    /// Stores the chain's record (its time series, F_s and stationarity), then removes its
    /// checkpoint.
    fn store_record(&self, writer: &mut Writer, run: &Run, progress: &Progress) -> Result<()> {
        let chain = self.chain;
        let schedule = &run.state.schedule;
        // A stationary chain's verdict is that of its pass: after it, the chain follows no F_s.
        let verdict = match schedule.sampling {
            Some(sampling) => run.record.until(sampling.from).stationarity(schedule),
            None => run.record.stationarity(schedule),
        };
        let curve: (Vec<u64>, Vec<f64>) = run
            .record
            .self_intermediate_scattering(
                schedule,
                progress.equilibrated_at.unwrap_or(run.sweep_count()) / 2,
            )
            .into_iter()
            .unzip();
        let arrays = checkpoint::record_arrays(&run.record, schedule.lags(), &curve);
        let (status, reason) = if progress.equilibrated_at.is_some() {
            (COMPLETE, String::new())
        } else {
            (FAILED, format!("not equilibrated: {}", verdict.reason))
        };
        let record = ChainRecord {
            status: status.into(),
            reason,
            progress: progress.record(),
            n_particles: chain.point.n_particles as u64,
            parent_temperature: chain.point.parent_temperature,
            chain_index: chain.index as u64,
            seed: self.seed,
            sweeps: run.sweep_count(),
            step_size: run.sampler.state().step_size,
            stationarity: verdict.reason.clone(),
        };
        let mut extras = Extras {
            arrays,
            ..Default::default()
        };
        extras.group(layout::SWAP_MONTE_CARLO, &run.state.parameters);
        writer.add(&Entry {
            kind: Kind::Chain,
            id: self.chain_id.clone(),
            attributes: layout::attributes(&record),
            configuration: None,
            model: self.model(),
            provenance: &self.provenance,
            extras,
        })?;
        let file = &self.checkpoint_file;
        if file.exists() {
            std::fs::remove_file(file).map_err(|e| Error::write(file, e))?;
        }
        Ok(())
    }
}

/// Quenches the sampler's configuration and measures it. Returns the inherent state (on rank 0), the
/// record, and why the sample failed if it did (the quench did not converge, the state is unstable, or
/// a solver failed). Collective.
fn measure_sample(
    session: &Session,
    campaign: &Campaign,
    chain: &Chain,
    k: usize,
    sampler: &mut SwapMonteCarlo,
) -> Result<(Option<Configuration>, SampleRecord, Option<String>)> {
    let comm = session.world();
    let _injection = crate::faults::measuring(&chain.sample_id(k));
    let liquid = sampler.evaluate();
    let n = chain.point.n_particles;
    let configuration = configuration_on_every_rank(comm, sampler);
    let volume = configuration.volume();
    let mut engine = Engine::new(
        comm,
        &configuration,
        campaign.model.potential(),
        DEFAULT_SKIN,
    )
    .map_err(|error| Error::Sample {
        sample: chain.sample_id(k),
        message: error.to_string(),
    })?;
    let start = Instant::now();
    let info = crate::quench::quench(session, &mut engine, &campaign.quench);
    let mut record = SampleRecord::default();
    record.observables.insert(
        "liquid_energy_per_particle".into(),
        (liquid.energy / n as f64).into(),
    );
    record.observables.insert(
        "liquid_pressure".into(),
        (n as f64 * chain.point.parent_temperature / volume + liquid.pressure(volume)).into(),
    );
    let info = match info {
        Ok(info) => info,
        Err(error) => {
            return Ok((
                engine.gather_configuration(),
                record,
                Some(format!("the quench failed: {error}")),
            ));
        }
    };
    record
        .observables
        .extend(info.observables(start.elapsed().as_secs_f64()));
    if !info.converged {
        return Ok((
            engine.gather_configuration(),
            record,
            Some(format!(
                "the quench did not converge: {}",
                info.failure.clone().unwrap_or_default()
            )),
        ));
    }
    let dipole_seed = campaign.seed(chain, SeedPurpose::DipolePairs, &[k as u64]);
    let stages = campaign.measurements.stages(dipole_seed);
    let failure = match measure(session, &mut engine, &stages, &mut record) {
        Ok(Some(false)) => {
            Some("unstable: the Hessian has a negative eigenvalue beyond round-off".to_owned())
        }
        Ok(_) => None,
        Err(error) => Some(format!("a measurement failed: {error}")),
    };
    Ok((engine.gather_configuration(), record, failure))
}

/// The sampler's configuration, gathered and given to every rank. Collective.
fn configuration_on_every_rank(
    comm: &mpi::topology::SimpleCommunicator,
    sampler: &mut SwapMonteCarlo,
) -> Configuration {
    let n = sampler.engine().n_global();
    let gathered = sampler.configuration();
    let box_length = sampler.engine().decomposition().box_length;
    let flat = communication::broadcast_from_root(
        comm,
        gathered.as_ref().map(|c| {
            c.positions
                .iter()
                .flatten()
                .copied()
                .chain(c.sizes.iter().copied())
                .collect()
        }),
    );
    Configuration {
        box_length,
        positions: flat[..3 * n]
            .chunks_exact(3)
            .map(|c| [c[0], c[1], c[2]])
            .collect(),
        sizes: flat[3 * n..].to_vec(),
    }
}
