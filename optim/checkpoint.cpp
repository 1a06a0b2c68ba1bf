#include "optim/checkpoint.h"

#include <cstring>
#include <set>

#include "core/autograd.h"
#include "core/error.h"
#include "core/safetensors.h"

namespace cohort::optim {

namespace {

constexpr const char* kMetadataKey = "cohort.checkpoint";
// 2: with "checksum" over the tensor data (1: written before checksums, still readable).
constexpr int kFormat = 2;
constexpr const char* kChecksumKind = "xormul64";

// A checksum of every tensor's name and bytes, in name order: h = (h ^ word) · p over 64-bit
// words (FNV-1a's step on words). Each step is a bijection of h and of the word, so any change
// confined to one word — a flipped bit, a torn sector's worth of zeros in one place — changes
// the result.
std::string tensor_checksum(const safetensors::TensorMap& host_tensors) {
  constexpr uint64_t kPrime = 0x100000001b3ULL;
  uint64_t h = 0xcbf29ce484222325ULL;
  auto mix = [&](const unsigned char* p, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      h = (h ^ w) * kPrime;
    }
    for (; i < n; ++i) h = (h ^ p[i]) * kPrime;
  };
  for (const auto& [name, t] : host_tensors) {
    mix(reinterpret_cast<const unsigned char*>(name.data()), name.size());
    mix(static_cast<const unsigned char*>(t.raw_data()), t.nbytes());
  }
  return fmt::format("{}:{:016x}", kChecksumKind, h);
}

std::string model_prefix(size_t k) { return fmt::format("model.{}.", k); }
std::string optim_prefix(size_t k) { return fmt::format("optim.{}.", k); }

}  // namespace

void save_checkpoint(const std::string& path, const CheckpointParts& parts,
                     const nlohmann::json& extra) {
  safetensors::TensorMap tensors;
  nlohmann::json doc = {{"format", kFormat}, {"extra", extra}};
  doc["models"] = nlohmann::json::array();
  for (size_t k = 0; k < parts.models.size(); ++k) {
    for (const auto& [name, t] : parts.models[k]) {
      const std::string key = model_prefix(k) + name;
      COHORT_CHECK(t.defined(), "save_checkpoint({}): model tensor '{}' is undefined", path, key);
      COHORT_CHECK(tensors.emplace(key, t.detach().to(Device::cpu())).second,
                   "save_checkpoint({}): model {} has two tensors named '{}'", path, k, name);
    }
    doc["models"].push_back(parts.models[k].size());
  }
  doc["optimizers"] = nlohmann::json::array();
  for (size_t k = 0; k < parts.optimizers.size(); ++k) {
    COHORT_CHECK(parts.optimizers[k] != nullptr, "save_checkpoint({}): optimiser {} is null", path,
                 k);
    OptimizerState state = parts.optimizers[k]->state_dict();
    for (auto& [name, t] : state.tensors) tensors[optim_prefix(k) + name] = t.to(Device::cpu());
    doc["optimizers"].push_back(std::move(state.meta));
  }
  doc["schedulers"] = nlohmann::json::array();
  for (size_t k = 0; k < parts.schedulers.size(); ++k) {
    COHORT_CHECK(parts.schedulers[k] != nullptr, "save_checkpoint({}): scheduler {} is null", path,
                 k);
    doc["schedulers"].push_back(parts.schedulers[k]->state_dict());
  }
  doc["checksum"] = tensor_checksum(tensors);
  safetensors::save(path, tensors, {{kMetadataKey, doc.dump()}});
}

namespace {

nlohmann::json load_checkpoint_checked(const std::string& path, const CheckpointParts& parts) {
  safetensors::Contents contents = safetensors::load(path);
  auto meta = contents.metadata.find(kMetadataKey);
  COHORT_CHECK(meta != contents.metadata.end(),
               "load_checkpoint({}): no '{}' metadata; not a cohort checkpoint", path,
               kMetadataKey);
  const nlohmann::json doc = nlohmann::json::parse(meta->second);
  const int format = doc.value("format", 0);
  COHORT_CHECK(format == kFormat || format == 1, "load_checkpoint({}): format {} (expected {})", path,
               format, kFormat);
  if (format >= 2) {
    // A bit flipped on disk must not resume silently (and later be called a good checkpoint).
    const std::string stored = doc.at("checksum").get<std::string>(), actual = tensor_checksum(contents.tensors);
    if (stored != actual)
      throw IOError(fmt::format("load_checkpoint({}): the tensor data does not match the checksum stored "
                                "with it ({} stored, {} computed): the file is corrupt", path, stored, actual));
  }
  const auto count = [&](const char* what) { return doc.at(what).size(); };
  COHORT_CHECK(count("models") == parts.models.size() &&
                   count("optimizers") == parts.optimizers.size() &&
                   count("schedulers") == parts.schedulers.size(),
               "load_checkpoint({}): the file has {} models, {} optimisers, {} schedulers; "
               "{}, {}, {} were given",
               path, count("models"), count("optimizers"), count("schedulers"),
               parts.models.size(), parts.optimizers.size(), parts.schedulers.size());

  // Check every model tensor before writing any, then copy in place.
  std::set<std::string> used;
  for (size_t k = 0; k < parts.models.size(); ++k) {
    for (const auto& [name, t] : parts.models[k]) {
      const std::string key = model_prefix(k) + name;
      auto it = contents.tensors.find(key);
      COHORT_CHECK(it != contents.tensors.end(), "load_checkpoint({}): missing tensor '{}'", path,
                   key);
      const Tensor& saved = it->second;
      COHORT_CHECK(saved.shape() == t.shape() && saved.dtype() == t.dtype(),
                   "load_checkpoint({}): '{}' is {} {} in the file but {} {} in the model", path,
                   key, shape_str(saved.shape()), dtype_name(saved.dtype()), shape_str(t.shape()),
                   dtype_name(t.dtype()));
      used.insert(key);
    }
  }
  // Optimiser tensors, grouped per optimiser with the prefix removed.
  std::vector<OptimizerState> states(parts.optimizers.size());
  for (const auto& [key, t] : contents.tensors) {
    if (used.count(key)) continue;
    bool claimed = false;
    for (size_t k = 0; k < parts.optimizers.size() && !claimed; ++k) {
      const std::string prefix = optim_prefix(k);
      if (key.rfind(prefix, 0) == 0) {
        states[k].tensors[key.substr(prefix.size())] = t;
        claimed = true;
      }
    }
    COHORT_CHECK(claimed, "load_checkpoint({}): unexpected tensor '{}' (not in the given models)",
                 path, key);
  }

  {
    NoGradGuard no_grad;
    for (size_t k = 0; k < parts.models.size(); ++k) {
      for (const auto& [name, t] : parts.models[k]) {
        Tensor dst = t;
        dst.copy_(contents.tensors.at(model_prefix(k) + name));
      }
    }
  }
  for (size_t k = 0; k < parts.optimizers.size(); ++k) {
    states[k].meta = doc.at("optimizers")[k];
    parts.optimizers[k]->load_state_dict(states[k]);
  }
  for (size_t k = 0; k < parts.schedulers.size(); ++k)
    parts.schedulers[k]->load_state_dict(doc.at("schedulers")[k]);
  return doc.at("extra");
}

}  // namespace

nlohmann::json load_checkpoint(const std::string& path, const CheckpointParts& parts) {
  try {
    return load_checkpoint_checked(path, parts);
  } catch (const nlohmann::json::exception& e) {
    // A metadata field missing or of the wrong type: the file is not what it claims to be.
    throw IOError(fmt::format("load_checkpoint({}): malformed '{}' metadata: {}", path,
                              kMetadataKey, e.what()));
  }
}

}  // namespace cohort::optim
