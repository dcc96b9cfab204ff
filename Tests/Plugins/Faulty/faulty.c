/* ABI-conformance fixture "faulty": kinds that misbehave (invalid JSON, an array, an error
 * code, an output over the host's limit), one that waits for is_cancelled, one that never does, and two probes that count how many invocations are in flight at once — one
 * SG_SERIAL (the host must never overlap it), one SG_THREAD_SAFE (the host may). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "stargraph_plugin.h"

static void reply(sg_buffer *output, const char *text) {
    output->data = text;
    output->len = strlen(text);
    output->release = NULL;
}

static int32_t bad_json(void *instance, const sg_context *ctx, const char *input, size_t input_len, sg_buffer *output,
                        sg_error *error) {
    (void)instance; (void)ctx; (void)input; (void)input_len; (void)error;
    reply(output, "{\"result\": oops");
    return SG_OK;
}

static int32_t array(void *instance, const sg_context *ctx, const char *input, size_t input_len, sg_buffer *output,
                     sg_error *error) {
    (void)instance; (void)ctx; (void)input; (void)input_len; (void)error;
    reply(output, "[1,2,3]");
    return SG_OK;
}

static int32_t fails(void *instance, const sg_context *ctx, const char *input, size_t input_len, sg_buffer *output,
                     sg_error *error) {
    (void)instance; (void)ctx; (void)input; (void)input_len; (void)output;
    return sg_error_set(error, 42, "upstream said no");
}

/* Replies {"blob":"aaa…"} of 2 MiB and more: over the host's default output limit (1 MiB). */
static void release_blob(const char *data, size_t len) { (void)len; free((void *)data); }

static int32_t huge(void *instance, const sg_context *ctx, const char *input, size_t input_len, sg_buffer *output,
                    sg_error *error) {
    (void)instance; (void)ctx; (void)input; (void)input_len;
    size_t size = 2 * 1024 * 1024;
    char *text = malloc(size + 16);
    if (text == NULL) return sg_error_set(error, SG_ERR_FAILED, "out of memory");
    memcpy(text, "{\"blob\":\"", 9);
    memset(text + 9, 'a', size);
    memcpy(text + 9 + size, "\"}", 2);
    output->data = text;
    output->len = size + 11;
    output->release = release_blob;
    return SG_OK;
}

/* Polls is_cancelled every millisecond for up to 20 s; when it turns true, counts it and
 * returns SG_ERR_CANCELLED, as the ABI asks of long calls. */
static atomic_int cancels_seen;

static int32_t waits_for_cancel(void *instance, const sg_context *ctx, const char *input, size_t input_len,
                                sg_buffer *output, sg_error *error) {
    (void)instance; (void)input; (void)input_len;
    struct timespec tick = {0, 1000 * 1000};
    for (int i = 0; i < 20000; i++) {
        if (ctx->host->is_cancelled(ctx)) {
            atomic_fetch_add(&cancels_seen, 1);
            return sg_error_set(error, SG_ERR_CANCELLED, "cancelled");
        }
        nanosleep(&tick, NULL);
    }
    reply(output, "{}");
    return SG_OK;
}

/* Sleeps 60 s without ever asking is_cancelled: the plugin a host cannot interrupt. */
static int32_t blocks(void *instance, const sg_context *ctx, const char *input, size_t input_len, sg_buffer *output,
                      sg_error *error) {
    (void)instance; (void)ctx; (void)input; (void)input_len; (void)error;
    struct timespec pause = {60, 0};
    while (nanosleep(&pause, &pause) != 0) {
    }
    reply(output, "{}");
    return SG_OK;
}

/* Replies {"max_seen": <how many times waits_for_cancel saw is_cancelled turn true>}. */
static int32_t cancels(void *instance, const sg_context *ctx, const char *input, size_t input_len, sg_buffer *output,
                       sg_error *error) {
    (void)instance; (void)ctx; (void)input; (void)input_len; (void)error;
    static _Thread_local char text[64];
    snprintf(text, sizeof(text), "{\"max_seen\":%d}", atomic_load(&cancels_seen));
    reply(output, text);
    return SG_OK;
}

/* In-flight counters of one probe kind. */
typedef struct probe {
    atomic_int in_flight;
    atomic_int max_seen;
} probe;

static probe serial_probe_state;
static probe parallel_probe_state;

/* Enters, holds the call for 3 ms, leaves; replies {"max_seen": <most calls ever in flight>}. */
static int32_t run_probe(probe *state, sg_buffer *output) {
    int now = atomic_fetch_add(&state->in_flight, 1) + 1;
    int seen = atomic_load(&state->max_seen);
    while (now > seen && !atomic_compare_exchange_weak(&state->max_seen, &seen, now)) {
    }
    struct timespec pause = {0, 3 * 1000 * 1000};
    nanosleep(&pause, NULL);
    atomic_fetch_sub(&state->in_flight, 1);
    static _Thread_local char text[64];
    snprintf(text, sizeof(text), "{\"max_seen\":%d}", atomic_load(&state->max_seen));
    reply(output, text);
    return SG_OK;
}

static int32_t serial_probe(void *instance, const sg_context *ctx, const char *input, size_t input_len,
                            sg_buffer *output, sg_error *error) {
    (void)instance; (void)ctx; (void)input; (void)input_len; (void)error;
    return run_probe(&serial_probe_state, output);
}

static int32_t parallel_probe(void *instance, const sg_context *ctx, const char *input, size_t input_len,
                              sg_buffer *output, sg_error *error) {
    (void)instance; (void)ctx; (void)input; (void)input_len; (void)error;
    return run_probe(&parallel_probe_state, output);
}

#define KIND(var, kind_name, kind_flags, fn) \
    static const sg_node_kind var = {.struct_size = sizeof(sg_node_kind), .name = kind_name, .flags = kind_flags, .invoke = fn}

KIND(bad_json_kind, "bad_json", SG_PURE, bad_json);
KIND(array_kind, "array", SG_PURE, array);
KIND(fails_kind, "fails", SG_PURE, fails);
KIND(huge_kind, "huge", SG_PURE, huge);
KIND(waits_kind, "waits_for_cancel", SG_PURE, waits_for_cancel);
KIND(cancels_kind, "cancels", SG_PURE, cancels);
KIND(blocks_kind, "blocks", SG_PURE, blocks);
KIND(serial_kind, "serial_probe", SG_SIDE_EFFECTING | SG_SERIAL, serial_probe);
KIND(parallel_kind, "parallel_probe", SG_SIDE_EFFECTING | SG_THREAD_SAFE, parallel_probe);

static const sg_node_kind *const kinds[] = {&bad_json_kind, &array_kind, &fails_kind, &huge_kind, &waits_kind, &cancels_kind, &blocks_kind,
                                             &serial_kind, &parallel_kind};

static const sg_plugin_descriptor descriptor = {
    .abi_version = {SG_ABI_MAJOR, SG_ABI_MINOR},
    .struct_size = sizeof(sg_plugin_descriptor),
    .name = "faulty",
    .version = "1.0.0",
    .kinds = kinds,
    .kind_count = sizeof(kinds) / sizeof(kinds[0]),
};

SG_EXPORT const sg_plugin_descriptor *stargraph_plugin_v1(void) { return &descriptor; }
