/* The in-tree plain-C plugin "text": the node kind `text.shout` and the graph "text:shout".
 * Written against stargraph_plugin.h only (no Swift, no host library): it shows what a C
 * author does by hand — read JSON, allocate the output with a release function, report
 * errors with a code and a message. */
#include <stdlib.h>
#include <string.h>
#include "stargraph_plugin.h"
#include "json_scan.h"

/* One configured `shout` node: the suffix, kept as JSON string content (still escaped). */
typedef struct shout_instance {
    char *suffix;
    size_t suffix_len;
} shout_instance;

static void release_output(const char *data, size_t len) {
    (void)len;
    free((void *)data);
}

static int32_t shout_create(const sg_node_kind *kind, const char *config, size_t config_len, void **instance,
                            sg_error *error) {
    (void)kind;
    const char *suffix = "!";
    size_t suffix_len = 1;
    const char *found;
    size_t found_len;
    int status = json_find_string(config, config_len, "suffix", &found, &found_len);
    if (status == JSON_SCAN_WRONG_TYPE) {
        return sg_error_set(error, SG_ERR_INVALID_CONFIG, "config 'suffix' must be a string, e.g. suffix: \"!!\"");
    }
    if (status == JSON_SCAN_FOUND) {
        suffix = found;
        suffix_len = found_len;
    }
    shout_instance *made = malloc(sizeof(shout_instance));
    if (made == NULL) return sg_error_set(error, SG_ERR_FAILED, "out of memory");
    made->suffix = malloc(suffix_len + 1);
    if (made->suffix == NULL) {
        free(made);
        return sg_error_set(error, SG_ERR_FAILED, "out of memory");
    }
    memcpy(made->suffix, suffix, suffix_len);
    made->suffix_len = suffix_len;
    *instance = made;
    return SG_OK;
}

static void shout_destroy(void *instance) {
    shout_instance *node = instance;
    if (node == NULL) return;
    free(node->suffix);
    free(node);
}

/* {"shout":"<MESSAGE uppercased><suffix>"}: escapes are copied untouched, so the output is
 * valid JSON whenever the input was. */
static int32_t shout_invoke(void *instance, const sg_context *ctx, const char *input, size_t input_len,
                            sg_buffer *output, sg_error *error) {
    (void)ctx;
    const shout_instance *node = instance;
    const char *message;
    size_t message_len;
    if (json_find_string(input, input_len, "message", &message, &message_len) != JSON_SCAN_FOUND) {
        return sg_error_set(error, SG_ERR_INVALID_INPUT,
                            "state field 'message' must be a string; declare `message: str` in state_schema and set it");
    }
    static const char prefix[] = "{\"shout\":\"";
    static const char closing[] = "\"}";
    size_t total = sizeof(prefix) - 1 + message_len + node->suffix_len + sizeof(closing) - 1;
    char *out = malloc(total);
    if (out == NULL) return sg_error_set(error, SG_ERR_FAILED, "out of memory");
    size_t at = 0;
    memcpy(out, prefix, sizeof(prefix) - 1);
    at += sizeof(prefix) - 1;
    for (size_t i = 0; i < message_len; i++) {
        char c = message[i];
        if (c == '\\') {
            /* Copy the escape as written: \X, or \uXXXX. */
            size_t length = (i + 1 < message_len && message[i + 1] == 'u') ? 6 : 2;
            for (size_t k = 0; k < length && i < message_len; k++) out[at++] = message[i++];
            i--;
            continue;
        }
        out[at++] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
    }
    memcpy(out + at, node->suffix, node->suffix_len);
    at += node->suffix_len;
    memcpy(out + at, closing, sizeof(closing) - 1);
    at += sizeof(closing) - 1;
    output->data = out;
    output->len = at;
    output->release = release_output;
    return SG_OK;
}

static const sg_node_kind shout_kind = {
    .struct_size = sizeof(sg_node_kind),
    .name = "shout",
    .flags = SG_PURE | SG_THREAD_SAFE,
    .config_schema = "{\"type\":\"object\",\"properties\":{\"suffix\":{\"type\":\"string\",\"maxLength\":16}},"
                     "\"additionalProperties\":false}",
    .kind_data = NULL,
    .create = shout_create,
    .invoke = shout_invoke,
    .destroy = shout_destroy,
};

static const char shout_graph_yaml[] =
    "# Shouts the message, then halts.\n"
    "ir_version: \"1.0.0\"\n"
    "id: \"text:shout\"\n"
    "nodes:\n"
    "  - {id: shout, kind: text.shout}\n"
    "  - {id: done, kind: halt}\n"
    "state_schema:\n"
    "  message: {type: str, default: hello}\n"
    "  shout: str\n";

static const sg_graph shout_graph = {
    .struct_size = sizeof(sg_graph),
    .name = "shout",
    .ir_yaml = shout_graph_yaml,
    .ir_len = sizeof(shout_graph_yaml) - 1,
};

static const sg_node_kind *const kinds[] = {&shout_kind};
static const sg_graph *const graphs[] = {&shout_graph};

static const sg_plugin_descriptor descriptor = {
    .abi_version = {SG_ABI_MAJOR, SG_ABI_MINOR},
    .struct_size = sizeof(sg_plugin_descriptor),
    .name = "text",
    .version = "1.0.0",
    .kinds = kinds,
    .kind_count = 1,
    .graphs = graphs,
    .graph_count = 1,
    .init = NULL,
    .shutdown = NULL,
};

SG_EXPORT const sg_plugin_descriptor *stargraph_plugin_v1(void) { return &descriptor; }
