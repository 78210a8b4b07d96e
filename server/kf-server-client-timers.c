/* kf-server-client-timers.c: a client's deadline and idle timer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A connection has an absolute deadline from its acceptance to the end
 * of its greeting, then an idle timeout while it is idle or waiting,
 * suspended while it is in a session.  Both wait in the server's one
 * deadline queue (KfServerTimers), not in sources of their own.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "kf-server-client-private.h"

static void
deadline_cb (gpointer user_data)
{
  KfServerClient *self = user_data;

  self->deadline = NULL;
  g_message ("Client from %s did not finish the handshake and greeting in time",
             self->address);
  if (self->phase == KF_CLIENT_HANDSHAKE)
    kf_server_client_close (self, FALSE);
  else
    kf_server_client_send_error (self, KF_PROTOCOL_ERROR_TIMEOUT,
                                 _("The greeting took too long"));
}

/* Arms the absolute deadline for the handshake and the greeting. */
void
_kf_server_client_arm_deadline (KfServerClient *self,
                                guint           timeout_ms)
{
  self->deadline = kf_server_timers_add (self->timers, timeout_ms, deadline_cb, self);
}

static void idle_cb (gpointer user_data);

/* Arms the idle timer for self->idle_deadline unless it already fires
 * at or before then. */
static void
arm_idle_timer (KfServerClient *self)
{
  if (self->idle != NULL && self->idle_armed_at <= self->idle_deadline)
    return;
  kf_server_timers_clear (self->timers, &self->idle);
  self->idle = kf_server_timers_add_at (self->timers, self->idle_deadline, idle_cb, self);
  self->idle_armed_at = self->idle_deadline;
}

/* The idle timer is not moved on every line (that would be a reinsertion
 * in the deadline queue per line): each line only pushes idle_deadline
 * on, and a timer that fires before it is simply armed again for the
 * rest. */
static void
idle_cb (gpointer user_data)
{
  KfServerClient *self = user_data;

  self->idle = NULL;
  if (kf_server_timers_get_time (self->timers) < self->idle_deadline)
    {
      arm_idle_timer (self);
      return;
    }
  g_message ("Client %" G_GUINT64_FORMAT " (%s) was silent for too long", self->id,
             self->address);
  kf_server_client_send_error (self, KF_PROTOCOL_ERROR_TIMEOUT,
                               _("No line for too long; send ping to keep the connection"));
}

/* Pushes the idle deadline on while the client is idle or waiting (and
 * the timeout is not 0); clears the timer otherwise. */
void
_kf_server_client_restart_idle_timer (KfServerClient *self)
{
  if (self->idle_timeout_ms > 0 && !self->closing
      && (self->phase == KF_CLIENT_IDLE || self->phase == KF_CLIENT_WAITING))
    {
      self->idle_deadline = kf_server_timers_get_time (self->timers)
                            + (gint64) self->idle_timeout_ms * G_TIME_SPAN_MILLISECOND;
      arm_idle_timer (self);
    }
  else
    kf_server_timers_clear (self->timers, &self->idle);
}

/*
 * kf_server_client_clear_deadline:
 *
 * The greeting is over: the absolute handshake deadline no longer applies
 * and the idle timer starts.
 */
void
kf_server_client_clear_deadline (KfServerClient *self)
{
  g_return_if_fail (KF_IS_SERVER_CLIENT (self));

  if (self->closing)
    return;
  kf_server_timers_clear (self->timers, &self->deadline);
  _kf_server_client_restart_idle_timer (self);
}

/* Entering a session suspends the idle timer (a transfer can take long
 * and the key manager hears nothing meanwhile; TCP keepalive watches the
 * connection); leaving it restarts the timer. */
void
kf_server_client_set_phase (KfServerClient *self,
                            KfClientPhase   phase)
{
  g_return_if_fail (KF_IS_SERVER_CLIENT (self));

  if (self->closing)
    return;
  self->phase = phase;
  if (phase == KF_CLIENT_SESSION)
    kf_server_timers_clear (self->timers, &self->idle);
  else
    _kf_server_client_restart_idle_timer (self);
}
