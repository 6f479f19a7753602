//! Submitting a campaign to Slurm: one job array per system size, written from the job script
//! `slurm/campaign-array.sbatch` with its resources and settings filled in from the campaign.
//!
//! Array size comes from the sample count at that size (`samples_per_task` samples per array task,
//! in whole chains), ranks per chain from N (`particles_per_rank`), memory from N through a model of
//! pinch's measured peak memory. The jobs resubmit themselves after a time-limit warning until their
//! share is done; whatever is finished is never redone.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::description::Campaign;
use crate::error::{Error, Result};
use crate::modes::DIRECT_UP_TO;

/// The job script every array is written from (also usable by hand).
pub const JOB_SCRIPT: &str = include_str!("../../slurm/campaign-array.sbatch");

/// How to turn a campaign into jobs.
#[derive(Clone, Debug)]
pub struct SubmitOptions {
    /// The campaign directory (absolute).
    pub directory: PathBuf,
    /// The pinch executable the jobs run (absolute).
    pub executable: PathBuf,
    /// Wall-time limit per job, in Slurm's format (e.g. `12:00:00`, `1-00:00:00`, `30`).
    pub time: String,
    /// Seconds before the limit at which Slurm warns the job [default: 5 minutes, at most a quarter
    /// of the limit].
    pub warning_seconds: Option<u64>,
    /// Samples per array task (rounded to whole chains).
    pub samples_per_task: usize,
    /// Ranks per chain [default: from N and `particles_per_rank`].
    pub ranks_per_worker: Option<usize>,
    /// Particles per rank that set the ranks per chain.
    pub particles_per_rank: usize,
    /// Workers (chains run side by side) per array task.
    pub workers_per_task: usize,
    /// CPUs (rayon threads) per rank.
    pub cpus_per_rank: usize,
    /// Memory per rank in MiB [default: from the memory model].
    pub memory_per_rank_mib: Option<u64>,
    /// Largest array size the cluster accepts (Slurm's MaxArraySize − 1).
    pub max_array_size: usize,
    /// At most this many tasks of one array run at once (`%K`).
    pub max_concurrent: Option<usize>,
    /// Resubmissions of one task before it gives up.
    pub max_resubmissions: usize,
    /// How the ranks are started (`srun`, `mpirun`, …).
    pub launcher: String,
    /// `#SBATCH` options added as they are, e.g. `--partition=compute`, `--account=glass`.
    pub sbatch_options: Vec<String>,
    /// PETSc/SLEPc options for the runs.
    pub petsc_options: Vec<String>,
}

/// One job array: the chains of one system size.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    /// N.
    pub n_particles: usize,
    /// Samples at this size.
    pub samples: usize,
    /// Array tasks (= shares).
    pub tasks: usize,
    /// Ranks per chain.
    pub ranks_per_worker: usize,
    /// MPI ranks per array task.
    pub ranks_per_task: usize,
    /// Memory per CPU in MiB.
    pub memory_per_cpu_mib: u64,
    /// The job script's path in the campaign directory.
    pub script: PathBuf,
    /// The job script.
    pub text: String,
}

/// Peak memory of one sample of `n_particles` on `ranks` ranks, in bytes, from the measured peaks of
/// `bench-results/response.json` and `response-1000000-shear.json`: up to [`DIRECT_UP_TO`] the sparse
/// Cholesky factor dominates (its fill grows like N^{4/3}: 0.26 GB at N = 2,000, 2.0 GB at 16,000);
/// above it, the multigrid hierarchy (about 11 kB per particle at N = 10⁶). Each rank adds its own
/// program and MPI/PETSc buffers.
pub fn estimated_memory(n_particles: usize, ranks: usize) -> u64 {
    let n = n_particles as f64;
    let per_rank_base = 200.0e6;
    let total = if n_particles <= DIRECT_UP_TO {
        60.0e3 * n * (n / 2000.0).cbrt()
    } else {
        12.0e3 * n
    };
    (total + per_rank_base * ranks as f64) as u64
}

/// Seconds in a Slurm time limit: `M`, `M:S`, `H:M:S`, `D-H`, `D-H:M`, `D-H:M:S`.
pub fn time_limit_seconds(limit: &str) -> Result<u64> {
    let bad = || {
        Error::Usage(format!(
            "--time {limit:?} is not a Slurm time limit (minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS)"
        ))
    };
    let number = |s: &str| s.parse::<u64>().map_err(|_| bad());
    let seconds = match limit.split_once('-') {
        Some((days, rest)) => {
            let days = number(days)?;
            let parts: Vec<u64> = rest.split(':').map(number).collect::<Result<_>>()?;
            let (h, m, s) = match parts[..] {
                [h] => (h, 0, 0),
                [h, m] => (h, m, 0),
                [h, m, s] => (h, m, s),
                _ => return Err(bad()),
            };
            ((days * 24 + h) * 60 + m) * 60 + s
        }
        None => {
            let parts: Vec<u64> = limit.split(':').map(number).collect::<Result<_>>()?;
            match parts[..] {
                [m] => m * 60,
                [m, s] => m * 60 + s,
                [h, m, s] => (h * 60 + m) * 60 + s,
                _ => return Err(bad()),
            }
        }
    };
    if seconds == 0 {
        return Err(bad());
    }
    Ok(seconds)
}

/// A word for a bash assignment: as it is when safe, else in single quotes.
fn shell_word(value: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    if !value.is_empty() && value.chars().all(safe) {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

/// `JOB_SCRIPT` with the given `#SBATCH` options replaced (or added after the last one) and the given
/// settings assigned.
fn render(sbatch: &[(String, String)], extra: &[String], settings: &[(&str, String)]) -> String {
    let lines: Vec<&str> = JOB_SCRIPT.lines().collect();
    let last_sbatch = lines
        .iter()
        .rposition(|l| l.starts_with("#SBATCH"))
        .expect("the job script has #SBATCH lines");
    let mut text = String::new();
    for (k, line) in lines.iter().enumerate() {
        let mut written = false;
        if let Some(option) = line.strip_prefix("#SBATCH --") {
            let key = option.split('=').next().unwrap_or_default();
            if let Some((_, value)) = sbatch.iter().find(|(k, _)| k == key) {
                writeln!(text, "#SBATCH --{key}={value}").unwrap();
                written = true;
            }
        } else if let Some((name, rest)) = line.split_once('=')
            && let Some((_, value)) = settings.iter().find(|(n, _)| *n == name)
        {
            let comment = rest
                .find("  #")
                .map(|i| rest[i..].trim_start())
                .unwrap_or("");
            let assignment = format!("{name}={}", shell_word(value));
            writeln!(text, "{assignment:<28} {comment}").unwrap();
            written = true;
        }
        if !written {
            writeln!(text, "{line}").unwrap();
        }
        if k == last_sbatch {
            for option in extra {
                writeln!(text, "#SBATCH {option}").unwrap();
            }
        }
    }
    text
}

/// The job arrays of `campaign` for the sizes in `sizes` (those with work left).
pub fn plan(
    campaign: &Campaign,
    description: &Path,
    sizes: &[usize],
    options: &SubmitOptions,
) -> Result<Vec<Job>> {
    let warning = checked_warning_seconds(options)?;
    Ok(sizes
        .iter()
        .filter_map(|&n| job_for_size(campaign, description, n, options, warning))
        .collect())
}

/// Checks the options; returns how long before the time limit the job is warned [s].
fn checked_warning_seconds(options: &SubmitOptions) -> Result<u64> {
    let limit = time_limit_seconds(&options.time)?;
    let warning = options
        .warning_seconds
        .unwrap_or_else(|| (limit / 4).min(300));
    if warning == 0 || warning >= limit {
        return Err(Error::Usage(format!(
            "--warning-seconds {warning} must be positive and below the time limit ({limit} s)"
        )));
    }
    for (name, value) in [
        ("--samples-per-task", options.samples_per_task),
        ("--particles-per-rank", options.particles_per_rank),
        ("--workers-per-task", options.workers_per_task),
        ("--cpus-per-rank", options.cpus_per_rank),
        ("--max-array-size", options.max_array_size),
    ] {
        if value == 0 {
            return Err(Error::Usage(format!("{name} must be at least 1")));
        }
    }
    if options.ranks_per_worker == Some(0) || options.max_concurrent == Some(0) {
        return Err(Error::Usage(
            "--ranks-per-worker and --max-concurrent must be at least 1".into(),
        ));
    }
    Ok(warning)
}

/// The job array of the chains of size `n`; `None` if the allocation leaves out every point of it.
fn job_for_size(
    campaign: &Campaign,
    description: &Path,
    n: usize,
    options: &SubmitOptions,
    warning: u64,
) -> Option<Job> {
    let of_size: Vec<_> = campaign
        .chains()
        .into_iter()
        .filter(|c| c.point.n_particles == n)
        .collect();
    let chains = of_size.len();
    if chains == 0 {
        return None;
    }
    let samples: usize = of_size.iter().map(|c| c.samples).sum();
    // Tasks are sized in whole chains of the size's mean length.
    let per_chain = samples.div_ceil(chains).max(1);
    let chains_per_task = options.samples_per_task.div_ceil(per_chain).max(1);
    // Every worker of a task gets at least one chain, and at least one lineage: a lineage
    // (`docs/sampling.md`) is never split between workers.
    let lineages = campaign.lineages(Some(n)).len();
    let tasks = chains
        .div_ceil(chains_per_task.max(options.workers_per_task))
        .min(lineages.div_ceil(options.workers_per_task))
        .clamp(1, options.max_array_size);
    let ranks_per_worker = options
        .ranks_per_worker
        .unwrap_or_else(|| n.div_ceil(options.particles_per_rank).max(1));
    let ranks_per_task = ranks_per_worker * options.workers_per_task;
    let memory_per_cpu_mib = match options.memory_per_rank_mib {
        Some(m) => m,
        None => {
            let per_rank = estimated_memory(n, ranks_per_worker) as f64 / ranks_per_worker as f64;
            // A margin of a quarter, in steps of 256 MiB.
            (per_rank * 1.25 / (256.0 * 1048576.0)).ceil() as u64 * 256
        }
    }
    .div_ceil(options.cpus_per_rank as u64);
    let label = format!("n{n}");
    let script = options
        .directory
        .join("slurm")
        .join(format!("{label}.sbatch"));
    let logs = options.directory.join("slurm").join("logs");
    let mut array = format!("0-{}", tasks - 1);
    if let Some(k) = options.max_concurrent {
        write!(array, "%{k}").unwrap();
    }
    let sbatch = vec![
        (
            "job-name".to_owned(),
            format!("pinch-{}-{label}", campaign.name),
        ),
        ("array".to_owned(), array),
        ("ntasks".to_owned(), ranks_per_task.to_string()),
        (
            "cpus-per-task".to_owned(),
            options.cpus_per_rank.to_string(),
        ),
        ("mem-per-cpu".to_owned(), format!("{memory_per_cpu_mib}M")),
        ("time".to_owned(), options.time.clone()),
        ("signal".to_owned(), format!("B:USR1@{warning}")),
        (
            "output".to_owned(),
            logs.join(format!("{label}-%A_%a.out"))
                .display()
                .to_string(),
        ),
    ];
    let settings = vec![
        ("CAMPAIGN", description.display().to_string()),
        ("DIR", options.directory.display().to_string()),
        ("SIZE", n.to_string()),
        ("SHARES", tasks.to_string()),
        ("RANKS_PER_WORKER", ranks_per_worker.to_string()),
        ("PINCH", options.executable.display().to_string()),
        ("LAUNCHER", options.launcher.clone()),
        ("PETSC_OPTIONS", options.petsc_options.join(" ")),
        ("MAX_RESUBMISSIONS", options.max_resubmissions.to_string()),
        ("SCRIPT", script.display().to_string()),
    ];
    let mut text = render(&sbatch, &options.sbatch_options, &settings);
    text = text.replacen(
        "#!/bin/bash\n",
        &format!(
            "#!/bin/bash\n# Written by `pinch campaign submit` for campaign {} at N = {n}: {} samples \
             in {tasks} array tasks.\n",
            campaign.name, samples
        ),
        1,
    );
    Some(Job {
        n_particles: n,
        samples,
        tasks,
        ranks_per_worker,
        ranks_per_task,
        memory_per_cpu_mib,
        script,
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> SubmitOptions {
        SubmitOptions {
            directory: "/scratch/c".into(),
            executable: "/opt/pinch".into(),
            time: "12:00:00".into(),
            warning_seconds: None,
            samples_per_task: 16,
            ranks_per_worker: None,
            particles_per_rank: 50_000,
            workers_per_task: 1,
            cpus_per_rank: 1,
            memory_per_rank_mib: None,
            max_array_size: 1000,
            max_concurrent: None,
            max_resubmissions: 20,
            launcher: "srun".into(),
            sbatch_options: vec!["--partition=compute".into()],
            petsc_options: vec!["-modes_eps_tol".into(), "1e-10".into()],
        }
    }

    const CAMPAIGN: &str = r#"
name = "fss"
sizes = [2000, 1000000]
parent_temperatures = [1.0, 0.5]
[sampling]
chains = 10
samples_per_chain = 4
"#;

    #[test]
    fn time_limits_in_every_slurm_format() {
        for (limit, seconds) in [
            ("30", 1800),
            ("1:30", 90),
            ("12:00:00", 43200),
            ("1-0", 86400),
            ("2-01:30", 178200),
            ("1-00:00:10", 86410),
        ] {
            assert_eq!(time_limit_seconds(limit).unwrap(), seconds, "{limit}");
        }
        for bad in ["", "0", "1:2:3:4", "x", "1-", "-5"] {
            assert!(time_limit_seconds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn one_array_per_size_with_resources_from_n() {
        let campaign = Campaign::parse(CAMPAIGN, "fss.toml").unwrap();
        let jobs = plan(
            &campaign,
            Path::new("/scratch/c/campaign.toml"),
            &campaign.sizes,
            &options(),
        )
        .unwrap();
        assert_eq!(jobs.len(), 2);
        let (small, large) = (&jobs[0], &jobs[1]);
        // 20 chains of 4 samples, 4 chains (16 samples) per task.
        assert_eq!((small.samples, small.tasks), (80, 5));
        assert_eq!(small.ranks_per_worker, 1);
        assert_eq!(large.ranks_per_worker, 20);
        assert!(small.memory_per_cpu_mib >= 256 && small.memory_per_cpu_mib <= 1024);
        // 12 GB over 20 ranks, with the margin.
        assert!(large.memory_per_cpu_mib >= 700 && large.memory_per_cpu_mib <= 1200);
        let text = &large.text;
        for line in [
            "#SBATCH --array=0-4\n",
            "#SBATCH --ntasks=20\n",
            "#SBATCH --signal=B:USR1@300\n",
            "#SBATCH --time=12:00:00\n",
            "#SBATCH --partition=compute\n",
            "#SBATCH --output=/scratch/c/slurm/logs/n1000000-%A_%a.out\n",
            "\nSIZE=1000000 ",
            "\nSHARES=5 ",
            "\nRANKS_PER_WORKER=20 ",
            "\nPETSC_OPTIONS='-modes_eps_tol 1e-10' ",
            "\nSCRIPT=/scratch/c/slurm/n1000000.sbatch ",
        ] {
            assert!(text.contains(line), "{line:?} missing from\n{text}");
        }
        // Every default of the template is replaced, and the script's logic is untouched.
        assert!(!text.contains("examples/demo.toml"));
        assert_eq!(text.matches("#SBATCH --array").count(), 1);
        assert!(text.contains("kill -USR1 \"$step\""));
    }

    #[test]
    fn the_array_size_is_capped_and_bad_options_are_refused() {
        let campaign = Campaign::parse(CAMPAIGN, "fss.toml").unwrap();
        let mut capped = options();
        capped.samples_per_task = 1;
        capped.max_array_size = 7;
        let jobs = plan(&campaign, Path::new("c.toml"), &[2000], &capped).unwrap();
        assert_eq!(jobs[0].tasks, 7);
        let mut short = options();
        short.time = "1".into();
        short.warning_seconds = Some(60);
        assert!(plan(&campaign, Path::new("c.toml"), &[2000], &short).is_err());
        short.warning_seconds = None;
        let jobs = plan(&campaign, Path::new("c.toml"), &[2000], &short).unwrap();
        assert!(jobs[0].text.contains("#SBATCH --signal=B:USR1@15\n"));
    }
}
