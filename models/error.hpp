#pragma once

// Every error spikerate raises: one base, Error, and a subclass per kind of failure, which the
// command-line program maps to its exit codes (sim/app/main.cpp). Messages say what, where and
// what was expected.

#include <stdexcept>

namespace spikerate {

class Error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// A parameter outside its allowed range; the message names the parameter and the bound.
class ParamError : public Error {
  public:
    using Error::Error;
};

// A scenario that cannot run. The message names the file, the line, the key path and what
// was expected: "coba.toml:12: populations.exc.tau_m_ms: -20 ms must be > 0".
class ScenarioError : public ParamError {
  public:
    using ParamError::ParamError;
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
