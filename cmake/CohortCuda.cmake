# COHORT_CUDA=AUTO|ON|OFF -> COHORT_WITH_CUDA, CUDA language, CUDA::cublas and cuDNN.
include(CheckLanguage)

set(COHORT_WITH_CUDA OFF)
if(NOT COHORT_CUDA STREQUAL "OFF")
  if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  check_language(CUDA)
  set(_cohort_cuda_ok OFF)
  if(CMAKE_CUDA_COMPILER)
    # Architectures: native when a GPU is visible at configure time, else sm_90 + PTX.
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      execute_process(COMMAND nvidia-smi -L RESULT_VARIABLE _smi OUTPUT_QUIET ERROR_QUIET)
      if(_smi EQUAL 0)
        set(CMAKE_CUDA_ARCHITECTURES native)
      else()
        set(CMAKE_CUDA_ARCHITECTURES 90)
      endif()
    endif()
    enable_language(CUDA)
    # .cu files include core headers, which are C++20 (defaulted comparisons). CMake 3.25 does
    # not know nvcc's C++20 flag (nvcc >= 12 has it), so teach it before asking for CUDA20.
    if(NOT CMAKE_CUDA20_STANDARD_COMPILE_OPTION AND CMAKE_CUDA_COMPILER_VERSION VERSION_GREATER_EQUAL 12.0)
      set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
      set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
      set(CMAKE_CUDA20_COMPILE_FEATURES cuda_std_20)
      list(APPEND CMAKE_CUDA_COMPILE_FEATURES cuda_std_20)
    endif()
    set(CMAKE_CUDA_STANDARD 20)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    find_package(CUDAToolkit REQUIRED)
    find_path(CUDNN_INCLUDE_DIR cudnn.h HINTS ${CUDAToolkit_INCLUDE_DIRS} /usr/include /usr/local/cuda/include
              PATH_SUFFIXES x86_64-linux-gnu)
    find_library(CUDNN_LIBRARY cudnn HINTS ${CUDAToolkit_LIBRARY_DIR} /usr/lib/x86_64-linux-gnu /usr/local/cuda/lib64)
    if(TARGET CUDA::cublas AND CUDNN_INCLUDE_DIR AND CUDNN_LIBRARY)
      set(_cohort_cuda_ok ON)
    endif()
  endif()
  if(_cohort_cuda_ok)
    set(COHORT_WITH_CUDA ON)
    message(STATUS "cohort: CUDA backend ON (nvcc ${CMAKE_CUDA_COMPILER_VERSION}, archs ${CMAKE_CUDA_ARCHITECTURES}, cuDNN ${CUDNN_LIBRARY})")
  elseif(COHORT_CUDA STREQUAL "ON")
    message(FATAL_ERROR "COHORT_CUDA=ON but nvcc, cuBLAS or cuDNN was not found "
                        "(nvcc: '${CMAKE_CUDA_COMPILER}', cudnn.h: '${CUDNN_INCLUDE_DIR}', libcudnn: '${CUDNN_LIBRARY}')")
  else()
    message(STATUS "cohort: CUDA backend OFF (nvcc, cuBLAS or cuDNN not found)")
  endif()
endif()

# The lab sources the product library ships (kernels/cuda/lab/shipped.h): the shipped version of
# each row family, the frame every version runs in, the finaliser. Every other lab file — the
# other versions, the registry, the cuDNN/cuBLAS baselines — is the cohort_lab library.
set(COHORT_LAB_SHIPPED_SOURCES
    ${CMAKE_SOURCE_DIR}/kernels/cuda/lab/lab_common.cu
    ${CMAKE_SOURCE_DIR}/kernels/cuda/lab/softmax_kl_shipped.cu
    ${CMAKE_SOURCE_DIR}/kernels/cuda/lab/cross_entropy_shipped.cu
    ${CMAKE_SOURCE_DIR}/kernels/cuda/lab/cohort_kl_shipped.cu)

# The flags every target with CUDA sources of the library compiles them with.
function(cohort_cuda_compile_options target)
  set_target_properties(${target} PROPERTIES CUDA_SEPARABLE_COMPILATION OFF)
  # fmt 9 turns its constexpr off under nvcc, which breaks its C++20 consteval format-string
  # checks in .cu files; nvcc 12+ handles fmt's constexpr code, so keep it on.
  target_compile_definitions(${target} PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:FMT_USE_CONSTEXPR=1>)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr -lineinfo -Xcompiler=-Wall,-Wextra>)
endfunction()

function(cohort_add_cuda_backend target)
  file(GLOB cuda_sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/kernels/cuda/*.cu
                                           ${CMAKE_SOURCE_DIR}/kernels/cuda/*.cpp)
  target_sources(${target} PRIVATE ${cuda_sources} ${COHORT_LAB_SHIPPED_SOURCES})
  target_compile_definitions(${target} PUBLIC COHORT_WITH_CUDA=1)
  target_include_directories(${target} PUBLIC ${CUDNN_INCLUDE_DIR})
  target_link_libraries(${target} PUBLIC CUDA::cudart CUDA::cublas ${CUDNN_LIBRARY})
  cohort_cuda_compile_options(${target})
endfunction()

# cohort_lab: every version of the lab kernels and their baselines (kernels/cuda/lab/lab.h), for
# the tests and benchmarks that compare them. Built like `cohort` (static, or shared with
# BUILD_SHARED_LIBS as in the GPU bundle).
function(cohort_add_lab_library)
  file(GLOB lab_sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/kernels/cuda/lab/*.cu
                                          ${CMAKE_SOURCE_DIR}/kernels/cuda/lab/*.cpp)
  list(REMOVE_ITEM lab_sources ${COHORT_LAB_SHIPPED_SOURCES})
  add_library(cohort_lab ${lab_sources})
  target_link_libraries(cohort_lab PUBLIC cohort)
  target_compile_options(cohort_lab PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra>)
  cohort_cuda_compile_options(cohort_lab)
endfunction()
