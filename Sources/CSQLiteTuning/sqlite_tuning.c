// SPDX-License-Identifier: Apache-2.0
#include "sqlite_tuning.h"
#include <sqlite3.h>

stargraph_sqlite_tuning stargraph_sqlite_tune_process(void) {
    stargraph_sqlite_tuning result;
    result.multithread = sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    result.memstatus = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return result;
}
