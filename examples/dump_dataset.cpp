// Writes any cohort dataset of 32x32 RGB images (at most 256 classes) in the CIFAR-10 binary
// format: one record per example, <label byte><1024 R><1024 G><1024 B>. Useful to hand the
// synthetic set (or a converted folder) to other tools, e.g. PyTorch side-by-side runs.
//
//   dump_dataset NAME ROOT SPLIT OUT.bin [LIMIT]
//   dump_dataset synthetic "" train /tmp/synthetic_train.bin 10000
#include <cstdio>
#include <exception>
#include <fstream>
#include <string>
#include <vector>

#include "datasets/factory.h"

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s NAME ROOT SPLIT OUT.bin [LIMIT]\n", argv[0]);
    return 2;
  }
  try {
    auto ds = cohort::data::make_dataset(argv[1], argv[2], argv[3]);
    int64_t n = ds->size();
    if (argc > 5) n = std::min<int64_t>(n, std::stoll(argv[5]));
    std::ofstream out(argv[4], std::ios::binary);
    std::vector<uint8_t> record(1 + 3072);
    for (int64_t i = 0; i < n; ++i) {
      cohort::data::Example ex = ds->get(i);
      if (ex.image.h != 32 || ex.image.w != 32 || ex.image.c != 3 || ex.label < 0 || ex.label > 255) {
        std::fprintf(stderr, "%s: example %lld is %lldx%lldx%lld with label %lld; need 32x32x3 and 0..255\n",
                     argv[0], static_cast<long long>(i), static_cast<long long>(ex.image.h),
                     static_cast<long long>(ex.image.w), static_cast<long long>(ex.image.c),
                     static_cast<long long>(ex.label));
        return 1;
      }
      record[0] = static_cast<uint8_t>(ex.label);
      for (int p = 0; p < 1024; ++p) {
        for (int c = 0; c < 3; ++c) record[1 + c * 1024 + p] = ex.image.pixels[static_cast<size_t>(3 * p + c)];
      }
      out.write(reinterpret_cast<const char*>(record.data()), static_cast<std::streamsize>(record.size()));
    }
    if (!out) {
      std::fprintf(stderr, "%s: write error on %s\n", argv[0], argv[4]);
      return 1;
    }
    std::printf("wrote %lld examples of %s/%s to %s\n", static_cast<long long>(n), argv[1], argv[3], argv[4]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 1;
  }
  return 0;
}
