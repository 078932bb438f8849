// Diehl & Cook's normalisation: every postsynaptic neuron's incoming weights scaled to a fixed
// sum, within the plasticity rule's bounds.
#include <numeric>
#include <vector>

#include <catch2/catch.hpp>

#include "models/error.hpp"
#include "models/weight_normalisation.hpp"

using spikerate::ParamError;
using spikerate::models::normalise_incoming;
using spikerate::models::WeightBounds;

namespace {

double column_sum(const std::vector<double>& w, std::size_t n_pre, std::size_t n_post,
                  std::size_t j) {
    double sum = 0.0;
    for (std::size_t i = 0; i < n_pre; ++i) sum += w[i * n_post + j];
    return sum;
}

}  // namespace

TEST_CASE("normalisation: every column sums to the target, ratios kept", "[normalisation][unit]") {
    const std::size_t n_pre = 784;
    const std::size_t n_post = 3;
    std::vector<double> w(n_pre * n_post);
    for (std::size_t s = 0; s < w.size(); ++s) w[s] = 0.003 + 0.3 * ((s * 7919) % 1000) / 1000.0;
    const std::vector<double> before = w;
    REQUIRE(normalise_incoming(w, n_pre, n_post, 78.0, WeightBounds{0.0, 1.0}) == 0);
    for (std::size_t j = 0; j < n_post; ++j) {
        CHECK(column_sum(w, n_pre, n_post, j) == Approx(78.0).epsilon(1e-12));
        const double factor = w[j] / before[j];
        for (std::size_t i = 0; i < n_pre; ++i) {
            CHECK(w[i * n_post + j] == Approx(factor * before[i * n_post + j]).epsilon(1e-12));
        }
    }
}

TEST_CASE("normalisation: weights that would pass w_max are held there, the others make up the sum",
          "[normalisation][unit]") {
    // Column 0: one strong weight and 9 weak ones; plain scaling to sum 5 would put the strong
    // one at 5 * 10 / 10.9 = 4.6 > w_max = 1.
    const std::size_t n_pre = 10;
    const std::size_t n_post = 2;
    std::vector<double> w(n_pre * n_post, 0.1);
    w[0 * n_post + 0] = 10.0;
    const WeightBounds bounds{0.0, 1.0};
    REQUIRE(normalise_incoming(w, n_pre, n_post, 5.0, bounds) == 0);
    for (std::size_t j = 0; j < n_post; ++j) {
        CHECK(column_sum(w, n_pre, n_post, j) == Approx(5.0).epsilon(1e-12));
        for (std::size_t i = 0; i < n_pre; ++i) {
            CHECK(w[i * n_post + j] >= bounds.w_min);
            CHECK(w[i * n_post + j] <= bounds.w_max);
        }
    }
    CHECK(w[0] == 1.0);                             // held at the bound
    CHECK(w[1 * n_post + 0] == Approx(4.0 / 9.0));  // the rest share 5 - 1 equally
    CHECK(w[1 * n_post + 1] == Approx(0.5));        // column 1: plain scaling
}

TEST_CASE("normalisation: a lower bound above zero is respected too", "[normalisation][unit]") {
    const std::size_t n_pre = 4;
    std::vector<double> w{0.001, 1.0, 1.0, 1.0};  // one column
    const WeightBounds bounds{0.05, 1.0};
    REQUIRE(normalise_incoming(w, n_pre, 1, 1.0, bounds) == 0);
    CHECK(std::accumulate(w.begin(), w.end(), 0.0) == Approx(1.0).epsilon(1e-12));
    CHECK(w[0] == 0.05);
    for (const double x : w) CHECK((x >= 0.05 && x <= 1.0));
}

TEST_CASE("normalisation: columns that cannot reach the target are reported, within bounds",
          "[normalisation][unit]") {
    const WeightBounds bounds{0.0, 1.0};
    SECTION("all weights zero: no factor helps") {
        std::vector<double> w(5, 0.0);
        CHECK(normalise_incoming(w, 5, 1, 2.0, bounds) == 1);
        for (const double x : w) CHECK(x == 0.0);
    }
    SECTION("the bounds forbid the sum: every weight ends at w_max") {
        std::vector<double> w{0.2, 0.4, 0.6};
        CHECK(normalise_incoming(w, 3, 1, 5.0, bounds) == 1);
        for (const double x : w) CHECK(x == 1.0);
    }
    SECTION("wrong sizes and targets are errors") {
        std::vector<double> w(6, 0.1);
        CHECK_THROWS_AS(normalise_incoming(w, 4, 2, 1.0, bounds), ParamError);
        CHECK_THROWS_AS(normalise_incoming(w, 3, 2, 0.0, bounds), ParamError);
    }
}
