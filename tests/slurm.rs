//! Campaigns through a real Slurm: a single-node cluster on this machine (`scripts/slurm-local`),
//! `pinch campaign submit`, job arrays of 2-rank `srun` tasks, and a job that outlives its time limit.
//! Each result is compared with the same campaign run directly under `mpirun`, bit for bit: the
//! chains run on one rank each (two workers per 2-rank task), where every step is deterministic.
//! (On 2 ranks per chain, MUMPS's dynamic scheduling makes modes and dipoles reproducible to about
//! 1e-14 only, even between two identical `mpirun` runs.)

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{PINCH, campaign_summary, pinch_mpi, repository, stderr, stored_entries, success};

/// The local cluster for one test: up on creation, down when dropped (also when the test fails).
struct Cluster {
    conf: String,
}

fn slurm_local(action: &str) -> Output {
    Command::new(repository().join("scripts/slurm-local"))
        .arg(action)
        .output()
        .expect("scripts/slurm-local runs")
}

impl Cluster {
    fn up() -> Cluster {
        let output = slurm_local("up");
        assert!(
            output.status.success(),
            "scripts/slurm-local up failed (install Slurm with scripts/setup):\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let env = String::from_utf8_lossy(&slurm_local("env").stdout).into_owned();
        let conf = env
            .trim()
            .strip_prefix("export SLURM_CONF=")
            .expect("slurm-local env prints SLURM_CONF")
            .to_owned();
        eprintln!("{}", String::from_utf8_lossy(&output.stdout).trim());
        Cluster { conf }
    }

    /// `pinch` with this cluster's Slurm commands.
    fn pinch(&self, directory: &Path, args: &[&str]) -> Output {
        Command::new(PINCH)
            .args(args)
            .current_dir(directory)
            .env("SLURM_CONF", &self.conf)
            .env_remove("PETSC_OPTIONS")
            .output()
            .expect("pinch runs")
    }

    /// `pinch ARGS` that must succeed, echoed with its output; returns the output.
    fn pinch_echoed(&self, directory: &Path, args: &[&str]) -> String {
        let output = success(&self.pinch(directory, args));
        eprintln!("$ pinch {}\n{}", args.join(" "), output.trim());
        output
    }

    /// A Slurm command (`squeue`, `scontrol`, …) on this cluster.
    fn slurm(&self, program: &str, args: &[&str]) -> Output {
        Command::new(program)
            .args(args)
            .env("SLURM_CONF", &self.conf)
            .output()
            .unwrap_or_else(|e| panic!("{program} does not run: {e}"))
    }

    fn squeue(&self) -> String {
        let output = self.slurm("squeue", &["--noheader", "--format", "%i %j %T %M"]);
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Waits until no job is queued or running; the queue's states along the way are returned.
    fn wait_until_idle(&self, timeout: Duration, logs: &Path) -> Vec<String> {
        let start = Instant::now();
        let mut seen = Vec::new();
        loop {
            let queue = self.squeue();
            if queue.trim().is_empty() {
                return seen;
            }
            if seen.last() != Some(&queue) {
                eprintln!(
                    "[{:>5.1} s] squeue:\n{}",
                    start.elapsed().as_secs_f64(),
                    queue.trim_end()
                );
                seen.push(queue.clone());
            }
            if start.elapsed() > timeout {
                panic!(
                    "jobs still queued after {timeout:?}:\n{queue}\nlogs:\n{}",
                    read_logs(logs).join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // Why a step failed to launch is only in the daemons' logs.
            let logs = Path::new(&self.conf).with_file_name("log");
            for daemon in ["slurmctld", "slurmd"] {
                let text =
                    std::fs::read_to_string(logs.join(format!("{daemon}.log"))).unwrap_or_default();
                let errors: Vec<&str> = text.lines().filter(|l| l.contains("error")).collect();
                let last = &errors[errors.len().saturating_sub(20)..];
                eprintln!("== errors in {daemon}.log (last 20)\n{}", last.join("\n"));
            }
        }
        let output = slurm_local("down");
        eprintln!("{}", String::from_utf8_lossy(&output.stdout).trim());
    }
}

/// Every job log in `directory`, with its name, sorted.
fn read_logs(directory: &Path) -> Vec<String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(directory)
        .map(|entries| entries.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            format!(
                "== {}\n{}",
                p.file_name().unwrap().to_string_lossy(),
                std::fs::read_to_string(p).unwrap_or_default()
            )
        })
        .collect()
}

/// The lines of the job logs written by the job script itself (not by pinch).
fn script_lines(logs: &[String]) -> Vec<String> {
    logs.iter()
        .flat_map(|log| log.lines())
        .filter(|line| {
            ["pinch campaign:", "pinch job:", "=="]
                .iter()
                .any(|prefix| line.starts_with(prefix))
        })
        .map(str::to_owned)
        .collect()
}

fn status(cluster: &Cluster, directory: &Path, campaign: &str) -> serde_json::Value {
    let output = cluster.pinch(directory, &["campaign", "status", campaign, "--json"]);
    serde_json::from_str(&success(&output)).unwrap()
}

/// Runs `campaign` (TOML text) directly under `mpirun -n 2`, as two workers of one rank, in a
/// directory of its own and returns the summary.
fn reference_summary(name: &str, text: &str) -> serde_json::Value {
    let reference = tempfile::tempdir().unwrap();
    std::fs::write(reference.path().join(format!("{name}.toml")), text).unwrap();
    success(&pinch_mpi(
        reference.path(),
        2,
        &[
            "campaign",
            "run",
            &format!("{name}.toml"),
            "--ranks-per-worker",
            "1",
        ],
    ));
    campaign_summary(reference.path(), name)
}

/// N = 500 at two temperatures far above T_onset: 4 chains of 2 samples.
const ENSEMBLE: &str = r#"
name = "ensemble"
seed = 5
sizes = [500]
parent_temperatures = [3.0, 2.0]
[sampling]
chains = 2
samples_per_chain = 2
equilibration_tau_alpha = 3
spacing_tau_alpha = 1
min_sweeps = 400
max_lag = 1000
origin_interval = 50
[measurements]
modes = 12
dipoles = 16
"#;

#[test]
fn a_campaign_runs_as_a_job_array_of_two_rank_tasks() {
    let cluster = Cluster::up();
    let directory = tempfile::tempdir().unwrap();
    std::fs::write(directory.path().join("ensemble.toml"), ENSEMBLE).unwrap();
    let submit = [
        "campaign",
        "submit",
        "ensemble.toml",
        "--samples-per-task",
        "4",
        "--ranks-per-worker",
        "1",
        "--workers-per-task",
        "2",
        "--time",
        "10",
    ];
    // The dry run shows the job and leaves nothing behind.
    let dry = success(&cluster.pinch(directory.path(), &[&submit[..], &["--dry-run"]].concat()));
    assert!(
        dry.contains("#SBATCH --array=0-1\n") && dry.contains("#SBATCH --ntasks=2\n"),
        "{dry}"
    );
    assert!(!directory.path().join("ensemble").exists());

    let output = cluster.pinch_echoed(directory.path(), &submit);
    assert!(output.contains("2 tasks x 2 ranks"), "{output}");
    // Submitting again while the array is queued is refused.
    let again = cluster.pinch(directory.path(), &submit);
    assert!(
        !again.status.success() && stderr(&again).contains("queued or running already"),
        "{}",
        stderr(&again)
    );

    let campaign = directory.path().join("ensemble");
    let logs_directory = campaign.join("slurm/logs");
    cluster.wait_until_idle(Duration::from_secs(600), &logs_directory);
    let logs = read_logs(&logs_directory);
    eprintln!("{}", script_lines(&logs).join("\n"));
    assert_eq!(logs.len(), 2, "one log per array task");
    for log in &logs {
        assert!(log.contains("exited with status 0"), "{log}");
        assert!(
            log.contains("of 4 (1 rank each)"),
            "each task holds 2 workers of 1 rank:\n{log}"
        );
    }
    let report = status(&cluster, directory.path(), "ensemble.toml");
    assert_eq!(
        (report["complete"].as_u64(), report["failed"].as_u64()),
        (Some(8), Some(0)),
        "{report}"
    );
    let names = stored_entries(&campaign.join("results"));
    let mut unique = names.clone();
    unique.dedup();
    assert_eq!(names, unique, "an entry was stored twice");
    assert_eq!(names.len(), 8 + 4);

    // Nothing is left to do, and the result is that of a direct run.
    let output = success(&cluster.pinch(directory.path(), &submit));
    assert!(output.contains("nothing to submit"), "{output}");
    assert_eq!(
        campaign_summary(directory.path(), "ensemble"),
        reference_summary("ensemble", ENSEMBLE)
    );
}

/// Slurm 22.05's `srun` exits with status 0 when its step never started. A stale PMIx directory of
/// the step (`spmix_appdir_<uid>_<job>.<step>` in the node's TmpFS, as a crashed earlier job can leave
/// it) makes the launch fail that way; the job script must then end with a failure and say why.
#[test]
fn a_job_whose_step_never_started_fails_and_says_so() {
    let cluster = Cluster::up();
    let directory = tempfile::tempdir().unwrap();
    std::fs::write(directory.path().join("ensemble.toml"), ENSEMBLE).unwrap();
    let submit = [
        "campaign",
        "submit",
        "ensemble.toml",
        "--samples-per-task",
        "8",
        "--ranks-per-worker",
        "1",
        "--time",
        "10",
        "--sbatch=--hold",
    ];
    cluster.pinch_echoed(directory.path(), &submit);
    let queue = cluster.slurm("squeue", &["--noheader", "--format", "%A"]);
    let queue = String::from_utf8_lossy(&queue.stdout).into_owned();
    let job: u64 = queue
        .split_whitespace()
        .next()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no held job in the queue: {queue:?}"));
    let uid = std::os::unix::fs::MetadataExt::uid(&directory.path().metadata().unwrap());
    let tmp = Path::new(&cluster.conf).with_file_name("tmp");
    let stale = tmp.join(format!("spmix_appdir_{uid}_{job}.0"));
    std::fs::write(&stale, "").unwrap();
    let release = cluster.slurm("scontrol", &["release", &job.to_string()]);
    assert!(release.status.success(), "{}", stderr(&release));
    let logs_directory = directory.path().join("ensemble/slurm/logs");
    cluster.wait_until_idle(Duration::from_secs(300), &logs_directory);
    let _ = std::fs::remove_file(&stale);
    let logs = read_logs(&logs_directory).join("\n");
    eprintln!("{logs}");
    assert!(
        logs.contains("launch failed"),
        "the launch did not fail:\n{logs}"
    );
    assert!(
        logs.contains("the job step never started pinch (the launcher exited with status 0)"),
        "{logs}"
    );
    assert!(logs.contains("exited with status 1"), "{logs}");
    let job = cluster.slurm("scontrol", &["show", "job", &job.to_string()]);
    let job = String::from_utf8_lossy(&job.stdout).into_owned();
    assert!(
        job.contains("JobState=FAILED") && job.contains("ExitCode=1:0"),
        "{job}"
    );
}

/// Two chains that need about 50 s of swap Monte Carlo each, on one rank, longer than the first
/// warning of a 1-minute job takes to come.
const LONG_CHAIN: &str = r#"
name = "long"
seed = 11
sizes = [500]
parent_temperatures = [2.0]
[sampling]
chains = 2
samples_per_chain = 3
equilibration_tau_alpha = 3
spacing_tau_alpha = 1
min_sweeps = 120000
max_lag = 1000
origin_interval = 50
[measurements]
modes = 12
dipoles = 16
"#;

#[test]
fn a_job_past_its_time_limit_checkpoints_resubmits_itself_and_finishes_identically() {
    let cluster = Cluster::up();
    let directory = tempfile::tempdir().unwrap();
    std::fs::write(directory.path().join("long.toml"), LONG_CHAIN).unwrap();
    // A 1-minute limit with the warning 55 s before it: Slurm signals 5-35 s into the job (it checks
    // its limits every 30 s). The chains take about a minute of sweeps on one core, so the warning
    // always comes before they end.
    let submit = [
        "campaign",
        "submit",
        "long.toml",
        "--ranks-per-worker",
        "1",
        "--workers-per-task",
        "2",
        "--samples-per-task",
        "6",
        "--time",
        "1",
        "--warning-seconds",
        "55",
    ];
    cluster.pinch_echoed(directory.path(), &submit);
    let campaign = directory.path().join("long");
    let logs_directory = campaign.join("slurm/logs");
    cluster.wait_until_idle(Duration::from_secs(600), &logs_directory);
    let logs = read_logs(&logs_directory);
    let lines = script_lines(&logs);
    eprintln!("{}", lines.join("\n"));
    let all = logs.join("\n");
    assert!(
        all.contains("time-limit warning"),
        "no warning came:\n{all}"
    );
    assert!(
        all.contains("exited with status 4"),
        "no checkpoint at the warning:\n{all}"
    );
    assert!(all.contains("resubmission 1,"), "no resubmission:\n{all}");
    assert!(
        all.contains("exited with status 0"),
        "never finished:\n{all}"
    );
    assert!(all.contains("interrupted in N500-T2-chain"), "{all}");
    let report = status(&cluster, directory.path(), "long.toml");
    assert_eq!(report["complete"].as_u64(), Some(6), "{report}");
    let names = stored_entries(&campaign.join("results"));
    let mut unique = names.clone();
    unique.dedup();
    assert_eq!(names, unique, "an entry was stored twice");
    assert_eq!(names.len(), 6 + 2, "{names:?}");
    for chain in 0..2 {
        assert!(
            !campaign
                .join(format!("chains/N500-T2-chain{chain}.checkpoint.h5"))
                .exists()
        );
    }
    assert_eq!(
        campaign_summary(directory.path(), "long"),
        reference_summary("long", LONG_CHAIN)
    );
}
