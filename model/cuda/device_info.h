// CUDA device discovery. The CUDA op folder mirrors model/cpu/ op by op as kernels land; until then the CUDA
// build only reports devices (no GPU op exists yet, so none is claimed).
#pragma once

#include <string>

namespace ascent {

// Number of visible CUDA devices, or -1 with the CUDA error in *error.
int cuda_device_count(std::string* error);

}  // namespace ascent
