#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "sinapse/callbacks/callback.hpp"
#include "sinapse/core/errors.hpp"
#include "sinapse/core/random.hpp"
#include "sinapse/detail/all_finite.hpp"
#include "sinapse/detail/data_checks.hpp"
#include "sinapse/detail/integer_pair.hpp"
#include "sinapse/detail/summary_table.hpp"
#include "sinapse/detail/terminal.hpp"
#include "sinapse/model/compile_arguments.hpp"
#include "sinapse/model/fit_options.hpp"
#include "sinapse/model/graph.hpp"
#include "sinapse/model/graph_executor.hpp"
#include "sinapse/model/progress_bar.hpp"
#include "sinapse/model/tensor.hpp"
#include "sinapse/saving/load_options.hpp"

namespace sinapse {

template <typename Scalar>
class BackupAndRestore;

namespace detail {
/// Largest epoch count that fit accepts and a model file stores. fit adds one per epoch
/// to an int, so half of int's range leaves a billion epochs before it could overflow.
inline constexpr int max_completed_epochs = std::numeric_limits<int>::max() / 2;

/// Gives the saving code (include/sinapse/saving) access to a Model's state: optimizer
/// moments, generators and the epoch count, which have no public setters on purpose.
template <typename Scalar>
struct ModelAccess;
}  // namespace detail

/// A functional model, as `keras.Model(inputs, outputs)`: the graph from one or more
/// Input tensors to one output tensor, with compile, fit, evaluate, predict and summary.
///
/// Data layout: every x is (samples, features) and y is (samples, outputs), one sample
/// per row. A model with several inputs takes one x matrix per input, in the order of
/// the inputs given to the constructor.
///
/// The model shares ownership of its layers, so layer handles may go out of scope. It
/// is movable but not copyable: copies would share weights by accident.
template <typename Scalar>
class Model {
 public:
  using MatrixType = Matrix<Scalar>;

  /// Builds a model from one input tensor to an output tensor.
  /// @throws ValueError for a disconnected graph or duplicate layer names.
  Model(const Tensor<Scalar>& input, const Tensor<Scalar>& output, const std::string& name = "")
      : Model(std::vector<Tensor<Scalar>>{input}, output, name) {}

  /// Builds a model from several input tensors to an output tensor.
  Model(const std::vector<Tensor<Scalar>>& inputs, const Tensor<Scalar>& output,
        const std::string& name = "") {
    detail::check_scalar_type<Scalar>();
    std::vector<std::shared_ptr<detail::Node<Scalar>>> input_nodes;
    for (const Tensor<Scalar>& input : inputs) input_nodes.push_back(input.node());
    detail::GraphOrder<Scalar> order = detail::order_graph(input_nodes, output.node());
    executor_ = detail::GraphExecutor<Scalar>(order, input_nodes, output.node());
    name_ = name.empty() ? detail::unique_name("functional") : name;
    layers_ = std::move(order.layers);
    generator_.reseed(detail::draw_seed());
    for (const auto& layer : layers_) {
      for (Variable<Scalar>* variable : layer->variables()) {
        if (variable->trainable) {
          trainable_.push_back(variable);
        } else {
          non_trainable_.push_back(variable);
        }
      }
    }
    non_trainable_backup_.resize(non_trainable_.size());
    for (const auto& layer : layers_) {
      if (Generator* generator = layer->own_generator()) layer_generators_.push_back(generator);
    }
    layer_generator_backup_.resize(layer_generators_.size());
  }

  Model(Model&&) noexcept = default;
  Model& operator=(Model&&) noexcept = default;
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const std::string& name() const { return name_; }

  /// False for a Model that was moved from; every other call on it then throws StateError.
  bool valid() const { return !executor_.empty(); }

  /// Layers in Keras's order (inputs first, by decreasing depth), each once.
  const std::vector<std::shared_ptr<Layer<Scalar>>>& layers() const {
    require_valid("layers");
    return layers_;
  }

  /// Returns the layer with this name.
  /// @throws ValueError if there is none.
  std::shared_ptr<Layer<Scalar>> get_layer(const std::string& layer_name) const {
    require_valid("get_layer");
    for (const auto& layer : layers_) {
      if (layer->name() == layer_name) return layer;
    }
    std::string known;
    for (const auto& layer : layers_) known += (known.empty() ? "" : ", ") + layer->name();
    throw ValueError(
        detail::concat("get_layer: no layer named \"", layer_name, "\"; the model has ", known));
  }

  /// Number of input tensors, and the width of each.
  std::size_t input_count() const {
    require_valid("input_count");
    return executor_.input_count();
  }

  /// @throws ValueError if i is not an input index.
  Index input_width(std::size_t i) const {
    require_valid("input_width");
    if (i >= executor_.input_count()) {
      throw ValueError(detail::concat("input_width: index ", i, " is out of range; the model has ",
                                      executor_.input_count(), " inputs"));
    }
    return executor_.input_layer(i).output_width();
  }

  Index output_width() const {
    require_valid("output_width");
    return executor_.output_layer().output_width();
  }

  /// Number of weights, trainable and non-trainable (optimizer state excluded).
  Index count_params() const {
    require_valid("count_params");
    Index count = 0;
    for (const auto& layer : layers_) count += layer->count_params();
    return count;
  }

  // ---------------------------------------------------------------------------------
  // Weights

  /// Returns every weight in Keras's order: layer by layer, and within a layer its
  /// trainable weights then its non-trainable ones (Dense: kernel (inputs, units), bias
  /// (units, 1); BatchNormalization: gamma, beta, moving_mean, moving_variance, each
  /// (features, 1)).
  std::vector<MatrixType> get_weights() const {
    require_valid("get_weights");
    std::vector<MatrixType> weights;
    for (const auto& layer : layers_) {
      for (const Variable<Scalar>* variable : std::as_const(*layer).variables()) {
        weights.push_back(variable->value);
      }
    }
    return weights;
  }

  /// Replaces every weight, in `get_weights` order. A rank-1 weight of n values takes an
  /// (n, 1) matrix, such as an Eigen vector. Nothing changes when it throws.
  /// @throws ValueError for a wrong count or non-finite values; ShapeError for a wrong shape.
  void set_weights(const std::vector<MatrixType>& weights) {
    require_valid("set_weights");
    std::vector<Variable<Scalar>*> variables;
    std::vector<std::string> owners;
    for (const auto& layer : layers_) {
      for (Variable<Scalar>* variable : layer->variables()) {
        variables.push_back(variable);
        owners.push_back(layer->name());
      }
    }
    if (weights.size() != variables.size()) {
      throw ValueError(detail::concat("set_weights: got ", weights.size(),
                                      " arrays, but the model has ", variables.size(),
                                      " weights; pass them in get_weights() order"));
    }
    for (std::size_t i = 0; i < weights.size(); ++i) {
      const MatrixType& value = variables[i]->value;
      if (weights[i].rows() != value.rows() || weights[i].cols() != value.cols()) {
        throw ShapeError(detail::concat(
            "set_weights: array ", i, " (", owners[i], "/", variables[i]->name, ") has shape ",
            detail::shape_string(weights[i].rows(), weights[i].cols()), ", expected ",
            detail::shape_string(value.rows(), value.cols())));
      }
      if (!weights[i].allFinite()) {
        throw ValueError(detail::concat("set_weights: array ", i, " (", owners[i], "/",
                                        variables[i]->name, ") contains NaN or inf"));
      }
      if (variables[i]->non_negative && weights[i].size() > 0 && weights[i].minCoeff() < 0) {
        throw ValueError(detail::concat("set_weights: array ", i, " (", owners[i], "/",
                                        variables[i]->name, ") contains ", weights[i].minCoeff(),
                                        ", but a variance cannot be negative"));
      }
    }
    for (std::size_t i = 0; i < weights.size(); ++i) variables[i]->value = weights[i];
  }

  // ---------------------------------------------------------------------------------
  // Compile

  /// Sets the optimizer, the loss and the metrics, by object or by Keras name:
  /// `compile("adam", "binary_crossentropy", {"accuracy"})`. Compiling again starts a
  /// fresh optimizer, as in Keras.
  /// @throws ValueError for an unknown name or a metric that does not fit the output;
  /// StateError when called during fit, evaluate or predict (from a callback).
  void compile(const OptimizerArgument<Scalar>& optimizer, const LossArgument<Scalar>& loss,
               const std::vector<MetricArgument<Scalar>>& metrics = {}) {
    require_valid("compile");
    if (running_ != nullptr) {
      throw StateError(detail::concat(
          "compile cannot be called during ", running_, ", because ", running_,
          " keeps using the optimizer, loss and metrics it started with; compile before ",
          running_, ", or stop training with model().set_stop_training(true) and compile "
          "after ", running_, " returns"));
    }
    std::vector<std::unique_ptr<Metric<Scalar>>> new_metrics;
    for (const MetricArgument<Scalar>& metric : metrics) {
      if (!metric.keras_name().empty() && output_width() != 1) {
        throw ValueError(detail::concat(
            "compile: \"", metric.keras_name(), "\" on an output of ", output_width(),
            " columns would be categorical accuracy in Keras, which sinapse does not provide; "
            "pass BinaryAccuracy<Scalar>() for per-column binary accuracy"));
      }
      new_metrics.push_back(metric.make());
    }
    for (std::size_t i = 0; i < new_metrics.size(); ++i) {
      const std::string& metric_name = new_metrics[i]->name();
      if (metric_name == "loss" || metric_name.compare(0, 4, "val_") == 0) {
        throw ValueError(detail::concat(
            "compile: metric name \"", metric_name,
            "\" collides with the log keys of the loss and of validation (\"loss\", \"val_*\"); "
            "rename the metric"));
      }
      for (std::size_t j = 0; j < i; ++j) {
        if (new_metrics[i]->name() == new_metrics[j]->name()) {
          throw ValueError(detail::concat("compile: metric name \"", new_metrics[i]->name(),
                                          "\" is used twice; give each metric its own name"));
        }
      }
    }
    optimizer_ = optimizer.make();
    loss_ = loss.make();
    metrics_ = std::move(new_metrics);
  }

  bool compiled() const { return loss_ != nullptr; }

  /// The optimizer set by `compile`, or null.
  const Optimizer<Scalar>* optimizer() const { return optimizer_.get(); }

  /// Names of the values `evaluate` returns: "loss" and then each metric.
  std::vector<std::string> metrics_names() const {
    std::vector<std::string> names{"loss"};
    for (const auto& metric : metrics_) names.push_back(metric->name());
    return names;
  }

  // ---------------------------------------------------------------------------------
  // Training and inference

  /// Trains for `options.epochs()` epochs and returns the per-epoch history.
  ///
  /// Each epoch draws a new order of the training samples (unless shuffle is off) and
  /// runs one step per batch. The last batch keeps the remaining samples even when it
  /// is smaller. The reported loss is the batch-size-weighted mean over the epoch, and
  /// the accuracy is the exact fraction of correct samples. Both come from the
  /// training-mode forward pass before each update. validation_split holds out the
  /// last N - floor(N (1 - split)) rows before shuffling, as Keras does.
  /// @throws StateError before compile; ShapeError or ValueError for bad data or options
  /// (epochs and initial_epoch must be at most detail::max_completed_epochs, so that the
  /// model can always be saved), before anything changes. FloatingPointError when a step
  /// would produce NaN or inf: that step is not applied, earlier steps stay applied, and
  /// the History of the finished epochs is lost with the exception. Pass a TerminateOnNaN
  /// callback to end training normally instead, keeping the History and the last finite
  /// weights.
  History fit(const MatrixType& x, const MatrixType& y, const FitOptions<Scalar>& options = {}) {
    return fit(std::vector<const MatrixType*>{&x}, y, options);
  }

  /// Trains a model with several inputs: one x matrix per input, in input order.
  History fit(const std::vector<MatrixType>& x, const MatrixType& y,
              const FitOptions<Scalar>& options = {}) {
    return fit(pointers(x), y, options);
  }

  /// Trains a model with several inputs given as a braced list: `fit({x1, x2}, y)`.
  History fit(std::initializer_list<MatrixType> x, const MatrixType& y,
              const FitOptions<Scalar>& options = {}) {
    return fit(pointers(x), y, options);
  }

  // A braced list of integers, such as predict({1, 2}), would otherwise become Eigen's
  // uninitialised (1, 2) matrix. These deleted overloads turn that mistake into a compile
  // error for every data entry point.
  template <typename Integer, typename = std::enable_if_t<std::is_integral<Integer>::value>>
  History fit(std::initializer_list<Integer>, const MatrixType&,
              const FitOptions<Scalar>& = {}) = delete;
  template <typename Integer, typename = std::enable_if_t<std::is_integral<Integer>::value>>
  Logs evaluate(std::initializer_list<Integer>, const MatrixType&,
                const EvaluateOptions& = {}) = delete;
  template <typename Integer, typename = std::enable_if_t<std::is_integral<Integer>::value>>
  MatrixType predict(std::initializer_list<Integer>, const PredictOptions& = {}) = delete;
  template <typename Integer, typename = std::enable_if_t<std::is_integral<Integer>::value>>
  Logs train_on_batch(std::initializer_list<Integer>, const MatrixType&) = delete;
  template <typename Integer, typename = std::enable_if_t<std::is_integral<Integer>::value>>
  Logs test_on_batch(std::initializer_list<Integer>, const MatrixType&) = delete;
  // Mixed integer pairs such as {1, 2L} match none of the lists above but do match Eigen's
  // (rows, cols) constructor; these make such calls ambiguous, so they fail to compile.
  History fit(detail::IntegerPair, const MatrixType&, const FitOptions<Scalar>& = {}) = delete;
  Logs evaluate(detail::IntegerPair, const MatrixType&, const EvaluateOptions& = {}) = delete;
  MatrixType predict(detail::IntegerPair, const PredictOptions& = {}) = delete;
  Logs train_on_batch(detail::IntegerPair, const MatrixType&) = delete;
  Logs test_on_batch(detail::IntegerPair, const MatrixType&) = delete;

  /// Computes the loss and metrics in inference mode, returned by name
  /// (`result.at("loss")`, `result.at("accuracy")`).
  Logs evaluate(const MatrixType& x, const MatrixType& y, const EvaluateOptions& options = {}) {
    return evaluate(std::vector<const MatrixType*>{&x}, y, options);
  }

  Logs evaluate(const std::vector<MatrixType>& x, const MatrixType& y,
                const EvaluateOptions& options = {}) {
    return evaluate(pointers(x), y, options);
  }

  Logs evaluate(std::initializer_list<MatrixType> x, const MatrixType& y,
                const EvaluateOptions& options = {}) {
    return evaluate(pointers(x), y, options);
  }

  /// Returns the outputs for x in inference mode, (samples, outputs).
  MatrixType predict(const MatrixType& x, const PredictOptions& options = {}) {
    return predict(std::vector<const MatrixType*>{&x}, options);
  }

  MatrixType predict(const std::vector<MatrixType>& x, const PredictOptions& options = {}) {
    return predict(pointers(x), options);
  }

  MatrixType predict(std::initializer_list<MatrixType> x, const PredictOptions& options = {}) {
    return predict(pointers(x), options);
  }

  /// Runs one training step on x and y as a single batch and returns that batch's loss
  /// and metrics (computed before the update).
  Logs train_on_batch(const MatrixType& x, const MatrixType& y) {
    return train_on_batch(std::vector<const MatrixType*>{&x}, y);
  }

  Logs train_on_batch(const std::vector<MatrixType>& x, const MatrixType& y) {
    return train_on_batch(pointers(x), y);
  }

  Logs train_on_batch(std::initializer_list<MatrixType> x, const MatrixType& y) {
    return train_on_batch(pointers(x), y);
  }

  /// Returns the loss and metrics of x and y as a single batch in inference mode.
  Logs test_on_batch(const MatrixType& x, const MatrixType& y) {
    return test_on_batch(std::vector<const MatrixType*>{&x}, y);
  }

  Logs test_on_batch(const std::vector<MatrixType>& x, const MatrixType& y) {
    return test_on_batch(pointers(x), y);
  }

  Logs test_on_batch(std::initializer_list<MatrixType> x, const MatrixType& y) {
    return test_on_batch(pointers(x), y);
  }

  /// Prints the layer table as Keras 3 does. `line_length` 0 picks Keras's width: the
  /// terminal's width minus 4, capped at 88 (108 with a "Connected to" column), and 76
  /// when `out` is not a terminal.
  void summary(std::ostream& out = std::cout, int line_length = 0) const {
    out << summary_string(line_length > 0 ? line_length : default_line_length(out));
  }

  /// Returns the text that `summary` prints for a given line length.
  /// @throws ValueError unless 20 <= line_length <= 1000.
  std::string summary_string(int line_length) const {
    require_valid("summary");
    if (line_length < 20 || line_length > 1000) {
      throw ValueError(detail::concat("summary: line_length must be in [20, 1000], got ",
                                      line_length, "; pass 0 for the terminal's width"));
    }
    return detail::render_summary(summary_data(), line_length);
  }

  // ---------------------------------------------------------------------------------
  // Saving (defined in sinapse/saving/model_file.hpp and weights_file.hpp)

  /// Saves the whole model to one file, as Keras's `model.save`: the graph, every weight,
  /// the compile settings, the optimizer state, the generator states and the epoch count.
  /// `load_model<Scalar>(path)` reads it back. The file is replaced atomically.
  /// @throws ValueError for a layer, optimizer, loss or metric class that model files
  /// cannot store; IOError when writing fails.
  void save(const std::string& path) const;

  /// Saves only the weights, matched by layer name when loaded. The file is replaced
  /// atomically.
  /// @throws IOError when writing fails.
  void save_weights(const std::string& path) const;

  /// Loads weights saved by `save_weights` (or the weights of a model file), matching
  /// layers by name and weights by name and shape. Nothing changes when it throws.
  /// @throws ValueError for a layer missing from the file or from the model, or a dtype
  /// mismatch without `options.convert_dtype(true)`; ShapeError for a weight of another
  /// shape; FileFormatError for a damaged file; IOError when reading fails.
  void load_weights(const std::string& path, const LoadOptions& options = {});

  // ---------------------------------------------------------------------------------
  // Lower-level access, used by tests and by code that drives training itself.

  /// Runs the forward pass on one batch and returns the output (batch, outputs).
  /// @throws ShapeError or ValueError for inputs that `predict` would reject.
  const MatrixType& forward_batch(const std::vector<const MatrixType*>& x, bool training) {
    check_inputs("forward_batch", x);
    executor_.start_batch(x[0]->rows());
    for (std::size_t i = 0; i < executor_.input_count(); ++i) executor_.input_batch(i) = *x[i];
    forward(training);
    return executor_.output();
  }

  /// Back-propagates dLoss/dOutput through the last forward pass: zeroes and fills the
  /// gradients of every trainable variable. With `input_gradients`, it also returns
  /// dLoss/dx for each input.
  /// @throws StateError unless the last forward pass ran in training mode; ShapeError
  /// unless output_gradient has the shape of that pass's output.
  void backward_batch(const MatrixType& output_gradient,
                      std::vector<MatrixType>* input_gradients = nullptr) {
    require_valid("backward_batch");
    if (!executor_.last_forward_training()) {
      throw StateError(
          "backward_batch: no training forward pass to differentiate; call "
          "forward_batch(x, true) first");
    }
    const MatrixType& output = executor_.output();
    if (output_gradient.rows() != output.rows() || output_gradient.cols() != output.cols()) {
      throw ShapeError(detail::concat(
          "backward_batch: output_gradient has shape ",
          detail::shape_string(output_gradient.rows(), output_gradient.cols()), ", expected ",
          detail::shape_string(output.rows(), output.cols()), " like the last forward output"));
    }
    executor_.output_gradient() = output_gradient;
    backward(input_gradients != nullptr);
    if (input_gradients != nullptr) {
      input_gradients->clear();
      for (std::size_t i = 0; i < executor_.input_count(); ++i) {
        const MatrixType* gradient = executor_.input_gradient(i);
        const MatrixType& batch = executor_.input_batch(i);
        input_gradients->push_back(
            gradient != nullptr ? *gradient : MatrixType::Zero(batch.rows(), batch.cols()));
      }
    }
  }

  /// Trainable variables in Keras's order, each once even if its layer is shared.
  const std::vector<Variable<Scalar>*>& trainable_variables() const {
    require_valid("trainable_variables");
    return trainable_;
  }

  /// The generator behind shuffling and dropout masks.
  Generator& generator() { return generator_; }

  /// The epoch index that training would continue from: the last epoch that `fit`
  /// finished plus one, 0 before any. Saved with the model, so that
  /// `fit(x, y, options.initial_epoch(model.completed_epochs()))` resumes a run.
  int completed_epochs() const { return completed_epochs_; }

  /// Asks `fit` to stop, as Keras's `model.stop_training = True`: set from a callback, it
  /// ends training after the current batch (in a batch hook) or epoch (in an epoch hook).
  /// `fit` clears it when it starts.
  void set_stop_training(bool stop) { stop_training_ = stop; }
  bool stop_training() const { return stop_training_; }

 private:
  template <typename Container>
  static std::vector<const MatrixType*> pointers(const Container& x) {
    std::vector<const MatrixType*> result;
    for (const MatrixType& matrix : x) result.push_back(&matrix);
    return result;
  }

  void forward(bool training) { executor_.forward(training, generator_); }

  /// Back-propagates the gradient already in executor_.output_gradient().
  void backward(bool need_input_gradients) { executor_.backward(trainable_, need_input_gradients); }

  /// Throws StateError for a Model that was moved from, whose graph is gone.
  void require_valid(const char* caller) const {
    if (!valid()) {
      throw StateError(detail::concat(caller,
                                      ": this Model was moved from and has no graph; "
                                      "use the Model it was moved to"));
    }
  }

  void require_compiled(const char* caller) const {
    require_valid(caller);
    if (!compiled()) {
      throw StateError(detail::concat(caller,
                                      ": the model is not compiled; call compile(optimizer, "
                                      "loss, metrics) first"));
    }
  }

  /// Checks the inputs: count, equal non-zero row counts, widths and, unless
  /// check_values is false, finite values.
  void check_inputs(const char* caller, const std::vector<const MatrixType*>& x,
                    const char* argument_name = "x", bool check_values = true) const {
    require_valid(caller);
    if (x.size() != executor_.input_count()) {
      throw ValueError(detail::concat(caller, ": expected ", executor_.input_count(),
                                      " input matrices (one per model input), got ", x.size(),
                                      "; pass one x matrix per Input, in the model's input order"));
    }
    for (std::size_t i = 0; i < x.size(); ++i) {
      const std::string label = input_label(argument_name, i, x.size());
      if (x[i]->rows() == 0) {
        throw ValueError(
            detail::concat(caller, ": ", label, " has no rows; pass at least one sample"));
      }
      if (x[i]->rows() != x[0]->rows()) {
        throw ShapeError(detail::concat(caller, ": ", label, " has ", x[i]->rows(), " rows but ",
                                        argument_name, "[0] has ", x[0]->rows(),
                                        "; every input needs one row per sample"));
      }
      if (x[i]->cols() != input_width(i)) {
        throw ShapeError(detail::concat(
            caller, ": ", label, " has shape ", detail::shape_string(x[i]->rows(), x[i]->cols()),
            ", expected (samples, ", input_width(i), ") to match Input '",
            executor_.input_layer(i).name(), "'"));
      }
      if (check_values) detail::check_finite(caller, label, *x[i]);
    }
  }

  /// Names input i in messages: "x" for a single input, "x[i]" for several.
  static std::string input_label(const char* argument_name, std::size_t i, std::size_t count) {
    return count == 1 ? std::string(argument_name) : detail::concat(argument_name, "[", i, "]");
  }

  /// Checks targets against the inputs' row count, the output width and the loss.
  void check_targets(const char* caller, const MatrixType& y, Index rows,
                     const char* argument_name = "y") const {
    if (y.rows() != rows) {
      throw ShapeError(detail::concat(caller, ": ", argument_name, " has ", y.rows(),
                                      " rows but x has ", rows,
                                      "; pass one target row per sample"));
    }
    if (y.cols() != output_width()) {
      throw ShapeError(detail::concat(
          caller, ": ", argument_name, " has shape ", detail::shape_string(y.rows(), y.cols()),
          ", expected (samples, ", output_width(), ") to match the model output"));
    }
    detail::check_finite(caller, argument_name, y);
    loss_->validate_targets(y, detail::concat(caller, ": ", argument_name));
  }

  /// Copies the samples rows[begin], ..., rows[begin + count - 1] of x and y into the
  /// input nodes and the targets. The data are column-major, so the copy runs column by
  /// column: each column of the batch is written in order from one column of the data.
  void gather(const std::vector<const MatrixType*>& x, const MatrixType* y,
              const std::vector<Index>& rows, Index begin, Index count) {
    executor_.start_batch(count);
    const Index* selected = rows.data() + begin;
    for (std::size_t i = 0; i < executor_.input_count(); ++i) {
      gather_rows(*x[i], selected, count, executor_.input_batch(i));
    }
    if (y != nullptr) gather_rows(*y, selected, count, executor_.targets());
  }

  static void gather_rows(const MatrixType& source, const Index* rows, Index count,
                          MatrixType& batch) {
    batch.resize(count, source.cols());
    for (Index j = 0; j < source.cols(); ++j) {
      const Scalar* from = source.col(j).data();
      Scalar* to = batch.col(j).data();
      for (Index r = 0; r < count; ++r) to[r] = from[rows[r]];
    }
  }

  /// Copies the consecutive rows [begin, begin + count) into the input nodes and the
  /// targets.
  void slice(const std::vector<const MatrixType*>& x, const MatrixType* y, Index begin,
             Index count) {
    executor_.start_batch(count);
    for (std::size_t i = 0; i < executor_.input_count(); ++i) {
      executor_.input_batch(i) = x[i]->middleRows(begin, count);
    }
    if (y != nullptr) executor_.targets() = y->middleRows(begin, count);
  }

  /// Marks the model as running `caller` (fit, evaluate or predict) until the end of the
  /// scope, so that compile from a callback is rejected. Nested calls restore the outer one.
  class RunningScope {
   public:
    RunningScope(Model& model, const char* caller) : model_(model), outer_(model.running_) {
      model_.running_ = caller;
    }
    ~RunningScope() { model_.running_ = outer_; }
    RunningScope(const RunningScope&) = delete;
    RunningScope& operator=(const RunningScope&) = delete;

   private:
    Model& model_;
    const char* outer_;
  };

  /// Returns the sorted keys of a fit's epoch logs: "loss" and each metric, and their
  /// "val_" forms when the fit validates.
  std::vector<std::string> epoch_log_keys(bool validation) const {
    std::vector<std::string> keys = metrics_names();
    if (validation) {
      const std::size_t count = keys.size();
      for (std::size_t i = 0; i < count; ++i) keys.push_back("val_" + keys[i]);
    }
    std::sort(keys.begin(), keys.end());
    return keys;
  }

  void ensure_optimizer_built() {
    if (!optimizer_->built()) optimizer_->build(trainable_);
  }

  /// One step on the batch already in the input nodes and targets; returns its loss.
  /// caller, epoch, step and steps name the step in an error message (epoch 0: none).
  /// @throws FloatingPointError when the loss, a gradient, a moving statistic or an updated
  /// weight would be NaN or inf. The step is then not applied: weights, optimizer state,
  /// moving statistics, generators and metrics keep their values.
  Scalar train_step(const char* caller, int epoch, Index step, Index steps) {
    const StepLabel where{caller, epoch, step, steps};
    // What a training forward pass changes besides activations: moving statistics and
    // random generators. They are saved so that a rejected step leaves no trace; they
    // are a few values per feature, so the copies cost little.
    for (std::size_t i = 0; i < non_trainable_.size(); ++i) {
      non_trainable_backup_[i] = non_trainable_[i]->value;
    }
    generator_backup_ = generator_.state();
    for (std::size_t i = 0; i < layer_generators_.size(); ++i) {
      layer_generator_backup_[i] = layer_generators_[i]->state();
    }

    forward(true);
    const MatrixType& y_pred = executor_.output();
    const MatrixType& y_true = executor_.targets();
    const Scalar loss = loss_->compute(y_true, y_pred, &executor_.output_gradient());
    if (!std::isfinite(loss)) reject_step(where, detail::concat("the loss is ", loss));
    for (const Variable<Scalar>* variable : non_trainable_) {
      if (!detail::all_finite(variable->value)) {
        reject_step(where, detail::concat("the non-trainable weight ", variable->name,
                                          " became NaN or inf"));
      }
    }
    backward(false);
    // The optimizer rejects a NaN or inf gradient as part of its update, which reads
    // every gradient anyway. The gradients are scanned here only to name the culprit.
    if (!optimizer_->apply(trainable_)) reject_step(where, rejected_update_problem());
    for (auto& metric : metrics_) metric->update(y_true, y_pred);
    return loss;
  }

  /// Names why the optimizer rejected a step: the first gradient that is NaN or inf, or
  /// else the update itself.
  std::string rejected_update_problem() const {
    for (std::size_t i = 0; i < trainable_.size(); ++i) {
      if (!trainable_[i]->gradient.allFinite()) {
        return detail::concat("the gradient of weight ", i, " (", trainable_[i]->name,
                              ") is not finite");
      }
    }
    return "the optimizer step would make a weight NaN or inf";
  }

  /// Names a training step in messages; the text is built only when a step fails.
  struct StepLabel {
    const char* caller;
    int epoch;
    Index step;
    Index steps;

    std::string text() const {
      if (epoch == 0) return caller;
      return detail::concat(caller, ": epoch ", epoch, ", batch ", step, " of ", steps);
    }
  };

  /// Restores what the failed step changed before the optimizer (moving statistics and
  /// generators), and throws.
  [[noreturn]] void reject_step(const StepLabel& where, const std::string& problem) {
    for (std::size_t i = 0; i < non_trainable_.size(); ++i) {
      non_trainable_[i]->value = non_trainable_backup_[i];
    }
    generator_.set_state(generator_backup_);
    for (std::size_t i = 0; i < layer_generators_.size(); ++i) {
      layer_generators_[i]->set_state(layer_generator_backup_[i]);
    }
    throw FloatingPointError(detail::concat(
        where.text(), ": ", problem,
        ", so the step was not applied and the model keeps its last finite weights; scale "
        "the features (for example with StandardScaler) or lower the learning rate"));
  }

  /// Inference on the batch in the input nodes; returns its loss and updates metrics.
  Scalar test_step(const char* caller) {
    forward(false);
    const MatrixType& y_pred = executor_.output();
    const MatrixType& y_true = executor_.targets();
    const Scalar loss = loss_->compute(y_true, y_pred, nullptr);
    if (!std::isfinite(loss)) {
      throw FloatingPointError(
          detail::concat(caller, ": the loss is ", loss,
                         " for finite data, because the model's outputs "
                         "overflowed; scale the features (for example with StandardScaler)"));
    }
    for (auto& metric : metrics_) metric->update(y_true, y_pred);
    return loss;
  }

  /// Writes the running loss and metrics into logs in place: after the first call the
  /// keys exist, so a step with callbacks allocates nothing here.
  void update_logs(Logs& logs, double loss_sum, Index samples) const {
    logs["loss"] = loss_sum / static_cast<double>(samples);
    for (const auto& metric : metrics_) logs[metric->name()] = metric->result();
  }

  Logs collect_logs(double loss_sum, Index samples, const std::string& prefix = "") const {
    Logs logs;
    logs[prefix + "loss"] = loss_sum / static_cast<double>(samples);
    for (const auto& metric : metrics_) logs[prefix + metric->name()] = metric->result();
    return logs;
  }

  void reset_metrics() {
    for (auto& metric : metrics_) metric->reset();
  }

  History fit(const std::vector<const MatrixType*>& x, const MatrixType& y,
              const FitOptions<Scalar>& options) {
    const RunningScope running(*this, "fit");
    require_compiled("fit");
    check_inputs("fit", x);
    check_targets("fit", y, x[0]->rows());
    if (options.epochs() < 0) {
      throw ValueError(detail::concat("fit: epochs must be >= 0, got ", options.epochs()));
    }
    if (options.initial_epoch() < 0) {
      throw ValueError(detail::concat("fit: initial_epoch must be >= 0, got ",
                                      options.initial_epoch()));
    }
    // A model file stores at most max_completed_epochs, so more could not be saved.
    if (options.epochs() > detail::max_completed_epochs ||
        options.initial_epoch() > detail::max_completed_epochs) {
      throw ValueError(detail::concat(
          "fit: epochs and initial_epoch must be at most ", detail::max_completed_epochs,
          " (the largest epoch count a model file stores), got epochs ", options.epochs(),
          " and initial_epoch ", options.initial_epoch(), "; pass fewer epochs"));
    }
    for (std::size_t i = 0; i < options.callbacks().size(); ++i) {
      if (options.callbacks()[i] == nullptr) {
        throw ValueError(detail::concat("fit: callbacks[", i,
                                        "] is null; pass std::make_shared<...>() objects"));
      }
    }
    detail::check_batch_size("fit", options.batch_size());
    detail::check_verbose("fit", options.verbose());
    if (options.validation_batch_size()) {
      if (*options.validation_batch_size() < 1) {
        throw ValueError(detail::concat("fit: validation_batch_size must be at least 1, got ",
                                        *options.validation_batch_size()));
      }
    }

    const Index samples = x[0]->rows();
    Index train_rows = samples;
    std::vector<const MatrixType*> validation_x;
    const MatrixType* validation_y = nullptr;
    std::vector<MatrixType> split_x;
    MatrixType split_y;
    if (options.has_validation_data()) {
      validation_x = pointers(options.validation_x());
      validation_y = &options.validation_y();
      check_inputs("fit: validation_data", validation_x, "x");
      check_targets("fit: validation_data", *validation_y, validation_x[0]->rows());
    } else if (options.validation_split() != 0.0) {
      const double split = options.validation_split();
      if (!(split > 0.0 && split < 1.0)) {
        throw ValueError(detail::concat("fit: validation_split must be in (0, 1), got ", split));
      }
      train_rows = static_cast<Index>(std::floor(static_cast<double>(samples) * (1.0 - split)));
      if (train_rows == 0 || train_rows == samples) {
        throw ValueError(detail::concat("fit: validation_split ", split, " of ", samples,
                                        " samples leaves ",
                                        train_rows == 0 ? "no training" : "no validation",
                                        " samples; use more samples or another split"));
      }
      for (const MatrixType* matrix : x)
        split_x.push_back(matrix->bottomRows(samples - train_rows));
      split_y = y.bottomRows(samples - train_rows);
      validation_x = pointers(split_x);
      validation_y = &split_y;
    }

    std::ostream& out = options.output() != nullptr ? *options.output() : std::cout;
    const std::vector<std::shared_ptr<Callback<Scalar>>>& callbacks = options.callbacks();
    // If the first step is rejected, fit leaves the model exactly as it found it.
    const Generator::State generator_at_start = generator_.state();
    const bool optimizer_was_built = optimizer_->built();
    if (options.seed() && options.initial_epoch() == 0) generator_.reseed(*options.seed());
    ensure_optimizer_built();

    const Index batch_size = options.batch_size();
    const Index steps = detail::step_count(train_rows, batch_size);
    History history;
    history.epochs = options.epochs();
    history.steps = steps;
    history.verbose = options.verbose();
    std::vector<Index> order(static_cast<std::size_t>(train_rows));
    long long applied_steps = 0;
    stop_training_ = false;
    resume_.reset();
    Logs last_epoch_logs;
    Logs batch_logs;
    for (const auto& callback : callbacks) callback->set_model(this);
    // BackupAndRestore compares these with the History of its backup.
    fit_log_keys_ = epoch_log_keys(validation_y != nullptr);
    try {
      for (const auto& callback : callbacks) callback->on_train_begin(last_epoch_logs);
    } catch (...) {
      fit_log_keys_.reset();
      throw;
    }
    fit_log_keys_.reset();
    // A callback such as BackupAndRestore may have restored an earlier run. When that run
    // completed `epochs` or more, the loop runs no epoch, because Keras's
    // range(initial_epoch, epochs) is then empty. The History is then the restored one. It
    // lists every epoch the restored weights went through, so it can be longer than
    // history.epochs.
    int first_epoch = options.initial_epoch();
    const bool resumed = resume_.has_value();
    if (resumed) {
      first_epoch = resume_->epoch;
      history.history = std::move(resume_->history.history);
      history.epoch = std::move(resume_->history.epoch);
      resume_.reset();
    }
    try {
      for (int epoch = first_epoch; epoch < options.epochs() && !stop_training_; ++epoch) {
        reset_metrics();
        for (const auto& callback : callbacks) callback->on_epoch_begin(epoch, Logs());
        if (options.verbose() > 0 && options.epochs() > 1) {
          out << "Epoch " << epoch + 1 << "/" << options.epochs() << '\n';
        }
        std::iota(order.begin(), order.end(), Index(0));
        if (options.shuffle()) shuffle(order);
        detail::ProgressBar progress(out, steps, options.verbose());
        double loss_sum = 0.0;
        Index seen = 0;
        bool rejected = false;
        for (Index step = 0; step < steps; ++step) {
          for (const auto& callback : callbacks) callback->on_train_batch_begin(step, batch_logs);
          const Index begin = step * batch_size;
          const Index count = std::min(batch_size, train_rows - begin);
          gather(x, &y, order, begin, count);
          Scalar loss;
          try {
            loss = train_step("fit", epoch + 1, step + 1, steps);
          } catch (const FloatingPointError& error) {
            for (const auto& callback : callbacks) callback->on_train_batch_rejected(step, error);
            if (!stop_training_) throw;
            rejected = true;
            break;
          }
          ++applied_steps;
          loss_sum += static_cast<double>(loss) * static_cast<double>(count);
          seen += count;
          progress.update(step + 1, [&] { return collect_logs(loss_sum, seen); });
          if (!callbacks.empty()) {
            update_logs(batch_logs, loss_sum, seen);
            for (const auto& callback : callbacks) callback->on_train_batch_end(step, batch_logs);
            if (stop_training_) break;
          }
        }
        // A rejected step leaves the epoch unfinished; History keeps finished epochs only.
        if (rejected) break;
        Logs logs = collect_logs(loss_sum, seen);
        if (validation_y != nullptr) {
          const Index validation_batch = options.validation_batch_size().value_or(batch_size);
          const Logs validation = run_evaluation("fit: validation", validation_x, *validation_y,
                                                 validation_batch, nullptr);
          for (const auto& entry : validation) logs["val_" + entry.first] = entry.second;
        }
        progress.finish(logs);
        for (const auto& entry : logs) history.history[entry.first].push_back(entry.second);
        history.epoch.push_back(epoch);
        completed_epochs_ = epoch + 1;
        for (const auto& callback : callbacks) callback->on_epoch_end(epoch, logs);
        last_epoch_logs = std::move(logs);
      }
    } catch (const FloatingPointError&) {
      if (applied_steps == 0 && !resumed) {
        generator_.set_state(generator_at_start);
        if (!optimizer_was_built) optimizer_->reset();
      }
      throw;
    }
    for (const auto& callback : callbacks) callback->on_train_end(last_epoch_logs);
    return history;
  }

  /// Fisher-Yates shuffle with the model's generator.
  void shuffle(std::vector<Index>& order) {
    for (std::size_t i = order.size(); i > 1; --i) {
      const std::size_t j = static_cast<std::size_t>(generator_.below(i));
      std::swap(order[i - 1], order[j]);
    }
  }

  Logs run_evaluation(const char* caller, const std::vector<const MatrixType*>& x,
                      const MatrixType& y, Index batch_size, detail::ProgressBar* progress) {
    reset_metrics();
    const Index samples = x[0]->rows();
    const Index steps = detail::step_count(samples, batch_size);
    double loss_sum = 0.0;
    Index seen = 0;
    for (Index step = 0; step < steps; ++step) {
      const Index begin = step * batch_size;
      const Index count = std::min(batch_size, samples - begin);
      slice(x, &y, begin, count);
      loss_sum += static_cast<double>(test_step(caller)) * static_cast<double>(count);
      seen += count;
      if (progress != nullptr) {
        progress->update(step + 1, [&] { return collect_logs(loss_sum, seen); });
      }
    }
    return collect_logs(loss_sum, seen);
  }

  Logs evaluate(const std::vector<const MatrixType*>& x, const MatrixType& y,
                const EvaluateOptions& options) {
    const RunningScope running(*this, "evaluate");
    require_compiled("evaluate");
    check_inputs("evaluate", x);
    check_targets("evaluate", y, x[0]->rows());
    detail::check_batch_size("evaluate", options.batch_size());
    detail::check_verbose("evaluate", options.verbose());
    std::ostream& out = options.output() != nullptr ? *options.output() : std::cout;
    const Index steps = detail::step_count(x[0]->rows(), options.batch_size());
    detail::ProgressBar progress(out, steps, options.verbose());
    const Logs logs = run_evaluation("evaluate", x, y, options.batch_size(), &progress);
    progress.finish(logs);
    return logs;
  }

  MatrixType predict(const std::vector<const MatrixType*>& x, const PredictOptions& options) {
    const RunningScope running(*this, "predict");
    // The values are checked batch by batch below, on each batch just copied and still in
    // cache, rather than in a pass over all of x first. predict changes nothing, so an
    // error in a late batch leaves the model as it was.
    check_inputs("predict", x, "x", false);
    detail::check_batch_size("predict", options.batch_size());
    detail::check_verbose("predict", options.verbose());
    std::ostream& out = options.output() != nullptr ? *options.output() : std::cout;
    const Index samples = x[0]->rows();
    const Index batch_size = options.batch_size();
    const Index steps = detail::step_count(samples, batch_size);
    detail::ProgressBar progress(out, steps, options.verbose());
    MatrixType result(samples, output_width());
    for (Index step = 0; step < steps; ++step) {
      const Index begin = step * batch_size;
      const Index count = std::min(batch_size, samples - begin);
      slice(x, nullptr, begin, count);
      for (std::size_t i = 0; i < x.size(); ++i) {
        const MatrixType& batch = executor_.input_batch(i);
        if (!detail::all_finite(batch)) {
          detail::check_finite("predict", input_label("x", i, x.size()), batch, begin);
        }
      }
      forward(false);
      const MatrixType& output = executor_.output();
      if (!detail::all_finite(output)) throw_non_finite_output("predict", output, begin);
      result.middleRows(begin, count) = output;
      progress.update(step + 1, [] { return Logs(); });
    }
    progress.finish({});
    return result;
  }

  /// Throws FloatingPointError naming the first non-finite output row.
  [[noreturn]] static void throw_non_finite_output(const char* caller, const MatrixType& output,
                                                   Index first_row) {
    Index row = 0;
    while (row + 1 < output.rows() && output.row(row).allFinite()) ++row;
    throw FloatingPointError(detail::concat(
        caller, ": the output for sample ", first_row + row,
        " is NaN or inf although the inputs are finite, because the model overflowed; scale "
        "the features (for example with StandardScaler)"));
  }

  Logs train_on_batch(const std::vector<const MatrixType*>& x, const MatrixType& y) {
    require_compiled("train_on_batch");
    check_inputs("train_on_batch", x);
    check_targets("train_on_batch", y, x[0]->rows());
    const bool optimizer_was_built = optimizer_->built();
    ensure_optimizer_built();
    reset_metrics();
    slice(x, &y, 0, x[0]->rows());
    try {
      const Scalar loss = train_step("train_on_batch", 0, 0, 0);
      return collect_logs(static_cast<double>(loss), 1);
    } catch (const FloatingPointError&) {
      // The rejected step changed nothing else; undo the optimizer build as well.
      if (!optimizer_was_built) optimizer_->reset();
      throw;
    }
  }

  Logs test_on_batch(const std::vector<const MatrixType*>& x, const MatrixType& y) {
    require_compiled("test_on_batch");
    check_inputs("test_on_batch", x);
    check_targets("test_on_batch", y, x[0]->rows());
    reset_metrics();
    slice(x, &y, 0, x[0]->rows());
    const Scalar loss = test_step("test_on_batch");
    return collect_logs(static_cast<double>(loss), 1);
  }

  int default_line_length(const std::ostream& out) const {
    const bool connections = !executor_.sequential_like();
    const int maximum = connections ? 108 : 88;
    if (!detail::is_terminal(out) && std::getenv("COLUMNS") == nullptr) return 76;
    return std::max(20, std::min(maximum, detail::terminal_columns(out) - 4));
  }

  detail::SummaryData summary_data() const {
    detail::SummaryData data;
    data.model_name = name_;
    data.with_connections = !executor_.sequential_like();
    for (const auto& layer : layers_) {
      detail::SummaryRow row;
      row.layer = layer->name() + " (" + layer->class_name() + ")";
      row.shape = "(None, " + std::to_string(layer->output_width()) + ")";
      row.params = static_cast<long long>(layer->count_params());
      row.connected = executor_.connected_to(layer.get());
      data.rows.push_back(row);
      for (const Variable<Scalar>* variable : std::as_const(*layer).variables()) {
        const long long size = static_cast<long long>(variable->value.size());
        if (variable->trainable) {
          data.trainable += size;
        } else {
          data.non_trainable += size;
        }
      }
    }
    data.trainable_bytes = static_cast<std::size_t>(data.trainable) * sizeof(Scalar);
    data.non_trainable_bytes = static_cast<std::size_t>(data.non_trainable) * sizeof(Scalar);
    if (optimizer_ && optimizer_->built()) {
      data.optimizer_params = static_cast<long long>(optimizer_->count_params());
      data.optimizer_bytes = optimizer_->state_bytes();
    }
    return data;
  }

  friend struct detail::ModelAccess<Scalar>;
  template <typename>
  friend class BackupAndRestore;

  /// Where fit continues after a callback restored an earlier run in on_train_begin.
  struct ResumePoint {
    int epoch = 0;
    History history;
  };

  std::string name_;
  std::vector<std::shared_ptr<Layer<Scalar>>> layers_;
  detail::GraphExecutor<Scalar> executor_;
  std::vector<Variable<Scalar>*> trainable_;
  std::vector<Variable<Scalar>*> non_trainable_;
  std::vector<MatrixType> non_trainable_backup_;  // before the current training step
  std::vector<Generator*> layer_generators_;      // the layers' own generators
  std::vector<Generator::State> layer_generator_backup_;
  Generator::State generator_backup_{};
  std::unique_ptr<Optimizer<Scalar>> optimizer_;
  std::unique_ptr<Loss<Scalar>> loss_;
  std::vector<std::unique_ptr<Metric<Scalar>>> metrics_;
  Generator generator_;
  int completed_epochs_ = 0;  // the index of the last finished epoch plus one
  bool stop_training_ = false;
  std::optional<ResumePoint> resume_;
  const char* running_ = nullptr;  // "fit", "evaluate" or "predict" while one runs
  // The keys of this fit's epoch logs, sorted; set only while on_train_begin runs.
  std::optional<std::vector<std::string>> fit_log_keys_;
};

}  // namespace sinapse

// The definitions of save, save_weights and load_weights, so that including this header
// is enough to call them. Those headers include this one, which #pragma once skips.
#include "sinapse/saving/model_file.hpp"
#include "sinapse/saving/weights_file.hpp"
