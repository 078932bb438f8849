// The resolved scenario: the table after the overrides, written back as TOML (the output file's
// root attribute `scenario`).

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <sstream>
#include <system_error>

#include <fmt/format.h>

#include "sim/io/scenario/sections.hpp"

namespace spikerate::sim::io::reader {

namespace {

// toml++ on GCC prints doubles with 17 significant digits (0.1 -> 0.10000000000000001). This
// respells every float of the formatted text in its shortest form that parses back to the same
// double. Strings and comments are copied as they are; keys are never numbers after validation.
std::string shortest_floats(std::string_view text) {
    const auto is_key_char = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
    };
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c == '#') {
            const std::size_t end = std::min(text.find('\n', i), text.size());
            out.append(text.substr(i, end - i));
            i = end;
        } else if (c == '"' || c == '\'') {
            const bool triple = text.substr(i, 3) == std::string(3, c);
            const std::string_view close = triple ? text.substr(i, 3) : text.substr(i, 1);
            std::size_t j = i + close.size();
            while (j < text.size() && text.substr(j, close.size()) != close) {
                j += (c == '"' && text[j] == '\\') ? 2 : 1;
            }
            j = std::min(j + close.size(), text.size());
            out.append(text.substr(i, j - i));
            i = j;
        } else if ((std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '+') &&
                   (i == 0 || !is_key_char(text[i - 1]))) {
            std::size_t j = i + 1;
            while (j < text.size() &&
                   (std::isdigit(static_cast<unsigned char>(text[j])) != 0 ||
                    std::string_view(".eE+-").find(text[j]) != std::string_view::npos)) {
                ++j;
            }
            const std::string_view token = text.substr(i, j - i);
            const std::string_view digits = token.substr(token[0] == '+' ? 1 : 0);
            double value = 0.0;
            const auto [end, error] =
                std::from_chars(digits.data(), digits.data() + digits.size(), value);
            const bool is_float = token.find_first_of(".eE") != std::string_view::npos;
            if (is_float && error == std::errc{} && end == digits.data() + digits.size() &&
                std::isfinite(value)) {
                std::string shortest = fmt::format("{}", value);
                if (shortest.find_first_of(".e") == std::string::npos) shortest += ".0";
                out += shortest;
            } else {
                out.append(token);
            }
            i = j;
        } else {
            out += c;
            ++i;
        }
    }
    return out;
}

}  // namespace

std::string resolved_text(const toml::table& root) {
    std::ostringstream text;
    text << toml::toml_formatter(root);
    return shortest_floats(text.str()) + "\n";
}

}  // namespace spikerate::sim::io::reader
