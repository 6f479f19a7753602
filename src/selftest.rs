//! A check of the MPI/PETSc/SLEPc stack on problems with known solutions, run like any pinch job
//! (`mpirun -n 4 pinch selftest`, `srun pinch selftest`) to validate an installation or a solver choice.
//!
//! The operator is A = L ⊗ W on an n³ grid with 3×3 blocks, the same block structure as a particle
//! Hessian: L is the 7-point Laplacian with anisotropic couplings (1, 1.1, 1.2) (no repeated eigenvalues)
//! and W = tridiag(−1, 2, −1), with eigenvalues 2 − √2, 2, 2 + √2.
//!
//! * Dirichlet boundaries: A is SPD with eigenvalues Σ_d a_d (2 − 2 cos(π k_d/(n+1))) · w. The lowest
//!   are computed by an eigensolver (prefix `selftest_`) and a linear system is solved (same prefix).
//! * Periodic boundaries: A is singular with exactly the three block-constant vectors as null space, like
//!   the translations of a Hessian. A consistent system is solved with the null space attached, and the
//!   lowest nonzero eigenvalue a_x (2 − 2 cos(2π/n)) (2 − √2) is computed with the null space deflated
//!   (prefix `selftest_null_`).

use std::f64::consts::PI;

use pinch_petsc::{BlockPreallocation, Eps, Ksp, Mat, NullSpace, Session, Vector, Which};
use serde::Serialize;

use crate::error::{Error, Result};

const COUPLINGS: [f64; 3] = [1.0, 1.1, 1.2];
const W: [f64; 9] = [2.0, -1.0, 0.0, -1.0, 2.0, -1.0, 0.0, -1.0, 2.0];

/// Largest relative error accepted for eigenvalues.
pub const EIGENVALUE_TOLERANCE: f64 = 1e-8;
/// Largest relative error accepted for solutions of linear systems.
pub const SOLUTION_TOLERANCE: f64 = 1e-6;

/// What the self-test measured.
#[derive(Debug, Serialize)]
pub struct SelfTestReport {
    /// MPI ranks.
    pub ranks: i32,
    /// Rows of the operator (3 n³).
    pub rows: usize,
    /// The eigensolver check (Dirichlet operator).
    pub eigenvalues: EigenCheck,
    /// The linear-solver check (Dirichlet operator).
    pub linear_solve: SolveCheck,
    /// The null-space checks (periodic operator).
    pub null_space: NullSpaceCheck,
    /// Whether every check met its tolerance.
    pub passed: bool,
}

/// Eigenvalues computed against the analytic ones.
#[derive(Debug, Serialize)]
pub struct EigenCheck {
    /// Eigensolver and spectral transformation used.
    pub method: String,
    /// Spectral transformation used.
    pub spectral_transform: String,
    /// Computed eigenvalues, ascending.
    pub computed: Vec<f64>,
    /// Analytic eigenvalues, ascending.
    pub analytic: Vec<f64>,
    /// Largest relative difference.
    pub max_relative_error: f64,
}

/// A linear solve against its known solution.
#[derive(Debug, Serialize)]
pub struct SolveCheck {
    /// Krylov method used.
    pub method: String,
    /// Preconditioner used.
    pub preconditioner: String,
    /// Iterations.
    pub iterations: i32,
    /// ‖x − x*‖ / ‖x*‖.
    pub relative_error: f64,
}

/// The periodic (singular) operator's checks.
#[derive(Debug, Serialize)]
pub struct NullSpaceCheck {
    /// max |A e| over the three normalised null vectors e.
    pub null_residual: f64,
    /// The consistent singular solve, compared with the null-space-free solution.
    pub solve: SolveCheck,
    /// The lowest nonzero eigenvalue with the null space deflated.
    pub eigenvalue: EigenCheck,
}

/// The operator L ⊗ W on an `n`³ grid, nodes split evenly over the ranks.
fn operator<'s>(session: &'s Session, n: usize, periodic: bool) -> Result<Mat<'s>> {
    let nodes = n * n * n;
    let (rank, size) = (session.rank() as usize, session.size() as usize);
    let owned = nodes * rank / size..nodes * (rank + 1) / size;
    let neighbours = |node: usize| {
        let c = [node / (n * n), (node / n) % n, node % n];
        let mut list = Vec::with_capacity(6);
        for d in 0..3 {
            for step in [n - 1, 1] {
                let moved = (c[d] + step) % n;
                let wrapped = (step == 1 && moved == 0) || (step == n - 1 && c[d] == 0);
                if wrapped && !periodic {
                    continue;
                }
                let mut e = c;
                e[d] = moved;
                list.push(((e[0] * n + e[1]) * n + e[2], COUPLINGS[d]));
            }
        }
        list
    };
    let mut preallocation = BlockPreallocation::default();
    for node in owned.clone() {
        let list = neighbours(node);
        let inside = list.iter().filter(|(m, _)| owned.contains(m)).count() as i32;
        preallocation.diagonal.push(inside + 1);
        preallocation.off_diagonal.push(list.len() as i32 - inside);
    }
    let mut a = Mat::new_aij(session, 3, &preallocation)?;
    let diagonal: f64 = 2.0 * COUPLINGS.iter().sum::<f64>();
    for node in owned {
        a.add_block(node, node, &W.map(|w| diagonal * w))?;
        for (other, coupling) in neighbours(node) {
            a.add_block(node, other, &W.map(|w| -coupling * w))?;
        }
    }
    a.assemble()?;
    a.set_symmetric()?;
    Ok(a)
}

fn w_eigenvalues() -> [f64; 3] {
    [2.0 - 2f64.sqrt(), 2.0, 2.0 + 2f64.sqrt()]
}

/// The `count` lowest eigenvalues of the Dirichlet operator, ascending.
pub fn analytic_dirichlet_eigenvalues(n: usize, count: usize) -> Vec<f64> {
    let mode = |k: usize| 2.0 - 2.0 * (PI * k as f64 / (n as f64 + 1.0)).cos();
    let mut all = Vec::with_capacity(3 * n * n * n);
    for kx in 1..=n {
        for ky in 1..=n {
            for kz in 1..=n {
                let laplacian =
                    COUPLINGS[0] * mode(kx) + COUPLINGS[1] * mode(ky) + COUPLINGS[2] * mode(kz);
                all.extend(w_eigenvalues().map(|w| laplacian * w));
            }
        }
    }
    all.sort_by(f64::total_cmp);
    all.truncate(count);
    all
}

fn known_solution<'s>(template: &Vector<'s>) -> Result<Vector<'s>> {
    let mut x = template.duplicate()?;
    let start = x.ownership_range()?.start;
    for (k, value) in x.local_mut()?.iter_mut().enumerate() {
        *value = (0.37 * (start + k) as f64).sin() + 0.5;
    }
    Ok(x)
}

fn relative_difference<'s>(x: &Vector<'s>, reference: &Vector<'s>) -> Result<f64> {
    let mut difference = x.duplicate()?;
    difference.copy_from(x)?;
    difference.axpy(-1.0, reference)?;
    Ok(difference.norm()? / reference.norm()?)
}

fn max_relative_error(computed: &[f64], analytic: &[f64]) -> f64 {
    computed
        .iter()
        .zip(analytic)
        .map(|(c, a)| ((c - a) / a).abs())
        .fold(0.0, f64::max)
}

/// Runs every check on an `n`³ grid, computing the `count` lowest eigenvalues.
pub fn run(session: &Session, n: usize, count: usize) -> Result<SelfTestReport> {
    if n < 3 {
        return Err(Error::SelfTest(format!(
            "grid size {n} is too small: use at least 3"
        )));
    }
    // Dirichlet: eigenvalues and a linear solve.
    let a = operator(session, n, false)?;
    let rows = a.rows()?;
    let mut eps = Eps::new(session, &a, "selftest_")?;
    eps.set_count(count)?;
    eps.set_which(Which::SmallestReal)?;
    eps.set_tolerances(1e-10, 10_000)?;
    eps.set_from_options()?;
    let info = eps.solve()?;
    let analytic = analytic_dirichlet_eigenvalues(n, count.max(info.converged).min(rows));
    let mut computed: Vec<f64> = (0..info.converged)
        .map(|i| eps.eigenvalue(i))
        .collect::<pinch_petsc::Result<_>>()?;
    computed.sort_by(f64::total_cmp);
    computed.truncate(count);
    let eigenvalues = EigenCheck {
        method: eps.method()?,
        spectral_transform: eps.spectral_transform()?,
        max_relative_error: max_relative_error(&computed, &analytic),
        analytic: analytic[..computed.len()].to_vec(),
        computed,
    };
    drop(eps);

    let x_star = known_solution(&a.create_vector()?)?;
    let mut b = x_star.duplicate()?;
    a.mult(&x_star, &mut b)?;
    let mut ksp = Ksp::new(session, &a, "selftest_")?;
    ksp.set_tolerances(1e-12, 1e-50, 10_000)?;
    ksp.set_from_options()?;
    let mut x = x_star.duplicate()?;
    let solve = ksp.solve(&b, &mut x)?;
    let linear_solve = SolveCheck {
        method: ksp.method()?,
        preconditioner: ksp.preconditioner()?,
        iterations: solve.iterations,
        relative_error: relative_difference(&x, &x_star)?,
    };
    drop(ksp);

    // Periodic: the null space.
    let mut p = operator(session, n, true)?;
    let template = p.create_vector()?;
    let null_space = NullSpace::componentwise_constants(session, &template, 3)?;
    let mut null_residual: f64 = 0.0;
    let mut deflation = Vec::new();
    for component in 0..3 {
        let mut e = template.duplicate()?;
        let start = e.ownership_range()?.start;
        for (k, value) in e.local_mut()?.iter_mut().enumerate() {
            *value = if (start + k) % 3 == component {
                1.0
            } else {
                0.0
            };
        }
        let norm = e.norm()?;
        e.scale(1.0 / norm)?;
        let mut image = e.duplicate()?;
        p.mult(&e, &mut image)?;
        null_residual = null_residual.max(image.max_abs()?);
        deflation.push(e);
    }
    p.set_null_space(&null_space)?;
    let mut x_star = known_solution(&template)?;
    null_space.remove_from(&mut x_star)?;
    let mut b = template.duplicate()?;
    p.mult(&x_star, &mut b)?;
    let mut ksp = Ksp::new(session, &p, "selftest_null_")?;
    ksp.set_tolerances(1e-12, 1e-50, 10_000)?;
    ksp.set_from_options()?;
    let mut x = template.duplicate()?;
    let singular = ksp.solve(&b, &mut x)?;
    null_space.remove_from(&mut x)?;
    let null_solve = SolveCheck {
        method: ksp.method()?,
        preconditioner: ksp.preconditioner()?,
        iterations: singular.iterations,
        relative_error: relative_difference(&x, &x_star)?,
    };
    drop(ksp);

    let mut eps = Eps::new(session, &p, "selftest_null_")?;
    eps.set_count(1)?;
    eps.set_which(Which::SmallestReal)?;
    eps.set_tolerances(1e-10, 10_000)?;
    eps.set_deflation_space(&deflation)?;
    eps.set_from_options()?;
    eps.solve()?;
    let lowest = eps.eigenvalue(0)?;
    let expected = COUPLINGS[0] * (2.0 - 2.0 * (2.0 * PI / n as f64).cos()) * w_eigenvalues()[0];
    let null_eigenvalue = EigenCheck {
        method: eps.method()?,
        spectral_transform: eps.spectral_transform()?,
        computed: vec![lowest],
        analytic: vec![expected],
        max_relative_error: ((lowest - expected) / expected).abs(),
    };

    let passed = eigenvalues.max_relative_error <= EIGENVALUE_TOLERANCE
        && eigenvalues.computed.len() >= count
        && linear_solve.relative_error <= SOLUTION_TOLERANCE
        && null_residual <= 1e-12
        && null_solve.relative_error <= SOLUTION_TOLERANCE
        && null_eigenvalue.max_relative_error <= EIGENVALUE_TOLERANCE;
    Ok(SelfTestReport {
        ranks: session.size(),
        rows,
        eigenvalues,
        linear_solve,
        null_space: NullSpaceCheck {
            null_residual,
            solve: null_solve,
            eigenvalue: null_eigenvalue,
        },
        passed,
    })
}
