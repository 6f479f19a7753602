//! Checkpoints of equilibration runs, and the run files they share their layout with.
//!
//! A checkpoint is a pinch H5MD file (so `pinch inspect` and h5py read it) holding the configuration
//! *in the sampler's frame* (the starting frame translated by `shift`, which resuming needs bit for bit),
//! each particle's `travel`, the time series so far, the F_s accumulators and time origins, and in
//! `/checkpoint` the sampler state as JSON. Files are written atomically: a kill at any moment leaves
//! the previous checkpoint intact.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::equilibration::{Record, Schedule};
use super::{Resumed, SamplerState, SwapParameters, TimeOrigin};
use crate::error::{Error, Result};
use crate::io::h5md::{self, Array, Extras};
use crate::io::layout;
use crate::model::{Configuration, ModelParameters};
use crate::provenance::Provenance;

/// Everything about a run that is not per particle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    /// The seed of the trajectory.
    pub seed: u64,
    /// Swap Monte Carlo parameters.
    pub parameters: SwapParameters,
    /// The schedule.
    pub schedule: Schedule,
    /// The sampler's state.
    pub sampler: SamplerState,
    /// The wavenumber of F_s [1/λ_min].
    pub wavenumber: f64,
}

/// A checkpoint as read back.
pub struct Checkpoint {
    /// The configuration in the sampler's frame.
    pub configuration: Configuration,
    /// The model.
    pub model: ModelParameters,
    /// The run's state.
    pub run: RunState,
    /// Travel and time origins.
    pub resumed: Resumed,
    /// The measurements so far.
    pub record: Record,
    /// The scalar observables stored with it (a campaign chain keeps its progress there).
    pub observables: Map<String, Value>,
}

const TIME_SERIES: &str = "observables/equilibration";
const SCATTERING: &str = "observables/self_intermediate_scattering";
const INHERENT: &str = "observables/inherent_energy";
const ORIGIN_COS: &str = "checkpoint/origin_cos";
const ORIGIN_SIN: &str = "checkpoint/origin_sin";
const OLD_ORIGINS: &str = "checkpoint/origins";

/// The datasets of a record: time series and F_s (accumulators and the averaged curve).
pub fn record_arrays<'a>(
    record: &'a Record,
    lags: usize,
    curve: &'a (Vec<u64>, Vec<f64>),
) -> Vec<(String, Array<'a>)> {
    let n = record.sweep.len();
    let epochs = record.fs_sum.len() / lags;
    let series = |name: &str, values: &'a [f64]| {
        (format!("{TIME_SERIES}/{name}"), Array::F64(values, vec![n]))
    };
    let mut arrays = vec![
        (
            format!("{TIME_SERIES}/sweep"),
            Array::U64(&record.sweep, vec![n]),
        ),
        series("energy_per_particle", &record.energy_per_particle),
        series("pressure", &record.pressure),
        series("translation_acceptance", &record.translation_acceptance),
        series("swap_acceptance", &record.swap_acceptance),
        series("step_size", &record.step_size),
        (
            format!("{SCATTERING}/lag"),
            Array::U64(&curve.0, vec![curve.0.len()]),
        ),
        (
            format!("{SCATTERING}/value"),
            Array::F64(&curve.1, vec![curve.1.len()]),
        ),
        (
            format!("{SCATTERING}/sum"),
            Array::F64(&record.fs_sum, vec![epochs, lags]),
        ),
        (
            format!("{SCATTERING}/origins"),
            Array::U64(&record.fs_count, vec![epochs, lags]),
        ),
    ];
    if !record.inherent_sweep.is_empty() {
        let k = record.inherent_sweep.len();
        arrays.push((
            format!("{INHERENT}/sweep"),
            Array::U64(&record.inherent_sweep, vec![k]),
        ));
        arrays.push((
            format!("{INHERENT}/energy_per_particle"),
            Array::F64(&record.inherent_energy_per_particle, vec![k]),
        ));
    }
    arrays
}

/// Writes a run file or a checkpoint: `configuration` with `observables`, the record, the parameters
/// and, for a checkpoint (`resumed` given), everything needed to continue.
#[allow(clippy::too_many_arguments)]
pub fn write(
    path: &Path,
    configuration: &Configuration,
    model: &ModelParameters,
    run: &RunState,
    record: &Record,
    observables: Map<String, Value>,
    resumed: Option<&Resumed>,
    provenance: &Provenance,
) -> Result<()> {
    // The stationarity verdict, with its reason in words, as attributes of its own group.
    let verdict = record.stationarity(&run.schedule);
    let curve: (Vec<u64>, Vec<f64>) = record
        .self_intermediate_scattering(&run.schedule, record.sweep.last().copied().unwrap_or(0) / 2)
        .into_iter()
        .unzip();
    let mut arrays = record_arrays(record, run.schedule.lags(), &curve);
    let n = configuration.len();
    let mut attribute_groups = vec![
        layout::group(layout::STATIONARITY, &verdict),
        layout::group(layout::SWAP_MONTE_CARLO, &run.parameters),
        layout::group(layout::EQUILIBRATION, &run.schedule),
    ];
    let origin_sweeps: Vec<u64>;
    let origin_cos: Vec<f64>;
    let origin_sin: Vec<f64>;
    let built_at: Vec<f64>;
    let mut per_particle = Vec::new();
    if let Some(resumed) = resumed {
        let mut state = Map::new();
        state.insert(
            "state".into(),
            Value::String(serde_json::to_string(run).expect("state serialises")),
        );
        state.insert(
            "frame".into(),
            "positions are in the sampler's frame: the starting frame translated by sampler.shift"
                .into(),
        );
        // The epoch of F_s's accumulators (checkpoints written before it was stored used `max_lag`).
        state.insert("fs_epoch_length".into(), run.schedule.epoch_length().into());
        attribute_groups.push(("checkpoint".to_owned(), Value::Object(state)));
        origin_sweeps = resumed.origins.iter().map(|origin| origin.sweep).collect();
        let flat = |phase: fn(&TimeOrigin) -> &Vec<[f64; 3]>| -> Vec<f64> {
            resumed
                .origins
                .iter()
                .flat_map(|origin| phase(origin).iter().flatten().copied())
                .collect()
        };
        origin_cos = flat(|origin| &origin.cos);
        origin_sin = flat(|origin| &origin.sin);
        let shape = vec![origin_sweeps.len(), n, 3];
        arrays.push((
            "checkpoint/origin_sweeps".into(),
            Array::U64(&origin_sweeps, vec![origin_sweeps.len()]),
        ));
        arrays.push((ORIGIN_COS.into(), Array::F64(&origin_cos, shape.clone())));
        arrays.push((ORIGIN_SIN.into(), Array::F64(&origin_sin, shape)));
        per_particle.push(("travel", resumed.travel.as_slice()));
        built_at = resumed
            .built_at
            .iter()
            .flatten()
            .flatten()
            .copied()
            .collect();
        if !built_at.is_empty() {
            arrays.push((
                "checkpoint/positions_at_build".into(),
                Array::F64(&built_at, vec![n, 3]),
            ));
        }
    }
    let extras = Extras {
        observables,
        per_particle,
        arrays,
        attribute_groups,
        ..Default::default()
    };
    h5md::write(path, configuration, model, provenance, &extras)
}

/// F_s accumulators by epochs of `from` sweeps, summed into epochs of `to` sweeps: each old epoch
/// joins the new epoch holding its first sweep. Its origins are thereby dated no later than they
/// were, so a window never counts an origin from before its start.
fn regroup(
    sum: Vec<f64>,
    count: Vec<u64>,
    lags: usize,
    from: u64,
    to: u64,
) -> (Vec<f64>, Vec<u64>) {
    if from == to || sum.is_empty() {
        return (sum, count);
    }
    let mut new_sum = Vec::new();
    let mut new_count = Vec::new();
    for (epoch, (sums, counts)) in sum
        .chunks_exact(lags)
        .zip(count.chunks_exact(lags))
        .enumerate()
    {
        let target = (epoch as u64 * from / to) as usize;
        if new_sum.len() < (target + 1) * lags {
            new_sum.resize((target + 1) * lags, 0.0);
            new_count.resize((target + 1) * lags, 0);
        }
        for k in 0..lags {
            new_sum[target * lags + k] += sums[k];
            new_count[target * lags + k] += counts[k];
        }
    }
    (new_sum, new_count)
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
    let (run, state): (RunState, _) = h5md::read_checkpoint_state(path, "equilibration")?;
    run.parameters
        .validate()
        .map_err(|error| Error::Parameter {
            origin: format!("{name}:/checkpoint"),
            error,
        })?;
    let f64s = |member: &str, expected: usize| -> Result<Vec<f64>> {
        let (values, _) = h5md::read_array_f64(path, member)?
            .ok_or_else(|| fail(format!("missing dataset {member}")))?;
        if values.len() != expected {
            return Err(fail(format!(
                "dataset {member} holds {} values, expected {expected}",
                values.len()
            )));
        }
        Ok(values)
    };
    let u64s = |member: &str| -> Result<Vec<u64>> {
        Ok(h5md::read_array_u64(path, member)?
            .ok_or_else(|| fail(format!("missing dataset {member}")))?
            .0)
    };
    let triples = |flat: Vec<f64>| -> Vec<[f64; 3]> {
        flat.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect()
    };
    let travel = triples(f64s("particles/all/travel", 3 * n)?);
    let built_at = match h5md::read_array_f64(path, "checkpoint/positions_at_build")? {
        Some(_) => Some(triples(f64s("checkpoint/positions_at_build", 3 * n)?)),
        None => None,
    };
    let origin_sweeps = u64s("checkpoint/origin_sweeps")?;
    // One array of triples per origin, or `None` if the file does not hold `member`.
    let per_origin = |member: &str| -> Result<Option<Vec<Vec<[f64; 3]>>>> {
        let Some((flat, _)) = h5md::read_array_f64(path, member)? else {
            return Ok(None);
        };
        let expected = 3 * n * origin_sweeps.len();
        if flat.len() != expected {
            return Err(fail(format!(
                "dataset {member} holds {} values, expected {expected}",
                flat.len()
            )));
        }
        Ok(Some(
            flat.chunks_exact((3 * n).max(1))
                .take(origin_sweeps.len())
                .map(|chunk| triples(chunk.to_vec()))
                .collect(),
        ))
    };
    let missing = |member: &str| fail(format!("missing dataset {member}"));
    let origins = match per_origin(ORIGIN_COS)? {
        Some(cos) => {
            let sin = per_origin(ORIGIN_SIN)?.ok_or_else(|| missing(ORIGIN_SIN))?;
            origin_sweeps
                .iter()
                .zip(cos.into_iter().zip(sin))
                .map(|(&sweep, (cos, sin))| TimeOrigin { sweep, cos, sin })
                .collect()
        }
        // Checkpoints written before the phases were kept hold the travel at each origin.
        None => origin_sweeps
            .iter()
            .zip(per_origin(OLD_ORIGINS)?.ok_or_else(|| missing(ORIGIN_COS))?)
            .map(|(&sweep, travel)| TimeOrigin::new(sweep, &travel, run.wavenumber))
            .collect(),
    };
    let sweep = u64s(&format!("{TIME_SERIES}/sweep"))?;
    let m = sweep.len();
    let lags = run.schedule.lags();
    // F_s accumulators: (epochs, lags), possibly empty.
    let fs_sum = h5md::read_array_f64(path, &format!("{SCATTERING}/sum"))?
        .map_or(Vec::new(), |(values, _)| values);
    let fs_count = h5md::read_array_u64(path, &format!("{SCATTERING}/origins"))?
        .map_or(Vec::new(), |(values, _)| values);
    if fs_sum.len() % lags != 0 || fs_count.len() != fs_sum.len() {
        return Err(fail(format!(
            "{SCATTERING}/sum and origins hold {} and {} values, not whole epochs of {lags} lags",
            fs_sum.len(),
            fs_count.len()
        )));
    }
    let stored_epoch = state
        .get("fs_epoch_length")
        .and_then(Value::as_u64)
        .unwrap_or(run.schedule.max_lag);
    let (fs_sum, fs_count) = regroup(
        fs_sum,
        fs_count,
        lags,
        stored_epoch,
        run.schedule.epoch_length(),
    );
    let inherent_sweep = h5md::read_array_u64(path, &format!("{INHERENT}/sweep"))?
        .map_or(Vec::new(), |(values, _)| values);
    let inherent_energy_per_particle = if inherent_sweep.is_empty() {
        Vec::new()
    } else {
        f64s(
            &format!("{INHERENT}/energy_per_particle"),
            inherent_sweep.len(),
        )?
    };
    let record = Record {
        energy_per_particle: f64s(&format!("{TIME_SERIES}/energy_per_particle"), m)?,
        pressure: f64s(&format!("{TIME_SERIES}/pressure"), m)?,
        translation_acceptance: f64s(&format!("{TIME_SERIES}/translation_acceptance"), m)?,
        swap_acceptance: f64s(&format!("{TIME_SERIES}/swap_acceptance"), m)?,
        step_size: f64s(&format!("{TIME_SERIES}/step_size"), m)?,
        fs_sum,
        fs_count,
        sweep,
        inherent_sweep,
        inherent_energy_per_particle,
    };
    let model = stored
        .model
        .ok_or_else(|| fail("no /parameters/model".into()))?;
    Ok(Checkpoint {
        configuration: stored.configuration,
        model,
        resumed: Resumed {
            state: run.sampler.clone(),
            travel,
            origins,
            built_at,
        },
        run,
        record,
        observables: stored.observables,
    })
}

#[cfg(test)]
mod tests {
    use super::regroup;

    #[test]
    fn old_epochs_join_the_new_epoch_of_their_first_sweep() {
        // Two lags; old epochs of 30,000 sweeps regrouped into epochs of 3,000: old epoch e starts at
        // 30,000 e, the first sweep of new epoch 10 e.
        let sum = vec![1.0, 0.5, 2.0, 1.5];
        let count = vec![4, 4, 2, 2];
        let (new_sum, new_count) = regroup(sum.clone(), count.clone(), 2, 30_000, 3000);
        assert_eq!(new_sum.len(), 22);
        assert_eq!(&new_sum[..2], &[1.0, 0.5]);
        assert_eq!(&new_sum[20..], &[2.0, 1.5]);
        assert_eq!(&new_count[20..], &[2, 2]);
        assert!(new_sum[2..20].iter().all(|&v| v == 0.0));
        // Equal epochs leave the accumulators as they are.
        assert_eq!(regroup(sum.clone(), count, 2, 3000, 3000).0, sum);
    }
}
