// What the fuzz targets of tests/fuzz found (or were pointed at), each input minimised and kept
// here: the readers of scenario, IDX and spike files must return or throw a spikerate::Error,
// never crash, overflow the stack, wait or throw anything else.

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "models/error.hpp"
#include "sim/io/scenario.hpp"
#include "tests/sim/io/scenario_test_util.hpp"

namespace {

using Catch::Matchers::Contains;
using scenario_test::error_of;
using spikerate::sim::io::parse_scenario;

std::string repeat(const std::string& part, std::size_t n, const std::string& separator = "") {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += (i == 0 ? "" : separator) + part;
    return out;
}

const std::string too_deep = "nest deeper than 64 levels";

// A scenario that loads, to put text in front of or behind.
const std::string valid = R"([populations.p]
model = "poisson"
size = 1
)";

}  // namespace

TEST_CASE("fuzz: a dotted key 50,000 levels deep is refused naming its line, not parsed",
          "[unit][fuzz]") {
    // toml++ recursed once per level and overflowed the stack (a crash, not an error).
    const std::string key = repeat("a", 50'000, ".");
    const std::string message = "bad.toml:4: keys, tables and arrays " + too_deep;
    CHECK_THAT(error_of(valid + key + " = 1\n"), Contains(message));
    CHECK_THAT(error_of(valid + "[" + key + "]\n"), Contains(message));
    CHECK_THAT(error_of(valid + "[[" + key + "]]\n"), Contains(message));
    CHECK_THAT(error_of(valid + "x = { " + key + " = 1 }\n"), Contains(message));
}

TEST_CASE("fuzz: an override 50,000 levels deep is refused naming the override", "[unit][fuzz]") {
    const std::string key = repeat("a", 50'000, ".");
    const std::string message = error_of(valid, {"run.seed=2", key + "=1"});
    CHECK_THAT(message, Contains("--set a.a.a.a.a"));
    CHECK_THAT(message, Contains("(100001 characters): keys, tables and arrays " + too_deep));
    CHECK(message.size() < 200);  // the override is abbreviated
    CHECK_THAT(error_of(valid, {"x=" + repeat("{a=", 50'000) + "1" + repeat("}", 50'000)}),
               Contains(too_deep));
}

TEST_CASE("fuzz: 64 levels of keys, tables and arrays are read, 65 refused", "[unit][fuzz]") {
    // Each text below nests `levels` deep: the nesting check passes it to the sections, which
    // refuse the unknown key x instead.
    const auto texts = [](std::size_t levels) {
        return std::vector<std::string>{
            repeat("x", levels, ".") + " = 1\n",                                // dotted key
            "[" + repeat("x", levels - 1, ".") + "]\ny = 1\n",                  // table
            "[[" + repeat("x", levels - 2, ".") + "]]\ny = 1\n",                // array of tables
            "x = " + repeat("[", levels - 1) + repeat("]", levels - 1) + "\n",  // arrays
            "x = " + repeat("{ x = ", levels - 1) + "1" +
                repeat(" }", levels - 1),  // inline tables
            "[x]\nx = [{ x.x = [\n  [1],\n  " + repeat("[", levels - 6) + repeat("]", levels - 6) +
                "\n] }]\n",  // all of them, over lines
        };
    };
    for (const std::string& text : texts(64)) {
        INFO(text);
        const std::string message = error_of(text);
        CHECK_THAT(message, !Contains(too_deep));
        CHECK_THAT(message, Contains("unknown key"));
    }
    for (const std::string& text : texts(65)) {
        INFO(text);
        CHECK_THAT(error_of(text), Contains(too_deep));
    }
    CHECK_THAT(error_of(texts(64)[4], {"run.seed=" + repeat("[", 64) + repeat("]", 64)}),
               Contains("--set run.seed=[[[[") && Contains(too_deep));
}

TEST_CASE("fuzz: brackets and dots in strings and comments do not count as nesting",
          "[unit][fuzz]") {
    const std::string brackets = repeat("[", 100) + repeat("{", 100) + repeat(".", 100);
    const std::string text = "# " + brackets + "\n[run]\noutput = \"" + brackets + "\\\"\"  # " +
                             brackets + "\n[populations.'" + brackets +
                             "']\nmodel = \"poisson\"\nsize = 1\nrate_Hz = 5 # " + brackets +
                             "\n[populations.\"q.q\"]\nmodel = '''poisson'''\nsize = \"\"\"\n" +
                             brackets + "\"\"\"\n";
    // The last key is wrong (size as a string), so the message says which line it is on.
    CHECK_THAT(error_of(text),
               Contains("bad.toml:10: populations.\"q.q\".size: expected an integer"));
    const std::string loads = "# " + brackets + "\n[run]\noutput = \"" + brackets +
                              "\"\nmode = 'grid' # " + brackets + "\n" + valid;
    CHECK(parse_scenario(loads, "deep.toml").run.output == brackets);
}
