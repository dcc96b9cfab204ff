/* ABI-conformance fixture: a descriptor whose struct_size is smaller than ABI v1's. */
#include "stargraph_plugin.h"

static const sg_plugin_descriptor descriptor = {
    .abi_version = {SG_ABI_MAJOR, SG_ABI_MINOR},
    .struct_size = 16,
    .name = "smallstruct",
    .version = "1.0.0",
};

SG_EXPORT const sg_plugin_descriptor *stargraph_plugin_v1(void) { return &descriptor; }
