// Reading the recognizer's output: greedy CTC decoding over a character dictionary.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "edgerun/status.h"

namespace edgerun::vision::ocr {

// PaddleOCR's recognizer classes: 0 = CTC blank, i = dictionary line i-1, the last = a space (use_space_char).
// Returns the dictionary's lines (trailing "\r" removed) with " " appended. Error when the file cannot be read or
// has no lines.
Expected<std::vector<std::string>> read_ocr_dictionary(const std::string& path);

struct CtcText {
  std::string text;    // UTF-8
  float score = 0;     // mean of the kept steps' probabilities; 0 when nothing was read
  int characters = 0;  // dictionary entries emitted
};

// probs: [steps, classes] per-step class probabilities (a softmax; raw scores are softmaxed per step first when a
// row is not a distribution). Greedy decoding: the best class per step, runs of the same class collapsed to one,
// blanks (class 0) dropped. Class c >= 1 reads dictionary[c - 1]; a class past the dictionary reads nothing.
CtcText ctc_greedy_decode(const float* probs, int64_t steps, int64_t classes,
                          const std::vector<std::string>& dictionary);

}  // namespace edgerun::vision::ocr
