//! Results of a campaign: many samples per HDF5 file, every file always complete.
//!
//! Each worker appends to its own files `worker-<W>-part-<P>.h5` (`W` a label such as `0003`, or
//! `n2000-0003` for a worker of a run restricted to one system size), at most [`PART_CAPACITY`] entries
//! each. An entry is added by copying the current part beside itself, adding the entry's group to the
//! copy and renaming the copy over the part (see [`crate::io::atomic`]): a kill at any moment leaves the
//! part as it was before or after, never half-written, and costs at most one part's copy per entry.
//! A lock on `worker-<W>.lock` keeps two runs from writing as the same worker.
//!
//! Layout of a part (arrays with Fletcher-32 checksums, so corrupted data fails to read):
//!
//! ```text
//! /h5md                              as in every pinch file
//! /parameters                        attribute campaign_description: the campaign's TOML text
//! /samples/<sample>                  attributes: status ("complete" or "failed"), reason, point, chain,
//!                                    n_particles, parent_temperature, chain_index, sample_index,
//!                                    sweep, tau_alpha, seeds; below it, the layout of a `pinch sample`
//!                                    file: particles/all/…, parameters/…, observables/…, modes/…,
//!                                    elastic, dipoles/…
//! /chains/<chain>                    attributes: status, reason, the equilibration verdict; below it
//!                                    observables/equilibration/… (time series) and
//!                                    observables/self_intermediate_scattering/…
//! ```

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::io::atomic::AtomicOutput;
use crate::io::deadline::ReadDeadline;
use crate::io::h5md::{self, Extras};
use crate::io::layout::entries;
use crate::model::{Configuration, ModelParameters};
use crate::provenance::Provenance;

/// Entries per part file at most.
pub const PART_CAPACITY: usize = 64;

/// What an entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// One sample: an inherent state and its measurements.
    Sample,
    /// One swap Monte Carlo chain's equilibration record.
    Chain,
}

impl Kind {
    /// The group holding entries of this kind.
    pub fn group(self) -> &'static str {
        match self {
            Kind::Sample => "samples",
            Kind::Chain => "chains",
        }
    }
}

/// The value of the `status` attribute of a finished entry.
pub const COMPLETE: &str = "complete";
/// The value of the `status` attribute of an entry that failed (its `reason` says why).
pub const FAILED: &str = "failed";

/// One entry to store.
pub struct Entry<'a> {
    /// Sample or chain.
    pub kind: Kind,
    /// Its name, unique within the campaign.
    pub id: String,
    /// Attributes of the entry's group (status, reason, point, …).
    pub attributes: Map<String, Value>,
    /// The configuration (an inherent state), if there is one.
    pub configuration: Option<&'a Configuration>,
    /// The model.
    pub model: &'a ModelParameters,
    /// Who made it.
    pub provenance: &'a Provenance,
    /// Observables, attribute groups and arrays.
    pub extras: Extras<'a>,
}

/// Appends entries to one worker's part files.
pub struct Writer {
    directory: PathBuf,
    description: String,
    worker: String,
    part: usize,
    entries_in_part: usize,
    // Held for the writer's lifetime: the lock is released when the file is closed.
    _lock: fs::File,
}

fn part_name(worker: &str, part: usize) -> String {
    format!("worker-{worker}-part-{part:04}.h5")
}

fn parse_part_name(name: &str) -> Option<(String, usize)> {
    let rest = name.strip_prefix("worker-")?.strip_suffix(".h5")?;
    let (worker, part) = rest.rsplit_once("-part-")?;
    Some((worker.to_owned(), part.parse().ok()?))
}

fn hdf5_error(path: &Path, error: impl std::fmt::Display) -> Error {
    Error::Hdf5 {
        path: path.display().to_string(),
        message: error.to_string(),
    }
}

impl Writer {
    /// Opens worker `worker`'s files in `directory` (created if missing), continuing its last part;
    /// new parts record the campaign's `description` (its TOML text). Fails if another process holds
    /// the worker's lock.
    pub fn open(directory: &Path, worker: &str, description: &str) -> Result<Writer> {
        if worker.is_empty()
            || !worker
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(Error::Usage(format!(
                "worker label {worker:?} must be letters, digits and '-'"
            )));
        }
        fs::create_dir_all(directory).map_err(|e| Error::write(directory, e))?;
        let lock_path = directory.join(format!("worker-{worker}.lock"));
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::write(&lock_path, e))?;
        lock.try_lock().map_err(|_| {
            Error::write(
                &lock_path,
                format!(
                    "worker {worker} is already running in another process (the file is locked)"
                ),
            )
        })?;
        let mut last_part = None;
        for entry in fs::read_dir(directory).map_err(|e| Error::write(directory, e))? {
            let path = entry.map_err(|e| Error::write(directory, e))?.path();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if let Some((stem, _)) = name.split_once(".tmp-") {
                // A write of this worker's that never finished (the lock says no other process is
                // writing as this worker).
                if parse_part_name(stem).is_some_and(|(w, _)| w == worker) {
                    fs::remove_file(&path).map_err(|e| Error::write(&path, e))?;
                }
            } else if let Some((w, p)) = parse_part_name(&name)
                && w == worker
            {
                last_part = last_part.max(Some(p));
            }
        }
        let (part, entries_in_part) = match last_part {
            None => (0, 0),
            Some(p) => {
                let path = directory.join(part_name(worker, p));
                match count_entries(&path) {
                    Ok(count) => (p, count),
                    // An unreadable part is left alone (the scan reports it); writing goes on in a new one.
                    Err(_) => (p + 1, 0),
                }
            }
        };
        Ok(Writer {
            directory: directory.to_owned(),
            description: description.to_owned(),
            worker: worker.to_owned(),
            part,
            entries_in_part,
            _lock: lock,
        })
    }

    /// Adds `entry` to the current part (a new part when it is full), atomically. An entry of the same
    /// kind and name already in that part is replaced.
    pub fn add(&mut self, entry: &Entry) -> Result<PathBuf> {
        if self.entries_in_part >= PART_CAPACITY {
            self.part += 1;
            self.entries_in_part = 0;
        }
        let target = self.directory.join(part_name(&self.worker, self.part));
        let output = AtomicOutput::new(&target)?;
        let exists = target.exists();
        if exists {
            fs::copy(&target, output.path()).map_err(|e| Error::write(&target, e))?;
        }
        let _deadline = ReadDeadline::start(output.path());
        let write = || -> hdf5::Result<bool> {
            let file = if exists {
                hdf5::File::open_rw(output.path())?
            } else {
                let file = hdf5::File::create(output.path())?;
                h5md::write_header(&file, entry.provenance)?;
                let parameters = file.create_group("parameters")?;
                h5md::write_attributes(
                    &parameters,
                    &serde_json::json!({ "campaign_description": self.description }),
                )?;
                file
            };
            let kind_group = h5md::group_at(&file, entry.kind.group())?;
            let replaced = kind_group.link_exists(&entry.id);
            if replaced {
                kind_group.unlink(&entry.id)?;
            }
            let group = kind_group.create_group(&entry.id)?;
            h5md::write_attributes(&group, &Value::Object(entry.attributes.clone()))?;
            match entry.configuration {
                Some(configuration) => h5md::write_contents(
                    &group,
                    configuration,
                    entry.model,
                    entry.provenance,
                    &entry.extras,
                )?,
                None => h5md::write_extras(&group, entry.model, entry.provenance, &entry.extras)?,
            }
            file.close()?;
            Ok(replaced)
        };
        let replaced = write().map_err(|e| Error::write(&target, e))?;
        output.commit()?;
        if !replaced {
            self.entries_in_part += 1;
        }
        Ok(target)
    }
}

fn count_entries(path: &Path) -> Result<usize> {
    let _deadline = ReadDeadline::start(path);
    let file = hdf5::File::open(path).map_err(|e| hdf5_error(path, e))?;
    let mut count = 0;
    for kind in [Kind::Sample, Kind::Chain] {
        if let Ok(group) = file.group(kind.group()) {
            count += group.member_names().map_err(|e| hdf5_error(path, e))?.len();
        }
    }
    Ok(count)
}

/// Where an entry was found, with its attributes.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    /// The part file.
    pub path: PathBuf,
    /// The entry group's attributes.
    pub attributes: Map<String, Value>,
}

impl Found {
    /// The entry's status attribute.
    pub fn status(&self) -> &str {
        self.text(entries::STATUS).unwrap_or("")
    }

    /// Why the entry failed, if it says.
    pub fn reason(&self) -> Option<&str> {
        self.text(entries::REASON)
    }

    /// Whether the entry is finished, successfully or not.
    pub fn finished(&self) -> bool {
        matches!(self.status(), COMPLETE | FAILED)
    }

    /// A numeric attribute.
    pub fn number(&self, name: &str) -> Option<f64> {
        self.attributes.get(name).and_then(Value::as_f64)
    }

    /// A string attribute.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.attributes.get(name).and_then(Value::as_str)
    }
}

/// Everything stored in a results directory.
#[derive(Clone, Debug, Default)]
pub struct Inventory {
    /// Samples by name. Where one is stored twice (redone after a corruption), the later part wins.
    pub samples: BTreeMap<String, Found>,
    /// Chain records by name.
    pub chains: BTreeMap<String, Found>,
    /// Part files that cannot be read, with the reason.
    pub unreadable: Vec<(PathBuf, String)>,
    /// Temporary files of writes that never finished (a killed run leaves them).
    pub leftovers: Vec<PathBuf>,
}

/// Reads the names and attributes of every entry in `directory` (no datasets: see [`verify`]).
pub fn scan(directory: &Path) -> Result<Inventory> {
    let mut inventory = Inventory::default();
    if !directory.exists() {
        return Ok(inventory);
    }
    let mut parts = Vec::new();
    for entry in fs::read_dir(directory).map_err(|e| hdf5_error(directory, e))? {
        let path = entry.map_err(|e| hdf5_error(directory, e))?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.contains(".h5.tmp-") {
            inventory.leftovers.push(path);
        } else if let Some(key) = parse_part_name(&name) {
            parts.push((key, path));
        }
    }
    parts.sort();
    for (_, path) in parts {
        match read_part(&path) {
            Ok(entries) => {
                for (kind, id, attributes) in entries {
                    let found = Found {
                        path: path.clone(),
                        attributes,
                    };
                    match kind {
                        Kind::Sample => inventory.samples.insert(id, found),
                        Kind::Chain => inventory.chains.insert(id, found),
                    };
                }
            }
            Err(error) => inventory.unreadable.push((path, error.to_string())),
        }
    }
    Ok(inventory)
}

type PartEntries = Vec<(Kind, String, Map<String, Value>)>;

fn read_part(path: &Path) -> Result<PartEntries> {
    let _deadline = ReadDeadline::start(path);
    let file = hdf5::File::open(path).map_err(|e| hdf5_error(path, e))?;
    let mut entries = Vec::new();
    for kind in [Kind::Sample, Kind::Chain] {
        let Ok(group) = file.group(kind.group()) else {
            continue;
        };
        for id in group.member_names().map_err(|e| hdf5_error(path, e))? {
            let member = group.group(&id).map_err(|e| hdf5_error(path, e))?;
            let attributes = h5md::read_attributes(&member)
                .map_err(|e| hdf5_error(path, format!("/{}/{id}: {e}", kind.group())))?;
            entries.push((kind, id, attributes));
        }
    }
    Ok(entries)
}

/// Reads every dataset of the entry, so that a checksum or structure error shows as
/// [`Error::Damaged`], which says what is wrong.
pub fn verify(path: &Path, kind: Kind, id: &str) -> Result<()> {
    let _deadline = ReadDeadline::start(path);
    let damaged = |message: String| Error::Damaged {
        path: path.display().to_string(),
        message,
    };
    let file = hdf5::File::open(path).map_err(|e| damaged(e.to_string()))?;
    let group = file
        .group(&format!("{}/{id}", kind.group()))
        .map_err(|e| damaged(e.to_string()))?;
    verify_group(&group, &format!("/{}/{id}", kind.group()), &damaged)
}

fn verify_group(group: &hdf5::Group, name: &str, damaged: &dyn Fn(String) -> Error) -> Result<()> {
    for member in group.member_names().map_err(|e| damaged(e.to_string()))? {
        let path = format!("{name}/{member}");
        if let Ok(child) = group.group(&member) {
            verify_group(&child, &path, damaged)?;
        } else if let Ok(dataset) = group.dataset(&member) {
            let size = dataset.storage_size();
            let ok = match dataset.dtype().and_then(|t| t.to_descriptor()) {
                Ok(hdf5::types::TypeDescriptor::Float(_)) => dataset.read_raw::<f64>().map(|_| ()),
                Ok(hdf5::types::TypeDescriptor::Unsigned(_)) => {
                    dataset.read_raw::<u64>().map(|_| ())
                }
                Ok(hdf5::types::TypeDescriptor::Integer(_)) => {
                    dataset.read_raw::<i64>().map(|_| ())
                }
                Ok(hdf5::types::TypeDescriptor::Boolean) => dataset.read_raw::<bool>().map(|_| ()),
                Ok(_) => Ok(()),
                Err(e) => Err(e),
            };
            ok.map_err(|e| damaged(format!("{path} ({size} bytes) cannot be read: {e}")))?;
        }
    }
    Ok(())
}

/// Removes the temporary files of writes that never finished.
pub fn remove_leftovers(inventory: &Inventory) -> Result<()> {
    for path in &inventory.leftovers {
        fs::remove_file(path).map_err(|e| Error::write(path, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::h5md::Array;

    fn entry<'a>(
        id: &str,
        configuration: &'a Configuration,
        model: &'a ModelParameters,
        provenance: &'a Provenance,
        values: &'a [f64],
    ) -> Entry<'a> {
        let mut attributes = Map::new();
        attributes.insert("status".into(), COMPLETE.into());
        attributes.insert("parent_temperature".into(), 0.7.into());
        Entry {
            kind: Kind::Sample,
            id: id.into(),
            attributes,
            configuration: Some(configuration),
            model,
            provenance,
            extras: Extras {
                arrays: vec![(
                    "dipoles/omega".into(),
                    Array::F64(values, vec![values.len()]),
                )],
                ..Default::default()
            },
        }
    }

    #[test]
    fn parts_fill_up_are_scanned_and_corruption_is_detected() {
        let directory = tempfile::tempdir().unwrap();
        let model = ModelParameters::default();
        let configuration = crate::model::random_configuration(&model, 50, 1);
        let provenance = Provenance::of_this_run(Some(1), 1);
        let values: Vec<f64> = (0..5000).map(|k| k as f64 * 0.25).collect();
        {
            let mut writer = Writer::open(directory.path(), "0003", "name = \"t\"").unwrap();
            // A second writer as the same worker is refused while the first one lives.
            let second = Writer::open(directory.path(), "0003", "name = \"t\"");
            assert!(second.is_err());
            for k in 0..PART_CAPACITY + 2 {
                let id = format!("s{k}");
                writer
                    .add(&entry(&id, &configuration, &model, &provenance, &values))
                    .unwrap();
            }
        }
        // Reopened, the worker continues its last part.
        let mut writer = Writer::open(directory.path(), "0003", "name = \"t\"").unwrap();
        let distinct: Vec<f64> = values.iter().map(|v| v + 1e6).collect();
        let path = writer
            .add(&entry(
                "last",
                &configuration,
                &model,
                &provenance,
                &distinct,
            ))
            .unwrap();
        assert!(path.ends_with("worker-0003-part-0001.h5"));
        drop(writer);
        let inventory = scan(directory.path()).unwrap();
        assert_eq!(inventory.samples.len(), PART_CAPACITY + 3);
        assert!(inventory.unreadable.is_empty() && inventory.leftovers.is_empty());
        let found = &inventory.samples["s7"];
        assert_eq!(found.status(), COMPLETE);
        assert_eq!(found.number("parent_temperature"), Some(0.7));
        verify(&found.path, Kind::Sample, "s7").unwrap();

        // Flip a byte inside the stored values of the last entry: its checksum no longer matches.
        let path = inventory.samples["last"].path.clone();
        let mut bytes = fs::read(&path).unwrap();
        let needle: Vec<u8> = distinct[1000..1004]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let at = bytes
            .windows(needle.len())
            .position(|w| w == needle.as_slice())
            .expect("the values are stored uncompressed");
        bytes[at + 3] ^= 0x10;
        fs::write(&path, bytes).unwrap();
        let error = verify(&path, Kind::Sample, "last").unwrap_err().to_string();
        assert!(error.contains("dipoles/omega"), "{error}");
        // Its attributes still scan, so the damage shows only on reading the data.
        assert!(scan(directory.path()).unwrap().samples.contains_key("last"));
    }
}
