// Helpers shared by op implementations: axis normalization and numpy-style broadcasting.
#pragma once

#include <cstdint>
#include <vector>

#include "edgerun/status.h"
#include "edgerun/tensor.h"

namespace edgerun {

// Maps a possibly negative axis into [0, rank); error if out of range.
Expected<int> normalize_axis(int64_t axis, int rank);

// Numpy/ONNX multidirectional broadcast of several shapes.
Expected<Shape> broadcast_shapes(const std::vector<Shape>& shapes);

// Row-major strides of `shape` (in elements).
std::vector<int64_t> contiguous_strides(const Shape& shape);

// Strides of an input of shape `in` broadcast to `out` (0 along broadcast dims),
// expressed in `out`'s rank. `in` must be broadcast-compatible with `out`.
std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out);

// Iterates the output of a broadcast op: for each output element (row-major), the flat
// offsets into each input. Reference-speed; fine for small tensors and as an oracle.
class BroadcastIterator {
 public:
  BroadcastIterator(const Shape& out, const std::vector<Shape>& inputs);
  // Calls fn(out_index, in_offsets) for every output element.
  template <class Fn>
  void for_each(Fn&& fn) const;

 private:
  Shape out_;
  std::vector<std::vector<int64_t>> strides_;
};

template <class Fn>
void BroadcastIterator::for_each(Fn&& fn) const {
  const int64_t n = shape_numel(out_);
  const size_t rank = out_.size();
  const size_t k = strides_.size();
  std::vector<int64_t> idx(rank, 0);
  std::vector<int64_t> off(k, 0);
  for (int64_t o = 0; o < n; ++o) {
    fn(o, off);
    for (size_t d = rank; d-- > 0;) {
      ++idx[d];
      for (size_t j = 0; j < k; ++j) off[j] += strides_[j][d];
      if (idx[d] < out_[d]) break;
      for (size_t j = 0; j < k; ++j) off[j] -= strides_[j][d] * idx[d];
      idx[d] = 0;
    }
  }
}

// Reads element i of an integer tensor (int32/int64/uint8/...) as int64.
int64_t read_int(const Tensor& t, int64_t i);
// Reads all elements of an integer tensor as int64 (shape/axes/pads inputs).
std::vector<int64_t> read_ints(const Tensor& t);
// Reads element i of a float-ish tensor (float32/float64/float16/ints) as double.
double read_double(const Tensor& t, int64_t i);

}  // namespace edgerun
