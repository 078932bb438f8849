#include "population.hpp"

#include <fmt/format.h>

#include "models/error.hpp"

namespace spikerate::sim {

Population::Population(std::string name, std::uint32_t size, bool keeps_input_times)
    : name_(std::move(name)),
      size_(size),
      keeps_input_times_(keeps_input_times),
      summed_input_(Eigen::ArrayXd::Zero(static_cast<Eigen::Index>(n_receptors) * size)) {}

void Population::throw_unknown_variable(std::string_view variable) const {
    throw Error(fmt::format("population '{}' ({}) has no state variable '{}'", name_, model_id(),
                            variable));
}

std::string_view Population::variable_unit(std::string_view variable) const {
    throw_unknown_variable(variable);
}

std::span<double> Population::variable(std::string_view variable) {
    throw_unknown_variable(variable);
}

}  // namespace spikerate::sim
