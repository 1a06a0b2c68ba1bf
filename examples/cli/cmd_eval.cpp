// cohort eval --weights FILE --model NAME --data DATASET [--root DIR] [--split test] [--device D]
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
  std::string weights, model, data, root, split = "test", device = "auto";
  int64_t batch_size = 256, num_classes = 0;
};

int run_eval(const EvalArgs& a) {
  Device device = resolve_device(a.device);
  std::string root = a.root.empty() ? data::data_root() : a.root;
  auto dataset = data::make_dataset(a.data, root, a.split);
  data::Example first = dataset->get(0);
  Generator gen(0);
  auto model = nn::make_model(a.model, a.num_classes > 0 ? a.num_classes : dataset->num_classes(),
                              nn::ModelOptions{.in_channels = first.image.c}, gen);
  nn::load_weights(*model, a.weights, /*strict=*/true);
  model->to(device);
  model->eval();
  data::DataLoader loader(dataset, nullptr, data::Normalize(data::normalization_for(a.data, first.image.c)),
                          {.batch_size = a.batch_size, .shuffle = false, .num_workers = 2, .device = device});
  distill::AccuracyMeter meter;
  NoGradGuard no_grad;
  auto it = loader.epoch(0);
  while (auto batch = it.next()) meter.add(model->forward(batch->images), batch->labels);
  std::printf("%s on %s/%s (%lld images): top-1 %.2f%%  top-5 %.2f%%  mean entropy %.4f\n",
              a.model.c_str(), a.data.c_str(), a.split.c_str(), static_cast<long long>(meter.seen),
              meter.top1_pct(), meter.top5_pct(), meter.mean_entropy());
  return 0;
}

}  // namespace

Command add_eval(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  app.add_option("--weights", args->weights, "safetensors weights (e.g. from a run directory)")
      ->required()->check(CLI::ExistingFile);
  app.add_option("--model", args->model, "model name (cohort models)")->required();
  app.add_option("--data", args->data, "dataset name: cifar10, cifar100, mnist, ...")->required();
  app.add_option("--root", args->root, "dataset root (default $COHORT_DATA)");
  app.add_option("--split", args->split, "split to evaluate (default test)");
  app.add_option("--device", args->device, "auto, cpu, cuda or cuda:N");
  app.add_option("--batch-size", args->batch_size, "evaluation batch size")->check(CLI::PositiveNumber);
  app.add_option("--num-classes", args->num_classes, "classes of the model head (default: the dataset's)");
  return [args] { return run_eval(*args); };
}

}  // namespace cohort::cli
