//! A supervised swap Monte Carlo run: the sampler with the state and the record its checkpoint holds
//! beside the configuration, advanced sweep by sweep under a checkpoint clock. Campaign chains and
//! `pinch equilibrate` drive their trajectories through it.

use std::path::Path;

use serde_json::{Map, Value};

use mpi::topology::SimpleCommunicator;

use super::checkpoint::{self, Checkpoint, RunState};
use super::equilibration::{Record, SamplingMeasurements, Schedule, default_wavenumber};
use super::{SwapMonteCarlo, SwapParameters};
use crate::error::Result;
use crate::model::{Configuration, ModelParameters};
use crate::provenance::Provenance;
use crate::supervision::{CheckpointClock, Poll};

/// A trajectory under way.
pub struct Run<'c> {
    /// The sampler.
    pub sampler: SwapMonteCarlo<'c>,
    /// Seed, parameters, schedule and wavenumber, and the sampler's state as of the last checkpoint.
    pub state: RunState,
    /// Time series and F_s so far.
    pub record: Record,
}

/// How [`Run::advance_to`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Advance {
    /// The target sweep is reached.
    Reached,
    /// A stop was asked for; the checkpoint is written.
    Stopped,
}

impl<'c> Run<'c> {
    /// The trajectory a checkpoint holds, continued on `comm`. Collective.
    pub fn resume(comm: &'c SimpleCommunicator, saved: Checkpoint) -> Result<Self> {
        let sampler = SwapMonteCarlo::resume(
            comm,
            &saved.configuration,
            saved.model.potential(),
            saved.run.parameters.clone(),
            saved.run.seed,
            saved.resumed,
        )?;
        Ok(Run {
            sampler,
            state: saved.run,
            record: saved.record,
        })
    }

    /// A new trajectory from `configuration`, with F_s at k* = 2π/a0. Collective.
    pub fn start(
        comm: &'c SimpleCommunicator,
        configuration: &Configuration,
        model: &ModelParameters,
        parameters: SwapParameters,
        schedule: Schedule,
        seed: u64,
    ) -> Result<Self> {
        let sampler = SwapMonteCarlo::new(
            comm,
            configuration,
            model.potential(),
            parameters.clone(),
            seed,
        )?;
        let state = RunState {
            seed,
            parameters,
            schedule,
            sampler: sampler.state().clone(),
            wavenumber: default_wavenumber(configuration.box_length, configuration.len()),
        };
        Ok(Run {
            sampler,
            state,
            record: Record::default(),
        })
    }

    /// The current sweep.
    pub fn sweep_count(&self) -> u64 {
        self.sampler.state().sweep
    }

    /// One sweep, then the time origin and the measurement that the schedule asks for at the new
    /// sweep. Collective.
    fn sweep(&mut self) {
        self.sampler.sweep();
        let sweep = self.sweep_count();
        let schedule = &self.state.schedule;
        if let Some(sampling) = schedule.sampling
            && sweep > sampling.from
        {
            self.sampler.drop_origins_before(u64::MAX);
            if (sweep - sampling.from).is_multiple_of(sampling.measure_interval) {
                self.record.measure_thermodynamics(&mut self.sampler);
            }
            return;
        }
        if sweep.is_multiple_of(schedule.origin_interval) {
            self.sampler.add_origin(self.state.wavenumber);
        }
        if sweep.is_multiple_of(schedule.measure_interval) {
            self.record
                .measure(&mut self.sampler, schedule, self.state.wavenumber);
            self.sampler
                .drop_origins_before(sweep.saturating_sub(schedule.max_lag));
        }
    }

    /// After `sampling.from`, the run only samples: it measures as `sampling` says and follows no
    /// time origin of F_s any more.
    pub fn start_sampling(&mut self, sampling: SamplingMeasurements) {
        self.state.schedule.sampling = Some(sampling);
    }

    /// Sweeps until `target`. After every sweep it calls `each_sweep`, then polls `clock`: `save`
    /// writes a checkpoint when one is due, and when a stop is asked for, after which the run
    /// returns [`Advance::Stopped`]. Collective.
    pub fn advance_to(
        &mut self,
        target: u64,
        clock: &mut CheckpointClock,
        mut each_sweep: impl FnMut(&mut Self) -> Result<()>,
        mut save: impl FnMut(&mut Self) -> Result<()>,
    ) -> Result<Advance> {
        while self.sweep_count() < target {
            self.sweep();
            each_sweep(self)?;
            match clock.poll(self.sampler.engine().comm()) {
                Poll::Continue => {}
                Poll::Save => {
                    save(self)?;
                    clock.saved();
                }
                Poll::Stop => {
                    save(self)?;
                    return Ok(Advance::Stopped);
                }
            }
        }
        Ok(Advance::Reached)
    }

    /// Writes the run's checkpoint to `path` (atomically, on rank 0): the configuration in the
    /// sampler's frame, the state, the record and `observables`. Collective.
    pub fn write_checkpoint(
        &mut self,
        path: &Path,
        model: &ModelParameters,
        observables: Map<String, Value>,
        provenance: &Provenance,
    ) -> Result<()> {
        if let Some((configuration, resumed)) = self.sampler.checkpoint() {
            self.state.sampler = resumed.state.clone();
            checkpoint::write(
                path,
                &configuration,
                model,
                &self.state,
                &self.record,
                observables,
                Some(&resumed),
                &provenance.dated_now(),
            )?;
        }
        Ok(())
    }
}
