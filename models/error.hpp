#pragma once

#include <stdexcept>

namespace spikerate {

// The one base of every error spikerate raises; the command-line program maps the subclasses
// to exit codes. Messages say what, where and what was expected.
class Error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// A parameter outside its allowed range; the message names the parameter and the bound.
class ParamError : public Error {
  public:
    using Error::Error;
};

// The simulated state became non-finite (NaN or infinite), or a numerical method failed.
class NumericalError : public Error {
  public:
    using Error::Error;
};

}  // namespace spikerate
