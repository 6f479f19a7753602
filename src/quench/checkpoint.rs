//! Checkpoints of a quench.
//!
//! A checkpoint is a pinch H5MD file (so `pinch inspect`, h5py and OVITO read it) holding the
//! configuration, and in `/checkpoint` what continuing the quench bit for bit needs: the positions as
//! the engine holds them (not wrapped into the box since the last list build), the positions at that
//! build (the order of every per-particle sum depends on the lists), the FIRE velocities, and as JSON
//! the quench's progress, its parameters and the Verlet skin. Written atomically: a kill at any moment
//! leaves the previous checkpoint intact.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use mpi::topology::SimpleCommunicator;

use super::{QuenchParameters, QuenchProgress};
use crate::domain::Engine;
use crate::error::{Error, Result};
use crate::io::h5md::{self, Array, Extras};
use crate::model::{Configuration, ModelParameters};
use crate::provenance::Provenance;

/// Everything about a quench in a checkpoint that is not per particle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuenchState {
    /// The quench's parameters.
    pub parameters: QuenchParameters,
    /// The Verlet skin of the engine's lists.
    pub skin: f64,
    /// Where the quench stands.
    pub progress: QuenchProgress,
}

/// A checkpoint as read back (per-particle arrays in id order).
pub struct Checkpoint {
    /// The configuration, with the positions as the engine held them.
    pub configuration: Configuration,
    /// The positions at the last list build.
    pub positions_at_build: Vec<[f64; 3]>,
    /// FIRE velocities (empty between Newton steps).
    pub velocities: Vec<[f64; 3]>,
    /// The model.
    pub model: ModelParameters,
    /// The quench's state.
    pub state: QuenchState,
}

/// A quench ready to continue: the engine as the interrupted run held it, and what
/// [`super::quench_supervised`] takes to resume (the progress and the local FIRE velocities).
pub struct Restored<'c> {
    /// The engine, its lists built at the positions of the last build and its particles where they
    /// were.
    pub engine: Engine<'c>,
    /// Where the quench stands.
    pub progress: QuenchProgress,
    /// The local particles' FIRE velocities, in local order (empty between Newton steps).
    pub velocities: Vec<[f64; 3]>,
}

impl Checkpoint {
    /// The engine and state to continue this quench on `comm`: the lists as the interrupted run had
    /// them, so that FIRE follows the uninterrupted trajectory bit for bit. Collective.
    pub fn restore<'c>(self, comm: &'c SimpleCommunicator) -> Result<Restored<'c>> {
        let at_build = Configuration {
            positions: self.positions_at_build,
            ..self.configuration.clone()
        };
        let potential = self.model.potential();
        let mut engine = Engine::new(comm, &at_build, potential, self.state.skin)?;
        let positions = &self.configuration.positions;
        engine.set_local_positions(|id| positions[id as usize]);
        let velocities = if self.velocities.is_empty() {
            Vec::new()
        } else {
            let local = engine.local_ids().iter();
            local.map(|&id| self.velocities[id as usize]).collect()
        };
        Ok(Restored {
            engine,
            progress: self.state.progress,
            velocities,
        })
    }
}

/// Writes a checkpoint: `configuration` with positions as the engine holds them, the positions at the
/// last list build and the FIRE `velocities` (empty between Newton steps), all in id order.
pub fn write(
    path: &Path,
    configuration: &Configuration,
    positions_at_build: &[[f64; 3]],
    velocities: &[[f64; 3]],
    model: &ModelParameters,
    state: &QuenchState,
    provenance: &Provenance,
) -> Result<()> {
    let n = configuration.len();
    let flat = |values: &[[f64; 3]]| -> Vec<f64> { values.iter().flatten().copied().collect() };
    let positions = flat(&configuration.positions);
    let built_at = flat(positions_at_build);
    let velocities = flat(velocities);
    let mut arrays = vec![
        (
            "checkpoint/positions".to_owned(),
            Array::F64(&positions, vec![n, 3]),
        ),
        (
            "checkpoint/positions_at_build".to_owned(),
            Array::F64(&built_at, vec![n, 3]),
        ),
    ];
    if !velocities.is_empty() {
        arrays.push((
            "checkpoint/velocities".to_owned(),
            Array::F64(&velocities, vec![n, 3]),
        ));
    }
    let mut attributes = Map::new();
    attributes.insert(
        "state".into(),
        Value::String(serde_json::to_string(state).expect("the quench state serialises")),
    );
    attributes.insert(
        "phase".into(),
        if state.progress.fire.is_some() {
            "FIRE"
        } else {
            "Newton"
        }
        .into(),
    );
    let mut observables = Map::new();
    observables.insert("max_force".into(), state.progress.info.max_force.into());
    observables.insert("quench_converged".into(), false.into());
    let mut extras = Extras {
        observables,
        arrays,
        attribute_groups: vec![("checkpoint".to_owned(), Value::Object(attributes))],
        ..Default::default()
    };
    extras.group(crate::io::layout::QUENCH, &state.parameters);
    // The configuration proper, for viewers, in the box.
    let l = configuration.box_length;
    let wrapped = Configuration {
        positions: configuration
            .positions
            .iter()
            .map(|x| x.map(|c| crate::model::wrap_coordinate(c, l)))
            .collect(),
        ..configuration.clone()
    };
    h5md::write(path, &wrapped, model, provenance, &extras)
}

/// Reads a checkpoint written by [`write`].
pub fn read(path: &Path) -> Result<Checkpoint> {
    let name = path.display().to_string();
    let fail = |message: String| Error::Hdf5 {
        path: name.clone(),
        message,
    };
    let stored = h5md::read(path)?;
    let n = stored.configuration.len();
    let (state, _): (QuenchState, _) = h5md::read_checkpoint_state(path, "quench")?;
    state
        .parameters
        .validate()
        .map_err(|error| Error::Parameter {
            origin: format!("{name}:/checkpoint"),
            error,
        })?;
    let triples = |member: &str, required: bool| -> Result<Vec<[f64; 3]>> {
        match h5md::read_array_f64(path, member)? {
            Some((values, _)) if values.len() == 3 * n => {
                Ok(values.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect())
            }
            Some((values, _)) => Err(fail(format!(
                "dataset {member} holds {} values, expected {}",
                values.len(),
                3 * n
            ))),
            None if required => Err(fail(format!("missing dataset {member}"))),
            None => Ok(Vec::new()),
        }
    };
    let positions = triples("checkpoint/positions", true)?;
    let positions_at_build = triples("checkpoint/positions_at_build", true)?;
    let velocities = triples("checkpoint/velocities", state.progress.fire.is_some())?;
    let model = stored
        .model
        .ok_or_else(|| fail("no /parameters/model".into()))?;
    Ok(Checkpoint {
        configuration: Configuration {
            positions,
            ..stored.configuration
        },
        positions_at_build,
        velocities,
        model,
        state,
    })
}
