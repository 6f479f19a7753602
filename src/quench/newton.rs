//! Newton steps with the sparse Hessian.

use pinch_petsc::{Ksp, Session};

use crate::domain::Engine;
use crate::error::{Error, Result};
use crate::hessian;

/// Systems at least this large use algebraic multigrid by default.
pub const MULTIGRID_FROM: usize = 100_000;

/// Default solver of the Newton steps, unless set by the user: conjugate gradients, preconditioned by
/// incomplete Cholesky on each rank's block for small systems (cheap to set up; the iteration count
/// grows with the box length) and by algebraic multigrid (GAMG) from [`MULTIGRID_FROM`] particles on.
pub fn set_default_solver(session: &Session, n_particles: usize) -> Result<()> {
    session.set_default_option("-quench_ksp_type", "cg")?;
    if session.option("-quench_pc_type")?.is_none() {
        if n_particles >= MULTIGRID_FROM {
            session.set_default_option("-quench_pc_type", "gamg")?;
        } else {
            session.set_default_option("-quench_pc_type", "bjacobi")?;
            session.set_default_option("-quench_sub_pc_type", "icc")?;
        }
    }
    Ok(())
}

/// Line-search halvings tried before a Newton direction is given up.
const HALVINGS: usize = 6;

/// What the Newton phase did.
#[derive(Clone, Debug, PartialEq)]
pub struct NewtonInfo {
    /// Whether the force tolerance was reached.
    pub converged: bool,
    /// Newton steps taken.
    pub steps: usize,
    /// Krylov iterations in all.
    pub linear_iterations: usize,
    /// The largest force component at the end.
    pub max_force: f64,
    /// Why the phase stopped.
    pub stop_reason: String,
    /// Whether the supervisor stopped it.
    pub interrupted: bool,
}

/// Newton steps H u = F from the engine's configuration until the largest force component is below
/// `tolerance`, at most `max_steps` of them, or until `supervisor`, asked before every step with what
/// the phase has done so far, says stop.
///
/// The linear solver is a PETSc KSP with options prefix `quench_`, a relative tolerance equal to the
/// largest force component (at most 0.1), and by default
/// conjugate gradients preconditioned as [`set_default_solver`] says.
pub fn newton(
    session: &Session,
    engine: &mut Engine,
    tolerance: f64,
    max_steps: usize,
    supervisor: &mut dyn FnMut(&Engine, &NewtonInfo) -> Result<bool>,
) -> Result<NewtonInfo> {
    set_default_solver(session, engine.n_global())?;
    let mut forces = Vec::new();
    engine.forces(&mut forces);
    let norm2 = |engine: &Engine, forces: &[[f64; 3]]| {
        engine.sums(
            forces
                .iter()
                .map(|f| [f[0] * f[0] + f[1] * f[1] + f[2] * f[2]]),
        )[0]
    };
    let mut info = NewtonInfo {
        converged: false,
        steps: 0,
        linear_iterations: 0,
        max_force: engine.max_force(&forces),
        stop_reason: String::new(),
        interrupted: false,
    };
    let mut current = norm2(engine, &forces);
    loop {
        if info.max_force < tolerance {
            info.converged = true;
            info.stop_reason = "converged".into();
            return Ok(info);
        }
        if info.steps >= max_steps {
            info.stop_reason = "step limit".into();
            return Ok(info);
        }
        if supervisor(engine, &info)? {
            info.interrupted = true;
            info.stop_reason = "interrupted".into();
            return Ok(info);
        }
        info.steps += 1;
        let mut step = {
            let hessian = hessian::assemble(session, engine)?;
            let mut ksp = Ksp::new(session, &hessian.matrix, "quench_")?;
            // Inexact Newton: a relative residual of the order of the force keeps the convergence
            // quadratic, while the first steps, far from the minimum, need only a few Krylov iterations.
            ksp.set_tolerances(info.max_force.clamp(1e-14, 0.1), 1e-50, 100_000)?;
            ksp.set_from_options()?;
            let mut b = hessian.vector_from(&forces)?;
            hessian.null_space.remove_from(&mut b)?;
            let mut u = b.duplicate()?;
            match ksp.solve(&b, &mut u) {
                Ok(solve) => info.linear_iterations += solve.iterations as usize,
                Err(error @ pinch_petsc::Error::KspDiverged { .. }) => {
                    info.stop_reason = format!("the Newton solve failed: {error}");
                    return Ok(info);
                }
                Err(error) => return Err(Error::Petsc(error)),
            }
            hessian.null_space.remove_from(&mut u)?;
            hessian.field_from(&u)?
        };
        // Accept the step, or a fraction of it, when it lowers the force norm.
        let mut fraction = 1.0;
        let mut accepted = false;
        for _ in 0..=HALVINGS {
            engine.displace(
                &step
                    .iter()
                    .map(|u| u.map(|x| fraction * x))
                    .collect::<Vec<_>>(),
            );
            engine.forces_carrying(&mut forces, &mut [&mut step]);
            let trial = norm2(engine, &forces);
            if trial < current {
                current = trial;
                accepted = true;
                break;
            }
            engine.displace(
                &step
                    .iter()
                    .map(|u| u.map(|x| -fraction * x))
                    .collect::<Vec<_>>(),
            );
            fraction *= 0.5;
        }
        if !accepted {
            engine.forces(&mut forces);
            info.max_force = engine.max_force(&forces);
            info.stop_reason = "no fraction of the Newton step lowers the forces".into();
            return Ok(info);
        }
        info.max_force = engine.max_force(&forces);
        log::debug!(
            "Newton step {}: largest force {:e} (fraction {fraction})",
            info.steps,
            info.max_force
        );
    }
}
