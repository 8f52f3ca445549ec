/* modrun's command line: runc's global options and commands, with their
 * flags accepted as --opt value, --opt=value and the single-dash forms. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef MODRUN_BUILTIN_PLUGINS
#include <ltdl.h>
#endif

#include <modrun/plugin.h>

#include "json.h"
#include "lifecycle.h"
#include "log.h"
#include "plugins.h"
#include "runtime.h"
#include "state.h"
#include "trace.h"

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
  OPT_RESOURCES,
  OPT_MEMORY,
  OPT_MEMORY_SWAP,
  OPT_MEMORY_RESERVATION,
  OPT_KERNEL_MEMORY,
  OPT_KERNEL_MEMORY_TCP,
  OPT_CPU_SHARES,
  OPT_CPU_QUOTA,
  OPT_CPU_PERIOD,
  OPT_CPU_RT_PERIOD,
  OPT_CPU_RT_RUNTIME,
  OPT_CPUSET_CPUS,
  OPT_CPUSET_MEMS,
  OPT_PIDS_LIMIT,
  OPT_BLKIO_WEIGHT,
  OPT_L3_CACHE_SCHEMA,
  OPT_MEM_BW_SCHEMA,
  OPT_STATS,
  OPT_INTERVAL,
  OPT_PIDFD_SOCKET,
  OPT_PROCESS,
  OPT_TTY,
  OPT_ENV,
  OPT_CWD,
  OPT_USER,
  OPT_ADDITIONAL_GIDS,
  OPT_CAP,
  OPT_NO_NEW_PRIVS,
  OPT_APPARMOR,
  OPT_PROCESS_LABEL,
  OPT_IGNORE_PAUSED,
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
      "  exec      run a new process in a running container\n"
      "  run       create and start a container\n"
      "  state     print the state of a container as JSON\n"
      "  kill      send a signal (default SIGTERM) to a container's init\n"
      "  delete    delete a stopped container and everything it holds\n"
      "  pause     freeze every process of a container\n"
      "  resume    thaw a paused container\n"
      "  list      list the containers under the root\n"
      "  ps        list the processes of a container\n"
      "  update    change the resource limits of a container\n"
      "  events    print a container's resource usage, now or at intervals\n"
      "  features  print the features of this runtime and its plugins as JSON\n"
      "  spec      write a starter config.json\n" PLUGINS_HELP_LINE
      "  help      show the help of a command\n"
      "\n"
      "Global options:\n"
      "  --root DIR            state directory (default: " DEFAULT_ROOT ")\n"
      "  --log FILE            append log records to FILE\n"
      "  --log-format FORMAT   format of the records: text (default) or json\n"
      "  --debug               log debug records too, and end with the table of the\n"
      "                        time each plugin spent in each stage (as MODRUN_TRACE=1)\n"
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
  "  --preserve-fds N        pass N more fds, from 3 on, to the container\n"                       \
  "  --pidfd-socket PATH     AF_UNIX socket that receives a pidfd of the container's init\n"

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

static const char exec_usage[]
    = "Usage: modrun exec [options] <container-id> <command> [args...]\n"
      "       modrun exec [options] --process process.json <container-id>\n"
      "\n"
      "Runs a new process in a created or running container: it joins the namespaces\n"
      "and cgroups of the container's init, its root, seccomp filter, LSM label,\n"
      "rlimits and capabilities. Without --process it is config.json's process with\n"
      "COMMAND as its arguments, changed by the options below; with --process it is\n"
      "that file's (config.json's capabilities, rlimits and LSM labels stand in for\n"
      "the ones it leaves out). modrun waits for it, passes signals on and exits\n"
      "with its status, unless --detach.\n"
      "\n"
      "Options:\n"
      "  --process FILE, -p FILE      the process, as config.json's \"process\" object\n"
      "  --tty, -t                    give the process a terminal\n"
      "  --console-socket PATH        AF_UNIX socket that receives the terminal's master fd\n"
      "  --detach, -d                 return once the process has started\n"
      "  --pid-file FILE              write the pid of the process to FILE\n"
      "  --pidfd-socket PATH          AF_UNIX socket that receives a pidfd of the process\n"
      "  --env NAME=VALUE, -e ...     set an environment variable (repeatable)\n"
      "  --cwd DIR                    working directory in the container\n"
      "  --user UID[:GID], -u ...     user and group ids\n"
      "  --additional-gids GID, -g GID  add a supplementary group (repeatable)\n"
      "  --cap CAP, -c CAP            add a capability to the bounding, effective and\n"
      "                               permitted sets (repeatable)\n"
      "  --no-new-privs               set no_new_privs for the process\n"
      "  --apparmor PROFILE           AppArmor profile of the process\n"
      "  --process-label LABEL        SELinux label of the process\n"
      "  --preserve-fds N             pass N more fds, from 3 on, to the process\n"
      "  --ignore-paused              exec in a paused container too\n";

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

static const char ps_usage[]
    = "Usage: modrun ps [options] <container-id> [ps options]\n"
      "\n"
      "Lists the processes of a container: every process in its cgroup. The table\n"
      "is the output of the host's ps (with PS OPTIONS, or -ef), header and the lines\n"
      "of the container's processes; a \"--\" may come before PS OPTIONS.\n"
      "\n"
      "Options:\n"
      "  --format FORMAT, -f FORMAT   table (default) or json, a list of pids\n";

static const char update_usage[]
    = "Usage: modrun update [options] <container-id>\n"
      "\n"
      "Changes the resource limits of a container through its cgroups plugin, and\n"
      "records them in its state. Memory sizes take a k, m, g, t or p suffix\n"
      "(1024-based).\n"
      "\n"
      "Options:\n"
      "  --resources FILE, -r FILE   the limits as JSON in the shape of linux.resources,\n"
      "                              from FILE or, with -, from stdin; only the members\n"
      "                              given change, and the options below are ignored:\n"
      "\n"
      "    {\n"
      "      \"memory\": { \"limit\": 0, \"reservation\": 0, \"swap\": 0,\n"
      "                  \"kernel\": 0, \"kernelTCP\": 0 },\n"
      "      \"cpu\": { \"shares\": 0, \"quota\": 0, \"period\": 0, \"realtimeRuntime\": 0,\n"
      "               \"realtimePeriod\": 0, \"cpus\": \"\", \"mems\": \"\" },\n"
      "      \"pids\": { \"limit\": 0 },\n"
      "      \"blockIO\": { \"weight\": 0 }\n"
      "    }\n"
      "\n"
      "                              and the other members of linux.resources too\n"
      "                              (devices, hugepageLimits, network, rdma, unified)\n"
      "                              where the container's cgroups backend has them.\n"
      "\n"
      "  --memory SIZE               memory limit\n"
      "  --memory-swap SIZE          memory plus swap limit; -1 for unlimited swap\n"
      "  --memory-reservation SIZE   memory soft limit\n"
      "  --kernel-memory SIZE        kernel memory limit\n"
      "  --kernel-memory-tcp SIZE    kernel TCP buffer memory limit\n"
      "  --cpu-shares N              CPU shares (relative weight)\n"
      "  --cpu-quota N               CFS quota in microseconds per period; -1 for none\n"
      "  --cpu-period N              CFS period in microseconds\n"
      "  --cpu-rt-period N           realtime period in microseconds\n"
      "  --cpu-rt-runtime N          realtime runtime in microseconds per period\n"
      "  --cpuset-cpus LIST          CPUs to run on (0-3,5)\n"
      "  --cpuset-mems LIST          memory nodes to allocate from\n"
      "  --pids-limit N              maximum number of processes; -1 for none\n"
      "  --blkio-weight N            block I/O weight, 10 to 1000\n";

static const char events_usage[]
    = "Usage: modrun events [options] <container-id>\n"
      "\n"
      "Prints the resource usage of a container as JSON lines,\n"
      "{\"type\":\"stats\",\"id\":ID,\"data\":{...}}, once every interval until it stops,\n"
      "and {\"type\":\"oom\",\"id\":ID} when its cgroups plugin reports an OOM kill.\n"
      "\n"
      "Options:\n"
      "  --stats             print the usage once and exit\n"
      "  --interval DURATION time between two reports, as 5s, 500ms or 1m30s\n"
      "                      (default: 5s)\n";

static const char features_usage[]
    = "Usage: modrun features\n"
      "\n"
      "Prints the OCI features document: the spec versions, hooks, mount options,\n"
      "namespaces, capabilities and cgroup, seccomp and LSM support of this runtime\n"
      "with the plugins it would use. The annotation run.modrun.plugins names them.\n";

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
  bool args_end_options; /* options stop at the first argument, as for ps */
};

static const struct command *find_command (const char *name);

static int
parse_preserve_fds (const char *where, const char *value, int *out, mr_error **err)
{
  char *end = NULL;
  long n;

  errno = 0;
  n = strtol (value, &end, 10);
  if (errno != 0 || end == value || *end != '\0' || n < 0 || n > 1000000)
    return mr_fail (err, 0, "%s: --preserve-fds: expected a non-negative integer, got \"%s\"",
                    where, value);
  *out = (int)n;
  return 0;
}

/* The values of the repeatable option ID, in order; the caller frees the
 * vector, not the strings. */
static char **
opt_values (const struct args *a, int id, size_t *n)
{
  char **v = mr_xzalloc ((a->nopts + 1) * sizeof (char *));
  size_t i;

  *n = 0;
  for (i = 0; i < a->nopts; i++)
    if (a->opts[i].id == id)
      v[(*n)++] = (char *)a->opts[i].value;
  return v;
}

static int
cmd_exec (struct mr_runtime *rt, const struct command *cmd, const struct args *a, mr_error **err)
{
  cleanup_free char *pid_file = NULL;
  cleanup_free char **env = NULL, **gids = NULL, **caps = NULL;
  struct mr_exec_opts opts = { .tty = -1, .no_new_privs = -1 };
  size_t i;
  int ret;

  opts.id = a->pos[0];
  opts.args = a->pos + 1;
  opts.nargs = a->npos - 1;
  env = opt_values (a, OPT_ENV, &opts.nenv);
  gids = opt_values (a, OPT_ADDITIONAL_GIDS, &opts.n_additional_gids);
  caps = opt_values (a, OPT_CAP, &opts.ncaps);
  opts.env = env;
  opts.additional_gids = gids;
  opts.caps = caps;
  for (i = 0; i < a->nopts; i++)
    {
      const struct parsed_opt *p = &a->opts[i];
      bool on = false;

      switch (p->id)
        {
        case OPT_PROCESS:
          opts.process_file = p->value;
          break;
        case OPT_CONSOLE_SOCKET:
          opts.console_socket = *p->value ? p->value : NULL;
          break;
        case OPT_PIDFD_SOCKET:
          opts.pidfd_socket = *p->value ? p->value : NULL;
          break;
        case OPT_PID_FILE:
          free (pid_file);
          pid_file = NULL;
          if (*p->value != '\0' && absolute_path (p->value, &pid_file, err) < 0)
            return -EINVAL;
          break;
        case OPT_CWD:
          opts.cwd = p->value;
          break;
        case OPT_USER:
          opts.user = *p->value ? p->value : NULL;
          break;
        case OPT_APPARMOR:
          opts.apparmor = *p->value ? p->value : NULL;
          break;
        case OPT_PROCESS_LABEL:
          opts.process_label = *p->value ? p->value : NULL;
          break;
        case OPT_PRESERVE_FDS:
          ret = parse_preserve_fds (cmd->name, p->value, &opts.preserve_fds, err);
          if (ret < 0)
            return ret;
          break;
        case OPT_TTY:
        case OPT_DETACH:
        case OPT_NO_NEW_PRIVS:
        case OPT_IGNORE_PAUSED:
          ret = flag_value (cmd->name, p, &on, err);
          if (ret < 0)
            return ret;
          if (p->id == OPT_TTY)
            opts.tty = on;
          else if (p->id == OPT_DETACH)
            opts.detach = on;
          else if (p->id == OPT_NO_NEW_PRIVS)
            opts.no_new_privs = on;
          else
            opts.ignore_paused = on;
          break;
        default:
          break;
        }
    }
  opts.pid_file = pid_file;
  return mr_exec (rt, &opts, err);
}

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
        case OPT_PIDFD_SOCKET:
          opts.pidfd_socket = *p->value ? p->value : NULL;
          break;
        case OPT_PRESERVE_FDS:
          ret = parse_preserve_fds (cmd->name, p->value, &opts.preserve_fds, err);
          if (ret < 0)
            return ret;
          break;
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
cmd_ps (struct mr_runtime *rt, const struct command *cmd, const struct args *a, mr_error **err)
{
  const char *format = "table";
  char *const *ps_args = a->pos + 1;
  size_t i;

  for (i = 0; i < a->nopts; i++)
    if (a->opts[i].id == OPT_FORMAT)
      format = a->opts[i].value;
  if (ps_args[0] != NULL && strcmp (ps_args[0], "--") == 0)
    ps_args++;
  return mr_ps (rt, a->pos[0], format, ps_args, err);
}

/* A decimal integer within [MIN, MAX]. */
static int
parse_int (const char *where, const char *name, const char *value, int64_t min, int64_t max,
           int64_t *out, mr_error **err)
{
  char *end = NULL;
  long long v;

  errno = 0;
  v = strtoll (value, &end, 10);
  if (errno != 0 || end == value || *end != '\0' || v < min || v > max)
    return mr_fail (err, 0, "%s: --%s: expected an integer from %lld to %lld, got \"%s\"", where,
                    name, (long long)min, (long long)max, value);
  *out = v;
  return 0;
}

/* A memory size: -1, or a decimal number (with a fraction) and a unit k,
 * m, g, t or p, 1024-based, optionally followed by "i" and "b", in any
 * case ("64m", "1.5G", "512KiB", "100"). */
static int
parse_size (const char *where, const char *name, const char *value, int64_t *out, mr_error **err)
{
  static const char units[] = "kmgtp";
  long double v, mult = 1;
  const char *s = value, *u;
  char *end = NULL;

  if (strcmp (value, "-1") == 0)
    {
      *out = -1;
      return 0;
    }
  if (*s < '0' || *s > '9')
    goto bad;
  errno = 0;
  v = strtold (s, &end);
  if (errno != 0)
    goto bad;
  s = end;
  if (*s == ' ')
    s++;
  if (*s != '\0' && (u = strchr (units, tolower ((unsigned char)*s))) != NULL)
    {
      int k;

      for (k = 0; k <= u - units; k++)
        mult *= 1024;
      s++;
    }
  if (*s == 'i' || *s == 'I')
    s++;
  if (*s == 'b' || *s == 'B')
    s++;
  if (*s != '\0')
    goto bad;
  v *= mult;
  if (v >= (long double)INT64_MAX)
    goto bad;
  *out = (int64_t)v;
  return 0;

bad:
  return mr_fail (err, 0,
                  "%s: --%s: expected bytes, with a k, m, g, t or p suffix or not, got \"%s\"",
                  where, name, value);
}

/* The object of KEY in RES, made when missing. */
static modrun_json *
sub_object (modrun_json *res, const char *key)
{
  modrun_json *o = (modrun_json *)modrun_json_get (res, key);

  if (o == NULL)
    o = mr_json_add (res, key, MODRUN_JSON_OBJECT);
  if (o == NULL)
    abort ();
  return o;
}

/* What update -r FILE reads from: "stdin" for "-". */
static const char *
resources_source (const char *file)
{
  return strcmp (file, "-") == 0 ? "stdin" : file;
}

/* The resources of update -r FILE (or "-": stdin). */
static int
read_resources (const char *file, modrun_json **out, mr_error **err)
{
  cleanup_free char *name = mr_xasprintf ("update: %s", resources_source (file));
  cleanup_free char *text = NULL;
  size_t len = 0;
  int ret;

  ret = mr_read_file (strcmp (file, "-") == 0 ? "/dev/stdin" : file, &text, &len, err);
  if (ret < 0)
    {
      mr_error_prefix (err, "update");
      return ret;
    }
  ret = mr_json_parse (text, len, name, out, err);
  if (ret < 0)
    return ret;
  if ((*out)->type != MODRUN_JSON_OBJECT)
    return mr_fail (err, 0, "%s: expected an object of linux.resources, got %s", name,
                    modrun_json_type_name ((*out)->type));
  return 0;
}

/* The resources the options of update ask for, in linux.resources shape. */
static int
resources_from_options (const struct args *a, modrun_json *res, mr_error **err)
{
  size_t i;
  int ret;

  for (i = 0; i < a->nopts; i++)
    {
      const struct parsed_opt *p = &a->opts[i];
      const char *obj = NULL, *key = NULL;
      int64_t v = 0;

      switch (p->id)
        {
        case OPT_MEMORY:
          obj = "memory", key = "limit";
          break;
        case OPT_MEMORY_SWAP:
          obj = "memory", key = "swap";
          break;
        case OPT_MEMORY_RESERVATION:
          obj = "memory", key = "reservation";
          break;
        case OPT_KERNEL_MEMORY:
          obj = "memory", key = "kernel";
          break;
        case OPT_KERNEL_MEMORY_TCP:
          obj = "memory", key = "kernelTCP";
          break;
        case OPT_CPU_SHARES:
          obj = "cpu", key = "shares";
          ret = parse_int ("update", p->name, p->value, 0, INT64_MAX, &v, err);
          break;
        case OPT_CPU_QUOTA:
          obj = "cpu", key = "quota";
          ret = parse_int ("update", p->name, p->value, -1, INT64_MAX, &v, err);
          break;
        case OPT_CPU_PERIOD:
          obj = "cpu", key = "period";
          ret = parse_int ("update", p->name, p->value, 0, INT64_MAX, &v, err);
          break;
        case OPT_CPU_RT_PERIOD:
          obj = "cpu", key = "realtimePeriod";
          ret = parse_int ("update", p->name, p->value, 0, INT64_MAX, &v, err);
          break;
        case OPT_CPU_RT_RUNTIME:
          obj = "cpu", key = "realtimeRuntime";
          ret = parse_int ("update", p->name, p->value, -1, INT64_MAX, &v, err);
          break;
        case OPT_PIDS_LIMIT:
          obj = "pids", key = "limit";
          ret = parse_int ("update", p->name, p->value, -1, INT64_MAX, &v, err);
          break;
        case OPT_BLKIO_WEIGHT:
          obj = "blockIO", key = "weight";
          ret = parse_int ("update", p->name, p->value, 0, 1000, &v, err);
          break;
        case OPT_CPUSET_CPUS:
          mr_json_add_string (sub_object (res, "cpu"), "cpus", p->value);
          continue;
        case OPT_CPUSET_MEMS:
          mr_json_add_string (sub_object (res, "cpu"), "mems", p->value);
          continue;
        case OPT_L3_CACHE_SCHEMA:
        case OPT_MEM_BW_SCHEMA:
          return mr_fail (err, 0, "update: --%s: not supported by modrun: linux.intelRdt", p->name);
        default:
          continue;
        }
      if (strcmp (obj, "memory") == 0)
        ret = parse_size ("update", p->name, p->value, &v, err);
      if (ret < 0)
        return ret;
      mr_json_add_int (sub_object (res, obj), key, v);
    }
  return 0;
}

static int
cmd_update (struct mr_runtime *rt, const struct command *cmd, const struct args *a, mr_error **err)
{
  cleanup_json modrun_json *res = NULL;
  const char *file = NULL;
  size_t i;
  int ret;

  for (i = 0; i < a->nopts; i++)
    if (a->opts[i].id == OPT_RESOURCES)
      file = a->opts[i].value;
  if (file != NULL)
    ret = read_resources (file, &res, err);
  else
    {
      res = mr_json_new (MODRUN_JSON_OBJECT);
      ret = resources_from_options (a, res, err);
    }
  if (ret < 0)
    return ret;
  return mr_update (rt, a->pos[0], res, file != NULL ? resources_source (file) : "command line",
                    err);
}

/* A duration as Go writes them: numbers with a unit each, "1m30s",
 * "500ms", "1.5h"; units ns, us (or µs), ms, s, m, h. In milliseconds,
 * at least 1. */
static int
parse_duration (const char *value, long *out_ms, mr_error **err)
{
  static const struct
  {
    const char *unit;
    long double ns;
  } units[] = { { "ns", 1 },  { "us", 1e3 }, { "\xc2\xb5s", 1e3 }, { "ms", 1e6 },
                { "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 } };
  long double total = 0;
  const char *s = value;

  if (strcmp (value, "0") == 0 || *s == '\0')
    goto bad;
  while (*s != '\0')
    {
      long double v;
      char *end = NULL;
      size_t k, best = SIZE_MAX, blen = 0;

      if ((*s < '0' || *s > '9') && *s != '.')
        goto bad;
      v = strtold (s, &end);
      if (end == s)
        goto bad;
      s = end;
      for (k = 0; k < sizeof (units) / sizeof (units[0]); k++)
        {
          size_t len = strlen (units[k].unit);

          if (strncmp (s, units[k].unit, len) == 0 && len > blen)
            best = k, blen = len;
        }
      if (best == SIZE_MAX)
        goto bad;
      total += v * units[best].ns;
      s += blen;
    }
  if (total <= 0 || total / 1e6 > (long double)LONG_MAX)
    goto bad;
  *out_ms = total < 1e6 ? 1 : (long)(total / 1e6);
  return 0;

bad:
  return mr_fail (err, 0, "events: --interval: expected a duration such as 5s or 500ms, got \"%s\"",
                  value);
}

static int
cmd_events (struct mr_runtime *rt, const struct command *cmd, const struct args *a, mr_error **err)
{
  long interval_ms = 5000;
  bool stats = false;
  size_t i;
  int ret;

  for (i = 0; i < a->nopts; i++)
    {
      if (a->opts[i].id == OPT_STATS)
        ret = flag_value (cmd->name, &a->opts[i], &stats, err);
      else if (a->opts[i].id == OPT_INTERVAL)
        ret = parse_duration (a->opts[i].value, &interval_ms, err);
      else
        ret = 0;
      if (ret < 0)
        return ret;
    }
  return mr_events (rt, a->pos[0], stats, interval_ms, err);
}

static int
cmd_features (struct mr_runtime *rt, const struct command *cmd, const struct args *a,
              mr_error **err)
{
  return mr_features (rt, err);
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
      { "pidfd-socket", 0, true, OPT_PIDFD_SOCKET },                                               \
  {                                                                                                \
    "preserve-fds", 0, true, OPT_PRESERVE_FDS                                                      \
  }

static const struct opt create_opts[] = { CREATE_OPTS, HELP_OPT, END_OPT };
static const struct opt run_opts[] = { CREATE_OPTS,
                                       { "detach", 'd', false, OPT_DETACH },
                                       { "keep", 0, false, OPT_KEEP },
                                       HELP_OPT,
                                       END_OPT };
static const struct opt exec_opts[] = {
  { "process", 'p', true, OPT_PROCESS },
  { "tty", 't', false, OPT_TTY },
  { "console-socket", 0, true, OPT_CONSOLE_SOCKET },
  { "detach", 'd', false, OPT_DETACH },
  { "pid-file", 0, true, OPT_PID_FILE },
  { "pidfd-socket", 0, true, OPT_PIDFD_SOCKET },
  { "env", 'e', true, OPT_ENV },
  { "cwd", 0, true, OPT_CWD },
  { "user", 'u', true, OPT_USER },
  { "additional-gids", 'g', true, OPT_ADDITIONAL_GIDS },
  { "cap", 'c', true, OPT_CAP },
  { "no-new-privs", 0, false, OPT_NO_NEW_PRIVS },
  { "apparmor", 0, true, OPT_APPARMOR },
  { "process-label", 0, true, OPT_PROCESS_LABEL },
  { "preserve-fds", 0, true, OPT_PRESERVE_FDS },
  { "ignore-paused", 0, false, OPT_IGNORE_PAUSED },
  HELP_OPT,
  END_OPT,
};
static const struct opt help_only_opts[] = { HELP_OPT, END_OPT };
static const struct opt kill_opts[] = { { "all", 'a', false, OPT_ALL }, HELP_OPT, END_OPT };
static const struct opt delete_opts[] = { { "force", 'f', false, OPT_FORCE }, HELP_OPT, END_OPT };
static const struct opt list_opts[] = {
  { "format", 'f', true, OPT_FORMAT }, { "quiet", 'q', false, OPT_QUIET }, HELP_OPT, END_OPT
};
static const struct opt spec_opts[] = {
  { "bundle", 'b', true, OPT_BUNDLE }, { "rootless", 0, false, OPT_ROOTLESS }, HELP_OPT, END_OPT
};
static const struct opt ps_opts[] = { { "format", 'f', true, OPT_FORMAT }, HELP_OPT, END_OPT };
static const struct opt update_opts[] = {
  { "resources", 'r', true, OPT_RESOURCES },
  { "memory", 0, true, OPT_MEMORY },
  { "memory-swap", 0, true, OPT_MEMORY_SWAP },
  { "memory-reservation", 0, true, OPT_MEMORY_RESERVATION },
  { "kernel-memory", 0, true, OPT_KERNEL_MEMORY },
  { "kernel-memory-tcp", 0, true, OPT_KERNEL_MEMORY_TCP },
  { "cpu-shares", 0, true, OPT_CPU_SHARES },
  { "cpu-share", 0, true, OPT_CPU_SHARES },
  { "cpu-quota", 0, true, OPT_CPU_QUOTA },
  { "cpu-period", 0, true, OPT_CPU_PERIOD },
  { "cpu-rt-period", 0, true, OPT_CPU_RT_PERIOD },
  { "cpu-rt-runtime", 0, true, OPT_CPU_RT_RUNTIME },
  { "cpuset-cpus", 0, true, OPT_CPUSET_CPUS },
  { "cpuset-mems", 0, true, OPT_CPUSET_MEMS },
  { "pids-limit", 0, true, OPT_PIDS_LIMIT },
  { "blkio-weight", 0, true, OPT_BLKIO_WEIGHT },
  { "l3-cache-schema", 0, true, OPT_L3_CACHE_SCHEMA },
  { "mem-bw-schema", 0, true, OPT_MEM_BW_SCHEMA },
  HELP_OPT,
  END_OPT,
};
static const struct opt events_opts[] = {
  { "stats", 0, false, OPT_STATS }, { "interval", 0, true, OPT_INTERVAL }, HELP_OPT, END_OPT
};
static const struct opt plugins_opts[] = { { "format", 0, true, OPT_FORMAT }, HELP_OPT, END_OPT };

static const struct command commands[] = {
  { "create", create_usage, create_opts, 1, 1, cmd_create_or_run, false },
  { "start", start_usage, help_only_opts, 1, 1, cmd_start, false },
  { "exec", exec_usage, exec_opts, 1, SIZE_MAX, cmd_exec, true },
  { "run", run_usage, run_opts, 1, 1, cmd_create_or_run, false },
  { "state", state_usage, help_only_opts, 1, 1, cmd_state, false },
  { "kill", kill_usage, kill_opts, 1, 2, cmd_kill, false },
  { "delete", delete_usage, delete_opts, 1, 1, cmd_delete, false },
  { "pause", pause_usage, help_only_opts, 1, 1, cmd_pause, false },
  { "resume", resume_usage, help_only_opts, 1, 1, cmd_resume, false },
  { "list", list_usage, list_opts, 0, 0, cmd_list, false },
  { "spec", spec_usage, spec_opts, 0, 0, cmd_spec, false },
  { "ps", ps_usage, ps_opts, 1, SIZE_MAX, cmd_ps, true },
  { "update", update_usage, update_opts, 1, 1, cmd_update, false },
  { "events", events_usage, events_opts, 1, 1, cmd_events, false },
  { "features", features_usage, help_only_opts, 0, 0, cmd_features, false },
  { "plugins", plugins_usage, plugins_opts, 0, 0, cmd_plugins, false },
  { "help", help_usage, help_only_opts, 0, 1, cmd_help, false },
  { NULL, NULL, NULL, 0, 0, NULL, false },
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
          if (*p->value == '\0')
            return mr_fail (err, 0, "--root: expected a directory, got an empty string");
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

  ret = parse_args (cmd->name, cmd->opts, argc, argv, &i, cmd->args_end_options, &a, err);
  if (ret < 0)
    goto out;
  /* What follows the first argument is arguments, "-" or not. */
  while (cmd->args_end_options && i < argc)
    a.pos[a.npos++] = argv[i++];
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

/* MODRUN_TRACE set to anything but "" or "0" asks for the trace table. */
static bool
trace_asked (void)
{
  const char *v = getenv ("MODRUN_TRACE");

  return v != NULL && *v != '\0' && strcmp (v, "0") != 0;
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

#ifdef MODRUN_BUILTIN_PLUGINS
  /* The table libtool generates for the plugins linked in; libltdl reads
   * it at its first initialisation, so before any plugin is looked up. */
  LTDL_SET_PRELOADED_SYMBOLS ();
#endif

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

  mr_trace_start (rt.debug || trace_asked (), i < argc ? argv[i] : NULL);
  ret = run_command (&rt, argc, argv, i, &err);
  if (fflush (stdout) != 0 && ret >= 0)
    ret = mr_fail (&err, errno, "write to stdout");
  mr_trace_print (stderr);
  if (ret < 0)
    {
      mr_log_fatal (err);
      return 1;
    }
  return ret > 255 ? 255 : ret;
}
