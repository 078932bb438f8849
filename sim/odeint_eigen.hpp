#pragma once

// Boost.Odeint on Eigen arrays: the population state is one Eigen::ArrayXd, integrated with
// vector_space_algebra (Eigen's own vectorised expressions do the arithmetic).

#include <Eigen/Core>
#include <boost/numeric/odeint.hpp>
#include <boost/numeric/odeint/external/eigen/eigen.hpp>

// Boost 1.74's odeint defines the infinity norm (used by the error control of adaptive steppers)
// for Eigen matrices only; this is the same for arrays.
namespace boost::numeric::odeint {
template <>
struct vector_space_norm_inf<Eigen::ArrayXd> {
    using result_type = double;
    double operator()(const Eigen::ArrayXd& x) const { return x.abs().maxCoeff(); }
};
}  // namespace boost::numeric::odeint

namespace spikerate::sim {

namespace odeint = boost::numeric::odeint;

using Rk4Stepper = odeint::runge_kutta4<Eigen::ArrayXd, double, Eigen::ArrayXd, double,
                                        odeint::vector_space_algebra>;
using EulerStepper =
    odeint::euler<Eigen::ArrayXd, double, Eigen::ArrayXd, double, odeint::vector_space_algebra>;
using Dopri5Stepper = odeint::runge_kutta_dopri5<Eigen::ArrayXd, double, Eigen::ArrayXd, double,
                                                 odeint::vector_space_algebra>;
using ControlledDopri5 = odeint::result_of::make_controlled<Dopri5Stepper>::type;

}  // namespace spikerate::sim
