// cohort_mpi_tests: Catch2 tests that run on every rank of `mpirun -np P` (tests/CMakeLists.txt
// starts them with P = 2 and 3). Every rank runs the same test cases in the same order, so their
// collectives match; a failure on any rank makes mpirun's exit status non-zero.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

int main(int argc, char** argv) { return Catch::Session().run(argc, argv); }
