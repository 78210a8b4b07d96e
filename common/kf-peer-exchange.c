/* kf-peer-exchange.c: one handshake message in, its answer out
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Both sides of the peer handshake (kf-peer-link-connect.c, the sender;
 * kf-peer-listener.c, the receiver) do the same three things with each
 * message: read it whole, run its step of kf-peer-handshake.c in a worker
 * thread, and write the answer the step put in its place.  This is where
 * that sequence lives; the callers keep what differs: the sender's HELLO,
 * the receiver's version check of the HELLO's first bytes, and how each
 * explains a failure.
 */

#include "config.h"

#include "kf-peer-exchange.h"

/* What each step reads and how long its answer is (0: none). */
static const struct
{
  gsize message;
  gsize answer;
} sizes[] = {
  [KF_PEER_STEP_ANSWER_HELLO] = { KF_PEER_HELLO_SIZE, KF_PEER_CHALLENGE_SIZE },
  [KF_PEER_STEP_ANSWER_CHALLENGE] = { KF_PEER_CHALLENGE_SIZE, KF_PEER_RESPONSE_SIZE },
  [KF_PEER_STEP_CHECK_RESPONSE] = { KF_PEER_RESPONSE_SIZE, 0 },
};

/* Where an exchange is: each phase's result is taken by exchange_cb(). */
typedef enum
{
  PHASE_READ,   /* the rest of the message */
  PHASE_STEP,   /* its step, in a worker thread */
  PHASE_WRITE,  /* the answer */
} Phase;

typedef struct
{
  KfPeerHandshake *hs;
  KfPeerStep       step;
  GIOStream       *stream;
  guint8          *buf;
  gsize            have;
  Phase            phase;
} Exchange;

static void
exchange_free (Exchange *ex)
{
  g_object_unref (ex->stream);
  g_free (ex);
}

/* Runs one step and its cryptography (X25519, Ed25519, a few
 * milliseconds) in a worker thread, so that the caller's main loop (the
 * app's window) never waits for it.  The answer is written over the
 * message in ex->buf. */
static void
run_step (GTask        *task,
          gpointer      source,
          gpointer      task_data,
          GCancellable *cancellable)
{
  Exchange *ex = task_data;
  GError *error = NULL;
  gboolean ok = FALSE;

  switch (ex->step)
    {
    case KF_PEER_STEP_ANSWER_HELLO:
      ok = kf_peer_handshake_read_hello (ex->hs, ex->buf, ex->have, &error)
           && kf_peer_handshake_write_challenge (ex->hs, ex->buf, &error);
      break;
    case KF_PEER_STEP_ANSWER_CHALLENGE:
      ok = kf_peer_handshake_read_challenge (ex->hs, ex->buf, ex->have, &error);
      if (ok)
        kf_peer_handshake_write_response (ex->hs, ex->buf);
      break;
    case KF_PEER_STEP_CHECK_RESPONSE:
      ok = kf_peer_handshake_read_response (ex->hs, ex->buf, ex->have, &error);
      break;
    default:
      g_assert_not_reached ();
    }

  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void exchange_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data);

/* Starts the phase after the one that just succeeded; @task moves to it. */
static void
next_phase (GTask *task)
{
  Exchange *ex = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(GTask) step = NULL;

  ex->phase++;
  if (ex->phase == PHASE_STEP)
    {
      step = g_task_new (NULL, cancellable, exchange_cb, task);
      g_task_set_task_data (step, ex, NULL);
      g_task_run_in_thread (step, run_step);
    }
  else
    g_output_stream_write_all_async (g_io_stream_get_output_stream (ex->stream), ex->buf,
                                     sizes[ex->step].answer, G_PRIORITY_DEFAULT, cancellable,
                                     exchange_cb, task);
}

static void
exchange_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Exchange *ex = g_task_get_task_data (task);
  GError *error = NULL;
  gboolean ok = FALSE;
  gsize got = 0;

  switch (ex->phase)
    {
    case PHASE_READ:
      ok = g_input_stream_read_all_finish (G_INPUT_STREAM (source), result, &got, &error);
      ex->have += got;
      if (ok && got == 0)
        {
          ok = FALSE;
          g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                               "the peer closed the connection");
        }
      break;
    case PHASE_STEP:
      ok = g_task_propagate_boolean (G_TASK (result), &error);
      break;
    case PHASE_WRITE:
      ok = g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error);
      break;
    default:
      g_assert_not_reached ();
    }

  if (!ok)
    g_task_return_error (task, error);
  else if (ex->phase == PHASE_WRITE || (ex->phase == PHASE_STEP && sizes[ex->step].answer == 0))
    g_task_return_boolean (task, TRUE);
  else
    next_phase (g_steal_pointer (&task));
}

/*
 * kf_peer_exchange_async:
 * @step: what to do with the message that arrives
 * @stream: the peer connection
 * @buf: holds the first @have bytes of the message already (the rest is
 *   read after them); the answer is written over it, so it must hold
 *   %KF_PEER_CHALLENGE_SIZE bytes
 *
 * Reads the rest of the message @step takes, runs @step in a worker
 * thread (see run_step()), then writes its answer, if it has one.
 * @hs, @buf and @stream must stay until @callback has run; it always
 * runs, also when @cancellable fires.
 */
void
kf_peer_exchange_async (KfPeerHandshake     *hs,
                        KfPeerStep           step,
                        GIOStream           *stream,
                        guint8              *buf,
                        gsize                have,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  GTask *task;
  Exchange *ex;

  g_return_if_fail (hs != NULL && G_IS_IO_STREAM (stream) && buf != NULL);
  g_return_if_fail (step <= KF_PEER_STEP_CHECK_RESPONSE && have < sizes[step].message);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kf_peer_exchange_async);
  ex = g_new (Exchange, 1);
  *ex = (Exchange) { hs, step, g_object_ref (stream), buf, have, PHASE_READ };
  g_task_set_task_data (task, ex, (GDestroyNotify) exchange_free);
  g_input_stream_read_all_async (g_io_stream_get_input_stream (stream), buf + have,
                                 sizes[step].message - have, G_PRIORITY_DEFAULT, cancellable,
                                 exchange_cb, task);
}

/*
 * kf_peer_exchange_finish:
 * @arrived: (out) (optional): how many bytes of the message were in the
 *   buffer at the end, those given to kf_peer_exchange_async() included
 *
 * Returns: %FALSE with the stream's error, %G_IO_ERROR_CONNECTION_CLOSED
 * when the peer closed the connection before one more byte came, or the
 * step's %KF_TRANSFER_ERROR_HANDSHAKE.
 */
gboolean
kf_peer_exchange_finish (GAsyncResult  *result,
                         gsize         *arrived,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == kf_peer_exchange_async, FALSE);

  if (arrived != NULL)
    *arrived = ((Exchange *) g_task_get_task_data (G_TASK (result)))->have;
  return g_task_propagate_boolean (G_TASK (result), error);
}
