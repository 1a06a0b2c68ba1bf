#include "examples/cli/logits_file.h"

#include "core/error.h"
#include "core/safetensors.h"

namespace cohort::cli {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// NumPy's format 1.0: magic, u16 header length, a Python dict literal padded with spaces to a
// multiple of 64 bytes and ended by '\n', then the raw little-endian data.
std::string npy_bytes(const std::vector<int64_t>& shape, const std::vector<float>& data) {
  std::string dims;
  for (int64_t d : shape) dims += fmt::format("{}, ", d);
  if (shape.size() > 1) dims.resize(dims.size() - 2);  // (N, C) but (N,) for one dimension
  std::string header = fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}), }}", dims);
  const size_t preamble = 10;  // magic (6) + version (2) + header length (2)
  while ((preamble + header.size() + 1) % 64 != 0) header.push_back(' ');
  header.push_back('\n');
  std::string out("\x93NUMPY\x01\x00", 8);
  out.push_back(static_cast<char>(header.size() & 0xFF));
  out.push_back(static_cast<char>(header.size() >> 8));
  out += header;
  out.append(reinterpret_cast<const char*>(data.data()), data.size() * sizeof(float));
  return out;
}

}  // namespace

void check_logits_path(const std::string& path) {
  if (!ends_with(path, ".safetensors") && !ends_with(path, ".npy"))
    throw ValueError(fmt::format("--dump-logits '{}': the file must end in .safetensors or .npy", path));
}

void write_logits(const std::string& path, const Logits& l) {
  check_logits_path(path);
  const auto n = static_cast<int64_t>(l.labels.size());
  if (ends_with(path, ".safetensors")) {
    safetensors::TensorMap tensors;
    for (size_t k = 0; k < l.networks.size(); ++k)
      tensors.emplace(l.networks[k], Tensor::from_vector(l.values[k], {n, l.classes}));
    COHORT_CHECK(!tensors.count("labels"), "--dump-logits: a network is named 'labels'; use a .npy file");
    tensors.emplace("labels", Tensor::from_vector(l.labels, {n}));
    safetensors::save(path, tensors,
                      {{"dataset", l.dataset}, {"split", l.split}, {"networks", fmt::format("{}", fmt::join(l.networks, ","))}});
    return;
  }
  // .npy
  std::vector<float> all;
  for (const auto& v : l.values) all.insert(all.end(), v.begin(), v.end());
  std::vector<int64_t> shape = {n, l.classes};
  if (l.values.size() > 1) shape.insert(shape.begin(), static_cast<int64_t>(l.values.size()));
  safetensors::write_file_atomically(path, npy_bytes(shape, all));
}

}  // namespace cohort::cli
