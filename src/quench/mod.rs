//! The instantaneous quench of a configuration to its inherent state (a local minimum of the energy).
//!
//! FIRE (fast inertial relaxation, in the FIRE 2.0 form of Guénolé et al., Comput. Mater. Sci. 175,
//! 109584 (2020)) brings the largest force component below a loose threshold, then Newton steps
//! H u = F, solved by a PETSc KSP with the translations as null space, finish it to the force tolerance
//! (1e-10 ε/λ_min by default). Newton steps are accepted when they lower the force norm; a step that
//! does not, or a solve that fails (for example on an indefinite Hessian near a saddle), sends the
//! quench back to FIRE with a ten times lower threshold.
//!
//! Every global quantity FIRE uses is an exact sum or a maximum, and the forces are bitwise independent
//! of the decomposition (see [`crate::domain::Engine`]), so the FIRE trajectory is the same on any number
//! of ranks. Newton steps depend on the parallel linear solve at round-off level only.

pub mod checkpoint;
mod fire;
mod newton;

use serde::{Deserialize, Serialize};

pub use fire::{FireInfo, FireState, fire};
pub use newton::{NewtonInfo, newton};

use crate::domain::Engine;
use crate::error::Result;

/// Parameters of a quench (TOML keys of the `[quench]` table; all optional).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QuenchParameters {
    /// Converged when the largest force component is below this [ε/λ_min].
    pub force_tolerance: f64,
    /// FIRE hands over to Newton below this largest force component [ε/λ_min].
    pub newton_threshold: f64,
    /// Initial FIRE time step [√(m λ_min²/ε)].
    pub time_step: f64,
    /// Largest FIRE time step.
    pub max_time_step: f64,
    /// Largest displacement of any particle in one FIRE step [λ_min].
    pub max_step_length: f64,
    /// FIRE steps allowed in all.
    pub max_fire_steps: usize,
    /// Newton steps allowed in all.
    pub max_newton_steps: usize,
}

impl Default for QuenchParameters {
    fn default() -> Self {
        QuenchParameters {
            force_tolerance: 1e-10,
            newton_threshold: 1e-2,
            time_step: 0.005,
            max_time_step: 0.03,
            max_step_length: 0.1,
            max_fire_steps: 1_000_000,
            max_newton_steps: 50,
        }
    }
}

impl QuenchParameters {
    /// Checks every field, naming the one that is wrong.
    pub fn validate(&self) -> std::result::Result<(), crate::model::ParameterError> {
        let bad = |field: &'static str, reason: String| {
            Err(crate::model::ParameterError { field, reason })
        };
        for (field, value) in [
            ("force_tolerance", self.force_tolerance),
            ("newton_threshold", self.newton_threshold),
            ("time_step", self.time_step),
            ("max_time_step", self.max_time_step),
            ("max_step_length", self.max_step_length),
        ] {
            if !(value.is_finite() && value > 0.0) {
                return bad(field, format!("must be positive and finite, not {value}"));
            }
        }
        if self.max_time_step < self.time_step {
            return bad(
                "max_time_step",
                format!(
                    "= {} is below time_step = {}",
                    self.max_time_step, self.time_step
                ),
            );
        }
        Ok(())
    }
}

/// What a quench did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct QuenchInfo {
    /// Whether the force tolerance was reached.
    pub converged: bool,
    /// Why not, if it was not.
    pub failure: Option<String>,
    /// FIRE steps taken.
    pub fire_steps: usize,
    /// Newton steps taken (accepted or not).
    pub newton_steps: usize,
    /// Krylov iterations of all Newton solves.
    pub linear_iterations: usize,
    /// Largest force component at the end [ε/λ_min].
    pub max_force: f64,
    /// Wall time in FIRE [s].
    pub fire_seconds: f64,
    /// Wall time in Newton steps (Hessian assembly and linear solves) [s].
    pub newton_seconds: f64,
    /// Energy per particle at the end [ε].
    pub energy_per_particle: f64,
}

impl QuenchInfo {
    /// The record as observables: energy per particle, largest force, convergence, steps and times
    /// (`seconds`: the quench's whole wall time).
    pub fn observables(&self, seconds: f64) -> serde_json::Map<String, serde_json::Value> {
        let mut observables = serde_json::Map::new();
        observables.insert(
            "energy_per_particle".into(),
            self.energy_per_particle.into(),
        );
        observables.insert("max_force".into(), self.max_force.into());
        observables.insert("quench_converged".into(), self.converged.into());
        observables.insert("quench_fire_steps".into(), (self.fire_steps as u64).into());
        observables.insert(
            "quench_newton_steps".into(),
            (self.newton_steps as u64).into(),
        );
        observables.insert(
            "quench_linear_iterations".into(),
            (self.linear_iterations as u64).into(),
        );
        observables.insert("quench_seconds".into(), seconds.into());
        observables.insert("quench_fire_seconds".into(), self.fire_seconds.into());
        observables.insert("quench_newton_seconds".into(), self.newton_seconds.into());
        observables
    }
}

/// Where an unfinished quench stands: with the particles' positions (and, in FIRE, velocities), what a
/// checkpoint holds to continue it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuenchProgress {
    /// The record so far (FIRE steps of finished FIRE runs only).
    pub info: QuenchInfo,
    /// The largest force component the current or next FIRE run is to reach.
    pub threshold: f64,
    /// The state of the FIRE run under way; `None` between Newton steps.
    pub fire: Option<FireState>,
}

pub use crate::supervision::Poll;

/// Checkpoints of a quench. Both calls are collective: every rank must give the same answer.
pub trait Supervisor {
    /// Asked before every FIRE step and before every Newton step.
    fn poll(&mut self, engine: &Engine) -> Result<Poll>;
    /// Writes a checkpoint of `progress`, with the local particles' FIRE `velocities` (empty between
    /// Newton steps).
    fn save(
        &mut self,
        engine: &Engine,
        progress: &QuenchProgress,
        velocities: &[[f64; 3]],
    ) -> Result<()>;
}

/// A quench without checkpoints.
pub struct Unsupervised;

impl Supervisor for Unsupervised {
    fn poll(&mut self, _engine: &Engine) -> Result<Poll> {
        Ok(Poll::Continue)
    }

    fn save(&mut self, _: &Engine, _: &QuenchProgress, _: &[[f64; 3]]) -> Result<()> {
        Ok(())
    }
}

/// How a supervised quench ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Converged or failed, as the record says.
    Finished(QuenchInfo),
    /// Stopped by the supervisor after it wrote this checkpoint.
    Interrupted(QuenchProgress),
}

/// Quenches the engine's configuration in place.
pub fn quench(
    session: &pinch_petsc::Session,
    engine: &mut Engine,
    parameters: &QuenchParameters,
) -> Result<QuenchInfo> {
    match quench_supervised(session, engine, parameters, None, &mut Unsupervised)? {
        Outcome::Finished(info) => Ok(info),
        Outcome::Interrupted(_) => unreachable!("an unsupervised quench is never stopped"),
    }
}

/// Quenches the engine's configuration in place, from the start or from `resumed` (the progress of a
/// checkpoint and the local particles' velocities, in local order, with the engine restored as the
/// checkpoint says), asking `supervisor` for checkpoints. Continued from a checkpoint on any number of
/// ranks, FIRE follows the uninterrupted trajectory bit for bit; so do Newton steps on the same
/// number of ranks.
pub fn quench_supervised(
    session: &pinch_petsc::Session,
    engine: &mut Engine,
    parameters: &QuenchParameters,
    resumed: Option<(QuenchProgress, Vec<[f64; 3]>)>,
    supervisor: &mut dyn Supervisor,
) -> Result<Outcome> {
    let stalled;
    let parameters = if crate::faults::quench_stall() {
        stalled = QuenchParameters {
            max_fire_steps: 20,
            newton_threshold: parameters.force_tolerance,
            ..parameters.clone()
        };
        &stalled
    } else {
        parameters
    };
    let (mut progress, mut velocities) = resumed.unwrap_or_else(|| {
        (
            QuenchProgress {
                info: QuenchInfo::default(),
                threshold: parameters.newton_threshold.max(parameters.force_tolerance),
                fire: Some(FireState::start(parameters)),
            },
            vec![[0.0; 3]; engine.n_local()],
        )
    });
    loop {
        let next = if let Some(state) = progress.fire.take() {
            fire_phase(
                engine,
                parameters,
                state,
                &mut progress,
                &mut velocities,
                supervisor,
            )?
        } else {
            newton_phase(
                session,
                engine,
                parameters,
                &mut progress,
                &mut velocities,
                supervisor,
            )?
        };
        match next {
            Next::Continue => {}
            Next::Finished => break,
            Next::Interrupted => return Ok(Outcome::Interrupted(progress)),
        }
    }
    let mut info = progress.info;
    info.energy_per_particle = engine.evaluate().energy / engine.n_global() as f64;
    Ok(Outcome::Finished(info))
}

/// What is left after a phase of the quench.
enum Next {
    /// The next phase (Newton after FIRE; FIRE again after a stalled Newton).
    Continue,
    /// Converged, or failed with the reason in the record.
    Finished,
    /// Stopped by the supervisor, with its checkpoint written.
    Interrupted,
}

/// FIRE from `state` (taken from `progress`, and put back if interrupted) down to the current
/// threshold.
fn fire_phase(
    engine: &mut Engine,
    parameters: &QuenchParameters,
    mut state: FireState,
    progress: &mut QuenchProgress,
    velocities: &mut Vec<[f64; 3]>,
    supervisor: &mut dyn Supervisor,
) -> Result<Next> {
    let remaining = parameters
        .max_fire_steps
        .saturating_sub(progress.info.fire_steps);
    let start = std::time::Instant::now();
    let threshold = progress.threshold;
    let info_so_far = &progress.info;
    let mut poll = |engine: &Engine, state: &FireState, velocities: &[[f64; 3]], max_force| {
        let action = supervisor.poll(engine)?;
        if action != Poll::Continue {
            let mut snapshot = QuenchProgress {
                info: info_so_far.clone(),
                threshold,
                fire: Some(state.clone()),
            };
            snapshot.info.fire_seconds += start.elapsed().as_secs_f64();
            snapshot.info.max_force = max_force;
            supervisor.save(engine, &snapshot, velocities)?;
        }
        Ok(action == Poll::Stop)
    };
    let fire = fire(
        engine, parameters, threshold, remaining, &mut state, velocities, &mut poll,
    )?;
    progress.info.fire_seconds += start.elapsed().as_secs_f64();
    if fire.interrupted {
        progress.info.max_force = fire.max_force;
        progress.fire = Some(state);
        return Ok(Next::Interrupted);
    }
    let info = &mut progress.info;
    info.fire_steps += fire.steps;
    info.max_force = fire.max_force;
    if fire.max_force < parameters.force_tolerance {
        info.converged = true;
        return Ok(Next::Finished);
    }
    if !fire.reached {
        info.failure = Some(format!(
            "FIRE did not bring the largest force below {threshold:e} within {} steps (it is {:e})",
            parameters.max_fire_steps, fire.max_force
        ));
        return Ok(Next::Finished);
    }
    Ok(Next::Continue)
}

/// Newton steps down to the force tolerance; a stalled Newton hands back to FIRE with a lower
/// threshold and the velocities at rest.
fn newton_phase(
    session: &pinch_petsc::Session,
    engine: &mut Engine,
    parameters: &QuenchParameters,
    progress: &mut QuenchProgress,
    velocities: &mut Vec<[f64; 3]>,
    supervisor: &mut dyn Supervisor,
) -> Result<Next> {
    let remaining = parameters
        .max_newton_steps
        .saturating_sub(progress.info.newton_steps);
    let start = std::time::Instant::now();
    let so_far = &*progress;
    let mut poll = |engine: &Engine, newton: &NewtonInfo| {
        let action = supervisor.poll(engine)?;
        if action != Poll::Continue {
            let mut snapshot = so_far.clone();
            snapshot.info.newton_steps += newton.steps;
            snapshot.info.linear_iterations += newton.linear_iterations;
            snapshot.info.max_force = newton.max_force;
            snapshot.info.newton_seconds += start.elapsed().as_secs_f64();
            supervisor.save(engine, &snapshot, &[])?;
        }
        Ok(action == Poll::Stop)
    };
    let newton = newton(
        session,
        engine,
        parameters.force_tolerance,
        remaining,
        &mut poll,
    )?;
    let info = &mut progress.info;
    info.newton_seconds += start.elapsed().as_secs_f64();
    info.newton_steps += newton.steps;
    info.linear_iterations += newton.linear_iterations;
    info.max_force = newton.max_force;
    if newton.interrupted {
        return Ok(Next::Interrupted);
    }
    if newton.converged {
        info.converged = true;
        return Ok(Next::Finished);
    }
    if info.newton_steps >= parameters.max_newton_steps {
        info.failure = Some(format!(
            "{} Newton steps did not reach the force tolerance {:e} (largest force {:e}; {})",
            info.newton_steps, parameters.force_tolerance, newton.max_force, newton.stop_reason
        ));
        return Ok(Next::Finished);
    }
    // Newton stalled: relax further with FIRE first.
    let threshold = (progress.threshold / 10.0).max(parameters.force_tolerance);
    log::info!(
        "Newton stopped ({}) at largest force {:e}; back to FIRE down to {threshold:e}",
        newton.stop_reason,
        newton.max_force,
    );
    progress.threshold = threshold;
    progress.fire = Some(FireState::start(parameters));
    *velocities = vec![[0.0; 3]; engine.n_local()];
    Ok(Next::Continue)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::DEFAULT_SKIN;
    use crate::model::{ModelParameters, random_configuration};
    use pinch_petsc::{Eps, Session, Which};

    #[test]
    fn quench_reaches_a_stable_inherent_state() {
        let session = Session::initialize("test", &[]).unwrap();
        let world = session.world();
        let parameters = ModelParameters::default();
        let configuration = random_configuration(&parameters, 600, 3);
        let mut engine =
            Engine::new(world, &configuration, parameters.potential(), DEFAULT_SKIN).unwrap();
        let info = quench(&session, &mut engine, &QuenchParameters::default()).unwrap();
        assert!(info.converged, "{info:?}");
        assert!(info.max_force < 1e-10, "{info:?}");
        assert!(info.newton_steps >= 1, "{info:?}");
        let mut forces = Vec::new();
        engine.forces(&mut forces);
        assert!(engine.max_force(&forces) < 1e-10);
        // Particles are conserved through every migration and rebuild.
        let (count, size_sum) = engine.census();
        assert_eq!(count, 600);
        let expected: f64 = {
            let mut s = crate::domain::ExactSum::new();
            configuration.sizes.iter().for_each(|&x| s.add(x));
            s.value()
        };
        assert_eq!(size_sum, expected);

        // The Hessian at the minimum: exactly three zero modes (translations), then positive eigenvalues.
        let hessian = crate::hessian::assemble(&session, &mut engine).unwrap();
        let mut eps = Eps::new(&session, &hessian.matrix, "test_").unwrap();
        eps.set_count(6).unwrap();
        eps.set_which(Which::SmallestReal).unwrap();
        eps.set_tolerances(1e-12, 100_000).unwrap();
        eps.set_from_options().unwrap();
        eps.solve().unwrap();
        let mut eigenvalues: Vec<f64> = (0..6).map(|i| eps.eigenvalue(i).unwrap()).collect();
        eigenvalues.sort_by(f64::total_cmp);
        assert!(
            eigenvalues[..3].iter().all(|l| l.abs() < 1e-8),
            "{eigenvalues:?}"
        );
        assert!(
            eigenvalues[3] > 1e-4,
            "a fourth soft or negative mode: {eigenvalues:?}"
        );
    }
}
