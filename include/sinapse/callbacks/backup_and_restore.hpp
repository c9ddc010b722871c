#pragma once

#include <filesystem>
#include <limits>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "sinapse/callbacks/callback.hpp"
#include "sinapse/detail/option.hpp"
#include "sinapse/model/model.hpp"
#include "sinapse/saving/file_errors.hpp"
#include "sinapse/saving/model_file.hpp"

namespace sinapse {

/// Settings of BackupAndRestore, with Keras's defaults.
class BackupAndRestoreOptions {
 public:
  /// Remove the backup when fit finishes, so that the next fit starts afresh.
  SINAPSE_OPTION(bool, delete_checkpoint) = true;
};

/// Makes an interrupted `fit` resumable, as Keras's BackupAndRestore. At the end of every
/// epoch it saves the whole training state to one file in `backup_dir`: weights, optimizer
/// moments, generators, the epoch and the History so far. When `fit` starts and that
/// file exists, it restores the state and `fit` continues with the next epoch.
///
/// The resumed run gives bit-identically the weights and the History of a run that never
/// stopped, also with shuffling and dropout. The model given to the resumed fit must have
/// the same layers and weight shapes as the saved one (for example, built by the same
/// code); its weights and optimizer state are replaced. The backup is written atomically,
/// so a crash during a save leaves the previous epoch's backup whole.
template <typename Scalar>
class BackupAndRestore : public Callback<Scalar> {
 public:
  /// @throws ValueError for an empty backup_dir.
  explicit BackupAndRestore(const std::string& backup_dir,
                            const BackupAndRestoreOptions& options = BackupAndRestoreOptions())
      : directory_(backup_dir), options_(options) {
    if (backup_dir.empty()) {
      throw ValueError("BackupAndRestore: backup_dir is empty; pass a folder for the backup file");
    }
  }

  /// Path of the backup file: backup_dir/latest.sinapse.
  std::string backup_path() const { return (directory_ / "latest.sinapse").string(); }

  /// True when the last on_train_begin restored a backup.
  bool restored() const { return restored_; }

  void on_train_begin(const Logs&) override {
    restored_ = false;
    history_ = History();
    if (!std::filesystem::exists(backup_path())) return;
    detail::Json training;
    detail::restore_model_state(this->model(), backup_path(), &training);
    history_ = history_from_json(training);
    this->model().resume_ =
        typename Model<Scalar>::ResumePoint{this->model().completed_epochs(), history_};
    restored_ = true;
  }

  void on_epoch_end(int epoch, const Logs& logs) override {
    for (const auto& entry : logs) history_.history[entry.first].push_back(entry.second);
    history_.epoch.push_back(epoch);
    std::error_code error;
    std::filesystem::create_directories(directory_, error);
    if (error) {
      throw IOError(detail::concat("BackupAndRestore: cannot create the folder \"",
                                   directory_.string(), "\": ", error.message(),
                                   "; pass a backup_dir that can be written"));
    }
    const detail::Json training = history_to_json(history_);
    detail::save_model_file(this->model(), backup_path(), &training);
  }

  void on_train_end(const Logs&) override {
    if (!options_.delete_checkpoint()) return;
    std::error_code ignored;
    std::filesystem::remove(backup_path(), ignored);
  }

 private:
  // The History is kept as {"epoch": [0, 1], "history": {"loss": [...], ...}}. The JSON
  // library writes the shortest text that reads back to the same double, so values
  // round-trip bit for bit.
  static detail::Json history_to_json(const History& history) {
    detail::Json json = detail::Json::object();
    json["epoch"] = history.epoch;
    json["history"] = history.history;
    return json;
  }

  History history_from_json(const detail::Json& json) const {
    History history;
    const auto fail = [&](const char* problem) {
      throw FileFormatError(detail::concat("BackupAndRestore: \"", backup_path(), "\": ",
                                           problem, "; delete the backup to start afresh"));
    };
    if (!json.is_object() || !json.contains("epoch") || !json.contains("history")) {
      fail("the training record has no History");
    }
    const detail::Json& epochs = json["epoch"];
    const detail::Json& values = json["history"];
    if (!epochs.is_array() || !values.is_object()) fail("the History has the wrong JSON types");
    for (const detail::Json& epoch : epochs) {
      if (!epoch.is_number_integer()) fail("an epoch of the History is not an integer");
      history.epoch.push_back(epoch.get<int>());
    }
    for (auto entry = values.begin(); entry != values.end(); ++entry) {
      if (!entry.value().is_array() || entry.value().size() != history.epoch.size()) {
        fail("a History entry does not have one value per epoch");
      }
      std::vector<double>& column = history.history[entry.key()];
      for (const detail::Json& value : entry.value()) {
        // JSON has no NaN, so the library writes a NaN metric as null.
        if (value.is_null()) {
          column.push_back(std::numeric_limits<double>::quiet_NaN());
          continue;
        }
        if (!value.is_number()) fail("a History value is not a number");
        column.push_back(value.get<double>());
      }
    }
    return history;
  }

  std::filesystem::path directory_;
  BackupAndRestoreOptions options_;
  History history_;
  bool restored_ = false;
};

}  // namespace sinapse
