// Ordering along one dim: aten::sort.values, aten::sort.values_stable and
// aten::topk.values, each giving values and their int64 source indices.
//
// The order is torch's: ascending or descending by value, NaN above every
// number; equal values keep their source order (every sort here is stable,
// and topk keeps the earliest of equal values). Both work in place in their
// outputs, with no scratch memory: sort copies a slice and heapsorts it, topk
// keeps a k-element heap of the best so far and sorts it at the end, so
// O(n log k). topk's results are sorted whatever `sorted` says (torch leaves
// the order unspecified when it is false).
#include <type_traits>

#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace portable {
namespace {

/// Values compare as float for the 16-bit float types, else as themselves.
template <typename T>
using Key = typename std::conditional<std::is_same<T, Half>::value ||
                                          std::is_same<T, BFloat16>::value,
                                      float, T>::type;

/// -1, 0 or 1 as x is below, equal to or above y, NaN above everything
/// (two NaNs are equal).
template <typename K>
int compare(K x, K y) {
  const bool xn = x != x, yn = y != y;
  if (xn || yn) return xn == yn ? 0 : (xn ? 1 : -1);
  return x < y ? -1 : (y < x ? 1 : 0);
}

/// One slice along dim of the outputs: values (T) and indices (int64),
/// each with its stride, ordered ascending or descending.
template <typename T>
struct Slice {
  T* v;
  int64_t vs;
  int64_t* i;
  int64_t is;
  bool descending;

  Key<T> key(int64_t a) const { return static_cast<Key<T>>(load(v + a * vs)); }
  /// True if (x, ix) comes before (y, iy) in the result.
  bool before(Key<T> x, int64_t ix, Key<T> y, int64_t iy) const {
    const int c = descending ? compare(y, x) : compare(x, y);
    return c < 0 || (c == 0 && ix < iy);
  }
  bool before(int64_t a, int64_t b) const { return before(key(a), i[a * is], key(b), i[b * is]); }
  void swap(int64_t a, int64_t b) {
    const T tv = v[a * vs];
    v[a * vs] = v[b * vs];
    v[b * vs] = tv;
    const int64_t ti = i[a * is];
    i[a * is] = i[b * is];
    i[b * is] = ti;
  }
  /// Heap of [0, end) with the element that comes last at the root.
  void sift_down(int64_t root, int64_t end) {
    for (;;) {
      int64_t c = 2 * root + 1;
      if (c >= end) return;
      if (c + 1 < end && before(c, c + 1)) ++c;
      if (!before(root, c)) return;
      swap(root, c);
      root = c;
    }
  }
  void sift_up(int64_t node) {
    while (node > 0) {
      const int64_t parent = (node - 1) / 2;
      if (!before(parent, node)) return;
      swap(parent, node);
      node = parent;
    }
  }
  /// Sort a heap of [0, n) into order.
  void sort_heap(int64_t n) {
    for (int64_t end = n - 1; end > 0; --end) {
      swap(0, end);
      sift_down(0, end);
    }
  }
};

/// What one call orders: the slices of self along dim and the outputs'.
struct Walk {
  int64_t n = 1;  ///< slice length
  int64_t k = 1;  ///< outputs per slice
  int64_t self_step = 0, values_step = 0, indices_step = 0;  ///< strides along dim
  StridedLoop loop;  ///< over every other dim: self, values, indices
};

/// Steps 1-2 shared by sort and topk: check dtypes and dim, size the
/// outputs (self's sizes with k along dim; a 0-d self gives 0-d outputs) and
/// set up the walk over slices.
bool prepare(KernelContext& ctx, const char* op, const Tensor& self, int64_t dim_arg, int64_t k,
             bool k_given, Tensor& values, Tensor& indices, Walk& w) {
  if (!check_dtype(ctx, op, "values", values, self.dtype())) return false;
  if (!check_dtype(ctx, op, "indices", indices, ScalarType::Long)) return false;
  int64_t dim = 0;
  if (!normalize_dim(dim_arg, self.dim(), &dim)) {
    return kernel_fail(ctx, Error::InvalidArgument, op,
                       "dim %lld is out of range for a %d-d tensor",
                       static_cast<long long>(dim_arg), static_cast<int>(self.dim()));
  }
  const int ndim = self.dim();
  int64_t sizes[kMaxRank];
  tensor_sizes(self, sizes);
  w.n = ndim == 0 ? 1 : sizes[dim];
  w.k = k_given ? k : w.n;
  if (w.k < 0 || w.k > w.n) {
    return kernel_fail(ctx, Error::InvalidArgument, op,
                       "k = %lld is out of range for a dim of size %lld", static_cast<long long>(k),
                       static_cast<long long>(w.n));
  }
  if (ndim > 0) sizes[dim] = w.k;
  if (!resize_out(ctx, op, "values", values, sizes, ndim)) return false;
  if (!resize_out(ctx, op, "indices", indices, sizes, ndim)) return false;
  if (ndim == 0) w.k = 1;  // torch: a 0-d input gives its one element even for k = 0
  int64_t s_self[kMaxRank], s_values[kMaxRank], s_indices[kMaxRank];
  tensor_strides(self, s_self);
  tensor_strides(values, s_values);
  tensor_strides(indices, s_indices);
  if (ndim > 0) {
    w.self_step = s_self[dim];
    w.values_step = s_values[dim];
    w.indices_step = s_indices[dim];
    sizes[dim] = 1;
  }
  const int64_t* strides[3] = {s_self, s_values, s_indices};
  w.loop.init(ndim, sizes, 3, strides);
  return true;
}

/// Step 3: order every slice. sort: copy the slice and heapsort it. topk:
/// push each element into a heap of the best k (the root is the one that
/// would come last), then sort the heap.
template <typename T>
void order_slices(const Walk& w, const Tensor& self, Tensor& values, Tensor& indices,
                  bool descending) {
  const T* src = self.data_as<const T>();
  T* dst = values.data_as<T>();
  int64_t* idx = indices.data_as<int64_t>();
  w.loop.run([&](const int64_t* off, int64_t rows, const int64_t* st) {
    for (int64_t r = 0; r < rows; ++r) {
      const T* x = src + off[0] + r * st[0];
      Slice<T> s{dst + off[1] + r * st[1], w.values_step, idx + off[2] + r * st[2],
                 w.indices_step, descending};
      int64_t m = 0;
      for (int64_t j = 0; j < w.n; ++j) {
        const T value = x[j * w.self_step];
        if (m < w.k) {
          s.v[m * s.vs] = value;
          s.i[m * s.is] = j;
          s.sift_up(m++);
        } else if (w.k > 0 && s.before(static_cast<Key<T>>(load(&value)), j, s.key(0),
                                       s.i[0])) {
          s.v[0] = value;
          s.i[0] = j;
          s.sift_down(0, w.k);
        }
      }
      s.sort_heap(m);
    }
  });
}

/// Step 3 over self's dtype; `allow_bool` is false for topk (as torch).
void run(KernelContext& ctx, const char* op, const Walk& w, const Tensor& self, Tensor& values,
         Tensor& indices, bool descending, bool allow_bool) {
  bool supported = allow_bool || self.dtype() != ScalarType::Bool;
  if (supported) {
    EMBER_SWITCH_ALL(self.dtype(), supported = false,
                     order_slices<CTYPE>(w, self, values, indices, descending));
  }
  EMBER_KERNEL_CHECK(ctx, supported, NotSupported, op, "dtype %s is not supported",
                     scalar_type_name(self.dtype()));
}

}  // namespace

void sort_values(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::sort.values";
  ArgReader r(ctx, args, op, 6);  // the two outs, then one entry for the returned pair
  Tensor* self = r.tensor(0, "self");
  const int64_t dim = r.integer(1, "dim");
  const bool descending = r.boolean(2, "descending");
  Tensor* values = r.tensor(3, "values");
  Tensor* indices = r.tensor(4, "indices");
  if (!r.ok()) return;
  Walk w;
  if (!prepare(ctx, op, *self, dim, 0, false, *values, *indices, w)) return;
  run(ctx, op, w, *self, *values, *indices, descending, true);
}

void sort_values_stable(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::sort.values_stable";
  ArgReader r(ctx, args, op, 7);
  Tensor* self = r.tensor(0, "self");
  // stable (bool?) needs no reading: every sort here is stable. Check its tag only.
  const EValue* stable = r.ok() ? args[1] : nullptr;
  if (r.ok() && (stable == nullptr || !(stable->is_none() || stable->is_bool()))) {
    r.fail(Error::InvalidArgument, "argument 1 (stable) should be a bool or None");
  }
  const int64_t dim = r.integer(2, "dim");
  const bool descending = r.boolean(3, "descending");
  Tensor* values = r.tensor(4, "values");
  Tensor* indices = r.tensor(5, "indices");
  if (!r.ok()) return;
  Walk w;
  if (!prepare(ctx, op, *self, dim, 0, false, *values, *indices, w)) return;
  run(ctx, op, w, *self, *values, *indices, descending, true);
}

void topk_values(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::topk.values";
  ArgReader r(ctx, args, op, 8);
  Tensor* self = r.tensor(0, "self");
  const int64_t k = r.integer(1, "k");
  const int64_t dim = r.integer(2, "dim");
  const bool largest = r.boolean(3, "largest");
  r.boolean(4, "sorted");  // results are always sorted
  Tensor* values = r.tensor(5, "values");
  Tensor* indices = r.tensor(6, "indices");
  if (!r.ok()) return;
  Walk w;
  if (!prepare(ctx, op, *self, dim, k, true, *values, *indices, w)) return;
  run(ctx, op, w, *self, *values, *indices, largest, false);
}

}  // namespace portable
}  // namespace ember
