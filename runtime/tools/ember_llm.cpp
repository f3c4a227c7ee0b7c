// ember_llm: generate text from an `ember.llm.export` .pte and a tokenizer
// file with the C++ runner (runtime/extension/llm/runner.h). Prints the text
// as it streams, then one stats line (load, time to first token, prefill and
// decode tokens per second, peak RSS) on stdout.
//
//   ember_llm MODEL.pte --tokenizer PATH --prompt TEXT [--max-new-tokens N]
//             [--temperature T] [--top-k K] [--top-p P] [--repetition-penalty R]
//             [--seed S] [--threads N] [--echo] [--no-bos]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "runtime/backends/test/test_backend.h"
#ifdef EMBER_HAVE_XNNPACK
#include "runtime/backends/xnnpack/xnnpack_backend.h"
#endif
#include "runtime/core/threadpool.h"
#include "runtime/extension/llm/runner.h"
#include "runtime/kernel/kernel.h"
#include "runtime/kernels/kernel_libraries.h"

namespace {

struct Options {
  std::string model;
  std::string tokenizer;
  std::string prompt;
  bool has_prompt = false;
  long threads = -1;  ///< -1: not given (one per core)
  ember::llm::GenerationConfig gen;
};

void usage() {
  std::fprintf(stderr,
               "usage: ember_llm MODEL.pte --tokenizer PATH --prompt TEXT [--max-new-tokens N]\n"
               "                 [--temperature T] [--top-k K] [--top-p P]\n"
               "                 [--repetition-penalty R] [--seed S] [--threads N] [--echo]\n"
               "                 [--no-bos]\n"
               "  MODEL.pte             written by ember.llm.export\n"
               "  --tokenizer PATH      tokenizer.json, a tiktoken file or a SentencePiece model\n"
               "  --max-new-tokens N    tokens to generate at most (default 128)\n"
               "  --temperature T       0: greedy (the default)\n"
               "  --top-k K, --top-p P  keep the K most likely tokens / the most likely ones\n"
               "                        holding P (defaults: 0 and 1, off)\n"
               "  --repetition-penalty R  HF's penalty on tokens seen (default 1, off)\n"
               "  --seed S              seed of the sampler (default 0)\n"
               "  --threads N           threads of the process's pool (0: one per core)\n"
               "  --echo                print the prompt before the generated text\n"
               "  --no-bos              do not start the prompt with the model's bos id\n");
}

int fail(const std::string& message) {
  std::fprintf(stderr, "ember_llm: %s\n", message.c_str());
  return 1;
}

bool parse_long(const char* s, long min, long max, long* out) {
  char* end = nullptr;
  const long v = std::strtol(s, &end, 10);
  if (end == s || *end != '\0' || v < min || v > max) return false;
  *out = v;
  return true;
}

bool parse_float(const char* s, float* out) {
  char* end = nullptr;
  const float v = std::strtof(s, &end);
  if (end == s || *end != '\0') return false;
  *out = v;
  return true;
}

bool parse_args(int argc, char** argv, Options* o, std::string* error) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char* v = nullptr;
    auto next = [&]() -> bool {
      if (i + 1 >= argc) {
        *error = a + " needs a value";
        return false;
      }
      v = argv[++i];
      return true;
    };
    auto bad = [&]() {
      *error = "bad value for " + a + ": " + v;
      return false;
    };
    long n = 0;
    if (a == "--help" || a == "-h") {
      usage();
      std::exit(0);
    } else if (a == "--echo") {
      o->gen.echo = true;
    } else if (a == "--no-bos") {
      o->gen.bos = 0;
    } else if (a == "--tokenizer") {
      if (!next()) return false;
      o->tokenizer = v;
    } else if (a == "--prompt") {
      if (!next()) return false;
      o->prompt = v;
      o->has_prompt = true;
    } else if (a == "--max-new-tokens" || a == "--top-k") {
      if (!next()) return false;
      if (!parse_long(v, 0, 1L << 30, &n)) return bad();
      (a == "--top-k" ? o->gen.top_k : o->gen.max_new_tokens) = static_cast<int32_t>(n);
    } else if (a == "--temperature" || a == "--top-p" || a == "--repetition-penalty") {
      if (!next()) return false;
      float* dst = a == "--temperature" ? &o->gen.temperature
                   : a == "--top-p"     ? &o->gen.top_p
                                        : &o->gen.repetition_penalty;
      if (!parse_float(v, dst)) return bad();
    } else if (a == "--seed") {
      if (!next()) return false;
      char* end = nullptr;
      o->gen.seed = std::strtoull(v, &end, 10);
      if (end == v || *end != '\0' || v[0] == '-') return bad();
    } else if (a == "--threads") {
      if (!next()) return false;
      if (!parse_long(v, 0, static_cast<long>(ember::kMaxThreads), &o->threads)) return bad();
    } else if (!a.empty() && a[0] == '-') {
      *error = "unknown flag " + a;
      return false;
    } else if (o->model.empty()) {
      o->model = a;
    } else {
      *error = "unexpected argument " + a;
      return false;
    }
  }
  if (o->model.empty()) *error = "no model given";
  else if (o->tokenizer.empty()) *error = "no --tokenizer given";
  else if (!o->has_prompt) *error = "no --prompt given";
  return error->empty();
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  std::string error;
  if (!parse_args(argc, argv, &opt, &error)) {
    usage();
    return fail(error);
  }
  // 1. Kernels and backends, then the pool (before loading: a backend binds
  //    it at init), as ember_run does.
  if (ember::register_kernel_libraries() != ember::Error::Ok) {
    return fail("cannot register the kernel libraries");
  }
  if (ember::register_test_backend() != ember::Error::Ok) {
    return fail("cannot register the EmberTestBackend backend");
  }
#ifdef EMBER_HAVE_XNNPACK
  if (ember::register_xnnpack_backend() != ember::Error::Ok) {
    return fail("cannot register the XnnpackBackend backend");
  }
#endif
  if (opt.threads >= 0 &&
      ember::set_num_threads(static_cast<size_t>(opt.threads)) != ember::Error::Ok) {
    return fail("cannot use " + std::to_string(opt.threads) + " threads");
  }

  // 2. Load, generate while printing, then the stats line.
  ember::Status st;
  std::unique_ptr<ember::llm::Runner> runner =
      ember::llm::Runner::load(opt.model, opt.tokenizer, {}, &st);
  if (!runner) return fail(st.text());
  ember::llm::Generation out;
  st = runner->generate(
      opt.prompt, opt.gen,
      [](const std::string& text) {
        std::fputs(text.c_str(), stdout);
        std::fflush(stdout);
      },
      &out);
  if (!st.ok()) {
    std::fputs("\n", stdout);
    return fail(st.text());
  }
  std::printf("\n%s | threads %zu\n", ember::llm::format_stats(out.stats).c_str(),
              ember::get_num_threads());
  return 0;
}
