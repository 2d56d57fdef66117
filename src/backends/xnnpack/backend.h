// The XNNPACK backend (Debian's 2022 snapshot, operator API): kernels for the nodes XNNPACK covers, chosen by the
// planner after the op's own prepare has validated the node and set its outputs. Only files in this folder include
// xnnpack.h (Debian 13 ships an incompatible API; the rest of edgerun must not notice).
#pragma once

#include <memory>

#include "edgerun/status.h"
#include "ops/op_registry.h"

namespace edgerun {

// A kernel that runs `ctx`'s node through XNNPACK, or nullptr when the node is not covered (op, dtype, rank,
// non-constant weights, an attribute XNNPACK lacks): the planner then keeps the own kernel. Errors only when
// XNNPACK itself fails (initialization, out of memory).
Expected<std::unique_ptr<OpKernel>> xnnpack_prepare(PrepareContext& ctx);

}  // namespace edgerun
