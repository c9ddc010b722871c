#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sinapse/layers/layer.hpp"

namespace sinapse {

namespace detail {

/// One call of a layer in the functional graph: the layer, the nodes whose outputs it
/// consumed, and its place among the layer's calls. Nodes hold their producers, so a
/// tensor keeps its whole history alive.
template <typename Scalar>
struct Node {
  std::shared_ptr<Layer<Scalar>> layer;
  std::vector<std::shared_ptr<Node>> inbound;
  int node_index = 0;

  Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Releasing a long chain recursively would overflow the stack (each node owns its
  // producers), so producers that would die with this node are taken apart in a loop.
  ~Node() {
    std::vector<std::shared_ptr<Node>> pending = std::move(inbound);
    while (!pending.empty()) {
      std::shared_ptr<Node> node = std::move(pending.back());
      pending.pop_back();
      if (node && node.use_count() == 1) {
        for (auto& producer : node->inbound) pending.push_back(std::move(producer));
        node->inbound.clear();
      }
    }
  }
};

}  // namespace detail

/// Symbolic output of a layer call, of shape (None, width), as Keras's KerasTensor.
/// It is cheap to copy; copies refer to the same graph node.
template <typename Scalar>
class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<detail::Node<Scalar>> node) : node_(std::move(node)) {}

  /// Number of features per sample.
  /// @throws StateError for a default-constructed Tensor, as do the other accessors.
  Index width() const { return checked_node().layer->output_width(); }

  /// Keras's shape text, "(None, width)".
  std::string shape_string() const { return "(None, " + std::to_string(width()) + ")"; }

  /// Name of the layer that produced this tensor.
  const std::string& layer_name() const { return checked_node().layer->name(); }

  bool defined() const { return node_ != nullptr; }
  const std::shared_ptr<detail::Node<Scalar>>& node() const { return node_; }

 private:
  const detail::Node<Scalar>& checked_node() const {
    if (!node_) {
      throw StateError("Tensor: this Tensor is empty; use the result of Input or of a layer call");
    }
    return *node_;
  }

  std::shared_ptr<detail::Node<Scalar>> node_;
};

/// Shared-ownership handle to a layer, the public face of every layer type. Calling it on
/// tensors records a graph node; copies of a handle refer to the same layer, so calling a
/// copy shares the weights. The layer lives as long as a handle or a graph node uses it.
template <typename Scalar, typename LayerType>
class LayerHandle {
 public:
  /// Calls a single-input layer on a tensor.
  /// @throws ValueError for a merge layer, which takes a list.
  Tensor<Scalar> operator()(const Tensor<Scalar>& input) const {
    if (layer_->is_merge()) {
      throw ValueError(detail::concat(
          layer_->class_name(), " '", layer_->name(),
          "' was called on a single tensor; pass a list such as {a, b}. A one-element braced "
          "list {a} also reads as a single tensor in C++: write std::vector<Tensor<Scalar>>{a}"));
    }
    return call({input});
  }

  /// Calls a layer on a list of tensors (merge layers such as Add and Concatenate).
  Tensor<Scalar> operator()(const std::vector<Tensor<Scalar>>& inputs) const {
    return call(inputs);
  }

  LayerType* operator->() const { return layer_.get(); }
  LayerType& operator*() const { return *layer_; }
  const std::shared_ptr<LayerType>& ptr() const { return layer_; }

 protected:
  explicit LayerHandle(std::shared_ptr<LayerType> layer) : layer_(std::move(layer)) {}

 private:
  Tensor<Scalar> call(const std::vector<Tensor<Scalar>>& inputs) const {
    std::vector<Index> widths;
    auto node = std::make_shared<detail::Node<Scalar>>();
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (!inputs[i].defined()) {
        throw ValueError(detail::concat(layer_->class_name(), " '", layer_->name(), "': input ", i,
                                        " is an empty Tensor; pass the result of Input or of "
                                        "a layer call"));
      }
      widths.push_back(inputs[i].width());
      node->inbound.push_back(inputs[i].node());
    }
    layer_->build_for(widths);
    node->layer = layer_;
    node->node_index = layer_->add_node();
    return Tensor<Scalar>(std::move(node));
  }

  std::shared_ptr<LayerType> layer_;
};

}  // namespace sinapse
