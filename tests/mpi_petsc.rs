//! The PETSc/SLEPc bindings on 1 and 2 ranks: `pinch selftest` solves problems with known solutions
//! (lowest eigenvalues of an SPD operator against analytic values, linear solves, a null space like a
//! Hessian's translations), options reach PETSc from `--` and `PETSC_OPTIONS`, and PETSc errors become
//! clean error messages. Test names contain "mpi" so they run one at a time (see .config/nextest.toml).

mod common;

use common::*;

fn check_report(report: &serde_json::Value, ranks: i64) {
    assert_eq!(report["ranks"], ranks);
    assert_eq!(report["passed"], true, "{report:#}");
    let computed = report["eigenvalues"]["computed"].as_array().unwrap();
    let analytic = report["eigenvalues"]["analytic"].as_array().unwrap();
    assert_eq!(computed.len(), 6);
    for (c, a) in computed.iter().zip(analytic) {
        let (c, a) = (c.as_f64().unwrap(), a.as_f64().unwrap());
        assert!(((c - a) / a).abs() < 1e-8, "{c} vs analytic {a}");
    }
    assert!(report["linear_solve"]["relative_error"].as_f64().unwrap() < 1e-6);
    assert!(report["null_space"]["null_residual"].as_f64().unwrap() < 1e-12);
    assert!(
        report["null_space"]["solve"]["relative_error"]
            .as_f64()
            .unwrap()
            < 1e-6
    );
    assert!(
        report["null_space"]["eigenvalue"]["max_relative_error"]
            .as_f64()
            .unwrap()
            < 1e-8
    );
}

#[test]
fn mpi_selftest_on_one_and_two_ranks() {
    let dir = tempfile::tempdir().unwrap();
    for ranks in [1, 2] {
        check_report(
            &json(&pinch_mpi(dir.path(), ranks, &["selftest"])),
            ranks as i64,
        );
    }
    // A singleton run (no mpirun) too.
    check_report(&json(&pinch(dir.path(), &["selftest"])), 1);
}

#[test]
fn mpi_options_after_double_dash_choose_the_solvers() {
    let dir = tempfile::tempdir().unwrap();
    let options = [
        "selftest",
        "--",
        "-selftest_st_type",
        "sinvert",
        "-selftest_eps_target",
        "0",
        "-selftest_st_ksp_type",
        "preonly",
        "-selftest_st_pc_type",
        "cholesky",
        "-selftest_st_pc_factor_mat_solver_type",
        "mumps",
        "-selftest_ksp_type",
        "cg",
        "-selftest_pc_type",
        "gamg",
        "-selftest_null_ksp_type",
        "cg",
        "-selftest_null_pc_type",
        "gamg",
    ];
    let report = json(&pinch_mpi(dir.path(), 2, &options));
    check_report(&report, 2);
    assert_eq!(report["eigenvalues"]["spectral_transform"], "sinvert");
    assert_eq!(report["linear_solve"]["method"], "cg");
    assert_eq!(report["linear_solve"]["preconditioner"], "gamg");
    assert_eq!(report["null_space"]["solve"]["preconditioner"], "gamg");

    let lobpcg = json(&pinch_mpi(
        dir.path(),
        2,
        &[
            "selftest",
            "--",
            "-selftest_eps_type",
            "lobpcg",
            "-selftest_st_pc_type",
            "jacobi",
        ],
    ));
    check_report(&lobpcg, 2);
    assert_eq!(lobpcg["eigenvalues"]["method"], "lobpcg");
}

#[test]
fn mpi_petsc_options_variable_reaches_petsc() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(PINCH)
        .arg("selftest")
        .env(
            "PETSC_OPTIONS",
            "-selftest_ksp_type minres -selftest_pc_type jacobi",
        )
        .current_dir(dir.path())
        .output()
        .unwrap();
    let report = json(&output);
    assert_eq!(report["linear_solve"]["method"], "minres");
    assert_eq!(report["linear_solve"]["preconditioner"], "jacobi");
}

#[test]
fn mpi_petsc_errors_become_messages_not_aborts() {
    let dir = tempfile::tempdir().unwrap();
    for ranks in [1, 2] {
        let output = pinch_mpi(
            dir.path(),
            ranks,
            &["selftest", "--", "-selftest_ksp_type", "no_such_method"],
        );
        assert!(!output.status.success());
        let message = stderr(&output);
        assert!(
            message.contains("pinch: error: KSPSetFromOptions failed with PETSc error 86"),
            "{message}"
        );
        assert!(
            message.contains("Unable to find requested KSP type no_such_method"),
            "{message}"
        );
    }
    // A solver that cannot converge in the iterations allowed is reported with PETSc's reason.
    let output = pinch(
        dir.path(),
        &[
            "selftest",
            "--",
            "-selftest_ksp_max_it",
            "2",
            "-selftest_pc_type",
            "none",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("did not converge: DIVERGED_ITS after 2 iterations"),
        "{}",
        stderr(&output)
    );
}
