//! Configuration files in H5MD (HDF5), readable with plain h5py.
//!
//! Layout (see `docs/FORMAT.md`):
//!
//! ```text
//! /h5md                       version = [1, 1]; groups author{name}, creator{name, version}
//! /particles/all/box          dimension = 3, boundary = ["periodic"] * 3; dataset edges (3,)
//! /particles/all/position     (N, 3) f64, wrapped into [0, L)
//! /particles/all/diameter     (N,) f64: the particle sizes λ_i
//! /particles/all/force        (N, 3) f64, where a command evaluated forces (`pinch evaluate`)
//! /parameters/model           one attribute per model parameter (ModelParameters)
//! /parameters/provenance      program, version, git_commit, command_line, seed, created, mpi_ranks,
//!                             petsc_options, blas
//! /observables                scalar datasets: n_particles, energy_per_particle, max_force, pressure, ...
//! ```

use std::path::Path;

use hdf5::types::VarLenUnicode;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::io::atomic::AtomicOutput;
use crate::model::{Configuration, ModelParameters};
use crate::provenance::Provenance;

/// A sparse matrix in compressed-row form (scipy's `csr_matrix((data, indices, indptr))`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Csr {
    /// Number of rows (= columns).
    pub size: usize,
    /// Row k holds entries `indptr[k]..indptr[k + 1]`.
    pub indptr: Vec<u64>,
    /// Column of each entry.
    pub indices: Vec<u64>,
    /// Value of each entry.
    pub data: Vec<f64>,
}

/// A dataset of any shape written beside the configuration.
#[derive(Debug)]
pub enum Array<'a> {
    /// Floating-point values, row-major, with their shape.
    F64(&'a [f64], Vec<usize>),
    /// Unsigned integers, row-major, with their shape.
    U64(&'a [u64], Vec<usize>),
}

/// What a file holds besides the configuration, the model and the provenance.
#[derive(Debug, Default)]
pub struct Extras<'a> {
    /// Datasets by path (e.g. `observables/equilibration/energy_per_particle`); groups on the way are
    /// created.
    pub arrays: Vec<(String, Array<'a>)>,
    /// Groups of attributes by path (e.g. `parameters/swap_monte_carlo`), one attribute per key.
    pub attribute_groups: Vec<(String, Value)>,
    /// Scalar observables, written to `/observables`.
    pub observables: Map<String, Value>,
    /// Per-particle vectors (N, 3), written to `/particles/all/<name>`.
    pub per_particle: Vec<(&'a str, &'a [[f64; 3]])>,
    /// Sparse matrices, written to `/<name>/{indptr, indices, data}`.
    pub matrices: Vec<(&'a str, &'a Csr)>,
}

impl Extras<'_> {
    /// Adds the group of attributes at `path`, one per field of `record`.
    pub fn group<R: serde::Serialize>(&mut self, path: &str, record: &R) {
        self.attribute_groups
            .push(super::layout::group(path, record));
    }
}

/// The particle group's name in `/particles`.
pub const PARTICLE_GROUP: &str = "all";

/// What a pinch HDF5 file holds.
#[derive(Clone, Debug)]
pub struct StoredConfiguration {
    /// The configuration.
    pub configuration: Configuration,
    /// The model parameters it was made with, if recorded.
    pub model: Option<ModelParameters>,
    /// Its provenance, if recorded, as stored.
    pub provenance: Option<Value>,
    /// Scalar observables stored in `/observables`, by name.
    pub observables: Map<String, Value>,
}

fn string(value: &str) -> VarLenUnicode {
    // Only NUL bytes are unrepresentable; command lines and names never hold them.
    value
        .replace('\0', "")
        .parse()
        .expect("a string without NUL bytes is valid VarLenUnicode")
}

/// Where a scalar goes: an attribute of a location, or a dataset of a group.
trait ScalarSink {
    fn put<T: hdf5::H5Type>(&self, name: &str, value: &T) -> hdf5::Result<()>;
}

struct AttributesOf<'a>(&'a hdf5::Location);
struct DatasetsOf<'a>(&'a hdf5::Group);

impl ScalarSink for AttributesOf<'_> {
    fn put<T: hdf5::H5Type>(&self, name: &str, value: &T) -> hdf5::Result<()> {
        self.0.new_attr::<T>().create(name)?.write_scalar(value)
    }
}

impl ScalarSink for DatasetsOf<'_> {
    fn put<T: hdf5::H5Type>(&self, name: &str, value: &T) -> hdf5::Result<()> {
        self.0.new_dataset::<T>().create(name)?.write_scalar(value)
    }
}

/// Writes a JSON scalar as the HDF5 type it holds: f64, u64, i64, bool, or (with `text`) a string;
/// nested values as JSON text when `text`. Nulls, and text without `text`, are left out.
fn put_scalar(sink: &impl ScalarSink, name: &str, value: &Value, text: bool) -> hdf5::Result<()> {
    match value {
        Value::Number(n) if n.is_f64() => sink.put(name, &n.as_f64().unwrap()),
        Value::Number(n) if n.is_u64() => sink.put(name, &n.as_u64().unwrap()),
        Value::Number(n) => sink.put(name, &n.as_i64().unwrap()),
        Value::Bool(b) => sink.put(name, b),
        Value::Null => Ok(()),
        _ if !text => Ok(()),
        Value::String(s) => sink.put(name, &string(s)),
        other => sink.put(name, &string(&other.to_string())),
    }
}

/// Writes the members of a JSON object as attributes of `location` (nested values as JSON text).
pub fn write_attributes(location: &hdf5::Location, values: &Value) -> hdf5::Result<()> {
    let Value::Object(map) = values else {
        return Ok(());
    };
    for (name, value) in map {
        put_scalar(&AttributesOf(location), name, value, true)?;
    }
    Ok(())
}

/// The attributes of a group or dataset as JSON values (strings, numbers and booleans).
pub fn read_attributes(location: &hdf5::Location) -> hdf5::Result<Map<String, Value>> {
    let mut map = Map::new();
    for name in location.attr_names()? {
        let attribute = location.attr(&name)?;
        let descriptor = attribute.dtype()?.to_descriptor()?;
        use hdf5::types::TypeDescriptor as T;
        let value = match descriptor {
            T::Float(_) => serde_json::Number::from_f64(attribute.read_scalar::<f64>()?)
                .map_or(Value::Null, Value::Number),
            T::Unsigned(_) => Value::from(attribute.read_scalar::<u64>()?),
            T::Integer(_) => Value::from(attribute.read_scalar::<i64>()?),
            T::Boolean => Value::from(attribute.read_scalar::<bool>()?),
            T::VarLenUnicode => Value::from(attribute.read_scalar::<VarLenUnicode>()?.as_str()),
            _ => continue,
        };
        map.insert(name, value);
    }
    Ok(map)
}

/// Writes `configuration` with its model parameters, provenance and `extras` to `path`, atomically
/// (the file appears only when complete).
pub fn write(
    path: &Path,
    configuration: &Configuration,
    model: &ModelParameters,
    provenance: &Provenance,
    extras: &Extras,
) -> Result<()> {
    let output = AtomicOutput::new(path)?;
    write_to(output.path(), configuration, model, provenance, extras)
        .map_err(|e| Error::write(path, e))?;
    output.commit()
}

fn write_to(
    path: &Path,
    configuration: &Configuration,
    model: &ModelParameters,
    provenance: &Provenance,
    extras: &Extras,
) -> hdf5::Result<()> {
    let file = hdf5::File::create(path)?;
    write_header(&file, provenance)?;
    write_contents(&file, configuration, model, provenance, extras)?;
    file.close()
}

/// Writes the `/h5md` group of a new file.
pub fn write_header(file: &hdf5::File, provenance: &Provenance) -> hdf5::Result<()> {
    let h5md = file.create_group("h5md")?;
    h5md.new_attr::<i32>()
        .shape([2])
        .create("version")?
        .write_raw(&[1, 1])?;
    let author = h5md.create_group("author")?;
    author
        .new_attr::<VarLenUnicode>()
        .create("name")?
        .write_scalar(&string(
            &std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
        ))?;
    let creator = h5md.create_group("creator")?;
    creator
        .new_attr::<VarLenUnicode>()
        .create("name")?
        .write_scalar(&string("pinch"))?;
    creator
        .new_attr::<VarLenUnicode>()
        .create("version")?
        .write_scalar(&string(&provenance.version))?;
    Ok(())
}

/// Writes a configuration with its model, provenance and extras below `base` (a file's root, or a
/// sample's group in a campaign's results): `particles/all/…`, `parameters/…`, `observables`, and the
/// extras' groups and datasets, all relative to `base`. Arrays carry Fletcher-32 checksums, so that
/// corrupted data fails to read instead of reading wrong.
pub fn write_contents(
    base: &hdf5::Group,
    configuration: &Configuration,
    model: &ModelParameters,
    provenance: &Provenance,
    extras: &Extras,
) -> hdf5::Result<()> {
    let particles = base
        .create_group("particles")?
        .create_group(PARTICLE_GROUP)?;
    let n = configuration.len();
    let box_group = particles.create_group("box")?;
    box_group
        .new_attr::<i32>()
        .create("dimension")?
        .write_scalar(&3)?;
    let periodic = [string("periodic"), string("periodic"), string("periodic")];
    box_group
        .new_attr::<VarLenUnicode>()
        .shape([3])
        .create("boundary")?
        .write_raw(&periodic)?;
    box_group
        .new_dataset::<f64>()
        .shape([3])
        .create("edges")?
        .write_raw(&[configuration.box_length; 3])?;
    let flat: Vec<f64> = configuration.positions.iter().flatten().copied().collect();
    write_array(&particles, "position", &flat, &[n, 3])?;
    write_array(&particles, "diameter", &configuration.sizes, &[n])?;
    for (name, values) in &extras.per_particle {
        let flat: Vec<f64> = values.iter().flatten().copied().collect();
        write_array(&particles, name, &flat, &[n, 3])?;
    }

    write_extras(base, model, provenance, extras)
}

/// Writes everything [`write_contents`] does except the particles: the model and provenance, the
/// observables, and the extras' groups, datasets and matrices.
pub fn write_extras(
    base: &hdf5::Group,
    model: &ModelParameters,
    provenance: &Provenance,
    extras: &Extras,
) -> hdf5::Result<()> {
    let parameters = base.create_group("parameters")?;
    let model_group = parameters.create_group("model")?;
    write_attributes(
        &model_group,
        &serde_json::to_value(model).expect("parameters serialise"),
    )?;
    let provenance_group = parameters.create_group("provenance")?;
    write_attributes(
        &provenance_group,
        &serde_json::to_value(provenance).expect("provenance serialises"),
    )?;

    let group = base.create_group("observables")?;
    for (name, value) in &extras.observables {
        put_scalar(&DatasetsOf(&group), name, value, false)?;
    }
    for (path, values) in &extras.attribute_groups {
        let group = group_at(base, path)?;
        write_attributes(&group, values)?;
    }
    for (path, array) in &extras.arrays {
        let (parent, name) = path.rsplit_once('/').unwrap_or(("", path.as_str()));
        let group = group_at(base, parent)?;
        match array {
            Array::F64(data, shape) => write_array(&group, name, data, shape)?,
            Array::U64(data, shape) => write_array(&group, name, data, shape)?,
        }
    }
    for (name, matrix) in &extras.matrices {
        let group = base.create_group(name)?;
        group
            .new_attr::<u64>()
            .shape([2])
            .create("shape")?
            .write_raw(&[matrix.size as u64, matrix.size as u64])?;
        write_array(&group, "indptr", &matrix.indptr, &[matrix.indptr.len()])?;
        write_array(&group, "indices", &matrix.indices, &[matrix.indices.len()])?;
        write_array(&group, "data", &matrix.data, &[matrix.data.len()])?;
    }
    Ok(())
}

/// Elements per chunk of a checksummed dataset at most (8 MB of f64).
const CHUNK_ELEMENTS: usize = 1 << 20;

/// Writes `data` of `shape` as dataset `name` of `group`: chunked along the first axis with a
/// Fletcher-32 checksum per chunk (empty datasets are stored plainly: HDF5 cannot chunk them).
fn write_array<T: hdf5::H5Type>(
    group: &hdf5::Group,
    name: &str,
    data: &[T],
    shape: &[usize],
) -> hdf5::Result<()> {
    let total: usize = shape.iter().product();
    if total == 0 || shape.is_empty() {
        return group
            .new_dataset::<T>()
            .shape(shape)
            .create(name)?
            .write_raw(data);
    }
    let row: usize = shape[1..].iter().product();
    let mut chunk = shape.to_vec();
    chunk[0] = (CHUNK_ELEMENTS / row.max(1)).clamp(1, shape[0]);
    group
        .new_dataset::<T>()
        .shape(shape)
        .chunk(chunk)
        .fletcher32()
        .create(name)?
        .write_raw(data)
}

/// The group at `path` (e.g. `a/b/c`) below `base`, created with its parents if missing.
pub fn group_at(base: &hdf5::Group, path: &str) -> hdf5::Result<hdf5::Group> {
    let mut group = base.clone();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        group = match group.group(part) {
            Ok(g) => g,
            Err(_) => group.create_group(part)?,
        };
    }
    Ok(group)
}

/// Reads the f64 dataset at `member` of the pinch file `path`, with its shape (`None` if absent).
pub fn read_array_f64(path: &Path, member: &str) -> Result<Option<(Vec<f64>, Vec<usize>)>> {
    read_array(path, member)
}

/// Reads the u64 dataset at `member` of the pinch file `path`, with its shape (`None` if absent).
pub fn read_array_u64(path: &Path, member: &str) -> Result<Option<(Vec<u64>, Vec<usize>)>> {
    read_array(path, member)
}

fn read_array<T: hdf5::H5Type>(path: &Path, member: &str) -> Result<Option<(Vec<T>, Vec<usize>)>> {
    reading(path, |file, fail| {
        let Ok(dataset) = file.dataset(member) else {
            return Ok(None);
        };
        let values = dataset
            .read_raw::<T>()
            .map_err(|e| fail(format!("cannot read {member}: {e}")))?;
        Ok(Some((values, dataset.shape())))
    })
}

/// Opens the pinch file `path` under a read deadline and reads it with `read`, whose failures name the
/// file through the `fail` it is given.
fn reading<T>(
    path: &Path,
    read: impl FnOnce(&hdf5::File, &dyn Fn(String) -> Error) -> Result<T>,
) -> Result<T> {
    let fail = |message: String| Error::Hdf5 {
        path: path.display().to_string(),
        message,
    };
    let _deadline = super::deadline::ReadDeadline::start(path);
    let file =
        hdf5::File::open(path).map_err(|e| fail(format!("not a readable HDF5 file ({e})")))?;
    read(&file, &fail)
}

/// Reads the attributes of the group at `member` of the pinch file `path` (`None` if absent).
pub fn read_attribute_group(path: &Path, member: &str) -> Result<Option<Map<String, Value>>> {
    reading(path, |file, fail| {
        let Ok(group) = file.group(member) else {
            return Ok(None);
        };
        read_attributes(&group)
            .map(Some)
            .map_err(|e| fail(format!("cannot read the attributes of {member}: {e}")))
    })
}

/// The `/checkpoint` group of a pinch checkpoint of `kind` (`equilibration`, `quench`): its `state`
/// (JSON text of a `T`) and all its attributes.
pub fn read_checkpoint_state<T: serde::de::DeserializeOwned>(
    path: &Path,
    kind: &str,
) -> Result<(T, Map<String, Value>)> {
    let fail = |message: String| Error::Hdf5 {
        path: path.display().to_string(),
        message,
    };
    let attributes = read_attribute_group(path, "checkpoint")?.ok_or_else(|| {
        fail(format!(
            "no /checkpoint group: not a pinch {kind} checkpoint"
        ))
    })?;
    let state = match attributes.get("state") {
        Some(Value::String(text)) => serde_json::from_str(text).map_err(|e| {
            fail(format!(
                "/checkpoint state is not the state of a pinch {kind} checkpoint: {e}"
            ))
        })?,
        _ => return Err(fail("/checkpoint has no state attribute".into())),
    };
    Ok((state, attributes))
}

/// Reads the record at its group of the pinch file `path` (`None` if absent); an error names the
/// field that is missing or mistyped.
pub fn read_record<R: super::layout::Group>(path: &Path) -> Result<Option<R>> {
    let Some(attributes) = read_attribute_group(path, R::PATH)? else {
        return Ok(None);
    };
    super::layout::from_attributes(attributes)
        .map(Some)
        .map_err(|e| Error::Damaged {
            path: path.display().to_string(),
            message: format!("/{}: {e}", R::PATH),
        })
}

/// Reads a configuration file written by pinch (or any H5MD file with the same particle layout).
pub fn read(path: &Path) -> Result<StoredConfiguration> {
    reading(path, |file, _| read_from(file, &path.display().to_string()))
}

/// Reads the configuration stored below group `group` of `path` (a campaign's sample, say).
pub fn read_entry(path: &Path, group: &str) -> Result<StoredConfiguration> {
    reading(path, |file, fail| {
        let base = file
            .group(group)
            .map_err(|_| fail(format!("holds no group /{group}")))?;
        read_from(&base, &format!("{}:/{group}", path.display()))
    })
}

/// Reads what [`write_contents`] wrote below `base`; `name` names it in errors (file and group).
pub fn read_from(file: &hdf5::Group, name: &str) -> Result<StoredConfiguration> {
    let name = name.to_owned();
    let fail = |message: String| Error::Hdf5 {
        path: name.clone(),
        message,
    };
    // Members are named by their full path in the file in messages.
    let base = file.name();
    let shown = |member: &str| format!("{}/{member}", base.trim_end_matches('/'));
    let dataset = |member: &str| {
        file.dataset(member).map_err(|_| {
            fail(format!(
                "missing dataset {} (not a pinch/H5MD configuration file?)",
                shown(member)
            ))
        })
    };
    let read_f64 = |member: &str, shape: &[usize]| -> Result<Vec<f64>> {
        let ds = dataset(member)?;
        if ds.shape() != shape {
            return Err(fail(format!(
                "dataset {} has shape {:?}, expected {shape:?}",
                shown(member),
                ds.shape()
            )));
        }
        ds.read_raw::<f64>()
            .map_err(|e| fail(format!("cannot read {}: {e}", shown(member))))
    };
    let group = format!("particles/{PARTICLE_GROUP}");
    let position_shape = dataset(&format!("{group}/position"))?.shape();
    let n = match position_shape.as_slice() {
        [n, 3] => *n,
        other => {
            return Err(fail(format!(
                "dataset {} has shape {other:?}, expected (N, 3)",
                shown(&format!("{group}/position"))
            )));
        }
    };
    // Positions and sizes, and the positions again while they are regrouped.
    // The count comes from the file: saturate rather than wrap, so that no count slips through.
    crate::memory::ensure_fits(
        format_args!("{name}: reading {n} particles"),
        56u64.saturating_mul(n as u64),
    )?;
    let edges = read_f64(&format!("{group}/box/edges"), &[3])?;
    if edges[1] != edges[0] || edges[2] != edges[0] {
        return Err(fail(format!(
            "box edges {edges:?} are not those of a cubic box; pinch supports cubic boxes only"
        )));
    }
    let flat = read_f64(&format!("{group}/position"), &[n, 3])?;
    let sizes = read_f64(&format!("{group}/diameter"), &[n])?;
    let configuration = Configuration {
        box_length: edges[0],
        positions: flat.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect(),
        sizes,
    };
    configuration
        .check()
        .map_err(|error| Error::Configuration {
            path: name.clone(),
            error,
        })?;

    let model = match file.group(super::layout::MODEL) {
        Ok(g) => {
            let attributes = read_attributes(&g)
                .map_err(|e| fail(format!("cannot read /parameters/model: {e}")))?;
            let parameters: ModelParameters = serde_json::from_value(Value::Object(attributes))
                .map_err(|e| fail(format!("/parameters/model: {e}")))?;
            parameters.validate().map_err(|error| Error::Parameter {
                origin: format!("{name}:/parameters/model"),
                error,
            })?;
            Some(parameters)
        }
        Err(_) => None,
    };
    let provenance = match file.group(super::layout::PROVENANCE) {
        Ok(g) => Some(Value::Object(read_attributes(&g).map_err(|e| {
            fail(format!("cannot read /parameters/provenance: {e}"))
        })?)),
        Err(_) => None,
    };
    let mut observables = Map::new();
    if let Ok(g) = file.group("observables") {
        for member in g.member_names().map_err(|e| fail(e.to_string()))? {
            let Ok(ds) = g.dataset(&member) else { continue };
            if ds.ndim() == 0
                && let Ok(v) = ds.read_scalar::<f64>()
            {
                observables.insert(
                    member,
                    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number),
                );
            }
        }
    }
    Ok(StoredConfiguration {
        configuration,
        model,
        provenance,
        observables,
    })
}
