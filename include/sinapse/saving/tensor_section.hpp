#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "sinapse/core/types.hpp"
#include "sinapse/saving/byte_io.hpp"
#include "sinapse/saving/file_errors.hpp"
#include "sinapse/saving/file_format.hpp"

namespace sinapse {
namespace detail {

/// Element type of a stored tensor, as its code in the file.
enum class DType : std::uint8_t { float32 = 1, float64 = 2 };

template <typename Scalar>
constexpr DType dtype_of() {
  return std::is_same<Scalar, float>::value ? DType::float32 : DType::float64;
}

/// Keras's name of a dtype: "float32" or "float64".
inline const char* dtype_name(DType dtype) {
  return dtype == DType::float32 ? "float32" : "float64";
}

inline std::size_t dtype_size(DType dtype) { return dtype == DType::float32 ? 4 : 8; }

/// One tensor of a checked tensor section. `data` points into the file's buffer at rows x
/// cols values in row-major order. A rank-1 tensor has cols = 1.
struct TensorView {
  DType dtype = DType::float32;
  int rank = 1;
  Index rows = 0;
  Index cols = 1;
  const char* data = nullptr;
  /// Position of the tensor's record in the file, for messages.
  std::size_t offset = 0;
};

/// Builds the payload of a tensor section, one tensor at a time.
template <typename Scalar>
class TensorSectionWriter {
 public:
  /// Appends a tensor with its Scalar type and returns its index in the section. A rank-1
  /// tensor must be stored as an (n, 1) matrix.
  std::size_t add(const Matrix<Scalar>& value, int rank) {
    records_.u8(static_cast<std::uint8_t>(dtype_of<Scalar>()));
    records_.u8(static_cast<std::uint8_t>(rank));
    records_.u64(static_cast<std::uint64_t>(value.rows()));
    if (rank == 2) records_.u64(static_cast<std::uint64_t>(value.cols()));
    records_.reserve(static_cast<std::size_t>(value.size()) * sizeof(Scalar));
    for (Index i = 0; i < value.rows(); ++i) {
      for (Index j = 0; j < value.cols(); ++j) {
        if (std::is_same<Scalar, float>::value) {
          records_.f32(static_cast<float>(value(i, j)));
        } else {
          records_.f64(static_cast<double>(value(i, j)));
        }
      }
    }
    return count_++;
  }

  std::size_t count() const { return count_; }

  /// Returns the section payload: the tensor count, then the records.
  std::string payload() const {
    ByteWriter writer;
    writer.u64(count_);
    writer.raw(records_.bytes());
    return writer.take();
  }

 private:
  ByteWriter records_;
  std::size_t count_ = 0;
};

/// Checks a tensor section and returns a view of each tensor. Every size is checked against
/// the bytes left in the section before it is used, so a declared count or shape larger
/// than the file allocates nothing.
/// @throws FileFormatError for an unknown dtype or rank, a count or shape that does not
/// fit in the section, or bytes after the last tensor.
inline std::vector<TensorView> read_tensor_section(const SectionView& section) {
  ByteReader reader(section.data, section.size, section.offset, "tensor section");
  const std::uint64_t count = reader.u64();
  // The smallest record: dtype, rank, one dimension of 0 and no values.
  constexpr std::size_t smallest_record = 10;
  if (count > reader.remaining() / smallest_record) {
    throw FileFormatError(concat("the tensor section declares ", count, " tensors, but its ",
                                 reader.remaining(), " remaining bytes can hold at most ",
                                 reader.remaining() / smallest_record));
  }
  std::vector<TensorView> tensors;
  tensors.reserve(static_cast<std::size_t>(count));
  for (std::uint64_t k = 0; k < count; ++k) {
    TensorView tensor;
    tensor.offset = reader.file_offset();
    const std::uint8_t dtype = reader.u8();
    if (dtype != 1 && dtype != 2) {
      throw FileFormatError(concat("tensor ", k, " at byte ", tensor.offset, " has dtype code ",
                                   int{dtype}, "; expected 1 (float32) or 2 (float64)"));
    }
    tensor.dtype = static_cast<DType>(dtype);
    const std::uint8_t rank = reader.u8();
    if (rank != 1 && rank != 2) {
      throw FileFormatError(concat("tensor ", k, " at byte ", tensor.offset, " has rank ",
                                   int{rank}, "; expected 1 or 2"));
    }
    tensor.rank = rank;
    const std::uint64_t rows = reader.u64();
    const std::uint64_t cols = rank == 2 ? reader.u64() : 1;
    // rows * cols * element size must fit in the rest of the section; dividing instead of
    // multiplying keeps the check free of overflow.
    const std::uint64_t element_size = dtype_size(tensor.dtype);
    const std::uint64_t capacity = reader.remaining() / element_size;
    const bool fits = rows == 0 || cols == 0 || (rows <= capacity && cols <= capacity / rows);
    if (!fits) {
      const std::string shape =
          rank == 2 ? concat("(", rows, ", ", cols, ")") : concat("(", rows, ",)");
      throw FileFormatError(concat("tensor ", k, " at byte ", tensor.offset, " declares shape ",
                                   shape, " of ", dtype_name(tensor.dtype),
                                   ", which needs more than the ", reader.remaining(),
                                   " bytes left in the tensor section"));
    }
    tensor.rows = static_cast<Index>(rows);
    tensor.cols = static_cast<Index>(cols);
    tensor.data = reader.raw(static_cast<std::size_t>(rows * cols * element_size));
    tensors.push_back(tensor);
  }
  if (reader.remaining() != 0) {
    throw FileFormatError(concat("the tensor section has ", reader.remaining(),
                                 " unexpected bytes after its last tensor, at byte ",
                                 reader.file_offset()));
  }
  return tensors;
}

/// Returns the values of a tensor as a Matrix<Scalar>, converting from the stored dtype
/// when it differs (the caller decides whether that is allowed). `where` names the
/// tensor in messages, such as "weight dense/kernel".
/// @throws FileFormatError for NaN or inf, which sinapse never saves; ValueError for a
/// float64 value outside float's range when converting to float.
template <typename Scalar>
Matrix<Scalar> decode_tensor(const TensorView& tensor, const std::string& where) {
  Matrix<Scalar> value(tensor.rows, tensor.cols);
  const std::size_t bytes =
      static_cast<std::size_t>(tensor.rows * tensor.cols) * dtype_size(tensor.dtype);
  ByteReader reader(tensor.data, bytes, tensor.offset, where);
  for (Index i = 0; i < tensor.rows; ++i) {
    for (Index j = 0; j < tensor.cols; ++j) {
      const double stored =
          tensor.dtype == DType::float32 ? static_cast<double>(reader.f32()) : reader.f64();
      if (!std::isfinite(stored)) {
        throw FileFormatError(concat(where, " contains ", stored, " at index (", i, ", ", j,
                                     "), but saved weights and optimizer state are always "
                                     "finite; the file is damaged"));
      }
      // Converting an out-of-range double to float is undefined behaviour, so check first.
      if (std::is_same<Scalar, float>::value &&
          std::abs(stored) > static_cast<double>(std::numeric_limits<float>::max())) {
        throw ValueError(concat(where, " contains ", stored, " at index (", i, ", ", j,
                                "), which does not fit in float; load the file as double"));
      }
      value(i, j) = static_cast<Scalar>(stored);
    }
  }
  return value;
}

/// Shape text of a tensor as Keras writes shapes: "(4, 8)" or "(8,)".
inline std::string tensor_shape_text(int rank, Index rows, Index cols) {
  return rank == 1 ? concat("(", rows, ",)") : concat("(", rows, ", ", cols, ")");
}

}  // namespace detail
}  // namespace sinapse
