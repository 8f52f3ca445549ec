/* Unit tests of the JSON layer: parsing into modrun_json, error positions,
 * building, copying and serialising. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "json.h"
#include "tap.h"

static modrun_json *
parse (const char *text)
{
  cleanup_error mr_error *err = NULL;
  modrun_json *j = NULL;

  if (mr_json_parse (text, strlen (text), "t.json", &j, &err) < 0)
    printf ("#   unexpected parse error: %s\n", err->msg);
  return j;
}

/* The error message for TEXT, or NULL when it parses. Caller frees. */
static char *
parse_error (const char *text, size_t len)
{
  cleanup_error mr_error *err = NULL;
  modrun_json *j = NULL;
  char *msg;
  int ret;

  ret = mr_json_parse (text, len, "t.json", &j, &err);
  if (ret == 0)
    {
      mr_json_free (j);
      return NULL;
    }
  msg = err ? mr_steal_ptr (err->msg) : strdup ("(no error object)");
  if (j != NULL)
    printf ("#   tree left behind on error\n");
  return msg;
}

static void
check_error (const char *text, const char *want, const char *what)
{
  cleanup_free char *msg = parse_error (text, strlen (text));

  is_str (msg, want, "error: %s", what);
}

static char *
compact (const modrun_json *j)
{
  cleanup_error mr_error *err = NULL;
  char *out = NULL;
  size_t len = 0;

  if (mr_json_serialize (j, 0, &out, &len, &err) < 0)
    return NULL;
  if (strlen (out) != len)
    printf ("#   serialised length mismatch\n");
  return out;
}

static char *
pretty (const modrun_json *j)
{
  cleanup_error mr_error *err = NULL;
  char *out = NULL;
  size_t len = 0;

  if (mr_json_serialize (j, 1, &out, &len, &err) < 0)
    return NULL;
  return out;
}

static void
test_nesting (void)
{
  cleanup_json modrun_json *j
      = parse ("{\"z\": {\"b\": [1, [2, {\"c\": null}], true, false]}, \"a\": \"x\"}");
  const modrun_json *b, *inner;

  ok (j != NULL && j->type == MODRUN_JSON_OBJECT && j->count == 2, "nested object parses");
  if (j == NULL)
    return;
  is_str (j->keys[0], "z", "first key keeps its place");
  is_str (j->keys[1], "a", "second key keeps its place");
  b = modrun_json_path (j, "z.b");
  ok (b != NULL && b->type == MODRUN_JSON_ARRAY && b->count == 4, "z.b is an array of 4");
  inner = modrun_json_at (modrun_json_at (b, 1), 1);
  ok (inner != NULL && inner->type == MODRUN_JSON_OBJECT
          && modrun_json_get (inner, "c")->type == MODRUN_JSON_NULL,
      "null inside an object inside two arrays");
  ok (modrun_json_at (b, 2)->type == MODRUN_JSON_BOOL && modrun_json_at (b, 2)->boolean == 1
          && modrun_json_at (b, 3)->boolean == 0,
      "true and false");
  ok (modrun_json_get (j, "a")->length == 1, "string length is recorded");
}

static void
test_numbers (void)
{
  cleanup_json modrun_json *j = parse ("[0, -5, 9223372036854775807, -9223372036854775808,"
                                       " 9223372036854775808, 18446744073709551615, 1.5,"
                                       " 1e3, -0.25, 123456789012]");
  const modrun_json *n;

  ok (j != NULL && j->count == 10, "array of numbers parses");
  if (j == NULL)
    return;
  n = j->items[0];
  ok (n->type == MODRUN_JSON_INTEGER && n->integer == 0, "0 is an integer");
  n = j->items[1];
  ok (n->type == MODRUN_JSON_INTEGER && n->integer == -5 && n->number == -5.0,
      "-5 is an integer, with number set too");
  n = j->items[2];
  ok (n->type == MODRUN_JSON_INTEGER && n->integer == INT64_MAX, "INT64_MAX is an integer");
  n = j->items[3];
  ok (n->type == MODRUN_JSON_INTEGER && n->integer == INT64_MIN, "INT64_MIN is an integer");
  n = j->items[4];
  ok (n->type == MODRUN_JSON_DOUBLE && n->number == 9223372036854775808.0,
      "INT64_MAX + 1 becomes a double");
  n = j->items[5];
  ok (n->type == MODRUN_JSON_DOUBLE && n->string != NULL
          && strcmp (n->string, "18446744073709551615") == 0,
      "UINT64_MAX is a double that keeps its text");
  n = j->items[6];
  ok (n->type == MODRUN_JSON_DOUBLE && n->number == 1.5, "1.5 is a double");
  n = j->items[7];
  ok (n->type == MODRUN_JSON_DOUBLE && n->number == 1000.0, "1e3 is a double");
  n = j->items[8];
  ok (n->type == MODRUN_JSON_DOUBLE && n->number == -0.25, "-0.25 is a double");
  n = j->items[9];
  ok (n->type == MODRUN_JSON_INTEGER && n->integer == 123456789012LL,
      "integer beyond 32 bits stays an integer");
}

static void
test_strings (void)
{
  cleanup_json modrun_json *j
      = parse ("[\"caf\\u00e9\", \"\\ud83d\\ude00\", \"a\\u0000b\", \"\\n\\t\\\"\\\\\\/\","
               " \"\xc3\xa9t\xc3\xa9\"]");

  ok (j != NULL && j->count == 5, "array of strings parses");
  if (j == NULL)
    return;
  is_str (j->items[0]->string, "caf\xc3\xa9", "\\u00e9 becomes UTF-8");
  is_str (j->items[1]->string, "\xf0\x9f\x98\x80", "surrogate pair becomes one 4-byte char");
  ok (j->items[2]->length == 3 && memcmp (j->items[2]->string, "a\0b", 4) == 0,
      "\\u0000 is kept, with the length");
  is_str (j->items[3]->string, "\n\t\"\\/", "simple escapes");
  is_str (j->items[4]->string, "\xc3\xa9t\xc3\xa9", "raw UTF-8 passes through");
}

static void
test_duplicates (void)
{
  cleanup_json modrun_json *j = parse ("{\"a\": 1, \"b\": 2, \"a\": {\"x\": [3]}}");

  ok (j != NULL && j->count == 2, "duplicate key does not add a member");
  if (j == NULL)
    return;
  is_str (j->keys[0], "a", "duplicate key keeps its first place");
  ok (modrun_json_path (j, "a.x") != NULL, "duplicate key keeps the last value");
}

static void
test_duplicates_big (void)
{
  cleanup_json modrun_json *j = NULL;
  cleanup_free char *text = NULL;
  char *p;
  int i;

  text = mr_xmalloc (100 * 32 + 64);
  p = text;
  p += sprintf (p, "{");
  for (i = 0; i < 100; i++)
    p += sprintf (p, "\"k%d\": %d, ", i, i);
  sprintf (p, "\"k3\": -3, \"k99\": -99, \"new\": 1}");
  j = parse (text);
  ok (j != NULL && j->count == 101, "big object: repeated names do not add members");
  if (j == NULL)
    return;
  ok (modrun_json_get (j, "k3")->integer == -3 && modrun_json_get (j, "k99")->integer == -99
          && modrun_json_get (j, "k50")->integer == 50,
      "big object: repeated names keep the last value");
  is_str (j->keys[100], "new", "big object: a new name after repeats is appended");
}

static void
test_errors (void)
{
  cleanup_free char *msg = NULL;
  char *deep;
  size_t i;

  check_error ("{\"a\": 1,}",
               "t.json: line 1, column 9: invalid object key (must be a string)",
               "trailing comma in an object");
  check_error ("{\n  \"a\": 1,\n  2: 3\n}",
               "t.json: line 3, column 3: invalid object key (must be a string)",
               "line and column on the third line");
  check_error ("[1, 2] x", "t.json: line 1, column 8: unexpected data after the JSON value",
               "trailing garbage");
  check_error ("{\"a\": 1}\n{}",
               "t.json: line 2, column 1: unexpected data after the JSON value",
               "a second document");
  check_error ("", "t.json: empty document, expected a JSON value", "empty input");
  check_error (" \n\t ", "t.json: empty document, expected a JSON value", "only whitespace");
  check_error ("[1, 2", "t.json: line 1, column 5: unexpected end of input", "unterminated");
  check_error ("{\"a\" 1}",
               "t.json: line 1, column 6: object key and value must be separated by a colon "
               "(':')",
               "missing colon");
  check_error ("[1 2]", "t.json: line 1, column 4: after array element, I expect ',' or ']'",
               "missing comma");

  msg = parse_error ("\0", 1);
  ok (msg != NULL && strstr (msg, "empty document") == NULL, "a NUL byte is not whitespace");
  free (mr_steal_ptr (msg));

  msg = parse_error ("[\"\xff\"]", 5);
  ok (msg != NULL && strstr (msg, "t.json: line 1, column ") == msg
          && strstr (msg, "UTF8") != NULL,
      "invalid UTF-8 is an error naming the position: %s", msg ? msg : "(none)");
  free (mr_steal_ptr (msg));

  msg = parse_error ("// comment\n{}", 13);
  ok (msg != NULL && strchr (msg, '\n') == NULL, "comments are refused, on one line");
  free (mr_steal_ptr (msg));

  msg = parse_error ("[1e999]", 7);
  ok (msg != NULL && strstr (msg, "out of range") != NULL, "1e999 is out of range");
  free (mr_steal_ptr (msg));

  deep = malloc (4001);
  for (i = 0; i < 2000; i++)
    {
      deep[i] = '[';
      deep[4000 - 1 - i] = ']';
    }
  deep[4000] = '\0';
  msg = parse_error (deep, 4000);
  ok (msg != NULL && strstr (msg, "nesting is too deep") != NULL, "deep nesting is refused");
  free (deep);
}

static void
test_pretty (void)
{
  cleanup_json modrun_json *j
      = parse ("{\"a\":[],\"b\":{},\"c\":[1,\"x,y:{\"],\"d\":{\"e\":true,\"f\":null}}");
  cleanup_free char *text = NULL;

  ok (j != NULL, "document for the pretty form parses");
  if (j == NULL)
    return;
  text = pretty (j);
  is_str (text,
          "{\n"
          "  \"a\": [],\n"
          "  \"b\": {},\n"
          "  \"c\": [\n"
          "    1,\n"
          "    \"x,y:{\"\n"
          "  ],\n"
          "  \"d\": {\n"
          "    \"e\": true,\n"
          "    \"f\": null\n"
          "  }\n"
          "}",
          "pretty form: two-space indent, empty containers inline, no trailing newline");
}

static void
test_serialize (void)
{
  const char *doc = "{\"s\":\"a/b\\n\\t\\\"\\\\\\u0001\xc3\xa9\",\"n\":[-1,0.5,1e3,"
                    "18446744073709551615],\"o\":{\"k\":false}}";
  cleanup_json modrun_json *j = parse (doc);
  cleanup_json modrun_json *again = NULL;
  cleanup_free char *text = NULL;
  cleanup_free char *text2 = NULL;

  ok (j != NULL, "document for the round trip parses");
  if (j == NULL)
    return;
  text = compact (j);
  is_str (text, doc, "compact form is the canonical text back");
  again = parse (text ? text : "");
  text2 = compact (again);
  is_str (text2, text, "parse, serialise, parse, serialise is stable");
}

static void
test_doubles (void)
{
  cleanup_json modrun_json *arr = mr_json_new (MODRUN_JSON_ARRAY);
  cleanup_free char *text = NULL;
  cleanup_free char *bad = NULL;
  cleanup_error mr_error *err = NULL;
  modrun_json *d = mr_json_add (arr, NULL, MODRUN_JSON_DOUBLE);
  size_t len;

  d->number = 0.1;
  d = mr_json_add (arr, NULL, MODRUN_JSON_DOUBLE);
  d->number = 1e300;
  text = compact (arr);
  is_str (text, "[0.1,1e+300]", "built doubles use the shortest exact form");
  d->number = 1.0 / 0.0;
  ok (mr_json_serialize (arr, 0, &bad, &len, &err) < 0 && err != NULL
          && strstr (err->msg, "not a finite number") != NULL,
      "infinity cannot be serialised");
}

static void
test_builder (void)
{
  cleanup_json modrun_json *root = mr_json_new (MODRUN_JSON_OBJECT);
  cleanup_json modrun_json *copy = NULL;
  cleanup_free char *text = NULL;
  cleanup_free char *text_copy = NULL;
  cleanup_free char *after = NULL;
  modrun_json *arr, *obj;
  int i;

  ok (mr_json_add_string (root, "name", "box") == 0, "add a string member");
  ok (mr_json_add_int (root, "pid", -42) == 0, "add an integer member");
  ok (mr_json_add_bool (root, "ok", 1) == 0, "add a boolean member");
  ok (mr_json_add_null (root, "none") == 0, "add a null member");
  arr = mr_json_add (root, "list", MODRUN_JSON_ARRAY);
  ok (arr != NULL, "add an array member");
  for (i = 0; i < 100; i++)
    mr_json_add_int (arr, NULL, i);
  ok (arr->count == 100 && arr->items[99]->integer == 99, "append 100 items to an array");
  obj = mr_json_add (arr, NULL, MODRUN_JSON_OBJECT);
  ok (obj != NULL && arr->count == 101, "append an object to an array");
  ok (mr_json_add_int (arr, "key", 1) == -EINVAL, "a key on an array is refused");
  ok (mr_json_add_int (obj, NULL, 1) == -EINVAL, "no key on an object is refused");
  ok (mr_json_add (NULL, "x", MODRUN_JSON_OBJECT) == NULL, "no parent is refused");
  ok (mr_json_add_string (root, "name", "other") == 0 && root->count == 5,
      "adding an existing key replaces it");
  is_str (modrun_json_get (root, "name")->string, "other", "replaced value is the new one");
  is_str (root->keys[0], "name", "replaced member keeps its place");

  copy = mr_json_copy (root);
  text = compact (root);
  text_copy = compact (copy);
  is_str (text_copy, text, "deep copy serialises the same");
  mr_json_add_int ((modrun_json *) modrun_json_get (copy, "list"), NULL, 7);
  mr_json_add_string (copy, "name", "changed");
  after = compact (root);
  is_str (after, text, "changing the copy leaves the original alone");
  ok (modrun_json_get (copy, "list")->count == 102, "a copy can be appended to");
  ok (mr_json_add_copy (root, "again", copy) == 0
          && modrun_json_path (root, "again.list")->count == 102,
      "add_copy puts a deep copy under a key");
}

static void
test_quote (void)
{
  cleanup_free char *a = mr_json_quote ("say \"hi\"\n/\xc3\xa9");
  cleanup_free char *b = mr_json_quote (NULL);
  cleanup_free char *c = mr_json_quote ("\x1f");
  cleanup_free char *d = mr_json_quote ("a\xff\xc3(b\xed\xa0\x80");

  is_str (a, "\"say \\\"hi\\\"\\n/\xc3\xa9\"", "quote escapes quotes and newline only");
  is_str (b, "\"\"", "quote of NULL is the empty string");
  ok (c != NULL && strcasecmp (c, "\"\\u001f\"") == 0,
      "control characters become \\u escapes: %s", c ? c : "(null)");
  is_str (d, "\"a\xef\xbf\xbd\xef\xbf\xbd(b\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"",
          "bytes that are not UTF-8 become U+FFFD");
}

static void
test_file (void)
{
  char path[] = "/tmp/modrun-test-json.XXXXXX";
  cleanup_error mr_error *err = NULL;
  cleanup_error mr_error *err2 = NULL;
  cleanup_json modrun_json *j = NULL;
  modrun_json *none = NULL;
  int fd = mkstemp (path);

  if (fd < 0 || write (fd, "{\"k\":\n  [tru]}", 14) != 14)
    {
      ok (0, "temporary file for parse_file");
      return;
    }
  close (fd);
  ok (mr_json_parse_file (path, "config.json", &j, &err) < 0 && err != NULL
          && strncmp (err->msg, "config.json: line 2, column ", 28) == 0,
      "parse_file names the file given and the line: %s", err ? err->msg : "(none)");
  unlink (path);
  ok (mr_json_parse_file (path, NULL, &none, &err2) == -ENOENT && none == NULL
          && strstr (err2->msg, path) != NULL,
      "missing file is ENOENT, naming the path");
}

int
main (void)
{
  test_nesting ();
  test_numbers ();
  test_strings ();
  test_duplicates ();
  test_duplicates_big ();
  test_errors ();
  test_pretty ();
  test_serialize ();
  test_doubles ();
  test_builder ();
  test_quote ();
  test_file ();
  return tap_done ();
}
