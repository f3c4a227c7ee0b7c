// Kernel-level tests of the indexing family that Python cannot reach:
// index.Tensor_out (masks with a dynamic output, any dim order), index_select,
// embedding, gather, the scatter family (every reduction, with and without
// scratch memory, in place), sort and topk, each against a naive reference
// loop over permuted dim orders; and rejections that must name the op, return
// the right Error and write nothing, including indices that change while the
// kernel writes (an index tensor sharing memory with out).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>

#include "runtime/core/half.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace ember {
namespace test {
namespace {

/// Owns a Tensor?[] EValue (nullptr items are None).
struct Indices {
  std::vector<EValue*> items;
  EValue value;
  explicit Indices(std::vector<TestTensor*> tensors) {
    for (TestTensor* t : tensors) items.push_back(t != nullptr ? t->ev() : nullptr);
    value.tag = Tag::OptionalTensorList;
    value.payload.as_tensor_list.items = items.data();
    value.payload.as_tensor_list.size = items.size();
  }
  EValue* ev() { return &value; }
};

/// Row-major logical index -> coordinates of `sizes`.
std::vector<int64_t> coords(int64_t i, const std::vector<int32_t>& sizes) {
  std::vector<int64_t> c(sizes.size());
  for (int d = static_cast<int>(sizes.size()) - 1; d >= 0; --d) {
    c[d] = i % sizes[d];
    i /= sizes[d];
  }
  return c;
}

/// Coordinates -> row-major logical index.
int64_t flat(const std::vector<int64_t>& c, const std::vector<int32_t>& sizes) {
  int64_t i = 0;
  for (size_t d = 0; d < sizes.size(); ++d) i = i * sizes[d] + c[d];
  return i;
}

int64_t numel(const std::vector<int32_t>& sizes) {
  int64_t n = 1;
  for (int32_t s : sizes) n *= s;
  return n;
}

/// A random permutation of 0..rank-1 as a dim order.
std::vector<uint8_t> random_order(int rank, std::mt19937& gen) {
  std::vector<uint8_t> order(static_cast<size_t>(rank));
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), gen);
  return order;
}

Error index(TestTensor* self, Indices& indices, TestTensor* out, size_t temp = 8 << 20) {
  return run("aten::index.Tensor_out", {self->ev(), indices.ev(), out->ev(), out->ev()}, temp);
}

// --- index.Tensor_out --------------------------------------------------------

// x[:, idx] on a channels-last self into a channels-last out, negative indices.
TEST(IndexTensor, ChannelsLastSelfAndOut) {
  const std::vector<int32_t> sizes = {2, 3, 4, 5};
  const std::vector<float> xs = random_floats(120, 1);
  auto self = make_f(sizes, xs, {0, 2, 3, 1});
  auto idx = make_typed<int64_t>(ScalarType::Long, {4}, {2, -1, 0, -3});
  auto out = make(ScalarType::Float, {2, 4, 4, 5}, {0, 2, 3, 1});
  Indices indices({nullptr, idx.get()});
  ASSERT_EQ(index(self.get(), indices, out.get()), Error::Ok);
  const int rows[4] = {2, 2, 0, 0};
  const std::vector<float> got = out->get<float>();
  for (int64_t i = 0; i < 2 * 4 * 4 * 5; ++i) {
    std::vector<int64_t> c = coords(i, {2, 4, 4, 5});
    c[1] = rows[c[1]];
    ASSERT_EQ(got[i], xs[flat(c, sizes)]) << i;
  }
}

// Random 3-d selves, six placements of one or two 1-d index tensors (int64
// with negatives, or int32), against a naive loop; permuted dim orders.
TEST(IndexTensor, RandomPatternsMatchReference) {
  std::mt19937 gen(5);
  // Which self dims carry an index (the rest are None, up to the last index).
  const std::vector<std::vector<int>> patterns = {{0}, {1}, {2}, {0, 1}, {1, 2}, {0, 2}};
  for (int trial = 0; trial < 60; ++trial) {
    const std::vector<int>& dims = patterns[trial % patterns.size()];
    std::vector<int32_t> sizes = {1 + static_cast<int32_t>(gen() % 4),
                                  1 + static_cast<int32_t>(gen() % 4),
                                  1 + static_cast<int32_t>(gen() % 4)};
    const int32_t n = static_cast<int32_t>(gen() % 4);  // may be 0: an empty result
    const bool int32 = gen() % 2;
    std::vector<std::vector<int64_t>> vals(dims.size());
    std::vector<TensorPtr> owned;
    std::vector<TestTensor*> entries(static_cast<size_t>(dims.back() + 1), nullptr);
    for (size_t k = 0; k < dims.size(); ++k) {
      const int32_t size = sizes[dims[k]];
      for (int32_t j = 0; j < n; ++j) {
        vals[k].push_back(static_cast<int64_t>(gen() % (2 * size)) - size);
      }
      if (int32) {
        owned.push_back(make_typed<int32_t>(ScalarType::Int, {n},
                                            std::vector<int32_t>(vals[k].begin(), vals[k].end())));
      } else {
        owned.push_back(make_typed<int64_t>(ScalarType::Long, {n}, vals[k]));
      }
      entries[dims[k]] = owned.back().get();
    }
    // Region: B = [n] in place of adjacent indexed dims, else first.
    const bool adjacent = dims.size() == 1 || dims[1] == dims[0] + 1;
    std::vector<int32_t> region;
    std::vector<int> source;  // per region dim: self dim, or -1 for B
    for (int d = 0; d <= 3; ++d) {
      if (d == (adjacent ? dims[0] : 0)) {
        region.push_back(n);
        source.push_back(-1);
      }
      if (d < 3 && std::find(dims.begin(), dims.end(), d) == dims.end()) {
        region.push_back(sizes[d]);
        source.push_back(d);
      }
    }
    const std::vector<float> xs = random_floats(static_cast<size_t>(numel(sizes)), trial);
    auto self = make_f(sizes, xs, random_order(3, gen));
    auto out = make(ScalarType::Float, region, random_order(static_cast<int>(region.size()), gen));
    Indices indices(entries);
    ASSERT_EQ(index(self.get(), indices, out.get()), Error::Ok) << "trial " << trial;
    const std::vector<float> got = out->get<float>();
    for (int64_t r = 0; r < numel(region); ++r) {
      const std::vector<int64_t> rc = coords(r, region);
      std::vector<int64_t> c(3);
      int64_t b = 0;
      for (size_t d = 0; d < region.size(); ++d) {
        if (source[d] >= 0) c[source[d]] = rc[d]; else b = rc[d];
      }
      for (size_t k = 0; k < dims.size(); ++k) {
        const int64_t v = vals[k][b];
        c[dims[k]] = v < 0 ? v + sizes[dims[k]] : v;
      }
      ASSERT_EQ(got[r], xs[flat(c, sizes)]) << "trial " << trial << " at " << r;
    }
  }
}

// Index tensors broadcast together: rows (2, 1) x cols (3) pick a 2x3 block.
TEST(IndexTensor, BroadcastIndexPairs) {
  auto self = make_f({3, 4}, {0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23});
  auto rows = make_typed<int64_t>(ScalarType::Long, {2, 1}, {2, 0});
  auto cols = make_typed<int32_t>(ScalarType::Int, {3}, {3, 1, -4});
  auto out = make(ScalarType::Float, {2, 3});
  Indices indices({rows.get(), cols.get()});
  ASSERT_EQ(index(self.get(), indices, out.get()), Error::Ok);
  EXPECT_EQ(out->get<float>(), (std::vector<float>{23, 21, 20, 3, 1, 0}));
}

// A mask's result size is data dependent: a dynamic out takes it.
TEST(IndexTensor, MasksGiveDynamicSizes) {
  auto self = make_f({2, 3}, {1, 2, 3, 4, 5, 6});
  auto mask = make_typed<bool>(ScalarType::Bool, {2, 3}, {true, false, true, false, false, true});
  auto out = make_dynamic(ScalarType::Float, 1, 6);
  Indices whole({mask.get()});
  ASSERT_EQ(index(self.get(), whole, out.get()), Error::Ok);
  EXPECT_EQ(out->shape(), (std::vector<int32_t>{3}));
  EXPECT_EQ(out->get<float>(), (std::vector<float>{1, 3, 6}));
  // A uint8 mask on dim 1 after a None: [2, N].
  auto cols = make_typed<uint8_t>(ScalarType::Byte, {3}, {0, 7, 1});
  auto out2 = make_dynamic(ScalarType::Float, 2, 6);
  Indices second({nullptr, cols.get()});
  ASSERT_EQ(index(self.get(), second, out2.get()), Error::Ok);
  EXPECT_EQ(out2->shape(), (std::vector<int32_t>{2, 2}));
  EXPECT_EQ(out2->get<float>(), (std::vector<float>{2, 3, 5, 6}));
  // A 1-d mask on dim 0 next to an int index on dim 1 (they broadcast: N = 1).
  auto rows = make_typed<bool>(ScalarType::Bool, {2}, {false, true});
  auto col = make_typed<int64_t>(ScalarType::Long, {1}, {-1});
  auto out3 = make_dynamic(ScalarType::Float, 1, 6);
  Indices mixed({rows.get(), col.get()});
  ASSERT_EQ(index(self.get(), mixed, out3.get()), Error::Ok);
  EXPECT_EQ(out3->get<float>(), (std::vector<float>{6}));
  // No true position: an empty result.
  auto none = make_typed<bool>(ScalarType::Bool, {2, 3}, std::vector<bool>(6, false));
  Indices empty({none.get()});
  ASSERT_EQ(index(self.get(), empty, out.get()), Error::Ok);
  EXPECT_EQ(out->shape(), (std::vector<int32_t>{0}));
  // Without temp memory the mask cannot be expanded: a clean failure.
  EXPECT_EQ(index(self.get(), whole, out.get(), 0), Error::MemoryAllocationFailed);
}

TEST(IndexTensor, RejectionsWriteNothing) {
  auto self = make_f({2, 3}, {1, 2, 3, 4, 5, 6});
  auto out = make_f({2, 3}, std::vector<float>(6, -7.0f));
  auto bad = make_typed<int64_t>(ScalarType::Long, {2}, {0, 2});
  Indices out_of_range({bad.get()});
  {
    LogCapture log;
    EXPECT_EQ(index(self.get(), out_of_range, out.get()), Error::InvalidArgument);
    EXPECT_TRUE(log.contains("aten::index.Tensor_out"));
    EXPECT_TRUE(log.contains("out of bounds"));
  }
  EXPECT_EQ(out->get<float>(), std::vector<float>(6, -7.0f));
  auto neg = make_typed<int64_t>(ScalarType::Long, {2}, {0, -3});
  Indices too_negative({neg.get()});
  EXPECT_EQ(index(self.get(), too_negative, out.get()), Error::InvalidArgument);
  auto zero = make_typed<int64_t>(ScalarType::Long, {2}, {0, 1});
  Indices too_many({zero.get(), zero.get(), zero.get()});
  EXPECT_EQ(index(self.get(), too_many, out.get()), Error::InvalidArgument);
  auto fidx = make_f({2}, {0, 1});
  Indices float_index({fidx.get()});
  EXPECT_EQ(index(self.get(), float_index, out.get()), Error::NotSupported);
  auto three = make_typed<int64_t>(ScalarType::Long, {3}, {0, 1, 2});
  Indices no_broadcast({zero.get(), three.get()});
  EXPECT_EQ(index(self.get(), no_broadcast, out.get()), Error::InvalidArgument);
  auto mask = make_typed<bool>(ScalarType::Bool, {3}, {true, false, true});
  Indices bad_mask({mask.get()});
  EXPECT_EQ(index(self.get(), bad_mask, out.get()), Error::InvalidArgument);
  Indices ok({zero.get()});
  auto int_out = make(ScalarType::Int, {2, 3});
  EXPECT_EQ(index(self.get(), ok, int_out.get()), Error::NotSupported);  // out's dtype
  auto wrong_shape = make(ScalarType::Float, {3, 2});
  EXPECT_EQ(index(self.get(), ok, wrong_shape.get()), Error::InvalidArgument);
  auto scalar = make_f({}, {1});
  EXPECT_EQ(index(scalar.get(), ok, out.get()), Error::InvalidArgument);  // 0-d self
  EXPECT_EQ(out->get<float>(), std::vector<float>(6, -7.0f));
  Values v;
  EXPECT_EQ(run("aten::index.Tensor_out", {self->ev(), ok.ev(), out->ev()}),
            Error::InvalidArgument);  // argument count
}

// --- index_select.out and embedding.out --------------------------------------

TEST(IndexSelect, PermutedOrdersAndReference) {
  std::mt19937 gen(3);
  for (int trial = 0; trial < 30; ++trial) {
    const std::vector<int32_t> sizes = {1 + static_cast<int32_t>(gen() % 4),
                                        1 + static_cast<int32_t>(gen() % 4),
                                        1 + static_cast<int32_t>(gen() % 4)};
    const int dim = static_cast<int>(gen() % 3);
    const int32_t n = static_cast<int32_t>(gen() % 5);
    std::vector<int32_t> idx(static_cast<size_t>(n));
    for (int32_t& i : idx) i = static_cast<int32_t>(gen() % sizes[dim]);
    const std::vector<float> xs = random_floats(static_cast<size_t>(numel(sizes)), trial);
    auto self = make_f(sizes, xs, random_order(3, gen));
    auto index = make_typed<int32_t>(ScalarType::Int, {n}, idx);
    std::vector<int32_t> out_sizes = sizes;
    out_sizes[dim] = n;
    auto out = make(ScalarType::Float, out_sizes, random_order(3, gen));
    Values v;
    ASSERT_EQ(run("aten::index_select.out",
                  {self->ev(), v.integer(dim - 3), index->ev(), out->ev(), out->ev()}),
              Error::Ok);
    const std::vector<float> got = out->get<float>();
    for (int64_t i = 0; i < numel(out_sizes); ++i) {
      std::vector<int64_t> c = coords(i, out_sizes);
      c[dim] = idx[c[dim]];
      ASSERT_EQ(got[i], xs[flat(c, sizes)]) << "trial " << trial;
    }
  }
}

TEST(IndexSelect, ZeroDAndRejections) {
  Values v;
  auto scalar = make_f({}, {4.5f});
  auto zero = make_typed<int64_t>(ScalarType::Long, {1}, {0});
  auto out0 = make(ScalarType::Float, {});
  ASSERT_EQ(run("aten::index_select.out",
                {scalar->ev(), v.integer(0), zero->ev(), out0->ev(), out0->ev()}),
            Error::Ok);
  EXPECT_EQ(out0->get<float>()[0], 4.5f);
  auto self = make_f({2, 3}, {1, 2, 3, 4, 5, 6});
  auto out = make_f({2, 2}, {9, 9, 9, 9});
  auto sel = [&](TestTensor* idx, int64_t dim) {
    return run("aten::index_select.out",
               {self->ev(), v.integer(dim), idx->ev(), out->ev(), out->ev()});
  };
  auto neg = make_typed<int64_t>(ScalarType::Long, {2}, {0, -1});  // ATen: no wrapping here
  {
    LogCapture log;
    EXPECT_EQ(sel(neg.get(), 1), Error::InvalidArgument);
    EXPECT_TRUE(log.contains("aten::index_select.out"));
  }
  auto big = make_typed<int64_t>(ScalarType::Long, {2}, {0, 3});
  EXPECT_EQ(sel(big.get(), 1), Error::InvalidArgument);
  auto two_d = make_typed<int64_t>(ScalarType::Long, {1, 2}, {0, 1});
  EXPECT_EQ(sel(two_d.get(), 1), Error::InvalidArgument);
  auto fidx = make_f({2}, {0, 1});
  EXPECT_EQ(sel(fidx.get(), 1), Error::NotSupported);
  auto ok = make_typed<int64_t>(ScalarType::Long, {2}, {0, 1});
  EXPECT_EQ(sel(ok.get(), 2), Error::InvalidArgument);  // dim
  EXPECT_EQ(out->get<float>(), std::vector<float>(4, 9.0f));
  ASSERT_EQ(sel(ok.get(), -1), Error::Ok);
  EXPECT_EQ(out->get<float>(), (std::vector<float>{1, 2, 4, 5}));
}

// A transposed weight, a column-major int32 index and a permuted out.
TEST(Embedding, PermutedOrdersMatchReference) {
  const std::vector<float> ws = random_floats(5 * 3, 9);
  auto weight = make_f({5, 3}, ws, {1, 0});
  auto indices = make_typed<int32_t>(ScalarType::Int, {2, 2}, {4, 0, 2, 4}, {1, 0});
  auto out = make(ScalarType::Float, {2, 2, 3}, {2, 0, 1});
  Values v;
  ASSERT_EQ(run("aten::embedding.out", {weight->ev(), indices->ev(), v.integer(0),
                                        v.boolean(false), v.boolean(false), out->ev(),
                                        out->ev()}),
            Error::Ok);
  const int rows[4] = {4, 0, 2, 4};
  const std::vector<float> got = out->get<float>();
  for (int i = 0; i < 12; ++i) EXPECT_EQ(got[i], ws[rows[i / 3] * 3 + i % 3]) << i;
  // Any index rank: a 3-d int64 index; a 0-d index gives one row.
  auto idx3 = make_typed<int64_t>(ScalarType::Long, {1, 2, 1}, {1, 3});
  auto out3 = make(ScalarType::Float, {1, 2, 1, 3});
  ASSERT_EQ(run("aten::embedding.out", {weight->ev(), idx3->ev(), v.integer(-1),
                                        v.boolean(false), v.boolean(false), out3->ev(),
                                        out3->ev()}),
            Error::Ok);
  EXPECT_EQ(out3->get<float>(), (std::vector<float>{ws[3], ws[4], ws[5], ws[9], ws[10], ws[11]}));
}

TEST(Embedding, Rejections) {
  Values v;
  auto weight = make_f({4, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  auto out = make_f({2, 2}, {9, 9, 9, 9});
  auto emb = [&](TestTensor* w, TestTensor* idx, TestTensor* o) {
    return run("aten::embedding.out", {w->ev(), idx->ev(), v.integer(-1), v.boolean(false),
                                       v.boolean(false), o->ev(), o->ev()});
  };
  auto neg = make_typed<int64_t>(ScalarType::Long, {2}, {0, -1});
  {
    LogCapture log;
    EXPECT_EQ(emb(weight.get(), neg.get(), out.get()), Error::InvalidArgument);
    EXPECT_TRUE(log.contains("aten::embedding.out"));
    EXPECT_TRUE(log.contains("out of bounds"));
  }
  auto big = make_typed<int64_t>(ScalarType::Long, {2}, {4, 0});
  EXPECT_EQ(emb(weight.get(), big.get(), out.get()), Error::InvalidArgument);
  auto fidx = make_f({2}, {0, 1});
  EXPECT_EQ(emb(weight.get(), fidx.get(), out.get()), Error::NotSupported);
  auto ok = make_typed<int64_t>(ScalarType::Long, {2}, {0, 1});
  auto flat_weight = make_f({8}, {1, 2, 3, 4, 5, 6, 7, 8});
  EXPECT_EQ(emb(flat_weight.get(), ok.get(), out.get()), Error::InvalidArgument);
  auto int_out = make(ScalarType::Long, {2, 2});
  EXPECT_EQ(emb(weight.get(), ok.get(), int_out.get()), Error::NotSupported);
  EXPECT_EQ(out->get<float>(), std::vector<float>(4, 9.0f));
}

// --- gather.out -----------------------------------------------------------------

TEST(Gather, RandomOrdersMatchReference) {
  std::mt19937 gen(21);
  for (int trial = 0; trial < 60; ++trial) {
    const std::vector<int32_t> sizes = {1 + static_cast<int32_t>(gen() % 4),
                                        1 + static_cast<int32_t>(gen() % 4),
                                        1 + static_cast<int32_t>(gen() % 4)};
    const int dim = static_cast<int>(gen() % 3);
    std::vector<int32_t> isizes(3);
    for (int d = 0; d < 3; ++d) {
      isizes[d] = d == dim ? static_cast<int32_t>(gen() % 6)
                           : static_cast<int32_t>(gen() % (sizes[d] + 1));
    }
    std::vector<int64_t> idx(static_cast<size_t>(numel(isizes)));
    for (int64_t& i : idx) i = static_cast<int64_t>(gen() % sizes[dim]);
    std::vector<int64_t> xs(static_cast<size_t>(numel(sizes)));
    for (int64_t& x : xs) x = static_cast<int64_t>(gen());
    auto self = make_typed<int64_t>(ScalarType::Long, sizes, xs, random_order(3, gen));
    auto index = make_typed<int64_t>(ScalarType::Long, isizes, idx, random_order(3, gen));
    auto out = make(ScalarType::Long, isizes, random_order(3, gen));
    Values v;
    ASSERT_EQ(run("aten::gather.out", {self->ev(), v.integer(dim), index->ev(),
                                       v.boolean(false), out->ev(), out->ev()}),
              Error::Ok);
    const std::vector<int64_t> got = out->get<int64_t>();
    for (int64_t i = 0; i < numel(isizes); ++i) {
      std::vector<int64_t> c = coords(i, isizes);
      c[dim] = idx[i];
      ASSERT_EQ(got[i], xs[flat(c, sizes)]) << "trial " << trial;
    }
  }
}

TEST(Gather, Rejections) {
  Values v;
  auto self = make_f({2, 3}, {1, 2, 3, 4, 5, 6});
  auto out = make_f({2, 2}, {9, 9, 9, 9});
  auto gather = [&](TestTensor* idx, int64_t dim, TestTensor* o) {
    return run("aten::gather.out",
               {self->ev(), v.integer(dim), idx->ev(), v.boolean(false), o->ev(), o->ev()});
  };
  auto bad = make_typed<int64_t>(ScalarType::Long, {2, 2}, {0, 1, 3, 0});
  {
    LogCapture log;
    EXPECT_EQ(gather(bad.get(), 1, out.get()), Error::InvalidArgument);
    EXPECT_TRUE(log.contains("aten::gather.out"));
  }
  auto neg = make_typed<int64_t>(ScalarType::Long, {2, 2}, {0, -1, 0, 0});
  EXPECT_EQ(gather(neg.get(), 1, out.get()), Error::InvalidArgument);
  auto rank1 = make_typed<int64_t>(ScalarType::Long, {2}, {0, 1});
  EXPECT_EQ(gather(rank1.get(), 1, out.get()), Error::InvalidArgument);
  auto tall = make_typed<int64_t>(ScalarType::Long, {3, 1}, {0, 1, 2});
  auto out31 = make(ScalarType::Float, {3, 1});
  EXPECT_EQ(gather(tall.get(), 1, out31.get()), Error::InvalidArgument);  // 3 rows > 2
  auto ok = make_typed<int64_t>(ScalarType::Long, {2, 2}, {0, 1, 2, 0});
  EXPECT_EQ(gather(ok.get(), 2, out.get()), Error::InvalidArgument);  // dim
  auto fidx = make_f({2, 2}, {0, 1, 0, 1});
  EXPECT_EQ(gather(fidx.get(), 1, out.get()), Error::NotSupported);
  auto int_out = make(ScalarType::Int, {2, 2});
  EXPECT_EQ(gather(ok.get(), 1, int_out.get()), Error::NotSupported);
  EXPECT_EQ(out->get<float>(), std::vector<float>(4, 9.0f));
  ASSERT_EQ(gather(ok.get(), -1, out.get()), Error::Ok);
  EXPECT_EQ(out->get<float>(), (std::vector<float>{1, 2, 6, 4}));
}

// --- scatter family ----------------------------------------------------------------

enum class Red { Assign, Sum, Prod, Mean, Amax, Amin };

/// Naive scatter over row-major index order (what the kernel does too).
std::vector<double> scatter_reference(const std::vector<double>& self,
                                      const std::vector<int32_t>& sizes, int dim,
                                      const std::vector<int64_t>& idx,
                                      const std::vector<int32_t>& isizes,
                                      const std::vector<double>& src,
                                      const std::vector<int32_t>& ssizes, Red red,
                                      bool include_self) {
  std::vector<double> out = self;
  std::vector<int64_t> count(out.size(), include_self ? 1 : 0);
  std::vector<bool> touched(out.size(), false);
  for (int64_t i = 0; i < numel(isizes); ++i) {
    std::vector<int64_t> c = coords(i, isizes);
    const double s = src[flat(c, ssizes)];
    c[dim] = idx[i];
    const size_t at = static_cast<size_t>(flat(c, sizes));
    if (!include_self && !touched[at]) {
      out[at] = s;
      touched[at] = true;
      count[at] = 1;
      continue;
    }
    touched[at] = true;
    ++count[at];
    double& o = out[at];
    switch (red) {
      case Red::Assign: o = s; break;
      case Red::Sum: case Red::Mean: o += s; break;
      case Red::Prod: o *= s; break;
      case Red::Amax: o = std::max(o, s); break;
      case Red::Amin: o = std::min(o, s); break;
    }
  }
  if (red == Red::Mean) {
    for (size_t i = 0; i < out.size(); ++i) {
      if (touched[i]) out[i] = std::floor(out[i] / static_cast<double>(count[i]));
    }
  }
  return out;
}

// Every reduction of scatter_reduce.two (and scatter_add, scatter.reduce),
// with and without self, on int64 values in permuted dim orders; mean
// with and without scratch memory (its quadratic fallback).
TEST(Scatter, RandomReductionsMatchReference) {
  std::mt19937 gen(8);
  const char* names[] = {"sum", "prod", "mean", "amax", "amin"};
  const Red reds[] = {Red::Sum, Red::Prod, Red::Mean, Red::Amax, Red::Amin};
  for (int trial = 0; trial < 80; ++trial) {
    const std::vector<int32_t> sizes = {1 + static_cast<int32_t>(gen() % 3),
                                        1 + static_cast<int32_t>(gen() % 4),
                                        1 + static_cast<int32_t>(gen() % 3)};
    const int dim = static_cast<int>(gen() % 3);
    std::vector<int32_t> isizes(3), ssizes(3);
    for (int d = 0; d < 3; ++d) {
      isizes[d] = d == dim ? static_cast<int32_t>(gen() % 6)
                           : static_cast<int32_t>(gen() % (sizes[d] + 1));
      ssizes[d] = isizes[d] + static_cast<int32_t>(gen() % 2);
    }
    std::vector<int64_t> idx(static_cast<size_t>(numel(isizes)));
    for (int64_t& i : idx) i = static_cast<int64_t>(gen() % sizes[dim]);
    std::vector<int64_t> xs(static_cast<size_t>(numel(sizes)));
    std::vector<int64_t> ss(static_cast<size_t>(numel(ssizes)));
    for (int64_t& x : xs) x = static_cast<int64_t>(gen() % 11) - 5;
    for (int64_t& s : ss) s = static_cast<int64_t>(gen() % 11) - 5;
    auto self = make_typed<int64_t>(ScalarType::Long, sizes, xs, random_order(3, gen));
    auto index = make_typed<int64_t>(ScalarType::Long, isizes, idx, random_order(3, gen));
    auto src = make_typed<int64_t>(ScalarType::Long, ssizes, ss, random_order(3, gen));
    auto out = make(ScalarType::Long, sizes, random_order(3, gen));
    const int r = trial % 5;
    const bool include_self = (trial / 5) % 2 == 0;
    const size_t temp = trial % 3 == 0 ? 0 : 8 << 20;
    Values v;
    ASSERT_EQ(run("aten::scatter_reduce.two_out",
                  {self->ev(), v.integer(dim), index->ev(), src->ev(), v.str(names[r]),
                   v.boolean(include_self), out->ev(), out->ev()}, temp),
              Error::Ok) << "trial " << trial;
    const std::vector<double> want = scatter_reference(
        std::vector<double>(xs.begin(), xs.end()), sizes, dim, idx, isizes,
        std::vector<double>(ss.begin(), ss.end()), ssizes, reds[r], include_self);
    const std::vector<int64_t> got = out->get<int64_t>();
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(static_cast<double>(got[i]), want[i]) << "trial " << trial << " " << names[r]
                                                      << " include_self " << include_self;
    }
    if (r == 0 && include_self) {  // scatter_add and scatter.reduce("add") agree with sum
      auto out2 = make(ScalarType::Long, sizes);
      ASSERT_EQ(run("aten::scatter_add.out", {self->ev(), v.integer(dim), index->ev(), src->ev(),
                                              out2->ev(), out2->ev()}),
                Error::Ok);
      EXPECT_EQ(out2->get<int64_t>(), got);
      ASSERT_EQ(run("aten::scatter.reduce_out", {self->ev(), v.integer(dim), index->ev(),
                                                 src->ev(), v.str("add"), out2->ev(),
                                                 out2->ev()}),
                Error::Ok);
      EXPECT_EQ(out2->get<int64_t>(), got);
    }
  }
}

// scatter.src with distinct targets, in place (out is self) and into a
// permuted out; scatter.value's conversions.
TEST(Scatter, SrcInPlaceAndValueConversions) {
  Values v;
  auto self = make_f({2, 3}, {1, 2, 3, 4, 5, 6});
  auto index = make_typed<int64_t>(ScalarType::Long, {1, 3}, {1, 0, 1});
  auto src = make_f({2, 4}, {10, 20, 30, 40, 50, 60, 70, 80});
  ASSERT_EQ(run("aten::scatter.src_out", {self->ev(), v.integer(0), index->ev(), src->ev(),
                                          self->ev(), self->ev()}),
            Error::Ok);
  EXPECT_EQ(self->get<float>(), (std::vector<float>{1, 20, 3, 10, 5, 30}));
  auto out = make(ScalarType::Float, {2, 3}, {1, 0});
  ASSERT_EQ(run("aten::scatter.value_out", {self->ev(), v.integer(-1), index->ev(), v.real(-0.5),
                                            out->ev(), out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->get<float>(), (std::vector<float>{-0.5f, -0.5f, 3, 10, 5, 30}));
  // Integer dtypes, as torch's Scalar::to: doubles truncate, an integer
  // wraps into uint8 only from -255..-1, out-of-range values fail.
  auto ints = make_typed<uint8_t>(ScalarType::Byte, {3}, {1, 2, 3});
  auto iout = make(ScalarType::Byte, {3});
  auto first = make_typed<int64_t>(ScalarType::Long, {1}, {0});
  auto value = [&](EValue* val) {
    return run("aten::scatter.value_out",
               {ints->ev(), v.integer(0), first->ev(), val, iout->ev(), iout->ev()});
  };
  ASSERT_EQ(value(v.real(7.9)), Error::Ok);
  EXPECT_EQ(iout->get<uint8_t>(), (std::vector<uint8_t>{7, 2, 3}));
  ASSERT_EQ(value(v.integer(-1)), Error::Ok);
  EXPECT_EQ(iout->get<uint8_t>(), (std::vector<uint8_t>{255, 2, 3}));
  const std::vector<uint8_t> before = iout->get<uint8_t>();
  EXPECT_EQ(value(v.integer(300)), Error::InvalidArgument);
  EXPECT_EQ(value(v.integer(-256)), Error::InvalidArgument);
  EXPECT_EQ(value(v.real(1e10)), Error::InvalidArgument);
  EXPECT_EQ(value(v.real(std::nan(""))), Error::InvalidArgument);
  EXPECT_EQ(value(v.real(-1.5)), Error::InvalidArgument);
  EXPECT_EQ(iout->get<uint8_t>(), before);  // nothing written
  auto bools = make_typed<bool>(ScalarType::Bool, {3}, {false, false, false});
  auto bout = make(ScalarType::Bool, {3});
  ASSERT_EQ(run("aten::scatter.value_out",
                {bools->ev(), v.integer(0), first->ev(), v.real(0.25), bout->ev(), bout->ev()}),
            Error::Ok);
  EXPECT_EQ(bout->get<bool>(), (std::vector<bool>{true, false, false}));
}

// Float reductions: NaN wins amax/amin; include_self=false starts from the
// first value (even -inf); Half mean rounds once; int8 products wrap.
TEST(Scatter, FloatNanHalfAndWrapping) {
  Values v;
  auto self = make_f({3}, {1, 2, 3});
  auto index = make_typed<int64_t>(ScalarType::Long, {4}, {0, 0, 1, 1});
  auto src = make_f({4}, {NAN, 5, -INFINITY, -INFINITY});
  auto out = make(ScalarType::Float, {3});
  auto two = [&](const char* red, bool include_self) {
    return run("aten::scatter_reduce.two_out",
               {self->ev(), v.integer(0), index->ev(), src->ev(), v.str(red),
                v.boolean(include_self), out->ev(), out->ev()});
  };
  ASSERT_EQ(two("amax", true), Error::Ok);
  std::vector<float> got = out->get<float>();
  EXPECT_TRUE(std::isnan(got[0]));
  EXPECT_EQ(got[1], 2.0f);
  ASSERT_EQ(two("amin", false), Error::Ok);
  got = out->get<float>();
  EXPECT_TRUE(std::isnan(got[0]));
  EXPECT_EQ(got[1], -INFINITY);
  EXPECT_EQ(got[2], 3.0f);
  auto halves = make_typed<Half>(ScalarType::Half, {2}, {Half(1.0f), Half(0.0f)});
  auto hidx = make_typed<int64_t>(ScalarType::Long, {2}, {0, 0});
  auto hsrc = make_typed<Half>(ScalarType::Half, {2}, {Half(0.5f), Half(0.25f)});
  auto hout = make(ScalarType::Half, {2});
  ASSERT_EQ(run("aten::scatter_reduce.two_out",
                {halves->ev(), v.integer(0), hidx->ev(), hsrc->ev(), v.str("mean"),
                 v.boolean(true), hout->ev(), hout->ev()}),
            Error::Ok);
  EXPECT_EQ(static_cast<float>(hout->get<Half>()[0]), static_cast<float>(Half(1.75f / 3.0f)));
  auto i8 = make_typed<int8_t>(ScalarType::Char, {1}, {100});
  auto i8idx = make_typed<int64_t>(ScalarType::Long, {1}, {0});
  auto i8src = make_typed<int8_t>(ScalarType::Char, {1}, {100});
  auto i8out = make(ScalarType::Char, {1});
  ASSERT_EQ(run("aten::scatter.reduce_out", {i8->ev(), v.integer(0), i8idx->ev(), i8src->ev(),
                                             v.str("multiply"), i8out->ev(), i8out->ev()}),
            Error::Ok);
  EXPECT_EQ(i8out->get<int8_t>()[0], static_cast<int8_t>(10000 & 0xff));
}

TEST(Scatter, RejectionsWriteNothing) {
  Values v;
  auto self = make_f({2, 3}, {1, 2, 3, 4, 5, 6});
  auto out = make_f({2, 3}, std::vector<float>(6, 9.0f));
  auto src = make_f({2, 3}, {1, 1, 1, 1, 1, 1});
  auto scatter = [&](const char* op, TestTensor* idx, TestTensor* s, int64_t dim,
                     const char* red = nullptr) {
    std::vector<EValue*> args = {self->ev(), v.integer(dim), idx->ev(), s->ev()};
    if (red != nullptr) args.push_back(v.str(red));
    if (std::strcmp(op, "aten::scatter_reduce.two_out") == 0) args.push_back(v.boolean(true));
    args.push_back(out->ev());
    args.push_back(out->ev());
    return run(op, args);
  };
  auto bad = make_typed<int64_t>(ScalarType::Long, {1, 3}, {0, 2, 1});
  {
    LogCapture log;
    EXPECT_EQ(scatter("aten::scatter.src_out", bad.get(), src.get(), 0), Error::InvalidArgument);
    EXPECT_TRUE(log.contains("aten::scatter.src_out"));
    EXPECT_TRUE(log.contains("out of bounds"));
  }
  auto neg = make_typed<int64_t>(ScalarType::Long, {1, 3}, {0, -1, 1});
  EXPECT_EQ(scatter("aten::scatter_add.out", neg.get(), src.get(), 0), Error::InvalidArgument);
  auto ok = make_typed<int64_t>(ScalarType::Long, {1, 3}, {0, 1, 1});
  EXPECT_EQ(scatter("aten::scatter.reduce_out", ok.get(), src.get(), 0, "max"),
            Error::InvalidArgument);
  EXPECT_EQ(scatter("aten::scatter_reduce.two_out", ok.get(), src.get(), 0, "add"),
            Error::InvalidArgument);  // scatter.reduce's name, not scatter_reduce's
  auto small_src = make_f({1, 2}, {1, 1});
  EXPECT_EQ(scatter("aten::scatter.src_out", ok.get(), small_src.get(), 0),
            Error::InvalidArgument);  // index wider than src
  auto wide = make_typed<int64_t>(ScalarType::Long, {1, 4}, {0, 0, 0, 0});
  auto wide_src = make_f({1, 4}, {1, 1, 1, 1});
  EXPECT_EQ(scatter("aten::scatter.src_out", wide.get(), wide_src.get(), 0),
            Error::InvalidArgument);  // index wider than self apart from dim
  auto rank1 = make_typed<int64_t>(ScalarType::Long, {3}, {0, 1, 1});
  EXPECT_EQ(scatter("aten::scatter.src_out", rank1.get(), src.get(), 0), Error::InvalidArgument);
  auto int_src = make(ScalarType::Int, {2, 3});
  EXPECT_EQ(scatter("aten::scatter.src_out", ok.get(), int_src.get(), 0), Error::NotSupported);
  EXPECT_EQ(scatter("aten::scatter.src_out", ok.get(), src.get(), 2), Error::InvalidArgument);
  EXPECT_EQ(out->get<float>(), std::vector<float>(6, 9.0f));
  auto bools = make(ScalarType::Bool, {3});
  auto bidx = make_typed<int64_t>(ScalarType::Long, {1}, {0});
  auto bout = make(ScalarType::Bool, {3});
  EXPECT_EQ(run("aten::scatter_reduce.two_out",
                {bools->ev(), v.integer(0), bidx->ev(), bools->ev(), v.str("mean"),
                 v.boolean(true), bout->ev(), bout->ev()}),
            Error::NotSupported);
}

// --- sort.values, sort.values_stable, topk.values ------------------------------

/// The stable order of one slice: NaN above every number, ties by index.
std::vector<int64_t> stable_order(const std::vector<float>& x, bool descending) {
  std::vector<int64_t> order(x.size());
  std::iota(order.begin(), order.end(), 0);
  auto key = [&](int64_t i) { return std::isnan(x[i]) ? INFINITY : x[i]; };
  auto rank = [&](int64_t i) { return std::isnan(x[i]) ? 1 : 0; };  // NaN above inf
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    if (descending) std::swap(a, b);
    return key(a) < key(b) || (key(a) == key(b) && rank(a) < rank(b));
  });
  return order;
}

// Random shapes with many ties and NaNs, every dim, both directions, sort
// (stable) and topk (the first k of that order), permuted orders.
TEST(SortTopk, RandomMatchesStableReference) {
  std::mt19937 gen(13);
  for (int trial = 0; trial < 80; ++trial) {
    const std::vector<int32_t> sizes = {1 + static_cast<int32_t>(gen() % 3),
                                        static_cast<int32_t>(gen() % 9),
                                        1 + static_cast<int32_t>(gen() % 3)};
    const int dim = static_cast<int>(gen() % 3);
    const bool descending = gen() % 2;
    const bool topk = trial % 2 == 1;
    const int32_t n = sizes[dim];
    const int32_t k = topk ? static_cast<int32_t>(gen() % (n + 1)) : n;
    std::vector<float> xs(static_cast<size_t>(numel(sizes)));
    for (float& x : xs) x = gen() % 9 == 0 ? NAN : static_cast<float>(gen() % 5) - 2.0f;
    std::vector<int32_t> osizes = sizes;
    osizes[dim] = k;
    auto self = make_f(sizes, xs, random_order(3, gen));
    auto values = make(ScalarType::Float, osizes, random_order(3, gen));
    auto indices = make(ScalarType::Long, osizes, random_order(3, gen));
    Values v;
    Error err;
    if (topk) {
      err = run("aten::topk.values", {self->ev(), v.integer(k), v.integer(dim),
                                      v.boolean(descending), v.boolean(true), values->ev(),
                                      indices->ev(), values->ev()});
    } else if (trial % 4 == 0) {
      err = run("aten::sort.values", {self->ev(), v.integer(dim - 3), v.boolean(descending),
                                      values->ev(), indices->ev(), values->ev()});
    } else {
      err = run("aten::sort.values_stable", {self->ev(), v.boolean(true), v.integer(dim),
                                             v.boolean(descending), values->ev(),
                                             indices->ev(), values->ev()});
    }
    ASSERT_EQ(err, Error::Ok) << "trial " << trial;
    const std::vector<float> got_v = values->get<float>();
    const std::vector<int64_t> got_i = indices->get<int64_t>();
    for (int64_t o = 0; o < numel(osizes); ++o) {
      std::vector<int64_t> c = coords(o, osizes);
      const int64_t pos = c[dim];
      std::vector<float> slice;
      for (int32_t j = 0; j < n; ++j) {
        c[dim] = j;
        slice.push_back(xs[flat(c, sizes)]);
      }
      const int64_t want = stable_order(slice, descending)[pos];
      ASSERT_EQ(got_i[o], want) << "trial " << trial << " at " << o;
      const float wv = slice[want];
      ASSERT_TRUE(std::isnan(wv) ? std::isnan(got_v[o]) : got_v[o] == wv) << "trial " << trial;
    }
  }
}

// Larger slices (the heap paths), int8 and Half values, a 0-d input.
TEST(SortTopk, LargeSlicesAndOtherDtypes) {
  Values v;
  const int n = 1000;
  std::vector<int8_t> xs(n);
  std::mt19937 gen(2);
  for (int8_t& x : xs) x = static_cast<int8_t>(gen());
  auto self = make_typed<int8_t>(ScalarType::Char, {n}, xs);
  auto values = make(ScalarType::Char, {10});
  auto indices = make(ScalarType::Long, {10});
  ASSERT_EQ(run("aten::topk.values", {self->ev(), v.integer(10), v.integer(0), v.boolean(false),
                                      v.boolean(false), values->ev(), indices->ev(),
                                      values->ev()}),
            Error::Ok);
  std::vector<float> as_float(xs.begin(), xs.end());
  const std::vector<int64_t> order = stable_order(as_float, false);
  for (int j = 0; j < 10; ++j) {
    EXPECT_EQ(indices->get<int64_t>()[j], order[j]);
    EXPECT_EQ(values->get<int8_t>()[j], xs[order[j]]);
  }
  auto all = make(ScalarType::Char, {n});
  auto all_i = make(ScalarType::Long, {n});
  ASSERT_EQ(run("aten::sort.values", {self->ev(), v.integer(0), v.boolean(true), all->ev(),
                                      all_i->ev(), all->ev()}),
            Error::Ok);
  const std::vector<int64_t> desc = stable_order(as_float, true);
  EXPECT_EQ(all_i->get<int64_t>(), desc);
  auto h = make_typed<Half>(ScalarType::Half, {3}, {Half(0.5f), Half(NAN), Half(-2.0f)});
  auto hv = make(ScalarType::Half, {3});
  auto hi = make(ScalarType::Long, {3});
  ASSERT_EQ(run("aten::sort.values", {h->ev(), v.integer(-1), v.boolean(false), hv->ev(),
                                      hi->ev(), hv->ev()}),
            Error::Ok);
  EXPECT_EQ(hi->get<int64_t>(), (std::vector<int64_t>{2, 0, 1}));
  auto scalar = make_f({}, {3.5f});
  auto sv = make(ScalarType::Float, {});
  auto si = make(ScalarType::Long, {});
  ASSERT_EQ(run("aten::topk.values", {scalar->ev(), v.integer(1), v.integer(-1), v.boolean(true),
                                      v.boolean(true), sv->ev(), si->ev(), sv->ev()}),
            Error::Ok);
  EXPECT_EQ(sv->get<float>()[0], 3.5f);
  EXPECT_EQ(si->get<int64_t>()[0], 0);
}

TEST(SortTopk, Rejections) {
  Values v;
  auto self = make_f({2, 3}, {1, 2, 3, 4, 5, 6});
  auto values = make(ScalarType::Float, {2, 3});
  auto indices = make(ScalarType::Long, {2, 3});
  auto topk = [&](int64_t k, int64_t dim, TestTensor* s, TestTensor* vals, TestTensor* idx) {
    return run("aten::topk.values", {s->ev(), v.integer(k), v.integer(dim), v.boolean(true),
                                     v.boolean(true), vals->ev(), idx->ev(), vals->ev()});
  };
  {
    LogCapture log;
    EXPECT_EQ(topk(4, 1, self.get(), values.get(), indices.get()), Error::InvalidArgument);
    EXPECT_TRUE(log.contains("aten::topk.values"));
  }
  EXPECT_EQ(topk(-1, 1, self.get(), values.get(), indices.get()), Error::InvalidArgument);
  EXPECT_EQ(topk(1, 2, self.get(), values.get(), indices.get()), Error::InvalidArgument);
  auto int_indices = make(ScalarType::Int, {2, 3});
  EXPECT_EQ(topk(3, 1, self.get(), values.get(), int_indices.get()), Error::NotSupported);
  auto int_values = make(ScalarType::Int, {2, 3});
  EXPECT_EQ(topk(3, 1, self.get(), int_values.get(), indices.get()), Error::NotSupported);
  auto bools = make(ScalarType::Bool, {2, 3});
  auto bvalues = make(ScalarType::Bool, {2, 3});
  EXPECT_EQ(topk(3, 1, bools.get(), bvalues.get(), indices.get()), Error::NotSupported);
  auto small = make(ScalarType::Float, {2, 2});
  EXPECT_EQ(topk(3, 1, self.get(), small.get(), indices.get()), Error::InvalidArgument);
  EXPECT_EQ(run("aten::sort.values_stable", {self->ev(), v.integer(1), v.integer(1),
                                             v.boolean(false), values->ev(), indices->ev(),
                                             values->ev()}),
            Error::InvalidArgument);  // stable must be a bool or None
  ASSERT_EQ(run("aten::sort.values_stable", {self->ev(), v.none(), v.integer(0),
                                             v.boolean(true), values->ev(), indices->ev(),
                                             values->ev()}),
            Error::Ok);
  EXPECT_EQ(values->get<float>(), (std::vector<float>{4, 5, 6, 1, 2, 3}));
  // bool sorts (torch allows it), topk of bool does not.
  auto b = make_typed<bool>(ScalarType::Bool, {4}, {true, false, true, false});
  auto bi = make(ScalarType::Long, {4});
  auto bv = make(ScalarType::Bool, {4});
  ASSERT_EQ(run("aten::sort.values", {b->ev(), v.integer(0), v.boolean(false), bv->ev(),
                                      bi->ev(), bv->ev()}),
            Error::Ok);
  EXPECT_EQ(bi->get<int64_t>(), (std::vector<int64_t>{1, 3, 0, 2}));
}

// --- indices that change while the kernel writes ---------------------------------

// In a corrupted program an index tensor can share memory with out: checked
// first, then overwritten by the kernel's own writes. Each kernel reads its
// indices again as it uses them and fails cleanly (ASan/UBSan-clean).
TEST(IndexAliasingOut, EveryKernelRechecks) {
  Values v;
  // float64 0.1 is 0x3fb999999999999a: both int32 halves are out of range.
  auto self = make_typed<double>(ScalarType::Double, {4}, {0.1, 0.1, 0.1, 0.1});
  auto check_fails = [&](const char* op, Error err) {
    EXPECT_EQ(err, Error::InvalidArgument) << op;
  };
  {
    auto out = make(ScalarType::Double, {2});
    auto idx = make_typed<int32_t>(ScalarType::Int, {2}, {1, 1});
    idx->t().set_data(out->t().mutable_data());
    idx->t().data_as<int32_t>()[0] = 1;
    idx->t().data_as<int32_t>()[1] = 1;
    LogCapture log;
    check_fails("gather", run("aten::gather.out", {self->ev(), v.integer(0), idx->ev(),
                                                   v.boolean(false), out->ev(), out->ev()}));
    EXPECT_TRUE(log.contains("changed while writing"));
  }
  {
    auto out = make(ScalarType::Double, {2});
    auto idx = make_typed<int32_t>(ScalarType::Int, {2}, {1, 1});
    idx->t().set_data(out->t().mutable_data());
    idx->t().data_as<int32_t>()[0] = 1;
    idx->t().data_as<int32_t>()[1] = 1;
    check_fails("index_select", run("aten::index_select.out",
                                    {self->ev(), v.integer(0), idx->ev(), out->ev(), out->ev()}));
  }
  {
    auto out = make(ScalarType::Double, {4});
    auto idx = make_typed<int32_t>(ScalarType::Int, {2}, {0, 1});
    idx->t().set_data(out->t().mutable_data());  // copying self into out rewrites it
    idx->t().data_as<int32_t>()[0] = 0;
    idx->t().data_as<int32_t>()[1] = 1;
    check_fails("scatter", run("aten::scatter.value_out", {self->ev(), v.integer(0), idx->ev(),
                                                           v.real(2.0), out->ev(), out->ev()}));
  }
  {
    auto weight = make_typed<double>(ScalarType::Double, {4, 1}, {0.1, 0.1, 0.1, 0.1});
    auto out = make(ScalarType::Double, {2, 1});
    auto idx = make_typed<int32_t>(ScalarType::Int, {2}, {1, 1});
    idx->t().set_data(out->t().mutable_data());
    idx->t().data_as<int32_t>()[0] = 1;
    idx->t().data_as<int32_t>()[1] = 1;
    check_fails("embedding", run("aten::embedding.out",
                                 {weight->ev(), idx->ev(), v.integer(-1), v.boolean(false),
                                  v.boolean(false), out->ev(), out->ev()}));
  }
  {
    auto self2 = make_typed<double>(ScalarType::Double, {2, 2}, {0.1, 0.1, 0.1, 0.1});
    auto out = make(ScalarType::Double, {1, 2});
    auto idx = make_typed<int32_t>(ScalarType::Int, {1}, {1});
    idx->t().set_data(out->t().mutable_data());
    idx->t().data_as<int32_t>()[0] = 1;
    Indices indices({idx.get()});
    check_fails("index", index(self2.get(), indices, out.get()));
  }
}

}  // namespace
}  // namespace test
}  // namespace ember
