// Tests of Keras's automatic names: per-class counters, the names of each layer class
// and of models, user names, and clear_session.
#include <string>

#include <sinapse/sinapse.hpp>

#include "support/catch.hpp"

using namespace sinapse;

TEST_CASE("naming counts per prefix", "[core][naming]") {
  clear_session();

  CHECK(detail::unique_name("dense") == "dense");
  CHECK(detail::unique_name("dense") == "dense_1");
  CHECK(detail::unique_name("dropout") == "dropout");
  CHECK(detail::unique_name("dense") == "dense_2");
}

TEST_CASE("naming clear_session restarts", "[core][naming]") {
  clear_session();
  Dense<float> first(4);
  Dense<float> second(4);
  REQUIRE(second->name() == "dense_1");

  clear_session();
  Dense<float> after(4);

  CHECK(after->name() == "dense");
  // Existing layers keep their names.
  CHECK(first->name() == "dense");
  CHECK(second->name() == "dense_1");
}

TEST_CASE("naming of each layer class", "[core][naming]") {
  clear_session();
  Tensor<float> input = Input<float>(4);
  Tensor<float> second_input = Input<float>(4);
  Dense<float> dense(4);
  Dropout<float> dropout(0.5);
  BatchNormalization<float> normalization;
  BatchNormalization<float> second_normalization;
  Activation<float> activation("relu");
  Add<float> add;
  Concatenate<float> concatenate;

  CHECK(input.layer_name() == "input_layer");
  CHECK(second_input.layer_name() == "input_layer_1");
  CHECK(dense->name() == "dense");
  CHECK(dropout->name() == "dropout");
  CHECK(normalization->name() == "batch_normalization");
  CHECK(second_normalization->name() == "batch_normalization_1");
  CHECK(activation->name() == "activation");
  CHECK(add->name() == "add");
  CHECK(concatenate->name() == "concatenate");
}

TEST_CASE("naming of models", "[core][naming]") {
  clear_session();
  Tensor<float> input = Input<float>(2);
  const Model<float> first(input, Dense<float>(1)(input));
  const Model<float> second(input, Dense<float>(1)(input));
  const Model<float> named(input, Dense<float>(1)(input), "scorer");
  const Model<float> third(input, Dense<float>(1)(input));

  CHECK(first.name() == "functional");
  CHECK(second.name() == "functional_1");
  CHECK(named.name() == "scorer");
  CHECK(third.name() == "functional_2");
}

TEST_CASE("naming skips user names", "[core][naming]") {
  clear_session();
  Dense<float> custom(DenseOptions(4).name("custom"));
  Dense<float> automatic(4);
  Tensor<float> input = Input<float>(3, "features");
  Tensor<float> automatic_input = Input<float>(3);

  CHECK(custom->name() == "custom");
  CHECK(automatic->name() == "dense");
  CHECK(input.layer_name() == "features");
  CHECK(automatic_input.layer_name() == "input_layer");
}

TEST_CASE("naming snake_case of class names", "[core][naming]") {
  CHECK(detail::to_snake_case("Dense") == "dense");
  CHECK(detail::to_snake_case("InputLayer") == "input_layer");
  CHECK(detail::to_snake_case("BatchNormalization") == "batch_normalization");
}
