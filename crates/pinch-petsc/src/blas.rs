//! The BLAS under PETSc's factorisations and dense kernels, as far as it can be asked.

use std::ffi::{CStr, c_char};

/// The OpenBLAS in use: its configuration (version, build options and, for builds with run-time
/// CPU detection, the kernels chosen), or `None` if the BLAS is not OpenBLAS.
pub fn openblas_config() -> Option<String> {
    symbol_string(c"openblas_get_config")
}

/// The kernels OpenBLAS chose for this CPU (e.g. "SkylakeX", "Haswell", "Prescott"), or `None` if
/// the BLAS is not OpenBLAS.
pub fn openblas_kernels() -> Option<String> {
    symbol_string(c"openblas_get_corename")
}

/// Calls the exported `char *name(void)` of a loaded library and copies the string, if the symbol
/// exists: OpenBLAS exports these functions, other BLAS libraries do not, so they are looked up at
/// run time instead of linked.
fn symbol_string(name: &CStr) -> Option<String> {
    // SAFETY: dlsym with RTLD_DEFAULT only looks the name up among the loaded libraries.
    let symbol = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
    if symbol.is_null() {
        return None;
    }
    // SAFETY: both OpenBLAS functions have the signature `char *f(void)` and return a pointer to a
    // static, NUL-terminated string (or NULL).
    let function: extern "C" fn() -> *const c_char = unsafe { std::mem::transmute(symbol) };
    let text = function();
    if text.is_null() {
        return None;
    }
    // SAFETY: non-null and NUL-terminated, as above; copied before anything can change it.
    Some(
        unsafe { CStr::from_ptr(text) }
            .to_string_lossy()
            .trim()
            .to_string(),
    )
}
