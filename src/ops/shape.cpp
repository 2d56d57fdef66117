// Shape and data-movement ops. Each sub-family lives in its own src/ops/shape_<family>.cpp;
// this file only wires them into the registry.
#include "ops/op_registry.h"
#include "ops/shape_util.h"

namespace edgerun {

void register_shape_ops(OpRegistry& r) {
  shape_ops::register_view_ops(r);
  shape_ops::register_constant_ops(r);
  shape_ops::register_transpose_ops(r);
  shape_ops::register_concat_split_ops(r);
  shape_ops::register_slice_ops(r);
  shape_ops::register_pad_ops(r);
  shape_ops::register_expand_tile_ops(r);
  shape_ops::register_gather_ops(r);
  shape_ops::register_scatter_ops(r);
  shape_ops::register_select_ops(r);
}

}  // namespace edgerun
