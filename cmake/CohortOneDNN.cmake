# oneDNN (Debian's libdnnl-dev, 2.x) runs the CPU convolutions (kernels/cpu/nn_conv_onednn.cpp).
# It is required like the other CPU dependencies: one CPU code path is built and tested
# everywhere, and the im2col reference stays selectable at run time (COHORT_CPU_CONV=reference).
#
# Found by path rather than through find_package(dnnl): Debian's dnnl-config.cmake insists on the
# OpenCL headers of oneDNN's GPU runtime, which cohort never uses (the library itself only needs
# the OpenCL loader, a dependency of the libdnnl2 package).
find_path(COHORT_DNNL_INCLUDE_DIR dnnl.hpp)
find_library(COHORT_DNNL_LIBRARY dnnl)
if(NOT COHORT_DNNL_INCLUDE_DIR OR NOT COHORT_DNNL_LIBRARY)
  message(FATAL_ERROR "cohort: oneDNN not found (dnnl.hpp and libdnnl); install the Debian package "
                      "libdnnl-dev (scripts/install-deps.sh does)")
endif()
file(STRINGS ${COHORT_DNNL_INCLUDE_DIR}/oneapi/dnnl/dnnl_version.h dnnl_major_line
     REGEX "#define DNNL_VERSION_MAJOR")
string(REGEX MATCH "[0-9]+" COHORT_DNNL_VERSION_MAJOR "${dnnl_major_line}")
if(NOT COHORT_DNNL_VERSION_MAJOR STREQUAL "2")
  # The 2.x API (operation descriptors) differs from 3.x (primitive descriptors take the shapes).
  message(FATAL_ERROR "cohort: oneDNN 2.x is required, found major version '${COHORT_DNNL_VERSION_MAJOR}' "
                      "in ${COHORT_DNNL_INCLUDE_DIR}")
endif()
message(STATUS "cohort: oneDNN ${COHORT_DNNL_VERSION_MAJOR}.x from ${COHORT_DNNL_LIBRARY}")
add_library(cohort_onednn INTERFACE)
target_include_directories(cohort_onednn SYSTEM INTERFACE ${COHORT_DNNL_INCLUDE_DIR})
target_link_libraries(cohort_onednn INTERFACE ${COHORT_DNNL_LIBRARY})
