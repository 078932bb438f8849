// toml++'s implementation, compiled into fuzz_scenario from Debian's headers (the version of its
// shared library, whose definitions these take the place of) so that the parser is instrumented
// too: the fuzzer then sees which TOML gets it further.

#define TOML_IMPLEMENTATION
#include <toml++/toml.h>
