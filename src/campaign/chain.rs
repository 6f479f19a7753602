//! One chain of a campaign: swap Monte Carlo from a random start until it is stationary, then its
//! samples, each quenched and measured as it comes.
//!
//! The chain's state is checkpointed (atomically) after every sample, every few minutes, and when a
//! stop is requested; a resumed chain continues bitwise as if never interrupted, and skips the samples
//! already stored. Equilibration is tested at fixed sweeps ([`test_sweep_from`]), so the sweep at which
//! a chain counts as equilibrated does not depend on interruptions either.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use pinch_petsc::Session;
use serde_json::{Map, Value};

use super::description::{Campaign, Chain, Sampling, SeedPurpose};
use super::store::{COMPLETE, Entry, FAILED, Kind, Writer};
use crate::domain::communication;
use crate::domain::{DEFAULT_SKIN, Engine};
use crate::error::{Error, Result};
use crate::io::h5md::Extras;
use crate::model::{Configuration, random_configuration};
use crate::monte_carlo::SwapMonteCarlo;
use crate::monte_carlo::checkpoint::{self, RunState};
use crate::monte_carlo::equilibration::{Record, default_wavenumber};
use crate::provenance::Provenance;
use crate::sample::{SampleRecord, measure};

/// Sweeps between tests of equilibration.
pub const CHECK_INTERVAL: u64 = 1_000;

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
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Progress {
    /// The sweep at which the chain was found stationary (its first sample).
    equilibrated_at: Option<u64>,
    /// Sweeps between samples.
    spacing: u64,
    /// τ_α at equilibration [sweeps].
    tau_alpha: f64,
}

impl Progress {
    fn observables(&self) -> Map<String, Value> {
        let mut map = Map::new();
        if let Some(sweep) = self.equilibrated_at {
            map.insert("equilibrated_at".into(), (sweep as f64).into());
            map.insert("sample_spacing".into(), (self.spacing as f64).into());
            map.insert("tau_alpha".into(), self.tau_alpha.into());
        }
        map
    }

    fn from_observables(map: &Map<String, Value>) -> Progress {
        let number = |key: &str| map.get(key).and_then(Value::as_f64);
        match (number("equilibrated_at"), number("sample_spacing")) {
            (Some(sweep), Some(spacing)) => Progress {
                equilibrated_at: Some(sweep as u64),
                spacing: spacing as u64,
                tau_alpha: number("tau_alpha").unwrap_or(f64::NAN),
            },
            _ => Progress::default(),
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

/// The first sweep at or after `sweep` at which stationarity is tested: the larger of
/// [`CHECK_INTERVAL`] and `min_sweeps`, then every multiple of [`CHECK_INTERVAL`], and `max_sweeps`
/// at the latest. A pure function of the sweep, so that a resumed chain tests where an uninterrupted
/// one does.
fn test_sweep_from(sweep: u64, sampling: &Sampling) -> u64 {
    let first = CHECK_INTERVAL.max(sampling.min_sweeps);
    let next = if sweep <= first {
        first
    } else {
        sweep.div_ceil(CHECK_INTERVAL) * CHECK_INTERVAL
    };
    next.min(sampling.max_sweeps)
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
    let ChainContext {
        session, campaign, ..
    } = *context;
    let comm = session.world();
    let is_root = session.rank() == 0;
    let model = &campaign.model;
    let sampling = &campaign.sampling;
    let samples = chain.samples;
    let mut finished = finished.clone();
    let seed = campaign.seed(chain, SeedPurpose::Chain, &[]);
    let parameters = campaign.swap_parameters(chain.point.parent_temperature)?;
    let checkpoint_file = checkpoint_path(context.directory, chain);
    let provenance = Provenance::of_this_run(Some(seed), session.size());

    // Temporary files of checkpoints that a kill interrupted are of no use.
    if is_root
        && let Some(chains) = checkpoint_file.parent()
        && let Ok(entries) = std::fs::read_dir(chains)
    {
        let prefix = format!("{}.checkpoint.h5.tmp-", chain.id());
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    // Resume where the checkpoint left off, unless a pending sample lies before it (a stored sample
    // found corrupted): then the chain is run again from its start, which reproduces it exactly.
    let mut resumed = None;
    let stored = checkpoint_file.exists().then(|| {
        checkpoint::read(&checkpoint_file).and_then(|saved| {
            let observables = crate::io::h5md::read(&checkpoint_file)?.observables;
            Ok((saved, Progress::from_observables(&observables)))
        })
    });
    // Writes are atomic, so an unreadable checkpoint was damaged afterwards (by the disk, or by hand).
    // It is set aside, and the chain runs again from its start, which reproduces it exactly. Every rank
    // must take the same way.
    let unreadable = matches!(stored, Some(Err(_)));
    let stored = if communication::counts(comm, [unreadable as u64])[0] > 0 {
        if is_root {
            let aside = checkpoint_file.with_extension("h5.unreadable");
            log::warn!(
                "{}: the checkpoint is unreadable ({}); it is moved to {} and the chain starts over",
                checkpoint_file.display(),
                stored
                    .as_ref()
                    .and_then(|s| s.as_ref().err())
                    .map_or_else(|| "on another rank".to_owned(), ToString::to_string),
                aside.display()
            );
            // Not fatal (the other ranks go on): the chain's next checkpoint replaces the file.
            if let Err(error) = std::fs::rename(&checkpoint_file, &aside) {
                log::warn!(
                    "{}: cannot move it aside: {error}",
                    checkpoint_file.display()
                );
            }
        }
        None
    } else {
        stored.transpose()?
    };
    if let Some((saved, progress)) = stored {
        let sweep = saved.run.sampler.sweep;
        let behind = (0..samples).any(|k| {
            !finished.contains(&chain.sample_id(k))
                && progress.sample_sweep(k).is_some_and(|s| s < sweep)
        });
        if !behind {
            resumed = Some((saved, progress));
        }
    }
    let (mut sampler, mut run, mut record, mut progress) = match resumed {
        Some((saved, progress)) => {
            let sampler = SwapMonteCarlo::resume(
                comm,
                &saved.configuration,
                saved.model.potential(),
                saved.run.parameters.clone(),
                saved.run.seed,
                saved.resumed,
            )?;
            (sampler, saved.run, saved.record, progress)
        }
        None => {
            let configuration = random_configuration(model, chain.point.n_particles, seed);
            let sampler = SwapMonteCarlo::new(
                comm,
                &configuration,
                model.potential(),
                parameters.clone(),
                seed,
            )?;
            let run = RunState {
                seed,
                parameters: parameters.clone(),
                schedule: sampling.schedule(),
                sampler: sampler.state().clone(),
                wavenumber: default_wavenumber(configuration.box_length, configuration.len()),
            };
            (sampler, run, Record::default(), Progress::default())
        }
    };

    let save = |sampler: &SwapMonteCarlo,
                run: &mut RunState,
                record: &Record,
                progress: &Progress|
     -> Result<()> {
        if let Some((configuration, resumed)) = sampler.checkpoint() {
            run.sampler = resumed.state.clone();
            std::fs::create_dir_all(checkpoint_file.parent().expect("in chains/")).map_err(
                |e| Error::Write {
                    path: checkpoint_file.display().to_string(),
                    message: e.to_string(),
                },
            )?;
            checkpoint::write(
                &checkpoint_file,
                &configuration,
                model,
                run,
                record,
                progress.observables(),
                Some(&resumed),
                &provenance,
            )?;
        }
        Ok(())
    };

    // The first sweep whose test is still to do. A checkpoint of an unequilibrated chain is never
    // written between a test and the next sweep (signals and the clock are heard during sweeps, and
    // samples only follow equilibration), so the test at the sweep a chain resumes at is still due.
    let mut untested_from = sampler.state().sweep;
    let mut last_checkpoint = Instant::now();
    let mut last_status = Instant::now();
    let chain_id = chain.id();
    loop {
        // The next sweep to stop at, and why.
        let sweep = sampler.state().sweep;
        let next_sample = (0..samples).find(|&k| !finished.contains(&chain.sample_id(k)));
        let target = match (progress.equilibrated_at, next_sample) {
            (Some(_), None) => break,
            (Some(_), Some(k)) => progress.sample_sweep(k).expect("equilibrated"),
            (None, _) => {
                if untested_from > sampling.max_sweeps {
                    let verdict = record.stationarity(&run.schedule);
                    let reason = format!(
                        "not equilibrated after {sweep} sweeps (max_sweeps): {}",
                        verdict.reason
                    );
                    if let Some(writer) = writer.as_deref_mut() {
                        for k in (0..samples).filter(|&k| !finished.contains(&chain.sample_id(k))) {
                            let id = chain.sample_id(k);
                            let attributes = sample_attributes(
                                campaign, chain, k, None, &progress, FAILED, &reason,
                            );
                            writer.add(&Entry {
                                kind: Kind::Sample,
                                id: id.clone(),
                                attributes,
                                configuration: None,
                                model,
                                provenance: &provenance,
                                extras: Extras::default(),
                            })?;
                            reporter.sample_stored(&id, false, &reason);
                        }
                    }
                    break;
                }
                test_sweep_from(untested_from, sampling)
            }
        };

        while sampler.state().sweep < target {
            sampler.sweep();
            let sweep = sampler.state().sweep;
            let schedule = &run.schedule;
            if sweep % schedule.origin_interval == 0 {
                sampler.add_origin();
            }
            if sweep % schedule.measure_interval == 0 {
                record.measure(&mut sampler, schedule, run.wavenumber);
                sampler.drop_origins_before(sweep.saturating_sub(schedule.max_lag));
            }
            crate::faults::chain_signal(&chain_id, sweep);
            let due = is_root
                && last_checkpoint.elapsed().as_secs_f64() > 60.0 * context.checkpoint_minutes;
            let flags = communication::counts(
                comm,
                [context.stop.load(Ordering::Relaxed) as u64, due as u64],
            );
            if flags[0] > 0 {
                save(&sampler, &mut run, &record, &progress)?;
                return Ok(Outcome::Interrupted);
            }
            if flags[1] > 0 {
                save(&sampler, &mut run, &record, &progress)?;
                last_checkpoint = Instant::now();
            }
            if is_root && last_status.elapsed().as_secs_f64() > 1.0 {
                last_status = Instant::now();
                let phase = if progress.equilibrated_at.is_some() {
                    "sampling"
                } else {
                    "equilibrating"
                };
                reporter.status(chain, &format!("{phase}, sweep {sweep}/{target}"));
            }
        }

        let sweep = sampler.state().sweep;
        if progress.equilibrated_at.is_none() {
            untested_from = sweep + 1;
            let verdict = record.stationarity(&run.schedule);
            if verdict.stationary {
                let tau = verdict.tau_alpha.expect("a stationary verdict knows τ_α");
                let interval = run.schedule.measure_interval;
                let spacing = ((sampling.spacing_tau_alpha * tau / interval as f64).ceil() as u64)
                    .max(1)
                    * interval;
                progress = Progress {
                    equilibrated_at: Some(sweep),
                    spacing,
                    tau_alpha: tau,
                };
                log::info!(
                    "{}: equilibrated at sweep {sweep} (τ_α = {tau:.0} sweeps); samples every {spacing} sweeps",
                    chain.id()
                );
            }
            continue;
        }

        // A sample is due at this sweep.
        let k = next_sample.expect("the target was the next pending sample's sweep");
        let id = chain.sample_id(k);
        reporter.status(chain, &format!("sample {k}: quench and measurements"));
        let (configuration, sample, failure) =
            measure_sample(session, campaign, chain, k, &mut sampler)?;
        let status = if failure.is_some() { FAILED } else { COMPLETE };
        let reason = failure.clone().unwrap_or_default();
        if let Some(writer) = writer.as_deref_mut() {
            let attributes =
                sample_attributes(campaign, chain, k, Some(sweep), &progress, status, &reason);
            let mut extras = sample.extras();
            // Everything that made the sample, beside the model the layout always records.
            extras.attribute_groups.extend([
                (
                    "parameters/swap_monte_carlo".to_owned(),
                    serde_json::to_value(&run.parameters).expect("parameters serialise"),
                ),
                (
                    "parameters/quench".to_owned(),
                    serde_json::to_value(&campaign.quench).expect("parameters serialise"),
                ),
                (
                    "parameters/measurements".to_owned(),
                    serde_json::to_value(&campaign.measurements).expect("parameters serialise"),
                ),
            ]);
            writer.add(&Entry {
                kind: Kind::Sample,
                id: id.clone(),
                attributes,
                configuration: configuration.as_ref(),
                model,
                provenance: &provenance,
                extras,
            })?;
            reporter.sample_stored(&id, failure.is_none(), &reason);
        }
        finished.insert(id);
        save(&sampler, &mut run, &record, &progress)?;
        last_checkpoint = Instant::now();
    }

    // The chain's record, then the checkpoint can go.
    if let Some(writer) = writer.as_deref_mut() {
        let verdict = record.stationarity(&run.schedule);
        let curve: (Vec<u64>, Vec<f64>) = record
            .self_intermediate_scattering(
                &run.schedule,
                progress.equilibrated_at.unwrap_or(sampler.state().sweep) / 2,
            )
            .into_iter()
            .unzip();
        let arrays = checkpoint::record_arrays(&record, run.schedule.lags(), &curve);
        let mut attributes = progress.observables();
        let (status, reason) = if progress.equilibrated_at.is_some() {
            (COMPLETE, String::new())
        } else {
            (FAILED, format!("not equilibrated: {}", verdict.reason))
        };
        attributes.insert("status".into(), status.into());
        attributes.insert("reason".into(), reason.into());
        attributes.insert(
            "n_particles".into(),
            (chain.point.n_particles as u64).into(),
        );
        attributes.insert(
            "parent_temperature".into(),
            chain.point.parent_temperature.into(),
        );
        attributes.insert("chain_index".into(), (chain.index as u64).into());
        attributes.insert("seed".into(), seed.into());
        attributes.insert("sweeps".into(), sampler.state().sweep.into());
        attributes.insert("step_size".into(), sampler.state().step_size.into());
        attributes.insert("stationarity".into(), verdict.reason.clone().into());
        writer.add(&Entry {
            kind: Kind::Chain,
            id: chain.id(),
            attributes,
            configuration: None,
            model,
            provenance: &provenance,
            extras: Extras {
                arrays,
                attribute_groups: vec![(
                    "parameters/swap_monte_carlo".into(),
                    serde_json::to_value(&run.parameters).expect("parameters serialise"),
                )],
                ..Default::default()
            },
        })?;
        if checkpoint_file.exists() {
            std::fs::remove_file(&checkpoint_file).map_err(|e| Error::Write {
                path: checkpoint_file.display().to_string(),
                message: e.to_string(),
            })?;
        }
    }
    Ok(Outcome::Finished)
}

/// The attributes that place a sample in the campaign.
fn sample_attributes(
    campaign: &Campaign,
    chain: &Chain,
    k: usize,
    sweep: Option<u64>,
    progress: &Progress,
    status: &str,
    reason: &str,
) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("status".into(), status.into());
    map.insert("reason".into(), reason.into());
    map.insert("point".into(), chain.point.id().into());
    map.insert("chain".into(), chain.id().into());
    map.insert(
        "n_particles".into(),
        (chain.point.n_particles as u64).into(),
    );
    map.insert(
        "parent_temperature".into(),
        chain.point.parent_temperature.into(),
    );
    map.insert("chain_index".into(), (chain.index as u64).into());
    map.insert("sample_index".into(), (k as u64).into());
    if let Some(sweep) = sweep {
        map.insert("sweep".into(), sweep.into());
    }
    if progress.equilibrated_at.is_some() {
        map.insert("tau_alpha".into(), progress.tau_alpha.into());
    }
    map.insert(
        "chain_seed".into(),
        campaign.seed(chain, SeedPurpose::Chain, &[]).into(),
    );
    map.insert(
        "dipole_seed".into(),
        campaign
            .seed(chain, SeedPurpose::DipolePairs, &[k as u64])
            .into(),
    );
    map
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
    let configuration = Configuration {
        box_length,
        positions: flat[..3 * n]
            .chunks_exact(3)
            .map(|c| [c[0], c[1], c[2]])
            .collect(),
        sizes: flat[3 * n..].to_vec(),
    };
    let volume = configuration.volume();
    let mut engine = Engine::new(
        comm,
        &configuration,
        campaign.model.potential(),
        DEFAULT_SKIN,
    )
    .map_err(|error| Error::Usage(format!("{}: {error}", chain.sample_id(k))))?;
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
