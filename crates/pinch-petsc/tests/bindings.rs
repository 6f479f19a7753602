//! The safe layer's guarantees. Each test initialises MPI and PETSc, so each needs its own process:
//! run them with cargo nextest.

use pinch_petsc::{BlockPreallocation, Error, Mat, Session, Vector};

#[test]
fn preallocation_is_exact() {
    let session = Session::initialize("bindings", &[]).unwrap();
    // Two block rows, each with only its diagonal block.
    let preallocation = BlockPreallocation {
        diagonal: vec![1, 1],
        off_diagonal: vec![0, 0],
    };
    let mut a = Mat::new_aij(&session, 3, &preallocation).unwrap();
    a.add_block(0, 0, &[2.0, 0.0, 0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 4.0])
        .unwrap();
    a.add_block(1, 1, &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0])
        .unwrap();
    // A block outside the declared pattern is an error carrying PETSc's message, not a reallocation.
    let error = a.add_block(0, 1, &[1.0; 9]).unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(
            error,
            Error::Petsc {
                function: "MatSetValuesBlocked",
                ..
            }
        ),
        "{message}"
    );
    assert!(message.contains("caused a malloc"), "{message}");
    let mut a = Mat::new_aij(&session, 3, &preallocation).unwrap();
    a.add_block(0, 0, &[2.0, 0.0, 0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 4.0])
        .unwrap();
    a.add_block(1, 1, &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0])
        .unwrap();
    a.assemble().unwrap();
    let storage = a.storage().unwrap();
    assert_eq!(
        (storage.nonzeros_allocated, storage.nonzeros_used),
        (18.0, 18.0)
    );
    let mut x = Vector::new(&session, 6).unwrap();
    x.set_all(1.0).unwrap();
    let mut y = a.create_vector().unwrap();
    a.mult(&x, &mut y).unwrap();
    assert_eq!(y.gather_all().unwrap(), vec![2.0, 3.0, 4.0, 1.0, 1.0, 1.0]);
}

#[test]
fn one_session_per_process() {
    let session = Session::initialize("bindings", &[]).unwrap();
    assert!(matches!(
        Session::initialize("again", &[]),
        Err(Error::SessionExists)
    ));
    assert_eq!(session.size(), 1);
}

#[test]
fn program_defaults_yield_to_user_options() {
    let options = ["-user_ksp_type".to_owned(), "cg".to_owned()];
    let session = Session::initialize("bindings", &options).unwrap();
    session
        .set_default_option("-user_ksp_type", "gmres")
        .unwrap();
    session
        .set_default_option("-other_ksp_type", "minres")
        .unwrap();
    assert_eq!(
        session.option("-user_ksp_type").unwrap().as_deref(),
        Some("cg")
    );
    assert_eq!(
        session.option("-other_ksp_type").unwrap().as_deref(),
        Some("minres")
    );
    assert_eq!(session.option("-unset_option").unwrap(), None);
}

#[test]
fn inconsistent_preallocation_is_refused() {
    let session = Session::initialize("bindings", &[]).unwrap();
    let preallocation = BlockPreallocation {
        diagonal: vec![1, 1],
        off_diagonal: vec![0],
    };
    assert!(matches!(
        Mat::new_aij(&session, 3, &preallocation),
        Err(Error::Size(_))
    ));
}
