//! The lowest vibrational modes of an inherent state: the smallest nonzero eigenpairs of its Hessian.
//!
//! The eigensolver is SLEPc's `EPS` with options prefix `modes_`. As in the SLEPc tutorials the code
//! states the facts (a symmetric problem, the three translations deflated, the smallest eigenvalues
//! wanted) and leaves the method to the options database, with defaults chosen by size
//! ([`set_default_solver`]): shift-and-invert around a small negative shift with a sparse Cholesky
//! factor (CHOLMOD, on several ranks with the whole matrix on each up to
//! [`REPLICATED_UP_TO`] particles, MUMPS above) for small systems, LOBPCG preconditioned by
//! algebraic multigrid for large ones. With unit masses the frequencies are ω = √λ.
//!
//! A state is unstable if an eigenvalue found is negative beyond round-off, or, with shift-and-invert,
//! if H − σ (σ < 0) is not positive definite: CHOLMOD then cannot factor it (the factorisation is
//! redone with MUMPS, which can, to find the negative eigenvalues), and MUMPS's inertia counts the
//! eigenvalues below σ even when they lie far from the pairs found nearest σ.

use pinch_petsc::{Eps, Session, Vector, Which};

use crate::domain::Engine;
use crate::error::{Error, Result};
use crate::hessian::Hessian;
use crate::response::profiles::RadialProfile;
use crate::response::{REPLICATED_UP_TO, direct_solver};

/// Systems with more particles than this use the iterative eigensolver by default.
pub const DIRECT_UP_TO: usize = 50_000;

/// A negative eigenvalue below −`UNSTABLE_BELOW` × (mean diagonal entry of H) marks an unstable state:
/// far beyond the round-off of the eigensolver (relative residuals ≲ 1e-10).
pub const UNSTABLE_BELOW: f64 = 1e-8;

/// What to compute.
#[derive(Clone, Debug, PartialEq)]
pub struct ModesRequest {
    /// The number of lowest nonzero modes (the least number when `max_frequency` is given).
    pub count: usize,
    /// Also every mode with ω below this: the count is doubled until a mode above it is found.
    pub max_frequency: Option<f64>,
    /// Keep the eigenvectors.
    pub vectors: bool,
    /// Width of the radial bins of the mode profiles.
    pub profile_bin_width: f64,
}

/// The lowest nonzero modes of one inherent state, in ascending order.
#[derive(Clone, Debug)]
pub struct Modes {
    /// Eigenvalues λ_k of H (raw units ε/λ_min²).
    pub eigenvalues: Vec<f64>,
    /// Participation ratios e_k = (Σ_i |ψ_i|²)² / (N Σ_i |ψ_i|⁴).
    pub participation_ratios: Vec<f64>,
    /// ‖H ψ − λ ψ‖/|λ| of each pair.
    pub relative_errors: Vec<f64>,
    /// The eigenvectors, per mode, as per-particle vectors of the local particles (if asked for).
    pub vectors: Vec<Vec<[f64; 3]>>,
    /// Per mode: ⟨|ψ|⟩ and ⟨|ψ|²⟩ against the distance from the particle of largest |ψ_i|.
    pub profiles: Vec<RadialProfile>,
    /// Per mode: the id of the particle of largest |ψ_i| (the mode's centre).
    pub centres: Vec<u64>,
    /// Whether an eigenvalue is negative beyond round-off: the state is not a minimum.
    pub unstable: bool,
    /// The eigensolver, spectral transformation and shift used.
    pub method: String,
    /// The spectral transformation.
    pub spectral_transform: String,
    /// The shift (target) of the spectral transformation.
    pub target: f64,
    /// Outer iterations of the last solve.
    pub iterations: i32,
    /// Solves made (more than one when the count was raised to pass `max_frequency`).
    pub solves: usize,
}

impl Modes {
    /// The frequencies ω_k = √λ_k (negative for a negative eigenvalue: −√|λ_k|).
    pub fn frequencies(&self) -> Vec<f64> {
        self.eigenvalues
            .iter()
            .map(|&l| l.signum() * l.abs().sqrt())
            .collect()
    }
}

/// Default eigensolver for `n_particles`, unless the user chose one with `-modes_eps_type` or
/// `-modes_st_type` (then every other option is theirs too).
pub fn set_default_solver(session: &Session, n_particles: usize) -> Result<()> {
    if session.option("-modes_eps_type")?.is_some() || session.option("-modes_st_type")?.is_some() {
        return Ok(());
    }
    if n_particles <= DIRECT_UP_TO {
        session.set_default_option("-modes_st_type", "sinvert")?;
        session.set_default_option("-modes_st_ksp_type", "preonly")?;
        if session.size() > 1 && n_particles <= REPLICATED_UP_TO {
            // The whole matrix factored on every rank (PCREDUNDANT), as for the response solves.
            session.set_default_option("-modes_st_pc_type", "redundant")?;
            session.set_default_option("-modes_st_redundant_pc_type", "cholesky")?;
            session
                .set_default_option("-modes_st_redundant_pc_factor_mat_solver_type", "cholmod")?;
        } else {
            session.set_default_option("-modes_st_pc_type", "cholesky")?;
            session.set_default_option(
                "-modes_st_pc_factor_mat_solver_type",
                direct_solver(session, n_particles),
            )?;
        }
        // MUMPS reports the inertia of H − σ on several ranks too (see `lowest_modes`). With the
        // root front factored on one process its workspace estimate falls short (INFOG(1) = −9 on a
        // 2,000-particle glass on 2 ranks at the default 20% relaxation; 25% suffices there): 50%.
        session.set_default_option("-modes_st_mat_mumps_icntl_13", "1")?;
        session.set_default_option("-modes_st_mat_mumps_icntl_14", "50")?;
    } else {
        for (option, value) in ITERATIVE_SOLVER {
            session.set_default_option(option, value)?;
        }
    }
    Ok(())
}

/// The default eigensolver above [`DIRECT_UP_TO`] particles: LOBPCG preconditioned by one GAMG
/// V-cycle (SLEPc's default applies five GMRES iterations) with one SOR sweep per level, to a relative
/// residual of 1e-8. For a symmetric matrix the eigenvalue error is of order ‖r‖²/gap: on a
/// 32,000-particle glass the 10 lowest eigenvalues agreed with those at 1e-12 to 1.3e-14, the
/// participation ratios to 1e-8 and the mode profiles to 2.4e-9. Time there on 2 ranks: 168 s with
/// two sweeps at 1e-12, 111 s at 1e-8, 93 s with one sweep, 73 s with one V-cycle
/// (docs/measurements.md).
pub const ITERATIVE_SOLVER: [(&str, &str); 7] = [
    ("-modes_eps_type", "lobpcg"),
    ("-modes_eps_tol", "1e-8"),
    ("-modes_st_ksp_type", "preonly"),
    ("-modes_st_pc_type", "gamg"),
    ("-modes_st_mg_levels_ksp_type", "richardson"),
    ("-modes_st_mg_levels_ksp_max_it", "1"),
    ("-modes_st_mg_levels_pc_type", "sor"),
];

/// The lowest nonzero modes of the Hessian of the engine's configuration. Collective.
pub fn lowest_modes<'s>(
    session: &'s Session,
    engine: &Engine,
    hessian: &Hessian<'s>,
    request: &ModesRequest,
) -> Result<Modes> {
    if request.count == 0 {
        return Err(Error::Usage(
            "the number of modes must be at least 1".into(),
        ));
    }
    let n = engine.n_global();
    if request.count + 3 > 3 * n {
        return Err(Error::Usage(format!(
            "{} modes asked for, but {n} particles have only {} nonzero modes",
            request.count,
            3 * n - 3
        )));
    }
    set_default_solver(session, n)?;
    let scale = hessian.matrix.trace()? / (3 * n) as f64;
    let target = -1e-3 * scale;
    let translations = translations(hessian)?;
    let mut count = request.count;
    let mut solves = 0;
    let shifted = match crate::faults::modes_negative_eigenvalue() {
        Some(shift) => {
            let mut matrix = hessian.matrix.duplicate()?;
            matrix.shift(-shift)?;
            Some(matrix)
        }
        None => None,
    };
    let stall = crate::faults::modes_eps_stall();
    // Set when the Cholesky factor of H − σ (σ < 0) does not exist: see below.
    let mut indefinite_factor = None;
    loop {
        let mut eps = Eps::new(
            session,
            shifted.as_ref().unwrap_or(&hessian.matrix),
            "modes_",
        )?;
        eps.set_count(count)?;
        eps.set_deflation_space(&translations)?;
        let iterative = session
            .option("-modes_st_type")?
            .is_none_or(|t| t != "sinvert");
        eps.set_which(if iterative {
            Which::SmallestReal
        } else {
            Which::NearestTo(target)
        })?;
        eps.set_tolerances(1e-12, 10_000)?;
        eps.set_from_options()?;
        if stall {
            eps.set_tolerances(1e-15, 1)?;
        }
        if let Some(package) = indefinite_factor {
            eps.set_cholesky_factor(package)?;
        }
        let info = match eps.solve() {
            // H − σ with σ < 0 is not positive definite, so H has an eigenvalue below σ: the state is
            // unstable. CHOLMOD stops there; MUMPS factors symmetric indefinite matrices (LDLᵀ) and
            // gives the eigenpairs, negative ones included.
            Err(error)
                if error.is_not_positive_definite()
                    && indefinite_factor.is_none()
                    && session
                        .option("-modes_st_pc_factor_mat_solver_type")?
                        .is_none_or(|p| p != "mumps") =>
            {
                log::warn!(
                    "the Hessian shifted by {target:e} is not positive definite (the state is unstable); \
                     factoring it with MUMPS instead"
                );
                indefinite_factor = Some("mumps");
                continue;
            }
            result => result?,
        };
        solves += 1;
        // Eigenvalues far below the target may lie outside the pairs found nearest to it, but the
        // factor's inertia counts them (with CHOLMOD, which gives none, the factorisation above
        // failed if there were any).
        let below_target = eps.eigenvalues_below_target()?;
        if let Some(count) = below_target.filter(|&c| c > 0) {
            log::warn!(
                "the Hessian has {count} eigenvalues below {target:e}: the state is unstable"
            );
        }
        let mut pairs = Vec::with_capacity(info.converged);
        let mut vector = hessian.matrix.create_vector()?;
        for k in 0..info.converged {
            let eigenvalue = eps.eigenpair(k, &mut vector)?;
            pairs.push((
                eigenvalue,
                eps.relative_error(k)?,
                hessian.field_from(&vector)?,
            ));
        }
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let wanted = match request.max_frequency {
            Some(max) if pairs.last().is_some_and(|p| p.0 < max * max) && count < 3 * n - 3 => {
                count = (2 * count).min(3 * n - 3);
                continue;
            }
            Some(max) => pairs
                .iter()
                .filter(|p| p.0 < max * max)
                .count()
                .max(request.count),
            None => request.count,
        };
        pairs.truncate(wanted);
        let mut modes = Modes {
            eigenvalues: pairs.iter().map(|p| p.0).collect(),
            relative_errors: pairs.iter().map(|p| p.1).collect(),
            participation_ratios: Vec::new(),
            vectors: Vec::new(),
            profiles: Vec::new(),
            centres: Vec::new(),
            unstable: pairs.first().is_some_and(|p| p.0 < -UNSTABLE_BELOW * scale)
                || below_target.is_some_and(|count| count > 0),
            method: eps.method()?,
            spectral_transform: eps.spectral_transform()?,
            target: if iterative { f64::NAN } else { target },
            iterations: info.iterations,
            solves,
        };
        for (_, _, field) in &pairs {
            modes
                .participation_ratios
                .push(participation_ratio(engine, field));
            let (centre, profile) = profile_about_largest(engine, field, request.profile_bin_width);
            modes.centres.push(centre);
            modes.profiles.push(profile);
        }
        if request.vectors {
            modes.vectors = pairs.into_iter().map(|p| p.2).collect();
        }
        return Ok(modes);
    }
}

/// The three uniform translations, normalised, laid out like the Hessian's rows.
fn translations<'s>(hessian: &Hessian<'s>) -> Result<Vec<Vector<'s>>> {
    let template = hessian.matrix.create_vector()?;
    let start = template.ownership_range()?.start;
    let norm = 1.0 / ((template.len()? / 3) as f64).sqrt();
    (0..3)
        .map(|component| {
            let mut v = template.duplicate()?;
            for (k, value) in v.local_mut()?.iter_mut().enumerate() {
                *value = if (start + k) % 3 == component {
                    norm
                } else {
                    0.0
                };
            }
            Ok(v)
        })
        .collect()
}

/// e = (Σ_i |ψ_i|²)² / (N Σ_i |ψ_i|⁴), with exact global sums.
fn participation_ratio(engine: &Engine, field: &[[f64; 3]]) -> f64 {
    let [sum2, sum4] = engine.sums(field.iter().map(|v| {
        let m2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
        [m2, m2 * m2]
    }));
    sum2 * sum2 / (engine.n_global() as f64 * sum4)
}

/// The id of the particle with the largest |ψ_i| (the smallest id among equals), and the profile of
/// |ψ| about it.
fn profile_about_largest(
    engine: &Engine,
    field: &[[f64; 3]],
    bin_width: f64,
) -> (u64, RadialProfile) {
    let magnitude = |v: &[f64; 3]| (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    let largest = engine.max(field.iter().map(magnitude));
    let centre = engine
        .local_ids()
        .iter()
        .zip(field)
        .filter(|(_, v)| magnitude(v) == largest)
        .map(|(&id, _)| id)
        .min()
        .unwrap_or(u64::MAX);
    let centre = crate::domain::communication::min_u64(engine.comm(), centre);
    let position = engine
        .local_ids()
        .iter()
        .position(|&id| id == centre)
        .map(|i| engine.local_positions()[i]);
    let position = crate::domain::communication::broadcast_from_holder(engine.comm(), position);
    let mut profile = RadialProfile::new(engine.decomposition().box_length, bin_width);
    for (x, v) in engine.local_positions().iter().zip(field) {
        let r = profile.distance(position, *x);
        let m = magnitude(v);
        profile.add(r, [m, m * m]);
    }
    profile.reduce(engine.comm());
    (centre, profile)
}
