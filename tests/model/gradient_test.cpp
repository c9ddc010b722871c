// Finite-difference checks of Model::backward_batch on functional graphs: fan-out (one
// tensor feeding several layers), Add with broadcasting, Concatenate, a layer shared by
// two calls, the same tensor passed twice, two inputs, and BatchNormalization with
// Dropout in training mode.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "support/catch.hpp"
#include "support/random_data.hpp"
#include "support/gradient_check.hpp"
#include "support/matrix_compare.hpp"

namespace {

using sinapse::Index;
using sinapse::Matrix;
using sinapse::Model;

using test_support::random_matrix;

/// Replaces every weight of the model with values from U(-1, 1), so that biases are
/// not zero and every path carries a gradient.
void randomize_weights(Model<double>& model, std::uint64_t seed) {
  std::vector<Matrix<double>> weights = model.get_weights();
  for (Matrix<double>& weight : weights) {
    weight = random_matrix(weight.rows(), weight.cols(), seed++);
  }
  // set_weights rejects a negative moving variance, so every weight gets U(0, 1) when
  // the model has non-trainable weights. Training passes do not read the moving ones.
  if (weights.size() != model.trainable_variables().size()) {
    for (Matrix<double>& weight : weights) weight = weight.cwiseAbs();
  }
  model.set_weights(weights);
}

/// How the check perturbs a weight.
enum class WeightAccess { variables, set_weights };

/// Compares Model::backward_batch with central differences of s = sum(r .* y) for a
/// fixed random r, over every input value and every trainable weight. The model's
/// generator is reseeded before each forward pass, so dropout masks stay fixed.
test_support::GradientCheckResult check_model_gradients(Model<double>& model,
                                                        std::vector<Matrix<double>> x,
                                                        std::uint64_t seed, WeightAccess access) {
  std::vector<const Matrix<double>*> inputs;
  for (const Matrix<double>& input : x) inputs.push_back(&input);
  auto forward = [&]() -> const Matrix<double>& {
    model.generator().reseed(seed);
    return model.forward_batch(inputs, true);
  };

  const Matrix<double> y = forward();
  const Matrix<double> upstream = random_matrix(y.rows(), y.cols(), seed + 1);
  auto objective = [&]() { return (forward().array() * upstream.array()).sum(); };

  forward();
  std::vector<Matrix<double>> input_gradients;
  model.backward_batch(upstream, &input_gradients);
  std::vector<Matrix<double>> weight_gradients;
  for (const sinapse::Variable<double>* variable : model.trainable_variables()) {
    weight_gradients.push_back(variable->gradient);
  }

  test_support::GradientCheckResult result;
  REQUIRE(input_gradients.size() == x.size());
  for (std::size_t k = 0; k < x.size(); ++k) {
    REQUIRE(input_gradients[k].rows() == x[k].rows());
    REQUIRE(input_gradients[k].cols() == x[k].cols());
    for (Index j = 0; j < x[k].cols(); ++j) {
      for (Index i = 0; i < x[k].rows(); ++i) {
        const double numeric = test_support::central_difference(x[k](i, j), objective, 1e-6);
        result.add(input_gradients[k](i, j), numeric,
                   "input " + std::to_string(k) + " (" + std::to_string(i) + ", " +
                       std::to_string(j) + ")");
      }
    }
  }

  const std::vector<sinapse::Variable<double>*>& variables = model.trainable_variables();
  if (access == WeightAccess::variables) {
    for (std::size_t v = 0; v < variables.size(); ++v) {
      Matrix<double>& value = variables[v]->value;
      for (Index j = 0; j < value.cols(); ++j) {
        for (Index i = 0; i < value.rows(); ++i) {
          const double numeric = test_support::central_difference(value(i, j), objective, 1e-6);
          result.add(weight_gradients[v](i, j), numeric,
                     "variable " + std::to_string(v) + " " + variables[v]->name + " (" +
                         std::to_string(i) + ", " + std::to_string(j) + ")");
        }
      }
    }
    return result;
  }

  // Through the public API: get_weights lists the same variables in the same order when
  // every weight is trainable, which the checks below confirm.
  std::vector<Matrix<double>> weights = model.get_weights();
  REQUIRE(weights.size() == variables.size());
  for (std::size_t w = 0; w < weights.size(); ++w) {
    REQUIRE(weights[w] == variables[w]->value);
    for (Index j = 0; j < weights[w].cols(); ++j) {
      for (Index i = 0; i < weights[w].rows(); ++i) {
        double& entry = weights[w](i, j);
        const double numeric = test_support::central_difference(
            entry,
            [&]() {
              model.set_weights(weights);
              return objective();
            },
            1e-6);
        model.set_weights(weights);
        result.add(weight_gradients[w](i, j), numeric,
                   "weight " + std::to_string(w) + " (" + std::to_string(i) + ", " +
                       std::to_string(j) + ")");
      }
    }
  }
  return result;
}

/// Counts the scalars of all inputs and trainable weights, which the check covers.
Index derivative_count(const Model<double>& model, const std::vector<Matrix<double>>& x) {
  Index count = 0;
  for (const Matrix<double>& input : x) count += input.size();
  for (const sinapse::Variable<double>* variable : model.trainable_variables()) {
    count += variable->value.size();
  }
  return count;
}

}  // namespace

TEST_CASE("Model gradients with fan-out and sharing", "[model][gradient]") {
  // h feeds four layers, c feeds Add and Concatenate, and `shared` is called twice, so
  // its gradient is the sum over both calls.
  const auto x = sinapse::Input<double>(3);
  const auto h = sinapse::Dense<double>(sinapse::DenseOptions(4).activation("tanh").seed(1))(x);
  const auto a = sinapse::Dense<double>(sinapse::DenseOptions(2).activation("sigmoid").seed(2))(h);
  const auto c = sinapse::Dense<double>(sinapse::DenseOptions(2).seed(3))(h);
  const auto r = sinapse::Dense<double>(sinapse::DenseOptions(2).activation("relu").seed(4))(h);
  const auto column = sinapse::Dense<double>(sinapse::DenseOptions(1).seed(5))(h);
  const auto sum = sinapse::Add<double>()({r, c, column});
  const sinapse::Dense<double> shared(sinapse::DenseOptions(2).activation("tanh").seed(6));
  const auto joined = sinapse::Concatenate<double>()({shared(a), shared(sum), c});
  const auto output =
      sinapse::Dense<double>(sinapse::DenseOptions(1).activation("sigmoid").seed(7))(joined);
  Model<double> model(x, output);
  randomize_weights(model, 100);
  const std::vector<Matrix<double>> batch{random_matrix(5, 3, 8, -2.0, 2.0)};

  SECTION("perturbing the variables") {
    const test_support::GradientCheckResult result =
        check_model_gradients(model, batch, 9, WeightAccess::variables);
    INFO(result.report());
    CHECK(result.checked == derivative_count(model, batch));
    CHECK(result.worst_error <= 1e-6);
  }

  SECTION("perturbing through set_weights") {
    const test_support::GradientCheckResult result =
        check_model_gradients(model, batch, 9, WeightAccess::set_weights);
    INFO(result.report());
    CHECK(result.checked == derivative_count(model, batch));
    CHECK(result.worst_error <= 1e-6);
  }

  SECTION("the shared layer is one trainable variable pair") {
    // Seven Dense layers, each with kernel and bias, listed once even when shared.
    CHECK(model.trainable_variables().size() == 14);
    CHECK(model.get_weights().size() == 14);
  }

  SECTION("backward zeroes gradients first") {
    const std::vector<const Matrix<double>*> inputs{&batch[0]};
    const Matrix<double> upstream = random_matrix(5, 1, 10);
    model.forward_batch(inputs, true);
    model.backward_batch(upstream);
    std::vector<Matrix<double>> first;
    for (const auto* variable : model.trainable_variables()) first.push_back(variable->gradient);
    model.backward_batch(upstream);
    for (std::size_t v = 0; v < first.size(); ++v) {
      INFO("variable " << v);
      CHECK(model.trainable_variables()[v]->gradient == first[v]);
    }
  }
}

TEST_CASE("Model gradients with two inputs", "[model][gradient]") {
  // x1 reaches the output twice (through Concatenate at the start and at the end), and
  // Add receives the same tensor h twice.
  const auto x1 = sinapse::Input<double>(2);
  const auto x2 = sinapse::Input<double>(3);
  const auto h = sinapse::Dense<double>(sinapse::DenseOptions(3).activation("tanh").seed(21))(
      sinapse::Concatenate<double>()({x1, x2}));
  const auto doubled = sinapse::Add<double>()({h, h});
  const auto output = sinapse::Dense<double>(sinapse::DenseOptions(2).seed(22))(
      sinapse::Concatenate<double>()({doubled, x1}));
  Model<double> model({x1, x2}, output);
  randomize_weights(model, 200);
  const std::vector<Matrix<double>> batch{random_matrix(4, 2, 23), random_matrix(4, 3, 24)};

  const test_support::GradientCheckResult result =
      check_model_gradients(model, batch, 25, WeightAccess::set_weights);
  INFO(result.report());
  CHECK(result.checked == derivative_count(model, batch));
  CHECK(result.worst_error <= 1e-6);
}

TEST_CASE("Model gradients through normalization and dropout", "[model][gradient]") {
  // BatchNormalization normalizes over the whole batch, and Dropout draws its mask from
  // the model's generator, which the check reseeds before every forward pass.
  const auto x = sinapse::Input<double>(4);
  const auto h = sinapse::Dense<double>(sinapse::DenseOptions(5).activation("tanh").seed(31))(x);
  const sinapse::BatchNormalization<double> normalization;
  const auto normalized = normalization(h);
  const auto dropped = sinapse::Dropout<double>(0.3)(normalized);
  const auto hidden =
      sinapse::Dense<double>(sinapse::DenseOptions(3).activation("sigmoid").seed(32))(dropped);
  const auto output = sinapse::Dense<double>(sinapse::DenseOptions(2).seed(33))(
      sinapse::Concatenate<double>()({hidden, h}));
  Model<double> model(x, output);
  randomize_weights(model, 300);
  const std::vector<Matrix<double>> batch{random_matrix(6, 4, 34, -2.0, 2.0)};

  // The mask changes with the seed, so the dropout is active in the checked passes.
  const std::vector<const Matrix<double>*> inputs{&batch[0]};
  model.generator().reseed(35);
  const Matrix<double> with_seed = model.forward_batch(inputs, true);
  model.generator().reseed(36);
  const Matrix<double> with_other_seed = model.forward_batch(inputs, true);
  CHECK(with_seed != with_other_seed);

  const test_support::GradientCheckResult result =
      check_model_gradients(model, batch, 35, WeightAccess::variables);
  INFO(result.report());
  CHECK(result.checked == derivative_count(model, batch));
  CHECK(result.worst_error <= 1e-6);
}
