// cohort eval --weights FILE... --model NAME... --data DATASET [--root DIR] [--split test] [--device D]
// cohort eval --run DIR [--split test] [--device D]
// Several networks: each one, then their ensemble (the mean of their probabilities).
// --limit N evaluates the first N images; --dump-logits FILE writes every network's logits.
#include <filesystem>

#include "core/autograd.h"
#include "datasets/factory.h"
#include "datasets/loader.h"
#include "datasets/subset.h"
#include "distill/data_setup.h"
#include "distill/device.h"
#include "distill/metrics.h"
#include "examples/cli/commands.h"
#include "examples/cli/logits_file.h"
#include "examples/cli/run_files.h"
#include "layers/models/registry.h"
#include "layers/models/zoo_formats.h"

namespace cohort::cli {

namespace {

struct EvalArgs {
  std::vector<std::string> weights, models;
  std::string run, data, root, split = "test", device = "auto", dump_logits, weights_format = "auto";
  int64_t batch_size = 256, num_classes = 0, limit = 0;
  bool allow_non_finite = false;
};

struct EvalNet {
  std::string label;  // "name (where its weights came from)"
  std::string name;
  std::shared_ptr<nn::Model> model;
};

// What is evaluated on what.
struct EvalSetup {
  std::vector<EvalNet> nets;
  std::shared_ptr<const data::Dataset> dataset;
  std::string data_name;
};

std::shared_ptr<nn::Model> build_model(const std::string& name, int64_t classes, int64_t channels) {
  Generator gen(0);  // every weight is overwritten by the file
  return nn::make_model(name, classes, nn::ModelOptions{.in_channels = channels}, gen);
}


EvalSetup from_files(const EvalArgs& a) {
  if (a.weights.empty() || a.models.empty() || a.data.empty())
    throw ValueError("eval: give --weights, --model and --data, or --run DIR");
  // One --model for all weights, or one per weights file.
  if (a.models.size() != 1 && a.models.size() != a.weights.size())
    throw ValueError(fmt::format("eval: {} --weights but {} --model (give one model for all, or one per weights file)",
                                 a.weights.size(), a.models.size()));
  EvalSetup s;
  s.data_name = a.data;
  s.dataset = data::make_dataset(a.data, a.root.empty() ? data::data_root() : a.root, a.split);
  const int64_t channels = s.dataset->get(0).image.c;
  for (size_t i = 0; i < a.weights.size(); ++i) {
    const std::string& model_name = a.models.size() == 1 ? a.models[0] : a.models[i];
    Generator gen(0);  // every weight is overwritten by the file
    nn::PretrainedModel loaded =
        nn::load_pretrained(model_name, a.num_classes > 0 ? a.num_classes : s.dataset->num_classes(),
                            nn::ModelOptions{.in_channels = channels}, gen, a.weights[i], a.weights_format,
                            a.allow_non_finite);
    for (const std::string& note : loaded.report.notes) std::printf("note: %s\n", note.c_str());
    // Named by the file ("cnn-small_0" for run/cnn-small_0.safetensors), by position if that repeats.
    std::string name = std::filesystem::path(a.weights[i]).stem().string();
    for (const EvalNet& other : s.nets)
      if (other.name == name) name = fmt::format("{}#{}", name, i);
    s.nets.push_back({fmt::format("{} ({})", loaded.model->name(), a.weights[i]), name, loaded.model});
  }
  return s;
}

// The run's networks on the data it trained on (or --data), through its config.
EvalSetup from_run(const EvalArgs& a) {
  if (!a.weights.empty() || !a.models.empty() || a.num_classes > 0)
    throw ValueError("eval: --run DIR takes its networks from the run; drop --weights, --model and --num-classes");
  distill::RunConfig cfg = read_run_config(a.run);
  EvalSetup s;
  if (!a.root.empty()) cfg.data.root = a.root;
  s.data_name = a.data.empty() ? run_dataset(a.run, cfg) : a.data;
  s.dataset = distill::make_run_split(cfg, s.data_name, a.split);
  // The run's own evaluation limit, unless --limit says otherwise.
  const int64_t run_limit = a.split == "train" ? cfg.data.train_limit : cfg.data.test_limit;
  if (a.limit == 0 && run_limit > 0) s.dataset = data::first_n(s.dataset, run_limit);
  const int64_t channels = s.dataset->get(0).image.c;
  for (const distill::NetworkConfig& n : cfg.networks) {
    auto model = build_model(n.model, s.dataset->num_classes(), channels);
    NetworkWeights w = run_network_weights(a.run, n.name);
    if (!a.allow_non_finite) nn::check_finite(w.tensors, w.source);
    NamedTensors state(w.tensors.begin(), w.tensors.end());
    try {
      model->load_state_dict(state, /*strict=*/true);
    } catch (const ValueError& e) {
      throw ValueError(fmt::format("eval --run: network '{}' from '{}': {}", n.name, w.source, e.what()));
    }
    s.nets.push_back({fmt::format("{} ({})", n.name, w.source), n.name, model});
  }
  return s;
}

void print_line(const std::string& label, const EvalSetup& s, const std::string& split,
                const distill::AccuracyMeter& m) {
  std::printf("%s on %s/%s (%lld images): top-1 %.2f%%  top-5 %.2f%%  mean entropy %.4f\n", label.c_str(),
              s.data_name.c_str(), split.c_str(), static_cast<long long>(m.seen), m.top1_pct(), m.top5_pct(),
              m.mean_entropy());
}

int run_eval(const EvalArgs& a) {
  if (!a.dump_logits.empty()) check_logits_path(a.dump_logits);
  EvalSetup s = a.run.empty() ? from_files(a) : from_run(a);
  Device device = distill::resolve_device(a.device);
  if (a.limit > 0) s.dataset = data::first_n(s.dataset, a.limit);
  const int64_t channels = s.dataset->get(0).image.c;
  for (EvalNet& n : s.nets) {
    n.model->to(device);
    n.model->eval();
  }
  data::DataLoader loader(s.dataset, nullptr, data::Normalize(data::normalization_for(s.data_name, channels)),
                          {.batch_size = a.batch_size, .shuffle = false, .num_workers = 2, .device = device});
  std::vector<distill::AccuracyMeter> meters(s.nets.size());
  distill::AccuracyMeter ensemble;  // the mean of the networks' probabilities
  Logits dump;
  dump.dataset = s.data_name, dump.split = a.split;
  dump.values.resize(s.nets.size());
  for (const EvalNet& n : s.nets) dump.networks.push_back(n.name);
  NoGradGuard no_grad;
  auto it = loader.epoch(0);
  while (auto batch = it.next()) {
    std::vector<Tensor> logits;
    for (size_t k = 0; k < s.nets.size(); ++k) {
      logits.push_back(s.nets[k].model->forward(batch->images));
      meters[k].add(logits.back(), batch->labels);
      if (a.dump_logits.empty()) continue;
      std::vector<float> v = logits.back().to(Device::cpu()).to_vector<float>();
      dump.values[k].insert(dump.values[k].end(), v.begin(), v.end());
      dump.classes = logits.back().size(1);
    }
    if (!a.dump_logits.empty()) {
      std::vector<int64_t> labels = batch->labels.to(Device::cpu()).to_vector<int64_t>();
      dump.labels.insert(dump.labels.end(), labels.begin(), labels.end());
    }
    if (s.nets.size() > 1) ensemble.add(distill::ensemble_log_probs(logits), batch->labels);
  }
  for (size_t k = 0; k < s.nets.size(); ++k) print_line(s.nets[k].label, s, a.split, meters[k]);
  if (s.nets.size() > 1) print_line(fmt::format("ensemble of {} networks", s.nets.size()), s, a.split, ensemble);
  if (!a.dump_logits.empty()) {
    write_logits(a.dump_logits, dump);
    std::printf("logits: %s\n", a.dump_logits.c_str());
  }
  return 0;
}

}  // namespace

Command add_eval(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  // Sizes: at least 1 (0 is not "the default" here: a typo must not evaluate something else).
  const CLI::Range positive(int64_t{1}, std::numeric_limits<int64_t>::max(), "POSITIVE");
  app.add_option("--weights", args->weights,
                 "safetensors weights (e.g. <run>/<network>.safetensors); several: also their ensemble")
      ->check(CLI::ExistingFile);
  app.add_option("--model", args->models, "model name(s) (cohort models): one for all weights, or one each");
  app.add_option("--run", args->run, "a run directory: its networks (final weights, else the checkpoint's) "
                                     "on its dataset, from its config.yaml")
      ->check(CLI::ExistingDirectory);
  app.add_option("--data", args->data, "dataset name: cifar10, cifar100, mnist, ... (with --run: the run's)");
  app.add_option("--root", args->root, "dataset root (default $COHORT_DATA)");
  app.add_option("--split", args->split, "split to evaluate (default test)");
  app.add_option("--device", args->device, "auto, cpu, cuda or cuda:N");
  app.add_option("--batch-size", args->batch_size, "evaluation batch size (default 256)")->check(positive);
  app.add_option("--num-classes", args->num_classes, "classes of the model head (default: the dataset's)")
      ->check(positive);
  app.add_option("--limit", args->limit, "evaluate only the first N images")->check(positive);
  app.add_option("--weights-format", args->weights_format,
                 "names in the weights files: auto (detected), cohort, repdistiller, wrn-flat, mobilenet-flat")
      ->check(CLI::IsMember(nn::zoo_format_names()));
  app.add_option("--dump-logits", args->dump_logits, "write the logits to FILE (.safetensors or .npy)");
  app.add_flag("--allow-non-finite", args->allow_non_finite,
               "load weights holding NaN/inf values (refused by default) to inspect them");
  return [args] { return run_eval(*args); };
}

}  // namespace cohort::cli
