// PCRE2 behind Regex. Match data and the JIT stack are per thread, so that one compiled
// pattern serves every thread without locks.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "engine/tokenizer/regex.h"

#include <pcre2.h>

#include "engine/tokenizer/onig_classes.h"
#include "engine/tokenizer/tokenizer.h"

namespace ssa {
namespace {

// `pattern` with \p{L}, \p{N}, \s and \S widened or narrowed to Oniguruma's classes
// (onig_classes.h), inside and outside bracket classes. Everything else is PCRE2's own,
// which for these patterns' constructs is Oniguruma's too.
std::string onig_compatible(std::string_view p) {
  const std::string white_space = onig::kWhiteSpace;
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      const char e = p[i + 1];
      if (e == 'Q') {  // \Q...\E is literal text
        const size_t end = p.find("\\E", i + 2);
        const size_t stop = end == std::string_view::npos ? p.size() : end + 2;
        out.append(p.substr(i, stop - i));
        i = stop - 1;
        continue;
      }
      if ((e == 'p' || e == 'P') && i + 2 < p.size()) {
        size_t end = i + 2;
        std::string name(1, p[i + 2]);
        if (p[i + 2] == '{') {
          end = p.find('}', i + 3);
          if (end == std::string_view::npos) end = p.size() - 1;
          name = std::string(p.substr(i + 3, end - i - 3));
        }
        const std::string original(p.substr(i, end + 1 - i));
        const char* extra = name == "L"   ? onig::kExtraLetters
                            : name == "N" ? onig::kExtraNumbers
                                          : nullptr;
        if (extra == nullptr) {
          out += original;
        } else if (e == 'p') {
          out += in_class ? original + extra : "[" + original + extra + "]";
        } else if (!in_class) {
          out += "[^\\p{" + name + "}" + extra + "]";
        } else {
          out += original;  // \P{L} inside a class: PCRE2's own (no pattern we know does this)
        }
        i = end;
        continue;
      }
      if (e == 's') {
        out += in_class ? white_space : "[" + white_space + "]";
      } else if (e == 'S' && !in_class) {
        out += "[^" + white_space + "]";
      } else {
        out += c;
        out += e;
      }
      ++i;
      continue;
    }
    out += c;
    if (!in_class && c == '[') {
      in_class = true;
      if (i + 1 < p.size() && p[i + 1] == '^') out += p[++i];
      if (i + 1 < p.size() && p[i + 1] == ']') out += p[++i];  // a leading ] is literal
    } else if (in_class && c == '[' && i + 1 < p.size() && p[i + 1] == ':') {
      const size_t end = p.find(":]", i + 2);  // a POSIX class [:alpha:]
      if (end != std::string_view::npos) {
        out.append(p.substr(i + 1, end + 2 - (i + 1)));
        i = end + 1;
      }
    } else if (in_class && c == ']') {
      in_class = false;
    }
  }
  return out;
}

// Per-thread scratch: one match-data block (group 0 is all we read) and a JIT stack large
// enough for long runs of one class (a megabyte of spaces backtracks through \s+(?!\S)).
struct Scratch {
  pcre2_match_data* data = nullptr;
  pcre2_jit_stack* stack = nullptr;
  pcre2_match_context* context = nullptr;
  Scratch() {
    data = pcre2_match_data_create(1, nullptr);
    stack = pcre2_jit_stack_create(64 * 1024, 64 * 1024 * 1024, nullptr);
    context = pcre2_match_context_create(nullptr);
    pcre2_jit_stack_assign(context, nullptr, stack);
  }
  ~Scratch() {
    pcre2_match_context_free(context);
    pcre2_jit_stack_free(stack);
    pcre2_match_data_free(data);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

}  // namespace

Regex Regex::pattern(std::string_view pattern) {
  return Regex(std::string(pattern), false);
}
Regex Regex::literal(std::string_view text) {
  return Regex(std::string(text), true);
}

Regex::Regex(std::string source, bool literal) : source_(std::move(source)) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  // (PCRE2_LITERAL takes no UCP; it needs none.)
  const uint32_t options = PCRE2_UTF | PCRE2_NO_UTF_CHECK | (literal ? PCRE2_LITERAL : PCRE2_UCP);
  const std::string compiled = literal ? source_ : onig_compatible(source_);
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(compiled.data()), compiled.size(),
                                   options, &error, &offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof message);
    throw TokenizerError("regex \"" + source_ + "\" is not supported at offset " +
                         std::to_string(offset) + ": " + reinterpret_cast<char*>(message));
  }
  code_.reset(code, pcre2_code_free);
  jit_ = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
}

bool Regex::search(std::string_view subject, size_t from, size_t* start, size_t* end) const {
  Scratch& s = scratch();
  const auto* text = reinterpret_cast<PCRE2_SPTR>(subject.data());
  int rc = PCRE2_ERROR_JIT_STACKLIMIT;
  // The caller has checked the text once: no UTF check per call.
  if (jit_) rc = pcre2_jit_match(code_.get(), text, subject.size(), from, 0, s.data, s.context);
  if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
    rc =
        pcre2_match(code_.get(), text, subject.size(), from, PCRE2_NO_UTF_CHECK, s.data, s.context);
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  if (rc < 0) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(rc, message, sizeof message);
    throw TokenizerError("regex \"" + source_ + "\" failed: " + reinterpret_cast<char*>(message));
  }
  const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(s.data);
  *start = ovector[0];
  *end = ovector[1];
  return true;
}

}  // namespace ssa
