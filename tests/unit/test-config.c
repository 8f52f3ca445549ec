/* Unit tests of the config.json loader on temporary bundles: a complete
 * good config, and one broken field at a time. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "ociconfig.h"
#include "tap.h"

static char bundle[] = "/tmp/modrun-test-config.XXXXXX";

static const char good_config[]
    = "{\n"
      "  \"ociVersion\": \"1.0.2\",\n"
      "  \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
      "  \"process\": {\n"
      "    \"terminal\": true,\n"
      "    \"consoleSize\": {\"height\": 24, \"width\": 80},\n"
      "    \"user\": {\"uid\": 1000, \"gid\": 1001, \"umask\": 18, \"additionalGids\": [5, 6]},\n"
      "    \"args\": [\"/bin/sh\", \"-c\", \"true\"],\n"
      "    \"env\": [\"PATH=/bin:/usr/bin\", \"TERM=xterm\", \"EMPTY=\"],\n"
      "    \"cwd\": \"/home\",\n"
      "    \"capabilities\": {\n"
      "      \"bounding\": [\"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
      "      \"effective\": [\"CAP_KILL\"],\n"
      "      \"permitted\": [\"CAP_KILL\"],\n"
      "      \"ambient\": []\n"
      "    },\n"
      "    \"rlimits\": [\n"
      "      {\"type\": \"RLIMIT_NOFILE\", \"soft\": 1024, \"hard\": 4096},\n"
      "      {\"type\": \"RLIMIT_CORE\", \"soft\": 18446744073709551615,"
      " \"hard\": 18446744073709551615}\n"
      "    ],\n"
      "    \"noNewPrivileges\": true,\n"
      "    \"oomScoreAdj\": -500,\n"
      "    \"apparmorProfile\": \"my-profile\",\n"
      "    \"selinuxLabel\": \"system_u:system_r:container_t:s0\"\n"
      "  },\n"
      "  \"hostname\": \"box\",\n"
      "  \"annotations\": {\"org.example.a\": \"1\"},\n"
      "  \"hooks\": {\"poststop\": [{\"path\": \"/bin/true\", \"args\": [\"true\"],"
      " \"timeout\": 5}]}\n"
      "}\n";

static int
write_config (const char *text)
{
  cleanup_error mr_error *err = NULL;
  cleanup_free char *path = mr_xasprintf ("%s/config.json", bundle);

  return mr_write_file (path, text, strlen (text), 0600, &err);
}

/* Loads the bundle; returns the error message (malloc'ed) or NULL. */
static char *
load_error (void)
{
  cleanup_error mr_error *err = NULL;
  struct mr_config *cfg = NULL;

  if (mr_config_load (bundle, NULL, &cfg, &err) == 0)
    {
      mr_config_free (cfg);
      return NULL;
    }
  if (cfg != NULL)
    printf ("#   config left behind on error\n");
  return err ? mr_steal_ptr (err->msg) : strdup ("(no error object)");
}

static void
remove_member (modrun_json *obj, const char *key)
{
  uint32_t i;

  for (i = 0; i < obj->count; i++)
    if (strcmp (obj->keys[i], key) == 0)
      {
        free ((char *) obj->keys[i]);
        mr_json_free (obj->items[i]);
        memmove (&obj->keys[i], &obj->keys[i + 1], (obj->count - i - 1) * sizeof (char *));
        memmove (&obj->items[i], &obj->items[i + 1],
                 (obj->count - i - 1) * sizeof (modrun_json *));
        obj->count--;
        return;
      }
}

/* Writes the good config with member KEY of the object at PARENT set to
 * the JSON text VALUE (removed when VALUE is NULL). */
static void
write_edited (const char *parent, const char *key, const char *value)
{
  cleanup_error mr_error *err = NULL;
  cleanup_json modrun_json *tree = NULL;
  cleanup_json modrun_json *v = NULL;
  cleanup_free char *text = NULL;
  modrun_json *obj;
  size_t len;

  if (mr_json_parse (good_config, strlen (good_config), "good", &tree, &err) < 0)
    abort ();
  obj = (modrun_json *) (*parent ? modrun_json_path (tree, parent) : tree);
  if (obj == NULL)
    abort ();
  if (value == NULL)
    remove_member (obj, key);
  else
    {
      if (mr_json_parse (value, strlen (value), "value", &v, &err) < 0)
        abort ();
      mr_json_add_copy (obj, key, v);
    }
  if (mr_json_serialize (tree, 1, &text, &len, &err) < 0 || write_config (text) < 0)
    abort ();
}

static void
check_edit (const char *parent, const char *key, const char *value, const char *want,
            const char *what)
{
  cleanup_free char *msg = NULL;

  write_edited (parent, key, value);
  msg = load_error ();
  is_str (msg, want, "%s", what);
}

static int
has_cap (const struct mr_process *p, int set, cap_value_t cap)
{
  size_t i;

  for (i = 0; i < p->ncaps[set]; i++)
    if (p->caps[set][i] == cap)
      return 1;
  return 0;
}

static void
test_good (void)
{
  cleanup_error mr_error *err = NULL;
  cleanup_free char *rootfs = mr_xasprintf ("%s/rootfs", bundle);
  struct mr_config *cfg = NULL;
  const struct mr_process *p;

  write_config (good_config);
  ok (mr_config_load (bundle, NULL, &cfg, &err) == 0 && cfg != NULL, "good config loads%s%s",
      err ? ": " : "", err ? err->msg : "");
  if (cfg == NULL)
    return;
  p = &cfg->process;
  is_str (cfg->oci_version, "1.0.2", "ociVersion");
  is_str (cfg->rootfs, rootfs, "relative root.path is resolved against the bundle");
  ok (cfg->root_readonly == 1, "root.readonly");
  ok (p->present && p->terminal, "process.terminal");
  ok (p->has_console_size && p->console_height == 24 && p->console_width == 80,
      "process.consoleSize");
  ok (p->args != NULL && p->args[3] == NULL, "args has three entries");
  is_str (p->args ? p->args[2] : NULL, "true", "args[2]");
  ok (p->env != NULL && p->env[3] == NULL, "env has three entries");
  is_str (p->env ? p->env[2] : NULL, "EMPTY=", "env entry with an empty value");
  is_str (p->cwd, "/home", "cwd");
  ok (p->uid == 1000 && p->gid == 1001, "uid and gid");
  ok (p->has_umask && p->umask == 022, "umask");
  ok (p->n_additional_gids == 2 && p->additional_gids[1] == 6, "additionalGids");
  ok (p->has_caps && p->ncaps[MR_CAP_BOUNDING] == 2
          && has_cap (p, MR_CAP_BOUNDING, CAP_NET_BIND_SERVICE),
      "capabilities.bounding");
  ok (p->ncaps[MR_CAP_EFFECTIVE] == 1 && has_cap (p, MR_CAP_EFFECTIVE, CAP_KILL),
      "capabilities.effective");
  ok (p->ncaps[MR_CAP_INHERITABLE] == 0 && p->caps[MR_CAP_INHERITABLE] == NULL
          && p->ncaps[MR_CAP_AMBIENT] == 0,
      "absent and empty capability sets are empty");
  ok (p->n_rlimits == 2 && p->rlimits[0].resource == RLIMIT_NOFILE
          && p->rlimits[0].soft == 1024 && p->rlimits[0].hard == 4096,
      "rlimit NOFILE");
  ok (p->n_rlimits == 2 && p->rlimits[1].resource == RLIMIT_CORE
          && p->rlimits[1].soft == UINT64_MAX && p->rlimits[1].hard == UINT64_MAX,
      "rlimit of 18446744073709551615 is read exactly");
  ok (p->no_new_privileges, "noNewPrivileges");
  ok (p->has_oom_score_adj && p->oom_score_adj == -500, "oomScoreAdj");
  is_str (p->apparmor_profile, "my-profile", "apparmorProfile");
  is_str (p->selinux_label, "system_u:system_r:container_t:s0", "selinuxLabel");
  ok (cfg->annotations != NULL && modrun_json_get (cfg->annotations, "org.example.a") != NULL,
      "annotations point into the tree");
  ok (cfg->hooks != NULL && modrun_json_get (cfg->hooks, "poststop") != NULL,
      "hooks point into the tree");
  mr_config_free (cfg);
}

static void
test_minimal (void)
{
  cleanup_error mr_error *err = NULL;
  cleanup_error mr_error *err2 = NULL;
  cleanup_free char *rootfs = mr_xasprintf ("%s/rootfs", bundle);
  cleanup_free char *text
      = mr_xasprintf ("{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"%s/./x/../rootfs/\"}}",
                      bundle);
  cleanup_free char *path = mr_xasprintf ("%s/other.json", bundle);
  struct mr_config *cfg = NULL;

  mr_write_file (path, text, strlen (text), 0600, NULL);
  ok (mr_config_load ("/nonexistent", path, &cfg, &err) == 0 && cfg != NULL,
      "config without process, given by path, loads%s%s", err ? ": " : "",
      err ? err->msg : "");
  if (cfg != NULL)
    {
      ok (!cfg->process.present && cfg->process.args == NULL, "process absent");
      is_str (cfg->rootfs, rootfs, "absolute root.path is cleaned");
      ok (cfg->annotations == NULL && cfg->hooks == NULL, "no annotations, no hooks");
      mr_config_free (cfg);
    }
  cfg = NULL;
  mr_write_file (path, "[]", 2, 0600, NULL);
  ok (mr_config_load (bundle, path, &cfg, &err2) < 0 && cfg == NULL && err2 != NULL
          && strstr (err2->msg, "other.json: expected a JSON object, got array") != NULL,
      "a config given by path is named by that path in errors");
  unlink (path);
}

static void
test_wrong_types (void)
{
  check_edit ("process.user", "uid", "\"0\"",
              "config.json: process.user.uid: expected integer, got string", "uid as a string");
  check_edit ("process.user", "gid", "1.5",
              "config.json: process.user.gid: expected integer, got number", "gid as a fraction");
  check_edit ("process.user", "uid", "-1",
              "config.json: process.user.uid: expected an integer from 0 to 4294967294, got -1",
              "negative uid");
  check_edit ("process.user", "uid", "4294967295",
              "config.json: process.user.uid: expected an integer from 0 to 4294967294, got "
              "4294967295",
              "uid -1 in disguise");
  check_edit ("process.user", "additionalGids", "[1, \"2\"]",
              "config.json: process.user.additionalGids[1]: expected integer, got string",
              "additional gid as a string");
  check_edit ("process", "terminal", "\"yes\"",
              "config.json: process.terminal: expected boolean, got string", "terminal string");
  check_edit ("process", "consoleSize", "{\"height\": 10}",
              "config.json: process.consoleSize.width: required, expected an integer",
              "consoleSize without width");
  check_edit ("process", "args", "\"/bin/sh\"",
              "config.json: process.args: expected array, got string", "args as a string");
  check_edit ("process", "args", "[]",
              "config.json: process.args: required, expected a non-empty array of strings",
              "empty args");
  check_edit ("process", "args", NULL,
              "config.json: process.args: required, expected a non-empty array of strings",
              "missing args");
  check_edit ("process", "args", "[\"/bin/sh\", 1]",
              "config.json: process.args[1]: expected string, got integer", "args item integer");
  check_edit ("process", "env", "[\"A=1\", \"NOEQUALS\"]",
              "config.json: process.env[1]: expected KEY=VALUE, got \"NOEQUALS\"",
              "env entry without =");
  check_edit ("process", "env", "[\"A=1\", \"a\\u0000b=c\"]",
              "config.json: process.env[1]: string contains a NUL character", "env with a NUL");
  check_edit ("process", "cwd", "\"home\"",
              "config.json: process.cwd: expected an absolute path, got \"home\"",
              "cwd not absolute");
  check_edit ("process", "cwd", NULL,
              "config.json: process.cwd: required, expected an absolute path", "cwd missing");
  check_edit ("process", "capabilities", "[]",
              "config.json: process.capabilities: expected object, got array",
              "capabilities as an array");
  check_edit ("process.capabilities", "bounding", "[\"CAP_KILL\", \"CAP_FOO\"]",
              "config.json: process.capabilities.bounding: unknown capability \"CAP_FOO\"",
              "unknown capability");
  check_edit ("process.capabilities", "ambient", "[\"cap_kill\"]",
              "config.json: process.capabilities.ambient: unknown capability \"cap_kill\"",
              "lower-case capability name");
  check_edit ("process", "rlimits", "[{\"type\": \"RLIMIT_FOO\", \"soft\": 1, \"hard\": 1}]",
              "config.json: process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\"",
              "unknown rlimit");
  check_edit ("process", "rlimits", "[{\"type\": \"RLIMIT_NOFILE\", \"soft\": \"1\", \"hard\": 1}]",
              "config.json: process.rlimits[0].soft: expected integer, got string",
              "rlimit soft as a string");
  check_edit ("process", "rlimits", "[{\"type\": \"RLIMIT_NOFILE\", \"soft\": -1, \"hard\": 1}]",
              "config.json: process.rlimits[0].soft: expected an integer from 0 to "
              "18446744073709551615, got -1",
              "negative rlimit");
  check_edit ("process", "rlimits", "[{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1}]",
              "config.json: process.rlimits[0].hard: required, expected an integer",
              "rlimit without hard");
  check_edit ("process", "rlimits",
              "[{\"type\": \"RLIMIT_NOFILE\", \"soft\": 9, \"hard\": 8}]",
              "config.json: process.rlimits[0]: soft limit 9 is above hard limit 8 for "
              "RLIMIT_NOFILE",
              "soft above hard");
  check_edit ("process", "rlimits",
              "[{\"type\": \"RLIMIT_CPU\", \"soft\": 1, \"hard\": 1},"
              " {\"type\": \"RLIMIT_CPU\", \"soft\": 2, \"hard\": 2}]",
              "config.json: process.rlimits[1]: type \"RLIMIT_CPU\" appears twice",
              "duplicate rlimit");
  check_edit ("process", "oomScoreAdj", "1001",
              "config.json: process.oomScoreAdj: expected an integer from -1000 to 1000, got 1001",
              "oomScoreAdj out of range");
  check_edit ("process", "noNewPrivileges", "1",
              "config.json: process.noNewPrivileges: expected boolean, got integer",
              "noNewPrivileges as a number");
  check_edit ("process", "scheduler", "{\"policy\": \"SCHED_OTHER\"}",
              "config.json: process.scheduler: not supported by modrun",
              "process.scheduler is refused, not ignored");
  check_edit ("", "process", "[]", "config.json: process: expected object, got array",
              "process as an array");
  check_edit ("", "ociVersion", NULL,
              "config.json: ociVersion: required, expected a string such as \"1.0.2\"",
              "missing ociVersion");
  check_edit ("", "ociVersion", "1", "config.json: ociVersion: expected string, got integer",
              "ociVersion as a number");
  {
    static const char *const bad[]
        = { "1.0",    "1.0.2.3",     "01.0.2", "1.00.2",    "1.0.-2", "v1.0.2",
            "1.0.2-", "1.0.2-rc..1", "1.0.2+", "1.0.2+a_b", "1.0.2 ", "" };
    static const char *const good[]
        = { "1.0.0", "1.2.0", "1.0.2-dev", "1.0.2-rc.1+build.5", "1.10.0+x-y" };
    size_t i;

    for (i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
      {
        cleanup_free char *json = mr_xasprintf ("\"%s\"", bad[i]);
        cleanup_free char *want = mr_xasprintf (
            "config.json: ociVersion: expected a SemVer version such as \"1.0.2\", got \"%s\"",
            bad[i]);
        cleanup_free char *what = mr_xasprintf ("ociVersion \"%s\" is no SemVer", bad[i]);

        check_edit ("", "ociVersion", json, want, what);
      }
    for (i = 0; i < sizeof (good) / sizeof (good[0]); i++)
      {
        cleanup_free char *json = mr_xasprintf ("\"%s\"", good[i]);
        cleanup_free char *what = mr_xasprintf ("ociVersion \"%s\" is accepted", good[i]);

        check_edit ("", "ociVersion", json, NULL, what);
      }
    check_edit ("", "ociVersion", "\"2.0.0\"",
                "config.json: ociVersion: \"2.0.0\" is not supported, expected a version 1.x.y",
                "ociVersion of major 2");
    check_edit ("", "ociVersion", "\"0.5.0\"",
                "config.json: ociVersion: \"0.5.0\" is not supported, expected a version 1.x.y",
                "ociVersion of major 0");
  }
  check_edit ("", "root", NULL,
              "config.json: root: required, expected an object with \"path\"", "missing root");
  check_edit ("root", "readonly", "\"true\"",
              "config.json: root.readonly: expected boolean, got string", "readonly string");
  check_edit ("annotations", "n", "3",
              "config.json: annotations.n: expected string, got integer", "annotation number");
  check_edit ("hooks", "prestart", "[{\"path\": \"true\"}]",
              "config.json: hooks.prestart[0].path: expected an absolute path, got \"true\"",
              "relative hook path");
  check_edit ("hooks", "poststart", "[{\"path\": \"/bin/true\", \"timeout\": 0}]",
              "config.json: hooks.poststart[0].timeout: expected an integer from 1 to "
              "2147483647, got 0",
              "hook timeout 0");
}

static void
test_rootfs (void)
{
  cleanup_free char *missing = mr_xasprintf ("config.json: root.path: rootfs \"%s/nope\" does "
                                             "not exist", bundle);
  cleanup_free char *file = mr_xasprintf ("%s/file", bundle);
  cleanup_free char *notdir = mr_xasprintf ("config.json: root.path: rootfs \"%s\" is not a "
                                            "directory", file);

  check_edit ("root", "path", "\"nope\"", missing, "missing rootfs");
  mr_write_file (file, "", 0, 0600, NULL);
  check_edit ("root", "path", "\"file\"", notdir, "rootfs that is a file");
  unlink (file);
  check_edit ("root", "path", "\"\"",
              "config.json: root.path: required, expected the path of the rootfs",
              "empty root.path");
}

static void
test_malformed (void)
{
  cleanup_free char *msg = NULL;
  cleanup_free char *msg2 = NULL;
  cleanup_free char *path = mr_xasprintf ("%s/config.json", bundle);

  write_config ("{\n  \"ociVersion\": \"1.0.2\",\n  \"root\": {\"path\": rootfs}\n}\n");
  msg = load_error ();
  ok (msg != NULL && strncmp (msg, "config.json: line 3, column ", 28) == 0
          && strchr (msg, '\n') == NULL,
      "malformed config names the line: %s", msg ? msg : "(none)");
  unlink (path);
  msg2 = load_error ();
  ok (msg2 != NULL && strstr (msg2, path) != NULL && strstr (msg2, "No such file") != NULL,
      "missing config.json names the path: %s", msg2 ? msg2 : "(none)");
}

static void
test_names (void)
{
  struct mr_process p;
  cleanup_error mr_error *err = NULL;

  ok (mr_cap_from_name ("CAP_SYS_ADMIN") == CAP_SYS_ADMIN, "CAP_SYS_ADMIN");
  ok (mr_cap_from_name ("CAP_CHOWN") == CAP_CHOWN, "CAP_CHOWN is 0");
  ok (mr_cap_from_name ("cap_sys_admin") == -1, "lower case is refused");
  ok (mr_cap_from_name ("SYS_ADMIN") == -1, "name without CAP_ is refused");
  ok (mr_cap_from_name ("CAP_") == -1 && mr_cap_from_name ("12") == -1,
      "empty name and numbers are refused");
  ok (mr_rlimit_from_name ("RLIMIT_NOFILE") == RLIMIT_NOFILE, "RLIMIT_NOFILE");
  ok (mr_rlimit_from_name ("RLIMIT_RTTIME") == RLIMIT_RTTIME, "RLIMIT_RTTIME");
  ok (mr_rlimit_from_name ("NOFILE") == -1 && mr_rlimit_from_name (NULL) == -1,
      "unknown rlimit names");
  ok (mr_process_parse (NULL, "process", &p, &err) == 0 && !p.present,
      "no process object is not an error");
}

int
main (void)
{
  cleanup_error mr_error *err = NULL;
  cleanup_free char *rootfs = NULL;

  if (mkdtemp (bundle) == NULL)
    {
      printf ("Bail out! mkdtemp: %s\n", strerror (errno));
      return 1;
    }
  rootfs = mr_xasprintf ("%s/rootfs", bundle);
  mkdir (rootfs, 0755);

  test_good ();
  test_minimal ();
  test_wrong_types ();
  test_rootfs ();
  test_malformed ();
  test_names ();

  mr_rm_rf (bundle, &err);
  return tap_done ();
}
