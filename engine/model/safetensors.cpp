// safetensors reader and writer (format: github.com/huggingface/safetensors).
#include "engine/model/safetensors.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

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

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(message(path, ": ", what));
}

// The format is little-endian; so is every machine we build for.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors I/O assumes little-endian");

}  // namespace

std::string safetensors_dtype_name(at::ScalarType type) {
  for (const auto& d : kDtypes)
    if (d.type == type) return d.name;
  throw std::invalid_argument(
      message("dtype ", c10::toString(type), " cannot be stored in safetensors"));
}

TensorMap load_safetensors(const std::string& path, std::map<std::string, std::string>* metadata) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open (expected a .safetensors file)");
  in.seekg(0, std::ios::end);
  const uint64_t file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  uint64_t header_size = 0;
  if (file_size < 8 || !in.read(reinterpret_cast<char*>(&header_size), 8))
    fail(path, "too short for a safetensors file (no 8-byte header length)");
  if (header_size > file_size - 8)
    fail(path, message("header length ", header_size, " exceeds the file size ", file_size));
  std::string header_text(header_size, '\0');
  in.read(header_text.data(), static_cast<std::streamsize>(header_size));
  json header;
  try {
    header = json::parse(header_text);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for 1e400
    fail(path, message("header is not valid JSON (", e.what(), ")"));
  }
  if (!header.is_object()) fail(path, "header is not a JSON object");
  const uint64_t data_size = file_size - 8 - header_size;
  std::vector<char> data(data_size);
  if (data_size && !in.read(data.data(), static_cast<std::streamsize>(data_size)))
    fail(path, "could not read the tensor data");

  TensorMap tensors;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (metadata && entry.is_object())
        for (const auto& [k, v] : entry.items())
          (*metadata)[k] = v.is_string() ? v.get<std::string>() : v.dump();
      continue;
    }
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") ||
        !entry.contains("data_offsets"))
      fail(path, message("tensor \"", name, "\": expected dtype, shape and data_offsets"));
    const std::string dtype = entry["dtype"].is_string() ? entry["dtype"].get<std::string>() : "";
    const DtypeEntry* found = nullptr;
    for (const auto& d : kDtypes)
      if (dtype == d.name) found = &d;
    if (!found) fail(path, message("tensor \"", name, "\": unsupported dtype \"", dtype, "\""));
    std::vector<int64_t> shape;
    uint64_t numel = 1;
    for (const auto& dim : entry["shape"]) {
      if (!dim.is_number_integer() || dim.get<int64_t>() < 0)
        fail(path, message("tensor \"", name, "\": bad shape ", entry["shape"].dump()));
      shape.push_back(dim.get<int64_t>());
      numel *= static_cast<uint64_t>(shape.back());
    }
    const auto& offsets = entry["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned())
      fail(path, message("tensor \"", name, "\": data_offsets must be [begin, end]"));
    const uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
    const uint64_t bytes = numel * c10::elementSize(found->type);
    if (begin > end || end > data_size || end - begin != bytes)
      fail(path, message("tensor \"", name, "\": data_offsets [", begin, ", ", end,
                         "] do not hold ", bytes, " bytes of ", dtype, " ", entry["shape"].dump(),
                         " within ", data_size, " data bytes"));
    at::Tensor t = at::empty(shape, at::TensorOptions().dtype(found->type));
    if (bytes) std::memcpy(t.data_ptr(), data.data() + begin, bytes);
    tensors.emplace(name, std::move(t));
  }
  return tensors;
}

void save_safetensors(const std::string& path, const TensorMap& tensors,
                      const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<at::Tensor> ordered;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {  // std::map: sorted by name
    at::Tensor t = tensor.detach().to(at::kCPU).contiguous();
    const uint64_t bytes = static_cast<uint64_t>(t.numel()) * t.element_size();
    header[name] = {{"dtype", safetensors_dtype_name(t.scalar_type())},
                    {"shape", t.sizes().vec()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    ordered.push_back(t);
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keep the data 8-byte aligned, as the spec allows
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) fail(path, "cannot write");
  const uint64_t header_size = text.size();
  out.write(reinterpret_cast<const char*>(&header_size), 8);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  for (const auto& t : ordered)
    out.write(static_cast<const char*>(t.data_ptr()),
              static_cast<std::streamsize>(t.numel() * t.element_size()));
  if (!out) fail(path, "write failed");
}

}  // namespace ssa
