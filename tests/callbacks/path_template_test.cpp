// Tests of ModelCheckpoint's file path template: Python-style fields for the epoch and
// the logs, literal braces, and clear errors for malformed templates and unknown fields.
#include <map>
#include <string>

#include <sinapse/detail/path_template.hpp>

#include "support/catch.hpp"

using sinapse::ValueError;
using sinapse::detail::PathTemplate;

namespace {

const std::map<std::string, double> logs{{"loss", 0.123456}, {"val_loss", 0.5}, {"accuracy", 1}};

}  // namespace

TEST_CASE("path template fills epoch and log fields", "[callbacks]") {
  CHECK(PathTemplate("model.sinapse").format(3, logs) == "model.sinapse");
  CHECK(PathTemplate("model.sinapse").constant());
  CHECK(PathTemplate("m-{epoch}.s").format(3, logs) == "m-3.s");
  CHECK(PathTemplate("m-{epoch:02d}.s").format(3, logs) == "m-03.s");
  CHECK(PathTemplate("m-{epoch:03}.s").format(12, logs) == "m-012.s");
  CHECK(PathTemplate("m-{val_loss:.2f}.s").format(1, logs) == "m-0.50.s");
  CHECK(PathTemplate("m-{loss:.3e}").format(1, logs) == "m-1.235e-01");
  CHECK(PathTemplate("m-{loss}").format(1, logs) == "m-0.123456");
  CHECK(PathTemplate("{epoch:02d}-{accuracy:.1f}").format(7, logs) == "07-1.0");
  CHECK_FALSE(PathTemplate("{epoch}").constant());
}

TEST_CASE("path template keeps doubled braces as literal braces", "[callbacks]") {
  CHECK(PathTemplate("a{{b}}c-{epoch}").format(2, logs) == "a{b}c-2");
}

TEST_CASE("path template rejects malformed templates", "[callbacks]") {
  CHECK_THROWS_AS(PathTemplate("m-{epoch"), ValueError);
  CHECK_THROWS_AS(PathTemplate("m-epoch}"), ValueError);
  CHECK_THROWS_AS(PathTemplate("m-{}"), ValueError);
  CHECK_THROWS_AS(PathTemplate("m-{epoch:x}"), ValueError);
  CHECK_THROWS_AS(PathTemplate("m-{epoch:.2d}"), ValueError);
  CHECK_THROWS_AS(PathTemplate("m-{loss:123456f}"), ValueError);
  CHECK_THROWS_AS(PathTemplate("m-{loss:%n}"), ValueError);
  CHECK_THROWS_WITH(PathTemplate("m-{"),
                    "ModelCheckpoint: the filepath \"m-{\" has a '{' without its '}'; write "
                    "'{{' for a literal brace");
}

TEST_CASE("path template names the fields when one is unknown", "[callbacks]") {
  CHECK_THROWS_WITH(PathTemplate("m-{val_acc}").format(1, logs),
                    "ModelCheckpoint: the filepath \"m-{val_acc}\" uses {val_acc}, which is not in "
                    "the logs; the fields are epoch, accuracy, loss, val_loss");
}

TEST_CASE("path template rejects integer formats of log values", "[callbacks]") {
  // Python's str.format raises "Unknown format code 'd'" for a float such as a loss.
  CHECK_THROWS_WITH(PathTemplate("m-{loss:d}"),
                    "ModelCheckpoint: the filepath \"m-{loss:d}\" has {loss:d}, which formats loss "
                    "as an integer, but log values are floats (Python raises \"Unknown format code "
                    "'d' for object of type 'float'\"); use a float format such as {loss:.4f}");
  CHECK_THROWS_AS(PathTemplate("m-{accuracy:05d}"), ValueError);
  CHECK_THROWS_AS(PathTemplate("m-{val_loss:d}"), ValueError);
  CHECK(PathTemplate("m-{epoch:d}").format(4, logs) == "m-4");
  CHECK(PathTemplate("m-{epoch:.1f}").format(4, logs) == "m-4.0");
}

TEST_CASE("path template bounds widths and precisions", "[callbacks]") {
  CHECK_THROWS_AS(PathTemplate("m-{epoch:0400d}"), ValueError);
  CHECK_THROWS_AS(PathTemplate("m-{loss:0.9999f}"), ValueError);
  CHECK_THROWS_AS(PathTemplate("m-{loss:.100f}"), ValueError);
  CHECK_THROWS_AS(PathTemplate("m-{loss:*.4f}"), ValueError);
  CHECK_THROWS_AS(PathTemplate("m-{loss:2.f}"), ValueError);
  CHECK_THROWS_AS(PathTemplate("m-{epoch:.2}"), ValueError);
  CHECK(PathTemplate("m-{epoch:099d}").format(1, logs).size() == 2 + 99);
  CHECK(PathTemplate("m-{loss:.3}").format(1, logs) == "m-0.123");
}

TEST_CASE("path template prints long values whole", "[callbacks]") {
  // %f of 1e300 has 301 digits before the point; with 99 after, the field is 401 bytes.
  const std::map<std::string, double> large{{"loss", 1e300}};
  const std::string path = PathTemplate("{loss:.99f}-{loss:.99f}").format(1, large);
  CHECK(path.size() == 401 + 1 + 401);
  CHECK(path.compare(0, 4, "1000") == 0);
}
