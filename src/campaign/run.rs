//! Running a campaign: workers (groups of ranks) take their share of the chains and work through them;
//! whatever is stored already is never redone.

use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use mpi::topology::SimpleCommunicator;
use pinch_petsc::Session;

use super::chain::{ChainContext, Outcome, Reporter, checkpoint_path, run_chain};
use super::description::{Campaign, Chain};
use super::store::{self, FAILED, Inventory, Kind, Writer};
use crate::domain::communication;
use crate::error::{Error, Result};

/// The description's file name inside a campaign directory.
pub const DESCRIPTION: &str = "campaign.toml";
/// The results' directory inside a campaign directory.
pub const RESULTS: &str = "results";

/// How this run takes part in the campaign.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The campaign directory.
    pub directory: PathBuf,
    /// This run is share `share` of `shares` (e.g. one Slurm array task of many).
    pub share: usize,
    /// Number of shares the campaign is split into.
    pub shares: usize,
    /// Run only the chains of this system size (the shares then split those chains alone).
    pub size: Option<usize>,
    /// Minutes between checkpoints of a chain during long stretches of sweeps.
    pub checkpoint_minutes: f64,
    /// Redo the samples stored as failed.
    pub retry_failed: bool,
    /// Read every stored sample of this run's chains in full first, and redo those that fail to read.
    pub verify: bool,
}

/// The campaign directory of `description` when none is given: beside it, named after the campaign.
pub fn default_directory(description: &Path, campaign: &Campaign) -> PathBuf {
    description
        .parent()
        .unwrap_or(Path::new("."))
        .join(&campaign.name)
}

/// Creates the directory or checks that it belongs to this campaign: the description stored there may
/// differ only in its grid, chain and sample counts, which can grow.
pub fn prepare_directory(directory: &Path, campaign: &Campaign, text: &str) -> Result<()> {
    for sub in ["chains", RESULTS] {
        let path = directory.join(sub);
        std::fs::create_dir_all(&path).map_err(|e| Error::write(&path, e))?;
    }
    let stored_path = directory.join(DESCRIPTION);
    if stored_path.exists() {
        let stored = Campaign::load(&stored_path)?;
        if stored.fixed_part() != campaign.fixed_part() {
            let differing = differing_tables(&stored, campaign);
            return Err(Error::Usage(format!(
                "{} belongs to a campaign described differently ({}): only sizes, \
                 parent_temperatures, chains, samples_per_chain, [[allocation]] and max_sweeps may \
                 change; use \
                 another directory (--dir) for a new campaign",
                directory.display(),
                differing.join(", ")
            )));
        }
    }
    crate::io::atomic::write_file(&stored_path, text.as_bytes())
}

fn differing_tables(a: &Campaign, b: &Campaign) -> Vec<&'static str> {
    let (a, b) = (a.fixed_part(), b.fixed_part());
    [
        (a.name != b.name, "name"),
        (a.seed != b.seed, "seed"),
        (a.model != b.model, "[model]"),
        (a.sampling != b.sampling, "[sampling]"),
        (a.swap != b.swap, "[swap]"),
        (a.quench != b.quench, "[quench]"),
        (a.measurements != b.measurements, "[measurements]"),
    ]
    .into_iter()
    .filter_map(|(differs, name)| differs.then_some(name))
    .collect()
}

/// The samples and chains that count as done: stored complete, or stored failed unless they are to be
/// retried.
fn finished(inventory: &Inventory, retry_failed: bool) -> (BTreeSet<String>, BTreeSet<String>) {
    let done =
        |found: &store::Found| found.finished() && !(retry_failed && found.status() == FAILED);
    let samples = inventory
        .samples
        .iter()
        .filter(|(_, f)| done(f))
        .map(|(id, _)| id.clone())
        .collect();
    let chains = inventory
        .chains
        .iter()
        .filter(|(_, f)| done(f))
        .map(|(id, _)| id.clone())
        .collect();
    (samples, chains)
}

/// Shows a progress bar on a terminal, log lines otherwise.
struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    last_line: Instant,
    stored: usize,
    failed: usize,
    total: usize,
    active: bool,
}

impl Progress {
    fn new(total: usize, already: usize, active: bool) -> Progress {
        let bar = (active && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{elapsed_precise} [{wide_bar}] {pos}/{len} samples, ETA {eta} {msg}",
                )
                .expect("a valid template"),
            );
            bar.set_position(already as u64);
            bar.reset_eta();
            bar.enable_steady_tick(Duration::from_millis(500));
            bar
        });
        Progress {
            bar,
            started: Instant::now(),
            last_line: Instant::now(),
            stored: already,
            failed: 0,
            total,
            active,
        }
    }
}

impl Reporter for Progress {
    fn status(&mut self, chain: &Chain, message: &str) {
        match &self.bar {
            Some(bar) => bar.set_message(format!("{}: {message}", chain.id())),
            None if self.active && self.last_line.elapsed().as_secs_f64() > 60.0 => {
                self.last_line = Instant::now();
                log::info!(
                    "{}/{} samples stored; {}: {message}",
                    self.stored,
                    self.total,
                    chain.id()
                );
            }
            None => {}
        }
    }

    fn sample_stored(&mut self, id: &str, ok: bool, message: &str) {
        self.stored += 1;
        if !ok {
            self.failed += 1;
        }
        let line = if ok {
            format!("{id}: stored")
        } else {
            format!("{id}: FAILED: {message}")
        };
        match &self.bar {
            Some(bar) => {
                bar.inc(1);
                bar.println(line);
            }
            None if !ok => log::warn!("{line}"),
            None => log::info!(
                "{line} ({}/{} samples, {:.0} s)",
                self.stored,
                self.total,
                self.started.elapsed().as_secs_f64()
            ),
        }
    }
}

/// Runs this rank's worker through its share of the campaign. Collective over all ranks.
pub fn run(session: &Session, campaign: &Campaign, text: &str, options: &RunOptions) -> Result<()> {
    let universe = session.universe();
    // The directory is prepared once, by the first rank.
    let prepared = if mpi::topology::Communicator::rank(&universe) == 0 {
        prepare_directory(&options.directory, campaign, text)
    } else {
        Ok(())
    };
    agreed(
        &universe,
        prepared,
        "the campaign directory could not be prepared",
    )?;

    let groups = session.groups() as usize;
    let worker = options.share * groups + session.group() as usize;
    let workers = options.shares * groups;
    let results = options.directory.join(RESULTS);
    let inventory = agreed(
        &universe,
        store::scan(&results),
        "the stored results could not be read",
    )?;
    // Runs restricted to one size have workers of their own, so their files never meet.
    let label = match options.size {
        Some(n) => format!("n{n}-{worker:04}"),
        None => format!("{worker:04}"),
    };
    let mine = campaign.chains_of_worker(worker, workers, options.size);
    let (todo, mut finished_samples) = chains_to_run(mine, &inventory, options);
    // Refused before any work if the largest sample cannot fit in this node's memory.
    let fits = match todo.iter().map(|c| c.point.n_particles).max() {
        Some(n) => fits_in_memory(n, session.size() as u64),
        None => Ok(()),
    };
    agreed(
        &universe,
        fits,
        "another node has too little memory for this campaign's samples",
    )?;
    let samples_total: usize = todo.iter().map(|c| c.samples).sum();
    let samples_done = todo
        .iter()
        .flat_map(Chain::sample_ids)
        .filter(|id| finished_samples.contains(id))
        .count();
    let is_root = session.rank() == 0;
    if is_root {
        log::info!(
            "worker {worker} of {workers} ({} rank{} each): {} chains to run, {samples_done} of their {samples_total} samples already stored",
            session.size(),
            if session.size() == 1 { "" } else { "s" },
            todo.len(),
        );
    }
    let mut writer = agreed(
        &universe,
        is_root
            .then(|| Writer::open(&results, &label, text))
            .transpose(),
        "the results could not be opened for writing",
    )?;

    let stop = crate::io::stop_on_signals()?;
    let context = ChainContext {
        session,
        campaign,
        directory: &options.directory,
        stop: &stop,
        checkpoint_minutes: options.checkpoint_minutes,
    };
    let mut progress = Progress::new(samples_total, samples_done, is_root && session.group() == 0);
    for chain in &todo {
        let outcome = run_chain(
            &context,
            chain,
            &finished_samples,
            writer.as_mut(),
            &mut progress,
        )?;
        if outcome == Outcome::Interrupted {
            if let Some(bar) = &progress.bar {
                bar.abandon();
            }
            if is_root {
                log::warn!(
                    "worker {worker}: interrupted in {}; its checkpoint is {}; run the campaign again to continue",
                    chain.id(),
                    checkpoint_path(&options.directory, chain).display()
                );
            }
            return Err(Error::Stopped {
                status: crate::error::INTERRUPTED,
                message: String::new(),
            });
        }
        finished_samples.extend(chain.sample_ids());
    }
    if let Some(bar) = &progress.bar {
        bar.finish_with_message("done");
    }
    if is_root {
        log::info!(
            "worker {worker}: its share is done ({} samples stored by this run, {} of them failed)",
            progress.stored - samples_done,
            progress.failed
        );
    }
    Ok(())
}

/// `local`, this rank's result, unless another rank failed: then an error that says `what` and points
/// to that rank's message. Collective: every rank stops, or none.
fn agreed<T>(comm: &SimpleCommunicator, local: Result<T>, what: &str) -> Result<T> {
    let failures = communication::counts(comm, [local.is_err() as u64]);
    let value = local?;
    if failures[0] > 0 {
        return Err(Error::Collective(format!(
            "{what} (see the failing rank's message)"
        )));
    }
    Ok(value)
}

/// The chains of `mine` with work left, and the samples already stored (less those found damaged,
/// with `--verify`, and failed ones, with `--retry-failed`).
fn chains_to_run(
    mine: Vec<Chain>,
    inventory: &store::Inventory,
    options: &RunOptions,
) -> (Vec<Chain>, BTreeSet<String>) {
    let (mut finished_samples, finished_chains) = finished(inventory, options.retry_failed);
    if options.verify {
        for chain in &mine {
            for id in chain.sample_ids() {
                if let Some(found) = inventory.samples.get(&id)
                    && let Err(problem) = store::verify(&found.path, Kind::Sample, &id)
                {
                    log::warn!("{id} is damaged and will be redone: {problem}");
                    finished_samples.remove(&id);
                }
            }
        }
    }
    let todo = mine
        .into_iter()
        .filter(|c| {
            !finished_chains.contains(&c.id())
                || c.sample_ids().any(|id| !finished_samples.contains(&id))
        })
        .collect();
    (todo, finished_samples)
}

/// Whether a sample of `n` particles on `ranks` ranks per worker fits in this node's memory, with as
/// many ranks on the node as it has.
fn fits_in_memory(n: usize, ranks: u64) -> Result<()> {
    crate::memory::ensure_fits(
        format_args!(
            "a sample of N = {n} on {ranks} ranks per worker, with {} ranks on this node,",
            crate::memory::ranks_on_node()
        ),
        super::submit::estimated_memory(n, ranks as usize) / ranks * crate::memory::ranks_on_node(),
    )
    .map_err(|e| Error::Resource(format!("{e}; use more ranks per worker, or more nodes")))
}
