#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "sinapse/model/tensor.hpp"

namespace sinapse {
namespace detail {

/// The nodes of a functional graph in execution order, and its layers in Keras's
/// summary order.
template <typename Scalar>
struct GraphOrder {
  /// Producers before consumers (a depth-first post-order from the output).
  std::vector<std::shared_ptr<Node<Scalar>>> nodes;
  /// Each layer once, by decreasing depth (longest path to the output), ties in
  /// first-visit order, as Keras's `model.layers`.
  std::vector<std::shared_ptr<Layer<Scalar>>> layers;
};

/// Orders the graph that ends at `output` and checks it: the declared inputs must be
/// graph inputs, every graph input the output depends on must be declared, there must
/// be no cycle, and distinct layers must have distinct names.
/// @throws ValueError naming the offending layer or tensor.
template <typename Scalar>
GraphOrder<Scalar> order_graph(const std::vector<std::shared_ptr<Node<Scalar>>>& inputs,
                               const std::shared_ptr<Node<Scalar>>& output) {
  using NodePtr = std::shared_ptr<Node<Scalar>>;
  if (inputs.empty()) throw ValueError("Model: inputs must not be empty");
  std::set<const Node<Scalar>*> declared;
  for (const NodePtr& input : inputs) {
    if (!input) throw ValueError("Model: an input is an empty Tensor; pass the result of Input");
    if (input->layer->class_name() != "InputLayer") {
      throw ValueError(detail::concat("Model: input '", input->layer->name(),
                                      "' is the output of a ", input->layer->class_name(),
                                      " layer; model inputs must come from Input"));
    }
    if (!declared.insert(input.get()).second) {
      throw ValueError(detail::concat("Model: input '", input->layer->name(),
                                      "' is listed twice; list each input once"));
    }
  }
  if (!output) {
    throw ValueError("Model: the output is an empty Tensor; pass the result of a layer call");
  }

  GraphOrder<Scalar> order;
  std::map<const Node<Scalar>*, int> state;  // 1 while on the DFS stack, 2 when done
  std::vector<const Node<Scalar>*> visit_order;
  // Iterative DFS: graphs built in a loop can be deep enough to overflow the stack.
  struct Frame {
    NodePtr node;
    std::size_t next_input;
  };
  std::vector<Frame> stack{{output, 0}};
  state[output.get()] = 1;
  visit_order.push_back(output.get());
  while (!stack.empty()) {
    Frame& frame = stack.back();
    if (frame.next_input < frame.node->inbound.size()) {
      NodePtr producer = frame.node->inbound[frame.next_input++];
      const int producer_state = state[producer.get()];
      if (producer_state == 1) {
        throw ValueError(detail::concat("Model: the graph has a cycle through layer '",
                                        producer->layer->name(), "'"));
      }
      if (producer_state == 0) {
        state[producer.get()] = 1;
        visit_order.push_back(producer.get());
        stack.push_back({producer, 0});
      }
      continue;
    }
    state[frame.node.get()] = 2;
    order.nodes.push_back(frame.node);
    stack.pop_back();
  }

  for (const NodePtr& node : order.nodes) {
    if (node->layer->class_name() == "InputLayer" && declared.count(node.get()) == 0) {
      throw ValueError(detail::concat(
          "Model: graph disconnected: the output depends on input '", node->layer->name(),
          "', which is not among the model's inputs; add it to the inputs list"));
    }
  }
  // Depth, as Keras's map_graph computes it: the output is 0, a layer called several
  // times takes the greatest depth of its calls, and a producer is one deeper than the
  // deepest of its consumers.
  std::map<const Node<Scalar>*, int> depth;
  std::map<const Layer<Scalar>*, int> layer_depth;
  for (auto it = order.nodes.rbegin(); it != order.nodes.rend(); ++it) {
    const Layer<Scalar>* layer = (*it)->layer.get();
    const int node_depth = std::max(depth[it->get()], layer_depth[layer]);
    depth[it->get()] = node_depth;
    layer_depth[layer] = node_depth;
    for (const NodePtr& producer : (*it)->inbound) {
      depth[producer.get()] = std::max(depth[producer.get()], node_depth + 1);
    }
  }

  // Traversal rank for ties: first visit from the output. Declared inputs that the
  // output does not use still belong to the model (they take data in fit and predict);
  // Keras puts them at depth 0 ahead of every other layer, in declared order.
  std::map<const Layer<Scalar>*, long> first_visit;
  std::map<const Layer<Scalar>*, std::shared_ptr<Layer<Scalar>>> layer_of;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    const NodePtr& input = inputs[k];
    if (state[input.get()] != 0) continue;
    state[input.get()] = 2;
    order.nodes.insert(order.nodes.begin(), input);
    first_visit[input->layer.get()] = static_cast<long>(k) - static_cast<long>(inputs.size());
    layer_of[input->layer.get()] = input->layer;
    layer_depth[input->layer.get()] = 0;
  }
  std::map<std::string, const Layer<Scalar>*> by_name;
  for (const auto& entry : layer_of) by_name.emplace(entry.first->name(), entry.first);
  for (std::size_t i = 0; i < visit_order.size(); ++i) {
    const Node<Scalar>* node = visit_order[i];
    const Layer<Scalar>* layer = node->layer.get();
    auto named = by_name.emplace(layer->name(), layer);
    if (!named.second && named.first->second != layer) {
      throw ValueError(detail::concat("Model: the name \"", layer->name(),
                                      "\" is used by two different layers; layer names must be "
                                      "unique within a model"));
    }
    if (first_visit.emplace(layer, static_cast<long>(i)).second) layer_of[layer] = node->layer;
  }
  for (const auto& entry : layer_of) order.layers.push_back(entry.second);
  std::sort(order.layers.begin(), order.layers.end(),
            [&](const std::shared_ptr<Layer<Scalar>>& a, const std::shared_ptr<Layer<Scalar>>& b) {
              const int depth_a = layer_depth[a.get()];
              const int depth_b = layer_depth[b.get()];
              if (depth_a != depth_b) return depth_a > depth_b;
              return first_visit[a.get()] < first_visit[b.get()];
            });
  return order;
}

}  // namespace detail
}  // namespace sinapse
