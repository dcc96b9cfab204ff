/* ABI-conformance fixture: init refuses to load unless the config sets "token". */
#include <string.h>
#include "stargraph_plugin.h"

static int32_t init(const sg_host_api *host, const char *config, size_t config_len, sg_error *error) {
    (void)host;
    const char needle[] = "\"token\"";
    for (size_t i = 0; i + sizeof(needle) - 1 <= config_len; i++) {
        if (memcmp(config + i, needle, sizeof(needle) - 1) == 0) return SG_OK;
    }
    return sg_error_set(error, 7, "no API token configured; set config.token in the manifest entry");
}

static const sg_plugin_descriptor descriptor = {
    .abi_version = {SG_ABI_MAJOR, SG_ABI_MINOR},
    .struct_size = sizeof(sg_plugin_descriptor),
    .name = "initfails",
    .version = "1.0.0",
    .init = init,
};

SG_EXPORT const sg_plugin_descriptor *stargraph_plugin_v1(void) { return &descriptor; }
