#pragma once

// A compile-time list of types (the catalog's lists of models, sources and rules).

namespace spikerate::sim {

template <class... T>
struct TypeList {};

template <class A, class B>
struct ConcatOf;
template <class... A, class... B>
struct ConcatOf<TypeList<A...>, TypeList<B...>> {
    using type = TypeList<A..., B...>;
};
// The types of A, then those of B.
template <class A, class B>
using Concat = typename ConcatOf<A, B>::type;

}  // namespace spikerate::sim
