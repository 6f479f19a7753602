//! Reading a campaign's samples for the analysis: what each sample holds of the paper's quantities,
//! and which chain and place in it the sample comes from (for resampling correlated samples).

use std::path::Path;

use crate::campaign::store::{COMPLETE, Inventory, Kind};
use crate::campaign::{Campaign, Point};
use crate::error::{Error, Result};
use crate::io::layout::{self, ElasticRecord, Group, SampleAttributes};

/// A radial profile summed over shells: radii, particle counts and two sums per shell.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Profile {
    /// Shell centres.
    pub radius: Vec<f64>,
    /// Particles per shell.
    pub count: Vec<f64>,
    /// The first sum per shell (û·r̂ for dipoles, |ψ| for modes).
    pub first: Vec<f64>,
    /// The second sum per shell (|û|², |ψ|²).
    pub second: Vec<f64>,
}

impl Profile {
    pub(crate) fn add(&mut self, other: &Profile) {
        if self.radius.is_empty() {
            *self = other.clone();
            return;
        }
        let n = self.radius.len().min(other.radius.len());
        self.radius.truncate(n);
        for (target, source) in [
            (&mut self.count, &other.count),
            (&mut self.first, &other.first),
            (&mut self.second, &other.second),
        ] {
            target.truncate(n);
            for (t, s) in target.iter_mut().zip(source) {
                *t += s;
            }
        }
    }

    /// The first sum per particle in each shell (NaN where a shell is empty).
    pub fn mean_first(&self) -> Vec<f64> {
        self.per_particle(&self.first)
    }

    /// The second sum per particle in each shell (NaN where a shell is empty).
    pub fn mean_second(&self) -> Vec<f64> {
        self.per_particle(&self.second)
    }

    fn per_particle(&self, sums: &[f64]) -> Vec<f64> {
        sums.iter()
            .zip(&self.count)
            .map(|(s, c)| if *c > 0.0 { s / c } else { f64::NAN })
            .collect()
    }
}

/// What the analysis reads of one sample.
#[derive(Clone, Debug, Default)]
pub struct SampleData {
    /// Its name.
    pub id: String,
    /// The index of its chain among the point's chains, or of its trunk's among the trunks where
    /// chains branch (`[sampling] branches`): the unit the bootstrap takes as independent.
    pub chain: usize,
    /// Which chain of its trunk's family it comes from (0: the trunk, or a chain that does not
    /// branch).
    pub branch: usize,
    /// Its place in its own chain.
    pub position: usize,
    /// The chain's sweep it was taken at, in units of the chain's τ_α (NaN if not recorded).
    pub sweep_tau_alpha: f64,
    /// N.
    pub n_particles: usize,
    /// T_p.
    pub parent_temperature: f64,
    /// Box edge L.
    pub box_length: f64,
    /// Inherent-state energy per particle.
    pub energy_per_particle: f64,
    /// Lowest nonzero mode frequencies, ascending.
    pub frequencies: Vec<f64>,
    /// Their participation ratios.
    pub participation_ratios: Vec<f64>,
    /// Each mode's profile about its centre (`first` = Σ|ψ|), if stored.
    pub mode_profiles: Vec<Profile>,
    /// Mean shear modulus over the three planes.
    pub shear_modulus: f64,
    /// Bulk modulus.
    pub bulk_modulus: f64,
    /// Pressure.
    pub pressure: f64,
    /// ω^(ij) of each dipole.
    pub omega: Vec<f64>,
    /// The summed profile of the normalised dipole responses.
    pub dipole_profile: Profile,
}

/// The complete samples of `point`, read in full so that damage anywhere shows, in chain order, and
/// the samples left out (stored as failed, or damaged) with the reasons.
pub fn read_point(
    campaign: &Campaign,
    inventory: &Inventory,
    point: Point,
) -> (Vec<SampleData>, Vec<String>) {
    let mut samples = Vec::new();
    let mut excluded = Vec::new();
    // Branches of one trunk share its history: the bootstrap takes the family as one chain, whose
    // samples at the same place in their chains share a block (`docs/sampling.md`).
    let branches = campaign.sampling.branches;
    for chain in campaign.chains_at(point) {
        for (position, id) in chain.sample_ids().enumerate() {
            let Some(found) = inventory.samples.get(&id) else {
                continue;
            };
            if found.status() != COMPLETE {
                excluded.push(format!("{id}: {}", found.reason().unwrap_or("failed")));
                continue;
            }
            let read = crate::campaign::store::verify(&found.path, Kind::Sample, &id)
                .and_then(|()| read_sample(&found.path, &id));
            match read {
                Ok(sample) => samples.push(SampleData {
                    chain: chain.index / branches,
                    branch: chain.index % branches,
                    position,
                    parent_temperature: point.parent_temperature,
                    ..sample
                }),
                Err(problem) => excluded.push(format!("{id}: damaged: {problem}")),
            }
        }
    }
    (samples, excluded)
}

/// A profile group's radius, count and two sums, with the shape of its counts.
type ProfileData = ([Vec<f64>; 4], Vec<usize>);

/// A record's group below `group`, if present; `damaged` says so if it does not read as the record.
fn record<R: Group>(group: &hdf5::Group, damaged: impl Fn(String) -> Error) -> Result<Option<R>> {
    let Ok(member) = group.group(R::PATH) else {
        return Ok(None);
    };
    let attributes = crate::io::h5md::read_attributes(&member)
        .map_err(|e| damaged(format!("{}: {e}", R::PATH)))?;
    layout::from_attributes(attributes)
        .map(Some)
        .map_err(|e| damaged(format!("{}: {e}", R::PATH)))
}

/// Reads sample `id` from part `path`; [`Error::Damaged`] says what is missing or damaged (without
/// the id, which the caller adds).
pub fn read_sample(path: &Path, id: &str) -> Result<SampleData> {
    let _deadline = crate::io::deadline::ReadDeadline::start(path);
    // The caller names the sample.
    let damaged = |message: String| Error::Damaged {
        path: path.display().to_string(),
        message,
    };
    let file = hdf5::File::open(path).map_err(|e| damaged(e.to_string()))?;
    let group = file
        .group(&format!("{}/{id}", Kind::Sample.group()))
        .map_err(|e| damaged(e.to_string()))?;
    let f64s = |member: &str| -> Result<Option<(Vec<f64>, Vec<usize>)>> {
        match group.dataset(member) {
            Ok(ds) => ds
                .read_raw::<f64>()
                .map(|v| Some((v, ds.shape())))
                .map_err(|e| damaged(format!("{member}: {e}"))),
            Err(_) => Ok(None),
        }
    };
    let scalar = |member: &str| -> Result<f64> {
        group
            .dataset(member)
            .and_then(|ds| ds.read_scalar::<f64>())
            .map_err(|e| damaged(format!("{member}: {e}")))
    };
    // The four datasets of a profile group, with the shape of its counts; `None` if one is absent.
    let profile = |group: &str, sums: [&str; 2]| -> Result<Option<ProfileData>> {
        let read = layout::profile_paths(group, sums)
            .iter()
            .map(|path| f64s(path))
            .collect::<Result<Vec<_>>>()?;
        let Some(read) = read.into_iter().collect::<Option<Vec<_>>>() else {
            return Ok(None);
        };
        let shape = read[1].1.clone();
        let [radius, count, first, second] = <[_; 4]>::try_from(read).expect("four datasets");
        Ok(Some(([radius.0, count.0, first.0, second.0], shape)))
    };
    let own: SampleAttributes = crate::io::h5md::read_attributes(&group)
        .map_err(|e| damaged(e.to_string()))
        .and_then(|a| layout::from_attributes(a).map_err(|e| damaged(e.to_string())))?;
    let edges = f64s(layout::BOX_EDGES)?
        .ok_or_else(|| damaged("no box".into()))?
        .0;
    // Only the shape: `store::verify` has read every dataset already.
    let shape = group
        .dataset(layout::POSITION)
        .map_err(|_| damaged("no positions".into()))?
        .shape();
    let (Some(&box_length), Some(&n_particles)) = (edges.first(), shape.first()) else {
        return Err(damaged("empty box or positions".into()));
    };
    let mut sample = SampleData {
        id: id.to_owned(),
        sweep_tau_alpha: match (own.sweep, own.tau_alpha) {
            (Some(sweep), Some(tau)) => sweep as f64 / tau,
            _ => f64::NAN,
        },
        n_particles,
        parent_temperature: own.parent_temperature,
        box_length,
        energy_per_particle: scalar(layout::ENERGY_PER_PARTICLE)?,
        ..Default::default()
    };
    if let Some((values, _)) = f64s(layout::modes::FREQUENCIES)? {
        sample.frequencies = values;
        sample.participation_ratios = f64s(layout::modes::PARTICIPATION_RATIOS)?
            .map(|v| v.0)
            .unwrap_or_default();
        if let Some(([radius, count, first, second], shape)) =
            profile(layout::modes::PROFILE, layout::modes::PROFILE_SUMS)?
        {
            let bins = radius.len();
            let modes = if shape.len() == 2 { shape[0] } else { 1 };
            if [&count, &first, &second]
                .iter()
                .any(|v| v.len() != modes * bins)
            {
                return Err(damaged("modes/profile: datasets of unequal length".into()));
            }
            for k in 0..modes {
                let range = k * bins..(k + 1) * bins;
                sample.mode_profiles.push(Profile {
                    radius: radius.clone(),
                    count: count[range.clone()].to_vec(),
                    first: first[range.clone()].to_vec(),
                    second: second[range].to_vec(),
                });
            }
        }
    }
    let elastic = record::<ElasticRecord>(&group, &damaged)?;
    sample.shear_modulus = elastic.as_ref().map_or(f64::NAN, |e| e.shear_mean);
    sample.bulk_modulus = elastic.as_ref().map_or(f64::NAN, |e| e.bulk);
    sample.pressure = elastic.as_ref().map_or(f64::NAN, |e| e.pressure);
    if let Some((omega, _)) = f64s(layout::dipoles::OMEGA)? {
        sample.omega = omega;
        if let Some(([radius, count, first, second], _)) =
            profile(layout::dipoles::PROFILE, layout::dipoles::PROFILE_SUMS)?
        {
            sample.dipole_profile = Profile {
                radius,
                count,
                first,
                second,
            };
        }
    }
    Ok(sample)
}
