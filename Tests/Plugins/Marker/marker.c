/* ABI-conformance fixture: a valid plugin whose load-time constructor creates the file
 * /tmp/stargraph-marker-<pid>, so a test can prove the host refused it BEFORE dlopen. */
#include <stdio.h>
#include <unistd.h>
#include "stargraph_plugin.h"

__attribute__((constructor)) static void mark_loaded(void) {
    char path[64];
    snprintf(path, sizeof(path), "/tmp/stargraph-marker-%d", (int)getpid());
    FILE *file = fopen(path, "w");
    if (file != NULL) fclose(file);
}

static const sg_plugin_descriptor descriptor = {
    .abi_version = {SG_ABI_MAJOR, SG_ABI_MINOR},
    .struct_size = sizeof(sg_plugin_descriptor),
    .name = "marker",
    .version = "1.0.0",
};

SG_EXPORT const sg_plugin_descriptor *stargraph_plugin_v1(void) { return &descriptor; }
