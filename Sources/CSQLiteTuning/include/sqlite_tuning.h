// SPDX-License-Identifier: Apache-2.0
//
// Process-wide SQLite settings the host applies at start. sqlite3_config() is variadic, so Swift
// cannot call it directly; this shim does.
#ifndef STARGRAPH_SQLITE_TUNING_H
#define STARGRAPH_SQLITE_TUNING_H

/// The result codes of the two sqlite3_config() calls made by stargraph_sqlite_tune_process().
typedef struct {
    /// SQLITE_CONFIG_MULTITHREAD: connections opened without SQLITE_OPEN_FULLMUTEX take no mutex.
    int multithread;
    /// SQLITE_CONFIG_MEMSTATUS off: no global mutex around every allocation to keep statistics.
    int memstatus;
} stargraph_sqlite_tuning;

/// Applies both settings. Call it once, at process start, before any thread uses SQLite:
/// sqlite3_config() is not thread-safe, and it returns SQLITE_MISUSE once SQLite is initialized.
stargraph_sqlite_tuning stargraph_sqlite_tune_process(void);

#endif
