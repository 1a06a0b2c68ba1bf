// Weight initialisations with PyTorch's semantics (torch.nn.init), drawn from a Generator.
#pragma once

#include <string>

#include "core/random.h"

namespace cohort::init {

// fan_in = size(1) * receptive field, fan_out = size(0) * receptive field (PyTorch's rule).
std::pair<double, double> fans(const Tensor& weight);
// Gain of a nonlinearity: "linear"/"sigmoid" 1, "relu" sqrt(2), "leaky_relu" sqrt(2/(1+a²)), "tanh" 5/3.
double calculate_gain(const std::string& nonlinearity, double a = 0.0);

// mode: "fan_in" or "fan_out".
Tensor& kaiming_normal_(Tensor& w, Generator& gen, double a = 0.0, const std::string& mode = "fan_in",
                        const std::string& nonlinearity = "leaky_relu");
Tensor& kaiming_uniform_(Tensor& w, Generator& gen, double a = 0.0,
                         const std::string& mode = "fan_in",
                         const std::string& nonlinearity = "leaky_relu");
Tensor& xavier_uniform_(Tensor& w, Generator& gen, double gain = 1.0);
Tensor& xavier_normal_(Tensor& w, Generator& gen, double gain = 1.0);

}  // namespace cohort::init
