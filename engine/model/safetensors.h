// safetensors: the Hugging Face tensor file format, read and written here
// without Python. Layout: an 8-byte little-endian header length N, N bytes of
// JSON ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__":
// {...}}), then the raw little-endian tensor bytes.
//
// Reading maps the file (mmap) and checks the whole header before any tensor
// is touched: an unknown dtype, a shape whose size overflows, offsets outside
// the file or not matching the shape, and tensors whose bytes overlap are a
// CheckpointError "<path>: <what>", never a crash or a huge allocation.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ssa {

using TensorMap = std::map<std::string, at::Tensor>;

// One tensor's entry in a header; begin / end are offsets into the data
// section (after the header).
struct TensorInfo {
  std::string name;
  at::ScalarType dtype = at::kFloat;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
  uint64_t bytes() const { return end - begin; }
};

// An open safetensors file: its checked header, and its data mapped
// read-only. Tensor data is read (paged in) only when a tensor is loaded.
class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::string& path);  // throws CheckpointError
  ~SafetensorsFile();
  SafetensorsFile(SafetensorsFile&&) noexcept;
  SafetensorsFile& operator=(SafetensorsFile&&) noexcept;
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  uint64_t file_size() const { return file_size_; }
  const std::map<std::string, TensorInfo>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const TensorInfo& info(const std::string& name) const;  // throws CheckpointError if absent

  // A CPU tensor over the mapped bytes, in the stored dtype. It keeps the
  // mapping alive; never write to it (the mapping is read-only).
  at::Tensor view(const std::string& name) const;
  // Copies the tensor to `device` as `dtype`, at most `slice_bytes` of file
  // data at a time, dropping each slice's file pages from this process's
  // memory after use: host memory holds the result (on the CPU) plus one
  // slice. With `check_finite`, a floating tensor holding NaN or Inf (read
  // from the stored bits, before conversion) is a CheckpointError.
  at::Tensor load(const std::string& name, c10::Device device, at::ScalarType dtype,
                  bool check_finite = false, uint64_t slice_bytes = uint64_t(64) << 20) const;

 private:
  struct Mapping;
  std::string path_;
  uint64_t file_size_ = 0;
  uint64_t data_offset_ = 0;  // 8 + header length
  std::shared_ptr<Mapping> mapping_;
  std::map<std::string, TensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
};

// Loads every tensor onto the CPU, in its stored dtype (F32, F16, BF16, F64,
// I64, I32, I16, I8, U8, BOOL). `metadata` receives "__metadata__" if given.
TensorMap load_safetensors(const std::string& path,
                           std::map<std::string, std::string>* metadata = nullptr);

// Writes the tensors (any device; copied to CPU, made contiguous) sorted by
// name, as transformers does.
void save_safetensors(const std::string& path, const TensorMap& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// What write_safetensors will be handed for one tensor.
struct TensorSpec {
  std::string name;
  at::ScalarType dtype = at::kFloat;
  std::vector<int64_t> shape;
};
// Writes a file whose tensors (sorted by name) are produced one at a time by
// `produce` (it must return the spec's dtype and shape), so a file larger than
// memory can be written.
void write_safetensors(const std::string& path, std::vector<TensorSpec> specs,
                       const std::function<at::Tensor(const TensorSpec&)>& produce,
                       const std::map<std::string, std::string>& metadata = {});

// "F32", "BF16", ... for a torch dtype; throws for dtypes the format lacks.
std::string safetensors_dtype_name(at::ScalarType type);

}  // namespace ssa
