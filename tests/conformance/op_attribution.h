// Which op a node test exercises. Most node tests hold one node, but some hold helpers (Constant, Cast) and the
// "_expanded" tests hold the op's function body instead of the op itself. The rule:
//   1. a few test names abbreviate the op (test_sce_* = SoftmaxCrossEntropyLoss): a fixed alias table;
//   2. otherwise the op whose lowercased name without underscores is the longest prefix of the test name (also
//      lowercased, without "test_", "ai_onnx_ml_" and underscores), among the model's own ops and every op name
//      seen in the whole suite (so test_castlike_*_expanded, whose body holds Cast, is CastLike's);
//   3. otherwise the only op of the model, or failing that its first node's op (marked as a guess).
#pragma once

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace edgerun::conformance {

struct OpKey {
  std::string domain;  // "" = ai.onnx
  std::string op_type;
  bool operator<(const OpKey& o) const { return std::tie(domain, op_type) < std::tie(o.domain, o.op_type); }
  bool operator==(const OpKey& o) const { return domain == o.domain && op_type == o.op_type; }
  std::string str() const { return domain.empty() ? op_type : domain + "." + op_type; }
};

inline std::string normalize_op_name(const std::string& s) {
  std::string out;
  for (char c : s)
    if (c != '_') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct Attribution {
  OpKey op;
  bool in_model = true;  // false: the op is named by the test but not a node of it (function-expanded test)
  bool guessed = false;  // no name matched; took the model's first op
};

class OpAttributor {
 public:
  // Every op seen anywhere in the suite (or registered), so expanded tests can be tied to the op they expand.
  void add_known(const OpKey& op) { known_.emplace(normalize_op_name(op.op_type), op); }

  Attribution attribute(const std::string& test_name, const std::vector<OpKey>& model_ops) const {
    std::string key = test_name;
    std::string domain_hint;
    if (key.rfind("test_", 0) == 0) key = key.substr(5);
    if (key.rfind("ai_onnx_ml_", 0) == 0) {
      key = key.substr(11);
      domain_hint = "ai.onnx.ml";
    }
    const std::string norm = normalize_op_name(key);
    auto find_in_model = [&](const std::string& op_type) -> const OpKey* {
      for (const OpKey& k : model_ops)
        if (k.op_type == op_type) return &k;
      return nullptr;
    };
    auto by_name = [&](const std::string& op_type) {
      Attribution a;
      if (const OpKey* k = find_in_model(op_type)) {
        a.op = *k;
      } else {
        a.in_model = false;
        a.op.op_type = op_type;
        auto it = known_.find(normalize_op_name(op_type));
        a.op.domain = it != known_.end() ? it->second.domain : domain_hint;
      }
      return a;
    };

    // 1. Aliases: the longest alias that prefixes the (underscored) test name.
    static const std::vector<std::pair<std::string, std::string>> kAliases = {
        {"sce_", "SoftmaxCrossEntropyLoss"},   {"nllloss", "NegativeLogLikelihoodLoss"},
        {"batchnorm", "BatchNormalization"},   {"instancenorm", "InstanceNormalization"},
        {"mvn", "MeanVarianceNormalization"},  {"simple_rnn", "RNN"},
        {"basic_conv_", "Conv"},               {"conv_with_", "Conv"},
        {"basic_convinteger", "ConvInteger"},  {"tril", "Trilu"},
        {"triu", "Trilu"},                     {"edge_pad", "Pad"},
        {"reflect_pad", "Pad"},                {"constant_pad", "Pad"},
        {"wrap_pad", "Pad"},                   {"training_dropout", "Dropout"},
        {"strnorm", "StringNormalizer"},       {"less_equal", "LessOrEqual"},
        {"greater_equal", "GreaterOrEqual"},   {"nesterov_momentum", "Momentum"},
        {"gradient_of", "Gradient"},           {"l1normalization", "LpNormalization"},
        {"l2normalization", "LpNormalization"}, {"lpnormalization", "LpNormalization"},
        {"image_decoder", "ImageDecoder"},
    };
    const std::pair<std::string, std::string>* best_alias = nullptr;
    for (const auto& al : kAliases)
      if (key.rfind(al.first, 0) == 0 && (!best_alias || al.first.size() > best_alias->first.size())) best_alias = &al;
    if (best_alias) return by_name(best_alias->second);

    // 2. Longest normalized-name prefix among the model's ops and all known ops.
    std::string best;
    std::string best_type;
    auto consider = [&](const std::string& op_type) {
      std::string n = normalize_op_name(op_type);
      if (!n.empty() && norm.rfind(n, 0) == 0 && n.size() > best.size()) {
        best = n;
        best_type = op_type;
      }
    };
    for (const OpKey& k : model_ops) consider(k.op_type);
    for (const auto& [n, k] : known_) consider(k.op_type);
    if (!best_type.empty()) {
      // Prefer the model's own spelling/domain when it holds an op of that name.
      for (const OpKey& k : model_ops)
        if (normalize_op_name(k.op_type) == best) return by_name(k.op_type);
      return by_name(best_type);
    }

    // 3. Fallback.
    Attribution a;
    if (!model_ops.empty()) {
      a.op = model_ops.front();
      bool single = std::all_of(model_ops.begin(), model_ops.end(), [&](const OpKey& k) { return k == a.op; });
      a.guessed = !single;
    } else {
      a.op.op_type = "(no op)";
      a.guessed = true;
    }
    return a;
  }

 private:
  std::multimap<std::string, OpKey> known_;  // normalized name -> op
};

}  // namespace edgerun::conformance
