/*
 * stargraph_json.h — a small header-only JSON reader and writer for C plugins.
 *
 * `invoke` receives the run's state as one JSON object (pointer + length, NOT NUL-terminated)
 * and returns one JSON object, the patch (stargraph_plugin.h, section 4). This header reads the
 * fields of the first and writes the second, so a C plugin needs no JSON library and no scanner
 * of its own. It stands alone (it does not need stargraph_plugin.h), is C11 and C++ safe, and
 * every function is `static inline`: include it and link nothing. It keeps no global state, so
 * every function may be called from any thread.
 *
 * Reader: sg_json_get_string / _number / _int64 / _bool / _object / _raw and sg_json_is_null
 * look up one field `key` of the top-level object in json[0..len) and return an sg_json_status.
 * - Every lookup validates the WHOLE input against the JSON grammar (RFC 8259) and returns
 *   SG_JSON_MALFORMED when it is not exactly one JSON object (surrounding whitespace allowed).
 *   It never reads outside json[0..len). Values nested more than SG_JSON_MAX_DEPTH levels
 *   inside the top-level object count as malformed (define it before the include to change).
 * - Only top-level fields are looked up. For a nested one, take the object's span with
 *   sg_json_get_object and look up in that span: it is a JSON object in its own right.
 * - Keys are compared after decoding their escapes, byte for byte with the NUL-terminated UTF-8
 *   `key` (no Unicode normalisation). When a key occurs more than once, the last one wins (the
 *   host's canonical JSON never repeats a key).
 * - A field that is present but `null` gives SG_JSON_NULL (not SG_JSON_WRONG_TYPE) from every
 *   typed getter. Output parameters are written only on SG_JSON_OK (and *out_len on
 *   SG_JSON_TOO_LONG), so `int64_t n = 10; sg_json_get_int64(..., &n);` keeps 10 as a default.
 * - Strings are decoded to UTF-8, \uXXXX surrogate pairs included; a lone surrogate becomes
 *   U+FFFD and \u0000 a NUL byte inside the string. Raw bytes are not checked to be UTF-8.
 * - Each lookup scans the whole input (O(len) per call): fine for a handful of fields; a node
 *   that reads hundreds of fields of a large state wants a real JSON library.
 *
 * Writer: an sg_json_writer fills a caller's buffer with `{"key":value,...}`, fields in call
 * order, and never writes a byte past the buffer's capacity. Keys and string values are escaped
 * (", \ and control characters, the latter as \u00XX) and must be valid UTF-8. Duplicate keys
 * are not detected. Any failure is sticky: a write that does not fit sets `overflow`; an invalid
 * argument (NULL key or value, invalid UTF-8, a NaN or infinite number, a raw value that is not
 * one JSON value, a put after finish) sets `invalid`. sg_json_writer_finish then returns false
 * and the buffer's content must not be used. The output is NOT NUL-terminated.
 *
 * Numbers are read and written with '.' as the decimal point whatever the C locale says.
 */
#ifndef STARGRAPH_JSON_H
#define STARGRAPH_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How many arrays/objects may nest inside the top-level object before input counts as
 * malformed. Costs one byte of stack per level while scanning. */
#ifndef SG_JSON_MAX_DEPTH
#define SG_JSON_MAX_DEPTH 128
#endif

/* What a lookup found. */
typedef enum sg_json_status {
    SG_JSON_OK = 0,           /* found, of the right type; the outputs are written */
    SG_JSON_MISSING = 1,      /* the object has no such key */
    SG_JSON_WRONG_TYPE = 2,   /* the value has another type (int64: or is not integral) */
    SG_JSON_TOO_LONG = 3,     /* the decoded string does not fit the output buffer */
    SG_JSON_MALFORMED = 4,    /* the input is not one well-formed JSON object */
    SG_JSON_NULL = 5,         /* the value is null */
    SG_JSON_OUT_OF_RANGE = 6  /* the number does not fit an int64_t (or a finite double) */
} sg_json_status;

/* A short English name for a status ("ok", "missing", ...), for error messages. */
static inline const char *sg_json_status_name(sg_json_status status) {
    switch (status) {
    case SG_JSON_OK: return "ok";
    case SG_JSON_MISSING: return "missing";
    case SG_JSON_WRONG_TYPE: return "wrong type";
    case SG_JSON_TOO_LONG: return "too long";
    case SG_JSON_MALFORMED: return "malformed JSON";
    case SG_JSON_NULL: return "null";
    case SG_JSON_OUT_OF_RANGE: return "out of range";
    }
    return "unknown status";
}

/* ----- Internals (sg_json_impl_*): not part of the API, may change. -------------------- */

/* Internal: the index of the first non-whitespace byte at or after i (n when none). */
static inline size_t sg_json_impl_ws(const char *s, size_t n, size_t i) {
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
    return i;
}

/* Internal: whether c is an ASCII digit. */
static inline bool sg_json_impl_is_digit(char c) { return c >= '0' && c <= '9'; }

/* Internal: the value of a hex digit, or -1. */
static inline int sg_json_impl_hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Internal: the code unit of four hex digits already checked to be hex. */
static inline uint32_t sg_json_impl_hex4(const char *s) {
    uint32_t unit = 0;
    for (int k = 0; k < 4; k++) unit = (unit << 4) | (uint32_t)sg_json_impl_hex(s[k]);
    return unit;
}

/* Internal: s[*pos] is an opening quote; checks the string and moves *pos past its closing
 * quote. Rejects raw control characters, unknown escapes and short \u escapes. */
static inline bool sg_json_impl_skip_string(const char *s, size_t n, size_t *pos) {
    size_t i = *pos + 1;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"') {
            *pos = i + 1;
            return true;
        }
        if (c < 0x20) return false;
        if (c == '\\') {
            if (++i >= n) return false;
            switch (s[i]) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                break;
            case 'u':
                if (n - i < 5) return false;
                for (size_t k = 1; k <= 4; k++) {
                    if (sg_json_impl_hex(s[i + k]) < 0) return false;
                }
                i += 4;
                break;
            default:
                return false;
            }
        }
        i++;
    }
    return false;
}

/* Internal: checks a number at s[*pos] (-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?) and
 * moves *pos past it. */
static inline bool sg_json_impl_skip_number(const char *s, size_t n, size_t *pos) {
    size_t i = *pos;
    if (i < n && s[i] == '-') i++;
    if (i >= n || !sg_json_impl_is_digit(s[i])) return false;
    if (s[i] == '0') i++;
    else while (i < n && sg_json_impl_is_digit(s[i])) i++;
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || !sg_json_impl_is_digit(s[i])) return false;
        while (i < n && sg_json_impl_is_digit(s[i])) i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= n || !sg_json_impl_is_digit(s[i])) return false;
        while (i < n && sg_json_impl_is_digit(s[i])) i++;
    }
    *pos = i;
    return true;
}

/* Internal: checks the literal `word` at s[*pos] and moves *pos past it. */
static inline bool sg_json_impl_skip_word(const char *s, size_t n, size_t *pos, const char *word) {
    size_t length = strlen(word);
    if (n - *pos < length || memcmp(s + *pos, word, length) != 0) return false;
    *pos += length;
    return true;
}

/* Internal: skips whitespace, a member's `"key"` and its `:`, moving *pos past the colon;
 * *key_at and *key_end (may be NULL) get the indices of the key's quotes. */
static inline bool sg_json_impl_skip_key(const char *s, size_t n, size_t *pos, size_t *key_at, size_t *key_end) {
    size_t i = sg_json_impl_ws(s, n, *pos);
    if (i >= n || s[i] != '"') return false;
    if (key_at != NULL) *key_at = i;
    if (!sg_json_impl_skip_string(s, n, &i)) return false;
    if (key_end != NULL) *key_end = i - 1;
    i = sg_json_impl_ws(s, n, i);
    if (i >= n || s[i] != ':') return false;
    *pos = i + 1;
    return true;
}

/* Internal: skips whitespace and one JSON value of any type at s[*pos], validating all of it
 * (nesting up to SG_JSON_MAX_DEPTH), and moves *pos just past the value. Iterative: a deep
 * input cannot exhaust the C stack. */
static inline bool sg_json_impl_skip_value(const char *s, size_t n, size_t *pos) {
    char open[SG_JSON_MAX_DEPTH]; /* '{' or '[' for every container still open */
    size_t depth = 0;
    size_t i = *pos;
    for (;;) {
        /* Expecting a value. */
        i = sg_json_impl_ws(s, n, i);
        if (i >= n) return false;
        char c = s[i];
        if (c == '{' || c == '[') {
            if (depth >= SG_JSON_MAX_DEPTH) return false;
            i = sg_json_impl_ws(s, n, i + 1);
            if (i < n && s[i] == (c == '{' ? '}' : ']')) {
                i++; /* an empty container is a complete value */
            } else {
                open[depth++] = c;
                if (c == '{' && !sg_json_impl_skip_key(s, n, &i, NULL, NULL)) return false;
                continue;
            }
        } else if (c == '"') {
            if (!sg_json_impl_skip_string(s, n, &i)) return false;
        } else if (c == 't') {
            if (!sg_json_impl_skip_word(s, n, &i, "true")) return false;
        } else if (c == 'f') {
            if (!sg_json_impl_skip_word(s, n, &i, "false")) return false;
        } else if (c == 'n') {
            if (!sg_json_impl_skip_word(s, n, &i, "null")) return false;
        } else if (!sg_json_impl_skip_number(s, n, &i)) {
            return false;
        }
        /* A value ended at i: close containers, or go on to the next element. */
        for (;;) {
            if (depth == 0) {
                *pos = i;
                return true;
            }
            i = sg_json_impl_ws(s, n, i);
            if (i >= n) return false;
            char top = open[depth - 1];
            if (s[i] == (top == '{' ? '}' : ']')) {
                depth--;
                i++;
                continue;
            }
            if (s[i] != ',') return false;
            i++;
            if (top == '{' && !sg_json_impl_skip_key(s, n, &i, NULL, NULL)) return false;
            break;
        }
    }
}

/* Internal: encodes code point cp as UTF-8 into out; returns the byte count (1-4). */
static inline size_t sg_json_impl_utf8_encode(uint32_t cp, unsigned char out[4]) {
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | (cp >> 18));
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Internal: decodes the character at s[*pos] of a string already checked by skip_string whose
 * closing quote is at s[end]; writes its 1-4 UTF-8 bytes to out, returns how many and moves
 * *pos past it (past both halves of a surrogate pair). */
static inline size_t sg_json_impl_decode_char(const char *s, size_t end, size_t *pos, unsigned char out[4]) {
    size_t i = *pos;
    if (s[i] != '\\') {
        out[0] = (unsigned char)s[i];
        *pos = i + 1;
        return 1;
    }
    *pos = i + 2;
    switch (s[i + 1]) {
    case 'b': out[0] = '\b'; return 1;
    case 'f': out[0] = '\f'; return 1;
    case 'n': out[0] = '\n'; return 1;
    case 'r': out[0] = '\r'; return 1;
    case 't': out[0] = '\t'; return 1;
    case 'u': break;
    default: out[0] = (unsigned char)s[i + 1]; return 1; /* " \ / */
    }
    uint32_t cp = sg_json_impl_hex4(s + i + 2);
    *pos = i + 6;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        size_t j = *pos;
        uint32_t low = 0;
        if (end - j >= 6 && s[j] == '\\' && s[j + 1] == 'u') low = sg_json_impl_hex4(s + j + 2);
        if (low >= 0xDC00 && low <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            *pos = j + 6;
        } else {
            cp = 0xFFFD; /* a high surrogate without its low half */
        }
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        cp = 0xFFFD; /* a low surrogate on its own */
    }
    return sg_json_impl_utf8_encode(cp, out);
}

/* Internal: whether the string content s[at..end) (escaped, between the quotes) decodes to
 * exactly the NUL-terminated `key`. */
static inline bool sg_json_impl_key_equals(const char *s, size_t at, size_t end, const char *key) {
    size_t k = 0;
    unsigned char bytes[4];
    while (at < end) {
        size_t count = sg_json_impl_decode_char(s, end, &at, bytes);
        for (size_t b = 0; b < count; b++, k++) {
            if (key[k] == '\0' || (unsigned char)key[k] != bytes[b]) return false;
        }
    }
    return key[k] == '\0';
}

/* Internal: validates json[0..len) as one object and finds its member `key` (the last one
 * when repeated): [*value_at, *value_end) is the value's raw text. */
static inline sg_json_status sg_json_impl_find(const char *json, size_t len, const char *key, size_t *value_at,
                                               size_t *value_end) {
    if (json == NULL) return SG_JSON_MALFORMED;
    bool found = false;
    size_t i = sg_json_impl_ws(json, len, 0);
    if (i >= len || json[i] != '{') return SG_JSON_MALFORMED;
    i = sg_json_impl_ws(json, len, i + 1);
    if (i < len && json[i] == '}') {
        i++;
    } else {
        for (;;) {
            size_t key_at = 0, key_end = 0;
            if (!sg_json_impl_skip_key(json, len, &i, &key_at, &key_end)) return SG_JSON_MALFORMED;
            size_t start = sg_json_impl_ws(json, len, i);
            i = start;
            if (!sg_json_impl_skip_value(json, len, &i)) return SG_JSON_MALFORMED;
            if (key != NULL && sg_json_impl_key_equals(json, key_at + 1, key_end, key)) {
                found = true;
                *value_at = start;
                *value_end = i;
            }
            i = sg_json_impl_ws(json, len, i);
            if (i < len && json[i] == ',') {
                i++;
                continue;
            }
            if (i < len && json[i] == '}') {
                i++;
                break;
            }
            return SG_JSON_MALFORMED;
        }
    }
    if (sg_json_impl_ws(json, len, i) != len) return SG_JSON_MALFORMED;
    return found ? SG_JSON_OK : SG_JSON_MISSING;
}

/* Internal: the C locale's decimal point as printf writes it (usually "."), in dp; returns its
 * length. */
static inline size_t sg_json_impl_decimal_point(char dp[8]) {
    char probe[16];
    int n = snprintf(probe, sizeof probe, "%.1f", 1.5); /* "1" <point> "5" */
    if (n < 3 || n > 9 || probe[0] != '1' || probe[n - 1] != '5') {
        dp[0] = '.';
        return 1;
    }
    memcpy(dp, probe + 1, (size_t)n - 2);
    return (size_t)n - 2;
}

/* Internal: whether v is neither infinite nor NaN (without <math.h>). */
static inline bool sg_json_impl_is_finite(double v) { return v == v && v - v == 0.0; }

/* ----- Reader --------------------------------------------------------------------------- */

/* Finds field `key` of any type: *value and *value_len (may be NULL) get its raw JSON text, e.g.
 * `[1,2]` or `"a\nb"` (escapes intact). SG_JSON_OK for null too. */
static inline sg_json_status sg_json_get_raw(const char *json, size_t len, const char *key, const char **value,
                                             size_t *value_len) {
    size_t at = 0, end = 0;
    sg_json_status status = sg_json_impl_find(json, len, key, &at, &end);
    if (status != SG_JSON_OK) return status;
    if (value != NULL) *value = json + at;
    if (value_len != NULL) *value_len = end - at;
    return SG_JSON_OK;
}

/* Decodes string field `key` into out (capacity out_cap bytes, NUL included), NUL-terminated;
 * *out_len (may be NULL) gets its length without the NUL. SG_JSON_TOO_LONG when it does not fit:
 * out is untouched and *out_len is the length needed (so out = NULL, out_cap = 0 measures). */
static inline sg_json_status sg_json_get_string(const char *json, size_t len, const char *key, char *out,
                                                size_t out_cap, size_t *out_len) {
    size_t at = 0, end = 0;
    sg_json_status status = sg_json_impl_find(json, len, key, &at, &end);
    if (status != SG_JSON_OK) return status;
    if (json[at] == 'n') return SG_JSON_NULL;
    if (json[at] != '"') return SG_JSON_WRONG_TYPE;
    size_t close = end - 1, needed = 0, i = at + 1;
    unsigned char bytes[4];
    while (i < close) needed += sg_json_impl_decode_char(json, close, &i, bytes);
    if (out_len != NULL) *out_len = needed;
    if (out == NULL || needed >= out_cap) return SG_JSON_TOO_LONG;
    size_t written = 0;
    for (i = at + 1; i < close;) {
        size_t count = sg_json_impl_decode_char(json, close, &i, bytes);
        memcpy(out + written, bytes, count);
        written += count;
    }
    out[written] = '\0';
    return SG_JSON_OK;
}

/* Reads number field `key` as a double into *out (may be NULL). SG_JSON_OUT_OF_RANGE when it
 * overflows a double (e.g. 1e400); tiny values round to 0 or a subnormal. A number of more than
 * ~60 characters is copied to the heap to be parsed (SG_JSON_TOO_LONG if malloc fails). */
static inline sg_json_status sg_json_get_number(const char *json, size_t len, const char *key, double *out) {
    size_t at = 0, end = 0;
    sg_json_status status = sg_json_impl_find(json, len, key, &at, &end);
    if (status != SG_JSON_OK) return status;
    if (json[at] == 'n') return SG_JSON_NULL;
    if (json[at] != '-' && !sg_json_impl_is_digit(json[at])) return SG_JSON_WRONG_TYPE;
    /* strtod wants a NUL-terminated string with the locale's decimal point. */
    char dp[8], small[64];
    size_t dp_len = sg_json_impl_decimal_point(dp), n = end - at, k = 0;
    char *text = small;
    if (n + dp_len + 1 > sizeof small) {
        text = (char *)malloc(n + dp_len + 1);
        if (text == NULL) return SG_JSON_TOO_LONG;
    }
    for (size_t i = at; i < end; i++) {
        if (json[i] == '.') {
            memcpy(text + k, dp, dp_len);
            k += dp_len;
        } else {
            text[k++] = json[i];
        }
    }
    text[k] = '\0';
    char *stop = NULL;
    double value = strtod(text, &stop);
    bool parsed = stop == text + k;
    if (text != small) free(text);
    if (!parsed) return SG_JSON_MALFORMED;
    if (!sg_json_impl_is_finite(value)) return SG_JSON_OUT_OF_RANGE;
    if (out != NULL) *out = value;
    return SG_JSON_OK;
}

/* Internal: digit k of a number's significand, whose integer digits are s[int_at..+int_len)
 * and fraction digits start at s[frac_at]. */
static inline unsigned sg_json_impl_digit(const char *s, size_t int_at, size_t int_len, size_t frac_at, size_t k) {
    return (unsigned)((k < int_len ? s[int_at + k] : s[frac_at + k - int_len]) - '0');
}

/* Reads number field `key` exactly as an int64_t into *out (may be NULL). Any integral value
 * is accepted (42, -0, 1.0 and 2.5e1 are; 2.5 and 25e-2 give SG_JSON_WRONG_TYPE); a value
 * outside [INT64_MIN, INT64_MAX] gives SG_JSON_OUT_OF_RANGE. */
static inline sg_json_status sg_json_get_int64(const char *json, size_t len, const char *key, int64_t *out) {
    size_t at = 0, end = 0;
    sg_json_status status = sg_json_impl_find(json, len, key, &at, &end);
    if (status != SG_JSON_OK) return status;
    if (json[at] == 'n') return SG_JSON_NULL;
    if (json[at] != '-' && !sg_json_impl_is_digit(json[at])) return SG_JSON_WRONG_TYPE;
    /* Split the (already validated) number into integer digits, fraction digits, exponent. */
    size_t i = at;
    bool negative = json[i] == '-';
    if (negative) i++;
    size_t int_at = i;
    while (i < end && sg_json_impl_is_digit(json[i])) i++;
    size_t int_len = i - int_at, frac_at = i, frac_len = 0;
    if (i < end && json[i] == '.') {
        frac_at = ++i;
        while (i < end && sg_json_impl_is_digit(json[i])) i++;
        frac_len = i - frac_at;
    }
    int64_t exponent = 0;
    if (i < end && (json[i] == 'e' || json[i] == 'E')) {
        i++;
        bool exponent_negative = json[i] == '-';
        if (json[i] == '-' || json[i] == '+') i++;
        for (; i < end; i++) {
            if (exponent < INT64_C(100000000000000000)) exponent = exponent * 10 + (json[i] - '0'); /* saturates */
        }
        if (exponent_negative) exponent = -exponent;
    }
    /* value = significant digits [first, last] * 10^scale. */
    size_t total = int_len + frac_len, first = 0;
    while (first < total && sg_json_impl_digit(json, int_at, int_len, frac_at, first) == 0) first++;
    if (first == total) {
        if (out != NULL) *out = 0;
        return SG_JSON_OK;
    }
    size_t last = total - 1;
    while (sg_json_impl_digit(json, int_at, int_len, frac_at, last) == 0) last--;
    int64_t scale = exponent - (int64_t)frac_len + (int64_t)(total - 1 - last);
    if (scale < 0) return SG_JSON_WRONG_TYPE;
    size_t count = last - first + 1;
    if (count > 19 || (int64_t)count + scale > 19) return SG_JSON_OUT_OF_RANGE;
    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, magnitude = 0;
    for (size_t k = first; k <= last; k++) {
        unsigned digit = sg_json_impl_digit(json, int_at, int_len, frac_at, k);
        if (magnitude > (limit - digit) / 10) return SG_JSON_OUT_OF_RANGE;
        magnitude = magnitude * 10 + digit;
    }
    for (int64_t z = 0; z < scale; z++) {
        if (magnitude > limit / 10) return SG_JSON_OUT_OF_RANGE;
        magnitude *= 10;
    }
    if (out != NULL) {
        if (!negative) *out = (int64_t)magnitude;
        else if (magnitude == (uint64_t)INT64_MAX + 1) *out = INT64_MIN;
        else *out = -(int64_t)magnitude;
    }
    return SG_JSON_OK;
}

/* Reads boolean field `key` (true or false) into *out (may be NULL). */
static inline sg_json_status sg_json_get_bool(const char *json, size_t len, const char *key, bool *out) {
    size_t at = 0, end = 0;
    sg_json_status status = sg_json_impl_find(json, len, key, &at, &end);
    if (status != SG_JSON_OK) return status;
    if (json[at] == 'n') return SG_JSON_NULL;
    if (json[at] != 't' && json[at] != 'f') return SG_JSON_WRONG_TYPE;
    if (out != NULL) *out = json[at] == 't';
    return SG_JSON_OK;
}

/* Finds object field `key`: *sub and *sub_len (may be NULL) get its raw text `{...}`, itself a JSON
 * object to pass to the sg_json_get_* functions for nested fields. */
static inline sg_json_status sg_json_get_object(const char *json, size_t len, const char *key, const char **sub,
                                                size_t *sub_len) {
    size_t at = 0, end = 0;
    sg_json_status status = sg_json_impl_find(json, len, key, &at, &end);
    if (status != SG_JSON_OK) return status;
    if (json[at] == 'n') return SG_JSON_NULL;
    if (json[at] != '{') return SG_JSON_WRONG_TYPE;
    if (sub != NULL) *sub = json + at;
    if (sub_len != NULL) *sub_len = end - at;
    return SG_JSON_OK;
}

/* True when field `key` is present and null; false when it is missing, of another type, or the
 * input is malformed. */
static inline bool sg_json_is_null(const char *json, size_t len, const char *key) {
    size_t at = 0, end = 0;
    return sg_json_impl_find(json, len, key, &at, &end) == SG_JSON_OK && json[at] == 'n';
}

/* ----- Writer --------------------------------------------------------------------------- */

/* Builds one JSON object in a caller's buffer. Read the fields, do not set them. */
typedef struct sg_json_writer {
    char *buf;      /* the caller's buffer */
    size_t cap;     /* its capacity in bytes: nothing is ever written at buf[cap] or beyond */
    size_t len;     /* bytes written so far (always <= cap) */
    size_t count;   /* fields started so far */
    bool overflow;  /* a write did not fit in cap */
    bool invalid;   /* an invalid argument or call (see the top of this file) */
    bool finished;  /* sg_json_writer_finish was called */
} sg_json_writer;

/* Internal: appends n bytes, or marks the writer overflowed (writing nothing) if they do not
 * fit. Does nothing once the writer has failed. */
static inline void sg_json_impl_emit(sg_json_writer *w, const char *bytes, size_t n) {
    if (w->overflow || w->invalid || n == 0) return;
    if (n > w->cap - w->len) {
        w->overflow = true;
        return;
    }
    memcpy(w->buf + w->len, bytes, n);
    w->len += n;
}

/* Internal: the length of the valid UTF-8 sequence (2-4 bytes, no overlong forms, no
 * surrogates, at most U+10FFFF) starting with the non-ASCII byte s[0], or 0. */
static inline size_t sg_json_impl_utf8_length(const unsigned char *s, size_t n) {
    unsigned char c = s[0], low = 0x80, high = 0xBF;
    size_t length;
    if (c >= 0xC2 && c <= 0xDF) {
        length = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        length = 3;
        if (c == 0xE0) low = 0xA0;
        if (c == 0xED) high = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        length = 4;
        if (c == 0xF0) low = 0x90;
        if (c == 0xF4) high = 0x8F;
    } else {
        return 0;
    }
    if (n < length || s[1] < low || s[1] > high) return 0;
    for (size_t k = 2; k < length; k++) {
        if (s[k] < 0x80 || s[k] > 0xBF) return 0;
    }
    return length;
}

/* Internal: writes s[0..n) as a quoted JSON string: " and \ escaped with a backslash, control
 * characters as \u00XX, valid UTF-8 copied as is; invalid UTF-8 marks the writer invalid. */
static inline void sg_json_impl_emit_string(sg_json_writer *w, const char *s, size_t n) {
    sg_json_impl_emit(w, "\"", 1);
    size_t start = 0, i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            size_t length = sg_json_impl_utf8_length((const unsigned char *)s + i, n - i);
            if (length == 0) {
                w->invalid = true;
                return;
            }
            i += length;
        } else if (c == '"' || c == '\\' || c < 0x20) {
            sg_json_impl_emit(w, s + start, i - start);
            char escape[6] = {'\\', 'u', '0', '0', "0123456789abcdef"[c >> 4], "0123456789abcdef"[c & 0xF]};
            if (c == '"' || c == '\\') {
                escape[1] = (char)c;
                sg_json_impl_emit(w, escape, 2);
            } else {
                sg_json_impl_emit(w, escape, 6);
            }
            start = ++i;
        } else {
            i++;
        }
    }
    sg_json_impl_emit(w, s + start, i - start);
    sg_json_impl_emit(w, "\"", 1);
}

/* Internal: whether the writer has not failed. */
static inline bool sg_json_impl_writer_ok(const sg_json_writer *w) { return !w->overflow && !w->invalid; }

/* Internal: starts a field, writing `,"key":` (no comma before the first); false when the
 * writer has failed or fails now. */
static inline bool sg_json_impl_field(sg_json_writer *w, const char *key) {
    if (w == NULL) return false;
    if (key == NULL || w->finished) w->invalid = true;
    if (!sg_json_impl_writer_ok(w)) return false;
    if (w->count > 0) sg_json_impl_emit(w, ",", 1);
    sg_json_impl_emit_string(w, key, strlen(key));
    sg_json_impl_emit(w, ":", 1);
    w->count++;
    return sg_json_impl_writer_ok(w);
}

/* Starts an object in buf[0..cap) by writing `{`. buf may be NULL only with cap 0 (which
 * overflows at once). */
static inline void sg_json_writer_init(sg_json_writer *w, char *buf, size_t cap) {
    if (w == NULL) return;
    w->buf = buf;
    w->cap = buf != NULL ? cap : 0;
    w->len = 0;
    w->count = 0;
    w->overflow = false;
    w->invalid = false;
    w->finished = false;
    sg_json_impl_emit(w, "{", 1);
}

/* Writes `"key":"value"` for the NUL-terminated UTF-8 value. Every put returns false once the
 * writer has failed (the failure sticks until finish reports it). */
static inline bool sg_json_put_string(sg_json_writer *w, const char *key, const char *value) {
    if (!sg_json_impl_field(w, key)) return false;
    if (value == NULL) w->invalid = true;
    else sg_json_impl_emit_string(w, value, strlen(value));
    return sg_json_impl_writer_ok(w);
}

/* Writes `"key":"value"` for value[0..value_len) (UTF-8, may contain NUL bytes). */
static inline bool sg_json_put_string_n(sg_json_writer *w, const char *key, const char *value, size_t value_len) {
    if (!sg_json_impl_field(w, key)) return false;
    if (value == NULL && value_len > 0) w->invalid = true;
    else sg_json_impl_emit_string(w, value != NULL ? value : "", value_len);
    return sg_json_impl_writer_ok(w);
}

/* Writes `"key":number` with the shortest of %.15g/%.17g that reads back as the same double
 * (3.0 → 3, 0.1 → 0.1, 1e300 → 1e+300). NaN and infinities mark the writer invalid: JSON has
 * no such numbers (write null yourself if you mean it). For integers prefer put_int64. */
static inline bool sg_json_put_number(sg_json_writer *w, const char *key, double value) {
    if (w == NULL) return false;
    if (!sg_json_impl_is_finite(value)) w->invalid = true;
    if (!sg_json_impl_field(w, key)) return false;
    char text[48], number[48], dp[8];
    int n = snprintf(text, sizeof text, "%.15g", value);
    if (n > 0 && (size_t)n < sizeof text && strtod(text, NULL) != value) {
        n = snprintf(text, sizeof text, "%.17g", value);
    }
    if (n <= 0 || (size_t)n >= sizeof text) {
        w->invalid = true;
        return false;
    }
    /* Replace the locale's decimal point by '.', then check the result is a JSON number. */
    size_t dp_len = sg_json_impl_decimal_point(dp), length = 0, end = 0;
    for (size_t i = 0; i < (size_t)n;) {
        if ((size_t)n - i >= dp_len && memcmp(text + i, dp, dp_len) == 0) {
            number[length++] = '.';
            i += dp_len;
        } else {
            number[length++] = text[i++];
        }
    }
    if (!sg_json_impl_skip_number(number, length, &end) || end != length) {
        w->invalid = true;
        return false;
    }
    sg_json_impl_emit(w, number, length);
    return sg_json_impl_writer_ok(w);
}

/* Writes `"key":value` for an integer, exactly (all of int64_t, beyond 2^53 too). */
static inline bool sg_json_put_int64(sg_json_writer *w, const char *key, int64_t value) {
    if (!sg_json_impl_field(w, key)) return false;
    char digits[24];
    size_t at = sizeof digits;
    uint64_t magnitude = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
    do {
        digits[--at] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude > 0);
    if (value < 0) digits[--at] = '-';
    sg_json_impl_emit(w, digits + at, sizeof digits - at);
    return sg_json_impl_writer_ok(w);
}

/* Writes `"key":true` or `"key":false`. */
static inline bool sg_json_put_bool(sg_json_writer *w, const char *key, bool value) {
    if (!sg_json_impl_field(w, key)) return false;
    if (value) sg_json_impl_emit(w, "true", 4);
    else sg_json_impl_emit(w, "false", 5);
    return sg_json_impl_writer_ok(w);
}

/* Writes `"key":null`. */
static inline bool sg_json_put_null(sg_json_writer *w, const char *key) {
    if (!sg_json_impl_field(w, key)) return false;
    sg_json_impl_emit(w, "null", 4);
    return sg_json_impl_writer_ok(w);
}

/* Writes `"key":<json>` for pre-encoded JSON text json[0..len), e.g. an array or an object
 * from another writer. It must be exactly one well-formed JSON value (surrounding whitespace
 * is dropped), else the writer is marked invalid; its bytes are not checked to be UTF-8. */
static inline bool sg_json_put_raw(sg_json_writer *w, const char *key, const char *json, size_t len) {
    if (!sg_json_impl_field(w, key)) return false;
    size_t start = 0, end = 0;
    if (json != NULL) {
        start = sg_json_impl_ws(json, len, 0);
        end = start;
    }
    if (json == NULL || !sg_json_impl_skip_value(json, len, &end) || sg_json_impl_ws(json, len, end) != len) {
        w->invalid = true;
        return false;
    }
    sg_json_impl_emit(w, json + start, end - start);
    return sg_json_impl_writer_ok(w);
}

/* Writes the closing `}` and sets *out_len (may be NULL) to the object's length. Returns false
 * (and *out_len = 0) when anything overflowed or was invalid: then do not use the buffer. Call
 * it once; further puts or finishes fail. */
static inline bool sg_json_writer_finish(sg_json_writer *w, size_t *out_len) {
    if (out_len != NULL) *out_len = 0;
    if (w == NULL) return false;
    if (w->finished) w->invalid = true;
    sg_json_impl_emit(w, "}", 1);
    w->finished = true;
    if (!sg_json_impl_writer_ok(w)) return false;
    if (out_len != NULL) *out_len = w->len;
    return true;
}

#ifdef __cplusplus
}
#endif

#endif /* STARGRAPH_JSON_H */
