/* modrun plugin ABI: the parsed configuration as plain data.
 *
 * The core parses config.json once and hands plugins a read-only tree of
 * these nodes. The layout is part of the ABI: it only grows at the end. */
#ifndef MODRUN_JSON_H
#define MODRUN_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint32_t modrun_json_type;

#define MODRUN_JSON_NULL ((modrun_json_type) 0)
#define MODRUN_JSON_BOOL ((modrun_json_type) 1)
#define MODRUN_JSON_INTEGER ((modrun_json_type) 2) /* fits int64_t */
#define MODRUN_JSON_DOUBLE ((modrun_json_type) 3)  /* fraction, exponent or beyond int64_t */
#define MODRUN_JSON_STRING ((modrun_json_type) 4)
#define MODRUN_JSON_ARRAY ((modrun_json_type) 5)
#define MODRUN_JSON_OBJECT ((modrun_json_type) 6)

typedef struct modrun_json modrun_json;

struct modrun_json
{
  modrun_json_type type;
  uint32_t count;     /* array items or object members */
  int boolean;        /* MODRUN_JSON_BOOL */
  int64_t integer;    /* MODRUN_JSON_INTEGER */
  double number;      /* MODRUN_JSON_DOUBLE, and the value of an INTEGER too */
  /* MODRUN_JSON_STRING, NUL-terminated; for a DOUBLE parsed from input, the
   * number as written, so integers beyond int64_t (uint64 limits) stay exact */
  const char *string;
  size_t length;      /* bytes of string, without the NUL */
  const char **keys;  /* MODRUN_JSON_OBJECT: member names, count of them */
  modrun_json **items; /* array items, or object values in key order */
};

/* Member KEY of object OBJ, or NULL when OBJ is not an object or lacks it. */
static inline const modrun_json *
modrun_json_get (const modrun_json *obj, const char *key)
{
  uint32_t i;

  if (obj == NULL || obj->type != MODRUN_JSON_OBJECT)
    return NULL;
  for (i = 0; i < obj->count; i++)
    if (strcmp (obj->keys[i], key) == 0)
      return obj->items[i];
  return NULL;
}

/* Item I of array ARR, or NULL. */
static inline const modrun_json *
modrun_json_at (const modrun_json *arr, uint32_t i)
{
  if (arr == NULL || arr->type != MODRUN_JSON_ARRAY || i >= arr->count)
    return NULL;
  return arr->items[i];
}

/* Follow a dotted path of object members ("linux.resources.memory"). */
static inline const modrun_json *
modrun_json_path (const modrun_json *obj, const char *path)
{
  char key[128];
  const char *dot;
  size_t len;

  while (obj != NULL && *path != '\0')
    {
      dot = strchr (path, '.');
      len = dot ? (size_t) (dot - path) : strlen (path);
      if (len >= sizeof (key))
        return NULL;
      memcpy (key, path, len);
      key[len] = '\0';
      obj = modrun_json_get (obj, key);
      path += len + (dot ? 1 : 0);
    }
  return obj;
}

static inline const char *
modrun_json_type_name (modrun_json_type t)
{
  switch (t)
    {
    case MODRUN_JSON_NULL: return "null";
    case MODRUN_JSON_BOOL: return "boolean";
    case MODRUN_JSON_INTEGER: return "integer";
    case MODRUN_JSON_DOUBLE: return "number";
    case MODRUN_JSON_STRING: return "string";
    case MODRUN_JSON_ARRAY: return "array";
    case MODRUN_JSON_OBJECT: return "object";
    default: return "unknown";
    }
}

#ifdef __cplusplus
}
#endif

#endif
