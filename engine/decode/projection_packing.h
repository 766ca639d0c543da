// The layer projections a decode step runs as one GEMM (q, k and v; gate and
// up), laid end to end in one allocation each, so that the fused GEMM's
// weight is a view and not a copy (gate and up alone are 7.6 GB on the
// Qwen2-7B shape). For models that decode, not train: the packed tensors are
// views, not leaves of their own.
#pragma once

#include <ATen/core/Tensor.h>

#include <vector>

#include "engine/model/decoder.h"

namespace ssa {

// Each layer's q/k/v weights and biases, and gate/up weights and biases,
// moved into one tensor per group; the model's entries become its row views.
// The values do not change. One group at a time: the peak is one layer's
// group more than the model.
void pack_projection_weights(DecoderModel& model);

// `parts` stacked along their first dimension, as a view when they lie end
// to end in one storage (contiguous, one dtype and trailing shape); else an
// undefined tensor.
at::Tensor adjacent_rows(const std::vector<at::Tensor>& parts);

}  // namespace ssa
