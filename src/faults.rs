//! Fault injection, for testing that runs survive kills, full disks and failing solvers.
//!
//! The environment variable `PINCH_FAILPOINTS` switches on named points in the code (through the
//! `fail` crate, whose action syntax it takes): `PINCH_FAILPOINTS="point=actions;point=actions"`, with
//! `actions` such as `return(ARGUMENT)`, `2*off->return(ARGUMENT)` (the third time only) or `off`.
//! Unset, every point is off and costs one lookup in an empty table.
//!
//! Output points, for every file written through [`crate::io::atomic`]: `checkpoint-…` for chain
//! checkpoints (`*.checkpoint.h5`), `result-…` for a campaign's result parts
//! (`worker-*-part-*.h5`), `output-…` for every other file; ARGUMENT is the effect:
//!
//! | point | where |
//! |---|---|
//! | `checkpoint-written`, `result-written`, `output-written` | the temporary file is written, not yet synced and renamed to its final name |
//! | `checkpoint-renamed`, `result-renamed`, `output-renamed` | the file is at its final name, the caller not yet told |
//!
//! with the effects `kill` (SIGKILL to this process: no handler runs, as when a job is killed) and
//! `ENOSPC`, `EROFS`, `EIO` or `EDQUOT` (the write fails with that error, as on a full, read-only or
//! broken file system, or over quota).
//!
//! Numerical points; ARGUMENT is empty (every sample) or the names of the samples it applies to,
//! separated by spaces (a campaign's `N500-T2-chain0-sample1`):
//!
//! | point | effect |
//! |---|---|
//! | `quench-stall` | FIRE may take only 20 steps and no Newton step follows: the quench does not converge |
//! | `quench-signal` | `pinch quench` sends itself SIGTERM before a FIRE or Newton step (`500*off->return` before the 501st), as Slurm does before the time limit |
//! | `startup-signal` | a run that checkpoints on signals (`campaign run`, `equilibrate`, `quench`) sends itself SIGTERM as it starts, before MPI and PETSc are initialised |
//! | `chain-signal` | a campaign's chain sends itself SIGTERM right after the sweeps named by ARGUMENT's numbers (`return(4000 N500-T2-chain1)`) |
//! | `modes-negative-eigenvalue` | the Hessian handed to the eigensolver for the lowest modes is shifted down by ARGUMENT's first word, a number (`return(20 N500-T2-chain0-sample1)`) |
//! | `modes-eps-stall` | the eigensolver for the lowest modes may take one iteration to a tolerance of 1e-15 |
//! | `response-ksp-stall` | the linear solves of the responses may take one iteration (an iterative solver then fails, e.g. `-response_ksp_type cg`; a direct one is unaffected) |
//!
//! Every rank must meet a point equally often for the ranks of a run to agree on it: use counts
//! (`2*off->…`), never probabilities (`10%…`), with several ranks.

use std::path::Path;
use std::sync::Mutex;

use crate::error::{Error, Result};

/// The environment variable that switches points on.
pub const VARIABLE: &str = "PINCH_FAILPOINTS";

/// Every point in the code.
pub const POINTS: [&str; 13] = [
    "checkpoint-written",
    "checkpoint-renamed",
    "result-written",
    "result-renamed",
    "output-written",
    "output-renamed",
    "quench-stall",
    "quench-signal",
    "startup-signal",
    "chain-signal",
    "modes-negative-eigenvalue",
    "modes-eps-stall",
    "response-ksp-stall",
];

/// The sample being measured, for the numerical points restricted to samples.
static CURRENT_SAMPLE: Mutex<Option<String>> = Mutex::new(None);

/// Switches on the points named in [`VARIABLE`]; an unknown point or a malformed action is an error
/// naming it.
pub fn configure_from_environment() -> Result<()> {
    let Ok(setting) = std::env::var(VARIABLE) else {
        return Ok(());
    };
    for item in setting.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let (point, actions) = item.split_once('=').ok_or_else(|| {
            Error::Usage(format!(
                "{VARIABLE}: {item:?} is not of the form point=actions"
            ))
        })?;
        let point = point.trim();
        if !POINTS.contains(&point) {
            return Err(Error::Usage(format!(
                "{VARIABLE}: unknown point {point:?} (the points are {})",
                POINTS.join(", ")
            )));
        }
        for argument in return_arguments(actions) {
            if let Some(problem) = argument_problem(point, argument) {
                return Err(Error::Usage(format!(
                    "{VARIABLE}: point {point}: {problem}"
                )));
            }
        }
        fail::cfg(point, actions.trim())
            .map_err(|e| Error::Usage(format!("{VARIABLE}: point {point}: {e}")))?;
    }
    Ok(())
}

/// The arguments of the `return(…)` actions in `actions`.
fn return_arguments(actions: &str) -> impl Iterator<Item = &str> {
    actions.split("->").filter_map(|action| {
        let start = action.find("return(")? + "return(".len();
        action[start..].strip_suffix(')')
    })
}

const EFFECTS: [&str; 5] = ["kill", "ENOSPC", "EROFS", "EIO", "EDQUOT"];

/// What is wrong with `argument` of `point`, if anything.
fn argument_problem(point: &str, argument: &str) -> Option<String> {
    let first = argument.split_whitespace().next().unwrap_or("");
    match point {
        _ if (point.ends_with("-written") || point.ends_with("-renamed"))
            && !EFFECTS.contains(&first) =>
        {
            Some(format!(
                "the effect {first:?} is not one of {}",
                EFFECTS.join(", ")
            ))
        }
        "modes-negative-eigenvalue" if first.parse::<f64>().is_err() => Some(format!(
            "needs the shift first, e.g. return(20), not {argument:?}"
        )),
        _ => None,
    }
}

/// The argument of `point` if it fires now (`return(ARGUMENT)`), else `None`.
fn fires(point: &str) -> Option<String> {
    fail::fail_point!(point, |argument: Option<String>| Some(
        argument.unwrap_or_default()
    ));
    None
}

/// The output points' kind of file (`checkpoint`, `result` or `output`).
fn output_kind(path: &Path) -> &'static str {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    if name.ends_with(".checkpoint.h5") {
        "checkpoint"
    } else if name.starts_with("worker-") && name.contains("-part-") {
        "result"
    } else {
        "output"
    }
}

/// What an output point does when it fires.
fn output_point(stage: &str, path: &Path) -> std::io::Result<()> {
    let point = format!("{}-{stage}", output_kind(path));
    let Some(argument) = fires(&point) else {
        return Ok(());
    };
    let code = match argument.trim() {
        "kill" => {
            log::warn!("{point}: killing this process at {}", path.display());
            let _ = signal_hook::low_level::raise(signal_hook::consts::SIGKILL);
            unreachable!("SIGKILL cannot be caught");
        }
        "ENOSPC" => libc::ENOSPC,
        "EROFS" => libc::EROFS,
        "EIO" => libc::EIO,
        "EDQUOT" => libc::EDQUOT,
        other => unreachable!("{point}: effect {other:?} passed the check of the setting"),
    };
    Err(std::io::Error::from_raw_os_error(code))
}

/// The points `*-written`, for the output whose final path is `path`: its temporary file is written.
pub fn output_written(path: &Path) -> std::io::Result<()> {
    output_point("written", path)
}

/// The points `*-renamed`, for the output whose final path is `path`: it is at its final name.
pub fn output_renamed(path: &Path) -> std::io::Result<()> {
    output_point("renamed", path)
}

/// Marks `sample` as the one being measured until the returned guard is dropped.
pub fn measuring(sample: &str) -> CurrentSample {
    *CURRENT_SAMPLE.lock().unwrap_or_else(|e| e.into_inner()) = Some(sample.to_owned());
    CurrentSample
}

/// Unmarks the sample being measured when dropped.
pub struct CurrentSample;

impl Drop for CurrentSample {
    fn drop(&mut self) {
        *CURRENT_SAMPLE.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// The words of a numerical point's argument if the point fires for the sample being measured (all of
/// them when the argument names no sample).
fn numerical_point(point: &str) -> Option<Vec<String>> {
    let values = point_for(point, |names| {
        let current = CURRENT_SAMPLE.lock().unwrap_or_else(|e| e.into_inner());
        current.as_deref().is_some_and(|s| names.contains(&s))
    })?;
    log::warn!("{point}: fault injected");
    Some(values)
}

/// The numbers of `point`'s argument if it fires, and either names nothing but numbers or `named`
/// accepts the names it holds (asked only then, so that points that are off cost one lookup).
fn point_for(point: &str, named: impl FnOnce(&[&str]) -> bool) -> Option<Vec<String>> {
    let argument = fires(point)?;
    let (values, names): (Vec<&str>, Vec<&str>) = argument
        .split_whitespace()
        .partition(|word| word.parse::<f64>().is_ok());
    if !names.is_empty() && !named(&names) {
        return None;
    }
    Some(values.into_iter().map(str::to_owned).collect())
}

/// Sends this process SIGTERM if the point `startup-signal` fires.
pub fn startup_signal() {
    if point_for("startup-signal", |_| false).is_some() {
        log::warn!("startup-signal: SIGTERM before MPI and PETSc start");
        let _ = signal_hook::low_level::raise(signal_hook::consts::SIGTERM);
    }
}

/// Sends this process SIGTERM, whose handler asks the run to checkpoint and stop, if the point
/// `chain-signal` fires for `chain` after `sweep`.
pub fn chain_signal(chain: &str, sweep: u64) {
    let Some(sweeps) = point_for("chain-signal", |names| names.contains(&chain)) else {
        return;
    };
    if sweeps.iter().any(|s| s.parse::<u64>() == Ok(sweep)) {
        log::warn!("chain-signal: SIGTERM after sweep {sweep} of {chain}");
        let _ = signal_hook::low_level::raise(signal_hook::consts::SIGTERM);
    }
}

/// Whether the point `quench-stall` fires.
pub fn quench_stall() -> bool {
    numerical_point("quench-stall").is_some()
}

/// Whether the point `quench-signal` fires.
pub fn quench_signal() -> bool {
    numerical_point("quench-signal").is_some()
}

/// The downward shift of the Hessian if the point `modes-negative-eigenvalue` fires.
pub fn modes_negative_eigenvalue() -> Option<f64> {
    let values = numerical_point("modes-negative-eigenvalue")?;
    values.first().and_then(|v| v.parse().ok())
}

/// Whether the point `modes-eps-stall` fires.
pub fn modes_eps_stall() -> bool {
    numerical_point("modes-eps-stall").is_some()
}

/// Whether the point `response-ksp-stall` fires.
pub fn response_ksp_stall() -> bool {
    numerical_point("response-ksp-stall").is_some()
}
