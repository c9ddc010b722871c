#pragma once

#include <algorithm>
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sinapse/core/random.hpp"
#include "sinapse/model/graph.hpp"
#include "sinapse/model/tensor.hpp"

namespace sinapse {
namespace detail {

/// Runs an ordered functional graph on batches: forward passes in topological order and
/// backward passes in reverse.
///
/// Buffers: Eigen reallocates a matrix whenever its size changes, and `fit` alternates
/// between full batches and a smaller last batch (`predict` and validation do too). So
/// the executor keeps one set of buffers per batch size (node outputs, gradients, layer
/// caches and the targets), for up to `kept_batch_sizes` sizes, and `start_batch` picks
/// the set. Once each size has been seen, a step allocates nothing.
///
/// Shapes: every buffer is (batch, width of the node's layer).
template <typename Scalar>
class GraphExecutor {
 public:
  using MatrixType = Matrix<Scalar>;

  /// Number of batch sizes whose buffers are kept. `fit` with validation uses four: the
  /// full and the last batch of training and of validation. A fifth size replaces the
  /// set used least recently.
  static constexpr std::size_t kept_batch_sizes = 4;

  /// An executor without a graph, as a moved-from Model has.
  GraphExecutor() = default;

  /// Prepares the nodes of `order`; `inputs` and `output` must be nodes of it.
  GraphExecutor(const GraphOrder<Scalar>& order,
                const std::vector<std::shared_ptr<Node<Scalar>>>& inputs,
                const std::shared_ptr<Node<Scalar>>& output) {
    std::map<const Node<Scalar>*, int> index_of;
    for (const auto& node : order.nodes) {
      index_of[node.get()] = static_cast<int>(nodes_.size());
      RuntimeNode runtime;
      runtime.node = node;
      nodes_.push_back(std::move(runtime));
    }
    for (RuntimeNode& runtime : nodes_) {
      for (const auto& producer : runtime.node->inbound) {
        runtime.inbound.push_back(index_of.at(producer.get()));
      }
      const std::size_t arity = runtime.inbound.size();
      runtime.input_pointers.resize(arity);
      runtime.gradient_pointers.resize(arity);
      runtime.add_scratch.resize(arity);
    }
    for (const auto& input : inputs) input_nodes_.push_back(index_of.at(input.get()));
    output_node_ = index_of.at(output.get());
    batches_.push_back(make_batch_buffers());
  }

  bool empty() const { return nodes_.empty(); }
  std::size_t input_count() const { return input_nodes_.size(); }

  const Layer<Scalar>& input_layer(std::size_t i) const { return *nodes_[input_nodes_[i]].layer(); }
  const Layer<Scalar>& output_layer() const { return *nodes_[output_node_].layer(); }

  /// Selects the buffers for a batch of `rows` samples, creating them the first time.
  /// Call it before writing the batch through `input_batch` and `targets`.
  void start_batch(Index rows) {
    current_ = buffers_for(rows);
    batches_[current_].rows = rows;
    batches_[current_].last_used = ++batch_counter_;
  }

  /// Buffer of input i; the caller writes the batch here before `forward`.
  MatrixType& input_batch(std::size_t i) { return buffers(input_nodes_[i]).output; }

  /// Targets of the current batch, (batch, outputs), for the loss and the metrics.
  MatrixType& targets() { return batches_[current_].targets; }

  /// Output of the last forward pass, (batch, outputs).
  const MatrixType& output() const { return *batches_[current_].nodes[output_node_].value; }

  /// dLoss/dOutput for the next `backward`; the caller fills it after `forward`.
  MatrixType& output_gradient() { return buffers(output_node_).gradient; }

  /// True when the last forward pass ran in training mode, so `backward` may follow.
  bool last_forward_training() const { return last_forward_training_; }

  void forward(bool training, Generator& generator) {
    last_forward_training_ = training;
    const ForwardContext context{training, &generator};
    std::vector<NodeBuffers>& node_buffers = batches_[current_].nodes;
    for (std::size_t n = 0; n < nodes_.size(); ++n) {
      RuntimeNode& runtime = nodes_[n];
      NodeBuffers& own = node_buffers[n];
      own.value = &own.output;
      if (runtime.inbound.empty()) continue;  // an input: its output contains the batch
      for (std::size_t i = 0; i < runtime.inbound.size(); ++i) {
        runtime.input_pointers[i] = node_buffers[runtime.inbound[i]].value;
      }
      if (runtime.layer()->is_identity(context)) {
        own.value = runtime.input_pointers[0];
        continue;
      }
      runtime.layer()->forward(runtime.input_pointers, own.output, own.cache.get(), context);
    }
  }

  /// Back-propagates `output_gradient()` through the last forward pass. The trainable
  /// variables' gradients are zeroed first, then accumulated by every call of their
  /// layer. With `need_input_gradients`, `input_gradient(i)` is filled too.
  void backward(const std::vector<Variable<Scalar>*>& trainable, bool need_input_gradients) {
    for (Variable<Scalar>* variable : trainable) variable->gradient.setZero();
    for (RuntimeNode& runtime : nodes_) runtime.gradient_set = false;
    nodes_[output_node_].gradient_set = true;
    std::vector<NodeBuffers>& node_buffers = batches_[current_].nodes;
    for (std::size_t n = nodes_.size(); n-- > 0;) {
      RuntimeNode& runtime = nodes_[n];
      NodeBuffers& own = node_buffers[n];
      if (runtime.inbound.empty() || !runtime.gradient_set) continue;
      // The first consumer to reach a producer writes its gradient in place. Later
      // consumers (fan-out, or one tensor passed twice) write to scratch and add it.
      for (std::size_t i = 0; i < runtime.inbound.size(); ++i) {
        RuntimeNode& producer = nodes_[runtime.inbound[i]];
        NodeBuffers& producer_buffers = node_buffers[runtime.inbound[i]];
        runtime.input_pointers[i] = producer_buffers.value;
        runtime.add_scratch[i] = false;
        if (producer.inbound.empty() && !need_input_gradients) {
          runtime.gradient_pointers[i] = nullptr;
        } else if (!producer.gradient_set) {
          runtime.gradient_pointers[i] = &producer_buffers.gradient;
          producer.gradient_set = true;
        } else {
          runtime.gradient_pointers[i] = &own.scratch[i];
          runtime.add_scratch[i] = true;
        }
      }
      runtime.layer()->backward(runtime.input_pointers, own.output, own.gradient, own.cache.get(),
                                runtime.gradient_pointers);
      for (std::size_t i = 0; i < runtime.inbound.size(); ++i) {
        if (runtime.add_scratch[i]) node_buffers[runtime.inbound[i]].gradient += own.scratch[i];
      }
    }
  }

  /// dLoss/d(input i) from the last `backward` with input gradients, or null when the
  /// output does not depend on that input.
  const MatrixType* input_gradient(std::size_t i) const {
    const int input = input_nodes_[i];
    return nodes_[input].gradient_set ? &batches_[current_].nodes[input].gradient : nullptr;
  }

  /// Number of graph nodes, in the order of the forward pass.
  std::size_t node_count() const { return nodes_.size(); }

  /// Graph node i of the forward order, with its layer and the nodes it consumes.
  const Node<Scalar>& node(std::size_t i) const { return *nodes_[i].node; }

  /// Positions in the forward order of the input nodes and of the output node.
  const std::vector<int>& input_nodes() const { return input_nodes_; }
  int output_node() const { return output_node_; }

  /// Keras's test for the 3-column summary: the nodes form one chain from a single
  /// input, each with at most one input, and no layer is called twice in this graph.
  bool sequential_like() const {
    std::map<const Layer<Scalar>*, int> calls;
    std::map<int, int> consumers;
    for (const RuntimeNode& runtime : nodes_) {
      if (runtime.inbound.size() > 1) return false;
      // Only calls inside this graph count: the layer may also sit in other graphs.
      if (++calls[runtime.layer()] > 1) return false;
      for (int producer : runtime.inbound) {
        if (++consumers[producer] > 1) return false;
      }
    }
    return input_nodes_.size() == 1;
  }

  /// Keras's "Connected to" cell for a layer: "name[node][0]" of every tensor its calls in
  /// this graph consume, or "-" for an input.
  std::string connected_to(const Layer<Scalar>* layer) const {
    std::string connected;
    for (const RuntimeNode& runtime : nodes_) {
      if (runtime.layer() != layer) continue;
      for (int producer : runtime.inbound) {
        const Node<Scalar>& node = *nodes_[producer].node;
        if (!connected.empty()) connected += ", ";
        connected += node.layer->name() + "[" + std::to_string(node.node_index) + "][0]";
      }
    }
    return connected.empty() ? "-" : connected;
  }

 private:
  /// The graph structure of one node and its per-pass bookkeeping.
  struct RuntimeNode {
    std::shared_ptr<Node<Scalar>> node;
    std::vector<int> inbound;
    bool gradient_set = false;  // the node's gradient buffer holds dLoss/d(output)
    // Per-call argument lists, kept so that a pass allocates nothing.
    std::vector<const MatrixType*> input_pointers;
    std::vector<MatrixType*> gradient_pointers;
    std::vector<char> add_scratch;

    Layer<Scalar>* layer() const { return node->layer.get(); }
  };

  /// The buffers of one node for one batch size.
  struct NodeBuffers {
    MatrixType output;
    // dLoss/d(output), valid when the node's gradient_set is true.
    MatrixType gradient;
    // One per input, for the gradient of a second consumer, which is then added.
    std::vector<MatrixType> scratch;
    std::unique_ptr<LayerCache> cache;
    // The node's value in the last forward pass: &output, or the input of a layer that
    // passed it on unchanged (Dropout outside training), which saves a copy.
    const MatrixType* value = nullptr;
  };

  /// The buffers of every node for one batch size, with the batch's targets.
  struct BatchBuffers {
    Index rows = -1;  // -1 until first used
    unsigned long long last_used = 0;
    std::vector<NodeBuffers> nodes;
    MatrixType targets;
  };

  BatchBuffers make_batch_buffers() const {
    BatchBuffers batch;
    batch.nodes.resize(nodes_.size());
    for (std::size_t n = 0; n < nodes_.size(); ++n) {
      batch.nodes[n].cache = nodes_[n].layer()->make_cache();
      batch.nodes[n].scratch.resize(nodes_[n].inbound.size());
      batch.nodes[n].value = &batch.nodes[n].output;
    }
    return batch;
  }

  /// Index of the buffer set for `rows`: the one already used for that size, else an
  /// unused or new one, else the one used least recently.
  std::size_t buffers_for(Index rows) {
    for (std::size_t i = 0; i < batches_.size(); ++i) {
      if (batches_[i].rows == rows) return i;
    }
    for (std::size_t i = 0; i < batches_.size(); ++i) {
      if (batches_[i].rows < 0) return i;
    }
    if (batches_.size() < kept_batch_sizes) {
      batches_.push_back(make_batch_buffers());
      return batches_.size() - 1;
    }
    std::size_t oldest = 0;
    for (std::size_t i = 1; i < batches_.size(); ++i) {
      if (batches_[i].last_used < batches_[oldest].last_used) oldest = i;
    }
    return oldest;
  }

  NodeBuffers& buffers(int node) { return batches_[current_].nodes[node]; }

  std::vector<RuntimeNode> nodes_;
  std::vector<int> input_nodes_;
  int output_node_ = 0;
  bool last_forward_training_ = false;
  std::vector<BatchBuffers> batches_;
  std::size_t current_ = 0;  // index in batches_ of the batch being run
  unsigned long long batch_counter_ = 0;
};

}  // namespace detail
}  // namespace sinapse
