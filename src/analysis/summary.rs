//! Writing the analysis: `summary.h5` (everything, with the curves), `summary.csv` (one row per point)
//! and `summary.json` (every scalar), in raw units and in the paper's units (lengths in a0,
//! frequencies in c_∞/a0, temperatures and energies in k_B T_onset).

use std::path::Path;

use serde_json::{Map, Value as Json, json};

use super::fits::Value;
use super::point::Length;
use super::temperature::{Boltzmann, Onset};
use super::{OmegaEstimator, PointSummary, Summary};
use crate::error::{Error, Result};
use crate::io::atomic::{AtomicOutput, write_file};

/// The conversions to the paper's units (NaN where T_onset or G_∞ are unknown).
#[derive(Clone, Copy, Debug)]
pub struct PaperUnits {
    /// k_B T_onset.
    pub temperature: f64,
    /// c_∞/a0, the unit of frequency.
    pub frequency: f64,
}

impl PaperUnits {
    /// From the summary's reference values, for points with lattice length `a0`.
    pub fn of(summary: &Summary, a0: f64) -> PaperUnits {
        PaperUnits {
            temperature: summary.onset_temperature(),
            frequency: summary.sound_speed_infinity / a0,
        }
    }
}

fn pair(v: Value) -> Json {
    json!({"value": finite(v.value), "error": finite(v.error)})
}

fn finite(x: f64) -> Json {
    if x.is_finite() { json!(x) } else { Json::Null }
}

fn scaled(v: Value, factor: f64) -> Value {
    Value {
        value: v.value * factor,
        error: v.error * factor.abs(),
    }
}

fn length(map: &mut Map<String, Json>, key: &str, length: &Length, a0: f64) {
    map.insert(key.into(), pair(length.value));
    map.insert(format!("{key}_paper"), pair(scaled(length.value, 1.0 / a0)));
    map.insert(format!("{key}_box_limited"), json!(length.box_limited));
    map.insert(format!("{key}_note"), json!(length.note));
}

fn estimator_key(base: &str, estimator: OmegaEstimator) -> String {
    match estimator {
        OmegaEstimator::Mean => base.to_owned(),
        other => format!("{base}_{}", other.key()),
    }
}

/// A point's scalars, raw and in the paper's units, as a flat JSON object.
pub fn point_record(point: &PointSummary, summary: &Summary) -> Map<String, Json> {
    let units = PaperUnits::of(summary, point.a0);
    let onset = summary
        .onset
        .as_ref()
        .map_or(Value::bare(f64::NAN), |o| o.onset);
    let mut map = Map::new();
    let mut put = |key: &str, value: Json| {
        map.insert(key.to_owned(), value);
    };
    put("n_particles", json!(point.n_particles));
    put("parent_temperature", json!(point.parent_temperature));
    let ratio = point.parent_temperature / onset.value;
    put(
        "parent_temperature_over_onset",
        pair(Value {
            value: ratio,
            error: ratio * onset.error / onset.value,
        }),
    );
    put("samples", json!(point.samples));
    put("chains", json!(point.chains));
    put("blocks", json!(point.blocks));
    put("block_length", json!(point.block_length));
    put(
        "neighbour_correlation",
        finite(point.neighbour_correlation.unwrap_or(f64::NAN)),
    );
    put("excluded", json!(point.excluded.len()));
    put("a0", json!(point.a0));
    put("energy_per_particle", pair(point.energy_per_particle));
    put("shear_modulus", pair(point.shear_modulus));
    put(
        "shear_modulus_paper",
        pair(scaled(
            point.shear_modulus,
            point.a0.powi(3) / units.temperature,
        )),
    );
    put("bulk_modulus", pair(point.bulk_modulus));
    put("pressure", pair(point.pressure));
    put("sound_speed", pair(point.sound_speed));
    put("phonon_frequency", finite(point.phonon_frequency));
    put("omega_min", pair(point.omega_min));
    put(
        "omega_min_paper",
        pair(scaled(point.omega_min, 1.0 / units.frequency)),
    );
    put("modes_complete_below", finite(point.modes_complete_below));
    for estimator in OmegaEstimator::ALL {
        let omega = point.omega_g[estimator as usize];
        let key = estimator_key("omega_g", estimator);
        put(
            &format!("{key}_paper"),
            pair(scaled(omega, 1.0 / units.frequency)),
        );
        put(&key, pair(omega));
    }
    put("dipoles", json!(point.dipoles));
    let window = &point.window;
    put(
        "phonon_band_edge",
        finite(window.phonon_band_edge.unwrap_or(f64::NAN)),
    );
    put("a_g_window_cap", finite(window.cap));
    put("a_g_window_upper", finite(window.upper.unwrap_or(f64::NAN)));
    put(
        "a_g_window_upper_paper",
        finite(window.upper.unwrap_or(f64::NAN) / units.frequency),
    );
    put(
        "a_g_window_over_phonon",
        finite(window.upper.unwrap_or(f64::NAN) / point.phonon_frequency),
    );
    put("a_g_modes", json!(window.modes));
    put(
        "a_g_free_exponent",
        pair(window.exponent.unwrap_or(Value::bare(f64::NAN))),
    );
    put(
        "a_g_shell_deviation",
        finite(window.shell_deviation.unwrap_or(f64::NAN)),
    );
    put("a_g_unresolved", json!(window.unresolved));
    let a_g = point.a_g.unwrap_or(Value::bare(f64::NAN));
    put("a_g", pair(a_g));
    put("a_g_paper", pair(scaled(a_g, units.frequency.powi(5))));
    let ratios = summary
        .sizes
        .iter()
        .find(|s| s.n_particles == point.n_particles);
    for estimator in OmegaEstimator::ALL {
        let number = point
            .qlm_number
            .map_or(Value::bare(f64::NAN), |n| n[estimator as usize]);
        put(&estimator_key("qlm_number", estimator), pair(number));
        let over_plateau = ratios
            .and_then(|s| s.boltzmann.iter().find(|b| b.estimator == estimator))
            .and_then(|b| {
                b.ratios
                    .iter()
                    .find(|r| r.0 == point.parent_temperature)
                    .map(|r| r.1)
            })
            .unwrap_or(Value::bare(f64::NAN));
        put(
            &estimator_key("qlm_number_over_plateau", estimator),
            pair(over_plateau),
        );
    }
    put("xi_g", pair(point.xi_g));
    put("xi_g_paper", pair(scaled(point.xi_g, 1.0 / point.a0)));
    length(&mut map, "xi_co", &point.xi_co, point.a0);
    length(&mut map, "xi_qlm", &point.xi_qlm, point.a0);
    map.insert(
        "xi_qlm_participation".into(),
        pair(point.xi_qlm_participation),
    );
    map.insert(
        "xi_qlm_participation_paper".into(),
        pair(scaled(point.xi_qlm_participation, 1.0 / point.a0)),
    );
    map.insert("qlms".into(), json!(point.qlms));
    for (cut, count) in super::point::SOFT_MODE_CUTS.iter().zip(point.soft_modes) {
        map.insert(format!("modes_per_sample_below_{cut}_phonon"), pair(count));
    }
    map
}

fn onset_json(onset: &super::Resolved<Onset>) -> Json {
    match onset {
        Ok(o) => json!({"onset": pair(o.onset), "plateau": pair(o.plateau)}),
        Err(reason) => json!({"unresolved": reason}),
    }
}

fn boltzmann_json(b: &Boltzmann) -> Json {
    json!({
        "estimator": b.estimator,
        "log_plateau": b.plateau.map(pair),
        "regime_parent_temperatures": b.regime,
        "qlm_energy_over_onset": b.energy_over_onset.map(pair),
        "qlm_energy": b.energy.map(pair),
        "reduced_chi2": b.reduced_chi2.map(finite),
        "unresolved": b.unresolved,
    })
}

/// The summary as JSON.
pub fn to_json(summary: &Summary) -> Json {
    let sizes: Vec<Json> = summary
        .sizes
        .iter()
        .map(|s| {
            json!({
                "n_particles": s.n_particles,
                "shear_onset": onset_json(&s.shear_onset),
                "energy_onset": onset_json(&s.energy_onset),
                "boltzmann": s.boltzmann.iter().map(boltzmann_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    let onset = summary
        .onset
        .as_ref()
        .map_or(Value::bare(f64::NAN), |o| o.onset);
    json!({
        "campaign": summary.campaign,
        "options": summary.options,
        "reference_size": summary.reference_size,
        "onset_temperature": finite(onset.value),
        "onset_temperature_error": finite(onset.error),
        "onset_source": summary.onset_source,
        "shear_modulus_infinity": finite(summary.shear_modulus_infinity.value),
        "shear_modulus_infinity_error": finite(summary.shear_modulus_infinity.error),
        "sound_speed_infinity": finite(summary.sound_speed_infinity),
        "excluded_samples": summary.excluded,
        "sizes": sizes,
        "points": summary.points.iter().map(|p| Json::Object(point_record(p, summary))).collect::<Vec<_>>(),
        "exclusions": summary.points.iter().flat_map(|p| p.excluded.clone()).collect::<Vec<_>>(),
    })
}

/// The CSV table: one row per point, the main columns raw and in the paper's units.
pub fn to_csv(summary: &Summary) -> String {
    let columns = [
        "n_particles",
        "parent_temperature",
        "parent_temperature_over_onset",
        "samples",
        "chains",
        "blocks",
        "excluded",
        "energy_per_particle",
        "shear_modulus",
        "shear_modulus_paper",
        "sound_speed",
        "omega_min",
        "omega_min_paper",
        "omega_g",
        "omega_g_paper",
        "omega_g_sqrt_mean_kappa",
        "omega_g_median",
        "a_g_window_upper",
        "a_g_modes",
        "a_g_free_exponent",
        "a_g",
        "a_g_paper",
        "qlm_number",
        "qlm_number_over_plateau",
        "xi_g_paper",
        "xi_co_paper",
        "xi_co_box_limited",
        "xi_qlm_paper",
        "xi_qlm_box_limited",
        "xi_qlm_participation_paper",
    ];
    let mut text = String::new();
    for (k, c) in columns.iter().enumerate() {
        if k > 0 {
            text.push(',');
        }
        text.push_str(c);
        if matches!(
            c,
            &"n_particles"
                | &"parent_temperature"
                | &"samples"
                | &"chains"
                | &"blocks"
                | &"excluded"
                | &"a_g_window_upper"
                | &"a_g_modes"
                | &"xi_co_box_limited"
                | &"xi_qlm_box_limited"
        ) {
            continue;
        }
        text.push_str(&format!(",{c}_error"));
    }
    text.push('\n');
    for point in &summary.points {
        let record = point_record(point, summary);
        let mut fields = Vec::new();
        for c in columns {
            match record.get(c) {
                Some(Json::Object(v)) => {
                    for key in ["value", "error"] {
                        fields.push(v.get(key).map_or(String::new(), |x| match x {
                            Json::Null => "nan".into(),
                            x => x.to_string(),
                        }));
                    }
                }
                Some(Json::Null) | None => fields.push("nan".into()),
                Some(x) => fields.push(x.to_string()),
            }
        }
        text.push_str(&fields.join(","));
        text.push('\n');
    }
    text
}

fn write_h5(path: &Path, summary: &Summary, json: &Json) -> Result<()> {
    let output = AtomicOutput::new(path)?;
    let write = || -> hdf5::Result<()> {
        let file = hdf5::File::create(output.path())?;
        let mut root = Map::new();
        for key in [
            "campaign",
            "reference_size",
            "onset_temperature",
            "onset_temperature_error",
            "onset_source",
            "shear_modulus_infinity",
            "shear_modulus_infinity_error",
            "sound_speed_infinity",
            "excluded_samples",
        ] {
            if let Some(v) = json.get(key) {
                root.insert(key.into(), v.clone());
            }
        }
        root.insert("summary_json".into(), json.to_string().into());
        crate::io::h5md::write_attributes(&file, &Json::Object(root))?;
        let sizes = file.create_group("sizes")?;
        for size in json["sizes"].as_array().into_iter().flatten() {
            let group = sizes.create_group(&format!("N{}", size["n_particles"]))?;
            crate::io::h5md::write_attributes(&group, size)?;
        }
        let points = file.create_group("points")?;
        for point in &summary.points {
            let id = format!("N{}-T{}", point.n_particles, point.parent_temperature);
            let group = points.create_group(&id)?;
            let record = point_record(point, summary);
            // Values and errors as separate attributes: h5py users read g.attrs["omega_g"] and
            // g.attrs["omega_g_error"].
            let mut flat = Map::new();
            for (key, value) in record {
                match value {
                    Json::Object(v) => {
                        flat.insert(key.clone(), v["value"].clone());
                        flat.insert(format!("{key}_error"), v["error"].clone());
                    }
                    Json::Null => {
                        flat.insert(key, f64::NAN.into());
                    }
                    other => {
                        flat.insert(key, other);
                    }
                }
            }
            for value in flat.values_mut() {
                if value.is_null() {
                    *value = json!(f64::NAN);
                }
            }
            crate::io::h5md::write_attributes(&group, &Json::Object(flat))?;
            let array = |name: &str, values: &[f64]| -> hdf5::Result<()> {
                group
                    .new_dataset::<f64>()
                    .shape([values.len()])
                    .create(name)?
                    .write_raw(values)
            };
            array("cdf_omega", &point.cdf.0)?;
            array("cdf", &point.cdf.1)?;
            let dipoles = &point.dipole_profile;
            array("dipole_profile_radius", &dipoles.radius)?;
            array("dipole_profile_mean_radial", &dipoles.mean_first())?;
            array(
                "dipole_profile_rms",
                &dipoles
                    .mean_second()
                    .iter()
                    .map(|m| m.sqrt())
                    .collect::<Vec<_>>(),
            )?;
            array(
                "dipole_profile_fluctuation",
                &dipoles
                    .mean_first()
                    .iter()
                    .zip(dipoles.mean_second())
                    .map(|(r, m2)| (m2 - r * r).max(0.0).sqrt())
                    .collect::<Vec<_>>(),
            )?;
            let modes = &point.qlm_profile;
            array("qlm_profile_radius", &modes.radius)?;
            array("qlm_profile_mean_magnitude", &modes.mean_first())?;
            let curve = &point.sensitivity;
            array("a_g_sensitivity_upper", &curve.upper)?;
            array("a_g_sensitivity", &curve.prefactor)?;
            array("a_g_sensitivity_error", &curve.prefactor_error)?;
            array("a_g_sensitivity_exponent", &curve.exponent)?;
            array("a_g_sensitivity_exponent_error", &curve.exponent_error)?;
        }
        file.close()
    };
    write().map_err(|e| Error::write(path, e))?;
    output.commit()
}

/// Writes `summary.h5`, `summary.csv`, `summary.json` and `claims.md` into `directory`.
pub fn write(directory: &Path, summary: &Summary) -> Result<()> {
    write_file(
        &directory.join("claims.md"),
        super::claims::table(summary).as_bytes(),
    )?;
    let json = to_json(summary);
    write_file(
        &directory.join("summary.json"),
        serde_json::to_string_pretty(&json)
            .expect("JSON")
            .as_bytes(),
    )?;
    write_file(&directory.join("summary.csv"), to_csv(summary).as_bytes())?;
    write_h5(&directory.join("summary.h5"), summary, &json)
}
