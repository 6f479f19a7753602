//! FIRE 2.0 with semi-implicit Euler steps.

use super::QuenchParameters;
use crate::domain::Engine;

// The standard FIRE constants (Bitzek et al. 2006; Guénolé et al. 2020).
const ALPHA_START: f64 = 0.25;
const ALPHA_SHRINK: f64 = 0.99;
const GROW: f64 = 1.1;
const SHRINK: f64 = 0.5;
const DELAY: usize = 20;
const MIN_TIME_STEP_FRACTION: f64 = 0.02;

/// What a FIRE run did.
#[derive(Clone, Debug, PartialEq)]
pub struct FireInfo {
    /// Steps taken.
    pub steps: usize,
    /// Whether the largest force component fell below the threshold.
    pub reached: bool,
    /// The largest force component at the end.
    pub max_force: f64,
}

/// Relaxes with FIRE until the largest force component is below `threshold` or `max_steps` are done.
pub fn fire(
    engine: &mut Engine,
    parameters: &QuenchParameters,
    threshold: f64,
    max_steps: usize,
) -> FireInfo {
    let n = engine.n_local();
    let mut velocities = vec![[0.0; 3]; n];
    let mut forces = Vec::with_capacity(n);
    let mut displacements = vec![[0.0; 3]; n];
    let mut dt = parameters.time_step;
    let dt_min = MIN_TIME_STEP_FRACTION * parameters.time_step;
    let mut alpha = ALPHA_START;
    let mut downhill_steps = 0;
    let mut steps = 0;
    loop {
        // Particles migrate between ranks at list rebuilds: their velocities go with them.
        engine.forces_carrying(&mut forces, &mut [&mut velocities]);
        displacements.resize(engine.n_local(), [0.0; 3]);
        let max_force = engine.max(forces.iter().flatten().map(|f| f.abs()));
        if max_force < threshold || steps >= max_steps {
            return FireInfo {
                steps,
                reached: max_force < threshold,
                max_force,
            };
        }
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
                .zip(&velocities)
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
        steps += 1;
    }
}
