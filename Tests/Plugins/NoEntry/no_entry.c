/* ABI-conformance fixture: a valid shared object that does not export stargraph_plugin_v1. */
#include "stargraph_plugin.h"

SG_EXPORT int stargraph_plugin_v0(void) { return 0; }
