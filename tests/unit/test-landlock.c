/* Unit tests of the landlock plugin's pure parts: what the kernel's answer
 * to the version query means (the error a host without Landlock gives),
 * the access rights asked for under each ABI, and the reading of the
 * annotation with the message of every kind of mistake. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plugins.h"
#include "tap.h"

#include "../../plugins/landlock/abi.c"
#include "../../plugins/landlock/rules.c"

static struct modrun_container c;
static struct mr_container_core core;

/* Parses TEXT; returns the error message (malloc'ed) or NULL, and the
 * rules in *OUT when it parses. */
static char *
parse (const char *text, struct ll_rules **out)
{
  struct ll_rules *r = NULL;
  char *msg = NULL;
  int ret;

  mr_container_init (&c, &core);
  ret = ll_rules_parse (&c, text, &r);
  if (ret < 0)
    msg = strdup (core.err ? core.err->msg : "(no message)");
  else if (core.err != NULL)
    msg = strdup ("(a message with success)");
  mr_error_free (mr_steal_ptr (core.err));
  if (ret < 0 && r != NULL)
    msg = strdup ("(rules left with a failure)");
  if (out != NULL)
    *out = r;
  else
    ll_rules_free (r);
  return msg;
}

static void
refused (const char *text, const char *want)
{
  char *msg = parse (text, NULL);

  is_str (msg, want, "refused: %s", text);
  free (msg);
}

static void
test_abi (void)
{
  const char *why = NULL;

  ok (ll_abi_from_probe (7, 0, &why) == 7 && why == NULL, "version 7 is ABI 7");
  ok (ll_abi_from_probe (1, 0, &why) == 1, "version 1 is ABI 1");
  ok (ll_abi_from_probe (-1, ENOSYS, &why) == 0 && why != NULL
          && strstr (why, "built without it (CONFIG_SECURITY_LANDLOCK)") != NULL,
      "ENOSYS: a kernel built without Landlock");
  why = NULL;
  ok (ll_abi_from_probe (-1, EOPNOTSUPP, &why) == 0 && why != NULL
          && strstr (why, "not enabled (add landlock to the lsm= boot parameter)") != NULL,
      "EOPNOTSUPP: Landlock disabled at boot");
  why = NULL;
  ok (ll_abi_from_probe (0, 0, &why) == 0 && why != NULL, "no version at all is no Landlock");

  /* The host's own answer, with the message users see. */
  mr_container_init (&c, &core);
  {
    int abi = ll_abi_detect (&c);

    if (abi > 0)
      ok (core.err == NULL, "this host has Landlock ABI %d, no error recorded", abi);
    else
      ok (core.err != NULL && strncmp (core.err->msg, "Landlock is not available: ", 27) == 0,
          "this host has no Landlock, and says so: %s", core.err ? core.err->msg : "(none)");
  }
  mr_error_free (mr_steal_ptr (core.err));
}

static void
test_rights (void)
{
  uint64_t v1 = ll_fs_handled (1, true);

  ok (v1 == 0x1fff, "ABI 1 handles execute to make_sym (0x%llx)", (unsigned long long)v1);
  ok (ll_fs_handled (2, true) == (v1 | LL_FS_REFER), "ABI 2 adds refer");
  ok (ll_fs_handled (3, true) == (v1 | LL_FS_REFER | LL_FS_TRUNCATE), "ABI 3 adds truncate");
  ok (ll_fs_handled (4, true) == ll_fs_handled (3, true), "ABI 4 adds no filesystem right");
  ok (ll_fs_handled (5, true) == (v1 | LL_FS_REFER | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV),
      "ABI 5 adds ioctl_dev");
  ok (ll_fs_handled (9, true) == ll_fs_handled (5, true),
      "a newer ABI gets the rights this plugin knows");
  ok (ll_fs_handled (5, false) == (ll_fs_handled (5, true) & ~LL_FS_EXECUTE),
      "without an execute list, execution is not handled");

  ok (ll_fs_allowed (LL_READ_ONLY, ll_fs_handled (5, true), true)
          == (LL_FS_READ_FILE | LL_FS_READ_DIR),
      "read_only on a directory: read files, list directories");
  ok (ll_fs_allowed (LL_READ_ONLY, ll_fs_handled (5, true), false) == LL_FS_READ_FILE,
      "read_only on a file: read it");
  ok (ll_fs_allowed (LL_READ_WRITE, ll_fs_handled (5, true), true)
          == (ll_fs_handled (5, true) & ~LL_FS_EXECUTE),
      "read_write on a directory: everything but execute");
  ok (ll_fs_allowed (LL_READ_WRITE, ll_fs_handled (1, true), true) == (v1 & ~LL_FS_EXECUTE),
      "read_write under ABI 1: no right the kernel does not know");
  ok (ll_fs_allowed (LL_READ_WRITE, ll_fs_handled (5, true), false)
          == (LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV),
      "read_write on a file: the rights a file can take");
  ok (ll_fs_allowed (LL_EXECUTE, ll_fs_handled (5, true), true)
          == (LL_FS_EXECUTE | LL_FS_READ_FILE | LL_FS_READ_DIR),
      "execute: read and execute");
  ok (ll_fs_allowed (LL_EXECUTE, ll_fs_handled (5, false), true)
          == (LL_FS_READ_FILE | LL_FS_READ_DIR),
      "execute, when execution is not handled: nothing the ruleset lacks");
}

static void
test_parse (void)
{
  struct ll_rules *r = NULL;
  char *msg;

  msg = parse (" {\"read_only\": [\"/\", \"/etc\\/x\"],\n\t\"read_write\": [\"/tmp\"],"
               "\"execute\": [\"/caf\\u00e9\", \"/\\ud83d\\ude00\"]} ",
               &r);
  is_str (msg, NULL, "a full document parses");
  ok (r != NULL && r->n[LL_READ_ONLY] == 2 && r->n[LL_READ_WRITE] == 1 && r->n[LL_EXECUTE] == 2,
      "with every path");
  if (r != NULL && r->n[LL_READ_ONLY] == 2 && r->n[LL_EXECUTE] == 2)
    {
      is_str (r->paths[LL_READ_ONLY][1], "/etc/x", "\\/ is a slash");
      is_str (r->paths[LL_EXECUTE][0], "/caf\xc3\xa9", "\\u00e9 is UTF-8");
      is_str (r->paths[LL_EXECUTE][1], "/\xf0\x9f\x98\x80", "a surrogate pair is one character");
    }
  else
    ok (0, "the paths are there");
  ll_rules_free (r);
  free (msg);

  msg = parse ("{\"read_only\": []}", &r);
  ok (msg == NULL && r != NULL && r->present[LL_READ_ONLY] && !r->present[LL_EXECUTE]
          && r->n[LL_READ_ONLY] == 0,
      "an empty list is present, an absent one is not");
  ll_rules_free (r);
  free (msg);
  msg = parse ("{}", &r);
  ok (msg == NULL && r != NULL, "an empty object parses (nothing is allowed)");
  ll_rules_free (r);
  free (msg);

#define A "annotation run.modrun.landlock: "
  refused ("", A "empty, expected a JSON object such as {\"read_only\": [\"/\"]}");
  refused ("  ", A "empty, expected a JSON object such as {\"read_only\": [\"/\"]}");
  refused ("[\"/\"]", A "the document: expected a JSON object of path lists, got array");
  refused ("true", A "the document: expected a JSON object of path lists, got boolean");
  refused ("read_only", A "not valid JSON at offset 0: expected a value");
  refused ("{\"read_only\": [\"/\"]",
           A "not valid JSON at offset 19: expected ',' or '}' in an object");
  refused ("{\"read_only\": [\"/\" \"/etc\"]}",
           A "not valid JSON at offset 19: expected ',' or ']' in an array");
  refused ("{\"read_only\" [\"/\"]}",
           A "not valid JSON at offset 13: expected ':' after a member name");
  refused ("{read_only: []}", A "not valid JSON at offset 1: expected a member name in quotes");
  refused ("{\"read_only\": [\"/\"]} x",
           A "not valid JSON at offset 21: expected the end of the document");
  refused ("{\"read_only\": [\"/\"],}",
           A "not valid JSON at offset 20: expected a member name in quotes");
  refused ("{\"read_only\": [\"/tmp]}", A "not valid JSON at offset 22: expected a closing quote");
  refused (
      "{\"read_only\": [\"/\\x\"]}", A
      "not valid JSON at offset 17: expected an escape: one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t "
      "\\u");
  refused ("{\"read_only\": [\"/\\u12\"]}",
           A "not valid JSON at offset 17: expected four hexadecimal digits after \\u");
  refused ("{\"read_only\": [\"/\\udc00\"]}",
           A "not valid JSON at offset 17: expected a high surrogate before this low one");
  refused ("{\"read_only\": [\"/\\ud800x\"]}",
           A "not valid JSON at offset 17: expected a low surrogate (\\uDC00 to \\uDFFF)");
  refused ("{\"read_only\": [\"/a\\u0000b\"]}", A "a string holds a NUL character (\\u0000)");
  refused ("{\"read_only\": [\"/a\tb\"]}",
           A "not valid JSON at offset 18: expected no control character in a string");
  refused ("{\"write\": [\"/\"]}",
           A "unknown member \"write\", expected read_only, read_write or execute");
  refused ("{\"read_only\": [\"/\"], \"read_only\": [\"/tmp\"]}",
           A "member \"read_only\" is given twice");
  refused ("{\"read_only\": \"/\"}",
           A "read_only: expected an array of absolute paths, got string");
  refused ("{\"execute\": null}", A "execute: expected an array of absolute paths, got null");
  refused ("{\"read_write\": {}}", A "read_write: expected an array of absolute paths, got object");
  refused ("{\"read_only\": [\"/\", -1]}",
           A "read_only[1]: expected a string (an absolute path), got number");
  refused ("{\"read_only\": [[\"/\"]]}",
           A "read_only[0]: expected a string (an absolute path), got array");
  refused ("{\"read_write\": [\"/tmp\", \"data\"]}",
           A "read_write[1]: \"data\" is not an absolute path");
  refused ("{\"read_write\": [\"\"]}", A "read_write[0]: the path is empty");
  refused ("{\"execute\": [\"bin\\tx\"]}", A "execute[0]: \"bin?x\" is not an absolute path");
#undef A
}

int
main (void)
{
  test_abi ();
  test_rights ();
  test_parse ();
  return tap_done ();
}
