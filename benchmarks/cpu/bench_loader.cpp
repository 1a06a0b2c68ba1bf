// Data-loader throughput (images/s): CIFAR-100 train, RandomCrop(32, pad 4, reflect) +
// RandomHorizontalFlip + normalisation to f32 NCHW, batch 128, for several worker counts.
// Falls back to the synthetic dataset (generated on the fly, so slower) when $COHORT_DATA has no
// cifar-100-binary/, and says so.
//
//   bench_loader [--epochs N] [--workers 0,1,2,4] [--batch 128]
// Each configuration runs N full epochs (default 3) after one warm-up epoch and reports the
// median epoch throughput and the best.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "datasets/factory.h"
#include "datasets/loader.h"

using namespace cohort::data;

namespace {

std::vector<int> parse_list(const std::string& s) {
  std::vector<int> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    out.push_back(std::stoi(s.substr(start, comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

double epoch_seconds(const DataLoader& loader, int64_t epoch, int64_t& images) {
  auto t0 = std::chrono::steady_clock::now();
  images = 0;
  for (Batch& b : loader.epoch(epoch)) images += b.images.size(0);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  int epochs = 3;
  int64_t batch = 128;
  std::vector<int> workers{0, 1, 2, 4};
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--epochs") epochs = std::stoi(argv[i + 1]);
    else if (a == "--workers") workers = parse_list(argv[i + 1]);
    else if (a == "--batch") batch = std::stoll(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: %s [--epochs N] [--workers 0,1,2,4] [--batch 128]\n", argv[0]);
      return 2;
    }
  }
  try {
    std::string root = data_root();
    std::string name = "cifar100";
    if (root.empty() || !std::filesystem::exists(std::filesystem::path(root) / "cifar-100-binary")) {
      std::printf("NOTE: $COHORT_DATA has no cifar-100-binary/: measuring the SYNTHETIC dataset instead "
                  "(images generated on the fly, ~30 us each)\n");
      name = "synthetic";
    }
    auto t0 = std::chrono::steady_clock::now();
    std::shared_ptr<Dataset> ds = make_dataset(name, root, "train");
    double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("dataset %s: %lld images, loaded in %.2f s; transform %s; batch %lld; %u hardware threads\n",
                ds->name().c_str(), static_cast<long long>(ds->size()), load_s,
                name == "synthetic" ? "RandomCrop(32x32, padding=4, reflect)" : cifar_augmentation()->str().c_str(), static_cast<long long>(batch),
                std::thread::hardware_concurrency());
    std::printf("\n| workers | median images/s | best images/s | epochs |\n|---:|---:|---:|---:|\n");
    for (int w : workers) {
      LoaderOptions o;
      o.batch_size = batch;
      o.num_workers = w;
      o.seed = 1;
      // CIFAR augmentation for CIFAR; the synthetic set is only cropped (a flip changes its class).
      std::shared_ptr<Compose> aug = cifar_augmentation(PadMode::reflect);
      if (name == "synthetic") {
        aug = std::make_shared<Compose>();
        aug->add(std::make_shared<RandomCrop>(32, 32, 4, PadMode::reflect));
      }
      DataLoader loader(ds, aug, Normalize(normalization_for(name)), o);
      int64_t images = 0;
      epoch_seconds(loader, 0, images);  // warm-up: page cache, allocator, thread start
      std::vector<double> rates;
      for (int e = 1; e <= epochs; ++e) {
        double s = epoch_seconds(loader, e, images);
        rates.push_back(static_cast<double>(images) / s);
      }
      std::sort(rates.begin(), rates.end());
      std::printf("| %d | %.0f | %.0f | %d |\n", w, rates[rates.size() / 2], rates.back(), epochs);
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_loader: %s\n", e.what());
    return 1;
  }
  return 0;
}
