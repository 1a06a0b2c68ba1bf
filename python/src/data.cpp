// cohort.data: datasets by name (datasets/factory.h) and the DataLoader as Python iterables.
// Batches are built by the loader's worker threads; the GIL is released while waiting for one.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "bindings.h"
#include "datasets/factory.h"
#include "datasets/loader.h"

namespace nb = nanobind;

namespace cohort::python {

namespace {

// A dataset with the registry name it was built from (normalisation statistics follow it).
struct PyDataset {
  std::shared_ptr<const data::Dataset> dataset;
  std::string kind;
  int channels = 3;
};

// One epoch of a DataLoader; yields (images f32 [B,C,H,W], labels i64 [B]).
struct PyEpoch {
  data::EpochIterator it;
};

struct PyLoader {
  std::shared_ptr<data::DataLoader> loader;
  int64_t next_epoch = 0;  // iter(loader) runs epochs 0, 1, 2, ... (reshuffled per epoch)
};

nb::tuple next_batch(PyEpoch& epoch) {
  std::optional<data::Batch> batch;
  {
    nb::gil_scoped_release unlocked;
    batch = epoch.it.next();
  }
  if (!batch) throw nb::stop_iteration();
  return nb::make_tuple(batch->images, batch->labels);
}

PyDataset load(const std::string& name, const std::string& split, std::optional<std::string> root,
               bool coarse_labels, int channels, int64_t synthetic_size, int64_t synthetic_classes,
               uint64_t seed) {
  data::DatasetOptions options;
  options.coarse_labels = coarse_labels;
  options.channels = channels;
  options.synthetic_size = synthetic_size;
  options.synthetic_classes = synthetic_classes;
  options.seed = seed;
  std::string where = root ? *root : data::data_root();
  return {data::make_dataset(name, where, split, options), name, channels};
}

}  // namespace

void bind_data(nb::module_& m) {
  nb::module_ d = m.def_submodule("data", "Datasets and the data loader (datasets/)");
  d.def("dataset_names", &data::dataset_names);

  nb::class_<PyDataset>(d, "Dataset")
      .def("__len__", [](const PyDataset& s) { return s.dataset->size(); })
      .def_prop_ro("num_classes", [](const PyDataset& s) { return s.dataset->num_classes(); })
      .def_prop_ro("name", [](const PyDataset& s) { return s.dataset->name(); })
      .def_prop_ro("class_names", [](const PyDataset& s) { return s.dataset->class_names(); })
      .def("__getitem__", [](const PyDataset& s, int64_t index) {
             data::Example ex = s.dataset->get(index);
             // The raw u8 image, height x width x channels (a copy).
             Tensor image = Tensor::empty({ex.image.h, ex.image.w, ex.image.c}, DType::u8);
             std::copy(ex.image.pixels.begin(), ex.image.pixels.end(), image.data<uint8_t>());
             return nb::make_tuple(image, ex.label);
           }, nb::arg("index"), "(image u8 [H, W, C], label)");

  d.def("load", &load, nb::arg("name"), nb::arg("split") = "train", nb::arg("root") = nb::none(),
        nb::arg("coarse_labels") = false, nb::arg("channels") = 3, nb::arg("synthetic_size") = 0,
        nb::arg("synthetic_classes") = 10, nb::arg("seed") = 0, release_gil(),
        "Dataset `name` (dataset_names()); root defaults to $COHORT_DATA");

  nb::class_<PyEpoch>(d, "Epoch")
      .def("__iter__", [](nb::handle self) { return self; })
      .def("__next__", &next_batch)
      .def_prop_ro("position", [](const PyEpoch& e) { return e.it.position(); });

  nb::class_<PyLoader>(d, "DataLoader")
      .def("__init__", [](PyLoader* self, const PyDataset& dataset, int64_t batch_size, bool shuffle,
                          bool drop_last, int num_workers, uint64_t seed, const std::string& device,
                          bool augment) {
             data::LoaderOptions options;
             options.batch_size = batch_size;
             options.shuffle = shuffle;
             options.drop_last = drop_last;
             options.num_workers = num_workers;
             options.seed = seed;
             options.device = Device::parse(device);
             std::shared_ptr<const data::Transform> transform;
             if (augment) transform = data::cifar_augmentation();
             data::Normalize normalize(data::normalization_for(dataset.kind, dataset.channels));
             new (self) PyLoader{std::make_shared<data::DataLoader>(dataset.dataset, transform, normalize,
                                                                    options)};
           }, nb::arg("dataset"), nb::arg("batch_size") = 128, nb::arg("shuffle") = true,
           nb::arg("drop_last") = false, nb::arg("num_workers") = 2, nb::arg("seed") = 0,
           nb::arg("device") = "cpu", nb::arg("augment") = false)
      .def("__len__", [](const PyLoader& l) { return l.loader->num_batches(); })
      .def("epoch", [](const PyLoader& l, int64_t epoch, int64_t start_batch) {
             return PyEpoch{l.loader->epoch(epoch, start_batch)};
           }, nb::arg("epoch"), nb::arg("start_batch") = 0)
      .def("__iter__", [](PyLoader& l) { return PyEpoch{l.loader->epoch(l.next_epoch++)}; });
}

}  // namespace cohort::python
