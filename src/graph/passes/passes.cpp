#include "graph/passes/passes.h"

#include "graph/passes/fuse_layer_norm.h"

#include "ops/fused.h"
#include "ops/op_registry.h"

namespace edgerun {
namespace {

// Fused nodes are only created for ops this build can run.
bool can_run(const char* op_type) { return OpRegistry::get().find(kEdgerunDomain, op_type, 1) != nullptr; }

}  // namespace

Status optimize_model(Model& model, int level, const std::string& backend) {
  if (level <= 0) return Status();
  passes::remove_identity_nodes(model);
  passes::fold_space_to_depth_into_conv(model);
  passes::fold_batchnorm_into_conv(model);
  passes::fold_scale_bias_into_conv(model);
  passes::match_hard_activations(model);
  if (can_run("LayerNorm")) passes::fuse_layer_norm(model);
  if (can_run("FusedConv")) passes::fuse_conv_epilogues(model);
  if (can_run("FusedConv") && can_run("ConvChain") && backend != "xnnpack")
    passes::fuse_conv_chains(model);
  if (can_run("FusedMatMul") && can_run("FusedGemm")) passes::fuse_matmul_epilogues(model);
  return Status();
}

}  // namespace edgerun
