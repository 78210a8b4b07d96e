/* kf-server-config.c: the key manager's tunables and their defaults
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

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
