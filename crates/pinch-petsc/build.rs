//! Generates the raw PETSc/SLEPc bindings with bindgen from the installed headers.
//!
//! Enum values, `PetscInt`'s width and the string type names (`MATAIJ`, ...) come from the headers
//! themselves, so a switch to 64-bit indices or a newer PETSc cannot silently break them.

use std::{env, path::PathBuf};

fn probe(name: &str, link: bool) -> pkg_config::Library {
    pkg_config::Config::new()
        .atleast_version(if name == "ompi-c" { "0" } else { "3.18" })
        .cargo_metadata(link)
        .probe(name)
        .unwrap_or_else(|e| {
            panic!(
                "pkg-config could not find {name}: {e}\n\
                 Install the Debian packages with `scripts/setup` (petsc-dev, slepc-dev, libopenmpi-dev)."
            )
        })
}

fn main() {
    println!("cargo:rerun-if-changed=wrapper.h");
    let petsc = probe("PETSc", true);
    let slepc = probe("SLEPc", true);
    // PETSc's .pc file carries no MPI include directory (PETSc was built with mpicc).
    let mpi = probe("ompi-c", false);

    let mut builder = bindgen::Builder::default().header("wrapper.h");
    for dir in petsc
        .include_paths
        .iter()
        .chain(&slepc.include_paths)
        .chain(&mpi.include_paths)
    {
        builder = builder.clang_arg(format!("-I{}", dir.display()));
    }
    let bindings = builder
        .allowlist_function("(Petsc|Slepc|Mat|Vec|KSP|PC|EPS|ST|BV|IS)[A-Z].*")
        .allowlist_var("(PETSC|SLEPC|MAT|VEC|KSP|PC|EPS|ST|INSERT|ADD|NORM|SCATTER)_.*")
        .allowlist_var("(MAT|KSP|PC|EPS|ST|VEC)[A-Z0-9]+")
        .allowlist_var("(KSP|EPS)ConvergedReasons")
        .allowlist_type("(Petsc|Mat|Vec|KSP|PC|EPS|ST|Insert|Norm).*")
        // Reuse rsmpi's MPI handle types, so `Communicator::as_raw()` passes straight in.
        .blocklist_type("MPI_.*|ompi_.*")
        .raw_line("pub use mpi::ffi::{MPI_Comm, MPI_Datatype, MPI_Request, MPI_Offset, MPI_File};")
        .prepend_enum_name(false)
        .default_enum_style(bindgen::EnumVariation::Consts)
        .layout_tests(false)
        .generate_comments(false)
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
        .generate()
        .expect("bindgen failed on the PETSc/SLEPc headers");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("petsc_bindings.rs");
    bindings
        .write_to_file(&out)
        .expect("cannot write the PETSc bindings");
}
