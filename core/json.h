/* The core's JSON layer over yajl: parse into the plain modrun_json tree
 * the plugin ABI exposes, build trees, and serialise them. Nothing outside
 * this file's .c includes yajl. */
#ifndef MODRUN_CORE_JSON_H
#define MODRUN_CORE_JSON_H

#include <modrun/json.h>

#include "utils.h"

/* Parses TEXT. NAME is used in messages ("config.json: line 3, column 7:
 * ..."). Duplicate object keys keep the last value, as encoding/json does. */
int mr_json_parse (const char *text, size_t len, const char *name, modrun_json **out,
                   mr_error **err);
int mr_json_parse_file (const char *path, const char *name, modrun_json **out, mr_error **err);
void mr_json_free (modrun_json *j);
void mr_json_freep (modrun_json **j);
#define cleanup_json __attribute__ ((cleanup (mr_json_freep)))

/* Building. mr_json_new makes an empty node of TYPE. The add functions
 * follow services->json_add*: KEY NULL appends to an array, otherwise an
 * existing member KEY is replaced. */
modrun_json *mr_json_new (modrun_json_type type);
modrun_json *mr_json_add (modrun_json *parent, const char *key, modrun_json_type type);
int mr_json_add_string (modrun_json *parent, const char *key, const char *value);
int mr_json_add_int (modrun_json *parent, const char *key, int64_t value);
int mr_json_add_bool (modrun_json *parent, const char *key, int value);
int mr_json_add_null (modrun_json *parent, const char *key);
/* Adds a deep copy of VALUE. */
int mr_json_add_copy (modrun_json *parent, const char *key, const modrun_json *value);
modrun_json *mr_json_copy (const modrun_json *j);

/* Serialises J; PRETTY indents with two spaces as runc's state output does.
 * *OUT is NUL-terminated and malloc'ed. */
int mr_json_serialize (const modrun_json *j, int pretty, char **out, size_t *len,
                       mr_error **err);
/* Appends a JSON string literal for S (with quotes) to a malloc'ed buffer. */
char *mr_json_quote (const char *s);

#endif
