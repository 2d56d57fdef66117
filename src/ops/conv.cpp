#include "ops/op_registry.h"

namespace edgerun {

void register_conv_ops(OpRegistry& r) { (void)r; }

}  // namespace edgerun
