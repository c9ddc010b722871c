// Tests of Adam against Keras 3's update rule, one weight at a time: epsilon added to
// the square root of the uncorrected second moment, bias correction folded into the step
// size, amsgrad, hyperparameter validation, and the optimizer state.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "support/catch.hpp"

namespace {

using sinapse::Adam;
using sinapse::Matrix;
using sinapse::Variable;

/// Returns a trainable 1x1 variable that contains `value`.
template <typename Scalar>
Variable<Scalar> scalar_variable(double value) {
  Variable<Scalar> variable;
  variable.name = "w";
  variable.value = Matrix<Scalar>::Constant(1, 1, static_cast<Scalar>(value));
  variable.gradient = Matrix<Scalar>::Zero(1, 1);
  return variable;
}

/// Keras's Adam on one scalar weight, in double: returns the weight after each gradient.
std::vector<double> keras_adam(double weight, const std::vector<double>& gradients,
                               double learning_rate, double beta_1, double beta_2, double epsilon,
                               bool amsgrad) {
  double m = 0.0;
  double v = 0.0;
  double v_hat = 0.0;
  std::vector<double> weights;
  for (std::size_t k = 0; k < gradients.size(); ++k) {
    const double g = gradients[k];
    const double t = static_cast<double>(k + 1);
    m += (g - m) * (1.0 - beta_1);
    v += (g * g - v) * (1.0 - beta_2);
    v_hat = std::max(v_hat, v);
    const double alpha =
        learning_rate * std::sqrt(1.0 - std::pow(beta_2, t)) / (1.0 - std::pow(beta_1, t));
    weight -= alpha * m / (std::sqrt(amsgrad ? v_hat : v) + epsilon);
    weights.push_back(weight);
  }
  return weights;
}

/// PyTorch's torch.optim.Adam step on one scalar weight, which adds epsilon after the
/// bias correction of v.
double pytorch_adam_first_step(double weight, double g, double learning_rate, double beta_1,
                               double beta_2, double epsilon) {
  const double m = (1.0 - beta_1) * g;
  const double v = (1.0 - beta_2) * g * g;
  const double denominator = std::sqrt(v) / std::sqrt(1.0 - beta_2) + epsilon;
  return weight - learning_rate / (1.0 - beta_1) * m / denominator;
}

/// Applies Adam to a single weight with the given gradients and returns the weight
/// after each step.
template <typename Scalar>
std::vector<double> run_adam(Adam<Scalar>& adam, double weight,
                             const std::vector<double>& gradients) {
  Variable<Scalar> variable = scalar_variable<Scalar>(weight);
  adam.build({&variable});
  std::vector<double> weights;
  for (const double g : gradients) {
    variable.gradient(0, 0) = static_cast<Scalar>(g);
    adam.apply({&variable});
    weights.push_back(static_cast<double>(variable.value(0, 0)));
  }
  return weights;
}

template <typename Scalar>
constexpr double closed_form_tolerance() {
  return std::is_same<Scalar, float>::value ? 2e-6 : 1e-13;
}

}  // namespace

TEMPLATE_TEST_CASE("Adam epsilon added to uncorrected root", "[optimizers][adam]", float, double) {
  // A gradient of 1e-6 makes sqrt(v) = 3.2e-8 at step 1, comparable to epsilon = 1e-7,
  // so where epsilon goes changes the step by a factor of almost 4.
  const double learning_rate = 0.01;
  const double weight = 0.5;
  const double g = 1e-6;
  Adam<TestType> adam(learning_rate);

  const std::vector<double> weights = run_adam(adam, weight, {g});

  const double keras = weight - learning_rate * std::sqrt(1.0 - 0.999) / (1.0 - 0.9) * (0.1 * g) /
                                    (std::sqrt(0.001 * g * g) + 1e-7);
  const double pytorch = pytorch_adam_first_step(weight, g, learning_rate, 0.9, 0.999, 1e-7);
  REQUIRE(weights.size() == 1);
  CHECK_THAT(weights[0], Catch::Matchers::WithinRel(keras, closed_form_tolerance<TestType>()));
  // Keras moves the weight by 2.4e-3 here and PyTorch by 9.1e-3.
  CHECK(std::abs(weights[0] - pytorch) > 5e-3);
}

TEMPLATE_TEST_CASE("Adam matches Keras closed form", "[optimizers][adam]", float, double) {
  const std::vector<double> gradients{0.3, -0.05, 2e-6, 1.5, -0.7};
  Adam<TestType> adam(0.02);

  const std::vector<double> weights = run_adam(adam, -0.4, gradients);
  const std::vector<double> expected = keras_adam(-0.4, gradients, 0.02, 0.9, 0.999, 1e-7, false);

  REQUIRE(weights.size() == expected.size());
  for (std::size_t k = 0; k < weights.size(); ++k) {
    INFO("after step " << k + 1);
    CHECK_THAT(weights[k],
               Catch::Matchers::WithinRel(expected[k], closed_form_tolerance<TestType>()));
  }
  CHECK(adam.iterations() == 5);
}

TEMPLATE_TEST_CASE("Adam amsgrad keeps largest velocity", "[optimizers][adam]", float, double) {
  // With beta_2 = 0.9, the gradient 1 and then 0.01 makes v fall from 0.1 to 0.09001,
  // so amsgrad's denominator stays at sqrt(0.1), about 5 % above the plain one.
  const std::vector<double> gradients{1.0, 0.01, 0.02};
  Adam<TestType> adam(0.1, 0.9, 0.9, 1e-7, true);

  const std::vector<double> weights = run_adam(adam, 0.8, gradients);
  const std::vector<double> amsgrad = keras_adam(0.8, gradients, 0.1, 0.9, 0.9, 1e-7, true);
  const std::vector<double> plain = keras_adam(0.8, gradients, 0.1, 0.9, 0.9, 1e-7, false);

  REQUIRE(weights.size() == 3);
  for (std::size_t k = 0; k < weights.size(); ++k) {
    INFO("after step " << k + 1);
    CHECK_THAT(weights[k],
               Catch::Matchers::WithinRel(amsgrad[k], closed_form_tolerance<TestType>()));
  }
  // The runs part at step 2, by more than the tolerance above.
  CHECK(std::abs(plain[1] - amsgrad[1]) > 1e-3);
}

TEMPLATE_TEST_CASE("Adam moments use Keras rounding", "[optimizers][adam]", float, double) {
  // Keras 3 (optimizers/adam.py, Adam.update_step) multiplies by `1 - self.beta_1`, a
  // Python float, so 1 - beta is computed in double and rounded to the variable's dtype
  // once. In float that is 0.1f and 0.001f. Rounding beta first and subtracting in float
  // gives 1 - 0.9f = 0.100000024 and 1 - 0.999f = 0.000999987, which is 1.3e-5 off.
  const TestType g_kernel = TestType(-0.5);
  const TestType g_bias = TestType(2);
  Adam<TestType> adam;
  Variable<TestType> kernel = scalar_variable<TestType>(0.0);
  kernel.value = Matrix<TestType>::Zero(2, 3);
  kernel.gradient = Matrix<TestType>::Constant(2, 3, g_kernel);
  Variable<TestType> bias = scalar_variable<TestType>(0.0);
  bias.gradient(0, 0) = g_bias;
  adam.build({&kernel, &bias});
  adam.apply({&kernel, &bias});

  // From m = v = 0, one step gives m = g (1 - beta_1) and v = g^2 (1 - beta_2), each
  // rounded once.
  const TestType one_minus_beta_1 = static_cast<TestType>(1.0 - 0.9);
  const TestType one_minus_beta_2 = static_cast<TestType>(1.0 - 0.999);
  REQUIRE(adam.momentums().size() == 2);
  REQUIRE(adam.velocities().size() == 2);
  CHECK_THAT(adam.momentums()[0](1, 2),
             Catch::Matchers::WithinULP(TestType(g_kernel * one_minus_beta_1), 1));
  CHECK_THAT(adam.velocities()[0](1, 2),
             Catch::Matchers::WithinULP(TestType(g_kernel * g_kernel * one_minus_beta_2), 1));
  CHECK_THAT(adam.momentums()[1](0, 0),
             Catch::Matchers::WithinULP(TestType(g_bias * one_minus_beta_1), 1));
  CHECK_THAT(adam.velocities()[1](0, 0),
             Catch::Matchers::WithinULP(TestType(g_bias * g_bias * one_minus_beta_2), 1));
  // At step 1, m / sqrt(v) is g / |g| up to epsilon, so every weight moves by about lr.
  CHECK_THAT(static_cast<double>(kernel.value(0, 0)), Catch::Matchers::WithinRel(1e-3, 1e-4));
  CHECK_THAT(static_cast<double>(bias.value(0, 0)), Catch::Matchers::WithinRel(-1e-3, 1e-4));
}

TEST_CASE("Adam zero gradient leaves weight", "[optimizers][adam]") {
  Adam<double> adam;
  const std::vector<double> weights = run_adam(adam, 0.25, {0.0, 0.0});
  CHECK(weights[0] == 0.25);
  CHECK(weights[1] == 0.25);
}

TEST_CASE("Adam state size and iterations", "[optimizers][adam]") {
  Variable<double> kernel = scalar_variable<double>(0.0);
  kernel.value = Matrix<double>::Zero(3, 2);
  kernel.gradient = Matrix<double>::Ones(3, 2);
  Variable<double> bias = scalar_variable<double>(0.0);
  bias.value = Matrix<double>::Zero(2, 1);
  bias.gradient = Matrix<double>::Ones(2, 1);

  SECTION("plain") {
    Adam<double> adam;
    CHECK_FALSE(adam.built());
    adam.build({&kernel, &bias});
    CHECK(adam.built());
    // Keras counts iterations and learning_rate, then m and v for 8 weights.
    CHECK(adam.count_params() == 18);
    adam.apply({&kernel, &bias});
    adam.apply({&kernel, &bias});
    CHECK(adam.iterations() == 2);
    adam.build({&kernel, &bias});
    CHECK(adam.iterations() == 0);
  }

  SECTION("amsgrad adds v_hat") {
    Adam<double> adam(1e-3, 0.9, 0.999, 1e-7, true);
    adam.build({&kernel, &bias});
    CHECK(adam.count_params() == 26);
  }
}

TEST_CASE("Adam defaults match Keras", "[optimizers][adam]") {
  const Adam<double> adam;
  CHECK(adam.learning_rate() == 1e-3);
  CHECK(adam.beta_1() == 0.9);
  CHECK(adam.beta_2() == 0.999);
  CHECK(adam.epsilon() == 1e-7);
  CHECK_FALSE(adam.amsgrad());
  CHECK(adam.name() == "adam");

  SECTION("compile with the name adam") {
    const auto input = sinapse::Input<double>(2);
    const sinapse::Dense<double> dense(sinapse::DenseOptions(1).seed(1));
    sinapse::Model<double> model(input, dense(input));
    model.compile("adam", "binary_crossentropy");
    const auto* compiled = dynamic_cast<const Adam<double>*>(model.optimizer());
    REQUIRE(compiled != nullptr);
    CHECK(compiled->learning_rate() == 1e-3);
    CHECK(compiled->epsilon() == 1e-7);
    CHECK_FALSE(compiled->amsgrad());
  }
}

TEST_CASE("Adam rejects invalid hyperparameters", "[optimizers][adam][validation]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();

  SECTION("learning_rate") {
    CHECK_THROWS_AS(Adam<double>(0.0), sinapse::ValueError);
    CHECK_THROWS_AS(Adam<double>(-1e-3), sinapse::ValueError);
    CHECK_THROWS_AS(Adam<double>(nan), sinapse::ValueError);
    CHECK_THROWS_AS(Adam<double>(inf), sinapse::ValueError);
  }
  SECTION("beta_1") {
    CHECK_THROWS_AS(Adam<double>(1e-3, 1.0), sinapse::ValueError);
    CHECK_THROWS_AS(Adam<double>(1e-3, -0.1), sinapse::ValueError);
    CHECK_THROWS_AS(Adam<double>(1e-3, nan), sinapse::ValueError);
    CHECK_NOTHROW(Adam<double>(1e-3, 0.0));
  }
  SECTION("beta_2") {
    CHECK_THROWS_AS(Adam<double>(1e-3, 0.9, 1.0), sinapse::ValueError);
    CHECK_THROWS_AS(Adam<double>(1e-3, 0.9, 1.5), sinapse::ValueError);
    CHECK_THROWS_AS(Adam<double>(1e-3, 0.9, nan), sinapse::ValueError);
    CHECK_NOTHROW(Adam<double>(1e-3, 0.9, 0.0));
  }
  SECTION("epsilon") {
    CHECK_THROWS_AS(Adam<double>(1e-3, 0.9, 0.999, -1e-7), sinapse::ValueError);
    CHECK_THROWS_AS(Adam<double>(1e-3, 0.9, 0.999, nan), sinapse::ValueError);
    CHECK_THROWS_AS(Adam<double>(1e-3, 0.9, 0.999, inf), sinapse::ValueError);
    // Zero is rejected although Keras accepts it: a weight with only zero gradients
    // would become 0 / 0 = NaN.
    CHECK_THROWS_AS(Adam<double>(1e-3, 0.9, 0.999, 0.0), sinapse::ValueError);
    CHECK_NOTHROW(Adam<double>(1e-3, 0.9, 0.999, 1e-12));
  }
}
