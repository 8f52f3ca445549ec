/* modrun's command line: runc's global options and commands, with their
 * flags accepted as --opt value, --opt=value and the single-dash forms. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <modrun/plugin.h>

#include "lifecycle.h"
#include "log.h"
#include "plugins.h"
#include "runtime.h"
#include "state.h"

#define DEFAULT_ROOT "/run/modrun"

/* Option tables. */

enum opt_id
{
  OPT_HELP = 1,
  OPT_VERSION,
  OPT_ROOT,
  OPT_LOG,
  OPT_LOG_FORMAT,
  OPT_DEBUG,
  OPT_SYSTEMD_CGROUP,
  OPT_PLUGINS,
  OPT_BUNDLE,
  OPT_PID_FILE,
  OPT_CONSOLE_SOCKET,
  OPT_NO_PIVOT,
  OPT_NO_NEW_KEYRING,
  OPT_PRESERVE_FDS,
  OPT_DETACH,
  OPT_KEEP,
  OPT_ALL,
  OPT_FORCE,
  OPT_FORMAT,
  OPT_QUIET,
  OPT_ROOTLESS,
};

struct opt
{
  const char *name;
  char short_name; /* 0 when none */
  bool has_value;
  int id;
};

struct parsed_opt
{
  int id;
  const char *name;  /* as the user spelled it, for messages */
  const char *value; /* NULL for a flag without "=value" */
};

struct args
{
  struct parsed_opt *opts;
  size_t nopts;
  char **pos;
  size_t npos;
};

static void
args_free (struct args *a)
{
  free (a->opts);
  free (a->pos);
  memset (a, 0, sizeof (*a));
}

static const struct opt *
find_opt (const struct opt *table, const char *name, size_t len)
{
  for (; table->name; table++)
    {
      if (strlen (table->name) == len && strncmp (table->name, name, len) == 0)
        return table;
      if (len == 1 && table->short_name == name[0])
        return table;
    }
  return NULL;
}

/* Parses ARGV[*I..ARGC). WHERE names the command in messages. With
 * STOP_AT_ARG the first non-option ends the parse (the global options end
 * at the command); otherwise options and arguments may mix until "--". */
static int
parse_args (const char *where, const struct opt *table, int argc, char **argv, int *i,
            bool stop_at_arg, struct args *out, mr_error **err)
{
  bool options_done = false;
  bool global = strcmp (where, "modrun") == 0;

  memset (out, 0, sizeof (*out));
  out->opts = mr_xzalloc ((size_t)argc * sizeof (*out->opts));
  out->pos = mr_xzalloc ((size_t)(argc + 1) * sizeof (*out->pos));
  for (; *i < argc; (*i)++)
    {
      char *arg = argv[*i];
      const char *name, *eq;
      const struct opt *o;
      struct parsed_opt *p;
      size_t len;

      if (options_done || arg[0] != '-' || arg[1] == '\0')
        {
          if (stop_at_arg)
            return 0;
          out->pos[out->npos++] = arg;
          continue;
        }
      if (strcmp (arg, "--") == 0)
        {
          options_done = true;
          continue;
        }

      name = arg + (arg[1] == '-' ? 2 : 1);
      eq = strchr (name, '=');
      len = eq ? (size_t)(eq - name) : strlen (name);
      o = find_opt (table, name, len);
      if (o == NULL || len == 0)
        return mr_fail (err, 0, "%s%sunknown option `%.*s`; see `modrun%s%s --help`",
                        global ? "" : where, global ? "" : ": ",
                        (int)(eq ? (size_t)(eq - arg) : strlen (arg)), arg, global ? "" : " ",
                        global ? "" : where);

      p = &out->opts[out->nopts++];
      p->id = o->id;
      p->name = o->name;
      p->value = eq ? eq + 1 : NULL;
      if (o->has_value && p->value == NULL)
        {
          if (*i + 1 >= argc)
            return mr_fail (err, 0, "%s: option --%s requires a value", where, o->name);
          p->value = argv[++(*i)];
        }
    }
  return 0;
}

/* A flag given as --flag=VALUE follows VALUE, as Go's flag package does. */
static int
flag_value (const char *where, const struct parsed_opt *p, bool *out, mr_error **err)
{
  if (p->value == NULL || strcmp (p->value, "true") == 0 || strcmp (p->value, "1") == 0
      || strcmp (p->value, "t") == 0 || strcmp (p->value, "TRUE") == 0)
    *out = true;
  else if (strcmp (p->value, "false") == 0 || strcmp (p->value, "0") == 0
           || strcmp (p->value, "f") == 0 || strcmp (p->value, "FALSE") == 0)
    *out = false;
  else
    return mr_fail (err, 0, "%s: --%s: expected true or false, got \"%s\"", where, p->name,
                    p->value);
  return 0;
}

/* Paths. */

/* PATH made absolute against the cwd, with "." and ".." resolved without
 * following symlinks, as runc does for the bundle. */
static int
absolute_path (const char *path, char **out, mr_error **err)
{
  cleanup_free char *cwd = NULL;
  cleanup_free char *joined = NULL;
  char **parts;
  size_t nparts = 0, i, len = 0;
  char *save = NULL, *tok, *res, *o;

  if (path == NULL || *path == '\0')
    path = ".";
  if (path[0] != '/')
    {
      cwd = getcwd (NULL, 0);
      if (cwd == NULL)
        return mr_fail (err, errno, "get the current directory to resolve `%s`", path);
      joined = mr_xasprintf ("%s/%s", cwd, path);
    }
  else
    joined = mr_xstrdup (path);

  parts = mr_xzalloc ((strlen (joined) / 2 + 2) * sizeof (*parts));
  for (tok = strtok_r (joined, "/", &save); tok; tok = strtok_r (NULL, "/", &save))
    {
      if (strcmp (tok, ".") == 0)
        continue;
      if (strcmp (tok, "..") == 0)
        {
          if (nparts > 0)
            nparts--;
          continue;
        }
      parts[nparts++] = tok;
    }
  for (i = 0; i < nparts; i++)
    len += strlen (parts[i]) + 1;
  res = o = mr_xmalloc (len + 2);
  for (i = 0; i < nparts; i++)
    o += sprintf (o, "/%s", parts[i]);
  if (nparts == 0)
    strcpy (res, "/");
  free (parts);
  *out = res;
  return 0;
}

/* Help texts. */

#define PLUGINS_HELP_LINE "  plugins   list the plugins found and which ones would be used\n"

static const char global_usage[]
    = "Usage: modrun [global options] command [command options] [arguments...]\n"
      "\n"
      "modrun runs containers from OCI bundles: a directory with config.json and\n"
      "a root filesystem. It is a drop-in for runc, built from plugins.\n"
      "\n"
      "Commands:\n"
      "  create    create a container, stopped before its process runs\n"
      "  start     run the process of a created container\n"
      "  run       create and start a container\n"
      "  state     print the state of a container as JSON\n"
      "  kill      send a signal (default SIGTERM) to a container's init\n"
      "  delete    delete a stopped container and everything it holds\n"
      "  pause     freeze every process of a container\n"
      "  resume    thaw a paused container\n"
      "  list      list the containers under the root\n"
      "  spec      write a starter config.json\n" PLUGINS_HELP_LINE
      "  help      show the help of a command\n"
      "\n"
      "Global options:\n"
      "  --root DIR            state directory (default: " DEFAULT_ROOT ")\n"
      "  --log FILE            append log records to FILE\n"
      "  --log-format FORMAT   format of the records: text (default) or json\n"
      "  --debug               log debug records too\n"
      "  --systemd-cgroup      let systemd manage the container's cgroup\n"
      "  --plugins LIST        plugins to use, e.g. cgroups=cgroups-v1 (overrides\n"
      "                        MODRUN_PLUGINS and the configuration file)\n"
      "  --help, -h            show this help\n"
      "  --version, -v         print the version\n";

#define CREATE_OPTIONS_HELP                                                                        \
  "  --bundle DIR, -b DIR    bundle directory (default: the current directory)\n"                  \
  "  --pid-file FILE         write the pid of the container's init to FILE\n"                      \
  "  --console-socket PATH   AF_UNIX socket that receives the terminal's master fd\n"              \
  "  --no-pivot              switch root with MS_MOVE and chroot, not pivot_root\n"                \
  "  --no-new-keyring        keep the caller's session keyring\n"                                  \
  "  --preserve-fds N        pass N more fds, from 3 on, to the container\n"

static const char create_usage[]
    = "Usage: modrun create [options] <container-id>\n"
      "\n"
      "Creates the container of a bundle: namespaces, cgroups and mounts are set up\n"
      "and its init waits until `modrun start` runs the process of config.json.\n"
      "\n"
      "Options:\n" CREATE_OPTIONS_HELP;

static const char run_usage[]
    = "Usage: modrun run [options] <container-id>\n"
      "\n"
      "Creates and starts a container. Without --detach modrun waits for it, passes\n"
      "signals on, deletes it when it exits and exits with its status.\n"
      "\n"
      "Options:\n" CREATE_OPTIONS_HELP
      "  --detach, -d            start it and return without waiting\n"
      "  --keep                  do not delete the container after it exits\n";

static const char start_usage[] = "Usage: modrun start <container-id>\n"
                                  "\n"
                                  "Runs the user process of a created container.\n";

static const char pause_usage[] = "Usage: modrun pause <container-id>\n"
                                  "\n"
                                  "Freezes every process of a running container.\n";

static const char resume_usage[] = "Usage: modrun resume <container-id>\n"
                                   "\n"
                                   "Thaws every process of a paused container.\n";

static const char state_usage[] = "Usage: modrun state <container-id>\n"
                                  "\n"
                                  "Prints the state of a container as JSON.\n";

static const char kill_usage[]
    = "Usage: modrun kill [options] <container-id> [signal]\n"
      "\n"
      "Sends a signal to the container's init. SIGNAL is a name, with or without\n"
      "SIG, in any case (KILL, sigterm), or a number; the default is SIGTERM.\n"
      "\n"
      "Options:\n"
      "  --all, -a   signal every process of the container\n";

static const char delete_usage[]
    = "Usage: modrun delete [options] <container-id>\n"
      "\n"
      "Deletes a stopped container: its cgroups, its state and what its plugins hold.\n"
      "\n"
      "Options:\n"
      "  --force, -f   kill the container (SIGKILL) first when it is not stopped\n";

static const char list_usage[] = "Usage: modrun list [options]\n"
                                 "\n"
                                 "Lists the containers under the root given with --root.\n"
                                 "\n"
                                 "Options:\n"
                                 "  --format FORMAT, -f FORMAT   table (default) or json\n"
                                 "  --quiet, -q                  print the container IDs only\n";

static const char spec_usage[]
    = "Usage: modrun spec [options]\n"
      "\n"
      "Writes a starter config.json in the bundle; an existing one is kept.\n"
      "\n"
      "Options:\n"
      "  --bundle DIR, -b DIR   bundle directory (default: the current directory)\n"
      "  --rootless             a configuration for a container of an unprivileged user\n";

static const char plugins_usage[]
    = "Usage: modrun plugins [options]\n"
      "\n"
      "Lists the plugins found in the plugin path, whether each is usable here and\n"
      "whether the current selection would use it.\n"
      "\n"
      "Options:\n"
      "  --format FORMAT   table (default) or json\n";

static const char help_usage[] = "Usage: modrun help [command]\n"
                                 "\n"
                                 "Shows the help of COMMAND, or of modrun.\n";

/* Commands. */

struct command;

typedef int (*command_fn) (struct mr_runtime *rt, const struct command *cmd, const struct args *a,
                           mr_error **err);

struct command
{
  const char *name;
  const char *usage;
  const struct opt *opts;
  size_t min_args;
  size_t max_args;
  command_fn run;
};

static const struct command *find_command (const char *name);

static int
cmd_create_or_run (struct mr_runtime *rt, const struct command *cmd, const struct args *a,
                   mr_error **err)
{
  cleanup_free char *bundle = NULL;
  cleanup_free char *pid_file = NULL;
  struct mr_create_opts opts = { 0 };
  const char *bundle_arg = ".";
  bool run = strcmp (cmd->name, "run") == 0;
  bool detach = false;
  size_t i;
  int ret;

  opts.id = a->pos[0];
  for (i = 0; i < a->nopts; i++)
    {
      const struct parsed_opt *p = &a->opts[i];
      bool on = false;

      switch (p->id)
        {
        case OPT_BUNDLE:
          bundle_arg = p->value;
          break;
        case OPT_PID_FILE:
          free (pid_file);
          pid_file = NULL;
          if (*p->value != '\0' && absolute_path (p->value, &pid_file, err) < 0)
            return -EINVAL;
          break;
        case OPT_CONSOLE_SOCKET:
          opts.console_socket = *p->value ? p->value : NULL;
          break;
        case OPT_PRESERVE_FDS:
          {
            char *end = NULL;
            long n;

            errno = 0;
            n = strtol (p->value, &end, 10);
            if (errno != 0 || end == p->value || *end != '\0' || n < 0 || n > 1000000)
              return mr_fail (err, 0,
                              "%s: --preserve-fds: expected a non-negative integer, got \"%s\"",
                              cmd->name, p->value);
            opts.preserve_fds = (int)n;
            break;
          }
        case OPT_NO_PIVOT:
        case OPT_NO_NEW_KEYRING:
        case OPT_DETACH:
        case OPT_KEEP:
          ret = flag_value (cmd->name, p, &on, err);
          if (ret < 0)
            return ret;
          if (p->id == OPT_NO_PIVOT)
            opts.no_pivot = on;
          else if (p->id == OPT_NO_NEW_KEYRING)
            opts.no_new_keyring = on;
          else if (p->id == OPT_DETACH)
            detach = on;
          else
            opts.keep = on;
          break;
        default:
          break;
        }
    }

  ret = absolute_path (bundle_arg, &bundle, err);
  if (ret < 0)
    return ret;
  opts.bundle = bundle;
  opts.pid_file = pid_file;
  if (run)
    {
      opts.detach = detach;
      opts.foreground = !detach;
    }
  return mr_create (rt, &opts, err);
}

static int
cmd_start (struct mr_runtime *rt, const struct command *cmd, const struct args *a, mr_error **err)
{
  return mr_start (rt, a->pos[0], err);
}

static int
cmd_pause (struct mr_runtime *rt, const struct command *cmd, const struct args *a, mr_error **err)
{
  return mr_pause (rt, a->pos[0], err);
}

static int
cmd_resume (struct mr_runtime *rt, const struct command *cmd, const struct args *a, mr_error **err)
{
  return mr_resume (rt, a->pos[0], err);
}

static int
cmd_state (struct mr_runtime *rt, const struct command *cmd, const struct args *a, mr_error **err)
{
  return mr_state_cmd (rt, a->pos[0], err);
}

static int
cmd_kill (struct mr_runtime *rt, const struct command *cmd, const struct args *a, mr_error **err)
{
  int signo = SIGTERM;
  bool all = false;
  size_t i;
  int ret;

  for (i = 0; i < a->nopts; i++)
    if (a->opts[i].id == OPT_ALL)
      {
        ret = flag_value (cmd->name, &a->opts[i], &all, err);
        if (ret < 0)
          return ret;
      }
  if (a->npos > 1)
    {
      signo = mr_parse_signal (a->pos[1]);
      if (signo < 0)
        return mr_fail (err, 0,
                        "kill: unknown signal \"%s\": expected a name such as TERM or SIGKILL, "
                        "or a number",
                        a->pos[1]);
    }
  return mr_kill (rt, a->pos[0], signo, all, err);
}

static int
cmd_delete (struct mr_runtime *rt, const struct command *cmd, const struct args *a, mr_error **err)
{
  bool force = false;
  size_t i;
  int ret;

  for (i = 0; i < a->nopts; i++)
    if (a->opts[i].id == OPT_FORCE)
      {
        ret = flag_value (cmd->name, &a->opts[i], &force, err);
        if (ret < 0)
          return ret;
      }
  return mr_delete (rt, a->pos[0], force, err);
}

static int
cmd_list (struct mr_runtime *rt, const struct command *cmd, const struct args *a, mr_error **err)
{
  const char *format = "table";
  bool quiet = false;
  size_t i;
  int ret;

  for (i = 0; i < a->nopts; i++)
    {
      if (a->opts[i].id == OPT_FORMAT)
        format = a->opts[i].value;
      else if (a->opts[i].id == OPT_QUIET)
        {
          ret = flag_value (cmd->name, &a->opts[i], &quiet, err);
          if (ret < 0)
            return ret;
        }
    }
  return mr_list (rt, format, quiet, err);
}

static int
cmd_spec (struct mr_runtime *rt, const struct command *cmd, const struct args *a, mr_error **err)
{
  cleanup_free char *bundle = NULL;
  const char *bundle_arg = ".";
  bool rootless = false;
  size_t i;
  int ret;

  for (i = 0; i < a->nopts; i++)
    {
      if (a->opts[i].id == OPT_BUNDLE)
        bundle_arg = a->opts[i].value;
      else if (a->opts[i].id == OPT_ROOTLESS)
        {
          ret = flag_value (cmd->name, &a->opts[i], &rootless, err);
          if (ret < 0)
            return ret;
        }
    }
  ret = absolute_path (bundle_arg, &bundle, err);
  if (ret < 0)
    return ret;
  return mr_spec (bundle, rootless, err);
}

static int
cmd_plugins (struct mr_runtime *rt, const struct command *cmd, const struct args *a, mr_error **err)
{
  const char *format = "table";
  size_t i;

  for (i = 0; i < a->nopts; i++)
    if (a->opts[i].id == OPT_FORMAT)
      format = a->opts[i].value;
  return mr_plugins_cmd (rt->plugins, format, err);
}

static int
cmd_help (struct mr_runtime *rt, const struct command *cmd, const struct args *a, mr_error **err)
{
  const struct command *target;

  if (a->npos == 0)
    {
      fputs (global_usage, stdout);
      return 0;
    }
  target = find_command (a->pos[0]);
  if (target == NULL)
    return mr_fail (err, 0, "help: unknown command `%s`; see `modrun --help`", a->pos[0]);
  fputs (target->usage, stdout);
  return 0;
}

#define HELP_OPT                                                                                   \
  {                                                                                                \
    "help", 'h', false, OPT_HELP                                                                   \
  }
#define END_OPT                                                                                    \
  {                                                                                                \
    NULL, 0, false, 0                                                                              \
  }
#define CREATE_OPTS                                                                                \
  { "bundle", 'b', true, OPT_BUNDLE }, { "pid-file", 0, true, OPT_PID_FILE },                      \
      { "console-socket", 0, true, OPT_CONSOLE_SOCKET }, { "no-pivot", 0, false, OPT_NO_PIVOT },   \
      { "no-new-keyring", 0, false, OPT_NO_NEW_KEYRING },                                          \
  {                                                                                                \
    "preserve-fds", 0, true, OPT_PRESERVE_FDS                                                      \
  }

static const struct opt create_opts[] = { CREATE_OPTS, HELP_OPT, END_OPT };
static const struct opt run_opts[] = { CREATE_OPTS,
                                       { "detach", 'd', false, OPT_DETACH },
                                       { "keep", 0, false, OPT_KEEP },
                                       HELP_OPT,
                                       END_OPT };
static const struct opt help_only_opts[] = { HELP_OPT, END_OPT };
static const struct opt kill_opts[] = { { "all", 'a', false, OPT_ALL }, HELP_OPT, END_OPT };
static const struct opt delete_opts[] = { { "force", 'f', false, OPT_FORCE }, HELP_OPT, END_OPT };
static const struct opt list_opts[] = {
  { "format", 'f', true, OPT_FORMAT }, { "quiet", 'q', false, OPT_QUIET }, HELP_OPT, END_OPT
};
static const struct opt spec_opts[] = {
  { "bundle", 'b', true, OPT_BUNDLE }, { "rootless", 0, false, OPT_ROOTLESS }, HELP_OPT, END_OPT
};
static const struct opt plugins_opts[] = { { "format", 0, true, OPT_FORMAT }, HELP_OPT, END_OPT };

static const struct command commands[] = {
  { "create", create_usage, create_opts, 1, 1, cmd_create_or_run },
  { "start", start_usage, help_only_opts, 1, 1, cmd_start },
  { "run", run_usage, run_opts, 1, 1, cmd_create_or_run },
  { "state", state_usage, help_only_opts, 1, 1, cmd_state },
  { "kill", kill_usage, kill_opts, 1, 2, cmd_kill },
  { "delete", delete_usage, delete_opts, 1, 1, cmd_delete },
  { "pause", pause_usage, help_only_opts, 1, 1, cmd_pause },
  { "resume", resume_usage, help_only_opts, 1, 1, cmd_resume },
  { "list", list_usage, list_opts, 0, 0, cmd_list },
  { "spec", spec_usage, spec_opts, 0, 0, cmd_spec },
  { "plugins", plugins_usage, plugins_opts, 0, 0, cmd_plugins },
  { "help", help_usage, help_only_opts, 0, 1, cmd_help },
  { NULL, NULL, NULL, 0, 0, NULL },
};

static const struct command *
find_command (const char *name)
{
  const struct command *c;

  for (c = commands; c->name; c++)
    if (strcmp (c->name, name) == 0)
      return c;
  if (strcmp (name, "h") == 0)
    return find_command ("help");
  return NULL;
}

static const struct opt global_opts[] = {
  { "root", 0, true, OPT_ROOT },
  { "log", 0, true, OPT_LOG },
  { "log-format", 0, true, OPT_LOG_FORMAT },
  { "debug", 0, false, OPT_DEBUG },
  { "systemd-cgroup", 0, false, OPT_SYSTEMD_CGROUP },
  { "plugins", 0, true, OPT_PLUGINS },
  { "version", 'v', false, OPT_VERSION },
  HELP_OPT,
  END_OPT,
};

static void
print_version (void)
{
  printf ("modrun version %s\n"
          "spec: %s\n"
          "plugin ABI: %d.%d\n",
          PACKAGE_VERSION, MODRUN_SPEC_VERSION, MODRUN_ABI_MAJOR, MODRUN_ABI_MINOR);
}

/* The global options; *SHOW is set for --help and --version, which end the
 * run with status 0. */
static int
apply_global_opts (const struct args *a, struct mr_runtime *rt, char **root, int *show,
                   mr_error **err)
{
  size_t i;
  int ret;

  for (i = 0; i < a->nopts; i++)
    {
      const struct parsed_opt *p = &a->opts[i];
      bool on = false;

      switch (p->id)
        {
        case OPT_HELP:
        case OPT_VERSION:
          if (*show == 0)
            *show = p->id;
          break;
        case OPT_ROOT:
          free (*root);
          *root = NULL;
          ret = absolute_path (p->value, root, err);
          if (ret < 0)
            return ret;
          break;
        case OPT_LOG:
          rt->log_file = *p->value ? p->value : NULL;
          break;
        case OPT_LOG_FORMAT:
          if (strcmp (p->value, "text") == 0)
            rt->log_json = false;
          else if (strcmp (p->value, "json") == 0)
            rt->log_json = true;
          else
            return mr_fail (err, 0, "--log-format: expected \"text\" or \"json\", got \"%s\"",
                            p->value);
          break;
        case OPT_PLUGINS:
          rt->plugins = p->value;
          break;
        case OPT_DEBUG:
        case OPT_SYSTEMD_CGROUP:
          ret = flag_value ("modrun", p, &on, err);
          if (ret < 0)
            return ret;
          if (p->id == OPT_DEBUG)
            rt->debug = on;
          else
            rt->systemd_cgroup = on;
          break;
        default:
          break;
        }
    }
  return 0;
}

static int
run_command (struct mr_runtime *rt, int argc, char **argv, int i, mr_error **err)
{
  const struct command *cmd;
  struct args a;
  size_t k;
  int ret;

  if (i >= argc)
    {
      fputs (global_usage, stdout);
      return 0;
    }
  cmd = find_command (argv[i]);
  if (cmd == NULL)
    return mr_fail (err, 0, "unknown command `%s`; see `modrun --help`", argv[i]);
  i++;

  ret = parse_args (cmd->name, cmd->opts, argc, argv, &i, false, &a, err);
  if (ret < 0)
    goto out;
  for (k = 0; k < a.nopts; k++)
    if (a.opts[k].id == OPT_HELP)
      {
        fputs (cmd->usage, stdout);
        ret = 0;
        goto out;
      }
  if (a.npos < cmd->min_args)
    {
      ret = mr_fail (err, 0, "%s: %s; see `modrun %s --help`", cmd->name,
                     cmd->min_args == 1 && cmd->max_args >= 1 ? "container ID is required"
                                                              : "missing arguments",
                     cmd->name);
      goto out;
    }
  if (a.npos > cmd->max_args)
    {
      ret = mr_fail (err, 0, "%s: unexpected argument `%s`; see `modrun %s --help`", cmd->name,
                     a.pos[cmd->max_args], cmd->name);
      goto out;
    }
  mr_log (MODRUN_LOG_DEBUG, "%s: root %s", cmd->name, rt->root);
  ret = cmd->run (rt, cmd, &a, err);

out:
  args_free (&a);
  return ret;
}

int
main (int argc, char **argv)
{
  cleanup_error mr_error *err = NULL;
  cleanup_free char *root = NULL;
  struct mr_runtime rt = { 0 };
  struct args globals;
  int show = 0;
  int i = 1;
  int ret;

  ret = parse_args ("modrun", global_opts, argc, argv, &i, true, &globals, &err);
  if (ret == 0)
    ret = apply_global_opts (&globals, &rt, &root, &show, &err);
  args_free (&globals);
  if (ret < 0)
    {
      mr_log_fatal (err);
      return 1;
    }
  if (show == OPT_HELP)
    {
      fputs (global_usage, stdout);
      return 0;
    }
  if (show == OPT_VERSION)
    {
      print_version ();
      return 0;
    }
  rt.root = root ? root : DEFAULT_ROOT;

  ret = mr_log_init (rt.log_file, rt.log_json, rt.debug, &err);
  if (ret < 0)
    {
      mr_log_fatal (err);
      return 1;
    }

  ret = run_command (&rt, argc, argv, i, &err);
  if (fflush (stdout) != 0 && ret >= 0)
    ret = mr_fail (&err, errno, "write to stdout");
  if (ret < 0)
    {
      mr_log_fatal (err);
      return 1;
    }
  return ret > 255 ? 255 : ret;
}
