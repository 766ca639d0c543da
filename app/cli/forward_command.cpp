// `ssa-workbench forward`: one forward pass of a checkpoint on given token
// ids, written as NumPy files.
//
//   forward --model DIR (--ids 1,2,3 | --ids-file F.npy) [--attention full|mask]
//           [--positions raw|stream] [--device cpu|cuda] [--dtype fp32|bf16|fp16] --out DIR
//
// full (the default): plain causal attention over the ids as given. mask: the
// ids are raw text tokens, laid out with gists by the model's ssa block and
// computed under the SSA / H-SSA training mask. Output: logits.npy (float32
// [L, vocab], L = stream length), tokens.npy, roles.npy, positions.npy and
// layout.json (the layout used). Every check comes first and the files are
// written into a temporary directory renamed to --out at the end, so a
// refused or failed call writes nothing. Bad input (flags, ids, the
// checkpoint's files) is one line and exit status 2.
#include <fmt/core.h>
#include <torch/cuda.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "app/cli/commands.h"
#include "app/cli/npy_writer.h"
#include "engine/layout/gist_layout.h"
#include "engine/mask/training_mask.h"
#include "engine/model/checkpoint.h"
#include "engine/model/checkpoint_error.h"
#include "engine/model/gist_tokens.h"

namespace ssa::cli {
namespace {

namespace fs = std::filesystem;

struct ForwardOptions {
  std::string model;
  std::vector<int64_t> ids;
  std::string ids_file;
  // (--text comes with the tokenizer: it becomes a third source in input_ids.)
  std::string attention = "full";
  std::string positions;  // raw | stream; empty: the ssa block's (raw by default)
  std::string device = "cpu";
  std::string dtype;  // fp32 | bf16 | fp16; empty: fp32 on the CPU, bf16 on CUDA
  std::string out;
};

const std::set<std::string> kOutputFiles = {"logits.npy", "tokens.npy", "roles.npy",
                                            "positions.npy", "layout.json"};

// ---- --ids-file: a 1-D (or [1, N]) integer .npy array --------------------

std::vector<int64_t> read_npy_ids(const std::string& path) {
  const auto bad = [&](const std::string& what) {
    return UsageError(fmt::format("--ids-file {}: {}", path, what));
  };
  std::ifstream in(path, std::ios::binary);
  if (!in) throw bad("cannot open (expected a .npy file of token ids)");
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
    throw bad("not a .npy file (no \\x93NUMPY magic)");
  const int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len = 0, start = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | static_cast<unsigned char>(bytes[9]) << 8;
    start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw bad("truncated header");
    for (int i = 0; i < 4; ++i)
      header_len |= size_t(static_cast<unsigned char>(bytes[8 + i])) << 8 * i;
    start = 12;
  } else {
    throw bad(fmt::format("unsupported .npy version {}", major));
  }
  if (start + header_len > bytes.size()) throw bad("truncated header");
  const std::string header = bytes.substr(start, header_len);
  const auto field = [&](const std::string& key) {
    const size_t at = header.find("'" + key + "'");
    if (at == std::string::npos) throw bad("header lacks '" + key + "'");
    return header.substr(header.find(':', at) + 1);
  };
  const std::string descr_text = field("descr");
  const size_t q1 = descr_text.find('\'');
  const size_t q2 = descr_text.find('\'', q1 + 1);
  const std::string descr = descr_text.substr(q1 + 1, q2 - q1 - 1);
  const std::string order = field("fortran_order");
  if (order.find("True") < order.find_first_of(",}"))
    throw bad("Fortran-ordered arrays are not supported");
  const std::string shape_text = field("shape");
  const std::string dims_text =
      shape_text.substr(shape_text.find('(') + 1, shape_text.find(')') - shape_text.find('(') - 1);
  std::vector<int64_t> dims;
  for (size_t pos = 0; pos < dims_text.size();) {
    const size_t comma = dims_text.find(',', pos);
    const std::string d = dims_text.substr(pos, comma - pos);
    if (d.find_first_not_of(" ") != std::string::npos) {
      try {
        dims.push_back(std::stoll(d));
      } catch (const std::exception&) {
        throw bad(fmt::format("bad shape ({})", dims_text));
      }
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  if (!(dims.size() == 1 || (dims.size() == 2 && dims[0] == 1)))
    throw bad(fmt::format("expected a 1-D array (or [1, N]), got shape ({})", dims_text));
  const int64_t n = dims.back();
  struct Kind {
    const char* descr;
    size_t size;
    bool is_signed;
  };
  static const Kind kKinds[] = {{"<i8", 8, true},  {"<i4", 4, true},  {"<i2", 2, true},
                                {"|i1", 1, true},  {"<u8", 8, false}, {"<u4", 4, false},
                                {"<u2", 2, false}, {"|u1", 1, false}};
  const Kind* kind = nullptr;
  for (const Kind& k : kKinds)
    if (descr == k.descr) kind = &k;
  if (!kind) throw bad(fmt::format("dtype '{}' is not a little-endian integer type", descr));
  const size_t data = start + header_len;
  if (bytes.size() - data != static_cast<size_t>(n) * kind->size)
    throw bad(fmt::format("holds {} data bytes, expected {} for {} ids of {}", bytes.size() - data,
                          n * kind->size, n, descr));
  std::vector<int64_t> ids(n);
  for (int64_t i = 0; i < n; ++i) {
    const char* p = bytes.data() + data + i * kind->size;
    uint64_t raw = 0;
    std::memcpy(&raw, p, kind->size);
    int64_t v = static_cast<int64_t>(raw);
    if (kind->is_signed && kind->size < 8) {
      const int shift = 64 - 8 * static_cast<int>(kind->size);
      v = static_cast<int64_t>(raw << shift) >> shift;  // sign-extend
    }
    if (!kind->is_signed && kind->size == 8 && raw > uint64_t(INT64_MAX)) v = -1;  // out of range
    ids[i] = v;
  }
  return ids;
}

std::vector<int64_t> input_ids(const ForwardOptions& o) {
  const int sources = !o.ids.empty() + !o.ids_file.empty();
  if (sources != 1) throw UsageError("give the token ids with exactly one of --ids or --ids-file");
  std::vector<int64_t> ids = o.ids.empty() ? read_npy_ids(o.ids_file) : o.ids;
  if (ids.empty()) throw UsageError(o.ids.empty() ? "--ids-file holds no ids" : "--ids is empty");
  return ids;
}

void check_ids(const std::vector<int64_t>& ids, int64_t vocab_size, const ForwardOptions& o) {
  const std::string flag = o.ids.empty() ? "--ids-file" : "--ids";
  for (size_t i = 0; i < ids.size(); ++i)
    if (ids[i] < 0 || ids[i] >= vocab_size)
      throw UsageError(fmt::format("{}: id {} at index {} is outside the vocabulary (0..{})", flag,
                                   ids[i], i, vocab_size - 1));
}

// --out: new, empty, or written by an earlier forward (then replaced).
void check_out(const std::string& out) {
  if (out.empty()) throw UsageError("--out is required");
  if (!fs::exists(out)) {
    const fs::path parent = fs::absolute(out).parent_path();
    if (!fs::is_directory(parent))
      throw UsageError(fmt::format("--out: directory {} does not exist", parent.string()));
    return;
  }
  if (!fs::is_directory(out)) throw UsageError(fmt::format("--out {} is not a directory", out));
  for (const auto& entry : fs::directory_iterator(out))
    if (!kOutputFiles.count(entry.path().filename().string()))
      throw UsageError(fmt::format(
          "--out {} holds {}, not only an earlier forward's files: choose a new or empty directory",
          out, entry.path().filename().string()));
}

at::ScalarType compute_dtype(const ForwardOptions& o) {
  const std::string name = o.dtype.empty() ? (o.device == "cuda" ? "bf16" : "fp32") : o.dtype;
  if (name == "fp32") return at::kFloat;
  if (name == "bf16") return at::kBFloat16;
  if (name == "fp16") return at::kHalf;
  throw UsageError(fmt::format("--dtype must be fp32, bf16 or fp16, got '{}'", o.dtype));
}

// ---- the layout and the mask ---------------------------------------------

struct Stream {
  std::vector<int64_t> tokens, positions;
  std::vector<Role> roles;
  at::Tensor mask;  // undefined: plain causal
  nlohmann::json layout;
};

Stream full_stream(const std::vector<int64_t>& ids) {
  Stream s;
  s.tokens = ids;
  s.roles.assign(ids.size(), kRawRole);
  for (size_t i = 0; i < ids.size(); ++i) s.positions.push_back(static_cast<int64_t>(i));
  s.layout = {{"attention", "full"},
              {"length", ids.size()},
              {"raw_tokens", ids.size()},
              {"position_ids", "raw"}};
  return s;
}

// The gist ids: the tokenizer's <gist>, <Gist>, <MGist> when it lists them,
// else the ssa block's gist_token_base + level.
void resolve_gist_ids(DecoderModel& model, const CheckpointInfo& info, LayoutSettings& settings) {
  const GistTokenIds found = find_gist_tokens(info.vocabulary);
  if (!info.vocabulary.present || !(found[0] || found[1] || found[2])) return;
  const GistTokens g =
      prepare_gist_tokens(model, settings.num_levels(), info.vocabulary.size, found);
  for (const std::string& w : g.warnings) fmt::print(stderr, "ssa-workbench: {}\n", w);
  if (!g.consecutive()) {
    std::string listed;
    for (int64_t id : g.ids) listed += (listed.empty() ? "" : ", ") + std::to_string(id);
    throw UsageError(
        fmt::format("the tokenizer's gist token ids {} are not consecutive: the "
                    "layout needs gist, meta-gist ids base, base + 1, ...",
                    listed));
  }
  if (g.ids[0] != settings.gist_token_base)
    fmt::print(stderr,
               "ssa-workbench: ssa.gist_token_base {} differs from the tokenizer's <gist> "
               "id {}: using the tokenizer's\n",
               settings.gist_token_base, g.ids[0]);
  settings.gist_token_base = g.ids[0];
}

Stream mask_stream(DecoderModel& model, const CheckpointInfo& info, const std::vector<int64_t>& ids,
                   const ForwardOptions& o) {
  const ModelConfig& config = model.config();
  if (!config.has_ssa_block())
    throw UsageError(fmt::format(
        "--attention mask: {}/config.json has no ssa block, so its gist layout is unknown "
        "(reference checkpoints carry it in their name)",
        o.model));
  // (Layout flags for such checkpoints, --layout / --sink / --previous, belong here.)
  LayoutSettings settings = config.ssa.layout;
  resolve_gist_ids(model, info, settings);
  if (!o.positions.empty()) settings.positions = parse_position_scheme(o.positions);
  const std::string flag = o.ids.empty() ? "--ids-file" : "--ids";
  for (size_t i = 0; i < ids.size(); ++i)
    if (ids[i] >= settings.gist_token_base &&
        ids[i] <= settings.gist_token_base + settings.top_level())
      throw UsageError(
          fmt::format("{}: id {} at index {} is a gist token; --attention mask lays "
                      "out raw text tokens and inserts the gists itself",
                      flag, ids[i], i));
  const GistLayout layout(settings, ids);
  if (layout.length() > kMaxDenseMaskLength)
    throw UsageError(fmt::format("the stream of {} positions exceeds {} for a dense mask",
                                 layout.length(), kMaxDenseMaskLength));
  Stream s;
  s.tokens = layout.token_ids();
  s.positions = layout.position_ids();
  s.roles = layout.roles();
  const MaskSettings mask_settings{config.ssa.previous_chunks};
  s.mask = dense_training_mask(layout, mask_settings);
  s.layout = nlohmann::json::parse(settings.to_json());
  s.layout["attention"] = "mask";
  s.layout["previous_chunks"] = config.ssa.previous_chunks;
  s.layout["length"] = layout.length();
  s.layout["raw_tokens"] = layout.num_raw();
  s.layout["prefix_length"] = layout.prefix_length();
  s.layout["sink_length"] = layout.sink_length();
  std::vector<int64_t> gists;
  for (int l = 0; l < layout.num_levels(); ++l) gists.push_back(layout.num_gists(l));
  s.layout["gists_per_level"] = gists;
  s.layout["roles"] = "0 raw, 1 gist, k+1 meta-gist of level k";
  return s;
}

// ---- output ----------------------------------------------------------------

void write_outputs(const fs::path& dir, const Stream& s, const at::Tensor& logits) {
  const int64_t length = static_cast<int64_t>(s.tokens.size());
  const at::Tensor cpu = logits.to(at::kCPU, at::kFloat).contiguous();
  write_npy((dir / "logits.npy").string(), "<f4", {length, cpu.size(1)}, cpu.data_ptr<float>(),
            sizeof(float));
  write_npy((dir / "tokens.npy").string(), "<i8", {length}, s.tokens);
  write_npy((dir / "roles.npy").string(), "|i1", {length}, s.roles);
  write_npy((dir / "positions.npy").string(), "<i8", {length}, s.positions);
  std::ofstream out(dir / "layout.json");
  out << s.layout.dump(2) << "\n";
  if (!out) throw InputError("cannot write " + (dir / "layout.json").string());
}

// Writes next to --out, then swaps it in: a failed call leaves --out as it was.
void publish(const std::string& out, const Stream& s, const at::Tensor& logits) {
  const fs::path target = fs::absolute(out);
  const fs::path staging =
      target.parent_path() / fmt::format(".{}.forward-{}", target.filename().string(), getpid());
  fs::create_directories(staging);
  try {
    write_outputs(staging, s, logits);
    if (fs::exists(target)) {
      for (const auto& entry : fs::directory_iterator(target)) fs::remove(entry.path());
      fs::remove(target);
    }
    fs::rename(staging, target);
  } catch (...) {
    for (const auto& entry : fs::directory_iterator(staging)) fs::remove(entry.path());
    fs::remove(staging);
    throw;
  }
}

void run_forward(const ForwardOptions& o) {
  if (o.model.empty()) throw UsageError("--model is required");
  if (o.attention != "full" && o.attention != "mask")
    throw UsageError(fmt::format("--attention must be full or mask, got '{}'", o.attention));
  if (!o.positions.empty() && o.positions != "raw" && o.positions != "stream")
    throw UsageError(fmt::format("--positions must be raw or stream, got '{}'", o.positions));
  if (o.device != "cpu" && o.device != "cuda")
    throw UsageError(fmt::format("--device must be cpu or cuda, got '{}'", o.device));
  if (o.device == "cuda" && !torch::cuda::is_available())
    throw UsageError("--device cuda: no CUDA device is available here");
  const at::ScalarType dtype = compute_dtype(o);
  check_out(o.out);
  const std::vector<int64_t> ids = input_ids(o);

  LoadOptions load;
  load.device = o.device == "cuda" ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  load.dtype = dtype;
  CheckpointInfo info;
  DecoderModel model = [&] {
    try {
      return load_checkpoint(o.model, load, &info);
    } catch (const CheckpointError& e) {
      throw UsageError(e.what());
    }
  }();
  check_ids(ids, model.config().vocab_size, o);
  Stream s;
  try {
    s = o.attention == "full" ? full_stream(ids) : mask_stream(model, info, ids, o);
  } catch (const CheckpointError& e) {
    throw UsageError(e.what());
  }
  s.layout["model"] = o.model;
  s.layout["architecture"] = model.config().architecture();
  s.layout["rope_type"] = rope_type_name(model.config().rope_scaling.type);
  s.layout["device"] = o.device;
  s.layout["dtype"] = dtype == at::kFloat ? "fp32" : dtype == at::kBFloat16 ? "bf16" : "fp16";

  c10::NoGradGuard no_grad;
  const int64_t length = static_cast<int64_t>(s.tokens.size());
  const at::Tensor tokens = at::tensor(s.tokens, at::TensorOptions().dtype(at::kLong)).unsqueeze(0);
  const at::Tensor positions =
      at::tensor(s.positions, at::TensorOptions().dtype(at::kLong)).unsqueeze(0);
  const at::Tensor logits = model.forward(tokens, positions, s.mask)[0];
  publish(o.out, s, logits);
  fmt::print("{}: {} positions ({} attention, {} on {}), logits [{}, {}]\n", o.out, length,
             o.attention, s.layout["dtype"].get<std::string>(), o.device, length, logits.size(1));
}

}  // namespace

void register_forward_command(CLI::App& app) {
  auto o = std::make_shared<ForwardOptions>();
  CLI::App* cmd = app.add_subcommand(
      "forward",
      "Logits of a checkpoint on token ids (full causal or SSA training-mask attention)");
  cmd->add_option("--model", o->model, "Checkpoint directory (config.json + safetensors)")
      ->required();
  cmd->add_option("--ids", o->ids, "Token ids, comma-separated")->delimiter(',');
  cmd->add_option("--ids-file", o->ids_file, "Token ids as a 1-D integer .npy file");
  cmd->add_option("--attention", o->attention,
                  "full: causal over the ids; mask: the ids laid out with gists by the model's "
                  "ssa block, under the training mask");
  cmd->add_option("--positions", o->positions,
                  "RoPE positions with --attention mask: raw (gists do not advance) or stream");
  cmd->add_option("--device", o->device, "cpu or cuda");
  cmd->add_option("--dtype", o->dtype,
                  "Compute dtype: fp32 (CPU default), bf16 (CUDA default), fp16");
  cmd->add_option("--out", o->out, "Output directory (new, empty, or an earlier forward's)")
      ->required();
  cmd->callback([o] { run_forward(*o); });
}

}  // namespace ssa::cli
