#include <string.h>
#include "json_scan.h"

static size_t skip_space(const char *s, size_t i, size_t n) {
    while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) i++;
    return i;
}

/* s[i] is the opening quote; returns the index just past the closing quote, or n. */
static size_t skip_string(const char *s, size_t i, size_t n) {
    for (i++; i < n; i++) {
        if (s[i] == '\\') i++;
        else if (s[i] == '"') return i + 1;
    }
    return n;
}

/* Returns the index just past the value starting at s[i]. */
static size_t skip_value(const char *s, size_t i, size_t n) {
    if (i < n && s[i] == '"') return skip_string(s, i, n);
    int depth = 0;
    while (i < n) {
        char c = s[i];
        if (c == '"') {
            i = skip_string(s, i, n);
            continue;
        }
        if (c == '{' || c == '[') depth++;
        else if (c == '}' || c == ']') {
            if (depth == 0) return i;
            depth--;
            if (depth == 0) return i + 1;
        } else if (c == ',' && depth == 0) return i;
        i++;
    }
    return n;
}

int json_find_string(const char *json, size_t len, const char *key, const char **value, size_t *value_len) {
    size_t key_len = strlen(key);
    size_t i = skip_space(json, 0, len);
    if (i >= len || json[i] != '{') return JSON_SCAN_MISSING;
    i++;
    while (1) {
        i = skip_space(json, i, len);
        if (i >= len || json[i] != '"') return JSON_SCAN_MISSING;
        size_t key_start = i + 1;
        i = skip_string(json, i, len);
        int matches = (i - 1 - key_start == key_len) && memcmp(json + key_start, key, key_len) == 0;
        i = skip_space(json, i, len);
        if (i >= len || json[i] != ':') return JSON_SCAN_MISSING;
        i = skip_space(json, i + 1, len);
        size_t end = skip_value(json, i, len);
        if (matches) {
            if (json[i] != '"') return JSON_SCAN_WRONG_TYPE;
            *value = json + i + 1;
            *value_len = end - i - 2;
            return JSON_SCAN_FOUND;
        }
        i = skip_space(json, end, len);
        if (i >= len || json[i] != ',') return JSON_SCAN_MISSING;
        i++;
    }
}
