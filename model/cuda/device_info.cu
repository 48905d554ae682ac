#include "model/cuda/device_info.h"

#include <cuda_runtime.h>

namespace ascent {

int cuda_device_count(std::string* error) {
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    if (error) *error = cudaGetErrorString(e);
    return -1;
  }
  return n;
}

}  // namespace ascent
