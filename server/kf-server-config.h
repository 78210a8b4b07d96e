/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Everything an operator (or a test) can tune.  kf_server_config_init()
 * fills in the documented defaults (docs/PROTOCOL.md, "Limits"). */
typedef struct
{
  char  *state_dir;                /* certificate and key live here */
  char  *audit_log;                /* NULL: audit lines go to the log */
  guint  max_clients;              /* connections of any kind */
  guint  max_clients_per_address;  /* greeted clients per source address */
  guint  max_pending;              /* not yet greeted, in total */
  guint  max_pending_per_address;  /* not yet greeted, per source address */
  guint  handshake_timeout_ms;     /* accept → welcome, absolute */
  guint  idle_timeout_ms;          /* no line from an idle/waiting client */
  guint  confirm_timeout_ms;       /* conn → ev connect, absolute */
  guint  close_timeout_ms;         /* flushing a closing connection */
  gsize  write_queue_max;          /* bytes queued for one slow reader */
  gboolean passphrase_is_hash;     /* kf_server_new()'s passphrase is a stored Argon2id
                                    * PHC string (kf-passphrase-hash.h), not the passphrase */
  guint  kdf_iterations;           /* Argon2id t */
  guint  kdf_memory_kib;           /* Argon2id m */
  guint  kdf_parallelism;          /* Argon2id p */
  guint  kdf_max_concurrent;       /* passphrase checks running at once */
  guint  kdf_max_queued;           /* passphrase checks waiting their turn */
  guint  auth_penalty_ms;          /* first delay after a failure, doubling */
  guint  auth_penalty_max_ms;
  guint  auth_global_burst;        /* checks at once or failures before the global gate */
  guint  auth_global_penalty_ms;   /* then one check per this long, doubling… */
  guint  auth_global_penalty_max_ms; /* …up to this */
  guint  auth_global_forget_ms;    /* one failure forgotten per this long */
  guint  conn_burst;               /* `conn` per identity at once… */
  guint  conn_refill_ms;           /* …then one more per this long */
} KfServerConfig;

#define KF_SERVER_DEFAULT_MAX_CLIENTS              1000
#define KF_SERVER_DEFAULT_MAX_CLIENTS_PER_ADDRESS  32
#define KF_SERVER_DEFAULT_MAX_PENDING              64
#define KF_SERVER_DEFAULT_MAX_PENDING_PER_ADDRESS  8
#define KF_SERVER_DEFAULT_HANDSHAKE_TIMEOUT_MS     10000
#define KF_SERVER_DEFAULT_IDLE_TIMEOUT_MS          (15 * 60 * 1000)
#define KF_SERVER_DEFAULT_CONFIRM_TIMEOUT_MS       30000
#define KF_SERVER_DEFAULT_CONN_BURST               20
#define KF_SERVER_DEFAULT_CONN_REFILL_MS           3000

void  kf_server_config_init             (KfServerConfig *config);
void  kf_server_config_clear            (KfServerConfig *config);
char *kf_server_config_fit_descriptors  (KfServerConfig *config);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (KfServerConfig, kf_server_config_clear)

G_END_DECLS
