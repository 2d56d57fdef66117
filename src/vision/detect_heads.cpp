// Detection heads: which one a model has, and raw output -> scored candidates in input pixels.
// Also the parsers for the Ultralytics metadata strings (`names`, `imgsz`).
#include "vision/detect_heads.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace edgerun::vision {
namespace {

std::string dims_text(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + (shape[i] < 0 ? std::string("?") : std::to_string(shape[i]));
  return s + "]";
}

const char* kExpected = "a detector output is [1, 4+C, N] (YOLOv8/YOLO11) or [1, N, 5+C] (YOLOX)";

bool finite_box(const Box& b) {
  return std::isfinite(b.x1) && std::isfinite(b.y1) && std::isfinite(b.x2) && std::isfinite(b.y2);
}

}  // namespace

const char* head_kind_name(HeadKind kind) {
  switch (kind) {
    case HeadKind::kAuto:
      return "auto";
    case HeadKind::kYoloV8:
      return "yolov8";
    case HeadKind::kYoloX:
      return "yolox";
  }
  return "auto";
}

int64_t yolox_anchor_count(int input_width, int input_height) {
  int64_t n = 0;
  for (int s : kYoloxStrides) n += static_cast<int64_t>(input_width / s) * (input_height / s);
  return n;
}

Expected<HeadLayout> infer_head(const Shape& output_shape, int input_width, int input_height, HeadKind requested,
                                int named_classes) {
  const std::string shape = dims_text(output_shape);
  if (output_shape.size() != 3)
    return invalid_argument("the model's output is ", shape, ", not a detection head: ", kExpected);
  if (output_shape[0] > 1)
    return invalid_argument("the model's output ", shape, " has a batch of ", output_shape[0], "; detect needs 1");
  const int64_t a = output_shape[1], b = output_shape[2];
  const bool grid_fits = input_width % 32 == 0 && input_height % 32 == 0;
  const int64_t yolox_n = grid_fits ? yolox_anchor_count(input_width, input_height) : -1;

  HeadLayout v8_last{HeadKind::kYoloV8, static_cast<int>(a - 4), b, true};
  HeadLayout v8_first{HeadKind::kYoloV8, static_cast<int>(b - 4), a, false};
  HeadLayout yx{HeadKind::kYoloX, static_cast<int>(b - 5), yolox_n, false};
  auto check = [&](HeadLayout h) -> Expected<HeadLayout> {
    if (h.num_classes < 1 || h.num_classes > 100000)
      return invalid_argument("the model's output ", shape, " leaves ", h.num_classes, " classes for a ",
                              head_kind_name(h.kind), " head; ", kExpected);
    if (h.kind == HeadKind::kYoloX) {
      if (!grid_fits)
        return invalid_argument("a YOLOX head needs an input size divisible by 32, got ", input_width, "x",
                                input_height);
      if (a >= 0 && a != yolox_n)
        return invalid_argument("the model's output ", shape, " has ", a, " rows, but a YOLOX head on a ", input_width,
                                "x", input_height, " input has ", yolox_n, " (strides 8, 16, 32); ", kExpected);
    }
    return h;
  };

  if (a == 0 || b == 0) return invalid_argument("the model's output ", shape, " is empty; ", kExpected);
  switch (requested) {
    case HeadKind::kYoloV8:
      if (a >= 0 && (b < 0 || a < b)) return check(v8_last);
      if (b >= 0) return check(v8_first);
      break;
    case HeadKind::kYoloX:
      if (b >= 0) return check(yx);
      break;
    case HeadKind::kAuto:
      if (a >= 0 && b >= 0) {
        if (a > 4 && b > a) return check(v8_last);
        if (b > 4 && a > b) {
          // [1, N, K]: YOLOX when N fits its grids, unless the names say that K = 4 + C (a transposed YOLOv8 export;
          // at 640x640 both heads have 8400 rows).
          if (named_classes > 0 && b == named_classes + 4) return check(v8_first);
          if (a == yolox_n) return check(yx);
          if (named_classes > 0 && b == named_classes + 5) return check(yx);
        }
        return invalid_argument("cannot tell the detection head from the model's output ", shape, " at input ",
                                input_width, "x", input_height, ": ", kExpected);
      }
      if (a > 4) return check(v8_last);  // [1, 4+C, ?]: anchors follow the input size
      if (b > 4) return (named_classes > 0 && b == named_classes + 4) ? check(v8_first) : check(yx);
      break;
  }
  return invalid_argument("the model's output ", shape, " does not say how many classes it has; ", kExpected);
}

void decode_yolov8(const float* out, int num_classes, int64_t num_anchors, bool anchors_last, float conf,
                   DecodeScratch* scratch, std::vector<Detection>* candidates) {
  const size_t n = static_cast<size_t>(num_anchors);
  auto emit = [&](float cx, float cy, float w, float h, int cls, float score) {
    Detection d;
    d.class_id = cls;
    d.score = score;
    d.box = {cx - w * 0.5f, cy - h * 0.5f, cx + w * 0.5f, cy + h * 0.5f};
    if (finite_box(d.box)) candidates->push_back(std::move(d));
  };
  if (!anchors_last) {  // [N, 4+C]: each anchor's scores are contiguous
    const size_t row = static_cast<size_t>(num_classes) + 4;
    for (size_t i = 0; i < n; ++i) {
      const float* p = out + i * row;
      int best = 0;
      for (int c = 1; c < num_classes; ++c)
        if (p[4 + c] > p[4 + best]) best = c;
      if (p[4 + best] > conf) emit(p[0], p[1], p[2], p[3], best, p[4 + best]);
    }
    return;
  }
  // [4+C, N]: a running max over the class rows reads the scores in memory order (an anchor's scores are N apart).
  std::vector<float>& best = scratch->best_score;
  std::vector<int32_t>& cls = scratch->best_class;
  best.assign(out + 4 * n, out + 5 * n);
  cls.assign(n, 0);
  for (int c = 1; c < num_classes; ++c) {
    const float* row = out + (4 + static_cast<size_t>(c)) * n;
    for (size_t i = 0; i < n; ++i) {
      bool higher = row[i] > best[i];
      best[i] = higher ? row[i] : best[i];
      cls[i] = higher ? c : cls[i];
    }
  }
  for (size_t i = 0; i < n; ++i)
    if (best[i] > conf) emit(out[i], out[n + i], out[2 * n + i], out[3 * n + i], cls[i], best[i]);
}

void decode_yolox(const float* out, int num_classes, int input_width, int input_height, float conf,
                  std::vector<Detection>* candidates) {
  const size_t row = static_cast<size_t>(num_classes) + 5;
  size_t i = 0;
  for (int s : kYoloxStrides) {
    const int gw = input_width / s, gh = input_height / s;
    const float stride = static_cast<float>(s);
    for (int gy = 0; gy < gh; ++gy) {
      for (int gx = 0; gx < gw; ++gx, ++i) {
        const float* p = out + i * row;
        const float obj = p[4];
        if (!(obj > conf)) continue;  // class scores are <= 1, so the product cannot pass either
        int best = 0;
        for (int c = 1; c < num_classes; ++c)
          if (p[5 + c] > p[5 + best]) best = c;
        const float score = obj * p[5 + best];
        if (!(score > conf)) continue;
        const float cx = (p[0] + static_cast<float>(gx)) * stride, cy = (p[1] + static_cast<float>(gy)) * stride;
        const float w = std::exp(p[2]) * stride, h = std::exp(p[3]) * stride;
        Detection d;
        d.class_id = best;
        d.score = score;
        d.box = {cx - w * 0.5f, cy - h * 0.5f, cx + w * 0.5f, cy + h * 0.5f};
        if (finite_box(d.box)) candidates->push_back(std::move(d));
      }
    }
  }
}

Status decode_head(const Tensor& output, const HeadLayout& layout, int input_width, int input_height, float conf,
                   DecodeScratch* scratch, std::vector<Detection>* candidates) {
  if (output.dtype() != DType::kFloat32)
    return invalid_argument("the detection output is ", dtype_name(output.dtype()), "; detect reads float32");
  const Shape& s = output.shape();
  const int64_t k = layout.num_classes + (layout.kind == HeadKind::kYoloX ? 5 : 4);
  bool ok = s.size() == 3 && s[0] == 1;
  int64_t anchors = 0;
  if (ok && layout.kind == HeadKind::kYoloX) {
    anchors = yolox_anchor_count(input_width, input_height);
    ok = s[1] == anchors && s[2] == k;
  } else if (ok) {
    anchors = layout.anchors_last ? s[2] : s[1];
    ok = (layout.anchors_last ? s[1] : s[2]) == k && anchors > 0;
  }
  if (!ok)
    return invalid_argument("the model produced an output of shape ", dims_text(s), ", which does not fit its ",
                            head_kind_name(layout.kind), " head with ", layout.num_classes, " classes at input ",
                            input_width, "x", input_height);
  if (layout.kind == HeadKind::kYoloX)
    decode_yolox(output.data<float>(), layout.num_classes, input_width, input_height, conf, candidates);
  else
    decode_yolov8(output.data<float>(), layout.num_classes, anchors, layout.anchors_last, conf, scratch, candidates);
  return Status();
}

// ---- metadata ---------------------------------------------------------------------------------------------------

namespace {

// A cursor over a Python literal; every error names the offset.
class LiteralParser {
 public:
  explicit LiteralParser(const std::string& text) : t_(text) {}

  void skip_space() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\n' || t_[i_] == '\r')) ++i_;
  }
  bool eat(char c) {
    skip_space();
    if (i_ < t_.size() && t_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool at_end() {
    skip_space();
    return i_ >= t_.size();
  }
  char peek() {
    skip_space();
    return i_ < t_.size() ? t_[i_] : '\0';
  }
  size_t offset() const { return i_; }

  Status error(const std::string& what) const {
    return invalid_argument(what, " at offset ", i_, " of \"", t_.size() > 60 ? t_.substr(0, 57) + "..." : t_, "\"");
  }

  Expected<int64_t> integer() {
    skip_space();
    size_t start = i_;
    while (i_ < t_.size() && t_[i_] >= '0' && t_[i_] <= '9' && i_ - start < 9) ++i_;
    if (i_ == start) return error("expected a non-negative integer");
    if (i_ < t_.size() && t_[i_] >= '0' && t_[i_] <= '9') return error("integer too large");
    return std::strtoll(t_.substr(start, i_ - start).c_str(), nullptr, 10);
  }

  // '...' or "..." with Python escapes; \x, \u and \U become UTF-8.
  Expected<std::string> string() {
    skip_space();
    if (i_ >= t_.size() || (t_[i_] != '\'' && t_[i_] != '"')) return error("expected a quoted string");
    const char quote = t_[i_++];
    std::string s;
    while (i_ < t_.size() && t_[i_] != quote) {
      char c = t_[i_++];
      if (c != '\\') {
        s += c;
        continue;
      }
      if (i_ >= t_.size()) break;
      char e = t_[i_++];
      switch (e) {
        case 'n':
          s += '\n';
          break;
        case 't':
          s += '\t';
          break;
        case 'r':
          s += '\r';
          break;
        case '0':
          s += '\0';
          break;
        case 'x':
        case 'u':
        case 'U': {
          size_t len = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          if (i_ + len > t_.size()) return error("truncated escape");
          char* end = nullptr;
          std::string hex = t_.substr(i_, len);
          unsigned long cp = std::strtoul(hex.c_str(), &end, 16);
          if (end != hex.c_str() + len || cp > 0x10FFFF) return error("bad escape \\" + std::string(1, e) + hex);
          i_ += len;
          append_utf8(&s, static_cast<uint32_t>(cp));
          break;
        }
        default:
          s += e;
          break;  // \\ \' \" and anything else Python keeps literally enough for a label
      }
    }
    if (i_ >= t_.size()) return error("unterminated string");
    ++i_;  // closing quote
    return s;
  }

 private:
  static void append_utf8(std::string* s, uint32_t cp) {
    if (cp < 0x80) {
      *s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      *s += static_cast<char>(0xC0 | (cp >> 6));
      *s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      *s += static_cast<char>(0xE0 | (cp >> 12));
      *s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      *s += static_cast<char>(0xF0 | (cp >> 18));
      *s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      *s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *s += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  const std::string& t_;
  size_t i_ = 0;
};

constexpr int64_t kMaxClassId = 99999;

}  // namespace

Expected<std::vector<std::string>> parse_names_metadata(const std::string& text) {
  LiteralParser p(text);
  std::vector<std::string> names;
  if (p.eat('[')) {
    while (!p.eat(']')) {
      ER_ASSIGN_OR_RETURN(std::string name, p.string());
      names.push_back(std::move(name));
      if (static_cast<int64_t>(names.size()) > kMaxClassId + 1) return p.error("too many names");
      if (!p.eat(',') && p.peek() != ']') return p.error("expected ',' or ']'");
    }
  } else if (p.eat('{')) {
    std::vector<bool> seen;
    while (!p.eat('}')) {
      // Keys are ints in Ultralytics' str(dict); a JSON-like '"0"' key is accepted too.
      int64_t id = 0;
      if (p.peek() == '\'' || p.peek() == '"') {
        ER_ASSIGN_OR_RETURN(std::string key, p.string());
        char* end = nullptr;
        long v = std::strtol(key.c_str(), &end, 10);
        if (key.empty() || *end != '\0' || v < 0) return p.error("key '" + key + "' is not a class id");
        id = v;
      } else {
        ER_ASSIGN_OR_RETURN(id, p.integer());
      }
      if (id > kMaxClassId) return p.error("class id " + std::to_string(id) + " is too large");
      if (!p.eat(':')) return p.error("expected ':' after class id " + std::to_string(id));
      ER_ASSIGN_OR_RETURN(std::string name, p.string());
      size_t k = static_cast<size_t>(id);
      if (names.size() <= k) names.resize(k + 1), seen.resize(k + 1, false);
      if (seen[k]) return p.error("class id " + std::to_string(id) + " appears twice");
      seen[k] = true;
      names[k] = std::move(name);
      if (!p.eat(',') && p.peek() != '}') return p.error("expected ',' or '}'");
    }
  } else {
    return p.error("expected '{' or '['");
  }
  if (!p.at_end()) return p.error("unexpected text after the closing bracket");
  if (names.empty()) return invalid_argument("the names metadata is empty");
  return names;
}

Expected<InputSize> parse_imgsz_metadata(const std::string& text) {
  LiteralParser p(text);
  std::vector<int64_t> dims;
  bool bracket = p.eat('[') || p.eat('(');
  while (true) {
    if (bracket && (p.peek() == ']' || p.peek() == ')')) break;
    ER_ASSIGN_OR_RETURN(int64_t v, p.integer());
    dims.push_back(v);
    if (!bracket || !p.eat(',')) break;
  }
  if (bracket && !p.eat(']') && !p.eat(')')) return p.error("expected ']'");
  if (!p.at_end()) return p.error("unexpected text");
  if (dims.empty() || dims.size() > 2) return p.error("expected one or two sizes");
  for (int64_t d : dims)
    if (d < 1 || d > 16384) return p.error("size " + std::to_string(d) + " is out of range");
  InputSize s;
  s.height = static_cast<int>(dims[0]);
  s.width = static_cast<int>(dims.size() == 2 ? dims[1] : dims[0]);
  return s;
}

}  // namespace edgerun::vision
