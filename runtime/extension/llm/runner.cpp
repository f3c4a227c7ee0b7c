// The LLM runner of runner.h: checks that a program is an `ember.llm.export`
// before it runs one, then prefill in one forward call and decode one token a
// call, sampling with sampler.h and streaming text through TextStream.
#include "runtime/extension/llm/runner.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "runtime/platform/platform.h"

namespace ember {
namespace llm {

namespace {

// Error lines the tokenizer and the sampler log during a Runner call become
// the Status message (the Module does the same for its own calls).
thread_local std::string* t_lines = nullptr;
thread_local platform::LogSink t_previous = nullptr;

void capture_sink(platform::LogLevel level, const char* message) {
  if (t_lines != nullptr && level >= platform::LogLevel::Error && t_lines->size() < 4096) {
    if (!t_lines->empty()) *t_lines += "; ";
    *t_lines += message;
  }
  if (t_previous != nullptr) t_previous(level, message);
}

/// Installs capture_sink for one step; status() turns what it caught into a
/// Status. Lines of a step that succeeds anyway are printed at the end.
class LogCapture {
 public:
  LogCapture() {
    previous_ = platform::get_log_sink();
    if (previous_ != capture_sink) {
      t_previous = previous_;
      platform::set_log_sink(capture_sink);
    }
    outer_ = t_lines;
    t_lines = &lines_;
    sink_only_ = platform::set_errors_to_sink_only(true);
  }
  ~LogCapture() {
    platform::set_errors_to_sink_only(sink_only_);
    t_lines = outer_;
    if (previous_ != capture_sink) platform::set_log_sink(previous_);
    if (!reported_ && !lines_.empty()) std::fprintf(stderr, "[ember E] %s\n", lines_.c_str());
  }
  Status status(Error e, const std::string& context) {
    reported_ = true;
    return Status{e, lines_.empty() ? context : context + ": " + lines_};
  }

 private:
  std::string lines_;
  std::string* outer_ = nullptr;
  platform::LogSink previous_ = nullptr;
  bool sink_only_ = false;
  bool reported_ = false;
};

Status invalid(const std::string& message) { return Status{Error::InvalidArgument, message}; }

double ms_since(uint64_t start_ns) {
  return static_cast<double>(platform::now_ns() - start_ns) / 1e6;
}

/// The ints a constant method returns: one Int, an IntList, or one Int
/// output per item (how a list constant is emitted).
Status read_ints(Module& m, const std::string& name, std::vector<int64_t>* out) {
  std::vector<Value> outs;
  Status st = m.execute(name, {}, &outs);
  if (!st.ok()) return st;
  out->clear();
  for (const Value& v : outs) {
    if (v.tag == Tag::Int) {
      out->push_back(v.int_value);
    } else if (v.tag == Tag::IntList) {
      out->insert(out->end(), v.int_list.begin(), v.int_list.end());
    } else if (v.tag == Tag::Bool) {
      out->push_back(v.bool_value ? 1 : 0);
    } else {
      return invalid("not an LLM export: constant method '" + name + "' returns a value of kind " +
                     std::to_string(static_cast<unsigned>(v.tag)) + ", not an int");
    }
  }
  return Status();
}

/// `name` as one int; `found` false (and Ok) when the program lacks it.
Status read_int(Module& m, const std::vector<std::string>& methods, const std::string& name,
                int64_t* value, bool* found) {
  *found = std::find(methods.begin(), methods.end(), name) != methods.end();
  if (!*found) return Status();
  std::vector<int64_t> v;
  Status st = read_ints(m, name, &v);
  if (!st.ok()) return st;
  if (v.size() != 1) {
    return invalid("not an LLM export: constant method '" + name + "' returns " +
                   std::to_string(v.size()) + " values, not one int");
  }
  *value = v[0];
  return Status();
}

/// forward must take (tokens int64 [1, T], input_pos int64 [T]) and return
/// float32 [1, vocab]: what the runner feeds and reads.
Status check_forward(const Module& m, const std::string& path) {
  MethodInfo info;
  Status st = m.method_info("forward", &info);
  if (!st.ok()) return st;
  const std::string prefix = "not an LLM export: " + path + ": forward ";
  auto int64_tensor = [](const ValueInfo& v, size_t rank) {
    return v.tag == Tag::Tensor && v.dtype == ScalarType::Long && v.sizes.size() == rank;
  };
  if (info.inputs.size() != 2 || !int64_tensor(info.inputs[0], 2) ||
      !int64_tensor(info.inputs[1], 1)) {
    return invalid(prefix + "takes " + std::to_string(info.inputs.size()) +
                   " inputs, not (tokens int64 [1, T], input_pos int64 [T])");
  }
  if (info.outputs.empty() || info.outputs[0].tag != Tag::Tensor ||
      info.outputs[0].dtype != ScalarType::Float || info.outputs[0].sizes.size() != 2) {
    return invalid(prefix + "does not return float32 logits [1, vocab]");
  }
  return Status();
}

}  // namespace

const char* stop_reason_name(StopReason r) {
  switch (r) {
    case StopReason::MaxNewTokens: return "max_new_tokens";
    case StopReason::StopToken: return "stop token";
    case StopReason::CacheFull: return "cache full";
  }
  return "?";
}

long peak_rss_kib() {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return -1;
  char line[256];
  long kib = -1;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, "VmHWM:", 6) == 0) {
      kib = std::strtol(line + 6, nullptr, 10);
      break;
    }
  }
  std::fclose(f);
  return kib;
}

std::string format_stats(const GenerationStats& s) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "prompt %d tokens, generated %d (%s) | load %.1f ms | first token %.1f ms | "
                "prefill %.1f tok/s | decode %.1f tok/s | peak RSS %ld KiB",
                s.prompt_tokens, s.generated_tokens, stop_reason_name(s.stop_reason), s.load_ms,
                s.time_to_first_token_ms, s.prefill_tokens_per_s, s.decode_tokens_per_s,
                s.peak_rss_kib);
  return buf;
}

std::unique_ptr<Runner> Runner::load(const std::string& pte_path,
                                     const std::string& tokenizer_path,
                                     const RunnerOptions& options, Status* status) {
  const uint64_t start = platform::now_ns();
  std::unique_ptr<Runner> r(new Runner());
  auto fail = [status](Status st) {
    *status = std::move(st);
    return nullptr;
  };

  // 1. The program, and whether it is what ember.llm.export writes.
  r->module_ = Module::load(pte_path, status);
  if (!r->module_) return nullptr;
  Module& m = *r->module_;
  const std::vector<std::string> methods = m.method_names();
  for (const char* name : {"forward", "get_max_seq_len", "get_vocab_size", "use_kv_cache"}) {
    if (std::find(methods.begin(), methods.end(), name) == methods.end()) {
      return fail(invalid("not an LLM export: " + pte_path + " has no method '" + name +
                          "' (write one with ember.llm.export)"));
    }
  }
  Status st = check_forward(m, pte_path);
  if (!st.ok()) return fail(st);
  int64_t kv = 0;
  bool found = false;
  if (!(st = read_int(m, methods, "use_kv_cache", &kv, &found)).ok()) return fail(st);
  if (kv == 0) {
    return fail(invalid("not an LLM export: " + pte_path +
                        ": use_kv_cache is false (the runner needs the KV-cache export)"));
  }
  if (!(st = read_int(m, methods, "get_max_seq_len", &r->max_seq_len_, &found)).ok()) {
    return fail(st);
  }
  if (!(st = read_int(m, methods, "get_vocab_size", &r->vocab_size_, &found)).ok()) {
    return fail(st);
  }
  if (r->max_seq_len_ < 1 || r->vocab_size_ < 1 || r->vocab_size_ > INT32_MAX) {
    return fail(invalid("not an LLM export: " + pte_path + ": get_max_seq_len " +
                        std::to_string(r->max_seq_len_) + ", get_vocab_size " +
                        std::to_string(r->vocab_size_)));
  }
  if (!(st = read_int(m, methods, "get_bos_id", &r->bos_id_, &found)).ok()) return fail(st);
  if (!found) r->bos_id_ = -1;
  if (std::find(methods.begin(), methods.end(), "get_eos_ids") != methods.end()) {
    if (!(st = read_ints(m, "get_eos_ids", &r->eos_ids_)).ok()) return fail(st);
  }
  if (std::find(methods.begin(), methods.end(), "get_model_family") != methods.end()) {
    std::vector<Value> outs;
    if (m.execute("get_model_family", {}, &outs).ok() && !outs.empty() &&
        outs[0].tag == Tag::String) {
      r->family_ = outs[0].string_value;
    }
  }
  MethodInfo info;
  m.method_info("forward", &info);
  if (info.outputs[0].sizes[1] != r->vocab_size_) {
    return fail(invalid("not an LLM export: " + pte_path + ": forward returns " +
                        std::to_string(info.outputs[0].sizes[1]) +
                        " logits a token, get_vocab_size says " +
                        std::to_string(r->vocab_size_)));
  }

  // 2. The tokenizer, whose ids must all be ids of the model.
  {
    LogCapture capture;
    Result<std::unique_ptr<Tokenizer>> tok = load_tokenizer(tokenizer_path, options.tokenizer);
    if (!tok.ok()) return fail(capture.status(tok.error(), "cannot load tokenizer " + tokenizer_path));
    r->tokenizer_ = std::move(tok.get());
  }
  if (r->tokenizer_->vocab_size() > r->vocab_size_) {
    return fail(invalid("the tokenizer's vocabulary (" + tokenizer_path + ": " +
                        std::to_string(r->tokenizer_->vocab_size()) +
                        " tokens) is larger than the model's (" + pte_path + ": get_vocab_size " +
                        std::to_string(r->vocab_size_) + "): they do not belong together"));
  }

  // 3. forward's memory and kernels now, so that load errors come from load.
  if (!(st = m.load_method("forward")).ok()) return fail(st);
  r->tokens_buf_.reserve(static_cast<size_t>(r->max_seq_len_));
  r->pos_buf_.reserve(static_cast<size_t>(r->max_seq_len_));
  r->load_ms_ = ms_since(start);
  *status = Status();
  return r;
}

Status Runner::forward(const int64_t* tokens, int64_t n, int64_t start, const float** logits) {
  tokens_buf_.assign(tokens, tokens + n);
  pos_buf_.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) pos_buf_[static_cast<size_t>(i)] = start + i;
  TensorView t;
  t.dtype = ScalarType::Long;
  t.sizes = {1, n};
  t.data = tokens_buf_.data();
  t.nbytes = static_cast<size_t>(n) * sizeof(int64_t);
  TensorView p;
  p.dtype = ScalarType::Long;
  p.sizes = {n};
  p.data = pos_buf_.data();
  p.nbytes = t.nbytes;
  std::vector<Value> outs;
  Status st = module_->forward({Value::from_tensor(std::move(t)), Value::from_tensor(std::move(p))},
                               &outs);
  if (!st.ok()) return st;
  const size_t want = static_cast<size_t>(vocab_size_) * sizeof(float);
  if (outs.empty() || outs[0].tag != Tag::Tensor || outs[0].tensor.dtype != ScalarType::Float ||
      outs[0].tensor.nbytes < want) {
    return Status{Error::InvalidProgram, "forward did not return " +
                                             std::to_string(vocab_size_) + " float32 logits"};
  }
  *logits = static_cast<const float*>(outs[0].tensor.data);
  return Status();
}

Status Runner::generate(const std::string& prompt, const GenerationConfig& config,
                        const TextCallback& on_text, Generation* out) {
  const bool add_bos = config.bos == 1 || (config.bos == -1 && bos_id_ >= 0);
  const int64_t bos = bos_id_ >= 0 ? bos_id_ : tokenizer_->bos_id();
  if (add_bos && bos < 0) return invalid("bos asked for, but neither the model nor the tokenizer has one");
  std::vector<int32_t> ids;
  if (add_bos) ids.push_back(static_cast<int32_t>(bos));
  {
    LogCapture capture;
    std::vector<int32_t> text_ids;
    const Error e = tokenizer_->encode(prompt, false, false, &text_ids);
    if (e != Error::Ok) return capture.status(e, "cannot encode the prompt");
    ids.insert(ids.end(), text_ids.begin(), text_ids.end());
  }
  return generate_from_tokens(ids, config, on_text, out);
}

Status Runner::generate_from_tokens(const std::vector<int32_t>& prompt,
                                    const GenerationConfig& config, const TextCallback& on_text,
                                    Generation* out) {
  const uint64_t start = platform::now_ns();
  *out = Generation();
  out->stats.load_ms = load_ms_;

  // 1. The prompt must fit the cache and the vocabulary.
  const int64_t n = static_cast<int64_t>(prompt.size());
  if (n == 0) return invalid("the prompt is empty (no tokens and no bos)");
  if (n > max_seq_len_) {
    return invalid("the prompt's " + std::to_string(n) + " tokens do not fit the cache of " +
                   std::to_string(max_seq_len_) + " positions (max_seq_len)");
  }
  if (config.max_new_tokens < 0) {
    return invalid("max_new_tokens " + std::to_string(config.max_new_tokens) + " must be >= 0");
  }
  for (size_t i = 0; i < prompt.size(); ++i) {
    if (prompt[i] < 0 || prompt[i] >= vocab_size_) {
      return invalid("prompt token " + std::to_string(prompt[i]) + " at index " +
                     std::to_string(i) + " is outside the model's vocabulary of " +
                     std::to_string(vocab_size_));
    }
  }
  {
    LogCapture capture;
    SamplerConfig sc;
    sc.temperature = config.temperature;
    sc.top_k = config.top_k;
    sc.top_p = config.top_p;
    sc.repetition_penalty = config.repetition_penalty;
    sc.seed = config.seed;
    const Error e = sampler_.init(sc, static_cast<int32_t>(vocab_size_));
    if (e != Error::Ok) return capture.status(e, "bad sampling values");
  }
  std::vector<int64_t> stop(config.stop_ids.begin(), config.stop_ids.end());
  if (stop.empty()) stop = eos_ids_;
  if (stop.empty() && tokenizer_->eos_id() >= 0) stop.push_back(tokenizer_->eos_id());
  out->prompt_tokens = prompt;
  out->stats.prompt_tokens = static_cast<int32_t>(n);

  // 2. Text goes out as it becomes valid UTF-8; the stop token's does not.
  TextStream stream;
  bool at_start = true;  // the next piece begins the text (a leading space is dropped)
  auto emit = [&](int32_t id, bool generated) {
    if (!generated && tokenizer_->is_special(id)) return;
    if (id >= tokenizer_->vocab_size()) return;  // the model's padding ids have no text
    const std::string text = stream.push(tokenizer_->piece(id, at_start));
    at_start = false;
    if (generated) out->text += text;
    if (on_text && !text.empty()) on_text(text);
  };
  if (config.echo) {
    for (int32_t id : prompt) emit(id, false);
  }
  // Generated text continues the prompt: a SentencePiece word's leading
  // space is kept even when the prompt was not echoed.
  at_start = false;
  std::vector<int64_t> prompt64(prompt.begin(), prompt.end());
  for (int32_t id : prompt) sampler_.accept(id);

  // 3. Prefill in one call, then one call per token.
  const float* logits = nullptr;
  uint64_t first_token_ns = 0;
  if (config.max_new_tokens > 0) {
    const uint64_t t0 = platform::now_ns();
    Status st = forward(prompt64.data(), n, 0, &logits);
    if (!st.ok()) return st;
    out->stats.prefill_ms = ms_since(t0);
    int64_t pos = n;
    while (true) {
      const int32_t id = sampler_.sample(logits);
      sampler_.accept(id);
      out->tokens.push_back(id);
      if (out->tokens.size() == 1) {
        first_token_ns = platform::now_ns();
        out->stats.time_to_first_token_ms = ms_since(start);
      }
      if (std::find(stop.begin(), stop.end(), id) != stop.end()) {
        out->stats.stop_reason = StopReason::StopToken;
        break;
      }
      emit(id, true);
      if (static_cast<int32_t>(out->tokens.size()) >= config.max_new_tokens) {
        out->stats.stop_reason = StopReason::MaxNewTokens;
        break;
      }
      if (pos >= max_seq_len_) {
        out->stats.stop_reason = StopReason::CacheFull;
        break;
      }
      const int64_t token = id;
      if (!(st = forward(&token, 1, pos, &logits)).ok()) return st;
      ++pos;
    }
  }
  const std::string tail = stream.finish();
  out->text += tail;
  if (on_text && !tail.empty()) on_text(tail);

  // 4. Stats: decode is everything after the first token.
  GenerationStats& s = out->stats;
  s.generated_tokens = static_cast<int32_t>(out->tokens.size());
  if (s.prefill_ms > 0.0) s.prefill_tokens_per_s = static_cast<double>(n) * 1e3 / s.prefill_ms;
  if (first_token_ns != 0) s.decode_ms = ms_since(first_token_ns);
  if (s.generated_tokens > 1 && s.decode_ms > 0.0) {
    s.decode_tokens_per_s = static_cast<double>(s.generated_tokens - 1) * 1e3 / s.decode_ms;
  }
  s.peak_rss_kib = peak_rss_kib();
  return Status();
}

}  // namespace llm
}  // namespace ember
