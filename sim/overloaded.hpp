#pragma once

namespace spikerate::sim {

// One visitor from several lambdas, for std::visit over the spec variants:
//   std::visit(Overloaded{[](const A&) {...}, [](const B&) {...}}, variant);
template <class... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};
// Spelt out for clang before 17, which does not deduce an aggregate's template arguments (GCC
// does since C++20).
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace spikerate::sim
