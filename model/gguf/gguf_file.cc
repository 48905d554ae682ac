#include "model/gguf/gguf_file.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "model/gguf/gguf_dequant.h"

namespace ascent {

namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" little-endian
constexpr int kMaxDims = 4;

// Bounds-checked little-endian reads over the mapped file; a read past the end throws Truncated.
struct Truncated {
  size_t at;
};

class Cursor {
 public:
  Cursor(const uint8_t* p, size_t n) : p_(p), n_(n) {}
  size_t pos() const { return pos_; }
  size_t left() const { return n_ - pos_; }
  template <typename T>
  T read() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, p_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string string() {
    const uint64_t len = read<uint64_t>();
    need(len);
    std::string s(reinterpret_cast<const char*>(p_ + pos_), len);
    pos_ += len;
    return s;
  }

 private:
  void need(uint64_t k) const {
    if (k > n_ - pos_) throw Truncated{pos_};
  }
  const uint8_t* p_;
  size_t n_;
  size_t pos_ = 0;
};

enum ValueType : uint32_t {
  kU8 = 0,
  kI8,
  kU16,
  kI16,
  kU32,
  kI32,
  kF32,
  kBool,
  kString,
  kArray,
  kU64,
  kI64,
  kF64
};

// One scalar of a metadata type into v (integers and bools in i, floats in f, strings in s).
absl::Status read_scalar(Cursor& c, uint32_t type, GgufValue* v) {
  using K = GgufValue::Kind;
  switch (type) {
    case kU8:
      v->kind = K::kInt, v->i = c.read<uint8_t>();
      break;
    case kI8:
      v->kind = K::kInt, v->i = c.read<int8_t>();
      break;
    case kU16:
      v->kind = K::kInt, v->i = c.read<uint16_t>();
      break;
    case kI16:
      v->kind = K::kInt, v->i = c.read<int16_t>();
      break;
    case kU32:
      v->kind = K::kInt, v->i = c.read<uint32_t>();
      break;
    case kI32:
      v->kind = K::kInt, v->i = c.read<int32_t>();
      break;
    case kU64:
      v->kind = K::kInt, v->i = static_cast<int64_t>(c.read<uint64_t>());
      break;
    case kI64:
      v->kind = K::kInt, v->i = c.read<int64_t>();
      break;
    case kF32:
      v->kind = K::kFloat, v->f = c.read<float>();
      break;
    case kF64:
      v->kind = K::kFloat, v->f = c.read<double>();
      break;
    case kBool:
      v->kind = K::kBool, v->i = c.read<uint8_t>() != 0;
      break;
    case kString:
      v->kind = K::kString, v->s = c.string();
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat("unknown value type ", type));
  }
  return absl::OkStatus();
}

absl::Status read_value(Cursor& c, uint32_t type, GgufValue* v) {
  using K = GgufValue::Kind;
  if (type != kArray) return read_scalar(c, type, v);
  const uint32_t elem = c.read<uint32_t>();
  const uint64_t n = c.read<uint64_t>();
  if (elem == kArray) return absl::InvalidArgumentError("arrays of arrays are not supported");
  if (n > c.left()) throw Truncated{c.pos()};  // every element takes a byte at least
  for (uint64_t k = 0; k < n; ++k) {
    GgufValue e;
    ASCENT_RETURN_IF_ERROR(read_scalar(c, elem, &e));
    if (e.kind == K::kString) {
      v->kind = K::kStringArray, v->strings.push_back(std::move(e.s));
    } else if (e.kind == K::kFloat) {
      v->kind = K::kFloatArray, v->floats.push_back(e.f);
    } else {
      v->kind = K::kIntArray, v->ints.push_back(e.i);
    }
  }
  if (n == 0)
    v->kind = elem == kString                  ? K::kStringArray
              : (elem == kF32 || elem == kF64) ? K::kFloatArray
                                               : K::kIntArray;
  return absl::OkStatus();
}

const char* kind_name(GgufValue::Kind k) {
  switch (k) {
    case GgufValue::Kind::kInt:
      return "an integer";
    case GgufValue::Kind::kFloat:
      return "a float";
    case GgufValue::Kind::kBool:
      return "a bool";
    case GgufValue::Kind::kString:
      return "a string";
    case GgufValue::Kind::kIntArray:
      return "an array of integers";
    case GgufValue::Kind::kFloatArray:
      return "an array of floats";
    case GgufValue::Kind::kStringArray:
      return "an array of strings";
  }
  return "?";
}

}  // namespace

int64_t GgufTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : ne) n *= d;
  return n;
}

std::vector<int64_t> GgufTensor::torch_shape() const {
  return std::vector<int64_t>(ne.rbegin(), ne.rend());
}

absl::StatusOr<GgufFile> GgufFile::open(const std::string& path) {
  GgufFile f;
  f.path_ = path;
  ASCENT_ASSIGN_OR_RETURN(f.map_, MappedFile::open(path));
  if (f.map_.size() < 24) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", f.map_.size(), " bytes: too short for a GGUF header"));
  }
  Cursor c(f.map_.data(), f.map_.size());
  std::string where = "header";
  try {
    if (c.read<uint32_t>() != kMagic)
      return absl::InvalidArgumentError(absl::StrCat(path, ": not a GGUF file (magic)"));
    f.version_ = c.read<uint32_t>();
    if (f.version_ != 2 && f.version_ != 3) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": GGUF version ", f.version_, " (2 and 3 are read)"));
    }
    const uint64_t n_tensors = c.read<uint64_t>(), n_kv = c.read<uint64_t>();
    if (n_tensors > f.map_.size() || n_kv > f.map_.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": header counts ", n_tensors, " tensors, ", n_kv, " keys"));
    }
    for (uint64_t k = 0; k < n_kv; ++k) {
      where = absl::StrCat("metadata entry ", k);
      std::string key = c.string();
      where = absl::StrCat("metadata key ", key);
      const uint32_t type = c.read<uint32_t>();
      GgufValue v;
      if (absl::Status s = read_value(c, type, &v); !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": ", key, ": ", s.message()));
      }
      f.metadata_[key] = std::move(v);
    }
    for (uint64_t k = 0; k < n_tensors; ++k) {
      where = absl::StrCat("tensor info ", k);
      GgufTensor t;
      t.name = c.string();
      where = absl::StrCat("tensor ", t.name);
      const uint32_t n_dims = c.read<uint32_t>();
      if (n_dims == 0 || n_dims > kMaxDims) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": tensor ", t.name, ": ", n_dims, " dimensions"));
      }
      // Every type stores at least 4 bits a value, so more than 2 values a byte of the file cannot be.
      uint64_t numel = 1;
      for (uint32_t d = 0; d < n_dims; ++d) {
        const uint64_t ne = c.read<uint64_t>();
        if (ne == 0 || __builtin_mul_overflow(numel, ne, &numel) || numel > 2 * uint64_t{f.map_.size()}) {
          return absl::InvalidArgumentError(absl::StrCat(path, ": tensor ", t.name, ": dimension ", d, " is ",
                                                         ne, ": more values than the file can hold"));
        }
        t.ne.push_back(static_cast<int64_t>(ne));
      }
      t.type = c.read<uint32_t>();
      t.offset = c.read<uint64_t>();
      if (f.by_name_.count(t.name)) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": tensor ", t.name, " appears twice"));
      }
      f.by_name_[t.name] = f.tensors_.size();
      f.tensors_.push_back(std::move(t));
    }
  } catch (const Truncated& t) {
    return absl::DataLossError(absl::StrCat(path, ": truncated in the ", where, " at byte ", t.at));
  }
  int64_t alignment = 32;
  if (f.metadata_.count("general.alignment")) {
    ASCENT_ASSIGN_OR_RETURN(alignment, f.get_int("general.alignment"));
  }
  if (alignment <= 0 || (alignment & (alignment - 1)) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": general.alignment ", alignment, " is not a power of 2"));
  }
  const size_t data_start = (c.pos() + alignment - 1) / alignment * alignment;
  f.data_ = f.map_.data() + data_start;
  const size_t data_size = data_start <= f.map_.size() ? f.map_.size() - data_start : 0;
  for (GgufTensor& t : f.tensors_) {
    // The offset of every tensor is checked, also of a type refused later by name (found by fuzz/fuzz_gguf.cc:
    // data() of an offset near 2^64 overflowed the pointer).
    if (t.offset > data_size) {
      return absl::DataLossError(absl::StrCat(path, ": tensor ", t.name, ": offset ", t.offset,
                                              " past the end of the data (", data_size, " bytes)"));
    }
    const int64_t bytes = ggml_type_bytes(t.type, t.numel());
    if (bytes < 0) continue;  // an unsupported type: refused by name when it is read
    t.bytes = static_cast<uint64_t>(bytes);
    if (t.offset > data_size || t.bytes > data_size - t.offset) {
      return absl::DataLossError(absl::StrCat(path, ": tensor ", t.name, ": bytes [", t.offset, ", ",
                                              t.offset + t.bytes, ") past the end of the data (", data_size,
                                              ")"));
    }
  }
  return f;
}

const GgufTensor* GgufFile::tensor(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &tensors_[it->second];
}

absl::StatusOr<const GgufValue*> GgufFile::get(const std::string& key, GgufValue::Kind kind) const {
  auto it = metadata_.find(key);
  if (it == metadata_.end())
    return absl::NotFoundError(absl::StrCat(path_, ": metadata key ", key, " is missing"));
  if (it->second.kind != kind) {
    return absl::InvalidArgumentError(absl::StrCat(
        path_, ": metadata key ", key, ": ", kind_name(it->second.kind), ", expected ", kind_name(kind)));
  }
  return &it->second;
}

absl::StatusOr<int64_t> GgufFile::get_int(const std::string& key) const {
  ASCENT_ASSIGN_OR_RETURN(const GgufValue* v, get(key, GgufValue::Kind::kInt));
  return v->i;
}

absl::StatusOr<double> GgufFile::get_float(const std::string& key) const {
  auto it = metadata_.find(key);
  if (it != metadata_.end() && it->second.kind == GgufValue::Kind::kInt)
    return static_cast<double>(it->second.i);
  ASCENT_ASSIGN_OR_RETURN(const GgufValue* v, get(key, GgufValue::Kind::kFloat));
  return v->f;
}

absl::StatusOr<std::string> GgufFile::get_string(const std::string& key) const {
  ASCENT_ASSIGN_OR_RETURN(const GgufValue* v, get(key, GgufValue::Kind::kString));
  return v->s;
}

}  // namespace ascent
