// Tests for the mutable-buffer kernels: aten::copy_ (broadcast, cast, dim
// orders, the result value) and aten::index_put.out (int64/int32 indices,
// None dims, adjacent and separated index tensors, bool masks, negative
// indices, accumulate, in place) and ember::update_cache.out (index_put of one
// index tensor at one dim, in place and not), each against a naive reference
// loop, plus rejections that must name the op and write nothing.
#include <random>

#include "tests/runtime/kernels/kernel_test_util.h"

namespace ember {
namespace test {
namespace {

/// Row-major logical index -> coordinates of `sizes`.
std::vector<int64_t> coords(int64_t i, const std::vector<int32_t>& sizes) {
  std::vector<int64_t> c(sizes.size());
  for (int d = static_cast<int>(sizes.size()) - 1; d >= 0; --d) {
    c[d] = i % sizes[d];
    i /= sizes[d];
  }
  return c;
}

/// Logical (row-major) element of a broadcast source at `c` (coordinates of the target).
int64_t broadcast_index(const std::vector<int64_t>& c, const std::vector<int32_t>& src) {
  int64_t idx = 0;
  const size_t lead = c.size() - src.size();
  for (size_t d = 0; d < src.size(); ++d) {
    idx = idx * src[d] + (src[d] == 1 ? 0 : c[d + lead]);
  }
  return idx;
}

// --- copy_ ---------------------------------------------------------------

TEST(CopyInPlace, SameShapeAndBroadcast) {
  Values v;
  auto self = make_f({2, 3}, {0, 0, 0, 0, 0, 0});
  auto src = make_f({2, 3}, {1, 2, 3, 4, 5, 6});
  ASSERT_EQ(run("aten::copy_", {self->ev(), src->ev(), v.boolean(false), self->ev()}), Error::Ok);
  EXPECT_EQ(self->get<float>(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  auto row = make_f({3}, {7, 8, 9});
  ASSERT_EQ(run("aten::copy_", {self->ev(), row->ev(), v.boolean(false), self->ev()}), Error::Ok);
  EXPECT_EQ(self->get<float>(), (std::vector<float>{7, 8, 9, 7, 8, 9}));
  auto col = make_f({2, 1}, {-1, -2});
  ASSERT_EQ(run("aten::copy_", {self->ev(), col->ev(), v.boolean(false), self->ev()}), Error::Ok);
  EXPECT_EQ(self->get<float>(), (std::vector<float>{-1, -1, -1, -2, -2, -2}));
  auto scalar = make_f({}, {0.5f});
  ASSERT_EQ(run("aten::copy_", {self->ev(), scalar->ev(), v.boolean(true), self->ev()}),
            Error::Ok);
  EXPECT_EQ(self->get<float>(), std::vector<float>(6, 0.5f));
}

TEST(CopyInPlace, CastsAndDimOrders) {
  Values v;
  auto self = make(ScalarType::Float, {3});
  auto src = make_typed<int64_t>(ScalarType::Long, {3}, {-3, 0, 1LL << 40});
  ASSERT_EQ(run("aten::copy_", {self->ev(), src->ev(), v.boolean(false), self->ev()}), Error::Ok);
  EXPECT_EQ(self->get<float>(), (std::vector<float>{-3.0f, 0.0f, 1099511627776.0f}));
  auto ints = make(ScalarType::Int, {3});
  auto f = make_f({3}, {1.9f, -1.9f, 0.0f});
  ASSERT_EQ(run("aten::copy_", {ints->ev(), f->ev(), v.boolean(false), ints->ev()}), Error::Ok);
  EXPECT_EQ(ints->get<int32_t>(), (std::vector<int32_t>{1, -1, 0}));
  auto bools = make(ScalarType::Bool, {3});
  ASSERT_EQ(run("aten::copy_", {bools->ev(), f->ev(), v.boolean(false), bools->ev()}), Error::Ok);
  EXPECT_EQ(bools->get<bool>(), (std::vector<bool>{true, true, false}));

  // A channels-last self takes a contiguous src (and a broadcast one) by logical position.
  const std::vector<float> xs = random_floats(1 * 2 * 2 * 3, 3);
  auto cl = make(ScalarType::Float, {1, 2, 2, 3}, {0, 2, 3, 1});
  auto x = make_f({1, 2, 2, 3}, xs);
  ASSERT_EQ(run("aten::copy_", {cl->ev(), x->ev(), v.boolean(false), cl->ev()}), Error::Ok);
  EXPECT_EQ(cl->get<float>(), xs);
  auto bias = make_f({2, 1, 1}, {10, 20});
  ASSERT_EQ(run("aten::copy_", {cl->ev(), bias->ev(), v.boolean(false), cl->ev()}), Error::Ok);
  const std::vector<float> got = cl->get<float>();
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], i < 6 ? 10.0f : 20.0f) << i;
}

// Random shapes and broadcasts against a naive loop, int64 src into float32 self.
TEST(CopyInPlace, RandomBroadcastMatchesReference) {
  std::mt19937 gen(7);
  for (int trial = 0; trial < 50; ++trial) {
    Values v;
    const int rank = 1 + static_cast<int>(gen() % 4);
    std::vector<int32_t> sizes(rank), src_sizes;
    for (int32_t& s : sizes) s = 1 + static_cast<int32_t>(gen() % 4);
    const int src_rank = static_cast<int>(gen() % (rank + 1));
    for (int d = rank - src_rank; d < rank; ++d) src_sizes.push_back(gen() % 2 ? sizes[d] : 1);
    int64_t n_src = 1;
    for (int32_t s : src_sizes) n_src *= s;
    std::vector<int64_t> src_vals(static_cast<size_t>(n_src));
    for (int64_t& x : src_vals) x = static_cast<int64_t>(gen() % 1000) - 500;
    auto self = make(ScalarType::Float, sizes);
    auto src = make_typed<int64_t>(ScalarType::Long, src_sizes, src_vals);
    ASSERT_EQ(run("aten::copy_", {self->ev(), src->ev(), v.boolean(false), self->ev()}),
              Error::Ok);
    const std::vector<float> got = self->get<float>();
    for (size_t i = 0; i < got.size(); ++i) {
      const int64_t want = src_vals[static_cast<size_t>(
          broadcast_index(coords(static_cast<int64_t>(i), sizes), src_sizes))];
      ASSERT_EQ(got[i], static_cast<float>(want)) << "trial " << trial << " at " << i;
    }
  }
}

// The result value is normally self; another tensor named there gets self's contents.
TEST(CopyInPlace, SeparateResultValue) {
  Values v;
  auto self = make_f({2}, {0, 0});
  auto src = make_f({2}, {3, 4});
  auto result = make(ScalarType::Float, {2});
  ASSERT_EQ(run("aten::copy_", {self->ev(), src->ev(), v.boolean(false), result->ev()}),
            Error::Ok);
  EXPECT_EQ(self->get<float>(), (std::vector<float>{3, 4}));
  EXPECT_EQ(result->get<float>(), (std::vector<float>{3, 4}));
}

TEST(CopyInPlace, Rejections) {
  Values v;
  auto self = make_f({2, 3}, {1, 2, 3, 4, 5, 6});
  auto wide = make_f({4}, {1, 2, 3, 4});
  {
    LogCapture log;
    EXPECT_EQ(run("aten::copy_", {self->ev(), wide->ev(), v.boolean(false), self->ev()}),
              Error::InvalidArgument);
    EXPECT_TRUE(log.contains("aten::copy_"));
  }
  auto big = make_f({2, 2, 3}, std::vector<float>(12, 1.0f));
  EXPECT_EQ(run("aten::copy_", {self->ev(), big->ev(), v.boolean(false), self->ev()}),
            Error::InvalidArgument);
  EXPECT_EQ(self->get<float>(), (std::vector<float>{1, 2, 3, 4, 5, 6}));  // untouched
  EXPECT_EQ(run("aten::copy_", {self->ev(), wide->ev(), v.boolean(false)}),
            Error::InvalidArgument);  // argument count
  auto u16 = make(ScalarType::UInt16, {3});
  EXPECT_EQ(run("aten::copy_", {self->ev(), u16->ev(), v.boolean(false), self->ev()}),
            Error::NotSupported);
}

// --- index_put.out ---------------------------------------------------------

/// Owns an OptionalTensorList EValue (nullptr items are None).
struct IndexList {
  std::vector<EValue*> items;
  EValue value;
  explicit IndexList(std::vector<TestTensor*> tensors) {
    for (TestTensor* t : tensors) items.push_back(t != nullptr ? t->ev() : nullptr);
    value.tag = Tag::OptionalTensorList;
    value.payload.as_tensor_list.items = items.data();
    value.payload.as_tensor_list.size = items.size();
  }
  EValue* ev() { return &value; }
};

Error index_put(TestTensor* self, IndexList& indices, TestTensor* values, bool accumulate,
                TestTensor* out, size_t temp = 8 << 20) {
  Values v;
  return run("aten::index_put.out",
             {self->ev(), indices.ev(), values->ev(), v.boolean(accumulate), out->ev(), out->ev()},
             temp);
}

// The pattern of a KV-cache / counter update: one row replaced, out distinct from self.
TEST(IndexPut, ReplacesRow) {
  auto cache = make_f({4, 3}, random_floats(12, 1));
  const std::vector<float> before = cache->get<float>();
  auto idx = make_typed<int64_t>(ScalarType::Long, {1}, {2});
  auto x = make_f({1, 3}, {7, 8, 9});
  auto out = make(ScalarType::Float, {4, 3});
  IndexList indices({idx.get()});
  ASSERT_EQ(index_put(cache.get(), indices, x.get(), false, out.get()), Error::Ok);
  std::vector<float> want = before;
  want[6] = 7;
  want[7] = 8;
  want[8] = 9;
  EXPECT_EQ(out->get<float>(), want);
  EXPECT_EQ(cache->get<float>(), before);  // self untouched
  // In place (out is self), with a negative index and broadcast values.
  auto neg = make_typed<int64_t>(ScalarType::Long, {1}, {-1});
  auto five = make_f({}, {5});
  IndexList last({neg.get()});
  ASSERT_EQ(index_put(cache.get(), last, five.get(), false, cache.get()), Error::Ok);
  want = before;
  want[9] = want[10] = want[11] = 5;
  EXPECT_EQ(cache->get<float>(), want);
}

TEST(IndexPut, AccumulateSumsDuplicates) {
  auto self = make(ScalarType::Float, {5});
  auto idx = make_typed<int64_t>(ScalarType::Long, {4}, {0, 1, 1, -1});
  auto vals = make_f({4}, {1, 2, 3, 4});
  IndexList indices({idx.get()});
  ASSERT_EQ(index_put(self.get(), indices, vals.get(), true, self.get()), Error::Ok);
  EXPECT_EQ(self->get<float>(), (std::vector<float>{1, 5, 0, 0, 4}));
  ASSERT_EQ(index_put(self.get(), indices, vals.get(), true, self.get()), Error::Ok);
  EXPECT_EQ(self->get<float>(), (std::vector<float>{2, 10, 0, 0, 8}));
  // int64 accumulate wraps instead of overflowing.
  auto big = make_typed<int64_t>(ScalarType::Long, {1}, {INT64_MAX});
  auto one = make_typed<int64_t>(ScalarType::Long, {1}, {1});
  auto zero = make_typed<int64_t>(ScalarType::Long, {1}, {0});
  IndexList first({zero.get()});
  ASSERT_EQ(index_put(big.get(), first, one.get(), true, big.get()), Error::Ok);
  EXPECT_EQ(big->get<int64_t>()[0], INT64_MIN);
}

// self[:, idx, :] = values with a None first: B sits in place of dim 1.
TEST(IndexPut, NoneThenIndexMatchesReference) {
  const std::vector<float> base = random_floats(2 * 4 * 3, 2);
  auto self = make_f({2, 4, 3}, base);
  auto idx = make_typed<int32_t>(ScalarType::Int, {2}, {3, 0});
  const std::vector<float> vals = random_floats(2 * 2 * 3, 3);
  auto values = make_f({2, 2, 3}, vals);
  auto out = make(ScalarType::Float, {2, 4, 3});
  IndexList indices({nullptr, idx.get()});
  ASSERT_EQ(index_put(self.get(), indices, values.get(), false, out.get()), Error::Ok);
  std::vector<float> want = base;
  const int rows[2] = {3, 0};
  for (int a = 0; a < 2; ++a)
    for (int j = 0; j < 2; ++j)
      for (int c = 0; c < 3; ++c) want[(a * 4 + rows[j]) * 3 + c] = vals[(a * 2 + j) * 3 + c];
  EXPECT_EQ(out->get<float>(), want);
}

// Two adjacent index tensors broadcast together (pairs), values broadcast.
TEST(IndexPut, AdjacentIndexPairs) {
  auto self = make(ScalarType::Float, {3, 4});
  auto rows = make_typed<int64_t>(ScalarType::Long, {2}, {0, 2});
  auto cols = make_typed<int64_t>(ScalarType::Long, {2}, {1, 3});
  auto one = make_f({1}, {9});
  IndexList indices({rows.get(), cols.get()});
  ASSERT_EQ(index_put(self.get(), indices, one.get(), false, self.get()), Error::Ok);
  std::vector<float> want(12, 0.0f);
  want[0 * 4 + 1] = 9;
  want[2 * 4 + 3] = 9;
  EXPECT_EQ(self->get<float>(), want);
  // rows [2, 1] x cols [2] broadcast to B = [2, 2]: a 2x2 block.
  auto rcol = make_typed<int64_t>(ScalarType::Long, {2, 1}, {1, 2});
  auto block = make_f({2, 2}, {1, 2, 3, 4});
  IndexList grid({rcol.get(), cols.get()});
  ASSERT_EQ(index_put(self.get(), grid, block.get(), false, self.get()), Error::Ok);
  const std::vector<float> got = self->get<float>();
  EXPECT_EQ(got[1 * 4 + 1], 1);
  EXPECT_EQ(got[1 * 4 + 3], 2);
  EXPECT_EQ(got[2 * 4 + 1], 3);
  EXPECT_EQ(got[2 * 4 + 3], 4);
}

// Index tensors separated by a None: B comes first in the region.
TEST(IndexPut, SeparatedIndicesPutBFirst) {
  const std::vector<float> base = random_floats(3 * 4 * 5, 4);
  auto self = make_f({3, 4, 5}, base);
  auto i0 = make_typed<int64_t>(ScalarType::Long, {2}, {2, 0});
  auto i2 = make_typed<int64_t>(ScalarType::Long, {2}, {4, 1});
  const std::vector<float> vals = random_floats(2 * 4, 5);
  auto values = make_f({2, 4}, vals);  // region [B=2, kept dim 1 = 4]
  auto out = make(ScalarType::Float, {3, 4, 5});
  IndexList indices({i0.get(), nullptr, i2.get()});
  ASSERT_EQ(index_put(self.get(), indices, values.get(), false, out.get()), Error::Ok);
  std::vector<float> want = base;
  const int a[2] = {2, 0}, c[2] = {4, 1};
  for (int b = 0; b < 2; ++b)
    for (int j = 0; j < 4; ++j) want[(a[b] * 4 + j) * 5 + c[b]] = vals[b * 4 + j];
  EXPECT_EQ(out->get<float>(), want);
}

TEST(IndexPut, BoolMasks) {
  auto self = make_f({2, 3}, {1, 2, 3, 4, 5, 6});
  auto mask = make_typed<bool>(ScalarType::Bool, {2, 3}, {true, false, true, false, false, true});
  auto vals = make_f({3}, {10, 20, 30});
  IndexList whole({mask.get()});
  ASSERT_EQ(index_put(self.get(), whole, vals.get(), false, self.get()), Error::Ok);
  EXPECT_EQ(self->get<float>(), (std::vector<float>{10, 2, 20, 4, 5, 30}));
  // A 1-d mask on dim 1 after a None: region [2, N=2], values broadcast per row.
  auto cols = make_typed<bool>(ScalarType::Bool, {3}, {false, true, true});
  auto row_vals = make_f({2, 1}, {-1, -2});
  IndexList second({nullptr, cols.get()});
  ASSERT_EQ(index_put(self.get(), second, row_vals.get(), true, self.get()), Error::Ok);
  EXPECT_EQ(self->get<float>(), (std::vector<float>{10, 1, 19, 4, 3, 28}));
  // Without temp memory the mask cannot be expanded: a clean failure.
  EXPECT_EQ(index_put(self.get(), whole, vals.get(), false, self.get(), 0),
            Error::MemoryAllocationFailed);
}

// Random single-dim index_put (dim 0 or 1, optional None), accumulate or not,
// int dtypes too, against a naive loop.
TEST(IndexPut, RandomMatchesReference) {
  std::mt19937 gen(11);
  for (int trial = 0; trial < 60; ++trial) {
    const std::vector<int32_t> sizes = {1 + static_cast<int32_t>(gen() % 4),
                                        1 + static_cast<int32_t>(gen() % 4),
                                        1 + static_cast<int32_t>(gen() % 3)};
    const int dim = static_cast<int>(gen() % 2);
    const bool accumulate = gen() % 2;
    const int32_t n_idx = 1 + static_cast<int32_t>(gen() % 5);
    std::vector<int64_t> idx(static_cast<size_t>(n_idx));
    for (int64_t& i : idx) {
      i = static_cast<int64_t>(gen() % (2 * sizes[dim])) - sizes[dim];  // negatives too
    }
    if (!accumulate) {  // duplicates without accumulate keep an unspecified one
      std::vector<bool> seen(static_cast<size_t>(sizes[dim]), false);
      std::vector<int64_t> unique;
      for (int64_t i : idx) {
        const int64_t w = i < 0 ? i + sizes[dim] : i;
        if (!seen[static_cast<size_t>(w)]) unique.push_back(i);
        seen[static_cast<size_t>(w)] = true;
      }
      idx = unique;
    }
    const int32_t n = static_cast<int32_t>(idx.size());
    std::vector<int32_t> region = sizes;
    region[dim] = n;
    const int64_t self_numel = int64_t{sizes[0]} * sizes[1] * sizes[2];
    const int64_t region_numel = int64_t{region[0]} * region[1] * region[2];
    std::vector<int64_t> base(static_cast<size_t>(self_numel)), vals(static_cast<size_t>(region_numel));
    for (int64_t& x : base) x = static_cast<int64_t>(gen() % 100);
    for (int64_t& x : vals) x = static_cast<int64_t>(gen() % 100);
    auto self = make_typed<int64_t>(ScalarType::Long, sizes, base);
    auto index = make_typed<int64_t>(ScalarType::Long, {n}, idx);
    auto values = make_typed<int64_t>(ScalarType::Long, region, vals);
    auto out = make(ScalarType::Long, sizes);
    IndexList indices(dim == 0 ? std::vector<TestTensor*>{index.get()}
                               : std::vector<TestTensor*>{nullptr, index.get()});
    ASSERT_EQ(index_put(self.get(), indices, values.get(), accumulate, out.get()), Error::Ok);
    std::vector<int64_t> want = base;
    for (int64_t r = 0; r < region_numel; ++r) {
      std::vector<int64_t> c = coords(r, region);
      int64_t i = idx[static_cast<size_t>(c[dim])];
      c[dim] = i < 0 ? i + sizes[dim] : i;
      const size_t at = static_cast<size_t>((c[0] * sizes[1] + c[1]) * sizes[2] + c[2]);
      want[at] = accumulate ? want[at] + vals[static_cast<size_t>(r)] : vals[static_cast<size_t>(r)];
    }
    ASSERT_EQ(out->get<int64_t>(), want) << "trial " << trial;
  }
}

TEST(IndexPut, RejectionsWriteNothing) {
  const std::vector<float> base = {1, 2, 3, 4, 5, 6};
  auto self = make_f({2, 3}, base);
  auto vals = make_f({3}, {7, 8, 9});
  auto out_of_range = make_typed<int64_t>(ScalarType::Long, {2}, {0, 2});
  IndexList bad({out_of_range.get()});
  {
    LogCapture log;
    EXPECT_EQ(index_put(self.get(), bad, vals.get(), false, self.get()), Error::InvalidArgument);
    EXPECT_TRUE(log.contains("aten::index_put.out"));
    EXPECT_TRUE(log.contains("out of bounds"));
  }
  EXPECT_EQ(self->get<float>(), base);  // the valid index 0 was not written either
  auto zero = make_typed<int64_t>(ScalarType::Long, {1}, {0});
  auto ints = make_typed<int32_t>(ScalarType::Int, {3}, {1, 2, 3});
  IndexList ok({zero.get()});
  EXPECT_EQ(index_put(self.get(), ok, ints.get(), false, self.get()), Error::InvalidArgument);
  auto wide = make_f({4}, {1, 2, 3, 4});
  EXPECT_EQ(index_put(self.get(), ok, wide.get(), false, self.get()), Error::InvalidArgument);
  IndexList too_many({zero.get(), zero.get(), zero.get()});
  EXPECT_EQ(index_put(self.get(), too_many, vals.get(), false, self.get()), Error::InvalidArgument);
  auto float_index = make_f({1}, {0});
  IndexList fi({float_index.get()});
  EXPECT_EQ(index_put(self.get(), fi, vals.get(), false, self.get()), Error::NotSupported);
  auto bad_mask = make_typed<bool>(ScalarType::Bool, {3}, {true, false, true});
  IndexList bm({bad_mask.get()});
  EXPECT_EQ(index_put(self.get(), bm, vals.get(), false, self.get()), Error::InvalidArgument);
  EXPECT_EQ(self->get<float>(), base);
}

// --- update_cache ---------------------------------------------------------

Error update_cache(TestTensor* cache, TestTensor* indices, TestTensor* value, int64_t dim,
                   TestTensor* out) {
  Values v;
  return run("ember::update_cache.out",
             {cache->ev(), indices->ev(), value->ev(), v.integer(dim), out->ev(), out->ev()});
}

// Random caches, dims, positions (negative too, int64 and int32) and dtypes
// against index_put's result with the same one index tensor: out of place
// (the cache untouched) and in place (out is the cache).
TEST(UpdateCache, MatchesIndexPut) {
  std::mt19937 gen(5);
  for (int trial = 0; trial < 80; ++trial) {
    const int rank = 1 + static_cast<int>(gen() % 4);
    std::vector<int32_t> sizes(static_cast<size_t>(rank));
    for (int32_t& s : sizes) s = 1 + static_cast<int32_t>(gen() % 5);
    const int dim = static_cast<int>(gen() % rank);
    // Distinct positions (duplicates keep an unspecified one in index_put).
    std::vector<int64_t> pos;
    for (int32_t p = 0; p < sizes[dim]; ++p)
      if (gen() % 2) pos.push_back(gen() % 2 ? p : p - sizes[dim]);
    if (pos.empty()) pos.push_back(0);
    std::shuffle(pos.begin(), pos.end(), gen);
    std::vector<int32_t> vsizes = sizes;
    vsizes[dim] = static_cast<int32_t>(pos.size());
    int64_t numel = 1, vnumel = 1;
    for (int d = 0; d < rank; ++d) numel *= sizes[d], vnumel *= vsizes[d];
    const std::vector<float> base = random_floats(numel, trial);
    const std::vector<float> vals = random_floats(vnumel, 99 + trial);
    const bool int32 = trial % 2;
    std::vector<int32_t> pos32(pos.begin(), pos.end());
    const int32_t count = static_cast<int32_t>(pos.size());
    auto index = int32 ? make_typed<int32_t>(ScalarType::Int, {count}, pos32)
                       : make_typed<int64_t>(ScalarType::Long, {count}, pos);
    auto value = make_f(vsizes, vals);
    auto self = make_f(sizes, base);
    auto want = make(ScalarType::Float, sizes);
    std::vector<TestTensor*> list(static_cast<size_t>(dim), nullptr);
    list.push_back(index.get());
    IndexList indices(list);
    ASSERT_EQ(index_put(self.get(), indices, value.get(), false, want.get()), Error::Ok);
    auto out = make(ScalarType::Float, sizes);
    ASSERT_EQ(update_cache(self.get(), index.get(), value.get(), dim - (trial % 3 == 0 ? rank : 0),
                           out.get()),
              Error::Ok);
    EXPECT_EQ(out->get<float>(), want->get<float>()) << "trial " << trial;
    EXPECT_EQ(self->get<float>(), base) << "trial " << trial;
    ASSERT_EQ(update_cache(self.get(), index.get(), value.get(), dim, self.get()), Error::Ok);
    EXPECT_EQ(self->get<float>(), want->get<float>()) << "trial " << trial;
  }
}

// A KV cache [1, H, S, D] in bf16 and int8 (bytes are bytes), one decode step.
TEST(UpdateCache, OtherDtypes) {
  auto cache = make_typed<int8_t>(ScalarType::Char, {1, 2, 3, 2}, std::vector<int8_t>(12, 0));
  auto pos = make_typed<int64_t>(ScalarType::Long, {1}, {1});
  auto kv = make_typed<int8_t>(ScalarType::Char, {1, 2, 1, 2}, {1, 2, 3, 4});
  ASSERT_EQ(update_cache(cache.get(), pos.get(), kv.get(), 2, cache.get()), Error::Ok);
  EXPECT_EQ(cache->get<int8_t>(), (std::vector<int8_t>{0, 0, 1, 2, 0, 0, 0, 0, 3, 4, 0, 0}));
  auto half = make(ScalarType::BFloat16, {2, 2});
  auto row = make(ScalarType::BFloat16, {1, 2});
  row->set<uint16_t>({0x3f80, 0xc000});  // 1.0, -2.0
  ASSERT_EQ(update_cache(half.get(), pos.get(), row.get(), 0, half.get()), Error::Ok);
  EXPECT_EQ(half->get<uint16_t>(), (std::vector<uint16_t>{0, 0, 0x3f80, 0xc000}));
}

TEST(UpdateCache, RejectionsWriteNothing) {
  const std::vector<float> base = {1, 2, 3, 4, 5, 6};
  auto cache = make_f({3, 2}, base);
  auto row = make_f({1, 2}, {7, 8});
  auto past_end = make_typed<int64_t>(ScalarType::Long, {1}, {3});
  auto before = make_typed<int64_t>(ScalarType::Long, {1}, {-4});
  auto one = make_typed<int64_t>(ScalarType::Long, {1}, {1});
  auto two = make_typed<int64_t>(ScalarType::Long, {2}, {0, 1});
  auto matrix = make_typed<int64_t>(ScalarType::Long, {1, 1}, {0});
  auto floats = make_f({1}, {0});
  auto wide = make_f({1, 3}, {7, 8, 9});
  auto ints = make_typed<int32_t>(ScalarType::Int, {1, 2}, {7, 8});
  {
    LogCapture log;
    EXPECT_EQ(update_cache(cache.get(), past_end.get(), row.get(), 0, cache.get()),
              Error::InvalidArgument);
    EXPECT_TRUE(log.contains("ember::update_cache.out"));
    EXPECT_TRUE(log.contains("index 3 is out of bounds for dim 0 of size 3"));
  }
  EXPECT_EQ(update_cache(cache.get(), before.get(), row.get(), 0, cache.get()),
            Error::InvalidArgument);
  EXPECT_EQ(update_cache(cache.get(), two.get(), row.get(), 0, cache.get()),
            Error::InvalidArgument);  // 2 positions, 1 row
  EXPECT_EQ(update_cache(cache.get(), matrix.get(), row.get(), 0, cache.get()),
            Error::InvalidArgument);
  EXPECT_EQ(update_cache(cache.get(), floats.get(), row.get(), 0, cache.get()),
            Error::InvalidArgument);
  EXPECT_EQ(update_cache(cache.get(), one.get(), wide.get(), 0, cache.get()),
            Error::InvalidArgument);
  EXPECT_EQ(update_cache(cache.get(), one.get(), ints.get(), 0, cache.get()),
            Error::InvalidArgument);
  EXPECT_EQ(update_cache(cache.get(), one.get(), row.get(), 2, cache.get()),
            Error::InvalidArgument);
  EXPECT_EQ(cache->get<float>(), base);
}

}  // namespace
}  // namespace test
}  // namespace ember
