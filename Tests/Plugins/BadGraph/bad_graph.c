/* ABI-conformance fixture: a graph-only plugin whose graph "broken" uses an unknown kind. */
#include "stargraph_plugin.h"

static const char yaml[] =
    "ir_version: \"1.0.0\"\n"
    "id: \"badgraph:broken\"\n"
    "nodes:\n"
    "  - {id: a, kind: nosuch.kind}\n";

static const sg_graph graph = {.struct_size = sizeof(sg_graph), .name = "broken", .ir_yaml = yaml, .ir_len = sizeof(yaml) - 1};
static const sg_graph *const graphs[] = {&graph};

static const sg_plugin_descriptor descriptor = {
    .abi_version = {SG_ABI_MAJOR, SG_ABI_MINOR},
    .struct_size = sizeof(sg_plugin_descriptor),
    .name = "badgraph",
    .version = "1.0.0",
    .graphs = graphs,
    .graph_count = 1,
};

SG_EXPORT const sg_plugin_descriptor *stargraph_plugin_v1(void) { return &descriptor; }
