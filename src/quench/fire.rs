//! FIRE 2.0 with semi-implicit Euler steps.

use serde::{Deserialize, Serialize};

use super::QuenchParameters;
use crate::domain::Engine;
use crate::error::Result;

// The standard FIRE constants (Bitzek et al. 2006; Guénolé et al. 2020).
const ALPHA_START: f64 = 0.25;
const ALPHA_SHRINK: f64 = 0.99;
const GROW: f64 = 1.1;
const SHRINK: f64 = 0.5;
const DELAY: usize = 20;
const MIN_TIME_STEP_FRACTION: f64 = 0.02;

/// Asked before every FIRE step with the state, the local velocities and the largest force; `true`
/// stops the run (after the caller wrote its checkpoint).
pub type FirePoll<'a> = dyn FnMut(&Engine, &FireState, &[[f64; 3]], f64) -> Result<bool> + 'a;
/// FIRE's state between steps: what a checkpoint must hold to continue a FIRE run bit for bit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FireState {
    /// Steps taken in this run of FIRE.
    pub steps: usize,
    /// The time step.
    pub time_step: f64,
    /// The mixing parameter.
    pub alpha: f64,
    /// Consecutive downhill steps.
    pub downhill_steps: usize,
}

impl FireState {
    /// The state at the start of a FIRE run.
    pub fn start(parameters: &QuenchParameters) -> Self {
        FireState {
            steps: 0,
            time_step: parameters.time_step,
            alpha: ALPHA_START,
            downhill_steps: 0,
        }
    }
}

/// What a FIRE run did.
#[derive(Clone, Debug, PartialEq)]
pub struct FireInfo {
    /// Steps taken (since the run's start, before any interruption included).
    pub steps: usize,
    /// Whether the largest force component fell below the threshold.
    pub reached: bool,
    /// Whether the supervisor stopped the run (its state then continues it).
    pub interrupted: bool,
    /// The largest force component at the end.
    pub max_force: f64,
}

/// Relaxes with FIRE from `state`, with the local particles' `velocities` (in local order; they migrate
/// with the particles), until the largest force component is below `threshold`, the run has taken
/// `max_steps` steps, or `supervisor` stops it. The supervisor is asked before every step, with the
/// largest force component.
pub fn fire(
    engine: &mut Engine,
    parameters: &QuenchParameters,
    threshold: f64,
    max_steps: usize,
    state: &mut FireState,
    velocities: &mut Vec<[f64; 3]>,
    supervisor: &mut FirePoll,
) -> Result<FireInfo> {
    let mut forces = Vec::with_capacity(engine.n_local());
    let mut displacements = Vec::with_capacity(engine.n_local());
    let dt_min = MIN_TIME_STEP_FRACTION * parameters.time_step;
    loop {
        // Particles migrate between ranks at list rebuilds: their velocities go with them.
        engine.forces_carrying(&mut forces, &mut [&mut *velocities]);
        displacements.resize(engine.n_local(), [0.0; 3]);
        let max_force = engine.max_force(&forces);
        let finished = max_force < threshold || state.steps >= max_steps;
        if finished || supervisor(engine, state, velocities, max_force)? {
            return Ok(FireInfo {
                steps: state.steps,
                reached: max_force < threshold,
                interrupted: !finished,
                max_force,
            });
        }
        let FireState {
            steps,
            time_step: mut dt,
            mut alpha,
            mut downhill_steps,
        } = *state;
        // Only values every rank already holds: logging is configured per rank, so nothing collective
        // may depend on it.
        if steps % 100 == 0 {
            let [f2, hot] = engine.sums(forces.iter().map(|f| {
                let f2 = f[0] * f[0] + f[1] * f[1] + f[2] * f[2];
                [f2, if f2 > threshold * threshold { 1.0 } else { 0.0 }]
            }));
            log::debug!(
                "FIRE step {steps}: largest force {max_force:.3e}, rms force {:.3e}, {hot} particles above the threshold, dt {dt:.4e}, alpha {alpha:.3}, list builds {}",
                (f2 / engine.n_global() as f64).sqrt(),
                engine.builds()
            );
        }
        let [power] = engine.sums(
            forces
                .iter()
                .zip(velocities.iter())
                .map(|(f, v)| [f[0] * v[0] + f[1] * v[1] + f[2] * v[2]]),
        );
        if power > 0.0 {
            downhill_steps += 1;
            if downhill_steps > DELAY {
                dt = (dt * GROW).min(parameters.max_time_step);
                alpha *= ALPHA_SHRINK;
            }
        } else {
            downhill_steps = 0;
            if steps >= DELAY {
                dt = (dt * SHRINK).max(dt_min);
            }
            alpha = ALPHA_START;
            // Go back half a step and stop.
            let back: Vec<[f64; 3]> = velocities
                .iter()
                .map(|v| v.map(|x| -0.5 * dt * x))
                .collect();
            engine.displace(&back);
            velocities.iter_mut().for_each(|v| *v = [0.0; 3]);
        }
        for (v, f) in velocities.iter_mut().zip(&forces) {
            for a in 0..3 {
                v[a] += dt * f[a];
            }
        }
        if power > 0.0 {
            let [v2, f2] = engine.sums(velocities.iter().zip(&forces).map(|(v, f)| {
                [
                    v[0] * v[0] + v[1] * v[1] + v[2] * v[2],
                    f[0] * f[0] + f[1] * f[1] + f[2] * f[2],
                ]
            }));
            let mix = if f2 > 0.0 {
                alpha * (v2 / f2).sqrt()
            } else {
                0.0
            };
            for (v, f) in velocities.iter_mut().zip(&forces) {
                for a in 0..3 {
                    v[a] = (1.0 - alpha) * v[a] + mix * f[a];
                }
            }
        }
        // Cap each particle's displacement, scaling its velocity with it: otherwise a particle held back
        // by the cap keeps gathering velocity it never spends. A per-particle cap (rather than one global
        // factor) lets all regions relax at their own pace: in a large random configuration some
        // overlap is always extreme, and a global factor would make everything else crawl.
        let max_speed = parameters.max_step_length / dt;
        for (d, v) in displacements.iter_mut().zip(velocities.iter_mut()) {
            let speed2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
            if speed2 > max_speed * max_speed {
                let factor = max_speed / speed2.sqrt();
                *v = v.map(|x| x * factor);
            }
            *d = v.map(|x| dt * x);
        }
        engine.displace(&displacements);
        *state = FireState {
            steps: steps + 1,
            time_step: dt,
            alpha,
            downhill_steps,
        };
    }
}
