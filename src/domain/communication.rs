//! Point-to-point exchanges between neighbouring domains and deterministic global reductions.

use mpi::collective::SystemOperation;
use mpi::point_to_point::send_receive_into;
use mpi::topology::{Communicator, SimpleCommunicator};
use mpi::traits::*;

use super::exact_sum::{ExactSum, LIMBS};

/// Sends `outgoing` to rank `to` while receiving from rank `from` (which may be this rank itself);
/// returns what was received. Message sizes are exchanged first.
pub fn exchange(comm: &SimpleCommunicator, to: usize, from: usize, outgoing: &[f64]) -> Vec<f64> {
    if to == comm.rank() as usize && from == to {
        return outgoing.to_vec();
    }
    let count = outgoing.len() as u64;
    let mut incoming_count = 0u64;
    send_receive_into(
        &count,
        &comm.process_at_rank(to as i32),
        &mut incoming_count,
        &comm.process_at_rank(from as i32),
    );
    let mut incoming = vec![0.0; incoming_count as usize];
    send_receive_into(
        outgoing,
        &comm.process_at_rank(to as i32),
        &mut incoming[..],
        &comm.process_at_rank(from as i32),
    );
    incoming
}

/// As [`exchange`], when the number of values to receive is known (as it is for ghost updates between
/// list builds): one message each way instead of two.
pub fn exchange_known(
    comm: &SimpleCommunicator,
    to: usize,
    from: usize,
    outgoing: &[f64],
    incoming: &mut [f64],
) {
    if to == comm.rank() as usize && from == to {
        incoming.copy_from_slice(outgoing);
        return;
    }
    send_receive_into(
        outgoing,
        &comm.process_at_rank(to as i32),
        incoming,
        &comm.process_at_rank(from as i32),
    );
}

/// The exact global sums of several quantities, each given as the local [`ExactSum`]: one
/// `MPI_Allreduce` of integers, so the result does not depend on how the values are spread over ranks.
pub fn exact_sums<const K: usize>(comm: &SimpleCommunicator, local: &[ExactSum; K]) -> [f64; K] {
    let mut words = Vec::with_capacity(K * (LIMBS + 1));
    for sum in local {
        words.extend_from_slice(&sum.to_words());
    }
    let mut total = vec![0i64; words.len()];
    comm.all_reduce_into(&words[..], &mut total[..], SystemOperation::sum());
    std::array::from_fn(|k| {
        let chunk: &[i64; LIMBS + 1] = total[k * (LIMBS + 1)..(k + 1) * (LIMBS + 1)]
            .try_into()
            .unwrap();
        ExactSum::from_words(chunk).value()
    })
}

/// The global maximum (order-independent, so already deterministic).
pub fn max(comm: &SimpleCommunicator, value: f64) -> f64 {
    let mut result = 0.0;
    comm.all_reduce_into(&value, &mut result, SystemOperation::max());
    result
}

/// The two largest values over all ranks, given each rank's two largest (largest first): exact, with
/// ties counted (two ranks holding the same maximum give it twice).
pub fn largest_two(comm: &SimpleCommunicator, local: [f64; 2]) -> [f64; 2] {
    let first = max(comm, local[0]);
    // The lowest rank holding the maximum contributes its second value, every other rank its first.
    let holder = if local[0] == first {
        comm.rank()
    } else {
        i32::MAX
    };
    let mut owner = 0;
    comm.all_reduce_into(&holder, &mut owner, SystemOperation::min());
    let candidate = if comm.rank() == owner {
        local[1]
    } else {
        local[0]
    };
    [first, max(comm, candidate)]
}

/// Concatenates every rank's `local` values on rank 0, in rank order (`None` on other ranks).
pub fn gather_to_root(comm: &SimpleCommunicator, local: &[f64]) -> Option<Vec<f64>> {
    let root = comm.process_at_rank(0);
    let count = local.len() as i32;
    if comm.rank() == 0 {
        let mut counts = vec![0i32; comm.size() as usize];
        root.gather_into_root(&count, &mut counts[..]);
        let displacements = offsets(&counts);
        let mut all = vec![0.0; counts.iter().map(|&c| c as usize).sum()];
        let mut partition =
            mpi::datatype::PartitionMut::new(&mut all[..], &counts[..], &displacements[..]);
        root.gather_varcount_into_root(local, &mut partition);
        Some(all)
    } else {
        root.gather_into(&count);
        root.gather_varcount_into(local);
        None
    }
}

/// Every rank's `value`, in rank order.
pub fn all_gather_count(comm: &SimpleCommunicator, value: u64) -> Vec<u64> {
    let mut all = vec![0u64; comm.size() as usize];
    comm.all_gather_into(&value, &mut all[..]);
    all
}

/// Where each of consecutive pieces of lengths `counts` starts: the exclusive prefix sums.
pub fn offsets<T: Copy + Default + std::ops::Add<Output = T>>(counts: &[T]) -> Vec<T> {
    counts
        .iter()
        .scan(T::default(), |offset, &c| {
            let start = *offset;
            *offset = start + c;
            Some(start)
        })
        .collect()
}

fn mpi_counts(counts: &[usize]) -> Vec<i32> {
    counts
        .iter()
        .map(|&c| i32::try_from(c).expect("an MPI message of more than 2³¹ values"))
        .collect()
}

/// Every rank's `local` values concatenated in rank order on every rank; `counts[q]` is rank q's length.
pub fn all_gather(comm: &SimpleCommunicator, local: &[f64], counts: &[usize]) -> Vec<f64> {
    let counts = mpi_counts(counts);
    let displacements = offsets(&counts);
    let mut all = vec![0.0; counts.iter().map(|&c| c as usize).sum()];
    let mut partition =
        mpi::datatype::PartitionMut::new(&mut all[..], &counts[..], &displacements[..]);
    comm.all_gather_varcount_into(local, &mut partition);
    all
}

/// Sends the consecutive pieces of `outgoing` (lengths `send_counts`) to ranks 0, 1, ...; returns what
/// arrives (lengths `receive_counts`), concatenated in rank order.
pub fn all_to_all(
    comm: &SimpleCommunicator,
    outgoing: &[f64],
    send_counts: &[usize],
    receive_counts: &[usize],
) -> Vec<f64> {
    let (send_counts, receive_counts) = (mpi_counts(send_counts), mpi_counts(receive_counts));
    let (send_displacements, receive_displacements) =
        (offsets(&send_counts), offsets(&receive_counts));
    let mut incoming = vec![0.0; receive_counts.iter().map(|&c| c as usize).sum()];
    let send = mpi::datatype::Partition::new(outgoing, &send_counts[..], &send_displacements[..]);
    let mut receive = mpi::datatype::PartitionMut::new(
        &mut incoming[..],
        &receive_counts[..],
        &receive_displacements[..],
    );
    comm.all_to_all_varcount_into(&send, &mut receive);
    incoming
}

/// The global sums of several integer counts: one `MPI_Allreduce`.
pub fn counts<const K: usize>(comm: &SimpleCommunicator, values: [u64; K]) -> [u64; K] {
    let mut result = [0u64; K];
    comm.all_reduce_into(&values[..], &mut result[..], SystemOperation::sum());
    result
}

/// The global minimum of an integer.
pub fn min_u64(comm: &SimpleCommunicator, value: u64) -> u64 {
    let mut result = 0u64;
    comm.all_reduce_into(&value, &mut result, SystemOperation::min());
    result
}

/// Element-wise global sums (rounding may depend on the number of ranks; use [`exact_sums`] where it
/// must not).
pub fn sum_in_place(comm: &SimpleCommunicator, values: &mut [f64]) {
    let local = values.to_vec();
    comm.all_reduce_into(&local[..], values, SystemOperation::sum());
}

/// A value that exactly one rank holds, on every rank.
pub fn broadcast_from_holder<const K: usize>(
    comm: &SimpleCommunicator,
    value: Option<[f64; K]>,
) -> [f64; K] {
    let mut words = vec![0.0; K + 1];
    if let Some(v) = value {
        words[..K].copy_from_slice(&v);
        words[K] = 1.0;
    }
    sum_in_place(comm, &mut words);
    assert_eq!(
        words[K], 1.0,
        "the value is held by {} ranks, not one",
        words[K]
    );
    std::array::from_fn(|k| words[k])
}

/// Rank 0's `values` on every rank (the others pass `None`). Collective.
pub fn broadcast_from_root(comm: &SimpleCommunicator, values: Option<Vec<f64>>) -> Vec<f64> {
    let root = comm.process_at_rank(0);
    let mut length = values.as_ref().map_or(0, |v| v.len() as u64);
    root.broadcast_into(&mut length);
    let mut buffer = values.unwrap_or_else(|| vec![0.0; length as usize]);
    root.broadcast_into(&mut buffer[..]);
    buffer
}
