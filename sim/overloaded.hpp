#pragma once

namespace spikerate::sim {

// One visitor from several lambdas, for std::visit over the spec variants:
//   std::visit(Overloaded{[](const A&) {...}, [](const B&) {...}}, variant);
template <class... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};

}  // namespace spikerate::sim
