// What the fuzz targets of tests/fuzz found (or were pointed at), each input minimised and kept
// here: the readers of scenario, IDX and spike files must return or throw a spikerate::Error,
// never crash, overflow the stack, wait or throw anything else.

#include <stdlib.h>     // mkdtemp
#include <sys/stat.h>   // mkfifo
#include <sys/types.h>  // mode_t

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "models/error.hpp"
#include "sim/io/scenario.hpp"
#include "sim/task/idx_file.hpp"
#include "tests/sim/io/scenario_test_util.hpp"

namespace {

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using scenario_test::error_of;
using spikerate::sim::io::parse_scenario;

// A fresh directory under the system's temporary directory, removed with its contents.
class FuzzScratchDir {
  public:
    FuzzScratchDir() {
        std::string pattern = (fs::temp_directory_path() / "spikerate-fuzz-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed for " + pattern);
        }
        path_ = pattern;
    }
    ~FuzzScratchDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    FuzzScratchDir(const FuzzScratchDir&) = delete;
    FuzzScratchDir& operator=(const FuzzScratchDir&) = delete;
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

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

TEST_CASE("fuzz: a table header that does not begin with a key is a syntax error, not an assert",
          "[unit][fuzz]") {
    // toml++ 3.3.0 entered its key parser with a broken precondition on `[..` (an assertion in
    // the fuzz build, an optimiser assumption in a release one; marzer/tomlplusplus#301).
    const std::string found = "TOML syntax error: a table header must begin with a key";
    CHECK_THAT(error_of("[.."), Contains("bad.toml:1: " + found + " (bare or quoted), found '.'"));
    CHECK_THAT(error_of(valid + "[[[a]]]\n"), Contains("bad.toml:4: " + found) && Contains("'['"));
    CHECK_THAT(error_of(valid + "[ \t=\n"), Contains("bad.toml:4: " + found) && Contains("'='"));
    CHECK_THAT(error_of("[\n"), Contains(found) && Contains("byte 0x0a"));
    CHECK_THAT(error_of("[[\r\n"), Contains(found) && Contains("byte 0x0d"));
    CHECK_THAT(error_of(valid, {"[..]"}), Contains("--set [..]: " + found));
    // What toml++ reports itself is left to it: an empty header, [ [a] ] with a space.
    CHECK_THAT(error_of("[]\n"), !Contains(found));
    CHECK_THAT(error_of("[ [a] ]\n"), !Contains(found));
    // Valid headers, and lines of a value that start with a bracket, are not headers.
    const std::string loads =
        "[ run ]\nseed = 3\n[ \"populations\" . 'p' ]\nmodel = \"poisson\"\n"
        "size = 1\n[[populations.p.x]]\n";
    CHECK_THAT(error_of(loads), Contains("populations.p.x") && !Contains(found));
    const std::string array_lines =
        "[populations.p]\nmodel = \"poisson\"\nsize = 1\n[record]\nspikes = [\n\"p\"\n,\n]\n";
    CHECK(parse_scenario(array_lines, "ok.toml").run.seed == 1);
}

TEST_CASE("fuzz: a closing brace inside an array is a syntax error, not an assert",
          "[unit][fuzz]") {
    // toml++ 3.3.0 called its value parser on the '}' (found as d=[[[[[[[[[[[}...).
    const std::string found =
        "TOML syntax error: '}' inside an array, which no inline table opened";
    CHECK_THAT(error_of("d=[}"), Contains("bad.toml:1: " + found));
    CHECK_THAT(error_of(valid + "x = [\n  1,\n  }\n"), Contains("bad.toml:6: " + found));
    CHECK_THAT(error_of(valid, {"run.seed=[[}]]"}), Contains("--set run.seed=[[}]]: " + found));
    // Inline tables in arrays close with their own brace.
    CHECK_THAT(error_of(valid + "x = [{ a = 1 }, { b = [2] }]\n"),
               Contains("unknown key") && !Contains(found));
}

TEST_CASE(
    "fuzz: toml++ is given ASCII only: non-ASCII text in strings is escaped, elsewhere refused",
    "[unit][fuzz]") {
    // toml++ 3.3.0's test for non-ASCII whitespace reached __builtin_unreachable for most code
    // points (U+03C2, U+0419 here; marzer/tomlplusplus#190, #305), wherever it scanned one as a
    // possible value terminator, also inside text it read as a malformed number.
    const std::string outside = "TOML syntax error: a non-ASCII character outside a string";
    CHECK_THAT(error_of("\xcf\x82lt_rs1979-05-27"), Contains("bad.toml:1: " + outside));
    CHECK_THAT(error_of(valid + "x = 1 \xc2\xa7\n"), Contains("bad.toml:4: " + outside));
    CHECK_THAT(error_of(valid, {"populations.p.\xcf\x82=1"}), Contains("--set"));
    CHECK_THAT(error_of(valid, {"run.output=\xcf\x82"}), Contains("--set") && Contains(outside));
    // The finding: a number running into a string with a Cyrillic letter (a syntax error now).
    CHECK_THAT(error_of("[task]\ndata_dir = 1\"../a\xd0\x99'''b\"\n"),
               Contains("bad.toml:2:") && Contains("TOML syntax error"));
    CHECK_THAT(error_of("[run]\noutput = \"a\xff\"\n"), Contains("bad.toml:2: invalid UTF-8"));
    CHECK_THAT(error_of("[run]\noutput = \"a\xf8\x90\x80\x80\"\n"), Contains("invalid UTF-8"));
    CHECK_THAT(error_of("[run]\noutput = '\xc0\xaf'\n"), Contains("invalid UTF-8"));  // overlong
    CHECK_THAT(error_of("[run]\noutput = \"a\\\xc3\xa9\"\n"),
               Contains("bad.toml:2: a non-ASCII character after a backslash"));

    // The values are the text's: basic and literal strings, single and multi-line, keys, a
    // line-ending backslash before a non-ASCII character, four-byte characters, a byte order
    // mark, non-ASCII comments.
    const auto output_of = [](const std::string& value) {
        return parse_scenario(valid + "[run]\noutput = " + value + "\n", "ok.toml").run.output;
    };
    CHECK(output_of("\"\xcf\x82\\u00e9.h5\"") == "\xcf\x82\xc3\xa9.h5");
    CHECK(output_of("'\xc3\xa9\\\"x\".h5'") == "\xc3\xa9\\\"x\".h5");
    CHECK(output_of("\"\"\"a\\\n  \n \xc2\xa7.h5\"\"\"") == "a\xc2\xa7.h5");
    CHECK(output_of("'''\n\xc3\xa9 \"\\\" ''.h5'''") == "\xc3\xa9 \"\\\" ''.h5");
    CHECK(output_of("\"\xf0\x9f\xa7\xa0.h5\"") == "\xf0\x9f\xa7\xa0.h5");
    const std::string loads =
        "\xEF\xBB\xBF# \xcf\x82\n[run]\noutput = \"x.h5\" # \xc2\xa7\n"
        "[populations.'\xcf\x82']\nmodel = \"poisson\"\nsize = 1\n";
    const auto scenario = parse_scenario(loads, "ok.toml");
    CHECK(scenario.run.output == "x.h5");
    CHECK(scenario.network.populations.at(0).name == "\xcf\x82");
}

TEST_CASE("fuzz: the IDX reader refuses a FIFO instead of waiting for a writer", "[unit][fuzz]") {
    const FuzzScratchDir dir;
    const fs::path fifo = dir.path() / "train-images-idx3-ubyte";
    REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
    try {
        spikerate::sim::task::read_idx_ubyte(fifo, 3);
        FAIL("read a FIFO");
    } catch (const spikerate::DataError& e) {
        CHECK_THAT(e.what(), Contains(fifo.string() + ": not a regular file"));
    }
}

TEST_CASE("fuzz: the IDX reader checks the header against the file size before reading",
          "[unit][fuzz]") {
    // A sparse file of 1 TiB behind a header for 2 x 28 x 28 bytes: it was read whole into memory
    // first (std::bad_alloc, or an ASan report).
    const FuzzScratchDir dir;
    const fs::path file = dir.path() / "big-idx3-ubyte";
    {
        std::ofstream out(file, std::ios::binary);
        const char header[] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28};
        out.write(header, sizeof header);
    }
    const std::uintmax_t size = std::uintmax_t{1} << 40;
    fs::resize_file(file, size);
    try {
        spikerate::sim::task::read_idx_ubyte(file, 3);
        FAIL("read a 1 TiB file");
    } catch (const spikerate::DataError& e) {
        CHECK_THAT(e.what(), Contains(fmt::format("has {} bytes, expected 1584 for 2 x 28 x 28 "
                                                  "(trailing bytes after the data)",
                                                  size)));
    }
}
