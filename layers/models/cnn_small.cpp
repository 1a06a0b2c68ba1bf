#include "layers/models/cnn_small.h"

#include "core/ops/elementwise.h"
#include "core/ops/nn.h"
#include "core/ops/shape.h"

namespace cohort::nn {

CnnSmall::CnnSmall(int64_t num_classes, int64_t in_channels, Generator& gen)
    : Model(in_channels, in_channels == 1 ? 28 : 32) {
  COHORT_CHECK(num_classes > 0, "cnn-small: num_classes must be positive, got {}", num_classes);
  conv1_ = register_module("conv1", std::make_shared<Conv2d>(in_channels, 32, 3, gen,
                                                             Conv2dOptions{.padding = 1, .bias = false}));
  bn1_ = register_module("bn1", std::make_shared<BatchNorm2d>(32));
  conv2_ = register_module("conv2", std::make_shared<Conv2d>(32, 64, 3, gen,
                                                             Conv2dOptions{.padding = 1, .bias = false}));
  bn2_ = register_module("bn2", std::make_shared<BatchNorm2d>(64));
  pool_ = std::make_shared<MaxPool2d>(2);
  const int64_t side = input_size() / 4;
  fc1_ = register_module("fc1", std::make_shared<Linear>(64 * side * side, 128, gen));
  fc2_ = register_module("fc2", std::make_shared<Linear>(128, num_classes, gen));
}

ModelOutput CnnSmall::forward_features(const Tensor& x) {
  ModelOutput out;
  Tensor h = pool_->forward(bn1_->forward_relu(conv1_->forward(x)));
  out.features.push_back(h);
  h = pool_->forward(bn2_->forward_relu(conv2_->forward(h)));
  out.features.push_back(h);
  COHORT_CHECK(h.size(2) * 4 == input_size() && h.size(3) * 4 == input_size(),
               "cnn-small: expects {}x{} inputs (its classifier sees a fixed flattened size), got {}",
               input_size(), input_size(), shape_str(x.shape()));
  out.embedding = ops::relu(fc1_->forward(ops::flatten(h, 1)));
  out.logits = fc2_->forward(out.embedding);
  return out;
}

}  // namespace cohort::nn
