// Per-thread float scratch for the conv drivers (im2col tiles, Winograd blocks). Grows on first use on
// each thread and is then reused, so steady-state runs allocate nothing. One buffer per slot so that a
// driver's buffer is never clobbered by another conv helper it calls.
#pragma once

#include <cstddef>

namespace edgerun::kernels {

// kQuantInput / kQuantOutput: the int8 depthwise conv's float planes (ops/quant_conv.cpp); kChainExpanded /
// kChainDepthwise: the bands of com.edgerun.ConvChain (ops/conv_chain.cpp).
enum class ConvScratchSlot {
  kIm2col, kWinogradV, kDirectInput, kPixelRows, kQuantInput, kQuantOutput, kChainExpanded, kChainDepthwise, kCount
};

float* conv_scratch(ConvScratchSlot slot, size_t floats);

}  // namespace edgerun::kernels
