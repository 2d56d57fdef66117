// Errors are values: every fallible function returns Status or Expected<T>.
// No exceptions in core, kernels or hot paths; nothing a file or request can cause aborts.
#pragma once

#include <sstream>
#include <string>
#include <utility>
#include <variant>

namespace edgerun {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // caller passed something wrong (shape, dtype, flag)
  kInvalidModel,     // the model file is malformed or inconsistent
  kUnsupported,      // valid, but edgerun does not implement it (op, dtype, attribute)
  kNotFound,         // file, input name, op
  kIoError,          // read/write/mmap failure
  kInternal,         // a bug in edgerun
};

const char* status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() { return Status(); }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid model: node 'conv1' (Conv): kernel_shape has 3 values, weight is 4-D"
  std::string to_string() const;
  // Prefix context, e.g. status.with_context("loading model.onnx").
  Status with_context(const std::string& context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

template <class... Args>
std::string str_cat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

template <class... Args>
Status invalid_argument(const Args&... args) { return Status(StatusCode::kInvalidArgument, str_cat(args...)); }
template <class... Args>
Status invalid_model(const Args&... args) { return Status(StatusCode::kInvalidModel, str_cat(args...)); }
template <class... Args>
Status unsupported(const Args&... args) { return Status(StatusCode::kUnsupported, str_cat(args...)); }
template <class... Args>
Status not_found(const Args&... args) { return Status(StatusCode::kNotFound, str_cat(args...)); }
template <class... Args>
Status io_error(const Args&... args) { return Status(StatusCode::kIoError, str_cat(args...)); }
template <class... Args>
Status internal_error(const Args&... args) { return Status(StatusCode::kInternal, str_cat(args...)); }

// Expected<T>: a T or the Status that explains why there is none.
template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}          // NOLINT(implicit)
  Expected(Status status) : v_(std::move(status)) {}   // NOLINT(implicit); must not be ok
  bool ok() const { return v_.index() == 0; }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<1>(v_);
  }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace edgerun

#define ER_CONCAT_INNER(a, b) a##b
#define ER_CONCAT(a, b) ER_CONCAT_INNER(a, b)

// Return the Status of `expr` from the enclosing function if it is an error.
#define ER_RETURN_IF_ERROR(expr)                    \
  do {                                              \
    ::edgerun::Status er_status_ = (expr);          \
    if (!er_status_.ok()) return er_status_;        \
  } while (0)

// `ER_ASSIGN_OR_RETURN(auto x, f());` binds the value of an Expected or returns its Status.
#define ER_ASSIGN_OR_RETURN(decl, expr) ER_ASSIGN_OR_RETURN_IMPL(ER_CONCAT(er_expected_, __LINE__), decl, expr)
#define ER_ASSIGN_OR_RETURN_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  decl = std::move(tmp).value()
