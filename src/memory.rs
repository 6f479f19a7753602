//! How much memory this process may use, so that work that cannot fit is refused with a message before
//! anything is allocated, instead of dying of an allocation failure or the out-of-memory killer.
//!
//! The limit is the smallest of: the machine's available memory (`MemAvailable` in `/proc/meminfo`),
//! the control group's limit (cgroup v2 `memory.max`, as Slurm and containers set it), and the Slurm
//! job's `--mem` or `--mem-per-cpu` (`SLURM_MEM_PER_NODE`, `SLURM_MEM_PER_CPU`). Ranks on one node share
//! it.

use std::fmt::Display;

use crate::error::{Error, Result};

/// A memory limit and where it comes from.
#[derive(Clone, Debug, PartialEq)]
pub struct Limit {
    /// Bytes.
    pub bytes: u64,
    /// What sets it, in words.
    pub source: String,
}

fn meminfo_available() -> Option<Limit> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(Limit {
        bytes: kib * 1024,
        source: "the machine's available memory (MemAvailable)".into(),
    })
}

fn cgroup_limit() -> Option<Limit> {
    // The process's own cgroup (v2: one line "0::/path").
    let cgroup = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let path = cgroup.lines().find_map(|l| l.strip_prefix("0::"))?;
    let directory = std::path::Path::new("/sys/fs/cgroup").join(path.trim_start_matches('/'));
    let max: u64 = std::fs::read_to_string(directory.join("memory.max"))
        .ok()?
        .trim()
        .parse()
        .ok()?; // "max": no limit
    let current: u64 = std::fs::read_to_string(directory.join("memory.current"))
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(0);
    Some(Limit {
        bytes: max.saturating_sub(current),
        source: format!("the memory limit of cgroup {path}"),
    })
}

fn slurm_limit() -> Option<Limit> {
    let mebibytes = |name: &str| -> Option<u64> { std::env::var(name).ok()?.trim().parse().ok() };
    if let Some(mib) = mebibytes("SLURM_MEM_PER_NODE") {
        return Some(Limit {
            bytes: mib << 20,
            source: format!("the Slurm job's memory per node (SLURM_MEM_PER_NODE = {mib} MiB)"),
        });
    }
    let per_cpu = mebibytes("SLURM_MEM_PER_CPU")?;
    let cpus = mebibytes("SLURM_CPUS_ON_NODE").unwrap_or(1);
    Some(Limit {
        bytes: (per_cpu * cpus) << 20,
        source: format!(
            "the Slurm job's memory (SLURM_MEM_PER_CPU = {per_cpu} MiB x {cpus} CPUs on the node)"
        ),
    })
}

/// The memory this node's ranks may use together, if any limit is known.
pub fn limit() -> Option<Limit> {
    [meminfo_available(), cgroup_limit(), slurm_limit()]
        .into_iter()
        .flatten()
        .min_by_key(|l| l.bytes)
}

/// Ranks of this run on this node, as the MPI launcher or Slurm announce them.
pub fn ranks_on_node() -> u64 {
    [
        "OMPI_COMM_WORLD_LOCAL_SIZE",
        "MPI_LOCALNRANKS",
        "SLURM_NTASKS_PER_NODE",
    ]
    .iter()
    .find_map(|name| std::env::var(name).ok()?.trim().parse().ok())
    .unwrap_or(1)
}

fn gigabytes(bytes: u64) -> String {
    format!("{:.1} GB", bytes as f64 / 1e9)
}

/// Refuses `what` (e.g. "`n_particles` = 10000000000") when the node needs `bytes` for it, more than
/// the memory limit.
pub fn ensure_fits(what: impl Display, bytes: u64) -> Result<()> {
    match limit() {
        Some(limit) if bytes > limit.bytes => Err(Error::Resource(format!(
            "{what} needs about {}, more than the {} of {}",
            gigabytes(bytes),
            gigabytes(limit.bytes),
            limit.source
        ))),
        _ => Ok(()),
    }
}

/// A field of this process's `/proc/self/status`, in kB there, in bytes here (0 if unknown).
fn status_field(name: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// Peak resident memory of this process [bytes] (Linux `VmHWM`).
pub fn peak_memory() -> u64 {
    status_field("VmHWM:")
}

/// Current resident memory of this process [bytes] (Linux `VmRSS`).
pub fn current_memory() -> u64 {
    status_field("VmRSS:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_machine_has_a_limit_and_a_huge_request_is_refused() {
        let limit = limit().expect("/proc/meminfo exists on Linux");
        assert!(limit.bytes > 0);
        let error = ensure_fits("`n_particles` = 1e15", u64::MAX).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("`n_particles` = 1e15 needs about"),
            "{message}"
        );
        assert!(message.contains(&limit.source), "{message}");
        assert!(ensure_fits("nothing", 0).is_ok());
    }
}
