/* landlock: reading the annotation. Plugins link no JSON library, and the
 * document is small (an object whose members are arrays of strings), so it
 * is read here. Any JSON value is recognised, so that one of the wrong type
 * is refused by its type rather than as a syntax error. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "landlock-plugin.h"

#define WHERE "annotation " LL_ANNOTATION

const char *const ll_kind_names[LL_N_KINDS] = { "read_only", "read_write", "execute" };
const char ll_kind_list[] = "read_only,read_write,execute";

struct reader
{
  struct modrun_container *c;
  const char *text;
  const char *p;
};

void
ll_rules_free (struct ll_rules *r)
{
  size_t k, i;

  if (r == NULL)
    return;
  for (k = 0; k < LL_N_KINDS; k++)
    {
      for (i = 0; i < r->n[k]; i++)
        free (r->paths[k][i]);
      free (r->paths[k]);
    }
  free (r);
}

static int
syntax_error (struct reader *r, const char *expected)
{
  return r->c->svc->error (r->c, 0, "%s: not valid JSON at offset %zu: expected %s", WHERE,
                           (size_t)(r->p - r->text), expected);
}

static void
skip_space (struct reader *r)
{
  while (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')
    r->p++;
}

/* The type of the value at the reader, by its first character, or NULL. */
static const char *
value_type (const struct reader *r)
{
  switch (*r->p)
    {
    case '"':
      return "string";
    case '{':
      return "object";
    case '[':
      return "array";
    case 't':
    case 'f':
      return "boolean";
    case 'n':
      return "null";
    case '-':
      return "number";
    default:
      return *r->p >= '0' && *r->p <= '9' ? "number" : NULL;
    }
}

static int
wrong_type (struct reader *r, const char *what, const char *expected)
{
  const char *type = value_type (r);

  if (type == NULL)
    return syntax_error (r, "a value");
  return r->c->svc->error (r->c, 0, "%s: %s: expected %s, got %s", WHERE, what, expected, type);
}

static int
hex4 (const char *s, unsigned *out)
{
  unsigned v = 0;
  int i;

  for (i = 0; i < 4; i++)
    {
      char ch = s[i];

      v <<= 4;
      if (ch >= '0' && ch <= '9')
        v |= (unsigned)(ch - '0');
      else if (ch >= 'a' && ch <= 'f')
        v |= (unsigned)(ch - 'a' + 10);
      else if (ch >= 'A' && ch <= 'F')
        v |= (unsigned)(ch - 'A' + 10);
      else
        return -1;
    }
  *out = v;
  return 0;
}

static size_t
put_utf8 (char *o, unsigned cp)
{
  if (cp < 0x80)
    {
      o[0] = (char)cp;
      return 1;
    }
  if (cp < 0x800)
    {
      o[0] = (char)(0xc0 | (cp >> 6));
      o[1] = (char)(0x80 | (cp & 0x3f));
      return 2;
    }
  if (cp < 0x10000)
    {
      o[0] = (char)(0xe0 | (cp >> 12));
      o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
      o[2] = (char)(0x80 | (cp & 0x3f));
      return 3;
    }
  o[0] = (char)(0xf0 | (cp >> 18));
  o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
  o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
  o[3] = (char)(0x80 | (cp & 0x3f));
  return 4;
}

/* A \uXXXX escape at the reader (past the backslash and 'u'), surrogate
 * pairs joined. Errors point at ESC, the backslash. */
static int
read_code_point (struct reader *r, const char *esc, unsigned *out)
{
  unsigned hi, lo;

  if (hex4 (r->p, &hi) < 0)
    {
      r->p = esc;
      return syntax_error (r, "four hexadecimal digits after \\u");
    }
  r->p += 4;
  if (hi >= 0xdc00 && hi <= 0xdfff)
    {
      r->p = esc;
      return syntax_error (r, "a high surrogate before this low one");
    }
  if (hi >= 0xd800 && hi <= 0xdbff)
    {
      if (r->p[0] != '\\' || r->p[1] != 'u' || hex4 (r->p + 2, &lo) < 0 || lo < 0xdc00
          || lo > 0xdfff)
        {
          r->p = esc;
          return syntax_error (r, "a low surrogate (\\uDC00 to \\uDFFF)");
        }
      r->p += 6;
      hi = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
    }
  if (hi == 0)
    return r->c->svc->error (r->c, 0, "%s: a string holds a NUL character (\\u0000)", WHERE);
  *out = hi;
  return 0;
}

/* The string at the reader, unescaped, malloc'ed into *OUT. */
static int
read_string (struct reader *r, char **out)
{
  ll_cleanup_free char *buf = NULL;
  const char *end, *esc;
  size_t len = 0;
  unsigned cp = 0;
  int ret;

  r->p++;
  for (end = r->p; *end != '"' && *end != '\0'; end++)
    if (*end == '\\' && end[1] != '\0')
      end++;
  /* An escape never decodes to more bytes than it is written with. */
  buf = malloc ((size_t)(end - r->p) + 1);
  if (buf == NULL)
    return r->c->svc->error (r->c, ENOMEM, "%s", WHERE);

  while (*r->p != '"')
    {
      unsigned char ch = (unsigned char)*r->p;

      if (ch == '\0')
        return syntax_error (r, "a closing quote");
      if (ch < 0x20)
        return syntax_error (r, "no control character in a string");
      r->p++;
      if (ch != '\\')
        {
          buf[len++] = (char)ch;
          continue;
        }
      esc = r->p - 1;
      ch = (unsigned char)*r->p++;
      switch (ch)
        {
        case '"':
        case '\\':
        case '/':
          buf[len++] = (char)ch;
          break;
        case 'b':
          buf[len++] = '\b';
          break;
        case 'f':
          buf[len++] = '\f';
          break;
        case 'n':
          buf[len++] = '\n';
          break;
        case 'r':
          buf[len++] = '\r';
          break;
        case 't':
          buf[len++] = '\t';
          break;
        case 'u':
          ret = read_code_point (r, esc, &cp);
          if (ret < 0)
            return ret;
          len += put_utf8 (buf + len, cp);
          break;
        default:
          r->p = esc;
          return syntax_error (r, "an escape: one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u");
        }
    }
  r->p++;
  buf[len] = '\0';
  *out = buf;
  buf = NULL;
  return 0;
}

void
ll_printable (char *dst, size_t size, const char *path)
{
  size_t i;

  for (i = 0; i + 1 < size && path[i] != '\0'; i++)
    dst[i] = (unsigned char)path[i] < 0x20 || path[i] == 0x7f ? '?' : path[i];
  dst[i] = '\0';
}

static int
check_path (struct reader *r, enum ll_kind kind, size_t i, const char *path)
{
  char shown[256];

  if (*path == '\0')
    return r->c->svc->error (r->c, 0, "%s: %s[%zu]: the path is empty", WHERE, ll_kind_names[kind],
                             i);
  ll_printable (shown, sizeof (shown), path);
  if (*path != '/')
    return r->c->svc->error (r->c, 0, "%s: %s[%zu]: \"%s\" is not an absolute path", WHERE,
                             ll_kind_names[kind], i, shown);
  if (strlen (path) >= PATH_MAX)
    return r->c->svc->error (r->c, 0, "%s: %s[%zu]: the path is longer than %d bytes", WHERE,
                             ll_kind_names[kind], i, PATH_MAX - 1);
  return 0;
}

static int
append_path (struct reader *r, struct ll_rules *rules, enum ll_kind kind, char *path)
{
  char **more = realloc (rules->paths[kind], (rules->n[kind] + 1) * sizeof (char *));

  if (more == NULL)
    {
      free (path);
      return r->c->svc->error (r->c, ENOMEM, "%s", WHERE);
    }
  rules->paths[kind] = more;
  more[rules->n[kind]++] = path;
  return 0;
}

/* The array of paths of member KIND. */
static int
read_paths (struct reader *r, struct ll_rules *rules, enum ll_kind kind)
{
  const char *name = ll_kind_names[kind];
  char what[64];
  size_t i;
  int ret;

  if (*r->p != '[')
    return wrong_type (r, name, "an array of absolute paths");
  r->p++;
  skip_space (r);
  if (*r->p == ']')
    {
      r->p++;
      return 0;
    }
  for (i = 0;; i++)
    {
      char *path = NULL;

      skip_space (r);
      snprintf (what, sizeof (what), "%s[%zu]", name, i);
      if (*r->p != '"')
        return wrong_type (r, what, "a string (an absolute path)");
      ret = read_string (r, &path);
      if (ret == 0)
        ret = check_path (r, kind, i, path);
      if (ret < 0)
        {
          free (path);
          return ret;
        }
      ret = append_path (r, rules, kind, path);
      if (ret < 0)
        return ret;
      skip_space (r);
      if (*r->p == ']')
        {
          r->p++;
          return 0;
        }
      if (*r->p != ',')
        return syntax_error (r, "',' or ']' in an array");
      r->p++;
    }
}

static int
read_member (struct reader *r, struct ll_rules *rules)
{
  ll_cleanup_free char *key = NULL;
  char shown[64];
  size_t k;
  int ret;

  if (*r->p != '"')
    return syntax_error (r, "a member name in quotes");
  ret = read_string (r, &key);
  if (ret < 0)
    return ret;
  skip_space (r);
  if (*r->p != ':')
    return syntax_error (r, "':' after a member name");
  r->p++;
  skip_space (r);

  for (k = 0; k < LL_N_KINDS; k++)
    if (strcmp (key, ll_kind_names[k]) == 0)
      break;
  ll_printable (shown, sizeof (shown), key);
  if (k == LL_N_KINDS)
    return r->c->svc->error (r->c, 0,
                             "%s: unknown member \"%s\", expected read_only, read_write or execute",
                             WHERE, shown);
  if (rules->present[k])
    return r->c->svc->error (r->c, 0, "%s: member \"%s\" is given twice", WHERE, shown);
  rules->present[k] = true;
  return read_paths (r, rules, (enum ll_kind)k);
}

static int
read_document (struct reader *r, struct ll_rules *rules)
{
  int ret;

  skip_space (r);
  if (*r->p == '\0')
    return r->c->svc->error (r->c, 0,
                             "%s: empty, expected a JSON object such as "
                             "{\"read_only\": [\"/\"]}",
                             WHERE);
  if (*r->p != '{')
    return wrong_type (r, "the document", "a JSON object of path lists");
  r->p++;
  skip_space (r);
  if (*r->p == '}')
    r->p++;
  else
    for (;;)
      {
        ret = read_member (r, rules);
        if (ret < 0)
          return ret;
        skip_space (r);
        if (*r->p == '}')
          {
            r->p++;
            break;
          }
        if (*r->p != ',')
          return syntax_error (r, "',' or '}' in an object");
        r->p++;
        skip_space (r);
      }
  skip_space (r);
  if (*r->p != '\0')
    return syntax_error (r, "the end of the document");
  return 0;
}

int
ll_rules_parse (struct modrun_container *c, const char *text, struct ll_rules **out)
{
  struct reader r = { .c = c, .text = text, .p = text };
  struct ll_rules *rules = calloc (1, sizeof (*rules));
  int ret;

  if (rules == NULL)
    return c->svc->error (c, ENOMEM, "%s", WHERE);
  ret = read_document (&r, rules);
  if (ret < 0)
    {
      ll_rules_free (rules);
      return ret;
    }
  *out = rules;
  return 0;
}
