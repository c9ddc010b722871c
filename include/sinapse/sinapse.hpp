#pragma once

// Umbrella header: includes every public sinapse header.
// clang-format off

#include "sinapse/version.hpp"

#include "sinapse/core/errors.hpp"
#include "sinapse/core/naming.hpp"
#include "sinapse/core/random.hpp"
#include "sinapse/core/threads.hpp"
#include "sinapse/core/types.hpp"

#include "sinapse/activations/activation_function.hpp"

#include "sinapse/callbacks/backup_and_restore.hpp"
#include "sinapse/callbacks/callback.hpp"
#include "sinapse/callbacks/model_checkpoint.hpp"
#include "sinapse/callbacks/terminate_on_nan.hpp"

#include "sinapse/data/csv.hpp"
#include "sinapse/data/standard_scaler.hpp"
#include "sinapse/data/train_test_split.hpp"

#include "sinapse/layers/activation.hpp"
#include "sinapse/layers/add.hpp"
#include "sinapse/layers/batch_normalization.hpp"
#include "sinapse/layers/concatenate.hpp"
#include "sinapse/layers/dense.hpp"
#include "sinapse/layers/dropout.hpp"
#include "sinapse/layers/input_layer.hpp"
#include "sinapse/layers/layer.hpp"

#include "sinapse/losses/binary_crossentropy.hpp"
#include "sinapse/losses/loss.hpp"

#include "sinapse/metrics/binary_accuracy.hpp"
#include "sinapse/metrics/metric.hpp"

#include "sinapse/optimizers/adam.hpp"
#include "sinapse/optimizers/optimizer.hpp"

#include "sinapse/model/compile_arguments.hpp"
#include "sinapse/model/fit_options.hpp"
#include "sinapse/model/graph.hpp"
#include "sinapse/model/graph_executor.hpp"
#include "sinapse/model/model.hpp"
#include "sinapse/model/progress_bar.hpp"
#include "sinapse/model/tensor.hpp"

#include "sinapse/saving/architecture.hpp"
#include "sinapse/saving/atomic_file.hpp"
#include "sinapse/saving/byte_io.hpp"
#include "sinapse/saving/compile_registry.hpp"
#include "sinapse/saving/crc32.hpp"
#include "sinapse/saving/error_context.hpp"
#include "sinapse/saving/file_document.hpp"
#include "sinapse/saving/file_errors.hpp"
#include "sinapse/saving/file_format.hpp"
#include "sinapse/saving/history_json.hpp"
#include "sinapse/saving/json_view.hpp"
#include "sinapse/saving/layer_registry.hpp"
#include "sinapse/saving/load_options.hpp"
#include "sinapse/saving/model_access.hpp"
#include "sinapse/saving/model_file.hpp"
#include "sinapse/saving/tensor_section.hpp"
#include "sinapse/saving/weight_manifest.hpp"
#include "sinapse/saving/weights_file.hpp"
// clang-format on
