#include "kernels/f32-conv/conv_scratch.h"

#include <vector>

namespace edgerun::kernels {

float* conv_scratch(ConvScratchSlot slot, size_t floats) {
  thread_local std::vector<float> buffers[static_cast<int>(ConvScratchSlot::kCount)];
  std::vector<float>& b = buffers[static_cast<int>(slot)];
  if (b.size() < floats) b.resize(floats);
  return b.data();
}

}  // namespace edgerun::kernels
