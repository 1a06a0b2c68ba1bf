// Copies a network's whole training state — weights, buffers, optimiser state — from one rank
// to every other (before checkpoints; data parallelism's start).
#pragma once

#include "distill/strategy.h"
#include "distributed/communicator.h"

namespace cohort::dist {

// Collective: `net` on every rank becomes root's (its optimiser too, when it has one).
void broadcast_network(Communicator& comm, distill::Network& net, int root);

// Collective: the BatchNorm running statistics (and every other buffer) of `net` from root.
void broadcast_buffers(Communicator& comm, distill::Network& net, int root);

}  // namespace cohort::dist
