//! Faults during campaigns: kills at random moments and in the middle of writes, stop signals, write
//! errors, and numerical failures. Faults at exact moments are injected through `PINCH_FAILPOINTS`
//! (`src/faults.rs`); everything else is done to the process from outside.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use common::{PINCH, campaign_summary, pinch, pinch_mpi, stderr, stored_entries, success};

/// One temperature far above T_onset (short τ_α), two chains of two samples: about 12 s of work.
const CAMPAIGN: &str = r#"
name = "small"
seed = 5
sizes = [500]
parent_temperatures = [3.0]
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

/// Checkpoints every 0.3 s, so that runs killed after a second or two still move the campaign on.
const CHECKPOINT_MINUTES: &str = "0.005";

fn new_campaign(text: &str) -> tempfile::TempDir {
    let directory = tempfile::tempdir().unwrap();
    std::fs::write(directory.path().join("small.toml"), text).unwrap();
    directory
}

/// The datasets whose bits identify a sample.
const FINGERPRINTED: [&str; 2] = ["particles/all/position", "modes/eigenvalues"];

/// A sample's status and the bits of each [`FINGERPRINTED`] dataset (none for a dataset it lacks).
type Fingerprint = (String, Vec<Vec<u64>>);

/// Which of the fingerprinted datasets differ between two samples of the same status, with the number
/// of values that differ and the largest relative difference, e.g. `modes/eigenvalues: 3 of 12, 2e-15`.
fn differing_datasets(a: &Fingerprint, b: &Fingerprint) -> String {
    let value = |bits: u64| f64::from_bits(bits);
    FINGERPRINTED
        .iter()
        .zip(a.1.iter().zip(&b.1))
        .filter(|(_, (x, y))| x != y)
        .map(|(name, (x, y))| {
            let differing = x.iter().zip(y).filter(|(p, q)| p != q).count();
            let largest = x
                .iter()
                .zip(y)
                .map(|(&p, &q)| {
                    let (p, q) = (value(p), value(q));
                    (p - q).abs() / p.abs().max(q.abs()).max(f64::MIN_POSITIVE)
                })
                .fold(0.0, f64::max);
            format!(
                "{name}: {differing} of {} values (lengths {} and {}), largest relative difference {largest:.1e}",
                x.len().max(y.len()),
                x.len(),
                y.len()
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// What identifies a stored sample's results bit for bit: its status, inherent-state positions and
/// eigenvalues (the summary compares everything derived from them).
fn fingerprints(results: &Path) -> BTreeMap<String, Fingerprint> {
    let mut found = BTreeMap::new();
    for entry in std::fs::read_dir(results).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "h5") {
            continue;
        }
        let file = hdf5::File::open(&path).unwrap();
        let Ok(samples) = file.group("samples") else {
            continue;
        };
        for id in samples.member_names().unwrap() {
            let group = samples.group(&id).unwrap();
            let status: hdf5::types::VarLenUnicode =
                group.attr("status").unwrap().read_scalar().unwrap();
            // One entry per fingerprinted dataset, in order, so that a message can name it.
            let bits = FINGERPRINTED
                .iter()
                .map(|&dataset| {
                    group.dataset(dataset).map_or_else(
                        |_| Vec::new(),
                        |d| {
                            let values = d.read_raw::<f64>().unwrap();
                            values.iter().map(|x| x.to_bits()).collect()
                        },
                    )
                })
                .collect();
            found.insert(id, (status.to_string(), bits));
        }
    }
    found
}

/// Files left by writes that never finished.
fn temporaries(campaign: &Path) -> Vec<PathBuf> {
    ["results", "chains"]
        .iter()
        .flat_map(|d| std::fs::read_dir(campaign.join(d)).into_iter().flatten())
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".tmp-"))
        .collect()
}

/// The reference: the campaign run once, uninterrupted.
struct Reference {
    /// Where it ran.
    directory: tempfile::TempDir,
    summary: serde_json::Value,
    fingerprints: BTreeMap<String, Fingerprint>,
    entries: Vec<String>,
}

fn reference() -> Reference {
    let directory = new_campaign(CAMPAIGN);
    success(&pinch(directory.path(), &["campaign", "run", "small.toml"]));
    let results = directory.path().join("small/results");
    Reference {
        summary: campaign_summary(directory.path(), "small"),
        fingerprints: fingerprints(&results),
        entries: stored_entries(&results),
        directory,
    }
}

/// How one run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ended {
    /// Exit status 0: the campaign is done.
    Finished,
    /// Killed by SIGKILL.
    Killed,
    /// Checkpointed and stopped on a signal (exit status 4).
    Stopped,
}

fn ended(status: ExitStatus, log: &Path) -> Ended {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(0), _) => Ended::Finished,
        (Some(4), _) => Ended::Stopped,
        // SIGTERM or SIGUSR1 before pinch installed its handlers kills it as SIGKILL does.
        (_, Some(9 | 10 | 15)) => Ended::Killed,
        _ => panic!(
            "unexpected end {status:?}:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        ),
    }
}

/// A run of the campaign in `directory` with `faults` as PINCH_FAILPOINTS, sent `signal` after
/// `delay` seconds if it still runs.
fn run(directory: &Path, faults: &str, signal: Option<(&str, f64)>) -> Ended {
    let log = directory.join("run.log");
    let mut child = Command::new(PINCH)
        .args([
            "campaign",
            "run",
            "small.toml",
            "--checkpoint-minutes",
            CHECKPOINT_MINUTES,
        ])
        .current_dir(directory)
        .env_remove("PETSC_OPTIONS")
        .env("PINCH_FAILPOINTS", faults)
        .stdout(Stdio::null())
        .stderr(File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let deadline = Duration::from_secs(300);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return ended(status, &log);
        }
        if let Some((name, delay)) = signal
            && start.elapsed().as_secs_f64() >= delay
        {
            let sent = Command::new("kill")
                .args([&format!("-{name}"), &child.id().to_string()])
                .status()
                .unwrap();
            assert!(sent.success());
            let end = ended(child.wait().unwrap(), &log);
            if name == "TERM" || name == "USR1" {
                assert!(
                    end != Ended::Stopped
                        || std::fs::read_to_string(&log)
                            .unwrap()
                            .contains("checkpoint"),
                    "a stop on SIG{name} says nothing of its checkpoint"
                );
            }
            return end;
        }
        assert!(start.elapsed() < deadline, "a run did not end");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Broken promises found after a run.
#[derive(Debug, Default)]
struct Problems {
    lost: usize,
    duplicated: usize,
    damaged: usize,
    messages: Vec<String>,
}

/// What must hold after any run, interrupted or not: every file at its final name reads and passes
/// its checksums, no entry is stored twice, and nothing stored before is lost or changed. Returns
/// what is stored now and what broke.
fn invariants(
    directory: &Path,
    before: &BTreeMap<String, Fingerprint>,
) -> (BTreeMap<String, Fingerprint>, Problems) {
    let mut problems = Problems::default();
    let report: serde_json::Value = serde_json::from_str(&success(&pinch(
        directory,
        &["campaign", "status", "small.toml", "--json", "--verify"],
    )))
    .unwrap();
    if report["unreadable_files"] != serde_json::json!([]) || report["damaged"] != 0 {
        problems.damaged += 1;
        problems.messages.push(format!("damaged results: {report}"));
    }
    let results = directory.join("small/results");
    if results.exists() {
        let names = stored_entries(&results);
        let unique: BTreeSet<_> = names.iter().collect();
        if names.len() != unique.len() {
            problems.duplicated += names.len() - unique.len();
            problems
                .messages
                .push(format!("an entry stored twice: {names:?}"));
        }
    }
    let now = if results.exists() {
        fingerprints(&results)
    } else {
        BTreeMap::new()
    };
    for (id, stored) in before {
        if now.get(id) != Some(stored) {
            problems.lost += 1;
            problems.messages.push(format!("{id} lost or changed"));
        }
    }
    // Checkpoints at their final names are whole.
    let chains = directory.join("small/chains");
    for entry in std::fs::read_dir(&chains).into_iter().flatten() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().ends_with(".checkpoint.h5") {
            let output = pinch(directory, &["inspect", "--json", path.to_str().unwrap()]);
            if !output.status.success() {
                problems.damaged += 1;
                problems.messages.push(format!(
                    "{} unreadable: {}",
                    path.display(),
                    stderr(&output)
                ));
            }
        }
    }
    (now, problems)
}

/// [`invariants`], which must all hold.
fn check_invariants(
    directory: &Path,
    before: &BTreeMap<String, Fingerprint>,
    trial: &str,
) -> BTreeMap<String, Fingerprint> {
    let (now, problems) = invariants(directory, before);
    assert!(
        problems.messages.is_empty(),
        "{trial}: {:#?}",
        problems.messages
    );
    now
}

/// What the kill harness saw: interruptions by kind, how the runs ended, and every broken promise.
#[derive(Debug, Default, serde::Serialize)]
struct KillReport {
    seed: u64,
    rounds: usize,
    runs: usize,
    /// Wall time of the whole harness.
    seconds: f64,
    interruptions: BTreeMap<&'static str, usize>,
    /// How the interrupted runs ended: "killed" (by a signal's default action) or "stopped" (with a
    /// checkpoint, exit status 4), per kind.
    endings: BTreeMap<String, usize>,
    /// Entries stored earlier and missing or changed after a run.
    lost: usize,
    /// Entries stored twice.
    duplicated: usize,
    /// Files that did not read or failed their checksums.
    damaged: usize,
    /// Entries of finished rounds that differ from the uninterrupted run (status or bits).
    differing: usize,
    /// Rounds whose summary or list of entries differs from the uninterrupted run's.
    differing_summaries: usize,
    /// Temporary files left at the end of a round.
    leftovers: usize,
    /// What each problem was, in words.
    problems: Vec<String>,
}

/// The campaign run and interrupted until it finishes, round after round, until `wanted`
/// interruptions (every kind at least once); random choices from `seed`.
fn kill_harness(wanted: usize, seed: u64) -> KillReport {
    let started = Instant::now();
    let reference = reference();
    assert_eq!(reference.fingerprints.len(), 4);
    let mut random = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut report = KillReport {
        seed,
        ..KillReport::default()
    };
    const KINDS: usize = 8;
    while report.interruptions.values().sum::<usize>() < wanted
        || report.interruptions.len() < KINDS
    {
        assert!(
            report.rounds < 10 + wanted / 2,
            "{} rounds: {:?}",
            report.rounds,
            report.interruptions
        );
        report.rounds += 1;
        let rounds = report.rounds;
        let directory = new_campaign(CAMPAIGN);
        let d = directory.path();
        let mut stored = BTreeMap::new();
        loop {
            report.runs += 1;
            // Kills from outside at random moments, kills inside writes of checkpoints and of result
            // files (before and after the rename), and stop signals, during the run or as it starts.
            let kind = match random.random_range(0..11) {
                0..4 => "SIGKILL at a random moment",
                4 => "SIGKILL while a checkpoint is written",
                5 => "SIGKILL just after a checkpoint is renamed",
                6 => "SIGKILL while a result file is written",
                7 => "SIGKILL just after a result file is renamed",
                8 => "SIGTERM",
                9 => "SIGTERM as the program starts",
                _ => "SIGUSR1",
            };
            let skip = random.random_range(0..4);
            let delay = random.random_range(0.3..3.0);
            // Handlers are installed about 0.1 s after the start (after the dynamic loader), so this
            // reaches both sides of that moment.
            let early = random.random_range(0.0..0.3);
            let (faults, signal) = match kind {
                "SIGKILL while a checkpoint is written" => {
                    (format!("checkpoint-written={skip}*off->return(kill)"), None)
                }
                "SIGKILL just after a checkpoint is renamed" => {
                    (format!("checkpoint-renamed={skip}*off->return(kill)"), None)
                }
                "SIGKILL while a result file is written" => (
                    format!("result-written={}*off->return(kill)", skip % 2),
                    None,
                ),
                "SIGKILL just after a result file is renamed" => (
                    format!("result-renamed={}*off->return(kill)", skip % 2),
                    None,
                ),
                "SIGTERM" => (String::new(), Some(("TERM", delay))),
                "SIGTERM as the program starts" => (String::new(), Some(("TERM", early))),
                "SIGUSR1" => (String::new(), Some(("USR1", delay))),
                _ => (String::new(), Some(("KILL", delay))),
            };
            let end = run(d, &faults, signal);
            let label = format!(
                "round {rounds}, run {} ({kind}, {faults}): {end:?}",
                report.runs
            );
            eprintln!("{label}");
            let (now, problems) = invariants(d, &stored);
            report.lost += problems.lost;
            report.duplicated += problems.duplicated;
            report.damaged += problems.damaged;
            report.problems.extend(
                problems
                    .messages
                    .into_iter()
                    .map(|m| format!("{label}: {m}")),
            );
            stored = now;
            match end {
                Ended::Finished => break,
                Ended::Killed | Ended::Stopped => {
                    *report.interruptions.entry(kind).or_default() += 1;
                    let ending = if end == Ended::Killed {
                        "killed"
                    } else {
                        "stopped"
                    };
                    *report
                        .endings
                        .entry(format!("{kind}: {ending}"))
                        .or_default() += 1;
                }
            }
        }
        // The finished campaign equals the uninterrupted one, with no leftovers.
        let differing = differing_entries(&stored, &reference.fingerprints);
        report.differing += differing.len();
        report.problems.extend(
            differing
                .into_iter()
                .map(|m| format!("round {rounds}: differs from the uninterrupted run: {m}")),
        );
        if stored_entries(&d.join("small/results")) != reference.entries
            || campaign_summary(d, "small") != reference.summary
        {
            report.differing_summaries += 1;
            report.problems.push(format!(
                "round {rounds}: the entries or the summary differ from the uninterrupted run's"
            ));
        }
        let leftovers = temporaries(&d.join("small"));
        report.leftovers += leftovers.len();
        if !leftovers.is_empty() {
            report
                .problems
                .push(format!("round {rounds}: temporaries left: {leftovers:?}"));
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    report
}

/// The entries that differ between `stored` and `reference`: missing on either side, or with another
/// status or other bits (then with the status on both sides and the datasets that differ).
fn differing_entries(
    stored: &BTreeMap<String, Fingerprint>,
    reference: &BTreeMap<String, Fingerprint>,
) -> Vec<String> {
    reference
        .keys()
        .chain(stored.keys())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter(|id| stored.get(*id) != reference.get(*id))
        .map(|id| {
            let status = |map: &BTreeMap<String, Fingerprint>| {
                map.get(id).map_or("absent".to_owned(), |(s, _)| s.clone())
            };
            let datasets = match (stored.get(id), reference.get(id)) {
                (Some(a), Some(b)) if a.0 == b.0 => format!(": {}", differing_datasets(a, b)),
                _ => String::new(),
            };
            format!(
                "{id} (status {} against {} uninterrupted){datasets}",
                status(stored),
                status(reference)
            )
        })
        .collect()
}

/// The kill harness as the test suite runs it: at least 24 interruptions. `PINCH_KILL_TRIALS` asks for
/// more and `PINCH_KILL_SEED` for other random choices (`scripts/stress-kills`); `PINCH_KILL_REPORT`
/// names a file for the report as JSON.
#[test]
fn a_campaign_killed_at_random_moments_and_mid_write_loses_nothing_and_ends_identically() {
    let number = |name: &str, default: u64| {
        std::env::var(name).map_or(default, |v| {
            v.parse()
                .unwrap_or_else(|e| panic!("{name}={v:?} is not a number: {e}"))
        })
    };
    let report = kill_harness(
        number("PINCH_KILL_TRIALS", 24) as usize,
        number("PINCH_KILL_SEED", 20261124),
    );
    let json = serde_json::to_string_pretty(&report).unwrap();
    eprintln!("{json}");
    if let Ok(path) = std::env::var("PINCH_KILL_REPORT") {
        std::fs::write(&path, &json).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
}

/// The sweep at which sample `id` was taken, from the stored results.
fn sample_sweep(results: &Path, id: &str) -> u64 {
    for entry in std::fs::read_dir(results).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "h5")
            && let Ok(group) = hdf5::File::open(&path)
                .unwrap()
                .group(&format!("samples/{id}"))
        {
            return group.attr("sweep").unwrap().read_scalar().unwrap();
        }
    }
    panic!("{id} is not stored in {}", results.display());
}

/// Interruptions at exact moments, each followed by a run to the end, store what an uninterrupted run
/// stores. A chain stopped right after the sweep of a stationarity test (before the test) once
/// skipped that test on resuming and became stationary one test later, which moved its samples; a
/// signal while the program starts, before MPI and PETSc, must stop it with its checkpoint too.
#[test]
fn a_campaign_stopped_at_start_up_at_a_stationarity_test_or_at_a_sample_ends_identically() {
    let reference = reference();
    let results = reference.directory.path().join("small/results");
    // A chain's first sample is taken at the sweep of the test that found it stationary.
    let stationary_at = sample_sweep(&results, "N500-T3-chain1-sample0");
    let second_sample = sample_sweep(&results, "N500-T3-chain1-sample1");
    let interruptions = [
        "startup-signal=return".to_owned(),
        format!("chain-signal=return({stationary_at} N500-T3-chain1)"),
        format!("chain-signal=return({} N500-T3-chain1)", stationary_at - 1),
        format!("chain-signal=return({second_sample} N500-T3-chain1)"),
    ];
    for faults in &interruptions {
        let directory = new_campaign(CAMPAIGN);
        let d = directory.path();
        assert_eq!(run(d, faults, None), Ended::Stopped, "{faults}");
        assert!(
            std::fs::read_to_string(d.join("run.log"))
                .unwrap()
                .contains("its checkpoint is"),
            "{faults}: the stop names no checkpoint"
        );
        assert_eq!(run(d, "", None), Ended::Finished, "{faults}");
        let stored = check_invariants(d, &BTreeMap::new(), faults);
        for (id, fingerprint) in &reference.fingerprints {
            assert!(
                stored.get(id) == Some(fingerprint),
                "{faults}: {id} differs from the uninterrupted run"
            );
        }
        assert_eq!(stored.len(), reference.fingerprints.len(), "{faults}");
    }
}

#[test]
fn a_write_error_is_reported_and_loses_nothing() {
    let reference = reference();
    let directory = new_campaign(CAMPAIGN);
    let d = directory.path();
    // The disk fills up at the third write of results.
    let output = Command::new(PINCH)
        .args(["campaign", "run", "small.toml"])
        .current_dir(d)
        .env("PINCH_FAILPOINTS", "result-written=2*off->return(ENOSPC)")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("worker-0000-part-0000.h5: cannot write: No space left on device"),
        "{message}"
    );
    let stored = check_invariants(d, &BTreeMap::new(), "after ENOSPC");
    let entries = stored_entries(&d.join("small/results"));
    assert_eq!(
        entries.len(),
        2,
        "the two entries written before stay: {entries:?}"
    );
    assert_eq!(temporaries(&d.join("small")), Vec::<PathBuf>::new());

    // A read-only location for checkpoints: reported, the run stops, nothing stored is touched.
    let output = Command::new(PINCH)
        .args(["campaign", "run", "small.toml"])
        .current_dir(d)
        .env("PINCH_FAILPOINTS", "checkpoint-written=return(EROFS)")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(".checkpoint.h5: cannot write: Read-only file system"),
        "{}",
        stderr(&output)
    );
    // The samples stored before the failed checkpoint stay, with the earlier ones.
    let stored = check_invariants(d, &stored, "after EROFS");
    assert!(stored_entries(&d.join("small/results")).len() > entries.len());

    // With room again, the campaign finishes as if nothing had happened.
    success(&pinch(d, &["campaign", "run", "small.toml"]));
    let stored = check_invariants(d, &stored, "finished");
    assert!(
        stored == reference.fingerprints,
        "results differ from the reference"
    );
    assert_eq!(campaign_summary(d, "small"), reference.summary);
    assert_eq!(temporaries(&d.join("small")), Vec::<PathBuf>::new());
}

#[test]
fn mpi_numerical_failures_are_flagged_the_campaign_goes_on_and_the_analysis_excludes_them() {
    let directory =
        new_campaign(&CAMPAIGN.replace("samples_per_chain = 2", "samples_per_chain = 3"));
    let d = directory.path();
    let faults = [
        (
            "quench-stall",
            "N500-T3-chain0-sample0",
            "the quench did not converge: FIRE",
        ),
        (
            "modes-negative-eigenvalue",
            "N500-T3-chain0-sample2",
            "unstable: the Hessian has a negative eigenvalue",
        ),
        (
            "modes-eps-stall",
            "N500-T3-chain1-sample0",
            "EPS solve (prefix \"modes_\") stopped with DIVERGED_ITS",
        ),
        (
            "response-ksp-stall",
            "N500-T3-chain1-sample1",
            "KSP solve (prefix \"response_\") did not converge: DIVERGED_ITS",
        ),
    ];
    let setting: Vec<String> = faults
        .iter()
        .map(|(point, sample, _)| match *point {
            "modes-negative-eigenvalue" => format!("{point}=return(20 {sample})"),
            _ => format!("{point}=return({sample})"),
        })
        .collect();
    // Two workers of one rank: each meets the points of its own chain's samples. The responses are
    // solved by conjugate gradients, so that a cap on iterations can make them fail.
    let mut command = Command::new("mpirun");
    command
        .args(["-n", "2", PINCH, "campaign", "run", "small.toml"])
        .args(["--ranks-per-worker", "1", "--"])
        .args(["-response_ksp_type", "cg", "-response_pc_type", "jacobi"])
        .current_dir(d)
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env_remove("PETSC_OPTIONS")
        .env("PINCH_FAILPOINTS", setting.join(";"));
    let output = command.output().unwrap();
    success(&output);
    assert!(
        stderr(&output).contains("2 of them failed"),
        "{}",
        stderr(&output)
    );

    let report: serde_json::Value = serde_json::from_str(&success(&pinch(
        d,
        &["campaign", "status", "small.toml", "--json"],
    )))
    .unwrap();
    assert_eq!(report["complete"], 2, "{report}");
    assert_eq!(report["failed"], 4, "{report}");
    let failures = report["points"][0]["failures"].as_array().unwrap();
    for (point, sample, reason) in faults {
        assert!(
            failures
                .iter()
                .any(|f| f.as_str().unwrap().starts_with(&format!("{sample}: "))
                    && f.as_str().unwrap().contains(reason)),
            "{point}: no failure of {sample} with {reason:?} in {failures:?}"
        );
    }

    // The analysis uses the two complete samples and says which four it left out, and why.
    let output = pinch(d, &["analyze", "small"]);
    success(&output);
    assert!(
        stderr(&output).contains("4 samples excluded (failed or damaged)"),
        "{}",
        stderr(&output)
    );
    let summary = campaign_summary(d, "small");
    assert_eq!(summary["excluded_samples"], 4, "{summary}");
    let exclusions = summary["exclusions"].as_array().unwrap();
    for (_, sample, reason) in faults {
        assert!(
            exclusions
                .iter()
                .any(|e| e.as_str().unwrap().contains(sample)
                    && e.as_str().unwrap().contains(reason)),
            "{sample} not excluded with its reason: {exclusions:?}"
        );
    }
    assert_eq!(summary["points"][0]["samples"], 2, "{summary}");

    // Without the faults, the failed samples are redone on request and the campaign is whole.
    success(&pinch_mpi(
        d,
        2,
        &[
            "campaign",
            "run",
            "small.toml",
            "--ranks-per-worker",
            "1",
            "--retry-failed",
        ],
    ));
    let summary = campaign_summary(d, "small");
    assert_eq!(summary["excluded_samples"], 0, "{summary}");
    assert_eq!(summary["points"][0]["samples"], 6, "{summary}");
}

#[test]
fn a_differing_sample_names_the_datasets_that_differ_and_by_how_much() {
    let bits = |values: &[f64]| values.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
    let a: Fingerprint = (
        "complete".into(),
        vec![bits(&[1.0, 2.0, 3.0]), bits(&[0.5, 0.25])],
    );
    let b: Fingerprint = (
        "complete".into(),
        vec![bits(&[1.0, 2.0, 3.0 + 3e-12]), bits(&[0.5, 0.25])],
    );
    let message = differing_datasets(&a, &b);
    assert!(
        message.starts_with("particles/all/position: 1 of 3 values (lengths 3 and 3), largest relative difference 1.0e-12"),
        "{message}"
    );
    assert!(!message.contains("modes/eigenvalues"), "{message}");
    assert_eq!(differing_datasets(&a, &a), "");
}
