// Tests of Tensor on its own, without a Model: the accessors of an empty Tensor, and the
// release of very deep chains of graph nodes.
#include <memory>
#include <string>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "support/catch.hpp"

namespace {

using namespace sinapse;

using Catch::Matchers::ContainsSubstring;

// Releasing a chain recursively, one stack frame per node, overflows an 8 MB stack at
// this depth.
constexpr int deep = 200000;

}  // namespace

TEST_CASE("empty Tensor accessors throw StateError", "[core][tensor]") {
  const Tensor<float> empty;
  CHECK_FALSE(empty.defined());
  CHECK(empty.node() == nullptr);

  CHECK_THROWS_AS(empty.width(), StateError);
  CHECK_THROWS_WITH(empty.width(),
                    ContainsSubstring("empty") &&
                        ContainsSubstring("use the result of Input or of a layer call"));
  CHECK_THROWS_AS(empty.shape_string(), StateError);
  CHECK_THROWS_AS(empty.layer_name(), StateError);

  const Tensor<float> input = Input<float>(3);
  CHECK(input.width() == 3);
  CHECK(input.shape_string() == "(None, 3)");
}

TEST_CASE("deep Tensor chain is released", "[core][tensor]") {
  Tensor<float> hidden = Input<float>(2);
  for (int i = 0; i < deep; ++i) hidden = Activation<float>("linear")(hidden);
  CHECK(hidden.width() == 2);
  std::weak_ptr<detail::Node<float>> last = hidden.node();
  hidden = Tensor<float>();
  CHECK(last.expired());
}

TEST_CASE("deep branching Tensor graph is released", "[core][tensor]") {
  // Each level feeds one tensor to two layers and adds their outputs, so every node but
  // the first has a producer that another node also references.
  Tensor<float> hidden = Input<float>(2);
  for (int i = 0; i < deep; ++i) {
    const Tensor<float> left = Activation<float>("linear")(hidden);
    const Tensor<float> right = Activation<float>("linear")(hidden);
    hidden = Add<float>()({left, right});
  }
  CHECK(hidden.width() == 2);
  std::weak_ptr<detail::Node<float>> last = hidden.node();
  hidden = Tensor<float>();
  CHECK(last.expired());
}

TEST_CASE("deep chain release keeps referenced tensors", "[core][tensor]") {
  // Releasing the chain must stop at a node that a Tensor still references, and leave
  // that node's own producers linked.
  const Tensor<float> input = Input<float>(2);
  Tensor<float> hidden = input;
  Tensor<float> retained;
  const int retained_depth = 10;
  for (int i = 1; i <= deep; ++i) {
    hidden = Activation<float>("linear")(hidden);
    if (i == retained_depth) retained = hidden;
  }
  hidden = Tensor<float>();

  REQUIRE(retained.defined());
  int depth = 0;
  const detail::Node<float>* node = retained.node().get();
  while (!node->inbound.empty()) {
    REQUIRE(node->inbound.size() == 1);
    node = node->inbound[0].get();
    ++depth;
  }
  CHECK(depth == retained_depth);
  CHECK(node == input.node().get());
  CHECK(Activation<float>("linear")(retained).width() == 2);
}
