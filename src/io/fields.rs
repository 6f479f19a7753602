//! Displacement fields of a glass (its modes, its pinch responses) written beside its configuration:
//! per-particle vector columns of extended XYZ (OVITO draws them as arrows) or per-particle datasets
//! of H5MD, each with what describes it.

use std::path::Path;

use serde_json::{Map, Value, json};

use super::h5md::{self, Extras};
use super::layout::{dipoles, modes};
use super::xyz::{self, Field};
use crate::error::{Error, Result};
use crate::model::{Configuration, ModelParameters};
use crate::provenance::Provenance;
use crate::response::dipoles::PairResponse;

/// A displacement field over every particle, in id order, normalised (Σ_i |u_i|² = 1).
#[derive(Clone, Debug, PartialEq)]
pub struct DisplacementField {
    /// The column or dataset name, e.g. `mode_0`.
    pub name: String,
    /// u_i of every particle.
    pub vectors: Vec<[f64; 3]>,
    /// What describes it (frequency, participation ratio, centre, ...), by key.
    pub info: Map<String, Value>,
}

impl DisplacementField {
    /// The field `vectors` under `name`, scaled to unit norm.
    pub fn normalised(name: String, mut vectors: Vec<[f64; 3]>, info: Map<String, Value>) -> Self {
        let norm = vectors.iter().flatten().map(|v| v * v).sum::<f64>().sqrt();
        if norm > 0.0 {
            vectors.iter_mut().flatten().for_each(|v| *v /= norm);
        }
        DisplacementField {
            name,
            vectors,
            info,
        }
    }

    /// The participation ratio e = (Σ|u_i|²)² / (N Σ|u_i|⁴).
    pub fn participation_ratio(&self) -> f64 {
        let squares = self
            .vectors
            .iter()
            .map(|u| u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
        let (sum2, sum4) = squares.fold((0.0, 0.0), |(a, b), s| (a + s, b + s * s));
        sum2 * sum2 / (self.vectors.len() as f64 * sum4)
    }

    /// The id of the particle of largest |u_i|.
    pub fn centre(&self) -> usize {
        let magnitude = |u: &[f64; 3]| u[0] * u[0] + u[1] * u[1] + u[2] * u[2];
        (0..self.vectors.len())
            .max_by(|&a, &b| magnitude(&self.vectors[a]).total_cmp(&magnitude(&self.vectors[b])))
            .unwrap_or(0)
    }
}

/// Mode `k` (0: the lowest) of the measurement file `path`, from its stored eigenvectors.
pub fn stored_mode(path: &Path, k: usize) -> Result<DisplacementField> {
    let fail = |message: String| Error::Hdf5 {
        path: path.display().to_string(),
        message,
    };
    let (vectors, shape) = h5md::read_array_f64(path, modes::VECTORS)?.ok_or_else(|| {
        fail(format!(
            "holds no {}: measure with `pinch modes --mode-vectors` (or `[measurements] \
             mode_vectors = true` in a campaign)",
            modes::VECTORS
        ))
    })?;
    let [count, n, 3] = shape[..] else {
        return Err(fail(format!(
            "{} has shape {shape:?}, not (k, N, 3)",
            modes::VECTORS
        )));
    };
    if k >= count {
        return Err(fail(format!("holds {count} modes: there is no mode {k}")));
    }
    let per_mode = |member: &str| -> Result<f64> {
        let (values, _) = h5md::read_array_f64(path, member)?
            .ok_or_else(|| fail(format!("missing dataset {member}")))?;
        values
            .get(k)
            .copied()
            .ok_or_else(|| fail(format!("{member} holds no entry {k}")))
    };
    let field: Vec<[f64; 3]> = vectors[3 * n * k..3 * n * (k + 1)]
        .chunks_exact(3)
        .map(|v| [v[0], v[1], v[2]])
        .collect();
    let mut info = Map::new();
    info.insert("index".into(), json!(k));
    info.insert("frequency".into(), json!(per_mode(modes::FREQUENCIES)?));
    info.insert("eigenvalue".into(), json!(per_mode(modes::EIGENVALUES)?));
    let name = format!("mode_{k}");
    let mut mode = DisplacementField::normalised(name, field, info);
    let (participation, centre) = (mode.participation_ratio(), mode.centre());
    mode.info
        .insert("participation_ratio".into(), json!(participation));
    mode.info.insert("centre".into(), json!(centre));
    Ok(mode)
}

/// The response to the pinch of a pair as a field `response_<i>_<j>`, with the pair, ω^(ij), dᵀH⁺d,
/// dᵀH⁺²d, the pair's midpoint, the participation ratio and the centre (`displacement` in id order).
pub fn response_field(response: &PairResponse, displacement: Vec<[f64; 3]>) -> DisplacementField {
    let [i, j] = response.ids;
    let mut info = Map::new();
    info.insert("pair".into(), json!([i, j]));
    info.insert("omega".into(), json!(response.omega()));
    info.insert("d_hinv_d".into(), json!(response.d_hinv_d));
    info.insert("d_hinv2_d".into(), json!(response.d_hinv2_d));
    info.insert("midpoint".into(), json!(response.midpoint));
    let mut field = DisplacementField::normalised(format!("response_{i}_{j}"), displacement, info);
    let (participation, centre) = (field.participation_ratio(), field.centre());
    field
        .info
        .insert("participation_ratio".into(), json!(participation));
    field.info.insert("centre".into(), json!(centre));
    field
}

/// The pair of lowest ω^(ij) among the dipoles the measurement file `path` holds (`pinch dipoles`,
/// best with `--all-dipoles`), with that ω^(ij).
pub fn softest_stored_pair(path: &Path) -> Result<([u64; 2], f64)> {
    let fail = |message: String| Error::Hdf5 {
        path: path.display().to_string(),
        message,
    };
    let absent = || {
        fail(format!(
            "holds no {}: measure with `pinch dipoles --all-dipoles` first",
            dipoles::OMEGA
        ))
    };
    let (omega, _) = h5md::read_array_f64(path, dipoles::OMEGA)?.ok_or_else(absent)?;
    let (pairs, _) = h5md::read_array_u64(path, dipoles::PAIRS)?.ok_or_else(absent)?;
    if pairs.len() != 2 * omega.len() {
        return Err(fail(format!(
            "{} holds {} values for {} dipoles",
            dipoles::PAIRS,
            pairs.len(),
            omega.len()
        )));
    }
    let softest = (0..omega.len())
        .min_by(|&a, &b| omega[a].total_cmp(&omega[b]))
        .ok_or_else(absent)?;
    Ok(([pairs[2 * softest], pairs[2 * softest + 1]], omega[softest]))
}

/// A number per particle, in id order, e.g. a local pinch frequency.
#[derive(Clone, Debug, PartialEq)]
pub struct ScalarField {
    /// The column or dataset name.
    pub name: &'static str,
    /// One value per particle.
    pub values: Vec<f64>,
}

/// The softness map of the measurement file `path`: each particle's lowest and mean ω^(ij) over the
/// pairs it belongs to.
pub fn stored_softness(path: &Path) -> Result<Vec<ScalarField>> {
    [dipoles::LOCAL_OMEGA_MIN, dipoles::LOCAL_OMEGA_MEAN]
        .into_iter()
        .map(|member| {
            let (values, _) = h5md::read_array_f64(path, member)?.ok_or_else(|| Error::Hdf5 {
                path: path.display().to_string(),
                message: format!(
                    "holds no {member}: measure every interacting pair with `pinch dipoles \
                     --all-dipoles` first"
                ),
            })?;
            let name = member.rsplit('/').next().expect("a member has a name");
            Ok(ScalarField { name, values })
        })
        .collect()
}

/// Writes `configuration` with `fields` and `scalars` to `path`: extended XYZ (by the
/// `.xyz`/`.extxyz` extension), each field a `name:R:3` column and its description as
/// `name_key=value` entries of the comment line, each scalar a `name:R:1` column; or H5MD, each field
/// `/particles/all/<name>` (N, 3) with its description as the attributes of `/fields/<name>`, each
/// scalar `/particles/all/<name>` (N,).
pub fn write(
    path: &Path,
    configuration: &Configuration,
    model: &ModelParameters,
    fields: &[DisplacementField],
    scalars: &[ScalarField],
) -> Result<()> {
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if matches!(extension.to_ascii_lowercase().as_str(), "xyz" | "extxyz") {
        let columns: Vec<Field> = fields
            .iter()
            .map(|f| Field::Vector(&f.name, &f.vectors))
            .chain(scalars.iter().map(|s| Field::Scalar(s.name, &s.values)))
            .collect();
        let info: Vec<(String, String)> = fields
            .iter()
            .flat_map(|f| {
                f.info
                    .iter()
                    .map(move |(key, value)| (format!("{}_{key}", f.name), header_value(value)))
            })
            .collect();
        let info: Vec<(&str, String)> = info.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        let text = xyz::format_with(configuration, &columns, &info);
        return super::atomic::write_file(path, text.as_bytes());
    }
    let mut extras = Extras::default();
    for field in fields {
        extras.per_particle.push((&field.name, &field.vectors));
        extras.attribute_groups.push((
            format!("fields/{}", field.name),
            Value::Object(field.info.clone()),
        ));
    }
    for scalar in scalars {
        extras.arrays.push((
            format!("particles/all/{}", scalar.name),
            h5md::Array::F64(&scalar.values, vec![scalar.values.len()]),
        ));
    }
    h5md::write(
        path,
        configuration,
        model,
        &Provenance::of_this_run(None, 1),
        &extras,
    )
}

/// A header value: numbers in their shortest exact form, arrays space-separated.
fn header_value(value: &Value) -> String {
    match value {
        Value::Array(items) => items.iter().map(header_value).collect::<Vec<_>>().join(" "),
        Value::Number(n) => match n.as_f64() {
            Some(x) if !n.is_u64() && !n.is_i64() => format!("{x:?}"),
            _ => n.to_string(),
        },
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
