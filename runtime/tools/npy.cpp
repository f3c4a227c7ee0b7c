// .npy parsing: the magic, a version-dependent header length, and a Python
// dict literal with 'descr', 'fortran_order' and 'shape'.
#include "runtime/tools/npy.h"

#include <cstring>

namespace ember {
namespace npy {
namespace {

struct DescrEntry {
  const char* descr;
  ScalarType dtype;
};

const DescrEntry kDescrs[] = {
    {"<f4", ScalarType::Float},  {"<f8", ScalarType::Double}, {"<f2", ScalarType::Half},
    {"<i8", ScalarType::Long},   {"<i4", ScalarType::Int},    {"<i2", ScalarType::Short},
    {"|i1", ScalarType::Char},   {"|u1", ScalarType::Byte},   {"|b1", ScalarType::Bool},
    {"<u2", ScalarType::UInt16}, {"<u4", ScalarType::UInt32}, {"<u8", ScalarType::UInt64},
};

/// The text after `key` and the following ':' in the header dict, or npos.
size_t value_pos(const std::string& header, const char* key) {
  size_t k = header.find(key);
  if (k == std::string::npos) return k;
  k = header.find(':', k + std::strlen(key));
  if (k == std::string::npos) return k;
  ++k;
  while (k < header.size() && header[k] == ' ') ++k;
  return k;
}

}  // namespace

std::string descr(ScalarType dtype) {
  for (const DescrEntry& e : kDescrs) {
    if (e.dtype == dtype) return e.descr;
  }
  return "";
}

bool parse(const std::vector<uint8_t>& bytes, Array* out, std::string* error) {
  if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0) {
    *error = "not a .npy file (bad magic)";
    return false;
  }
  const uint8_t major = bytes[6];
  size_t header_len = 0;
  size_t header_start = 0;
  if (major == 1) {
    header_len = bytes[8] | (static_cast<size_t>(bytes[9]) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) {
      *error = "truncated .npy header";
      return false;
    }
    header_len = bytes[8] | (static_cast<size_t>(bytes[9]) << 8) |
                 (static_cast<size_t>(bytes[10]) << 16) | (static_cast<size_t>(bytes[11]) << 24);
    header_start = 12;
  } else {
    *error = "unsupported .npy version " + std::to_string(major);
    return false;
  }
  if (header_len > bytes.size() - header_start) {
    *error = "truncated .npy header";
    return false;
  }
  const std::string header(reinterpret_cast<const char*>(bytes.data()) + header_start, header_len);

  // 1. dtype.
  size_t p = value_pos(header, "'descr'");
  if (p == std::string::npos || p >= header.size() || header[p] != '\'') {
    *error = "no 'descr' in the .npy header";
    return false;
  }
  const size_t end = header.find('\'', p + 1);
  std::string d = header.substr(p + 1, end == std::string::npos ? 0 : end - p - 1);
  if (d.size() == 3 && d[0] == '=') d[0] = '<';  // native order on a little-endian host
  if (d.size() == 3 && d[2] == '1' && d[0] == '<') d[0] = '|';
  bool found = false;
  for (const DescrEntry& e : kDescrs) {
    if (d == e.descr) {
      out->dtype = e.dtype;
      found = true;
    }
  }
  if (!found) {
    *error = "unsupported .npy dtype '" + d + "'";
    return false;
  }

  // 2. Order.
  p = value_pos(header, "'fortran_order'");
  if (p == std::string::npos || header.compare(p, 5, "False") != 0) {
    *error = "only C-order .npy arrays are supported";
    return false;
  }

  // 3. Shape: a tuple of integers, possibly empty.
  p = value_pos(header, "'shape'");
  if (p == std::string::npos || header[p] != '(') {
    *error = "no 'shape' in the .npy header";
    return false;
  }
  out->shape.clear();
  size_t q = p + 1;
  uint64_t numel = 1;
  while (q < header.size() && header[q] != ')') {
    if (header[q] >= '0' && header[q] <= '9') {
      int64_t v = 0;
      while (q < header.size() && header[q] >= '0' && header[q] <= '9') {
        v = v * 10 + (header[q] - '0');
        if (v > (int64_t{1} << 40)) {
          *error = "absurd .npy shape";
          return false;
        }
        ++q;
      }
      out->shape.push_back(v);
      numel *= static_cast<uint64_t>(v);
      if (numel > (uint64_t{1} << 40)) {
        *error = "absurd .npy shape";
        return false;
      }
    } else {
      ++q;
    }
  }

  // 4. Body.
  const size_t elem = element_size(out->dtype);
  const size_t body = header_start + header_len;
  const uint64_t need = numel * elem;
  if (bytes.size() - body != need) {
    *error = "the .npy body has " + std::to_string(bytes.size() - body) + " bytes, the shape needs " +
             std::to_string(need);
    return false;
  }
  out->data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(body), bytes.end());
  return true;
}

std::vector<uint8_t> serialize(ScalarType dtype, const std::vector<int64_t>& shape,
                               const void* data, size_t nbytes) {
  std::string d = descr(dtype);
  if (d.empty()) {  // no NumPy dtype (bfloat16, quantized): write the raw bits as unsigned
    const size_t elem = element_size(dtype);
    d = elem == 2 ? "<u2" : elem == 4 ? "<u4" : elem == 8 ? "<u8" : "|u1";
  }
  std::string header = "{'descr': '" + d + "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < shape.size(); ++i) {
    header += std::to_string(shape[i]);
    if (shape.size() == 1 || i + 1 < shape.size()) header += ",";
    if (i + 1 < shape.size()) header += " ";
  }
  header += "), }";
  // Pad with spaces so that the data starts at a multiple of 64, then '\n'.
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  static const uint8_t kMagic[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  std::vector<uint8_t> out(10 + header.size() + nbytes);
  std::memcpy(out.data(), kMagic, sizeof(kMagic));
  out[8] = static_cast<uint8_t>(header.size() & 0xff);
  out[9] = static_cast<uint8_t>(header.size() >> 8);
  std::memcpy(out.data() + 10, header.data(), header.size());
  if (nbytes > 0) std::memcpy(out.data() + 10 + header.size(), data, nbytes);
  return out;
}

}  // namespace npy
}  // namespace ember
