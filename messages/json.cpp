#include "messages/json.hpp"

#include "messages/error.hpp"

// Every x86-64 CPU has SSE2: RapidJSON then scans strings and whitespace 16
// bytes at a time (only for in-situ and NUL-terminated streams, hence
// parse_into's copy). json.cpp is the only file that includes RapidJSON.
#if defined(__x86_64__) && !defined(RAPIDJSON_SSE2)
#define RAPIDJSON_SSE2
#endif
#include <rapidjson/document.h>
#include <rapidjson/encodedstream.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

// RapidJSON parses a copy of the input stream in each parse function and
// copies it back on the way out. For the in-situ stream that copy back is a
// 16-byte load right after two 8-byte stores to the same place, which the
// CPU cannot forward: it stalled for 40% of ParseString's time (about 7% of
// a decode, perf). Parsing through a reference instead costs nothing. This
// is RapidJSON's documented customization point; json.cpp is the only file
// that includes RapidJSON, so the specialization is seen by every use.
namespace rapidjson {
template<>
struct StreamTraits<GenericInsituStringStream<UTF8<>>> {
  enum { copyOptimization = 0 };
};
} // namespace rapidjson

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>

namespace es::json {

namespace {

using rapidjson::SizeType;

// UTF-8 is validated before parsing, in one tight pass over the input
// (`parse_into`): RapidJSON's kParseValidateEncodingFlag pushes every byte
// through a transcoder and cost a third of a decode.
constexpr unsigned parse_flags = rapidjson::kParseFullPrecisionFlag |
                                 rapidjson::kParseIterativeFlag |
                                 rapidjson::kParseInsituFlag;

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr size_t npos = std::string_view::npos;

// -- string scanning
// -----------------------------------------------------------

/// `b` in every byte of a 64-bit word.
constexpr uint64_t bytes_of(unsigned char b) noexcept {
  return 0x0101010101010101ull * b;
}

constexpr uint64_t high_bits = bytes_of(0x80);

/// Loads eight bytes from `p` (any alignment).
uint64_t load8(const unsigned char* p) noexcept {
  uint64_t word;
  std::memcpy(&word, p, 8);
  return word;
}

/// Nonzero when some byte of `word` is below `n` (n <= 0x80). The classic
/// SWAR test: exact as a yes/no answer, though not for telling which byte.
constexpr uint64_t any_byte_below(uint64_t word, unsigned char n) noexcept {
  return (word - bytes_of(n)) & ~word & high_bits;
}

/// Nonzero when some byte of `word` equals `b`.
constexpr uint64_t any_byte_is(uint64_t word, unsigned char b) noexcept {
  return any_byte_below(word ^ bytes_of(b), 1);
}

/// The length of the well-formed UTF-8 sequence (RFC 3629: no overlongs,
/// surrogates or values above U+10FFFF) that starts at `p`, which has `n`
/// bytes left and a lead byte of 0x80 or above; 0 if it is ill-formed.
size_t utf8_sequence_length(const unsigned char* p, size_t n) noexcept {
  unsigned c = p[0];
  size_t len = 0;
  unsigned lo = 0x80;
  unsigned hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0)
      lo = 0xA0;
    else if (c == 0xED)
      hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0)
      lo = 0x90;
    else if (c == 0xF4)
      hi = 0x8F;
  } else {
    return 0;
  }
  if (n < len || p[1] < lo || p[1] > hi)
    return 0;
  for (size_t k = 2; k < len; ++k)
    if ((p[k] & 0xC0) != 0x80)
      return 0;
  return len;
}

/// Returns the offset of the first byte that does not start a well-formed
/// UTF-8 sequence, or npos.
size_t invalid_utf8_at(std::string_view s) noexcept {
  auto p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    // ASCII fast path: eight bytes at a time.
    while (n - i >= 8 && (load8(p + i) & high_bits) == 0)
      i += 8;
    if (i >= n)
      break;
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    auto len = utf8_sequence_length(p + i, n - i);
    if (len == 0)
      return i;
    i += len;
  }
  return npos;
}

/// What the writer needs to know about a string before quoting it.
struct string_scan {
  /// Offset of the first byte of ill-formed UTF-8, or npos.
  size_t invalid_at = npos;
  /// Whether it has a control character, a quote or a backslash, which must
  /// be escaped. Otherwise the bytes go out as they are.
  bool needs_escape = false;
};

/// Whether all eight bytes of `word` are ASCII that needs no escaping.
constexpr bool plain_word(uint64_t word) noexcept {
  return ((word & high_bits) | any_byte_below(word, 0x20) |
          any_byte_is(word, '"') | any_byte_is(word, '\\')) == 0;
}

/// How `scan_string` treats a byte.
enum class byte_kind : uint8_t {
  plain,  // ASCII that goes out as it is
  escape, // a control character, '"' or '\\'
  multi,  // part of a multi-byte UTF-8 sequence, or not UTF-8 at all
};

constexpr std::array<byte_kind, 256> byte_kinds = [] {
  std::array<byte_kind, 256> kinds{};
  for (size_t c = 0; c < 256; ++c)
    kinds[c] = c >= 0x80                           ? byte_kind::multi
               : c < 0x20 || c == '"' || c == '\\' ? byte_kind::escape
                                                   : byte_kind::plain;
  return kinds;
}();

/// Validates UTF-8 and looks for characters that need escaping in one pass.
/// Words of eight plain ASCII bytes are skipped at once; a word with
/// anything else is handled byte by byte.
string_scan scan_string(std::string_view s) noexcept {
  auto p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  string_scan result;
  size_t i = 0;
  // Handles the character at `i` and moves past it; false if it is not
  // well-formed UTF-8.
  auto step = [&] {
    switch (byte_kinds[p[i]]) {
    case byte_kind::plain:
      ++i;
      return true;
    case byte_kind::escape:
      result.needs_escape = true;
      ++i;
      return true;
    case byte_kind::multi:
      break;
    }
    auto len = utf8_sequence_length(p + i, n - i);
    if (len == 0) {
      result.invalid_at = i;
      return false;
    }
    i += len;
    return true;
  };
  while (n - i >= 8) {
    if (plain_word(load8(p + i)))
      i += 8;
    else if (!step())
      return result;
  }
  // Fewer than eight bytes left. In a string of eight or more, its last
  // eight bytes (some looked at already) may show that they are all plain.
  if (i < n && n >= 8 && plain_word(load8(p + n - 8)))
    return result;
  while (i < n)
    if (!step())
      return result;
  return result;
}

/// RapidJSON's writer with its own string output: strings that need no
/// escaping (field names, ids, most text) are copied through, others are
/// escaped here. RapidJSON would push every string through its escaper and
/// transcoder one character at a time, and its SSE2 escaper (1.1.0) lets the
/// control characters 0x1A-0x1F through unescaped in strings of 16 bytes or
/// more, which makes the output invalid JSON.
class event_writer : public json_writer {
public:
  using json_writer::json_writer;

  /// Writes an object key. Precondition: valid UTF-8; `escape` as found by
  /// `scan_string`.
  bool quoted_key(std::string_view x, bool escape) {
    Prefix(rapidjson::kStringType);
    quote(x, escape);
    return true;
  }

  /// Writes a string value. Precondition as for `quoted_key`.
  bool quoted_string(std::string_view x, bool escape) {
    Prefix(rapidjson::kStringType);
    quote(x, escape);
    end_string();
    return true;
  }

  /// Writes a string value of exactly `n` characters that need no escaping
  /// (an id, a timestamp), which `fill(char* out)` writes straight into the
  /// output.
  template<class F>
  void formatted_string(size_t n, F fill) {
    Prefix(rapidjson::kStringType);
    auto* out = os_->Push(n + 2);
    out[0] = '"';
    fill(out + 1);
    out[n + 1] = '"';
    end_string();
  }

private:
  void end_string() {
    if (level_stack_.Empty()) // a top-level string ends the document
      os_->Flush();
  }

  void quote(std::string_view x, bool escape) {
    if (!escape) {
      auto* out = os_->Push(x.size() + 2);
      out[0] = '"';
      std::memcpy(out + 1, x.data(), x.size());
      out[x.size() + 1] = '"';
      return;
    }
    // The same escapes as RapidJSON's writer: short forms where JSON has
    // them, "\u00XX" (uppercase) for other control characters. Reserve for
    // the worst case, every byte a "\u00XX", and give back the rest.
    static constexpr char hex[] = "0123456789ABCDEF";
    const size_t reserved = x.size() * 6 + 2;
    auto* const begin = os_->Push(reserved);
    auto* out = begin;
    *out++ = '"';
    for (char ch : x) {
      auto c = static_cast<unsigned char>(ch);
      if (c >= 0x20 && c != '"' && c != '\\') {
        *out++ = ch;
        continue;
      }
      *out++ = '\\';
      switch (c) {
      case '"':
      case '\\':
        *out++ = ch;
        break;
      case '\b':
        *out++ = 'b';
        break;
      case '\f':
        *out++ = 'f';
        break;
      case '\n':
        *out++ = 'n';
        break;
      case '\r':
        *out++ = 'r';
        break;
      case '\t':
        *out++ = 't';
        break;
      default:
        *out++ = 'u';
        *out++ = '0';
        *out++ = '0';
        *out++ = hex[c >> 4];
        *out++ = hex[c & 0xF];
      }
    }
    *out++ = '"';
    os_->Pop(reserved - static_cast<size_t>(out - begin));
  }
};

// -- per-thread state
// ----------------------------------------------------------

/// Lends this thread's `T` to one user at a time, so that its buffers are
/// allocated once per thread instead of once per call. A nested user on the
/// same thread (say, a `fields` that itself encodes something) gets a fresh
/// `T` from the heap instead.
template<class T>
class per_thread {
public:
  per_thread() {
    if (in_use()) {
      fresh_ = std::make_unique<T>();
      ptr_ = fresh_.get();
    } else {
      in_use() = true;
      ptr_ = &shared();
    }
  }

  ~per_thread() {
    if (!fresh_)
      in_use() = false;
  }

  per_thread(const per_thread&) = delete;
  per_thread& operator=(const per_thread&) = delete;

  T& operator*() const noexcept { return *ptr_; }
  T* operator->() const noexcept { return ptr_; }

private:
  static T& shared() {
    thread_local T x;
    return x;
  }

  static bool& in_use() noexcept {
    thread_local bool x = false;
    return x;
  }

  std::unique_ptr<T> fresh_;
  T* ptr_;
};

/// Buffers that grow beyond this are freed after use rather than kept for
/// the thread's next call.
constexpr size_t max_kept_buffer = 64 * 1024;

// -- JSON pointers
// -------------------------------------------------------------

struct segment {
  std::string_view key;
  size_t index = 0;
  bool is_index = false;
};

void append_segment(std::string& out, const segment& seg) {
  out += '/';
  if (seg.is_index) {
    out += std::to_string(seg.index);
    return;
  }
  for (char c : seg.key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
}

// -- parsing
// -------------------------------------------------------------------

struct guard_config {
  size_t max_depth = default_max_depth;
  size_t start_depth = 0;
  bool allow_nul = true;
  bool require_object = false;
  /// Re-check decoded strings (set by parse_into when the input has "\u"
  /// escapes: only they can produce the lone surrogates RapidJSON misses).
  bool check_escapes = true;
};

/// A SAX filter in front of `Handler`: enforces the nesting limit, strict
/// UTF-8 in decoded strings (RapidJSON 1.1.0 lets an escaped lone low
/// surrogate through), optionally no NUL, and optionally an object at the
/// top. Stops the parse with a message in `problem()`.
template<class Handler>
class guard {
public:
  guard(Handler& h, const guard_config& cfg)
      : h_(h), cfg_(cfg), depth_(cfg.start_depth) {}

  bool Null() { return scalar("null") && h_.Null(); }
  bool Bool(bool x) { return scalar("boolean") && h_.Bool(x); }
  bool Int(int x) { return scalar("number") && h_.Int(x); }
  bool Uint(unsigned x) { return scalar("number") && h_.Uint(x); }
  bool Int64(int64_t x) { return scalar("number") && h_.Int64(x); }
  bool Uint64(uint64_t x) { return scalar("number") && h_.Uint64(x); }
  bool Double(double x) { return scalar("number") && h_.Double(x); }
  bool RawNumber(const char* s, SizeType n, bool copy) {
    return scalar("number") && h_.RawNumber(s, n, copy);
  }
  bool String(const char* s, SizeType n, bool copy) {
    return scalar("string") && text(s, n) && h_.String(s, n, copy);
  }
  bool Key(const char* s, SizeType n, bool copy) {
    return text(s, n) && h_.Key(s, n, copy);
  }
  bool StartObject() { return open(true) && h_.StartObject(); }
  bool EndObject(SizeType n) {
    --depth_;
    return h_.EndObject(n);
  }
  bool StartArray() { return open(false) && h_.StartArray(); }
  bool EndArray(SizeType n) {
    --depth_;
    return h_.EndArray(n);
  }

  const std::string& problem() const noexcept { return problem_; }

private:
  bool stop(std::string what) {
    problem_ = std::move(what);
    return false;
  }

  bool scalar(const char* kind) {
    if (depth_ == 0 && cfg_.require_object)
      return stop(std::string{"expected object at top level, found "} + kind);
    return true;
  }

  bool open(bool object) {
    if (depth_ == 0 && cfg_.require_object && !object)
      return stop("expected object at top level, found array");
    if (++depth_ > cfg_.max_depth)
      return stop("nesting depth exceeds " + std::to_string(cfg_.max_depth));
    return true;
  }

  bool text(const char* s, SizeType n) {
    std::string_view str{s, n};
    if (cfg_.check_escapes && invalid_utf8_at(str) != npos)
      return stop("invalid UTF-8 in string (escaped lone surrogate)");
    if (!cfg_.allow_nul && str.find('\0') != npos)
      return stop("string contains \\u0000, which PostgreSQL jsonb rejects");
    return true;
  }

  Handler& h_;
  guard_config cfg_;
  size_t depth_;
  std::string problem_;
};

/// Checks `text`, in one pass, for what RapidJSON would misread or let
/// through: a NUL byte (it takes it for the end of the input and would
/// accept "{}\0junk"), ill-formed UTF-8, and the control characters
/// 0x1A-0x1F (its SSE2 string scanner only stops at 0x19 and below, so they
/// passed unescaped in longer strings). Other control characters RapidJSON
/// rejects itself. Returns an empty string or a message with the offset of
/// the problem; a NUL byte is reported before anything else, wherever it
/// is.
std::string check_input(std::string_view text) {
  auto p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  auto at = [](size_t pos) {
    return "invalid JSON at offset " + std::to_string(pos) + ": ";
  };
  auto nul_from = [&](size_t pos) {
    auto nul = text.find('\0', pos);
    return nul == npos ? std::string{} : at(nul) + "NUL byte in input";
  };
  size_t i = 0;
  while (i < n) {
    // Eight bytes at a time while they are ASCII without control
    // characters.
    while (n - i >= 8) {
      auto word = load8(p + i);
      if (((word & high_bits) | any_byte_below(word, 0x20)) != 0)
        break;
      i += 8;
    }
    if (i >= n)
      break;
    unsigned c = p[i];
    if (c >= 0x80) {
      auto len = utf8_sequence_length(p + i, n - i);
      if (len == 0) {
        auto nul = nul_from(i);
        return !nul.empty() ? nul : at(i) + "Invalid encoding in string.";
      }
      i += len;
      continue;
    }
    if (c == 0)
      return at(i) + "NUL byte in input";
    if (c >= 0x1A && c <= 0x1F) {
      auto nul = nul_from(i);
      if (!nul.empty())
        return nul;
      static constexpr char hex[] = "0123456789ABCDEF";
      return at(i) + "unescaped control character 0x1" + hex[c & 0xF];
    }
    ++i;
  }
  return {};
}

/// Parses `text` into `handler` through a guard. Returns an empty string on
/// success, otherwise a message with the byte offset of the problem.
///
/// Parses in situ: `text` is first copied into `scratch`, and string values
/// handed to `handler` point into `scratch`, which must outlive them.
template<class Handler>
std::string parse_into(std::string_view text, Handler& handler,
                       const guard_config& cfg, std::string& scratch) {
  if (auto problem = check_input(text); !problem.empty())
    return problem;
  // RapidJSON's SSE2 scanner reads whole aligned 16-byte blocks, up to 15
  // bytes past the terminating NUL: keep those inside the allocation.
  scratch.reserve(text.size() + 15);
  scratch.assign(text.data(), text.size());
  auto checked = cfg;
  checked.check_escapes = text.find("\\u") != npos;
  guard<Handler> g{handler, checked};
  rapidjson::InsituStringStream is{scratch.data()};
  per_thread<rapidjson::Reader> reader; // keeps its parse stack
  rapidjson::ParseResult res = reader->Parse<parse_flags>(is, g);
  if (res)
    return {};
  if (res.Code() == rapidjson::kParseErrorTermination && !g.problem().empty())
    return g.problem() + " at offset " + std::to_string(res.Offset());
  return "invalid JSON at offset " + std::to_string(res.Offset()) + ": " +
         rapidjson::GetParseError_En(res.Code());
}

const char* kind_of(const rapidjson::Value& v) noexcept {
  switch (v.GetType()) {
  case rapidjson::kNullType:
    return "null";
  case rapidjson::kFalseType:
  case rapidjson::kTrueType:
    return "boolean";
  case rapidjson::kObjectType:
    return "object";
  case rapidjson::kArrayType:
    return "array";
  case rapidjson::kStringType:
    return "string";
  case rapidjson::kNumberType:
    return "number";
  }
  return "unknown";
}

std::string to_text(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  v.Accept(w);
  return {buf.GetString(), buf.GetSize()};
}

std::string context_string(const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return describe(err);
}

} // namespace

caf::error check_object(std::string_view text, const check_options& opts) {
  try {
    guard_config cfg;
    cfg.max_depth = opts.max_depth;
    cfg.allow_nul = opts.allow_nul;
    cfg.require_object = true;
    rapidjson::BaseReaderHandler<> sink;
    std::string scratch;
    auto problem = parse_into(text, sink, cfg, scratch);
    if (!problem.empty())
      return make_error(ec::invalid_event, std::move(problem));
    return caf::none;
  } catch (const std::exception& e) {
    return make_error(ec::invalid_event,
                      std::string{"cannot check JSON: "} + e.what());
  }
}

namespace detail {

std::string quoted(std::string_view x) {
  constexpr size_t max_len = 64;
  bool cut = x.size() > max_len;
  if (cut) {
    size_t n = max_len;
    while (n > 0 && (static_cast<unsigned char>(x[n]) & 0xC0) == 0x80)
      --n; // do not split a UTF-8 sequence
    x = x.substr(0, n);
  }
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.String(x.data(), static_cast<SizeType>(x.size()));
  std::string out{buf.GetString(), buf.GetSize()};
  if (cut)
    out += "...";
  return out;
}

// -- writer
// --------------------------------------------------------------------

struct writer_impl {
  writer_impl() : buf(nullptr, 1024), out(buf) { path.reserve(8); }

  /// Prepares for a new document; keeps the buffers.
  void reset(size_t limit) {
    buf.Clear();
    out.Reset(buf);
    path.clear();
    depth = 0;
    max_depth = limit;
    failed = false;
    error.clear();
  }

  /// Enters key `k` in the path (filled in place, as reader_impl::push).
  void push_key(std::string_view k) { path.emplace_back().key = k; }

  /// Enters array index `i` in the path.
  void push_index(size_t i) {
    auto& seg = path.emplace_back();
    seg.index = i;
    seg.is_index = true;
  }

  rapidjson::StringBuffer buf;
  event_writer out;
  std::vector<segment> path;
  size_t depth = 0;
  size_t max_depth = default_max_depth;
  bool failed = false;
  std::string error;
};

bool writer::fail(std::string message) {
  auto& st = *impl_;
  if (st.failed)
    return false;
  st.failed = true;
  for (const auto& seg : st.path)
    append_segment(st.error, seg);
  if (!st.error.empty())
    st.error += ": ";
  st.error += message;
  return false;
}

bool writer::begin_object() {
  if (++impl_->depth > impl_->max_depth)
    return fail("nesting depth exceeds " + std::to_string(impl_->max_depth));
  return impl_->out.StartObject();
}

bool writer::end_object() {
  --impl_->depth;
  return impl_->out.EndObject();
}

bool writer::begin_array() {
  if (++impl_->depth > impl_->max_depth)
    return fail("nesting depth exceeds " + std::to_string(impl_->max_depth));
  return impl_->out.StartArray();
}

bool writer::end_array() {
  --impl_->depth;
  return impl_->out.EndArray();
}

bool writer::key(std::string_view k) {
  auto scan = scan_string(k);
  if (scan.invalid_at != npos)
    return fail("invalid UTF-8 in key at byte " +
                std::to_string(scan.invalid_at));
  if (k.size() > std::numeric_limits<SizeType>::max())
    return fail("key too long");
  impl_->out.quoted_key(k, scan.needs_escape);
  impl_->push_key(k);
  return true;
}

void writer::push(size_t index) {
  impl_->push_index(index);
}

void writer::pop() {
  impl_->path.pop_back();
}

bool writer::null() {
  return impl_->out.Null();
}

bool writer::write(bool x) {
  return impl_->out.Bool(x);
}

bool writer::write_signed(int64_t x) {
  return impl_->out.Int64(x);
}

bool writer::write_unsigned(uint64_t x) {
  return impl_->out.Uint64(x);
}

bool writer::write(double x) {
  if (std::isnan(x))
    return fail("cannot encode NaN");
  if (std::isinf(x))
    return fail("cannot encode infinity");
  return impl_->out.Double(x);
}

bool writer::write(std::string_view x) {
  auto scan = scan_string(x);
  if (scan.invalid_at != npos)
    return fail("invalid UTF-8 at byte " + std::to_string(scan.invalid_at));
  if (x.size() > std::numeric_limits<SizeType>::max())
    return fail("string too long");
  return impl_->out.quoted_string(x, scan.needs_escape);
}

bool writer::write(const uuid& x) {
  impl_->out.formatted_string(36, [&](char* out) { to_chars(x, out); });
  return true;
}

bool writer::write(timestamp x) {
  if (x < timestamp_min || x > timestamp_max)
    return fail("timestamp outside years 0001-9999");
  impl_->out.formatted_string(iso8601_size,
                              [&](char* out) { to_iso8601(x, out); });
  return true;
}

bool writer::write(const raw& x) {
  guard_config cfg;
  cfg.max_depth = impl_->max_depth;
  cfg.start_depth = impl_->depth;
  // Events go straight from the parser into the output: one pass, and the
  // text comes out compact and normalized.
  std::string scratch;
  auto problem = parse_into(x.text, impl_->out, cfg, scratch);
  if (!problem.empty())
    return fail("raw value: " + problem);
  return true;
}

// -- reader
// --------------------------------------------------------------------

/// What `reader::find` knows about the keys of an object.
enum class key_check : uint8_t {
  /// Not looked at yet (and never, unless the object is a struct).
  unchecked,
  /// All keys differ: a lookup may stop at the first hit.
  unique,
  /// Some key occurs twice, or the object is too large to check up front:
  /// every lookup scans all members and fails if its key occurs twice.
  scan_all,
};

/// Objects with at most this many members are checked for duplicate keys
/// once, pairwise, on the first lookup. Larger ones would make that check
/// expensive (and hostile input could make it quadratic), so they keep the
/// scan per lookup, which costs members times declared fields.
constexpr SizeType max_checked_members = 32;

struct reader_frame {
  const rapidjson::Value* value = nullptr;
  segment seg;
  /// For objects: what `find` found out about the keys.
  key_check keys = key_check::unchecked;
  /// For objects with unique keys: where `find` looks first, just after its
  /// last hit. Fields are usually stored in the order `fields` asks for
  /// them, so each lookup then takes one comparison.
  SizeType next_member = 0;
};

std::string_view name_of(const rapidjson::Value::Member& m) noexcept {
  return {m.name.GetString(), m.name.GetStringLength()};
}

/// Whether the keys of `object` are all different (`unique`) or not known
/// to be (`scan_all`). Enters the keys into a small open-addressing hash
/// table (linear probing, at most half full) and compares keys only where
/// they collide.
key_check check_keys(const rapidjson::Value& object) noexcept {
  auto n = object.MemberCount();
  if (n > max_checked_members)
    return key_check::scan_all;
  constexpr SizeType slots = 2 * max_checked_members; // a power of two
  uint8_t table[slots] = {}; // member index + 1, or 0 for a free slot
  auto members = object.MemberBegin();
  for (SizeType i = 0; i < n; ++i) {
    auto name = name_of(members[i]);
    // Length, first and last byte: enough to tell field names apart.
    uint64_t hash = name.size();
    if (!name.empty())
      hash ^= static_cast<unsigned char>(name.front()) << 8 |
              static_cast<unsigned char>(name.back()) << 16;
    auto slot = static_cast<SizeType>((hash * 0x9E3779B97F4A7C15ull) >> 58);
    for (; table[slot] != 0; slot = (slot + 1) % slots)
      if (name_of(members[table[slot] - 1]) == name)
        return key_check::scan_all;
    table[slot] = static_cast<uint8_t>(i + 1);
  }
  return key_check::unique;
}

struct reader_impl {
  std::vector<reader_frame> stack;
  bool failed = false;
  std::string error;

  const rapidjson::Value& cur() const noexcept { return *stack.back().value; }

  // Frames are filled in where they live: a temporary frame copied in with
  // wide loads right after its fields were stored stalls store forwarding,
  // which once cost find() a third of its time.

  /// Enters `v`, the value of member `key`.
  void push(const rapidjson::Value* v, std::string_view key) {
    auto& frame = stack.emplace_back();
    frame.value = v;
    frame.seg.key = key;
  }

  /// Enters `v`, element `index` of an array.
  void push(const rapidjson::Value* v, size_t index) {
    auto& frame = stack.emplace_back();
    frame.value = v;
    frame.seg.index = index;
    frame.seg.is_index = true;
  }
};

bool reader::fail(std::string message) {
  auto& st = *impl_;
  if (st.failed)
    return false;
  st.failed = true;
  for (size_t i = 1; i < st.stack.size(); ++i)
    append_segment(st.error, st.stack[i].seg);
  if (!st.error.empty())
    st.error += ": ";
  st.error += message;
  return false;
}

bool reader::fail_missing(std::string_view key) {
  impl_->push(nullptr, key);
  return fail("missing required field");
}

bool reader::is_null() const {
  return impl_->cur().IsNull();
}

bool reader::read(bool& x) {
  const auto& v = impl_->cur();
  if (!v.IsBool())
    return fail(std::string{"expected boolean, found "} + kind_of(v));
  x = v.GetBool();
  return true;
}

bool reader::read_signed(int64_t& x, int64_t min, int64_t max) {
  const auto& v = impl_->cur();
  if (!v.IsNumber())
    return fail(std::string{"expected integer, found "} + kind_of(v));
  auto out_of_range = [&](const std::string& found) {
    return fail("expected integer in [" + std::to_string(min) + ", " +
                std::to_string(max) + "], found " + found);
  };
  if (v.IsInt64()) {
    auto i = v.GetInt64();
    if (i < min || i > max)
      return out_of_range(std::to_string(i));
    x = i;
    return true;
  }
  if (v.IsUint64()) // above INT64_MAX
    return out_of_range(std::to_string(v.GetUint64()));
  return fail("expected integer, found number " + to_text(v));
}

bool reader::read_unsigned(uint64_t& x, uint64_t max) {
  const auto& v = impl_->cur();
  if (!v.IsNumber())
    return fail(std::string{"expected integer, found "} + kind_of(v));
  auto out_of_range = [&](const std::string& found) {
    return fail("expected integer in [0, " + std::to_string(max) + "], found " +
                found);
  };
  if (v.IsUint64()) {
    auto i = v.GetUint64();
    if (i > max)
      return out_of_range(std::to_string(i));
    x = i;
    return true;
  }
  if (v.IsInt64()) // negative
    return out_of_range(std::to_string(v.GetInt64()));
  return fail("expected integer, found number " + to_text(v));
}

bool reader::read(double& x) {
  const auto& v = impl_->cur();
  if (!v.IsNumber())
    return fail(std::string{"expected number, found "} + kind_of(v));
  x = v.GetDouble();
  return true;
}

bool reader::read_view(std::string_view& x) {
  const auto& v = impl_->cur();
  if (!v.IsString())
    return fail(std::string{"expected string, found "} + kind_of(v));
  x = std::string_view{v.GetString(), v.GetStringLength()};
  return true;
}

bool reader::read(std::string& x) {
  std::string_view str;
  if (!read_view(str))
    return false;
  // Growing a string with assign() goes through libstdc++'s general
  // replace (aliasing checks, growth policy); building a new one is a plain
  // allocation and copy.
  if (str.size() <= x.capacity())
    x.assign(str.data(), str.size());
  else
    x = std::string{str};
  return true;
}

bool reader::read(uuid& x) {
  const auto& v = impl_->cur();
  if (!v.IsString())
    return fail(std::string{"expected UUID string, found "} + kind_of(v));
  std::string_view str{v.GetString(), v.GetStringLength()};
  if (!uuid::try_parse(str, x))
    return fail("expected UUID (8-4-4-4-12 hex digits), found " + quoted(str));
  return true;
}

bool reader::read(timestamp& x) {
  const auto& v = impl_->cur();
  if (!v.IsString())
    return fail(std::string{"expected timestamp string, found "} + kind_of(v));
  auto t = parse_iso8601({v.GetString(), v.GetStringLength()});
  if (!t)
    return fail(context_string(t.error()));
  x = *t;
  return true;
}

bool reader::read(raw& x) {
  x.text = to_text(impl_->cur());
  return true;
}

bool reader::begin_array(size_t& size) {
  const auto& v = impl_->cur();
  if (!v.IsArray())
    return fail(std::string{"expected array, found "} + kind_of(v));
  size = v.Size();
  return true;
}

bool reader::begin_object(size_t& size, const char* expected) {
  const auto& v = impl_->cur();
  if (!v.IsObject())
    return fail(std::string{"expected "} + expected + ", found " + kind_of(v));
  size = v.MemberCount();
  return true;
}

void reader::enter(size_t index) {
  const auto& v = impl_->cur();
  impl_->push(&v[static_cast<SizeType>(index)], index);
}

bool reader::find(std::string_view key, bool& found) {
  auto& frame = impl_->stack.back();
  const auto& v = *frame.value;
  auto members = v.MemberBegin();
  auto n = v.MemberCount();
  if (frame.keys == key_check::unchecked)
    frame.keys = check_keys(v);
  found = false;
  if (frame.keys == key_check::unique) {
    // Look from just after the last hit and wrap around.
    auto i = frame.next_member;
    for (SizeType k = 0; k < n; ++k, ++i) {
      if (i == n)
        i = 0;
      if (name_of(members[i]) == key) {
        frame.next_member = i + 1;
        found = true;
        // Invalidates `frame`.
        impl_->push(&members[i].value, key);
        return true;
      }
    }
    return true;
  }
  const rapidjson::Value* hit = nullptr;
  for (SizeType i = 0; i < n; ++i) {
    if (name_of(members[i]) != key)
      continue;
    if (hit != nullptr) {
      impl_->push(&members[i].value, key);
      return fail("duplicate key");
    }
    hit = &members[i].value;
  }
  found = hit != nullptr;
  if (found)
    impl_->push(hit, key);
  return true;
}

std::string_view reader::enter_member(size_t index) {
  const auto& m = *(impl_->cur().MemberBegin() + static_cast<SizeType>(index));
  std::string_view key{m.name.GetString(), m.name.GetStringLength()};
  impl_->push(&m.value, key);
  return key;
}

void reader::leave() {
  impl_->stack.pop_back();
}

// -- entry points
// --------------------------------------------------------------

caf::expected<std::string> run_encoder(encode_fn fn, const void* obj,
                                       size_t max_depth) {
  try {
    per_thread<writer_impl> st;
    st->reset(max_depth);
    writer w{*st};
    if (!fn(w, obj))
      return make_error(ec::invalid_event,
                        st->failed ? st->error : "cannot encode value");
    std::string result{st->buf.GetString(), st->buf.GetSize()};
    if (result.size() > max_kept_buffer) {
      st->buf.Clear();
      st->buf.ShrinkToFit();
    }
    return result;
  } catch (const std::exception& e) {
    return make_error(ec::invalid_event,
                      std::string{"cannot encode value: "} + e.what());
  }
}

/// What a decode needs besides the input. Most events fit in a few
/// kilobytes: the document is built in `values` and `stack`, sparing the
/// allocator (RapidJSON's pool otherwise mallocs 64 KiB per document).
struct decoder_buffers {
  char values[16 * 1024];
  char stack[4 * 1024];
  /// The in-situ copy of the input that the document's strings point into.
  std::string text;
  reader_impl reader;
};

/// Parses `text` into a document in `buffers` and runs `fn` on it.
caf::error decode_with(decoder_buffers& buffers, std::string_view text,
                       decode_fn fn, void* obj, size_t max_depth) {
  guard_config cfg;
  cfg.max_depth = max_depth;
  using pool = rapidjson::MemoryPoolAllocator<>;
  pool value_alloc{buffers.values, sizeof buffers.values};
  pool stack_alloc{buffers.stack, sizeof buffers.stack};
  using document = rapidjson::GenericDocument<rapidjson::UTF8<>, pool, pool>;
  document doc{&value_alloc, 1024, &stack_alloc};
  std::string problem;
  auto generate = [&](document& handler) {
    problem = parse_into(text, handler, cfg, buffers.text);
    return problem.empty();
  };
  doc.Populate(generate);
  if (!problem.empty())
    return make_error(ec::decode_failed, std::move(problem));
  auto& st = buffers.reader;
  st.stack.clear();
  st.failed = false;
  st.error.clear();
  st.push(&doc, std::string_view{}); // the root has no segment
  reader r{st};
  if (!fn(r, obj))
    return make_error(ec::decode_failed,
                      st.failed ? st.error : "cannot decode value");
  return caf::none;
}

caf::error run_decoder(std::string_view text, decode_fn fn, void* obj,
                       size_t max_depth) {
  try {
    per_thread<decoder_buffers> buffers;
    auto err = decode_with(*buffers, text, fn, obj, max_depth);
    if (buffers->text.capacity() > max_kept_buffer)
      std::string{}.swap(buffers->text);
    return err;
  } catch (const std::exception& e) {
    return make_error(ec::decode_failed,
                      std::string{"cannot decode value: "} + e.what());
  }
}

} // namespace detail

} // namespace es::json
