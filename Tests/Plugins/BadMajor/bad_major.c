/* ABI-conformance fixture: a descriptor claiming ABI 2.0, which a v1 host must refuse. */
#include "stargraph_plugin.h"

static const sg_plugin_descriptor descriptor = {
    .abi_version = {2, 0},
    .struct_size = sizeof(sg_plugin_descriptor),
    .name = "badmajor",
    .version = "1.0.0",
};

SG_EXPORT const sg_plugin_descriptor *stargraph_plugin_v1(void) { return &descriptor; }
