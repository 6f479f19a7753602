//! The one PETSc/SLEPc session of a process: MPI, then SLEPc (and with it PETSc), torn down in reverse.

use std::ffi::{CStr, CString};
use std::marker::PhantomData;
use std::os::raw::c_char;
use std::sync::atomic::{AtomicBool, Ordering};

use mpi::topology::{Communicator, SimpleCommunicator};
use mpi::traits::AsRaw;

use crate::error::{Error, Result, check};
use crate::ffi;

static SESSION_STARTED: AtomicBool = AtomicBool::new(false);

/// MPI, PETSc and SLEPc, initialised in that order and finalised in the reverse order.
///
/// Every PETSc object ([`crate::Vector`], [`crate::Mat`], [`crate::Ksp`], ...) borrows the session, so the
/// compiler refuses to finalise PETSc while one of them is alive. `Drop` calls `SlepcFinalize` (which
/// finalises PETSc) and only then drops the MPI universe, which calls `MPI_Finalize`.
///
/// PETSc is not thread-safe: the session is neither `Send` nor `Sync`, so all PETSc calls stay on the
/// thread that created it (MPI is initialised with `MPI_THREAD_FUNNELED`; rayon may do pure-Rust work).
pub struct Session {
    // Field order matters only after `Drop::drop` has run: PETSc is finalised by then, and the group
    // communicator must be freed before the universe finalises MPI.
    communicator: SimpleCommunicator,
    group: i32,
    groups: i32,
    universe: mpi::environment::Universe,
    // PETSc keeps pointers into argv for `PetscGetArgs`; they must outlive it.
    _argv: Vec<CString>,
    _argv_pointers: Vec<*mut c_char>,
    _not_send: PhantomData<*const ()>,
}

impl Session {
    /// Initialises MPI, PETSc and SLEPc.
    ///
    /// `options` reach the PETSc options database exactly as if given on a PETSc program's command line
    /// (e.g. `["-modes_eps_type", "lobpcg"]`); the `PETSC_OPTIONS` environment variable is read as usual.
    /// PETSc's signal handlers are switched off by default (`-no_signal_handler`), so that Rust's own
    /// reports and the program's checkpoint-on-signal handling stay in charge; `-no_signal_handler false`
    /// in `options` switches them back on.
    ///
    /// PETSc errors are returned as [`Error`] values instead of printed tracebacks or aborts.
    pub fn initialize(program: &str, options: &[String]) -> Result<Session> {
        Self::initialize_in_groups(program, options, None)
    }

    /// As [`Self::initialize`], with the ranks split into groups of `ranks_per_group` consecutive
    /// ranks (all ranks in one group if `None`), each group a PETSc world of its own: every PETSc object
    /// and [`Self::world`] live on the group's communicator. Ensembles of independent samples run this
    /// way, one group per sample.
    pub fn initialize_in_groups(
        program: &str,
        options: &[String],
        ranks_per_group: Option<i32>,
    ) -> Result<Session> {
        if SESSION_STARTED.swap(true, Ordering::SeqCst) {
            return Err(Error::SessionExists);
        }
        let (universe, _threading) = mpi::initialize_with_threading(mpi::Threading::Funneled)
            .ok_or(Error::MpiUnavailable)?;
        let ranks = universe.world().size();
        let per_group = ranks_per_group.unwrap_or(ranks);
        if per_group < 1 || ranks % per_group != 0 {
            return Err(Error::Groups { ranks, per_group });
        }
        let group = universe.world().rank() / per_group;
        let communicator = if per_group == ranks {
            universe.world()
        } else {
            universe
                .world()
                .split_by_color(mpi::topology::Color::with_value(group))
                .expect("every rank has a colour")
        };

        let mut argv = Vec::with_capacity(options.len() + 2);
        for arg in std::iter::once(program)
            .chain(["-no_signal_handler"])
            .chain(options.iter().map(String::as_str))
        {
            argv.push(CString::new(arg).map_err(|_| Error::NulInOption(arg.to_owned()))?);
        }
        let mut argv_pointers: Vec<*mut c_char> =
            argv.iter().map(|a| a.as_ptr() as *mut c_char).collect();
        argv_pointers.push(std::ptr::null_mut());
        let mut argc = (argv_pointers.len() - 1) as i32;
        let mut argv_pointer = argv_pointers.as_mut_ptr();

        // SAFETY: PETSC_COMM_WORLD is a plain global that PETSc reads during initialisation; it is set
        // before `SlepcInitialize` and never again. The communicator lives until after SlepcFinalize.
        unsafe { ffi::PETSC_COMM_WORLD = communicator.as_raw() };
        check!(SlepcInitialize(
            &mut argc,
            &mut argv_pointer,
            std::ptr::null(),
            std::ptr::null()
        ));
        // From here on a failing PETSc call returns its code (turned into `Error`) instead of printing a
        // traceback; the message stays available through `PetscErrorMessage`.
        let session = Session {
            communicator,
            group,
            groups: ranks / per_group,
            universe,
            _argv: argv,
            _argv_pointers: argv_pointers,
            _not_send: PhantomData,
        };
        check!(PetscPushErrorHandler(
            Some(ffi::PetscReturnErrorHandler),
            std::ptr::null_mut()
        ));
        Ok(session)
    }

    /// The session's communicator: all ranks of this run, or this rank's group (see
    /// [`Self::initialize_in_groups`]). PETSc's world is this communicator.
    pub fn world(&self) -> &SimpleCommunicator {
        &self.communicator
    }

    /// This process's rank in [`Self::world`].
    pub fn rank(&self) -> i32 {
        self.communicator.rank()
    }

    /// The number of ranks in [`Self::world`].
    pub fn size(&self) -> i32 {
        self.communicator.size()
    }

    /// The index of this rank's group (0 without groups).
    pub fn group(&self) -> i32 {
        self.group
    }

    /// The number of groups (1 without groups).
    pub fn groups(&self) -> i32 {
        self.groups
    }

    /// All ranks of the run, whatever the groups.
    pub fn universe(&self) -> SimpleCommunicator {
        self.universe.world()
    }

    pub(crate) fn comm(&self) -> ffi::MPI_Comm {
        self.communicator.as_raw()
    }

    /// Sets `name` (e.g. `-modes_st_type`) in the options database unless the user already set it,
    /// so a program can choose size-dependent defaults that the command line still overrides.
    pub fn set_default_option(&self, name: &str, value: &str) -> Result<()> {
        if self.option(name)?.is_none() {
            let name_c = CString::new(name).map_err(|_| Error::NulInOption(name.to_owned()))?;
            let value_c = CString::new(value).map_err(|_| Error::NulInOption(value.to_owned()))?;
            check!(PetscOptionsSetValue(
                std::ptr::null_mut(),
                name_c.as_ptr(),
                value_c.as_ptr()
            ));
        }
        Ok(())
    }

    /// The value of option `name` in the database: `None` if unset, `Some("")` if set without a value.
    pub fn option(&self, name: &str) -> Result<Option<String>> {
        let name_c = CString::new(name).map_err(|_| Error::NulInOption(name.to_owned()))?;
        let mut buffer = vec![0 as c_char; 4096];
        let mut set = ffi::PETSC_FALSE;
        check!(PetscOptionsGetString(
            std::ptr::null_mut(),
            std::ptr::null(),
            name_c.as_ptr(),
            buffer.as_mut_ptr(),
            buffer.len(),
            &mut set
        ));
        if set != ffi::PETSC_TRUE {
            return Ok(None);
        }
        // SAFETY: PETSc NUL-terminates within the buffer length it was given.
        Ok(Some(
            unsafe { CStr::from_ptr(buffer.as_ptr()) }
                .to_string_lossy()
                .into_owned(),
        ))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // SAFETY: every PETSc object borrows the session and is therefore gone already.
        let ierr = unsafe { ffi::SlepcFinalize() };
        if ierr != 0 {
            eprintln!("pinch: SlepcFinalize failed with PETSc error {ierr}");
        }
        // `self.universe` is dropped after this function returns: MPI_Finalize comes last.
    }
}

/// Reads a `const char*` type name returned by PETSc (e.g. from `KSPGetType`).
pub(crate) fn type_name(name: *const c_char) -> String {
    if name.is_null() {
        return String::new();
    }
    // SAFETY: PETSc type names are static NUL-terminated strings.
    unsafe { CStr::from_ptr(name) }
        .to_string_lossy()
        .into_owned()
}
