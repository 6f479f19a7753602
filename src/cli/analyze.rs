//! `pinch analyze`: a campaign's samples to its summary and the paper's claims.

use std::path::PathBuf;

use clap::Args;

use super::campaign::locate;
use crate::analysis::AnalysisOptions;
use crate::campaign::run::RESULTS;
use crate::campaign::store;
use crate::error::{Error, Result};

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

pub fn run(args: AnalyzeArgs) -> Result<()> {
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
