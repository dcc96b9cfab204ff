/* ABI-conformance fixture: plugin "dup.x" with kind "y", registered as "dup.x.y" — the same
 * name as the other Dup fixture's kind, so loading both must stop boot naming both. */
#include "stargraph_plugin.h"

static int32_t invoke(void *instance, const sg_context *ctx, const char *input, size_t input_len,
                      sg_buffer *output, sg_error *error) {
    (void)instance; (void)ctx; (void)input; (void)input_len; (void)error;
    output->data = "{}";
    output->len = 2;
    output->release = NULL;
    return SG_OK;
}

static const sg_node_kind kind = {
    .struct_size = sizeof(sg_node_kind), .name = "y", .flags = SG_PURE, .invoke = invoke,
};
static const sg_node_kind *const kinds[] = {&kind};

static const sg_plugin_descriptor descriptor = {
    .abi_version = {SG_ABI_MAJOR, SG_ABI_MINOR},
    .struct_size = sizeof(sg_plugin_descriptor),
    .name = "dup.x",
    .version = "1.0.0",
    .kinds = kinds,
    .kind_count = 1,
};

SG_EXPORT const sg_plugin_descriptor *stargraph_plugin_v1(void) { return &descriptor; }
