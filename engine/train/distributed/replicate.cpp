// Rank 0's model and optimizer state onto every rank (see replicate.h).
#include "engine/train/distributed/replicate.h"

#include <torch/serialize.h>
#include <torch/torch.h>

#include <sstream>

namespace ssa {

DecoderModel model_from_leader(DataParallel& dp, const std::function<DecoderModel()>& load) {
  if (dp.leader()) {
    DecoderModel model = load();
    dp.broadcast(model_config_to_json(model.config()));
    return model;
  }
  const ModelConfig config = parse_model_config(dp.broadcast(std::string()), "rank 0's model");
  TensorMap weights;  // shapes only: the values come from rank 0
  for (const auto& [name, shape] : DecoderModel::expected_shapes(config))
    weights[name] = at::empty(shape, at::kFloat);
  return DecoderModel(config, std::move(weights));
}

void broadcast_parameters(DataParallel& dp, DecoderModel& model) {
  std::vector<at::Tensor> tensors;
  for (const auto& [name, t] : model.weights()) tensors.push_back(t);
  dp.broadcast(tensors);
}

void broadcast_optimizer(DataParallel& dp, torch::optim::Optimizer& optimizer) {
  std::string state;
  if (dp.leader()) {
    std::ostringstream out;
    torch::save(optimizer, out);
    state = out.str();
  }
  state = dp.broadcast(state);
  if (dp.leader()) return;
  std::istringstream in(state);
  torch::load(optimizer, in, dp.device());
}

std::vector<std::pair<std::string, at::Tensor>> trainable_parameters(const DecoderModel& model) {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& [name, t] : model.weights())
    if (t.requires_grad()) out.emplace_back(name, t);
  return out;
}

}  // namespace ssa
