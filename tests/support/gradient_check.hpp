// Central finite-difference gradient checks for layers and models, in double precision.
//
// The objective is s = sum(r .* y) for a fixed random upstream matrix r (not a plain sum,
// which would hide errors that cancel across outputs). Each analytic derivative a is
// compared with its numeric estimate n and passes when |a - n| <= tolerance * max(1, |a|, |n|).
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <sinapse/sinapse.hpp>

namespace test_support {

/// Worst disagreement over all checked derivatives, with a description of where it is.
struct GradientCheckResult {
  double worst_error = 0.0;
  std::string worst_location = "none";
  long checked = 0;

  void add(double analytic, double numeric, const std::string& location) {
    ++checked;
    const double scale = std::max({1.0, std::abs(analytic), std::abs(numeric)});
    const double error = std::abs(analytic - numeric) / scale;
    if (!(error <= worst_error)) {
      worst_error = std::isnan(error) ? HUGE_VAL : error;
      std::ostringstream text;
      text.precision(12);
      text << location << ": analytic " << analytic << ", numeric " << numeric;
      worst_location = text.str();
    }
  }

  std::string report() const {
    std::ostringstream text;
    text << checked << " derivatives, worst relative error " << worst_error << " at "
         << worst_location;
    return text.str();
  }
};

/// Central difference of f with respect to value, restoring value afterwards.
inline double central_difference(double& value, const std::function<double()>& f, double step) {
  const double saved = value;
  value = saved + step;
  const double plus = f();
  value = saved - step;
  const double minus = f();
  value = saved;
  return (plus - minus) / (2.0 * step);
}

/// Checks a built layer's input and weight gradients on the given inputs. The layer runs
/// in training mode; `seed` reseeds the dropout generator before every forward pass so
/// the mask stays fixed.
inline GradientCheckResult check_layer_gradients(sinapse::Layer<double>& layer,
                                                 std::vector<sinapse::Matrix<double>> inputs,
                                                 std::uint64_t seed = 7, double step = 1e-6) {
  using sinapse::Matrix;
  sinapse::Generator generator(seed);
  auto cache = layer.make_cache();
  sinapse::ForwardContext context{true, &generator};
  auto pointers = [&inputs] {
    std::vector<const Matrix<double>*> result;
    for (const auto& input : inputs) result.push_back(&input);
    return result;
  };
  Matrix<double> output;
  layer.forward(pointers(), output, cache.get(), context);
  sinapse::Generator upstream_generator(seed + 1);
  Matrix<double> upstream(output.rows(), output.cols());
  for (Eigen::Index j = 0; j < upstream.cols(); ++j) {
    for (Eigen::Index i = 0; i < upstream.rows(); ++i) {
      upstream(i, j) = 2.0 * upstream_generator.uniform() - 1.0;
    }
  }
  auto objective = [&]() {
    generator.reseed(seed);
    Matrix<double> y;
    layer.forward(pointers(), y, cache.get(), context);
    return (y.array() * upstream.array()).sum();
  };

  // Analytic gradients from one forward and backward pass with the fixed mask.
  objective();
  generator.reseed(seed);
  layer.forward(pointers(), output, cache.get(), context);
  for (sinapse::Variable<double>* variable : layer.variables()) {
    if (variable->trainable) variable->gradient.setZero();
  }
  std::vector<Matrix<double>> input_gradients(inputs.size());
  std::vector<Matrix<double>*> gradient_pointers;
  for (auto& gradient : input_gradients) gradient_pointers.push_back(&gradient);
  Matrix<double> output_gradient = upstream;
  layer.backward(pointers(), output, output_gradient, cache.get(), gradient_pointers);
  std::vector<Matrix<double>> weight_gradients;
  for (sinapse::Variable<double>* variable : layer.variables()) {
    weight_gradients.push_back(variable->trainable ? variable->gradient : Matrix<double>());
  }

  GradientCheckResult result;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    for (Eigen::Index j = 0; j < inputs[k].cols(); ++j) {
      for (Eigen::Index i = 0; i < inputs[k].rows(); ++i) {
        const double numeric = central_difference(inputs[k](i, j), objective, step);
        std::ostringstream location;
        location << "input " << k << " (" << i << ", " << j << ")";
        result.add(input_gradients[k](i, j), numeric, location.str());
      }
    }
  }
  std::vector<sinapse::Variable<double>*> variables = layer.variables();
  for (std::size_t v = 0; v < variables.size(); ++v) {
    if (!variables[v]->trainable) continue;
    Matrix<double>& value = variables[v]->value;
    for (Eigen::Index j = 0; j < value.cols(); ++j) {
      for (Eigen::Index i = 0; i < value.rows(); ++i) {
        const double numeric = central_difference(value(i, j), objective, step);
        std::ostringstream location;
        location << variables[v]->name << " (" << i << ", " << j << ")";
        result.add(weight_gradients[v](i, j), numeric, location.str());
      }
    }
  }
  return result;
}

}  // namespace test_support
