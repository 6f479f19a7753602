//! Where a campaign stands: its samples per (N, T_p) counted as complete, failed, running (their chain
//! has a checkpoint), pending or damaged, as `pinch campaign status` reports them.

use std::path::Path;

use serde::Serialize;

use super::chain::checkpoint_path;
use super::store::{self, COMPLETE, FAILED, Inventory, Kind};
use super::{Campaign, Point};

/// Samples by state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Stored and complete.
    pub complete: usize,
    /// Stored as failed.
    pub failed: usize,
    /// Not stored; their chain has a checkpoint.
    pub running: usize,
    /// Not stored, and their chain has not started.
    pub pending: usize,
    /// Stored, but failing their checksums (counted only when verified).
    pub damaged: usize,
}

impl std::ops::AddAssign for Tally {
    fn add_assign(&mut self, other: Tally) {
        self.complete += other.complete;
        self.failed += other.failed;
        self.running += other.running;
        self.pending += other.pending;
        self.damaged += other.damaged;
    }
}

/// One point's tally, with the reasons of its failed samples.
pub struct PointProgress {
    /// The point.
    pub point: Point,
    /// Its samples by state.
    pub tally: Tally,
    /// `id: reason` of each failed sample.
    pub failures: Vec<String>,
}

/// The campaign's samples by point, from `inventory` and the checkpoints in `directory`. With `verify`,
/// stored samples are read in full and those failing their checksums count as damaged (their ids
/// are the second value).
pub fn progress(
    campaign: &Campaign,
    directory: &Path,
    inventory: &Inventory,
    verify: bool,
) -> (Vec<PointProgress>, Vec<String>) {
    let mut damaged = Vec::new();
    let points = campaign
        .points()
        .into_iter()
        .map(|point| {
            let mut tally = Tally::default();
            let mut failures = Vec::new();
            for chain in campaign.chains_at(point) {
                let running = checkpoint_path(directory, &chain).exists();
                for id in chain.sample_ids() {
                    match inventory.samples.get(&id) {
                        Some(found)
                            if verify && store::verify(&found.path, Kind::Sample, &id).is_err() =>
                        {
                            tally.damaged += 1;
                            damaged.push(id);
                        }
                        Some(found) if found.status() == COMPLETE => tally.complete += 1,
                        Some(found) if found.status() == FAILED => {
                            tally.failed += 1;
                            if let Some(reason) = found.reason() {
                                failures.push(format!("{id}: {reason}"));
                            }
                        }
                        _ if running => tally.running += 1,
                        _ => tally.pending += 1,
                    }
                }
            }
            PointProgress {
                point,
                tally,
                failures,
            }
        })
        .collect();
    (points, damaged)
}
