#include "distill/data_setup.h"

#include <filesystem>

#include "datasets/factory.h"
#include "datasets/subset.h"

namespace cohort::distill {

namespace {

std::string resolve_root(const DataConfig& d) {
  if (!d.root.empty() && std::filesystem::path(d.root).is_absolute()) return d.root;
  std::string base = data::data_root();
  if (d.root.empty()) return base;
  return base.empty() ? d.root : base + "/" + d.root;
}

}  // namespace

RunData make_run_data(const RunConfig& cfg, Device device) {
  const DataConfig& d = cfg.data;
  RunData out;
  std::shared_ptr<data::Dataset> train, test;
  out.dataset = d.dataset;
  data::DatasetOptions synthetic;
  synthetic.synthetic_classes = d.synthetic_classes;
  synthetic.seed = cfg.seed;
  if (d.dataset != "synthetic") {
    try {
      std::string root = resolve_root(d);
      train = data::make_dataset(d.dataset, root, "train");
      // Market-1501's test identities are disjoint from the training ones, so classification
      // accuracy is measured on the training identities (re-ID CMC/mAP is future work).
      test = d.dataset == "market1501" ? train : data::make_dataset(d.dataset, root, "test");
    } catch (const IOError& e) {
      if (!d.fallback_to_synthetic) throw;
      out.note = fmt::format("{} not found ({}); using the built-in synthetic dataset instead",
                             d.dataset, e.what());
      out.dataset = "synthetic";
    }
  }
  if (out.dataset == "synthetic") {
    synthetic.synthetic_size = d.synthetic_train;
    train = data::make_dataset("synthetic", "", "train", synthetic);
    synthetic.synthetic_size = d.synthetic_test;
    test = data::make_dataset("synthetic", "", "test", synthetic);
  }
  out.num_classes = train->num_classes();
  data::Example first = train->get(0);
  out.channels = first.image.c;
  out.image_size = first.image.h;

  std::shared_ptr<const data::Transform> augment;
  if (d.augment) {
    auto mode = d.pad_mode == "zero" ? data::PadMode::zero : data::PadMode::reflect;
    std::vector<std::shared_ptr<const data::Transform>> steps;
    if (d.crop_padding > 0)
      steps.push_back(std::make_shared<data::RandomCrop>(out.image_size, first.image.w, d.crop_padding, mode));
    // A flip changes a synthetic grating's orientation, i.e. its class (datasets/synthetic.h).
    if (d.flip && out.dataset != "synthetic")
      steps.push_back(std::make_shared<data::RandomHorizontalFlip>(0.5));
    augment = std::make_shared<data::Compose>(std::move(steps));
  }
  data::Normalize normalize(data::normalization_for(out.dataset, out.channels));
  const int workers = static_cast<int>(d.workers);
  out.train = std::make_unique<data::DataLoader>(
      data::first_n(train, d.train_limit), augment, normalize,
      data::LoaderOptions{.batch_size = d.batch_size, .shuffle = true, .drop_last = false,
                          .num_workers = workers, .prefetch = 0, .seed = cfg.seed, .device = device});
  out.test = std::make_unique<data::DataLoader>(
      data::first_n(test, d.test_limit), nullptr, normalize,
      data::LoaderOptions{.batch_size = d.eval_batch_size, .shuffle = false, .drop_last = false,
                          .num_workers = workers, .prefetch = 0, .seed = cfg.seed, .device = device});
  return out;
}

}  // namespace cohort::distill
