// FSP transfer (Yim et al. 2017) in ~110 lines of the C++ API (teaching material). A ResNet-20
// teacher is trained briefly; then a ResNet-8 student first learns to reproduce the teacher's
// FSP matrices — the Gram matrices between each stage's input and output feature maps — and
// afterwards trains normally with cross-entropy from those weights.
//
//   build/bin/fsp_two_stages [teacher_epochs] [fsp_steps] [student_epochs]
#include <cstdio>
#include <cstdlib>

#include "core/autograd.h"
#include "core/ops/elementwise.h"
#include "core/ops/losses.h"
#include "core/ops/nn.h"
#include "datasets/factory.h"
#include "datasets/loader.h"
#include "distill/metrics.h"
#include "layers/models/registry.h"
#include "optim/sgd.h"

using namespace cohort;

namespace {

// FSP matrices of a model's (stage input, stage output) pairs; stride-2 stages are max-pooled
// to the smaller spatial size first, as in the paper.
std::vector<Tensor> fsp_matrices(nn::Model& model, const Tensor& x) {
  nn::ModelOutput out = model.forward_features(x);
  std::vector<Tensor> gs;
  for (auto [i, j] : model.fsp_pairs()) {
    Tensor a = out.features[i], b = out.features[j];
    if (a.size(2) != b.size(2)) {
      int64_t k = a.size(2) / b.size(2);
      a = ops::max_pool2d(a, {.kernel_h = k, .kernel_w = k, .stride_h = k, .stride_w = k});
    }
    gs.push_back(ops::fsp_matrix(a, b));
  }
  return gs;
}

double accuracy(nn::Model& m, data::DataLoader& test) {
  NoGradGuard no_grad;
  m.eval();
  distill::AccuracyMeter acc;
  auto it = test.epoch(0);
  while (auto b = it.next()) acc.add(m.forward(b->images), b->labels);
  return acc.top1_pct();
}

void train_ce(nn::Model& m, data::DataLoader& train, int epochs, double lr) {
  std::vector<Tensor> params = m.parameters();
  optim::SGD opt(params, {.lr = lr, .momentum = 0.9, .weight_decay = 1e-4});
  for (int e = 0; e < epochs; ++e) {
    auto it = train.epoch(100 + e);
    while (auto b = it.next()) {
      m.train();
      Tensor loss = ops::cross_entropy(m.forward(b->images), b->labels);
      opt.zero_grad();
      loss.backward();
      opt.step();
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int teacher_epochs = argc > 1 ? std::atoi(argv[1]) : 2;
  const int fsp_steps = argc > 2 ? std::atoi(argv[2]) : 60;
  const int student_epochs = argc > 3 ? std::atoi(argv[3]) : 1;

  data::DatasetOptions synth{.synthetic_size = 4000, .synthetic_classes = 10};
  auto train_set = data::make_dataset("synthetic", "", "train", synth);
  synth.synthetic_size = 1000;
  auto test_set = data::make_dataset("synthetic", "", "test", synth);
  data::Normalize normalize(data::normalization_for("synthetic"));
  data::DataLoader train(train_set, data::cifar_augmentation(), normalize, {.batch_size = 64, .num_workers = 2});
  data::DataLoader test(test_set, nullptr, normalize, {.batch_size = 256, .shuffle = false, .num_workers = 2});

  Generator gen(1);
  auto teacher = nn::make_model("resnet20", 10, {}, gen);
  train_ce(*teacher, train, teacher_epochs, 0.05);
  std::printf("teacher resnet20: %.2f%%\n", accuracy(*teacher, test));

  // Stage 1: the student matches the teacher's FSP matrices (no labels used).
  auto student = nn::make_model("resnet8", 10, {}, gen);
  std::vector<Tensor> params = student->parameters();
  optim::SGD opt(params, {.lr = 0.01, .momentum = 0.9});
  teacher->eval();
  int step = 0;
  for (int epoch = 0; step < fsp_steps; ++epoch) {
    auto it = train.epoch(epoch);
    while (step < fsp_steps) {
      auto b = it.next();
      if (!b) break;
      std::vector<Tensor> gt;
      {
        NoGradGuard no_grad;  // the teacher is fixed
        gt = fsp_matrices(*teacher, b->images);
      }
      student->train();
      std::vector<Tensor> gs = fsp_matrices(*student, b->images);
      Tensor loss = ops::fsp_loss(gs[0], gt[0], 1.0);
      for (size_t p = 1; p < gs.size(); ++p) loss = ops::add(loss, ops::fsp_loss(gs[p], gt[p], 1.0));
      opt.zero_grad();
      loss.backward();
      opt.step();
      if (step % 20 == 0) std::printf("fsp step %3d  loss %.4f\n", step, loss.item());
      ++step;
    }
  }
  // Stage 2: ordinary training from the FSP-initialised weights.
  train_ce(*student, train, student_epochs, 0.05);
  std::printf("student resnet8 after FSP + %d epoch(s): %.2f%%\n", student_epochs, accuracy(*student, test));
  return 0;
}
