// Whole-model comparisons with the float64 references: three Keras 3 Adam steps through
// train_on_batch (default settings and amsgrad), and the loss, prediction and gradients
// of a fan-out model.
#include <type_traits>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "reference/reference_values.hpp"
#include "support/catch.hpp"
#include "support/matrix_compare.hpp"

namespace {

using sinapse::Matrix;
using test_support::from_row_major;

/// Weights after one Adam step, as row-major float64 arrays.
struct AdamStepReference {
  const double* kernel_0;
  const double* bias_0;
  const double* kernel_1;
  const double* bias_1;
};

/// One reference run: its settings, the loss before each step and the weights after it.
struct AdamRunReference {
  const char* name;
  double learning_rate;
  bool amsgrad;
  const double* loss;
  AdamStepReference steps[3];
};

namespace ref = sinapse_reference;

const AdamRunReference adam_runs[] = {
    {"default",
     ref::adam_default_learning_rate,
     false,
     ref::adam_default_loss,
     {{ref::adam_default_step1_kernel_0, ref::adam_default_step1_bias_0,
       ref::adam_default_step1_kernel_1, ref::adam_default_step1_bias_1},
      {ref::adam_default_step2_kernel_0, ref::adam_default_step2_bias_0,
       ref::adam_default_step2_kernel_1, ref::adam_default_step2_bias_1},
      {ref::adam_default_step3_kernel_0, ref::adam_default_step3_bias_0,
       ref::adam_default_step3_kernel_1, ref::adam_default_step3_bias_1}}},
    {"amsgrad",
     ref::adam_amsgrad_learning_rate,
     true,
     ref::adam_amsgrad_loss,
     {{ref::adam_amsgrad_step1_kernel_0, ref::adam_amsgrad_step1_bias_0,
       ref::adam_amsgrad_step1_kernel_1, ref::adam_amsgrad_step1_bias_1},
      {ref::adam_amsgrad_step2_kernel_0, ref::adam_amsgrad_step2_bias_0,
       ref::adam_amsgrad_step2_kernel_1, ref::adam_amsgrad_step2_bias_1},
      {ref::adam_amsgrad_step3_kernel_0, ref::adam_amsgrad_step3_bias_0,
       ref::adam_amsgrad_step3_kernel_1, ref::adam_amsgrad_step3_bias_1}}},
};

/// Returns the reference weights after one step, in get_weights order.
std::vector<Matrix<double>> step_weights(const AdamStepReference& step) {
  return {from_row_major<double>(step.kernel_0, ref::adam_initial_kernel_0_rows,
                                 ref::adam_initial_kernel_0_cols),
          from_row_major<double>(step.bias_0, ref::adam_initial_bias_0_rows,
                                 ref::adam_initial_bias_0_cols),
          from_row_major<double>(step.kernel_1, ref::adam_initial_kernel_1_rows,
                                 ref::adam_initial_kernel_1_cols),
          from_row_major<double>(step.bias_1, ref::adam_initial_bias_1_rows,
                                 ref::adam_initial_bias_1_cols)};
}

}  // namespace

TEMPLATE_TEST_CASE("Adam steps match reference", "[model][adam][reference]", float, double) {
  // Weights move by about the learning rate per step. The amsgrad run's bias_0 after step
  // 2 differs from a run without amsgrad by 1.6e-5, so the float tolerance stays below it.
  const bool single = std::is_same<TestType, float>::value;
  const double weight_rtol = single ? 1e-5 : 1e-10;
  const double weight_atol = single ? 2e-6 : 1e-12;
  const double loss_rtol = single ? 1e-5 : 1e-12;

  for (const AdamRunReference& run : adam_runs) {
    DYNAMIC_SECTION("run " << run.name) {
      const auto input = sinapse::Input<TestType>(3);
      const auto hidden =
          sinapse::Dense<TestType>(sinapse::DenseOptions(2).activation("tanh").seed(1))(input);
      const auto output =
          sinapse::Dense<TestType>(sinapse::DenseOptions(1).activation("sigmoid").seed(2))(hidden);
      sinapse::Model<TestType> model(input, output);
      model.set_weights({REFERENCE_MATRIX(TestType, adam_initial_kernel_0),
                         REFERENCE_MATRIX(TestType, adam_initial_bias_0),
                         REFERENCE_MATRIX(TestType, adam_initial_kernel_1),
                         REFERENCE_MATRIX(TestType, adam_initial_bias_1)});
      model.compile(sinapse::Adam<TestType>(run.learning_rate, ref::adam_beta_1, ref::adam_beta_2,
                                            ref::adam_epsilon, run.amsgrad),
                    sinapse::BinaryCrossentropy<TestType>());
      const Matrix<TestType> x = REFERENCE_MATRIX(TestType, adam_x);
      const Matrix<TestType> y = REFERENCE_MATRIX(TestType, adam_y);

      for (int step = 0; step < 3; ++step) {
        INFO("step " << step + 1);
        const double loss = model.train_on_batch(x, y).at("loss");
        CHECK_THAT(loss, Catch::Matchers::WithinRel(run.loss[step], loss_rtol));

        const std::vector<Matrix<TestType>> weights = model.get_weights();
        const std::vector<Matrix<double>> expected = step_weights(run.steps[step]);
        REQUIRE(weights.size() == expected.size());
        for (std::size_t w = 0; w < weights.size(); ++w) {
          INFO("weight " << w);
          CHECK_MATRIX_CLOSE(weights[w], expected[w], weight_rtol, weight_atol);
        }
      }
      CHECK(model.optimizer()->iterations() == 3);
    }
  }
}

TEMPLATE_TEST_CASE("Fan-out model matches reference", "[model][gradient][reference]", float,
                   double) {
  //   x -> hidden (tanh) -> sigmoid_branch, linear_branch, relu_branch
  //   sum = relu_branch + linear_branch, joined = [sigmoid_branch, sum] -> output (sigmoid)
  const auto x = sinapse::Input<TestType>(3);
  const sinapse::Dense<TestType> hidden(sinapse::DenseOptions(4).activation("tanh").seed(1));
  const sinapse::Dense<TestType> sigmoid_branch(
      sinapse::DenseOptions(2).activation("sigmoid").seed(2));
  const sinapse::Dense<TestType> linear_branch(sinapse::DenseOptions(2).seed(3));
  const sinapse::Dense<TestType> relu_branch(sinapse::DenseOptions(2).activation("relu").seed(4));
  const sinapse::Dense<TestType> output_layer(
      sinapse::DenseOptions(1).activation("sigmoid").seed(5));
  const auto h = hidden(x);
  const auto a = sigmoid_branch(h);
  const auto sum = sinapse::Add<TestType>()({relu_branch(h), linear_branch(h)});
  const auto output = output_layer(sinapse::Concatenate<TestType>()({a, sum}));
  sinapse::Model<TestType> model(x, output);

  hidden->kernel().value = REFERENCE_MATRIX(TestType, fanout_hidden_kernel);
  hidden->bias().value = REFERENCE_MATRIX(TestType, fanout_hidden_bias);
  sigmoid_branch->kernel().value = REFERENCE_MATRIX(TestType, fanout_sigmoid_branch_kernel);
  sigmoid_branch->bias().value = REFERENCE_MATRIX(TestType, fanout_sigmoid_branch_bias);
  linear_branch->kernel().value = REFERENCE_MATRIX(TestType, fanout_linear_branch_kernel);
  linear_branch->bias().value = REFERENCE_MATRIX(TestType, fanout_linear_branch_bias);
  relu_branch->kernel().value = REFERENCE_MATRIX(TestType, fanout_relu_branch_kernel);
  relu_branch->bias().value = REFERENCE_MATRIX(TestType, fanout_relu_branch_bias);
  output_layer->kernel().value = REFERENCE_MATRIX(TestType, fanout_output_kernel);
  output_layer->bias().value = REFERENCE_MATRIX(TestType, fanout_output_bias);

  const bool single = std::is_same<TestType, float>::value;
  const double rtol = single ? 1e-5 : 1e-10;
  const double atol = single ? 1e-6 : 1e-13;
  const Matrix<TestType> batch = REFERENCE_MATRIX(TestType, fanout_x);
  const Matrix<TestType> labels = REFERENCE_MATRIX(TestType, fanout_y);

  SECTION("prediction and loss") {
    const Matrix<TestType> prediction = model.predict(batch, sinapse::PredictOptions().verbose(0));
    CHECK_MATRIX_CLOSE(prediction, REFERENCE_MATRIX(double, fanout_prediction), rtol, atol);
    model.compile("adam", "binary_crossentropy");
    const double loss = model.test_on_batch(batch, labels).at("loss");
    CHECK_THAT(loss, Catch::Matchers::WithinRel(ref::fanout_loss[0], rtol));
    // train_on_batch reports the loss before its update.
    const double training_loss = model.train_on_batch(batch, labels).at("loss");
    CHECK_THAT(training_loss, Catch::Matchers::WithinRel(ref::fanout_loss[0], rtol));
  }

  SECTION("weight and input gradients") {
    const Matrix<TestType> prediction = model.forward_batch({&batch}, true);
    Matrix<TestType> loss_gradient;
    const TestType loss =
        sinapse::BinaryCrossentropy<TestType>().compute(labels, prediction, &loss_gradient);
    CHECK_THAT(static_cast<double>(loss), Catch::Matchers::WithinRel(ref::fanout_loss[0], rtol));
    std::vector<Matrix<TestType>> input_gradients;
    model.backward_batch(loss_gradient, &input_gradients);

    REQUIRE(input_gradients.size() == 1);
    CHECK_MATRIX_CLOSE(input_gradients[0], REFERENCE_MATRIX(double, fanout_dx), rtol, atol);
    CHECK_MATRIX_CLOSE(hidden->kernel().gradient, REFERENCE_MATRIX(double, fanout_hidden_dkernel),
                       rtol, atol);
    CHECK_MATRIX_CLOSE(hidden->bias().gradient, REFERENCE_MATRIX(double, fanout_hidden_dbias), rtol,
                       atol);
    CHECK_MATRIX_CLOSE(sigmoid_branch->kernel().gradient,
                       REFERENCE_MATRIX(double, fanout_sigmoid_branch_dkernel), rtol, atol);
    CHECK_MATRIX_CLOSE(sigmoid_branch->bias().gradient,
                       REFERENCE_MATRIX(double, fanout_sigmoid_branch_dbias), rtol, atol);
    CHECK_MATRIX_CLOSE(linear_branch->kernel().gradient,
                       REFERENCE_MATRIX(double, fanout_linear_branch_dkernel), rtol, atol);
    CHECK_MATRIX_CLOSE(linear_branch->bias().gradient,
                       REFERENCE_MATRIX(double, fanout_linear_branch_dbias), rtol, atol);
    CHECK_MATRIX_CLOSE(relu_branch->kernel().gradient,
                       REFERENCE_MATRIX(double, fanout_relu_branch_dkernel), rtol, atol);
    CHECK_MATRIX_CLOSE(relu_branch->bias().gradient,
                       REFERENCE_MATRIX(double, fanout_relu_branch_dbias), rtol, atol);
    CHECK_MATRIX_CLOSE(output_layer->kernel().gradient,
                       REFERENCE_MATRIX(double, fanout_output_dkernel), rtol, atol);
    CHECK_MATRIX_CLOSE(output_layer->bias().gradient, REFERENCE_MATRIX(double, fanout_output_dbias),
                       rtol, atol);
  }
}
