// The commit the `cohort` binary was built from (generated at build time by
// cmake/BuildCommit.cmake): "<40 hex digits>", with "+dirty" when tracked files had local changes,
// or "unknown" when built outside a git checkout. Printed by --version, written into run.json.
#pragma once

namespace cohort::cli {
const char* build_commit();
}  // namespace cohort::cli
