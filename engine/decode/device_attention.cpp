#include "engine/decode/device_attention.h"

#if defined(SSA_WITH_CUDA)

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <stdexcept>
#include <string>

#include "engine/decode/device_plan.h"
#include "kernels/cuda_check.h"
#include "kernels/kv_append.h"

namespace ssa {
namespace {

int32_t mode_units(GqaMode mode) {
  switch (mode) {
    case GqaMode::kHead:
      return kernels::kHeadUnits;
    case GqaMode::kGroup:
      return kernels::kGroupUnits;
    case GqaMode::kIndependent:
      return kernels::kIndependentUnits;
  }
  return kernels::kHeadUnits;
}

template <typename T>
T* ptr(const at::Tensor& t) {
  return t.defined() ? reinterpret_cast<T*>(t.data_ptr()) : nullptr;
}

// The GPU's multiprocessors: what auto_keys_per_split fills (the emulator
// and CPU tensors: the H200's 132; it changes how keys split, not results).
int multiprocessors(c10::Device device) {
#if defined(SSA_CUDA_EMULATION)
  (void)device;
  return 132;
#else
  if (!device.is_cuda()) return 132;
  int index = device.has_index() ? device.index() : -1, n = 0;
  if (index < 0) CUDA_CHECK(cudaGetDevice(&index));  // "cuda": the current device
  CUDA_CHECK(cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, index));
  return n;
#endif
}

void upload(void* dst, const void* src, size_t bytes, cudaStream_t stream) {
  if (bytes > 0) CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream));
}

// Whether SSA_SELECT_TOPK (the switch between the selection's paths, to
// compare them on a GPU) names one of `names`.
bool select_topk_env_is(std::initializer_list<const char*> names) {
  const char* topk = std::getenv("SSA_SELECT_TOPK");
  if (topk == nullptr) return false;
  for (const char* name : names)
    if (std::string(topk) == name) return true;
  return false;
}

}  // namespace

bool uses_register_top_k(const DeviceSelectionSettings& settings) {
  return settings.register_top_k && !select_topk_env_is({"radix"});
}

bool uses_pivot_top_k(const DeviceSelectionSettings& settings) {
  return settings.pivot_top_k && uses_register_top_k(settings) && !select_topk_env_is({"rounds"});
}

bool uses_two_pass_selection(const DeviceSelectionSettings& settings) {
  return settings.two_pass_selection && uses_register_top_k(settings) &&
         !select_topk_env_is({"slices", "rounds"});
}

DeviceAttention::DeviceAttention(DeviceDecodeShape shape, DeviceSelectionSettings settings,
                                 c10::Device device)
    : shape_(std::move(shape)), settings_(settings), device_(device) {
  const int64_t B = shape_.batch, Hkv = shape_.kv_heads, D = shape_.head_dim;
  if (D != 64 && D != 128)
    throw std::invalid_argument("GPU decode: head_dim must be 64 or 128, got " + std::to_string(D));
  if (Hkv < 1 || shape_.heads % Hkv != 0)
    throw std::invalid_argument("GPU decode: query heads must be a multiple of KV heads");
  const int64_t G = shape_.heads / Hkv;
  if (G > kernels::kMaxGroupSize)
    throw std::invalid_argument("GPU decode: at most 16 query heads per KV head");
  const int L = shape_.num_levels();
  if (L > kernels::kMaxLevels) throw std::invalid_argument("GPU decode: at most 6 gist levels");
  if (static_cast<int>(shape_.gist_capacity.size()) != L)
    throw std::invalid_argument("GPU decode: one gist capacity per level");
  if (settings_.version < 1 || settings_.version > 2)
    throw std::invalid_argument("GPU decode: kernel version 1 or 2");
  settings_.pivot_top_k = uses_pivot_top_k(settings_);
  settings_.two_pass_selection = uses_two_pass_selection(settings_);
  settings_.register_top_k = uses_register_top_k(settings_);
  const int32_t mode = mode_units(settings_.mode);
  const int64_t U = kernels::units_per_group(mode, static_cast<int32_t>(G));
  const int64_t A = kernels::attention_units_per_group(mode, static_cast<int32_t>(G));
  const bool top_p = settings_.top_p > 0;
  const auto ints = at::TensorOptions(at::kInt).device(device_);
  const auto floats = at::TensorOptions(at::kFloat).device(device_);
  const auto longs = at::TensorOptions(at::kLong).device(device_);

  plan_ = plan_workspace(shape_.group_sizes, shape_.gist_capacity, shape_.kv_capacity,
                         shape_.max_chunk, mode, static_cast<int32_t>(G), top_p, settings_.k_max,
                         settings_.keys_per_split);
  if (settings_.keys_per_split <= 0)
    plan_.keys_per_split = auto_keys_per_split(plan_, B * Hkv * A, multiprocessors(device_));
  candidate_capacity_ = plan_.candidate_capacity;
  chosen_capacity_ = plan_.chosen_capacity;
  slices_ = plan_.slices;
  max_slices_ = plan_.max_slices;
  partial_capacity_ = plan_.partial_capacity;
  sort_capacity_ = plan_.sort_capacity;
  visible_capacity_ = plan_.visible_capacity;
  row_capacity_ = plan_.row_capacity;

  host_steps_.assign(B, kernels::SequenceStep{});
  steps_ = at::zeros({static_cast<int64_t>(B * sizeof(kernels::SequenceStep))},
                     at::TensorOptions(at::kByte).device(device_));
  for (int level = 0; level < L; ++level) {
    gist_position_.push_back(
        at::zeros({B, std::max<int64_t>(shape_.gist_capacity[level], 1)}, ints));
    child_begin_.push_back(
        at::zeros({B, std::max<int64_t>(shape_.gist_capacity[level], 1) + 1}, ints));
    candidates_.push_back(at::zeros({B * Hkv, candidate_capacity_[level]}, ints));
    candidate_units_.push_back(at::zeros({B * Hkv, candidate_capacity_[level]}, ints));
    candidate_count_.push_back(at::zeros({B * Hkv}, ints));
  }
  chunk_begin_ = at::zeros({B, std::max<int64_t>(shape_.gist_capacity[0], 1)}, ints);
  row_gists_ = at::zeros({B, std::max<int64_t>(row_capacity_, 1)}, ints);
  partial_keys_ = at::zeros({B * Hkv * max_slices_ * U * partial_capacity_}, longs);
  partial_count_ = at::zeros({B * Hkv * max_slices_ * U}, ints);
  partial_valid_ = at::zeros({B * Hkv * max_slices_ * U}, ints);
  selection_counters_ = at::zeros({kernels::kMaxLevels * B * Hkv}, ints);
  // Choices (and scores) of every layer, one flat buffer per set.
  const int sets = std::clamp(settings_.record_sets, 1, 2);
  int64_t choice_size = 0, score_size = 0;
  for (int level = 0; level < L; ++level) {
    choice_size += B * Hkv * U * (chosen_capacity_[level] + 1);
    score_size += B * Hkv * U * candidate_capacity_[level];
  }
  chosen_.resize(sets);
  chosen_count_.resize(sets);
  scores_.resize(sets);
  for (int set = 0; set < sets; ++set) {
    choice_flat_.push_back(at::zeros({settings_.layers * choice_size}, ints));
    score_flat_.push_back(settings_.record_scores
                              ? at::zeros({settings_.layers * score_size}, floats)
                              : at::Tensor());
    int64_t c = 0, s = 0;
    chosen_[set].resize(settings_.layers);
    chosen_count_[set].resize(settings_.layers);
    scores_[set].resize(settings_.layers);
    for (int layer = 0; layer < settings_.layers; ++layer) {
      for (int level = 0; level < L; ++level) {
        const int64_t n = B * Hkv * U * chosen_capacity_[level];
        chosen_[set][layer].push_back(
            choice_flat_[set].narrow(0, c, n).view({B, Hkv * U, chosen_capacity_[level]}));
        c += n;
        chosen_count_[set][layer].push_back(
            choice_flat_[set].narrow(0, c, B * Hkv * U).view({B, Hkv * U}));
        c += B * Hkv * U;
        const int64_t m = B * Hkv * U * candidate_capacity_[level];
        scores_[set][layer].push_back(
            settings_.record_scores
                ? score_flat_[set].narrow(0, s, m).view({B, Hkv * U, candidate_capacity_[level]})
                : at::Tensor());
        s += m;
      }
    }
  }
  // The two-pass selection scores into the recording buffer, else here.
  two_pass_ = settings_.two_pass_selection && !top_p && settings_.k_max <= kernels::kRegisterTopK;
  for (int level = 0; level < L; ++level) {
    const bool fits = candidate_capacity_[level] <= kernels::kTwoPassMaxCandidates;
    choice_scores_.push_back(two_pass_ && fits
                                 ? at::zeros({B, Hkv * U, candidate_capacity_[level]}, floats)
                                 : at::Tensor());
  }
  visible_ = at::zeros({B * Hkv * A, std::max<int32_t>(visible_capacity_, 1)}, ints);
  visible_count_ = at::zeros({B * Hkv * A}, ints);
  sort_scratch_ = at::zeros({B * Hkv * 2 * sort_capacity_}, longs);
  scan_scratch_ = at::zeros({B * Hkv * sort_capacity_}, ints);
  max_splits_ =
      std::max({attention_splits(kernels::kSelectedKeys), attention_splits(kernels::kTrainingRow),
                attention_splits(kernels::kAllKeys)});
  attend_values_ =
      at::zeros({B * Hkv * A * max_splits_ * 16 * D}, at::TensorOptions(at::kHalf).device(device_));
  attend_stats_ = at::zeros({B * Hkv * A * max_splits_ * 16 * 2}, floats);
  attend_counters_ = at::zeros({B * Hkv * A}, ints);
  errors_ = at::zeros({1}, ints);
}

int DeviceAttention::units_per_group() const {
  return kernels::units_per_group(mode_units(settings_.mode),
                                  static_cast<int32_t>(shape_.heads / shape_.kv_heads));
}

int DeviceAttention::attention_units() const {
  return static_cast<int>(shape_.kv_heads) *
         kernels::attention_units_per_group(mode_units(settings_.mode),
                                            static_cast<int32_t>(shape_.heads / shape_.kv_heads));
}

int32_t DeviceAttention::attention_splits(kernels::KeySource source) const {
  return plan_.attention_splits(source);
}

DeviceLayerCache DeviceAttention::make_cache() const {
  const auto bf16 = at::TensorOptions(at::kBFloat16).device(device_);
  DeviceLayerCache c;
  const int64_t B = shape_.batch, Hkv = shape_.kv_heads, D = shape_.head_dim;
  c.keys = at::zeros({B, Hkv, shape_.kv_capacity, D}, bf16);
  c.values = at::zeros({B, Hkv, shape_.kv_capacity, D}, bf16);
  for (int64_t cap : shape_.gist_capacity)
    c.gist_keys.push_back(at::zeros({B, Hkv, std::max<int64_t>(cap, 1), D}, bf16));
  return c;
}

void DeviceAttention::set_hierarchy(int64_t b, const GistHierarchy& hierarchy,
                                    cudaStream_t stream) {
  if (hierarchy.num_levels() != shape_.num_levels())
    throw std::invalid_argument("GPU decode: the hierarchy's levels differ from the plan's");
  const HierarchyArrays a = hierarchy_arrays(hierarchy);
  for (int level = 0; level < shape_.num_levels(); ++level) {
    if (hierarchy.count(level) > shape_.gist_capacity[level])
      throw std::length_error("GPU decode: more gists than the planned capacity");
    const at::Tensor& pos = gist_position_[level];
    upload(ptr<int32_t>(pos) + b * pos.size(1), a.gist_position[level].data(),
           a.gist_position[level].size() * sizeof(int32_t), stream);
    const at::Tensor& cb = child_begin_[level];
    upload(ptr<int32_t>(cb) + b * cb.size(1), a.child_begin[level].data(),
           a.child_begin[level].size() * sizeof(int32_t), stream);
  }
  upload(ptr<int32_t>(chunk_begin_) + b * chunk_begin_.size(1), a.chunk_begin.data(),
         a.chunk_begin.size() * sizeof(int32_t), stream);
}

void DeviceAttention::set_training_row(int64_t b, const std::vector<int64_t>& gists,
                                       cudaStream_t stream) {
  if (static_cast<int64_t>(gists.size()) > row_capacity_)
    throw std::length_error("GPU decode: a training row longer than the planned capacity");
  std::vector<int32_t> row(gists.begin(), gists.end());
  upload(ptr<int32_t>(row_gists_) + b * row_gists_.size(1), row.data(),
         row.size() * sizeof(int32_t), stream);
}

void DeviceAttention::set_step(int64_t b, const kernels::SequenceStep& step) {
  if (step.query >= shape_.kv_capacity)
    throw std::length_error("GPU decode: the stream outgrew the KV cache");
  host_steps_[b] = step;
}

void DeviceAttention::upload_steps(cudaStream_t stream) {
  upload(steps_.data_ptr(), host_steps_.data(), host_steps_.size() * sizeof(kernels::SequenceStep),
         stream);
}

kernels::SelectionParams DeviceAttention::selection_params(int layer, const at::Tensor& q,
                                                           const DeviceLayerCache& cache, int set,
                                                           bool scores) const {
  kernels::SelectionParams p;
  p.batch = static_cast<int32_t>(shape_.batch);
  p.kv_heads = static_cast<int32_t>(shape_.kv_heads);
  p.group_size = static_cast<int32_t>(shape_.heads / shape_.kv_heads);
  p.head_dim = static_cast<int32_t>(shape_.head_dim);
  p.num_levels = shape_.num_levels();
  p.mode = mode_units(settings_.mode);
  p.quarter_cap = settings_.quarter_cap;
  p.top_p = static_cast<float>(settings_.top_p);
  p.q = ptr<uint16_t>(q);
  p.steps = ptr<kernels::SequenceStep>(steps_);
  for (int level = 0; level < p.num_levels; ++level) {
    p.hierarchy.gist_position[level] = ptr<int32_t>(gist_position_[level]);
    p.hierarchy.child_begin[level] = ptr<int32_t>(child_begin_[level]);
    p.hierarchy.gist_capacity[level] = static_cast<int32_t>(gist_position_[level].size(1));
    p.gist_keys[level] = ptr<uint16_t>(cache.gist_keys[level]);
    p.candidates[level] = ptr<int32_t>(candidates_[level]);
    p.candidate_units[level] = ptr<uint32_t>(candidate_units_[level]);
    p.candidate_count[level] = ptr<int32_t>(candidate_count_[level]);
    p.candidate_capacity[level] = candidate_capacity_[level];
    p.slices[level] = slices_[level];
    p.chosen[level] = ptr<int32_t>(chosen_[set][layer][level]);
    p.chosen_count[level] = ptr<int32_t>(chosen_count_[set][layer][level]);
    p.chosen_capacity[level] = chosen_capacity_[level];
    p.scores[level] = scores ? ptr<float>(scores_[set][layer][level]) : nullptr;
    p.choice_scores[level] = scores ? p.scores[level] : ptr<float>(choice_scores_[level]);
  }
  p.two_pass = two_pass_;
  p.hierarchy.chunk_begin = ptr<int32_t>(chunk_begin_);
  p.partial_keys = ptr<uint64_t>(partial_keys_);
  p.partial_count = ptr<int32_t>(partial_count_);
  p.partial_valid = ptr<int32_t>(partial_valid_);
  p.partial_capacity = partial_capacity_;
  p.max_slices = max_slices_;
  const int64_t merge =
      kernels::merge_shared_bytes(max_slices_, units_per_group(), partial_capacity_);
  // The register merge needs no buffer: without it more blocks fit an SM.
  const bool register_merge = settings_.register_top_k && settings_.top_p <= 0 &&
                              settings_.k_max <= kernels::kRegisterTopK &&
                              max_slices_ * partial_capacity_ <= kernels::kRegisterMergeKeys;
  p.merge_shared_bytes =
      settings_.merge_in_shared && !register_merge && merge <= kernels::kMaxMergeSharedBytes
          ? static_cast<int32_t>(merge)
          : 0;
  p.register_top_k = settings_.register_top_k;
  p.pivot_top_k = settings_.pivot_top_k;
  p.overlap_launches = settings_.overlap_launches;
  p.counters = ptr<uint32_t>(selection_counters_);
  p.visible = ptr<int32_t>(visible_);
  p.visible_count = ptr<int32_t>(visible_count_);
  p.visible_capacity = static_cast<int32_t>(visible_.size(1));
  p.sort_scratch = ptr<uint64_t>(sort_scratch_);
  p.scan_scratch = ptr<int32_t>(scan_scratch_);
  p.sort_capacity = sort_capacity_;
  p.errors = ptr<int32_t>(errors_);
  p.phase_clock = phase_clock_;
  return p;
}

void DeviceAttention::attend(int layer, const at::Tensor& q, const DeviceLayerCache& cache,
                             kernels::KeySource source, const at::Tensor& out, cudaStream_t stream,
                             int set, bool scores) {
  if (layer < 0 || layer >= settings_.layers)
    throw std::out_of_range("GPU decode: layer outside the plan");
  if (set < 0 || set >= static_cast<int>(choice_flat_.size()))
    throw std::out_of_range("GPU decode: record set outside the plan");
  if (scores && !settings_.record_scores)
    throw std::logic_error("GPU decode: scores asked for but not planned");
  TORCH_CHECK(q.is_contiguous() && q.scalar_type() == at::kBFloat16 &&
                  q.numel() == shape_.batch * shape_.heads * shape_.head_dim,
              "GPU decode: q must be [B, H, D] bf16 contiguous");
  TORCH_CHECK(out.is_contiguous() &&
                  (out.scalar_type() == at::kFloat || out.scalar_type() == at::kBFloat16) &&
                  out.numel() == shape_.batch * shape_.heads * shape_.head_dim &&
                  reinterpret_cast<uintptr_t>(out.data_ptr()) % 16 == 0,
              "GPU decode: out must be [B, H, D] float32 or bf16 contiguous, 16-byte aligned");
  if (source == kernels::kSelectedKeys)
    kernels::launch_gist_selection(selection_params(layer, q, cache, set, scores),
                                   settings_.version, stream);
  kernels::AttendParams p;
  p.batch = static_cast<int32_t>(shape_.batch);
  p.kv_heads = static_cast<int32_t>(shape_.kv_heads);
  p.group_size = static_cast<int32_t>(shape_.heads / shape_.kv_heads);
  p.head_dim = static_cast<int32_t>(shape_.head_dim);
  // Only the selection gives heads sets of their own.
  p.mode = source == kernels::kSelectedKeys ? mode_units(settings_.mode) : kernels::kHeadUnits;
  p.source = source;
  p.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(shape_.head_dim)));
  p.q = ptr<uint16_t>(q);
  p.steps = ptr<kernels::SequenceStep>(steps_);
  p.keys = ptr<uint16_t>(cache.keys);
  p.values = ptr<uint16_t>(cache.values);
  p.capacity = shape_.kv_capacity;
  if (source == kernels::kSelectedKeys) {
    p.list = ptr<int32_t>(visible_);
    p.list_count = ptr<int32_t>(visible_count_);
    p.list_capacity = static_cast<int32_t>(visible_.size(1));
  } else if (source == kernels::kTrainingRow) {
    p.list = ptr<int32_t>(row_gists_);
    p.list_capacity = static_cast<int32_t>(row_gists_.size(1));
  }
  p.overlap_launch = settings_.overlap_launches && source == kernels::kSelectedKeys;
  p.splits = attention_splits(source);
  p.partial_values = ptr<uint16_t>(attend_values_);
  p.partial_stats = ptr<float>(attend_stats_);
  p.counters = ptr<uint32_t>(attend_counters_);
  if (out.scalar_type() == at::kFloat)
    p.out = ptr<float>(out);
  else
    p.out_bf16 = ptr<uint16_t>(out);
  p.errors = ptr<int32_t>(errors_);
  p.phase_clock = phase_clock_;
  kernels::launch_sparse_attention(p, settings_.version, stream);
}

void DeviceAttention::append(const at::Tensor& k, const at::Tensor& v,
                             const DeviceLayerCache& cache, cudaStream_t stream) {
  TORCH_CHECK(k.is_contiguous() && v.is_contiguous() && k.scalar_type() == at::kBFloat16 &&
                  v.scalar_type() == at::kBFloat16,
              "GPU decode: k and v must be bf16 contiguous");
  kernels::AppendParams p = append_params(cache);
  p.k_new = ptr<uint16_t>(k);
  p.v_new = ptr<uint16_t>(v);
  kernels::launch_kv_append(p, stream);
}

kernels::AppendParams DeviceAttention::append_params(const DeviceLayerCache& cache) const {
  kernels::AppendParams p;
  p.batch = static_cast<int32_t>(shape_.batch);
  p.kv_heads = static_cast<int32_t>(shape_.kv_heads);
  p.head_dim = static_cast<int32_t>(shape_.head_dim);
  p.steps = ptr<kernels::SequenceStep>(steps_);
  p.keys = ptr<uint16_t>(cache.keys);
  p.values = ptr<uint16_t>(cache.values);
  p.capacity = shape_.kv_capacity;
  for (int level = 0; level < shape_.num_levels(); ++level) {
    p.gist_keys[level] = ptr<uint16_t>(cache.gist_keys[level]);
    p.gist_capacity[level] = static_cast<int32_t>(cache.gist_keys[level].size(2));
  }
  return p;
}

std::vector<std::vector<LevelChoice>> DeviceAttention::choices(int set, int layer, int64_t b,
                                                               const GistHierarchy& hierarchy,
                                                               bool with_scores) const {
  CUDA_CHECK(cudaDeviceSynchronize());  // the kernels may run on any stream
  std::vector<at::Tensor> keep;
  std::vector<LevelBuffers> levels;
  for (int level = 0; level < shape_.num_levels(); ++level) {
    const at::Tensor chosen = chosen_[set][layer][level][b].cpu().contiguous();
    const at::Tensor count = chosen_count_[set][layer][level][b].cpu().contiguous();
    LevelBuffers l;
    l.chosen = chosen.data_ptr<int32_t>();
    l.chosen_capacity = static_cast<int32_t>(chosen.size(1));
    l.count = count.data_ptr<int32_t>();
    keep.push_back(chosen);
    keep.push_back(count);
    if (with_scores) {
      const at::Tensor scores = scores_[set][layer][level][b].cpu().contiguous();
      l.scores = scores.data_ptr<float>();
      l.score_capacity = static_cast<int32_t>(scores.size(1));
      keep.push_back(scores);
    }
    levels.push_back(l);
  }
  return choices_from_buffers(hierarchy, shape_.kv_heads, units_per_group(), levels);
}

void DeviceAttention::poison() {
  const double nan = std::nan("");
  for (auto* list : {&candidates_, &candidate_units_, &candidate_count_})
    for (at::Tensor& t : *list) t.fill_(-1);
  for (const at::Tensor& t : {partial_keys_, partial_count_, partial_valid_, visible_,
                              visible_count_, sort_scratch_, scan_scratch_})
    t.fill_(-1);
  for (const at::Tensor& t : choice_flat_) t.fill_(-1);
  // Scores: the largest float, not NaN (which ranks last): a choice that
  // read a score no kernel wrote would take it first.
  for (const auto* list : {&score_flat_, &choice_scores_})
    for (const at::Tensor& t : *list)
      if (t.defined()) t.fill_(std::numeric_limits<float>::max());
  attend_values_.fill_(nan);
  attend_stats_.fill_(nan);
  CUDA_CHECK(cudaDeviceSynchronize());
}

int32_t DeviceAttention::errors() const {
  CUDA_CHECK(cudaDeviceSynchronize());  // the kernels may run on any stream
  return errors_.cpu().item<int32_t>();
}

void DeviceAttention::clear_errors() {
  CUDA_CHECK(cudaDeviceSynchronize());
  errors_.zero_();
  CUDA_CHECK(cudaDeviceSynchronize());
}

}  // namespace ssa

#endif  // SSA_WITH_CUDA
