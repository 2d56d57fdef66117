// Fuses the layer normalization that exporters emit before opset 17 into com.edgerun.LayerNorm.
#pragma once

#include "graph/ir.h"

namespace edgerun::passes {

// Rewrites  m = ReduceMean(x) ; d = Sub(x, m) ; v = ReduceMean(Pow(d, 2)) ; s = Sqrt(Add(v, eps)) ;
//           y = Div(d, s) [; Mul(y, gamma)] [; Add(., beta)]
// over the last axis (keepdims), with constant float eps / gamma (1-D) / beta (1-D) and intermediates used only
// inside the chain, into one com.edgerun.LayerNorm(x, gamma?, beta?) node, and imports the com.edgerun domain.
// Returns how many chains it fused.
int fuse_layer_norm(Model& m);

}  // namespace edgerun::passes
