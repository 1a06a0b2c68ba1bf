// Deep Mutual Learning in ~100 lines of the C++ API (teaching material; the full trainer is
// distill/trainer.h). Two students learn the synthetic task together: each minimises its
// cross-entropy plus the KL divergence from its peer's prediction, with the peer held constant.
//
//   build/bin/dml_two_students [epochs]
#include <cstdio>
#include <cstdlib>

#include "core/autograd.h"
#include "core/ops/elementwise.h"
#include "core/ops/losses.h"
#include "datasets/factory.h"
#include "datasets/loader.h"
#include "distill/metrics.h"
#include "layers/models/registry.h"
#include "optim/sgd.h"

using namespace cohort;

int main(int argc, char** argv) {
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 2;

  // Data: the built-in synthetic set (10 classes of 32x32 images), augmented like CIFAR.
  data::DatasetOptions synth{.synthetic_size = 4000, .synthetic_classes = 10};
  auto train_set = data::make_dataset("synthetic", "", "train", synth);
  synth.synthetic_size = 1000;
  auto test_set = data::make_dataset("synthetic", "", "test", synth);
  data::Normalize normalize(data::normalization_for("synthetic"));
  data::DataLoader train(train_set, data::cifar_augmentation(), normalize, {.batch_size = 64, .num_workers = 2});
  data::DataLoader test(test_set, nullptr, normalize, {.batch_size = 256, .shuffle = false, .num_workers = 2});

  // Two students, each with its own SGD-Nesterov optimiser.
  Generator gen(0);
  std::shared_ptr<nn::Model> students[2] = {nn::make_model("resnet8", 10, {}, gen),
                                            nn::make_model("resnet8", 10, {}, gen)};
  std::unique_ptr<optim::SGD> opts[2];
  for (int k = 0; k < 2; ++k) {
    std::vector<Tensor> params = students[k]->parameters();
    opts[k] = std::make_unique<optim::SGD>(
        params, optim::SGDOptions{.lr = 0.05, .momentum = 0.9, .nesterov = true, .weight_decay = 5e-4});
  }

  for (int epoch = 0; epoch < epochs; ++epoch) {
    auto it = train.epoch(epoch);
    int step = 0;
    while (auto batch = it.next()) {
      // One forward of each student ...
      Tensor z[2];
      for (int k = 0; k < 2; ++k) {
        students[k]->train();
        z[k] = students[k]->forward(batch->images);
      }
      // ... then L_k = CE(z_k, y) + KL(p_peer || p_k), the peer detached (a constant target).
      for (int k = 0; k < 2; ++k) {
        Tensor peer = z[1 - k].detach();
        Tensor ce = ops::cross_entropy(z[k], batch->labels);
        Tensor kl = ops::kd_kl(z[k], peer, /*temperature=*/1.0);
        Tensor loss = ops::add(ce, kl);
        opts[k]->zero_grad();
        loss.backward();
        opts[k]->step();
        if (step % 20 == 0) std::printf("epoch %d step %3d  student %d: ce %.3f  kl %.3f\n", epoch, step, k, ce.item(), kl.item());
      }
      ++step;
    }
    // Evaluation: each student and their ensemble (the mean of their probabilities).
    NoGradGuard no_grad;
    distill::AccuracyMeter acc[2], ensemble;
    auto tit = test.epoch(0);
    while (auto batch = tit.next()) {
      std::vector<Tensor> logits;
      for (int k = 0; k < 2; ++k) {
        students[k]->eval();
        logits.push_back(students[k]->forward(batch->images));
        acc[k].add(logits.back(), batch->labels);
      }
      ensemble.add(distill::ensemble_log_probs(logits), batch->labels);
    }
    std::printf("epoch %d: student 0 %.2f%%  student 1 %.2f%%  ensemble %.2f%%\n", epoch, acc[0].top1_pct(),
                acc[1].top1_pct(), ensemble.top1_pct());
  }
  return 0;
}
