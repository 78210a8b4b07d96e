/* kf-line-reader.c: a bounded LF line reader, asynchronous or non-blocking
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GDataInputStream reads a line of any length into memory.  A network peer
 * could send gigabytes without a newline, so this reader owns one buffer of
 * exactly max_line_len bytes, allocated once: it never holds more than that,
 * however much the peer sends.  A line that does not fit is an error, as is
 * a NUL or CR inside a line or text that is not UTF-8.  These errors are
 * sticky: once the byte stream is out of step nothing after it can be
 * trusted, so every later read fails the same way.
 *
 * Lines may carry secrets (`ev key`, `confirm`, `auth`): consumed bytes are
 * wiped from the buffer, and every line is handed out in libgcrypt secure
 * memory, to be freed with kf_secure_strfree(), which wipes it.
 *
 * Lines are read either with a GTask per line (read_line_async), or, over
 * a pollable stream, with kf_line_reader_read_line_nonblocking() by a
 * caller that polls the stream's descriptor itself (the key manager, whose
 * idle clients must not each keep a pending read).  Both go through the
 * same checks.
 */

#include "config.h"

#include <inttypes.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "kf-line-reader.h"
#include "kf-protocol.h"
#include "kf-secure.h"

struct _KfLineReader
{
  GObject       parent_instance;

  GInputStream *stream;
  guint8       *buf;
  gsize         max_line_len;
  gsize         start;
  gsize         filled;
  gboolean      eof;
  gboolean      busy;
  GError       *failure;
};

G_DEFINE_FINAL_TYPE (KfLineReader, kf_line_reader, G_TYPE_OBJECT)

static void try_complete (KfLineReader *self,
                          GTask        *task);

static void
kf_line_reader_finalize (GObject *object)
{
  KfLineReader *self = KF_LINE_READER (object);

  explicit_bzero (self->buf, self->max_line_len);
  g_free (self->buf);
  g_clear_object (&self->stream);
  g_clear_error (&self->failure);

  G_OBJECT_CLASS (kf_line_reader_parent_class)->finalize (object);
}

static void
kf_line_reader_class_init (KfLineReaderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = kf_line_reader_finalize;
}

static void
kf_line_reader_init (KfLineReader *self)
{
}

/*
 * kf_line_reader_new:
 * @stream: where the lines come from
 * @max_line_len: the longest line accepted, in bytes, its LF included
 *
 * Returns: (transfer full): a reader holding a reference to @stream.
 */
KfLineReader *
kf_line_reader_new (GInputStream *stream,
                    gsize         max_line_len)
{
  KfLineReader *self;

  g_return_val_if_fail (G_IS_INPUT_STREAM (stream), NULL);
  g_return_val_if_fail (max_line_len >= 2, NULL);

  self = g_object_new (KF_TYPE_LINE_READER, NULL);
  self->stream = g_object_ref (stream);
  self->max_line_len = max_line_len;
  self->buf = g_malloc (max_line_len);

  return self;
}

/*
 * kf_line_reader_get_stream:
 *
 * Returns: (transfer none): the stream the reader reads.
 */
GInputStream *
kf_line_reader_get_stream (KfLineReader *self)
{
  g_return_val_if_fail (KF_IS_LINE_READER (self), NULL);

  return self->stream;
}

/* Remembers @error as sticky: the stream is out of step for good. */
static void
set_failure (KfLineReader *self,
             GError       *error)
{
  g_clear_error (&self->failure);
  self->failure = g_error_copy (error);
}

/* Fails @task with a sticky error. */
static void
fail (KfLineReader *self,
      GTask        *task,
      GError       *error)
{
  set_failure (self, error);
  self->busy = FALSE;
  g_task_return_error (task, error);
}

/*
 * kf_line_reader_check_line:
 * @line: a line's bytes, without its LF (it may hold NULs)
 * @max_line_len: the longest line accepted, its LF included
 *
 * Applies a reader's rules to a line that arrived some other way (a
 * test or a fuzzer feeding lines straight in).
 *
 * Returns: %TRUE when a reader would hand out @line; otherwise %FALSE with
 * the error the reader would give.
 */
gboolean
kf_line_reader_check_line (const char  *line,
                           gsize        len,
                           gsize        max_line_len,
                           GError     **error)
{
  g_return_val_if_fail (line != NULL || len == 0, FALSE);

  if (len >= max_line_len)
    {
      g_set_error (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_LINE_TOO_LONG,
                   _("Line longer than %zu bytes"), max_line_len);
      return FALSE;
    }
  return kf_protocol_check_line_bytes (line != NULL ? line : "", len, error);
}

/* What the buffer gives without reading more. */
typedef enum
{
  STEP_LINE,       /* a complete line */
  STEP_END,        /* a clean end of stream */
  STEP_FAILED,     /* a sticky error */
  STEP_NEED_DATA,  /* nothing yet: read into buf + filled */
} Step;

/* Moves the unread bytes to the front of the buffer and wipes the rest. */
static void
compact (KfLineReader *self)
{
  gsize pending = self->filled - self->start;

  if (self->start == 0)
    return;
  memmove (self->buf, self->buf + self->start, pending);
  explicit_bzero (self->buf + pending, self->max_line_len - pending);
  self->start = 0;
  self->filled = pending;
}

/* Takes the next complete line out of the buffer (wiping it there), or
 * says why there is none.  On STEP_NEED_DATA the buffer has room. */
static Step
take_line (KfLineReader  *self,
           char         **line,
           gsize         *length,
           GError       **error)
{
  const char *start = (const char *) self->buf + self->start;
  guint8 *lf = memchr (start, '\n', self->filled - self->start);
  GError *local = NULL;

  if (lf != NULL)
    {
      gsize len = (gsize) ((const char *) lf - start);

      if (!kf_protocol_check_line_bytes (start, len, &local))
        {
          set_failure (self, local);
          g_propagate_error (error, local);
          return STEP_FAILED;
        }
      *line = kf_secure_strndup (start, len);
      if (*line == NULL)
        {
          local = g_error_new_literal (KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_INTERNAL,
                                       _("Out of secure memory for a line"));
          set_failure (self, local);
          g_propagate_error (error, local);
          return STEP_FAILED;
        }
      *length = len;
      explicit_bzero (self->buf + self->start, len + 1);
      self->start += len + 1;
      if (self->start == self->filled)
        self->start = self->filled = 0;
      return STEP_LINE;
    }
  if (self->filled - self->start >= self->max_line_len)
    local = g_error_new (KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_LINE_TOO_LONG,
                         _("Line longer than %zu bytes"), self->max_line_len);
  else if (self->eof && self->filled == self->start)
    return STEP_END;
  else if (self->eof)
    local = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
                                 _("The connection closed in the middle of a line"));
  if (local != NULL)
    {
      set_failure (self, local);
      g_propagate_error (error, local);
      return STEP_FAILED;
    }
  compact (self);
  return STEP_NEED_DATA;
}

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KfLineReader *self = g_task_get_source_object (task);
  GError *error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (n < 0)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          self->busy = FALSE;
          g_task_return_error (task, error);
        }
      else
        fail (self, task, error);
      return;
    }
  if (n == 0)
    self->eof = TRUE;
  self->filled += (gsize) n;
  try_complete (self, task);
}

/* Returns the next line to @task if the buffer holds one, a clean EOF or
 * an error if that is all there is, or reads more. */
static void
try_complete (KfLineReader *self,
              GTask        *task)
{
  GError *error = NULL;
  char *line = NULL;
  gsize len = 0;

  switch (take_line (self, &line, &len, &error))
    {
    case STEP_LINE:
      self->busy = FALSE;
      g_task_set_task_data (task, GSIZE_TO_POINTER (len), NULL);
      g_task_return_pointer (task, line, (GDestroyNotify) kf_secure_strfree);
      return;
    case STEP_END:
      self->busy = FALSE;
      g_task_return_pointer (task, NULL, NULL);
      return;
    case STEP_FAILED:
      self->busy = FALSE;
      g_task_return_error (task, error);
      return;
    case STEP_NEED_DATA:
    default:
      break;
    }

  g_input_stream_read_async (self->stream, self->buf + self->filled,
                             self->max_line_len - self->filled, G_PRIORITY_DEFAULT,
                             g_task_get_cancellable (task), read_cb, g_object_ref (task));
}

/*
 * kf_line_reader_read_line_async:
 *
 * Reads the next line.  Only one read may be pending at a time; a second
 * one fails with %G_IO_ERROR_PENDING.
 */
void
kf_line_reader_read_line_async (KfLineReader        *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (KF_IS_LINE_READER (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kf_line_reader_read_line_async);

  if (self->busy)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               _("A line is already being read"));
      return;
    }
  if (self->failure != NULL)
    {
      g_task_return_error (task, g_error_copy (self->failure));
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  self->busy = TRUE;
  try_complete (self, task);
}

/*
 * kf_line_reader_read_line_nonblocking:
 * @length: (out) (optional): the line's length in bytes
 *
 * Returns the next line without waiting: from the buffer when it holds
 * one, else from what the stream (which must be a #GPollableInputStream)
 * has ready now.  It reads until a line is complete or the stream would
 * block, so nothing is left behind in a lower layer; a TLS stream may hold
 * decrypted bytes that poll() on its socket does not show, so call this
 * again until it says %G_IO_ERROR_WOULD_BLOCK before waiting for the
 * socket.  Not while an asynchronous read is pending
 * (%G_IO_ERROR_PENDING).
 *
 * Returns: (transfer full): as kf_line_reader_read_line_finish(), and also
 * %NULL with %G_IO_ERROR_WOULD_BLOCK when no complete line is there yet;
 * that one is not sticky.
 */
char *
kf_line_reader_read_line_nonblocking (KfLineReader  *self,
                                      gsize         *length,
                                      GError       **error)
{
  GPollableInputStream *stream;
  char *line = NULL;
  gsize len = 0;

  g_return_val_if_fail (KF_IS_LINE_READER (self), NULL);
  g_return_val_if_fail (G_IS_POLLABLE_INPUT_STREAM (self->stream), NULL);

  if (length != NULL)
    *length = 0;
  if (self->busy)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PENDING,
                           _("A line is already being read"));
      return NULL;
    }
  if (self->failure != NULL)
    {
      g_propagate_error (error, g_error_copy (self->failure));
      return NULL;
    }

  stream = G_POLLABLE_INPUT_STREAM (self->stream);
  while (TRUE)
    {
      GError *local = NULL;
      gssize n;

      switch (take_line (self, &line, &len, error))
        {
        case STEP_LINE:
          if (length != NULL)
            *length = len;
          return line;
        case STEP_END:
        case STEP_FAILED:
          return NULL;
        case STEP_NEED_DATA:
        default:
          break;
        }
      n = g_pollable_input_stream_read_nonblocking (stream, self->buf + self->filled,
                                                    self->max_line_len - self->filled,
                                                    NULL, &local);
      if (n < 0)
        {
          if (!g_error_matches (local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            set_failure (self, local);
          g_propagate_error (error, local);
          return NULL;
        }
      if (n == 0)
        self->eof = TRUE;
      self->filled += (gsize) n;
    }
}

/*
 * kf_line_reader_read_line_finish:
 * @length: (out) (optional): the line's length in bytes
 *
 * Returns: (transfer full): the line without its LF, NUL-terminated, in
 * secure memory: free it with kf_secure_strfree().  %NULL without an error
 * at a clean end of stream; %NULL with an error for
 * %KF_PROTOCOL_ERROR_LINE_TOO_LONG, %KF_PROTOCOL_ERROR_BAD_UTF8,
 * %KF_PROTOCOL_ERROR_BAD_LINE (NUL or CR inside), %G_IO_ERROR_PARTIAL_INPUT
 * (the stream ended inside a line), %KF_PROTOCOL_ERROR_INTERNAL (secure
 * memory exhausted) or the stream's own errors.
 */
char *
kf_line_reader_read_line_finish (KfLineReader  *self,
                                 GAsyncResult  *result,
                                 gsize         *length,
                                 GError       **error)
{
  char *line;

  g_return_val_if_fail (KF_IS_LINE_READER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  line = g_task_propagate_pointer (G_TASK (result), error);
  if (length != NULL)
    *length = line != NULL ? GPOINTER_TO_SIZE (g_task_get_task_data (G_TASK (result))) : 0;

  return line;
}
