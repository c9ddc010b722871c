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
/// backward passes in reverse. Each node owns its output, gradient and scratch buffers,
/// which are reused from batch to batch.
///
/// Shapes: every buffer is (batch, width of the node's layer).
template <typename Scalar>
class GraphExecutor {
 public:
  using MatrixType = Matrix<Scalar>;

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
      runtime.cache = node->layer->make_cache();
      nodes_.push_back(std::move(runtime));
    }
    for (RuntimeNode& runtime : nodes_) {
      for (const auto& producer : runtime.node->inbound) {
        runtime.inbound.push_back(index_of.at(producer.get()));
      }
      const std::size_t arity = runtime.inbound.size();
      runtime.input_pointers.resize(arity);
      runtime.gradient_pointers.resize(arity);
      runtime.scratch.resize(arity);
      runtime.add_scratch.resize(arity);
    }
    for (const auto& input : inputs) input_nodes_.push_back(index_of.at(input.get()));
    output_node_ = index_of.at(output.get());
  }

  bool empty() const { return nodes_.empty(); }
  std::size_t input_count() const { return input_nodes_.size(); }

  const Layer<Scalar>& input_layer(std::size_t i) const { return *nodes_[input_nodes_[i]].layer(); }
  const Layer<Scalar>& output_layer() const { return *nodes_[output_node_].layer(); }

  /// Buffer of input i; the caller writes the batch here before `forward`.
  MatrixType& input_batch(std::size_t i) { return nodes_[input_nodes_[i]].output; }

  /// Output of the last forward pass, (batch, outputs).
  const MatrixType& output() const { return nodes_[output_node_].output; }

  /// True when the last forward pass ran in training mode, so `backward` may follow.
  bool last_forward_training() const { return last_forward_training_; }

  void forward(bool training, Generator& generator) {
    last_forward_training_ = training;
    const ForwardContext context{training, &generator};
    for (RuntimeNode& runtime : nodes_) {
      if (runtime.inbound.empty()) continue;  // an input: its output contains the batch
      for (std::size_t i = 0; i < runtime.inbound.size(); ++i) {
        runtime.input_pointers[i] = &nodes_[runtime.inbound[i]].output;
      }
      runtime.layer()->forward(runtime.input_pointers, runtime.output, runtime.cache.get(),
                               context);
    }
  }

  /// Back-propagates dLoss/dOutput through the last forward pass. The trainable
  /// variables' gradients are zeroed first, then accumulated by every call of their
  /// layer. With `need_input_gradients`, `input_gradient(i)` is filled too.
  void backward(const MatrixType& output_gradient, const std::vector<Variable<Scalar>*>& trainable,
                bool need_input_gradients) {
    for (Variable<Scalar>* variable : trainable) variable->gradient.setZero();
    for (RuntimeNode& runtime : nodes_) runtime.gradient_set = false;
    nodes_[output_node_].gradient = output_gradient;
    nodes_[output_node_].gradient_set = true;
    for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it) {
      RuntimeNode& runtime = *it;
      if (runtime.inbound.empty() || !runtime.gradient_set) continue;
      // The first consumer to reach a producer writes its gradient in place. Later
      // consumers (fan-out, or one tensor passed twice) write to scratch and add it.
      for (std::size_t i = 0; i < runtime.inbound.size(); ++i) {
        RuntimeNode& producer = nodes_[runtime.inbound[i]];
        runtime.input_pointers[i] = &producer.output;
        runtime.add_scratch[i] = false;
        if (producer.inbound.empty() && !need_input_gradients) {
          runtime.gradient_pointers[i] = nullptr;
        } else if (!producer.gradient_set) {
          runtime.gradient_pointers[i] = &producer.gradient;
          producer.gradient_set = true;
        } else {
          runtime.gradient_pointers[i] = &runtime.scratch[i];
          runtime.add_scratch[i] = true;
        }
      }
      runtime.layer()->backward(runtime.input_pointers, runtime.output, runtime.gradient,
                                runtime.cache.get(), runtime.gradient_pointers);
      for (std::size_t i = 0; i < runtime.inbound.size(); ++i) {
        if (runtime.add_scratch[i]) nodes_[runtime.inbound[i]].gradient += runtime.scratch[i];
      }
    }
  }

  /// dLoss/d(input i) from the last `backward` with input gradients, or null when the
  /// output does not depend on that input.
  const MatrixType* input_gradient(std::size_t i) const {
    const RuntimeNode& input = nodes_[input_nodes_[i]];
    return input.gradient_set ? &input.gradient : nullptr;
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
  struct RuntimeNode {
    std::shared_ptr<Node<Scalar>> node;
    std::vector<int> inbound;
    std::unique_ptr<LayerCache> cache;
    MatrixType output;
    MatrixType gradient;  // dLoss/d(output), valid when gradient_set
    bool gradient_set = false;
    // Per-call buffers, kept so that a steady batch size allocates nothing.
    std::vector<const MatrixType*> input_pointers;
    std::vector<MatrixType*> gradient_pointers;
    std::vector<MatrixType> scratch;
    std::vector<char> add_scratch;

    Layer<Scalar>* layer() const { return node->layer.get(); }
  };

  std::vector<RuntimeNode> nodes_;
  std::vector<int> input_nodes_;
  int output_node_ = 0;
  bool last_forward_training_ = false;
};

}  // namespace detail
}  // namespace sinapse
