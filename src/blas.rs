//! Which BLAS kernels the dense parts of the factorisations run on.
//!
//! OpenBLAS chooses its kernels from the CPU model when the library loads. A build older than the CPU
//! falls back to generic SSE3 kernels: Debian 12's OpenBLAS 0.3.21 picks "Prescott" on Intel Xeon
//! family 6 model 207, an AVX-512 CPU, and the supernodal Cholesky factorisations and solves then run
//! at half speed (measured on a 2,000-particle glass, one rank: factor 0.28 s against 0.16 s, 2,000
//! dipole solves 2.0 s against 1.0 s with the AVX-512 kernels). `OPENBLAS_CORETYPE` overrides the
//! choice but is read only as the library loads, so `main` restarts the program once with it set
//! ([`kernels_to_force`]). A value the user sets is left alone.

/// OpenBLAS kernel sets without AVX2 (those of CPUs that predate it).
const GENERIC_KERNELS: [&str; 20] = [
    "Katmai",
    "Coppermine",
    "Northwood",
    "Prescott",
    "Banias",
    "Atom",
    "Core2",
    "Penryn",
    "Dunnington",
    "Nehalem",
    "Sandybridge",
    "Athlon",
    "Opteron",
    "Opteron(SSE3)",
    "Barcelona",
    "Bobcat",
    "Bulldozer",
    "Piledriver",
    "Steamroller",
    "Nano",
];

/// The OpenBLAS kernels to run instead of those chosen: `Some` only if the BLAS is OpenBLAS, it chose
/// kernels without AVX2 on a CPU with AVX2 or AVX-512, and `OPENBLAS_CORETYPE` is unset.
pub fn kernels_to_force() -> Option<&'static str> {
    if std::env::var_os("OPENBLAS_CORETYPE").is_some() {
        return None;
    }
    let chosen = pinch_petsc::blas::openblas_kernels()?;
    if !is_generic(&chosen) {
        return None;
    }
    kernels_for_this_cpu()
}

/// Whether `kernels` (as OpenBLAS names them) are a generic set without AVX2.
pub fn is_generic(kernels: &str) -> bool {
    GENERIC_KERNELS
        .iter()
        .any(|generic| generic.eq_ignore_ascii_case(kernels))
}

/// The OpenBLAS kernels this CPU's instruction set supports, if better than generic ones.
#[cfg(target_arch = "x86_64")]
pub fn kernels_for_this_cpu() -> Option<&'static str> {
    if is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512dq")
        && is_x86_feature_detected!("avx512bw")
        && is_x86_feature_detected!("avx512vl")
    {
        Some("SkylakeX")
    } else if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        Some("Haswell")
    } else {
        None
    }
}

/// The OpenBLAS kernels this CPU's instruction set supports, if better than generic ones.
#[cfg(not(target_arch = "x86_64"))]
pub fn kernels_for_this_cpu() -> Option<&'static str> {
    None
}

/// The BLAS in use, for logs and provenance: OpenBLAS's configuration (version, build options and
/// kernels), or "not OpenBLAS".
pub fn description() -> String {
    pinch_petsc::blas::openblas_config().unwrap_or_else(|| "not OpenBLAS".into())
}
