/* Compile-time checks of the ABI v1 layout: the header is the contract, and these
 * assertions catch an accidental change to it (a reordered or resized field) at build time. */
#include "stargraph_plugin.h"

_Static_assert(offsetof(sg_plugin_descriptor, abi_version) == 0, "abi_version must come first");
_Static_assert(offsetof(sg_plugin_descriptor, struct_size) == 4, "struct_size must follow abi_version");
_Static_assert(offsetof(sg_node_kind, struct_size) == 0, "sg_node_kind starts with struct_size");
_Static_assert(offsetof(sg_graph, struct_size) == 0, "sg_graph starts with struct_size");
_Static_assert(offsetof(sg_host_api, struct_size) == 0, "sg_host_api starts with struct_size");
_Static_assert(offsetof(sg_context, struct_size) == 0, "sg_context starts with struct_size");
_Static_assert(sizeof(sg_abi_version) == 4, "sg_abi_version is two uint16_t");
