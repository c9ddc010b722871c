// Tests of atomic file replacement: a write replaces the file completely, and a write
// that fails part-way (an exception from the sink after N bytes, for every N) or a process
// that dies part-way leaves the previous file byte-identical. Also the paths that reads
// and writes accept: symbolic links are followed, FIFOs, folders and paths with a NUL byte
// or a trailing "/" are rejected, and long file names work.
#include <algorithm>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>
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

namespace {

/// Builds a small compiled model for the path tests.
sinapse::Model<double> small_model() {
  sinapse::set_random_seed(5);
  auto input = sinapse::Input<double>(3);
  sinapse::Model<double> model(input, sinapse::Dense<double>(2)(input));
  model.compile("adam", "binary_crossentropy");
  return model;
}

/// Returns the bytes that the process has passed to read() so far ("rchar" in
/// /proc/self/io), or -1 where the system does not report it.
long long bytes_read_by_process() {
  std::ifstream stream("/proc/self/io");
  std::string key;
  long long value = 0;
  while (stream >> key >> value) {
    if (key == "rchar:") return value;
  }
  return -1;
}

bool is_fifo(const std::string& path) {
  struct stat status {};
  return ::lstat(path.c_str(), &status) == 0 && S_ISFIFO(status.st_mode);
}

bool is_symlink(const std::string& path) {
  struct stat status {};
  return ::lstat(path.c_str(), &status) == 0 && S_ISLNK(status.st_mode);
}

}  // namespace

TEST_CASE("loading a FIFO fails without waiting", "[saving][atomic_file]") {
  ScratchFolder folder;
  const std::string path = folder.file("pipe.sinapse");
  REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
  const std::string read_message = test_support::message_of<sinapse::IOError>(
      [&] { sinapse::detail::read_file(path, "load_model"); });
  CHECK(test_support::contains(read_message, "is not a regular file"));
  const std::string model_message =
      test_support::message_of<sinapse::IOError>([&] { sinapse::load_model<double>(path); });
  CHECK(
      test_support::contains(model_message, "load_model: \"" + path + "\" is not a regular file"));
  sinapse::Model<double> model = small_model();
  const std::string weights_message =
      test_support::message_of<sinapse::IOError>([&] { model.load_weights(path); });
  CHECK(test_support::contains(weights_message, "load_weights: \"" + path + "\""));
  CHECK(is_fifo(path));
}

TEST_CASE("large file is rejected by its magic", "[saving][atomic_file]") {
  ScratchFolder folder;
  const std::string path = folder.file("zeros.bin");
  const long long size = 64LL << 20;
  {
    const int descriptor = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(descriptor >= 0);
    REQUIRE(::ftruncate(descriptor, size) == 0);  // sparse: no disk blocks are used
    ::close(descriptor);
  }
  const long long before = bytes_read_by_process();
  const std::string message = test_support::message_of<sinapse::FileFormatError>(
      [&] { sinapse::load_model<double>(path); });
  const long long after = bytes_read_by_process();
  CHECK(test_support::contains(message, "load_model: \"" + path +
                                            "\": the file does not start "
                                            "with the sinapse magic bytes"));
  sinapse::Model<double> model = small_model();
  const std::string weights_message =
      test_support::message_of<sinapse::FileFormatError>([&] { model.load_weights(path); });
  CHECK(test_support::contains(weights_message, "load_weights: \"" + path +
                                                    "\": the file does "
                                                    "not start with the sinapse magic bytes"));
  if (before < 0 || after < 0) {
    WARN("/proc/self/io is not readable here, so the amount read is not checked");
  } else {
    INFO("bytes read: " << after - before);
    CHECK(after - before < (1LL << 20));
  }
}

TEST_CASE("paths with a NUL byte are rejected", "[saving][atomic_file]") {
  ScratchFolder folder;
  std::string path = folder.file("first");
  path += '\0';
  path += "second.sinapse";
  sinapse::Model<double> model = small_model();
  const std::vector<std::pair<std::string, std::function<void()>>> calls = {
      {"write_file_atomically: ",
       [&] { sinapse::detail::write_file_atomically(path, "x", "write_file_atomically"); }},
      {"read_file: ", [&] { sinapse::detail::read_file(path, "read_file"); }},
      {"save: ", [&] { model.save(path); }},
      {"save_weights: ", [&] { model.save_weights(path); }},
      {"load_model: ", [&] { sinapse::load_model<double>(path); }},
      {"load_weights: ", [&] { model.load_weights(path); }},
  };
  write_plain(folder.file("first"), "a file that the prefix of the path names");
  for (const auto& call : calls) {
    INFO(call.first);
    const std::string message = test_support::message_of<sinapse::ValueError>(call.second);
    CHECK(test_support::contains(message, call.first + "the path contains a NUL byte at position " +
                                              std::to_string(folder.file("first").size())));
  }
  CHECK(read_all(folder.file("first")) == "a file that the prefix of the path names");
  CHECK(folder.entries() == std::vector<std::string>{"first"});
}

TEST_CASE("save through a symbolic link keeps the link", "[saving][atomic_file]") {
  ScratchFolder folder;
  std::filesystem::create_directory(folder.file("real"));
  const std::string target = folder.file("real/model.sinapse");
  write_plain(target, "old");
  REQUIRE(::chmod(target.c_str(), 0640) == 0);
  // An absolute link, a relative one in another folder, and a chain of two links.
  std::filesystem::create_symlink(target, folder.file("absolute.sinapse"));
  std::filesystem::create_symlink("real/model.sinapse", folder.file("relative.sinapse"));
  std::filesystem::create_symlink("relative.sinapse", folder.file("chain.sinapse"));
  sinapse::Model<double> model = small_model();
  const std::string expected = sinapse::detail::save_model_to_bytes(model);
  for (const char* link : {"absolute.sinapse", "relative.sinapse", "chain.sinapse"}) {
    INFO(link);
    write_plain(target, "old");
    model.save(folder.file(link));
    CHECK(is_symlink(folder.file(link)));
    CHECK(read_all(target) == expected);
    struct stat status {};
    REQUIRE(::stat(target.c_str(), &status) == 0);
    CHECK((status.st_mode & 0777) == 0640);
    CHECK(sinapse::load_model<double>(folder.file(link)).get_weights() == model.get_weights());
  }
  CHECK(folder.entries() ==
        std::vector<std::string>{"absolute.sinapse", "chain.sinapse", "real", "relative.sinapse"});
  CHECK(std::distance(std::filesystem::directory_iterator(folder.file("real")),
                      std::filesystem::directory_iterator()) == 1);

  // A dangling link creates the file it points to, as std::ofstream does.
  std::filesystem::create_symlink("real/new.sinapse", folder.file("dangling.sinapse"));
  model.save_weights(folder.file("dangling.sinapse"));
  CHECK(is_symlink(folder.file("dangling.sinapse")));
  CHECK(std::filesystem::is_regular_file(folder.file("real/new.sinapse")));
}

TEST_CASE("save rejects FIFOs, folders and link loops", "[saving][atomic_file]") {
  ScratchFolder folder;
  REQUIRE(::mkfifo(folder.file("pipe").c_str(), 0600) == 0);
  std::filesystem::create_directory(folder.file("folder"));
  std::filesystem::create_symlink("pipe", folder.file("to_pipe"));
  std::filesystem::create_symlink("loop_b", folder.file("loop_a"));
  std::filesystem::create_symlink("loop_a", folder.file("loop_b"));
  const std::vector<std::string> entries = folder.entries();
  sinapse::Model<double> model = small_model();

  const std::string pipe =
      test_support::message_of<sinapse::IOError>([&] { model.save(folder.file("pipe")); });
  CHECK(test_support::contains(pipe, "save: \"" + folder.file("pipe") +
                                         "\" is a FIFO (named pipe), but sinapse writes only "
                                         "regular files"));
  const std::string directory = test_support::message_of<sinapse::IOError>(
      [&] { model.save_weights(folder.file("folder")); });
  CHECK(test_support::contains(directory, "\" is a folder, but sinapse writes only regular files"));
  const std::string link =
      test_support::message_of<sinapse::IOError>([&] { model.save(folder.file("to_pipe")); });
  CHECK(test_support::contains(link, "\" is a symbolic link to \"" + folder.file("pipe") +
                                         "\", which is a FIFO (named pipe)"));
  const std::string loop =
      test_support::message_of<sinapse::IOError>([&] { model.save(folder.file("loop_a")); });
  CHECK(test_support::contains(loop, "or a loop of them"));

  CHECK(is_fifo(folder.file("pipe")));
  CHECK(std::filesystem::is_directory(folder.file("folder")));
  CHECK(is_symlink(folder.file("to_pipe")));
  CHECK(folder.entries() == entries);
}

TEST_CASE("save to a 255-byte file name", "[saving][atomic_file]") {
  ScratchFolder folder;
  const std::string path = folder.file(std::string(255, 'n'));
  sinapse::Model<double> model = small_model();
  model.save(path);
  CHECK(sinapse::load_model<double>(path).get_weights() == model.get_weights());
  model.save_weights(path);
  model.load_weights(path);
  CHECK(folder.entries() == std::vector<std::string>{std::string(255, 'n')});
}

TEST_CASE("save to a path ending in a slash", "[saving][atomic_file]") {
  ScratchFolder folder;
  sinapse::Model<double> model = small_model();
  for (const std::string& path : {folder.file("missing/"), folder.file("")}) {
    INFO(path);
    const std::string message =
        test_support::message_of<sinapse::ValueError>([&] { model.save(path); });
    CHECK(test_support::contains(message, "save: the path \"" + path +
                                              "\" ends with \"/\", so it names a folder, not a "
                                              "file; add a file name after the last \"/\""));
  }
  CHECK(folder.entries().empty());
}
