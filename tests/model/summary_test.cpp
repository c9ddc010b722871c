// Tests of Model::summary against Keras 3's printed tables: the two documented examples
// character for character at 76 and 88 columns, the footer after training, the
// "Connected to" layout of branched models, and the byte counts of double models.
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "support/catch.hpp"

namespace {

using namespace sinapse;

// Output of Keras 3.4 or later for Example A: Input(20) -> Dense(64, relu) -> Dropout(0.5) ->
// Dense(64, relu) -> Dense(1, sigmoid), in a fresh process, before fit.
const std::string example_a_88 = R"summary(Model: "functional"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
│ input_layer (InputLayer)             │ (None, 20)                  │               0 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ dense (Dense)                        │ (None, 64)                  │           1,344 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ dropout (Dropout)                    │ (None, 64)                  │               0 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ dense_1 (Dense)                      │ (None, 64)                  │           4,160 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ dense_2 (Dense)                      │ (None, 1)                   │              65 │
└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘
 Total params: 5,569 (21.75 KB)
 Trainable params: 5,569 (21.75 KB)
 Non-trainable params: 0 (0.00 B)
)summary";

const std::string example_a_76 = R"summary(Model: "functional"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ input_layer (InputLayer)        │ (None, 20)             │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense (Dense)                   │ (None, 64)             │         1,344 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dropout (Dropout)               │ (None, 64)             │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 64)             │         4,160 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_2 (Dense)                 │ (None, 1)              │            65 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 5,569 (21.75 KB)
 Trainable params: 5,569 (21.75 KB)
 Non-trainable params: 0 (0.00 B)
)summary";

// Example B: Input(20) -> Dense(64, tanh) -> BatchNormalization -> Dense(64, tanh) ->
// BatchNormalization -> Dense(1, sigmoid).
const std::string example_b_88 = R"summary(Model: "functional"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
│ input_layer (InputLayer)             │ (None, 20)                  │               0 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ dense (Dense)                        │ (None, 64)                  │           1,344 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ batch_normalization                  │ (None, 64)                  │             256 │
│ (BatchNormalization)                 │                             │                 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ dense_1 (Dense)                      │ (None, 64)                  │           4,160 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ batch_normalization_1                │ (None, 64)                  │             256 │
│ (BatchNormalization)                 │                             │                 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ dense_2 (Dense)                      │ (None, 1)                   │              65 │
└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘
 Total params: 6,081 (23.75 KB)
 Trainable params: 5,825 (22.75 KB)
 Non-trainable params: 256 (1.00 KB)
)summary";

// The same rows with the 31/22/13 column widths of a 76-column line. This text and the
// ones below follow Keras's layout rules (column edges at fixed fractions of the line,
// shrunk by rich for borders and padding) rather than a captured Keras output.
const std::string example_b_76 = R"summary(Model: "functional"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ input_layer (InputLayer)        │ (None, 20)             │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense (Dense)                   │ (None, 64)             │         1,344 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ batch_normalization             │ (None, 64)             │           256 │
│ (BatchNormalization)            │                        │               │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 64)             │         4,160 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ batch_normalization_1           │ (None, 64)             │           256 │
│ (BatchNormalization)            │                        │               │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_2 (Dense)                 │ (None, 1)              │            65 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 6,081 (23.75 KB)
 Trainable params: 5,825 (22.75 KB)
 Non-trainable params: 256 (1.00 KB)
)summary";

// A branched model gets a fourth column. At 76 columns its widths are 19/17/10/17.
const std::string branched_76 = R"summary(Model: "functional"
┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃
┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩
│ input_layer         │ (None, 8)         │          0 │ -                 │
│ (InputLayer)        │                   │            │                   │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ dense (Dense)       │ (None, 4)         │         36 │ input_layer[0][0] │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ dense_1 (Dense)     │ (None, 4)         │         36 │ input_layer[0][0] │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ add (Add)           │ (None, 4)         │          0 │ dense[0][0],      │
│                     │                   │            │ dense_1[0][0]     │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ concatenate         │ (None, 8)         │          0 │ add[0][0],        │
│ (Concatenate)       │                   │            │ dense[0][0]       │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ dense_2 (Dense)     │ (None, 1)         │          9 │ concatenate[0][0] │
└─────────────────────┴───────────────────┴────────────┴───────────────────┘
 Total params: 81 (324.00 B)
 Trainable params: 81 (324.00 B)
 Non-trainable params: 0 (0.00 B)
)summary";

const std::string branched_108 = R"summary(Model: "functional"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                  ┃ Output Shape              ┃         Param # ┃ Connected to               ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩
│ input_layer (InputLayer)      │ (None, 8)                 │               0 │ -                          │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ dense (Dense)                 │ (None, 4)                 │              36 │ input_layer[0][0]          │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ dense_1 (Dense)               │ (None, 4)                 │              36 │ input_layer[0][0]          │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ add (Add)                     │ (None, 4)                 │               0 │ dense[0][0], dense_1[0][0] │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ concatenate (Concatenate)     │ (None, 8)                 │               0 │ add[0][0], dense[0][0]     │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ dense_2 (Dense)               │ (None, 1)                 │               9 │ concatenate[0][0]          │
└───────────────────────────────┴───────────────────────────┴─────────────────┴────────────────────────────┘
 Total params: 81 (324.00 B)
 Trainable params: 81 (324.00 B)
 Non-trainable params: 0 (0.00 B)
)summary";

// A layer called on two inputs: its row lists both calls, and Add reads its node 0 and 1.
const std::string shared_108 = R"summary(Model: "functional"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                  ┃ Output Shape              ┃         Param # ┃ Connected to               ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩
│ input_layer (InputLayer)      │ (None, 3)                 │               0 │ -                          │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ input_layer_1 (InputLayer)    │ (None, 3)                 │               0 │ -                          │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ dense (Dense)                 │ (None, 4)                 │              16 │ input_layer[0][0],         │
│                               │                           │                 │ input_layer_1[0][0]        │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ add (Add)                     │ (None, 4)                 │               0 │ dense[0][0], dense[1][0]   │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ dense_1 (Dense)               │ (None, 1)                 │               5 │ add[0][0]                  │
└───────────────────────────────┴───────────────────────────┴─────────────────┴────────────────────────────┘
 Total params: 21 (84.00 B)
 Trainable params: 21 (84.00 B)
 Non-trainable params: 0 (0.00 B)
)summary";

template <typename Scalar>
Model<Scalar> example_a() {
  clear_session();
  Tensor<Scalar> inputs = Input<Scalar>(20);
  Tensor<Scalar> x = Dense<Scalar>(64, "relu")(inputs);
  x = Dropout<Scalar>(0.5)(x);
  x = Dense<Scalar>(64, "relu")(x);
  Tensor<Scalar> outputs = Dense<Scalar>(1, "sigmoid")(x);
  return Model<Scalar>(inputs, outputs);
}

template <typename Scalar>
Model<Scalar> example_b() {
  clear_session();
  Tensor<Scalar> inputs = Input<Scalar>(20);
  Tensor<Scalar> x = Dense<Scalar>(64, "tanh")(inputs);
  x = BatchNormalization<Scalar>()(x);
  x = Dense<Scalar>(64, "tanh")(x);
  x = BatchNormalization<Scalar>()(x);
  Tensor<Scalar> outputs = Dense<Scalar>(1, "sigmoid")(x);
  return Model<Scalar>(inputs, outputs);
}

/// Input(8) feeding two Dense layers that meet in Add, then Concatenate with one of them.
Model<float> branched_model() {
  clear_session();
  Tensor<float> x = Input<float>(8);
  Tensor<float> a = Dense<float>(4)(x);
  Tensor<float> b = Dense<float>(4)(x);
  Tensor<float> sum = Add<float>()({a, b});
  Tensor<float> joined = Concatenate<float>()({sum, a});
  return Model<float>(x, Dense<float>(1, "sigmoid")(joined));
}

/// Compiles with Adam and trains one epoch on random data of the model's widths.
template <typename Scalar>
void train_briefly(Model<Scalar>& model) {
  Generator generator(5);
  Matrix<Scalar> x(16, model.input_width(0));
  for (Index j = 0; j < x.cols(); ++j) {
    for (Index i = 0; i < x.rows(); ++i) x(i, j) = static_cast<Scalar>(generator.uniform());
  }
  Matrix<Scalar> y(16, 1);
  for (Index i = 0; i < 16; ++i) y(i, 0) = static_cast<Scalar>(i % 2);
  model.compile("adam", "binary_crossentropy", {"accuracy"});
  model.fit(x, y, FitOptions<Scalar>().verbose(0));
}

/// Returns the text up to the footer (the title and the table).
std::string table_part(const std::string& summary) {
  return summary.substr(0, summary.find(" Total params:"));
}

/// Returns the footer (the lines from " Total params:" on).
std::string footer_part(const std::string& summary) {
  return summary.substr(summary.find(" Total params:"));
}

/// Number of Unicode code points in UTF-8 text.
std::size_t code_points(const std::string& text) {
  std::size_t count = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  return lines;
}

/// Makes summary(ostream) pick its width as for piped output, which reads COLUMNS first.
void clear_columns_variable() {
#if !defined(_WIN32)
  unsetenv("COLUMNS");
#endif
}

}  // namespace

TEST_CASE("summary Example A at 88 and 76", "[model][summary]") {
  const Model<float> model = example_a<float>();

  CHECK(model.summary_string(88) == example_a_88);
  CHECK(model.summary_string(76) == example_a_76);
  CHECK(model.count_params() == 5569);
}

TEST_CASE("summary to a string stream uses 76", "[model][summary]") {
  clear_columns_variable();
  const Model<float> model = example_a<float>();
  std::ostringstream out;

  model.summary(out);

  CHECK(out.str() == example_a_76);
}

TEST_CASE("summary Example A after fit", "[model][summary]") {
  Model<float> model = example_a<float>();
  train_briefly(model);
  const std::string footer =
      " Total params: 16,709 (65.27 KB)\n"
      " Trainable params: 5,569 (21.75 KB)\n"
      " Non-trainable params: 0 (0.00 B)\n"
      " Optimizer params: 11,140 (43.52 KB)\n";

  CHECK(model.summary_string(88) == table_part(example_a_88) + footer);
  CHECK(model.summary_string(76) == table_part(example_a_76) + footer);
  CHECK(model.count_params() == 5569);
}

TEST_CASE("summary optimizer line needs a step", "[model][summary]") {
  Model<float> model = example_a<float>();
  model.compile("adam", "binary_crossentropy", {"accuracy"});
  const Matrix<float> x = Matrix<float>::Zero(4, 20);
  const Matrix<float> y = Matrix<float>::Zero(4, 1);

  model.evaluate(x, y, EvaluateOptions().verbose(0));
  CHECK(model.summary_string(76) == example_a_76);

  model.train_on_batch(x, y);
  CHECK(footer_part(model.summary_string(76)).find(" Optimizer params: 11,140 (43.52 KB)\n") !=
        std::string::npos);
}

TEST_CASE("summary Example B at 88 and 76", "[model][summary]") {
  const Model<float> model = example_b<float>();

  CHECK(model.summary_string(88) == example_b_88);
  CHECK(model.summary_string(76) == example_b_76);
  CHECK(model.count_params() == 6081);
}

TEST_CASE("summary Example B after fit", "[model][summary]") {
  Model<float> model = example_b<float>();
  train_briefly(model);

  CHECK(footer_part(model.summary_string(88)) ==
        " Total params: 17,733 (69.27 KB)\n"
        " Trainable params: 5,825 (22.75 KB)\n"
        " Non-trainable params: 256 (1.00 KB)\n"
        " Optimizer params: 11,652 (45.52 KB)\n");
  CHECK(table_part(model.summary_string(88)) == table_part(example_b_88));
}

TEST_CASE("summary of double models", "[model][summary]") {
  // float64 weights take 8 bytes each.
  CHECK(footer_part(example_a<double>().summary_string(76)) ==
        " Total params: 5,569 (43.51 KB)\n"
        " Trainable params: 5,569 (43.51 KB)\n"
        " Non-trainable params: 0 (0.00 B)\n");
  CHECK(footer_part(example_b<double>().summary_string(76)) ==
        " Total params: 6,081 (47.51 KB)\n"
        " Trainable params: 5,825 (45.51 KB)\n"
        " Non-trainable params: 256 (2.00 KB)\n");
  CHECK(table_part(example_b<double>().summary_string(76)) == table_part(example_b_76));
}

TEST_CASE("summary Connected to column", "[model][summary]") {
  clear_columns_variable();
  const Model<float> model = branched_model();
  std::ostringstream out;

  model.summary(out);

  CHECK(out.str() == branched_76);
  CHECK(model.summary_string(108) == branched_108);
}

TEST_CASE("summary of a shared layer", "[model][summary]") {
  // A layer called twice makes the model non-sequential, and its row lists both calls.
  clear_session();
  Tensor<float> left = Input<float>(3);
  Tensor<float> right = Input<float>(3);
  Dense<float> shared(4);
  Tensor<float> sum = Add<float>()({shared(left), shared(right)});
  const Model<float> model({left, right}, Dense<float>(1)(sum));

  CHECK(model.summary_string(108) == shared_108);
}

TEST_CASE("summary ignores calls outside the model", "[model][summary]") {
  // Keras counts only the layer calls that belong to the model: `dense` is also called on
  // another input, but this model is still a chain and keeps the 3-column layout.
  clear_session();
  Tensor<float> inputs = Input<float>(3);
  Dense<float> hidden(4);
  Tensor<float> used = hidden(inputs);
  Tensor<float> other = Input<float>(3);
  hidden(other);
  const Model<float> model(inputs, Dense<float>(1)(used));

  const std::string text = model.summary_string(76);

  CHECK(text.find("Connected to") == std::string::npos);
}

TEST_CASE("summary lines fill the width", "[model][summary]") {
  const Model<float> chain = example_b<float>();
  const Model<float> branched = branched_model();

  for (int width : {60, 76, 88, 100, 108, 120}) {
    for (const Model<float>* model : {&chain, &branched}) {
      for (const std::string& line : lines_of(model->summary_string(width))) {
        if (line.rfind("Model:", 0) == 0 || line.rfind(" ", 0) == 0) continue;
        INFO("width " << width << ": " << line);
        CHECK(code_points(line) == static_cast<std::size_t>(width));
      }
    }
  }
}

TEST_CASE("summary uses the model name", "[model][summary]") {
  Tensor<float> x = Input<float>(2);
  const Model<float> model(x, Dense<float>(1)(x), "classifier");

  CHECK(model.summary_string(76).rfind("Model: \"classifier\"\n", 0) == 0);
}

TEST_CASE("summary number formats", "[model][summary]") {
  CHECK(detail::with_thousands(0) == "0");
  CHECK(detail::with_thousands(999) == "999");
  CHECK(detail::with_thousands(1000) == "1,000");
  CHECK(detail::with_thousands(5569) == "5,569");
  CHECK(detail::with_thousands(1234567) == "1,234,567");
  CHECK(detail::readable_bytes(0) == "0.00 B");
  CHECK(detail::readable_bytes(332) == "332.00 B");
  CHECK(detail::readable_bytes(1023) == "1023.00 B");
  CHECK(detail::readable_bytes(1024) == "1.00 KB");
  CHECK(detail::readable_bytes(22276) == "21.75 KB");
  CHECK(detail::readable_bytes(1024.0 * 1024.0) == "1.00 MB");
  CHECK(detail::readable_bytes(1.5 * 1024.0 * 1024.0 * 1024.0) == "1.50 GB");
}
