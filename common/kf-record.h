/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

#include "kf-transfer-error.h"

G_BEGIN_DECLS

/* The peer link's record layer (docs/PROTOCOL.md part 2, "Records"):
 *
 *   header (16) | payload (length) | tag (16)
 *
 * header = type (1) | flags (1) | reserved, zero (2) | length (4, BE) |
 *          sequence number (8, BE); tag = Poly1305-AES over header and
 * payload with the direction's key, nonce = sequence number (8, BE) | 0^8.
 * Everything here except kf_record_read() is a pure function of its
 * arguments, so a fuzzer can drive it on a byte buffer. */

#define KF_RECORD_HEADER_SIZE  16
#define KF_RECORD_TAG_SIZE     16
#define KF_RECORD_MAX_PAYLOAD  (1024 * 1024)
#define KF_RECORD_MAX_SIZE     (KF_RECORD_HEADER_SIZE + KF_RECORD_MAX_PAYLOAD + KF_RECORD_TAG_SIZE)
#define KF_RECORD_KEY_SIZE     32
#define KF_RECORD_FLAG_FINAL   0x01

typedef enum
{
  KF_RECORD_OFFER   = 1,
  KF_RECORD_ACCEPT  = 2,
  KF_RECORD_DECLINE = 3,
  KF_RECORD_DATA    = 4,
  KF_RECORD_CANCEL  = 5,
  KF_RECORD_DONE    = 6,
  KF_RECORD_MANIFEST = 7,
} KfRecordType;

typedef struct
{
  guint8  type;
  guint8  flags;
  guint32 length;
  guint64 seq;
} KfRecordHeader;

typedef struct _KfRecordKey KfRecordKey;

void         kf_record_derive_key    (const guint8          *secret,
                                      gsize                  secret_len,
                                      const char            *label,
                                      const guint8          *context,
                                      gsize                  context_len,
                                      guint8                 out[32]);

KfRecordKey *kf_record_key_new       (const guint8          *key,
                                      gsize                  key_len,
                                      GError               **error);
void         kf_record_key_free      (KfRecordKey           *key);

void         kf_record_header_encode (const KfRecordHeader  *header,
                                      guint8                 out[KF_RECORD_HEADER_SIZE]);
gboolean     kf_record_header_decode (const guint8          *buf,
                                      gsize                  len,
                                      KfRecordHeader        *header,
                                      GError               **error);

gboolean     kf_record_seal          (KfRecordKey           *key,
                                      KfRecordType           type,
                                      guint8                 flags,
                                      guint64                seq,
                                      guint8                *record,
                                      gsize                  payload_len,
                                      GError               **error);
gboolean     kf_record_open          (KfRecordKey           *key,
                                      const guint8          *record,
                                      gsize                  record_len,
                                      guint64                expected_seq,
                                      KfRecordHeader        *header,
                                      GError               **error);
gboolean     kf_record_read          (GInputStream          *stream,
                                      KfRecordKey           *key,
                                      guint64                expected_seq,
                                      guint8                *buf,
                                      gsize                  buf_size,
                                      KfRecordHeader        *header,
                                      GCancellable          *cancellable,
                                      GError               **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KfRecordKey, kf_record_key_free)

G_END_DECLS
