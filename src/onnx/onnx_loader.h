// ONNX ModelProto -> graph IR, reading the protobuf wire format directly over an mmap.
// Initializers stored as raw_data are viewed in place (zero-copy); typed fields are decoded.
#pragma once

#include <memory>
#include <string>

#include "core/mmap_file.h"
#include "edgerun/status.h"
#include "graph/ir.h"

namespace edgerun {

// Loads and validates structure: every malformed field is an error naming the node or tensor.
// External data files are resolved relative to the model's directory.
Expected<std::unique_ptr<Model>> load_onnx_model(const std::string& path);
// Same, from bytes already in memory (`base_dir` resolves external data; "" = none allowed).
Expected<std::unique_ptr<Model>> load_onnx_model(std::shared_ptr<MappedFile> file, const std::string& base_dir);

}  // namespace edgerun
