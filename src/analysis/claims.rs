//! The paper's claims against what a campaign gives (`claims.md` beside the summary): T_onset,
//! G_∞a0³/k_BT_onset, the stiffening of ω_g, the fall of A_g, the depletion of 𝒩 and E_QLM, each with
//! its error or the reason the data do not resolve it, and the windows and samples behind each point.

use std::fmt::Write;

use super::fits::Value;
use super::point::OmegaEstimator;
use super::resampling::spread;
use super::temperature::{Boltzmann, Series};
use super::{PointSummary, Summary};

/// a/b with the errors of independent a and b combined.
fn ratio(a: Value, b: Value) -> Value {
    let value = a.value / b.value;
    Value {
        value,
        error: value.abs() * ((a.error / a.value).powi(2) + (b.error / b.value).powi(2)).sqrt(),
    }
}

fn show(v: Value) -> String {
    if !v.value.is_finite() {
        return "—".into();
    }
    let digits = if v.error.is_finite() && v.error > 0.0 {
        (1 - v.error.log10().floor() as i32).clamp(1, 6) as usize
    } else {
        3
    };
    if v.error.is_finite() {
        format!("{:.*} ± {:.*}", digits, v.value, digits, v.error)
    } else {
        format!("{:.*}", digits, v.value)
    }
}

fn estimator_name(estimator: OmegaEstimator) -> &'static str {
    match estimator {
        OmegaEstimator::Mean => "mean ω",
        OmegaEstimator::RootMeanKappa => "√⟨κ⟩",
        OmegaEstimator::Median => "median ω",
    }
}

/// The comparison as a Markdown document.
pub fn table(summary: &Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Campaign {}: the paper's claims against the data\n",
        summary.campaign
    );
    let Some(n) = summary
        .reference_size
        .or(summary.sizes.first().map(|s| s.n_particles))
    else {
        return out;
    };
    let series = Series::new(&summary.points, n);
    let size = summary.sizes.iter().find(|s| s.n_particles == n);
    let onset = summary.onset.as_ref().map(|o| o.onset);
    let t_on = onset.map_or(f64::NAN, |o| o.value);
    let _ = writeln!(
        out,
        "N = {n}; errors are one standard error from a bootstrap over blocks of a chain's samples."
    );
    let one_chain: Vec<String> = series
        .points()
        .iter()
        .filter(|p| p.chains < 2)
        .map(|p| p.parent_temperature.to_string())
        .collect();
    if !one_chain.is_empty() {
        let _ = writeln!(
            out,
            "At T_p = {} the samples come from one chain: their errors see only the spread within \
             it (a few blocks), not from chain to chain, and may be too small.",
            one_chain.join(", ")
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "| quantity | this campaign | paper |\n|---|---|---|");
    let source = match summary.onset_source.as_str() {
        "shear_modulus" => "plateau of G",
        "energy_per_particle" => "where U_IS/N leaves its plateau",
        "given" => "given (`--onset`)",
        _ => "not located",
    };
    let _ = writeln!(
        out,
        "| T_onset [ε/k_B] ({source}) | {} | not given in ε/k_B; G∞a0³/17 = {:.3} from this campaign's G∞ (derived) |",
        onset.map_or("unresolved".into(), show),
        summary.shear_modulus_infinity.value
            * series.points().first().map_or(f64::NAN, |p| p.a0).powi(3)
            / 17.0
    );
    if let Some(size) = size {
        for (name, fit) in [
            ("plateau of G", &size.shear_onset),
            ("U_IS/N (cross-check)", &size.energy_onset),
        ] {
            let text = match fit {
                Ok(o) => show(o.onset),
                Err(reason) => format!("unresolved: {reason}"),
            };
            let _ = writeln!(out, "| T_onset from the {name} | {text} | |");
        }
    }
    let a0 = series.points().first().map_or(f64::NAN, |p| p.a0);
    if let Some(o) = summary.onset.as_ref() {
        let g = summary.shear_modulus_infinity;
        let central = g.value * a0.powi(3) / o.onset.value;
        // G_∞ and T_onset come from one fit: the error is the spread of their ratio over the replicas.
        let error = if o.plateau_draws.len() == o.draws.len() && !o.draws.is_empty() {
            spread(
                o.plateau_draws
                    .iter()
                    .zip(&o.draws)
                    .map(|(g, t)| g * a0.powi(3) / t),
            )
        } else {
            ratio(
                Value {
                    value: g.value * a0.powi(3),
                    error: g.error * a0.powi(3),
                },
                o.onset,
            )
            .error
        };
        let _ = writeln!(
            out,
            "| G∞a0³/k_BT_onset | {} | ≈ 17 |",
            show(Value {
                value: central,
                error
            })
        );
    }
    let points = series.points();
    let (Some(lowest), Some(_)) = (points.first(), points.last()) else {
        return out;
    };
    let _ = writeln!(
        out,
        "| lowest T_p / T_onset | {:.3} | 1/3 |",
        lowest.parent_temperature / t_on
    );
    let plateau_of = |f: &dyn Fn(&PointSummary) -> Option<Value>| series.plateau(t_on, f);
    for estimator in OmegaEstimator::ALL {
        let k = estimator as usize;
        let text = plateau_of(&|p| Some(p.omega_g[k]))
            .map_or("—".into(), |pl| show(ratio(lowest.omega_g[k], pl)));
        let _ = writeln!(
            out,
            "| ω_g(lowest T_p)/ω_g(plateau), {} | {text} | ≈ 2 at T_onset/3 |",
            estimator_name(estimator)
        );
    }
    let lowest_resolved = points.iter().find(|p| p.a_g.is_some());
    let a_text = match (plateau_of(&|p| p.a_g), lowest_resolved) {
        (Some(pl), Some(p)) => format!(
            "{} (lowest resolved T_p = {})",
            show(ratio(pl, p.a_g.expect("resolved"))),
            p.parent_temperature
        ),
        _ => "unresolved".into(),
    };
    let _ = writeln!(
        out,
        "| A_g(plateau)/A_g(lowest T_p) | {a_text} | ≈ 10³ at T_onset/3 |"
    );
    let xi = plateau_of(&|p| Some(p.xi_g)).map_or("—".into(), |pl| show(ratio(lowest.xi_g, pl)));
    let _ = writeln!(
        out,
        "| ξ_g(lowest T_p)/ξ_g(plateau) | {xi} | ≈ 0.6 at T_onset/3 |"
    );
    if let Some(size) = size {
        for b in &size.boltzmann {
            let name = estimator_name(b.estimator);
            let depletion = b
                .ratios
                .first()
                .map_or("—".into(), |(t, r)| format!("{} at T_p = {t}", show(*r)));
            let _ = writeln!(
                out,
                "| 𝒩(lowest resolved T_p)/𝒩(plateau), {name} | {depletion} | ≈ 10⁻² at T_onset/3 |"
            );
            let energy = match b.energy_over_onset {
                Some(e) => format!(
                    "{} (T_p = {:?}, χ²/dof = {:.2})",
                    show(e),
                    b.regime,
                    b.reduced_chi2.unwrap_or(f64::NAN)
                ),
                None => format!("unresolved: {}", b.unresolved),
            };
            let _ = writeln!(out, "| E_QLM/k_BT_onset, {name} | {energy} | ≈ 3.3 |");
        }
    }
    per_point(
        &mut out,
        points,
        size.and_then(|s| s.boltzmann.first()),
        t_on,
    );
    out
}

/// The table of the points: their samples, chains and blocks, the A_g window and what it gives, and
/// the reasons where A_g is unresolved.
fn per_point(out: &mut String, points: &[&PointSummary], ratios: Option<&Boltzmann>, t_on: f64) {
    let _ = writeln!(
        out,
        "\n## Per point\n\n| T_p | T_p/T_onset | samples | chains | blocks | ω_u/(2πc_s/L) | modes < ω_u | free exponent | A_g | 𝒩/𝒩_plateau (mean ω) | G | ω_g (mean ω) | modes per sample < {}·2πc_s/L |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        super::point::SOFT_MODE_CUTS[1]
    );
    for p in points {
        let window = p.window.upper.map_or("unresolved".into(), |u| {
            format!("{:.3}", u / p.phonon_frequency)
        });
        let over = ratios
            .and_then(|b| b.ratios.iter().find(|r| r.0 == p.parent_temperature))
            .map_or("—".into(), |r| show(r.1));
        let _ = writeln!(
            out,
            "| {} | {:.3} | {} | {} | {} | {window} | {} | {} | {} | {over} | {} | {} | {} |",
            p.parent_temperature,
            p.parent_temperature / t_on,
            p.samples,
            p.chains,
            p.blocks,
            p.window.modes,
            p.window.exponent.map_or("—".into(), show),
            p.a_g.map_or("—".into(), show),
            show(p.shear_modulus),
            show(p.omega_g[0]),
            show(p.soft_modes[1]),
        );
    }
    let unresolved: Vec<&&PointSummary> = points.iter().filter(|p| p.a_g.is_none()).collect();
    if !unresolved.is_empty() {
        let _ = writeln!(
            out,
            "\nWhere A_g is unresolved (modes and free exponent below the cap):\n"
        );
        for p in unresolved {
            let _ = writeln!(
                out,
                "- T_p = {}: {}",
                p.parent_temperature, p.window.unresolved
            );
        }
    }
}
