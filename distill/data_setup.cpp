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

// Both splits hold examples of one image size: a model built for the training images would
// otherwise be evaluated on others (or fail deep inside a layer).
void check_splits_agree(const data::Dataset& train, const data::Dataset& test) {
  for (const data::Dataset* split : {&train, &test})
    if (split->size() == 0) throw IOError(fmt::format("dataset '{}' holds no examples", split->name()));
  const data::Image a = train.get(0).image, b = test.get(0).image;
  if (a.h != b.h || a.w != b.w || a.c != b.c)
    throw IOError(fmt::format("'{}' images are {}x{}x{} but '{}' images are {}x{}x{} ({} vs {}): the training "
                              "and test splits must have one image size", train.name(), a.h, a.w, a.c,
                              test.name(), b.h, b.w, b.c, train.describe(0), test.describe(0)));
}

}  // namespace

std::shared_ptr<data::Dataset> make_run_split(const RunConfig& cfg, const std::string& dataset,
                                              const std::string& split) {
  if (dataset != "synthetic") {
    // Market-1501's test identities are disjoint from the training ones, so classification
    // accuracy is measured on the training identities (re-ID CMC/mAP is future work).
    const std::string real_split = dataset == "market1501" && split == "test" ? "train" : split;
    return data::make_dataset(dataset, resolve_root(cfg.data), real_split);
  }
  data::DatasetOptions synthetic;
  synthetic.synthetic_classes = cfg.data.synthetic_classes;
  synthetic.seed = cfg.seed;
  synthetic.synthetic_size = split == "train" ? cfg.data.synthetic_train : cfg.data.synthetic_test;
  return data::make_dataset("synthetic", "", split, synthetic);
}

RunData make_run_data(const RunConfig& cfg, Device device) {
  const DataConfig& d = cfg.data;
  RunData out;
  std::shared_ptr<data::Dataset> train, test;
  out.dataset = d.dataset;
  if (d.dataset != "synthetic") {
    try {
      train = make_run_split(cfg, d.dataset, "train");
      test = d.dataset == "market1501" ? train : make_run_split(cfg, d.dataset, "test");  // one read
    } catch (const IOError& e) {
      if (!d.fallback_to_synthetic) throw;
      out.note = fmt::format("{} could not be loaded ({}); using the built-in synthetic dataset instead",
                             d.dataset, e.what());
      out.dataset = "synthetic";
    }
  }
  if (out.dataset == "synthetic") {
    train = make_run_split(cfg, "synthetic", "train");
    test = make_run_split(cfg, "synthetic", "test");
  }
  check_splits_agree(*train, *test);
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
