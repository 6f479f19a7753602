//! Where results live in pinch's files, and what their attribute groups hold: the paths and the typed
//! records that the writers (`sample::measure`, campaign chains) and the readers (`analysis::samples`,
//! `pinch inspect`, campaign resume) share. `docs/FORMAT.md` documents each one; a test checks that it
//! names them all.
//!
//! A record is a serde struct written as one attribute per field. A NaN is not stored (the attribute is
//! left out) and reads back as NaN.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

pub mod dipoles;
pub mod elastic;
pub mod entries;
pub mod modes;

pub use dipoles::DipolesRecord;
pub use elastic::ElasticRecord;
pub use entries::{ChainProgress, ChainRecord, SampleAttributes};
pub use modes::ModesRecord;

/// The first two members of every radial profile: shell radii and particle counts.
pub const PROFILE_MEMBERS: [&str; 2] = ["radius", "count"];

/// The particles' positions (N, 3).
pub const POSITION: &str = "particles/all/position";
/// The box edges (3,).
pub const BOX_EDGES: &str = "particles/all/box/edges";
/// The potential energy per particle.
pub const ENERGY_PER_PARTICLE: &str = "observables/energy_per_particle";

/// The swap Monte Carlo parameters a sample or a chain was made with.
pub const SWAP_MONTE_CARLO: &str = "parameters/swap_monte_carlo";
/// The quench parameters.
pub const QUENCH: &str = "parameters/quench";
/// The measurement parameters.
pub const MEASUREMENTS: &str = "parameters/measurements";
/// Who made the file ([`crate::provenance::Provenance`]).
pub const PROVENANCE: &str = "parameters/provenance";
/// The model parameters.
pub const MODEL: &str = "parameters/model";
/// The schedule of an equilibration run.
pub const EQUILIBRATION: &str = "parameters/equilibration";
/// The stationarity verdict of an equilibration run.
pub const STATIONARITY: &str = "observables/stationarity";

/// A record stored as the attributes of a group at a fixed path.
pub trait Group: Serialize + DeserializeOwned {
    /// The group's path.
    const PATH: &'static str;
}

/// A record as attributes, one per field (a NaN or `None` becomes `null`, which is not stored).
pub fn attributes<R: Serialize>(record: &R) -> Map<String, Value> {
    match serde_json::to_value(record) {
        Ok(Value::Object(map)) => map,
        // Records are structs of numbers, strings and booleans.
        _ => unreachable!("a record serialises to an object"),
    }
}

/// A group of attributes at `path`, one per field of `record`.
pub fn group<R: Serialize>(path: &str, record: &R) -> (String, Value) {
    (path.to_owned(), Value::Object(attributes(record)))
}

/// A record from the attributes of its group; the error names the missing or mistyped field.
pub fn from_attributes<R: DeserializeOwned>(
    attributes: Map<String, Value>,
) -> Result<R, serde_json::Error> {
    serde_json::from_value(Value::Object(attributes))
}

/// What a floating-point field reads as when its attribute is absent: a NaN, which is never stored.
pub(crate) fn absent() -> f64 {
    f64::NAN
}

/// A member of a group: `group/name`.
pub fn member(group: &str, name: &str) -> String {
    format!("{group}/{name}")
}

/// The four datasets of the radial profile `profile`: `radius`, `count`, then its two `sums`.
pub fn profile_paths(profile: &str, sums: [&str; 2]) -> [String; 4] {
    [PROFILE_MEMBERS[0], PROFILE_MEMBERS[1], sums[0], sums[1]].map(|name| member(profile, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every path of the layout, with the members of the profiles.
    fn paths() -> Vec<String> {
        let mut paths: Vec<String> = [
            ModesRecord::PATH,
            modes::EIGENVALUES,
            modes::FREQUENCIES,
            modes::PARTICIPATION_RATIOS,
            modes::RELATIVE_ERRORS,
            modes::CENTRES,
            modes::VECTORS,
            DipolesRecord::PATH,
            dipoles::PAIRS,
            dipoles::D_HINV_D,
            dipoles::D_HINV2_D,
            dipoles::OMEGA,
            dipoles::LOCAL_OMEGA_MIN,
            dipoles::LOCAL_OMEGA_MEAN,
            ElasticRecord::PATH,
            POSITION,
            BOX_EDGES,
            ENERGY_PER_PARTICLE,
            SWAP_MONTE_CARLO,
            QUENCH,
            MEASUREMENTS,
            PROVENANCE,
            MODEL,
            EQUILIBRATION,
            STATIONARITY,
        ]
        .map(str::to_owned)
        .to_vec();
        for (profile, sums) in [
            (modes::PROFILE, modes::PROFILE_SUMS),
            (dipoles::PROFILE, dipoles::PROFILE_SUMS),
        ] {
            paths.extend(profile_paths(profile, sums));
        }
        paths
    }

    /// A path counts as documented when one line of `docs/FORMAT.md` names its parent group (as
    /// `/group`) and its own name as a word: the tables list several members of a group on one line.
    #[test]
    fn every_path_is_documented_in_the_format_description() {
        let format = include_str!("../../../docs/FORMAT.md");
        let is_word = |line: &str, word: &str| {
            line.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|w| w == word)
        };
        let undocumented: Vec<String> = paths()
            .into_iter()
            .filter(|path| {
                let (parent, name) = path.rsplit_once('/').unwrap_or(("", path));
                !format.lines().any(|line| {
                    is_word(line, name)
                        && (parent.is_empty() || line.contains(&format!("/{parent}")))
                })
            })
            .collect();
        assert!(
            undocumented.is_empty(),
            "docs/FORMAT.md does not document {undocumented:?}"
        );
    }

    /// The attributes of each record, beside the `docs/FORMAT.md` entry that documents them: the line
    /// that begins with the entry's marker and the indented lines after it.
    fn records() -> Vec<(&'static str, Map<String, Value>)> {
        let progress = ChainProgress {
            equilibrated_at: Some(0.0),
            sample_spacing: Some(0.0),
            tau_alpha: Some(0.0),
            start: Some(String::new()),
        };
        vec![
            ("/modes ", attributes(&ModesRecord::default())),
            ("/elastic ", attributes(&ElasticRecord::default())),
            ("/dipoles ", attributes(&DipolesRecord::default())),
            (
                "/samples/<sample>",
                attributes(&SampleAttributes {
                    sweep: Some(0),
                    tau_alpha: Some(0.0),
                    ..Default::default()
                }),
            ),
            (
                "/chains/<chain>",
                attributes(&ChainRecord {
                    progress,
                    ..Default::default()
                }),
            ),
            (
                "| `/parameters/provenance`",
                attributes(&crate::provenance::Provenance::of_this_run(Some(1), 1)),
            ),
        ]
    }

    /// A record's attribute counts as documented when its entry names it as a word, or names its
    /// stem with `_<plane>` for the three shear planes.
    #[test]
    fn every_attribute_of_a_record_is_documented() {
        let format = include_str!("../../../docs/FORMAT.md");
        for (marker, attributes) in records() {
            let mut lines = format.lines().skip_while(|line| !line.starts_with(marker));
            let first = lines
                .next()
                .unwrap_or_else(|| panic!("docs/FORMAT.md has no entry beginning with {marker:?}"));
            let entry: String = std::iter::once(first)
                .chain(lines.take_while(|line| line.starts_with(' ')))
                .collect::<Vec<_>>()
                .join(" ");
            let words: Vec<&str> = entry
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .collect();
            let undocumented: Vec<&String> = attributes
                .keys()
                .filter(|name| {
                    let plane = ["_xy", "_xz", "_yz"]
                        .iter()
                        .find_map(|suffix| name.strip_suffix(suffix));
                    !(words.contains(&name.as_str())
                        || plane.is_some_and(|stem| entry.contains(&format!("{stem}_<plane>"))))
                })
                .collect();
            assert!(
                undocumented.is_empty(),
                "docs/FORMAT.md does not document {undocumented:?} at {marker:?}"
            );
        }
    }

    #[test]
    fn entries_name_their_status_and_reason_as_the_store_reads_them() {
        for attributes in [
            attributes(&SampleAttributes::default()),
            attributes(&ChainRecord::default()),
        ] {
            assert!(attributes.contains_key(entries::STATUS));
            assert!(attributes.contains_key(entries::REASON));
        }
    }

    #[test]
    fn a_nan_is_not_stored_and_reads_back_as_nan() {
        let record = ElasticRecord {
            bulk: f64::NAN,
            shear_mean: 3.0,
            ..Default::default()
        };
        let mut stored = attributes(&record);
        stored.retain(|_, value| !value.is_null());
        assert!(!stored.contains_key("bulk"));
        let read: ElasticRecord = from_attributes(stored).unwrap();
        assert!(read.bulk.is_nan());
        assert_eq!(read.shear_mean, 3.0);
    }

    #[test]
    fn a_missing_field_is_named() {
        let mut stored = attributes(&ModesRecord::default());
        stored.remove("method");
        let error = from_attributes::<ModesRecord>(stored).unwrap_err();
        assert!(error.to_string().contains("method"), "{error}");
    }
}
