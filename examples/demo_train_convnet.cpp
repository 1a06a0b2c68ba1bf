// A first look at the C++ API: a two-layer convolutional net learns a synthetic 4-class task on
// the CPU with plain SGD, using only tensor ops and autograd. The loss printed every few steps
// falls as it learns. (The full trainer and CLI live in distill/ and examples/cli/.)
#include <cstdio>
#include <vector>

#include "core/autograd.h"
#include "core/init.h"
#include "core/ops/elementwise.h"
#include "core/ops/linalg.h"
#include "core/ops/nn.h"
#include "core/ops/reduce.h"
#include "core/random.h"

using namespace cohort;

namespace {

constexpr int64_t kClasses = 4, kSize = 12, kBatch = 32;

// Class c is a bright bar: horizontal (0), vertical (1), or a diagonal (2, 3), at a random
// offset, plus noise — easy for a convnet, not for a linear model on raw pixels.
void make_batch(Generator& gen, Tensor& images, Tensor& onehot, std::vector<int64_t>& labels) {
  images = Tensor::randn({kBatch, 1, kSize, kSize}, gen) * 0.3;
  onehot = Tensor::zeros({kBatch, kClasses});
  labels.assign(kBatch, 0);
  float* px = images.data<float>();
  float* py = onehot.data<float>();
  for (int64_t n = 0; n < kBatch; ++n) {
    int64_t c = static_cast<int64_t>(gen.randint(kClasses));
    int64_t off = 2 + static_cast<int64_t>(gen.randint(kSize - 4));
    for (int64_t i = 0; i < kSize; ++i) {
      int64_t h = c == 0 ? off : i, w = c == 1 ? off : (c == 2 ? i : (c == 3 ? kSize - 1 - i : i));
      px[(n * kSize + h) * kSize + w] += 2.0f;
    }
    py[n * kClasses + c] = 1.0f;
    labels[static_cast<size_t>(n)] = c;
  }
}

}  // namespace

int main() {
  Generator gen(2024);
  // conv(1->8, 3x3) -> relu -> conv(8->16, 3x3, stride 2) -> relu -> global avg pool -> linear(16->4)
  Tensor w1 = Tensor::empty({8, 1, 3, 3}), w2 = Tensor::empty({16, 8, 3, 3});
  Tensor fc = Tensor::empty({kClasses, 16}), fc_b = Tensor::zeros({kClasses});
  init::kaiming_normal_(w1, gen, 0.0, "fan_in", "relu");
  init::kaiming_normal_(w2, gen, 0.0, "fan_in", "relu");
  init::xavier_uniform_(fc, gen);
  std::vector<Tensor> params{w1, w2, fc, fc_b};
  for (Tensor& p : params) p.requires_grad_();

  const double lr = 0.1;
  std::printf("demo: 2-layer convnet on a synthetic %lld-class task (CPU, batch %lld)\n",
              static_cast<long long>(kClasses), static_cast<long long>(kBatch));
  for (int step = 0; step <= 300; ++step) {
    Tensor x, y;
    std::vector<int64_t> labels;
    make_batch(gen, x, y, labels);
    Tensor h = ops::relu(ops::conv2d(x, w1, Tensor(), {.pad_h = 1, .pad_w = 1}));
    h = ops::relu(ops::conv2d(h, w2, Tensor(), {.stride_h = 2, .stride_w = 2, .pad_h = 1, .pad_w = 1}));
    Tensor logits = ops::linear(ops::global_avg_pool2d(h), fc, fc_b);
    // Cross-entropy as the mean over the batch of -log p(label).
    Tensor loss = ops::neg(ops::sum(ops::mul(ops::log_softmax(logits), y))) * (1.0 / kBatch);
    zero_grad(params);
    loss.backward();
    {
      NoGradGuard no_grad;
      for (Tensor& p : params) ops::add_(p, p.grad(), -lr);
    }
    if (step % 25 == 0) {
      std::vector<int64_t> pred = ops::argmax(logits).to_vector<int64_t>();
      int correct = 0;
      for (size_t i = 0; i < pred.size(); ++i) correct += pred[i] == labels[i];
      std::printf("step %3d  loss %.4f  batch accuracy %3.0f%%\n", step, loss.item(),
                  100.0 * correct / kBatch);
    }
  }
  return 0;
}
