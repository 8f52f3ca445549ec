/* Unit tests of the plugin loader, the selection of plugins, the stages and
 * the services table. The plugins are built here from unit/broken/plugin.c
 * into a temporary directory owned by root. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <modrun/plugin.h>

#include "json.h"
#include "log.h"
#include "plugins.h"
#include "tap.h"

static char dir[] = "/tmp/modrun-test-plugins.XXXXXX";

/* Builds unit/broken/plugin.c as DIR/SUB/NAME.so with the extra -D flags
 * given, NULL-terminated. */
static int
build (const char *sub, const char *name, ...)
{
  char ident[128], name_def[160], ident_def[160], out[512];
  const char *argv[32];
  size_t n = 0, i;
  const char *a;
  va_list ap;
  pid_t pid;
  int status;

  snprintf (ident, sizeof (ident), "%s", name);
  for (i = 0; ident[i]; i++)
    if (ident[i] == '-' || ident[i] == '.')
      ident[i] = '_';
  snprintf (ident_def, sizeof (ident_def), "-DP_IDENT=%s", ident);
  snprintf (name_def, sizeof (name_def), "-DP_NAME=\"%s\"", name);
  snprintf (out, sizeof (out), "%s/%s/%s.so", dir, sub, name);

  {
    static char cc[256];
    char *save = NULL, *w;

    snprintf (cc, sizeof (cc), "%s", TEST_CC);
    for (w = strtok_r (cc, " ", &save); w && n < 8; w = strtok_r (NULL, " ", &save))
      argv[n++] = w;
  }
  argv[n++] = "-shared";
  argv[n++] = "-fPIC";
  argv[n++] = "-I" TEST_PLUGIN_API;
  argv[n++] = ident_def;
  argv[n++] = name_def;
  va_start (ap, name);
  while ((a = va_arg (ap, const char *)) != NULL && n < 28)
    argv[n++] = a;
  va_end (ap);
  argv[n++] = TEST_BROKEN_DIR "/plugin.c";
  argv[n++] = "-o";
  argv[n++] = out;
  argv[n] = NULL;

  pid = fork ();
  if (pid < 0)
    return -1;
  if (pid == 0)
    {
      execvp (argv[0], (char *const *)argv);
      _exit (127);
    }
  if (waitpid (pid, &status, 0) < 0 || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return -1;
  return chmod (out, 0755);
}

static char *
path_of (const char *sub, const char *name)
{
  return mr_xasprintf ("%s/%s/%s.so", dir, sub, name);
}

static int
one_line (const mr_error *err)
{
  return err != NULL && err->msg != NULL && strchr (err->msg, '\n') == NULL;
}

static int
has (const mr_error *err, const char *want)
{
  int found = err != NULL && err->msg != NULL && strstr (err->msg, want) != NULL;

  if (!found)
    printf ("#   error: %s\n#   expected to contain: %s\n", err ? err->msg : "(none)", want);
  return found;
}

/* Whether file PATH is mapped into this process: a plugin refused or
 * unloaded must leave nothing of it loaded. */
static int
mapped (const char *path)
{
  cleanup_free char *maps = NULL;
  cleanup_error mr_error *err = NULL;
  size_t len = strlen (path);
  char *line, *save = NULL;

  if (mr_read_file ("/proc/self/maps", &maps, NULL, &err) < 0)
    return 1;
  for (line = strtok_r (maps, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      size_t n = strlen (line);

      if (n >= len && strcmp (line + n - len, path) == 0)
        return 1;
    }
  return 0;
}

/* Loading by path: each broken plugin is refused with one line naming it,
 * and nothing of it stays loaded. */
static void
expect_refused (const char *sub, const char *name, const char *want, const char *what)
{
  cleanup_free char *path = path_of (sub, name);
  cleanup_error mr_error *err = NULL;
  struct mr_plugin p;
  char quoted[160];
  int ret;

  ret = mr_plugin_load (path, &p, &err);
  snprintf (quoted, sizeof (quoted), "plugin \"%s\"", name);
  ok (ret < 0 && has (err, want) && has (err, quoted) && one_line (err), "%s", what);
  ok (!mapped (path), "%s: nothing of it stays loaded", what);
  if (ret == 0)
    {
      struct mr_plugin_set set = { mr_xmalloc (sizeof (p)), 1 };

      set.items[0] = p;
      mr_plugins_unload (&set);
    }
}

static void
test_refused (void)
{
  char abi[64];
  cleanup_error mr_error *err = NULL;
  struct mr_plugin p;

  expect_refused ("lib", "badmagic", "is not a modrun plugin descriptor (magic 0xdeadbeef)",
                  "wrong magic is refused");
  snprintf (abi, sizeof (abi), "built for plugin ABI %d.%d, this modrun supports %d.%d",
            MODRUN_ABI_MAJOR, MODRUN_ABI_MINOR + 1, MODRUN_ABI_MAJOR, MODRUN_ABI_MINOR);
  expect_refused ("lib", "newminor", abi, "a newer minor is refused");
  snprintf (abi, sizeof (abi), "built for plugin ABI %d.%d, this modrun supports %d.%d",
            MODRUN_ABI_MAJOR + 1, MODRUN_ABI_MINOR, MODRUN_ABI_MAJOR, MODRUN_ABI_MINOR);
  expect_refused ("lib", "othermajor", abi, "another major is refused");
  expect_refused ("lib", "noentry", "no entry symbol modrun_plugin_entry_noentry",
                  "a missing entry symbol is refused");
  expect_refused ("lib", "small", "descriptor size 20 is smaller than",
                  "a too small descriptor is refused");
  expect_refused ("lib", "noconcern", "unknown concern 0",
                  "a descriptor without a concern is refused");
  expect_refused ("lib", "misnamed", "its descriptor is named \"someone\"",
                  "a descriptor named after another plugin is refused");
  expect_refused ("lib", "worldw", "file is writable by others",
                  "a world-writable file is refused");
  expect_refused ("lib", "groupw", "file is writable by its group",
                  "a group-writable file is refused");
  expect_refused ("lib", "notroot", "file is owned by uid 1000, not root",
                  "a file not owned by root is refused");
  expect_refused ("opendir", "good", "is writable by others",
                  "a plugin in a world-writable directory is refused");
  {
    cleanup_free char *gw = mr_xasprintf ("directory %s/groupdir is writable by its group", dir);
    cleanup_free char *nr
        = mr_xasprintf ("directory %s/userdir is owned by uid 1000, not root", dir);

    expect_refused ("groupdir", "good", gw, "a plugin in a group-writable directory is refused");
    expect_refused ("userdir", "good", nr, "a plugin in a directory not owned by root is refused");
  }
  expect_refused ("lib", "notelf", "cannot load: invalid ELF header",
                  "a file that is not a shared object is refused");

  setenv ("MODRUN_PLUGIN_PATH", "/nonexistent-a:/nonexistent-b", 1);
  ok (mr_plugin_load ("nope", &p, &err) < 0
          && has (err, "plugin \"nope\": not found in /nonexistent-a:/nonexistent-b")
          && one_line (err) && err->errnum == ENOENT,
      "a missing plugin names the search path");
  mr_error_free (mr_steal_ptr (err));
  ok (mr_plugin_load ("../x", &p, &err) < 0 && has (err, "x"), "a name with a slash is a path");
  mr_error_free (mr_steal_ptr (err));
  ok (mr_plugin_load ("bad name", &p, &err) < 0 && has (err, "not a valid plugin name"),
      "a name with a blank is refused");
  mr_error_free (mr_steal_ptr (err));
  unsetenv ("MODRUN_PLUGIN_PATH");
}

static void
test_stages (void)
{
  cleanup_error mr_error *err = NULL;
  cleanup_json modrun_json *cfg = NULL;
  cleanup_free char *good = path_of ("lib", "good");
  cleanup_free char *old = path_of ("lib", "oldsize");
  cleanup_free char *vcrash = path_of ("lib", "vcrash");
  cleanup_free char *names = NULL;
  cleanup_free char *list = NULL;
  struct sigaction before, after;
  struct mr_plugin_set set = { NULL, 0 }, again = { NULL, 0 };
  struct mr_container_core core;
  struct modrun_container c;
  const char *json = "{\"linux\": {\"resources\": {\"limit\": 5}}}";
  int ret;

  ok (mr_json_parse (json, strlen (json), "config.json", &cfg, &err) == 0, "config parses");

  list = mr_xasprintf ("%s,%s", old, good);
  ret = mr_plugins_load_list (list, &set, &err);
  ok (ret == 0 && set.n == 2, "good and old-size plugins load");
  ok (mapped (good) && mapped (old), "loaded plugins show in /proc/self/maps");
  if (ret < 0)
    {
      printf ("#   %s\n", err->msg);
      return;
    }
  ok (set.items[0].desc->concern == MODRUN_CONCERN_CGROUPS
          && strcmp (set.items[0].name, "oldsize") == 0,
      "the set is sorted by concern");
  ok (mr_plugins_find (&set, MODRUN_CONCERN_EXTRA) == &set.items[1]
          && mr_plugins_find (&set, MODRUN_CONCERN_LSM) == NULL,
      "find by concern");
  names = mr_plugins_names (&set);
  is_str (names, list, "plugins loaded by path are recorded by path, in concern order");

  mr_container_init (&c, &core);
  c.config = cfg;
  c.id = "ct1";

  ok (mr_plugins_run (&set, &c, MR_STAGE (validate), &err) == 0,
      "validate: an old-size plugin's stages past its size are not read");
  ok (core.err == NULL && core.plugin == NULL, "nothing left in the core after a stage");

  ret = mr_plugins_run (&set, &c, MR_STAGE (prepare), &err);
  ok (ret < 0 && err != NULL, "prepare fails");
  is_str (err ? err->msg : NULL, "good: prepare: linux.resources.limit: 5 is below 100",
          "a recorded error reads PLUGIN: STAGE: message");
  ok (core.err == NULL, "the plugin's error moved out of the core");
  mr_error_free (mr_steal_ptr (err));

  ret = mr_plugins_run (&set, &c, MR_STAGE (parent_after_clone), &err);
  is_str (err ? err->msg : NULL, "good: parent_after_clone: failed: Input/output error",
          "a stage failing without a message gets failed: strerror");
  ok (ret == -EIO && err && err->errnum == EIO, "and its errno");
  mr_error_free (mr_steal_ptr (err));

  ret = mr_plugins_destroy (&set, &c, &err);
  is_str (err ? err->msg : NULL, "good: destroy: release: Device or resource busy",
          "destroy returns the first error");
  ok (ret == -EBUSY && set.items[1].data == (void *)1, "destroy ran with the plugin's slot");
  mr_error_free (mr_steal_ptr (err));

  /* Reload what the state would record. */
  ok (mr_plugins_load_list (names, &again, &err) == 0 && again.n == 2,
      "the recorded list loads again");
  mr_plugins_unload (&again);
  mr_plugins_unload (&set);
  ok (set.n == 0 && set.items == NULL, "unload empties the set");
  ok (!mapped (good) && !mapped (old), "unloaded plugins whose stages failed are not left loaded");
  mr_plugins_unload (&set);

  /* The same file twice: each copy stays usable when the other goes. */
  {
    cleanup_free char *twice = mr_xasprintf ("%s,%s", good, good);
    struct mr_plugin_set one = { NULL, 0 };

    ok (mr_plugins_load_list (twice, &set, &err) == 0 && set.n == 2, "a file loads twice");
    if (set.n == 2)
      {
        one.items = mr_xmalloc (sizeof (*one.items));
        one.items[0] = set.items[0];
        one.n = 1;
        set.items[0] = set.items[1];
        set.n = 1;
        mr_plugins_unload (&one);
        mr_container_init (&c, &core);
        c.config = cfg;
        ret = mr_plugins_run (&set, &c, MR_STAGE (prepare), &err);
        ok (ret < 0 && err && strstr (err->msg, "good: prepare: ") == err->msg,
            "the other copy still runs");
        mr_error_free (mr_steal_ptr (err));
      }
    mr_plugins_unload (&set);
  }

  sigaction (SIGSEGV, NULL, &before);
  ret = mr_plugins_load_list (vcrash, &set, &err);
  ok (ret == 0, "a plugin whose validate crashes loads");
  if (ret == 0)
    {
      mr_container_init (&c, &core);
      ret = mr_plugins_run (&set, &c, MR_STAGE (validate), &err);
      is_str (err ? err->msg : NULL, "plugin \"vcrash\": validate crashed (Segmentation fault)",
              "a crash in validate is an error, not the end of the runtime");
      mr_error_free (mr_steal_ptr (err));
      ret = mr_plugins_run (&set, &c, MR_STAGE (validate), &err);
      ok (ret < 0 && err != NULL, "and again on a second call");
      mr_error_free (mr_steal_ptr (err));
      mr_plugins_unload (&set);
    }
  sigaction (SIGSEGV, NULL, &after);
  ok (before.sa_handler == after.sa_handler, "the previous SIGSEGV handler is back");
}

static int
write_conf (const char *text)
{
  cleanup_free char *path = mr_xasprintf ("%s/modrun.conf", dir);
  cleanup_error mr_error *err = NULL;

  setenv ("MODRUN_CONFIG", path, 1);
  return mr_write_file (path, text, strlen (text), 0644, &err);
}

/* The names mr_plugins_select picks, or the error prefixed by "error: ". */
static char *
pick (const char *selection, const char *config_json)
{
  cleanup_json modrun_json *cfg = NULL;
  cleanup_error mr_error *err = NULL;
  struct mr_plugin_set set;
  char *names;

  if (config_json != NULL
      && mr_json_parse (config_json, strlen (config_json), "config.json", &cfg, &err) < 0)
    return mr_xasprintf ("error: %s", err->msg);
  if (mr_plugins_select (selection, cfg, &set, &err) < 0)
    {
      if (!one_line (err))
        return mr_xstrdup ("error on more than one line");
      return mr_xasprintf ("error: %s", err->msg);
    }
  names = mr_plugins_names (&set);
  mr_plugins_unload (&set);
  return names;
}

#define is_pick(sel, cfgjson, want, ...)                                                           \
  do                                                                                               \
    {                                                                                              \
      cleanup_free char *got_ = pick (sel, cfgjson);                                               \
      is_str (got_, want, __VA_ARGS__);                                                            \
    }                                                                                              \
  while (0)

#define like_pick(sel, cfgjson, want, ...)                                                         \
  do                                                                                               \
    {                                                                                              \
      cleanup_free char *got_ = pick (sel, cfgjson);                                               \
      ok (strncmp (got_, "error: ", 7) == 0 && strstr (got_, want) != NULL, __VA_ARGS__);          \
      if (strstr (got_, want) == NULL)                                                             \
        printf ("#   got: %s\n#   want: %s\n", got_, want);                                        \
    }                                                                                              \
  while (0)

static void
test_selection (void)
{
  cleanup_free char *sel = mr_xasprintf ("%s/sel", dir);
  cleanup_free char *want = NULL;
  const char *seccomp_cfg = "{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\"}}}";
  const char *ann_cfg = "{\"annotations\": {\"run.modrun.plugins\": \"extra2\"}}";

  setenv ("MODRUN_PLUGIN_PATH", sel, 1);
  unsetenv ("MODRUN_PLUGINS");
  write_conf ("# nothing chosen here\n");

  is_pick (NULL, NULL, "namespaces,cgroups-v1,mounts",
           "defaults: the first cgroups backend whose probe passes");
  like_pick ("-cgroups-v1", NULL,
             "no usable cgroups plugin: cgroups-v2: probe: needs a frobnicator on this host",
             "no usable cgroups backend names the failing probe");
  /* The probing order depends on the host's cgroup layout. */
  like_pick ("-cgroups-v1,-cgroups-v2", NULL, "no cgroups plugin: the selection removes cgroups-v",
             "no cgroups backend left says which were removed");
  like_pick ("-cgroups-v1,-cgroups-v2", NULL, "and none of cgroups-libcgroup is in",
             "no cgroups backend left says which are missing");
  is_pick ("cgroups=cgroups-alt", NULL, "namespaces,cgroups-alt,mounts", "concern=name");
  is_pick ("cgroups-alt", NULL, "namespaces,cgroups-alt,mounts", "a bare name takes its concern");
  is_pick ("+extra1,+extra2", NULL, "namespaces,cgroups-v1,mounts,extra1,extra2",
           "+name adds, extras keep their order");
  is_pick ("extra=extra2,extra1", NULL, "namespaces,cgroups-v1,mounts,extra2,extra1",
           "several extras");
  is_pick ("-mounts", NULL, "namespaces,cgroups-v1", "-name removes a default");
  like_pick ("cgroups=cgroups-v1,cgroups=cgroups-alt", NULL,
             "--plugins: both \"cgroups-v1\" and \"cgroups-alt\" are chosen for concern cgroups",
             "one plugin per concern");
  like_pick ("cgroups=extra1", NULL, "plugin \"extra1\"", "a plugin for the wrong concern");
  like_pick ("cgroups=extra1", NULL, "serves concern extra, not cgroups",
             "names the concern it serves");
  like_pick ("bogus=extra1", NULL, "--plugins: unknown concern \"bogus\"", "unknown concern");
  like_pick ("+missing", NULL, "plugin \"missing\": not found in", "a missing plugin");
  like_pick ("extra=probefail", NULL, "probefail: probe: needs a frobnicator on this host",
             "a failing probe names the plugin");
  like_pick ("extra=crashy", NULL, "plugin \"crashy\": probe crashed (Segmentation fault)",
             "a crashing probe is an error");
  {
    cleanup_free char *crashy = path_of ("sel", "crashy");
    cleanup_free char *probefail = path_of ("sel", "probefail");

    ok (!mapped (crashy) && !mapped (probefail),
        "plugins whose probe crashed or failed are not left loaded");
  }
  is_pick ("seccomp=seccomp-x", NULL, "namespaces,cgroups-v1,mounts,seccomp-x",
           "a seccomp plugin without a config");
  is_pick ("seccomp=seccomp-x", "{}", "namespaces,cgroups-v1,mounts",
           "no seccomp plugin for a config without linux.seccomp");
  is_pick ("seccomp=seccomp-x", seccomp_cfg, "namespaces,cgroups-v1,mounts,seccomp-x",
           "the seccomp plugin for a config with linux.seccomp");
  want = mr_xasprintf ("namespaces,%s/sel/cgroups-alt.so,mounts", dir);
  {
    cleanup_free char *by_path = mr_xasprintf ("cgroups=%s/sel/cgroups-alt.so", dir);

    is_pick (by_path, NULL, want, "a plugin chosen by path is recorded by path");
  }

  /* Precedence: --plugins > MODRUN_PLUGINS > modrun.conf > defaults. */
  write_conf ("plugins = cgroups=cgroups-alt\n");
  is_pick (NULL, NULL, "namespaces,cgroups-alt,mounts", "the configuration file chooses");
  setenv ("MODRUN_PLUGINS", "+extra1", 1);
  is_pick (NULL, NULL, "namespaces,cgroups-v1,mounts,extra1",
           "MODRUN_PLUGINS wins over the configuration file");
  is_pick ("+extra2", NULL, "namespaces,cgroups-v1,mounts,extra2", "--plugins wins over both");
  unsetenv ("MODRUN_PLUGINS");

  /* Annotations only with the operator's allow-list. */
  write_conf ("plugins = \n");
  like_pick (NULL, ann_cfg, "annotation run.modrun.plugins: plugin \"extra2\" is not allowed",
             "an annotation without an allow-list is refused");
  write_conf ("annotation_plugins = extra1 # extra2 is not for annotations\n");
  like_pick (NULL, ann_cfg, "is not allowed", "a comment after a value is not part of it");
  write_conf ("annotation_plugins = extra22,xextra2\n");
  like_pick (NULL, ann_cfg, "is not allowed", "the allow-list is matched word by word");
  write_conf ("# allow-list\nannotation_plugins = extra1, extra2\n");
  is_pick (NULL, ann_cfg, "namespaces,cgroups-v1,mounts,extra2",
           "an allowed annotation adds its plugin");
  like_pick (NULL, "{\"annotations\": {\"run.modrun.plugins\": \"-mounts\"}}",
             "an annotation may not remove plugins", "an annotation cannot remove plugins");
  like_pick (NULL, "{\"annotations\": {\"run.modrun.plugins\": 3}}",
             "annotations.run.modrun.plugins: expected string, got integer",
             "an annotation that is not a string");

  /* The configuration file itself. */
  write_conf ("plugins = +extra1\ncolour = blue\n");
  like_pick (NULL, NULL, "modrun.conf:2: unknown key \"colour\"", "unknown key in the conf file");
  write_conf ("just words\n");
  like_pick (NULL, NULL, "modrun.conf:1: expected `key = value`", "a line without =");
  {
    cleanup_free char *conf = mr_xasprintf ("plugin_path = %s\n", sel);

    unsetenv ("MODRUN_PLUGIN_PATH");
    write_conf (conf);
    is_pick (NULL, NULL, "namespaces,cgroups-v1,mounts", "plugin_path of the conf file");
    setenv ("MODRUN_PLUGIN_PATH", "/nonexistent", 1);
    like_pick (NULL, NULL, "plugin \"namespaces\": not found in /nonexistent",
               "MODRUN_PLUGIN_PATH wins over plugin_path");
    setenv ("MODRUN_PLUGIN_PATH", sel, 1);
  }
  setenv ("MODRUN_CONFIG", "/nonexistent/modrun.conf", 1);
  like_pick (NULL, NULL, "/nonexistent/modrun.conf", "a missing MODRUN_CONFIG is an error");
  unsetenv ("MODRUN_CONFIG");
}

static void
test_services (void)
{
  const struct modrun_services *svc = mr_services ();
  cleanup_json modrun_json *cfg = NULL;
  cleanup_error mr_error *err = NULL;
  struct mr_container_core core;
  struct modrun_container c;
  const modrun_json *mem;
  const char *s = NULL;
  int64_t limit = 0;
  int b = 0;
  char buf[64];
  const char *json = "{\"hostname\": \"box\", \"process\": {\"terminal\": true},"
                     " \"linux\": {\"resources\": {\"memory\": {\"limit\": \"1G\", \"swap\": null,"
                     " \"reservation\": 1000, \"big\": 18446744073709551615}}}}";

  ok (svc->size == sizeof (*svc) && svc->abi_major == MODRUN_ABI_MAJOR, "services head");
  if (mr_json_parse (json, strlen (json), "config.json", &cfg, &err) < 0)
    {
      ok (0, "config parses: %s", err->msg);
      return;
    }
  mr_container_init (&c, &core);
  ok (c.svc == svc && c.core == &core && c.size == sizeof (c), "container init");
  c.config = cfg;
  mem = modrun_json_path (cfg, "linux.resources.memory");

  ok (svc->get_string (&c, cfg, "", "hostname", &s) == 1 && strcmp (s, "box") == 0,
      "get_string at the root");
  ok (svc->get_bool (&c, modrun_json_get (cfg, "process"), "process", "terminal", &b) == 1
          && b == 1,
      "get_bool");
  ok (svc->get_int (&c, mem, "linux.resources.memory", "reservation", &limit) == 1 && limit == 1000,
      "get_int");
  ok (svc->get_int (&c, mem, "linux.resources.memory", "swap", &limit) == 0 && limit == 1000,
      "null reads as absent");
  ok (svc->get_int (&c, mem, "linux.resources.memory", "kernel", &limit) == 0, "absent");
  ok (core.err == NULL, "no error recorded for absent members");
  ok (svc->get_int (&c, mem, "linux.resources.memory", "limit", &limit) < 0, "wrong type fails");
  is_str (core.err ? core.err->msg : NULL,
          "config.json: linux.resources.memory.limit: expected integer, got string",
          "the message names the field and both types");
  mr_error_free (mr_steal_ptr (core.err));
  ok (svc->get_int (&c, mem, "linux.resources.memory", "big", &limit) < 0, "beyond int64");
  is_str (core.err ? core.err->msg : NULL,
          "config.json: linux.resources.memory.big: integer 18446744073709551615 does not fit "
          "in 64 bits",
          "a value beyond int64_t says so");
  mr_error_free (mr_steal_ptr (core.err));
  ok (svc->get_object (&c, cfg, "", "hostname", &mem) < 0
          && strcmp (core.err->msg, "config.json: hostname: expected object, got string") == 0,
      "get_object at the root names the member alone");
  mr_error_free (mr_steal_ptr (core.err));
  ok (svc->get_array (&c, cfg, "", "linux", &mem) < 0
          && strcmp (core.err->msg, "config.json: linux: expected array, got object") == 0,
      "get_array");
  mr_error_free (mr_steal_ptr (core.err));

  ok (svc->error (&c, ENOENT, "open %s", "/x") == -ENOENT
          && strcmp (core.err->msg, "open /x: No such file or directory") == 0,
      "error records with strerror");
  ok (svc->error (&c, 0, "second") == -EINVAL
          && strcmp (core.err->msg, "open /x: No such file "
                                    "or directory")
                 == 0,
      "the first error of a stage is kept");
  mr_error_free (mr_steal_ptr (core.err));

  ok (svc->state_path (&c, "x.json", buf, sizeof (buf)) == -ENOENT, "no state dir yet");
  c.state_dir = "/run/modrun/ct";
  ok (svc->state_path (&c, "x.json", buf, sizeof (buf)) == 0
          && strcmp (buf, "/run/modrun/ct/x.json") == 0,
      "state_path");
  ok (svc->state_path (&c, "../x", buf, sizeof (buf)) < 0, "state_path stays in the directory");
  ok (svc->state_path (&c, "x.json", buf, 8) < 0, "state_path that does not fit");
  svc->log (&c, MODRUN_LOG_DEBUG, "debug line %d", 1);

  {
    cleanup_json modrun_json *out = mr_json_new (MODRUN_JSON_OBJECT);
    cleanup_free char *text = NULL;
    modrun_json *arr = svc->json_add (out, "list", MODRUN_JSON_ARRAY);

    ok (arr != NULL && svc->json_add_string (arr, NULL, "a") == 0
            && svc->json_add_int (out, "n", 3) == 0 && svc->json_add_bool (out, "b", 1) == 0
            && mr_json_serialize (out, 0, &text, NULL, &err) == 0
            && strcmp (text, "{\"list\":[\"a\"],\"n\":3,\"b\":true}") == 0,
        "json builders");
  }
}

static void
test_cmd (void)
{
  cleanup_free char *sel = mr_xasprintf ("%s/sel", dir);
  cleanup_free char *out = mr_xasprintf ("%s/cmd.out", dir);
  cleanup_free char *text = NULL;
  cleanup_error mr_error *err = NULL;
  cleanup_json modrun_json *rows = NULL;
  int saved, fd, ret;

  setenv ("MODRUN_PLUGIN_PATH", sel, 1);
  write_conf ("\n");
  ok (mr_plugins_cmd (NULL, "yaml", &err) < 0 && has (err, "unknown format \"yaml\""),
      "plugins: unknown format");
  mr_error_free (mr_steal_ptr (err));

  fflush (stdout);
  saved = dup (1);
  fd = open (out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  dup2 (fd, 1);
  close (fd);
  ret = mr_plugins_cmd ("+extra1", "json", &err);
  fflush (stdout);
  dup2 (saved, 1);
  close (saved);
  ok (ret == 0, "plugins --format json");
  if (ret < 0 || mr_read_file (out, &text, NULL, &err) < 0
      || mr_json_parse (text, strlen (text), "plugins", &rows, &err) < 0)
    {
      ok (0, "its output is JSON");
      return;
    }
  ok (rows->type == MODRUN_JSON_ARRAY && rows->count >= 8, "an array of every file");
  if (getenv ("TEST_VERBOSE") != NULL)
    printf ("%s", text);
  {
    uint32_t i;
    int v1 = 0, v2 = 0, extra1 = 0, extra2 = 0;

    for (i = 0; i < rows->count; i++)
      {
        const modrun_json *r = rows->items[i];
        const char *name = modrun_json_get (r, "name")->string;
        int used = modrun_json_get (r, "used")->boolean;
        int usable = modrun_json_get (r, "usable")->boolean;

        if (strcmp (name, "cgroups-v1") == 0)
          v1 = used && usable && strcmp (modrun_json_get (r, "concern")->string, "cgroups") == 0
               && strcmp (modrun_json_get (r, "abi")->string, "1.1") == 0;
        else if (strcmp (name, "cgroups-v2") == 0)
          v2 = !used && !usable && strstr (modrun_json_get (r, "probe")->string, "frobnicator");
        else if (strcmp (name, "extra1") == 0)
          extra1 = used && strcmp (modrun_json_get (r, "version")->string, "1.2.3") == 0;
        else if (strcmp (name, "extra2") == 0)
          extra2 = !used && usable;
      }
    ok (v1, "cgroups-v1: used, usable, its concern and ABI");
    ok (v2, "cgroups-v2: its probe's failure");
    ok (extra1 && extra2, "the selection's extras are marked used");
  }
}

static int
setup (void)
{
  char sub[256];
  static const char *const subs[] = { "lib", "sel", "opendir", "groupdir", "userdir" };
  size_t i;

  if (mkdtemp (dir) == NULL || chmod (dir, 0755) < 0)
    return -1;
  for (i = 0; i < sizeof (subs) / sizeof (subs[0]); i++)
    {
      snprintf (sub, sizeof (sub), "%s/%s", dir, subs[i]);
      if (mkdir (sub, 0755) < 0)
        return -1;
    }
  snprintf (sub, sizeof (sub), "%s/opendir", dir);
  if (build ("lib", "good", NULL) < 0 || build ("opendir", "good", NULL) < 0
      || chmod (sub, 0777) < 0)
    return -1;
  snprintf (sub, sizeof (sub), "%s/groupdir", dir);
  if (build ("groupdir", "good", NULL) < 0 || chmod (sub, 0775) < 0)
    return -1;
  snprintf (sub, sizeof (sub), "%s/userdir", dir);
  if (build ("userdir", "good", NULL) < 0 || chown (sub, 1000, 1000) < 0)
    return -1;
  if (build ("lib", "badmagic", "-DP_MAGIC=0xdeadbeef", NULL) < 0
      || build ("lib", "newminor", "-DP_MINOR=MODRUN_ABI_MINOR+1", NULL) < 0
      || build ("lib", "othermajor", "-DP_MAJOR=MODRUN_ABI_MAJOR+1", NULL) < 0
      || build ("lib", "noentry", "-DP_NO_ENTRY", NULL) < 0
      || build ("lib", "small", "-DP_SIZE=20", NULL) < 0
      || build ("lib", "noconcern", "-DP_CONCERN=0", NULL) < 0
      || build ("lib", "misnamed", "-DP_IDENT=misnamed", "-UP_NAME", "-DP_NAME=\"someone\"", NULL)
             < 0
      || build ("lib", "worldw", NULL) < 0 || build ("lib", "groupw", NULL) < 0
      || build ("lib", "notroot", NULL) < 0
      || build ("lib", "oldsize", "-DP_OLD_SIZE", "-DP_CONCERN=MODRUN_CONCERN_CGROUPS", NULL) < 0
      || build ("lib", "vcrash", "-DP_VALIDATE_CRASH", NULL) < 0)
    return -1;
  snprintf (sub, sizeof (sub), "%s/lib/worldw.so", dir);
  if (chmod (sub, 0757) < 0)
    return -1;
  snprintf (sub, sizeof (sub), "%s/lib/groupw.so", dir);
  if (chmod (sub, 0775) < 0)
    return -1;
  snprintf (sub, sizeof (sub), "%s/lib/notroot.so", dir);
  if (chown (sub, 1000, 1000) < 0)
    return -1;
  snprintf (sub, sizeof (sub), "%s/lib/notelf.so", dir);
  {
    cleanup_error mr_error *err = NULL;
    char junk[256];

    memset (junk, '#', sizeof (junk));
    if (mr_write_file (sub, junk, sizeof (junk), 0755, &err) < 0)
      return -1;
  }

  if (build ("sel", "namespaces", "-DP_CONCERN=MODRUN_CONCERN_NAMESPACES", NULL) < 0
      || build ("sel", "mounts", "-DP_CONCERN=MODRUN_CONCERN_MOUNTS", NULL) < 0
      || build ("sel", "cgroups-v1", "-DP_CONCERN=MODRUN_CONCERN_CGROUPS", NULL) < 0
      || build ("sel", "cgroups-v2", "-DP_CONCERN=MODRUN_CONCERN_CGROUPS", "-DP_PROBE_FAIL", NULL)
             < 0
      || build ("sel", "cgroups-alt", "-DP_CONCERN=MODRUN_CONCERN_CGROUPS", NULL) < 0
      || build ("sel", "seccomp-x", "-DP_CONCERN=MODRUN_CONCERN_SECCOMP", NULL) < 0
      || build ("sel", "extra1", NULL) < 0 || build ("sel", "extra2", NULL) < 0
      || build ("sel", "probefail", "-DP_PROBE_FAIL", NULL) < 0
      || build ("sel", "crashy", "-DP_PROBE_CRASH", NULL) < 0)
    return -1;
  return 0;
}

int
main (void)
{
  cleanup_error mr_error *err = NULL;
  int ret;

  if (geteuid () != 0)
    {
      printf ("1..0 # SKIP plugins load only from root's files; run as root\n");
      return 0;
    }
  mr_log_init (NULL, 0, 0, &err);
  ret = setup ();
  ok (ret == 0, "test plugins built in %s", dir);
  if (ret == 0)
    {
      test_refused ();
      test_stages ();
      test_selection ();
      test_services ();
      test_cmd ();
    }
  mr_rm_rf (dir, &err);
  return tap_done ();
}
