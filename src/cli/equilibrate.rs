//! `pinch equilibrate`.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use clap::Args;
use mpi::topology::SimpleCommunicator;
use pinch_petsc::Session;
use serde_json::Map;

use super::{ModelArgs, load_configuration};
use crate::error::{Error, Result};
use crate::model::{ModelParameters, random_configuration};
use crate::monte_carlo::checkpoint;
use crate::monte_carlo::equilibration::{SamplingMeasurements, Schedule, next_test_sweep};
use crate::monte_carlo::run::{Advance, Run};
use crate::monte_carlo::{SwapMonteCarlo, SwapParameters};
use crate::provenance::Provenance;
use crate::supervision::CheckpointClock;

/// Arguments of `pinch equilibrate`.
#[derive(Debug, Args)]
pub struct EquilibrateArgs {
    /// The run file written at the end: final configuration (starting frame), time series of energy,
    /// pressure and acceptance rates, F_s(k*, t), tau_alpha and the stationarity verdict.
    #[arg(long, value_name = "RUN.h5")]
    pub out: PathBuf,
    /// Checkpoint file [default: the run file's name with .checkpoint.h5].
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Continue the trajectory of the checkpoint (bitwise as if never interrupted) up to --sweeps;
    /// every other parameter comes from the checkpoint.
    #[arg(long)]
    pub resume: bool,
    /// Start from this configuration (H5MD or extended XYZ) instead of a random one.
    #[arg(long = "in", value_name = "FILE", conflicts_with = "n_particles")]
    pub input: Option<PathBuf>,
    /// Start from a random (T = infinity) configuration of N particles.
    #[arg(short = 'n', long, value_name = "N")]
    pub n_particles: Option<usize>,
    /// Seed of the trajectory (and of the random start).
    #[arg(long, value_name = "SEED", default_value_t = 1)]
    pub seed: u64,
    /// Parent temperature T_p [epsilon/k_B].
    #[arg(short = 't', long, value_name = "T")]
    pub temperature: Option<f64>,
    /// Sweeps of the whole trajectory (N attempted moves each).
    #[arg(long, value_name = "N")]
    pub sweeps: Option<u64>,
    /// Measure every this many sweeps.
    #[arg(long, value_name = "N", default_value_t = Schedule::default().measure_interval)]
    pub measure_interval: u64,
    /// New time origin of F_s every this many sweeps.
    #[arg(long, value_name = "N", default_value_t = Schedule::default().origin_interval)]
    pub origin_interval: u64,
    /// Follow F_s up to this lag [sweeps].
    #[arg(long, value_name = "N", default_value_t = Schedule::default().max_lag)]
    pub max_lag: u64,
    /// The stationarity window must span this many tau_alpha.
    #[arg(long, value_name = "X", default_value_t = Schedule::default().tau_alpha_multiple)]
    pub tau_alpha_multiple: f64,
    /// The start is a stationary configuration of a nearby T_p: the stationarity window may begin
    /// this many tau_alpha into the run instead of at its middle (docs/sampling.md).
    #[arg(long, value_name = "X", requires = "input")]
    pub burn_in_tau_alpha: Option<f64>,
    /// From this sweep on, the run only samples, as a campaign's chain does once stationary: F_s is
    /// no longer followed and energy, pressure and acceptance rates are measured every
    /// --sampling-measure-interval sweeps (docs/sampling.md). The trajectory is unchanged.
    #[arg(
        long,
        value_name = "SWEEP",
        requires = "sampling_measure_interval",
        conflicts_with = "until_stationary"
    )]
    pub sampling_from: Option<u64>,
    /// Sweeps between measurements after --sampling-from.
    #[arg(long, value_name = "N", requires = "sampling_from",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub sampling_measure_interval: Option<u64>,
    /// Stop at the first passing test of stationarity (tested every 1,000 sweeps, as in campaigns),
    /// or at --sweeps.
    #[arg(long)]
    pub until_stationary: bool,
    /// Probability of a size swap per attempt.
    #[arg(long, value_name = "P", default_value_t = SwapParameters::at(1.0).swap_probability)]
    pub swap_probability: f64,
    /// Swap only sizes closer than this [lambda_min] (a value above the largest size difference
    /// allows every swap) [default: 0.5 at T_p <= 0.6, none above].
    #[arg(long, value_name = "DELTA")]
    pub max_size_difference: Option<f64>,
    /// Initial edge of the cube of trial translations [lambda_min].
    #[arg(long, value_name = "DELTA", default_value_t = SwapParameters::at(1.0).step_size)]
    pub step_size: f64,
    /// Sweeps of step-size tuning at the start.
    #[arg(long, value_name = "N", default_value_t = SwapParameters::at(1.0).tuning_sweeps)]
    pub tuning_sweeps: u64,
    /// Move the cell grid (by a random translation of the system) every this many sweeps.
    #[arg(long, value_name = "N", default_value_t = SwapParameters::at(1.0).grid_shift_interval)]
    pub grid_shift_interval: u64,
    /// Verlet skin of the Monte Carlo lists [lambda_min]; it sets the speed only (energy changes are
    /// exact with any skin) [default: max(0.9, min(T_p + 0.6, 0.4 T_p + 1.2))]
    #[arg(long, value_name = "LENGTH")]
    pub skin: Option<f64>,
    /// Write a checkpoint every this many minutes (and always at the end or on SIGTERM/SIGUSR1).
    #[arg(long, value_name = "MINUTES", default_value_t = 10.0)]
    pub checkpoint_minutes: f64,
    /// Write configurations for ensemble sampling into this directory (sweep-<sweep>.h5, each tagged
    /// with its sweep and T_p).
    #[arg(long, value_name = "DIR", requires = "snapshot_interval")]
    pub snapshots: Option<PathBuf>,
    /// Sweeps between snapshots.
    #[arg(long, value_name = "N")]
    pub snapshot_interval: Option<u64>,
    /// First sweep at which snapshots are written.
    #[arg(long, value_name = "SWEEP", default_value_t = 0)]
    pub snapshot_from: u64,
    #[command(flatten)]
    pub model: ModelArgs,
}

pub fn run(args: EquilibrateArgs) -> Result<()> {
    let checkpoint_path = args
        .checkpoint
        .clone()
        .unwrap_or_else(|| super::default_checkpoint(&args.out));
    let session = Session::initialize("pinch", &[])?;
    let world = session.world();
    let ranks = session.size();
    let (mut trajectory, model) = if args.resume {
        resume(&args, &checkpoint_path, world)?
    } else {
        start(&args, world)?
    };
    // Signals only raise flags; the ranks agree on them once per sweep.
    let stop = crate::io::stop_on_signals()?;
    let provenance = Provenance::of_this_run(Some(trajectory.state.seed), ranks);
    let save = |trajectory: &mut Run| {
        trajectory.write_checkpoint(&checkpoint_path, &model, Map::new(), &provenance)
    };
    let started = Instant::now();
    let first_sweep = trajectory.sweep_count();
    let (advanced, equilibrated_at) =
        sweep_to_end(&args, &mut trajectory, &model, &stop, ranks, save)?;
    if advanced == Advance::Stopped {
        log::warn!(
            "interrupted at sweep {}: checkpoint written to {}; continue with --resume",
            trajectory.sweep_count(),
            checkpoint_path.display()
        );
        return Err(Error::Stopped {
            status: crate::error::INTERRUPTED,
            message: String::new(),
        });
    }
    // The finished run's checkpoint, which `--resume` with more sweeps continues.
    save(&mut trajectory)?;
    let seconds = started.elapsed().as_secs_f64();
    write_run_file(
        &args,
        trajectory,
        &model,
        first_sweep,
        equilibrated_at,
        seconds,
        ranks,
    )
}

/// Sweeps to `--sweeps`, or with `--until-stationary` to the first test of stationarity that passes
/// (returned). Collective.
fn sweep_to_end(
    args: &EquilibrateArgs,
    trajectory: &mut Run,
    model: &ModelParameters,
    stop: &AtomicBool,
    ranks: i32,
    mut save: impl FnMut(&mut Run) -> Result<()>,
) -> Result<(Advance, Option<u64>)> {
    let end = trajectory.state.schedule.sweeps;
    let mut clock = CheckpointClock::new(stop, args.checkpoint_minutes);
    if !args.until_stationary {
        let advanced = advance(args, trajectory, end, model, &mut clock, ranks, &mut save)?;
        return Ok((advanced, None));
    }
    // As in a campaign chain: a checkpoint is never written between a test and the next sweep, so
    // the test at the sweep a run resumes at is still due.
    let mut untested_from = trajectory.sweep_count();
    while untested_from <= end {
        let target = next_test_sweep(untested_from, 0, end);
        if advance(
            args, trajectory, target, model, &mut clock, ranks, &mut save,
        )? == Advance::Stopped
        {
            return Ok((Advance::Stopped, None));
        }
        untested_from = trajectory.sweep_count() + 1;
        if trajectory
            .record
            .stationarity(&trajectory.state.schedule)
            .stationary
        {
            return Ok((Advance::Reached, Some(trajectory.sweep_count())));
        }
    }
    Ok((Advance::Reached, None))
}

/// What `--sampling-from` and `--sampling-measure-interval` ask for.
fn sampling_measurements(args: &EquilibrateArgs) -> Option<SamplingMeasurements> {
    args.sampling_from
        .zip(args.sampling_measure_interval)
        .map(|(from, measure_interval)| SamplingMeasurements {
            from,
            measure_interval,
        })
}

/// The trajectory of the checkpoint, to continue up to `--sweeps` if given (and to sample as
/// `--sampling-from` says, if given).
fn resume<'c>(
    args: &EquilibrateArgs,
    checkpoint_path: &Path,
    world: &'c SimpleCommunicator,
) -> Result<(Run<'c>, ModelParameters)> {
    let mut saved = checkpoint::read(checkpoint_path)?;
    if let Some(sweeps) = args.sweeps {
        saved.run.schedule.sweeps = sweeps;
    }
    log::info!(
        "resuming {} at sweep {} of {}",
        checkpoint_path.display(),
        saved.run.sampler.sweep,
        saved.run.schedule.sweeps
    );
    let model = saved.model.clone();
    let mut run = Run::resume(world, saved)?;
    if let Some(sampling) = sampling_measurements(args) {
        run.start_sampling(sampling);
    }
    Ok((run, model))
}

/// A new trajectory from `--in` or from a random configuration of `--n-particles`.
fn start<'c>(
    args: &EquilibrateArgs,
    world: &'c SimpleCommunicator,
) -> Result<(Run<'c>, ModelParameters)> {
    let temperature = args
        .temperature
        .ok_or_else(|| Error::Usage("--temperature is required (unless --resume)".into()))?;
    let (configuration, model) = match (&args.input, args.n_particles) {
        (Some(path), _) => {
            let loaded = load_configuration(path, true, &args.model)?;
            (loaded.configuration, loaded.parameters)
        }
        (None, Some(n)) => {
            let model = args.model.load()?.unwrap_or_default();
            model.validate_system(n).map_err(|error| Error::Parameter {
                origin: "--n-particles".into(),
                error,
            })?;
            (random_configuration(&model, n, args.seed), model)
        }
        (None, None) => {
            return Err(Error::Usage(
                "give --in FILE or --n-particles N to start from (or --resume)".into(),
            ));
        }
    };
    let parameters = SwapParameters {
        parent_temperature: temperature,
        swap_probability: args.swap_probability,
        max_size_difference: args
            .max_size_difference
            .or_else(|| crate::monte_carlo::default_max_size_difference(temperature)),
        step_size: args.step_size,
        tuning_sweeps: args.tuning_sweeps,
        skin: args
            .skin
            .unwrap_or_else(|| crate::monte_carlo::default_skin(temperature)),
        grid_shift_interval: args.grid_shift_interval,
        ..SwapParameters::at(temperature)
    };
    let schedule = Schedule {
        sweeps: args.sweeps.unwrap_or(Schedule::default().sweeps),
        measure_interval: args.measure_interval,
        origin_interval: args.origin_interval,
        max_lag: args.max_lag,
        tau_alpha_multiple: args.tau_alpha_multiple,
        burn_in_tau_alpha: args.burn_in_tau_alpha,
        sampling: sampling_measurements(args),
    };
    schedule.validate().map_err(|error| Error::Parameter {
        origin: "command line".into(),
        error,
    })?;
    let run = Run::start(
        world,
        &configuration,
        &model,
        parameters,
        schedule,
        args.seed,
    )?;
    Ok((run, model))
}

/// Sweeps to `target` under the checkpoint clock, writing the snapshots asked for and logging
/// progress every 30 s. Collective.
fn advance(
    args: &EquilibrateArgs,
    trajectory: &mut Run,
    target: u64,
    model: &ModelParameters,
    clock: &mut CheckpointClock,
    ranks: i32,
    save: impl FnMut(&mut Run) -> Result<()>,
) -> Result<Advance> {
    let (started, first_sweep) = (Instant::now(), trajectory.sweep_count());
    let mut last_log = Instant::now();
    trajectory.advance_to(
        target,
        clock,
        |trajectory| {
            let sweep = trajectory.sweep_count();
            if let (Some(directory), Some(interval)) = (&args.snapshots, args.snapshot_interval)
                && sweep >= args.snapshot_from
                && sweep.is_multiple_of(interval)
            {
                let seed = trajectory.state.seed;
                write_snapshot(&mut trajectory.sampler, directory, model, seed, ranks)?;
            }
            if last_log.elapsed().as_secs_f64() > 30.0 {
                last_log = Instant::now();
                let rate = (sweep - first_sweep) as f64 / started.elapsed().as_secs_f64();
                log::info!(
                    "sweep {sweep}/{target}: energy per particle {:.6}, {rate:.0} sweeps/s, ETA {:.0} s",
                    trajectory
                        .record
                        .energy_per_particle
                        .last()
                        .copied()
                        .unwrap_or(f64::NAN),
                    (target - sweep) as f64 / rate
                );
            }
            Ok(())
        },
        save,
    )
}

/// Writes the run file of a finished trajectory: its last configuration, time series, F_s, τ_α and
/// the stationarity verdict. Collective; rank 0 writes.
fn write_run_file(
    args: &EquilibrateArgs,
    trajectory: Run,
    model: &ModelParameters,
    first_sweep: u64,
    equilibrated_at: Option<u64>,
    seconds: f64,
    ranks: i32,
) -> Result<()> {
    let Run {
        mut sampler,
        state: run,
        record,
    } = trajectory;
    let n = sampler.engine().n_global();
    let sweeps_done = sampler.state().sweep - first_sweep;

    let verdict = record.stationarity(&run.schedule);
    let attempts_per_second = (sweeps_done as f64 * n as f64) / seconds;
    if let Some(configuration) = sampler.configuration() {
        let mut observables = Map::new();
        observables.insert(
            "parent_temperature".into(),
            run.parameters.parent_temperature.into(),
        );
        observables.insert("sweeps".into(), sampler.state().sweep.into());
        observables.insert("stationary".into(), verdict.stationary.into());
        if let Some(sweep) = equilibrated_at {
            observables.insert("equilibrated_at".into(), sweep.into());
        }
        if let Some(tau) = verdict.tau_alpha {
            observables.insert("tau_alpha".into(), tau.into());
        }
        observables.insert("step_size".into(), sampler.state().step_size.into());
        observables.insert("wavenumber".into(), run.wavenumber.into());
        observables.insert("seconds".into(), seconds.into());
        observables.insert(
            "attempts_per_second_per_rank".into(),
            (attempts_per_second / ranks as f64).into(),
        );
        if let Some(&e) = record.energy_per_particle.last() {
            observables.insert("energy_per_particle".into(), e.into());
        }
        if let Some(&p) = record.pressure.last() {
            observables.insert("pressure".into(), p.into());
        }
        checkpoint::write(
            &args.out,
            &configuration,
            model,
            &run,
            &record,
            observables,
            None,
            &Provenance::of_this_run(Some(run.seed), ranks),
        )?;
        log::info!(
            "{} sweeps of {n} particles at T_p = {} in {seconds:.1} s ({:.3e} attempts/s, {:.3e} per rank; {} list builds); tau_alpha = {}; {}: {}",
            sweeps_done,
            run.parameters.parent_temperature,
            attempts_per_second,
            attempts_per_second / ranks as f64,
            sampler.engine().builds(),
            verdict
                .tau_alpha
                .map_or("unknown".to_owned(), |t| format!("{t:.1} sweeps")),
            if verdict.stationary {
                "stationary"
            } else {
                "not stationary"
            },
            verdict.reason
        );
    }
    Ok(())
}

/// Writes the current configuration (starting frame) as `DIR/sweep-<sweep>.h5`, tagged with its sweep,
/// T_p, energy per particle and pressure. Collective.
fn write_snapshot(
    sampler: &mut SwapMonteCarlo,
    directory: &Path,
    model: &crate::model::ModelParameters,
    seed: u64,
    ranks: i32,
) -> Result<()> {
    let evaluation = sampler.evaluate();
    let sweep = sampler.state().sweep;
    let temperature = sampler.parameters().parent_temperature;
    let Some(configuration) = sampler.configuration() else {
        return Ok(());
    };
    std::fs::create_dir_all(directory).map_err(|e| Error::write(directory, e))?;
    let n = configuration.len() as f64;
    let volume = configuration.volume();
    let mut observables = Map::new();
    observables.insert("sweep".into(), sweep.into());
    observables.insert("parent_temperature".into(), temperature.into());
    observables.insert("energy_per_particle".into(), (evaluation.energy / n).into());
    observables.insert(
        "pressure".into(),
        (n * temperature / volume + evaluation.pressure(volume)).into(),
    );
    crate::io::h5md::write(
        &directory.join(format!("sweep-{sweep:012}.h5")),
        &configuration,
        model,
        &Provenance::of_this_run(Some(seed), ranks),
        &crate::io::h5md::Extras {
            observables,
            ..Default::default()
        },
    )
}
