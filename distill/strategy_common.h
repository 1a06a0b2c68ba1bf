// Pieces every strategy uses: building networks from the config, starting a stage's optimiser
// and schedule for a network, and the semi-supervised label mask.
#pragma once

#include <vector>

#include "distill/strategy.h"

namespace cohort::distill {

// Builds networks[i] of the config on `device` (weights from NetworkConfig::weights when given),
// initialised from Generator(seed + 1000·i) so a run is reproducible.
std::vector<Network> build_networks(const RunConfig& cfg, int64_t num_classes, int64_t in_channels,
                                    Device device);
// The teacher of kd/fitnet/fsp (strategy.teacher_model, weights from strategy.teacher_weights).
Network build_teacher(const RunConfig& cfg, const TeacherOptions& teacher, int64_t num_classes,
                      int64_t in_channels, Device device);

// Creates `net`'s optimiser over `params` (default: the model's parameters; lr: `lr` if > 0,
// else optimizer.lr) and an LrScheduler whose schedule spans the stage (in the schedule's unit).
void start_training(Network& net, const RunConfig& cfg, const StageSpec& stage,
                    const StageContext& ctx, double lr = 0.0, const NamedTensors* params = nullptr);
void stop_training(Network& net);

// A main-training stage: train.epochs epochs, or train.iterations iterations when set.
StageSpec main_stage(const RunConfig& cfg, const std::string& name);
// A stage of `length` units of the schedule (stage 1 of fitnet/fsp).
StageSpec schedule_unit_stage(const RunConfig& cfg, const std::string& name, int64_t length);

// Semi-supervised DML: whether dataset example `index` keeps its label. A fixed function of
// (seed, index) — the same samples are labelled in every epoch and on every machine.
bool is_labelled(uint64_t seed, int64_t index, double fraction);
// The batch's labels with unlabelled rows set to -100 (cross_entropy's ignore_index), and how
// many rows stay labelled. Uses only the host-side dataset indices (no device sync).
Tensor mask_unlabelled(const data::Batch& batch, uint64_t seed, double fraction, int64_t* labelled);

// optimizer.zero_grad(), backward of `loss`, optimizer.step().
void minimise(Network& net, const Tensor& loss);

}  // namespace cohort::distill
