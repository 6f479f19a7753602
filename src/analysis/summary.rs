//! Writing the analysis: `summary.h5` (everything, with the curves), `summary.csv` (one row per point)
//! and `summary.json` (every scalar), in raw units and in the paper's units (lengths in a0,
//! frequencies in c_∞/a0, temperatures and energies in k_B T_onset).

use std::path::Path;

use serde_json::{Map, Value as Json, json};

use super::fits::Value;
use super::{PointSummary, Summary};
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
            temperature: summary.onset_temperature,
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

/// A point's scalars, raw and in the paper's units, as a flat JSON object.
pub fn point_record(point: &PointSummary, summary: &Summary) -> Map<String, Json> {
    let units = PaperUnits::of(summary, point.a0);
    let a_g = point.a_g.map_or(Value::bare(f64::NAN), |f| Value {
        value: f.fit.prefactor,
        error: f.error,
    });
    let mut map = Map::new();
    let mut put = |key: &str, value: Json| {
        map.insert(key.to_owned(), value);
    };
    put("n_particles", json!(point.n_particles));
    put("parent_temperature", json!(point.parent_temperature));
    put(
        "parent_temperature_over_onset",
        finite(point.parent_temperature / units.temperature),
    );
    put("samples", json!(point.samples));
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
    put("omega_g", pair(point.omega_g));
    put(
        "omega_g_paper",
        pair(scaled(point.omega_g, 1.0 / units.frequency)),
    );
    put("sqrt_mean_kappa", finite(point.sqrt_mean_kappa));
    put("median_omega", finite(point.median_omega));
    put("dipoles", json!(point.dipoles));
    put("a_g", pair(a_g));
    put("a_g_paper", pair(scaled(a_g, units.frequency.powi(5))));
    if let Some(fit) = point.a_g {
        put("a_g_window", json!([fit.fit.window[0], fit.fit.window[1]]));
        put(
            "a_g_window_paper",
            json!([
                finite(fit.fit.window[0] / units.frequency),
                finite(fit.fit.window[1] / units.frequency)
            ]),
        );
        put("a_g_modes", json!(fit.fit.modes));
        put("a_g_free_exponent", finite(fit.fit.free_exponent));
    }
    put("qlm_number", pair(point.qlm_number));
    put("xi_g", pair(point.xi_g));
    put("xi_g_paper", pair(scaled(point.xi_g, 1.0 / point.a0)));
    put("xi_co", pair(point.xi_co));
    put("xi_co_paper", pair(scaled(point.xi_co, 1.0 / point.a0)));
    put("xi_qlm", pair(point.xi_qlm));
    put("xi_qlm_paper", pair(scaled(point.xi_qlm, 1.0 / point.a0)));
    put("xi_qlm_participation", pair(point.xi_qlm_participation));
    put(
        "xi_qlm_participation_paper",
        pair(scaled(point.xi_qlm_participation, 1.0 / point.a0)),
    );
    put("qlms", json!(point.qlms));
    map
}

/// The summary as JSON.
pub fn to_json(summary: &Summary) -> Json {
    let sizes: Vec<Json> = summary
        .sizes
        .iter()
        .map(|s| {
            json!({
                "n_particles": s.n_particles,
                "onset_temperature": s.shear_onset.map(|f| finite(f.onset)),
                "shear_modulus_infinity": s.shear_onset.map(|f| finite(f.plateau)),
                "energy_onset_temperature": s.energy_onset.map(|f| finite(f.onset)),
                "qlm_energy_over_onset": s.qlm_energy.map(pair),
                "boltzmann_parent_temperatures": s.boltzmann_temperatures,
            })
        })
        .collect();
    json!({
        "campaign": summary.campaign,
        "options": summary.options,
        "reference_size": summary.reference_size,
        "onset_temperature": finite(summary.onset_temperature),
        "onset_source": summary.onset_source,
        "shear_modulus_infinity": finite(summary.shear_modulus_infinity),
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
        "excluded",
        "energy_per_particle",
        "shear_modulus",
        "shear_modulus_paper",
        "sound_speed",
        "omega_min",
        "omega_min_paper",
        "omega_g",
        "omega_g_paper",
        "sqrt_mean_kappa",
        "median_omega",
        "a_g",
        "a_g_paper",
        "qlm_number",
        "xi_g_paper",
        "xi_co_paper",
        "xi_qlm_paper",
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
                | &"parent_temperature_over_onset"
                | &"samples"
                | &"excluded"
                | &"sqrt_mean_kappa"
                | &"median_omega"
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
            "onset_source",
            "shear_modulus_infinity",
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
        }
        file.close()
    };
    write().map_err(|e| Error::Write {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    output.commit()
}

/// Writes `summary.h5`, `summary.csv` and `summary.json` into `directory`.
pub fn write(directory: &Path, summary: &Summary) -> Result<()> {
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
