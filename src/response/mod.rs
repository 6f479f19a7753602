//! Linear responses of an inherent state: the displacements u = H⁺ f under forces f that sum to zero
//! (force dipoles, the forces of an affine strain), from which the nonaffine elastic terms and the
//! dipole stiffnesses follow.
//!
//! H is singular (the three translations). The solves use H with one particle's three degrees of
//! freedom pinned, which is nonsingular and, at a stable state, positive definite: for Σ_i f_i = 0 the
//! pinned particle's own equation follows from the others (the rows of H sum to zero), so the pinned
//! solution solves H u = f exactly. Its translation part is then removed. The linear solver is a PETSc
//! `KSP` with options prefix `response_`; the defaults ([`set_default_solver`]) are a sparse Cholesky
//! factor, computed once and applied to many right-hand sides at a time, for small systems and
//! conjugate gradients with algebraic multigrid for large ones.

pub mod dipoles;
pub mod elastic;
pub mod profiles;

use pinch_petsc::{DenseColumns, Ksp, KspInfo, Mat, Session};

use crate::domain::Engine;
use crate::error::Result;
use crate::hessian::Hessian;

/// Systems with more particles than this use conjugate gradients by default.
pub const DIRECT_UP_TO: usize = 50_000;

/// Up to this many particles, direct solves on several ranks factor the whole Hessian with CHOLMOD on
/// every rank and share the right-hand sides out, instead of one distributed MUMPS factor. Measured on
/// 2 ranks against 1: MUMPS took twice the time of one rank's CHOLMOD at N = 2,000 and 16,000, so a
/// distributed factor only pays for the memory it spreads. The whole factor takes about 1 GB at
/// N = 16,000, on every rank.
pub const REPLICATED_UP_TO: usize = 20_000;

/// Factorisation packages that run on several ranks; any other factors on one rank only.
const DISTRIBUTED_PACKAGES: [&str; 5] = [
    "mumps",
    "superlu_dist",
    "mkl_cpardiso",
    "strumpack",
    "pastix",
];

/// Default linear solver for `n_particles`, unless the user chose one with `-response_ksp_type` or
/// `-response_pc_type`.
pub fn set_default_solver(session: &Session, n_particles: usize) -> Result<()> {
    if session.option("-response_ksp_type")?.is_some()
        || session.option("-response_pc_type")?.is_some()
    {
        return Ok(());
    }
    if n_particles <= DIRECT_UP_TO {
        session.set_default_option("-response_ksp_type", "preonly")?;
        session.set_default_option("-response_pc_type", "cholesky")?;
        session.set_default_option(
            "-response_pc_factor_mat_solver_type",
            direct_solver(session, n_particles),
        )?;
    } else {
        for (option, value) in ITERATIVE_SOLVER {
            session.set_default_option(option, value)?;
        }
    }
    Ok(())
}

/// The default solver above [`DIRECT_UP_TO`] particles: conjugate gradients with GAMG. Measured on a
/// 16,000-particle glass: SOR smoothing instead of GAMG's default Chebyshev/Jacobi takes 99 instead of
/// 164 iterations and half the time per solve. One smoothing sweep per level instead of two: more
/// iterations (139 against 102 on a 128,000-particle glass) but each is cheaper, 10% less time in all.
/// Plain aggregates as coarse spaces (`pc_gamg_agg_nsmooths 0`) instead of smoothed ones: 5% more
/// iterations, but a sparser hierarchy, so each iteration costs less. At N = 1,000,000 on 2 ranks: a
/// third less memory (3.6 against 5.3–5.7 GB per rank), GAMG's setup 6 against 27 s, the shear modulus
/// in 345 against 486 s and 531 against 639 s on two glasses, dipoles 148 against 169 s each on one
/// and as fast as before on the other (docs/measurements.md).
pub const ITERATIVE_SOLVER: [(&str, &str); 6] = [
    ("-response_ksp_type", "cg"),
    ("-response_pc_type", "gamg"),
    ("-response_pc_gamg_agg_nsmooths", "0"),
    ("-response_mg_levels_ksp_type", "richardson"),
    ("-response_mg_levels_ksp_max_it", "1"),
    ("-response_mg_levels_pc_type", "sor"),
];

/// The sparse Cholesky factorisation used for small systems: CHOLMOD (METIS ordering), where it needs
/// half the operations of MUMPS with the PORD ordering of Debian's MUMPS (measured on a 2,000-particle
/// glass: factor 0.12 s against 0.18 s, 2,000 against 1,570 dipole solves per second), on one rank or
/// on every rank up to [`REPLICATED_UP_TO`] particles; MUMPS, distributed, above.
pub fn direct_solver(session: &Session, n_particles: usize) -> &'static str {
    if session.size() == 1 || n_particles <= REPLICATED_UP_TO {
        "cholmod"
    } else {
        "mumps"
    }
}

/// Whether the response solves factor the whole matrix on every rank: several ranks, and a
/// factorisation (`-response_pc_type cholesky` or `lu`) by a package that runs on one rank only.
fn replicated(session: &Session) -> Result<bool> {
    let factored = session
        .option("-response_pc_type")?
        .is_some_and(|t| t == "cholesky" || t == "lu");
    let package = session.option("-response_pc_factor_mat_solver_type")?;
    Ok(session.size() > 1
        && factored
        && package.is_some_and(|p| !DISTRIBUTED_PACKAGES.contains(&p.as_str())))
}

/// Solves H u = f for blocks of force fields f with Σ f = 0, through the pinned Hessian.
pub struct ResponseSolver<'s> {
    session: &'s Session,
    // The KSP holds its own reference to the pinned matrix.
    ksp: Ksp<'s>,
    _pinned: Mat<'s>,
    /// With the whole pinned Hessian on every rank: the local row count of every rank.
    replicated_rows: Option<Vec<usize>>,
    local_rows: usize,
    /// Local rows of the pinned degrees of freedom (rank 0 only).
    pinned_rows: Vec<usize>,
    /// Linear solves made (right-hand sides).
    pub solves: usize,
    /// Whether the user set the relative tolerance (`-response_ksp_rtol`).
    user_tolerance: bool,
}

/// Relative residual of the solves whose solution enters only through fᵀu (the nonaffine terms).
/// For conjugate gradients from zero, fᵀu − fᵀũ = eᵀHe with e the error, so this quantity converges
/// as the square of the residual: 1e-8 leaves it accurate to round-off.
pub const PRODUCT_TOLERANCE: f64 = 1e-8;

/// Relative residual of the solves whose solutions are used as vectors (dipole responses, |u|²,
/// their radial profiles). Measured on a 128,000-particle glass against solves to 1e-12: dᵀH⁺²d and
/// ω agree to 3e-11 and the profiles to 7e-9, below the 1e-8 to which results on different rank counts
/// agree, in 18% less time (1e-8 would leave errors of 2e-9 and 7e-7).
pub const SOLUTION_TOLERANCE: f64 = 1e-10;

impl<'s> ResponseSolver<'s> {
    /// The solver for the Hessian `hessian` of `n_particles` particles. Collective.
    pub fn new(session: &'s Session, hessian: &Hessian<'s>, n_particles: usize) -> Result<Self> {
        set_default_solver(session, n_particles)?;
        let mut pinned = hessian.matrix.duplicate()?;
        // The first block row (on rank 0); its diagonal gets the mean diagonal entry of H, so the
        // pinned matrix keeps the scale of H.
        let scale = hessian.matrix.trace()? / hessian.matrix.rows()? as f64;
        let rows = if hessian.first_block_row == 0 && hessian.matrix.ownership_range()?.len() >= 3 {
            vec![0, 1, 2]
        } else {
            Vec::new()
        };
        pinned.zero_rows_columns(&rows, scale)?;
        pinned.set_symmetric()?;
        let local_rows = hessian.matrix.ownership_range()?.len();
        let replicated_rows = if replicated(session)? {
            pinned = pinned.gather_whole()?;
            pinned.set_symmetric()?;
            let counts =
                crate::domain::communication::all_gather_count(session.world(), local_rows as u64);
            Some(counts.into_iter().map(|c| c as usize).collect())
        } else {
            None
        };
        let mut ksp = Ksp::new(session, &pinned, "response_")?;
        ksp.set_tolerances(SOLUTION_TOLERANCE, 1e-300, 100_000)?;
        ksp.set_from_options()?;
        let user_tolerance = session.option("-response_ksp_rtol")?.is_some();
        Ok(ResponseSolver {
            session,
            ksp,
            local_rows,
            replicated_rows,
            _pinned: pinned,
            pinned_rows: rows,
            solves: 0,
            user_tolerance,
        })
    }

    /// The solutions u (translations removed) for `columns` force fields given column by column, each
    /// laid out like the Hessian's local rows, to the relative residual `tolerance` (unless the user
    /// set `-response_ksp_rtol`; direct solvers ignore it). Collective.
    pub fn solve(
        &mut self,
        engine: &Engine,
        forces: &[f64],
        columns: usize,
        tolerance: f64,
    ) -> Result<(Vec<f64>, KspInfo)> {
        if crate::faults::response_ksp_stall() {
            self.ksp.set_tolerances(tolerance, 1e-300, 1)?;
        } else if !self.user_tolerance {
            // The iteration limit and absolute tolerance stay as set at creation or by the user
            // (`-response_ksp_max_it`, `-response_ksp_atol`).
            self.ksp.set_relative_tolerance(tolerance)?;
        }
        let mut right = forces.to_vec();
        for c in 0..columns {
            for &r in &self.pinned_rows {
                right[c * self.local_rows + r] = 0.0;
            }
        }
        let (mut solution, info) = match &self.replicated_rows {
            None => {
                let mut b = DenseColumns::new(self.session, self.local_rows, columns)?;
                b.set_local(&right)?;
                let mut x = DenseColumns::new(self.session, self.local_rows, columns)?;
                let info = self.ksp.solve_many(&b, &mut x)?;
                (x.local()?, info)
            }
            Some(rows) => {
                let rows = rows.clone();
                self.solve_share(engine, &rows, &right, columns)?
            }
        };
        self.solves += columns;
        // Remove the translations: the mean of each component of each column.
        let mut means = vec![0.0; 3 * columns];
        for c in 0..columns {
            let column = &solution[c * self.local_rows..(c + 1) * self.local_rows];
            for (k, v) in column.iter().enumerate() {
                means[3 * c + k % 3] += v;
            }
        }
        crate::domain::communication::sum_in_place(engine.comm(), &mut means);
        let n = engine.n_global() as f64;
        for c in 0..columns {
            let column = &mut solution[c * self.local_rows..(c + 1) * self.local_rows];
            for (k, v) in column.iter_mut().enumerate() {
                *v -= means[3 * c + k % 3] / n;
            }
        }
        Ok((solution, info))
    }

    /// With the whole matrix on every rank: gathers the columns, solves this rank's share of them
    /// (a contiguous range, so that every rank has work when there are at least as many columns as
    /// ranks) and hands every rank its rows of all solutions back, laid out like `right`.
    fn solve_share(
        &mut self,
        engine: &Engine,
        rows: &[usize],
        right: &[f64],
        columns: usize,
    ) -> Result<(Vec<f64>, KspInfo)> {
        use crate::domain::communication::{all_gather, all_to_all, offsets};
        use mpi::topology::Communicator;
        let comm = engine.comm();
        let ranks = rows.len();
        let rank = comm.rank() as usize;
        let total: usize = rows.iter().sum();
        let offsets = offsets(rows);
        let share = |q: usize| q * columns / ranks..(q + 1) * columns / ranks;
        // Every rank's rows of every column, in rank order, then this rank's columns whole.
        let gathered = all_gather(
            comm,
            right,
            &rows.iter().map(|r| r * columns).collect::<Vec<_>>(),
        );
        let mine = share(rank);
        let mut whole = vec![0.0; total * mine.len()];
        for (k, c) in mine.clone().enumerate() {
            for q in 0..ranks {
                let from = offsets[q] * columns + c * rows[q];
                whole[k * total + offsets[q]..k * total + offsets[q] + rows[q]]
                    .copy_from_slice(&gathered[from..from + rows[q]]);
            }
        }
        let info = if mine.is_empty() {
            KspInfo {
                iterations: 0,
                residual_norm: 0.0,
                reason: "no columns on this rank".into(),
            }
        } else {
            let mut b = DenseColumns::sequential(self.session, total, mine.len())?;
            b.set_local(&whole)?;
            let mut x = DenseColumns::sequential(self.session, total, mine.len())?;
            let info = self.ksp.solve_many(&b, &mut x)?;
            whole = x.local()?;
            info
        };
        // To rank q: its rows of this rank's columns.
        let mut outgoing = Vec::with_capacity(whole.len());
        for q in 0..ranks {
            for k in 0..mine.len() {
                outgoing.extend_from_slice(
                    &whole[k * total + offsets[q]..k * total + offsets[q] + rows[q]],
                );
            }
        }
        let send_counts: Vec<usize> = rows.iter().map(|r| r * mine.len()).collect();
        let receive_counts: Vec<usize> = (0..ranks)
            .map(|q| share(q).len() * self.local_rows)
            .collect();
        // Rank q's columns arrive in order, so the blocks follow one another column by column.
        let solution = all_to_all(comm, &outgoing, &send_counts, &receive_counts);
        Ok((solution, info))
    }

    /// The Krylov method and preconditioner in use, with the factorisation package and where the
    /// factor lives, e.g. `preonly + cholesky (cholmod, whole matrix on every rank)`.
    pub fn method(&self) -> Result<String> {
        let mut method = format!("{} + {}", self.ksp.method()?, self.ksp.preconditioner()?);
        if let Some(package) = self.ksp.factor_package()? {
            let on_every_rank = if self.replicated_rows.is_some() {
                ", whole matrix on every rank"
            } else {
                ""
            };
            method.push_str(&format!(" ({package}{on_every_rank})"));
        }
        Ok(method)
    }
}
