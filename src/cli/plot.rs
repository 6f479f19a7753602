//! `pinch plot`: the paper's figures from a campaign's summary, and its Fig. 1 (soft spots) from two
//! of its glasses.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::Args;
use pinch_petsc::Session;

use super::campaign::locate;
use super::{EngineArgs, PetscArgs, soft_spots};
use crate::error::{Error, Result};

/// Arguments of `pinch plot`.
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// The campaign description (TOML) or the campaign directory (holding summary.h5 from
    /// `pinch analyze`); optional with --soft-spot-samples naming sample files and --out.
    #[arg(value_name = "CAMPAIGN", required_unless_present = "soft_spot_samples")]
    pub campaign: Option<PathBuf>,
    /// The campaign directory, if not the default one of the description.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The summary to plot [default: summary.h5 in the campaign directory]. With --soft-spots, where
    /// c_inf comes from (summary.h5 or summary.json of a campaign of the same model), for frequencies
    /// in c_inf/a0.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Where to write the figures [default: figures/ in the campaign directory].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The Python interpreter (with h5py and matplotlib) [default: $PINCH_PYTHON, else python3].
    #[arg(long, value_name = "PYTHON")]
    pub python: Option<PathBuf>,
    /// Draw the soft spots of two glasses instead (the paper's Fig. 1 in 3D): slabs coloured by local
    /// pinch frequency with the quasilocalised modes marked, and the lowest one beside the pinch
    /// response of the pair at its core. Pinches every interacting pair of both glasses (PETSc,
    /// options after `--`); the measurements are kept in soft-spots/ and reused.
    #[arg(long)]
    pub soft_spots: bool,
    /// The glasses: sample names of the campaign or sample files (`pinch sample` output) [default:
    /// a sample of the highest and one of the lowest T_p of the campaign's smallest N].
    #[arg(
        long,
        value_name = "A,B",
        value_delimiter = ',',
        requires = "soft_spots"
    )]
    pub soft_spot_samples: Vec<String>,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub petsc: PetscArgs,
}

/// The figure scripts, built into the program so that they always match it.
const CAMPAIGN_SCRIPT: &str = include_str!("../../scripts/plot_campaign.py");
const SOFT_SPOTS_SCRIPT: &str = include_str!("../../scripts/plot_soft_spots.py");

pub fn run(args: PlotArgs) -> Result<()> {
    let Some(campaign) = &args.campaign else {
        let out = args.out.clone().ok_or_else(|| {
            Error::Usage("without a campaign, say where the figures go with --out".into())
        })?;
        let summary = args.summary.clone();
        return soft_spot_figures(&args, None, summary.as_deref(), &out);
    };
    let (_, directory) = locate(campaign, args.dir.as_deref())?;
    let summary = args
        .summary
        .clone()
        .unwrap_or_else(|| directory.join("summary.h5"));
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| directory.join("figures"));
    if args.soft_spots {
        return soft_spot_figures(&args, Some(&directory), Some(&summary), &out);
    }
    if !summary.exists() {
        return Err(Error::Usage(format!(
            "{} does not exist: run `pinch analyze` first",
            summary.display()
        )));
    }
    run_script(
        &args,
        &out,
        "plot_campaign.py",
        CAMPAIGN_SCRIPT,
        [summary.into_os_string(), out.clone().into_os_string()],
    )
}

fn soft_spot_figures(
    args: &PlotArgs,
    directory: Option<&Path>,
    summary: Option<&Path>,
    out: &Path,
) -> Result<()> {
    let glasses = soft_spots::choose(directory, &args.soft_spot_samples)?;
    let cache = out.join("soft-spots");
    std::fs::create_dir_all(&cache).map_err(|e| Error::write(&cache, e))?;
    let session = Session::initialize("pinch", &args.petsc.petsc_options)?;
    let measured = glasses
        .iter()
        .map(|glass| soft_spots::measure_glass(&session, glass, &cache, &args.engine))
        .collect::<Result<Vec<_>>>()?;
    if session.rank() != 0 {
        return Ok(());
    }
    let mut script_args: Vec<OsString> = vec!["--out".into(), out.as_os_str().into()];
    if let Some(summary) = summary.filter(|s| s.exists()) {
        script_args.extend(["--summary".into(), summary.as_os_str().into()]);
    }
    script_args.extend(
        soft_spots::script_arguments(&measured)
            .into_iter()
            .map(OsString::from),
    );
    run_script(
        args,
        out,
        "plot_soft_spots.py",
        SOFT_SPOTS_SCRIPT,
        script_args,
    )
}

/// Runs the figure script `text` (written into `out` as `.name` for the run) with `script_args`.
fn run_script(
    args: &PlotArgs,
    out: &Path,
    name: &str,
    text: &str,
    script_args: impl IntoIterator<Item = OsString>,
) -> Result<()> {
    std::fs::create_dir_all(out).map_err(|e| Error::write(out, e))?;
    let python = args
        .python
        .clone()
        .or_else(|| std::env::var_os("PINCH_PYTHON").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("python3"));
    let script = out.join(format!(".{name}"));
    crate::io::atomic::write_file(&script, text.as_bytes())?;
    let status = std::process::Command::new(&python)
        .arg(&script)
        .args(script_args)
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
                "the figure script {name} failed ({status}); it needs h5py, numpy and matplotlib"
            ),
        });
    }
    log::info!("figures in {}", out.display());
    Ok(())
}
