//! `pinch plot`: the paper's figures from a campaign's summary.

use std::path::PathBuf;

use clap::Args;

use super::campaign::locate;
use crate::error::{Error, Result};

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

pub fn run(args: PlotArgs) -> Result<()> {
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
