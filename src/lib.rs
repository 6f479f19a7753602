//! pinch: pinching glasses to reveal their soft spots.
//!
//! The pipeline, one module per stage: [`model`] (the glass former) → … → [`io`] (files). The PETSc and
//! SLEPc bindings live in the `pinch-petsc` crate, which holds all of the project's `unsafe` code.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod analysis;
pub mod blas;
pub mod campaign;
pub mod cli;
pub mod domain;
pub mod error;
pub mod faults;
pub mod hessian;
pub mod io;
pub mod memory;
pub mod model;
pub mod modes;
pub mod monte_carlo;
pub mod provenance;
pub mod quench;
pub mod response;
pub mod rng;
pub mod sample;
pub mod selftest;
pub mod supervision;
pub mod testing;
