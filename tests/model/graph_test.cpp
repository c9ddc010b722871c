// Tests of the functional graph: layer order and Keras names, the checks that reject a
// malformed graph, shared layers, several inputs, and gradients through fan-out.
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "support/catch.hpp"
#include "support/random_data.hpp"
#include "support/matrix_compare.hpp"

namespace {

using namespace sinapse;

using Catch::Matchers::ContainsSubstring;

/// One x matrix per model input. A braced list without the type name is ambiguous, because
/// Eigen's two-argument Matrix constructor also accepts it.
using Inputs = std::vector<Matrix<double>>;

using test_support::random_matrix;

/// Names of the model's layers, in `layers()` order.
template <typename Scalar>
std::vector<std::string> layer_names(const Model<Scalar>& model) {
  std::vector<std::string> names;
  for (const auto& layer : model.layers()) names.push_back(layer->name());
  return names;
}

/// Applies a Dense layer by hand from its weights: activation(x kernel + bias).
Matrix<double> dense_by_hand(const Matrix<double>& x, const Matrix<double>& kernel,
                             const Matrix<double>& bias, const std::string& activation) {
  Matrix<double> z = x * kernel;
  z.rowwise() += bias.col(0).transpose();
  if (activation == "sigmoid") z = (1.0 + (-z.array()).exp()).inverse().matrix();
  if (activation == "tanh") z = z.array().tanh().matrix();
  return z;
}

/// Checks the model's input and trainable-variable gradients against central differences
/// of the objective sum(r .* y) for a fixed random r, in training mode.
void check_model_gradients(Model<double>& model, std::vector<Matrix<double>>& inputs,
                           std::uint64_t seed) {
  std::vector<const Matrix<double>*> pointers;
  for (const Matrix<double>& input : inputs) pointers.push_back(&input);
  const Matrix<double> upstream =
      random_matrix<double>(inputs[0].rows(), model.output_width(), seed);
  auto objective = [&] {
    return (model.forward_batch(pointers, true).array() * upstream.array()).sum();
  };

  objective();
  std::vector<Matrix<double>> input_gradients;
  model.backward_batch(upstream, &input_gradients);
  std::vector<Matrix<double>> analytic;
  for (const Variable<double>* variable : model.trainable_variables()) {
    analytic.push_back(variable->gradient);
  }
  REQUIRE(input_gradients.size() == inputs.size());

  const double step = 1e-6;
  auto numeric_gradient = [&](Matrix<double>& values) {
    Matrix<double> result(values.rows(), values.cols());
    for (Index j = 0; j < values.cols(); ++j) {
      for (Index i = 0; i < values.rows(); ++i) {
        const double saved = values(i, j);
        values(i, j) = saved + step;
        const double plus = objective();
        values(i, j) = saved - step;
        const double minus = objective();
        values(i, j) = saved;
        result(i, j) = (plus - minus) / (2.0 * step);
      }
    }
    return result;
  };

  for (std::size_t k = 0; k < inputs.size(); ++k) {
    INFO("input " << k);
    CHECK_MATRIX_CLOSE(input_gradients[k], numeric_gradient(inputs[k]), 1e-6, 1e-6);
  }
  const std::vector<Variable<double>*>& variables = model.trainable_variables();
  for (std::size_t k = 0; k < variables.size(); ++k) {
    INFO("trainable variable " << k << " (" << variables[k]->name << ")");
    CHECK_MATRIX_CLOSE(analytic[k], numeric_gradient(variables[k]->value), 1e-6, 1e-6);
  }
}

}  // namespace

TEST_CASE("Graph gives Keras automatic names", "[model][graph]") {
  clear_session();
  Tensor<float> inputs = Input<float>(4);
  Tensor<float> x = Dense<float>(8, "relu")(inputs);
  x = Dropout<float>(0.2)(x);
  x = Dense<float>(8, "relu")(x);
  x = BatchNormalization<float>()(x);
  x = Dense<float>(8, "relu")(x);
  x = BatchNormalization<float>()(x);
  Tensor<float> outputs = Dense<float>(1, "sigmoid")(x);
  Model<float> model(inputs, outputs);

  const std::vector<std::string> expected = {
      "input_layer",           "dense",  "dropout", "dense_1", "batch_normalization", "dense_2",
      "batch_normalization_1", "dense_3"};
  CHECK(layer_names(model) == expected);
  CHECK(model.name() == "functional");

  // The counters are process-wide: a second model continues them.
  Tensor<float> second_inputs = Input<float>(2);
  Model<float> second(second_inputs, Dense<float>(1)(second_inputs));
  const std::vector<std::string> second_expected = {"input_layer_1", "dense_4"};
  CHECK(layer_names(second) == second_expected);
  CHECK(second.name() == "functional_1");
}

TEST_CASE("Graph orders by depth, then visit", "[model][graph]") {
  // The short branch is visited first from the output, but the long branch's first layer
  // is deeper, so it comes first, as in Keras's map_graph.
  Tensor<float> x = Input<float>(3, "features");
  Tensor<float> short_branch = Dense<float>(DenseOptions(4).name("short"))(x);
  Tensor<float> long_first = Dense<float>(DenseOptions(4).name("long_1"))(x);
  Tensor<float> long_second = Dense<float>(DenseOptions(4).name("long_2"))(long_first);
  Tensor<float> sum = Add<float>("sum")({short_branch, long_second});
  Model<float> model(x, sum);

  const std::vector<std::string> expected = {"features", "long_1", "short", "long_2", "sum"};
  CHECK(layer_names(model) == expected);
}

TEST_CASE("Graph ties follow traversal, not creation", "[model][graph]") {
  clear_session();
  Tensor<float> x = Input<float>(3);
  Tensor<float> created_first = Dense<float>(4)(x);   // dense
  Tensor<float> created_second = Dense<float>(4)(x);  // dense_1
  Tensor<float> sum = Add<float>()({created_second, created_first});
  Model<float> model(x, sum);

  const std::vector<std::string> expected = {"input_layer", "dense_1", "dense", "add"};
  CHECK(layer_names(model) == expected);
}

TEST_CASE("Graph depth of a shared layer", "[model][graph]") {
  // Keras's map_graph lifts every call of a layer to the deepest depth that layer has
  // seen so far and propagates that to the call's inputs. Here the call of `shared` on
  // `pre` is lifted from depth 1 to 2, which puts `pre` at depth 3 with `a`, and `b` at 4.
  Tensor<float> a = Input<float>(3, "a");
  Tensor<float> b = Input<float>(3, "b");
  Dense<float> shared(DenseOptions(3).name("shared"));
  Tensor<float> pre = Dense<float>(DenseOptions(3).name("pre"))(b);
  Tensor<float> deep = Dense<float>(DenseOptions(3).name("deep"))(shared(a));
  Tensor<float> sum = Add<float>("sum")({shared(pre), deep});
  Model<float> model({a, b}, sum);

  const std::vector<std::string> expected = {"b", "pre", "a", "shared", "deep", "sum"};
  CHECK(layer_names(model) == expected);
}

TEST_CASE("Graph places an unused input first", "[model][graph]") {
  // Keras puts a declared input that the output does not use at depth 0 with traversal
  // index -1, so it precedes the other depth-0 layers.
  Tensor<float> used = Input<float>(3, "used");
  Tensor<float> spare = Input<float>(2, "spare");
  Tensor<float> score = Dense<float>(DenseOptions(1).name("score"))(used);
  Model<float> model({used, spare}, score);

  const std::vector<std::string> expected = {"used", "spare", "score"};
  CHECK(layer_names(model) == expected);
  CHECK(model.input_count() == 2);
}

TEST_CASE("Graph keeps user names", "[model][graph]") {
  Tensor<float> x = Input<float>(3, "features");
  Tensor<float> hidden = Dense<float>(DenseOptions(4).name("hidden").activation("tanh"))(x);
  Tensor<float> output = Dense<float>(DenseOptions(1).name("score"))(hidden);
  Model<float> model(x, output, "classifier");

  const std::vector<std::string> expected = {"features", "hidden", "score"};
  CHECK(layer_names(model) == expected);
  CHECK(model.name() == "classifier");
  CHECK(model.get_layer("hidden")->class_name() == "Dense");
  CHECK(model.get_layer("hidden")->output_width() == 4);
  CHECK(hidden.layer_name() == "hidden");
  CHECK(hidden.shape_string() == "(None, 4)");
}

TEST_CASE("Graph get_layer rejects unknown name", "[model][graph]") {
  Tensor<float> x = Input<float>(3, "features");
  Model<float> model(x, Dense<float>(DenseOptions(1).name("score"))(x));

  CHECK_THROWS_AS(model.get_layer("hiden"), ValueError);
  CHECK_THROWS_WITH(model.get_layer("hiden"),
                    ContainsSubstring("\"hiden\"") && ContainsSubstring("features, score"));
}

TEST_CASE("Graph rejects duplicate names", "[model][graph]") {
  Tensor<float> x = Input<float>(3);
  Tensor<float> first = Dense<float>(DenseOptions(4).name("twin"))(x);
  Tensor<float> second = Dense<float>(DenseOptions(1).name("twin"))(first);

  CHECK_THROWS_AS(Model<float>(x, second), ValueError);
  CHECK_THROWS_WITH(Model<float>(x, second),
                    ContainsSubstring("\"twin\"") && ContainsSubstring("unique"));
}

TEST_CASE("Graph rejects a disconnected output", "[model][graph]") {
  Tensor<float> listed = Input<float>(3, "listed");
  Tensor<float> missing = Input<float>(3, "missing");
  Tensor<float> sum = Add<float>()({Dense<float>(2)(listed), Dense<float>(2)(missing)});

  CHECK_THROWS_AS(Model<float>(listed, sum), ValueError);
  CHECK_THROWS_WITH(Model<float>(listed, sum),
                    ContainsSubstring("disconnected") && ContainsSubstring("'missing'"));
}

TEST_CASE("Graph rejects a non-Input model input", "[model][graph]") {
  Tensor<float> x = Input<float>(3);
  Tensor<float> hidden = Dense<float>(DenseOptions(4).name("hidden"))(x);
  Tensor<float> output = Dense<float>(1)(hidden);

  CHECK_THROWS_AS(Model<float>(hidden, output), ValueError);
  CHECK_THROWS_WITH(Model<float>(hidden, output),
                    ContainsSubstring("'hidden'") && ContainsSubstring("Input"));
}

TEST_CASE("Graph rejects empty and repeated inputs", "[model][graph]") {
  Tensor<float> x = Input<float>(3);
  Tensor<float> output = Dense<float>(1)(x);

  CHECK_THROWS_AS(Model<float>(std::vector<Tensor<float>>{}, output), ValueError);
  CHECK_THROWS_AS(Model<float>(Tensor<float>(), output), ValueError);
  CHECK_THROWS_AS(Model<float>(x, Tensor<float>()), ValueError);
  CHECK_THROWS_AS(Model<float>(std::vector<Tensor<float>>{x, x}, output), ValueError);
  CHECK_THROWS_WITH(Model<float>(std::vector<Tensor<float>>{x, x}, output),
                    ContainsSubstring("twice"));
}

TEST_CASE("Graph rejects a wrong-width call", "[model][graph]") {
  Dense<float> dense(DenseOptions(4).name("narrow"));
  Tensor<float> three = Input<float>(3);
  dense(three);
  Tensor<float> five = Input<float>(5);

  CHECK_THROWS_AS(dense(five), ShapeError);
  CHECK_THROWS_WITH(dense(five), ContainsSubstring("'narrow'") && ContainsSubstring("(None, 5)") &&
                                     ContainsSubstring("(None, 3)"));
  // The failed calls left the layer as built by its first call.
  CHECK(dense->node_count() == 1);
  CHECK(dense->input_widths() == std::vector<Index>{3});
  CHECK(dense->kernel().value.rows() == 3);
}

TEST_CASE("Graph rejects Add of incompatible widths", "[model][graph]") {
  Tensor<float> three = Input<float>(3);
  Tensor<float> four = Input<float>(4);
  Add<float> add("sum");

  CHECK_THROWS_AS(add({three, four}), ShapeError);
  CHECK_THROWS_WITH(add({three, four}), ContainsSubstring("incompatible") &&
                                            ContainsSubstring("(None, 3)") &&
                                            ContainsSubstring("(None, 4)"));
  CHECK_FALSE(add->built());
  CHECK(add->node_count() == 0);
}

TEST_CASE("Graph Add broadcasts a width of one", "[model][graph]") {
  Tensor<float> three = Input<float>(3);
  Tensor<float> one = Input<float>(1);

  Tensor<float> sum = Add<float>()({three, one});

  CHECK(sum.width() == 3);
}

TEST_CASE("Graph rejects merge of one tensor", "[model][graph]") {
  Tensor<float> x = Input<float>(3);
  Add<float> add("sum");
  Concatenate<float> concatenate("joined");

  CHECK_THROWS_AS(add(x), ValueError);
  CHECK_THROWS_WITH(add(x), ContainsSubstring("'sum'") && ContainsSubstring("list"));
  CHECK_THROWS_AS(concatenate(x), ValueError);
  CHECK_THROWS_AS(add(std::vector<Tensor<float>>{}), ValueError);
  CHECK_THROWS_AS(concatenate(std::vector<Tensor<float>>{}), ValueError);
}

TEST_CASE("Graph rejects a list for Dense", "[model][graph]") {
  Tensor<float> a = Input<float>(3);
  Tensor<float> b = Input<float>(3);
  Dense<float> dense(DenseOptions(2).name("single"));

  CHECK_THROWS_AS(dense({a, b}), ValueError);
  CHECK_THROWS_WITH(dense({a, b}),
                    ContainsSubstring("'single'") && ContainsSubstring("exactly one input"));
  CHECK_FALSE(dense->built());
}

TEST_CASE("Graph rejects an empty tensor", "[model][graph]") {
  Dense<float> dense(2);

  CHECK_THROWS_AS(dense(Tensor<float>()), ValueError);
  CHECK_FALSE(dense->built());
}

TEST_CASE("Graph shares a layer called twice", "[model][graph]") {
  clear_session();
  Tensor<double> left = Input<double>(3);
  Tensor<double> right = Input<double>(3);
  Dense<double> shared(DenseOptions(4).activation("tanh").seed(11));
  Tensor<double> sum = Add<double>()({shared(left), shared(right)});
  Tensor<double> output = Dense<double>(DenseOptions(1).activation("sigmoid").seed(12))(sum);
  Model<double> model({left, right}, output);

  SECTION("parameters count once") {
    CHECK(model.count_params() == (3 * 4 + 4) + (4 + 1));
    CHECK(model.get_weights().size() == 4);
    CHECK(model.trainable_variables().size() == 4);
    CHECK(shared->node_count() == 2);
    const std::vector<std::string> expected = {"input_layer", "input_layer_1", "dense", "add",
                                               "dense_1"};
    CHECK(layer_names(model) == expected);
  }

  SECTION("both calls use the same weights") {
    const Matrix<double> a = random_matrix<double>(5, 3, 1);
    const Matrix<double> b = random_matrix<double>(5, 3, 2);
    const std::vector<Matrix<double>> weights = model.get_weights();
    const Matrix<double> hidden = dense_by_hand(a, weights[0], weights[1], "tanh") +
                                  dense_by_hand(b, weights[0], weights[1], "tanh");
    const Matrix<double> expected = dense_by_hand(hidden, weights[2], weights[3], "sigmoid");

    const Matrix<double> predicted = model.predict(Inputs{a, b}, EvaluateOptions().verbose(0));

    CHECK_MATRIX_CLOSE(predicted, expected, 1e-12, 1e-14);
  }

  SECTION("training updates the one kernel") {
    CHECK(model.trainable_variables()[0] == &shared->kernel());
    const Matrix<double> before = shared->kernel().value;
    model.compile("adam", "binary_crossentropy");
    model.train_on_batch(Inputs{random_matrix<double>(4, 3, 3), random_matrix<double>(4, 3, 4)},
                         Matrix<double>::Ones(4, 1));
    CHECK(shared->kernel().value != before);
    CHECK(model.get_weights()[0] == shared->kernel().value);
  }
}

TEST_CASE("Graph with several inputs", "[model][graph]") {
  Tensor<double> wide = Input<double>(3, "wide");
  Tensor<double> narrow = Input<double>(2, "narrow");
  Tensor<double> joined = Concatenate<double>()({wide, narrow});
  Tensor<double> output = Dense<double>(DenseOptions(1).activation("sigmoid").seed(5))(joined);
  Model<double> model({wide, narrow}, output);

  CHECK(model.input_count() == 2);
  CHECK(model.input_width(0) == 3);
  CHECK(model.input_width(1) == 2);
  CHECK(model.output_width() == 1);

  const Matrix<double> a = random_matrix<double>(6, 3, 1);
  const Matrix<double> b = random_matrix<double>(6, 2, 2);
  Matrix<double> both(6, 5);
  both << a, b;
  const std::vector<Matrix<double>> weights = model.get_weights();
  const Matrix<double> expected = dense_by_hand(both, weights[0], weights[1], "sigmoid");

  CHECK_MATRIX_CLOSE(model.predict(Inputs{a, b}, EvaluateOptions().verbose(0)), expected, 1e-12,
                     1e-14);

  // Swapping the inputs changes the widths, which the model rejects.
  CHECK_THROWS_AS(model.predict(Inputs{b, a}, EvaluateOptions().verbose(0)), ShapeError);
}

TEST_CASE("Graph outlives the layer handles", "[model][graph]") {
  std::unique_ptr<Model<double>> model;
  {
    Tensor<double> x = Input<double>(2);
    Dense<double> hidden(DenseOptions(3).activation("tanh").seed(1));
    Dense<double> output(DenseOptions(1).activation("sigmoid").seed(2));
    model = std::make_unique<Model<double>>(x, output(hidden(x)));
  }
  const Matrix<double> x = random_matrix<double>(8, 2, 3);
  Matrix<double> y(8, 1);
  for (Index i = 0; i < 8; ++i) y(i, 0) = x(i, 0) > 0 ? 1.0 : 0.0;

  model->compile("adam", "binary_crossentropy", {"accuracy"});
  const History history = model->fit(x, y, FitOptions<double>().epochs(2).verbose(0).seed(1));
  const std::vector<Matrix<double>> weights = model->get_weights();
  const Matrix<double> expected = dense_by_hand(dense_by_hand(x, weights[0], weights[1], "tanh"),
                                                weights[2], weights[3], "sigmoid");

  CHECK(history.history.at("loss").size() == 2);
  CHECK(model->layers().size() == 3);
  CHECK_MATRIX_CLOSE(model->predict(x, EvaluateOptions().verbose(0)), expected, 1e-12, 1e-14);
}

TEST_CASE("Graph sums gradients at fan-out", "[model][graph]") {
  // `hidden` feeds two Dense layers and the Concatenate directly, so its gradient is the
  // sum of three contributions.
  Tensor<double> x = Input<double>(3);
  Tensor<double> hidden = Dense<double>(DenseOptions(4).activation("tanh").seed(1))(x);
  Tensor<double> left = Dense<double>(DenseOptions(2).activation("tanh").seed(2))(hidden);
  Tensor<double> right = Dense<double>(DenseOptions(2).activation("sigmoid").seed(3))(hidden);
  Tensor<double> joined = Concatenate<double>()({left, right, hidden});
  Tensor<double> output = Dense<double>(DenseOptions(2).seed(4))(joined);
  Model<double> model(x, output);
  std::vector<Matrix<double>> inputs = {random_matrix<double>(5, 3, 6)};

  REQUIRE(model.trainable_variables().size() == 8);
  check_model_gradients(model, inputs, 7);
}

TEST_CASE("Graph sums gradients of a shared layer", "[model][graph]") {
  // The shared kernel gets the gradients of both calls, and one of its outputs also
  // enters Concatenate twice.
  Tensor<double> left = Input<double>(3);
  Tensor<double> right = Input<double>(3);
  Dense<double> shared(DenseOptions(2).activation("tanh").seed(8));
  Tensor<double> left_hidden = shared(left);
  Tensor<double> joined = Concatenate<double>()({left_hidden, shared(right), left_hidden});
  Model<double> model({left, right}, Dense<double>(DenseOptions(1).seed(9))(joined));
  std::vector<Matrix<double>> inputs = {random_matrix<double>(4, 3, 10),
                                        random_matrix<double>(4, 3, 11)};

  REQUIRE(model.trainable_variables().size() == 4);
  check_model_gradients(model, inputs, 12);
}
