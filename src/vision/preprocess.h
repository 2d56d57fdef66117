// Internal pieces of preprocessing, exposed for tests: the per-axis resampling weights behind resize_bilinear.
#pragma once

#include <vector>

#include "edgerun/vision.h"

namespace edgerun::vision {

// For each output index o along one axis: source pixels [start[o], start[o] + count[o]) with weights
// weights[o * taps + k] (normalized to sum 1). PIL's triangle filter: support = max(1, in/out) source pixels on
// each side of the output pixel's center (in + 0.5) * in/out.
struct ResampleWeights {
  int taps = 0;                 // max count
  std::vector<int> start;       // [out]
  std::vector<int> count;       // [out]
  std::vector<double> weights;  // [out, taps]
};

ResampleWeights compute_resample_weights(int in_size, int out_size);

// Where the reference preprocessing puts the crop and how long the resized long side is. The shared reference
// inputs and accuracy numbers were made with the common hand-written PIL recipe:
//   img.resize((round(w * s), round(h * s)), BILINEAR) with s = 256 / min(w, h)   (Python round: half to even)
//   left = (width - 224) // 2, top = (height - 224) // 2
// torchvision's Resize/CenterCrop truncate the long side and round the offset instead; the two differ by a pixel
// for some sizes. Measured on images/imagenet-samples with the fp32 MobileNetV2 (whose outputs match ONNX Runtime
// exactly on its test sets): this recipe gives ORT's published 37/40 top-1, the torchvision one 36/40.
int center_crop_offset(int in_size, int out_size);                 // floor((in - out) / 2)
int scaled_long_side(int long_side, int short_side, int shorter);  // round_half_even(long * shorter / short)

}  // namespace edgerun::vision
