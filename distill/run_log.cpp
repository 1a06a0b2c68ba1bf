#include "distill/run_log.h"

#include <filesystem>

#include "core/error.h"

namespace cohort::distill {

MetricsLog::MetricsLog(const std::string& dir, bool append) : path_(dir + "/metrics.jsonl") {
  std::filesystem::create_directories(dir);
  out_.open(path_, append ? std::ios::app : std::ios::trunc);
  if (!out_) throw IOError(fmt::format("cannot open '{}' for writing", path_));
}

void MetricsLog::write(const nlohmann::json& record) {
  out_ << record.dump() << '\n';
  out_.flush();
  if (!out_) throw IOError(fmt::format("writing '{}' failed", path_));
}

std::vector<nlohmann::json> read_metrics(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw IOError(fmt::format("cannot open metrics file '{}'", path));
  std::vector<nlohmann::json> out;
  std::string line;
  for (int64_t n = 1; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    try {
      out.push_back(nlohmann::json::parse(line));
    } catch (const nlohmann::json::exception& e) {
      throw IOError(fmt::format("metrics file '{}', line {}: {}", path, n, e.what()));
    }
  }
  return out;
}

void Throughput::start() {
  t0_ = Clock::now();
  images_ = 0;
}

void Throughput::tick(int64_t images) { images_ += images; }

double Throughput::images_per_second() const {
  double s = std::chrono::duration<double>(Clock::now() - t0_).count();
  return s > 0 ? static_cast<double>(images_) / s : 0.0;
}

double Throughput::eta_seconds(int64_t remaining_images) const {
  double rate = images_per_second();
  return rate > 0 ? static_cast<double>(remaining_images) / rate : 0.0;
}

std::string format_duration(double seconds) {
  auto s = static_cast<int64_t>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}h{:02d}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02d}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

std::string format_summary(const std::vector<SummaryRow>& rows) {
  size_t width = 7;
  for (const auto& r : rows) width = std::max(width, r.network.size());
  bool any_baseline = false;
  for (const auto& r : rows) any_baseline |= r.has_baseline;
  std::string header = fmt::format("{:<{}}  {:>8}  {:>9}  {:>6}  {:>10}  {:>10}  {:>8}", "network", width,
                                   "params", "best top1", "epoch", "final top1", "final top5", "entropy");
  if (any_baseline) header += fmt::format("  {:>8}  {:>6}", "baseline", "gain");
  std::string out = fmt::format("{}\n{}\n", header, std::string(header.size(), '-'));
  for (const auto& r : rows) {
    out += fmt::format("{:<{}}  {:>7.2f}M  {:>8.2f}%  {:>6}  {:>9.2f}%  {:>9.2f}%  {:>8.3f}", r.network, width,
                       static_cast<double>(r.parameters) / 1e6, r.best_top1, r.best_epoch,
                       r.final_top1, r.final_top5, r.final_entropy);
    if (r.has_baseline)
      out += fmt::format("  {:>7.2f}%  {:>+6.2f}", r.baseline_top1, r.best_top1 - r.baseline_top1);
    out += "\n";
  }
  return out;
}

}  // namespace cohort::distill
