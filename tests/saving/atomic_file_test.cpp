// Tests of atomic file replacement: a write replaces the file completely, and a write
// that fails part-way (an exception from the sink after N bytes, for every N) or a process
// that dies part-way leaves the previous file byte-identical.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include <sinapse/sinapse.hpp>

#include "support/catch.hpp"
#include "support/exception_message.hpp"
#include "support/model_file_seeds.hpp"

namespace {

using sinapse::detail::ByteSink;

/// A fresh folder under the system's temporary folder, removed with its contents.
class ScratchFolder {
 public:
  ScratchFolder() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "sinapse_atomic_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~ScratchFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;

  std::string file(const std::string& name) const { return path_ + "/" + name; }

  /// Names of the entries in the folder, sorted.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(path_)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  std::string path_;
};

std::string read_all(const std::string& path) {
  std::ifstream stream(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
}

void write_plain(const std::string& path, const std::string& contents) {
  std::ofstream stream(path, std::ios::binary | std::ios::trunc);
  stream << contents;
}

/// Forwards bytes to the file until `limit` bytes have passed, then throws.
class FailingSink : public ByteSink {
 public:
  FailingSink(ByteSink& file, std::size_t limit) : file_(file), limit_(limit) {}

  void write(const char* data, std::size_t size) override {
    const std::size_t allowed = std::min(size, limit_ - written_);
    if (allowed > 0) file_.write(data, allowed);
    written_ += allowed;
    if (allowed < size) throw std::runtime_error("injected write failure");
  }

 private:
  ByteSink& file_;
  std::size_t limit_;
  std::size_t written_ = 0;
};

/// Forwards bytes to the file until `limit` bytes have passed, then ends the process as a
/// crash would: no destructor and no exception handler runs.
class DyingSink : public ByteSink {
 public:
  DyingSink(ByteSink& file, std::size_t limit) : file_(file), limit_(limit) {}

  void write(const char* data, std::size_t size) override {
    const std::size_t allowed = std::min(size, limit_);
    if (allowed > 0) file_.write(data, allowed);
    if (allowed < size) ::_exit(3);
  }

 private:
  ByteSink& file_;
  std::size_t limit_;
};

sinapse::detail::SinkWrapper fail_after(std::size_t limit) {
  return [limit](ByteSink& file) { return std::make_unique<FailingSink>(file, limit); };
}

}  // namespace

TEST_CASE("atomic write creates then replaces", "[saving][atomic_file]") {
  ScratchFolder folder;
  const std::string path = folder.file("model.sinapse");
  sinapse::detail::write_file_atomically(path, "first", "test");
  CHECK(read_all(path) == "first");
  sinapse::detail::write_file_atomically(path, "second, longer", "test");
  CHECK(read_all(path) == "second, longer");
  sinapse::detail::write_file_atomically(path, "", "test");
  CHECK(read_all(path).empty());
  CHECK(folder.entries() == std::vector<std::string>{"model.sinapse"});
}

TEST_CASE("failed model save keeps old file", "[saving][atomic_file]") {
  ScratchFolder folder;
  const std::string path = folder.file("model.sinapse");
  const auto seeds = test_support::model_file_seeds();
  const std::string old_contents = seeds[0].second;
  write_plain(path, old_contents);

  sinapse::set_random_seed(3);
  auto input = sinapse::Input<double>(5);
  sinapse::Model<double> model(input, sinapse::Dense<double>(2, "tanh")(input));
  const std::string new_contents = sinapse::detail::save_model_to_bytes(model);
  REQUIRE(new_contents.size() > 100);

  int intact = 0;
  int clean = 0;
  int thrown = 0;
  for (std::size_t limit = 0; limit < new_contents.size(); ++limit) {
    try {
      sinapse::detail::save_model_file(model, path, nullptr, fail_after(limit));
    } catch (const std::runtime_error& error) {
      if (std::string(error.what()) == "injected write failure") ++thrown;
    }
    if (read_all(path) == old_contents) ++intact;
    if (folder.entries() == std::vector<std::string>{"model.sinapse"}) ++clean;
  }
  const int attempts = static_cast<int>(new_contents.size());
  CHECK(thrown == attempts);
  CHECK(intact == attempts);
  CHECK(clean == attempts);

  // With no failure the same call replaces the file.
  sinapse::detail::save_model_file(model, path, nullptr, fail_after(new_contents.size()));
  CHECK(read_all(path) == new_contents);
}

TEST_CASE("failed write to new path leaves nothing", "[saving][atomic_file]") {
  ScratchFolder folder;
  const std::string path = folder.file("fresh.sinapse");
  for (std::size_t limit : {std::size_t{0}, std::size_t{1}, std::size_t{7}}) {
    CHECK_THROWS_AS(
        sinapse::detail::write_file_atomically(path, "0123456789", "test", fail_after(limit)),
        std::runtime_error);
  }
  CHECK(folder.entries().empty());
}

TEST_CASE("crash during write keeps old file", "[saving][atomic_file]") {
  ScratchFolder folder;
  const std::string path = folder.file("model.sinapse");
  const std::string old_contents = "old model file";
  const std::string new_contents(4096, 'n');
  for (std::size_t limit : {std::size_t{0}, std::size_t{1}, std::size_t{2048}, std::size_t{4095}}) {
    write_plain(path, old_contents);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      sinapse::detail::write_file_atomically(path, new_contents, "test", [limit](ByteSink& file) {
        return std::make_unique<DyingSink>(file, limit);
      });
      ::_exit(0);  // not reached: the sink ends the process first
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    INFO("crash after " << limit << " bytes");
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 3);
    CHECK(read_all(path) == old_contents);
    // A crash cannot remove its temporary file; later saves must still work.
    for (const std::string& name : folder.entries()) {
      if (name != "model.sinapse") std::filesystem::remove(folder.file(name));
    }
  }
  sinapse::detail::write_file_atomically(path, new_contents, "test");
  CHECK(read_all(path) == new_contents);
}

TEST_CASE("atomic write keeps permission bits", "[saving][atomic_file]") {
  ScratchFolder folder;
  const std::string path = folder.file("private.sinapse");
  write_plain(path, "old");
  REQUIRE(::chmod(path.c_str(), 0600) == 0);
  sinapse::detail::write_file_atomically(path, "new", "test");
  struct stat status {};
  REQUIRE(::stat(path.c_str(), &status) == 0);
  CHECK((status.st_mode & 0777) == 0600);
}

TEST_CASE("atomic write into missing folder", "[saving][atomic_file]") {
  ScratchFolder folder;
  const std::string path = folder.file("missing/model.sinapse");
  const std::string message = test_support::message_of<sinapse::IOError>(
      [&] { sinapse::detail::write_file_atomically(path, "bytes", "save"); });
  CHECK(test_support::contains(message, "save: cannot create a temporary file next to"));
  CHECK(test_support::contains(message, "No such file or directory"));
}

TEST_CASE("read_file rejects missing and folders", "[saving][atomic_file]") {
  ScratchFolder folder;
  const std::string missing = test_support::message_of<sinapse::IOError>(
      [&] { sinapse::detail::read_file(folder.file("none.sinapse"), "load_model"); });
  CHECK(test_support::contains(missing, "load_model: cannot open"));
  CHECK(test_support::contains(missing, "No such file or directory"));
  const std::string not_regular = test_support::message_of<sinapse::IOError>(
      [&] { sinapse::detail::read_file(folder.file(""), "load_model"); });
  CHECK(test_support::contains(not_regular, "is not a regular file"));
}

TEST_CASE("model save and load through files", "[saving][atomic_file]") {
  ScratchFolder folder;
  const std::string path = folder.file("model.sinapse");
  sinapse::set_random_seed(8);
  auto input = sinapse::Input<float>(3);
  sinapse::Model<float> model(input, sinapse::Dense<float>(2, "relu")(input));
  model.save(path);
  CHECK(read_all(path) == sinapse::detail::save_model_to_bytes(model));
  const sinapse::Model<float> loaded = sinapse::load_model<float>(path);
  CHECK(loaded.get_weights() == model.get_weights());
  const std::string message = test_support::message_of<sinapse::IOError>(
      [&] { sinapse::load_model<float>(folder.file("other.sinapse")); });
  CHECK(test_support::contains(message, "load_model: cannot open"));
}
