/* kf-fuzz-stream.c: an in-memory stream that hands out small reads
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A GMemoryInputStream gives a reader everything it asks for at once, so
 * code that joins partial reads (the line reader's buffer compaction, a
 * record split across reads) is never exercised.  This stream returns at
 * most `chunk` bytes per read, never blocks, and is pollable so that
 * GInputStream's asynchronous reads complete without a worker thread.
 */

#include "config.h"

#include <string.h>

#include "kf-fuzz-stream.h"

struct _KfFuzzStream
{
  GInputStream  parent_instance;

  const guint8 *data;
  gsize         len;
  gsize         pos;
  gsize         chunk;
};

static void kf_fuzz_stream_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KfFuzzStream, kf_fuzz_stream, G_TYPE_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      kf_fuzz_stream_pollable_init))

static gssize
kf_fuzz_stream_read (GInputStream  *stream,
                     void          *buffer,
                     gsize          count,
                     GCancellable  *cancellable,
                     GError       **error)
{
  KfFuzzStream *self = KF_FUZZ_STREAM (stream);
  gsize n = MIN (MIN (count, self->chunk), self->len - self->pos);

  memcpy (buffer, self->data + self->pos, n);
  self->pos += n;
  return (gssize) n;
}

static gboolean
kf_fuzz_stream_is_readable (GPollableInputStream *stream)
{
  return TRUE;
}

static GSource *
kf_fuzz_stream_create_source (GPollableInputStream *stream,
                              GCancellable         *cancellable)
{
  g_autoptr(GSource) ready = g_timeout_source_new (0);

  return g_pollable_source_new_full (stream, ready, cancellable);
}

static gssize
kf_fuzz_stream_read_nonblocking (GPollableInputStream  *stream,
                                 void                  *buffer,
                                 gsize                  count,
                                 GError               **error)
{
  return kf_fuzz_stream_read (G_INPUT_STREAM (stream), buffer, count, NULL, error);
}

static void
kf_fuzz_stream_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->is_readable = kf_fuzz_stream_is_readable;
  iface->create_source = kf_fuzz_stream_create_source;
  iface->read_nonblocking = kf_fuzz_stream_read_nonblocking;
}

static void
kf_fuzz_stream_class_init (KfFuzzStreamClass *klass)
{
  GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS (klass);

  stream_class->read_fn = kf_fuzz_stream_read;
}

static void
kf_fuzz_stream_init (KfFuzzStream *self)
{
}

/*
 * kf_fuzz_stream_new:
 * @data: (not copied): the bytes to hand out; must outlive the stream
 * @chunk: the most one read returns, at least 1
 *
 * Returns: (transfer full): the stream.  It cannot fail.
 */
GInputStream *
kf_fuzz_stream_new (const guint8 *data,
                    gsize         len,
                    gsize         chunk)
{
  KfFuzzStream *self = g_object_new (KF_TYPE_FUZZ_STREAM, NULL);

  self->data = data;
  self->len = len;
  self->chunk = MAX (chunk, 1);
  return G_INPUT_STREAM (self);
}
