// StepShard: which of a step's examples one rank trains on.
//
// One process trains each step on batch_size x grad_accum examples (global
// indices micro * batch_size + i). With W ranks, rank r takes the r-th
// contiguous W-th of them and splits it into micro-batches of at most
// batch_size, so that no rank holds more in memory at once than one process
// would. When W divides grad_accum, the micro-batches are exactly the ones
// one process would build: the summed gradient is then the same sums.
#pragma once

#include <cstdint>
#include <vector>

namespace ssa {

struct StepShard {
  std::vector<std::vector<int64_t>> micro_batches;  // global example indices
};

// Throws std::invalid_argument when the step's examples do not split evenly
// across world_size ranks (the message names the config keys).
StepShard shard_step(int64_t batch_size, int64_t grad_accum, int rank, int world_size);

}  // namespace ssa
