#include "examples/cli/dry_run.h"

#include <cstdio>

#include "distill/data_setup.h"
#include "examples/cli/config_yaml.h"
#include "layers/models/registry.h"

namespace cohort::cli {

namespace {

void print_model(const std::string& role, const std::string& name, const std::string& model,
                 const std::string& weights, const distill::RunData& data) {
  Generator gen(0);
  auto m = nn::make_model(model, data.num_classes, nn::ModelOptions{.in_channels = data.channels}, gen);
  std::printf("  %-10s %-20s %-12s %10.3fM parameters  %s\n", role.c_str(), name.c_str(), model.c_str(),
              static_cast<double>(m->num_parameters()) / 1e6,
              weights.empty() ? "(initialised from the seed)" : ("weights " + weights).c_str());
}

}  // namespace

int print_dry_run(const distill::RunConfig& cfg, Device device) {
  std::printf("# resolved config\n%s\n", dump_config(cfg).c_str());
  // The data decides the classifier width and input channels; the loaders start no workers yet.
  distill::RunData data = distill::make_run_data(cfg, Device::cpu());
  std::printf("data: %s, %lld training and %lld test images of %lldx%lldx%lld, %lld classes (%lld steps/epoch)\n",
              data.dataset.c_str(), static_cast<long long>(data.train->dataset().size()),
              static_cast<long long>(data.test->dataset().size()), static_cast<long long>(data.channels),
              static_cast<long long>(data.image_size), static_cast<long long>(data.image_size),
              static_cast<long long>(data.num_classes), static_cast<long long>(data.train->num_batches()));
  if (!data.note.empty()) std::printf("note: %s\n", data.note.c_str());
  std::printf("device: %s\nnetworks:\n", device.str().c_str());
  for (const distill::NetworkConfig& n : cfg.networks) print_model("network", n.name, n.model, n.weights, data);
  const distill::TeacherOptions* teacher = cfg.strategy.options_of(cfg.strategy.name).teacher_options();
  if (teacher && !teacher->model.empty())
    print_model("teacher", "teacher_" + teacher->model, teacher->model, teacher->weights, data);
  std::printf("dry run: nothing trained, nothing written\n");
  return 0;
}

}  // namespace cohort::cli
