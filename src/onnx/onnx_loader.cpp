#include "onnx/onnx_loader.h"

namespace edgerun {

Expected<std::unique_ptr<Model>> load_onnx_model(const std::string& path) {
  ER_ASSIGN_OR_RETURN(std::shared_ptr<MappedFile> f, MappedFile::open(path));
  return load_onnx_model(f, "");
}

Expected<std::unique_ptr<Model>> load_onnx_model(std::shared_ptr<MappedFile> file, const std::string& base_dir) {
  return unsupported("ONNX loader not written yet");
}

}  // namespace edgerun
