/* kf-peer-link.c: an authenticated connection between the two peers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A KfPeerLink exists only once the handshake of kf-peer-handshake has
 * succeeded.  It owns the per-direction record keys and sequence numbers
 * and moves records with blocking calls, meant for the transfer engine's
 * worker threads: one thread may send while another receives, but each
 * direction is used by one thread at a time.
 */

#include "config.h"

#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include <gcrypt.h>
#include <glib/gi18n-lib.h>

#include "kf-peer-link.h"

struct _KfPeerLink
{
  GObject         parent_instance;

  GIOStream      *stream;
  KfSessionKeys  *keys;
  KfPeerLinkKeys *link_keys;
  KfPeerRole      role;
  guint8          peer_identity[KF_IDENTITY_PUBLIC_KEY_SIZE];
  KfRecordKey    *send_key;
  KfRecordKey    *recv_key;
  guint64         send_seq;
  guint64         recv_seq;
  guint8         *recv_buf;       /* RECV_BUF_SIZE bytes, see next_record() */
  gsize           recv_pos;       /* where the next record starts */
  gsize           recv_end;       /* the bytes read end here */
  gsize           recv_used;      /* the last record handed out, to drop */
  guint8         *send_buf;
  guint           idle_timeout;   /* seconds, 0: none */
  const char     *cancel_reason;  /* static; atomic: read by the engines' threads */
};

/* The receive buffer holds one record of the largest size and what was
 * read ahead: a small record's read takes up to this much more, so a run
 * of small records (the files of a tree) costs one read for several, and
 * kf_peer_link_receive_nowait() knows without a system call whether the
 * next one is there.  Large records are read exactly, without copies. */
#define RECV_LOOKAHEAD (64 * 1024)
#define RECV_BUF_SIZE  (KF_RECORD_MAX_SIZE + RECV_LOOKAHEAD)

G_DEFINE_FINAL_TYPE (KfPeerLink, kf_peer_link, G_TYPE_OBJECT)

static void
kf_peer_link_finalize (GObject *object)
{
  KfPeerLink *self = KF_PEER_LINK (object);

  if (self->stream != NULL)
    g_io_stream_close (self->stream, NULL, NULL);
  g_clear_object (&self->stream);
  g_clear_pointer (&self->keys, kf_session_keys_free);
  g_clear_pointer (&self->link_keys, kf_peer_link_keys_free);
  g_clear_pointer (&self->send_key, kf_record_key_free);
  g_clear_pointer (&self->recv_key, kf_record_key_free);
  g_clear_pointer (&self->recv_buf, g_free);
  g_clear_pointer (&self->send_buf, g_free);

  G_OBJECT_CLASS (kf_peer_link_parent_class)->finalize (object);
}

static void
kf_peer_link_class_init (KfPeerLinkClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kf_peer_link_finalize;
}

static void
kf_peer_link_init (KfPeerLink *self)
{
  self->idle_timeout = KF_PEER_LINK_DEFAULT_IDLE_TIMEOUT;
}

/* Both socket buffers (the kernel clamps them to net.core.wmem_max and
 * rmem_max, 208 KiB on a stock Debian, and doubles them).  Left to
 * autotuning, a loopback receive buffer grows to tens of MiB: the sender
 * runs far ahead, and the bytes are cold in the cache by the time the
 * receiver copies them out.  Bounded, a 1 GiB transfer on the 2-core
 * reference machine took 1.8-2.0 s instead of 2.4-3.9 s, and it still
 * covers several milliseconds of a gigabit LAN's round trip. */
#define PEER_SOCKET_BUFFER (1 << 20)

/* A peer whose machine vanished (no FIN, no RST) is noticed within about
 * a minute: keepalive probes after 30 s of silence, and unacknowledged
 * data given up after 60 s.  Idle peers answer probes from their kernel,
 * so a user taking their time to accept an offer is not cut off.  Whole
 * records are written at once, so Nagle's algorithm only delays them. */
static void
tune_socket (GIOStream *stream)
{
  GSocket *socket;

  if (!G_IS_SOCKET_CONNECTION (stream))
    return;
  socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream));
  g_socket_set_keepalive (socket, TRUE);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_KEEPIDLE, 30, NULL);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_KEEPINTVL, 10, NULL);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_KEEPCNT, 3, NULL);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_USER_TIMEOUT, 60000, NULL);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  g_socket_set_option (socket, SOL_SOCKET, SO_SNDBUF, PEER_SOCKET_BUFFER, NULL);
  g_socket_set_option (socket, SOL_SOCKET, SO_RCVBUF, PEER_SOCKET_BUFFER, NULL);
}

/*
 * kf_peer_link_new:
 * @stream: a connection on which @handshake just succeeded
 *
 * Wraps @stream as the link of the handshake's role, with the connection's
 * keys and the file's key and IV derived from it, and the peer's proven
 * identity.
 *
 * Returns: (transfer full): the link, or %NULL with @error set when
 * libgcrypt fails.
 */
KfPeerLink *
kf_peer_link_new (GIOStream        *stream,
                  KfPeerHandshake  *handshake,
                  GError          **error)
{
  g_autoptr(KfPeerLink) self = g_object_new (KF_TYPE_PEER_LINK, NULL);
  const guint8 *mine;
  const guint8 *theirs;

  g_return_val_if_fail (G_IS_IO_STREAM (stream) && handshake != NULL, NULL);

  self->stream = g_object_ref (stream);
  self->role = kf_peer_handshake_get_role (handshake);
  memcpy (self->peer_identity, kf_peer_handshake_get_peer_identity (handshake),
          sizeof self->peer_identity);
  tune_socket (stream);
  self->keys = kf_peer_handshake_derive_file_keys (handshake);
  self->link_keys = kf_peer_handshake_derive (handshake);

  mine = self->role == KF_PEER_ROLE_SENDER ? self->link_keys->sender_mac
                                           : self->link_keys->receiver_mac;
  theirs = self->role == KF_PEER_ROLE_SENDER ? self->link_keys->receiver_mac
                                             : self->link_keys->sender_mac;
  self->send_key = kf_record_key_new (mine, KF_RECORD_KEY_SIZE, error);
  if (self->send_key == NULL)
    return NULL;
  self->recv_key = kf_record_key_new (theirs, KF_RECORD_KEY_SIZE, error);
  if (self->recv_key == NULL)
    return NULL;

  return g_steal_pointer (&self);
}

/*
 * kf_peer_link_get_role:
 *
 * Returns: whether this end sends or receives the file.
 */
KfPeerRole
kf_peer_link_get_role (KfPeerLink *self)
{
  g_return_val_if_fail (KF_IS_PEER_LINK (self), KF_PEER_ROLE_SENDER);

  return self->role;
}

/*
 * kf_peer_link_get_keys:
 *
 * Returns: (transfer none): the session's key material: its mode, and the
 * AES key and IV of the file, derived in the handshake from the key
 * manager's key and IV and the peers' X25519 secret.
 */
const KfSessionKeys *
kf_peer_link_get_keys (KfPeerLink *self)
{
  g_return_val_if_fail (KF_IS_PEER_LINK (self), NULL);

  return self->keys;
}

/*
 * kf_peer_link_get_offer_key:
 *
 * Returns: (transfer none): the 32-byte AES-256 key of this connection's
 * offer record.
 */
const guint8 *
kf_peer_link_get_offer_key (KfPeerLink *self)
{
  g_return_val_if_fail (KF_IS_PEER_LINK (self), NULL);

  return self->link_keys->offer_key;
}

/*
 * kf_peer_link_get_offer_iv:
 *
 * Returns: (transfer none): the 16-byte IV of this connection's offer record.
 */
const guint8 *
kf_peer_link_get_offer_iv (KfPeerLink *self)
{
  g_return_val_if_fail (KF_IS_PEER_LINK (self), NULL);

  return self->link_keys->offer_iv;
}

/*
 * kf_peer_link_get_peer_identity:
 *
 * Returns: (array fixed-size=32): the Ed25519 identity key the peer proved
 * it holds in the handshake, to compare with the one the key manager named
 * and with the user's contacts.
 */
const guint8 *
kf_peer_link_get_peer_identity (KfPeerLink *self)
{
  g_return_val_if_fail (KF_IS_PEER_LINK (self), NULL);

  return self->peer_identity;
}

/* Writes all of @buf.  When @cancellable fires after part of a record went
 * out, the rest is still written (without it) so the stream stays at a
 * record boundary and a CANCEL record can follow; kf_peer_link_abort()
 * stops even that. */
static gboolean
write_record (KfPeerLink    *self,
              const guint8  *buf,
              gsize          len,
              GCancellable  *cancellable,
              gboolean      *nothing_sent,
              GError       **error)
{
  GOutputStream *out = g_io_stream_get_output_stream (self->stream);
  g_autoptr(GError) local_error = NULL;
  gsize written = 0;

  if (g_output_stream_write_all (out, buf, len, &written, cancellable, &local_error))
    return TRUE;
  *nothing_sent = written == 0;

  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && written > 0
      && g_output_stream_write_all (out, buf + written, len - written, NULL, NULL, NULL))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && written == 0)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_TIMEOUT,
                 _("The peer took nothing for %u seconds, so the transfer was stopped."),
                 self->idle_timeout);
  else
    g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PEER_GONE,
                 _("The connection to the peer was lost (%s)."), local_error->message);
  return FALSE;
}

/*
 * kf_peer_link_send:
 * @record: a buffer of %KF_RECORD_HEADER_SIZE + @payload_len +
 *   %KF_RECORD_TAG_SIZE bytes, the payload at offset %KF_RECORD_HEADER_SIZE
 *
 * Seals @record with the next sequence number of this direction and
 * writes it (blocking).  The header and tag are written into @record.
 *
 * Returns: %FALSE with G_IO_ERROR_CANCELLED, or %KF_TRANSFER_ERROR_PEER_GONE
 * when the connection fails.
 */
gboolean
kf_peer_link_send (KfPeerLink    *self,
                   KfRecordType   type,
                   guint8         flags,
                   guint8        *record,
                   gsize          payload_len,
                   GCancellable  *cancellable,
                   GError       **error)
{
  KfPeerLinkRecord spec = { type, flags, payload_len };

  return kf_peer_link_send_batch (self, record, &spec, 1, cancellable, error);
}

/*
 * kf_peer_link_send_batch:
 * @records: @n_records records back to back, record i laid out as for
 *   kf_peer_link_send() with the payload length of @specs[i]
 * @specs: (array length=n_records): each record's type, flags and length
 *
 * Seals the records with the next sequence numbers of this direction, in
 * order, and writes them in one go (blocking): the same bytes on the wire
 * as one kf_peer_link_send() after the other, with one system call for
 * the lot.  Headers and tags are written into @records.
 *
 * Returns: as kf_peer_link_send().
 */
gboolean
kf_peer_link_send_batch (KfPeerLink              *self,
                         guint8                  *records,
                         const KfPeerLinkRecord  *specs,
                         guint                    n_records,
                         GCancellable            *cancellable,
                         GError                 **error)
{
  gboolean nothing_sent = FALSE;
  gsize len = 0;

  g_return_val_if_fail (KF_IS_PEER_LINK (self), FALSE);
  g_return_val_if_fail (records != NULL && specs != NULL && n_records > 0, FALSE);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  for (guint i = 0; i < n_records; i++)
    {
      g_return_val_if_fail (specs[i].payload_len <= KF_RECORD_MAX_PAYLOAD, FALSE);
      if (!kf_record_seal (self->send_key, specs[i].type, specs[i].flags, self->send_seq + i,
                           records + len, specs[i].payload_len, error))
        return FALSE;
      len += KF_RECORD_HEADER_SIZE + specs[i].payload_len + KF_RECORD_TAG_SIZE;
    }

  if (!write_record (self, records, len, cancellable, &nothing_sent, error))
    {
      /* Cancelled before a byte went out, the records were never sent:
       * their numbers stay the next ones, or a CANCEL record sent after
       * them would leave a gap the receiver reports as reordering.  Once
       * a byte went out, write_record() wrote them all or the link is
       * broken. */
      if (!nothing_sent)
        self->send_seq += n_records;
      return FALSE;
    }
  self->send_seq += n_records;

  return TRUE;
}

/*
 * kf_peer_link_send_copy:
 *
 * Like kf_peer_link_send() for a small control record: copies @payload
 * (at most 64 KiB) into a buffer of the link's own.
 */
gboolean
kf_peer_link_send_copy (KfPeerLink    *self,
                        KfRecordType   type,
                        guint8         flags,
                        const guint8  *payload,
                        gsize          payload_len,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_return_val_if_fail (KF_IS_PEER_LINK (self), FALSE);
  g_return_val_if_fail (payload_len <= 65536, FALSE);

  if (self->send_buf == NULL)
    self->send_buf = g_malloc (KF_RECORD_HEADER_SIZE + 65536 + KF_RECORD_TAG_SIZE);
  if (payload_len > 0)
    memcpy (self->send_buf + KF_RECORD_HEADER_SIZE, payload, payload_len);

  return kf_peer_link_send (self, type, flags, self->send_buf, payload_len,
                            cancellable, error);
}

/* A failed read of the link, as the user should hear it. */
static void
set_read_error (KfPeerLink  *self,
                GError     **error,
                GError      *io_error)
{
  if (g_error_matches (io_error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      || g_error_matches (io_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    g_propagate_error (error, io_error);
  else if (g_error_matches (io_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    {
      g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_TIMEOUT,
                   _("The peer sent nothing for %u seconds, so the transfer was stopped."),
                   self->idle_timeout);
      g_error_free (io_error);
    }
  else
    {
      g_set_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PEER_GONE,
                   _("The connection to the peer was lost (%s)."), io_error->message);
      g_error_free (io_error);
    }
}

/* Reads once, up to @max bytes, to the end of the receive buffer:
 * without waiting unless @blocking (then G_IO_ERROR_WOULD_BLOCK when
 * nothing is there).  Returns the count, 0 at the end of the stream, or
 * -1 with @error set. */
static gssize
fill (KfPeerLink    *self,
      gsize          max,
      gboolean       blocking,
      GCancellable  *cancellable,
      GError       **error)
{
  GInputStream *in = g_io_stream_get_input_stream (self->stream);
  guint8 *at = self->recv_buf + self->recv_end;
  GError *io_error = NULL;
  gssize n;

  if (blocking)
    n = g_input_stream_read (in, at, max, cancellable, &io_error);
  else if (G_IS_POLLABLE_INPUT_STREAM (in)
           && g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (in)))
    n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (in), at, max,
                                                  NULL, &io_error);
  else
    {
      io_error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, "would block");
      n = -1;
    }
  if (n < 0)
    set_read_error (self, error, io_error);
  else
    self->recv_end += (gsize) n;
  return n;
}

/* The stream ended with @have bytes of a record read: the peer left, or
 * cut a record short. */
static void
set_end_error (KfPeerLink  *self,
               gsize        have,
               GError     **error)
{
  KfRecordHeader header;

  if (have == 0)
    g_set_error_literal (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PEER_GONE,
                         _("The peer closed the connection before the transfer was complete."));
  else if (kf_record_header_decode (self->recv_buf + self->recv_pos, have, &header, error))
    g_set_error_literal (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_TRUNCATED,
                         _("The transfer stream was cut off inside a record."));
}

/* Makes the next record whole in the receive buffer, reading as needed
 * (waiting only when @blocking), and returns its length, or 0 with @error
 * set.  A small record's read takes what else is there, up to
 * RECV_LOOKAHEAD more; a large one's reads only the record. */
static gsize
next_record (KfPeerLink    *self,
             gboolean       blocking,
             GCancellable  *cancellable,
             GError       **error)
{
  gsize need = KF_RECORD_HEADER_SIZE;

  self->recv_pos += self->recv_used;
  self->recv_used = 0;
  for (;;)
    {
      gsize have = self->recv_end - self->recv_pos;
      KfRecordHeader header;
      gsize want;
      gssize n;

      if (have >= KF_RECORD_HEADER_SIZE)
        {
          if (!kf_record_header_decode (self->recv_buf + self->recv_pos, have, &header, error))
            return 0;
          need = KF_RECORD_HEADER_SIZE + header.length + KF_RECORD_TAG_SIZE;
        }
      if (have >= need)
        return need;
      if (self->recv_pos + need > RECV_BUF_SIZE)
        {
          memmove (self->recv_buf, self->recv_buf + self->recv_pos, have);
          self->recv_pos = 0;
          self->recv_end = have;
        }
      want = need - have;
      if (want < RECV_LOOKAHEAD)
        want = MIN (want + RECV_LOOKAHEAD, RECV_BUF_SIZE - self->recv_end);
      n = fill (self, want, blocking, cancellable, error);
      if (n == 0)
        set_end_error (self, have, error);
      if (n <= 0)
        return 0;
    }
}

/* Opens the record next_record() made whole; NULL with @error set when
 * it is not authentic, in order and of a known type. */
static const guint8 *
open_record (KfPeerLink      *self,
             gsize            len,
             KfRecordHeader  *header,
             GError         **error)
{
  const guint8 *record = self->recv_buf + self->recv_pos;

  if (!kf_record_open (self->recv_key, record, len, self->recv_seq, header, error))
    return NULL;
  self->recv_seq++;
  self->recv_used = len;

  return record + KF_RECORD_HEADER_SIZE;
}

static const guint8 *
receive (KfPeerLink      *self,
         gboolean         blocking,
         KfRecordHeader  *header,
         GCancellable    *cancellable,
         GError         **error)
{
  gsize len;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  if (self->recv_buf == NULL)
    self->recv_buf = g_malloc (RECV_BUF_SIZE);
  len = next_record (self, blocking, cancellable, error);

  return len > 0 ? open_record (self, len, header, error) : NULL;
}

/*
 * kf_peer_link_receive:
 * @header: (out): the authenticated header
 *
 * Reads and authenticates the next record from the peer (blocking).
 *
 * Returns: (transfer none): its payload, valid until the next call, or
 * %NULL with an error of kf_record_read().
 */
const guint8 *
kf_peer_link_receive (KfPeerLink      *self,
                      KfRecordHeader  *header,
                      GCancellable    *cancellable,
                      GError         **error)
{
  g_return_val_if_fail (KF_IS_PEER_LINK (self), NULL);

  return receive (self, TRUE, header, cancellable, error);
}

/*
 * kf_peer_link_receive_nowait:
 * @header: (out): the authenticated header
 *
 * Like kf_peer_link_receive(), but only when the whole record is here
 * already: read ahead, or in the socket's buffer.  A receiver that hands
 * its work on in batches tells by this when to hand on what it holds:
 * before it would wait for the peer.
 *
 * Returns: (transfer none): the payload, valid until the next receive, or
 * %NULL with G_IO_ERROR_WOULD_BLOCK when the record is not all here yet
 * (then kf_peer_link_receive() reads it), or with an error of
 * kf_peer_link_receive().
 */
const guint8 *
kf_peer_link_receive_nowait (KfPeerLink      *self,
                             KfRecordHeader  *header,
                             GError         **error)
{
  g_return_val_if_fail (KF_IS_PEER_LINK (self), NULL);

  return receive (self, FALSE, header, NULL, error);
}

/*
 * kf_peer_link_set_idle_timeout:
 * @seconds: the idle limit; 0 for none
 *
 * Sets how long one read or write of the transfer may wait for the peer
 * (default %KF_PEER_LINK_DEFAULT_IDLE_TIMEOUT).  It takes effect when the
 * transfer engine arms it, once the file starts to move (after ACCEPT): a
 * user may take their time over an offer, a peer may not stall a transfer.
 */
void
kf_peer_link_set_idle_timeout (KfPeerLink *self,
                               guint       seconds)
{
  g_return_if_fail (KF_IS_PEER_LINK (self));

  self->idle_timeout = seconds;
}

guint
kf_peer_link_get_idle_timeout (KfPeerLink *self)
{
  g_return_val_if_fail (KF_IS_PEER_LINK (self), 0);

  return self->idle_timeout;
}

/*
 * kf_peer_link_arm_idle_timeout:
 *
 * From now on a read or write that waits longer than the idle limit fails
 * with %KF_TRANSFER_ERROR_TIMEOUT (a sender that stops sending, a receiver
 * that stops reading).  Called by the transfer engine from its thread.
 */
void
kf_peer_link_arm_idle_timeout (KfPeerLink *self)
{
  g_return_if_fail (KF_IS_PEER_LINK (self));

  if (!G_IS_SOCKET_CONNECTION (self->stream))
    return;
  g_socket_set_timeout (g_socket_connection_get_socket (G_SOCKET_CONNECTION (self->stream)),
                        self->idle_timeout);
}

/*
 * kf_peer_link_get_unsent:
 *
 * Returns: how many bytes written to the link the peer has not yet
 * acknowledged (still in this side's send queue), or -1 when the link is
 * not a socket or the system cannot say.  A sender waiting for its
 * peer's answer tells by this whether the peer still takes what it sent.
 */
gssize
kf_peer_link_get_unsent (KfPeerLink *self)
{
  int fd;
  int n = 0;

  g_return_val_if_fail (KF_IS_PEER_LINK (self), -1);

  if (!G_IS_SOCKET_CONNECTION (self->stream))
    return -1;
  fd = g_socket_get_fd (g_socket_connection_get_socket (G_SOCKET_CONNECTION (self->stream)));
  if (ioctl (fd, SIOCOUTQ, &n) != 0)
    return -1;
  return n;
}

/*
 * kf_peer_link_abort:
 *
 * Shuts the connection down in both directions at once, from any thread:
 * blocked reads see the end of the stream, blocked writes fail.  Used when
 * a transfer fails and the other threads must stop.
 */
void
kf_peer_link_abort (KfPeerLink *self)
{
  GSocket *socket;

  g_return_if_fail (KF_IS_PEER_LINK (self));

  if (!G_IS_SOCKET_CONNECTION (self->stream))
    return;
  socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (self->stream));
  g_socket_shutdown (socket, TRUE, TRUE, NULL);
}

/*
 * kf_peer_link_close:
 *
 * Ends the connection from any thread, even while a transfer still uses
 * the link: it is shut down at once (see kf_peer_link_abort()), and the
 * socket itself is closed when the last reference goes, so no worker
 * thread is ever left polling a closed, possibly reused, descriptor.
 */
void
kf_peer_link_close (KfPeerLink *self)
{
  g_return_if_fail (KF_IS_PEER_LINK (self));

  kf_peer_link_abort (self);
}

/*
 * kf_peer_link_set_cancel_reason:
 * @reason: (nullable): a static English text, or %NULL for the default
 *
 * Says why work on this link is about to be cancelled, for the CANCEL
 * record the engine then sends (Part 2, section 8): without it a
 * cancelled engine tells the peer "cancelled by the user".  Set it before
 * cancelling the engine's #GCancellable.
 */
void
kf_peer_link_set_cancel_reason (KfPeerLink *self,
                                const char *reason)
{
  g_return_if_fail (KF_IS_PEER_LINK (self));

  g_atomic_pointer_set (&self->cancel_reason, reason);
}

/* Returns: (nullable): the text given to kf_peer_link_set_cancel_reason(). */
const char *
kf_peer_link_get_cancel_reason (KfPeerLink *self)
{
  g_return_val_if_fail (KF_IS_PEER_LINK (self), NULL);

  return g_atomic_pointer_get (&self->cancel_reason);
}
