#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "json.h"

/* Deeper documents are refused: freeing, copying and serialising recurse,
 * and no configuration needs more than a handful of levels. */
#define MAX_DEPTH 1000

/* Arrays and objects carry no capacity field (the layout is ABI), so the
 * capacity follows from the count: 0, then 4, then doubling. An append
 * grows the storage exactly when COUNT has reached that capacity. */
static size_t
capacity_for (uint32_t count)
{
  size_t cap = 4;

  if (count == 0)
    return 0;
  while (cap < count)
    cap *= 2;
  return cap;
}

static int
json_append (modrun_json *parent, char *key, modrun_json *value)
{
  size_t cap = capacity_for (parent->count);

  if (parent->count == UINT32_MAX)
    return -E2BIG;
  if (parent->count == cap)
    {
      size_t ncap = cap ? cap * 2 : 4;

      parent->items = mr_xrealloc (parent->items, ncap * sizeof (*parent->items));
      if (parent->type == MODRUN_JSON_OBJECT)
        parent->keys = mr_xrealloc (parent->keys, ncap * sizeof (*parent->keys));
    }
  if (parent->type == MODRUN_JSON_OBJECT)
    parent->keys[parent->count] = key;
  parent->items[parent->count++] = value;
  return 0;
}

static int64_t
find_key (const modrun_json *obj, const char *key)
{
  uint32_t i;

  for (i = 0; i < obj->count; i++)
    if (strcmp (obj->keys[i], key) == 0)
      return i;
  return -1;
}

void
mr_json_free (modrun_json *j)
{
  uint32_t i;

  if (j == NULL)
    return;
  for (i = 0; i < j->count && j->items != NULL; i++)
    {
      if (j->type == MODRUN_JSON_OBJECT)
        free ((char *) j->keys[i]);
      mr_json_free (j->items[i]);
    }
  free (j->keys);
  free (j->items);
  free ((char *) j->string);
  free (j);
}

void
mr_json_freep (modrun_json **j)
{
  mr_json_free (*j);
}

/* Parsing. The callbacks build the tree top-down: STACK holds the open
 * arrays and objects, and KEY the member name waiting for its value. */

/* An object with this many members gets a hash index of its keys while it
 * is parsed, so that finding repeated names stays cheap for big ones. */
#define INDEX_FROM 16

struct frame
{
  modrun_json *node;
  uint32_t *index;   /* open addressing: member position + 1, 0 when free */
  size_t index_size; /* a power of two, at least twice the member count */
};

struct parse_ctx
{
  modrun_json *root;
  struct frame stack[MAX_DEPTH];
  size_t depth;
  char *key;
  const char *problem; /* why a callback stopped the parse */
};

static size_t
hash_key (const char *key)
{
  size_t h = 2166136261u;

  for (; *key != '\0'; key++)
    h = (h ^ (unsigned char) *key) * 16777619u;
  return h;
}

static void
index_insert (struct frame *f, uint32_t pos)
{
  size_t mask = f->index_size - 1;
  size_t h = hash_key (f->node->keys[pos]) & mask;

  while (f->index[h] != 0)
    h = (h + 1) & mask;
  f->index[h] = pos + 1;
}

static void
index_rebuild (struct frame *f)
{
  size_t size = 64;
  uint32_t i;

  while (size < (size_t) f->node->count * 4)
    size *= 2;
  free (f->index);
  f->index = mr_xzalloc (size * sizeof (*f->index));
  f->index_size = size;
  for (i = 0; i < f->node->count; i++)
    index_insert (f, i);
}

static int64_t
frame_find (struct frame *f, const char *key)
{
  size_t mask, h;

  if (f->node->count < INDEX_FROM)
    return find_key (f->node, key);
  if (f->index == NULL || (size_t) f->node->count * 2 >= f->index_size)
    index_rebuild (f);
  mask = f->index_size - 1;
  for (h = hash_key (key) & mask; f->index[h] != 0; h = (h + 1) & mask)
    if (strcmp (f->node->keys[f->index[h] - 1], key) == 0)
      return f->index[h] - 1;
  return -1;
}

static int
ctx_put (struct parse_ctx *ctx, modrun_json *value)
{
  struct frame *frame;
  modrun_json *parent;
  int64_t slot;

  if (ctx->depth == 0)
    {
      ctx->root = value;
      return 1;
    }
  frame = &ctx->stack[ctx->depth - 1];
  parent = frame->node;
  if (parent->type == MODRUN_JSON_ARRAY)
    {
      if (json_append (parent, NULL, value) < 0)
        goto too_many;
      return 1;
    }

  /* A repeated member name keeps its first place and its last value. */
  slot = frame_find (frame, ctx->key);
  if (slot >= 0)
    {
      mr_json_free (parent->items[slot]);
      parent->items[slot] = value;
      free (ctx->key);
      ctx->key = NULL;
      return 1;
    }
  if (json_append (parent, ctx->key, value) < 0)
    goto too_many;
  ctx->key = NULL;
  if (frame->index != NULL)
    index_insert (frame, parent->count - 1);
  return 1;

too_many:
  mr_json_free (value);
  ctx->problem = "too many members in one array or object";
  return 0;
}

static modrun_json *
node_new (modrun_json_type type)
{
  modrun_json *j = mr_xzalloc (sizeof (*j));

  j->type = type;
  return j;
}

static int
on_null (void *ud)
{
  return ctx_put (ud, node_new (MODRUN_JSON_NULL));
}

static int
on_boolean (void *ud, int value)
{
  modrun_json *j = node_new (MODRUN_JSON_BOOL);

  j->boolean = !!value;
  return ctx_put (ud, j);
}

/* Numbers arrive as their source text: an integer that fits int64_t
 * becomes INTEGER; anything else DOUBLE, which also keeps the text in
 * STRING so that unsigned 64-bit values (rlimits) can be read exactly. */
static int
on_number (void *ud, const char *text, size_t len)
{
  struct parse_ctx *ctx = ud;
  char buf[128];
  char *end;
  modrun_json *j;
  int64_t ival;

  if (len >= sizeof (buf))
    {
      ctx->problem = "number is too long";
      return 0;
    }
  memcpy (buf, text, len);
  buf[len] = '\0';

  if (strpbrk (buf, ".eE") == NULL)
    {
      errno = 0;
      ival = strtoll (buf, &end, 10);
      if (errno == 0 && *end == '\0')
        {
          j = node_new (MODRUN_JSON_INTEGER);
          j->integer = ival;
          j->number = (double) ival;
          return ctx_put (ctx, j);
        }
    }

  j = node_new (MODRUN_JSON_DOUBLE);
  errno = 0;
  j->number = strtod (buf, &end);
  if (errno == ERANGE && isinf (j->number))
    {
      free (j);
      ctx->problem = "number is out of range";
      return 0;
    }
  j->string = mr_xstrdup (buf);
  j->length = len;
  return ctx_put (ctx, j);
}

static int
on_string (void *ud, const unsigned char *s, size_t len)
{
  modrun_json *j = node_new (MODRUN_JSON_STRING);
  char *copy = mr_xmalloc (len + 1);

  memcpy (copy, s, len);
  copy[len] = '\0';
  j->string = copy;
  j->length = len;
  return ctx_put (ud, j);
}

static int
open_container (struct parse_ctx *ctx, modrun_json_type type)
{
  modrun_json *j;

  if (ctx->depth == MAX_DEPTH)
    {
      ctx->problem = "nesting is too deep";
      return 0;
    }
  j = node_new (type);
  if (!ctx_put (ctx, j))
    return 0;
  ctx->stack[ctx->depth].node = j;
  ctx->stack[ctx->depth].index = NULL;
  ctx->stack[ctx->depth].index_size = 0;
  ctx->depth++;
  return 1;
}

static int
on_start_map (void *ud)
{
  return open_container (ud, MODRUN_JSON_OBJECT);
}

static int
on_start_array (void *ud)
{
  return open_container (ud, MODRUN_JSON_ARRAY);
}

static int
on_end (void *ud)
{
  struct parse_ctx *ctx = ud;

  ctx->depth--;
  free (ctx->stack[ctx->depth].index);
  ctx->stack[ctx->depth].index = NULL;
  return 1;
}

static int
on_map_key (void *ud, const unsigned char *s, size_t len)
{
  struct parse_ctx *ctx = ud;

  free (ctx->key);
  ctx->key = mr_xmalloc (len + 1);
  memcpy (ctx->key, s, len);
  ctx->key[len] = '\0';
  return 1;
}

static const yajl_callbacks parse_callbacks = {
  .yajl_null = on_null,
  .yajl_boolean = on_boolean,
  .yajl_number = on_number,
  .yajl_string = on_string,
  .yajl_start_map = on_start_map,
  .yajl_map_key = on_map_key,
  .yajl_end_map = on_end,
  .yajl_start_array = on_start_array,
  .yajl_end_array = on_end,
};

/* Line and column (1-based, counting UTF-8 characters) of the byte just
 * before OFFSET, which is where yajl stops on an error. */
static void
offset_position (const char *text, size_t len, size_t offset, size_t *line, size_t *column)
{
  size_t i;

  if (offset > len)
    offset = len;
  *line = 1;
  *column = 0;
  for (i = 0; i < offset; i++)
    {
      unsigned char c = (unsigned char) text[i];

      if (c == '\n' && i + 1 < offset)
        {
          (*line)++;
          *column = 0;
        }
      else if ((c & 0xc0) != 0x80)
        (*column)++;
    }
  if (*column == 0)
    *column = 1;
}

/* yajl's message without its "parse error: " prefix, final period and
 * newline, with the two most common cases said plainly. */
static char *
short_message (yajl_handle h, const char *text, size_t len)
{
  unsigned char *raw = yajl_get_error (h, 0, (const unsigned char *) text, len);
  const char *msg = (const char *) raw;
  const char *colon;
  char *out;
  size_t n;

  if (msg == NULL)
    return mr_xstrdup ("invalid JSON");
  colon = strstr (msg, "error: ");
  if (colon != NULL)
    msg = colon + strlen ("error: ");
  n = strcspn (msg, "\n");
  while (n > 0 && (msg[n - 1] == '.' || msg[n - 1] == ' '))
    n--;
  if (strncmp (msg, "premature EOF", n) == 0 && n == strlen ("premature EOF"))
    out = mr_xstrdup ("unexpected end of input");
  else if (strncmp (msg, "trailing garbage", n) == 0 && n == strlen ("trailing garbage"))
    out = mr_xstrdup ("unexpected data after the JSON value");
  else
    out = mr_xasprintf ("%.*s", (int) n, msg);
  yajl_free_error (h, raw);
  return out;
}

static int
only_whitespace (const char *text, size_t len)
{
  size_t i;

  for (i = 0; i < len; i++)
    if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '\n')
      return 0;
  return 1;
}

static void
ctx_release (struct parse_ctx *ctx)
{
  while (ctx->depth > 0)
    free (ctx->stack[--ctx->depth].index);
  free (ctx->key);
  ctx->key = NULL;
  mr_json_free (ctx->root);
  ctx->root = NULL;
}

int
mr_json_parse (const char *text, size_t len, const char *name, modrun_json **out,
               mr_error **err)
{
  struct parse_ctx *ctx;
  yajl_handle h;
  yajl_status st;
  size_t offset, line, column;
  char *msg;
  int ret;

  if (name == NULL)
    name = "JSON";
  *out = NULL;
  if (text == NULL || only_whitespace (text, len))
    return mr_fail (err, 0, "%s: empty document, expected a JSON value", name);

  ctx = mr_xzalloc (sizeof (*ctx));
  h = yajl_alloc (&parse_callbacks, NULL, ctx);
  if (h == NULL)
    abort ();
  st = yajl_parse (h, (const unsigned char *) text, len);
  offset = yajl_get_bytes_consumed (h);
  if (st == yajl_status_ok)
    {
      st = yajl_complete_parse (h);
      offset = len;
    }

  if (st == yajl_status_ok)
    {
      *out = mr_steal_ptr (ctx->root);
      ret = 0;
    }
  else
    {
      offset_position (text, len, offset, &line, &column);
      if (st == yajl_status_client_canceled && ctx->problem != NULL)
        msg = mr_xstrdup (ctx->problem);
      else
        msg = short_message (h, text, len);
      ret = mr_fail (err, 0, "%s: line %zu, column %zu: %s", name, line, column, msg);
      free (msg);
    }
  ctx_release (ctx);
  free (ctx);
  yajl_free (h);
  return ret;
}

int
mr_json_parse_file (const char *path, const char *name, modrun_json **out, mr_error **err)
{
  cleanup_free char *text = NULL;
  size_t len = 0;
  int ret;

  *out = NULL;
  ret = mr_read_file (path, &text, &len, err);
  if (ret < 0)
    return ret;
  return mr_json_parse (text, len, name ? name : path, out, err);
}

/* Building. */

modrun_json *
mr_json_new (modrun_json_type type)
{
  if (type > MODRUN_JSON_OBJECT)
    return NULL;
  return node_new (type);
}

/* Puts VALUE under KEY in PARENT (replacing a member of that name) or
 * appends it to the array PARENT. Takes VALUE in every case. */
static int
attach (modrun_json *parent, const char *key, modrun_json *value)
{
  char *copy = NULL;
  int64_t slot;
  int ret;

  if (parent == NULL || value == NULL)
    goto invalid;
  if (parent->type == MODRUN_JSON_ARRAY && key == NULL)
    ret = json_append (parent, NULL, value);
  else if (parent->type == MODRUN_JSON_OBJECT && key != NULL)
    {
      slot = find_key (parent, key);
      if (slot >= 0)
        {
          mr_json_free (parent->items[slot]);
          parent->items[slot] = value;
          return 0;
        }
      copy = mr_xstrdup (key);
      ret = json_append (parent, copy, value);
    }
  else
    goto invalid;
  if (ret < 0)
    {
      free (copy);
      mr_json_free (value);
    }
  return ret;

invalid:
  mr_json_free (value);
  return -EINVAL;
}

modrun_json *
mr_json_add (modrun_json *parent, const char *key, modrun_json_type type)
{
  modrun_json *j = mr_json_new (type);

  if (j == NULL || attach (parent, key, j) < 0)
    return NULL;
  return j;
}

int
mr_json_add_string (modrun_json *parent, const char *key, const char *value)
{
  modrun_json *j;

  if (value == NULL)
    return -EINVAL;
  j = node_new (MODRUN_JSON_STRING);
  j->string = mr_xstrdup (value);
  j->length = strlen (value);
  return attach (parent, key, j);
}

int
mr_json_add_int (modrun_json *parent, const char *key, int64_t value)
{
  modrun_json *j = node_new (MODRUN_JSON_INTEGER);

  j->integer = value;
  j->number = (double) value;
  return attach (parent, key, j);
}

int
mr_json_add_bool (modrun_json *parent, const char *key, int value)
{
  modrun_json *j = node_new (MODRUN_JSON_BOOL);

  j->boolean = !!value;
  return attach (parent, key, j);
}

int
mr_json_add_null (modrun_json *parent, const char *key)
{
  return attach (parent, key, node_new (MODRUN_JSON_NULL));
}

int
mr_json_add_copy (modrun_json *parent, const char *key, const modrun_json *value)
{
  if (value == NULL)
    return -EINVAL;
  return attach (parent, key, mr_json_copy (value));
}

static char *
copy_bytes (const char *s, size_t len)
{
  char *r = mr_xmalloc (len + 1);

  memcpy (r, s, len);
  r[len] = '\0';
  return r;
}

modrun_json *
mr_json_copy (const modrun_json *j)
{
  modrun_json *c;
  size_t cap;
  uint32_t i;

  if (j == NULL)
    return NULL;
  c = node_new (j->type);
  c->boolean = j->boolean;
  c->integer = j->integer;
  c->number = j->number;
  if (j->string != NULL)
    {
      c->string = copy_bytes (j->string, j->length);
      c->length = j->length;
    }
  if (j->type != MODRUN_JSON_ARRAY && j->type != MODRUN_JSON_OBJECT)
    return c;

  cap = capacity_for (j->count);
  if (cap > 0)
    {
      c->items = mr_xzalloc (cap * sizeof (*c->items));
      if (j->type == MODRUN_JSON_OBJECT)
        c->keys = mr_xzalloc (cap * sizeof (*c->keys));
    }
  for (i = 0; i < j->count; i++)
    {
      if (j->type == MODRUN_JSON_OBJECT)
        c->keys[i] = mr_xstrdup (j->keys[i]);
      c->items[i] = mr_json_copy (j->items[i]);
      c->count = i + 1;
    }
  return c;
}

/* Serialising: yajl_gen writes the compact text (escaping strings, UTF-8
 * passed through, "/" left alone); the pretty form is derived from it so
 * that empty arrays and objects stay "[]" and "{}". */

static int
format_double (double v, char *buf, size_t size)
{
  int prec;

  if (!isfinite (v))
    return -EDOM;
  /* The shortest form that reads back as the same value. */
  for (prec = 1; prec <= 17; prec++)
    {
      snprintf (buf, size, "%.*g", prec, v);
      if (strtod (buf, NULL) == v)
        break;
    }
  return 0;
}

/* Length of the well-formed UTF-8 character at S (at most LEN bytes), or
 * 0 when the bytes there are not one. */
static size_t
utf8_char_len (const unsigned char *s, size_t len)
{
  unsigned char lo = 0x80, hi = 0xbf;
  size_t n, i;

  if (s[0] < 0x80)
    return 1;
  if (s[0] >= 0xc2 && s[0] <= 0xdf)
    n = 2;
  else if (s[0] >= 0xe0 && s[0] <= 0xef)
    {
      n = 3;
      if (s[0] == 0xe0)
        lo = 0xa0;
      else if (s[0] == 0xed)
        hi = 0x9f;
    }
  else if (s[0] >= 0xf0 && s[0] <= 0xf4)
    {
      n = 4;
      if (s[0] == 0xf0)
        lo = 0x90;
      else if (s[0] == 0xf4)
        hi = 0x8f;
    }
  else
    return 0;
  if (len < n || s[1] < lo || s[1] > hi)
    return 0;
  for (i = 2; i < n; i++)
    if ((s[i] & 0xc0) != 0x80)
      return 0;
  return n;
}

/* Writes S as a JSON string. Bytes that are not UTF-8 (a path from the
 * host may hold any) become U+FFFD, so the output is always valid JSON. */
static void
gen_string (yajl_gen g, const char *s, size_t len)
{
  const unsigned char *u = (const unsigned char *) s;
  cleanup_free unsigned char *fixed = NULL;
  size_t i = 0, out = 0, n;

  while (i < len && (n = utf8_char_len (u + i, len - i)) > 0)
    i += n;
  if (i == len)
    {
      yajl_gen_string (g, u, len);
      return;
    }
  fixed = mr_xmalloc (len * 3);
  memcpy (fixed, u, i);
  out = i;
  while (i < len)
    {
      n = utf8_char_len (u + i, len - i);
      if (n == 0)
        {
          memcpy (fixed + out, "\xef\xbf\xbd", 3);
          out += 3;
          i++;
          continue;
        }
      memcpy (fixed + out, u + i, n);
      out += n;
      i += n;
    }
  yajl_gen_string (g, fixed, out);
}

static int
gen_value (yajl_gen g, const modrun_json *j, int depth, mr_error **err)
{
  char num[64];
  uint32_t i;
  int ret;

  if (depth > MAX_DEPTH)
    return mr_fail (err, 0, "JSON: nesting is too deep to serialise");
  switch (j->type)
    {
    case MODRUN_JSON_NULL:
      yajl_gen_null (g);
      return 0;
    case MODRUN_JSON_BOOL:
      yajl_gen_bool (g, j->boolean);
      return 0;
    case MODRUN_JSON_INTEGER:
      yajl_gen_integer (g, j->integer);
      return 0;
    case MODRUN_JSON_DOUBLE:
      if (j->string != NULL)
        {
          yajl_gen_number (g, j->string, j->length);
          return 0;
        }
      if (format_double (j->number, num, sizeof (num)) < 0)
        return mr_fail (err, 0, "JSON: cannot serialise %g: not a finite number", j->number);
      yajl_gen_number (g, num, strlen (num));
      return 0;
    case MODRUN_JSON_STRING:
      gen_string (g, j->string ? j->string : "", j->string ? j->length : 0);
      return 0;
    case MODRUN_JSON_ARRAY:
      yajl_gen_array_open (g);
      for (i = 0; i < j->count; i++)
        {
          ret = gen_value (g, j->items[i], depth + 1, err);
          if (ret < 0)
            return ret;
        }
      yajl_gen_array_close (g);
      return 0;
    case MODRUN_JSON_OBJECT:
      yajl_gen_map_open (g);
      for (i = 0; i < j->count; i++)
        {
          gen_string (g, j->keys[i], strlen (j->keys[i]));
          ret = gen_value (g, j->items[i], depth + 1, err);
          if (ret < 0)
            return ret;
        }
      yajl_gen_map_close (g);
      return 0;
    default:
      return mr_fail (err, 0, "JSON: cannot serialise a node of unknown type %u",
                      (unsigned) j->type);
    }
}

static void
put_indent (FILE *f, int level)
{
  fputc ('\n', f);
  while (level-- > 0)
    fputs ("  ", f);
}

/* Re-lays compact JSON text out with two-space indentation. */
static void
indent_compact (const char *s, size_t len, FILE *f)
{
  int level = 0;
  int in_string = 0;
  size_t i;

  for (i = 0; i < len; i++)
    {
      char c = s[i];

      if (in_string)
        {
          fputc (c, f);
          if (c == '\\' && i + 1 < len)
            fputc (s[++i], f);
          else if (c == '"')
            in_string = 0;
          continue;
        }
      switch (c)
        {
        case '"':
          in_string = 1;
          fputc (c, f);
          break;
        case '{':
        case '[':
          fputc (c, f);
          if (i + 1 < len && (s[i + 1] == '}' || s[i + 1] == ']'))
            fputc (s[++i], f);
          else
            put_indent (f, ++level);
          break;
        case '}':
        case ']':
          put_indent (f, --level);
          fputc (c, f);
          break;
        case ',':
          fputc (c, f);
          put_indent (f, level);
          break;
        case ':':
          fputs (": ", f);
          break;
        default:
          fputc (c, f);
        }
    }
}

int
mr_json_serialize (const modrun_json *j, int pretty, char **out, size_t *len, mr_error **err)
{
  const unsigned char *buf = NULL;
  size_t buflen = 0;
  char *text = NULL;
  size_t textlen = 0;
  yajl_gen g;
  int ret;

  *out = NULL;
  if (j == NULL)
    return mr_fail (err, 0, "JSON: nothing to serialise");
  g = yajl_gen_alloc (NULL);
  if (g == NULL)
    abort ();
  ret = gen_value (g, j, 0, err);
  if (ret == 0 && yajl_gen_get_buf (g, &buf, &buflen) != yajl_gen_status_ok)
    ret = mr_fail (err, 0, "JSON: serialisation failed");
  if (ret == 0 && pretty)
    {
      FILE *f = open_memstream (&text, &textlen);

      if (f == NULL)
        abort ();
      indent_compact ((const char *) buf, buflen, f);
      if (fclose (f) != 0)
        abort ();
    }
  else if (ret == 0)
    {
      text = copy_bytes ((const char *) buf, buflen);
      textlen = buflen;
    }
  yajl_gen_free (g);
  if (ret < 0)
    return ret;
  *out = text;
  if (len != NULL)
    *len = textlen;
  return 0;
}

char *
mr_json_quote (const char *s)
{
  const unsigned char *buf = NULL;
  size_t buflen = 0;
  char *r;
  yajl_gen g = yajl_gen_alloc (NULL);

  if (g == NULL)
    abort ();
  if (s == NULL)
    s = "";
  gen_string (g, s, strlen (s));
  yajl_gen_get_buf (g, &buf, &buflen);
  r = copy_bytes ((const char *) buf, buflen);
  yajl_gen_free (g);
  return r;
}
