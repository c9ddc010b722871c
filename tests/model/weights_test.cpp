// Tests of get_weights and set_weights: Keras's order and shapes, round trips, and
// rejected arrays that must leave every weight as it was.
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "support/catch.hpp"

namespace {

using namespace sinapse;

using Catch::Matchers::ContainsSubstring;

/// Input(3) -> Dense(4, tanh) -> BatchNormalization -> Dense(1, sigmoid), with the
/// automatic names dense, batch_normalization and dense_1.
template <typename Scalar>
Model<Scalar> make_model() {
  clear_session();
  Tensor<Scalar> x = Input<Scalar>(3);
  Tensor<Scalar> hidden = Dense<Scalar>(DenseOptions(4).activation("tanh").seed(41))(x);
  hidden = BatchNormalization<Scalar>()(hidden);
  Tensor<Scalar> output = Dense<Scalar>(DenseOptions(1).activation("sigmoid").seed(42))(hidden);
  return Model<Scalar>(x, output);
}

/// Returns arrays shaped like `like`, filled with distinct values from a seed.
template <typename Scalar>
std::vector<Matrix<Scalar>> random_like(const std::vector<Matrix<Scalar>>& like,
                                        std::uint64_t seed) {
  Generator generator(seed);
  std::vector<Matrix<Scalar>> result;
  for (const Matrix<Scalar>& array : like) {
    Matrix<Scalar> values(array.rows(), array.cols());
    for (Index j = 0; j < values.cols(); ++j) {
      for (Index i = 0; i < values.rows(); ++i) {
        // Positive, so the values also suit moving_variance.
        values(i, j) = static_cast<Scalar>(0.1 + generator.uniform());
      }
    }
    result.push_back(values);
  }
  return result;
}

}  // namespace

TEMPLATE_TEST_CASE("get_weights order and shapes", "[model][weights]", float, double) {
  const Model<TestType> model = make_model<TestType>();

  const std::vector<Matrix<TestType>> weights = model.get_weights();

  struct Expected {
    const char* description;
    Index rows;
    Index cols;
  };
  const Expected expected[] = {{"dense kernel", 3, 4},   {"dense bias", 4, 1},
                               {"gamma", 4, 1},          {"beta", 4, 1},
                               {"moving_mean", 4, 1},    {"moving_variance", 4, 1},
                               {"dense_1 kernel", 4, 1}, {"dense_1 bias", 1, 1}};
  REQUIRE(weights.size() == 8);
  for (std::size_t i = 0; i < weights.size(); ++i) {
    INFO("array " << i << ": " << expected[i].description);
    CHECK(weights[i].rows() == expected[i].rows);
    CHECK(weights[i].cols() == expected[i].cols);
  }
  // Initial values: zero biases, gamma 1, beta 0, moving mean 0, moving variance 1, and a
  // Glorot-uniform kernel within sqrt(6 / (fan_in + fan_out)).
  CHECK(weights[1].isZero());
  CHECK(weights[2].isOnes());
  CHECK(weights[3].isZero());
  CHECK(weights[4].isZero());
  CHECK(weights[5].isOnes());
  CHECK(weights[7].isZero());
  CHECK(weights[0].cwiseAbs().maxCoeff() <= static_cast<TestType>(std::sqrt(6.0 / 7.0)));
  CHECK(weights[0].cwiseAbs().minCoeff() > TestType(0));
}

TEST_CASE("get_weights follows the variables", "[model][weights]") {
  const Model<float> model = make_model<float>();
  const std::vector<Matrix<float>> weights = model.get_weights();
  const auto& layers = model.layers();

  const auto dense = std::static_pointer_cast<DenseLayer<float>>(layers[1]);
  const auto normalization = std::static_pointer_cast<BatchNormalizationLayer<float>>(layers[2]);
  CHECK(weights[0] == dense->kernel().value);
  CHECK(weights[1] == dense->bias().value);
  CHECK(dense->bias().rank == 1);
  CHECK(normalization->moving_variance().name == "moving_variance");
  CHECK_FALSE(normalization->moving_variance().trainable);
  // Only the six trainable arrays reach the optimizer.
  CHECK(model.trainable_variables().size() == 6);
}

TEST_CASE("get_weights without bias, center or scale", "[model][weights]") {
  Tensor<float> x = Input<float>(3);
  Tensor<float> hidden = Dense<float>(DenseOptions(4).use_bias(false))(x);
  Tensor<float> output =
      BatchNormalization<float>(BatchNormalizationOptions().center(false).scale(false))(hidden);
  const Model<float> model(x, output);

  const std::vector<Matrix<float>> weights = model.get_weights();

  // kernel, moving_mean, moving_variance
  REQUIRE(weights.size() == 3);
  CHECK(weights[0].rows() == 3);
  CHECK(weights[1].isZero());
  CHECK(weights[2].isOnes());
  CHECK(model.count_params() == 12 + 8);
  CHECK(model.trainable_variables().size() == 1);
}

TEMPLATE_TEST_CASE("set_weights round trip", "[model][weights]", float, double) {
  Model<TestType> model = make_model<TestType>();
  const std::vector<Matrix<TestType>> values = random_like(model.get_weights(), 3);
  const Matrix<TestType> x = Matrix<TestType>::Constant(2, 3, TestType(0.5));
  const Matrix<TestType> before = model.predict(x, EvaluateOptions().verbose(0));

  model.set_weights(values);

  CHECK(model.get_weights() == values);
  CHECK(model.predict(x, EvaluateOptions().verbose(0)) != before);
}

TEST_CASE("set_weights takes vectors", "[model][weights]") {
  Model<double> model = make_model<double>();
  std::vector<Matrix<double>> values = random_like(model.get_weights(), 4);
  const Vector<double> bias = Vector<double>::LinSpaced(4, -1.0, 1.0);
  values[1] = bias;

  model.set_weights(values);

  CHECK(model.get_weights()[1] == Matrix<double>(bias));
}

TEST_CASE("set_weights rejects a wrong count", "[model][weights]") {
  Model<float> model = make_model<float>();
  const std::vector<Matrix<float>> before = model.get_weights();
  std::vector<Matrix<float>> too_few = random_like(before, 5);
  too_few.pop_back();
  std::vector<Matrix<float>> too_many = random_like(before, 6);
  too_many.push_back(Matrix<float>::Zero(1, 1));

  CHECK_THROWS_AS(model.set_weights(too_few), ValueError);
  CHECK_THROWS_WITH(model.set_weights(too_few),
                    ContainsSubstring("got 7 arrays") && ContainsSubstring("has 8 weights"));
  CHECK_THROWS_AS(model.set_weights(too_many), ValueError);
  CHECK_THROWS_WITH(model.set_weights(too_many), ContainsSubstring("got 9 arrays"));
  CHECK_THROWS_AS(model.set_weights({}), ValueError);
  CHECK(model.get_weights() == before);
}

TEST_CASE("set_weights rejects a wrong shape", "[model][weights]") {
  Model<float> model = make_model<float>();
  const std::vector<Matrix<float>> before = model.get_weights();

  SECTION("transposed kernel") {
    std::vector<Matrix<float>> values = random_like(before, 7);
    values[0].transposeInPlace();
    CHECK_THROWS_AS(model.set_weights(values), ShapeError);
    CHECK_THROWS_WITH(model.set_weights(values),
                      ContainsSubstring("array 0") && ContainsSubstring("dense/kernel") &&
                          ContainsSubstring("(4, 3)") && ContainsSubstring("expected (3, 4)"));
  }

  SECTION("bias as a row") {
    std::vector<Matrix<float>> values = random_like(before, 8);
    values[7] = Matrix<float>::Zero(1, 2);
    CHECK_THROWS_AS(model.set_weights(values), ShapeError);
    CHECK_THROWS_WITH(model.set_weights(values),
                      ContainsSubstring("array 7") && ContainsSubstring("dense_1/bias") &&
                          ContainsSubstring("(1, 2)") && ContainsSubstring("expected (1, 1)"));
  }

  SECTION("moving statistics") {
    std::vector<Matrix<float>> values = random_like(before, 9);
    values[5] = Matrix<float>::Ones(5, 1);
    CHECK_THROWS_AS(model.set_weights(values), ShapeError);
    CHECK_THROWS_WITH(model.set_weights(values),
                      ContainsSubstring("batch_normalization/moving_variance"));
  }

  CHECK(model.get_weights() == before);
}

TEST_CASE("set_weights rejects NaN and inf", "[model][weights]") {
  Model<float> model = make_model<float>();
  const std::vector<Matrix<float>> before = model.get_weights();
  const float bad_values[] = {std::numeric_limits<float>::quiet_NaN(),
                              std::numeric_limits<float>::infinity(),
                              -std::numeric_limits<float>::infinity()};

  for (float bad : bad_values) {
    INFO("value " << bad);
    // Every earlier array is valid and different, so a partial write would show.
    std::vector<Matrix<float>> values = random_like(before, 10);
    values[6](2, 0) = bad;
    CHECK_THROWS_AS(model.set_weights(values), ValueError);
    CHECK_THROWS_WITH(model.set_weights(values), ContainsSubstring("array 6") &&
                                                     ContainsSubstring("dense_1/kernel") &&
                                                     ContainsSubstring("NaN or inf"));
    CHECK(model.get_weights() == before);
  }
}

TEST_CASE("set_weights of a shared layer", "[model][weights]") {
  Tensor<float> left = Input<float>(2);
  Tensor<float> right = Input<float>(2);
  Dense<float> shared(3);
  Tensor<float> sum = Add<float>()({shared(left), shared(right)});
  Model<float> model({left, right}, Dense<float>(1)(sum));
  std::vector<Matrix<float>> values = random_like(model.get_weights(), 11);

  REQUIRE(values.size() == 4);
  model.set_weights(values);

  CHECK(shared->kernel().value == values[0]);
  CHECK(shared->bias().value == values[1]);
}
