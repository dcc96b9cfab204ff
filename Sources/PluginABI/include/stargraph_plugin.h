/*
 * stargraph_plugin.h — the Stargraph plugin ABI, version 1.
 *
 * This header is THE contract between a Stargraph host and a plugin: a shared library
 * (`.so`) that the host loads with dlopen(RTLD_NOW | RTLD_LOCAL) and that ships node kinds,
 * graphs, or both. It is plain C99, safe to include from C++ (extern "C"), and carries no
 * Swift types. A plugin includes this one header and links nothing of the host.
 *
 * ---------------------------------------------------------------------------------------
 * 1. Entry point
 * ---------------------------------------------------------------------------------------
 * A plugin exports exactly one function, with C linkage and default visibility:
 *
 *     SG_EXPORT const sg_plugin_descriptor *stargraph_plugin_v1(void);
 *
 * It returns a pointer to a descriptor that stays valid and unchanged for as long as the
 * library is loaded (make it `static const`). The host may call the entry more than once;
 * it must return the same descriptor every time. It must not call back into the host and
 * should do no work beyond returning the pointer (initialise in `init`).
 *
 * ---------------------------------------------------------------------------------------
 * 2. Versioning
 * ---------------------------------------------------------------------------------------
 * - `abi_version.major` must be SG_ABI_MAJOR (1). A host refuses any other major.
 * - `abi_version.minor` may be anything: minor versions only APPEND fields at the end of
 *   structs. Every struct with a `struct_size` field (descriptor, node kind, graph, host
 *   API, context) has it filled by its writer with `sizeof(the struct it was compiled
 *   with)`. A reader refuses a size smaller than the v1 size and ignores fields beyond the
 *   size it knows. Never reorder or remove fields.
 * - A plugin that needs a host function added in a later minor checks
 *   `host->struct_size >= offsetof(sg_host_api, that_function) + sizeof(void *)` first.
 * - Graphs are validated with the plugin's `name@version` in their graph hash, so bump
 *   `version` whenever a node kind's behaviour changes.
 *
 * ---------------------------------------------------------------------------------------
 * 3. Ownership of memory (whoever allocates, releases)
 * ---------------------------------------------------------------------------------------
 * - Strings in the descriptor, node kinds and graphs are owned by the plugin and must
 *   stay valid while the library is loaded (string literals are ideal).
 * - Buffers the HOST passes in (config JSON, input JSON, the error message buffer, the
 *   context) are owned by the host and valid only until the call returns. Copy what you
 *   keep.
 * - Buffers the PLUGIN hands out (an invoke's output) come in an `sg_buffer` with the
 *   plugin's own `release` function. The host copies the bytes and then calls
 *   `release(data, len)` exactly once, from any thread, whenever `data` is non-NULL after
 *   `invoke` returns, on success and on failure alike. `release` may be NULL for static
 *   data. Never free host memory, and never expect the host to free(3) yours.
 * - An instance made by `create` belongs to the plugin; the host hands it back to
 *   `invoke` and eventually to `destroy` (at most once, after the last `invoke` on it).
 *
 * ---------------------------------------------------------------------------------------
 * 4. Data
 * ---------------------------------------------------------------------------------------
 * - Everything structured crosses as UTF-8 JSON, pointer + length, NOT NUL-terminated
 *   (read exactly `len` bytes). Names, versions, messages and event types are
 *   NUL-terminated UTF-8 strings.
 * - `invoke` receives the run's whole state as one JSON object (canonical JSON: sorted
 *   keys, no whitespace) and must return one JSON object: the patch to merge into the
 *   state. Anything else (invalid JSON, an array, a number) fails that run with
 *   `error_class: PluginError`; the host and other runs are unaffected.
 * - The patch is checked against the graph's `state_schema` like any node's output.
 *
 * ---------------------------------------------------------------------------------------
 * 5. Errors
 * ---------------------------------------------------------------------------------------
 * Every fallible function returns an int32_t status: SG_OK (0) on success, any other value
 * on failure (use the SG_ERR_* codes or your own positive codes). On failure, write a
 * human-readable UTF-8 message into `error->message` (capacity `error->capacity` bytes,
 * including the terminating NUL; longer text is truncated): say what went wrong and what
 * to change. `sg_error_set()` below does both. The host shows the message and code:
 * - `init` failing stops the host from booting (or skips an `optional: true` plugin);
 * - `create` failing refuses the graph that configures the node, before any run starts;
 * - `invoke` failing fails only that run, with `error_class: PluginError` and
 *   the message `<plugin>.<kind>: <your message> (code N)`.
 * Never abort(), exit() or raise a signal: a crash in a plugin takes the host down.
 *
 * ---------------------------------------------------------------------------------------
 * 6. Threads
 * ---------------------------------------------------------------------------------------
 * - `init` and `shutdown` are called once each, from one thread, with no other call in
 *   flight. `shutdown` is the last call the host makes into the plugin; release every
 *   remaining resource there (including instances never destroyed). The host never
 *   dlclose()s a plugin: its code stays mapped until the process exits. A process that
 *   loads one library through several manifests (test suites do) makes one init/shutdown
 *   pair per load (loads may overlap) on the same mapped library.
 * - `create` and `destroy` may be called from any thread, concurrently with other calls.
 * - A kind flagged SG_THREAD_SAFE may have `invoke` called concurrently from many threads,
 *   on one instance or on several. A kind flagged SG_SERIAL never has two `invoke` calls in
 *   flight at once (across all its instances); the host queues the callers.
 * - `invoke` runs on one of the host's worker threads: keep it short, and poll
 *   `host->is_cancelled(ctx)` in long loops, returning SG_ERR_CANCELLED when it says so.
 *
 * ---------------------------------------------------------------------------------------
 * 7. Determinism and the host API
 * ---------------------------------------------------------------------------------------
 * - Flag a kind SG_PURE when its output depends only on its input and config; the host
 *   re-executes pure nodes on replay. Flag it SG_SIDE_EFFECTING when it touches the
 *   world; replays then serve its recorded output instead of calling it.
 * - Take time, randomness and ids ONLY from the host (`now_ms`, `random_u64`, `uuid`),
 *   passing the `ctx` of the current `invoke`. The host records every value per step
 *   (`stargraph inspect RUN --step N` shows them under "effects"), so replays can
 *   reproduce the run. Never call time(), rand() or a UUID library in a node.
 * - `ctx` is valid only until the `invoke` it was passed to returns (any thread may use it
 *   until then). The host API table itself stays valid from `init` until `shutdown`
 *   returns, so a plugin may keep the pointer it was given in `init`.
 */
#ifndef STARGRAPH_PLUGIN_H
#define STARGRAPH_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI this header describes. */
#define SG_ABI_MAJOR 1
#define SG_ABI_MINOR 0

/* The name of the one symbol a plugin exports (see section 1). */
#define SG_ENTRY_SYMBOL "stargraph_plugin_v1"

/* Marks the entry point as exported, whatever the compiler's default visibility. */
#if defined(_WIN32)
#define SG_EXPORT __declspec(dllexport)
#else
#define SG_EXPORT __attribute__((visibility("default")))
#endif

/* Status codes (section 5). Plugins may return their own positive codes too. */
#define SG_OK 0
#define SG_ERR_FAILED 1           /* a generic failure; the message says why */
#define SG_ERR_INVALID_INPUT 2    /* the input state is not what the node needs */
#define SG_ERR_INVALID_CONFIG 3   /* `create` or `init`: the config is unusable */
#define SG_ERR_CANCELLED 4        /* the run was cancelled (is_cancelled said so) */
#define SG_ERR_NO_CONTEXT 5       /* host API: ctx is NULL or not an invoke context */
#define SG_ERR_INVALID_ARGUMENT 6 /* host API: a NULL pointer or invalid JSON was passed */

/* Node kind flags: one of each pair (the zero value is the first of each). */
#define SG_PURE 0u
#define SG_SIDE_EFFECTING (1u << 0)
#define SG_THREAD_SAFE 0u
#define SG_SERIAL (1u << 1)

/* Log levels for sg_host_api.log. */
#define SG_LOG_TRACE 0
#define SG_LOG_DEBUG 1
#define SG_LOG_INFO 2
#define SG_LOG_WARNING 3
#define SG_LOG_ERROR 4

/* The ABI version a descriptor was built against (section 2). */
typedef struct sg_abi_version {
    uint16_t major;
    uint16_t minor;
} sg_abi_version;

/* Where a failing call writes its message: a host-owned buffer of `capacity` bytes. */
typedef struct sg_error {
    char *message;
    size_t capacity;
} sg_error;

/* Bytes handed from the plugin to the host, with the plugin's own release function.
 * The host calls release(data, len) once after copying, when data is non-NULL. */
typedef struct sg_buffer {
    const char *data;
    size_t len;
    void (*release)(const char *data, size_t len);
} sg_buffer;

struct sg_host_api;

/* One invocation as the host sees it. Pass it back to the host API unchanged; valid only
 * until the call it was passed to returns. */
typedef struct sg_context {
    uint32_t struct_size;
    /* The host API table (same pointer `init` received). */
    const struct sg_host_api *host;
    /* Private to the host: never read or write it. */
    void *host_data;
} sg_context;

/* Services the host offers to plugins. Every function is thread-safe. */
typedef struct sg_host_api {
    uint32_t struct_size;
    sg_abi_version abi_version;
    /* Logs `message` (NUL-terminated) at `level` (SG_LOG_*), tagged with the run and node
     * of `ctx`. `ctx` may be NULL (from init/create/destroy/shutdown). */
    void (*log)(const sg_context *ctx, int32_t level, const char *message);
    /* Emits a custom event `type` (NUL-terminated) with a JSON payload (`len` bytes) for the
     * run of `ctx`. SG_ERR_INVALID_ARGUMENT when the payload is not valid JSON. */
    int32_t (*emit_event)(const sg_context *ctx, const char *type, const char *json, size_t len);
    /* 1 when the run of `ctx` has been asked to stop (return SG_ERR_CANCELLED soon), else 0. */
    int32_t (*is_cancelled)(const sg_context *ctx);
    /* The current time in milliseconds since the Unix epoch, recorded for replay. */
    int32_t (*now_ms)(const sg_context *ctx, int64_t *out_ms);
    /* A uniformly random integer in [0, 2^53] (exact as a JSON number), recorded for replay. */
    int32_t (*random_u64)(const sg_context *ctx, uint64_t *out);
    /* A random lowercase UUID: writes 36 characters plus a NUL into `out` (37 bytes),
     * recorded for replay. */
    int32_t (*uuid)(const sg_context *ctx, char *out);
    /* The plugin's config from the manifest (a JSON object, `{}` when none), owned by the
     * host and valid until shutdown. `ctx` must be an invoke context. */
    int32_t (*config)(const sg_context *ctx, const char **json, size_t *len);
} sg_host_api;

/* One node kind. Registered by the host as `<plugin name>.<name>`. */
typedef struct sg_node_kind {
    uint32_t struct_size;
    /* 1-64 characters from a-z, 0-9, '_', '-' and '.', starting with a letter or digit. */
    const char *name;
    /* SG_PURE or SG_SIDE_EFFECTING, or-ed with SG_THREAD_SAFE or SG_SERIAL. */
    uint32_t flags;
    /* Optional JSON Schema (a JSON object, NUL-terminated) for the node's `config`. The host
     * checks every node's config against it before `create` (type, properties, required,
     * additionalProperties, items, enum, const, minimum, maximum, minLength, maxLength,
     * minItems, maxItems); NULL means any config object is passed to `create`. */
    const char *config_schema;
    /* Opaque plugin data, handed back to `create` through `kind` (e.g. to tell kinds apart
     * when they share one `create`). */
    const void *kind_data;
    /* Makes one instance for one graph node from its `config` JSON object (`config_len`
     * bytes). Store the instance in *instance (may stay NULL for stateless kinds). NULL
     * `create` means every instance is NULL. */
    int32_t (*create)(const struct sg_node_kind *kind, const char *config_json, size_t config_len,
                      void **instance, sg_error *error);
    /* Runs the node: `input_json` is the run's state (a JSON object, `input_len` bytes). On
     * success fill *output with a JSON object (the state patch) and return SG_OK. Required. */
    int32_t (*invoke)(void *instance, const sg_context *ctx, const char *input_json, size_t input_len,
                      sg_buffer *output, sg_error *error);
    /* Frees an instance `create` made. May be NULL when instances need no freeing. */
    void (*destroy)(void *instance);
} sg_node_kind;

/* One graph shipped by the plugin, as IR v1 YAML text (the same format as graph files). */
typedef struct sg_graph {
    uint32_t struct_size;
    /* A short name for messages (`plugin:<plugin>/<name>`); the graph id is inside the YAML. */
    const char *name;
    /* The YAML text, `ir_len` bytes of UTF-8 (need not be NUL-terminated). */
    const char *ir_yaml;
    size_t ir_len;
} sg_graph;

/* What the entry point returns: everything the plugin ships. */
typedef struct sg_plugin_descriptor {
    /* First, so a host can refuse a foreign major before reading anything else. */
    sg_abi_version abi_version;
    /* sizeof(sg_plugin_descriptor) as the plugin was compiled. */
    uint32_t struct_size;
    /* The plugin's name: 1-64 characters from a-z, 0-9, '_', '-' and '.', starting with a
     * letter or digit. It must equal the `name` of the manifest entry that loads it, and
     * prefixes its kinds (`<name>.<kind>`). */
    const char *name;
    /* The plugin's version (free text, e.g. semver); part of graph hashes. */
    const char *version;
    /* `kind_count` pointers to node kinds (NULL when there are none). */
    const sg_node_kind *const *kinds;
    size_t kind_count;
    /* `graph_count` pointers to graphs (NULL when there are none). */
    const sg_graph *const *graphs;
    size_t graph_count;
    /* Optional. Called once before anything else, with the host API table and the manifest
     * entry's `config` (a JSON object, `{}` when none). Return non-zero to refuse to load. */
    int32_t (*init)(const sg_host_api *host, const char *config_json, size_t config_len, sg_error *error);
    /* Optional. The last call into the plugin, at host exit. */
    void (*shutdown)(void);
} sg_plugin_descriptor;

/* The type of the entry point, for hosts that look it up with dlsym. */
typedef const sg_plugin_descriptor *(*sg_plugin_entry)(void);

/* Writes `message` (truncated to fit) into `error` and returns `code`: the idiom for every
 * failing return, e.g. `return sg_error_set(error, SG_ERR_INVALID_INPUT, "text is missing");`. */
static inline int32_t sg_error_set(sg_error *error, int32_t code, const char *message) {
    if (error != NULL && error->message != NULL && error->capacity > 0) {
        size_t length = message != NULL ? strlen(message) : 0;
        if (length >= error->capacity) length = error->capacity - 1;
        if (length > 0) memcpy(error->message, message, length);
        error->message[length] = '\0';
    }
    return code;
}

#ifdef __cplusplus
}
#endif

#endif /* STARGRAPH_PLUGIN_H */
