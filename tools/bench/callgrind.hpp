#pragma once
/// Callgrind's collection, switched by hand around the code a benchmark measures (the program
/// runs under `valgrind --tool=callgrind --collect-atstart=no`): mem-pingpong and
/// tachyon-bench-lwip. The toggle flips a global state of callgrind's, so this keeps track of it.

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_TOGGLE_COLLECT
#endif

namespace tachyon::bench {

/// True when the run asked for collection (--collect other than none): only then is it toggled.
inline bool g_callgrind = false;
/// Whether callgrind is collecting now.
inline bool g_collecting = false;

/// Switches collection on or off (when it is not so already).
inline void collect(bool on) {
    if (g_callgrind && g_collecting != on) {
        CALLGRIND_TOGGLE_COLLECT;
        g_collecting = on;
    }
}

/// Pauses collection for its lifetime (a device call, say), then restores what it was.
class collection_paused {
public:
    /// Pauses collection.
    collection_paused() : _was(g_collecting) { collect(false); }
    /// Restores collection as it was.
    ~collection_paused() { collect(_was); }
    collection_paused(const collection_paused&) = delete;
    collection_paused& operator=(const collection_paused&) = delete;

private:
    bool _was;
};

} // namespace tachyon::bench
