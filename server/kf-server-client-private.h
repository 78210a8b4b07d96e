/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include "kf-server-blocks.h"
#include "kf-server-client.h"

G_BEGIN_DECLS

/* KfServerClient is three files: kf-server-client.c (the connection:
 * its transport, lines in and out, reading held or not, closing),
 * kf-server-client-timers.c (the greeting deadline, the idle timer and
 * the phase that switches it) and kf-server-client-identity.c (what the
 * greeting established, and whom the client blocked).  What they share: */

struct _KfServerClient
{
  GObject            parent_instance;

  KfServerTransport *transport;
  gint64             accepted_at;     /* monotonic */
  KfServerTimers    *timers;
  GCancellable      *work_cancellable; /* work done for this client */
  char              *address;
  guint64            id;
  char              *name;
  KfClientPhase      phase;
  gboolean           admitted;
  gboolean           watching;
  KfServerSession   *session;
  guint8             challenge[KF_PROTOCOL_CHALLENGE_SIZE];    /* the greeting's */
  guint8             public_key[KF_PROTOCOL_PUBLIC_KEY_SIZE];  /* proven in hello */
  KfServerBlocks    *blocks;          /* identities it blocked, or NULL */

  gboolean           started;
  gboolean           held;
  gboolean           closing;

  KfServerTimer     *deadline;        /* handshake + greeting */
  KfServerTimer     *idle;
  gint64             idle_deadline;   /* the idle timer fires at or before this */
  gint64             idle_armed_at;
  guint              idle_timeout_ms;
};

void _kf_server_client_arm_deadline       (KfServerClient *self,
                                           guint           timeout_ms);
void _kf_server_client_restart_idle_timer (KfServerClient *self);

G_END_DECLS
