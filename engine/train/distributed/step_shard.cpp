// The examples of a step, split across ranks.
#include "engine/train/distributed/step_shard.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace ssa {

StepShard shard_step(int64_t batch_size, int64_t grad_accum, int rank, int world_size) {
  const int64_t total = batch_size * grad_accum;
  if (world_size < 1 || rank < 0 || rank >= world_size)
    throw std::invalid_argument("rank " + std::to_string(rank) + " of a world of " +
                                std::to_string(world_size));
  if (total % world_size != 0)
    throw std::invalid_argument(
        "the step's " + std::to_string(total) + " examples (train.batch_size " +
        std::to_string(batch_size) + " x train.grad_accum " + std::to_string(grad_accum) +
        ") do not split evenly across " + std::to_string(world_size) + " ranks");
  const int64_t share = total / world_size;
  StepShard shard;
  for (int64_t begin = rank * share, end = begin + share; begin < end; begin += batch_size) {
    std::vector<int64_t>& micro = shard.micro_batches.emplace_back();
    for (int64_t i = begin; i < std::min(end, begin + batch_size); ++i) micro.push_back(i);
  }
  return shard;
}

}  // namespace ssa
