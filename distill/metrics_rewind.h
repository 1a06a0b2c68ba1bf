// Rewinding metrics.jsonl to a checkpoint: a run killed in the middle of an epoch logged records
// past its last checkpoint; the resumed run logs those steps again, so they must go first (else
// they repeat, and a plot by position runs past the last epoch).
#pragma once

#include <cstdint>
#include <string>

namespace cohort::distill {

// Keeps the records of `path` whose "step" is at most `step`, except "summary" records (a run
// that goes on has no summary yet); drops records without a step and a torn last line (a kill
// while writing). Rewritten atomically; a missing file is left missing. Returns the number of
// records dropped. A malformed line before the last is an IOError naming the file and line.
int64_t rewind_metrics(const std::string& path, int64_t step);

}  // namespace cohort::distill
