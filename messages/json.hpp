// The JSON codec: C++ value types <-> JSON text, driven by one description.
//
// A struct describes its fields once, in a function `fields` that ADL finds
// (a free function in the struct's namespace, or a hidden friend):
//
//   struct player_joined {
//     es::uuid player_id;
//     std::string name;
//     std::optional<team> team;   // absent when empty
//     es::nullable<int> rank;     // always present, null when empty
//   };
//   template <class F>
//   bool fields(F& f, player_joined& x) {
//     return f("player_id", x.player_id) && f("name", x.name)
//            && f("team", x.team) && f("rank", x.rank);
//   }
//
// and an enum names its values in a function `enum_names` that ADL finds and
// that returns any range of (value, name) pairs; names must be string
// literals (or otherwise outlive the call):
//
//   enum class team { red, blue };
//   constexpr auto enum_names(team) {
//     return std::array{std::pair{team::red, "red"},
//                       std::pair{team::blue, "blue"}};
//   }
//
// Then `es::json::encode(x)` yields compact JSON text and
// `es::json::decode<player_joined>(text)` the value. The same `fields` drives
// both directions (encoding never modifies the object it is handed).
//
// Mapping (C++ -> JSON):
//   bool                    true / false
//   integers (not char)     number; decoding checks the target's range and
//                           rejects non-integers ("1.0" is not an integer)
//   double                  number, shortest text that round-trips; NaN and
//                           infinities cannot be encoded; decoding accepts
//                           any number (integers convert to the nearest double)
//   std::string             string; any valid UTF-8, including NUL ("\u0000")
//   es::uuid                canonical lowercase string
//   es::timestamp           "2026-11-28T10:32:41.123456Z" (see time.hpp)
//   enum with enum_names    string; unknown names are rejected on decode
//   std::vector<T>          array
//   std::set<T>             {"$set":[...]}, elements in std::set order;
//                           decoding accepts any order, rejects duplicates
//   std::map<K,V>           object if K is std::string, es::uuid or a named
//                           enum; otherwise an array of [key, value] pairs in
//                           map order; decoding rejects duplicate keys
//   struct with fields      object
//   std::optional<T>        as a field: absent when empty; decoding treats an
//                           absent key or null as empty (other producers
//                           write null). Elsewhere (array element, map value,
//                           top level): null when empty.
//   es::nullable<T>         null when empty, always present as a field; an
//                           absent key is an error. Use
//                           std::optional<es::nullable<T>> to tell absent,
//                           null and a value apart.
//   es::json::raw           any JSON value kept as compact text; checked and
//                           re-written on encode, so the result is always
//                           valid JSON within the depth limit
//
// Decoding rules: unknown keys in an object are ignored (older readers accept
// newer events); a key that a struct declares or a map holds must not occur
// twice; a non-optional field must be present. Numbers are parsed with full
// precision; integers beyond 64 bits become doubles (and so fail an integer
// field). Input must be valid UTF-8 (also after "\u" escapes: lone surrogates
// are rejected) and must not nest arrays and objects deeper than `max_depth`
// (default 64); the parser is iterative and stops at the limit, so hostile
// input cannot exhaust the stack.
//
// Errors: nothing here throws. Decoding failures are `ec::decode_failed`;
// their context names the JSON pointer of the first bad value and what was
// expected and found, e.g. "/players/2/name: expected string, found number".
// Syntax errors read "invalid JSON at offset 17: <RapidJSON's message>".
// Encoding failures (NaN, invalid UTF-8, an enum value without a name, a
// timestamp outside years 1-9999, too deep) are `ec::invalid_event` with the
// pointer of the offending value. A failure at the top level has no pointer
// prefix. RapidJSON is never handed a type it would assert on: every access
// is type-checked first. RapidJSON stays out of this header; json.cpp is the
// only user.
//
// Threading: all functions are reentrant; values are plain data.
#pragma once

#include "messages/time.hpp"
#include "messages/uuid.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace es {

/// A value that may be null: encodes as JSON null when empty, and is never
/// left out of an object (see the mapping above). Compares like
/// std::optional.
template<class T>
class nullable {
public:
  using value_type = T;

  nullable() = default;
  nullable(std::nullopt_t) noexcept {}
  nullable(T x) : value_(std::move(x)) {}

  bool has_value() const noexcept { return value_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }

  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

  /// Sets a value (default-constructed unless arguments are given).
  template<class... Ts>
  T& emplace(Ts&&... xs) {
    return value_.emplace(std::forward<Ts>(xs)...);
  }

  void reset() noexcept { value_.reset(); }

  const std::optional<T>& get() const noexcept { return value_; }

  friend bool operator==(const nullable& x, const nullable& y) {
    return x.value_ == y.value_;
  }
  friend bool operator!=(const nullable& x, const nullable& y) {
    return !(x == y);
  }
  friend bool operator<(const nullable& x, const nullable& y) {
    return x.value_ < y.value_;
  }

private:
  std::optional<T> value_;
};

} // namespace es

namespace es::json {

/// The default limit on nested arrays and objects ("{}" is depth 1).
inline constexpr std::size_t default_max_depth = 64;

/// Any JSON value, kept as compact JSON text. Decoding a `raw` (alone or as
/// a field) checks the value and re-writes it compactly; numbers are
/// normalized on the way (1e2 -> 100.0, integers beyond 64 bits become
/// doubles). Encoding checks `text` the same way and fails if it is not
/// exactly one valid JSON value. A default `raw` is null.
struct raw {
  std::string text = "null";

  friend bool operator==(const raw& x, const raw& y) {
    return x.text == y.text;
  }
  friend bool operator!=(const raw& x, const raw& y) { return !(x == y); }
};

struct check_options {
  /// Nesting limit for arrays and objects.
  std::size_t max_depth = default_max_depth;
  /// Whether strings may contain NUL ("\u0000"). PostgreSQL's jsonb rejects
  /// it, so `check_object` does too unless told otherwise.
  bool allow_nul = false;
};

/// Checks that `text` is one JSON object (surrounding whitespace allowed),
/// valid UTF-8 (also after escapes), nested at most `opts.max_depth` deep,
/// and with numbers that fit a double. Meant for opaque event data and
/// metadata before they go to PostgreSQL. Failures are `ec::invalid_event`,
/// e.g. "invalid JSON at offset 9: Missing a name for object member.".
caf::error check_object(std::string_view text, const check_options& opts = {});

} // namespace es::json

// -- machinery ---------------------------------------------------------------

namespace es::json::detail {

struct writer_impl;
struct reader_impl;

/// Writes JSON and tracks the pointer of the value being written. Every
/// member returns false after recording the first error.
class writer {
public:
  explicit writer(writer_impl& impl) noexcept : impl_(&impl) {}

  bool begin_object();
  bool end_object();
  bool begin_array();
  bool end_array();
  /// Writes a key and enters it in the path; `pop` leaves it again. The
  /// characters `k` refers to must live until then.
  bool key(std::string_view k);
  /// Enters an array index in the path.
  void push(std::size_t index);
  void pop();

  bool null();
  bool write(bool x);
  bool write_signed(std::int64_t x);
  bool write_unsigned(std::uint64_t x);
  bool write(double x);
  bool write(std::string_view x);
  bool write(const uuid& x);
  bool write(timestamp x);
  bool write(const raw& x);

  /// Records `message` at the current path; returns false.
  bool fail(std::string message);

private:
  writer_impl* impl_;
};

/// Reads a parsed document and tracks the pointer of the current value.
/// Every `read` checks the JSON type first. Members returning bool return
/// false after recording the first error.
class reader {
public:
  explicit reader(reader_impl& impl) noexcept : impl_(&impl) {}

  bool is_null() const;
  bool read(bool& x);
  bool read_signed(std::int64_t& x, std::int64_t min, std::int64_t max);
  bool read_unsigned(std::uint64_t& x, std::uint64_t max);
  bool read(double& x);
  bool read(std::string& x);
  bool read(uuid& x);
  bool read(timestamp& x);
  bool read(raw& x);
  /// Reads a string without copying; the view lives as long as the input.
  bool read_view(std::string_view& x);

  /// Checks that the current value is an array and gets its size.
  bool begin_array(std::size_t& size);
  /// Checks that the current value is an object and gets its member count.
  bool begin_object(std::size_t& size, const char* expected = "object");
  /// Enters element `index` of the current array.
  void enter(std::size_t index);
  /// Looks up `key` in the current object and enters its value if found.
  /// Fails if the key occurs more than once.
  bool find(std::string_view key, bool& found);
  /// Enters the value of member `index` of the current object; returns its
  /// key.
  std::string_view enter_member(std::size_t index);
  void leave();

  /// Records `message` at the current path; returns false.
  bool fail(std::string message);
  /// Records "<path>/<key>: missing required field"; returns false.
  bool fail_missing(std::string_view key);

private:
  reader_impl* impl_;
};

/// JSON-quotes `x` for an error message, shortened to about 64 bytes.
std::string quoted(std::string_view x);

using encode_fn = bool (*)(writer&, const void*);
using decode_fn = bool (*)(reader&, void*);

caf::expected<std::string> run_encoder(encode_fn fn, const void* obj,
                                       std::size_t max_depth);
caf::error run_decoder(std::string_view text, decode_fn fn, void* obj,
                       std::size_t max_depth);

// -- traits -------------------------------------------------------------------

template<class T>
struct is_optional : std::false_type {};
template<class T>
struct is_optional<std::optional<T>> : std::true_type {};

template<class T>
struct is_nullable : std::false_type {};
template<class T>
struct is_nullable<nullable<T>> : std::true_type {};

template<class T>
struct is_vector : std::false_type {};
template<class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};

template<class T>
struct is_set : std::false_type {};
template<class T, class C, class A>
struct is_set<std::set<T, C, A>> : std::true_type {};

template<class T>
struct is_map : std::false_type {};
template<class K, class V, class C, class A>
struct is_map<std::map<K, V, C, A>> : std::true_type {};

template<class T>
inline constexpr bool is_integer_v =
    std::is_integral_v<T> && !std::is_same_v<T, bool> &&
    !std::is_same_v<T, char> && !std::is_same_v<T, wchar_t> &&
    !std::is_same_v<T, char16_t> && !std::is_same_v<T, char32_t>;

class field_writer;
class field_reader;

template<class T, class = void>
struct has_fields : std::false_type {};
template<class T>
struct has_fields<T, std::void_t<decltype(fields(std::declval<field_writer&>(),
                                                 std::declval<T&>()))>>
    : std::true_type {};

template<class T, class = void>
struct has_enum_names : std::false_type {};
template<class T>
struct has_enum_names<T, std::void_t<decltype(enum_names(std::declval<T>()))>>
    : std::is_enum<T> {};

template<class T>
inline constexpr bool is_string_key_v =
    std::is_same_v<T, std::string> || std::is_same_v<T, uuid> ||
    has_enum_names<T>::value;

template<class>
inline constexpr bool dependent_false = false;

template<class T>
bool encode_value(writer& w, const T& x);
template<class T>
bool decode_value(reader& r, T& x);

// -- enums --------------------------------------------------------------------

template<class E>
std::string enum_number(E x) {
  return std::to_string(+static_cast<std::underlying_type_t<E>>(x));
}

template<class E>
bool enum_to_name(writer& w, E x, std::string_view& name) {
  for (const auto& [value, n] : enum_names(x)) {
    if (value == x) {
      name = n;
      return true;
    }
  }
  return w.fail("enum value " + enum_number(x) + " has no name");
}

template<class E>
bool enum_from_name(reader& r, std::string_view name, E& x) {
  for (const auto& [value, n] : enum_names(E{})) {
    if (std::string_view{n} == name) {
      x = value;
      return true;
    }
  }
  std::string msg = "expected one of [";
  bool first = true;
  for (const auto& entry : enum_names(E{})) {
    if (!first)
      msg += ", ";
    first = false;
    msg += quoted(entry.second);
  }
  msg += "], found ";
  msg += quoted(name);
  return r.fail(std::move(msg));
}

// -- struct fields ------------------------------------------------------------

/// The `F` that `fields` sees when encoding.
class field_writer {
public:
  explicit field_writer(writer& w) noexcept : w_(w) {}

  template<class T>
  bool operator()(std::string_view name, T& x) {
    if constexpr (is_optional<T>::value) {
      if (!x)
        return true;
      return w_.key(name) && encode_value(w_, *x) && (w_.pop(), true);
    } else {
      return w_.key(name) && encode_value(w_, x) && (w_.pop(), true);
    }
  }

private:
  writer& w_;
};

/// The `F` that `fields` sees when decoding.
class field_reader {
public:
  explicit field_reader(reader& r) noexcept : r_(r) {}

  template<class T>
  bool operator()(std::string_view name, T& x) {
    bool found = false;
    if (!r_.find(name, found))
      return false;
    if (!found) {
      if constexpr (is_optional<T>::value) {
        x.reset();
        return true;
      } else {
        return r_.fail_missing(name);
      }
    }
    if (!decode_value(r_, x))
      return false;
    r_.leave();
    return true;
  }

private:
  reader& r_;
};

// -- maps ---------------------------------------------------------------------

template<class K>
bool decode_key(reader& r, std::string_view key, K& x) {
  if constexpr (std::is_same_v<K, std::string>) {
    x.assign(key.data(), key.size());
    return true;
  } else if constexpr (std::is_same_v<K, uuid>) {
    if (!uuid::try_parse(key, x))
      return r.fail("expected UUID key (8-4-4-4-12 hex digits), found " +
                    quoted(key));
    return true;
  } else {
    return enum_from_name(r, key, x);
  }
}

template<class M>
bool encode_map(writer& w, const M& xs) {
  using key_type = typename M::key_type;
  if constexpr (is_string_key_v<key_type>) {
    if (!w.begin_object())
      return false;
    for (const auto& [k, v] : xs) {
      if constexpr (std::is_same_v<key_type, std::string>) {
        if (!w.key(k))
          return false;
      } else if constexpr (std::is_same_v<key_type, uuid>) {
        auto str = to_string(k); // lives until pop
        if (!w.key(str) || !encode_value(w, v))
          return false;
        w.pop();
        continue;
      } else {
        std::string_view name;
        if (!enum_to_name(w, k, name) || !w.key(name))
          return false;
      }
      if (!encode_value(w, v))
        return false;
      w.pop();
    }
    return w.end_object();
  } else {
    if (!w.begin_array())
      return false;
    std::size_t i = 0;
    for (const auto& [k, v] : xs) {
      w.push(i++);
      if (!w.begin_array())
        return false;
      w.push(0);
      if (!encode_value(w, k))
        return false;
      w.pop();
      w.push(1);
      if (!encode_value(w, v))
        return false;
      w.pop();
      if (!w.end_array())
        return false;
      w.pop();
    }
    return w.end_array();
  }
}

template<class M>
bool decode_map(reader& r, M& xs) {
  using key_type = typename M::key_type;
  using mapped_type = typename M::mapped_type;
  xs.clear();
  std::size_t n = 0;
  if constexpr (is_string_key_v<key_type>) {
    if (!r.begin_object(n))
      return false;
    for (std::size_t i = 0; i < n; ++i) {
      auto name = r.enter_member(i);
      key_type k{};
      mapped_type v{};
      if (!decode_key(r, name, k) || !decode_value(r, v))
        return false;
      if (!xs.emplace(std::move(k), std::move(v)).second)
        return r.fail("duplicate key");
      r.leave();
    }
  } else {
    if (!r.begin_array(n))
      return false;
    for (std::size_t i = 0; i < n; ++i) {
      r.enter(i);
      std::size_t m = 0;
      if (!r.begin_array(m))
        return false;
      if (m != 2)
        return r.fail("expected [key, value], found array of " +
                      std::to_string(m) + " elements");
      key_type k{};
      mapped_type v{};
      r.enter(0);
      if (!decode_value(r, k))
        return false;
      r.leave();
      r.enter(1);
      if (!decode_value(r, v))
        return false;
      r.leave();
      if (!xs.emplace(std::move(k), std::move(v)).second)
        return r.fail("duplicate key");
      r.leave();
    }
  }
  return true;
}

// -- dispatch -----------------------------------------------------------------

template<class T>
bool encode_value(writer& w, const T& x) {
  if constexpr (std::is_same_v<T, bool>) {
    return w.write(x);
  } else if constexpr (is_integer_v<T>) {
    if constexpr (std::is_signed_v<T>)
      return w.write_signed(static_cast<std::int64_t>(x));
    else
      return w.write_unsigned(static_cast<std::uint64_t>(x));
  } else if constexpr (std::is_same_v<T, double>) {
    return w.write(x);
  } else if constexpr (std::is_same_v<T, std::string>) {
    return w.write(std::string_view{x});
  } else if constexpr (std::is_same_v<T, uuid> ||
                       std::is_same_v<T, timestamp> || std::is_same_v<T, raw>) {
    return w.write(x);
  } else if constexpr (is_optional<T>::value || is_nullable<T>::value) {
    return x ? encode_value(w, *x) : w.null();
  } else if constexpr (is_vector<T>::value || is_set<T>::value) {
    if constexpr (is_set<T>::value) {
      if (!w.begin_object() || !w.key("$set"))
        return false;
    }
    if (!w.begin_array())
      return false;
    std::size_t i = 0;
    for (const auto& element : x) {
      w.push(i++);
      if (!encode_value(w, element))
        return false;
      w.pop();
    }
    if (!w.end_array())
      return false;
    if constexpr (is_set<T>::value) {
      w.pop();
      return w.end_object();
    }
    return true;
  } else if constexpr (is_map<T>::value) {
    return encode_map(w, x);
  } else if constexpr (has_enum_names<T>::value) {
    std::string_view name;
    return enum_to_name(w, x, name) && w.write(name);
  } else if constexpr (has_fields<T>::value) {
    field_writer f{w};
    // `fields` takes a mutable reference for decoding; encoding only reads.
    return w.begin_object() && fields(f, const_cast<T&>(x)) && w.end_object();
  } else {
    static_assert(dependent_false<T>,
                  "es::json cannot encode this type: give it fields() or, "
                  "for an enum, enum_names() (see messages/json.hpp)");
    return false;
  }
}

template<class T>
bool decode_value(reader& r, T& x) {
  if constexpr (std::is_same_v<T, bool>) {
    return r.read(x);
  } else if constexpr (is_integer_v<T>) {
    using lim = std::numeric_limits<T>;
    if constexpr (std::is_signed_v<T>) {
      std::int64_t v = 0;
      if (!r.read_signed(v, lim::min(), lim::max()))
        return false;
      x = static_cast<T>(v);
    } else {
      std::uint64_t v = 0;
      if (!r.read_unsigned(v, lim::max()))
        return false;
      x = static_cast<T>(v);
    }
    return true;
  } else if constexpr (std::is_same_v<T, double> || std::is_same_v<T, uuid> ||
                       std::is_same_v<T, std::string> ||
                       std::is_same_v<T, timestamp> || std::is_same_v<T, raw>) {
    return r.read(x);
  } else if constexpr (is_optional<T>::value || is_nullable<T>::value) {
    using inner = typename T::value_type;
    if (r.is_null() && !is_nullable<inner>::value) {
      x.reset();
      return true;
    }
    return decode_value(r, x.emplace());
  } else if constexpr (is_vector<T>::value) {
    std::size_t n = 0;
    if (!r.begin_array(n))
      return false;
    x.clear();
    x.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      r.enter(i);
      typename T::value_type element{};
      if (!decode_value(r, element))
        return false;
      x.push_back(std::move(element));
      r.leave();
    }
    return true;
  } else if constexpr (is_set<T>::value) {
    constexpr const char* expected = "object {\"$set\": [...]}";
    std::size_t n = 0;
    bool found = false;
    if (!r.begin_object(n, expected))
      return false;
    if (n != 1 || !r.find("$set", found) || !found)
      return r.fail(std::string{"expected "} + expected +
                    ", found object with other keys");
    if (!r.begin_array(n))
      return false;
    x.clear();
    for (std::size_t i = 0; i < n; ++i) {
      r.enter(i);
      typename T::value_type element{};
      if (!decode_value(r, element))
        return false;
      if (!x.insert(std::move(element)).second)
        return r.fail("duplicate set element");
      r.leave();
    }
    r.leave();
    return true;
  } else if constexpr (is_map<T>::value) {
    return decode_map(r, x);
  } else if constexpr (has_enum_names<T>::value) {
    std::string_view name;
    return r.read_view(name) && enum_from_name(r, name, x);
  } else if constexpr (has_fields<T>::value) {
    std::size_t n = 0;
    field_reader f{r};
    return r.begin_object(n) && fields(f, x);
  } else {
    static_assert(dependent_false<T>,
                  "es::json cannot decode this type: give it fields() or, "
                  "for an enum, enum_names() (see messages/json.hpp)");
    return false;
  }
}

} // namespace es::json::detail

namespace es::json {

/// Encodes `x` as compact JSON. Failures are `ec::invalid_event`.
template<class T>
caf::expected<std::string> encode(const T& x,
                                  std::size_t max_depth = default_max_depth) {
  auto fn = [](detail::writer& w, const void* obj) {
    return detail::encode_value(w, *static_cast<const T*>(obj));
  };
  return detail::run_encoder(fn, &x, max_depth);
}

/// Decodes a `T` from `text`. Failures are `ec::decode_failed`. `T` must be
/// default-constructible, and so must the elements of its containers.
template<class T>
caf::expected<T> decode(std::string_view text,
                        std::size_t max_depth = default_max_depth) {
  T result{};
  auto fn = [](detail::reader& r, void* obj) {
    return detail::decode_value(r, *static_cast<T*>(obj));
  };
  if (auto err = detail::run_decoder(text, fn, &result, max_depth))
    return err;
  return result;
}

} // namespace es::json
