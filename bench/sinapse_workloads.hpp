#pragma once

// The benchmark's networks built with sinapse's public API, as a user would write them.

#include <cstdint>

#include <sinapse/sinapse.hpp>

#include "workloads.hpp"

namespace sinapse_bench {

/// Builds and compiles the network with Adam, binary cross-entropy and accuracy.
template <typename Scalar>
sinapse::Model<Scalar> make_sinapse_model(const Network& network, std::uint64_t seed) {
  sinapse::set_random_seed(seed);
  auto inputs = sinapse::Input<Scalar>(network.inputs);
  sinapse::Tensor<Scalar> hidden = inputs;
  for (const HiddenBlock& block : network.hidden) {
    hidden = sinapse::Dense<Scalar>(block.units, activation_name(block.activation))(hidden);
    if (block.dropout_rate > 0.0) hidden = sinapse::Dropout<Scalar>(block.dropout_rate)(hidden);
    if (block.batch_norm) hidden = sinapse::BatchNormalization<Scalar>()(hidden);
  }
  auto outputs = sinapse::Dense<Scalar>(1, "sigmoid")(hidden);
  sinapse::Model<Scalar> model(inputs, outputs);
  model.compile("adam", "binary_crossentropy", {"accuracy"});
  return model;
}

}  // namespace sinapse_bench
