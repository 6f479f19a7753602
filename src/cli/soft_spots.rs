//! `pinch plot --soft-spots`: the paper's Fig. 1 in three dimensions. For two glasses (by default one
//! of the highest and one of the lowest T_p of a campaign), every interacting pair is pinched and the
//! lowest modes are kept with their vectors; the lowest quasilocalised mode (QLM) and the pinch
//! response of the pair at its core are written as displacement fields. The figure script draws the
//! rest (docs/soft-spots.md).

use std::path::{Path, PathBuf};

use pinch_petsc::Session;
use serde_json::{Value, json};

use super::{EngineArgs, LoadedConfiguration, build_engine};
use crate::analysis::AnalysisOptions;
use crate::analysis::softness::{
    core_pair, core_size, lowest_transverse_phonon, quasilocalised_modes, softness_percentile,
};
use crate::campaign::store;
use crate::error::{Error, Result};
use crate::io::layout::{dipoles, modes};
use crate::io::{self, fields};
use crate::modes::ModesRequest;
use crate::response::ResponseSolver;
use crate::response::dipoles::{DipoleRequest, pinch_responses};
use crate::response::elastic::elastic_constants;
use crate::sample::{Measurements, SampleRecord, Stages, measure};

/// Modes computed per glass at least; more where needed to reach past the lowest transverse phonon.
pub const MODES: usize = 50;

/// A glass to draw: where its inherent state is stored and how the figure names it.
#[derive(Clone, Debug, PartialEq)]
pub struct Glass {
    /// The file holding it.
    pub file: PathBuf,
    /// The group below which it is stored, e.g. `samples/N1000-T0.55-chain0-sample3` for a campaign
    /// entry; empty for a sample file.
    pub group: String,
    /// The name of its files.
    pub name: String,
    /// Its parent temperature, where known.
    pub parent_temperature: Option<f64>,
}

/// What one glass's figure reads: the measurement (modes with vectors, elastic constants, every
/// pinch with the softness map) and the fields (the lowest QLM and its core pair's response).
#[derive(Clone, Debug)]
pub struct Measured {
    /// The glass.
    pub glass: Glass,
    /// Its measurement file.
    pub measurement: PathBuf,
    /// Its fields file.
    pub fields: PathBuf,
}

/// The glasses named by `chosen` (campaign sample ids or sample files), or else one sample of the
/// highest and one of the lowest T_p of the smallest N of the campaign in `directory`.
pub fn choose(directory: Option<&Path>, chosen: &[String]) -> Result<Vec<Glass>> {
    let inventory = match directory {
        Some(directory) => store::scan(&directory.join(crate::campaign::run::RESULTS))?,
        None => store::Inventory::default(),
    };
    let shown = directory.map_or_else(|| "(no campaign)".to_owned(), |d| d.display().to_string());
    let complete: Vec<(&String, &store::Found)> = inventory
        .samples
        .iter()
        .filter(|(_, found)| found.status() == store::COMPLETE)
        .collect();
    let entry = |id: &String, found: &store::Found| Glass {
        file: found.path.clone(),
        group: format!("{}/{id}", store::Kind::Sample.group()),
        name: id.clone(),
        parent_temperature: found.number("parent_temperature"),
    };
    if !chosen.is_empty() {
        return chosen
            .iter()
            .map(|spec| {
                if let Some((id, found)) = complete.iter().find(|(id, _)| *id == spec) {
                    return Ok(entry(id, found));
                }
                let path = PathBuf::from(spec);
                if path.is_file() {
                    let stored = io::h5md::read(&path)?;
                    let name = path
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_else(|| spec.clone());
                    return Ok(Glass {
                        file: path,
                        group: String::new(),
                        name,
                        parent_temperature: ["parent_temperature", "liquid_parent_temperature"]
                            .iter()
                            .find_map(|key| stored.observables.get(*key).and_then(Value::as_f64)),
                    });
                }
                Err(Error::Usage(format!(
                    "--soft-spot-samples: {spec} is neither a complete sample of the campaign in {shown} nor a sample file"
                )))
            })
            .collect();
    }
    let smallest = complete
        .iter()
        .filter_map(|(_, found)| found.number("n_particles"))
        .fold(f64::INFINITY, f64::min);
    let of_size: Vec<_> = complete
        .iter()
        .filter(|(_, found)| found.number("n_particles") == Some(smallest))
        .filter(|(_, found)| found.number("parent_temperature").is_some())
        .collect();
    let temperature = |found: &store::Found| found.number("parent_temperature").unwrap_or(f64::NAN);
    // The first sample (by name) of the extreme T_p.
    let hottest = of_size
        .iter()
        .min_by(|a, b| temperature(b.1).total_cmp(&temperature(a.1)));
    let coldest = of_size
        .iter()
        .min_by(|a, b| temperature(a.1).total_cmp(&temperature(b.1)));
    match (hottest, coldest) {
        (Some(h), Some(c)) if temperature(h.1) > temperature(c.1) => {
            Ok(vec![entry(h.0, h.1), entry(c.0, c.1)])
        }
        _ => Err(Error::Usage(format!(
            "{shown} holds no complete samples at two parent temperatures of one N; name the glasses with --soft-spot-samples"
        ))),
    }
}

fn load(glass: &Glass) -> Result<LoadedConfiguration> {
    let stored = if glass.group.is_empty() {
        io::h5md::read(&glass.file)?
    } else {
        io::h5md::read_entry(&glass.file, &glass.group)?
    };
    Ok(LoadedConfiguration {
        configuration: stored.configuration,
        parameters: stored.model.unwrap_or_default(),
        model_source: "file".into(),
        format: io::Format::Hdf5,
        provenance: stored.provenance,
        observables: stored.observables,
    })
}

/// Measures `glass` into `directory` (skipped where its files exist). Collective.
pub fn measure_glass(
    session: &Session,
    glass: &Glass,
    directory: &Path,
    engine_args: &EngineArgs,
) -> Result<Measured> {
    let measured = Measured {
        glass: glass.clone(),
        measurement: directory.join(format!("{}.h5", glass.name)),
        fields: directory.join(format!("{}-fields.h5", glass.name)),
    };
    if measured.measurement.exists() && measured.fields.exists() {
        return Ok(measured);
    }
    let loaded = load(glass)?;
    let mut engine = build_engine(session, &loaded, engine_args)?;
    let source = PathBuf::from(format!("{}:/{}", glass.file.display(), glass.group));
    super::measure::check_inherent_state(&mut engine, &source)?;
    let phonon = lowest_phonon(session, &mut engine)?;
    let bin_width = Measurements::default().profile_bin_width;
    let stages = Stages {
        modes: Some(ModesRequest {
            count: MODES,
            max_frequency: Some(phonon),
            vectors: true,
            profile_bin_width: bin_width,
        }),
        elastic: true,
        dipoles: Some(DipoleRequest {
            count: None,
            seed: 1,
            batch: Measurements::default().dipole_batch,
            profile_bin_width: bin_width,
        }),
    };
    let mut record = SampleRecord {
        observables: loaded.observables.clone(),
        ..Default::default()
    };
    log::info!(
        "{}: {MODES} modes and every interacting pair's pinch",
        glass.name
    );
    let stable = measure(session, &mut engine, &stages, &mut record)?;
    super::measure::finish(
        session,
        &engine,
        &measured.measurement,
        &loaded.parameters,
        record,
        stable,
    )?;
    // Rank 0 chooses the mode and its core pair from the file it wrote; every rank solves for it.
    let choice = (session.rank() == 0).then(|| choose_qlm(&measured.measurement, &loaded, phonon));
    let mut words = [0.0; 3];
    if let Some(Ok(QlmChoice {
        core: Some((_, pair)),
        ..
    })) = &choice
    {
        words = [1.0, pair[0] as f64, pair[1] as f64];
    }
    let words = engine.sums([words]);
    let responses = if words[0] == 1.0 {
        pinch_responses(session, &mut engine, &[[words[1] as u64, words[2] as u64]])?
    } else {
        Vec::new()
    };
    let Some(choice) = choice else {
        return Ok(measured);
    };
    let choice = choice?;
    let mut drawn = Vec::new();
    if let (Some((k, _)), Some(response)) = (choice.core, responses.first()) {
        let mut mode = fields::stored_mode(&measured.measurement, k)?;
        for (key, value) in [
            ("quasilocalised_modes", json!(choice.qlms)),
            ("core_sizes", json!(choice.core_sizes)),
            ("centre_softness_percentiles", json!(choice.percentiles)),
            ("lowest_transverse_phonon", json!(phonon)),
            ("qlm_participation_threshold", json!(qlm_participation())),
        ] {
            mode.info.insert(key.into(), value);
        }
        let displacement = response
            .displacement
            .clone()
            .expect("rank 0 holds the response");
        let mut response = fields::response_field(response, displacement);
        response.info.insert("mode".into(), json!(k));
        drawn = vec![mode, response];
    } else {
        log::warn!(
            "{}: no quasilocalised mode below the lowest transverse phonon (omega = {:.4}); its map has no QLMs",
            glass.name,
            phonon
        );
    }
    fields::write(
        &measured.fields,
        &loaded.configuration,
        &loaded.parameters,
        &drawn,
        &fields::stored_softness(&measured.measurement)?,
    )?;
    Ok(measured)
}

/// The lowest transverse phonon frequency of the engine's glass, from its own athermal G, so that
/// every mode below it is computed. Collective.
fn lowest_phonon(session: &Session, engine: &mut crate::domain::Engine) -> Result<f64> {
    let hessian = crate::hessian::assemble(session, engine)?;
    let mut solver = ResponseSolver::new(session, &hessian, engine.n_global())?;
    let shear = elastic_constants(engine, &mut solver)?.mean_shear();
    let l = engine.decomposition().box_length;
    let density = engine.n_global() as f64 / l.powi(3);
    Ok(lowest_transverse_phonon(shear, density, l))
}

/// The participation ratio below which a mode under the phonon is quasilocalised: that of
/// `pinch analyze`.
fn qlm_participation() -> f64 {
    AnalysisOptions::default().qlm_participation
}

/// The QLMs of a measured glass and the one drawn.
struct QlmChoice {
    /// Indices of the modes below the phonon with participation ratio under [`qlm_participation`].
    qlms: Vec<usize>,
    /// Their core sizes a0 (eN)^{1/3}.
    core_sizes: Vec<f64>,
    /// Where their centres rank in the softness map (0: the softest particle).
    percentiles: Vec<Option<f64>>,
    /// The lowest QLM and the interacting pair at its core, if there is a QLM.
    core: Option<(usize, [u64; 2])>,
}

/// The QLMs of the measurement file `path` (modes below `phonon`) and the pair at the lowest one's
/// core.
fn choose_qlm(path: &Path, loaded: &LoadedConfiguration, phonon: f64) -> Result<QlmChoice> {
    let fail = |message: String| Error::Hdf5 {
        path: path.display().to_string(),
        message,
    };
    let read = |member: &str| {
        io::h5md::read_array_f64(path, member)?
            .map(|(values, _)| values)
            .ok_or_else(|| fail(format!("holds no {member}")))
    };
    let frequencies = read(modes::FREQUENCIES)?;
    let participation = read(modes::PARTICIPATION_RATIOS)?;
    let local_omega = read(dipoles::LOCAL_OMEGA_MIN)?;
    let (centres, _) = io::h5md::read_array_u64(path, modes::CENTRES)?
        .ok_or_else(|| fail(format!("holds no {}", modes::CENTRES)))?;
    let configuration = &loaded.configuration;
    let n = configuration.positions.len();
    let a0 = configuration.box_length / (n as f64).cbrt();
    let qlms = quasilocalised_modes(&frequencies, &participation, phonon, qlm_participation());
    let core_sizes = qlms
        .iter()
        .map(|&k| core_size(participation[k], n, a0))
        .collect();
    let percentiles = qlms
        .iter()
        .map(|&k| softness_percentile(&local_omega, centres[k] as usize))
        .collect();
    let Some(&lowest) = qlms.first() else {
        return Ok(QlmChoice {
            qlms,
            core_sizes,
            percentiles,
            core: None,
        });
    };
    let mode = fields::stored_mode(path, lowest)?;
    let (flat, _) = io::h5md::read_array_u64(path, dipoles::PAIRS)?
        .ok_or_else(|| fail(format!("holds no {}", dipoles::PAIRS)))?;
    let pairs: Vec<[u64; 2]> = flat.chunks_exact(2).map(|p| [p[0], p[1]]).collect();
    let k = core_pair(
        &mode.vectors,
        &configuration.positions,
        configuration.box_length,
        &pairs,
    )
    .ok_or_else(|| fail("holds no interacting pairs".into()))?;
    Ok(QlmChoice {
        qlms,
        core_sizes,
        percentiles,
        core: Some((lowest, pairs[k])),
    })
}

/// The figure script's arguments for `measured`: label, measurement and fields of each glass.
pub fn script_arguments(measured: &[Measured]) -> Vec<String> {
    measured
        .iter()
        .flat_map(|m| {
            let label = match m.glass.parent_temperature {
                Some(t) => format!("T_p = {t}"),
                None => m.glass.name.clone(),
            };
            [
                "--glass".to_owned(),
                label,
                m.measurement.display().to_string(),
                m.fields.display().to_string(),
            ]
        })
        .collect()
}
