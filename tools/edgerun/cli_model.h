// Model-related helpers shared by the subcommands: loading with a clear error, graph input/output specs,
// and --shape NAME=DIMS overrides checked against the model.
#pragma once

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "edgerun/session.h"
#include "edgerun/status.h"
#include "graph/ir.h"

namespace edgerun::cli {

// A graph input or output as the file declares it.
struct IoSpec {
  TensorSpec spec;
  bool has_shape = false;  // false: the file gives no shape at all (rank unknown)
};

// Loads the ONNX file; the error names the file.
Expected<std::unique_ptr<Model>> load_model(const std::string& path);

std::vector<IoSpec> model_inputs(const Model& model);
std::vector<IoSpec> model_outputs(const Model& model);

// --shape values ("NAME=DIMS", or "DIMS" when the model has one input) -> name -> shape.
// Errors: unknown input name (listing the real ones), rank or fixed-dimension mismatch, duplicates.
Expected<std::map<std::string, Shape>> parse_shape_options(const std::vector<std::string>& values,
                                                           const std::vector<IoSpec>& inputs);

bool shape_fully_known(const Shape& shape);

// "ai.onnx" for the default domain "", else the domain.
std::string domain_label(const std::string& domain);
// "Conv" or "com.microsoft.QLinearAdd".
std::string op_label(const Node& node);

// A seeded random tensor for an input (run --random, bench): floats uniform in [0, 1), integers in [0, 10),
// bool 0/1. The shape comes from `shapes` (--shape), else the model; dynamic dims become 1 with a note.
Expected<Tensor> random_input(const IoSpec& in, const std::map<std::string, Shape>& shapes, std::mt19937& rng);

}  // namespace edgerun::cli
