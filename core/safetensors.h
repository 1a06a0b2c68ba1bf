// safetensors files (the format PyTorch users exchange weights in):
//   8 bytes little-endian u64 N | N bytes JSON header | raw little-endian tensor data.
// The header maps each name to {"dtype", "shape", "data_offsets": [begin, end)} (offsets relative
// to the data section) plus an optional "__metadata__" object of string -> string.
//
// save() writes atomically (temporary file in the same folder, then rename), so an interrupted
// write never destroys an existing file. load() validates everything and names the file, the
// tensor and the problem on any error.
#pragma once

#include <map>
#include <string>

#include "core/tensor.h"

namespace cohort::safetensors {

using TensorMap = std::map<std::string, Tensor>;
using Metadata = std::map<std::string, std::string>;

struct Contents {
  TensorMap tensors;  // on the CPU
  Metadata metadata;
  // Tensors stored as F16 or BF16 (cohort computes in f32/f64): widened to F32 on load, exactly,
  // and listed here as name -> stored dtype, so the caller can say so.
  std::map<std::string, std::string> widened;
};

// Tensors may live on any device (copied to the host for writing). Supported dtypes: F32, F64,
// I64, U8; load() also reads F16 and BF16 (widened to F32).
void save(const std::string& path, const TensorMap& tensors, const Metadata& metadata = {});
Contents load(const std::string& path);
// Only the header's "__metadata__" (no tensor data is read): cheap questions about big files.
Metadata load_metadata(const std::string& path);

// Atomic write of any bytes (temp file + fsync + rename); shared by checkpoints and configs.
void write_file_atomically(const std::string& path, const std::string& bytes);

}  // namespace cohort::safetensors
