/* kf-server-config.c: the key manager's tunables and their defaults
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <sys/resource.h>
#include <glib/gi18n.h>

#include "kf-server-config.h"

/*
 * kf_server_config_init:
 *
 * Fills @config with the defaults; the state directory is
 * $STATE_DIRECTORY (set by systemd's StateDirectory=) or
 * ~/.local/state/keyferry-server.
 */
void
kf_server_config_init (KfServerConfig *config)
{
  const char *state = g_getenv ("STATE_DIRECTORY");

  *config = (KfServerConfig) {
    .max_clients = KF_SERVER_DEFAULT_MAX_CLIENTS,
    .max_clients_per_address = KF_SERVER_DEFAULT_MAX_CLIENTS_PER_ADDRESS,
    .max_pending = KF_SERVER_DEFAULT_MAX_PENDING,
    .max_pending_per_address = KF_SERVER_DEFAULT_MAX_PENDING_PER_ADDRESS,
    .handshake_timeout_ms = KF_SERVER_DEFAULT_HANDSHAKE_TIMEOUT_MS,
    .idle_timeout_ms = KF_SERVER_DEFAULT_IDLE_TIMEOUT_MS,
    .confirm_timeout_ms = KF_SERVER_DEFAULT_CONFIRM_TIMEOUT_MS,
    .close_timeout_ms = 2000,
    .write_queue_max = 256 * 1024,
    .kdf_iterations = 3,
    .kdf_memory_kib = 64 * 1024,
    .kdf_parallelism = 4,
    .kdf_max_concurrent = 2,
    .kdf_max_queued = 32,
    .auth_penalty_ms = 1000,
    .auth_penalty_max_ms = 60000,
    .auth_global_burst = 10,
    .auth_global_penalty_ms = 1000,
    .auth_global_penalty_max_ms = 8000,
    .auth_global_forget_ms = 5000,
    .conn_burst = KF_SERVER_DEFAULT_CONN_BURST,
    .conn_refill_ms = KF_SERVER_DEFAULT_CONN_REFILL_MS,
  };

  /* systemd may list several directories separated by colons. */
  if (state != NULL && state[0] != '\0')
    {
      g_auto(GStrv) dirs = g_strsplit (state, ":", 2);

      config->state_dir = g_strdup (dirs[0]);
    }
  else
    config->state_dir = g_build_filename (g_get_home_dir (), ".local", "state",
                                          "keyferry-server", NULL);
}

/*
 * kf_server_config_clear:
 *
 * Frees the strings @config owns.
 */
void
kf_server_config_clear (KfServerConfig *config)
{
  g_clear_pointer (&config->state_dir, g_free);
  g_clear_pointer (&config->audit_log, g_free);
}

/* Descriptors the process needs besides its clients' sockets: standard
 * streams, the listeners, the epoll set, the audit log, GLib's wakeups and
 * the worker threads' contexts, with room to spare. */
#define FD_RESERVE      64
/* A connection in its TLS handshake holds its socket, the handshake's own
 * GMainContext wakeup and, at times, a cancellable's descriptor. */
#define FD_PER_PENDING  3

/*
 * kf_server_config_fit_descriptors:
 *
 * Raises the soft limit on open descriptors (RLIMIT_NOFILE) to the hard
 * limit, then lowers @config->max_pending and @config->max_clients as far
 * as needed for every connection they allow to fit in it with
 * FD_RESERVE to spare: out of descriptors, GLib aborts the process
 * (`Creating pipes for GWakeup: Too many open files`) and every session
 * is lost.  Call it once at start.
 *
 * Returns: (nullable): a translated sentence saying what was lowered and
 * how to allow more, or %NULL when the limits fit as they are.
 */
char *
kf_server_config_fit_descriptors (KfServerConfig *config)
{
  struct rlimit limit;
  guint64 usable, clients;
  guint wanted_clients = config->max_clients;
  guint wanted_pending = config->max_pending;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0)
    return NULL;
  if (limit.rlim_cur < limit.rlim_max)
    {
      rlim_t soft = limit.rlim_cur;

      limit.rlim_cur = limit.rlim_max;
      if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
        limit.rlim_cur = soft;
    }
  usable = limit.rlim_cur == RLIM_INFINITY ? G_MAXUINT
           : (guint64) limit.rlim_cur > FD_RESERVE ? (guint64) limit.rlim_cur - FD_RESERVE : 0;
  /* Greeted clients get at least half of what is usable. */
  if ((guint64) config->max_pending * FD_PER_PENDING > usable / 2)
    config->max_pending = (guint) MAX (usable / 2 / FD_PER_PENDING, 1);
  config->max_pending_per_address = MIN (config->max_pending_per_address, config->max_pending);
  clients = usable - (guint64) config->max_pending * (FD_PER_PENDING - 1);
  if (config->max_clients > clients)
    config->max_clients = (guint) MAX (clients, 1);
  if (config->max_clients == wanted_clients && config->max_pending == wanted_pending)
    return NULL;
  return g_strdup_printf (_("only %llu file descriptors may be open (RLIMIT_NOFILE), so at most "
                            "%u clients (of --max-clients %u) and %u connections in their "
                            "greeting (of --max-pending %u) are served; raise the limit "
                            "(LimitNOFILE= in the systemd unit, ulimit -n) to serve more"),
                          (unsigned long long) limit.rlim_cur, config->max_clients, wanted_clients,
                          config->max_pending, wanted_pending);
}
