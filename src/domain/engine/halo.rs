//! The ghost exchange of the engine: three stages (x, then y, then z), each forwarding what the
//! earlier ones brought, and updates of the ghosts of chosen particles overlapped with work on the
//! locals.

use mpi::point_to_point::{Destination, Source};
use mpi::topology::{Communicator, SimpleCommunicator};

use super::{Engine, ParticlesMut};
use crate::domain::communication;

/// Message tags of the stages of an overlapped ghost update (the first; one per stage).
const GHOST_TAG: i32 = 100;

/// One stage of the ghost exchange: what this rank sends along one axis in one direction.
#[derive(Clone, Debug)]
pub(super) struct Stage {
    pub(super) to: usize,
    pub(super) from: usize,
    /// Indices (into locals + ghosts) of the particles sent.
    pub(super) send: Vec<u32>,
    /// The shift added to the sent positions along the stage's axis.
    pub(super) axis: usize,
    pub(super) shift: f64,
    /// Where the received ghosts start, and how many.
    pub(super) received_at: usize,
    pub(super) received: usize,
}

/// Writes into `outgoing` the positions (of the image stage `s` sends) and sizes of the particles
/// `sent`, four values each.
fn pack_stage(
    s: &Stage,
    (positions, sizes): (&[[f64; 3]], &[f64]),
    sent: impl Iterator<Item = usize>,
    outgoing: &mut Vec<f64>,
) {
    outgoing.clear();
    for i in sent {
        let mut x = positions[i];
        x[s.axis] += s.shift;
        outgoing.extend_from_slice(&[x[0], x[1], x[2], sizes[i]]);
    }
}

/// Writes what a stage received (four values per particle) into the ghost slots `received`.
fn unpack_stage(
    (positions, sizes): (&mut [[f64; 3]], &mut [f64]),
    received: impl Iterator<Item = usize>,
    incoming: &[f64],
) {
    for (k, chunk) in received.zip(incoming.chunks_exact(4)) {
        positions[k] = [chunk[0], chunk[1], chunk[2]];
        sizes[k] = chunk[3];
    }
}

/// Sends the positions (of the image the stage sends) and sizes of the particles `sent` along stage
/// `s`, and writes those received into the ghost slots `received`; `buffers` are reused.
fn forward_stage(
    comm: &SimpleCommunicator,
    s: &Stage,
    (positions, sizes): (&mut [[f64; 3]], &mut [f64]),
    sent: impl Iterator<Item = usize>,
    received: impl ExactSizeIterator<Item = usize>,
    [outgoing, incoming]: &mut [Vec<f64>; 2],
) {
    pack_stage(s, (positions, sizes), sent, outgoing);
    incoming.resize(4 * received.len(), 0.0);
    communication::exchange_known(comm, s.to, s.from, outgoing, incoming);
    unpack_stage((positions, sizes), received, incoming);
}

/// Which particles a subset's ghost update sends and receives at each stage of one list build (see
/// [`Engine::ghost_traffic`]).
#[derive(Clone, Debug)]
pub struct GhostTraffic {
    build: usize,
    /// Per stage: the indices sent, and the ghost slots that receive them.
    stages: Vec<(Vec<u32>, Vec<usize>)>,
    /// The first this many stages send local particles only (no ghost that an earlier stage
    /// brings), so their messages can all be on their way at once.
    leading: usize,
}

impl GhostTraffic {
    /// The ghost slots that this traffic updates.
    pub fn ghosts(&self) -> impl Iterator<Item = usize> + '_ {
        self.stages
            .iter()
            .flat_map(|(_, received)| received.iter().copied())
    }
}

impl Engine<'_> {
    /// The ghost traffic of the particles whose `class` (one value per local and ghost, equal for all
    /// copies of a particle, e.g. sent along with [`Self::forward_values`]) is `which`: found once for
    /// the stages of the current build, so that forwarding it ([`Self::forward_ghost_traffic`]) after
    /// those particles moved scans no other particle.
    pub fn ghost_traffic(&self, class: &[f64], which: f64) -> GhostTraffic {
        let stages: Vec<(Vec<u32>, Vec<usize>)> = self
            .stages
            .iter()
            .map(|s| {
                let sent = s.send.iter().copied();
                let received = s.received_at..s.received_at + s.received;
                (
                    sent.filter(|&i| class[i as usize] == which).collect(),
                    received.filter(|&k| class[k] == which).collect(),
                )
            })
            .collect();
        let leading = stages
            .iter()
            .take_while(|(sent, _)| sent.iter().all(|&i| (i as usize) < self.n_local))
            .count();
        GhostTraffic {
            build: self.builds,
            stages,
            leading,
        }
    }

    /// As [`Self::forward_ghost_traffic`], but runs `work` (given the particles, as
    /// [`Self::particles_mut`] does, and a function to call every few microseconds that moves the
    /// messages on) while the messages are on their way, so that time spent waiting for slower ranks
    /// is spent working instead. The messages of the leading stages (those that send only locals) are
    /// posted before `work` and received after it; the stages that forward ghosts follow. `work` must
    /// not change the locals of `traffic` nor need its ghosts' new values: it sees the old ones.
    /// Collective.
    pub fn forward_ghost_traffic_around<R>(
        &mut self,
        traffic: &GhostTraffic,
        work: impl FnOnce(ParticlesMut<'_>, &mut dyn FnMut()) -> R,
    ) -> R {
        assert_eq!(
            traffic.build, self.builds,
            "ghost traffic of an earlier build"
        );
        let comm = self.comm;
        let me = comm.rank() as usize;
        let leading = &self.stages[..traffic.leading];
        let outgoing: Vec<Vec<f64>> = leading
            .iter()
            .zip(&traffic.stages)
            .map(|(s, (sent, _))| {
                let mut outgoing = Vec::with_capacity(4 * sent.len());
                pack_stage(
                    s,
                    (&self.positions, &self.sizes),
                    sent.iter().map(|&i| i as usize),
                    &mut outgoing,
                );
                outgoing
            })
            .collect();
        let mut incoming: Vec<Vec<f64>> = leading
            .iter()
            .zip(&traffic.stages)
            .zip(&outgoing)
            .map(|((s, (_, received)), outgoing)| {
                if s.to == me && s.from == me {
                    outgoing.clone()
                } else {
                    vec![0.0; 4 * received.len()]
                }
            })
            .collect();
        let routes: Vec<(usize, usize)> = leading.iter().map(|s| (s.to, s.from)).collect();
        let result = mpi::request::scope(|scope| {
            let mut requests = Vec::with_capacity(2 * routes.len());
            for (tag, ((&(to, from), outgoing), incoming)) in
                routes.iter().zip(&outgoing).zip(&mut incoming).enumerate()
            {
                if to == me && from == me {
                    continue;
                }
                let tag = GHOST_TAG + tag as i32;
                requests.push(
                    comm.process_at_rank(from as i32)
                        .immediate_receive_into_with_tag(scope, &mut incoming[..], tag),
                );
                requests.push(comm.process_at_rank(to as i32).immediate_send_with_tag(
                    scope,
                    &outgoing[..],
                    tag,
                ));
            }
            // Without calls into MPI a message that is not small travels no further than its first
            // part: `work` calls `progress` now and then.
            let mut requests: Vec<_> = requests.into_iter().map(Some).collect();
            let mut progress = || {
                for slot in &mut requests {
                    if let Some(request) = slot.take() {
                        *slot = request.test().err();
                    }
                }
            };
            let result = work(self.particles_mut(), &mut progress);
            for request in requests.into_iter().flatten() {
                request.wait();
            }
            result
        });
        for ((_, received), incoming) in traffic.stages.iter().zip(&incoming) {
            unpack_stage(
                (&mut self.positions, &mut self.sizes),
                received.iter().copied(),
                incoming,
            );
        }
        let mut buffers = Default::default();
        for (s, (sent, received)) in self
            .stages
            .iter()
            .zip(&traffic.stages)
            .skip(traffic.leading)
        {
            forward_stage(
                self.comm,
                s,
                (&mut self.positions, &mut self.sizes),
                sent.iter().map(|&i| i as usize),
                received.iter().copied(),
                &mut buffers,
            );
        }
        result
    }

    /// As [`Self::forward_ghosts`], for the particles of `traffic` only (found by
    /// [`Self::ghost_traffic`] for the current build). Collective.
    pub fn forward_ghost_traffic(&mut self, traffic: &GhostTraffic) {
        self.forward_ghost_traffic_around(traffic, |_, _| ());
    }

    /// Sends the positions and sizes of the locals to their ghosts, along the stages of the last
    /// build. Collective.
    pub fn forward_ghosts(&mut self) {
        let mut buffers = Default::default();
        for s in &self.stages {
            forward_stage(
                self.comm,
                s,
                (&mut self.positions, &mut self.sizes),
                s.send.iter().map(|&i| i as usize),
                s.received_at..s.received_at + s.received,
                &mut buffers,
            );
        }
    }

    pub(super) fn forward_positions(&mut self) {
        let mut outgoing = Vec::new();
        let mut incoming = Vec::new();
        for s in &self.stages {
            outgoing.clear();
            for &i in &s.send {
                let mut x = self.positions[i as usize];
                x[s.axis] += s.shift;
                outgoing.extend_from_slice(&x);
            }
            incoming.resize(3 * s.received, 0.0);
            communication::exchange_known(self.comm, s.to, s.from, &outgoing, &mut incoming);
            for (k, chunk) in incoming.chunks_exact(3).enumerate() {
                self.positions[s.received_at + k] = [chunk[0], chunk[1], chunk[2]];
            }
        }
    }

    /// Sends a per-particle value of the locals to the ghosts (e.g. matrix row indices), along the
    /// stages of the last build; `values` holds locals and ghosts and is resized to fit.
    pub fn forward_values(&self, values: &mut Vec<f64>) {
        values.resize(self.positions.len(), 0.0);
        for s in &self.stages {
            let outgoing: Vec<f64> = s.send.iter().map(|&i| values[i as usize]).collect();
            let (_, received) = values.split_at_mut(s.received_at);
            communication::exchange_known(
                self.comm,
                s.to,
                s.from,
                &outgoing,
                &mut received[..s.received],
            );
        }
    }
}
