# Distributed training (distributed/, docs/distributed.md): the communicator interface and the
# single-process backend always; the MPI backend when MPI is found (COHORT_MPI); the NCCL backend
# in the CUDA build when the toolkit has NCCL.
set(COHORT_MPI "AUTO" CACHE STRING "Build the MPI backend of distributed training: AUTO (when MPI is found), ON or OFF")
set_property(CACHE COHORT_MPI PROPERTY STRINGS AUTO ON OFF)

set(COHORT_WITH_MPI OFF)
if(NOT COHORT_MPI STREQUAL "OFF")
  set(MPI_CXX_SKIP_MPICXX ON)  # the C API only; no deprecated C++ bindings
  if(COHORT_MPI STREQUAL "ON")
    find_package(MPI REQUIRED COMPONENTS CXX)
  else()
    find_package(MPI QUIET COMPONENTS CXX)
  endif()
  if(MPI_CXX_FOUND)
    set(COHORT_WITH_MPI ON)
    message(STATUS "cohort: MPI backend ON (${MPIEXEC_EXECUTABLE})")
  else()
    message(STATUS "cohort: MPI backend OFF (no MPI found; install libopenmpi-dev openmpi-bin)")
  endif()
endif()

# mpirun flags for the tests: loopback TCP only (shared-memory transports fail in some
# containers), more ranks than cores allowed, no core binding, and root allowed (CI containers
# run as root; OpenMPI ignores the flag for other users).
set(COHORT_MPIEXEC_FLAGS --allow-run-as-root --oversubscribe --bind-to none --mca btl self,tcp
    --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo)

function(cohort_add_distributed target)
  file(GLOB dist_sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/distributed/*.cpp)
  target_sources(${target} PRIVATE ${dist_sources})
  if(COHORT_WITH_MPI)
    file(GLOB mpi_sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/distributed/mpi/*.cpp)
    target_sources(${target} PRIVATE ${mpi_sources})
    target_link_libraries(${target} PUBLIC MPI::MPI_CXX)
    target_compile_definitions(${target} PUBLIC COHORT_WITH_MPI=1)
  endif()
  if(COHORT_WITH_CUDA)
    # Only the header at build time: libnccl (over 200 MB) is loaded when the nccl backend is
    # first used (distributed/nccl/nccl_api.h), so binaries do not depend on it.
    find_path(NCCL_INCLUDE_DIR nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS} /usr/include)
    if(NCCL_INCLUDE_DIR)
      file(GLOB nccl_sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/distributed/nccl/*.cpp)
      target_sources(${target} PRIVATE ${nccl_sources})
      target_include_directories(${target} PRIVATE ${NCCL_INCLUDE_DIR})
      target_link_libraries(${target} PRIVATE ${CMAKE_DL_LIBS})
      target_compile_definitions(${target} PUBLIC COHORT_WITH_NCCL=1)
      message(STATUS "cohort: NCCL backend ON (nccl.h in ${NCCL_INCLUDE_DIR}; libnccl loaded at run time)")
    else()
      message(STATUS "cohort: NCCL backend OFF (nccl.h not found beside CUDA)")
    endif()
  endif()
endfunction()
