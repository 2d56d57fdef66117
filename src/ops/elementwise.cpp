// The element-wise op family; the kernels live in ew_unary.cpp, ew_binary.cpp and ew_misc.cpp.
#include "ops/ew_common.h"
#include "ops/op_registry.h"

namespace edgerun {

void register_elementwise_ops(OpRegistry& r) {
  ew::register_unary_ops(r);
  ew::register_binary_ops(r);
  ew::register_misc_ops(r);
}

}  // namespace edgerun
