#include "ops/op_registry.h"

namespace edgerun {

void register_quant_ops(OpRegistry& r) { (void)r; }

}  // namespace edgerun
