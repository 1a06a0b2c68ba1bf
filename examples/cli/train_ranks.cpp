#include "examples/cli/train_ranks.h"

#include <cstdio>
#include <sstream>

namespace cohort::cli {

namespace {

// The first line where a and b differ, as "line N: 'x' vs 'y'".
std::string first_difference(const std::string& a, const std::string& b) {
  std::istringstream sa(a), sb(b);
  std::string la, lb;
  for (int line = 1;; ++line) {
    const bool ga = static_cast<bool>(std::getline(sa, la)), gb = static_cast<bool>(std::getline(sb, lb));
    if (!ga && !gb) return "no line differs";
    if (!ga) la = "<end>";
    if (!gb) lb = "<end>";
    if (la != lb || !ga || !gb) return fmt::format("line {}: '{}' vs '{}'", line, la, lb);
  }
}

}  // namespace

void check_same_config(dist::Communicator& comm, const std::string& resolved_yaml) {
  const std::vector<std::string> all = comm.all_gather_bytes(resolved_yaml);
  for (size_t r = 1; r < all.size(); ++r)
    if (all[r] != all[0])
      throw dist::ConsistentError(fmt::format(
          "distributed: rank {}'s resolved config differs from rank 0's ({}); start every rank with the same "
          "--config and --set", r, first_difference(all[0], all[r])));
}

std::string share_from_rank0(dist::Communicator& comm, const std::function<std::string()>& prepare) {
  std::string message;  // "ok\n<result>" or "error\n<what>"
  if (comm.rank() == 0) {
    try {
      message = "ok\n" + prepare();
    } catch (const std::exception& e) {
      if (comm.size() == 1) throw;
      message = std::string("error\n") + e.what();
    }
  }
  if (comm.size() > 1) message = comm.broadcast_bytes(message, 0);
  const size_t nl = message.find('\n');
  if (message.substr(0, nl) == "error") throw dist::ConsistentError(message.substr(nl + 1));
  return message.substr(nl + 1);
}

std::string ranks_note(const dist::Communicator& comm) {
  if (comm.size() == 1) return "";
  return fmt::format(" (rank {} of {}, {})", comm.rank(), comm.size(), comm.backend());
}

int run_on_ranks(std::shared_ptr<dist::Communicator>& comm, const std::function<int()>& train) {
  try {
    return train();
  } catch (const dist::ConsistentError&) {
    throw;  // every rank stops with this message by itself
  } catch (const std::exception& e) {
    if (!comm || comm->size() == 1) throw;
    std::fprintf(stderr, "error: rank %d of %d: %s\n", comm->rank(), comm->size(), e.what());
    std::fflush(stderr);
    comm->abort(1);
    return 1;  // not reached: abort() ends the job
  }
}

}  // namespace cohort::cli
