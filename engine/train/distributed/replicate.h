// Every rank starts from rank 0's state: rank 0 builds or loads the model
// (and on --resume the optimizer state) as a single process would; the other
// ranks receive its architecture, weights and optimizer state, so that the
// run folder is read and written by rank 0 alone and a checkpoint does not
// depend on the number of ranks that wrote or resume it.
#pragma once

#include <torch/optim/optimizer.h>

#include <functional>

#include "engine/model/decoder.h"
#include "engine/train/distributed/data_parallel.h"

namespace ssa {

// Rank 0: load(); the others: a model of rank 0's config (weights to be
// overwritten by broadcast_parameters).
DecoderModel model_from_leader(DataParallel& dp, const std::function<DecoderModel()>& load);
// Rank 0's weights into every rank's model (already on dp.device()).
void broadcast_parameters(DataParallel& dp, DecoderModel& model);
// Rank 0's optimizer state into every rank's optimizer (same parameters).
void broadcast_optimizer(DataParallel& dp, torch::optim::Optimizer& optimizer);
// The model's trainable (name, parameter) pairs, for DataParallel::attach.
std::vector<std::pair<std::string, at::Tensor>> trainable_parameters(const DecoderModel& model);

}  // namespace ssa
