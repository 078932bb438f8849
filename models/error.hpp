#pragma once

// Every error spikerate raises: one base, Error, and a subclass per kind of failure, which the
// command-line program maps to its exit codes (sim/app/main.cpp). Messages say what, where and
// what was expected.

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace spikerate {

class Error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// A parameter outside its allowed range. Besides the message (what(), for people), it carries
// as data which key it is about, so that the scenario loader can point at the key's line without
// reading the message:
//   key()      the field as its struct's visit_fields names it ("tau_m"), dotted through nested
//              structs ("exc.tau_m", "plasticity.w_max", "initial.V_m"); "" when about no key;
//   index()    the element of an array key ("node_ids[3]");
//   detail()   what is wrong once the key is named ("-20 ms: must be > 0");
//   element()  the element it concerns ("population", "exc"), set by in().
//   ParamError::value("tau_m", "-20 ms: must be > 0").what() == "tau_m = -20 ms: must be > 0"
class ParamError : public Error {
  public:
    // About no key in particular.
    explicit ParamError(const std::string& message)
        : Error(message), detail_(message), local_(message) {}
    // About `key`: `message` is the whole sentence (it names the key), `detail` what remains.
    ParamError(std::string key, std::optional<std::size_t> index, const std::string& message,
               std::string detail)
        : Error(message),
          key_(std::move(key)),
          index_(index),
          detail_(std::move(detail)),
          local_(message) {}

    // "key = detail"
    static ParamError value(std::string key, const std::string& detail) {
        return ParamError(key, std::nullopt, key + " = " + detail, detail);
    }
    // "key[index] = detail"
    static ParamError value_at(std::string key, std::size_t index, const std::string& detail) {
        return ParamError(key, index, key + "[" + std::to_string(index) + "] = " + detail, detail);
    }

    const std::string& key() const { return key_; }
    std::optional<std::size_t> index() const { return index_; }
    const std::string& detail() const { return detail_; }
    const std::string& element_kind() const { return element_kind_; }
    const std::string& element_name() const { return element_name_; }
    // The message without the element's context.
    const std::string& local_message() const { return local_; }

    // The same error, about a key of a struct nested as field `outer`: key "outer.key", message
    // "outer.<message>" (an error about no key becomes one about `outer`).
    ParamError within(std::string_view outer) const {
        const std::string prefix(outer);
        ParamError e =
            key_.empty() ? ParamError(prefix, std::nullopt, prefix + ": " + local_, local_)
                         : ParamError(prefix + "." + key_, index_, prefix + "." + local_, detail_);
        e.element_kind_ = element_kind_;
        e.element_name_ = element_name_;
        return e;
    }
    // The same error, about an element of a network or scenario: what() becomes
    // "<context>: <message>", e.g. "population 'exc' (lif_cond): tau_m = -20 ms: must be > 0".
    ParamError in(std::string kind, std::string name, const std::string& context) const {
        ParamError e(key_, index_, context + ": " + local_, detail_);
        e.local_ = local_;
        e.element_kind_ = std::move(kind);
        e.element_name_ = std::move(name);
        return e;
    }

  private:
    std::string key_;
    std::optional<std::size_t> index_;
    std::string detail_;
    std::string element_kind_;
    std::string element_name_;
    std::string local_;
};

// A scenario that cannot run. The message names the file, the line, the key path and what
// was expected: "coba.toml:12: populations.exc.tau_m_ms: -20 ms must be > 0".
class ScenarioError : public ParamError {
  public:
    explicit ScenarioError(const std::string& message) : ParamError(message) {}
};

// The simulated state became non-finite (NaN or infinite), or a numerical method failed.
class NumericalError : public Error {
  public:
    using Error::Error;
};

// Data that cannot be used: a missing or malformed file, or a data set whose sizes, values or
// labels do not agree. The message names the file or data set, what is wrong and what was
// expected.
class DataError : public Error {
  public:
    using Error::Error;
};

// Output could not be created, written, renamed or read; the message names the path.
class IoError : public Error {
  public:
    using Error::Error;
};

// The output file a run was asked to write is refused before anything runs (it exists, or its
// directory cannot be written).
class OutputRefused : public Error {
  public:
    using Error::Error;
};

}  // namespace spikerate
