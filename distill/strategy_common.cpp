#include "distill/strategy_common.h"

#include <cstdio>

#include "core/random.h"
#include "distill/build.h"
#include "kernels/common/philox.h"
#include "layers/models/zoo_formats.h"

namespace cohort::distill {

namespace {

Network build_one(const std::string& model_name, const std::string& name, const std::string& weights,
                  int64_t num_classes, int64_t in_channels, Device device, uint64_t seed) {
  Network net;
  net.name = name;
  net.model_name = model_name;
  Generator gen(seed);
  const nn::ModelOptions options{.in_channels = in_channels};
  if (weights.empty()) {
    net.model = nn::make_model(model_name, num_classes, options, gen);
  } else {
    // Weights from another zoo load through a detected key mapping (layers/models/zoo_formats.h).
    nn::PretrainedModel loaded = nn::load_pretrained(model_name, num_classes, options, gen, weights);
    net.model = loaded.model;
    for (const std::string& note : loaded.report.notes) std::printf("note: %s\n", note.c_str());
  }
  net.model->to(device);
  return net;
}

}  // namespace

std::vector<Network> build_networks(const RunConfig& cfg, int64_t num_classes, int64_t in_channels,
                                    Device device) {
  std::vector<Network> nets;
  for (size_t i = 0; i < cfg.networks.size(); ++i) {
    const NetworkConfig& n = cfg.networks[i];
    nets.push_back(build_one(n.model, n.name.empty() ? fmt::format("{}_{}", n.model, i) : n.name,
                             n.weights, num_classes, in_channels, device, cfg.seed + 1000 * (i + 1)));
  }
  return nets;
}

Network build_teacher(const RunConfig& cfg, const TeacherOptions& teacher, int64_t num_classes,
                      int64_t in_channels, Device device) {
  return build_one(teacher.model, "teacher_" + teacher.model, teacher.weights, num_classes, in_channels, device,
                   cfg.seed + 999);
}

StageSpec main_stage(const RunConfig& cfg, const std::string& name) {
  if (cfg.train.iterations > 0) return {name, cfg.train.iterations, true};
  return {name, cfg.train.epochs, false};
}

StageSpec schedule_unit_stage(const RunConfig& cfg, const std::string& name, int64_t length) {
  return {name, length, cfg.schedule.unit == "iteration"};
}

void start_training(Network& net, const RunConfig& cfg, const StageSpec& stage,
                    const StageContext& ctx, double lr, const NamedTensors* params) {
  net.optimizer = make_optimizer(cfg.optimizer, params ? *params : net.model->named_parameters(),
                                 lr > 0 ? lr : cfg.optimizer.lr);
  // The schedule's length in its own unit.
  const bool sched_iters = cfg.schedule.unit == "iteration";
  int64_t length = stage.length;
  if (sched_iters && !stage.iterations) length = stage.length * ctx.steps_per_epoch;
  if (!sched_iters && stage.iterations)
    length = (stage.length + ctx.steps_per_epoch - 1) / std::max<int64_t>(1, ctx.steps_per_epoch);
  net.scheduler = std::make_unique<optim::LrScheduler>(*net.optimizer, make_schedule(cfg.schedule, length));
}

void stop_training(Network& net) {
  net.scheduler.reset();
  net.optimizer.reset();
}

bool is_labelled(uint64_t seed, int64_t index, double fraction) {
  if (fraction >= 1.0) return true;
  // A dedicated Philox key (seed mixed with a constant) so the mask is independent of the
  // model-initialisation and augmentation streams.
  return philox::uniform_f64(seed ^ 0x5EED1ABE11EDull, 0, static_cast<uint64_t>(index)) < fraction;
}

Tensor mask_unlabelled(const data::Batch& batch, uint64_t seed, double fraction, int64_t* labelled) {
  // The pinned host copy when the batch went to a GPU: reading it needs no device sync.
  const Tensor& host = batch.host_labels.defined() ? batch.host_labels : batch.labels;
  std::vector<int64_t> labels = host.to_vector<int64_t>();
  int64_t kept = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (is_labelled(seed, batch.indices[i], fraction)) ++kept;
    else labels[i] = -100;
  }
  if (labelled) *labelled = kept;
  return Tensor::from_vector(labels, {static_cast<int64_t>(labels.size())}, batch.labels.device());
}

std::vector<Tensor> Strategy::predict(const Tensor& images) {
  std::vector<Tensor> logits;
  for (Network* n : evaluated()) logits.push_back(n->model->forward(images));
  return logits;
}

void minimise(Network& net, const Tensor& loss) {
  net.optimizer->zero_grad();
  loss.backward();
  net.optimizer->step();
}

}  // namespace cohort::distill
