#pragma once

#include <cmath>
#include <filesystem>
#include <iostream>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <system_error>

#include "sinapse/callbacks/callback.hpp"
#include "sinapse/detail/option.hpp"
#include "sinapse/detail/path_template.hpp"
#include "sinapse/model/model.hpp"
#include "sinapse/saving/file_errors.hpp"

namespace sinapse {

/// Settings of ModelCheckpoint, with Keras's defaults.
class ModelCheckpointOptions {
 public:
  /// Log entry that decides whether a model is the best so far, such as "val_loss".
  SINAPSE_OPTION(std::string, monitor) = "val_loss";
  /// 1 prints a line for every epoch's decision; 0 prints nothing.
  SINAPSE_OPTION(int, verbose) = 0;
  /// Save only when the monitored value improves on the best seen so far.
  SINAPSE_OPTION(bool, save_best_only) = false;
  /// Save with `save_weights` instead of `save`.
  SINAPSE_OPTION(bool, save_weights_only) = false;
  /// "min", "max", or "auto": "max" when the monitored name contains "acc", else "min".
  SINAPSE_OPTION(std::string, mode) = "auto";
  /// A value the monitored one must beat before the first save with save_best_only.
  SINAPSE_OPTION(std::optional<double>, initial_value_threshold);
  /// Stream for the verbose lines; null means std::cout.
  SINAPSE_OPTION(std::ostream*, output) = nullptr;
};

/// Saves the model at the end of every epoch, or only when a monitored value improves,
/// as Keras's ModelCheckpoint with save_freq="epoch".
///
/// `filepath` may contain fields that Python's str.format would fill, such as
/// "checkpoints/model-{epoch:02d}-{val_loss:.4f}.sinapse"; {epoch} counts from 1, as in
/// Keras. Missing parent folders are created before a save, as Keras does. Each save is
/// atomic, so an interrupted save leaves the previous file whole.
/// With save_best_only, an epoch whose logs lack the monitored value is skipped with a
/// warning, and a NaN never counts as an improvement.
template <typename Scalar>
class ModelCheckpoint : public Callback<Scalar> {
 public:
  /// @throws ValueError for a malformed filepath, an unknown mode, a negative verbose or a
  /// NaN initial_value_threshold.
  explicit ModelCheckpoint(const std::string& filepath,
                           const ModelCheckpointOptions& options = ModelCheckpointOptions())
      : path_(filepath), options_(options), maximize_(checked_mode(options)) {
    if (filepath.empty()) throw ValueError("ModelCheckpoint: filepath is empty; pass a file path");
    if (options.verbose() < 0) {
      throw ValueError(
          detail::concat("ModelCheckpoint: verbose must be 0 or 1, got ", options.verbose()));
    }
    // No value improves on NaN, so such a threshold would silently prevent every save.
    const std::optional<double>& threshold = options.initial_value_threshold();
    if (threshold && std::isnan(*threshold)) {
      throw ValueError(
          "ModelCheckpoint: initial_value_threshold is NaN, which no monitored value can beat, "
          "so nothing would ever be saved; pass a number, or leave it unset to save the first "
          "value");
    }
    reset_best();
  }

  void on_epoch_end(int epoch, const Logs& logs) override {
    const std::string path = path_.format(epoch + 1, logs);
    std::ostream& out = options_.output() != nullptr ? *options_.output() : std::cout;
    const bool talk = options_.verbose() > 0;
    if (!options_.save_best_only()) {
      if (talk) out << "\nEpoch " << epoch + 1 << ": saving model to " << path << '\n';
      save(path);
      return;
    }
    const auto found = logs.find(options_.monitor());
    if (found == logs.end()) {
      out << "ModelCheckpoint: can save the best model only with " << options_.monitor()
          << " available, skipping epoch " << epoch + 1 << '\n';
      return;
    }
    const double current = found->second;
    if (improves(current)) {
      if (talk) {
        out << "\nEpoch " << epoch + 1 << ": " << options_.monitor() << " improved from "
            << fixed5(best_) << " to " << fixed5(current) << ", saving model to " << path << '\n';
      }
      save(path);
      best_ = current;
    } else if (talk) {
      out << "\nEpoch " << epoch + 1 << ": " << options_.monitor() << " did not improve from "
          << fixed5(best_) << '\n';
    }
  }

  /// The best monitored value seen since construction (or the threshold, or +/-inf).
  double best() const { return best_; }

  /// Forgets the best value, for a checkpoint reused across unrelated runs. Keras keeps
  /// the best across fit calls too, so a resumed run saves only on real improvement.
  void reset_best() {
    const double worst = maximize_ ? -std::numeric_limits<double>::infinity()
                                   : std::numeric_limits<double>::infinity();
    best_ = options_.initial_value_threshold().value_or(worst);
  }

 private:
  static bool checked_mode(const ModelCheckpointOptions& options) {
    const std::string& mode = options.mode();
    if (mode == "max") return true;
    if (mode == "min") return false;
    if (mode == "auto") return options.monitor().find("acc") != std::string::npos;
    throw ValueError(detail::concat("ModelCheckpoint: mode must be \"auto\", \"min\" or \"max\", got \"",
                                    mode, "\""));
  }

  bool improves(double current) const {
    if (std::isnan(current)) return false;
    return maximize_ ? current > best_ : current < best_;
  }

  void save(const std::string& path) {
    create_parent_folders(path);
    if (options_.save_weights_only()) {
      this->model().save_weights(path);
    } else {
      this->model().save(path);
    }
  }

  /// @throws IOError when a missing parent folder of `path` cannot be created.
  static void create_parent_folders(const std::string& path) {
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (parent.empty()) return;
    std::error_code error;
    std::filesystem::create_directories(parent, error);
    if (error) {
      throw IOError(detail::concat("ModelCheckpoint: cannot create the folder \"",
                                   parent.string(), "\" for \"", path, "\": ", error.message(),
                                   "; pass a filepath in a folder that can be written"));
    }
  }

  static std::string fixed5(double value) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.5f", value);
    return buffer;
  }

  detail::PathTemplate path_;
  ModelCheckpointOptions options_;
  bool maximize_;
  double best_ = 0.0;
};

}  // namespace sinapse
