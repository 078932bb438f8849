#pragma once

// How the fields of a description struct become scenario keys. A struct names its fields with
// visit_fields(v), calling v(name, field, extra, doc) for each: `extra` is the unit ("ms", or ""
// for none) or, for an enumeration, the array of its (label, value) pairs; `doc` says what the
// key allows or means. The key is "<name>_<unit>", or "<name>" without a unit or for an
// enumeration. The readers (reader.hpp) and the key reference (key_reference.hpp) both use these.

#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

namespace spikerate::sim::io::fields {

template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};

template <class Extra>
constexpr bool is_unit = std::is_convertible_v<const Extra&, std::string_view>;

template <class Extra>
std::string key_of(std::string_view name, const Extra& extra) {
    if constexpr (is_unit<Extra>) {
        const std::string_view unit = extra;
        return unit.empty() ? std::string(name) : fmt::format("{}_{}", name, unit);
    } else {
        return std::string(name);
    }
}

template <class Extra>
std::string unit_of(const Extra& extra) {
    if constexpr (is_unit<Extra>) {
        return std::string(std::string_view(extra));
    } else {
        return {};
    }
}

// The labels of an enumeration's (label, value) pairs.
template <class Choices>
std::vector<std::string> labels_of(const Choices& choices) {
    std::vector<std::string> labels;
    for (const auto& [label, value] : choices) labels.emplace_back(label);
    return labels;
}

// What a key of this C++ type holds, as the key reference says it.
template <class Field>
std::string type_of() {
    if constexpr (std::is_same_v<Field, bool>) {
        return "boolean";
    } else if constexpr (std::is_floating_point_v<Field>) {
        return "number";
    } else if constexpr (std::is_integral_v<Field>) {
        return "integer";
    } else if constexpr (std::is_enum_v<Field> || std::is_same_v<Field, std::string>) {
        return "string";
    } else if constexpr (IsVector<Field>::value) {
        using Item = typename Field::value_type;
        if constexpr (std::is_floating_point_v<Item>) return "array of numbers";
        if constexpr (std::is_integral_v<Item>) return "array of integers";
        if constexpr (std::is_same_v<Item, std::string>) return "array of strings";
    } else {
        static_assert(!sizeof(Field*), "a field type scenario files cannot hold yet");
    }
}

// A value as a scenario file writes it (the default column of the key reference).
template <class Field, class Extra>
std::string value_text(const Field& value, const Extra& extra) {
    if constexpr (std::is_same_v<Field, bool>) {
        return value ? "true" : "false";
    } else if constexpr (std::is_arithmetic_v<Field>) {
        return fmt::format("{}", value);
    } else if constexpr (std::is_enum_v<Field>) {
        for (const auto& [label, choice] : extra) {
            if (choice == value) return fmt::format("\"{}\"", label);
        }
        return "?";
    } else if constexpr (std::is_same_v<Field, std::string>) {
        return fmt::format("\"{}\"", value);
    } else if constexpr (IsVector<Field>::value) {
        std::string out = "[";
        for (std::size_t i = 0; i < value.size(); ++i) {
            out += (i > 0 ? ", " : "") + value_text(value[i], extra);
        }
        return out + "]";
    }
}

}  // namespace spikerate::sim::io::fields
