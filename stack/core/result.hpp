#pragma once
/// Errors are values: `result<T>` holds a T or an `error` (a code plus a message for the
/// control path). The data path returns plain `errc` codes and never allocates.

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace tachyon {

/// Why an operation failed.
enum class errc {
    ok = 0,
    invalid_argument,  ///< a bad value given by the caller or the configuration
    no_buffer,         ///< the packet pool is empty
    no_space,          ///< a fixed-capacity table or queue is full
    would_block,       ///< nothing to do now (no data, no room): try again after a poll
    unreachable,       ///< no route or the neighbour could not be resolved
    not_found,         ///< no such entry
    in_use,            ///< the name, address or port is taken
    permission_denied, ///< the operating system refused
    system,            ///< another operating-system error (see the message)
};

/// A short, stable name for an error code.
const char* to_string(errc e);

/// An error code with a human-readable explanation (control path only).
struct error {
    errc code = errc::ok;     ///< the kind of failure
    std::string message;      ///< what happened and, where known, what to do about it
};

/// Either a value or an error (a minimal `std::expected` for C++20).
template <class T>
class [[nodiscard]] result {
public:
    /// A successful result.
    result(T v) : _v(std::in_place_index<0>, std::move(v)) {}
    /// A failed result.
    result(error e) : _v(std::in_place_index<1>, std::move(e)) {}

    /// True on success.
    bool ok() const { return _v.index() == 0; }
    /// True on success.
    explicit operator bool() const { return ok(); }
    /// The value (only on success).
    T& value() & { assert(ok()); return std::get<0>(_v); }
    /// The value, moved out of a temporary result (only on success).
    T&& value() && { assert(ok()); return std::move(std::get<0>(_v)); }
    /// The value (only on success).
    const T& value() const& { assert(ok()); return std::get<0>(_v); }
    /// The value (only on success).
    T& operator*() { return value(); }
    /// Member access to the value (only on success).
    T* operator->() { return &value(); }
    /// The error (only on failure).
    const error& err() const { assert(!ok()); return std::get<1>(_v); }

private:
    std::variant<T, error> _v;
};

/// A result with no value.
template <>
class [[nodiscard]] result<void> {
public:
    /// Success.
    result() = default;
    /// Failure.
    result(error e) : _e(std::move(e)) {}
    /// True on success.
    bool ok() const { return _e.code == errc::ok; }
    /// True on success.
    explicit operator bool() const { return ok(); }
    /// The error (only on failure).
    const error& err() const { return _e; }

private:
    error _e;
};

/// Builds an `error` from a code and a message.
inline error make_error(errc code, std::string message) { return error{code, std::move(message)}; }

} // namespace tachyon
