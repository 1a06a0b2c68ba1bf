#include "core/init.h"

#include <cmath>

namespace cohort::init {

std::pair<double, double> fans(const Tensor& w) {
  COHORT_CHECK(w.dim() >= 2, "init: fan in/out need a tensor with >= 2 dims, got shape {}",
               shape_str(w.shape()));
  double receptive = 1.0;
  for (int64_t d = 2; d < w.dim(); ++d) receptive *= static_cast<double>(w.size(d));
  return {static_cast<double>(w.size(1)) * receptive, static_cast<double>(w.size(0)) * receptive};
}

double calculate_gain(const std::string& nonlinearity, double a) {
  if (nonlinearity == "linear" || nonlinearity == "sigmoid" || nonlinearity == "conv2d") return 1.0;
  if (nonlinearity == "relu") return std::sqrt(2.0);
  if (nonlinearity == "leaky_relu") return std::sqrt(2.0 / (1.0 + a * a));
  if (nonlinearity == "tanh") return 5.0 / 3.0;
  throw ValueError(fmt::format("calculate_gain: unknown nonlinearity '{}'", nonlinearity));
}

static double chosen_fan(const Tensor& w, const std::string& mode) {
  auto [fan_in, fan_out] = fans(w);
  if (mode == "fan_in") return fan_in;
  if (mode == "fan_out") return fan_out;
  throw ValueError(fmt::format("kaiming init: mode must be fan_in or fan_out, got '{}'", mode));
}

Tensor& kaiming_normal_(Tensor& w, Generator& gen, double a, const std::string& mode,
                        const std::string& nonlinearity) {
  double std = calculate_gain(nonlinearity, a) / std::sqrt(chosen_fan(w, mode));
  return normal_(w, gen, 0.0, std);
}

Tensor& kaiming_uniform_(Tensor& w, Generator& gen, double a, const std::string& mode,
                         const std::string& nonlinearity) {
  double bound = std::sqrt(3.0) * calculate_gain(nonlinearity, a) / std::sqrt(chosen_fan(w, mode));
  return uniform_(w, gen, -bound, bound);
}

Tensor& xavier_uniform_(Tensor& w, Generator& gen, double gain) {
  auto [fan_in, fan_out] = fans(w);
  double bound = gain * std::sqrt(6.0 / (fan_in + fan_out));
  return uniform_(w, gen, -bound, bound);
}

Tensor& xavier_normal_(Tensor& w, Generator& gen, double gain) {
  auto [fan_in, fan_out] = fans(w);
  return normal_(w, gen, 0.0, gain * std::sqrt(2.0 / (fan_in + fan_out)));
}

}  // namespace cohort::init
