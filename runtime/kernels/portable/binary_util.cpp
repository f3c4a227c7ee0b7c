// Type promotion, operand reading and the broadcasting prologue shared by the
// elementwise kernels (see binary_util.h).
#include "runtime/kernels/portable/binary_util.h"

namespace ember {
namespace portable {
namespace {

/// One tier of torch's ResultTypeState: the promotion of the dtypes seen.
struct Tier {
  bool set = false;
  ScalarType dtype = ScalarType::Bool;

  void add(ScalarType t) {
    dtype = set ? promote_types(dtype, t) : t;
    set = true;
  }
};

/// torch's combine_categories: the lower tier counts only when it is of a
/// higher category (or the higher tier is bool).
Tier combine(Tier higher, Tier lower) {
  if (!higher.set) return lower;
  if (!lower.set || is_floating_type(higher.dtype)) return higher;
  if (higher.dtype == ScalarType::Bool || is_floating_type(lower.dtype)) {
    higher.dtype = promote_types(higher.dtype, lower.dtype);
  }
  return higher;
}

}  // namespace

void read_tensor_operand(ArgReader& r, size_t i, const char* name, Operand* out) {
  Tensor* t = r.tensor(i, name);
  if (t == nullptr) return;
  out->tensor = t;
  out->dtype = t->dtype();
}

void read_scalar_operand(ArgReader& r, size_t i, const char* name, Operand* out) {
  const Scalar s = r.scalar(i, name);
  if (!r.ok()) return;
  out->tensor = nullptr;
  out->scalar = s;
  out->dtype = s.dtype();
}

ScalarType result_type(const Operand* ins, int n) {
  Tier dimensioned, zero_dim, wrapped;
  for (int k = 0; k < n; ++k) {
    const Operand& in = ins[k];
    if (in.is_scalar()) {
      wrapped.add(in.dtype == ScalarType::Double ? ScalarType::Float : in.dtype);
    } else if (in.dim() == 0) {
      zero_dim.add(in.dtype);
    } else {
      dimensioned.add(in.dtype);
    }
  }
  return combine(dimensioned, combine(zero_dim, wrapped)).dtype;
}

bool prepare_elementwise(KernelContext& ctx, const char* op, const Operand* ins, int n,
                         Tensor& out, ScalarType out_dtype, StridedLoop* loop) {
  // 1. Broadcast right-aligned shapes: each dim is 1 or the common size.
  int ndim = 0;
  for (int k = 0; k < n; ++k) ndim = ins[k].dim() > ndim ? ins[k].dim() : ndim;
  int64_t sizes[kMaxRank];
  for (int d = 0; d < ndim; ++d) sizes[d] = 1;
  for (int k = 0; k < n; ++k) {
    if (ins[k].is_scalar()) continue;
    const Tensor& t = *ins[k].tensor;
    const int lead = ndim - t.dim();
    for (int d = 0; d < t.dim(); ++d) {
      const int64_t s = t.size(d);
      int64_t& o = sizes[lead + d];
      if (s == o || s == 1) continue;
      if (o != 1) {
        return kernel_fail(ctx, Error::InvalidArgument, op,
                           "input shapes do not broadcast: %s against size %lld at dim %d",
                           sizes_text(t.sizes()).text, static_cast<long long>(o), lead + d);
      }
      o = s;
    }
  }
  // 2. The output: dtype, then sizes.
  if (!check_dtype(ctx, op, "out", out, out_dtype)) return false;
  if (!resize_out(ctx, op, "out", out, sizes, ndim)) return false;
  // 3. Strides of every operand over the broadcast shape (0 where broadcast).
  int64_t strides[kMaxOperands][kMaxRank] = {};
  const int64_t* rows[kMaxOperands];
  tensor_strides(out, strides[0]);
  rows[0] = strides[0];
  for (int k = 0; k < n; ++k) {
    if (!ins[k].is_scalar()) broadcast_strides(*ins[k].tensor, ndim, sizes, strides[k + 1]);
    rows[k + 1] = strides[k + 1];
  }
  loop->init(ndim, sizes, n + 1, rows);
  return true;
}

}  // namespace portable
}  // namespace ember
