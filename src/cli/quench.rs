//! `pinch quench`.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use pinch_petsc::Session;

use super::{EngineArgs, ModelArgs, PetscArgs, load_configuration};
use crate::domain::Engine;
use crate::error::{Error, Result};
use crate::io::h5md::{Extras, write};
use crate::provenance::Provenance;
use crate::quench::{QuenchParameters, quench};

/// Arguments of `pinch quench`.
#[derive(Debug, Args)]
pub struct QuenchArgs {
    /// The configuration to quench (H5MD or extended XYZ), e.g. an equilibrated liquid.
    #[arg(long = "in", value_name = "LIQUID")]
    pub input: PathBuf,
    /// H5MD output: the inherent state, with energy, forces, pressure and the quench's record.
    #[arg(long = "out", value_name = "GLASS")]
    pub output: PathBuf,
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
    let same = |a: &std::path::Path, b: &std::path::Path| match (a.canonicalize(), b.canonicalize())
    {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same(&args.input, &args.output) {
        return Err(Error::Write {
            path: args.output.display().to_string(),
            message: "is the input file: the quench writes its result to a new file".into(),
        });
    }
    let parameters = args.quench.parameters();
    let loaded = load_configuration(&args.input, false, &args.model)?;
    let session = Session::initialize("pinch", &args.petsc.petsc_options)?;
    let world = session.world();
    let start = Instant::now();
    let mut engine = Engine::new(
        &world,
        &loaded.configuration,
        loaded.parameters.potential(),
        args.engine.skin,
    )?;
    let info = quench(&session, &mut engine, &parameters)?;
    let seconds = start.elapsed().as_secs_f64();
    let evaluation = engine.evaluate();
    let pressure = evaluation.pressure(loaded.configuration.volume());
    let (count, _) = engine.census();
    assert_eq!(
        count as usize,
        engine.n_global(),
        "particles were lost or duplicated"
    );
    let peak_memory = engine.sum([super::bench::peak_memory() as f64]);
    let forces = engine.gather(&evaluation.forces);
    let glass = engine.gather_configuration();
    if let (Some(glass), Some(forces)) = (glass, forces) {
        let mut observables = info.observables(seconds);
        observables.insert("pressure".into(), pressure.into());
        observables.insert("peak_memory_bytes".into(), peak_memory.into());
        let extras = Extras {
            observables,
            per_particle: vec![("force", &forces)],
            ..Default::default()
        };
        write(
            &args.output,
            &glass,
            &loaded.parameters,
            &Provenance::of_this_run(None, session.size()),
            &extras,
        )?;
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
    if !info.converged {
        return Err(not_converged(&info, &args.output));
    }
    Ok(())
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
