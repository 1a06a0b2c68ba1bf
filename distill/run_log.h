// What a run leaves behind and shows: metrics.jsonl (one JSON object per line, appended and
// flushed as it goes, so a crashed run keeps what it logged), the terminal progress line
// (epoch, step, loss, images/s, ETA) and the final summary table.
#pragma once

#include <chrono>
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace cohort::distill {

class MetricsLog {
 public:
  // Opens <dir>/metrics.jsonl.
  // `append`: continue the file (a resumed run); otherwise start it afresh.
  MetricsLog(const std::string& dir, bool append);
  void write(const nlohmann::json& record);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::ofstream out_;
};

// Reads every record of a metrics.jsonl file (for baselines and plots); IOError names the line.
std::vector<nlohmann::json> read_metrics(const std::string& path);

// Images/s and ETA over a sliding window of steps.
class Throughput {
 public:
  void start();
  void tick(int64_t images);
  double images_per_second() const;
  // Seconds left for `remaining_images` at the current rate.
  double eta_seconds(int64_t remaining_images) const;

 private:
  using Clock = std::chrono::steady_clock;
  Clock::time_point t0_;
  int64_t images_ = 0;
};

std::string format_duration(double seconds);  // "1h02m", "3m05s", "42s"

struct SummaryRow {
  std::string network;
  int64_t parameters = 0;
  double best_top1 = 0.0;
  int64_t best_epoch = 0;
  double final_top1 = 0.0;
  double final_top5 = 0.0;
  double final_entropy = 0.0;
  bool has_baseline = false;
  double baseline_top1 = 0.0;  // best top-1 of the same network in the baseline run
};

// The final table: each network's params, best/final top-1, entropy and gain over the baseline.
std::string format_summary(const std::vector<SummaryRow>& rows);

}  // namespace cohort::distill
