// safetensors reader and writer (format: github.com/huggingface/safetensors).
// The reader maps the file and trusts nothing in the header: every size is
// computed with overflow checks before it is compared with the file.
#include "engine/model/safetensors.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "engine/model/checkpoint_error.h"
#include "engine/model/message.h"

namespace ssa {
namespace {

using nlohmann::json;

struct DtypeEntry {
  const char* name;
  at::ScalarType type;
};
constexpr DtypeEntry kDtypes[] = {
    {"F64", at::kDouble}, {"F32", at::kFloat}, {"F16", at::kHalf},  {"BF16", at::kBFloat16},
    {"I64", at::kLong},   {"I32", at::kInt},   {"I16", at::kShort}, {"I8", at::kChar},
    {"U8", at::kByte},    {"BOOL", at::kBool},
};

// The safetensors library refuses headers above 100 MB; so do we.
constexpr uint64_t kMaxHeaderSize = 100'000'000;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw CheckpointError(message(path, ": ", what));
}

// The format is little-endian; so is every machine we build for.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors I/O assumes little-endian");

TensorInfo parse_entry(const std::string& path, const std::string& name, const json& entry,
                       uint64_t data_size) {
  if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") ||
      !entry.contains("data_offsets"))
    fail(path, message("tensor \"", name, "\": expected dtype, shape and data_offsets"));
  TensorInfo info;
  info.name = name;
  const std::string dtype = entry["dtype"].is_string() ? entry["dtype"].get<std::string>() : "";
  const DtypeEntry* found = nullptr;
  for (const auto& d : kDtypes)
    if (dtype == d.name) found = &d;
  if (!found) fail(path, message("tensor \"", name, "\": unsupported dtype \"", dtype, "\""));
  info.dtype = found->type;
  if (!entry["shape"].is_array())
    fail(path, message("tensor \"", name, "\": bad shape ", entry["shape"].dump()));
  uint64_t numel = 1;
  bool overflow = false;
  for (const auto& dim : entry["shape"]) {
    if (!dim.is_number_unsigned() || dim.get<uint64_t>() > uint64_t(INT64_MAX))
      fail(path, message("tensor \"", name, "\": bad shape ", entry["shape"].dump()));
    info.shape.push_back(static_cast<int64_t>(dim.get<uint64_t>()));
    overflow = overflow || __builtin_mul_overflow(numel, dim.get<uint64_t>(), &numel);
  }
  uint64_t bytes = 0;
  overflow =
      overflow || __builtin_mul_overflow(numel, uint64_t(c10::elementSize(info.dtype)), &bytes);
  if (overflow || numel > uint64_t(INT64_MAX))
    fail(path, message("tensor \"", name, "\": shape ", entry["shape"].dump(),
                       " is too large (its byte size overflows)"));
  const auto& offsets = entry["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned())
    fail(path, message("tensor \"", name, "\": data_offsets must be [begin, end]"));
  info.begin = offsets[0].get<uint64_t>();
  info.end = offsets[1].get<uint64_t>();
  if (info.begin > info.end || info.end > data_size || info.end - info.begin != bytes)
    fail(path, message("tensor \"", name, "\": data_offsets [", info.begin, ", ", info.end,
                       "] do not hold ", bytes, " bytes of ", dtype, " ", entry["shape"].dump(),
                       " within ", data_size, " data bytes"));
  return info;
}

// True if some value among the n stored floats of `type` at p has an
// all-ones exponent (NaN or Inf). Reads the bits: a tight loop the compiler
// vectorises, far cheaper than converting and calling isfinite.
template <typename Word>
bool any_exponent_all_ones(const char* p, size_t n, Word mask) {
  constexpr size_t kBlock = 4096;
  for (size_t start = 0; start < n; start += kBlock) {
    const size_t end = std::min(n, start + kBlock);
    unsigned hit = 0;
    for (size_t i = start; i < end; ++i) {
      Word w;
      std::memcpy(&w, p + i * sizeof(Word), sizeof(Word));
      hit |= (w & mask) == mask;
    }
    if (hit) return true;
  }
  return false;
}

bool has_non_finite(const char* p, size_t n, at::ScalarType type) {
  switch (type) {
    case at::kFloat:
      return any_exponent_all_ones<uint32_t>(p, n, 0x7F800000u);
    case at::kBFloat16:
      return any_exponent_all_ones<uint16_t>(p, n, 0x7F80u);
    case at::kHalf:
      return any_exponent_all_ones<uint16_t>(p, n, 0x7C00u);
    case at::kDouble:
      return any_exponent_all_ones<uint64_t>(p, n, 0x7FF0000000000000ull);
    default:
      return false;  // integers and bools are always finite
  }
}

// Two tensors must not share bytes (a header that lies about its layout).
void check_no_overlap(const std::string& path, const std::map<std::string, TensorInfo>& tensors) {
  std::vector<const TensorInfo*> by_offset;
  for (const auto& [name, info] : tensors)
    if (info.bytes() > 0) by_offset.push_back(&info);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const TensorInfo* a, const TensorInfo* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const TensorInfo& a = *by_offset[i - 1];
    const TensorInfo& b = *by_offset[i];
    if (b.begin < a.end)
      fail(path, message("tensor \"", b.name, "\" (bytes ", b.begin, "..", b.end,
                         ") overlaps tensor \"", a.name, "\" (bytes ", a.begin, "..", a.end, ")"));
  }
}

}  // namespace

// The file's bytes, mapped read-only; shared by the views handed out.
struct SafetensorsFile::Mapping {
  void* base = nullptr;
  size_t size = 0;
  ~Mapping() {
    if (base) munmap(base, size);
  }
  const char* bytes() const { return static_cast<const char*>(base); }
  // Drops the pages of [begin, end) from resident memory (they stay in the
  // page cache; a later read pages them in again).
  void release(uint64_t begin, uint64_t end) const {
    static const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    const uint64_t first = begin / page * page;
    const uint64_t last = std::min<uint64_t>((end + page - 1) / page * page, size);
    if (last > first) madvise(static_cast<char*>(base) + first, last - first, MADV_DONTNEED);
  }
};

std::string safetensors_dtype_name(at::ScalarType type) {
  for (const auto& d : kDtypes)
    if (d.type == type) return d.name;
  throw std::invalid_argument(
      message("dtype ", c10::toString(type), " cannot be stored in safetensors"));
}

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path, "cannot open (expected a .safetensors file)");
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail(path, "not a regular file (expected a .safetensors file)");
  }
  file_size_ = static_cast<uint64_t>(st.st_size);
  if (file_size_ < 8) {
    ::close(fd);
    fail(path, "too short for a safetensors file (no 8-byte header length)");
  }
  void* base = mmap(nullptr, file_size_, PROT_READ, MAP_PRIVATE, fd, 0);
  const int mmap_errno = errno;
  ::close(fd);  // the mapping keeps the file
  if (base == MAP_FAILED)
    fail(path, message("cannot map the file (", std::strerror(mmap_errno), ")"));
  mapping_ = std::make_shared<Mapping>();
  mapping_->base = base;
  mapping_->size = file_size_;
  madvise(base, file_size_, MADV_SEQUENTIAL);

  uint64_t header_size = 0;
  std::memcpy(&header_size, mapping_->bytes(), 8);
  if (header_size > file_size_ - 8)
    fail(path, message("header length ", header_size, " exceeds the file size ", file_size_));
  if (header_size > kMaxHeaderSize)
    fail(path, message("header length ", header_size, " exceeds the format's limit of ",
                       kMaxHeaderSize, " bytes"));
  data_offset_ = 8 + header_size;
  json header;
  try {
    header = json::parse(mapping_->bytes() + 8, mapping_->bytes() + 8 + header_size);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for 1e400
    fail(path, message("header is not valid JSON (", e.what(), ")"));
  }
  if (!header.is_object()) fail(path, "header is not a JSON object");
  const uint64_t data_size = file_size_ - data_offset_;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (entry.is_object())
        for (const auto& [k, v] : entry.items())
          metadata_[k] = v.is_string() ? v.get<std::string>() : v.dump();
      continue;
    }
    tensors_.emplace(name, parse_entry(path, name, entry, data_size));
  }
  check_no_overlap(path, tensors_);
}

SafetensorsFile::~SafetensorsFile() = default;
SafetensorsFile::SafetensorsFile(SafetensorsFile&&) noexcept = default;
SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&&) noexcept = default;

const TensorInfo& SafetensorsFile::info(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) fail(path_, message("no tensor \"", name, "\""));
  return it->second;
}

at::Tensor SafetensorsFile::view(const std::string& name) const {
  const TensorInfo& t = info(name);
  if (t.bytes() == 0) return at::empty(t.shape, at::TensorOptions().dtype(t.dtype));
  // from_blob wants a mutable pointer; the tensor is only ever read.
  void* data = const_cast<char*>(mapping_->bytes() + data_offset_ + t.begin);
  std::shared_ptr<Mapping> keep = mapping_;
  return at::from_blob(
      data, t.shape, [keep](void*) {}, at::TensorOptions().dtype(t.dtype));
}

at::Tensor SafetensorsFile::load(const std::string& name, c10::Device device, at::ScalarType dtype,
                                 bool check_finite, uint64_t slice_bytes) const {
  const TensorInfo& t = info(name);
  at::Tensor out = at::empty(t.shape, at::TensorOptions().dtype(dtype).device(device));
  if (t.bytes() == 0) return out;
  const at::Tensor source = view(name).reshape({-1});
  at::Tensor flat = out.view({-1});
  const int64_t element = static_cast<int64_t>(c10::elementSize(t.dtype));
  const int64_t step = std::max<int64_t>(1, static_cast<int64_t>(slice_bytes) / element);
  const int64_t numel = source.numel();
  for (int64_t start = 0; start < numel; start += step) {
    const int64_t n = std::min(step, numel - start);
    const uint64_t from = data_offset_ + t.begin + static_cast<uint64_t>(start * element);
    if (check_finite && has_non_finite(mapping_->bytes() + from, n, t.dtype))
      fail(path_, message("tensor \"", name, "\" has NaN or infinite values"));
    flat.narrow(0, start, n).copy_(source.narrow(0, start, n));
    mapping_->release(from, from + static_cast<uint64_t>(n * element));
  }
  return out;
}

TensorMap load_safetensors(const std::string& path, std::map<std::string, std::string>* metadata) {
  const SafetensorsFile file(path);
  if (metadata) *metadata = file.metadata();
  TensorMap tensors;
  for (const auto& [name, info] : file.tensors())
    tensors.emplace(name, file.load(name, c10::kCPU, info.dtype));
  return tensors;
}

void write_safetensors(const std::string& path, std::vector<TensorSpec> specs,
                       const std::function<at::Tensor(const TensorSpec&)>& produce,
                       const std::map<std::string, std::string>& metadata) {
  std::sort(specs.begin(), specs.end(),
            [](const TensorSpec& a, const TensorSpec& b) { return a.name < b.name; });
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const TensorSpec& s : specs) {
    uint64_t bytes = c10::elementSize(s.dtype);
    for (int64_t d : s.shape) bytes *= static_cast<uint64_t>(d);
    header[s.name] = {{"dtype", safetensors_dtype_name(s.dtype)},
                      {"shape", s.shape},
                      {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keep the data 8-byte aligned, as the spec allows
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) fail(path, "cannot write");
  const uint64_t header_size = text.size();
  out.write(reinterpret_cast<const char*>(&header_size), 8);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  for (const TensorSpec& s : specs) {
    const at::Tensor t = produce(s).detach().to(at::kCPU).contiguous();
    if (t.scalar_type() != s.dtype || t.sizes().vec() != s.shape)
      throw std::logic_error(
          message("write_safetensors: tensor \"", s.name, "\" does not match its spec"));
    out.write(static_cast<const char*>(t.data_ptr()),
              static_cast<std::streamsize>(t.numel() * t.element_size()));
  }
  if (!out) fail(path, "write failed");
}

void save_safetensors(const std::string& path, const TensorMap& tensors,
                      const std::map<std::string, std::string>& metadata) {
  std::vector<TensorSpec> specs;
  for (const auto& [name, t] : tensors) specs.push_back({name, t.scalar_type(), t.sizes().vec()});
  write_safetensors(
      path, specs, [&](const TensorSpec& s) { return tensors.at(s.name); }, metadata);
}

}  // namespace ssa
