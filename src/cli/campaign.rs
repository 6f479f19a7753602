//! `pinch campaign run`, `pinch campaign status` and `pinch campaign submit`.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use pinch_petsc::Session;
use serde_json::json;

use super::PetscArgs;
use crate::campaign::progress::{Tally, progress};
use crate::campaign::run::{DESCRIPTION, RESULTS, RunOptions, default_directory, run};
use crate::campaign::store;
use crate::campaign::submit::{Job, SubmitOptions};
use crate::campaign::{Campaign, cost};
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
    use crate::campaign::submit::plan;
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
    let sizes = sizes_with_work(&campaign, &directory, &args.sizes)?;
    if sizes.is_empty() {
        println!(
            "campaign {}: every sample is done; nothing to submit",
            campaign.name
        );
        return Ok(());
    }
    // The jobs read the copy of the description kept in the campaign directory.
    let stored = directory.join(DESCRIPTION);
    let jobs = plan(
        &campaign,
        &stored,
        &sizes,
        &submit_options(&args, &directory)?,
    )?;
    if args.dry_run {
        print_estimate(&campaign, &store::scan(&directory.join(RESULTS))?, &sizes);
        println!();
        print_jobs(&jobs);
        return Ok(());
    }
    if !args.force {
        refuse_if_queued(&campaign, &jobs)?;
    }
    crate::campaign::run::prepare_directory(&directory, &campaign, &text)?;
    submit_jobs(&jobs, &directory, &args.time)
}

/// The sizes among `asked` (all if empty) with samples left to do (failed samples count as done, as
/// for `campaign run`).
fn sizes_with_work(campaign: &Campaign, directory: &Path, asked: &[usize]) -> Result<Vec<usize>> {
    let inventory = store::scan(&directory.join(RESULTS))?;
    let sizes = campaign
        .sizes
        .iter()
        .copied()
        .filter(|n| asked.is_empty() || asked.contains(n))
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
    Ok(sizes)
}

/// The job settings the command line gives.
fn submit_options(args: &SubmitArgs, directory: &Path) -> Result<SubmitOptions> {
    let executable = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| Error::Usage(format!("cannot locate the pinch executable: {e}")))?;
    Ok(SubmitOptions {
        directory: directory.to_path_buf(),
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
    })
}

/// Prints the job scripts and how they would be submitted (`--dry-run`).
fn print_jobs(jobs: &[Job]) {
    for job in jobs {
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
}

/// Refuses to submit a size whose jobs are queued or running already.
fn refuse_if_queued(campaign: &Campaign, jobs: &[Job]) -> Result<()> {
    for job in jobs {
        let name = format!("pinch-{}-n{}", campaign.name, job.n_particles);
        let queued = run_program("squeue", &["--noheader", "--name", &name, "--format", "%i"])?;
        if !queued.trim().is_empty() {
            return Err(Error::Usage(format!(
                "jobs of {name} are queued or running already ({}); wait for them, or use --force",
                queued.split_whitespace().collect::<Vec<_>>().join(", ")
            )));
        }
    }
    Ok(())
}

/// Writes and submits the job scripts, and records the submissions in `slurm/submissions.log`.
fn submit_jobs(jobs: &[Job], directory: &Path, time: &str) -> Result<()> {
    let logs = directory.join("slurm").join("logs");
    std::fs::create_dir_all(&logs).map_err(|e| Error::write(&logs, e))?;
    let mut record = String::new();
    for job in jobs {
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
            time
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
    let (rows, damaged) = progress(&campaign, &directory, &inventory, args.verify);
    let mut totals = Tally::default();
    for row in &rows {
        totals += row.tally;
    }
    if args.json {
        let points: Vec<_> = rows
            .iter()
            .map(|row| {
                let mut entry = json!({
                    "n_particles": row.point.n_particles,
                    "parent_temperature": row.point.parent_temperature,
                    "failures": row.failures,
                });
                merge(&mut entry, &row.tally);
                entry
            })
            .collect();
        let mut report = json!({
            "campaign": campaign.name,
            "estimate": cost::Estimate::of(&campaign, &inventory, &[]),
            "directory": directory.display().to_string(),
            "samples": campaign.sample_count(),
            "points": points,
            "damaged_samples": damaged,
            "unreadable_files": inventory.unreadable.iter().map(|(p, e)| json!({"path": p.display().to_string(), "error": e})).collect::<Vec<_>>(),
        });
        merge(&mut report, &totals);
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
    let line = |label: String, tally: &Tally| {
        println!(
            "{label} {:>9} {:>7} {:>8} {:>8}{}",
            tally.complete,
            tally.failed,
            tally.running,
            tally.pending,
            if args.verify {
                format!("{:>9}", tally.damaged)
            } else {
                String::new()
            }
        );
    };
    for row in &rows {
        let point = row.point;
        line(
            format!("{:>9} {:>8}", point.n_particles, point.parent_temperature),
            &row.tally,
        );
    }
    line(format!("{:>18}", "all"), &totals);
    for row in &rows {
        for reason in &row.failures {
            println!("failed: {reason}");
        }
    }
    for id in &damaged {
        println!("damaged (fails its checksums; `pinch campaign run --verify` redoes it): {id}");
    }
    for (path, error) in &inventory.unreadable {
        println!("unreadable file {}: {error}", path.display());
    }
    print_estimate(&campaign, &inventory, &[]);
    Ok(())
}

/// The cost model's estimate for the campaign's points of sizes `sizes` (all if empty), with τ_α from
/// its stored chains where they have measured it, and how the stored chains' sweeps compare with the
/// model's.
fn print_estimate(campaign: &Campaign, inventory: &store::Inventory, sizes: &[usize]) {
    println!("\nestimated cost (docs/sampling.md, \"The cost model\"):");
    print!(
        "{}",
        cost::Estimate::of(campaign, inventory, sizes).text(campaign)
    );
}

/// Adds the fields of `tally` to the JSON object `object`.
fn merge(object: &mut serde_json::Value, tally: &Tally) {
    if let (Some(object), serde_json::Value::Object(fields)) = (
        object.as_object_mut(),
        serde_json::to_value(tally).expect("a tally serialises"),
    ) {
        object.extend(fields);
    }
}
