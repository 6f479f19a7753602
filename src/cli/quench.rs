//! `pinch quench`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use pinch_petsc::Session;

use super::{EngineArgs, ModelArgs, PetscArgs, load_configuration};
use crate::domain::Engine;
use crate::error::{Error, Result};
use crate::io::h5md::{Extras, write};
use crate::model::{Configuration, ModelParameters};
use crate::provenance::Provenance;
use crate::quench::checkpoint::{self, QuenchState};
use crate::quench::{
    Outcome, Poll, QuenchParameters, QuenchProgress, Supervisor, quench_supervised,
};
use crate::supervision::CheckpointClock;

/// Arguments of `pinch quench`.
#[derive(Debug, Args)]
pub struct QuenchArgs {
    /// The configuration to quench (H5MD or extended XYZ), e.g. an equilibrated liquid.
    #[arg(long = "in", value_name = "LIQUID", required_unless_present = "resume")]
    pub input: Option<PathBuf>,
    /// H5MD output: the inherent state, with energy, forces, pressure and the quench's record.
    #[arg(long = "out", value_name = "GLASS")]
    pub output: PathBuf,
    /// Checkpoint file [default: the output's name with .checkpoint.h5]; removed once the output is
    /// written.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Write a checkpoint every this many minutes of the quench (and at once on SIGTERM, SIGINT or
    /// SIGUSR1, then stop with exit status 4).
    #[arg(long, value_name = "MINUTES", default_value_t = 10.0)]
    pub checkpoint_minutes: f64,
    /// Continue the quench of the checkpoint, on any number of ranks (FIRE bit for bit as if never
    /// interrupted); its parameters, model and skin come from the checkpoint, and --in is not read.
    #[arg(long)]
    pub resume: bool,
    #[command(flatten)]
    pub quench: QuenchOptions,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub petsc: PetscArgs,
}

/// Options of the quench (shared by `pinch quench` and `pinch sample`).
#[derive(Debug, Args)]
pub struct QuenchOptions {
    /// Converged when the largest force component is below this [epsilon/lambda_min].
    #[arg(long, default_value_t = QuenchParameters::default().force_tolerance, value_name = "F")]
    pub force_tolerance: f64,
    /// FIRE hands over to Newton steps below this largest force component.
    #[arg(long, default_value_t = QuenchParameters::default().newton_threshold, value_name = "F")]
    pub newton_threshold: f64,
    /// Initial FIRE time step.
    #[arg(long, default_value_t = QuenchParameters::default().time_step, value_name = "DT")]
    pub time_step: f64,
    /// Largest FIRE time step.
    #[arg(long, default_value_t = QuenchParameters::default().max_time_step, value_name = "DT")]
    pub max_time_step: f64,
    /// Largest displacement of any particle in one FIRE step [lambda_min].
    #[arg(long, default_value_t = QuenchParameters::default().max_step_length, value_name = "LENGTH")]
    pub max_step_length: f64,
    /// FIRE steps allowed.
    #[arg(long, default_value_t = QuenchParameters::default().max_fire_steps, value_name = "N")]
    pub max_fire_steps: usize,
    /// Newton steps allowed.
    #[arg(long, default_value_t = QuenchParameters::default().max_newton_steps, value_name = "N")]
    pub max_newton_steps: usize,
}

impl QuenchOptions {
    /// The quench parameters these options give.
    pub fn parameters(&self) -> QuenchParameters {
        QuenchParameters {
            force_tolerance: self.force_tolerance,
            newton_threshold: self.newton_threshold,
            time_step: self.time_step,
            max_time_step: self.max_time_step,
            max_step_length: self.max_step_length,
            max_fire_steps: self.max_fire_steps,
            max_newton_steps: self.max_newton_steps,
        }
    }
}

/// Exit code of a quench that ran but did not converge.
pub const NOT_CONVERGED: i32 = 3;

pub fn run(args: QuenchArgs) -> Result<()> {
    let checkpoint_path = args
        .checkpoint
        .clone()
        .unwrap_or_else(|| super::default_checkpoint(&args.output));
    check_paths(&args, &checkpoint_path)?;
    let ToQuench {
        saved,
        configuration,
        model,
        parameters,
        skin,
    } = what_to_quench(&args, &checkpoint_path)?;
    let session = Session::initialize("pinch", &args.petsc.petsc_options)?;
    let stop = crate::io::stop_on_signals()?;
    let start = Instant::now();
    let (mut engine, resumed) = match saved {
        Some(saved) => {
            let restored = saved.restore(session.world())?;
            let progress = &restored.progress;
            log::info!(
                "continuing the quench of {} from {} FIRE and {} Newton steps, largest force {:e}",
                checkpoint_path.display(),
                progress.info.fire_steps + progress.fire.as_ref().map_or(0, |f| f.steps),
                progress.info.newton_steps,
                progress.info.max_force
            );
            (
                restored.engine,
                Some((restored.progress, restored.velocities)),
            )
        }
        None => (
            Engine::new(session.world(), &configuration, model.potential(), skin)?,
            None,
        ),
    };
    let mut checkpoints = Checkpoints {
        path: &checkpoint_path,
        clock: CheckpointClock::new(&stop, args.checkpoint_minutes),
        model: &model,
        parameters: &parameters,
        configuration: &configuration,
        ranks: session.size(),
    };
    let info = match quench_supervised(
        &session,
        &mut engine,
        &parameters,
        resumed,
        &mut checkpoints,
    )? {
        Outcome::Finished(info) => info,
        Outcome::Interrupted(progress) => {
            log::warn!(
                "quench interrupted after {} FIRE and {} Newton steps (largest force {:e}): checkpoint written to {}; continue with --resume",
                progress.info.fire_steps + progress.fire.as_ref().map_or(0, |f| f.steps),
                progress.info.newton_steps,
                progress.info.max_force,
                checkpoint_path.display()
            );
            return Err(Error::Stopped {
                status: crate::error::INTERRUPTED,
                message: String::new(),
            });
        }
    };
    let glass = Glass {
        info: &info,
        parameters: &parameters,
        model: &model,
        volume: configuration.volume(),
        seconds: start.elapsed().as_secs_f64(),
    };
    write_glass(&args, &session, &mut engine, &glass, &checkpoint_path)?;
    if !info.converged {
        return Err(not_converged(&info, &args.output));
    }
    Ok(())
}

/// Refuses an output that would overwrite the input or the checkpoint, and a checkpoint interval
/// that is not positive.
fn check_paths(args: &QuenchArgs, checkpoint_path: &Path) -> Result<()> {
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    for (path, what) in args
        .input
        .iter()
        .map(|input| (input.as_path(), "the input file"))
        .chain([(checkpoint_path, "the checkpoint")])
    {
        if same(path, &args.output) {
            return Err(Error::write(
                &args.output,
                format!("is {what}: the quench writes its result to a new file"),
            ));
        }
    }
    if !(args.checkpoint_minutes > 0.0) {
        return Err(Error::Usage(format!(
            "--checkpoint-minutes must be positive, not {}",
            args.checkpoint_minutes
        )));
    }
    Ok(())
}

/// What a run quenches.
struct ToQuench {
    /// The checkpoint it continues, if any.
    saved: Option<checkpoint::Checkpoint>,
    /// The configuration (as the checkpoint holds it, when continuing).
    configuration: Configuration,
    model: ModelParameters,
    parameters: QuenchParameters,
    /// The Verlet skin of the engine's lists.
    skin: f64,
}

/// What to quench: the input, or the checkpoint's state with everything needed to continue it.
fn what_to_quench(args: &QuenchArgs, checkpoint_path: &Path) -> Result<ToQuench> {
    let (saved, configuration, model, parameters, skin) = if args.resume {
        if !checkpoint_path.exists() {
            return Err(Error::Usage(format!(
                "--resume: there is no checkpoint {} (name it with --checkpoint)",
                checkpoint_path.display()
            )));
        }
        if let Some(input) = &args.input {
            log::info!(
                "continuing the quench of {}: {} is not read",
                checkpoint_path.display(),
                input.display()
            );
        }
        let saved = checkpoint::read(checkpoint_path)?;
        let (configuration, model) = (saved.configuration.clone(), saved.model.clone());
        let (parameters, skin) = (saved.state.parameters.clone(), saved.state.skin);
        (Some(saved), configuration, model, parameters, skin)
    } else {
        let input = args
            .input
            .as_ref()
            .expect("clap requires --in without --resume");
        let loaded = load_configuration(input, false, &args.model)?;
        let (parameters, skin) = (args.quench.parameters(), args.engine.skin);
        (
            None,
            loaded.configuration,
            loaded.parameters,
            parameters,
            skin,
        )
    };
    parameters.validate().map_err(|error| Error::Parameter {
        origin: "the quench options".into(),
        error,
    })?;
    Ok(ToQuench {
        saved,
        configuration,
        model,
        parameters,
        skin,
    })
}

/// A finished quench, as its output records it.
struct Glass<'a> {
    info: &'a crate::quench::QuenchInfo,
    parameters: &'a QuenchParameters,
    model: &'a ModelParameters,
    volume: f64,
    /// Seconds of this run only; the quench's own times span its interruptions.
    seconds: f64,
}

/// Writes the inherent state with its forces and the quench's record, and removes the checkpoint.
/// Collective; rank 0 writes.
fn write_glass(
    args: &QuenchArgs,
    session: &Session,
    engine: &mut Engine,
    glass: &Glass,
    checkpoint_path: &Path,
) -> Result<()> {
    let Glass {
        info,
        parameters,
        model,
        volume,
        seconds,
    } = *glass;
    let evaluation = engine.evaluate();
    let pressure = evaluation.pressure(volume);
    let (count, _) = engine.census();
    assert_eq!(
        count as usize,
        engine.n_global(),
        "particles were lost or duplicated"
    );
    let peak_memory = engine.sum([crate::memory::peak_memory() as f64]);
    let forces = engine.gather(&evaluation.forces);
    let glass = engine.gather_configuration();
    if let (Some(glass), Some(forces)) = (glass, forces) {
        let mut observables = info.observables(seconds);
        observables.insert("pressure".into(), pressure.into());
        observables.insert("peak_memory_bytes".into(), peak_memory.into());
        let mut extras = Extras {
            observables,
            per_particle: vec![("force", &forces)],
            ..Default::default()
        };
        extras.group(crate::io::layout::QUENCH, parameters);
        write(
            &args.output,
            &glass,
            model,
            &Provenance::of_this_run(None, session.size()),
            &extras,
        )?;
        if checkpoint_path.exists() {
            std::fs::remove_file(checkpoint_path).map_err(|error| {
                Error::write(
                    checkpoint_path,
                    format!("cannot remove the checkpoint of the finished quench: {error}"),
                )
            })?;
        }
        log::info!(
            "quench of {} particles on {} ranks: {} FIRE and {} Newton steps ({} Krylov iterations), largest force {:e}, energy per particle {}, pressure {pressure}, {seconds:.2} s (FIRE {:.2} s, Newton {:.2} s)",
            engine.n_global(),
            session.size(),
            info.fire_steps,
            info.newton_steps,
            info.linear_iterations,
            info.max_force,
            info.energy_per_particle,
            info.fire_seconds,
            info.newton_seconds
        );
    }
    Ok(())
}

/// Checkpoints of `pinch quench`, when its [`CheckpointClock`] says one is due: every
/// `--checkpoint-minutes` and at once when a signal raised the stop flag, agreed on by all ranks at
/// every poll.
struct Checkpoints<'a> {
    path: &'a Path,
    clock: CheckpointClock<'a>,
    model: &'a ModelParameters,
    parameters: &'a QuenchParameters,
    /// The configuration as the quench started (box and sizes, which the quench leaves alone).
    configuration: &'a Configuration,
    ranks: i32,
}

impl Supervisor for Checkpoints<'_> {
    fn poll(&mut self, engine: &Engine) -> Result<Poll> {
        if crate::faults::quench_signal() {
            signal_hook::low_level::raise(signal_hook::consts::SIGTERM)
                .expect("a process can signal itself");
        }
        Ok(self.clock.poll(engine.comm()))
    }

    fn save(
        &mut self,
        engine: &Engine,
        progress: &QuenchProgress,
        velocities: &[[f64; 3]],
    ) -> Result<()> {
        let positions = engine.gather(engine.local_positions());
        let built_at = engine.gather(engine.positions_at_build());
        let velocities = if velocities.is_empty() {
            Some(Vec::new())
        } else {
            engine.gather(velocities)
        };
        if let (Some(positions), Some(built_at), Some(velocities)) =
            (positions, built_at, velocities)
        {
            let configuration = Configuration {
                box_length: self.configuration.box_length,
                positions,
                sizes: self.configuration.sizes.clone(),
            };
            let state = QuenchState {
                parameters: self.parameters.clone(),
                skin: engine.skin(),
                progress: progress.clone(),
            };
            checkpoint::write(
                self.path,
                &configuration,
                &built_at,
                &velocities,
                self.model,
                &state,
                &Provenance::of_this_run(None, self.ranks),
            )?;
            log::info!("checkpoint written to {}", self.path.display());
        }
        self.clock.saved();
        Ok(())
    }
}

/// The outcome of a quench that ran but did not converge, its state written to `output`.
pub fn not_converged(info: &crate::quench::QuenchInfo, output: &std::path::Path) -> Error {
    Error::Stopped {
        status: NOT_CONVERGED,
        message: format!(
            "quench did not converge: {}; the unconverged state is in {} (quench_converged = false)",
            info.failure.as_deref().unwrap_or("unknown reason"),
            output.display()
        ),
    }
}
