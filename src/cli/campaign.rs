//! `pinch campaign run` and `pinch campaign status`.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use pinch_petsc::Session;
use serde_json::json;

use super::PetscArgs;
use crate::analysis::AnalysisOptions;
use crate::campaign::run::{DESCRIPTION, RESULTS, RunOptions, default_directory, run};
use crate::campaign::store::{self, COMPLETE, FAILED, Kind};
use crate::campaign::{Campaign, chain::checkpoint_path};
use crate::error::{Error, Result};

/// `pinch campaign …`.
#[derive(Debug, Args)]
pub struct CampaignArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: Action,
}

/// The campaign subcommands.
#[derive(Debug, Subcommand)]
pub enum Action {
    /// Run a campaign, or continue it: finished samples are never redone. Under mpirun, the ranks
    /// form workers of --ranks-per-worker ranks each, which share the chains out between them.
    Run(RunArgs),
    /// Show what is done, running, failed and pending, per (N, T_p).
    Status(StatusArgs),
    /// Submit the campaign to Slurm: one job array per system size with work left, resources from N;
    /// the jobs checkpoint at a time-limit warning and resubmit themselves until their share is done.
    Submit(SubmitArgs),
}

/// Arguments of `pinch campaign submit`.
#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// The campaign description (TOML).
    #[arg(value_name = "CAMPAIGN.toml")]
    pub description: PathBuf,
    /// The campaign directory [default: beside the description, named after the campaign].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Print the job scripts and the sbatch commands; write and submit nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Submit only these system sizes [default: every size with samples left to do].
    #[arg(long, value_name = "N", value_delimiter = ',')]
    pub sizes: Vec<usize>,
    /// Wall-time limit of each job (Slurm's format: minutes, HH:MM:SS, D-HH:MM:SS, ...).
    #[arg(long, default_value = "12:00:00", value_name = "LIMIT")]
    pub time: String,
    /// Seconds before the time limit at which Slurm warns the job, which then checkpoints
    /// [default: 300, at most a quarter of the limit].
    #[arg(long, value_name = "S")]
    pub warning_seconds: Option<u64>,
    /// Samples per array task, in whole chains: sets the array size.
    #[arg(long, default_value_t = 32, value_name = "K")]
    pub samples_per_task: usize,
    /// Ranks per chain [default: N / --particles-per-rank, rounded up].
    #[arg(long, value_name = "R")]
    pub ranks_per_worker: Option<usize>,
    /// Particles per rank that set the ranks per chain.
    #[arg(long, default_value_t = 50_000, value_name = "P")]
    pub particles_per_rank: usize,
    /// Workers (chains run side by side) per array task: each task has
    /// ranks-per-worker x workers-per-task ranks.
    #[arg(long, default_value_t = 1, value_name = "W")]
    pub workers_per_task: usize,
    /// CPUs per rank (rayon threads).
    #[arg(long, default_value_t = 1, value_name = "C")]
    pub cpus_per_rank: usize,
    /// Memory per rank in MiB [default: from pinch's memory model for N].
    #[arg(long, value_name = "MIB")]
    pub memory_per_rank: Option<u64>,
    /// The cluster's largest array size (MaxArraySize - 1).
    #[arg(long, default_value_t = 1000, value_name = "K")]
    pub max_array_size: usize,
    /// At most this many tasks of an array run at once.
    #[arg(long, value_name = "K")]
    pub max_concurrent: Option<usize>,
    /// Resubmissions of a task after time-limit warnings before it gives up.
    #[arg(long, default_value_t = 20, value_name = "K")]
    pub max_resubmissions: usize,
    /// How the jobs start their ranks.
    #[arg(long, default_value = "srun", value_name = "COMMAND")]
    pub launcher: String,
    /// Further #SBATCH options, as given to sbatch (repeatable), e.g. --sbatch=--partition=compute.
    #[arg(long = "sbatch", value_name = "OPTION", allow_hyphen_values = true)]
    pub sbatch_options: Vec<String>,
    /// Submit even if jobs of this campaign are queued or running already.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub petsc: PetscArgs,
}

/// Arguments of `pinch campaign run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The campaign description (TOML).
    #[arg(value_name = "CAMPAIGN.toml")]
    pub description: PathBuf,
    /// The campaign directory [default: beside the description, named after the campaign].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Ranks per worker: each worker runs its chains on its own ranks (the domain decomposition of
    /// one sample) [default: all ranks in one worker].
    #[arg(long, value_name = "R")]
    pub ranks_per_worker: Option<i32>,
    /// This run's share of the campaign, from 0 (e.g. $SLURM_ARRAY_TASK_ID).
    #[arg(long, default_value_t = 0, value_name = "K")]
    pub share: usize,
    /// Number of shares the campaign is split into (e.g. the size of a Slurm job array).
    #[arg(long, default_value_t = 1, value_name = "W")]
    pub shares: usize,
    /// Run only the chains of this system size; --share and --shares then split those alone (as the
    /// jobs of `pinch campaign submit` do, one job array per size).
    #[arg(long, value_name = "N")]
    pub size: Option<usize>,
    /// Checkpoint a running chain every this many minutes (and after each sample, and at once on
    /// SIGTERM, SIGINT or SIGUSR1, then exit with status 4).
    #[arg(long, default_value_t = 10.0, value_name = "MINUTES")]
    pub checkpoint_minutes: f64,
    /// Redo the samples stored as failed.
    #[arg(long)]
    pub retry_failed: bool,
    /// Read this run's stored samples in full first and redo those that fail their checksums.
    #[arg(long)]
    pub verify: bool,
    #[command(flatten)]
    pub petsc: PetscArgs,
}

/// Arguments of `pinch campaign status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The campaign description (TOML) or the campaign directory.
    #[arg(value_name = "CAMPAIGN")]
    pub campaign: PathBuf,
    /// The campaign directory, if not the default one of the description.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Read every stored sample in full and report those that fail their checksums.
    #[arg(long)]
    pub verify: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn dispatch(args: CampaignArgs) -> Result<()> {
    match args.action {
        Action::Run(args) => run_command(args),
        Action::Status(args) => status(args),
        Action::Submit(args) => submit(args),
    }
}

fn run_program(program: &str, arguments: &[&str]) -> Result<String> {
    let output = std::process::Command::new(program)
        .args(arguments)
        .output()
        .map_err(|e| Error::External {
            program: program.to_owned(),
            message: format!("cannot run it: {e} (is Slurm installed and in PATH?)"),
        })?;
    if !output.status.success() {
        return Err(Error::External {
            program: program.to_owned(),
            message: format!(
                "`{program} {}` failed ({}): {}",
                arguments.join(" "),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn submit(args: SubmitArgs) -> Result<()> {
    use crate::campaign::submit::{SubmitOptions, plan};
    let text = std::fs::read_to_string(&args.description).map_err(|error| Error::Read {
        path: args.description.display().to_string(),
        error,
    })?;
    let campaign = Campaign::parse(&text, &args.description.display().to_string())?;
    let directory = args
        .dir
        .clone()
        .unwrap_or_else(|| default_directory(&args.description, &campaign));
    let directory = std::path::absolute(&directory).map_err(|e| Error::write(&directory, e))?;
    for n in &args.sizes {
        if !campaign.sizes.contains(n) {
            return Err(Error::Usage(format!(
                "--sizes: {n} is not one of the campaign's sizes {:?} ({})",
                campaign.sizes,
                args.description.display()
            )));
        }
    }
    // Sizes with samples left to do (failed samples count as done, as for `campaign run`).
    let inventory = store::scan(&directory.join(RESULTS))?;
    let sizes: Vec<usize> = campaign
        .sizes
        .iter()
        .copied()
        .filter(|n| args.sizes.is_empty() || args.sizes.contains(n))
        .filter(|&n| {
            campaign
                .chains()
                .iter()
                .filter(|c| c.point.n_particles == n)
                .any(|chain| {
                    chain.sample_ids().any(|id| {
                        !inventory
                            .samples
                            .get(&id)
                            .is_some_and(|found| found.finished())
                    })
                })
        })
        .collect();
    if sizes.is_empty() {
        println!(
            "campaign {}: every sample is done; nothing to submit",
            campaign.name
        );
        return Ok(());
    }
    let executable = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| Error::Usage(format!("cannot locate the pinch executable: {e}")))?;
    let options = SubmitOptions {
        directory: directory.clone(),
        executable,
        time: args.time.clone(),
        warning_seconds: args.warning_seconds,
        samples_per_task: args.samples_per_task,
        ranks_per_worker: args.ranks_per_worker,
        particles_per_rank: args.particles_per_rank,
        workers_per_task: args.workers_per_task,
        cpus_per_rank: args.cpus_per_rank,
        memory_per_rank_mib: args.memory_per_rank,
        max_array_size: args.max_array_size,
        max_concurrent: args.max_concurrent,
        max_resubmissions: args.max_resubmissions,
        launcher: args.launcher.clone(),
        sbatch_options: args.sbatch_options.clone(),
        petsc_options: args.petsc.petsc_options.clone(),
    };
    // The jobs read the copy of the description kept in the campaign directory.
    let stored = directory.join(DESCRIPTION);
    let jobs = plan(&campaign, &stored, &sizes, &options)?;
    if args.dry_run {
        for job in &jobs {
            println!(
                "# {} ({} samples, {} array task{} of {} rank{}, {} MiB per CPU)",
                job.script.display(),
                job.samples,
                job.tasks,
                if job.tasks == 1 { "" } else { "s" },
                job.ranks_per_task,
                if job.ranks_per_task == 1 { "" } else { "s" },
                job.memory_per_cpu_mib
            );
            println!(
                "# submitted with: sbatch --parsable {}",
                job.script.display()
            );
            print!("{}", job.text);
            println!();
        }
        return Ok(());
    }
    if !args.force {
        for job in &jobs {
            let name = format!("pinch-{}-n{}", campaign.name, job.n_particles);
            let queued = run_program("squeue", &["--noheader", "--name", &name, "--format", "%i"])?;
            if !queued.trim().is_empty() {
                return Err(Error::Usage(format!(
                    "jobs of {name} are queued or running already ({}); wait for them, or use --force",
                    queued.split_whitespace().collect::<Vec<_>>().join(", ")
                )));
            }
        }
    }
    crate::campaign::run::prepare_directory(&directory, &campaign, &text)?;
    let logs = directory.join("slurm").join("logs");
    std::fs::create_dir_all(&logs).map_err(|e| Error::write(&logs, e))?;
    let mut record = String::new();
    for job in &jobs {
        crate::io::atomic::write_file(&job.script, job.text.as_bytes())?;
        let script = job.script.display().to_string();
        let answer = run_program("sbatch", &["--parsable", &script])?;
        let id = answer
            .trim()
            .split(';')
            .next()
            .unwrap_or_default()
            .to_owned();
        println!(
            "N = {}: job array {id}, {} task{} x {} rank{} ({} MiB per CPU, {}), script {script}",
            job.n_particles,
            job.tasks,
            if job.tasks == 1 { "" } else { "s" },
            job.ranks_per_task,
            if job.ranks_per_task == 1 { "" } else { "s" },
            job.memory_per_cpu_mib,
            args.time
        );
        record.push_str(&format!(
            "{} N={} job={id} tasks={} script={script}\n",
            humantime::format_rfc3339_seconds(std::time::SystemTime::now()),
            job.n_particles,
            job.tasks
        ));
    }
    let log_path = directory.join("slurm").join("submissions.log");
    use std::io::Write;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .and_then(|mut f| f.write_all(record.as_bytes()))
        .map_err(|e| Error::write(&log_path, e))?;
    println!(
        "follow with `pinch campaign status {}`; logs in {}",
        directory.display(),
        logs.display()
    );
    Ok(())
}

fn run_command(args: RunArgs) -> Result<()> {
    let text = std::fs::read_to_string(&args.description).map_err(|error| Error::Read {
        path: args.description.display().to_string(),
        error,
    })?;
    let campaign = Campaign::parse(&text, &args.description.display().to_string())?;
    if args.shares == 0 || args.share >= args.shares {
        return Err(Error::Usage(format!(
            "--share {} must lie in 0..{} (--shares)",
            args.share, args.shares
        )));
    }
    if let Some(n) = args.size
        && !campaign.sizes.contains(&n)
    {
        return Err(Error::Usage(format!(
            "--size {n} is not one of the campaign's sizes {:?} ({})",
            campaign.sizes,
            args.description.display()
        )));
    }
    if !(args.checkpoint_minutes > 0.0) {
        return Err(Error::Usage("--checkpoint-minutes must be positive".into()));
    }
    let directory = args
        .dir
        .clone()
        .unwrap_or_else(|| default_directory(&args.description, &campaign));
    let session =
        Session::initialize_in_groups("pinch", &args.petsc.petsc_options, args.ranks_per_worker)?;
    let options = RunOptions {
        directory,
        share: args.share,
        shares: args.shares,
        size: args.size,
        checkpoint_minutes: args.checkpoint_minutes,
        retry_failed: args.retry_failed,
        verify: args.verify,
    };
    run(&session, &campaign, &text, &options)
}

/// The description and directory named by a status-like command's argument (a TOML file or a
/// campaign directory).
pub fn locate(argument: &Path, dir: Option<&Path>) -> Result<(Campaign, PathBuf)> {
    if argument.is_dir() {
        let campaign = Campaign::load(&argument.join(DESCRIPTION))?;
        return Ok((campaign, argument.to_owned()));
    }
    let campaign = Campaign::load(argument)?;
    let directory = dir
        .map(Path::to_owned)
        .unwrap_or_else(|| default_directory(argument, &campaign));
    Ok((campaign, directory))
}

fn status(args: StatusArgs) -> Result<()> {
    let (campaign, directory) = locate(&args.campaign, args.dir.as_deref())?;
    let inventory = store::scan(&directory.join(RESULTS))?;
    let mut rows = Vec::new();
    let mut damaged = Vec::new();
    let mut totals = [0usize; 5];
    for point in campaign.points() {
        // complete, failed, running (chains with a checkpoint), pending, damaged
        let mut counts = [0usize; 5];
        let mut reasons = Vec::new();
        for chain in campaign.chains_at(point) {
            let running = checkpoint_path(&directory, &chain).exists();
            for id in chain.sample_ids() {
                match inventory.samples.get(&id) {
                    Some(found)
                        if args.verify
                            && store::verify(&found.path, Kind::Sample, &id).is_err() =>
                    {
                        counts[4] += 1;
                        damaged.push(id);
                    }
                    Some(found) if found.status() == COMPLETE => counts[0] += 1,
                    Some(found) if found.status() == FAILED => {
                        counts[1] += 1;
                        if let Some(reason) = found.text("reason") {
                            reasons.push(format!("{id}: {reason}"));
                        }
                    }
                    _ if running => counts[2] += 1,
                    _ => counts[3] += 1,
                }
            }
        }
        for (t, c) in totals.iter_mut().zip(counts) {
            *t += c;
        }
        rows.push((point, counts, reasons));
    }
    if args.json {
        let points: Vec<_> = rows
            .iter()
            .map(|(point, c, reasons)| {
                json!({
                    "n_particles": point.n_particles,
                    "parent_temperature": point.parent_temperature,
                    "complete": c[0], "failed": c[1], "running": c[2], "pending": c[3], "damaged": c[4],
                    "failures": reasons,
                })
            })
            .collect();
        let report = json!({
            "campaign": campaign.name,
            "directory": directory.display().to_string(),
            "samples": campaign.sample_count(),
            "complete": totals[0], "failed": totals[1], "running": totals[2], "pending": totals[3],
            "damaged": totals[4],
            "points": points,
            "damaged_samples": damaged,
            "unreadable_files": inventory.unreadable.iter().map(|(p, e)| json!({"path": p.display().to_string(), "error": e})).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&report).expect("JSON"));
        return Ok(());
    }
    println!(
        "campaign {} in {}: {} samples in {} chains at {} points",
        campaign.name,
        directory.display(),
        campaign.sample_count(),
        campaign.chains().len(),
        rows.len(),
    );
    println!(
        "{:>9} {:>8} {:>9} {:>7} {:>8} {:>8}{}",
        "N",
        "T_p",
        "complete",
        "failed",
        "running",
        "pending",
        if args.verify { "  damaged" } else { "" }
    );
    for (point, c, _) in &rows {
        println!(
            "{:>9} {:>8} {:>9} {:>7} {:>8} {:>8}{}",
            point.n_particles,
            point.parent_temperature,
            c[0],
            c[1],
            c[2],
            c[3],
            if args.verify {
                format!("{:>9}", c[4])
            } else {
                String::new()
            }
        );
    }
    println!(
        "{:>18} {:>9} {:>7} {:>8} {:>8}{}",
        "all",
        totals[0],
        totals[1],
        totals[2],
        totals[3],
        if args.verify {
            format!("{:>9}", totals[4])
        } else {
            String::new()
        }
    );
    for (_, _, reasons) in &rows {
        for reason in reasons {
            println!("failed: {reason}");
        }
    }
    for id in &damaged {
        println!("damaged (fails its checksums; `pinch campaign run --verify` redoes it): {id}");
    }
    for (path, error) in &inventory.unreadable {
        println!("unreadable file {}: {error}", path.display());
    }
    Ok(())
}

/// Arguments of `pinch analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// The campaign description (TOML) or the campaign directory.
    #[arg(value_name = "CAMPAIGN")]
    pub campaign: PathBuf,
    /// The campaign directory, if not the default one of the description.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Where to write summary.{h5,csv,json} [default: the campaign directory].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Fewest modes below the A_g window's upper end (the free exponent must tell 5 from 4 by one
    /// standard error each).
    #[arg(long, default_value_t = AnalysisOptions::default().window.min_modes, value_name = "M")]
    pub min_modes: usize,
    /// The free exponent must lie within this many standard errors of 5.
    #[arg(long, default_value_t = AnalysisOptions::default().window.exponent_tolerance, value_name = "S")]
    pub exponent_tolerance: f64,
    /// The top shell of the window must hold its share of the modes within this many standard errors.
    #[arg(long, default_value_t = AnalysisOptions::default().window.shell_tolerance, value_name = "S")]
    pub shell_tolerance: f64,
    /// Each candidate upper end of the A_g window is this fraction of the one before.
    #[arg(long, default_value_t = AnalysisOptions::default().window.step, value_name = "F")]
    pub window_step: f64,
    /// Modes with at least this participation ratio count as extended (phonons and modes hybridised
    /// with them); the lower edge of the lowest phonon band is the 10th percentile of their frequencies.
    #[arg(long, default_value_t = AnalysisOptions::default().window.extended_participation, value_name = "E")]
    pub extended_participation: f64,
    /// Modes below the phonon band edge with a participation ratio below this count as QLMs.
    #[arg(long, default_value_t = AnalysisOptions::default().qlm_participation, value_name = "E")]
    pub qlm_participation: f64,
    /// Crossover lengths: where r^2 f(r) first reaches this fraction of its far-field plateau.
    #[arg(long, default_value_t = AnalysisOptions::default().plateau_fraction, value_name = "F")]
    pub plateau_fraction: f64,
    /// The far field of the profiles: radii from this fraction of L/2 up to L/2.
    #[arg(long, default_value_t = AnalysisOptions::default().far_field_from, value_name = "F")]
    pub far_field_from: f64,
    /// Bootstrap replicas for the errors.
    #[arg(long, default_value_t = AnalysisOptions::default().bootstrap, value_name = "B")]
    pub bootstrap: usize,
    /// The bootstrap resamples blocks of a chain's consecutive samples spanning at least this many
    /// tau_alpha.
    #[arg(long, default_value_t = AnalysisOptions::default().block_tau_alpha, value_name = "T")]
    pub block_tau_alpha: f64,
    /// Fix T_onset [epsilon/k_B] (e.g. from a larger campaign) instead of fitting it.
    #[arg(long, value_name = "T")]
    pub onset: Option<f64>,
    /// The error of --onset, carried into T_p/T_onset and E_QLM.
    #[arg(long, default_value_t = 0.0, value_name = "E", requires = "onset")]
    pub onset_error: f64,
}

fn analysis_options(args: &AnalyzeArgs) -> Result<AnalysisOptions> {
    let positive = |name: &str, value: f64| {
        if value.is_finite() && value > 0.0 {
            Ok(())
        } else {
            Err(Error::Usage(format!(
                "--{name} must be positive, not {value}"
            )))
        }
    };
    positive("exponent-tolerance", args.exponent_tolerance)?;
    positive("shell-tolerance", args.shell_tolerance)?;
    positive("block-tau-alpha", args.block_tau_alpha)?;
    if !(args.window_step > 0.0 && args.window_step < 1.0) {
        return Err(Error::Usage(format!(
            "--window-step must lie between 0 and 1, not {}",
            args.window_step
        )));
    }
    if args.bootstrap < 2 {
        return Err(Error::Usage(format!(
            "--bootstrap must be at least 2 (a few hundred for errors worth quoting), not {}",
            args.bootstrap
        )));
    }
    for (name, value) in [
        ("extended-participation", args.extended_participation),
        ("qlm-participation", args.qlm_participation),
        ("plateau-fraction", args.plateau_fraction),
        ("far-field-from", args.far_field_from),
    ] {
        if !(value > 0.0 && value < 1.0) {
            return Err(Error::Usage(format!(
                "--{name} must lie between 0 and 1, not {value}"
            )));
        }
    }
    if args.min_modes < 4 {
        return Err(Error::Usage("--min-modes must be at least 4".into()));
    }
    if let Some(t) = args.onset {
        positive("onset", t)?;
    }
    if !(args.onset_error.is_finite() && args.onset_error >= 0.0) {
        return Err(Error::Usage(format!(
            "--onset-error must be zero or positive, not {}",
            args.onset_error
        )));
    }
    let defaults = AnalysisOptions::default();
    Ok(AnalysisOptions {
        window: crate::analysis::dos::WindowRule {
            min_modes: args.min_modes,
            exponent_tolerance: args.exponent_tolerance,
            shell_tolerance: args.shell_tolerance,
            step: args.window_step,
            extended_participation: args.extended_participation,
        },
        qlm_participation: args.qlm_participation,
        plateau_fraction: args.plateau_fraction,
        far_field_from: args.far_field_from,
        bootstrap: args.bootstrap,
        block_tau_alpha: args.block_tau_alpha,
        onset: args.onset.map(|value| crate::analysis::fits::Value {
            value,
            error: args.onset_error,
        }),
        ..defaults
    })
}

pub fn analyze(args: AnalyzeArgs) -> Result<()> {
    let (campaign, directory) = locate(&args.campaign, args.dir.as_deref())?;
    let options = analysis_options(&args)?;
    let inventory = store::scan(&directory.join(RESULTS))?;
    let summary = crate::analysis::analyse(&campaign, &inventory, &options)?;
    let out = args.out.unwrap_or(directory);
    std::fs::create_dir_all(&out).map_err(|e| Error::write(&out, e))?;
    crate::analysis::summary::write(&out, &summary)?;
    print!("{}", crate::analysis::summary::to_csv(&summary));
    if summary.excluded > 0 {
        log::warn!(
            "{} samples excluded (failed or damaged): see \"exclusions\" in {}",
            summary.excluded,
            out.join("summary.json").display()
        );
    }
    let onset = summary.onset.as_ref().map(|o| o.onset);
    log::info!(
        "T_onset = {:.4} ± {:.4} ({} at N = {}), G_inf = {:.4}; summary in {}, the paper's claims \
         against the data in {}",
        onset.map_or(f64::NAN, |o| o.value),
        onset.map_or(f64::NAN, |o| o.error),
        summary.onset_source,
        summary
            .reference_size
            .map_or("none".into(), |n| n.to_string()),
        summary.shear_modulus_infinity.value,
        out.join("summary.{h5,csv,json}").display(),
        out.join("claims.md").display()
    );
    Ok(())
}

/// Arguments of `pinch plot`.
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// The campaign description (TOML) or the campaign directory (holding summary.h5 from
    /// `pinch analyze`).
    #[arg(value_name = "CAMPAIGN")]
    pub campaign: PathBuf,
    /// The campaign directory, if not the default one of the description.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The summary to plot [default: summary.h5 in the campaign directory].
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Where to write the figures [default: figures/ in the campaign directory].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The Python interpreter (with h5py and matplotlib) [default: $PINCH_PYTHON, else python3].
    #[arg(long, value_name = "PYTHON")]
    pub python: Option<PathBuf>,
}

/// The figure script, built into the program so that it always matches it.
const PLOT_SCRIPT: &str = include_str!("../../scripts/plot_campaign.py");

pub fn plot(args: PlotArgs) -> Result<()> {
    let (_, directory) = locate(&args.campaign, args.dir.as_deref())?;
    let summary = args
        .summary
        .clone()
        .unwrap_or_else(|| directory.join("summary.h5"));
    if !summary.exists() {
        return Err(Error::Usage(format!(
            "{} does not exist: run `pinch analyze` first",
            summary.display()
        )));
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| directory.join("figures"));
    std::fs::create_dir_all(&out).map_err(|e| Error::write(&out, e))?;
    let python = args
        .python
        .clone()
        .or_else(|| std::env::var_os("PINCH_PYTHON").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("python3"));
    let script = out.join(".plot_campaign.py");
    crate::io::atomic::write_file(&script, PLOT_SCRIPT.as_bytes())?;
    let status = std::process::Command::new(&python)
        .arg(&script)
        .arg(&summary)
        .arg(&out)
        .status()
        .map_err(|e| Error::External {
            program: python.display().to_string(),
            message: format!("cannot run it: {e}"),
        })?;
    let _ = std::fs::remove_file(&script);
    if !status.success() {
        return Err(Error::External {
            program: python.display().to_string(),
            message: format!(
                "the figure script failed ({status}); it needs h5py, numpy and matplotlib"
            ),
        });
    }
    log::info!("figures in {}", out.display());
    Ok(())
}
