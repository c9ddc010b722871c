#pragma once

#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "sinapse/callbacks/callback.hpp"
#include "sinapse/detail/option.hpp"
#include "sinapse/model/model.hpp"
#include "sinapse/saving/file_errors.hpp"
#include "sinapse/saving/json_view.hpp"
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
/// the same architecture as the saved one (for example, built by the same code). The
/// resumed fit must validate as the saved one did and log the same metrics. The model's
/// weights and optimizer state are replaced. A backup that cannot be restored makes fit
/// throw before anything changes.
/// The backup is written atomically, so a crash during a save leaves the previous epoch's
/// backup whole.
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

  /// @throws IOError, FileFormatError or ValueError, changing nothing, for a backup that
  /// cannot be read, is damaged, or was made by another model or by a fit with other
  /// validation or metrics.
  void on_train_begin(const Logs&) override {
    restored_ = false;
    history_ = History();
    if (!backup_exists()) return;
    Model<Scalar>& model = this->model();
    // Everything is loaded and checked first; the model changes only after all succeeded.
    std::optional<detail::PreparedModelState<Scalar>> prepared;
    History history;
    with_restore_context([&] {
      prepared.emplace(detail::prepare_model_state(model, backup_path()));
      history = history_from_json(prepared->training, prepared->saved.completed_epochs());
    });
    if (model.fit_log_keys_) check_log_keys(history, *model.fit_log_keys_);
    detail::apply_model_state(model, *prepared);
    history_ = std::move(history);
    model.resume_ = typename Model<Scalar>::ResumePoint{model.completed_epochs(), history_};
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
  /// True when the backup file exists.
  /// @throws IOError when its status cannot be read, such as for a too long path.
  bool backup_exists() const {
    std::error_code error;
    const std::filesystem::file_status status = std::filesystem::status(backup_path(), error);
    // A missing file or folder sets `error` too, so the type distinguishes it from a failure.
    if (status.type() == std::filesystem::file_type::not_found) return false;
    if (error) {
      throw IOError(detail::concat("BackupAndRestore: cannot read the status of \"",
                                   backup_path(), "\": ", error.message(),
                                   "; pass a backup_dir that can be read and written"));
    }
    return true;
  }

  /// Runs `function` and adds the backup's path and what to do to the message of any
  /// error, keeping the error's type.
  template <typename Function>
  void with_restore_context(Function&& function) const {
    try {
      function();
    } catch (const FileFormatError& error) {
      throw FileFormatError(restore_context(error.what()));
    } catch (const ShapeError& error) {
      throw ShapeError(restore_context(error.what()));
    } catch (const ValueError& error) {
      throw ValueError(restore_context(error.what()));
    } catch (const StateError& error) {
      throw StateError(restore_context(error.what()));
    } catch (const IOError& error) {
      throw IOError(restore_context(error.what()));
    } catch (const nlohmann::json::exception& error) {
      throw FileFormatError(
          restore_context(detail::concat("unexpected JSON error: ", error.what())));
    }
  }

  std::string restore_context(const std::string& problem) const {
    return detail::concat("BackupAndRestore: the backup \"", backup_path(),
                          "\" cannot be restored: ", problem, "; delete \"", backup_path(),
                          "\" to start afresh");
  }

  /// Throws ValueError unless the backup's History has the keys that this fit logs. Other
  /// keys would leave the History's lists of unequal length.
  void check_log_keys(const History& history, const std::vector<std::string>& fit_keys) const {
    std::vector<std::string> keys;
    for (const auto& entry : history.history) keys.push_back(entry.first);  // sorted by map
    if (keys == fit_keys) return;
    throw ValueError(detail::concat(
        "BackupAndRestore: the backup \"", backup_path(), "\" was made by a fit that logged ",
        describe_keys(keys), ", but this fit logs ", describe_keys(fit_keys),
        "; pass the same validation_data or validation_split and compile the same metrics, or "
        "delete \"", backup_path(), "\" to start afresh"));
  }

  static std::string describe_keys(const std::vector<std::string>& keys) {
    std::string text;
    bool validation = false;
    for (const std::string& key : keys) {
      text += (text.empty() ? "" : ", ") + key;
      validation = validation || key.compare(0, 4, "val_") == 0;
    }
    return text + (validation ? " (with validation data)" : " (without validation data)");
  }

  // The History is kept as {"epoch": [0, 1], "history": {"loss": [...], ...}}. The JSON
  // library writes the shortest text that reads back to the same double, so values
  // round-trip bit for bit.
  static detail::Json history_to_json(const History& history) {
    detail::Json json = detail::Json::object();
    json["epoch"] = history.epoch;
    json["history"] = history.history;
    return json;
  }

  /// Reads the History of a backup whose model state has completed `completed_epochs`.
  /// The epochs must be consecutive and end at completed_epochs - 1; they start above 0
  /// when the first fit had an initial_epoch. Each entry has one value per epoch.
  /// @throws FileFormatError for a missing record, a wrong type or an inconsistent History.
  static History history_from_json(const detail::Json& json, int completed_epochs) {
    if (json.is_null()) {
      throw FileFormatError(
          "the file has no training record, so BackupAndRestore did not write it (model.save "
          "writes such files)");
    }
    const detail::JsonView record(json, "training");
    record.require_keys({"epoch", "history"});
    History history;
    const detail::JsonView epochs = record["epoch"];
    const std::size_t count = epochs.size();
    if (count == 0) epochs.fail("the History lists no epoch, but a backup follows one");
    for (std::size_t i = 0; i < count; ++i) {
      const long long epoch = epochs[i].as_integer(0, detail::max_completed_epochs - 1);
      if (i > 0 && epoch != history.epoch.back() + 1) {
        epochs[i].fail(detail::concat("expected epoch ", history.epoch.back() + 1, " after ",
                                      history.epoch.back(), ", got ", epoch));
      }
      history.epoch.push_back(static_cast<int>(epoch));
    }
    if (history.epoch.back() != completed_epochs - 1) {
      epochs.fail(detail::concat("the History ends at epoch ", history.epoch.back(),
                                 ", but the model state has completed ", completed_epochs,
                                 " epochs, so the last epoch must be ", completed_epochs - 1));
    }
    const detail::JsonView values = record["history"];
    values.require_object();
    if (!values.has("loss")) values.fail("the key \"loss\" is missing");
    for (const auto& item : values.json().items()) {
      const detail::JsonView list = values[item.key()];
      list.require_size(count);
      std::vector<double>& column = history.history[item.key()];
      for (std::size_t i = 0; i < count; ++i) {
        // JSON has no NaN, so the library writes a NaN metric as null.
        column.push_back(list[i].is_null() ? std::numeric_limits<double>::quiet_NaN()
                                           : list[i].as_double());
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
