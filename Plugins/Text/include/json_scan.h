/* A minimal scanner for the top-level string members of a JSON object, enough for a plugin
 * that reads one or two fields without a JSON library. It does not validate the JSON: the
 * host always sends valid, canonical JSON. */
#ifndef TEXT_PLUGIN_JSON_SCAN_H
#define TEXT_PLUGIN_JSON_SCAN_H

#include <stddef.h>

#define JSON_SCAN_FOUND 0
#define JSON_SCAN_MISSING 1
#define JSON_SCAN_WRONG_TYPE 2

/* Finds the member `key` of the object in json[0..len) and, when it is a string, points
 * *value at its content (still escaped, without the quotes) of *value_len bytes. */
int json_find_string(const char *json, size_t len, const char *key, const char **value, size_t *value_len);

#endif
