/* Tests of Sources/PluginABI/include/stargraph_json.h, the header-only JSON helper for C
 * plugins. A plain C program: prints every failed check and exits non-zero when any failed.
 * Built and run by tests/e2e/test-c-json-helper.sh (with ASan/UBSan when available), e.g.
 *   cc -std=c11 -Wall -Wextra -Werror -I Sources/PluginABI/include tests/c/json_helper_test.c */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stargraph_json.h"

static int checks = 0, failures = 0;

#define CHECK(cond)                                                                           \
    do {                                                                                      \
        checks++;                                                                             \
        if (!(cond)) {                                                                        \
            failures++;                                                                       \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                   \
        }                                                                                     \
    } while (0)

#define CHECK_STATUS(got, want)                                                               \
    do {                                                                                      \
        sg_json_status status_got_ = (got), status_want_ = (want);                            \
        checks++;                                                                             \
        if (status_got_ != status_want_) {                                                    \
            failures++;                                                                       \
            fprintf(stderr, "FAIL %s:%d: %s is %s, expected %s\n", __FILE__, __LINE__, #got,  \
                    sg_json_status_name(status_got_), sg_json_status_name(status_want_));     \
        }                                                                                     \
    } while (0)

/* The input as the host passes it: exactly its bytes in a malloc'd block, no NUL after. */
static char *exact_copy(const char *text, size_t len) {
    char *copy = malloc(len > 0 ? len : 1);
    if (copy == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    if (len > 0) memcpy(copy, text, len);
    return copy;
}

/* A state object like the host sends (canonical: sorted keys, no whitespace). */
static const char state[] =
    "{\"count\":42,\"done\":false,\"flags\":{\"deep\":{\"level\":3,\"name\":\"x\"},\"on\":true},"
    "\"items\":[1,\"two\",{\"three\":[3]},null,true,-1.5e-3],\"missing_not\":0,\"none\":null,"
    "\"ratio\":-0.25,\"text\":\"h\\u00e9llo \\ud83d\\ude00 \\\"q\\\" \\\\ \\/ \\n\\t\\b\\f\\r\","
    "\"user\":{\"name\":\"Ada\",\"tags\":[\"a\",\"b\"]}}";

static void test_getters(void) {
    char *json = exact_copy(state, sizeof state - 1);
    size_t len = sizeof state - 1;
    char text[128];
    size_t text_len = 0;
    double number = 0;
    int64_t integer = 0;
    bool flag = true;
    const char *span = NULL;
    size_t span_len = 0;

    CHECK_STATUS(sg_json_get_string(json, len, "text", text, sizeof text, &text_len), SG_JSON_OK);
    static const char decoded[] = "h\xc3\xa9llo \xf0\x9f\x98\x80 \"q\" \\ / \n\t\b\f\r";
    CHECK(text_len == sizeof decoded - 1);
    CHECK(memcmp(text, decoded, sizeof decoded) == 0); /* the NUL included */

    CHECK_STATUS(sg_json_get_number(json, len, "ratio", &number), SG_JSON_OK);
    CHECK(number == -0.25);
    CHECK_STATUS(sg_json_get_number(json, len, "count", &number), SG_JSON_OK);
    CHECK(number == 42.0);
    CHECK_STATUS(sg_json_get_int64(json, len, "count", &integer), SG_JSON_OK);
    CHECK(integer == 42);
    CHECK_STATUS(sg_json_get_bool(json, len, "done", &flag), SG_JSON_OK);
    CHECK(flag == false);
    CHECK(sg_json_is_null(json, len, "none"));
    CHECK(!sg_json_is_null(json, len, "count"));
    CHECK(!sg_json_is_null(json, len, "nope"));

    CHECK_STATUS(sg_json_get_raw(json, len, "items", &span, &span_len), SG_JSON_OK);
    CHECK(span_len == strlen("[1,\"two\",{\"three\":[3]},null,true,-1.5e-3]"));
    CHECK(memcmp(span, "[1,\"two\",{\"three\":[3]},null,true,-1.5e-3]", span_len) == 0);
    CHECK_STATUS(sg_json_get_raw(json, len, "none", &span, &span_len), SG_JSON_OK);
    CHECK(span_len == 4 && memcmp(span, "null", 4) == 0);

    /* Nested lookup: get_object, then get_* on its span. */
    const char *flags = NULL, *deep = NULL;
    size_t flags_len = 0, deep_len = 0;
    CHECK_STATUS(sg_json_get_object(json, len, "flags", &flags, &flags_len), SG_JSON_OK);
    CHECK(flags_len == strlen("{\"deep\":{\"level\":3,\"name\":\"x\"},\"on\":true}"));
    CHECK(flags != NULL && flags[0] == '{' && flags[flags_len - 1] == '}');
    CHECK_STATUS(sg_json_get_bool(flags, flags_len, "on", &flag), SG_JSON_OK);
    CHECK(flag == true);
    CHECK_STATUS(sg_json_get_object(flags, flags_len, "deep", &deep, &deep_len), SG_JSON_OK);
    CHECK_STATUS(sg_json_get_int64(deep, deep_len, "level", &integer), SG_JSON_OK);
    CHECK(integer == 3);
    CHECK_STATUS(sg_json_get_string(deep, deep_len, "name", text, sizeof text, &text_len), SG_JSON_OK);
    CHECK(strcmp(text, "x") == 0 && text_len == 1);
    /* Only top-level fields are seen: `level` and `on` are nested. */
    CHECK_STATUS(sg_json_get_int64(json, len, "level", &integer), SG_JSON_MISSING);
    CHECK_STATUS(sg_json_get_bool(json, len, "on", &flag), SG_JSON_MISSING);
    /* A key that is a prefix of another, and the empty key, are not matched by accident. */
    CHECK_STATUS(sg_json_get_int64(json, len, "missing", &integer), SG_JSON_MISSING);
    CHECK_STATUS(sg_json_get_int64(json, len, "", &integer), SG_JSON_MISSING);
    CHECK_STATUS(sg_json_get_int64(json, len, NULL, &integer), SG_JSON_MISSING);

    /* Missing key: every getter, outputs untouched. */
    integer = 7;
    number = 7.5;
    flag = true;
    strcpy(text, "keep");
    text_len = 99;
    CHECK_STATUS(sg_json_get_string(json, len, "nope", text, sizeof text, &text_len), SG_JSON_MISSING);
    CHECK(strcmp(text, "keep") == 0 && text_len == 99);
    CHECK_STATUS(sg_json_get_number(json, len, "nope", &number), SG_JSON_MISSING);
    CHECK(number == 7.5);
    CHECK_STATUS(sg_json_get_int64(json, len, "nope", &integer), SG_JSON_MISSING);
    CHECK(integer == 7);
    CHECK_STATUS(sg_json_get_bool(json, len, "nope", &flag), SG_JSON_MISSING);
    CHECK(flag == true);
    CHECK_STATUS(sg_json_get_object(json, len, "nope", &span, &span_len), SG_JSON_MISSING);
    CHECK_STATUS(sg_json_get_raw(json, len, "nope", &span, &span_len), SG_JSON_MISSING);

    /* Wrong types, and null. */
    CHECK_STATUS(sg_json_get_string(json, len, "count", text, sizeof text, &text_len), SG_JSON_WRONG_TYPE);
    CHECK_STATUS(sg_json_get_string(json, len, "user", text, sizeof text, &text_len), SG_JSON_WRONG_TYPE);
    CHECK_STATUS(sg_json_get_number(json, len, "text", &number), SG_JSON_WRONG_TYPE);
    CHECK_STATUS(sg_json_get_number(json, len, "done", &number), SG_JSON_WRONG_TYPE);
    CHECK_STATUS(sg_json_get_int64(json, len, "items", &integer), SG_JSON_WRONG_TYPE);
    CHECK_STATUS(sg_json_get_int64(json, len, "ratio", &integer), SG_JSON_WRONG_TYPE);
    CHECK_STATUS(sg_json_get_bool(json, len, "count", &flag), SG_JSON_WRONG_TYPE);
    CHECK_STATUS(sg_json_get_object(json, len, "items", &span, &span_len), SG_JSON_WRONG_TYPE);
    CHECK_STATUS(sg_json_get_object(json, len, "text", &span, &span_len), SG_JSON_WRONG_TYPE);
    CHECK_STATUS(sg_json_get_string(json, len, "none", text, sizeof text, &text_len), SG_JSON_NULL);
    CHECK_STATUS(sg_json_get_number(json, len, "none", &number), SG_JSON_NULL);
    CHECK_STATUS(sg_json_get_int64(json, len, "none", &integer), SG_JSON_NULL);
    CHECK_STATUS(sg_json_get_bool(json, len, "none", &flag), SG_JSON_NULL);
    CHECK_STATUS(sg_json_get_object(json, len, "none", &span, &span_len), SG_JSON_NULL);

    /* NULL outputs are allowed (a presence and type check). */
    CHECK_STATUS(sg_json_get_number(json, len, "ratio", NULL), SG_JSON_OK);
    CHECK_STATUS(sg_json_get_object(json, len, "user", NULL, NULL), SG_JSON_OK);
    free(json);
}

static void test_strings(void) {
    char out[32];
    size_t out_len = 0;
    /* Surrogate pairs, BMP escapes, lone surrogates, \u0000. */
    static const char pairs[] = "{\"s\":\"\\uD83D\\uDE00|\\u20AC|\\u0041|\\ud83d|\\ude00|\\ud83d\\u0041|\\u0000.\"}";
    static const char want[] = "\xf0\x9f\x98\x80|\xe2\x82\xac|A|\xef\xbf\xbd|\xef\xbf\xbd|\xef\xbf\xbd" "A|\0.";
    char *json = exact_copy(pairs, sizeof pairs - 1);
    CHECK_STATUS(sg_json_get_string(json, sizeof pairs - 1, "s", out, sizeof out, &out_len), SG_JSON_OK);
    CHECK(out_len == sizeof want - 1);
    CHECK(memcmp(out, want, sizeof want) == 0);
    free(json);

    /* Raw UTF-8 passes through; a high surrogate at the very end of the string. */
    static const char tail[] = "{\"s\":\"\xc3\xa9\\ud83d\"}";
    json = exact_copy(tail, sizeof tail - 1);
    CHECK_STATUS(sg_json_get_string(json, sizeof tail - 1, "s", out, sizeof out, &out_len), SG_JSON_OK);
    CHECK(out_len == 5 && memcmp(out, "\xc3\xa9\xef\xbf\xbd", 6) == 0);
    free(json);

    /* Keys are compared after decoding their escapes; the last duplicate wins. */
    static const char keys[] = "{\"k\\u0065y\":1,\"\\ud83d\\ude00\":2,\"a\\\"b\":3,\"dup\":4,\"dup\":5,\"nul\\u0000\":6}";
    size_t keys_len = sizeof keys - 1;
    json = exact_copy(keys, keys_len);
    int64_t value = 0;
    CHECK_STATUS(sg_json_get_int64(json, keys_len, "key", &value), SG_JSON_OK);
    CHECK(value == 1);
    CHECK_STATUS(sg_json_get_int64(json, keys_len, "\xf0\x9f\x98\x80", &value), SG_JSON_OK);
    CHECK(value == 2);
    CHECK_STATUS(sg_json_get_int64(json, keys_len, "a\"b", &value), SG_JSON_OK);
    CHECK(value == 3);
    CHECK_STATUS(sg_json_get_int64(json, keys_len, "dup", &value), SG_JSON_OK);
    CHECK(value == 5);
    CHECK_STATUS(sg_json_get_int64(json, keys_len, "nul", &value), SG_JSON_MISSING);
    CHECK_STATUS(sg_json_get_int64(json, keys_len, "k\\u0065y", &value), SG_JSON_MISSING);
    free(json);

    /* Whitespace anywhere between tokens. */
    static const char spaced[] = " \r\n\t{ \"a\" :\t[ 1 , { } , [ ] ] ,\n\"b\" : \"x y\" } \n";
    json = exact_copy(spaced, sizeof spaced - 1);
    CHECK_STATUS(sg_json_get_string(json, sizeof spaced - 1, "b", out, sizeof out, &out_len), SG_JSON_OK);
    CHECK(strcmp(out, "x y") == 0);
    const char *span = NULL;
    size_t span_len = 0;
    CHECK_STATUS(sg_json_get_raw(json, sizeof spaced - 1, "a", &span, &span_len), SG_JSON_OK);
    CHECK(span_len == strlen("[ 1 , { } , [ ] ]") && memcmp(span, "[ 1 , { } , [ ] ]", span_len) == 0);
    free(json);

    /* The empty object, and the empty string. */
    json = exact_copy("{}", 2);
    CHECK_STATUS(sg_json_get_string(json, 2, "a", out, sizeof out, &out_len), SG_JSON_MISSING);
    free(json);
    json = exact_copy("{\"e\":\"\"}", 8);
    CHECK_STATUS(sg_json_get_string(json, 8, "e", out, sizeof out, &out_len), SG_JSON_OK);
    CHECK(out_len == 0 && out[0] == '\0');
    CHECK_STATUS(sg_json_get_string(json, 8, "e", out, 1, &out_len), SG_JSON_OK);
    CHECK_STATUS(sg_json_get_string(json, 8, "e", out, 0, &out_len), SG_JSON_TOO_LONG);
    free(json);
}

static void test_small_buffer(void) {
    static const char text[] = "{\"s\":\"abc\\u00e9\"}"; /* decodes to 5 bytes: a b c 0xC3 0xA9 */
    char *json = exact_copy(text, sizeof text - 1);
    size_t len = sizeof text - 1, out_len = 0;
    for (size_t cap = 0; cap <= 8; cap++) {
        char *out = malloc(cap + 1);
        if (out == NULL) exit(2);
        memset(out, '#', cap + 1);
        out_len = 0;
        sg_json_status status = sg_json_get_string(json, len, "s", cap > 0 ? out : NULL, cap, &out_len);
        CHECK(out_len == 5);
        if (cap < 6) {
            CHECK_STATUS(status, SG_JSON_TOO_LONG);
            for (size_t k = 0; k <= cap; k++) CHECK(out[k] == '#'); /* untouched */
        } else {
            CHECK_STATUS(status, SG_JSON_OK);
            CHECK(memcmp(out, "abc\xc3\xa9", 6) == 0);
            for (size_t k = 6; k <= cap; k++) CHECK(out[k] == '#'); /* nothing past the NUL */
        }
        free(out);
    }
    /* Measuring with no buffer at all. */
    CHECK_STATUS(sg_json_get_string(json, len, "s", NULL, 0, &out_len), SG_JSON_TOO_LONG);
    CHECK(out_len == 5);
    free(json);
}

/* Runs every getter on `text` (in a malloc'd block of exactly its length) and expects all of
 * them to say MALFORMED. */
static void expect_malformed(const char *text, size_t len, int line) {
    char *json = exact_copy(text, len);
    char out[16];
    size_t out_len = 0, span_len = 0;
    double number = 0;
    int64_t integer = 0;
    bool flag = false;
    const char *span = NULL;
    const char *keys[] = {"a", "b", "zz"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        sg_json_status got[6] = {
            sg_json_get_string(json, len, keys[k], out, sizeof out, &out_len),
            sg_json_get_number(json, len, keys[k], &number),
            sg_json_get_int64(json, len, keys[k], &integer),
            sg_json_get_bool(json, len, keys[k], &flag),
            sg_json_get_object(json, len, keys[k], &span, &span_len),
            sg_json_get_raw(json, len, keys[k], &span, &span_len),
        };
        for (int g = 0; g < 6; g++) {
            checks++;
            if (got[g] != SG_JSON_MALFORMED) {
                failures++;
                fprintf(stderr, "FAIL %s:%d: getter %d, key '%s' on malformed input '%.*s': %s\n", __FILE__, line, g,
                        keys[k], (int)len, text, sg_json_status_name(got[g]));
            }
        }
        CHECK(!sg_json_is_null(json, len, keys[k]));
    }
    free(json);
}

#define MALFORMED(literal) expect_malformed(literal, sizeof literal - 1, __LINE__)

static void test_malformed(void) {
    /* Truncated strings. */
    MALFORMED("{\"a\":\"abc");
    MALFORMED("{\"a\":\"abc\\");
    MALFORMED("{\"a\":\"abc\\u");
    MALFORMED("{\"a\":\"abc\\u00");
    MALFORMED("{\"a\":\"abc\\u00e");
    MALFORMED("{\"a");
    MALFORMED("{\"");
    /* Truncated objects and arrays. */
    MALFORMED("{");
    MALFORMED("{\"a\"");
    MALFORMED("{\"a\":");
    MALFORMED("{\"a\":1");
    MALFORMED("{\"a\":1,");
    MALFORMED("{\"a\":\"x\"");
    MALFORMED("{\"a\":{\"b\":1}");
    MALFORMED("{\"a\":[1,2");
    MALFORMED("{\"a\":[");
    MALFORMED("{\"a\":{");
    MALFORMED("{\"a\":{\"b\"");
    /* Bad literals. */
    MALFORMED("{\"a\":tru}");
    MALFORMED("{\"a\":tru");
    MALFORMED("{\"a\":t");
    MALFORMED("{\"a\":nul}");
    MALFORMED("{\"a\":falsey}");
    MALFORMED("{\"a\":True}");
    MALFORMED("{\"a\":undefined}");
    MALFORMED("{\"a\":nan}");
    /* Bad numbers. */
    MALFORMED("{\"a\":01}");
    MALFORMED("{\"a\":1.}");
    MALFORMED("{\"a\":.5}");
    MALFORMED("{\"a\":-}");
    MALFORMED("{\"a\":+1}");
    MALFORMED("{\"a\":1e}");
    MALFORMED("{\"a\":1e+}");
    MALFORMED("{\"a\":0x10}");
    MALFORMED("{\"a\":-");
    MALFORMED("{\"a\":1.5e");
    /* Bad strings and escapes. */
    MALFORMED("{\"a\":\"\\x\"}");
    MALFORMED("{\"a\":\"\\u12g4\"}");
    MALFORMED("{\"a\":\"tab\there\"}");
    MALFORMED("{\"a\":\"new\nline\"}");
    MALFORMED("{\"a\":'x'}");
    MALFORMED("{a:1}");
    MALFORMED("{\"a\\q\":1}");
    /* Bad structure. */
    MALFORMED("");
    MALFORMED("   ");
    MALFORMED("{,}");
    MALFORMED("{\"a\":1,}");
    MALFORMED("{\"a\" 1}");
    MALFORMED("{\"a\":1 \"b\":2}");
    MALFORMED("{\"a\":1}}");
    MALFORMED("{\"a\":1}x");
    MALFORMED("{\"a\":1}{}");
    MALFORMED("{\"a\":[1,]}");
    MALFORMED("{\"a\":[,1]}");
    MALFORMED("{\"a\":[1 2]}");
    MALFORMED("{\"a\":[1}");
    MALFORMED("{\"a\":{\"b\":1]}");
    MALFORMED("{\"a\":{\"b\":1,}}");
    MALFORMED("{\"a\":{1:2}}");
    MALFORMED("{\"a\":}");
    MALFORMED("{\"a\"::1}");
    /* Not an object at the top. */
    MALFORMED("[1,2]");
    MALFORMED("\"a\"");
    MALFORMED("42");
    MALFORMED("null");
    /* An embedded NUL byte is not whitespace. */
    expect_malformed("{\"a\":1}\0", 8, __LINE__);
    expect_malformed("{\"a\":\"x\0y\"}", 11, __LINE__);

    /* A NULL input. */
    CHECK_STATUS(sg_json_get_int64(NULL, 0, "a", NULL), SG_JSON_MALFORMED);
    CHECK_STATUS(sg_json_get_int64(NULL, 5, "a", NULL), SG_JSON_MALFORMED);

    /* Every prefix of a valid object is malformed (and never read past its end). */
    static const char whole[] = "{\"a\":[1,-2.5e+3,\"s\\u00e9\\\"\",{\"b\":[true,false,null]}],\"c\":{}}";
    for (size_t cut = 0; cut < sizeof whole - 1; cut++) expect_malformed(whole, cut, __LINE__);
    char *json = exact_copy(whole, sizeof whole - 1);
    CHECK_STATUS(sg_json_get_object(json, sizeof whole - 1, "c", NULL, NULL), SG_JSON_OK);
    free(json);

    /* Depth: SG_JSON_MAX_DEPTH containers inside the top-level object are fine, one more is not. */
    size_t depth = SG_JSON_MAX_DEPTH, len = 0;
    char *deep = malloc(2 * (depth + 1) + 16);
    if (deep == NULL) exit(2);
    len += (size_t)sprintf(deep, "{\"a\":");
    for (size_t k = 0; k < depth; k++) deep[len++] = '[';
    for (size_t k = 0; k < depth; k++) deep[len++] = ']';
    deep[len++] = '}';
    json = exact_copy(deep, len);
    CHECK_STATUS(sg_json_get_raw(json, len, "a", NULL, NULL), SG_JSON_OK);
    free(json);
    len = (size_t)sprintf(deep, "{\"a\":");
    for (size_t k = 0; k <= depth; k++) deep[len++] = '[';
    for (size_t k = 0; k <= depth; k++) deep[len++] = ']';
    deep[len++] = '}';
    expect_malformed(deep, len, __LINE__);
    free(deep);
    /* Far deeper than the limit, unterminated: refused without recursion. */
    size_t huge = 100000;
    char *bomb = malloc(huge);
    if (bomb == NULL) exit(2);
    memcpy(bomb, "{\"a\":", 5);
    memset(bomb + 5, '[', huge - 5);
    expect_malformed(bomb, huge, __LINE__);
    free(bomb);
}

static sg_json_status int64_of(const char *number, int64_t *out) {
    char text[128];
    int n = snprintf(text, sizeof text, "{\"n\":%s}", number);
    char *json = exact_copy(text, (size_t)n);
    sg_json_status status = sg_json_get_int64(json, (size_t)n, "n", out);
    free(json);
    return status;
}

#define EXPECT_INT64(text, want)                                                              \
    do {                                                                                      \
        int64_t int_got_ = -12345;                                                            \
        CHECK_STATUS(int64_of(text, &int_got_), SG_JSON_OK);                                  \
        checks++;                                                                             \
        if (int_got_ != (want)) {                                                             \
            failures++;                                                                       \
            fprintf(stderr, "FAIL %s:%d: int64 of %s is %lld\n", __FILE__, __LINE__, text,    \
                    (long long)int_got_);                                                     \
        }                                                                                     \
    } while (0)

static void test_int64(void) {
    int64_t value = 77;
    EXPECT_INT64("0", 0);
    EXPECT_INT64("-0", 0);
    EXPECT_INT64("42", 42);
    EXPECT_INT64("-42", -42);
    EXPECT_INT64("9223372036854775807", INT64_MAX);
    EXPECT_INT64("-9223372036854775808", INT64_MIN);
    EXPECT_INT64("9007199254740993", INT64_C(9007199254740993)); /* 2^53 + 1: exact, not via double */
    EXPECT_INT64("123456789012345678", INT64_C(123456789012345678));
    EXPECT_INT64("1.0", 1);
    EXPECT_INT64("-2.50e1", -25);
    EXPECT_INT64("1e3", 1000);
    EXPECT_INT64("1E+18", INT64_C(1000000000000000000));
    EXPECT_INT64("0.0e-7", 0);
    EXPECT_INT64("0e99999999999999999999999", 0);
    EXPECT_INT64("12300e-2", 123);
    EXPECT_INT64("0.00000000000000000000000000000000000000000000000001e50", 1);
    EXPECT_INT64("92233720368547758070e-1", INT64_MAX);
    EXPECT_INT64("-922337203685477580.8e1", INT64_MIN);
    CHECK_STATUS(int64_of("000", &value), SG_JSON_MALFORMED);
    CHECK_STATUS(int64_of("9223372036854775808", &value), SG_JSON_OUT_OF_RANGE);
    CHECK_STATUS(int64_of("-9223372036854775809", &value), SG_JSON_OUT_OF_RANGE);
    CHECK_STATUS(int64_of("18446744073709551616", &value), SG_JSON_OUT_OF_RANGE);
    CHECK_STATUS(int64_of("1e19", &value), SG_JSON_OUT_OF_RANGE);
    CHECK_STATUS(int64_of("-1e19", &value), SG_JSON_OUT_OF_RANGE);
    CHECK_STATUS(int64_of("9.3e18", &value), SG_JSON_OUT_OF_RANGE);
    CHECK_STATUS(int64_of("1e999999999999999999999", &value), SG_JSON_OUT_OF_RANGE);
    CHECK_STATUS(int64_of("100000000000000000000000000000", &value), SG_JSON_OUT_OF_RANGE);
    CHECK_STATUS(int64_of("1.5", &value), SG_JSON_WRONG_TYPE);
    CHECK_STATUS(int64_of("-0.5", &value), SG_JSON_WRONG_TYPE);
    CHECK_STATUS(int64_of("25e-2", &value), SG_JSON_WRONG_TYPE);
    CHECK_STATUS(int64_of("1e-999999999999999999999", &value), SG_JSON_WRONG_TYPE);
    CHECK_STATUS(int64_of("9223372036854775807.5", &value), SG_JSON_WRONG_TYPE);
    CHECK_STATUS(int64_of("\"42\"", &value), SG_JSON_WRONG_TYPE);
    CHECK_STATUS(int64_of("true", &value), SG_JSON_WRONG_TYPE);
    CHECK_STATUS(int64_of("null", &value), SG_JSON_NULL);
    CHECK(value == 77); /* untouched by every failure above */

    /* Doubles: big, tiny, overflowing, and a long mantissa (the malloc path). */
    static const char numbers[] =
        "{\"big\":1.7976931348623157e308,\"tiny\":5e-324,\"huge\":1e400,\"neg\":-1e-400,"
        "\"long\":0.1000000000000000000000000000000000000000000000000000000000000000000000000000000001}";
    char *json = exact_copy(numbers, sizeof numbers - 1);
    size_t len = sizeof numbers - 1;
    double number = 0;
    CHECK_STATUS(sg_json_get_number(json, len, "big", &number), SG_JSON_OK);
    CHECK(number == 1.7976931348623157e308);
    CHECK_STATUS(sg_json_get_number(json, len, "tiny", &number), SG_JSON_OK);
    CHECK(number == 5e-324);
    number = 3;
    CHECK_STATUS(sg_json_get_number(json, len, "huge", &number), SG_JSON_OUT_OF_RANGE);
    CHECK(number == 3);
    CHECK_STATUS(sg_json_get_number(json, len, "neg", &number), SG_JSON_OK);
    CHECK(number == 0);
    CHECK_STATUS(sg_json_get_number(json, len, "long", &number), SG_JSON_OK);
    CHECK(number == 0.1);
    free(json);
}

/* The writer's bytes for the reference object, and a helper that writes it at a given cap. */
static const char expected_patch[] =
    "{\"name\":\"Ada\",\"n\":-42,\"max\":9223372036854775807,\"min\":-9223372036854775808,\"x\":1.5,"
    "\"third\":0.33333333333333331,\"tenth\":0.1,\"int\":3,\"big\":1e+300,\"negzero\":-0,\"ok\":true,"
    "\"no\":false,\"z\":null,\"o\":{\"k\":[1,2]},\"s\":\"a\\\"b\\\\c\\u000a\\u0001\\u001f\\u0000/\xc3\xa9\","
    "\"q\\\"k\":\"\",\"emoji\":\"\xf0\x9f\x98\x80\"}";

static bool write_patch(char *buf, size_t cap, size_t *out_len, sg_json_writer *w) {
    static const char s[] = "a\"b\\c\n\x01\x1f\0/\xc3\xa9";
    sg_json_writer_init(w, buf, cap);
    sg_json_put_string(w, "name", "Ada");
    sg_json_put_int64(w, "n", -42);
    sg_json_put_int64(w, "max", INT64_MAX);
    sg_json_put_int64(w, "min", INT64_MIN);
    sg_json_put_number(w, "x", 1.5);
    sg_json_put_number(w, "third", 1.0 / 3.0);
    sg_json_put_number(w, "tenth", 0.1);
    sg_json_put_number(w, "int", 3.0);
    sg_json_put_number(w, "big", 1e300);
    sg_json_put_number(w, "negzero", -0.0);
    sg_json_put_bool(w, "ok", true);
    sg_json_put_bool(w, "no", false);
    sg_json_put_null(w, "z");
    sg_json_put_raw(w, "o", " {\"k\":[1,2]}\n", 13);
    sg_json_put_string_n(w, "s", s, sizeof s - 1);
    sg_json_put_string_n(w, "q\"k", NULL, 0);
    sg_json_put_string(w, "emoji", "\xf0\x9f\x98\x80");
    return sg_json_writer_finish(w, out_len);
}

static void test_writer(void) {
    size_t full = sizeof expected_patch - 1, len = 12345;
    char buf[512];
    sg_json_writer w;
    CHECK(write_patch(buf, sizeof buf, &len, &w));
    CHECK(len == full);
    CHECK(w.len == full && !w.overflow && !w.invalid && w.count == 17);
    if (len != full || memcmp(buf, expected_patch, full) != 0) {
        failures++;
        fprintf(stderr, "FAIL writer output:\n  got  %.*s\n  want %s\n", (int)len, buf, expected_patch);
    }

    /* What it wrote reads back. */
    char text[32];
    size_t text_len = 0;
    int64_t integer = 0;
    double number = 0;
    CHECK_STATUS(sg_json_get_string(buf, len, "s", text, sizeof text, &text_len), SG_JSON_OK);
    CHECK(text_len == 12 && memcmp(text, "a\"b\\c\n\x01\x1f\0/\xc3\xa9", 13) == 0);
    CHECK_STATUS(sg_json_get_int64(buf, len, "min", &integer), SG_JSON_OK);
    CHECK(integer == INT64_MIN);
    CHECK_STATUS(sg_json_get_number(buf, len, "third", &number), SG_JSON_OK);
    CHECK(number == 1.0 / 3.0);
    CHECK_STATUS(sg_json_get_string(buf, len, "q\"k", text, sizeof text, &text_len), SG_JSON_OK);
    CHECK(text_len == 0);

    /* Every cap from 0 to the full length: finish fails below it, nothing is written at
     * buf[cap] or beyond (guard bytes), and the writer never claims more than cap. */
    for (size_t cap = 0; cap <= full; cap++) {
        char *block = malloc(cap + 8);
        if (block == NULL) exit(2);
        memset(block, 0x5A, cap + 8);
        size_t got = 12345;
        bool ok = write_patch(block, cap, &got, &w);
        if (cap < full) {
            CHECK(!ok);
            CHECK(got == 0);
            CHECK(w.overflow && !w.invalid);
        } else {
            CHECK(ok && got == full && memcmp(block, expected_patch, full) == 0);
        }
        CHECK(w.len <= cap);
        for (size_t k = cap; k < cap + 8; k++) {
            if ((unsigned char)block[k] != 0x5A) {
                failures++;
                fprintf(stderr, "FAIL writer with cap %zu wrote byte %zu\n", cap, k);
                break;
            }
        }
        checks++;
        free(block);
        /* And in a block of exactly cap bytes, so ASan sees any write past it. */
        block = malloc(cap > 0 ? cap : 1);
        if (block == NULL) exit(2);
        ok = write_patch(cap > 0 ? block : NULL, cap, &got, &w);
        CHECK(ok == (cap == full));
        free(block);
    }

    /* An empty object, and the smallest caps for it. */
    sg_json_writer_init(&w, buf, 2);
    CHECK(sg_json_writer_finish(&w, &len) && len == 2 && memcmp(buf, "{}", 2) == 0);
    sg_json_writer_init(&w, buf, 1);
    CHECK(!sg_json_writer_finish(&w, &len) && len == 0);
    sg_json_writer_init(&w, NULL, 0);
    CHECK(!sg_json_writer_finish(&w, &len));

    /* Invalid arguments fail the whole object (and not as an overflow). */
    const double zero = 0.0;
    const double values[] = {1.0 / zero, -1.0 / zero, zero / zero};
    for (int k = 0; k < 3; k++) {
        sg_json_writer_init(&w, buf, sizeof buf);
        CHECK(!sg_json_put_number(&w, "x", values[k]));
        CHECK(!sg_json_writer_finish(&w, &len) && w.invalid && !w.overflow);
    }
    sg_json_writer_init(&w, buf, sizeof buf);
    CHECK(!sg_json_put_string(&w, "bad", "\xc3"));      /* truncated UTF-8 */
    CHECK(!sg_json_put_int64(&w, "later", 1));          /* failures stick */
    CHECK(!sg_json_writer_finish(&w, &len) && w.invalid);
    const char *bad_utf8[] = {"\xff", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\x80", "a\xe2\x82"};
    for (size_t k = 0; k < sizeof bad_utf8 / sizeof bad_utf8[0]; k++) {
        sg_json_writer_init(&w, buf, sizeof buf);
        sg_json_put_string(&w, "s", bad_utf8[k]);
        CHECK(!sg_json_writer_finish(&w, &len));
        sg_json_writer_init(&w, buf, sizeof buf);
        sg_json_put_int64(&w, bad_utf8[k], 1); /* keys too */
        CHECK(!sg_json_writer_finish(&w, &len));
    }
    sg_json_writer_init(&w, buf, sizeof buf);
    CHECK(!sg_json_put_string(&w, NULL, "x"));
    CHECK(!sg_json_writer_finish(&w, &len));
    sg_json_writer_init(&w, buf, sizeof buf);
    CHECK(!sg_json_put_string(&w, "k", NULL));
    CHECK(!sg_json_writer_finish(&w, &len));
    const char *bad_raw[] = {"", " ", "{", "[1,]", "1 2", "tru", "{\"a\":1}x", "\"x"};
    for (size_t k = 0; k < sizeof bad_raw / sizeof bad_raw[0]; k++) {
        sg_json_writer_init(&w, buf, sizeof buf);
        CHECK(!sg_json_put_raw(&w, "r", bad_raw[k], strlen(bad_raw[k])));
        CHECK(!sg_json_writer_finish(&w, &len) && w.invalid);
    }
    sg_json_writer_init(&w, buf, sizeof buf);
    CHECK(!sg_json_put_raw(&w, "r", NULL, 0));
    CHECK(!sg_json_writer_finish(&w, &len));
    /* A put or a finish after finish. */
    sg_json_writer_init(&w, buf, sizeof buf);
    CHECK(sg_json_writer_finish(&w, &len));
    CHECK(!sg_json_put_null(&w, "late"));
    CHECK(w.len == 2);
    CHECK(!sg_json_writer_finish(&w, &len));

    /* A nested object built by a second writer, inserted raw. */
    char inner[64], outer[128];
    size_t inner_len = 0, outer_len = 0;
    sg_json_writer iw, ow;
    sg_json_writer_init(&iw, inner, sizeof inner);
    sg_json_put_int64(&iw, "level", 2);
    CHECK(sg_json_writer_finish(&iw, &inner_len));
    sg_json_writer_init(&ow, outer, sizeof outer);
    sg_json_put_raw(&ow, "deep", inner, inner_len);
    CHECK(sg_json_writer_finish(&ow, &outer_len));
    CHECK(outer_len == strlen("{\"deep\":{\"level\":2}}") && memcmp(outer, "{\"deep\":{\"level\":2}}", outer_len) == 0);
}

/* Numbers keep '.' under a locale whose decimal point is ',' (when one is installed). */
static void test_locale(void) {
    const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8", "de_DE", "fr_FR"};
    const char *found = NULL;
    for (size_t k = 0; k < sizeof names / sizeof names[0] && found == NULL; k++) {
        if (setlocale(LC_NUMERIC, names[k]) != NULL) found = names[k];
    }
    if (found == NULL) {
        printf("locale test skipped: no de_DE/fr_FR locale installed\n");
        return;
    }
    char buf[64];
    size_t len = 0;
    double number = 0;
    sg_json_writer w;
    sg_json_writer_init(&w, buf, sizeof buf);
    sg_json_put_number(&w, "x", 1.5);
    CHECK(sg_json_writer_finish(&w, &len) && len == 9 && memcmp(buf, "{\"x\":1.5}", 9) == 0);
    CHECK_STATUS(sg_json_get_number("{\"x\":2.25}", 10, "x", &number), SG_JSON_OK);
    CHECK(number == 2.25);
    setlocale(LC_NUMERIC, "C");
    printf("locale test ran under %s\n", found);
}

int main(void) {
    test_getters();
    test_strings();
    test_small_buffer();
    test_malformed();
    test_int64();
    test_writer();
    test_locale();
    if (failures > 0) {
        fprintf(stderr, "json_helper_test: %d of %d checks FAILED\n", failures, checks);
        return 1;
    }
    printf("json_helper_test: all %d checks passed\n", checks);
    return 0;
}
