/* A test plugin, built by unit/test-plugins in many shapes: the macros
 * below choose its name, its concern and what is wrong with it.
 *
 *   P_IDENT, P_NAME   entry symbol suffix and descriptor name (required)
 *   P_CONCERN         concern number (default: extra)
 *   P_MAGIC, P_MAJOR, P_MINOR, P_SIZE   override the head
 *   P_NO_ENTRY        export the descriptor under another symbol
 *   P_PROBE_FAIL      the probe records an error
 *   P_PROBE_CRASH     the probe dereferences a null pointer
 *   P_VALIDATE_CRASH  the validate stage does
 *   P_DESTROY_OK      destroy succeeds (it reports EBUSY otherwise)
 *   P_OLD_SIZE        declares a size that ends after probe and puts
 *                     poison where later stages would be */
#include <errno.h>
#include <stdint.h>

#include <modrun/plugin.h>

/* P_IDENT is expanded before it is pasted onto the prefix. */
#define ENTRY_OF(ident) MODRUN_PLUGIN_ENTRY (ident)

#ifndef P_CONCERN
#define P_CONCERN MODRUN_CONCERN_EXTRA
#endif
#ifndef P_MAGIC
#define P_MAGIC MODRUN_PLUGIN_MAGIC
#endif
#ifndef P_MAJOR
#define P_MAJOR MODRUN_ABI_MAJOR
#endif
#ifndef P_MINOR
#define P_MINOR MODRUN_ABI_MINOR
#endif
#ifndef P_SIZE
#define P_SIZE sizeof (struct modrun_plugin)
#endif

static int
crash (void)
{
  volatile int *volatile nowhere = (int *)0;

  return *nowhere;
}

static int
probe (struct modrun_container *c, void **data)
{
  (void)data;
#if defined(P_PROBE_FAIL)
  return c->svc->error (c, 0, "needs a frobnicator on this host");
#elif defined(P_PROBE_CRASH)
  (void)c;
  return crash ();
#else
  (void)c;
  return 0;
#endif
}

#ifdef P_OLD_SIZE
/* Only the head and the probe are declared; what follows in memory must
 * never be taken for stage pointers. */
struct old_plugin
{
  struct
  {
    uint32_t magic;
    uint16_t abi_major;
    uint16_t abi_minor;
    uint32_t size;
    modrun_concern concern;
    const char *name;
    const char *version;
    const char *description;
    uint64_t caps;
    modrun_stage_fn probe;
  } head;
  uintptr_t poison[16];
};

MODRUN_PLUGIN_EXPORT const struct old_plugin ENTRY_OF (P_IDENT) = {
  .head = { .magic = P_MAGIC,
            .abi_major = P_MAJOR,
            .abi_minor = P_MINOR,
            .size = offsetof (struct modrun_plugin, validate),
            .concern = P_CONCERN,
            .name = P_NAME,
            .version = "0.0-old",
            .probe = probe },
  .poison = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 },
};
#else

static int
validate (struct modrun_container *c, void **data)
{
  (void)c;
  (void)data;
#ifdef P_VALIDATE_CRASH
  return crash ();
#else
  return 0;
#endif
}

static int
prepare (struct modrun_container *c, void **data)
{
  int64_t limit = 0;
  int ret;

  (void)data;
  ret = c->svc->get_int (c, modrun_json_path (c->config, "linux.resources"), "linux.resources",
                         "limit", &limit);
  if (ret < 0)
    return ret;
  if (ret > 0 && limit < 100)
    return c->svc->error (c, 0, "linux.resources.limit: %lld is below 100", (long long)limit);
  return 0;
}

static int
parent_after_clone (struct modrun_container *c, void **data)
{
  (void)c;
  (void)data;
  return -EIO;
}

static int
destroy (struct modrun_container *c, void **data)
{
  *data = (void *)((uintptr_t)*data + 1);
  c->svc->log (c, MODRUN_LOG_DEBUG, "destroy number %u", (unsigned int)(uintptr_t)*data);
#ifdef P_DESTROY_OK
  return 0;
#else
  return c->svc->error (c, EBUSY, "release");
#endif
}

#ifdef P_NO_ENTRY
#define P_SYMBOL modrun_plugin_entry_someone_else
#else
#define P_SYMBOL ENTRY_OF (P_IDENT)
#endif

MODRUN_PLUGIN_EXPORT const struct modrun_plugin P_SYMBOL = {
  .magic = P_MAGIC,
  .abi_major = P_MAJOR,
  .abi_minor = P_MINOR,
  .size = P_SIZE,
  .concern = P_CONCERN,
  .name = P_NAME,
  .version = "1.2.3",
  .description = "unit test plugin",
  .probe = probe,
  .validate = validate,
  .prepare = prepare,
  .parent_after_clone = parent_after_clone,
  .destroy = destroy,
};
#endif
