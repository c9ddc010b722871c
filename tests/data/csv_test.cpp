// Tests of read_csv, split_features_labels and check_binary_labels.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <sinapse/core/errors.hpp>
#include <sinapse/data/csv.hpp>

#include "support/catch.hpp"
#include "support/exception_message.hpp"

namespace {

using test_support::contains;
using test_support::message_of;

template <typename Scalar>
sinapse::CsvTable<Scalar> parse(const std::string& text) {
  std::istringstream input(text);
  return sinapse::read_csv<Scalar>(input, "test.csv");
}

/// A file in the temporary directory with a random name, removed when this goes out of
/// scope, so parallel test runs do not share files.
class TemporaryFile {
 public:
  explicit TemporaryFile(const std::string& contents) {
    std::random_device device;
    const std::uint64_t suffix = (static_cast<std::uint64_t>(device()) << 32) ^ device();
    path_ = std::filesystem::temp_directory_path() /
            ("sinapse_csv_test_" + std::to_string(suffix) + ".csv");
    std::ofstream(path_, std::ios::binary) << contents;
  }
  ~TemporaryFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;

  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

const std::string breast_cancer_path = SINAPSE_DATA_DIR "/breast_cancer_wisconsin.csv";

}  // namespace

TEMPLATE_TEST_CASE("read_csv reads names and values", "[data][csv]", float, double) {
  const sinapse::CsvTable<TestType> table = parse<TestType>("a,b,c\n1,2.5,-3\n4e2,0.125,6\n");

  CHECK(table.source == "test.csv");
  REQUIRE(table.column_names == std::vector<std::string>{"a", "b", "c"});
  REQUIRE(table.values.rows() == 2);
  REQUIRE(table.values.cols() == 3);
  CHECK(table.values(0, 0) == TestType(1));
  CHECK(table.values(0, 1) == TestType(2.5));
  CHECK(table.values(0, 2) == TestType(-3));
  CHECK(table.values(1, 0) == TestType(400));
  CHECK(table.values(1, 1) == TestType(0.125));
  CHECK(table.values(1, 2) == TestType(6));
  CHECK(table.line_numbers == std::vector<long long>{2, 3});
}

TEST_CASE("read_csv accepts common file variants", "[data][csv]") {
  // Byte order mark, Windows line ends, blank lines, spaces around fields, quoted fields
  // and a missing final newline.
  const std::string text =
      "\xEF\xBB\xBF\"first, name\",\"say \"\"hi\"\"\"\r\n"
      "\r\n"
      " 1 ,\t\"2\"\r\n"
      "   \n"
      "3,4";
  const sinapse::CsvTable<double> table = parse<double>(text);

  REQUIRE(table.column_names == std::vector<std::string>{"first, name", "say \"hi\""});
  REQUIRE(table.values.rows() == 2);
  CHECK(table.values(0, 0) == 1.0);
  CHECK(table.values(0, 1) == 2.0);
  CHECK(table.values(1, 0) == 3.0);
  CHECK(table.values(1, 1) == 4.0);
  CHECK(table.line_numbers == std::vector<long long>{3, 5});
}

TEST_CASE("read_csv reads the breast cancer file", "[data][csv]") {
  const sinapse::CsvTable<float> table = sinapse::read_csv<float>(breast_cancer_path);

  REQUIRE(table.values.rows() == 569);
  REQUIRE(table.values.cols() == 31);
  REQUIRE(table.column_names.size() == 31);
  CHECK(table.column_names.front() == "mean_radius");
  CHECK(table.column_names.back() == "benign");
  CHECK(table.values(0, 0) == 17.99f);
  CHECK(table.values(0, 30) == 0.0f);
  CHECK(table.line_numbers.front() == 2);
  CHECK(table.line_numbers.back() == 570);
  CHECK((table.values.col(30).array() == 1.0f).count() == 357);
  CHECK((table.values.col(30).array() == 0.0f).count() == 212);
  CHECK_NOTHROW(sinapse::check_binary_labels(table));
}

TEST_CASE("read_csv rejects a missing file", "[data][csv]") {
  const std::string path = SINAPSE_DATA_DIR "/no_such_file.csv";
  const std::string message = message_of<sinapse::Error>([&] { sinapse::read_csv<float>(path); });
  INFO(message);
  CHECK(contains(message, path));
  CHECK(contains(message, "not found"));
}

TEST_CASE("read_csv rejects a directory", "[data][csv]") {
  const std::string message =
      message_of<sinapse::Error>([] { sinapse::read_csv<float>(SINAPSE_DATA_DIR); });
  INFO(message);
  CHECK(contains(message, "is a directory"));
}

TEST_CASE("read_csv rejects an empty file", "[data][csv]") {
  for (const std::string contents : {"", "\n\n", "  \r\n"}) {
    const TemporaryFile file(contents);
    const std::string message =
        message_of<sinapse::ValueError>([&] { sinapse::read_csv<float>(file.path()); });
    INFO(message);
    CHECK(contains(message, file.path()));
    CHECK(contains(message, "is empty"));
  }
}

TEST_CASE("read_csv rejects a header without data", "[data][csv]") {
  const std::string message = message_of<sinapse::ValueError>([] { parse<float>("a,b\n\n"); });
  INFO(message);
  CHECK(contains(message, "\"test.csv\" has a header line but no data lines"));
}

TEST_CASE("read_csv rejects ragged rows", "[data][csv]") {
  const std::string too_few =
      message_of<sinapse::ValueError>([] { parse<float>("a,b,c\n1,2,3\n4,5\n"); });
  INFO(too_few);
  CHECK(contains(too_few, "\"test.csv\" line 3 has 2 fields, expected 3"));

  const std::string too_many =
      message_of<sinapse::ValueError>([] { parse<float>("a,b\n1,2\n\n3,4,5\n"); });
  INFO(too_many);
  CHECK(contains(too_many, "\"test.csv\" line 4 has 3 fields, expected 2"));
}

TEST_CASE("read_csv rejects non-numeric cells", "[data][csv]") {
  const std::string word = message_of<sinapse::ValueError>([] { parse<float>("a,b\n1,x\n"); });
  INFO(word);
  CHECK(contains(word, "\"test.csv\" line 2, column 2 (\"b\"): \"x\" is not a number"));

  const std::string suffix =
      message_of<sinapse::ValueError>([] { parse<float>("a,b\n1,2\n3.5kg,4\n"); });
  INFO(suffix);
  CHECK(contains(suffix, "line 3, column 1 (\"a\"): \"3.5kg\" is not a number"));

  const std::string empty = message_of<sinapse::ValueError>([] { parse<float>("a,b\n1,\n"); });
  INFO(empty);
  CHECK(contains(empty, "line 2, column 2 (\"b\") is empty"));
}

TEMPLATE_TEST_CASE("read_csv rejects non-finite cells", "[data][csv]", float, double) {
  for (const std::string cell : {"nan", "NaN", "inf", "-inf", "Infinity"}) {
    const std::string message =
        message_of<sinapse::ValueError>([&] { parse<TestType>("a,b\n1," + cell + "\n"); });
    INFO(message);
    CHECK(contains(message, "line 2, column 2 (\"b\"): \"" + cell + "\" is not finite"));
  }
}

TEMPLATE_TEST_CASE("read_csv rejects values beyond double", "[data][csv]", float, double) {
  const std::string message =
      message_of<sinapse::ValueError>([] { parse<TestType>("a\n-1e999\n"); });
  INFO(message);
  CHECK(contains(message, "line 2, column 1 (\"a\"): \"-1e999\" is outside the range of"));
}

TEST_CASE("read_csv rejects values beyond float", "[data][csv]") {
  const std::string message = message_of<sinapse::ValueError>([] { parse<float>("a\n1e39\n"); });
  INFO(message);
  CHECK(contains(message, "line 2, column 1 (\"a\"): \"1e39\" is outside the range of float"));

  const sinapse::CsvTable<double> table = parse<double>("a\n1e39\n");
  CHECK(table.values(0, 0) == 1e39);
}

TEST_CASE("read_csv rejects bad headers", "[data][csv]") {
  const std::string empty_name =
      message_of<sinapse::ValueError>([] { parse<float>("a,,c\n1,2,3\n"); });
  INFO(empty_name);
  CHECK(contains(empty_name, "line 1, column 2: the header has an empty column name"));

  const std::string repeated =
      message_of<sinapse::ValueError>([] { parse<float>("a,b,a\n1,2,3\n"); });
  INFO(repeated);
  CHECK(contains(repeated, "line 1, column 3: the column name \"a\" appears twice"));

  const std::string numeric = message_of<sinapse::ValueError>([] { parse<float>("1,2\n3,4\n"); });
  INFO(numeric);
  CHECK(contains(numeric, "line 1: every header field is a number"));
}

TEST_CASE("read_csv rejects an unclosed quote", "[data][csv]") {
  const std::string message =
      message_of<sinapse::ValueError>([] { parse<float>("a,b\n1,\"2\n3,4\n"); });
  INFO(message);
  CHECK(contains(message, "\"test.csv\" line 2 has a double quote that is never closed"));
}

TEST_CASE("split_features_labels takes the last column", "[data][csv]") {
  const sinapse::CsvTable<double> table = parse<double>("x1,x2,label\n1,2,0\n3,4,1\n5,6,1\n");

  const sinapse::FeaturesAndLabels<double> data = sinapse::split_features_labels(table);

  REQUIRE(data.features.rows() == 3);
  REQUIRE(data.features.cols() == 2);
  REQUIRE(data.labels.rows() == 3);
  REQUIRE(data.labels.cols() == 1);
  CHECK(data.features(2, 0) == 5.0);
  CHECK(data.features(2, 1) == 6.0);
  CHECK(data.labels(0, 0) == 0.0);
  CHECK(data.labels(1, 0) == 1.0);
  CHECK(data.feature_names == std::vector<std::string>{"x1", "x2"});
  CHECK(data.label_name == "label");
}

TEST_CASE("split_features_labels rejects one column", "[data][csv]") {
  const sinapse::CsvTable<double> table = parse<double>("label\n1\n");
  const std::string message =
      message_of<sinapse::ValueError>([&] { sinapse::split_features_labels(table); });
  INFO(message);
  CHECK(contains(message, "\"test.csv\" has 1 column(s)"));
}

TEST_CASE("check_binary_labels rejects other values", "[data][csv]") {
  CHECK_NOTHROW(sinapse::check_binary_labels(parse<float>("x,y\n1,0\n2,1\n")));

  const sinapse::CsvTable<float> two = parse<float>("x,y\n1,0\n\n2,2\n");
  const std::string message =
      message_of<sinapse::ValueError>([&] { sinapse::check_binary_labels(two); });
  INFO(message);
  CHECK(contains(message, "\"test.csv\" line 4, label column \"y\" contains 2"));

  const sinapse::CsvTable<float> half = parse<float>("x,y\n1,0.5\n");
  const std::string half_message =
      message_of<sinapse::ValueError>([&] { sinapse::check_binary_labels(half); });
  INFO(half_message);
  CHECK(contains(half_message, "line 2, label column \"y\" contains 0.5"));
}

TEST_CASE("check_binary_labels needs both classes", "[data][csv]") {
  const std::string all_ones = message_of<sinapse::ValueError>(
      [] { sinapse::check_binary_labels(parse<float>("x,y\n1,1\n2,1\n")); });
  INFO(all_ones);
  CHECK(contains(all_ones, "every label in \"test.csv\" is 1"));

  const std::string all_zeros = message_of<sinapse::ValueError>(
      [] { sinapse::check_binary_labels(parse<double>("x,y\n1,0\n")); });
  INFO(all_zeros);
  CHECK(contains(all_zeros, "is 0; a binary classifier needs samples of both classes"));
}

TEST_CASE("read_csv rejects an embedded NUL", "[data][csv]") {
  // std::strtod stops at a NUL byte, so "2\0junk" would otherwise read as 2.
  const std::string nul(1, '\0');
  const std::string cells[] = {"2" + nul + "junk", "2" + nul, nul + "2"};
  for (const std::string& cell : cells) {
    INFO("cell of " << cell.size() << " bytes");
    const std::string message =
        message_of<sinapse::ValueError>([&] { parse<float>("a,b\n1," + cell + "\n"); });
    INFO(message);
    CHECK(contains(message, "line 2, column 2 (\"b\")"));
    // The message must not end at the NUL, which would cut off its explanation.
    CHECK(contains(message, "not a number"));
  }
}

TEST_CASE("read_csv reads the largest float", "[data][csv]") {
  // printf("%.8g") writes the largest float as 3.4028235e+38, which is above it but rounds
  // to it. Values less than half a unit in the last place above it round there too.
  const float largest = std::numeric_limits<float>::max();
  const sinapse::CsvTable<float> table =
      parse<float>("a\n3.4028235e+38\n3.4028235e38\n-3.4028235e38\n3.4028235677973362e38\n");
  REQUIRE(table.values.rows() == 4);
  CHECK(table.values(0, 0) == largest);
  CHECK(table.values(1, 0) == largest);
  CHECK(table.values(2, 0) == -largest);
  CHECK(table.values(3, 0) == largest);

  // Half a unit in the last place above the largest float rounds to infinity.
  for (const std::string cell : {"3.4028235677973366e38", "3.5e38", "-3.5e38"}) {
    const std::string message =
        message_of<sinapse::ValueError>([&] { parse<float>("a\n" + cell + "\n"); });
    INFO(message);
    CHECK(contains(message, "\"" + cell + "\" is outside the range of float"));
  }

  const sinapse::CsvTable<double> doubles = parse<double>("a\n3.5e38\n-3.5e38\n");
  CHECK(doubles.values(0, 0) == 3.5e38);
  CHECK(doubles.values(1, 0) == -3.5e38);
}

TEST_CASE("read_csv explains carriage-return line ends", "[data][csv]") {
  // Files from classic Mac OS end lines with "\r" alone. Reading them as lines, as pandas
  // does, or naming the line ends in the message are both acceptable.
  const std::string text = "a,b\r1,2\r3,4\r";
  try {
    const sinapse::CsvTable<double> table = parse<double>(text);
    REQUIRE(table.values.rows() == 2);
    CHECK(table.values(1, 1) == 4.0);
  } catch (const sinapse::ValueError& error) {
    const std::string message = error.what();
    INFO(message);
    CHECK((contains(message, "\\r") || contains(message, "carriage return") ||
           contains(message, "line break") || contains(message, "line end")));
  }
}
