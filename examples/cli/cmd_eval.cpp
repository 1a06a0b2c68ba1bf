// cohort eval --weights FILE... --model NAME... --data DATASET [--root DIR] [--split test] [--device D]
// Several weights files: each network, then their ensemble (the mean of their probabilities).
#include "core/autograd.h"
#include "datasets/factory.h"
#include "datasets/loader.h"
#include "distill/metrics.h"
#include "examples/cli/commands.h"
#include "layers/models/registry.h"
#include "layers/weights.h"

namespace cohort::cli {

namespace {

struct EvalArgs {
  std::vector<std::string> weights, models;
  std::string data, root, split = "test", device = "auto";
  int64_t batch_size = 256, num_classes = 0;
  bool allow_non_finite = false;
};

void print_line(const std::string& name, const EvalArgs& a, const distill::AccuracyMeter& m) {
  std::printf("%s on %s/%s (%lld images): top-1 %.2f%%  top-5 %.2f%%  mean entropy %.4f\n", name.c_str(),
              a.data.c_str(), a.split.c_str(), static_cast<long long>(m.seen), m.top1_pct(), m.top5_pct(),
              m.mean_entropy());
}

int run_eval(const EvalArgs& a) {
  // One --model for all weights, or one per weights file.
  if (a.models.size() != 1 && a.models.size() != a.weights.size())
    throw ValueError(fmt::format("eval: {} --weights but {} --model (give one model for all, or one per weights file)",
                                 a.weights.size(), a.models.size()));
  Device device = resolve_device(a.device);
  std::string root = a.root.empty() ? data::data_root() : a.root;
  auto dataset = data::make_dataset(a.data, root, a.split);
  data::Example first = dataset->get(0);
  std::vector<std::shared_ptr<nn::Model>> nets;
  for (size_t i = 0; i < a.weights.size(); ++i) {
    Generator gen(0);
    const std::string& name = a.models.size() == 1 ? a.models[0] : a.models[i];
    auto model = nn::make_model(name, a.num_classes > 0 ? a.num_classes : dataset->num_classes(),
                                nn::ModelOptions{.in_channels = first.image.c}, gen);
    nn::load_weights(*model, a.weights[i], /*strict=*/true, a.allow_non_finite);
    model->to(device);
    model->eval();
    nets.push_back(model);
  }
  data::DataLoader loader(dataset, nullptr, data::Normalize(data::normalization_for(a.data, first.image.c)),
                          {.batch_size = a.batch_size, .shuffle = false, .num_workers = 2, .device = device});
  std::vector<distill::AccuracyMeter> meters(nets.size());
  distill::AccuracyMeter ensemble;  // the mean of the networks' probabilities
  NoGradGuard no_grad;
  auto it = loader.epoch(0);
  while (auto batch = it.next()) {
    std::vector<Tensor> logits;
    for (size_t k = 0; k < nets.size(); ++k) {
      logits.push_back(nets[k]->forward(batch->images));
      meters[k].add(logits.back(), batch->labels);
    }
    if (nets.size() > 1) ensemble.add(distill::ensemble_log_probs(logits), batch->labels);
  }
  for (size_t k = 0; k < nets.size(); ++k)
    print_line(fmt::format("{} ({})", nets[k]->name(), a.weights[k]), a, meters[k]);
  if (nets.size() > 1) print_line(fmt::format("ensemble of {} networks", nets.size()), a, ensemble);
  return 0;
}

}  // namespace

Command add_eval(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  app.add_option("--weights", args->weights,
                 "safetensors weights (e.g. <run>/<network>.safetensors); several: also their ensemble")
      ->required()->check(CLI::ExistingFile);
  app.add_option("--model", args->models, "model name(s) (cohort models): one for all weights, or one each")
      ->required();
  app.add_option("--data", args->data, "dataset name: cifar10, cifar100, mnist, ...")->required();
  app.add_option("--root", args->root, "dataset root (default $COHORT_DATA)");
  app.add_option("--split", args->split, "split to evaluate (default test)");
  app.add_option("--device", args->device, "auto, cpu, cuda or cuda:N");
  app.add_option("--batch-size", args->batch_size, "evaluation batch size")->check(CLI::PositiveNumber);
  app.add_option("--num-classes", args->num_classes, "classes of the model head (default: the dataset's)");
  app.add_flag("--allow-non-finite", args->allow_non_finite,
               "load weights holding NaN/inf values (refused by default) to inspect them");
  return [args] { return run_eval(*args); };
}

}  // namespace cohort::cli
