# OpenBLAS, the OpenMP build: a GEMM called from inside an OpenMP parallel region then runs on one thread,
# so our per-head attention GEMMs neither oversubscribe the cores nor depend on scheduling (deterministic).
# Debian ships it as libopenblas-openmp-dev beside the pthread build; we pick the OpenMP one by path.
set(_blas_arch_dir /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE})
find_path(OPENBLAS_INCLUDE_DIR cblas.h
  HINTS /usr/include/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp
  NO_DEFAULT_PATH)
find_library(OPENBLAS_LIBRARY NAMES openblas
  HINTS ${_blas_arch_dir}/openblas-openmp
  NO_DEFAULT_PATH)
if(NOT OPENBLAS_INCLUDE_DIR OR NOT OPENBLAS_LIBRARY)
  message(FATAL_ERROR "OpenBLAS (OpenMP build) not found: run scripts/install_deps.sh (libopenblas-openmp-dev)")
endif()
add_library(ascent_blas INTERFACE)
target_include_directories(ascent_blas INTERFACE ${OPENBLAS_INCLUDE_DIR})
target_link_libraries(ascent_blas INTERFACE ${OPENBLAS_LIBRARY} OpenMP::OpenMP_CXX)
message(STATUS "ascent: BLAS ${OPENBLAS_LIBRARY}")
