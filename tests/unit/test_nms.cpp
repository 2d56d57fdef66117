// Detection post-processing without a model: IoU, NMS (against a differently written suppression loop on random
// boxes), head inference from output shapes, decoding of synthetic YOLOv8 / YOLOX outputs with hand-computed boxes,
// the Ultralytics metadata parsers (including malformed and truncated text) and class lists.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "edgerun/detect.h"
#include "test_data.h"
#include "vision/detect_heads.h"

namespace edgerun::vision {
namespace {

Detection det(int cls, float score, float x1, float y1, float x2, float y2) {
  Detection d;
  d.class_id = cls;
  d.score = score;
  d.box = {x1, y1, x2, y2};
  return d;
}

// ---- IoU ----

TEST(BoxIou, KnownValues) {
  Box a{0, 0, 2, 2};
  EXPECT_FLOAT_EQ(box_iou(a, a), 1.0f);
  EXPECT_FLOAT_EQ(box_iou(a, Box{1, 0, 3, 2}), 2.0f / 6.0f);  // intersection 2, union 4 + 4 - 2
  EXPECT_FLOAT_EQ(box_iou(a, Box{1, 1, 3, 3}), 1.0f / 7.0f);  // 1 / (4 + 4 - 1)
  EXPECT_FLOAT_EQ(box_iou(a, Box{0, 0, 1, 1}), 1.0f / 4.0f);  // contained
  EXPECT_FLOAT_EQ(box_iou(a, Box{2, 0, 4, 2}), 0.0f);         // touching edges
  EXPECT_FLOAT_EQ(box_iou(a, Box{5, 5, 6, 6}), 0.0f);
  EXPECT_FLOAT_EQ(box_iou(Box{1, 1, 1, 1}, Box{1, 1, 1, 1}), 0.0f);  // zero area
  EXPECT_FLOAT_EQ(box_iou(a, Box{NAN, 0, 2, 2}), 0.0f);
  EXPECT_FLOAT_EQ(box_iou(Box{1, 0, 3, 2}, a), box_iou(a, Box{1, 0, 3, 2}));
}

// ---- NMS ----

TEST(Nms, ClassWiseKeepsOverlapsOfOtherClassesAgnosticDoesNot) {
  std::vector<Detection> c = {det(0, 0.5f, 0, 0, 10, 10), det(1, 0.9f, 1, 1, 11, 11), det(0, 0.8f, 0, 0, 10, 9),
                              det(0, 0.7f, 50, 50, 60, 60)};
  std::vector<Detection> k = non_max_suppression(c, 0.45f);
  ASSERT_EQ(k.size(), 3u);
  EXPECT_FLOAT_EQ(k[0].score, 0.9f);  // sorted by score
  EXPECT_FLOAT_EQ(k[1].score, 0.8f);  // suppressed 0.5 of its class
  EXPECT_FLOAT_EQ(k[2].score, 0.7f);
  std::vector<Detection> a = non_max_suppression(c, 0.45f, true);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].class_id, 1);
  EXPECT_FLOAT_EQ(a[1].score, 0.7f);
}

TEST(Nms, SuppressesOnlyAboveTheThreshold) {
  // IoU exactly 1/3: kept at threshold 1/3 (strictly greater suppresses), removed just below it.
  std::vector<Detection> c = {det(0, 0.9f, 0, 0, 4, 1), det(0, 0.8f, 2, 0, 6, 1)};
  EXPECT_EQ(non_max_suppression(c, box_iou(c[0].box, c[1].box)).size(), 2u);
  EXPECT_EQ(non_max_suppression(c, 0.33f).size(), 1u);
  EXPECT_EQ(non_max_suppression(c, 1.0f).size(), 2u);
  EXPECT_EQ(non_max_suppression(c, 0.0f).size(), 1u);
}

TEST(Nms, MaxKeepEqualScoresAndEdgeCases) {
  std::vector<Detection> c;
  for (int i = 0; i < 10; ++i) c.push_back(det(i, 0.5f, i * 10.0f, 0, i * 10.0f + 5, 5));
  std::vector<Detection> k = non_max_suppression(c, 0.5f, false, 3);
  ASSERT_EQ(k.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(k[static_cast<size_t>(i)].class_id, i);  // ties keep input order
  EXPECT_TRUE(non_max_suppression({}, 0.5f).empty());
  EXPECT_TRUE(non_max_suppression(c, 0.5f, false, 0).empty());
  std::vector<Detection> nan = {det(0, NAN, 0, 0, 1, 1), det(0, 0.4f, 0, 0, 1, 1)};
  k = non_max_suppression(nan, 0.5f);
  ASSERT_EQ(k.size(), 1u);
  EXPECT_FLOAT_EQ(k[0].score, 0.4f);
}

// The classic formulation: sort once, then each surviving box marks the later boxes it overlaps as suppressed.
std::vector<Detection> nms_by_marking(std::vector<Detection> c, float t, bool agnostic) {
  std::stable_sort(c.begin(), c.end(), [](const Detection& a, const Detection& b) { return a.score > b.score; });
  std::vector<bool> dead(c.size(), false);
  std::vector<Detection> out;
  for (size_t i = 0; i < c.size(); ++i) {
    if (dead[i]) continue;
    out.push_back(c[i]);
    for (size_t j = i + 1; j < c.size(); ++j) {
      if (!agnostic && c[j].class_id != c[i].class_id) continue;
      float iw = std::min(c[i].box.x2, c[j].box.x2) - std::max(c[i].box.x1, c[j].box.x1);
      float ih = std::min(c[i].box.y2, c[j].box.y2) - std::max(c[i].box.y1, c[j].box.y1);
      if (iw <= 0 || ih <= 0) continue;
      float inter = iw * ih;
      float u = (c[i].box.x2 - c[i].box.x1) * (c[i].box.y2 - c[i].box.y1) +
                (c[j].box.x2 - c[j].box.x1) * (c[j].box.y2 - c[j].box.y1) - inter;
      if (inter / u > t) dead[j] = true;
    }
  }
  return out;
}

TEST(Nms, AgreesWithTheMarkingFormulationOnRandomBoxes) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> pos(0, 100), size(5, 40), score(0, 1);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<Detection> c;
    int n = 1 + trial * 4;
    for (int i = 0; i < n; ++i) {
      float x = pos(rng), y = pos(rng);
      c.push_back(det(static_cast<int>(rng() % 3), score(rng), x, y, x + size(rng), y + size(rng)));
    }
    for (bool agnostic : {false, true}) {
      std::vector<Detection> got = non_max_suppression(c, 0.45f, agnostic, 100000);
      std::vector<Detection> want = nms_by_marking(c, 0.45f, agnostic);
      ASSERT_EQ(got.size(), want.size()) << "trial " << trial;
      for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].class_id, want[i].class_id);
        EXPECT_EQ(got[i].score, want[i].score);
        EXPECT_EQ(got[i].box.x1, want[i].box.x1);
      }
    }
  }
}

// ---- heads ----

TEST(InferHead, FromOutputShapes) {
  auto v8 = infer_head({1, 84, 8400}, 640, 640, HeadKind::kAuto);
  ASSERT_TRUE(v8.ok()) << v8.status().to_string();
  EXPECT_EQ(v8->kind, HeadKind::kYoloV8);
  EXPECT_EQ(v8->num_classes, 80);
  EXPECT_TRUE(v8->anchors_last);
  auto yx = infer_head({1, 3549, 85}, 416, 416, HeadKind::kAuto);
  ASSERT_TRUE(yx.ok()) << yx.status().to_string();
  EXPECT_EQ(yx->kind, HeadKind::kYoloX);
  EXPECT_EQ(yx->num_classes, 80);
  EXPECT_EQ(yolox_anchor_count(416, 416), 52 * 52 + 26 * 26 + 13 * 13);
  // At 640 both heads have 8400 rows: the names count decides, else the [1, N, 5+C] rule (YOLOX).
  EXPECT_EQ(infer_head({1, 8400, 85}, 640, 640, HeadKind::kAuto)->kind, HeadKind::kYoloX);
  auto tv8 = infer_head({1, 8400, 84}, 640, 640, HeadKind::kAuto, 80);
  ASSERT_TRUE(tv8.ok());
  EXPECT_EQ(tv8->kind, HeadKind::kYoloV8);
  EXPECT_FALSE(tv8->anchors_last);
  EXPECT_EQ(tv8->num_classes, 80);
  // Dynamic dims.
  EXPECT_EQ(infer_head({1, 84, -1}, 320, 320, HeadKind::kAuto)->kind, HeadKind::kYoloV8);
  EXPECT_EQ(infer_head({-1, -1, 85}, 320, 320, HeadKind::kAuto)->kind, HeadKind::kYoloX);
  // Forced heads.
  EXPECT_EQ(infer_head({1, 3549, 84}, 416, 416, HeadKind::kYoloV8)->anchors_last, false);
  EXPECT_FALSE(infer_head({1, 84, 8400}, 640, 640, HeadKind::kYoloX).ok());  // 84 rows, not 8400
}

TEST(InferHead, NonDetectorsAreClearErrors) {
  auto cls = infer_head({1, 1000}, 224, 224, HeadKind::kAuto);
  ASSERT_FALSE(cls.ok());
  EXPECT_NE(cls.status().message().find("[1, 1000]"), std::string::npos) << cls.status().message();
  EXPECT_NE(cls.status().message().find("[1, 4+C, N]"), std::string::npos);
  EXPECT_FALSE(infer_head({1, 3549, 85}, 640, 640, HeadKind::kAuto).ok());  // rows fit neither head at 640
  EXPECT_FALSE(infer_head({1, 4, 8400}, 640, 640, HeadKind::kAuto).ok());   // no classes
  EXPECT_FALSE(infer_head({2, 84, 8400}, 640, 640, HeadKind::kAuto).ok());  // batch 2
  EXPECT_FALSE(infer_head({1, -1, -1}, 640, 640, HeadKind::kAuto).ok());
  EXPECT_FALSE(infer_head({1, 0, 85}, 640, 640, HeadKind::kAuto).ok());
  EXPECT_FALSE(infer_head({1, 3549, 85}, 410, 416, HeadKind::kYoloX).ok());  // grid does not divide
}

// YOLOv8 [1, 4+C, N] with C = 3, N = 6, in both layouts.
TEST(DecodeYolov8, ThresholdsArgmaxAndBoxes) {
  const int C = 3, N = 6;
  // [anchor][cx, cy, w, h, s0, s1, s2]
  const float anchors[N][7] = {
      {100, 50, 20, 10, 0.1f, 0.9f, 0.2f},  // class 1, box [90, 45, 110, 55]
      {10, 10, 4, 4, 0.25f, 0.1f, 0.0f},    // exactly at the threshold: dropped (score must be > conf)
      {30, 40, 10, 20, 0.6f, 0.6f, 0.1f},   // tie: the lower class id
      {0, 0, 1, 1, 0.0f, 0.0f, 0.0f},          {5, 5, NAN, 2, 0.0f, 0.0f, 0.99f},  // non-finite box: dropped
      {320, 320, 640, 640, 0.3f, 0.2f, 0.26f},
  };
  std::vector<float> last(static_cast<size_t>((4 + C) * N)), first(static_cast<size_t>((4 + C) * N));
  for (int a = 0; a < N; ++a)
    for (int k = 0; k < 4 + C; ++k) {
      last[static_cast<size_t>(k * N + a)] = anchors[a][k];
      first[static_cast<size_t>(a * (4 + C) + k)] = anchors[a][k];
    }
  for (bool anchors_last : {true, false}) {
    DecodeScratch scratch;
    std::vector<Detection> got;
    decode_yolov8(anchors_last ? last.data() : first.data(), C, N, anchors_last, 0.25f, &scratch, &got);
    ASSERT_EQ(got.size(), 3u) << "anchors_last " << anchors_last;
    EXPECT_EQ(got[0].class_id, 1);
    EXPECT_FLOAT_EQ(got[0].score, 0.9f);
    EXPECT_FLOAT_EQ(got[0].box.x1, 90);
    EXPECT_FLOAT_EQ(got[0].box.y1, 45);
    EXPECT_FLOAT_EQ(got[0].box.x2, 110);
    EXPECT_FLOAT_EQ(got[0].box.y2, 55);
    EXPECT_EQ(got[1].class_id, 0);
    EXPECT_FLOAT_EQ(got[1].box.y1, 30);
    EXPECT_EQ(got[2].class_id, 0);
    EXPECT_FLOAT_EQ(got[2].score, 0.3f);
    EXPECT_FLOAT_EQ(got[2].box.x1, 0);
    EXPECT_FLOAT_EQ(got[2].box.x2, 640);
  }
}

// YOLOX on a 64x64 input: grids 8x8 (stride 8), 4x4 (16), 2x2 (32) = 84 rows of [o0, o1, o2, o3, obj, c0, c1].
TEST(DecodeYolox, GridsStridesAndObjectness) {
  const int C = 2, K = 5 + C, rows = 84;
  ASSERT_EQ(yolox_anchor_count(64, 64), rows);
  std::vector<float> out(static_cast<size_t>(rows * K), 0.0f);
  auto set = [&](int row, std::vector<float> v) { std::copy(v.begin(), v.end(), out.begin() + row * K); };
  // Stride 16, gx = 1, gy = 2 -> row 64 + 2 * 4 + 1 = 73.
  // cx = (0.5 + 1) * 16 = 24, cy = (0.25 + 2) * 16 = 36, w = e^ln2 * 16 = 32, h = e^0 * 16 = 16.
  set(73, {0.5f, 0.25f, std::log(2.0f), 0.0f, 0.8f, 0.1f, 0.9f});
  // Stride 8, gx = 3, gy = 0 -> row 3: obj 0.9 * class 0.3 = 0.27 < 0.3: dropped though both pass alone.
  set(3, {0, 0, 0, 0, 0.9f, 0.3f, 0.1f});
  // Stride 32, gx = 1, gy = 1 -> row 64 + 16 + 3 = 83: cx = cy = 32, w = h = 32.
  set(83, {0, 0, 0, 0, 1.0f, 0.5f, 0.4f});
  std::vector<Detection> got;
  decode_yolox(out.data(), C, 64, 64, 0.3f, &got);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].class_id, 1);
  EXPECT_NEAR(got[0].score, 0.72f, 1e-6);
  EXPECT_NEAR(got[0].box.x1, 8, 1e-4);
  EXPECT_NEAR(got[0].box.y1, 28, 1e-4);
  EXPECT_NEAR(got[0].box.x2, 40, 1e-4);
  EXPECT_NEAR(got[0].box.y2, 44, 1e-4);
  EXPECT_EQ(got[1].class_id, 0);
  EXPECT_FLOAT_EQ(got[1].score, 0.5f);
  EXPECT_FLOAT_EQ(got[1].box.x1, 16);
  EXPECT_FLOAT_EQ(got[1].box.y2, 48);

  // decode_head checks the real output shape against the layout.
  HeadLayout layout{HeadKind::kYoloX, C, rows, false};
  Tensor t = Tensor::from_vector(DType::kFloat32, {1, rows, K}, out);
  std::vector<Detection> via_head;
  DecodeScratch scratch;
  ASSERT_TRUE(decode_head(t, layout, 64, 64, 0.3f, &scratch, &via_head).ok());
  EXPECT_EQ(via_head.size(), 2u);
  Status wrong = decode_head(t, layout, 96, 64, 0.3f, &scratch, &via_head);
  EXPECT_FALSE(wrong.ok());
  EXPECT_NE(wrong.message().find("[1, 84, 7]"), std::string::npos) << wrong.message();
}

// ---- metadata ----

TEST(NamesMetadata, UltralyticsDictLiteral) {
  auto n = parse_names_metadata("{0: 'person', 1: 'bicycle', 2: 'traffic light'}");
  ASSERT_TRUE(n.ok()) << n.status().to_string();
  EXPECT_EQ(*n, (std::vector<std::string>{"person", "bicycle", "traffic light"}));
  // Double quotes (Python picks them for names with an apostrophe), escapes, trailing comma, unordered keys.
  n = parse_names_metadata(" { 1 : \"men's shoe\", 0: 'caf\\xe9', 2: 'a\\'b\\\\c', } ");
  ASSERT_TRUE(n.ok()) << n.status().to_string();
  EXPECT_EQ(*n, (std::vector<std::string>{"caf\xc3\xa9", "men's shoe", "a'b\\c"}));
  // Gaps get empty names; quoted keys and lists are accepted.
  n = parse_names_metadata("{0: 'a', 3: 'd'}");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, (std::vector<std::string>{"a", "", "", "d"}));
  n = parse_names_metadata("{\"0\": \"a\", \"1\": \"b\"}");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->size(), 2u);
  n = parse_names_metadata("['cat', 'dog']");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, (std::vector<std::string>{"cat", "dog"}));
}

TEST(NamesMetadata, MalformedTextIsAnErrorNeverACrash) {
  for (const char* bad : {"", "   ", "person, car", "{", "{0: 'a'", "{0 'a'}", "{0: a}", "{-1: 'a'}",
                          "{0: 'a', 0: 'b'}", "{0: 'a'} junk", "{99999999999: 'a'}", "{100000: 'a'}", "{}", "[]",
                          "{0: 'unterminated}", "{0: 'bad \\x4'}", "{'x': 'a'}", "[1, 2]", "{0: 'a' 1: 'b'}"}) {
    auto n = parse_names_metadata(bad);
    EXPECT_FALSE(n.ok()) << "accepted: " << bad;
    if (!n.ok()) EXPECT_FALSE(n.status().message().empty());
  }
  // Every prefix of a real value: parsed or refused, nothing else.
  const std::string real = "{0: 'person', 1: \"it's\", 2: 'caf\\u00e9', 3: 'x\\\\'}";
  ASSERT_TRUE(parse_names_metadata(real).ok());
  for (size_t len = 0; len < real.size(); ++len) EXPECT_FALSE(parse_names_metadata(real.substr(0, len)).ok()) << len;
}

TEST(ImgszMetadata, FormsAndErrors) {
  auto s = parse_imgsz_metadata("[640, 640]");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->width, 640);
  EXPECT_EQ(s->height, 640);
  s = parse_imgsz_metadata("[480, 640]");  // [height, width]
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->width, 640);
  EXPECT_EQ(s->height, 480);
  s = parse_imgsz_metadata("320");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->width, 320);
  EXPECT_TRUE(parse_imgsz_metadata("(416, 416)").ok());
  EXPECT_TRUE(parse_imgsz_metadata("[512]").ok());
  for (const char* bad : {"", "[", "[640, ", "abc", "[0, 640]", "[640, 640, 3]", "[640 640]", "640x640", "[-1]",
                          "[99999999999]", "[640, 640] x"})
    EXPECT_FALSE(parse_imgsz_metadata(bad).ok()) << "accepted: " << bad;
}

TEST(Coco80Labels, MatchTheSharedNamesFile) {
  const std::vector<std::string>& l = coco80_labels();
  ASSERT_EQ(l.size(), 80u);
  EXPECT_EQ(l[0], "person");
  EXPECT_EQ(l[79], "toothbrush");
  const std::string path = testing::model_path("labels/coco80.names");
  EDGERUN_REQUIRE_DATA(path);
  std::ifstream f(path);
  std::vector<std::string> file;
  for (std::string line; std::getline(f, line);)
    if (!line.empty()) file.push_back(line);
  EXPECT_EQ(file, l);
}

TEST(ClassList, NamesIdsAndErrors) {
  const std::vector<std::string>& l = coco80_labels();
  auto ids = parse_class_list("person,car", l, 80);
  ASSERT_TRUE(ids.ok()) << ids.status().to_string();
  EXPECT_EQ(*ids, (std::vector<int>{0, 2}));
  ids = parse_class_list(" 0, 2 ,Person , traffic light,5", l, 80);
  ASSERT_TRUE(ids.ok()) << ids.status().to_string();
  EXPECT_EQ(*ids, (std::vector<int>{0, 2, 9, 5}));
  auto bad = parse_class_list("person,unicorn", l, 80);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("unicorn"), std::string::npos);
  EXPECT_FALSE(parse_class_list("80", l, 80).ok());
  EXPECT_FALSE(parse_class_list("99999999999999", l, 80).ok());
  EXPECT_FALSE(parse_class_list("person,,car", l, 80).ok());
  EXPECT_FALSE(parse_class_list("", l, 80).ok());
  EXPECT_FALSE(parse_class_list("-1", l, 80).ok());
  EXPECT_FALSE(parse_class_list("dog", {}, 3).ok());
  EXPECT_TRUE(parse_class_list("2", {}, 3).ok());
}

}  // namespace
}  // namespace edgerun::vision
